//! The optional integrations of `secrets-core` (features `serde`, `zeroize`, `subtle`,
//! `secrecy`, all enabled for this crate): what each reads and compares, the errors it gives
//! without quoting the input, and, searched for in the process's ordinary memory, that a secret
//! read through them is left nowhere but in guarded memory and the input the test owns.
//!
//! Every memory search runs in a child process of its own and comes with a control: the same
//! input read into a plain `String`, array or `Vec`, or a source not dropped, where the search
//! finds the secret. The refusal of `Serialize` is a compile error, tested in
//! `ui-tests/tests/fail/serialize_container.rs` and `ui-tests/tests/derive-fail/secret_serialize.rs`.

// Linux and Android only: its memory searches read /proc/self/mem (its other tests would
// compile elsewhere, but a file is run where all of it can run).
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::fmt::Write as _;
use std::hint::black_box;

use secrets_core::prelude::*;
use secrets_core::Pooled;
use secrets_integration_tests::in_child;
use secrets_integration_tests::scan::{find_in_ordinary_memory, Needle};
use serde::de::value::{
    BytesDeserializer, Error as ValueError, SeqDeserializer, StrDeserializer, StringDeserializer,
};
use serde::de::IgnoredAny;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

#[derive(Secret)]
struct MasterKey(SecretBox<[u8; 32]>);

#[derive(Secret)]
struct Seed(SecretVec<u8>);

#[derive(Secret)]
struct ApiToken {
    text: SecretString,
}

#[derive(Secret)]
struct PooledKey(SecretBox<[u8; 16], Pooled>);

#[derive(Deserialize)]
struct Config {
    user: String,
    password: SecretString,
    key: SecretBox<[u8; 32]>,
    seed: SecretVec<u8>,
    master: MasterKey,
    token: ApiToken,
    seed_of_its_own: Seed,
    pooled: PooledKey,
}

const JSON: &str = r#"{
    "user": "ada",
    "password": "correct horse",
    "key": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
            16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31],
    "seed": [255, 0, 7],
    "master": [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
               7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7],
    "token": "t0k3n",
    "seed_of_its_own": [],
    "pooled": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
}"#;

const TOML: &str = r#"
user = "ada"
password = "correct horse"
key = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
       16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]
seed = [255, 0, 7]
master = [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
          7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]
token = "t0k3n"
seed_of_its_own = []
pooled = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
"#;

fn assert_config(config: &Config) {
    let key: Vec<u8> = (0..32).collect();
    assert_eq!(config.user, "ada");
    assert_eq!(&*config.password.borrow(), "correct horse");
    assert_eq!(&config.key.borrow()[..], &key[..]);
    assert_eq!(&*config.seed.borrow(), &[255, 0, 7]);
    assert_eq!(*config.master.borrow(), [7; 32]);
    assert_eq!(&*config.token.borrow(), "t0k3n");
    assert!(config.seed_of_its_own.is_empty());
    assert_eq!(*config.pooled.borrow(), [1; 16]);
}

// ---------------------------------------------------------------------------------------------
// Reading

#[test]
fn a_config_is_read_from_json() {
    let config: Config = serde_json::from_str(JSON).unwrap();
    assert_config(&config);
}

#[test]
fn a_config_is_read_from_toml() {
    let config: Config = toml::from_str(TOML).unwrap();
    assert_config(&config);
}

#[test]
fn bytes_are_read_as_bytes_as_well_as_sequences() {
    let key =
        SecretBox::<[u8; 4]>::deserialize(BytesDeserializer::<ValueError>::new(b"abcd")).unwrap();
    assert_eq!(&*key.borrow(), b"abcd");
    let seed = SecretVec::<u8>::deserialize(BytesDeserializer::<ValueError>::new(b"xyz")).unwrap();
    assert_eq!(&*seed.borrow(), b"xyz");
    let text = <SecretString>::deserialize(BytesDeserializer::<ValueError>::new(b"text")).unwrap();
    assert_eq!(&*text.borrow(), "text");
    let owned =
        <SecretString>::deserialize(StringDeserializer::<ValueError>::new("owned".to_owned()))
            .unwrap();
    assert_eq!(&*owned.borrow(), "owned");
}

/// A `SecretVec<u8>` read from a sequence of unknown length moves between guarded buffers
/// (64 bytes, then twice as large each time): every length around the first buffer's size and
/// its doublings comes out whole.
#[test]
fn sequences_of_every_length_fill_a_secret_vec() {
    for len in [0, 1, 63, 64, 65, 127, 128, 129, 1000, 5000] {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
        let json = serde_json::to_string(&bytes).unwrap();
        let seed: SecretVec<u8> = serde_json::from_str(&json).unwrap();
        assert_eq!(
            &*seed.borrow(),
            &bytes[..],
            "{len} bytes from JSON (no size hint)"
        );
        let derived: Seed = serde_json::from_str(&json).unwrap();
        assert_eq!(
            &*derived.borrow(),
            &bytes[..],
            "{len} bytes into a derived type"
        );
        // A deserializer that knows the length hints it: one buffer of that size (up to 64 KiB).
        let hinted = SecretVec::<u8>::deserialize(SeqDeserializer::<_, ValueError>::new(
            bytes.iter().copied(),
        ))
        .unwrap();
        assert_eq!(
            &*hinted.borrow(),
            &bytes[..],
            "{len} bytes with a size hint"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Refusing, without quoting the input

/// serde's own messages quote the value they refuse; these are the controls for the tests
/// below, which show that the secret containers' messages do not.
#[test]
fn control_plain_types_quote_what_they_refuse() {
    let err = serde_json::from_str::<[u8; 4]>(r#""hunter2""#).unwrap_err();
    assert!(err.to_string().contains("hunter2"), "{err}");
    let err = serde_json::from_str::<String>("123456").unwrap_err();
    assert!(err.to_string().contains("123456"), "{err}");
    let err = serde_json::from_str::<Vec<u8>>("[1, 2, 999]").unwrap_err();
    assert!(err.to_string().contains("999"), "{err}");
    let err = serde_json::from_str::<Vec<u8>>(r#"[1, "ab"]"#).unwrap_err();
    assert!(err.to_string().contains("ab"), "{err}");
}

fn json_error<T: for<'de> Deserialize<'de>>(input: &str) -> String {
    match serde_json::from_str::<T>(input) {
        Ok(_) => panic!("{input} was accepted"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn a_box_of_the_wrong_length_is_refused_with_the_length_only() {
    let short = format!("{:?}", [171u8; 31]);
    let err = json_error::<SecretBox<[u8; 32]>>(&short);
    assert!(
        err.starts_with("invalid length 31, expected 32 bytes"),
        "{err}"
    );
    assert!(!err.contains("171"), "{err}");
    let long = format!("{:?}", [171u8; 35]);
    let err = json_error::<MasterKey>(&long);
    assert!(
        err.starts_with("invalid length 35, expected 32 bytes"),
        "{err}"
    );
    assert!(!err.contains("171"), "{err}");
    let err = SecretBox::<[u8; 4]>::deserialize(BytesDeserializer::<ValueError>::new(b"abc"))
        .map(drop)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("invalid length 3, expected 4 bytes"),
        "{err}"
    );
    assert!(!err.contains("abc"), "{err}");
}

#[test]
fn the_wrong_kind_of_value_is_refused_without_quoting_it() {
    let text = |t| StrDeserializer::<ValueError>::new(t);
    let as_bytes = |r: Result<SecretBox<[u8; 7]>, ValueError>| r.map(drop).unwrap_err().to_string();
    let cases: [(&str, String, &str); 9] = [
        (
            "hunter2",
            json_error::<SecretBox<[u8; 7]>>(r#""hunter2""#),
            "a string",
        ),
        (
            "hunter2",
            json_error::<SecretVec<u8>>(r#""hunter2""#),
            "a string",
        ),
        (
            "hunter2",
            as_bytes(SecretBox::deserialize(text("hunter2"))),
            "a string",
        ),
        (
            "hunter2",
            MasterKey::deserialize(text("hunter2"))
                .map(drop)
                .unwrap_err()
                .to_string(),
            "a string",
        ),
        ("123456", json_error::<SecretString>("123456"), "an integer"),
        ("123456", json_error::<ApiToken>("123456"), "an integer"),
        (
            "999",
            json_error::<SecretVec<u8>>("[1, 2, 999]"),
            "an integer out of range",
        ),
        (
            "-3",
            json_error::<Seed>("[1, -3]"),
            "an integer out of range",
        ),
        (
            "ab",
            json_error::<SecretBox<[u8; 2]>>(r#"[1, "ab"]"#),
            "a string",
        ),
    ];
    for (secret, err, kind) in cases {
        assert!(err.contains(kind), "{err}");
        assert!(!err.contains(secret), "{err}");
    }
    let err = json_error::<SecretString>("3.25");
    assert!(
        err.contains("a floating-point number") && !err.contains("3.25"),
        "{err}"
    );
    let err = json_error::<SecretVec<u8>>("true");
    assert!(err.contains("a boolean"), "{err}");
}

#[test]
fn text_that_is_not_utf8_is_refused_without_quoting_it() {
    let err = <SecretString>::deserialize(BytesDeserializer::<ValueError>::new(b"ok\xffsecret"))
        .map(drop)
        .unwrap_err()
        .to_string();
    assert!(err.contains("bytes that are not UTF-8"), "{err}");
    assert!(
        !err.contains("secret") || err.contains("a secret's text"),
        "{err}"
    );
    assert!(!err.contains("ok"), "{err}");
}

/// `toml` quotes the offending line of its input in its own messages, whatever the type: a
/// secret on a line that fails is in the message (documented in `ecosystem/serde.rs`). What
/// the secret types add to it names the kind of value only.
#[test]
fn toml_quotes_the_line_itself_and_the_secret_types_add_nothing() {
    #[derive(Debug, Deserialize)]
    struct Keys {
        #[allow(dead_code)]
        key: SecretBox<[u8; 4]>,
    }
    let err = toml::from_str::<Keys>("key = \"hunter2\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("key = \"hunter2\""),
        "toml quotes the line: {err}"
    );
    assert!(err.contains("invalid type: a string"), "{err}");
    assert_eq!(err.matches("hunter2").count(), 1, "{err}");
}

// ---------------------------------------------------------------------------------------------
// What is left in ordinary memory

/// `len` random lowercase letters in guarded memory (so they are text too), and the needle that
/// finds them; they never exist in ordinary memory unmasked.
fn letters(len: usize) -> (SecretVec<u8>, Needle) {
    let secret = SecretVec::<u8>::new(len, |bytes| {
        bytes.randomize();
        for byte in bytes.iter_mut() {
            *byte = b'a' + *byte % 26;
        }
    })
    .unwrap();
    let needle = Needle::of_secret(&secret.borrow());
    (secret, needle)
}

/// `len` random bytes in guarded memory, and their needle.
fn random_bytes(len: usize) -> (SecretVec<u8>, Needle) {
    let secret = SecretVec::<u8>::random(len).unwrap();
    let needle = Needle::of_secret(&secret.borrow());
    (secret, needle)
}

/// `before`, the secret's letters, `after`, in one `String` allocated once at its final size
/// (so no reallocation leaves a copy), pushed one byte at a time from guarded memory.
fn text_input(before: &str, secret: &SecretVec<u8>, after: &str) -> String {
    let mut input = String::with_capacity(before.len() + secret.len() + after.len());
    input.push_str(before);
    for &byte in secret.borrow().iter() {
        input.push(char::from(black_box(byte)));
    }
    input.push_str(after);
    input
}

/// `before`, the secret's bytes as a JSON or TOML array of decimal numbers, `after`: the
/// bytes themselves are never contiguous in it.
fn array_input(before: &str, secret: &SecretVec<u8>, after: &str) -> String {
    let mut input = String::with_capacity(before.len() + 4 * secret.len() + 2 + after.len());
    input.push_str(before);
    input.push('[');
    for (at, &byte) in secret.borrow().iter().enumerate() {
        let separator = if at == 0 { "" } else { "," };
        write!(input, "{separator}{}", black_box(byte)).unwrap();
    }
    input.push(']');
    input.push_str(after);
    input
}

/// Parses with `parse`, zeroes and drops the input (it is the caller's to wipe), keeps what was
/// parsed alive, and searches ordinary memory for the needle.
fn found_after<T>(input: String, needle: &Needle, parse: impl FnOnce(&str) -> T) -> bool {
    let mut input = input;
    let parsed = parse(&input);
    input.zeroize();
    drop(input);
    let hit = find_in_ordinary_memory(needle);
    println!("hit: {hit:?}");
    drop(parsed);
    hit.is_some()
}

#[derive(Deserialize)]
struct PlainLogin {
    password: String,
}

#[derive(Deserialize)]
struct Login {
    password: SecretString,
}

#[derive(Deserialize)]
struct PlainKeys {
    key: [u8; 32],
    seed: Vec<u8>,
}

#[derive(Deserialize)]
struct Keys {
    key: SecretBox<[u8; 32]>,
    seed: SecretVec<u8>,
}

#[derive(Deserialize)]
struct DerivedKeys {
    key: MasterKey,
    seed: Seed,
}

#[test]
fn control_a_password_read_into_a_string_is_in_ordinary_memory() {
    in_child(
        "control_a_password_read_into_a_string_is_in_ordinary_memory",
        || {
            let (secret, needle) = letters(48);
            let input = text_input(r#"{"password": ""#, &secret, r#""}"#);
            let found = found_after(input, &needle, |text| {
                let login = serde_json::from_str::<PlainLogin>(text).unwrap();
                assert_eq!(login.password.len(), 48);
                login
            });
            assert!(found, "the control must find the plain String's copy");
        },
    )
    .assert_success();
}

#[test]
fn a_password_read_from_json_is_only_in_guarded_memory() {
    in_child(
        "a_password_read_from_json_is_only_in_guarded_memory",
        || {
            let (secret, needle) = letters(48);
            let input = text_input(r#"{"password": ""#, &secret, r#""}"#);
            let found = found_after(input, &needle, |text| {
                let login = serde_json::from_str::<Login>(text).unwrap();
                assert!(login.password.borrow().as_bytes() == &secret.borrow()[..]);
                login
            });
            assert!(!found, "a copy of the password outside guarded memory");
        },
    )
    .assert_success();
}

/// A JSON string with an escape is unescaped into `serde_json`'s scratch buffer, freed without
/// being zeroed when the deserializer is dropped: what the module documentation says remains.
/// The needle is the part after the escape, which the scratch buffer's allocator does not
/// overwrite when it is freed (its first 16 bytes hold the free list's pointers).
#[test]
fn an_escaped_json_string_leaves_the_formats_scratch_copy() {
    in_child(
        "an_escaped_json_string_leaves_the_formats_scratch_copy",
        || {
            let (secret, _) = letters(64);
            let needle = Needle::of_secret(&secret.borrow()[32..]);
            let input = text_input(r#"{"password": "\n"#, &secret, r#""}"#);
            let found = found_after(input, &needle, |text| {
                serde_json::from_str::<Login>(text).unwrap()
            });
            assert!(found, "serde_json's scratch copy of an escaped string");
        },
    )
    .assert_success();
}

#[test]
fn control_a_password_read_from_toml_into_a_string_is_in_ordinary_memory() {
    in_child(
        "control_a_password_read_from_toml_into_a_string_is_in_ordinary_memory",
        || {
            let (secret, needle) = letters(48);
            let input = text_input("password = \"", &secret, "\"\n");
            let found = found_after(input, &needle, |text| {
                let login = toml::from_str::<PlainLogin>(text).unwrap();
                assert_eq!(login.password.len(), 48);
                login
            });
            assert!(found, "the control must find the plain String's copy");
        },
    )
    .assert_success();
}

#[test]
fn a_password_read_from_toml_is_only_in_guarded_memory() {
    in_child(
        "a_password_read_from_toml_is_only_in_guarded_memory",
        || {
            let (secret, needle) = letters(48);
            let input = text_input("password = \"", &secret, "\"\n");
            let found = found_after(input, &needle, |text| {
                toml::from_str::<Login>(text).unwrap()
            });
            assert!(!found, "a copy of the password outside guarded memory");
        },
    )
    .assert_success();
}

/// An owned `String` handed to the visitor (`visit_string`) is the format's copy: it is zeroed
/// before it is freed. The control drops it unread (`IgnoredAny`), and the freed buffer still
/// holds it. The needle is the string's tail (see the escaped-string test).
#[test]
fn control_an_owned_string_dropped_unread_stays_in_freed_memory() {
    in_child(
        "control_an_owned_string_dropped_unread_stays_in_freed_memory",
        || {
            let (secret, needle) = letters(48);
            let owned = text_input("0123456789abcdef", &secret, "");
            IgnoredAny::deserialize(StringDeserializer::<ValueError>::new(owned)).unwrap();
            assert!(find_in_ordinary_memory(&needle).is_some());
        },
    )
    .assert_success();
}

#[test]
fn an_owned_string_handed_over_is_zeroed() {
    in_child("an_owned_string_handed_over_is_zeroed", || {
        let (secret, needle) = letters(48);
        let owned = text_input("0123456789abcdef", &secret, "");
        let text =
            <SecretString>::deserialize(StringDeserializer::<ValueError>::new(owned)).unwrap();
        assert!(text.borrow().as_bytes().ends_with(&secret.borrow()));
        assert_eq!(find_in_ordinary_memory(&needle), None);
    })
    .assert_success();
}

/// A key and a seed written as arrays of numbers (JSON has no bytes): the plain array and
/// `Vec` hold them; the guarded ones are filled element by element, the seed through several
/// guarded buffers of growing size (300 bytes: 64, 128, 256, 512, then 300), each zeroed as it
/// is released.
#[test]
fn control_keys_read_into_plain_arrays_are_in_ordinary_memory() {
    in_child(
        "control_keys_read_into_plain_arrays_are_in_ordinary_memory",
        || {
            let (key, key_needle) = random_bytes(32);
            let (seed, seed_needle) = random_bytes(300);
            let input = array_input(
                r#"{"key": "#,
                &key,
                &array_input(r#", "seed": "#, &seed, "}"),
            );
            let mut input = input;
            let keys = serde_json::from_str::<PlainKeys>(&input).unwrap();
            input.zeroize();
            assert_eq!((keys.key.len(), keys.seed.len()), (32, 300));
            assert!(find_in_ordinary_memory(&key_needle).is_some());
            assert!(find_in_ordinary_memory(&seed_needle).is_some());
            drop(keys);
        },
    )
    .assert_success();
}

#[test]
fn keys_read_from_json_arrays_are_only_in_guarded_memory() {
    in_child(
        "keys_read_from_json_arrays_are_only_in_guarded_memory",
        || {
            let (key, key_needle) = random_bytes(32);
            let (seed, seed_needle) = random_bytes(300);
            // The inner array's `String` is the caller's too: zeroed before the search.
            let mut after = array_input(r#", "seed": "#, &seed, "}");
            let mut input = array_input(r#"{"key": "#, &key, &after);
            after.zeroize();
            let keys = serde_json::from_str::<Keys>(&input).unwrap();
            let derived = serde_json::from_str::<DerivedKeys>(&input).unwrap();
            input.zeroize();
            assert!(keys.key.borrow()[..] == key.borrow()[..]);
            assert!(keys.seed == seed && derived.seed.borrow()[..] == seed.borrow()[..]);
            assert!(derived.key.borrow()[..] == key.borrow()[..]);
            assert_eq!(find_in_ordinary_memory(&key_needle), None);
            assert_eq!(find_in_ordinary_memory(&seed_needle), None);
        },
    )
    .assert_success();
}

// ---------------------------------------------------------------------------------------------
// zeroize

fn zeroes_on_drop<T: ZeroizeOnDrop>() {}

/// That they do is tested where the zeroing is: `tests/memory_state.rs`
/// (`box_is_zeroed_before_its_pages_are_unmapped`, `vec_...`, `string_...`),
/// `tests/pooled.rs` (`released_slots_are_zeroed`) and `tests/sealed.rs`.
#[test]
fn containers_and_derived_types_are_zeroize_on_drop() {
    zeroes_on_drop::<SecretBox<[u8; 32]>>();
    zeroes_on_drop::<SecretBox<u64, Pooled>>();
    zeroes_on_drop::<SecretVec<u32>>();
    zeroes_on_drop::<SecretString>();
    zeroes_on_drop::<MasterKey>();
    zeroes_on_drop::<Seed>();
    zeroes_on_drop::<ApiToken>();
    zeroes_on_drop::<PooledKey>();
}

#[test]
fn zeroizing_buffers_convert() {
    let seed = SecretVec::<u8>::try_from(Zeroizing::new(vec![1, 2, 3])).unwrap();
    assert_eq!(&*seed.borrow(), &[1, 2, 3]);
    let text = SecretString::try_from(Zeroizing::new("pass".to_owned())).unwrap();
    assert_eq!(&*text.borrow(), "pass");
}

/// A `Zeroizing<Vec<u8>>` converted is zeroed by its own drop; one forgotten (never dropped)
/// is the control.
#[test]
fn a_converted_zeroizing_vec_leaves_no_copy() {
    in_child("a_converted_zeroizing_vec_leaves_no_copy", || {
        let (secret, needle) = random_bytes(48);
        let plain = || Zeroizing::new(secret.borrow().iter().map(|b| black_box(*b)).collect());
        let forgotten: Zeroizing<Vec<u8>> = plain();
        assert!(find_in_ordinary_memory(&needle).is_some(), "the control");
        let mut forgotten = std::mem::ManuallyDrop::new(forgotten);
        forgotten.zeroize(); // the control's copy, gone before the real test
        let converted = SecretVec::<u8>::try_from(plain()).unwrap();
        assert!(converted == secret);
        assert_eq!(find_in_ordinary_memory(&needle), None);
    })
    .assert_success();
}

// ---------------------------------------------------------------------------------------------
// subtle

fn ct<T: ConstantTimeEq>(a: &T, b: &T) -> bool {
    bool::from(a.ct_eq(b))
}

#[test]
fn ct_eq_agrees_with_eq_for_every_container_and_derived_type() {
    let a = SecretBox::<[u8; 32]>::new(|k| *k = [3; 32]).unwrap();
    let same = SecretBox::<[u8; 32]>::new(|k| *k = [3; 32]).unwrap();
    let other = SecretBox::<[u8; 32]>::new(|k| k[31] = 1).unwrap();
    assert!(ct(&a, &same) && !ct(&a, &other));

    let pooled = |v: u64| SecretBox::<u64, Pooled>::new_in(Pooled, |x| *x = v).unwrap();
    assert!(ct(&pooled(5), &pooled(5)) && !ct(&pooled(5), &pooled(6)));

    let vec = |v: &[u32]| SecretVec::<u32>::new(v.len(), |x| x.copy_from_slice(v)).unwrap();
    assert!(ct(&vec(&[1, 2]), &vec(&[1, 2])));
    assert!(!ct(&vec(&[1, 2]), &vec(&[1, 3])));
    assert!(!ct(&vec(&[1, 2]), &vec(&[1, 2, 0])), "different lengths");
    assert!(ct(&vec(&[]), &vec(&[])));

    let text = |t: &str| SecretString::from_bytes(&mut t.as_bytes().to_vec()).unwrap();
    assert!(ct(&text("abc"), &text("abc")));
    assert!(!ct(&text("abc"), &text("abd")));
    assert!(!ct(&text("abc"), &text("abcd")), "different lengths");

    let key = |v: u8| MasterKey::new(|k| *k = [v; 32]).unwrap();
    assert!(ct(&key(1), &key(1)) && !ct(&key(1), &key(2)));
    let seed = |len: usize| Seed::zero(len).unwrap();
    assert!(ct(&seed(4), &seed(4)) && !ct(&seed(4), &seed(5)));
    let token = |t: &str| ApiToken::from_bytes(&mut t.as_bytes().to_vec()).unwrap();
    assert!(ct(&token("x"), &token("x")) && !ct(&token("x"), &token("y")));
}

// ---------------------------------------------------------------------------------------------
// secrecy

#[test]
fn secrecy_secrets_convert() {
    let text = SecretString::try_from(secrecy::SecretString::from("hunter2".to_owned())).unwrap();
    assert_eq!(&*text.borrow(), "hunter2");
    let seed = SecretVec::<u8>::try_from(secrecy::SecretSlice::from(vec![9u8, 8, 7])).unwrap();
    assert_eq!(&*seed.borrow(), &[9, 8, 7]);
    let key =
        SecretBox::<[u8; 4]>::try_from(secrecy::SecretBox::new(Box::new([1u8, 2, 3, 4]))).unwrap();
    assert_eq!(&*key.borrow(), &[1, 2, 3, 4]);
    let empty = SecretString::try_from(secrecy::SecretString::from(String::new())).unwrap();
    assert!(empty.is_empty());
}

/// A `secrecy::SecretString` converted is zeroed by its own drop inside `try_from`; one
/// forgotten is the control.
#[test]
fn a_converted_secrecy_string_leaves_no_copy() {
    in_child("a_converted_secrecy_string_leaves_no_copy", || {
        let (secret, needle) = letters(48);
        let boxed = || secrecy::SecretString::from(text_input("", &secret, "").into_boxed_str());
        let forgotten = std::mem::ManuallyDrop::new(boxed());
        assert!(find_in_ordinary_memory(&needle).is_some(), "the control");
        drop(std::mem::ManuallyDrop::into_inner(forgotten)); // zeroed by its drop
        let converted = SecretString::try_from(boxed()).unwrap();
        assert!(converted.borrow().as_bytes() == &secret.borrow()[..]);
        assert_eq!(find_in_ordinary_memory(&needle), None);
    })
    .assert_success();
}
