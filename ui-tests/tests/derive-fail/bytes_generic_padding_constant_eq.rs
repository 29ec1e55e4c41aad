// Misuse: `constant_eq` on a generic `#[derive(Bytes)]` struct whose instantiation has padding:
// `P<u64>` is a `u8`, seven padding bytes, then a `u64`.
// Why it must not compile: `constant_eq` would compare the 7 padding bytes between `a` and `b`:
// uninitialised memory, so equal values may compare unequal (and reading it is undefined
// behaviour).
// The derive cannot check a generic struct's layout until `T` is known, so every cast between
// a `Bytes` value and bytes evaluates the check for the concrete type (here through
// `ConstantEq`, with no container involved).
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
    let a = P { a: 1u8, b: 2u64 };
    let b = P { a: 1u8, b: 2u64 };
    let _ = a.constant_eq(&b);
}
