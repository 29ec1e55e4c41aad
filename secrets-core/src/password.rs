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
//! ([`PasswordSource`] says which happened). On a terminal, it switches echo off with a guard
//! that puts the terminal back on every way out (success, end of file, error, panic, Ctrl-C).
//! The terminal settings and the system calls are in `sys::terminal`; this module is safe code.
//!
//! On Windows the terminal is the console (`CONIN$`), read with `ReadConsoleW` one UTF-16 unit
//! per call into a guarded `SecretVec<u16>`; the finished line is converted to UTF-8 straight
//! into the guarded [`SecretString`] (one `char` at a time, in registers). Pipes and files are
//! read with `ReadFile`, one byte per call, as above.
//!
//! Copies outside the process are beyond reach: the bytes pass through the kernel's pipe or
//! terminal buffer (and, for a terminal, whatever program sends the keystrokes; on Windows,
//! the console host's input buffer).

use std::fs::{File, OpenOptions};
use std::io::Write;
#[cfg(unix)]
use std::os::fd::{AsFd, BorrowedFd};
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt;
#[cfg(windows)]
use std::os::windows::io::{AsHandle, BorrowedHandle};

use crate::stream::grow;
use crate::sys::code;
#[cfg(unix)]
use crate::sys::fd;
use crate::sys::fd::read as read_bytes;
use crate::sys::terminal::{self, EchoOff};
use crate::{Bytes, Error, SecretString, SecretVec};

/// What the reads here take: a borrowed descriptor on POSIX systems, a borrowed handle on
/// Windows.
#[cfg(unix)]
type Stream<'a> = BorrowedFd<'a>;
#[cfg(windows)]
type Stream<'a> = BorrowedHandle<'a>;

#[cfg(unix)]
fn stream_of(stream: &impl AsFd) -> Stream<'_> {
    stream.as_fd()
}
#[cfg(windows)]
fn stream_of(stream: &impl AsHandle) -> Stream<'_> {
    stream.as_handle()
}

/// The size of the first line buffer; each growth doubles it.
const INITIAL_CAPACITY: usize = 64;

/// How a line ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Newline,
    EndOfFile,
}

/// What a line is read as: bytes (terminals, pipes, files), or UTF-16 units (a Windows console).
trait Unit: Bytes + Copy + PartialEq + From<u8> {
    /// The line as UTF-8 text in a guarded buffer of exactly its length, at most `max_len`
    /// bytes long.
    fn into_string(line: Line<Self>, max_len: usize) -> Result<SecretString, Error>;
}

impl Unit for u8 {
    /// `read_line` has checked the length already; UTF-8 is checked in guarded memory.
    fn into_string(line: Line<u8>, _max_len: usize) -> Result<SecretString, Error> {
        SecretString::try_new(line.len, |text| {
            text.copy_from_slice(&line.buf.borrow()[..line.len]);
            Ok::<(), Error>(())
        })
    }
}

impl Unit for u16 {
    /// UTF-16 to UTF-8, guarded to guarded: the length is counted first, then each `char` is
    /// decoded (in registers) and encoded straight into the [`SecretString`]. An unpaired
    /// surrogate is [`Error::InvalidUtf8`] (`valid_up_to`: the UTF-8 bytes before it); more than
    /// `max_len` bytes of UTF-8 is [`Error::TooLong`].
    fn into_string(line: Line<u16>, max_len: usize) -> Result<SecretString, Error> {
        let units = line.buf.borrow();
        let units = &units[..line.len];
        let mut utf8_len = 0usize;
        for c in char::decode_utf16(units.iter().copied()) {
            let c = c.map_err(|_| Error::InvalidUtf8 {
                valid_up_to: utf8_len,
            })?;
            utf8_len = match utf8_len.checked_add(c.len_utf8()) {
                Some(len) if len <= max_len => len,
                _ => return Err(Error::TooLong { limit: max_len }),
            };
        }
        SecretString::try_new(utf8_len, |text| {
            let mut at = 0;
            for c in char::decode_utf16(units.iter().copied()).flatten() {
                // `utf8_len` is the sum of these `len_utf8()`s (every unit decoded above), so
                // `text[at..]` always has room for `c`.
                at += c.encode_utf8(&mut text[at..]).len();
            }
            Ok::<(), Error>(())
        })
    }
}

/// A line in guarded memory: the first `len` units of `buf`, without the line ending.
struct Line<T: Unit> {
    buf: SecretVec<T>,
    len: usize,
    /// What the POSIX terminal read needs to know (whether `ECHONL` already showed the newline);
    /// a Windows console shows no Enter with echo off, so its prompt's line is always ended.
    #[cfg_attr(windows, allow(dead_code))]
    ending: Ending,
}

impl<T: Unit> Line<T> {
    /// The line as UTF-8 text in a guarded buffer of exactly its length.
    fn into_string(self, max_len: usize) -> Result<SecretString, Error> {
        T::into_string(self, max_len)
    }
}

/// `read(2)` (`ReadFile` on Windows) on `stream`, a failure reported as [`Error::Terminal`]
/// with `operation: "read"`.
fn byte_reader<'a>(stream: Stream<'a>) -> impl FnMut(&mut [u8]) -> Result<usize, Error> + 'a {
    move |buf| {
        read_bytes(stream, buf).map_err(|errno| Error::Terminal {
            operation: "read",
            errno,
        })
    }
}

/// Reads units into `open[*len..]`, one per call of `read`, until the line ends (`Some`) or
/// the buffer is full (`None`). A unit equal to `interrupt` aborts the read.
fn fill<T: Unit>(
    read: &mut impl FnMut(&mut [T]) -> Result<usize, Error>,
    open: &mut [T],
    len: &mut usize,
    interrupt: Option<T>,
) -> Result<Option<Ending>, Error> {
    let (newline, carriage_return) = (T::from(b'\n'), T::from(b'\r'));
    while let Some(slot) = open.get_mut(*len) {
        let ending = match read(std::slice::from_mut(slot))? {
            0 => Ending::EndOfFile,
            _ if *slot == newline => Ending::Newline,
            _ if Some(*slot) == interrupt => return Err(Error::Interrupted),
            _ => {
                *len += 1;
                continue;
            }
        };
        if let Some(last) = len.checked_sub(1) {
            if open.get(last) == Some(&carriage_return) {
                *len = last;
            }
        }
        return Ok(Some(ending));
    }
    Ok(None)
}

/// Reads one line with `read` into guarded memory (see the module doc): at most `max_len`
/// units.
fn read_line<T: Unit>(
    mut read: impl FnMut(&mut [T]) -> Result<usize, Error>,
    max_len: usize,
    interrupt: Option<T>,
) -> Result<Line<T>, Error> {
    // The longest line allowed, a '\r' before its '\n', and the slot the '\n' is read into.
    let capacity_limit = max_len.saturating_add(2);
    let mut buf = SecretVec::<T>::zero(INITIAL_CAPACITY.min(capacity_limit))?;
    let mut len = 0;
    let ending = loop {
        if let Some(ending) = fill(&mut read, &mut buf.borrow_mut(), &mut len, interrupt)? {
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
    /// **On Windows** the terminal is the console: standard input if it is a console input
    /// handle (`GetConsoleMode` succeeds), else the console's input buffer opened as `CONIN$`
    /// (so a password is typed on the console even when standard input is redirected from a
    /// pipe or a file, which is left unread), and a line of standard input only when the
    /// process has no console at all (a service, a `DETACHED_PROCESS` child: opening `CONIN$`
    /// fails with ERROR_INVALID_HANDLE or ERROR_FILE_NOT_FOUND). On the console:
    ///
    /// * `ENABLE_ECHO_INPUT` is switched off (with `ENABLE_LINE_INPUT` and
    ///   `ENABLE_PROCESSED_INPUT` on, so Backspace edits the line and Ctrl-C is a control
    ///   event) and the saved mode is put back before this returns, panics included.
    /// * The prompt is written to the console's screen (`CONOUT$`, with `WriteConsoleW`),
    ///   whatever standard output and standard error are; a newline follows once the line is
    ///   read, since the console does not echo Enter with echo off.
    /// * The text is read as UTF-16 (`ReadConsoleW`) into guarded memory and converted to
    ///   UTF-8 guarded to guarded, so any characters the console can take work, whatever its
    ///   code page; an unpaired surrogate is [`Error::InvalidUtf8`].
    /// * Ctrl-C, Ctrl-Break or closing the console window run the process's console control
    ///   handlers: a handler installed while echo is off restores the console mode first and
    ///   passes the event on, so the program's own handler runs, or the default one ends the
    ///   process (`ExitProcess`, exit code `STATUS_CONTROL_C_EXIT` for Ctrl-C), now with echo
    ///   on. If a handler of the program's keeps the process alive, this returns
    ///   [`Error::Interrupted`].
    /// * Ctrl-Z ends the password at once, with what was typed before it (`std`'s stdin also
    ///   takes it for the end of the input): the counterpart of Ctrl-D, and at the start of
    ///   the line an **empty** password, which callers that refuse one check with
    ///   [`is_empty`](Self::is_empty).
    /// * A console line longer than the limit is read to its end and discarded, so the rest of
    ///   the password is not left for the next reader of the console.
    /// * In MSYS2 or Cygwin terminals (mintty, Git Bash without `winpty`) standard input is a
    ///   pipe, not a console: the password is read from the hidden console behind it, which
    ///   nobody can type into. Run the program under `winpty`, or in Windows Terminal or a
    ///   console window.
    ///
    /// # Errors
    /// * [`Error::Interrupted`]: Ctrl-C, when `SIGINT` (on Windows, the control event) did not
    ///   end the process;
    /// * [`Error::TooLong`]: the line is longer than `PASSWORD_MAX_LEN`;
    /// * [`Error::InvalidUtf8`]: the line is not UTF-8 (it is zeroed and released);
    /// * [`Error::Terminal`]: `tcgetattr`, `tcsetattr`, `write` (the prompt) or `read` failed
    ///   (EAGAIN: standard input is non-blocking, which is not supported). A failure to
    ///   restore the terminal after a successful read is reported too, since it may have been
    ///   left without echo; the password is then zeroed and dropped;
    /// * [`Error::Terminal`] with `operation: "open /dev/tty"` when `/dev/tty` fails to open
    ///   for a reason other than having no terminal (EACCES, EIO): nothing is read from
    ///   standard input then, since it may hold something other than the password;
    /// * On Windows, [`Error::Terminal`] names `GetConsoleMode`, `SetConsoleMode`,
    ///   `WriteConsoleW`, `ReadConsoleW`, `read` (`ReadFile`, standard input without a console),
    ///   `open CONIN$` (for a reason other than having no console) or `open CONOUT$`, with the
    ///   Win32 error code;
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
    /// * On Windows, `TerminateProcess` (Task Manager's End task on the process, `taskkill /F`)
    ///   cannot be caught and leaves the console with echo off, as `SIGKILL` does; so does a
    ///   control event while another thread reads a password at the same time. A control
    ///   event that does not end the read (one sent with `GenerateConsoleCtrlEvent`, say) and
    ///   that a handler of the program's absorbs leaves echo on for the rest of that line: the
    ///   guard's handler cannot know that a later one will keep the process alive. Input typed
    ///   before the prompt is not discarded.
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
    /// terminal, else the controlling terminal (`/dev/tty`; on Windows the console, `CONIN$`);
    /// never a line of piped standard input, which is left untouched.
    ///
    /// # Errors
    /// [`Error::NoTerminal`] when the process has no terminal (on Windows, no console: opening
    /// `CONIN$` fails with ERROR_INVALID_HANDLE or ERROR_FILE_NOT_FOUND); nothing is read.
    /// Otherwise as for [`read_password`](Self::read_password).
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
    /// The controlling terminal (`/dev/tty`; on Windows the console, `CONIN$`), because
    /// standard input is not a terminal (a pipe, a file, `/dev/null`, `NUL`); echo was off,
    /// and standard input was not read.
    ControllingTerminal,
    /// One line of standard input (a pipe, a file), because the process has no terminal (on
    /// Windows, no console) at all; nothing was echoed, since nothing echoes a pipe.
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

/// Where the terminal is when standard input is not one: the controlling terminal on POSIX
/// systems, the console's input buffer on Windows.
#[cfg(unix)]
const CONTROLLING_TERMINAL: &str = "/dev/tty";
#[cfg(windows)]
const CONTROLLING_TERMINAL: &str = "CONIN$";
#[cfg(unix)]
const OPEN_CONTROLLING_TERMINAL: &str = "open /dev/tty";
#[cfg(windows)]
const OPEN_CONTROLLING_TERMINAL: &str = "open CONIN$";

/// The process's controlling terminal, opened read-write; `None` when there is none.
///
/// POSIX: `/dev/tty` with `O_NOCTTY` (it is already ours; the flag only keeps a process
/// without one from acquiring a terminal here); none is ENXIO (no controlling terminal) or
/// ENOENT (no `/dev/tty`). Windows: `CONIN$` (`CreateFileW` through `std`, which opens it
/// `OPEN_EXISTING`, shared for reading and writing, not inherited by child processes), the
/// input buffer of the process's console even when standard input is redirected; none is
/// ERROR_INVALID_HANDLE (the process has no console) or ERROR_FILE_NOT_FOUND.
fn controlling_terminal() -> Result<Option<File>, Error> {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    #[cfg(unix)]
    options.custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC);
    match options.open(CONTROLLING_TERMINAL) {
        Ok(tty) => Ok(Some(tty)),
        Err(err) if matches!(err.raw_os_error(), Some(code::ENXIO | code::ENOENT)) => Ok(None),
        Err(err) => Err(Error::Terminal {
            operation: OPEN_CONTROLLING_TERMINAL,
            errno: err.raw_os_error().unwrap_or(code::EIO),
        }),
    }
}

/// The body of [`SecretString::read_password_with_source`]; with `plain_stdin` false, a
/// process without a terminal gets [`Error::NoTerminal`].
fn read_password(prompt: &str, plain_stdin: bool) -> Result<(SecretString, PasswordSource), Error> {
    {
        let stdin = std::io::stdin().lock();
        if terminal::is_terminal(stream_of(&stdin)) {
            let password = read_from_terminal(stream_of(&stdin), prompt)?;
            return Ok((password, PasswordSource::StdinTerminal));
        }
    }
    if let Some(tty) = controlling_terminal()? {
        let password = read_from_terminal(stream_of(&tty), prompt)?;
        return Ok((password, PasswordSource::ControllingTerminal));
    }
    if !plain_stdin {
        return Err(Error::NoTerminal);
    }
    let stdin = std::io::stdin().lock();
    // Whoever pipes the password in may still watch standard error; a prompt that cannot be
    // shown there is no reason to refuse a password that can be read. Nothing echoes the piped
    // line, so the prompt's line is ended here. (`std`'s standard error is unbuffered: each
    // `write_all` is `write(2)` calls on descriptor 2, EINTR retried; on a Windows console it
    // is converted to UTF-16 for `WriteConsoleW`.)
    let mut stderr = std::io::stderr();
    if !prompt.is_empty() {
        let _ = stderr.write_all(prompt.as_bytes());
    }
    let max_len = SecretString::PASSWORD_MAX_LEN;
    let line = read_line(byte_reader(stream_of(&stdin)), max_len, None);
    if !prompt.is_empty() {
        let _ = stderr.write_all(b"\n");
    }
    Ok((line?.into_string(max_len)?, PasswordSource::PlainStdin))
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
    /// On Windows this takes a handle ([`AsHandle`]) instead: the same function under two
    /// signatures over one body, reading with `ReadFile` one byte per call. On a console handle
    /// that gives the bytes of the console's code page, not UTF-8: read a password from the
    /// console with [`read_password`](Self::read_password).
    ///
    /// [`AsHandle`]: https://doc.rust-lang.org/std/os/windows/io/trait.AsHandle.html
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
    #[cfg(unix)]
    pub fn read_line_from(fd: impl AsFd, max_len: usize) -> Result<SecretString, Error> {
        read_line_from(fd.as_fd(), max_len)
    }

    /// Reads one line from `handle` straight into guarded memory, one byte per `ReadFile`, so
    /// nothing after the line is consumed: the Windows signature of the POSIX
    /// `read_line_from(fd: impl AsFd, max_len)`, over the same body.
    ///
    /// The line ends at a newline (not included; a `\r` just before it, or just before the end
    /// of file, is dropped too) or at end of file (ERROR_BROKEN_PIPE, the writer closed its
    /// end, counts as end of file); empty input gives an empty string. Nothing about `handle`
    /// is changed. On a console handle, `ReadFile` gives the bytes of the console's code page,
    /// not UTF-8: read a password from the console with
    /// [`read_password`](Self::read_password).
    ///
    /// # Errors
    /// * [`Error::TooLong`] when the line (without its ending) is longer than `max_len` bytes:
    ///   reading stops at byte `max_len + 2`, the rest of the line is left unread;
    /// * [`Error::InvalidUtf8`]: the line is not UTF-8;
    /// * [`Error::Terminal`] with `operation: "read"` and the Win32 error code when `ReadFile`
    ///   fails (a handle opened for overlapped I/O is not supported);
    /// * an allocation error ([`Error::Map`], [`Error::Guard`], [`Error::Lock`]).
    ///
    /// In every error case the bytes read so far are zeroed and released.
    ///
    /// ```no_run
    /// use std::fs::File;
    /// use secrets_core::SecretString;
    ///
    /// let file = File::open("password.txt")?;
    /// let password = SecretString::read_line_from(&file, 64)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(windows)]
    pub fn read_line_from(handle: impl AsHandle, max_len: usize) -> Result<SecretString, Error> {
        read_line_from(handle.as_handle(), max_len)
    }
}

/// The body of [`SecretString::read_line_from`], on either OS.
fn read_line_from(stream: Stream<'_>, max_len: usize) -> Result<SecretString, Error> {
    read_line(byte_reader(stream), max_len, None)?.into_string(max_len)
}

/// [`SecretString::read_password`] on the terminal `tty`: standard input, or `/dev/tty`.
#[cfg(unix)]
fn read_from_terminal(tty: Stream<'_>, prompt: &str) -> Result<SecretString, Error> {
    let stderr = std::io::stderr();
    let echo_off = EchoOff::new(tty)?;
    // The prompt goes out after echo is off: whoever sees it can type without being echoed.
    let shown_on = match fd::write_all(tty, prompt.as_bytes()) {
        Ok(()) => tty,
        // Standard input was opened read-only.
        Err(code::EBADF) => {
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
    let max_len = SecretString::PASSWORD_MAX_LEN;
    let line = read_line(byte_reader(tty), max_len, echo_off.interrupt());
    if !matches!(&line, Ok(line) if line.ending == Ending::Newline) {
        // `ECHONL` showed no newline: leave the prompt's line as Enter would have. Only
        // cosmetic, so a failure is not worth reporting over the outcome of the read.
        let _ = fd::write_all(shown_on, b"\n");
    }
    finish(echo_off, line, max_len)
}

/// [`SecretString::read_password`] on the console input `console`: standard input, or
/// `CONIN$`. The prompt goes to the console's screen buffer, `CONOUT$`.
#[cfg(windows)]
fn read_from_terminal(console: Stream<'_>, prompt: &str) -> Result<SecretString, Error> {
    let screen = OpenOptions::new()
        .read(true)
        .write(true)
        .open("CONOUT$")
        .map_err(|err| Error::Terminal {
            operation: "open CONOUT$",
            errno: err.raw_os_error().unwrap_or(code::EIO),
        })?;
    let echo_off = EchoOff::new(console)?;
    // The prompt goes out after echo is off: whoever sees it can type without being echoed.
    terminal::write_console(stream_of(&screen), prompt).map_err(|errno| Error::Terminal {
        operation: "WriteConsoleW",
        errno,
    })?;
    let max_len = SecretString::PASSWORD_MAX_LEN;
    // Whether the last read ended the line (its newline, or nothing more to read).
    let mut line_ended = false;
    let mut read_console = console_reader(console);
    let line = read_line(
        |buf: &mut [u16]| {
            let read = read_console(buf)?;
            line_ended = read == 0 || buf.first() == Some(&u16::from(b'\n'));
            Ok(read)
        },
        max_len,
        None,
    );
    if !line_ended && matches!(line, Err(Error::TooLong { .. })) {
        // Unlike a POSIX terminal, the console keeps the rest of the line for the next read:
        // read it to its end (into guarded memory too) so that nobody else gets it.
        drain_line(console);
    }
    // With echo off the console does not show Enter either: end the prompt's line. Only
    // cosmetic, so a failure is not worth reporting over the outcome of the read.
    let _ = terminal::write_console(stream_of(&screen), "\r\n");
    finish(echo_off, line, max_len)
}

/// `ReadConsoleW` on `console`, one UTF-16 unit per call: Ctrl-C is [`Error::Interrupted`],
/// a failure [`Error::Terminal`] naming `ReadConsoleW`.
#[cfg(windows)]
fn console_reader<'a>(console: Stream<'a>) -> impl FnMut(&mut [u16]) -> Result<usize, Error> + 'a {
    move |buf| match terminal::read_console(console, buf) {
        Ok(terminal::Read::Units(read)) => Ok(read),
        Ok(terminal::Read::Interrupted) => Err(Error::Interrupted),
        Err(errno) => Err(Error::Terminal {
            operation: "ReadConsoleW",
            errno,
        }),
    }
}

/// Reads and discards the rest of a console line, one unit at a time into a guarded unit,
/// until its newline, its end, Ctrl-C or an error (which the read that was too long already
/// reports, so nothing more is said).
#[cfg(windows)]
fn drain_line(console: Stream<'_>) {
    let Ok(mut unit) = SecretVec::<u16>::zero(1) else {
        return;
    };
    let mut read = console_reader(console);
    let mut unit = unit.borrow_mut();
    while let Ok(1) = read(&mut unit[..]) {
        if unit.first() == Some(&u16::from(b'\n')) {
            break;
        }
    }
}

/// Ends a read on a terminal with echo off: restores it and converts the line; after Ctrl-C,
/// restores it first and then passes the interrupt on (see `sys::terminal`).
fn finish<T: Unit>(
    echo_off: EchoOff<'_>,
    line: Result<Line<T>, Error>,
    max_len: usize,
) -> Result<SecretString, Error> {
    match line {
        Ok(line) => {
            echo_off.restore()?;
            line.into_string(max_len)
        }
        Err(Error::Interrupted) => {
            // The terminal first: if the interrupt ends the process, nothing runs after it.
            drop(echo_off);
            // POSIX: raise the SIGINT that Ctrl-C would have sent with `ISIG` on. Windows:
            // nothing, the control event has gone through the handlers already.
            terminal::pass_on_interrupt();
            Err(Error::Interrupted)
        }
        // `echo_off` is dropped on the way out, which restores the terminal.
        Err(err) => Err(err),
    }
}

#[cfg(test)]
// A test reports a broken precondition by panicking; the crate-wide lint is for library code.
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    /// A finished line of UTF-16 units in guarded memory, as a Windows console read leaves it.
    fn utf16_line(units: &[u16]) -> Line<u16> {
        let buf = SecretVec::new(units.len(), |buf| buf.copy_from_slice(units)).expect("alloc");
        Line {
            buf,
            len: units.len(),
            ending: Ending::Newline,
        }
    }

    #[test]
    fn utf16_lines_become_the_same_text_in_utf8() {
        let text = "pässwörd 密码 🔑";
        let units: Vec<u16> = text.encode_utf16().collect();
        // The key is a surrogate pair: two units, four UTF-8 bytes.
        assert_eq!(units.len(), text.chars().count() + 1);
        let string = utf16_line(&units).into_string(64).expect("valid UTF-16");
        assert_eq!(&*string.borrow(), text);
        assert_eq!(string.len(), text.len());

        let empty = utf16_line(&[]).into_string(64).expect("empty line");
        assert!(empty.is_empty());
    }

    #[test]
    fn an_unpaired_surrogate_is_invalid_and_utf8_length_is_what_is_limited() {
        // "ab", a lone high surrogate, "c".
        let err = utf16_line(&[0x61, 0x62, 0xD800, 0x63])
            .into_string(64)
            .expect_err("unpaired surrogate");
        assert_eq!(err, Error::InvalidUtf8 { valid_up_to: 2 });
        // A lone low surrogate at the end.
        let err = utf16_line(&[0x61, 0xDC00])
            .into_string(64)
            .expect_err("unpaired surrogate");
        assert_eq!(err, Error::InvalidUtf8 { valid_up_to: 1 });

        // Three units, but nine bytes of UTF-8: the limit is in bytes, as on POSIX.
        let units: Vec<u16> = "密码本".encode_utf16().collect();
        assert_eq!(
            utf16_line(&units).into_string(8).expect_err("too long"),
            Error::TooLong { limit: 8 }
        );
        let string = utf16_line(&units)
            .into_string(9)
            .expect("exactly the limit");
        assert_eq!(&*string.borrow(), "密码本");
    }

    #[test]
    fn a_line_of_utf16_units_ends_like_a_line_of_bytes() {
        // What `ReadConsoleW` gives for "hunter2" and Enter, one unit per call, then the
        // start of the next line, which must not be read.
        let typed: Vec<u16> = "hunter2\r\nnext".encode_utf16().collect();
        let mut at = 0;
        let line = read_line(
            |buf: &mut [u16]| {
                let n = buf.len().min(typed.len() - at);
                buf[..n].copy_from_slice(&typed[at..at + n]);
                at += n;
                Ok(n)
            },
            64,
            None,
        )
        .expect("a line");
        assert_eq!(line.ending, Ending::Newline);
        assert_eq!(&*line.into_string(64).expect("text").borrow(), "hunter2");
        assert_eq!(
            at,
            "hunter2\r\n".len(),
            "nothing after the newline was read"
        );
    }
}
