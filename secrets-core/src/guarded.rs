//! The borrow state shared by every heap container: who may touch the guarded pages, and when
//! they go back to `PROT_NONE`.
//!
//! * At rest the data pages are `PROT_NONE`: any access faults.
//! * [`Ref`]s share the pages read-only. The first `Ref` makes them readable, the last one to
//!   go makes them inaccessible again; the ones in between cost an atomic increment, no syscall.
//! * A [`RefMut`] needs `&mut` of its container, so the borrow checker already rules out every
//!   other borrow; it makes the pages writable and inaccessible again when dropped.
//!
//! `Guarded` is `Sync`: several threads may hold `Ref`s to one container at once. The reader
//! count is only moved to or from zero under a mutex, and while it is above zero the pages are
//! readable, so a thread that joins through the lock-free fast path always finds them open.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::sys::alloc::Allocation;
use crate::sys::mem::Access;
use crate::Error;

/// A guarded allocation plus its borrow state.
pub(crate) struct Guarded {
    alloc: Allocation,
    /// Live `Ref`s. Above zero means the pages are readable.
    readers: AtomicUsize,
    /// Held while the reader count moves between zero and one, with the `mprotect` that goes
    /// with it.
    transition: Mutex<()>,
}

impl Guarded {
    /// Allocates `count` elements of `element_size` bytes (the size computed with checked
    /// arithmetic, [`Error::TooLarge`] past the limit), lets `init` fill the bytes while they are
    /// writable, then seals them (guard pages checked, data `PROT_NONE`). If `init` fails, the
    /// memory is zeroed and released and its error returned.
    pub(crate) fn try_init<E: From<Error>>(
        count: usize,
        element_size: usize,
        init: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Self, E> {
        let alloc = Allocation::new(count, element_size)?;
        // SAFETY: the allocation is fresh, readable and writable, `alloc.len()` bytes long at
        // `data` (at most `isize::MAX`: `Allocation::new` checked it), and nothing else refers
        // to it; the slice does not outlive this statement's closure call, before `seal` takes
        // the access away.
        init(unsafe { std::slice::from_raw_parts_mut(alloc.data().as_ptr(), alloc.len()) })?;
        alloc.seal()?;
        Ok(Guarded {
            alloc,
            readers: AtomicUsize::new(0),
            transition: Mutex::new(()),
        })
    }

    fn transition(&self) -> MutexGuard<'_, ()> {
        // The mutex guards no data, only the ordering of `mprotect` calls, so a panic while it
        // was held leaves nothing inconsistent behind.
        self.transition
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn set_access(&self, access: Access) {
        // SAFETY: callers open pages before creating references and close them only once the
        // last reference is gone: `acquire_read`/`release_read` by the reader count,
        // `write`/`WriteBorrow::drop` by `&mut self`.
        if let Err(errno) = unsafe { self.alloc.set_access(access) } {
            if !self.alloc.is_owned_here() {
                forked();
            }
            panic!(
                "secrets: could not set guarded memory to {access:?} (mprotect: {}); \
                 the PROT_NONE-at-rest guarantee cannot be kept",
                std::io::Error::from_raw_os_error(errno)
            );
        }
    }

    fn acquire_read(&self) {
        // A child made by `fork` inherits the reader count but not the pages: a count above
        // zero must not send it down the fast path to memory that is not there.
        if !self.alloc.is_owned_here() {
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
                Ok(_) => return,
                Err(seen) => current = seen,
            }
        }
        let _transition = self.transition();
        // Only a thread holding `transition` moves the count away from zero.
        if self.readers.load(Ordering::Acquire) == 0 {
            self.set_access(Access::Read);
            self.readers.store(1, Ordering::Release);
        } else {
            self.readers.fetch_add(1, Ordering::Acquire);
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
                    self.set_access(Access::None);
                }
                return;
            }
        }
    }

    /// Opens the data read-only until the returned `Ref` (and every `Ref` made alongside it)
    /// is dropped.
    pub(crate) fn read(&self) -> Ref<'_, [u8]> {
        self.acquire_read();
        let data = self.alloc.data();
        Ref {
            value: NonNull::slice_from_raw_parts(data, self.alloc.len()),
            _borrow: ReadBorrow { guarded: self },
        }
    }

    /// Opens the data read-write until the returned `RefMut` is dropped.
    pub(crate) fn write(&mut self) -> RefMut<'_, [u8]> {
        // `&mut self` proves no `Ref` is alive, so a count above zero can only come from a
        // `Ref` passed to `mem::forget`. Clear it: `WriteBorrow::drop` closes the pages, and a
        // stale count would make the next `borrow()` skip opening them again.
        *self.readers.get_mut() = 0;
        self.set_access(Access::ReadWrite);
        let data = self.alloc.data();
        RefMut {
            value: NonNull::slice_from_raw_parts(data, self.alloc.len()),
            _borrow: WriteBorrow { guarded: self },
            marker: PhantomData,
        }
    }
}

/// Guarded memory is `MADV_DONTFORK`: a forked child has none of its parent's secrets.
fn forked() -> ! {
    panic!(
        "secrets: this secret belongs to the parent process; guarded memory is not inherited \
         by a child made by fork()"
    )
}

struct ReadBorrow<'a> {
    guarded: &'a Guarded,
}

impl Drop for ReadBorrow<'_> {
    fn drop(&mut self) {
        self.guarded.release_read();
    }
}

struct WriteBorrow<'a> {
    guarded: &'a Guarded,
}

impl Drop for WriteBorrow<'_> {
    fn drop(&mut self) {
        self.guarded.set_access(Access::None);
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
