//! The constructors' length arithmetic: lengths near 0, near page boundaries and near
//! `usize::MAX` (see `secrets_integration_tests::fuzz::lengths`). Never one a machine could
//! back but not afford: the fuzzer cannot make it allocate gigabytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secrets_integration_tests::fuzz::lengths(data);
});
