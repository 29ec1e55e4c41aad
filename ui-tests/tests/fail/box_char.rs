// A `char` kept in a `SecretBox` is refused.
//
// A `char` must be a Unicode scalar value (not a surrogate, at most 0x10FFFF), so most random
// `u32` bit patterns are not valid `char`s. Keep it as a `u32` and check it with
// `char::from_u32` when reading it.

use secrets_core::SecretBox;

fn main() {
    let _ = SecretBox::<char>::random();
}
