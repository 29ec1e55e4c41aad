//! What a failed system call of the placement layer means: the lock limit, the map count, or
//! memory running out. `sys/` reports only the `errno` and the step that failed; the policy of
//! which [`Error`] that is lives here, where the placement knows what it asked for.

use crate::sys::{code, mem};
use crate::Error;

use super::spare;

/// Whether a failed mapping call with `errno` is explained by `vm.max_map_count`: ENOMEM while
/// the process holds nearly that many mappings (an allocation adds at most five, so a failure
/// leaves it within a few of the limit). ENOMEM far below it is memory, the address space
/// (`RLIMIT_AS`) or a cgroup limit running out, and is reported as such.
///
/// `undone` is how many mappings the failed operation made and removed again before the
/// failure was reported (a pool chunk is up to 33), which the count read now no longer shows.
fn at_map_count(errno: i32, undone: u64) -> bool {
    const MARGIN: u64 = 16;
    errno == code::ENOMEM
        && match (mem::mapping_count(), mem::max_map_count()) {
            (Some(count), Some(max)) => count.saturating_add(MARGIN + undone) >= max,
            // Without the figures, keep the old explanation where the kernel has such a limit
            // (Linux): it is the likeliest one. Elsewhere there is no map count to blame.
            _ => mem::MAP_COUNT_LIMITED,
        }
}

/// The error for a failed `operation` (a mapping, or a guard page's `mprotect`) with `errno`:
/// `at_count` (the map count's error: [`Error::Map`] or [`Error::Guard`]) if the map count
/// explains it, [`Error::OutOfMemory`] otherwise.
pub(crate) fn mapping_error(
    requested: usize,
    operation: &'static str,
    errno: i32,
    at_count: fn(usize, i32, Option<u64>) -> Error,
) -> Error {
    mapping_error_after(0, requested, operation, errno, at_count)
}

/// [`mapping_error`] for an operation that made `undone` mappings and removed them again
/// before its failure is classified (mapping a pool chunk unmaps the part already made).
pub(crate) fn mapping_error_after(
    undone: u64,
    requested: usize,
    operation: &'static str,
    errno: i32,
    at_count: fn(usize, i32, Option<u64>) -> Error,
) -> Error {
    if at_map_count(errno, undone) {
        at_count(requested, errno, mem::max_map_count())
    } else {
        Error::OutOfMemory {
            requested,
            operation,
            errno,
        }
    }
}

/// The error for a failed `madvise` (`advice`, with `errno`) on memory that was just mapped
/// and has been unmapped again, with the `undone` mappings it had. Linux reports a mapping
/// that the advice had to split, and the map count refused to, as `EAGAIN` (`madvise` turns
/// the split's `ENOMEM` into it): near the map count that is the map count's [`Error::Map`];
/// otherwise the advice failed, [`Error::Advise`].
pub(crate) fn advise_error(
    requested: usize,
    advice: &'static str,
    errno: i32,
    undone: u64,
) -> Error {
    if errno == code::EAGAIN && at_map_count(code::ENOMEM, undone) {
        map_error(requested, code::ENOMEM, mem::max_map_count())
    } else {
        Error::Advise { advice, errno }
    }
}

/// [`Error::Map`]: a new mapping could not be made.
pub(crate) fn map_error(requested: usize, errno: i32, max_map_count: Option<u64>) -> Error {
    Error::Map {
        requested,
        errno,
        max_map_count,
    }
}

/// [`Error::Guard`]: a guard page could not be put in place (the split of a mapping failed).
pub(crate) fn guard_error(requested: usize, errno: i32, max_map_count: Option<u64>) -> Error {
    Error::Guard {
        requested,
        errno,
        max_map_count,
    }
}

/// `mlock` of `[addr, addr + len)`; if it fails, the memory kept for reuse (charged to the same
/// `RLIMIT_MEMLOCK`, and two mappings per region) is released and it is tried once more, so
/// that keeping it never costs a lock.
pub(crate) fn lock(addr: usize, len: usize) -> Result<(), i32> {
    match mem::lock(addr, len) {
        Err(_) if release_kept() > 0 => mem::lock(addr, len),
        locked => locked,
    }
}

/// Releases every piece of guarded memory kept for reuse (released dedicated regions, pool
/// chunks that hold nothing); returns how many were released. Called before a lock or map error
/// is returned, so that what is kept never causes one.
pub(crate) fn release_kept() -> usize {
    spare::release_all() + super::pool::release_empty()
}

/// Why `mlock` of `locked` bytes failed with `errno`: the lock limit; or, ENOMEM without the
/// limit to explain it, the map count (locking part of a mapping has to split it) if the
/// process is near it, and memory running out ([`Error::OutOfMemory`]) if not.
pub(crate) fn lock_error(requested: usize, locked: usize, errno: i32) -> Error {
    let limit = mem::memlock_limit();
    let limit_explains_it = errno == code::EPERM
        || errno == code::EAGAIN
        || (!mem::can_lock_without_limit()
            && limit
                .is_some_and(|limit| mem::locked_bytes().saturating_add(locked as u64) > limit));
    if limit_explains_it {
        Error::Lock {
            requested,
            locked,
            limit,
            errno,
        }
    } else {
        mapping_error(requested, "mlock", errno, map_error)
    }
}
