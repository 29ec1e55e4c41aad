// Misuse: `#[derive(Bytes)]` on a struct without `#[repr(C)]` or `#[repr(transparent)]`.
// Why it must not compile: with Rust's default layout the order of the fields and the padding
// between them are unspecified, so nothing can show that the struct has no padding.
// Instead: add `#[repr(C)]` (or `#[repr(transparent)]` for a single field).

use secrets_core::Bytes;

#[derive(Bytes)]
struct Unspecified {
    a: u64,
    b: u64,
}

fn main() {}
