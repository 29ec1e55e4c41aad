// Misuse: `Bytes` implemented by hand, for a type with interior mutability.
// Why it must not compile: a hand-written `unsafe impl` skips every check the derive makes.
// Here `Cell<u8>` can be written through the `&Flag` that a `Ref` of a `SecretBox<Flag>` hands
// out while the pages are read-only: `flag.borrow().0.set(1)` would crash the process from
// safe code. `Bytes` has a hidden supertrait that only the derive implements, so the hand
// impl is refused with a message that points to `#[derive(Bytes)]`.
// Instead: `#[derive(Bytes)] #[repr(transparent)] struct Flag(u8);`, changed through
// `borrow_mut()`.

use std::cell::Cell;

use secrets_core::Bytes;

#[repr(transparent)]
struct Flag(Cell<u8>);

unsafe impl Bytes for Flag {}

fn main() {}
