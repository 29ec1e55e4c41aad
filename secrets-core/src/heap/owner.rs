//! Who may use a piece of guarded memory: the process that made it, before any `fork`.
//!
//! Guarded pages are `MADV_DONTFORK`: a child made by `fork(2)` inherits the containers (plain
//! values on its heap or stack) but not the pages they point to. Every placement records the
//! [`Owner`] it was made by and compares it before touching a page, so that a child neither
//! reads memory that is not there nor zeroes, unmaps or unlocks what belongs to its parent.

use crate::sys::mem;

/// The process that made a piece of guarded memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Owner {
    pid: i32,
    forks: u64,
}

impl Owner {
    /// The calling process (and, from the first call on, its `fork`s are counted).
    pub(crate) fn current() -> Owner {
        mem::count_forks();
        Owner {
            pid: mem::pid(),
            forks: mem::forks_seen(),
        }
    }

    /// Whether no `fork` has happened since `self` was taken, as far as the `pthread_atfork`
    /// handler knows: one atomic load, for hot paths (a borrow). A child made by a raw `fork`
    /// system call skips the handler; [`Owner::is_this_process`] catches it too.
    pub(crate) fn is_here(self) -> bool {
        self.forks == mem::forks_seen()
    }

    /// [`Owner::is_here`], and the pid unchanged (one `getpid`): for paths that would free or
    /// zero memory, where a mistake would touch a parent's pages.
    pub(crate) fn is_this_process(self) -> bool {
        self.is_here() && self.pid == mem::pid()
    }
}
