// Misuse: `randomize` and `zero` on slices of a generic `#[derive(Bytes)]` struct whose
// instantiation has padding (`P<u64>`: a `u8`, seven padding bytes, then a `u64`).
// Why it must not compile: the slice impls write the whole slice as bytes, padding included,
// which `Bytes` promises it does not have; equal values may then compare unequal.
// Instead: order the fields from the largest alignment to the smallest (here `b: T` first),
// or fill the gap with an explicit `[u8; N]` field.

use secrets_core::{Bytes, Randomizable, Zeroable};

#[derive(Bytes)]
#[repr(C)]
struct P<T: Bytes> {
    a: u8,
    b: T,
}

fn main() {
    let mut values = [P { a: 1u8, b: 2u64 }, P { a: 3u8, b: 4u64 }];
    values[..].randomize();
    values[..].zero();
}
