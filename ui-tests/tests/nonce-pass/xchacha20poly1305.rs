// Supported: XChaCha20-Poly1305 with a random nonce per message; the `UsedNonce` is stored
// beside the ciphertext as bytes, read back, and opened with.

use secrets_core::prelude::*;
use secrets_nonce::{open, seal, UnusedNonce, UsedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key};

fn main() -> Result<(), secrets_nonce::Error> {
    let key = XChaCha20Poly1305Key::random()?;
    let (used, ciphertext) = seal(
        &key,
        UnusedNonce::<XChaCha20Poly1305>::random(),
        b"record 7",
        b"the launch code",
    )?;
    let (other, _) = seal(&key, UnusedNonce::random(), b"record 8", b"another")?;
    assert_ne!(used, other);

    let stored: Vec<u8> = used.as_bytes().to_vec();
    let read_back = UsedNonce::<XChaCha20Poly1305>::from_bytes(&stored)?;
    let plaintext = open(&key, &read_back, b"record 7", &ciphertext)?;
    assert_eq!(&*plaintext.borrow(), b"the launch code");

    // A `UsedNonce` is `Copy`: opening again with the same one is fine.
    let again = open(&key, &used, b"record 7", &ciphertext)?;
    assert_eq!(again.len(), 15);
    assert!(open(&key, &used, b"record 8", &ciphertext).is_err());
    Ok(())
}
