//! `SessionKey`: a key that never leaves this process, so a counter of its own is enough.

use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use secrets_core::prelude::*;
use secrets_core::{Dedicated, Ref, Secret, SecretBox, Storage};

use crate::aead::Sealer;
use crate::algorithm::{sealed, Algorithm, Key};
use crate::nonce::{refused_call_reached, UnusedNonce, UsedNonce};
use crate::Error;

/// The bytes of every session key, whatever its algorithm.
#[derive(Secret)]
#[secret(description = "A session key: made in this process, never stored, loaded or derived.")]
struct SessionKeyBytes<S: Storage>(SecretBox<[u8; 32], S>);

/// A key made at random in this process that can never be stored, loaded, derived or copied
/// out, and so counts its own nonces: nonce `n` is `n` as a big-endian number, from 0.
///
/// A counter repeats a nonce only if two counters count under one key. A `SessionKey` is the
/// only holder of its bytes (no method reads them out; it cannot be cloned, and a child made
/// by `fork` cannot use it: the key's pages are not inherited), so its one counter, shared by
/// every thread that seals with it, is the only one there is. When the process ends, the key
/// is gone with it, and what it sealed can only be opened in this process.
///
/// This is what ChaCha20-Poly1305-IETF and AES-256-GCM, whose 96-bit nonces are too short to
/// draw at random, need for in-memory use: a connection's or a session's key. For a key that
/// outlives the process, count with a [`CounterFile`](crate::CounterFile), or draw random
/// nonces with [`XChaCha20Poly1305`](crate::XChaCha20Poly1305) or
/// [`Aegis256`](crate::Aegis256).
///
/// ```
/// use secrets_nonce::{open, ChaCha20Poly1305Ietf, SessionKey};
///
/// let key = SessionKey::<ChaCha20Poly1305Ietf>::generate()?;
/// let (first, sealed) = key.seal(b"frame 1", b"hello")?;
/// let (second, _) = key.seal(b"frame 2", b"again")?;
/// assert_ne!(first, second);
/// assert_eq!(&*open(&key, &first, b"frame 1", &sealed)?.borrow(), b"hello");
/// # Ok::<(), secrets_nonce::Error>(())
/// ```
///
/// The key rests in the storage `S` (dedicated pages by default): a server holding a session
/// key per connection for many thousands of connections puts them in
/// [`Pooled`](secrets_core::Pooled) storage (about 48 bytes of locked memory each) or
/// [`Sealed`](secrets_core::Sealed) storage (ciphertext at rest, no locked memory each):
///
/// ```
/// use secrets_core::Pooled;
/// use secrets_nonce::{open, ChaCha20Poly1305Ietf, SessionKey};
///
/// let keys = (0..1000)
///     .map(|_| SessionKey::<ChaCha20Poly1305Ietf, Pooled>::generate())
///     .collect::<Result<Vec<_>, _>>()?;
/// let (used, sealed) = keys[7].seal(b"", b"to connection 7")?;
/// assert_eq!(&*open(&keys[7], &used, b"", &sealed)?.borrow(), b"to connection 7");
/// # Ok::<(), secrets_nonce::Error>(())
/// ```
///
/// It cannot be stored, loaded or derived: each is refused at compile time with what to do.
///
/// ```compile_fail
/// use secrets_nonce::{ChaCha20Poly1305Ietf, SessionKey};
/// let key = SessionKey::<ChaCha20Poly1305Ietf>::generate()?;
/// key.store("session.key")?; // error: a session key never leaves the process
/// # Ok::<(), secrets_nonce::Error>(())
/// ```
pub struct SessionKey<A: Algorithm, S: Storage = Dedicated> {
    bytes: SessionKeyBytes<S>,
    /// The number of the next nonce; only ever increased.
    next: AtomicU64,
    limit: u64,
    algorithm: PhantomData<A>,
}

impl<A: Algorithm, S: Storage> SessionKey<A, S> {
    /// A new random key in guarded memory of the storage `S` (by default a locked page of its
    /// own, out of core dumps), which may seal 2^64 messages.
    ///
    /// # Errors
    /// [`Error::Storage`] when guarded memory cannot be set up.
    pub fn generate() -> Result<Self, Error> {
        Ok(SessionKey {
            bytes: SessionKeyBytes::random()?,
            next: AtomicU64::new(0),
            limit: u64::MAX,
            algorithm: PhantomData,
        })
    }

    /// Caps the number of messages this key seals, for instance to stay within an AEAD's
    /// usage limit per key; [`seal`](Self::seal) then fails with [`Error::Exhausted`].
    ///
    /// ```
    /// use secrets_nonce::{Aes256Gcm, Error, SessionKey};
    /// let key = SessionKey::<Aes256Gcm>::generate()?.with_limit(1);
    /// # if !Aes256Gcm::is_available() { return Ok(()); }
    /// key.seal(b"", b"one")?;
    /// assert_eq!(key.seal(b"", b"two").unwrap_err(), Error::Exhausted { issued: 1 });
    /// # Ok::<(), Error>(())
    /// ```
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }

    /// How many more messages the key may seal.
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.next.load(Ordering::Relaxed))
    }

    /// Seals `plaintext` (and authenticates `aad`) under the next nonce of the key's counter.
    /// Returns the nonce, to store beside the ciphertext for [`open`](crate::open), and the
    /// ciphertext with its tag. Safe to call from many threads at once: each call takes a
    /// different nonce. The key's page is opened for this call only; for a batch, open it once
    /// with a [`Sealer`] and call [`Sealer::seal_counted`].
    ///
    /// # Errors
    /// [`Error::Exhausted`] when the key has sealed its limit (replace it); otherwise as for
    /// [`seal`](crate::seal). A nonce taken by a call that then fails is not offered again.
    ///
    /// # Panics
    /// In a child made by `fork`: the key's pages were not inherited (the message says so).
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<(UsedNonce<A>, Vec<u8>), Error> {
        Sealer::new(self).seal_counted(aad, plaintext)
    }

    /// The next nonce of the counter, which no other call gets.
    pub(crate) fn next_nonce(&self) -> Result<UnusedNonce<A>, Error> {
        let limit = self.limit;
        self.next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |next| {
                (next < limit).then_some(next + 1)
            })
            .map(UnusedNonce::counted)
            .map_err(|issued| Error::Exhausted { issued })
    }
}

impl<A: Algorithm, S: Storage> sealed::Sealed for SessionKey<A, S> {}

impl<A: Algorithm, S: Storage> Key for SessionKey<A, S> {
    type Algorithm = A;

    fn key_bytes(&self, _: sealed::Token) -> Ref<'_, [u8; 32]> {
        self.bytes.borrow()
    }
}

impl<A: Algorithm, S: Storage> fmt::Debug for SessionKey<A, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKey")
            .field("algorithm", &A::NAME)
            .field("storage", &S::NAME)
            .field("sealed", &self.next.load(Ordering::Relaxed))
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// Never implemented: the bound on the refused ways in and out of a [`SessionKey`].
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a SessionKey never leaves this process, and no key comes into one",
    label = "its counter starts at 0 in every process: a stored, loaded or copied session key \
             would repeat its nonces",
    note = "for a key that is stored, loaded or derived use a key type such as \
            `ChaCha20Poly1305IetfKey` and count with a `CounterFile`, or use random nonces \
            with `XChaCha20Poly1305Key` or `Aegis256Key`"
)]
pub trait SessionKeysStayInTheProcess: sealed::Sealed {}

/// Never implemented: the bound on `SessionKey::clone`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a SessionKey cannot be cloned",
    label = "a clone would count the same nonces again",
    note = "share the key instead (`&key`, or an `Arc`): `seal` takes `&self` and every call, \
            from any thread, gets a nonce of its own"
)]
pub trait SessionKeysAreNotCloned: sealed::Sealed {}

impl<A: Algorithm, S: Storage> SessionKey<A, S> {
    /// Refused: a session key is never loaded.
    #[doc(hidden)]
    pub fn load<'a>(_path: impl AsRef<Path>) -> Result<Self, Error>
    where
        &'a Self: SessionKeysStayInTheProcess,
    {
        refused_call_reached()
    }

    /// Refused: a session key is never made from given bytes.
    #[doc(hidden)]
    pub fn from_bytes<'a>(_source: &mut [u8]) -> Result<Self, Error>
    where
        &'a Self: SessionKeysStayInTheProcess,
    {
        refused_call_reached()
    }

    /// Refused: a session key is never stored.
    #[doc(hidden)]
    pub fn store<'a>(&'a self, _path: impl AsRef<Path>) -> Result<(), Error>
    where
        &'a Self: SessionKeysStayInTheProcess,
    {
        refused_call_reached()
    }

    /// Refused: a session key is never stored, over another file or not.
    #[doc(hidden)]
    pub fn replace<'a>(&'a self, _path: impl AsRef<Path>) -> Result<(), Error>
    where
        &'a Self: SessionKeysStayInTheProcess,
    {
        refused_call_reached()
    }

    /// Refused: a session key is never cloned.
    #[doc(hidden)]
    #[allow(clippy::should_implement_trait)] // it is the refusal of that trait
    pub fn clone<'a>(&'a self) -> Self
    where
        &'a Self: SessionKeysAreNotCloned,
    {
        refused_call_reached()
    }
}
