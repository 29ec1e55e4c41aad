//! `harden_process()` in a real process: what the kernel reports before and after, and whether a
//! hardened process that crashes leaves a core file.
//!
//! These children are started with `child_command` rather than `in_child`, which sets `RLIMIT_CORE` to 0
//! for every child (so crash tests leave no core files) and would hide what `harden_process`
//! changes. Each child first raises its soft `RLIMIT_CORE` to the hard limit, so that it starts
//! out able to dump core.

// Linux-only: reads PR_GET_DUMPABLE, /proc/sys/kernel/core_pattern and /proc/PID/mem.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::io::{BufRead, BufReader, Write as _};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use secrets_core::{harden_process, Measure};
use secrets_integration_tests::{child_command, is_child_of, PrivateDir};

/// The line a crash child prints once it is set up.
const READY: &str = "CRASH-CHILD-READY";

/// Soft and hard "Max core file size" from `/proc/PID/limits`, as the kernel prints them.
fn core_limit_of(pid: &str) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("read limits");
    let line = limits
        .lines()
        .find_map(|line| line.strip_prefix("Max core file size"))
        .expect("a 'Max core file size' line");
    let mut fields = line.split_whitespace();
    let soft = fields.next().expect("soft limit").to_owned();
    let hard = fields.next().expect("hard limit").to_owned();
    (soft, hard)
}

fn dumpable() -> libc::c_int {
    // SAFETY: PR_GET_DUMPABLE takes no further arguments (zeros).
    unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }
}

/// Raises the soft `RLIMIT_CORE` to the hard limit, so that this process may dump core.
fn allow_core_dumps() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for getrlimit to fill.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut limit) }, 0);
    assert_ne!(
        limit.rlim_max, 0,
        "the hard RLIMIT_CORE is already 0 where this test runs, so it cannot show \
         harden_process setting it; run it where core dumps are allowed"
    );
    limit.rlim_cur = limit.rlim_max;
    // SAFETY: `limit` is a valid rlimit for setrlimit to read.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_CORE, &limit) }, 0);
}

#[test]
fn harden_process_turns_off_core_dumps_and_dumpability() {
    const NAME: &str = "harden_process_turns_off_core_dumps_and_dumpability";
    if is_child_of(NAME) {
        allow_core_dumps();
        // Before: the control. An ordinary process may dump core and be dumped.
        let (soft, hard) = core_limit_of("self");
        println!(
            "before: core file size {soft} {hard}, dumpable {}",
            dumpable()
        );
        assert_ne!(soft, "0", "soft RLIMIT_CORE before hardening");
        assert_ne!(hard, "0", "hard RLIMIT_CORE before hardening");
        assert_eq!(dumpable(), 1, "PR_GET_DUMPABLE before hardening");

        let report = harden_process();
        print!("{report}");
        assert!(report.is_complete(), "{report}");
        assert!(report.failed.is_empty(), "{report:?}");
        for measure in [Measure::CoreDumpsDisabled, Measure::NotDumpable] {
            assert!(report.applied.contains(&measure), "{measure:?}: {report:?}");
        }

        let (soft, hard) = core_limit_of("self");
        println!(
            "after: core file size {soft} {hard}, dumpable {}",
            dumpable()
        );
        assert_eq!((soft.as_str(), hard.as_str()), ("0", "0"));
        assert_eq!(dumpable(), 0, "PR_GET_DUMPABLE after hardening");
        std::process::exit(0);
    }
    let output = child_command(NAME).output().expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("after: core file size 0 0, dumpable 0"),
        "{stdout}"
    );
}

/// How a crash child dies.
#[derive(Clone, Copy, Debug)]
enum Crash {
    /// `abort()`: SIGABRT.
    Abort,
    /// A read of a `PROT_NONE` page: SIGSEGV.
    Fault,
}

impl Crash {
    fn signal(self) -> i32 {
        match self {
            Crash::Abort => libc::SIGABRT,
            Crash::Fault => libc::SIGSEGV,
        }
    }

    fn happen(self) -> ! {
        match self {
            Crash::Abort => std::process::abort(),
            Crash::Fault => {
                // SAFETY: a fresh mapping at an address of the kernel's choosing.
                let page = unsafe {
                    libc::mmap(
                        std::ptr::null_mut(),
                        4096,
                        libc::PROT_NONE,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                        -1,
                        0,
                    )
                };
                assert_ne!(page, libc::MAP_FAILED);
                // SAFETY: none: the page is PROT_NONE and this read must fault.
                let byte = unsafe { std::ptr::read_volatile(page.cast::<u8>()) };
                panic!("read {byte} from a PROT_NONE page and survived");
            }
        }
    }
}

/// A private directory (mode 0700) for the crash child to run in (where a `core` file would
/// land); removed with what is in it when dropped, also when the test panics.
struct TempDir(PrivateDir);

impl TempDir {
    fn new(label: &str) -> TempDir {
        TempDir(PrivateDir::new(&format!("harden-{label}")))
    }

    fn entries(&self) -> Vec<String> {
        self.0.entries()
    }
}

/// A child process that is killed and reaped when dropped, so a failed assertion leaves none.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What became of a crash child.
#[derive(Debug)]
struct Crashed {
    /// The child's soft and hard core limit, read by this process while the child was alive.
    core_limit: (String, String),
    signal: Option<i32>,
    /// Whether the kernel reports a core dump in the wait status (`WCOREDUMP`).
    core_dumped: bool,
    /// What the child's working directory holds after the crash.
    files: Vec<String>,
}

/// The child's side: allow core dumps, harden if asked, report, wait for the word, crash.
fn crash_child(hardened: bool, crash: Crash) -> ! {
    allow_core_dumps();
    if hardened {
        let report = harden_process();
        assert!(report.is_complete(), "{report}");
    }
    println!("{READY}");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    crash.happen()
}

/// The parent's side: starts the crash child in a fresh directory, reads its limits while it
/// is alive, lets it crash and collects what it left.
fn crash(test_name: &str, hardened: bool, crash: Crash) -> Crashed {
    if is_child_of(test_name) {
        crash_child(hardened, crash);
    }
    let dir = TempDir::new(test_name);
    let mut child = Reaped(
        child_command(test_name)
            .current_dir(&dir.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the crash child"),
    );
    let stdout = child.0.stdout.take().expect("child stdout");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let ready = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains(READY));
        let _ = sender.send(ready);
    });
    let ready = receiver.recv_timeout(Duration::from_secs(60));
    assert_eq!(ready, Ok(true), "the crash child did not get ready");

    let core_limit = core_limit_of(&child.0.id().to_string());
    let mut stdin = child.0.stdin.take().expect("child stdin");
    stdin
        .write_all(b"crash\n")
        .expect("tell the child to crash");
    drop(stdin);
    let status = child.0.wait().expect("wait for the crash child");
    let crashed = Crashed {
        core_limit,
        signal: status.signal(),
        core_dumped: status.core_dumped(),
        files: dir.entries(),
    };
    println!("{test_name}: {crashed:?}");
    assert_eq!(crashed.signal, Some(crash.signal()), "{crashed:?}");
    crashed
}

/// Whether `core_pattern` names a file relative to the crashing process's working directory,
/// so that a core file, if written, lands in the directory the test gave the child.
fn core_lands_in_cwd() -> bool {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    let pattern = pattern.trim();
    !pattern.is_empty() && !pattern.starts_with('|') && !pattern.contains('/')
}

fn assert_no_core(crashed: &Crashed) {
    assert_eq!(
        crashed.core_limit,
        ("0".to_owned(), "0".to_owned()),
        "{crashed:?}"
    );
    assert!(!crashed.core_dumped, "the kernel dumped core: {crashed:?}");
    assert!(crashed.files.is_empty(), "a file was left: {crashed:?}");
}

fn assert_core(crashed: &Crashed) {
    assert_ne!(crashed.core_limit.0, "0", "{crashed:?}");
    assert!(
        crashed.core_dumped,
        "the kernel dumped no core: {crashed:?}"
    );
    if core_lands_in_cwd() {
        assert!(!crashed.files.is_empty(), "no core file: {crashed:?}");
    } else {
        println!("core_pattern is not a relative file name: only WCOREDUMP checked");
    }
}

#[test]
fn hardened_child_killed_by_sigabrt_dumps_no_core() {
    let crashed = crash(
        "hardened_child_killed_by_sigabrt_dumps_no_core",
        true,
        Crash::Abort,
    );
    assert_no_core(&crashed);
}

#[test]
fn hardened_child_killed_by_sigsegv_dumps_no_core() {
    let crashed = crash(
        "hardened_child_killed_by_sigsegv_dumps_no_core",
        true,
        Crash::Fault,
    );
    assert_no_core(&crashed);
}

#[test]
fn control_unhardened_child_killed_by_sigabrt_dumps_core() {
    let crashed = crash(
        "control_unhardened_child_killed_by_sigabrt_dumps_core",
        false,
        Crash::Abort,
    );
    assert_core(&crashed);
}

#[test]
fn control_unhardened_child_killed_by_sigsegv_dumps_core() {
    let crashed = crash(
        "control_unhardened_child_killed_by_sigsegv_dumps_core",
        false,
        Crash::Fault,
    );
    assert_core(&crashed);
}
