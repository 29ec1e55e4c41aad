//! Dedicated regions from Linux `memfd_secret(2)` (the [`Backend::MemfdSecret`] page source),
//! with a canary of this crate's own and released regions kept for reuse ([`super::spare`]).
//!
//! [`Backend::MemfdSecret`]: crate::Backend::MemfdSecret

use super::canary::{canary, canary_smashed, CANARY_SIZE};
use super::limits::{
    advise_error, guard_error, map_error, mapping_error, mapping_error_after, release_kept,
};
use super::owner::Owner;
use super::source::{PageSource, Region};
use super::spare;
use crate::sys::mem::{self, Access};
use crate::sys::secretmem;
use crate::Error;

/// The [`PageSource`] of [`crate::Backend::MemfdSecret`].
pub(crate) struct MemfdSecretPages;

/// A new `memfd_secret` region between guard pages. If the mapping fails (the lock limit, the
/// map count), the memory kept for reuse is released and it is tried once more, so that it
/// never costs an allocation.
fn map_secretmem(len: usize, region_len: usize) -> Result<usize, Error> {
    let mapped = match secretmem::map(region_len) {
        Err((secretmem::Step::Reserve | secretmem::Step::Map, _)) if release_kept() > 0 => {
            secretmem::map(region_len)
        }
        mapped => mapped,
    };
    // A failed `map` leaves at most the reservation's split behind: three mappings.
    mapped.map_err(|(step, errno)| secretmem_error(len, region_len, step, errno, 3))
}

/// The error for a failed step of `secretmem::map` (or of mapping a pool chunk) that asked for
/// `region_len` bytes of secret memory to hold `len` bytes of data.
/// `undone` is how many mappings the failed call made and removed again (see
/// [`super::limits::mapping_error_after`]).
pub(crate) fn secretmem_error(
    len: usize,
    region_len: usize,
    step: secretmem::Step,
    errno: i32,
    undone: u64,
) -> Error {
    match step {
        secretmem::Step::Create => Error::SecretMemory {
            requested: len,
            errno,
        },
        secretmem::Step::Reserve => mapping_error_after(undone, len, "mmap", errno, map_error),
        // The kernel charges secret memory to RLIMIT_MEMLOCK and says EAGAIN when it is used
        // up; ENOMEM near the map count means the split of the reservation hit it.
        secretmem::Step::Map if errno == libc::EAGAIN => Error::Lock {
            requested: len,
            locked: region_len,
            limit: mem::memlock_limit(),
            errno,
        },
        secretmem::Step::Map => mapping_error_after(undone, len, "mmap", errno, guard_error),
    }
}

impl PageSource for MemfdSecretPages {
    fn allocate(&self, len: usize, region_len: usize) -> Result<Region, Error> {
        let owner = Owner::current();
        let (start, fresh) = match spare::take(region_len, owner) {
            Some(start) => (start, false),
            None => (map_secretmem(len, region_len)?, true),
        };
        let data_addr = start + region_len - len;
        let region = Region {
            // `data_addr` is inside a mapping that starts above address zero.
            data: std::ptr::NonNull::new(data_addr as *mut u8).ok_or(Error::SodiumInit)?,
            len,
            start,
            region_len,
            owner,
        };
        // A kept region has its advice already.
        if fresh {
            if let Err(errno) = mem::dont_fork(start, region_len) {
                // SAFETY: the region was just mapped here and nothing refers to it.
                unsafe { secretmem::unmap(start, region_len) };
                // The region, and its guard reservation on either side.
                return Err(advise_error(len, mem::DONT_FORK, errno, 3));
            }
        }
        // SAFETY: the 16 bytes before the data lie inside the region, which is writable and
        // only ours. The rest of the region is zero (fresh from the kernel, or zeroed in full,
        // old canary included, before it was kept).
        unsafe { mem::write_bytes(data_addr - CANARY_SIZE, canary()) };
        Ok(region)
    }

    unsafe fn seal(&self, region: &Region) -> Result<(), Error> {
        // The guard pages are the `PROT_NONE` reservation, in place since the region was
        // mapped: only the region changes.
        // SAFETY: the region is this allocation's, and the caller guarantees no reference into
        // it is alive.
        unsafe { mem::protect(region.start, region.region_len, Access::None) }
            .map_err(|errno| mapping_error(region.len, "mprotect", errno, guard_error))
    }

    unsafe fn release(&self, region: &Region) {
        // SAFETY: the caller guarantees no borrow of the region is alive.
        if unsafe { mem::protect(region.start, region.region_len, Access::ReadWrite) }.is_err() {
            // The region stays inaccessible; unmapping it still releases it (the kernel also
            // zeroes secret memory pages when it frees them).
            // SAFETY: region and length come from `secretmem::map`; unmapped only here.
            unsafe { secretmem::unmap(region.start, region.region_len) };
            return;
        }
        let canary_at = region.start + region.region_len - region.len - CANARY_SIZE;
        // SAFETY: the canary lies inside the region, which is readable now.
        if !unsafe { mem::bytes_equal(canary_at, canary()) } {
            canary_smashed();
        }
        // SAFETY: the region is writable now, `region_len` bytes long, and only ours.
        unsafe { mem::zero(region.start, region.region_len) };
        // SAFETY: nothing refers to the region; it is being released.
        let sealed = unsafe { mem::protect(region.start, region.region_len, Access::None) }.is_ok();
        if sealed && spare::keep(region.start, region.region_len, region.owner) {
            return;
        }
        // SAFETY: as above; the region was not kept, so nothing else will use or unmap it.
        unsafe { secretmem::unmap(region.start, region.region_len) };
    }

    fn map_chunk(&self, pages: usize, requested: usize) -> Result<usize, Error> {
        let page = mem::page_size();
        let mapped = match secretmem::map_chunk(pages) {
            Err((secretmem::Step::Reserve | secretmem::Step::Map, _)) if release_kept() > 0 => {
                secretmem::map_chunk(pages)
            }
            mapped => mapped,
        };
        // A chunk that failed half-way was unmapped before the error comes here: up to one
        // mapping per page and guard.
        let undone = (2 * pages + 1) as u64;
        let base = mapped.map_err(|(step, errno)| {
            secretmem_error(requested, pages.saturating_mul(page), step, errno, undone)
        })?;
        let len = (2 * pages + 1) * page;
        if let Err(errno) = mem::dont_fork(base, len) {
            // SAFETY: the chunk was just mapped here and nothing refers to it.
            unsafe { mem::unmap(base, len) };
            return Err(advise_error(requested, mem::DONT_FORK, errno, undone));
        }
        Ok(base)
    }

    unsafe fn unmap_chunk(&self, base: usize, pages: usize) {
        // SAFETY: the caller's contract: one unused chunk of ours. The kernel zeroes secret
        // memory pages when it frees them; the pool has zeroed every slot already.
        unsafe { mem::unmap(base, (2 * pages + 1) * mem::page_size()) }
    }
}
