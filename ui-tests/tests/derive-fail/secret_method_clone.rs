// Misuse: calling `.clone()` on a `#[derive(Secret)]` value.
// Why it must not compile: a copy of a secret is one more place it can leak from, and one more
// copy to zero; a secret type has exactly one owner.
// Instead: pass `&MasterKey` (or `key.borrow()`) where the key is needed; if a second,
// independent secret really is wanted, make it with `MasterKey::new(|k| ...)` and copy the
// bytes inside the closure, where both are guarded.

use secrets_core::prelude::*;

#[derive(Secret)]
struct MasterKey(SecretBox<[u8; 32]>);

fn main() {
    let key = MasterKey::random().unwrap();
    let _copy = key.clone();
}
