//! The stream readers on arbitrary input and limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secrets_integration_tests::fuzz::secret_stream(data);
});
