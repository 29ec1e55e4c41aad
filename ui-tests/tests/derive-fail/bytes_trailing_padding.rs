// Misuse: `#[derive(Bytes)]` on a struct whose size is rounded up past its last field
// (`u32` then `u8`: three bytes of trailing padding).
// Why it must not compile: padding bytes are uninitialised, and guarded memory is zeroed,
// randomised and compared as raw bytes.
// Instead: fill the gap with an explicit `[u8; 3]` field, or choose fields that pack exactly.

use secrets_core::Bytes;

#[derive(Bytes, Clone, Copy)]
#[repr(C)]
pub struct Tail {
    counter: u32,
    flag: u8,
}

fn main() {}
