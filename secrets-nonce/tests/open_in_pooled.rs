//! A forged message opened into pooled storage leaves no slot behind.
//!
//! Alone in its test binary (its own process): it counts the pool's data pages, which no other
//! test may change meanwhile.

use secrets_core::prelude::*;
use secrets_core::{Pooled, SecretVec};
use secrets_nonce::{open_in, seal, Error, UnusedNonce, XChaCha20Poly1305Key};

/// More 64-byte plaintexts than one 4 KiB page has slots for (51 of 80 bytes with the canary):
/// leaving a slot behind for each would take new data pages.
const ATTEMPTS: usize = 200;

fn data_pages() -> usize {
    secrets_core::__private::pool_pages()
        .iter()
        .filter(|(_, role)| *role == "data")
        .count()
}

#[test]
fn a_forged_message_takes_no_pooled_slot() {
    let key = XChaCha20Poly1305Key::random().expect("key");
    let mut message = [0u8; 64];
    message.randomize();
    let (used, sealed) = seal(&key, UnusedNonce::random(), b"aad", &message).expect("seal");
    let mut forged = sealed.clone();
    forged[10] ^= 0x20;

    // One plaintext opened and kept: the domain's first data page exists from here on.
    let first = open_in(Pooled, &key, &used, b"aad", &sealed).expect("open_in(Pooled)");
    let before = data_pages();
    assert!(before >= 1, "no pooled data page for a live plaintext");

    // Control: plaintexts that are kept do take slots, and the count shows it.
    let kept: Vec<SecretVec<u8, Pooled>> = (0..ATTEMPTS)
        .map(|_| open_in(Pooled, &key, &used, b"aad", &sealed).expect("open_in(Pooled)"))
        .collect();
    assert!(
        data_pages() > before,
        "{ATTEMPTS} live pooled plaintexts took no new data page: the count cannot show a leak"
    );
    drop(kept);

    // Emptied pages stay mapped as "empty" (not "data"), so the count returns to `before`.
    assert_eq!(
        data_pages(),
        before,
        "dropped plaintexts still hold data pages"
    );
    for _ in 0..ATTEMPTS {
        assert_eq!(
            open_in(Pooled, &key, &used, b"aad", &forged).map(|_| ()),
            Err(Error::Forged)
        );
    }
    assert_eq!(
        data_pages(),
        before,
        "forged messages left pooled plaintext slots behind"
    );
    assert_eq!(&*first.borrow(), &message[..]);
}
