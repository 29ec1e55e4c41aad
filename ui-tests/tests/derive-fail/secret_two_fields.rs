// Misuse: a `#[derive(Secret)]` struct with two fields.
// Why it must not compile: a secret type wraps exactly one secret in guarded memory; a second
// field would either be a second secret with no guard of its own, or non-secret data that the
// secret's redaction and constant-time comparison would wrongly cover.
// Instead: keep other data in a separate type, or put several values in one `SecretBox` of a
// `#[repr(C)]` `#[derive(Bytes)]` struct.

use secrets_core::{Secret, SecretBox};

#[derive(Secret)]
struct SigningKey {
    key: SecretBox<[u8; 32]>,
    key_id: u64,
}

fn main() {}
