// Misuse: a counter of nonces with an application-chosen prefix, for a derived key.
// Why it must not compile: `kdf::derive_subkey` gives the same key in every process that derives
// it, and two processes that each count under their "unique" prefix seal with identical nonces
// the moment two prefixes agree (a restart, a reused sender id, a copied configuration).
// Instead: a `CounterFile` for the derived key, or random nonces with `XChaCha20Poly1305` or
// `Aegis256`.

use secrets_core::kdf;
use secrets_core::prelude::*;
use secrets_nonce::{seal, ChaCha20Poly1305Ietf, ChaCha20Poly1305IetfKey, NonceSequence};

fn main() -> Result<(), secrets_nonce::Error> {
    let master = SecretBox::<[u8; 32]>::load("master.key")?;
    let key: ChaCha20Poly1305IetfKey = kdf::derive_subkey(&master.borrow(), 1, b"messages")?;
    let mut nonces = NonceSequence::<ChaCha20Poly1305Ietf>::with_prefix(*b"node");
    let _sealed = seal(&key, nonces.next()?, b"", b"secret")?;
    Ok(())
}
