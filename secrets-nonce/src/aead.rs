//! `seal` and `open`.

use secrets_core::__private::aead::{self, Refused};
use secrets_core::SecretVec;

use crate::algorithm::{Algorithm, Key, TAG_LEN};
use crate::nonce::{UnusedNonce, UsedNonce};
use crate::Error;

/// Encrypts and authenticates `plaintext` (and authenticates `aad`) with `key`, using up
/// `nonce`. Returns the nonce as a [`UsedNonce`] and the ciphertext with its 16-byte tag
/// appended.
///
/// `plaintext` is read where it lies, typically through a borrow of a `SecretVec`; the
/// ciphertext is not secret and is returned as a plain `Vec<u8>`.
///
/// The nonce is consumed even if sealing fails, so a nonce that might have been used is never
/// offered again.
///
/// # Errors
/// [`Error::Unavailable`] for AES-256-GCM on a CPU without AES-NI; [`Error::TooLong`] for a
/// message longer than the algorithm allows.
pub fn seal<K: Key>(
    key: &K,
    nonce: UnusedNonce<K::Algorithm>,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(UsedNonce<K::Algorithm>, Vec<u8>), Error> {
    type A<K> = <K as Key>::Algorithm;
    let used = nonce.into_used();
    if !A::<K>::RAW.is_available() {
        return Err(Error::Unavailable {
            algorithm: A::<K>::NAME,
        });
    }
    let len = plaintext.len().checked_add(TAG_LEN).ok_or(Error::TooLong {
        found: plaintext.len(),
    })?;
    let mut ciphertext = vec![0u8; len];
    A::<K>::with_key(key, |key| {
        aead::seal(
            A::<K>::RAW,
            key,
            used.as_bytes(),
            aad,
            plaintext,
            &mut ciphertext,
        )
    })
    .map_err(|_| Error::TooLong {
        found: plaintext.len(),
    })?;
    Ok((used, ciphertext))
}

/// Checks and decrypts `ciphertext` (as returned by [`seal`]) straight into guarded memory.
///
/// # Errors
/// [`Error::Truncated`] when the ciphertext is shorter than the tag; [`Error::Forged`] when it,
/// the nonce, the key or `aad` is not what was sealed (the guarded buffer is zeroed and
/// released); [`Error::Unavailable`]; or [`Error::Storage`] when guarded memory runs out.
pub fn open<K: Key>(
    key: &K,
    nonce: &UsedNonce<K::Algorithm>,
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<SecretVec<u8>, Error> {
    type A<K> = <K as Key>::Algorithm;
    if !A::<K>::RAW.is_available() {
        return Err(Error::Unavailable {
            algorithm: A::<K>::NAME,
        });
    }
    let len = ciphertext
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(Error::Truncated {
            minimum: TAG_LEN,
            found: ciphertext.len(),
        })?;
    SecretVec::try_new(len, |plaintext: &mut [u8]| {
        A::<K>::with_key(key, |key| {
            aead::open(
                A::<K>::RAW,
                key,
                nonce.as_bytes(),
                aad,
                ciphertext,
                plaintext,
            )
        })
        .map_err(|refused| match refused {
            Refused::Forged => Error::Forged,
            Refused::Misuse => Error::Unavailable {
                algorithm: A::<K>::NAME,
            },
        })
    })
}
