// No secret container is `Copy`: passing one by value moves it, and the old name cannot be used
// again. Were it `Copy`, two owners would each zero and free the same guarded pages.

use secrets_core::{SecretBox, SecretString, SecretVec};

fn consume<T>(_: T) {}

fn main() {
    let key = SecretBox::<[u8; 32]>::random().unwrap();
    let seed = SecretVec::<u8>::random(64).unwrap();
    let password = SecretString::from_string(&mut String::from("hunter2")).unwrap();

    consume(key);
    consume(seed);
    consume(password);

    let _ = key.borrow();
    let _ = seed.borrow();
    let _ = password.borrow();
}
