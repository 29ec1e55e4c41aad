//! How many secrets fit under an ordinary user's lock limit, for each backend, and what happens
//! at the limit: a typed `Error::Lock` that names `RLIMIT_MEMLOCK`, never a panic and never an
//! unlocked secret.
//!
//! The child gives up `CAP_IPC_LOCK` (root and other holders of it are not bound by
//! `RLIMIT_MEMLOCK`) and sets the limit to 8 MiB, the usual default. Every 32-byte secret takes
//! one locked page, so at most 8 MiB / 4 KiB = 2048 fit.

use secrets_core::{set_backend, Backend, Error, SecretBox};
use secrets_integration_tests::{in_child, page_size};

const MEMLOCK_LIMIT: u64 = 8 * 1024 * 1024;
/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per capability set.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;
const CAP_IPC_LOCK: u32 = 14;
/// Printed when the scenario has run to its end: a child that ran no test (a misspelt name)
/// also exits 0.
const DONE: &str = "SCENARIO-DONE";
/// Far more secrets than could ever fit under the limit: reaching it means no limit was hit.
const RUNAWAY: usize = 100_000;

/// `struct __user_cap_header_struct`.
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

/// `struct __user_cap_data_struct`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Removes `CAP_IPC_LOCK` from the calling thread's effective and permitted sets.
/// Capabilities belong to threads, and the test runs on a thread of its own, so this thread is
/// the one that must lose it (and the one that allocates).
fn drop_cap_ipc_lock() {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: `header` and `data` have the layouts of the kernel's structs, and `data` holds
    // the two words that version 3 fills.
    let ret = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    assert_eq!(ret, 0, "capget: {}", std::io::Error::last_os_error());
    let bit = 1 << CAP_IPC_LOCK;
    data[0].effective &= !bit;
    data[0].permitted &= !bit;
    // SAFETY: as above; capset only reads them.
    let ret = unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) };
    assert_eq!(ret, 0, "capset: {}", std::io::Error::last_os_error());
}

/// A capability set of this thread (`CapEff`, `CapPrm`) from `/proc/thread-self/status`:
/// `/proc/self/status` would show the main thread's, which this test does not change.
fn thread_caps(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/thread-self/status").expect("read status");
    let hex = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {field} in /proc/thread-self/status"));
    u64::from_str_radix(hex.trim(), 16).expect("capability mask in hex")
}

fn set_memlock_limit(bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: `limit` is a valid rlimit for setrlimit to read.
    let ret = unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &limit) };
    assert_eq!(ret, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

/// Fills guarded memory with 32-byte secrets until the lock limit stops it, and checks how.
fn count_until_lock_limit(backend: Backend) {
    drop_cap_ipc_lock();
    let ipc_lock = 1 << CAP_IPC_LOCK;
    assert_eq!(
        thread_caps("CapEff") & ipc_lock,
        0,
        "CAP_IPC_LOCK effective"
    );
    assert_eq!(
        thread_caps("CapPrm") & ipc_lock,
        0,
        "CAP_IPC_LOCK permitted"
    );
    set_memlock_limit(MEMLOCK_LIMIT);
    set_backend(backend).expect("choose the backend before the first secret");

    let mut live = Vec::new();
    let err = loop {
        match SecretBox::<[u8; 32]>::random() {
            Ok(secret) => live.push(secret),
            Err(err) => break err,
        }
        assert!(live.len() < RUNAWAY, "no error after {RUNAWAY} secrets");
    };
    println!(
        "{backend}: {} live 32-byte secrets, then: {err}",
        live.len()
    );

    assert!(
        matches!(
            err,
            Error::Lock {
                limit: Some(MEMLOCK_LIMIT),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("RLIMIT_MEMLOCK"), "{err}");
    let most = usize::try_from(MEMLOCK_LIMIT).expect("fits usize") / page_size();
    assert!(
        (most * 9 / 10..=most).contains(&live.len()),
        "{} secrets under an {MEMLOCK_LIMIT}-byte lock limit; expected up to {most}",
        live.len()
    );

    // The limit is a budget, not a failure state: dropping a secret makes room for another.
    live.pop();
    live.push(SecretBox::random().expect("room after dropping one secret"));
    drop(live);
    SecretBox::<[u8; 32]>::random().expect("room after dropping every secret");
    println!("{DONE}");
}

#[test]
fn capacity_under_memlock_limit_memfd_secret() {
    let outcome = in_child("capacity_under_memlock_limit_memfd_secret", || {
        count_until_lock_limit(Backend::MemfdSecret)
    });
    print!("{}", outcome.stdout);
    outcome.assert_success();
    assert!(
        outcome.stdout.contains(DONE),
        "the scenario did not run: {outcome:?}"
    );
}

#[test]
fn capacity_under_memlock_limit_sodium() {
    let outcome = in_child("capacity_under_memlock_limit_sodium", || {
        count_until_lock_limit(Backend::Sodium)
    });
    print!("{}", outcome.stdout);
    outcome.assert_success();
    assert!(
        outcome.stdout.contains(DONE),
        "the scenario did not run: {outcome:?}"
    );
}
