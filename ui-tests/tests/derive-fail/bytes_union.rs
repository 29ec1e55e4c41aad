// Misuse: `#[derive(Bytes)]` on a union.
// Why it must not compile: which field of a union is valid is known only to the program, not
// to the type, so it cannot be shown that every bit pattern is a valid value.
// Instead: a byte array `[u8; N]`, and read the variant you need out of it.

use secrets_core::Bytes;

#[derive(Bytes)]
#[repr(C)]
union Either {
    word: u32,
    bytes: [u8; 4],
}

fn main() {}
