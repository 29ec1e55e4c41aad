//! Terminals: `tcgetattr(3)`/`tcsetattr(3)` to switch echo off while a password is typed, and
//! `raise(3)`. (`read(2)` and `write(2)` on a borrowed descriptor are in `sys::fd`.)
//!
//! While an [`EchoOff`] guard lives, the terminal's local modes are changed like this, and the
//! saved modes come back when it is dropped (a panic included) or [`EchoOff::restore`]d:
//!
//! ```text
//!   flag / char     saved    while the password is typed
//!   ECHO            any      off    typed bytes are not shown
//!   ECHONL          any      on     the Enter key still moves to the next line
//!   ICANON          any      on     the line discipline keeps line editing (erase, kill)
//!   ISIG            any      off    Ctrl-C is a byte for us, not a SIGINT that kills the
//!                                   process with echo still off
//!   c_cc[VEOL]      any      VINTR  ... and that byte ends the line at once, so `read(2)`
//!                                   returns it without waiting for Enter
//! ```
//!
//! The caller restores the terminal first and only then sends itself the `SIGINT` that the
//! Ctrl-C would have sent ([`raise`]).
//!
//! A signal sent from outside (`kill(2)`) while the password is typed would end the process with
//! echo still off. So for each signal in [`FATAL_SIGNALS`] whose action is the default (to end
//! the process), the guard installs a handler that puts the saved modes back (`tcsetattr` is
//! async-signal-safe) and sends the signal again, now with its default action, which ends the
//! process as before. Signals the program handles or ignores are left alone: the program goes
//! on, and the guard restores the terminal when it is dropped. The handlers come off again when
//! the guard does. One guard at a time has them (there is one set of signal actions per process);
//! a second guard on another thread at the same time goes without.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicI32, Ordering};

use super::mem::errno;

/// Whether `fd` is a terminal (`isatty(3)`, through `std`).
pub(crate) fn is_terminal(fd: BorrowedFd<'_>) -> bool {
    std::io::IsTerminal::is_terminal(&fd)
}

/// What a Ctrl-C read as a byte needs done once the terminal is restored: raise the `SIGINT`
/// it would have sent with `ISIG` on, so the program is interrupted as it would have been (by
/// default it dies here). `raise` only fails for an invalid signal number, and SIGINT is valid.
/// (On Windows the control event has already been delivered, and this does nothing.)
pub(crate) fn pass_on_interrupt() {
    let _ = raise(libc::SIGINT);
}

/// `raise(3)`: sends `signal` to the calling thread. With the default action for `SIGINT` the
/// process ends here; the call returns if the signal is caught, ignored or blocked.
pub(crate) fn raise(signal: libc::c_int) -> Result<(), i32> {
    // SAFETY: `raise` has no memory-safety preconditions; what a handler does is the
    // program's own business, as for any signal.
    match unsafe { libc::raise(signal) } {
        0 => Ok(()),
        _ => Err(errno()),
    }
}

fn get_attr(fd: BorrowedFd<'_>) -> Result<libc::termios, i32> {
    let mut termios = MaybeUninit::<libc::termios>::uninit();
    // SAFETY: `termios` is valid for writes of one `termios`, which `tcgetattr` fills.
    match unsafe { libc::tcgetattr(fd.as_raw_fd(), termios.as_mut_ptr()) } {
        // SAFETY: `tcgetattr` succeeded, so it initialised the whole struct.
        0 => Ok(unsafe { termios.assume_init() }),
        _ => Err(errno()),
    }
}

/// `tcsetattr(fd, TCSAFLUSH, termios)`: applied once pending output is written, and input not
/// yet read is discarded (as `getpass(3)` and `readpassphrase(3)` do). Retried after EINTR,
/// which the wait for output can give.
fn set_attr(fd: BorrowedFd<'_>, termios: &libc::termios) -> Result<(), i32> {
    loop {
        // SAFETY: `termios` is a valid, initialised `termios` for `tcsetattr` to read.
        match unsafe { libc::tcsetattr(fd.as_raw_fd(), libc::TCSAFLUSH, termios) } {
            0 => return Ok(()),
            _ => match errno() {
                libc::EINTR => continue,
                errno => return Err(errno),
            },
        }
    }
}

/// The signals whose default action ends the process and that another process commonly sends:
/// caught while echo is off, so that the terminal is restored before the process ends.
/// (`SIGKILL` and `SIGSTOP` cannot be caught.)
pub(crate) const FATAL_SIGNALS: [libc::c_int; 7] = [
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTERM,
    libc::SIGALRM,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

/// What the signal handler needs: the terminal and its saved modes.
struct Restore {
    /// The terminal to restore; [`NO_TERMINAL`] when no guard has the handlers, [`CLAIMED`]
    /// while one is writing `saved`.
    fd: AtomicI32,
    /// Written only by the guard that moved `fd` from `NO_TERMINAL` to `CLAIMED`, before it
    /// publishes the descriptor; read only by the handler, after it sees the descriptor.
    saved: UnsafeCell<MaybeUninit<libc::termios>>,
}

const NO_TERMINAL: i32 = -1;
const CLAIMED: i32 = -2;

// SAFETY: `saved` is written only while `fd` is `CLAIMED`, by the one thread that claimed it,
// and read only once `fd` holds a descriptor (published with `Release`, seen with `Acquire`);
// it is not written again until `fd` is back to `NO_TERMINAL` and the handlers are gone.
unsafe impl Sync for Restore {}

static RESTORE: Restore = Restore {
    fd: AtomicI32::new(NO_TERMINAL),
    saved: UnsafeCell::new(MaybeUninit::uninit()),
};

/// The handler installed for [`FATAL_SIGNALS`] while echo is off.
extern "C" fn restore_then_die(signal: libc::c_int) {
    let fd = RESTORE.fd.load(Ordering::Acquire);
    if fd >= 0 {
        // SAFETY: `saved` was initialised before `fd` was published (see `Restore`), and
        // nothing writes it while `fd` is published, so a shared reference is sound.
        let saved = unsafe { &*RESTORE.saved.get() };
        // SAFETY: `saved` points at an initialised `termios`; `tcsetattr` only reads it. It is
        // async-signal-safe, and `TCSANOW` does not wait for output to drain.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, saved.as_ptr()) };
    }
    // SA_RESETHAND put the default action back when this handler was entered, and the signal
    // is blocked while it runs: sent again, it is delivered when the handler returns, and ends
    // the process as it would have without us. `raise` is async-signal-safe.
    // SAFETY: `raise` has no memory-safety preconditions.
    unsafe { libc::raise(signal) };
}

/// The handlers of [`restore_then_die`] installed by one guard, with the actions they replaced.
struct Handlers {
    replaced: Vec<(libc::c_int, libc::sigaction)>,
}

impl Handlers {
    /// Installs the handler for each of [`FATAL_SIGNALS`] whose action is the default, once
    /// `saved` (the modes of terminal `fd`) is where the handler finds it. `None` if another
    /// guard has the handlers.
    fn install(fd: BorrowedFd<'_>, saved: &libc::termios) -> Option<Handlers> {
        RESTORE
            .fd
            .compare_exchange(NO_TERMINAL, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        // SAFETY: this thread claimed `RESTORE`; no handler reads `saved` until `fd` is
        // published below.
        unsafe { (*RESTORE.saved.get()).write(*saved) };
        RESTORE.fd.store(fd.as_raw_fd(), Ordering::Release);
        // SAFETY: `sigaction` is plain integers, masks and a handler address; zero is a valid
        // starting value for each.
        let mut ours: libc::sigaction = unsafe { std::mem::zeroed() };
        ours.sa_sigaction = restore_then_die as extern "C" fn(libc::c_int) as libc::sighandler_t;
        ours.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
        let mut replaced = Vec::with_capacity(FATAL_SIGNALS.len());
        for signal in FATAL_SIGNALS {
            // SAFETY: as above.
            let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
            // SAFETY: `ours` is a valid action whose handler is async-signal-safe, and `old`
            // is valid for the kernel to fill.
            if unsafe { libc::sigaction(signal, &ours, &mut old) } != 0 {
                continue;
            }
            if old.sa_sigaction == libc::SIG_DFL {
                replaced.push((signal, old));
            } else {
                // The program handles or ignores this signal: give it its action back.
                // SAFETY: `old` is the action the kernel just returned.
                unsafe { libc::sigaction(signal, &old, std::ptr::null_mut()) };
            }
        }
        Some(Handlers { replaced })
    }
}

impl Drop for Handlers {
    /// Puts the replaced (default) actions back, then lets another guard claim the handlers.
    /// Called once the terminal is restored: a signal in between restores it again, harmlessly.
    fn drop(&mut self) {
        for (signal, old) in &self.replaced {
            // SAFETY: `old` is the action `install` replaced.
            unsafe { libc::sigaction(*signal, old, std::ptr::null_mut()) };
        }
        RESTORE.fd.store(NO_TERMINAL, Ordering::Release);
    }
}

/// A terminal with echo off (see the module doc for every change), restored when dropped.
pub(crate) struct EchoOff<'fd> {
    fd: BorrowedFd<'fd>,
    saved: libc::termios,
    interrupt: Option<u8>,
    /// Whether the saved modes still have to be put back.
    armed: bool,
    /// The signal handlers that restore the terminal before the process dies; dropped (so
    /// removed) right after the terminal is restored.
    handlers: Option<Handlers>,
}

/// A terminal call that failed: which one, and its `errno`. The layer above turns it into the
/// crate's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TerminalFailure {
    /// `tcgetattr` or `tcsetattr`.
    pub(crate) operation: &'static str,
    pub(crate) errno: i32,
}

impl<'fd> EchoOff<'fd> {
    /// Saves the modes of the terminal `fd` and switches echo and signal characters off.
    ///
    /// # Errors
    /// [`TerminalFailure`] naming `tcgetattr` (`fd` is not a terminal: ENOTTY) or `tcsetattr`
    /// (for instance EIO, the terminal hung up); the terminal is then left as it was.
    pub(crate) fn new(fd: BorrowedFd<'fd>) -> Result<Self, TerminalFailure> {
        let saved = get_attr(fd).map_err(|errno| TerminalFailure {
            operation: "tcgetattr",
            errno,
        })?;
        let mut quiet = saved;
        quiet.c_lflag &= !(libc::ECHO | libc::ISIG);
        quiet.c_lflag |= libc::ICANON | libc::ECHONL;
        let intr = saved.c_cc[libc::VINTR];
        let interrupt = (intr != libc::_POSIX_VDISABLE).then_some(intr);
        if let Some(intr) = interrupt {
            quiet.c_cc[libc::VEOL] = intr;
        }
        // Armed before the change, so a partial failure is undone as well; the handlers are
        // in place before it too, so no signal finds echo off without them.
        let guard = EchoOff {
            fd,
            saved,
            interrupt,
            armed: true,
            handlers: Handlers::install(fd, &saved),
        };
        set_attr(fd, &quiet).map_err(|errno| TerminalFailure {
            operation: "tcsetattr",
            errno,
        })?;
        Ok(guard)
    }

    /// The terminal's interrupt character (VINTR, normally Ctrl-C = 0x03), which now arrives as
    /// a byte that ends the line; `None` if the terminal has none.
    pub(crate) fn interrupt(&self) -> Option<u8> {
        self.interrupt
    }

    /// Puts the saved modes back, reporting a failure that `Drop` would have to swallow.
    ///
    /// # Errors
    /// [`TerminalFailure`] naming `tcsetattr`: the terminal may still have echo off.
    pub(crate) fn restore(mut self) -> Result<(), TerminalFailure> {
        self.armed = false;
        let restored = set_attr(self.fd, &self.saved).map_err(|errno| TerminalFailure {
            operation: "tcsetattr",
            errno,
        });
        self.handlers = None;
        restored
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        if self.armed {
            // Nothing can be reported from `drop` (during a panic, or after another error that
            // is already on its way to the caller); putting the modes back is all there is to do.
            let _ = set_attr(self.fd, &self.saved);
        }
        // Then the handlers go (also when `restore` already restored the terminal).
        self.handlers = None;
    }
}

#[cfg(test)]
// A test reports a broken precondition by panicking; the crate-wide lint is for library code.
#[allow(clippy::expect_used)]
mod tests {
    use std::ffi::CStr;
    use std::fs::{File, OpenOptions};
    use std::os::fd::{AsFd, FromRawFd};
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::{Mutex, PoisonError};

    use super::*;

    /// A fresh pseudo-terminal: (master, slave).
    fn open_pty() -> (File, File) {
        // SAFETY: `posix_openpt` takes only flags and returns a new descriptor or -1.
        let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
        assert!(master >= 0, "posix_openpt: errno {}", errno());
        // SAFETY: `master` is a new descriptor that nothing else owns.
        let master = unsafe { File::from_raw_fd(master) };
        // SAFETY: `grantpt` and `unlockpt` take an open pty master descriptor.
        assert_eq!(unsafe { libc::grantpt(master.as_raw_fd()) }, 0, "grantpt");
        // SAFETY: as above.
        assert_eq!(unsafe { libc::unlockpt(master.as_raw_fd()) }, 0, "unlockpt");
        // `ptsname` (macOS has no `ptsname_r`) returns a buffer of the C library's that the
        // next call overwrites: the lock keeps these tests (its only callers in this binary)
        // from calling it at once, and the name is copied out before the lock is released.
        static PTSNAME: Mutex<()> = Mutex::new(());
        let name = {
            let _only_caller = PTSNAME.lock().unwrap_or_else(PoisonError::into_inner);
            // SAFETY: `ptsname` takes an open pty master; it returns NULL or a path.
            let name = unsafe { libc::ptsname(master.as_raw_fd()) };
            assert!(!name.is_null(), "ptsname: errno {}", errno());
            // SAFETY: non-null, so a NUL-terminated path, not overwritten while the lock is
            // held.
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
            .expect("open pty slave");
        (master, slave)
    }

    fn lflag(fd: BorrowedFd<'_>) -> libc::tcflag_t {
        get_attr(fd).expect("tcgetattr").c_lflag
    }

    #[test]
    fn echo_off_changes_only_what_it_says_and_restores() {
        let (_master, slave) = open_pty();
        let before = get_attr(slave.as_fd()).expect("tcgetattr");
        assert_ne!(before.c_lflag & libc::ECHO, 0, "a new pty echoes");
        let guard = EchoOff::new(slave.as_fd()).expect("echo off");
        let during = get_attr(slave.as_fd()).expect("tcgetattr");
        assert_eq!(during.c_lflag & (libc::ECHO | libc::ISIG), 0);
        assert_eq!(
            during.c_lflag & (libc::ICANON | libc::ECHONL),
            libc::ICANON | libc::ECHONL
        );
        assert_eq!(during.c_cc[libc::VEOL], before.c_cc[libc::VINTR]);
        assert_eq!(guard.interrupt(), Some(0x03));
        guard.restore().expect("restore");
        let after = get_attr(slave.as_fd()).expect("tcgetattr");
        assert_eq!(after.c_lflag, before.c_lflag);
        assert_eq!(after.c_cc, before.c_cc);
    }

    #[test]
    fn a_panic_restores_echo_and_a_forgotten_guard_does_not() {
        let (_master, slave) = open_pty();
        let result = std::panic::catch_unwind(|| {
            let _guard = EchoOff::new(slave.as_fd()).expect("echo off");
            assert_eq!(lflag(slave.as_fd()) & libc::ECHO, 0);
            panic!("a panic while the password is read");
        });
        assert!(result.is_err());
        assert_ne!(
            lflag(slave.as_fd()) & libc::ECHO,
            0,
            "unwinding restored echo"
        );

        // Control: the same terminal, but nothing runs the guard's `Drop`.
        std::mem::forget(EchoOff::new(slave.as_fd()).expect("echo off"));
        assert_eq!(
            lflag(slave.as_fd()) & libc::ECHO,
            0,
            "without the guard's Drop, echo stays off"
        );
    }

    #[test]
    fn not_a_terminal_is_a_typed_error() {
        let file = File::open("/proc/self/status").expect("open a regular file");
        match EchoOff::new(file.as_fd()) {
            Err(TerminalFailure { operation, errno }) => {
                assert_eq!((operation, errno), ("tcgetattr", libc::ENOTTY));
            }
            Ok(_) => panic!("a regular file accepted as a terminal"),
        };
    }
}
