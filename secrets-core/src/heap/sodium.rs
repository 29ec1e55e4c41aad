//! Dedicated regions from libsodium's `sodium_malloc` (the [`Backend::Sodium`] page source).
//!
//! `sodium_malloc` puts a read-only header page in front of the layout drawn in
//! [`super::dedicated`] and ignores the failure of its guard-page `mprotect`s and of `mlock`
//! (measured on this project's machine: past about 16,000 live allocations the map count runs
//! out and it keeps returning memory with no guard pages). So after it returns, this source
//! locks the region itself when anything failed, and [`PageSource::seal`] protects guard,
//! region and guard in one call; each of those either confirms what libsodium did (the calls
//! are then cheap no-ops) or puts it in place, and if it cannot, the allocation is freed and a
//! typed error returned.
//!
//! [`Backend::Sodium`]: crate::Backend::Sodium

use std::ptr::NonNull;

use super::canary::CANARY_SIZE;
use super::limits::{
    advise_error, guard_error, lock, lock_error, map_error, mapping_error, release_kept,
};
use super::owner::Owner;
use super::source::{PageSource, Region};
use crate::sys::mem::{self, Access};
use crate::sys::sodium;
use crate::Error;

/// The call that leaves pages out of core dumps, for errors (it never fails where the OS has
/// none: `mem::DONT_DUMP` is `None` there, which `harden_process` reports).
const DONT_DUMP_CALL: &str = match mem::DONT_DUMP {
    Some(call) => call,
    None => "dump exclusion",
};

/// The call that has the kernel zero locked pages left behind by a crash, for errors (only
/// macOS has one: `mem::ZERO_WIRED` is `None` elsewhere, and the call does nothing there).
const ZERO_WIRED_CALL: &str = match mem::ZERO_WIRED {
    Some(call) => call,
    None => "zeroing of wired pages",
};

/// The [`PageSource`] of [`crate::Backend::Sodium`].
pub(crate) struct SodiumPages;

/// Frees a region made by `sodium_malloc` on the way out of a failed `allocate`.
struct FreeOnError<'a>(Option<&'a Region>);

impl Drop for FreeOnError<'_> {
    fn drop(&mut self) {
        if let Some(region) = self.0 {
            // SAFETY: `data` came from `sodium::malloc` just now and is freed only here, once;
            // nothing refers to it.
            unsafe { sodium::free(region.data.as_ptr()) }
        }
    }
}

/// Something `sodium_malloc` did failed: put each protection in place ourselves, in the order
/// that lets each error be named. The guard pages come first: once they exist, the region is a
/// mapping of its own, and a failing `mlock` can no longer be a failed split.
fn put_protections_in_place(region: &Region) -> Result<(), Error> {
    let page = mem::page_size();
    for guard in [region.start - page, region.start + region.region_len] {
        // SAFETY: both guard pages belong to this allocation and nothing points into them.
        unsafe { mem::protect(guard, page, Access::None) }
            .map_err(|errno| mapping_error(region.len, "mprotect", errno, guard_error))?;
    }
    lock(region.start, region.region_len)
        .map_err(|errno| lock_error(region.len, region.region_len, errno))?;
    mem::dont_dump(region.start, region.region_len)
        .map_err(|errno| advise_error(region.len, DONT_DUMP_CALL, errno, 3))
}

impl PageSource for SodiumPages {
    fn allocate(&self, len: usize, region_len: usize) -> Result<Region, Error> {
        // Every call `sodium_malloc` makes (mmap, mprotect, madvise, mlock) sets errno only when
        // it fails; so if errno is still zero afterwards, each guard page, the lock and
        // MADV_DONTDUMP are in place, and checking them again would only cost time.
        mem::clear_errno();
        let ptr =
            sodium::malloc(len).map_err(|errno| mapping_error(len, "mmap", errno, map_error))?;
        let all_succeeded = mem::errno() == 0;
        let data = NonNull::new(ptr).ok_or(Error::SodiumInit)?;
        // The data is preceded by the canary inside the mapping, so this cannot wrap.
        let start = mem::page_floor(ptr as usize - CANARY_SIZE);
        let region = Region {
            data,
            len,
            start,
            region_len,
            owner: Owner::current(),
        };
        let mut free_on_error = FreeOnError(Some(&region));
        if !all_succeeded {
            put_protections_in_place(&region)?;
        }
        // The region's mapping and its two guard pages, which `free_on_error` unmaps.
        mem::dont_fork(start, region_len)
            .map_err(|errno| advise_error(len, mem::DONT_FORK, errno, 3))?;
        mem::zero_wired(start, region_len)
            .map_err(|errno| advise_error(len, ZERO_WIRED_CALL, errno, 3))?;
        free_on_error.0 = None;
        drop(free_on_error);
        Ok(region)
    }

    unsafe fn seal(&self, region: &Region) -> Result<(), Error> {
        let page = mem::page_size();
        let guarded_len = region.region_len + 2 * page;
        let guard_failed = |errno| mapping_error(region.len, "mprotect", errno, guard_error);
        // `sizes` checked that the region and three more pages fit in `isize::MAX`.
        if mem::AT_REST == Access::None {
            // SAFETY: `[start - page, start + region_len + page)` is this allocation's region
            // with its two guard pages; the caller guarantees no reference into it is alive.
            // One call for all three, since they end up alike.
            unsafe { mem::protect(region.start - page, guarded_len, Access::None) }
                .map_err(guard_failed)
        } else {
            for guard in [region.start - page, region.start + region.region_len] {
                // SAFETY: a guard page of this allocation; nothing refers to it.
                unsafe { mem::protect(guard, page, Access::None) }.map_err(guard_failed)?;
            }
            // SAFETY: the region of this allocation; the caller guarantees no reference into
            // it is alive.
            unsafe { mem::protect(region.start, region.region_len, mem::AT_REST) }
                .map_err(guard_failed)
        }
    }

    unsafe fn release(&self, region: &Region) {
        // SAFETY: `data` came from `sodium::malloc` and is freed only here, once (the caller's
        // contract). `sodium_free` makes the mapping writable itself, checks the canary (a
        // mismatch kills the process), zeroes and unlocks the region, and unmaps it all.
        unsafe { sodium::free(region.data.as_ptr()) }
    }

    fn map_chunk(&self, pages: usize, requested: usize) -> Result<usize, Error> {
        let page = mem::page_size();
        let len = (2 * pages + 1) * page;
        let base = match mem::reserve(len) {
            Err(_) if release_kept() > 0 => mem::reserve(len),
            reserved => reserved,
        }
        .map_err(|errno| mapping_error(requested, "mmap", errno, map_error))?;
        // Mappings a failure leaves unmapped again: up to one per page and guard.
        let undone = (2 * pages + 1) as u64;
        let unmap_on_error = |error: Error| {
            // SAFETY: the reservation (and every page mapped into it) is ours alone; nothing
            // refers to it yet.
            unsafe { mem::unmap(base, len) };
            error
        };
        for index in 0..pages {
            let at = base + (2 * index + 1) * page;
            // SAFETY: one page inside the reservation made just above.
            unsafe { mem::map_anonymous_at(at, page) }.map_err(|errno| {
                unmap_on_error(mapping_error(requested, "mmap", errno, guard_error))
            })?;
            lock(at, page).map_err(|errno| unmap_on_error(lock_error(requested, page, errno)))?;
            for (advice, advise) in [
                (
                    DONT_DUMP_CALL,
                    mem::dont_dump as fn(usize, usize) -> Result<(), i32>,
                ),
                (mem::DONT_FORK, mem::dont_fork),
                (ZERO_WIRED_CALL, mem::zero_wired),
            ] {
                advise(at, page).map_err(|errno| {
                    unmap_on_error(advise_error(requested, advice, errno, undone))
                })?;
            }
            // SAFETY: the page is ours and nothing refers to it.
            unsafe { mem::protect(at, page, mem::AT_REST) }.map_err(|errno| {
                unmap_on_error(mapping_error(requested, "mprotect", errno, guard_error))
            })?;
        }
        Ok(base)
    }

    unsafe fn unmap_chunk(&self, base: usize, pages: usize) {
        let page = mem::page_size();
        for index in 0..pages {
            let at = base + (2 * index + 1) * page;
            // Anonymous memory goes back to the kernel as it is: zero it first. The pool has
            // zeroed every slot; this also clears the canaries.
            // SAFETY: the caller's contract: the chunk is ours and unused.
            if unsafe { mem::protect(at, page, Access::ReadWrite) }.is_ok() {
                // SAFETY: the page is writable now and nothing refers to it.
                unsafe { mem::zero(at, page) };
            }
        }
        // SAFETY: as above.
        unsafe { mem::unmap(base, (2 * pages + 1) * page) }
    }
}
