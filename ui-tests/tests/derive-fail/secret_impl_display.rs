// Misuse: a hand-written `impl Display` for a `#[derive(Secret)]` type.
// Why it must not compile: `Display` is what `{}`, `to_string()` and most logging use; a secret
// type has none, so a secret cannot reach a log, a terminal or a crash report by accident.
// `#[derive(Secret)]` reserves the impl for itself, so a second one conflicts.
// Instead: print a non-secret fact (a key id, a length), or use `{:?}`, which prints
// `ApiToken([REDACTED])`.

use std::fmt;

use secrets_core::prelude::*;

#[derive(Secret)]
struct ApiToken(SecretString);

impl fmt::Display for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.borrow())
    }
}

fn main() {}
