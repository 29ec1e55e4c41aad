//! Searching a file too large to hold in memory (a core dump) for a few byte strings.
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

use std::io::{self, Read};
use std::path::Path;

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
