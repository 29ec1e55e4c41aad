//! `SecretVec<T>`: a run of `Bytes` values in guarded memory, its length fixed at run time.

use std::any::type_name;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{align_of, size_of};

use crate::bytes::{self, Bytes, ConstantEq, Randomizable, Zeroable};
use crate::guarded::{Guarded, Ref, RefMut};
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
pub struct SecretVec<T: Bytes> {
    inner: Guarded,
    len: usize,
    marker: PhantomData<T>,
}

impl<T: Bytes> SecretVec<T> {
    const SUPPORTED: () = assert!(
        size_of::<T>() != 0 && align_of::<T>() <= 4096,
        "SecretVec needs an element type that is not zero-sized and not aligned to more than a page"
    );

    /// Allocates `len` values and lets `init` fill them (they start zeroed) while they are
    /// writable; the vector is sealed when `init` returns.
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
        Self::try_new(len, |values: &mut [T]| {
            init(values);
            Ok::<(), Error>(())
        })
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
        let () = Self::SUPPORTED;
        let () = T::LAYOUT_CHECKED;
        let inner = Guarded::try_init(len, size_of::<T>(), |bytes| {
            bytes.zero();
            match bytes::slice_from_bytes_mut::<T>(bytes) {
                Some(values) => init(values),
                None => bytes::misaligned::<T>(),
            }
        })?;
        Ok(SecretVec {
            inner,
            len,
            marker: PhantomData,
        })
    }

    /// `len` zeros.
    ///
    /// # Errors
    /// As for [`new`](Self::new).
    pub fn zero(len: usize) -> Result<Self, Error> {
        Self::new(len, |_| {})
    }

    /// `len` values from libsodium's CSPRNG.
    ///
    /// # Errors
    /// As for [`new`](Self::new).
    ///
    /// # Panics
    /// If libsodium's CSPRNG cannot be initialised.
    pub fn random(len: usize) -> Result<Self, Error> {
        Self::new(len, |values| values.randomize())
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
        let size = size_of::<T>();
        let result = if size != 0 && source.len() % size == 0 {
            Self::try_new(source.len() / size, |values: &mut [T]| {
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

impl<T: Bytes> PartialEq for SecretVec<T> {
    /// Compares in constant time for equal lengths; vectors of different lengths are unequal
    /// (lengths are not secret).
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.borrow().constant_eq(&*other.borrow())
    }
}

impl<T: Bytes> Eq for SecretVec<T> {}

impl<T: Bytes> fmt::Debug for SecretVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretVec<{}>([REDACTED])", type_name::<T>())
    }
}
