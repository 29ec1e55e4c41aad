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
