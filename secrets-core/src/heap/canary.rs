//! The canaries written around secrets: 16 random bytes, one set per process, before a
//! dedicated region's data and around every pooled slot; and what happens when one is found
//! overwritten.

use std::sync::OnceLock;

use crate::sys::sodium;

/// The size of a canary (libsodium's `CANARY_SIZE`).
pub(crate) const CANARY_SIZE: usize = 16;

/// The canary this crate writes around secrets (before a dedicated region's data, around every
/// pooled slot): 16 random bytes, one set per process.
pub(crate) fn canary() -> &'static [u8; CANARY_SIZE] {
    static CANARY: OnceLock<[u8; CANARY_SIZE]> = OnceLock::new();
    CANARY.get_or_init(|| {
        let mut canary = [0; CANARY_SIZE];
        sodium::random_fill(&mut canary);
        canary
    })
}

/// Something wrote over the canary before a secret: memory around it is corrupt, so nothing of
/// the process can be trusted to go on. Same effect as libsodium's check.
pub(crate) fn canary_smashed() -> ! {
    eprintln!("secrets: the canary before a secret was overwritten (buffer underflow); aborting");
    std::process::abort()
}
