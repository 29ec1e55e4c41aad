//! `subtle` (feature `subtle`): [`ConstantTimeEq`] for the containers and every
//! `#[derive(Secret)]` type, for code written against `subtle`'s traits.
//!
//! `ct_eq` is the containers' own `==` turned into a [`Choice`]: the values are compared with
//! libsodium's `sodium_memcmp` (through [`ConstantEq`](crate::ConstantEq)), whose time depends
//! on the length only. Values of different lengths (two `SecretVec`s, two `SecretString`s) are
//! unequal at once: lengths are not secret, as with `subtle`'s own `[T]` impl.
//!
//! ```
//! # #[cfg(feature = "subtle")] {
//! use secrets_core::SecretBox;
//! use subtle::ConstantTimeEq;
//!
//! let a = SecretBox::<[u8; 32]>::new(|k| *k = [7; 32])?;
//! let b = SecretBox::<[u8; 32]>::new(|k| *k = [7; 32])?;
//! assert!(bool::from(a.ct_eq(&b)));
//! # }
//! # Ok::<(), secrets_core::Error>(())
//! ```

use subtle::{Choice, ConstantTimeEq};

use crate::secret_type::SecretType;
use crate::storage::Storage;
use crate::{Bytes, SecretBox, SecretString, SecretVec};

impl<T: Bytes, S: Storage> ConstantTimeEq for SecretBox<T, S> {
    /// The constant-time comparison of `==`, as a [`Choice`].
    fn ct_eq(&self, other: &Self) -> Choice {
        Choice::from(u8::from(self == other))
    }
}

impl<T: Bytes, S: Storage> ConstantTimeEq for SecretVec<T, S> {
    /// The constant-time comparison of `==` (unequal at once for different lengths).
    fn ct_eq(&self, other: &Self) -> Choice {
        Choice::from(u8::from(self == other))
    }
}

impl<S: Storage> ConstantTimeEq for SecretString<S> {
    /// The constant-time comparison of `==` (unequal at once for different lengths).
    fn ct_eq(&self, other: &Self) -> Choice {
        Choice::from(u8::from(self == other))
    }
}

/// `ct_eq` for a `#[derive(Secret)]` type: its container's. The derive's impl has this trait as
/// its bound; the lifetime only makes that bound checked where it is used. Not part of the API.
#[doc(hidden)]
pub trait CtEqSecret<'a>: SecretType {
    /// The container's `ct_eq`.
    fn ct_eq_secret(&self, other: &Self) -> Choice;
}

impl<X> CtEqSecret<'_> for X
where
    X: SecretType,
    X::Storage: ConstantTimeEq,
{
    fn ct_eq_secret(&self, other: &Self) -> Choice {
        self.__storage().ct_eq(other.__storage())
    }
}
