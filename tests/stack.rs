//! `Secret<T>` on the stack, observed from outside: its page is locked exactly while the closure
//! runs, it never removes a lock it did not take (a nested `Secret`'s end does not unlock the
//! outer one's page, a `Secret` under `mlockall` leaves the stack locked), it works in a
//! thread-local destructor, and the value is zeroed when the closure returns or unwinds.
//!
//! Locking is read from `/proc/self/smaps` (`lo` in `VmFlags`, `Locked:`), since `mlock` splits
//! the stack mapping so that the locked pages form a mapping of their own. Zeroing is read from
//! `/proc/self/mem`, i.e. by the kernel, as a debugger or an attacker with `ptrace` rights would.

// Linux-only: makes madvise fail with seccomp, reads /proc/self/{smaps,mem}.
#![cfg(target_os = "linux")]

use std::fs::File;
use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use secrets_core::Secret;
use secrets_integration_tests::{in_child, mapping_of, page_size, Vma};

fn page_of(addr: usize) -> usize {
    addr & !(page_size() - 1)
}

fn is_locked(vma: &Vma) -> bool {
    vma.has_flag("lo") && vma.locked_kb > 0
}

#[test]
fn page_is_locked_only_while_the_closure_runs() {
    let (addr, inside) = Secret::<[u8; 32]>::new(|secret| {
        let addr = secret.as_ptr() as usize;
        (addr, mapping_of(addr))
    })
    .expect("lock one stack page");
    assert!(
        is_locked(&inside),
        "inside the closure the page of the value at {addr:#x} should be locked: {inside:?}"
    );

    // No other `Secret` of this thread is alive, so nothing else holds the page.
    let after = mapping_of(addr);
    assert!(
        !after.has_flag("lo") && after.locked_kb == 0,
        "after the closure the page of {addr:#x} should be unlocked: {after:?}"
    );
}

/// What the kernel says about the pages of two nested `Secret`s at each step.
struct Nested {
    outer: usize,
    inner: usize,
    during_inner: Vma,
    outer_after_inner: Vma,
    outer_after_outer: Vma,
}

fn nested_secrets() -> Nested {
    let (outer, inner, during_inner, outer_after_inner) = Secret::<[u8; 32]>::new(|outer| {
        let outer = outer.as_ptr() as usize;
        let (inner, during_inner) = Secret::<[u8; 32]>::new(|inner| {
            let inner = inner.as_ptr() as usize;
            (inner, mapping_of(outer))
        })
        .expect("lock the inner secret's page");
        (outer, inner, during_inner, mapping_of(outer))
    })
    .expect("lock the outer secret's page");
    Nested {
        outer,
        inner,
        during_inner,
        outer_after_inner,
        outer_after_outer: mapping_of(outer),
    }
}

/// Runs `f` `depth` frames deeper than the caller, each frame at least 192 bytes, so that trying
/// successive depths slides `f`'s stack frames across a page boundary.
#[inline(never)]
fn at_depth<R>(depth: usize, f: &mut dyn FnMut() -> R) -> R {
    let pad = [0u8; 192];
    // `black_box` on both sides of the call keeps `pad` in memory, in this frame, across it.
    black_box(&pad);
    let result = if depth == 0 {
        f()
    } else {
        at_depth(depth - 1, f)
    };
    black_box(&pad);
    result
}

#[test]
fn nested_secret_on_the_same_page_does_not_unlock_the_outer() {
    // The two values are a few hundred bytes apart, so at most depths they share a page; find
    // one where they do (the assertions below mean nothing for values on different pages).
    let seen = (0..40)
        .map(|depth| at_depth(depth, &mut nested_secrets))
        .find(|seen| page_of(seen.outer) == page_of(seen.inner))
        .expect("at some stack depth the inner and the outer secret should share a page");
    let page = page_of(seen.outer);
    println!(
        "outer value at {:#x}, inner at {:#x}: both on page {page:#x}",
        seen.outer, seen.inner
    );

    assert!(
        is_locked(&seen.during_inner),
        "while both secrets live, their page {page:#x} should be locked: {:?}",
        seen.during_inner
    );
    // `mlock` does not nest (see `kernel_locks_do_not_nest`): had the inner secret's exit called
    // `munlock` on the shared page, the outer secret would now sit in swappable memory.
    assert!(
        is_locked(&seen.outer_after_inner),
        "the inner secret's end unlocked page {page:#x}, which the outer secret still uses \
         (the inner one unlocked a page it found locked): {:?}",
        seen.outer_after_inner
    );
    assert!(
        !seen.outer_after_outer.has_flag("lo"),
        "after both secrets ended, page {page:#x} should be unlocked: {:?}",
        seen.outer_after_outer
    );
}

/// The control for the nested test: the kernel keeps no count, one `munlock` undoes any number
/// of `mlock`s. A `Secret` that unlocked every page it used would unlock the outer's page.
#[test]
fn kernel_locks_do_not_nest() {
    let page = page_size();
    // SAFETY: a fresh private anonymous mapping of one page; no Rust object refers to it.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(addr, libc::MAP_FAILED, "mmap one page");
    // SAFETY: `mlock` on the page mapped above; it does not touch its contents.
    assert_eq!(unsafe { libc::mlock(addr, page) }, 0, "first mlock");
    // SAFETY: as above.
    assert_eq!(unsafe { libc::mlock(addr, page) }, 0, "second mlock");
    let twice = mapping_of(addr as usize);
    // SAFETY: as above.
    assert_eq!(unsafe { libc::munlock(addr, page) }, 0, "munlock");
    let after_one_unlock = mapping_of(addr as usize);
    // SAFETY: unmaps the page mapped above; nothing refers to it any more.
    assert_eq!(unsafe { libc::munmap(addr, page) }, 0, "munmap");

    assert!(is_locked(&twice), "locked twice: {twice:?}");
    assert!(
        !after_one_unlock.has_flag("lo"),
        "one munlock should undo two mlocks: {after_one_unlock:?}"
    );
}

/// A program that has locked all its memory (`mlockall(MCL_CURRENT | MCL_FUTURE)`, as
/// hardening guides advise) must keep it locked: a `Secret` finds its stack page locked already
/// and leaves it so when it ends. In a child, since the lock covers the whole process.
#[test]
fn mlockall_stays_in_force_after_a_secret() {
    in_child("mlockall_stays_in_force_after_a_secret", || {
        // SAFETY: `mlockall` only changes how this process's pages are kept in memory.
        let ret = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) };
        assert_eq!(
            ret,
            0,
            "mlockall: {} (the test needs CAP_IPC_LOCK or a large RLIMIT_MEMLOCK)",
            std::io::Error::last_os_error()
        );
        let (addr, inside) = Secret::<[u8; 32]>::new(|secret| {
            let addr = secret.as_ptr() as usize;
            (addr, mapping_of(addr))
        })
        .expect("a Secret under mlockall");
        let after = mapping_of(addr);
        println!("inside: {inside:?}\nafter: {after:?}");
        assert!(is_locked(&inside), "inside the closure: {inside:?}");
        assert!(
            is_locked(&after),
            "the Secret's end unlocked page {:#x}, which mlockall had locked: {after:?}",
            page_of(addr)
        );

        // The control: what the old `Secret` did at its end, a `munlock` of the page, removes
        // the lock that `mlockall` took, and the check above sees it.
        // SAFETY: unlocking a page of this thread's stack changes nothing but its residency.
        let ret = unsafe { libc::munlock(page_of(addr) as *const libc::c_void, page_size()) };
        assert_eq!(ret, 0, "munlock: {}", std::io::Error::last_os_error());
        let unlocked = mapping_of(addr);
        assert!(
            !unlocked.has_flag("lo"),
            "one munlock should undo mlockall for the page, or this test could not see a \
             Secret undo it: {unlocked:?}"
        );
    })
    .assert_success();
}

/// Where the kernel cannot say whether a page is locked (here `madvise` is refused, as a seccomp
/// policy or a kernel before 5.4 would refuse `MADV_COLD`), a `Secret` still locks its page,
/// and leaves it locked when it ends: the lock may be someone else's, and removing it would
/// leave their memory swappable. In a child: the filter stays on its thread for good.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[test]
fn without_an_answer_from_the_kernel_a_secret_keeps_its_lock() {
    in_child(
        "without_an_answer_from_the_kernel_a_secret_keeps_its_lock",
        || {
            secrets_integration_tests::seccomp::fail_syscall(libc::SYS_madvise, libc::EPERM);
            // The control: `madvise` is refused now, so the kernel gives `Secret` no answer.
            let local = [0u8; 64];
            black_box(&local);
            let page = page_of(local.as_ptr() as usize);
            // SAFETY: MADV_COLD changes no contents; the filter is expected to refuse it anyway.
            let ret =
                unsafe { libc::madvise(page as *mut libc::c_void, page_size(), libc::MADV_COLD) };
            let errno = std::io::Error::last_os_error().raw_os_error();
            assert_eq!(
                (ret, errno),
                (-1, Some(libc::EPERM)),
                "the filter should refuse madvise with EPERM"
            );

            let (addr, inside) = Secret::<[u8; 32]>::new(|secret| {
                let addr = secret.as_ptr() as usize;
                (addr, mapping_of(addr))
            })
            .expect("a Secret without madvise");
            let after = mapping_of(addr);
            println!("inside: {inside:?}\nafter: {after:?}");
            assert!(
                is_locked(&inside),
                "without an answer the Secret must still lock its page: {inside:?}"
            );
            assert!(
                is_locked(&after),
                "without an answer the Secret must leave its page locked, since the lock may \
                 not be its own: {after:?}"
            );
        },
    )
    .assert_success();
}

/// What the `Secret` made in a thread-local destructor reported: `Ok(true)` if it ran with a
/// value that was not all zero (so `random` filled it), or the error.
static FROM_DESTRUCTOR: Mutex<Option<Result<bool, String>>> = Mutex::new(None);

/// A thread-local value whose destructor makes a `Secret`, as a per-thread key cache that
/// derives a key on its way out would.
struct SecretOnDrop;

impl Drop for SecretOnDrop {
    fn drop(&mut self) {
        let outcome = Secret::<[u8; 32]>::random(|key| key.iter().any(|&byte| byte != 0))
            .map_err(|err| err.to_string());
        *FROM_DESTRUCTOR.lock().expect("the outcome's lock") = Some(outcome);
    }
}

thread_local! {
    static ON_EXIT: SecretOnDrop = const { SecretOnDrop };
}

/// `Secret::random` in a thread-local destructor works. In a child: a panic in a thread-local
/// destructor aborts the process.
///
/// Thread-local destructors run in the reverse order of their registration, so this thread
/// first registers `ON_EXIT`'s, then makes a `Secret` (which registered, before the fix, the
/// destructor of `Secret`'s own per-thread page table): on exit, a `Secret` that used
/// thread-local state would find it destroyed already.
#[test]
fn secret_in_a_thread_local_destructor() {
    in_child("secret_in_a_thread_local_destructor", || {
        std::thread::spawn(|| {
            ON_EXIT.with(|_| {});
            Secret::<[u8; 32]>::zero(|key| assert_eq!(**key, [0; 32])).expect("a Secret");
        })
        .join()
        .expect("the thread ends normally");
        let outcome = FROM_DESTRUCTOR.lock().expect("the outcome's lock").take();
        println!("the destructor's Secret: {outcome:?}");
        assert_eq!(
            outcome,
            Some(Ok(true)),
            "the destructor should have made a random Secret"
        );
    })
    .assert_success();
}

// Zeroing, seen in the dead stack frame.
//
// Why this observation is sound:
// * No Rust code touches the dead value. Reading through a pointer to a local whose frame has
//   returned is undefined behaviour (the optimiser may assume it never happens), so the bytes
//   are read by the kernel from `/proc/self/mem` instead: it copies whatever the page holds, as a
//   debugger, a core dump or an attacker reading this process would.
// * The bytes are still there to be read: a thread's stack mapping never shrinks, and a dead
//   frame keeps its contents until later calls overwrite them.
// * Only the scan's own calls run between the return and the read, and their frames cover at
//   most a few KiB below the caller's frame. The value is 64 KiB, so even if those frames land on
//   it they can only hide the pattern in a small part of it.
// * The control does the same with a plain local array of the same size that nobody zeroes, and
//   must find the pattern in most positions: so a `Secret` that were not zeroed would be seen.
//   The `Secret` case must also find the region almost all zero, which tells "zeroed" apart from
//   "overwritten by other frames".

const BIG: usize = 65536;
const PATTERN: u8 = 0xA5;

/// How many bytes of `[addr, addr + BIG)` hold `PATTERN`, and how many are zero, read by the
/// kernel through `mem` (`/proc/self/mem`, opened by the caller beforehand so that the scan makes
/// as few and as shallow calls as possible).
#[inline(never)]
fn scan(mem: &File, addr: usize, buf: &mut [u8]) -> (usize, usize) {
    mem.read_exact_at(buf, addr as u64)
        .expect("read the dead frame through /proc/self/mem");
    let pattern = buf.iter().filter(|&&b| b == PATTERN).count();
    let zero = buf.iter().filter(|&&b| b == 0).count();
    (pattern, zero)
}

/// The control: a plain local, filled with the pattern, that nobody zeroes.
#[inline(never)]
fn plain_local_returns(addr: &mut usize) {
    let mut local = [0u8; BIG];
    *addr = local.as_ptr() as usize;
    local.fill(PATTERN);
    // Without it the stores to a local that is never read again could be removed.
    black_box(&mut local);
}

#[inline(never)]
fn plain_local_panics(addr: &mut usize) {
    let mut local = [0u8; BIG];
    *addr = local.as_ptr() as usize;
    local.fill(PATTERN);
    black_box(&mut local);
    panic!("the control's closure panics with the pattern in its frame");
}

#[inline(never)]
fn secret_returns(addr: &mut usize) {
    Secret::<[u8; BIG]>::new(|secret| {
        *addr = secret.as_ptr() as usize;
        secret.fill(PATTERN);
        black_box(&mut **secret);
    })
    .expect("lock the secret's stack pages");
}

#[inline(never)]
fn secret_panics(addr: &mut usize) {
    Secret::<[u8; BIG]>::new(|secret| {
        *addr = secret.as_ptr() as usize;
        secret.fill(PATTERN);
        black_box(&mut **secret);
        panic!("the secret's closure panics with the pattern in the value");
    })
    .expect("lock the secret's stack pages");
}

/// Runs `place` (which leaves a `BIG`-byte pattern at the address it reports, then returns or
/// panics) and scans that address once its frame is gone.
fn pattern_left_by(place: fn(&mut usize), panics: bool) -> (usize, usize) {
    let mem = File::open("/proc/self/mem").expect("open /proc/self/mem");
    let mut buf = vec![0u8; BIG];
    let mut addr = 0;
    let result = catch_unwind(AssertUnwindSafe(|| place(&mut addr)));
    assert_eq!(result.is_err(), panics, "did the closure panic as planned?");
    assert_ne!(addr, 0, "the closure ran and reported its address");
    scan(&mem, addr, &mut buf)
}

fn assert_zeroed(control: (usize, usize), secret: (usize, usize), case: &str) {
    let (control_pattern, _) = control;
    let (secret_pattern, secret_zero) = secret;
    println!(
        "{case}: pattern bytes left of {BIG}: plain local {control_pattern}, \
         Secret {secret_pattern} (Secret zero bytes: {secret_zero})"
    );
    assert!(
        control_pattern > BIG / 2,
        "{case}: the control should find the pattern in most of the plain local's dead frame \
         ({control_pattern} of {BIG}); if not, this scan cannot see a missing zeroing"
    );
    assert!(
        secret_pattern < BIG / 100,
        "{case}: {secret_pattern} of {BIG} bytes of the secret still hold the pattern: \
         it was not zeroed"
    );
    assert!(
        secret_zero > BIG * 95 / 100,
        "{case}: only {secret_zero} of {BIG} bytes are zero where the secret was: \
         the region was overwritten, so this run proves nothing about zeroing"
    );
}

#[test]
fn value_is_zeroed_after_the_closure_returns() {
    let control = pattern_left_by(plain_local_returns, false);
    let secret = pattern_left_by(secret_returns, false);
    assert_zeroed(control, secret, "after return");
}

#[test]
fn value_is_zeroed_after_the_closure_panics() {
    let control = pattern_left_by(plain_local_panics, true);
    let secret = pattern_left_by(secret_panics, true);
    assert_zeroed(control, secret, "after panic");
}

/// Fills a stretch of stack with 0xFF and reports where it was.
#[inline(never)]
fn dirty_stack() -> (usize, usize) {
    let mut junk = [0xFFu8; 16384];
    black_box(&mut junk);
    let start = junk.as_ptr() as usize;
    (start, start + junk.len())
}

#[inline(never)]
fn zero_secret_value() -> (usize, bool) {
    Secret::<[u8; 256]>::zero(|secret| {
        (
            secret.as_ptr() as usize,
            secret.iter().all(|&byte| byte == 0),
        )
    })
    .expect("lock the secret's stack page")
}

#[test]
fn zero_gives_zeros_even_on_a_dirty_stack() {
    let (dirty_start, dirty_end) = dirty_stack();
    let (addr, all_zero) = zero_secret_value();
    // Fresh stack is zero anyway; only on stack that held 0xFF can this test fail.
    assert!(
        dirty_start <= addr && addr + 256 <= dirty_end,
        "the secret at {addr:#x} should lie on the stack just filled with 0xFF \
         ({dirty_start:#x}..{dirty_end:#x}), or this test could not fail"
    );
    assert!(all_zero, "Secret::zero handed out a value that is not zero");
}

#[test]
fn random_values_differ_and_are_not_zero() {
    // Copying the values out defeats `Secret`, which is fine for a test of what was in them.
    let first = Secret::<[u8; 32]>::random(|secret| **secret).expect("random secret");
    let second = Secret::<[u8; 32]>::random(|secret| **secret).expect("random secret");
    assert_ne!(first, [0; 32], "random left the value zero");
    assert_ne!(second, [0; 32], "random left the value zero");
    assert_ne!(first, second, "two random secrets came out equal");
}

#[test]
fn equality_compares_every_byte() {
    Secret::<[u8; 32]>::zero(|a| {
        Secret::<[u8; 32]>::zero(|b| {
            assert!(*a == *b, "two zero secrets are equal");
            b[31] = 1;
            assert!(*a != *b, "a difference in the last byte is seen");
            a[31] = 1;
            assert!(*a == *b, "equal again");
            b[0] = 0x80;
            assert!(*a != *b, "a difference in the first byte is seen");
        })
        .expect("inner secret");
    })
    .expect("outer secret");

    let same = Secret::<[u8; 32]>::random(|a| {
        Secret::<[u8; 32]>::random(|b| *a == *b).expect("inner secret")
    })
    .expect("outer secret");
    assert!(!same, "two random secrets compared equal");
}

#[test]
fn debug_is_redacted() {
    let shown = Secret::<[u8; 4]>::new(|secret| {
        secret.copy_from_slice(b"ABCD");
        format!("{secret:?}")
    })
    .expect("secret");
    assert_eq!(shown, "Secret<[u8; 4]>([REDACTED])");
    // The control: the value's own `Debug` shows the bytes ('A' is 65).
    assert_eq!(format!("{:?}", *b"ABCD"), "[65, 66, 67, 68]");
}
