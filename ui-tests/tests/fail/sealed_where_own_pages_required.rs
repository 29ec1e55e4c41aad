// A function that needs a secret on pages of its own says so with `OwnPages`; a sealed secret
// (ciphertext in ordinary memory, decrypted into a shared scratch page when borrowed) passed to
// it is refused, with a message that says to use dedicated storage.
use secrets_core::{OwnPages, Sealed, SecretBox};

fn unlock<S: OwnPages>(master: &SecretBox<[u8; 32], S>) -> u8 {
    master.borrow()[0]
}

fn main() {
    let master = SecretBox::<[u8; 32], Sealed>::random_in(Sealed).unwrap();
    unlock(&master);
}
