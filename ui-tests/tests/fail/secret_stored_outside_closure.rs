// A `Secret` cannot leave its closure by being stored in a variable outside it, for the same
// reason it cannot be returned: the value is zeroed and unlocked when the closure ends.

use secrets_core::Secret;

fn main() {
    let mut stash = None;
    let _ = Secret::<[u8; 32]>::random(|key| stash = Some(key));
    drop(stash);
}
