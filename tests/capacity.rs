//! How many secrets fit under an ordinary user's lock limit, for each backend, and what happens
//! at the limit: a typed `Error::Lock` that names `RLIMIT_MEMLOCK`, never a panic and never an
//! unlocked secret.
//!
//! The child gives up `CAP_IPC_LOCK` (root and other holders of it are not bound by
//! `RLIMIT_MEMLOCK`) and sets the limit to 8 MiB, the usual default. Every 32-byte secret takes
//! one locked page, so at most 8 MiB / 4 KiB = 2048 fit.

// Linux-only: drops CAP_IPC_LOCK (Linux capabilities) and counts memfd_secret pages.
#![cfg(any(target_os = "linux", target_os = "android"))]

use secrets_core::{set_backend, Backend, Error, SecretBox};
use secrets_integration_tests::{caps, in_child, page_size};

const MEMLOCK_LIMIT: u64 = 8 * 1024 * 1024;
/// Printed when the scenario has run to its end: a child that ran no test (a misspelt name)
/// also exits 0.
const DONE: &str = "SCENARIO-DONE";
/// Far more secrets than could ever fit under the limit: reaching it means no limit was hit.
const RUNAWAY: usize = 100_000;

/// Fills guarded memory with 32-byte secrets until the lock limit stops it, and checks how.
fn count_until_lock_limit(backend: Backend) {
    // Checks through /proc/thread-self/status that CAP_IPC_LOCK is gone from both sets.
    caps::drop_ipc_lock();
    caps::set_memlock_limit(MEMLOCK_LIMIT);
    set_backend(backend).expect("choose the backend before the first secret");

    let mut live = Vec::new();
    let err = loop {
        match SecretBox::<[u8; 32]>::random() {
            Ok(secret) => live.push(secret),
            Err(err) => break err,
        }
        assert!(live.len() < RUNAWAY, "no error after {RUNAWAY} secrets");
    };
    println!(
        "{backend}: {} live 32-byte secrets, then: {err}",
        live.len()
    );

    assert!(
        matches!(
            err,
            Error::Lock {
                limit: Some(MEMLOCK_LIMIT),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("RLIMIT_MEMLOCK"), "{err}");
    let most = usize::try_from(MEMLOCK_LIMIT).expect("fits usize") / page_size();
    assert!(
        (most * 9 / 10..=most).contains(&live.len()),
        "{} secrets under an {MEMLOCK_LIMIT}-byte lock limit; expected up to {most}",
        live.len()
    );

    // The limit is a budget, not a failure state: dropping a secret makes room for another.
    live.pop();
    live.push(SecretBox::random().expect("room after dropping one secret"));
    drop(live);
    SecretBox::<[u8; 32]>::random().expect("room after dropping every secret");
    println!("{DONE}");
}

#[test]
fn capacity_under_memlock_limit_memfd_secret() {
    let outcome = in_child("capacity_under_memlock_limit_memfd_secret", || {
        count_until_lock_limit(Backend::MemfdSecret)
    });
    print!("{}", outcome.stdout);
    outcome.assert_success();
    assert!(
        outcome.stdout.contains(DONE),
        "the scenario did not run: {outcome:?}"
    );
}

#[test]
fn capacity_under_memlock_limit_sodium() {
    let outcome = in_child("capacity_under_memlock_limit_sodium", || {
        count_until_lock_limit(Backend::Sodium)
    });
    print!("{}", outcome.stdout);
    outcome.assert_success();
    assert!(
        outcome.stdout.contains(DONE),
        "the scenario did not run: {outcome:?}"
    );
}
