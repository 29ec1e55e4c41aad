//! Looking at this process from outside its Rust code: through `/proc/self/mem`, through
//! `/proc/self/fd`, and from a child made by `fork(2)`.
//!
//! * [`read_own_memory`] reads this process's memory through `/proc/self/mem`, which the kernel
//!   serves even for `PROT_NONE` pages of anonymous memory (not for `memfd_secret` pages, which
//!   are out of the kernel's direct map: the read fails with `EIO`). A test uses it to see what
//!   a guarded page holds without opening it.
//! * [`secretmem_fds`] lists the open descriptors of secret memory (`memfd_secret`), whose
//!   `/proc/self/fd` link reads `/secretmem (deleted)` on Linux 6.x.
//!   [`control_secretmem_fds`] shows that it sees a raw one.
//! * [`fork_and_wait`] forks a child that plays the attacker, waits for it, and says how it
//!   ended. Call it from a process made by [`crate::in_child`] or [`crate::for_each_backend`],
//!   never from the test runner itself: the forked child leaves with `_exit`, so nothing of the
//!   runner's state is run or dropped twice.

use std::fs::File;
use std::io::{self, Read as _};
use std::os::fd::FromRawFd as _;
use std::os::unix::fs::FileExt as _;
use std::panic::AssertUnwindSafe;

/// `len` bytes of this process's memory at `addr`, read through `/proc/self/mem`.
///
/// # Errors
/// The kernel's refusal: `EIO` for a page it cannot read (not mapped, or `memfd_secret`).
pub fn read_own_memory(addr: usize, len: usize) -> io::Result<Vec<u8>> {
    let mem = File::open("/proc/self/mem")?;
    let mut bytes = vec![0u8; len];
    mem.read_exact_at(&mut bytes, addr as u64)?;
    Ok(bytes)
}

/// The open descriptors of this process whose `/proc/self/fd` link names secret memory
/// (`memfd_secret`), each as `"N -> target"`.
pub fn secretmem_fds() -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd").expect("list /proc/self/fd") {
        let entry = entry.expect("an entry of /proc/self/fd");
        // The descriptor `read_dir` itself holds is gone by the time it is looked at: skip it.
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        let target = target.to_string_lossy().into_owned();
        if target.contains("secretmem") {
            found.push(format!(
                "{} -> {target}",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    found
}

/// The control of [`secretmem_fds`]: opens a raw `memfd_secret` descriptor, requires
/// [`secretmem_fds`] to list exactly one descriptor while it is open (it: none may be open
/// before), prints how it shows, and closes it. Used by the fork tests of `pooled` and `sealed`
/// before they check that no such descriptor is left open.
///
/// # Panics
/// If `memfd_secret` fails (a kernel without it) or the list is not one descriptor.
// `memfd_secret(2)` is a Linux system call.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn control_secretmem_fds() {
    // SAFETY: `memfd_secret(flags)` takes one integer and returns a new descriptor or -1.
    let raw = unsafe { libc::syscall(libc::SYS_memfd_secret, libc::O_CLOEXEC) };
    assert!(raw >= 0, "memfd_secret: {}", io::Error::last_os_error());
    let seen = secretmem_fds();
    println!("a raw memfd_secret descriptor shows as {seen:?}");
    assert_eq!(seen.len(), 1, "the check sees a memfd_secret descriptor");
    // SAFETY: the descriptor just made, used by nothing else.
    unsafe { libc::close(raw as libc::c_int) };
}

/// How a forked child ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this code.
    Exited(i32),
    /// This signal killed it.
    Signaled(i32),
}

/// A forked child's end, and what it wrote to its stderr.
#[derive(Debug)]
pub struct Forked {
    /// How it ended.
    pub ended: Ended,
    /// What it wrote to stderr (a pipe of its own): panic messages, explanations.
    pub stderr: String,
}

/// The exit code of a forked child whose body panicked (the code Rust gives a panicking `main`).
pub const PANICKED: i32 = 101;

/// Forks; the child runs `body` and `_exit`s with the code it returns ([`PANICKED`] if it
/// panics). The parent waits for it and returns how it ended.
///
/// Call it only from a process made for one scenario ([`crate::in_child`],
/// [`crate::for_each_backend`]): libtest's main thread there is parked waiting for the test and
/// holds no lock the child needs.
pub fn fork_and_wait(body: impl FnOnce() -> i32) -> Forked {
    let mut pipe = [0; 2];
    // SAFETY: `pipe` is a valid array of two descriptors for `pipe(2)` to fill.
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0, "pipe");
    let [read_end, write_end] = pipe;
    // SAFETY: the child only runs `body` and then `_exit`s (see the doc comment).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork: {}", io::Error::last_os_error());
    if pid == 0 {
        // SAFETY: both descriptors are this process's own; after `dup2` anything written to
        // stderr goes to the pipe.
        unsafe { libc::dup2(write_end, libc::STDERR_FILENO) };
        // SAFETY: the child's copy of the read end, used by no one here.
        unsafe { libc::close(read_end) };
        // SAFETY: stderr is its duplicate now; the original is used by no one.
        unsafe { libc::close(write_end) };
        let code = std::panic::catch_unwind(AssertUnwindSafe(body)).unwrap_or(PANICKED);
        // SAFETY: `_exit` ends the child at once, without running destructors or exit handlers
        // that belong to the parent.
        unsafe { libc::_exit(code) };
    }
    // SAFETY: the child's end, in this process, which uses it no more.
    unsafe { libc::close(write_end) };
    // SAFETY: `read_end` is open, this process's own, and owned by the `File` from here on.
    let mut stderr_pipe = unsafe { File::from_raw_fd(read_end) };
    let mut stderr = String::new();
    // The child's end closes when it exits, which ends this read.
    stderr_pipe
        .read_to_string(&mut stderr)
        .expect("read the forked child's stderr");
    let mut status = 0;
    // SAFETY: `pid` is our child and `status` a valid place for `waitpid` to write.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid, "waitpid: {}", io::Error::last_os_error());
    let ended = if libc::WIFSIGNALED(status) {
        Ended::Signaled(libc::WTERMSIG(status))
    } else if libc::WIFEXITED(status) {
        Ended::Exited(libc::WEXITSTATUS(status))
    } else {
        panic!("forked child neither exited nor was killed: status {status:#x}");
    };
    let forked = Forked { ended, stderr };
    println!("forked child: {forked:?}");
    forked
}
