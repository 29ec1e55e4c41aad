// Misuse: `#[derive(Secret)]` over a field that is not guarded storage (`[u8; 32]`, `Vec<u8>`).
// Why it must not compile: the bytes would live in ordinary memory: swappable, included in core
// dumps, readable at any time, and not zeroed when freed.
// Instead: wrap `SecretBox<T>`, `SecretVec<T>` or `SecretString` from `secrets_core`.

use secrets_core::Secret;

#[derive(Secret)]
struct MasterKey([u8; 32]);

#[derive(Secret)]
struct Seed(Vec<u8>);

fn main() {}
