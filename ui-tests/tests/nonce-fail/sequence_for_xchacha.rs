// Misuse: a `NonceSequence` for XChaCha20-Poly1305.
// Why it must not compile: a counter needs state that must survive restarts and never be
// shared, which 192-bit nonces do not need; and a `NonceSequence` makes 96-bit nonces, not the
// 192-bit nonces XChaCha20-Poly1305 takes.
// Instead: `UnusedNonce::<XChaCha20Poly1305>::random()` for each message.

use secrets_nonce::{NonceSequence, XChaCha20Poly1305};

fn main() {
    let _sequence = NonceSequence::<XChaCha20Poly1305>::new();
}
