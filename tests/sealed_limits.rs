//! Sealed storage at its limits (issue 12): a million secrets under the 64 KiB lock limit of a
//! container, the first sealed secret when the limit has no room for the key page, scratch
//! slots running out, and the map count (`vm.max_map_count`) used up.
//!
//! Every scenario runs in a child that has dropped `CAP_IPC_LOCK` (root ignores
//! `RLIMIT_MEMLOCK`) before lowering the limit for good, or that has used up the map count,
//! under each backend that really locks (`for_each_locking_backend`: under ASan, `mlock` does
//! nothing and the sodium backend is left out).
//!
//! A sealed 32-byte value rests as 56 bytes of ciphertext (counter, ciphertext, tag) on the
//! ordinary heap; the process locks only the key page (one dedicated page) and the pool's
//! scratch pages that borrows decrypt into. See `secrets-core/src/sealed.rs`. The controls show
//! each limit is real: under the same 64 KiB, pooled storage stops at 1,275 secrets and
//! dedicated storage at 16, with `Error::Lock`; and the capacity child itself, after its
//! million, gets `Error::Lock` for a dedicated secret once the few pages left are taken.
//!
//! Measured (debug profile, libsodium at -O2, this 2-core machine shared with other builds,
//! 2026-12-02): a million sealed 32-byte secrets in 6.5-12.8 s (6.5-12.8 us per new), RSS
//! +176 bytes per secret (112 of them the `SecretBox` in the `Vec`), VmLck 36 kB (the key page
//! and a chunk of 8 pages for scratch, one of them in use), under both backends; about 3,000
//! sampled values read back in 35-75 ms. Under ASan (memfd_secret only): 18.7 s, 227 bytes.
//!
//! Checked by hand against broken versions of `secrets-core` (each restored afterwards):
//!
//! * a new key page for every sealed secret (instead of the current key), or every value
//!   placed on dedicated pages: the capacity test fails at secret 14 (`ScratchExhausted`
//!   caused by the lock limit) or 16 (`Error::Lock`), under both backends;
//! * every value sealed from zeros instead of what `init` wrote: the capacity test fails at
//!   the first sample ("secret 0 read back wrong");
//! * the scratch slot taken before the key page in `sealed::place`: the first sealed secret
//!   at the limit gives `ScratchExhausted` instead of `Error::Lock`, and
//!   `no_room_for_the_key_page_is_a_lock_error` fails; the key page's error turned into a panic
//!   (`expect`): it fails with "panicked at the limit";
//! * `ScratchExhausted` replaced by its cause in the pool: `scratch_exhausted_is_a_typed_error`
//!   fails (`Error::Lock` where `ScratchExhausted` is expected);
//! * the key page left readable after it is made (a `Ref` of it forgotten): every test that
//!   checks the key page fails (`r--s` where `---s` is expected), the map-count ones included;
//! * a sealed scratch slot that cannot be had turned into a panic: both map-count tests fail;
//!   memfd_secret chunks mapped without `MADV_DONTFORK`: `map_count_pressure_on_scratch_pages`
//!   fails under memfd_secret (scratch pages without `dc`);
//! * the sodium backend's checks of libsodium's guard pages and lock switched off, and its
//!   seal's `mprotect` error and `MADV_DONTFORK` error ignored: the first sealed secret
//!   panics at the map count (5 panics, sodium). Any one of those alone is not seen: the next
//!   step (the seal's `mprotect` over the guard pages, `MADV_DONTFORK` needing a split) fails
//!   with a typed error instead, and the allocation is released.
//!
//! `sealed_secrets_stay_readable_when_the_limit_is_used_up_elsewhere` is ignored: it fails
//! today (see its doc) and passes with sealed values counted as users of their class's scratch
//! page in `pool::release_empty`.

// Linux-only: drops CAP_IPC_LOCK, exhausts vm.max_map_count, reads /proc/self/maps.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use secrets_core::__private::{pool_pages, sealed_key_page};
use secrets_core::{Backend, Dedicated, Error, Pooled, Sealed, SecretBox, Storage};
use secrets_integration_tests::caps::{limit_locked_memory, locked_bytes, status_bytes};
use secrets_integration_tests::pool::{
    assert_borrow_panics_without_scratch, assert_exhausted_by_the_lock_limit, assert_write_refused,
    borrow_until_refused, pool_pages_with, slots_per_page_32,
};
use secrets_integration_tests::pressure::MapPressure;
use secrets_integration_tests::values::value_for;
use secrets_integration_tests::{
    backend_name, for_each_locking_backend, guarded_page_fault, mappings, page_of, page_size,
    vma_at, Access,
};

/// A sealed 32-byte secret: the type the capacity target is stated for.
type Sealed32 = SecretBox<[u8; 32], Sealed>;

/// What containers, Kubernetes nodes and AWS Lambda give.
const LIMIT_64_KIB: u64 = 64 * 1024;
/// The target of issue 12: live sealed 32-byte secrets under 64 KiB.
const TARGET: usize = 1_000_000;
/// Far more pooled or dedicated secrets than 64 KiB of pages can hold.
const RUNAWAY: usize = 100_000;
/// Every this many secrets one is read back, and the last: about 3,000 of a million, spread
/// over all of them.
const SAMPLE_EVERY: usize = 331;

/// What [`fill`] made: the live secrets, the error that stopped it (if one did) and the time.
struct Filled<S: Storage> {
    live: Vec<SecretBox<[u8; 32], S>>,
    err: Option<Error>,
    elapsed: Duration,
}

/// Makes `SecretBox<[u8; 32], S>`s (`value_for(i)`) until `most` are live or one fails; a panic
/// fails the test.
fn fill<S: Storage + Copy>(storage: S, most: usize) -> Filled<S> {
    let mut live = Vec::with_capacity(most);
    let began = Instant::now();
    let mut err = None;
    while live.len() < most {
        let i = live.len();
        match SecretBox::<[u8; 32], S>::new_in(storage, |v| *v = value_for(i)) {
            Ok(secret) => live.push(secret),
            Err(stopped) => {
                err = Some(stopped);
                break;
            }
        }
    }
    Filled {
        live,
        err,
        elapsed: began.elapsed(),
    }
}

/// Makes dedicated 32-byte secrets until the first error, which must be `Error::Lock`.
fn fill_dedicated_to_the_limit() -> Vec<SecretBox<[u8; 32]>> {
    let Filled { live, err, .. } = fill(Dedicated, RUNAWAY);
    let err = err.expect("no lock error from dedicated secrets");
    assert!(matches!(err, Error::Lock { .. }), "{err:?}");
    live
}

/// Fills `storage` with 32-byte secrets until the lock limit stops them, calls `report` with
/// how many were made and the error, and checks that the error is `Error::Lock` naming 64 KiB:
/// the controls of [`capacity_sealed_under_64_kib`] and
/// [`control_pooled_and_dedicated_stop_at_the_64_kib_limit`].
fn fill_to_the_64_kib_limit<S: Storage + Copy>(
    storage: S,
    report: impl FnOnce(usize, &Option<Error>),
) -> Vec<SecretBox<[u8; 32], S>> {
    let Filled { live, err, .. } = fill(storage, RUNAWAY);
    report(live.len(), &err);
    assert!(
        matches!(
            err,
            Some(Error::Lock {
                limit: Some(LIMIT_64_KIB),
                ..
            })
        ),
        "{err:?}"
    );
    live
}

/// Checks the key page (inaccessible at rest) and every scratch page (read-write at rest):
/// each its own locked mapping, out of dumps and forks, between guard pages. Returns how many
/// scratch pages there are.
fn check_key_and_scratch_pages(backend: Backend) -> usize {
    let vmas = mappings();
    let key = sealed_key_page().expect("a key page once a sealed secret exists");
    let mut faults: Vec<String> = guarded_page_fault(backend, &vmas, page_of(key), Access::None)
        .map(|fault| format!("key {fault}"))
        .into_iter()
        .collect();
    let scratch = pool_pages_with("scratch");
    faults.extend(scratch.iter().filter_map(|&page| {
        guarded_page_fault(backend, &vmas, page, Access::ReadWrite)
            .map(|fault| format!("scratch {fault}"))
    }));
    assert!(
        faults.is_empty(),
        "the key page or scratch pages are not locked, guarded mappings of their own: {faults:#?}"
    );
    scratch.len()
}

/// Checks that the ciphertext of every `step`th secret rests in ordinary memory: a readable,
/// writable, unlocked private mapping (the heap), not on a pool page.
fn check_ciphertext_in_ordinary_memory(live: &[Sealed32], step: usize) {
    let vmas = mappings();
    let pool: HashSet<usize> = pool_pages().into_iter().map(|(addr, _)| addr).collect();
    for (i, secret) in live.iter().enumerate().step_by(step) {
        let at = secret.__rest_address();
        let vma = vma_at(&vmas, at).unwrap_or_else(|| panic!("secret {i} at {at:#x}: unmapped"));
        assert!(
            vma.perms == "rw-p" && !vma.has_flag("lo") && !pool.contains(&page_of(at)),
            "secret {i}'s ciphertext at {at:#x} is not in ordinary memory: {vma:?}"
        );
    }
}

// ------------------------------------------------------------------------------------------
// 1. Capacity at 64 KiB

#[test]
fn capacity_sealed_under_64_kib() {
    for_each_locking_backend("capacity_sealed_under_64_kib", |backend| {
        limit_locked_memory(LIMIT_64_KIB);
        let rss_before = status_bytes("VmRSS");
        let Filled { live, err, elapsed } = fill(Sealed, TARGET);
        let rss = status_bytes("VmRSS").saturating_sub(rss_before);
        let locked = locked_bytes();
        let scratch = pool_pages_with("scratch").len();
        println!(
            "SEALED-64KIB {}: {} live sealed 32-byte secrets in {elapsed:?} ({:.0} ns per new); \
             RSS +{} MiB ({:.0} bytes per secret, {} of them the Vec's); VmLck {} kB (key page \
             and {scratch} scratch pages); then: {err:?}",
            backend_name(backend),
            live.len(),
            elapsed.as_nanos() as f64 / live.len().max(1) as f64,
            rss / (1024 * 1024),
            rss as f64 / live.len().max(1) as f64,
            std::mem::size_of::<Sealed32>(),
            locked / 1024
        );
        if let Some(err) = err {
            panic!("sealed secret {} under 64 KiB: {err:?}: {err}", live.len());
        }
        assert_eq!(live.len(), TARGET);
        assert!(
            locked <= LIMIT_64_KIB,
            "VmLck {locked} bytes over the limit"
        );
        // Not one value took a slot of the pool's locked data pages: they are ciphertext in
        // ordinary memory. Only the key page and scratch pages are locked.
        assert_eq!(
            pool_pages_with("data"),
            Vec::<usize>::new(),
            "pool data pages"
        );
        assert!(scratch >= 1, "no scratch page to decrypt into");
        assert_eq!(check_key_and_scratch_pages(backend), scratch);
        check_ciphertext_in_ordinary_memory(&live, SAMPLE_EVERY * 10);
        let began = Instant::now();
        let mut sampled = 0;
        for (i, secret) in live.iter().enumerate() {
            if i % SAMPLE_EVERY == 0 || i + 1 == live.len() {
                assert_eq!(*secret.borrow(), value_for(i), "secret {i} read back wrong");
                sampled += 1;
            }
        }
        println!(
            "  {sampled} sampled values read back right in {:?}",
            began.elapsed()
        );
        // The control, in this same child: the limit is in force. Dedicated secrets (a locked
        // page each) get the room the key and scratch pages left, and then `Error::Lock`.
        let room = (LIMIT_64_KIB - locked) as usize / page_size();
        let dedicated = fill_to_the_64_kib_limit(Dedicated, |made, err| {
            println!(
                "  then, in the same child, {made} dedicated secrets ({room} pages were left \
                 under the limit), then: {err:?}"
            );
        });
        // Not `room`: the lock error releases the chunk of the sealed secrets' scratch page
        // first (see `sealed_secrets_stay_readable_when_the_limit_is_used_up_elsewhere`).
        let most = (LIMIT_64_KIB as usize) / page_size() - 1;
        assert!(
            (room..=most).contains(&dedicated.len()),
            "{} dedicated secrets: between the {room} pages left and all but the key page",
            dedicated.len()
        );
    })
    .assert_success();
}

/// The control: in the same child, under the same 64 KiB, dedicated storage stops at 16
/// secrets (one locked page each) and pooled storage at 1,275 (15 pages of 85 slots, and a
/// scratch page), both with `Error::Lock`.
#[test]
fn control_pooled_and_dedicated_stop_at_the_64_kib_limit() {
    for_each_locking_backend(
        "control_pooled_and_dedicated_stop_at_the_64_kib_limit",
        |backend| {
            limit_locked_memory(LIMIT_64_KIB);
            let pages = (LIMIT_64_KIB as usize) / page_size();
            let dedicated = fill_to_the_64_kib_limit(Dedicated, |made, err| {
                println!(
                    "CONTROL-64KIB {}: {made} dedicated 32-byte secrets, then: {err:?}",
                    backend_name(backend)
                );
            });
            assert_eq!(
                dedicated.len(),
                pages,
                "one locked page per dedicated secret"
            );
            drop(dedicated);
            let pooled = fill_to_the_64_kib_limit(Pooled, |made, err| {
                println!(
                    "CONTROL-64KIB {}: {made} pooled 32-byte secrets, then: {err:?}",
                    backend_name(backend)
                );
            });
            assert_eq!(
                pooled.len(),
                (pages - 1) * slots_per_page_32(),
                "pooled secrets: every page but one scratch page full"
            );
            assert!(pooled.len() * 100 < TARGET);
        },
    )
    .assert_success();
}

// ------------------------------------------------------------------------------------------
// 2. No room for the key page; no room for a scratch page

/// Makes one sealed secret; a panic is reported as `None`.
fn try_new_sealed(i: usize) -> Option<Result<Sealed32, Error>> {
    catch_unwind(AssertUnwindSafe(|| {
        Sealed32::new_in(Sealed, |v| *v = value_for(i))
    }))
    .ok()
}

/// With the limit used up by dedicated secrets, the first sealed secret cannot have its key
/// page: `Error::Lock`, naming the limit and what to do, and no key. With one page given back,
/// the key page fits but no scratch page does: `Error::ScratchExhausted`, caused by the lock
/// limit. With one more, a sealed secret is made and read back.
#[test]
fn no_room_for_the_key_page_is_a_lock_error() {
    for_each_locking_backend("no_room_for_the_key_page_is_a_lock_error", |backend| {
        limit_locked_memory(LIMIT_64_KIB);
        let mut dedicated = fill_dedicated_to_the_limit();
        let no_key = try_new_sealed(0).expect("the first sealed secret panicked at the limit");
        let err = no_key
            .map(drop)
            .expect_err("a sealed secret with the limit used up");
        println!(
            "NO-KEY {}: {} dedicated secrets hold the limit; the first sealed secret: {err}",
            backend_name(backend),
            dedicated.len()
        );
        assert!(
            matches!(
                err,
                Error::Lock {
                    limit: Some(LIMIT_64_KIB),
                    ..
                }
            ),
            "no room for the key page should be Error::Lock naming 64 KiB: {err:?}"
        );
        let shown = err.to_string();
        assert!(
            shown.contains("RLIMIT_MEMLOCK")
                && shown.contains("65536")
                && shown.contains("CAP_IPC_LOCK"),
            "the message names the limit and what to do: {shown}"
        );
        assert_eq!(sealed_key_page(), None, "a key page after its error");
        // Room for one page: the key page.
        dedicated.pop();
        let no_scratch = try_new_sealed(1).expect("a sealed secret panicked without scratch");
        let err = no_scratch
            .map(drop)
            .expect_err("a sealed secret with room for its key page only");
        println!("  with room for one page: {err}");
        assert!(sealed_key_page().is_some(), "the key page was not made");
        match &err {
            Error::ScratchExhausted {
                live_borrows: 0,
                cause,
            } => assert!(
                matches!(
                    **cause,
                    Error::Lock {
                        limit: Some(LIMIT_64_KIB),
                        ..
                    }
                ),
                "{cause:?}"
            ),
            other => panic!("expected Error::ScratchExhausted caused by the lock limit: {other:?}"),
        }
        let shown = err.to_string();
        assert!(
            shown.contains("scratch") && shown.contains("RLIMIT_MEMLOCK"),
            "the message names scratch memory and the limit: {shown}"
        );
        // Room for a scratch page too: sealed secrets are made, under the key already made.
        let key = sealed_key_page();
        dedicated.pop();
        let Filled { live, err, .. } = fill(Sealed, 1_000);
        assert!(
            err.is_none(),
            "sealed secrets with room for a scratch page: {err:?}"
        );
        assert_eq!(sealed_key_page(), key, "a second key page");
        for (i, secret) in live.iter().enumerate() {
            assert_eq!(*secret.borrow(), value_for(i), "secret {i}");
        }
        assert_eq!(check_key_and_scratch_pages(backend), 1);
    })
    .assert_success();
}

/// With every scratch slot held by a borrow of another sealed secret and no room under the
/// limit for another scratch page, `try_borrow` and `try_borrow_mut` give
/// `Error::ScratchExhausted` (and a new sealed secret, which is made in scratch, too);
/// `borrow` panics with its text. A secret already borrowed can be borrowed again (its `Ref`s
/// share one slot), and once the borrows end every secret can be borrowed.
#[test]
fn scratch_exhausted_is_a_typed_error() {
    for_each_locking_backend("scratch_exhausted_is_a_typed_error", |backend| {
        limit_locked_memory(LIMIT_64_KIB);
        let most_scratch_pages = (LIMIT_64_KIB as usize) / page_size() - 1;
        let Filled { mut live, err, .. } =
            fill(Sealed, (most_scratch_pages + 1) * slots_per_page_32());
        assert!(err.is_none(), "{err:?}");
        // Two secrets kept aside, to try `borrow_mut` and `borrow` on while the others are held.
        let count = live.len();
        let (held, aside) = live.split_at_mut(count - 2);
        let (refs, refused) = borrow_until_refused(held);
        let refused = refused.expect("no borrow refused with every scratch slot held");
        let scratch = pool_pages_with("scratch").len();
        println!(
            "SCRATCH {}: {} sealed secrets; {} borrows held on {scratch} scratch pages (VmLck \
             {} kB), then: {refused}",
            backend_name(backend),
            count,
            refs.len(),
            locked_bytes() / 1024
        );
        assert_exhausted_by_the_lock_limit(&refused, refs.len(), Some(LIMIT_64_KIB));
        assert_eq!(
            refs.len(),
            scratch * slots_per_page_32(),
            "every scratch page full"
        );
        assert_eq!(scratch, most_scratch_pages, "all but the key page");
        let shown = refused.to_string();
        assert!(
            shown.contains("scratch")
                && shown.contains("RLIMIT_MEMLOCK")
                && shown.contains("end borrows sooner"),
            "the message says what ran out and what to do: {shown}"
        );
        for (i, open) in refs.iter().enumerate() {
            assert_eq!(**open, value_for(i), "held borrow {i}");
        }
        // A second `Ref` of a borrowed secret shares its slot: no scratch needed.
        assert_eq!(
            *held[0].try_borrow().expect("a nested borrow"),
            value_for(0)
        );
        // Refused for writing as well, and for a new secret.
        assert_write_refused(&mut aside[0]);
        let new = try_new_sealed(usize::MAX).expect("a new sealed secret panicked");
        assert!(
            matches!(new, Err(Error::ScratchExhausted { .. })),
            "a new sealed secret with every scratch slot held: {:?}",
            new.map(drop)
        );
        assert_borrow_panics_without_scratch(&aside[1]);
        // Once the borrows end, every secret can be borrowed again, and written.
        drop(refs);
        for (i, secret) in live.iter_mut().enumerate() {
            assert_eq!(
                *secret.try_borrow().expect("a scratch slot again"),
                value_for(i)
            );
            secret.try_borrow_mut().expect("a scratch slot to write in")[31] ^= 0xFF;
            let mut expected = value_for(i);
            expected[31] ^= 0xFF;
            assert_eq!(*secret.borrow(), expected, "secret {i} after a write");
        }
        check_key_and_scratch_pages(backend);
    })
    .assert_success();
}

/// Makes 1,000 sealed secrets, then dedicated secrets until the lock limit stops them (with
/// one sealed secret borrowed meanwhile if `hold_a_borrow`), then borrows every sealed secret:
/// each must still be readable. Returns how many dedicated secrets were made.
fn sealed_readable_after_the_limit_is_used_up_elsewhere(hold_a_borrow: bool) -> usize {
    limit_locked_memory(LIMIT_64_KIB);
    let Filled { live, err, .. } = fill(Sealed, 1_000);
    assert!(err.is_none(), "{err:?}");
    let room = (LIMIT_64_KIB - locked_bytes()) as usize / page_size();
    let held = hold_a_borrow.then(|| live[0].borrow());
    let dedicated = fill_dedicated_to_the_limit();
    let scratch_after = pool_pages_with("scratch").len();
    drop(held);
    let unreadable: Vec<(usize, Error)> = live
        .iter()
        .enumerate()
        .filter_map(|(i, secret)| match secret.try_borrow() {
            Ok(open) => {
                assert_eq!(*open, value_for(i), "secret {i}");
                None
            }
            Err(err) => Some((i, err)),
        })
        .collect();
    println!(
        "  {} sealed secrets{}: {} dedicated secrets then ({room} pages were left); {} scratch \
         pages after; {} of them unreadable{}",
        live.len(),
        if hold_a_borrow { ", one borrowed" } else { "" },
        dedicated.len(),
        scratch_after,
        unreadable.len(),
        unreadable
            .first()
            .map(|(i, err)| format!(", the first ({i}): {err}"))
            .unwrap_or_default()
    );
    assert!(
        unreadable.is_empty(),
        "{} of {} sealed secrets can no longer be borrowed once dedicated secrets used the \
         limit up: {:?}",
        unreadable.len(),
        live.len(),
        unreadable.first()
    );
    assert_eq!(dedicated.len(), room, "dedicated secrets in the room left");
    dedicated.len()
}

/// The control: while one sealed secret is borrowed, its scratch page holds that borrow and
/// is kept; the dedicated secrets get only the room left, and every sealed secret stays
/// readable.
#[test]
fn control_sealed_secrets_stay_readable_while_a_borrow_keeps_the_scratch_page() {
    for_each_locking_backend(
        "control_sealed_secrets_stay_readable_while_a_borrow_keeps_the_scratch_page",
        |_| {
            sealed_readable_after_the_limit_is_used_up_elsewhere(true);
        },
    )
    .assert_success();
}

/// Sealed secrets must stay readable when dedicated secrets use the lock limit up, as pooled
/// ones do (a class in use keeps its scratch page). Failed under both backends before live
/// sealed values counted as users of their class's scratch: the first `Error::Lock` of the
/// dedicated secrets called `pool::release_empty`, which counted a size class as in use only
/// if it had a data page with a secret in it. Sealed values have none, so their scratch page's
/// chunk was unmapped, the dedicated secrets took its room (15 instead of 7), and every sealed
/// borrow then got `Error::ScratchExhausted` (caused by the lock limit) until some other secret
/// was dropped.
#[test]
fn sealed_secrets_stay_readable_when_the_limit_is_used_up_elsewhere() {
    for_each_locking_backend(
        "sealed_secrets_stay_readable_when_the_limit_is_used_up_elsewhere",
        |_| {
            sealed_readable_after_the_limit_is_used_up_elsewhere(false);
        },
    )
    .assert_success();
}

// ------------------------------------------------------------------------------------------
// 3. The map count

/// Mappings left free by the pressure at first: fewer than a key page or a chunk of scratch
/// pages needs (3 to 4 mappings; 33).
const SPARE_MAPPINGS: usize = 1;
/// At most this many further attempts, with one pressure mapping released before each: enough
/// for a key page and a chunk of scratch pages (37 mappings in all).
const ROUNDS: usize = 60;
/// Sealed secrets made once the first one could be: they need no new mapping.
const UNDER_PRESSURE: usize = 1_000;

/// Whether `err` is what a sealed secret may give at the map count: a mapping refused (`Map`),
/// a guard page that could not be put in place (`Guard`), the kernel's `ENOMEM` not explained
/// by the map count (`OutOfMemory`), or, for a scratch page, `ScratchExhausted` caused by one
/// of those.
///
/// Not accepted: `Advise` for `MADV_DONTFORK` with `EAGAIN`, which this test used to see under
/// memfd_secret: a chunk's `PROT_NONE` reservation merges with a neighbouring `PROT_NONE`
/// pressure mapping, so the `madvise` over the chunk must split that mapping, and at the map
/// count the kernel's `ENOMEM` from the split comes back from `madvise` as `EAGAIN`. The
/// placement now names that the map count's error (`heap/limits.rs`, `advise_error`).
fn is_map_count_error(err: &Error) -> bool {
    match err {
        Error::Map { .. } | Error::Guard { .. } | Error::OutOfMemory { .. } => true,
        Error::ScratchExhausted { cause, .. } => is_map_count_error(cause),
        _ => false,
    }
}

/// The error's variant, and its cause's for `ScratchExhausted`: one example of each is shown.
fn kind(err: &Error) -> String {
    let shown = format!("{err:?}");
    let name = shown
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_owned();
    match err {
        Error::ScratchExhausted { cause, .. } => format!("{name} <- {}", kind(cause)),
        _ => name,
    }
}

/// Calls `attempt` once, then releases one pressure mapping before each further call, until it
/// succeeds or [`ROUNDS`] are done. Returns the success, if any, and the errors before it
/// (`None` for a panic).
fn retry_releasing<T>(
    pressure: &mut MapPressure,
    mut attempt: impl FnMut() -> Result<T, Error>,
) -> (Option<T>, Vec<Option<Error>>) {
    let mut errors = Vec::with_capacity(ROUNDS + 1);
    for round in 0..=ROUNDS {
        if round > 0 {
            pressure.release(1);
        }
        match catch_unwind(AssertUnwindSafe(&mut attempt)) {
            Ok(Ok(done)) => return (Some(done), errors),
            Ok(Err(err)) => errors.push(Some(err)),
            Err(_) => errors.push(None),
        }
    }
    (None, errors)
}

/// Requires at least one error (the pressure bit), every one of them typed and about the map
/// count (never a panic), and prints them.
fn check_map_count_errors(what: &str, errors: &[Option<Error>]) {
    let panics = errors.iter().filter(|err| err.is_none()).count();
    println!(
        "  {what}: {} failures before it could be done ({panics} panics)",
        errors.len()
    );
    let mut shown = HashSet::new();
    for err in errors.iter().flatten() {
        if shown.insert(kind(err)) {
            println!("    {err:?}: {err}");
        }
    }
    assert_eq!(panics, 0, "{what} panicked at the map count");
    assert!(
        !errors.is_empty(),
        "{what}: the map count never got in the way"
    );
    assert!(
        errors.iter().flatten().all(is_map_count_error),
        "{what}: an error not about the map count: {errors:?}"
    );
}

/// The first sealed secret of a process at the map count: no room for the key page (or then
/// for a scratch page) gives a typed error, never a panic, until enough mappings are released;
/// the key page then made is locked, inaccessible and between guard pages, and the sealed
/// secrets made under the pressure read back right.
#[test]
fn map_count_pressure_on_the_first_sealed_secret() {
    for_each_locking_backend("map_count_pressure_on_the_first_sealed_secret", |backend| {
        let mut live: Vec<Sealed32> = Vec::with_capacity(UNDER_PRESSURE);
        let mut pressure = MapPressure::leaving(SPARE_MAPPINGS);
        let (first, errors) = retry_releasing(&mut pressure, || {
            Sealed32::new_in(Sealed, |v| *v = value_for(0))
        });
        let released = pressure.len();
        live.push(first.expect("no sealed secret after releasing the pressure bit by bit"));
        for i in 1..UNDER_PRESSURE {
            live.push(
                Sealed32::new_in(Sealed, |v| *v = value_for(i))
                    .expect("a sealed secret once the key and a scratch page exist"),
            );
        }
        for (i, secret) in live.iter().enumerate() {
            assert_eq!(*secret.borrow(), value_for(i), "secret {i} under pressure");
        }
        drop(pressure);
        println!(
            "MAP-COUNT-KEY {}: the first sealed secret made with {released} pressure mappings \
             left; {} sealed secrets then",
            backend_name(backend),
            live.len()
        );
        check_map_count_errors("the first sealed secret", &errors);
        let scratch = check_key_and_scratch_pages(backend);
        println!("  the key page and {scratch} scratch pages: locked, guarded, own mappings");
    })
    .assert_success();
}

/// Scratch slots at the map count: with every slot of the first scratch chunk held, a borrow
/// that needs a new chunk gives `ScratchExhausted` caused by the map count, never a panic; once
/// enough mappings are released, the borrow succeeds, every held borrow read right, and every
/// scratch page is a locked, guarded mapping of its own.
#[test]
fn map_count_pressure_on_scratch_pages() {
    for_each_locking_backend("map_count_pressure_on_scratch_pages", |backend| {
        // Twice the slots of a first chunk (16 pages of 85).
        let Filled { live, err, .. } = fill(Sealed, 2 * 16 * slots_per_page_32());
        assert!(err.is_none(), "{err:?}");
        let mut refs = Vec::with_capacity(live.len());
        let mut pressure = MapPressure::leaving(SPARE_MAPPINGS);
        let mut secrets = live.iter();
        let refused = loop {
            let secret = secrets
                .next()
                .expect("every secret borrowed under pressure");
            match secret.try_borrow() {
                Ok(open) => refs.push(open),
                Err(err) => break (secret, err),
            }
        };
        let held = refs.len();
        let (next, errors) = retry_releasing(&mut pressure, || refused.0.try_borrow());
        let released = pressure.len();
        refs.push(next.expect("no borrow after releasing the pressure bit by bit"));
        refs.extend(secrets.map(|secret| secret.try_borrow().expect("a borrow")));
        for (i, open) in refs.iter().enumerate() {
            assert_eq!(**open, value_for(i), "held borrow {i}");
        }
        let total = refs.len();
        drop(refs);
        drop(pressure);
        println!(
            "MAP-COUNT-SCRATCH {}: {held} borrows held, then {} refusals; the next borrow with \
             {released} pressure mappings left; {total} borrows held in the end",
            backend_name(backend),
            errors.len()
        );
        assert!(
            matches!(
                &refused.1,
                Error::ScratchExhausted { live_borrows, cause }
                    if *live_borrows == held && is_map_count_error(cause)
            ),
            "the first refusal: {:?}",
            refused.1
        );
        let mut all = vec![Some(refused.1)];
        all.extend(errors);
        check_map_count_errors("a borrow needing a new scratch chunk", &all);
        assert!(
            all.iter()
                .flatten()
                .all(|err| matches!(err, Error::ScratchExhausted { .. })),
            "a refused borrow is ScratchExhausted: {all:?}"
        );
        let scratch = check_key_and_scratch_pages(backend);
        assert!(scratch * slots_per_page_32() >= total);
        println!("  the key page and {scratch} scratch pages: locked, guarded, own mappings");
    })
    .assert_success();
}
