//! A private temporary directory for the files a test writes (key files, core dumps, a crashed
//! child's working directory).
//!
//! [`PrivateDir::new`] creates a fresh directory under `std::env::temp_dir()` with mode 0700,
//! so no other user can list it or open what is in it, whatever mode the files inside get (a
//! core dump is written 0644 by gdb). The name carries the test's label, the pid and 64 random
//! bits, and the directory is created with `mkdir`, which fails if anything (a planted symbolic
//! link included) already has that name. Dropping the guard removes the directory and all it
//! holds; that happens on every path out of the test, a failed assertion included, because
//! unwinding drops it too. Only a process killed outright (`SIGKILL`, an abort) leaves it behind.

use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use secrets_core::Randomizable;

/// The mode of every [`PrivateDir`]: owner only.
pub const PRIVATE_MODE: u32 = 0o700;

/// A directory of the test's own, mode 0700, removed with its contents on drop.
#[derive(Debug)]
pub struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// Creates `secrets-LABEL-PID-RANDOM` under the system's temporary directory.
    ///
    /// # Panics
    /// If the directory cannot be created, or does not end up a directory of this user's with
    /// mode 0700.
    pub fn new(label: &str) -> PrivateDir {
        let mut tag = [0u8; 8];
        tag.randomize();
        let path = std::env::temp_dir().join(format!(
            "secrets-{label}-{}-{:016x}",
            std::process::id(),
            u64::from_ne_bytes(tag)
        ));
        std::fs::DirBuilder::new()
            .mode(PRIVATE_MODE)
            .create(&path)
            .unwrap_or_else(|err| panic!("create {}: {err}", path.display()));
        // Owned at once, so that a failed check below removes it.
        let dir = PrivateDir { path };
        // The umask can only have taken bits away; set the mode exactly, then check it.
        std::fs::set_permissions(&dir.path, std::fs::Permissions::from_mode(PRIVATE_MODE))
            .unwrap_or_else(|err| panic!("chmod 700 {}: {err}", dir.path.display()));
        let meta = std::fs::symlink_metadata(&dir.path)
            .unwrap_or_else(|err| panic!("stat {}: {err}", dir.path.display()));
        // SAFETY: `geteuid` has no preconditions and cannot fail.
        let euid = unsafe { libc::geteuid() };
        assert!(
            meta.is_dir() && meta.mode() & 0o7777 == PRIVATE_MODE && meta.uid() == euid,
            "{} is not a private directory of uid {euid}: {meta:?}",
            dir.path.display()
        );
        dir
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `name` inside the directory.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `bytes` to `name` inside the directory with mode `mode`, and returns its path.
    ///
    /// # Panics
    /// If the file cannot be written or its mode set.
    pub fn file(&self, name: &str, bytes: &[u8], mode: u32) -> PathBuf {
        let path = self.join(name);
        std::fs::write(&path, bytes)
            .unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|err| panic!("chmod {mode:o} {}: {err}", path.display()));
        path
    }

    /// The names of what the directory holds.
    ///
    /// # Panics
    /// If the directory cannot be listed.
    pub fn entries(&self) -> Vec<String> {
        std::fs::read_dir(&self.path)
            .unwrap_or_else(|err| panic!("list {}: {err}", self.path.display()))
            .map(|entry| {
                entry
                    .expect("a directory entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    }

    /// Removes the directory and its contents now, reporting a failure (dropping the guard
    /// removes it too, but can only print what went wrong).
    ///
    /// # Errors
    /// What `remove_dir_all` returned.
    pub fn remove(self) -> io::Result<()> {
        // The guard's own drop then finds nothing left, and says nothing.
        std::fs::remove_dir_all(&self.path)
    }
}

impl AsRef<Path> for PrivateDir {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        // No panic here: this runs while a failed test unwinds, where a second panic aborts.
        if let Err(err) = std::fs::remove_dir_all(&self.path) {
            if err.kind() != io::ErrorKind::NotFound {
                eprintln!("could not remove {}: {err}", self.path.display());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use super::*;

    #[test]
    fn is_owner_only_and_gone_after_drop() {
        let dir = PrivateDir::new("tempdir-test");
        let path = dir.path().to_owned();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.is_dir());
        assert_eq!(meta.mode() & 0o7777, 0o700, "{}", path.display());
        let file = dir.file("inside", b"contents", 0o400);
        assert_eq!(std::fs::read(&file).unwrap(), b"contents");
        assert_eq!(dir.entries(), ["inside"]);
        drop(dir);
        assert!(!path.exists(), "{} outlived its guard", path.display());
    }

    #[test]
    fn is_owner_only_under_a_umask_that_takes_every_bit() {
        // The umask is per process: set it in a child, so the other tests keep theirs. With
        // 0777, `mkdir` makes a directory of mode 000, which only the explicit chmod repairs.
        crate::in_child(
            "tempdir::tests::is_owner_only_under_a_umask_that_takes_every_bit",
            || {
                // SAFETY: `umask` has no preconditions and cannot fail.
                unsafe { libc::umask(0o777) };
                let dir = PrivateDir::new("tempdir-umask");
                let mode = std::fs::metadata(dir.path()).unwrap().mode() & 0o7777;
                assert_eq!(mode, 0o700);
            },
        )
        .assert_success();
    }

    #[test]
    fn is_removed_when_the_test_panics() {
        let mut seen = None;
        let result = catch_unwind(AssertUnwindSafe(|| {
            let dir = PrivateDir::new("tempdir-panic");
            dir.file("core.1234", &[0xa5; 4096], 0o644);
            seen = Some(dir.path().to_owned());
            assert!(dir.path().exists());
            panic!("a failed assertion while the directory holds a file");
        }));
        assert!(result.is_err(), "the closure must have panicked");
        let path = seen.expect("the directory was made before the panic");
        assert!(
            !path.exists(),
            "{} survived the panic of its test",
            path.display()
        );
    }

    #[test]
    fn two_dirs_never_share_a_name() {
        let first = PrivateDir::new("tempdir-twice");
        let second = PrivateDir::new("tempdir-twice");
        assert_ne!(first.path(), second.path());
    }

    #[test]
    fn remove_reports_and_removes() {
        let dir = PrivateDir::new("tempdir-remove");
        let path = dir.path().to_owned();
        dir.file("a", b"x", 0o600);
        dir.remove().unwrap();
        assert!(!path.exists());
    }
}
