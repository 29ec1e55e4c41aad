// Misuse: a reference field (`&[u8]`) in a `#[derive(Bytes)]` struct.
// Why it must not compile: a reference is an address, not the secret: the bytes it points to
// stay in ordinary, swappable memory, and a random bit pattern is not a valid address.
// Instead: store the bytes themselves, e.g. `[u8; N]`, or use a `SecretVec<u8>` for a length
// chosen at run time.

use secrets_core::Bytes;

#[derive(Bytes)]
#[repr(C)]
struct KeyRef<'a> {
    key: &'a [u8],
}

fn main() {}
