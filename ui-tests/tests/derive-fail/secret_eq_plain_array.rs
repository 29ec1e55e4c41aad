// Misuse: comparing a `#[derive(Secret)]` key with `==` against a plain `[u8; 32]`.
// Why it must not compile: `==` on a secret type compares two secrets of that type, in
// constant time; a plain array holding key bytes is a copy of the secret in ordinary memory
// (swappable, dumpable, never zeroed), which the secret types exist to keep out of a program.
// Instead: move the bytes into a key (`MasterKey::from_bytes(&mut guess)` zeroes them) and
// compare the two keys, or borrow the key and use `secrets_core::ConstantEq`:
// `key.borrow().constant_eq(&guess)`.

use secrets_core::prelude::*;

#[derive(Secret)]
struct MasterKey(SecretBox<[u8; 32]>);

fn main() {
    let key = MasterKey::random().unwrap();
    let guess = [0u8; 32];
    if key == guess {
        println!("found it");
    }
}
