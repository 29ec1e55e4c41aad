//! Nonces as typestate: `UnusedNonce` can only be sealed with, `UsedNonce` only opened with.

use std::fmt;
use std::marker::PhantomData;

use secrets_core::Randomizable;

use crate::algorithm::{Algorithm, CounterNonce, RandomNonce};
use crate::Error;

/// A nonce that has never been used to seal. Consumed by [`seal`](crate::seal), which returns
/// it as a [`UsedNonce`].
///
/// There is no way to make one from bytes, and no `Clone` or `Copy`: each `UnusedNonce` seals
/// at most once. Sealing twice with the same one fails to compile with "use of moved value":
///
/// ```compile_fail,E0382
/// use secrets_core::prelude::*;
/// use secrets_nonce::{seal, UnusedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key};
/// let key = XChaCha20Poly1305Key::random()?;
/// let nonce = UnusedNonce::<XChaCha20Poly1305>::random();
/// let first = seal(&key, nonce, b"", b"one")?;
/// let second = seal(&key, nonce, b"", b"two")?; // error[E0382]: use of moved value: `nonce`
/// # Ok::<(), secrets_nonce::Error>(())
/// ```
///
/// Take a fresh nonce for every message instead: `UnusedNonce::random()` again, or the next
/// one from the [`NonceSequence`].
pub struct UnusedNonce<A: Algorithm> {
    bytes: A::Nonce,
    algorithm: PhantomData<A>,
}

impl<A: Algorithm> UnusedNonce<A> {
    /// A nonce drawn from libsodium's CSPRNG. Only for algorithms with nonces long enough for
    /// random ones never to repeat in practice ([`RandomNonce`]: XChaCha20-Poly1305).
    ///
    /// # Panics
    /// If libsodium's CSPRNG cannot be initialised.
    pub fn random() -> Self
    where
        A: RandomNonce,
    {
        let mut bytes = A::Nonce::default();
        bytes.as_mut().randomize();
        UnusedNonce {
            bytes,
            algorithm: PhantomData,
        }
    }
}

impl<A: Algorithm> UnusedNonce<A> {
    /// Consumed by `seal`: the only way from unused to used.
    pub(crate) fn into_used(self) -> UsedNonce<A> {
        UsedNonce {
            bytes: self.bytes,
            algorithm: PhantomData,
        }
    }

    /// A nonce with chosen bytes, for known-answer tests only.
    #[cfg(test)]
    pub(crate) fn for_known_answer_test(bytes: A::Nonce) -> Self {
        UnusedNonce {
            bytes,
            algorithm: PhantomData,
        }
    }
}

impl<A: Algorithm> fmt::Debug for UnusedNonce<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnusedNonce<{}>({})", A::NAME, hex(self.bytes.as_ref()))
    }
}

mod sealed {
    pub trait Sealed {}
}

/// Never implemented: the bound on `Clone` for single-use values.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "an unused nonce or a nonce sequence cannot be duplicated: each nonce seals once",
    label = "a copy would let the same nonce seal two messages, which breaks the key",
    note = "take a fresh nonce for each message: `UnusedNonce::random()` or `sequence.next()`"
)]
pub trait NoncesAreSingleUse: sealed::Sealed {}

impl<'a, A: Algorithm> Clone for UnusedNonce<A>
where
    &'a UnusedNonce<A>: NoncesAreSingleUse,
{
    fn clone(&self) -> Self {
        unreachable_clone()
    }
}

impl<A: Algorithm> UnusedNonce<A> {
    /// Refused: found before `Clone::clone`, so `nonce.clone()` reports why.
    #[doc(hidden)]
    #[allow(clippy::should_implement_trait)] // it is the refusal of that trait
    pub fn clone<'a>(&'a self) -> Self
    where
        &'a Self: NoncesAreSingleUse,
    {
        unreachable_clone()
    }
}

impl<A: Algorithm> NonceSequence<A> {
    /// Refused: found before `Clone::clone`, so `sequence.clone()` reports why.
    #[doc(hidden)]
    #[allow(clippy::should_implement_trait)] // it is the refusal of that trait
    pub fn clone<'a>(&'a self) -> Self
    where
        &'a Self: NoncesAreSingleUse,
    {
        unreachable_clone()
    }
}

/// The bound above never holds (the trait is sealed and implemented for nothing).
fn unreachable_clone() -> ! {
    panic!("secrets-nonce: single-use values cannot be cloned, and this cannot be reached")
}

/// A nonce that has sealed a message: store it with the ciphertext and give it to
/// [`open`](crate::open). It can be copied, compared and turned to and from bytes, but never
/// sealed with again.
#[derive(PartialEq, Eq, Hash)]
pub struct UsedNonce<A: Algorithm> {
    bytes: A::Nonce,
    algorithm: PhantomData<A>,
}

impl<A: Algorithm> Clone for UsedNonce<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A: Algorithm> Copy for UsedNonce<A> {}

impl<A: Algorithm> UsedNonce<A> {
    /// The nonce's bytes, to store beside the ciphertext.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    /// Reads back a nonce stored with a ciphertext.
    ///
    /// # Errors
    /// [`Error::NonceLength`] when `bytes` is not the algorithm's nonce length.
    ///
    /// ```
    /// use secrets_nonce::{Error, UsedNonce, XChaCha20Poly1305};
    /// let stored = [7u8; 24];
    /// let nonce = UsedNonce::<XChaCha20Poly1305>::from_bytes(&stored)?;
    /// assert_eq!(nonce.as_bytes(), &stored);
    /// assert!(matches!(
    ///     UsedNonce::<XChaCha20Poly1305>::from_bytes(&[0; 12]),
    ///     Err(Error::NonceLength { expected: 24, found: 12 })
    /// ));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut nonce = A::Nonce::default();
        if bytes.len() != nonce.as_ref().len() {
            return Err(Error::NonceLength {
                expected: nonce.as_ref().len(),
                found: bytes.len(),
            });
        }
        nonce.as_mut().copy_from_slice(bytes);
        Ok(UsedNonce {
            bytes: nonce,
            algorithm: PhantomData,
        })
    }
}

impl<A: Algorithm> fmt::Debug for UsedNonce<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UsedNonce<{}>({})", A::NAME, hex(self.bytes.as_ref()))
    }
}

/// Nonces are not secret; they are printed in hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hands out 96-bit nonces that never repeat within the sequence: a 32-bit prefix followed by
/// a 64-bit big-endian counter.
///
/// Use one sequence per key for the key's whole life. Two sequences under one key repeat
/// nonces if their prefixes are equal: [`NonceSequence::new`] draws a random prefix (a clash
/// needs about 2^16 sequences under one key); [`NonceSequence::with_prefix`] takes a prefix
/// that the application keeps unique, e.g. a sender id. A `NonceSequence` cannot be cloned.
///
/// ```
/// use secrets_core::prelude::*;
/// use secrets_nonce::{ChaCha20Poly1305Ietf, ChaCha20Poly1305IetfKey, NonceSequence, open, seal};
///
/// let key = ChaCha20Poly1305IetfKey::random()?;
/// let mut nonces = NonceSequence::<ChaCha20Poly1305Ietf>::new();
/// let (used, ciphertext) = seal(&key, nonces.next()?, b"", b"first")?;
/// let (_, _) = seal(&key, nonces.next()?, b"", b"second")?;
/// assert_eq!(&*open(&key, &used, b"", &ciphertext)?.borrow(), b"first");
/// # Ok::<(), secrets_nonce::Error>(())
/// ```
pub struct NonceSequence<A: Algorithm> {
    prefix: [u8; 4],
    next: u64,
    limit: u64,
    algorithm: PhantomData<A>,
}

impl<A: Algorithm> NonceSequence<A> {
    /// A sequence with a random 32-bit prefix, counting from zero, that can issue 2^64 nonces.
    ///
    /// # Panics
    /// If libsodium's CSPRNG cannot be initialised.
    #[allow(clippy::new_without_default)] // a `Default` that draws randomness would surprise
    pub fn new() -> Self
    where
        A: CounterNonce,
    {
        let mut prefix = [0u8; 4];
        prefix.randomize();
        Self::with_prefix(prefix)
    }

    /// A sequence with a prefix the application keeps unique per key (e.g. a sender id).
    pub fn with_prefix(prefix: [u8; 4]) -> Self
    where
        A: CounterNonce,
    {
        NonceSequence {
            prefix,
            next: 0,
            limit: u64::MAX,
            algorithm: PhantomData,
        }
    }

    /// Caps the number of nonces this sequence issues (for instance to stay within an AEAD's
    /// usage limit per key); [`next`](Self::next) then fails with [`Error::Exhausted`].
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }

    /// How many nonces the sequence can still issue.
    pub fn remaining(&self) -> u64 {
        self.limit.saturating_sub(self.next)
    }

    /// The next nonce.
    ///
    /// # Errors
    /// [`Error::Exhausted`] when the sequence has issued its limit: the key must be replaced.
    #[allow(clippy::should_implement_trait)] // fallible, unlike `Iterator::next`
    pub fn next(&mut self) -> Result<UnusedNonce<A>, Error> {
        if self.next >= self.limit {
            return Err(Error::Exhausted { issued: self.next });
        }
        let mut bytes = A::Nonce::default();
        let out = bytes.as_mut();
        out[..4].copy_from_slice(&self.prefix);
        out[4..].copy_from_slice(&self.next.to_be_bytes());
        self.next += 1;
        Ok(UnusedNonce {
            bytes,
            algorithm: PhantomData,
        })
    }
}

impl<'a, A: Algorithm> Clone for NonceSequence<A>
where
    &'a NonceSequence<A>: NoncesAreSingleUse,
{
    fn clone(&self) -> Self {
        unreachable_clone()
    }
}

impl<A: Algorithm> fmt::Debug for NonceSequence<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonceSequence")
            .field("algorithm", &A::NAME)
            .field("prefix", &hex(&self.prefix))
            .field("next", &self.next)
            .field("limit", &self.limit)
            .finish()
    }
}
