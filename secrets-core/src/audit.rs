//! Which types in this program may hold secrets, and how many of each are alive.
//!
//! Every `#[derive(Secret)]` type registers itself at link time (through the `inventory`
//! crate: no call at run time is needed), with its name, module, storage (the field's type and
//! where the container places it, its [`Container::STORAGE`](crate::Container::STORAGE)) and an
//! optional description. [`types`] lists them; [`check_allowlist`] compares them with a
//! reviewed list, so that a test fails when someone adds a secret type without review:
//!
//! ```
//! use secrets_core::prelude::*;
//! use secrets_core::{audit, SecretBox};
//!
//! #[derive(Secret)]
//! #[secret(description = "the vault's master key")]
//! struct MasterKey(SecretBox<[u8; 32]>);
//!
//! // A type that holds secrets, defined anywhere in the program (here, one nobody reviewed):
//! #[derive(Secret)]
//! struct SessionCache(SecretBox<[u8; 16]>);
//!
//! // In a test of your program: one full path per line, `#` starts a comment. (A doctest's
//! // crate is called `rust_out`; in your program the path starts with your crate's name.)
//! let reviewed = "
//!     rust_out::MasterKey   # one per vault, on pages of its own; reviewed 2026-12
//! ";
//! let err = audit::check_allowlist(reviewed).unwrap_err();
//! assert_eq!(err.unlisted, ["rust_out::SessionCache"]); // review it, then list it
//! assert!(err.missing.is_empty());
//! println!("{err}");
//!
//! let reviewed = format!("{reviewed}    rust_out::SessionCache   # reviewed too\n");
//! assert_eq!(audit::check_allowlist(&reviewed), Ok(()));
//! # Ok::<(), secrets_core::Error>(())
//! ```

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many values of one secret type are alive. Made by `#[derive(Secret)]`.
#[derive(Debug)]
pub struct LiveCount(AtomicUsize);

impl LiveCount {
    #[doc(hidden)]
    pub const fn new() -> Self {
        LiveCount(AtomicUsize::new(0))
    }

    #[doc(hidden)]
    pub fn increment(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    #[doc(hidden)]
    pub fn decrement(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }

    /// The number of live values.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

impl Default for LiveCount {
    fn default() -> Self {
        Self::new()
    }
}

/// One `#[derive(Secret)]` type linked into the program.
#[derive(Debug)]
pub struct SecretType {
    name: &'static str,
    module_path: &'static str,
    storage: &'static str,
    placement: Option<&'static str>,
    size: Option<usize>,
    description: Option<&'static str>,
    live: &'static LiveCount,
}

inventory::collect!(SecretType);

impl SecretType {
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        module_path: &'static str,
        storage: &'static str,
        placement: Option<&'static str>,
        size: Option<usize>,
        description: Option<&'static str>,
        live: &'static LiveCount,
    ) -> Self {
        SecretType {
            name,
            module_path,
            storage,
            placement,
            size,
            description,
            live,
        }
    }

    /// The type's name, e.g. `MasterKey`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The module that defines it, e.g. `my_kms::keys`.
    pub fn module_path(&self) -> &'static str {
        self.module_path
    }

    /// The full path, e.g. `my_kms::keys::MasterKey`: what an allowlist names.
    pub fn path(&self) -> String {
        format!("{}::{}", self.module_path, self.name)
    }

    /// The guarded storage it wraps, as written in its definition, e.g. `SecretBox<[u8; 32]>`.
    pub fn storage(&self) -> &'static str {
        self.storage
    }

    /// Where its container places the secret ([`Container::STORAGE`](crate::Container::STORAGE):
    /// `"dedicated"`, `"pooled"` or `"sealed"`); `None` for a generic type, which registers once
    /// for all its instances.
    pub fn placement(&self) -> Option<&'static str> {
        self.placement
    }

    /// The size of the secret in bytes, when the type fixes it (`SecretBox`,
    /// [`Container::SIZE`](crate::Container::SIZE)); `None` for `SecretVec` and `SecretString`,
    /// whose length is chosen at run time, and for a generic type.
    pub fn size(&self) -> Option<usize> {
        self.size
    }

    /// The `#[secret(description = "...")]` text, if any.
    pub fn description(&self) -> Option<&'static str> {
        self.description
    }

    /// How many values of this type are alive now.
    pub fn live(&self) -> usize {
        self.live.get()
    }
}

/// Every `#[derive(Secret)]` type linked into this program, sorted by path.
///
/// ```
/// use secrets_core::prelude::*;
/// use secrets_core::{audit, Pooled, SecretBox};
///
/// #[derive(Secret)]
/// #[secret(description = "one key per vault item")]
/// struct ItemKey(SecretBox<[u8; 32], Pooled>);
///
/// let keys = [ItemKey::random()?, ItemKey::random()?];
/// let item_key = audit::types()
///     .into_iter()
///     .find(|t| t.name() == "ItemKey")
///     .expect("registered at link time");
/// assert_eq!(item_key.storage(), "SecretBox<[u8; 32], Pooled>");
/// assert_eq!(item_key.placement(), Some("pooled"));
/// assert_eq!(item_key.size(), Some(32));
/// assert_eq!(item_key.description(), Some("one key per vault item"));
/// assert_eq!(item_key.live(), 2);
/// drop(keys);
/// assert_eq!(item_key.live(), 0);
/// # Ok::<(), secrets_core::Error>(())
/// ```
pub fn types() -> Vec<&'static SecretType> {
    let mut types: Vec<&'static SecretType> = inventory::iter::<SecretType>.into_iter().collect();
    types.sort_by_key(|t| (t.module_path, t.name));
    types
}

/// A table of [`types`] for people: path, storage (the field's type), placement, size, live
/// count, description.
///
/// ```
/// use secrets_core::prelude::*;
/// use secrets_core::{audit, SecretString};
///
/// #[derive(Secret)]
/// #[secret(description = "typed at the prompt")]
/// struct Passphrase(SecretString);
///
/// let table = audit::table();
/// assert!(table.starts_with("type"));
/// let row = table.lines().find(|line| line.contains("Passphrase")).expect("a row");
/// assert!(row.contains("SecretString") && row.contains("run time") && row.contains("typed at"));
/// println!("{table}");
/// ```
pub fn table() -> String {
    let rows: Vec<[String; 6]> = types()
        .into_iter()
        .map(|t| {
            [
                t.path(),
                t.storage.to_owned(),
                t.placement.unwrap_or("per instance").to_owned(),
                t.size
                    .map_or_else(|| "run time".to_owned(), |s| format!("{s} B")),
                t.live().to_string(),
                t.description.unwrap_or("").to_owned(),
            ]
        })
        .collect();
    let header = [
        "type",
        "storage",
        "placement",
        "size",
        "live",
        "description",
    ]
    .map(str::to_owned);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// What [`check_allowlist`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditError {
    /// Secret types in the program that the list does not name: review them, then add them.
    pub unlisted: Vec<String>,
    /// Names on the list that are no longer secret types in the program: remove them.
    pub missing: Vec<String>,
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the secret types of this program differ from the reviewed list:")?;
        for path in &self.unlisted {
            write!(f, "\n  not on the list (review, then add it): {path}")?;
        }
        for path in &self.missing {
            write!(f, "\n  on the list but gone (remove it): {path}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AuditError {}

/// Compares the program's secret types with `allowlist`: one full path per line
/// (`my_kms::keys::MasterKey`), blank lines and `#` comments ignored. The module docs show
/// it in a test.
///
/// # Errors
/// [`AuditError`] listing the types that hold secrets but are not on the list, and the
/// listed paths that are no longer secret types.
pub fn check_allowlist(allowlist: &str) -> Result<(), AuditError> {
    let listed: Vec<&str> = allowlist
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .collect();
    let present: Vec<String> = types().iter().map(|t| t.path()).collect();
    let unlisted: Vec<String> = present
        .iter()
        .filter(|path| !listed.contains(&path.as_str()))
        .cloned()
        .collect();
    let missing: Vec<String> = listed
        .iter()
        .filter(|path| !present.iter().any(|p| p == *path))
        .map(|path| (*path).to_owned())
        .collect();
    if unlisted.is_empty() && missing.is_empty() {
        Ok(())
    } else {
        Err(AuditError { unlisted, missing })
    }
}
