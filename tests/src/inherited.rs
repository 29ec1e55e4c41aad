//! What a child made by `fork` checks about the secrets it inherited, for the fork tests of
//! `pooled` and `sealed`: it has no secret memory descriptor, cannot borrow an inherited
//! secret (the borrow panics with [`PARENT_MESSAGE`]) and makes and reads secrets of its own.
//!
//! The child runs in [`crate::probe::fork_and_wait`] and reports a failed check through its
//! exit code, one per check (the codes below, which the test files extend with their own from
//! 15 on); each check also explains itself on stderr, which the parent prints. A check returns
//! `Err(code)` for the child to exit with.

use secrets_core::{SecretBox, Storage};

use crate::child::panic_text;
use crate::probe::secretmem_fds;
use crate::values::pattern;

/// Exit code: a `memfd_secret` descriptor is open in the child.
pub const SECRETMEM_FD_OPEN: i32 = 11;
/// Exit code: a borrow of an inherited secret returned.
pub const BORROW_DID_NOT_PANIC: i32 = 12;
/// Exit code: a borrow of an inherited secret panicked, but without [`PARENT_MESSAGE`].
pub const WRONG_PANIC_MESSAGE: i32 = 13;
/// Exit code: a secret the child made itself read back wrong.
pub const OWN_SECRETS_WRONG: i32 = 14;

/// The part of the panic message of a borrow in a forked child.
pub const PARENT_MESSAGE: &str = "belongs to the parent process";

/// `Err(SECRETMEM_FD_OPEN)`, naming them on stderr, if any `memfd_secret` descriptor is open.
pub fn no_secretmem_fd() -> Result<(), i32> {
    let fds = secretmem_fds();
    if fds.is_empty() {
        return Ok(());
    }
    eprintln!("secret memory descriptors open in the child: {fds:?}");
    Err(SECRETMEM_FD_OPEN)
}

/// Runs `attempt`, a borrow of an inherited secret (`what` names it) that returns the byte it
/// read: `Ok` if it panicked with [`PARENT_MESSAGE`], `Err(BORROW_DID_NOT_PANIC)` if it
/// returned, `Err(WRONG_PANIC_MESSAGE)` if it panicked with another message.
pub fn borrow_refused(what: &str, attempt: impl FnOnce() -> u8) -> Result<(), i32> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(attempt)) {
        Ok(byte) => {
            eprintln!("the child's {what} of an inherited secret read {byte:#x}");
            Err(BORROW_DID_NOT_PANIC)
        }
        Err(payload) if !panic_text(&*payload).contains(PARENT_MESSAGE) => {
            eprintln!("the {what} panicked with {:?}", panic_text(&*payload));
            Err(WRONG_PANIC_MESSAGE)
        }
        Err(_) => Ok(()),
    }
}

/// Makes 200 32-byte secrets of the child's own in `storage` (`pattern(i, 0x66)`) and borrows
/// each: returns them if every one reads right, `Err(OWN_SECRETS_WRONG)` if one does not.
///
/// # Panics
/// If a secret cannot be made.
pub fn own_secrets_read_back<S: Storage + Copy>(
    storage: S,
) -> Result<Vec<SecretBox<[u8; 32], S>>, i32> {
    let own: Vec<SecretBox<[u8; 32], S>> = (0..200)
        .map(|i| SecretBox::new_in(storage, |v| *v = pattern(i, 0x66)))
        .collect::<Result<_, _>>()
        .expect("the child's own secrets");
    for (i, value) in own.iter().enumerate() {
        if *value.borrow() != pattern(i as u32, 0x66) {
            eprintln!("the child's own box {i} reads wrong");
            return Err(OWN_SECRETS_WRONG);
        }
    }
    Ok(own)
}
