//! The one error type of `secrets-nonce`.

use std::fmt;

/// Why sealing, opening or taking a nonce failed. Never carries plaintext or key bytes.
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
    /// A [`NonceSequence`](crate::NonceSequence) has issued all the nonces it may.
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
                "the nonce sequence is exhausted after {issued} nonces: replace the key"
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
