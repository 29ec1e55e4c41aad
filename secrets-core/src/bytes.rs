//! The byte traits: which types may live in guarded memory, and what every such type can do.

use std::mem::{align_of, size_of};

use crate::sys::sodium;

/// A type for which every bit pattern of `size_of::<Self>()` bytes is a valid value, with no
/// padding, no pointers and no interior mutability.
///
/// Guarded memory is filled from a CSPRNG, zeroed, compared and copied as raw bytes, and sealed
/// read-only while only shared borrows exist, so only such types may live there. Implemented
/// for the integer primitives, `f32`, `f64`, arrays `[T; N]` of `Bytes` types for every `N`,
/// and by `#[derive(Bytes)]` (feature `derive`) for structs, which checks every condition below
/// at compile time. Implement it with the derive, never by hand: a hidden supertrait makes a
/// hand-written `unsafe impl Bytes` fail to compile.
///
/// Deliberately **not** implemented for `bool`, `char`, references, `NonZero*`, enums or
/// tuples: for each of them some bit patterns are not valid values (a `bool` must be 0 or 1) or
/// the layout has padding, and producing such a value from random bytes is undefined
/// behaviour. The `secrets` crate 1.x implemented it for `bool` and `char`; this crate does not.
/// Nor for `Cell`, `RefCell`, `UnsafeCell` or the atomics: they can be changed through a shared
/// reference, and a `Ref` of a `SecretBox` is a shared reference into read-only pages.
///
/// # Safety
/// It may be implemented only for a `Sized` type that
/// * is valid for every bit pattern of its size,
/// * has no padding bytes (so reading it as bytes reads only initialised memory),
/// * contains no references or pointers, and has no `Drop` glue (guarded memory is zeroed,
///   never dropped in place),
/// * contains no `UnsafeCell` anywhere inside it, directly or in any field: no interior
///   mutability (`Cell`, `RefCell`, `OnceCell`, atomics, `Mutex`...). A `Ref` hands out `&T`
///   while the pages are mapped read-only, so a write through `&T` (`Cell::set`) would fault:
///   a crash from safe code.
///
/// `#[derive(Bytes)]` checks all of this at compile time for a struct (a generic struct's
/// padding once its parameters are known, when a container or one of the traits below is used
/// with the concrete type; `cargo build` reports it, `cargo check` may not), and is the only
/// supported way to implement it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be kept in guarded memory: it does not implement `Bytes`",
    label = "not every bit pattern is a valid `{Self}`, or it has padding or pointers",
    note = "guarded memory is zeroed, filled from a CSPRNG and compared as raw bytes, so it only \
            holds the integer types, `f32`, `f64`, arrays `[T; N]` of them, and `#[derive(Bytes)]` \
            structs",
    note = "keep a `bool` as a `u8` (0 or 1), a `char` as a `u32` (`char::from_u32` to read it), \
            a `NonZero*` as its integer, an enum as its discriminant, a tuple as an array or a \
            `#[repr(C)]` `#[derive(Bytes)]` struct, and the bytes a reference points to rather \
            than the reference"
)]
pub unsafe trait Bytes: Sized + 'static + ImplementedByDeriveBytes {
    /// A compile-time assertion of the layout rules (no padding, no `Drop`) that
    /// `#[derive(Bytes)]` can only check for a generic struct once its parameters are known.
    ///
    /// Every function of this module that views a `Bytes` value as bytes (or bytes as one)
    /// evaluates it, and every path that treats a `T: Bytes` as bytes (the containers,
    /// [`Zeroable`], [`Randomizable`], [`ConstantEq`], key files) goes through one of them, so
    /// a `T` with padding fails to compile as soon as such a path is instantiated for it. The
    /// failure is a post-monomorphization error: `cargo build` reports it, `cargo check` may
    /// not.
    #[doc(hidden)]
    const LAYOUT_CHECKED: () = ();
}

/// The proof that a `Bytes` impl came from `#[derive(Bytes)]` (or from this crate, for the
/// primitives and arrays): a supertrait of `Bytes` with one hidden method, named so that nobody
/// writes it by accident. A hand-written `unsafe impl Bytes` without it does not compile, and
/// says why.
///
/// The derive checks what a hand-written impl easily gets wrong (padding, interior mutability,
/// invalid bit patterns), so this is not a trait to implement yourself. Not part of the API.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` implements `Bytes` by hand: use `#[derive(Bytes)]` instead",
    label = "`Bytes` may only be implemented by `#[derive(Bytes)]`",
    note = "`#[derive(Bytes)]` checks at compile time what a hand-written `unsafe impl Bytes` \
            easily gets wrong: padding, interior mutability (`Cell`, `UnsafeCell`, atomics, which \
            would write to read-only pages), bit patterns that are not valid values",
    note = "put `#[derive(Bytes)]` and `#[repr(C)]` on the struct and remove the `unsafe impl`"
)]
pub trait ImplementedByDeriveBytes {
    /// Written only by `#[derive(Bytes)]` and by this crate; never call or implement it.
    #[doc(hidden)]
    fn only_derive_is_allowed_to_implement_this_trait();
}

macro_rules! impl_bytes {
    ($($ty:ty),* $(,)?) => {
        $(
            // SAFETY: a primitive integer or float: every bit pattern is a valid value, there
            // is no padding, no pointer, no `Drop` and no interior mutability.
            unsafe impl Bytes for $ty {}

            impl ImplementedByDeriveBytes for $ty {
                fn only_derive_is_allowed_to_implement_this_trait() {}
            }
        )*
    };
}

impl_bytes!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64);

// SAFETY: an array is its elements back to back with no padding between them (size is a
// multiple of alignment for every `T`), so it is valid for every bit pattern when `T` is; it
// holds nothing but `T`s, so it has no pointer, `Drop` or interior mutability that `T` lacks.
unsafe impl<T: Bytes, const N: usize> Bytes for [T; N] {
    const LAYOUT_CHECKED: () = T::LAYOUT_CHECKED;
}

impl<T: Bytes, const N: usize> ImplementedByDeriveBytes for [T; N] {
    fn only_derive_is_allowed_to_implement_this_trait() {}
}

/// Values that can be overwritten with zeros in a way the optimiser will not remove.
pub trait Zeroable {
    /// Sets every byte of `self` to zero.
    ///
    /// ```
    /// use secrets_core::Zeroable;
    /// let mut key = [7u8; 32];
    /// key.zero();
    /// assert_eq!(key, [0u8; 32]);
    /// ```
    fn zero(&mut self);
}

/// Values that can be filled from libsodium's CSPRNG.
pub trait Randomizable {
    /// Overwrites every byte of `self` with bytes from libsodium's CSPRNG (`getrandom(2)`).
    ///
    /// # Panics
    /// If libsodium cannot be initialised: there is then no source of secret randomness.
    ///
    /// ```
    /// use secrets_core::Randomizable;
    /// let mut nonce = [0u64; 3];
    /// nonce.randomize();
    /// assert_ne!(nonce, [0u64; 3]);
    /// ```
    fn randomize(&mut self);
}

/// Equality in time that depends only on the length of the values, never on their contents.
pub trait ConstantEq {
    /// Compares `self` and `other` byte by byte in constant time (`sodium_memcmp`).
    /// Slices of different lengths are unequal; lengths are not treated as secret.
    ///
    /// # Panics
    /// If libsodium cannot be initialised.
    ///
    /// ```
    /// use secrets_core::ConstantEq;
    /// assert!([1u8, 2, 3].constant_eq(&[1, 2, 3]));
    /// assert!(![1u8, 2, 3].constant_eq(&[1, 2, 4]));
    /// ```
    fn constant_eq(&self, other: &Self) -> bool;
}

impl<T: Bytes> Zeroable for T {
    fn zero(&mut self) {
        sodium::memzero(as_bytes_mut(self));
    }
}

impl<T: Bytes> Zeroable for [T] {
    fn zero(&mut self) {
        sodium::memzero(slice_as_bytes_mut(self));
    }
}

impl<T: Bytes> Randomizable for T {
    fn randomize(&mut self) {
        sodium::random_fill(as_bytes_mut(self));
    }
}

impl<T: Bytes> Randomizable for [T] {
    fn randomize(&mut self) {
        sodium::random_fill(slice_as_bytes_mut(self));
    }
}

impl<T: Bytes> ConstantEq for T {
    fn constant_eq(&self, other: &Self) -> bool {
        sodium::memeq(as_bytes(self), as_bytes(other))
    }
}

impl<T: Bytes> ConstantEq for [T] {
    fn constant_eq(&self, other: &Self) -> bool {
        sodium::memeq(slice_as_bytes(self), slice_as_bytes(other))
    }
}

/// A `Bytes` value with every byte zero.
pub(crate) fn zeroed<T: Bytes>() -> T {
    let () = T::LAYOUT_CHECKED;
    // SAFETY: `T: Bytes` is valid for every bit pattern, all-zero included.
    unsafe { std::mem::zeroed() }
}

/// The bytes of a `Bytes` value.
pub(crate) fn as_bytes<T: Bytes>(value: &T) -> &[u8] {
    let () = T::LAYOUT_CHECKED;
    // SAFETY: `T: Bytes` has no padding, so all `size_of::<T>()` bytes are initialised; the
    // slice borrows `value` and so cannot outlive it.
    unsafe { std::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>()) }
}

/// The bytes of a `Bytes` value, writable.
pub(crate) fn as_bytes_mut<T: Bytes>(value: &mut T) -> &mut [u8] {
    let () = T::LAYOUT_CHECKED;
    // SAFETY: as in `as_bytes`; and since every bit pattern is a valid `T`, any bytes written
    // through the slice leave a valid `T` behind.
    unsafe { std::slice::from_raw_parts_mut((value as *mut T).cast::<u8>(), size_of::<T>()) }
}

/// The bytes of a slice of `Bytes` values.
pub(crate) fn slice_as_bytes<T: Bytes>(values: &[T]) -> &[u8] {
    let () = T::LAYOUT_CHECKED;
    // SAFETY: elements have no padding and lie back to back, so the slice's
    // `size_of_val(values)` bytes are all initialised.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), size_of_val(values)) }
}

/// The bytes of a slice of `Bytes` values, writable.
pub(crate) fn slice_as_bytes_mut<T: Bytes>(values: &mut [T]) -> &mut [u8] {
    let () = T::LAYOUT_CHECKED;
    // SAFETY: as in `slice_as_bytes`, and any bytes written leave valid elements behind.
    unsafe { std::slice::from_raw_parts_mut(values.as_mut_ptr().cast::<u8>(), size_of_val(values)) }
}

/// Views `bytes` as a `T`. `None` if the length or the alignment is wrong.
pub(crate) fn from_bytes<T: Bytes>(bytes: &[u8]) -> Option<&T> {
    let () = T::LAYOUT_CHECKED;
    let fits =
        bytes.len() == size_of::<T>() && (bytes.as_ptr() as usize).is_multiple_of(align_of::<T>());
    // SAFETY: the length and alignment were checked, and every bit pattern is a valid `T`.
    fits.then(|| unsafe { &*bytes.as_ptr().cast::<T>() })
}

/// Views `bytes` as a writable `T`. `None` if the length or the alignment is wrong.
pub(crate) fn from_bytes_mut<T: Bytes>(bytes: &mut [u8]) -> Option<&mut T> {
    let () = T::LAYOUT_CHECKED;
    let fits =
        bytes.len() == size_of::<T>() && (bytes.as_ptr() as usize).is_multiple_of(align_of::<T>());
    // SAFETY: as in `from_bytes`; the result borrows `bytes` exclusively.
    fits.then(|| unsafe { &mut *bytes.as_mut_ptr().cast::<T>() })
}

/// Views `bytes` as a slice of `T`. `None` if the length is not a multiple of the element size
/// or the alignment is wrong. Zero-sized `T` is not supported (`None` unless `bytes` is empty).
pub(crate) fn slice_from_bytes<T: Bytes>(bytes: &[u8]) -> Option<&[T]> {
    let () = T::LAYOUT_CHECKED;
    let size = size_of::<T>();
    let fits = size != 0
        && bytes.len().is_multiple_of(size)
        && (bytes.as_ptr() as usize).is_multiple_of(align_of::<T>());
    // SAFETY: length and alignment were checked, and every bit pattern is a valid `T`.
    fits.then(|| unsafe {
        std::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), bytes.len() / size)
    })
}

/// Views `bytes` as a writable slice of `T`, on the same terms as [`slice_from_bytes`].
pub(crate) fn slice_from_bytes_mut<T: Bytes>(bytes: &mut [u8]) -> Option<&mut [T]> {
    let () = T::LAYOUT_CHECKED;
    let size = size_of::<T>();
    let fits = size != 0
        && bytes.len().is_multiple_of(size)
        && (bytes.as_ptr() as usize).is_multiple_of(align_of::<T>());
    // SAFETY: as in `slice_from_bytes`; the result borrows `bytes` exclusively.
    fits.then(|| unsafe {
        std::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast::<T>(), bytes.len() / size)
    })
}

/// Guarded data is placed at the end of a page, and `size_of::<T>()` is a multiple of
/// `align_of::<T>()`, which the containers bound by the page size at compile time: the data is
/// always aligned for `T`, and this is never reached.
pub(crate) fn misaligned<T>() -> ! {
    panic!(
        "secrets: guarded memory for `{}` is not aligned for it; the layout guarantee is broken",
        std::any::type_name::<T>()
    )
}
