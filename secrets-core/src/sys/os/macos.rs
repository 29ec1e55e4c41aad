//! The macOS side of the platform layer (see `sys/mod.rs`): the same functions and constants
//! as `linux.rs`, with what macOS lacks said so rather than skipped.
//!
//! Kept: fork exclusion (`minherit(VM_INHERIT_NONE)`), and through the shared code guard
//! pages, `mlock` and `PROT_NONE` at rest. Added: `MADV_ZERO_WIRED_PAGES` on guarded memory,
//! so that locked pages left behind by a crash are zeroed by the kernel. Not offered by macOS, and reported:
//! * no per-range exclusion from core dumps ([`DONT_DUMP`] is `None`; `harden_process()`
//!   lists it as unavailable: `RLIMIT_CORE = 0` is what keeps secrets out of core files here);
//! * no `PR_SET_DUMPABLE` ([`NOT_DUMPABLE`] is `None`, listed as unavailable too);
//! * no `memfd_secret` (the `MemfdSecret` backend is unavailable, ENOSYS; libsodium's guarded
//!   heap is the backend here);
//! * no way to ask whether a page is locked already ([`is_locked`] is ENOSYS), so a stack
//!   `Secret` leaves the locks it finds in place;
//! * no `/proc`: the mapping count, map limit and locked bytes are unknown (`None`).

use super::mem::errno;

/// Flags of an address-space reservation: private, anonymous, `MAP_NORESERVE`.
pub(crate) const RESERVE_FLAGS: libc::c_int =
    libc::MAP_PRIVATE | libc::MAP_ANON | libc::MAP_NORESERVE;

/// macOS cannot leave a range out of core dumps.
pub(crate) const DONT_DUMP: Option<&str> = None;

/// Does nothing: macOS has no per-range dump exclusion. [`DONT_DUMP`] is `None`, which
/// `harden_process()` reports.
pub(crate) fn dont_dump(_addr: usize, _len: usize) -> Result<(), i32> {
    Ok(())
}

/// How a range is kept out of children made by `fork(2)`.
pub(crate) const DONT_FORK: &str = "minherit(VM_INHERIT_NONE)";

/// Leaves `[addr, addr + len)` out of children made by `fork(2)` (`minherit`, the child gets
/// no mapping there).
pub(crate) fn dont_fork(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: `minherit` only sets the inheritance of the caller's own pages; this process's
    // view is unchanged.
    match unsafe { libc::minherit(addr as *mut libc::c_void, len, libc::VM_INHERIT_NONE) } {
        0 => Ok(()),
        _ => Err(errno()),
    }
}

/// What makes the kernel zero locked pages whose mapping goes away while they are still
/// locked.
pub(crate) const ZERO_WIRED: Option<&str> = Some("MADV_ZERO_WIRED_PAGES");

/// `madvise(MADV_ZERO_WIRED_PAGES)`: if the mapping of `[addr, addr + len)` is deleted while
/// its pages are still wired (`mlock`: the process crashed or exited before this crate could
/// zero and unlock them), the kernel zeroes them before they go back to the free list.
pub(crate) fn zero_wired(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: MADV_ZERO_WIRED_PAGES only sets a flag on the mapping entries; contents,
    // protection and locks are unchanged.
    match unsafe { libc::madvise(addr as *mut libc::c_void, len, libc::MADV_ZERO_WIRED_PAGES) } {
        0 => Ok(()),
        _ => Err(errno()),
    }
}

/// macOS has no `PR_SET_DUMPABLE`.
pub(crate) const NOT_DUMPABLE: Option<&str> = None;

/// ENOSYS: not offered ([`NOT_DUMPABLE`] is `None`).
pub(crate) fn set_not_dumpable() -> Result<bool, i32> {
    Err(libc::ENOSYS)
}

/// ENOSYS: macOS has no `memfd_secret`.
pub(crate) fn memfd_secret() -> Result<libc::c_int, i32> {
    Err(libc::ENOSYS)
}

/// ENOSYS: macOS cannot say whether a page is locked.
pub(crate) fn is_locked(_page: usize, _len: usize) -> Result<bool, i32> {
    Err(libc::ENOSYS)
}

/// An `rlim_t` as `u64` (it is one here).
pub(crate) fn rlim(value: libc::rlim_t) -> u64 {
    value
}

/// The lock limit's name, and what raises it, for [`crate::Error::Lock`]'s message.
pub(crate) const LOCK_LIMIT: (&str, &str) = (
    "RLIMIT_MEMLOCK",
    "`ulimit -l`, or launchd's HardResourceLimits/SoftResourceLimits MemoryLock",
);

/// Whether the kernel limits how many mappings a process may have: not as Linux does, so a
/// failed mapping is never explained by a map count.
pub(crate) const MAP_COUNT_LIMITED: bool = false;

/// Unknown: no `/proc/self/maps`.
pub(crate) fn mapping_count() -> Option<u64> {
    None
}

/// Unknown: macOS has no `vm.max_map_count`.
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
