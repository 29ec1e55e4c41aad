//! The bodies of the fuzz targets in `fuzz/` (cargo fuzz), shared with the test that runs them
//! briefly on every `cargo test` (`tests/fuzz_smoke.rs`). Everything that takes outside bytes or
//! an outside length, fed arbitrary input, must never panic or crash, and must return exactly
//! what it was given or the typed error that input calls for.
//!
//! | body | target | what it feeds |
//! |---|---|---|
//! | [`key_file`] | `key_file` | a file of any mode and contents to `SecretBox`/`SecretVec::load` |
//! | [`password_line`] | `password_line` | any bytes on a socket to `SecretString::read_line_from` |
//! | [`secret_stream`] | `secret_stream` | any bytes on a socket to `SecretVec::read_from_fd` and `SecretString::read_from_fd`, and through a reader handing out pieces of any size to `read_from`, under any `max_len` |
//! | [`secret_string`] | `secret_string` | any bytes to `SecretString::from_bytes` |
//! | [`used_nonce`] | `used_nonce` | any bytes to `UsedNonce::from_bytes`, each algorithm |
//! | [`aead_open`] | `aead_open` | any nonce, aad and ciphertext to `open`/`open_into`, each algorithm; round trips with one bit flipped |
//! | [`lengths`] | `lengths` | lengths near 0, near page boundaries and near `usize::MAX` to the constructors |
//! | [`pooled_ops`] | `pooled_ops` | any sequence of make, borrow, write, nested borrow and drop over pooled secrets of every size class (and past it), checked against a model |
//! | [`sealed_ops`] | `sealed_ops` | the same program over sealed secrets: every write re-sealed under a new nonce, every borrow decrypted |
//! | [`phc_string`] | `phc_string` | any text, and a valid PHC parameter string with any bytes spliced in, to `Argon2idParams::from_phc` |

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;

use secrets_core::kdf::{Argon2idParams, KdfError};
use secrets_core::prelude::*;
use secrets_core::{Error, Pooled, Sealed, SecretBox, SecretVec, Storage};
use secrets_nonce::{
    Aegis256, Aegis256Key, Aes256Gcm, Algorithm, ChaCha20Poly1305Ietf, Key, SessionKey,
    UnusedNonce, UsedNonce, XChaCha20Poly1305, XChaCha20Poly1305Key,
};

/// One fuzz case for the key-file loader: the first byte picks the file mode, the rest is the
/// file. Loads it as a 32-byte key and as a vector, in `dir`.
pub fn key_file(dir: &Path, data: &[u8]) {
    let (mode_byte, contents) = data.split_first().unwrap_or((&0, &[]));
    // Owner bits always readable, so that what is refused is refused for the mode.
    let mode = 0o400 | u32::from(*mode_byte) & 0o277;
    let path = dir.join("fuzz.key");
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, contents).expect("write the case");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    let open_to_others = mode & 0o077 != 0;
    match SecretBox::<[u8; 32]>::load(&path) {
        Ok(key) => {
            assert!(!open_to_others && contents.len() == 32);
            assert_eq!(&key.borrow()[..], contents);
        }
        Err(Error::KeyFileMode { mode: found, .. }) => assert!(open_to_others && found == mode),
        Err(Error::KeyFileLength {
            expected, found, ..
        }) => {
            assert!(!open_to_others && expected == 32 && found == contents.len() as u64)
        }
        Err(other) => panic!("unexpected error {other:?}"),
    }
    let too_short = contents.len() < SecretVec::<u8>::MIN_KEY_FILE_LEN;
    match SecretVec::<u8>::load(&path) {
        Ok(vec) => {
            assert!(!open_to_others && !too_short);
            assert_eq!(&vec.borrow()[..], contents)
        }
        Err(Error::KeyFileMode { .. }) => assert!(open_to_others),
        Err(Error::KeyFileTooShort { minimum, found, .. }) => {
            assert!(!open_to_others && too_short);
            assert_eq!((minimum, found), (16, contents.len() as u64));
        }
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

/// One fuzz case for the password reader: `data` arrives on a socket; the line read must be
/// the bytes up to the first newline (without a trailing `\r`), or a typed error.
pub fn password_line(data: &[u8]) {
    let (mut writer, reader) = UnixStream::pair().expect("socket pair");
    writer.write_all(data).expect("write the case");
    drop(writer);
    let limit = 1024;
    let line_end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let mut line = &data[..line_end];
    if let [rest @ .., b'\r'] = line {
        line = rest;
    }
    match SecretString::read_line_from(&reader, limit) {
        Ok(text) => {
            assert!(line.len() <= limit);
            assert_eq!(text.borrow().as_bytes(), line);
        }
        Err(Error::TooLong { limit: found }) => assert_eq!(found, limit),
        Err(Error::InvalidUtf8 { valid_up_to }) => {
            assert!(std::str::from_utf8(line).is_err());
            assert_eq!(
                std::str::from_utf8(line).unwrap_err().valid_up_to(),
                valid_up_to
            );
        }
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

/// A reader that hands out at most `piece` bytes per `read`.
struct Pieces<'a> {
    bytes: &'a [u8],
    piece: usize,
}

impl std::io::Read for Pieces<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.piece.min(out.len()).min(self.bytes.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// One fuzz case for the stream readers: the first byte picks `max_len` (0 to 8,160, in steps
/// of 32, so the boundary and the 4 KiB growth are both reached), the second the size of the
/// pieces a `Read` hands out; the rest is the stream. What is read must be the stream exactly
/// when it fits, `StreamTooLong` otherwise, and for text the UTF-8 verdict std's decoder gives.
pub fn secret_stream(data: &[u8]) {
    let (max_len, piece, stream) = match data {
        [a, b, rest @ ..] => (usize::from(*a) * 32, usize::from(*b) + 1, rest),
        _ => (0, 1, data),
    };
    let fits = stream.len() <= max_len;
    let socket_with_stream = || {
        let (mut writer, reader) = UnixStream::pair().expect("socket pair");
        writer.write_all(stream).expect("write the case");
        reader
    };
    let bytes = [
        SecretVec::<u8>::read_from_fd(socket_with_stream(), max_len),
        SecretVec::<u8>::read_from(
            Pieces {
                bytes: stream,
                piece,
            },
            max_len,
        ),
    ];
    for read in bytes {
        match read {
            Ok(secret) => {
                assert!(fits);
                assert_eq!(&*secret.borrow(), stream);
            }
            Err(Error::StreamTooLong { max_len: found }) => {
                assert!(!fits);
                assert_eq!(found, max_len);
            }
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    let text = [
        SecretString::read_from_fd(socket_with_stream(), max_len),
        SecretString::read_from(
            Pieces {
                bytes: stream,
                piece,
            },
            max_len,
        ),
    ];
    for read in text {
        match (read, std::str::from_utf8(stream)) {
            (Ok(text), Ok(expected)) => {
                assert!(fits);
                assert_eq!(&*text.borrow(), expected);
            }
            (Err(Error::StreamTooLong { max_len: found }), _) => {
                assert!(!fits);
                assert_eq!(found, max_len);
            }
            (Err(Error::InvalidUtf8 { valid_up_to }), Err(expected)) => {
                assert!(fits);
                assert_eq!(valid_up_to, expected.valid_up_to());
            }
            (other, _) => panic!("unexpected outcome {:?}", other.map(|_| "a string")),
        }
    }
}

/// One fuzz case for `SecretString::from_bytes`: the text must come back exactly when `data`
/// is UTF-8, and otherwise be refused with the position std's decoder gives; the source is
/// zeroed either way.
pub fn secret_string(data: &[u8]) {
    let mut source = data.to_vec();
    let result = SecretString::from_bytes(&mut source);
    match (result, std::str::from_utf8(data)) {
        (Ok(text), Ok(expected)) => assert_eq!(&*text.borrow(), expected),
        (Err(Error::InvalidUtf8 { valid_up_to }), Err(err)) => {
            assert_eq!(valid_up_to, err.valid_up_to());
        }
        (result, expected) => panic!(
            "from_bytes gave {:?} where std::str::from_utf8 gave {expected:?}",
            result.map(|text| text.len())
        ),
    }
    assert!(source.iter().all(|&b| b == 0), "the source was not zeroed");
}

/// One fuzz case for `UsedNonce::from_bytes`, under each algorithm: accepted exactly when
/// `data` has the algorithm's nonce length (and then kept byte for byte), refused with both
/// lengths otherwise.
pub fn used_nonce(data: &[u8]) {
    used_nonce_of::<XChaCha20Poly1305>(data, 24);
    used_nonce_of::<ChaCha20Poly1305Ietf>(data, 12);
    used_nonce_of::<Aes256Gcm>(data, 12);
    used_nonce_of::<Aegis256>(data, 32);
}

fn used_nonce_of<A: Algorithm>(data: &[u8], expected: usize) {
    match UsedNonce::<A>::from_bytes(data) {
        Ok(nonce) => {
            assert_eq!(data.len(), expected, "{} accepted a wrong length", A::NAME);
            assert_eq!(nonce.as_bytes(), data);
            let again = UsedNonce::<A>::from_bytes(nonce.as_bytes()).expect("its own bytes");
            assert_eq!(again.as_bytes(), nonce.as_bytes(), "{}", A::NAME);
        }
        Err(err) => assert_eq!(
            err,
            secrets_nonce::Error::NonceLength {
                expected,
                found: data.len()
            },
            "{}",
            A::NAME
        ),
    }
}

/// One fuzz case for AEAD opening. The first byte picks the algorithm (`% 4`) and the mode
/// (bit 7); the next two give the lengths of the nonce (`% 33`, so wrong lengths too) and of
/// the associated data (`% 64`); then come the nonce, the associated data and the rest.
///
/// - Forgery mode: the rest is a ciphertext under a fixed key. The fuzzer does not know the
///   key, so every `open` must be refused: `NonceLength`, `Truncated` (shorter than the tag) or
///   `Forged`, never a plaintext; `open_into` into a buffer of the wrong length too.
/// - Round-trip mode: the rest is a plaintext, sealed under a fresh nonce; opening it must give
///   it back, and opening it with one bit flipped (at a place the case picks, in the
///   ciphertext, the tag or the associated data) must be refused as `Forged`.
///
/// AES-256-GCM needs AES-NI: where this CPU lacks it, every call must return `Unavailable`.
pub fn aead_open(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let round_trip = selector & 0x80 != 0;
    let key_bytes = [0x42u8; 32];
    // Counted nonces need a session key (a key from bytes cannot count); an input made without
    // the key is refused by either.
    match selector % 4 {
        0 => {
            let key = XChaCha20Poly1305Key::from_bytes(&mut { key_bytes }).expect("a key");
            open_case(&key, rest, round_trip, true, |aad, body| {
                secrets_nonce::seal(&key, UnusedNonce::random(), aad, body)
            });
        }
        1 => {
            let key = Aegis256Key::from_bytes(&mut { key_bytes }).expect("a key");
            open_case(&key, rest, round_trip, true, |aad, body| {
                secrets_nonce::seal(&key, UnusedNonce::random(), aad, body)
            });
        }
        2 => {
            let key = SessionKey::<ChaCha20Poly1305Ietf>::generate().expect("a key");
            open_case(&key, rest, round_trip, true, |aad, body| {
                key.seal(aad, body)
            });
        }
        _ => {
            let key = SessionKey::<Aes256Gcm>::generate().expect("a key");
            let available = Aes256Gcm::is_available();
            open_case(&key, rest, round_trip, available, |aad, body| {
                key.seal(aad, body)
            });
        }
    }
}

/// A sealed message: its nonce and its ciphertext with the tag.
type SealedMessage<A> = (UsedNonce<A>, Vec<u8>);

fn open_case<K: Key>(
    key: &K,
    data: &[u8],
    round_trip: bool,
    available: bool,
    seal: impl FnOnce(&[u8], &[u8]) -> Result<SealedMessage<K::Algorithm>, secrets_nonce::Error>,
) {
    use secrets_nonce::Error as NonceError;
    let name = <K::Algorithm as Algorithm>::NAME;
    let tag_len = <K::Algorithm as Algorithm>::TAG_LEN;
    let unavailable = NonceError::Unavailable { algorithm: name };
    let (nonce_len, aad_len, data) = match data {
        [n, a, rest @ ..] => (usize::from(*n) % 33, usize::from(*a) % 64, rest),
        _ => return,
    };
    let (nonce_bytes, data) = data.split_at(nonce_len.min(data.len()));
    let (aad, body) = data.split_at(aad_len.min(data.len()));

    if round_trip {
        let sealed = seal(aad, body);
        let (used, mut sealed) = match sealed {
            Ok(sealed) => sealed,
            Err(err) => {
                assert!(!available && err == unavailable, "{name}: seal: {err:?}");
                return;
            }
        };
        assert_eq!(sealed.len(), body.len() + tag_len, "{name}");
        let opened = secrets_nonce::open(key, &used, aad, &sealed).expect("a sealed message opens");
        assert_eq!(
            &*opened.borrow(),
            body,
            "{name}: the round trip changed the message"
        );
        // One bit flipped, in the ciphertext-with-tag or in the associated data, at a place
        // the nonce bytes (unused here: the nonce is fresh) pick.
        let pick = nonce_bytes.iter().fold(0usize, |acc, &b| {
            acc.wrapping_mul(257).wrapping_add(usize::from(b))
        });
        let span = sealed.len() + aad.len();
        let (at, bit) = (pick % span, (pick / span) % 8);
        let mut aad = aad.to_vec();
        match at.checked_sub(sealed.len()) {
            None => sealed[at] ^= 1 << bit,
            Some(in_aad) => aad[in_aad] ^= 1 << bit,
        }
        let err = secrets_nonce::open(key, &used, &aad, &sealed)
            .map(|_| ())
            .expect_err("a flipped bit must not authenticate");
        assert_eq!(
            err,
            NonceError::Forged,
            "{name}: bit {bit} of byte {at} flipped"
        );
        return;
    }

    let used = match UsedNonce::<K::Algorithm>::from_bytes(nonce_bytes) {
        Ok(used) => used,
        Err(err) => {
            assert!(
                matches!(err, NonceError::NonceLength { found, .. } if found == nonce_bytes.len()),
                "{name}: {err:?}"
            );
            return;
        }
    };
    let expected = if !available {
        unavailable
    } else if body.len() < tag_len {
        NonceError::Truncated {
            minimum: tag_len,
            found: body.len(),
        }
    } else {
        NonceError::Forged
    };
    let err = secrets_nonce::open(key, &used, aad, body)
        .map(|_| ())
        .expect_err("an input made without the key must not authenticate");
    assert_eq!(err, expected, "{name}: open");
    // `open_into` checks the buffer's length before anything else is done with it.
    let mut out = vec![0u8; body.len().saturating_sub(tag_len) + 1];
    let err = secrets_nonce::open_into(key, &used, aad, body, &mut out)
        .expect_err("an input made without the key must not authenticate");
    match expected {
        NonceError::Forged => assert_eq!(
            err,
            NonceError::OutputLength {
                expected: body.len() - tag_len,
                found: out.len()
            },
            "{name}: open_into"
        ),
        expected => assert_eq!(err, expected, "{name}: open_into"),
    }
    assert!(
        out.iter().all(|&b| b == 0),
        "{name}: open_into wrote a refused input"
    );
}

/// The classes of length [`lengths`] tries, chosen by the first byte of its input (`% 4`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthClass {
    /// `0..=8192` elements.
    Small,
    /// Within 128 bytes either side of a multiple of the page size, up to 64 pages.
    PageEdge,
    /// Within 1 MiB below `usize::MAX` bytes, where the canary and the guard pages used to
    /// wrap around.
    NearMax,
    /// Within 64 KiB either side of other impossible sizes: `isize::MAX`, `usize::MAX / 2`,
    /// `usize::MAX / 8` (the largest count of `u64`s) and 2^48.
    Impossible,
}

/// The length in bytes that [`lengths`] asks for, from its input: a class, then a number. Small
/// and page-edge lengths can be backed by any machine; the other two by none.
pub fn length_case(data: &[u8]) -> (LengthClass, usize) {
    let (class, rest) = data.split_first().unwrap_or((&0, &[]));
    let mut raw = [0u8; 8];
    let take = rest.len().min(8);
    raw[..take].copy_from_slice(&rest[..take]);
    let raw = u64::from_le_bytes(raw);
    let page = crate::page_size();
    match class % 4 {
        0 => (LengthClass::Small, (raw % 8193) as usize),
        1 => {
            let pages = ((raw >> 8) % 65) as usize;
            let delta = (raw & 0xff) as usize;
            let len = (pages * page + delta).saturating_sub(128);
            (LengthClass::PageEdge, len)
        }
        2 => (
            LengthClass::NearMax,
            usize::MAX - (raw % (1 << 20)) as usize,
        ),
        _ => {
            let bases = [
                isize::MAX as usize,
                usize::MAX / 2,
                usize::MAX / 8,
                1usize << 48,
            ];
            let base = bases[(raw >> 32) as usize % bases.len()];
            let delta = (raw & 0xffff) as usize;
            let len = if raw & (1 << 16) != 0 {
                base + delta
            } else {
                base - delta
            };
            (LengthClass::Impossible, len)
        }
    }
}

/// One fuzz case for the length arithmetic of the constructors: the length from
/// [`length_case`] goes, as bytes, to `SecretVec::<u8>::zero` and `SecretString::try_new`, and
/// as a count of `u64`s (its eighth, so the byte size stays in its class, and the length itself,
/// so that near `usize::MAX` the multiplication by 8 overflows) to `SecretVec::<u64>::zero`. A length a machine can
/// back gives zeroed memory of that length; an impossible one a typed error that names the
/// length asked and is not `Error::Guard` (which blames `vm.max_map_count`). Nothing panics or crashes.
pub fn lengths(data: &[u8]) {
    let (class, len) = length_case(data);
    let possible = matches!(class, LengthClass::Small | LengthClass::PageEdge);
    let check = |what: &str, asked: usize, result: Result<usize, Error>, names_len: bool| {
        match result {
            Ok(found) => {
                assert!(
                    possible,
                    "{what}({asked}) succeeded for an impossible length"
                );
                assert_eq!(found, asked, "{what}({asked}) gave the wrong length");
            }
            Err(err) => {
                assert!(!possible, "{what}({asked}) failed: {err}");
                // The review saw `usize::MAX - 15` blamed on `vm.max_map_count` this way.
                assert!(
                    !matches!(err, Error::Guard { .. }),
                    "{what}({asked}) blames a guard page: {err:?}"
                );
                let message = err.to_string();
                assert!(
                    !names_len || message.contains(&asked.to_string()),
                    "{what}({asked}): the error does not name the length asked: {message}"
                );
            }
        }
    };
    check(
        "SecretVec::<u8>::zero",
        len,
        SecretVec::<u8>::zero(len).map(|vec| {
            assert!(vec.borrow().iter().all(|&b| b == 0));
            vec.len()
        }),
        true,
    );
    check(
        "SecretString::try_new",
        len,
        SecretString::try_new(len, |_| Ok::<(), Error>(())).map(|text| text.len()),
        true,
    );
    // A count of `u64`s is possible where the same count of bytes is (at most 8 times the
    // largest page-edge length); near `usize::MAX` the multiplication by 8 overflows.
    for count in [len / 8, len] {
        let result = SecretVec::<u64>::zero(count).map(|vec| {
            assert!(vec.borrow().iter().all(|&w| w == 0));
            vec.len()
        });
        check("SecretVec::<u64>::zero", count, result, false);
    }
}

/// One fuzz case for pooled storage: `data` is a program of operations on up to 32 live
/// `SecretVec<u8, Pooled>` (lengths 0 to 1,100: every size class, and past the largest, where
/// values go to dedicated pages) and `SecretBox<[u8; 32], Pooled>`, each checked against a
/// model of what every live secret must hold. Any difference, panic or crash is a bug: slots
/// that overlap, a write-back to the wrong slot, a scratch copy left behind, a canary hit.
pub fn pooled_ops(data: &[u8]) {
    storage_ops(Pooled, data);
}

/// [`pooled_ops`]' program over sealed secrets: each write ends in a re-seal under a new nonce,
/// each borrow decrypts, and values over 1,024 bytes go to dedicated pages.
pub fn sealed_ops(data: &[u8]) {
    storage_ops(Sealed, data);
}

/// The program of [`pooled_ops`] and [`sealed_ops`], over `storage`.
fn storage_ops<S: Storage + Copy>(storage: S, data: &[u8]) {
    const SLOTS: usize = 32;
    /// A live secret and what it must hold.
    type Modelled<S, M> = Option<(S, M)>;
    type Key<S> = SecretBox<[u8; 32], S>;
    let mut vecs: Vec<Modelled<SecretVec<u8, S>, Vec<u8>>> = (0..SLOTS).map(|_| None).collect();
    let mut boxes: Vec<Modelled<Key<S>, [u8; 32]>> = (0..SLOTS).map(|_| None).collect();
    let mut bytes = data.iter().copied();
    while let (Some(op), Some(arg)) = (bytes.next(), bytes.next()) {
        let slot = usize::from(arg) % SLOTS;
        match op % 7 {
            0 => {
                // Make a vector: its length from the next two bytes, its fill from `arg`.
                let len = (usize::from(bytes.next().unwrap_or(0)) << 8
                    | usize::from(bytes.next().unwrap_or(0)))
                    % 1101;
                let model: Vec<u8> = (0..len).map(|i| arg.wrapping_add(i as u8)).collect();
                let made = SecretVec::<u8, S>::new_in(storage, len, |v| v.copy_from_slice(&model))
                    .expect("a vector");
                vecs[slot] = Some((made, model));
            }
            1 => {
                let model = [arg; 32];
                let made =
                    SecretBox::<[u8; 32], S>::new_in(storage, |v| *v = model).expect("a box");
                boxes[slot] = Some((made, model));
            }
            2 => vecs[slot] = None,
            3 => boxes[slot] = None,
            4 => {
                if let Some((secret, model)) = &mut vecs[slot] {
                    let at = usize::from(bytes.next().unwrap_or(0));
                    if !model.is_empty() {
                        let at = at % model.len();
                        let mut write = secret.borrow_mut();
                        write[at] ^= 0x5a;
                        model[at] ^= 0x5a;
                    }
                }
            }
            5 => {
                if let Some((secret, model)) = &mut boxes[slot] {
                    let at = usize::from(bytes.next().unwrap_or(0)) % 32;
                    secret.borrow_mut()[at] = arg;
                    model[at] = arg;
                }
            }
            _ => {
                // Nested borrows of one secret share a copy; borrows of others are their own.
                if let (Some((a, model_a)), Some((b, model_b))) = (&vecs[slot], &boxes[slot]) {
                    let first = a.borrow();
                    let second = a.borrow();
                    let other = b.borrow();
                    assert_eq!(&*first, &model_a[..]);
                    assert_eq!(first.as_ptr(), second.as_ptr());
                    assert_eq!(&*other, model_b);
                }
            }
        }
    }
    for (secret, model) in vecs.iter().flatten() {
        assert_eq!(&*secret.borrow(), &model[..], "a vector changed");
    }
    for (secret, model) in boxes.iter().flatten() {
        assert_eq!(&*secret.borrow(), model, "a box changed");
    }
}

/// A valid PHC parameter string (OWASP's minimum, salt "somesaltsomesalt"): [`phc_string`]
/// splices each case into it, so that mutations reach the parameters and the salt.
pub const PHC_TEMPLATE: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA";

/// One fuzz case for `Argon2idParams::from_phc`: the case as text (invalid UTF-8 replaced),
/// and [`PHC_TEMPLATE`] with the case spliced in (first byte: where; second: how many bytes of
/// the template it replaces, 0 to 3; the rest: the bytes put there). Each string must be read
/// or refused with a PHC or parameter error, never a panic; a refusal's message is bounded
/// however long the input; and what is read writes back as exactly the same string (one
/// spelling for each set of parameters and salt).
pub fn phc_string(data: &[u8]) {
    check_phc(&String::from_utf8_lossy(data));
    if let Some((&at, rest)) = data.split_first() {
        let mut spliced = PHC_TEMPLATE.as_bytes().to_vec();
        let at = usize::from(at) % (spliced.len() + 1);
        let (cut, insert) = match rest.split_first() {
            Some((&cut, insert)) => (usize::from(cut % 4), insert),
            None => (0, rest),
        };
        let end = (at + cut).min(spliced.len());
        spliced.splice(at..end, insert.iter().copied());
        check_phc(&String::from_utf8_lossy(&spliced));
    }
}

fn check_phc(text: &str) {
    match Argon2idParams::from_phc(text) {
        Ok((params, salt)) => {
            assert_eq!(
                params.to_phc(&salt).as_deref(),
                Ok(text),
                "read back differently"
            );
            assert_eq!(params.mem_limit % 1024, 0, "{params:?} from {text:?}");
        }
        Err(
            err @ (Error::Phc(_)
            | Error::Kdf(KdfError::Argon2idMemory { .. } | KdfError::Argon2idPasses { .. })),
        ) => {
            let message = err.to_string();
            assert!(message.len() < 600, "an unbounded message: {message}");
        }
        Err(other) => panic!("from_phc({text:?}) gave an error of another kind: {other:?}"),
    }
}
