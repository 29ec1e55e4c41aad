// A `SecretVec` of a `Bytes` type other than `u8`.

use secrets_core::SecretVec;

fn main() {
    let words = SecretVec::<u32>::new(3, |w| w.copy_from_slice(&[1, 2, 3])).unwrap();
    assert_eq!(words.len(), 3);
    assert_eq!(&*words.borrow(), &[1, 2, 3]);

    let mut random = SecretVec::<u32>::random(8).unwrap();
    random.borrow_mut()[0] = 7;
    assert_eq!(random.borrow()[0], 7);

    let zeros = SecretVec::<u32>::zero(4).unwrap();
    assert_eq!(&*zeros.borrow(), &[0; 4]);
}
