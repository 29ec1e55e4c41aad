//! Nonces as typestate: `UnusedNonce` can only be sealed with, `UsedNonce` only opened with.

use std::fmt;
use std::marker::PhantomData;

use secrets_core::Randomizable;

use crate::algorithm::{Algorithm, RandomNonce};
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
/// Take a fresh nonce for every message instead: `UnusedNonce::random()` again. Counted
/// nonces never leave their counter: [`SessionKey::seal`](crate::SessionKey::seal) and
/// [`CounterFile::seal`](crate::CounterFile::seal) take and use them.
pub struct UnusedNonce<A: Algorithm> {
    bytes: A::Nonce,
    algorithm: PhantomData<A>,
}

impl<A: Algorithm> UnusedNonce<A> {
    /// A nonce drawn from libsodium's CSPRNG. Only for algorithms with nonces long enough for
    /// random ones never to repeat in practice ([`RandomNonce`]: XChaCha20-Poly1305 and
    /// AEGIS-256).
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

    /// The nonce numbered `count` of a counter: zeros, then `count` as 64 big-endian bits.
    /// Only [`SessionKey`](crate::SessionKey) and [`CounterFile`](crate::CounterFile) call it,
    /// each for the one key whose every use it knows.
    pub(crate) fn counted(count: u64) -> Self {
        let mut bytes = A::Nonce::default();
        let out = bytes.as_mut();
        let at = out.len() - 8;
        out[at..].copy_from_slice(&count.to_be_bytes());
        UnusedNonce {
            bytes,
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
    message = "an unused nonce cannot be duplicated: each nonce seals once",
    label = "a copy would let the same nonce seal two messages, which breaks the key",
    note = "take a fresh nonce for each message: `UnusedNonce::random()`"
)]
pub trait NoncesAreSingleUse: sealed::Sealed {}

impl<'a, A: Algorithm> Clone for UnusedNonce<A>
where
    &'a UnusedNonce<A>: NoncesAreSingleUse,
{
    fn clone(&self) -> Self {
        refused_call_reached()
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
        refused_call_reached()
    }
}

/// The body of every refused call of this crate: their bounds never hold (the traits are
/// sealed and implemented for nothing), so no program that compiles reaches it.
pub(crate) fn refused_call_reached() -> ! {
    panic!("secrets-nonce: a refused call was reached, and this cannot be")
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

/// Removed: a counter of its own cannot know whether another process, or an earlier run,
/// counts under the same key. Kept only to say so: every constructor is refused at compile
/// time with what to use instead.
#[doc(hidden)]
pub struct NonceSequence<A: Algorithm> {
    algorithm: PhantomData<A>,
}

/// Never implemented: the bound on the constructors of [`NonceSequence`].
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a NonceSequence of its own cannot know if another process or an earlier run \
               counts under the same key",
    label = "two sequences under one key repeat nonces, and one repeat gives away two plaintexts",
    note = "for a key made in this process and never stored: `SessionKey::<{A}>::generate()?`, \
            then `key.seal(aad, plaintext)` counts for you",
    note = "for a key that is stored, loaded or derived: `CounterFile::open(path, &key)?`, then \
            `counter.seal(aad, plaintext)`; or random nonces with `XChaCha20Poly1305` or \
            `Aegis256`"
)]
pub trait CountersNeedTheirKey<A>: sealed::Sealed {}

impl<A: Algorithm> NonceSequence<A> {
    /// Refused; see [`NonceSequence`].
    #[allow(clippy::new_without_default)] // a refusal
    pub fn new<'a>() -> Self
    where
        &'a Self: CountersNeedTheirKey<A>,
    {
        refused_call_reached()
    }

    /// Refused; see [`NonceSequence`].
    pub fn with_prefix<'a>(_prefix: [u8; 4]) -> Self
    where
        &'a Self: CountersNeedTheirKey<A>,
    {
        refused_call_reached()
    }
}
