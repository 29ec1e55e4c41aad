// The containers are `Send` and `Sync`: one can be moved to another thread, or shared by
// reference between threads that each take their own `Ref`.

use secrets_core::{SecretBox, SecretString, SecretVec};

const fn assert_send_sync<T: Send + Sync>() {}

const _: () = {
    assert_send_sync::<SecretBox<[u8; 32]>>();
    assert_send_sync::<SecretVec<u64>>();
    assert_send_sync::<SecretString>();
};

fn main() {
    let key = SecretBox::<[u8; 32]>::new(|k| *k = [9; 32]).unwrap();
    std::thread::scope(|scope| {
        let a = scope.spawn(|| key.borrow()[0]);
        let b = scope.spawn(|| key.borrow()[31]);
        assert_eq!(a.join().unwrap(), 9);
        assert_eq!(b.join().unwrap(), 9);
    });
    let moved = std::thread::spawn(move || key.borrow()[1]).join().unwrap();
    assert_eq!(moved, 9);
}
