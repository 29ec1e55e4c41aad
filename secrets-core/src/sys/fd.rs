//! `read(2)` and `write(2)` on a borrowed descriptor, straight from and into the caller's
//! buffer (guarded memory, for the callers in this crate): no user-space buffer in between.
//!
//! EINTR is retried; every other failure is returned as its `errno`, for the layer above to
//! turn into the crate's error.

use std::os::fd::{AsRawFd, BorrowedFd};

use super::mem::errno;

/// `read(2)` of at most `buf.len()` bytes into `buf`; `Ok(0)` is end of file. A read
/// interrupted by a signal handler (EINTR) is retried.
pub(crate) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, i32> {
    loop {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole call (it is an
        // exclusive borrow), and `read` writes at most that many; `fd` is open while borrowed.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        match usize::try_from(n) {
            Ok(n) => return Ok(n),
            Err(_) => match errno() {
                libc::EINTR => continue,
                errno => return Err(errno),
            },
        }
    }
}

/// `write(2)` until all of `bytes` is written, retrying after EINTR and short writes.
pub(crate) fn write_all(fd: BorrowedFd<'_>, mut bytes: &[u8]) -> Result<(), i32> {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for reads of `bytes.len()` bytes for the whole call, and
        // `write` reads at most that many; `fd` is open while borrowed.
        let n = unsafe { libc::write(fd.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        match usize::try_from(n) {
            Ok(0) => return Err(libc::EIO),
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(_) => match errno() {
                libc::EINTR => continue,
                errno => return Err(errno),
            },
        }
    }
    Ok(())
}
