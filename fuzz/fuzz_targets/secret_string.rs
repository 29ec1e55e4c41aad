//! `SecretString::from_bytes` on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secrets_integration_tests::fuzz::secret_string(data);
});
