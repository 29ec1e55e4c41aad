//! Process-wide hardening: core dumps and dumpability (or tracing, where the OS calls it so).

use super::mem;

/// How core files are turned off: `RLIMIT_CORE` (every POSIX system has it; Windows does
/// not, and says `None`).
pub(crate) const CORE_DUMPS_OFF: Option<&str> = Some("RLIMIT_CORE = 0");

/// Sets `RLIMIT_CORE` to zero (soft and hard), so no core file is written.
pub(crate) fn disable_core_dumps() -> Result<(), i32> {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `zero` is a valid `rlimit` for `setrlimit` to read.
    match unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) } {
        0 => Ok(()),
        _ => Err(mem::errno()),
    }
}

// Not dumpable (`PR_SET_DUMPABLE` 0, FreeBSD's `procctl`): per OS; `NOT_DUMPABLE` names the
// call, or is `None` where the OS has none.
pub(crate) use super::os::{set_not_dumpable, NOT_DUMPABLE};

/// The soft and hard `RLIMIT_CORE`.
pub(crate) fn core_limit() -> Result<(u64, u64), i32> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid `rlimit` for `getrlimit` to fill.
    match unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) } {
        0 => Ok((
            super::os::rlim(limit.rlim_cur),
            super::os::rlim(limit.rlim_max),
        )),
        _ => Err(mem::errno()),
    }
}

/// `geteuid()`: the user this process acts as when it opens files.
pub fn effective_uid() -> u32 {
    // SAFETY: `geteuid` takes no arguments and always succeeds.
    unsafe { libc::geteuid() }
}
