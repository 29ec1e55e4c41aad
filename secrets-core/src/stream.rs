//! Secrets of any length read from a stream (a PEM file, an SSH key, a token with newlines, a
//! binary blob), and secrets written to a descriptor, without a copy in ordinary memory.
//!
//! Reading grows guarded buffers; the bytes never pass through a `Vec`, a stack buffer or a
//! `BufReader` of ours:
//!
//! ```text
//!  read(2) (or Read::read), as many bytes as the buffer has room for
//!        |
//!        v           full? a guarded buffer twice the size (at most max_len + 1) is
//!                    made, the bytes copied guarded to guarded, the old one zeroed
//!  [ guarded, 4 KiB ] ----> [ guarded, 8 KiB ] ----> ... ----> SecretVec / SecretString
//!                                                              of exactly the length read
//!  stops at end of file; byte max_len + 1 is StreamTooLong (everything read zeroed)
//! ```
//!
//! | function | bytes pass through | use for |
//! |---|---|---|
//! | [`SecretVec::read_from_fd`], [`SecretString::read_from_fd`] | the kernel's buffers only: `read(2)` writes into guarded memory | a pipe, a socket, a file, standard input |
//! | [`SecretVec::read_from`], [`SecretString::read_from`] | whatever buffer the `Read` keeps: none for `File`, `UnixStream`, `TcpStream`, `ChildStdout`, `&[u8]`; a copy for `BufReader`, `Stdin` (a `BufReader` inside), decompressors, TLS streams | readers that are not a descriptor |
//! | [`write_secret`] | the kernel's buffers only: `write(2)` reads guarded memory | writing a secret to standard output, a pipe, a socket |
//!
//! Costs: a stream of `n` bytes takes about `log2(n / 4096)` guarded allocations (each a
//! `mmap`, `mprotect`s and an `mlock`) and as many guarded copies, plus the final one of exactly
//! `n` bytes; `read(2)` is called once per chunk the kernel hands out, plus once for the end
//! of file. While `read(2)` waits, the buffer being filled is open for writing (the kernel
//! writes into it); at rest it is `PROT_NONE` like any secret.
//!
//! Descriptors must be blocking: EAGAIN from a non-blocking one is returned as an error, not
//! waited out. EINTR is retried.
//!
//! On Windows the same functions take `impl AsHandle` (`std::os::windows::io`) instead of
//! `impl AsFd`: a `File`, `std::io::pipe`'s ends, `Stdin`/`Stdout`, a child's pipes (a
//! `TcpStream` is a socket, not a handle: use [`SecretVec::read_from`] for it). They call `ReadFile`
//! and `WriteFile` straight into and out of guarded memory, at most `u32::MAX` bytes per call
//! (longer buffers in pieces). The handle must be synchronous (not opened with
//! `FILE_FLAG_OVERLAPPED`; every handle std makes is); a pipe's closed writing end is the end
//! of the stream, a closed reading end is [`Error::Stream`] with `ERROR_BROKEN_PIPE` (kind
//! `BrokenPipe`), and a `PIPE_NOWAIT` pipe that would wait is an error (`WSAEWOULDBLOCK`,
//! kind `WouldBlock`), as a non-blocking descriptor is on POSIX. Windows has no EINTR.

use std::io::{self, Read};
// The descriptor the functions below take: `impl AsFd` on POSIX systems, `impl AsHandle` on
// Windows (the same names; each platform's rustdoc shows its own trait).
#[cfg(unix)]
use std::os::fd::{AsFd as AsDescriptor, BorrowedFd as Descriptor};
#[cfg(windows)]
use std::os::windows::io::{AsHandle as AsDescriptor, BorrowedHandle as Descriptor};

use crate::sys::fd;
use crate::{Bytes, Error, SecretString, SecretVec};

/// The size of the first buffer: one page, what the smallest secret takes anyway.
const INITIAL_CAPACITY: usize = 4096;

/// A guarded buffer of `capacity` elements that starts with the first `len` of `old` (bytes
/// here; UTF-16 units too for a Windows console line in `password.rs`).
pub(crate) fn grow<T: Bytes + Copy>(
    old: &SecretVec<T>,
    len: usize,
    capacity: usize,
) -> Result<SecretVec<T>, Error> {
    SecretVec::new(capacity, |new| {
        new[..len].copy_from_slice(&old.borrow()[..len]);
    })
}

/// The bytes read from a stream: the first `len` bytes of `buf`.
struct Filled {
    buf: SecretVec<u8>,
    len: usize,
}

/// The error of a failed `read`/`write` with OS error `errno`.
fn os_failure(operation: &'static str, errno: i32) -> Error {
    Error::Stream {
        operation,
        kind: io::Error::from_raw_os_error(errno).kind(),
        errno: Some(errno),
    }
}

/// Reads until end of file with `read`, which fills a prefix of the slice it is given (in
/// guarded memory) and returns how many bytes it wrote (0 at end of file).
fn read_stream(
    max_len: usize,
    mut read: impl FnMut(&mut [u8]) -> Result<usize, Error>,
) -> Result<Filled, Error> {
    // Room for one byte more than allowed, so that a stream of exactly `max_len` bytes is told
    // from a longer one. (`usize::MAX` bytes could never be allocated: `TooLarge` comes first.)
    let capacity_limit = max_len.saturating_add(1);
    let mut buf = SecretVec::<u8>::zero(INITIAL_CAPACITY.min(capacity_limit))?;
    let mut len = 0;
    loop {
        if len == buf.len() {
            let capacity = len.saturating_mul(2).min(capacity_limit);
            if capacity <= len {
                return Err(Error::StreamTooLong { max_len });
            }
            // Dropping the old buffer (at the assignment) zeroes and releases it.
            buf = grow(&buf, len, capacity)?;
        }
        let room = buf.len() - len;
        let n = read(&mut buf.borrow_mut()[len..])?;
        if n == 0 {
            break;
        }
        if n > room {
            // A `Read` that claims more bytes than it was given room for.
            return Err(Error::Stream {
                operation: "read",
                kind: io::ErrorKind::InvalidData,
                errno: None,
            });
        }
        len += n;
        if len > max_len {
            return Err(Error::StreamTooLong { max_len });
        }
    }
    Ok(Filled { buf, len })
}

/// `fd` borrowed as the platform's descriptor: a `BorrowedFd`.
#[cfg(unix)]
fn borrow(fd: &impl AsDescriptor) -> Descriptor<'_> {
    fd.as_fd()
}

/// `fd` borrowed as the platform's descriptor: a `BorrowedHandle` on Windows.
#[cfg(windows)]
fn borrow(fd: &impl AsDescriptor) -> Descriptor<'_> {
    fd.as_handle()
}

/// [`read_stream`] with `read(2)` (`ReadFile` on Windows) on `fd`.
fn read_fd(fd: impl AsDescriptor, max_len: usize) -> Result<Filled, Error> {
    let fd = borrow(&fd);
    read_stream(max_len, |room| {
        fd::read(fd, room).map_err(|errno| os_failure("read", errno))
    })
}

/// [`read_stream`] with [`Read::read`] on `reader`, retrying `Interrupted`.
fn read_reader(mut reader: impl Read, max_len: usize) -> Result<Filled, Error> {
    read_stream(max_len, |room| loop {
        match reader.read(room) {
            Ok(n) => return Ok(n),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            // Only the kind and errno are kept: a custom error's payload could say anything.
            Err(err) => {
                return Err(Error::Stream {
                    operation: "read",
                    kind: err.kind(),
                    errno: err.raw_os_error(),
                })
            }
        }
    })
}

impl Filled {
    fn into_vec(self) -> Result<SecretVec<u8>, Error> {
        SecretVec::new(self.len, |out| {
            out.copy_from_slice(&self.buf.borrow()[..self.len]);
        })
    }

    fn into_string(self) -> Result<SecretString, Error> {
        SecretString::try_new(self.len, |text| {
            text.copy_from_slice(&self.buf.borrow()[..self.len]);
            Ok::<(), Error>(())
        })
    }
}

impl SecretVec<u8> {
    /// Reads `fd` to its end with `read(2)` straight into guarded memory, and returns a vector
    /// of exactly the bytes read: a PEM file, an SSH key, a token with newlines, binary data.
    ///
    /// No byte passes through ordinary memory: the kernel copies from its pipe, socket or page
    /// cache buffer into a guarded buffer, which grows by moving to a guarded buffer twice its
    /// size (doubling, with checked arithmetic). Standard input is `std::io::stdin()` (a descriptor;
    /// read nothing through `std::io::stdin()` before, or its buffer holds part of the stream).
    ///
    /// On Windows `fd` is `impl AsHandle` (a synchronous handle: every handle std makes is)
    /// and the reads are `ReadFile`, at most `u32::MAX` bytes each; a pipe whose writing end
    /// was closed has ended (`ERROR_BROKEN_PIPE` is its end of file).
    ///
    /// # Errors
    /// * [`Error::StreamTooLong`] when the stream holds more than `max_len` bytes: reading
    ///   stops at byte `max_len + 1`, everything read is zeroed and released;
    /// * [`Error::Stream`] with `operation: "read"` when `read(2)` fails (EAGAIN: `fd` is
    ///   non-blocking, which is not supported; EISDIR; EBADF: not open for reading). EINTR is
    ///   retried;
    /// * an allocation error ([`Error::Map`], [`Error::Guard`], [`Error::Lock`],
    ///   [`Error::TooLarge`], [`Error::OutOfMemory`]).
    ///
    /// ```
    /// use std::io::Write;
    /// use secrets_core::{Error, SecretVec};
    ///
    /// let (reader, mut writer) = std::io::pipe()?;
    /// writer.write_all(b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\0\xff\n")?;
    /// drop(writer);
    /// let key = SecretVec::<u8>::read_from_fd(&reader, 4096)?;
    /// assert_eq!(key.len(), 52);
    /// assert!(key.borrow().ends_with(b"\0\xff\n"));
    ///
    /// let (reader, mut writer) = std::io::pipe()?;
    /// writer.write_all(b"longer than eight")?;
    /// drop(writer);
    /// let err = SecretVec::<u8>::read_from_fd(&reader, 8).unwrap_err();
    /// assert_eq!(err, Error::StreamTooLong { max_len: 8 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_from_fd(fd: impl AsDescriptor, max_len: usize) -> Result<SecretVec<u8>, Error> {
        read_fd(fd, max_len)?.into_vec()
    }

    /// Reads `reader` to its end straight into guarded memory (each [`Read::read`] is given a
    /// slice of a guarded buffer), and returns a vector of exactly the bytes read.
    ///
    /// This function keeps no copy, but the reader may: a `BufReader`, `std::io::Stdin`, a
    /// decompressor or a TLS stream holds the bytes in a buffer of its own in ordinary memory.
    /// `File`, `UnixStream`, `TcpStream`, `ChildStdout` and `&[u8]` keep none. For a
    /// descriptor, [`read_from_fd`](Self::read_from_fd) is sure to avoid every user-space copy.
    ///
    /// # Errors
    /// * [`Error::StreamTooLong`] when the stream holds more than `max_len` bytes (everything
    ///   read is zeroed and released; at most `max_len + 1` bytes are read);
    /// * [`Error::Stream`] with `operation: "read"`, the error's kind and errno, when a read
    ///   fails (`Interrupted` is retried), or with `kind: InvalidData` when the reader claims to
    ///   have read more bytes than it was given room for;
    /// * an allocation error, as for [`read_from_fd`](Self::read_from_fd).
    ///
    /// ```
    /// use secrets_core::SecretVec;
    ///
    /// let token = SecretVec::<u8>::read_from(&b"line one\nline two\n"[..], 1024)?;
    /// assert_eq!(&*token.borrow(), b"line one\nline two\n");
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn read_from(reader: impl Read, max_len: usize) -> Result<SecretVec<u8>, Error> {
        read_reader(reader, max_len)?.into_vec()
    }
}

impl SecretString {
    /// [`SecretVec::read_from_fd`] for UTF-8 text: reads `fd` to its end straight into guarded
    /// memory, then checks UTF-8 where the bytes lie.
    ///
    /// # Errors
    /// As for [`SecretVec::read_from_fd`], and [`Error::InvalidUtf8`] (with the offset of the
    /// first bad byte, never the bytes) when the stream is not UTF-8; the bytes are then zeroed
    /// and released.
    ///
    /// ```
    /// use std::io::Write;
    /// use secrets_core::{Error, SecretString};
    ///
    /// let (reader, mut writer) = std::io::pipe()?;
    /// writer.write_all("pässwörd\nsecond line".as_bytes())?;
    /// drop(writer);
    /// let text = SecretString::read_from_fd(&reader, 64)?;
    /// assert_eq!(&*text.borrow(), "pässwörd\nsecond line");
    ///
    /// let (reader, mut writer) = std::io::pipe()?;
    /// writer.write_all(b"ok\xff")?;
    /// drop(writer);
    /// let err = SecretString::read_from_fd(&reader, 64).unwrap_err();
    /// assert_eq!(err, Error::InvalidUtf8 { valid_up_to: 2 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_from_fd(fd: impl AsDescriptor, max_len: usize) -> Result<SecretString, Error> {
        read_fd(fd, max_len)?.into_string()
    }

    /// [`SecretVec::read_from`] for UTF-8 text (the same caveat about the reader's own
    /// buffers applies).
    ///
    /// # Errors
    /// As for [`SecretVec::read_from`], and [`Error::InvalidUtf8`] when the stream is not
    /// UTF-8 (the bytes are zeroed and released).
    ///
    /// ```
    /// use secrets_core::SecretString;
    ///
    /// let text = SecretString::read_from(&b"multi\nline"[..], 64)?;
    /// assert_eq!(&*text.borrow(), "multi\nline");
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn read_from(reader: impl Read, max_len: usize) -> Result<SecretString, Error> {
        read_reader(reader, max_len)?.into_string()
    }
}

/// Writes `secret` (a borrow of a container) to `fd` with `write(2)` straight from guarded
/// memory, until all of it is written: no copy in ordinary memory on the way.
///
/// `write!`, `std::io::Stdout`, `LineWriter` and `BufWriter` copy what they write into a heap
/// buffer that is neither locked nor zeroed, where it stays after the flush; this does not.
/// To write to standard output, pass `std::io::stdout()` and flush anything written through
/// it first (this bypasses its buffer, so unflushed text would come out after the secret).
///
/// Partial writes and EINTR are continued. Rust programs ignore `SIGPIPE`, so a reader that
/// closed its end gives [`Error::Stream`] with EPIPE; a program that restored `SIGPIPE`'s
/// default action is killed by it instead, as by any write.
///
/// On Windows `fd` is `impl AsHandle` and the writes are `WriteFile`, at most `u32::MAX`
/// bytes each; a reader that closed its end gives `ERROR_BROKEN_PIPE`.
///
/// # Errors
/// [`Error::Stream`] with `operation: "write"` and the errno (EPIPE, EBADF, ENOSPC, EAGAIN for
/// a non-blocking descriptor, which is not supported; EIO if `write(2)` wrote nothing). Part of
/// the secret may have been written before the failure.
///
/// ```
/// use secrets_core::{write_secret, SecretVec};
///
/// let key = SecretVec::<u8>::random(32)?;
/// let (reader, writer) = std::io::pipe()?;
/// write_secret(&writer, &key.borrow())?;
/// drop(writer);
/// let copy = SecretVec::<u8>::read_from_fd(&reader, 32)?;
/// assert_eq!(copy, key);
///
/// // To standard output: `write_secret(std::io::stdout(), &key.borrow())?;`
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_secret(fd: impl AsDescriptor, secret: &[u8]) -> Result<(), Error> {
    fd::write_all(borrow(&fd), secret).map_err(|errno| os_failure("write", errno))
}
