//! The guard pages and the canary around a `SecretBox`, and `PROT_NONE` at rest: each crash that
//! must happen is run in a child that must die of the expected signal.

use secrets_core::SecretBox;
use secrets_integration_tests::in_child;

#[test]
fn overflow_by_one_byte_faults() {
    let outcome = in_child("overflow_by_one_byte_faults", || {
        let mut secret = SecretBox::<[u8; 32]>::random().unwrap();
        let mut opened = secret.borrow_mut();
        let end = opened.as_mut_ptr_range().end;
        // SAFETY: none: this write is one byte past the secret and must fault.
        unsafe { end.write_volatile(0x41) };
        println!("wrote past the end and survived");
    });
    outcome.assert_killed_by(libc::SIGSEGV);
}

#[test]
fn canary_smashed_kills_on_drop() {
    let outcome = in_child("canary_smashed_kills_on_drop", || {
        let mut secret = SecretBox::<[u8; 32]>::random().unwrap();
        {
            let mut opened = secret.borrow_mut();
            let start = opened.as_mut_ptr();
            // SAFETY: none: this byte is libsodium's canary, just before the data.
            unsafe { start.sub(1).write_volatile(0x41) };
        }
        println!("smashed the canary");
        drop(secret);
        println!("dropped a box with a smashed canary and survived");
    });
    assert!(outcome.stdout.contains("smashed the canary"), "{outcome:?}");
    // libsodium's `sodium_free` sees the bad canary and calls `raise(SIGSEGV)`. Rust's own
    // SIGSEGV handler (there for stack overflows) finds no faulting guard page, restores the
    // default action and returns, and libsodium then calls `abort()`: so the process dies of
    // SIGABRT, before the line after `drop`.
    assert!(!outcome.stdout.contains("survived"), "{outcome:?}");
    outcome.assert_killed_by(libc::SIGABRT);
}
