//! The borrow state shared by every heap container: who may touch a secret's bytes, and when
//! they go back to being inaccessible.
//!
//! * At rest a secret cannot be read: its own pages are `PROT_NONE` (dedicated storage), or it
//!   sits in a shared `PROT_NONE` page and is read through a copy (pooled storage).
//! * [`Ref`]s share one read access. The first `Ref` opens it ([`Unit::open_read`]), the last one
//!   to go closes it; the ones in between cost an atomic increment, no syscall.
//! * A [`RefMut`] needs `&mut` of its container, so the borrow checker already rules out every
//!   other borrow; it opens the value for writing and closes it when dropped.
//!
//! What "open" means belongs to the placement ([`crate::heap::Unit`]): this file only counts.
//! `Guarded` is `Sync`: several threads may hold `Ref`s to one container at once. The reader
//! count is only moved to or from zero under a mutex, and while it is above zero the value is
//! readable where `open_at` says, so a thread that joins through the lock-free fast path always
//! finds it open.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::heap::{forked, Unit};
use crate::Error;

/// A placed secret plus its borrow state.
pub(crate) struct Guarded<U: Unit> {
    unit: U,
    /// Live `Ref`s. Above zero means the value is readable at `open_at`.
    readers: AtomicUsize,
    /// Where the open value can be read: set by the thread that moves `readers` from zero to
    /// one, before it does (with `Release`), so a reader that joins later (with `Acquire`) sees it.
    open_at: AtomicPtr<u8>,
    /// Where a live `RefMut` writes, null when there is none. Kept here rather than in the
    /// `RefMut` so that one passed to `mem::forget` is closed by the next `borrow_mut()` or by
    /// the drop of the container, instead of staying open for good.
    write_at: AtomicPtr<u8>,
    /// Held while the reader count moves between zero and one, with the `open_read` or
    /// `close_read` that goes with it.
    transition: Mutex<()>,
}

impl<U: Unit> Guarded<U> {
    /// Takes over a placed, sealed secret.
    pub(crate) fn new(unit: U) -> Self {
        Guarded {
            unit,
            readers: AtomicUsize::new(0),
            open_at: AtomicPtr::new(std::ptr::null_mut()),
            write_at: AtomicPtr::new(std::ptr::null_mut()),
            transition: Mutex::new(()),
        }
    }

    fn transition(&self) -> MutexGuard<'_, ()> {
        // The mutex guards no data, only the ordering of the transitions, so a panic while it
        // was held leaves nothing inconsistent behind.
        self.transition
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one more reader and returns where the value can be read.
    fn acquire_read(&self) -> Result<NonNull<u8>, Error> {
        // A child made by `fork` inherits the reader count but not the memory: a count above
        // zero must not send it down the fast path to memory that is not there.
        if !self.unit.is_owned_here() {
            forked();
        }
        let mut current = self.readers.load(Ordering::Relaxed);
        while current > 0 {
            match self.readers.compare_exchange_weak(
                current,
                current + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(self.open_at()),
                Err(seen) => current = seen,
            }
        }
        let _transition = self.transition();
        // Only a thread holding `transition` moves the count away from zero.
        if self.readers.load(Ordering::Acquire) == 0 {
            // A `RefMut` passed to `mem::forget` left a write open (none can be alive beside
            // `&self`): end it, keeping what it wrote, before the value is read (a sealed
            // value's write is kept only once it is sealed again).
            self.release_write();
            let at = self.unit.open_read()?;
            self.open_at.store(at.as_ptr(), Ordering::Relaxed);
            self.readers.store(1, Ordering::Release);
            Ok(at)
        } else {
            self.readers.fetch_add(1, Ordering::Acquire);
            Ok(self.open_at())
        }
    }

    /// Where the open value is; only called while this thread counts as a reader.
    fn open_at(&self) -> NonNull<u8> {
        match NonNull::new(self.open_at.load(Ordering::Relaxed)) {
            Some(at) => at,
            None => unreachable!("secrets: a reader found no open value (borrow state corrupted)"),
        }
    }

    fn release_read(&self) {
        let mut current = self.readers.load(Ordering::Relaxed);
        while current > 1 {
            match self.readers.compare_exchange_weak(
                current,
                current - 1,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
        let _transition = self.transition();
        // Readers may still join through the fast path, so decide with a compare-exchange.
        loop {
            let current = self.readers.load(Ordering::Acquire);
            let next = current - 1;
            if self
                .readers
                .compare_exchange(current, next, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                if next == 0 {
                    self.unit.close_read(self.open_at());
                }
                return;
            }
        }
    }

    /// Opens the data read-only until the returned `Ref` (and every `Ref` made alongside it)
    /// is dropped.
    ///
    /// # Errors
    /// [`Error::ScratchExhausted`] when a pooled value has no scratch slot to be copied into.
    pub(crate) fn try_read(&self) -> Result<Ref<'_, [u8]>, Error> {
        let data = self.acquire_read()?;
        Ok(Ref {
            value: NonNull::slice_from_raw_parts(data, self.unit.len()),
            _borrow: ReadBorrow { guarded: self },
        })
    }

    /// Where the value lies at rest; see [`Unit::rest_address`].
    pub(crate) fn rest_address(&self) -> usize {
        self.unit.rest_address()
    }

    /// [`Guarded::try_read`], panicking with the error's text if the value cannot be opened.
    pub(crate) fn read(&self) -> Ref<'_, [u8]> {
        self.try_read().unwrap_or_else(|err| cannot_open(&err))
    }

    /// [`Guarded::try_write`], panicking with the error's text if the value cannot be opened.
    pub(crate) fn write(&mut self) -> RefMut<'_, [u8]> {
        self.try_write().unwrap_or_else(|err| cannot_open(&err))
    }

    /// Opens the data read-write until the returned `RefMut` is dropped.
    ///
    /// # Errors
    /// As for [`Guarded::try_read`].
    pub(crate) fn try_write(&mut self) -> Result<RefMut<'_, [u8]>, Error> {
        if !self.unit.is_owned_here() {
            forked();
        }
        // `&mut self` proves no `Ref` is alive, so a count above zero can only come from a
        // `Ref` passed to `mem::forget`. End that read access now: a stale count would make the
        // next `borrow()` skip opening the value again.
        if std::mem::take(self.readers.get_mut()) > 0 {
            self.unit.close_read(self.open_at());
        }
        // Likewise a `RefMut` passed to `mem::forget`: end its write access, keeping what it
        // wrote.
        self.release_write();
        let data = self.unit.open_write()?;
        *self.write_at.get_mut() = data.as_ptr();
        Ok(RefMut {
            value: NonNull::slice_from_raw_parts(data, self.unit.len()),
            _borrow: WriteBorrow { guarded: self },
            marker: PhantomData,
        })
    }
}

/// A borrow that cannot be given: the placement's typed error names the limit; `borrow()` has
/// no way to return it (`try_borrow()` does).
fn cannot_open(err: &Error) -> ! {
    panic!("secrets: a borrow could not be given: {err}")
}

impl<U: Unit> Drop for Guarded<U> {
    fn drop(&mut self) {
        // A `Ref` passed to `mem::forget` left the value open: close it (a pooled value holds a
        // scratch slot until then) before the placement releases it.
        if !self.unit.is_owned_here() {
            return;
        }
        if *self.readers.get_mut() > 0 {
            self.unit.close_read(self.open_at());
        }
        self.release_write();
    }
}

/// Ends one read borrow; a trait object, so that `Ref` is one type whatever the storage.
trait ReleaseRead: Sync {
    fn release_read(&self);
}

impl<U: Unit> ReleaseRead for Guarded<U> {
    fn release_read(&self) {
        Guarded::release_read(self);
    }
}

/// Ends the write borrow, if one is open.
trait ReleaseWrite: Sync {
    fn release_write(&self);
}

impl<U: Unit> ReleaseWrite for Guarded<U> {
    fn release_write(&self) {
        if let Some(at) = NonNull::new(self.write_at.swap(std::ptr::null_mut(), Ordering::AcqRel)) {
            self.unit.close_write(at);
        }
    }
}

struct ReadBorrow<'a> {
    guarded: &'a dyn ReleaseRead,
}

impl Drop for ReadBorrow<'_> {
    fn drop(&mut self) {
        self.guarded.release_read();
    }
}

struct WriteBorrow<'a> {
    guarded: &'a dyn ReleaseWrite,
}

impl Drop for WriteBorrow<'_> {
    fn drop(&mut self) {
        self.guarded.release_write();
    }
}

/// Read-only access to a secret in guarded memory, from `borrow()`.
///
/// While any `Ref` to a container is alive its pages are readable; when the last one is dropped
/// they are `PROT_NONE` again. Taking a second `Ref` while one is alive costs no syscall.
///
/// A `Ref` is neither `Send` nor `Sync`: like a `MutexGuard`, it belongs to the thread that took
/// it. Other threads take their own from the (shareable) container.
///
/// A `Ref` passed to `mem::forget` stays counted as a reader: the pages stay readable, through
/// later `borrow()`s, until the next `borrow_mut()` ends or the container is dropped.
/// "`PROT_NONE` at rest" holds only for borrows that end.
pub struct Ref<'a, T: ?Sized> {
    // A pointer, not `&'a T`: the pages stop being readable while `'a` is still running (in
    // `ReadBorrow::drop`), and a reference must stay dereferenceable for as long as it exists.
    value: NonNull<T>,
    _borrow: ReadBorrow<'a>,
}

impl<'a, T: ?Sized> Ref<'a, T> {
    /// Makes a `Ref` to a part of the borrowed data, keeping the pages open as long as it lives.
    ///
    /// ```
    /// use secrets_core::{Ref, SecretBox};
    /// let pair = SecretBox::<[u64; 2]>::new(|p| *p = [1, 2])?;
    /// let second: Ref<'_, u64> = Ref::map(pair.borrow(), |p| &p[1]);
    /// assert_eq!(*second, 2);
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn map<U: ?Sized>(orig: Ref<'a, T>, f: impl FnOnce(&T) -> &U) -> Ref<'a, U> {
        let value = NonNull::from(f(&*orig));
        Ref {
            value,
            _borrow: orig._borrow,
        }
    }
}

impl<T: ?Sized> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `value` points into the guarded data (or a part of it chosen by `map`), which
        // is readable while `_borrow` counts this `Ref` as a reader, and holds a valid `T`: the
        // containers only build `Ref`s of their own `Bytes` type, `[u8]` or checked `str`.
        unsafe { self.value.as_ref() }
    }
}

/// Read-write access to a secret in guarded memory, from `borrow_mut()`.
///
/// While it is alive the container's pages are readable and writable; when it is dropped they
/// are `PROT_NONE` again.
///
/// A `RefMut` passed to `mem::forget` runs no code, so it leaves the pages readable *and
/// writable* with no borrow alive, until the next `borrow()` or `borrow_mut()` of the container
/// ends (each opens the pages itself and closes them when dropped) or the container is dropped.
pub struct RefMut<'a, T: ?Sized> {
    value: NonNull<T>,
    _borrow: WriteBorrow<'a>,
    marker: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> RefMut<'a, T> {
    /// Makes a `RefMut` to a part of the borrowed data.
    ///
    /// ```
    /// use secrets_core::{RefMut, SecretBox};
    /// let mut pair = SecretBox::<[u64; 2]>::zero()?;
    /// let mut first: RefMut<'_, u64> = RefMut::map(pair.borrow_mut(), |p| &mut p[0]);
    /// *first = 9;
    /// drop(first);
    /// assert_eq!(*pair.borrow(), [9, 0]);
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn map<U: ?Sized>(
        mut orig: RefMut<'a, T>,
        f: impl FnOnce(&mut T) -> &mut U,
    ) -> RefMut<'a, U> {
        let value = NonNull::from(f(&mut *orig));
        RefMut {
            value,
            _borrow: orig._borrow,
            marker: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for RefMut<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the pages are readable and writable while `_borrow` lives, `value` points at a
        // valid `T` inside them, and this `RefMut` is the only access (it came from `&mut`).
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized> DerefMut for RefMut<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes the returned reference unique.
        unsafe { self.value.as_mut() }
    }
}
