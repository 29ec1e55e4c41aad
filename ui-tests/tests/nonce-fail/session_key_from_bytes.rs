// Misuse: making a `SessionKey` from given bytes (for instance a derived subkey's).
// Why it must not compile: the type cannot vouch for bytes it did not draw: they may be a key
// that sealed before, or that another process derives too, and its counter would repeat their
// nonces.
// Instead: `SessionKey::generate()` for a key of this process only; for given bytes, a key type
// such as `ChaCha20Poly1305IetfKey::from_bytes` with a `CounterFile`, or random nonces.

use secrets_nonce::{ChaCha20Poly1305Ietf, SessionKey};

fn main() -> Result<(), secrets_nonce::Error> {
    let mut bytes = [7u8; 32];
    let _key = SessionKey::<ChaCha20Poly1305Ietf>::from_bytes(&mut bytes)?;
    Ok(())
}
