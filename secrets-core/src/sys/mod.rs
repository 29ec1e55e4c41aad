//! Everything that talks to the kernel or to libsodium.
//!
//! The rest of the crate is safe code over the small API here:
//!
//! * [`aead`]: libsodium's AEAD constructions behind length-checked safe functions;
//! * [`sodium`]: libsodium's initialisation, CSPRNG, `sodium_memzero` and `sodium_memcmp`;
//! * [`mem`]: page protection, locking and the limits that govern them;
//! * [`secretmem`]: data pages from `memfd_secret(2)` between guard pages of our own;
//! * [`process`]: process-wide hardening (core dumps, dumpability);
//! * [`terminal`]: echo switched off while a password is typed (`termios`), with the `read(2)`,
//!   `write(2)` and `raise(3)` that reading it needs;
//! * [`stacklock`]: whether a stack page is locked already, so that a `Secret` leaves alone
//!   the locks it did not take.
//!
//! This is the bottom layer: it names no `crate::Error` and no `Backend`, and never asks which
//! backend is active. A failed call returns its `errno` (and, where several calls make one
//! operation, the step that failed); the placement layer (`heap/`) decides what that means.

pub mod aead;
pub(crate) mod mem;
pub(crate) mod process;
pub(crate) mod secretmem;
pub(crate) mod sodium;
pub(crate) mod stacklock;
pub(crate) mod terminal;
