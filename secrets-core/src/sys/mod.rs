//! Everything that talks to the kernel or to libsodium.
//!
//! The rest of the crate is safe code over the small API here:
//!
//! * [`aead`]: libsodium's AEAD constructions behind length-checked safe functions;
//! * [`sodium`]: libsodium's initialisation, CSPRNG, `sodium_memzero` and `sodium_memcmp`;
//! * [`mem`]: page protection, locking and the limits that govern them;
//! * [`secretmem`]: data pages from `memfd_secret(2)` between guard pages of our own;
//! * [`process`]: process-wide hardening (core dumps, dumpability);
//! * [`fd`]: `read(2)` and `write(2)` on a borrowed descriptor (`ReadFile` and `WriteFile` on a
//!   borrowed handle on Windows), straight into and out of the caller's (guarded) buffer;
//! * [`terminal`]: echo switched off while a password is typed (`termios`; the console mode on
//!   Windows), and passing on a Ctrl-C once it is restored (`raise(3)`; a console control
//!   handler on Windows);
//! * `acl` (Windows only): the owner-only checks of key and counter files in Windows' terms
//!   (owner and DACL), and files created with a DACL for the current user alone;
//! * [`stacklock`]: whether a stack page is locked already, so that a `Secret` leaves alone
//!   the locks it did not take.
//!
//! What differs between operating systems is chosen here and nowhere else, at two levels:
//!
//! * POSIX systems share the modules above (and `posix/mem.rs`, the POSIX half of [`mem`]),
//!   written once over POSIX calls and over one file per OS (or family) under `os/`:
//!   `os/linux.rs` (Linux and Android), `os/macos.rs`, `os/freebsd.rs`. Each offers the same
//!   functions and constants (dump and fork exclusion, not-dumpable, `memfd_secret`, the lock
//!   query, the flags of a reservation, `rlim_t`, the process's mapping and lock counts), and
//!   says through them what its OS does not offer (`None`, ENOSYS) rather than skipping it.
//! * Windows shares nothing with them below libsodium: `windows/` has its own file for each
//!   module that calls the OS (`fd`, `process`, `secretmem`, `terminal`, and `windows/mem.rs`
//!   for the Windows half of [`mem`]), with the same functions. What Windows lacks is said the
//!   same way (`None`, `ERROR_NOT_SUPPORTED`).
//!
//! [`mem`] itself, [`stacklock`], [`aead`] and [`sodium`] are written once for every OS.
//! `.ci/cross-check` type-checks the OSes this machine cannot run.
//!
//! This is the bottom layer: it names no `crate::Error` and no `Backend`, and never asks which
//! backend is active. A failed call returns its `errno` (and, where several calls make one
//! operation, the step that failed); the placement layer (`heap/`) decides what that means.

pub mod aead;
pub(crate) mod code;
pub(crate) mod mem;
pub(crate) mod sodium;
pub(crate) mod stacklock;

// POSIX systems share one file per module below, over the per-OS files in `os/`.
#[cfg(unix)]
pub(crate) mod fd;
#[cfg(unix)]
pub(crate) mod process;
#[cfg(unix)]
pub(crate) mod secretmem;
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
#[path = "windows/process.rs"]
pub(crate) mod process;
#[cfg(windows)]
#[path = "windows/secretmem.rs"]
pub(crate) mod secretmem;
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
