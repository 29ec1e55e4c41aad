//! `Argon2idParams::from_phc` on arbitrary text, and on a valid PHC string with bytes spliced in.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secrets_integration_tests::fuzz::phc_string(data);
});
