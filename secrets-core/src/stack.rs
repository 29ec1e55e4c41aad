//! `Secret<T>`: a `Bytes` value on the stack, locked and zeroed, that never leaves its closure.

use std::any::type_name;
use std::fmt;
use std::mem::size_of;
use std::ops::{Deref, DerefMut};

use crate::bytes::{self, Bytes, ConstantEq, Randomizable, Zeroable};
use crate::heap::limits::{lock, lock_error};
use crate::sys::{mem, stacklock};
use crate::Error;

/// A [`Bytes`] value on the stack, for secrets that live only as long as one computation.
///
/// [`Secret::new`], [`zero`](Secret::zero) and [`random`](Secret::random) place the value in
/// their own stack frame, `mlock` its page(s), and hand the closure a `&mut Secret<T>`. There is
/// no way to construct a `Secret` elsewhere or to move one out of the closure. When the closure
/// returns or unwinds, the value is zeroed and the locks it took are released.
///
/// A `Secret` unlocks only the pages it locked: before locking, it asks the kernel which of
/// its pages are locked already (by the program's `mlock` or `mlockall`, or by a `Secret` whose
/// closure this one runs in, very likely on the same page) and leaves those alone. The kernel
/// keeps no count of locks, so a lock taken on the same page inside the closure (an `mlock`, an
/// `mlockall`) ends with the `Secret`'s own. Where the kernel cannot answer (Linux before 5.4,
/// `madvise` blocked by a seccomp filter, no room under `RLIMIT_MEMLOCK` for the one-page test
/// the answer is checked with), a `Secret` locks its pages and leaves them locked:
/// they stay locked, counted against `RLIMIT_MEMLOCK`, as long as the stack is mapped.
///
/// It uses no thread-local state, so it also works in a thread-local destructor.
///
/// `Secret<T>` dereferences to `T`. A `Copy` type can still be copied out by `*secret`; doing
/// so defeats the point, as does passing the value by value to other functions. What the
/// compiler keeps in registers or spills elsewhere on the stack is beyond this type's reach.
///
/// ```
/// use secrets_core::Secret;
///
/// let checksum = Secret::<[u8; 32]>::random(|key| key.iter().fold(0u8, |a, b| a ^ b))?;
/// # let _ = checksum;
/// # Ok::<(), secrets_core::Error>(())
/// ```
pub struct Secret<T: Bytes> {
    value: T,
}

impl<T: Bytes> Secret<T> {
    /// Runs `f` with a zeroed, locked `T` on the stack and returns what `f` returns.
    ///
    /// # Errors
    /// [`Error::Lock`] if the stack page cannot be locked (`RLIMIT_MEMLOCK` used up); `f` is then
    /// not run.
    ///
    /// ```
    /// use secrets_core::Secret;
    /// let sum = Secret::<[u32; 4]>::new(|s| {
    ///     s.copy_from_slice(&[1, 2, 3, 4]);
    ///     s.iter().sum::<u32>()
    /// })?;
    /// assert_eq!(sum, 10);
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    // `new` returns what the closure returns: the value itself never leaves this frame.
    #[allow(clippy::new_ret_no_self)]
    pub fn new<R>(f: impl FnOnce(&mut Secret<T>) -> R) -> Result<R, Error> {
        let () = T::LAYOUT_CHECKED;
        let mut secret = Secret {
            value: bytes::zeroed::<T>(),
        };
        let scope = Scope::enter(&mut secret)?;
        Ok(f(scope.secret))
    }

    /// Runs `f` with a zeroed, locked `T`; the same as [`new`](Self::new), named for the reader.
    ///
    /// # Errors
    /// As for [`new`](Self::new).
    pub fn zero<R>(f: impl FnOnce(&mut Secret<T>) -> R) -> Result<R, Error> {
        Self::new(f)
    }

    /// Runs `f` with a locked `T` filled from libsodium's CSPRNG.
    ///
    /// # Errors
    /// As for [`new`](Self::new).
    ///
    /// # Panics
    /// If libsodium's CSPRNG cannot be initialised.
    pub fn random<R>(f: impl FnOnce(&mut Secret<T>) -> R) -> Result<R, Error> {
        Self::new(|secret| {
            secret.value.randomize();
            f(secret)
        })
    }
}

/// Locks the value's pages on entry; zeroes the value, then releases the locks it took, on exit
/// or unwind.
struct Scope<'a, T: Bytes> {
    secret: &'a mut Secret<T>,
    locks: Locks,
}

impl<'a, T: Bytes> Scope<'a, T> {
    fn enter(secret: &'a mut Secret<T>) -> Result<Self, Error> {
        let start = &secret.value as *const T as usize;
        let locks = Locks::take(start, size_of::<T>())?;
        Ok(Scope { secret, locks })
    }
}

impl<T: Bytes> Drop for Scope<'_, T> {
    fn drop(&mut self) {
        self.secret.value.zero();
        self.locks.release();
    }
}

/// What to do with one page under the value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Page {
    /// Locked by someone else (the program's `mlock` or `mlockall`, an enclosing `Secret`):
    /// neither locked nor unlocked here.
    HeldAlready,
    /// Unlocked: locked here, and unlocked when the scope ends.
    Ours,
    /// The kernel cannot say: locked here, and left locked, since the lock may not be ours.
    Unknown,
}

/// The locks a scope took on the pages under its value: runs of whole pages, `(start, len)`.
///
/// The kernel keeps no count of locks (one `munlock` undoes every `mlock` and `mlockall` of the
/// page), so a scope must release only locks it took. It asks the kernel which pages are locked
/// already ([`stacklock::is_locked`]) and leaves those alone. A scope nested in another's
/// closure ends first, so it finds the outer value's page locked and does not touch it; no
/// per-thread record is needed, which also lets a `Secret` be made in a thread-local destructor.
struct Locks {
    taken: Vec<(usize, usize)>,
}

impl Locks {
    /// Locks the pages under `[start, start + len)` that are not locked yet.
    fn take(start: usize, len: usize) -> Result<Self, Error> {
        let page = mem::page_size();
        let first = mem::page_floor(start);
        // Cannot overflow: the value lies in memory, and the last page of the address space is
        // never mapped; `page_round` saturates anyway.
        let end = mem::page_round(start.saturating_add(len.max(1)));
        let answers = stacklock::answers(lock);
        let classify = |addr: usize| match answers.then(|| stacklock::is_locked(addr)) {
            Some(Ok(true)) => Page::HeldAlready,
            Some(Ok(false)) => Page::Ours,
            Some(Err(_)) | None => Page::Unknown,
        };
        let mut locks = Locks { taken: Vec::new() };
        // The current run of pages of one kind: its first page and its kind.
        let mut run: Option<(usize, Page)> = None;
        for addr in (first..end).step_by(page) {
            let kind = classify(addr);
            match run {
                Some((_, current)) if current == kind => {}
                Some((run_start, current)) => {
                    locks.lock_run(run_start, addr, current, len)?;
                    run = Some((addr, kind));
                }
                None => run = Some((addr, kind)),
            }
        }
        if let Some((run_start, kind)) = run {
            locks.lock_run(run_start, end, kind, len)?;
        }
        Ok(locks)
    }

    /// Locks `[start, end)` unless it is held already, and records it if the lock is ours.
    /// On error the caller drops `self`, which releases the runs locked so far; `requested`
    /// (the value's size) is for the error.
    fn lock_run(
        &mut self,
        start: usize,
        end: usize,
        kind: Page,
        requested: usize,
    ) -> Result<(), Error> {
        if kind == Page::HeldAlready {
            return Ok(());
        }
        let len = end - start;
        lock(start, len).map_err(|errno| lock_error(requested, len, errno))?;
        if kind == Page::Ours {
            self.taken.push((start, len));
        }
        Ok(())
    }

    fn release(&mut self) {
        for (run, len) in self.taken.drain(..) {
            // Unlocking only fails for unmapped addresses; these pages are our stack.
            let _ = mem::unlock(run, len);
        }
    }
}

impl Drop for Locks {
    fn drop(&mut self) {
        self.release();
    }
}

impl<T: Bytes> Deref for Secret<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Bytes> DerefMut for Secret<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: Bytes> PartialEq for Secret<T> {
    /// Compares in constant time.
    fn eq(&self, other: &Self) -> bool {
        self.value.constant_eq(&other.value)
    }
}

impl<T: Bytes> Eq for Secret<T> {}

impl<T: Bytes> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret<{}>([REDACTED])", type_name::<T>())
    }
}
