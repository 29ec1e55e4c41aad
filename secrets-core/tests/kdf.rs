//! Key derivation against libsodium's own known answers (its test/default/pwhash_argon2id and
//! kdf vectors), with the outputs in guarded memory.

use secrets_core::kdf::{self, Argon2idParams, KdfError, PhcError};
use secrets_core::prelude::*;
use secrets_core::Error;

fn unhex(text: &str) -> Vec<u8> {
    let text: String = text.split_whitespace().collect();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// libsodium test/default/pwhash_argon2id.c, first vector (Argon2id v1.3, one lane).
#[test]
fn argon2id_matches_libsodiums_known_answer() {
    let password = unhex(
        "a347ae92bce9f80f6f595a4480fc9c2fe7e7d7148d371e9487d75f5c23008ffae0
         65577a928febd9b1973a5a95073acdbeb6a030cfc0d79caa2dc5cd011cef02c08d
         a232d76d52dfbca38ca8dcbd665b17d1665f7cf5fe59772ec909733b24de97d6f5
         8d220b20c60d7c07ec1fd93c52c31020300c6c1facd77937a597c7a6",
    );
    assert_eq!(password.len(), 127);
    let salt: [u8; kdf::SALT_LEN] = unhex("5541fbc995d5c197ba290346d2c559de")
        .try_into()
        .unwrap();
    let params = Argon2idParams {
        ops_limit: 5,
        mem_limit: 7_256_678,
    };
    let key: SecretBox<[u8; 155]> = kdf::argon2id(&password, &salt, params).unwrap();
    assert_eq!(&key.borrow()[..], &unhex("18acec5d6507739f203d1f5d9f1d862f7c2cdac4f19d2bdff64487e60d969e3ced615337b9eec6ac4461c6ca07f0939741e57c24d0005c7ea171a0ee1e7348249d135b38f222e4dad7b9a033ed83f5ca27277393e316582033c74affe2566a2bea47f91f0fd9fe49ece7e1f79f3ad6e9b23e0277c8ecc4b313225748dd2a80f5679534a0700e246a79a49b3f74eb89ec6205fe1eeb941c73b1fcf1")[..]);
}

#[test]
fn argon2id_depends_on_password_and_salt() {
    let params = Argon2idParams {
        ops_limit: 1,
        mem_limit: 8 * 1024,
    };
    let a: SecretBox<[u8; 32]> = kdf::argon2id(b"pw", &[1; 16], params).unwrap();
    let b: SecretBox<[u8; 32]> = kdf::argon2id(b"pw", &[2; 16], params).unwrap();
    let c: SecretBox<[u8; 32]> = kdf::argon2id(b"pW", &[1; 16], params).unwrap();
    let again: SecretBox<[u8; 32]> = kdf::argon2id(b"pw", &[1; 16], params).unwrap();
    assert!(a != b && a != c && a == again);
}

type Key32 = Result<SecretBox<[u8; 32]>, Error>;

/// libsodium's limits as its headers give them on this (64-bit) target.
const PASSES_MAX: u64 = (1 << 32) - 1;
const MEMORY_MIN: u64 = 8 * 1024;
const MEMORY_MAX: u64 = 4 * 1024 * 1024 * 1024 * 1024 - 1024;

/// Asserts that `err`'s message holds every one of `parts`.
fn says(err: &Error, parts: &[&str]) {
    let text = err.to_string();
    for part in parts {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
}

#[test]
fn argon2id_refuses_passes_outside_libsodiums_range_naming_both() {
    for passes in [0, PASSES_MAX + 1, u64::MAX] {
        let params = Argon2idParams {
            ops_limit: passes,
            mem_limit: 8 * 1024,
        };
        let err = (kdf::argon2id(b"pw", &[1; 16], params) as Key32).unwrap_err();
        assert_eq!(
            err,
            Error::Kdf(KdfError::Argon2idPasses {
                passes,
                min: 1,
                max: PASSES_MAX
            })
        );
        says(
            &err,
            &[
                &format!("{passes} passes"),
                "1 to 4294967295",
                "OPSLIMIT_MIN",
            ],
        );
    }
    // The boundary: one pass is accepted.
    let one = Argon2idParams {
        ops_limit: 1,
        mem_limit: 8 * 1024,
    };
    assert!((kdf::argon2id(b"pw", &[1; 16], one) as Key32).is_ok());
}

#[test]
fn argon2id_refuses_memory_outside_libsodiums_range_naming_both() {
    let cases = [
        (0usize, 0u64),
        (8 * 1024 - 1, 8 * 1024 - 1),
        (usize::MAX, usize::MAX as u64),
    ];
    for (mem_limit, bytes) in cases {
        let params = Argon2idParams {
            ops_limit: 2,
            mem_limit,
        };
        let err = (kdf::argon2id(b"pw", &[1; 16], params) as Key32).unwrap_err();
        assert_eq!(
            err,
            Error::Kdf(KdfError::Argon2idMemory {
                bytes,
                min: MEMORY_MIN,
                max: MEMORY_MAX
            })
        );
        says(
            &err,
            &[
                &format!("{bytes} bytes of memory"),
                "8192 to 4398046510080 bytes",
                "8 KiB to 4294967295 KiB",
                "in bytes, not KiB",
            ],
        );
    }
    // The KiB form of RFC 9106 and PHC strings has a constructor of its own.
    assert_eq!(
        Argon2idParams::from_kib(2, 19 * 1024).unwrap(),
        Argon2idParams::OWASP_MINIMUM
    );
}

#[test]
fn argon2id_refuses_outputs_outside_libsodiums_range_before_allocating() {
    let params = Argon2idParams {
        ops_limit: 1,
        mem_limit: 8 * 1024,
    };
    let short: Result<SecretBox<[u8; 15]>, Error> = kdf::argon2id(b"pw", &[1; 16], params);
    let err = short.unwrap_err();
    assert_eq!(
        err,
        Error::Kdf(KdfError::Argon2idOutputLength {
            length: 15,
            min: 16,
            max: 4294967295
        })
    );
    says(&err, &["15-byte key", "16 to 4294967295 bytes"]);
    // Past the maximum: refused before the 4 GiB output is asked for (an allocation error,
    // TooLarge or Lock, would come otherwise).
    let long: Result<SecretBox<[u8; 1 << 32]>, Error> = kdf::argon2id(b"pw", &[1; 16], params);
    assert_eq!(
        long.unwrap_err(),
        Error::Kdf(KdfError::Argon2idOutputLength {
            length: 1 << 32,
            min: 16,
            max: 4294967295
        })
    );
}
#[test]
fn owasp_minimum_is_what_owasp_recommends() {
    // OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
    assert_eq!(Argon2idParams::OWASP_MINIMUM.mem_limit, 19 * 1024 * 1024);
    assert_eq!(Argon2idParams::OWASP_MINIMUM.ops_limit, 2);
}

#[derive(Secret)]
struct Subkey(SecretBox<[u8; 64]>);

/// libsodium test/default/kdf.c: master key 00..1f, context "KDF test", 64-byte subkeys 0 and 1.
#[test]
fn kdf_matches_libsodiums_known_answers() {
    let master: [u8; 32] = std::array::from_fn(|i| i as u8);
    let first: Subkey = kdf::derive_subkey(&master, 0, b"KDF test").unwrap();
    assert_eq!(
        &first.borrow()[..],
        &unhex(
            "a0c724404728c8bb95e5433eb6a9716171144d61efb23e74b873fcbeda51d807
                1b5d70aae12066dfc94ce943f145aa176c055040c3dd73b0a15e36254d450614"
        )[..]
    );
    let second: Subkey = kdf::derive_subkey(&master, 1, b"KDF test").unwrap();
    assert_eq!(
        &second.borrow()[..],
        &unhex(
            "02507f144fa9bf19010bf7c70b235b4c2663cc00e074f929602a5e2c10a78075
                7d2a3993d06debc378a90efdac196dd841817b977d67b786804f6d3cd585bab5"
        )[..]
    );
}

#[test]
fn kdf_refuses_lengths_outside_16_to_64_naming_both() {
    let master = [0u8; 32];
    let short: Result<SecretBox<[u8; 15]>, Error> = kdf::derive_subkey(&master, 0, b"context_");
    let long: Result<SecretBox<[u8; 65]>, Error> = kdf::derive_subkey(&master, 0, b"context_");
    let empty: Result<SecretBox<[u8; 0]>, Error> = kdf::derive_subkey(&master, 0, b"context_");
    for (err, length) in [
        (short.unwrap_err(), 15),
        (long.unwrap_err(), 65),
        (empty.unwrap_err(), 0),
    ] {
        assert_eq!(
            err,
            Error::Kdf(KdfError::SubkeyLength {
                length,
                min: 16,
                max: 64
            })
        );
        says(
            &err,
            &[
                &format!("{length}-byte subkey"),
                "16 to 64 bytes",
                "crypto_kdf_BYTES_MIN",
            ],
        );
    }
    let ok: Result<SecretBox<[u8; 16]>, Error> = kdf::derive_subkey(&master, 0, b"context_");
    assert!(ok.is_ok());
    let ok: Result<SecretBox<[u8; 64]>, Error> = kdf::derive_subkey(&master, 0, b"context_");
    assert!(ok.is_ok());
    assert_eq!(kdf::CONTEXT_LEN, 8);
}

// ---------------------------------------------------------------------------------------------
// PHC strings

const SALT: &[u8; 16] = b"somesaltsomesalt";
const SALT_B64: &str = "c29tZXNhbHRzb21lc2FsdA";

#[test]
fn phc_strings_round_trip() {
    for params in [
        Argon2idParams::OWASP_MINIMUM,
        Argon2idParams::INTERACTIVE,
        Argon2idParams::MODERATE,
        Argon2idParams::SENSITIVE,
        Argon2idParams {
            ops_limit: 1,
            mem_limit: 8 * 1024,
        },
        Argon2idParams {
            ops_limit: PASSES_MAX,
            mem_limit: MEMORY_MAX as usize,
        },
    ] {
        for salt in [[0u8; 16], [0xff; 16], *SALT] {
            let text = params.to_phc(&salt).unwrap();
            assert_eq!(
                Argon2idParams::from_phc(&text).unwrap(),
                (params, salt),
                "{text}"
            );
        }
    }
    assert_eq!(
        Argon2idParams::OWASP_MINIMUM.to_phc(SALT).unwrap(),
        format!("$argon2id$v=19$m=19456,t=2,p=1${SALT_B64}")
    );
}

#[test]
fn phc_memory_is_the_whole_kib_libsodium_uses_so_the_key_is_the_same() {
    // libsodium's vector above takes 7,256,678 bytes, not a whole number of KiB: libsodium uses
    // 7,086 KiB of it, and so does the PHC string.
    let params = Argon2idParams {
        ops_limit: 5,
        mem_limit: 7_256_678,
    };
    let text = params.to_phc(SALT).unwrap();
    assert!(text.contains("m=7086,t=5,p=1"), "{text}");
    let (read, salt) = Argon2idParams::from_phc(&text).unwrap();
    assert_eq!(read.mem_limit, 7086 * 1024);
    let a: SecretBox<[u8; 32]> = kdf::argon2id(b"pw", SALT, params).unwrap();
    let b: SecretBox<[u8; 32]> = kdf::argon2id(b"pw", &salt, read).unwrap();
    assert!(a == b);
}

#[test]
fn phc_strings_of_rfc_9106_and_libsodium_read_without_their_hash() {
    // crypto_pwhash_str strings from libsodium's test/default/pwhash_argon2id.c (the table of
    // its `tv3` str_verify test): parameters and salt are read once the hash field is cut off,
    // and written back identically.
    for (full, passes, kib) in [
        (
            "$argon2id$v=19$m=2048,t=4,p=1$SWkxaUhpY21ISDcrRnYzSw$Mbg/Eck1kpZir5T9io7C64cpffdTBaORgyriLQFgQj8",
            4,
            2048,
        ),
        (
            "$argon2id$v=19$m=4882,t=2,p=1$bA81arsiXysd3WbTRzmEOw$Nm8QBM+7RH1DXo9rvp5cwKEOOOfD2g6JuxlXihoNcpE",
            2,
            4882,
        ),
    ] {
        assert_eq!(
            Argon2idParams::from_phc(full),
            Err(Error::Phc(PhcError::HashPresent)),
            "{full}"
        );
        let cut = &full[..full.rfind('$').unwrap()];
        let (params, salt) = Argon2idParams::from_phc(cut).unwrap();
        assert_eq!(params, Argon2idParams::from_kib(passes, kib).unwrap());
        assert_eq!(params.to_phc(&salt).unwrap(), cut);
    }
    // Two more of that table, refused here each for its own reason: no passes (t=0); three
    // lanes (p=3, with a 19-byte salt).
    assert_eq!(
        Argon2idParams::from_phc("$argon2id$v=19$m=4096,t=0,p=1$X1NhbHQAAAAAAAAAAAAAAA"),
        Err(Error::Kdf(KdfError::Argon2idPasses {
            passes: 0,
            min: 1,
            max: PASSES_MAX
        }))
    );
    assert_eq!(
        Argon2idParams::from_phc("$argon2id$v=19$m=4096,t=1,p=3$PkEgcHJldHR5IGxvbmcgc2FsdA"),
        Err(Error::Phc(PhcError::Lanes { found: 3 }))
    );
    // RFC 9106 section 5.3's Argon2id test vector: m=32 KiB, t=3, p=4, a 16-byte salt of 0x02
    // (and a secret and associated data, which PHC strings and libsodium do not carry). Its
    // four lanes are refused: libsodium computes one, and would derive another key.
    let rfc_9106 = "$argon2id$v=19$m=32,t=3,p=4$AgICAgICAgICAgICAgICAg";
    assert_eq!(
        Argon2idParams::from_phc(rfc_9106),
        Err(Error::Phc(PhcError::Lanes { found: 4 }))
    );
    let one_lane = rfc_9106.replace("p=4", "p=1");
    let (params, salt) = Argon2idParams::from_phc(&one_lane).unwrap();
    assert_eq!(
        (params.ops_limit, params.mem_limit, salt),
        (3, 32 * 1024, [2; 16])
    );
}

/// Each malformed string, the error it must give, and words its message must hold.
#[test]
fn every_malformed_part_of_a_phc_string_has_its_own_error() {
    let ok = format!("$argon2id$v=19$m=19456,t=2,p=1${SALT_B64}");
    assert!(Argon2idParams::from_phc(&ok).is_ok());
    let format = |found: &str| {
        Error::Phc(PhcError::Format {
            found: found.to_owned(),
        })
    };
    let number = |name: &'static str, found: &str| {
        Error::Phc(PhcError::Number {
            name,
            found: found.to_owned(),
        })
    };
    let params = |found: &str| {
        Error::Phc(PhcError::Parameters {
            found: found.to_owned(),
        })
    };
    let cases: Vec<(String, Error, &str)> = vec![
        (
            String::new(),
            format(""),
            "not an Argon2id PHC parameter string",
        ),
        (
            "argon2id$v=19".into(),
            format("argon2id$v=19"),
            "expected $argon2id",
        ),
        (
            "$argon2id$v=19$m=19456,t=2,p=1".into(),
            format("$argon2id$v=19$m=19456,t=2,p=1"),
            "expected",
        ),
        (
            ok.replace("argon2id", "argon2i"),
            Error::Phc(PhcError::Algorithm {
                found: "argon2i".into(),
            }),
            "not argon2id",
        ),
        (
            ok.replace("argon2id", "scrypt"),
            Error::Phc(PhcError::Algorithm {
                found: "scrypt".into(),
            }),
            "\"scrypt\"",
        ),
        (
            ok.replace("v=19", "v=16"),
            Error::Phc(PhcError::Version {
                found: "v=16".into(),
            }),
            "not v=19",
        ),
        (
            ok.replace("$v=19", ""),
            Error::Phc(PhcError::Version {
                found: String::new(),
            }),
            "without a version is 1.0",
        ),
        (
            ok.replace("m=19456,t=2", "t=2,m=19456"),
            params("t=2,m=19456,p=1"),
            "in that order",
        ),
        (
            ok.replace(",p=1", ""),
            params("m=19456,t=2"),
            "m=<KiB>,t=<passes>,p=1",
        ),
        (
            ok.replace("p=1", "p=1,keyid=abc"),
            params("m=19456,t=2,p=1,keyid=abc"),
            "in that order",
        ),
        (
            ok.replace("m=19456", "m:19456"),
            params("m:19456,t=2,p=1"),
            "m:19456",
        ),
        (
            ok.replace("19456", "019456"),
            number("m", "019456"),
            "no leading zeros",
        ),
        (ok.replace("19456", "-1"), number("m", "-1"), "m=\"-1\""),
        (
            ok.replace("19456", "4294967296"),
            number("m", "4294967296"),
            "0 to 4294967295",
        ),
        (ok.replace("t=2", "t="), number("t", ""), "t=\"\""),
        (ok.replace("t=2", "t=2x"), number("t", "2x"), "decimal"),
        (
            ok.replace("p=1", "p=4"),
            Error::Phc(PhcError::Lanes { found: 4 }),
            "p=4 lanes",
        ),
        (
            ok.replace("p=1", "p=0"),
            Error::Phc(PhcError::Lanes { found: 0 }),
            "one lane",
        ),
        (
            ok.replace("m=19456", "m=7"),
            Error::Kdf(KdfError::Argon2idMemory {
                bytes: 7168,
                min: MEMORY_MIN,
                max: MEMORY_MAX,
            }),
            "7168 bytes",
        ),
        (
            ok.replace("m=19456", "m=0"),
            Error::Kdf(KdfError::Argon2idMemory {
                bytes: 0,
                min: MEMORY_MIN,
                max: MEMORY_MAX,
            }),
            "8 KiB",
        ),
        (
            ok.replace("t=2", "t=0"),
            Error::Kdf(KdfError::Argon2idPasses {
                passes: 0,
                min: 1,
                max: PASSES_MAX,
            }),
            "0 passes",
        ),
        (
            format!("$argon2id$v=19$m=19456,t=2,p=1${SALT_B64}="),
            Error::Phc(PhcError::SaltEncoding {
                problem: "a character is not in the standard base64 alphabet (A-Z a-z 0-9 + /, \
                          no = padding)",
                offset: Some(22),
            }),
            "offset 22",
        ),
        (
            ok.replace("c29t", "c2-t"),
            Error::Phc(PhcError::SaltEncoding {
                problem: "a character is not in the standard base64 alphabet (A-Z a-z 0-9 + /, \
                          no = padding)",
                offset: Some(2),
            }),
            "standard base64 alphabet",
        ),
        (
            format!("{ok}AAA"),
            Error::Phc(PhcError::SaltEncoding {
                problem: "its length leaves one character over, which encodes no whole byte",
                offset: None,
            }),
            "one character over",
        ),
        (
            ok.replace("c2FsdA", "c2FsdB"),
            Error::Phc(PhcError::SaltEncoding {
                problem: "its last character has unused bits set (not the canonical encoding)",
                offset: None,
            }),
            "unused bits",
        ),
        (
            ok.replace(SALT_B64, "c29tZXNhbHQ"),
            Error::Phc(PhcError::SaltLength {
                length: 8,
                expected: 16,
            }),
            "8 bytes",
        ),
        (
            ok.replace(SALT_B64, ""),
            Error::Phc(PhcError::SaltLength {
                length: 0,
                expected: 16,
            }),
            "takes 16",
        ),
        (
            format!("{ok}$hash"),
            Error::Phc(PhcError::HashPresent),
            "never the hash",
        ),
        (
            format!("{ok}$"),
            Error::Phc(PhcError::HashPresent),
            "derived key itself",
        ),
    ];
    for (text, expected, words) in cases {
        let err = Argon2idParams::from_phc(&text).unwrap_err();
        assert_eq!(err, expected, "{text:?}");
        says(&err, &[words]);
    }
}

#[test]
fn a_long_malformed_phc_string_is_quoted_only_in_part() {
    let long = format!(
        "$argon2i{}$v=19$m=19456,t=2,p=1${SALT_B64}",
        "d".repeat(10_000)
    );
    let err = Argon2idParams::from_phc(&long).unwrap_err();
    let Error::Phc(PhcError::Algorithm { found }) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(found, &format!("argon2i{}...", "d".repeat(33)));
    assert!(err.to_string().len() < 300, "{err}");
}

#[test]
fn to_phc_refuses_parameters_libsodium_would_refuse() {
    let zero_passes = Argon2idParams {
        ops_limit: 0,
        mem_limit: 19 * 1024 * 1024,
    };
    assert!(matches!(
        zero_passes.to_phc(SALT),
        Err(Error::Kdf(KdfError::Argon2idPasses { passes: 0, .. }))
    ));
    let from_kib_overflow = Argon2idParams::from_kib(2, u64::MAX).unwrap_err();
    assert_eq!(
        from_kib_overflow,
        Error::Kdf(KdfError::Argon2idMemory {
            bytes: u64::MAX,
            min: MEMORY_MIN,
            max: MEMORY_MAX
        })
    );
}
