//! One guarded allocation, from either backend, with every protection checked.
//!
//! Both backends give the same shape (the `MemfdSecret` one is drawn in [`super::secretmem`]):
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
//! * At rest the region is `PROT_NONE` too; `Guarded` opens it only while a borrow is alive.
//! * The region is `MADV_DONTFORK`: a child made by `fork` has no such pages (reading them
//!   faults), and a child that drops an inherited container leaves the parent's memory alone.
//! * A size is computed with checked arithmetic, and one past [`max_len`] (half of physical
//!   memory: locked memory cannot be overcommitted) is refused before anything is mapped.
//! * Released memory is zeroed first. A `MemfdSecret` region is then sealed and kept for the
//!   next allocation of its size, up to a limit ([`super::spare`]), or unmapped.
//!
//! libsodium's `sodium_malloc` (the `Sodium` backend) puts a read-only header page in front of
//! this and ignores the failure of its guard-page `mprotect`s and of `mlock` (measured on this
//! project's machine: past about 16,000 live allocations the map count runs out and it keeps
//! returning memory with no guard pages). So after it returns, [`Allocation::new`] locks the
//! region itself and [`Allocation::seal`] protects guard, region and guard in one call; each of
//! those either confirms what libsodium did (the calls are then cheap no-ops) or puts it in place,
//! and if it cannot, the allocation is freed and a typed error returned.

use std::ptr::NonNull;
use std::sync::OnceLock;

use super::mem::{self, Access};
use super::{secretmem, sodium, spare};
use crate::{Backend, Error};

/// The size of the canary before the data (libsodium's `CANARY_SIZE`).
const CANARY_SIZE: usize = 16;

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

/// The sizes of an allocation of `count` elements of `element_size` bytes: the data's length and
/// the region's (canary and data, rounded up to whole pages), or [`Error::TooLarge`] if the
/// data would be longer than [`max_len`] (or its length overflows). A few compares and one
/// atomic load: no system call.
fn sizes(count: usize, element_size: usize) -> Result<(usize, usize), Error> {
    let too_large = || Error::TooLarge {
        requested: count,
        element_size,
        limit: max_len(),
    };
    let len = count
        .checked_mul(element_size)
        .filter(|&len| len <= max_len())
        .ok_or_else(too_large)?;
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
        .ok_or_else(too_large)?;
    Ok((len, region_len))
}

/// Whether a failed mapping call with `errno` is explained by `vm.max_map_count`: ENOMEM while
/// the process holds nearly that many mappings (an allocation adds at most five, so a failure
/// leaves it within a few of the limit). ENOMEM far below it is memory, the address space
/// (`RLIMIT_AS`) or a cgroup limit running out, and is reported as such.
fn at_map_count(errno: i32) -> bool {
    const MARGIN: u64 = 16;
    errno == libc::ENOMEM
        && match (mem::mapping_count(), mem::max_map_count()) {
            (Some(count), Some(max)) => count.saturating_add(MARGIN) >= max,
            // Without the figures, keep the old explanation: it is the likeliest one.
            _ => true,
        }
}

/// The error for a failed `operation` (a mapping, or a guard page's `mprotect`) with `errno`:
/// `at_count` (the map count's error: [`Error::Map`] or [`Error::Guard`]) if the map count
/// explains it, [`Error::OutOfMemory`] otherwise.
fn mapping_error(
    requested: usize,
    operation: &'static str,
    errno: i32,
    at_count: fn(usize, i32, Option<u64>) -> Error,
) -> Error {
    if at_map_count(errno) {
        at_count(requested, errno, mem::max_map_count())
    } else {
        Error::OutOfMemory {
            requested,
            operation,
            errno,
        }
    }
}

fn map_error(requested: usize, errno: i32, max_map_count: Option<u64>) -> Error {
    Error::Map {
        requested,
        errno,
        max_map_count,
    }
}

fn guard_error(requested: usize, errno: i32, max_map_count: Option<u64>) -> Error {
    Error::Guard {
        requested,
        errno,
        max_map_count,
    }
}

/// `mlock` of `[addr, addr + len)`; if it fails, the `memfd_secret` regions kept for reuse
/// (charged to the same `RLIMIT_MEMLOCK`, and two mappings each) are released and it is tried
/// once more, so that keeping them never costs a lock.
pub(crate) fn lock(addr: usize, len: usize) -> Result<(), i32> {
    match mem::lock(addr, len) {
        Err(_) if spare::release_all() > 0 => mem::lock(addr, len),
        locked => locked,
    }
}

/// Why `mlock` of `locked` bytes failed with `errno`: the lock limit; or, ENOMEM without the
/// limit to explain it, the map count (locking part of a mapping has to split it) if the
/// process is near it, and memory running out ([`Error::OutOfMemory`]) if not.
pub(crate) fn lock_error(requested: usize, locked: usize, errno: i32) -> Error {
    let limit = mem::memlock_limit();
    let limit_explains_it = errno == libc::EPERM
        || errno == libc::EAGAIN
        || (!mem::can_lock_without_limit()
            && limit
                .is_some_and(|limit| mem::locked_bytes().saturating_add(locked as u64) > limit));
    if limit_explains_it {
        Error::Lock {
            requested,
            locked,
            limit,
            errno,
        }
    } else {
        mapping_error(requested, "mlock", errno, map_error)
    }
}

/// Who may use an allocation's pages: the process that made it, before any `fork`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner {
    pid: i32,
    forks: u64,
}

impl Owner {
    pub(crate) fn current() -> Owner {
        Owner {
            pid: mem::pid(),
            forks: mem::forks_seen(),
        }
    }
}

/// A live guarded allocation whose guard pages and lock have been verified.
pub(crate) struct Allocation {
    data: NonNull<u8>,
    len: usize,
    /// First byte of the page-aligned region that holds canary and data.
    region: usize,
    region_len: usize,
    backend: Backend,
    /// The process that made the allocation: after a `fork`, the child has no region.
    owner: Owner,
}

// SAFETY: an `Allocation` owns its mapping outright (no other handle to it exists), so it may be
// moved to another thread; shared access through `&Allocation` only reads the fields above, and
// the synchronisation of access to the *memory* is the job of `Guarded`, its only user.
unsafe impl Send for Allocation {}
// SAFETY: as above; `&Allocation` offers no interior mutability of its own.
unsafe impl Sync for Allocation {}

/// The canary of the `MemfdSecret` backend: random, one per process.
fn canary() -> &'static [u8; CANARY_SIZE] {
    static CANARY: OnceLock<[u8; CANARY_SIZE]> = OnceLock::new();
    CANARY.get_or_init(|| {
        let mut canary = [0; CANARY_SIZE];
        sodium::random_fill(&mut canary);
        canary
    })
}

impl Allocation {
    /// Allocates `count` elements of `element_size` bytes of guarded, locked memory from the
    /// active backend, left readable and writable so the caller can initialise it; the caller
    /// then calls [`Allocation::seal`]. A size past [`max_len`] is refused with
    /// [`Error::TooLarge`] before anything is mapped.
    pub(crate) fn new(count: usize, element_size: usize) -> Result<Self, Error> {
        let (len, region_len) = sizes(count, element_size)?;
        sodium::init()?;
        mem::count_forks();
        match crate::active_backend() {
            Backend::MemfdSecret => Self::from_secretmem(len, region_len),
            Backend::Sodium => Self::from_sodium(len, region_len),
        }
    }

    /// `MADV_DONTFORK` over the region. Once `self` exists, dropping it releases the memory, so
    /// the caller's `?` leaks nothing.
    fn dont_fork(self) -> Result<Self, Error> {
        mem::dont_fork(self.region, self.region_len).map_err(|errno| Error::Advise {
            advice: "MADV_DONTFORK",
            errno,
        })?;
        Ok(self)
    }

    /// `region_len` is `len` plus the canary in whole pages, as [`sizes`] made it (libsodium
    /// computes the same).
    fn from_sodium(len: usize, region_len: usize) -> Result<Self, Error> {
        // Every call `sodium_malloc` makes (mmap, mprotect, madvise, mlock) sets errno only when
        // it fails; so if errno is still zero afterwards, each guard page, the lock and
        // MADV_DONTDUMP are in place, and checking them again would only cost time.
        mem::clear_errno();
        let ptr =
            sodium::malloc(len).map_err(|errno| mapping_error(len, "mmap", errno, map_error))?;
        let all_succeeded = mem::errno() == 0;
        let data = NonNull::new(ptr).ok_or(Error::SodiumInit)?;
        // The data is preceded by the canary inside the mapping, so this cannot wrap.
        let region = mem::page_floor(ptr as usize - CANARY_SIZE);
        let alloc = Allocation {
            data,
            len,
            region,
            region_len,
            backend: Backend::Sodium,
            owner: Owner::current(),
        };
        if !all_succeeded {
            alloc.put_sodium_protections_in_place()?;
        }
        alloc.dont_fork()
    }

    /// Something `sodium_malloc` did failed: put each protection in place ourselves, in the
    /// order that lets each error be named. The guard pages come first: once they exist, the
    /// region is a mapping of its own, and a failing `mlock` can no longer be a failed split.
    fn put_sodium_protections_in_place(&self) -> Result<(), Error> {
        let page = mem::page_size();
        for guard in [self.region - page, self.region + self.region_len] {
            // SAFETY: both guard pages belong to this allocation and nothing points into them.
            unsafe { mem::protect(guard, page, Access::None) }
                .map_err(|errno| mapping_error(self.len, "mprotect", errno, guard_error))?;
        }
        lock(self.region, self.region_len)
            .map_err(|errno| lock_error(self.len, self.region_len, errno))?;
        mem::dont_dump(self.region, self.region_len).map_err(|errno| Error::Advise {
            advice: "MADV_DONTDUMP",
            errno,
        })
    }

    /// `region_len` is `len` plus the canary in whole pages, as [`sizes`] made it.
    fn from_secretmem(len: usize, region_len: usize) -> Result<Self, Error> {
        let owner = Owner::current();
        let (region, fresh) = match spare::take(region_len, owner) {
            Some(region) => (region, false),
            None => (Self::map_secretmem(len, region_len)?, true),
        };
        let data_addr = region + region_len - len;
        let alloc = Allocation {
            // `data_addr` is inside a mapping that starts above address zero.
            data: NonNull::new(data_addr as *mut u8).ok_or(Error::SodiumInit)?,
            len,
            region,
            region_len,
            backend: Backend::MemfdSecret,
            owner,
        };
        // A kept region has its advice already.
        let alloc = if fresh { alloc.dont_fork()? } else { alloc };
        // SAFETY: the 16 bytes before the data lie inside the region, which is writable and
        // only ours. The rest of the region is zero (fresh from the kernel, or zeroed in full,
        // old canary included, before it was kept).
        unsafe {
            std::slice::from_raw_parts_mut((data_addr - CANARY_SIZE) as *mut u8, CANARY_SIZE)
        }
        .copy_from_slice(canary());
        Ok(alloc)
    }

    /// A new `memfd_secret` region between guard pages. If the mapping fails (the lock limit,
    /// the map count), the regions kept for reuse are released and it is tried once more, so
    /// that they never cost an allocation.
    fn map_secretmem(len: usize, region_len: usize) -> Result<usize, Error> {
        let mapped = match secretmem::map(region_len) {
            Err((secretmem::Step::Reserve | secretmem::Step::Map, _))
                if spare::release_all() > 0 =>
            {
                secretmem::map(region_len)
            }
            mapped => mapped,
        };
        mapped.map_err(|(step, errno)| match step {
            secretmem::Step::Create => Error::SecretMemory {
                requested: len,
                errno,
            },
            secretmem::Step::Reserve => mapping_error(len, "mmap", errno, map_error),
            // The kernel charges secret memory to RLIMIT_MEMLOCK and says EAGAIN when it is
            // used up; ENOMEM near the map count means the split of the reservation hit it.
            secretmem::Step::Map if errno == libc::EAGAIN => Error::Lock {
                requested: len,
                locked: region_len,
                limit: mem::memlock_limit(),
                errno,
            },
            secretmem::Step::Map => mapping_error(len, "mmap", errno, guard_error),
        })
    }

    /// Makes the region inaccessible, and with the `Sodium` backend puts the guard pages in
    /// place (or confirms they are); a `MemfdSecret` region's guard pages are its `PROT_NONE`
    /// reservation, in place since it was mapped. Called once, after initialisation.
    pub(crate) fn seal(&self) -> Result<(), Error> {
        let page = mem::page_size();
        let (start, len) = match self.backend {
            // `sizes` checked that the region and three more pages fit in `isize::MAX`.
            Backend::Sodium => (self.region - page, self.region_len + 2 * page),
            Backend::MemfdSecret => (self.region, self.region_len),
        };
        // SAFETY: `[start, start + len)` is this allocation's region, with its two guard pages
        // for `Sodium`; no reference into the region outlives initialisation, which has
        // finished.
        unsafe { mem::protect(start, len, Access::None) }
            .map_err(|errno| mapping_error(self.len, "mprotect", errno, guard_error))
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

    /// Whether this process made the allocation (false in a child made by `fork`, which has
    /// no region: it was `MADV_DONTFORK`).
    ///
    /// One atomic load: forks are counted by a `pthread_atfork` handler. A child made by a raw
    /// `fork` system call, which skips the handlers, is caught by the pid check in `drop`.
    pub(crate) fn is_owned_here(&self) -> bool {
        self.owner.forks == mem::forks_seen()
    }

    /// The first byte of the data; it is readable only while the caller has opened it.
    pub(crate) fn data(&self) -> NonNull<u8> {
        self.data
    }

    /// The data's length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Releases a `MemfdSecret` allocation: canary checked, region zeroed, then sealed and kept
    /// for reuse (see [`spare`]) or, when no more may be kept, unmapped.
    fn release_secretmem(&mut self) {
        // SAFETY: `&mut self` in `drop`: no borrow of the data is alive.
        if unsafe { self.set_access(Access::ReadWrite) }.is_err() {
            // The region stays inaccessible; unmapping it still releases it (the kernel also
            // zeroes secret memory pages when it frees them).
            // SAFETY: region and length come from `secretmem::map`; unmapped only here.
            unsafe { secretmem::unmap(self.region, self.region_len) };
            return;
        }
        // SAFETY: the region is writable now, `region_len` bytes long, and only ours.
        let region =
            unsafe { std::slice::from_raw_parts_mut(self.region as *mut u8, self.region_len) };
        let canary_at = self.region_len - self.len - CANARY_SIZE;
        if !sodium::memeq(&region[canary_at..canary_at + CANARY_SIZE], canary()) {
            canary_smashed();
        }
        sodium::memzero(region);
        // SAFETY: `region` is not used after this; the allocation is being dropped.
        let sealed = unsafe { self.set_access(Access::None) }.is_ok();
        if sealed && spare::keep(self.region, self.region_len, self.owner) {
            return;
        }
        // SAFETY: as above; the region was not kept, so nothing else will use or unmap it.
        unsafe { secretmem::unmap(self.region, self.region_len) };
    }
}

/// Something wrote over the canary before a secret: memory around it is corrupt, so nothing of
/// the process can be trusted to go on. Same effect as libsodium's check.
fn canary_smashed() -> ! {
    eprintln!("secrets: the canary before a secret was overwritten (buffer underflow); aborting");
    std::process::abort()
}

impl Drop for Allocation {
    fn drop(&mut self) {
        if !self.is_owned_here() || self.owner.pid != mem::pid() {
            // A child made by `fork` inherited the container but not the region
            // (MADV_DONTFORK): the parent's pages are not here to zero or free.
            return;
        }
        match self.backend {
            // SAFETY: `data` came from `sodium::malloc` and is freed only here, once.
            // `sodium_free` makes the mapping writable itself, checks the canary (a mismatch
            // kills the process), zeroes and unlocks the region, and unmaps it all.
            Backend::Sodium => unsafe { sodium::free(self.data.as_ptr()) },
            Backend::MemfdSecret => self.release_secretmem(),
        }
    }
}
