//! libsodium's AEAD constructions behind safe, length-checked functions.
//!
//! `secrets-nonce` builds typed keys and single-use nonces on these; it has no `unsafe` of its
//! own. Every function checks every length before calling libsodium, so no input can make it
//! read or write out of bounds.

use libsodium_sys as ffi;

use super::sodium;

/// The AEAD constructions offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// XChaCha20-Poly1305 (IETF variant): 256-bit key, 192-bit nonce.
    XChaCha20Poly1305,
    /// ChaCha20-Poly1305 as in RFC 8439: 256-bit key, 96-bit nonce.
    ChaCha20Poly1305Ietf,
    /// AES-256-GCM: 256-bit key, 96-bit nonce; only where the CPU has AES-NI and CLMUL.
    Aes256Gcm,
}

/// The authentication tag appended to every ciphertext, in bytes (16 for all three).
pub const TAG_LEN: usize = 16;

/// Every key is 256 bits.
pub const KEY_LEN: usize = 32;

impl Algorithm {
    /// The nonce length in bytes.
    pub const fn nonce_len(self) -> usize {
        match self {
            Algorithm::XChaCha20Poly1305 => 24,
            Algorithm::ChaCha20Poly1305Ietf | Algorithm::Aes256Gcm => 12,
        }
    }

    /// Whether this machine can run the construction (AES-256-GCM needs AES-NI and CLMUL).
    pub fn is_available(self) -> bool {
        match self {
            Algorithm::XChaCha20Poly1305 | Algorithm::ChaCha20Poly1305Ietf => true,
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
    }
}

/// Why [`seal_to_vec`] or [`open`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// A key, nonce or output buffer had the wrong length, or the algorithm is not available.
    Misuse,
    /// The ciphertext, tag, nonce or associated data did not authenticate.
    Forged,
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
    let lengths_ok = key.len() == KEY_LEN
        && nonce.len() == algorithm.nonce_len()
        && plaintext.len().checked_add(TAG_LEN) == Some(out_len);
    if !lengths_ok || !algorithm.is_available() {
        return Err(Refused::Misuse);
    }
    sodium::init_or_panic();
    let (encrypt, _) = functions(algorithm);
    let mut written = 0u64;
    // SAFETY: every pointer is valid for the length passed with it (checked above: `out` has
    // room for the plaintext and the tag, key and nonce have the construction's lengths); the
    // `nsec` argument is unused by these constructions and may be null. `out` does not overlap
    // `plaintext` (a distinct borrow or a fresh allocation).
    let ret = unsafe {
        encrypt(
            out,
            &mut written,
            plaintext.as_ptr(),
            plaintext.len() as u64,
            aad.as_ptr(),
            aad.len() as u64,
            std::ptr::null(),
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    if ret == 0 && written == out_len as u64 {
        Ok(())
    } else {
        Err(Refused::Misuse)
    }
}

/// Checks and decrypts `ciphertext` (ciphertext then tag) into `out`
/// (`ciphertext.len() - TAG_LEN` bytes). On failure `out` holds no plaintext.
pub fn open(
    algorithm: Algorithm,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    out: &mut [u8],
) -> Result<(), Refused> {
    let lengths_ok = key.len() == KEY_LEN
        && nonce.len() == algorithm.nonce_len()
        && ciphertext.len().checked_sub(TAG_LEN) == Some(out.len());
    if !lengths_ok || !algorithm.is_available() {
        return Err(Refused::Misuse);
    }
    sodium::init_or_panic();
    let (_, decrypt) = functions(algorithm);
    let mut written = 0u64;
    // SAFETY: as in `seal_to`: `out` has exactly the room the plaintext needs, key and nonce
    // have the construction's lengths, `nsec` is unused and null.
    let ret = unsafe {
        decrypt(
            out.as_mut_ptr(),
            &mut written,
            std::ptr::null_mut(),
            ciphertext.as_ptr(),
            ciphertext.len() as u64,
            aad.as_ptr(),
            aad.len() as u64,
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    if ret == 0 && written == out.len() as u64 {
        Ok(())
    } else {
        sodium::memzero(out);
        Err(Refused::Forged)
    }
}

/// Encrypts and authenticates `plaintext` into a new `Vec` of `plaintext.len() + TAG_LEN`
/// bytes (ciphertext, then tag) that libsodium writes directly, with no zeroing pass first.
pub fn seal_to_vec(
    algorithm: Algorithm,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Refused> {
    let len = plaintext
        .len()
        .checked_add(TAG_LEN)
        .ok_or(Refused::Misuse)?;
    let mut out: Vec<u8> = Vec::with_capacity(len);
    seal_to(algorithm, key, nonce, aad, plaintext, out.as_mut_ptr(), len)?;
    // SAFETY: the capacity is at least `len`, and `seal_to` succeeded, so libsodium wrote
    // exactly `len` bytes (it checks `written`): they are initialised.
    unsafe { out.set_len(len) };
    Ok(out)
}
