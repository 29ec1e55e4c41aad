//! `SecretString`: UTF-8 text in guarded memory.

use std::fmt;

use zeroize::Zeroize;

use crate::bytes::Zeroable;
use crate::guarded::{Ref, RefMut};
use crate::storage::{Dedicated, Storage};
use crate::{Error, SecretVec};

/// UTF-8 text (a password, a passphrase, a token) in guarded memory, with the protections of
/// [`SecretVec`]. The text is checked for UTF-8 where it lies, in guarded memory: no plain copy
/// is made to check it.
///
/// ```
/// use secrets_core::SecretString;
///
/// let mut typed = String::from("hunter2");
/// let password = SecretString::from_string(&mut typed)?;
/// assert!(typed.is_empty());
/// assert_eq!(&*password.borrow(), "hunter2");
/// # Ok::<(), secrets_core::Error>(())
/// ```
pub struct SecretString<S: Storage = Dedicated> {
    bytes: SecretVec<u8, S>,
}

impl SecretString {
    /// Allocates `len` bytes, lets `init` fill them (they start zeroed), then checks that they
    /// are UTF-8. The text is in [`Dedicated`] storage; [`try_new_in`](SecretString::try_new_in)
    /// chooses another.
    ///
    /// # Errors
    /// `init`'s error; [`Error::InvalidUtf8`] (converted with `E: From<Error>`) when the bytes
    /// are not UTF-8, in which case they are zeroed and released; [`Error::TooLarge`] for a
    /// `len` past what one secret may hold on this machine, before anything is mapped; or
    /// another allocation error.
    ///
    /// ```
    /// use secrets_core::{Error, SecretString};
    /// let err = SecretString::try_new(usize::MAX, |_| Ok::<(), Error>(())).unwrap_err();
    /// assert!(matches!(err, Error::TooLarge { requested: usize::MAX, element_size: 1, .. }));
    /// ```
    pub fn try_new<E: From<Error>>(
        len: usize,
        init: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Self, E> {
        Self::try_new_in(Dedicated, len, init)
    }

    /// Moves UTF-8 text out of `source` into guarded memory, zeroing `source` whether or not
    /// this succeeds.
    ///
    /// # Errors
    /// [`Error::InvalidUtf8`] if `source` is not UTF-8 (the guarded copy is zeroed and
    /// released), or an allocation error.
    ///
    /// ```
    /// use secrets_core::{Error, SecretString};
    /// let mut bad = *b"ok\xff";
    /// let err = SecretString::from_bytes(&mut bad).unwrap_err();
    /// assert_eq!(err, Error::InvalidUtf8 { valid_up_to: 2 });
    /// assert_eq!(bad, [0, 0, 0]);
    /// ```
    pub fn from_bytes(source: &mut [u8]) -> Result<Self, Error> {
        Self::from_bytes_in(Dedicated, source)
    }

    /// Moves the text of `source` into guarded memory, then zeroes `source`'s whole buffer
    /// (capacity included) and empties it, whether or not this succeeds.
    ///
    /// Copies the `String` made while it grew (if it was reallocated) are beyond reach: read
    /// secrets straight into guarded memory where you can.
    ///
    /// # Errors
    /// An allocation error.
    pub fn from_string(source: &mut String) -> Result<Self, Error> {
        Self::from_string_in(Dedicated, source)
    }
}

impl<S: Storage> SecretString<S> {
    /// Like [`try_new`](SecretString::try_new), in the storage `storage`.
    ///
    /// # Errors
    /// As for [`try_new`](SecretString::try_new).
    pub fn try_new_in<E: From<Error>>(
        storage: S,
        len: usize,
        init: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Self, E> {
        let _ = storage;
        Self::try_new_in_domain::<str, E>(len, init)
    }

    /// Like [`try_new_in`](Self::try_new_in), placing the text among the secrets of domain `D`
    /// (pooled storage shares a page only within one domain; the other constructors use
    /// `str`).
    #[doc(hidden)]
    pub fn try_new_in_domain<D: ?Sized + 'static, E: From<Error>>(
        len: usize,
        init: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Self, E> {
        let bytes = SecretVec::try_new_in_domain::<D, E>(len, |bytes: &mut [u8]| {
            init(bytes)?;
            match std::str::from_utf8(bytes) {
                Ok(_) => Ok(()),
                Err(err) => Err(E::from(Error::InvalidUtf8 {
                    valid_up_to: err.valid_up_to(),
                })),
            }
        })?;
        Ok(SecretString { bytes })
    }

    /// Like [`from_bytes`](SecretString::from_bytes), in the storage `storage`.
    ///
    /// # Errors
    /// As for [`from_bytes`](SecretString::from_bytes).
    pub fn from_bytes_in(storage: S, source: &mut [u8]) -> Result<Self, Error> {
        let _ = storage;
        Self::from_bytes_in_domain::<str>(source)
    }

    /// Like [`from_bytes_in`](Self::from_bytes_in), placing the text among the secrets of
    /// domain `D` (see [`try_new_in_domain`](Self::try_new_in_domain)).
    #[doc(hidden)]
    pub fn from_bytes_in_domain<D: ?Sized + 'static>(source: &mut [u8]) -> Result<Self, Error> {
        let result = Self::try_new_in_domain::<D, Error>(source.len(), |bytes| {
            bytes.copy_from_slice(source);
            Ok::<(), Error>(())
        });
        source.zero();
        result
    }

    /// Like [`from_string`](SecretString::from_string), in the storage `storage`.
    ///
    /// # Errors
    /// An allocation error.
    pub fn from_string_in(storage: S, source: &mut String) -> Result<Self, Error> {
        let _ = storage;
        Self::from_string_in_domain::<str>(source)
    }

    /// Like [`from_string_in`](Self::from_string_in), placing the text among the secrets of
    /// domain `D` (see [`try_new_in_domain`](Self::try_new_in_domain)).
    #[doc(hidden)]
    pub fn from_string_in_domain<D: ?Sized + 'static>(source: &mut String) -> Result<Self, Error> {
        let result = Self::try_new_in_domain::<D, Error>(source.len(), |bytes| {
            bytes.copy_from_slice(source.as_bytes());
            Ok::<(), Error>(())
        });
        source.zeroize();
        result
    }

    /// The length of the text in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Like [`borrow`](Self::borrow), returning an error instead of panicking when the text
    /// cannot be opened.
    ///
    /// # Errors
    /// [`Error::ScratchExhausted`] when [`Pooled`](crate::Pooled) text has no scratch slot to
    /// be copied into (never with dedicated storage).
    ///
    /// # Panics
    /// As for [`borrow`](Self::borrow).
    pub fn try_borrow(&self) -> Result<Ref<'_, str>, Error> {
        Ok(Ref::map(
            self.bytes.try_borrow()?,
            |bytes| match std::str::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => corrupted(),
            },
        ))
    }

    /// Where the text lies at rest, for tests of what surrounds it. Not part of the API.
    #[doc(hidden)]
    pub fn __rest_address(&self) -> usize {
        self.bytes.__rest_address()
    }

    /// Opens the text read-only until the returned [`Ref`] (and every other `Ref` to it) is
    /// dropped.
    ///
    /// # Panics
    /// If the pages' protection cannot be changed, or if the guarded bytes are no longer UTF-8
    /// (only possible if the memory was corrupted from outside safe Rust).
    pub fn borrow(&self) -> Ref<'_, str> {
        Ref::map(self.bytes.borrow(), |bytes| {
            match std::str::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => corrupted(),
            }
        })
    }

    /// Opens the text read-write until the returned [`RefMut`] is dropped. A `&mut str` only
    /// allows changes that keep it UTF-8.
    ///
    /// # Panics
    /// As for [`borrow`](Self::borrow).
    pub fn borrow_mut(&mut self) -> RefMut<'_, str> {
        RefMut::map(
            self.bytes.borrow_mut(),
            |bytes| match std::str::from_utf8_mut(bytes) {
                Ok(text) => text,
                Err(_) => corrupted(),
            },
        )
    }
}

/// The bytes were checked when the string was made, and `&mut str` cannot break UTF-8.
fn corrupted() -> ! {
    panic!("secrets: a SecretString no longer holds UTF-8; its guarded memory was corrupted")
}

impl<S: Storage> PartialEq for SecretString<S> {
    /// Compares in constant time for equal lengths; strings of different lengths are unequal.
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<S: Storage> Eq for SecretString<S> {}

impl<S: Storage> fmt::Debug for SecretString<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if S::NAME == Dedicated::NAME {
            f.write_str("SecretString([REDACTED])")
        } else {
            write!(f, "SecretString<{}>([REDACTED])", S::NAME)
        }
    }
}
