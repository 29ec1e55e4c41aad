//! Key derivation straight into guarded memory: password to key with Argon2id, master key to
//! subkeys with libsodium's `crypto_kdf` (BLAKE2b).
//!
//! Outputs are made inside guarded memory: the derived bytes never exist anywhere else.
//! libsodium's BLAKE2b leaves its final block, which holds the key, in a dead stack frame, so
//! every derivation zeroes the stack below it afterwards (`sodium_stackzero`, 48 KiB; checked by
//! `tests/stack_residue.rs`). The output type is any [`SecretType`] over a
//! `SecretBox<[u8; N]>`: a `#[derive(Secret)]` type or the `SecretBox` itself.
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

use crate::sys::sodium;
use crate::{Error, OwnPages, SecretBox, SecretType, Storage};

/// Bytes of salt Argon2id takes (`crypto_pwhash_SALTBYTES`).
pub const SALT_LEN: usize = 16;

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2idParams {
    /// Passes over memory (`opslimit`, libsodium's minimum is 1).
    pub ops_limit: u64,
    /// Memory in bytes (`memlimit`, libsodium's minimum is 8 KiB).
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
/// [`Error::KeyDerivation`] if libsodium refuses the parameters (below its minimums, `N` < 16)
/// or cannot get the memory; an allocation error for the output.
pub fn argon2id<K, S, const N: usize>(
    password: &[u8],
    salt: &[u8; SALT_LEN],
    params: Argon2idParams,
) -> Result<K, Error>
where
    K: SecretType<Storage = SecretBox<[u8; N], S>>,
    S: OwnPages,
{
    K::__make(|| {
        SecretBox::<[u8; N], S>::try_new_in_domain::<K, Error>(|out: &mut [u8; N]| {
            sodium::argon2id(out, password, salt, params.ops_limit, params.mem_limit).map_err(
                |()| Error::KeyDerivation {
                    algorithm: "Argon2id",
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
/// [`Error::KeyDerivation`] if `N` is not within 16..=64; an allocation error for the output.
pub fn derive_subkey<K, S, const N: usize>(
    master: &[u8; 32],
    id: u64,
    context: &[u8; 8],
) -> Result<K, Error>
where
    K: SecretType<Storage = SecretBox<[u8; N], S>>,
    S: Storage,
{
    K::__make(|| {
        SecretBox::<[u8; N], S>::try_new_in_domain::<K, Error>(|out: &mut [u8; N]| {
            sodium::kdf_derive(out, id, context, master).map_err(|()| Error::KeyDerivation {
                algorithm: "crypto_kdf",
            })
        })
    })
}
