// An enum kept in a `SecretBox` is refused.
//
// An enum's discriminant only has a few valid values; random or zeroed bytes can hold any
// other. Keep the discriminant as an integer and convert it when reading it.

use secrets_core::SecretBox;

#[allow(dead_code)]
enum Mode {
    Encrypt,
    Decrypt,
}

fn main() {
    let _ = SecretBox::<Mode>::zero();
}
