// Every `Bytes` primitive, and arrays (of arrays) of them, can be kept in a `SecretBox`.

use std::fmt::Debug;

use secrets_core::{Bytes, SecretBox};

fn round_trip<T: Bytes + Copy + PartialEq + Debug>(value: T) {
    let boxed = SecretBox::<T>::new(|v| *v = value).unwrap();
    assert_eq!(*boxed.borrow(), value);
    let _ = SecretBox::<T>::zero().unwrap();
    let _ = SecretBox::<T>::random().unwrap();
}

fn main() {
    round_trip(1u8);
    round_trip(2u16);
    round_trip(3u32);
    round_trip(4u64);
    round_trip(5u128);
    round_trip(6usize);
    round_trip(-1i8);
    round_trip(-2i16);
    round_trip(-3i32);
    round_trip(-4i64);
    round_trip(-5i128);
    round_trip(-6isize);
    round_trip(0.5f32);
    round_trip(0.25f64);

    round_trip([7u8; 32]);
    round_trip([[1u64, 2], [3, 4], [5, 6]]);
    round_trip([[[1i16; 2]; 3]; 4]);
}
