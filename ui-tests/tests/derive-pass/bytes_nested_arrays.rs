// Supported: arrays of arrays, and a `#[derive(Bytes)]` struct inside another, in a named and a
// tuple struct.

use secrets_core::{Bytes, SecretBox};

#[derive(Bytes)]
#[repr(C)]
pub struct RoundKeys {
    rounds: [[u32; 4]; 15],
    tweak: [[[u8; 2]; 2]; 4],
}

#[derive(Bytes)]
#[repr(C)]
pub struct Schedule(RoundKeys, [RoundKeys; 2]);

fn main() -> Result<(), secrets_core::Error> {
    let mut schedule = SecretBox::<Schedule>::zero()?;
    schedule.borrow_mut().1[1].rounds[14][3] = 0xdead_beef;
    assert_eq!(schedule.borrow().1[1].rounds[14][3], 0xdead_beef);
    assert_eq!(schedule.borrow().0.tweak[3][1][1], 0);
    Ok(())
}
