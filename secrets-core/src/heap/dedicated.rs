//! Dedicated placement: one secret per page range, from either page source, with every
//! protection checked.
//!
//! Both sources give the same shape (the `MemfdSecret` one is drawn in [`super::memfd`]):
//!
//! ```text
//!  |   guard   |  .. canary | data (len bytes) |   guard   |
//!  |   (---)   |<-- region: locked, DONTDUMP,  |   (---)   |
//!              ^ page        DONTFORK -------->^ data ends at the end of its page,
//!                aligned                         so data[len] is in the guard page
//! ```
//!
//! * A write past the end of the data faults at once: the next byte is in a guard page.
//! * A write before the data first hits a 16-byte random canary, checked when the memory is
//!   released (a mismatch kills the process); a larger underflow reaches the leading guard page.
//! * At rest the region is `PROT_NONE` too; the protection layer opens it only while a borrow
//!   is alive (the reader count that decides it lives with the region, in [`crate::guarded`]).
//! * The region is `MADV_DONTFORK`: a child made by `fork` has no such pages (reading them
//!   faults), and a child that drops an inherited container leaves the parent's memory alone.
//! * A size is computed with checked arithmetic, and one past [`max_len`] (half of physical
//!   memory: locked memory cannot be overcommitted) is refused before anything is mapped.
//! * Released memory is zeroed first.
//!
//! Where the pages come from is the [`PageSource`] seam ([`super::source`]).
//!
//! | operation | system calls (`MemfdSecret`, region kept for reuse) |
//! |---|---|
//! | make | `mprotect` (RW) to take a kept region, `mprotect` (NONE) to seal |
//! | borrow | `mprotect` (R) by the first `Ref`, `mprotect` (NONE) by the last |
//! | drop | `mprotect` (RW), canary check and zeroing, `mprotect` (NONE) to keep it |

use std::ptr::NonNull;
use std::sync::{Mutex, OnceLock, PoisonError};

use super::active::source;
use super::canary::CANARY_SIZE;
use super::owner::Owner;
pub(crate) use super::source::{PageSource, Region};
use crate::sys::mem::{self, Access};
use crate::Error;

/// Pages an allocation takes besides its region: two guard pages, and libsodium's header page.
const EXTRA_PAGES: usize = 3;

/// The most bytes one secret may hold on this machine, computed once.
///
/// Guarded pages are locked into RAM (`memfd_secret` pages always are, and `sodium_malloc`
/// memory is `mlock`ed and then filled), and locked memory escapes overcommit: with
/// `CAP_IPC_LOCK` (no lock limit), nothing refuses a region the machine cannot hold until the
/// kernel's OOM killer ends the process, or another one. So a secret's region (canary and data,
/// in whole pages) may take at most **half of the machine's physical memory**
/// (`sysconf(_SC_PHYS_PAGES)` times the page size): more can never be backed without pushing
/// everything else out, and no real secret comes near it. Below that, `RLIMIT_MEMLOCK` (without
/// `CAP_IPC_LOCK`) and the kernel still refuse what they must, with the errors they always gave.
///
/// Independently of the machine, the whole allocation (region, guard pages, header) must fit in
/// `isize::MAX` bytes, the most any Rust slice may span; that bound is what applies if the
/// physical memory is unknown. Every size computed from a length at most this one fits in a
/// `usize` with room to spare.
fn max_len() -> usize {
    static MAX_LEN: OnceLock<usize> = OnceLock::new();
    *MAX_LEN.get_or_init(|| {
        let page = mem::page_size();
        let address_space = mem::page_floor(isize::MAX as usize) - EXTRA_PAGES * page;
        let region_max = match mem::physical_memory() {
            Some(physical) => address_space.min(mem::page_floor(physical / 2)),
            None => address_space,
        };
        region_max.saturating_sub(CANARY_SIZE)
    })
}

/// The data length of `count` elements of `element_size` bytes, or [`Error::TooLarge`] if it
/// overflows or is longer than [`max_len`]. A few compares and one atomic load: no system call.
pub(crate) fn data_len(count: usize, element_size: usize) -> Result<usize, Error> {
    count
        .checked_mul(element_size)
        .filter(|&len| len <= max_len())
        .ok_or_else(|| Error::TooLarge {
            requested: count,
            element_size,
            limit: max_len(),
        })
}

/// The sizes of an allocation of `count` elements of `element_size` bytes: the data's length and
/// the region's (canary and data, rounded up to whole pages), or [`Error::TooLarge`].
fn sizes(count: usize, element_size: usize) -> Result<(usize, usize), Error> {
    let len = data_len(count, element_size)?;
    // `len <= max_len()` leaves room for the canary, the rounding and the extra pages; checked
    // all the same, so that no future change to `max_len` can make this wrap.
    let region_len = len
        .checked_add(CANARY_SIZE)
        .and_then(mem::checked_page_round)
        .filter(|&region_len| {
            region_len
                .checked_add(EXTRA_PAGES * mem::page_size())
                .is_some_and(|total| total <= isize::MAX as usize)
        })
        .ok_or(Error::TooLarge {
            requested: count,
            element_size,
            limit: max_len(),
        })?;
    Ok((len, region_len))
}

/// The dedicated regions this process holds, for [`crate::usage`]: how many, and their locked
/// bytes (canary and data in whole pages; guard pages are not locked). Counted when a region
/// is made and when it is released, under a mutex taken once each (beside the system calls
/// of both, its cost does not show). In a child made by `fork`, the parent's regions are not
/// there: the first region the child makes or releases starts its own count.
struct Live {
    owner: Option<Owner>,
    regions: usize,
    bytes: usize,
}

static LIVE: Mutex<Live> = Mutex::new(Live {
    owner: None,
    regions: 0,
    bytes: 0,
});

/// Adds (`made`) or takes away one region of `region_len` bytes of `owner`'s.
fn count_region(owner: Owner, region_len: usize, made: bool) {
    // The counts are plain numbers, consistent between statements: nothing to repair after a
    // panic elsewhere.
    let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    if live.owner != Some(owner) {
        *live = Live {
            owner: Some(owner),
            regions: 0,
            bytes: 0,
        };
    }
    if made {
        live.regions = live.regions.saturating_add(1);
        live.bytes = live.bytes.saturating_add(region_len);
    } else {
        live.regions = live.regions.saturating_sub(1);
        live.bytes = live.bytes.saturating_sub(region_len);
    }
}

/// Dedicated regions of this process, and their locked bytes.
pub(crate) fn live() -> (usize, usize) {
    let live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    if live.owner.is_some_and(Owner::is_this_process) {
        (live.regions, live.bytes)
    } else {
        (0, 0)
    }
}

/// A live dedicated allocation whose guard pages and lock have been verified.
pub struct Allocation {
    region: Region,
    source: &'static dyn PageSource,
}

// SAFETY: an `Allocation` owns its mapping outright (no other handle to it exists), so it may be
// moved to another thread; shared access through `&Allocation` only reads the fields above, and
// the synchronisation of access to the *memory* is the job of the protection layer.
unsafe impl Send for Allocation {}
// SAFETY: as above; `&Allocation` offers no interior mutability of its own.
unsafe impl Sync for Allocation {}

impl Allocation {
    /// Allocates `count` elements of `element_size` bytes of guarded, locked memory from the
    /// active backend, left readable and writable so the caller can initialise it;
    /// the caller then calls [`Allocation::seal`]. A size past [`max_len`] is refused with
    /// [`Error::TooLarge`] before anything is mapped.
    fn new(count: usize, element_size: usize) -> Result<Self, Error> {
        let (len, region_len) = sizes(count, element_size)?;
        crate::sys::sodium::init()?;
        let source = source();
        let region = source.allocate(len, region_len)?;
        count_region(region.owner, region.region_len, true);
        Ok(Allocation { region, source })
    }

    /// Makes the region inaccessible after initialisation. Called once.
    ///
    /// # Errors
    /// As [`PageSource::seal`].
    fn seal(&self) -> Result<(), Error> {
        // SAFETY: the region came from `self.source`, and the caller's initialisation (the only
        // reference into it) has finished.
        unsafe { self.source.seal(&self.region) }
    }

    /// Changes the protection of the data region.
    ///
    /// # Safety
    /// No reference into the data may be alive that the new protection would forbid.
    pub(crate) unsafe fn set_access(&self, access: Access) -> Result<(), i32> {
        // SAFETY: the region is page aligned and owned by this allocation; the caller upholds
        // the rule about live references.
        unsafe { mem::protect(self.region.start, self.region.region_len, access) }
    }

    /// Allocates like [`Allocation::new`], lets `init` fill the data while it is writable
    /// (the only time the allocation hands out a slice), then seals it. If `init` fails, the
    /// memory is zeroed and released and its error returned.
    ///
    /// # Errors
    /// `init`'s error, or those of [`Allocation::new`] and [`Allocation::seal`].
    pub(crate) fn new_with<E: From<Error>>(
        count: usize,
        element_size: usize,
        init: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Self, E> {
        let alloc = Allocation::new(count, element_size)?;
        // SAFETY: the allocation is fresh, readable and writable, `len` bytes at `data` (at
        // most `isize::MAX`: `sizes` checked it), and nothing else refers to it; the slice is
        // gone when `init` returns, before `seal` takes the access away.
        init(unsafe {
            std::slice::from_raw_parts_mut(alloc.region.data.as_ptr(), alloc.region.len)
        })?;
        alloc.seal()?;
        Ok(alloc)
    }
}

impl Drop for Allocation {
    fn drop(&mut self) {
        if !self.region.owner.is_this_process() {
            // A child made by `fork` inherited the container but not the region
            // (MADV_DONTFORK): the parent's pages are not here to zero or free.
            return;
        }
        // SAFETY: the region came from `self.source`, is released only here, once, by the
        // process that made it, and `&mut self` in `drop` proves no borrow of it is alive.
        unsafe { self.source.release(&self.region) };
        count_region(self.region.owner, self.region.region_len, false);
    }
}

impl Allocation {
    fn set_access_or_panic(&self, access: Access) {
        // SAFETY: the protection layer calls the `Unit` methods only on its transitions: it
        // opens before creating references and closes once the last one is gone (the reader
        // count, or `&mut` of the container for a writer).
        if let Err(errno) = unsafe { self.set_access(access) } {
            if !self.region.owner.is_here() {
                super::forked();
            }
            super::protection_failed(access, errno);
        }
    }
}

impl super::Unit for Allocation {
    fn len(&self) -> usize {
        self.region.len
    }

    fn is_owned_here(&self) -> bool {
        self.region.owner.is_here()
    }

    fn rest_address(&self) -> usize {
        self.region.data.as_ptr() as usize
    }

    fn open_read(&self) -> Result<NonNull<u8>, Error> {
        self.set_access_or_panic(Access::Read);
        Ok(self.region.data)
    }

    fn close_read(&self, _at: NonNull<u8>) {
        self.set_access_or_panic(mem::AT_REST);
    }

    fn open_write(&self) -> Result<NonNull<u8>, Error> {
        self.set_access_or_panic(Access::ReadWrite);
        Ok(self.region.data)
    }

    fn close_write(&self, _at: NonNull<u8>) {
        self.set_access_or_panic(mem::AT_REST);
    }
}

/// A small secret's own unit `U` (a pooled slot, a sealed value), or, for a value too long for
/// it, dedicated pages, with every guarantee of those: what pooled and sealed storage place.
pub enum OrPages<U> {
    /// Placed by the storage itself.
    Small(U),
    /// Too long for the storage: on pages of its own.
    Pages(Allocation),
}

impl<U: super::Unit> super::Unit for OrPages<U> {
    fn len(&self) -> usize {
        match self {
            OrPages::Small(unit) => unit.len(),
            OrPages::Pages(pages) => pages.len(),
        }
    }

    fn is_owned_here(&self) -> bool {
        match self {
            OrPages::Small(unit) => unit.is_owned_here(),
            OrPages::Pages(pages) => pages.is_owned_here(),
        }
    }

    fn rest_address(&self) -> usize {
        match self {
            OrPages::Small(unit) => unit.rest_address(),
            OrPages::Pages(pages) => pages.rest_address(),
        }
    }

    fn open_read(&self) -> Result<NonNull<u8>, Error> {
        match self {
            OrPages::Small(unit) => unit.open_read(),
            OrPages::Pages(pages) => pages.open_read(),
        }
    }

    fn close_read(&self, at: NonNull<u8>) {
        match self {
            OrPages::Small(unit) => unit.close_read(at),
            OrPages::Pages(pages) => pages.close_read(at),
        }
    }

    fn open_write(&self) -> Result<NonNull<u8>, Error> {
        match self {
            OrPages::Small(unit) => unit.open_write(),
            OrPages::Pages(pages) => pages.open_write(),
        }
    }

    fn close_write(&self, at: NonNull<u8>) {
        match self {
            OrPages::Small(unit) => unit.close_write(at),
            OrPages::Pages(pages) => pages.close_write(at),
        }
    }
}
