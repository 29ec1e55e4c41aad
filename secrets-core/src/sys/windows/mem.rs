//! The Windows half of `sys/mem.rs`: `VirtualAlloc`, `VirtualProtect`, `VirtualLock` and
//! `QueryWorkingSetEx`, behind the same functions as `posix/mem.rs`. Only type-checked on this
//! project's CI (`.ci/cross-check`); nothing here has run on Windows.
//!
//! What differs from POSIX, and what this file decides:
//! * **At rest, a secret's pages are `PAGE_READONLY`, not `PAGE_NOACCESS`** ([`AT_REST`]).
//!   Windows documents that memory protected with `PAGE_NOACCESS` cannot be locked
//!   (`VirtualLock`), and memguard's authors found that making a locked range `PAGE_NOACCESS`
//!   drops its lock (memguard #79). A secret's pages must stay locked: a page that leaves the
//!   working set can be written to the page file, which outlives the process and is readable
//!   offline. So at rest the pages keep their lock and refuse writes; a stray read inside the
//!   process is not caught there as it is on POSIX systems. Guard pages hold nothing and are
//!   never locked: they stay `PAGE_NOACCESS`.
//! * **The lock limit** is the process's minimum working set (`GetProcessWorkingSetSize`;
//!   `VirtualLock` fails with `ERROR_WORKING_SET_QUOTA` past it, less a small overhead), not an
//!   rlimit; [`memlock_limit`] reports it. Nothing lifts it as `CAP_IPC_LOCK` does on Linux.
//! * **No fork**: a child process starts from a new address space, so nothing is inherited and
//!   [`dont_fork`] has nothing to do; [`forks_seen`] stays 0.
//! * **No per-range exclusion from crash dumps** ([`DONT_DUMP`] is `None`, which
//!   `harden_process()` reports).
//! * `VirtualFree` releases only a whole reservation, from its base: [`unmap`] releases when
//!   it is given exactly that, and otherwise decommits the pages (their contents are discarded
//!   and their lock with them; the address space stays reserved until the whole is unmapped).

use std::sync::OnceLock;

use windows_sys::Win32::Foundation::{SetLastError, ERROR_INVALID_PARAMETER, ERROR_NOT_LOCKED};
use windows_sys::Win32::System::Memory::{
    VirtualAlloc, VirtualFree, VirtualLock, VirtualProtect, VirtualQuery, VirtualUnlock,
    MEMORY_BASIC_INFORMATION, MEM_COMMIT, MEM_DECOMMIT, MEM_RELEASE, MEM_RESERVE, PAGE_NOACCESS,
    PAGE_PROTECTION_FLAGS, PAGE_READONLY, PAGE_READWRITE,
};
use windows_sys::Win32::System::ProcessStatus::{
    K32QueryWorkingSetEx, PSAPI_WORKING_SET_EX_BLOCK, PSAPI_WORKING_SET_EX_INFORMATION,
};
use windows_sys::Win32::System::SystemInformation::{
    GetSystemInfo, GlobalMemoryStatusEx, MEMORYSTATUSEX, SYSTEM_INFO,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetCurrentProcessId, GetProcessWorkingSetSize,
};

use super::{errno, Access};

/// What a secret's pages are between accesses: readable, not writable, and still locked
/// (see the module docs for why not `PAGE_NOACCESS`).
pub(crate) const AT_REST: Access = Access::Read;

fn protection(access: Access) -> PAGE_PROTECTION_FLAGS {
    match access {
        Access::None => PAGE_NOACCESS,
        Access::Read => PAGE_READONLY,
        Access::ReadWrite => PAGE_READWRITE,
    }
}

/// `Ok(())` if a Win32 call returned a nonzero `BOOL`, its `GetLastError` otherwise.
fn check(ret: i32) -> Result<(), i32> {
    if ret != 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// The size of a memory page (`GetSystemInfo`), read once.
pub(crate) fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: SYSTEM_INFO is plain data (integers, pointers and a union of integers), for
        // which all zeros is a valid value.
        let mut info: SYSTEM_INFO = unsafe { std::mem::zeroed() };
        // SAFETY: `GetSystemInfo` fills the structure it is given and cannot fail.
        unsafe { GetSystemInfo(&mut info) };
        usize::try_from(info.dwPageSize)
            .ok()
            .filter(|s| s.is_power_of_two())
            .unwrap_or(4096)
    })
}

/// The machine's physical memory in bytes (`GlobalMemoryStatusEx`), read once; `None` if
/// Windows does not say.
pub(crate) fn physical_memory() -> Option<usize> {
    static PHYS: OnceLock<Option<usize>> = OnceLock::new();
    *PHYS.get_or_init(|| {
        // SAFETY: MEMORYSTATUSEX is plain integers; all zeros is a valid value.
        let mut status: MEMORYSTATUSEX = unsafe { std::mem::zeroed() };
        status.dwLength = u32::try_from(std::mem::size_of::<MEMORYSTATUSEX>()).ok()?;
        // SAFETY: `status` is a MEMORYSTATUSEX with `dwLength` set, as the call requires.
        check(unsafe { GlobalMemoryStatusEx(&mut status) }).ok()?;
        usize::try_from(status.ullTotalPhys)
            .ok()
            .filter(|&bytes| bytes > 0)
    })
}

/// Sets the calling thread's last error to zero (`SetLastError(0)`).
pub(crate) fn clear_errno() {
    // SAFETY: `SetLastError` only writes the calling thread's last-error value.
    unsafe { SetLastError(0) }
}

/// Sets the protection of the pages `[addr, addr + len)` (`VirtualProtect`).
///
/// # Safety
/// The range is page aligned and lies inside one reservation the caller owns; while it is
/// `Access::None` or `Access::Read`, nothing may write it, and while it is `Access::None`,
/// nothing may read it.
pub(crate) unsafe fn protect(addr: usize, len: usize, access: Access) -> Result<(), i32> {
    let mut old = 0;
    // SAFETY: the caller owns the committed range and guarantees no access conflicts with the
    // new protection; `VirtualProtect` changes only page permissions, and writes the old
    // protection to `old`, a valid `u32`.
    check(unsafe { VirtualProtect(addr as *const _, len, protection(access), &mut old) })
}

/// Reserves `len` bytes (whole pages) of address space, `PAGE_NOACCESS` and not committed: it
/// costs neither RAM nor commit charge nor lock (`VirtualAlloc(MEM_RESERVE)`). Windows places
/// it at a multiple of the allocation granularity (64 KiB).
pub(crate) fn reserve(len: usize) -> Result<usize, i32> {
    // SAFETY: a new reservation at an address of Windows' choosing touches no existing memory.
    let addr = unsafe { VirtualAlloc(std::ptr::null(), len, MEM_RESERVE, PAGE_NOACCESS) };
    if addr.is_null() {
        Err(errno())
    } else {
        Ok(addr as usize)
    }
}

/// Replaces `[addr, addr + len)` (whole pages inside a reservation of the caller's) with fresh
/// pages, readable, writable and zero: the range is decommitted (whatever it held is
/// discarded, which does not fail for pages never committed) and committed again.
///
/// # Safety
/// The range lies inside a reservation the caller owns, and nothing refers to it.
pub(crate) unsafe fn map_anonymous_at(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: the caller owns the range and nothing refers to it, so discarding its pages
    // affects no one.
    check(unsafe { VirtualFree(addr as *mut _, len, MEM_DECOMMIT) })?;
    // SAFETY: commits pages of the caller's own reservation; Windows gives them zeroed.
    let committed = unsafe { VirtualAlloc(addr as *const _, len, MEM_COMMIT, PAGE_READWRITE) };
    if committed.is_null() {
        Err(errno())
    } else {
        Ok(())
    }
}

/// The `MEMORY_BASIC_INFORMATION` of the pages from `addr` on that share its state, or
/// `None` if `VirtualQuery` fails.
fn query(addr: usize) -> Option<MEMORY_BASIC_INFORMATION> {
    // SAFETY: MEMORY_BASIC_INFORMATION is plain integers and pointers; all zeros is valid.
    let mut info: MEMORY_BASIC_INFORMATION = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<MEMORY_BASIC_INFORMATION>();
    // SAFETY: `VirtualQuery` only reads the process's page tables and writes at most `size`
    // bytes to `info`, which is that large.
    let written = unsafe { VirtualQuery(addr as *const _, &mut info, size) };
    (written == size).then_some(info)
}

/// The length of the reservation that starts at `base`: the regions `VirtualQuery` reports
/// from `base` on for as long as their allocation base is `base`.
fn reservation_len(base: usize) -> Option<usize> {
    let mut end = base;
    loop {
        match query(end) {
            Some(info) if info.AllocationBase as usize == base && info.RegionSize > 0 => {
                end = end.checked_add(info.RegionSize)?;
            }
            _ => return Some(end - base),
        }
    }
}

/// Unmaps `[addr, addr + len)`: releases the reservation when the range is all of one
/// (`VirtualFree(MEM_RELEASE)`), and otherwise decommits its pages (`MEM_DECOMMIT`).
///
/// # Safety
/// The range is mapped, owned by the caller, and nothing refers to it or uses it afterwards.
pub(crate) unsafe fn unmap(addr: usize, len: usize) {
    let whole = query(addr).is_some_and(|info| info.AllocationBase as usize == addr)
        && reservation_len(addr) == Some(len);
    if whole {
        // SAFETY: `addr` is the base of a reservation of exactly `len` bytes, all of it the
        // caller's and unused; MEM_RELEASE requires the base and a size of 0.
        unsafe { VirtualFree(addr as *mut _, 0, MEM_RELEASE) };
    } else {
        // SAFETY: the caller owns the unused range; decommitting discards its pages and
        // leaves the addresses reserved. A failure leaves nothing to do.
        unsafe { VirtualFree(addr as *mut _, len, MEM_DECOMMIT) };
    }
}

/// Locks the pages of `[addr, addr + len)` into the working set (`VirtualLock`; they are
/// also faulted in). Fails with `ERROR_WORKING_SET_QUOTA` past the minimum working set.
pub(crate) fn lock(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: `VirtualLock` does not access the memory on the program's behalf; it fails for
    // pages that are not committed or are `PAGE_NOACCESS`.
    check(unsafe { VirtualLock(addr as *const _, len) })
}

/// Unlocks the pages of `[addr, addr + len)` (`VirtualUnlock`). Pages that were not locked
/// are not an error (`ERROR_NOT_LOCKED`), as with `munlock`: afterwards none is locked.
pub(crate) fn unlock(addr: usize, len: usize) -> Result<(), i32> {
    // SAFETY: as for `lock`; unlocking never affects memory contents.
    match check(unsafe { VirtualUnlock(addr as *const _, len) }) {
        Err(code) if code == ERROR_NOT_LOCKED as i32 => Ok(()),
        result => result,
    }
}

/// Windows cannot leave a range out of crash dumps.
pub(crate) const DONT_DUMP: Option<&str> = None;

/// Does nothing: Windows has no per-range dump exclusion. [`DONT_DUMP`] is `None`, which
/// `harden_process()` reports.
pub(crate) fn dont_dump(_addr: usize, _len: usize) -> Result<(), i32> {
    Ok(())
}

/// What keeps a range out of child processes on Windows: nothing needs to (there is no fork).
pub(crate) const DONT_FORK: &str = "no fork on Windows";

/// Does nothing: a Windows child process never inherits its parent's memory.
pub(crate) fn dont_fork(_addr: usize, _len: usize) -> Result<(), i32> {
    Ok(())
}

/// What makes the kernel zero locked pages whose mapping goes away while they are still
/// locked: nothing to ask for here (macOS's `MADV_ZERO_WIRED_PAGES`).
pub(crate) const ZERO_WIRED: Option<&str> = None;

/// Does nothing: there is no such advice here ([`ZERO_WIRED`] is `None`). Guarded memory is
/// zeroed by this crate before it is released; a crash skips that on every OS but macOS.
pub(crate) fn zero_wired(_addr: usize, _len: usize) -> Result<(), i32> {
    Ok(())
}

/// Bit 0 of a working-set entry (`Valid`): the page is in the working set.
const WORKING_SET_VALID: usize = 1;
/// Bit 22 of a valid working-set entry (`Locked`, after `Valid:1`, `ShareCount:3`,
/// `Win32Protection:11`, `Shared:1`, `Node:6` in `PSAPI_WORKING_SET_EX_BLOCK`): the page is
/// locked (`VirtualLock`).
const WORKING_SET_LOCKED: usize = 1 << 22;

/// Whether the page at `page` is locked: the `Locked` bit of its entry in the process's working
/// set (`QueryWorkingSetEx`). Windows keeps no count of locks either (one `VirtualUnlock`
/// undoes any number of `VirtualLock`s), so a stack `Secret` needs this as on Linux;
/// `sys/stacklock.rs` checks once that the answer is true.
pub(crate) fn is_locked(page: usize, _len: usize) -> Result<bool, i32> {
    let mut info = PSAPI_WORKING_SET_EX_INFORMATION {
        VirtualAddress: page as *mut _,
        VirtualAttributes: PSAPI_WORKING_SET_EX_BLOCK { Flags: 0 },
    };
    let size = u32::try_from(std::mem::size_of::<PSAPI_WORKING_SET_EX_INFORMATION>())
        .map_err(|_| ERROR_INVALID_PARAMETER as i32)?;
    // SAFETY: `GetCurrentProcess` has no preconditions; its pseudo handle needs no closing.
    let process = unsafe { GetCurrentProcess() };
    // SAFETY: `info` is one entry with its address set, `size` bytes long, which the call
    // fills in.
    check(unsafe { K32QueryWorkingSetEx(process, (&raw mut info).cast(), size) })?;
    // SAFETY: every bit pattern is a valid `usize`, so reading the union as `Flags` is sound.
    let flags = unsafe { info.VirtualAttributes.Flags };
    Ok(flags & WORKING_SET_VALID != 0 && flags & WORKING_SET_LOCKED != 0)
}

/// The lock limit's name, and what raises it, for `Error::Lock`'s message.
pub(crate) const LOCK_LIMIT: (&str, &str) = (
    "the minimum working set",
    "SetProcessWorkingSetSize(Ex) with a larger minimum",
);

/// Whether the kernel limits how many mappings a process may have: no.
pub(crate) const MAP_COUNT_LIMITED: bool = false;

/// Unknown: Windows has no count of mappings to run into.
pub(crate) fn mapping_count() -> Option<u64> {
    None
}

/// Unknown: Windows has no `vm.max_map_count`.
pub(crate) fn max_map_count() -> Option<u64> {
    None
}

/// Unknown: no `/proc` status file.
pub(crate) fn status_bytes(_name: &str) -> Option<u64> {
    None
}

/// `false`: nothing lifts the working-set quota on locks as `CAP_IPC_LOCK` does on Linux.
pub(crate) fn can_lock_without_limit() -> bool {
    false
}

/// This process's id (`GetCurrentProcessId`), as the same 32 bits in an `i32`.
pub(crate) fn pid() -> i32 {
    // SAFETY: `GetCurrentProcessId` has no preconditions.
    i32::from_ne_bytes(unsafe { GetCurrentProcessId() }.to_ne_bytes())
}

/// Nothing to count: Windows has no fork.
pub(crate) fn count_forks() {}

/// Always 0: Windows has no fork.
pub(crate) fn forks_seen() -> u64 {
    0
}

/// What this process may lock: its minimum working set (`GetProcessWorkingSetSize`), of which
/// `VirtualLock` may use all but a small overhead; `None` if unreadable.
pub(crate) fn memlock_limit() -> Option<u64> {
    let (mut minimum, mut maximum) = (0usize, 0usize);
    // SAFETY: `GetCurrentProcess` has no preconditions; its pseudo handle needs no closing.
    let process = unsafe { GetCurrentProcess() };
    // SAFETY: both out-parameters are valid `usize`s; the pseudo handle of the current process
    // has PROCESS_QUERY_INFORMATION.
    check(unsafe { GetProcessWorkingSetSize(process, &mut minimum, &mut maximum) }).ok()?;
    u64::try_from(minimum).ok()
}
