//! Sealed storage under any sequence of make, borrow, write, nested borrow and drop, checked
//! against a model (see `secrets_integration_tests::fuzz::sealed_ops`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    secrets_integration_tests::fuzz::sealed_ops(data);
});
