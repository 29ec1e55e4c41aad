//! The `Backend::MemfdSecret` guarded heap against the bare system calls under it:
//!
//! * `secretmem_box_new_drop_32B`: `SecretBox::<[u8; 32]>::zero()` + drop, against
//!   `memfd_secret(O_CLOEXEC)` + `ftruncate` + `mmap(MAP_SHARED)` + the first write (the page
//!   fault that takes the page out of the kernel's direct map) + `mprotect(PROT_NONE)` +
//!   `munmap` + `close`. With the default reuse (`set_spare_pages`), our side takes the region
//!   the previous drop kept: `mprotect` to open it, the canary, `mprotect` to seal it; the drop
//!   checks the canary and zeroes and seals the region again;
//! * `secretmem_box_new_drop_32B_no_reuse`: the same with `set_spare_pages(0)`, every secret in
//!   a new mapping, for reference: what the guard pages (the `PROT_NONE` reservation and a
//!   second `mmap` over it), the canary, `madvise(MADV_DONTFORK)`, and the `mprotect` that
//!   opens the region again to check the canary and zero it at drop cost over the floor. Expect
//!   it to miss the target (about 1.2x here); that is the cost reuse takes away;
//! * `secretmem_box_borrow_read_32B`: `SecretBox<[u8; 32]>::borrow()`, read one byte, drop the
//!   `Ref`; against `mprotect(PROT_READ)` + read + `mprotect(PROT_NONE)` on such a page.
//!
//! Reading the table printed after criterion's report: `ratio` is ours / floor, both timed
//! interleaved within every sample (see `ratio.rs`). The borrow pair makes the same two
//! `mprotect` calls on both sides. The target is <= 1.10x for all three.
//!
//! On a kernel without `memfd_secret` the bench prints why and measures nothing.

// `memfd_secret(2)` is a Linux system call: elsewhere the bench prints that and measures nothing.
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::hint::black_box;

#[cfg(any(target_os = "linux", target_os = "android"))]
use criterion::Criterion;
#[cfg(any(target_os = "linux", target_os = "android"))]
use secrets_benches::RawSecretMem;
#[cfg(any(target_os = "linux", target_os = "android"))]
use secrets_core::{set_backend, set_spare_pages, Backend, SecretBox};

#[cfg(any(target_os = "linux", target_os = "android"))]
#[path = "ratio.rs"]
mod ratio;

#[cfg(any(target_os = "linux", target_os = "android"))]
const TARGET: f64 = 1.10;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn main() {
    println!("secretmem: skipped, memfd_secret(2) is a Linux system call");
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn main() {
    if let Err(err) = set_backend(Backend::MemfdSecret) {
        println!("secretmem: skipped, {err}");
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let ratios = ratio::Ratios::new();

    let new_drop = |c: &mut Criterion, name: &str| {
        ratios.compare(
            c,
            name,
            TARGET,
            || {
                drop(black_box(
                    SecretBox::<[u8; 32]>::zero().expect("SecretBox::zero"),
                ))
            },
            || drop(black_box(RawSecretMem::new(black_box(32)))),
        )
    };
    new_drop(&mut c, "secretmem_box_new_drop_32B");
    let limit = set_spare_pages(0);
    new_drop(&mut c, "secretmem_box_new_drop_32B_no_reuse");
    set_spare_pages(limit);

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
