// A `SecretVec` of `bool` is refused, for the same reason as a single `bool`: random or
// copied-in bytes other than 0 and 1 are not valid `bool`s. Use `SecretVec<u8>`.

use secrets_core::SecretVec;

fn main() {
    let _ = SecretVec::<bool>::zero(8);
}
