//! Pooled storage keeps its protections (issue 11, "What proves it"), under every backend where
//! a protection applies:
//!
//! * every pool page is a mapping of its own, locked, out of dumps and forks, between guard
//!   mappings, and a data page is inaccessible at rest ([`pooled_pages_at_rest`]);
//! * reading a live slot kills the process ([`reading_a_live_slot_from_the_process_dies`]);
//! * a borrow reads through a copy in a scratch slot, so a neighbour on the same page stays
//!   inaccessible while the borrow lives ([`a_borrow_exposes_neighbours_only_during_the_copy`]);
//! * a released slot, and a scratch slot after its last borrow, hold zeros
//!   ([`released_slots_are_zeroed`]);
//! * a forked child has no pool page, no secret memory descriptor, cannot borrow what it
//!   inherited and cannot harm the parent's values ([`fork_child_gets_no_pool`]);
//! * no plaintext of a pooled value lies in ordinary memory
//!   ([`no_plaintext_of_pooled_values_in_readable_memory`]);
//! * two secret types never share a page ([`derived_types_never_share_a_page`]);
//! * values stay right through churn ([`values_read_back_after_churn`]).
//!
//! Each protection test first shows its attack working on plain memory (the control), and each
//! fails if its protection is removed. Scenarios run in children (`for_each_backend`,
//! `in_child`); a child that must crash is one of those, or a child it forks.

// Linux-only: reads /proc/self/{maps,smaps,mem,fd}, memfd_secret, MADV_DONTFORK.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use secrets_core::__private::pool_pages;
use secrets_core::prelude::*;
use secrets_core::{Backend, Pooled};
use secrets_integration_tests::anon::map_anonymous;
use secrets_integration_tests::attack::{
    assert_died_on_the_protected_read, fork_and_read, read_byte, ATTACK_READ, ATTACK_SURVIVED,
    CONTROL_READ, READ_OTHER, READ_VALUE,
};
use secrets_integration_tests::inherited::{
    borrow_refused, no_secretmem_fd, own_secrets_read_back,
};
use secrets_integration_tests::pool::{
    check_scratch_slot_of_borrows, pool_pages_with, slots_per_page_32,
};
use secrets_integration_tests::probe::{
    control_secretmem_fds, fork_and_wait, read_own_memory, secretmem_fds, Ended,
};
use secrets_integration_tests::scan::{find_in_ordinary_memory, Needle};
use secrets_integration_tests::values::pattern;
use secrets_integration_tests::{
    data_perms, for_each_backend, for_each_locking_backend, guard_perms, mapping_count, mapping_of,
    mappings, page_of, page_size, vma_at, Access,
};

type Key = SecretBox<[u8; 32], Pooled>;

/// A vault item: a secret type of its own, so a pooled domain of its own.
#[derive(Secret)]
pub struct VaultItem(SecretBox<[u8; 32], Pooled>);

/// A session key: another secret type over the same storage.
#[derive(Secret)]
pub struct SessionKey(SecretBox<[u8; 32], Pooled>);

/// The count of live boxes in [`pooled_pages_at_rest`].
const AT_REST_COUNT: u32 = 20_000;

/// With 20,000 live `SecretBox<[u8; 32], Pooled>`, `/proc/self/smaps` shows every pool page as a
/// mapping of exactly one page, locked (`lo`), out of core dumps (`dd`) and out of forks
/// (`dc`), with a guard mapping (no access, not locked, not a pool page) on each side; a data
/// (or empty) page is inaccessible (`---s` memfd_secret, `---p` sodium) and a scratch page
/// read-write. Every box rests on a page that the pool reports as a data page, and there are
/// at least as many as the values need (so the pages checked are the ones holding them).
///
/// It fails if pages were left open at rest, not locked, dumpable or inherited, or merged into
/// a larger mapping (the guard check would see another pool page or an accessible neighbour).
#[test]
fn pooled_pages_at_rest() {
    for_each_locking_backend("pooled_pages_at_rest", |backend| {
        let page = page_size();
        let maps_before = mapping_count();
        let started = Instant::now();
        let boxes: Vec<Key> = (0..AT_REST_COUNT)
            .map(|i| Key::new_in(Pooled, |value| *value = pattern(i, 0x11)))
            .collect::<Result<_, _>>()
            .expect("20,000 live pooled boxes");
        let took = started.elapsed();
        let maps_after = mapping_count();
        let pool = pool_pages();
        let roles: HashMap<usize, &str> = pool.iter().copied().collect();
        let vmas = mappings();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for &(addr, role) in &pool {
            *counts.entry(role).or_default() += 1;
            let own = vma_at(&vmas, addr)
                .unwrap_or_else(|| panic!("the {role} page {addr:#x} is in no mapping"));
            assert_eq!(
                (own.start, own.end),
                (addr, addr + page),
                "the {role} page {addr:#x} must be a mapping of its own: {own:?}"
            );
            let expected = match role {
                "data" | "idle" | "empty" => data_perms(backend, Access::None),
                "scratch" => data_perms(backend, Access::ReadWrite),
                other => panic!("pool_pages() reported an unknown role {other:?}"),
            };
            assert_eq!(own.perms, expected, "the {role} page: {own:?}");
            assert!(own.has_flag("lo"), "the {role} page is locked: {own:?}");
            if role != "empty" {
                // Written pages are resident, hence counted as locked.
                assert!(own.locked_kb > 0, "the {role} page is locked: {own:?}");
            }
            assert!(own.has_flag("dd"), "MADV_DONTDUMP on the {role} page: {own:?}");
            assert!(own.has_flag("dc"), "MADV_DONTFORK on the {role} page: {own:?}");
            for neighbour in [addr - page, addr + page] {
                let guard = vma_at(&vmas, neighbour).unwrap_or_else(|| {
                    panic!("no guard mapping at {neighbour:#x} beside the {role} page {addr:#x}")
                });
                assert_eq!(
                    guard.perms,
                    guard_perms(backend),
                    "the guard beside the {role} page {addr:#x}: {guard:?}"
                );
                assert!(
                    !guard.has_flag("lo") && guard.locked_kb == 0,
                    "a guard costs no locked memory: {guard:?}"
                );
                assert!(
                    !roles.contains_key(&page_of(neighbour)),
                    "the {role} page {addr:#x} has another pool page beside it, not a guard"
                );
            }
        }
        let mut holding = HashSet::new();
        for value in &boxes {
            let at = page_of(value.__rest_address());
            assert_eq!(
                roles.get(&at),
                Some(&"data"),
                "a box rests at {:#x}, which is not on a data page",
                value.__rest_address()
            );
            holding.insert(at);
        }
        let needed = (AT_REST_COUNT as usize).div_ceil(slots_per_page_32());
        assert!(
            holding.len() >= needed,
            "{} values on {} pages, fewer than the {needed} they need",
            AT_REST_COUNT,
            holding.len()
        );
        for (i, value) in boxes.iter().enumerate().step_by(997) {
            assert_eq!(*value.borrow(), pattern(i as u32, 0x11), "box {i}");
        }
        let data = counts.get("data").copied().unwrap_or(0);
        println!(
            "FIGURES {}: {AT_REST_COUNT} creations took {took:?} ({:.2} us each); pages: {counts:?} \
             ({} hold the values); mappings {maps_before} -> {maps_after} (+{}, {:.2} per data \
             page); VmLck {}",
            secrets_integration_tests::backend_name(backend),
            took.as_secs_f64() * 1e6 / f64::from(AT_REST_COUNT),
            holding.len(),
            maps_after - maps_before,
            (maps_after - maps_before) as f64 / data as f64,
            vm_lck()
        );
    })
    .check(|outcome| {
        outcome.assert_success();
        assert!(outcome.stdout.contains("FIGURES"), "{outcome:?}");
    });
}

/// `VmLck` of this process, from `/proc/self/status`.
fn vm_lck() -> String {
    std::fs::read_to_string("/proc/self/status")
        .expect("read /proc/self/status")
        .lines()
        .find(|line| line.starts_with("VmLck:"))
        .map(|line| line.trim_start_matches("VmLck:").trim().to_owned())
        .unwrap_or_default()
}

/// Reading a byte at the rest address of a live pooled box kills the process (SIGSEGV): the
/// page is `PROT_NONE` although the box is alive and was just borrowed. Control: the same read
/// of a plain heap value succeeds and sees the value.
///
/// It fails if the data page were left readable at rest.
#[test]
fn reading_a_live_slot_from_the_process_dies() {
    for_each_backend("reading_a_live_slot_from_the_process_dies", |_| {
        let value = pattern(1, 0x22);
        let plain = Box::new(value);
        assert_eq!(read_byte(plain.as_ptr() as usize), value[0]);
        println!("{CONTROL_READ}");
        let secret = Key::new_in(Pooled, |v| *v = value).expect("a pooled box");
        assert_eq!(*secret.borrow(), value, "the box holds its value");
        let at = secret.__rest_address();
        assert!(
            pool_pages_with("data").contains(&page_of(at)),
            "{at:#x} is on a data page"
        );
        println!("{ATTACK_READ} {at:#x}");
        let byte = read_byte(at);
        println!("{ATTACK_SURVIVED}: {byte:#x}");
    })
    .check(assert_died_on_the_protected_read);
}

/// While A is borrowed (a live `Ref`), B, on the same data page, stays unreadable: a read of B
/// kills the process (SIGSEGV). The `Ref` points into a scratch page, on no data page, and A's
/// page stays `PROT_NONE` in smaps for the borrow's life. Control: reading through the `Ref`'s
/// address with the same plain load works.
///
/// It fails if borrows were served in place (the page would be readable while A is borrowed,
/// and the `Ref` would point into it).
#[test]
fn a_borrow_exposes_neighbours_only_during_the_copy() {
    for_each_backend(
        "a_borrow_exposes_neighbours_only_during_the_copy",
        |backend| {
            let a = Key::new_in(Pooled, |v| *v = pattern(1, 0x33)).expect("box A");
            let b = Key::new_in(Pooled, |v| *v = pattern(2, 0x33)).expect("box B");
            let (a_at, b_at) = (a.__rest_address(), b.__rest_address());
            assert_eq!(
                page_of(a_at),
                page_of(b_at),
                "A ({a_at:#x}) and B ({b_at:#x}) must share a page for the test to mean anything"
            );
            let opened = a.borrow();
            let copy = opened.as_ptr() as usize;
            assert!(
                !pool_pages_with("data").contains(&page_of(copy)),
                "A's Ref points into a data page ({copy:#x}): served in place"
            );
            assert!(
                pool_pages_with("scratch").contains(&page_of(copy)),
                "A's Ref ({copy:#x}) points into a scratch page"
            );
            assert_eq!(*opened, pattern(1, 0x33), "the Ref shows A");
            assert_eq!(
                mapping_of(a_at).perms,
                data_perms(backend, Access::None),
                "A's data page stays closed while A is borrowed"
            );
            assert_eq!(read_byte(copy), pattern(1, 0x33)[0]);
            println!("{CONTROL_READ}");
            println!("{ATTACK_READ} {b_at:#x}");
            let byte = read_byte(b_at);
            println!("{ATTACK_SURVIVED}: {byte:#x}");
            drop(opened);
        },
    )
    .check(assert_died_on_the_protected_read);
}

/// A released slot holds zeros, and so does a scratch slot once its last `Ref` (or its
/// `RefMut`) is gone.
///
/// * Sodium backend (anonymous pages, which `/proc/self/mem` reads even when `PROT_NONE`): a
///   value's bytes are at its rest address while it lives (the control: the read can see a
///   secret), and are all zero right after its drop.
/// * memfd_secret backend: `/proc/self/mem` cannot read the slot at all (`EIO`, the pages are
///   out of the kernel's direct map), alive or released.
/// * Both: the scratch slot of a `Ref` holds the value while a `Ref` lives (nested `Ref`s share
///   it) and zeros after the last one; the same for a `RefMut`, whose change reaches the slot.
///
/// It fails if release or the end of a borrow stopped zeroing.
#[test]
fn released_slots_are_zeroed() {
    for_each_backend("released_slots_are_zeroed", |backend| {
        let value = pattern(7, 0x44);
        // Neighbours before and after, so the slot checked is inside a populated page.
        let before = Key::new_in(Pooled, |v| *v = pattern(6, 0x44)).expect("a neighbour");
        let mut secret = Key::new_in(Pooled, |v| *v = value).expect("a pooled box");
        let after = Key::new_in(Pooled, |v| *v = pattern(8, 0x44)).expect("a neighbour");
        let at = secret.__rest_address();

        // The scratch slot of nested `Ref`s: the value while one lives, zeros after the last;
        // and of a `RefMut`, whose change is written back.
        let changed = check_scratch_slot_of_borrows(&mut secret, value);
        assert_eq!(*secret.borrow(), changed, "the change was written back");

        match backend {
            Backend::Sodium => {
                assert_eq!(
                    read_own_memory(at, 32).expect("read a PROT_NONE anonymous page"),
                    changed,
                    "the control: /proc/self/mem sees the live value at its rest address"
                );
                drop(secret);
                assert_eq!(
                    read_own_memory(at, 32).expect("read the released slot"),
                    [0u8; 32],
                    "the released slot is zero"
                );
            }
            Backend::MemfdSecret => {
                let live = read_own_memory(at, 32)
                    .expect_err("/proc/self/mem must not read memfd_secret pages (live)");
                assert_eq!(live.raw_os_error(), Some(libc::EIO), "live: {live}");
                drop(secret);
                let released = read_own_memory(at, 32)
                    .expect_err("/proc/self/mem must not read memfd_secret pages (released)");
                assert_eq!(
                    released.raw_os_error(),
                    Some(libc::EIO),
                    "released: {released}"
                );
            }
            other => panic!("no expectation for {other:?}"),
        }
        assert_eq!(*before.borrow(), pattern(6, 0x44), "the neighbour before");
        assert_eq!(*after.borrow(), pattern(8, 0x44), "the neighbour after");
    })
    .assert_success();
}

/// Exit codes of the forked child in [`fork_child_gets_no_pool`], one per failed check, besides
/// those of `inherited` (11 to 14).
const POOL_PAGE_MAPPED: i32 = 10;
const PROTECT_SUCCEEDED: i32 = 15;

/// After a process makes pooled secrets, a child made by `fork`:
///
/// * has none of the pool's pages in `/proc/self/maps`, cannot `mprotect` one open (`ENOMEM`,
///   nothing is mapped there) and dies of SIGSEGV reading one; nor can it read the scratch copy
///   of a value the parent holds borrowed during the fork (scratch is read-write in the parent:
///   only `MADV_DONTFORK` keeps it from the child);
/// * has no `memfd_secret` descriptor open (`/secretmem (deleted)` in `/proc/self/fd`; none is
///   open in the parent either: the pool closes it once the pages are mapped);
/// * panics on `borrow()` of an inherited box, with the "belongs to the parent process"
///   message;
/// * can make pooled secrets of its own and read them back;
/// * leaves the parent's values intact when it drops every inherited box and exits.
///
/// Controls: a forked child reads a plain heap value, and opens and reads an inherited plain
/// `PROT_NONE` page (the attack `MADV_DONTFORK` stops); the descriptor check finds a raw
/// `memfd_secret` descriptor while it is open.
#[test]
fn fork_child_gets_no_pool() {
    for_each_backend("fork_child_gets_no_pool", |backend| {
        control_secretmem_fds();
        assert_eq!(secretmem_fds(), Vec::<String>::new(), "closed");

        let mut inherited: Vec<Key> = (0..300)
            .map(|i| Key::new_in(Pooled, |v| *v = pattern(i, 0x55)))
            .collect::<Result<_, _>>()
            .expect("pooled boxes");
        let long = SecretVec::<u8, Pooled>::new_in(Pooled, 1500, |v| v.fill(0xA7))
            .expect("a long pooled vec, on dedicated pages");
        assert_eq!(
            secretmem_fds(),
            Vec::<String>::new(),
            "the pool keeps no memfd_secret descriptor open"
        );
        let pool = pool_pages();
        let data: Vec<usize> = pool_pages_with("data").into_iter().collect();
        let probe = inherited[0].__rest_address();

        // Controls: a forked child reads plain memory, and opens an inherited PROT_NONE page.
        let plain = Box::new(pattern(0, 0x55));
        let plain_at = plain.as_ptr() as usize;
        let forked = fork_and_read(plain_at, |byte| byte == pattern(0, 0x55)[0]);
        assert_eq!(forked.ended, Ended::Exited(READ_VALUE), "{forked:?}");
        let closed = ClosedPage::new(&pattern(0, 0x55));
        let forked = fork_and_wait(|| closed.open_and_read());
        assert_eq!(forked.ended, Ended::Exited(READ_VALUE), "{forked:?}");

        // No page, no descriptor, no borrow; new secrets of its own; drops harmless.
        let forked = fork_and_wait(|| {
            let maps = std::fs::read_to_string("/proc/self/maps").expect("read maps");
            let vmas = mappings();
            for &(addr, role) in &pool {
                // The address may hold a mapping the child made itself (its allocator may take
                // the hole the parent's page left, as ASan's does): an inherited pool page would
                // carry MADV_DONTDUMP, which nothing the child maps by itself has.
                if let Some(vma) = vma_at(&vmas, addr).filter(|vma| vma.has_flag("dd")) {
                    eprintln!("the {role} page {addr:#x} is mapped in the child: {vma:?}\n{maps}");
                    return POOL_PAGE_MAPPED;
                }
            }
            if let Err(code) = no_secretmem_fd() {
                return code;
            }
            if let Err(code) = borrow_refused("borrow", || inherited[0].borrow()[0]) {
                return code;
            }
            let own = match own_secrets_read_back(Pooled) {
                Ok(own) => own,
                Err(code) => return code,
            };
            drop(own);
            inherited.clear();
            0
        });
        assert_eq!(forked.ended, Ended::Exited(0), "{forked:?}");

        // An attacker in the child cannot open a data page: nothing is mapped there.
        let forked = fork_and_wait(|| {
            // SAFETY: `probe`'s page is not mapped in this child (that is the point); were it
            // mapped, it would be the parent's inherited page, which this child may make readable.
            let protected = unsafe {
                libc::mprotect(
                    page_of(probe) as *mut libc::c_void,
                    page_size(),
                    libc::PROT_READ,
                )
            };
            if protected == 0 {
                eprintln!("the child made a pool page readable");
                return PROTECT_SUCCEEDED;
            }
            if read_byte(probe) == pattern(0, 0x55)[0] {
                READ_VALUE
            } else {
                READ_OTHER
            }
        });
        assert_eq!(forked.ended, Ended::Signaled(libc::SIGSEGV), "{forked:?}");

        // Nor read the scratch copy of a value the parent holds borrowed (read-write there).
        let opened = inherited[1].borrow();
        let copy = opened.as_ptr() as usize;
        let forked = fork_and_read(copy, |byte| byte == pattern(1, 0x55)[0]);
        assert_eq!(forked.ended, Ended::Signaled(libc::SIGSEGV), "{forked:?}");
        drop(opened);

        // The parent's values are intact, and its pages at rest.
        for (i, value) in inherited.iter_mut().enumerate() {
            assert_eq!(*value.borrow(), pattern(i as u32, 0x55), "parent's box {i}");
            value.borrow_mut()[0] ^= 1;
        }
        assert!(
            long.borrow().iter().all(|&b| b == 0xA7),
            "parent's long vec"
        );
        for &addr in &data {
            let vma = mapping_of(addr);
            assert_eq!(vma.perms, data_perms(backend, Access::None), "{vma:?}");
        }
        assert_eq!(secretmem_fds(), Vec::<String>::new());
    })
    .assert_success();
}

/// A plain private page holding a value, `PROT_NONE`, unmapped on drop: what an inherited pool
/// page would be in a child without `MADV_DONTFORK`.
struct ClosedPage {
    addr: usize,
    first: u8,
}

impl ClosedPage {
    fn new(value: &[u8; 32]) -> ClosedPage {
        let addr = map_anonymous(page_size(), "a plain page");
        // SAFETY: the page is ours and writable.
        unsafe { std::ptr::write_volatile(addr.cast::<[u8; 32]>(), *value) };
        // SAFETY: the page is ours, and no reference into it is kept.
        let closed = unsafe { libc::mprotect(addr, page_size(), libc::PROT_NONE) };
        assert_eq!(closed, 0, "mprotect");
        ClosedPage {
            addr: addr as usize,
            first: value[0],
        }
    }

    /// In a forked child: makes the page readable and reads it, as an attacker would.
    fn open_and_read(&self) -> i32 {
        // SAFETY: the page is this (forked) process's inherited copy.
        if unsafe { libc::mprotect(self.addr as *mut libc::c_void, page_size(), libc::PROT_READ) }
            != 0
        {
            return PROTECT_SUCCEEDED + 100;
        }
        if read_byte(self.addr) == self.first {
            READ_VALUE
        } else {
            READ_OTHER
        }
    }
}

impl Drop for ClosedPage {
    fn drop(&mut self) {
        // SAFETY: mapped by `new`, referred to by nothing else.
        unsafe { libc::munmap(self.addr as *mut libc::c_void, page_size()) };
    }
}

/// Live pooled values in [`no_plaintext_of_pooled_values_in_readable_memory`].
const SCANNED: usize = 1_000;
/// Of which this many are also searched for whole (each search reads all ordinary memory).
const SCANNED_WHOLE: usize = 8;
/// The bytes every scanned value starts with.
const HEAD: usize = 16;

/// With 1,000 live pooled values that all start with the same 16 random bytes (the head, drawn
/// for this run and never held unmasked in ordinary memory: each byte is unmasked straight into
/// the value) followed by 16 random bytes of their own, a scan of this process's ordinary
/// readable memory (every `rw-p` mapping, through `/proc/self/mem`: heap, stacks, data, and
/// the sodium backend's scratch pages) finds no copy of the head, so no copy of any of the
/// values, nor any of 8 of them searched for whole (each read back once through a borrow).
/// Control: a plain `Vec` copy of one is found by the same scans, whole and by its head.
///
/// It fails if pooled values rested in readable memory (e.g. data pages left open at rest,
/// which are `rw-p` under the sodium backend) or if a borrow left its copy behind in scratch.
#[test]
fn no_plaintext_of_pooled_values_in_readable_memory() {
    for_each_backend("no_plaintext_of_pooled_values_in_readable_memory", |_| {
        let mut mask = vec![0u8; HEAD];
        mask.randomize();
        let mut masked = vec![0u8; HEAD];
        masked.randomize();
        let values: Vec<Key> = (0..SCANNED)
            .map(|_| {
                Key::new_in(Pooled, |v| {
                    v.randomize();
                    for (at, byte) in v.iter_mut().take(HEAD).enumerate() {
                        *byte = std::hint::black_box(masked[at]) ^ mask[at];
                    }
                })
            })
            .collect::<Result<_, _>>()
            .expect("pooled values");
        let head = Needle::masked(masked.clone(), mask.clone());
        let step = SCANNED / SCANNED_WHOLE;
        let whole: Vec<Needle> = values
            .iter()
            .step_by(step)
            .map(|value| Needle::of_secret(&value.borrow()[..]))
            .collect();
        let started = Instant::now();
        if let Some(hit) = find_in_ordinary_memory(&head) {
            panic!("a pooled value has a copy in ordinary memory: {hit:?}");
        }
        for (i, needle) in whole.iter().enumerate() {
            if let Some(hit) = find_in_ordinary_memory(needle) {
                panic!(
                    "pooled value {} has a copy in ordinary memory: {hit:?}",
                    i * step
                );
            }
        }
        println!(
            "FIGURES {} scans of ordinary memory took {:?}",
            1 + whole.len(),
            started.elapsed()
        );
        // The control: a plain copy is found, whole and by its head.
        let copy: Vec<u8> = values[step].borrow().to_vec();
        let hit = find_in_ordinary_memory(&whole[1]);
        assert!(hit.is_some(), "the scan must find a plain copy");
        assert!(
            find_in_ordinary_memory(&head).is_some(),
            "the scan must find the plain copy's head"
        );
        println!("control found at {hit:?}");
        std::hint::black_box(copy);
    })
    .assert_success();
}

/// Two `#[derive(Secret)]` types over `SecretBox<[u8; 32], Pooled>`, and the bare
/// `SecretBox<[u8; 32], Pooled>`, made interleaved (one of each in turn, 300 of each): no page
/// holds values of two of them. Control: the bare boxes do share pages among themselves (so
/// sharing happens, and the separation is not an accident of placement).
///
/// It fails if the pool ignored the domain (the interleaved values would fill pages together).
#[test]
fn derived_types_never_share_a_page() {
    for_each_backend("derived_types_never_share_a_page", |_| {
        let mut items = Vec::new();
        let mut sessions = Vec::new();
        let mut bare = Vec::new();
        for i in 0..300 {
            items.push(VaultItem::new(|v| *v = pattern(i, 0x77)).expect("a vault item"));
            sessions.push(SessionKey::new(|v| *v = pattern(i, 0x78)).expect("a session key"));
            bare.push(Key::new_in(Pooled, |v| *v = pattern(i, 0x79)).expect("a bare box"));
        }
        let pages =
            |addrs: Vec<usize>| -> HashSet<usize> { addrs.into_iter().map(page_of).collect() };
        let item_pages = pages(
            items
                .iter()
                .map(|x| x.__storage().__rest_address())
                .collect(),
        );
        let session_pages = pages(
            sessions
                .iter()
                .map(|x| x.__storage().__rest_address())
                .collect(),
        );
        let bare_pages = pages(bare.iter().map(Key::__rest_address).collect());
        println!(
            "pages: vault items {}, session keys {}, bare {}",
            item_pages.len(),
            session_pages.len(),
            bare_pages.len()
        );
        assert!(
            bare_pages.len() < bare.len(),
            "the control: bare boxes share pages"
        );
        assert!(
            item_pages.is_disjoint(&session_pages),
            "items and session keys"
        );
        assert!(item_pages.is_disjoint(&bare_pages), "items and bare boxes");
        assert!(
            session_pages.is_disjoint(&bare_pages),
            "session keys and bare boxes"
        );
        for (i, (item, session)) in items.iter().zip(&sessions).enumerate() {
            assert_eq!(*item.borrow(), pattern(i as u32, 0x77));
            assert_eq!(*session.borrow(), pattern(i as u32, 0x78));
        }
    })
    .assert_success();
}

/// A small deterministic generator (xorshift64*), seeded per run and printed, so a failure can
/// be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const CHURN_CYCLES: usize = 10_000;
/// The live values the churn keeps: past it, every cycle drops one.
const CHURN_LIVE: usize = 300;

/// 10,000 cycles, each of which makes a `SecretVec<u8, Pooled>` of a random length 0..=1100
/// (those over 1024 bytes go to dedicated pages), drops a random live one (once 300 live), changes
/// bytes of one through `borrow_mut` and reads one through `borrow`, keep every live value right,
/// checked against a plain model (this is a correctness test: the model's plaintext is fine
/// here), at every borrow, every 1,000 cycles in full, and at the end. Every data page is at
/// rest at the end. Set `POOLED_CHURN_SEED` to replay a seed.
#[test]
fn values_read_back_after_churn() {
    for_each_backend("values_read_back_after_churn", |backend| {
        let seed = std::env::var("POOLED_CHURN_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("time")
                    .as_nanos() as u64
                    | 1
            });
        println!("seed {seed} (POOLED_CHURN_SEED replays it)");
        let mut rng = Rng(seed);
        let mut live: Vec<(SecretVec<u8, Pooled>, Vec<u8>)> = Vec::new();
        let check_all = |live: &Vec<(SecretVec<u8, Pooled>, Vec<u8>)>, when: usize| {
            for (i, (secret, model)) in live.iter().enumerate() {
                assert_eq!(
                    &*secret.borrow(),
                    &model[..],
                    "value {i} after cycle {when} (seed {seed})"
                );
            }
        };
        let (mut made, mut long) = (0, 0);
        for cycle in 0..CHURN_CYCLES {
            // Make one.
            let len = rng.below(1101);
            let model: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let secret =
                SecretVec::<u8, Pooled>::new_in(Pooled, len, |v| v.copy_from_slice(&model))
                    .expect("a pooled vec");
            made += 1;
            long += usize::from(len > 1024);
            live.push((secret, model));
            // Drop one, once the live set is full.
            if live.len() > CHURN_LIVE {
                let at = rng.below(live.len());
                live.swap_remove(at);
            }
            // Change one.
            let at = rng.below(live.len());
            let (secret, model) = &mut live[at];
            let mut open = secret.borrow_mut();
            assert_eq!(
                &*open,
                &model[..],
                "before a write, cycle {cycle} (seed {seed})"
            );
            for _ in 0..4.min(model.len()) {
                let (i, byte) = (rng.below(model.len()), rng.next() as u8);
                open[i] = byte;
                model[i] = byte;
            }
            drop(open);
            // Read one.
            let at = rng.below(live.len());
            let (secret, model) = &live[at];
            assert_eq!(&*secret.borrow(), &model[..], "cycle {cycle} (seed {seed})");
            if cycle % 1000 == 999 {
                check_all(&live, cycle);
            }
        }
        check_all(&live, CHURN_CYCLES);
        for addr in pool_pages_with("data") {
            let vma = mapping_of(addr);
            assert_eq!(vma.perms, data_perms(backend, Access::None), "{vma:?}");
        }
        println!(
            "{made} made ({long} over 1024 bytes), {} live at the end",
            live.len()
        );
    })
    .assert_success();
}
