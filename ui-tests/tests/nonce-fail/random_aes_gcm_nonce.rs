// Misuse: a random 96-bit nonce for AES-256-GCM.
// Why it must not compile: 96-bit random nonces repeat with growing likelihood (NIST caps a key at
// 2^32 such messages), and a single repeat gives away the GHASH key and lets an attacker forge.
// Instead: count AES-256-GCM nonces (`SessionKey::seal`, or `CounterFile::seal` for a stored or
// derived key), or use XChaCha20-Poly1305 or AEGIS-256, whose nonces can safely be random.

use secrets_nonce::{Aes256Gcm, UnusedNonce};

fn main() {
    let _nonce = UnusedNonce::<Aes256Gcm>::random();
}
