// Misuse: a `#[repr(C)]` `#[derive(Bytes)]` struct with padding (`u8` then `u32`: three padding
// bytes after `a`).
// Why it must not compile: padding bytes are uninitialised memory; guarded memory is compared
// and copied as raw bytes, and reading uninitialised bytes is undefined behaviour.
// Instead: order the fields from the largest alignment to the smallest, or fill the gap with an
// explicit `[u8; N]` field.

use secrets_core::Bytes;

#[derive(Bytes)]
#[repr(C)]
struct Padded {
    a: u8,
    b: u32,
}

fn main() {}
