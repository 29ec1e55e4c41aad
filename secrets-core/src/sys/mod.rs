//! Everything that talks to the kernel or to libsodium.
//!
//! The rest of the crate is safe code over the small API here:
//!
//! * [`aead`]: libsodium's AEAD constructions behind length-checked safe functions;
//! * [`sodium`]: libsodium's initialisation, CSPRNG, `sodium_memzero` and `sodium_memcmp`;
//! * [`mem`]: page protection, locking and the limits that govern them;
//! * [`secretmem`]: data pages from `memfd_secret(2)` between guard pages of our own;
//! * [`process`]: process-wide hardening (core dumps, dumpability);
//! * [`fd`]: `read(2)` and `write(2)` on a borrowed descriptor, straight into and out of the
//!   caller's (guarded) buffer;
//! * [`terminal`]: echo switched off while a password is typed (`termios`), and the `raise(3)`
//!   that passes on a Ctrl-C;
//! * [`stacklock`]: whether a stack page is locked already, so that a `Secret` leaves alone
//!   the locks it did not take.
//!
//! What differs between operating systems is in one file per OS (or family) under `sys/os/`,
//! chosen here and nowhere else: `os/linux.rs` (Linux and Android), `os/macos.rs`,
//! `os/freebsd.rs`. Each offers the same functions and constants (dump and fork exclusion,
//! not-dumpable, `memfd_secret`, the lock query, the flags of a reservation, `rlim_t`, the
//! process's mapping and lock counts), and says through them what its OS does not offer
//! (`None`, ENOSYS) rather than skipping it; the modules above are written once over them and
//! over POSIX calls every supported OS has. `.ci/cross-check` type-checks the others.
//!
//! This is the bottom layer: it names no `crate::Error` and no `Backend`, and never asks which
//! backend is active. A failed call returns its `errno` (and, where several calls make one
//! operation, the step that failed); the placement layer (`heap/`) decides what that means.

pub mod aead;
pub(crate) mod code;
pub(crate) mod sodium;

// POSIX systems share one file per module below, over the per-OS files in `os/`.
#[cfg(unix)]
pub(crate) mod fd;
#[cfg(unix)]
pub(crate) mod mem;
#[cfg(unix)]
pub(crate) mod process;
#[cfg(unix)]
pub(crate) mod secretmem;
#[cfg(unix)]
pub(crate) mod stacklock;
#[cfg(unix)]
pub(crate) mod terminal;

// Windows shares nothing with them below libsodium: a file of its own per module, with the
// same functions, under `windows/`.
#[cfg(windows)]
#[path = "windows/acl.rs"]
pub mod acl;
#[cfg(windows)]
#[path = "windows/fd.rs"]
pub(crate) mod fd;
#[cfg(windows)]
#[path = "windows/mem.rs"]
pub(crate) mod mem;
#[cfg(windows)]
#[path = "windows/process.rs"]
pub(crate) mod process;
#[cfg(windows)]
#[path = "windows/secretmem.rs"]
pub(crate) mod secretmem;
#[cfg(windows)]
#[path = "windows/stacklock.rs"]
pub(crate) mod stacklock;
#[cfg(windows)]
#[path = "windows/terminal.rs"]
pub(crate) mod terminal;

// The one place that chooses per OS. Android is Linux with Bionic for a C library: the same
// calls, its errno slot under another name.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[path = "os/linux.rs"]
mod os;
#[cfg(target_os = "macos")]
#[path = "os/macos.rs"]
mod os;
#[cfg(target_os = "freebsd")]
#[path = "os/freebsd.rs"]
mod os;
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "freebsd",
    windows
)))]
compile_error!(
    "secrets-guarded supports Linux, Android, macOS, FreeBSD and Windows; this OS has no file \
     in secrets-core/src/sys/os/ yet"
);

#[cfg(target_os = "android")]
use libc::__errno as errno_location;
#[cfg(target_os = "linux")]
use libc::__errno_location as errno_location;
#[cfg(any(target_os = "macos", target_os = "freebsd"))]
use libc::__error as errno_location;
