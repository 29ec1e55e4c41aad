//! What secret containers refuse to do, with compile errors that say why.
//!
//! A container that simply lacked `Clone` or `Display` would get rustc's generic "trait not
//! implemented" error. Instead each has an impl that can never apply, because its `where`
//! clause asks for a trait that nothing implements and whose `on_unimplemented` message tells
//! the user what to do. `#[derive(Clone)]` on a struct holding a `SecretBox`, `.clone()` and
//! `format!("{}", secret)` all fail with that message.
//!
//! The bodies of these impls can never run (their bounds never hold); they delegate to the
//! redacted `Debug` so that even then nothing secret could be produced.

use std::fmt;

use crate::{Bytes, Secret, SecretBox, SecretString, SecretVec};

mod sealed {
    /// Not nameable outside this module, so the traits below cannot be implemented anywhere.
    pub trait Sealed {}
}

/// Never implemented: a bound on `Clone` for secret types.
#[diagnostic::on_unimplemented(
    message = "secret types cannot be duplicated: they have no `Clone` and no `Copy`",
    label = "a copy of a secret is one more place it can leak from",
    note = "borrow it where it is needed (`.borrow()`), or pass a reference to the container",
    note = "if a second, independent secret really is wanted, make one with `::new(|v| ...)` \
            and copy the bytes inside the closure, where both are guarded"
)]
pub trait SecretsCannotBeCloned: sealed::Sealed {}

/// Never implemented: a bound on `Display` for secret types.
#[diagnostic::on_unimplemented(
    message = "secret types cannot be printed: they have no `Display`",
    label = "printing a secret puts it in logs, terminals and crash reports",
    note = "`Debug` formatting prints the type name and `[REDACTED]`; to show something about a \
            secret, print a non-secret fact (its length, a key id), never its bytes"
)]
pub trait SecretsCannotBePrinted: sealed::Sealed {}

macro_rules! refuse {
    ($({$($generics:tt)*} $ty:ty),* $(,)?) => {
        $(
            impl<'a, $($generics)*> Clone for $ty
            where
                &'a $ty: SecretsCannotBeCloned,
            {
                fn clone(&self) -> Self {
                    refused("Clone")
                }
            }

            impl<$($generics)*> $ty {
                /// Refused: found before `Clone::clone`, so `secret.clone()` reports why.
                #[doc(hidden)]
                #[allow(clippy::should_implement_trait)] // it is the refusal of that trait
                pub fn clone<'a>(&'a self) -> Self
                where
                    &'a $ty: SecretsCannotBeCloned,
                {
                    refused("Clone")
                }
            }

            impl<'a, $($generics)*> fmt::Display for $ty
            where
                &'a $ty: SecretsCannotBePrinted,
            {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    fmt::Debug::fmt(self, f)
                }
            }
        )*
    };
}

refuse! {
    {T: Bytes} Secret<T>,
    {T: Bytes} SecretBox<T>,
    {T: Bytes} SecretVec<T>,
    {} SecretString,
}

/// The `where` clauses above never hold, so this is never called.
fn refused(what: &str) -> ! {
    panic!("secrets: {what} is refused for secret types and cannot be reached")
}
