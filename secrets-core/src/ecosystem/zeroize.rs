//! `zeroize` (feature `zeroize`): the containers' zeroing on drop, said in `zeroize`'s terms,
//! and conversions from `zeroize::Zeroizing` buffers.
//!
//! Every container zeroes its secret before its memory is released, whatever its storage:
//! a dedicated region is zeroed before it is unmapped or kept for reuse, a pooled slot is
//! zeroed at drop, a sealed secret's ciphertext is zeroed at drop (the table on
//! [`Storage`](crate::Storage)). So each implements the marker [`ZeroizeOnDrop`], as does every
//! `#[derive(Secret)]` type (through its container). They do not implement `Zeroize` itself:
//! a secret zeroed in place would still be a live value of its type, which is what dropping
//! it is for.
//!
//! `TryFrom<Zeroizing<Vec<u8>>>` for [`SecretVec<u8>`] and `TryFrom<Zeroizing<String>>` for
//! [`SecretString`] copy the bytes into guarded memory; the source, taken by value, is zeroed
//! by its own drop (`Vec::zeroize`: every element and the spare capacity) whether or not the
//! copy succeeded. They make [`Dedicated`](crate::Dedicated) containers, so that
//! `SecretVec::<u8>::try_from(..)` needs no annotation; for another storage, copy with
//! `try_new_in` yourself.
//!
//! ```
//! # #[cfg(feature = "zeroize")] {
//! use secrets_core::SecretVec;
//! use zeroize::Zeroizing;
//!
//! let seed = Zeroizing::new(vec![1u8, 2, 3]);
//! let guarded = SecretVec::<u8>::try_from(seed)?;
//! assert_eq!(&*guarded.borrow(), &[1, 2, 3]);
//! # }
//! # Ok::<(), secrets_core::Error>(())
//! ```

use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::secret_type::SecretType;
use crate::storage::Storage;
use crate::{Bytes, Error, SecretBox, SecretString, SecretVec};

/// A `#[derive(Secret)]` type zeroes on drop when its container does (every container does).
/// The derive's `ZeroizeOnDrop` impl has this trait as its bound; the lifetime only makes that
/// bound checked where it is used. Not part of the API.
#[doc(hidden)]
pub trait ZeroizeOnDropSecret<'a>: SecretType {}

impl<X> ZeroizeOnDropSecret<'_> for X
where
    X: SecretType,
    X::Storage: ZeroizeOnDrop,
{
}

impl<T: Bytes, S: Storage> ZeroizeOnDrop for SecretBox<T, S> {}
impl<T: Bytes, S: Storage> ZeroizeOnDrop for SecretVec<T, S> {}
impl<S: Storage> ZeroizeOnDrop for SecretString<S> {}

impl TryFrom<Zeroizing<Vec<u8>>> for SecretVec<u8> {
    type Error = Error;

    /// Copies the bytes into guarded memory; `source` is zeroed as it is dropped here.
    ///
    /// # Errors
    /// As for [`SecretVec::new`]: an allocation error.
    fn try_from(source: Zeroizing<Vec<u8>>) -> Result<Self, Error> {
        SecretVec::try_new(source.len(), |values| {
            values.copy_from_slice(&source);
            Ok(())
        })
    }
}

impl TryFrom<Zeroizing<String>> for SecretString {
    type Error = Error;

    /// Copies the text into guarded memory; `source` is zeroed as it is dropped here.
    ///
    /// # Errors
    /// As for [`SecretString::try_new`]: an allocation error.
    fn try_from(source: Zeroizing<String>) -> Result<Self, Error> {
        SecretString::try_new(source.len(), |text| {
            text.copy_from_slice(source.as_bytes());
            Ok(())
        })
    }
}
