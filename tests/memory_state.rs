//! What guarded memory looks like from inside the running process: the kernel's view of its pages
//! (`/proc/self/smaps`), the bytes left in it when it is released, what `Debug` prints, how `==`
//! compares, and what `from_bytes` leaves behind in its source.
//!
//! Nothing here crashes, but every scenario that makes a secret runs once per backend, each in a
//! child process that has chosen it (`for_each_backend`), and is held to that backend's layout
//! (`tests/src/layout.rs`). Each check comes with a control, run in the test process itself,
//! showing it fails where the protection is missing (a plain `Vec<u8>`, a page unmapped without
//! zeroing, the `Debug` of a plain array).
//!
//! This file is its own test binary because it replaces `munmap` for the whole process (see
//! [`munmap`]): the other test binaries keep the real one.

// Linux-only: reads page state from /proc/self/smaps, memfd_secret.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::any::type_name;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use secrets_core::{
    set_backend, set_spare_pages, Backend, Error, SecretBox, SecretString, SecretVec,
};
use secrets_integration_tests::anon::map_anonymous;
use secrets_integration_tests::{
    backend_name, data_perms, for_each_backend, guard_perms, header_perms, in_child, mappings,
    page_size, released_range, Access, Vma, BACKENDS,
};

/// The canary takes the 16 bytes just before the data, under both backends.
const CANARY_SIZE: usize = 16;

/// `len` recognisable bytes, none zero and all printable ASCII (so they are UTF-8 too).
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'!' + (i % 90) as u8).collect()
}

/// The mapping that holds `addr`, if any.
fn find_mapping(addr: usize) -> Option<Vma> {
    mappings()
        .into_iter()
        .find(|vma| vma.start <= addr && addr < vma.end)
}

// ---------------------------------------------------------------------------------------------
// Page state: locked, not dumped, guarded, and PROT_NONE except while borrowed.

/// Everything wrong with the `len` bytes at `data` as guarded memory of `backend` that should
/// currently allow `access`; empty when all is as the layout in `secrets-core/src/heap/dedicated.rs`
/// (and, per backend, `tests/src/layout.rs`) says:
///
/// * the data ends at the end of a page;
/// * the region (the pages from the one holding the canary, `data - 16`, to the end of the data)
///   is exactly one mapping, with the backend's permissions for `access` (`---s`, `r--s`, `rw-s`
///   for MemfdSecret; `---p`, `r--p`, `rw-p` for Sodium), every page of it locked (`Locked:`
///   equal to its size, `lo`), excluded from core dumps (`dd`) and from forks (`dc`);
/// * the page before the region and the page after it are guard pages (`---p` for both);
/// * for Sodium, the page before the leading guard is libsodium's read-only header (`r--p`).
fn guarded_problems(backend: Backend, data: *const u8, len: usize, access: Access) -> Vec<String> {
    let page = page_size();
    let perms = data_perms(backend, access);
    let data = data as usize;
    let region_start = (data - CANARY_SIZE) & !(page - 1);
    let region_end = data + len;
    let mut problems = Vec::new();
    if !region_end.is_multiple_of(page) {
        problems.push(format!(
            "data ends at {region_end:#x}, {} bytes into a page, not at its end",
            region_end % page
        ));
    }
    match find_mapping(data) {
        None => problems.push(format!("no mapping holds the data at {data:#x}")),
        Some(region) => {
            if (region.start, region.end) != (region_start, region_end) {
                problems.push(format!(
                    "the data's mapping is {:#x}-{:#x}, not the region {region_start:#x}-{region_end:#x}",
                    region.start, region.end
                ));
            }
            if region.perms != perms {
                problems.push(format!(
                    "the data's pages are {}, not {perms}",
                    region.perms
                ));
            }
            let size_kb = (region.end - region.start) as u64 / 1024;
            if region.locked_kb != size_kb {
                problems.push(format!(
                    "Locked: {} kB of the data's {size_kb} kB mapping",
                    region.locked_kb
                ));
            }
            if !region.has_flag("lo") {
                problems.push(format!("no `lo` in VmFlags {:?}", region.flags));
            }
            if !region.has_flag("dd") {
                problems.push(format!("no `dd` in VmFlags {:?}", region.flags));
            }
            if !region.has_flag("dc") {
                problems.push(format!("no `dc` in VmFlags {:?}", region.flags));
            }
        }
    }
    let guard = guard_perms(backend);
    let mut expected = vec![
        ("leading guard", region_start.wrapping_sub(1), guard),
        ("trailing guard", region_end, guard),
    ];
    if let Some(header) = header_perms(backend) {
        expected.push(("header", region_start.wrapping_sub(page + 1), header));
    }
    for (which, addr, perms) in expected {
        match find_mapping(addr) {
            Some(vma) if vma.perms == perms => {}
            Some(vma) => problems.push(format!(
                "the {which} page at {addr:#x} is {}, not {perms}",
                vma.perms
            )),
            None => problems.push(format!("nothing is mapped at the {which} {addr:#x}")),
        }
    }
    problems
}

#[track_caller]
fn assert_guarded(backend: Backend, data: *const u8, len: usize, access: Access, when: &str) {
    let problems = guarded_problems(backend, data, len, access);
    assert!(
        problems.is_empty(),
        "{} {when}: {problems:#?}",
        backend_name(backend)
    );
}

#[test]
fn plain_vec_is_neither_locked_nor_kept_out_of_dumps() {
    // The control: the same checks on an ordinary heap buffer must find problems, or they could
    // not tell guarded memory from any other.
    let plain: Vec<u8> = pattern(32);
    let vma = find_mapping(plain.as_ptr() as usize).expect("the heap is mapped");
    assert!(!vma.has_flag("lo"), "a plain Vec's page is locked: {vma:?}");
    assert!(
        !vma.has_flag("dd"),
        "a plain Vec's page is excluded from core dumps: {vma:?}"
    );
    assert_eq!(vma.locked_kb, 0, "{vma:?}");
    for backend in BACKENDS {
        let problems = guarded_problems(backend, plain.as_ptr(), plain.len(), Access::ReadWrite);
        for flag in ["`lo`", "`dd`", "`dc`"] {
            assert!(
                problems.iter().any(|p| p.contains(flag)),
                "held to {}'s layout, the checks did not notice a plain Vec lacks {flag}: \
                 {problems:#?}",
                backend_name(backend)
            );
        }
    }
}

#[test]
fn box_pages_follow_the_borrows() {
    for_each_backend("box_pages_follow_the_borrows", |backend| {
        let mut secret = SecretBox::<[u8; 32]>::random().expect("allocate");
        let data = secret.borrow().as_ptr();
        let len = 32;
        let guarded = |access, when| assert_guarded(backend, data, len, access, when);
        guarded(Access::None, "at rest");
        {
            let _opened = secret.borrow();
            guarded(Access::Read, "during borrow()");
            {
                let _again = secret.borrow();
                guarded(Access::Read, "during two borrow()s");
            }
            guarded(Access::Read, "with one of two borrow()s dropped");
        }
        guarded(Access::None, "after borrow()");
        {
            let _opened = secret.borrow_mut();
            guarded(Access::ReadWrite, "during borrow_mut()");
        }
        guarded(Access::None, "after borrow_mut()");
    })
    .assert_success();
}

#[test]
fn vec_pages_follow_the_borrows() {
    // Three pages and a bit: a region of four pages, all of which must be locked.
    let len = 3 * page_size() + 5;
    for_each_backend("vec_pages_follow_the_borrows", |backend| {
        let mut secret = SecretVec::<u8>::random(len).expect("allocate");
        let data = secret.borrow().as_ptr();
        let guarded = |access, when| assert_guarded(backend, data, len, access, when);
        guarded(Access::None, "at rest");
        {
            let _opened = secret.borrow();
            guarded(Access::Read, "during borrow()");
        }
        guarded(Access::None, "after borrow()");
        {
            let _opened = secret.borrow_mut();
            guarded(Access::ReadWrite, "during borrow_mut()");
        }
        guarded(Access::None, "after borrow_mut()");
    })
    .assert_success();
}

#[test]
fn string_pages_follow_the_borrows() {
    for_each_backend("string_pages_follow_the_borrows", |backend| {
        let mut typed = String::from("correct horse battery staple");
        let len = typed.len();
        let mut secret = SecretString::from_string(&mut typed).expect("allocate");
        let data = secret.borrow().as_ptr();
        let guarded = |access, when| assert_guarded(backend, data, len, access, when);
        guarded(Access::None, "at rest");
        {
            let _opened = secret.borrow();
            guarded(Access::Read, "during borrow()");
        }
        {
            let _opened = secret.borrow_mut();
            guarded(Access::ReadWrite, "during borrow_mut()");
        }
        guarded(Access::None, "after the borrows");
    })
    .assert_success();
}

/// The limit the README states for a `RefMut` passed to `mem::forget`: no code runs when a
/// value is forgotten, so the pages stay readable *and writable* with no borrow alive, until
/// the next `borrow()` or `borrow_mut()` of the container ends (each opens the pages itself and
/// closes them when it is dropped) or the container is dropped. This pins both halves: the
/// window exists (should it ever be closed, the README must change), and it ends there.
#[test]
fn a_forgotten_ref_mut_leaves_pages_writable_until_the_next_borrow() {
    for_each_backend(
        "a_forgotten_ref_mut_leaves_pages_writable_until_the_next_borrow",
        |backend| {
            let mut secret = SecretBox::<[u8; 32]>::new(|v| v.fill(7)).expect("allocate");
            let data = secret.borrow().as_ptr();
            let guarded = |access, when| assert_guarded(backend, data, 32, access, when);
            guarded(Access::None, "at rest");

            std::mem::forget(secret.borrow_mut());
            guarded(Access::ReadWrite, "after a RefMut was forgotten");
            // SAFETY: the pages are readable (just checked) and hold the initialised secret; the
            // read is what the limit allows any code in the process: no borrow is alive.
            let byte = unsafe { data.read_volatile() };
            println!("read {byte} with no borrow alive");
            drop(secret.borrow());
            guarded(Access::None, "after the next borrow() ended");

            std::mem::forget(secret.borrow_mut());
            guarded(Access::ReadWrite, "after a second RefMut was forgotten");
            drop(secret.borrow_mut());
            guarded(Access::None, "after the next borrow_mut() ended");

            // Dropping the container with its pages left open still zeroes and releases them
            // (sodium_free and release_secretmem open the pages themselves).
            std::mem::forget(secret.borrow_mut());
            drop(secret);
            println!("dropped with a forgotten RefMut");
        },
    )
    .check(|outcome| {
        outcome.assert_success();
        for line in [
            "read 7 with no borrow alive",
            "dropped with a forgotten RefMut",
        ] {
            assert!(outcome.stdout.contains(line), "no {line:?}: {outcome:?}");
        }
    });
}

/// The limit for a forgotten `Ref`: it stays counted as a reader, so the pages stay readable
/// through later `borrow()`s, until the next `borrow_mut()` (which `&mut` proves is the only
/// borrow, and which resets the count) ends, or the container is dropped.
#[test]
fn a_forgotten_ref_leaves_pages_readable_until_the_next_borrow_mut() {
    for_each_backend(
        "a_forgotten_ref_leaves_pages_readable_until_the_next_borrow_mut",
        |backend| {
            let mut secret = SecretBox::<[u8; 32]>::new(|v| v.fill(7)).expect("allocate");
            let data = secret.borrow().as_ptr();
            let guarded = |access, when| assert_guarded(backend, data, 32, access, when);
            std::mem::forget(secret.borrow());
            guarded(Access::Read, "after a Ref was forgotten");
            drop(secret.borrow());
            guarded(Access::Read, "after a later borrow() ended");
            drop(secret.borrow_mut());
            guarded(Access::None, "after the next borrow_mut() ended");
        },
    )
    .assert_success();
}

// ---------------------------------------------------------------------------------------------
// Zeroed on drop: what is in the data when the backend hands it back to the kernel.
//
// Both backends make the region writable, check the canary and zero the region. Sodium then
// unmaps the whole allocation with one `munmap` (`sodium_free`; the zeroing is
// `sodium_munlock`'s) from libsodium's header page on. MemfdSecret (`release_secretmem`) seals
// the region again and keeps it for reuse (`set_spare_pages`), or, with no room to keep it,
// unmaps it from the leading guard page on; a kept region is unmapped, as it is, when it is
// released. This binary defines `munmap` itself, so both the static libsodium and `libc::munmap`
// in `secrets-core` link to it: while armed with an address, it copies the bytes there just
// before the real `munmap` runs.

/// The most bytes the `munmap` hook copies.
const CAPTURE_MAX: usize = 8192;
/// What the capture buffer holds before a capture, so stale zeros cannot pass for a capture.
const NOT_CAPTURED: u8 = 0xee;

/// The address the hook watches; 0 when disarmed.
static WATCH_ADDR: AtomicUsize = AtomicUsize::new(0);
/// How many bytes from `WATCH_ADDR` the hook copies.
static WATCH_LEN: AtomicUsize = AtomicUsize::new(0);
/// Set by the hook once it has copied the watched bytes.
static FIRED: AtomicBool = AtomicBool::new(false);
/// The copied bytes.
static CAPTURED: [AtomicU8; CAPTURE_MAX] = [const { AtomicU8::new(NOT_CAPTURED) }; CAPTURE_MAX];
/// The range passed to the `munmap` that held the watched bytes.
static UNMAPPED_ADDR: AtomicUsize = AtomicUsize::new(0);
static UNMAPPED_LEN: AtomicUsize = AtomicUsize::new(0);

/// Tests arm the hook one at a time (the hook itself takes no lock).
static HOOK_USER: Mutex<()> = Mutex::new(());

/// `munmap(2)` for this whole test binary: the real system call, preceded by a copy of the
/// watched bytes when the range being unmapped holds them. Uses only atomics: no allocation, no
/// lock, nothing that could itself call `munmap`.
///
/// # Safety
/// As for `munmap(2)`: nothing may use `[addr, addr + len)` afterwards. The hook makes the
/// watched bytes readable itself (a kept MemfdSecret region is `PROT_NONE` when it is released),
/// which changes nothing for a range about to be unmapped.
#[no_mangle]
pub unsafe extern "C" fn munmap(addr: *mut libc::c_void, len: libc::size_t) -> libc::c_int {
    let watched = WATCH_ADDR.load(Ordering::Acquire);
    let count = WATCH_LEN.load(Ordering::Relaxed).min(CAPTURE_MAX);
    let start = addr as usize;
    let holds_watched = watched != 0
        && watched >= start
        && watched
            .checked_add(count)
            .is_some_and(|end| end <= start.saturating_add(len));
    // Disarm first, so that exactly one unmap is captured.
    if holds_watched
        && WATCH_ADDR
            .compare_exchange(watched, 0, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    {
        let page = page_size();
        let first = watched & !(page - 1);
        let end = (watched + count).next_multiple_of(page);
        // SAFETY: the pages lie inside the range about to be unmapped; making them readable
        // affects nothing that outlives this call.
        let readable = unsafe {
            libc::syscall(
                libc::SYS_mprotect,
                first as *mut libc::c_void,
                end - first,
                libc::PROT_READ,
            )
        };
        assert_eq!(
            readable, 0,
            "the munmap hook could not read the watched bytes"
        );
        let bytes = watched as *const u8;
        for (i, slot) in CAPTURED.iter().take(count).enumerate() {
            // SAFETY: `[watched, watched + count)` lies inside the range about to be unmapped,
            // which is still mapped and (see `# Safety`) readable.
            slot.store(
                unsafe { bytes.wrapping_add(i).read_volatile() },
                Ordering::Relaxed,
            );
        }
        UNMAPPED_ADDR.store(start, Ordering::Relaxed);
        UNMAPPED_LEN.store(len, Ordering::Relaxed);
        FIRED.store(true, Ordering::Release);
    }
    // SAFETY: the caller's own arguments, passed on unchanged to the system call it asked for.
    unsafe { libc::syscall(libc::SYS_munmap, addr, len) as libc::c_int }
}

/// What the hook saw when the watched bytes were unmapped.
struct Unmapped {
    /// The watched bytes, as they were just before `munmap`.
    bytes: Vec<u8>,
    /// The range `munmap` was given.
    start: usize,
    len: usize,
}

/// Arms the hook on the `len` bytes at `data`, runs `release`, and returns what the hook copied,
/// or `None` if no `munmap` of those bytes happened during `release`.
fn seen_by_munmap(data: *const u8, len: usize, release: impl FnOnce()) -> Option<Unmapped> {
    assert!(
        len <= CAPTURE_MAX,
        "the hook copies at most {CAPTURE_MAX} bytes"
    );
    let _one_at_a_time = HOOK_USER.lock().unwrap_or_else(PoisonError::into_inner);
    for slot in &CAPTURED {
        slot.store(NOT_CAPTURED, Ordering::Relaxed);
    }
    FIRED.store(false, Ordering::Relaxed);
    WATCH_LEN.store(len, Ordering::Relaxed);
    WATCH_ADDR.store(data as usize, Ordering::Release);
    release();
    WATCH_ADDR.store(0, Ordering::Release);
    FIRED.load(Ordering::Acquire).then(|| Unmapped {
        bytes: CAPTURED
            .iter()
            .take(len)
            .map(|slot| slot.load(Ordering::Relaxed))
            .collect(),
        start: UNMAPPED_ADDR.load(Ordering::Relaxed),
        len: UNMAPPED_LEN.load(Ordering::Relaxed),
    })
}

#[test]
fn munmap_hook_sees_bytes_left_unzeroed() {
    // The control: a page filled with the pattern and unmapped as it is. The hook must fire and
    // see the pattern, or the zeros it reports for the containers would prove nothing.
    let page = page_size();
    let len = 64;
    let mapped = map_anonymous(page, "a control page");
    let data = mapped.cast::<u8>();
    // SAFETY: the page was just mapped read-write and is at least `len` bytes long; nothing else
    // refers to it.
    unsafe { std::slice::from_raw_parts_mut(data, len) }.copy_from_slice(&pattern(len));
    let mut result = -1;
    let seen = seen_by_munmap(data, len, || {
        // SAFETY: the page is ours, and nothing uses it after this call.
        result = unsafe { libc::munmap(mapped, page) };
    });
    assert_eq!(result, 0, "munmap of the control page");
    let seen = seen.expect("the munmap hook did not fire for libc::munmap of a page it watched");
    assert_eq!(seen.bytes, pattern(len), "the hook did not see the pattern");
    assert_eq!((seen.start, seen.len), (data as usize, page));
}

/// Runs `release`, which drops a container of `backend` whose `len` bytes at `data` hold
/// `pattern(len)`, with the hook armed, and checks that `munmap` fired, saw only zeros, and
/// released exactly the whole allocation: the two guard pages and the region, and for Sodium
/// libsodium's header page before them.
#[track_caller]
fn assert_zeroed_when_unmapped(
    backend: Backend,
    data: *const u8,
    len: usize,
    release: impl FnOnce(),
) {
    let seen = seen_by_munmap(data, len, release).expect(
        "no munmap of the secret's pages while it was dropped: \
         the hook never fired, so nothing was checked",
    );
    let nonzero = seen.bytes.iter().filter(|&&b| b != 0).count();
    assert_eq!(
        nonzero,
        0,
        "{nonzero} of {len} bytes were not zero when unmapped: {:02x?}",
        &seen.bytes[..len.min(64)]
    );
    let page = page_size();
    let region_start = (data as usize - CANARY_SIZE) & !(page - 1);
    let region_end = data as usize + len;
    let (start, unmapped_len) = released_range(backend, region_start..region_end);
    assert_eq!(
        (seen.start, seen.len),
        (start, unmapped_len),
        "{}: munmap({:#x}, {}) is not munmap({start:#x}, {unmapped_len}), the whole allocation \
         around the region {region_start:#x}-{region_end:#x}",
        backend_name(backend),
        seen.start,
        seen.len
    );
}

/// Drops containers made by `make` (which returns one holding `pattern(len)` and the address of
/// its data) and checks that their bytes are zero when their pages are unmapped: with reuse off,
/// at the drop; with MemfdSecret's reuse on, the drop keeps the pages (no `munmap`, the region
/// still sealed and guarded) and they are zero when `set_spare_pages(0)` releases them, which
/// does not zero them again.
fn assert_zeroed_on_release<T>(backend: Backend, len: usize, make: impl Fn() -> (T, *const u8)) {
    let limit = set_spare_pages(0);
    let (secret, data) = make();
    assert_zeroed_when_unmapped(backend, data, len, || drop(secret));
    set_spare_pages(limit);
    if backend != Backend::MemfdSecret {
        return;
    }
    let (secret, data) = make();
    let seen = seen_by_munmap(data, len, || drop(secret));
    assert!(
        seen.is_none(),
        "with reuse on, dropping the secret should keep its pages, not unmap them"
    );
    let problems = guarded_problems(backend, data, len, Access::None);
    assert!(
        problems.is_empty(),
        "a kept region should be as guarded as a live one: {problems:?}"
    );
    assert_zeroed_when_unmapped(backend, data, len, || {
        set_spare_pages(0);
    });
    set_spare_pages(limit);
}

#[test]
fn a_kept_region_is_reused_guarded_and_starts_zeroed() {
    let outcome = in_child("a_kept_region_is_reused_guarded_and_starts_zeroed", || {
        set_backend(Backend::MemfdSecret).expect("memfd_secret on this kernel");
        let backend = Backend::MemfdSecret;
        let page = page_size();
        // A 32-byte secret; its canary sits at 48..32 bytes before the end of the page.
        let first = SecretBox::<[u8; 32]>::new(|value| value.copy_from_slice(&pattern(32)))
            .expect("allocate");
        let first_page = first.borrow().as_ptr() as usize & !(page - 1);
        drop(first);
        // 64 bytes in a region of the same size: the new data covers the old data and the old
        // canary. What the initialiser finds there is what the region held when it was kept.
        let mut found = Vec::new();
        let second = SecretVec::<u8>::new(64, |values| {
            found.extend_from_slice(values);
            values.copy_from_slice(&pattern(64));
        })
        .expect("allocate");
        let data = second.borrow().as_ptr();
        assert_eq!(
            data as usize & !(page - 1),
            first_page,
            "the second secret should reuse the first one's kept region"
        );
        assert_eq!(
            found,
            vec![0; 64],
            "a reused region must start zeroed, old data and canary included"
        );
        assert_guarded(backend, data, 64, Access::None, "reused, at rest");
        assert_eq!(&second.borrow()[..], &pattern(64)[..]);
        println!("reused the region at {first_page:#x}");
    });
    outcome.assert_success();
    assert!(
        outcome.stdout.contains("reused the region"),
        "the scenario did not run: {outcome:?}"
    );
}

#[test]
fn box_is_zeroed_before_its_pages_are_unmapped() {
    for_each_backend("box_is_zeroed_before_its_pages_are_unmapped", |backend| {
        assert_zeroed_on_release(backend, 64, || {
            let secret = SecretBox::<[u8; 64]>::new(|value| value.copy_from_slice(&pattern(64)))
                .expect("allocate");
            let data = {
                let opened = secret.borrow();
                assert_eq!(&opened[..], &pattern(64)[..], "the pattern went in");
                opened.as_ptr()
            };
            (secret, data)
        });
    })
    .assert_success();
}

#[test]
fn vec_is_zeroed_before_its_pages_are_unmapped() {
    // Longer than a page: every page of the region must be zeroed, not just the last.
    let len = page_size() + 100;
    for_each_backend("vec_is_zeroed_before_its_pages_are_unmapped", |backend| {
        assert_zeroed_on_release(backend, len, || {
            let secret = SecretVec::<u8>::new(len, |values| values.copy_from_slice(&pattern(len)))
                .expect("allocate");
            let data = {
                let opened = secret.borrow();
                assert_eq!(&opened[..], &pattern(len)[..], "the pattern went in");
                opened.as_ptr()
            };
            (secret, data)
        });
    })
    .assert_success();
}

#[test]
fn string_is_zeroed_before_its_pages_are_unmapped() {
    for_each_backend(
        "string_is_zeroed_before_its_pages_are_unmapped",
        |backend| {
            assert_zeroed_on_release(backend, 40, || {
                let mut text = pattern(40);
                let secret = SecretString::from_bytes(&mut text).expect("allocate");
                let data = {
                    let opened = secret.borrow();
                    assert_eq!(opened.as_bytes(), &pattern(40)[..], "the pattern went in");
                    opened.as_ptr()
                };
                (secret, data)
            });
        },
    )
    .assert_success();
}

// ---------------------------------------------------------------------------------------------
// Debug: `[REDACTED]`, and no byte of the secret in any common rendering.

/// Secret bytes whose renderings cannot occur by chance in the expected `Debug` and error
/// texts: every decimal has three digits, and no hex pair or ASCII character of them appears in
/// `SecretBox<[u8; 8]>([REDACTED])`, `SecretVec<u8>([REDACTED])` or the length errors.
const SECRET: [u8; 8] = [0x9f, 0xb7, 0xf1, 0x6b, 0xd4, 0x7e, 0xa3, 0xc9];
/// Secret text chosen the same way for `SecretString([REDACTED])`: none of its characters, byte
/// values or hex pairs occurs there.
const SECRET_TEXT: &str = "qxzQZJ9#";

/// The common ways the bytes of `secret` end up in text: as a whole (Rust's decimal and hex
/// lists, hex strings with and without separators, the text itself) and byte by byte (decimal,
/// hex in both cases, with `0x`, and the character for printable ASCII).
fn renderings(secret: &[u8]) -> Vec<String> {
    let hex = |sep: &str, upper: bool| {
        secret
            .iter()
            .map(|b| {
                if upper {
                    format!("{b:02X}")
                } else {
                    format!("{b:02x}")
                }
            })
            .collect::<Vec<_>>()
            .join(sep)
    };
    let mut all = vec![
        format!("{secret:?}"),
        format!("{secret:x?}"),
        format!("{secret:X?}"),
        hex("", false),
        hex("", true),
        hex(" ", false),
        hex(":", false),
        hex(":", true),
        String::from_utf8_lossy(secret).into_owned(),
    ];
    for &b in secret {
        all.extend([
            b.to_string(),
            format!("{b:02x}"),
            format!("{b:02X}"),
            format!("{b:#04x}"),
        ]);
        if b.is_ascii_graphic() {
            all.push(char::from(b).to_string());
        }
    }
    all
}

/// The renderings of `secret` that occur in `text` (an empty secret has none: there is nothing
/// to leak).
fn leaks(text: &str, secret: &[u8]) -> Vec<String> {
    renderings(secret)
        .into_iter()
        .filter(|r| !secret.is_empty() && text.contains(r.as_str()))
        .collect()
}

#[track_caller]
fn assert_redacted(printed: &str, expected: &str, secret: &[u8]) {
    assert!(printed.contains("[REDACTED]"), "{printed}");
    let leaked = leaks(printed, secret);
    assert!(
        leaked.is_empty(),
        "{printed:?} shows the secret as {leaked:?}"
    );
    assert_eq!(printed, expected);
}

#[test]
fn leak_check_catches_plain_debug_output() {
    // The control: the renderings are found in what `Debug` prints for unprotected values.
    assert!(!leaks(&format!("{SECRET:?}"), &SECRET).is_empty());
    assert!(!leaks(&format!("{:?}", SECRET.to_vec()), &SECRET).is_empty());
    assert!(!leaks(&format!("{SECRET_TEXT:?}"), SECRET_TEXT.as_bytes()).is_empty());
    assert!(!leaks(&format!("{SECRET:02x?}"), &SECRET).is_empty());
}

#[test]
fn box_debug_is_redacted() {
    for_each_backend("box_debug_is_redacted", |_| {
        let secret = SecretBox::<[u8; 8]>::new(|value| *value = SECRET).expect("allocate");
        let name = type_name::<[u8; 8]>();
        for printed in [format!("{secret:?}"), format!("{secret:#?}")] {
            assert_redacted(&printed, &format!("SecretBox<{name}>([REDACTED])"), &SECRET);
        }
    })
    .assert_success();
}

#[test]
fn vec_debug_is_redacted() {
    for_each_backend("vec_debug_is_redacted", |_| {
        let secret =
            SecretVec::<u8>::new(8, |values| values.copy_from_slice(&SECRET)).expect("allocate");
        let name = type_name::<u8>();
        for printed in [format!("{secret:?}"), format!("{secret:#?}")] {
            assert_redacted(&printed, &format!("SecretVec<{name}>([REDACTED])"), &SECRET);
        }
    })
    .assert_success();
}

#[test]
fn string_debug_is_redacted() {
    for_each_backend("string_debug_is_redacted", |_| {
        let mut typed = String::from(SECRET_TEXT);
        let secret = SecretString::from_string(&mut typed).expect("allocate");
        for printed in [format!("{secret:?}"), format!("{secret:#?}")] {
            assert_redacted(&printed, "SecretString([REDACTED])", SECRET_TEXT.as_bytes());
        }
    })
    .assert_success();
}

// ---------------------------------------------------------------------------------------------
// Constant-time `==`: right answers. (Its timing is not measured here.)

fn box_of(bytes: [u8; 32]) -> SecretBox<[u8; 32]> {
    SecretBox::new(|value| *value = bytes).expect("allocate")
}

fn bytes32() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&pattern(32));
    bytes
}

#[test]
fn equal_boxes_compare_equal() {
    for_each_backend("equal_boxes_compare_equal", |_| {
        let a = box_of(bytes32());
        let b = box_of(bytes32());
        assert!(a == b, "two boxes holding the same bytes compare unequal");
        assert!(b == a);
        assert!(a == a, "a box compares unequal to itself");
    })
    .assert_success();
}

#[test]
fn boxes_differing_in_one_bit_of_first_or_last_byte_are_unequal() {
    for_each_backend(
        "boxes_differing_in_one_bit_of_first_or_last_byte_are_unequal",
        |_| {
            let a = box_of(bytes32());
            for (index, bit) in [(0, 0x01), (0, 0x80), (31, 0x01), (31, 0x80)] {
                let mut bytes = bytes32();
                bytes[index] ^= bit;
                let b = box_of(bytes);
                assert!(
                    a != b,
                    "boxes differing only in bit {bit:#04x} of byte {index} are equal"
                );
                assert!(b != a);
            }
        },
    )
    .assert_success();
}

#[test]
fn boxes_of_wide_values_compare_every_byte() {
    for_each_backend("boxes_of_wide_values_compare_every_byte", |_| {
        // The top byte of the last u64 is the last byte of the value: a compare that counted
        // elements instead of bytes would miss it.
        let a = SecretBox::<[u64; 4]>::new(|value| *value = [1, 2, 3, 4]).expect("allocate");
        let b =
            SecretBox::<[u64; 4]>::new(|value| *value = [1, 2, 3, 4 | 1 << 63]).expect("allocate");
        let c = SecretBox::<[u64; 4]>::new(|value| *value = [1, 2, 3, 4]).expect("allocate");
        assert!(a != b);
        assert!(a == c);
    })
    .assert_success();
}

#[test]
fn vecs_compare_by_length_and_every_byte() {
    for_each_backend("vecs_compare_by_length_and_every_byte", |_| {
        let vec_of = |bytes: &[u8]| {
            SecretVec::<u8>::new(bytes.len(), |values| values.copy_from_slice(bytes))
                .expect("allocate")
        };
        let abc = vec_of(b"abc");
        assert!(abc == vec_of(b"abc"), "equal vectors compare unequal");
        assert!(abc != vec_of(b"bbc"), "first byte differs");
        assert!(abc != vec_of(b"abd"), "last byte differs");
        assert!(
            abc != vec_of(b"abc\0"),
            "a longer vector whose prefix matches"
        );
        assert!(vec_of(b"abc\0") != abc);
        assert!(abc != vec_of(b"ab"), "a shorter vector that is a prefix");
        assert!(
            vec_of(b"") == vec_of(b""),
            "two empty vectors compare unequal"
        );
        assert!(vec_of(b"") != vec_of(b"\0"));

        let wide_of = |values: &[u64]| {
            SecretVec::<u64>::new(values.len(), |v| v.copy_from_slice(values)).expect("allocate")
        };
        let wide = wide_of(&[1, 2, 3, 4]);
        assert!(wide == wide_of(&[1, 2, 3, 4]));
        assert!(
            wide != wide_of(&[1, 2, 3, 4 | 1 << 63]),
            "a SecretVec<u64> compare that misses the last byte of the last element"
        );
    })
    .assert_success();
}

#[test]
fn strings_compare_by_length_and_every_byte() {
    for_each_backend("strings_compare_by_length_and_every_byte", |_| {
        let string_of =
            |text: &str| SecretString::from_bytes(&mut text.as_bytes().to_vec()).expect("allocate");
        let hunter = string_of("hunter2");
        assert!(hunter == string_of("hunter2"));
        assert!(hunter != string_of("Hunter2"));
        assert!(hunter != string_of("hunter3"));
        assert!(hunter != string_of("hunter22"));
        assert!(hunter != string_of("hunter"));
    })
    .assert_success();
}

// ---------------------------------------------------------------------------------------------
// `from_bytes`: the source is zeroed whatever happens, and errors carry lengths, never bytes.

/// The numbers written in `text`, in order.
fn numbers_in(text: &str) -> Vec<usize> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|word| !word.is_empty())
        .map(|word| word.parse().expect("a run of digits"))
        .collect()
}

/// `len` bytes of [`SECRET`], repeated.
fn secret_bytes(len: usize) -> Vec<u8> {
    SECRET.iter().copied().cycle().take(len).collect()
}

#[test]
fn box_from_bytes_zeroes_its_source_on_success() {
    for_each_backend("box_from_bytes_zeroes_its_source_on_success", |_| {
        let mut source = secret_bytes(16);
        let secret = SecretBox::<[u8; 16]>::from_bytes(&mut source).expect("allocate");
        assert_eq!(source, [0u8; 16], "the source still holds the secret");
        assert_eq!(&secret.borrow()[..], &secret_bytes(16)[..]);
    })
    .assert_success();
}

#[test]
fn box_from_bytes_of_wrong_length_zeroes_source_and_reports_lengths() {
    for_each_backend(
        "box_from_bytes_of_wrong_length_zeroes_source_and_reports_lengths",
        |_| {
            for found in [0, 1, 15, 17, 32] {
                let mut source = secret_bytes(found);
                let err = SecretBox::<[u8; 16]>::from_bytes(&mut source)
                    .expect_err("a source of the wrong length was accepted");
                assert!(
                    source.iter().all(|&b| b == 0),
                    "a rejected {found}-byte source still holds the secret: {source:02x?}"
                );
                assert_eq!(
                    err,
                    Error::LengthMismatch {
                        expected: 16,
                        found
                    }
                );
                let message = err.to_string();
                assert_eq!(
                    numbers_in(&message),
                    [16, found],
                    "the message should give the expected and found lengths and no other number: \
                 {message:?}"
                );
                let leaked = leaks(&message, &secret_bytes(found));
                assert!(
                    leaked.is_empty(),
                    "{message:?} shows the input as {leaked:?}"
                );
                let debug = format!("{err:?}");
                let leaked = leaks(&debug, &secret_bytes(found));
                assert!(leaked.is_empty(), "{debug:?} shows the input as {leaked:?}");
            }
        },
    )
    .assert_success();
}

#[test]
fn vec_from_bytes_zeroes_its_source_on_success_and_on_a_partial_element() {
    for_each_backend(
        "vec_from_bytes_zeroes_its_source_on_success_and_on_a_partial_element",
        |_| {
            let mut source = secret_bytes(8);
            let secret = SecretVec::<u32>::from_bytes(&mut source).expect("allocate");
            assert_eq!(source, [0u8; 8], "the source still holds the secret");
            assert_eq!(secret.len(), 2);

            let mut source = secret_bytes(7);
            let err = SecretVec::<u32>::from_bytes(&mut source)
                .expect_err("7 bytes were accepted as u32 values");
            assert_eq!(source, [0u8; 7], "a rejected source still holds the secret");
            assert_eq!(
                err,
                Error::LengthNotMultiple {
                    element_size: 4,
                    found: 7
                }
            );
            let message = err.to_string();
            assert_eq!(numbers_in(&message), [4, 7], "{message:?}");
            assert!(leaks(&message, &secret_bytes(7)).is_empty(), "{message:?}");
        },
    )
    .assert_success();
}

#[test]
fn string_from_bytes_zeroes_its_source_when_it_is_not_utf8() {
    for_each_backend(
        "string_from_bytes_zeroes_its_source_when_it_is_not_utf8",
        |_| {
            let mut source = b"qxz\xffQZJ".to_vec();
            let err =
                SecretString::from_bytes(&mut source).expect_err("invalid UTF-8 was accepted");
            assert_eq!(source, [0u8; 7], "a rejected source still holds the secret");
            assert_eq!(err, Error::InvalidUtf8 { valid_up_to: 3 });
        },
    )
    .assert_success();
}
