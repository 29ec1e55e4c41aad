//! The one place that turns the process's choice of [`Backend`] into code: the
//! [`PageSource`] both placements take their pages from.

use super::source::PageSource;
use super::{memfd, sodium};
use crate::Backend;

/// The page source of the active [`Backend`].
pub(crate) fn source() -> &'static dyn PageSource {
    match crate::active_backend() {
        Backend::MemfdSecret => &memfd::MemfdSecretPages,
        Backend::Sodium => &sodium::SodiumPages,
    }
}
