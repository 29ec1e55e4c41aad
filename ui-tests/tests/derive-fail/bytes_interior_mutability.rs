// Misuse: `#[derive(Bytes)]` on a struct with fields that have interior mutability.
// Why it must not compile: such a field can be changed through a shared reference, and a
// `Ref` of a `SecretBox` is a shared reference into pages that are read-only while it lives,
// so the write would crash the process from safe code. Each field is refused at its type.
// Instead: store the plain value (`u8`, `u32`, `[u8; 4]`) and change it through
// `borrow_mut()`.

use std::cell::{Cell, RefCell, UnsafeCell};
use std::sync::atomic::AtomicU32;

use secrets_core::Bytes;

#[derive(Bytes)]
#[repr(C)]
struct Flags {
    counter: AtomicU32,
    flag: Cell<u8>,
    raw: UnsafeCell<[u8; 4]>,
    shared: RefCell<u32>,
}

fn main() {}
