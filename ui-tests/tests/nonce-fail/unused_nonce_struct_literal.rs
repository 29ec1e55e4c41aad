// Misuse: making an `UnusedNonce` from chosen bytes by filling in its fields.
// Why it must not compile: a nonce from bytes could be one that has already sealed a message
// (a constant, a value read back from storage, a counter reset on restart); the crate can only
// promise single use for nonces it made itself, so the fields are private.
// Instead: `UnusedNonce::random()` (XChaCha20-Poly1305, AEGIS-256), or let a `SessionKey` or
// a `CounterFile` count 96-bit nonces. To read back a stored nonce for opening, use `UsedNonce::from_bytes`.

use std::marker::PhantomData;

use secrets_nonce::{UnusedNonce, XChaCha20Poly1305};

fn main() {
    let _nonce = UnusedNonce::<XChaCha20Poly1305> {
        bytes: [0; 24],
        algorithm: PhantomData,
    };
}
