// Pooled slots hold at most 1024 bytes: a larger value in a pooled box does not compile.
use secrets_core::{Pooled, SecretBox};

fn main() {
    let _ = SecretBox::<[u8; 2048], Pooled>::random_in(Pooled);
}
