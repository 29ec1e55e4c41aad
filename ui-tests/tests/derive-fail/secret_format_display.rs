// Misuse: formatting a `#[derive(Secret)]` value with `{}` (`format!`, `println!`, logging).
// Why it must not compile: printing a secret puts it in logs, terminals and crash reports.
// Instead: print a non-secret fact (a key id, a length); `{:?}` prints `MasterKey([REDACTED])`.

use secrets_core::prelude::*;

#[derive(Secret)]
struct MasterKey(SecretBox<[u8; 32]>);

fn main() {
    let key = MasterKey::random().unwrap();
    let _ = format!("{}", key);
}
