// A `Ref` cannot outlive the container it borrows.
//
// Dropping the box zeroes and unmaps its pages; a `Ref` still alive would read freed memory.
// Drop (or stop using) every `Ref` before the box goes.

use secrets_core::SecretBox;

fn main() {
    let key = SecretBox::<[u8; 32]>::random().unwrap();
    let bytes = key.borrow();
    drop(key);
    let _ = bytes[0];
}
