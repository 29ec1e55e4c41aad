//! The AEAD algorithms, as types, and their keys.

use std::fmt::Debug;
use std::hash::Hash;

use secrets_core::__private::aead::{self, Algorithm as Raw};
use secrets_core::{Ref, Secret, SecretBox, SecretType};

/// The authentication tag that every ciphertext carries, in bytes.
pub const TAG_LEN: usize = aead::TAG_LEN;

mod sealed {
    pub trait Sealed {}
}

/// An AEAD algorithm. Sealed: implemented by [`XChaCha20Poly1305`], [`ChaCha20Poly1305Ietf`]
/// and [`Aes256Gcm`] only.
pub trait Algorithm: sealed::Sealed + Sized + 'static {
    /// The key type: a `#[derive(Secret)]` type in guarded memory.
    type Key;
    /// The nonce as bytes: `[u8; 24]` or `[u8; 12]`.
    type Nonce: Copy + Eq + Hash + Debug + Default + AsRef<[u8]> + AsMut<[u8]> + Send + Sync;
    /// The algorithm's name, for messages.
    const NAME: &'static str;
    #[doc(hidden)]
    const RAW: Raw;
    /// Opens the key's guarded page read-only for as long as the returned `Ref` lives.
    #[doc(hidden)]
    fn key_bytes(key: &Self::Key) -> Ref<'_, [u8; 32]>;
}

/// A key of one algorithm: it names the algorithm, so `seal(&key, nonce, ..)` knows which
/// nonce type it takes. Sealed: implemented by the three key types of this crate.
pub trait Key: sealed::Sealed {
    /// The algorithm this key is for.
    type Algorithm: Algorithm<Key = Self>;
}

/// Algorithms whose nonces are long enough to draw at random (192 bits: the chance of a
/// repeat stays negligible for any realistic number of messages).
#[diagnostic::on_unimplemented(
    message = "`{Self}` nonces are too short to draw at random",
    label = "96-bit random nonces repeat after about 2^48 messages, and one repeat breaks the key",
    note = "take nonces for `{Self}` from a `NonceSequence`, or use `XChaCha20Poly1305`, whose \
            192-bit nonces can safely be random"
)]
pub trait RandomNonce: Algorithm {}

/// Algorithms whose nonces come from a counter ([`NonceSequence`](crate::NonceSequence)).
#[diagnostic::on_unimplemented(
    message = "`{Self}` nonces are drawn at random, not counted",
    label = "a NonceSequence is for 96-bit nonces",
    note = "use `UnusedNonce::<{Self}>::random()`"
)]
pub trait CounterNonce: Algorithm {}

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
        #[derive(Secret)]
        #[secret(description = $key_doc)]
        pub struct $key(SecretBox<[u8; 32]>);

        impl sealed::Sealed for $name {}
        impl sealed::Sealed for $key {}

        impl Key for $key {
            type Algorithm = $name;
        }

        impl Algorithm for $name {
            type Key = $key;
            type Nonce = [u8; $nonce_len];
            const NAME: &'static str = $text;
            const RAW: Raw = Raw::$raw;

            fn key_bytes(key: &$key) -> Ref<'_, [u8; 32]> {
                key.borrow()
            }
        }
    };
}

algorithm!(
    /// XChaCha20-Poly1305: 256-bit key, 192-bit nonces drawn at random, 128-bit tag.
    /// The default choice: random nonces need no state.
    XChaCha20Poly1305,
    XChaCha20Poly1305Key,
    24,
    XChaCha20Poly1305,
    "XChaCha20-Poly1305",
    "A key for XChaCha20-Poly1305."
);

algorithm!(
    /// ChaCha20-Poly1305 as in RFC 8439: 256-bit key, 96-bit nonces from a
    /// [`NonceSequence`](crate::NonceSequence), 128-bit tag.
    ChaCha20Poly1305Ietf,
    ChaCha20Poly1305IetfKey,
    12,
    ChaCha20Poly1305Ietf,
    "ChaCha20-Poly1305-IETF",
    "A key for ChaCha20-Poly1305 (RFC 8439)."
);

algorithm!(
    /// AES-256-GCM: 256-bit key, 96-bit nonces from a
    /// [`NonceSequence`](crate::NonceSequence), 128-bit tag. Only on CPUs with AES-NI and
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
impl CounterNonce for ChaCha20Poly1305Ietf {}
impl CounterNonce for Aes256Gcm {}

impl Aes256Gcm {
    /// Whether this CPU runs AES-256-GCM (libsodium's implementation needs AES-NI and CLMUL).
    pub fn is_available() -> bool {
        Raw::Aes256Gcm.is_available()
    }
}
