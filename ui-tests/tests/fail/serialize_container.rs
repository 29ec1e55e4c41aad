// Misuse: serializing a secret container (`serde_json::to_string`, `#[derive(Serialize)]` on a
// struct that holds one).
// Why it must not compile: the secret's bytes would be copied into ordinary memory and into
// wherever the output goes (a file, a log, a socket).
// Instead: leave it out (`#[serde(skip_serializing)]`), store it as a key file with
// `store(path)`, or seal it with `secrets-nonce` and serialize the ciphertext.

use secrets_core::{SecretBox, SecretString};

#[derive(serde::Serialize)]
struct Config {
    user: String,
    password: SecretString,
}

fn main() {
    let key = SecretBox::<[u8; 32]>::random().unwrap();
    let _ = serde_json::to_string(&key);
    let _ = Config {
        user: String::new(),
        password: SecretString::from_string(&mut String::from("pw")).unwrap(),
    };
}
