// A tuple kept in a `SecretBox` is refused.
//
// `(u8, u16)` has a padding byte, and tuples have no fixed layout: reading it as bytes (to
// compare or copy it) would read uninitialised memory. Use an array, or a `#[repr(C)]` struct
// without padding with `#[derive(Bytes)]`.

use secrets_core::SecretBox;

fn main() {
    let _ = SecretBox::<(u8, u16)>::zero();
}
