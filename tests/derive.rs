//! `#[derive(Bytes)]` and `#[derive(Secret)]` at run time: constant-time equality, redacted
//! `Debug`, the constructors of each kind (from `secrets_core::prelude`), the audit registry
//! and live counts.

use secrets_core::audit;
use secrets_core::prelude::*;

/// The master key of a vault.
#[derive(Secret)]
#[secret(description = "the vault's master key")]
pub struct MasterKey(SecretBox<[u8; 32]>);

#[derive(Secret)]
pub struct SessionKey {
    key: SecretBox<[u8; 32]>,
}

#[derive(Secret)]
pub struct Seed(SecretVec<u8>);

#[derive(Secret)]
pub struct Passphrase(SecretString);

#[derive(Bytes, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct KeyPair {
    public: [u8; 32],
    secret: [u8; 32],
    counter: u64,
}

#[derive(Bytes, Clone, Copy)]
#[repr(C)]
pub struct Pair<T> {
    a: T,
    b: T,
}

#[derive(Secret)]
pub struct Keys(SecretBox<KeyPair>);

#[test]
fn bytes_derive_stores_a_struct() {
    let mut keys = Keys::new(|k| {
        k.public = [1; 32];
        k.counter = 7;
    })
    .unwrap();
    keys.borrow_mut().secret[0] = 9;
    let pair = keys.borrow();
    assert_eq!(pair.public, [1; 32]);
    assert_eq!(pair.secret[0], 9);
    assert_eq!(pair.counter, 7);
    let generic = SecretBox::<Pair<u64>>::new(|p| *p = Pair { a: 1, b: 2 }).unwrap();
    assert_eq!(generic.borrow().b, 2);
    let same = Pair { a: 5u32, b: 6 };
    assert!(same.constant_eq(&Pair { a: 5, b: 6 }));
    Secret::<Pair<u16>>::zero(|p| assert_eq!(p.a + p.b, 0)).unwrap();
}

/// With every trait of the prelude in scope, each kind finds its own constructors: the blanket
/// impls of `BoxSecret`, `VecSecret` and `StringSecret` apply only to their own storage.
#[test]
fn each_kind_resolves_its_own_methods_with_every_trait_in_scope() {
    let key = MasterKey::random().unwrap();
    let seed = Seed::random(64).unwrap();
    let words = Seed::from_bytes(&mut [1, 2, 3]).unwrap();
    let pass = Passphrase::from_bytes(&mut b"pw".to_vec()).unwrap();
    let session = SessionKey::from_bytes(&mut [4; 32]).unwrap();
    assert_eq!(key.borrow().len(), 32);
    assert_eq!(seed.len(), 64);
    assert_eq!(words.len(), 3);
    assert_eq!(pass.len(), 2);
    assert_eq!(session.expose(|k| k[31]), 4);
    let same = MasterKey::from_inner(SecretBox::new(|k| *k = *key.borrow()).unwrap());
    assert_eq!(same, key);
    // The containers are secret types too (so `kdf` can return them); their own methods win.
    assert_eq!(SecretVec::<u8>::random(3).unwrap().len(), 3);
    assert_eq!(
        SecretString::from_bytes(&mut b"abc".to_vec())
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn secret_eq_is_over_the_bytes() {
    let a = MasterKey::new(|k| *k = [5; 32]).unwrap();
    let b = MasterKey::new(|k| *k = [5; 32]).unwrap();
    let mut first = [5; 32];
    first[0] = 6;
    let c = MasterKey::new(|k| *k = first).unwrap();
    let mut last = [5; 32];
    last[31] = 6;
    let d = MasterKey::new(|k| *k = last).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, d);
}

#[test]
fn debug_is_redacted() {
    let key = MasterKey::new(|k| *k = [0xAB; 32]).unwrap();
    let text = format!("{key:?} {:?}", SessionKey::random().unwrap());
    assert_eq!(text, "MasterKey([REDACTED]) SessionKey([REDACTED])");
    assert!(!text.contains("171") && !text.to_lowercase().contains("ab"));
}

#[test]
fn audit_lists_the_types_and_counts_live_instances() {
    let types = audit::types();
    let master = types
        .iter()
        .find(|t| t.name() == "MasterKey")
        .expect("MasterKey registered");
    assert_eq!(master.path(), "derive::MasterKey");
    assert_eq!(master.storage(), "SecretBox<[u8; 32]>");
    assert_eq!(master.size(), Some(32));
    assert_eq!(master.description(), Some("the vault's master key"));
    assert_eq!(master.placement(), Some("dedicated"));
    let seed = types.iter().find(|t| t.name() == "Seed").expect("Seed");
    assert_eq!(seed.size(), None);
    let pass = types
        .iter()
        .find(|t| t.name() == "Passphrase")
        .expect("Passphrase");
    let before = pass.live();
    let p = Passphrase::from_string(&mut "hunter2".to_owned()).unwrap();
    assert_eq!(pass.live(), before + 1);
    drop(p);
    assert_eq!(pass.live(), before);
    println!("{}", audit::table());
}

#[test]
fn allowlist_catches_unlisted_and_missing_types() {
    let all =
        "derive::Keys\nderive::MasterKey\nderive::Passphrase\nderive::Seed\nderive::SessionKey\n";
    audit::check_allowlist(all).unwrap();
    let err = audit::check_allowlist("derive::MasterKey # reviewed\nderive::Gone\n").unwrap_err();
    assert!(err.unlisted.contains(&"derive::SessionKey".to_owned()));
    assert_eq!(err.missing, vec!["derive::Gone".to_owned()]);
    assert!(err.to_string().contains("derive::Gone"));
}
