//! One guarded allocation: libsodium's `sodium_malloc` layout, with every protection checked.
//!
//! ```text
//!  base (mmap)                                                             base + total
//!  |  header  |   guard   |  garbage .. canary | data (len bytes) |   guard   |
//!  |  (r--)   |   (---)   |<------- region, locked, DONTDUMP ---->|   (---)   |
//!                          ^ page aligned       ^ data ends at the end of its page,
//!                                                 so data[len] is in the guard page
//! ```
//!
//! * A write past the end of the data faults at once: the next byte is in a guard page.
//! * A write before the data first hits libsodium's 16-byte random canary, which `sodium_free`
//!   checks (a mismatch kills the process with SIGABRT); a larger underflow reaches the leading
//!   guard page.
//! * At rest the region is `PROT_NONE` too; `Guarded` opens it only while a borrow is alive.
//!
//! `sodium_malloc` ignores the failure of its guard-page `mprotect`s and of `mlock` (measured on
//! this project's machine: past about 16,000 live allocations the map count runs out and it
//! keeps returning memory with no guard pages). So after it returns, [`Allocation::new`] locks the
//! region itself and [`Allocation::seal`] protects guard, region and guard in one call; each of
//! those either confirms what libsodium did (the calls are then cheap no-ops) or puts it in place,
//! and if it cannot, the allocation is freed and a typed error returned.

use std::ptr::NonNull;

use super::mem::{self, Access};
use super::sodium;
use crate::Error;

/// libsodium's `CANARY_SIZE`: the canary sits just before the data.
const CANARY_SIZE: usize = 16;

/// A live `sodium_malloc` allocation whose guard pages and lock have been verified.
pub(crate) struct Allocation {
    data: NonNull<u8>,
    len: usize,
    /// First byte of the page-aligned region that holds canary and data.
    region: usize,
    region_len: usize,
}

// SAFETY: an `Allocation` owns its mapping outright (no other handle to it exists), so it may be
// moved to another thread; shared access through `&Allocation` only reads the fields above, and
// the synchronisation of access to the *memory* is the job of `Guarded`, which is the only user.
unsafe impl Send for Allocation {}
// SAFETY: as above; `&Allocation` offers no interior mutability of its own.
unsafe impl Sync for Allocation {}

impl Allocation {
    /// Allocates `len` bytes of guarded, locked memory, left readable and writable so the
    /// caller can initialise it; the caller then calls [`Allocation::seal`].
    pub(crate) fn new(len: usize) -> Result<Self, Error> {
        sodium::init()?;
        let ptr = sodium::malloc(len).map_err(|errno| Error::Map {
            requested: len,
            errno,
            max_map_count: mem::max_map_count(),
        })?;
        let data = NonNull::new(ptr).ok_or(Error::SodiumInit)?;
        let region = mem::page_floor(ptr as usize - CANARY_SIZE);
        let region_len = mem::page_round(len + CANARY_SIZE);
        let alloc = Allocation {
            data,
            len,
            region,
            region_len,
        };
        // From here on, dropping `alloc` frees the memory, so `?` leaks nothing.
        mem::lock(region, region_len).map_err(|errno| Error::Lock {
            requested: len,
            locked: region_len,
            limit: mem::memlock_limit(),
            errno,
        })?;
        mem::dont_dump(region, region_len).map_err(|errno| Error::DontDump { errno })?;
        Ok(alloc)
    }

    /// Puts the guard pages in place (or confirms libsodium did) and makes the region
    /// inaccessible. Called once, after initialisation.
    pub(crate) fn seal(&self) -> Result<(), Error> {
        let page = mem::page_size();
        // SAFETY: the two guard pages and the region are part of this allocation's mapping;
        // no reference into the region outlives initialisation, which has finished.
        unsafe { mem::protect(self.region - page, self.region_len + 2 * page, Access::None) }
            .map_err(|errno| Error::Guard {
                requested: self.len,
                errno,
                max_map_count: mem::max_map_count(),
            })
    }

    /// Changes the protection of the data region.
    ///
    /// # Safety
    /// No reference into the data may be alive that the new protection would forbid.
    pub(crate) unsafe fn set_access(&self, access: Access) -> Result<(), i32> {
        // SAFETY: the region is page aligned and owned by this allocation; the caller upholds
        // the rule about live references.
        unsafe { mem::protect(self.region, self.region_len, access) }
    }

    /// The first byte of the data; it is readable only while the caller has opened it.
    pub(crate) fn data(&self) -> NonNull<u8> {
        self.data
    }

    /// The data's length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Allocation {
    fn drop(&mut self) {
        // SAFETY: `data` came from `sodium::malloc` and is freed only here, once. `sodium_free`
        // makes the mapping writable itself, checks the canary, zeroes and unlocks the region.
        unsafe { sodium::free(self.data.as_ptr()) }
    }
}
