//! Plain memory of a test's own: a private anonymous read-write mapping, the plain memory a
//! control reads, or a buffer the tests keep out of the heap.

/// Maps `len` bytes of private anonymous read-write memory at an address of the kernel's
/// choosing and returns it; `what` names it if `mmap` fails. The caller owns the mapping (and
/// unmaps it with `munmap`). Used by `sealed` (its scan buffer), `pooled` (an inherited plain
/// page, the control of its fork test), `threads` (the naive reader count's page) and
/// `memory_state` (the control page of its `munmap` hook).
///
/// # Panics
/// If `mmap` fails.
pub fn map_anonymous(len: usize, what: &str) -> *mut libc::c_void {
    // SAFETY: a fresh private anonymous mapping at an address of the kernel's choosing overlaps
    // nothing that exists, and nothing refers to it yet.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(
        addr,
        libc::MAP_FAILED,
        "mmap {what}: {}",
        std::io::Error::last_os_error()
    );
    addr
}

/// `MAP_NORESERVE`: reserve no swap for the mapping. FreeBSD has no such flag (it never
/// reserves swap for an anonymous mapping up front), so there it is no flag at all.
#[cfg(not(target_os = "freebsd"))]
const NORESERVE: libc::c_int = libc::MAP_NORESERVE;
#[cfg(target_os = "freebsd")]
const NORESERVE: libc::c_int = 0;

/// `len` bytes of address space that read as zeros, without the memory: a private anonymous
/// read-only mapping with `MAP_NORESERVE`, every page of it the shared zero page, so a slice of
/// many GiB costs nothing until read. For inputs past a length limit that must be refused before
/// they are read (`kdf_limits`). Never unmapped: use it in a child, which exits.
///
/// # Panics
/// If `mmap` fails.
pub fn sparse_zeros(len: usize) -> &'static [u8] {
    // SAFETY: a fresh private anonymous mapping at an address of the kernel's choosing overlaps
    // nothing that exists, and nothing refers to it yet.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | NORESERVE,
            -1,
            0,
        )
    };
    assert_ne!(
        addr,
        libc::MAP_FAILED,
        "mmap {len} sparse bytes: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: the mapping is `len` readable bytes (zero pages), owned by nothing else and never
    // unmapped, so a shared slice of it is valid for the rest of the process.
    unsafe { std::slice::from_raw_parts(addr.cast::<u8>(), len) }
}
