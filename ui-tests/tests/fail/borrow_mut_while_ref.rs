// `borrow_mut` is refused while a `Ref` to the same container is alive.
//
// A `RefMut` makes the pages writable and, when it is dropped, `PROT_NONE` again, which would
// pull the pages out from under the live `Ref`; and a reader would see the value change under
// it. Drop the `Ref` first.

use secrets_core::SecretBox;

fn main() {
    let mut key = SecretBox::<[u8; 32]>::random().unwrap();
    let bytes = key.borrow();
    key.borrow_mut()[0] = 0;
    let _ = bytes[0];
}
