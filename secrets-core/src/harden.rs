//! Process-wide hardening, done only when the program asks for it.

use std::fmt;

use crate::sys::process;

/// One process-wide protection that [`harden_process`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Measure {
    /// `RLIMIT_CORE` set to 0, soft and hard: the kernel writes no core file, and the limit
    /// cannot be raised again without `CAP_SYS_RESOURCE`.
    CoreDumpsDisabled,
    /// `prctl(PR_SET_DUMPABLE, 0)`: no core dump, and neither `ptrace` attach nor
    /// `/proc/PID/mem` is allowed to anyone without `CAP_SYS_PTRACE` (the process's own user
    /// included). Also makes `/proc/PID/*` files owned by root. Reset by `execve` of another
    /// program.
    NotDumpable,
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Measure::CoreDumpsDisabled => "core dumps disabled (RLIMIT_CORE = 0)",
            Measure::NotDumpable => "not dumpable (PR_SET_DUMPABLE = 0)",
        })
    }
}

/// What [`harden_process`] did: each measure is listed as applied only once it was read back
/// from the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HardeningReport {
    /// Measures in force now.
    pub applied: Vec<Measure>,
    /// Measures that could not be applied, each with the `errno` of the call that failed (0 if
    /// the call succeeded but reading the setting back showed it not in force).
    pub failed: Vec<(Measure, i32)>,
}

impl HardeningReport {
    /// Whether every measure is in force.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

impl fmt::Display for HardeningReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for measure in &self.applied {
            writeln!(f, "applied: {measure}")?;
        }
        for (measure, errno) in &self.failed {
            writeln!(
                f,
                "FAILED:  {measure}: {}",
                std::io::Error::from_raw_os_error(*errno)
            )?;
        }
        Ok(())
    }
}

/// Hardens the whole process against having its memory dumped or read by other processes:
/// core dumps off (`RLIMIT_CORE` 0) and not dumpable (`PR_SET_DUMPABLE` 0). Never called
/// implicitly: a process that must be debuggable or must write core files can simply not call
/// it.
///
/// With the `MemfdSecret` backend, secrets are already out of reach of `/proc/PID/mem` and
/// core dumps; this also protects what is not in guarded memory (plaintexts being processed,
/// keys in registers spilled to the stack).
///
/// Returns a report of what is now in force and what could not be done; it never fails as a
/// whole and never panics.
///
/// ```
/// let report = secrets_core::harden_process();
/// assert!(report.is_complete(), "{report}");
/// ```
pub fn harden_process() -> HardeningReport {
    let mut report = HardeningReport {
        applied: Vec::new(),
        failed: Vec::new(),
    };
    let mut record = |measure, result: Result<bool, i32>| match result {
        Ok(true) => report.applied.push(measure),
        Ok(false) => report.failed.push((measure, 0)),
        Err(errno) => report.failed.push((measure, errno)),
    };
    record(
        Measure::CoreDumpsDisabled,
        process::disable_core_dumps()
            .and_then(|()| process::core_limit())
            .map(|limit| limit == (0, 0)),
    );
    record(
        Measure::NotDumpable,
        process::set_not_dumpable()
            .and_then(|()| process::is_dumpable())
            .map(|dumpable| !dumpable),
    );
    report
}
