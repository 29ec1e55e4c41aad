// Misuse: passing a `MasterKey` where a `SessionKey` is wanted, although both hold 32 bytes.
// Why it must not compile: each secret gets a type of its own precisely so that a key cannot be
// used in the role of another (a master key must never encrypt traffic).
// Instead: derive a `SessionKey` from the master key, and pass that.

use secrets_core::prelude::*;

#[derive(Secret)]
struct MasterKey(SecretBox<[u8; 32]>);

#[derive(Secret)]
struct SessionKey(SecretBox<[u8; 32]>);

fn encrypt_traffic(_key: &SessionKey, _message: &[u8]) {}

fn main() {
    let master = MasterKey::random().unwrap();
    encrypt_traffic(&master, b"hello");
}
