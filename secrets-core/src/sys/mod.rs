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
pub(crate) mod fd;
pub(crate) mod mem;
pub(crate) mod process;
pub(crate) mod secretmem;
pub(crate) mod sodium;
pub(crate) mod stacklock;
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
    target_os = "freebsd"
)))]
compile_error!(
    "secrets-guarded supports Linux, Android, macOS and FreeBSD; this OS has no file in \
     secrets-core/src/sys/os/ yet (Windows is planned)"
);

#[cfg(target_os = "android")]
use libc::__errno as errno_location;
#[cfg(target_os = "linux")]
use libc::__errno_location as errno_location;
#[cfg(any(target_os = "macos", target_os = "freebsd"))]
use libc::__error as errno_location;
