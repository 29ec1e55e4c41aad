//! Asking the kernel whether a page is already locked, without changing its lock
//! (`madvise(2)` with `MADV_COLD`).
//!
//! Linux keeps no count of locks: one `munlock` undoes any number of `mlock`s, and undoes
//! `mlockall` too for the pages it covers. A stack `Secret` must therefore unlock only the pages
//! it locked itself, and so must know, before it locks a page, whether something else (the
//! program's `mlock` or `mlockall`, an enclosing `Secret` on the same stack) already holds it.
//!
//! `MADV_COLD` (Linux 5.4) answers that. It is refused with `EINVAL` for a mapping that is
//! `VM_LOCKED` (and for `VM_HUGETLB` and `VM_PFNMAP` ones, whose pages are never swapped
//! either): `madvise_cold` returns `-EINVAL` when `can_madv_lru_vma` finds any of those flags,
//! in `mm/madvise.c`. On any other page it is only a hint that the page may be reclaimed first
//! (it moves to the inactive list); it never changes contents, protection or locks. The caller
//! locks such a page right after asking, so the hint matters at most for that moment, on a page
//! that was swappable until then anyway. [`answers`] checks once, on a page of its own, that
//! the kernel really behaves so; where it does not (an older kernel, a seccomp filter), the
//! caller must not rely on [`is_locked`].
//!
//! Windows keeps no count of `VirtualLock`s either, and answers the question directly: the
//! `Locked` bit of the page's working-set entry (`QueryWorkingSetEx`, in `windows/mem.rs`),
//! checked by the same probe. macOS and FreeBSD cannot answer (ENOSYS).

use std::sync::OnceLock;

use super::mem;

/// Whether the page at `page` (page aligned) is locked, or otherwise kept out of swap:
/// `Ok(true)` when the kernel refuses `MADV_COLD` for it with `EINVAL`, `Ok(false)` when it
/// accepts it, the `errno` of any other failure. Trust it only if [`answers`] is `true`.
pub(crate) fn is_locked(page: usize) -> Result<bool, i32> {
    // The query is Linux's (`MADV_COLD`, in `os/linux.rs`) and Windows' (`QueryWorkingSetEx`,
    // in `windows/mem.rs`); on other OSes it fails with ENOSYS, so `answers` is `false` there
    // and every page is `Unknown` to the caller.
    mem::is_locked(page, mem::page_size())
}

/// Whether this kernel answers [`is_locked`] truthfully: a fresh page of our own reads as
/// unlocked, and as locked once we lock it. Probed once; `false` (and probed again next time)
/// if the probe itself cannot run (no page to map, no lock allowed). `lock` locks the test page
/// (the caller's `mlock`, which may first make room by releasing memory kept for reuse).
pub(crate) fn answers(lock: fn(usize, usize) -> Result<(), i32>) -> bool {
    static ANSWERS: OnceLock<bool> = OnceLock::new();
    if let Some(&answers) = ANSWERS.get() {
        return answers;
    }
    match probe(lock) {
        Some(answers) => *ANSWERS.get_or_init(|| answers),
        None => false,
    }
}

/// `Some(true)` if the kernel tells an unlocked page from a locked one, `Some(false)` if it
/// does not, `None` if the test page could not be mapped or locked.
fn probe(lock: fn(usize, usize) -> Result<(), i32>) -> Option<bool> {
    let page = mem::page_size();
    let addr = mem::reserve(page).ok()?;
    // SAFETY: the page was reserved just now, for this probe alone; nothing refers to it.
    if unsafe { mem::map_anonymous_at(addr, page) }.is_err() {
        // SAFETY: as above; the reservation is unused.
        unsafe { mem::unmap(addr, page) };
        return None;
    }
    // Under `mlockall(MCL_FUTURE)` the new page is locked already: unlock this page of ours.
    let answers = match mem::unlock(addr, page) {
        Err(_) => None,
        Ok(()) => match is_locked(addr) {
            Ok(false) => match lock(addr, page) {
                Err(_) => None,
                Ok(()) => Some(is_locked(addr) == Ok(true)),
            },
            _ => Some(false),
        },
    };
    // SAFETY: unmaps the page mapped above, which nothing refers to; unmapping also drops its
    // lock.
    unsafe { mem::unmap(addr, page) };
    answers
}
