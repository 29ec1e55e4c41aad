// A reference kept in a `SecretBox` is refused.
//
// The box would hold only the address; the bytes it points to stay in ordinary memory, unlocked
// and never zeroed. A random or zeroed address is also not a valid reference. Keep the bytes
// themselves: `SecretBox<[u8; 4]>`.

use secrets_core::SecretBox;

fn main() {
    let _ = SecretBox::<&'static [u8; 4]>::zero();
}
