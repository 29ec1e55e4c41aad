//! The key-file loader on arbitrary files: first byte the mode, the rest the contents.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secrets_integration_tests::PrivateDir;

fuzz_target!(|data: &[u8]| {
    // A private directory per case, removed when the case ends (a crash aborts the run, and
    // `.ci/run` points TMPDIR at a scratch directory it removes).
    let dir = PrivateDir::new("fuzz-key-file");
    secrets_integration_tests::fuzz::key_file(dir.path(), data);
});
