// Supported: both derives inside a module with `#![no_implicit_prelude]`, where `Option`,
// `Result`, `Drop` and the rest of the prelude are not in scope. The generated code names
// every item by its absolute path, so it must not depend on what the user imported.

mod keys {
    #![no_implicit_prelude]

    use ::secrets_core::{Bytes, Secret, SecretBox, SecretString, SecretVec};

    #[derive(Bytes)]
    #[repr(C)]
    pub struct KeyPair {
        pub public: [u8; 32],
        pub secret: [u8; 32],
    }

    #[derive(Bytes)]
    #[repr(C)]
    pub struct Pair<T> {
        pub a: T,
        pub b: T,
    }

    #[derive(Secret)]
    #[secret(description = "a signing key pair")]
    pub struct SigningKey(SecretBox<KeyPair>);

    #[derive(Secret)]
    pub struct Seed {
        bytes: SecretVec<u8>,
    }

    #[derive(Secret)]
    pub struct Passphrase(SecretString);

    #[derive(Secret)]
    pub struct Shares(SecretBox<Pair<u64>>);
}

// The methods come from `secrets_core`'s traits, not from the derive.
use secrets_core::prelude::*;

fn main() -> Result<(), secrets_core::Error> {
    let key = keys::SigningKey::new(|k| k.secret = [1; 32])?;
    assert_eq!(key.borrow().secret[0], 1);
    assert_eq!(format!("{key:?}"), "SigningKey([REDACTED])");
    assert_eq!(keys::Seed::random(16)?.len(), 16);
    let _ = keys::Passphrase::from_string(&mut "hunter2".to_owned())?;
    let _ = keys::Shares::zero()?;
    Ok(())
}
