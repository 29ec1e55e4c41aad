// Misuse: a `bool` field written as a raw identifier, `r#bool`.
// Why it must not compile: `r#bool` is `bool`, and not every byte is a valid `bool`; the
// derive must recognise the type by name whether or not it is written raw, and say so at
// the field with the same advice as for `bool`.
// Instead: a `u8` compared with 0.

use secrets_core::Bytes;

#[derive(Bytes)]
#[repr(C)]
struct Flags {
    id: u32,
    enabled: r#bool,
}

fn main() {}
