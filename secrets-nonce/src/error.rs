//! The one error type of `secrets-nonce`.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why sealing, opening or taking a nonce failed. Never carries plaintext or key bytes.
///
/// Each variant's `Display` says what was wrong and what to do; match on the variants that a
/// program handles differently (a forged message is the sender's or an attacker's doing; a
/// counter file in use is another process's):
///
/// ```
/// use secrets_core::prelude::*;
/// use secrets_nonce::{open, seal, Error, UnusedNonce, UsedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key};
///
/// let key = XChaCha20Poly1305Key::random()?;
/// let (used, sealed) = seal(&key, UnusedNonce::<XChaCha20Poly1305>::random(), b"", b"hi")?;
///
/// match open(&key, &used, b"", &sealed[..10]) {
///     Err(Error::Truncated { found, .. }) => assert_eq!(found, 10),
///     other => panic!("a 10-byte message is shorter than the tag: {other:?}"),
/// }
/// let err = UsedNonce::<XChaCha20Poly1305>::from_bytes(&[0; 12]).unwrap_err();
/// assert_eq!(err, Error::NonceLength { expected: 24, found: 12 });
/// println!("{err}"); // says which lengths and what to check
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The ciphertext, tag, nonce or associated data did not authenticate: the input was
    /// forged, corrupted, or opened with the wrong key, nonce or associated data. No plaintext
    /// was produced.
    Forged,
    /// The ciphertext is shorter than its authentication tag.
    Truncated {
        /// The least a ciphertext can be: the tag's length.
        minimum: usize,
        /// Bytes given.
        found: usize,
    },
    /// A stored nonce has the wrong length for its algorithm.
    NonceLength {
        /// The algorithm's nonce length.
        expected: usize,
        /// Bytes given.
        found: usize,
    },
    /// The buffer given to [`open_into`](crate::open_into) has the wrong length.
    OutputLength {
        /// The plaintext's length: the ciphertext's minus the tag.
        expected: usize,
        /// Bytes in the buffer.
        found: usize,
    },
    /// The key's nonce counter (a [`SessionKey`](crate::SessionKey)'s or a
    /// [`CounterFile`](crate::CounterFile)'s) has issued all the nonces it may: replace the key.
    Exhausted {
        /// Nonces issued.
        issued: u64,
    },
    /// The algorithm cannot run on this CPU (AES-256-GCM without AES-NI).
    Unavailable {
        /// The algorithm's name.
        algorithm: &'static str,
    },
    /// The message is too long for the algorithm (AES-256-GCM: 16 × (2³² − 2) bytes, about
    /// 64 GiB; ChaCha20-Poly1305-IETF: 64 × (2³² − 1) bytes, about 256 GiB). For opening, the
    /// message is the ciphertext less its tag: no `seal` could have produced it.
    TooLong {
        /// Bytes of message given.
        found: usize,
        /// The most the algorithm allows.
        limit: usize,
    },
    /// Guarded memory for the plaintext could not be set up.
    Storage(secrets_core::Error),
    /// A [`CounterFile`](crate::CounterFile) could not be read, written, synced or locked. If
    /// it was reserving nonces, none of the new block was issued, and the counter refuses to
    /// seal again (the file's state is no longer known): open it again.
    CounterIo {
        /// The counter file (or, for `sync directory`, its directory).
        path: PathBuf,
        /// What was being done: `open`, `read`, `write`, `sync`, `lock`, `link`, ...
        operation: &'static str,
        /// The error's kind.
        kind: io::ErrorKind,
        /// The OS error number, when there is one.
        errno: Option<i32>,
    },
    /// Another [`CounterFile`](crate::CounterFile) holds this file's lock: another process,
    /// or this one (each open of the file is a lock of its own).
    CounterInUse {
        /// The counter file.
        path: PathBuf,
    },
    /// The counter file records another key, or this key under another algorithm.
    CounterOfAnotherKey {
        /// The counter file.
        path: PathBuf,
    },
    /// The counter file is damaged or not a counter file: it cannot say which nonces were used.
    CounterCorrupt {
        /// The counter file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// [`CounterFile::open`](crate::CounterFile::open) found a file that others could rewrite,
    /// and so rewind: not a regular file, owned by another user, or writable by its group or
    /// by others.
    CounterNotPrivate {
        /// The path given.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// [`CounterFile::create`](crate::CounterFile::create) found a file already there.
    CounterExists {
        /// The path given.
        path: PathBuf,
    },
    /// [`CounterFile::open`](crate::CounterFile::open) found no file.
    CounterMissing {
        /// The path given.
        path: PathBuf,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Forged => f.write_str(
                "the ciphertext did not authenticate: it was altered, or the key, nonce or \
                 associated data is not the one it was sealed with",
            ),
            Error::Truncated { minimum, found } => write!(
                f,
                "ciphertext too short: expected at least {minimum} bytes (the tag), found {found}"
            ),
            Error::NonceLength { expected, found } => {
                write!(
                    f,
                    "wrong nonce length: expected {expected} bytes, found {found}"
                )
            }
            Error::OutputLength { expected, found } => write!(
                f,
                "wrong output buffer length: expected {expected} bytes, found {found}"
            ),
            Error::Exhausted { issued } => write!(
                f,
                "the key's nonce counter is used up after {issued} nonces: replace the key"
            ),
            Error::Unavailable { algorithm } => write!(
                f,
                "{algorithm} is not available on this CPU; use XChaCha20-Poly1305"
            ),
            Error::TooLong { found, limit } => write!(
                f,
                "message too long for the algorithm: {found} bytes, the limit is {limit}; \
                 split it into several messages"
            ),
            Error::Storage(err) => write!(f, "no guarded memory for the plaintext: {err}"),
            Error::CounterIo {
                path,
                operation,
                kind,
                errno,
            } => {
                write!(
                    f,
                    "counter file {}: {operation} failed: {kind}",
                    path.display()
                )?;
                if let Some(errno) = errno {
                    write!(f, " (errno {errno})")?;
                }
                f.write_str(
                    "; no nonce was issued from a reservation that failed, and this counter \
                     seals no more: fix the cause (disk space, permissions, the disk itself), \
                     then open the counter file again",
                )
            }
            Error::CounterInUse { path } => write!(
                f,
                "counter file {} is locked by another CounterFile, in another process or in \
                 this one (or by a child process that inherited its descriptor, until the \
                 child exits or execs): a key's nonces are counted by one holder at a time; \
                 seal through that one, or wait until it is closed",
                path.display()
            ),
            Error::CounterOfAnotherKey { path } => write!(
                f,
                "counter file {} counts the nonces of another key (or of this key under \
                 another algorithm): give each key its own counter file, created together \
                 with the key",
                path.display()
            ),
            Error::CounterCorrupt { path, reason } => write!(
                f,
                "counter file {} is damaged ({reason}), so which nonces this key has used is \
                 not known: do not repair or recreate it; replace the key (a new key, with a \
                 new counter file), and keep the damaged file to find out what happened",
                path.display()
            ),
            Error::CounterNotPrivate { path, reason } => write!(
                f,
                "counter file {} is refused because {reason}: whoever can write a counter file \
                 can set it back and make its key repeat nonces; it must be a regular file \
                 owned by this process's user with mode 0600 (on Windows: owned by this \
                 user, with a DACL that lets no one else write it). If someone else could \
                 have written it, replace the key (a new key, with a new counter file)",
                path.display()
            ),
            Error::CounterExists { path } => write!(
                f,
                "a file already exists at {}: if it is this key's counter, open it with \
                 CounterFile::open; a key that has sealed must never get a second, new counter",
                path.display()
            ),
            Error::CounterMissing { path } => write!(
                f,
                "no counter file at {}: a counter file is created only together with a new \
                 key (CounterFile::create right after the key is made); if this key has \
                 sealed before, its count is lost: replace the key",
                path.display()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Storage(err) => Some(err),
            _ => None,
        }
    }
}

impl From<secrets_core::Error> for Error {
    fn from(err: secrets_core::Error) -> Self {
        Error::Storage(err)
    }
}
