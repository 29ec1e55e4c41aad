//! The traits behind `#[derive(Secret)]`: the derive implements [`SecretType`] and nothing else
//! a user calls; every method of a derived type comes from here.
//!
//! * [`Container`]: the guarded storages (`SecretBox<T>`, `SecretVec<T>`, `SecretString`), what
//!   a secret type may wrap. Sealed.
//! * [`SecretType`]: a type that wraps one container. Gives `borrow`, `borrow_mut`, `expose`,
//!   `expose_mut` and `from_inner` for every container.
//! * [`BoxSecret`], [`VecSecret`], [`StringSecret`]: the constructors and methods of one kind
//!   of container, implemented for every secret type over it.
//!
//! A new container needs a `Container` impl and, if it has constructors of its own, one more
//! extension trait here; `secrets-derive` does not change. Bring them all into scope with
//! `use secrets_core::prelude::*;`.

use std::mem::size_of;
use std::path::Path;

use crate::guarded::{Ref, RefMut};
use crate::storage::Storage;
use crate::{Bytes, Error, Randomizable, SecretBox, SecretString, SecretVec};

mod sealed {
    /// Not nameable outside this module, so only this crate implements [`Container`](super::Container).
    pub trait Sealed {}
}

/// Guarded storage: what a `#[derive(Secret)]` type may wrap. Sealed: implemented by
/// [`SecretBox<T>`], [`SecretVec<T>`] and [`SecretString`].
///
/// ```
/// use secrets_core::prelude::*;
///
/// fn first_byte<C: Container<Value = [u8]>>(storage: &C) -> Option<u8> {
///     storage.borrow().first().copied()
/// }
///
/// let seed = SecretVec::<u8>::new(3, |s| s.copy_from_slice(&[7, 8, 9]))?;
/// assert_eq!(first_byte(&seed), Some(7));
/// assert_eq!(<SecretBox<[u8; 32]> as Container>::SIZE, Some(32));
/// assert_eq!(<SecretString as Container>::STORAGE, "dedicated");
/// # Ok::<(), secrets_core::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not guarded storage: the field of a `#[derive(Secret)]` type must be \
               a container from `secrets_core`",
    label = "a plain value would live in ordinary, swappable, dumpable memory",
    note = "wrap `SecretBox<T>` (one value), `SecretVec<T>` (a length chosen at run time) or \
            `SecretString` (UTF-8 text) from `secrets_core`"
)]
pub trait Container: sealed::Sealed + Sized + 'static {
    /// What a borrow opens: `T` for `SecretBox<T>`, `[T]` for `SecretVec<T>`, `str` for
    /// `SecretString`.
    type Value: ?Sized;

    /// Where the container places its secret, as the audit shows it. Today every container
    /// has pages of its own: `"dedicated"`.
    const STORAGE: &'static str;

    /// The size of the secret in bytes when the type fixes it (`SecretBox`); `None` when the
    /// length is chosen at run time.
    const SIZE: Option<usize>;

    /// Opens the secret read-only until the returned [`Ref`] is dropped.
    ///
    /// # Panics
    /// If the pages' protection cannot be changed (`mprotect` failed).
    fn borrow(&self) -> Ref<'_, Self::Value>;

    /// Opens the secret read-write until the returned [`RefMut`] is dropped.
    ///
    /// # Panics
    /// As for [`borrow`](Container::borrow).
    fn borrow_mut(&mut self) -> RefMut<'_, Self::Value>;
}

impl<T: Bytes, S: Storage> sealed::Sealed for SecretBox<T, S> {}

impl<T: Bytes, S: Storage> Container for SecretBox<T, S> {
    type Value = T;
    const STORAGE: &'static str = S::NAME;
    const SIZE: Option<usize> = Some(size_of::<T>());

    fn borrow(&self) -> Ref<'_, T> {
        SecretBox::borrow(self)
    }

    fn borrow_mut(&mut self) -> RefMut<'_, T> {
        SecretBox::borrow_mut(self)
    }
}

impl<T: Bytes, S: Storage> sealed::Sealed for SecretVec<T, S> {}

impl<T: Bytes, S: Storage> Container for SecretVec<T, S> {
    type Value = [T];
    const STORAGE: &'static str = S::NAME;
    const SIZE: Option<usize> = None;

    fn borrow(&self) -> Ref<'_, [T]> {
        SecretVec::borrow(self)
    }

    fn borrow_mut(&mut self) -> RefMut<'_, [T]> {
        SecretVec::borrow_mut(self)
    }
}

impl<S: Storage> sealed::Sealed for SecretString<S> {}

impl<S: Storage> Container for SecretString<S> {
    type Value = str;
    const STORAGE: &'static str = S::NAME;
    const SIZE: Option<usize> = None;

    fn borrow(&self) -> Ref<'_, str> {
        SecretString::borrow(self)
    }

    fn borrow_mut(&mut self) -> RefMut<'_, str> {
        SecretString::borrow_mut(self)
    }
}

/// The proof that a `SecretType` impl came from `#[derive(Secret)]` (or from this crate, for
/// the containers): a supertrait with one hidden method, named so that nobody writes it by
/// accident. A hand-written `impl SecretType` without it does not compile, and says why. Not
/// part of the API.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` implements `SecretType` by hand: use `#[derive(Secret)]` instead",
    label = "`SecretType` may only be implemented by `#[derive(Secret)]`",
    note = "`#[derive(Secret)]` also registers the type in `secrets_core::audit`, counts its \
            live values, and gives it a constant-time `==`, a `Debug` that prints \
            `[REDACTED]` and no `Clone` or `Display`",
    note = "put `#[derive(Secret)]` on the struct and remove the `impl SecretType`"
)]
pub trait ImplementedByDeriveSecret {
    /// Written only by `#[derive(Secret)]` and by this crate; never call or implement it.
    #[doc(hidden)]
    fn only_derive_is_allowed_to_implement_this_trait();
}

/// A type of its own for one kind of secret: a `#[derive(Secret)]` newtype over one
/// [`Container`]. Implemented by the derive (a hand-written impl does not compile) and by the
/// containers themselves, each wrapping itself, so that functions generic over secret types,
/// such as [`kdf::argon2id`](crate::kdf::argon2id), accept either.
///
/// Gives every secret type its borrows; the constructors of each kind of container come from
/// [`BoxSecret`], [`VecSecret`] and [`StringSecret`]. `use secrets_core::prelude::*;` brings
/// them all into scope.
///
/// ```
/// use secrets_core::prelude::*;
///
/// #[derive(Secret)]
/// struct MasterKey(SecretBox<[u8; 32]>);
///
/// let mut key = MasterKey::from_inner(SecretBox::new(|k| *k = [7; 32])?);
/// key.borrow_mut()[0] = 8;
/// assert_eq!(key.borrow()[0], 8);
/// assert_eq!(key.expose(|k| k[1]), 7);
/// key.expose_mut(|k| k[1] = 9);
/// assert_eq!(key.borrow()[1], 9);
/// # Ok::<(), secrets_core::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a secret type",
    label = "not a `#[derive(Secret)]` type nor a container of `secrets_core`",
    note = "put `#[derive(Secret)]` on a newtype over guarded storage, e.g. \
            `struct MasterKey(SecretBox<[u8; 32]>);`",
    note = "some key types are kept out of this on purpose: a `secrets_nonce::SessionKey` \
            counts its nonces from 0, so it is never loaded, stored or derived; use one of \
            the key types listed below"
)]
pub trait SecretType: Sized + 'static + ImplementedByDeriveSecret {
    /// The guarded storage the type wraps.
    type Storage: Container;

    /// Wraps `storage` (and counts the new value in the audit). Every value of a derived type
    /// is made here; written by the derive.
    #[doc(hidden)]
    fn __wrap(storage: Self::Storage) -> Self;

    /// The wrapped storage; written by the derive.
    #[doc(hidden)]
    fn __storage(&self) -> &Self::Storage;

    /// The wrapped storage, mutably; written by the derive.
    #[doc(hidden)]
    fn __storage_mut(&mut self) -> &mut Self::Storage;

    /// Makes the storage for a new value of this type with `make`, and wraps it: the one place
    /// where storage for a secret type is made (every constructor of [`BoxSecret`],
    /// [`VecSecret`], [`StringSecret`] and the `kdf` functions come through here). Not part of
    /// the API.
    #[doc(hidden)]
    fn __make<E>(make: impl FnOnce() -> Result<Self::Storage, E>) -> Result<Self, E> {
        // `make` places the value in this type's own domain (`try_new_in_domain::<Self>`):
        // pooled storage never puts two secret types on one page.
        make().map(Self::__wrap)
    }

    /// Wraps guarded storage made elsewhere (e.g. loaded from a key file or derived with
    /// [`kdf`](crate::kdf)).
    ///
    /// The storage stays where it was placed: a [`Pooled`](crate::Pooled) value made with a
    /// container's own constructor shares pages with other values of its element type, not
    /// with this secret type's own. To keep a pooled secret type on pages of its own type,
    /// make its values with the type's constructors (`BoxSecret::new`, ..., `kdf` functions,
    /// `load`), which place them in its domain.
    ///
    /// ```
    /// use secrets_core::prelude::*;
    ///
    /// #[derive(Secret)]
    /// struct Seed(SecretVec<u8>);
    ///
    /// let seed = Seed::from_inner(SecretVec::random(32)?);
    /// assert_eq!(seed.len(), 32);
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    fn from_inner(storage: Self::Storage) -> Self {
        // Storage made elsewhere keeps its domain (see above): moving it would need a second
        // placement and a copy, which a wrapper should not do behind the caller's back.
        Self::__wrap(storage)
    }

    /// Opens the secret read-only until the returned [`Ref`] (and every other `Ref` to it) is
    /// dropped.
    ///
    /// # Panics
    /// If the pages' protection cannot be changed (`mprotect` failed), since the secret could
    /// then not be made inaccessible again.
    fn borrow(&self) -> Ref<'_, <Self::Storage as Container>::Value> {
        Container::borrow(self.__storage())
    }

    /// Opens the secret read-write until the returned [`RefMut`] is dropped.
    ///
    /// # Panics
    /// As for [`borrow`](SecretType::borrow).
    fn borrow_mut(&mut self) -> RefMut<'_, <Self::Storage as Container>::Value> {
        Container::borrow_mut(self.__storage_mut())
    }

    /// Runs `f` with the secret opened read-only, and closes it again.
    ///
    /// # Panics
    /// As for [`borrow`](SecretType::borrow).
    fn expose<R>(&self, f: impl FnOnce(&<Self::Storage as Container>::Value) -> R) -> R {
        let open = Container::borrow(self.__storage());
        f(&*open)
    }

    /// Runs `f` with the secret opened read-write, and closes it again.
    ///
    /// # Panics
    /// As for [`borrow`](SecretType::borrow).
    fn expose_mut<R>(
        &mut self,
        f: impl FnOnce(&mut <Self::Storage as Container>::Value) -> R,
    ) -> R {
        let mut open = Container::borrow_mut(self.__storage_mut());
        f(&mut *open)
    }
}

/// [`Container::STORAGE`] of `S`'s storage, for the audit entry `#[derive(Secret)]` emits.
/// Asked through `S` rather than the field's type so that a field that is no container is
/// reported once, at the `SecretType` impl. Not part of the API.
#[doc(hidden)]
pub const fn placement_of<S: SecretType>() -> &'static str {
    <S::Storage as Container>::STORAGE
}

/// [`Container::SIZE`] of `S`'s storage, for the audit entry. Not part of the API.
#[doc(hidden)]
pub const fn size_of_secret<S: SecretType>() -> Option<usize> {
    <S::Storage as Container>::SIZE
}

// Each container is a secret type wrapping itself, so `kdf` and other functions generic over
// secret types can return a bare container.
impl<T: Bytes, S: Storage> ImplementedByDeriveSecret for SecretBox<T, S> {
    fn only_derive_is_allowed_to_implement_this_trait() {}
}

impl<T: Bytes, S: Storage> SecretType for SecretBox<T, S> {
    type Storage = Self;

    fn __wrap(storage: Self) -> Self {
        storage
    }

    fn __storage(&self) -> &Self {
        self
    }

    fn __storage_mut(&mut self) -> &mut Self {
        self
    }
}

impl<T: Bytes, S: Storage> ImplementedByDeriveSecret for SecretVec<T, S> {
    fn only_derive_is_allowed_to_implement_this_trait() {}
}

impl<T: Bytes, S: Storage> SecretType for SecretVec<T, S> {
    type Storage = Self;

    fn __wrap(storage: Self) -> Self {
        storage
    }

    fn __storage(&self) -> &Self {
        self
    }

    fn __storage_mut(&mut self) -> &mut Self {
        self
    }
}

impl<S: Storage> ImplementedByDeriveSecret for SecretString<S> {
    fn only_derive_is_allowed_to_implement_this_trait() {}
}

impl<S: Storage> SecretType for SecretString<S> {
    type Storage = Self;

    fn __wrap(storage: Self) -> Self {
        storage
    }

    fn __storage(&self) -> &Self {
        self
    }

    fn __storage_mut(&mut self) -> &mut Self {
        self
    }
}

/// The constructors and key files of a secret type over a [`SecretBox<T>`]: one value of a
/// fixed size, e.g. `struct MasterKey(SecretBox<[u8; 32]>)`. Implemented for every such type.
///
/// ```
/// use secrets_core::prelude::*;
///
/// #[derive(Secret)]
/// struct MasterKey(SecretBox<[u8; 32]>);
///
/// let key = MasterKey::random()?;
/// let pin = MasterKey::new(|k| k[..4].copy_from_slice(b"1234"))?;
/// assert!(key != pin);
/// assert_eq!(MasterKey::zero()?.borrow()[0], 0);
/// # Ok::<(), secrets_core::Error>(())
/// ```
pub trait BoxSecret: SecretType {
    /// The value in the box: `T` of `SecretBox<T>`.
    type Inner: Bytes;

    /// A new secret, filled by `init` (it starts zeroed) in guarded memory.
    ///
    /// # Errors
    /// As for [`SecretBox::new`]: an allocation error when the guarded page cannot be set up.
    fn new(init: impl FnOnce(&mut Self::Inner)) -> Result<Self, Error>;

    /// Like [`new`](BoxSecret::new), for an `init` that can fail.
    ///
    /// # Errors
    /// `init`'s error, or an allocation error converted with `E: From<Error>`.
    fn try_new<E: From<Error>>(
        init: impl FnOnce(&mut Self::Inner) -> Result<(), E>,
    ) -> Result<Self, E>;

    /// A secret of zeros.
    ///
    /// # Errors
    /// As for [`new`](BoxSecret::new).
    fn zero() -> Result<Self, Error>;

    /// A secret from libsodium's CSPRNG.
    ///
    /// # Errors
    /// As for [`new`](BoxSecret::new).
    ///
    /// # Panics
    /// If libsodium's CSPRNG cannot be initialised.
    fn random() -> Result<Self, Error>;

    /// Moves a secret out of `source`, zeroing it whether or not this succeeds.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when `source` is not exactly `size_of::<Inner>()` bytes;
    /// otherwise as for [`new`](BoxSecret::new).
    fn from_bytes(source: &mut [u8]) -> Result<Self, Error>;

    /// Loads the secret from a key file (mode 0400 or 0600, exact length).
    ///
    /// # Errors
    /// As for [`SecretBox::load`]: the key file's mode, owner, length or kind, an I/O error,
    /// or an allocation error.
    fn load(path: impl AsRef<Path>) -> Result<Self, Error>;

    /// Writes the secret to a new key file, mode 0400, atomically; an existing file at `path`
    /// is never replaced (see [`SecretBox::store`]).
    ///
    /// # Errors
    /// [`Error::KeyFileExists`] if `path` is taken (use [`replace`](BoxSecret::replace) to
    /// overwrite on purpose); [`Error::KeyFileIo`] naming the step that failed (create, write,
    /// fsync, link).
    fn store(&self, path: impl AsRef<Path>) -> Result<(), Error>;

    /// Writes the secret to `path`, mode 0400, atomically replacing the file there (the old
    /// key is lost), or creating it if there is none (see [`SecretBox::replace`]).
    ///
    /// # Errors
    /// [`Error::KeyFileIo`] naming the step that failed (create, write, fsync, rename).
    fn replace(&self, path: impl AsRef<Path>) -> Result<(), Error>;
}

impl<X, T: Bytes, S: Storage> BoxSecret for X
where
    X: SecretType<Storage = SecretBox<T, S>>,
{
    type Inner = T;

    fn new(init: impl FnOnce(&mut T)) -> Result<Self, Error> {
        Self::try_new(|value: &mut T| {
            init(value);
            Ok::<(), Error>(())
        })
    }

    fn try_new<E: From<Error>>(init: impl FnOnce(&mut T) -> Result<(), E>) -> Result<Self, E> {
        X::__make(|| SecretBox::<T, S>::try_new_in_domain::<X, E>(init))
    }

    fn zero() -> Result<Self, Error> {
        Self::new(|_| {})
    }

    fn random() -> Result<Self, Error> {
        Self::new(|value| value.randomize())
    }

    fn from_bytes(source: &mut [u8]) -> Result<Self, Error> {
        X::__make(|| SecretBox::<T, S>::from_bytes_in_domain::<X>(source))
    }

    fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        X::__make(|| SecretBox::<T, S>::load_in_domain::<X>(path))
    }

    fn store(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        self.__storage().store(path)
    }

    fn replace(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        self.__storage().replace(path)
    }
}

/// The constructors, key files and length of a secret type over a [`SecretVec<T>`]: values
/// whose number is chosen at run time, e.g. `struct Seed(SecretVec<u8>)`. Implemented for every
/// such type.
///
/// ```
/// use secrets_core::prelude::*;
///
/// #[derive(Secret)]
/// struct Seed(SecretVec<u8>);
///
/// let seed = Seed::random(64)?;
/// assert_eq!(seed.len(), 64);
/// assert!(Seed::zero(0)?.is_empty());
/// # Ok::<(), secrets_core::Error>(())
/// ```
pub trait VecSecret: SecretType {
    /// The type of the values: `T` of `SecretVec<T>`.
    type Element: Bytes;

    /// A new secret of `len` values, filled by `init` (they start zeroed).
    ///
    /// # Errors
    /// As for [`SecretVec::new`]: [`Error::TooLarge`] for a `len` past what one secret may hold
    /// on this machine, or an allocation error.
    fn new(len: usize, init: impl FnOnce(&mut [Self::Element])) -> Result<Self, Error>;

    /// Like [`new`](VecSecret::new), for an `init` that can fail.
    ///
    /// # Errors
    /// `init`'s error, or an allocation error converted with `E: From<Error>`.
    fn try_new<E: From<Error>>(
        len: usize,
        init: impl FnOnce(&mut [Self::Element]) -> Result<(), E>,
    ) -> Result<Self, E>;

    /// `len` zeros.
    ///
    /// # Errors
    /// As for [`new`](VecSecret::new).
    fn zero(len: usize) -> Result<Self, Error>;

    /// `len` values from libsodium's CSPRNG.
    ///
    /// # Errors
    /// As for [`new`](VecSecret::new).
    ///
    /// # Panics
    /// If libsodium's CSPRNG cannot be initialised.
    fn random(len: usize) -> Result<Self, Error>;

    /// Moves the values out of `source`, zeroing it whether or not this succeeds.
    ///
    /// # Errors
    /// [`Error::LengthNotMultiple`] when `source` is not a whole number of elements; otherwise
    /// as for [`new`](VecSecret::new).
    fn from_bytes(source: &mut [u8]) -> Result<Self, Error>;

    /// Loads the secret from a key file (mode 0400 or 0600, at least
    /// [`SecretVec::MIN_KEY_FILE_LEN`] bytes).
    ///
    /// # Errors
    /// As for [`SecretVec::load`].
    fn load(path: impl AsRef<Path>) -> Result<Self, Error>;

    /// Writes the secret to a new key file, mode 0400, atomically; an existing file at `path`
    /// is never replaced (see [`SecretVec::store`]).
    ///
    /// # Errors
    /// [`Error::KeyFileExists`] if `path` is taken (use [`replace`](VecSecret::replace) to
    /// overwrite on purpose); [`Error::KeyFileIo`] naming the step that failed.
    fn store(&self, path: impl AsRef<Path>) -> Result<(), Error>;

    /// Writes the secret to `path`, mode 0400, atomically replacing the file there (the old
    /// key is lost), or creating it if there is none (see [`SecretVec::replace`]).
    ///
    /// # Errors
    /// [`Error::KeyFileIo`] naming the step that failed.
    fn replace(&self, path: impl AsRef<Path>) -> Result<(), Error>;

    /// The number of values.
    fn len(&self) -> usize;

    /// Whether there are no values.
    fn is_empty(&self) -> bool;
}

impl<X, T: Bytes, S: Storage> VecSecret for X
where
    X: SecretType<Storage = SecretVec<T, S>>,
{
    type Element = T;

    fn new(len: usize, init: impl FnOnce(&mut [T])) -> Result<Self, Error> {
        Self::try_new(len, |values: &mut [T]| {
            init(values);
            Ok::<(), Error>(())
        })
    }

    fn try_new<E: From<Error>>(
        len: usize,
        init: impl FnOnce(&mut [T]) -> Result<(), E>,
    ) -> Result<Self, E> {
        X::__make(|| SecretVec::<T, S>::try_new_in_domain::<X, E>(len, init))
    }

    fn zero(len: usize) -> Result<Self, Error> {
        Self::new(len, |_| {})
    }

    fn random(len: usize) -> Result<Self, Error> {
        Self::new(len, |values| values.randomize())
    }

    fn from_bytes(source: &mut [u8]) -> Result<Self, Error> {
        X::__make(|| SecretVec::<T, S>::from_bytes_in_domain::<X>(source))
    }

    fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        X::__make(|| SecretVec::<T, S>::load_in_domain::<X>(path))
    }

    fn store(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        self.__storage().store(path)
    }

    fn replace(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        self.__storage().replace(path)
    }

    fn len(&self) -> usize {
        self.__storage().len()
    }

    fn is_empty(&self) -> bool {
        self.__storage().is_empty()
    }
}

/// The constructors and length of a secret type over a [`SecretString`]: UTF-8 text, e.g.
/// `struct Passphrase(SecretString)`. Implemented for every such type.
///
/// ```
/// use secrets_core::prelude::*;
///
/// #[derive(Secret)]
/// struct Passphrase(SecretString);
///
/// let mut typed = String::from("correct horse");
/// let passphrase = Passphrase::from_string(&mut typed)?;
/// assert!(typed.is_empty());
/// assert_eq!(passphrase.len(), 13);
/// assert_eq!(&*passphrase.borrow(), "correct horse");
/// # Ok::<(), secrets_core::Error>(())
/// ```
pub trait StringSecret: SecretType {
    /// `len` bytes filled by `init` (they start zeroed), then checked to be UTF-8.
    ///
    /// # Errors
    /// `init`'s error; [`Error::InvalidUtf8`] (converted with `E: From<Error>`) when the bytes
    /// are not UTF-8; [`Error::TooLarge`] or another allocation error.
    fn try_new<E: From<Error>>(
        len: usize,
        init: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Self, E>;

    /// Moves UTF-8 text out of `source`, zeroing it whether or not this succeeds.
    ///
    /// # Errors
    /// [`Error::InvalidUtf8`] if `source` is not UTF-8, or an allocation error.
    fn from_bytes(source: &mut [u8]) -> Result<Self, Error>;

    /// Moves the text of `source` into guarded memory and zeroes `source`'s whole buffer,
    /// whether or not this succeeds.
    ///
    /// # Errors
    /// An allocation error.
    fn from_string(source: &mut String) -> Result<Self, Error>;

    /// The length of the text in bytes.
    fn len(&self) -> usize;

    /// Whether the text is empty.
    fn is_empty(&self) -> bool;
}

impl<X, S: Storage> StringSecret for X
where
    X: SecretType<Storage = SecretString<S>>,
{
    fn try_new<E: From<Error>>(
        len: usize,
        init: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Self, E> {
        X::__make(|| SecretString::<S>::try_new_in_domain::<X, E>(len, init))
    }

    fn from_bytes(source: &mut [u8]) -> Result<Self, Error> {
        X::__make(|| SecretString::<S>::from_bytes_in_domain::<X>(source))
    }

    fn from_string(source: &mut String) -> Result<Self, Error> {
        X::__make(|| SecretString::<S>::from_string_in_domain::<X>(source))
    }

    fn len(&self) -> usize {
        self.__storage().len()
    }

    fn is_empty(&self) -> bool {
        self.__storage().is_empty()
    }
}
