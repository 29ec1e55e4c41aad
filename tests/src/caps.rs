//! Capabilities and resource limits, for the tests that run the containers out of a resource.
//!
//! The tests run as root, and root holds `CAP_IPC_LOCK`, which makes `mlock` ignore
//! `RLIMIT_MEMLOCK` altogether. A test of the lock limit therefore drops that capability first,
//! in a child process (see [`crate::in_child`]), and only then lowers the limit.
//!
//! Capabilities belong to a thread, not to a process: `capset` changes the calling thread's sets
//! only, and `mlock` checks the calling thread's. So [`drop_ipc_lock`] must run on the thread that
//! then allocates, and [`thread_capabilities`] reads `/proc/thread-self/status`, not
//! `/proc/self/status` (which shows the process's main thread, which may well be another one).

/// `CAP_IPC_LOCK` from `<linux/capability.h>`: lock memory without regard to `RLIMIT_MEMLOCK`.
pub const CAP_IPC_LOCK: u32 = 14;

/// `_LINUX_CAPABILITY_VERSION_3`: 64-bit capability sets, passed as two 32-bit halves.
const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// `struct __user_cap_header_struct`.
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

/// `struct __user_cap_data_struct`; version 3 takes an array of two (bits 0-31, bits 32-63).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

fn capget() -> [CapData; 2] {
    let mut header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: `header` and `data` are the header and the two-element data array that version 3
    // of `capget(2)` reads and fills; both outlive the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut header as *mut CapHeader,
            data.as_mut_ptr(),
        )
    };
    assert_eq!(ret, 0, "capget: {}", std::io::Error::last_os_error());
    data
}

fn capset(data: &[CapData; 2]) {
    let mut header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    // SAFETY: as in `capget`; `capset(2)` only reads the two data elements.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_capset,
            &mut header as *mut CapHeader,
            data.as_ptr(),
        )
    };
    assert_eq!(ret, 0, "capset: {}", std::io::Error::last_os_error());
}

/// Removes `cap` from the calling thread's effective and permitted sets, for good: without it in
/// the permitted set the thread cannot take it back. Panics if the kernel still reports it.
pub fn drop_capability(cap: u32) {
    let (word, bit) = ((cap / 32) as usize, 1u32 << (cap % 32));
    let mut data = capget();
    data[word].effective &= !bit;
    data[word].permitted &= !bit;
    capset(&data);
    let after = capget();
    assert!(
        after[word].effective & bit == 0 && after[word].permitted & bit == 0,
        "capability {cap} is still held after capset: {after:?}"
    );
}

/// Drops `CAP_IPC_LOCK` from the calling thread (see [`drop_capability`]) and checks, through
/// `/proc/thread-self/status`, that the kernel agrees: from here on `RLIMIT_MEMLOCK` applies.
pub fn drop_ipc_lock() {
    drop_capability(CAP_IPC_LOCK);
    let caps = thread_capabilities();
    assert!(
        !caps.effective(CAP_IPC_LOCK) && !caps.permitted(CAP_IPC_LOCK),
        "CAP_IPC_LOCK still set after dropping it: {caps:?}"
    );
}

/// The calling thread's capability sets, as `/proc/thread-self/status` shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// `CapEff`: what the thread's system calls are checked against.
    pub effective: u64,
    /// `CapPrm`: what the thread may make effective again.
    pub permitted: u64,
}

impl Capabilities {
    /// Whether `cap` is in the effective set.
    pub fn effective(&self, cap: u32) -> bool {
        self.effective & (1 << cap) != 0
    }

    /// Whether `cap` is in the permitted set.
    pub fn permitted(&self, cap: u32) -> bool {
        self.permitted & (1 << cap) != 0
    }
}

/// Reads `CapEff` and `CapPrm` of the calling thread from `/proc/thread-self/status`.
pub fn thread_capabilities() -> Capabilities {
    let status =
        std::fs::read_to_string("/proc/thread-self/status").expect("read /proc/thread-self/status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/thread-self/status"))
    };
    Capabilities {
        effective: field("CapEff:"),
        permitted: field("CapPrm:"),
    }
}

/// Sets both the soft and the hard `RLIMIT_MEMLOCK` to `bytes`. Lowering the hard limit is
/// allowed to anyone and cannot be undone without `CAP_SYS_RESOURCE`: use it in a child.
pub fn set_memlock_limit(bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: `limit` is a valid `rlimit` for `setrlimit` to read.
    let ret = unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &limit) };
    assert_eq!(
        ret,
        0,
        "setrlimit(RLIMIT_MEMLOCK, {bytes}): {}",
        std::io::Error::last_os_error()
    );
}

/// The soft and hard `RLIMIT_MEMLOCK` in bytes (`RLIM_INFINITY` for unlimited).
pub fn memlock_limit() -> (u64, u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid `rlimit` for `getrlimit` to fill.
    let ret = unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) };
    assert_eq!(ret, 0, "getrlimit: {}", std::io::Error::last_os_error());
    (limit.rlim_cur, limit.rlim_max)
}

/// `VmLck` of `/proc/self/status`: the bytes this process has locked, which is what
/// `RLIMIT_MEMLOCK` is counted against.
pub fn locked_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmLck:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmLck in /proc/self/status")
}

/// `vm.max_map_count`: how many mappings the kernel allows one process.
pub fn max_map_count() -> usize {
    std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .expect("read /proc/sys/vm/max_map_count")
        .trim()
        .parse()
        .expect("vm.max_map_count is a number")
}

/// Sets both the soft and the hard `RLIMIT_AS` (the process's address space) to `bytes`: a
/// mapping that would take the process past it fails with ENOMEM before any page is touched.
/// Cannot be raised again without `CAP_SYS_RESOURCE`: use it in a child.
pub fn set_address_space_limit(bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: `limit` is a valid `rlimit` for `setrlimit` to read.
    let ret = unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
    assert_eq!(
        ret,
        0,
        "setrlimit(RLIMIT_AS, {bytes}): {}",
        std::io::Error::last_os_error()
    );
}

/// A field of `/proc/self/status` given in kB (`VmSize`, `VmRSS`, `VmLck`), in bytes.
pub fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Drops `CAP_IPC_LOCK` ([`drop_ipc_lock`]) and sets `RLIMIT_MEMLOCK` to `bytes`
/// ([`set_memlock_limit`]), so that the limit applies, and checks that it does. Used by
/// `pooled_limits` and `sealed_limits`; like them, only in a child.
pub fn limit_locked_memory(bytes: u64) {
    drop_ipc_lock();
    set_memlock_limit(bytes);
    assert_eq!(memlock_limit(), (bytes, bytes));
}
