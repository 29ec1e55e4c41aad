//! Shared machinery for the integration tests.
//!
//! | module | holds |
//! |---|---|
//! | [`anon`] | plain memory of a test's own: a private anonymous mapping |
//! | [`attack`] | a plain load of a protected address, in the process or a forked child, and the lines around it |
//! | [`child`] | running a scenario in a child process, once or once per backend |
//! | [`layout`] | what each backend's pages must look like: permissions, guard and header pages |
//! | [`smaps`] | what the kernel says about this process's mappings |
//! | [`pty`] | pseudo-terminals, and whether the process has a controlling terminal |
//! | [`scan`] | searching ordinary writable memory for a secret, and running an operation deeper on the stack |
//! | [`pool`] | the pool's pages by role, scratch slots and scratch slots running out |
//! | [`inherited`] | what a forked child checks about the secrets it inherited |
//! | [`values`] | the values the storage tests make their secrets with |
//! | [`probe`] | this process seen from outside its Rust code: `/proc/self/mem`, `/proc/self/fd`, a forked child |
//! | [`caps`] | capabilities and resource limits, for the tests that exhaust one |
//! | `pressure` | using up the map count, and holding back every `mprotect` a random time |
//! | `seccomp` | making one system call fail, as an older kernel or a seccomp policy would |
//! | [`fuzz`] | the bodies of the cargo-fuzz targets, also run briefly by `fuzz_smoke` |
//! | [`tempdir`] | a private (0700) temporary directory, removed on drop and on panic |
//! | [`scan`] | searching a file too large to hold (a core dump) as a stream |
//!
//! A scenario that touches guarded memory runs under every backend, each in a child process of
//! its own (the backend is fixed per process at the first secret): [`for_each_backend`] starts
//! the children, chooses the backend in each before the scenario runs, and hands every child's
//! outcome back to the test, which then holds it to that backend's expectations from [`layout`].
//! The backend is passed to the child in [`BACKEND_ENV`], which only this harness reads:
//! `secrets-core` is never configured from the environment.

// Every module but `values` is POSIX (fork, signals, mmap, ptys, Unix permissions and sockets,
// /proc), and so is every test file that uses them: on Windows only `values` is compiled.
#[cfg(unix)]
pub mod anon;
#[cfg(unix)]
pub mod attack;
// Linux capabilities (`capget`/`capset`) and `/proc/self/status`: Linux and Android only.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub mod caps;
#[cfg(unix)]
pub mod child;
#[cfg(unix)]
pub mod fuzz;
#[cfg(unix)]
pub mod inherited;
#[cfg(unix)]
pub mod layout;
#[cfg(unix)]
pub mod pool;
// `vm.max_map_count` and `/proc/self/maps`: Linux and Android (its seccomp half: Linux only).
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub mod pressure;
#[cfg(unix)]
pub mod probe;
#[cfg(unix)]
pub mod pty;
#[cfg(unix)]
pub mod scan;
// A seccomp BPF filter: Linux only (Android's libc lacks the BPF names).
#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub mod seccomp;
#[cfg(unix)]
pub mod smaps;
#[cfg(unix)]
pub mod tempdir;
pub mod values;

#[cfg(unix)]
pub use child::{
    child_command, disable_core_dumps, for_each_backend, for_each_locking_backend, in_child,
    is_child_of, panic_text, BackendOutcomes, ChildOutcome, BACKEND_ENV, CHILD_ENV,
    MLOCK_IS_NOOP_ENV,
};
#[cfg(unix)]
pub use layout::{
    backend_name, data_perms, guard_perms, guarded_page_fault, header_perms, page_of, page_size,
    released_range, Access, BACKENDS,
};
#[cfg(unix)]
pub use smaps::{mapping_count, mapping_of, mappings, vma_at, Vma};
#[cfg(unix)]
pub use tempdir::PrivateDir;
