//! The bodies of the fuzz targets in `fuzz/` (cargo fuzz), shared with the test that runs them
//! briefly on every `cargo test` (`tests/fuzz_smoke.rs`): the key-file loader and the password
//! reader, fed arbitrary bytes, must never panic, and must return exactly what they were given
//! or a typed error.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;

use secrets_core::{Error, SecretBox, SecretString, SecretVec};

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
