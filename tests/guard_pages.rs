//! The guard pages and the canary around guarded memory, and `PROT_NONE` at rest: each crash that
//! must happen is run in a child that must die of the expected signal. Every scenario on a
//! container runs under each backend (`for_each_backend`); the layout, and so each expected
//! signal, is the same under both.
//!
//! Every crash has a control that the child runs first and reports on stdout (the last in-bounds
//! byte written, the byte read while the borrow is alive), so a child that dies for some other
//! reason (a panic, a bad address computation) fails the test. Where the attack itself could be
//! at fault, it is also run against plain read-write pages, where it must go unnoticed.
//!
//! The addresses are computed from the data pointer and the page size, following the layout
//! drawn in `secrets-core/src/heap/dedicated.rs` (and, per backend, in `tests/src/layout.rs`):
//!
//! ```text
//!  | leading guard |  garbage .. canary (16) | data |  trailing guard |
//!                  ^ region start: the page   ^      ^ data ends at the end of its page,
//!                    holding data[0] - 16              so data[len] is the guard's first byte
//! ```

// POSIX-only: each crash is a signal (SIGSEGV/SIGBUS/SIGABRT) in a child process.
#![cfg(unix)]

use secrets_core::{Backend, SecretBox, SecretString, SecretVec};
use secrets_integration_tests::{for_each_backend, in_child, page_size, ChildOutcome};

/// The canary takes the 16 bytes just before the data, under both backends (libsodium's
/// `CANARY_SIZE`, which the MemfdSecret backend copies).
const CANARY_SIZE: usize = 16;

/// What the read-after-release scenarios store, and must read back while the borrow is alive.
const WRITTEN: u8 = 0x5a;

/// Parent side of a crash scenario: the child got as far as `control` (so the allowed access
/// worked and the child did not die early for another reason), never printed "survived", and
/// died of SIGSEGV.
#[track_caller]
fn assert_faulted_after(outcome: &ChildOutcome, control: &str) {
    assert!(
        outcome.stdout.contains(control),
        "the control step did not happen: expected {control:?} in stdout\n{outcome:?}"
    );
    assert!(
        !outcome.stdout.contains("survived"),
        "the forbidden access did not fault\n{outcome:?}"
    );
    outcome.assert_killed_by(libc::SIGSEGV);
}

/// Maps `pages` read-write anonymous pages with no guard: the unprotected memory the controls
/// run the attacks on. Never unmapped; the child that uses it exits right after.
fn unguarded_pages(pages: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping at an address of the kernel's choosing overlaps
    // nothing that exists.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            pages * page_size(),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(addr, libc::MAP_FAILED, "mmap of {pages} control pages");
    addr.cast()
}

// ---------------------------------------------------------------------------------------------
// Overflow: data[len] is the first byte of the trailing guard page.

/// Writes the last byte of `bytes` (the control), then the byte just after it (the attack).
/// Writes only b'A', so text stays UTF-8.
fn write_last_then_one_past(bytes: &mut [u8]) {
    let end = bytes.as_mut_ptr_range().end;
    // SAFETY: `end - 1` is the last byte of `bytes`, which is writable (`bytes` is non-empty).
    unsafe { end.wrapping_sub(1).write_volatile(b'A') };
    println!("wrote the last byte of {}", bytes.len());
    // SAFETY: none: this byte is one past `bytes`. On guarded memory it is in the trailing guard
    // page and must fault; on the control pages it is the first byte of the next mapped page.
    unsafe { end.write_volatile(b'A') };
    println!("wrote one byte past the end and survived");
}

#[test]
fn overflow_of_unguarded_page_goes_unnoticed() {
    let outcome = in_child("overflow_of_unguarded_page_goes_unnoticed", || {
        let page = page_size();
        let pages = unguarded_pages(2);
        // 31 bytes at the end of the first page, as `sodium_malloc` would place them.
        // SAFETY: the 31 bytes end at the end of the first of the two mapped, writable pages.
        let bytes = unsafe { std::slice::from_raw_parts_mut(pages.wrapping_add(page - 31), 31) };
        write_last_then_one_past(bytes);
    });
    outcome.assert_success();
    assert!(
        outcome.stdout.contains("survived"),
        "the control overflow did not run: {outcome:?}"
    );
}

#[test]
fn overflow_by_one_byte_faults() {
    for_each_backend("overflow_by_one_byte_faults", |_| {
        let mut secret = SecretBox::<[u8; 32]>::random().expect("allocate");
        write_last_then_one_past(&mut secret.borrow_mut()[..]);
    })
    .check(|outcome| assert_faulted_after(outcome, "wrote the last byte of 32"));
}

#[test]
fn vec_of_one_byte_overflow_by_one_faults() {
    for_each_backend("vec_of_one_byte_overflow_by_one_faults", |_| {
        let mut secret = SecretVec::<u8>::random(1).expect("allocate");
        write_last_then_one_past(&mut secret.borrow_mut());
    })
    .check(|outcome| assert_faulted_after(outcome, "wrote the last byte of 1"));
}

#[test]
fn vec_of_page_minus_one_bytes_overflow_by_one_faults() {
    let len = page_size() - 1;
    for_each_backend("vec_of_page_minus_one_bytes_overflow_by_one_faults", |_| {
        // With the canary this spans two pages; the data still ends at the end of the second.
        let mut secret = SecretVec::<u8>::random(len).expect("allocate");
        write_last_then_one_past(&mut secret.borrow_mut());
    })
    .check(|outcome| assert_faulted_after(outcome, &format!("wrote the last byte of {len}")));
}

#[test]
fn string_of_odd_length_overflow_by_one_faults() {
    for_each_backend("string_of_odd_length_overflow_by_one_faults", |_| {
        let mut typed = String::from("correct horse");
        let mut secret = SecretString::from_string(&mut typed).expect("allocate");
        let mut opened = secret.borrow_mut();
        // SAFETY: the helper writes only b'A' over the last byte, which is the ASCII 'e': the
        // text stays UTF-8.
        write_last_then_one_past(unsafe { opened.as_bytes_mut() });
    })
    .check(|outcome| assert_faulted_after(outcome, "wrote the last byte of 13"));
}

#[test]
fn string_of_page_minus_one_bytes_overflow_by_one_faults() {
    let len = page_size() - 1;
    for_each_backend(
        "string_of_page_minus_one_bytes_overflow_by_one_faults",
        |_| {
            let mut text = "x".repeat(len).into_bytes();
            let mut secret = SecretString::from_bytes(&mut text).expect("allocate");
            let mut opened = secret.borrow_mut();
            // SAFETY: the text is all ASCII and the helper writes only b'A': it stays UTF-8.
            write_last_then_one_past(unsafe { opened.as_bytes_mut() });
        },
    )
    .check(|outcome| assert_faulted_after(outcome, &format!("wrote the last byte of {len}")));
}

// ---------------------------------------------------------------------------------------------
// Underflow: past the canary, the byte below the region is the last byte of the leading guard.

/// The last byte of the page before the one that holds `data[0] - 16` (the canary's first
/// byte): the nearest underflow that gets past the canary.
fn leading_guard_last_byte(data: *const u8) -> usize {
    let region_start = (data as usize - CANARY_SIZE) & !(page_size() - 1);
    region_start - 1
}

/// Reads the first byte of the region (the control: it is just above the guard page and open
/// while the caller holds a `borrow_mut`), then writes the byte below it (the attack).
fn read_region_start_then_underflow(data: *const u8) {
    let below = std::ptr::with_exposed_provenance_mut::<u8>(leading_guard_last_byte(data));
    // SAFETY: `below + 1` is the first byte of the page that holds the canary: part of the
    // region the caller has opened read-write (or of a mapped control page), so reading it
    // touches mapped, readable memory and changes nothing.
    let first = unsafe { below.wrapping_add(1).read_volatile() };
    println!(
        "read the region's first byte, {} bytes below the data ({first:#04x})",
        data as usize - below as usize - 1
    );
    // SAFETY: none: on guarded memory this byte is in the leading guard page and must fault; on
    // the control pages it is the last byte of the previous mapped page.
    unsafe { below.write_volatile(b'A') };
    println!("wrote below the region and survived");
}

#[test]
fn underflow_of_unguarded_page_goes_unnoticed() {
    let outcome = in_child("underflow_of_unguarded_page_goes_unnoticed", || {
        let page = page_size();
        let pages = unguarded_pages(3);
        // Data at the end of the middle page, as `sodium_malloc` would place 32 bytes.
        // SAFETY: the offset is inside the three mapped pages.
        let data = unsafe { pages.add(2 * page - 32) };
        read_region_start_then_underflow(data);
    });
    outcome.assert_success();
    assert!(
        outcome.stdout.contains("survived"),
        "the control underflow did not run: {outcome:?}"
    );
}

#[test]
fn underflow_into_leading_guard_page_faults() {
    // A one-page region: data at its end, so its first byte is `page - 32` below the data.
    let control = format!("{} bytes below the data", page_size() - 32);
    for_each_backend("underflow_into_leading_guard_page_faults", |_| {
        let mut secret = SecretBox::<[u8; 32]>::random().expect("allocate");
        let mut opened = secret.borrow_mut();
        read_region_start_then_underflow(opened.as_mut_ptr());
    })
    .check(|outcome| assert_faulted_after(outcome, &control));
}

#[test]
fn underflow_when_canary_starts_a_page_faults() {
    // `page - 16` bytes: canary and data fill one page exactly, so `data[0] - 16` is itself
    // page aligned and the guard page is the one right before the canary.
    let len = page_size() - CANARY_SIZE;
    for_each_backend("underflow_when_canary_starts_a_page_faults", |_| {
        let mut secret = SecretVec::<u8>::random(len).expect("allocate");
        let mut opened = secret.borrow_mut();
        read_region_start_then_underflow(opened.as_mut_ptr());
    })
    .check(|outcome| assert_faulted_after(outcome, "16 bytes below the data"));
}

#[test]
fn underflow_when_canary_straddles_pages_faults() {
    // `page - 15` bytes: the data starts 15 bytes into the second page of the region and the
    // canary straddles the boundary, so the guard is two pages below the page of `data[0]`.
    let len = page_size() - CANARY_SIZE + 1;
    let control = format!("{} bytes below the data", page_size() + 15);
    for_each_backend("underflow_when_canary_straddles_pages_faults", |_| {
        let mut secret = SecretVec::<u8>::random(len).expect("allocate");
        let mut opened = secret.borrow_mut();
        read_region_start_then_underflow(opened.as_mut_ptr());
    })
    .check(|outcome| assert_faulted_after(outcome, &control));
}

/// What the `MemfdSecret` backend prints to stderr before it aborts on a smashed canary.
const CANARY_MESSAGE: &str = "secrets: the canary before a secret was overwritten";

#[test]
fn canary_smashed_kills_on_drop() {
    for_each_backend("canary_smashed_kills_on_drop", |_| {
        // The control: a box whose every byte was written, but not the canary, drops quietly.
        let mut intact = SecretBox::<[u8; 32]>::zero().expect("allocate");
        intact.borrow_mut().fill(0x41);
        drop(intact);
        println!("dropped a box with its canary intact");

        let mut secret = SecretBox::<[u8; 32]>::random().expect("allocate");
        {
            let mut opened = secret.borrow_mut();
            let canary_end = opened.as_mut_ptr().wrapping_sub(1);
            // SAFETY: none: this byte is the last of the canary, just before the data. Its
            // complement is written, so the canary changes whatever random byte it held (a
            // fixed byte would leave it intact once in 256 runs).
            let byte = unsafe { canary_end.read_volatile() };
            // SAFETY: none, as above: the write is the attack.
            unsafe { canary_end.write_volatile(!byte) };
        }
        println!("smashed the canary");
        drop(secret);
        println!("dropped a box with a smashed canary and survived");
    })
    .check(|outcome| {
        assert!(
            outcome
                .stdout
                .contains("dropped a box with its canary intact"),
            "{outcome:?}"
        );
        assert!(outcome.stdout.contains("smashed the canary"), "{outcome:?}");
        assert!(!outcome.stdout.contains("survived"), "{outcome:?}");
        outcome.assert_killed_by(libc::SIGABRT);
        // Who noticed: the backend's own check, not some other abort.
        let reported = outcome.stderr.contains(CANARY_MESSAGE);
        match outcome.backend.expect("a backend was chosen") {
            // `release_secretmem` compares the canary, says so and calls `abort()`.
            Backend::MemfdSecret => assert!(reported, "{outcome:?}"),
            // libsodium's `sodium_free` sees the bad canary and calls `raise(SIGSEGV)`. Rust's
            // own SIGSEGV handler (there for stack overflows) finds no faulting guard page,
            // restores the default action and returns, and libsodium then calls `abort()`: so
            // the process dies of SIGABRT, silently, before the line after `drop`.
            Backend::Sodium => assert!(!reported, "{outcome:?}"),
            other => panic!("no expectation for {other:?}"),
        }
    });
}

// ---------------------------------------------------------------------------------------------
// PROT_NONE at rest: a pointer taken inside a borrow is dead once the last borrow is dropped.

/// Reads `data` while `borrow` is alive and prints the byte (the control), drops `borrow`, then
/// reads `data` again (the attack).
fn read_while_open_then_after_release<B>(borrow: B, data: *const u8) {
    // SAFETY: `data` points into the guarded value, which `borrow` keeps readable.
    let byte = unsafe { data.read_volatile() };
    println!("read {byte:#04x} while borrowed");
    drop(borrow);
    println!("borrow released");
    // SAFETY: none: no borrow is alive, the page is PROT_NONE and this read must fault.
    let byte = unsafe { data.read_volatile() };
    println!("read {byte:#04x} after release and survived");
}

/// The line the child prints when its read inside the borrow returned what was written.
fn read_back_line() -> String {
    format!("read {WRITTEN:#04x} while borrowed")
}

#[test]
fn reading_inside_borrow_succeeds() {
    for_each_backend("reading_inside_borrow_succeeds", |_| {
        let secret = SecretBox::<[u8; 32]>::new(|value| value.fill(WRITTEN)).expect("allocate");
        let opened = secret.borrow();
        let data = opened.as_ptr();
        // SAFETY: `data` points into the value, which `opened` keeps readable.
        let byte = unsafe { data.wrapping_add(31).read_volatile() };
        println!("read {byte:#04x} while borrowed");
    })
    .check(|outcome| {
        outcome.assert_success();
        assert!(outcome.stdout.contains(&read_back_line()), "{outcome:?}");
    });
}

#[test]
fn reading_after_borrow_released_faults() {
    for_each_backend("reading_after_borrow_released_faults", |_| {
        let secret = SecretBox::<[u8; 32]>::new(|value| value.fill(WRITTEN)).expect("allocate");
        let opened = secret.borrow();
        let data = opened.as_ptr();
        read_while_open_then_after_release(opened, data);
    })
    .check(|outcome| {
        assert_faulted_after(outcome, &read_back_line());
        assert!(outcome.stdout.contains("borrow released"), "{outcome:?}");
    });
}

#[test]
fn reading_after_borrow_mut_released_faults() {
    for_each_backend("reading_after_borrow_mut_released_faults", |_| {
        let mut secret = SecretBox::<[u8; 32]>::zero().expect("allocate");
        let mut opened = secret.borrow_mut();
        let data = opened.as_mut_ptr();
        // SAFETY: `data` points into the value, which `opened` keeps readable and writable.
        unsafe { data.write_volatile(WRITTEN) };
        read_while_open_then_after_release(opened, data);
    })
    .check(|outcome| {
        assert_faulted_after(outcome, &read_back_line());
        assert!(outcome.stdout.contains("borrow released"), "{outcome:?}");
    });
}

#[test]
fn vec_reading_after_borrow_released_faults() {
    for_each_backend("vec_reading_after_borrow_released_faults", |_| {
        let secret = SecretVec::<u8>::new(5, |values| values.fill(WRITTEN)).expect("allocate");
        let opened = secret.borrow();
        let data = opened.as_ptr();
        read_while_open_then_after_release(opened, data);
    })
    .check(|outcome| assert_faulted_after(outcome, &read_back_line()));
}

#[test]
fn string_reading_after_borrow_released_faults() {
    for_each_backend("string_reading_after_borrow_released_faults", |_| {
        let mut typed = char::from(WRITTEN).to_string().repeat(3);
        let secret = SecretString::from_string(&mut typed).expect("allocate");
        let opened = secret.borrow();
        let data = opened.as_ptr();
        read_while_open_then_after_release(opened, data);
    })
    .check(|outcome| assert_faulted_after(outcome, &read_back_line()));
}

/// Takes two `Ref`s to one box, drops one of them (the inner, taken second, or the outer) and
/// reads (must work: one `Ref` is left), then drops the other and reads (must fault).
fn two_refs_scenario(drop_inner_first: bool) {
    let secret = SecretBox::<[u8; 32]>::new(|value| value.fill(WRITTEN)).expect("allocate");
    let outer = secret.borrow();
    let inner = secret.borrow();
    let data = inner.as_ptr();
    let (first_dropped, last) = if drop_inner_first {
        (inner, outer)
    } else {
        (outer, inner)
    };
    drop(first_dropped);
    // SAFETY: `last` is still alive, so the pages are readable.
    let byte = unsafe { data.read_volatile() };
    println!("read {byte:#04x} with one Ref left");
    read_while_open_then_after_release(last, data);
}

#[test]
fn last_of_two_refs_closes_the_page_inner_dropped_first() {
    for_each_backend(
        "last_of_two_refs_closes_the_page_inner_dropped_first",
        |_| two_refs_scenario(true),
    )
    .check(|outcome| {
        assert!(
            outcome
                .stdout
                .contains(&format!("read {WRITTEN:#04x} with one Ref left")),
            "dropping the inner Ref closed the page: {outcome:?}"
        );
        assert_faulted_after(outcome, &read_back_line());
    });
}

#[test]
fn last_of_two_refs_closes_the_page_outer_dropped_first() {
    for_each_backend(
        "last_of_two_refs_closes_the_page_outer_dropped_first",
        |_| two_refs_scenario(false),
    )
    .check(|outcome| {
        assert!(
            outcome
                .stdout
                .contains(&format!("read {WRITTEN:#04x} with one Ref left")),
            "dropping the outer Ref closed the page: {outcome:?}"
        );
        assert_faulted_after(outcome, &read_back_line());
    });
}

/// A `Ref` given to `mem::forget` leaves the reader count above zero; a later `borrow_mut()`
/// closes the pages, and the next `borrow()` must open them again rather than trust the stale
/// count (which would hand out a reference to `PROT_NONE` memory: a SIGSEGV in safe code).
#[test]
fn forgotten_ref_does_not_leave_a_stale_reader_count() {
    for_each_backend("forgotten_ref_does_not_leave_a_stale_reader_count", |_| {
        let mut secret = SecretBox::<[u8; 32]>::new(|v| v.fill(7)).expect("allocate");
        std::mem::forget(secret.borrow());
        drop(secret.borrow_mut());
        println!("borrow_mut dropped");
        let byte = secret.borrow()[0];
        println!("read {byte}");
    })
    .check(|outcome| {
        outcome.assert_success();
        assert!(outcome.stdout.contains("read 7"), "{outcome:?}");
    });
}
