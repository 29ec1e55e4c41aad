//! Round trips, malformed input, and nonce sequences, through the public API only.

use std::collections::HashSet;

use secrets_core::prelude::*;
use secrets_nonce::{
    open, seal, Aes256Gcm, Aes256GcmKey, ChaCha20Poly1305Ietf, ChaCha20Poly1305IetfKey, Error,
    NonceSequence, UnusedNonce, UsedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key, TAG_LEN,
};

#[test]
fn xchacha_round_trips_every_length_around_block_sizes() {
    let key = XChaCha20Poly1305Key::random().unwrap();
    for len in [0, 1, 15, 16, 17, 63, 64, 65, 4095, 4096, 16 * 1024] {
        let mut message = vec![0u8; len];
        message.randomize();
        let (used, sealed) = seal(&key, UnusedNonce::random(), b"aad", &message).unwrap();
        assert_eq!(sealed.len(), len + TAG_LEN);
        // One byte of ciphertext equals its plaintext byte with probability 1/256; sixteen
        // all at once, with probability 2^-128.
        if len >= 16 {
            assert_ne!(
                &sealed[..len],
                &message[..],
                "not encrypted at length {len}"
            );
        }
        let opened = open(&key, &used, b"aad", &sealed).unwrap();
        assert_eq!(&*opened.borrow(), &message[..]);
    }
}

#[test]
fn chacha_round_trips_with_a_sequence() {
    let key = ChaCha20Poly1305IetfKey::random().unwrap();
    let mut nonces = NonceSequence::<ChaCha20Poly1305Ietf>::new();
    let mut stored = Vec::new();
    for i in 0..20u8 {
        let (used, sealed) = seal(&key, nonces.next().unwrap(), &[i], &[i; 40]).unwrap();
        // Store the nonce as bytes beside the ciphertext, as an application would.
        stored.push((used.as_bytes().to_vec(), sealed));
    }
    for (i, (nonce, sealed)) in stored.iter().enumerate() {
        let used = UsedNonce::<ChaCha20Poly1305Ietf>::from_bytes(nonce).unwrap();
        let opened = open(&key, &used, &[i as u8], sealed).unwrap();
        assert_eq!(&*opened.borrow(), &[i as u8; 40]);
    }
}

#[test]
fn aes_gcm_round_trips_where_available() {
    let key = Aes256GcmKey::random().unwrap();
    let mut nonces = NonceSequence::<Aes256Gcm>::new();
    let result = seal(&key, nonces.next().unwrap(), b"", b"payload");
    if Aes256Gcm::is_available() {
        let (used, sealed) = result.unwrap();
        assert_eq!(
            &*open(&key, &used, b"", &sealed).unwrap().borrow(),
            b"payload"
        );
    } else {
        assert_eq!(
            result.unwrap_err(),
            Error::Unavailable {
                algorithm: "AES-256-GCM"
            }
        );
    }
}

#[test]
fn short_and_empty_ciphertexts_are_refused_without_panic() {
    let key = XChaCha20Poly1305Key::random().unwrap();
    let used = UsedNonce::<XChaCha20Poly1305>::from_bytes(&[1; 24]).unwrap();
    for len in 0..TAG_LEN {
        assert_eq!(
            open(&key, &used, b"", &vec![0; len]).unwrap_err(),
            Error::Truncated {
                minimum: TAG_LEN,
                found: len
            }
        );
    }
    // Exactly a tag: an empty message, but a forged tag.
    assert_eq!(
        open(&key, &used, b"", &[0; TAG_LEN]).unwrap_err(),
        Error::Forged
    );
    // Random garbage of many lengths never panics and never authenticates.
    for len in [16, 17, 100, 5000] {
        let mut junk = vec![0u8; len];
        junk.randomize();
        assert_eq!(open(&key, &used, b"", &junk).unwrap_err(), Error::Forged);
    }
}

#[test]
fn a_message_sealed_with_one_algorithm_does_not_open_with_another_key() {
    let key = XChaCha20Poly1305Key::random().unwrap();
    let (used, sealed) = seal(&key, UnusedNonce::random(), b"", b"x").unwrap();
    let other = XChaCha20Poly1305Key::random().unwrap();
    assert_eq!(
        open(&other, &used, b"", &sealed).unwrap_err(),
        Error::Forged
    );
}

#[test]
fn stored_nonces_of_the_wrong_length_are_refused() {
    assert_eq!(
        UsedNonce::<ChaCha20Poly1305Ietf>::from_bytes(&[0; 24]).unwrap_err(),
        Error::NonceLength {
            expected: 12,
            found: 24
        }
    );
}

/// Property: for random prefixes and lengths, a sequence never issues the same nonce twice,
/// issues exactly its limit, and then fails with `Exhausted` every time it is asked.
#[test]
fn sequences_never_repeat_and_stop_at_their_limit() {
    for round in 0..64u64 {
        let mut prefix = [0u8; 4];
        prefix.randomize();
        let mut limit_bytes = [0u8; 2];
        limit_bytes.randomize();
        let limit = u64::from(u16::from_le_bytes(limit_bytes) % 2000) + round;
        let mut sequence =
            NonceSequence::<ChaCha20Poly1305Ietf>::with_prefix(prefix).with_limit(limit);
        let key = ChaCha20Poly1305IetfKey::zero().unwrap();
        let mut seen = HashSet::new();
        while let Ok(nonce) = sequence.next() {
            let (used, _) = seal(&key, nonce, b"", b"").unwrap();
            assert_eq!(&used.as_bytes()[..4], &prefix, "prefix kept");
            assert!(
                seen.insert(used),
                "nonce repeated after {} nonces",
                seen.len()
            );
        }
        assert_eq!(seen.len() as u64, limit);
        assert_eq!(sequence.remaining(), 0);
        for _ in 0..3 {
            assert_eq!(
                sequence.next().unwrap_err(),
                Error::Exhausted { issued: limit }
            );
        }
    }
}

#[test]
fn a_full_sequence_counts_to_the_end_of_the_counter() {
    let mut sequence = NonceSequence::<ChaCha20Poly1305Ietf>::with_prefix(*b"abcd");
    assert_eq!(sequence.remaining(), u64::MAX);
    let first = seal(
        &ChaCha20Poly1305IetfKey::zero().unwrap(),
        sequence.next().unwrap(),
        b"",
        b"",
    )
    .unwrap()
    .0;
    assert_eq!(first.as_bytes(), b"abcd\0\0\0\0\0\0\0\0");
}

#[test]
fn random_nonces_differ() {
    let key = XChaCha20Poly1305Key::random().unwrap();
    let nonces: HashSet<_> = (0..1000)
        .map(|_| seal(&key, UnusedNonce::random(), b"", b"").unwrap().0)
        .collect();
    assert_eq!(nonces.len(), 1000);
}

#[test]
fn errors_say_what_was_wrong_and_debug_shows_no_key() {
    let text = Error::Truncated {
        minimum: 16,
        found: 3,
    }
    .to_string();
    assert!(text.contains("16") && text.contains('3'), "{text}");
    let key = XChaCha20Poly1305Key::new(|k| *k = [0x42; 32]).unwrap();
    assert_eq!(format!("{key:?}"), "XChaCha20Poly1305Key([REDACTED])");
}

#[test]
fn open_into_fills_a_reused_guarded_buffer_and_checks_its_length() {
    use secrets_core::SecretVec;
    use secrets_nonce::{open_into, Sealer};
    let key = XChaCha20Poly1305Key::random().unwrap();
    let sealer = Sealer::new(&key);
    let mut buffer = SecretVec::<u8>::zero(5).unwrap();
    for word in ["alpha", "bravo", "delta"] {
        let (used, sealed) = sealer
            .seal(UnusedNonce::random(), b"", word.as_bytes())
            .unwrap();
        sealer
            .open_into(&used, b"", &sealed, &mut buffer.borrow_mut())
            .unwrap();
        assert_eq!(&*buffer.borrow(), word.as_bytes());
    }
    drop(sealer);
    let (used, mut sealed) = seal(&key, UnusedNonce::random(), b"", b"echo!").unwrap();
    let mut short = [0u8; 4];
    assert_eq!(
        open_into(&key, &used, b"", &sealed, &mut short).unwrap_err(),
        Error::OutputLength {
            expected: 5,
            found: 4
        }
    );
    sealed[0] ^= 1;
    let mut out = [0xAAu8; 5];
    assert_eq!(
        open_into(&key, &used, b"", &sealed, &mut out).unwrap_err(),
        Error::Forged
    );
    assert_eq!(out, [0; 5], "a forged message leaves no plaintext behind");
}

#[test]
fn open_in_pooled_round_trips_short_and_long_messages() {
    use secrets_core::{Dedicated, Pooled, SecretVec};
    use secrets_nonce::{open_in, Sealer};
    let key = XChaCha20Poly1305Key::random().expect("key");
    // Up to 1,024 bytes in a pooled slot; longer plaintexts on dedicated pages.
    for len in [
        0,
        1,
        15,
        16,
        17,
        63,
        64,
        65,
        1023,
        1024,
        1025,
        4096,
        16 * 1024,
    ] {
        let mut message = vec![0u8; len];
        message.randomize();
        let (used, sealed) = seal(&key, UnusedNonce::random(), b"aad", &message).expect("seal");
        let pooled: SecretVec<u8, Pooled> =
            open_in(Pooled, &key, &used, b"aad", &sealed).expect("open_in(Pooled)");
        assert_eq!(&*pooled.borrow(), &message[..], "pooled, length {len}");
        let dedicated: SecretVec<u8, Dedicated> =
            open_in(Dedicated, &key, &used, b"aad", &sealed).expect("open_in(Dedicated)");
        assert_eq!(
            &*dedicated.borrow(),
            &message[..],
            "dedicated, length {len}"
        );
        let batched = Sealer::new(&key)
            .open_in(Pooled, &used, b"aad", &sealed)
            .expect("Sealer::open_in(Pooled)");
        assert_eq!(&*batched.borrow(), &message[..], "sealer, length {len}");
    }
}

#[test]
fn open_in_pooled_refuses_what_open_refuses() {
    use secrets_core::Pooled;
    use secrets_nonce::open_in;
    let key = XChaCha20Poly1305Key::random().expect("key");
    let (used, sealed) =
        seal(&key, UnusedNonce::random(), b"aad", b"sixty-four bytes?").expect("seal");
    for bit in [0, 8 * sealed.len() - 1] {
        let mut forged = sealed.clone();
        forged[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(
            open_in(Pooled, &key, &used, b"aad", &forged).map(|_| ()),
            Err(Error::Forged),
            "bit {bit} flipped"
        );
    }
    assert_eq!(
        open_in(Pooled, &key, &used, b"other aad", &sealed).map(|_| ()),
        Err(Error::Forged)
    );
    assert_eq!(
        open_in(Pooled, &key, &used, b"aad", &sealed[..TAG_LEN - 1]).map(|_| ()),
        Err(Error::Truncated {
            minimum: TAG_LEN,
            found: TAG_LEN - 1
        })
    );
}
