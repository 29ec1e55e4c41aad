//! Base64 as PHC strings write it: the standard alphabet of RFC 4648 section 4 (`A-Z a-z 0-9 + /`)
//! without `=` padding.
//!
//! Small enough to read whole, so no dependency for it. Decoding is strict: a character outside
//! the alphabet, a length that leaves one character over (`len % 4 == 1`, which encodes no
//! whole byte), and unused low bits that are not zero (a second spelling of the same bytes)
//! are all refused, so each byte string has exactly one encoding and a decoded salt re-encodes
//! to the string it came from. Only salts pass through here: nothing secret.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Why a string is not unpadded standard base64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// The character at this byte offset is not in the alphabet (`=` included).
    Character { offset: usize },
    /// The length leaves one character over, which encodes no whole byte.
    Length,
    /// The last character has low bits set that encode nothing.
    TrailingBits,
}

/// The value of one alphabet character.
fn value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Encodes `bytes`, without padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3).saturating_mul(4));
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        // One byte gives 2 characters, two give 3, three give 4.
        for i in 0..=chunk.len() {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// Decodes unpadded standard base64, strictly (see the module docs).
pub(crate) fn decode(text: &str) -> Result<Vec<u8>, Invalid> {
    let text = text.as_bytes();
    if text.len() % 4 == 1 {
        return Err(Invalid::Length);
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for (chunk_index, chunk) in text.chunks(4).enumerate() {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = value(c).ok_or(Invalid::Character {
                offset: chunk_index * 4 + i,
            })?;
            n |= v << (18 - 6 * i);
        }
        // 2 characters carry 1 byte, 3 carry 2, 4 carry 3; the bits below them must be 0.
        let bytes = chunk.len() - 1;
        let unused = n & (0x00ff_ffff >> (8 * bytes));
        if unused != 0 {
            return Err(Invalid::TrailingBits);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..=bytes]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 section 10, with the padding PHC strings leave out.
    const RFC_4648: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg"),
        ("fo", "Zm8"),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn rfc_4648_vectors_without_padding() {
        for (plain, encoded) in RFC_4648 {
            assert_eq!(encode(plain.as_bytes()), encoded, "{plain:?}");
            assert_eq!(
                decode(encoded),
                Ok(plain.as_bytes().to_vec()),
                "{encoded:?}"
            );
        }
    }

    #[test]
    fn every_byte_value_and_length_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        for len in 0..bytes.len() {
            let encoded = encode(&bytes[..len]);
            assert_eq!(encoded.len(), (len * 4).div_ceil(3), "len {len}");
            assert_eq!(decode(&encoded), Ok(bytes[..len].to_vec()), "len {len}");
        }
        // The alphabet's last two characters are the standard ones, not URL-safe `-` and `_`.
        assert_eq!(encode(&[0xfb, 0xff]), "+/8");
    }

    #[test]
    fn padding_other_alphabets_and_stray_characters_are_refused() {
        assert_eq!(decode("Zg=="), Err(Invalid::Character { offset: 2 }));
        assert_eq!(decode("-_8"), Err(Invalid::Character { offset: 0 }));
        assert_eq!(decode("Zm9v Yg"), Err(Invalid::Character { offset: 4 }));
        assert_eq!(decode("Zm9vé"), Err(Invalid::Character { offset: 4 }));
    }

    #[test]
    fn a_lone_last_character_and_nonzero_unused_bits_are_refused() {
        assert_eq!(decode("Z"), Err(Invalid::Length));
        assert_eq!(decode("Zm9vY"), Err(Invalid::Length));
        // "Zh" would decode to "f" as "Zg" does, with unused bits set.
        assert_eq!(decode("Zh"), Err(Invalid::TrailingBits));
        assert_eq!(decode("Zm9"), Err(Invalid::TrailingBits));
        assert_eq!(decode("Zm8"), Ok(b"fo".to_vec()));
    }
}
