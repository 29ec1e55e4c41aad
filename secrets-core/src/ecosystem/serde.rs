//! `serde` (feature `serde`): secrets read from configuration straight into guarded memory, and
//! never written out.
//!
//! # Deserializing
//!
//! | type | accepts | refuses (typed serde error, no byte of the input in it) |
//! |---|---|---|
//! | [`SecretString`] | a string | anything else; bytes that are not UTF-8 |
//! | [`SecretVec<u8>`] | bytes, or a sequence of integers in `0..=255` | anything else |
//! | [`SecretBox<[u8; N]>`](SecretBox) | bytes, or a sequence, of exactly `N` | another length (`invalid_length`), anything else |
//! | a `#[derive(Secret)]` type | what its container accepts, placed among that type's secrets | as its container |
//!
//! A human-readable format (JSON, TOML, YAML) is asked for whatever its input holds
//! (`deserialize_any`), so that a value of the wrong kind reaches the visitor and is refused
//! by kind only (`serde_json` would otherwise quote a number given for a string); a JSON string
//! is text, not bytes, for the byte containers. Formats that say they are not human-readable
//! (bincode, postcard) are asked for a string or bytes; one that is not self-describing must
//! say so (`is_human_readable`), or it refuses the `deserialize_any`.
//!
//! Each is a [`Visitor`] that copies what the format hands it into guarded memory at once:
//!
//! ```text
//!   caller's input ──(format parses)──> &str / &[u8] / element by element ──copy──> guarded pages
//!   (the caller's: it wipes it)          borrowed: nothing kept by us            (zeroed on drop)
//!                                       owned String / Vec<u8>: zeroed here after the copy
//! ```
//!
//! * A borrowed `&str`/`&[u8]` (`visit_borrowed_str`, `visit_str`, `visit_bytes`...) is the
//!   format's memory: it is copied and left as it is. For `serde_json::from_str` on a string
//!   with no escapes it is the caller's input itself; for a string with escapes it is the
//!   deserializer's scratch buffer, freed (not zeroed) when the deserializer is dropped.
//! * An owned `String` or `Vec<u8>` handed over (`visit_string`, `visit_byte_buf`) is the
//!   format's copy, given to us: it is zeroed (capacity included) after the copy, whether or not
//!   the copy succeeded.
//! * A sequence (`[1, 2, 3]` in JSON, an array in TOML) is written into guarded memory one
//!   element at a time, never collected into a `Vec`. A [`SecretVec<u8>`], whose length is not
//!   known in advance, fills a guarded buffer and moves to a guarded one twice as large when it
//!   is full (the old one is zeroed on release), then into one of the exact length: for `n`
//!   bytes, about `log2(n / 64) + 2` guarded allocations (a size hint from the format sets the
//!   first buffer, up to 64 KiB), each an `mmap` and `mlock` with dedicated storage.
//!   Each element passes through a register and the format's own parsing of one number.
//!
//! The input buffer the format reads from is the caller's: this crate cannot reach it. Read
//! the configuration into a buffer you zero after parsing (`zeroize::Zeroize` on the
//! `String`), and prefer formats and inputs that hand out borrowed strings. Some formats keep
//! copies of their own: `serde_json` unescapes a string with an escape (`\n`, `\"`) into its
//! scratch buffer, freed unzeroed (`tests/ecosystem.rs` finds it there); `toml` hands a plain
//! string over borrowed from the input, but quotes the offending line of the input in its error
//! messages, so a secret on a line that fails to parse is in that message. A key file
//! ([`SecretBox::load`]) never passes through ordinary memory at all.
//!
//! # Serializing
//!
//! Refused at compile time: `#[derive(Serialize)]` on a struct holding a secret, or
//! `serde_json::to_string(&key)`, fails with the message of [`SecretsCannotBeSerialized`],
//! which says to store a key file or seal the secret instead. There is no opt-in.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, SeqAccess, Unexpected, Visitor};
use serde::{ser, Deserialize, Serialize, Serializer};
use zeroize::Zeroize;

use crate::secret_type::{Container, SecretType};
use crate::storage::Storage;
use crate::{Bytes, Error, SecretBox, SecretString, SecretVec};

mod sealed {
    /// Not nameable outside this module, so [`SecretsCannotBeSerialized`](super::SecretsCannotBeSerialized)
    /// cannot be implemented anywhere.
    pub trait Sealed {}
}

/// Never implemented: the bound on `Serialize` for secret types.
#[diagnostic::on_unimplemented(
    message = "secret types cannot be serialized: they have no `Serialize`",
    label = "serializing a secret copies it into ordinary memory and into wherever the output goes",
    note = "leave the secret out of what is serialized (`#[serde(skip_serializing)]`)",
    note = "to keep a key across runs, write a key file with `store(path)` (read back with \
            `load(path)`), or seal the secret with `secrets-nonce` and serialize the ciphertext"
)]
pub trait SecretsCannotBeSerialized: sealed::Sealed {}

/// The body of the refused `Serialize` impls, which can never be called (their bounds never
/// hold): an error, so that even then nothing secret is produced.
#[doc(hidden)]
pub fn serialization_refused<Z: Serializer>(serializer: Z) -> Result<Z::Ok, Z::Error> {
    let _ = serializer;
    Err(ser::Error::custom(
        "secrets: serialization is refused for secret types",
    ))
}

macro_rules! refuse_serialize {
    ($({$($generics:tt)*} $ty:ty),* $(,)?) => {
        $(
            impl<'a, $($generics)*> Serialize for $ty
            where
                &'a $ty: SecretsCannotBeSerialized,
            {
                fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
                    serialization_refused(serializer)
                }
            }
        )*
    };
}

refuse_serialize! {
    {T: Bytes, S: Storage} SecretBox<T, S>,
    {T: Bytes, S: Storage} SecretVec<T, S>,
    {S: Storage} SecretString<S>,
    {T: Bytes} crate::Secret<T>,
}

/// The containers that can be deserialized, and how: into guarded memory placed among the
/// secrets of domain `X` (a `#[derive(Secret)]` type's own, or the element type's). Not part
/// of the API: use `Deserialize`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be deserialized",
    label = "only `SecretString`, `SecretVec<u8>` and `SecretBox<[u8; N]>` are read by `serde`",
    note = "a secret of another `Bytes` type has no one textual form; deserialize its bytes \
            into a `SecretBox<[u8; N]>`, or load it from a key file with `load(path)`"
)]
pub trait DeserializeContainer<'de>: Container {
    /// Reads the secret from `deserializer` into guarded memory in domain `X`.
    ///
    /// # Errors
    /// The deserializer's error for input of the wrong type or length (without the input's
    /// bytes), or an allocation [`Error`] converted with `de::Error::custom`.
    fn deserialize_in_domain<X: ?Sized + 'static, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error>;
}

/// `Deserialize` for a `#[derive(Secret)]` type: its container, in its own domain. The
/// derive's impl has this trait as its bound. Not part of the API.
#[doc(hidden)]
pub trait DeserializeSecret<'de>: SecretType {
    /// Reads the type's container from `deserializer`, placed among this type's secrets.
    ///
    /// # Errors
    /// As for [`DeserializeContainer::deserialize_in_domain`].
    fn deserialize_secret<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
}

impl<'de, X> DeserializeSecret<'de> for X
where
    X: SecretType,
    X::Storage: DeserializeContainer<'de>,
{
    fn deserialize_secret<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        X::__make(|| X::Storage::deserialize_in_domain::<X, D>(deserializer))
    }
}

impl<'de, const N: usize, S: Storage> Deserialize<'de> for SecretBox<[u8; N], S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::deserialize_in_domain::<[u8; N], D>(deserializer)
    }
}

impl<'de, S: Storage> Deserialize<'de> for SecretVec<u8, S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::deserialize_in_domain::<u8, D>(deserializer)
    }
}

impl<'de, S: Storage> Deserialize<'de> for SecretString<S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::deserialize_in_domain::<str, D>(deserializer)
    }
}

impl<'de, const N: usize, S: Storage> DeserializeContainer<'de> for SecretBox<[u8; N], S> {
    fn deserialize_in_domain<X: ?Sized + 'static, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error> {
        read_bytes(deserializer, BoxVisitor::<N, S, X>(PhantomData))
    }
}

impl<'de, S: Storage> DeserializeContainer<'de> for SecretVec<u8, S> {
    fn deserialize_in_domain<X: ?Sized + 'static, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error> {
        read_bytes(deserializer, VecVisitor::<S, X>(PhantomData))
    }
}

impl<'de, S: Storage> DeserializeContainer<'de> for SecretString<S> {
    fn deserialize_in_domain<X: ?Sized + 'static, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error> {
        read_text(deserializer, StringVisitor::<S, X>(PhantomData))
    }
}

/// Asks a self-describing format for whatever the input holds, so that input of the wrong kind
/// reaches the visitor and is refused without being quoted: `serde_json`'s `deserialize_str`
/// and `deserialize_bytes` refuse a number themselves, quoting it. Formats that are not
/// human-readable (bincode, postcard) need to be told what to read, and are.
fn read_bytes<'de, D: Deserializer<'de>, V: Visitor<'de>>(
    deserializer: D,
    visitor: V,
) -> Result<V::Value, D::Error> {
    if deserializer.is_human_readable() {
        deserializer.deserialize_any(visitor)
    } else {
        deserializer.deserialize_bytes(visitor)
    }
}

/// As [`read_bytes`], for text.
fn read_text<'de, D: Deserializer<'de>, V: Visitor<'de>>(
    deserializer: D,
    visitor: V,
) -> Result<V::Value, D::Error> {
    if deserializer.is_human_readable() {
        deserializer.deserialize_any(visitor)
    } else {
        deserializer.deserialize_str(visitor)
    }
}

/// An error inside a container's `init` closure: the container's own, or the format's.
enum Fill<E> {
    Secrets(Error),
    Format(E),
}

impl<E> From<Error> for Fill<E> {
    fn from(err: Error) -> Self {
        Fill::Secrets(err)
    }
}

impl<E: de::Error> Fill<E> {
    fn into_format(self) -> E {
        match self {
            Fill::Secrets(err) => allocation(err),
            Fill::Format(err) => err,
        }
    }
}

/// The container's error as the format's: it names sizes and limits, never a secret's bytes.
fn allocation<E: de::Error>(err: Error) -> E {
    E::custom(err)
}

/// Refusals of every kind of input a visitor does not take, naming the kind only: serde's
/// default messages quote the value (`invalid type: string "hunter2"`), which may be the
/// secret. Owned strings and byte buffers handed over are zeroed first.
macro_rules! refuse_without_echo {
    ($($skip:ident),*) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(E::invalid_type(Unexpected::Other("a boolean"), &self))
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(E::invalid_type(Unexpected::Other("an integer"), &self))
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(E::invalid_type(Unexpected::Other("an integer"), &self))
        }

        fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
            Err(E::invalid_type(Unexpected::Other("an integer"), &self))
        }

        fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
            Err(E::invalid_type(Unexpected::Other("an integer"), &self))
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(E::invalid_type(Unexpected::Other("a floating-point number"), &self))
        }

        fn visit_char<E: de::Error>(self, _: char) -> Result<Self::Value, E> {
            Err(E::invalid_type(Unexpected::Other("a character"), &self))
        }

        refuse_without_echo!(@text $($skip),*);
    };
    (@text) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(E::invalid_type(Unexpected::Other("a string"), &self))
        }

        fn visit_string<E: de::Error>(self, mut text: String) -> Result<Self::Value, E> {
            text.zeroize();
            Err(E::invalid_type(Unexpected::Other("a string"), &self))
        }
    };
    (@text text) => {};
}

/// Reads one element of a sequence as a byte, refusing anything else without quoting it.
struct ByteSeed;

impl<'de> DeserializeSeed<'de> for ByteSeed {
    type Value = u8;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u8, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(ByteVisitor)
        } else {
            deserializer.deserialize_u8(ByteVisitor)
        }
    }
}

struct ByteVisitor;

impl<'de> Visitor<'de> for ByteVisitor {
    type Value = u8;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer in 0..=255 (one byte of a secret)")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<u8, E> {
        u8::try_from(value)
            .map_err(|_| E::invalid_value(Unexpected::Other("an integer out of range"), &self))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<u8, E> {
        u8::try_from(value)
            .map_err(|_| E::invalid_value(Unexpected::Other("an integer out of range"), &self))
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<u8, E> {
        u8::try_from(value)
            .map_err(|_| E::invalid_value(Unexpected::Other("an integer out of range"), &self))
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<u8, E> {
        u8::try_from(value)
            .map_err(|_| E::invalid_value(Unexpected::Other("an integer out of range"), &self))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<u8, E> {
        Err(E::invalid_type(Unexpected::Other("a boolean"), &self))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<u8, E> {
        Err(E::invalid_type(
            Unexpected::Other("a floating-point number"),
            &self,
        ))
    }

    fn visit_char<E: de::Error>(self, _: char) -> Result<u8, E> {
        Err(E::invalid_type(Unexpected::Other("a character"), &self))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<u8, E> {
        Err(E::invalid_type(Unexpected::Other("a string"), &self))
    }

    fn visit_string<E: de::Error>(self, mut text: String) -> Result<u8, E> {
        text.zeroize();
        Err(E::invalid_type(Unexpected::Other("a string"), &self))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<u8, E> {
        Err(E::invalid_type(Unexpected::Other("bytes"), &self))
    }

    fn visit_byte_buf<E: de::Error>(self, mut bytes: Vec<u8>) -> Result<u8, E> {
        bytes.zeroize();
        Err(E::invalid_type(Unexpected::Other("bytes"), &self))
    }
}

/// The next element of `seq` as a byte, the format's error wrapped for a container's `init`.
fn next_byte<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<Option<u8>, Fill<A::Error>> {
    seq.next_element_seed(ByteSeed).map_err(Fill::Format)
}

/// How many elements are left in `seq`, counted without keeping them, for the error of a
/// sequence that is too long.
fn count_rest<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<usize, A::Error> {
    let mut rest = 0usize;
    while seq.next_element::<IgnoredAny>()?.is_some() {
        rest = rest.saturating_add(1);
    }
    Ok(rest)
}

struct BoxVisitor<const N: usize, S, X: ?Sized>(PhantomData<fn(&X) -> S>);

impl<'de, const N: usize, S: Storage, X: ?Sized + 'static> Visitor<'de> for BoxVisitor<N, S, X> {
    type Value = SecretBox<[u8; N], S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{N} bytes of a secret (bytes or a sequence of integers in 0..=255)"
        )
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Self::Value, E> {
        if bytes.len() != N {
            return Err(E::invalid_length(bytes.len(), &self));
        }
        SecretBox::<[u8; N], S>::try_new_in_domain::<X, Error>(|value| {
            value.copy_from_slice(bytes);
            Ok(())
        })
        .map_err(allocation)
    }

    fn visit_byte_buf<E: de::Error>(self, mut bytes: Vec<u8>) -> Result<Self::Value, E> {
        let result = self.visit_bytes(&bytes);
        bytes.zeroize();
        result
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let filled = SecretBox::<[u8; N], S>::try_new_in_domain::<X, Fill<A::Error>>(|value| {
            for (at, slot) in value.iter_mut().enumerate() {
                match next_byte(&mut seq)? {
                    Some(byte) => *slot = byte,
                    None => return Err(Fill::Format(de::Error::invalid_length(at, &self))),
                }
            }
            Ok(())
        })
        .map_err(Fill::into_format)?;
        match count_rest(&mut seq)? {
            0 => Ok(filled),
            rest => Err(de::Error::invalid_length(N.saturating_add(rest), &self)),
        }
    }

    refuse_without_echo!();
}

/// The first guarded buffer a sequence of unknown length is read into, in bytes, and the
/// most a format's size hint may make it (a hint is not checked against the input).
const FIRST_BUFFER: usize = 64;
const MAX_HINTED_BUFFER: usize = 64 * 1024;

struct VecVisitor<S, X: ?Sized>(PhantomData<fn(&X) -> S>);

impl<'de, S: Storage, X: ?Sized + 'static> Visitor<'de> for VecVisitor<S, X> {
    type Value = SecretVec<u8, S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the bytes of a secret (bytes or a sequence of integers in 0..=255)")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Self::Value, E> {
        SecretVec::<u8, S>::try_new_in_domain::<X, Error>(bytes.len(), |values| {
            values.copy_from_slice(bytes);
            Ok(())
        })
        .map_err(allocation)
    }

    fn visit_byte_buf<E: de::Error>(self, mut bytes: Vec<u8>) -> Result<Self::Value, E> {
        let result = self.visit_bytes(&bytes);
        bytes.zeroize();
        result
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq
            .size_hint()
            .unwrap_or(FIRST_BUFFER)
            .clamp(FIRST_BUFFER, MAX_HINTED_BUFFER);
        let mut buffer = SecretVec::<u8, S>::try_new_in_domain::<X, Error>(first, |_| Ok(()))
            .map_err(allocation)?;
        let mut filled = 0usize;
        loop {
            // Fill the buffer in place; `None` ends the sequence.
            let ended = {
                let mut open = buffer.borrow_mut();
                let mut ended = false;
                while let Some(slot) = open.get_mut(filled) {
                    match next_byte(&mut seq).map_err(Fill::into_format)? {
                        Some(byte) => {
                            *slot = byte;
                            filled += 1;
                        }
                        None => {
                            ended = true;
                            break;
                        }
                    }
                }
                ended
            };
            if ended {
                break;
            }
            // Full: one more element means a buffer twice as large, guarded too.
            let Some(byte) = next_byte(&mut seq).map_err(Fill::into_format)? else {
                break;
            };
            // Past `usize::MAX / 2` the constructor refuses `usize::MAX` as too large.
            let larger = buffer.len().saturating_mul(2);
            let old = &buffer;
            let grown = SecretVec::<u8, S>::try_new_in_domain::<X, Error>(larger, |values| {
                values[..filled].copy_from_slice(&old.borrow()[..filled]);
                values[filled] = byte;
                Ok(())
            })
            .map_err(allocation)?;
            filled += 1;
            buffer = grown; // the old buffer is zeroed as it is released
        }
        if filled == buffer.len() {
            return Ok(buffer);
        }
        let full = &buffer;
        SecretVec::<u8, S>::try_new_in_domain::<X, Error>(filled, |values| {
            values.copy_from_slice(&full.borrow()[..filled]);
            Ok(())
        })
        .map_err(allocation)
    }

    refuse_without_echo!();
}

struct StringVisitor<S, X: ?Sized>(PhantomData<fn(&X) -> S>);

impl<S: Storage, X: ?Sized + 'static> StringVisitor<S, X> {
    fn copy<E: de::Error>(self, bytes: &[u8]) -> Result<SecretString<S>, E> {
        SecretString::<S>::try_new_in_domain::<X, Error>(bytes.len(), |text| {
            text.copy_from_slice(bytes);
            Ok(())
        })
        .map_err(|err| match err {
            // Where the text stops being UTF-8 is a fact about the input, not its bytes.
            Error::InvalidUtf8 { .. } => {
                E::invalid_value(Unexpected::Other("bytes that are not UTF-8"), &self)
            }
            other => allocation(other),
        })
    }
}

impl<'de, S: Storage, X: ?Sized + 'static> Visitor<'de> for StringVisitor<S, X> {
    type Value = SecretString<S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string (a secret's text)")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        self.copy(text.as_bytes())
    }

    fn visit_string<E: de::Error>(self, mut text: String) -> Result<Self::Value, E> {
        let result = self.copy(text.as_bytes());
        text.zeroize();
        result
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Self::Value, E> {
        self.copy(bytes)
    }

    fn visit_byte_buf<E: de::Error>(self, mut bytes: Vec<u8>) -> Result<Self::Value, E> {
        let result = self.copy(&bytes);
        bytes.zeroize();
        result
    }

    refuse_without_echo!(text);
}
