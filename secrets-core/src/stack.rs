//! `Secret<T>`: a `Bytes` value on the stack, locked and zeroed, that never leaves its closure.

use std::any::type_name;
use std::cell::RefCell;
use std::fmt;
use std::mem::size_of;
use std::ops::{Deref, DerefMut};

use crate::bytes::{self, Bytes, ConstantEq, Randomizable, Zeroable};
use crate::sys::alloc::{lock, lock_error};
use crate::sys::mem;
use crate::Error;

/// A [`Bytes`] value on the stack, for secrets that live only as long as one computation.
///
/// [`Secret::new`], [`zero`](Secret::zero) and [`random`](Secret::random) place the value in
/// their own stack frame, `mlock` its page(s), and hand the closure a `&mut Secret<T>`. There is
/// no way to construct a `Secret` elsewhere or to move one out of the closure. When the closure
/// returns or unwinds, the value is zeroed and its pages unlocked.
///
/// Locks are counted per page and per thread: a `Secret` made inside another's closure (very
/// likely on the same page) does not unlock the outer one's page when it ends.
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

/// Locks the value's pages on entry; zeroes the value, then releases the locks, on exit or
/// unwind.
struct Scope<'a, T: Bytes> {
    secret: &'a mut Secret<T>,
    pages: PageRange,
}

impl<'a, T: Bytes> Scope<'a, T> {
    fn enter(secret: &'a mut Secret<T>) -> Result<Self, Error> {
        let start = &secret.value as *const T as usize;
        let pages = PageRange::lock(start, size_of::<T>())?;
        Ok(Scope { secret, pages })
    }
}

impl<T: Bytes> Drop for Scope<'_, T> {
    fn drop(&mut self) {
        self.secret.value.zero();
        self.pages.unlock();
    }
}

thread_local! {
    /// Stack pages this thread has locked for a `Secret`, and how many live `Secret`s use each.
    /// Stack pages belong to one thread, so no other thread ever counts the same page.
    static LOCKED_PAGES: RefCell<Vec<(usize, usize)>> = const { RefCell::new(Vec::new()) };
}

/// The pages under `[start, start + len)`, counted in `LOCKED_PAGES`.
struct PageRange {
    first: usize,
    count: usize,
}

impl PageRange {
    fn lock(start: usize, len: usize) -> Result<Self, Error> {
        let page = mem::page_size();
        let first = mem::page_floor(start);
        let count = (mem::page_round(start + len.max(1)) - first) / page;
        LOCKED_PAGES.with_borrow_mut(|locked| {
            let all_counted =
                (0..count).all(|i| locked.iter().any(|&(p, _)| p == first + i * page));
            if !all_counted {
                // Locking pages that are already locked is a no-op, so lock the whole range.
                lock(first, count * page).map_err(|errno| lock_error(len, count * page, errno))?;
            }
            for i in 0..count {
                let addr = first + i * page;
                match locked.iter_mut().find(|(p, _)| *p == addr) {
                    Some((_, users)) => *users += 1,
                    None => locked.push((addr, 1)),
                }
            }
            Ok(PageRange { first, count })
        })
    }

    fn unlock(&self) {
        let page = mem::page_size();
        LOCKED_PAGES.with_borrow_mut(|locked| {
            for i in 0..self.count {
                let addr = self.first + i * page;
                if let Some(index) = locked.iter().position(|&(p, _)| p == addr) {
                    locked[index].1 -= 1;
                    if locked[index].1 == 0 {
                        locked.swap_remove(index);
                        // Unlocking only fails for unmapped addresses; this page is our stack.
                        let _ = mem::unlock(addr, page);
                    }
                }
            }
        });
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
