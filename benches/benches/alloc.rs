//! Making and dropping a sealed guarded value, ours with `Backend::Sodium` (set at the start, as
//! the floor is `sodium_malloc`) against libsodium alone:
//!
//! * `secretbox_new_drop_32B`: `SecretBox::<[u8; 32]>::zero()` + drop, against
//!   `sodium_malloc(32)` + `sodium_mprotect_noaccess` + `sodium_free`;
//! * `secretvec_new_drop_4KiB`: `SecretVec::<u8>::zero(4096)` + drop, against the same raw
//!   calls for 4096 bytes.
//!
//! Reading the table printed after criterion's report: `ratio` is ours / floor, both timed
//! interleaved within every sample (see `ratio.rs`). 1.00x means what we add (the errno check
//! that confirms libsodium's guard pages, `mlock` and `MADV_DONTDUMP` succeeded, our own
//! `madvise(MADV_DONTFORK)`, zeroing, guard pages sealed in one `mprotect`) costs nothing
//! measurable over libsodium's own syscalls; the target is <= 1.05x. `Backend::MemfdSecret` has
//! its own bench, `secretmem.rs`.

use std::hint::black_box;

use criterion::Criterion;
use secrets_benches::{init_sodium, RawGuarded};
use secrets_core::{set_backend, Backend, SecretBox, SecretVec};

#[path = "ratio.rs"]
mod ratio;

fn main() {
    // The floor is raw `sodium_malloc`, so ours must come from the same allocator.
    set_backend(Backend::Sodium).expect("set_backend(Backend::Sodium)");
    init_sodium();
    let mut c = Criterion::default().configure_from_args();
    let ratios = ratio::Ratios::new();

    ratios.compare(
        &mut c,
        "secretbox_new_drop_32B",
        1.05,
        || {
            drop(black_box(
                SecretBox::<[u8; 32]>::zero().expect("SecretBox::zero"),
            ))
        },
        || drop(black_box(RawGuarded::new(black_box(32)))),
    );
    ratios.compare(
        &mut c,
        "secretvec_new_drop_4KiB",
        1.05,
        || {
            drop(black_box(
                SecretVec::<u8>::zero(black_box(4096)).expect("SecretVec::zero"),
            ))
        },
        || drop(black_box(RawGuarded::new(black_box(4096)))),
    );

    c.final_summary();
    ratios.print();
}
