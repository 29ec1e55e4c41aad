// Misuse: sealing two messages with one `UnusedNonce`.
// Why it must not compile: two messages sealed under one key and nonce give away the XOR of
// their plaintexts and let an attacker forge tags; `seal` takes the nonce by value, so it is
// gone after the first message.
// Instead: take a fresh nonce for every message: `UnusedNonce::random()` again (or let a
// `SessionKey` or a `CounterFile` count them).

use secrets_core::prelude::*;
use secrets_nonce::{seal, UnusedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key};

fn main() -> Result<(), secrets_nonce::Error> {
    let key = XChaCha20Poly1305Key::random()?;
    let nonce = UnusedNonce::<XChaCha20Poly1305>::random();
    let _first = seal(&key, nonce, b"", b"attack at dawn")?;
    let _second = seal(&key, nonce, b"", b"attack at dusk")?;
    Ok(())
}
