//! Sealed storage keeps its protections (issue 12, "What proves it"), under every backend:
//!
//! * no plaintext of a sealed value lies in any readable mapping of the process at rest, and
//!   each one is found there while it is borrowed
//!   ([`no_plaintext_of_sealed_values_in_readable_memory`]);
//! * the key page is inaccessible at rest, locked, out of dumps and forks, and reading it
//!   kills the process ([`key_page_is_inaccessible_at_rest`]);
//! * a ciphertext altered by one bit, or two containers' ciphertexts swapped, abort the
//!   process at the next borrow ([`a_flipped_ciphertext_bit_aborts_on_borrow`],
//!   [`a_flipped_counter_bit_aborts_on_borrow`], [`a_flipped_tag_bit_aborts_on_borrow`],
//!   [`swapped_ciphertexts_abort_on_borrow`]); untouched ones borrow fine, and a container
//!   rolled back to its own older ciphertext is *not* detected, as documented
//!   ([`untampered_and_rolled_back_ciphertexts_borrow_fine`]);
//! * the scratch slot a borrow decrypts into is zero after the last `Ref` and after a
//!   `RefMut` ([`scratch_slot_is_zero_after_the_last_ref`]), and running out of scratch slots
//!   is a typed error ([`scratch_exhausted_is_a_typed_error`]);
//! * a forked child cannot borrow what it inherited, harms nothing of the parent's by dropping
//!   it, and seals its own secrets under a key of its own ([`fork_child_gets_no_key`]);
//! * eight threads borrowing, sharing and re-sealing stay correct, also with every `mprotect`
//!   held back ([`eight_threads_borrow_and_reseal`],
//!   [`eight_threads_borrow_and_reseal_with_delayed_mprotect`]).
//!
//! Each protection test first shows its attack working on plain memory (the control), and each
//! fails if its protection is removed. Scenarios run in children (`for_each_backend`,
//! `in_child`); a child that must crash is one of those, or a child it forks.
//!
//! Checked by hand against broken versions of `secrets-core/src/sealed.rs` (and, for the
//! threads, `guarded.rs`), each restored afterwards; every failure below was under both
//! backends:
//!
//! * `seal` and `unseal` made copies (the "ciphertext" is the plaintext): the scan at rest
//!   finds every value in the heap (1,030+ copies) and the no-plaintext test fails.
//! * The key page left readable (a `Ref` to it forgotten when the key is made): the key page
//!   test fails on its permissions (`r--s` / `r--p` at rest) before it reaches the read.
//! * A failed tag ignored (no abort): the three bit-flip tests and the swap test fail (the
//!   child borrows and exits 0). The associated data made a constant instead of the
//!   container's id: the swap test fails (A borrows B's value), the flips still abort.
//! * A scratch slot not zeroed (forgotten) at the last `Ref`: the scratch test and the
//!   no-plaintext test (scan after the borrows end) fail; at the end of a `RefMut`: the
//!   scratch test, and the no-plaintext test at rest (100 copies: the rewritten boxes); after
//!   the constructor's seal: both tests.
//! * In the fork child: the parent's key kept as the current one (no owner check in
//!   `current_key` / `key_page`): the child sees a key page before making a secret (exit 15);
//!   a slot released by a drop in the child (no `is_this_process` check): the child dies of
//!   SIGSEGV; the sealed value's own fork checks removed (`open`, `is_owned_here`): the key
//!   page's check still panics on the borrow, but the child's drops then release the parent's
//!   scratch slot (a pool counter underflow under memfd_secret, SIGSEGV under sodium).
//! * The reader count's shared opening removed in `guarded.rs` (`release_read` always closes,
//!   no fast path): the storm reads the shared secret as zeros in its first rounds (one run
//!   died of SIGSEGV under memfd_secret instead); with delayed `mprotect`, SIGSEGV under both.

// Linux-only: holds back mprotect with a seccomp notifier, reads /proc/self/{maps,smaps,mem}.
#![cfg(target_os = "linux")]

use std::collections::HashSet;
use std::fs::File;
use std::hint::black_box;
use std::io::Read as _;
use std::os::unix::fs::FileExt as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use secrets_core::__private::sealed_key_page;
use secrets_core::prelude::*;
use secrets_core::{Backend, Error, Ref, Sealed};
use secrets_integration_tests::anon::map_anonymous;
use secrets_integration_tests::attack::{
    assert_died_on_the_protected_read, assert_killed_by_the_attack, fork_and_read, read_byte,
    ATTACK_READ, ATTACK_SURVIVED, CONTROL_READ, READ_VALUE,
};
use secrets_integration_tests::caps::{drop_ipc_lock, memlock_limit, set_memlock_limit};
use secrets_integration_tests::inherited::{
    borrow_refused, no_secretmem_fd, own_secrets_read_back,
};
use secrets_integration_tests::pool::{
    assert_borrow_panics_without_scratch, assert_exhausted_by_the_lock_limit, assert_write_refused,
    borrow_until_refused, check_scratch_slot_of_borrows, read_scratch,
};
use secrets_integration_tests::pressure::{delay_mprotect, xorshift};
use secrets_integration_tests::probe::{
    control_secretmem_fds, fork_and_wait, read_own_memory, secretmem_fds, Ended,
};
use secrets_integration_tests::values::pattern;
use secrets_integration_tests::{
    backend_name, data_perms, for_each_backend, for_each_locking_backend, guard_perms, mapping_of,
    mappings, page_of, page_size, vma_at, Access, ChildOutcome, Vma,
};

type Key = SecretBox<[u8; 32], Sealed>;

/// A secret type of its own over sealed storage.
#[derive(Secret)]
pub struct Token(SecretBox<[u8; 32], Sealed>);

/// Bytes in front of every ciphertext: the nonce's counter.
const COUNTER: usize = 8;
/// Bytes after every ciphertext: the tag.
const TAG: usize = 16;

// ------------------------------------------------------------------------------------------
// 1. No plaintext in readable memory

/// A secret to search for, held masked (`masked[i] ^ mask[i]`): neither it nor the search
/// ever holds it unmasked, so the search cannot find its own copy. (The harness's
/// `scan::Needle`, plus what this file needs: the bytes one at a time, and every hit.)
struct Masked {
    masked: Vec<u8>,
    mask: Vec<u8>,
}

impl Masked {
    /// A needle for `secret` (guarded memory: a borrow), read one byte at a time through
    /// `black_box` and masked at once.
    fn of_secret(secret: &[u8]) -> Masked {
        let mut mask = vec![0u8; secret.len()];
        mask.randomize();
        let masked = secret
            .iter()
            .zip(&mask)
            .map(|(byte, key)| black_box(*black_box(byte)) ^ key)
            .collect();
        Masked { masked, mask }
    }

    /// `len` random printable ASCII bytes (`!` to `~`), made masked: each byte exists unmasked
    /// only in a register (or one stack byte) while it is masked.
    fn random_ascii(len: usize) -> Masked {
        let mut mask = vec![0u8; len];
        mask.randomize();
        let mut masked = vec![0u8; len];
        masked.randomize();
        for (byte, key) in masked.iter_mut().zip(&mask) {
            *byte = (0x21 + black_box(*byte) % 94) ^ key;
        }
        Masked { masked, mask }
    }

    fn len(&self) -> usize {
        self.masked.len()
    }

    /// Byte `at` of the secret, unmasked only for the moment it is used.
    fn byte(&self, at: usize) -> u8 {
        black_box(self.masked[at] ^ self.mask[at])
    }

    /// Writes the secret into `out` (guarded memory: a constructor's buffer), byte by byte.
    fn write_to(&self, out: &mut [u8]) {
        for (at, byte) in out.iter_mut().take(self.len()).enumerate() {
            *byte = self.byte(at);
        }
    }

    /// Whether `window` starts with the secret.
    fn is_prefix_of(&self, window: &[u8]) -> bool {
        window.len() >= self.len() && (0..self.len()).all(|at| window[at] == self.byte(at))
    }
}

/// An anonymous mapping of its own that the scan reads memory into, skipped by the scan (it
/// holds whatever was read last) and zeroed after every scan and when dropped.
struct ScanBuffer {
    addr: usize,
    len: usize,
}

impl ScanBuffer {
    fn new(len: usize) -> ScanBuffer {
        ScanBuffer {
            addr: map_anonymous(len, "the scan buffer") as usize,
            len,
        }
    }

    fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: the mapping is this buffer's, read-write, `len` bytes, and `&mut self` makes
        // this the only reference into it.
        unsafe { std::slice::from_raw_parts_mut(self.addr as *mut u8, self.len) }
    }

    fn zero(&mut self) {
        self.bytes().zero();
    }
}

impl Drop for ScanBuffer {
    fn drop(&mut self) {
        self.zero();
        // SAFETY: mapped by `new`, referred to by nothing else any more.
        unsafe { libc::munmap(self.addr as *mut libc::c_void, self.len) };
    }
}

/// What one scan of readable memory saw.
#[derive(Debug, Default)]
struct Scan {
    /// Where the needle starts.
    hits: Vec<usize>,
    /// Bytes read and searched.
    bytes: usize,
    /// Readable mappings searched (wholly or in part).
    searched: usize,
    /// `memfd_secret` mappings (which `/proc/self/mem` cannot read) read in the process.
    in_process: usize,
    /// Readable mappings the kernel would not read (`[vvar]`...), as their maps lines.
    unreadable: Vec<String>,
}

/// Whether a `/proc/self/maps` line is a `memfd_secret` mapping.
fn is_secretmem(line: &str) -> bool {
    line.contains("/secretmem")
}

/// Copies `out.len()` bytes at `addr` into `out` the way the scan reads: through
/// `/proc/self/mem`, or, for a `memfd_secret` mapping (out of the kernel's direct map, so
/// `/proc/self/mem` fails with `EIO`), with plain loads in the process, the way code running in
/// it (a bug, a gadget) reads. `false` if the kernel refused.
fn read_as_the_scan(mem: &File, secretmem: bool, addr: usize, out: &mut [u8]) -> bool {
    if secretmem {
        // SAFETY: `addr..addr + out.len()` lies in a readable mapping (the caller read it from
        // /proc/self/maps) that stays mapped: this scenario's process has no other thread
        // using secrets, and the mappings are the pool's or a borrowed value's.
        unsafe {
            std::ptr::copy_nonoverlapping(addr as *const u8, out.as_mut_ptr(), out.len());
        }
        true
    } else {
        mem.read_exact_at(out, addr as u64).is_ok()
    }
}

/// Every place where `needle` starts in a readable mapping of this process (any mapping whose
/// permissions start with `r`: heap, stacks, data, code, libraries, and the pool's scratch
/// pages), except `buffer` itself. Candidates are found by their first byte with `memchr` (one
/// byte is no secret), then compared masked.
fn scan_readable_memory(needle: &Masked, buffer: &mut ScanBuffer) -> Scan {
    let mut maps = String::new();
    File::open("/proc/self/maps")
        .and_then(|mut file| file.read_to_string(&mut maps))
        .expect("read /proc/self/maps");
    let mem = File::open("/proc/self/mem").expect("open /proc/self/mem");
    let skip = buffer.addr..buffer.addr + buffer.len;
    let overlap = needle.len() - 1;
    let first = needle.byte(0);
    let mut scan = Scan::default();
    for line in maps.lines() {
        let mut words = line.split_whitespace();
        let (Some(range), Some(perms)) = (words.next(), words.next()) else {
            continue;
        };
        if !perms.starts_with('r') {
            continue;
        }
        let (start, end) = range.split_once('-').expect("a range in /proc/self/maps");
        let start = usize::from_str_radix(start, 16).expect("hex start");
        let end = usize::from_str_radix(end, 16).expect("hex end");
        let secretmem = is_secretmem(line);
        // The mapping, less the scan buffer (which may have merged into it).
        let parts = [
            (start, end.min(skip.start).max(start)),
            (start.max(skip.end).min(end), end),
        ];
        scan.searched += 1;
        scan.in_process += usize::from(secretmem);
        'part: for (part_start, part_end) in parts {
            let mut at = part_start;
            while at + overlap < part_end {
                let len = buffer.len.min(part_end - at);
                let chunk = &mut buffer.bytes()[..len];
                if !read_as_the_scan(&mem, secretmem, at, chunk) {
                    scan.unreadable.push(line.to_owned());
                    break 'part;
                }
                scan.bytes += len;
                let mut from = 0;
                while from < len {
                    // SAFETY: `chunk[from..len]` is initialised memory of the buffer.
                    let found = unsafe {
                        libc::memchr(
                            chunk[from..].as_ptr().cast(),
                            libc::c_int::from(first),
                            len - from,
                        )
                    };
                    if found.is_null() {
                        break;
                    }
                    let offset = found as usize - chunk.as_ptr() as usize;
                    if needle.is_prefix_of(&chunk[offset..]) {
                        scan.hits.push(at + offset);
                    }
                    from = offset + 1;
                }
                // The next chunk starts `overlap` bytes back, so a copy across the boundary is
                // seen; one wholly in the overlap did not fit in this chunk, so none is seen twice.
                at += len - overlap;
            }
        }
    }
    buffer.zero();
    scan
}

/// Fails if `scan` found the needle anywhere, naming the first few places.
#[track_caller]
fn assert_nowhere(scan: &Scan, what: &str) {
    assert!(
        scan.hits.is_empty(),
        "{what}: {} copies in readable memory, the first at {:x?}",
        scan.hits.len(),
        &scan.hits[..scan.hits.len().min(8)]
    );
}

/// Whether the `needle.len()` bytes at `addr`, read as the scan reads them, are `needle`;
/// `vmas` are the process's mappings.
fn holds(vmas: &[Vma], addr: usize, needle: &Masked, buffer: &mut ScanBuffer) -> bool {
    let secretmem = vma_at(vmas, addr).is_some_and(|vma| vma.perms.ends_with('s'));
    let mem = File::open("/proc/self/mem").expect("open /proc/self/mem");
    let chunk = &mut buffer.bytes()[..needle.len()];
    let read = read_as_the_scan(&mem, secretmem, addr, chunk);
    let same = read && needle.is_prefix_of(chunk);
    buffer.zero();
    same
}

/// Sealed 32-byte boxes in [`no_plaintext_of_sealed_values_in_readable_memory`].
const SCANNED_BOXES: usize = 1_000;
/// The bytes every scanned value starts with.
const HEAD: usize = 16;
/// Lengths of the scanned `SecretVec<u8, Sealed>`s; the last is over 1,024 bytes (dedicated
/// pages, `PROT_NONE` at rest).
const SCANNED_VECS: [usize; 7] = [16, 17, 33, 100, 500, 1024, 2000];
/// Lengths of the scanned `SecretString<Sealed>`s.
const SCANNED_STRINGS: [usize; 3] = [16, 40, 300];
/// Scanned `#[derive(Secret)]` values.
const SCANNED_TOKENS: usize = 20;

/// Every sealed value of the scan, borrowed.
fn borrow_all<'a>(
    boxes: &'a [Key],
    vecs: &'a [SecretVec<u8, Sealed>],
    strings: &'a [SecretString<Sealed>],
    tokens: &'a [Token],
) -> Vec<Ref<'a, [u8]>> {
    let mut all: Vec<Ref<'a, [u8]>> = Vec::new();
    all.extend(boxes.iter().map(|b| Ref::map(b.borrow(), |v| &v[..])));
    all.extend(vecs.iter().map(SecretVec::borrow));
    all.extend(strings.iter().map(|s| Ref::map(s.borrow(), str::as_bytes)));
    all.extend(tokens.iter().map(|t| Ref::map(t.borrow(), |v| &v[..])));
    all
}

/// With 1,000 live `SecretBox<[u8; 32], Sealed>`, seven `SecretVec<u8, Sealed>` (16 to 1,024
/// bytes, and one of 2,000 on dedicated pages), three `SecretString<Sealed>` and 20 values of
/// a `#[derive(Secret)]` type over sealed storage, all starting with the same 16 random
/// printable bytes (the head, drawn for this run and never held unmasked in ordinary memory)
/// followed by random bytes of their own, and one box in ten rewritten through `borrow_mut`,
/// a scan of every readable mapping of the process (heap, stacks, data, code, libraries,
/// scratch pages: through `/proc/self/mem`, and `memfd_secret` mappings, which it cannot read,
/// with loads in the process) finds no copy of the head, so no copy of any value:
///
/// * at rest;
/// * again after every value was borrowed at once and all those borrows ended (the scratch
///   slots were zeroed);
/// * again after the test's own control copy was zeroed and dropped.
///
/// Controls: with every value borrowed at once, the same scan finds the head at every `Ref`'s
/// address, and the whole value there (the scan sees the scratch pages, under both backends);
/// and it finds a plain `Vec` copy of one value.
///
/// It fails if the storage kept plaintext in ordinary memory (a `seal` that copies), or if a
/// constructor's, a `Ref`'s or a `RefMut`'s scratch slot were not zeroed at its end.
#[test]
fn no_plaintext_of_sealed_values_in_readable_memory() {
    for_each_backend("no_plaintext_of_sealed_values_in_readable_memory", |_| {
        let head = Masked::random_ascii(HEAD);
        let started = Instant::now();
        let mut boxes: Vec<Key> = (0..SCANNED_BOXES)
            .map(|_| {
                Key::new_in(Sealed, |v| {
                    v.randomize();
                    head.write_to(v);
                })
            })
            .collect::<Result<_, _>>()
            .expect("sealed boxes");
        let vecs: Vec<SecretVec<u8, Sealed>> = SCANNED_VECS
            .iter()
            .map(|&len| {
                SecretVec::new_in(Sealed, len, |v| {
                    v.randomize();
                    head.write_to(v);
                })
            })
            .collect::<Result<_, _>>()
            .expect("sealed vecs");
        let strings: Vec<SecretString<Sealed>> = SCANNED_STRINGS
            .iter()
            .map(|&len| {
                SecretString::try_new_in(Sealed, len, |v| {
                    v.randomize();
                    for byte in v.iter_mut() {
                        *byte = 0x21 + *byte % 94;
                    }
                    head.write_to(v);
                    Ok::<(), Error>(())
                })
            })
            .collect::<Result<_, _>>()
            .expect("sealed strings");
        let tokens: Vec<Token> = (0..SCANNED_TOKENS)
            .map(|_| {
                Token::new(|v| {
                    v.randomize();
                    head.write_to(v);
                })
            })
            .collect::<Result<_, _>>()
            .expect("sealed tokens");
        // One box in ten rewritten (its tail): a `RefMut`'s slot must be zeroed too.
        for secret in boxes.iter_mut().step_by(10) {
            secret.borrow_mut()[31] ^= 0x55;
        }
        let made = started.elapsed();
        // Each value, whole, masked (read back once through a borrow).
        let whole: Vec<Masked> = borrow_all(&boxes, &vecs, &strings, &tokens)
            .iter()
            .map(|value| Masked::of_secret(value))
            .collect();
        let count = whole.len();
        let mut buffer = ScanBuffer::new(1 << 20);

        // At rest: nowhere.
        let started = Instant::now();
        let at_rest = scan_readable_memory(&head, &mut buffer);
        let took = started.elapsed();
        println!(
            "FIGURES {count} sealed values made in {made:?}; one scan of {} readable mappings \
             ({} MiB, {} memfd_secret ones read in the process) took {took:?}; the kernel \
             would not read {:?}",
            at_rest.searched,
            at_rest.bytes >> 20,
            at_rest.in_process,
            at_rest.unreadable
        );
        assert!(at_rest.bytes > 0, "the scan read nothing: {at_rest:?}");
        assert_nowhere(&at_rest, "sealed values at rest");

        // The control: every value borrowed at once is found, whole, at its Ref's address.
        let open = borrow_all(&boxes, &vecs, &strings, &tokens);
        let addresses: Vec<usize> = open.iter().map(|value| value.as_ptr() as usize).collect();
        let borrowed = scan_readable_memory(&head, &mut buffer);
        let hits: HashSet<usize> = borrowed.hits.iter().copied().collect();
        let missed: Vec<usize> = (0..count)
            .filter(|&i| !hits.contains(&addresses[i]))
            .collect();
        assert!(
            missed.is_empty(),
            "the scan must find every borrowed value at its Ref's address; it missed {} of \
             {count} (e.g. value {:?}); {} hits, scan {:?}",
            missed.len(),
            missed.first(),
            hits.len(),
            (borrowed.searched, borrowed.bytes, borrowed.in_process)
        );
        let vmas = mappings();
        for (i, (&at, needle)) in addresses.iter().zip(&whole).enumerate() {
            assert!(
                holds(&vmas, at, needle, &mut buffer),
                "the scan reads value {i} whole at {at:#x}"
            );
        }
        let stray: Vec<usize> = hits
            .difference(&addresses.iter().copied().collect())
            .copied()
            .collect();
        println!(
            "control: all {count} borrowed values found at their Refs' addresses ({} hits, {} \
             elsewhere: {stray:x?})",
            hits.len(),
            stray.len()
        );
        drop(open);

        // The borrows ended: their scratch slots hold nothing any more.
        let released = scan_readable_memory(&head, &mut buffer);
        assert_nowhere(&released, "sealed values after every borrow ended");

        // The control on plain memory: a plain copy is found where it is.
        let mut copy: Vec<u8> = boxes[7].borrow().to_vec();
        let found = scan_readable_memory(&head, &mut buffer);
        assert!(
            found.hits.contains(&(copy.as_ptr() as usize)),
            "the scan must find a plain copy at {:#x}: {:x?}",
            copy.as_ptr() as usize,
            found.hits
        );
        assert!(holds(
            &mappings(),
            copy.as_ptr() as usize,
            &whole[7],
            &mut buffer
        ));
        copy.zero();
        drop(copy);
        let after = scan_readable_memory(&head, &mut buffer);
        assert_nowhere(&after, "the test's own control copy, zeroed and dropped");

        // The values are intact.
        for (i, (value, needle)) in borrow_all(&boxes, &vecs, &strings, &tokens)
            .iter()
            .zip(&whole)
            .enumerate()
        {
            assert!(
                value.len() == needle.len() && needle.is_prefix_of(value),
                "value {i}"
            );
        }
        println!("FIGURES the whole scenario took {:?}", started.elapsed());
    })
    .assert_success();
}

// ------------------------------------------------------------------------------------------
// 2. The key page

/// Checks the key page's mapping at rest: one page of its own, no access, locked, out of dumps
/// and forks, between guard pages.
fn assert_key_page_at_rest(backend: Backend, key: usize, when: &str) {
    let page = page_of(key);
    let vmas = mappings();
    let own =
        vma_at(&vmas, key).unwrap_or_else(|| panic!("{when}: the key {key:#x} is in no mapping"));
    assert_eq!(
        (own.start, own.end),
        (page, page + page_size()),
        "{when}: the key page is a mapping of its own: {own:?}"
    );
    assert_eq!(
        own.perms,
        data_perms(backend, Access::None),
        "{when}: the key page is inaccessible: {own:?}"
    );
    assert!(
        own.has_flag("lo"),
        "{when}: the key page is locked: {own:?}"
    );
    assert!(
        own.locked_kb > 0,
        "{when}: the key page is resident and locked: {own:?}"
    );
    assert!(
        own.has_flag("dd"),
        "{when}: MADV_DONTDUMP on the key page: {own:?}"
    );
    assert!(
        own.has_flag("dc"),
        "{when}: MADV_DONTFORK on the key page: {own:?}"
    );
    for neighbour in [page - page_size(), page + page_size()] {
        let guard = vma_at(&vmas, neighbour)
            .unwrap_or_else(|| panic!("{when}: no guard mapping at {neighbour:#x}"));
        assert_eq!(
            guard.perms,
            guard_perms(backend),
            "{when}: the guard beside the key page: {guard:?}"
        );
    }
}

/// There is no key page before the first sealed secret. After 200 sealed secrets were made,
/// borrowed and rewritten, `/proc/self/smaps` shows the key page (`sealed_key_page()`: one key
/// for all of them) as a mapping of one page, inaccessible (`---s` memfd_secret, `---p`
/// sodium), locked (`lo`), out of core dumps (`dd`) and forks (`dc`), between guard pages; it
/// is inaccessible again while a `Ref` lives (the key is open only during the decryption).
/// Under the sodium backend `/proc/self/mem` reads it (anonymous memory): 48 bytes that are not
/// zero, the key and nonce prefix (a control that the address is the key's); under
/// memfd_secret it cannot (`EIO`). Then a plain load of the key kills the process (SIGSEGV).
/// Control: the same load of a plain heap value succeeds.
///
/// It fails if the key page were left readable at rest (or not locked, dumpable, inherited).
#[test]
fn key_page_is_inaccessible_at_rest() {
    for_each_locking_backend("key_page_is_inaccessible_at_rest", |backend| {
        assert_eq!(
            sealed_key_page(),
            None,
            "no key page before the first sealed secret"
        );
        let mut secrets: Vec<Key> = (0..200)
            .map(|i| Key::new_in(Sealed, |v| *v = pattern(i, 0x21)))
            .collect::<Result<_, _>>()
            .expect("sealed boxes");
        let key = sealed_key_page().expect("a key page once a sealed secret exists");
        for (i, secret) in secrets.iter_mut().enumerate().step_by(7) {
            assert_eq!(*secret.borrow(), pattern(i as u32, 0x21));
            secret.borrow_mut()[0] ^= 0xFF;
        }
        assert_eq!(sealed_key_page(), Some(key), "one key for the process");
        assert_key_page_at_rest(backend, key, "at rest");
        let open = secrets[3].borrow();
        assert_key_page_at_rest(backend, key, "while a Ref lives");
        drop(open);
        match backend {
            Backend::Sodium => {
                let mut material =
                    read_own_memory(key, 48).expect("/proc/self/mem reads a PROT_NONE page");
                assert!(
                    material.iter().any(|&b| b != 0),
                    "the key page holds the key"
                );
                material.zero();
            }
            Backend::MemfdSecret => {
                let err = read_own_memory(key, 48)
                    .expect_err("/proc/self/mem must not read memfd_secret pages");
                assert_eq!(err.raw_os_error(), Some(libc::EIO), "{err}");
            }
            other => panic!("no expectation for {other:?}"),
        }
        let value = pattern(1, 0x22);
        let plain = Box::new(value);
        assert_eq!(read_byte(plain.as_ptr() as usize), value[0]);
        println!("{CONTROL_READ}");
        println!("{ATTACK_READ} {key:#x}");
        let byte = read_byte(key);
        println!("{ATTACK_SURVIVED}: {byte:#x}");
    })
    .check(assert_died_on_the_protected_read);
}

// ------------------------------------------------------------------------------------------
// 3. Tampering

/// The line a child prints once its controls passed and it is about to borrow a tampered value.
const TAMPERED: &str = "BORROWING-A-TAMPERED-VALUE";
/// The line a child prints if that borrow returned.
const TAMPER_SURVIVED: &str = "THE-TAMPERED-BORROW-RETURNED";
/// What the process says before it aborts.
const ABORT_MESSAGE: &str = "a sealed secret did not authenticate";

/// The sealed bytes of a 32-byte box, `counter | ciphertext | tag`, at its rest address.
const SEALED_32: usize = COUNTER + 32 + TAG;

/// Reads the `SEALED_32` bytes at `addr`: a sealed value's heap buffer, ordinary memory.
fn read_sealed(addr: usize) -> [u8; SEALED_32] {
    // SAFETY: `addr` is the rest address of a live sealed box: its heap buffer of SEALED_32
    // bytes, ordinary readable memory; read by value, no reference kept.
    unsafe { std::ptr::read_volatile(addr as *const [u8; SEALED_32]) }
}

/// Writes `bytes` over the sealed buffer at `addr`: the corruption the tag must catch.
fn write_sealed(addr: usize, bytes: [u8; SEALED_32]) {
    // SAFETY: as in `read_sealed`; the buffer is ordinary writable heap memory that no
    // reference points into while this runs (no borrow of its box is alive). Writing it
    // behind the library's back is the attack under test.
    unsafe { std::ptr::write_volatile(addr as *mut [u8; SEALED_32], bytes) }
}

/// Checks a child that passed its controls, then aborted on the borrow of a tampered value
/// with the message that says why.
fn assert_aborted_on_the_tampered_borrow(outcome: &ChildOutcome) {
    assert_killed_by_the_attack(
        outcome,
        TAMPERED,
        "the borrow of the tampered value",
        libc::SIGABRT,
    );
    assert!(
        outcome.stderr.contains(ABORT_MESSAGE),
        "{}: the abort must say why: {outcome:?}",
        outcome.who()
    );
}

/// Flips bit `bit` of byte `at` of a sealed box's buffer (counter, ciphertext, tag), then
/// borrows it. Control first: the same flip undone leaves a box that borrows its value.
fn flip_and_borrow(at: usize, bit: u8) {
    let value = pattern(3, 0x31);
    let secret = Key::new_in(Sealed, |v| *v = value).expect("a sealed box");
    let neighbour = Key::new_in(Sealed, |v| *v = pattern(4, 0x31)).expect("a sealed box");
    let rest = secret.__rest_address();
    let sealed = read_sealed(rest);
    let mut flipped = sealed;
    flipped[at] ^= 1 << bit;
    write_sealed(rest, flipped);
    write_sealed(rest, sealed);
    assert_eq!(
        *secret.borrow(),
        value,
        "the flip undone: the value borrows"
    );
    println!("{CONTROL_READ}");
    write_sealed(rest, flipped);
    assert_eq!(
        *neighbour.borrow(),
        pattern(4, 0x31),
        "the neighbour is untouched"
    );
    println!("{TAMPERED} byte {at} bit {bit}");
    let read = *secret.borrow() == value;
    println!("{TAMPER_SURVIVED}: it read the original value: {read}");
}

/// One bit of a sealed box's ciphertext flipped in its heap buffer (ordinary memory): the next
/// borrow aborts the process (SIGABRT) with "a sealed secret did not authenticate" on stderr.
/// Control: the same flip undone borrows the value, and a neighbour borrows fine.
///
/// It fails if a failed tag were not fatal (the borrow would return).
#[test]
fn a_flipped_ciphertext_bit_aborts_on_borrow() {
    for_each_backend("a_flipped_ciphertext_bit_aborts_on_borrow", |_| {
        flip_and_borrow(COUNTER + 13, 5);
    })
    .check(assert_aborted_on_the_tampered_borrow);
}

/// As [`a_flipped_ciphertext_bit_aborts_on_borrow`], for a bit of the stored nonce counter.
#[test]
fn a_flipped_counter_bit_aborts_on_borrow() {
    for_each_backend("a_flipped_counter_bit_aborts_on_borrow", |_| {
        flip_and_borrow(0, 0);
    })
    .check(assert_aborted_on_the_tampered_borrow);
}

/// As [`a_flipped_ciphertext_bit_aborts_on_borrow`], for a bit of the tag.
#[test]
fn a_flipped_tag_bit_aborts_on_borrow() {
    for_each_backend("a_flipped_tag_bit_aborts_on_borrow", |_| {
        flip_and_borrow(SEALED_32 - 1, 7);
    })
    .check(assert_aborted_on_the_tampered_borrow);
}

/// The whole sealed buffers (counter, ciphertext, tag: 56 bytes) of two boxes of the same
/// length swapped: the next borrow of either aborts (SIGABRT) with the message. Each buffer
/// authenticates only in its own container (the container's id is the associated data).
/// Control: swapped back, both borrow their values.
///
/// It fails if the associated data did not bind a ciphertext to its container (the borrow
/// would return the other box's value).
#[test]
fn swapped_ciphertexts_abort_on_borrow() {
    for_each_backend("swapped_ciphertexts_abort_on_borrow", |_| {
        let a = Key::new_in(Sealed, |v| *v = pattern(1, 0x32)).expect("box A");
        let b = Key::new_in(Sealed, |v| *v = pattern(2, 0x32)).expect("box B");
        let (a_at, b_at) = (a.__rest_address(), b.__rest_address());
        let (a_sealed, b_sealed) = (read_sealed(a_at), read_sealed(b_at));
        assert_ne!(a_sealed, b_sealed);
        write_sealed(a_at, b_sealed);
        write_sealed(b_at, a_sealed);
        write_sealed(a_at, a_sealed);
        write_sealed(b_at, b_sealed);
        assert_eq!(*a.borrow(), pattern(1, 0x32), "swapped back: A");
        assert_eq!(*b.borrow(), pattern(2, 0x32), "swapped back: B");
        println!("{CONTROL_READ}");
        write_sealed(a_at, b_sealed);
        write_sealed(b_at, a_sealed);
        println!("{TAMPERED} A holds B's ciphertext");
        let read = *a.borrow() == pattern(2, 0x32);
        println!("{TAMPER_SURVIVED}: A read B's value: {read}");
    })
    .check(assert_aborted_on_the_tampered_borrow);
}

/// The controls of the tampering tests, in a process that changes no ciphertext behind the
/// library's back but for one rollback: boxes, a vec and a string are made, borrowed,
/// rewritten and borrowed again, and the process exits normally. A rewrite changes the stored
/// counter (a new nonce) and the whole ciphertext.
///
/// And the documented limit: a box given back an older ciphertext of its own (copied before a
/// `borrow_mut`, written back after) is *not* detected: the borrow yields the older value.
#[test]
fn untampered_and_rolled_back_ciphertexts_borrow_fine() {
    for_each_backend("untampered_and_rolled_back_ciphertexts_borrow_fine", |_| {
        let mut boxes: Vec<Key> = (0..50)
            .map(|i| Key::new_in(Sealed, |v| *v = pattern(i, 0x34)))
            .collect::<Result<_, _>>()
            .expect("sealed boxes");
        let mut text = SecretString::from_bytes_in(Sealed, &mut b"correct horse battery".to_vec())
            .expect("a sealed string");
        let mut vec =
            SecretVec::<u8, Sealed>::new_in(Sealed, 300, |v| v.fill(0x5C)).expect("a vec");
        for (i, secret) in boxes.iter_mut().enumerate() {
            assert_eq!(*secret.borrow(), pattern(i as u32, 0x34));
            let before = read_sealed(secret.__rest_address());
            secret.borrow_mut()[9] ^= 0x40;
            let after = read_sealed(secret.__rest_address());
            assert_ne!(before[..COUNTER], after[..COUNTER], "a new nonce counter");
            assert_ne!(before[COUNTER..], after[COUNTER..], "a new ciphertext");
            let mut expected = pattern(i as u32, 0x34);
            expected[9] ^= 0x40;
            assert_eq!(*secret.borrow(), expected);
        }
        text.borrow_mut().make_ascii_uppercase();
        assert_eq!(&*text.borrow(), "CORRECT HORSE BATTERY");
        vec.borrow_mut()[299] = 1;
        assert!(vec.borrow()[..299].iter().all(|&b| b == 0x5C) && vec.borrow()[299] == 1);

        // The rollback.
        let secret = &mut boxes[0];
        let at = secret.__rest_address();
        let old_value = *secret.borrow();
        let old = read_sealed(at);
        secret.borrow_mut().fill(0xEE);
        assert_eq!(*secret.borrow(), [0xEE; 32], "the new value");
        write_sealed(at, old);
        assert_eq!(
            *secret.borrow(),
            old_value,
            "a rollback to the container's own older ciphertext is not detected (the \
                 documented limit): the borrow yields the older value"
        );
        println!("ROLLBACK not detected, as documented");
    })
    .check(|outcome| {
        outcome.assert_success();
        assert!(outcome.stdout.contains("ROLLBACK"), "{outcome:?}");
    });
}

// ------------------------------------------------------------------------------------------
// 4. Scratch slots

/// The scratch slot a sealed value is decrypted into:
///
/// * the one its constructor filled holds zeros once the value is sealed;
/// * nested `Ref`s share one slot, which holds the value while one lives (the control: the
///   read sees a value where there is one) and zeros after the last;
/// * a `RefMut`'s slot holds the changed value while it lives and zeros after, and the change
///   was sealed: it reads back;
/// * the value's rest address holds ciphertext, never the value.
///
/// It fails if the end of a borrow (or of a constructor) left the slot unzeroed.
#[test]
fn scratch_slot_is_zero_after_the_last_ref() {
    for_each_backend("scratch_slot_is_zero_after_the_last_ref", |_| {
        let value = pattern(7, 0x44);
        let mut filled = 0;
        let mut secret = Key::new_in(Sealed, |v| {
            *v = value;
            filled = v.as_ptr() as usize;
        })
        .expect("a sealed box");
        assert_eq!(read_scratch(filled), [0u8; 32], "the constructor's slot");
        let rest = read_sealed(secret.__rest_address());
        assert!(
            !scan_contains(&rest, &value[..8]),
            "the rest address holds ciphertext"
        );

        let changed = check_scratch_slot_of_borrows(&mut secret, value);
        let open = secret.borrow();
        assert_eq!(*open, changed, "the change was sealed");
        let copy = open.as_ptr() as usize;
        drop(open);
        assert_eq!(read_scratch(copy), [0u8; 32], "and zero after that Ref");
    })
    .assert_success();
}

/// Whether `needle` occurs in `haystack`.
fn scan_contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// What containers and AWS Lambda give.
const LIMIT_64_KIB: u64 = 64 * 1024;

/// Without `CAP_IPC_LOCK`, under a 64 KiB `RLIMIT_MEMLOCK`: 2,000 sealed secrets are made (no
/// locked memory of their own), then borrowed and held until a borrow is refused; the refusal
/// is `Error::ScratchExhausted` (its cause the lock limit) from `try_borrow` and
/// `try_borrow_mut`, a panic with that text from `borrow`. Every held borrow reads right, and
/// once they end every secret borrows again (the control).
#[test]
fn scratch_exhausted_is_a_typed_error() {
    for_each_locking_backend("scratch_exhausted_is_a_typed_error", |backend| {
        drop_ipc_lock();
        set_memlock_limit(LIMIT_64_KIB);
        assert_eq!(memlock_limit(), (LIMIT_64_KIB, LIMIT_64_KIB));
        let mut live: Vec<Key> = (0..2_000)
            .map(|i| Key::new_in(Sealed, |v| *v = pattern(i, 0x45)))
            .collect::<Result<_, _>>()
            .expect("2,000 sealed secrets under 64 KiB");
        let (held, aside) = live.split_at_mut(1_900);
        let (refs, refused) = borrow_until_refused(held);
        let refused = refused.expect("no borrow refused under 64 KiB");
        println!(
            "SCRATCH {}: {} borrows held under 64 KiB, then: {refused}",
            backend_name(backend),
            refs.len()
        );
        assert_exhausted_by_the_lock_limit(&refused, refs.len(), None);
        for (i, open) in refs.iter().enumerate() {
            assert_eq!(**open, pattern(i as u32, 0x45), "held borrow {i}");
        }
        assert_write_refused(&mut aside[0]);
        assert_borrow_panics_without_scratch(&held[refs.len()]);
        drop(refs);
        for (i, secret) in live.iter().enumerate() {
            assert_eq!(
                *secret.try_borrow().expect("a scratch slot again"),
                pattern(i as u32, 0x45)
            );
        }
    })
    .assert_success();
}

// ------------------------------------------------------------------------------------------
// 5. Fork

/// Exit codes of the forked child in [`fork_child_gets_no_key`], one per failed check, besides
/// those of `inherited` (11 to 14).
const KEY_PAGE_MAPPED: i32 = 10;
const KEY_PAGE_INHERITED: i32 = 15;
const NO_OWN_KEY_PAGE: i32 = 16;
const CIPHERTEXT_NOT_INHERITED: i32 = 17;

/// A borrow tried in a forked child, returning the byte it read.
type Attempt<'a> = Box<dyn FnOnce() -> u8 + 'a>;

/// After a process makes sealed secrets (300 boxes, a vec and a string), a child made by
/// `fork`:
///
/// * inherits the ciphertexts (its heap is a copy: the bytes at each rest address are the
///   parent's) but not the key: the parent's key page is not mapped in the child, no key is
///   current there (`sealed_key_page()` is `None`), and a read of the key kills it (SIGSEGV);
/// * has no `memfd_secret` descriptor open;
/// * panics on `borrow()` and `borrow_mut()` of an inherited secret, with the "belongs to the
///   parent process" message;
/// * makes sealed secrets of its own, under a key page of its own (inaccessible at rest), and
///   reads them back;
/// * drops every inherited secret and exits normally, and the parent's values are intact
///   after (each borrowed and rewritten).
///
/// Controls: a forked child reads a plain heap value; the descriptor check sees a raw
/// `memfd_secret` descriptor while it is open.
///
/// It fails if a child could use an inherited secret (the borrow would not panic: with the
/// fork check removed, the child dies of SIGSEGV on the parent's key page) or if its drops
/// touched the parent's memory.
#[test]
fn fork_child_gets_no_key() {
    for_each_backend("fork_child_gets_no_key", |backend| {
        control_secretmem_fds();

        let mut inherited: Vec<Key> = (0..300)
            .map(|i| Key::new_in(Sealed, |v| *v = pattern(i, 0x55)))
            .collect::<Result<_, _>>()
            .expect("sealed boxes");
        let mut vec =
            SecretVec::<u8, Sealed>::new_in(Sealed, 100, |v| v.fill(0xA7)).expect("a sealed vec");
        let mut text = SecretString::from_bytes_in(Sealed, &mut b"open sesame".to_vec())
            .expect("a sealed string");
        assert_eq!(
            secretmem_fds(),
            Vec::<String>::new(),
            "no memfd_secret descriptor stays open"
        );
        // A value borrowed while the children are forked, its `Ref` forgotten so that the
        // container can be dropped in a child with its scratch slot still held (in the parent).
        let mut lent = Some(Key::new_in(Sealed, |v| *v = pattern(9, 0x56)).expect("a lent box"));
        let open = lent.as_ref().expect("the lent box").borrow();
        let copy = open.as_ptr() as usize;
        std::mem::forget(open);
        let key = sealed_key_page().expect("the parent's key page");
        let ciphertexts: Vec<[u8; SEALED_32]> = inherited
            .iter()
            .map(|secret| read_sealed(secret.__rest_address()))
            .collect();

        // Control: a forked child reads plain memory.
        let plain = Box::new(pattern(0, 0x55));
        let plain_at = plain.as_ptr() as usize;
        let forked = fork_and_read(plain_at, |byte| byte == pattern(0, 0x55)[0]);
        assert_eq!(forked.ended, Ended::Exited(READ_VALUE), "{forked:?}");

        // The ciphertexts are there, the key is not; no borrow; its own key; drops harmless.
        let forked = fork_and_wait(|| {
            for (secret, sealed) in inherited.iter().zip(&ciphertexts) {
                if read_sealed(secret.__rest_address()) != *sealed {
                    return CIPHERTEXT_NOT_INHERITED;
                }
            }
            // An inherited key page would carry MADV_DONTDUMP, which nothing the child maps by
            // itself (ASan's allocator may take the hole) has.
            let vmas = mappings();
            if let Some(vma) = vmas
                .iter()
                .find(|vma| vma.start <= key && key < vma.end && vma.has_flag("dd"))
            {
                eprintln!("the parent's key page is mapped in the child: {vma:?}");
                return KEY_PAGE_MAPPED;
            }
            if sealed_key_page().is_some() {
                eprintln!("the child has a key page before making a sealed secret");
                return KEY_PAGE_INHERITED;
            }
            if let Err(code) = no_secretmem_fd() {
                return code;
            }
            let (first, rest) = inherited.split_at_mut(1);
            let attempts: [(&str, Attempt<'_>); 4] = [
                ("borrow", Box::new(|| first[0].borrow()[0])),
                ("vec borrow", Box::new(|| vec.borrow()[0])),
                ("string borrow", Box::new(|| text.borrow().as_bytes()[0])),
                ("borrow_mut", Box::new(|| rest[0].borrow_mut()[0])),
            ];
            for (what, attempt) in attempts {
                if let Err(code) = borrow_refused(what, attempt) {
                    return code;
                }
            }
            let own = match own_secrets_read_back(Sealed) {
                Ok(own) => own,
                Err(code) => return code,
            };
            let Some(own_key) = sealed_key_page() else {
                return NO_OWN_KEY_PAGE;
            };
            let own_page = mapping_of(own_key);
            if own_page.perms != data_perms(backend, Access::None) || !own_page.has_flag("dd") {
                eprintln!("the child's key page: {own_page:?}");
                return NO_OWN_KEY_PAGE;
            }
            eprintln!("the child's own key at {own_key:#x} (the parent's at {key:#x})");
            drop(own);
            inherited.clear();
            drop(lent.take());
            0
        });
        assert_eq!(forked.ended, Ended::Exited(0), "{forked:?}");

        // An attacker in the child cannot read the parent's key: nothing is mapped there.
        let forked = fork_and_read(key, |byte| byte != 0);
        assert_eq!(forked.ended, Ended::Signaled(libc::SIGSEGV), "{forked:?}");

        // Nor the scratch copy of the value the parent holds borrowed (read-write there).
        assert_eq!(
            read_scratch(copy),
            pattern(9, 0x56),
            "the parent's borrowed copy"
        );
        let forked = fork_and_read(copy, |byte| byte == pattern(9, 0x56)[0]);
        assert_eq!(forked.ended, Ended::Signaled(libc::SIGSEGV), "{forked:?}");

        // The parent's values are intact, its key unchanged and at rest; the lent value's
        // slot is zeroed when it is dropped.
        let lent = lent.expect("the lent box");
        assert_eq!(*lent.borrow(), pattern(9, 0x56), "the lent box");
        drop(lent);
        assert_eq!(
            read_scratch(copy),
            [0u8; 32],
            "the lent box's slot after its drop"
        );
        assert_eq!(sealed_key_page(), Some(key));
        for (i, value) in inherited.iter_mut().enumerate() {
            assert_eq!(*value.borrow(), pattern(i as u32, 0x55), "parent's box {i}");
            value.borrow_mut()[0] ^= 1;
        }
        assert!(vec.borrow().iter().all(|&b| b == 0xA7), "parent's vec");
        vec.borrow_mut()[0] = 0;
        text.borrow_mut().make_ascii_uppercase();
        assert_eq!(&*text.borrow(), "OPEN SESAME", "parent's string");
        let at_rest = mapping_of(key);
        assert_eq!(
            at_rest.perms,
            data_perms(backend, Access::None),
            "{at_rest:?}"
        );
    })
    .assert_success();
}

// ------------------------------------------------------------------------------------------
// 6. Threads

const THREADS: usize = 8;
/// Sealed secrets each thread owns (and rewrites).
const OWNED: usize = 40;
/// Rounds per thread: a borrow of an owned secret, a borrow of the shared one (held across
/// the next round half the time, so `Ref`s overlap within and across threads), a `borrow_mut`
/// of an owned secret and, one round in eight, an owned secret replaced by a new one.
const ROUNDS: usize = 3_000;
/// Rounds per thread under delayed `mprotect` (each key page opening waits up to the delay).
const DELAYED_ROUNDS: usize = 1_000;
const MPROTECT_DELAY: Duration = Duration::from_micros(100);

/// The value of owned secret `k` of thread `t` after `writes` rewrites.
fn owned_value(t: usize, k: usize, writes: u8) -> [u8; 32] {
    let mut value = pattern((t * 1000 + k) as u32, 0x70);
    value[31] = value[31].wrapping_add(writes);
    value
}

/// The storm of [`eight_threads_borrow_and_reseal`]; returns a line of figures.
fn borrow_storm(rounds: usize) -> String {
    let shared = Key::new_in(Sealed, |v| *v = pattern(0, 0x71)).expect("the shared secret");
    let shared_vec =
        SecretVec::<u8, Sealed>::new_in(Sealed, 200, |v| v.fill(0x72)).expect("a shared vec");
    let mut owned: Vec<Vec<(Key, usize, u8)>> = (0..THREADS)
        .map(|t| {
            (0..OWNED)
                .map(|k| {
                    let secret = Key::new_in(Sealed, |v| *v = owned_value(t, k, 0))
                        .expect("an owned secret");
                    (secret, k, 0)
                })
                .collect()
        })
        .collect();
    let holding = AtomicUsize::new(0);
    let most_holding = AtomicUsize::new(0);
    let start = Barrier::new(THREADS);
    let began = Instant::now();
    std::thread::scope(|scope| {
        for (t, secrets) in owned.iter_mut().enumerate() {
            let (shared, shared_vec, start) = (&shared, &shared_vec, &start);
            let (holding, most_holding) = (&holding, &most_holding);
            scope.spawn(move || {
                // Every thread holds the shared secret across the start, so all eight hold it
                // at once at least then, whatever the scheduling.
                let first = shared.borrow();
                let now = holding.fetch_add(1, Ordering::SeqCst) + 1;
                most_holding.fetch_max(now, Ordering::Relaxed);
                start.wait();
                let mut rng = (t as u32 + 1).wrapping_mul(0x9E37_79B9);
                let mut held = Some(first);
                let mut next_k = OWNED;
                for round in 0..rounds {
                    rng = xorshift(rng);
                    let (secret, k, writes) = &mut secrets[rng as usize % OWNED];
                    assert_eq!(
                        *secret.borrow(),
                        owned_value(t, *k, *writes),
                        "thread {t} round {round}: its own secret"
                    );
                    let open = shared.borrow();
                    let now = holding.fetch_add(1, Ordering::SeqCst) + 1;
                    most_holding.fetch_max(now, Ordering::Relaxed);
                    assert_eq!(*open, pattern(0, 0x71), "thread {t} round {round}: shared");
                    if let Some(previous) = held.take() {
                        drop(previous);
                        holding.fetch_sub(1, Ordering::SeqCst);
                    }
                    if rng.is_multiple_of(2) {
                        held = Some(open);
                    } else {
                        drop(open);
                        holding.fetch_sub(1, Ordering::SeqCst);
                    }
                    assert!(
                        shared_vec.borrow().iter().all(|&b| b == 0x72),
                        "thread {t} round {round}: the shared vec"
                    );
                    {
                        let mut open = secret.borrow_mut();
                        assert_eq!(*open, owned_value(t, *k, *writes), "thread {t}: to write");
                        open[31] = open[31].wrapping_add(1);
                        *writes = writes.wrapping_add(1);
                    }
                    if round % 8 == 7 {
                        *secret = Key::new_in(Sealed, |v| *v = owned_value(t, next_k, 0))
                            .expect("a new sealed secret in the storm");
                        (*k, *writes) = (next_k, 0);
                        next_k += 1;
                    }
                }
                if held.take().is_some() {
                    holding.fetch_sub(1, Ordering::SeqCst);
                }
            });
        }
    });
    let elapsed = began.elapsed();
    for (t, secrets) in owned.iter().enumerate() {
        for (secret, k, writes) in secrets {
            assert_eq!(
                *secret.borrow(),
                owned_value(t, *k, *writes),
                "thread {t}'s secret {k} at the end"
            );
        }
    }
    assert_eq!(
        *shared.borrow(),
        pattern(0, 0x71),
        "the shared secret at the end"
    );
    let most = most_holding.load(Ordering::Relaxed);
    assert!(
        most >= THREADS,
        "every thread held the shared secret at the start: at most {most} at once"
    );
    format!(
        "{THREADS} threads x {rounds} rounds in {elapsed:?}; at most {most} threads held a Ref to \
         the shared secret at once (a thread may hold two)"
    )
}

/// Eight threads, for 3,000 rounds each: borrows of their own sealed secrets, of one shared
/// secret (`Ref`s held across rounds, so they overlap within and across threads) and of a
/// shared vec, a `borrow_mut` that re-seals one of their own, and one round in eight a new
/// sealed secret in place of one. Every borrow reads the value it must, during and at the end.
#[test]
fn eight_threads_borrow_and_reseal() {
    for_each_backend("eight_threads_borrow_and_reseal", |backend| {
        let figures = borrow_storm(ROUNDS);
        println!("STORM {}: {figures}", backend_name(backend));
    })
    .check(|outcome| {
        outcome.assert_success();
        assert!(outcome.stdout.contains("STORM"), "{outcome:?}");
    });
}

/// [`eight_threads_borrow_and_reseal`] (1,000 rounds) with every `mprotect` of the threads held
/// back up to 100 us (`pressure::delay_mprotect`): the key page's opening for a decryption or
/// a seal is shared by the threads inside one, and must not be closed under any of them. A
/// thread that read the key page after another closed it would die of SIGSEGV.
#[test]
fn eight_threads_borrow_and_reseal_with_delayed_mprotect() {
    for_each_backend(
        "eight_threads_borrow_and_reseal_with_delayed_mprotect",
        |backend| {
            let mprotects = delay_mprotect(MPROTECT_DELAY);
            let figures = borrow_storm(DELAYED_ROUNDS);
            println!(
                "STORM {}: {figures}; {} mprotect calls held up to {MPROTECT_DELAY:?}",
                backend_name(backend),
                mprotects.load(Ordering::Relaxed)
            );
        },
    )
    .check(|outcome| {
        assert_ne!(
            outcome.signal(),
            Some(libc::SIGSEGV),
            "{}: a thread faulted on the key page: {outcome:?}",
            outcome.who()
        );
        outcome.assert_success();
        assert!(outcome.stdout.contains("STORM"), "{outcome:?}");
    });
}
