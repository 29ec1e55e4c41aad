//! Key derivation against libsodium's own known answers (its test/default/pwhash_argon2id and
//! kdf vectors), with the outputs in guarded memory.

use secrets_core::kdf::{self, Argon2idParams};
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

#[test]
fn argon2id_refuses_parameters_below_libsodiums_minimum() {
    let params = Argon2idParams {
        ops_limit: 0,
        mem_limit: 8 * 1024,
    };
    let result: Result<SecretBox<[u8; 32]>, Error> = kdf::argon2id(b"pw", &[1; 16], params);
    assert_eq!(
        result.unwrap_err(),
        Error::KeyDerivation {
            algorithm: "Argon2id"
        }
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
fn kdf_refuses_lengths_outside_16_to_64() {
    let master = [0u8; 32];
    let short: Result<SecretBox<[u8; 15]>, Error> = kdf::derive_subkey(&master, 0, b"context_");
    let long: Result<SecretBox<[u8; 65]>, Error> = kdf::derive_subkey(&master, 0, b"context_");
    assert!(short.is_err() && long.is_err());
    let ok: Result<SecretBox<[u8; 16]>, Error> = kdf::derive_subkey(&master, 0, b"context_");
    assert!(ok.is_ok());
}
