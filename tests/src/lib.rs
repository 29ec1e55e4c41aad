//! Shared machinery for the integration tests: running a scenario in a child process and
//! reading what the kernel says about a mapping.
//!
//! A crash that must happen (guard page hit, canary smashed) is run in a child: the test binary
//! re-executes itself with `SECRETS_TEST_CHILD` naming the scenario and `--exact` selecting the
//! same test, and the parent checks how the child ended.

pub mod caps;
pub mod fuzz;

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};

/// Environment variable that marks a re-executed test binary as the child of one test.
pub const CHILD_ENV: &str = "SECRETS_TEST_CHILD";

/// How a child scenario ended.
#[derive(Debug)]
pub struct ChildOutcome {
    /// The child's exit status.
    pub status: ExitStatus,
    /// What it wrote to stdout.
    pub stdout: String,
    /// What it wrote to stderr.
    pub stderr: String,
}

impl ChildOutcome {
    /// The signal that killed the child, if one did.
    pub fn signal(&self) -> Option<i32> {
        self.status.signal()
    }

    /// Panics unless the child was killed by `signal`.
    #[track_caller]
    pub fn assert_killed_by(&self, signal: i32) {
        assert_eq!(
            self.signal(),
            Some(signal),
            "child should have died of signal {signal}, but ended with {:?}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
    }

    /// Panics unless the child exited with status 0.
    #[track_caller]
    pub fn assert_success(&self) {
        assert!(
            self.status.success(),
            "child should have exited 0, but ended with {:?}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
    }
}

/// Runs `body` in a child process and returns how the child ended.
///
/// `test_name` must be the name of the calling `#[test]` function (as `--exact` sees it, e.g.
/// `overflow_faults` for a test at the top of its file). In the parent, this re-executes the
/// test binary for that one test; in the child (recognised by [`CHILD_ENV`]), it runs `body`
/// with core dumps switched off and exits 0 if `body` returns.
pub fn in_child(test_name: &str, body: impl FnOnce()) -> ChildOutcome {
    if std::env::var(CHILD_ENV).as_deref() == Ok(test_name) {
        disable_core_dumps();
        body();
        std::process::exit(0);
    }
    let exe = std::env::current_exe().expect("path of the test binary");
    let output = Command::new(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test_name)
        .output()
        .expect("re-execute the test binary");
    ChildOutcome {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Sets `RLIMIT_CORE` to 0 so a child that must crash does not leave a core file behind.
pub fn disable_core_dumps() {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `zero` is a valid rlimit for setrlimit to read.
    let ret = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) };
    assert_eq!(ret, 0, "setrlimit(RLIMIT_CORE)");
}

/// One mapping of this process, as `/proc/self/smaps` describes it.
#[derive(Debug, Clone)]
pub struct Vma {
    /// First address.
    pub start: usize,
    /// One past the last address.
    pub end: usize,
    /// Permissions, e.g. `rw-p` or `---p`.
    pub perms: String,
    /// `Locked:` in kB.
    pub locked_kb: u64,
    /// The two-letter `VmFlags` (`lo` locked, `dd` not dumped, ...).
    pub flags: Vec<String>,
}

impl Vma {
    /// Whether `VmFlags` has `flag`.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// All mappings of this process, from `/proc/self/smaps`.
pub fn mappings() -> Vec<Vma> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("read /proc/self/smaps");
    let mut vmas: Vec<Vma> = Vec::new();
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if let Some((start, end)) = first.split_once('-') {
            if let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            ) {
                vmas.push(Vma {
                    start,
                    end,
                    perms: words.next().unwrap_or("").to_owned(),
                    locked_kb: 0,
                    flags: Vec::new(),
                });
                continue;
            }
        }
        let Some(vma) = vmas.last_mut() else { continue };
        match first {
            "Locked:" => vma.locked_kb = words.next().and_then(|n| n.parse().ok()).unwrap_or(0),
            "VmFlags:" => vma.flags = words.map(str::to_owned).collect(),
            _ => {}
        }
    }
    vmas
}

/// The mapping that contains `addr`.
pub fn mapping_of(addr: usize) -> Vma {
    mappings()
        .into_iter()
        .find(|vma| vma.start <= addr && addr < vma.end)
        .unwrap_or_else(|| panic!("no mapping contains {addr:#x}"))
}

/// How many mappings this process has (lines of `/proc/self/maps`).
pub fn mapping_count() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .expect("read /proc/self/maps")
        .lines()
        .count()
}

/// The system's page size.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}
