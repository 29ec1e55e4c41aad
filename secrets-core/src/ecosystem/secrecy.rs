//! `secrecy` (feature `secrecy`): conversions from `secrecy` 0.10's types, for programs moving
//! over.
//!
//! | from (`secrecy`) | into |
//! |---|---|
//! | `SecretString` (`SecretBox<str>`) | [`SecretString`] |
//! | `SecretSlice<u8>` (`SecretBox<[u8]>`) | [`SecretVec<u8>`] |
//! | `SecretBox<[u8; N]>` | [`SecretBox<[u8; N]>`](SecretBox) |
//!
//! Each `TryFrom` takes the source by value, copies what `expose_secret` shows into guarded
//! memory, and drops the source, whether or not the copy succeeded. `secrecy`'s `SecretBox`
//! zeroes on drop what its `Box` points to (its `Drop` calls `Zeroize` on the boxed value:
//! the `len` bytes of a `str` or `[u8]`, the `N` bytes of an array). What it does not reach is
//! outside this conversion too: copies made before the value was boxed (a `String` that grew,
//! the spare capacity dropped by `String::into_boxed_str`). The conversions make
//! [`Dedicated`](crate::Dedicated) containers, so that `SecretString::try_from(old)` needs no
//! annotation; for another storage, copy with `try_new_in` yourself.
//!
//! ```
//! # #[cfg(feature = "secrecy")] {
//! let old = secrecy::SecretString::from("hunter2".to_owned());
//! let new = secrets_core::SecretString::try_from(old)?; // `old` is zeroed and freed here
//! assert_eq!(&*new.borrow(), "hunter2");
//! # }
//! # Ok::<(), secrets_core::Error>(())
//! ```

use secrecy::ExposeSecret;

use crate::{Error, SecretBox, SecretString, SecretVec};

impl TryFrom<secrecy::SecretString> for SecretString {
    type Error = Error;

    /// Copies the text into guarded memory; `source` zeroes its text as it is dropped here.
    ///
    /// # Errors
    /// An allocation error, as for [`SecretString::try_new`].
    fn try_from(source: secrecy::SecretString) -> Result<Self, Error> {
        let text = source.expose_secret();
        SecretString::try_new(text.len(), |guarded| {
            guarded.copy_from_slice(text.as_bytes());
            Ok(())
        })
    }
}

impl TryFrom<secrecy::SecretSlice<u8>> for SecretVec<u8> {
    type Error = Error;

    /// Copies the bytes into guarded memory; `source` zeroes them as it is dropped here.
    ///
    /// # Errors
    /// An allocation error, as for [`SecretVec::new`].
    fn try_from(source: secrecy::SecretSlice<u8>) -> Result<Self, Error> {
        let bytes = source.expose_secret();
        SecretVec::try_new(bytes.len(), |guarded| {
            guarded.copy_from_slice(bytes);
            Ok(())
        })
    }
}

impl<const N: usize> TryFrom<secrecy::SecretBox<[u8; N]>> for SecretBox<[u8; N]> {
    type Error = Error;

    /// Copies the array into guarded memory; `source` zeroes it as it is dropped here.
    ///
    /// # Errors
    /// An allocation error, as for [`SecretBox::new`].
    fn try_from(source: secrecy::SecretBox<[u8; N]>) -> Result<Self, Error> {
        let bytes = source.expose_secret();
        SecretBox::try_new(|guarded: &mut [u8; N]| {
            guarded.copy_from_slice(bytes);
            Ok(())
        })
    }
}
