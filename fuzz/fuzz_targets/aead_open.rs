//! AEAD `open` with an arbitrary nonce, associated data and ciphertext, for each algorithm, and
//! round trips with one bit flipped (see `secrets_integration_tests::fuzz::aead_open`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secrets_integration_tests::fuzz::aead_open(data);
});
