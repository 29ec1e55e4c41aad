//! Page protection, locking, and the limits that govern them (`mprotect(2)`, `mlock(2)`,
//! `madvise(2)`, `getrlimit(2)`).
//!
//! The functions take page-aligned ranges that the caller owns; they return the `errno` of a
//! failed call and never panic.

use std::sync::OnceLock;

/// What a range of pages may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    None,
    Read,
    ReadWrite,
}

impl Access {
    fn prot(self) -> libc::c_int {
        match self {
            Access::None => libc::PROT_NONE,
            Access::Read => libc::PROT_READ,
            Access::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
        }
    }
}

/// The size of a memory page, read once.
pub(crate) fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: `sysconf` has no memory-safety preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(size)
            .ok()
            .filter(|s| s.is_power_of_two())
            .unwrap_or(4096)
    })
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

/// The machine's physical memory in bytes (`sysconf(_SC_PHYS_PAGES)` pages of [`page_size`]),
/// read once; `None` if the kernel does not say.
pub(crate) fn physical_memory() -> Option<usize> {
    static PHYS: OnceLock<Option<usize>> = OnceLock::new();
    *PHYS.get_or_init(|| {
        // SAFETY: `sysconf` has no memory-safety preconditions.
        let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
        usize::try_from(pages)
            .ok()
            .filter(|&pages| pages > 0)
            .map(|pages| pages.saturating_mul(page_size()))
    })
}

/// Sets the calling thread's `errno` to zero.
pub(crate) fn clear_errno() {
    // SAFETY: the C library's errno location function (`__errno_location`, `__errno`,
    // `__error`, chosen in `sys/mod.rs`) has no preconditions.
    let slot = unsafe { super::errno_location() };
    // SAFETY: it returns the calling thread's errno slot, valid for writes for the life of the
    // thread.
    unsafe { *slot = 0 }
}

/// The calling thread's `errno`.
pub(crate) fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn check(ret: libc::c_int) -> Result<(), i32> {
    if ret == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// Sets the protection of the pages `[addr, addr + len)`.
///
/// # Safety
/// The range is page aligned and belongs to a mapping the caller owns; while it is
/// `Access::None` or `Access::Read`, nothing may write it, and while it is `Access::None`,
/// nothing may read it.
pub(crate) unsafe fn protect(addr: usize, len: usize, access: Access) -> Result<(), i32> {
    // SAFETY: the caller owns the range and guarantees no access conflicts with the new
    // protection; `mprotect` only changes page-table permissions.
    check(unsafe { libc::mprotect(addr as *mut libc::c_void, len, access.prot()) })
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

/// Reserves `len` bytes (whole pages) of address space: a private anonymous `PROT_NONE`
/// mapping (`MAP_NORESERVE` where the OS has it), which costs neither RAM nor lock;
/// `Err(errno)` if `mmap` fails.
pub(crate) fn reserve(len: usize) -> Result<usize, i32> {
    // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing touches no
    // existing memory.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_NONE,
            super::os::RESERVE_FLAGS,
            -1,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        Err(errno())
    } else {
        Ok(addr as usize)
    }
}

/// Replaces `[addr, addr + len)` (whole pages inside a reservation of the caller's) with fresh
/// private anonymous memory, readable and writable and zero.
///
/// # Safety
/// The range lies inside a mapping the caller owns, and nothing refers to it.
pub(crate) unsafe fn map_anonymous_at(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: MAP_FIXED replaces only the caller's own, unreferenced range.
    let mapped = unsafe {
        libc::mmap(
            addr as *mut libc::c_void,
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANON | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    if mapped == libc::MAP_FAILED {
        Err(errno())
    } else {
        Ok(())
    }
}

/// Unmaps `[addr, addr + len)`.
///
/// # Safety
/// The range is mapped, owned by the caller, and nothing refers to it or uses it afterwards.
pub(crate) unsafe fn unmap(addr: usize, len: usize) {
    // SAFETY: the caller owns the unused range; `munmap` of it cannot fail in a way that leaves
    // anything to do.
    unsafe { libc::munmap(addr as *mut libc::c_void, len) };
}

/// Locks the pages of `[addr, addr + len)` into RAM (they are also faulted in).
pub(crate) fn lock(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: `mlock` does not access the memory on behalf of the program; it fails with ENOMEM
    // for addresses that are not mapped.
    check(unsafe { libc::mlock(addr as *const libc::c_void, len) })
}

/// Unlocks the pages of `[addr, addr + len)`.
pub(crate) fn unlock(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: as for `lock`; unlocking never affects memory contents.
    check(unsafe { libc::munlock(addr as *const libc::c_void, len) })
}

// Dump and fork exclusion, and what only some kernels can tell about this process's mappings
// and locks: per OS.
pub(crate) use super::os::{
    can_lock_without_limit, dont_dump, dont_fork, mapping_count, max_map_count, status_bytes,
    DONT_DUMP, DONT_FORK,
};

/// This process's id (not cached: after a `fork` the child sees its own).
pub(crate) fn pid() -> i32 {
    // SAFETY: `getpid` has no preconditions.
    unsafe { libc::getpid() }
}

static FORKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

extern "C" fn on_fork_child() {
    // An atomic increment is async-signal-safe, as a handler run in a forked child must be.
    FORKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Makes [`forks_seen`] count the `fork`s of this process (from the first call on).
pub(crate) fn count_forks() {
    static REGISTERED: OnceLock<()> = OnceLock::new();
    REGISTERED.get_or_init(|| {
        // SAFETY: the handler is an `extern "C"` function that only touches an atomic. If
        // registration fails (ENOMEM), forks go uncounted and the pid check still catches them
        // at drop.
        unsafe { libc::pthread_atfork(None, None, Some(on_fork_child)) };
    });
}

/// How many times the current process is a `fork` away from the one that first called
/// [`count_forks`]: changes in the child, never in the parent.
pub(crate) fn forks_seen() -> u64 {
    FORKS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Bytes this process has locked (`VmLck` of `/proc/self/status`), 0 if unreadable.
pub(crate) fn locked_bytes() -> u64 {
    status_bytes("VmLck:").unwrap_or(0)
}

/// The soft `RLIMIT_MEMLOCK` in bytes, `None` when unlimited or unreadable.
pub(crate) fn memlock_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid `rlimit` for `getrlimit` to fill.
    let ret = unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) };
    (ret == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then(|| super::os::rlim(limit.rlim_cur))
}
