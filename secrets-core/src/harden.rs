//! Process-wide hardening, done only when the program asks for it.

use std::fmt;

use crate::sys::{mem, process};

/// One protection that [`harden_process`] applies, or reports as not offered by this OS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Measure {
    /// `RLIMIT_CORE` set to 0, soft and hard: the kernel writes no core file, and the limit
    /// cannot be raised again without `CAP_SYS_RESOURCE`.
    ///
    /// Windows: not offered (crash dumps are written by Windows Error Reporting, configured
    /// system-wide, not per process); listed in [`HardeningReport::unavailable`].
    CoreDumpsDisabled,
    /// Linux and Android: `prctl(PR_SET_DUMPABLE, 0)`: no core dump, and neither `ptrace`
    /// attach nor `/proc/PID/mem` is allowed to anyone without `CAP_SYS_PTRACE` (the process's
    /// own user included). Also makes `/proc/PID/*` files owned by root. Reset by `execve` of
    /// another program.
    ///
    /// FreeBSD: `procctl(PROC_TRACE_CTL_DISABLE)`: `ptrace` attach and `ktrace` refused.
    /// macOS and Windows: not offered; listed in [`HardeningReport::unavailable`].
    NotDumpable,
    /// Not applied by [`harden_process`] but to every page of guarded memory as it is made
    /// (`MADV_DONTDUMP` on Linux and Android, `MADV_NOCORE` on FreeBSD): those pages are left
    /// out of core dumps. Appears only in [`HardeningReport::unavailable`], on an OS that
    /// cannot do it (macOS, where [`Measure::CoreDumpsDisabled`] is what keeps secrets out of
    /// core files; Windows).
    GuardedMemoryNotDumped,
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Measure::CoreDumpsDisabled => match process::CORE_DUMPS_OFF {
                Some(call) => return write!(f, "core dumps disabled ({call})"),
                None => "core dumps disabled (this OS has no per-process switch)",
            },
            Measure::NotDumpable => match process::NOT_DUMPABLE {
                Some(call) => return write!(f, "not dumpable ({call})"),
                None => "not dumpable (this OS has no such call)",
            },
            Measure::GuardedMemoryNotDumped => match mem::DONT_DUMP {
                Some(call) => return write!(f, "guarded memory left out of core dumps ({call})"),
                None => "guarded memory left out of core dumps (this OS cannot exclude a range)",
            },
        })
    }
}

/// What [`harden_process`] did: each measure is listed as applied only once it was read back
/// from the kernel, and each that this OS does not offer is listed as unavailable (never
/// skipped in silence). Made only by [`harden_process`]; more fields may come as platforms do.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HardeningReport {
    /// Measures in force now.
    pub applied: Vec<Measure>,
    /// Measures that could not be applied, each with the `errno` of the call that failed (0 if
    /// the call succeeded but reading the setting back showed it not in force).
    pub failed: Vec<(Measure, i32)>,
    /// Measures this OS does not offer, so that no call was made: empty on Linux, Android and
    /// FreeBSD; on macOS [`Measure::NotDumpable`] and [`Measure::GuardedMemoryNotDumped`]; on
    /// Windows all three.
    pub unavailable: Vec<Measure>,
}

impl HardeningReport {
    /// Whether every measure is in force: none failed, and none is unavailable on this OS.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty() && self.unavailable.is_empty()
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
        for measure in &self.unavailable {
            writeln!(f, "UNAVAILABLE on this OS: {measure}")?;
        }
        Ok(())
    }
}

/// Hardens the whole process against having its memory dumped or read by other processes:
/// core dumps off (`RLIMIT_CORE` 0) and not dumpable (`PR_SET_DUMPABLE` 0; on FreeBSD tracing
/// disabled with `procctl`; macOS has neither that nor a per-range dump exclusion, and the
/// report lists both as [unavailable](HardeningReport::unavailable)). Never called
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
/// use secrets_core::{harden_process, Measure};
///
/// let report = harden_process();
/// // Every measure this OS offers is in force (a failure would be listed with its errno)...
/// assert!(report.failed.is_empty(), "{report}");
/// // ...and each one it does not offer is listed, not skipped: none on Linux, Android and
/// // FreeBSD, so there the report is complete; on macOS `NotDumpable` and
/// // `GuardedMemoryNotDumped`; on Windows all three.
/// for measure in &report.unavailable {
///     eprintln!("not offered by this OS: {measure}");
/// }
/// if cfg!(any(target_os = "linux", target_os = "android", target_os = "freebsd")) {
///     assert!(report.is_complete(), "{report}");
/// } else if cfg!(target_os = "macos") {
///     assert!(report.applied.contains(&Measure::CoreDumpsDisabled), "{report}");
///     assert!(report.unavailable.contains(&Measure::NotDumpable), "{report}");
/// } else if cfg!(windows) {
///     assert!(report.applied.is_empty(), "{report}");
/// }
/// ```
pub fn harden_process() -> HardeningReport {
    let mut report = HardeningReport {
        applied: Vec::new(),
        failed: Vec::new(),
        unavailable: Vec::new(),
    };
    let mut record = |measure, result: Result<bool, i32>| match result {
        Ok(true) => report.applied.push(measure),
        Ok(false) => report.failed.push((measure, 0)),
        Err(errno) => report.failed.push((measure, errno)),
    };
    if process::CORE_DUMPS_OFF.is_some() {
        record(
            Measure::CoreDumpsDisabled,
            process::disable_core_dumps()
                .and_then(|()| process::core_limit())
                .map(|limit| limit == (0, 0)),
        );
    } else {
        report.unavailable.push(Measure::CoreDumpsDisabled);
    }
    if process::NOT_DUMPABLE.is_some() {
        record(Measure::NotDumpable, process::set_not_dumpable());
    } else {
        report.unavailable.push(Measure::NotDumpable);
    }
    if mem::DONT_DUMP.is_none() {
        report.unavailable.push(Measure::GuardedMemoryNotDumped);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unavailable_measure_is_reported_and_makes_the_report_incomplete() {
        let mut report = HardeningReport {
            applied: vec![Measure::CoreDumpsDisabled],
            failed: Vec::new(),
            unavailable: Vec::new(),
        };
        assert!(report.is_complete(), "{report}");
        report.unavailable.push(Measure::NotDumpable);
        assert!(!report.is_complete(), "{report}");
        let shown = report.to_string();
        assert!(
            shown.contains("UNAVAILABLE on this OS: not dumpable"),
            "{shown}"
        );
    }

    #[test]
    fn measures_name_this_os_calls() {
        // Linux and Android: the calls of `sys/os/linux.rs`.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            assert_eq!(
                Measure::NotDumpable.to_string(),
                "not dumpable (PR_SET_DUMPABLE = 0)"
            );
            assert_eq!(
                Measure::GuardedMemoryNotDumped.to_string(),
                "guarded memory left out of core dumps (MADV_DONTDUMP)"
            );
        }
        assert_eq!(
            Measure::CoreDumpsDisabled.to_string(),
            "core dumps disabled (RLIMIT_CORE = 0)"
        );
    }
}
