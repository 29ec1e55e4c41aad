// Misuse: `#[derive(Clone)]` on a `#[derive(Secret)]` type.
// Why it must not compile: a copy of a secret is one more place it can leak from, and one more
// copy to zero; a secret type has exactly one owner.
// Instead: borrow the key where it is needed (`&MasterKey`, `key.borrow()`); if a second,
// independent secret really is wanted, make it with `MasterKey::new(|k| ...)` and copy the
// bytes inside the closure, where both are guarded.

use secrets_core::{Secret, SecretBox};

#[derive(Secret, Clone)]
struct MasterKey(SecretBox<[u8; 32]>);

fn main() {}
