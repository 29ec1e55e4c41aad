//! libsodium's AEAD constructions behind safe, length-checked functions.
//!
//! `secrets-nonce` builds typed keys and single-use nonces on these; it has no `unsafe` of its
//! own. Every function checks every length before calling libsodium, so no input can make it
//! read or write out of bounds, and none can reach libsodium's `sodium_misuse()` abort: a
//! message longer than the construction's `crypto_aead_*_messagebytes_max()` is refused with
//! [`Refused::TooLong`] before anything is allocated or called.
//!
//! libsodium leaves keystream and plaintext blocks in dead stack frames (ChaCha20's blocks,
//! AES-256-GCM's last partial block); every call here is followed by
//! `sodium::scrub_stack` (`sodium_stackzero`), which zeroes
//! [`Algorithm::stack_scrub_len`] bytes below it.

use libsodium_sys as ffi;

use super::sodium;

pub use super::sodium::scrub;

/// The AEAD constructions offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// XChaCha20-Poly1305 (IETF variant): 256-bit key, 192-bit nonce.
    XChaCha20Poly1305,
    /// ChaCha20-Poly1305 as in RFC 8439: 256-bit key, 96-bit nonce.
    ChaCha20Poly1305Ietf,
    /// AES-256-GCM: 256-bit key, 96-bit nonce; only where the CPU has AES-NI and CLMUL.
    Aes256Gcm,
    /// AEGIS-256: 256-bit key, 256-bit nonce, 256-bit tag; libsodium has a portable
    /// implementation besides the AES-NI one, so it runs everywhere.
    Aegis256,
}

/// Every key is 256 bits.
pub const KEY_LEN: usize = 32;

impl Algorithm {
    /// The nonce length in bytes.
    #[inline]
    pub const fn nonce_len(self) -> usize {
        match self {
            Algorithm::XChaCha20Poly1305 => 24,
            Algorithm::ChaCha20Poly1305Ietf | Algorithm::Aes256Gcm => 12,
            Algorithm::Aegis256 => 32,
        }
    }

    /// The authentication tag appended to every ciphertext, in bytes: 16, or 32 for AEGIS-256.
    #[inline]
    pub const fn tag_len(self) -> usize {
        match self {
            Algorithm::XChaCha20Poly1305
            | Algorithm::ChaCha20Poly1305Ietf
            | Algorithm::Aes256Gcm => 16,
            Algorithm::Aegis256 => 32,
        }
    }

    /// The longest message libsodium seals or opens with this construction, in bytes (its
    /// `crypto_aead_*_MESSAGEBYTES_MAX`): 16 × (2³² − 2) for AES-256-GCM (about 64 GiB: its
    /// 32-bit block counter), 64 × (2³² − 1) for ChaCha20-Poly1305-IETF (about 256 GiB),
    /// `SIZE_MAX - 16` for XChaCha20-Poly1305 (no slice is that long) and 2⁶¹ − 1 for
    /// AEGIS-256, each at most `SIZE_MAX` less the tag. Constants here (the hot paths check
    /// every length against them); a unit test compares each with libsodium's
    /// `crypto_aead_*_messagebytes_max()`.
    #[inline]
    pub const fn max_message_len(self) -> usize {
        let limit: u64 = match self {
            Algorithm::XChaCha20Poly1305 => u64::MAX,
            Algorithm::ChaCha20Poly1305Ietf => 64 * ((1 << 32) - 1),
            Algorithm::Aes256Gcm => 16 * ((1 << 32) - 2),
            Algorithm::Aegis256 => (1 << 61) - 1,
        };
        let most = usize::MAX - self.tag_len();
        if limit > most as u64 {
            most
        } else {
            limit as usize
        }
    }

    /// The length of the sealed form (message, then tag) of a `message_len`-byte message.
    ///
    /// # Errors
    /// [`Refused::TooLong`] if the message is longer than [`Algorithm::max_message_len`] (or
    /// the sum overflows, which that limit already excludes).
    #[inline]
    pub fn sealed_len(self, message_len: usize) -> Result<usize, Refused> {
        let limit = self.max_message_len();
        let too_long = Refused::TooLong {
            found: message_len,
            limit,
        };
        if message_len > limit {
            return Err(too_long);
        }
        message_len.checked_add(self.tag_len()).ok_or(too_long)
    }

    /// Bytes of stack zeroed after each call of this construction: what libsodium was
    /// measured to write below its caller, with room to spare (see [`scrub`]).
    #[inline]
    pub const fn stack_scrub_len(self) -> usize {
        match self {
            Algorithm::XChaCha20Poly1305 | Algorithm::ChaCha20Poly1305Ietf => {
                scrub::CHACHA20_POLY1305
            }
            Algorithm::Aes256Gcm => scrub::AES256_GCM,
            Algorithm::Aegis256 => scrub::AEGIS256,
        }
    }

    /// Whether this machine can run the construction (AES-256-GCM needs AES-NI and CLMUL).
    #[inline]
    pub fn is_available(self) -> bool {
        match self {
            Algorithm::XChaCha20Poly1305
            | Algorithm::ChaCha20Poly1305Ietf
            | Algorithm::Aegis256 => true,
            Algorithm::Aes256Gcm => {
                sodium::init_or_panic();
                // SAFETY: takes no arguments; libsodium is initialised (it probes the CPU).
                unsafe { ffi::crypto_aead_aes256gcm_is_available() == 1 }
            }
        }
    }
}

type Encrypt = unsafe extern "C" fn(
    *mut u8,
    *mut u64,
    *const u8,
    u64,
    *const u8,
    u64,
    *const u8,
    *const u8,
    *const u8,
) -> libc::c_int;

type Decrypt = unsafe extern "C" fn(
    *mut u8,
    *mut u64,
    *mut u8,
    *const u8,
    u64,
    *const u8,
    u64,
    *const u8,
    *const u8,
) -> libc::c_int;

fn functions(algorithm: Algorithm) -> (Encrypt, Decrypt) {
    match algorithm {
        Algorithm::XChaCha20Poly1305 => (
            ffi::crypto_aead_xchacha20poly1305_ietf_encrypt,
            ffi::crypto_aead_xchacha20poly1305_ietf_decrypt,
        ),
        Algorithm::ChaCha20Poly1305Ietf => (
            ffi::crypto_aead_chacha20poly1305_ietf_encrypt,
            ffi::crypto_aead_chacha20poly1305_ietf_decrypt,
        ),
        Algorithm::Aes256Gcm => (
            ffi::crypto_aead_aes256gcm_encrypt,
            ffi::crypto_aead_aes256gcm_decrypt,
        ),
        Algorithm::Aegis256 => (
            ffi::crypto_aead_aegis256_encrypt,
            ffi::crypto_aead_aegis256_decrypt,
        ),
    }
}

/// Why [`seal_to_vec`] or [`open`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// A key, nonce or output buffer had the wrong length, or the algorithm is not available.
    Misuse,
    /// The ciphertext, tag, nonce or associated data did not authenticate.
    Forged,
    /// The message (for [`open`], the ciphertext less its tag) is longer than the algorithm
    /// allows.
    TooLong {
        /// Bytes of message.
        found: usize,
        /// [`Algorithm::max_message_len`].
        limit: usize,
    },
}

/// A length as libsodium's `unsigned long long`.
fn wide(len: usize) -> Result<u64, Refused> {
    u64::try_from(len).map_err(|_| Refused::Misuse)
}

/// Encrypts `plaintext` into `out_len` bytes at `out` (ciphertext, then tag), which may be
/// uninitialised: libsodium only writes there. `out` is a vector's spare capacity.
fn seal_to(
    algorithm: Algorithm,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    out: *mut u8,
    out_len: usize,
) -> Result<(), Refused> {
    let sealed_len = algorithm.sealed_len(plaintext.len())?;
    let lengths_ok =
        key.len() == KEY_LEN && nonce.len() == algorithm.nonce_len() && sealed_len == out_len;
    if !lengths_ok || !algorithm.is_available() {
        return Err(Refused::Misuse);
    }
    let (plaintext_len, aad_len, out_len) =
        (wide(plaintext.len())?, wide(aad.len())?, wide(out_len)?);
    sodium::init_or_panic();
    let (encrypt, _) = functions(algorithm);
    let mut written = 0u64;
    // SAFETY: every pointer is valid for the length passed with it (checked above: `out` has
    // room for the plaintext and the tag, key and nonce have the construction's lengths, the
    // plaintext is within the construction's limit, so libsodium does not abort); the `nsec`
    // argument is unused by these constructions and may be null. `out` does not overlap
    // `plaintext` (a distinct borrow or a fresh allocation).
    let ret = unsafe {
        encrypt(
            out,
            &mut written,
            plaintext.as_ptr(),
            plaintext_len,
            aad.as_ptr(),
            aad_len,
            std::ptr::null(),
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    // ChaCha20 leaves keystream and plaintext blocks in its dead frames.
    sodium::scrub_stack(algorithm.stack_scrub_len());
    if ret == 0 && written == out_len {
        Ok(())
    } else {
        Err(Refused::Misuse)
    }
}

/// Checks and decrypts `ciphertext` (ciphertext then tag) into `out`
/// (`ciphertext.len() - algorithm.tag_len()` bytes). On failure `out` holds no plaintext.
///
/// # Errors
/// [`Refused::TooLong`] when the message would be longer than the algorithm allows (checked
/// before libsodium is called); [`Refused::Misuse`] for a wrong key, nonce or output length, a
/// ciphertext shorter than the tag, or an algorithm this CPU lacks; [`Refused::Forged`] when
/// it does not authenticate.
pub fn open(
    algorithm: Algorithm,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    out: &mut [u8],
) -> Result<(), Refused> {
    let message_len = ciphertext
        .len()
        .checked_sub(algorithm.tag_len())
        .ok_or(Refused::Misuse)?;
    algorithm.sealed_len(message_len)?;
    let lengths_ok =
        key.len() == KEY_LEN && nonce.len() == algorithm.nonce_len() && message_len == out.len();
    if !lengths_ok || !algorithm.is_available() {
        return Err(Refused::Misuse);
    }
    let (ciphertext_len, aad_len, out_len) =
        (wide(ciphertext.len())?, wide(aad.len())?, wide(out.len())?);
    sodium::init_or_panic();
    let (_, decrypt) = functions(algorithm);
    let mut written = 0u64;
    // SAFETY: as in `seal_to`: `out` has exactly the room the plaintext needs, key and nonce
    // have the construction's lengths, the message is within the limit, `nsec` is unused and
    // null.
    let ret = unsafe {
        decrypt(
            out.as_mut_ptr(),
            &mut written,
            std::ptr::null_mut(),
            ciphertext.as_ptr(),
            ciphertext_len,
            aad.as_ptr(),
            aad_len,
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    // AES-256-GCM leaves the last partial plaintext block in a dead frame (whether or not the
    // tag verified), ChaCha20 its keystream and plaintext blocks.
    sodium::scrub_stack(algorithm.stack_scrub_len());
    if ret == 0 && written == out_len {
        Ok(())
    } else {
        sodium::memzero(out);
        Err(Refused::Forged)
    }
}

/// Encrypts and authenticates `plaintext` into `out` (ciphertext, then tag), which must be
/// exactly `plaintext.len() + algorithm.tag_len()` bytes and must not overlap it.
///
/// # Errors
/// [`Refused::TooLong`] for a message longer than the algorithm allows; [`Refused::Misuse`] for
/// a wrong key, nonce or output length or an algorithm this CPU lacks (nothing is written).
pub fn seal_into(
    algorithm: Algorithm,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
    out: &mut [u8],
) -> Result<(), Refused> {
    seal_to(
        algorithm,
        key,
        nonce,
        aad,
        plaintext,
        out.as_mut_ptr(),
        out.len(),
    )
}

/// Encrypts and authenticates `plaintext` into a new `Vec` of `plaintext.len() + algorithm.tag_len()`
/// bytes (ciphertext, then tag) that libsodium writes directly, with no zeroing pass first.
///
/// # Errors
/// [`Refused::TooLong`] for a message longer than the algorithm allows (before anything is
/// allocated); [`Refused::Misuse`] for a wrong key or nonce length or an algorithm this CPU
/// lacks.
pub fn seal_to_vec(
    algorithm: Algorithm,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Refused> {
    let len = algorithm.sealed_len(plaintext.len())?;
    let mut out: Vec<u8> = Vec::with_capacity(len);
    seal_to(algorithm, key, nonce, aad, plaintext, out.as_mut_ptr(), len)?;
    // SAFETY: the capacity is at least `len`, and `seal_to` succeeded, so libsodium wrote
    // exactly `len` bytes (it checks `written`): they are initialised.
    unsafe { out.set_len(len) };
    Ok(out)
}

/// A public name for `key`: keyed BLAKE2b-256 (`crypto_generichash` with `key` as its key) of
/// `domain`. It identifies the key (a counter file records it, so the file cannot serve
/// another key) and tells nothing about it: BLAKE2b keyed is a PRF, and `domain` is a string
/// no other use of the key MACs.
///
/// # Errors
/// [`Refused::Misuse`] when `key` is not [`KEY_LEN`] bytes.
pub fn key_identity(key: &[u8], domain: &[u8]) -> Result<[u8; 32], Refused> {
    if key.len() != KEY_LEN {
        return Err(Refused::Misuse);
    }
    let domain_len = wide(domain.len())?;
    sodium::init_or_panic();
    let mut out = [0u8; 32];
    // SAFETY: `out` has 32 bytes (within crypto_generichash_BYTES_MIN..=MAX), `domain` is valid
    // for `domain_len` bytes, and `key` for KEY_LEN (32, within crypto_generichash_KEYBYTES_MIN
    // ..=MAX), all for the whole call.
    let ret = unsafe {
        ffi::crypto_generichash(
            out.as_mut_ptr(),
            out.len(),
            domain.as_ptr(),
            domain_len,
            key.as_ptr(),
            key.len(),
        )
    };
    // BLAKE2b keyed copies the key into its first block, which a dead frame keeps.
    sodium::scrub_stack(sodium::scrub::KDF);
    if ret == 0 {
        Ok(out)
    } else {
        Err(Refused::Misuse)
    }
}

#[cfg(test)]
mod tests {
    use super::{ffi, Algorithm, Refused};

    const ALL: [Algorithm; 4] = [
        Algorithm::XChaCha20Poly1305,
        Algorithm::ChaCha20Poly1305Ietf,
        Algorithm::Aes256Gcm,
        Algorithm::Aegis256,
    ];

    #[test]
    fn key_identity_depends_on_key_and_domain() {
        let (a, b) = ([1u8; 32], [2u8; 32]);
        let id = super::key_identity(&a, b"one");
        assert!(matches!(id, Ok(bytes) if bytes != [0u8; 32]));
        assert_eq!(super::key_identity(&a, b"one"), id);
        assert_ne!(super::key_identity(&b, b"one"), id);
        assert_ne!(super::key_identity(&a, b"two"), id);
        assert_eq!(super::key_identity(&a[..31], b"one"), Err(Refused::Misuse));
    }

    #[test]
    fn the_limits_are_libsodiums_own() {
        let functions: [unsafe extern "C" fn() -> usize; 4] = [
            ffi::crypto_aead_xchacha20poly1305_ietf_messagebytes_max,
            ffi::crypto_aead_chacha20poly1305_ietf_messagebytes_max,
            ffi::crypto_aead_aes256gcm_messagebytes_max,
            ffi::crypto_aead_aegis256_messagebytes_max,
        ];
        // SAFETY: each returns a constant; they take no arguments and read no state.
        let theirs = functions.map(|limit| unsafe { limit() });
        assert_eq!(ALL.map(Algorithm::max_message_len), theirs);
    }

    #[test]
    fn limits_are_libsodiums() {
        assert_eq!(
            Algorithm::Aes256Gcm.max_message_len() as u64,
            16 * ((1u64 << 32) - 2)
        );
        assert_eq!(
            Algorithm::ChaCha20Poly1305Ietf.max_message_len() as u64,
            64 * ((1u64 << 32) - 1)
        );
        assert_eq!(
            Algorithm::XChaCha20Poly1305.max_message_len(),
            usize::MAX - 16
        );
        assert_eq!(
            Algorithm::Aegis256.max_message_len() as u64,
            (1u64 << 61) - 1
        );
    }

    #[test]
    fn sealed_len_accepts_the_limit_and_refuses_one_more() {
        for algorithm in ALL {
            let (limit, tag) = (algorithm.max_message_len(), algorithm.tag_len());
            assert_eq!(algorithm.sealed_len(0), Ok(tag));
            assert_eq!(
                algorithm.sealed_len(limit),
                Ok(limit + tag),
                "{algorithm:?}"
            );
            for found in [limit + 1, usize::MAX - tag + 1, usize::MAX] {
                assert_eq!(
                    algorithm.sealed_len(found),
                    Err(Refused::TooLong { found, limit }),
                    "{algorithm:?} at {found}"
                );
            }
        }
    }
}
