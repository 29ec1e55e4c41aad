//! The FreeBSD side of the platform layer (see `sys/mod.rs`): the same functions and constants
//! as `linux.rs`.
//!
//! Kept: dump exclusion (`MADV_NOCORE`), fork exclusion (`minherit(INHERIT_NONE)`), tracing
//! refused (`procctl(PROC_TRACE_CTL_DISABLE)`), and through the shared code guard pages,
//! `mlock` and `PROT_NONE` at rest. Not offered by FreeBSD, and reported:
//! * no `memfd_secret` (the `MemfdSecret` backend is unavailable, ENOSYS; libsodium's guarded
//!   heap is the backend here);
//! * no way to ask whether a page is locked already ([`is_locked`] is ENOSYS), so a stack
//!   `Secret` leaves the locks it finds in place;
//! * no `/proc` by default: the mapping count, map limit and locked bytes are unknown.

use super::mem::errno;

/// Flags of an address-space reservation: private and anonymous. FreeBSD has no
/// `MAP_NORESERVE`; it charges swap for private mappings only once they are writable, so a
/// `PROT_NONE` reservation costs none.
pub(crate) const RESERVE_FLAGS: libc::c_int = libc::MAP_PRIVATE | libc::MAP_ANON;

fn check(ret: libc::c_int) -> Result<(), i32> {
    if ret == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// How the pages of a range are left out of core dumps.
pub(crate) const DONT_DUMP: Option<&str> = Some("MADV_NOCORE");

/// Excludes `[addr, addr + len)` from core dumps (`MADV_NOCORE`).
pub(crate) fn dont_dump(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: MADV_NOCORE only sets a flag on the mapping; it never discards contents.
    check(unsafe { libc::madvise(addr as *mut libc::c_void, len, libc::MADV_NOCORE) })
}

/// How a range is kept out of children made by `fork(2)`.
pub(crate) const DONT_FORK: &str = "minherit(INHERIT_NONE)";

/// Leaves `[addr, addr + len)` out of children made by `fork(2)` (`minherit`).
pub(crate) fn dont_fork(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: `minherit` only sets the inheritance of the caller's own pages; this process's
    // view is unchanged.
    check(unsafe { libc::minherit(addr as *mut libc::c_void, len, libc::INHERIT_NONE) })
}

/// What makes the kernel zero locked pages whose mapping goes away while they are still
/// locked: nothing to ask for here (macOS's `MADV_ZERO_WIRED_PAGES`).
pub(crate) const ZERO_WIRED: Option<&str> = None;

/// Does nothing: there is no such advice here ([`ZERO_WIRED`] is `None`). Guarded memory is
/// zeroed by this crate before it is released; a crash skips that on every OS but macOS.
pub(crate) fn zero_wired(_addr: usize, _len: usize) -> Result<(), i32> {
    Ok(())
}

/// The call that refuses tracing (`ptrace` attach, `ktrace`) of this process.
pub(crate) const NOT_DUMPABLE: Option<&str> = Some("procctl(PROC_TRACE_CTL_DISABLE)");

/// `procctl(PROC_TRACE_CTL, DISABLE)`, then `PROC_TRACE_STATUS`: `Ok(true)` once the kernel
/// reports tracing disabled (status -1).
pub(crate) fn set_not_dumpable() -> Result<bool, i32> {
    // SAFETY: `getpid` has no preconditions.
    let pid = libc::id_t::from(unsafe { libc::getpid() });
    let mut disable: libc::c_int = libc::PROC_TRACE_CTL_DISABLE;
    // SAFETY: PROC_TRACE_CTL reads one `int` from `data`, which points to `disable`.
    check(unsafe {
        libc::procctl(
            libc::P_PID,
            pid,
            libc::PROC_TRACE_CTL,
            (&raw mut disable).cast(),
        )
    })?;
    let mut status: libc::c_int = 0;
    // SAFETY: PROC_TRACE_STATUS writes one `int` to `data`, which points to `status`.
    check(unsafe {
        libc::procctl(
            libc::P_PID,
            pid,
            libc::PROC_TRACE_STATUS,
            (&raw mut status).cast(),
        )
    })?;
    Ok(status == -1)
}

/// ENOSYS: FreeBSD has no `memfd_secret`.
pub(crate) fn memfd_secret() -> Result<libc::c_int, i32> {
    Err(libc::ENOSYS)
}

/// ENOSYS: FreeBSD cannot be asked, without side effects, whether a page is locked.
pub(crate) fn is_locked(_page: usize, _len: usize) -> Result<bool, i32> {
    Err(libc::ENOSYS)
}

/// An `rlim_t` (`i64` here) as `u64`. Negative values do not occur (`RLIM_INFINITY` is
/// `i64::MAX`); one would read as unlimited, so that a limit is never taken for lower than it
/// is (a core limit of 0 is claimed only when the kernel says 0).
pub(crate) fn rlim(value: libc::rlim_t) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

/// The lock limit's name, and what raises it, for [`crate::Error::Lock`]'s message.
pub(crate) const LOCK_LIMIT: (&str, &str) = (
    "RLIMIT_MEMLOCK",
    "`ulimit -l`, login.conf's memorylocked, or vm.max_user_wired",
);

/// Whether the kernel limits how many mappings a process may have: not as Linux does, so a
/// failed mapping is never explained by a map count.
pub(crate) const MAP_COUNT_LIMITED: bool = false;

/// Unknown: no `/proc/self/maps` by default.
pub(crate) fn mapping_count() -> Option<u64> {
    None
}

/// Unknown: FreeBSD has no `vm.max_map_count`.
pub(crate) fn max_map_count() -> Option<u64> {
    None
}

/// Unknown: no `/proc/thread-self/status`.
pub(crate) fn status_bytes(_name: &str) -> Option<u64> {
    None
}

/// Unknown, so `false`: no `CAP_IPC_LOCK` to read.
pub(crate) fn can_lock_without_limit() -> bool {
    false
}
