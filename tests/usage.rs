//! `secrets_core::usage()`: what it reports is what the kernel sees. Each count moves by
//! exactly what the test made and dropped, the bytes it says this crate locked move as the
//! process's `VmLck` does, the lock limit and `CAP_IPC_LOCK` are reported as set, and the
//! headroom it gives is exactly how many more secrets fit under a real limit. Each scenario
//! runs in a child of its own (one per backend where the backend matters), so no other test's
//! secrets are counted.
//!
//! What fails when the report is wrong: a count not kept at make or drop fails the deltas; locked
//! bytes counted from the wrong size (guard pages, the secret's length instead of its pages)
//! fail the comparison with `VmLck`; a headroom that ignores what is locked already fails the
//! count of secrets that fit.

// Linux-only: checks usage() against /proc/self/status and drops CAP_IPC_LOCK.
#![cfg(any(target_os = "linux", target_os = "android"))]

use secrets_core::{usage, Backend, Error, Pooled, Sealed, SecretBox, Usage};
use secrets_integration_tests::caps::{self, limit_locked_memory};
use secrets_integration_tests::probe::{fork_and_wait, Ended};
use secrets_integration_tests::{for_each_locking_backend, in_child};

type Dedicated32 = SecretBox<[u8; 32]>;
type Pooled32 = SecretBox<[u8; 32], Pooled>;
type Sealed32 = SecretBox<[u8; 32], Sealed>;

/// What the kernel says this process has locked, as the report gives it.
fn kernel_locked(report: &Usage) -> u64 {
    report.process_locked.expect("VmLck is readable on Linux")
}

#[test]
fn counts_and_locked_bytes_follow_what_is_made_and_dropped() {
    const NAME: &str = "counts_and_locked_bytes_follow_what_is_made_and_dropped";
    for_each_locking_backend(NAME, |backend| {
        // One of each first: the pool's first chunk, its scratch page and the sealed key page
        // are made once and stay; the deltas below are then the secrets' own.
        let warm = (
            Dedicated32::random().expect("dedicated"),
            Pooled32::random_in(Pooled).expect("pooled"),
            Sealed32::random_in(Sealed).expect("sealed"),
        );
        drop(warm.2.borrow());
        let before = usage();
        assert_eq!(before.backend, backend);
        assert_eq!(before.locked as u64, kernel_locked(&before), "{before}");
        assert_eq!(
            before.locked,
            before.dedicated_locked + before.pool_locked + before.kept_locked
        );

        let dedicated: Vec<_> = (0..10).map(|_| Dedicated32::random().unwrap()).collect();
        let pooled: Vec<_> = (0..200)
            .map(|_| Pooled32::random_in(Pooled).unwrap())
            .collect();
        let sealed: Vec<_> = (0..100)
            .map(|_| Sealed32::random_in(Sealed).unwrap())
            .collect();
        let during = usage();
        assert_eq!(during.dedicated, before.dedicated + 10, "{during}");
        assert_eq!(during.pooled, before.pooled + 200, "{during}");
        assert_eq!(during.sealed, before.sealed + 100, "{during}");
        assert_eq!(during.locked as u64, kernel_locked(&during), "{during}");
        // Ten 32-byte secrets, a page each, whether new or kept pages taken again.
        assert_eq!(
            during.dedicated_locked,
            before.dedicated_locked + 10 * 4096,
            "{during}"
        );
        // 200 pooled 32-byte secrets (85 a page) fit in the warm chunk's pages.
        assert!(during.pool_pages >= 4, "{during}");

        {
            let _a = pooled[0].borrow();
            let _b = sealed[0].borrow();
            assert_eq!(usage().borrowed_copies, before.borrowed_copies + 2);
        }
        assert_eq!(usage().borrowed_copies, before.borrowed_copies);

        drop((dedicated, pooled, sealed));
        let after = usage();
        assert_eq!(after.dedicated, before.dedicated, "{after}");
        assert_eq!(after.pooled, before.pooled, "{after}");
        assert_eq!(after.sealed, before.sealed, "{after}");
        assert_eq!(after.locked as u64, kernel_locked(&after), "{after}");
        if backend == Backend::MemfdSecret {
            // Dropped regions are kept for reuse, up to 16 pages: still locked, and reported.
            assert!(after.kept_regions > 0, "{after}");
        }
        println!("{after}");
        drop(warm);
    })
    .assert_success();
}

#[test]
fn the_headroom_is_how_many_more_fit_under_the_limit() {
    const NAME: &str = "the_headroom_is_how_many_more_fit_under_the_limit";
    for_each_locking_backend(NAME, |_| {
        const LIMIT: u64 = 256 * 1024;
        limit_locked_memory(LIMIT);
        secrets_core::set_spare_pages(0);
        let report = usage();
        assert_eq!(report.limit, Some(LIMIT));
        assert!(!report.unlimited_by_capability);
        let room = report.headroom().expect("a limit applies");
        assert_eq!(room, LIMIT - kernel_locked(&report), "{report}");
        // Each 32-byte dedicated secret locks one page: exactly `room / page` more fit.
        let fit = (room / 4096) as usize;
        let mut held = Vec::new();
        let refused = loop {
            match Dedicated32::random() {
                Ok(secret) => held.push(secret),
                Err(err) => break err,
            }
            assert!(
                held.len() <= fit,
                "more fit than the headroom said: {}",
                usage()
            );
        };
        assert!(matches!(refused, Error::Lock { .. }), "{refused}");
        assert_eq!(held.len(), fit, "the headroom said {fit} more would fit");
        assert!(usage().headroom().expect("a limit") < 4096);
    })
    .assert_success();
}

#[test]
fn the_capability_is_reported_and_lifts_the_headroom() {
    const NAME: &str = "the_capability_is_reported_and_lifts_the_headroom";
    in_child(NAME, || {
        let has_cap = caps::thread_capabilities().effective(caps::CAP_IPC_LOCK);
        let report = usage();
        assert_eq!(report.unlimited_by_capability, has_cap);
        if has_cap {
            assert_eq!(report.headroom(), None);
            assert!(report.to_string().contains("not enforced (CAP_IPC_LOCK)"));
        }
        caps::drop_ipc_lock();
        let report = usage();
        assert!(!report.unlimited_by_capability);
        assert_eq!(
            report.limit,
            Some(caps::memlock_limit().0).filter(|&l| l != u64::MAX)
        );
    })
    .assert_success();
}

#[test]
fn a_forked_child_counts_only_its_own() {
    const NAME: &str = "a_forked_child_counts_only_its_own";
    in_child(NAME, || {
        let held = (
            Dedicated32::random().expect("dedicated"),
            Pooled32::random_in(Pooled).expect("pooled"),
            Sealed32::random_in(Sealed).expect("sealed"),
        );
        let parent = usage();
        assert!(parent.dedicated >= 2 && parent.pooled >= 1 && parent.sealed >= 1);
        let child = fork_and_wait(|| {
            // The parent's pages are not here (MADV_DONTFORK): nothing of them is counted.
            let report = usage();
            let own = report.dedicated == 0
                && report.pooled == 0
                && report.sealed == 0
                && report.locked == 0;
            if !own {
                eprintln!("the child counts the parent's secrets: {report}");
                return 1;
            }
            let mine = Dedicated32::random().expect("a secret of the child's own");
            let report = usage();
            drop(mine);
            i32::from(report.dedicated != 1 || report.locked as u64 != kernel_locked(&report))
        });
        assert!(
            matches!(child.ended, Ended::Exited(0)),
            "{:?}: {}",
            child.ended,
            child.stderr
        );
        assert_eq!(usage(), parent, "the child changed nothing of the parent's");
        drop(held);
    })
    .assert_success();
}
