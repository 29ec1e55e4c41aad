//! libsodium leaves secrets in dead stack frames: BLAKE2b's final block (the key that
//! `crypto_kdf_derive_from_key` and `crypto_pwhash` derive), AES-256-GCM's last partial
//! plaintext block (also when the tag does not verify), ChaCha20's keystream and plaintext
//! blocks. `secrets-core` zeroes the stack below each such call (`sodium_stackzero`); these
//! tests search the process's ordinary writable memory ([`find_in_ordinary_memory`]) for what
//! each call would leave, after our API made it.
//!
//! Each test runs in a child and first makes the same libsodium call directly, without the
//! scrub (the control), into guarded memory, and must find what it left: so the search sees
//! dead frames where they are, and a missing scrub cannot pass for a clean stack. Control and
//! checked call use different secrets, so a control residue cannot be mistaken for the other.
//! Both calls run [`below`] the test's frame, so the search's own calls do not overwrite what
//! they left.
//!
//! The last test measures how deep each libsodium call writes below its caller, and fails if
//! any goes deeper than the scrub zeroes after it (`secrets_core`'s `scrub` sizes).

// Linux-only: scans dead stack frames through /proc/self/mem.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::hint::black_box;
use std::os::unix::fs::FileExt;

use libsodium_sys as ffi;
use secrets_core::__private::aead::{self, scrub, Algorithm as Raw};
use secrets_core::kdf::{self, Argon2idParams};
use secrets_core::prelude::*;
use secrets_integration_tests::in_child;
use secrets_integration_tests::scan::{below, find_in_ordinary_memory, Needle};
use secrets_nonce::{
    open, seal, Aegis256, Aegis256Key, Aes256Gcm, Aes256GcmKey, Algorithm, ChaCha20Poly1305Ietf,
    ChaCha20Poly1305IetfKey, Key, SessionKey, UnusedNonce, UsedNonce, XChaCha20Poly1305,
    XChaCha20Poly1305Key,
};

/// Runs `body` in a child (see [`in_child`]), shows what it printed, and requires it to pass.
fn run(test: &str, body: impl FnOnce()) {
    let outcome = in_child(test, body);
    println!("{}", outcome.stdout);
    outcome.assert_success();
}

fn init() {
    // SAFETY: takes no arguments; idempotent and thread-safe.
    assert!(unsafe { ffi::sodium_init() } >= 0, "sodium_init");
}

/// Panics unless the control's residue is found, and says where.
#[track_caller]
fn control_found(what: &str, needle: &Needle) {
    match find_in_ordinary_memory(needle) {
        Some(hit) => println!(
            "control: {what} found at {:#x} in {}",
            hit.address, hit.mapping
        ),
        None => panic!(
            "control: {what} was not found after the unscrubbed libsodium call, so this search \
             cannot tell a scrubbed stack from one it fails to read"
        ),
    }
}

/// Panics if `needle` is found.
#[track_caller]
fn not_found(what: &str, needle: &Needle) {
    if let Some(hit) = find_in_ordinary_memory(needle) {
        panic!(
            "{what} is in ordinary memory at {:#x} in {}",
            hit.address, hit.mapping
        );
    }
    println!("{what}: not found");
}

// ---------------------------------------------------------------------------------------------
// Key derivation

const CONTEXT: &[u8; 8] = b"residue_";

/// `crypto_kdf_derive_from_key` called directly, into guarded memory: no scrub.
fn raw_subkey(master: &[u8; 32], id: u64) -> SecretBox<[u8; 32]> {
    SecretBox::new(|out: &mut [u8; 32]| {
        // SAFETY: `out` has 32 bytes (within 16..=64), `CONTEXT` 8 and `master` 32, all valid
        // for the call.
        let ret = unsafe {
            ffi::crypto_kdf_derive_from_key(
                out.as_mut_ptr(),
                out.len(),
                id,
                CONTEXT.as_ptr().cast(),
                master.as_ptr(),
            )
        };
        assert_eq!(ret, 0);
    })
    .expect("guarded output")
}

#[test]
fn derive_subkey_leaves_no_subkey_on_the_stack() {
    run("derive_subkey_leaves_no_subkey_on_the_stack", || {
        init();
        let master = SecretBox::<[u8; 32]>::random().expect("master key");
        let control = below(|| raw_subkey(&master.borrow(), 1));
        control_found("the subkey", &Needle::of_secret(&control.borrow()[..]));

        let subkey: SecretBox<[u8; 32]> =
            below(|| kdf::derive_subkey(&master.borrow(), 2, CONTEXT)).expect("derive");
        not_found(
            "the subkey from kdf::derive_subkey",
            &Needle::of_secret(&subkey.borrow()[..]),
        );
    });
}

const CHEAP: Argon2idParams = Argon2idParams {
    ops_limit: 1,
    mem_limit: 8 * 1024,
};

/// `crypto_pwhash` (Argon2id) called directly, into guarded memory: no scrub.
fn raw_argon2id(password: &[u8], salt: &[u8; 16]) -> SecretBox<[u8; 32]> {
    SecretBox::new(|out: &mut [u8; 32]| {
        // SAFETY: every buffer is valid for the length passed with it; the salt has
        // crypto_pwhash_SALTBYTES (16) bytes.
        let ret = unsafe {
            ffi::crypto_pwhash(
                out.as_mut_ptr(),
                out.len() as u64,
                password.as_ptr().cast(),
                password.len() as u64,
                salt.as_ptr(),
                CHEAP.ops_limit,
                CHEAP.mem_limit,
                ffi::crypto_pwhash_ALG_ARGON2ID13 as libc::c_int,
            )
        };
        assert_eq!(ret, 0);
    })
    .expect("guarded output")
}

#[test]
fn argon2id_leaves_no_key_on_the_stack() {
    run("argon2id_leaves_no_key_on_the_stack", || {
        init();
        let control = below(|| raw_argon2id(b"control password", &[1; 16]));
        control_found(
            "the Argon2id key",
            &Needle::of_secret(&control.borrow()[..]),
        );

        let key: SecretBox<[u8; 32]> =
            below(|| kdf::argon2id(b"checked password", &[2; 16], CHEAP)).expect("argon2id");
        not_found(
            "the key from kdf::argon2id",
            &Needle::of_secret(&key.borrow()[..]),
        );
    });
}

// ---------------------------------------------------------------------------------------------
// AEAD

type Decrypt = unsafe extern "C" fn(
    *mut u8,
    *mut u64,
    *mut u8,
    *const u8,
    u64,
    *const u8,
    u64,
    *const u8,
    *const u8,
) -> libc::c_int;

type Encrypt = unsafe extern "C" fn(
    *mut u8,
    *mut u64,
    *const u8,
    u64,
    *const u8,
    u64,
    *const u8,
    *const u8,
    *const u8,
) -> libc::c_int;

/// One algorithm: its raw libsodium functions, a key whose bytes the control can read, and
/// the key and sealing call of our API.
trait Case: Algorithm + Sized {
    const ENCRYPT: Encrypt;
    const DECRYPT: Decrypt;
    /// A key type with readable bytes (`#[derive(Secret)]`), for the controls.
    type RawKey: Key<Algorithm = Self> + BoxSecret + SecretType<Storage = SecretBox<[u8; 32]>>;
    /// The key our API seals with: counted nonces need a `SessionKey`.
    type ApiKey: Key<Algorithm = Self>;
    fn api_key() -> Self::ApiKey;
    fn api_seal(key: &Self::ApiKey, plaintext: &[u8]) -> (UsedNonce<Self>, Vec<u8>);
}

macro_rules! case {
    (counted: $alg:ty, $key:ty, $enc:path, $dec:path) => {
        impl Case for $alg {
            const ENCRYPT: Encrypt = $enc;
            const DECRYPT: Decrypt = $dec;
            type RawKey = $key;
            type ApiKey = SessionKey<$alg>;
            fn api_key() -> SessionKey<$alg> {
                SessionKey::generate().expect("key")
            }
            fn api_seal(key: &Self::ApiKey, plaintext: &[u8]) -> (UsedNonce<Self>, Vec<u8>) {
                key.seal(AAD, plaintext).expect("seal the message")
            }
        }
    };
    (random: $alg:ty, $key:ty, $enc:path, $dec:path) => {
        impl Case for $alg {
            const ENCRYPT: Encrypt = $enc;
            const DECRYPT: Decrypt = $dec;
            type RawKey = $key;
            type ApiKey = $key;
            fn api_key() -> $key {
                <$key>::random().expect("key")
            }
            fn api_seal(key: &Self::ApiKey, plaintext: &[u8]) -> (UsedNonce<Self>, Vec<u8>) {
                seal(key, UnusedNonce::random(), AAD, plaintext).expect("seal the message")
            }
        }
    };
}

case!(
    counted: Aes256Gcm,
    Aes256GcmKey,
    ffi::crypto_aead_aes256gcm_encrypt,
    ffi::crypto_aead_aes256gcm_decrypt
);
case!(
    counted: ChaCha20Poly1305Ietf,
    ChaCha20Poly1305IetfKey,
    ffi::crypto_aead_chacha20poly1305_ietf_encrypt,
    ffi::crypto_aead_chacha20poly1305_ietf_decrypt
);
case!(
    random: XChaCha20Poly1305,
    XChaCha20Poly1305Key,
    ffi::crypto_aead_xchacha20poly1305_ietf_encrypt,
    ffi::crypto_aead_xchacha20poly1305_ietf_decrypt
);
case!(
    random: Aegis256,
    Aegis256Key,
    ffi::crypto_aead_aegis256_encrypt,
    ffi::crypto_aead_aegis256_decrypt
);

const AAD: &[u8] = b"associated data";

/// A message in guarded memory, sealed.
struct Message<A: Algorithm> {
    plaintext: SecretVec<u8>,
    used: UsedNonce<A>,
    sealed: Vec<u8>,
}

/// A message sealed with our API.
fn api_message<A: Case>(key: &A::ApiKey, len: usize) -> Message<A> {
    let plaintext = SecretVec::<u8>::random(len).expect("plaintext");
    let (used, sealed) = A::api_seal(key, &plaintext.borrow());
    Message {
        plaintext,
        used,
        sealed,
    }
}

/// A message for a control, sealed under `key` and a random nonce by the function our API
/// calls (which scrubs the stack after libsodium).
fn control_message<A: Case>(key: &A::RawKey, len: usize) -> Message<A> {
    let plaintext = SecretVec::<u8>::random(len).expect("plaintext");
    let mut nonce = vec![0u8; A::RAW.nonce_len()];
    nonce.randomize();
    let used = UsedNonce::from_bytes(&nonce).expect("nonce");
    let sealed = aead::seal_to_vec(A::RAW, &key.borrow()[..], &nonce, AAD, &plaintext.borrow())
        .expect("seal the control");
    Message {
        plaintext,
        used,
        sealed,
    }
}

/// What a call may leave of `message`'s last block (16 bytes, or what is left after the last
/// whole one): its plaintext, and its keystream (plaintext XOR ciphertext). Built one byte at
/// a time from guarded memory, masked.
fn last_block<A: Algorithm>(message: &Message<A>) -> [(&'static str, Needle); 2] {
    let plaintext = message.plaintext.borrow();
    let len = plaintext.len();
    let start = if len.is_multiple_of(16) {
        len - 16
    } else {
        len - len % 16
    };
    let mut mask = vec![0u8; len - start];
    mask.randomize();
    let keystream = (start..len)
        .map(|i| black_box(plaintext[i]) ^ message.sealed[i] ^ mask[i - start])
        .collect();
    [
        (
            "the last plaintext block",
            Needle::of_secret(&plaintext[start..]),
        ),
        ("the last keystream block", Needle::masked(keystream, mask)),
    ]
}

/// Decrypts `sealed` with libsodium directly, into guarded memory: no scrub. Whether it
/// authenticated.
fn raw_open<A: Case>(key: &A::RawKey, nonce: &UsedNonce<A>, sealed: &[u8]) -> bool {
    let key_bytes = key.borrow();
    let mut out = SecretVec::<u8>::zero(sealed.len() - A::TAG_LEN).expect("output");
    let mut out = out.borrow_mut();
    let mut written = 0u64;
    // SAFETY: `out` has room for the message, the key and nonce have the algorithm's lengths,
    // `nsec` is unused and null.
    let ret = unsafe {
        A::DECRYPT(
            out.as_mut_ptr(),
            &mut written,
            std::ptr::null_mut(),
            sealed.as_ptr(),
            sealed.len() as u64,
            AAD.as_ptr(),
            AAD.len() as u64,
            nonce.as_bytes().as_ptr(),
            key_bytes.as_ptr(),
        )
    };
    ret == 0
}

/// Encrypts `plaintext` with libsodium directly (no scrub) into `sealed`.
fn raw_seal<A: Case>(key: &A::RawKey, nonce: &UsedNonce<A>, plaintext: &[u8], sealed: &mut [u8]) {
    assert_eq!(sealed.len(), plaintext.len() + A::TAG_LEN);
    let key_bytes = key.borrow();
    let mut written = 0u64;
    // SAFETY: `sealed` has room for the message and the tag, the key and nonce have the
    // algorithm's lengths, `nsec` is unused and null.
    let ret = unsafe {
        A::ENCRYPT(
            sealed.as_mut_ptr(),
            &mut written,
            plaintext.as_ptr(),
            plaintext.len() as u64,
            AAD.as_ptr(),
            AAD.len() as u64,
            std::ptr::null(),
            nonce.as_bytes().as_ptr(),
            key_bytes.as_ptr(),
        )
    };
    assert_eq!(ret, 0);
}

/// Tampers with the tag.
fn forged(sealed: &[u8]) -> Vec<u8> {
    let mut forged = sealed.to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    forged
}

/// The control opens one message with libsodium directly and must find `control_finds` of its
/// last block; then `open` (and, for a forged message, `open` failing) must leave nothing of
/// another message's last block.
fn open_leaves_nothing<A: Case>(len: usize, forged_too: bool) {
    init();
    let (raw, key) = (A::RawKey::random().expect("key"), A::api_key());
    let control = control_message::<A>(&raw, len);
    assert!(below(|| raw_open(&raw, &control.used, &control.sealed)));
    let [found, ..] = last_block(&control);
    control_found(&format!("{} {}", A::NAME, found.0), &found.1);

    let checked = api_message::<A>(&key, len);
    let opened = below(|| open(&key, &checked.used, AAD, &checked.sealed)).expect("open");
    assert!(*opened.borrow() == *checked.plaintext.borrow());
    for (what, needle) in last_block(&checked) {
        not_found(&format!("{} open: {what}", A::NAME), &needle);
    }

    if forged_too {
        let control = control_message::<A>(&raw, len);
        assert!(!below(|| raw_open(
            &raw,
            &control.used,
            &forged(&control.sealed)
        )));
        let [found, ..] = last_block(&control);
        control_found(&format!("{} forged: {}", A::NAME, found.0), &found.1);

        let checked = api_message::<A>(&key, len);
        let refused = below(|| open(&key, &checked.used, AAD, &forged(&checked.sealed)));
        assert_eq!(refused.unwrap_err(), secrets_nonce::Error::Forged);
        for (what, needle) in last_block(&checked) {
            not_found(&format!("{} forged open: {what}", A::NAME), &needle);
        }
    }
}

/// The control seals one message with libsodium directly and must find its last block; then
/// `seal` must leave nothing of another's.
fn seal_leaves_nothing<A: Case>(len: usize) {
    init();
    let (raw, key) = (A::RawKey::random().expect("key"), A::api_key());
    let control = control_message::<A>(&raw, len);
    let mut sealed = vec![0u8; len + A::TAG_LEN];
    below(|| {
        raw_seal(
            &raw,
            &control.used,
            &control.plaintext.borrow(),
            &mut sealed,
        )
    });
    let [found, ..] = last_block(&control);
    control_found(&format!("{} seal: {}", A::NAME, found.0), &found.1);

    // `api_message` seals with our API, below this frame.
    let checked = below(|| api_message::<A>(&key, len));
    for (what, needle) in last_block(&checked) {
        not_found(&format!("{} seal: {what}", A::NAME), &needle);
    }
}

#[test]
fn aes_gcm_open_leaves_no_plaintext_on_the_stack() {
    run("aes_gcm_open_leaves_no_plaintext_on_the_stack", || {
        if !Aes256Gcm::is_available() {
            println!("AES-256-GCM is not available on this CPU: nothing to test");
            return;
        }
        // 61 bytes: a last partial block of 13, which AES-GCM copies to its stack.
        open_leaves_nothing::<Aes256Gcm>(61, true);
    });
}

#[test]
fn chacha_open_and_seal_leave_no_plaintext_on_the_stack() {
    run(
        "chacha_open_and_seal_leave_no_plaintext_on_the_stack",
        || {
            // 64 bytes: one ChaCha20 block, whose keystream and plaintext stay on its stack.
            open_leaves_nothing::<ChaCha20Poly1305Ietf>(64, false);
            seal_leaves_nothing::<ChaCha20Poly1305Ietf>(64);
        },
    );
}

#[test]
fn aegis256_open_and_seal_leave_no_plaintext_on_the_stack() {
    run(
        "aegis256_open_and_seal_leave_no_plaintext_on_the_stack",
        || {
            // 61 bytes: a last partial block, which AEGIS-256 pads on its stack to seal it.
            // Opening is not checked here: its control finds nothing (measured, debug and
            // release: the tag's computation overwrites the block it padded), so a check
            // would have no control. The scrub still follows it, as deep as the last test
            // measures.
            seal_leaves_nothing::<Aegis256>(61);
        },
    );
}

#[test]
fn xchacha_open_and_seal_leave_no_plaintext_on_the_stack() {
    run(
        "xchacha_open_and_seal_leave_no_plaintext_on_the_stack",
        || {
            open_leaves_nothing::<XChaCha20Poly1305>(64, false);
            seal_leaves_nothing::<XChaCha20Poly1305>(64);
        },
    );
}

// ---------------------------------------------------------------------------------------------
// How deep libsodium writes

/// Bytes painted below the caller before a call: twice the largest scrub, so a call that went
/// deeper than its scrub is measured, not cut off.
const PAINT: usize = 2 * max(
    max(scrub::KDF, scrub::ARGON2ID),
    max(
        scrub::CHACHA20_POLY1305,
        max(scrub::AES256_GCM, scrub::AEGIS256),
    ),
);

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}
const PAINT_BYTE: u8 = 0x5A;

/// Fills `PAINT` bytes of stack just below the caller's frame; returns their lowest address.
#[inline(never)]
fn paint() -> usize {
    let mut area = [PAINT_BYTE; PAINT];
    black_box(&mut area);
    area.as_ptr() as usize
}

/// Runs `call` right after painting the stack below, [`below`] this frame, and returns how far
/// below the painted area's top the deepest byte it changed lies. Only `call` runs between the
/// painting and the return, so every changed byte is its own (or its callees').
fn depth_of(call: impl FnOnce()) -> usize {
    let mut low = 0;
    below(|| {
        low = paint();
        call();
    });
    let mem = std::fs::File::open("/proc/self/mem").expect("open /proc/self/mem");
    let mut area = vec![0u8; PAINT];
    mem.read_exact_at(&mut area, low as u64)
        .expect("read the painted stack");
    let deepest = area
        .iter()
        .position(|&byte| byte != PAINT_BYTE)
        .unwrap_or(PAINT);
    PAINT - deepest
}

/// A call, how deep it wrote, and how much the scrub after it zeroes.
type Depth = (String, usize, usize);

fn aead_depths<A: Case>(raw: Raw, depths: &mut Vec<Depth>) {
    let key = A::RawKey::random().expect("key");
    for len in [64, 16 * 1024] {
        let message = control_message::<A>(&key, len);
        let plaintext = message.plaintext.borrow();
        let key_bytes = key.borrow();
        let mut sealed = vec![0u8; len + A::TAG_LEN];
        let mut opened = SecretVec::<u8>::zero(len).expect("output");
        let mut opened = opened.borrow_mut();
        let depth = depth_of(|| {
            let mut written = 0;
            // SAFETY: as in `raw_seal`.
            let ret = unsafe {
                A::ENCRYPT(
                    sealed.as_mut_ptr(),
                    &mut written,
                    plaintext.as_ptr(),
                    len as u64,
                    AAD.as_ptr(),
                    AAD.len() as u64,
                    std::ptr::null(),
                    message.used.as_bytes().as_ptr(),
                    key_bytes.as_ptr(),
                )
            };
            assert_eq!(ret, 0);
        });
        depths.push((
            format!("{} seal {len} bytes", A::NAME),
            depth,
            raw.stack_scrub_len(),
        ));
        let depth = depth_of(|| {
            let mut written = 0;
            // SAFETY: as in `raw_open`.
            let ret = unsafe {
                A::DECRYPT(
                    opened.as_mut_ptr(),
                    &mut written,
                    std::ptr::null_mut(),
                    sealed.as_ptr(),
                    sealed.len() as u64,
                    AAD.as_ptr(),
                    AAD.len() as u64,
                    message.used.as_bytes().as_ptr(),
                    key_bytes.as_ptr(),
                )
            };
            assert_eq!(ret, 0);
        });
        depths.push((
            format!("{} open {len} bytes", A::NAME),
            depth,
            raw.stack_scrub_len(),
        ));
    }
}

#[test]
fn the_scrub_covers_the_deepest_libsodium_call() {
    run("the_scrub_covers_the_deepest_libsodium_call", || {
        init();
        let mut depths = Vec::new();
        let master = [7u8; 32];
        let mut subkey = SecretBox::<[u8; 64]>::zero().expect("output");
        let mut subkey = subkey.borrow_mut();
        let depth = depth_of(|| {
            // SAFETY: as in `raw_subkey`, with a 64-byte output.
            let ret = unsafe {
                ffi::crypto_kdf_derive_from_key(
                    subkey.as_mut_ptr(),
                    subkey.len(),
                    1,
                    CONTEXT.as_ptr().cast(),
                    master.as_ptr(),
                )
            };
            assert_eq!(ret, 0);
        });
        depths.push(("crypto_kdf_derive_from_key".to_owned(), depth, scrub::KDF));
        let mut key = SecretBox::<[u8; 32]>::zero().expect("output");
        let mut key = key.borrow_mut();
        let depth = depth_of(|| {
            // SAFETY: as in `raw_argon2id`.
            let ret = unsafe {
                ffi::crypto_pwhash(
                    key.as_mut_ptr(),
                    key.len() as u64,
                    b"password".as_ptr().cast(),
                    8,
                    [3u8; 16].as_ptr(),
                    CHEAP.ops_limit,
                    CHEAP.mem_limit,
                    ffi::crypto_pwhash_ALG_ARGON2ID13 as libc::c_int,
                )
            };
            assert_eq!(ret, 0);
        });
        depths.push((
            "crypto_pwhash (Argon2id)".to_owned(),
            depth,
            scrub::ARGON2ID,
        ));
        aead_depths::<XChaCha20Poly1305>(Raw::XChaCha20Poly1305, &mut depths);
        aead_depths::<ChaCha20Poly1305Ietf>(Raw::ChaCha20Poly1305Ietf, &mut depths);
        aead_depths::<Aegis256>(Raw::Aegis256, &mut depths);
        if Aes256Gcm::is_available() {
            aead_depths::<Aes256Gcm>(Raw::Aes256Gcm, &mut depths);
        }
        for (call, depth, scrubbed) in &depths {
            println!(
                "{call}: writes {depth} bytes of stack below its caller; {scrubbed} are zeroed"
            );
        }
        let too_deep: Vec<_> = depths
            .iter()
            .filter(|(_, depth, scrubbed)| depth > scrubbed)
            .collect();
        assert!(
            too_deep.is_empty(),
            "these calls write deeper than the scrub after them zeroes: {too_deep:?}"
        );
        // The measurement itself can fail: a call that writes nothing is not measured.
        assert!(depths.iter().all(|(_, depth, _)| *depth > 0), "{depths:?}");
    });
}
