// Misuse: a `NonZeroU32` field in a `#[derive(Bytes)]` struct.
// Why it must not compile: zero is not a valid `NonZeroU32`, and guarded memory starts zeroed
// (and may be filled with any bytes).
// Instead: store the plain `u32` and check it with `NonZeroU32::new` when you read it.

use std::num::NonZeroU32;

use secrets_core::Bytes;

#[derive(Bytes)]
#[repr(C)]
struct Counter {
    value: NonZeroU32,
}

fn main() {}
