// Misuse: deriving a `SessionKey` from a master key with `kdf::derive_subkey`.
// Why it must not compile: the derivation gives the same key in every run and every process that
// derives it, so each one's counter, starting at 0, would repeat the others' nonces.
// Instead: derive a key type such as `ChaCha20Poly1305IetfKey` and count with a `CounterFile`,
// or derive an `XChaCha20Poly1305Key` or `Aegis256Key` and use random nonces.

use secrets_core::kdf;
use secrets_core::prelude::*;
use secrets_nonce::{ChaCha20Poly1305Ietf, SessionKey};

fn main() -> Result<(), secrets_nonce::Error> {
    let master = SecretBox::<[u8; 32]>::random()?;
    let _key: SessionKey<ChaCha20Poly1305Ietf> =
        kdf::derive_subkey(&master.borrow(), 1, b"messages")?;
    Ok(())
}
