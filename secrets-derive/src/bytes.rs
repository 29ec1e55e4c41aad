//! `#[derive(Bytes)]`: parse, check, generate.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Member, Type};

use crate::errors::Errors;

/// What the checks need to know about the input.
struct Model<'a> {
    input: &'a DeriveInput,
    fields: Vec<&'a Type>,
    /// How each field is named in `offset_of!`: `a` or `0`.
    members: Vec<Member>,
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let model = parse(input)?;
    check(&model)?;
    Ok(generate(&model))
}

fn parse(input: &DeriveInput) -> syn::Result<Model<'_>> {
    let (fields, members) =
        match &input.data {
            Data::Struct(data) => (
                data.fields.iter().map(|f| &f.ty).collect(),
                data.fields.members().collect(),
            ),
            Data::Enum(data) => return Err(syn::Error::new_spanned(
                data.enum_token,
                "`#[derive(Bytes)]` cannot be used on an enum: only the declared discriminants \
                 are valid values, and guarded memory may hold any bit pattern; use a struct \
                 with an integer tag (e.g. `u8`) and check it when you read it",
            )),
            Data::Union(data) => {
                return Err(syn::Error::new_spanned(
                    data.union_token,
                    "`#[derive(Bytes)]` cannot be used on a union: use a byte array `[u8; N]` \
                 and read the variant you need out of it",
                ))
            }
        };
    Ok(Model {
        input,
        fields,
        members,
    })
}

fn check(model: &Model<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    check_repr(model.input, &mut errors);
    for ty in &model.fields {
        check_field(ty, &mut errors);
    }
    errors.finish()
}

/// The layout must be defined: `repr(C)` or `repr(transparent)`.
fn check_repr(input: &DeriveInput, errors: &mut Errors) {
    let mut defined = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("repr")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("C") || meta.path.is_ident("transparent") {
                defined = true;
            }
            // `packed`, `packed(N)`, `align(N)`: allowed; the padding check judges the result.
            if meta.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in meta.input);
                content.parse::<TokenStream>()?;
            }
            Ok(())
        });
        if let Err(err) = parsed {
            errors.push(err);
        }
    }
    if !defined {
        errors.at(
            &input.ident,
            "`#[derive(Bytes)]` needs `#[repr(C)]` or `#[repr(transparent)]` on the struct: with \
             Rust's default layout the order of fields and the padding between them are \
             unspecified, so the struct could not be shown to be free of padding",
        );
    }
}

/// Refuses, with a reason and a replacement, the field types that are never `Bytes`. Other
/// types are checked by the `Bytes` bounds of the generated impl.
fn check_field(ty: &Type, errors: &mut Errors) {
    match ty {
        Type::Reference(_) | Type::Ptr(_) => errors.at(
            ty,
            "a reference or pointer cannot be part of a `Bytes` type: it is an address, not \
             secret data, and most bit patterns are not valid addresses; store the bytes \
             themselves, e.g. `[u8; N]`",
        ),
        Type::Tuple(tuple) if !tuple.elems.is_empty() => errors.at(
            ty,
            "a tuple cannot be part of a `Bytes` type: its layout is unspecified; use an array \
             `[T; N]` or another `#[repr(C)]` struct that derives `Bytes`",
        ),
        Type::BareFn(_) => errors.at(
            ty,
            "a function pointer cannot be part of a `Bytes` type: not every bit pattern is a \
             valid function pointer",
        ),
        Type::Slice(_) => errors.at(
            ty,
            "a slice has no fixed size; use an array `[T; N]`, or keep variable-length \
             secrets in a `SecretVec`",
        ),
        Type::Array(array) => check_field(&array.elem, errors),
        Type::Group(group) => check_field(&group.elem, errors),
        Type::Paren(paren) => check_field(&paren.elem, errors),
        Type::Path(path) => {
            let Some(last) = path.path.segments.last() else {
                return;
            };
            // `r#bool` names `bool`: compare the identifier without its `r#`.
            let name = last.ident.unraw().to_string();
            let reason = match name.as_str() {
                "bool" => Some(
                    "`bool` cannot be part of a `Bytes` type: only 0 and 1 are valid `bool`s, and \
                     guarded memory may hold any byte (reading 2 as a `bool` is undefined \
                     behaviour); use a `u8` and compare it with 0",
                ),
                "char" => Some(
                    "`char` cannot be part of a `Bytes` type: not every `u32` is a valid `char` \
                     (surrogates, values above 0x10FFFF); use a `u32` and convert it with \
                     `char::from_u32` when you read it",
                ),
                "Option" => Some(
                    "`Option` cannot be part of a `Bytes` type: its tag (or niche) makes some \
                     bit patterns invalid; use a `u8` flag beside the value",
                ),
                "String" | "Vec" | "Box" | "Rc" | "Arc" => Some(
                    "a heap-owning type cannot be part of a `Bytes` type: it is a pointer to \
                     memory outside the guarded pages; use a fixed-size array, or a `SecretVec` \
                     or `SecretString` of its own",
                ),
                "Cell" | "RefCell" | "UnsafeCell" | "SyncUnsafeCell" | "OnceCell" | "Mutex"
                | "RwLock" => Some(INTERIOR_MUTABILITY),
                _ if name.starts_with("Atomic") => Some(INTERIOR_MUTABILITY),
                _ if name.starts_with("NonZero") => Some(
                    "a `NonZero*` integer cannot be part of a `Bytes` type: zero is not a valid \
                     value, and guarded memory starts zeroed; use the plain integer and check it \
                     with `NonZero*::new` when you read it",
                ),
                _ => None,
            };
            if let Some(reason) = reason {
                errors.at(ty, reason);
            }
        }
        _ => {}
    }
}

/// Why `Cell`, `UnsafeCell`, the atomics and their kin are refused.
const INTERIOR_MUTABILITY: &str =
    "a type with interior mutability (`Cell`, `RefCell`, `UnsafeCell`, `OnceCell`, an atomic, \
     a lock) cannot be part of a `Bytes` type: it can be changed through a shared reference, \
     and a `Ref` to guarded memory is a shared reference into pages that are read-only while \
     it lives, so such a write would crash the process; store the plain value (a `u8` for a \
     `Cell<u8>`, a `u64` for an `AtomicU64`) and change it through `borrow_mut()`";

fn generate(model: &Model<'_>) -> TokenStream {
    let input = model.input;
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut predicates: Vec<TokenStream> = where_clause
        .map(|w| w.predicates.iter().map(|p| quote!(#p)).collect())
        .unwrap_or_default();
    // Spanned at each field, so that a field type that is not `Bytes` is reported there.
    predicates.extend(
        model
            .fields
            .iter()
            .map(|ty| quote_spanned!(ty.span()=> #ty: ::secrets_core::Bytes)),
    );
    let field_checks = model.fields.iter().map(
        |ty| quote_spanned!(ty.span()=> let () = <#ty as ::secrets_core::Bytes>::LAYOUT_CHECKED;),
    );
    let padding_checks = padding_checks(model);
    // A generic struct's layout is known only once its parameters are: `secrets_core`
    // evaluates `LAYOUT_CHECKED` for the concrete type in every cast to or from bytes. A plain
    // struct is checked here and now.
    let check_now = input.generics.params.is_empty().then(|| {
        quote! {
            const _: () = <#name as ::secrets_core::Bytes>::LAYOUT_CHECKED;
        }
    });
    quote! {
        // SAFETY: `#[derive(Bytes)]` checked that this struct is `#[repr(C)]` or
        // `#[repr(transparent)]`; the bounds below require every field to be `Bytes` (valid for
        // every bit pattern, no padding, no pointers, no interior mutability), so the struct,
        // which holds nothing but its fields, has no pointer or `UnsafeCell` either; and
        // `LAYOUT_CHECKED` asserts at compile time that each field starts where the one before
        // it ends and the last one ends where the struct does (so it has no padding), and that
        // it has no `Drop` glue. Every cast of `secrets_core` between a `Bytes` value and bytes
        // evaluates `LAYOUT_CHECKED` first.
        #[automatically_derived]
        unsafe impl #impl_generics ::secrets_core::Bytes for #name #ty_generics
        where
            #(#predicates,)*
        {
            const LAYOUT_CHECKED: () = {
                #(#field_checks)*
                #(#padding_checks)*
                ::core::assert!(
                    !::core::mem::needs_drop::<Self>(),
                    "#[derive(Bytes)]: this struct has `Drop` glue, but guarded memory is zeroed, \
                     never dropped in place; remove the `Drop` impl",
                );
            };
        }
        // The proof that this impl came from the derive: `Bytes` requires it, so a hand-written
        // `unsafe impl Bytes` fails to compile and is told to use `#[derive(Bytes)]`.
        #[automatically_derived]
        impl #impl_generics ::secrets_core::__private::ImplementedByDeriveBytes
            for #name #ty_generics #where_clause
        {
            fn only_derive_is_allowed_to_implement_this_trait() {}
        }
        #check_now
    }
}

/// One compile-time assertion per place padding could hide: between each pair of fields, and
/// after the last one. Each names the fields, so the user knows where the gap is.
fn padding_checks(model: &Model<'_>) -> Vec<TokenStream> {
    let name = &model.input.ident;
    let text = |member: &Member| match member {
        Member::Named(ident) => ident.to_string(),
        Member::Unnamed(index) => index.index.to_string(),
    };
    let advice = "padding is uninitialised memory, and guarded memory is read as raw bytes; \
                  order the fields from the largest alignment to the smallest, or fill the gap \
                  with an explicit `[u8; N]` field";
    let mut checks = Vec::new();
    let pairs = model.members.iter().zip(&model.fields);
    for ((before, before_ty), after) in pairs.clone().zip(model.members.iter().skip(1)) {
        let message = format!(
            "`#[derive(Bytes)]` on `{name}`: padding bytes between fields `{}` and `{}`; {advice}",
            text(before),
            text(after)
        );
        checks.push(quote! {
            ::core::assert!(
                ::core::mem::offset_of!(Self, #after)
                    == ::core::mem::offset_of!(Self, #before) + ::core::mem::size_of::<#before_ty>(),
                #message,
            );
        });
    }
    let end = match model.members.last().zip(model.fields.last()) {
        Some((last, last_ty)) => {
            quote!(::core::mem::offset_of!(Self, #last) + ::core::mem::size_of::<#last_ty>())
        }
        None => quote!(0),
    };
    let last = model
        .members
        .last()
        .map_or_else(String::new, |m| format!(" `{}`", text(m)));
    let message = format!(
        "`#[derive(Bytes)]` on `{name}`: padding bytes after the last field{last}; {advice}"
    );
    checks.push(quote! {
        ::core::assert!(::core::mem::size_of::<Self>() == #end, #message);
    });
    checks
}
