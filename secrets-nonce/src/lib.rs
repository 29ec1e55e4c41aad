//! Single-use nonces by ownership, with real AEAD through libsodium.
//!
//! A nonce must never encrypt twice under one key: with ChaCha20-Poly1305 or AES-GCM, two
//! messages sealed with the same key and nonce give away the XOR of their plaintexts and let an
//! attacker forge tags. This crate makes reuse a compile error:
//!
//! * an [`UnusedNonce`] comes only from a random source ([`UnusedNonce::random`], for the
//!   192-bit nonces of XChaCha20-Poly1305 and the 256-bit nonces of AEGIS-256); it cannot be
//!   built from bytes, cloned or copied;
//! * [`seal`] takes the `UnusedNonce` by value, so it can be used once, and returns a
//!   [`UsedNonce`] with the ciphertext;
//! * [`open`] takes only a `UsedNonce`, which can be stored beside the ciphertext, read back,
//!   copied and compared, and never sealed with;
//! * counted nonces (for the 96-bit nonces of ChaCha20-Poly1305-IETF and AES-256-GCM) never
//!   leave the counter that knows every use of its key: a [`SessionKey`] or a
//!   [`CounterFile`], whose `seal` takes the next one itself.
//!
//! # Which nonces for which key
//!
//! One key sealing twice under one nonce breaks it, whichever process, thread or run did the
//! sealing. Within one process, ownership rules that out; across processes, only the kind of
//! nonce can:
//!
//! | the key | nonces | how |
//! |---|---|---|
//! | stored, loaded, derived (`kdf::derive_subkey` is deterministic), shared between processes, or lives for years | **random**: XChaCha20-Poly1305 (192 bits) or AEGIS-256 (256 bits) | `seal(&key, UnusedNonce::random(), ..)`: no state, nothing to keep in step, safe in any number of processes and runs |
//! | made in this process, never stored | counted, from 0 | [`SessionKey::generate`], then [`SessionKey::seal`]: it can never be stored, loaded or derived (compile errors), so its counter is the only one |
//! | stored or derived, with a 96-bit-nonce algorithm that a protocol requires | counted, persisted | [`CounterFile`]: reserves blocks of counts on disk, fsync'd before use, locked against a second process, bound to the key's identity |
//!
//! Prefer random nonces for long-lived keys: a counter is only as good as its memory of every
//! earlier use, and a file restored from a backup, a virtual machine's snapshot, or a key copied
//! to a second machine with its counter file forgets some of them (no file can detect that).
//! With 192 or 256 random bits, the chance that any two of 2^64 messages share a nonce is below
//! 2^-64 (XChaCha20-Poly1305) or 2^-128 (AEGIS-256). 96-bit nonces cannot be random (a repeat
//! after about 2^48 messages is likely), which is why [`RandomNonce`] is not implemented for
//! those algorithms.
//!
//! The algorithm is part of every type: a key, nonce or used nonce of one algorithm cannot be
//! used with another. AEGIS-256's tag is 32 bytes, the others' 16 ([`Algorithm::TAG_LEN`]). Keys are `#[derive(Secret)]` types in guarded memory (their
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
mod counter;
mod error;
mod nonce;
mod session;

pub use aead::{open, open_in, open_into, seal, Sealer};
pub use algorithm::{
    Aegis256, Aegis256Key, Aes256Gcm, Aes256GcmKey, Algorithm, ChaCha20Poly1305Ietf,
    ChaCha20Poly1305IetfKey, Key, RandomNonce, XChaCha20Poly1305, XChaCha20Poly1305Key,
};
pub use counter::{CounterBatch, CounterFile, CounterKey};
pub use error::Error;
#[doc(hidden)]
pub use nonce::{CountersNeedTheirKey, NonceSequence};
pub use nonce::{UnusedNonce, UsedNonce};
pub use session::SessionKey;
#[doc(hidden)]
pub use session::{SessionKeysAreNotCloned, SessionKeysStayInTheProcess};

#[cfg(test)]
mod tests;
