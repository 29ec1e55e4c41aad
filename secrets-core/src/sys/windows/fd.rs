//! Windows: `ReadFile` and `WriteFile` on a borrowed handle, straight from and into the
//! caller's buffer (guarded memory, for the callers in this crate): no user-space buffer in
//! between. The counterpart of `sys/fd.rs`, with the same functions.
//!
//! Every failure is returned as its Win32 error code (`GetLastError`), for the layer above to
//! turn into the crate's error; the codes that mean the same as a POSIX `errno` the layers
//! above tell apart are reported under the name `sys/code.rs` gives them (a closed pipe is
//! [`code::EPIPE`], a `PIPE_NOWAIT` pipe that would wait is [`code::EWOULDBLOCK`]). Windows
//! has no EINTR: a synchronous `ReadFile` or `WriteFile` is not interrupted by a signal.
//!
//! The handle must be synchronous (opened without `FILE_FLAG_OVERLAPPED`), as every handle std
//! makes is (files, `std::io::pipe`, the standard streams, child pipes): `ReadFile` and
//! `WriteFile` with no `OVERLAPPED` are documented only for such handles.

use std::os::windows::io::{AsRawHandle, BorrowedHandle};

use windows_sys::Win32::Foundation::{GetLastError, ERROR_BROKEN_PIPE, ERROR_NO_DATA};
use windows_sys::Win32::Storage::FileSystem::{ReadFile, WriteFile};

use super::code;

/// The most one `ReadFile` or `WriteFile` is asked to move: its length is a `u32`. A longer
/// buffer is moved in pieces of at most this many bytes.
const MAX_CHUNK: usize = u32::MAX as usize;

/// The length of the first piece of a buffer of `len` bytes, as `ReadFile`/`WriteFile` take it.
fn chunk_len(len: usize) -> u32 {
    // `MAX_CHUNK` is `u32::MAX`, so the minimum always fits; the fallback cannot be taken.
    u32::try_from(len.min(MAX_CHUNK)).unwrap_or(u32::MAX)
}

/// `ReadFile` of at most `buf.len()` bytes (at most `u32::MAX` at once) into `buf`; `Ok(0)` is
/// end of file, or a pipe whose writing end was closed (`ERROR_BROKEN_PIPE`, which is how
/// Windows says end of file on a pipe). A `PIPE_NOWAIT` pipe with nothing to read gives
/// [`code::EWOULDBLOCK`].
pub(crate) fn read(handle: BorrowedHandle<'_>, buf: &mut [u8]) -> Result<usize, i32> {
    let mut read: u32 = 0;
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole call (an exclusive
    // borrow), and `ReadFile` is asked for at most `chunk_len(buf.len()) <= buf.len()` of them;
    // `read` is a valid `u32` to receive the count; a null `OVERLAPPED` is the synchronous
    // call, documented for a handle opened without `FILE_FLAG_OVERLAPPED` (see the module
    // docs); the handle is open while borrowed.
    let ok = unsafe {
        ReadFile(
            handle.as_raw_handle(),
            buf.as_mut_ptr(),
            chunk_len(buf.len()),
            &mut read,
            std::ptr::null_mut(),
        )
    };
    if ok == 0 {
        // SAFETY: `GetLastError` reads this thread's last-error value; no precondition.
        return match unsafe { GetLastError() } {
            ERROR_BROKEN_PIPE => Ok(0),
            ERROR_NO_DATA => Err(code::EWOULDBLOCK),
            error => Err(error_code(error)),
        };
    }
    // At most `chunk_len(buf.len())`, which is a `usize`; `u32` always fits one on Windows
    // (32- and 64-bit targets), so the fallback is never taken.
    Ok(usize::try_from(read).unwrap_or(0))
}

/// `WriteFile` until all of `bytes` is written, in pieces of at most `u32::MAX` bytes,
/// continuing after short writes. A reader that closed its end gives [`code::EPIPE`]
/// (`ERROR_NO_DATA` or `ERROR_BROKEN_PIPE`); a write of 0 bytes (a `PIPE_NOWAIT` pipe that is
/// full) gives [`code::EWOULDBLOCK`].
pub(crate) fn write_all(handle: BorrowedHandle<'_>, mut bytes: &[u8]) -> Result<(), i32> {
    while !bytes.is_empty() {
        let mut written: u32 = 0;
        // SAFETY: `bytes` is valid for reads of `bytes.len()` bytes for the whole call, and
        // `WriteFile` reads at most `chunk_len(bytes.len()) <= bytes.len()` of them; `written`
        // is a valid `u32` to receive the count; a null `OVERLAPPED` is the synchronous call,
        // for a handle opened without `FILE_FLAG_OVERLAPPED`; the handle is open while
        // borrowed.
        let ok = unsafe {
            WriteFile(
                handle.as_raw_handle(),
                bytes.as_ptr(),
                chunk_len(bytes.len()),
                &mut written,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            // SAFETY: `GetLastError` reads this thread's last-error value; no precondition.
            return Err(match unsafe { GetLastError() } {
                ERROR_NO_DATA | ERROR_BROKEN_PIPE => code::EPIPE,
                error => error_code(error),
            });
        }
        match usize::try_from(written) {
            Ok(0) | Err(_) => return Err(code::EWOULDBLOCK),
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
        }
    }
    Ok(())
}

/// A Win32 error code as the `i32` that `std::io::Error::raw_os_error` gives for it.
pub(crate) fn error_code(error: u32) -> i32 {
    // Win32 error codes are below 2^16; `raw_os_error` holds them as `i32` by the same cast.
    error as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_length_past_u32_is_split() {
        assert_eq!(chunk_len(0), 0);
        assert_eq!(chunk_len(4096), 4096);
        assert_eq!(chunk_len(MAX_CHUNK), u32::MAX);
        assert_eq!(chunk_len(usize::MAX), u32::MAX);
    }
}
