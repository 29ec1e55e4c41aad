//! Single-use nonces by ownership, with real AEAD through libsodium.
//!
//! A nonce must never encrypt twice under one key: with ChaCha20-Poly1305 or AES-GCM, two
//! messages sealed with the same key and nonce give away the XOR of their plaintexts and let an
//! attacker forge tags. This crate makes reuse a compile error:
//!
//! * an [`UnusedNonce`] comes only from a random source ([`UnusedNonce::random`], for the
//!   192-bit nonces of XChaCha20-Poly1305) or from a [`NonceSequence`] (a counter, for 96-bit
//!   nonces); it cannot be built from bytes, cloned or copied;
//! * [`seal`] takes the `UnusedNonce` by value, so it can be used once, and returns a
//!   [`UsedNonce`] with the ciphertext;
//! * [`open`] takes only a `UsedNonce`, which can be stored beside the ciphertext, read back,
//!   copied and compared, and never sealed with.
//!
//! The algorithm is part of every type: a key, nonce or used nonce of one algorithm cannot be
//! used with another. Keys are `#[derive(Secret)]` types in guarded memory (their
//! constructors, such as `random`, come into scope with `use secrets_core::prelude::*;`), and
//! [`open`] decrypts straight into a `SecretVec<u8>`, so the plaintext never lands in ordinary
//! memory.
//!
//! ```
//! use secrets_core::prelude::*; // the keys' constructors and borrows
//! use secrets_nonce::{open, seal, UnusedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key};
//!
//! let key = XChaCha20Poly1305Key::random()?;
//! let nonce = UnusedNonce::<XChaCha20Poly1305>::random();
//! let (used, ciphertext) = seal(&key, nonce, b"vault item 7", b"the launch code")?;
//! // `nonce` has moved: sealing with it again does not compile.
//!
//! let plaintext = open(&key, &used, b"vault item 7", &ciphertext)?;
//! assert_eq!(&*plaintext.borrow(), b"the launch code");
//! # Ok::<(), secrets_nonce::Error>(())
//! ```
//!
//! All cryptography is libsodium's, reached through length-checked safe functions in
//! `secrets-core`; this crate has no `unsafe` code.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod aead;
mod algorithm;
mod error;
mod nonce;

pub use aead::{open, open_in, open_into, seal, Sealer};
pub use algorithm::{
    Aes256Gcm, Aes256GcmKey, Algorithm, ChaCha20Poly1305Ietf, ChaCha20Poly1305IetfKey,
    CounterNonce, Key, RandomNonce, XChaCha20Poly1305, XChaCha20Poly1305Key, TAG_LEN,
};
pub use error::Error;
pub use nonce::{NonceSequence, UnusedNonce, UsedNonce};

#[cfg(test)]
mod tests;
