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
//! * [`spare`]: released `memfd_secret` regions, zeroed and sealed, kept for reuse;
//! * [`stacklock`]: whether a stack page is locked already, so that a `Secret` leaves alone
//!   the locks it did not take;
//! * [`alloc`]: one guarded allocation from either backend (guard pages, canary, locked data),
//!   with both layouts drawn in their modules.
//!
//! Every `unsafe` block of the crate's memory handling is in these files, and each carries a
//! `// SAFETY:` comment naming the invariant it relies on.

pub mod aead;
pub(crate) mod alloc;
pub(crate) mod mem;
pub(crate) mod process;
pub(crate) mod secretmem;
pub(crate) mod sodium;
pub(crate) mod spare;
pub(crate) mod stacklock;
pub(crate) mod terminal;
