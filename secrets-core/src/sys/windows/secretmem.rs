//! `memfd_secret(2)` is Linux's; Windows has nothing that takes pages out of the kernel's
//! view of memory. The same items as `sys/secretmem.rs`, each saying so: the `MemfdSecret`
//! backend is unavailable (`ERROR_NOT_SUPPORTED`) and libsodium's guarded heap is the backend
//! on Windows.

use windows_sys::Win32::Foundation::ERROR_NOT_SUPPORTED;

use super::mem;

/// The code for "not offered".
const NOT_OFFERED: i32 = ERROR_NOT_SUPPORTED as i32;

/// The step of [`map`] that failed: on Windows always the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Making the secret memory file: not offered.
    Create,
    /// The reservation that becomes the guard pages (never reached on Windows; the placement
    /// layer, written once for every OS, names it).
    #[expect(
        dead_code,
        reason = "the same steps as on Linux; Windows fails before these"
    )]
    Reserve,
    /// The mapping of the secret pages (never reached on Windows).
    #[expect(
        dead_code,
        reason = "the same steps as on Linux; Windows fails before these"
    )]
    Map,
}

/// `Err(ERROR_NOT_SUPPORTED)`: Windows has no `memfd_secret`.
pub(crate) fn probe() -> Result<(), i32> {
    Err(NOT_OFFERED)
}

/// `Err((Step::Create, ERROR_NOT_SUPPORTED))`: no `memfd_secret`.
pub(crate) fn map(_region_len: usize) -> Result<usize, (Step, i32)> {
    Err((Step::Create, NOT_OFFERED))
}

/// `Err((Step::Create, ERROR_NOT_SUPPORTED))`: no `memfd_secret`.
pub(crate) fn map_chunk(_pages: usize) -> Result<usize, (Step, i32)> {
    Err((Step::Create, NOT_OFFERED))
}

/// Unmaps a region made by [`map`] together with its guard pages (as on POSIX, though [`map`]
/// never succeeds here).
///
/// # Safety
/// `region` and `region_len` come from one successful [`map`], not yet unmapped, and no
/// reference into it is alive.
pub(crate) unsafe fn unmap(region: usize, region_len: usize) {
    let page = mem::page_size();
    // SAFETY: the caller guarantees the range, with its guard pages, is one unused reservation
    // of ours.
    unsafe { mem::unmap(region - page, region_len + 2 * page) };
}
