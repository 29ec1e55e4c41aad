// Supported: `#[derive(Secret)]` on types and fields named with raw identifiers (`r#type`,
// `r#struct { r#fn: .. }`, even `r#SecretBox` for the storage) and with non-ASCII names. The
// derive builds identifiers and texts from the name, so each of these must expand, and the
// redacted `Debug` must print the name as a person would write it (without `r#`).

#![allow(non_camel_case_types)]

use secrets_core::prelude::*;

#[derive(Secret)]
pub struct r#type(SecretBox<[u8; 32]>);

#[derive(Secret)]
pub struct r#struct {
    r#fn: SecretVec<u8>,
}

#[derive(Secret)]
pub struct r#Key(secrets_core::r#SecretBox<[u8; 16]>);

#[derive(Secret)]
pub struct Schlüssel(SecretString);

// Two types whose names differ only in case, in one module: the derive's generated
// identifiers must not collide.
#[derive(Secret)]
pub struct Token(SecretString);

#[derive(Secret)]
pub struct TOKEN(SecretString);

fn main() -> Result<(), secrets_core::Error> {
    let key = r#type::random()?;
    assert_eq!(format!("{key:?}"), "type([REDACTED])");
    assert!(key == r#type::from_inner(SecretBox::new(|k| *k = *key.borrow())?));

    let named = r#struct::zero(3)?;
    assert_eq!(named.len(), 3);
    assert_eq!(format!("{named:?}"), "struct([REDACTED])");

    let plain = r#Key::zero()?;
    assert_eq!(format!("{plain:?}"), "Key([REDACTED])");

    let text = Schlüssel::from_string(&mut "geheim".to_owned())?;
    assert_eq!(format!("{text:?}"), "Schlüssel([REDACTED])");

    let _ = (Token::from_string(&mut "a".to_owned())?, TOKEN::from_string(&mut "b".to_owned())?);
    Ok(())
}
