//! Running a scenario in a child process: once ([`in_child`]) or once per backend
//! ([`for_each_backend`]).
//!
//! The child is the test binary itself, re-executed with `--exact NAME` so that libtest runs the
//! one test again, and with [`CHILD_ENV`] set to `NAME`, so that when the test reaches the same
//! call it runs the scenario instead of starting another child. A scenario that must crash (a
//! guard page hit, a smashed canary) can then kill its process without killing the test runner,
//! and a scenario that must use one backend gets a process of its own to fix it in.
//!
//! A child whose libtest found no test to run (a misspelt name) would exit 0 like one whose
//! scenario passed, so two checks make sure the scenario really ran: the parent requires the name
//! to be that of the calling test (libtest names each test's thread after the test), and the
//! child prints a line naming test and backend just before it starts the scenario, which the
//! parent requires in its stdout.

use std::os::unix::process::ExitStatusExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::{Command, ExitStatus};

use secrets_core::{active_backend, set_backend, Backend};

use crate::layout::{backend_name, BACKENDS};

/// Environment variable that marks a re-executed test binary as the child of one test.
pub const CHILD_ENV: &str = "SECRETS_TEST_CHILD";

/// Environment variable that tells a child made by [`for_each_backend`] which backend to choose
/// (see [`backend_name`]). Read by this harness only: `secrets-core` never reads the environment.
pub const BACKEND_ENV: &str = "SECRETS_TEST_BACKEND";

/// The start of the line a child prints just before it runs the scenario.
const STARTED: &str = "SECRETS-TEST-CHILD-STARTED";

/// How a child scenario ended.
#[derive(Debug)]
#[must_use = "check how the child ended, or the test cannot fail"]
pub struct ChildOutcome {
    /// The test the child ran.
    pub test_name: String,
    /// The backend the child chose before the scenario; `None` for [`in_child`], whose
    /// scenario chooses for itself (or makes no secret).
    pub backend: Option<Backend>,
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

    /// Names the child in messages: the test, and the backend if the harness chose one.
    pub fn who(&self) -> String {
        match self.backend {
            Some(backend) => format!(
                "the child of `{}` under {}",
                self.test_name,
                backend_name(backend)
            ),
            None => format!("the child of `{}`", self.test_name),
        }
    }

    /// Panics unless the child was killed by `signal`.
    #[track_caller]
    pub fn assert_killed_by(&self, signal: i32) {
        assert_eq!(
            self.signal(),
            Some(signal),
            "{} should have died of signal {signal}, but ended with {:?}\nstdout:\n{}\nstderr:\n{}",
            self.who(),
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
            "{} should have exited 0, but ended with {:?}\nstdout:\n{}\nstderr:\n{}",
            self.who(),
            self.status,
            self.stdout,
            self.stderr
        );
    }

    /// `Err` with an explanation unless the child printed the line that says it started the
    /// scenario.
    fn started(&self) -> Result<(), String> {
        if self
            .stdout
            .contains(&started_line(&self.test_name, self.backend))
        {
            return Ok(());
        }
        Err(format!(
            "{} never started the scenario (is `{}` the name of a test in this file? could the \
             backend be chosen?); it ended with {:?}\nstdout:\n{}\nstderr:\n{}",
            self.who(),
            self.test_name,
            self.status,
            self.stdout,
            self.stderr
        ))
    }
}

/// The outcomes of one scenario's children, one per backend, in the order of [`BACKENDS`].
#[derive(Debug)]
#[must_use = "check how each child ended, or the test cannot fail"]
pub struct BackendOutcomes(Vec<ChildOutcome>);

impl BackendOutcomes {
    /// Runs `check` on every child's outcome (`outcome.backend` says which backend it ran
    /// under), and fails if it failed for any of them, naming each such backend. Every check runs
    /// even after one has failed, so a failure reports all the backends it concerns; each
    /// failed check's own message is printed as it happens.
    pub fn check(self, check: impl Fn(&ChildOutcome)) {
        let mut failed = Vec::new();
        for outcome in &self.0 {
            println!(
                "--- {} ended with {:?}; stdout:\n{}",
                outcome.who(),
                outcome.status,
                outcome.stdout
            );
            if catch_unwind(AssertUnwindSafe(|| check(outcome))).is_err() {
                failed.push(outcome.backend.map_or("(none)", backend_name));
            }
        }
        assert!(
            failed.is_empty(),
            "the checks failed under {} (see the message of each failure above)",
            failed.join(" and ")
        );
    }

    /// Requires every child to have exited 0: the scenario, with all its assertions, passed
    /// under every backend.
    pub fn assert_success(self) {
        self.check(|outcome| outcome.assert_success());
    }
}

/// Runs `body` in a child process and returns how the child ended.
///
/// `test_name` must be the name of the calling `#[test]` function (as `--exact` sees it, e.g.
/// `overflow_faults` for a test at the top of its file). In the parent, this re-executes the
/// test binary for that one test; in the child (recognised by [`CHILD_ENV`]), it runs `body`
/// with core dumps switched off and exits 0 if `body` returns. No backend is chosen: `body`
/// either makes no secret or chooses one itself.
///
/// # Panics
/// In the parent, if `test_name` is not the calling test's name or the child did not start
/// `body`.
pub fn in_child(test_name: &str, body: impl FnOnce()) -> ChildOutcome {
    if is_child_of(test_name) {
        start_scenario(test_name, None);
        body();
        std::process::exit(0);
    }
    check_caller(test_name);
    let outcome = run_child(test_name, None);
    if let Err(explanation) = outcome.started() {
        panic!("{explanation}");
    }
    outcome
}

/// Environment variable that says `mlock` does nothing in this build: AddressSanitizer's
/// interceptor returns 0 without locking. `.ci/run` sets it for its ASan stage. Read by this
/// harness only.
pub const MLOCK_IS_NOOP_ENV: &str = "SECRETS_TEST_MLOCK_IS_NOOP";

/// [`for_each_backend`] for a scenario that depends on `mlock` really locking (it counts locked
/// pages or reaches `RLIMIT_MEMLOCK`): when [`MLOCK_IS_NOOP_ENV`] is set, only the backends
/// whose pages the kernel locks itself (`memfd_secret`) run, and the others are named on
/// stdout as left out; otherwise every backend runs.
///
/// # Panics
/// As for [`for_each_backend`].
pub fn for_each_locking_backend(test_name: &str, body: impl FnOnce(Backend)) -> BackendOutcomes {
    if std::env::var_os(MLOCK_IS_NOOP_ENV).is_none() || is_child_of(test_name) {
        return for_each_backend(test_name, body);
    }
    check_caller(test_name);
    let backends: Vec<Backend> = BACKENDS
        .iter()
        .copied()
        .filter(|&backend| backend == Backend::MemfdSecret)
        .collect();
    println!(
        "{test_name}: {MLOCK_IS_NOOP_ENV} is set (mlock does nothing in this build): running \
         under {} only",
        backends
            .iter()
            .map(|&b| backend_name(b))
            .collect::<Vec<_>>()
            .join(", ")
    );
    run_children(test_name, &backends)
}

/// Runs `body` once per backend of [`BACKENDS`], each time in a child process of its own that has
/// chosen that backend (with `set_backend`, before any secret exists) and passes it to `body`.
/// Returns the children's outcomes, for the test to check against each backend's expectations.
///
/// `test_name` is the calling test's name, as for [`in_child`]. The children run one after the
/// other; a backend this machine does not offer fails the test (its child cannot start).
///
/// # Panics
/// In the parent, if `test_name` is not the calling test's name or a child did not start
/// `body`. In the child, if the backend cannot be chosen.
pub fn for_each_backend(test_name: &str, body: impl FnOnce(Backend)) -> BackendOutcomes {
    if is_child_of(test_name) {
        let backend = backend_from_env();
        set_backend(backend).unwrap_or_else(|err| {
            panic!("cannot run `{test_name}` under {backend}: set_backend failed: {err}")
        });
        assert_eq!(
            active_backend(),
            backend,
            "set_backend succeeded but another backend is active"
        );
        start_scenario(test_name, Some(backend));
        body(backend);
        std::process::exit(0);
    }
    check_caller(test_name);
    run_children(test_name, &BACKENDS)
}

/// Runs the child of `test_name` once per backend of `backends`, one after the other, and
/// checks that each started its scenario.
fn run_children(test_name: &str, backends: &[Backend]) -> BackendOutcomes {
    let outcomes: Vec<ChildOutcome> = backends
        .iter()
        .map(|&backend| run_child(test_name, Some(backend)))
        .collect();
    let not_started: Vec<String> = outcomes
        .iter()
        .filter_map(|outcome| outcome.started().err())
        .collect();
    assert!(not_started.is_empty(), "{}", not_started.join("\n\n"));
    BackendOutcomes(outcomes)
}

/// Whether this process is the child that [`child_command`] (or [`in_child`], or
/// [`for_each_backend`]) started for `test_name`.
pub fn is_child_of(test_name: &str) -> bool {
    std::env::var(CHILD_ENV).as_deref() == Ok(test_name)
}

/// The command that re-executes the test binary as the child of `test_name` (the calling
/// test), for a test that must talk to its child while it runs (pipes, signals, a debugger
/// attached) rather than wait for it as [`in_child`] does. The child recognises itself with
/// [`is_child_of`]. No backend is chosen for it.
///
/// # Panics
/// If `test_name` is not the calling test's name.
#[track_caller]
pub fn child_command(test_name: &str) -> Command {
    check_caller(test_name);
    let exe = std::env::current_exe().expect("path of the test binary");
    let mut command = Command::new(exe);
    command
        .args([
            test_name,
            "--exact",
            "--nocapture",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, test_name)
        .env_remove(BACKEND_ENV);
    command
}

/// The backend named in [`BACKEND_ENV`].
fn backend_from_env() -> Backend {
    let name = std::env::var(BACKEND_ENV)
        .unwrap_or_else(|_| panic!("a child of for_each_backend without {BACKEND_ENV}"));
    BACKENDS
        .into_iter()
        .find(|&backend| backend_name(backend) == name)
        .unwrap_or_else(|| panic!("{BACKEND_ENV}={name:?} names no backend"))
}

fn started_line(test_name: &str, backend: Option<Backend>) -> String {
    format!(
        "{STARTED} test={test_name} backend={}",
        backend.map_or("(none)", backend_name)
    )
}

/// In the child, just before the scenario: no core files from crashes that must happen, and
/// the line that tells the parent the scenario started.
fn start_scenario(test_name: &str, backend: Option<Backend>) {
    disable_core_dumps();
    println!("{}", started_line(test_name, backend));
}

/// Fails unless `test_name` is the calling test's name: libtest runs each test on a thread
/// named after it. (A call from a thread of the test's own has no name to compare.)
#[track_caller]
fn check_caller(test_name: &str) {
    let current = std::thread::current();
    if let Some(thread) = current.name().filter(|&name| name != "main") {
        assert_eq!(
            thread, test_name,
            "the child would run `{test_name}`, but the calling test is `{thread}`"
        );
    }
}

fn run_child(test_name: &str, backend: Option<Backend>) -> ChildOutcome {
    let mut command = child_command(test_name);
    if let Some(backend) = backend {
        command.env(BACKEND_ENV, backend_name(backend));
    }
    let output = command.output().expect("re-execute the test binary");
    ChildOutcome {
        test_name: test_name.to_owned(),
        backend,
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

/// The text of a caught panic: its `String` or `&str` payload, or empty. Used by
/// [`crate::pool`] and [`crate::inherited`] (for `pooled`, `sealed`, `pooled_limits` and
/// `sealed_limits`) to check what a refused borrow says.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}
