//! The placement layer: where a secret's bytes go, and what a failed system call means.
//!
//! * [`source`]: where pages come from, a [`source::PageSource`] per backend ([`memfd`],
//!   [`sodium`]); [`active`] picks the active [`crate::Backend`]'s, in one place;
//! * [`canary`]: the canaries around every secret;
//! * [`pool`]: small secrets of one type packed into shared pages, read through a copy;
//! * [`dedicated`]: one secret per page range between guard pages;
//! * [`spare`]: released `memfd_secret` regions, zeroed and sealed, kept for reuse;
//! * [`owner`]: which process may touch a piece of guarded memory (the `fork` check);
//! * [`limits`]: the policy that turns an `errno` into a typed [`crate::Error`] (lock limit, map
//!   count, memory), and the retry that releases kept memory first.
//!
//! This layer calls only `sys/` below it, and no two of its files import each other (this one
//! imports none of them). The protection layer above ([`crate::guarded`]) decides
//! when memory is readable; this one decides where it is and hands out its address.

pub(crate) mod active;
pub(crate) mod canary;
pub(crate) mod dedicated;
pub(crate) mod limits;
pub(crate) mod memfd;
pub(crate) mod owner;
pub(crate) mod pool;
pub(crate) mod sodium;
pub(crate) mod source;
pub(crate) mod spare;

use std::ptr::NonNull;

/// What the protection layer opens and closes: one secret's bytes, wherever they are placed.
///
/// The protection layer ([`crate::guarded`]) counts borrows and calls these on its transitions
/// only: `open_read` when the first reader arrives, `close_read` when the last one leaves,
/// `open_write`/`close_write` around a write borrow (which excludes every reader). The state
/// that decides a *page's* protection lives with the page: a dedicated region is its own page
/// range, while pooled slots share a page whose own count and lock live in the pool.
///
/// It is `pub` only because [`crate::Storage`] names it; nothing outside the crate can reach it.
pub trait Unit: Send + Sync + 'static {
    /// The value's length in bytes.
    fn len(&self) -> usize;

    /// Whether this process made the memory: false in a child made by `fork`, which has none of
    /// it (`MADV_DONTFORK`). One atomic load.
    fn is_owned_here(&self) -> bool;

    /// Where the value lies at rest (the first byte of a dedicated region's data, or of a
    /// pooled slot's value): for tests that check what is around it. Not an address to read.
    fn rest_address(&self) -> usize;

    /// Makes the value readable for the first reader and returns where it can be read, until
    /// `close_read`.
    ///
    /// # Errors
    /// [`crate::Error::ScratchExhausted`] if no scratch slot is left to copy a pooled value
    /// into, or decrypt a sealed one into.
    ///
    /// # Panics
    /// If it cannot be made readable and then kept from being readable at rest (a failed
    /// `mprotect`).
    fn open_read(&self) -> Result<NonNull<u8>, crate::Error>;

    /// Ends the read access that `open_read` returned `at`: no reference into it is alive.
    ///
    /// # Panics
    /// If the memory cannot be made inaccessible again.
    fn close_read(&self, at: NonNull<u8>);

    /// Makes the value readable and writable for one writer and returns where, until
    /// `close_write`. The caller holds the container mutably: no other access is alive.
    ///
    /// # Errors
    /// As for `open_read`.
    ///
    /// # Panics
    /// As for `open_read`.
    fn open_write(&self) -> Result<NonNull<u8>, crate::Error>;

    /// Ends the write access that `open_write` returned `at`, keeping what was written.
    ///
    /// # Panics
    /// As for `close_read`.
    fn close_write(&self, at: NonNull<u8>);
}

/// Guarded memory is `MADV_DONTFORK`: a forked child has none of its parent's secrets.
pub(crate) fn forked() -> ! {
    panic!(
        "secrets: this secret belongs to the parent process; guarded memory is not inherited \
         by a child made by fork()"
    )
}

/// A protection could not be changed, so a borrow cannot be given (or ended) safely.
pub(crate) fn protection_failed(access: crate::sys::mem::Access, errno: i32) -> ! {
    panic!(
        "secrets: could not set guarded memory to {access:?} (mprotect: {}); \
         the PROT_NONE-at-rest guarantee cannot be kept",
        std::io::Error::from_raw_os_error(errno)
    )
}
