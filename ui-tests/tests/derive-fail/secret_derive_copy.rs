// Misuse: `#[derive(Copy)]` on a `#[derive(Secret)]` type.
// Why it must not compile: a `Copy` secret would be duplicated silently on every move, and
// each copy would escape zeroing; a secret type has exactly one owner and is zeroed on drop.
// Instead: pass `&SessionKey` where the key is needed.

use secrets_core::{Secret, SecretBox};

#[derive(Secret, Clone, Copy)]
struct SessionKey(SecretBox<[u8; 32]>);

fn main() {}
