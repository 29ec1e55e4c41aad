// Misuse: a generic `#[repr(C)]` `#[derive(Bytes)]` struct whose instantiation has padding:
// `P<u32>` is a `u8`, three padding bytes, then a `u32`.
// Why it must not compile: the derive cannot know the layout until `T` is known, so the check
// runs when the concrete type is put in guarded memory; padding is uninitialised memory, and
// guarded memory is compared and copied as raw bytes.
// Instead: order the fields from the largest alignment to the smallest (here `b: T` first),
// or fill the gap with an explicit `[u8; N]` field.

use secrets_core::{Bytes, SecretBox};

#[derive(Bytes)]
#[repr(C)]
struct P<T> {
    a: u8,
    b: T,
}

fn main() {
    let _ = SecretBox::<P<u32>>::zero();
}
