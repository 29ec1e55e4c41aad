// A `NonZeroU32` kept in a `SecretBox` is refused.
//
// Every box starts zeroed (`new`, `zero`), and zero is the one bit pattern a `NonZeroU32` may
// not hold. Keep a `u32` and check it with `NonZeroU32::new` when reading it.

use secrets_core::SecretBox;

fn main() {
    let _ = SecretBox::<std::num::NonZeroU32>::zero();
}
