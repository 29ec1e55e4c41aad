//! Pseudo-terminals, for tests of what a process does with a terminal it is handed.

use std::ffi::CStr;
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::PathBuf;

/// A fresh pseudo-terminal: the master (kept open, so the slave stays usable) and the path of
/// the slave, which nobody has opened yet. Closed when dropped.
pub struct Pty {
    /// The master side.
    pub master: File,
    /// The slave's path, e.g. `/dev/pts/3`.
    pub slave: PathBuf,
}

impl Pty {
    /// Opens a new pty master (`posix_openpt`, with `O_NOCTTY` so the caller does not acquire
    /// it), and unlocks its slave.
    ///
    /// # Panics
    /// If any step fails.
    pub fn open() -> Pty {
        // SAFETY: `posix_openpt` takes only flags and returns a new descriptor or -1.
        let fd = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
        assert!(fd >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
        // SAFETY: `fd` is a new descriptor owned by nothing else.
        let master = unsafe { File::from_raw_fd(fd) };
        // SAFETY: `grantpt` takes an open pty master.
        assert_eq!(unsafe { libc::grantpt(master.as_raw_fd()) }, 0, "grantpt");
        // SAFETY: `unlockpt` takes an open pty master.
        assert_eq!(unsafe { libc::unlockpt(master.as_raw_fd()) }, 0, "unlockpt");
        Pty {
            slave: slave_path(&master),
            master,
        }
    }
}

/// The path of the slave of the pty master `master`, from `ptsname_r` (Linux, Android, FreeBSD).
#[cfg(not(target_vendor = "apple"))]
fn slave_path(master: &File) -> PathBuf {
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: `name` is valid for writes of `name.len()` bytes.
    let ret = unsafe { libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()) };
    assert_eq!(ret, 0, "ptsname_r");
    // SAFETY: `ptsname_r` succeeded, so `name` holds a NUL-terminated path.
    let slave = unsafe { CStr::from_ptr(name.as_ptr()) };
    PathBuf::from(slave.to_str().expect("pty path is UTF-8"))
}

/// The path of the slave of the pty master `master`, from POSIX `ptsname` (the `libc` crate has
/// no `ptsname_r` for Apple targets). `ptsname` returns a static buffer, so a lock keeps two
/// threads of the test binary from sharing it while the path is copied out.
#[cfg(target_vendor = "apple")]
fn slave_path(master: &File) -> PathBuf {
    static PTSNAME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _only_caller = PTSNAME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // SAFETY: `ptsname` takes an open pty master and returns a pointer to a static
    // NUL-terminated path, or null; the lock above keeps other callers in this process off it.
    let name = unsafe { libc::ptsname(master.as_raw_fd()) };
    assert!(
        !name.is_null(),
        "ptsname: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `ptsname` succeeded, so `name` points to a NUL-terminated path, valid until the
    // next call, which the lock holds off until it is copied.
    let slave = unsafe { CStr::from_ptr(name) };
    PathBuf::from(slave.to_str().expect("pty path is UTF-8"))
}

/// Whether the calling process has a controlling terminal: `open("/dev/tty")` succeeds with
/// one and fails with `ENXIO` without.
///
/// # Panics
/// If `/dev/tty` fails to open for another reason.
pub fn has_controlling_terminal() -> bool {
    match File::open("/dev/tty") {
        Ok(_) => true,
        Err(err) if err.raw_os_error() == Some(libc::ENXIO) => false,
        Err(err) => panic!("open /dev/tty: {err}"),
    }
}

/// Makes the calling process the leader of a new session, with no controlling terminal
/// (`setsid`).
///
/// # Panics
/// If `setsid` fails (the caller already leads a process group).
pub fn new_session() {
    // SAFETY: `setsid` takes no arguments.
    let ret = unsafe { libc::setsid() };
    assert!(ret > 0, "setsid: {}", std::io::Error::last_os_error());
}
