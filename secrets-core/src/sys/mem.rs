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

/// `len` rounded up to whole pages.
pub(crate) fn page_round(len: usize) -> usize {
    let mask = page_size() - 1;
    len.saturating_add(mask) & !mask
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

/// Excludes `[addr, addr + len)` from core dumps.
pub(crate) fn dont_dump(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: MADV_DONTDUMP only sets a flag on the mapping; it never discards contents.
    check(unsafe { libc::madvise(addr as *mut libc::c_void, len, libc::MADV_DONTDUMP) })
}

/// Leaves `[addr, addr + len)` out of the address space of children made by `fork(2)`.
pub(crate) fn dont_fork(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: MADV_DONTFORK only sets a flag on the mapping; this process's view is unchanged.
    check(unsafe { libc::madvise(addr as *mut libc::c_void, len, libc::MADV_DONTFORK) })
}

/// This process's id (not cached: after a `fork` the child sees its own).
pub(crate) fn pid() -> i32 {
    // SAFETY: `getpid` has no preconditions.
    unsafe { libc::getpid() }
}

/// The soft `RLIMIT_MEMLOCK` in bytes, `None` when unlimited or unreadable.
pub(crate) fn memlock_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid `rlimit` for `getrlimit` to fill.
    let ret = unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) };
    (ret == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

/// `vm.max_map_count`: how many mappings the kernel allows this process.
pub(crate) fn max_map_count() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}
