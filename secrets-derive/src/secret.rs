//! `#[derive(Secret)]`: parse, check, generate.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, GenericArgument, Member, PathArguments, Type};

use crate::errors::Errors;

/// The guarded storage a secret type wraps.
enum Storage<'a> {
    Box(&'a Type),
    Vec(&'a Type),
    String,
}

/// What generation needs to know about the input.
struct Model<'a> {
    input: &'a DeriveInput,
    /// How the one field is reached: `self.0` or `self.key`.
    member: Member,
    field_ty: &'a Type,
    storage: Storage<'a>,
    description: Option<String>,
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let model = parse(input)?;
    Ok(generate(&model))
}

fn parse(input: &DeriveInput) -> syn::Result<Model<'_>> {
    let mut errors = Errors::default();
    let description = parse_attrs(input, &mut errors);
    refuse_sibling_derives(input, &mut errors);
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        Data::Enum(data) => {
            return Err(syn::Error::new_spanned(
                data.enum_token,
                "`#[derive(Secret)]` goes on a struct with one field of guarded storage, e.g. \
                 `struct MasterKey(SecretBox<[u8; 32]>);`, not on an enum",
            ));
        }
        Data::Union(data) => {
            return Err(syn::Error::new_spanned(
                data.union_token,
                "`#[derive(Secret)]` goes on a struct with one field of guarded storage, e.g. \
                 `struct MasterKey(SecretBox<[u8; 32]>);`, not on a union",
            ));
        }
    };
    let mut iter = fields.iter();
    let Some(field) = iter.next() else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`#[derive(Secret)]` needs exactly one field of guarded storage: `SecretBox<T>`, \
             `SecretVec<T>` or `SecretString`",
        ));
    };
    for extra in iter {
        errors.at(
            extra,
            "`#[derive(Secret)]` wraps exactly one field of guarded storage: one secret, one \
             type. Keep other data in a separate type, or put several values in one \
             `SecretBox` of a `#[repr(C)]` `#[derive(Bytes)]` struct",
        );
    }
    let storage = storage_of(&field.ty);
    if storage.is_none() {
        errors.at(
            &field.ty,
            "the field of a `#[derive(Secret)]` type must be guarded storage from \
             `secrets_core`: `SecretBox<T>`, `SecretVec<T>` or `SecretString`; a plain value \
             would live in ordinary, swappable, dumpable memory",
        );
    }
    errors.finish()?;
    let member = match &field.ident {
        Some(ident) => Member::Named(ident.clone()),
        None => Member::Unnamed(0.into()),
    };
    Ok(Model {
        input,
        member,
        field_ty: &field.ty,
        storage: storage.unwrap_or(Storage::String),
        description,
    })
}

/// Derives the user asks for beside `#[derive(Secret)]` that no secret type may have. Only a
/// `#[derive(..)]` written after `#[derive(Secret)]` reaches this macro; the traits' own
/// refusals catch the rest.
fn refuse_sibling_derives(input: &DeriveInput, errors: &mut Errors) {
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = attr.parse_nested_meta(|meta| {
            let Some(last) = meta.path.segments.last() else {
                return Ok(());
            };
            let why = match last.ident.unraw().to_string().as_str() {
                "Debug" => Some(
                    "`#[derive(Secret)]` already implements `Debug`, printing the type name and \
                     `[REDACTED]`; remove this `Debug`",
                ),
                "Clone" | "Copy" => Some(
                    "secret types cannot be duplicated: a copy of a secret is one more place it \
                     can leak from; remove this derive and borrow the secret where it is needed",
                ),
                "Serialize" => Some(
                    "secret types cannot be serialized: the bytes would land in ordinary memory \
                     and wherever they are sent; write a key file with `store(path)`, or seal \
                     the secret with `secrets-nonce`",
                ),
                "Display" => Some(
                    "secret types cannot be printed: remove this derive; `Debug` prints \
                     `[REDACTED]`",
                ),
                _ => None,
            };
            if let Some(why) = why {
                errors.at(&meta.path, why);
            }
            Ok(())
        });
    }
}

/// `#[secret(description = "...")]`.
fn parse_attrs(input: &DeriveInput, errors: &mut Errors) -> Option<String> {
    let mut description = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("secret")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("description") {
                let text: syn::LitStr = meta.value()?.parse()?;
                description = Some(text.value());
                Ok(())
            } else {
                Err(meta.error(
                    "unknown `secret` attribute; the only one is `#[secret(description = \"...\")]`",
                ))
            }
        });
        if let Err(err) = parsed {
            errors.push(err);
        }
    }
    description
}

/// Recognises `SecretBox<T>`, `SecretVec<T>` and `SecretString` (with or without a path).
fn storage_of(ty: &Type) -> Option<Storage<'_>> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let only_type_argument = || match &last.arguments {
        PathArguments::AngleBracketed(args) if args.args.len() == 1 => match args.args.first() {
            Some(GenericArgument::Type(inner)) => Some(inner),
            _ => None,
        },
        _ => None,
    };
    match last.ident.unraw().to_string().as_str() {
        "SecretBox" => only_type_argument().map(Storage::Box),
        "SecretVec" => only_type_argument().map(Storage::Vec),
        "SecretString" if last.arguments.is_none() => Some(Storage::String),
        _ => None,
    }
}

/// `SecretBox < [u8 ; 32] >` as written by a person: `SecretBox<[u8; 32]>`.
fn tidy(tokens: impl ToTokens) -> String {
    let mut text = tokens.to_token_stream().to_string();
    for (from, to) in [
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" ;", ";"),
        ("[ ", "["),
        (" ]", "]"),
        (" :: ", "::"),
        (" ,", ","),
    ] {
        text = text.replace(from, to);
    }
    text
}

fn generate(model: &Model<'_>) -> TokenStream {
    let input = model.input;
    let name = &input.ident;
    // The name as text (in `Debug`, the audit, and the live counter's name) without the `r#`
    // of a raw identifier: `r#type` is the type `type`, and `__SECRETS_LIVE_r#type` is no
    // identifier at all (building it would make this macro panic).
    let name_text = name.unraw().to_string();
    let redacted = format!("{name_text}([REDACTED])");
    let vis = &input.vis;
    let member = &model.member;
    let field_ty = model.field_ty;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let construct = match member {
        Member::Named(ident) => quote!(Self { #ident: inner }),
        Member::Unnamed(_) => quote!(Self(inner)),
    };
    let storage_text = tidy(field_ty);
    let size = match &model.storage {
        // A generic type registers once for all its instances: no single size.
        Storage::Box(_) if !input.generics.params.is_empty() => {
            quote!(::core::option::Option::None)
        }
        Storage::Box(inner) => {
            quote!(::core::option::Option::Some(::core::mem::size_of::<#inner>()))
        }
        Storage::Vec(_) | Storage::String => quote!(::core::option::Option::None),
    };
    let description = match &model.description {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };
    let methods = methods(model);

    // `Display` exists only under a bound that nothing satisfies, so `format!("{}", key)` fails
    // with the message of `SecretsCannotBePrinted`, and a user's own `impl Display` conflicts.
    let mut display_generics = input.generics.clone();
    display_generics
        .params
        .insert(0, syn::parse_quote!('__secrets_display));
    let (display_impl_generics, _, _) = display_generics.split_for_impl();
    let mut display_predicates: Vec<TokenStream> = where_clause
        .map(|w| w.predicates.iter().map(|p| quote!(#p)).collect())
        .unwrap_or_default();
    display_predicates.push(quote!(
        &'__secrets_display #name #ty_generics: ::secrets_core::__private::SecretsCannotBePrinted
    ));
    // Spanned at the type's name, so rustc does not blame (and suggest replacing) a derive.
    let display_refusal = quote_spanned! {name.span()=>
        impl #display_impl_generics ::core::fmt::Display for #name #ty_generics
        where
            #(#display_predicates,)*
        {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt(self, f)
            }
        }
    };
    // Not upper-cased: `str::to_uppercase` can turn an identifier character into characters
    // that may not continue one, and the name only has to be unique within this `const _`.
    let live = format_ident!("__SECRETS_LIVE_{}", name_text);

    quote! {
        const _: () = {
            #[allow(non_upper_case_globals)]
            static #live: ::secrets_core::audit::LiveCount = ::secrets_core::audit::LiveCount::new();

            ::secrets_core::__private::inventory::submit! {
                ::secrets_core::audit::SecretType::new(
                    #name_text,
                    ::core::module_path!(),
                    #storage_text,
                    #size,
                    #description,
                    &#live,
                )
            }

            #[automatically_derived]
            impl #impl_generics #name #ty_generics #where_clause {
                fn __secrets_wrap(inner: #field_ty) -> Self {
                    #live.increment();
                    #construct
                }

                /// Refused: found before `Clone::clone`, so `key.clone()` reports why.
                #[doc(hidden)]
                #[allow(clippy::should_implement_trait)]
                #vis fn clone<'__secrets_clone>(&'__secrets_clone self) -> Self
                where
                    &'__secrets_clone Self: ::secrets_core::__private::SecretsCannotBeCloned,
                {
                    ::core::unreachable!("secret types cannot be cloned; this bound never holds")
                }

                /// Wraps guarded storage made elsewhere (e.g. loaded from a key file).
                #vis fn from_inner(inner: #field_ty) -> Self {
                    Self::__secrets_wrap(inner)
                }

                #methods
            }

            #[automatically_derived]
            impl #impl_generics ::secrets_core::kdf::FromStorage for #name #ty_generics #where_clause {
                type Storage = #field_ty;
                fn from_storage(storage: #field_ty) -> Self {
                    Self::__secrets_wrap(storage)
                }
            }

            #[automatically_derived]
            impl #impl_generics ::core::ops::Drop for #name #ty_generics #where_clause {
                fn drop(&mut self) {
                    #live.decrement();
                }
            }

            #[automatically_derived]
            impl #impl_generics ::core::cmp::PartialEq for #name #ty_generics #where_clause {
                /// Compares the two secrets in constant time.
                fn eq(&self, other: &Self) -> bool {
                    self.#member == other.#member
                }
            }

            #[automatically_derived]
            impl #impl_generics ::core::cmp::Eq for #name #ty_generics #where_clause {}

            #[automatically_derived]
            impl #impl_generics ::core::fmt::Debug for #name #ty_generics #where_clause {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(#redacted)
                }
            }

            #display_refusal
        };
    }
}

/// The storage's constructors and borrows, forwarded.
fn methods(model: &Model<'_>) -> TokenStream {
    let vis = &model.input.vis;
    let member = &model.member;
    let result = quote!(::core::result::Result);
    let error = quote!(::secrets_core::Error);
    let fn_once = quote!(::core::ops::FnOnce);
    let from = quote!(::core::convert::From);
    let common = |value: TokenStream| {
        quote! {
            /// Opens the secret read-only until the returned `Ref` is dropped.
            #vis fn borrow(&self) -> ::secrets_core::Ref<'_, #value> {
                self.#member.borrow()
            }

            /// Opens the secret read-write until the returned `RefMut` is dropped.
            #vis fn borrow_mut(&mut self) -> ::secrets_core::RefMut<'_, #value> {
                self.#member.borrow_mut()
            }

            /// Runs `f` with the secret opened read-only, and closes it again.
            #vis fn expose<R>(&self, f: impl #fn_once(&#value) -> R) -> R {
                f(&self.#member.borrow())
            }

            /// Runs `f` with the secret opened read-write, and closes it again.
            #vis fn expose_mut<R>(&mut self, f: impl #fn_once(&mut #value) -> R) -> R {
                f(&mut self.#member.borrow_mut())
            }
        }
    };
    match &model.storage {
        Storage::Box(t) => {
            let common = common(quote!(#t));
            quote! {
                /// A new secret, filled by `init` (it starts zeroed) in guarded memory.
                #vis fn new(init: impl #fn_once(&mut #t)) -> #result<Self, #error> {
                    ::secrets_core::SecretBox::<#t>::new(init).map(Self::__secrets_wrap)
                }

                /// Like `new`, for an `init` that can fail.
                #vis fn try_new<E: #from<#error>>(
                    init: impl #fn_once(&mut #t) -> #result<(), E>,
                ) -> #result<Self, E> {
                    ::secrets_core::SecretBox::<#t>::try_new(init).map(Self::__secrets_wrap)
                }

                /// A secret of zeros.
                #vis fn zero() -> #result<Self, #error> {
                    ::secrets_core::SecretBox::<#t>::zero().map(Self::__secrets_wrap)
                }

                /// A secret from libsodium's CSPRNG.
                #vis fn random() -> #result<Self, #error> {
                    ::secrets_core::SecretBox::<#t>::random().map(Self::__secrets_wrap)
                }

                /// Moves a secret out of `source`, zeroing it whether or not this succeeds.
                #vis fn from_bytes(source: &mut [u8]) -> #result<Self, #error> {
                    ::secrets_core::SecretBox::<#t>::from_bytes(source).map(Self::__secrets_wrap)
                }

                /// Loads the secret from a key file (mode 0400 or 0600, exact length).
                #vis fn load(
                    path: impl ::core::convert::AsRef<::std::path::Path>,
                ) -> #result<Self, #error> {
                    ::secrets_core::SecretBox::<#t>::load(path).map(Self::__secrets_wrap)
                }

                /// Writes the secret to a new key file, mode 0400, atomically.
                #vis fn store(
                    &self,
                    path: impl ::core::convert::AsRef<::std::path::Path>,
                ) -> #result<(), #error> {
                    self.#member.store(path)
                }

                #common
            }
        }
        Storage::Vec(t) => {
            let common = common(quote!([#t]));
            quote! {
                /// A new secret of `len` values, filled by `init` (they start zeroed).
                #vis fn new(len: usize, init: impl #fn_once(&mut [#t])) -> #result<Self, #error> {
                    ::secrets_core::SecretVec::<#t>::new(len, init).map(Self::__secrets_wrap)
                }

                /// Like `new`, for an `init` that can fail.
                #vis fn try_new<E: #from<#error>>(
                    len: usize,
                    init: impl #fn_once(&mut [#t]) -> #result<(), E>,
                ) -> #result<Self, E> {
                    ::secrets_core::SecretVec::<#t>::try_new(len, init).map(Self::__secrets_wrap)
                }

                /// `len` zeros.
                #vis fn zero(len: usize) -> #result<Self, #error> {
                    ::secrets_core::SecretVec::<#t>::zero(len).map(Self::__secrets_wrap)
                }

                /// `len` values from libsodium's CSPRNG.
                #vis fn random(len: usize) -> #result<Self, #error> {
                    ::secrets_core::SecretVec::<#t>::random(len).map(Self::__secrets_wrap)
                }

                /// Moves the values out of `source`, zeroing it whether or not this succeeds.
                #vis fn from_bytes(source: &mut [u8]) -> #result<Self, #error> {
                    ::secrets_core::SecretVec::<#t>::from_bytes(source).map(Self::__secrets_wrap)
                }

                /// Loads the secret from a key file (mode 0400 or 0600).
                #vis fn load(
                    path: impl ::core::convert::AsRef<::std::path::Path>,
                ) -> #result<Self, #error> {
                    ::secrets_core::SecretVec::<#t>::load(path).map(Self::__secrets_wrap)
                }

                /// Writes the secret to a new key file, mode 0400, atomically.
                #vis fn store(
                    &self,
                    path: impl ::core::convert::AsRef<::std::path::Path>,
                ) -> #result<(), #error> {
                    self.#member.store(path)
                }

                /// The number of values.
                #vis fn len(&self) -> usize {
                    self.#member.len()
                }

                /// Whether there are no values.
                #vis fn is_empty(&self) -> bool {
                    self.#member.is_empty()
                }

                #common
            }
        }
        Storage::String => {
            let common = common(quote!(str));
            quote! {
                /// `len` bytes filled by `init`, then checked to be UTF-8.
                #vis fn try_new<E: #from<#error>>(
                    len: usize,
                    init: impl #fn_once(&mut [u8]) -> #result<(), E>,
                ) -> #result<Self, E> {
                    ::secrets_core::SecretString::try_new(len, init).map(Self::__secrets_wrap)
                }

                /// Moves UTF-8 text out of `source`, zeroing it whether or not this succeeds.
                #vis fn from_bytes(source: &mut [u8]) -> #result<Self, #error> {
                    ::secrets_core::SecretString::from_bytes(source).map(Self::__secrets_wrap)
                }

                /// Moves the text of `source` into guarded memory and zeroes `source`.
                #vis fn from_string(
                    source: &mut ::std::string::String,
                ) -> #result<Self, #error> {
                    ::secrets_core::SecretString::from_string(source).map(Self::__secrets_wrap)
                }

                /// The length of the text in bytes.
                #vis fn len(&self) -> usize {
                    self.#member.len()
                }

                /// Whether the text is empty.
                #vis fn is_empty(&self) -> bool {
                    self.#member.is_empty()
                }

                #common
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::expand;

    /// Expands `#[derive(Secret)]` on `input`: the generated code, or the error's message.
    fn expanded(input: syn::DeriveInput) -> Result<String, String> {
        // A panic here is what a user would see as "proc-macro derive panicked".
        expand(&input)
            .map(|tokens| tokens.to_string())
            .map_err(|err| err.to_string())
    }

    #[test]
    fn raw_identifiers_expand_without_their_prefix_in_generated_names() {
        let code = expanded(syn::parse_quote! {
            struct r#type(SecretBox<[u8; 32]>);
        })
        .unwrap_or_else(|err| panic!("refused: {err}"));
        // The type keeps its raw name where it is a name...
        assert!(code.contains("for r#type"), "{code}");
        // ...and the texts and the generated identifier use the bare word.
        assert!(code.contains("\"type([REDACTED])\""), "{code}");
        assert!(code.contains("__SECRETS_LIVE_type"), "{code}");
        assert!(!code.contains("LIVE_r#"), "{code}");
        // What it generates parses as items.
        assert!(syn::parse_str::<syn::File>(&code).is_ok(), "{code}");
    }

    #[test]
    fn raw_field_and_storage_names_are_recognised() {
        let code = expanded(syn::parse_quote! {
            pub struct r#struct { r#fn: r#SecretVec<u8> }
        })
        .unwrap_or_else(|err| panic!("refused: {err}"));
        assert!(code.contains("self . r#fn"), "{code}");
        assert!(code.contains("\"struct([REDACTED])\""), "{code}");
    }

    #[test]
    fn non_ascii_names_expand() {
        for input in [
            syn::parse_quote! { struct Schlüssel(SecretString); },
            syn::parse_quote! { struct Ωmega(SecretString); },
        ] {
            let code = expanded(input).unwrap_or_else(|err| panic!("refused: {err}"));
            assert!(syn::parse_str::<syn::File>(&code).is_ok(), "{code}");
        }
    }

    #[test]
    fn a_raw_sibling_derive_is_refused_like_a_plain_one() {
        let err = expanded(syn::parse_quote! {
            #[derive(Secret)]
            #[derive(r#Clone)]
            struct Key(SecretBox<[u8; 32]>);
        })
        .expect_err("Clone is refused");
        assert!(err.contains("cannot be duplicated"), "{err}");
    }
}
