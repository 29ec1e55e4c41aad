// Misuse: a `CounterFile` for a `SessionKey`.
// Why it must not compile: a session key already counts its own nonces in memory, from 0; a
// counter file beside it would count from its own reservation, so the two counters would issue
// the same nonces under one key.
// Instead: seal with the session key itself (`key.seal(aad, plaintext)`), or, for a key that
// outlives the process, a key type such as `ChaCha20Poly1305IetfKey` with its `CounterFile`.

use secrets_nonce::{ChaCha20Poly1305Ietf, CounterFile, SessionKey};

fn main() -> Result<(), secrets_nonce::Error> {
    let key = SessionKey::<ChaCha20Poly1305Ietf>::generate()?;
    let _counter = CounterFile::create("session.counter", &key)?;
    Ok(())
}
