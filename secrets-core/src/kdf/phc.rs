//! Argon2id parameters and salt as a PHC string: the format, and why it has no hash field, are
//! in the `kdf` module's docs ("PHC strings").
//!
//! Reading is strict, so a string either means exactly one set of parameters or is refused:
//! fields in order, decimal numbers without sign or leading zeros that fit in 32 bits (as
//! Argon2 defines `m` and `t`), `p=1`, a salt of exactly 16 bytes in canonical base64.

use super::base64::{self, Invalid};
use super::error::quote;
use super::{Argon2idParams, PhcError, SALT_LEN};
use crate::Error;

impl Argon2idParams {
    /// These parameters and `salt` as a PHC string:
    /// `$argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt>` (see [PHC strings](crate::kdf#phc-strings)
    /// for why there is no hash field). `m` is `mem_limit / 1024`, the whole KiB libsodium uses, so
    /// the parameters read back derive the same key even when `mem_limit` is not a multiple
    /// of 1024.
    ///
    /// # Errors
    /// [`KdfError::Argon2idPasses`](super::KdfError::Argon2idPasses) or
    /// [`KdfError::Argon2idMemory`](super::KdfError::Argon2idMemory) (in [`Error::Kdf`]) for
    /// parameters libsodium would refuse: nothing is written that could not be used.
    ///
    /// ```
    /// use secrets_core::kdf::Argon2idParams;
    /// let phc = Argon2idParams::OWASP_MINIMUM.to_phc(b"somesaltsomesalt")?;
    /// assert_eq!(phc, "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA");
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn to_phc(&self, salt: &[u8; SALT_LEN]) -> Result<String, Error> {
        self.check()?;
        Ok(format!(
            "$argon2id$v=19$m={},t={},p=1${}",
            self.mem_kib(),
            self.ops_limit,
            base64::encode(salt)
        ))
    }

    /// Reads parameters and salt from a PHC string written by [`to_phc`](Self::to_phc) (or
    /// any Argon2 tool, with the hash field removed).
    ///
    /// # Errors
    /// [`Error::Phc`] saying which part is malformed: [`PhcError::Format`] (not `$`-separated
    /// fields), [`PhcError::Algorithm`] (not `argon2id`), [`PhcError::Version`] (not `v=19`),
    /// [`PhcError::Parameters`] (not `m=..,t=..,p=..` in order), [`PhcError::Number`] (not a
    /// plain decimal `u32`), [`PhcError::Lanes`] (`p` other than 1),
    /// [`PhcError::SaltEncoding`], [`PhcError::SaltLength`] (not 16 bytes),
    /// [`PhcError::HashPresent`] (a password hash, not parameters); and [`Error::Kdf`] for a
    /// memory or pass count outside libsodium's limits. Never a panic, whatever the input.
    ///
    /// ```
    /// use secrets_core::kdf::{Argon2idParams, PhcError};
    /// use secrets_core::Error;
    ///
    /// let (params, salt) =
    ///     Argon2idParams::from_phc("$argon2id$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA")?;
    /// assert_eq!(params, Argon2idParams { ops_limit: 3, mem_limit: 64 * 1024 * 1024 });
    /// assert_eq!(&salt, b"somesaltsomesalt");
    ///
    /// let four_lanes = Argon2idParams::from_phc("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA");
    /// assert_eq!(four_lanes, Err(Error::Phc(PhcError::Lanes { found: 4 })));
    /// # Ok::<(), secrets_core::Error>(())
    /// ```
    pub fn from_phc(text: &str) -> Result<(Argon2idParams, [u8; SALT_LEN]), Error> {
        let format = || PhcError::Format { found: quote(text) };
        let rest = text.strip_prefix('$').ok_or_else(format)?;
        let mut fields = rest.split('$');
        let (Some(algorithm), Some(version), Some(parameters), Some(salt)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            // Too few fields; a missing version is its own error below only when the rest
            // is complete, so that `$argon2id$m=..,t=..,p=..$salt` (Argon2 1.0) says so.
            return Err(match (rest.split('$').nth(1), rest.split('$').count()) {
                (Some(field), 3) if field.starts_with("m=") => PhcError::Version {
                    found: String::new(),
                },
                _ => format(),
            }
            .into());
        };
        if fields.next().is_some() {
            return Err(PhcError::HashPresent.into());
        }
        if algorithm != "argon2id" {
            return Err(PhcError::Algorithm {
                found: quote(algorithm),
            }
            .into());
        }
        if version != "v=19" {
            return Err(PhcError::Version {
                found: quote(version),
            }
            .into());
        }
        let (m, t, p) = parse_parameters(parameters)?;
        if p != 1 {
            return Err(PhcError::Lanes { found: p }.into());
        }
        let params = Argon2idParams::from_kib(u64::from(t), u64::from(m))?;
        let salt = base64::decode(salt).map_err(|invalid| match invalid {
            Invalid::Character { offset } => PhcError::SaltEncoding {
                problem: "a character is not in the standard base64 alphabet (A-Z a-z 0-9 + /, \
                          no = padding)",
                offset: Some(offset),
            },
            Invalid::Length => PhcError::SaltEncoding {
                problem: "its length leaves one character over, which encodes no whole byte",
                offset: None,
            },
            Invalid::TrailingBits => PhcError::SaltEncoding {
                problem: "its last character has unused bits set (not the canonical encoding)",
                offset: None,
            },
        })?;
        let salt: [u8; SALT_LEN] =
            salt.as_slice()
                .try_into()
                .map_err(|_| PhcError::SaltLength {
                    length: salt.len(),
                    expected: SALT_LEN,
                })?;
        Ok((params, salt))
    }
}

/// `m=<n>,t=<n>,p=<n>`, exactly, into `(m, t, p)`.
fn parse_parameters(field: &str) -> Result<(u32, u32, u32), PhcError> {
    let shape = || PhcError::Parameters {
        found: quote(field),
    };
    let mut parts = field.split(',');
    let mut values = [0u32; 3];
    for (value, name) in values.iter_mut().zip(["m", "t", "p"]) {
        let part = parts.next().ok_or_else(shape)?;
        let digits = part
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
            .ok_or_else(shape)?;
        *value = parse_decimal(digits).ok_or_else(|| PhcError::Number {
            name,
            found: quote(digits),
        })?;
    }
    if parts.next().is_some() {
        return Err(shape());
    }
    Ok((values[0], values[1], values[2]))
}

/// A decimal `u32` as PHC writes numbers: ASCII digits only, no sign, no leading zero (but
/// `0` itself), with checked arithmetic.
fn parse_decimal(digits: &str) -> Option<u32> {
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    digits.bytes().try_fold(0u32, |n, c| {
        let digit = char::from(c).to_digit(10)?;
        n.checked_mul(10)?.checked_add(digit)
    })
}

#[cfg(test)]
mod tests {
    use super::parse_decimal;

    #[test]
    fn decimals_are_plain_and_checked() {
        assert_eq!(parse_decimal("0"), Some(0));
        assert_eq!(parse_decimal("19456"), Some(19456));
        assert_eq!(parse_decimal("4294967295"), Some(u32::MAX));
        for bad in [
            "",
            "00",
            "01",
            "+1",
            "-1",
            "1 ",
            " 1",
            "4294967296",
            "1e3",
            "١",
        ] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }
}
