//! Guarded storage for cryptographic secrets.
//!
//! A secret gets a type of its own and lives in memory that is locked into RAM, kept out of core
//! dumps, fenced by guard pages and inaccessible except while it is borrowed:
//!
//! | type | where | for |
//! |---|---|---|
//! | [`Secret<T>`](struct@Secret) | the stack, inside a closure | short-lived values: a derived key for one call |
//! | [`SecretBox<T>`] | guarded heap | one fixed-size value: a master key |
//! | [`SecretVec<T>`] | guarded heap | a length chosen at run time: a seed, a key file |
//! | [`SecretString`] | guarded heap | UTF-8 text: a password |
//!
//! Each heap container takes a [`Storage`]: [`Dedicated`] (the default: pages of its own for
//! every secret), [`Pooled`] (small secrets of one type packed into shared locked pages, read
//! through a copy: about 170,000 32-byte secrets under the default 8 MiB lock limit instead of
//! 2,048) or [`Sealed`] (each secret encrypted at rest in ordinary memory, its key in one
//! guarded page, decrypted into a locked scratch slot while borrowed: a million secrets under
//! a 64 KiB lock limit). The choice is in the type, and the table on [`Storage`] says what each
//! keeps.
//!
//! Only [`Bytes`] types (every bit pattern valid, no padding, no pointers) can be stored; each
//! of them is also [`Zeroable`], [`Randomizable`] and [`ConstantEq`].
//!
//! Every container compares in constant time, prints `[REDACTED]` for `Debug`, has no `Clone`,
//! `Copy` or `Display`, and is zeroed before its memory is released. Constructors return
//! [`Error`] when a protection cannot be put in place (lock limit, map count): no secret is
//! ever handed out without its guard pages or its lock.
//!
//! Linux is where all of this is tested; on Android, macOS, FreeBSD and Windows the same API
//! is type-checked, and what an OS cannot do is reported, not skipped (README, "Platforms").
//! One difference is in the memory itself: on Windows a secret at rest stays locked and is
//! read-only rather than inaccessible, since Windows does not keep `PAGE_NOACCESS` pages
//! locked.
//!
//! ```
//! use secrets_core::{SecretBox, SecretString};
//!
//! let mut master = SecretBox::<[u8; 32]>::random()?;
//! {
//!     let key = master.borrow();        // pages readable until `key` is dropped
//!     assert_eq!(key.len(), 32);
//! }                                      // PROT_NONE again
//! master.borrow_mut()[0] ^= 1;           // read-write while the RefMut lives
//! println!("{master:?}");                // SecretBox<[u8; 32]>([REDACTED])
//!
//! let password = SecretString::from_bytes(&mut *b"correct horse".to_vec())?;
//! assert_eq!(password.len(), 13);
//! # Ok::<(), secrets_core::Error>(())
//! ```
//!
//! # A type for each secret
//!
//! `#[derive(Secret)]` makes a newtype over one container a secret type of its own, so that a
//! master key cannot be passed where a session key is wanted. The derive implements one trait,
//! [`SecretType`]; the methods come from this crate through it and its extension traits for
//! each kind of container ([`BoxSecret`], [`VecSecret`], [`StringSecret`]), which
//! [`prelude`] brings into scope:
//!
//! ```
//! use secrets_core::prelude::*;
//!
//! #[derive(Secret)]
//! #[secret(description = "the vault's master key")]
//! struct MasterKey(SecretBox<[u8; 32]>);
//!
//! let key = MasterKey::random()?;
//! assert_eq!(key.borrow().len(), 32);
//! println!("{key:?}");                    // MasterKey([REDACTED])
//! # Ok::<(), secrets_core::Error>(())
//! ```
//!
//! # Where the `unsafe` code is
//!
//! `unsafe` lives in the files marked below and nowhere else (`tests/unsafe_inventory.rs`
//! reads this table and fails if another file holds `unsafe`). Each block does one unsafe
//! operation and carries a `// SAFETY:` comment naming the invariant and who keeps it; the
//! workspace denies `unsafe_op_in_unsafe_fn`, `clippy::undocumented_unsafe_blocks`,
//! `clippy::multiple_unsafe_ops_per_block` and `clippy::missing_safety_doc`.
//!
//! | file | layer | unsafe | why |
//! |---|---|---|---|
//! | `bytes.rs` | traits | yes | the `unsafe trait Bytes` and the casts between a `Bytes` value and its bytes, justified by that trait's contract |
//! | `guarded.rs` | protection | yes | `Ref`/`RefMut` dereference guarded memory, justified by the borrow state that keeps it open |
//! | `sealed.rs` | protection | no | how a sealed secret rests: ciphertext, its key in a guarded dedicated page, decrypted into a scratch slot that hands out its own bytes |
//! | `heap/*.rs` | placement | yes | addresses of regions and slots this layer mapped and owns: canaries written and checked, data copied and zeroed, `mprotect` of its own pages |
//! | `sys/*.rs` | os | yes | system calls and libsodium; no policy, no `Error`. What differs per OS is in `sys/os/` (`linux.rs` for Linux and Android, `macos.rs`, `freebsd.rs`) over the POSIX calls shared in `sys/posix/` and `sys/*.rs`, and Windows has its own files in `sys/windows/`; all chosen in `sys/mod.rs` |
//! | `ecosystem/*.rs` | containers | no | the optional `serde`, `zeroize`, `subtle` and `secrecy` integrations |
//! | every other file | containers | no | safe code over the above |
//!
//! Calls go only downwards: containers (`boxed.rs`, `vec.rs`, `string.rs`, `stack.rs`,
//! `keyfile/`, `password.rs`, `stream.rs`; [`Storage`] is their seam) → protection (`guarded.rs`: the borrow
//! count; `sealed.rs`: secrets that rest encrypted) → placement (`heap/`: dedicated regions from a page source per [`Backend`], pooled
//! slots, the memory kept for reuse, turning OS failures into [`Error`]) → os (`sys/`).

#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

// Lets the code generated by `secrets-derive`, which names `::secrets_core`, work here too.
extern crate self as secrets_core;

pub mod audit;
mod backend;
mod boxed;
mod bytes;
pub mod ecosystem;
mod error;
mod guarded;
mod harden;
mod heap;
pub mod kdf;
mod keyfile;
mod password;
mod refusals;
mod sealed;
mod secret_type;
mod stack;
mod storage;
mod stream;
mod string;
mod sys;
mod usage;
mod vec;

pub use backend::{active_backend, set_backend, set_spare_pages, Backend, DEFAULT_SPARE_PAGES};
pub use boxed::SecretBox;
pub use bytes::{Bytes, ConstantEq, Randomizable, Zeroable};
pub use error::Error;
pub use guarded::{Ref, RefMut};
pub use harden::{harden_process, HardeningReport, Measure};
pub use password::PasswordSource;
pub use secret_type::{BoxSecret, Container, SecretType, StringSecret, VecSecret};
pub use stack::Secret;
pub use storage::{Dedicated, OwnPages, Pooled, Sealed, Storage};
pub use stream::write_secret;
pub use string::SecretString;
pub use usage::{usage, Usage};
pub use vec::SecretVec;

/// ```
/// use secrets_core::prelude::*;
/// use secrets_core::{Bytes, SecretBox};
///
/// /// A record kept in guarded memory as one value: every bit pattern is valid, no padding.
/// #[derive(Bytes, Clone, Copy)]
/// #[repr(C)]
/// struct Credential {
///     user_id: u64,
///     token: [u8; 24],
/// }
///
/// let mut credential = SecretBox::<Credential>::zero()?;
/// {
///     let mut open = credential.borrow_mut();
///     open.user_id = 7;
///     open.token.randomize();
/// }
/// assert_eq!(credential.borrow().user_id, 7);
/// # Ok::<(), secrets_core::Error>(())
/// ```
///
/// A field with padding between its fields, or a type that is not plain bytes, does not
/// compile, and the message says what to use instead:
///
/// ```compile_fail
/// # use secrets_core::Bytes;
/// #[derive(Bytes, Clone, Copy)]
/// #[repr(C)]
/// struct Padded {
///     flag: u8,   // 7 bytes of padding follow: refused
///     value: u64,
/// }
/// ```
#[cfg(feature = "derive")]
pub use secrets_derive::Bytes;
/// ```
/// use secrets_core::prelude::*;
/// use secrets_core::{Pooled, SecretBox, SecretString};
///
/// /// The vault's master key: a page of its own.
/// #[derive(Secret)]
/// #[secret(description = "vault master key")]
/// struct MasterKey(SecretBox<[u8; 32]>);
///
/// /// One key per item: thousands of them, sharing locked pages with each other only.
/// #[derive(Secret)]
/// struct ItemKey(SecretBox<[u8; 32], Pooled>);
///
/// /// A password typed by the user.
/// #[derive(Secret)]
/// struct Password(SecretString);
///
/// let master = MasterKey::random()?;
/// let item = ItemKey::random()?;
/// let mut typed = String::from("correct horse");
/// let password = Password::from_string(&mut typed)?; // `typed` is zeroed and emptied
/// assert_eq!(format!("{master:?}"), "MasterKey([REDACTED])");
/// assert_eq!(password.borrow().len(), 13);
/// assert!(master != MasterKey::random()?); // constant-time comparison
/// # drop(item);
/// # Ok::<(), secrets_core::Error>(())
/// ```
///
/// Secret types cannot be cloned or printed; each refusal says why and what to do instead:
///
/// ```compile_fail
/// # use secrets_core::prelude::*;
/// # use secrets_core::SecretBox;
/// # #[derive(Secret)]
/// # struct MasterKey(SecretBox<[u8; 32]>);
/// let key = MasterKey::random()?;
/// println!("{key}"); // error: secrets cannot be printed
/// # Ok::<(), secrets_core::Error>(())
/// ```
#[cfg(feature = "derive")]
pub use secrets_derive::Secret;

/// What a program that defines or uses secret types needs in scope:
/// `use secrets_core::prelude::*;`.
///
/// The methods of a `#[derive(Secret)]` type (`random`, `new`, `borrow`, `load`, `len`...) come
/// from the traits [`SecretType`], [`BoxSecret`], [`VecSecret`] and [`StringSecret`], which
/// must be in scope to call them; this module also brings the containers, both derives and the
/// byte traits.
///
/// ```
/// use secrets_core::prelude::*;
///
/// #[derive(Secret)]
/// struct MasterKey(SecretBox<[u8; 32]>);
///
/// #[derive(Secret)]
/// struct Seed(SecretVec<u8>);
///
/// let key = MasterKey::random()?;
/// let seed = Seed::random(64)?;
/// assert_eq!(key.borrow().len(), 32);
/// assert_eq!(seed.len(), 64);
/// # Ok::<(), secrets_core::Error>(())
/// ```
pub mod prelude {
    pub use crate::secret_type::{BoxSecret, Container, SecretType, StringSecret, VecSecret};
    pub use crate::{
        Bytes, ConstantEq, Randomizable, Secret, SecretBox, SecretString, SecretVec, Zeroable,
    };
}

/// Items used by the code that `secrets-derive` generates and by `secrets-nonce`. Not part of
/// the API: use `secrets-nonce` for encryption, which makes nonce reuse a compile error.
#[doc(hidden)]
pub mod __private {
    pub use crate::bytes::ImplementedByDeriveBytes;
    pub use crate::heap::pool::pages as pool_pages;
    pub use crate::refusals::{SecretsCannotBeCloned, SecretsCannotBePrinted};
    pub use crate::sealed::key_page as sealed_key_page;
    pub use crate::secret_type::{placement_of, size_of_secret, ImplementedByDeriveSecret};
    /// Files only this process's user may use, in Windows' terms (owner and DACL): created
    /// with a private DACL, checked on open. For `secrets-nonce`'s counter files.
    #[cfg(windows)]
    pub use crate::sys::acl as windows_acl;
    pub use crate::sys::aead;
    #[cfg(unix)]
    pub use crate::sys::process::effective_uid;
    pub use inventory;

    pub use crate::__secrets_ecosystem_impls as ecosystem_impls;
    #[cfg(feature = "serde")]
    pub use crate::ecosystem::serde::{
        serialization_refused, DeserializeContainer, DeserializeSecret, SecretsCannotBeSerialized,
    };
    #[cfg(feature = "subtle")]
    pub use crate::ecosystem::subtle::CtEqSecret;
    #[cfg(feature = "zeroize")]
    pub use crate::ecosystem::zeroize::ZeroizeOnDropSecret;
    #[cfg(feature = "serde")]
    pub use serde;
    #[cfg(feature = "subtle")]
    pub use subtle;
    #[cfg(feature = "zeroize")]
    pub use zeroize;
}
