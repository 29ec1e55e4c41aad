//! Benchmarks live in `benches/`; run them with `cargo bench -p secrets-benches`.
//!
//! This library holds the *raw floor* the benches compare against: the libsodium calls and the
//! `memfd_secret(2)` system calls that `secrets-core`'s two backends wrap, with nothing of ours
//! around them. Every method is `#[inline]`, so a floor routine compiles down to the bare FFI
//! calls in the bench binary. [`xchacha_seal`] and [`xchacha_open`] are the raw AEAD calls
//! under `secrets-nonce`.

use std::ptr::NonNull;

use libsodium_sys as ffi;

/// Runs `sodium_init`; call it before any raw libsodium call.
///
/// # Panics
/// If libsodium cannot be initialised.
pub fn init_sodium() {
    // SAFETY: `sodium_init` takes no arguments and is idempotent and thread-safe.
    let ret = unsafe { ffi::sodium_init() };
    assert!(ret >= 0, "sodium_init failed ({ret})");
}

/// A bare `sodium_malloc` allocation, `PROT_NONE` at rest: the floor under `SecretBox` and
/// `SecretVec`. `new` is `sodium_malloc` + `sodium_mprotect_noaccess`, dropping it is
/// `sodium_free`.
pub struct RawGuarded {
    ptr: NonNull<u8>,
    len: usize,
}

impl RawGuarded {
    /// `sodium_malloc(len)` followed by `sodium_mprotect_noaccess`. [`init_sodium`] must have
    /// run.
    ///
    /// # Panics
    /// If either call fails.
    #[inline]
    pub fn new(len: usize) -> Self {
        // SAFETY: `sodium_malloc` accepts any size and returns null on failure.
        let ptr = unsafe { ffi::sodium_malloc(len) };
        let Some(ptr) = NonNull::new(ptr.cast::<u8>()) else {
            panic!("sodium_malloc({len}) failed");
        };
        let raw = RawGuarded { ptr, len };
        raw.close();
        raw
    }

    /// `sodium_malloc(len)`, `init` on the fresh data (readable and writable; libsodium fills
    /// it with `0xdb`), then `sodium_mprotect_noaccess`: the floor under a guarded value that
    /// is written once when it is made, like the plaintext `secrets_nonce::open` returns.
    /// [`init_sodium`] must have run.
    ///
    /// # Panics
    /// If either call fails.
    #[inline]
    pub fn new_with(len: usize, init: impl FnOnce(&mut [u8])) -> Self {
        // SAFETY: `sodium_malloc` accepts any size and returns null on failure.
        let ptr = unsafe { ffi::sodium_malloc(len) };
        let Some(ptr) = NonNull::new(ptr.cast::<u8>()) else {
            panic!("sodium_malloc({len}) failed");
        };
        let raw = RawGuarded { ptr, len };
        // SAFETY: a fresh `sodium_malloc` allocation is `len` bytes, readable and writable,
        // and only ours; the slice ends with this call, before `close` takes the access away.
        init(unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), len) });
        raw.close();
        raw
    }

    /// `sodium_mprotect_readonly`: the data may be read until [`close`](Self::close).
    ///
    /// # Panics
    /// If the call fails.
    #[inline]
    pub fn open_read(&self) {
        // SAFETY: `ptr` is a live `sodium_malloc` pointer.
        let ret = unsafe { ffi::sodium_mprotect_readonly(self.ptr.as_ptr().cast()) };
        assert_eq!(ret, 0, "sodium_mprotect_readonly failed");
    }

    /// `sodium_mprotect_noaccess`: any access to the data faults from now on.
    ///
    /// # Panics
    /// If the call fails.
    #[inline]
    pub fn close(&self) {
        // SAFETY: `ptr` is a live `sodium_malloc` pointer; this type hands out no references
        // into the data, only a raw pointer.
        let ret = unsafe { ffi::sodium_mprotect_noaccess(self.ptr.as_ptr().cast()) };
        assert_eq!(ret, 0, "sodium_mprotect_noaccess failed");
    }

    /// The first byte of the data: readable only between [`open_read`](Self::open_read) and
    /// [`close`](Self::close).
    #[inline]
    pub fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    /// Runs `f` on the data between [`open_read`](Self::open_read) and [`close`](Self::close):
    /// `sodium_mprotect_readonly` + `f` + `sodium_mprotect_noaccess`.
    ///
    /// # Panics
    /// If either call fails.
    #[inline]
    pub fn read<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        self.open_read();
        // SAFETY: the data is `len` bytes, readable until `close`, and only read through this
        // slice, which `f` cannot keep (it borrows from this call).
        let value = f(unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) });
        self.close();
        value
    }

    /// The data's length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the data is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for RawGuarded {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `sodium_malloc` and is freed only here, once. `sodium_free`
        // makes the pages writable itself.
        unsafe { ffi::sodium_free(self.ptr.as_ptr().cast()) }
    }
}

/// The nonce length of XChaCha20-Poly1305, in bytes.
pub const XCHACHA_NONCE_LEN: usize = 24;
/// The authentication tag of the libsodium AEADs, in bytes.
pub const AEAD_TAG_LEN: usize = 16;

/// The raw floor under `secrets_nonce::seal` with XChaCha20-Poly1305: `randombytes_buf` for a
/// 24-byte nonce, a `Vec` of `plaintext.len() + 16` bytes (allocated, not zeroed, as a C
/// caller would `malloc` it) and `crypto_aead_xchacha20poly1305_ietf_encrypt` into it.
/// [`init_sodium`] must have run.
///
/// # Panics
/// If libsodium refuses (it cannot for these lengths).
#[inline]
pub fn xchacha_seal(
    key: &[u8; 32],
    aad: &[u8],
    plaintext: &[u8],
) -> ([u8; XCHACHA_NONCE_LEN], Vec<u8>) {
    raw_seal(
        ffi::crypto_aead_xchacha20poly1305_ietf_encrypt,
        AEAD_TAG_LEN,
        key,
        aad,
        plaintext,
    )
}

/// libsodium's `crypto_aead_*_encrypt` and `crypto_aead_*_decrypt`, one signature each for
/// every AEAD.
type Encrypt = unsafe extern "C" fn(
    *mut u8,
    *mut u64,
    *const u8,
    u64,
    *const u8,
    u64,
    *const u8,
    *const u8,
    *const u8,
) -> libc::c_int;
type Decrypt = unsafe extern "C" fn(
    *mut u8,
    *mut u64,
    *mut u8,
    *const u8,
    u64,
    *const u8,
    u64,
    *const u8,
    *const u8,
) -> libc::c_int;

/// A random `NONCE`-byte nonce, a `Vec` of `plaintext.len() + tag_len` bytes (allocated, not
/// zeroed) and `encrypt` into it. Inlined into each caller, where `encrypt` is a constant, so
/// the floor makes the direct call a C program would.
#[inline(always)]
fn raw_seal<const NONCE: usize>(
    encrypt: Encrypt,
    tag_len: usize,
    key: &[u8; 32],
    aad: &[u8],
    plaintext: &[u8],
) -> ([u8; NONCE], Vec<u8>) {
    let mut nonce = [0u8; NONCE];
    // SAFETY: `nonce` is writable for its whole length.
    unsafe { ffi::randombytes_buf(nonce.as_mut_ptr().cast(), nonce.len()) };
    let mut ciphertext = Vec::<u8>::with_capacity(plaintext.len() + tag_len);
    let mut written = 0u64;
    // SAFETY: `ciphertext` has room for the plaintext and the tag (`tag_len` is the
    // algorithm's); the other buffers are valid for the lengths passed with them, the key is
    // 32 bytes and the nonce `NONCE`, the algorithm's; `nsec` is unused and may be null.
    let ret = unsafe {
        encrypt(
            ciphertext.as_mut_ptr(),
            &mut written,
            plaintext.as_ptr(),
            plaintext.len() as u64,
            aad.as_ptr(),
            aad.len() as u64,
            std::ptr::null(),
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    assert!(
        ret == 0 && written as usize == plaintext.len() + tag_len,
        "the raw encryption failed"
    );
    // SAFETY: libsodium wrote all `written` bytes, which fit the capacity.
    unsafe { ciphertext.set_len(written as usize) };
    (nonce, ciphertext)
}

/// `decrypt` of `ciphertext` into `out`, which must be `tag_len` bytes shorter. Inlined as
/// [`raw_seal`] is.
#[inline(always)]
fn raw_open(
    decrypt: Decrypt,
    tag_len: usize,
    key: &[u8; 32],
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    out: &mut [u8],
) {
    assert_eq!(ciphertext.len(), out.len() + tag_len, "wrong lengths");
    let mut written = 0u64;
    // SAFETY: `out` has exactly the room the plaintext needs (checked above); the other
    // buffers are valid for the lengths passed with them, the key is 32 bytes and the nonce
    // the algorithm's length (each caller's array type); `nsec` is unused and may be null.
    let ret = unsafe {
        decrypt(
            out.as_mut_ptr(),
            &mut written,
            std::ptr::null_mut(),
            ciphertext.as_ptr(),
            ciphertext.len() as u64,
            aad.as_ptr(),
            aad.len() as u64,
            nonce.as_ptr(),
            key.as_ptr(),
        )
    };
    assert!(
        ret == 0 && written as usize == out.len(),
        "the raw decryption failed"
    );
}

/// The raw floor under `secrets_nonce::open` with XChaCha20-Poly1305:
/// `crypto_aead_xchacha20poly1305_ietf_decrypt` of `ciphertext` into `out`
/// (`ciphertext.len() - 16` bytes). [`init_sodium`] must have run.
///
/// # Panics
/// If the lengths are wrong or the ciphertext does not authenticate.
#[inline]
pub fn xchacha_open(
    key: &[u8; 32],
    nonce: &[u8; XCHACHA_NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
    out: &mut [u8],
) {
    raw_open(
        ffi::crypto_aead_xchacha20poly1305_ietf_decrypt,
        AEAD_TAG_LEN,
        key,
        nonce,
        aad,
        ciphertext,
        out,
    );
}

/// A bare `memfd_secret(2)` page, `PROT_NONE` at rest: the floor under `SecretBox` with
/// `Backend::MemfdSecret`. `new` is `memfd_secret` + `ftruncate` + `mmap(MAP_SHARED)` + the
/// first write (which faults the page in, out of the kernel's direct map) + `mprotect(PROT_NONE)`;
/// dropping it is `munmap` + `close`. No guard pages, canary or `MADV_DONTFORK`: those are what
/// `secrets-core` adds, and what the ratio measures. Linux and Android only.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub struct RawSecretMem {
    fd: libc::c_int,
    map: NonNull<u8>,
    map_len: usize,
    len: usize,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
impl RawSecretMem {
    /// Maps `len` bytes (rounded up to whole pages) of secret memory and writes zeros over the
    /// last `len` bytes, where `secrets-core` puts the data.
    ///
    /// # Panics
    /// If any call fails, for instance on a kernel without `memfd_secret`.
    #[inline]
    pub fn new(len: usize) -> Self {
        // SAFETY: `sysconf` has no memory-safety preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let map_len = len.div_ceil(page).max(1) * page;
        let fd = memfd_secret().unwrap_or_else(|err| panic!("memfd_secret failed: {err}"));
        // SAFETY: `fd` is the descriptor just created.
        let ret = unsafe { libc::ftruncate(fd, map_len as libc::off_t) };
        assert_eq!(
            ret,
            0,
            "ftruncate failed: {}",
            std::io::Error::last_os_error()
        );
        // SAFETY: a fresh shared mapping of our own file at an address of the kernel's choosing.
        let map = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        assert_ne!(
            map,
            libc::MAP_FAILED,
            "mmap failed: {}",
            std::io::Error::last_os_error()
        );
        let Some(map) = NonNull::new(map.cast::<u8>()) else {
            panic!("mmap returned null");
        };
        let raw = RawSecretMem {
            fd,
            map,
            map_len,
            len,
        };
        // SAFETY: the mapping is `map_len >= len` bytes, readable and writable, and only ours.
        unsafe { raw.as_ptr().cast_mut().write_bytes(0, len) };
        raw.close();
        raw
    }

    /// `mprotect(PROT_READ)`: the data may be read until [`close`](Self::close).
    ///
    /// # Panics
    /// If the call fails.
    #[inline]
    pub fn open_read(&self) {
        self.protect(libc::PROT_READ);
    }

    /// `mprotect(PROT_NONE)`: any access to the data faults from now on.
    ///
    /// # Panics
    /// If the call fails.
    #[inline]
    pub fn close(&self) {
        self.protect(libc::PROT_NONE);
    }

    #[inline]
    fn protect(&self, prot: libc::c_int) {
        // SAFETY: the whole mapping is ours; this type hands out no references into it, only a
        // raw pointer.
        let ret = unsafe { libc::mprotect(self.map.as_ptr().cast(), self.map_len, prot) };
        assert_eq!(
            ret,
            0,
            "mprotect failed: {}",
            std::io::Error::last_os_error()
        );
    }

    /// The first byte of the data (the last `len` bytes of the mapping): readable only between
    /// [`open_read`](Self::open_read) and [`close`](Self::close).
    #[inline]
    pub fn as_ptr(&self) -> *const u8 {
        // SAFETY: `map_len - len` is within the mapping.
        unsafe { self.map.as_ptr().add(self.map_len - self.len) }
    }

    /// The data's length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the data is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A new `memfd_secret(2)` descriptor (close-on-exec).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn memfd_secret() -> std::io::Result<libc::c_int> {
    // SAFETY: `memfd_secret(flags)` takes one integer and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_memfd_secret, libc::O_CLOEXEC as libc::c_uint) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(fd as libc::c_int)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
impl Drop for RawSecretMem {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the mapping was made in `new` and is released only here, once; nothing
        // points into it any more.
        unsafe { libc::munmap(self.map.as_ptr().cast(), self.map_len) };
        // SAFETY: the descriptor was opened in `new` and is closed only here, once.
        unsafe { libc::close(self.fd) };
    }
}

/// The start of a bench's `main`: chooses the backend named in the environment variable `var`
/// (`sodium` or `memfd_secret`) with `set_backend`, before any secret exists (the machine's
/// default if `var` is not set), runs [`init_sodium`], and returns the active backend. Used by
/// `pooled.rs` (`POOLED_BENCH_BACKEND`) and `sealed.rs` (`SEALED_BENCH_BACKEND`).
///
/// # Panics
/// If `var` names another backend, or the backend cannot be chosen.
pub fn init_with_backend_from_env(var: &str) -> secrets_core::Backend {
    use secrets_core::{set_backend, Backend};
    match std::env::var(var).as_deref() {
        Ok("sodium") => set_backend(Backend::Sodium).expect("set_backend(Backend::Sodium)"),
        Ok("memfd_secret") => {
            set_backend(Backend::MemfdSecret).expect("set_backend(Backend::MemfdSecret)")
        }
        Ok(other) => panic!("{var} must be `sodium` or `memfd_secret`, not `{other}`"),
        Err(_) => {}
    }
    init_sodium();
    secrets_core::active_backend()
}

/// A bare page of the active backend, `PROT_NONE` at rest: a [`RawSecretMem`] page under
/// `Backend::MemfdSecret`, a [`RawGuarded`] allocation otherwise. Used by `pooled.rs` (the raw
/// floor under a dedicated 32-byte box) and `sealed.rs` (a stand-in for the key page). Each
/// method matches once, then makes the bare calls of that backend.
pub enum RawPage {
    /// A bare `memfd_secret` page (a Linux system call).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    SecretMem(RawSecretMem),
    /// A bare `sodium_malloc` allocation.
    Sodium(RawGuarded),
}

impl RawPage {
    /// `len` bytes of the active backend's raw memory (see [`RawSecretMem::new`] and
    /// [`RawGuarded::new`]).
    ///
    /// # Panics
    /// If the memory cannot be had.
    #[inline]
    pub fn new(len: usize) -> RawPage {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if matches!(
            secrets_core::active_backend(),
            secrets_core::Backend::MemfdSecret
        ) {
            return RawPage::SecretMem(RawSecretMem::new(len));
        }
        RawPage::Sodium(RawGuarded::new(len))
    }

    /// Opens the data read-only, reads its first byte, closes it again: a dedicated borrow's
    /// floor.
    #[inline]
    pub fn read_first(&self) -> u8 {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            RawPage::SecretMem(raw) => {
                raw.open_read();
                // SAFETY: the mapping is live, at least one byte long, and readable until
                // `close`.
                let byte = unsafe { raw.as_ptr().read() };
                raw.close();
                byte
            }
            RawPage::Sodium(raw) => {
                raw.open_read();
                // SAFETY: the allocation is live, at least one byte long, and readable until
                // `close`.
                let byte = unsafe { raw.as_ptr().read() };
                raw.close();
                byte
            }
        }
    }

    /// `mprotect` R, then `PROT_NONE` again, as the key page is around an unseal.
    #[inline]
    pub fn open_and_close(&self) {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            RawPage::SecretMem(raw) => {
                raw.open_read();
                raw.close();
            }
            RawPage::Sodium(raw) => {
                raw.open_read();
                raw.close();
            }
        }
    }
}

/// Makes a `SecretBox::<[u8; 32], S>::zero_in(storage)` and drops it, through `black_box`: the
/// timed side of the new+drop rows of `pooled.rs` (`pooled_new_drop_32B`) and `sealed.rs`
/// (`sealed_new_drop_32B`).
///
/// # Panics
/// If the box cannot be made.
#[inline]
pub fn new_drop_32<S: secrets_core::Storage>(storage: S) {
    drop(std::hint::black_box(
        secrets_core::SecretBox::<[u8; 32], S>::zero_in(storage).expect("SecretBox::zero_in"),
    ));
}

/// Makes a dedicated `SecretBox::<[u8; 32]>::zero()` and drops it, through `black_box`: the
/// dedicated side of the new+drop rows of `pooled.rs` and `sealed.rs` (with
/// `set_spare_pages(0)`, a fresh box each time).
///
/// # Panics
/// If the box cannot be made.
#[inline]
pub fn dedicated_new_drop_32() {
    drop(std::hint::black_box(
        secrets_core::SecretBox::<[u8; 32]>::zero().expect("SecretBox::zero"),
    ));
}

/// The nonce length of AEGIS-256, in bytes.
pub const AEGIS256_NONCE_LEN: usize = 32;
/// The authentication tag of AEGIS-256, in bytes.
pub const AEGIS256_TAG_LEN: usize = 32;

/// The raw floor under `Sealer::seal` with AEGIS-256 (`benches/aegis.rs`): `randombytes_buf`
/// for a 32-byte nonce, a `Vec` of `plaintext.len() + 32` bytes (allocated, not zeroed) and
/// `crypto_aead_aegis256_encrypt` into it. [`init_sodium`] must have run.
///
/// # Panics
/// If libsodium refuses (it cannot for these lengths).
#[inline]
pub fn aegis256_seal(
    key: &[u8; 32],
    aad: &[u8],
    plaintext: &[u8],
) -> ([u8; AEGIS256_NONCE_LEN], Vec<u8>) {
    raw_seal(
        ffi::crypto_aead_aegis256_encrypt,
        AEGIS256_TAG_LEN,
        key,
        aad,
        plaintext,
    )
}

/// The raw floor under `Sealer::open_into` with AEGIS-256: `crypto_aead_aegis256_decrypt` of
/// `ciphertext` into `out` (`ciphertext.len() - 32` bytes). [`init_sodium`] must have run.
///
/// # Panics
/// If the lengths are wrong or the ciphertext does not authenticate.
#[inline]
pub fn aegis256_open(
    key: &[u8; 32],
    nonce: &[u8; AEGIS256_NONCE_LEN],
    aad: &[u8],
    ciphertext: &[u8],
    out: &mut [u8],
) {
    raw_open(
        ffi::crypto_aead_aegis256_decrypt,
        AEGIS256_TAG_LEN,
        key,
        nonce,
        aad,
        ciphertext,
        out,
    );
}
