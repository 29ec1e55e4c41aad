// Misuse: writing a `SessionKey` over a key file with `replace`.
// Why it must not compile: a session key counts its nonces from 0 and may do so only because it
// is the one holder of its key; a stored copy loaded by another run would count from 0 again
// under the same key and repeat every nonce.
// Instead: for a key that outlives the process, a key type such as `ChaCha20Poly1305IetfKey`
// (which can be stored) with a `CounterFile`, or random nonces with `XChaCha20Poly1305Key` or
// `Aegis256Key`.

use secrets_nonce::{ChaCha20Poly1305Ietf, SessionKey};

fn main() -> Result<(), secrets_nonce::Error> {
    let key = SessionKey::<ChaCha20Poly1305Ietf>::generate()?;
    key.replace("session.key")?;
    Ok(())
}
