//! Making one system call fail, for the tests of what `secrets-core` does when the kernel
//! refuses it (an older kernel, a container's seccomp policy).
//!
//! [`fail_syscall`] installs a seccomp filter on the calling thread that answers one system
//! call with an `errno` instead of running it. The filter cannot be removed: call it in a child
//! (see [`crate::in_child`]), on the thread that then runs the scenario.

/// `AUDIT_ARCH_*` of `<linux/audit.h>` for the architecture the test runs on: the filter
/// checks it, since system call numbers differ between architectures.
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;

/// Offsets in `struct seccomp_data`: the system call number, then the architecture.
const NR_OFFSET: u32 = 0;
const ARCH_OFFSET: u32 = 4;

fn statement(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump_if_equal(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    }
}

/// From now on, on the calling thread (and threads it starts later), system call `nr` (a
/// `libc::SYS_*`) fails with `errno` without running; every other call runs as before. Panics if
/// the filter cannot be installed. The caller checks, as its control, that the call now fails.
pub fn fail_syscall(nr: libc::c_long, errno: i32) {
    let load = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    let allow = statement(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW);
    let mut program = [
        statement(load, ARCH_OFFSET),
        // Another architecture's call numbers mean other calls: leave them alone.
        jump_if_equal(AUDIT_ARCH, 1, 0),
        allow,
        statement(load, NR_OFFSET),
        jump_if_equal(nr as u32, 0, 1),
        statement(
            libc::BPF_RET | libc::BPF_K,
            libc::SECCOMP_RET_ERRNO | (errno as u32 & libc::SECCOMP_RET_DATA),
        ),
        allow,
    ];
    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_mut_ptr(),
    };
    // SAFETY: `PR_SET_NO_NEW_PRIVS` only restricts this thread's future `execve`s; it is what
    // lets an unprivileged thread install a filter.
    let ret = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    assert_eq!(
        ret,
        0,
        "PR_SET_NO_NEW_PRIVS: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `fprog` points to `program`, a valid BPF program that lives across the call; the
    // kernel copies it.
    let ret = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &fprog as *const libc::sock_fprog,
        )
    };
    assert_eq!(
        ret,
        0,
        "PR_SET_SECCOMP: {}",
        std::io::Error::last_os_error()
    );
}
