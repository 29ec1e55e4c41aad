//! `CounterFile`: counted nonces for a key that outlives the process, from a file that reserves
//! them in blocks.
//!
//! # Why a file
//!
//! A counter repeats a nonce when two counters count under one key. A key that is stored,
//! loaded or derived comes back in the next run, in another process, on another thread's
//! copy; an in-memory counter cannot know what those used. So the count lives beside the key,
//! in a file that is the only counter of its key:
//!
//! * **reserved before use**: the file says "every nonce below R may have been used". Before
//!   nonce `n >= R` is handed out, `R` becomes `n + block`, is written with `pwrite(2)` and
//!   made durable with `fdatasync(2)`, and only then is `n` used. A crash (power loss,
//!   `kill -9`) at any point leaves a file whose `R` is above every nonce that was used: the
//!   next holder skips at most one block, never repeats;
//! * **locked**: `flock(2)` (`LOCK_EX | LOCK_NB`, through `File::try_lock`) on the open file,
//!   so a second holder, in another process or in this one, is refused while the first lives;
//!   the kernel drops the lock when the holder exits, however it exits;
//! * **bound to its key**: the file records the algorithm and an identity of the key (keyed
//!   BLAKE2b of a fixed domain: a public name for the key that reveals nothing of it), so one
//!   counter cannot serve two keys;
//! * **torn writes survive**: the reservation is kept in two slots, A and B, in separate 4 KiB
//!   blocks, each with a generation and a checksum. A new reservation goes to the slot that
//!   does not hold the latest, so the latest stays intact while the other is written; on open
//!   the valid slot with the highest reservation wins. A slot torn by a crash fails its
//!   checksum and the older one, whose reservation is still above every nonce used, is taken.
//!
//! The file's layout, its checksums and how the latest reservation is chosen are in
//! [`format`](mod@format) (`counter/format.rs`).
//!
//! What this guarantees and what it cannot detect (a file restored from a backup) is said
//! where users read it, in the doc of [`CounterFile`].
//!
//! # Cost
//!
//! `create`: `open`, `flock`, `pwrite` of the whole file, `fsync`, `link`, `unlink`, `fsync` of
//! the directory. `open`: `open`, `flock`, `read`. `seal`: two `mprotect`s (the key's page, as
//! for [`seal`](crate::seal)), and once per block one `pwrite` and one `fdatasync`; a
//! [`CounterBatch`] keeps the key open and saves the `mprotect`s.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read};
#[cfg(unix)]
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
#[cfg(windows)]
use std::os::windows::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

#[cfg(unix)]
use secrets_core::__private::effective_uid;
#[cfg(windows)]
use secrets_core::__private::windows_acl::{self, Forbidden, NotPrivate};
use secrets_core::Randomizable;

use crate::aead::Sealer;
use crate::algorithm::{sealed::Token, Algorithm, Key};
use crate::nonce::{UnusedNonce, UsedNonce};
use crate::Error;
use crate::{Aegis256Key, Aes256GcmKey, ChaCha20Poly1305IetfKey, XChaCha20Poly1305Key};

mod format;

use format::{name_field, new_file, parse, slot_bytes, Record, FILE_LEN, IDENTITY_DOMAIN, SLOT_AT};

/// The keys a [`CounterFile`] counts for: the four key types of this crate, which may be
/// stored, loaded or derived. Not a [`SessionKey`](crate::SessionKey): it counts its own nonces,
/// from 0, and a counter file beside it would count the same ones again.
///
/// ```compile_fail
/// use secrets_nonce::{ChaCha20Poly1305Ietf, CounterFile, SessionKey};
/// let key = SessionKey::<ChaCha20Poly1305Ietf>::generate()?;
/// let counter = CounterFile::create("key.counter", &key)?; // error: a SessionKey counts itself
/// # Ok::<(), secrets_nonce::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "a CounterFile counts for a key that is stored, loaded or derived, not for `{Self}`",
    label = "a SessionKey counts its own nonces: a CounterFile beside it would count the same \
             ones again",
    note = "seal with the SessionKey itself (`key.seal(aad, plaintext)`), or use a key type \
            such as `ChaCha20Poly1305IetfKey` with its CounterFile"
)]
pub trait CounterKey: Key {}

impl CounterKey for XChaCha20Poly1305Key {}
impl CounterKey for Aegis256Key {}
impl CounterKey for ChaCha20Poly1305IetfKey {}
impl CounterKey for Aes256GcmKey {}

/// Counted nonces for a key that is stored, loaded or derived: the count is kept in a file,
/// reserved a block at a time and made durable before any nonce of the block is used, locked
/// against every other holder, and bound to the key.
///
/// Nonce `n` is `n` as a big-endian number, as for a [`SessionKey`](crate::SessionKey); each
/// holder counts up from where the file says every earlier holder stopped. The file holds a
/// reservation R, "every nonce below R may have been used": before nonce `n >= R` is handed
/// out, `n + block` is written (`pwrite(2)`) and made durable (`fdatasync(2)`), so a crash at
/// any point leaves R above every nonce used. It is locked with `flock(2)` while held, records
/// the algorithm and a public identity of the key (keyed BLAKE2b), and keeps R in two
/// checksummed slots written in turn, so a torn write loses only the newer one. Its layout is
/// described in the source, `secrets-nonce/src/counter/format.rs`.
///
/// # What is guaranteed, and what cannot be
///
/// | event | outcome |
/// |---|---|
/// | crash or `kill -9` at any point; power loss, on a disk that honours flushes | restart skips at most one block; no nonce repeats |
/// | a second holder, in any process on this machine | [`Error::CounterInUse`] until the first exits |
/// | the counter of another key, or another algorithm | [`Error::CounterOfAnotherKey`] |
/// | a damaged file, both slots torn | [`Error::CounterCorrupt`]: replace the key |
/// | a torn newest slot | the older slot; nothing below it is issued |
/// | `fdatasync` fails (`EIO`, `ENOSPC`) | the seal fails, no nonce of the block is used, the counter seals no more |
/// | a child made by `fork` | cannot seal: the key's pages are not inherited (it panics, and the file is untouched) |
/// | a file others could write (writable by group or others, owned by another user, a symbolic link, not a regular file) | [`Error::CounterNotPrivate`]: whoever can write it can rewind it |
/// | **the file restored from a backup or snapshot** | **not detected**: the count goes back and nonces repeat |
/// | **the file copied, with the key, to a second machine** | **not detected**: two counters count the same nonces |
/// | **the file deleted, then created again for the same key** | **not detected**: the count starts at 0 |
///
/// On Windows the same holds with Windows' calls: the lock is `LockFileEx` (exclusive, not
/// waiting; Windows' locks are mandatory, so no other handle can read or write the file while
/// it is held), `pwrite` is `WriteFile` at an offset (`seek_write`), `fdatasync` is
/// `FlushFileBuffers`. `create` makes the file with a protected DACL that lets this user alone
/// in (owner: the user; nothing inherited from the directory), and `open` takes it only if it
/// is a file on a disk, not a reparse point (symbolic link, junction), owned by this user (or
/// SYSTEM or Administrators, as root), with a DACL that exists and lets no other SID write it,
/// delete it or change its DACL or owner. Windows has no `fsync` of a directory: after
/// `create` the name is as durable as NTFS's journal makes it (the file's bytes were flushed
/// before it was named). This is type-checked, not yet run, in this repository's CI.
///
/// A file cannot tell an old copy of itself from itself. Hence:
///
/// * for a key that lives long, is backed up, or is used on several machines, prefer random
///   nonces: [`XChaCha20Poly1305`](crate::XChaCha20Poly1305) or
///   [`Aegis256`](crate::Aegis256) (192- and 256-bit nonces, no state at all);
/// * never back up, snapshot, copy or sync a counter file on its own or together with its key;
///   back up the key alone, and if the key is ever restored from a backup (or the machine from
///   a snapshot), **replace the key**: make a new key with a new counter file, and keep the old
///   key only to open what it sealed;
/// * create the counter together with the key, never later: a key that has sealed before has no
///   record of what it used.
///
/// # Example
///
/// ```
/// use secrets_core::prelude::*;
/// use secrets_nonce::{open, ChaCha20Poly1305IetfKey, CounterFile};
/// # use std::os::unix::fs::DirBuilderExt;
/// # let dir = std::env::temp_dir().join(format!("counter-doc-{}-type", std::process::id()));
/// # std::fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
///
/// // First run: the key and its counter are made together, and both are kept.
/// let key = ChaCha20Poly1305IetfKey::random()?;
/// key.store(dir.join("items.key"))?;
/// let mut counter = CounterFile::create(dir.join("items.counter"), &key)?;
/// let (first, sealed) = counter.seal(b"item 1", b"pin 4921")?;
/// drop(counter);
///
/// // Any later run: the stored key and its counter, which goes on from where it stopped.
/// let key = ChaCha20Poly1305IetfKey::load(dir.join("items.key"))?;
/// let mut counter = CounterFile::open(dir.join("items.counter"), &key)?;
/// let (second, _) = counter.seal(b"item 2", b"pin 1234")?;
/// assert_ne!(first, second);
/// assert_eq!(&*open(&key, &first, b"item 1", &sealed)?.borrow(), b"pin 4921");
/// # drop(counter);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CounterFile<'k, K: CounterKey> {
    key: &'k K,
    file: File,
    path: PathBuf,
    /// The number of the next nonce to issue.
    next: u64,
    /// Every nonce below this is reserved in the file, durably.
    reserved: u64,
    /// How many nonces a reservation takes at a time.
    block: u64,
    /// The slot holding the latest reservation (0 for A, 1 for B), and its generation.
    slot: usize,
    generation: u64,
    /// Set when a reservation failed: the file's state is then unknown, and it seals no more.
    failed: Option<Error>,
}

impl<'k, K: CounterKey> CounterFile<'k, K> {
    /// Nonces reserved at a time unless [`with_block`](Self::with_block) says otherwise.
    pub const DEFAULT_BLOCK: u64 = 4096;

    /// Creates the counter file of a new `key` at `path` (mode 0600), counting from 0, and
    /// holds it. The file is written and synced under a temporary name in the same directory,
    /// then linked to `path`, which must not exist, and the directory is synced: `path` never
    /// shows a half-written counter.
    ///
    /// Create the counter together with the key, right after the key is made, and never
    /// later: a key that has sealed before has no record of the nonces it used. A crash during
    /// `create` may leave a `.NAME.new-PID-RANDOM` file beside `path`, never a partial counter
    /// at `path`; delete it.
    ///
    /// # Errors
    /// [`Error::CounterExists`] when something is already at `path`; [`Error::CounterIo`] when
    /// the directory cannot be written or synced (a file system without hard links, such as
    /// FAT, cannot hold a counter).
    ///
    /// # Panics
    /// In a child made by `fork` (the key's pages were not inherited).
    pub fn create(path: impl AsRef<Path>, key: &'k K) -> Result<Self, Error> {
        let path = path.as_ref();
        let identity = identity(key)?;
        let bytes = new_file::<K::Algorithm>(&identity)?;
        let temporary = temporary_name(path);
        let file = create_private(&temporary).map_err(|err| io_error(&temporary, "create", err))?;
        let made = write_new(&file, &temporary, &bytes).and_then(|()| {
            std::fs::hard_link(&temporary, path).map_err(|err| match err.kind() {
                io::ErrorKind::AlreadyExists => Error::CounterExists {
                    path: path.to_owned(),
                },
                _ => io_error(path, "link", err),
            })
        });
        // The temporary name goes whether or not the link was made.
        let removed = std::fs::remove_file(&temporary);
        made?;
        removed.map_err(|err| io_error(&temporary, "remove", err))?;
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        sync_directory(directory).map_err(|err| io_error(directory, "sync directory", err))?;
        Ok(CounterFile {
            key,
            file,
            path: path.to_owned(),
            next: 0,
            reserved: 0,
            block: Self::DEFAULT_BLOCK,
            slot: 0,
            generation: 1,
            failed: None,
        })
    }

    /// Opens and holds the counter file of `key` at `path`. The first nonce it issues is the
    /// reservation the file holds: above every nonce any earlier holder could have used.
    ///
    /// The file is locked with `flock(2)` until the `CounterFile` is dropped or the process
    /// ends: a second `open` of the same file, from another process or from this one, is
    /// refused meanwhile. The lock belongs to the open file, so every copy of its descriptor
    /// holds it: a child made by `fork` holds it until it exits or `exec`s (the file is opened
    /// close-on-exec). A program that starts child processes from other threads may see
    /// [`Error::CounterInUse`] for a moment when it closes its counter and opens it again:
    /// keep the counter open for the life of the process, or try again.
    ///
    /// # Errors
    /// [`Error::CounterMissing`] when there is no file (create one only together with a new
    /// key); [`Error::CounterInUse`] when another `CounterFile` holds it;
    /// [`Error::CounterOfAnotherKey`] when it counts for another key or algorithm;
    /// [`Error::CounterCorrupt`] when it is damaged (replace the key);
    /// [`Error::CounterNotPrivate`] when it is not a regular file of this process's user (or
    /// root) that only its owner may write, since whoever can write it can rewind it;
    /// [`Error::CounterIo`].
    ///
    /// ```
    /// use secrets_core::prelude::*;
    /// use secrets_nonce::{Aes256GcmKey, CounterFile, Error};
    /// # use std::os::unix::fs::DirBuilderExt;
    /// # let dir = std::env::temp_dir().join(format!("counter-doc-{}-open", std::process::id()));
    /// # std::fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
    ///
    /// let key = Aes256GcmKey::random()?;
    /// let path = dir.join("key.counter");
    /// assert!(matches!(CounterFile::open(&path, &key), Err(Error::CounterMissing { .. })));
    /// let held = CounterFile::create(&path, &key)?;
    /// assert!(matches!(CounterFile::open(&path, &key), Err(Error::CounterInUse { .. })));
    /// drop(held);
    /// let other = Aes256GcmKey::random()?;
    /// assert!(matches!(CounterFile::open(&path, &other), Err(Error::CounterOfAnotherKey { .. })));
    /// let counter = CounterFile::open(&path, &key)?;
    /// # drop(counter);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Panics
    /// In a child made by `fork` (the key's pages were not inherited).
    pub fn open(path: impl AsRef<Path>, key: &'k K) -> Result<Self, Error> {
        let path = path.as_ref();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            // A symbolic link is refused (ELOOP); a FIFO or device opens without waiting and
            // is refused by `check_private`. On Windows a reparse point is opened itself and
            // refused by `check_private`.
            .custom_flags(NO_FOLLOW)
            .open(path)
            .map_err(|err| match err.kind() {
                io::ErrorKind::NotFound => Error::CounterMissing {
                    path: path.to_owned(),
                },
                #[cfg(unix)]
                _ if err.raw_os_error() == Some(libc::ELOOP) => Error::CounterNotPrivate {
                    path: path.to_owned(),
                    reason: "it is a symbolic link",
                },
                _ => io_error(path, "open", err),
            })?;
        check_private(&file, path)?;
        lock(&file, path)?;
        let mut bytes = Vec::new();
        (&file)
            .take(FILE_LEN + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| io_error(path, "read", err))?;
        let parsed = parse(&bytes).map_err(|reason| Error::CounterCorrupt {
            path: path.to_owned(),
            reason,
        })?;
        if parsed.algorithm != name_field::<K::Algorithm>() || parsed.identity != identity(key)? {
            return Err(Error::CounterOfAnotherKey {
                path: path.to_owned(),
            });
        }
        Ok(CounterFile {
            key,
            file,
            path: path.to_owned(),
            next: parsed.latest.reservation,
            reserved: parsed.latest.reservation,
            block: Self::DEFAULT_BLOCK,
            slot: parsed.slot,
            generation: parsed.latest.generation,
            failed: None,
        })
    }

    /// Reserves `block` nonces at a time (at least 1; the default is
    /// [`DEFAULT_BLOCK`](Self::DEFAULT_BLOCK)).
    ///
    /// The trade-off: each reservation costs a `pwrite` and an `fdatasync` (a disk flush:
    /// from tens of microseconds on an NVMe drive to milliseconds on others), once per block;
    /// and a crash, or simply closing the counter, skips what is left of the block, at most
    /// `block` nonces of the 2^64. With the default, a process that seals one message and
    /// exits uses up 4,096 nonces: 2^52 such runs before the count runs out.
    pub fn with_block(mut self, block: u64) -> Self {
        self.block = block.max(1);
        self
    }

    /// How many more nonces the counter may issue: the last is `2^64 - 2`.
    pub fn remaining(&self) -> u64 {
        u64::MAX - self.next
    }

    /// The reservation the file holds: every nonce below it may have been used, by this
    /// holder or an earlier one, and the next holder starts there.
    pub fn reserved(&self) -> u64 {
        self.reserved
    }

    /// The counter file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Seals `plaintext` (and authenticates `aad`) with the key under the next nonce of the
    /// counter; when the nonce is the first of a new block, the block is reserved in the file
    /// and synced first. Returns the nonce, to store beside the ciphertext for
    /// [`open`](crate::open), and the ciphertext with its tag.
    ///
    /// # Errors
    /// [`Error::CounterIo`] when the reservation cannot be written or synced: no nonce of the
    /// block is used, and this `CounterFile` returns the same error from then on (open the file
    /// again once the cause is fixed); [`Error::Exhausted`] after nonce `2^64 - 2` (replace the
    /// key); otherwise as for [`seal`](crate::seal). A nonce taken by a call that then fails is
    /// not offered again.
    ///
    /// # Panics
    /// In a child made by `fork`: the key's pages were not inherited (the message says so). The
    /// panic comes before the counter moves, so the file is left as the parent holds it.
    pub fn seal(
        &mut self,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<(UsedNonce<K::Algorithm>, Vec<u8>), Error> {
        // The key first: in a forked child this panics before the file is touched.
        let sealer = Sealer::new(self.key);
        let nonce = self.next_nonce()?;
        sealer.seal(nonce, aad, plaintext)
    }

    /// Opens the key for a batch of messages: [`CounterBatch::seal`] costs no `mprotect`,
    /// where [`seal`](Self::seal) opens and closes the key's page every time.
    ///
    /// ```
    /// use secrets_core::prelude::*;
    /// use secrets_nonce::{ChaCha20Poly1305IetfKey, CounterFile};
    /// # use std::os::unix::fs::DirBuilderExt;
    /// # let dir = std::env::temp_dir().join(format!("counter-doc-{}-batch", std::process::id()));
    /// # std::fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
    ///
    /// let key = ChaCha20Poly1305IetfKey::random()?;
    /// let mut counter = CounterFile::create(dir.join("key.counter"), &key)?.with_block(100);
    /// let mut batch = counter.batch();
    /// let sealed: Vec<_> = (0..250u32)
    ///     .map(|i| batch.seal(b"", &i.to_be_bytes()))
    ///     .collect::<Result<_, _>>()?;
    /// drop(batch);
    /// assert_eq!(sealed.len(), 250);
    /// assert_eq!(counter.reserved(), 300); // three blocks of 100
    /// # drop(counter);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), secrets_nonce::Error>(())
    /// ```
    ///
    /// # Panics
    /// In a child made by `fork` (the key's pages were not inherited).
    pub fn batch(&mut self) -> CounterBatch<'_, 'k, K> {
        CounterBatch {
            sealer: Sealer::new(self.key),
            counter: self,
        }
    }

    /// The next nonce, reserving a new block first if it is not yet reserved.
    fn next_nonce(&mut self) -> Result<UnusedNonce<K::Algorithm>, Error> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let nonce = self.next;
        let after = nonce
            .checked_add(1)
            .ok_or(Error::Exhausted { issued: nonce })?;
        if nonce >= self.reserved {
            self.reserve(nonce).inspect_err(|err| {
                self.failed = Some(err.clone());
            })?;
        }
        self.next = after;
        Ok(UnusedNonce::counted(nonce))
    }

    /// Makes the file say that every nonce below `nonce + block` may have been used, durably,
    /// in the slot that does not hold the latest reservation.
    fn reserve(&mut self, nonce: u64) -> Result<(), Error> {
        let reservation = nonce.saturating_add(self.block);
        let record = Record {
            generation: self
                .generation
                .checked_add(1)
                .ok_or(Error::Exhausted { issued: nonce })?,
            reservation,
        };
        let slot = 1 - self.slot;
        let bytes = slot_bytes(slot, record)?;
        write_all_at(&self.file, &bytes, SLOT_AT[slot])
            .map_err(|err| io_error(&self.path, "write", err))?;
        // The file's length never changes, so `fdatasync` is enough to make the slot durable.
        self.file
            .sync_data()
            .map_err(|err| io_error(&self.path, "sync", err))?;
        self.slot = slot;
        self.generation = record.generation;
        self.reserved = reservation;
        Ok(())
    }
}

impl<K: CounterKey> fmt::Debug for CounterFile<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CounterFile")
            .field("path", &self.path)
            .field("algorithm", &K::Algorithm::NAME)
            .field("next", &self.next)
            .field("reserved", &self.reserved)
            .field("block", &self.block)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// A [`CounterFile`] with its key open for a batch of messages, from
/// [`CounterFile::batch`]. While it lives, the key's guarded page is readable (as for a
/// [`Sealer`]): keep it for the span of a batch.
pub struct CounterBatch<'c, 'k, K: CounterKey> {
    counter: &'c mut CounterFile<'k, K>,
    sealer: Sealer<'k, K>,
}

impl<K: CounterKey> CounterBatch<'_, '_, K> {
    /// [`CounterFile::seal`] with the open key.
    ///
    /// # Errors
    /// As for [`CounterFile::seal`].
    pub fn seal(
        &mut self,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<(UsedNonce<K::Algorithm>, Vec<u8>), Error> {
        let nonce = self.counter.next_nonce()?;
        self.sealer.seal(nonce, aad, plaintext)
    }
}

impl<K: CounterKey> fmt::Debug for CounterBatch<'_, '_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CounterBatch")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// The flags that open a counter file without following a symbolic link (and without waiting
/// on a FIFO, and without making a terminal the controlling one): `O_NOFOLLOW | O_NONBLOCK |
/// O_NOCTTY`; on Windows `FILE_FLAG_OPEN_REPARSE_POINT`, so that a reparse point is opened
/// itself and refused by `check_private` (Windows has no controlling terminal, and opening a
/// pipe does not wait).
#[cfg(unix)]
const NO_FOLLOW: i32 = libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY;
#[cfg(windows)]
const NO_FOLLOW: u32 = windows_acl::OPEN_REPARSE_POINT;

/// A new file at `path` for reading and writing, mode 0600.
#[cfg(unix)]
fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// A new file at `path` for reading and writing, created with a protected DACL that lets the
/// current user alone in (owner: the user), never open to others for a moment.
#[cfg(windows)]
fn create_private(path: &Path) -> io::Result<File> {
    windows_acl::create_new_private(path).map_err(io::Error::from_raw_os_error)
}

/// Makes the new name durable: `fsync(2)` of the directory.
#[cfg(unix)]
fn sync_directory(directory: &Path) -> io::Result<()> {
    File::open(directory).and_then(|dir| dir.sync_all())
}

/// Windows has no `fsync` of a directory: the file was flushed (`FlushFileBuffers`) before it
/// was named, and NTFS journals the naming (a documented limit: a crash right after `create`
/// may lose the name, never leave a partial counter under it).
#[cfg(windows)]
fn sync_directory(_directory: &Path) -> io::Result<()> {
    Ok(())
}

/// Writes all of `bytes` at `offset` (`pwrite(2)`; on Windows `WriteFile` at an offset,
/// `seek_write`, continued after a short write).
#[cfg(unix)]
fn write_all_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    file.write_all_at(bytes, offset)
}

/// Writes all of `bytes` at `offset` (`pwrite(2)`; on Windows `WriteFile` at an offset,
/// `seek_write`, continued after a short write).
#[cfg(windows)]
fn write_all_at(file: &File, mut bytes: &[u8], mut offset: u64) -> io::Result<()> {
    while !bytes.is_empty() {
        match file.seek_write(bytes, offset) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                bytes = bytes.get(n..).unwrap_or_default();
                offset = u64::try_from(n)
                    .ok()
                    .and_then(|n| offset.checked_add(n))
                    .ok_or(io::ErrorKind::InvalidInput)?;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Refuses a counter file that someone other than this process's user could rewrite (and so
/// rewind), in Windows' terms: it must be a file on a disk, not a reparse point, owned by the
/// user (or SYSTEM or Administrators, as root on POSIX), with a DACL none of whose entries
/// that apply to it lets another SID write it, delete it or change its DACL or owner
/// (`FILE_WRITE_DATA`, `FILE_APPEND_DATA`, `DELETE`, `WRITE_DAC`, `WRITE_OWNER`,
/// `GENERIC_WRITE`, `GENERIC_ALL`); a file with no DACL at all lets everyone write it.
/// Reading it reveals nothing (the key's identity is a keyed hash).
#[cfg(windows)]
fn check_private(file: &File, path: &Path) -> Result<(), Error> {
    let reason = match windows_acl::check_private(file, Forbidden::WriteAccess) {
        Ok(()) => return Ok(()),
        Err(NotPrivate::NotRegular) => "it is not a regular file",
        Err(NotPrivate::ReparsePoint) => "it is a symbolic link or another reparse point",
        Err(NotPrivate::Owner { .. }) => "it is owned by another user",
        Err(NotPrivate::NoDacl) => "it has no DACL, so everyone may write it",
        Err(NotPrivate::Grants { .. }) => "its DACL lets another user write it",
        Err(NotPrivate::UnreadableEntry { .. }) => {
            "its DACL has an allow entry of a kind that is not checked"
        }
        Err(NotPrivate::Failed { call, code }) => {
            return Err(io_error(path, call, io::Error::from_raw_os_error(code)))
        }
    };
    Err(Error::CounterNotPrivate {
        path: path.to_owned(),
        reason,
    })
}

/// Refuses a counter file that someone other than this process's user could rewrite (and so
/// rewind): it must be a regular file, owned by the effective user (or root), and writable by
/// no one else. Reading it reveals nothing (the key's identity is a keyed hash).
#[cfg(unix)]
fn check_private(file: &File, path: &Path) -> Result<(), Error> {
    let meta = file.metadata().map_err(|err| io_error(path, "stat", err))?;
    let reason = if !meta.file_type().is_file() {
        "it is not a regular file"
    } else if meta.uid() != effective_uid() && meta.uid() != 0 {
        "it is owned by another user"
    } else if meta.mode() & 0o022 != 0 {
        "its group or other users may write it"
    } else {
        return Ok(());
    };
    Err(Error::CounterNotPrivate {
        path: path.to_owned(),
        reason,
    })
}

/// Locks `file` for this holder alone, without waiting (`File::try_lock`: `flock(2)` on Linux,
/// stable since Rust 1.89, the workspace's `rust-version`).
fn lock(file: &File, path: &Path) -> Result<(), Error> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(Error::CounterInUse {
            path: path.to_owned(),
        }),
        Err(TryLockError::Error(err)) => Err(io_error(path, "lock", err)),
    }
}

/// Locks the new file and writes and syncs all of it (`fsync`: its length is new too).
fn write_new(file: &File, path: &Path, bytes: &[u8]) -> Result<(), Error> {
    // The umask can only have taken bits away; set the mode exactly. (On Windows the DACL was
    // given at creation.)
    #[cfg(unix)]
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|err| io_error(path, "chmod", err))?;
    lock(file, path)?;
    write_all_at(file, bytes, 0).map_err(|err| io_error(path, "write", err))?;
    file.sync_all().map_err(|err| io_error(path, "sync", err))
}

/// `.NAME.new-PID-RANDOM` beside `path`: the counter before it is complete.
fn temporary_name(path: &Path) -> PathBuf {
    let mut tag = [0u8; 8];
    tag.randomize();
    let name = path.file_name().map_or_else(
        || "counter".into(),
        |name| name.to_string_lossy().into_owned(),
    );
    path.with_file_name(format!(
        ".{name}.new-{}-{:016x}",
        std::process::id(),
        u64::from_be_bytes(tag)
    ))
}

fn io_error(path: &Path, operation: &'static str, err: io::Error) -> Error {
    Error::CounterIo {
        path: path.to_owned(),
        operation,
        kind: err.kind(),
        errno: err.raw_os_error(),
    }
}

/// The key's public name in a counter file of algorithm `K::Algorithm`.
fn identity<K: Key>(key: &K) -> Result<[u8; 32], Error> {
    let name = K::Algorithm::NAME.as_bytes();
    let mut domain = Vec::with_capacity(IDENTITY_DOMAIN.len() + name.len());
    domain.extend_from_slice(IDENTITY_DOMAIN);
    domain.extend_from_slice(name);
    let bytes = key.key_bytes(Token(()));
    secrets_core::__private::aead::key_identity(&bytes[..], &domain).map_err(|_| {
        Error::Unavailable {
            algorithm: "BLAKE2b",
        }
    })
}

#[cfg(test)]
mod tests {
    use super::format::{record, with_slot};
    use super::*;

    /// A directory of the test's own (mode 0700), removed with its contents on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(label: &str) -> Scratch {
            #[cfg(unix)]
            use std::os::unix::fs::DirBuilderExt;
            let mut tag = [0u8; 8];
            tag.randomize();
            let path = std::env::temp_dir().join(format!(
                "secrets-nonce-{label}-{}-{:016x}",
                std::process::id(),
                u64::from_ne_bytes(tag)
            ));
            #[cfg_attr(not(unix), expect(unused_mut, reason = "a mode is set on POSIX only"))]
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            builder.mode(0o700);
            builder.create(&path).unwrap();
            Scratch(path)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_last_nonce_is_two_to_the_64_minus_2_then_exhausted() {
        use secrets_core::prelude::*;
        let dir = Scratch::new("exhausted");
        let path = dir.0.join("counter");
        let key = crate::ChaCha20Poly1305IetfKey::random().unwrap();
        drop(CounterFile::create(&path, &key).unwrap());
        let bytes = with_slot(std::fs::read(&path).unwrap(), 1, record(2, u64::MAX - 2));
        std::fs::write(&path, bytes).unwrap();
        let mut counter = CounterFile::open(&path, &key).unwrap();
        assert_eq!(counter.remaining(), 2);
        let (first, _) = counter.seal(b"", b"").unwrap();
        assert_eq!(first.as_bytes()[4..], (u64::MAX - 2).to_be_bytes());
        assert_eq!(counter.reserved(), u64::MAX, "the reservation saturates");
        let (last, _) = counter.seal(b"", b"").unwrap();
        assert_eq!(last.as_bytes()[4..], (u64::MAX - 1).to_be_bytes());
        assert_eq!(counter.remaining(), 0);
        let exhausted = Error::Exhausted { issued: u64::MAX };
        assert_eq!(counter.seal(b"", b"").unwrap_err(), exhausted);
        assert_eq!(counter.batch().seal(b"", b"").unwrap_err(), exhausted);
        drop(counter);
        // And the file says so to the next holder.
        let mut counter = CounterFile::open(&path, &key).unwrap();
        assert_eq!(counter.remaining(), 0);
        assert_eq!(counter.seal(b"", b"").unwrap_err(), exhausted);
    }

    #[test]
    fn each_counter_error_says_what_happened_and_what_to_do() {
        let path = PathBuf::from("/var/lib/app/items.counter");
        let cases = [
            (
                Error::CounterIo {
                    path: path.clone(),
                    operation: "sync",
                    kind: io::ErrorKind::Other,
                    errno: Some(5),
                },
                &[
                    "/var/lib/app/items.counter",
                    "sync failed",
                    "errno 5",
                    "no nonce was issued",
                    "open the counter file again",
                ][..],
            ),
            (
                Error::CounterInUse { path: path.clone() },
                &["items.counter is locked", "one holder at a time"][..],
            ),
            (
                Error::CounterOfAnotherKey { path: path.clone() },
                &["another key", "another algorithm", "its own counter file"][..],
            ),
            (
                Error::CounterCorrupt {
                    path: path.clone(),
                    reason: "neither reservation slot is valid",
                },
                &[
                    "is damaged (neither reservation slot is valid)",
                    "do not repair or recreate",
                    "replace the key",
                ][..],
            ),
            (
                Error::CounterNotPrivate {
                    path: path.clone(),
                    reason: "its group or other users may write it",
                },
                &[
                    "items.counter is refused because its group or other users may write it",
                    "can set it back",
                    "mode 0600",
                    "replace the key",
                ][..],
            ),
            (
                Error::CounterExists { path: path.clone() },
                &[
                    "already exists at /var/lib/app/items.counter",
                    "CounterFile::open",
                    "never get a second",
                ][..],
            ),
            (
                Error::CounterMissing { path: path.clone() },
                &[
                    "no counter file at /var/lib/app/items.counter",
                    "only together with a new key",
                    "replace the key",
                ][..],
            ),
        ];
        for (error, parts) in cases {
            let text = error.to_string();
            for part in parts {
                assert!(text.contains(part), "{text:?} lacks {part:?}");
            }
        }
        let without_errno = Error::CounterIo {
            path,
            operation: "lock",
            kind: io::ErrorKind::Unsupported,
            errno: None,
        };
        assert!(!without_errno.to_string().contains("errno"));
    }

    #[test]
    fn the_temporary_name_is_a_hidden_sibling() {
        let name = temporary_name(Path::new("/var/lib/app/items.counter"));
        assert_eq!(name.parent(), Some(Path::new("/var/lib/app")));
        let file = name.file_name().unwrap().to_str().unwrap();
        assert!(file.starts_with(".items.counter.new-"), "{file}");
        assert_ne!(
            name,
            temporary_name(Path::new("/var/lib/app/items.counter"))
        );
    }
}
