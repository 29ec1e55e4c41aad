//! Data pages from Linux `memfd_secret(2)`, framed by guard pages of our own.
//!
//! ```text
//!  reservation: anonymous, private, PROT_NONE                 (one mmap)
//!  |   guard   | .. canary | data (len bytes) |   guard   |
//!  |   (---p)  |<- memfd_secret pages (rw-s) ->|   (---p)  |
//!              ^ region, MAP_SHARED|MAP_FIXED over the middle of the reservation
//! ```
//!
//! Pages of a `memfd_secret` file are taken out of the kernel's direct map: `/proc/PID/mem`
//! reads of them fail with EIO, `gcore` cannot dump them even with `dump-excluded-mappings`,
//! and the kernel marks the mapping `VM_LOCKED | VM_DONTDUMP` and charges it to
//! `RLIMIT_MEMLOCK` (a mapping over the limit fails with EAGAIN). The file descriptor is closed
//! as soon as the mapping exists, so nothing but this mapping refers to the pages.

use super::mem;

/// The step of [`map`] that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// `memfd_secret` or `ftruncate` on its file.
    Create,
    /// The anonymous `PROT_NONE` reservation that becomes the guard pages.
    Reserve,
    /// The shared mapping of the secret pages over the middle of the reservation.
    Map,
}

/// Makes a secret memory file of `len` bytes; `Err(errno)` if the kernel does not offer it.
fn create(len: usize) -> Result<libc::c_int, i32> {
    // Linux only; ENOSYS from the other OS files, which the backend choice reports.
    let fd = super::os::memfd_secret()?;
    let size = libc::off_t::try_from(len).map_err(|_| libc::EFBIG);
    // SAFETY: `fd` is the descriptor just created and owned here.
    let sized = size.and_then(|size| match unsafe { libc::ftruncate(fd, size) } {
        0 => Ok(()),
        _ => Err(mem::errno()),
    });
    match sized {
        Ok(()) => Ok(fd),
        Err(errno) => {
            close(fd);
            Err(errno)
        }
    }
}

fn close(fd: libc::c_int) {
    // SAFETY: `fd` was created by `create` and is closed exactly once. A failing `close` of a
    // memfd leaves nothing to clean up.
    unsafe { libc::close(fd) };
}

/// Whether this kernel offers `memfd_secret` (it is off unless booted with `secretmem.enable`
/// on some kernels, and absent before 5.14): `Err(errno)` if not.
pub(crate) fn probe() -> Result<(), i32> {
    let fd = create(mem::page_size())?;
    close(fd);
    Ok(())
}

/// Maps `region_len` bytes (whole pages) of secret memory between two guard pages and returns
/// the address of the region, readable and writable and still untouched (the pages are
/// allocated on first access).
pub(crate) fn map(region_len: usize) -> Result<usize, (Step, i32)> {
    let page = mem::page_size();
    // The caller has bounded `region_len` far below this overflow (`heap::dedicated::sizes`); a length
    // that would wrap is refused as mmap itself refuses one too large.
    let reserve_len = region_len
        .checked_add(2 * page)
        .ok_or((Step::Reserve, libc::ENOMEM))?;
    let fd = create(region_len).map_err(|errno| (Step::Create, errno))?;
    let reserve = match mem::reserve(reserve_len) {
        Ok(reserve) => reserve,
        Err(errno) => {
            close(fd);
            return Err((Step::Reserve, errno));
        }
    };
    let region = reserve + page;
    // SAFETY: MAP_FIXED replaces only the middle of the reservation made just above, which no
    // one else knows about.
    let mapped = unsafe {
        libc::mmap(
            region as *mut libc::c_void,
            region_len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_FIXED,
            fd,
            0,
        )
    };
    let errno = mem::errno();
    close(fd);
    if mapped == libc::MAP_FAILED {
        // SAFETY: the reservation is ours and nothing points into it.
        unsafe { unmap(region, region_len) };
        return Err((Step::Map, errno));
    }
    Ok(region)
}

/// Maps `pages` pages of one new secret memory file, each as a mapping of its own between
/// guard pages, and closes the file:
///
/// ```text
///  | G | D0 | G | D1 | G | ... | D(pages-1) | G |      (2 * pages + 1 pages reserved)
/// ```
///
/// Returns the address of the reservation (its first guard page). The data pages are
/// `PROT_NONE` and untouched; the kernel has charged all of them to `RLIMIT_MEMLOCK` (EAGAIN
/// from the `Map` step when that is used up). The descriptor is closed before this returns, so
/// a child made by `fork` cannot map the file again.
pub(crate) fn map_chunk(pages: usize) -> Result<usize, (Step, i32)> {
    let page = mem::page_size();
    let len = pages
        .checked_mul(page)
        .ok_or((Step::Create, libc::ENOMEM))?;
    let reserve_len = pages
        .checked_mul(2)
        .and_then(|n| n.checked_add(1))
        .and_then(|n| n.checked_mul(page))
        .ok_or((Step::Reserve, libc::ENOMEM))?;
    let fd = create(len).map_err(|errno| (Step::Create, errno))?;
    let base = match mem::reserve(reserve_len) {
        Ok(base) => base,
        Err(errno) => {
            close(fd);
            return Err((Step::Reserve, errno));
        }
    };
    for index in 0..pages {
        let at = base + (2 * index + 1) * page;
        // SAFETY: MAP_FIXED replaces one page of the reservation made just above, which no one
        // else knows about; `index * page < len` fits `off_t` since `create(len)` accepted it.
        let mapped = unsafe {
            libc::mmap(
                at as *mut libc::c_void,
                page,
                libc::PROT_NONE,
                libc::MAP_SHARED | libc::MAP_FIXED,
                fd,
                (index * page) as libc::off_t,
            )
        };
        if mapped == libc::MAP_FAILED {
            let errno = mem::errno();
            close(fd);
            // SAFETY: the reservation (with the pages mapped into it so far) is ours alone.
            unsafe { mem::unmap(base, reserve_len) };
            return Err((Step::Map, errno));
        }
    }
    close(fd);
    Ok(base)
}

/// Unmaps a region made by [`map`] together with its guard pages.
///
/// # Safety
/// `region` and `region_len` come from one successful [`map`], not yet unmapped, and no
/// reference into it is alive.
pub(crate) unsafe fn unmap(region: usize, region_len: usize) {
    let page = mem::page_size();
    // SAFETY: the caller guarantees the range is one live mapping made by `map` and unused.
    // `munmap` of a mapping we own cannot fail in a way that leaves anything to do.
    unsafe { libc::munmap((region - page) as *mut libc::c_void, region_len + 2 * page) };
}
