//! AEGIS-256 through `secrets-nonce`'s [`Sealer`] against raw libsodium
//! (`crypto_aead_aegis256_encrypt` / `_decrypt`) on the same key, associated data (16 bytes)
//! and message buffers, 64 B and 16 KiB; ours with `Backend::Sodium` (set at the start, as the
//! floors are libsodium's). The target is <= 1.02x for every pair:
//!
//! * `aegis_seal_<size>`: `sealer.seal(UnusedNonce::random(), aad, plaintext)` with the key
//!   kept open by the `Sealer` (a nonce drawn, a `Vec` allocated for the ciphertext), against
//!   `randombytes_buf` for a 32-byte nonce, a `Vec` of `len + 32` bytes and
//!   `crypto_aead_aegis256_encrypt` with the same key bytes in plain memory;
//! * `aegis_open_into_<size>`: `sealer.open_into(&used, aad, &ciphertext, out)` into one
//!   guarded `SecretVec` kept open (the way to open many messages), against
//!   `crypto_aead_aegis256_decrypt` into a plain buffer that is reused.
//!
//! For reference (same target), what a one-off `open` costs with the same protection on both
//! sides: `aegis_open_<size>_vs_guarded` is `sealer.open(..)`, which decrypts into a new
//! guarded `SecretVec<u8>` (dropped at once), against the decryption into a fresh
//! `sodium_malloc` buffer (then `sodium_mprotect_noaccess`, and `sodium_free` at once).
//!
//! Each `aegis_seal_*` and `aegis_open_into_*` pair runs twice: against the raw call alone, and
//! (`*_scrubbed_floor`) against the raw call followed by the stack scrub ours makes after every
//! AEGIS-256 call, so the table separates the price of that protection from the API's.
//!
//! Reading the table printed after criterion's report: `ratio` is ours / floor, both timed
//! interleaved within every sample (see `ratio.rs`).

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use secrets_benches::{aegis256_open, aegis256_seal, init_sodium, RawGuarded, AEGIS256_NONCE_LEN};
use secrets_core::__private::aead::scrub;
use secrets_core::prelude::*;
use secrets_core::{set_backend, Backend};
use secrets_nonce::{open, Aegis256, Aegis256Key, Sealer, UnusedNonce, UsedNonce};

#[path = "ratio.rs"]
mod ratio;

/// Associated data, the same on both sides.
const AAD: &[u8] = b"vault item 00007";

/// Message sizes, with the target for each.
const SIZES: [(usize, &str, f64); 2] = [(64, "64B", 1.02), (16 * 1024, "16KiB", 1.02)];

/// Six pairs at these times take well under a minute.
const WARM_UP: Duration = Duration::from_millis(300);
const MEASUREMENT: Duration = Duration::from_millis(1500);

/// One message, sealed once by ours, that both sides then open.
struct Message {
    len: usize,
    size: &'static str,
    target: f64,
    plaintext: Vec<u8>,
    nonce: [u8; AEGIS256_NONCE_LEN],
    used: UsedNonce<Aegis256>,
    ciphertext: Vec<u8>,
}

fn main() {
    // The floors are raw libsodium, so ours must use `sodium_malloc` too.
    set_backend(Backend::Sodium).expect("set_backend(Backend::Sodium)");
    init_sodium();
    let mut c = Criterion::default().configure_from_args();
    let ratios = ratio::Ratios::new().with_times(WARM_UP, MEASUREMENT);

    let key = Aegis256Key::random().expect("Aegis256Key::random");
    let key_bytes: [u8; 32] = *key.borrow();
    let messages = SIZES.map(|(len, size, target)| message(&key, &key_bytes, len, size, target));
    let sealer = Sealer::new(&key);

    // Each pair twice: against the raw call alone (the floor), and against the raw
    // call followed by the stack scrub ours does after it (`sodium_stackzero` of
    // `scrub::AEGIS256` bytes), which is the price of that protection, not of the API.
    for (suffix, scrub_len) in [("", 0), ("_scrubbed_floor", scrub::AEGIS256)] {
        for m in &messages {
            ratios.compare(
                &mut c,
                &format!("aegis_seal_{}{suffix}", m.size),
                m.target,
                || {
                    let sealed = sealer.seal(
                        UnusedNonce::random(),
                        black_box(AAD),
                        black_box(&m.plaintext),
                    );
                    black_box(sealed.expect("seal"));
                },
                || {
                    black_box(aegis256_seal(
                        black_box(&key_bytes),
                        black_box(AAD),
                        black_box(&m.plaintext),
                    ));
                    stack_zero(scrub_len);
                },
            );
        }
        for m in &messages {
            let mut guarded_plain = SecretVec::<u8>::zero(m.len).expect("SecretVec::zero");
            let mut guarded_plain = guarded_plain.borrow_mut();
            let mut plain = vec![0u8; m.len];
            ratios.compare(
                &mut c,
                &format!("aegis_open_into_{}{suffix}", m.size),
                m.target,
                || {
                    let opened = sealer.open_into(
                        black_box(&m.used),
                        black_box(AAD),
                        black_box(&m.ciphertext),
                        black_box(&mut guarded_plain[..]),
                    );
                    opened.expect("open_into");
                },
                || {
                    aegis256_open(
                        black_box(&key_bytes),
                        black_box(&m.nonce),
                        black_box(AAD),
                        black_box(&m.ciphertext),
                        black_box(&mut plain[..]),
                    );
                    stack_zero(scrub_len);
                },
            );
        }
    }
    for m in &messages {
        ratios.compare(
            &mut c,
            &format!("aegis_open_{}_vs_guarded", m.size),
            m.target,
            || {
                let opened =
                    sealer.open(black_box(&m.used), black_box(AAD), black_box(&m.ciphertext));
                drop(black_box(opened.expect("open")));
            },
            || {
                let plain = RawGuarded::new_with(black_box(m.len), |out| {
                    aegis256_open(
                        black_box(&key_bytes),
                        black_box(&m.nonce),
                        black_box(AAD),
                        black_box(&m.ciphertext),
                        out,
                    )
                });
                drop(black_box(plain));
            },
        );
    }
    drop(sealer);

    c.final_summary();
    ratios.print();
    println!("backend: {} on both sides", secrets_core::active_backend());
    println!(
        "issue's target (<= 1.02x vs raw libsodium on the same buffers): the aegis_seal_* and \
         aegis_open_into_* rows, through a Sealer that keeps the key open, the floor with the \
         key in plain memory and opening into a plain buffer"
    );
    println!(
        "*_scrubbed_floor rows: the same, with the floor zeroing the {} bytes of stack below it \
         that ours zeroes after each AEGIS-256 call (libsodium leaves the cipher's state and the \
         last partial block there): what remains is the API's own cost",
        scrub::AEGIS256
    );
    println!(
        "aegis_open_*_vs_guarded rows (same target, for reference): a one-off Sealer::open into \
         a new guarded SecretVec, against decrypting into a fresh sodium_malloc buffer"
    );
}

/// `sodium_stackzero(len)` (nothing for 0), as ours calls it after each AEGIS-256 call.
fn stack_zero(len: usize) {
    if len > 0 {
        // SAFETY: `sodium_stackzero` zeroes `len` bytes of a new array in its own frame; `len`
        // is a scrub size of `secrets-core`, which the stack has room for.
        unsafe { libsodium_sys::sodium_stackzero(len) }
    }
}

/// A random message of `len` bytes sealed by ours, checked to open to itself on both sides,
/// and the floor's own sealing checked to open with ours.
fn message(
    key: &Aegis256Key,
    key_bytes: &[u8; 32],
    len: usize,
    size: &'static str,
    target: f64,
) -> Message {
    let plaintext = SecretVec::<u8>::random(len)
        .expect("SecretVec::random")
        .borrow()
        .to_vec();
    let sealer = Sealer::new(key);
    let (used, ciphertext) = sealer
        .seal(UnusedNonce::random(), AAD, &plaintext)
        .expect("seal");
    drop(sealer);
    let nonce: [u8; AEGIS256_NONCE_LEN] = used.as_bytes().try_into().expect("32-byte nonce");
    assert_eq!(
        &*open(key, &used, AAD, &ciphertext).expect("open").borrow(),
        &plaintext[..]
    );
    let mut plain = vec![0u8; len];
    aegis256_open(key_bytes, &nonce, AAD, &ciphertext, &mut plain);
    assert_eq!(plain, plaintext);
    let (raw_nonce, raw_ciphertext) = aegis256_seal(key_bytes, AAD, &plaintext);
    let reopened = open(
        key,
        &UsedNonce::from_bytes(&raw_nonce).expect("nonce"),
        AAD,
        &raw_ciphertext,
    )
    .expect("open the floor's ciphertext");
    assert_eq!(&*reopened.borrow(), &plaintext[..]);
    Message {
        len,
        size,
        target,
        plaintext,
        nonce,
        used,
        ciphertext,
    }
}
