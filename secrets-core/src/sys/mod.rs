//! Everything that talks to the kernel or to libsodium.
//!
//! The rest of the crate is safe code over the small API here:
//!
//! * [`sodium`]: libsodium's initialisation, CSPRNG, `sodium_memzero` and `sodium_memcmp`;
//! * [`mem`]: page protection, locking and the limits that govern them;
//! * [`alloc`]: one guarded allocation (guard pages, canary, locked data), whose layout is
//!   drawn in that module.
//!
//! Every `unsafe` block of the crate's memory handling is in these files, and each carries a
//! `// SAFETY:` comment naming the invariant it relies on.

pub(crate) mod alloc;
pub(crate) mod mem;
pub(crate) mod sodium;
