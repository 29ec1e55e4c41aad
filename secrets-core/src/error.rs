//! The one error type of `secrets-core`.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::sys::code;
use crate::Backend;

/// What went wrong when guarded memory could not be set up or filled.
///
/// Every variant carries the facts needed to act on it (sizes, the limit in force, the OS error
/// number) and none ever carries a byte of a secret. Its `Display` says what was wrong and what
/// to do; a program matches the variants it handles itself and reports the rest:
///
/// ```
/// use secrets_core::prelude::*;
/// use secrets_core::{Error, SecretBox, SecretString};
///
/// // A key of the wrong length, from outside: refused, and the source is zeroed anyway.
/// let mut wrong = vec![0x42u8; 31];
/// match SecretBox::<[u8; 32]>::from_bytes(&mut wrong) {
///     Err(Error::LengthMismatch { expected, found }) => assert_eq!((expected, found), (32, 31)),
///     other => panic!("expected a length mismatch: {other:?}"),
/// }
/// assert!(wrong.iter().all(|&b| b == 0));
///
/// // Text that is not UTF-8: the message says where, never what.
/// let err = SecretString::from_bytes(&mut vec![b'p', 0xff, b'w']).unwrap_err();
/// assert!(matches!(err, Error::InvalidUtf8 { .. }));
/// println!("{err}");
///
/// // Every error converts into std::io::Error for `?` in I/O code.
/// let io: std::io::Error = err.into();
/// assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// libsodium could not be initialised, so there is no CSPRNG and no guarded heap.
    SodiumInit,
    /// The kernel refused to map memory for a secret (`mmap` failed): out of memory, or the
    /// process is at `vm.max_map_count`.
    Map {
        /// Bytes of secret asked for.
        requested: usize,
        /// The `errno` of the failed call.
        errno: i32,
        /// `vm.max_map_count`, if it could be read.
        max_map_count: Option<u64>,
    },
    /// A guard page could not be put in place (`mprotect` failed), almost always because the
    /// process is at `vm.max_map_count`. The memory was released; no unguarded secret exists.
    Guard {
        /// Bytes of secret asked for.
        requested: usize,
        /// The `errno` of the failed call.
        errno: i32,
        /// `vm.max_map_count`, if it could be read.
        max_map_count: Option<u64>,
    },
    /// The memory could not be locked into RAM (`mlock` failed), usually because
    /// `RLIMIT_MEMLOCK` is used up. The memory was released; no swappable secret exists.
    Lock {
        /// Bytes of secret asked for.
        requested: usize,
        /// Bytes that had to be locked (whole pages).
        locked: usize,
        /// The soft `RLIMIT_MEMLOCK` in bytes; `None` means unlimited.
        limit: Option<u64>,
        /// The `errno` of the failed call.
        errno: i32,
    },
    /// A pooled or sealed secret could not be borrowed: every scratch slot of its size is
    /// holding another borrowed copy, and another scratch page could not be had (its error,
    /// usually the lock limit, is `cause`). Pooled values are read through a copy in a locked
    /// scratch slot, and sealed values are decrypted into one, so the number of such borrows
    /// alive at once is bounded by scratch memory.
    ScratchExhausted {
        /// Pooled and sealed borrows (scratch slots in use) when this one was refused.
        live_borrows: usize,
        /// Why no more scratch memory could be mapped.
        cause: Box<Error>,
    },
    /// A protective flag could not be set on the memory (`madvise` with `MADV_DONTDUMP` or
    /// `MADV_DONTFORK` failed). The memory was released.
    Advise {
        /// The advice that failed, e.g. `"MADV_DONTDUMP"`.
        advice: &'static str,
        /// The `errno` of the failed call.
        errno: i32,
    },
    /// `memfd_secret(2)` could not create a secret memory file (for instance EMFILE: too many
    /// open files, or ENOMEM).
    SecretMemory {
        /// Bytes of secret asked for.
        requested: usize,
        /// The `errno` of the failed call.
        errno: i32,
    },
    /// A secret was asked for that this machine cannot hold: its size in bytes is more than
    /// one secret may take (`limit`), or does not even fit in a `usize`. Nothing was mapped.
    ///
    /// Guarded memory is locked into RAM, and locked memory escapes overcommit: a region larger
    /// than the machine can back would be filled page by page until the kernel's OOM killer
    /// ended the process. So one secret may take at most half of the machine's physical memory
    /// (`sysconf(_SC_PHYS_PAGES)` pages), and never more than a Rust slice may span.
    ///
    /// ```
    /// use secrets_core::{Error, SecretVec};
    /// let err = SecretVec::<u64>::zero(usize::MAX / 4).unwrap_err();
    /// assert!(matches!(err, Error::TooLarge { requested, element_size: 8, .. }
    ///     if requested == usize::MAX / 4));
    /// ```
    TooLarge {
        /// Elements asked for (bytes, for a `SecretVec<u8>` or a `SecretString`).
        requested: usize,
        /// The size of one element in bytes (a `SecretBox` asks for one element of its type).
        element_size: usize,
        /// The most bytes one secret may hold on this machine.
        limit: usize,
    },
    /// The kernel refused memory for a secret, and not because of `vm.max_map_count` (the
    /// process held far fewer mappings): memory, the address space (`RLIMIT_AS`) or the
    /// cgroup's memory limit ran out. The memory was released; no unguarded secret exists.
    OutOfMemory {
        /// Bytes of secret asked for.
        requested: usize,
        /// The call that failed: `"mmap"`, `"mprotect"` or `"mlock"`.
        operation: &'static str,
        /// The `errno` of the failed call.
        errno: i32,
    },
    /// [`set_backend`](crate::set_backend) asked for a backend this machine does not offer.
    BackendUnavailable {
        /// The backend asked for.
        backend: Backend,
        /// The `errno` that probing it gave (ENOSYS: the kernel lacks it or has it disabled).
        errno: i32,
    },
    /// [`set_backend`](crate::set_backend) was called after another backend was fixed.
    BackendFixed {
        /// The backend in use, which stays in use.
        active: Backend,
        /// The backend asked for.
        requested: Backend,
    },
    /// The input had the wrong length.
    LengthMismatch {
        /// Bytes the type holds.
        expected: usize,
        /// Bytes given.
        found: usize,
    },
    /// The input's length is not a whole number of elements.
    LengthNotMultiple {
        /// The size of one element in bytes.
        element_size: usize,
        /// Bytes given.
        found: usize,
    },
    /// The input is not valid UTF-8.
    InvalidUtf8 {
        /// Bytes from the start that are valid UTF-8 (the offending bytes are not reported).
        valid_up_to: usize,
    },
    /// A key file could be read by others: its group or other permission bits are set.
    KeyFileMode {
        /// The key file.
        path: PathBuf,
        /// Its permission bits, e.g. `0o644`.
        mode: u32,
    },
    /// A key file is owned by a user other than this process's effective user and root:
    /// whoever owns it chose its bytes (ssh refuses such keys for the same reason).
    KeyFileOwner {
        /// The key file.
        path: PathBuf,
        /// The uid that owns it.
        owner: u32,
        /// This process's effective uid, which may own it (root, uid 0, may too).
        effective_uid: u32,
    },
    /// Windows: a key file's owner or DACL lets someone other than this process's user (and
    /// SYSTEM and Administrators, accepted as root is on POSIX) read it or choose its bytes.
    /// The Windows counterpart of [`KeyFileMode`](Error::KeyFileMode) and
    /// [`KeyFileOwner`](Error::KeyFileOwner); never made on POSIX systems.
    KeyFileNotPrivate {
        /// The key file.
        path: PathBuf,
        /// What is wrong: "it is owned by", "its DACL grants access to", "it has no DACL, so
        /// everyone may open it", "its DACL has an allow entry of a kind that is not checked
        /// (an object or callback entry)".
        reason: &'static str,
        /// The SID the reason names (the owner, or the one granted access), as text.
        sid: Option<String>,
    },
    /// A key file loaded as a vector is shorter than
    /// [`SecretVec::MIN_KEY_FILE_LEN`](crate::SecretVec::MIN_KEY_FILE_LEN) bytes (an empty
    /// file is never a key: it is a truncated write or a placeholder).
    KeyFileTooShort {
        /// The key file.
        path: PathBuf,
        /// The least a key file may hold.
        minimum: usize,
        /// Bytes in the file.
        found: u64,
    },
    /// A key file has the wrong length.
    KeyFileLength {
        /// The key file.
        path: PathBuf,
        /// Bytes the key holds (or, for a vector, a multiple of the element size).
        expected: usize,
        /// Bytes in the file.
        found: u64,
    },
    /// A key file is not a regular file (a directory, a device, a FIFO).
    KeyFileNotRegular {
        /// The path.
        path: PathBuf,
    },
    /// A key was to be stored where a file (or directory, or symbolic link) already is.
    /// `store` creates key files and never replaces one, since the file there may hold a key
    /// that data depends on; it was left exactly as it was.
    KeyFileExists {
        /// The path that is taken.
        path: PathBuf,
    },
    /// A key file could not be opened, read or written.
    KeyFileIo {
        /// The key file.
        path: PathBuf,
        /// What was being done: `"open"`, `"read"`, `"write"`, ...
        operation: &'static str,
        /// The `errno` (ELOOP: the path is a symbolic link, which is refused); on Windows the
        /// Win32 error code (`ERROR_REPARSE_POINT_ENCOUNTERED`: the path is a reparse point,
        /// which is refused).
        errno: i32,
    },
    /// Reading a password was interrupted (Ctrl-C at the prompt); nothing was kept.
    Interrupted,
    /// A password or line was longer than the limit given.
    TooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// A terminal could not be opened, set up or read (`open /dev/tty`, `tcgetattr`, `tcsetattr`,
    /// `write` of the prompt or `read` failed).
    Terminal {
        /// What failed.
        operation: &'static str,
        /// The `errno`.
        errno: i32,
    },
    /// A stream of secret bytes (a key file piped in, a PEM block, a token) was longer than the
    /// limit the caller gave. Reading stopped at byte `max_len + 1`; the bytes read were zeroed
    /// and released, and the rest of the stream is left unread.
    StreamTooLong {
        /// The most bytes the caller accepted.
        max_len: usize,
    },
    /// Reading a secret from a stream, or writing one to a descriptor, failed. Whatever was
    /// read so far was zeroed and released; a failed write may have written part of the secret.
    Stream {
        /// `"read"` or `"write"`.
        operation: &'static str,
        /// The kind of the I/O error.
        kind: io::ErrorKind,
        /// The `errno`, when the error came from the OS (EPIPE: the reader closed its end;
        /// EAGAIN: the descriptor is non-blocking, which is not supported).
        errno: Option<i32>,
    },
    /// A password was to be read from a terminal, but there is none: standard input is not a
    /// terminal and the process has no controlling terminal (`/dev/tty` gives ENXIO). Nothing
    /// was read from standard input.
    NoTerminal,
    /// Key derivation was refused (a parameter outside libsodium's limits, named with the
    /// value given) or Argon2id ran out of memory.
    Kdf(crate::kdf::KdfError),
    /// A PHC parameter string could not be read
    /// ([`Argon2idParams::from_phc`](crate::kdf::Argon2idParams::from_phc)).
    Phc(crate::kdf::PhcError),
}

fn os(errno: i32) -> io::Error {
    io::Error::from_raw_os_error(errno)
}

fn limit(bytes: Option<u64>) -> String {
    match bytes {
        Some(bytes) => format!("{bytes} bytes"),
        None => "unlimited".to_owned(),
    }
}

fn map_count(count: Option<u64>) -> String {
    match count {
        Some(count) => count.to_string(),
        None => "unknown".to_owned(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::SodiumInit => f.write_str(
                "libsodium could not be initialised (sodium_init failed), so no secret can be created",
            ),
            Error::Map { requested, errno, max_map_count } => write!(
                f,
                "could not map guarded memory for a {requested}-byte secret: {} \
                 (vm.max_map_count is {}); free some secrets or raise vm.max_map_count",
                os(errno),
                map_count(max_map_count),
            ),
            Error::Guard { requested, errno, max_map_count } => write!(
                f,
                "could not place guard pages around a {requested}-byte secret: {}; \
                 the process is probably at vm.max_map_count ({}): free some secrets, \
                 keep small secrets in pooled storage (`SecretBox<T, Pooled>`: two mappings \
                 per page of them), or raise vm.max_map_count",
                os(errno),
                map_count(max_map_count),
            ),
            Error::Lock { requested, locked, limit: memlock, errno } => write!(
                f,
                "could not lock {locked} bytes into RAM for a {requested}-byte secret: {} \
                 ({} is {}); hold fewer secrets at once, keep small ones in \
                 pooled storage (48 bytes locked for 32, not a page) or sealed storage \
                 (encrypted, none locked each), or raise the limit ({})",
                os(errno),
                crate::sys::mem::LOCK_LIMIT.0,
                limit(memlock),
                crate::sys::mem::LOCK_LIMIT.1,
            ),
            Error::ScratchExhausted {
                live_borrows: 0,
                ref cause,
            } => write!(
                f,
                "no scratch slot could be had to copy a pooled secret into (or decrypt a sealed \
                 one into), though no such borrow holds one: {cause}"
            ),
            Error::ScratchExhausted { live_borrows, ref cause } => write!(
                f,
                "no scratch slot is left to copy a pooled secret into (or decrypt a sealed \
                 one into): {live_borrows} pooled and sealed borrows are alive and no more \
                 scratch memory could be had ({cause}); end borrows sooner (a `Ref` held across \
                 a loop keeps its slot) or use dedicated storage for this type"
            ),
            Error::Advise { advice, errno } => write!(
                f,
                "could not set {advice} on guarded memory: {}",
                os(errno)
            ),
            Error::SecretMemory { requested, errno } => write!(
                f,
                "memfd_secret could not provide secret memory for a {requested}-byte secret: {}",
                os(errno)
            ),
            Error::TooLarge { requested, element_size, limit } => {
                if requested == 1 || element_size == 1 {
                    // One factor is 1, so the product is exact.
                    let bytes = requested.saturating_mul(element_size);
                    write!(f, "refusing a {bytes}-byte secret")?;
                } else {
                    write!(
                        f,
                        "refusing a secret of {requested} elements of {element_size} bytes"
                    )?;
                }
                write!(
                    f,
                    ": one secret may hold at most {limit} bytes on this machine (half its \
                     physical memory, since guarded memory is locked into RAM); ask for less, \
                     or split the data"
                )
            }
            Error::OutOfMemory { requested, operation, errno } => write!(
                f,
                "the kernel refused memory for a {requested}-byte secret ({operation} failed: \
                 {}){}: the system, the address-space limit (RLIMIT_AS) or the cgroup's memory \
                 limit is exhausted; free some memory or raise the limit",
                os(errno),
                if crate::sys::mem::MAP_COUNT_LIMITED {
                    ", though the process is well below vm.max_map_count"
                } else {
                    ""
                },
            ),
            Error::BackendUnavailable { backend, errno } => write!(
                f,
                "the {backend} backend is not available on this machine: {} (memfd_secret needs \
                 Linux 5.14+ with secretmem enabled); use Backend::Sodium",
                os(errno)
            ),
            Error::BackendFixed { active, requested } => write!(
                f,
                "cannot switch guarded memory to {requested}: {active} is already in use; \
                 call set_backend before the first secret is made"
            ),
            Error::LengthMismatch { expected, found } => {
                write!(f, "wrong length: expected {expected} bytes, found {found}")
            }
            Error::LengthNotMultiple { element_size, found } => write!(
                f,
                "wrong length: expected a multiple of {element_size} bytes, found {found}"
            ),
            Error::InvalidUtf8 { valid_up_to } => write!(
                f,
                "not valid UTF-8: the first invalid byte is at offset {valid_up_to}"
            ),
            Error::KeyFileMode { ref path, mode } => write!(
                f,
                "refusing key file {}: its mode is {mode:04o}, so group or others may read or \
                 write it; run `chmod 0400 {}`",
                path.display(),
                path.display()
            ),
            Error::KeyFileOwner { ref path, owner, effective_uid } => write!(
                f,
                "refusing key file {}: it is owned by uid {owner}, but only a file owned by uid \
                 {effective_uid} (this process's effective user) or by root (uid 0) is \
                 accepted, since its owner chose its bytes; check where it came from, then \
                 `chown {effective_uid} {}`",
                path.display(),
                path.display()
            ),
            Error::KeyFileNotPrivate { ref path, reason, ref sid } => write!(
                f,
                "refusing key file {}: {reason}{}{}, but only this process's user (and SYSTEM \
                 and Administrators) may own or open a key file, since its owner chose its \
                 bytes and whoever may read it has the key; check where it came from, then \
                 make it the user's alone: `icacls {} /setowner %USERNAME%`, `icacls {} \
                 /inheritance:r /grant:r %USERNAME%:F`",
                path.display(),
                if sid.is_some() { " " } else { "" },
                sid.as_deref().unwrap_or(""),
                path.display(),
                path.display()
            ),
            Error::KeyFileTooShort { ref path, minimum, found } => write!(
                f,
                "refusing key file {}: it holds {found} bytes, and a key file must hold at \
                 least {minimum} (128 bits); an empty or short file is a truncated write, not \
                 a key",
                path.display()
            ),
            Error::KeyFileLength { ref path, expected, found } => write!(
                f,
                "key file {} has the wrong length: expected {expected} bytes, found {found}",
                path.display()
            ),
            Error::KeyFileNotRegular { ref path } => {
                write!(f, "key file {} is not a regular file", path.display())
            }
            Error::KeyFileExists { ref path } => write!(
                f,
                "refusing to store a key at {}: something already exists there and was left \
                 untouched (it may be a key that data depends on); `store` never overwrites a \
                 key file: call `replace` if replacing that file is intended, or choose another \
                 path",
                path.display()
            ),
            Error::KeyFileIo { ref path, operation, errno } if errno == code::ELOOP => write!(
                f,
                "refusing key file {}: it is a symbolic link (on Windows, any reparse point: \
                 a symbolic link, a junction, a cloud placeholder) (cannot {operation} it \
                 without following it); point to the file itself",
                path.display()
            ),
            Error::KeyFileIo { ref path, operation, errno } => write!(
                f,
                "could not {operation} key file {}: {}",
                path.display(),
                os(errno)
            ),
            Error::Interrupted => f.write_str("interrupted (Ctrl-C); nothing was read"),
            Error::TooLong { limit } => write!(f, "input longer than the limit of {limit} bytes"),
            Error::Terminal { operation, errno } => {
                write!(f, "terminal {operation} failed: {}", os(errno))
            }
            Error::StreamTooLong { max_len } => write!(
                f,
                "the secret stream is longer than the limit of {max_len} bytes; nothing was \
                 kept (the bytes read were zeroed); check the input, or allow a larger max_len"
            ),
            Error::Stream { operation, kind, errno: Some(code::EPIPE) } => write!(
                f,
                "could not {operation} the secret: the other end of the pipe or socket was \
                 closed ({kind}); part of it may have been written"
            ),
            Error::Stream { operation, errno: Some(code::EWOULDBLOCK), .. } => write!(
                f,
                "could not {operation} the secret: the descriptor is non-blocking (EAGAIN; on \
                 Windows a PIPE_NOWAIT pipe), which is not supported; clear O_NONBLOCK (set \
                 PIPE_WAIT) first"
            ),
            Error::Stream { operation, errno: Some(errno), .. } => write!(
                f,
                "could not {operation} the secret: {}; nothing read was kept",
                os(errno)
            ),
            Error::Stream { operation, kind, errno: None } => write!(
                f,
                "could not {operation} the secret: {kind}; nothing read was kept"
            ),
            Error::NoTerminal => f.write_str(
                "no terminal to read the password from: standard input is not a terminal and \
                 the process has no controlling terminal; run it from a terminal, or accept a \
                 password on standard input (SecretString::read_password)",
            ),
            Error::Kdf(ref err) => err.fmt(f),
            Error::Phc(ref err) => err.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::sys::sodium::NotInitialised> for Error {
    fn from(_: crate::sys::sodium::NotInitialised) -> Self {
        Error::SodiumInit
    }
}

impl From<crate::kdf::KdfError> for Error {
    fn from(err: crate::kdf::KdfError) -> Self {
        Error::Kdf(err)
    }
}

impl From<crate::kdf::PhcError> for Error {
    fn from(err: crate::kdf::PhcError) -> Self {
        Error::Phc(err)
    }
}

impl From<crate::sys::terminal::TerminalFailure> for Error {
    fn from(failure: crate::sys::terminal::TerminalFailure) -> Self {
        Error::Terminal {
            operation: failure.operation,
            errno: failure.errno,
        }
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        let kind = match err {
            Error::LengthMismatch { .. }
            | Error::LengthNotMultiple { .. }
            | Error::InvalidUtf8 { .. }
            | Error::StreamTooLong { .. }
            | Error::Phc(_) => io::ErrorKind::InvalidData,
            Error::Stream { kind, .. } => kind,
            Error::Kdf(crate::kdf::KdfError::Argon2idOutOfMemory { .. }) => {
                io::ErrorKind::OutOfMemory
            }
            Error::Kdf(_) => io::ErrorKind::InvalidInput,
            Error::Map { .. }
            | Error::Guard { .. }
            | Error::Lock { .. }
            | Error::TooLarge { .. }
            | Error::ScratchExhausted { .. }
            | Error::OutOfMemory { .. } => io::ErrorKind::OutOfMemory,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, err)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_not_private_says_why_whom_and_the_fix() {
        let owned = Error::KeyFileNotPrivate {
            path: PathBuf::from(r"C:\keys\master.key"),
            reason: "its DACL grants access to",
            sid: Some(String::from("S-1-1-0")),
        }
        .to_string();
        for part in [
            r"refusing key file C:\keys\master.key: its DACL grants access to S-1-1-0, but",
            "SYSTEM and Administrators",
            r"icacls C:\keys\master.key /setowner %USERNAME%",
            "/inheritance:r /grant:r %USERNAME%:F",
        ] {
            assert!(owned.contains(part), "{owned:?} lacks {part:?}");
        }
        let no_dacl = Error::KeyFileNotPrivate {
            path: PathBuf::from("k"),
            reason: "it has no DACL, so everyone may open it",
            sid: None,
        }
        .to_string();
        assert!(no_dacl.contains("everyone may open it, but"), "{no_dacl:?}");
    }

    /// The messages that depend on the OS error code pick it through `sys/code.rs`'s names,
    /// which are the errno values on POSIX systems (and the Win32 codes on Windows).
    #[test]
    fn the_os_codes_that_change_a_message_are_the_errno_values() {
        let link = Error::KeyFileIo {
            path: PathBuf::from("k"),
            operation: "open",
            errno: libc::ELOOP,
        };
        assert!(link.to_string().contains("symbolic link"), "{link}");
        let closed = Error::Stream {
            operation: "write",
            kind: io::ErrorKind::BrokenPipe,
            errno: Some(libc::EPIPE),
        };
        assert!(closed.to_string().contains("was closed"), "{closed}");
        let nonblocking = Error::Stream {
            operation: "read",
            kind: io::ErrorKind::WouldBlock,
            errno: Some(libc::EAGAIN),
        };
        assert!(
            nonblocking.to_string().contains("non-blocking"),
            "{nonblocking}"
        );
        let other = Error::Stream {
            operation: "read",
            kind: io::ErrorKind::Other,
            errno: Some(libc::EIO),
        };
        assert!(!other.to_string().contains("non-blocking"), "{other}");
        assert_eq!(code::EIO, libc::EIO);
    }
}
