// Misuse: `#[derive(Debug)]` beside `#[derive(Secret)]`.
// Why it must not compile: `#[derive(Secret)]` already implements `Debug`, printing only
// `MasterKey([REDACTED])`; a derived `Debug` would print the field, and rustc refuses two impls
// of one trait.
// Instead: remove `Debug` from the derive list; `{:?}` already prints `MasterKey([REDACTED])`.

use secrets_core::{Secret, SecretBox};

#[derive(Secret, Debug)]
struct MasterKey(SecretBox<[u8; 32]>);

fn main() {}
