// Supported: ChaCha20-Poly1305 (RFC 8439) with 96-bit nonces counted by a `SessionKey`, a key
// made in this process that never leaves it, shared by `&` with the code that seals.

use secrets_nonce::{open, ChaCha20Poly1305Ietf, Error, SessionKey, UsedNonce};

fn seal_message(
    key: &SessionKey<ChaCha20Poly1305Ietf>,
    message: &[u8],
) -> Result<(UsedNonce<ChaCha20Poly1305Ietf>, Vec<u8>), Error> {
    key.seal(b"", message)
}

fn main() -> Result<(), Error> {
    let key = SessionKey::<ChaCha20Poly1305Ietf>::generate()?;
    let (first, first_ciphertext) = seal_message(&key, b"first")?;
    let (second, _) = seal_message(&key, b"second")?;
    assert_ne!(first, second);
    let plaintext = open(&key, &first, b"", &first_ciphertext)?;
    assert_eq!(&*plaintext.borrow(), b"first");

    let limited = SessionKey::<ChaCha20Poly1305Ietf>::generate()?.with_limit(1);
    let _ = limited.seal(b"", b"only one")?;
    assert_eq!(limited.remaining(), 0);
    assert!(matches!(
        limited.seal(b"", b"two"),
        Err(Error::Exhausted { issued: 1 })
    ));
    Ok(())
}
