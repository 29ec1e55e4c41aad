//! Where a container keeps its secret: the [`Storage`] parameter of [`SecretBox`],
//! [`SecretVec`] and [`SecretString`].
//!
//! The choice is part of the type, made per type by the program and never silently changed:
//! `SecretBox<[u8; 32]>` is `SecretBox<[u8; 32], Dedicated>`, and a program that wants many small
//! secrets writes `SecretBox<[u8; 32], Pooled>`. A function that needs the stronger guarantees
//! of dedicated pages says so with the [`OwnPages`] bound, and a pooled secret passed to it is
//! a compile error that says what to do.
//!
//! [`SecretBox`]: crate::SecretBox
//! [`SecretVec`]: crate::SecretVec
//! [`SecretString`]: crate::SecretString

use std::any::TypeId;

use crate::heap::dedicated::Allocation;
use crate::heap::pool::{self, PooledUnit};
use crate::heap::Unit;
use crate::sealed::{self, SealedUnit};
use crate::Error;

mod private {
    pub trait OnlyThisCrate {}
}

/// How a container's secret is placed in guarded memory: [`Dedicated`] (the default),
/// [`Pooled`] or [`Sealed`]. Implemented by those three types only.
///
/// | guarantee | [`Dedicated`] | [`Pooled`] | [`Sealed`] |
/// |---|---|---|---|
/// | where the value rests | its own locked pages | a locked page shared with secrets of the same type | ciphertext in ordinary memory; only the key (one page for the process) is locked |
/// | locked, `MADV_DONTDUMP`, `MADV_DONTFORK`; `memfd_secret` pages out of the direct map | yes | yes | the key page and the scratch slots; the ciphertext may be swapped out or dumped (it tells nothing without the key) |
/// | inaccessible at rest | `PROT_NONE` | `PROT_NONE` | no plaintext anywhere; the key page `PROT_NONE` |
/// | readable while borrowed | the secret only | the secret (a copy in a scratch slot), the other borrowed copies on that scratch page, and the same-type neighbours on its page during each copy (about a microsecond) | the secret (decrypted into a scratch slot), the other borrowed copies on that scratch page, and the key during each decryption (about a microsecond) |
/// | a one-byte overflow | faults at once (guard page) | overwrites the next canary: abort at release | overwrites the scratch slot's canary: abort when the borrow ends |
/// | an underflow | canary, abort at release | canary, abort at release | canary, abort when the borrow ends |
/// | altered at rest | canary (its edges only) | canaries (its edges only) | any change, or a ciphertext moved between containers: abort at the next borrow; a container rolled back to an older ciphertext of its own is *not* detected |
/// | zeroed before release | yes | yes (slot at drop; scratch copy at the last borrow's end) | the scratch slot at the last borrow's end; the ciphertext at drop |
/// | locked memory per 32-byte secret | 4 KiB | 48 bytes | none (one key page and the scratch pages for the process) |
/// | values over 1 KiB (`SecretVec`, `SecretString`) | - | dedicated pages | dedicated pages |
///
/// ```
/// use secrets_core::{Dedicated, SecretBox, Storage};
/// assert_eq!(<Dedicated as Storage>::NAME, "dedicated");
/// let key = SecretBox::<[u8; 32], Dedicated>::random_in(Dedicated)?;
/// # let _ = key;
/// # Ok::<(), secrets_core::Error>(())
/// ```
pub trait Storage: private::OnlyThisCrate + Sized + Send + Sync + 'static {
    /// The storage's name, as the audit table shows it: `"dedicated"`, `"pooled"` or
    /// `"sealed"`.
    const NAME: &'static str;

    /// The largest value (in bytes) a `SecretBox` of this storage may hold; checked at compile
    /// time. A `SecretVec` or `SecretString` longer than this is placed on dedicated pages.
    const MAX_BOX_SIZE: usize;

    /// The strictest alignment a value of this storage may need; checked at compile time.
    const MAX_ALIGN: usize;

    /// The placed secret the container holds.
    #[doc(hidden)]
    type Unit: Unit;

    /// Places `count` elements of `element_size` bytes, lets `init` fill them (they start as
    /// whatever the placement gives; the containers zero them first), and seals them.
    /// `domain` says which secrets may share a page (pooled storage): values of one type.
    #[doc(hidden)]
    fn try_init<E: From<Error>>(
        domain: TypeId,
        count: usize,
        element_size: usize,
        init: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Self::Unit, E>;
}

/// Storages where every secret has pages of its own: today only [`Dedicated`].
///
/// Bound a function on it where sharing a page is not acceptable (a master key that must never
/// be readable beside anything else, memory whose overflow must fault at once):
///
/// ```
/// use secrets_core::{OwnPages, SecretBox};
/// fn unlock<S: OwnPages>(master: &SecretBox<[u8; 32], S>) -> u8 {
///     master.borrow()[0]
/// }
/// let master = SecretBox::<[u8; 32]>::zero()?;
/// assert_eq!(unlock(&master), 0);
/// # Ok::<(), secrets_core::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "this secret is in `{Self}` storage, which does not give it pages of its own; \
               this needs a secret on pages of its own",
    label = "needs dedicated storage",
    note = "make the secret with the default storage: `SecretBox<T>` (that is, \
            `SecretBox<T, Dedicated>`), `SecretVec<T>` or `SecretString`"
)]
pub trait OwnPages: Storage {}

/// Each secret on pages of its own, between guard pages: the default storage.
///
/// One page range per secret (4 KiB of locked memory for a 32-byte key, three or four
/// mappings); an overflow faults at once, and nothing else is readable while it is borrowed.
/// See [`Storage`] for the comparison.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dedicated;

impl private::OnlyThisCrate for Dedicated {}
impl OwnPages for Dedicated {}

impl Storage for Dedicated {
    const NAME: &'static str = "dedicated";
    const MAX_BOX_SIZE: usize = usize::MAX;
    const MAX_ALIGN: usize = 4096;
    type Unit = Allocation;

    fn try_init<E: From<Error>>(
        _domain: TypeId,
        count: usize,
        element_size: usize,
        init: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Allocation, E> {
        Allocation::new_with(count, element_size, init)
    }
}

/// Many small secrets of one type share a locked page: the storage for programs that hold
/// thousands of secrets or more.
///
/// A 32-byte secret takes a 48-byte slot (with its canary) instead of a 4 KiB page, so the
/// default 8 MiB `RLIMIT_MEMLOCK` holds about 170,000 of them instead of 2,048. The pages are
/// locked, `MADV_DONTDUMP`, `MADV_DONTFORK`, `PROT_NONE` at rest (`memfd_secret` pages where
/// the kernel offers them), each a mapping of its own between guard pages, and hold secrets of
/// one type only. What it gives up, against [`Dedicated`] (see the table on [`Storage`]):
///
/// * a borrow reads a *copy* of the value in a locked scratch slot; the shared page is readable
///   only while the copy is made (about a microsecond), and then so are its neighbours of the
///   same type. A `Ref` points into scratch, next to other live borrowed copies;
/// * a write past the end of a value changes the next canary rather than faulting: the process
///   aborts when the slot is next copied or released;
/// * values longer than 1,024 bytes (a `SecretVec` or `SecretString`) are placed on dedicated
///   pages, with every guarantee of those; a `SecretBox` of a larger type does not compile.
///
/// ```
/// use secrets_core::{Pooled, SecretBox};
/// let keys = (0..1000)
///     .map(|_| SecretBox::<[u8; 32], _>::random_in(Pooled))
///     .collect::<Result<Vec<_>, _>>()?;
/// assert_eq!(keys[7].borrow().len(), 32);
/// # Ok::<(), secrets_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pooled;

impl private::OnlyThisCrate for Pooled {}

impl Storage for Pooled {
    const NAME: &'static str = "pooled";
    const MAX_BOX_SIZE: usize = pool::MAX_LEN;
    const MAX_ALIGN: usize = pool::MAX_ALIGN;
    type Unit = PooledUnit;

    fn try_init<E: From<Error>>(
        domain: TypeId,
        count: usize,
        element_size: usize,
        init: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<PooledUnit, E> {
        pool::place(domain, count, element_size, init)
    }
}

/// Secrets kept encrypted: each value rests as authenticated ciphertext in ordinary memory,
/// and only its key is in guarded memory. The storage for programs that hold very many secrets
/// where little memory may be locked.
///
/// A 32-byte secret takes no locked memory of its own: the process locks one key page and the
/// scratch pages that borrows decrypt into, so a million secrets fit under the 64 KiB
/// `RLIMIT_MEMLOCK` of a container. What it keeps and what it gives up, against [`Pooled`]
/// (see the table on [`Storage`]):
///
/// * at rest there is no plaintext anywhere: the ciphertext (XChaCha20-Poly1305, 40 bytes more
///   than the value) may be swapped or written to a core dump, and tells nothing without the
///   key, whose page is locked, `PROT_NONE` at rest, out of dumps and forks;
/// * a borrow *decrypts* the value into a locked scratch slot (the key page is readable during
///   the decryption, about a microsecond); the last `Ref` zeroes the slot, and the end of a
///   `RefMut` seals the value again under a nonce never used before;
/// * each ciphertext is bound to its container: altered, or moved into another container, it
///   does not authenticate, and the process aborts at its next borrow. A container given back
///   an *older ciphertext of its own* is not detected (it then holds its older value);
/// * values longer than 1,024 bytes (a `SecretVec` or `SecretString`) are placed on dedicated
///   pages, with every guarantee of those; a `SecretBox` of a larger type does not compile.
///
/// ```
/// use secrets_core::{Sealed, SecretBox};
/// let keys = (0..1000)
///     .map(|_| SecretBox::<[u8; 32], _>::random_in(Sealed))
///     .collect::<Result<Vec<_>, _>>()?;
/// assert_eq!(keys[7].borrow().len(), 32);
/// # Ok::<(), secrets_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sealed;

impl private::OnlyThisCrate for Sealed {}

impl Storage for Sealed {
    const NAME: &'static str = "sealed";
    const MAX_BOX_SIZE: usize = pool::MAX_LEN;
    const MAX_ALIGN: usize = pool::MAX_ALIGN;
    type Unit = SealedUnit;

    fn try_init<E: From<Error>>(
        _domain: TypeId,
        count: usize,
        element_size: usize,
        init: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<SealedUnit, E> {
        sealed::place(count, element_size, init)
    }
}

/// Checks every storage that shares pages must pass, called from each one's unit tests.
#[cfg(test)]
#[allow(clippy::expect_used)]
pub(crate) mod shared_storage_checks {
    use super::Storage;
    use crate::{SecretBox, SecretString, SecretVec};

    /// `count` boxes made, each read back, every third rewritten, every odd one dropped: the
    /// rest hold their values, whatever their neighbours went through.
    pub(crate) fn values_survive_writes_and_drops<S: Storage + Copy>(storage: S, count: u64) {
        let mut boxes: Vec<SecretBox<[u64; 4], S>> = (0..count)
            .map(|i| SecretBox::new_in(storage, |v| *v = [i, !i, i * 3, 7]))
            .collect::<Result<_, _>>()
            .expect("boxes");
        for (i, b) in boxes.iter().enumerate() {
            let i = i as u64;
            assert_eq!(*b.borrow(), [i, !i, i * 3, 7], "{}", S::NAME);
        }
        for b in boxes.iter_mut().step_by(3) {
            b.borrow_mut()[3] = 9;
        }
        boxes.retain(|b| b.borrow()[0] % 2 == 0);
        for b in &boxes {
            let v = *b.borrow();
            assert_eq!(v[1], !v[0], "{}", S::NAME);
            assert_eq!(v[3], if v[0] % 3 == 0 { 9 } else { 7 }, "{}", S::NAME);
        }
    }

    /// Two `Ref`s of one value see one copy; a value over the small limit, a string and an
    /// empty vector work as in dedicated storage.
    pub(crate) fn nested_refs_share_one_copy_and_long_values_work<S: Storage + Copy>(storage: S) {
        let key = SecretBox::<[u8; 32], S>::random_in(storage).expect("box");
        let a = key.borrow();
        let b = key.borrow();
        assert_eq!(a.as_ptr(), b.as_ptr(), "{}", S::NAME);
        drop((a, b));
        let long = SecretVec::<u8, S>::random_in(storage, 5000).expect("vec");
        assert_eq!(long.borrow().len(), 5000);
        let text = SecretString::from_bytes_in(storage, &mut b"hunter2".to_vec()).expect("text");
        assert_eq!(&*text.borrow(), "hunter2");
        let empty = SecretVec::<u8, S>::zero_in(storage, 0).expect("empty");
        assert!(empty.borrow().is_empty());
    }
}
