//! `#[derive(Bytes)]` and `#[derive(Secret)]` for `secrets-core`.
//!
//! Use them through `secrets-core` (feature `derive`, on by default), which re-exports each
//! beside the trait or type of the same name: `use secrets_core::{Bytes, Secret};`.
//!
//! Each macro works in three steps, in its own module: parse the input into a small model,
//! check it (collecting every error, each spanned at the offending token, instead of stopping
//! at the first), and generate code that names only absolute paths (`::core::...`,
//! `::secrets_core::...`), so that it works whatever the user imported, even under
//! `#![no_implicit_prelude]`.
//!
//! This crate has no `unsafe` code. The only `unsafe` it emits is the `unsafe impl Bytes` of
//! `#[derive(Bytes)]`, justified by compile-time checks that are emitted with it.

#![forbid(unsafe_code)]

mod bytes;
mod errors;
mod secret;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Implements `secrets_core::Bytes` for a struct whose every bit pattern is a valid value.
///
/// The struct must be `#[repr(C)]` or `#[repr(transparent)]`, every field must be `Bytes`, and
/// it must have no padding and no `Drop`: all checked at compile time. `bool`, `char`,
/// references, pointers, tuples, `NonZero*`, `Option`, `Cell` and the other types with interior
/// mutability, enums and unions are refused with a message that says what to use instead. It
/// is the only way to implement `Bytes`: a hand-written impl fails to compile.
#[proc_macro_derive(Bytes)]
pub fn derive_bytes(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    bytes::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Makes a newtype over guarded storage (`SecretBox<T>`, `SecretVec<T>` or `SecretString`) a
/// secret type of its own: constant-time `==`, a `Debug` that prints `Name([REDACTED])`, a
/// live-instance count, and an entry in `secrets_core::audit`. Such a type has no `Clone`,
/// `Copy` or `Display`.
///
/// It implements one trait, `secrets_core::SecretType`; the constructors and borrows
/// (`random`, `new`, `load`, `borrow`, `expose`...) come from `secrets-core` through that trait
/// and its extension traits, so bring them into scope with `use secrets_core::prelude::*;`. The
/// field's type is checked by the trait's `Container` bound, not by name here.
///
/// `#[secret(description = "...")]` documents the type in the audit.
///
/// It implements `Debug` itself (printing `Name([REDACTED])`): do not also derive `Debug`.
#[proc_macro_derive(Secret, attributes(secret))]
pub fn derive_secret(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    secret::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
