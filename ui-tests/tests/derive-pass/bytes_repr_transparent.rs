// Supported: `#[repr(transparent)]` for a single-field wrapper, and `#[repr(C, packed)]`, which
// leaves no padding even between fields of different alignments.

use secrets_core::{Bytes, SecretBox};

#[derive(Bytes)]
#[repr(transparent)]
pub struct Scalar([u8; 32]);

#[derive(Bytes)]
#[repr(transparent)]
pub struct Counter {
    value: u64,
}

#[derive(Bytes)]
#[repr(C, packed)]
pub struct Header {
    version: u8,
    length: u32,
}

fn main() -> Result<(), secrets_core::Error> {
    let scalar = SecretBox::<Scalar>::random()?;
    let _ = scalar.borrow().0[0];
    let counter = SecretBox::<Counter>::new(|c| c.value = 3)?;
    assert_eq!(counter.borrow().value, 3);
    let header = SecretBox::<Header>::new(|h| {
        h.version = 1;
        h.length = 40;
    })?;
    let length = header.borrow().length;
    assert_eq!(length, 40);
    Ok(())
}
