//! Optional integrations with the crates around this one, each behind a feature that is off by
//! default. None of them holds `unsafe` code; each is a set of trait impls over the containers'
//! own safe constructors and comparisons.
//!
//! | feature | gives | file |
//! |---|---|---|
//! | `serde` | `Deserialize` for [`SecretString`](crate::SecretString), [`SecretVec<u8>`](crate::SecretVec), [`SecretBox<[u8; N]>`](crate::SecretBox) and every `#[derive(Secret)]` type over one of them, written straight into guarded memory; `Serialize` refused with a compile error that says what to do instead | `serde.rs` |
//! | `zeroize` | `zeroize::ZeroizeOnDrop` for the containers and every `#[derive(Secret)]` type (they always zeroed on drop; this says so in `zeroize`'s terms); `TryFrom<Zeroizing<Vec<u8>>>` and `TryFrom<Zeroizing<String>>` | `zeroize.rs` |
//! | `subtle` | `subtle::ConstantTimeEq` for the containers and every `#[derive(Secret)]` type, through the same constant-time comparison as `==` | `subtle.rs` |
//! | `secrecy` | `TryFrom` `secrecy::SecretString`, `secrecy::SecretBox<[u8; N]>` and `secrecy::SecretSlice<u8>`, for programs moving over: the source is taken by value and zeroed by its own drop | `secrecy.rs` |
//!
//! # Deserializing a secret
//!
//! ```
//! # #[cfg(feature = "serde")] {
//! use secrets_core::prelude::*;
//!
//! #[derive(Secret)]
//! struct ApiToken(SecretString);
//!
//! #[derive(serde::Deserialize)]
//! struct Config {
//!     user: String,
//!     password: SecretString,
//!     key: SecretBox<[u8; 4]>,
//!     token: ApiToken,
//! }
//!
//! let mut input = String::from(
//!     r#"{"user": "ada", "password": "hunter2", "key": [1, 2, 3, 4], "token": "t0k3n"}"#,
//! );
//! let config: Config = serde_json::from_str(&input)?;
//! zeroize::Zeroize::zeroize(&mut input); // the input is the caller's to wipe
//! assert_eq!(&*config.password.borrow(), "hunter2");
//! assert_eq!(&*config.key.borrow(), &[1, 2, 3, 4]);
//! assert_eq!(config.token.len(), 5);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What the value passes through on its way, and who wipes it, is set out in `serde.rs`'s
//! module documentation: in short, the text the format reads from (the caller's buffer) and any copy the format
//! makes of it (an unescaped string, a line of a TOML file) are outside this crate's reach.
//!
//! # How `#[derive(Secret)]` types get these impls
//!
//! A trait of another crate can only be implemented for a user's type in the user's crate, so
//! `#[derive(Secret)]` emits one line, `::secrets_core::__private::ecosystem_impls! { .. }`. That
//! macro is defined here, once per feature set: with a feature off its part expands to
//! nothing, so the derive needs to know nothing about the features, and the bodies of the impls
//! are blanket impls of hidden traits of this crate over [`SecretType`](crate::SecretType)
//! (`DeserializeSecret`, `CtEqSecret`, `ZeroizeOnDropSecret`).

#[cfg(feature = "secrecy")]
mod secrecy;
#[cfg(feature = "serde")]
pub(crate) mod serde;
#[cfg(feature = "subtle")]
pub(crate) mod subtle;
#[cfg(feature = "zeroize")]
pub(crate) mod zeroize;

/// The impls of the optional features for one `#[derive(Secret)]` type; what the derive emits.
/// Not part of the API.
///
/// `lifetime` is a lifetime the derive added to `impl`: the `'de` of `Deserialize`, and in
/// every impl the parameter of the one bound that asks `secrets-core` whether the type's
/// container supports the trait (`DeserializeSecret<'de>`, `CtEqSecret<'x>`, ...). A bound
/// that names a parameter is checked where the trait is used, not where the impl is written,
/// so a type whose field is not a container is reported once (by `SecretType`), and the
/// refusal of `Serialize` is an impl whose bound never holds rather than an error at the
/// derive. `where` holds the type's own predicates, each followed by a comma.
#[doc(hidden)]
#[macro_export]
macro_rules! __secrets_ecosystem_impls {
    (
        lifetime: $life:lifetime,
        impl: [$($impl:tt)*],
        type: [$($ty:tt)*],
        where: [$($pred:tt)*] $(,)?
    ) => {
        $crate::__secrets_serde_impls! {
            lifetime: $life, impl: [$($impl)*], type: [$($ty)*], where: [$($pred)*]
        }
        $crate::__secrets_subtle_impls! {
            lifetime: $life, impl: [$($impl)*], type: [$($ty)*], where: [$($pred)*]
        }
        $crate::__secrets_zeroize_impls! {
            lifetime: $life, impl: [$($impl)*], type: [$($ty)*], where: [$($pred)*]
        }
    };
}

/// With `serde`: `Deserialize` into guarded memory and the refusal of `Serialize`.
#[cfg(feature = "serde")]
#[doc(hidden)]
#[macro_export]
macro_rules! __secrets_serde_impls {
    (
        lifetime: $life:lifetime,
        impl: [$($impl:tt)*],
        type: [$($ty:tt)*],
        where: [$($pred:tt)*]
    ) => {
        #[automatically_derived]
        impl $($impl)* $crate::__private::serde::Deserialize<$life> for $($ty)*
        where
            $($pred)*
            $($ty)*: $crate::__private::DeserializeSecret<$life>,
        {
            fn deserialize<__D: $crate::__private::serde::Deserializer<$life>>(
                deserializer: __D,
            ) -> ::core::result::Result<Self, __D::Error> {
                <Self as $crate::__private::DeserializeSecret<$life>>::deserialize_secret(
                    deserializer,
                )
            }
        }

        #[automatically_derived]
        impl $($impl)* $crate::__private::serde::Serialize for $($ty)*
        where
            $($pred)*
            &$life $($ty)*: $crate::__private::SecretsCannotBeSerialized,
        {
            fn serialize<__S: $crate::__private::serde::Serializer>(
                &self,
                serializer: __S,
            ) -> ::core::result::Result<__S::Ok, __S::Error> {
                $crate::__private::serialization_refused(serializer)
            }
        }
    };
}

/// Without `serde`: nothing.
#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __secrets_serde_impls {
    ($($anything:tt)*) => {};
}

/// With `subtle`: `ConstantTimeEq` through the container's comparison.
#[cfg(feature = "subtle")]
#[doc(hidden)]
#[macro_export]
macro_rules! __secrets_subtle_impls {
    (
        lifetime: $life:lifetime,
        impl: [$($impl:tt)*],
        type: [$($ty:tt)*],
        where: [$($pred:tt)*]
    ) => {
        #[automatically_derived]
        impl $($impl)* $crate::__private::subtle::ConstantTimeEq for $($ty)*
        where
            $($pred)*
            $($ty)*: $crate::__private::CtEqSecret<$life>,
        {
            fn ct_eq(&self, other: &Self) -> $crate::__private::subtle::Choice {
                <Self as $crate::__private::CtEqSecret<$life>>::ct_eq_secret(self, other)
            }
        }
    };
}

/// Without `subtle`: nothing.
#[cfg(not(feature = "subtle"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __secrets_subtle_impls {
    ($($anything:tt)*) => {};
}

/// With `zeroize`: the marker `ZeroizeOnDrop` (the container inside zeroes on drop).
#[cfg(feature = "zeroize")]
#[doc(hidden)]
#[macro_export]
macro_rules! __secrets_zeroize_impls {
    (
        lifetime: $life:lifetime,
        impl: [$($impl:tt)*],
        type: [$($ty:tt)*],
        where: [$($pred:tt)*]
    ) => {
        #[automatically_derived]
        impl $($impl)* $crate::__private::zeroize::ZeroizeOnDrop for $($ty)*
        where
            $($pred)*
            $($ty)*: $crate::__private::ZeroizeOnDropSecret<$life>,
        {
        }
    };
}

/// Without `zeroize`: nothing.
#[cfg(not(feature = "zeroize"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __secrets_zeroize_impls {
    ($($anything:tt)*) => {};
}
