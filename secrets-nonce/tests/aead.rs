//! Round trips, malformed input, and session keys' counters, through the public API only.

use std::collections::HashSet;
use std::sync::Arc;

use secrets_core::prelude::*;
use secrets_nonce::{
    open, seal, Aegis256, Aegis256Key, Aes256Gcm, Algorithm, ChaCha20Poly1305Ietf, Error, Key,
    RandomNonce, SessionKey, UnusedNonce, UsedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key,
};

const TAG_LEN: usize = XChaCha20Poly1305::TAG_LEN;

/// Seals and opens every length around the block sizes with random nonces.
fn random_nonces_round_trip<K: Key + BoxSecret>()
where
    K::Algorithm: RandomNonce,
{
    let key = K::random().unwrap();
    for len in [
        0,
        1,
        15,
        16,
        17,
        31,
        32,
        33,
        63,
        64,
        65,
        4095,
        4096,
        16 * 1024,
    ] {
        let mut message = vec![0u8; len];
        message.randomize();
        let (used, sealed) = seal(&key, UnusedNonce::random(), b"aad", &message).unwrap();
        assert_eq!(sealed.len(), len + K::Algorithm::TAG_LEN);
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
        let wrong_aad = open(&key, &used, b"aae", &sealed).map(|_| ());
        assert_eq!(wrong_aad, Err(Error::Forged), "length {len}");
    }
}

#[test]
fn xchacha_round_trips_every_length_around_block_sizes() {
    random_nonces_round_trip::<XChaCha20Poly1305Key>();
}

#[test]
fn aegis256_round_trips_every_length_around_block_sizes() {
    random_nonces_round_trip::<Aegis256Key>();
    assert_eq!(Aegis256::TAG_LEN, 32);
}

/// A session key seals under nonces 0, 1, 2, ... of its counter, which open after being stored
/// as bytes beside their ciphertexts.
fn session_key_round_trips<A: Algorithm>() {
    let key = SessionKey::<A>::generate().unwrap();
    let mut stored = Vec::new();
    for i in 0..20u8 {
        let (used, sealed) = key.seal(&[i], &[i; 40]).unwrap();
        let mut expected = vec![0u8; used.as_bytes().len()];
        let at = expected.len() - 8;
        expected[at..].copy_from_slice(&u64::from(i).to_be_bytes());
        assert_eq!(used.as_bytes(), &expected[..], "{} nonce {i}", A::NAME);
        // Store the nonce as bytes beside the ciphertext, as an application would.
        stored.push((used.as_bytes().to_vec(), sealed));
    }
    for (i, (nonce, sealed)) in stored.iter().enumerate() {
        let used = UsedNonce::<A>::from_bytes(nonce).unwrap();
        let opened = open(&key, &used, &[i as u8], sealed).unwrap();
        assert_eq!(&*opened.borrow(), &[i as u8; 40]);
    }
    assert_eq!(key.remaining(), u64::MAX - 20);
}

#[test]
fn session_keys_round_trip_with_counted_nonces() {
    session_key_round_trips::<ChaCha20Poly1305Ietf>();
    session_key_round_trips::<XChaCha20Poly1305>();
    session_key_round_trips::<Aegis256>();
    if Aes256Gcm::is_available() {
        session_key_round_trips::<Aes256Gcm>();
    }
}

#[test]
fn two_session_keys_do_not_open_each_others_messages() {
    let (one, two) = (
        SessionKey::<ChaCha20Poly1305Ietf>::generate().unwrap(),
        SessionKey::<ChaCha20Poly1305Ietf>::generate().unwrap(),
    );
    let (used, sealed) = one.seal(b"", b"for one").unwrap();
    let (used_two, _) = two.seal(b"", b"for two").unwrap();
    // Both counters start at 0: the same nonce, under keys that differ.
    assert_eq!(used, used_two);
    assert_eq!(open(&two, &used, b"", &sealed).unwrap_err(), Error::Forged);
}

/// Threads sealing with one shared session key each get nonces of their own.
#[test]
fn threads_sharing_a_session_key_never_share_a_nonce() {
    let key = Arc::new(SessionKey::<ChaCha20Poly1305Ietf>::generate().unwrap());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let key = Arc::clone(&key);
            std::thread::spawn(move || {
                (0..500)
                    .map(|_| key.seal(b"", b"").unwrap().0)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for thread in threads {
        for used in thread.join().unwrap() {
            assert!(seen.insert(used), "nonce {used:?} sealed twice");
        }
    }
    assert_eq!(seen.len(), 2000);
    assert_eq!(key.remaining(), u64::MAX - 2000);
}

/// Property: for random limits, a session key seals exactly its limit, each under a new
/// nonce, and then fails with `Exhausted` every time it is asked.
#[test]
fn session_keys_never_repeat_and_stop_at_their_limit() {
    for round in 0..32u64 {
        let mut limit_bytes = [0u8; 2];
        limit_bytes.randomize();
        let limit = u64::from(u16::from_le_bytes(limit_bytes) % 1000) + round;
        let key = SessionKey::<ChaCha20Poly1305Ietf>::generate()
            .unwrap()
            .with_limit(limit);
        let mut seen = HashSet::new();
        while let Ok((used, _)) = key.seal(b"", b"") {
            assert!(
                seen.insert(used),
                "nonce repeated after {} nonces",
                seen.len()
            );
        }
        assert_eq!(seen.len() as u64, limit);
        assert_eq!(key.remaining(), 0);
        for _ in 0..3 {
            assert_eq!(
                key.seal(b"", b"").unwrap_err(),
                Error::Exhausted { issued: limit }
            );
        }
    }
}

#[test]
fn a_session_key_prints_no_key() {
    let key = SessionKey::<Aegis256>::generate().unwrap();
    key.seal(b"", b"").unwrap();
    assert_eq!(
        format!("{key:?}"),
        format!(
            "SessionKey {{ algorithm: \"AEGIS-256\", storage: \"dedicated\", sealed: 1, limit: {}, .. }}",
            u64::MAX
        )
    );
}

#[test]
fn aes_gcm_round_trips_where_available() {
    let key = SessionKey::<Aes256Gcm>::generate().unwrap();
    let result = key.seal(b"", b"payload");
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

#[test]
fn random_nonces_differ() {
    let key = XChaCha20Poly1305Key::random().unwrap();
    let nonces: HashSet<_> = (0..1000)
        .map(|_| seal(&key, UnusedNonce::random(), b"", b"").unwrap().0)
        .collect();
    assert_eq!(nonces.len(), 1000);
    let key = Aegis256Key::random().unwrap();
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

/// Session keys in pooled and sealed storage seal, open and count as in dedicated storage, and
/// a million of them would not need a locked page each.
#[test]
fn session_keys_rest_in_any_storage() {
    fn round_trip<S: secrets_core::Storage>() {
        let keys: Vec<_> = (0..300)
            .map(|_| SessionKey::<ChaCha20Poly1305Ietf, S>::generate().unwrap())
            .collect();
        for (i, key) in keys.iter().enumerate() {
            let (used, sealed) = key.seal(b"", &[i as u8; 20]).unwrap();
            let (again, _) = key.seal(b"", b"").unwrap();
            assert_ne!(used, again);
            assert_eq!(
                &*open(key, &used, b"", &sealed).unwrap().borrow(),
                &[i as u8; 20]
            );
        }
        assert!(format!("{:?}", keys[0]).contains(S::NAME));
    }
    round_trip::<secrets_core::Pooled>();
    round_trip::<secrets_core::Sealed>();
}
