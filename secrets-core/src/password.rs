//! Reading a password (or any line) straight into guarded memory.
//!
//! A typed password never passes through a `String`, a `Vec` or a stack buffer: `read(2)`
//! writes each byte into a guarded line buffer, and the finished line is copied, guarded to
//! guarded, into the [`SecretString`], whose constructor checks UTF-8 where the bytes lie.
//!
//! ```text
//!  read(2), one byte per call
//!        |
//!        v            full? a guarded buffer twice the size is made, the bytes
//!                     copied across, the old one zeroed and released
//!  [ guarded, 64 bytes ] ----> [ guarded, 128 bytes ] ----> ... ----> SecretString
//!                                                      try_new: exact length, UTF-8
//!                                                      checked in guarded memory
//!  stops at '\n' (a '\r' before it is dropped), at end of file, or past `max_len`
//! ```
//!
//! One byte per `read(2)` is what lets a program read its password from a pipe and then hand
//! the rest of standard input to someone else: nothing past the newline is consumed.
//!
//! [`SecretString::read_password`] reads from standard input if it is a terminal, else from the
//! controlling terminal (`/dev/tty`), so a secret piped to standard input is not taken for the
//! password; only a process with no terminal at all reads a line of its standard input
//! ([`PasswordSource`] says which happened). On a terminal, it switches echo off with a guard that puts the
//! terminal back on every way out (success, end of file, error, panic, Ctrl-C). The terminal
//! settings and the system calls are in `sys::terminal`; this module is safe code.
//!
//! Copies outside the process are beyond reach: the bytes pass through the kernel's pipe or
//! terminal buffer (and, for a terminal, whatever program sends the keystrokes).

use std::fs::{File, OpenOptions};
use std::io::IsTerminal;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::OpenOptionsExt;

use crate::stream::grow;
use crate::sys::fd;
use crate::sys::terminal::{self, EchoOff};
use crate::{Error, SecretString, SecretVec};

/// The size of the first line buffer; each growth doubles it.
const INITIAL_CAPACITY: usize = 64;

/// How a line ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Newline,
    EndOfFile,
}

/// A line in guarded memory: the first `len` bytes of `buf`, without the line ending.
struct Line {
    buf: SecretVec<u8>,
    len: usize,
    ending: Ending,
}

impl Line {
    /// The line as UTF-8 text in a guarded buffer of exactly its length.
    fn into_string(self) -> Result<SecretString, Error> {
        SecretString::try_new(self.len, |text| {
            text.copy_from_slice(&self.buf.borrow()[..self.len]);
            Ok::<(), Error>(())
        })
    }
}

/// Reads bytes into `open[*len..]` until the line ends (`Some`) or the buffer is full (`None`).
/// A byte equal to `interrupt` aborts the read.
fn fill(
    fd: BorrowedFd<'_>,
    open: &mut [u8],
    len: &mut usize,
    interrupt: Option<u8>,
) -> Result<Option<Ending>, Error> {
    while let Some(slot) = open.get_mut(*len) {
        let ending = match fd::read(fd, std::slice::from_mut(slot)) {
            Err(errno) => {
                return Err(Error::Terminal {
                    operation: "read",
                    errno,
                })
            }
            Ok(0) => Ending::EndOfFile,
            Ok(_) if *slot == b'\n' => Ending::Newline,
            Ok(_) if Some(*slot) == interrupt => return Err(Error::Interrupted),
            Ok(_) => {
                *len += 1;
                continue;
            }
        };
        if let Some(last) = len.checked_sub(1) {
            if open.get(last) == Some(&b'\r') {
                *len = last;
            }
        }
        return Ok(Some(ending));
    }
    Ok(None)
}

/// Reads one line from `fd` into guarded memory (see the module doc).
fn read_line(fd: BorrowedFd<'_>, max_len: usize, interrupt: Option<u8>) -> Result<Line, Error> {
    // The longest line allowed, a '\r' before its '\n', and the slot the '\n' is read into.
    let capacity_limit = max_len.saturating_add(2);
    let mut buf = SecretVec::<u8>::zero(INITIAL_CAPACITY.min(capacity_limit))?;
    let mut len = 0;
    let ending = loop {
        if let Some(ending) = fill(fd, &mut buf.borrow_mut(), &mut len, interrupt)? {
            break ending;
        }
        if len >= capacity_limit {
            return Err(Error::TooLong { limit: max_len });
        }
        // Dropping the old buffer (at the assignment) zeroes and releases it.
        buf = grow(&buf, len, len.saturating_mul(2).min(capacity_limit))?;
    };
    if len > max_len {
        return Err(Error::TooLong { limit: max_len });
    }
    Ok(Line { buf, len, ending })
}

impl SecretString {
    /// The longest password [`read_password`](Self::read_password) accepts, in bytes.
    ///
    /// A Linux terminal in line mode holds at most 4095 bytes of a line and drops what is typed
    /// beyond that, so from a terminal this limit is never reached; it bounds what a pipe can
    /// make the program read.
    pub const PASSWORD_MAX_LEN: usize = 4096;

    /// Shows `prompt` and reads a password from a terminal straight into guarded memory: from
    /// standard input if it is a terminal, otherwise from the controlling terminal
    /// (`/dev/tty`), and from standard input only when the process has no terminal at all.
    /// [`read_password_with_source`](Self::read_password_with_source) also says which was
    /// used; [`read_password_from_terminal`](Self::read_password_from_terminal) never reads
    /// standard input unless it is a terminal.
    ///
    /// So `cat secret.pem | vault add github` works: the piped secret stays on standard input
    /// for the program to read (e.g. with [`SecretVec::read_from_fd`]), and the password is
    /// typed on the terminal, as `ssh`, `sudo` and `gpg` do.
    ///
    /// **On a terminal** (standard input, or else `/dev/tty` opened with `O_NOCTTY`), echo is
    /// switched off before the prompt is shown and switched back on before this returns,
    /// whatever happens:
    ///
    /// * The prompt is written to that terminal (never to standard output: standard input,
    ///   which a shell, `ssh` or `sudo` opens read-write, or `/dev/tty`), or to standard error
    ///   if standard input is a read-only terminal.
    /// * Enter ends the password; the newline is still shown (`ECHONL`).
    /// * Ctrl-D on an empty line gives an **empty** password, like an empty line: callers that
    ///   refuse empty passwords check [`is_empty`](Self::is_empty). (Ctrl-D after some
    ///   characters hands them over without ending the line, as in any terminal program; a
    ///   second Ctrl-D ends it.)
    /// * Ctrl-C restores the terminal, then raises `SIGINT`, so the program is interrupted
    ///   exactly as it would have been (by default it dies of `SIGINT`). If a handler is
    ///   installed, or `SIGINT` is ignored or blocked, this returns [`Error::Interrupted`].
    /// * A panic while reading also restores the terminal (the restoring guard's `Drop`).
    /// * A signal from another process that would end the program (`SIGINT`, `SIGTERM`,
    ///   `SIGHUP`, `SIGQUIT`, `SIGALRM`, `SIGUSR1`, `SIGUSR2` with their default action)
    ///   restores the terminal first, then ends it as before. Signals the program handles or
    ///   ignores are left to it; the handlers are removed before this returns.
    ///
    /// **Without any terminal** (standard input is a pipe or a file and `/dev/tty` cannot be
    /// opened: ENXIO, the process has no controlling terminal, as under cron, systemd or
    /// `setsid`; or ENOENT, no `/dev/tty` in the container), the prompt goes to standard error
    /// (followed by a newline once the line is read) and one line is read from standard input,
    /// leaving everything after the newline untouched, so scripts and services can pipe a
    /// password in.
    ///
    /// The line ends at a newline (a `\r` before it is dropped) or at end of file, and may be
    /// at most [`PASSWORD_MAX_LEN`](Self::PASSWORD_MAX_LEN) bytes long.
    ///
    /// # Errors
    /// * [`Error::Interrupted`]: Ctrl-C, when `SIGINT` did not end the process;
    /// * [`Error::TooLong`]: the line is longer than `PASSWORD_MAX_LEN`;
    /// * [`Error::InvalidUtf8`]: the line is not UTF-8 (it is zeroed and released);
    /// * [`Error::Terminal`]: `tcgetattr`, `tcsetattr`, `write` (the prompt) or `read` failed
    ///   (EAGAIN: standard input is non-blocking, which is not supported). A failure to
    ///   restore the terminal after a successful read is reported too, since it may have been
    ///   left without echo; the password is then zeroed and dropped;
    /// * [`Error::Terminal`] with `operation: "open /dev/tty"` when `/dev/tty` fails to open
    ///   for a reason other than having no terminal (EACCES, EIO): nothing is read from
    ///   standard input then, since it may hold something other than the password;
    /// * an allocation error ([`Error::Map`], [`Error::Guard`], [`Error::Lock`]).
    ///
    /// # Limits
    /// * `SIGKILL` cannot be caught: it leaves the terminal with echo off (`stty sane` repairs
    ///   it). So does a signal whose own handler ends the program, and any signal while
    ///   another thread is reading a password at the same time (one prompt at a time gets the
    ///   handlers).
    /// * With `ISIG` off, Ctrl-\ and Ctrl-Z send no signal: they are read as bytes of the
    ///   password. The `VINTR` byte (Ctrl-C) always interrupts, even when quoted with Ctrl-V,
    ///   so a password cannot contain it. The terminal's `VEOL` character is used for the
    ///   Ctrl-C while the password is read.
    /// * Input typed after Enter but before the terminal is restored is discarded (as
    ///   `getpass(3)` does); so is the rest of a line that was too long.
    /// * Bytes that Rust's buffered [`std::io::stdin`] has already taken from the descriptor
    ///   are not seen: read the password before reading standard input through `std::io`.
    ///   Standard input's lock is held while reading, so other threads' `std::io` reads wait.
    /// * A program in a background process group is stopped (`SIGTTOU`) when it changes the
    ///   terminal, as any program that turns echo off is.
    /// * While `read(2)` waits, the line buffer is open for writing: the kernel writes into it.
    ///
    /// ```no_run
    /// use secrets_core::SecretString;
    ///
    /// let password = SecretString::read_password("Password: ")?;
    /// if password.is_empty() {
    ///     eprintln!("no password given");
    /// }
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn read_password(prompt: &str) -> Result<SecretString, Error> {
        Self::read_password_with_source(prompt).map(|(password, _)| password)
    }

    /// [`read_password`](Self::read_password), also saying where the password was read:
    /// a program can warn when it was read from a pipe ([`PasswordSource::PlainStdin`]), or
    /// know that standard input is still unread ([`PasswordSource::ControllingTerminal`]).
    ///
    /// # Errors
    /// As for [`read_password`](Self::read_password).
    ///
    /// ```no_run
    /// use secrets_core::{PasswordSource, SecretString, SecretVec};
    ///
    /// // `cat key.pem | program`: the key on standard input, the passphrase typed.
    /// let (passphrase, source) = SecretString::read_password_with_source("Passphrase: ")?;
    /// if source == PasswordSource::PlainStdin {
    ///     eprintln!("warning: no terminal; the passphrase was read from standard input");
    /// } else {
    ///     let key = SecretVec::<u8>::read_from_fd(std::io::stdin(), 64 * 1024)?;
    /// }
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn read_password_with_source(
        prompt: &str,
    ) -> Result<(SecretString, PasswordSource), Error> {
        read_password(prompt, true)
    }

    /// [`read_password`](Self::read_password) from a terminal only: standard input if it is a
    /// terminal, else the controlling terminal (`/dev/tty`); never a line of piped standard
    /// input, which is left untouched.
    ///
    /// # Errors
    /// [`Error::NoTerminal`] when the process has no terminal (nothing is read); otherwise as
    /// for [`read_password`](Self::read_password).
    ///
    /// ```no_run
    /// use secrets_core::{Error, SecretString};
    ///
    /// match SecretString::read_password_from_terminal("Password: ") {
    ///     Ok(password) => { /* typed, with echo off */ }
    ///     Err(Error::NoTerminal) => eprintln!("run this from a terminal"),
    ///     Err(err) => return Err(err),
    /// }
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn read_password_from_terminal(prompt: &str) -> Result<SecretString, Error> {
        read_password(prompt, false).map(|(password, _)| password)
    }
}

/// Where a password was read from: see [`SecretString::read_password_with_source`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordSource {
    /// Standard input, a terminal; echo was off while the password was typed.
    StdinTerminal,
    /// The controlling terminal (`/dev/tty`), because standard input is not a terminal (a
    /// pipe, a file, `/dev/null`); echo was off, and standard input was not read.
    ControllingTerminal,
    /// One line of standard input (a pipe, a file), because the process has no terminal at
    /// all; nothing was echoed, since nothing echoes a pipe.
    PlainStdin,
}

impl PasswordSource {
    /// Whether the password was typed on a terminal (with echo off).
    ///
    /// ```
    /// use secrets_core::PasswordSource;
    /// assert!(PasswordSource::ControllingTerminal.is_terminal());
    /// assert!(!PasswordSource::PlainStdin.is_terminal());
    /// ```
    pub fn is_terminal(self) -> bool {
        !matches!(self, PasswordSource::PlainStdin)
    }
}

/// The process's controlling terminal, opened read-write with `O_NOCTTY` (it is already ours;
/// the flag only keeps a process without one from acquiring a terminal here). `None` when
/// there is none: ENXIO (no controlling terminal) or ENOENT (no `/dev/tty`).
fn controlling_terminal() -> Result<Option<File>, Error> {
    match OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
        .open("/dev/tty")
    {
        Ok(tty) => Ok(Some(tty)),
        Err(err) if matches!(err.raw_os_error(), Some(libc::ENXIO | libc::ENOENT)) => Ok(None),
        Err(err) => Err(Error::Terminal {
            operation: "open /dev/tty",
            errno: err.raw_os_error().unwrap_or(libc::EIO),
        }),
    }
}

/// The body of [`SecretString::read_password_with_source`]; with `plain_stdin` false, a
/// process without a terminal gets [`Error::NoTerminal`].
fn read_password(prompt: &str, plain_stdin: bool) -> Result<(SecretString, PasswordSource), Error> {
    {
        let stdin = std::io::stdin().lock();
        if stdin.as_fd().is_terminal() {
            let password = read_from_terminal(stdin.as_fd(), prompt)?;
            return Ok((password, PasswordSource::StdinTerminal));
        }
    }
    if let Some(tty) = controlling_terminal()? {
        let password = read_from_terminal(tty.as_fd(), prompt)?;
        return Ok((password, PasswordSource::ControllingTerminal));
    }
    if !plain_stdin {
        return Err(Error::NoTerminal);
    }
    let stdin = std::io::stdin().lock();
    // Whoever pipes the password in may still watch standard error; a prompt that cannot be
    // shown there is no reason to refuse a password that can be read. Nothing echoes the piped
    // line, so the prompt's line is ended here.
    let stderr = std::io::stderr();
    if !prompt.is_empty() {
        let _ = fd::write_all(stderr.as_fd(), prompt.as_bytes());
    }
    let line = read_line(stdin.as_fd(), SecretString::PASSWORD_MAX_LEN, None);
    if !prompt.is_empty() {
        let _ = fd::write_all(stderr.as_fd(), b"\n");
    }
    Ok((line?.into_string()?, PasswordSource::PlainStdin))
}

impl SecretString {
    /// Reads one line from `fd` straight into guarded memory, one byte per `read(2)`, so
    /// nothing after the line is consumed.
    ///
    /// The line ends at a newline (not included; a `\r` just before it, or just before the end
    /// of file, is dropped too) or at end of file; empty input gives an empty string. Nothing
    /// about `fd` is changed: no prompt, no terminal settings (use
    /// [`read_password`](Self::read_password) for that).
    ///
    /// # Errors
    /// * [`Error::TooLong`] when the line (without its ending) is longer than `max_len` bytes:
    ///   reading stops at byte `max_len + 2`, the rest of the line is left unread;
    /// * [`Error::InvalidUtf8`]: the line is not UTF-8;
    /// * [`Error::Terminal`] with `operation: "read"` when `read(2)` fails, on a terminal or
    ///   not (EAGAIN: `fd` is non-blocking, which is not supported; EINTR is retried);
    /// * an allocation error ([`Error::Map`], [`Error::Guard`], [`Error::Lock`]).
    ///
    /// In every error case the bytes read so far are zeroed and released.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::os::unix::net::UnixStream;
    /// use secrets_core::{Error, SecretString};
    ///
    /// let (mut writer, mut reader) = UnixStream::pair()?;
    /// writer.write_all(b"hunter2\r\nnot a password\n")?;
    /// drop(writer);
    ///
    /// let password = SecretString::read_line_from(&reader, 64)?;
    /// assert_eq!(&*password.borrow(), "hunter2");
    ///
    /// let mut rest = String::new();
    /// reader.read_to_string(&mut rest)?; // what follows the line is still there
    /// assert_eq!(rest, "not a password\n");
    ///
    /// let (mut writer, reader) = UnixStream::pair()?;
    /// writer.write_all(b"far too long\n")?;
    /// let err = SecretString::read_line_from(&reader, 8).unwrap_err();
    /// assert_eq!(err, Error::TooLong { limit: 8 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_line_from(fd: impl AsFd, max_len: usize) -> Result<SecretString, Error> {
        read_line(fd.as_fd(), max_len, None)?.into_string()
    }
}

/// [`SecretString::read_password`] on the terminal `tty`: standard input, or `/dev/tty`.
fn read_from_terminal(tty: BorrowedFd<'_>, prompt: &str) -> Result<SecretString, Error> {
    let stderr = std::io::stderr();
    let echo_off = EchoOff::new(tty)?;
    // The prompt goes out after echo is off: whoever sees it can type without being echoed.
    let shown_on = match fd::write_all(tty, prompt.as_bytes()) {
        Ok(()) => tty,
        // Standard input was opened read-only.
        Err(libc::EBADF) => {
            fd::write_all(stderr.as_fd(), prompt.as_bytes()).map_err(|errno| Error::Terminal {
                operation: "write",
                errno,
            })?;
            stderr.as_fd()
        }
        Err(errno) => {
            return Err(Error::Terminal {
                operation: "write",
                errno,
            })
        }
    };
    let line = read_line(tty, SecretString::PASSWORD_MAX_LEN, echo_off.interrupt());
    if !matches!(&line, Ok(line) if line.ending == Ending::Newline) {
        // `ECHONL` showed no newline: leave the prompt's line as Enter would have. Only
        // cosmetic, so a failure is not worth reporting over the outcome of the read.
        let _ = fd::write_all(shown_on, b"\n");
    }
    match line {
        Ok(line) => {
            echo_off.restore()?;
            line.into_string()
        }
        Err(Error::Interrupted) => {
            // The terminal first: if SIGINT ends the process, nothing runs after `raise`.
            drop(echo_off);
            // What Ctrl-C would have done with `ISIG` on. `raise` only fails for an invalid
            // signal number, and SIGINT is valid.
            let _ = terminal::raise(libc::SIGINT);
            Err(Error::Interrupted)
        }
        // `echo_off` is dropped on the way out, which restores the terminal.
        Err(err) => Err(err),
    }
}
