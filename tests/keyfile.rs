//! Key files with real files in a temporary directory: modes, symbolic links, lengths, atomic
//! stores, and no copy of a key file's bytes left in ordinary memory after a load.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use secrets_core::{Error, Randomizable, Secret, SecretBox, SecretVec};
use secrets_integration_tests::{in_child, PrivateDir};

/// A private directory (mode 0700), removed on drop, also when the test panics.
struct TempDir(PrivateDir);

impl TempDir {
    fn new(name: &str) -> TempDir {
        TempDir(PrivateDir::new(&format!("keyfile-{name}")))
    }

    fn file(&self, name: &str, bytes: &[u8], mode: u32) -> PathBuf {
        self.0.file(name, bytes, mode)
    }
}

#[test]
fn owner_only_modes_are_accepted() {
    let dir = TempDir::new("modes-ok");
    for mode in [0o400, 0o600] {
        let path = dir.file(&format!("key-{mode:o}"), &[9; 32], mode);
        let key = SecretBox::<[u8; 32]>::load(&path).unwrap();
        assert_eq!(*key.borrow(), [9; 32], "mode {mode:o}");
    }
}

#[test]
fn modes_open_to_group_or_others_are_refused_with_the_fix() {
    let dir = TempDir::new("modes-bad");
    for mode in [0o644, 0o640, 0o666, 0o604, 0o620] {
        let path = dir.file(&format!("key-{mode:o}"), &[9; 32], mode);
        let err = SecretBox::<[u8; 32]>::load(&path).unwrap_err();
        assert_eq!(
            err,
            Error::KeyFileMode {
                path: path.clone(),
                mode
            },
            "mode {mode:o}"
        );
        let text = err.to_string();
        assert!(text.contains(&format!("{mode:04o}")), "{text}");
        assert!(
            text.contains(&format!("chmod 0400 {}", path.display())),
            "{text}"
        );
    }
}

#[test]
fn a_symbolic_link_is_refused() {
    let dir = TempDir::new("symlink");
    let target = dir.file("real", &[1; 32], 0o400);
    let link = dir.0.join("link");
    symlink(&target, &link).unwrap();
    let err = SecretBox::<[u8; 32]>::load(&link).unwrap_err();
    assert!(
        matches!(err, Error::KeyFileIo { errno, .. } if errno == libc::ELOOP),
        "{err:?}"
    );
    assert!(err.to_string().contains("symbolic link"), "{err}");
    // The same file through its real path loads.
    assert!(SecretBox::<[u8; 32]>::load(&target).is_ok());
}

#[test]
fn wrong_lengths_are_refused_with_expected_and_found() {
    let dir = TempDir::new("lengths");
    for found in [0usize, 31, 33, 64] {
        let path = dir.file(&format!("key-{found}"), &vec![5; found], 0o400);
        let err = SecretBox::<[u8; 32]>::load(&path).unwrap_err();
        assert_eq!(
            err,
            Error::KeyFileLength {
                path: path.clone(),
                expected: 32,
                found: found as u64
            }
        );
        let text = err.to_string();
        assert!(
            text.contains("32") && text.contains(&found.to_string()),
            "{text}"
        );
    }
    let odd = dir.file("words", &[1; 7], 0o400);
    assert_eq!(
        SecretVec::<u32>::load(&odd).unwrap_err(),
        Error::LengthNotMultiple {
            element_size: 4,
            found: 7
        }
    );
}

#[test]
fn missing_files_directories_and_fifos_are_refused() {
    let dir = TempDir::new("kinds");
    let missing = dir.0.join("missing");
    assert!(matches!(
        SecretBox::<[u8; 32]>::load(&missing).unwrap_err(),
        Error::KeyFileIo { errno, .. } if errno == libc::ENOENT
    ));
    let sub = dir.0.join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(
        SecretBox::<[u8; 32]>::load(&sub).unwrap_err(),
        Error::KeyFileNotRegular { path: sub.clone() }
    );
    // A FIFO with no writer would block an ordinary open forever; O_NONBLOCK lets the check
    // refuse it at once.
    let fifo = dir.0.join("fifo");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    assert_eq!(
        SecretBox::<[u8; 32]>::load(&fifo).unwrap_err(),
        Error::KeyFileNotRegular { path: fifo.clone() }
    );
}

#[test]
fn store_writes_mode_0400_atomically_and_loads_back() {
    let dir = TempDir::new("store");
    let path = dir.0.join("master.key");
    let key = SecretBox::<[u8; 32]>::random().unwrap();
    key.store(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o400);
    assert_eq!(SecretBox::<[u8; 32]>::load(&path).unwrap(), key);
    // Replacing an existing key file works, and leaves no temporary file behind.
    let next = SecretBox::<[u8; 32]>::random().unwrap();
    next.store(&path).unwrap();
    assert_eq!(SecretBox::<[u8; 32]>::load(&path).unwrap(), next);
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("master.key")]);
    let seed = SecretVec::<u8>::random(100).unwrap();
    let seed_path = dir.0.join("seed");
    seed.store(&seed_path).unwrap();
    assert_eq!(SecretVec::<u8>::load(&seed_path).unwrap(), seed);
}

#[test]
fn a_failed_store_leaves_nothing_behind() {
    let dir = TempDir::new("store-fail");
    let key = SecretBox::<[u8; 32]>::random().unwrap();
    // The target is a directory: rename fails after the temporary file was written.
    let target = dir.0.join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), b"x").unwrap();
    let err = key.store(&target).unwrap_err();
    assert!(
        matches!(
            err,
            Error::KeyFileIo {
                operation: "rename",
                ..
            }
        ),
        "{err:?}"
    );
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("taken")],
        "temporary file left behind"
    );
    // A directory that does not exist: nothing is created.
    assert!(key.store(dir.0.join("no/such/dir/key")).is_err());
}

/// Whether `needle` occurs in this process's ordinary writable memory: every `rw-p` mapping,
/// read through /proc/self/mem. Guarded memory is `---p`/`---s` at rest and is not scanned.
/// The needle is passed masked (`masked[i] ^ mask[i]`), so the scanner itself never holds it.
fn in_ordinary_memory(masked: &[u8], mask: &[u8]) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mut mem = std::fs::File::open("/proc/self/mem").unwrap();
    let mut chunk = vec![0u8; 1 << 20];
    for line in maps.lines() {
        let mut words = line.split_whitespace();
        let range = words.next().unwrap();
        if words.next() != Some("rw-p") {
            continue;
        }
        let (start, end) = range.split_once('-').unwrap();
        let (mut at, end) = (
            u64::from_str_radix(start, 16).unwrap(),
            u64::from_str_radix(end, 16).unwrap(),
        );
        while at < end {
            let len = chunk.len().min((end - at) as usize);
            if mem.seek(SeekFrom::Start(at)).is_err() || mem.read_exact(&mut chunk[..len]).is_err()
            {
                break;
            }
            let hit = chunk[..len].windows(masked.len()).any(|w| {
                w.iter()
                    .zip(masked.iter().zip(mask))
                    .all(|(b, (m, k))| *b == std::hint::black_box(m ^ k))
            });
            if hit {
                return true;
            }
            at += (len - masked.len().min(len) + 1) as u64;
        }
    }
    false
}

/// Writes a key file of random bytes (never held in ordinary memory unmasked by the child:
/// the parent writes it) and returns the path and the masked marker.
fn marker_file(dir: &TempDir, name: &str, len: usize, mode: u32) -> (PathBuf, Vec<u8>, Vec<u8>) {
    let mut marker = vec![0u8; len];
    marker.randomize();
    let mut mask = vec![0u8; len];
    mask.randomize();
    let path = dir.file(name, &marker, mode);
    let masked = marker.iter().zip(&mask).map(|(m, k)| m ^ k).collect();
    marker.iter_mut().for_each(|b| *b = 0);
    (path, masked, mask)
}

fn scan_after(test: &str, load: fn(&Path) -> bool, expect_found: bool, mode: u32, len: usize) {
    let outcome = in_child(test, || {
        let dir = TempDir::new(test);
        let (path, masked, mask) = marker_file(&dir, "key", len, mode);
        let loaded = load(&path);
        let found = in_ordinary_memory(&masked, &mask);
        println!("loaded={loaded} found={found}");
        assert_eq!(found, expect_found, "marker in ordinary memory: {found}");
    });
    outcome.assert_success();
}

fn load_box(path: &Path) -> bool {
    let key = SecretBox::<[u8; 32]>::load(path);
    let ok = key.is_ok();
    std::mem::forget(key); // keep the pages (if any) alive while scanning
    ok
}

fn load_with_std(path: &Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    std::mem::forget(bytes);
    true
}

#[test]
fn control_std_fs_read_leaves_the_key_in_the_heap() {
    scan_after(
        "control_std_fs_read_leaves_the_key_in_the_heap",
        load_with_std,
        true,
        0o400,
        32,
    );
}

#[test]
fn a_loaded_key_is_only_in_guarded_memory() {
    scan_after(
        "a_loaded_key_is_only_in_guarded_memory",
        load_box,
        false,
        0o400,
        32,
    );
}

#[test]
fn a_refused_mode_leaves_no_copy() {
    scan_after("a_refused_mode_leaves_no_copy", load_box, false, 0o644, 32);
}

#[test]
fn a_refused_length_leaves_no_copy() {
    scan_after(
        "a_refused_length_leaves_no_copy",
        load_box,
        false,
        0o400,
        48,
    );
}

#[derive(Secret)]
struct MasterKey(SecretBox<[u8; 32]>);

#[test]
fn derived_secret_types_load_and_store() {
    let dir = TempDir::new("derived");
    let path = dir.0.join("master.key");
    let key = MasterKey::random().unwrap();
    key.store(&path).unwrap();
    assert!(MasterKey::load(&path).unwrap() == key);
}
