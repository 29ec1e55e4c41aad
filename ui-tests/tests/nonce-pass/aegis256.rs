// Supported: AEGIS-256 with random 256-bit nonces, for a key that is stored, loaded or derived:
// random nonces this long never repeat by chance, in any number of processes or runs.

use secrets_core::kdf;
use secrets_core::prelude::*;
use secrets_nonce::{open, seal, Aegis256, Aegis256Key, Error, UnusedNonce, UsedNonce};

fn main() -> Result<(), Error> {
    let master = SecretBox::<[u8; 32]>::random()?;
    let key: Aegis256Key = kdf::derive_subkey(&master.borrow(), 1, b"records_")?;
    let (used, ciphertext) = seal(&key, UnusedNonce::<Aegis256>::random(), b"id 7", b"record")?;
    assert_eq!(used.as_bytes().len(), 32);
    assert_eq!(ciphertext.len(), b"record".len() + 32);
    let stored = UsedNonce::<Aegis256>::from_bytes(used.as_bytes())?;
    assert_eq!(&*open(&key, &stored, b"id 7", &ciphertext)?.borrow(), b"record");
    Ok(())
}
