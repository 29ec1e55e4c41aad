//! Known answers and tamper checks that need a nonce with chosen bytes (only this module can
//! make one: `UnusedNonce::for_known_answer_test` exists only under `cfg(test)`).

use secrets_core::prelude::*;

use crate::{
    open, seal, Aegis256, Aegis256Key, ChaCha20Poly1305Ietf, ChaCha20Poly1305IetfKey, Error,
    UnusedNonce, UsedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key,
};

fn unhex(text: &str) -> Vec<u8> {
    let text: String = text.split_whitespace().collect();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

const KEY: &str = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
const AAD: &str = "50515253c0c1c2c3c4c5c6c7";
const SUNSCREEN: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you \
only one tip for the future, sunscreen would be it.";

/// RFC 8439, section 2.8.2.
const RFC8439_NONCE: &str = "070000004041424344454647";
const RFC8439_SEALED: &str = "
    d31a8d34648e60db7b86afbc53ef7ec2 a4aded51296e08fea9e2b5a736ee62d6
    3dbea45e8ca9671282fafb69da92728b 1a71de0a9e060b2905d6a5b67ecd3b36
    92ddbd7f2d778b8c9803aee328091b58 fab324e4fad675945585808b4831d7bc
    3ff4def08e4b7a9de576d26586cec64b 6116
    1ae10b594f09e26a7e902ecbd0600691";

/// draft-irtf-cfrg-xchacha-03, appendix A.3.1.
const XCHACHA_NONCE: &str = "404142434445464748494a4b4c4d4e4f5051525354555657";
const XCHACHA_SEALED: &str = "
    bd6d179d3e83d43b9576579493c0e939 572a1700252bfaccbed2902c21396cbb
    731c7f1b0b4aa6440bf3a82f4eda7e39 ae64c6708c54c216cb96b72e1213b452
    2f8c9ba40db5d945b11b69b982c1bb9e 3f3fac2bc369488f76b2383565d3fff9
    21f9664c97637da9768812f615c68b13 b52e
    c0875924c1c7987947deafd8780acf49";

fn chacha_key() -> ChaCha20Poly1305IetfKey {
    ChaCha20Poly1305IetfKey::from_bytes(&mut unhex(KEY)).expect("key")
}

fn xchacha_key() -> XChaCha20Poly1305Key {
    XChaCha20Poly1305Key::from_bytes(&mut unhex(KEY)).expect("key")
}

fn nonce<const N: usize>(text: &str) -> [u8; N] {
    unhex(text).try_into().expect("nonce length")
}

#[test]
fn rfc8439_known_answer() {
    let key = chacha_key();
    let nonce = UnusedNonce::<ChaCha20Poly1305Ietf>::for_known_answer_test(nonce(RFC8439_NONCE));
    let (used, sealed) = seal(&key, nonce, &unhex(AAD), SUNSCREEN).unwrap();
    assert_eq!(sealed, unhex(RFC8439_SEALED));
    let opened = open(&key, &used, &unhex(AAD), &sealed).unwrap();
    assert_eq!(&*opened.borrow(), SUNSCREEN);
}

#[test]
fn xchacha_draft_known_answer() {
    let key = xchacha_key();
    let nonce = UnusedNonce::<XChaCha20Poly1305>::for_known_answer_test(nonce(XCHACHA_NONCE));
    let (used, sealed) = seal(&key, nonce, &unhex(AAD), SUNSCREEN).unwrap();
    assert_eq!(sealed, unhex(XCHACHA_SEALED));
    let opened = open(&key, &used, &unhex(AAD), &sealed).unwrap();
    assert_eq!(&*opened.borrow(), SUNSCREEN);
}

/// Every single-bit change of ciphertext, tag, nonce or associated data is refused.
fn every_bit_flip_is_refused<const N: usize>(
    open_with: impl Fn(&[u8; N], &[u8], &[u8]) -> Result<Vec<u8>, Error>,
    nonce: [u8; N],
    aad: &[u8],
    sealed: &[u8],
) {
    assert_eq!(open_with(&nonce, aad, sealed).unwrap(), SUNSCREEN);
    let mut tried = 0;
    for i in 0..sealed.len() * 8 {
        let mut bad = sealed.to_vec();
        bad[i / 8] ^= 1 << (i % 8);
        assert_eq!(
            open_with(&nonce, aad, &bad),
            Err(Error::Forged),
            "ciphertext bit {i}"
        );
        tried += 1;
    }
    for i in 0..N * 8 {
        let mut bad = nonce;
        bad[i / 8] ^= 1 << (i % 8);
        assert_eq!(
            open_with(&bad, aad, sealed),
            Err(Error::Forged),
            "nonce bit {i}"
        );
        tried += 1;
    }
    for i in 0..aad.len() * 8 {
        let mut bad = aad.to_vec();
        bad[i / 8] ^= 1 << (i % 8);
        assert_eq!(
            open_with(&nonce, &bad, sealed),
            Err(Error::Forged),
            "aad bit {i}"
        );
        tried += 1;
    }
    assert_eq!(tried, (sealed.len() + N + aad.len()) * 8);
}

#[test]
fn chacha_refuses_every_bit_flip() {
    let key = chacha_key();
    every_bit_flip_is_refused(
        |nonce: &[u8; 12], aad, sealed| {
            let nonce = UsedNonce::<ChaCha20Poly1305Ietf>::from_bytes(nonce)?;
            Ok(open(&key, &nonce, aad, sealed)?.borrow().to_vec())
        },
        nonce(RFC8439_NONCE),
        &unhex(AAD),
        &unhex(RFC8439_SEALED),
    );
}

#[test]
fn xchacha_refuses_every_bit_flip() {
    let key = xchacha_key();
    every_bit_flip_is_refused(
        |nonce: &[u8; 24], aad, sealed| {
            let nonce = UsedNonce::<XChaCha20Poly1305>::from_bytes(nonce)?;
            Ok(open(&key, &nonce, aad, sealed)?.borrow().to_vec())
        },
        nonce(XCHACHA_NONCE),
        &unhex(AAD),
        &unhex(XCHACHA_SEALED),
    );
}

#[test]
fn aegis256_refuses_every_bit_flip() {
    let key = Aegis256Key::from_bytes(&mut unhex(KEY)).expect("key");
    let nonce: [u8; 32] = std::array::from_fn(|i| i as u8);
    let sealing = UnusedNonce::<Aegis256>::for_known_answer_test(nonce);
    let (_, sealed) = seal(&key, sealing, &unhex(AAD), SUNSCREEN).unwrap();
    assert_eq!(sealed.len(), SUNSCREEN.len() + 32);
    every_bit_flip_is_refused(
        |nonce: &[u8; 32], aad, sealed| {
            let nonce = UsedNonce::<Aegis256>::from_bytes(nonce)?;
            Ok(open(&key, &nonce, aad, sealed)?.borrow().to_vec())
        },
        nonce,
        &unhex(AAD),
        &sealed,
    );
}

#[test]
fn counted_nonces_are_the_count_in_their_last_eight_bytes() {
    let twelve = UnusedNonce::<ChaCha20Poly1305Ietf>::counted(0x0102_0304_0506_0708).into_used();
    assert_eq!(twelve.as_bytes(), [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    let last = UnusedNonce::<Aegis256>::counted(u64::MAX).into_used();
    assert_eq!(&last.as_bytes()[..24], &[0; 24]);
    assert_eq!(&last.as_bytes()[24..], &[0xff; 8]);
}

#[test]
fn wrong_key_is_refused() {
    let other = XChaCha20Poly1305Key::from_inner(SecretBox::random().unwrap());
    let nonce = UsedNonce::<XChaCha20Poly1305>::from_bytes(&unhex(XCHACHA_NONCE)).unwrap();
    assert_eq!(
        open(&other, &nonce, &unhex(AAD), &unhex(XCHACHA_SEALED)).unwrap_err(),
        Error::Forged
    );
}
