//! What each backend's memory must look like, spelled out per backend so that a test states
//! exactly what it expects of each (never "one or the other").
//!
//! ```text
//!  Backend::Sodium (sodium_malloc: one private anonymous mapping, split by mprotect)
//!  | header (r--p) | guard (---p) |  .. canary | data |  guard (---p) |
//!
//!  Backend::MemfdSecret (a private anonymous PROT_NONE reservation, its middle replaced by a
//!  MAP_SHARED mapping of memfd_secret pages: hence `s`; no header page)
//!                  | guard (---p) |  .. canary | data |  guard (---p) |
//!                                 ^ region start     ^ region end = end of the data
//! ```
//!
//! The region (canary and data) is `---` at rest, `r--` while a `Ref` lives and `rw-` while a
//! `RefMut` lives; locked (`lo`), out of core dumps (`dd`) and out of forks (`dc`) under both.
//! Releasing an allocation unmaps all of it with one `munmap`: from Sodium's header page, or
//! from MemfdSecret's leading guard page, to the end of the trailing guard page.

use std::ops::Range;

use secrets_core::Backend;

use crate::smaps::{vma_at, Vma};

/// Every backend the tests run the containers under.
pub const BACKENDS: [Backend; 2] = [Backend::MemfdSecret, Backend::Sodium];

/// What a borrow currently allows on a container's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// At rest: no borrow alive.
    None,
    /// While a `Ref` is alive.
    Read,
    /// While a `RefMut` is alive.
    ReadWrite,
}

fn unknown(backend: Backend) -> ! {
    panic!(
        "the tests have no expectations for backend {backend:?}: add them to tests/src/layout.rs"
    )
}

/// A short name for `backend`, used in test output and in [`crate::BACKEND_ENV`].
pub fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::MemfdSecret => "memfd_secret",
        Backend::Sodium => "sodium",
        other => unknown(other),
    }
}

/// The permissions `/proc/self/smaps` must show for the data's pages.
pub fn data_perms(backend: Backend, access: Access) -> &'static str {
    match (backend, access) {
        // A shared mapping of the secret memory file.
        (Backend::MemfdSecret, Access::None) => "---s",
        (Backend::MemfdSecret, Access::Read) => "r--s",
        (Backend::MemfdSecret, Access::ReadWrite) => "rw-s",
        // Private anonymous memory.
        (Backend::Sodium, Access::None) => "---p",
        (Backend::Sodium, Access::Read) => "r--p",
        (Backend::Sodium, Access::ReadWrite) => "rw-p",
        (other, _) => unknown(other),
    }
}

/// The permissions of both guard pages, whatever the data's access.
pub fn guard_perms(backend: Backend) -> &'static str {
    match backend {
        // The ends of the private anonymous reservation.
        Backend::MemfdSecret => "---p",
        // Pages of sodium_malloc's own private anonymous mapping.
        Backend::Sodium => "---p",
        other => unknown(other),
    }
}

/// The permissions of the page before the leading guard page, if it belongs to the allocation.
pub fn header_perms(backend: Backend) -> Option<&'static str> {
    match backend {
        // The page before the reservation belongs to someone else.
        Backend::MemfdSecret => None,
        // libsodium's header (it records the region's size), read-only.
        Backend::Sodium => Some("r--p"),
        other => unknown(other),
    }
}

/// The range (start, length) that releasing the allocation whose region (page-aligned canary
/// and data) is `region` must unmap: all of the allocation, in one `munmap`.
pub fn released_range(backend: Backend, region: Range<usize>) -> (usize, usize) {
    let page = page_size();
    let below = match backend {
        Backend::MemfdSecret => page,
        Backend::Sodium => 2 * page,
        other => unknown(other),
    };
    let start = region.start - below;
    (start, region.end + page - start)
}

/// The system's page size.
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

/// The start of the page that holds `addr`. Used by `pooled`, `sealed`, `pooled_limits` and
/// `sealed_limits`.
pub fn page_of(addr: usize) -> usize {
    addr & !(page_size() - 1)
}

/// What is wrong with the guarded page at `page` as smaps shows it in `vmas` (sorted, as
/// [`crate::mappings`] returns them), if anything: it must be a mapping of exactly that page
/// with `access`'s permissions ([`data_perms`]), locked, out of core dumps and out of forks,
/// with an unlocked guard page ([`guard_perms`]) of another mapping on each side. Used by
/// `pooled_limits` (data pages) and `sealed_limits` (the key page and scratch pages).
pub fn guarded_page_fault(
    backend: Backend,
    vmas: &[Vma],
    page: usize,
    access: Access,
) -> Option<String> {
    let size = page_size();
    let Some(own) = vma_at(vmas, page) else {
        return Some(format!("page {page:#x} is not mapped"));
    };
    let sealed = own.start == page
        && own.end == page + size
        && own.perms == data_perms(backend, access)
        && own.has_flag("lo")
        && own.has_flag("dd")
        && own.has_flag("dc");
    let guard = |addr: usize| {
        vma_at(vmas, addr)
            .is_some_and(|vma| vma.perms == guard_perms(backend) && !vma.has_flag("lo"))
    };
    if sealed && guard(page - size) && guard(page + size) {
        return None;
    }
    Some(format!(
        "page {page:#x}: {own:?}; before: {:?}; after: {:?}",
        vma_at(vmas, page - size),
        vma_at(vmas, page + size)
    ))
}
