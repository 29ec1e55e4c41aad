//! Process-wide hardening on Windows: none of the POSIX measures has a per-process
//! counterpart, and each is reported as such rather than skipped.
//!
//! * Core files: Windows writes crash dumps through Windows Error Reporting, whose settings
//!   (`LocalDumps`) are the system's and the user's, not the process's; [`CORE_DUMPS_OFF`] is
//!   `None`.
//! * Not dumpable: another process of the same user that opens this one with `PROCESS_VM_READ`
//!   can read its memory, and there is no call like `PR_SET_DUMPABLE` to refuse it;
//!   [`NOT_DUMPABLE`] is `None`.

use windows_sys::Win32::Foundation::ERROR_NOT_SUPPORTED;

/// The code for "not offered".
const NOT_OFFERED: i32 = ERROR_NOT_SUPPORTED as i32;

/// Windows has no per-process switch for crash dumps.
pub(crate) const CORE_DUMPS_OFF: Option<&str> = None;

/// Not offered ([`CORE_DUMPS_OFF`] is `None`).
pub(crate) fn disable_core_dumps() -> Result<(), i32> {
    Err(NOT_OFFERED)
}

/// Not offered ([`CORE_DUMPS_OFF`] is `None`).
pub(crate) fn core_limit() -> Result<(u64, u64), i32> {
    Err(NOT_OFFERED)
}

/// Windows has no call that makes a process undumpable.
pub(crate) const NOT_DUMPABLE: Option<&str> = None;

/// Not offered ([`NOT_DUMPABLE`] is `None`).
pub(crate) fn set_not_dumpable() -> Result<bool, i32> {
    Err(NOT_OFFERED)
}
