//! Lengths that no machine, or not this one, can hold: every constructor that takes a length
//! refuses them with `Error::TooLarge`, naming the length asked, before anything is mapped.
//!
//! Each scenario runs once per backend in a child process (`for_each_backend`): without the
//! checks, the smallest of these lengths wrapped the size arithmetic (a panic in a debug build,
//! a canary written into a guard page, SIGSEGV, in a release build), and the largest that do
//! not wrap mapped and locked more memory than the machine has, until the OOM killer came.
//!
//! The limit pinned here is the documented one: a secret's region (16-byte canary and data, in
//! whole pages) may take at most half of the machine's physical memory.

// Linux-only: counts mappings in /proc/self/maps and drops CAP_IPC_LOCK.
#![cfg(any(target_os = "linux", target_os = "android"))]

use secrets_core::{Error, SecretBox, SecretString, SecretVec};
use secrets_integration_tests::{caps, for_each_backend, mapping_count, page_size};

/// Printed by a child that got to the end of its scenario.
const DONE: &str = "SCENARIO-DONE";

/// The canary before the data, part of the region.
const CANARY_SIZE: usize = 16;

/// The machine's physical memory in bytes, as `sysconf` gives it.
fn physical_memory() -> usize {
    // SAFETY: sysconf has no preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    usize::try_from(pages).expect("sysconf(_SC_PHYS_PAGES)") * page_size()
}

/// The most bytes one secret may hold here, computed from the documented rule.
fn expected_limit() -> usize {
    let half = physical_memory() / 2;
    half - half % page_size() - CANARY_SIZE
}

/// Panics unless `result` is `Error::TooLarge` for `requested` elements of `element_size`
/// bytes, with the documented limit, and its message names both the length and the limit.
#[track_caller]
fn assert_too_large<T>(result: Result<T, Error>, requested: usize, element_size: usize) {
    let Err(err) = result else {
        panic!("{requested} elements of {element_size} bytes were accepted");
    };
    let limit = expected_limit();
    assert_eq!(
        err,
        Error::TooLarge {
            requested,
            element_size,
            limit
        },
        "{requested} elements of {element_size} bytes: {err}"
    );
    let message = err.to_string();
    assert!(
        message.contains(&requested.to_string()) && message.contains(&limit.to_string()),
        "the message does not name the length asked and the limit: {message}"
    );
    println!("refused {requested} x {element_size}: {message}");
}

/// Runs `scenario` under each backend and requires every child to have finished it.
fn each_backend_finishes(test_name: &str, scenario: impl FnOnce()) {
    for_each_backend(test_name, |_| {
        scenario();
        println!("{DONE}");
    })
    .check(|outcome| {
        outcome.assert_success();
        assert!(outcome.stdout.contains(DONE), "{outcome:?}");
    });
}

#[test]
fn lengths_whose_size_overflows_are_refused_naming_the_length() {
    each_backend_finishes(
        "lengths_whose_size_overflows_are_refused_naming_the_length",
        || {
            // Where `len + 16`, its rounding to pages, or the guard pages around it wrap.
            let page = page_size();
            let mut lengths: Vec<usize> = (usize::MAX - 15..=usize::MAX).collect();
            lengths.extend([
                usize::MAX - 16 - page,
                usize::MAX / 2,
                usize::MAX / 2 + 1,
                usize::MAX / 2 - CANARY_SIZE - 3 * page,
            ]);
            for len in lengths {
                assert_too_large(SecretVec::<u8>::zero(len), len, 1);
                assert_too_large(SecretVec::<u8>::random(len), len, 1);
            }
            // Where the element count times the element size wraps.
            assert_too_large(SecretVec::<u64>::zero(usize::MAX / 4), usize::MAX / 4, 8);
            assert_too_large(
                SecretVec::<u64>::zero(usize::MAX / 8 + 1),
                usize::MAX / 8 + 1,
                8,
            );
            assert_too_large(
                SecretVec::<[u8; 3]>::zero(usize::MAX / 3 + 1),
                usize::MAX / 3 + 1,
                3,
            );
            for len in [usize::MAX, usize::MAX - 15] {
                let made = SecretString::try_new(len, |_| Ok::<(), Error>(()));
                assert_too_large(made, len, 1);
            }
        },
    );
}

#[test]
fn a_secret_larger_than_the_machine_is_refused_before_anything_is_mapped() {
    each_backend_finishes(
        "a_secret_larger_than_the_machine_is_refused_before_anything_is_mapped",
        || {
            // The premise of the danger: a holder of CAP_IPC_LOCK has no lock limit, so only the
            // check stands between a huge request and locking it into RAM.
            assert!(
                caps::thread_capabilities().effective(caps::CAP_IPC_LOCK),
                "this test needs CAP_IPC_LOCK (run as root)"
            );
            // A seatbelt for this machine, not part of what is tested: should the check ever go,
            // the mapping fails at the address-space limit (and the test with it) instead of
            // being zero-filled until the OOM killer comes.
            let before_size = caps::status_bytes("VmSize");
            caps::set_address_space_limit(before_size as u64 + (1 << 30));
            let before_locked = caps::status_bytes("VmLck");

            let huge = (1usize << 40).max(physical_memory());
            let just_over = expected_limit() + 1;
            let results = [
                SecretVec::<u8>::zero(huge).map(drop),
                SecretVec::<u8>::random(just_over).map(drop),
                SecretString::try_new(just_over, |_| Ok::<(), Error>(())).map(drop),
                SecretBox::<[u8; 1 << 40]>::zero().map(drop),
            ];

            let grown = caps::status_bytes("VmSize").saturating_sub(before_size);
            let locked = caps::status_bytes("VmLck");
            let [vec, random, string, boxed] = results;
            assert_too_large(vec, huge, 1);
            assert_too_large(random, just_over, 1);
            assert_too_large(string, just_over, 1);
            assert_too_large(boxed, 1, 1 << 40);
            assert!(
                grown < 16 << 20,
                "the address space grew by {grown} bytes while the requests were refused"
            );
            assert_eq!(locked, before_locked, "VmLck changed");
            println!("address space grew by {grown} bytes; VmLck stayed at {locked}");

            // The boundary: exactly the limit passes the check and goes on to be mapped, which
            // the seatbelt refuses (the kernel's ENOMEM, far from the map count).
            let at_limit = expected_limit();
            match SecretVec::<u8>::zero(at_limit) {
                Err(Error::OutOfMemory { requested, .. }) if requested == at_limit => {
                    println!("{at_limit} bytes passed the check and reached mmap");
                }
                other => panic!("{at_limit} bytes, under a 1 GiB address-space limit: {other:?}"),
            }
        },
    );
}

#[test]
fn a_64_mib_secret_still_works() {
    const LEN: usize = 64 << 20;
    each_backend_finishes("a_64_mib_secret_still_works", || {
        assert!(
            caps::thread_capabilities().effective(caps::CAP_IPC_LOCK),
            "a 64 MiB secret is over the default lock limit: this test needs CAP_IPC_LOCK"
        );
        let before = caps::status_bytes("VmLck");
        let secret = SecretVec::<u8>::new(LEN, |bytes| {
            bytes[0] = 1;
            bytes[LEN - 1] = 2;
        })
        .expect("a 64 MiB secret");
        let locked = caps::status_bytes("VmLck") - before;
        assert!(locked >= LEN as u64, "only {locked} bytes locked");
        let bytes = secret.borrow();
        assert_eq!((bytes.len(), bytes[0], bytes[LEN - 1]), (LEN, 1, 2));
        println!("64 MiB secret made; {locked} bytes locked");
    });
}

#[test]
fn memory_running_out_far_from_the_map_count_is_not_blamed_on_it() {
    const LEN: usize = 1 << 30;
    each_backend_finishes(
        "memory_running_out_far_from_the_map_count_is_not_blamed_on_it",
        || {
            assert!(
                LEN <= expected_limit(),
                "the premise fails: 1 GiB is more than one secret may take here"
            );
            // The address-space limit leaves room for the test, not for the secret.
            let limit = caps::status_bytes("VmSize") + (256 << 20);
            caps::set_address_space_limit(limit);
            let err = SecretVec::<u8>::zero(LEN).expect_err("256 MiB past RLIMIT_AS");
            let max = caps::max_map_count();
            let count = mapping_count();
            assert!(
                count + 1000 < max,
                "the premise fails: {count} mappings of {max}"
            );
            assert_eq!(
                err,
                Error::OutOfMemory {
                    requested: LEN,
                    operation: "mmap",
                    errno: libc::ENOMEM
                },
                "{err}"
            );
            let message = err.to_string();
            assert!(
                !message.contains("raise vm.max_map_count"),
                "blamed on the map count with {count} of {max} mappings: {message}"
            );
            println!("{count} of {max} mappings; {message}");
        },
    );
}
