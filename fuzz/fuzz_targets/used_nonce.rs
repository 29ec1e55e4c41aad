//! `UsedNonce::from_bytes` on arbitrary bytes, for each algorithm.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secrets_integration_tests::fuzz::used_nonce(data);
});
