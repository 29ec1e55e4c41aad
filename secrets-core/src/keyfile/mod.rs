//! Key files: read with `read(2)` straight into guarded memory, written atomically with mode
//! 0400, created only where no file is (`store`) or replacing one on request (`replace`).
//!
//! Loading opens with `O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY` (a symbolic link is
//! refused, a FIFO does not block, and a terminal given as the path does not become the
//! controlling terminal of a process that has none, as a daemon), checks on the open
//! descriptor (`fstat`, so the file checked is the file read) that it is a regular file,
//! owned by this process's effective user or by root, that neither group nor others may read
//! or write (like ssh), and that its length is the key's (for a vector: at least
//! [`SecretVec::MIN_KEY_FILE_LEN`] bytes), then reads into the key's guarded pages while they
//! are open for initialisation. There is no `BufReader`, no `Vec`, no copy in between.
//!
//! Writing comes in two operations, because losing a key file loses everything it protects:
//!
//! * `store` creates a key file and never replaces one. It writes a new temporary file (mode
//!   0400, `O_EXCL`) in the same directory, `fsync`s it, gives it the final name with `link(2)`
//!   (`linkat` without `AT_SYMLINK_FOLLOW`), which fails with `EEXIST` if anything, a dangling
//!   symbolic link included, already has that name, then unlinks the temporary name and
//!   `fsync`s the directory. The check and the naming are one system call, so no other process
//!   can slip a file in between. An existing file is left byte for byte as it was and the
//!   error is [`Error::KeyFileExists`].
//! * `replace` is the explicit overwrite: the same temporary file, `rename(2)`d over the target
//!   (a missing target is created), then the directory `fsync`ed. The old key is gone when it
//!   returns; a reader sees the old file or the new one, never a mixture.
//!
//! Either way a crash leaves the old state or the complete new file, never part of a key; on
//! any failure the temporary file is removed (a crash after it is made and before its name is
//! removed leaves it, mode 0400, named `.NAME.PID.RANDOM.tmp`). System calls: `open`, `write`,
//! `fsync`, `link` + `unlink` (store) or `rename` (replace), `open` + `fsync` of the directory.
//! A file system without hard links (FAT, some network and FUSE file systems) refuses `store`
//! with [`Error::KeyFileIo`] naming `link`; `replace` works there, when replacing is intended.
//!
//! # Windows
//!
//! The same operations and guarantees, in Windows' terms (the calls are in `sys/windows/acl.rs`;
//! this is type-checked, not yet run, in this repository's CI):
//!
//! * **loading** opens with `FILE_FLAG_OPEN_REPARSE_POINT`, so a symbolic link, junction,
//!   mount point or cloud placeholder is opened itself and refused ([`Error::KeyFileIo`] with
//!   `ERROR_REPARSE_POINT_ENCOUNTERED`, as ELOOP on POSIX); then, on the open handle, refuses
//!   anything that is not a file on a disk (`GetFileType` is `FILE_TYPE_DISK`; a directory
//!   does not open at all) with [`Error::KeyFileNotRegular`], and with
//!   [`Error::KeyFileNotPrivate`] a file whose owner is not this process's user, SYSTEM or
//!   Administrators, that has no DACL (everyone may open it), or whose DACL has an entry that
//!   applies to the file (not inherit-only) and allows any access to any other SID (deny
//!   entries are fine; an allow entry of a kind the check does not read, object or callback,
//!   is refused). SYSTEM and Administrators are accepted as root is on POSIX: they can take
//!   any file whatever its DACL says, and Windows gives them full control in every profile.
//!   Windows has no controlling terminal and opening a named pipe does not wait, so
//!   `O_NOCTTY` and `O_NONBLOCK` have no counterpart to set.
//! * **writing** creates the temporary file with `CreateFileW(CREATE_NEW)` and a security
//!   descriptor made for it (owner: the user; a protected DACL, nothing inherited from the
//!   directory, with one entry: full control for the user), so it is never open to anyone
//!   else, not even for a moment. `store` names it with `CreateHardLinkW` (std's
//!   `hard_link`), which fails with `ERROR_ALREADY_EXISTS` if anything has the name, a
//!   symbolic link included, and never replaces it: the create-only guarantee holds, on NTFS
//!   (FAT and exFAT have no hard links: [`Error::KeyFileIo`] naming `link`, as on POSIX).
//!   `replace` is std's `rename`, `MoveFileExW(MOVEFILE_REPLACE_EXISTING)` (falling back to
//!   `FileRenameInfoEx` with POSIX semantics): on one NTFS volume a single rename that
//!   replaces the target, which readers see whole or not at all; Microsoft does not document
//!   it as atomic across a crash. It fails ([`Error::KeyFileIo`] naming `rename`) while
//!   another process has the old file open without `FILE_SHARE_DELETE`.
//! * **documented limits**: Windows has no `fsync` of a directory, so the new name is not
//!   flushed (the file's bytes are, with `FlushFileBuffers`, before it is named; NTFS logs the
//!   naming in its journal, and a crash right after may lose the name but never leaves part
//!   of a key under it). A path longer than `MAX_PATH` (260 characters) needs the `\\?\`
//!   prefix (or a process that opted in to long paths) for the temporary file's creation.

mod write;

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
#[cfg(unix)]
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::bytes::{self, Bytes};
use crate::storage::{Dedicated, Storage};
use crate::sys::code;
#[cfg(unix)]
use crate::sys::process;
use crate::{Error, SecretBox, SecretVec};

fn io_error(path: &Path, operation: &'static str, err: &std::io::Error) -> Error {
    Error::KeyFileIo {
        path: path.to_owned(),
        operation,
        errno: err.raw_os_error().unwrap_or(code::EIO),
    }
}

/// Opens a key file for reading and checks it (on Windows: its owner and DACL, see the module
/// docs); returns it with its length.
#[cfg(windows)]
fn open_checked(path: &Path) -> Result<(File, u64), Error> {
    use crate::sys::acl::{self, Forbidden, NotPrivate};
    use std::os::windows::fs::OpenOptionsExt;

    let file = OpenOptions::new()
        .read(true)
        .custom_flags(acl::OPEN_REPARSE_POINT)
        .open(path)
        .map_err(|err| io_error(path, "open", &err))?;
    let not_private = |reason, sid| Error::KeyFileNotPrivate {
        path: path.to_owned(),
        reason,
        sid,
    };
    acl::check_private(&file, Forbidden::AnyAccess).map_err(|refusal| match refusal {
        NotPrivate::NotRegular => Error::KeyFileNotRegular {
            path: path.to_owned(),
        },
        NotPrivate::ReparsePoint => Error::KeyFileIo {
            path: path.to_owned(),
            operation: "open",
            errno: code::ELOOP,
        },
        NotPrivate::Owner { sid } => not_private("it is owned by", Some(sid)),
        NotPrivate::NoDacl => not_private("it has no DACL, so everyone may open it", None),
        NotPrivate::Grants { sid } => not_private("its DACL grants access to", Some(sid)),
        NotPrivate::UnreadableEntry { .. } => not_private(
            "its DACL has an allow entry of a kind that is not checked (an object or callback \
             entry)",
            None,
        ),
        NotPrivate::Failed { call, code } => Error::KeyFileIo {
            path: path.to_owned(),
            operation: call,
            errno: code,
        },
    })?;
    let meta = file
        .metadata()
        .map_err(|err| io_error(path, "stat", &err))?;
    Ok((file, meta.len()))
}

/// Opens a key file for reading and checks it; returns it with its length.
#[cfg(unix)]
fn open_checked(path: &Path) -> Result<(File, u64), Error> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|err| io_error(path, "open", &err))?;
    let meta = file
        .metadata()
        .map_err(|err| io_error(path, "stat", &err))?;
    if !meta.file_type().is_file() {
        return Err(Error::KeyFileNotRegular {
            path: path.to_owned(),
        });
    }
    let effective_uid = process::effective_uid();
    if meta.uid() != effective_uid && meta.uid() != 0 {
        return Err(Error::KeyFileOwner {
            path: path.to_owned(),
            owner: meta.uid(),
            effective_uid,
        });
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(Error::KeyFileMode {
            path: path.to_owned(),
            mode,
        });
    }
    Ok((file, meta.len()))
}

/// Fills `out` from `file` with `read(2)` calls straight into it.
fn read_exactly(file: &mut File, path: &Path, out: &mut [u8]) -> Result<(), Error> {
    let mut filled = 0;
    while filled < out.len() {
        match file.read(&mut out[filled..]) {
            Ok(0) => {
                return Err(Error::KeyFileLength {
                    path: path.to_owned(),
                    expected: out.len(),
                    found: filled as u64,
                })
            }
            Ok(n) => filled += n,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => return Err(io_error(path, "read", &err)),
        }
    }
    Ok(())
}

impl<T: Bytes> SecretBox<T> {
    /// Loads a key from `path`: a regular file, not a symbolic link, owned by this process's
    /// effective user or by root, that only its owner may read or write (mode 0400 or 0600),
    /// exactly `size_of::<T>()` bytes long. The bytes go from `read(2)` straight into the
    /// guarded page.
    ///
    /// On Windows the same checks are made in Windows' terms, on the open handle: not a
    /// reparse point (a symbolic link, a junction), a file on a disk, owned by this process's
    /// user (or SYSTEM or Administrators, as root), and a DACL that allows no access at all to
    /// any other SID (and is not missing); see [`Error::KeyFileNotPrivate`].
    ///
    /// # Errors
    /// [`Error::KeyFileMode`] (with the mode, and `chmod 0400` as the fix),
    /// [`Error::KeyFileOwner`] (the owner and the uid expected),
    /// [`Error::KeyFileLength`] (expected vs found), [`Error::KeyFileNotRegular`] (a
    /// directory, a FIFO, a device or terminal, which is not made the controlling terminal),
    /// [`Error::KeyFileIo`] (missing file, symbolic link: ELOOP, read errors), or an
    /// allocation error; on Windows [`Error::KeyFileNotPrivate`] instead of the mode and owner
    /// errors, and `ERROR_REPARSE_POINT_ENCOUNTERED` for a reparse point. On every error the guarded page is zeroed and released.
    ///
    /// ```
    /// use secrets_core::SecretBox;
    /// # let dir = std::env::temp_dir().join(format!("secrets-doc-load-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("master.key");
    /// SecretBox::<[u8; 32]>::random()?.store(&path)?;
    /// let key = SecretBox::<[u8; 32]>::load(&path)?;
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # let _ = key;
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::load_in(Dedicated, path)
    }
}

impl<T: Bytes, S: Storage> SecretBox<T, S> {
    /// Like [`load`](SecretBox::load), into the storage `storage`.
    ///
    /// # Errors
    /// As for [`load`](SecretBox::load).
    pub fn load_in(storage: S, path: impl AsRef<Path>) -> Result<Self, Error> {
        let _ = storage;
        Self::load_in_domain::<T>(path)
    }

    /// Like [`load_in`](Self::load_in), placing the key among the secrets of domain `D`.
    #[doc(hidden)]
    pub fn load_in_domain<D: ?Sized + 'static>(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let (mut file, len) = open_checked(path)?;
        let expected = std::mem::size_of::<T>();
        if len != expected as u64 {
            return Err(Error::KeyFileLength {
                path: path.to_owned(),
                expected,
                found: len,
            });
        }
        Self::try_new_in_domain::<D, Error>(|value: &mut T| {
            read_exactly(&mut file, path, bytes::as_bytes_mut(value))
        })
    }
}

impl<T: Bytes> SecretVec<T> {
    /// The least a key file loaded with [`SecretVec::load`] may hold: 16 bytes, 128 bits, the
    /// shortest symmetric key in use anywhere. A shorter file (above all an empty one, the
    /// result of a `touch`, a `> key` redirect or a write that never happened) is not a key,
    /// and loading it as a 0- or 3-byte key would let the program run with no secret at all.
    /// A fixed-size key shorter than this loads with [`SecretBox::load`], whose length is
    /// exact.
    pub const MIN_KEY_FILE_LEN: usize = 16;

    /// Loads a key of any length from `path`, under the same checks as
    /// [`SecretBox::load`]; the file's length must be a whole number of `T`s, and at least
    /// [`MIN_KEY_FILE_LEN`](Self::MIN_KEY_FILE_LEN) bytes.
    ///
    /// # Errors
    /// As for [`SecretBox::load`], with [`Error::LengthNotMultiple`] for a partial element and
    /// [`Error::KeyFileTooShort`] for a file shorter than 16 bytes (an empty one included).
    ///
    /// ```
    /// use secrets_core::{Error, SecretVec};
    /// # use std::os::unix::fs::PermissionsExt;
    /// # let dir = std::env::temp_dir().join(format!("secrets-doc-vec-load-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("seed");
    /// SecretVec::<u8>::random(64)?.store(&path)?;
    /// assert_eq!(SecretVec::<u8>::load(&path)?.len(), 64);
    ///
    /// let empty = dir.join("empty");
    /// std::fs::write(&empty, b"").unwrap();
    /// # std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o400)).unwrap();
    /// assert!(matches!(
    ///     SecretVec::<u8>::load(&empty),
    ///     Err(Error::KeyFileTooShort { minimum: 16, found: 0, .. })
    /// ));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::load_in(Dedicated, path)
    }
}

impl<T: Bytes, S: Storage> SecretVec<T, S> {
    /// Like [`load`](SecretVec::load), into the storage `storage`.
    ///
    /// # Errors
    /// As for [`load`](SecretVec::load).
    pub fn load_in(storage: S, path: impl AsRef<Path>) -> Result<Self, Error> {
        let _ = storage;
        Self::load_in_domain::<T>(path)
    }

    /// Like [`load_in`](Self::load_in), placing the key among the secrets of domain `D`.
    #[doc(hidden)]
    pub fn load_in_domain<D: ?Sized + 'static>(path: impl AsRef<Path>) -> Result<Self, Error> {
        let minimum = SecretVec::<T>::MIN_KEY_FILE_LEN;
        let path = path.as_ref();
        let (mut file, file_len) = open_checked(path)?;
        let size = std::mem::size_of::<T>();
        let len = usize::try_from(file_len).map_err(|_| Error::KeyFileLength {
            path: path.to_owned(),
            expected: usize::MAX,
            found: file_len,
        })?;
        if size == 0 || len % size != 0 {
            return Err(Error::LengthNotMultiple {
                element_size: size,
                found: len,
            });
        }
        if len < minimum {
            return Err(Error::KeyFileTooShort {
                path: path.to_owned(),
                minimum,
                found: file_len,
            });
        }
        Self::try_new_in_domain::<D, Error>(len / size, |values: &mut [T]| {
            read_exactly(&mut file, path, bytes::slice_as_bytes_mut(values))
        })
    }
}
