// No secret container is `Display`, so a secret cannot end up in a log line or an error message
// by accident. (`Debug` prints `[REDACTED]`.) To print the value on purpose, borrow it and
// format what the `Ref` points to.

use secrets_core::{SecretBox, SecretString, SecretVec};

fn main() {
    let key = SecretBox::<[u8; 32]>::random().unwrap();
    let seed = SecretVec::<u8>::random(64).unwrap();
    let password = SecretString::from_string(&mut String::from("hunter2")).unwrap();

    let _ = format!("{}", key);
    let _ = format!("{}", seed);
    let _ = format!("{}", password);
}
