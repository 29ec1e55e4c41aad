// No secret container is `Clone`.
//
// A clone is a second copy of the secret, with a lifetime of its own, that the owner of the first
// one does not know about. Every copy must be explicit: borrow the value and build a new
// container from it (`SecretBox::new(|v| *v = *key.borrow())`).

use secrets_core::{SecretBox, SecretString, SecretVec};

fn main() {
    let key = SecretBox::<[u8; 32]>::random().unwrap();
    let seed = SecretVec::<u8>::random(64).unwrap();
    let password = SecretString::from_string(&mut String::from("hunter2")).unwrap();

    let _ = key.clone();
    let _ = seed.clone();
    let _ = password.clone();
}
