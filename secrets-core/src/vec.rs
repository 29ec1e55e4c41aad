//! `SecretVec<T>`: a run of `Bytes` values in guarded memory, its length fixed at run time.

use std::any::{type_name, TypeId};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{align_of, size_of};

use crate::bytes::{self, Bytes, ConstantEq, Randomizable, Zeroable};
use crate::guarded::{Guarded, Ref, RefMut};
use crate::storage::{Dedicated, Storage};
use crate::Error;

/// `len` values of a [`Bytes`] type in guarded memory, with the same protections as
/// [`SecretBox`](crate::SecretBox).
///
/// The length is chosen when the vector is made and never changes: a `SecretVec` is never
/// reallocated, so no copy of the secret is ever left behind in freed memory.
///
/// ```
/// use secrets_core::SecretVec;
///
/// let seed = SecretVec::<u8>::random(64)?;
/// assert_eq!(seed.len(), 64);
/// assert_eq!(seed.borrow().len(), 64);
/// # Ok::<(), secrets_core::Error>(())
/// ```
pub struct SecretVec<T: Bytes, S: Storage = Dedicated> {
    inner: Guarded<S::Unit>,
    len: usize,
    marker: PhantomData<T>,
}

impl<T: Bytes> SecretVec<T> {
    /// Allocates `len` values and lets `init` fill them (they start zeroed) while they are
    /// writable; the vector is sealed when `init` returns. The values are in [`Dedicated`]
    /// storage; [`new_in`](SecretVec::new_in) chooses another.
    ///
    /// # Errors
    /// [`Error::TooLarge`] when `len` values take more bytes than one secret may on this machine
    /// (half its physical memory), checked before anything is mapped; [`Error::Map`],
    /// [`Error::Guard`], [`Error::Lock`] or [`Error::OutOfMemory`] when the guarded pages cannot
    /// be set up; nothing unguarded is ever returned.
    ///
    /// ```
    /// use secrets_core::SecretVec;
    /// let words = SecretVec::<u32>::new(3, |w| w.copy_from_slice(&[1, 2, 3]))?;
    /// assert_eq!(&*words.borrow(), &[1, 2, 3]);
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn new(len: usize, init: impl FnOnce(&mut [T])) -> Result<Self, Error> {
        Self::new_in(Dedicated, len, init)
    }

    /// Like [`new`](Self::new), for an `init` that can fail; on failure the pages are zeroed and
    /// released and `init`'s error returned.
    ///
    /// # Errors
    /// `init`'s error, or an allocation error converted with `E: From<Error>`.
    pub fn try_new<E: From<Error>>(
        len: usize,
        init: impl FnOnce(&mut [T]) -> Result<(), E>,
    ) -> Result<Self, E> {
        Self::try_new_in(Dedicated, len, init)
    }

    /// `len` zeros.
    ///
    /// # Errors
    /// As for [`new`](Self::new).
    pub fn zero(len: usize) -> Result<Self, Error> {
        Self::zero_in(Dedicated, len)
    }

    /// `len` values from libsodium's CSPRNG.
    ///
    /// # Errors
    /// As for [`new`](Self::new).
    ///
    /// # Panics
    /// If libsodium's CSPRNG cannot be initialised.
    pub fn random(len: usize) -> Result<Self, Error> {
        Self::random_in(Dedicated, len)
    }

    /// Moves the values out of `source` into a new vector, zeroing `source` whether or not this
    /// succeeds.
    ///
    /// # Errors
    /// [`Error::LengthNotMultiple`] when `source` is not a whole number of `T`s; otherwise as
    /// for [`new`](Self::new).
    ///
    /// ```
    /// use secrets_core::SecretVec;
    /// let mut password = b"correct horse".to_vec();
    /// let guarded = SecretVec::<u8>::from_bytes(&mut password)?;
    /// assert!(password.iter().all(|&b| b == 0));
    /// assert_eq!(&*guarded.borrow(), b"correct horse");
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn from_bytes(source: &mut [u8]) -> Result<Self, Error> {
        Self::from_bytes_in(Dedicated, source)
    }
}

impl<T: Bytes, S: Storage> SecretVec<T, S> {
    const SUPPORTED: () = assert!(
        size_of::<T>() != 0 && align_of::<T>() <= 4096,
        "SecretVec needs an element type that is not zero-sized and not aligned to more than a page"
    );

    const FITS_ITS_STORAGE: () = assert!(
        align_of::<T>() <= S::MAX_ALIGN,
        "pooled and sealed storage hold values aligned to at most 16: keep this element type in \
         dedicated storage (`SecretVec<T>`, the default)"
    );

    /// Like [`new`](SecretVec::new), in the storage `storage`.
    ///
    /// # Errors
    /// As for [`new`](SecretVec::new).
    pub fn new_in(storage: S, len: usize, init: impl FnOnce(&mut [T])) -> Result<Self, Error> {
        Self::try_new_in(storage, len, |values: &mut [T]| {
            init(values);
            Ok::<(), Error>(())
        })
    }

    /// Like [`try_new`](SecretVec::try_new), in the storage `storage`.
    ///
    /// # Errors
    /// As for [`try_new`](SecretVec::try_new).
    pub fn try_new_in<E: From<Error>>(
        storage: S,
        len: usize,
        init: impl FnOnce(&mut [T]) -> Result<(), E>,
    ) -> Result<Self, E> {
        let _ = storage;
        Self::try_new_in_domain::<T, E>(len, init)
    }

    /// Like [`try_new_in`](Self::try_new_in), placing the values among the secrets of domain
    /// `D` (pooled storage shares a page only within one domain; the other constructors use
    /// `T`).
    #[doc(hidden)]
    pub fn try_new_in_domain<D: ?Sized + 'static, E: From<Error>>(
        len: usize,
        init: impl FnOnce(&mut [T]) -> Result<(), E>,
    ) -> Result<Self, E> {
        let () = Self::SUPPORTED;
        let () = Self::FITS_ITS_STORAGE;
        let () = T::LAYOUT_CHECKED;
        let unit = S::try_init(TypeId::of::<D>(), len, size_of::<T>(), |bytes| {
            bytes.zero();
            match bytes::slice_from_bytes_mut::<T>(bytes) {
                Some(values) => init(values),
                None => bytes::misaligned::<T>(),
            }
        })?;
        Ok(SecretVec {
            inner: Guarded::new(unit),
            len,
            marker: PhantomData,
        })
    }

    /// Like [`zero`](SecretVec::zero), in the storage `storage`.
    ///
    /// # Errors
    /// As for [`new`](SecretVec::new).
    pub fn zero_in(storage: S, len: usize) -> Result<Self, Error> {
        Self::new_in(storage, len, |_| {})
    }

    /// Like [`random`](SecretVec::random), in the storage `storage`.
    ///
    /// # Errors
    /// As for [`new`](SecretVec::new).
    ///
    /// # Panics
    /// If libsodium's CSPRNG cannot be initialised.
    pub fn random_in(storage: S, len: usize) -> Result<Self, Error> {
        Self::new_in(storage, len, |values| values.randomize())
    }

    /// Like [`from_bytes`](SecretVec::from_bytes), in the storage `storage`.
    ///
    /// # Errors
    /// As for [`from_bytes`](SecretVec::from_bytes).
    pub fn from_bytes_in(storage: S, source: &mut [u8]) -> Result<Self, Error> {
        let _ = storage;
        Self::from_bytes_in_domain::<T>(source)
    }

    /// Like [`from_bytes_in`](Self::from_bytes_in), placing the values among the secrets of
    /// domain `D` (see [`try_new_in_domain`](Self::try_new_in_domain)).
    #[doc(hidden)]
    pub fn from_bytes_in_domain<D: ?Sized + 'static>(source: &mut [u8]) -> Result<Self, Error> {
        let size = size_of::<T>();
        let result = if size != 0 && source.len().is_multiple_of(size) {
            Self::try_new_in_domain::<D, Error>(source.len() / size, |values: &mut [T]| {
                bytes::slice_as_bytes_mut(values).copy_from_slice(source);
                Ok::<(), Error>(())
            })
        } else {
            Err(Error::LengthNotMultiple {
                element_size: size,
                found: source.len(),
            })
        };
        source.zero();
        result
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the vector holds no values.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Like [`borrow`](Self::borrow), returning an error instead of panicking when the values
    /// cannot be opened.
    ///
    /// # Errors
    /// [`Error::ScratchExhausted`] when [`Pooled`](crate::Pooled) values have no scratch slot
    /// to be copied into (never with dedicated storage).
    ///
    /// # Panics
    /// As for [`borrow`](Self::borrow), if a page's protection cannot be changed.
    pub fn try_borrow(&self) -> Result<Ref<'_, [T]>, Error> {
        Ok(Ref::map(
            self.inner.try_read()?,
            |bytes| match bytes::slice_from_bytes::<T>(bytes) {
                Some(values) => values,
                None => bytes::misaligned::<T>(),
            },
        ))
    }

    /// Like [`borrow_mut`](Self::borrow_mut), returning an error instead of panicking when the
    /// values cannot be opened.
    ///
    /// # Errors
    /// As for [`try_borrow`](Self::try_borrow).
    ///
    /// # Panics
    /// As for [`borrow`](Self::borrow), if a page's protection cannot be changed.
    pub fn try_borrow_mut(&mut self) -> Result<RefMut<'_, [T]>, Error> {
        Ok(RefMut::map(
            self.inner.try_write()?,
            |bytes| match bytes::slice_from_bytes_mut::<T>(bytes) {
                Some(values) => values,
                None => bytes::misaligned::<T>(),
            },
        ))
    }

    /// Where the values lie at rest, for tests of what surrounds them. Not part of the API.
    #[doc(hidden)]
    pub fn __rest_address(&self) -> usize {
        self.inner.rest_address()
    }

    /// Opens the values read-only until the returned [`Ref`] (and every other `Ref` to this
    /// vector) is dropped.
    ///
    /// # Panics
    /// If the pages' protection cannot be changed (`mprotect` failed).
    pub fn borrow(&self) -> Ref<'_, [T]> {
        Ref::map(self.inner.read(), |bytes| {
            match bytes::slice_from_bytes::<T>(bytes) {
                Some(values) => values,
                None => bytes::misaligned::<T>(),
            }
        })
    }

    /// Opens the values read-write until the returned [`RefMut`] is dropped.
    ///
    /// # Panics
    /// As for [`borrow`](Self::borrow).
    pub fn borrow_mut(&mut self) -> RefMut<'_, [T]> {
        RefMut::map(
            self.inner.write(),
            |bytes| match bytes::slice_from_bytes_mut::<T>(bytes) {
                Some(values) => values,
                None => bytes::misaligned::<T>(),
            },
        )
    }
}

impl<T: Bytes, S: Storage> PartialEq for SecretVec<T, S> {
    /// Compares in constant time for equal lengths; vectors of different lengths are unequal
    /// (lengths are not secret).
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.borrow().constant_eq(&*other.borrow())
    }
}

impl<T: Bytes, S: Storage> Eq for SecretVec<T, S> {}

impl<T: Bytes, S: Storage> fmt::Debug for SecretVec<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if S::NAME == Dedicated::NAME {
            write!(f, "SecretVec<{}>([REDACTED])", type_name::<T>())
        } else {
            write!(
                f,
                "SecretVec<{}, {}>([REDACTED])",
                type_name::<T>(),
                S::NAME
            )
        }
    }
}
