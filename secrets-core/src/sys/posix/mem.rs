//! The POSIX half of `sys/mem.rs`: `mmap(2)`, `mprotect(2)`, `mlock(2)`, `getrlimit(2)` and
//! `pthread_atfork(3)`, and, through `sys/os/`, what differs between the POSIX systems (dump
//! and fork exclusion, the lock query, `/proc`). `sys/mem.rs` re-exports all of it; Windows
//! has the same functions in `sys/windows/mem.rs`.

use std::sync::OnceLock;

use super::{errno, Access};

pub(crate) use super::super::os::{
    can_lock_without_limit, dont_dump, dont_fork, is_locked, mapping_count, max_map_count,
    status_bytes, zero_wired, DONT_DUMP, DONT_FORK, LOCK_LIMIT, MAP_COUNT_LIMITED, ZERO_WIRED,
};

/// What a secret's pages are between accesses: `PROT_NONE`, no access at all. (Locked pages
/// stay locked whatever their protection.)
pub(crate) const AT_REST: Access = Access::None;

fn prot(access: Access) -> libc::c_int {
    match access {
        Access::None => libc::PROT_NONE,
        Access::Read => libc::PROT_READ,
        Access::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
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
    let slot = unsafe { super::super::errno_location() };
    // SAFETY: it returns the calling thread's errno slot, valid for writes for the life of the
    // thread.
    unsafe { *slot = 0 }
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
    check(unsafe { libc::mprotect(addr as *mut libc::c_void, len, prot(access)) })
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
            super::super::os::RESERVE_FLAGS,
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

/// The soft `RLIMIT_MEMLOCK` in bytes, `None` when unlimited or unreadable.
pub(crate) fn memlock_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid `rlimit` for `getrlimit` to fill.
    let ret = unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) };
    (ret == 0 && limit.rlim_cur != libc::RLIM_INFINITY)
        .then(|| super::super::os::rlim(limit.rlim_cur))
}
