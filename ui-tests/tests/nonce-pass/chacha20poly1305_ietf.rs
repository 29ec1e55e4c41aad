// Supported: ChaCha20-Poly1305 (RFC 8439) with 96-bit nonces from one `NonceSequence` per key,
// passed by `&mut` to the code that seals.

use secrets_core::prelude::*;
use secrets_nonce::{
    open, seal, ChaCha20Poly1305Ietf, ChaCha20Poly1305IetfKey, Error, NonceSequence, UsedNonce,
};

fn seal_message(
    key: &ChaCha20Poly1305IetfKey,
    nonces: &mut NonceSequence<ChaCha20Poly1305Ietf>,
    message: &[u8],
) -> Result<(UsedNonce<ChaCha20Poly1305Ietf>, Vec<u8>), Error> {
    seal(key, nonces.next()?, b"", message)
}

fn main() -> Result<(), Error> {
    let key = ChaCha20Poly1305IetfKey::random()?;
    let mut nonces = NonceSequence::<ChaCha20Poly1305Ietf>::new();
    let (first, first_ciphertext) = seal_message(&key, &mut nonces, b"first")?;
    let (second, _) = seal_message(&key, &mut nonces, b"second")?;
    assert_ne!(first, second);
    let plaintext = open(&key, &first, b"", &first_ciphertext)?;
    assert_eq!(&*plaintext.borrow(), b"first");

    let mut limited = NonceSequence::<ChaCha20Poly1305Ietf>::with_prefix(*b"node").with_limit(1);
    let _ = seal(&key, limited.next()?, b"", b"only one")?;
    assert_eq!(limited.remaining(), 0);
    assert!(matches!(
        limited.next(),
        Err(Error::Exhausted { issued: 1 })
    ));
    Ok(())
}
