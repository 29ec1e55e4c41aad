// Misuse: loading a `SessionKey` from a file.
// Why it must not compile: a loaded key may have sealed before, in another run or process,
// under the very nonces a new session key counts (0, 1, 2, ...).
// Instead: load a key type such as `ChaCha20Poly1305IetfKey` and count with a `CounterFile`, or
// use random nonces with `XChaCha20Poly1305Key` or `Aegis256Key`.

use secrets_nonce::{ChaCha20Poly1305Ietf, SessionKey};

fn main() -> Result<(), secrets_nonce::Error> {
    let _key = SessionKey::<ChaCha20Poly1305Ietf>::load("session.key")?;
    Ok(())
}
