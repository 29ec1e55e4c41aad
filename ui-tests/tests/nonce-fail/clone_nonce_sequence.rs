// Misuse: cloning a `NonceSequence`.
// Why it must not compile: the clone would count from the same prefix and counter as the
// original, so the two would hand out the same nonces under one key.
// Instead: use one sequence per key for the key's whole life, and pass `&mut` to it where
// nonces are needed.

use secrets_nonce::{ChaCha20Poly1305Ietf, NonceSequence};

fn main() {
    let sequence = NonceSequence::<ChaCha20Poly1305Ietf>::new();
    let _copy: NonceSequence<ChaCha20Poly1305Ietf> = sequence.clone();
}
