//! Searching this process's ordinary writable memory for a secret, as a debugger, a core dump
//! or an attacker reading `/proc/<pid>/mem` would.
//!
//! [`find_in_ordinary_memory`] reads every `rw-p` mapping (heap, stacks of every thread, data
//! segments, anonymous mappings) through `/proc/self/mem`, so the kernel copies whatever the
//! pages hold, dead stack frames included, and no Rust code reads memory it does not own.
//! Guarded memory is `---p`/`---s` at rest (and out of the direct map with `memfd_secret`), so
//! it is not searched: a hit is a copy outside the guarded pages.
//!
//! The secret searched for is held as a [`Needle`]: masked (`masked[i] ^ mask[i]`), so the
//! search never puts the secret itself in ordinary memory and cannot find its own copy.
//!
//! A secret left on the stack is found only if nothing has overwritten it before the search,
//! and the search's own calls use stack below the frame that calls it. [`below`] runs an
//! operation a fixed [`BELOW`] bytes deeper than its caller, so that what the operation left in
//! its dead frames lies beyond the reach of the search's calls made from the caller.
//!
//! Every test that uses this must first find a control copy (one the test left on purpose), so
//! that a search that misses things cannot pass for a clean result.

use std::fs::File;
use std::hint::black_box;
use std::io::Read;
use std::os::unix::fs::FileExt;

/// A secret to search for, held masked: neither it nor the search ever holds it unmasked.
pub struct Needle {
    masked: Vec<u8>,
    mask: Vec<u8>,
}

impl Needle {
    /// A needle from an already masked secret and its mask.
    pub fn masked(masked: Vec<u8>, mask: Vec<u8>) -> Needle {
        assert_eq!(masked.len(), mask.len(), "a mask for every byte");
        assert!(!masked.is_empty(), "an empty needle is found everywhere");
        Needle { masked, mask }
    }

    /// A needle for `secret`, which should be guarded memory (a borrow of a container): it is
    /// read one byte at a time through `black_box` and masked at once, so no run of its bytes
    /// is copied to ordinary memory (not even to a vector register spilled to the stack).
    pub fn of_secret(secret: &[u8]) -> Needle {
        let mut mask = vec![0u8; secret.len()];
        secrets_core::Randomizable::randomize(&mut mask[..]);
        let masked = secret
            .iter()
            .zip(&mask)
            .map(|(byte, key)| black_box(*black_box(byte)) ^ key)
            .collect();
        Needle::masked(masked, mask)
    }

    /// The needle's length.
    pub fn len(&self) -> usize {
        self.masked.len()
    }

    /// Always false: an empty needle is refused.
    pub fn is_empty(&self) -> bool {
        self.masked.is_empty()
    }

    /// Whether `window` (of the needle's length) is the secret, compared byte by byte against
    /// the unmasked byte computed only at the moment of the comparison.
    fn matches(&self, window: &[u8]) -> bool {
        window
            .iter()
            .zip(self.masked.iter().zip(&self.mask))
            .all(|(byte, (masked, key))| *byte == black_box(masked ^ key))
    }
}

/// Where a needle was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The address of the copy.
    pub address: usize,
    /// The line of `/proc/self/maps` that holds it (`[stack]`, `[heap]`, or an anonymous map).
    pub mapping: String,
}

/// The first copy of `needle` in this process's ordinary writable memory (`rw-p` mappings,
/// read through `/proc/self/mem`), if there is one.
///
/// Allocates its buffers on the heap and keeps its own stack use to a few KiB; see [`below`].
pub fn find_in_ordinary_memory(needle: &Needle) -> Option<Hit> {
    let mut maps = String::new();
    File::open("/proc/self/maps")
        .and_then(|mut file| file.read_to_string(&mut maps))
        .expect("read /proc/self/maps");
    let mem = File::open("/proc/self/mem").expect("open /proc/self/mem");
    let mut chunk = vec![0u8; 1 << 20];
    let overlap = needle.len() - 1;
    for line in maps.lines() {
        let mut words = line.split_whitespace();
        let (Some(range), Some(perms)) = (words.next(), words.next()) else {
            continue;
        };
        if perms != "rw-p" {
            continue;
        }
        let (start, end) = range.split_once('-').expect("a range in /proc/self/maps");
        let start = usize::from_str_radix(start, 16).expect("hex start");
        let end = usize::from_str_radix(end, 16).expect("hex end");
        let mut at = start;
        while at + overlap < end {
            let len = chunk.len().min(end - at);
            // A page the kernel cannot read (e.g. `[vvar]`-like special mappings) ends the
            // mapping's search: it cannot hold a copy made by user code.
            if mem.read_exact_at(&mut chunk[..len], at as u64).is_err() {
                break;
            }
            if let Some(offset) = chunk[..len]
                .windows(needle.len())
                .position(|window| needle.matches(window))
            {
                return Some(Hit {
                    address: at + offset,
                    mapping: line.to_owned(),
                });
            }
            // The next chunk starts `overlap` bytes back, so a copy across the boundary is
            // seen (`len > overlap`, by the loop's condition).
            at += len - overlap;
        }
    }
    None
}

/// Bytes of stack between the caller of [`below`] and the operation it runs.
pub const BELOW: usize = 64 * 1024;

/// Runs `operation` [`BELOW`] bytes of stack deeper than the caller, so that whatever it leaves
/// in its dead frames is out of reach of the calls the caller makes next (a search through
/// [`find_in_ordinary_memory`] uses a few KiB).
#[inline(never)]
pub fn below<R>(operation: impl FnOnce() -> R) -> R {
    let mut pad = [0u8; BELOW];
    // `black_box` on both sides keeps `pad` in this frame, written, across the call.
    black_box(&mut pad);
    let result = operation();
    black_box(&mut pad);
    result
}
