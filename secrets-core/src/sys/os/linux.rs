//! The Linux (and Android) side of the platform layer: the calls and files only these kernels
//! offer. Chosen in `sys/mod.rs`; every OS file there offers the same functions and constants,
//! and the rest of `sys/` is written once over them and plain POSIX.

use super::mem::errno;

/// Flags of an address-space reservation: private, anonymous, and `MAP_NORESERVE` so that
/// the `PROT_NONE` pages are not counted against overcommit.
pub(crate) const RESERVE_FLAGS: libc::c_int =
    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;

fn check(ret: libc::c_int) -> Result<(), i32> {
    if ret == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// How the pages of a range are left out of core dumps: `madvise(MADV_DONTDUMP)`.
pub(crate) const DONT_DUMP: Option<&str> = Some("MADV_DONTDUMP");

/// Excludes `[addr, addr + len)` from core dumps (`MADV_DONTDUMP`).
pub(crate) fn dont_dump(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: MADV_DONTDUMP only sets a flag on the mapping; it never discards contents.
    check(unsafe { libc::madvise(addr as *mut libc::c_void, len, libc::MADV_DONTDUMP) })
}

/// How a range is kept out of children made by `fork(2)`.
pub(crate) const DONT_FORK: &str = "MADV_DONTFORK";

/// Leaves `[addr, addr + len)` out of the address space of children made by `fork(2)`
/// (`MADV_DONTFORK`).
pub(crate) fn dont_fork(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: MADV_DONTFORK only sets a flag on the mapping; this process's view is unchanged.
    check(unsafe { libc::madvise(addr as *mut libc::c_void, len, libc::MADV_DONTFORK) })
}

/// What makes the kernel zero locked pages whose mapping goes away while they are still
/// locked: nothing to ask for here (macOS's `MADV_ZERO_WIRED_PAGES`).
pub(crate) const ZERO_WIRED: Option<&str> = None;

/// Does nothing: there is no such advice here ([`ZERO_WIRED`] is `None`). Guarded memory is
/// zeroed by this crate before it is released; a crash skips that on every OS but macOS.
pub(crate) fn zero_wired(_addr: usize, _len: usize) -> Result<(), i32> {
    Ok(())
}

/// The call that makes the process undumpable and untraceable by its own user.
pub(crate) const NOT_DUMPABLE: Option<&str> = Some("PR_SET_DUMPABLE = 0");

/// `prctl(PR_SET_DUMPABLE, 0)`, then `prctl(PR_GET_DUMPABLE)`: `Ok(true)` once the kernel
/// reports the process not dumpable (no core dump; `/proc/PID/mem` and `ptrace` attach refused
/// to anyone without `CAP_SYS_PTRACE`).
pub(crate) fn set_not_dumpable() -> Result<bool, i32> {
    // SAFETY: PR_SET_DUMPABLE takes an integer argument; the unused ones must be zero.
    check(unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) })?;
    // SAFETY: PR_GET_DUMPABLE takes no further arguments (zeros).
    match unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) } {
        -1 => Err(errno()),
        dumpable => Ok(dumpable == 0),
    }
}

/// A new `memfd_secret(2)` file descriptor (close-on-exec), or the `errno` that says why the
/// kernel offers none (ENOSYS: before 5.14, or `secretmem` disabled).
pub(crate) fn memfd_secret() -> Result<libc::c_int, i32> {
    // SAFETY: `memfd_secret(flags)` takes one integer and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_memfd_secret, libc::O_CLOEXEC as libc::c_uint) };
    if fd < 0 {
        Err(errno())
    } else {
        // A descriptor is a `c_int`; the syscall returns it widened to `c_long`.
        libc::c_int::try_from(fd).map_err(|_| libc::EMFILE)
    }
}

/// Whether the page at `page` is locked (or otherwise kept out of swap): `madvise(MADV_COLD)`
/// is refused with EINVAL for a `VM_LOCKED` mapping and is only a reclaim hint on any other.
/// See `sys/stacklock.rs`.
pub(crate) fn is_locked(page: usize, len: usize) -> Result<bool, i32> {
    // SAFETY: MADV_COLD never changes the contents, protection or locks of a page; at most it
    // moves it to the inactive list, from which it is read back like any other page.
    match unsafe { libc::madvise(page as *mut libc::c_void, len, libc::MADV_COLD) } {
        0 => Ok(false),
        _ => match errno() {
            libc::EINVAL => Ok(true),
            errno => Err(errno),
        },
    }
}

/// An `rlim_t` as `u64` (it is one here).
pub(crate) fn rlim(value: libc::rlim_t) -> u64 {
    value
}

/// The lock limit's name, and what raises it, for [`crate::Error::Lock`]'s message.
pub(crate) const LOCK_LIMIT: (&str, &str) = (
    "RLIMIT_MEMLOCK",
    "`ulimit -l`, systemd's LimitMEMLOCK=, or CAP_IPC_LOCK",
);

/// Whether the kernel limits how many mappings a process may have (`vm.max_map_count`).
pub(crate) const MAP_COUNT_LIMITED: bool = true;

/// How many mappings this process has (lines of `/proc/self/maps`), for telling a failure at
/// `vm.max_map_count` from other failures; `None` if unreadable. Reads the whole file (a few
/// MB at the map count): for error paths only. It counts through a buffer on the stack, since
/// at the map count a large heap allocation could fail too.
pub(crate) fn mapping_count() -> Option<u64> {
    use std::io::Read;
    let mut maps = std::fs::File::open("/proc/self/maps").ok()?;
    let mut buf = [0u8; 4096];
    let mut lines = 0u64;
    loop {
        match maps.read(&mut buf) {
            Ok(0) => return Some(lines),
            Ok(read) => {
                let chunk = buf.get(..read)?;
                lines += chunk.iter().filter(|&&byte| byte == b'\n').count() as u64;
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

/// `vm.max_map_count`: how many mappings the kernel allows this process.
pub(crate) fn max_map_count() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A field of `/proc/thread-self/status` given in kB (`VmLck:`), in bytes; `None` if it
/// cannot be read.
pub(crate) fn status_bytes(name: &str) -> Option<u64> {
    status_field(name)
        .and_then(|kb| kb.trim_end_matches("kB").trim().parse::<u64>().ok())
        .and_then(|kb| kb.checked_mul(1024))
}

/// Whether the calling thread has `CAP_IPC_LOCK`, which lifts `RLIMIT_MEMLOCK`.
pub(crate) fn can_lock_without_limit() -> bool {
    const CAP_IPC_LOCK: u32 = 14;
    status_field("CapEff:")
        .and_then(|hex| u64::from_str_radix(&hex, 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_IPC_LOCK) != 0)
}

fn status_field(name: &str) -> Option<String> {
    // Capabilities belong to threads, so read the calling thread's status.
    let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(name))?;
    Some(line[name.len()..].trim().to_owned())
}
