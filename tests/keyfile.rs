//! Key files with real files in a temporary directory: modes, symbolic links, lengths, atomic
//! stores, and no copy of a key file's bytes left in ordinary memory after a load.

// Linux and Android only: Unix file modes, owners, symbolic links and ptys everywhere, and its
// memory searches read /proc/self/mem.
#![cfg(any(target_os = "linux", target_os = "android"))]

use std::os::unix::fs::{chown, symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use secrets_core::prelude::*;
use secrets_core::Error;
use secrets_integration_tests::pty::{has_controlling_terminal, new_session, Pty};
use secrets_integration_tests::scan::{find_in_ordinary_memory, Needle};
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

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
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
    // No temporary name is left beside it.
    assert_eq!(names_in(dir.0.path()), ["master.key"]);
    let seed = SecretVec::<u8>::random(100).unwrap();
    let seed_path = dir.0.join("seed");
    seed.store(&seed_path).unwrap();
    assert_eq!(SecretVec::<u8>::load(&seed_path).unwrap(), seed);
    assert_eq!(names_in(dir.0.path()), ["master.key", "seed"]);
}

/// What `store` did before: an fsync'd temporary file renamed onto the key's name.
fn store_by_rename(dir: &Path, path: &Path, bytes: &[u8]) {
    let temporary = dir.join(".tmp");
    std::fs::write(&temporary, bytes).unwrap();
    std::fs::File::open(&temporary).unwrap().sync_all().unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

#[test]
fn control_storing_by_rename_loses_the_first_key() {
    let dir = TempDir::new("store-rename");
    let path = dir.0.join("master.key");
    let first = [1u8; 32];
    let second = [2u8; 32];
    store_by_rename(dir.0.path(), &path, &first);
    // A second "store" of a new key (a second run, a typo in the path of another key) ...
    store_by_rename(dir.0.path(), &path, &second);
    // ... silently took the first key's place: whatever it encrypted cannot be opened again.
    assert_eq!(std::fs::read(&path).unwrap(), second);
    assert_eq!(
        names_in(dir.0.path()),
        ["master.key"],
        "no copy of the first key"
    );
}

#[test]
fn store_refuses_an_existing_key_file_and_leaves_it_byte_identical() {
    let dir = TempDir::new("store-exists");
    let path = dir.0.join("master.key");
    let first = SecretBox::<[u8; 32]>::random().unwrap();
    first.store(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    let meta_before = std::fs::metadata(&path).unwrap();

    let second = SecretBox::<[u8; 32]>::random().unwrap();
    let err = second.store(&path).unwrap_err();
    assert_eq!(err, Error::KeyFileExists { path: path.clone() });
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()) && text.contains("`replace`"),
        "{text}"
    );

    // The same bytes, the same file (inode, mode, modification time), and no temporary name.
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let meta_after = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (
            meta_after.ino(),
            meta_after.mode(),
            meta_after.mtime(),
            meta_after.mtime_nsec()
        ),
        (
            meta_before.ino(),
            meta_before.mode(),
            meta_before.mtime(),
            meta_before.mtime_nsec()
        )
    );
    assert_eq!(SecretBox::<[u8; 32]>::load(&path).unwrap(), first);
    assert_eq!(names_in(dir.0.path()), ["master.key"]);

    // The same for vectors and for derived types, whose `store` is the trait's.
    let seed_path = dir.0.join("seed");
    let seed = SecretVec::<u8>::random(64).unwrap();
    seed.store(&seed_path).unwrap();
    assert_eq!(
        SecretVec::<u8>::random(64).unwrap().store(&seed_path),
        Err(Error::KeyFileExists {
            path: seed_path.clone()
        })
    );
    assert_eq!(SecretVec::<u8>::load(&seed_path).unwrap(), seed);
    let derived_path = dir.0.join("derived.key");
    let derived = MasterKey::random().unwrap();
    derived.store(&derived_path).unwrap();
    assert_eq!(
        MasterKey::random().unwrap().store(&derived_path),
        Err(Error::KeyFileExists {
            path: derived_path.clone()
        })
    );
    assert!(MasterKey::load(&derived_path).unwrap() == derived);
    assert_eq!(
        names_in(dir.0.path()),
        ["derived.key", "master.key", "seed"]
    );
}

#[test]
fn store_refuses_any_taken_name_and_follows_no_link() {
    let dir = TempDir::new("store-taken");
    let key = SecretBox::<[u8; 32]>::random().unwrap();
    // Something that is not a key file at all.
    let notes = dir.file("notes", b"not a key, but not ours to replace", 0o644);
    assert_eq!(
        key.store(&notes),
        Err(Error::KeyFileExists {
            path: notes.clone()
        })
    );
    assert_eq!(
        std::fs::read(&notes).unwrap(),
        b"not a key, but not ours to replace"
    );
    // A directory.
    let sub = dir.0.join("sub");
    std::fs::create_dir(&sub).unwrap();
    assert_eq!(
        key.store(&sub),
        Err(Error::KeyFileExists { path: sub.clone() })
    );
    // A dangling symbolic link: `store` neither follows it (which would create its target, a
    // file someone else chose) nor replaces it.
    let link = dir.0.join("link");
    let target = dir.0.join("target");
    symlink(&target, &link).unwrap();
    assert_eq!(
        key.store(&link),
        Err(Error::KeyFileExists { path: link.clone() })
    );
    assert!(!target.exists(), "the link was followed");
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    assert_eq!(names_in(dir.0.path()), ["link", "notes", "sub"]);
}

#[test]
fn replace_replaces_atomically_and_creates_a_missing_file() {
    let dir = TempDir::new("replace");
    let path = dir.0.join("master.key");
    let first = SecretBox::<[u8; 32]>::random().unwrap();
    // A missing file is created, mode 0400.
    first.replace(&path).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o400
    );
    assert_eq!(SecretBox::<[u8; 32]>::load(&path).unwrap(), first);
    // A reader that opened the old file keeps reading the whole old key: the new key is a new
    // file renamed onto the name, not the old file rewritten in place.
    let mut old_reader = std::fs::File::open(&path).unwrap();
    let old_inode = std::fs::metadata(&path).unwrap().ino();
    let second = SecretBox::<[u8; 32]>::random().unwrap();
    second.replace(&path).unwrap();
    assert_eq!(SecretBox::<[u8; 32]>::load(&path).unwrap(), second);
    assert_ne!(std::fs::metadata(&path).unwrap().ino(), old_inode);
    let mut old_bytes = Vec::new();
    std::io::Read::read_to_end(&mut old_reader, &mut old_bytes).unwrap();
    assert_eq!(old_bytes.len(), 32);
    assert!(SecretBox::<[u8; 32]>::from_bytes(&mut old_bytes).unwrap() == first);
    assert_eq!(names_in(dir.0.path()), ["master.key"]);
    // Vectors and derived types.
    let seed_path = dir.0.join("seed");
    SecretVec::<u8>::random(64)
        .unwrap()
        .store(&seed_path)
        .unwrap();
    let seed = SecretVec::<u8>::random(48).unwrap();
    seed.replace(&seed_path).unwrap();
    assert_eq!(SecretVec::<u8>::load(&seed_path).unwrap(), seed);
    let derived = MasterKey::random().unwrap();
    derived.replace(&path).unwrap();
    assert!(MasterKey::load(&path).unwrap() == derived);
}

#[test]
fn control_rewriting_in_place_shows_readers_an_empty_key_file() {
    let dir = TempDir::new("rewrite");
    let path = dir.0.join("master.key");
    SecretBox::<[u8; 32]>::random()
        .unwrap()
        .store(&path)
        .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    // Overwriting the file itself (`std::fs::write`: open with O_TRUNC, then write) ...
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    // ... leaves a moment in which a reader (or a crash) finds no key at all.
    assert_eq!(
        SecretBox::<[u8; 32]>::load(&path).unwrap_err(),
        Error::KeyFileLength {
            path: path.clone(),
            expected: 32,
            found: 0
        }
    );
    std::io::Write::write_all(&mut file, &[3; 32]).unwrap();
}

#[test]
fn a_reader_during_replaces_sees_one_whole_key_or_the_other() {
    let dir = TempDir::new("replace-race");
    let path = dir.0.join("master.key");
    let keys = [[0xa5u8; 32], [0x5au8; 32]];
    let mut first = keys[0];
    SecretBox::<[u8; 32]>::from_bytes(&mut first)
        .unwrap()
        .store(&path)
        .unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let loads = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut loads = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let key = SecretBox::<[u8; 32]>::load(&path)
                    .unwrap_or_else(|err| panic!("a load during replace failed: {err}"));
                assert!(keys.contains(&*key.borrow()), "a mixed key was read");
                loads += 1;
            }
            loads
        });
        for round in 0..200 {
            let mut bytes = keys[round % 2];
            SecretBox::<[u8; 32]>::from_bytes(&mut bytes)
                .unwrap()
                .replace(&path)
                .unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        reader.join().unwrap()
    });
    assert!(loads > 0);
    assert_eq!(names_in(dir.0.path()), ["master.key"]);
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let dir = TempDir::new("store-fail");
    let key = SecretBox::<[u8; 32]>::random().unwrap();
    // The target is a directory: `replace`'s rename fails after the temporary file was
    // written, and `store`'s link finds the name taken.
    let target = dir.0.join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("inside"), b"x").unwrap();
    let err = key.replace(&target).unwrap_err();
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
    assert_eq!(
        key.store(&target),
        Err(Error::KeyFileExists {
            path: target.clone()
        })
    );
    assert_eq!(
        names_in(dir.0.path()),
        ["taken"],
        "temporary file left behind"
    );
    assert_eq!(names_in(&target), ["inside"]);
    // A directory that does not exist: nothing is created.
    assert!(key.store(dir.0.join("no/such/dir/key")).is_err());
    assert!(key.replace(dir.0.join("no/such/dir/key")).is_err());
    assert_eq!(names_in(dir.0.path()), ["taken"]);
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
        let found = find_in_ordinary_memory(&Needle::masked(masked, mask)).is_some();
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

// ---------------------------------------------------------------------------------------------
// Owners, empty files, terminals

/// A uid and gid no account on the test machine uses.
const STRANGER: u32 = 4242;

#[test]
fn a_key_file_owned_by_another_user_is_refused_naming_both_uids() {
    let dir = TempDir::new("owner");
    let path = dir.file("key", &[9; 32], 0o400);
    // Control: owned by us (root runs the tests), it loads.
    assert!(SecretBox::<[u8; 32]>::load(&path).is_ok());

    chown(&path, Some(STRANGER), Some(STRANGER)).unwrap();
    // SAFETY: `geteuid` takes no arguments and always succeeds.
    let euid = unsafe { libc::geteuid() };
    let err = SecretBox::<[u8; 32]>::load(&path).unwrap_err();
    assert_eq!(
        err,
        Error::KeyFileOwner {
            path: path.clone(),
            owner: STRANGER,
            effective_uid: euid,
        }
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!("uid {STRANGER}"))
            && text.contains(&format!("uid {euid}"))
            && text.contains("root (uid 0)"),
        "{text}"
    );
    assert!(matches!(
        SecretVec::<u8>::load(&path).unwrap_err(),
        Error::KeyFileOwner {
            owner: STRANGER,
            ..
        }
    ));
}

#[test]
fn a_key_file_owned_by_the_effective_user_loads() {
    in_child("a_key_file_owned_by_the_effective_user_loads", || {
        let dir = TempDir::new("euid");
        let path = dir.file("key", &[7; 32], 0o400);
        chown(&dir.0, Some(STRANGER), Some(STRANGER)).unwrap();
        chown(&path, Some(STRANGER), Some(STRANGER)).unwrap();
        // Act as the stranger (root stays the saved uid, to switch back and clean up).
        // SAFETY: `seteuid` takes a uid; root may take any.
        assert_eq!(unsafe { libc::seteuid(STRANGER) }, 0, "seteuid");
        let loaded = SecretBox::<[u8; 32]>::load(&path).map(|key| *key.borrow() == [7; 32]);
        // SAFETY: as above; the saved uid is root, so this is allowed.
        assert_eq!(unsafe { libc::seteuid(0) }, 0, "seteuid back");
        assert_eq!(loaded, Ok(true), "a file of the effective user's own");
    })
    .assert_success();
}

#[test]
fn empty_and_short_files_are_not_vector_keys() {
    let dir = TempDir::new("short");
    for len in [0usize, 1, 15] {
        let path = dir.file(&format!("key-{len}"), &vec![3; len], 0o400);
        let err = SecretVec::<u8>::load(&path).unwrap_err();
        assert_eq!(
            err,
            Error::KeyFileTooShort {
                path: path.clone(),
                minimum: 16,
                found: len as u64
            }
        );
        let text = err.to_string();
        assert!(
            text.contains(&format!("holds {len} bytes")) && text.contains("at least 16"),
            "{text}"
        );
    }
    // Whole elements, but too few bytes.
    let words = dir.file("words", &[1; 12], 0o400);
    assert!(matches!(
        SecretVec::<u32>::load(&words).unwrap_err(),
        Error::KeyFileTooShort { found: 12, .. }
    ));
    // The boundary: 16 bytes load.
    let exact = dir.file("key-16", &[4; 16], 0o400);
    assert_eq!(&*SecretVec::<u8>::load(&exact).unwrap().borrow(), &[4; 16]);
    assert_eq!(SecretVec::<u8>::MIN_KEY_FILE_LEN, 16);
}

#[test]
fn a_terminal_path_is_refused_and_not_made_the_controlling_terminal() {
    in_child(
        "a_terminal_path_is_refused_and_not_made_the_controlling_terminal",
        || {
            // A daemon: the leader of a session with no controlling terminal.
            new_session();
            assert!(!has_controlling_terminal(), "setsid left a terminal");
            let pty = Pty::open();

            assert_eq!(
                SecretBox::<[u8; 32]>::load(&pty.slave).unwrap_err(),
                Error::KeyFileNotRegular {
                    path: pty.slave.clone()
                }
            );
            assert_eq!(
                SecretVec::<u8>::load(&pty.slave).unwrap_err(),
                Error::KeyFileNotRegular {
                    path: pty.slave.clone()
                }
            );
            assert!(
                !has_controlling_terminal(),
                "loading a key from {} made it the controlling terminal",
                pty.slave.display()
            );

            // Control: an ordinary open (without O_NOCTTY) of the same terminal acquires it.
            let plain = std::fs::File::open(&pty.slave).unwrap();
            assert!(
                has_controlling_terminal(),
                "an open without O_NOCTTY should have acquired {}",
                pty.slave.display()
            );
            // The terminal hangs up when its master closes, and the kernel then sends SIGHUP
            // to this session, whose terminal it now is: ignore it, so the child exits 0.
            // SAFETY: installs the `SIG_IGN` disposition; no handler code runs.
            unsafe { libc::signal(libc::SIGHUP, libc::SIG_IGN) };
            drop((plain, pty.master));
        },
    )
    .assert_success();
}
