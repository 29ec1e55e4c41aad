// Misuse: cloning an `UnusedNonce`.
// Why it must not compile: the clone and the original could each seal a message, which is
// nonce reuse; an `UnusedNonce` is single-use by ownership, and a copy would undo that.
// Instead: take a fresh nonce for each message: `UnusedNonce::random()` or `sequence.next()`.

use secrets_nonce::{UnusedNonce, XChaCha20Poly1305};

fn main() {
    let nonce = UnusedNonce::<XChaCha20Poly1305>::random();
    let _copy: UnusedNonce<XChaCha20Poly1305> = nonce.clone();
}
