//! The attack of the protection tests: a plain load of a protected address by code in the
//! process (a bug, a gadget), in the process itself or in a child made by `fork`, and the
//! lines a child prints around it so that the parent can tell a control that failed from an
//! attack that was stopped.
//!
//! A scenario that reads a protected address prints [`CONTROL_READ`] once the same read of
//! plain memory worked, [`ATTACK_READ`] just before the protected read, and
//! [`ATTACK_SURVIVED`] if it returned; [`assert_died_on_the_protected_read`] checks its
//! outcome.

use crate::child::ChildOutcome;
use crate::probe::{fork_and_wait, Forked};

/// The line a child prints once the control read of plain memory succeeded.
pub const CONTROL_READ: &str = "CONTROL-READ-OK";
/// The line a child prints just before it reads the protected address.
pub const ATTACK_READ: &str = "READING-THE-PROTECTED-ADDRESS";
/// The line a child prints if the protected read returned.
pub const ATTACK_SURVIVED: &str = "THE-PROTECTED-READ-SUCCEEDED";

/// Exit code of a child of [`fork_and_read`] whose read saw the value.
pub const READ_VALUE: i32 = 42;
/// Exit code of a child of [`fork_and_read`] whose read saw something else.
pub const READ_OTHER: i32 = 43;

/// Reads one byte at `addr` with a plain load: the attack of code in the process (a bug, a
/// gadget) on memory it should not read. Used by `pooled` and `sealed`, on protected pages
/// (where it must kill the process) and on plain memory (their controls).
pub fn read_byte(addr: usize) -> u8 {
    // SAFETY: none when the page is not readable: the load faults, and that fault is what the
    // tests look for. In the controls the address is readable memory of this process.
    unsafe { std::ptr::read_volatile(addr as *const u8) }
}

/// Checks a child that must have passed its controls ([`CONTROL_READ`] on its stdout), then
/// reached its attack (it printed `attack`, which `what` describes) and been killed by
/// `signal`. Used by [`assert_died_on_the_protected_read`] and by `sealed` for a borrow of a
/// tampered value (SIGABRT).
#[track_caller]
pub fn assert_killed_by_the_attack(outcome: &ChildOutcome, attack: &str, what: &str, signal: i32) {
    assert!(
        outcome.stdout.contains(CONTROL_READ),
        "the controls did not pass: {outcome:?}"
    );
    assert!(
        outcome.stdout.contains(attack),
        "the child never reached {what}: {outcome:?}"
    );
    outcome.assert_killed_by(signal);
}

/// Checks a child that must have read its control ([`CONTROL_READ`]), then reached the
/// protected read ([`ATTACK_READ`]) and died of SIGSEGV on it. Used by `pooled` (a live slot,
/// a neighbour of a borrowed value) and `sealed` (the key page).
#[track_caller]
pub fn assert_died_on_the_protected_read(outcome: &ChildOutcome) {
    assert_killed_by_the_attack(outcome, ATTACK_READ, "the protected read", libc::SIGSEGV);
}

/// Forks a child that reads the byte at `addr` with [`read_byte`] and exits [`READ_VALUE`] if
/// `is_value` says the byte is the value looked for, [`READ_OTHER`] if not; a child for which
/// nothing readable is mapped there dies of SIGSEGV. Returns how it ended. Used by the fork
/// tests of `pooled` and `sealed`: on plain memory (the control, which must read the value)
/// and on what `MADV_DONTFORK` keeps from the child (which must kill it).
///
/// Call it only where [`fork_and_wait`] may be called.
pub fn fork_and_read(addr: usize, is_value: impl FnOnce(u8) -> bool) -> Forked {
    fork_and_wait(|| {
        if is_value(read_byte(addr)) {
            READ_VALUE
        } else {
            READ_OTHER
        }
    })
}
