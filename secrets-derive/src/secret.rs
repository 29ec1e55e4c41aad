//! `#[derive(Secret)]`: parse, check, generate.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Member, Type};

use crate::errors::Errors;

/// What generation needs to know about the input.
struct Model<'a> {
    input: &'a DeriveInput,
    /// How the one field is reached: `self.0` or `self.key`.
    member: Member,
    /// The field's type: guarded storage, which the `Container` bound of `SecretType` checks
    /// (with a message that says what to use), so this macro needs no list of containers.
    field_ty: &'a Type,
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
    errors.finish()?;
    let member = match &field.ident {
        Some(ident) => Member::Named(ident.clone()),
        None => Member::Unnamed(0.into()),
    };
    Ok(Model {
        input,
        member,
        field_ty: &field.ty,
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
        Member::Named(ident) => quote!(Self { #ident: storage }),
        Member::Unnamed(_) => quote!(Self(storage)),
    };
    let storage_text = tidy(field_ty);
    let (placement, size) = if input.generics.params.is_empty() {
        // Asked through the `SecretType` impl below rather than the field's type, so that a
        // field that is no container is reported once, at that impl's `Container` bound.
        (
            quote!(::core::option::Option::Some(
                ::secrets_core::__private::placement_of::<#name>()
            )),
            quote!(::secrets_core::__private::size_of_secret::<#name>()),
        )
    } else {
        // A generic type registers once for all its instances, in a `static` that cannot name
        // its parameters: no single container to ask.
        (
            quote!(::core::option::Option::None),
            quote!(::core::option::Option::None),
        )
    };
    let description = match &model.description {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };

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
    // Hidden from rustdoc: a `Display` that can never be called is not part of the type's
    // documented interface (its refusal message is what a user meets).
    let display_refusal = quote_spanned! {name.span()=>
        #[doc(hidden)]
        impl #display_impl_generics ::core::fmt::Display for #name #ty_generics
        where
            #(#display_predicates,)*
        {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt(self, f)
            }
        }
    };
    // The impls of `secrets-core`'s optional features (`serde`, `subtle`, `zeroize`): a macro
    // of `secrets-core` that expands to nothing for each feature that is off there, so this
    // macro neither knows nor depends on them. Its lifetime is the `'de` of `Deserialize`.
    let mut ecosystem_generics = input.generics.clone();
    ecosystem_generics
        .params
        .insert(0, syn::parse_quote!('__secrets_ecosystem));
    let (ecosystem_impl_generics, _, _) = ecosystem_generics.split_for_impl();
    let own_predicates: Vec<TokenStream> = where_clause
        .map(|w| w.predicates.iter().map(|p| quote!(#p)).collect())
        .unwrap_or_default();
    let ecosystem = quote! {
        ::secrets_core::__private::ecosystem_impls! {
            lifetime: '__secrets_ecosystem,
            impl: [#ecosystem_impl_generics],
            type: [#name #ty_generics],
            where: [#(#own_predicates,)*],
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
                    #placement,
                    #size,
                    #description,
                    &#live,
                )
            }

            #[automatically_derived]
            impl #impl_generics ::secrets_core::__private::ImplementedByDeriveSecret
                for #name #ty_generics #where_clause
            {
                fn only_derive_is_allowed_to_implement_this_trait() {}
            }

            // The one trait: every method users call (constructors, borrows, key files) comes
            // from `secrets_core` through it.
            #[automatically_derived]
            impl #impl_generics ::secrets_core::SecretType for #name #ty_generics #where_clause {
                type Storage = #field_ty;

                fn __wrap(storage: #field_ty) -> Self {
                    #live.increment();
                    #construct
                }

                fn __storage(&self) -> &#field_ty {
                    &self.#member
                }

                fn __storage_mut(&mut self) -> &mut #field_ty {
                    &mut self.#member
                }
            }

            #[automatically_derived]
            impl #impl_generics #name #ty_generics #where_clause {
                /// Refused: found before `Clone::clone`, so `key.clone()` reports why.
                #[doc(hidden)]
                #[allow(clippy::should_implement_trait)]
                #vis fn clone<'__secrets_clone>(&'__secrets_clone self) -> Self
                where
                    &'__secrets_clone Self: ::secrets_core::__private::SecretsCannotBeCloned,
                {
                    ::core::unreachable!("secret types cannot be cloned; this bound never holds")
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
                /// Compares the two secrets in constant time (the container's `==`).
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

            #ecosystem
        };
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;

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

    /// What the derive emits for one box type, checked in at
    /// `tests/expand/master_key.expanded.rs` (as zerocopy checks in its derives' output) so
    /// that every change to the generated code shows up in review. Compared token by token;
    /// after an intended change, regenerate it with
    /// `SECRETS_EXPAND=overwrite cargo test -p secrets-derive` and read the diff.
    #[test]
    fn the_expansion_of_a_box_type_is_the_checked_in_one() {
        const PATH: &str = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/expand/master_key.expanded.rs"
        );
        let generated = super::expand(&syn::parse_quote! {
            /// The vault's master key.
            #[derive(Secret)]
            #[secret(description = "the vault's master key")]
            pub struct MasterKey(SecretBox<[u8; 32]>);
        })
        .unwrap_or_else(|err| panic!("refused: {err}"));
        if std::env::var_os("SECRETS_EXPAND").is_some_and(|v| v == "overwrite") {
            let header = "// What `#[derive(Secret)]` emits for\n\
                          // `pub struct MasterKey(SecretBox<[u8; 32]>);`,\n\
                          // checked by `secret::tests` in `src/secret.rs`. Regenerate with\n\
                          // `SECRETS_EXPAND=overwrite cargo test -p secrets-derive`.\n";
            std::fs::write(PATH, format!("{header}{generated}"))
                .unwrap_or_else(|err| panic!("{PATH}: {err}"));
            let status = std::process::Command::new("rustfmt")
                .args(["--edition", "2021", PATH])
                .status()
                .unwrap_or_else(|err| panic!("rustfmt: {err}"));
            assert!(status.success(), "rustfmt failed on {PATH}");
        }
        let text = std::fs::read_to_string(PATH).unwrap_or_else(|err| panic!("{PATH}: {err}"));
        let expected: TokenStream = text.parse().unwrap_or_else(|err| panic!("{PATH}: {err}"));
        assert!(
            tokens(generated.clone()) == tokens(expected),
            "#[derive(Secret)] now emits something else than {PATH}; if that is intended, \
             regenerate it with `SECRETS_EXPAND=overwrite cargo test -p secrets-derive` and read \
             the diff. Emitted:\n{generated}"
        );
    }

    /// Each token's text, with the groups' delimiters: what the compiler sees, without the
    /// spacing that differs between generated and parsed tokens (`> ;` and `>;`).
    fn tokens(stream: TokenStream) -> Vec<String> {
        let mut out = Vec::new();
        for tree in stream {
            match tree {
                proc_macro2::TokenTree::Group(group) => {
                    let (open, close) = match group.delimiter() {
                        proc_macro2::Delimiter::Parenthesis => ("(", ")"),
                        proc_macro2::Delimiter::Brace => ("{", "}"),
                        proc_macro2::Delimiter::Bracket => ("[", "]"),
                        proc_macro2::Delimiter::None => ("", ""),
                    };
                    out.push(open.to_owned());
                    out.extend(tokens(group.stream()));
                    out.push(close.to_owned());
                }
                other => out.push(other.to_string()),
            }
        }
        out
    }

    #[test]
    fn the_description_reaches_the_audit_entry() {
        let code = expanded(syn::parse_quote! {
            #[secret(description = "rotated \"yearly\"")]
            struct Key(SecretBox<[u8; 32]>);
        })
        .unwrap_or_else(|err| panic!("refused: {err}"));
        assert!(code.contains(r#"Some ("rotated \"yearly\"")"#), "{code}");
    }

    #[test]
    fn unknown_secret_attributes_are_refused() {
        let err = expanded(syn::parse_quote! {
            #[secret(colour = "red")]
            #[secret(description = 7)]
            struct Key(SecretBox<[u8; 32]>);
        })
        .expect_err("refused");
        assert!(err.contains("unknown `secret` attribute"), "{err}");
    }

    /// The macro knows no container names: the field's type is checked by the `Container`
    /// bound of `SecretType` (whose message says what to use), so a new container needs no
    /// change here.
    #[test]
    fn any_field_type_is_left_to_the_container_bound() {
        for input in [
            syn::parse_quote! { struct Key([u8; 32]); },
            syn::parse_quote! { struct Key(my::NewStorage<u8>); },
        ] {
            let code = expanded(input).unwrap_or_else(|err| panic!("refused: {err}"));
            assert!(code.contains("type Storage ="), "{code}");
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
