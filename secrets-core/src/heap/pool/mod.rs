//! Pooled placement: many small secrets in shared pages, each page locked, `PROT_NONE` at rest
//! and a mapping of its own between guard pages; a secret is read through a copy in a scratch
//! slot.
//!
//! ```text
//!  chunk (one reservation; memfd_secret: one file, closed once mapped):
//!  | G | page 0 | G | page 1 | G | ... | page 15 | G |
//!        |
//!        | canary | slot 0 | canary | slot 1 | ... | canary |     one class, one domain
//!
//!  borrow: page lock; mprotect(R); copy slot -> scratch slot; mprotect(NONE); unlock
//!          scratch pages: the same layout, read-write at rest, holding zeros
//! ```
//!
//! * **Pages.** Data pages come from the active backend's [`PageSource::map_chunk`] in chunks
//!   of up to [`CHUNK_PAGES`] (fewer when the lock limit leaves less room). Each page is its own
//!   mapping, so a protection change never splits one (measured: 3-4x cheaper than toggling a
//!   page inside a larger mapping). A page holds slots of one size class ([`classes`]) and of
//!   one domain: the secret's type, so a vault item never shares a page with a master key.
//! * **At rest** every data page is `PROT_NONE`. It is opened only under its own lock, for the
//!   length of one copy: into a scratch slot (a borrow), back from one (the end of a
//!   `RefMut`), or of a new value (which `init` wrote into scratch first, so user code never
//!   runs while a shared page is open). So while a secret is borrowed, its neighbours are
//!   readable only during the copies, about a microsecond each.
//! * **Scratch** pages are pool pages too, read-write at rest and holding only zeros outside a
//!   borrow. Every class in use gets a scratch page before its first data page, so borrowing
//!   works up to that page's slots even when the lock limit is used up; past them, scratch grows
//!   while the limit allows, and then a borrow gets [`Error::ScratchExhausted`].
//! * **Canaries** surround every slot (data and scratch); the slack before a short value is
//!   zero and checked with them. They are checked at every copy and when the slot is released;
//!   a mismatch aborts the process, as a smashed canary of a dedicated region does.
//! * **Release** zeroes the slot at once (under the page lock, `sodium_memzero`). A page that
//!   empties stays mapped, zeroed and `PROT_NONE`, with its canaries, for the next secret of
//!   its type and class; another type takes it only when no never-used page is left (and lays
//!   its canaries out anew). [`release_empty`] unmaps the chunks that hold nothing, before a
//!   lock or map error is reported.
//! * **Fork**: every page is `MADV_DONTFORK` and no `memfd_secret` descriptor stays open. A
//!   child's pool starts empty; borrowing an inherited pooled secret panics (as for dedicated
//!   storage), and dropping it touches nothing.
//!
//! | operation | system calls |
//! |---|---|
//! | make (slot on an existing page) | `mprotect` RW, `mprotect` NONE |
//! | first borrow / last `Ref` dropped | `mprotect` R, `mprotect` NONE / none |
//! | `RefMut` dropped | `mprotect` RW, `mprotect` NONE |
//! | drop | `mprotect` RW, `mprotect` NONE |
//! | a new page for a class (1 in 85 for 32 bytes) | as above, plus the page's first touch |
//! | a new chunk (1 in 1,360 for 32 bytes) | `memfd_secret`, `ftruncate`, 17 `mmap`, `close`, `madvise` |

pub(crate) mod classes;

use std::any::TypeId;
use std::collections::HashMap;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use classes::{Class, CANARY};

use super::active::source;
use super::canary::{canary, canary_smashed};
use super::dedicated::{data_len, Allocation, OrPages};
use super::owner::Owner;
use super::source::PageSource;
use super::{forked, protection_failed, Unit};
use crate::sys::mem::{self, Access};
use crate::Error;

/// Data pages mapped at once: one `memfd_secret` file, charged to `RLIMIT_MEMLOCK` whole
/// (64 KiB with 4 KiB pages).
pub(crate) const CHUNK_PAGES: usize = 16;

/// The most bytes a pooled value may have; longer ones are placed on dedicated pages.
pub(crate) const MAX_LEN: usize = classes::MAX_LEN;

/// The strictest alignment a pooled value may need.
pub(crate) const MAX_ALIGN: usize = classes::MAX_ALIGN;

/// A data page: where it is, and the lock held while its protection is changed and its bytes
/// are touched. This is the protection state of the unit that is protected (the page), shared
/// by every secret on it. Never freed: a page of an unmapped chunk keeps its cell for the next
/// chunk mapped in its place in the table.
struct PageCell {
    addr: AtomicU64,
    lock: Mutex<()>,
}

impl PageCell {
    fn addr(&self) -> usize {
        self.addr.load(Ordering::Relaxed) as usize
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // The mutex guards no data, only the order of protection changes.
        self.lock.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens the page with `access` for `f`, under its lock, and puts it back at rest
    /// (`PROT_NONE`; see [`mem::AT_REST`] for Windows).
    fn with_open<R>(&self, access: Access, f: impl FnOnce(usize) -> R) -> R {
        let _locked = self.lock();
        let addr = self.addr();
        let page = mem::page_size();
        // SAFETY: the page is the pool's and nothing holds a reference into it: every access
        // is a copy made inside this function, under the page's lock.
        if let Err(errno) = unsafe { mem::protect(addr, page, access) } {
            protection_failed(access, errno);
        }
        let result = f(addr);
        // SAFETY: as above; `f` has returned and keeps no reference.
        if let Err(errno) = unsafe { mem::protect(addr, page, mem::AT_REST) } {
            protection_failed(mem::AT_REST, errno);
        }
        result
    }
}

/// What a page is used for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    /// Holds nothing: zeroed, `PROT_NONE`, free for any class and domain.
    Empty,
    /// Secrets of one domain and class; `PROT_NONE` at rest.
    Data(TypeId, Class),
    /// Scratch slots of one class; read-write at rest, zero outside borrows.
    Scratch(Class),
}

/// The pool's bookkeeping of a page.
struct PageMeta {
    cell: &'static PageCell,
    role: Role,
    /// Slots in use, one bit each.
    used: u128,
    count: u32,
    /// The chunk it belongs to (an index into `State::chunks`).
    chunk: u32,
}

/// A mapped chunk.
struct Chunk {
    base: usize,
    pages: usize,
    /// Its pages' ids: `first..first + pages`.
    first: u32,
    /// Whether it is mapped (false once [`release_empty`] unmapped it; its page ids are reused).
    mapped: bool,
}

/// Everything the pool knows, under one mutex. No system call that touches a page's protection
/// runs under it except when a page is given a role (once per page and role) or a chunk is
/// mapped; every copy runs under the page's own lock only.
struct State {
    owner: Owner,
    source: &'static dyn PageSource,
    pages: Vec<PageMeta>,
    chunks: Vec<Chunk>,
    /// Data pages with a free slot, per domain and class.
    partial: HashMap<(TypeId, Class), Vec<u32>>,
    /// Scratch pages with a free slot, per class.
    scratch_partial: [Vec<u32>; classes::COUNT],
    /// Scratch pages per class, ever.
    scratch_pages: [u32; classes::COUNT],
    /// Empty pages, free for any role.
    empty: Vec<u32>,
    /// Data pages that emptied: zeroed, `PROT_NONE`, canaries laid out, still on their
    /// domain's partial list, so the next secret of that domain and class takes a slot without
    /// laying the page out again; taken for another role when `empty` runs dry. May name a
    /// page that has since been used again: checked when taken.
    idle: Vec<u32>,
    /// Scratch slots in use: live pooled borrows (and values being made).
    scratch_in_use: usize,
    /// Live values of each class read through scratch slots with no slot of their own (sealed
    /// values): while there are any, their class keeps its scratch pages.
    scratch_readers: [usize; classes::COUNT],
}

static POOL: Mutex<Option<State>> = Mutex::new(None);

/// The pool of this process, made on first use, and made anew in a child after `fork` (the
/// parent's pages are not mapped there; their bookkeeping is forgotten, not touched).
fn state() -> MutexGuard<'static, Option<State>> {
    let mut guard = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    if guard.as_ref().is_none_or(|state| !state.owner.is_here()) {
        *guard = Some(State {
            owner: Owner::current(),
            source: source(),
            pages: Vec::new(),
            chunks: Vec::new(),
            partial: HashMap::new(),
            scratch_partial: Default::default(),
            scratch_pages: [0; classes::COUNT],
            empty: Vec::new(),
            idle: Vec::new(),
            scratch_in_use: 0,
            scratch_readers: [0; classes::COUNT],
        });
    }
    guard
}

/// Runs `f` on the pool.
fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    let mut guard = state();
    match guard.as_mut() {
        Some(state) => f(state),
        None => unreachable!("secrets: `state()` always leaves a pool in place"),
    }
}

/// What the pool of this process holds, for [`crate::usage`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PoolUsage {
    /// Chunks mapped.
    pub(crate) chunks: usize,
    /// Data pages mapped (locked), whatever their role.
    pub(crate) pages: usize,
    /// Of those, pages given to scratch slots.
    pub(crate) scratch_pages: usize,
    /// Live pooled values.
    pub(crate) pooled: usize,
    /// Live sealed values (read through scratch slots).
    pub(crate) sealed: usize,
    /// Scratch slots in use: live borrows of pooled or sealed values.
    pub(crate) scratch_in_use: usize,
}

/// What the pool holds now: one pass over its pages under its mutex.
pub(crate) fn usage() -> PoolUsage {
    with_state(|state| {
        let mut usage = PoolUsage {
            scratch_in_use: state.scratch_in_use,
            sealed: state.scratch_readers.iter().sum(),
            ..PoolUsage::default()
        };
        for chunk in state.chunks.iter().filter(|chunk| chunk.mapped) {
            usage.chunks += 1;
            usage.pages += chunk.pages;
            let first = chunk.first as usize;
            for page in &state.pages[first..first + chunk.pages] {
                match page.role {
                    Role::Data(..) => usage.pooled += page.count as usize,
                    Role::Scratch(_) => usage.scratch_pages += 1,
                    Role::Empty => {}
                }
            }
        }
        usage
    })
}

/// A slot: its page, its index, its class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SlotId {
    page: u32,
    slot: u32,
}

impl State {
    fn page(&self, page: u32) -> &PageMeta {
        &self.pages[page as usize]
    }

    /// Maps a new chunk (16 pages, or fewer when the lock limit leaves less room) and adds
    /// its pages to the empty list.
    fn grow(&mut self, requested: usize) -> Result<(), Error> {
        let mut pages = CHUNK_PAGES;
        let base = loop {
            match self.source.map_chunk(pages, requested) {
                Ok(base) => break base,
                Err(Error::Lock { .. }) if pages > 1 => pages /= 2,
                Err(err) => return Err(err),
            }
        };
        let page_size = mem::page_size();
        // Reuse the page ids of an unmapped chunk of the same size, if there is one.
        let reused = self
            .chunks
            .iter()
            .position(|chunk| !chunk.mapped && chunk.pages == pages);
        let chunk_index = match reused {
            Some(index) => index,
            None => {
                let first = u32::try_from(self.pages.len()).unwrap_or(u32::MAX);
                for _ in 0..pages {
                    let cell: &'static PageCell = Box::leak(Box::new(PageCell {
                        addr: AtomicU64::new(0),
                        lock: Mutex::new(()),
                    }));
                    self.pages.push(PageMeta {
                        cell,
                        role: Role::Empty,
                        used: 0,
                        count: 0,
                        chunk: self.chunks.len() as u32,
                    });
                }
                self.chunks.push(Chunk {
                    base,
                    pages,
                    first,
                    mapped: false,
                });
                self.chunks.len() - 1
            }
        };
        let chunk = &mut self.chunks[chunk_index];
        chunk.base = base;
        chunk.mapped = true;
        let first = chunk.first;
        for index in 0..pages as u32 {
            let addr = base + (2 * index as usize + 1) * page_size;
            let meta = &mut self.pages[(first + index) as usize];
            meta.cell.addr.store(addr as u64, Ordering::Relaxed);
            meta.role = Role::Empty;
            meta.used = 0;
            meta.count = 0;
            self.empty.push(first + index);
        }
        Ok(())
    }

    /// An empty page (mapping a chunk if there is none), given `role`: zeroed, canaries laid
    /// out for its class, and left `PROT_NONE` (data) or read-write (scratch).
    fn take_empty(&mut self, role: Role, requested: usize) -> Result<u32, Error> {
        let page = match self.empty.pop().or_else(|| self.take_idle()) {
            Some(page) => page,
            None => {
                self.grow(requested)?;
                match self.empty.pop() {
                    Some(page) => page,
                    None => unreachable!("secrets: a chunk was mapped with no page"),
                }
            }
        };
        let class = match role {
            Role::Data(_, class) | Role::Scratch(class) => class,
            Role::Empty => unreachable!("secrets: an empty page has no class to lay out"),
        };
        let meta = &mut self.pages[page as usize];
        let cell = meta.cell;
        meta.role = role;
        meta.used = 0;
        meta.count = 0;
        let page_size = mem::page_size();
        let lay_out = |addr: usize| {
            // SAFETY: the page is open read-write (below), the pool's, and holds no secret: it
            // was empty.
            unsafe { mem::zero(addr, page_size) };
            for slot in 0..=class.slots(page_size) {
                // SAFETY: `canary_offset(slot) + CANARY <= page_size` for every slot up to
                // `slots` (`classes` tests it); the page is writable.
                unsafe { mem::write_bytes(addr + class.canary_offset(slot), canary()) };
            }
        };
        match role {
            Role::Scratch(_) => {
                // Scratch stays read-write: open it for good.
                let _locked = cell.lock();
                if let Err(errno) =
                    // SAFETY: the page is the pool's and unused.
                    unsafe { mem::protect(cell.addr(), page_size, Access::ReadWrite) }
                {
                    protection_failed(Access::ReadWrite, errno);
                }
                lay_out(cell.addr());
            }
            _ => cell.with_open(Access::ReadWrite, lay_out),
        }
        Ok(page)
    }

    /// An idle data page, taken off its domain's partial list; `None` if there is none.
    fn take_idle(&mut self) -> Option<u32> {
        while let Some(page) = self.idle.pop() {
            let meta = &self.pages[page as usize];
            if let (Role::Data(domain, class), 0) = (meta.role, meta.count) {
                if let Some(pages) = self.partial.get_mut(&(domain, class)) {
                    pages.retain(|&p| p != page);
                }
                self.pages[page as usize].role = Role::Empty;
                return Some(page);
            }
        }
        None
    }

    /// Takes the lowest free slot of `page`, which has one.
    fn take_bit(&mut self, page: u32) -> (u32, bool) {
        let slots = match self.page(page).role {
            Role::Data(_, class) | Role::Scratch(class) => class.slots(mem::page_size()) as u32,
            Role::Empty => 0,
        };
        let meta = &mut self.pages[page as usize];
        let slot = (!meta.used).trailing_zeros();
        meta.used |= 1 << slot;
        meta.count += 1;
        (slot, meta.count == slots)
    }

    /// A free data slot of `domain` and `class`.
    fn take_slot(
        &mut self,
        domain: TypeId,
        class: Class,
        requested: usize,
    ) -> Result<SlotId, Error> {
        let page = match self
            .partial
            .get(&(domain, class))
            .and_then(|pages| pages.last())
        {
            Some(&page) => page,
            None => {
                let page = self.take_empty(Role::Data(domain, class), requested)?;
                self.partial.entry((domain, class)).or_default().push(page);
                page
            }
        };
        let (slot, full) = self.take_bit(page);
        if full {
            if let Some(pages) = self.partial.get_mut(&(domain, class)) {
                pages.retain(|&p| p != page);
            }
        }
        Ok(SlotId { page, slot })
    }

    fn add_scratch_page(&mut self, class: Class, requested: usize) -> Result<u32, Error> {
        let page = self.take_empty(Role::Scratch(class), requested)?;
        self.scratch_pages[class.index()] += 1;
        self.scratch_partial[class.index()].push(page);
        Ok(page)
    }

    /// A free scratch slot of `class`, adding a scratch page if every one is taken.
    fn take_scratch(&mut self, class: Class, requested: usize) -> Result<SlotId, Error> {
        let page = match self.scratch_partial[class.index()].last() {
            Some(&page) => page,
            None => self.add_scratch_page(class, requested).map_err(|cause| {
                Error::ScratchExhausted {
                    live_borrows: self.scratch_in_use,
                    cause: Box::new(cause),
                }
            })?,
        };
        let (slot, full) = self.take_bit(page);
        if full {
            self.scratch_partial[class.index()].retain(|&p| p != page);
        }
        self.scratch_in_use += 1;
        Ok(SlotId { page, slot })
    }

    /// Frees a slot's bit; an emptied data page goes back to the empty list.
    fn release_bit(&mut self, id: SlotId) {
        let slots = match self.page(id.page).role {
            Role::Data(_, class) | Role::Scratch(class) => class.slots(mem::page_size()) as u32,
            Role::Empty => return,
        };
        let meta = &mut self.pages[id.page as usize];
        let was_full = meta.count == slots;
        meta.used &= !(1u128 << id.slot);
        meta.count -= 1;
        let (role, count) = (meta.role, meta.count);
        match role {
            Role::Scratch(class) => {
                self.scratch_in_use -= 1;
                if was_full {
                    self.scratch_partial[class.index()].push(id.page);
                }
            }
            Role::Data(domain, class) => {
                if was_full {
                    self.partial
                        .entry((domain, class))
                        .or_default()
                        .push(id.page);
                }
                if count == 0 {
                    self.idle.push(id.page);
                }
            }
            Role::Empty => {}
        }
    }

    /// Unmaps every chunk that holds nothing: each of its pages empty, or a scratch page with
    /// no borrow in it whose class has no data page left and no live sealed value (a class in
    /// use keeps its scratch, so that its secrets stay readable at the lock limit). Returns
    /// how many chunks.
    fn release_empty(&mut self) -> usize {
        let mut class_in_use = [false; classes::COUNT];
        for meta in &self.pages {
            if let (Role::Data(_, class), 1..) = (meta.role, meta.count) {
                class_in_use[class.index()] = true;
            }
        }
        for (in_use, &readers) in class_in_use.iter_mut().zip(&self.scratch_readers) {
            *in_use |= readers > 0;
        }
        let idle = |meta: &PageMeta| match meta.role {
            Role::Empty => true,
            Role::Scratch(class) => meta.count == 0 && !class_in_use[class.index()],
            Role::Data(..) => meta.count == 0,
        };
        let mut released = 0;
        for index in 0..self.chunks.len() {
            let chunk = &self.chunks[index];
            if !chunk.mapped {
                continue;
            }
            let ids = chunk.first..chunk.first + chunk.pages as u32;
            if !ids.clone().all(|id| idle(&self.pages[id as usize])) {
                continue;
            }
            let (base, pages) = (chunk.base, chunk.pages);
            self.empty.retain(|id| !ids.contains(id));
            self.idle.retain(|id| !ids.contains(id));
            for id in ids {
                let meta = &mut self.pages[id as usize];
                match meta.role {
                    Role::Scratch(class) => {
                        self.scratch_partial[class.index()].retain(|&page| page != id);
                        self.scratch_pages[class.index()] -= 1;
                    }
                    Role::Data(domain, class) => {
                        if let Some(pages) = self.partial.get_mut(&(domain, class)) {
                            pages.retain(|&page| page != id);
                        }
                    }
                    Role::Empty => {}
                }
                self.pages[id as usize].role = Role::Empty;
            }
            // SAFETY: the chunk came from this pool's source in this process (the pool is made
            // anew after a fork), no page of it holds a secret or a borrowed copy (scratch
            // slots are zeroed when their borrow ends), nothing refers into it (copies happen
            // only for a slot in use), and it is off every list.
            unsafe { self.source.unmap_chunk(base, pages) };
            self.chunks[index].mapped = false;
            released += 1;
        }
        released
    }
}

/// Unmaps the pool's chunks that hold nothing; returns how many. Called before a lock or map
/// error is reported, so that empty pooled pages never cause one.
pub(crate) fn release_empty() -> usize {
    // Called from within the pool too (a chunk that cannot be mapped releases kept memory
    // first), when the pool's mutex is already held by this thread: then there is nothing to
    // do here, since the pool keeps its own empty pages for itself.
    match POOL.try_lock() {
        Ok(mut guard) => match guard.as_mut() {
            Some(state) if state.owner.is_here() => state.release_empty(),
            _ => 0,
        },
        Err(_) => 0,
    }
}

/// Where a slot's value of `len` bytes is, and checks its canaries and slack: every byte from
/// its leading canary to the next one other than the value itself. Aborts on a mismatch.
///
/// # Safety
/// The page at `page_addr` is readable and nothing writes it meanwhile.
unsafe fn checked_value_at(page_addr: usize, class: Class, slot: u32, len: usize) -> usize {
    let slot = slot as usize;
    let (guard, guard_len) = class.guard_before(slot, len);
    // SAFETY: the canaries and slack lie inside the page (`classes` tests the layout), which
    // the caller keeps readable.
    let intact = unsafe { mem::bytes_equal(page_addr + guard, canary()) }
        // SAFETY: as above.
        && unsafe { mem::bytes_are_zero(page_addr + guard + CANARY, guard_len - CANARY) }
        // SAFETY: as above.
        && unsafe { mem::bytes_equal(page_addr + class.canary_offset(slot + 1), canary()) };
    if !intact {
        canary_smashed();
    }
    page_addr + class.value_offset(slot, len)
}

/// One pooled secret's slot.
pub struct PooledSlot {
    cell: &'static PageCell,
    id: SlotId,
    class: Class,
    len: usize,
    owner: Owner,
    /// The scratch slot of the open read access, packed (`u64::MAX` when none).
    read_scratch: AtomicU64,
    /// The scratch slot of the open write access, packed (`u64::MAX` when none).
    write_scratch: AtomicU64,
}

const NO_SCRATCH: u64 = u64::MAX;

/// A scratch slot taken for a copy: where it is.
#[derive(Clone, Copy)]
struct Scratch {
    cell: &'static PageCell,
    id: SlotId,
}

impl Scratch {
    fn pack(self) -> u64 {
        (u64::from(self.id.page) << 32) | u64::from(self.id.slot)
    }
}

/// Takes a scratch slot of `class`.
fn take_scratch(class: Class, len: usize) -> Result<Scratch, Error> {
    with_state(|state| {
        let id = state.take_scratch(class, len)?;
        Ok(Scratch {
            cell: state.page(id.page).cell,
            id,
        })
    })
}

/// Checks a scratch slot's canaries, zeroes its value and gives it back.
fn release_scratch(class: Class, len: usize, scratch: Scratch) {
    let addr = scratch.cell.addr();
    // SAFETY: scratch pages are readable and writable for good; the slot is this caller's
    // (its bit is set), and no reference into it is alive any more.
    let value = unsafe { checked_value_at(addr, class, scratch.id.slot, len) };
    // SAFETY: as above.
    unsafe { mem::zero(value, len) };
    with_state(|state| state.release_bit(scratch.id));
}

/// Unpacks a scratch slot recorded in a `PooledSlot`.
fn unpack(packed: u64) -> Option<Scratch> {
    (packed != NO_SCRATCH).then(|| {
        let id = SlotId {
            page: (packed >> 32) as u32,
            slot: packed as u32,
        };
        with_state(|state| Scratch {
            cell: state.page(id.page).cell,
            id,
        })
    })
}

/// Counts a value of `len` bytes that is read through scratch slots and has no slot of its own
/// (a sealed value) as made (`live`) or dropped: while any lives, its class keeps its scratch
/// pages, so that it stays readable when the lock limit is used up.
pub(crate) fn count_scratch_reader(len: usize, live: bool) {
    if let Some(class) = Class::for_len(len) {
        with_state(|state| {
            let readers = &mut state.scratch_readers[class.index()];
            *readers = if live {
                *readers + 1
            } else {
                readers.saturating_sub(1)
            };
        });
    }
}

/// A scratch slot held for a value that is not in a pooled slot: sealed storage decrypts into
/// one. Read-write for as long as it is held, zero outside it; dropping it checks its canaries
/// and slack (aborting on a mismatch), zeroes it and gives it back.
pub(crate) struct ScratchSlot {
    scratch: Scratch,
    class: Class,
    len: usize,
}

impl ScratchSlot {
    /// A scratch slot for a value of `len` bytes; `None` when `len` is longer than
    /// [`MAX_LEN`].
    ///
    /// # Errors
    /// [`Error::ScratchExhausted`] when every scratch slot of the class is taken and no page
    /// can be added (the lock limit); [`Error::NotInitialised`] if libsodium cannot start.
    pub(crate) fn take(len: usize) -> Option<Result<ScratchSlot, Error>> {
        let class = Class::for_len(len)?;
        Some(
            crate::sys::sodium::init()
                .map_err(Error::from)
                .and_then(|()| take_scratch(class, len))
                .map(|scratch| ScratchSlot {
                    scratch,
                    class,
                    len,
                }),
        )
    }

    /// Where the value is: `len` bytes, read-write while the slot is held.
    pub(crate) fn as_ptr(&self) -> NonNull<u8> {
        scratch_ptr(self.class, self.len, self.scratch)
    }

    /// The value, to read.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: the slot is this holder's (its bit is set), `len` bytes inside a scratch
        // page that is read-write for good; a writer holds `&mut self` (`bytes_mut`), and a
        // pointer from `as_ptr` is only written through while the holder calls neither.
        unsafe { std::slice::from_raw_parts(self.as_ptr().as_ptr(), self.len) }
    }

    /// The value, to write.
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; `&mut self` makes this the only reference the holder gives.
        unsafe { std::slice::from_raw_parts_mut(self.as_ptr().as_ptr(), self.len) }
    }
}

impl Drop for ScratchSlot {
    fn drop(&mut self) {
        release_scratch(self.class, self.len, self.scratch);
    }
}

fn scratch_ptr(class: Class, len: usize, scratch: Scratch) -> NonNull<u8> {
    let at = scratch.cell.addr() + class.value_offset(scratch.id.slot as usize, len);
    match NonNull::new(at as *mut u8) {
        Some(at) => at,
        None => unreachable!("secrets: a scratch page at address zero"),
    }
}

impl PooledSlot {
    /// Copies the value into a new scratch slot and returns it.
    fn copy_out(&self) -> Result<Scratch, Error> {
        if !self.owner.is_here() {
            forked();
        }
        let scratch = take_scratch(self.class, self.len)?;
        let to = scratch.cell.addr() + self.class.value_offset(scratch.id.slot as usize, self.len);
        self.cell.with_open(Access::Read, |page| {
            // SAFETY: the page is open for reading under its lock; the slot is ours.
            let from = unsafe { checked_value_at(page, self.class, self.id.slot, self.len) };
            // SAFETY: `from` is readable (above); `to` is our scratch slot, read-write, no
            // reference into it alive, on another page.
            unsafe { mem::copy(from, to, self.len) };
        });
        Ok(scratch)
    }

    /// Writes a scratch slot's value back into the slot.
    fn copy_in(&self, scratch: Scratch) {
        let from =
            scratch.cell.addr() + self.class.value_offset(scratch.id.slot as usize, self.len);
        self.cell.with_open(Access::ReadWrite, |page| {
            // SAFETY: the page is open read-write under its lock; the slot is ours.
            let to = unsafe { checked_value_at(page, self.class, self.id.slot, self.len) };
            // SAFETY: `to` is writable (above) and only ours; `from` is our scratch slot,
            // readable, on another page.
            unsafe { mem::copy(from, to, self.len) };
        });
    }

    fn scratch_ptr(&self, scratch: Scratch) -> NonNull<u8> {
        scratch_ptr(self.class, self.len, scratch)
    }
}

impl Unit for PooledSlot {
    fn len(&self) -> usize {
        self.len
    }

    fn is_owned_here(&self) -> bool {
        self.owner.is_here()
    }

    fn rest_address(&self) -> usize {
        self.cell.addr() + self.class.value_offset(self.id.slot as usize, self.len)
    }

    fn open_read(&self) -> Result<NonNull<u8>, Error> {
        let scratch = self.copy_out()?;
        self.read_scratch.store(scratch.pack(), Ordering::Relaxed);
        Ok(self.scratch_ptr(scratch))
    }

    fn close_read(&self, _at: NonNull<u8>) {
        if let Some(scratch) = unpack(self.read_scratch.swap(NO_SCRATCH, Ordering::Relaxed)) {
            release_scratch(self.class, self.len, scratch);
        }
    }

    fn open_write(&self) -> Result<NonNull<u8>, Error> {
        let scratch = self.copy_out()?;
        self.write_scratch.store(scratch.pack(), Ordering::Relaxed);
        Ok(self.scratch_ptr(scratch))
    }

    fn close_write(&self, _at: NonNull<u8>) {
        if let Some(scratch) = unpack(self.write_scratch.swap(NO_SCRATCH, Ordering::Relaxed)) {
            self.copy_in(scratch);
            release_scratch(self.class, self.len, scratch);
        }
    }
}

impl Drop for PooledSlot {
    fn drop(&mut self) {
        if !self.owner.is_this_process() {
            // A child made by `fork`: the page is not here, and the pool's lock may have been
            // held by another thread at the fork. Touch nothing.
            return;
        }
        self.cell.with_open(Access::ReadWrite, |page| {
            // SAFETY: the page is open read-write under its lock; the slot is ours, and no
            // borrow of it is alive (`&mut self` in `drop`).
            let value = unsafe { checked_value_at(page, self.class, self.id.slot, self.len) };
            // SAFETY: as above.
            unsafe { mem::zero(value, self.len) };
        });
        with_state(|state| state.release_bit(self.id));
    }
}

/// A pooled secret: a slot, or dedicated pages for a value longer than [`MAX_LEN`] (with
/// every guarantee of dedicated storage).
pub type PooledUnit = OrPages<PooledSlot>;

/// Places `count` elements of `element_size` bytes of domain `domain`: in a slot if they fit
/// one, else on dedicated pages. `init` fills the value in a scratch slot (so no user code runs
/// while a shared page is open); the value is then copied into its slot.
pub(crate) fn place<E: From<Error>>(
    domain: TypeId,
    count: usize,
    element_size: usize,
    init: impl FnOnce(&mut [u8]) -> Result<(), E>,
) -> Result<PooledUnit, E> {
    let len = data_len(count, element_size)?;
    let Some(class) = Class::for_len(len) else {
        return Allocation::new_with(count, element_size, init).map(OrPages::Pages);
    };
    crate::sys::sodium::init().map_err(Error::from)?;
    // The scratch slot is taken before the data slot, so a class's first scratch page is
    // mapped before its first data page, while the lock limit still leaves room: what can be
    // made can also be read.
    let scratch = take_scratch(class, len)?;
    let value_at = scratch.cell.addr() + class.value_offset(scratch.id.slot as usize, len);
    // SAFETY: the scratch slot is ours (its bit is set), read-write, `len` bytes at `value_at`
    // inside the page, and nothing else refers to it; the slice is gone when `init` returns.
    let filled = init(unsafe { std::slice::from_raw_parts_mut(value_at as *mut u8, len) });
    let placed = filled.and_then(|()| {
        let (id, cell, owner) = with_state(|state| {
            let id = state.take_slot(domain, class, len)?;
            Ok::<_, Error>((id, state.page(id.page).cell, state.owner))
        })?;
        let slot = PooledSlot {
            cell,
            id,
            class,
            len,
            owner,
            read_scratch: AtomicU64::new(NO_SCRATCH),
            write_scratch: AtomicU64::new(NO_SCRATCH),
        };
        slot.copy_in(scratch);
        Ok(slot)
    });
    release_scratch(class, len, scratch);
    placed.map(OrPages::Small)
}

/// The pages the pool has mapped in this process, each with its role (`"data"`: holds
/// secrets; `"idle"`: held secrets of a type and class, holds none now, kept laid out for the
/// next; `"scratch"`; `"empty"`), for tests that inspect them (smaps, reads from a child). Not
/// part of the API.
pub fn pages() -> Vec<(usize, &'static str)> {
    with_state(|state| {
        state
            .pages
            .iter()
            .filter(|meta| state.chunks[meta.chunk as usize].mapped)
            .map(|meta| {
                let role = match meta.role {
                    Role::Data(..) if meta.count == 0 => "idle",
                    Role::Data(..) => "data",
                    Role::Scratch(_) => "scratch",
                    Role::Empty => "empty",
                };
                (meta.cell.addr(), role)
            })
            .collect()
    })
}

/// How many data pages, scratch pages and empty pages the pool has mapped.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn census() -> (usize, usize, usize) {
    with_state(|state| {
        let mut counts = (0, 0, 0);
        for meta in &state.pages {
            if !state.chunks[meta.chunk as usize].mapped {
                continue;
            }
            match meta.role {
                Role::Data(..) => counts.0 += 1,
                Role::Scratch(_) => counts.1 += 1,
                Role::Empty => counts.2 += 1,
            }
        }
        counts
    })
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use crate::storage::shared_storage_checks;
    use crate::Pooled;

    #[test]
    fn values_survive_being_packed_borrowed_written_and_dropped() {
        shared_storage_checks::values_survive_writes_and_drops(Pooled, 3000);
        let (data, scratch, _) = super::census();
        assert!(
            data >= 1 && scratch >= 1,
            "{data} data pages, {scratch} scratch pages"
        );
    }

    #[test]
    fn nested_refs_share_one_copy_and_long_values_go_to_pages_of_their_own() {
        shared_storage_checks::nested_refs_share_one_copy_and_long_values_work(Pooled);
    }
}
