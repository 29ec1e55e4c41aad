//! `SecretBox<T>`: one `Bytes` value in guarded memory.

use std::any::{type_name, TypeId};
use std::fmt;
use std::marker::PhantomData;
use std::mem::{align_of, size_of};

use crate::bytes::{self, Bytes, ConstantEq, Randomizable, Zeroable};
use crate::guarded::{Guarded, Ref, RefMut};
use crate::storage::{Dedicated, Storage};
use crate::Error;

/// One value of a [`Bytes`] type in guarded memory.
///
/// * The value sits at the end of a locked page (`mlock`, `MADV_DONTDUMP`) between two guard
///   pages, behind libsodium's canary: overflowing it by one byte faults at once, underflowing it
///   is caught when the box is dropped.
/// * At rest the page is `PROT_NONE`. [`borrow`](Self::borrow) opens it read-only until the
///   returned [`Ref`] is dropped, [`borrow_mut`](Self::borrow_mut) read-write until the
///   [`RefMut`] is dropped.
/// * Dropping the box zeroes the page before it is unmapped.
/// * `==` compares in constant time; `Debug` prints `SecretBox<T>([REDACTED])`; there is no
///   `Clone`, `Copy` or `Display`.
///
/// `SecretBox` is `Send` and `Sync`: threads may hold `Ref`s to one box at the same time (the
/// pages stay readable until the last of them is dropped).
///
/// ```
/// use secrets_core::SecretBox;
///
/// let key = SecretBox::<[u8; 32]>::random()?;
/// let first_byte = key.borrow()[0];
/// # let _ = first_byte;
/// # Ok::<(), secrets_core::Error>(())
/// ```
pub struct SecretBox<T: Bytes, S: Storage = Dedicated> {
    inner: Guarded<S::Unit>,
    marker: PhantomData<T>,
}

impl<T: Bytes> SecretBox<T> {
    /// Allocates the box and lets `init` fill the value (which starts zeroed) while it is
    /// writable; the box is sealed when `init` returns. The box is in [`Dedicated`] storage;
    /// [`new_in`](Self::new_in) chooses another.
    ///
    /// # Errors
    /// [`Error::Map`], [`Error::Guard`] or [`Error::Lock`] when the guarded page cannot be set
    /// up (map count or `RLIMIT_MEMLOCK` used up), [`Error::OutOfMemory`] when memory ran out
    /// otherwise, [`Error::TooLarge`] for a type larger than one secret may be on this machine;
    /// nothing unguarded is ever returned.
    ///
    /// ```
    /// use secrets_core::SecretBox;
    /// let pin = SecretBox::<[u8; 4]>::new(|p| p.copy_from_slice(b"1234"))?;
    /// assert_eq!(&*pin.borrow(), b"1234");
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn new(init: impl FnOnce(&mut T)) -> Result<Self, Error> {
        Self::new_in(Dedicated, init)
    }

    /// Like [`new`](Self::new), for an `init` that can fail. The value starts zeroed; if `init`
    /// returns an error, the page is zeroed and released and that error returned.
    ///
    /// # Errors
    /// `init`'s error, or an allocation error converted with `E: From<Error>`.
    ///
    /// ```
    /// use secrets_core::{Error, SecretBox};
    /// let parsed = SecretBox::<u32>::try_new(|v| {
    ///     *v = u32::from_str_radix("ff", 16).map_err(|_| std::io::ErrorKind::InvalidData)?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// assert_eq!(*parsed.borrow(), 255);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_new<E: From<Error>>(init: impl FnOnce(&mut T) -> Result<(), E>) -> Result<Self, E> {
        Self::try_new_in(Dedicated, init)
    }

    /// A box holding zeros.
    ///
    /// # Errors
    /// As for [`new`](Self::new).
    pub fn zero() -> Result<Self, Error> {
        Self::zero_in(Dedicated)
    }

    /// A box filled from libsodium's CSPRNG.
    ///
    /// # Errors
    /// As for [`new`](Self::new).
    ///
    /// # Panics
    /// If libsodium's CSPRNG cannot be initialised.
    pub fn random() -> Result<Self, Error> {
        Self::random_in(Dedicated)
    }

    /// Moves a value out of `source` into a new box, zeroing `source` whether or not this
    /// succeeds (the caller has handed the secret over either way).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `source.len() != size_of::<T>()`; otherwise as for
    /// [`new`](Self::new).
    ///
    /// ```
    /// use secrets_core::SecretBox;
    /// let mut read_from_somewhere = *b"0123456789abcdef";
    /// let key = SecretBox::<[u8; 16]>::from_bytes(&mut read_from_somewhere)?;
    /// assert_eq!(read_from_somewhere, [0; 16]);
    /// assert_eq!(&*key.borrow(), b"0123456789abcdef");
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn from_bytes(source: &mut [u8]) -> Result<Self, Error> {
        Self::from_bytes_in(Dedicated, source)
    }
}

impl<T: Bytes, S: Storage> SecretBox<T, S> {
    const FITS_A_PAGE: () = assert!(
        align_of::<T>() <= 4096,
        "guarded memory is page aligned: a type aligned to more than 4096 bytes cannot be placed in it"
    );

    const FITS_ITS_STORAGE: () = assert!(
        size_of::<T>() <= S::MAX_BOX_SIZE && align_of::<T>() <= S::MAX_ALIGN,
        "pooled and sealed storage hold values of at most 1024 bytes, aligned to at most 16: keep \
         a larger value in dedicated storage (`SecretBox<T>`, the default)"
    );

    /// Like [`new`](SecretBox::new), in the storage `storage`.
    ///
    /// # Errors
    /// As for [`new`](SecretBox::new).
    ///
    /// ```
    /// use secrets_core::{Dedicated, SecretBox};
    /// let pin = SecretBox::<[u8; 4], Dedicated>::new_in(Dedicated, |p| p.copy_from_slice(b"1234"))?;
    /// assert_eq!(&*pin.borrow(), b"1234");
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn new_in(storage: S, init: impl FnOnce(&mut T)) -> Result<Self, Error> {
        Self::try_new_in(storage, |value: &mut T| {
            init(value);
            Ok::<(), Error>(())
        })
    }

    /// Like [`try_new`](SecretBox::try_new), in the storage `storage`.
    ///
    /// # Errors
    /// As for [`try_new`](SecretBox::try_new).
    pub fn try_new_in<E: From<Error>>(
        storage: S,
        init: impl FnOnce(&mut T) -> Result<(), E>,
    ) -> Result<Self, E> {
        let _ = storage;
        Self::try_new_in_domain::<T, E>(init)
    }

    /// Like [`try_new_in`](Self::try_new_in), placing the value among the secrets of domain
    /// `D` (pooled storage shares a page only within one domain; the other constructors use
    /// `T`). `#[derive(Secret)]` types use it: each is a domain of its own.
    #[doc(hidden)]
    pub fn try_new_in_domain<D: ?Sized + 'static, E: From<Error>>(
        init: impl FnOnce(&mut T) -> Result<(), E>,
    ) -> Result<Self, E> {
        let () = Self::FITS_A_PAGE;
        let () = Self::FITS_ITS_STORAGE;
        let () = T::LAYOUT_CHECKED;
        let unit = S::try_init(TypeId::of::<D>(), 1, size_of::<T>(), |bytes| {
            bytes.zero();
            match bytes::from_bytes_mut::<T>(bytes) {
                Some(value) => init(value),
                None => bytes::misaligned::<T>(),
            }
        })?;
        Ok(SecretBox {
            inner: Guarded::new(unit),
            marker: PhantomData,
        })
    }

    /// Like [`zero`](SecretBox::zero), in the storage `storage`.
    ///
    /// # Errors
    /// As for [`new`](SecretBox::new).
    pub fn zero_in(storage: S) -> Result<Self, Error> {
        Self::new_in(storage, |_| {})
    }

    /// Like [`random`](SecretBox::random), in the storage `storage`.
    ///
    /// # Errors
    /// As for [`new`](SecretBox::new).
    ///
    /// # Panics
    /// If libsodium's CSPRNG cannot be initialised.
    ///
    /// ```
    /// use secrets_core::{Dedicated, SecretBox};
    /// let keys = (0..100)
    ///     .map(|_| SecretBox::<[u8; 32], _>::random_in(Dedicated))
    ///     .collect::<Result<Vec<_>, _>>()?;
    /// assert_ne!(keys[0], keys[1]);
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn random_in(storage: S) -> Result<Self, Error> {
        Self::new_in(storage, |value| value.randomize())
    }

    /// Like [`from_bytes`](SecretBox::from_bytes), in the storage `storage`.
    ///
    /// # Errors
    /// As for [`from_bytes`](SecretBox::from_bytes).
    pub fn from_bytes_in(storage: S, source: &mut [u8]) -> Result<Self, Error> {
        let _ = storage;
        Self::from_bytes_in_domain::<T>(source)
    }

    /// Like [`from_bytes_in`](Self::from_bytes_in), placing the value among the secrets of
    /// domain `D` (see [`try_new_in_domain`](Self::try_new_in_domain)).
    #[doc(hidden)]
    pub fn from_bytes_in_domain<D: ?Sized + 'static>(source: &mut [u8]) -> Result<Self, Error> {
        let result = if source.len() == size_of::<T>() {
            Self::try_new_in_domain::<D, Error>(|value: &mut T| {
                bytes::as_bytes_mut(value).copy_from_slice(source);
                Ok::<(), Error>(())
            })
        } else {
            Err(Error::LengthMismatch {
                expected: size_of::<T>(),
                found: source.len(),
            })
        };
        source.zero();
        result
    }

    /// Like [`borrow`](Self::borrow), returning an error instead of panicking when the value
    /// cannot be opened.
    ///
    /// # Errors
    /// [`Error::ScratchExhausted`] when a [`Pooled`](crate::Pooled) value has no scratch slot
    /// to be copied into (never with dedicated storage).
    ///
    /// # Panics
    /// As for [`borrow`](Self::borrow), if a page's protection cannot be changed.
    pub fn try_borrow(&self) -> Result<Ref<'_, T>, Error> {
        Ok(Ref::map(
            self.inner.try_read()?,
            |bytes| match bytes::from_bytes::<T>(bytes) {
                Some(value) => value,
                None => bytes::misaligned::<T>(),
            },
        ))
    }

    /// Like [`borrow_mut`](Self::borrow_mut), returning an error instead of panicking when the
    /// value cannot be opened.
    ///
    /// # Errors
    /// As for [`try_borrow`](Self::try_borrow).
    ///
    /// # Panics
    /// As for [`borrow`](Self::borrow), if a page's protection cannot be changed.
    pub fn try_borrow_mut(&mut self) -> Result<RefMut<'_, T>, Error> {
        Ok(RefMut::map(
            self.inner.try_write()?,
            |bytes| match bytes::from_bytes_mut::<T>(bytes) {
                Some(value) => value,
                None => bytes::misaligned::<T>(),
            },
        ))
    }

    /// Where the value lies at rest, for tests of what surrounds it. Not part of the API.
    #[doc(hidden)]
    pub fn __rest_address(&self) -> usize {
        self.inner.rest_address()
    }

    /// Opens the value read-only until the returned [`Ref`] (and every other `Ref` to this box)
    /// is dropped.
    ///
    /// # Panics
    /// If the page's protection cannot be changed (`mprotect` failed), since the value could then
    /// not be made inaccessible again.
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref::map(self.inner.read(), |bytes| {
            match bytes::from_bytes::<T>(bytes) {
                Some(value) => value,
                None => bytes::misaligned::<T>(),
            }
        })
    }

    /// Opens the value read-write until the returned [`RefMut`] is dropped.
    ///
    /// # Panics
    /// As for [`borrow`](Self::borrow).
    pub fn borrow_mut(&mut self) -> RefMut<'_, T> {
        RefMut::map(self.inner.write(), |bytes| {
            match bytes::from_bytes_mut::<T>(bytes) {
                Some(value) => value,
                None => bytes::misaligned::<T>(),
            }
        })
    }
}

impl<T: Bytes, S: Storage> PartialEq for SecretBox<T, S> {
    /// Compares the two values in constant time.
    fn eq(&self, other: &Self) -> bool {
        self.borrow().constant_eq(&*other.borrow())
    }
}

impl<T: Bytes, S: Storage> Eq for SecretBox<T, S> {}

impl<T: Bytes, S: Storage> fmt::Debug for SecretBox<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if S::NAME == Dedicated::NAME {
            write!(f, "SecretBox<{}>([REDACTED])", type_name::<T>())
        } else {
            write!(
                f,
                "SecretBox<{}, {}>([REDACTED])",
                type_name::<T>(),
                S::NAME
            )
        }
    }
}
