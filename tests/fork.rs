//! A child made by `fork(2)` gets none of a secret's pages (`MADV_DONTFORK`), for both backends:
//!
//! * dropping the inherited container in the child does nothing to the parent's secret;
//! * reading the data address in the child faults, even while the parent has it open;
//! * `borrow()` in the child panics with a message that names `fork`;
//! * a `SessionKey` cannot seal in the child, so the child cannot use the nonce its inherited
//!   counter would give next (the parent's next one).
//!
//! The controls show each attack working on memory without `MADV_DONTFORK`: a forked child reads
//! a plain page (and a raw `memfd_secret` page), and a child's writes to an inherited shared
//! page reach the parent, and a key and counter in ordinary memory seal in the child under the
//! parent's next nonce.
//!
//! Each scenario runs in a child made by `in_child` (the test runner itself is never forked),
//! which forks the *grandchild* that plays the attacker. The grandchild leaves with `_exit`, so
//! nothing of the test runner's state is run or dropped twice.

// Linux-only: MADV_DONTFORK, memfd_secret, MAP_FIXED_NOREPLACE and /proc/self/maps.
#![cfg(target_os = "linux")]

use secrets_core::__private::aead;
use secrets_core::{set_backend, set_spare_pages, Backend, SecretBox};
use secrets_integration_tests::probe::{fork_and_wait, Ended, PANICKED};
use secrets_integration_tests::{data_perms, in_child, mapping_of, page_size, Access};
use secrets_nonce::{open, ChaCha20Poly1305Ietf, SessionKey};

const MARKER_LEN: usize = 32;
/// The grandchild's exit code when it read the marker.
const READ_MARKER: i32 = 42;
/// The grandchild's exit code when it read something else.
const READ_OTHER: i32 = 43;

/// Printed by a scenario that ran to its end. A child that ran no test at all (a misspelt test
/// name) also exits 0, so its success alone would prove nothing.
const DONE: &str = "SCENARIO-DONE";

/// Runs `scenario` in a child made by `in_child`, which must run it to the end.
fn run_scenario(test_name: &str, scenario: impl FnOnce()) {
    let outcome = in_child(test_name, || {
        scenario();
        println!("{DONE}");
    });
    outcome.assert_success();
    assert!(
        outcome.stdout.contains(DONE),
        "the scenario did not run: {outcome:?}"
    );
}

fn random_marker() -> [u8; MARKER_LEN] {
    let mut marker = [0; MARKER_LEN];
    // SAFETY: `sodium_init` takes no arguments and may be called any number of times.
    assert!(unsafe { libsodium_sys::sodium_init() } >= 0, "sodium_init");
    // SAFETY: `marker` is a valid, writable buffer of `marker.len()` bytes.
    unsafe { libsodium_sys::randombytes_buf(marker.as_mut_ptr().cast(), marker.len()) };
    marker
}

/// In the grandchild: reads `MARKER_LEN` bytes at `addr` and says whether they were `marker`.
fn read_directly(addr: usize, marker: &[u8; MARKER_LEN]) -> i32 {
    // SAFETY: none in the protected cases: if `addr` is not mapped in this process, the read
    // faults, and that fault is what the test looks for. In the controls the page is mapped and
    // readable.
    let seen = unsafe { std::ptr::read_volatile(addr as *const [u8; MARKER_LEN]) };
    if &seen == marker {
        READ_MARKER
    } else {
        READ_OTHER
    }
}

/// A box holding a fresh random marker, in a process that uses `backend`.
fn secret_with_marker(backend: Backend) -> (SecretBox<[u8; MARKER_LEN]>, [u8; MARKER_LEN]) {
    set_backend(backend).expect("choose the backend before the first secret");
    let marker = random_marker();
    let secret = SecretBox::<[u8; MARKER_LEN]>::new(|value| *value = marker).expect("a secret");
    (secret, marker)
}

/// Where the box's data is (the pages are closed again when this returns).
fn data_addr(secret: &SecretBox<[u8; MARKER_LEN]>) -> usize {
    secret.borrow().as_ptr() as usize
}

/// Checks that the data page is as it must be at rest in its owner: inaccessible, locked, out
/// of dumps and of forks.
fn assert_at_rest(backend: Backend, addr: usize) {
    let vma = mapping_of(addr);
    // memfd_secret pages are a shared mapping of the secret file (`---s`); sodium_malloc's are
    // private (`---p`).
    assert_eq!(vma.perms, data_perms(backend, Access::None), "{vma:?}");
    assert!(vma.has_flag("lo") && vma.locked_kb > 0, "locked: {vma:?}");
    assert!(vma.has_flag("dd"), "MADV_DONTDUMP: {vma:?}");
    assert!(vma.has_flag("dc"), "MADV_DONTFORK: {vma:?}");
}

fn drop_in_forked_child_leaves_parent_intact(backend: Backend) {
    let (secret, marker) = secret_with_marker(backend);
    let addr = data_addr(&secret);
    let mut inherited = Some(secret);
    let forked = fork_and_wait(|| {
        // Only the grandchild's copy of the box is dropped here.
        drop(inherited.take());
        0
    });
    assert_eq!(forked.ended, Ended::Exited(0), "{forked:?}");
    let secret = inherited.expect("the parent still has its box");
    assert_eq!(*secret.borrow(), marker, "the parent's secret is unchanged");
    assert_at_rest(backend, addr);
}

fn direct_read_in_forked_child_faults(backend: Backend) {
    let (secret, marker) = secret_with_marker(backend);
    // Open the pages in the parent for the whole fork: without MADV_DONTFORK the grandchild
    // would inherit them readable, so only the missing mapping can make its read fault.
    let opened = secret.borrow();
    let addr = opened.as_ptr() as usize;
    let forked = fork_and_wait(|| read_directly(addr, &marker));
    assert_eq!(forked.ended, Ended::Signaled(libc::SIGSEGV), "{forked:?}");
    assert_eq!(*opened, marker, "the parent still reads its secret");
}

fn borrow_in_forked_child_panics(backend: Backend) {
    let (secret, marker) = secret_with_marker(backend);
    let forked = fork_and_wait(|| {
        if *secret.borrow() == marker {
            READ_MARKER
        } else {
            READ_OTHER
        }
    });
    assert_eq!(forked.ended, Ended::Exited(PANICKED), "{forked:?}");
    // The message is the line after `thread '...' panicked at FILE:LINE:`. Look there only:
    // the thread's name and a backtrace's frames say "fork" too.
    let message = forked
        .stderr
        .lines()
        .skip_while(|line| !line.contains("panicked at"))
        .nth(1)
        .unwrap_or_default();
    assert!(
        message.contains("fork"),
        "the panic message should name fork: {message:?}\n{forked:?}"
    );
    assert_eq!(
        *secret.borrow(),
        marker,
        "the parent still reads its secret"
    );
}

#[test]
fn drop_in_forked_child_leaves_parent_intact_memfd_secret() {
    run_scenario(
        "drop_in_forked_child_leaves_parent_intact_memfd_secret",
        || drop_in_forked_child_leaves_parent_intact(Backend::MemfdSecret),
    );
}

#[test]
fn drop_in_forked_child_leaves_parent_intact_sodium() {
    run_scenario("drop_in_forked_child_leaves_parent_intact_sodium", || {
        drop_in_forked_child_leaves_parent_intact(Backend::Sodium)
    });
}

#[test]
fn direct_read_in_forked_child_faults_memfd_secret() {
    run_scenario("direct_read_in_forked_child_faults_memfd_secret", || {
        direct_read_in_forked_child_faults(Backend::MemfdSecret)
    });
}

#[test]
fn direct_read_in_forked_child_faults_sodium() {
    run_scenario("direct_read_in_forked_child_faults_sodium", || {
        direct_read_in_forked_child_faults(Backend::Sodium)
    });
}

#[test]
fn borrow_in_forked_child_panics_memfd_secret() {
    run_scenario("borrow_in_forked_child_panics_memfd_secret", || {
        borrow_in_forked_child_panics(Backend::MemfdSecret)
    });
}

#[test]
fn borrow_in_forked_child_panics_sodium() {
    run_scenario("borrow_in_forked_child_panics_sodium", || {
        borrow_in_forked_child_panics(Backend::Sodium)
    });
}

/// The parent keeps a dropped secret's region for reuse (`set_spare_pages`); a forked child has
/// no such region (`MADV_DONTFORK`), and that address range is free in it. The child maps a page
/// of its own there, then makes, drops and releases secrets: the list it inherited must be
/// neither used nor unmapped, so its page must come through intact (taking the parent's entry
/// would open the child's page as secret memory and write a canary into it). The parent must
/// still reuse its kept region afterwards.
#[test]
fn kept_regions_stay_with_the_parent() {
    run_scenario("kept_regions_stay_with_the_parent", || {
        let (secret, _) = secret_with_marker(Backend::MemfdSecret);
        let kept = data_addr(&secret);
        drop(secret);
        let page = page_size();
        let kept_page = kept & !(page - 1);
        let forked = fork_and_wait(|| {
            // SAFETY: MAP_FIXED_NOREPLACE maps only if nothing is there; in this child the
            // parent's kept region was not inherited, so the range is free.
            let mapped = unsafe {
                libc::mmap(
                    kept_page as *mut libc::c_void,
                    page,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                    -1,
                    0,
                )
            };
            if mapped as usize != kept_page {
                eprintln!("could not map the child's page at {kept_page:#x}");
                return 2;
            }
            // SAFETY: the page was just mapped read-write and is only this child's.
            let own = unsafe { std::slice::from_raw_parts_mut(kept_page as *mut u8, page) };
            own.fill(0x5a);
            let made = SecretBox::<[u8; MARKER_LEN]>::new(|value| *value = [7; MARKER_LEN]);
            let made_ok = matches!(&made, Ok(secret) if *secret.borrow() == [7; MARKER_LEN]);
            drop(made);
            set_spare_pages(0);
            if !made_ok {
                eprintln!("the child could not make a secret");
                return 1;
            }
            // SAFETY: still mapped (unless the inherited list unmapped it: then this read
            // faults, which fails the test too).
            let own = unsafe { std::slice::from_raw_parts(kept_page as *const u8, page) };
            if own.iter().any(|&b| b != 0x5a) {
                eprintln!("the child's own page at the parent's kept address was changed");
                return 3;
            }
            0
        });
        assert_eq!(forked.ended, Ended::Exited(0), "{forked:?}");
        let again = SecretBox::<[u8; MARKER_LEN]>::new(|value| *value = [9; MARKER_LEN])
            .expect("a secret in the parent");
        assert_eq!(
            data_addr(&again),
            kept,
            "the parent should still reuse its kept region after the fork"
        );
        assert_eq!(*again.borrow(), [9; MARKER_LEN]);
        assert_at_rest(Backend::MemfdSecret, kept);
    });
}

/// A page mapped with `flags` (and `fd`, for a file mapping), readable and writable, holding
/// `marker`; unmapped when dropped.
struct RawPage {
    addr: usize,
}

impl RawPage {
    fn new(flags: libc::c_int, fd: libc::c_int, marker: &[u8; MARKER_LEN]) -> RawPage {
        // SAFETY: a fresh mapping at an address of the kernel's choosing touches no existing
        // memory.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                page_size(),
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                fd,
                0,
            )
        };
        assert_ne!(
            addr,
            libc::MAP_FAILED,
            "mmap: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: the page is ours, readable and writable, and larger than the marker.
        unsafe { std::ptr::write_volatile(addr.cast::<[u8; MARKER_LEN]>(), *marker) };
        RawPage {
            addr: addr as usize,
        }
    }

    fn read(&self) -> [u8; MARKER_LEN] {
        // SAFETY: the page is mapped readable for as long as `self` lives.
        unsafe { std::ptr::read_volatile(self.addr as *const [u8; MARKER_LEN]) }
    }
}

impl Drop for RawPage {
    fn drop(&mut self) {
        // SAFETY: the page was mapped by `RawPage::new` and nothing refers to it any more.
        unsafe { libc::munmap(self.addr as *mut libc::c_void, page_size()) };
    }
}

#[test]
fn control_plain_page_is_read_by_forked_child() {
    run_scenario("control_plain_page_is_read_by_forked_child", || {
        let marker = random_marker();
        let page = RawPage::new(libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, &marker);
        let forked = fork_and_wait(|| read_directly(page.addr, &marker));
        assert_eq!(forked.ended, Ended::Exited(READ_MARKER), "{forked:?}");
    });
}

#[test]
fn control_raw_memfd_secret_page_is_read_by_forked_child() {
    run_scenario(
        "control_raw_memfd_secret_page_is_read_by_forked_child",
        || {
            // memfd_secret alone keeps pages from /proc/PID/mem and dumps, not from a forked child:
            // it is MADV_DONTFORK that keeps them from the child.
            // SAFETY: `memfd_secret(flags)` takes one integer and returns a new descriptor or -1.
            let fd = unsafe { libc::syscall(libc::SYS_memfd_secret, libc::O_CLOEXEC) };
            assert!(fd >= 0, "memfd_secret: {}", std::io::Error::last_os_error());
            let fd = fd as libc::c_int;
            let size = libc::off_t::try_from(page_size()).expect("page size fits off_t");
            // SAFETY: `fd` is the descriptor just created.
            assert_eq!(unsafe { libc::ftruncate(fd, size) }, 0, "ftruncate");
            let marker = random_marker();
            let page = RawPage::new(libc::MAP_SHARED, fd, &marker);
            // SAFETY: the mapping keeps the file alive; the descriptor is no longer needed.
            unsafe { libc::close(fd) };
            let forked = fork_and_wait(|| read_directly(page.addr, &marker));
            assert_eq!(forked.ended, Ended::Exited(READ_MARKER), "{forked:?}");
        },
    );
}

#[test]
fn control_forked_child_writes_reach_parent_through_shared_page() {
    run_scenario(
        "control_forked_child_writes_reach_parent_through_shared_page",
        || {
            // What a forked child's drop would do to memfd_secret pages (a shared mapping) if
            // they were inherited and the drop zeroed them: the parent would see zeros.
            let marker = random_marker();
            let page = RawPage::new(libc::MAP_SHARED | libc::MAP_ANONYMOUS, -1, &marker);
            let forked = fork_and_wait(|| {
                // SAFETY: the inherited page is mapped readable and writable here.
                unsafe {
                    std::ptr::write_volatile(page.addr as *mut [u8; MARKER_LEN], [0; MARKER_LEN])
                };
                0
            });
            assert_eq!(forked.ended, Ended::Exited(0), "{forked:?}");
            assert_eq!(
                page.read(),
                [0; MARKER_LEN],
                "the child's write reached the parent"
            );
        },
    );
}

/// A session key's counter is ordinary memory, which a forked child inherits: if the child could
/// seal, its next nonce would be the parent's next one too. It cannot: the key's pages are not
/// inherited, so its `seal` panics (naming fork) before any nonce is used, and the parent's
/// counter goes on where it was.
fn session_key_in_forked_child_cannot_seal(backend: Backend) {
    set_backend(backend).expect("backend");
    let key = SessionKey::<ChaCha20Poly1305Ietf>::generate().expect("key");
    let (first, _) = key.seal(b"", b"parent's first").expect("seal");
    let forked = fork_and_wait(|| match key.seal(b"", b"child's message") {
        Ok(_) => READ_MARKER,
        Err(_) => READ_OTHER,
    });
    assert_eq!(forked.ended, Ended::Exited(PANICKED), "{forked:?}");
    assert!(forked.stderr.contains("fork"), "{forked:?}");
    let (second, sealed) = key.seal(b"", b"parent's second").expect("seal");
    assert_ne!(first, second);
    let opened = open(&key, &second, b"", &sealed).expect("open");
    assert_eq!(&*opened.borrow(), b"parent's second");
}

#[test]
fn session_key_in_forked_child_cannot_seal_memfd_secret() {
    run_scenario(
        "session_key_in_forked_child_cannot_seal_memfd_secret",
        || session_key_in_forked_child_cannot_seal(Backend::MemfdSecret),
    );
}

#[test]
fn session_key_in_forked_child_cannot_seal_sodium() {
    run_scenario("session_key_in_forked_child_cannot_seal_sodium", || {
        session_key_in_forked_child_cannot_seal(Backend::Sodium)
    });
}

/// The attack on a key and counter in ordinary memory: the forked child seals under the nonce
/// the parent uses next, and the two ciphertexts' XOR is their plaintexts' XOR.
#[test]
fn control_plain_key_and_counter_seal_in_forked_child() {
    run_scenario("control_plain_key_and_counter_seal_in_forked_child", || {
        let raw = aead::Algorithm::ChaCha20Poly1305Ietf;
        let key = [9u8; 32];
        let next = 1u64;
        let nonce = |count: u64| {
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&count.to_be_bytes());
            nonce
        };
        let (ours, theirs) = (*b"parent's message", *b"child's message!");
        let mut pipe = [0; 2];
        // SAFETY: `pipe` is a valid array of two descriptors for `pipe(2)` to fill.
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0, "pipe");
        let forked = fork_and_wait(|| {
            let sealed = aead::seal_to_vec(raw, &key, &nonce(next), b"", &theirs).expect("seal");
            // SAFETY: the write end is open in this process, and `sealed` is valid for its
            // length.
            let wrote = unsafe { libc::write(pipe[1], sealed.as_ptr().cast(), sealed.len()) };
            if wrote == sealed.len() as isize {
                READ_MARKER
            } else {
                READ_OTHER
            }
        });
        assert_eq!(forked.ended, Ended::Exited(READ_MARKER), "{forked:?}");
        let mut child = [0u8; 32];
        // SAFETY: the read end is open, and `child` is valid for its length.
        let read = unsafe { libc::read(pipe[0], child.as_mut_ptr().cast(), child.len()) };
        assert_eq!(read, 32);
        let parent = aead::seal_to_vec(raw, &key, &nonce(next), b"", &ours).expect("seal");
        let xor: Vec<u8> = (0..16).map(|i| parent[i] ^ child[i]).collect();
        let plain_xor: Vec<u8> = (0..16).map(|i| ours[i] ^ theirs[i]).collect();
        assert_eq!(xor, plain_xor, "the repeated nonce gives away the XOR");
        for fd in pipe {
            // SAFETY: the descriptor is this process's own and closed once.
            unsafe { libc::close(fd) };
        }
    });
}
