// Misuse: a counter of nonces of its own for a key loaded from a file (`NonceSequence`, which
// earlier versions offered).
// Why it must not compile: the key outlives the process. Every run (and every other process
// that loads the file) would count from the start again under the same key, and the first
// repeated nonce gives away the XOR of two plaintexts and lets an attacker forge tags.
// Instead: a `CounterFile` beside the key, which reserves its counts on disk before use; a
// `SessionKey` for a key that never leaves the process; or random nonces with
// `XChaCha20Poly1305` or `Aegis256`.

use secrets_core::prelude::*;
use secrets_nonce::{seal, ChaCha20Poly1305Ietf, ChaCha20Poly1305IetfKey, NonceSequence};

fn main() -> Result<(), secrets_nonce::Error> {
    let key = ChaCha20Poly1305IetfKey::load("vault.key")?;
    let mut nonces = NonceSequence::<ChaCha20Poly1305Ietf>::new();
    let _sealed = seal(&key, nonces.next()?, b"", b"secret")?;
    Ok(())
}
