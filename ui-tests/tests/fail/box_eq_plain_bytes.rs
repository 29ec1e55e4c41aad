// A `SecretBox` cannot be compared with plain bytes.
//
// `==` between two containers runs in constant time with both values in guarded memory. A
// `SecretBox == [u8; 32]` would put the other value in ordinary memory (unlocked, never zeroed,
// free to be copied) and look exactly like the ordinary, early-exit `==`. Keep the expected
// value in a `SecretBox` too, or compare on purpose in constant time with `ConstantEq`:
// `key.borrow().constant_eq(&expected)`.

use secrets_core::SecretBox;

fn main() {
    let key = SecretBox::<[u8; 32]>::random().unwrap();
    let _ = key == [0u8; 32];
}
