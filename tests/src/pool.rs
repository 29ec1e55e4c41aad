//! The pool's pages and the scratch slots borrows are copied (pooled) or decrypted (sealed)
//! into, as the tests of pooled and sealed storage see them: the pages by role, the bytes of a
//! scratch slot, and scratch slots running out.
//!
//! A 32-byte value takes a 48-byte slot (a 16-byte canary, then the value) in a page of 85
//! slots (4 KiB pages); scratch pages have the same layout and are read-write at rest under
//! every backend. See `secrets-core/src/heap/pool/mod.rs`.

use secrets_core::__private::pool_pages;
use secrets_core::{Bytes, Error, Ref, SecretBox, Storage};

use crate::child::panic_text;
use crate::layout::{page_of, page_size};

/// Bytes of the canary before every slot (and after the last one).
pub const CANARY: usize = 16;

/// The pool's pages with `role` ("data", "idle", "scratch", "empty"), in the order
/// `pool_pages()` reports them. Used by `pooled`, `pooled_limits`, `sealed_limits` and
/// [`read_scratch`].
pub fn pool_pages_with(role: &str) -> Vec<usize> {
    pool_pages()
        .into_iter()
        .filter(|&(_, r)| r == role)
        .map(|(addr, _)| addr)
        .collect()
}

/// Slots of a 32-byte class in one page (scratch pages too): `(page - canary) / (32 +
/// canary)`, 85 for 4 KiB. Used by `pooled`, `pooled_limits` and `sealed_limits`.
pub fn slots_per_page_32() -> usize {
    (page_size() - CANARY) / (32 + CANARY)
}

/// The 32 bytes at `addr` in a scratch page, which is read-write at rest under every backend
/// (a direct load: `/proc/self/mem` cannot read memfd_secret pages). Used by `sealed` and
/// [`check_scratch_slot_of_borrows`] to see a scratch slot hold a borrowed value, and zeros
/// after the borrow.
///
/// # Panics
/// If `addr` is not on a scratch page.
pub fn read_scratch(addr: usize) -> [u8; 32] {
    assert!(
        pool_pages_with("scratch").contains(&page_of(addr)),
        "{addr:#x} is on a scratch page"
    );
    // SAFETY: scratch pages stay mapped read-write for the pool's life; the slot's bytes are
    // read by value, no reference into them is kept.
    unsafe { std::ptr::read_volatile(addr as *const [u8; 32]) }
}

/// Checks the scratch slot that borrows of `secret` (which holds `value`) are served from:
/// nested `Ref`s share one slot, which holds the value while one of them lives and zeros after
/// the last; a `RefMut`, through which the last byte is changed, has its slot hold the changed
/// value while it lives and zeros after. Returns the changed value, for the caller to check
/// that the change was kept. Used by `pooled` (`released_slots_are_zeroed`) and `sealed`
/// (`scratch_slot_is_zero_after_the_last_ref`).
#[track_caller]
pub fn check_scratch_slot_of_borrows<S: Storage>(
    secret: &mut SecretBox<[u8; 32], S>,
    value: [u8; 32],
) -> [u8; 32] {
    let first = secret.borrow();
    let second = secret.borrow();
    let copy = first.as_ptr() as usize;
    assert_eq!(second.as_ptr() as usize, copy, "nested Refs share one slot");
    drop(first);
    assert_eq!(
        read_scratch(copy),
        value,
        "the scratch slot holds the value while a Ref lives"
    );
    drop(second);
    assert_eq!(
        read_scratch(copy),
        [0u8; 32],
        "the scratch slot is zero after the last Ref"
    );

    let mut changed = value;
    changed[31] ^= 0x7e;
    let mut writing = secret.borrow_mut();
    writing[31] = changed[31];
    let copy = writing.as_ptr() as usize;
    assert_eq!(read_scratch(copy), changed);
    drop(writing);
    assert_eq!(
        read_scratch(copy),
        [0u8; 32],
        "the scratch slot is zero after the RefMut"
    );
    changed
}

/// Borrows `secrets` one after the other with `try_borrow`, holding every `Ref`, until a
/// borrow is refused: returns the `Ref`s held and the refusal (`None` if none was refused).
/// Used by the `scratch_exhausted_is_a_typed_error` tests of `sealed`, `pooled_limits` and
/// `sealed_limits` to take every scratch slot there is.
pub fn borrow_until_refused<T: Bytes, S: Storage>(
    secrets: &[SecretBox<T, S>],
) -> (Vec<Ref<'_, T>>, Option<Error>) {
    let mut refs = Vec::with_capacity(secrets.len());
    for secret in secrets {
        match secret.try_borrow() {
            Ok(open) => refs.push(open),
            Err(err) => return (refs, Some(err)),
        }
    }
    (refs, None)
}

/// Checks that `refused` is `Error::ScratchExhausted` with `live_borrows` borrows alive,
/// caused by the lock limit: an `Error::Lock` whose limit is `limit` if `limit` is `Some`,
/// any `Error::Lock` if it is `None`. Used with [`borrow_until_refused`].
#[track_caller]
pub fn assert_exhausted_by_the_lock_limit(
    refused: &Error,
    live_borrows: usize,
    limit: Option<u64>,
) {
    match refused {
        Error::ScratchExhausted {
            live_borrows: alive,
            cause,
        } => {
            assert_eq!(*alive, live_borrows, "{refused:?}");
            let caused = match (&**cause, limit) {
                (Error::Lock { .. }, None) => true,
                (Error::Lock { limit: named, .. }, Some(_)) => *named == limit,
                _ => false,
            };
            assert!(caused, "the cause names the lock limit: {cause:?}");
        }
        other => panic!("expected Error::ScratchExhausted: {other:?}"),
    }
}

/// Checks that `try_borrow_mut` of `secret` is refused with `Error::ScratchExhausted`, every
/// scratch slot being held. Used with [`borrow_until_refused`].
#[track_caller]
pub fn assert_write_refused<T: Bytes, S: Storage>(secret: &mut SecretBox<T, S>) {
    let write = secret.try_borrow_mut().map(|_| ());
    assert!(
        matches!(write, Err(Error::ScratchExhausted { .. })),
        "try_borrow_mut with every scratch slot held: {write:?}"
    );
}

/// Checks that `borrow()` of `secret` panics with the text of `Error::ScratchExhausted` ("no
/// scratch slot is left"), every scratch slot being held. Used with [`borrow_until_refused`].
#[track_caller]
pub fn assert_borrow_panics_without_scratch<T: Bytes, S: Storage>(secret: &SecretBox<T, S>) {
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(secret.borrow())))
        .expect_err("borrow() with every scratch slot held should panic");
    let message = panic_text(&*panicked);
    assert!(
        message.contains("no scratch slot is left"),
        "borrow() should panic with the error's text: {message:?}"
    );
}
