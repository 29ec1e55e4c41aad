// Supported: `#[derive(Secret)]` on tuple and named newtypes over each kind of guarded storage
// (`SecretBox<T>`, `SecretVec<T>`, `SecretString`), written with or without a path; the
// methods `secrets_core::prelude` brings for each kind (constructors, borrows, `expose`), and
// the constant-time `==` and redacted `Debug` the derive writes.

use secrets_core::prelude::*;

#[derive(Secret)]
pub struct MasterKey(SecretBox<[u8; 32]>);

#[derive(Secret)]
pub struct SessionKey {
    key: secrets_core::SecretBox<[u8; 32]>,
}

#[derive(Secret)]
pub struct Seed(SecretVec<u8>);

#[derive(Secret)]
pub struct Shares {
    words: SecretVec<u64>,
}

#[derive(Secret)]
pub struct Passphrase(SecretString);

#[derive(Secret)]
pub struct ApiToken {
    token: ::secrets_core::SecretString,
}

fn main() -> Result<(), secrets_core::Error> {
    let mut master = MasterKey::new(|k| *k = [7; 32])?;
    master.borrow_mut()[0] = 8;
    assert_eq!(master.borrow()[0], 8);
    assert!(master != MasterKey::zero()?);
    assert_eq!(format!("{master:?}"), "MasterKey([REDACTED])");
    let _ = MasterKey::from_inner(SecretBox::random()?);
    let _ = MasterKey::from_bytes(&mut [1; 32])?;

    let session = SessionKey::random()?;
    let first = session.expose(|k| k[0]);
    let _ = first;
    let _ = SessionKey::try_new(|k| {
        k[31] = 1;
        Ok::<(), secrets_core::Error>(())
    })?;

    let seed = Seed::random(64)?;
    assert_eq!(seed.len(), 64);
    let mut shares = Shares::zero(4)?;
    shares.expose_mut(|w| w[3] = 9);
    assert_eq!(shares.borrow()[3], 9);
    assert!(!shares.is_empty());

    let passphrase = Passphrase::from_string(&mut "correct horse".to_owned())?;
    assert_eq!(passphrase.len(), 13);
    let token = ApiToken::from_bytes(&mut *b"tok_123".to_vec())?;
    assert_eq!(&*token.borrow(), "tok_123");
    assert_eq!(format!("{token:?}"), "ApiToken([REDACTED])");
    Ok(())
}
