// Misuse: an unknown key in `#[secret(...)]` (`foo = ...`).
// Why it must not compile: a misspelt or invented option would otherwise be ignored silently,
// and the reader of the code would believe it had an effect.
// Instead: the only option is `#[secret(description = "...")]`.

use secrets_core::{Secret, SecretBox};

#[derive(Secret)]
#[secret(foo = "bar")]
struct MasterKey(SecretBox<[u8; 32]>);

fn main() {}
