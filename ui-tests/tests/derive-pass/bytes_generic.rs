// Supported: a generic `#[derive(Bytes)]` struct. Its layout is checked for each concrete
// type it is stored with: `Pair<u64>` has no padding, so it can live in a `SecretBox` (and in a
// `#[derive(Secret)]` type over one).

use secrets_core::prelude::*;

#[derive(Bytes)]
#[repr(C)]
pub struct Pair<T> {
    a: T,
    b: T,
}

#[derive(Secret)]
pub struct SplitKey(SecretBox<Pair<[u8; 16]>>);

fn main() -> Result<(), secrets_core::Error> {
    let pair = SecretBox::<Pair<u64>>::new(|p| {
        p.a = 1;
        p.b = 2;
    })?;
    assert_eq!(pair.borrow().a + pair.borrow().b, 3);
    let split = SplitKey::random()?;
    let _ = split.borrow().a;
    Ok(())
}
