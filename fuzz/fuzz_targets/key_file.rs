//! The key-file loader on arbitrary files: first byte the mode, the rest the contents.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("secrets-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    secrets_integration_tests::fuzz::key_file(&dir, data);
});
