// Misuse: sealing a new message with the `UsedNonce` that `seal` returned for an earlier one.
// Why it must not compile: that nonce has already sealed a message under this key; sealing
// again with it is nonce reuse. A `UsedNonce` can only be stored and given to `open`.
// Instead: take a fresh `UnusedNonce` for the new message.

use secrets_core::prelude::*;
use secrets_nonce::{seal, UnusedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key};

fn main() -> Result<(), secrets_nonce::Error> {
    let key = XChaCha20Poly1305Key::random()?;
    let nonce = UnusedNonce::<XChaCha20Poly1305>::random();
    let (used, _ciphertext) = seal(&key, nonce, b"", b"one")?;
    let _again = seal(&key, used, b"", b"two")?;
    Ok(())
}
