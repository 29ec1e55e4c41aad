// Misuse: `#[derive(Bytes)]` on an enum.
// Why it must not compile: only the declared discriminants are valid values of an enum, and
// guarded memory may hold any bit pattern.
// Instead: a `#[repr(C)]` struct with an integer tag (e.g. `u8`) that is checked when read.

use secrets_core::Bytes;

#[derive(Bytes)]
#[repr(u8)]
enum Mode {
    Encrypt,
    Decrypt,
}

fn main() {}
