// Sealed values are decrypted into scratch slots of at most 1024 bytes: a larger value in a
// sealed box does not compile.
use secrets_core::{Sealed, SecretBox};

fn main() {
    let _ = SecretBox::<[u8; 2048], Sealed>::random_in(Sealed);
}
