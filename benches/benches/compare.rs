//! Constant-time equality, ours against a bare `sodium_memcmp`:
//!
//! * `constant_eq_32B`, `constant_eq_4KiB`: `ConstantEq::constant_eq` on two plain (unguarded)
//!   equal arrays, against `sodium_memcmp` on the same arrays;
//! * `secretbox_eq_32B`, `secretbox_eq_4KiB`: `SecretBox == SecretBox` (two borrows, compare,
//!   two releases), against `sodium_mprotect_readonly` on both raw allocations,
//!   `sodium_memcmp`, `sodium_mprotect_noaccess` on both.
//!
//! The boxes come from `Backend::Sodium` (set at the start), like the floor's allocations.
//!
//! Reading the table printed after criterion's report: `ratio` is ours / floor, both timed
//! interleaved within every sample (see `ratio.rs`). The target is <= 1.10x for every pair.

use std::hint::black_box;

use criterion::Criterion;
use libsodium_sys as ffi;
use secrets_benches::{init_sodium, RawGuarded};
use secrets_core::{set_backend, Backend, ConstantEq, SecretBox};

#[path = "ratio.rs"]
mod ratio;

const TARGET: f64 = 1.10;

/// `sodium_memcmp(a, b, len) == 0`.
///
/// # Safety
/// `a` and `b` are readable for `len` bytes.
#[inline(always)]
unsafe fn memeq(a: *const u8, b: *const u8, len: usize) -> bool {
    // SAFETY: the caller guarantees both ranges are readable.
    unsafe { ffi::sodium_memcmp(a.cast(), b.cast(), len) == 0 }
}

fn plain<const N: usize>(c: &mut Criterion, ratios: &ratio::Ratios, name: &str) {
    let (a, b) = ([0x5au8; N], [0x5au8; N]);
    ratios.compare(
        c,
        name,
        TARGET,
        || {
            black_box(black_box(&a).constant_eq(black_box(&b)));
        },
        || {
            let (a, b) = (black_box(&a), black_box(&b));
            // SAFETY: both arrays are `N` readable bytes.
            black_box(unsafe { memeq(a.as_ptr(), b.as_ptr(), N) });
        },
    );
}

fn boxed<const N: usize>(c: &mut Criterion, ratios: &ratio::Ratios, name: &str) {
    // Allocated alternately, so that neither side systematically gets the older mappings.
    let x = SecretBox::<[u8; N]>::zero().expect("SecretBox::zero");
    let p = RawGuarded::new(N);
    let y = SecretBox::<[u8; N]>::zero().expect("SecretBox::zero");
    let q = RawGuarded::new(N);
    ratios.compare(
        c,
        name,
        TARGET,
        || {
            black_box(black_box(&x) == black_box(&y));
        },
        || {
            let (p, q) = (black_box(&p), black_box(&q));
            p.open_read();
            q.open_read();
            // SAFETY: both allocations are live, `N` bytes long and readable until `close`.
            black_box(unsafe { memeq(p.as_ptr(), q.as_ptr(), N) });
            q.close();
            p.close();
        },
    );
}

fn main() {
    // The floor is raw `sodium_malloc`, so ours must come from the same allocator.
    set_backend(Backend::Sodium).expect("set_backend(Backend::Sodium)");
    init_sodium();
    let mut c = Criterion::default().configure_from_args();
    let ratios = ratio::Ratios::new();

    plain::<32>(&mut c, &ratios, "constant_eq_32B");
    plain::<4096>(&mut c, &ratios, "constant_eq_4KiB");
    boxed::<32>(&mut c, &ratios, "secretbox_eq_32B");
    boxed::<4096>(&mut c, &ratios, "secretbox_eq_4KiB");

    c.final_summary();
    ratios.print();
}
