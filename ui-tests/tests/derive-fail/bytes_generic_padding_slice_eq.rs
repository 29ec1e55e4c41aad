// Misuse: `constant_eq` on slices of a generic `#[derive(Bytes)]` struct whose instantiation has
// padding (`P<u64>`: a `u8`, seven padding bytes, then a `u64`).
// Why it must not compile: the slice impl views the whole slice as bytes, padding included;
// that is uninitialised memory, and reading it is undefined behaviour.
// Instead: order the fields from the largest alignment to the smallest (here `b: T` first),
// or fill the gap with an explicit `[u8; N]` field.

use secrets_core::{Bytes, ConstantEq};

#[derive(Bytes)]
#[repr(C)]
struct P<T: Bytes> {
    a: u8,
    b: T,
}

fn main() {
    let values = [P { a: 1u8, b: 2u64 }, P { a: 3u8, b: 4u64 }];
    let copy = [P { a: 1u8, b: 2u64 }, P { a: 3u8, b: 4u64 }];
    let _ = values[..].constant_eq(&copy[..]);
}
