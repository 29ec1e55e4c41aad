// `Secret::new`, `zero` and `random` hand the closure a `&mut Secret<T>` and return whatever the
// closure computes from it, as long as that does not borrow the secret.

use secrets_core::Secret;

fn main() {
    let sum = Secret::<[u32; 4]>::new(|s| {
        s.copy_from_slice(&[1, 2, 3, 4]);
        s.iter().sum::<u32>()
    })
    .unwrap();
    assert_eq!(sum, 10);

    let all_zero = Secret::<[u64; 4]>::zero(|s| s.iter().all(|&w| w == 0)).unwrap();
    assert!(all_zero);

    let checksum = Secret::<[u8; 32]>::random(|key| key.iter().fold(0u8, |a, b| a ^ b)).unwrap();
    let _ = checksum;

    let nested = Secret::<u64>::random(|outer| {
        Secret::<u64>::new(|inner| {
            **inner = **outer ^ 1;
            **inner ^ **outer
        })
        .unwrap()
    })
    .unwrap();
    assert_eq!(nested, 1);
}
