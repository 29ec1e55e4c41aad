//! Why a key derivation or a PHC parameter string was refused: every refusal names the limit
//! (libsodium's own constants, read through `sys/sodium.rs`) and the value given.

use std::fmt;
use std::io;

/// A key derivation refused or failed; carried by [`Error::Kdf`](crate::Error::Kdf).
///
/// Parameters are checked before libsodium is called, so each refusal says which limit was
/// broken, with the value given; only a real allocation failure is reported as one.
///
/// ```
/// use secrets_core::kdf::{self, Argon2idParams, KdfError};
/// use secrets_core::{Error, SecretBox};
///
/// // Memory given in KiB where bytes are expected: 19456 "bytes" would be 19 KiB; 4 is refused.
/// let params = Argon2idParams { ops_limit: 2, mem_limit: 4 };
/// let err = kdf::argon2id::<SecretBox<[u8; 32]>, _, 32>(b"pw", &[0; 16], params).unwrap_err();
/// assert!(matches!(err, Error::Kdf(KdfError::Argon2idMemory { bytes: 4, min: 8192, .. })));
/// assert!(err.to_string().contains("in bytes, not KiB"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KdfError {
    /// A `crypto_kdf` subkey was asked for with a length outside
    /// `crypto_kdf_BYTES_MIN..=crypto_kdf_BYTES_MAX` (16..=64 bytes).
    SubkeyLength {
        /// Bytes asked for (the size of the output type).
        length: usize,
        /// `crypto_kdf_BYTES_MIN`.
        min: usize,
        /// `crypto_kdf_BYTES_MAX`.
        max: usize,
    },
    /// An Argon2id key was asked for with a length outside
    /// `crypto_pwhash_argon2id_BYTES_MIN..=crypto_pwhash_argon2id_BYTES_MAX`.
    Argon2idOutputLength {
        /// Bytes asked for (the size of the output type).
        length: usize,
        /// `crypto_pwhash_argon2id_BYTES_MIN` (16).
        min: usize,
        /// `crypto_pwhash_argon2id_BYTES_MAX`.
        max: usize,
    },
    /// Argon2id's number of passes (`ops_limit`, `t`) is outside libsodium's range.
    Argon2idPasses {
        /// Passes given.
        passes: u64,
        /// `crypto_pwhash_argon2id_OPSLIMIT_MIN` (1).
        min: u64,
        /// `crypto_pwhash_argon2id_OPSLIMIT_MAX`.
        max: u64,
    },
    /// Argon2id's memory (`mem_limit`, in bytes) is outside libsodium's range.
    Argon2idMemory {
        /// Bytes given.
        bytes: u64,
        /// `crypto_pwhash_argon2id_MEMLIMIT_MIN` (8 KiB).
        min: u64,
        /// `crypto_pwhash_argon2id_MEMLIMIT_MAX`.
        max: u64,
    },
    /// The password is longer than `crypto_pwhash_argon2id_PASSWD_MAX`.
    Argon2idPasswordLength {
        /// Bytes given.
        length: usize,
        /// `crypto_pwhash_argon2id_PASSWD_MAX`.
        max: usize,
    },
    /// Argon2id, with parameters within every limit, could not get the memory it was asked
    /// to fill (libsodium's `mmap` or `malloc` of `mem_limit` bytes failed).
    Argon2idOutOfMemory {
        /// The memory asked for, in bytes.
        bytes: usize,
        /// The `errno` libsodium left (ENOMEM).
        errno: i32,
    },
}

impl fmt::Display for KdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            KdfError::SubkeyLength { length, min, max } => write!(
                f,
                "refusing to derive a {length}-byte subkey: crypto_kdf derives subkeys of {min} \
                 to {max} bytes (crypto_kdf_BYTES_MIN..=crypto_kdf_BYTES_MAX); use an output \
                 type of that size, or derive several subkeys"
            ),
            KdfError::Argon2idOutputLength { length, min, max } => write!(
                f,
                "refusing to derive a {length}-byte key with Argon2id: libsodium derives {min} \
                 to {max} bytes (crypto_pwhash_argon2id_BYTES_MIN..=BYTES_MAX); use an output \
                 type of that size"
            ),
            KdfError::Argon2idPasses { passes, min, max } => write!(
                f,
                "refusing Argon2id with {passes} passes (ops_limit, t): libsodium takes {min} to \
                 {max} (crypto_pwhash_argon2id_OPSLIMIT_MIN..=OPSLIMIT_MAX); OWASP's minimum is \
                 2 passes over 19 MiB"
            ),
            KdfError::Argon2idMemory { bytes, min, max } => write!(
                f,
                "refusing Argon2id with {bytes} bytes of memory (mem_limit): libsodium takes \
                 {min} to {max} bytes ({} KiB to {} KiB, \
                 crypto_pwhash_argon2id_MEMLIMIT_MIN..=MEMLIMIT_MAX); mem_limit is in bytes, \
                 not KiB as in PHC strings and RFC 9106 (19 MiB is 19 * 1024 * 1024; \
                 Argon2idParams::from_kib converts)",
                min / 1024,
                max / 1024
            ),
            KdfError::Argon2idPasswordLength { length, max } => write!(
                f,
                "refusing a {length}-byte password: Argon2id in libsodium takes at most {max} \
                 bytes (crypto_pwhash_argon2id_PASSWD_MAX)"
            ),
            KdfError::Argon2idOutOfMemory { bytes, errno } => write!(
                f,
                "Argon2id could not get the {bytes} bytes of memory it was asked to fill: {}; \
                 lower mem_limit, or raise what the process may use (RLIMIT_AS, the cgroup's \
                 memory limit)",
                io::Error::from_raw_os_error(errno)
            ),
        }
    }
}

/// The most characters of a malformed PHC string an error quotes: enough to see what it is,
/// bounded however long the input.
const QUOTE_MAX: usize = 40;

/// At most [`QUOTE_MAX`] characters of `text`, marked if cut.
pub(crate) fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

/// A PHC parameter string that [`Argon2idParams::from_phc`](crate::kdf::Argon2idParams::from_phc)
/// refused; carried by [`Error::Phc`](crate::Error::Phc). Quoted parts are cut at 40 characters.
/// (A PHC string holds parameters and a salt, nothing secret.)
///
/// ```
/// use secrets_core::kdf::{Argon2idParams, PhcError};
/// use secrets_core::Error;
///
/// let err = Argon2idParams::from_phc("$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA");
/// assert_eq!(err, Err(Error::Phc(PhcError::Algorithm { found: "argon2i".into() })));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhcError {
    /// Not `$argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt>`: it does not start with `$`, or has
    /// too few `$`-separated fields.
    Format {
        /// The string, quoted.
        found: String,
    },
    /// The algorithm is not `argon2id` (`argon2i`, `argon2d`, `scrypt`, ...).
    Algorithm {
        /// The algorithm field, quoted.
        found: String,
    },
    /// The version field is not `v=19` (Argon2 1.3, the only version libsodium computes); a
    /// string without one is Argon2 1.0.
    Version {
        /// The field found, quoted.
        found: String,
    },
    /// The parameter field is not `m=<n>,t=<n>,p=<n>`, in that order, with nothing else.
    Parameters {
        /// The field found, quoted.
        found: String,
    },
    /// A parameter's value is not a decimal number from 0 to 4294967295 written without a
    /// sign or leading zeros.
    Number {
        /// `"m"`, `"t"` or `"p"`.
        name: &'static str,
        /// The value found, quoted.
        found: String,
    },
    /// `p` (lanes) is not 1: libsodium always computes Argon2id with one lane, and a key
    /// derived with another number would differ.
    Lanes {
        /// The lanes given.
        found: u32,
    },
    /// The salt is not unpadded standard base64.
    SaltEncoding {
        /// What is wrong, e.g. "the character at offset 3 is not in the standard base64
        /// alphabet".
        problem: &'static str,
        /// The byte offset in the salt field of the bad character, if that is the problem.
        offset: Option<usize>,
    },
    /// The salt does not have `crypto_pwhash_argon2id_SALTBYTES` (16) bytes.
    SaltLength {
        /// Bytes of salt found.
        length: usize,
        /// Bytes libsodium's Argon2id takes.
        expected: usize,
    },
    /// The string has a hash field after the salt: it is a password hash, not a parameter
    /// string. The hash is the derived key itself (same password, salt and parameters give
    /// the same bytes), so it must never be stored beside what that key protects.
    HashPresent,
}

impl fmt::Display for PhcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHAPE: &str = "$argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt in base64>";
        match *self {
            PhcError::Format { ref found } => write!(
                f,
                "not an Argon2id PHC parameter string: {found:?}; expected {SHAPE}"
            ),
            PhcError::Algorithm { ref found } => write!(
                f,
                "the PHC string is for {found:?}, not argon2id: only Argon2id parameters are \
                 read (expected {SHAPE})"
            ),
            PhcError::Version { ref found } => write!(
                f,
                "the PHC string's version field is {found:?}, not v=19: libsodium computes \
                 only Argon2 version 1.3 (19), and a string without a version is 1.0"
            ),
            PhcError::Parameters { ref found } => write!(
                f,
                "the PHC string's parameters are {found:?}: expected exactly m=<KiB>,t=<passes>,\
                 p=1, in that order"
            ),
            PhcError::Number { name, ref found } => write!(
                f,
                "the PHC parameter {name}={found:?} is not a decimal number from 0 to \
                 4294967295 (no sign, no leading zeros)"
            ),
            PhcError::Lanes { found } => write!(
                f,
                "the PHC string asks for p={found} lanes: libsodium computes Argon2id with one \
                 lane (p=1), and a key derived with {found} would differ"
            ),
            PhcError::SaltEncoding {
                problem,
                offset: Some(offset),
            } => write!(
                f,
                "the PHC string's salt is not unpadded standard base64: {problem} (offset \
                 {offset} in the salt)"
            ),
            PhcError::SaltEncoding {
                problem,
                offset: None,
            } => write!(
                f,
                "the PHC string's salt is not unpadded standard base64: {problem}"
            ),
            PhcError::SaltLength { length, expected } => write!(
                f,
                "the PHC string's salt has {length} bytes: libsodium's Argon2id takes \
                 {expected} (crypto_pwhash_argon2id_SALTBYTES)"
            ),
            PhcError::HashPresent => f.write_str(
                "the PHC string ends in a hash field: it is a password hash, not a parameter \
                 string, and its hash is the derived key itself; store only \
                 $argon2id$v=19$m=..,t=..,p=1$<salt> (Argon2idParams::to_phc), never the hash",
            ),
        }
    }
}
