// Misuse: a tuple field in a `#[derive(Bytes)]` struct.
// Why it must not compile: a tuple has Rust's unspecified layout, so it may hold padding and
// its fields may be reordered.
// Instead: an array `[T; N]`, or another `#[repr(C)]` struct that derives `Bytes`.

use secrets_core::Bytes;

#[derive(Bytes)]
#[repr(C)]
struct Shares {
    pair: (u64, u64),
}

fn main() {}
