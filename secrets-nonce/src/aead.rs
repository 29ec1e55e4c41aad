//! `seal`, `open`, `open_in` and `open_into`, and the [`Sealer`] that keeps a key open across a batch.

use secrets_core::__private::aead::{self, Refused};
use secrets_core::{Ref, SecretVec, Storage};

use crate::algorithm::{sealed::Token, Algorithm, Key};
use crate::nonce::{UnusedNonce, UsedNonce};
use crate::session::SessionKey;
use crate::Error;

/// Encrypts and authenticates `plaintext` (and authenticates `aad`) with `key`, using up
/// `nonce`. Returns the nonce as a [`UsedNonce`] and the ciphertext with its tag
/// ([`Algorithm::TAG_LEN`] bytes) appended.
///
/// `plaintext` is read where it lies, typically through a borrow of a `SecretVec`; the
/// ciphertext is not secret and is returned as a plain `Vec<u8>`. The key's guarded page is
/// opened for this call only (two `mprotect`s); to seal many messages, open it once with a
/// [`Sealer`].
///
/// The nonce is consumed even if sealing fails, so a nonce that might have been used is never
/// offered again.
///
/// ```
/// use secrets_core::prelude::*;
/// use secrets_nonce::{open, seal, Aegis256, Aegis256Key, UnusedNonce, UsedNonce};
///
/// let key = Aegis256Key::random()?;
/// let (nonce, sealed) = seal(&key, UnusedNonce::<Aegis256>::random(), b"item 7", b"pin 4921")?;
///
/// // Store the nonce beside the ciphertext; read both back later.
/// let stored = [nonce.as_bytes(), &sealed[..]].concat();
/// let (nonce_bytes, ciphertext) = stored.split_at(32);
/// let nonce = UsedNonce::<Aegis256>::from_bytes(nonce_bytes)?;
/// assert_eq!(&*open(&key, &nonce, b"item 7", ciphertext)?.borrow(), b"pin 4921");
/// # Ok::<(), secrets_nonce::Error>(())
/// ```
///
/// # Errors
/// [`Error::Unavailable`] for AES-256-GCM on a CPU without AES-NI; [`Error::TooLong`] for a
/// message longer than the algorithm allows (checked before anything is allocated).
pub fn seal<K: Key>(
    key: &K,
    nonce: UnusedNonce<K::Algorithm>,
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(UsedNonce<K::Algorithm>, Vec<u8>), Error> {
    Sealer::new(key).seal(nonce, aad, plaintext)
}

/// Checks and decrypts `ciphertext` (as returned by [`seal`]) straight into a new guarded
/// `SecretVec<u8>`.
///
/// ```
/// use secrets_core::prelude::*;
/// use secrets_nonce::{open, seal, Error, UnusedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key};
///
/// let key = XChaCha20Poly1305Key::random()?;
/// let nonce = UnusedNonce::<XChaCha20Poly1305>::random();
/// let (used, sealed) = seal(&key, nonce, b"header", b"the launch code")?;
///
/// let plaintext = open(&key, &used, b"header", &sealed)?; // a guarded SecretVec<u8>
/// assert_eq!(&*plaintext.borrow(), b"the launch code");
///
/// // Another header, a changed byte, another key: refused, and nothing is decrypted.
/// assert_eq!(open(&key, &used, b"other", &sealed).unwrap_err(), Error::Forged);
/// let mut changed = sealed.clone();
/// changed[0] ^= 1;
/// assert_eq!(open(&key, &used, b"header", &changed).unwrap_err(), Error::Forged);
/// # Ok::<(), Error>(())
/// ```
///
/// # Errors
/// [`Error::Truncated`] when the ciphertext is shorter than the tag; [`Error::TooLong`] when it
/// is longer than any sealed message can be (before the plaintext's memory is allocated);
/// [`Error::Forged`] when it, the nonce, the key or `aad` is not what was sealed (the guarded
/// buffer is zeroed and released); [`Error::Unavailable`]; or [`Error::Storage`] when guarded
/// memory runs out.
pub fn open<K: Key>(
    key: &K,
    nonce: &UsedNonce<K::Algorithm>,
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<SecretVec<u8>, Error> {
    Sealer::new(key).open(nonce, aad, ciphertext)
}

/// Like [`open`], decrypting into a new `SecretVec<u8, S>` in the storage `storage`.
///
/// [`open`] puts every plaintext on dedicated pages of its own: a fresh guarded allocation
/// (guard pages, a locked page, several system calls), which costs far more than decrypting a
/// short message. With [`Pooled`](secrets_core::Pooled) storage a short plaintext (up to 1,024
/// bytes; longer ones still get dedicated pages) takes a slot on a shared page that is locked,
/// out of core dumps and `PROT_NONE` at rest, at the price of two `mprotect`s, and many
/// thousands fit under the lock limit where dedicated storage holds one per page. With
/// [`Sealed`](secrets_core::Sealed) storage the plaintext is decrypted into a scratch slot and
/// sealed again at once under the process's memory key: it then rests as ciphertext, taking
/// no locked memory of its own. The guarantees of each storage, and what a borrow exposes, are
/// in the table of [`secrets_core::Storage`].
///
/// The plaintext is decrypted where `init` of [`SecretVec::try_new_in`] is given it, never in
/// ordinary memory; libsodium's stack is scrubbed after the call as for [`open`].
///
/// # Errors
/// As for [`open`]. On [`Error::Forged`] the plaintext's slot (or pages) is zeroed and released,
/// nothing is left allocated.
///
/// ```
/// use secrets_core::prelude::*;
/// use secrets_core::Pooled;
/// use secrets_nonce::{open_in, seal, UnusedNonce, XChaCha20Poly1305Key};
///
/// let key = XChaCha20Poly1305Key::random()?;
/// let (used, sealed) = seal(&key, UnusedNonce::random(), b"item 7", b"the launch code")?;
/// let plaintext: SecretVec<u8, Pooled> = open_in(Pooled, &key, &used, b"item 7", &sealed)?;
/// assert_eq!(&*plaintext.borrow(), b"the launch code");
/// # Ok::<(), secrets_nonce::Error>(())
/// ```
pub fn open_in<K: Key, S: Storage>(
    storage: S,
    key: &K,
    nonce: &UsedNonce<K::Algorithm>,
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<SecretVec<u8, S>, Error> {
    Sealer::new(key).open_in(storage, nonce, aad, ciphertext)
}

/// Checks and decrypts `ciphertext` into `out`, a buffer the caller provides: typically the
/// `RefMut` of a guarded `SecretVec` reused for many messages, so no allocation is made.
/// `out` must be exactly `ciphertext.len() - TAG_LEN` bytes.
///
/// # Errors
/// As for [`open`], and [`Error::OutputLength`] when `out` has the wrong length. On
/// [`Error::Forged`] `out` is zeroed.
///
/// ```
/// use secrets_core::prelude::*;
/// use secrets_nonce::{open_into, seal, UnusedNonce, XChaCha20Poly1305Key};
///
/// let key = XChaCha20Poly1305Key::random()?;
/// let (used, sealed) = seal(&key, UnusedNonce::random(), b"", b"four")?;
/// let mut plain = SecretVec::<u8>::zero(4)?;
/// open_into(&key, &used, b"", &sealed, &mut plain.borrow_mut())?;
/// assert_eq!(&*plain.borrow(), b"four");
/// # Ok::<(), secrets_nonce::Error>(())
/// ```
pub fn open_into<K: Key>(
    key: &K,
    nonce: &UsedNonce<K::Algorithm>,
    aad: &[u8],
    ciphertext: &[u8],
    out: &mut [u8],
) -> Result<(), Error> {
    Sealer::new(key).open_into(nonce, aad, ciphertext, out)
}

/// A key opened read-only for a batch of messages: [`seal`](Sealer::seal) and
/// [`open`](Sealer::open) through a `Sealer` cost no `mprotect`, where the free functions
/// open and close the key's page on every call.
///
/// While a `Sealer` lives, the key's guarded page is readable (but still locked, out of core
/// dumps, fenced by guard pages, and out of the kernel's direct map with the `MemfdSecret`
/// backend). Keep it for the span of a batch, not for the life of the program.
///
/// ```
/// use secrets_core::prelude::*;
/// use secrets_nonce::{Sealer, UnusedNonce, XChaCha20Poly1305Key};
///
/// let key = XChaCha20Poly1305Key::random()?;
/// let sealer = Sealer::new(&key);
/// let items: Vec<_> = ["a", "b", "c"]
///     .iter()
///     .map(|item| sealer.seal(UnusedNonce::random(), b"", item.as_bytes()))
///     .collect::<Result<_, _>>()?;
/// for (used, sealed) in &items {
///     assert_eq!(sealer.open(used, b"", sealed)?.len(), 1);
/// }
/// # Ok::<(), secrets_nonce::Error>(())
/// ```
pub struct Sealer<'k, K: Key> {
    key: Ref<'k, [u8; 32]>,
    owner: &'k K,
}

type Alg<K> = <K as Key>::Algorithm;

impl<'k, K: Key> Sealer<'k, K> {
    /// Opens `key` read-only until the `Sealer` is dropped.
    ///
    /// # Panics
    /// If the key's page cannot be made readable (`mprotect` failed).
    pub fn new(key: &'k K) -> Self {
        Sealer {
            key: key.key_bytes(Token(())),
            owner: key,
        }
    }

    /// [`seal`](crate::seal) with the open key.
    ///
    /// # Errors
    /// As for [`seal`](crate::seal).
    pub fn seal(
        &self,
        nonce: UnusedNonce<K::Algorithm>,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<(UsedNonce<K::Algorithm>, Vec<u8>), Error> {
        let used = nonce.into_used();
        if !Alg::<K>::RAW.is_available() {
            return Err(Error::Unavailable {
                algorithm: Alg::<K>::NAME,
            });
        }
        let sealed = aead::seal_to_vec(
            Alg::<K>::RAW,
            &self.key[..],
            used.as_bytes(),
            aad,
            plaintext,
        )
        .map_err(refused::<K>)?;
        Ok((used, sealed))
    }

    /// [`open`](crate::open) with the open key.
    ///
    /// # Errors
    /// As for [`open`](crate::open).
    pub fn open(
        &self,
        nonce: &UsedNonce<K::Algorithm>,
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<SecretVec<u8>, Error> {
        let len = self.plaintext_len(ciphertext)?;
        SecretVec::try_new(len, |plaintext: &mut [u8]| {
            self.open_into(nonce, aad, ciphertext, plaintext)
        })
    }

    /// [`open_in`](crate::open_in) with the open key.
    ///
    /// # Errors
    /// As for [`open_in`](crate::open_in).
    pub fn open_in<S: Storage>(
        &self,
        storage: S,
        nonce: &UsedNonce<K::Algorithm>,
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<SecretVec<u8, S>, Error> {
        let len = self.plaintext_len(ciphertext)?;
        SecretVec::<u8, S>::try_new_in(storage, len, |plaintext: &mut [u8]| {
            self.open_into(nonce, aad, ciphertext, plaintext)
        })
    }

    /// [`open_into`](crate::open_into) with the open key.
    ///
    /// # Errors
    /// As for [`open_into`](crate::open_into).
    pub fn open_into(
        &self,
        nonce: &UsedNonce<K::Algorithm>,
        aad: &[u8],
        ciphertext: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        let len = self.plaintext_len(ciphertext)?;
        if out.len() != len {
            return Err(Error::OutputLength {
                expected: len,
                found: out.len(),
            });
        }
        aead::open(
            Alg::<K>::RAW,
            &self.key[..],
            nonce.as_bytes(),
            aad,
            ciphertext,
            out,
        )
        .map_err(refused::<K>)
    }

    fn plaintext_len(&self, ciphertext: &[u8]) -> Result<usize, Error> {
        if !Alg::<K>::RAW.is_available() {
            return Err(Error::Unavailable {
                algorithm: Alg::<K>::NAME,
            });
        }
        let len = ciphertext
            .len()
            .checked_sub(Alg::<K>::TAG_LEN)
            .ok_or(Error::Truncated {
                minimum: Alg::<K>::TAG_LEN,
                found: ciphertext.len(),
            })?;
        // Before `open` allocates `len` bytes of guarded memory for the plaintext.
        Alg::<K>::RAW.sealed_len(len).map_err(refused::<K>)?;
        Ok(len)
    }
}

impl<'k, A: Algorithm, S: Storage> Sealer<'k, SessionKey<A, S>> {
    /// [`SessionKey::seal`] with the open key: the next nonce of the key's counter, without
    /// opening and closing the key's page for each message.
    ///
    /// ```
    /// use secrets_nonce::{ChaCha20Poly1305Ietf, Sealer, SessionKey};
    ///
    /// let key = SessionKey::<ChaCha20Poly1305Ietf>::generate()?;
    /// let sealer = Sealer::new(&key);
    /// for record in [&b"one"[..], b"two", b"three"] {
    ///     let (used, sealed) = sealer.seal_counted(b"record", record)?;
    ///     assert_eq!(&*sealer.open(&used, b"record", &sealed)?.borrow(), record);
    /// }
    /// assert_eq!(key.remaining(), u64::MAX - 3);
    /// # Ok::<(), secrets_nonce::Error>(())
    /// ```
    ///
    /// # Errors
    /// As for [`SessionKey::seal`].
    pub fn seal_counted(
        &self,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<(UsedNonce<A>, Vec<u8>), Error> {
        self.seal(self.owner.next_nonce()?, aad, plaintext)
    }
}

/// The error for a refusal of `secrets-core`'s AEAD layer. `Misuse` means a key or nonce of the
/// wrong length (the types exclude it) or an algorithm the CPU lacks.
fn refused<K: Key>(refused: Refused) -> Error {
    match refused {
        Refused::Forged => Error::Forged,
        Refused::TooLong { found, limit } => Error::TooLong { found, limit },
        Refused::Misuse => Error::Unavailable {
            algorithm: Alg::<K>::NAME,
        },
    }
}
