// A `bool` kept in a `Secret` is refused.
//
// `Secret::random` fills the value from a CSPRNG, and a `bool` is only valid as 0 or 1: any
// other byte would be undefined behaviour. `bool` does not implement `Bytes`; keep a flag as a
// `u8` (0 or 1) instead.

use secrets_core::Secret;

fn main() {
    let _ = Secret::<bool>::random(|flag| **flag);
}
