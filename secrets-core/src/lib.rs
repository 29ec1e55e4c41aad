//! Guarded storage for cryptographic secrets.
//!
//! A secret gets a type of its own and lives in memory that is locked into RAM, kept out of core
//! dumps, fenced by guard pages and inaccessible except while it is borrowed:
//!
//! | type | where | for |
//! |---|---|---|
//! | [`Secret<T>`] | the stack, inside a closure | short-lived values: a derived key for one call |
//! | [`SecretBox<T>`] | guarded heap | one fixed-size value: a master key |
//! | [`SecretVec<T>`] | guarded heap | a length chosen at run time: a seed, a key file |
//! | [`SecretString`] | guarded heap | UTF-8 text: a password |
//!
//! Only [`Bytes`] types (every bit pattern valid, no padding, no pointers) can be stored; each
//! of them is also [`Zeroable`], [`Randomizable`] and [`ConstantEq`].
//!
//! Every container compares in constant time, prints `[REDACTED]` for `Debug`, has no `Clone`,
//! `Copy` or `Display`, and is zeroed before its memory is released. Constructors return
//! [`Error`] when a protection cannot be put in place (lock limit, map count): no secret is
//! ever handed out without its guard pages or its lock.
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
//! The memory layout and every `unsafe` block of the memory handling live in the `sys`
//! module; the rest of the crate is safe code over it.

#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used)]

mod backend;
mod boxed;
mod bytes;
mod error;
mod guarded;
mod harden;
mod stack;
mod string;
mod sys;
mod vec;

pub use backend::{active_backend, set_backend, Backend};
pub use boxed::SecretBox;
pub use bytes::{Bytes, ConstantEq, Randomizable, Zeroable};
pub use error::Error;
pub use guarded::{Ref, RefMut};
pub use harden::{harden_process, HardeningReport, Measure};
pub use stack::Secret;
pub use string::SecretString;
pub use vec::SecretVec;
