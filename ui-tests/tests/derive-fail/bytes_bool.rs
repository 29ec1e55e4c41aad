// Misuse: a `bool` field in a `#[derive(Bytes)]` struct.
// Why it must not compile: guarded memory is filled from a CSPRNG and may hold any byte, but
// only 0 and 1 are valid `bool`s; reading any other byte as a `bool` is undefined behaviour.
// Instead: keep the flag as a `u8` and compare it with 0 when you read it.

use secrets_core::Bytes;

#[derive(Bytes)]
#[repr(C)]
struct Flags {
    enabled: bool,
    counter: u8,
}

fn main() {}
