//! Where guarded pages come from: the [`PageSource`] seam, one implementation per
//! [`crate::Backend`] ([`super::memfd`], [`super::sodium`]); [`super::active`] picks one. Both placements take their pages here: a dedicated region
//! per secret ([`PageSource::allocate`]) and the chunks of shared pages of the pool
//! ([`PageSource::map_chunk`]).

use std::ptr::NonNull;

use super::owner::Owner;
use crate::Error;

/// The pages of one dedicated allocation, as a [`PageSource`] made them.
pub(crate) struct Region {
    /// The first byte of the data.
    pub(crate) data: NonNull<u8>,
    /// The data's length in bytes.
    pub(crate) len: usize,
    /// First byte of the page-aligned region that holds canary and data.
    pub(crate) start: usize,
    /// The region's length: canary and data in whole pages.
    pub(crate) region_len: usize,
    /// The process that made the region: after a `fork`, the child has none.
    pub(crate) owner: Owner,
}

/// Where the pages of a dedicated allocation come from: one implementation per [`Backend`].
pub(crate) trait PageSource: Sync {
    /// A region for `len` bytes of data (`region_len` bytes: canary and data in whole pages)
    /// between guard pages, locked, `MADV_DONTDUMP` and `MADV_DONTFORK`, with the canary in
    /// place, left readable and writable for initialisation (the caller zeroes the data).
    ///
    /// # Errors
    /// The typed error of the protection that could not be put in place; nothing is left
    /// mapped then.
    fn allocate(&self, len: usize, region_len: usize) -> Result<Region, Error>;

    /// Makes `region` inaccessible after initialisation, with its guard pages confirmed.
    ///
    /// # Errors
    /// [`Error::Guard`] (or [`Error::OutOfMemory`]) if the protection cannot be set.
    ///
    /// # Safety
    /// `region` came from this source's `allocate` and no reference into it is alive.
    unsafe fn seal(&self, region: &Region) -> Result<(), Error>;

    /// Checks the canary (aborting on a mismatch), zeroes the region and releases it.
    ///
    /// # Safety
    /// `region` came from this source's `allocate`, was not released before, belongs to the
    /// calling process, and no reference into it is alive; it is not used afterwards.
    unsafe fn release(&self, region: &Region);

    /// Maps a chunk of `pages` data pages for the pool, each a mapping of its own between
    /// guard pages (`| G | D | G | D | ... | D | G |`, `2 * pages + 1` pages from the returned
    /// address), locked, `MADV_DONTDUMP`, `MADV_DONTFORK`, `PROT_NONE`, with no file
    /// descriptor left open. `requested` is the length of the secret that needs it, for the
    /// error. If mapping fails, the memory kept for reuse is released and it is tried once more.
    ///
    /// # Errors
    /// [`Error::Lock`] when the lock limit leaves no room for the chunk, [`Error::Map`] or
    /// [`Error::Guard`] at the map count, [`Error::OutOfMemory`] otherwise; nothing is left
    /// mapped then.
    fn map_chunk(&self, pages: usize, requested: usize) -> Result<usize, Error>;

    /// Unmaps a chunk made by [`PageSource::map_chunk`].
    ///
    /// # Safety
    /// `base` and `pages` come from one `map_chunk` of this source, not unmapped before, by the
    /// calling process, and nothing refers to the chunk or uses it afterwards.
    unsafe fn unmap_chunk(&self, base: usize, pages: usize);
}
