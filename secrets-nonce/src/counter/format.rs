//! The bytes of a counter file: its layout, checksums, and how the latest reservation is
//! chosen. Pure functions of bytes, with no file system: the unit tests below cover every
//! kind of damage.
//!
//! 8,256 bytes, mode 0600, all integers big-endian; the checksums are BLAKE2b-256 keyed with a
//! fixed public key (`"secrets-nonce counter checksum\0\0"`), so they catch damage, not
//! forgery: whoever may write the file may rewind it.
//!
//! ```text
//!  offset  bytes  header                              offset  bytes  slot (A at 4096, B at 8192)
//!  ------  -----  ----------------------------------  ------  -----  -------------------------
//!       0      8  magic "SNCOUNTR"                         0      8  generation
//!       8      4  format version (1)                       8      8  reservation R
//!      12      4  zero                                    16     32  checksum of "A" or "B"
//!      16     32  algorithm name, zero-padded                         and bytes 0..16
//!      48     32  key identity                            48     16  zero
//!      80     32  checksum of bytes 0..80
//!     112   3984  zero
//! ```
//!
//! The key identity is BLAKE2b-256 keyed with the key, of `"secrets-nonce counter file
//! v1\0"` followed by the algorithm's name.

use std::marker::PhantomData;

use crate::algorithm::Algorithm;
use crate::Error;

/// The first bytes of every counter file.
const MAGIC: [u8; 8] = *b"SNCOUNTR";
/// The format this code writes and reads.
const VERSION: u32 = 1;
/// Room for the algorithm's name.
const NAME_LEN: usize = 32;
/// The header's fields and checksum.
const HEADER_LEN: usize = 112;
/// Where the header's checksum starts (it covers the bytes before).
const HEADER_SUM_AT: usize = 80;
/// Where slots A and B start: 4 KiB blocks of their own, so a write torn at any block or
/// sector boundary damages one slot only.
pub(super) const SLOT_AT: [u64; 2] = [4096, 8192];
/// A slot's length.
pub(super) const SLOT_LEN: usize = 64;
/// The file's length.
pub(super) const FILE_LEN: u64 = 8192 + SLOT_LEN as u64;
/// The slots' names, which their checksums cover, so a slot copied into the other fails.
const SLOT_NAME: [&[u8]; 2] = [b"A", b"B"];
/// The domain of the key identity, followed by the algorithm's name.
pub(super) const IDENTITY_DOMAIN: &[u8] = b"secrets-nonce counter file v1\0";
/// The public key of the checksums: they detect damage, not forgery.
const CHECKSUM_KEY: [u8; 32] = *b"secrets-nonce counter checksum\0\0";

/// Keyed BLAKE2b-256 with the public [`CHECKSUM_KEY`]: detects damage, not forgery.
fn checksum(parts: &[&[u8]]) -> Result<[u8; 32], Error> {
    let data = parts.concat();
    secrets_core::__private::aead::key_identity(&CHECKSUM_KEY, &data).map_err(|_| {
        Error::Unavailable {
            algorithm: "BLAKE2b",
        }
    })
}

/// The algorithm's name, zero-padded to [`NAME_LEN`].
pub(super) fn name_field<A: Algorithm>() -> [u8; NAME_LEN] {
    let () = NameFits::<A>::CHECKED;
    let mut field = [0u8; NAME_LEN];
    let name = A::NAME.as_bytes();
    field[..name.len()].copy_from_slice(name);
    field
}

/// Refuses to compile for an algorithm whose name does not fit the header.
struct NameFits<A>(PhantomData<A>);

impl<A: Algorithm> NameFits<A> {
    const CHECKED: () = assert!(A::NAME.len() <= NAME_LEN, "an algorithm name too long");
}

/// One slot's contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Record {
    /// One more than the slot's previous generation; orders slots of equal reservation.
    pub(super) generation: u64,
    /// Every nonce below it may have been used.
    pub(super) reservation: u64,
}

/// The bytes of slot `slot` (0 for A, 1 for B) holding `record`.
pub(super) fn slot_bytes(slot: usize, record: Record) -> Result<[u8; SLOT_LEN], Error> {
    let mut bytes = [0u8; SLOT_LEN];
    bytes[..8].copy_from_slice(&record.generation.to_be_bytes());
    bytes[8..16].copy_from_slice(&record.reservation.to_be_bytes());
    let sum = checksum(&[SLOT_NAME[slot], &bytes[..16]])?;
    bytes[16..48].copy_from_slice(&sum);
    Ok(bytes)
}

/// The record in slot `slot`, if its checksum holds.
pub(super) fn read_slot(slot: usize, bytes: &[u8]) -> Option<Record> {
    let bytes = bytes.get(..SLOT_LEN)?;
    if checksum(&[SLOT_NAME[slot], &bytes[..16]]).ok()?[..] != bytes[16..48] {
        return None;
    }
    Some(Record {
        generation: u64::from_be_bytes(bytes[..8].try_into().ok()?),
        reservation: u64::from_be_bytes(bytes[8..16].try_into().ok()?),
    })
}

/// The latest of the valid slots: the highest reservation, then the highest generation.
pub(super) fn latest(slots: [Option<Record>; 2]) -> Option<(usize, Record)> {
    slots
        .into_iter()
        .enumerate()
        .filter_map(|(slot, record)| Some((slot, record?)))
        .max_by_key(|(_, record)| (record.reservation, record.generation))
}

/// A new counter file: reservation 0 in both slots, A the latest.
pub(super) fn new_file<A: Algorithm>(identity: &[u8; 32]) -> Result<Vec<u8>, Error> {
    let mut bytes = vec![0u8; FILE_LEN as usize];
    bytes[..8].copy_from_slice(&MAGIC);
    bytes[8..12].copy_from_slice(&VERSION.to_be_bytes());
    bytes[16..48].copy_from_slice(&name_field::<A>());
    bytes[48..80].copy_from_slice(identity);
    let sum = checksum(&[&bytes[..HEADER_SUM_AT]])?;
    bytes[HEADER_SUM_AT..HEADER_LEN].copy_from_slice(&sum);
    for (slot, generation) in [(0, 1), (1, 0)] {
        let at = SLOT_AT[slot] as usize;
        let record = Record {
            generation,
            reservation: 0,
        };
        bytes[at..at + SLOT_LEN].copy_from_slice(&slot_bytes(slot, record)?);
    }
    Ok(bytes)
}

/// What a counter file says.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Parsed {
    pub(super) algorithm: [u8; NAME_LEN],
    pub(super) identity: [u8; 32],
    /// The slot holding the latest reservation, and its record.
    pub(super) slot: usize,
    pub(super) latest: Record,
}

/// Reads a counter file, or says what is wrong with it.
pub(super) fn parse(bytes: &[u8]) -> Result<Parsed, &'static str> {
    if bytes.get(..MAGIC.len()).is_some_and(|magic| magic != MAGIC) {
        return Err("not a counter file: wrong magic");
    }
    if let Some(version) = bytes.get(8..12) {
        if version != VERSION.to_be_bytes() {
            return Err("unknown format version: not written by this version of secrets-nonce");
        }
    }
    if (bytes.len() as u64) < FILE_LEN {
        return Err("truncated: shorter than a counter file");
    }
    if bytes.len() as u64 > FILE_LEN {
        return Err("longer than a counter file");
    }
    let sum = checksum(&[&bytes[..HEADER_SUM_AT]]).map_err(|_| "no checksum")?;
    if bytes[HEADER_SUM_AT..HEADER_LEN] != sum {
        return Err("the header's checksum does not match");
    }
    let slots = [0, 1].map(|slot| read_slot(slot, &bytes[SLOT_AT[slot] as usize..]));
    let (slot, latest) = latest(slots).ok_or("neither reservation slot is valid")?;
    let mut algorithm = [0u8; NAME_LEN];
    algorithm.copy_from_slice(&bytes[16..48]);
    let mut identity = [0u8; 32];
    identity.copy_from_slice(&bytes[48..80]);
    Ok(Parsed {
        algorithm,
        identity,
        slot,
        latest,
    })
}

/// `bytes` with slot `slot` (0 for A, 1 for B) rewritten to hold `record`: for tests.
#[cfg(test)]
pub(super) fn with_slot(mut bytes: Vec<u8>, slot: usize, record: Record) -> Vec<u8> {
    let at = SLOT_AT[slot] as usize;
    bytes[at..at + SLOT_LEN].copy_from_slice(&slot_bytes(slot, record).unwrap());
    bytes
}

/// A record, for tests.
#[cfg(test)]
pub(super) fn record(generation: u64, reservation: u64) -> Record {
    Record {
        generation,
        reservation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Aegis256, Aes256Gcm, ChaCha20Poly1305Ietf, XChaCha20Poly1305};

    const IDENTITY: [u8; 32] = [0x5a; 32];

    fn file() -> Vec<u8> {
        new_file::<ChaCha20Poly1305Ietf>(&IDENTITY).unwrap()
    }

    #[test]
    fn a_new_file_parses_to_reservation_zero_in_slot_a() {
        let bytes = file();
        assert_eq!(bytes.len() as u64, FILE_LEN);
        let parsed = parse(&bytes).unwrap();
        assert_eq!(parsed.identity, IDENTITY);
        assert_eq!(parsed.algorithm, name_field::<ChaCha20Poly1305Ietf>());
        assert_eq!((parsed.slot, parsed.latest), (0, record(1, 0)));
        assert_eq!(&bytes[..8], b"SNCOUNTR");
        assert_eq!(&bytes[16..38], b"ChaCha20-Poly1305-IETF");
    }

    #[test]
    fn every_algorithm_name_fits_and_differs() {
        let names = [
            name_field::<XChaCha20Poly1305>(),
            name_field::<Aegis256>(),
            name_field::<ChaCha20Poly1305Ietf>(),
            name_field::<Aes256Gcm>(),
        ];
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn the_highest_valid_reservation_wins() {
        let bytes = with_slot(file(), 1, record(2, 4096));
        assert_eq!(parse(&bytes).unwrap().latest, record(2, 4096));
        let bytes = with_slot(bytes, 0, record(3, 8192));
        let parsed = parse(&bytes).unwrap();
        assert_eq!((parsed.slot, parsed.latest), (0, record(3, 8192)));
        // Equal reservations: the later generation.
        let bytes = with_slot(bytes, 1, record(4, 8192));
        assert_eq!(parse(&bytes).unwrap().slot, 1);
        // A higher reservation wins even with a lower generation (never issue below it).
        let bytes = with_slot(bytes, 0, record(1, 9000));
        assert_eq!(parse(&bytes).unwrap().latest, record(1, 9000));
    }

    #[test]
    fn a_torn_newest_slot_falls_back_to_the_older() {
        let bytes = with_slot(file(), 1, record(2, 4096));
        let bytes = with_slot(bytes, 0, record(3, 8192));
        for torn in [0, 5, 8, 15, 16, 40, 47] {
            let mut damaged = bytes.clone();
            damaged[SLOT_AT[0] as usize + torn] ^= 0x01;
            let parsed = parse(&damaged).unwrap();
            assert_eq!(
                (parsed.slot, parsed.latest),
                (1, record(2, 4096)),
                "byte {torn}"
            );
        }
        // Half the slot written, the rest still zero.
        let mut half = bytes.clone();
        half[SLOT_AT[0] as usize + 12..SLOT_AT[0] as usize + SLOT_LEN].fill(0);
        assert_eq!(parse(&half).unwrap().latest, record(2, 4096));
    }

    #[test]
    fn a_slot_copied_into_the_other_is_invalid() {
        let bytes = with_slot(file(), 1, record(2, 4096));
        let mut copied = bytes.clone();
        let (a, b) = (SLOT_AT[0] as usize, SLOT_AT[1] as usize);
        copied.copy_within(b..b + SLOT_LEN, a);
        assert_eq!(read_slot(0, &copied[a..]), None);
        assert_eq!(read_slot(1, &copied[b..]), Some(record(2, 4096)));
    }

    #[test]
    fn both_slots_bad_is_corrupt() {
        let mut bytes = file();
        bytes[SLOT_AT[0] as usize + 3] ^= 0x80;
        assert!(parse(&bytes).is_ok());
        bytes[SLOT_AT[1] as usize + 9] ^= 0x80;
        assert_eq!(parse(&bytes), Err("neither reservation slot is valid"));
    }

    #[test]
    fn damage_outside_the_slots_is_named() {
        let bytes = file();
        let damaged = |at: usize| {
            let mut bytes = bytes.clone();
            bytes[at] ^= 0x01;
            parse(&bytes)
        };
        assert_eq!(damaged(0), Err("not a counter file: wrong magic"));
        assert_eq!(
            damaged(11),
            Err("unknown format version: not written by this version of secrets-nonce")
        );
        for at in [12, 16, 47, 48, 79, 80, 111] {
            assert_eq!(
                damaged(at),
                Err("the header's checksum does not match"),
                "byte {at}"
            );
        }
        // Padding is covered by no checksum and read by nothing.
        assert!(damaged(200).is_ok());
        assert!(damaged(SLOT_AT[0] as usize + 60).is_ok());
    }

    #[test]
    fn every_length_but_the_right_one_is_corrupt() {
        let bytes = file();
        for len in [0, 4, 8, 12, 111, 4096, 4100, 8191, FILE_LEN as usize - 1] {
            assert_eq!(
                parse(&bytes[..len]),
                Err("truncated: shorter than a counter file"),
                "{len} bytes"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(parse(&longer), Err("longer than a counter file"));
        assert_eq!(parse(b"SNCOUNTX"), Err("not a counter file: wrong magic"));
        assert_eq!(
            parse(b"SNCOUNTR\0\0\0\x02"),
            Err("unknown format version: not written by this version of secrets-nonce")
        );
    }

    #[test]
    fn latest_prefers_reservation_then_generation() {
        assert_eq!(latest([None, None]), None);
        assert_eq!(latest([Some(record(7, 1)), None]), Some((0, record(7, 1))));
        assert_eq!(latest([None, Some(record(7, 1))]), Some((1, record(7, 1))));
        assert_eq!(
            latest([Some(record(9, 1)), Some(record(2, 2))]),
            Some((1, record(2, 2)))
        );
        assert_eq!(
            latest([Some(record(3, 5)), Some(record(4, 5))]),
            Some((1, record(4, 5)))
        );
        assert_eq!(
            latest([Some(record(0, u64::MAX)), Some(record(u64::MAX, 0))]),
            Some((0, record(0, u64::MAX)))
        );
    }

    #[test]
    fn slots_round_trip_at_the_extremes() {
        for r in [record(0, 0), record(1, u64::MAX), record(u64::MAX, 12345)] {
            for slot in [0, 1] {
                assert_eq!(read_slot(slot, &slot_bytes(slot, r).unwrap()), Some(r));
            }
        }
        assert_eq!(read_slot(0, &[0u8; SLOT_LEN]), None, "an all-zero slot");
        assert_eq!(read_slot(0, &[0u8; 10]), None, "a short slot");
    }
}
