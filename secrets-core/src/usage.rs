//! [`usage`]: what this process holds in guarded memory, and how much the lock limit leaves.

use std::fmt;

use crate::heap::{dedicated, pool, spare};
use crate::sys::mem;
use crate::{active_backend, Backend};

/// What this process holds in guarded memory, by storage, and the lock limit it runs under:
/// a service can check at start-up that what it will hold fits (as OpenSSL's
/// `CRYPTO_secure_used` or Node's `secureHeapUsed` let it), and log it.
///
/// Made by [`usage`]. Every count is this process's own: a child made by `fork` starts from
/// nothing (it inherits none of the guarded pages). Locked bytes are what this crate locked:
/// the regions of dedicated secrets (whole pages of canary and data; guard pages are never
/// locked), the pool's chunks, and regions kept for reuse. A stack [`Secret`](struct@crate::Secret)
/// locks its pages only while its closure runs and is not counted.
///
/// ```
/// use secrets_core::prelude::*;
/// use secrets_core::{usage, Pooled, SecretBox};
///
/// let before = usage();
/// let key = SecretBox::<[u8; 32]>::random()?;
/// let token = SecretBox::<[u8; 32], Pooled>::random_in(Pooled)?;
/// let now = usage();
/// assert_eq!(now.dedicated, before.dedicated + 1);
/// assert_eq!(now.pooled, before.pooled + 1);
/// assert!(now.locked >= before.locked + 4096); // at least the key's page
/// println!("{now}"); // a short report, one line per storage and one for the limit
/// # drop((key, token));
/// # Ok::<(), secrets_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Usage {
    /// Where guarded pages come from.
    pub backend: Backend,
    /// Live dedicated regions: each secret in [`Dedicated`](crate::Dedicated) storage, each
    /// pooled or sealed value too long to share pages (placed on pages of its own), and the
    /// one key page of sealed storage once it exists.
    pub dedicated: usize,
    /// Bytes locked by those regions.
    pub dedicated_locked: usize,
    /// Live values in [`Pooled`](crate::Pooled) storage's shared pages.
    pub pooled: usize,
    /// Live values in [`Sealed`](crate::Sealed) storage (ciphertext in ordinary memory: they
    /// lock nothing of their own).
    pub sealed: usize,
    /// Live borrows of pooled or sealed values, each holding a scratch slot.
    pub borrowed_copies: usize,
    /// Pages of the pool's chunks (data and scratch), all locked.
    pub pool_pages: usize,
    /// Of those, pages given to scratch slots (borrowed copies of pooled and sealed values).
    pub scratch_pages: usize,
    /// Bytes locked by the pool's chunks.
    pub pool_locked: usize,
    /// Regions of dropped secrets kept for reuse (`memfd_secret` only; zeroed, sealed, still
    /// locked), and their bytes; see [`set_spare_pages`](crate::set_spare_pages).
    pub kept_regions: usize,
    /// Bytes locked by kept regions.
    pub kept_locked: usize,
    /// All bytes this crate has locked: `dedicated_locked + pool_locked + kept_locked`.
    pub locked: usize,
    /// What the kernel says the process has locked (`VmLck`), this crate's and anyone
    /// else's (`mlock`, `mlockall`), which is what `RLIMIT_MEMLOCK` is checked against; `None`
    /// if `/proc` cannot be read.
    pub process_locked: Option<u64>,
    /// The soft `RLIMIT_MEMLOCK` in bytes; `None` when unlimited.
    pub limit: Option<u64>,
    /// Whether the process may lock without limit (`CAP_IPC_LOCK`, as root has): then
    /// [`limit`](Self::limit) is not enforced.
    pub unlimited_by_capability: bool,
}

impl Usage {
    /// Bytes that may still be locked before a new secret is refused with
    /// [`Error::Lock`](crate::Error::Lock): the limit less what the process has locked;
    /// `None` when nothing limits locking (no limit, or `CAP_IPC_LOCK`). Memory and
    /// `vm.max_map_count` may refuse sooner.
    ///
    /// ```
    /// # use secrets_core::usage;
    /// // 10,000 pooled 32-byte secrets take about 48.5 bytes each; leave room for borrows.
    /// if let Some(room) = usage().headroom() {
    ///     if room < 10_000 * 49 + 64 * 1024 {
    ///         eprintln!("RLIMIT_MEMLOCK leaves {room} bytes: raise it or use sealed storage");
    ///     }
    /// }
    /// ```
    pub fn headroom(&self) -> Option<u64> {
        if self.unlimited_by_capability {
            return None;
        }
        let limit = self.limit?;
        let locked = self.process_locked.unwrap_or(self.locked as u64);
        Some(limit.saturating_sub(locked))
    }
}

/// What this process holds in guarded memory now, by storage, and its lock limit. Takes the
/// pool's lock once and reads `/proc/thread-self/status`: for start-up checks, logs and
/// monitoring, not for a hot path.
///
/// See [`Usage`] for an example.
pub fn usage() -> Usage {
    let page = mem::page_size();
    let (dedicated, dedicated_locked) = dedicated::live();
    let pool = pool::usage();
    let (kept_regions, kept_pages) = spare::kept();
    let pool_locked = pool.pages.saturating_mul(page);
    let kept_locked = kept_pages.saturating_mul(page);
    let process_locked = mem::status_bytes("VmLck:");
    Usage {
        backend: active_backend(),
        dedicated,
        dedicated_locked,
        pooled: pool.pooled,
        sealed: pool.sealed,
        borrowed_copies: pool.scratch_in_use,
        pool_pages: pool.pages,
        scratch_pages: pool.scratch_pages,
        pool_locked,
        kept_regions,
        kept_locked,
        locked: dedicated_locked
            .saturating_add(pool_locked)
            .saturating_add(kept_locked),
        process_locked,
        limit: mem::memlock_limit(),
        unlimited_by_capability: mem::can_lock_without_limit(),
    }
}

/// Whole KiB, rounded up, for the report.
fn kib(bytes: u64) -> u64 {
    bytes.div_ceil(1024)
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "guarded memory ({}):", self.backend)?;
        writeln!(
            f,
            "  dedicated  {:>9} live  {:>9} KiB locked",
            self.dedicated,
            kib(self.dedicated_locked as u64)
        )?;
        writeln!(
            f,
            "  pooled     {:>9} live  {:>9} KiB locked ({} pages, {} of them scratch)",
            self.pooled,
            kib(self.pool_locked as u64),
            self.pool_pages,
            self.scratch_pages
        )?;
        writeln!(
            f,
            "  sealed     {:>9} live  (ciphertext; they lock no memory of their own)",
            self.sealed
        )?;
        writeln!(
            f,
            "  kept       {:>9} regions {:>6} KiB locked, for reuse",
            self.kept_regions,
            kib(self.kept_locked as u64)
        )?;
        let process = self.process_locked.map_or_else(
            || "unknown".to_owned(),
            |bytes| format!("{} KiB", kib(bytes)),
        );
        let limit = match (self.limit, self.unlimited_by_capability) {
            (_, true) => "not enforced (CAP_IPC_LOCK)".to_owned(),
            (None, false) => "unlimited".to_owned(),
            (Some(limit), false) => format!("{} KiB", kib(limit)),
        };
        write!(
            f,
            "  locked: {} KiB by secrets, {process} by the process; RLIMIT_MEMLOCK {limit}",
            kib(self.locked as u64)
        )?;
        if let Some(room) = self.headroom() {
            write!(f, ", {} KiB left", room / 1024)?;
        }
        Ok(())
    }
}
