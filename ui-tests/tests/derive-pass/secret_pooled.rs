// Secret types choose pooled storage in the type of their field; everything else is as for
// dedicated storage, and subkeys may be derived into them.
use secrets_core::kdf;
use secrets_core::prelude::*;
use secrets_core::Pooled;

/// One of many small secrets.
#[derive(Secret)]
#[secret(description = "a vault item's key")]
struct ItemKey(SecretBox<[u8; 32], Pooled>);

#[derive(Secret)]
struct Note(SecretString<Pooled>);

#[derive(Secret)]
struct Token(SecretVec<u8, Pooled>);

fn main() {
    let master = SecretBox::<[u8; 32]>::random().unwrap();
    let item: ItemKey = kdf::derive_subkey(&master.borrow(), 7, b"items___").unwrap();
    assert_eq!(item.borrow().len(), 32);
    let note = Note::from_bytes(&mut b"call the bank".to_vec()).unwrap();
    assert_eq!(note.len(), 13);
    let token = Token::random(40).unwrap();
    assert_eq!(token.len(), 40);
    let random = ItemKey::random().unwrap();
    assert!(random != item);
    let entry = secrets_core::audit::types()
        .into_iter()
        .find(|t| t.name() == "ItemKey")
        .unwrap();
    assert_eq!(entry.placement(), Some("pooled"));
}
