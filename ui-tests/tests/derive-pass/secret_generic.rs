// A generic secret type: one `#[derive(Secret)]` newtype over `SecretBox<T>` for any `Bytes`
// `T`. It registers once in the audit (with no single size) and its instances share one live
// count.

use secrets_core::prelude::*;

#[derive(Secret)]
pub struct Key<T: Bytes>(SecretBox<T>);

fn main() {
    let short = Key::<[u8; 16]>::random().unwrap();
    let long = Key::<[u8; 32]>::zero().unwrap();
    assert_eq!(short.borrow().len(), 16);
    assert_eq!(*long.borrow(), [0; 32]);
    assert_eq!(format!("{short:?}"), "Key([REDACTED])");
}
