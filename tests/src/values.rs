//! The values the storage tests make their secrets with: distinctive, never zero, and each
//! derived from its index, so a secret read back can be checked without a copy of it kept.

/// The bytes of value `index` of a test: a fixed distinctive head (with `tag`), the index, and
/// a tail derived from both; no byte is zero. Used by `pooled` and `sealed` (and by the forked
/// children of [`crate::inherited`]).
pub fn pattern(index: u32, tag: u8) -> [u8; 32] {
    let mut value = [0u8; 32];
    value[..4].copy_from_slice(&[0xC3, 0x5A, tag, 0x96]);
    value[4..8].copy_from_slice(&index.to_le_bytes());
    for (at, byte) in value.iter_mut().enumerate().skip(8) {
        *byte = (at as u32 * 37 + index * 11 + u32::from(tag)) as u8 | 1;
    }
    for byte in &mut value[4..8] {
        *byte |= 0x80;
    }
    value
}

/// The value secret number `i` is made with: its index, then a byte pattern that depends on it.
/// Used by `pooled_limits` and `sealed_limits`, which make up to a million of them.
pub fn value_for(i: usize) -> [u8; 32] {
    let mut value = [(i % 251) as u8 ^ 0xA5; 32];
    value[..8].copy_from_slice(&(i as u64).to_le_bytes());
    value
}
