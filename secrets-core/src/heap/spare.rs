//! Released `MemfdSecret` regions kept for the next secret of the same size.
//!
//! Making a `memfd_secret` region costs `memfd_secret`, `ftruncate`, two `mmap`s (reservation
//! and region), `close` and `madvise(MADV_DONTFORK)`; releasing it, a `munmap` of three mappings.
//! A program that makes and drops secrets all the time (a key per message, a password per login)
//! pays that on every one. Here a dropped secret's region, once its canary is checked and every
//! byte of it zeroed, is sealed again (`PROT_NONE`) and kept, up to a limit in pages; the next
//! allocation of the same region size takes it with one `mprotect`.
//!
//! A kept region is as protected as a live secret's: the same guard pages, `PROT_NONE`, still
//! secret memory (out of the direct map), locked, `MADV_DONTDUMP` and `MADV_DONTFORK`, and it
//! holds only zeros. What keeping it costs:
//!
//! * its pages stay charged to `RLIMIT_MEMLOCK`. When a new region cannot be mapped, the kept
//!   ones are released and the mapping tried once more, so they never cause an error;
//! * a dangling pointer into a dropped secret faults only until its page is reused, not for
//!   ever (safe code cannot make one).
//!
//! After a `fork` the child has none of the parent's regions (`MADV_DONTFORK`): the list is
//! tagged with the process that filled it, and another process forgets it without touching it.

use std::sync::{Mutex, PoisonError};

use super::owner::Owner;
use crate::sys::{mem, secretmem};

/// Pages kept unless the program says otherwise: 64 KiB with 4 KiB pages.
pub(crate) const DEFAULT_LIMIT: usize = 16;

struct Spares {
    /// The process whose regions `regions` are; `None` before the first one is kept.
    owner: Option<Owner>,
    /// The most pages `regions` may hold.
    limit: usize,
    /// `(region, region_len)`, as `secretmem::map` made them; sealed and zeroed.
    regions: Vec<(usize, usize)>,
}

static SPARES: Mutex<Spares> = Mutex::new(Spares {
    owner: None,
    limit: DEFAULT_LIMIT,
    regions: Vec::new(),
});

impl Spares {
    /// Forgets the list if another process filled it: after a `fork` its regions are not
    /// mapped here, so they must be neither used nor unmapped.
    fn claim(&mut self, owner: Owner) {
        if self.owner != Some(owner) {
            self.regions.clear();
            self.owner = Some(owner);
        }
    }

    /// Pages in `regions` (a handful of entries: the limit is small).
    fn pages(&self) -> usize {
        self.regions.iter().map(|&(_, len)| len).sum::<usize>() / mem::page_size()
    }

    /// Unmaps kept regions until at most `limit` pages are left.
    fn shrink_to(&mut self, limit: usize) -> usize {
        let mut released = 0;
        while self.pages() > limit {
            let Some((region, region_len)) = self.regions.pop() else {
                break;
            };
            // SAFETY: the region came from `secretmem::map` through `keep`, its `Allocation` is
            // gone, and having been taken off the list it is unmapped exactly once.
            unsafe { secretmem::unmap(region, region_len) };
            released += 1;
        }
        released
    }
}

fn spares() -> std::sync::MutexGuard<'static, Spares> {
    // The list holds only addresses and is consistent between statements, so a panic while it
    // was locked leaves nothing to repair.
    SPARES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A kept region of `region_len` bytes for `owner`, opened read-write for initialisation (its
/// guard pages, lock and advice are those it was made with); `None` if there is none, or if it
/// could not be opened, in which case it is unmapped and the caller maps a new one.
pub(crate) fn take(region_len: usize, owner: Owner) -> Option<usize> {
    let region = {
        let mut spares = spares();
        spares.claim(owner);
        let index = spares
            .regions
            .iter()
            .position(|&(_, len)| len == region_len)?;
        let (region, _) = spares.regions.swap_remove(index);
        region
    };
    // SAFETY: the region is off the list, so only ours; it was zeroed and sealed when it was
    // kept, and nothing refers to it.
    match unsafe { mem::protect(region, region_len, mem::Access::ReadWrite) } {
        Ok(()) => Some(region),
        Err(_) => {
            // SAFETY: as above; unmapped once, here.
            unsafe { secretmem::unmap(region, region_len) };
            None
        }
    }
}

/// Offers a released region, sealed and zeroed, made by `owner` (the calling process): `true`
/// if it was kept, `false` if the limit leaves no room and the caller must unmap it.
pub(crate) fn keep(region: usize, region_len: usize, owner: Owner) -> bool {
    let mut spares = spares();
    spares.claim(owner);
    if spares.pages().saturating_add(region_len / mem::page_size()) > spares.limit {
        return false;
    }
    spares.regions.push((region, region_len));
    true
}

/// The regions kept for reuse by this process, and their pages (still locked).
pub(crate) fn kept() -> (usize, usize) {
    let spares = spares();
    if spares.owner.is_some_and(Owner::is_this_process) {
        (spares.regions.len(), spares.pages())
    } else {
        (0, 0)
    }
}

/// Unmaps every kept region of this process; returns how many there were.
pub(crate) fn release_all() -> usize {
    let mut spares = spares();
    spares.claim(Owner::current());
    spares.shrink_to(0)
}

/// Sets the limit in pages, unmapping kept regions above it; returns the previous limit.
pub(crate) fn set_limit(limit: usize) -> usize {
    let mut spares = spares();
    spares.claim(Owner::current());
    let previous = std::mem::replace(&mut spares.limit, limit);
    spares.shrink_to(limit);
    previous
}
