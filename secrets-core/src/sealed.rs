//! Sealed storage: a secret rests as authenticated ciphertext in ordinary memory, under one key
//! that lives in a guarded page; a borrow decrypts it into a locked scratch slot.
//!
//! ```text
//!  key page (dedicated, PROT_NONE at rest):  | key (32) | nonce prefix (16) |
//!
//!  each secret, on the ordinary heap:        | counter (8) | ciphertext (len) | tag (16) |
//!      nonce = prefix || counter;  associated data = the container's id
//!
//!  borrow: scratch slot; key page R; decrypt into the slot; key page NONE
//!  last Ref: zero the slot        end of RefMut: seal the slot under a new counter; zero it
//! ```
//!
//! * **The cipher** is XChaCha20-Poly1305 (libsodium's IETF construction): constant time
//!   without special instructions on every CPU this crate builds for, and a 192-bit nonce, made
//!   of 16 random bytes drawn with the key and a 64-bit counter of the seals made under it. The
//!   counter only grows, so no nonce repeats under a key for the life of the process (a key is
//!   never stored: a new process, or a child after `fork`, draws a new one).
//! * **The key** (and the nonce prefix) is in a page of its own from the active backend:
//!   locked, `MADV_DONTDUMP`, `MADV_DONTFORK`, out of the direct map with `memfd_secret`, and
//!   `PROT_NONE` except while a seal or an unseal runs. Concurrent borrows share one opening
//!   (the page's reader count, [`Guarded`]).
//! * **The associated data** is the container's id, unique in the process: a ciphertext copied
//!   or swapped into another container does not authenticate there. A failed tag means the
//!   memory was altered: the process aborts, as it does for a smashed canary. *Not detected*: a
//!   container given back an older ciphertext of its own (a rollback to a previous value).
//! * **Plaintext** exists only in scratch slots ([`ScratchSlot`]): locked pool pages,
//!   read-write and zero outside a borrow. The last `Ref` zeroes its slot; a `RefMut` seals the
//!   slot's value under a new nonce and zeroes it.
//! * **Fork**: a child inherits the ciphertext (on its heap) but not the key page. Its `borrow`
//!   panics as for every container, its drops free only its own copy, and a sealed secret it
//!   makes is sealed under a key of its own.
//! * Values longer than [`MAX_LEN`] (a long `SecretVec` or `SecretString`) are placed on
//!   dedicated pages instead, with every guarantee of those.
//!
//! The decryption happens in `borrow()`, but it is not hidden: the storage is part of the
//! container's type (`SecretBox<T, Sealed>`), chosen by the program, and the borrow's result is
//! the guarded plaintext (memguard's `Enclave::Open` returns a guarded buffer in the same way).
//!
//! This file has no `unsafe`: the key page is a [`Guarded`] dedicated [`Allocation`], the
//! scratch slot hands out its bytes itself, and the cipher is `sys::aead`'s checked calls.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::guarded::Guarded;
use crate::heap::dedicated::{data_len, Allocation, OrPages};
use crate::heap::owner::Owner;
use crate::heap::pool::{self, ScratchSlot, MAX_LEN};
use crate::heap::{forked, Unit};
use crate::sys::aead::{self, Algorithm, KEY_LEN};
use crate::sys::sodium;
use crate::Error;

/// The construction every sealed secret uses.
const ALGORITHM: Algorithm = Algorithm::XChaCha20Poly1305;

/// Its tag.
const TAG_LEN: usize = ALGORITHM.tag_len();

/// The random part of every nonce, drawn with the key and kept beside it.
const PREFIX_LEN: usize = 16;

/// The counter part of every nonce, stored in front of each ciphertext.
const COUNTER_LEN: usize = 8;

/// A key that seals secrets, with the counter of seals made under it.
struct SealKey {
    /// The key, then the nonce prefix: a dedicated page, `PROT_NONE` at rest.
    material: Guarded<Allocation>,
    /// Seals made under this key so far: the next nonce's counter.
    seals: AtomicU64,
    owner: Owner,
}

impl SealKey {
    fn new() -> Result<SealKey, Error> {
        let material = Allocation::new_with(1, KEY_LEN + PREFIX_LEN, |bytes| {
            sodium::random_fill(bytes);
            Ok::<(), Error>(())
        })?;
        Ok(SealKey {
            material: Guarded::new(material),
            seals: AtomicU64::new(0),
            owner: Owner::current(),
        })
    }

    /// The nonce of one seal: the prefix, then a counter never handed out before.
    fn next_counter(&self) -> [u8; COUNTER_LEN] {
        let counter = self.seals.fetch_add(1, Ordering::Relaxed);
        if counter == u64::MAX {
            // 2^64 seals under one key: more than a process can make, but a nonce that
            // repeats would break the cipher, so stop rather than wrap.
            panic!("secrets: the sealed storage's nonce counter is exhausted; no nonce may repeat");
        }
        counter.to_le_bytes()
    }

    /// Opens the key page for `f` (shared with concurrent callers) and closes it after.
    ///
    /// # Panics
    /// In a child made by `fork`, which has no key page (the message every container gives).
    fn with_key<R>(&self, counter: &[u8], f: impl FnOnce(&[u8], &[u8]) -> R) -> R {
        let material = self.material.read();
        let (key, prefix) = material.split_at(KEY_LEN);
        let mut nonce = [0u8; PREFIX_LEN + COUNTER_LEN];
        nonce[..PREFIX_LEN].copy_from_slice(prefix);
        nonce[PREFIX_LEN..].copy_from_slice(counter);
        let result = f(key, &nonce);
        // The nonce is not secret, but the prefix is kept with the key: leave no copy of it.
        sodium::memzero(&mut nonce);
        result
    }

    /// Seals `plaintext` under a new nonce into `out`: counter, ciphertext, tag.
    fn seal(&self, id: u64, plaintext: &[u8], out: &mut [u8]) {
        let counter = self.next_counter();
        let (stored_counter, ciphertext) = out.split_at_mut(COUNTER_LEN);
        stored_counter.copy_from_slice(&counter);
        let sealed = self.with_key(&counter, |key, nonce| {
            aead::seal_into(
                ALGORITHM,
                key,
                nonce,
                &id.to_le_bytes(),
                plaintext,
                ciphertext,
            )
        });
        if sealed.is_err() {
            // Every length was checked when the value was placed; the construction is
            // available on every CPU.
            panic!("secrets: a sealed secret could not be encrypted; it cannot be kept sealed");
        }
    }

    /// Checks and decrypts `sealed` (counter, ciphertext, tag) into `out`; aborts if it does
    /// not authenticate.
    fn unseal(&self, id: u64, sealed: &[u8], out: &mut [u8]) {
        let (counter, ciphertext) = sealed.split_at(COUNTER_LEN);
        let opened = self.with_key(counter, |key, nonce| {
            aead::open(ALGORITHM, key, nonce, &id.to_le_bytes(), ciphertext, out)
        });
        if opened.is_err() {
            tampered();
        }
    }
}

/// A sealed secret's ciphertext did not authenticate: its memory was changed, or a ciphertext
/// was moved from another container. Nothing of the process can be trusted to go on, as for a
/// smashed canary.
fn tampered() -> ! {
    eprintln!(
        "secrets: a sealed secret did not authenticate (its ciphertext was altered, or moved \
         from another container); aborting"
    );
    std::process::abort()
}

/// The key new sealed secrets are sealed under, made on first use, and made anew in a child
/// after `fork` (the parent's key page is not mapped there).
static CURRENT: Mutex<Option<Arc<SealKey>>> = Mutex::new(None);

/// Container ids: the associated data of every seal.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn current_key() -> Result<Arc<SealKey>, Error> {
    // The mutex guards only which key is current; a panic while it was held changed nothing.
    let mut current = CURRENT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(key) = current.as_ref().filter(|key| key.owner.is_here()) {
        return Ok(Arc::clone(key));
    }
    let key = Arc::new(SealKey::new()?);
    *current = Some(Arc::clone(&key));
    Ok(key)
}

/// Where the current key page lies (the address of the key), if one was made in this process:
/// for tests that check its protection. Not an address to read.
pub fn key_page() -> Option<usize> {
    let current = CURRENT.lock().unwrap_or_else(PoisonError::into_inner);
    current
        .as_ref()
        .filter(|key| key.owner.is_here())
        .map(|key| key.material.rest_address())
}

/// One sealed secret.
pub struct SealedValue {
    key: Arc<SealKey>,
    id: u64,
    len: usize,
    state: Mutex<State>,
}

struct State {
    /// Counter, ciphertext, tag.
    sealed: Box<[u8]>,
    /// The scratch slot of the open read or write access (at most one: a writer holds the
    /// container mutably).
    open: Option<ScratchSlot>,
}

impl SealedValue {
    fn state(&self) -> MutexGuard<'_, State> {
        // Guards the ciphertext and the open slot; every change to them completes or aborts.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decrypts into a new scratch slot and returns where the value is.
    fn open(&self) -> Result<NonNull<u8>, Error> {
        if !self.key.owner.is_here() {
            forked();
        }
        let mut slot = scratch(self.len)?;
        let mut state = self.state();
        self.key.unseal(self.id, &state.sealed, slot.bytes_mut());
        let at = slot.as_ptr();
        state.open = Some(slot);
        Ok(at)
    }
}

impl SealedValue {
    /// The scratch slot of the open access, taken out. In a child made by `fork` (a borrow
    /// that was alive at the fork, ended in the child) the slot's page is the parent's and not
    /// mapped here: it is forgotten, untouched, and the borrow ends with the message every
    /// container gives.
    fn take_open_slot(&self) -> Option<ScratchSlot> {
        let slot = self.state().open.take();
        if !self.key.owner.is_here() {
            std::mem::forget(slot);
            forked();
        }
        slot
    }
}

/// A scratch slot for `len` bytes, which fits one (the value was placed as sealed).
fn scratch(len: usize) -> Result<ScratchSlot, Error> {
    match ScratchSlot::take(len) {
        Some(slot) => slot,
        None => unreachable!("secrets: a sealed value longer than a scratch slot"),
    }
}

impl Unit for SealedValue {
    fn len(&self) -> usize {
        self.len
    }

    fn is_owned_here(&self) -> bool {
        self.key.owner.is_here()
    }

    fn rest_address(&self) -> usize {
        self.state().sealed.as_ptr() as usize
    }

    fn open_read(&self) -> Result<NonNull<u8>, Error> {
        self.open()
    }

    fn close_read(&self, _at: NonNull<u8>) {
        // Dropping the slot checks its canaries and zeroes it.
        drop(self.take_open_slot());
    }

    fn open_write(&self) -> Result<NonNull<u8>, Error> {
        self.open()
    }

    fn close_write(&self, _at: NonNull<u8>) {
        let slot = self.take_open_slot();
        if let Some(slot) = slot {
            self.key
                .seal(self.id, slot.bytes(), &mut self.state().sealed);
        }
    }
}

impl Drop for SealedValue {
    fn drop(&mut self) {
        let state = match self.state.get_mut() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(slot) = state.open.take() {
            if self.key.owner.is_this_process() {
                drop(slot);
            } else {
                // A child made by `fork`: the slot's page is the parent's and not mapped here.
                std::mem::forget(slot);
            }
        }
        // Not secret, but leave nothing of it behind.
        sodium::memzero(&mut state.sealed);
        if self.key.owner.is_this_process() {
            pool::count_scratch_reader(self.len, false);
        }
    }
}

/// A sealed secret: ciphertext, or dedicated pages for a value longer than [`MAX_LEN`] (with
/// every guarantee of dedicated storage).
pub type SealedUnit = OrPages<SealedValue>;

/// Places `count` elements of `element_size` bytes as a sealed secret: `init` fills a scratch
/// slot, whose value is sealed under the current key and then zeroed. A value longer than
/// [`MAX_LEN`] goes to dedicated pages.
///
/// # Errors
/// [`Error::TooLarge`] for a length that overflows; the key page's errors when it is made
/// (the first sealed secret of a process: [`Error::Lock`] when the lock limit has no room for
/// it); [`Error::ScratchExhausted`] when no scratch slot is left; `init`'s error.
pub(crate) fn place<E: From<Error>>(
    count: usize,
    element_size: usize,
    init: impl FnOnce(&mut [u8]) -> Result<(), E>,
) -> Result<SealedUnit, E> {
    let len = data_len(count, element_size)?;
    if len > MAX_LEN {
        return Allocation::new_with(count, element_size, init).map(OrPages::Pages);
    }
    // The key first: its page is the one a sealed storage cannot do without, so it must not
    // find the lock limit taken by scratch pages.
    let key = current_key()?;
    let sealed_len = len
        .checked_add(COUNTER_LEN + TAG_LEN)
        .ok_or(Error::TooLarge {
            requested: count,
            element_size,
            limit: MAX_LEN,
        })?;
    let mut slot = scratch(len)?;
    init(slot.bytes_mut())?;
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let mut sealed = vec![0u8; sealed_len].into_boxed_slice();
    key.seal(id, slot.bytes(), &mut sealed);
    drop(slot);
    pool::count_scratch_reader(len, true);
    Ok(OrPages::Small(SealedValue {
        key,
        id,
        len,
        state: Mutex::new(State { sealed, open: None }),
    }))
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use crate::{Dedicated, Pooled, Sealed, SecretBox, Storage};

    use crate::storage::shared_storage_checks;

    #[test]
    fn values_survive_being_sealed_borrowed_rewritten_and_dropped() {
        shared_storage_checks::values_survive_writes_and_drops(Sealed, 2000);
    }

    #[test]
    fn nested_refs_share_one_slot_and_long_values_go_to_pages_of_their_own() {
        shared_storage_checks::nested_refs_share_one_copy_and_long_values_work(Sealed);
    }

    /// A `RefMut` passed to `mem::forget` keeps its write for the next `borrow()`, in every
    /// storage (sealed storage seals it then; it used to drop the unsealed write).
    fn forgotten_write_is_kept<S: Storage + Copy>(storage: S) {
        let mut secret = SecretBox::<[u8; 8], S>::new_in(storage, |v| *v = [1; 8]).expect("box");
        let mut write = secret.borrow_mut();
        write[0] = 9;
        std::mem::forget(write);
        assert_eq!(secret.borrow()[0], 9, "{}", S::NAME);
        let mut write = secret.borrow_mut();
        write[1] = 7;
        std::mem::forget(write);
        assert_eq!(secret.borrow_mut()[..2], [9, 7], "{}", S::NAME);
    }

    #[test]
    fn a_forgotten_ref_mut_keeps_its_write_in_every_storage() {
        forgotten_write_is_kept(Dedicated);
        forgotten_write_is_kept(Pooled);
        forgotten_write_is_kept(Sealed);
    }
}
