// A key derived from a password is a root key: Argon2id's output type must keep it on pages of
// its own, so a sealed secret type is refused.
use secrets_core::kdf::{self, Argon2idParams};
use secrets_core::prelude::*;
use secrets_core::Sealed;

#[derive(Secret)]
struct VaultKey(SecretBox<[u8; 32], Sealed>);

fn main() {
    let salt = [0u8; kdf::SALT_LEN];
    let _key: VaultKey = kdf::argon2id(b"password", &salt, Argon2idParams::OWASP_MINIMUM).unwrap();
}
