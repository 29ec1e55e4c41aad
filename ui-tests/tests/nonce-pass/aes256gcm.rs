// Supported: AES-256-GCM with 96-bit nonces from a `NonceSequence`. AES-256-GCM needs AES-NI
// and CLMUL; on other CPUs `seal` returns `Error::Unavailable`, which this handles.

use secrets_core::prelude::*;
use secrets_nonce::{open, seal, Aes256Gcm, Aes256GcmKey, Error, NonceSequence};

fn main() -> Result<(), Error> {
    let key = Aes256GcmKey::random()?;
    let mut nonces = NonceSequence::<Aes256Gcm>::new();
    match seal(&key, nonces.next()?, b"header", b"payload") {
        Ok((used, ciphertext)) => {
            let plaintext = open(&key, &used, b"header", &ciphertext)?;
            assert_eq!(&*plaintext.borrow(), b"payload");
        }
        Err(Error::Unavailable { algorithm }) => {
            assert!(!Aes256Gcm::is_available());
            assert_eq!(algorithm, "AES-256-GCM");
        }
        Err(other) => return Err(other),
    }
    Ok(())
}
