//! Secrets read from streams (`read_from_fd`, `read_from`) and written to descriptors
//! (`write_secret`), through real pipes. That no copy is left in ordinary memory is checked by
//! a scan of the process's memory in the integration tests (`tests/stream.rs`).

// POSIX-only: reads through Unix descriptors and interrupts reads with SIGUSR1 (sigaction).
#![cfg(unix)]

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use secrets_core::{write_secret, Error, SecretString, SecretVec};

/// A multi-line PEM-like block, as a key file piped in would be.
const PEM: &[u8] = b"-----BEGIN OPENSSH PRIVATE KEY-----\n\
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n\
QyNTUxOQAAACDx5l0lW5kN0ZT2Zk0tK2tj8yQx1Y3lq1bV3nQ0dJ6lYwAAAJh0oQ9rdKEP\n\
-----END OPENSSH PRIVATE KEY-----\n";

/// Both ends of a new pipe.
fn pipe() -> (io::PipeReader, io::PipeWriter) {
    io::pipe().expect("pipe")
}

/// The read end of a pipe that holds `input`, its write end closed.
fn pipe_with(input: &[u8]) -> io::PipeReader {
    assert!(input.len() < 65536, "more than a pipe buffer would block");
    let (reader, mut writer) = pipe();
    writer.write_all(input).expect("write into the pipe");
    reader
}

/// The 256 byte values, each `times` times in a row, NULs and newlines included.
fn binary(times: usize) -> Vec<u8> {
    (0..=255u8)
        .flat_map(|b| std::iter::repeat_n(b, times))
        .collect()
}

fn vec_fd(input: &[u8], max_len: usize) -> Result<SecretVec<u8>, Error> {
    SecretVec::<u8>::read_from_fd(pipe_with(input), max_len)
}

fn vec_reader(input: &[u8], max_len: usize) -> Result<SecretVec<u8>, Error> {
    SecretVec::<u8>::read_from(pipe_with(input), max_len)
}

/// A way to read a secret from a pipe holding the given bytes, with a `max_len`.
type ReadVec = fn(&[u8], usize) -> Result<SecretVec<u8>, Error>;

/// A way to read text from a pipe, with a `max_len`.
type ReadText = fn(io::PipeReader, usize) -> Result<SecretString, Error>;

/// Both readers, for tests that hold for each.
const READERS: [(&str, ReadVec); 2] = [("read_from_fd", vec_fd), ("read_from", vec_reader)];

#[test]
fn a_multi_line_pem_block_is_read_whole() {
    for (name, read) in READERS {
        let key = read(PEM, 4096).expect(name);
        assert_eq!(key.len(), PEM.len(), "{name}");
        assert!(*key.borrow() == *PEM, "{name}: the block came back altered");
    }
    // Control: reading a line, as for a password, stops at the first newline.
    let line = SecretString::read_line_from(pipe_with(PEM), 4096).expect("read a line");
    assert_eq!(&*line.borrow(), "-----BEGIN OPENSSH PRIVATE KEY-----");
}

#[test]
fn binary_with_nuls_and_every_byte_value_is_read_exactly() {
    let input = binary(3);
    for (name, read) in READERS {
        let secret = read(&input, 1024).expect(name);
        assert!(*secret.borrow() == *input, "{name}");
    }
}

#[test]
fn an_empty_stream_is_an_empty_secret() {
    for (name, read) in READERS {
        assert!(read(b"", 16).expect(name).is_empty(), "{name}");
        assert!(read(b"", 0).expect(name).is_empty(), "{name}");
    }
    assert!(SecretString::read_from_fd(pipe_with(b""), 16)
        .expect("read")
        .is_empty());
}

#[test]
fn exactly_max_len_is_read_and_one_byte_more_is_refused() {
    for (name, read) in READERS {
        for max_len in [0, 1, 7, 4095, 4096, 4097, 10_000] {
            let input = vec![0xa5; max_len];
            let secret = read(&input, max_len).unwrap_or_else(|e| panic!("{name} {max_len}: {e}"));
            assert_eq!(secret.len(), max_len, "{name}");
            let mut longer = input.clone();
            longer.push(0x5a);
            assert_eq!(
                read(&longer, max_len).unwrap_err(),
                Error::StreamTooLong { max_len },
                "{name} {max_len}"
            );
        }
    }
}

#[test]
fn a_refused_stream_is_read_no_further_than_max_len_plus_one() {
    let mut reader = pipe_with(&binary(100)); // 25,600 bytes
    assert_eq!(
        SecretVec::<u8>::read_from_fd(&reader, 1000).unwrap_err(),
        Error::StreamTooLong { max_len: 1000 }
    );
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).expect("read the rest");
    assert_eq!(
        rest.len(),
        25_600 - 1001,
        "exactly max_len + 1 bytes were consumed"
    );
}

#[test]
fn a_long_stream_survives_several_growths() {
    // 60,000 bytes: the 4 KiB buffer doubles four times; each position holds a known byte.
    let input: Vec<u8> = (0..60_000u32).map(|i| (i % 251) as u8).collect();
    for (name, read) in READERS {
        let secret = read(&input, 60_000).expect(name);
        assert!(
            *secret.borrow() == *input,
            "{name}: a copy lost or moved bytes"
        );
        assert_eq!(
            read(&input, 59_999).unwrap_err(),
            Error::StreamTooLong { max_len: 59_999 }
        );
    }
}

/// A writer thread that sends `input` in pieces of `piece` bytes with a pause between them,
/// then closes its end.
fn slow_writer(input: Vec<u8>, piece: usize) -> (io::PipeReader, std::thread::JoinHandle<()>) {
    let (reader, mut writer) = pipe();
    let thread = std::thread::spawn(move || {
        for chunk in input.chunks(piece) {
            writer.write_all(chunk).expect("write a piece");
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    (reader, thread)
}

#[test]
fn a_slow_pipe_delivering_small_pieces_is_read_whole() {
    let input = binary(20); // 5,120 bytes in 7-byte pieces: hundreds of short reads
    let (reader, writer) = slow_writer(input.clone(), 7);
    let secret = SecretVec::<u8>::read_from_fd(&reader, 8192).expect("read_from_fd");
    writer.join().expect("writer thread");
    assert!(*secret.borrow() == *input);

    let (reader, writer) = slow_writer(PEM.to_vec(), 5);
    let text = SecretString::read_from(reader, 4096).expect("read_from");
    writer.join().expect("writer thread");
    assert!(text.borrow().as_bytes() == PEM);
}

#[test]
fn text_must_be_utf8_and_the_error_holds_no_bytes() {
    let text = SecretString::read_from_fd(pipe_with("clé\nzwei Zeilen".as_bytes()), 64)
        .expect("read UTF-8");
    assert_eq!(&*text.borrow(), "clé\nzwei Zeilen");
    let readers: [ReadText; 2] = [SecretString::read_from_fd, SecretString::read_from];
    for read in readers {
        let err = read(pipe_with(b"secret\xff\xfe"), 64).unwrap_err();
        assert_eq!(err, Error::InvalidUtf8 { valid_up_to: 6 });
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(!format!("{err:?}").contains("secret"), "{err:?}");
    }
}

/// A reader that fails as told, then (for `Interrupted`) delivers `then`.
struct Failing {
    errors: Vec<io::Error>,
    then: &'static [u8],
}

impl Read for Failing {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(err) = self.errors.pop() {
            return Err(err);
        }
        let n = self.then.len().min(out.len());
        out[..n].copy_from_slice(&self.then[..n]);
        self.then = &self.then[n..];
        Ok(n)
    }
}

#[test]
fn interrupted_reads_are_retried_and_other_errors_are_typed() {
    let reader = Failing {
        errors: (0..3)
            .map(|_| io::Error::from(io::ErrorKind::Interrupted))
            .collect(),
        then: b"token",
    };
    let secret = SecretVec::<u8>::read_from(reader, 64).expect("Interrupted is retried");
    assert_eq!(&*secret.borrow(), b"token");

    // A custom error's message (which could say anything) is not kept: only kind and errno.
    let reader = Failing {
        errors: vec![io::Error::other("the secret is hunter2")],
        then: b"",
    };
    let err = SecretVec::<u8>::read_from(reader, 64).unwrap_err();
    assert_eq!(
        err,
        Error::Stream {
            operation: "read",
            kind: io::ErrorKind::Other,
            errno: None
        }
    );
    assert!(!err.to_string().contains("hunter2"), "{err}");

    // read(2) on the write end of a pipe: EBADF.
    let (_reader, writer) = pipe();
    let err = SecretVec::<u8>::read_from_fd(&writer, 64).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Stream {
                operation: "read",
                errno: Some(libc::EBADF),
                ..
            }
        ),
        "{err:?}"
    );
}

/// A reader that claims to have read more than it was given room for.
struct Liar;

impl Read for Liar {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        Ok(out.len() + 1)
    }
}

#[test]
fn a_reader_claiming_too_many_bytes_is_refused() {
    assert_eq!(
        SecretVec::<u8>::read_from(Liar, 64).unwrap_err(),
        Error::Stream {
            operation: "read",
            kind: io::ErrorKind::InvalidData,
            errno: None
        }
    );
}

#[test]
fn write_secret_writes_every_byte_through_a_pipe() {
    // Larger than a pipe's buffer, so the writer blocks and is continued after short writes.
    let secret = SecretVec::<u8>::new(200_000, |bytes| {
        bytes
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = (i % 253) as u8);
    })
    .expect("secret");
    let (reader, writer) = pipe();
    let reading = std::thread::spawn(move || SecretVec::<u8>::read_from_fd(&reader, 300_000));
    write_secret(&writer, &secret.borrow()).expect("write_secret");
    drop(writer);
    let copy = reading.join().expect("reader thread").expect("read back");
    assert!(copy == secret, "the bytes came back altered");

    let text = SecretString::read_from(&b"pass phrase\n"[..], 64).expect("text");
    let (reader, writer) = pipe();
    write_secret(&writer, text.borrow().as_bytes()).expect("write text");
    drop(writer);
    assert_eq!(
        &*SecretString::read_from_fd(reader, 64)
            .expect("read back")
            .borrow(),
        "pass phrase\n"
    );
}

#[test]
fn writing_to_a_closed_pipe_is_epipe_and_a_bad_descriptor_ebadf() {
    let secret = SecretVec::<u8>::random(32).expect("secret");
    let (reader, writer) = pipe();
    drop(reader);
    // The test harness, like every Rust program, ignores SIGPIPE: the write fails instead.
    let err = write_secret(&writer, &secret.borrow()).unwrap_err();
    assert_eq!(
        err,
        Error::Stream {
            operation: "write",
            kind: io::ErrorKind::BrokenPipe,
            errno: Some(libc::EPIPE)
        }
    );
    assert!(err.to_string().contains("closed"), "{err}");

    let (reader, _writer) = pipe();
    let read_end: OwnedFd = reader.into();
    let err = write_secret(read_end.as_fd(), &secret.borrow()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Stream {
                operation: "write",
                errno: Some(libc::EBADF),
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn stream_errors_convert_to_io_errors_of_their_kind() {
    let err: io::Error = Error::StreamTooLong { max_len: 8 }.into();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    let err: io::Error = Error::Stream {
        operation: "write",
        kind: io::ErrorKind::BrokenPipe,
        errno: Some(libc::EPIPE),
    }
    .into();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
}

/// A signal handler that does nothing: the signal only interrupts a blocked system call.
extern "C" fn ignore_signal(_: libc::c_int) {}

/// Runs `read` on the read end of an empty pipe while another thread, once `read` has had time
/// to block, sends this thread `SIGUSR1` (whose handler does nothing, installed without
/// `SA_RESTART`, so a blocked `read(2)` fails with EINTR), then writes `b"token"` and closes
/// the pipe. The old action is put back afterwards.
fn interrupted_once<R>(read: impl FnOnce(&io::PipeReader) -> R) -> R {
    // SAFETY: a zeroed `sigaction` is a valid starting value (plain integers and masks).
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = ignore_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // No SA_RESTART: a blocked read(2) fails with EINTR when the handler returns.
    action.sa_flags = 0;
    // SAFETY: as above.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: `action` is valid and its handler async-signal-safe; `old` is valid for writes.
    let ret = unsafe { libc::sigaction(libc::SIGUSR1, &action, &mut old) };
    assert_eq!(ret, 0, "sigaction");
    // SAFETY: `pthread_self` has no preconditions.
    let reader_thread = unsafe { libc::pthread_self() };
    let (reader, mut writer) = pipe();
    let result = std::thread::scope(|scope| {
        scope.spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            // SAFETY: `reader_thread` is alive: it waits for this scope to end.
            let ret = unsafe { libc::pthread_kill(reader_thread, libc::SIGUSR1) };
            assert_eq!(ret, 0, "pthread_kill");
            std::thread::sleep(Duration::from_millis(50));
            writer.write_all(b"token").expect("write");
        });
        read(&reader)
    });
    // SAFETY: `old` is the action `sigaction` returned above.
    let ret = unsafe { libc::sigaction(libc::SIGUSR1, &old, std::ptr::null_mut()) };
    assert_eq!(ret, 0, "sigaction");
    result
}

#[test]
fn a_read_interrupted_by_a_signal_is_retried() {
    // Control: a plain read(2) in the same setup fails with EINTR, so the signal does reach
    // the blocked read.
    let errno = interrupted_once(|reader| {
        let mut byte = [0u8; 1];
        // SAFETY: `byte` is valid for writes of one byte; the descriptor is open.
        let n = unsafe {
            libc::read(
                std::os::fd::AsRawFd::as_raw_fd(reader),
                byte.as_mut_ptr().cast(),
                1,
            )
        };
        (n, io::Error::last_os_error().raw_os_error())
    });
    assert_eq!(
        errno,
        (-1, Some(libc::EINTR)),
        "the control read was not interrupted"
    );

    let secret = interrupted_once(|reader| SecretVec::<u8>::read_from_fd(reader, 64))
        .expect("EINTR is retried");
    assert_eq!(&*secret.borrow(), b"token");
}
