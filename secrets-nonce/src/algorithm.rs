//! The AEAD algorithms, as types, and their keys.

use std::fmt::Debug;
use std::hash::Hash;

use secrets_core::__private::aead::Algorithm as Raw;
use secrets_core::{Ref, Secret, SecretBox, SecretType};

pub(crate) mod sealed {
    pub trait Sealed {}

    /// Only this crate can name it, so only this crate can call [`Key::key_bytes`](super::Key):
    /// no caller can copy a [`SessionKey`](crate::SessionKey)'s bytes out and store them.
    pub struct Token(pub(crate) ());
}

/// An AEAD algorithm. Sealed: implemented by [`XChaCha20Poly1305`], [`Aegis256`],
/// [`ChaCha20Poly1305Ietf`] and [`Aes256Gcm`] only.
pub trait Algorithm: sealed::Sealed + Sized + Send + Sync + 'static {
    /// The nonce as bytes: `[u8; 12]`, `[u8; 24]` or `[u8; 32]`.
    type Nonce: Copy + Eq + Hash + Debug + Default + AsRef<[u8]> + AsMut<[u8]> + Send + Sync;
    /// The algorithm's name, for messages.
    const NAME: &'static str;
    /// The authentication tag that every ciphertext carries, in bytes: 16, or 32 for AEGIS-256.
    const TAG_LEN: usize;
    #[doc(hidden)]
    const RAW: Raw;
}

/// A key of one algorithm: it names the algorithm, so `seal(&key, nonce, ..)` knows which
/// nonce type it takes. Sealed: implemented by the four key types of this crate and by
/// [`SessionKey`](crate::SessionKey).
pub trait Key: sealed::Sealed {
    /// The algorithm this key is for.
    type Algorithm: Algorithm;
    /// Opens the key's guarded page read-only for as long as the returned `Ref` lives. Only
    /// this crate can call it (the token cannot be made elsewhere).
    #[doc(hidden)]
    fn key_bytes(&self, token: sealed::Token) -> Ref<'_, [u8; 32]>;
}

/// Algorithms whose nonces are long enough to draw at random (192 bits for
/// XChaCha20-Poly1305, 256 for AEGIS-256: the chance of a repeat stays negligible for any
/// realistic number of messages, in any number of processes).
#[diagnostic::on_unimplemented(
    message = "`{Self}` nonces are too short to draw at random",
    label = "96-bit random nonces repeat after about 2^48 messages, and one repeat breaks the key",
    note = "count nonces for `{Self}`: `SessionKey::generate()?.seal(..)` for a key that never \
            leaves this process, a `CounterFile` for a stored or derived one; or use \
            `XChaCha20Poly1305` or `Aegis256`, whose nonces can safely be random"
)]
pub trait RandomNonce: Algorithm {}

macro_rules! algorithm {
    (
        $(#[$doc:meta])* $name:ident, $key:ident, $nonce_len:literal, $raw:ident, $text:literal,
        $key_doc:literal
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {}

        #[doc = $key_doc]
        ///
        /// A `#[derive(Secret)]` type: 32 bytes in guarded memory, compared in constant time,
        /// never printed, never cloned. Its constructors (`random`, `from_bytes`, `load`...)
        /// come from `secrets_core::prelude`.
        ///
        /// ```
        /// use secrets_core::kdf;
        /// use secrets_core::prelude::*;
        #[doc = concat!("use secrets_nonce::", stringify!($key), ";")]
        ///
        /// // A new random key ...
        #[doc = concat!("let key = ", stringify!($key), "::random()?;")]
        #[doc = concat!("assert_eq!(format!(\"{key:?}\"), \"", stringify!($key), "([REDACTED])\");")]
        ///
        /// // ... or one derived from a master key (the same master key, id and context give
        /// // the same key in every run, so it may only draw random nonces or count through a
        /// // CounterFile):
        /// let master = SecretBox::<[u8; 32]>::random()?;
        #[doc = concat!("let derived: ", stringify!($key), " = kdf::derive_subkey(&master.borrow(), 1, b\"messages\")?;")]
        #[doc = concat!("let again: ", stringify!($key), " = kdf::derive_subkey(&master.borrow(), 1, b\"messages\")?;")]
        /// assert!(derived == again && derived != key); // compared in constant time
        /// # Ok::<(), secrets_core::Error>(())
        /// ```
        #[derive(Secret)]
        #[secret(description = $key_doc)]
        pub struct $key(SecretBox<[u8; 32]>);

        impl sealed::Sealed for $name {}
        impl sealed::Sealed for $key {}

        impl Key for $key {
            type Algorithm = $name;

            fn key_bytes(&self, _: sealed::Token) -> Ref<'_, [u8; 32]> {
                self.borrow()
            }
        }

        impl Algorithm for $name {
            type Nonce = [u8; $nonce_len];
            const NAME: &'static str = $text;
            const TAG_LEN: usize = Raw::$raw.tag_len();
            const RAW: Raw = Raw::$raw;
        }
    };
}

algorithm!(
    /// XChaCha20-Poly1305: 256-bit key, 192-bit nonces drawn at random, 128-bit tag.
    /// The default choice: random nonces need no state, so a key may live for years, be stored,
    /// loaded and derived, and seal in any number of processes.
    XChaCha20Poly1305,
    XChaCha20Poly1305Key,
    24,
    XChaCha20Poly1305,
    "XChaCha20-Poly1305",
    "A key for XChaCha20-Poly1305."
);

algorithm!(
    /// AEGIS-256: 256-bit key, 256-bit nonces drawn at random, 256-bit tag. Like
    /// XChaCha20-Poly1305, random nonces make it safe for long-lived keys; it is faster on CPUs
    /// with AES instructions (libsodium falls back to a portable, slower implementation
    /// elsewhere) and its 256-bit tag is committing to the key in practice.
    Aegis256,
    Aegis256Key,
    32,
    Aegis256,
    "AEGIS-256",
    "A key for AEGIS-256."
);

algorithm!(
    /// ChaCha20-Poly1305 as in RFC 8439: 256-bit key, 96-bit nonces from a counter, 128-bit
    /// tag. Counted nonces need a key whose every use is known: a
    /// [`SessionKey`](crate::SessionKey), or a [`CounterFile`](crate::CounterFile) for a key
    /// that is stored or derived.
    ChaCha20Poly1305Ietf,
    ChaCha20Poly1305IetfKey,
    12,
    ChaCha20Poly1305Ietf,
    "ChaCha20-Poly1305-IETF",
    "A key for ChaCha20-Poly1305 (RFC 8439)."
);

algorithm!(
    /// AES-256-GCM: 256-bit key, 96-bit nonces from a counter (as for
    /// [`ChaCha20Poly1305Ietf`]), 128-bit tag. Only on CPUs with AES-NI and
    /// CLMUL: check [`Aes256Gcm::is_available`]; elsewhere `seal` and `open` return
    /// [`Error::Unavailable`](crate::Error::Unavailable).
    Aes256Gcm,
    Aes256GcmKey,
    12,
    Aes256Gcm,
    "AES-256-GCM",
    "A key for AES-256-GCM."
);

impl RandomNonce for XChaCha20Poly1305 {}
impl RandomNonce for Aegis256 {}

impl Aes256Gcm {
    /// Whether this CPU runs AES-256-GCM (libsodium's implementation needs AES-NI and CLMUL).
    pub fn is_available() -> bool {
        Raw::Aes256Gcm.is_available()
    }
}
