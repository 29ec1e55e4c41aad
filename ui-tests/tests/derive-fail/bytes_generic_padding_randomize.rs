// Misuse: `randomize` on a generic `#[derive(Bytes)]` struct whose instantiation has padding:
// `P<u64>` is a `u8`, seven padding bytes, then a `u64`.
// Why it must not compile: `randomize` would write random bytes into the padding, which the
// compiler need not keep: equal values may then compare unequal, and the layout promise of `Bytes`
// is broken.
// The derive cannot check a generic struct's layout until `T` is known, so every cast between
// a `Bytes` value and bytes evaluates the check for the concrete type (here through
// `Randomizable`, with no container involved).
// Instead: order the fields from the largest alignment to the smallest (here `b: T` first),
// or fill the gap with an explicit `[u8; N]` field.

use secrets_core::{Bytes, Randomizable};

#[derive(Bytes)]
#[repr(C)]
struct P<T: Bytes> {
    a: u8,
    b: T,
}

fn main() {
    let mut p = P { a: 1u8, b: 2u64 };
    p.randomize();
}
