//! Searching for a secret: in a file too large to hold in memory (a core dump), and in this
//! process's own ordinary writable memory.
//!
//! # Files, as a stream
//!
//! The file is read as a stream through one buffer of fixed size, so a search costs the same
//! memory whatever the file's size. A needle may straddle two reads: the last
//! `longest needle - 1` bytes of each window are carried to the front of the buffer and searched
//! again with the next read, which is exactly enough for any needle that starts in one read
//! and ends in the next, and too little for a needle wholly inside the carried bytes to be
//! counted twice (it would be found already; finding is all the search reports).
//!
//! ```text
//!   buffer: [ carried (<= longest - 1) | fresh bytes of this read (<= chunk) ]
//!             ^ end of the previous window
//! ```
//!
//! # This process's memory
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

#[cfg(any(target_os = "linux", target_os = "android"))]
use std::fs::File;
use std::hint::black_box;
use std::io::{self, Read};
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::os::unix::fs::FileExt;
use std::path::Path;

/// A secret to search for, held masked: neither it nor the search ever holds it unmasked.
pub struct Needle {
    masked: Vec<u8>,
    #[cfg_attr(
        not(any(target_os = "linux", target_os = "android")),
        expect(dead_code, reason = "read only by the memory scan, which needs /proc")
    )]
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
    #[cfg(any(target_os = "linux", target_os = "android"))]
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
/// Linux and Android only: other systems have no `/proc/self/mem` to read.
#[cfg(any(target_os = "linux", target_os = "android"))]
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

/// The bytes read at a time by [`find_in_file`].
pub const CHUNK: usize = 1 << 20;

/// Reads `reader` to its end, `chunk` bytes at a time at most, and says for each of `needles`
/// whether it occurs. Stops reading early once every needle is found. An empty needle is
/// found everywhere, an empty stream holds only the empty needle.
///
/// # Errors
/// The first read error other than `Interrupted`.
///
/// # Panics
/// If `chunk` is 0.
pub fn find_in<R: Read>(mut reader: R, needles: &[&[u8]], chunk: usize) -> io::Result<Vec<bool>> {
    assert!(chunk > 0, "a chunk of 0 bytes would never read anything");
    let mut found: Vec<bool> = needles.iter().map(|needle| needle.is_empty()).collect();
    let overlap = needles
        .iter()
        .map(|needle| needle.len().saturating_sub(1))
        .max()
        .unwrap_or(0);
    let mut buffer = vec![0u8; overlap + chunk];
    let mut carried = 0;
    while !found.iter().all(|&f| f) {
        let read = match reader.read(&mut buffer[carried..]) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        let window = &buffer[..carried + read];
        for (needle, found) in needles.iter().zip(found.iter_mut()) {
            *found = *found || contains(window, needle);
        }
        let keep = overlap.min(window.len());
        let start = window.len() - keep;
        buffer.copy_within(start..start + keep, 0);
        carried = keep;
    }
    Ok(found)
}

/// [`find_in`] on the file at `path`, [`CHUNK`] bytes at a time, after checking that the file
/// is no longer than `max_len` (a dump that large was not what the test meant to scan).
///
/// # Errors
/// The file cannot be opened or read, or is longer than `max_len` (`FileTooLarge`).
pub fn find_in_file(path: &Path, needles: &[&[u8]], max_len: u64) -> io::Result<Vec<bool>> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len > max_len {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "{} holds {len} bytes, more than the {max_len} a scan accepts",
                path.display()
            ),
        ));
    }
    // `take`, so a file that grows after the check is still read no further than the bound.
    find_in(file.take(max_len), needles, CHUNK)
}

/// Whether `needle` occurs in `haystack` (the empty needle always does).
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let last_start = match haystack.len().checked_sub(needle.len()) {
        Some(last_start) => last_start,
        None => return false,
    };
    haystack[..=last_start]
        .iter()
        .enumerate()
        .filter(|&(_, &byte)| byte == first)
        .any(|(at, _)| haystack[at + 1..].starts_with(rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per `read`, to drive the carry logic
    /// through every split of a needle.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.bytes.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn haystack_with(needle: &[u8], at: usize, len: usize) -> Vec<u8> {
        let mut haystack = vec![0x5a; len];
        haystack[at..at + needle.len()].copy_from_slice(needle);
        haystack
    }

    #[test]
    fn finds_a_needle_across_every_buffer_boundary() {
        let needle: Vec<u8> = (1..=32).collect();
        let chunk = 64;
        // Every offset of the needle relative to the chunk boundaries, including the ones where
        // it starts in one read and ends in the next, or spans three reads of a smaller chunk.
        for at in 0..(3 * chunk) {
            let haystack = haystack_with(&needle, at, 4 * chunk);
            for step_chunk in [chunk, 7, 31, 33] {
                let found = find_in(&haystack[..], &[&needle], step_chunk).unwrap();
                assert_eq!(found, [true], "needle at {at}, chunk {step_chunk}");
            }
            let trickle = Trickle {
                bytes: &haystack,
                step: 5,
            };
            assert_eq!(
                find_in(trickle, &[&needle], chunk).unwrap(),
                [true],
                "at {at}"
            );
        }
    }

    #[test]
    fn a_needle_split_by_the_boundary_is_found_only_thanks_to_the_overlap() {
        // The control for the test above: searched chunk by chunk with nothing carried over,
        // the straddling needle is missed, so the boundary case is really exercised.
        let needle: Vec<u8> = (1..=32).collect();
        let chunk = 64;
        let haystack = haystack_with(&needle, chunk - 16, 2 * chunk);
        assert!(!haystack.chunks(chunk).any(|part| contains(part, &needle)));
        assert_eq!(find_in(&haystack[..], &[&needle], chunk).unwrap(), [true]);
    }

    #[test]
    fn reports_each_needle_and_misses_what_is_not_there() {
        let witness = [7u8; 32];
        let marker: Vec<u8> = (100..132).collect();
        let mut near_miss = marker.clone();
        near_miss[31] ^= 1;
        let haystack = [haystack_with(&witness, 10, 200), near_miss.clone()].concat();
        let found = find_in(&haystack[..], &[&witness, &marker, &near_miss, b""], 16).unwrap();
        assert_eq!(found, [true, false, true, true]);
        assert_eq!(
            find_in(&b""[..], &[&marker, b""], 16).unwrap(),
            [false, true]
        );
    }

    #[test]
    fn reads_files_and_refuses_ones_over_the_bound() {
        let dir = crate::PrivateDir::new("scan-test");
        let needle: Vec<u8> = (1..=32).collect();
        let path = dir.file(
            "dump",
            &haystack_with(&needle, CHUNK - 3, CHUNK + 100),
            0o600,
        );
        let len = (CHUNK + 100) as u64;
        assert_eq!(find_in_file(&path, &[&needle], len).unwrap(), [true]);
        let err = find_in_file(&path, &[&needle], len - 1).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge, "{err}");
    }
}
