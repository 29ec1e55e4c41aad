// Misuse: a `char` field in a `#[derive(Bytes)]` struct.
// Why it must not compile: not every `u32` is a valid `char` (surrogates and values above
// 0x10FFFF are not), and guarded memory may hold any bit pattern.
// Instead: store a `u32` and convert it with `char::from_u32` when you read it.

use secrets_core::Bytes;

#[derive(Bytes)]
#[repr(C)]
struct Separator {
    symbol: char,
}

fn main() {}
