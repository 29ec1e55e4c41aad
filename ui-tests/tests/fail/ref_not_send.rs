// A `Ref` cannot be sent to another thread.
//
// Like a `MutexGuard`, a `Ref` belongs to the thread that took it. The container itself is
// `Sync`: share `&SecretBox` with the other thread and let it call `borrow()` itself.

use secrets_core::SecretBox;

fn main() {
    let key = SecretBox::<[u8; 32]>::random().unwrap();
    let bytes = key.borrow();
    std::thread::scope(|scope| {
        scope.spawn(move || bytes[0]);
    });
}
