//! Key derivation straight into guarded memory: password to key with Argon2id, master key to
//! subkeys with libsodium's `crypto_kdf` (BLAKE2b).
//!
//! Outputs are made inside guarded memory: the derived bytes never exist anywhere else.
//! libsodium's BLAKE2b leaves its final block, which holds the key, in a dead stack frame, so
//! every derivation zeroes the stack below it afterwards (`sodium_stackzero`, 48 KiB; checked by
//! `tests/stack_residue.rs`). The output type is any [`SecretType`] over a
//! `SecretBox<[u8; N]>`: a `#[derive(Secret)]` type or the `SecretBox` itself.
//!
//! Parameters are checked against libsodium's own limits before it is called, so a refusal is
//! a [`KdfError`] naming the limit and the value given; [`Argon2idParams::to_phc`] and
//! [`Argon2idParams::from_phc`] write and read them as a PHC string beside the salt.
//!
//! ```
//! use secrets_core::kdf::{self, Argon2idParams};
//! use secrets_core::prelude::*;
//!
//! #[derive(Secret)]
//! struct VaultKey(SecretBox<[u8; 32]>);
//! #[derive(Secret)]
//! struct ItemKey(SecretBox<[u8; 32]>);
//!
//! let password = SecretString::from_bytes(&mut *b"correct horse battery staple".to_vec())?;
//! let salt = [7u8; kdf::SALT_LEN]; // random per vault, stored beside it
//! let vault: VaultKey = kdf::argon2id(password.borrow().as_bytes(), &salt, Argon2idParams::OWASP_MINIMUM)?;
//! let item: ItemKey = kdf::derive_subkey(&vault.borrow(), 1, b"items___")?;
//! # let _ = item;
//! # Ok::<(), secrets_core::Error>(())
//! ```
//!
//! # PHC strings
//!
//! The salt must be stored beside what the key protects, and so must the parameters, or a
//! later change of defaults derives a different key. [`Argon2idParams::to_phc`] writes both in
//! the string format of the Password Hashing Competition, as libsodium's `crypto_pwhash_str`
//! and the Argon2 reference implementation write it, and [`Argon2idParams::from_phc`] reads
//! it back:
//!
//! ```text
//!   $argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA
//!    algorithm  |   |       |   |   salt: 16 bytes, standard base64 without padding
//!               |   |       |   lanes: always 1 (libsodium computes one lane)
//!               |   |       passes (ops_limit)
//!               |   memory in KiB (mem_limit / 1024)
//!               version 19 = Argon2 1.3
//! ```
//!
//! A password hash string ends in one more field, `$<hash>`. This form leaves it out on
//! purpose, and `from_phc` refuses a string that has it ([`PhcError::HashPresent`]): the "hash"
//! of a key derivation is the derived key itself (the same password, salt, parameters and
//! length give the same bytes), so writing it beside the vault would store the key in the
//! clear. What is stored is what re-deriving needs and nothing secret.

mod base64;
mod error;
mod phc;

pub use error::{KdfError, PhcError};

use crate::sys::sodium::{self, limits};
use crate::{Error, OwnPages, SecretBox, SecretType, Storage};

/// Bytes of salt Argon2id takes (`crypto_pwhash_argon2id_SALTBYTES`, 16).
pub const SALT_LEN: usize = limits::ARGON2ID_SALT_BYTES;

/// Bytes of context a subkey is derived under (`crypto_kdf_CONTEXTBYTES`, 8): the type of
/// [`derive_subkey`]'s `context` makes any other length a compile error.
pub const CONTEXT_LEN: usize = limits::KDF_CONTEXT_BYTES;

/// Argon2id cost parameters.
///
/// Memory is in bytes here, as libsodium takes it; RFC 9106 and PHC strings count KiB (`m`).
/// [`from_kib`](Self::from_kib) and [`mem_kib`](Self::mem_kib) convert, and
/// [`to_phc`](Self::to_phc)/[`from_phc`](Self::from_phc) store parameters beside the salt.
///
/// ```
/// use secrets_core::kdf::{Argon2idParams, KdfError};
/// use secrets_core::Error;
///
/// // A preset, or your own: 64 MiB and 3 passes, written as RFC 9106 does (KiB) or in bytes.
/// let params = Argon2idParams::from_kib(3, 64 * 1024)?;
/// assert_eq!(params, Argon2idParams { ops_limit: 3, mem_limit: 64 << 20 });
/// assert!(params.mem_limit > Argon2idParams::OWASP_MINIMUM.mem_limit);
///
/// // A mistake in units is refused with the limit and the value given:
/// match Argon2idParams::from_kib(3, 4) {
///     Err(Error::Kdf(KdfError::Argon2idMemory { .. })) => {}
///     other => panic!("4 KiB is below libsodium's minimum: {other:?}"),
/// }
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2idParams {
    /// Passes over memory (`opslimit`, `t`; libsodium takes 1 to 2^32 - 1).
    pub ops_limit: u64,
    /// Memory in bytes (`memlimit`; libsodium takes 8 KiB to 4 TiB less 1 KiB on 64-bit
    /// targets, and uses `mem_limit / 1024` whole KiB).
    pub mem_limit: usize,
}

impl Argon2idParams {
    /// OWASP's minimum recommendation for Argon2id: 19 MiB of memory, 2 passes, 1 lane
    /// (libsodium always uses one lane). Use more where the login latency allows.
    pub const OWASP_MINIMUM: Argon2idParams = Argon2idParams {
        ops_limit: 2,
        mem_limit: 19 * 1024 * 1024,
    };

    /// libsodium's `INTERACTIVE` parameters: 64 MiB, 2 passes.
    pub const INTERACTIVE: Argon2idParams = Argon2idParams {
        ops_limit: 2,
        mem_limit: 64 * 1024 * 1024,
    };

    /// libsodium's `MODERATE` parameters: 256 MiB, 3 passes (about 0.7 s).
    pub const MODERATE: Argon2idParams = Argon2idParams {
        ops_limit: 3,
        mem_limit: 256 * 1024 * 1024,
    };

    /// libsodium's `SENSITIVE` parameters: 1 GiB, 4 passes (several seconds): for keys that
    /// protect everything else, derived rarely.
    pub const SENSITIVE: Argon2idParams = Argon2idParams {
        ops_limit: 4,
        mem_limit: 1024 * 1024 * 1024,
    };

    /// Parameters from RFC 9106's units: `passes` (`t`) and memory in KiB (`m`), checked
    /// against libsodium's limits.
    ///
    /// # Errors
    /// [`KdfError::Argon2idPasses`] or [`KdfError::Argon2idMemory`] (in [`Error::Kdf`]) naming
    /// the limit and the value; the memory is reported in bytes, `kib * 1024` (saturated if
    /// that overflows).
    ///
    /// ```
    /// use secrets_core::kdf::Argon2idParams;
    /// // RFC 9106's second recommended option: t=3, m=64 MiB (p=4 there; libsodium uses 1 lane).
    /// let params = Argon2idParams::from_kib(3, 65536)?;
    /// assert_eq!(params.mem_limit, 64 * 1024 * 1024);
    /// assert_eq!(params.mem_kib(), 65536);
    /// assert!(Argon2idParams::from_kib(3, 4).is_err()); // under libsodium's 8 KiB
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn from_kib(passes: u64, kib: u64) -> Result<Argon2idParams, Error> {
        let bytes = kib.checked_mul(1024);
        let mem_limit = bytes.and_then(|bytes| usize::try_from(bytes).ok());
        match mem_limit {
            Some(mem_limit) => {
                let params = Argon2idParams {
                    ops_limit: passes,
                    mem_limit,
                };
                params.check()?;
                Ok(params)
            }
            None => Err(Error::Kdf(KdfError::Argon2idMemory {
                bytes: bytes.unwrap_or(u64::MAX),
                min: limits::ARGON2ID_MEMLIMIT_MIN,
                max: limits::argon2id_memlimit_max(),
            })),
        }
    }

    /// The memory in whole KiB, as libsodium uses it (`mem_limit / 1024`) and as RFC 9106 and
    /// PHC strings write it (`m`).
    ///
    /// ```
    /// use secrets_core::kdf::Argon2idParams;
    /// assert_eq!(Argon2idParams::OWASP_MINIMUM.mem_kib(), 19 * 1024);
    /// ```
    pub fn mem_kib(&self) -> usize {
        self.mem_limit / 1024
    }

    /// Checks the passes and memory against libsodium's limits.
    fn check(&self) -> Result<(), KdfError> {
        let (min, max) = (limits::ARGON2ID_OPSLIMIT_MIN, limits::ARGON2ID_OPSLIMIT_MAX);
        if !(min..=max).contains(&self.ops_limit) {
            return Err(KdfError::Argon2idPasses {
                passes: self.ops_limit,
                min,
                max,
            });
        }
        let (min, max) = (
            limits::ARGON2ID_MEMLIMIT_MIN,
            limits::argon2id_memlimit_max(),
        );
        let bytes = u64::try_from(self.mem_limit).unwrap_or(u64::MAX);
        if !(min..=max).contains(&bytes) {
            return Err(KdfError::Argon2idMemory { bytes, min, max });
        }
        Ok(())
    }
}

/// Checks everything libsodium's `crypto_pwhash` checks, so that its only remaining failure is
/// the allocation of `mem_limit` bytes.
fn check_argon2id(
    output_len: usize,
    password: &[u8],
    params: &Argon2idParams,
) -> Result<(), KdfError> {
    let (min, max) = (limits::ARGON2ID_BYTES_MIN, limits::argon2id_bytes_max());
    if !(min..=max).contains(&output_len) {
        return Err(KdfError::Argon2idOutputLength {
            length: output_len,
            min,
            max,
        });
    }
    let passwd_max = usize::try_from(limits::ARGON2ID_PASSWD_MAX).unwrap_or(usize::MAX);
    if password.len() > passwd_max {
        return Err(KdfError::Argon2idPasswordLength {
            length: password.len(),
            max: passwd_max,
        });
    }
    params.check()
}

/// Derives a key of `N` bytes from `password` and `salt` with Argon2id
/// (`crypto_pwhash`, `ALG_ARGON2ID13`), in guarded memory.
///
/// A key derived from a password is a root key (everything it protects falls with it), so its
/// type must keep it on pages of its own ([`OwnPages`]): a `#[derive(Secret)]` type over
/// `SecretBox<[u8; N], Pooled>` or `SecretBox<[u8; N], Sealed>` does not compile here, with a
/// message that says to use dedicated storage.
///
/// # Errors
/// Checked before anything is allocated, each in [`Error::Kdf`] with the limit and the value:
/// [`KdfError::Argon2idOutputLength`] (`N` outside
/// `crypto_pwhash_argon2id_BYTES_MIN..=BYTES_MAX`, 16 to 2^32 - 1),
/// [`KdfError::Argon2idPasses`] (`ops_limit` outside 1 to 2^32 - 1),
/// [`KdfError::Argon2idMemory`] (`mem_limit` outside 8 KiB to 4 TiB less 1 KiB),
/// [`KdfError::Argon2idPasswordLength`] (a password over 2^32 - 1 bytes). Then an allocation
/// error for the output, or [`KdfError::Argon2idOutOfMemory`] if Argon2id's own memory could
/// not be had.
///
/// ```
/// use secrets_core::kdf::{self, Argon2idParams};
/// use secrets_core::prelude::*;
/// use secrets_core::Randomizable;
///
/// #[derive(Secret)]
/// #[secret(description = "unlocks the vault; derived from the passphrase")]
/// struct VaultKey(SecretBox<[u8; 32]>);
///
/// // At vault creation: a random salt, stored (with the parameters) beside the vault.
/// let mut salt = [0u8; kdf::SALT_LEN];
/// salt.randomize();
/// let stored = Argon2idParams::OWASP_MINIMUM.to_phc(&salt)?;
///
/// // At every unlock: read them back and derive the same key.
/// let (params, salt) = Argon2idParams::from_phc(&stored)?;
/// let mut typed = String::from("correct horse battery staple");
/// let passphrase = SecretString::from_string(&mut typed)?; // `typed` is zeroed
/// let key: VaultKey = kdf::argon2id(passphrase.borrow().as_bytes(), &salt, params)?;
/// let again: VaultKey = kdf::argon2id(b"correct horse battery staple", &salt, params)?;
/// assert!(key == again);
/// # Ok::<(), secrets_core::Error>(())
/// ```
pub fn argon2id<K, S, const N: usize>(
    password: &[u8],
    salt: &[u8; SALT_LEN],
    params: Argon2idParams,
) -> Result<K, Error>
where
    K: SecretType<Storage = SecretBox<[u8; N], S>>,
    S: OwnPages,
{
    check_argon2id(N, password, &params)?;
    K::__make(|| {
        SecretBox::<[u8; N], S>::try_new_in_domain::<K, Error>(|out: &mut [u8; N]| {
            sodium::argon2id(out, password, salt, params.ops_limit, params.mem_limit).map_err(
                |errno| {
                    Error::Kdf(KdfError::Argon2idOutOfMemory {
                        bytes: params.mem_limit,
                        errno,
                    })
                },
            )
        })
    })
}

/// Derives subkey number `id` of `N` bytes (16 to 64) from a 32-byte master key, under an
/// 8-byte `context` that names its use (`crypto_kdf_derive_from_key`, BLAKE2b). Different ids
/// or contexts give independent keys. The output may be in any storage: a vault's thousands of
/// item keys can be [`Pooled`](crate::Pooled), a service's million session keys
/// [`Sealed`](crate::Sealed).
///
/// # Errors
/// [`KdfError::SubkeyLength`] (in [`Error::Kdf`], with the length and the limits) if `N` is not
/// within `crypto_kdf_BYTES_MIN..=crypto_kdf_BYTES_MAX` (16..=64), checked before anything is
/// allocated; an allocation error for the output.
///
/// ```
/// use secrets_core::kdf;
/// use secrets_core::prelude::*;
/// use secrets_core::{Pooled, SecretBox};
///
/// #[derive(Secret)]
/// struct MasterKey(SecretBox<[u8; 32]>);
/// /// One per vault item: thousands of them, so they share locked pages.
/// #[derive(Secret)]
/// struct ItemKey(SecretBox<[u8; 32], Pooled>);
/// /// A 16-byte subkey for another use, under another context.
/// #[derive(Secret)]
/// struct IndexKey(SecretBox<[u8; 16]>);
///
/// let master = MasterKey::random()?;
/// let item_7: ItemKey = kdf::derive_subkey(&master.borrow(), 7, b"items___")?;
/// let again: ItemKey = kdf::derive_subkey(&master.borrow(), 7, b"items___")?;
/// let item_8: ItemKey = kdf::derive_subkey(&master.borrow(), 8, b"items___")?;
/// assert!(item_7 == again && item_7 != item_8);
/// let index: IndexKey = kdf::derive_subkey(&master.borrow(), 7, b"index___")?;
/// # let _ = index;
/// # Ok::<(), secrets_core::Error>(())
/// ```
pub fn derive_subkey<K, S, const N: usize>(
    master: &[u8; 32],
    id: u64,
    context: &[u8; CONTEXT_LEN],
) -> Result<K, Error>
where
    K: SecretType<Storage = SecretBox<[u8; N], S>>,
    S: Storage,
{
    let (min, max) = (limits::KDF_BYTES_MIN, limits::KDF_BYTES_MAX);
    if !(min..=max).contains(&N) {
        return Err(Error::Kdf(KdfError::SubkeyLength {
            length: N,
            min,
            max,
        }));
    }
    K::__make(|| {
        SecretBox::<[u8; N], S>::try_new_in_domain::<K, Error>(|out: &mut [u8; N]| {
            // The length was checked above, so libsodium cannot refuse it.
            sodium::kdf_derive(out, id, context, master).map_err(|()| {
                Error::Kdf(KdfError::SubkeyLength {
                    length: N,
                    min,
                    max,
                })
            })
        })
    })
}
