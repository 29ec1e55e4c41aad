//! Seal-side correctness for every algorithm, against implementations that share no code with
//! libsodium: what we seal, they open, and they seal the same bytes from the same key and
//! nonce; what they seal, we open through the public API.
//!
//! | algorithm | independent implementation |
//! |---|---|
//! | XChaCha20-Poly1305 | RustCrypto `chacha20poly1305` (`XChaCha20Poly1305`) |
//! | ChaCha20-Poly1305 (RFC 8439) | RustCrypto `chacha20poly1305` (`ChaCha20Poly1305`) |
//! | AES-256-GCM | RustCrypto `aes-gcm` (`Aes256Gcm`) |
//! | AEGIS-256 | the `aegis` crate with its `pure-rust` feature: Rust only, none of libaegis's C (whose author also wrote libsodium's AEGIS), and software AES unless the build enables the `aes` target feature |
//!
//! Every message length in [`LENGTHS`] (around the 16-byte AES and Poly1305 blocks and the
//! 64-byte ChaCha20 block, up to 16 KiB) is sealed with every associated-data length in
//! [`AAD_LENGTHS`], each under a key of its own, known bytes turned into our key with
//! `from_bytes`.
//!
//! What path our side seals through:
//!
//! * XChaCha20-Poly1305 and AEGIS-256: the public API, `seal(&key, UnusedNonce::random(), ..)`;
//!   the nonce it drew comes back as the `UsedNonce`.
//! * ChaCha20-Poly1305 and AES-256-GCM: their 96-bit nonces are counted, and the public API
//!   seals with counted nonces through a `SessionKey` (whose bytes no one can read, so no
//!   independent implementation could open its output) or a `CounterFile` beside a key of
//!   known bytes. So each case creates a counter file for its key (in a private directory
//!   removed when the test ends, on a panic too), seals `n % 4` messages to move the count
//!   along, then the checked one with `CounterFile::seal`, whose nonce must be counted nonce
//!   `n % 4` (zeros, then the count as 64 big-endian bits, as `SessionKey` counts too:
//!   `session_keys_count_like_counter_files`).
//!
//! The other direction is the public API for every algorithm: the independent implementation
//! seals under a known key and a nonce of pseudo-random bytes, and [`open`] (with the nonce
//! read back by `UsedNonce::from_bytes`) must give the plaintext back, and refuse the same
//! message with one bit of it changed.

#[cfg(unix)]
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use secrets_core::prelude::*;
use secrets_nonce::{
    open, seal, Aegis256, Aegis256Key, Aes256Gcm, Aes256GcmKey, Algorithm, ChaCha20Poly1305Ietf,
    ChaCha20Poly1305IetfKey, CounterFile, CounterKey, Error, Key, RandomNonce, SessionKey,
    UnusedNonce, UsedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key,
};

/// Message lengths: empty, one byte, around one and four 16-byte blocks (one 64-byte ChaCha20
/// block), not a multiple of either, and 16 KiB.
const LENGTHS: [usize; 10] = [0, 1, 15, 16, 17, 63, 64, 65, 1000, 16 * 1024];
/// Associated-data lengths.
const AAD_LENGTHS: [usize; 7] = [0, 1, 15, 16, 17, 64, 1000];
/// Messages each test seals in each direction.
const CASES: usize = LENGTHS.len() * AAD_LENGTHS.len();

/// An independent implementation of one algorithm.
#[derive(Clone, Copy, Debug)]
enum Theirs {
    XChaCha20Poly1305,
    ChaCha20Poly1305,
    Aes256Gcm,
    Aegis256,
}

impl Theirs {
    /// Ciphertext then tag, as ours lays them out.
    fn seal(self, key: &[u8; 32], nonce: &[u8], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let payload = Payload {
            msg: plaintext,
            aad,
        };
        let nonce_of = |len| -> &[u8] {
            assert_eq!(nonce.len(), len, "{self:?} nonce");
            nonce
        };
        match self {
            Theirs::XChaCha20Poly1305 => chacha20poly1305::XChaCha20Poly1305::new(key.into())
                .encrypt(nonce_of(24).try_into().unwrap(), payload)
                .expect("XChaCha20Poly1305::encrypt"),
            Theirs::ChaCha20Poly1305 => chacha20poly1305::ChaCha20Poly1305::new(key.into())
                .encrypt(nonce_of(12).try_into().unwrap(), payload)
                .expect("ChaCha20Poly1305::encrypt"),
            Theirs::Aes256Gcm => aes_gcm::Aes256Gcm::new(key.into())
                .encrypt(nonce_of(12).try_into().unwrap(), payload)
                .expect("Aes256Gcm::encrypt"),
            Theirs::Aegis256 => {
                let nonce: &[u8; 32] = nonce_of(32).try_into().unwrap();
                let (ciphertext, tag) =
                    aegis::aegis256::Aegis256::<32>::new(key, nonce).encrypt(plaintext, aad);
                [ciphertext, tag.to_vec()].concat()
            }
        }
    }

    /// The plaintext, or `None` if `sealed` does not authenticate.
    fn open(self, key: &[u8; 32], nonce: &[u8], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        use aes_gcm::aead::{Aead, KeyInit, Payload};
        let payload = Payload { msg: sealed, aad };
        match self {
            Theirs::XChaCha20Poly1305 => chacha20poly1305::XChaCha20Poly1305::new(key.into())
                .decrypt(nonce.try_into().unwrap(), payload)
                .ok(),
            Theirs::ChaCha20Poly1305 => chacha20poly1305::ChaCha20Poly1305::new(key.into())
                .decrypt(nonce.try_into().unwrap(), payload)
                .ok(),
            Theirs::Aes256Gcm => aes_gcm::Aes256Gcm::new(key.into())
                .decrypt(nonce.try_into().unwrap(), payload)
                .ok(),
            Theirs::Aegis256 => {
                let at = sealed.len().checked_sub(32)?;
                let tag: &[u8; 32] = sealed[at..].try_into().unwrap();
                aegis::aegis256::Aegis256::<32>::new(key, nonce.try_into().unwrap())
                    .decrypt(&sealed[..at], tag, aad)
                    .ok()
            }
        }
    }
}

/// Deterministic bytes (xorshift64*), different for each `seed`: failures reproduce.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

fn key_bytes(seed: u64) -> [u8; 32] {
    bytes(32, seed).try_into().unwrap()
}

/// Our key of type `K` from `bytes` (the copy is zeroed by `from_bytes`).
fn our_key<K: BoxSecret>(bytes: &[u8; 32]) -> K {
    K::from_bytes(&mut bytes.to_vec()).expect("a 32-byte key")
}

/// Nonce `n` of a counter, as `SessionKey` (and `CounterFile`) make it: zeros, then `n` as 64
/// big-endian bits.
fn counted(n: u64) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&n.to_be_bytes());
    nonce
}

/// The nonce a message was sealed with, and the sealed bytes (ciphertext, then tag).
type NonceAndSealed = (Vec<u8>, Vec<u8>);

/// Every case: `seal_ours(key, n, aad, plaintext)` seals (returning the nonce it used and the
/// sealed bytes), `theirs` opens it and seals the same bytes. Returns the cases checked.
fn ours_open_in_theirs(
    theirs: Theirs,
    seed: u64,
    mut seal_ours: impl FnMut(&[u8; 32], u64, &[u8], &[u8]) -> NonceAndSealed,
    tag_len: usize,
) -> usize {
    let mut checked = 0;
    for (i, (len, aad_len)) in cases().enumerate() {
        let case = seed + i as u64;
        let key = key_bytes(case);
        let (plaintext, aad) = (bytes(len, case + 1000), bytes(aad_len, case + 2000));
        let (nonce, sealed) = seal_ours(&key, case, &aad, &plaintext);
        let what = format!("{theirs:?}, message of {len} bytes, associated data {aad_len}");
        assert_eq!(sealed.len(), len + tag_len, "{what}: sealed length");
        let opened = theirs.open(&key, &nonce, &aad, &sealed);
        assert_eq!(
            opened.as_deref(),
            Some(&plaintext[..]),
            "{what}: theirs did not open ours"
        );
        assert_eq!(
            theirs.seal(&key, &nonce, &aad, &plaintext),
            sealed,
            "{what}: other bytes"
        );
        checked += 1;
    }
    checked
}

/// Every case: `theirs` seals under a known key and nonce, ours opens it through the public
/// API, and refuses it with a bit of the sealed bytes changed. Returns the cases checked.
fn theirs_open_in_ours<K: Key + BoxSecret>(theirs: Theirs, seed: u64) -> usize {
    let nonce_len = std::mem::size_of::<<K::Algorithm as Algorithm>::Nonce>();
    let mut checked = 0;
    for (i, (len, aad_len)) in cases().enumerate() {
        let case = seed + i as u64;
        let key = key_bytes(case);
        let (plaintext, aad) = (bytes(len, case + 1000), bytes(aad_len, case + 2000));
        let nonce = bytes(nonce_len, case + 3000);
        let sealed = theirs.seal(&key, &nonce, &aad, &plaintext);
        let what = format!("{theirs:?}, message of {len} bytes, associated data {aad_len}");

        let ours: K = our_key(&key);
        let used = UsedNonce::<K::Algorithm>::from_bytes(&nonce).expect("nonce length");
        let opened = open(&ours, &used, &aad, &sealed).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            &*opened.borrow(),
            &plaintext[..],
            "{what}: ours opened another plaintext"
        );

        let mut forged = sealed.clone();
        forged[len / 2] ^= 0x80;
        assert_eq!(
            open(&ours, &used, &aad, &forged).unwrap_err(),
            Error::Forged,
            "{what}: ours opened a changed message"
        );
        checked += 1;
    }
    checked
}

/// Every (message length, associated-data length) pair.
fn cases() -> impl Iterator<Item = (usize, usize)> {
    LENGTHS
        .into_iter()
        .flat_map(|len| AAD_LENGTHS.into_iter().map(move |aad_len| (len, aad_len)))
}

/// `seal(&key, UnusedNonce::random(), ..)` through the public API, with `K` from the key bytes.
fn public_seal<K>(key: &[u8; 32], _: u64, aad: &[u8], plaintext: &[u8]) -> NonceAndSealed
where
    K: Key + BoxSecret,
    K::Algorithm: RandomNonce,
{
    let ours: K = our_key(key);
    let (used, sealed) = seal(&ours, UnusedNonce::random(), aad, plaintext).expect("seal");
    (used.as_bytes().to_vec(), sealed)
}

/// A directory of this process's own, removed when dropped (on a panic too).
struct PrivateDir(PathBuf);

impl PrivateDir {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("secrets-independent-{}-{name}", std::process::id()));
        // Owner-only on POSIX; on Windows the temporary directory is the user's own.
        #[cfg(unix)]
        let created = std::fs::DirBuilder::new().mode(0o700).create(&path);
        #[cfg(not(unix))]
        let created = std::fs::DirBuilder::new().create(&path);
        created.expect("a private directory");
        PrivateDir(path)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Case `n` sealed through a new `CounterFile` of the key (in `dir`), after `n % 4` messages
/// that move its count along: the checked message must get counted nonce `n % 4`.
fn counter_seal<K: CounterKey + BoxSecret>(
    dir: &Path,
) -> impl FnMut(&[u8; 32], u64, &[u8], &[u8]) -> NonceAndSealed + '_ {
    move |key, n, aad, plaintext| {
        let ours: K = our_key(key);
        let mut counter = CounterFile::create(dir.join(format!("{n}.counter")), &ours)
            .expect("CounterFile::create")
            .with_block(1);
        for _ in 0..n % 4 {
            counter.seal(b"", b"earlier").expect("CounterFile::seal");
        }
        let (used, sealed) = counter.seal(aad, plaintext).expect("CounterFile::seal");
        assert_eq!(used.as_bytes(), counted(n % 4), "the counter's nonce");
        (used.as_bytes().to_vec(), sealed)
    }
}

#[test]
fn xchacha20_poly1305_agrees_with_rustcrypto() {
    let theirs = Theirs::XChaCha20Poly1305;
    let tag_len = XChaCha20Poly1305::TAG_LEN;
    let seal_ours = public_seal::<XChaCha20Poly1305Key>;
    assert_eq!(
        ours_open_in_theirs(theirs, 1 << 20, seal_ours, tag_len),
        CASES
    );
    assert_eq!(
        theirs_open_in_ours::<XChaCha20Poly1305Key>(theirs, 2 << 20),
        CASES
    );
}

#[test]
fn aegis256_agrees_with_the_pure_rust_aegis_crate() {
    let theirs = Theirs::Aegis256;
    let seal_ours = public_seal::<Aegis256Key>;
    assert_eq!(
        ours_open_in_theirs(theirs, 3 << 20, seal_ours, Aegis256::TAG_LEN),
        CASES
    );
    assert_eq!(theirs_open_in_ours::<Aegis256Key>(theirs, 4 << 20), CASES);
}

#[test]
fn chacha20_poly1305_agrees_with_rustcrypto() {
    let theirs = Theirs::ChaCha20Poly1305;
    let dir = PrivateDir::new("chacha");
    let seal_ours = counter_seal::<ChaCha20Poly1305IetfKey>(&dir.0);
    let tag_len = ChaCha20Poly1305Ietf::TAG_LEN;
    assert_eq!(
        ours_open_in_theirs(theirs, 5 << 20, seal_ours, tag_len),
        CASES
    );
    assert_eq!(
        theirs_open_in_ours::<ChaCha20Poly1305IetfKey>(theirs, 6 << 20),
        CASES
    );
}

#[test]
fn aes256_gcm_agrees_with_rustcrypto() {
    let theirs = Theirs::Aes256Gcm;
    if !Aes256Gcm::is_available() {
        let key: Aes256GcmKey = our_key(&key_bytes(7));
        let used = UsedNonce::<Aes256Gcm>::from_bytes(&counted(0)).unwrap();
        let sealed = theirs.seal(&key_bytes(7), &counted(0), b"", b"message");
        assert_eq!(
            open(&key, &used, b"", &sealed).unwrap_err(),
            Error::Unavailable {
                algorithm: "AES-256-GCM"
            }
        );
        println!("AES-256-GCM is not available on this CPU: only its refusal was checked");
        return;
    }
    let dir = PrivateDir::new("aes-gcm");
    let seal_ours = counter_seal::<Aes256GcmKey>(&dir.0);
    let tag_len = Aes256Gcm::TAG_LEN;
    assert_eq!(
        ours_open_in_theirs(theirs, 7 << 20, seal_ours, tag_len),
        CASES
    );
    assert_eq!(theirs_open_in_ours::<Aes256GcmKey>(theirs, 8 << 20), CASES);
}

/// A `SessionKey` counts its nonces as a `CounterFile` does (so what these tests check of the
/// counter's nonces holds for session keys' too, whose output no other implementation can open).
#[test]
fn session_keys_count_like_counter_files() {
    fn check<A: Algorithm>() {
        let key = SessionKey::<A>::generate().expect("SessionKey::generate");
        for n in 0..3 {
            let (used, sealed) = key.seal(b"aad", b"message").expect("SessionKey::seal");
            assert_eq!(used.as_bytes(), counted(n), "{} nonce {n}", A::NAME);
            assert_eq!(
                &*open(&key, &used, b"aad", &sealed).unwrap().borrow(),
                b"message"
            );
        }
    }
    check::<ChaCha20Poly1305Ietf>();
    if Aes256Gcm::is_available() {
        check::<Aes256Gcm>();
    }
}
