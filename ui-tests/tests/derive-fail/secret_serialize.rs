// Misuse: serializing a `#[derive(Secret)]` value.
// Why it must not compile: the secret's bytes would be copied into ordinary memory and into
// wherever the output goes.
// Instead: store it as a key file with `store(path)`, or seal it with `secrets-nonce`.

use secrets_core::prelude::*;

#[derive(Secret)]
struct MasterKey(SecretBox<[u8; 32]>);

fn main() {
    let key = MasterKey::random().unwrap();
    let _ = serde_json::to_vec(&key);
}
