//! Windows consoles: `GetConsoleMode`/`SetConsoleMode` to switch echo off while a password is
//! typed, `ReadConsoleW`/`WriteConsoleW` for the text, and a console control handler that puts
//! the mode back before Ctrl-C ends the process. The Windows counterpart of `sys/terminal.rs`.
//!
//! While an [`EchoOff`] guard lives, the console input mode is changed like this, and the saved
//! mode comes back when it is dropped (a panic included) or [`EchoOff::restore`]d:
//!
//! ```text
//!   mode flag                saved   while the password is typed
//!   ENABLE_ECHO_INPUT        any     off   typed characters are not shown (nor is Enter: the
//!                                          caller ends the prompt's line itself)
//!   ENABLE_LINE_INPUT        any     on    the console edits the line (Backspace) and
//!                                          `ReadConsoleW` returns once Enter is pressed
//!   ENABLE_PROCESSED_INPUT   any     on    Ctrl-C is a control event (CTRL_C_EVENT), not a
//!                                          character, and it ends the waiting `ReadConsoleW`
//! ```
//!
//! **Ctrl-C.** Windows has no signals; a Ctrl-C (or Ctrl-Break, or the console window being
//! closed) runs the process's console control handlers, newest first, on a new thread, until
//! one returns `TRUE`; the last one is the default handler, which calls `ExitProcess` (for
//! Ctrl-C with exit code `STATUS_CONTROL_C_EXIT`). While echo is off, the guard's handler is the
//! newest: it puts the saved mode back and returns `FALSE`, so the event goes on to the
//! program's own handlers, or to the default one, which ends the process as before, now with
//! echo on. This is what the POSIX guard does for `SIGINT`: restore, then let the default
//! action end the process. The interrupted `ReadConsoleW` returns `ERROR_OPERATION_ABORTED`
//! ([`Read::Interrupted`]): when a handler of the program's own keeps the process alive, the
//! caller reports the interruption. There is nothing to raise afterwards
//! ([`pass_on_interrupt`] does nothing here): the event has already been delivered.
//!
//! One guard at a time has the control handler (as on POSIX, where there is one set of signal
//! actions per process); a second guard on another thread at the same time goes without.
//!
//! `read` on a borrowed handle (`ReadFile`) is here too, for the plain line reads of
//! `password.rs`, until `sys/windows/fd.rs` offers it.

use std::marker::PhantomData;
use std::os::windows::io::{AsRawHandle, BorrowedHandle};
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU8, Ordering};

use windows_sys::core::BOOL;
use windows_sys::Win32::Foundation::{GetLastError, SetLastError, ERROR_OPERATION_ABORTED};
use windows_sys::Win32::System::Console::{
    GetConsoleMode, ReadConsoleW, SetConsoleCtrlHandler, SetConsoleMode, WriteConsoleW,
    CONSOLE_MODE, CONSOLE_READCONSOLE_CONTROL, ENABLE_ECHO_INPUT, ENABLE_LINE_INPUT,
    ENABLE_PROCESSED_INPUT,
};

/// `GetLastError()` as the `i32` that `std::io::Error::raw_os_error` gives for it.
fn last_error() -> i32 {
    // SAFETY: `GetLastError` only reads the calling thread's last-error value.
    let code = unsafe { GetLastError() };
    // Win32 error codes are below 2^16; `std` stores them as `i32` the same way.
    code as i32
}

/// The longest piece handed to one `ReadFile`/`ReadConsoleW`/`WriteConsoleW`,
/// whose lengths are `u32`.
fn chunk_len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Whether `handle` is a console input or screen buffer: `GetConsoleMode` succeeds only on
/// console handles (a pipe, a file or `NUL` fails). Unlike `std`'s `IsTerminal`, an MSYS or
/// Cygwin pty (a named pipe) does not count: its echo cannot be switched off with
/// `SetConsoleMode`.
pub(crate) fn is_terminal(handle: BorrowedHandle<'_>) -> bool {
    get_mode(handle).is_ok()
}

fn get_mode(handle: BorrowedHandle<'_>) -> Result<CONSOLE_MODE, i32> {
    let mut mode: CONSOLE_MODE = 0;
    // SAFETY: `mode` is valid for writes of one `CONSOLE_MODE` (a `u32`), which
    // `GetConsoleMode` fills; `handle` is open while borrowed (a bad handle is an error, not
    // undefined behaviour: ERROR_INVALID_HANDLE).
    match unsafe { GetConsoleMode(handle.as_raw_handle(), &mut mode) } {
        0 => Err(last_error()),
        _ => Ok(mode),
    }
}

fn set_mode(handle: BorrowedHandle<'_>, mode: CONSOLE_MODE) -> Result<(), i32> {
    // SAFETY: `SetConsoleMode` takes the handle and the mode by value; `handle` is open while
    // borrowed.
    match unsafe { SetConsoleMode(handle.as_raw_handle(), mode) } {
        0 => Err(last_error()),
        _ => Ok(()),
    }
}

/// What one [`read_console`] gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Read {
    /// This many UTF-16 units were written to the start of the buffer (0: nothing more).
    Units(usize),
    /// Ctrl-C or Ctrl-Break ended the read (see the module doc): nothing was read.
    Interrupted,
}

/// Ctrl-Z: ends a console read at once (the `CONSOLE_READCONSOLE_CONTROL` wakeup mask), and
/// is taken for the end of the input, as `std`'s stdin does: the counterpart of Ctrl-D on a
/// POSIX terminal.
const CTRL_Z: u16 = 0x1A;

/// `ReadConsoleW` of at most `buf.len()` UTF-16 units from the console input `handle`, straight
/// into `buf` (the caller's guarded buffer).
///
/// Why UTF-16 and not bytes: `ReadFile` on a console handle converts the typed text to the
/// console's input code page (`GetConsoleCP`), which is a legacy code page by default, where
/// most characters have no byte at all; and with code page 65001 (UTF-8) the console host has
/// long returned NUL bytes for non-ASCII input. `ReadConsoleW` returns the text as typed, in
/// UTF-16, whatever the code page; the caller converts it to UTF-8 guarded to guarded.
///
/// In line mode (`ENABLE_LINE_INPUT`), the first call waits for Enter (or Ctrl-Z); what does
/// not fit in `buf` stays in the console for the next calls (so one unit per call reads the
/// line, as `std`'s stdin does for small buffers; a surrogate pair then arrives in two calls).
/// A Ctrl-Z that ends the read is not counted: a one-unit read of it gives `Units(0)`, the end
/// of the input.
///
/// # Errors
/// The Win32 error code (ERROR_INVALID_HANDLE: not a console input handle).
pub(crate) fn read_console(handle: BorrowedHandle<'_>, buf: &mut [u16]) -> Result<Read, i32> {
    let control = CONSOLE_READCONSOLE_CONTROL {
        // The struct's size, a few bytes, fits any `u32`.
        nLength: std::mem::size_of::<CONSOLE_READCONSOLE_CONTROL>() as u32,
        nInitialChars: 0,
        dwCtrlWakeupMask: 1 << CTRL_Z,
        dwControlKeyState: 0,
    };
    // A successful read that Ctrl-C ended is told apart only by its last error, so clear it
    // first (`std`'s stdin does the same).
    // SAFETY: `SetLastError` only writes the calling thread's last-error value.
    unsafe { SetLastError(0) };
    let mut read: u32 = 0;
    // SAFETY: `buf` is valid for writes of `buf.len()` UTF-16 units for the whole call (an
    // exclusive borrow) and `ReadConsoleW` writes at most `nNumberOfCharsToRead` of them (a
    // count of characters, i.e. `u16` units for the W function); `read` is valid for one
    // `u32`; `control` is a valid `CONSOLE_READCONSOLE_CONTROL` with its own size in
    // `nLength`, only read. `handle` is open while borrowed.
    let ok = unsafe {
        ReadConsoleW(
            handle.as_raw_handle(),
            buf.as_mut_ptr().cast(),
            chunk_len(buf.len()),
            &mut read,
            &control,
        )
    };
    if ok == 0 {
        return match last_error() {
            code if code == ERROR_OPERATION_ABORTED as i32 => Ok(Read::Interrupted),
            code => Err(code),
        };
    }
    // A cooked read ended by Ctrl-C or Ctrl-Break succeeds with nothing read and
    // ERROR_OPERATION_ABORTED as the last error (`std`'s stdin retries on exactly this).
    if read == 0 && last_error() == ERROR_OPERATION_ABORTED as i32 {
        return Ok(Read::Interrupted);
    }
    // At most `buf.len()` units were written; the conversion cannot lose anything.
    let mut read = read as usize;
    if let Some(last) = read.checked_sub(1) {
        if buf.get(last) == Some(&CTRL_Z) {
            read = last;
        }
    }
    Ok(Read::Units(read))
}

/// `WriteConsoleW` of `text` (converted to UTF-16; it is a prompt, not a secret) to the
/// console screen buffer `handle`, until all of it is written.
///
/// # Errors
/// The Win32 error code (ERROR_INVALID_HANDLE: not a console output handle).
pub(crate) fn write_console(handle: BorrowedHandle<'_>, text: &str) -> Result<(), i32> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut rest = units.as_slice();
    while !rest.is_empty() {
        let mut written: u32 = 0;
        // SAFETY: `rest` is valid for reads of `rest.len()` units, and `WriteConsoleW` reads
        // at most `nNumberOfCharsToWrite` of them; `written` is valid for one `u32`; the
        // reserved pointer must be null. `handle` is open while borrowed.
        let ok = unsafe {
            WriteConsoleW(
                handle.as_raw_handle(),
                rest.as_ptr(),
                chunk_len(rest.len()),
                &mut written,
                std::ptr::null(),
            )
        };
        if ok == 0 {
            return Err(last_error());
        }
        if written == 0 {
            return Err(windows_sys::Win32::Foundation::ERROR_WRITE_FAULT as i32);
        }
        rest = rest.get(written as usize..).unwrap_or_default();
    }
    Ok(())
}

/// What Ctrl-C needs done after the console is restored: nothing on Windows, where the control
/// event has already gone through the process's handlers (see the module doc). On POSIX this
/// raises the `SIGINT` that the Ctrl-C byte stood for.
pub(crate) fn pass_on_interrupt() {}

/// Who owns [`RESTORE`]: no guard, a guard filling it in, a guard whose console the handler
/// may restore, or the handler restoring it right now.
const IDLE: u8 = 0;
const CLAIMED: u8 = 1;
const ARMED: u8 = 2;
const IN_HANDLER: u8 = 3;

/// What the control handler needs: the console input handle and its saved mode. Plain atomics:
/// the handler runs on a thread of its own, at any time.
struct Restore {
    state: AtomicU8,
    /// Written while `state` is `CLAIMED`, read by the handler once it has moved `state` from
    /// `ARMED` to `IN_HANDLER`.
    handle: AtomicPtr<core::ffi::c_void>,
    saved: AtomicU32,
}

static RESTORE: Restore = Restore {
    state: AtomicU8::new(IDLE),
    handle: AtomicPtr::new(std::ptr::null_mut()),
    saved: AtomicU32::new(0),
};

/// The console control handler installed while echo is off: restores the saved mode, then
/// returns `FALSE` so that the next handler (the program's, or the default `ExitProcess`) runs.
/// A safe function: the system calls it through the `unsafe extern "system" fn` pointer type.
extern "system" fn restore_then_pass(_ctrl_type: u32) -> BOOL {
    if RESTORE
        .state
        .compare_exchange(ARMED, IN_HANDLER, Ordering::Acquire, Ordering::Relaxed)
        .is_ok()
    {
        let handle = RESTORE.handle.load(Ordering::Relaxed);
        let saved = RESTORE.saved.load(Ordering::Relaxed);
        // SAFETY: `SetConsoleMode` takes its arguments by value and touches no memory of
        // ours, so any handle value is sound (a closed one only fails, ERROR_INVALID_HANDLE).
        // It is the guard's open console handle: `Handler<'h>` borrows it, and its `drop`
        // waits for `state` to leave `IN_HANDLER` before the borrow can end.
        unsafe { SetConsoleMode(handle, saved) };
        RESTORE.state.store(ARMED, Ordering::Release);
    }
    // FALSE: not handled here, the next handler runs.
    0
}

/// The control handler of one guard, for as long as it borrows the console handle; removed
/// when dropped.
struct Handler<'h>(PhantomData<BorrowedHandle<'h>>);

impl<'h> Handler<'h> {
    /// Publishes `handle` and its `saved` mode, then adds [`restore_then_pass`] to the
    /// process's control handlers. `None` if another guard has it, or if it cannot be added.
    fn install(handle: BorrowedHandle<'h>, saved: CONSOLE_MODE) -> Option<Handler<'h>> {
        RESTORE
            .state
            .compare_exchange(IDLE, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
            .ok()?;
        RESTORE
            .handle
            .store(handle.as_raw_handle(), Ordering::Relaxed);
        RESTORE.saved.store(saved, Ordering::Relaxed);
        RESTORE.state.store(ARMED, Ordering::Release);
        // SAFETY: `restore_then_pass` has the `HandlerRoutine` signature (`extern "system"`,
        // a `DWORD` in, a `BOOL` out) and lives for the whole program; adding it only puts it
        // at the head of this process's handler list.
        if unsafe { SetConsoleCtrlHandler(Some(restore_then_pass), 1) } == 0 {
            RESTORE.state.store(IDLE, Ordering::Release);
            return None;
        }
        Some(Handler(PhantomData))
    }
}

impl Drop for Handler<'_> {
    /// Removes the handler, waits for a run of it already under way (on the system's thread)
    /// to finish, then lets another guard claim it. Called once the console is restored.
    fn drop(&mut self) {
        // SAFETY: as in `install`; removing a handler that was added is always allowed.
        unsafe { SetConsoleCtrlHandler(Some(restore_then_pass), 0) };
        // A handler thread started before the removal may still be running: the console
        // handle must stay valid until it is done, so wait (it makes one `SetConsoleMode`).
        loop {
            match RESTORE
                .state
                .compare_exchange(ARMED, IDLE, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(IN_HANDLER) => std::thread::yield_now(),
                // Only this guard takes `ARMED` back, so nothing else can be seen here; should
                // it be, there is nothing of ours left to wait for.
                Err(_) => break,
            }
        }
    }
}

/// A console with echo off (see the module doc for every change), restored when dropped.
pub(crate) struct EchoOff<'h> {
    handle: BorrowedHandle<'h>,
    saved: CONSOLE_MODE,
    /// Whether the saved mode still has to be put back.
    armed: bool,
    /// The control handler that restores the console before Ctrl-C ends the process; dropped
    /// (so removed) right after the console is restored.
    handler: Option<Handler<'h>>,
}

/// A console call that failed: which one, and its Win32 error code. The layer above turns it
/// into the crate's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TerminalFailure {
    /// `GetConsoleMode` or `SetConsoleMode`.
    pub(crate) operation: &'static str,
    pub(crate) errno: i32,
}

impl<'h> EchoOff<'h> {
    /// Saves the mode of the console input `handle` and switches echo off.
    ///
    /// # Errors
    /// [`TerminalFailure`] naming `GetConsoleMode` (`handle` is not a console input:
    /// ERROR_INVALID_HANDLE) or `SetConsoleMode`; the console is then left as it was.
    pub(crate) fn new(handle: BorrowedHandle<'h>) -> Result<Self, TerminalFailure> {
        let saved = get_mode(handle).map_err(|errno| TerminalFailure {
            operation: "GetConsoleMode",
            errno,
        })?;
        let quiet = (saved & !ENABLE_ECHO_INPUT) | ENABLE_LINE_INPUT | ENABLE_PROCESSED_INPUT;
        // Armed before the change, so a failure is undone as well; the handler is in place
        // before it too, so no Ctrl-C finds echo off without it.
        let guard = EchoOff {
            handle,
            saved,
            armed: true,
            handler: Handler::install(handle, saved),
        };
        set_mode(handle, quiet).map_err(|errno| TerminalFailure {
            operation: "SetConsoleMode",
            errno,
        })?;
        Ok(guard)
    }

    /// Puts the saved mode back, reporting a failure that `Drop` would have to swallow.
    ///
    /// # Errors
    /// [`TerminalFailure`] naming `SetConsoleMode`: the console may still have echo off.
    pub(crate) fn restore(mut self) -> Result<(), TerminalFailure> {
        self.armed = false;
        let restored = set_mode(self.handle, self.saved).map_err(|errno| TerminalFailure {
            operation: "SetConsoleMode",
            errno,
        });
        self.handler = None;
        restored
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        if self.armed {
            // Nothing can be reported from `drop`; putting the mode back is all there is to do.
            let _ = set_mode(self.handle, self.saved);
        }
        // Then the handler goes (also when `restore` already restored the console).
        self.handler = None;
    }
}
