//! Borrowing a sealed value to read one byte, ours with `Backend::Sodium` (set at the start, as
//! the floor is a `sodium_malloc` allocation) against libsodium alone:
//!
//! * `secretbox_borrow_read_32B`: `SecretBox<[u8; 32]>::borrow()`, read one byte, drop the
//!   `Ref`; against `sodium_mprotect_readonly` + read + `sodium_mprotect_noaccess` on a
//!   `sodium_malloc(32)` allocation.
//!
//! Reading the table printed after criterion's report: `ratio` is ours / floor, both timed
//! interleaved within every sample (see `ratio.rs`). Both sides make the same two `mprotect`
//! calls; what the ratio shows is the cost of our borrow bookkeeping (reader count, transition
//! mutex) around them. The target is <= 1.05x.

use std::hint::black_box;

use criterion::Criterion;
use secrets_benches::{init_sodium, RawGuarded};
use secrets_core::{set_backend, Backend, SecretBox};

#[path = "ratio.rs"]
mod ratio;

fn main() {
    // The floor is raw `sodium_malloc`, so ours must come from the same allocator.
    set_backend(Backend::Sodium).expect("set_backend(Backend::Sodium)");
    init_sodium();
    let mut c = Criterion::default().configure_from_args();
    let ratios = ratio::Ratios::new();

    let secret = SecretBox::<[u8; 32]>::zero().expect("SecretBox::zero");
    let raw = RawGuarded::new(32);
    ratios.compare(
        &mut c,
        "secretbox_borrow_read_32B",
        1.05,
        || {
            let value = black_box(&secret).borrow();
            black_box(value[0]);
        },
        || {
            let raw = black_box(&raw);
            raw.open_read();
            // SAFETY: the allocation is live, at least one byte long, and readable until
            // `close`.
            black_box(unsafe { raw.as_ptr().read() });
            raw.close();
        },
    );

    c.final_summary();
    ratios.print();
}
