// Misuse: `Debug`, `Clone` and `Copy` derived on a secret type in a `#[derive]` written after
// `#[derive(Secret)]`. Why it must not compile: `Debug` would replace the redacted one, and a
// clone is one more copy of the secret. Instead: rely on the `Debug` that `#[derive(Secret)]`
// gives (`MasterKey([REDACTED])`) and borrow the secret where it is needed. Each offending
// derive is named, at its own span, by `#[derive(Secret)]` itself.

use secrets_core::{Secret, SecretBox};

#[derive(Secret)]
#[derive(Debug, Clone, Copy)]
pub struct MasterKey(SecretBox<[u8; 32]>);

fn main() {}
