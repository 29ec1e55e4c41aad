// Misuse: sealing with a ChaCha20-Poly1305-IETF key and an XChaCha20-Poly1305 nonce.
// Why it must not compile: the algorithms take nonces of different lengths (12 and 24 bytes),
// and a nonce's single-use promise holds for one algorithm's keys; the key's type names its
// algorithm, and `seal` takes only nonces of that algorithm.
// Instead: take the nonce for the key's algorithm (ChaCha20-Poly1305-IETF counts them: a
// `SessionKey` or a `CounterFile`), or switch to an `XChaCha20Poly1305Key`.

use secrets_core::prelude::*;
use secrets_nonce::{seal, ChaCha20Poly1305IetfKey, UnusedNonce, XChaCha20Poly1305};

fn main() -> Result<(), secrets_nonce::Error> {
    let key = ChaCha20Poly1305IetfKey::random()?;
    let nonce = UnusedNonce::<XChaCha20Poly1305>::random();
    let _sealed = seal(&key, nonce, b"", b"secret")?;
    Ok(())
}
