//! Windows: files only this process's user may use, in Windows' own terms (owner and DACL),
//! for key files and counter files: the counterpart of POSIX's `open(O_EXCL, 0400)` and of the
//! `fstat` owner and mode checks.
//!
//! * [`create_new_private`] creates a file that does not exist yet (`CreateFileW`,
//!   `CREATE_NEW`, not following a reparse point at the name) with a security descriptor made
//!   for it: owner the current user, a *protected* DACL (nothing inherited from the directory)
//!   with one entry, full control for the current user. The descriptor is given at creation,
//!   so there is no moment when the file exists with the directory's inherited DACL: on
//!   Windows an access check is made when a handle is opened, and a handle someone opened in
//!   such a moment would keep its access after the DACL is changed.
//! * [`check_private`] reads an open file's type, attributes, owner and DACL (from the handle,
//!   so the file checked is the file read) and says what, if anything, lets another user in.
//!
//! Accepted besides the current user, as root is on POSIX: `NT AUTHORITY\SYSTEM` (S-1-5-18)
//! and `BUILTIN\Administrators` (S-1-5-32-544), as owner or in an entry of the DACL. Both can
//! take any file whatever its DACL says (`SeTakeOwnershipPrivilege`, `SeBackupPrivilege`), and
//! Windows' default DACLs in a user's profile grant them full control, so refusing them would
//! refuse every file a user makes there without keeping anyone out. `OWNER RIGHTS` (S-1-3-4)
//! is accepted in the DACL: it names the owner, who is checked.
//!
//! Every call is documented by Microsoft (Win32 API reference, `fileapi.h`, `aclapi.h`,
//! `sddl.h`, `securitybaseapi.h`, `processthreadsapi.h`); the `// SAFETY:` comments say which
//! of its rules each call keeps. This module is only type-checked here (`.ci/cross-check`):
//! nothing in this repository runs on Windows yet.

use std::ffi::c_void;
use std::fs::File;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::MetadataExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::Path;

use windows_sys::Win32::Foundation::{
    GetLastError, LocalFree, ERROR_INVALID_NAME, ERROR_SUCCESS, GENERIC_ALL, GENERIC_READ,
    GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo,
    SDDL_REVISION_1, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    EqualSid, GetAce, GetTokenInformation, IsWellKnownSid, TokenUser, WinBuiltinAdministratorsSid,
    WinCreatorOwnerRightsSid, WinLocalSystemSid, ACCESS_ALLOWED_ACE, ACE_HEADER, ACL,
    DACL_SECURITY_INFORMATION, INHERIT_ONLY_ACE, OWNER_SECURITY_INFORMATION, PSID,
    SECURITY_ATTRIBUTES, TOKEN_QUERY, TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateFileW, GetFileType, CREATE_NEW, DELETE, FILE_APPEND_DATA, FILE_ATTRIBUTE_DIRECTORY,
    FILE_ATTRIBUTE_NORMAL, FILE_ATTRIBUTE_REPARSE_POINT, FILE_FLAG_OPEN_REPARSE_POINT,
    FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_TYPE_DISK, FILE_WRITE_DATA,
    WRITE_DAC, WRITE_OWNER,
};
use windows_sys::Win32::System::SystemServices::{
    ACCESS_ALLOWED_ACE_TYPE, ACCESS_DENIED_ACE_TYPE, ACCESS_DENIED_CALLBACK_ACE_TYPE,
    ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE, ACCESS_DENIED_OBJECT_ACE_TYPE,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

use super::fd::error_code;

/// The flag that opens a reparse point (a symbolic link, a junction, a mount point, a cloud
/// placeholder) itself instead of what it points to: `FILE_FLAG_OPEN_REPARSE_POINT`, for
/// `std::os::windows::fs::OpenOptionsExt::custom_flags`. [`check_private`] then refuses it: the
/// Windows counterpart of `O_NOFOLLOW`.
pub const OPEN_REPARSE_POINT: u32 = FILE_FLAG_OPEN_REPARSE_POINT;

/// What an entry of the DACL may not grant to anyone but the accepted principals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forbidden {
    /// Any access at all (key files, whose bytes are the secret: POSIX refuses any group or
    /// other permission bit, mode `& 0o077`).
    AnyAccess,
    /// Any right that changes the file's data or who may change it: `FILE_WRITE_DATA`,
    /// `FILE_APPEND_DATA`, `DELETE`, `WRITE_DAC`, `WRITE_OWNER`, `GENERIC_WRITE`, `GENERIC_ALL`
    /// (counter files, which reveal nothing but must not be rewound: POSIX refuses group or
    /// other write, mode `& 0o022`).
    WriteAccess,
}

impl Forbidden {
    fn rights(self) -> u32 {
        match self {
            Forbidden::AnyAccess => u32::MAX,
            Forbidden::WriteAccess => {
                FILE_WRITE_DATA
                    | FILE_APPEND_DATA
                    | DELETE
                    | WRITE_DAC
                    | WRITE_OWNER
                    | GENERIC_WRITE
                    | GENERIC_ALL
            }
        }
    }
}

/// Why [`check_private`] refused a file (or could not tell).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotPrivate {
    /// Not a file on a disk (`GetFileType` is not `FILE_TYPE_DISK`: a pipe, a console, a
    /// device), or a directory.
    NotRegular,
    /// A reparse point: a symbolic link, a junction, a mount point, a cloud placeholder.
    ReparsePoint,
    /// Owned by someone other than the current user, SYSTEM and Administrators (the owner may
    /// always change the DACL); the owner's SID as text.
    Owner {
        /// The owner, e.g. `S-1-5-21-...-1002`.
        sid: String,
    },
    /// The file has no DACL at all (a "NULL DACL"), which grants everyone full control.
    NoDacl,
    /// An entry of the DACL grants a forbidden right to another SID.
    Grants {
        /// The SID granted access, e.g. `S-1-1-0` (Everyone), `S-1-5-32-545` (Users).
        sid: String,
    },
    /// An entry of the DACL allows access in a form this check does not read (an object,
    /// callback or compound entry), so it cannot say whom it lets in.
    UnreadableEntry {
        /// The entry's `AceType`.
        ace_type: u8,
    },
    /// A call failed: its name and its Win32 error code.
    Failed {
        /// The call.
        call: &'static str,
        /// Its error code, as `std::io::Error::raw_os_error` gives it.
        code: i32,
    },
}

/// Memory that `LocalFree` releases, from the calls that allocate with `LocalAlloc` for their
/// caller (`GetSecurityInfo`, `ConvertSidToStringSidW`,
/// `ConvertStringSecurityDescriptorToSecurityDescriptorW`).
struct LocalMemory(*mut c_void);

impl Drop for LocalMemory {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: `self.0` was returned by one of the calls above, which document that the
            // caller frees it with `LocalFree`; it is freed once, here, and not used after.
            unsafe { LocalFree(self.0) };
        }
    }
}

/// The last error of this thread as the crate's code.
fn last_error() -> i32 {
    // SAFETY: `GetLastError` reads this thread's last-error value; no precondition.
    error_code(unsafe { GetLastError() })
}

/// The `TOKEN_USER` of this process's token: the current user's SID.
struct CurrentUser {
    /// `TOKEN_USER` and the SID it points into, as `GetTokenInformation` wrote them; `u64`s
    /// for the alignment of `TOKEN_USER` (a pointer).
    buffer: Vec<u64>,
}

impl CurrentUser {
    fn query() -> Result<CurrentUser, NotPrivate> {
        let failed = |call| NotPrivate::Failed {
            call,
            code: last_error(),
        };
        let mut token: HANDLE = std::ptr::null_mut();
        // SAFETY: `GetCurrentProcess` returns a pseudo-handle for this process, which needs no
        // closing; no precondition.
        let process = unsafe { GetCurrentProcess() };
        // SAFETY: `process` is this process's pseudo-handle (PROCESS_ALL_ACCESS for itself);
        // `token` is a valid place for the new handle.
        if unsafe { OpenProcessToken(process, TOKEN_QUERY, &mut token) } == 0 {
            return Err(failed("OpenProcessToken"));
        }
        // SAFETY: `OpenProcessToken` succeeded, so `token` is an open handle owned by nobody
        // else; `OwnedHandle` closes it once, on drop.
        let token = unsafe { OwnedHandle::from_raw_handle(token) };
        let mut needed: u32 = 0;
        // SAFETY: asking for the size: a null buffer of length 0, which the call documents
        // (it fails with ERROR_INSUFFICIENT_BUFFER and sets `needed`); the token is open with
        // TOKEN_QUERY.
        unsafe {
            GetTokenInformation(
                token.as_raw_handle(),
                TokenUser,
                std::ptr::null_mut(),
                0,
                &mut needed,
            )
        };
        if needed == 0 {
            return Err(failed("GetTokenInformation"));
        }
        let words = usize::try_from(needed)
            .ok()
            .and_then(|bytes| bytes.checked_add(7))
            .map(|bytes| bytes / 8)
            .ok_or(NotPrivate::Failed {
                call: "GetTokenInformation",
                code: super::code::EIO,
            })?;
        let mut buffer = vec![0u64; words];
        let length = words
            .checked_mul(8)
            .and_then(|bytes| u32::try_from(bytes).ok())
            .ok_or(NotPrivate::Failed {
                call: "GetTokenInformation",
                code: super::code::EIO,
            })?;
        // SAFETY: `buffer` is valid for writes of `length` bytes (`words * 8`) and aligned for
        // `TOKEN_USER`; the call writes at most `length` bytes; the token is open with
        // TOKEN_QUERY.
        let ok = unsafe {
            GetTokenInformation(
                token.as_raw_handle(),
                TokenUser,
                buffer.as_mut_ptr().cast(),
                length,
                &mut needed,
            )
        };
        if ok == 0 {
            return Err(failed("GetTokenInformation"));
        }
        Ok(CurrentUser { buffer })
    }

    /// The user's SID, valid while `self` lives.
    fn sid(&self) -> PSID {
        // SAFETY: `GetTokenInformation(TokenUser)` filled the start of `buffer` with a
        // `TOKEN_USER` (aligned: `buffer` is `u64`s), whose SID pointer points into `buffer`.
        unsafe { self.buffer.as_ptr().cast::<TOKEN_USER>().read() }
            .User
            .Sid
    }
}

/// `sid` as text (`S-1-5-21-...`), or a placeholder if it cannot be converted.
fn sid_text(sid: PSID) -> String {
    /// `SECURITY_MAX_SID_STRING_CHARACTERS` (sddl.h): the longest SID in text, with its NUL.
    const MAX_SID_CHARACTERS: usize = 187;
    let mut text: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` is a valid SID (from the token, or from a security descriptor that
    // `GetSecurityInfo` returned and that outlives this call); `text` is a valid place for the
    // pointer to the string, which the call allocates with `LocalAlloc`.
    if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 || text.is_null() {
        return String::from("(a SID that could not be converted to text)");
    }
    let text = LocalMemory(text.cast());
    let start = text.0.cast::<u16>();
    let mut units = Vec::new();
    for index in 0..MAX_SID_CHARACTERS {
        // SAFETY: the string is NUL-terminated and at most MAX_SID_CHARACTERS units long with
        // its NUL; reading stops at the NUL, so `index` stays within it.
        let unit = unsafe { start.wrapping_add(index).read() };
        if unit == 0 {
            break;
        }
        units.push(unit);
    }
    String::from_utf16_lossy(&units)
}

/// Whether `sid` is the current user, SYSTEM or Administrators (or, in a DACL entry, `OWNER
/// RIGHTS`).
fn accepted(sid: PSID, user: &CurrentUser, owner_rights_too: bool) -> bool {
    // SAFETY: both SIDs are valid (the user's in `user`, `sid` from a descriptor that lives
    // through this call); `EqualSid` only reads them.
    let is_user = unsafe { EqualSid(sid, user.sid()) } != 0;
    // SAFETY: `sid` is a valid SID; `IsWellKnownSid` only reads it.
    let is_system = unsafe { IsWellKnownSid(sid, WinLocalSystemSid) } != 0;
    // SAFETY: as above.
    let is_administrators = unsafe { IsWellKnownSid(sid, WinBuiltinAdministratorsSid) } != 0;
    // SAFETY: as above.
    let is_owner_rights = unsafe { IsWellKnownSid(sid, WinCreatorOwnerRightsSid) } != 0;
    is_user || is_system || is_administrators || (owner_rights_too && is_owner_rights)
}

/// Checks that `file` is a regular file on a disk, not a reparse point, owned by the current
/// user (or SYSTEM or Administrators), with a DACL none of whose entries that apply to the
/// file (inherit-only entries do not) allows a `forbidden` right to another SID. Deny entries
/// are not counted against it (they only take access away). The file must have been opened
/// with `READ_CONTROL` (`GENERIC_READ` includes it) and, to see a reparse point at all, with
/// [`OPEN_REPARSE_POINT`].
pub fn check_private(file: &File, forbidden: Forbidden) -> Result<(), NotPrivate> {
    let handle = file.as_raw_handle();
    // SAFETY: `handle` is open while `file` is borrowed; `GetFileType` only queries it.
    if unsafe { GetFileType(handle) } != FILE_TYPE_DISK {
        return Err(NotPrivate::NotRegular);
    }
    let attributes = file
        .metadata()
        .map_err(|err| NotPrivate::Failed {
            call: "GetFileInformationByHandle",
            code: err.raw_os_error().unwrap_or(super::code::EIO),
        })?
        .file_attributes();
    if attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0 {
        return Err(NotPrivate::ReparsePoint);
    }
    if attributes & FILE_ATTRIBUTE_DIRECTORY != 0 {
        return Err(NotPrivate::NotRegular);
    }
    let user = CurrentUser::query()?;
    let mut owner: PSID = std::ptr::null_mut();
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut descriptor: *mut c_void = std::ptr::null_mut();
    // SAFETY: `handle` is open with READ_CONTROL (see the doc); the out-pointers are valid
    // places for the owner, DACL and descriptor pointers; the group and SACL are not asked
    // for (null). On success `descriptor` is a `LocalAlloc`ed copy that `owner` and `dacl`
    // point into, freed by `LocalMemory` after their last use below.
    let status = unsafe {
        GetSecurityInfo(
            handle,
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner,
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut descriptor,
        )
    };
    if status != ERROR_SUCCESS {
        return Err(NotPrivate::Failed {
            call: "GetSecurityInfo",
            code: error_code(status),
        });
    }
    let _descriptor = LocalMemory(descriptor);
    if owner.is_null() || !accepted(owner, &user, false) {
        return Err(NotPrivate::Owner {
            sid: if owner.is_null() {
                String::from("(none)")
            } else {
                sid_text(owner)
            },
        });
    }
    if dacl.is_null() {
        return Err(NotPrivate::NoDacl);
    }
    // SAFETY: `dacl` points to the DACL inside the descriptor, which lives until the end of
    // this function; `AceCount` is a field of its header.
    let count = unsafe { dacl.read_unaligned() }.AceCount;
    for index in 0..count {
        let mut ace: *mut c_void = std::ptr::null_mut();
        // SAFETY: `dacl` is a valid ACL (above) and `index < AceCount`; `ace` is a valid place
        // for the pointer to the entry, which points into the DACL.
        if unsafe { GetAce(dacl, u32::from(index), &mut ace) } == 0 {
            return Err(NotPrivate::Failed {
                call: "GetAce",
                code: last_error(),
            });
        }
        // SAFETY: every ACE starts with an ACE_HEADER; `ace` points into the live DACL.
        let header = unsafe { ace.cast::<ACE_HEADER>().read_unaligned() };
        if u32::from(header.AceFlags) & INHERIT_ONLY_ACE != 0 {
            continue; // for the files a directory's children would inherit, not this one
        }
        match u32::from(header.AceType) {
            ACCESS_DENIED_ACE_TYPE
            | ACCESS_DENIED_OBJECT_ACE_TYPE
            | ACCESS_DENIED_CALLBACK_ACE_TYPE
            | ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE => continue,
            ACCESS_ALLOWED_ACE_TYPE => {
                // SAFETY: an entry of type ACCESS_ALLOWED_ACE_TYPE is an ACCESS_ALLOWED_ACE
                // (its SID starts at `SidStart`); `ace` points into the live DACL.
                let mask = unsafe { ace.cast::<ACCESS_ALLOWED_ACE>().read_unaligned() }.Mask;
                if mask & forbidden.rights() == 0 {
                    continue;
                }
                let sid: PSID = ace
                    .cast::<u8>()
                    .wrapping_add(std::mem::offset_of!(ACCESS_ALLOWED_ACE, SidStart))
                    .cast();
                if !accepted(sid, &user, true) {
                    return Err(NotPrivate::Grants { sid: sid_text(sid) });
                }
            }
            _ => {
                return Err(NotPrivate::UnreadableEntry {
                    ace_type: header.AceType,
                })
            }
        }
    }
    Ok(())
}

/// Creates a new file at `path`, open for reading and writing, with a protected DACL that
/// grants full control to the current user alone and the current user as owner (see the
/// module docs). Fails with `ERROR_FILE_EXISTS` if anything has the name, a reparse point
/// included (which is not followed). The handle shares reading, writing and deleting, as std's
/// `OpenOptions` does (the DACL keeps everyone else out; deleting is shared so that a
/// temporary name can be removed while the file is open).
///
/// The path goes to `CreateFileW` as it is: longer than `MAX_PATH` (260) characters, it needs
/// the `\\?\` prefix or a process that opted in to long paths.
///
/// # Errors
/// The Win32 error code of the step that failed.
pub fn create_new_private(path: &Path) -> Result<File, i32> {
    let user = CurrentUser::query().map_err(|not_private| match not_private {
        NotPrivate::Failed { code, .. } => code,
        _ => super::code::EIO,
    })?;
    let sid = sid_text(user.sid());
    if !sid.starts_with("S-") {
        return Err(super::code::EIO);
    }
    // Owner: the user; DACL: protected (`P`, nothing inherited), one entry allowing (`A`) full
    // file access (`FA`) to the user.
    let sddl: Vec<u16> = format!("O:{sid}D:P(A;;FA;;;{sid})")
        .encode_utf16()
        .chain(Some(0))
        .collect();
    let mut descriptor: *mut c_void = std::ptr::null_mut();
    // SAFETY: `sddl` is a NUL-terminated UTF-16 string that lives through the call;
    // `descriptor` is a valid place for the pointer to the new self-relative descriptor, which
    // the call allocates with `LocalAlloc` (freed by `LocalMemory`); the size is not asked
    // for (null).
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut descriptor,
            std::ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(last_error());
    }
    let descriptor = LocalMemory(descriptor);
    let attributes = SECURITY_ATTRIBUTES {
        nLength: u32::try_from(std::mem::size_of::<SECURITY_ATTRIBUTES>())
            .map_err(|_| super::code::EIO)?,
        lpSecurityDescriptor: descriptor.0,
        bInheritHandle: 0,
    };
    let mut wide: Vec<u16> = path.as_os_str().encode_wide().collect();
    if wide.contains(&0) {
        return Err(error_code(ERROR_INVALID_NAME));
    }
    wide.push(0);
    // SAFETY: `wide` is a NUL-terminated UTF-16 path and `attributes` a valid
    // SECURITY_ATTRIBUTES whose descriptor lives through the call; no template file (null).
    // CREATE_NEW never opens an existing file; FILE_FLAG_OPEN_REPARSE_POINT makes a reparse
    // point at the name count as existing instead of being followed.
    let handle = unsafe {
        CreateFileW(
            wide.as_ptr(),
            GENERIC_READ | GENERIC_WRITE,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            &attributes,
            CREATE_NEW,
            FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
            std::ptr::null_mut(),
        )
    };
    if handle == INVALID_HANDLE_VALUE {
        return Err(last_error());
    }
    // SAFETY: `CreateFileW` succeeded, so `handle` is an open file handle owned by nobody
    // else; the `File` closes it once, on drop.
    Ok(File::from(unsafe { OwnedHandle::from_raw_handle(handle) }))
}
