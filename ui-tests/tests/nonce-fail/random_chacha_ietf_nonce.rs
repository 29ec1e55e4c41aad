// Misuse: a random 96-bit nonce for ChaCha20-Poly1305-IETF.
// Why it must not compile: 96-bit random nonces are likely to repeat after about 2^48
// messages under one key, and a single repeat breaks the key.
// Instead: count ChaCha20-Poly1305-IETF nonces (`SessionKey::seal` for a key that stays in the
// process, `CounterFile::seal` for a stored or derived one), or use XChaCha20-Poly1305 or
// AEGIS-256, whose nonces can safely be random.

use secrets_nonce::{ChaCha20Poly1305Ietf, UnusedNonce};

fn main() {
    let _nonce = UnusedNonce::<ChaCha20Poly1305Ietf>::random();
}
