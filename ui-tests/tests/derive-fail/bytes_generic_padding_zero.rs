// Misuse: `zero` on a generic `#[derive(Bytes)]` struct whose instantiation has padding:
// `P<u64>` is a `u8`, seven padding bytes, then a `u64`.
// Why it must not compile: `zero` treats the value as raw bytes, padding included, which `Bytes`
// promises it does not have.
// The derive cannot check a generic struct's layout until `T` is known, so every cast between
// a `Bytes` value and bytes evaluates the check for the concrete type (here through
// `Zeroable`, with no container involved).
// Instead: order the fields from the largest alignment to the smallest (here `b: T` first),
// or fill the gap with an explicit `[u8; N]` field.

use secrets_core::{Bytes, Zeroable};

#[derive(Bytes)]
#[repr(C)]
struct P<T: Bytes> {
    a: u8,
    b: T,
}

fn main() {
    let mut p = P { a: 1u8, b: 2u64 };
    p.zero();
}
