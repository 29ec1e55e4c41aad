//! No copy of a secret left in ordinary memory when it is read from a stream
//! (`SecretVec::read_from_fd`, `read_from`) or written to a descriptor (`write_secret`): each
//! scenario runs in a child of its own, then searches all of the child's writable memory
//! (`find_in_ordinary_memory`) for the secret's bytes.
//!
//! The secret is made in guarded memory (`SecretVec::random`) and written to a file with
//! `write_secret`, so the only copies in ordinary memory are the ones the operation under test
//! makes. The controls read or write the same way everyone does with `std` (`read_to_end` into
//! a `Vec`, `Stdout::write_all`), and the search finds the copy they leave: a clean result is
//! not a search that misses things.

// Linux-only: scans ordinary memory through /proc/self/mem after each read.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use secrets_core::{write_secret, Error, SecretString, SecretVec};
use secrets_integration_tests::scan::{below, find_in_ordinary_memory, Needle};
use secrets_integration_tests::{in_child, PrivateDir};

/// Bytes of the secret: more than the first 4 KiB buffer, so reading it grows the buffer once.
const LEN: usize = 6000;

/// Where in the secret the needles are taken: its start, and a piece read into the grown
/// buffer, so a copy of either part is found.
const NEEDLES: [std::ops::Range<usize>; 2] = [0..32, 5000..5032];

/// A random secret in guarded memory, written to a 0600 file in `dir` with `write_secret`,
/// and the needles to search for.
fn secret_file(dir: &PrivateDir, len: usize) -> (PathBuf, Vec<Needle>) {
    let secret = SecretVec::<u8>::random(len).expect("a guarded secret");
    let path = dir.join("secret");
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .expect("create the secret file");
    write_secret(&file, &secret.borrow()).expect("write the secret file");
    let needles = NEEDLES
        .iter()
        .map(|range| Needle::of_secret(&secret.borrow()[range.clone()]))
        .collect();
    (path, needles)
}

/// In a child: writes the secret file, runs `read` on it (deep on the stack, see `below`),
/// keeps what it returned alive, and requires the secret to be found in ordinary memory
/// exactly when `expect_found`.
fn scan_after_read<R>(test: &str, read: fn(File) -> R, expect_found: bool) {
    in_child(test, || {
        let dir = PrivateDir::new(test);
        let (path, needles) = secret_file(&dir, LEN);
        let file = File::open(&path).expect("open the secret file");
        let kept = below(|| read(file));
        let found: Vec<bool> = needles
            .iter()
            .map(|needle| find_in_ordinary_memory(needle).is_some())
            .collect();
        println!("found={found:?}");
        assert_eq!(
            found,
            [expect_found; NEEDLES.len()],
            "the secret's bytes in ordinary memory"
        );
        drop(kept);
    })
    .assert_success();
}

#[test]
fn control_read_to_end_leaves_the_secret_in_the_heap() {
    scan_after_read(
        "control_read_to_end_leaves_the_secret_in_the_heap",
        |mut file| {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).expect("read_to_end");
            bytes
        },
        true,
    );
}

#[test]
fn read_from_fd_leaves_no_copy() {
    scan_after_read(
        "read_from_fd_leaves_no_copy",
        |file| SecretVec::<u8>::read_from_fd(file, LEN).expect("read_from_fd"),
        false,
    );
}

#[test]
fn read_from_a_file_reader_leaves_no_copy() {
    // `File` keeps no buffer of its own, so `read_from` is as clean as `read_from_fd` here.
    scan_after_read(
        "read_from_a_file_reader_leaves_no_copy",
        |file| SecretVec::<u8>::read_from(file, LEN).expect("read_from"),
        false,
    );
}

#[test]
fn control_read_from_a_buffered_reader_leaves_its_buffer_behind() {
    // The limit `read_from` documents: a `BufReader` holds the bytes it passes on (the
    // reader, with its buffer, is kept alive with the secret).
    scan_after_read(
        "control_read_from_a_buffered_reader_leaves_its_buffer_behind",
        |file| {
            let mut reader = std::io::BufReader::with_capacity(8192, file);
            let secret = SecretVec::<u8>::read_from(&mut reader, LEN).expect("read_from");
            (secret, reader)
        },
        true,
    );
}

#[test]
fn a_refused_stream_leaves_no_copy() {
    scan_after_read(
        "a_refused_stream_leaves_no_copy",
        |file| {
            let err = SecretVec::<u8>::read_from_fd(file, LEN - 1).unwrap_err();
            assert_eq!(err, Error::StreamTooLong { max_len: LEN - 1 });
        },
        false,
    );
}

/// In a child: a secret of 64 bytes none of which is a newline (so `Stdout`, a `LineWriter`,
/// buffers all of it rather than passing a line straight through), written to standard output
/// by `write`, then a search of ordinary memory, expecting a copy exactly when `expect_found`.
fn scan_after_write(test: &str, write: fn(&[u8]), expect_found: bool) {
    in_child(test, || {
        let mut secret = SecretVec::<u8>::random(64).expect("a guarded secret");
        secret
            .borrow_mut()
            .iter_mut()
            .for_each(|byte| *byte |= 0x80);
        let needle = Needle::of_secret(&secret.borrow());
        below(|| write(&secret.borrow()));
        let found = find_in_ordinary_memory(&needle);
        println!("\nfound={found:?}");
        assert_eq!(found.is_some(), expect_found, "{found:?}");
    })
    .assert_success();
}

#[test]
fn control_stdout_keeps_a_copy_in_its_buffer_after_the_flush() {
    scan_after_write(
        "control_stdout_keeps_a_copy_in_its_buffer_after_the_flush",
        |secret| {
            let mut stdout = std::io::stdout();
            stdout.write_all(secret).expect("write");
            stdout.flush().expect("flush");
        },
        true,
    );
}

#[test]
fn write_secret_to_stdout_leaves_no_copy() {
    scan_after_write(
        "write_secret_to_stdout_leaves_no_copy",
        |secret| write_secret(std::io::stdout(), secret).expect("write_secret"),
        false,
    );
}

#[test]
fn a_utf8_secret_read_from_a_pipe_leaves_no_copy() {
    in_child("a_utf8_secret_read_from_a_pipe_leaves_no_copy", || {
        // Random letters, made and kept in guarded memory.
        let mut source = SecretVec::<u8>::random(LEN).expect("a guarded secret");
        source
            .borrow_mut()
            .iter_mut()
            .for_each(|byte| *byte = b'a' + *byte % 26);
        let needles: Vec<Needle> = NEEDLES
            .iter()
            .map(|range| Needle::of_secret(&source.borrow()[range.clone()]))
            .collect();
        let (reader, writer) = std::io::pipe().expect("pipe");
        // The writer thread sends it straight from guarded memory while this one reads.
        let text = std::thread::scope(|scope| {
            scope.spawn(|| {
                write_secret(&writer, &source.borrow()).expect("write_secret");
                drop(writer);
            });
            below(|| SecretString::read_from_fd(&reader, LEN).expect("read_from_fd"))
        });
        assert_eq!(text.len(), LEN);
        for needle in &needles {
            let found = find_in_ordinary_memory(needle);
            assert!(found.is_none(), "a copy in ordinary memory: {found:?}");
        }
    })
    .assert_success();
}
