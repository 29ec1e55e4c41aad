//! The containers at the edge of the two limits that `sodium_malloc` silently ignores: the
//! number of mappings (`vm.max_map_count`, which guard pages need) and the amount of locked
//! memory (`RLIMIT_MEMLOCK`). Under each, a `SecretBox` must come back with a typed error, never
//! without its guard pages or its lock, under either backend; each control shows raw
//! `sodium_malloc` doing exactly that under the same pressure. (The MemfdSecret backend's pages
//! cannot be unlocked at all, the kernel marks them `VM_LOCKED`, but its guard pages are a
//! split of a reservation and need free mappings like libsodium's.)
//!
//! Every test runs in a child: the limits are lowered for good (the hard `RLIMIT_MEMLOCK`,
//! `CAP_IPC_LOCK`), and a process with no mappings left cannot even allocate a panic message.

// Linux-only: drops CAP_IPC_LOCK, exhausts vm.max_map_count, reads /proc/self/maps.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::panic::catch_unwind;
use std::time::Instant;

use secrets_core::{set_backend, Backend, Error, Secret, SecretBox, SecretVec};
use secrets_integration_tests::caps::{
    drop_ipc_lock, locked_bytes, memlock_limit, set_memlock_limit,
};
use secrets_integration_tests::pressure::MapPressure as Pressure;
use secrets_integration_tests::{
    backend_name, data_perms, for_each_backend, guard_perms, in_child, mapping_count, mappings,
    page_size, Access, Vma,
};

/// Bytes of a `SecretBox<[u8; 32]>`: with the 16-byte canary it fits one page.
const SECRET_LEN: usize = 32;

/// Runs a control, which makes no secret, in a child (`test_name` must be the calling test's
/// name), requires it to pass and shows what it measured.
fn control(test_name: &str, body: impl FnOnce()) {
    let outcome = in_child(test_name, body);
    print!("{}", outcome.stdout);
    outcome.assert_success();
}

fn page_of(addr: usize) -> usize {
    addr & !(page_size() - 1)
}

fn vma_at(vmas: &[Vma], addr: usize) -> Option<&Vma> {
    vmas.iter().find(|vma| vma.start <= addr && addr < vma.end)
}

fn perms_at(vmas: &[Vma], addr: usize) -> &str {
    vma_at(vmas, addr).map_or("unmapped", |vma| vma.perms.as_str())
}

/// Allocates with `attempt` until it fails, then frees one pressure mapping at a time and
/// attempts again after each, `ROUNDS` times. Gives up, with nothing in `failed`, after
/// `MAX_ALLOCATIONS` successes in a row. A `SecretBox` takes up to 4 mappings (Sodium: header,
/// guard, data, guard; MemfdSecret: guard, data, guard), so the rounds meet the limit with each
/// number of mappings to spare.
const ROUNDS: usize = 4;

/// The most allocations in a row [`allocate_to_the_limit`] makes before it gives up on a failure.
const MAX_ALLOCATIONS: usize = 1000;

/// `ok` and `failed` must have room reserved (`MAX_ALLOCATIONS + ROUNDS` and `ROUNDS + 1`): at
/// the limit, growing them could need a mapping there is none left for.
fn allocate_to_the_limit<T, E>(
    pressure: &mut Pressure,
    ok: &mut Vec<T>,
    failed: &mut Vec<E>,
    mut attempt: impl FnMut() -> Result<T, E>,
) {
    loop {
        if ok.len() == MAX_ALLOCATIONS {
            return;
        }
        match attempt() {
            Ok(value) => ok.push(value),
            Err(err) => {
                failed.push(err);
                break;
            }
        }
    }
    for _ in 0..ROUNDS {
        pressure.release(1);
        match attempt() {
            Ok(value) => ok.push(value),
            Err(err) => failed.push(err),
        }
    }
}

/// The guard pages of an allocation whose data lives on the page at `data_page`.
fn guards(vmas: &[Vma], data_page: usize) -> (&str, &str) {
    let page = page_size();
    (
        perms_at(vmas, data_page - page),
        perms_at(vmas, data_page + page),
    )
}

/// Whether `err` is what `SecretBox::new` of `backend` must return when the map count is used
/// up: the mapping itself refused (`Error::Map`) or, more often, the split that makes a guard
/// page (`Error::Guard`: Sodium's `mprotect`, MemfdSecret's `MAP_FIXED` over the middle of its
/// reservation).
fn is_map_count_error(backend: Backend, err: &Error) -> bool {
    match backend {
        // The reservation's `mmap` (Map), or the `MAP_FIXED` of the secret pages over its
        // middle, which splits it (Guard). Never Lock: the lock limit is not what ran out.
        Backend::MemfdSecret => matches!(err, Error::Map { .. } | Error::Guard { .. }),
        // `sodium_malloc`'s `mmap` (Map), or a guard page's `mprotect`, which splits the
        // mapping, redone by `secrets-core` after libsodium ignored its failure (Guard).
        Backend::Sodium => matches!(err, Error::Map { .. } | Error::Guard { .. }),
        other => panic!("no expectation for {other:?}"),
    }
}

#[test]
fn map_count_exhausted_gives_map_or_guard_error_never_an_unguarded_box() {
    for_each_backend(
        "map_count_exhausted_gives_map_or_guard_error_never_an_unguarded_box",
        |backend| {
            let mut boxes: Vec<SecretBox<[u8; SECRET_LEN]>> =
                Vec::with_capacity(MAX_ALLOCATIONS + ROUNDS);
            // `None` for a panic: `SecretBox::new` must not panic at the limit.
            let mut errors: Vec<Option<Error>> = Vec::with_capacity(ROUNDS + 1);
            let mut pressure = Pressure::leaving(40);
            allocate_to_the_limit(&mut pressure, &mut boxes, &mut errors, || {
                catch_unwind(|| SecretBox::<[u8; SECRET_LEN]>::new(|v| v.fill(0x5A)))
                    .map_err(|_| None)?
                    .map_err(Some)
            });
            // Give the mappings back before reading /proc: the reader needs to allocate.
            drop(pressure);
            println!("{} boxes, then {} failures:", boxes.len(), errors.len());
            for err in &errors {
                match err {
                    Some(err @ Error::Map { .. }) => println!("  Error::Map: {err}"),
                    Some(err @ Error::Guard { .. }) => println!("  Error::Guard: {err}"),
                    Some(err @ Error::Lock { .. }) => println!("  Error::Lock: {err}"),
                    Some(err) => println!("  {err:?}: {err}"),
                    None => println!("  panic"),
                }
            }
            assert!(
                errors.iter().all(Option::is_some),
                "SecretBox::new panicked at the map count limit instead of returning an error"
            );

            let vmas = mappings();
            let guard = guard_perms(backend);
            let at_rest = data_perms(backend, Access::None);
            let mut unguarded = Vec::new();
            for secret in &boxes {
                let data = secret.borrow().as_ptr() as usize;
                let data_page = page_of(data);
                let (before, after) = guards(&vmas, data_page);
                let own = vma_at(&vmas, data_page);
                let sealed = own.is_some_and(|vma| {
                    vma.perms == at_rest
                        && vma.has_flag("lo")
                        && vma.has_flag("dd")
                        && vma.has_flag("dc")
                });
                if before != guard || after != guard || !sealed {
                    unguarded.push((data_page, before, after, own.cloned()));
                }
                assert_eq!(*secret.borrow(), [0x5A; SECRET_LEN], "box at {data:#x}");
            }
            assert!(
                unguarded.is_empty(),
                "{} of {} boxes were handed out without guard pages ({guard}), data {at_rest}, \
                 lock, dd and dc: {unguarded:#x?}",
                unguarded.len(),
                boxes.len()
            );
            assert!(
                !errors.is_empty(),
                "{} boxes and no error: the map count never stopped SecretBox::new",
                boxes.len()
            );
            assert!(
                errors.iter().all(|err| err
                    .as_ref()
                    .is_some_and(|err| is_map_count_error(backend, err))),
                "out of mappings, SecretBox::new under {} should fail with Error::Map or \
                 Error::Guard: {errors:?}",
                backend_name(backend)
            );
        },
    )
    .assert_success();
}

/// The control: raw `sodium_malloc` under the same pressure hands out memory without its guard
/// pages. The kernel refuses an `mmap` only once the process is past `vm.max_map_count`, but a
/// split (which each guard-page `mprotect` and the `mlock` need) already at it; libsodium ignores
/// those failures. Here 12 of the 200 calls returned memory (the rest NULL), and the last 2 of
/// those had neither guard page nor lock; in one run all 200 returned memory, 190 of it
/// unguarded, each new read-write mapping having merged with the one before.
#[test]
fn control_sodium_malloc_loses_its_guard_pages_at_the_map_count() {
    control(
        "control_sodium_malloc_loses_its_guard_pages_at_the_map_count",
        || {
            const ALLOCATIONS: usize = 200;
            // SAFETY: `sodium_init` may be called at any time, any number of times.
            assert!(unsafe { libsodium_sys::sodium_init() } >= 0, "sodium_init");
            let mut allocated: Vec<usize> = Vec::with_capacity(ALLOCATIONS);
            let pressure = Pressure::leaving(40);
            for _ in 0..ALLOCATIONS {
                // SAFETY: `sodium_malloc` accepts any size; the memory is freed below.
                let ptr = unsafe { libsodium_sys::sodium_malloc(SECRET_LEN) };
                if !ptr.is_null() {
                    allocated.push(ptr as usize);
                }
            }
            drop(pressure);

            let vmas = mappings();
            let (mut no_leading, mut no_trailing, mut unlocked) = (0, 0, 0);
            for &ptr in &allocated {
                let (before, after) = guards(&vmas, page_of(ptr));
                no_leading += usize::from(before != "---p");
                no_trailing += usize::from(after != "---p");
                unlocked += usize::from(vma_at(&vmas, ptr).is_some_and(|vma| !vma.has_flag("lo")));
            }
            println!(
                "sodium_malloc at the map count: {ALLOCATIONS} calls, {} returned memory; \
                 {no_trailing} without a trailing guard page, {no_leading} without a leading \
                 one, {unlocked} not locked",
                allocated.len()
            );
            assert!(
                no_trailing > 0,
                "every sodium_malloc allocation had its trailing guard page, so this pressure \
                 does not show what SecretBox guards against"
            );
            for ptr in allocated {
                // SAFETY: each pointer came from `sodium_malloc` and is freed once.
                unsafe { libsodium_sys::sodium_free(ptr as *mut libc::c_void) };
            }
        },
    );
}

const SMALL_MEMLOCK: u64 = 64 * 1024;

/// The `errno` that `Error::Lock` carries when `RLIMIT_MEMLOCK` is used up.
fn lock_limit_errno(backend: Backend) -> i32 {
    match backend {
        // The kernel charges secret memory to the limit when it is mapped, and refuses the
        // `mmap` with EAGAIN.
        Backend::MemfdSecret => libc::EAGAIN,
        // `mlock` past a nonzero limit fails with ENOMEM.
        Backend::Sodium => libc::ENOMEM,
        other => panic!("no expectation for {other:?}"),
    }
}

/// Drops `CAP_IPC_LOCK` and sets `RLIMIT_MEMLOCK` to `bytes`, so that the limit applies.
fn limit_locked_memory(bytes: u64) {
    drop_ipc_lock();
    set_memlock_limit(bytes);
    assert_eq!(memlock_limit(), (bytes, bytes));
}

#[test]
fn memlock_exhausted_gives_lock_error_and_every_box_is_locked() {
    for_each_backend(
        "memlock_exhausted_gives_lock_error_and_every_box_is_locked",
        |backend| {
            limit_locked_memory(SMALL_MEMLOCK);
            let already = locked_bytes();
            let mut boxes = Vec::new();
            let err = loop {
                assert!(boxes.len() < 1000, "no lock failure after 1000 boxes");
                match SecretBox::<[u8; SECRET_LEN]>::random() {
                    Ok(secret) => boxes.push(secret),
                    Err(err) => break err,
                }
            };
            println!(
                "RLIMIT_MEMLOCK {SMALL_MEMLOCK} without CAP_IPC_LOCK ({already} bytes locked \
                 before): {} boxes, then: {err}",
                boxes.len()
            );
            assert!(
                matches!(
                    err,
                    Error::Lock {
                        limit: Some(SMALL_MEMLOCK),
                        errno,
                        ..
                    } if errno == lock_limit_errno(backend)
                ),
                "expected Error::Lock with the limit in force and errno {}: {err:?}",
                lock_limit_errno(backend)
            );
            let shown = err.to_string();
            assert!(
                shown.contains("RLIMIT_MEMLOCK") && shown.contains(&SMALL_MEMLOCK.to_string()),
                "the message should name RLIMIT_MEMLOCK and its value: {shown}"
            );
            let page = page_size() as u64;
            assert_eq!(
                boxes.len() as u64,
                (SMALL_MEMLOCK - already) / page,
                "one locked page per box should fit until the limit"
            );

            let vmas = mappings();
            for secret in &boxes {
                let data = secret.borrow().as_ptr() as usize;
                let vma = vma_at(&vmas, data).expect("the box's data is mapped");
                assert!(
                    vma.has_flag("lo") && vma.locked_kb > 0,
                    "a box created under the limit is not locked: {vma:?}"
                );
                assert_eq!(vma.perms, data_perms(backend, Access::None), "{vma:?}");
            }

            // The stack is held to the same limit.
            let mut ran = false;
            let result = Secret::<[u8; SECRET_LEN]>::new(|_| ran = true);
            println!("Secret::new with the limit used up: {result:?}");
            assert!(
                matches!(result, Err(Error::Lock { .. })),
                "Secret::new should fail to lock its page: {result:?}"
            );
            assert!(
                !ran,
                "the closure ran although its page could not be locked"
            );

            // Control: with one box freed, the same Secret::new works.
            drop(boxes.pop());
            let mut ran = false;
            let result = Secret::<[u8; SECRET_LEN]>::new(|_| ran = true);
            assert!(
                result.is_ok() && ran,
                "with a page of limit free, Secret::new should run: {result:?}"
            );
        },
    )
    .assert_success();
}

/// Kept `memfd_secret` pages count against `RLIMIT_MEMLOCK`: when they hold the room a new
/// mapping needs, they are released and the mapping made, instead of an `Error::Lock`. The kept
/// region here is two pages, so a one-page box cannot simply reuse it.
#[test]
fn kept_pages_are_released_before_a_new_mapping_would_fail() {
    control(
        "kept_pages_are_released_before_a_new_mapping_would_fail",
        || {
            set_backend(Backend::MemfdSecret).expect("memfd_secret on this kernel");
            limit_locked_memory(SMALL_MEMLOCK);
            // A region of two pages (data, canary and a page boundary between them).
            let wide = SecretVec::<u8>::zero(page_size()).expect("a two-page secret");
            let mut boxes = Vec::new();
            let err = loop {
                assert!(boxes.len() < 1000, "no lock failure after 1000 boxes");
                match SecretBox::<[u8; SECRET_LEN]>::zero() {
                    Ok(secret) => boxes.push(secret),
                    Err(err) => break err,
                }
            };
            assert!(matches!(err, Error::Lock { .. }), "the limit: {err:?}");
            // Kept, still charged to the limit.
            drop(wide);
            let first = SecretBox::<[u8; SECRET_LEN]>::zero();
            let second = SecretBox::<[u8; SECRET_LEN]>::zero();
            println!(
                "{} boxes filled the limit; with the two-page region kept: {:?}, {:?}",
                boxes.len(),
                first.as_ref().err(),
                second.as_ref().err()
            );
            assert!(
                first.is_ok() && second.is_ok(),
                "the kept pages should have been released to make room: {:?}, {:?}",
                first.err(),
                second.err()
            );
        },
    );
}

/// The control: raw `sodium_malloc` under the same limit goes on returning memory, unlocked.
#[test]
fn control_sodium_malloc_returns_unlocked_memory_past_the_limit() {
    control(
        "control_sodium_malloc_returns_unlocked_memory_past_the_limit",
        || {
            limit_locked_memory(SMALL_MEMLOCK);
            // SAFETY: `sodium_init` may be called at any time, any number of times.
            assert!(unsafe { libsodium_sys::sodium_init() } >= 0, "sodium_init");
            let fit = (SMALL_MEMLOCK - locked_bytes()) as usize / page_size();
            let wanted = fit + 16;
            let allocated: Vec<usize> = (0..wanted)
                .map(|_| {
                    // SAFETY: `sodium_malloc` accepts any size; the memory is freed below.
                    let ptr = unsafe { libsodium_sys::sodium_malloc(SECRET_LEN) };
                    assert!(!ptr.is_null(), "sodium_malloc returned NULL");
                    ptr as usize
                })
                .collect();
            let vmas = mappings();
            let unlocked = allocated
                .iter()
                .filter(|&&ptr| vma_at(&vmas, ptr).is_some_and(|vma| !vma.has_flag("lo")))
                .count();
            println!(
                "sodium_malloc under RLIMIT_MEMLOCK {SMALL_MEMLOCK}: {wanted} allocations, \
                 none NULL, {unlocked} of them not locked"
            );
            assert_eq!(
                unlocked,
                wanted - fit,
                "every allocation past the limit should have come back unlocked"
            );
            for ptr in allocated {
                // SAFETY: each pointer came from `sodium_malloc` and is freed once.
                unsafe { libsodium_sys::sodium_free(ptr as *mut libc::c_void) };
            }
        },
    );
}

#[test]
fn boxes_that_fit_under_the_default_8_mib_memlock() {
    const LIMIT: u64 = 8 * 1024 * 1024;
    for_each_backend(
        "boxes_that_fit_under_the_default_8_mib_memlock",
        |backend| {
            limit_locked_memory(LIMIT);
            let already = locked_bytes();
            let began = Instant::now();
            let mut boxes = Vec::new();
            let err = loop {
                assert!(boxes.len() < 100_000, "no lock failure after 100,000 boxes");
                match SecretBox::<[u8; SECRET_LEN]>::zero() {
                    Ok(secret) => boxes.push(secret),
                    Err(err) => break err,
                }
            };
            let elapsed = began.elapsed();
            let fit = (LIMIT - already) / page_size() as u64;
            println!(
                "{}: RLIMIT_MEMLOCK 8 MiB without CAP_IPC_LOCK: {} live SecretBox<[u8; 32]> in \
             {elapsed:?} ({} mappings), then: {err}",
                backend_name(backend),
                boxes.len(),
                mapping_count()
            );
            assert!(
                matches!(err, Error::Lock { errno, .. } if errno == lock_limit_errno(backend)),
                "the limit should end it: {err:?}"
            );
            assert_eq!(
                boxes.len() as u64,
                fit,
                "one page per box: {fit} should fit"
            );
        },
    )
    .assert_success();
}
