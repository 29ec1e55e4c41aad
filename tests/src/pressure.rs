//! Pressure on the kernel resources the pool depends on, for tests that run it to a limit or
//! race it: the map count ([`MapPressure`]) and the timing of `mprotect` ([`delay_mprotect`]).
//!
//! Both change the process for good (mappings the pool cannot use, a seccomp filter that cannot
//! be removed): use them in a child (see [`crate::in_child`], [`crate::for_each_backend`]).
//! They are the harness versions of `Pressure` in `tests/limits.rs` and `delay_mprotect` in
//! `tests/threads.rs`, which predate this module and keep their own copies.

#[cfg(target_os = "linux")]
use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(target_os = "linux")]
use std::sync::{mpsc, Arc};
#[cfg(target_os = "linux")]
use std::time::Duration;

use crate::caps::max_map_count;
use crate::layout::page_size;
use crate::smaps::mapping_count;

/// One-page mappings that use up the map count, alternately readable and inaccessible so that
/// neighbours never merge into one mapping.
pub struct MapPressure {
    pages: Vec<usize>,
}

impl MapPressure {
    /// Maps pages until only `spare` more mappings are allowed by `vm.max_map_count`.
    pub fn leaving(spare: usize) -> MapPressure {
        let max = max_map_count();
        let want = max.saturating_sub(mapping_count() + spare);
        let mut pages = Vec::with_capacity(want);
        let page = page_size();
        for i in 0..want {
            let prot = if i % 2 == 0 {
                libc::PROT_READ
            } else {
                libc::PROT_NONE
            };
            // SAFETY: a fresh private anonymous mapping that nothing in Rust refers to.
            let addr = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    page,
                    prot,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            assert_ne!(
                addr,
                libc::MAP_FAILED,
                "mmap number {i} of {want}: {}",
                std::io::Error::last_os_error()
            );
            pages.push(addr as usize);
        }
        let pressure = MapPressure { pages };
        println!(
            "vm.max_map_count {max}: {} pressure mappings, {} mappings in all",
            pressure.pages.len(),
            mapping_count()
        );
        pressure
    }

    /// How many pressure mappings are still in place.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    /// Whether every pressure mapping has been released.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Unmaps `count` pressure pages, freeing as many mappings.
    pub fn release(&mut self, count: usize) {
        for addr in self.pages.drain(self.pages.len().saturating_sub(count)..) {
            // SAFETY: a page mapped in `leaving`, unmapped once; nothing refers to it.
            let ret = unsafe { libc::munmap(addr as *mut libc::c_void, page_size()) };
            assert_eq!(ret, 0, "munmap: {}", std::io::Error::last_os_error());
        }
    }
}

impl Drop for MapPressure {
    fn drop(&mut self) {
        self.release(self.pages.len());
    }
}

/// A step of Marsaglia's xorshift32: cheap, repeatable pseudo-random numbers.
pub fn xorshift(mut x: u32) -> u32 {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    x
}

/// Holds every `mprotect` of the calling thread, and of the threads it starts afterwards, for a
/// random time up to `max_delay` before the kernel carries it out; calls held at the same time
/// may go ahead in a different order than they were made. This widens the window between a
/// thread deciding to change a protection and the change happening from nanoseconds to tens of
/// microseconds, as if the thread had been preempted right there.
///
/// A seccomp filter passes each `mprotect` to a supervisor thread, which hands it to one of a few
/// worker threads that sleep the delay and then let the call go ahead unchanged. They are started
/// before the filter, so it does not apply to them. The filter cannot be removed: call this in a
/// child. Returns the number of `mprotect` calls held so far.
// A seccomp user-notification filter: Linux only (Android's libc lacks the BPF names).
#[cfg(target_os = "linux")]
pub fn delay_mprotect(max_delay: Duration) -> Arc<AtomicUsize> {
    const WORKERS: usize = 4;
    let calls = Arc::new(AtomicUsize::new(0));
    let workers: Vec<mpsc::Sender<(libc::c_int, u64, Duration)>> = (0..WORKERS)
        .map(|_| {
            let (send, receive) = mpsc::channel::<(libc::c_int, u64, Duration)>();
            std::thread::spawn(move || {
                for (listener, id, delay) in receive {
                    std::thread::sleep(delay);
                    let go_ahead = libc::seccomp_notif_resp {
                        id,
                        val: 0,
                        error: 0,
                        flags: libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
                    };
                    // SAFETY: `go_ahead` is a valid `seccomp_notif_resp` for the kernel to read.
                    // An error (ENOENT: the calling thread is gone) leaves nothing to do.
                    unsafe { libc::ioctl(listener, libc::SECCOMP_IOCTL_NOTIF_SEND, &go_ahead) };
                }
            });
            send
        })
        .collect();
    let (send_listener, receive_listener) = mpsc::channel::<libc::c_int>();
    let counter = Arc::clone(&calls);
    std::thread::spawn(move || {
        let Ok(listener) = receive_listener.recv() else {
            return;
        };
        let mut random: u32 = 0x2545_F491;
        for worker in workers.iter().cycle() {
            // SAFETY: `seccomp_notif` is plain integers, and the kernel requires it zeroed.
            let mut call: libc::seccomp_notif = unsafe { std::mem::zeroed() };
            // SAFETY: `call` is a valid `seccomp_notif` for the kernel to fill.
            if unsafe { libc::ioctl(listener, libc::SECCOMP_IOCTL_NOTIF_RECV, &mut call) } != 0 {
                match std::io::Error::last_os_error().raw_os_error() {
                    // Interrupted, or the calling thread went away before we read the call.
                    Some(libc::EINTR | libc::ENOENT) => continue,
                    _ => return,
                }
            }
            counter.fetch_add(1, Ordering::Relaxed);
            random = xorshift(random);
            let delay = max_delay * (random % 1024) / 1024;
            if worker.send((listener, call.id, delay)).is_err() {
                return;
            }
        }
    });

    let statement = |code: u32, k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    // The filter does not check `seccomp_data.arch`, as a sandbox must: it only holds calls back,
    // so an `mprotect` made through another ABI would merely go ahead at once.
    let mut filter = [
        // Load `seccomp_data.nr`, the system call number (offset 0).
        statement(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0, 0, 0),
        // `mprotect`: fall through to the notification; anything else: skip to "allow".
        statement(
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            libc::SYS_mprotect as u32,
            0,
            1,
        ),
        statement(
            libc::BPF_RET | libc::BPF_K,
            libc::SECCOMP_RET_USER_NOTIF,
            0,
            0,
        ),
        statement(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW, 0, 0),
    ];
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY: `prctl(PR_SET_NO_NEW_PRIVS)` takes plain integers; it is required to install a
    // filter without CAP_SYS_ADMIN.
    let ret = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    assert_eq!(ret, 0, "PR_SET_NO_NEW_PRIVS");
    // SAFETY: `program` points at `filter`, a valid classic BPF program that outlives the call
    // (the kernel copies it).
    let listener = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
            &program as *const libc::sock_fprog,
        )
    };
    assert!(
        listener >= 0,
        "seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER): {}",
        std::io::Error::last_os_error()
    );
    send_listener
        .send(listener as libc::c_int)
        .expect("the supervisor thread is waiting");
    calls
}
