// A key derived from a password is a root key: Argon2id's output type must keep it on pages of
// its own, so a pooled secret type is refused.
use secrets_core::kdf::{self, Argon2idParams};
use secrets_core::prelude::*;
use secrets_core::Pooled;

#[derive(Secret)]
struct VaultKey(SecretBox<[u8; 32], Pooled>);

fn main() {
    let salt = [0u8; kdf::SALT_LEN];
    let _key: VaultKey = kdf::argon2id(b"password", &salt, Argon2idParams::OWASP_MINIMUM).unwrap();
}
