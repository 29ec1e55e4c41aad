// Misuse: cloning a `SessionKey`.
// Why it must not compile: the clone would hold the same key with a counter of its own, and the
// two would seal under the same nonces.
// Instead: share the one key (`&key`, or an `Arc`): `seal` takes `&self`, and every call, from
// any thread, takes a nonce of its own.

use secrets_nonce::{ChaCha20Poly1305Ietf, SessionKey};

fn main() -> Result<(), secrets_nonce::Error> {
    let key = SessionKey::<ChaCha20Poly1305Ietf>::generate()?;
    let _copy = key.clone();
    Ok(())
}
