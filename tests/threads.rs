//! `SecretBox` shared between threads: many `Ref`s to one box at once, and the reader count
//! crossing zero again and again (each crossing an `mprotect`) without a reader ever finding the
//! page closed.
//!
//! The races this guards against: thread A drops the last `Ref` and is about to make the page
//! `PROT_NONE` while thread B takes a new `Ref` and reads; or B joins a reader count that A has
//! already raised but before A has made the page readable. Each stress test runs in a child, so
//! that such a SIGSEGV fails one test with a clear message instead of killing the test binary,
//! and each has a control: a naive count (atomic increments, no lock) that must fault under the
//! same load. Every scenario on a `SecretBox` runs under each backend, in a child that has chosen
//! it (`for_each_backend`).
//!
//! The plain stress runs the `mprotect` calls as the kernel does; the delayed one holds each of
//! them for a random time first (see `delay_mprotect`), which turns windows of nanoseconds into
//! tens of microseconds. Checked by hand against two broken versions of `guarded.rs`, three runs
//! each: publishing the count before opening the page faulted in 3 of 3 delayed runs and 2 of 3
//! plain ones; closing the page without holding the lock, in 3 of 3 delayed and 1 of 3 plain.

// Linux-only: holds back mprotect with a seccomp notifier, reads /proc/self/maps.
#![cfg(target_os = "linux")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use secrets_core::{Backend, SecretBox};
use secrets_integration_tests::anon::map_anonymous;
use secrets_integration_tests::pressure::{delay_mprotect, xorshift};
use secrets_integration_tests::{
    data_perms, for_each_backend, in_child, mapping_of, page_size, Access, ChildOutcome,
};

// `SecretBox` may be shared by reference between threads and sent to another thread.
const _: () = {
    const fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<SecretBox<[u8; 32]>>();
    send_and_sync::<SecretBox<[u64; 512]>>();
};

/// `many_threads_read_one_box`: 8 threads, 10,000 borrows each.
const THREADS: usize = 8;
const ITERATIONS: usize = 10_000;

fn expected() -> [u8; 32] {
    std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11))
}

fn shared_box() -> SecretBox<[u8; 32]> {
    SecretBox::new(|value| *value = expected()).expect("allocate the shared box")
}

/// The page that holds the box's data (found through a short borrow).
fn data_page(secret: &SecretBox<[u8; 32]>) -> usize {
    secret.borrow().as_ptr() as usize & !(page_size() - 1)
}

/// What the threads of [`hammer`] saw.
#[derive(Debug, Default)]
struct Tally {
    reads: usize,
    wrong: usize,
    /// Borrows that found no other reader inside: a stand-in for the times the box's reader count
    /// left zero (with an `mprotect`), which cannot be counted from outside without changing the
    /// timing.
    alone: usize,
    /// The most readers that were inside at the same moment.
    most_at_once: usize,
    elapsed: Duration,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} reads in {:?}, {} wrong; {} found no other reader inside, \
             at most {} readers inside at once",
            self.reads, self.elapsed, self.wrong, self.alone, self.most_at_once
        )
    }
}

/// Counts the readers between taking a borrow and dropping it, as the threads see them.
#[derive(Default)]
struct Presence {
    inside: AtomicUsize,
    alone: AtomicUsize,
    most: AtomicUsize,
}

impl Presence {
    /// Call right after the borrow is taken; drop the result right before the borrow is dropped.
    fn enter(&self) -> Inside<'_> {
        let others = self.inside.fetch_add(1, Ordering::SeqCst);
        if others == 0 {
            self.alone.fetch_add(1, Ordering::Relaxed);
        }
        self.most.fetch_max(others + 1, Ordering::Relaxed);
        Inside(self)
    }
}

struct Inside<'a>(&'a Presence);

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        self.0.inside.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The longest pause between two borrows of one thread, in `spin_loop` hints (a few
/// microseconds at most).
const MAX_PAUSE_SPINS: u32 = 64;

/// How long each thread of [`hammer`] keeps reading.
#[derive(Clone, Copy)]
enum Run<'a> {
    Iterations(usize),
    For(Duration),
    /// At least `at_least`, then until `enough` holds, but no longer than `at_most`: a stress
    /// whose worth is a count of events (zero crossings, `mprotect` calls) runs until it has seen
    /// them, however slowly a loaded machine schedules its threads.
    Until {
        at_least: Duration,
        at_most: Duration,
        enough: &'a (dyn Fn(&Presence) -> bool + Sync),
    },
}

/// Starts `threads` threads together; each calls `read` until `run` is over. `read` takes a
/// borrow, calls [`Presence::enter`] while holding it, checks the value, and drops the borrow.
fn hammer(threads: usize, run: Run<'_>, read: impl Fn(&Presence) -> bool + Sync) -> Tally {
    let start = Barrier::new(threads);
    let (reads, wrong) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let presence = Presence::default();
    let began = Instant::now();
    std::thread::scope(|scope| {
        for index in 0..threads {
            let (start, wrong, reads, presence, read) = (&start, &wrong, &reads, &presence, &read);
            scope.spawn(move || {
                start.wait();
                let mut rng: u32 = (index as u32 + 1).wrapping_mul(0x9E37_79B9);
                let mut done = 0;
                loop {
                    let over = match run {
                        Run::Iterations(n) => done == n,
                        Run::For(time) => done % 1024 == 0 && began.elapsed() >= time,
                        Run::Until {
                            at_least,
                            at_most,
                            enough,
                        } => {
                            done % 1024 == 0 && {
                                let elapsed = began.elapsed();
                                elapsed >= at_most || (elapsed >= at_least && enough(presence))
                            }
                        }
                    };
                    if over {
                        break;
                    }
                    if !read(presence) {
                        wrong.fetch_add(1, Ordering::Relaxed);
                    }
                    done += 1;
                    // A short random pause between borrows, so that all threads are often outside
                    // one at once (the count drops to zero) and arrive again at scattered times.
                    rng = xorshift(rng);
                    for _ in 0..rng % MAX_PAUSE_SPINS {
                        std::hint::spin_loop();
                    }
                }
                reads.fetch_add(done, Ordering::Relaxed);
            });
        }
    });
    Tally {
        reads: reads.into_inner(),
        wrong: wrong.into_inner(),
        alone: presence.alone.into_inner(),
        most_at_once: presence.most.into_inner(),
        elapsed: began.elapsed(),
    }
}

/// One `Ref`, taken, read and dropped: the pattern whose drop can move the count to zero.
fn borrow_once(secret: &SecretBox<[u8; 32]>, presence: &Presence) -> bool {
    let value = secret.borrow();
    let _inside = presence.enter();
    *value == expected()
}

#[test]
fn many_threads_read_one_box() {
    for_each_backend("many_threads_read_one_box", |backend| {
        let secret = shared_box();
        let page = data_page(&secret);
        let tally = hammer(THREADS, Run::Iterations(ITERATIONS), |presence| {
            // Two `Ref`s at once from one thread too: the second joins without a transition.
            let first = secret.borrow();
            let second_ok = borrow_once(&secret, presence);
            second_ok && *first == expected()
        });
        println!("SecretBox shared: {tally}");
        assert_eq!(tally.wrong, 0, "some reads saw a wrong value: {tally}");
        assert!(
            tally.most_at_once >= 2,
            "the borrows never overlapped, so this run did not test sharing: {tally}"
        );

        let during = {
            let _open = secret.borrow();
            mapping_of(page)
        };
        let after = mapping_of(page);
        assert_eq!(
            during.perms,
            data_perms(backend, Access::Read),
            "readable while borrowed: {during:?}"
        );
        assert_eq!(
            after.perms,
            data_perms(backend, Access::None),
            "PROT_NONE once every Ref is gone: {after:?}"
        );
    })
    .check(|outcome| {
        outcome.assert_success();
        assert!(
            outcome.stdout.contains("SecretBox shared:"),
            "the child did not run the threads: {outcome:?}"
        );
    });
}

/// The stress children: 3 threads, one more than this machine's 2 CPUs, so that a thread is
/// sometimes preempted in the middle of a transition, yet few enough that, with the pauses of
/// [`hammer`], all of them are often outside a borrow and the count crosses zero (500,000 to
/// 900,000 borrows found no other reader inside in 4 s here). Under this load the naive count
/// below faulted in each of 20 measured runs, within 0.2 s (within 0.01 s with the delays); the
/// `SecretBox` gets at least 4 s, and more, up to a minute, until it has crossed zero often
/// enough ([`MIN_ALONE`], [`MIN_DELAYED_MPROTECTS`]): under CI's load a 4 s delayed run once made
/// only 1,817 `mprotect` calls.
const STRESS_THREADS: usize = 3;
const STRESS_TIME: Duration = Duration::from_secs(4);
const STRESS_TIME_LIMIT: Duration = Duration::from_secs(60);
/// How long the naive count gets to fault before its control counts as failed.
const NAIVE_TIME_LIMIT: Duration = Duration::from_secs(30);
/// Borrows that found no other reader inside (see [`Tally::alone`]), which the stress must reach
/// for its pass to mean something.
const MIN_ALONE: usize = 10_000;
/// `mprotect` calls (two per zero crossing) the delayed stress must reach (about 20,000 here).
const MIN_DELAYED_MPROTECTS: usize = 2_000;
/// Each `mprotect` is held back up to this long in the `Delayed` children.
const MPROTECT_DELAY: Duration = Duration::from_micros(100);

/// How the `mprotect` calls of a stress child are timed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mprotect {
    /// As the kernel runs them.
    AsIs,
    /// Each one held back a random time before it starts: see [`delay_mprotect`].
    Delayed,
}

/// Reports how a stress child ended, explaining a SIGSEGV.
fn expect_no_fault(outcome: &ChildOutcome) {
    assert_ne!(
        outcome.signal(),
        Some(libc::SIGSEGV),
        "{}: a reader faulted: it read the box while its page was PROT_NONE, i.e. the page was \
         closed (reader count 1 -> 0) while another thread had just joined, or not yet opened \
         when it joined. The 0<->1 transition in guarded.rs is racy.\nstdout:\n{}\nstderr:\n{}",
        outcome.who(),
        outcome.stdout,
        outcome.stderr
    );
    outcome.assert_success();
    // The tally is printed once the threads are done: the stress ran its full time.
    assert!(
        outcome.stdout.contains("SecretBox stress:"),
        "the child did not run the stress: {}",
        outcome.stdout
    );
}

/// Threads take and drop a single `Ref` to one box over and over, so the count keeps crossing
/// zero; no read may fault or see a wrong value, and the page must end `PROT_NONE`.
fn stress_secret_box(backend: Backend, mprotect: Mprotect) {
    let secret = shared_box();
    let page = data_page(&secret);
    let mprotects = (mprotect == Mprotect::Delayed).then(|| delay_mprotect(MPROTECT_DELAY));
    let enough = |presence: &Presence| match &mprotects {
        None => presence.alone.load(Ordering::Relaxed) >= MIN_ALONE,
        Some(calls) => calls.load(Ordering::Relaxed) >= MIN_DELAYED_MPROTECTS,
    };
    let run = Run::Until {
        at_least: STRESS_TIME,
        at_most: STRESS_TIME_LIMIT,
        enough: &enough,
    };
    let tally = hammer(STRESS_THREADS, run, |presence| {
        borrow_once(&secret, presence)
    });
    println!("SecretBox stress: {tally}");
    assert_eq!(tally.wrong, 0, "some reads saw a wrong value: {tally}");
    match mprotects {
        None => assert!(
            tally.alone >= MIN_ALONE,
            "the reader count seldom crossed zero, so the race was hardly provoked: {tally}"
        ),
        Some(calls) => {
            let calls = calls.load(Ordering::Relaxed);
            println!("{calls} mprotect calls, each held back up to {MPROTECT_DELAY:?}");
            assert!(
                calls >= MIN_DELAYED_MPROTECTS,
                "only {calls} mprotect calls in {:?}: the count seldom crossed zero",
                tally.elapsed
            );
        }
    }
    assert!(
        tally.most_at_once >= 2,
        "the borrows never overlapped: {tally}"
    );
    let after = mapping_of(page);
    assert_eq!(
        after.perms,
        data_perms(backend, Access::None),
        "after every thread is done the page should be PROT_NONE: {after:?}"
    );
}

#[test]
fn reader_count_crossing_zero_never_faults() {
    for_each_backend("reader_count_crossing_zero_never_faults", |backend| {
        stress_secret_box(backend, Mprotect::AsIs);
    })
    .check(expect_no_fault);
}

#[test]
fn reader_count_crossing_zero_never_faults_with_delayed_mprotect() {
    for_each_backend(
        "reader_count_crossing_zero_never_faults_with_delayed_mprotect",
        |backend| stress_secret_box(backend, Mprotect::Delayed),
    )
    .check(expect_no_fault);
}

/// The control for the stress test: a reader count that is moved with plain atomic increments,
/// each `mprotect` made by whichever thread saw the count leave or reach zero, with no lock.
struct NaiveGuarded {
    page: *mut libc::c_void,
    readers: AtomicUsize,
}

// SAFETY: the page is only read (after `new`), and the counter is atomic; the point of this type
// is its protection race, not a data race.
unsafe impl Sync for NaiveGuarded {}

impl NaiveGuarded {
    fn new() -> Self {
        let len = page_size();
        let page = map_anonymous(len, "the naive reader count's page");
        // SAFETY: the page is writable and at least 32 bytes long.
        unsafe { page.cast::<[u8; 32]>().write(expected()) };
        // SAFETY: the page was mapped above; nothing refers into it, and it stays closed.
        assert_eq!(unsafe { libc::mprotect(page, len, libc::PROT_NONE) }, 0);
        NaiveGuarded {
            page,
            readers: AtomicUsize::new(0),
        }
    }

    fn set(&self, prot: libc::c_int) {
        // SAFETY: the page belongs to this value; a read of it while it is PROT_NONE faults,
        // which is what the child is there to observe.
        assert_eq!(unsafe { libc::mprotect(self.page, page_size(), prot) }, 0);
    }

    fn read(&self, presence: &Presence) -> bool {
        if self.readers.fetch_add(1, Ordering::SeqCst) == 0 {
            self.set(libc::PROT_READ);
        }
        let inside = presence.enter();
        // SAFETY: none, deliberately: another thread may have just closed the page (or not yet
        // opened it), and then this volatile read faults.
        let value = unsafe { self.page.cast::<[u8; 32]>().read_volatile() };
        drop(inside);
        if self.readers.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.set(libc::PROT_NONE);
        }
        value == expected()
    }
}

/// The same stress as [`stress_secret_box`], on the naive count; runs until a read faults.
fn stress_naive(mprotect: Mprotect) {
    let naive = NaiveGuarded::new();
    if mprotect == Mprotect::Delayed {
        delay_mprotect(MPROTECT_DELAY);
    }
    let tally = hammer(STRESS_THREADS, Run::For(NAIVE_TIME_LIMIT), |presence| {
        naive.read(presence)
    });
    println!("naive count survived: {tally}");
}

/// Checks that a naive-count child died of SIGSEGV, i.e. that the stress can see the race.
fn expect_naive_fault(outcome: &ChildOutcome, began: Instant) {
    println!(
        "naive reader count: child ended with {:?} after {:?}",
        outcome.status,
        began.elapsed()
    );
    // If this fails, the matching stress test cannot tell a racy count from a correct one.
    outcome.assert_killed_by(libc::SIGSEGV);
}

#[test]
fn naive_reader_count_faults_under_the_same_stress() {
    let began = Instant::now();
    let outcome = in_child("naive_reader_count_faults_under_the_same_stress", || {
        stress_naive(Mprotect::AsIs);
    });
    expect_naive_fault(&outcome, began);
}

#[test]
fn naive_reader_count_faults_with_delayed_mprotect() {
    let began = Instant::now();
    let outcome = in_child("naive_reader_count_faults_with_delayed_mprotect", || {
        stress_naive(Mprotect::Delayed);
    });
    expect_naive_fault(&outcome, began);
}
