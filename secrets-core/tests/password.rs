//! `SecretString::read_line_from` on pipes, and `SecretString::read_password` typed by a parent
//! that plays the user on a real pseudo-terminal.
//!
//! A terminal test re-executes this test binary as a child (`SECRETS_PASSWORD_TEST_CHILD`
//! names the test, `--exact` selects it) whose standard input, output and error are the slave
//! side of a fresh pty, made its controlling terminal (`setsid` + `TIOCSCTTY`) as a login
//! would. The parent writes keystrokes to the master, reads what the terminal shows, and reads
//! the slave's `termios` after the child has ended. The child tells how its read went by its
//! exit code ([`read_and_report`]).
//!
//! A child whose standard input is a pipe (`cat key.pem | program`) still gets the pty as its
//! controlling terminal: the password must be typed there (`/dev/tty`), with echo off, and the
//! pipe's bytes must be left for the child to read after. A child started with `setsid` and
//! no pty has no controlling terminal: it falls back to one line of standard input, or
//! (`read_password_from_terminal`) refuses without reading it.
//!
//! Each terminal check has a control that shows it failing on an unprotected path: a child
//! that reads with echo on (the typed password shows up on the master), and a child that turns
//! echo off by hand and is killed by Ctrl-C (the terminal is left without echo), and a child
//! that reads its password from piped standard input (it gets the piped key's first line).

// POSIX-only: types passwords into ptys (posix_openpt, setsid, process groups).
#![cfg(unix)]

use std::ffi::CStr;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use secrets_core::{Error, PasswordSource, SecretString, SecretVec};

// ---------------------------------------------------------------------------------------------
// Pipes

/// The read end of a pipe that holds `input`, its write end already closed.
fn pipe_with(input: &[u8]) -> File {
    assert!(input.len() < 65536, "more than a pipe buffer would block");
    // Close-on-exec, on every OS (`pipe2` is not on macOS).
    let (reader, mut writer) = std::io::pipe().expect("pipe");
    writer.write_all(input).expect("write into the pipe");
    File::from(OwnedFd::from(reader))
}

fn line_from(input: &[u8], max_len: usize) -> Result<SecretString, Error> {
    SecretString::read_line_from(pipe_with(input), max_len)
}

#[test]
fn a_line_from_a_pipe() {
    let password = line_from(b"hunter2\n", 64).expect("read");
    assert_eq!(&*password.borrow(), "hunter2");
    assert_eq!(password.len(), 7);
}

#[test]
fn crlf_ending_is_stripped() {
    assert_eq!(&*line_from(b"pass\r\n", 64).expect("read").borrow(), "pass");
    // Only the one '\r' of the ending: one inside the line stays.
    assert_eq!(&*line_from(b"a\rb\r\n", 64).expect("read").borrow(), "a\rb");
}

#[test]
fn end_of_file_ends_the_line() {
    let text = line_from(b"no newline at EOF", 64).expect("read");
    assert_eq!(&*text.borrow(), "no newline at EOF");
}

#[test]
fn empty_input_and_empty_line_are_empty_strings() {
    assert!(line_from(b"", 64).expect("read").is_empty());
    assert!(line_from(b"\n", 64).expect("read").is_empty());
    assert!(line_from(b"\r\n", 64).expect("read").is_empty());
}

#[test]
fn non_utf8_line_is_refused() {
    assert_eq!(
        line_from(b"ok\xff\n", 64).unwrap_err(),
        Error::InvalidUtf8 { valid_up_to: 2 }
    );
    // Control: multi-byte UTF-8 is accepted, so the refusal is about validity, not ASCII.
    assert_eq!(
        &*line_from("pässwörd\n".as_bytes(), 64)
            .expect("read")
            .borrow(),
        "pässwörd"
    );
}

#[test]
fn a_line_over_max_len_is_too_long_and_one_at_max_len_is_not() {
    assert_eq!(
        line_from(b"123456789\n", 8).unwrap_err(),
        Error::TooLong { limit: 8 }
    );
    assert_eq!(
        line_from(b"123456789", 8).unwrap_err(),
        Error::TooLong { limit: 8 }
    );
    // Far longer than the limit: reading stops early rather than buffering it all.
    assert_eq!(
        line_from(&[b'x'; 5000], 8).unwrap_err(),
        Error::TooLong { limit: 8 }
    );
    // The boundary: exactly `max_len` bytes, with either line ending, or at end of file.
    assert_eq!(
        &*line_from(b"12345678\n", 8).expect("read").borrow(),
        "12345678"
    );
    assert_eq!(
        &*line_from(b"12345678\r\n", 8).expect("read").borrow(),
        "12345678"
    );
    assert_eq!(
        &*line_from(b"12345678", 8).expect("read").borrow(),
        "12345678"
    );
    assert!(line_from(b"\n", 0).expect("read").is_empty());
    assert_eq!(
        line_from(b"x\n", 0).unwrap_err(),
        Error::TooLong { limit: 0 }
    );
}

#[test]
fn a_long_line_survives_several_growths() {
    // 10,000 bytes: the 64-byte buffer doubles eight times; any byte lost or misplaced in a
    // copy shows up in the comparison, since every position has a known letter.
    let line: String = (0..10_000u32)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let input = format!("{line}\nnext");
    let text = line_from(input.as_bytes(), 10_000).expect("read");
    assert_eq!(text.len(), 10_000);
    assert!(*text.borrow() == line, "the long line came back altered");
    assert_eq!(
        line_from(input.as_bytes(), 9_999).unwrap_err(),
        Error::TooLong { limit: 9_999 }
    );
}

#[test]
fn nothing_past_the_newline_is_consumed() {
    let mut pipe = pipe_with(b"hunter2\nrest of the input\n");
    let password = SecretString::read_line_from(&pipe, 64).expect("read");
    assert_eq!(&*password.borrow(), "hunter2");
    let mut rest = String::new();
    pipe.read_to_string(&mut rest).expect("read the rest");
    assert_eq!(rest, "rest of the input\n");

    // Control: a buffered reader (what `std::io::stdin().read_line` uses) takes more than the
    // line from the descriptor, so another reader of it finds the rest gone.
    let mut pipe = pipe_with(b"hunter2\nrest of the input\n");
    let mut line = String::new();
    BufReader::new(&pipe)
        .read_line(&mut line)
        .expect("read_line");
    assert_eq!(line, "hunter2\n");
    let mut rest = String::new();
    pipe.read_to_string(&mut rest).expect("read the rest");
    assert_eq!(rest, "", "the buffered reader swallowed the rest");
}

// ---------------------------------------------------------------------------------------------
// Children

/// Marks a re-executed test binary as the child of the test it names.
const CHILD_ENV: &str = "SECRETS_PASSWORD_TEST_CHILD";

/// How long a terminal scenario may take before the parent gives up and kills the child.
const DEADLINE: Duration = Duration::from_secs(10);

/// In the child re-executed for `test`, runs `body` and exits with the code it returns; in the
/// parent, returns at once.
fn child_part(test: &str, body: impl FnOnce() -> i32) {
    if std::env::var(CHILD_ENV).as_deref() == Ok(test) {
        let code = body();
        std::process::exit(code);
    }
}

/// The exit codes of [`read_and_report`].
const READ_AS_EXPECTED: i32 = 0;
const READ_SOMETHING_ELSE: i32 = 1;
const READ_INTERRUPTED: i32 = 2;
const READ_FAILED: i32 = 3;

/// Child side: `read_password("Password: ")`, and whether it gave `expected`, as an exit code.
/// Nothing the child prints contains what it read.
fn read_and_report(expected: &str) -> i32 {
    match SecretString::read_password("Password: ") {
        Ok(password) if *password.borrow() == *expected => READ_AS_EXPECTED,
        Ok(password) => {
            eprintln!(
                "child: read {} bytes, not the expected ones",
                password.len()
            );
            READ_SOMETHING_ELSE
        }
        Err(Error::Interrupted) => READ_INTERRUPTED,
        Err(err) => {
            eprintln!("child: {err}");
            READ_FAILED
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Terminals

/// A fresh pseudo-terminal: the master the parent types into, and the slave the child uses.
fn open_pty() -> (File, File) {
    // SAFETY: `posix_openpt` takes only flags and returns a new descriptor or -1.
    let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
    assert!(
        master >= 0,
        "posix_openpt: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `master` is a new descriptor owned by nothing else.
    let master = unsafe { File::from_raw_fd(master) };
    // SAFETY: `grantpt` and `unlockpt` take an open pty master.
    assert_eq!(unsafe { libc::grantpt(master.as_raw_fd()) }, 0, "grantpt");
    // SAFETY: as above.
    assert_eq!(unsafe { libc::unlockpt(master.as_raw_fd()) }, 0, "unlockpt");
    // `ptsname` (macOS has no `ptsname_r`) returns a buffer of the C library's that the next
    // call overwrites: the lock keeps the tests of this binary (its only callers) from calling
    // it at once, and the name is copied out before the lock is released.
    static PTSNAME: Mutex<()> = Mutex::new(());
    let name = {
        let _only_caller = PTSNAME.lock().unwrap_or_else(PoisonError::into_inner);
        // SAFETY: `ptsname` takes an open pty master; it returns NULL or a NUL-terminated path.
        let name = unsafe { libc::ptsname(master.as_raw_fd()) };
        assert!(
            !name.is_null(),
            "ptsname: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: non-null, so a NUL-terminated path, not overwritten while the lock is held.
        unsafe { CStr::from_ptr(name) }
            .to_str()
            .expect("pty path is UTF-8")
            .to_owned()
    };
    let slave = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(&name)
        .expect("open the pty slave");
    (master, slave)
}

/// The terminal settings of `tty`.
fn termios(tty: &impl AsRawFd) -> libc::termios {
    let mut termios = MaybeUninit::<libc::termios>::uninit();
    // SAFETY: `termios` is valid for writes of one `termios`.
    let ret = unsafe { libc::tcgetattr(tty.as_raw_fd(), termios.as_mut_ptr()) };
    assert_eq!(ret, 0, "tcgetattr: {}", std::io::Error::last_os_error());
    // SAFETY: `tcgetattr` succeeded and filled it.
    unsafe { termios.assume_init() }
}

fn echoes(tty: &impl AsRawFd) -> bool {
    termios(tty).c_lflag & libc::ECHO != 0
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A child on a pty, and what its terminal has shown so far.
struct Session {
    child: Child,
    master: File,
    /// Kept open so the terminal outlives the child and its settings can be read afterwards.
    slave: File,
    /// The slave's settings before the child started.
    before: libc::termios,
    shown: Vec<u8>,
    deadline: Instant,
}

impl Session {
    /// Re-executes this test binary for `test` with the slave of a new pty as its controlling
    /// terminal and its standard input, output and error.
    fn start(test: &str) -> Session {
        Session::start_with_stdin(test, None)
    }

    /// [`start`](Self::start), with `stdin` (a pipe, say) as standard input instead of the
    /// terminal when given: the pty is still the controlling terminal (`/dev/tty`).
    fn start_with_stdin(test: &str, stdin: Option<File>) -> Session {
        let (master, slave) = open_pty();
        let before = termios(&slave);
        let stdio = || Stdio::from(slave.try_clone().expect("dup the slave"));
        let mut command = Command::new(std::env::current_exe().expect("test binary"));
        command
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, test)
            .stdin(stdin.map_or_else(stdio, Stdio::from))
            .stdout(stdio())
            .stderr(stdio());
        let become_session_leader = || {
            // SAFETY: `setsid` has no preconditions and is async-signal-safe.
            if unsafe { libc::setsid() } < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // SAFETY: `TIOCSCTTY` on stdout (always the pty) takes an integer argument, no
            // pointer. (`as _`: the request's type differs between C libraries.)
            if unsafe { libc::ioctl(1, libc::TIOCSCTTY as _, 0) } < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        };
        // SAFETY: the hook runs in the child between fork and exec and calls only
        // async-signal-safe functions (`setsid`, `ioctl`), touching no shared memory.
        unsafe { command.pre_exec(become_session_leader) };
        let child = command.spawn().expect("re-execute the test binary");
        Session {
            child,
            master,
            slave,
            before,
            shown: Vec::new(),
            deadline: Instant::now() + DEADLINE,
        }
    }

    fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.shown).into_owned()
    }

    /// Waits up to `wait` for the terminal to show something and adds it to `shown`; whether
    /// anything came.
    fn read_some(&mut self, wait: Duration) -> bool {
        let mut poll = libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = libc::c_int::try_from(wait.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `poll` is one valid `pollfd` for the call to read and update.
        let ready = unsafe { libc::poll(&mut poll, 1, millis) };
        if ready <= 0 || poll.revents & libc::POLLIN == 0 {
            return false;
        }
        let mut chunk = [0; 4096];
        match self.master.read(&mut chunk) {
            Ok(n) if n > 0 => {
                self.shown.extend_from_slice(&chunk[..n]);
                true
            }
            _ => false,
        }
    }

    /// Reads until the terminal has shown `text`; the offset just past its first appearance.
    fn wait_for(&mut self, text: &str) -> usize {
        loop {
            if let Some(at) = self
                .shown
                .windows(text.len())
                .position(|w| w == text.as_bytes())
            {
                return at + text.len();
            }
            if Instant::now() > self.deadline {
                panic!(
                    "timed out waiting for {text:?}; the terminal showed {:?}",
                    self.transcript()
                );
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                self.read_some(Duration::from_millis(50));
                if !contains(&self.shown, text.as_bytes()) {
                    panic!(
                        "the child ended ({status:?}) before showing {text:?}; \
                         the terminal showed {:?}",
                        self.transcript()
                    );
                }
            }
            self.read_some(Duration::from_millis(50));
        }
    }

    /// Sends `signal` to the child, as another process would with `kill(1)`.
    fn send(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid fits pid_t");
        // SAFETY: `kill` takes plain integers; the child is ours and not yet reaped.
        let ret = unsafe { libc::kill(pid, signal) };
        assert_eq!(ret, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// Types `keys` on the terminal.
    fn type_keys(&mut self, keys: &[u8]) {
        self.master
            .write_all(keys)
            .expect("write to the pty master");
    }

    /// Waits for the child to end (reading the terminal meanwhile, so it never blocks on
    /// output), then reads what is left to show.
    fn finish(&mut self) -> ExitStatus {
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                while self.read_some(Duration::from_millis(50)) {}
                return status;
            }
            if Instant::now() > self.deadline {
                panic!(
                    "timed out waiting for the child to end; the terminal showed {:?}",
                    self.transcript()
                );
            }
            self.read_some(Duration::from_millis(20));
        }
    }

    /// Types `hunter2` and Enter after the prompt that ended at `prompt_end`, waits for the
    /// child, and checks what a hidden password read must give: the child read it, nothing of
    /// it showed (only the Enter, as "\r\n": ECHONL with the pty's ONLCR), and the terminal
    /// is back as it was.
    #[track_caller]
    fn type_password_unseen(&mut self, prompt_end: usize) {
        self.type_keys(b"hunter2\n");
        let status = self.finish();
        assert_exit_code(self, status, READ_AS_EXPECTED);
        let after_prompt = &self.shown[prompt_end..];
        assert!(
            !contains(after_prompt, b"hunter"),
            "the password was echoed: {:?}",
            self.transcript()
        );
        assert!(after_prompt.starts_with(b"\r\n"), "{:?}", self.transcript());
        self.assert_terminal_restored();
    }

    /// Panics unless the slave's settings are back to what they were before the child ran.
    #[track_caller]
    fn assert_terminal_restored(&self) {
        let after = termios(&self.slave);
        assert_ne!(after.c_lflag & libc::ECHO, 0, "echo left off");
        assert_eq!(
            after.c_lflag, self.before.c_lflag,
            "local modes not restored"
        );
        assert_eq!(after.c_iflag, self.before.c_iflag, "input modes changed");
        assert_eq!(
            after.c_cc, self.before.c_cc,
            "control characters not restored"
        );
    }
}

impl Drop for Session {
    /// A child is always reaped, also when an assertion fails first (`kill` does nothing to a
    /// child already waited for).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[track_caller]
fn assert_exit_code(session: &Session, status: ExitStatus, code: i32) {
    assert_eq!(
        status.code(),
        Some(code),
        "child ended with {status:?}; the terminal showed {:?}",
        session.transcript()
    );
}

#[test]
fn typed_password_is_not_echoed_and_the_terminal_is_restored() {
    child_part(
        "typed_password_is_not_echoed_and_the_terminal_is_restored",
        || read_and_report("hunter2"),
    );
    let mut session = Session::start("typed_password_is_not_echoed_and_the_terminal_is_restored");
    let prompt_end = session.wait_for("Password: ");
    session.type_password_unseen(prompt_end);
}

#[test]
fn control_a_line_read_with_echo_on_is_shown() {
    child_part("control_a_line_read_with_echo_on_is_shown", || {
        eprint!("Password: ");
        match SecretString::read_line_from(std::io::stdin(), 64) {
            Ok(line) if &*line.borrow() == "hunter2" => READ_AS_EXPECTED,
            _ => READ_FAILED,
        }
    });
    let mut session = Session::start("control_a_line_read_with_echo_on_is_shown");
    let prompt_end = session.wait_for("Password: ");
    session.type_keys(b"hunter2\n");
    let status = session.finish();
    assert_exit_code(&session, status, READ_AS_EXPECTED);
    assert!(
        contains(&session.shown[prompt_end..], b"hunter2"),
        "with echo on the typed text must show, or the echo check above proves nothing: {:?}",
        session.transcript()
    );
}

#[test]
fn line_editing_still_works_with_echo_off() {
    child_part("line_editing_still_works_with_echo_off", || {
        read_and_report("hunter2")
    });
    let mut session = Session::start("line_editing_still_works_with_echo_off");
    session.wait_for("Password: ");
    // ICANON is kept: the terminal's erase character (DEL) takes back the '3' before we see it.
    session.type_keys(b"hunter3\x7f2\n");
    let status = session.finish();
    assert_exit_code(&session, status, READ_AS_EXPECTED);
    session.assert_terminal_restored();
}

#[test]
fn ctrl_d_at_the_prompt_gives_an_empty_password() {
    child_part("ctrl_d_at_the_prompt_gives_an_empty_password", || {
        read_and_report("")
    });
    let mut session = Session::start("ctrl_d_at_the_prompt_gives_an_empty_password");
    let prompt_end = session.wait_for("Password: ");
    session.type_keys(b"\x04");
    let status = session.finish();
    assert_exit_code(&session, status, READ_AS_EXPECTED);
    // No Enter was echoed, so `read_password` ended the prompt's line itself.
    assert!(
        session.shown[prompt_end..].starts_with(b"\r\n"),
        "{:?}",
        session.transcript()
    );
    session.assert_terminal_restored();
}

#[test]
fn ctrl_c_at_the_prompt_restores_the_terminal_then_dies_of_sigint() {
    child_part(
        "ctrl_c_at_the_prompt_restores_the_terminal_then_dies_of_sigint",
        || {
            let code = read_and_report("hunter2");
            eprintln!("child: read_password returned after Ctrl-C");
            code
        },
    );
    let mut session =
        Session::start("ctrl_c_at_the_prompt_restores_the_terminal_then_dies_of_sigint");
    let prompt_end = session.wait_for("Password: ");
    session.type_keys(b"hun\x03");
    let status = session.finish();
    assert_eq!(
        status.signal(),
        Some(libc::SIGINT),
        "child ended with {status:?}; the terminal showed {:?}",
        session.transcript()
    );
    // Killed by the SIGINT it raised itself once the terminal was back: the newline it wrote
    // shows that `read_password` saw the Ctrl-C (ISIG was off, so the kernel sent nothing).
    assert!(
        session.shown[prompt_end..].starts_with(b"\r\n"),
        "{:?}",
        session.transcript()
    );
    assert!(!contains(&session.shown, b"returned after Ctrl-C"));
    session.assert_terminal_restored();
}

#[test]
fn ctrl_c_with_sigint_ignored_returns_interrupted() {
    child_part("ctrl_c_with_sigint_ignored_returns_interrupted", || {
        // SAFETY: SIG_IGN installs no handler code; nothing else in this child uses SIGINT.
        unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
        read_and_report("hunter2")
    });
    let mut session = Session::start("ctrl_c_with_sigint_ignored_returns_interrupted");
    session.wait_for("Password: ");
    session.type_keys(b"hunter2\x03");
    let status = session.finish();
    assert_exit_code(&session, status, READ_INTERRUPTED);
    session.assert_terminal_restored();
}

/// The controls' child: the naive way to read a password, which clears ECHO, keeps ISIG and
/// would restore the terminal after the read (never reached: the child is killed first).
fn echo_off_by_hand_then_read() -> i32 {
    let stdin = std::io::stdin();
    let mut quiet = termios(&stdin);
    quiet.c_lflag &= !libc::ECHO;
    // SAFETY: `quiet` is a valid termios read from this terminal.
    let ret = unsafe { libc::tcsetattr(stdin.as_raw_fd(), libc::TCSAFLUSH, &quiet) };
    assert_eq!(ret, 0, "tcsetattr");
    eprint!("Password: ");
    let _ = SecretString::read_line_from(&stdin, 64);
    READ_FAILED
}

#[test]
fn control_echo_off_by_hand_killed_by_ctrl_c_leaves_echo_off() {
    control_killed_with_echo_off(
        "control_echo_off_by_hand_killed_by_ctrl_c_leaves_echo_off",
        libc::SIGINT,
        |session| session.type_keys(b"hun\x03"),
    );
}

/// A control: the child of `test` turns echo off by hand, `kill` makes it die of `signal`, and
/// the terminal is left silent, which is what the restore checks would catch.
fn control_killed_with_echo_off(test: &str, signal: libc::c_int, kill: impl FnOnce(&mut Session)) {
    child_part(test, echo_off_by_hand_then_read);
    let mut session = Session::start(test);
    session.wait_for("Password: ");
    assert!(!echoes(&session.slave), "the child turned echo off");
    kill(&mut session);
    let status = session.finish();
    assert_eq!(status.signal(), Some(signal), "{:?}", session.transcript());
    assert!(
        !echoes(&session.slave),
        "a child killed with echo off leaves the terminal silent"
    );
}

/// The handler of `signal` in this process (`SIG_DFL`, `SIG_IGN` or a function's address).
fn action_of(signal: libc::c_int) -> libc::sighandler_t {
    // SAFETY: a zeroed `sigaction` is a valid place for the kernel to write the current action.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only queries; `action` is valid for writes.
    let ret = unsafe { libc::sigaction(signal, std::ptr::null(), &mut action) };
    assert_eq!(ret, 0, "sigaction: {}", std::io::Error::last_os_error());
    action.sa_sigaction
}

/// The exit code of a child whose `read_password` left a signal handler behind.
const HANDLER_LEFT: i32 = 4;

/// Signals sent from another process while the prompt waits: the terminal is restored, and the
/// child dies of the signal it was sent, as it would have without `read_password`.
fn killed_at_the_prompt(test: &str, signal: libc::c_int) {
    child_part(test, || {
        let code = read_and_report("hunter2");
        eprintln!("child: read_password returned after a signal");
        code
    });
    let mut session = Session::start(test);
    session.wait_for("Password: ");
    assert!(!echoes(&session.slave), "echo is off at the prompt");
    session.type_keys(b"hun");
    session.send(signal);
    let status = session.finish();
    assert_eq!(
        status.signal(),
        Some(signal),
        "child ended with {status:?}; the terminal showed {:?}",
        session.transcript()
    );
    assert!(!contains(&session.shown, b"returned after a signal"));
    session.assert_terminal_restored();
}

#[test]
fn sigterm_from_another_process_restores_the_terminal_then_kills() {
    killed_at_the_prompt(
        "sigterm_from_another_process_restores_the_terminal_then_kills",
        libc::SIGTERM,
    );
}

#[test]
fn sigint_from_another_process_restores_the_terminal_then_kills() {
    killed_at_the_prompt(
        "sigint_from_another_process_restores_the_terminal_then_kills",
        libc::SIGINT,
    );
}

#[test]
fn sighup_restores_the_terminal_then_kills() {
    killed_at_the_prompt("sighup_restores_the_terminal_then_kills", libc::SIGHUP);
}

#[test]
fn a_signal_the_program_ignores_is_left_alone_and_handlers_are_removed() {
    child_part(
        "a_signal_the_program_ignores_is_left_alone_and_handlers_are_removed",
        || {
            // SAFETY: SIG_IGN installs no handler code; nothing else in this child uses SIGTERM.
            unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
            let code = read_and_report("hunter2");
            if action_of(libc::SIGTERM) != libc::SIG_IGN {
                eprintln!("child: SIGTERM is no longer ignored");
                return HANDLER_LEFT;
            }
            if action_of(libc::SIGINT) != libc::SIG_DFL || action_of(libc::SIGHUP) != libc::SIG_DFL
            {
                eprintln!("child: a handler outlived read_password");
                return HANDLER_LEFT;
            }
            code
        },
    );
    let mut session =
        Session::start("a_signal_the_program_ignores_is_left_alone_and_handlers_are_removed");
    session.wait_for("Password: ");
    session.type_keys(b"hunter");
    // Ignored by the program, so it must go on reading.
    session.send(libc::SIGTERM);
    session.type_keys(b"2\n");
    let status = session.finish();
    assert_exit_code(&session, status, READ_AS_EXPECTED);
    session.assert_terminal_restored();
}

#[test]
fn control_echo_off_by_hand_killed_by_sigterm_leaves_echo_off() {
    control_killed_with_echo_off(
        "control_echo_off_by_hand_killed_by_sigterm_leaves_echo_off",
        libc::SIGTERM,
        |session| session.send(libc::SIGTERM),
    );
}

// ---------------------------------------------------------------------------------------------
// Standard input piped, the password typed on the controlling terminal

/// What `cat key.pem | program` puts on the program's standard input.
const PIPED_SECRET: &[u8] =
    b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA\n-----END PRIVATE KEY-----\n";

/// The exit code of a child that found standard input consumed or changed.
const STDIN_TOUCHED: i32 = 5;
/// The exit code of a child that read the password from somewhere unexpected.
const WRONG_SOURCE: i32 = 6;
/// The exit code of a child that has a controlling terminal where it should have none.
const HAS_A_TERMINAL: i32 = 7;

/// Child side: whether all of standard input is still [`PIPED_SECRET`], read into guarded
/// memory.
fn stdin_still_holds_the_piped_secret() -> bool {
    match SecretVec::<u8>::read_from_fd(std::io::stdin(), 4096) {
        Ok(rest) => *rest.borrow() == *PIPED_SECRET,
        Err(err) => {
            eprintln!("child: reading stdin: {err}");
            false
        }
    }
}

/// Points standard output and error at `/dev/null`, so that only `/dev/tty` reaches the pty.
fn silence_stdout_and_stderr() {
    let null = OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .expect("open /dev/null");
    for fd in [1, 2] {
        // SAFETY: `dup2` takes two descriptors; `null` is open and `fd` is replaced atomically.
        let ret = unsafe { libc::dup2(null.as_raw_fd(), fd) };
        assert_eq!(ret, fd, "dup2: {}", std::io::Error::last_os_error());
    }
}

#[test]
fn piped_stdin_is_left_alone_and_the_password_is_typed_on_the_controlling_terminal() {
    const TEST: &str =
        "piped_stdin_is_left_alone_and_the_password_is_typed_on_the_controlling_terminal";
    child_part(TEST, || {
        silence_stdout_and_stderr();
        match SecretString::read_password_with_source("Password: ") {
            Ok((password, PasswordSource::ControllingTerminal))
                if *password.borrow() == *"hunter2" =>
            {
                if stdin_still_holds_the_piped_secret() {
                    READ_AS_EXPECTED
                } else {
                    STDIN_TOUCHED
                }
            }
            Ok((_, PasswordSource::ControllingTerminal)) => READ_SOMETHING_ELSE,
            Ok(_) => WRONG_SOURCE,
            Err(Error::Interrupted) => READ_INTERRUPTED,
            Err(_) => READ_FAILED,
        }
    });
    let mut session = Session::start_with_stdin(TEST, Some(pipe_with(PIPED_SECRET)));
    // Standard output and error go to /dev/null: the prompt can only come through /dev/tty.
    let prompt_end = session.wait_for("Password: ");
    assert!(
        !echoes(&session.slave),
        "echo is off on the controlling terminal"
    );
    session.type_password_unseen(prompt_end);
}

#[test]
fn control_piped_stdin_read_as_the_password_takes_the_secret() {
    // What `read_password` did before it knew `/dev/tty`: one line of standard input, which
    // here is the first line of the piped key, and nothing is typed.
    const TEST: &str = "control_piped_stdin_read_as_the_password_takes_the_secret";
    child_part(TEST, || {
        match SecretString::read_line_from(std::io::stdin(), SecretString::PASSWORD_MAX_LEN) {
            Ok(line) if *line.borrow() == *"-----BEGIN PRIVATE KEY-----" => READ_AS_EXPECTED,
            _ => READ_SOMETHING_ELSE,
        }
    });
    let mut session = Session::start_with_stdin(TEST, Some(pipe_with(PIPED_SECRET)));
    let status = session.finish();
    assert_exit_code(&session, status, READ_AS_EXPECTED);
}

#[test]
fn ctrl_c_on_the_controlling_terminal_restores_it_then_dies_of_sigint() {
    const TEST: &str = "ctrl_c_on_the_controlling_terminal_restores_it_then_dies_of_sigint";
    child_part(TEST, || read_and_report("hunter2"));
    let mut session = Session::start_with_stdin(TEST, Some(pipe_with(PIPED_SECRET)));
    session.wait_for("Password: ");
    assert!(
        !echoes(&session.slave),
        "echo is off on the controlling terminal"
    );
    session.type_keys(b"hun\x03");
    let status = session.finish();
    assert_eq!(
        status.signal(),
        Some(libc::SIGINT),
        "{:?}",
        session.transcript()
    );
    session.assert_terminal_restored();
}

/// Runs the child of `test` in a new session with no controlling terminal (`setsid`, no pty
/// opened), standard input a pipe holding `input`; its exit status and standard error.
fn run_without_a_terminal(test: &str, input: &[u8]) -> (ExitStatus, String) {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let new_session = || {
        // SAFETY: `setsid` has no preconditions and is async-signal-safe.
        if unsafe { libc::setsid() } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: the hook runs in the child between fork and exec and calls only `setsid`, which
    // is async-signal-safe and touches no shared memory.
    unsafe { command.pre_exec(new_session) };
    let mut child = command.spawn().expect("re-execute the test binary");
    child
        .stdin
        .take()
        .expect("stdin pipe")
        .write_all(input)
        .expect("write standard input");
    // Standard input is closed now, so no read in the child can wait for ever.
    let output = child.wait_with_output().expect("wait for the child");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Child side: `Some(code)` to exit with when the process has a controlling terminal after all
/// (then the test would prove nothing).
fn has_a_terminal() -> Option<i32> {
    match File::open("/dev/tty") {
        Err(err) if err.raw_os_error() == Some(libc::ENXIO) => None,
        _ => Some(HAS_A_TERMINAL),
    }
}

#[test]
fn piped_password_is_read_from_stdin_without_a_terminal_and_says_so() {
    const TEST: &str = "piped_password_is_read_from_stdin_without_a_terminal_and_says_so";
    child_part(TEST, || {
        if let Some(code) = has_a_terminal() {
            return code;
        }
        let code = match SecretString::read_password_with_source("Password: ") {
            Ok((password, PasswordSource::PlainStdin)) if *password.borrow() == *"hunter2" => {
                READ_AS_EXPECTED
            }
            Ok((_, PasswordSource::PlainStdin)) => READ_SOMETHING_ELSE,
            Ok(_) => WRONG_SOURCE,
            Err(_) => READ_FAILED,
        };
        let mut rest = String::new();
        match std::io::stdin().read_to_string(&mut rest) {
            Ok(_) if rest == "rest of stdin\n" => code,
            _ => STDIN_TOUCHED,
        }
    });
    let (status, stderr) = run_without_a_terminal(TEST, b"hunter2\nrest of stdin\n");
    assert_eq!(
        status.code(),
        Some(READ_AS_EXPECTED),
        "{status:?}: {stderr}"
    );
    assert!(
        stderr.contains("Password: \n"),
        "the prompt goes to stderr: {stderr}"
    );
}

#[test]
fn read_password_is_still_read_from_stdin_without_a_terminal() {
    const TEST: &str = "read_password_is_still_read_from_stdin_without_a_terminal";
    child_part(TEST, || {
        if let Some(code) = has_a_terminal() {
            return code;
        }
        read_and_report("hunter2")
    });
    let (status, stderr) = run_without_a_terminal(TEST, b"hunter2\n");
    assert_eq!(
        status.code(),
        Some(READ_AS_EXPECTED),
        "{status:?}: {stderr}"
    );
}

#[test]
fn from_terminal_only_refuses_without_a_terminal_and_leaves_stdin_unread() {
    const TEST: &str = "from_terminal_only_refuses_without_a_terminal_and_leaves_stdin_unread";
    child_part(TEST, || {
        if let Some(code) = has_a_terminal() {
            return code;
        }
        let code = match SecretString::read_password_from_terminal("Password: ") {
            Err(Error::NoTerminal) => READ_AS_EXPECTED,
            Ok(_) => WRONG_SOURCE,
            Err(_) => READ_FAILED,
        };
        if stdin_still_holds_the_piped_secret() {
            code
        } else {
            STDIN_TOUCHED
        }
    });
    let (status, stderr) = run_without_a_terminal(TEST, PIPED_SECRET);
    assert_eq!(
        status.code(),
        Some(READ_AS_EXPECTED),
        "{status:?}: {stderr}"
    );
    assert!(
        !stderr.contains("Password:"),
        "no prompt without a terminal: {stderr}"
    );
}

#[test]
fn from_terminal_only_reads_the_controlling_terminal() {
    const TEST: &str = "from_terminal_only_reads_the_controlling_terminal";
    child_part(TEST, || {
        match SecretString::read_password_from_terminal("Password: ") {
            Ok(password) if *password.borrow() == *"hunter2" => {
                if stdin_still_holds_the_piped_secret() {
                    READ_AS_EXPECTED
                } else {
                    STDIN_TOUCHED
                }
            }
            Ok(_) => READ_SOMETHING_ELSE,
            Err(_) => READ_FAILED,
        }
    });
    let mut session = Session::start_with_stdin(TEST, Some(pipe_with(PIPED_SECRET)));
    let prompt_end = session.wait_for("Password: ");
    assert!(
        !echoes(&session.slave),
        "echo is off on the controlling terminal"
    );
    session.type_password_unseen(prompt_end);
}

#[test]
fn a_terminal_on_stdin_is_reported_as_such() {
    const TEST: &str = "a_terminal_on_stdin_is_reported_as_such";
    child_part(TEST, || {
        match SecretString::read_password_with_source("Password: ") {
            Ok((password, PasswordSource::StdinTerminal)) if *password.borrow() == *"hunter2" => {
                READ_AS_EXPECTED
            }
            Ok((_, PasswordSource::StdinTerminal)) => READ_SOMETHING_ELSE,
            Ok(_) => WRONG_SOURCE,
            Err(_) => READ_FAILED,
        }
    });
    let mut session = Session::start(TEST);
    let prompt_end = session.wait_for("Password: ");
    session.type_password_unseen(prompt_end);
}
