// Misuse: opening a ciphertext with an `UnusedNonce`.
// Why it must not compile: every ciphertext was sealed with a nonce that is now a `UsedNonce`;
// an `UnusedNonce` has sealed nothing, so it cannot be the right one, and taking it here would
// mean the nonce that really sealed the message was lost or ignored.
// Instead: open with the `UsedNonce` returned by `seal` (or read back with
// `UsedNonce::from_bytes` from where it was stored).

use secrets_core::prelude::*;
use secrets_nonce::{open, seal, UnusedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key};

fn main() -> Result<(), secrets_nonce::Error> {
    let key = XChaCha20Poly1305Key::random()?;
    let nonce = UnusedNonce::<XChaCha20Poly1305>::random();
    let (_used, ciphertext) = seal(&key, UnusedNonce::random(), b"", b"secret")?;
    let _plaintext = open(&key, &nonce, b"", &ciphertext)?;
    Ok(())
}
