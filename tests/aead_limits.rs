//! `seal` and `open` past an algorithm's message limit return `Error::TooLong`, before anything
//! is allocated or handed to libsodium, instead of aborting the process.
//!
//! The inputs are real slices of the lengths that matter (about 64 GiB for AES-256-GCM, 256 GiB
//! for ChaCha20-Poly1305-IETF) without the memory: a private anonymous mapping with
//! `MAP_NORESERVE` reserves address space only, and every page of it reads as the shared zero
//! page. Each case runs in a child whose address-space limit (`RLIMIT_AS`) is lowered to what
//! it already maps plus 1 GiB, so a regression that allocated the output (64 GiB) or the
//! guarded plaintext fails at once (an abort, a typed allocation error) instead of taking the
//! machine's memory; the child is what may die.

// Linux-only: reads VmSize from /proc/self/status to show nothing was allocated.
#![cfg(any(target_os = "linux", target_os = "android"))]

use secrets_core::__private::aead::Algorithm as Raw;
use secrets_integration_tests::in_child;
use secrets_nonce::{
    open, open_into, Aes256Gcm, Algorithm, ChaCha20Poly1305Ietf, Error, SessionKey, UsedNonce,
};

const TAG_LEN: usize = ChaCha20Poly1305Ietf::TAG_LEN;

/// `len` bytes of address space that read as zeros (`writable`: and may be written, though
/// none of these tests writes them), mapped without reserving memory. Never unmapped: the
/// child exits.
fn sparse(len: usize, writable: bool) -> &'static mut [u8] {
    let prot = if writable {
        libc::PROT_READ | libc::PROT_WRITE
    } else {
        libc::PROT_READ
    };
    // SAFETY: a new anonymous mapping at an address of the kernel's choosing; it touches no
    // existing memory.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    assert_ne!(
        addr,
        libc::MAP_FAILED,
        "mmap {len} bytes: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: the mapping is `len` bytes, readable (zero pages), owned by nothing else and
    // never unmapped, so the slice is valid for the rest of the process. A read-only mapping
    // is only ever read through it: `seal` and `open` take `&[u8]` inputs.
    unsafe { std::slice::from_raw_parts_mut(addr.cast::<u8>(), len) }
}

/// Lowers `RLIMIT_AS` to the address space mapped now plus 1 GiB.
fn limit_address_space() {
    let status = std::fs::read_to_string("/proc/self/status").expect("read status");
    let kb: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmSize:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmSize in /proc/self/status");
    let bytes = kb * 1024 + (1 << 30);
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: `limit` is a valid rlimit for setrlimit to read.
    let ret = unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
    assert_eq!(ret, 0, "setrlimit(RLIMIT_AS)");
    println!("RLIMIT_AS lowered to {bytes} bytes");
}

#[test]
fn aes_gcm_past_its_limit_is_too_long_not_an_abort() {
    in_child("aes_gcm_past_its_limit_is_too_long_not_an_abort", || {
        if !Aes256Gcm::is_available() {
            println!("AES-256-GCM is not available on this CPU: nothing to test");
            return;
        }
        let limit = Raw::Aes256Gcm.max_message_len();
        assert_eq!(limit as u64, 16 * ((1u64 << 32) - 2), "libsodium's limit");
        let found = limit + 1;
        let message = sparse(found, false);
        let ciphertext = sparse(found + TAG_LEN, false);
        let out = sparse(found, true);
        limit_address_space();

        let key = SessionKey::<Aes256Gcm>::generate().expect("key");
        assert_eq!(
            key.seal(b"", message).unwrap_err(),
            Error::TooLong { found, limit }
        );
        // The nonce the refused call took is not offered again.
        assert_eq!(key.remaining(), u64::MAX - 1);
        let used = UsedNonce::<Aes256Gcm>::from_bytes(&[0; 12]).expect("nonce");
        assert_eq!(
            open(&key, &used, b"", ciphertext).unwrap_err(),
            Error::TooLong { found, limit }
        );
        assert_eq!(
            open_into(&key, &used, b"", ciphertext, out).unwrap_err(),
            Error::TooLong { found, limit }
        );
        println!("refused {found} bytes with TooLong");
    })
    .assert_success();
}

#[test]
fn chacha_ietf_past_its_limit_is_too_long_not_an_abort() {
    in_child(
        "chacha_ietf_past_its_limit_is_too_long_not_an_abort",
        || {
            let limit = Raw::ChaCha20Poly1305Ietf.max_message_len();
            assert_eq!(limit as u64, 64 * ((1u64 << 32) - 1), "libsodium's limit");
            let found = limit + 1;
            let message = sparse(found, false);
            let ciphertext = sparse(found + TAG_LEN, false);
            limit_address_space();

            let key = SessionKey::<ChaCha20Poly1305Ietf>::generate().expect("key");
            assert_eq!(
                key.seal(b"", message).unwrap_err(),
                Error::TooLong { found, limit }
            );
            // The nonce the refused call took is not offered again.
            assert_eq!(key.remaining(), u64::MAX - 1);
            let used = UsedNonce::<ChaCha20Poly1305Ietf>::from_bytes(&[0; 12]).expect("nonce");
            assert_eq!(
                open(&key, &used, b"", ciphertext).unwrap_err(),
                Error::TooLong { found, limit }
            );
            println!("refused {found} bytes with TooLong");
        },
    )
    .assert_success();
}

#[test]
fn errors_name_the_length_and_the_limit() {
    let text = Error::TooLong {
        found: 68_719_476_705,
        limit: 68_719_476_704,
    }
    .to_string();
    assert!(
        text.contains("68719476705") && text.contains("68719476704"),
        "{text}"
    );
}
