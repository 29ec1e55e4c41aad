// Supported: AES-256-GCM with 96-bit nonces counted by a `SessionKey`. AES-256-GCM needs AES-NI
// and CLMUL; on other CPUs `seal` returns `Error::Unavailable`, which this handles.

use secrets_nonce::{open, Aes256Gcm, Error, SessionKey};

fn main() -> Result<(), Error> {
    let key = SessionKey::<Aes256Gcm>::generate()?;
    match key.seal(b"header", b"payload") {
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
