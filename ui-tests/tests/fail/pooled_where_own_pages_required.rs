// A function that needs a secret on pages of its own says so with `OwnPages`; a pooled secret
// passed to it is refused, with a message that says to use dedicated storage.
use secrets_core::{OwnPages, Pooled, SecretBox};

fn unlock<S: OwnPages>(master: &SecretBox<[u8; 32], S>) -> u8 {
    master.borrow()[0]
}

fn main() {
    let master = SecretBox::<[u8; 32], Pooled>::random_in(Pooled).unwrap();
    unlock(&master);
}
