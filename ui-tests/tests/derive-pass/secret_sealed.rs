// Secret types choose sealed storage in the type of their field; everything else is as for
// dedicated storage: made, borrowed, rewritten (re-sealed at the end of the `RefMut`), and
// subkeys may be derived into them.
use secrets_core::kdf;
use secrets_core::prelude::*;
use secrets_core::Sealed;

/// One of very many small secrets.
#[derive(Secret)]
#[secret(description = "a session's key")]
struct SessionKey(SecretBox<[u8; 32], Sealed>);

#[derive(Secret)]
struct Token(SecretVec<u8, Sealed>);

fn main() {
    let mut key = SessionKey::new(|k| *k = [7; 32]).unwrap();
    assert_eq!(*key.borrow(), [7; 32]);
    key.borrow_mut()[0] = 9;
    assert_eq!(key.borrow()[..2], [9, 7]);
    let random = SessionKey::random().unwrap();
    assert!(random != key);

    let master = SecretBox::<[u8; 32]>::random().unwrap();
    let derived: SessionKey = kdf::derive_subkey(&master.borrow(), 7, b"sessions").unwrap();
    assert_eq!(derived.borrow().len(), 32);

    let mut token = Token::new(40, |t| t.fill(3)).unwrap();
    assert_eq!(token.len(), 40);
    token.borrow_mut()[39] = 4;
    assert_eq!(token.borrow()[38..], [3, 4]);
    let random = Token::random(40).unwrap();
    assert_eq!(random.borrow().len(), 40);

    let entry = secrets_core::audit::types()
        .into_iter()
        .find(|t| t.name() == "SessionKey")
        .unwrap();
    assert_eq!(entry.placement(), Some("sealed"));
}
