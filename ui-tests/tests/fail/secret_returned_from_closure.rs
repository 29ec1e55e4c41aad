// A `Secret` cannot leave its closure by being returned.
//
// The closure gets a `&mut Secret<T>` to a value in `Secret::new`'s stack frame, which is zeroed
// and unlocked as soon as the closure returns; handing the reference out would point at that
// dead frame. Return what you computed from the secret instead.

use secrets_core::Secret;

fn main() {
    let _ = Secret::<[u8; 32]>::random(|key| key);
}
