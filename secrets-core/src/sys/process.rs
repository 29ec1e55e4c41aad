//! Process-wide hardening: core dumps and dumpability.

use super::mem;

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

/// `prctl(PR_SET_DUMPABLE, 0)`: no core dump, and `/proc/PID/mem` and `ptrace` attach are
/// refused to anyone without `CAP_SYS_PTRACE`.
pub(crate) fn set_not_dumpable() -> Result<(), i32> {
    // SAFETY: PR_SET_DUMPABLE takes an integer argument; the unused ones must be zero.
    match unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } {
        0 => Ok(()),
        _ => Err(mem::errno()),
    }
}

/// `prctl(PR_GET_DUMPABLE)`: whether the process may be dumped or traced by its owner.
pub(crate) fn is_dumpable() -> Result<bool, i32> {
    // SAFETY: PR_GET_DUMPABLE takes no further arguments (zeros).
    match unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) } {
        -1 => Err(mem::errno()),
        value => Ok(value != 0),
    }
}

/// The soft and hard `RLIMIT_CORE`.
pub(crate) fn core_limit() -> Result<(u64, u64), i32> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid `rlimit` for `getrlimit` to fill.
    match unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) } {
        0 => Ok((limit.rlim_cur, limit.rlim_max)),
        _ => Err(mem::errno()),
    }
}

/// `geteuid()`: the user this process acts as when it opens files.
pub fn effective_uid() -> u32 {
    // SAFETY: `geteuid` takes no arguments and always succeeds.
    unsafe { libc::geteuid() }
}
