//! libsodium through `libsodium-sys-stable` (the bundled, signature-checked 1.0.22 build).

use std::sync::OnceLock;

use libsodium_sys as ffi;

/// libsodium could not be initialised (`sodium_init` failed): there is no CSPRNG.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NotInitialised;

/// Runs `sodium_init` once per process. libsodium must be initialised before its CSPRNG or its
/// guarded heap is used; `sodium_init` is itself idempotent and thread-safe, the `OnceLock` only
/// saves the call.
#[inline]
pub(crate) fn init() -> Result<(), NotInitialised> {
    static READY: OnceLock<bool> = OnceLock::new();
    // SAFETY: `sodium_init` takes no arguments and may be called from any thread at any time.
    let ready = *READY.get_or_init(|| unsafe { ffi::sodium_init() } >= 0);
    if ready {
        Ok(())
    } else {
        Err(NotInitialised)
    }
}

/// Like [`init`], for callers that cannot report an error: without libsodium there is no CSPRNG
/// and no constant-time compare, so no guarantee of this crate can be kept.
#[inline]
pub(crate) fn init_or_panic() {
    if init().is_err() {
        panic!("secrets: libsodium could not be initialised, so there is no CSPRNG to draw secrets from");
    }
}

/// How many bytes of stack below its caller `scrub_stack` zeroes after each kind of
/// libsodium call.
///
/// libsodium clears its own key schedules and MAC states but not every buffer on its stack:
/// BLAKE2b's final block (so `crypto_kdf_derive_from_key` and `crypto_pwhash` leave the derived
/// key), AES-256-GCM's last partial block (the plaintext, also when the tag does not verify),
/// and ChaCha20's keystream and plaintext blocks stay in dead frames. Each size is what the
/// call was measured to write below the Rust function that makes it (x86-64 with AVX2,
/// libsodium 1.0.22), rounded up with room to spare; `tests/stack_residue.rs` measures every
/// call again on each run and fails if one writes deeper than its size here (`.ci/run` runs it
/// in both profiles).
///
/// How deep libsodium writes depends on how it was compiled: `libsodium-sys-stable` builds it
/// with the optimisation level of the Cargo profile, and at `-O0` every SIMD register is
/// spilled to the stack (ChaCha20 then writes 62 KiB, against under 3 KiB optimised). So the
/// sizes come in two sets, chosen when this crate is built: the large one for unoptimised
/// builds (`opt-level = 0`, or debug assertions on), the small one otherwise. Zeroing costs
/// about a nanosecond per 100 bytes (the stack is in cache), so the small set adds about
/// 40 ns to a seal and the large one about 750 ns. A build that optimises this crate but
/// compiles libsodium at `-O0` (a per-package profile override) would scrub too little: the
/// README's limits say so.
pub mod scrub {
    /// Whether this build takes the sizes measured with libsodium compiled at `-O0`.
    const UNOPTIMISED: bool = cfg!(debug_assertions) || cfg!(secrets_opt_level_0);

    /// `crypto_kdf_derive_from_key` (BLAKE2b): measured 1,248 bytes optimised, 32,912 at `-O0`.
    pub const KDF: usize = if UNOPTIMISED { 48 * 1024 } else { 4 * 1024 };
    /// `crypto_pwhash` with Argon2id: measured 6,400 bytes optimised, 35,520 at `-O0` (its
    /// memory is on the heap; its BLAKE2b calls are on the stack).
    pub const ARGON2ID: usize = if UNOPTIMISED { 48 * 1024 } else { 16 * 1024 };
    /// ChaCha20-Poly1305-IETF and XChaCha20-Poly1305, sealing or opening: measured up to 2,752
    /// bytes optimised, 62,376 at `-O0`.
    pub const CHACHA20_POLY1305: usize = if UNOPTIMISED { 80 * 1024 } else { 4 * 1024 };
    /// AES-256-GCM, sealing or opening: measured up to 2,656 bytes optimised, 2,568 at `-O0`.
    pub const AES256_GCM: usize = if UNOPTIMISED { 8 * 1024 } else { 4 * 1024 };
    /// AEGIS-256, sealing or opening: its state (from which the message's keystream and tag
    /// follow) and its last partial block of plaintext. Measured up to 420 bytes optimised,
    /// 1,448 at `-O0`. Kept close to the measure: the zeroing is a quarter of the cost of
    /// sealing 64 bytes with 4 KiB.
    pub const AEGIS256: usize = if UNOPTIMISED { 4 * 1024 } else { 1024 };
}

/// Zeroes `len` bytes of stack below the caller's frame (`sodium_stackzero`): where the
/// libsodium call the caller just made had its frames. Call it right after that call, from
/// the same function, on every path, with the size [`scrub`] gives for that call.
#[inline]
pub(crate) fn scrub_stack(len: usize) {
    // SAFETY: `sodium_stackzero(len)` declares a `len`-byte array in its own frame (below its
    // caller's) and zeroes it with `sodium_memzero`; it reads nothing. `len` is one of the
    // sizes of `scrub`, which the stack has room for (see there).
    unsafe { ffi::sodium_stackzero(len) }
}

/// Fills `buf` from libsodium's CSPRNG (`getrandom(2)` on Linux).
pub(crate) fn random_fill(buf: &mut [u8]) {
    init_or_panic();
    // SAFETY: `buf` is a valid, writable region of `buf.len()` bytes for the whole call.
    unsafe { ffi::randombytes_buf(buf.as_mut_ptr().cast(), buf.len()) }
}

/// Zeroes `buf` in a way the optimiser may not remove (`sodium_memzero` is an opaque call that
/// uses `explicit_bzero` or volatile stores).
#[inline]
pub(crate) fn memzero(buf: &mut [u8]) {
    // SAFETY: `buf` is a valid, writable region of `buf.len()` bytes for the whole call.
    // `sodium_memzero` needs no initialisation.
    unsafe { ffi::sodium_memzero(buf.as_mut_ptr().cast(), buf.len()) }
}

/// Compares two byte strings of equal length in time that depends only on the length.
/// Strings of different lengths are unequal; their lengths are not secret.
#[inline]
pub(crate) fn memeq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // SAFETY: both regions are valid for reads of `a.len()` bytes for the whole call.
    // `sodium_memcmp` reads no libsodium state, so it needs no `sodium_init`.
    unsafe { ffi::sodium_memcmp(a.as_ptr().cast(), b.as_ptr().cast(), a.len()) == 0 }
}

/// `sodium_malloc(len)`: guard pages, canary, `mlock`, `MADV_DONTDUMP`, data at the end of its
/// page. Returns the user pointer or the `errno` of the failed `mmap`. libsodium ignores the
/// failures of its guard-page `mprotect`s and of `mlock`: the placement layer
/// (`heap/sodium.rs`) checks them.
pub(crate) fn malloc(len: usize) -> Result<*mut u8, i32> {
    // SAFETY: `sodium_malloc` accepts any size (it fails with ENOMEM on overflow); `init` has
    // run, as the caller of this crate-private function ensures.
    let ptr = unsafe { ffi::sodium_malloc(len) };
    if ptr.is_null() {
        // Read here rather than through `mem`, which builds on this file.
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(ptr.cast())
    }
}

/// `sodium_free`: makes the whole mapping writable, checks the canary, zeroes and unlocks the
/// data pages, and unmaps everything. A bad canary makes libsodium `raise(SIGSEGV)`; Rust's own
/// SIGSEGV handler declines it (no guard page fault) and libsodium then calls `abort()`, so the
/// process dies of SIGABRT.
///
/// # Safety
/// `ptr` came from [`malloc`] and has not been freed.
pub(crate) unsafe fn free(ptr: *mut u8) {
    // SAFETY: the caller guarantees `ptr` is a live `sodium_malloc` pointer.
    unsafe { ffi::sodium_free(ptr.cast()) }
}

/// libsodium's limits for `crypto_kdf_derive_from_key` and Argon2id, from its headers, so
/// that callers check parameters against the library's own numbers before calling it.
pub(crate) mod limits {
    use libsodium_sys as ffi;

    /// `crypto_kdf_BYTES_MIN`: the shortest subkey.
    pub(crate) const KDF_BYTES_MIN: usize = ffi::crypto_kdf_BYTES_MIN as usize;
    /// `crypto_kdf_BYTES_MAX`: the longest subkey.
    pub(crate) const KDF_BYTES_MAX: usize = ffi::crypto_kdf_BYTES_MAX as usize;
    /// `crypto_kdf_CONTEXTBYTES`.
    pub(crate) const KDF_CONTEXT_BYTES: usize = ffi::crypto_kdf_CONTEXTBYTES as usize;
    /// `crypto_kdf_KEYBYTES`.
    pub(crate) const KDF_KEY_BYTES: usize = ffi::crypto_kdf_KEYBYTES as usize;
    /// `crypto_pwhash_argon2id_SALTBYTES`.
    pub(crate) const ARGON2ID_SALT_BYTES: usize = ffi::crypto_pwhash_argon2id_SALTBYTES as usize;
    /// `crypto_pwhash_argon2id_BYTES_MIN`: the shortest output.
    pub(crate) const ARGON2ID_BYTES_MIN: usize = ffi::crypto_pwhash_argon2id_BYTES_MIN as usize;
    /// `crypto_pwhash_argon2id_OPSLIMIT_MIN`: the fewest passes.
    pub(crate) const ARGON2ID_OPSLIMIT_MIN: u64 = ffi::crypto_pwhash_argon2id_OPSLIMIT_MIN as u64;
    /// `crypto_pwhash_argon2id_OPSLIMIT_MAX`: the most passes.
    pub(crate) const ARGON2ID_OPSLIMIT_MAX: u64 = ffi::crypto_pwhash_argon2id_OPSLIMIT_MAX as u64;
    /// `crypto_pwhash_argon2id_MEMLIMIT_MIN`: the least memory, in bytes.
    pub(crate) const ARGON2ID_MEMLIMIT_MIN: u64 = ffi::crypto_pwhash_argon2id_MEMLIMIT_MIN as u64;
    /// `crypto_pwhash_argon2id_PASSWD_MAX`: the longest password, in bytes.
    pub(crate) const ARGON2ID_PASSWD_MAX: u64 = ffi::crypto_pwhash_argon2id_PASSWD_MAX as u64;

    /// `crypto_pwhash_argon2id_MEMLIMIT_MAX`, which depends on `SIZE_MAX` and so is a function
    /// in the bindings: 4 TiB less 1 KiB on 64-bit targets.
    pub(crate) fn argon2id_memlimit_max() -> u64 {
        // SAFETY: a constant getter: no arguments, no state, callable before `sodium_init`.
        let max = unsafe { ffi::crypto_pwhash_argon2id_memlimit_max() };
        max as u64
    }

    /// `crypto_pwhash_argon2id_BYTES_MAX`, also `SIZE_MAX`-dependent: 2^32 - 1 on 64-bit.
    pub(crate) fn argon2id_bytes_max() -> usize {
        // SAFETY: a constant getter: no arguments, no state, callable before `sodium_init`.
        unsafe { ffi::crypto_pwhash_argon2id_bytes_max() }
    }
}

/// Argon2id (`crypto_pwhash` with `crypto_pwhash_ALG_ARGON2ID13`) of `password` and `salt`
/// into `out`. `Err(errno)` when libsodium fails: with the caller having checked every
/// parameter against [`limits`], that is Argon2id's allocation of `mem_limit` bytes.
pub(crate) fn argon2id(
    out: &mut [u8],
    password: &[u8],
    salt: &[u8; limits::ARGON2ID_SALT_BYTES],
    ops_limit: u64,
    mem_limit: usize,
) -> Result<(), i32> {
    init_or_panic();
    // SAFETY: `out`, `password` and `salt` are valid for their lengths for the whole call;
    // `salt` has crypto_pwhash_argon2id_SALTBYTES bytes; libsodium checks the other limits.
    let ret = unsafe {
        ffi::crypto_pwhash(
            out.as_mut_ptr(),
            out.len() as u64,
            password.as_ptr().cast(),
            password.len() as u64,
            salt.as_ptr(),
            ops_limit,
            mem_limit,
            ffi::crypto_pwhash_ALG_ARGON2ID13 as libc::c_int,
        )
    };
    // Read before anything else can change it.
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    // BLAKE2b's final block, which holds the derived key, is left in a dead frame.
    scrub_stack(scrub::ARGON2ID);
    if ret == 0 {
        Ok(())
    } else {
        Err(errno)
    }
}

/// `crypto_kdf_derive_from_key`: subkey number `id` of `master` in `context`, into `out`
/// (`crypto_kdf_BYTES_MIN..=crypto_kdf_BYTES_MAX` bytes). `Err(())` for any other length.
pub(crate) fn kdf_derive(
    out: &mut [u8],
    id: u64,
    context: &[u8; limits::KDF_CONTEXT_BYTES],
    master: &[u8; limits::KDF_KEY_BYTES],
) -> Result<(), ()> {
    if !(limits::KDF_BYTES_MIN..=limits::KDF_BYTES_MAX).contains(&out.len()) {
        return Err(());
    }
    init_or_panic();
    // SAFETY: `out` has crypto_kdf_BYTES_MIN..=MAX bytes (checked), `context`
    // crypto_kdf_CONTEXTBYTES and `master` crypto_kdf_KEYBYTES, all valid for the whole call.
    let ret = unsafe {
        ffi::crypto_kdf_derive_from_key(
            out.as_mut_ptr(),
            out.len(),
            id,
            context.as_ptr().cast(),
            master.as_ptr(),
        )
    };
    // BLAKE2b's final block, which holds the subkey, is left in a dead frame.
    scrub_stack(scrub::KDF);
    if ret == 0 {
        Ok(())
    } else {
        Err(())
    }
}
