//! Page protection, locking, and the limits that govern them: the same functions on every OS.
//!
//! The functions take page-aligned ranges that the caller owns; they return the OS's code of
//! a failed call (`errno`, or the Win32 code on Windows: see `sys/code.rs`) and never panic.
//! What is written once is here; the calls that differ are in `posix/mem.rs` (over `mmap`,
//! `mprotect`, `mlock`, `getrlimit` and the per-OS files in `os/`) and `windows/mem.rs` (over
//! `VirtualAlloc`, `VirtualProtect`, `VirtualLock`), re-exported from here.

#[cfg(unix)]
#[path = "posix/mem.rs"]
mod platform;
#[cfg(windows)]
#[path = "windows/mem.rs"]
mod platform;

pub(crate) use platform::{
    can_lock_without_limit, clear_errno, count_forks, dont_dump, dont_fork, forks_seen, is_locked,
    lock, map_anonymous_at, mapping_count, max_map_count, memlock_limit, page_size,
    physical_memory, pid, protect, reserve, status_bytes, unlock, unmap, zero_wired, AT_REST,
    DONT_DUMP, DONT_FORK, LOCK_LIMIT, MAP_COUNT_LIMITED, ZERO_WIRED,
};

/// What a range of pages may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    None,
    Read,
    ReadWrite,
}

/// The page that holds `addr`.
pub(crate) fn page_floor(addr: usize) -> usize {
    addr & !(page_size() - 1)
}

/// The end of a live object, `end`, rounded up to a page boundary. Only for addresses: the last
/// page of the address space is never mapped for user space, so this cannot overflow; sizes go
/// through [`checked_page_round`].
pub(crate) fn page_round(end: usize) -> usize {
    let mask = page_size() - 1;
    end.saturating_add(mask) & !mask
}

/// `len` rounded up to whole pages; `None` if that is more than `usize::MAX`.
pub(crate) fn checked_page_round(len: usize) -> Option<usize> {
    len.checked_next_multiple_of(page_size())
}

/// The calling thread's last OS error code: `errno`, or `GetLastError` on Windows.
pub(crate) fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Sets `len` bytes at `addr` to zero with `sodium_memzero` (not optimised away).
///
/// # Safety
/// `[addr, addr + len)` is readable and writable memory that the caller owns, and no reference
/// into it is alive.
pub(crate) unsafe fn zero(addr: usize, len: usize) {
    // SAFETY: the caller guarantees the range is writable, owned and unaliased; `len` fits in
    // `isize` because it lies inside one mapping.
    let bytes = unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, len) };
    super::sodium::memzero(bytes);
}

/// Copies `bytes` to `addr`.
///
/// # Safety
/// `[addr, addr + bytes.len())` is writable memory that the caller owns, does not overlap
/// `bytes`, and no reference into it is alive.
pub(crate) unsafe fn write_bytes(addr: usize, bytes: &[u8]) {
    // SAFETY: the caller guarantees the destination is writable, owned and disjoint from
    // `bytes`.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len()) }
}

/// Copies `len` bytes from `from` to `to`.
///
/// # Safety
/// `[from, from + len)` is readable, `[to, to + len)` writable, both owned by the caller, they
/// do not overlap, and no reference into the destination is alive.
pub(crate) unsafe fn copy(from: usize, to: usize, len: usize) {
    // SAFETY: the caller guarantees both ranges are accessible as required and disjoint.
    unsafe { std::ptr::copy_nonoverlapping(from as *const u8, to as *mut u8, len) }
}

/// Whether the `len` bytes at `addr` are all zero (every byte is read: no early exit).
///
/// # Safety
/// `[addr, addr + len)` is readable memory that nothing writes meanwhile.
pub(crate) unsafe fn bytes_are_zero(addr: usize, len: usize) -> bool {
    // SAFETY: the caller guarantees the range is readable and not written while this runs.
    let found = unsafe { std::slice::from_raw_parts(addr as *const u8, len) };
    found.iter().fold(0u8, |acc, &byte| acc | byte) == 0
}

/// Whether the bytes at `addr` equal `expected`, compared in constant time.
///
/// # Safety
/// `[addr, addr + expected.len())` is readable memory that nothing writes meanwhile.
pub(crate) unsafe fn bytes_equal(addr: usize, expected: &[u8]) -> bool {
    // SAFETY: the caller guarantees the range is readable and not written while this runs.
    let found = unsafe { std::slice::from_raw_parts(addr as *const u8, expected.len()) };
    super::sodium::memeq(found, expected)
}

/// Bytes this process has locked (`VmLck` of `/proc/self/status`), 0 if unreadable.
pub(crate) fn locked_bytes() -> u64 {
    status_bytes("VmLck:").unwrap_or(0)
}
