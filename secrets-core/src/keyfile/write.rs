//! Writing key files: `store` (create only, `link(2)`) and `replace` (`rename(2)`); the design
//! and its cost in system calls are in the module docs of `keyfile`.

use std::fs::File;
#[cfg(unix)]
use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
#[cfg(unix)]
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::io_error;
use crate::bytes::{self, Bytes, Randomizable};
use crate::storage::Storage;
use crate::{Error, SecretBox, SecretVec};

/// Removes the temporary file unless the store went through.
struct Temporary {
    path: PathBuf,
    keep: bool,
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// How the fsync'd temporary file takes the final name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Naming {
    /// `link(2)`: fails with `EEXIST` if the name is taken; the old file stays.
    CreateOnly,
    /// `rename(2)`: atomically replaces whatever file has the name.
    Replace,
}

/// Writes `bytes` to a file at `path`, mode 0400, atomically (see the module docs).
fn write_key_file(path: &Path, bytes: &[u8], how: Naming) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or(Error::KeyFileNotRegular {
        path: path.to_owned(),
    })?;
    let mut tag = [0u8; 8];
    tag.randomize();
    let mut temporary = Temporary {
        path: dir.join(format!(
            ".{}.{}.{:016x}.tmp",
            name.to_string_lossy(),
            std::process::id(),
            u64::from_ne_bytes(tag)
        )),
        keep: false,
    };
    let mut file =
        create_temporary(&temporary.path).map_err(|err| io_error(path, "create", &err))?;
    file.write_all(bytes)
        .map_err(|err| io_error(path, "write", &err))?;
    file.sync_all()
        .map_err(|err| io_error(path, "fsync", &err))?;
    drop(file);
    match how {
        Naming::CreateOnly => {
            // `std::fs::hard_link` is `linkat(AT_FDCWD, temporary, AT_FDCWD, path, 0)` on
            // Linux: it neither follows a symbolic link at `path` nor replaces anything there.
            std::fs::hard_link(&temporary.path, path).map_err(|err| {
                // EEXIST; on Windows ERROR_ALREADY_EXISTS (`CreateHardLinkW`).
                if err.kind() == ErrorKind::AlreadyExists {
                    Error::KeyFileExists {
                        path: path.to_owned(),
                    }
                } else {
                    io_error(path, "link", &err)
                }
            })?;
            // The key has its final name; the temporary one goes (if this fails, the key is
            // stored and the error says the temporary name is left).
            std::fs::remove_file(&temporary.path)
                .map_err(|err| io_error(path, "unlink the temporary name of", &err))?;
            temporary.keep = true;
        }
        Naming::Replace => {
            std::fs::rename(&temporary.path, path).map_err(|err| io_error(path, "rename", &err))?;
            temporary.keep = true;
        }
    }
    sync_directory(dir).map_err(|err| io_error(path, "fsync the directory of", &err))
}

/// A new file at `path` for writing, mode 0400, not following a symbolic link.
#[cfg(unix)]
fn create_temporary(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o400)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// A new file at `path` with a protected DACL that lets the current user alone in, created so
/// (never open to others for a moment), not following a reparse point.
#[cfg(windows)]
fn create_temporary(path: &Path) -> std::io::Result<File> {
    crate::sys::acl::create_new_private(path).map_err(std::io::Error::from_raw_os_error)
}

/// Makes the directory entries in `dir` durable: `fsync(2)` of the directory.
#[cfg(unix)]
fn sync_directory(dir: &Path) -> std::io::Result<()> {
    File::open(dir).and_then(|dir| dir.sync_all())
}

/// Windows has no `fsync` of a directory (a documented limit, in the module docs of `keyfile`):
/// the file's bytes were flushed before it was named, and NTFS journals the naming.
#[cfg(windows)]
fn sync_directory(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

impl<T: Bytes, S: Storage> SecretBox<T, S> {
    /// Writes the key to a new file at `path` with mode 0400, atomically, and never over an
    /// existing file: if anything already has that name (a file, a directory, a symbolic
    /// link), it is left exactly as it was and the store is refused. A crash or error leaves
    /// no file at `path` or the complete key, never part of one. To overwrite a key file on
    /// purpose, use [`replace`](Self::replace).
    ///
    /// On Windows the file is created with a protected DACL granting the current user alone
    /// full control (instead of mode 0400), named with `CreateHardLinkW` (NTFS; create-only as
    /// on POSIX), and the directory is not flushed (Windows has no directory `fsync`).
    ///
    /// # Errors
    /// [`Error::KeyFileExists`] if `path` is taken; [`Error::KeyFileIo`] naming the step that
    /// failed (create, write, fsync, link: also on a file system without hard links).
    ///
    /// ```
    /// use secrets_core::{Error, SecretBox};
    /// # let dir = std::env::temp_dir().join(format!("secrets-doc-store-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("master.key");
    /// let first = SecretBox::<[u8; 32]>::random()?;
    /// first.store(&path)?;
    /// let second = SecretBox::<[u8; 32]>::random()?;
    /// assert!(matches!(second.store(&path), Err(Error::KeyFileExists { .. })));
    /// assert!(SecretBox::<[u8; 32]>::load(&path)? == first); // the first key is still there
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn store(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        write_key_file(
            path.as_ref(),
            bytes::as_bytes(&*self.borrow()),
            Naming::CreateOnly,
        )
    }

    /// Writes the key to `path` with mode 0400, replacing the file there: the old key is lost
    /// once this returns, so everything it protected must already be under the new one. The
    /// replacement is atomic (`rename(2)` of an `fsync`ed file): a reader or a crash sees the
    /// old file or the complete new one. A missing file is created, as by
    /// [`store`](Self::store); a symbolic link at `path` is itself replaced, not followed.
    ///
    /// # Errors
    /// [`Error::KeyFileIo`] naming the step that failed (create, write, fsync, rename: EISDIR
    /// for a directory at `path`).
    ///
    /// ```
    /// use secrets_core::SecretBox;
    /// # let dir = std::env::temp_dir().join(format!("secrets-doc-replace-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("master.key");
    /// SecretBox::<[u8; 32]>::random()?.store(&path)?;
    /// // ... everything re-encrypted under the new key, then:
    /// let rotated = SecretBox::<[u8; 32]>::random()?;
    /// rotated.replace(&path)?;
    /// assert!(SecretBox::<[u8; 32]>::load(&path)? == rotated);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn replace(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        write_key_file(
            path.as_ref(),
            bytes::as_bytes(&*self.borrow()),
            Naming::Replace,
        )
    }
}

impl<T: Bytes, S: Storage> SecretVec<T, S> {
    /// Writes the values to a new file at `path`, mode 0400, atomically, never over an
    /// existing file (as [`SecretBox::store`]).
    ///
    /// # Errors
    /// [`Error::KeyFileExists`] if `path` is taken; [`Error::KeyFileIo`] naming the step that
    /// failed.
    ///
    /// ```
    /// use secrets_core::{Error, SecretVec};
    /// # let dir = std::env::temp_dir().join(format!("secrets-doc-vec-store-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("seed");
    /// SecretVec::<u8>::random(64)?.store(&path)?;
    /// let err = SecretVec::<u8>::random(64)?.store(&path).unwrap_err();
    /// assert!(matches!(err, Error::KeyFileExists { .. }));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn store(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        write_key_file(
            path.as_ref(),
            bytes::slice_as_bytes(&self.borrow()),
            Naming::CreateOnly,
        )
    }

    /// Writes the values to `path`, mode 0400, replacing the file there atomically (as
    /// [`SecretBox::replace`]; a missing file is created).
    ///
    /// # Errors
    /// [`Error::KeyFileIo`] naming the step that failed.
    ///
    /// ```
    /// use secrets_core::SecretVec;
    /// # let dir = std::env::temp_dir().join(format!("secrets-doc-vec-replace-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("seed");
    /// SecretVec::<u8>::random(64)?.store(&path)?;
    /// let next = SecretVec::<u8>::random(32)?;
    /// next.replace(&path)?;
    /// assert_eq!(SecretVec::<u8>::load(&path)?.len(), 32);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn replace(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        write_key_file(
            path.as_ref(),
            bytes::slice_as_bytes(&self.borrow()),
            Naming::Replace,
        )
    }
}
