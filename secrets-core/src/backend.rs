//! Which memory the guarded heap is made of, chosen once per process (see [`Backend`]).

use std::fmt;
use std::sync::OnceLock;

use crate::sys::secretmem;
use crate::Error;

/// Which memory the guarded heap is made of, chosen once per process.
///
/// | backend | data pages | `/proc/PID/mem`, `gcore` | fork |
/// |---|---|---|---|
/// | [`Backend::MemfdSecret`] | Linux `memfd_secret(2)`: out of the kernel's direct map | EIO; not in any dump | not inherited |
/// | [`Backend::Sodium`] | libsodium's `sodium_malloc`, anonymous memory | readable by the process's owner and root; excluded from default dumps only | not inherited |
///
/// Both give the same layout guarantees: guard pages before and after, a canary before the
/// data, data aligned to the end of its page, locked, `MADV_DONTDUMP`, `PROT_NONE` at rest,
/// and a typed error when any of it cannot be put in place.
///
/// The default is `MemfdSecret` where the kernel offers it (Linux 5.14+ with `secretmem`
/// enabled) and `Sodium` elsewhere: always on macOS and FreeBSD, which have no
/// `memfd_secret` ([`Backend::available`] says so: [`Error::BackendUnavailable`] with ENOSYS). A program may fix the choice with [`set_backend`] before its
/// first secret is made; after that (or after [`active_backend`] has been asked) the choice
/// cannot change. The choice is made through this API only, never from the environment, so an
/// attacker who can set environment variables cannot weaken it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Pages from Linux `memfd_secret(2)`, removed from the kernel's direct map, with guard
    /// pages and a canary of this crate's own.
    MemfdSecret,
    /// libsodium's guarded heap (`sodium_malloc`), with its guard pages and lock checked.
    Sodium,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::MemfdSecret => "memfd_secret",
            Backend::Sodium => "libsodium sodium_malloc",
        })
    }
}

static CHOSEN: OnceLock<Backend> = OnceLock::new();

impl Backend {
    /// Whether this backend can be used on this machine: `Err` carries the `errno` that
    /// probing it gave.
    ///
    /// ```
    /// use secrets_core::Backend;
    /// assert!(Backend::Sodium.available().is_ok());
    /// ```
    pub fn available(self) -> Result<(), Error> {
        match self {
            Backend::Sodium => Ok(()),
            Backend::MemfdSecret => secretmem::probe().map_err(|errno| Error::BackendUnavailable {
                backend: self,
                errno,
            }),
        }
    }

    fn default_for_this_machine() -> Backend {
        if Backend::MemfdSecret.available().is_ok() {
            Backend::MemfdSecret
        } else {
            Backend::Sodium
        }
    }
}

/// The backend in use, fixing it (to the default, if [`set_backend`] was not called) so that it
/// can no longer change.
///
/// ```
/// let backend = secrets_core::active_backend();
/// println!("guarded memory comes from {backend}");
/// ```
pub fn active_backend() -> Backend {
    *CHOSEN.get_or_init(Backend::default_for_this_machine)
}

/// Chooses the backend for this process. Call it before the first secret is made.
///
/// Asking again for the backend already in use is not an error.
///
/// # Errors
/// [`Error::BackendUnavailable`] if the kernel does not offer `backend`;
/// [`Error::BackendFixed`] if a different backend is already in use (a secret was made, or
/// [`active_backend`] was called).
///
/// ```
/// use secrets_core::{active_backend, set_backend, Backend, Error};
/// set_backend(Backend::Sodium)?;
/// assert_eq!(active_backend(), Backend::Sodium);
/// let err = set_backend(Backend::MemfdSecret).unwrap_err();
/// assert!(matches!(err, Error::BackendFixed { active: Backend::Sodium, .. }));
/// # Ok::<(), Error>(())
/// ```
pub fn set_backend(backend: Backend) -> Result<(), Error> {
    backend.available()?;
    let active = *CHOSEN.get_or_init(|| backend);
    if active == backend {
        Ok(())
    } else {
        Err(Error::BackendFixed {
            active,
            requested: backend,
        })
    }
}

/// How many pages of released [`Backend::MemfdSecret`] memory are kept for reuse unless
/// [`set_spare_pages`] says otherwise: 16, 64 KiB with 4 KiB pages.
pub const DEFAULT_SPARE_PAGES: usize = crate::heap::spare::DEFAULT_LIMIT;

/// Sets how many pages of released [`Backend::MemfdSecret`] memory are kept for the next
/// secrets, and returns the previous limit. `0` turns reuse off and releases every kept page
/// at once.
///
/// When a secret in `memfd_secret` memory is dropped, its canary is checked and every byte of
/// its pages zeroed, as always; then, if fewer than `limit` pages are kept, its pages are sealed
/// (`PROT_NONE`) and kept, with their guard pages, instead of being unmapped. The next secret
/// that needs the same number of pages takes them with one `mprotect`, skipping the six system
/// calls of a new mapping and the `munmap` of the old one: making and dropping a secret costs
/// a fraction of what the bare system calls do (see the README's benchmarks).
///
/// Kept pages hold nothing but zeros, stay out of the kernel's direct map, locked, out of core
/// dumps and out of `fork`ed children, and fault on any access. They stay charged to
/// `RLIMIT_MEMLOCK`; when a new mapping fails, they are released and the mapping tried again, so
/// they never cause an error. With the [`Backend::Sodium`] backend nothing is kept: released
/// memory goes back through `sodium_free`.
///
/// ```
/// use secrets_core::{set_spare_pages, DEFAULT_SPARE_PAGES};
/// // Unmap every page as soon as its secret is dropped, and release those kept so far.
/// let before = set_spare_pages(0);
/// assert_eq!(before, DEFAULT_SPARE_PAGES);
/// # set_spare_pages(before);
/// ```
pub fn set_spare_pages(limit: usize) -> usize {
    crate::heap::spare::set_limit(limit)
}
