//! Key derivation at the edges a unit test cannot reach: a password longer than libsodium's
//! `crypto_pwhash_argon2id_PASSWD_MAX` (4 GiB), refused before a byte of it is read, and
//! Argon2id's memory running out, the one failure left once every parameter is checked, which
//! alone is reported as out of memory.
//!
//! Each runs in a child whose address-space limit (`RLIMIT_AS`) is lowered: the 4 GiB password
//! is address space without memory (`MAP_NORESERVE` zero pages), and a regression that read it
//! or allocated for it fails at once in the child instead of taking the machine's memory.

// Linux-only: reads /proc/self/status under RLIMIT_AS (Linux capability helpers).
#![cfg(any(target_os = "linux", target_os = "android"))]

use secrets_core::kdf::{self, Argon2idParams, KdfError};
use secrets_core::{Error, SecretBox};
use secrets_integration_tests::anon::sparse_zeros;
use secrets_integration_tests::caps::{set_address_space_limit, status_bytes};
use secrets_integration_tests::in_child;

/// `crypto_pwhash_argon2id_PASSWD_MAX` on 64-bit targets.
const PASSWD_MAX: usize = (1 << 32) - 1;

const CHEAP: Argon2idParams = Argon2idParams {
    ops_limit: 1,
    mem_limit: 8 * 1024,
};

#[test]
fn a_password_past_libsodiums_maximum_is_refused_naming_both_lengths() {
    in_child(
        "a_password_past_libsodiums_maximum_is_refused_naming_both_lengths",
        || {
            let length = PASSWD_MAX + 1;
            let password = sparse_zeros(length);
            set_address_space_limit(status_bytes("VmSize") + (256 << 20));
            let result: Result<SecretBox<[u8; 32]>, Error> =
                kdf::argon2id(password, &[1; 16], CHEAP);
            let err = result.unwrap_err();
            assert_eq!(
                err,
                Error::Kdf(KdfError::Argon2idPasswordLength {
                    length,
                    max: PASSWD_MAX
                })
            );
            let text = err.to_string();
            assert!(
                text.contains("4294967296-byte password")
                    && text.contains("at most 4294967295 bytes"),
                "{text}"
            );
            // The boundary's other side, cheaply: an empty password is within the limits.
            let empty: Result<SecretBox<[u8; 32]>, Error> = kdf::argon2id(b"", &[1; 16], CHEAP);
            assert!(empty.is_ok());
            println!("refused: {text}");
        },
    )
    .assert_success();
}

#[test]
fn argon2id_running_out_of_memory_is_reported_as_that_alone() {
    in_child(
        "argon2id_running_out_of_memory_is_reported_as_that_alone",
        || {
            // Room for the process and a cheap derivation, not for 1 GiB of Argon2id memory.
            set_address_space_limit(status_bytes("VmSize") + (256 << 20));
            // Control: under the same limit, a derivation whose memory fits goes through, so
            // what fails below is the memory asked for and nothing else.
            let small: Result<SecretBox<[u8; 32]>, Error> = kdf::argon2id(b"pw", &[1; 16], CHEAP);
            assert!(small.is_ok(), "{:?}", small.err());

            let large: Result<SecretBox<[u8; 32]>, Error> =
                kdf::argon2id(b"pw", &[1; 16], Argon2idParams::SENSITIVE);
            let err = large.unwrap_err();
            assert_eq!(
                err,
                Error::Kdf(KdfError::Argon2idOutOfMemory {
                    bytes: 1 << 30,
                    errno: libc::ENOMEM
                })
            );
            let text = err.to_string();
            assert!(
                text.contains("1073741824 bytes") && text.contains("lower mem_limit"),
                "{text}"
            );
            assert_eq!(
                std::io::Error::from(err).kind(),
                std::io::ErrorKind::OutOfMemory
            );
            println!("refused: {text}");
        },
    )
    .assert_success();
}
