//! The OS error codes that the layers above tell apart, under one name per meaning.
//!
//! Every `errno` this crate reports (in [`crate::Error`]'s `errno` fields, and between the
//! layers) is the OS's own code for the failure, as `std::io::Error::raw_os_error` gives it:
//! `errno` on POSIX systems, the Win32 error code (`GetLastError`) on Windows. The two number
//! spaces differ, so code above `sys/` never compares with `libc::E*` directly; it compares
//! with the names here, which are the `errno` constants on POSIX systems and the Win32 code of
//! the same meaning on Windows.

#[cfg(unix)]
pub(crate) use libc::{EAGAIN, ENOMEM, EPERM};
#[cfg(unix)]
pub(crate) use libc::{ELOOP, EPIPE, EWOULDBLOCK};
// Terminals (`password.rs`): no terminal at all (ENXIO: no controlling terminal; ENOENT: no
// `/dev/tty`), a write to a descriptor not open for writing (EBADF: standard input, a
// terminal opened read-only, gets no prompt; only POSIX compares with it, since the Windows
// prompt always goes to the console's own output, `CONOUT$`), and the code reported when an
// OS error carried none (EIO).
#[cfg(unix)]
pub(crate) use libc::{EBADF, EIO, ENOENT, ENXIO};

/// Windows' codes for the same failures.
#[cfg(windows)]
mod windows {
    use windows_sys::Win32::Foundation as win;

    /// Out of memory (`VirtualAlloc` of committed pages past the commit limit reports
    /// `ERROR_COMMITMENT_LIMIT` instead; `sys/windows/mem.rs` reports both as this one).
    pub(crate) const ENOMEM: i32 = win::ERROR_NOT_ENOUGH_MEMORY as i32;
    /// The lock limit: `VirtualLock` past the process's minimum working set.
    pub(crate) const EAGAIN: i32 = win::ERROR_WORKING_SET_QUOTA as i32;
    /// Not allowed.
    pub(crate) const EPERM: i32 = win::ERROR_ACCESS_DENIED as i32;
    /// An input/output error of the device (POSIX: EIO).
    pub(crate) const EIO: i32 = win::ERROR_IO_DEVICE as i32;
    /// The path is a symbolic link (POSIX: ELOOP, from `O_NOFOLLOW`); on Windows, any reparse
    /// point (a symbolic link, a junction, a mount point, a cloud placeholder), which the key
    /// and counter files refuse.
    pub(crate) const ELOOP: i32 = win::ERROR_REPARSE_POINT_ENCOUNTERED as i32;
    /// The reader closed its end of the pipe (POSIX: EPIPE). `WriteFile` reports it as
    /// `ERROR_NO_DATA` ("the pipe is being closed") or `ERROR_BROKEN_PIPE`;
    /// `sys/windows/fd.rs` reports both as this one.
    pub(crate) const EPIPE: i32 = win::ERROR_BROKEN_PIPE as i32;
    /// The handle would have to wait (POSIX: EAGAIN/EWOULDBLOCK from a non-blocking
    /// descriptor): a `PIPE_NOWAIT` pipe with nothing to read (`ERROR_NO_DATA`) or no room to
    /// write (`WriteFile` writes 0 bytes); `sys/windows/fd.rs` reports both as this one.
    /// Win32 has no file error code for "would block"; this is Winsock's `WSAEWOULDBLOCK`,
    /// which std maps to `ErrorKind::WouldBlock` (`ERROR_NO_DATA` it maps to `BrokenPipe`).
    pub(crate) const EWOULDBLOCK: i32 = windows_sys::Win32::Networking::WinSock::WSAEWOULDBLOCK;
    /// No terminal: opening `CONIN$` or `CONOUT$` in a process without a console (a service,
    /// `DETACHED_PROCESS`, a GUI program) fails with ERROR_INVALID_HANDLE.
    pub(crate) const ENXIO: i32 = win::ERROR_INVALID_HANDLE as i32;
    /// No such file or device.
    pub(crate) const ENOENT: i32 = win::ERROR_FILE_NOT_FOUND as i32;
}
#[cfg(windows)]
pub(crate) use windows::*;
