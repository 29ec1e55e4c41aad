//! The `Backend::MemfdSecret` guarded heap against the bare system calls under it:
//!
//! * `secretmem_box_new_drop_32B`: `SecretBox::<[u8; 32]>::zero()` + drop, against
//!   `memfd_secret(O_CLOEXEC)` + `ftruncate` + `mmap(MAP_SHARED)` + the first write (the page
//!   fault that takes the page out of the kernel's direct map) + `mprotect(PROT_NONE)` +
//!   `munmap` + `close`;
//! * `secretmem_box_borrow_read_32B`: `SecretBox<[u8; 32]>::borrow()`, read one byte, drop the
//!   `Ref`; against `mprotect(PROT_READ)` + read + `mprotect(PROT_NONE)` on such a page.
//!
//! Reading the table printed after criterion's report: `ratio` is ours / floor, both timed
//! interleaved within every sample (see `ratio.rs`). What the new/drop ratio shows is what we
//! add around the floor: the `PROT_NONE` reservation that makes the guard pages, the canary,
//! `madvise(MADV_DONTFORK)`, zeroing, the `mprotect` that opens the region again to check the
//! canary and zero it at drop, and the fork checks. The borrow pair makes the same two
//! `mprotect` calls on both sides. The target is <= 1.10x for both.
//!
//! On a kernel without `memfd_secret` the bench prints why and measures nothing.

use std::hint::black_box;

use criterion::Criterion;
use secrets_benches::RawSecretMem;
use secrets_core::{set_backend, Backend, SecretBox};

#[path = "ratio.rs"]
mod ratio;

const TARGET: f64 = 1.10;

fn main() {
    if let Err(err) = set_backend(Backend::MemfdSecret) {
        println!("secretmem: skipped, {err}");
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let ratios = ratio::Ratios::new();

    ratios.compare(
        &mut c,
        "secretmem_box_new_drop_32B",
        TARGET,
        || {
            drop(black_box(
                SecretBox::<[u8; 32]>::zero().expect("SecretBox::zero"),
            ))
        },
        || drop(black_box(RawSecretMem::new(black_box(32)))),
    );

    // One live page each, kept for the whole pair.
    let secret = SecretBox::<[u8; 32]>::zero().expect("SecretBox::zero");
    let raw = RawSecretMem::new(32);
    ratios.compare(
        &mut c,
        "secretmem_box_borrow_read_32B",
        TARGET,
        || {
            let value = black_box(&secret).borrow();
            black_box(value[0]);
        },
        || {
            let raw = black_box(&raw);
            raw.open_read();
            // SAFETY: the mapping is live, at least one byte long, and readable until `close`.
            black_box(unsafe { raw.as_ptr().read() });
            raw.close();
        },
    );

    c.final_summary();
    ratios.print();
}
