// Misuse: `SecretType` implemented by hand instead of with `#[derive(Secret)]`.
// Why it must not compile: the derive does more than the trait's methods: it registers the
// type in `secrets_core::audit` (a hand-made secret type would escape the reviewed allowlist),
// counts its live values, and gives it a constant-time `==`, a redacted `Debug` and no `Clone`
// or `Display`. `SecretType` has a hidden supertrait that only the derive implements, so the
// hand impl is refused with a message that points to `#[derive(Secret)]`.
// Instead: `#[derive(Secret)] struct MasterKey(SecretBox<[u8; 32]>);`.

use secrets_core::{SecretBox, SecretType};

struct MasterKey(SecretBox<[u8; 32]>);

impl SecretType for MasterKey {
    type Storage = SecretBox<[u8; 32]>;

    fn __wrap(storage: SecretBox<[u8; 32]>) -> Self {
        MasterKey(storage)
    }

    fn __storage(&self) -> &SecretBox<[u8; 32]> {
        &self.0
    }

    fn __storage_mut(&mut self) -> &mut SecretBox<[u8; 32]> {
        &mut self.0
    }
}

fn main() {}
