//! The geometry of a shared page: size classes, where each slot and canary sits. Pure
//! arithmetic, no memory is touched here.
//!
//! A page holds slots of one class. Every slot is preceded by a 16-byte canary, and one more
//! canary follows the last slot, so each slot sits between two canaries:
//!
//! ```text
//!  | canary | slack | data | canary | slack | data | ... | canary | unused |
//!  0        16                                    slots*(class+16)   +16   page
//!           |<-- class bytes ->|
//! ```
//!
//! A value shorter than its class is placed at the end of its slot (its slack, zero, before
//! it), so the byte after the value is the next canary: a one-byte overflow changes a canary.
//! The slack is checked to be zero along with the canaries, so a one-byte underflow is caught
//! as well. Data offsets are multiples of 16, and a value's size is a multiple of its alignment
//! (at most 16), so the value is aligned too.

/// Bytes of each canary.
pub(crate) const CANARY: usize = 16;

/// The data sizes of the classes, smallest first.
const SIZES: [usize; 7] = [16, 32, 64, 128, 256, 512, 1024];

/// The largest value a slot holds; longer ones go to dedicated pages.
pub(crate) const MAX_LEN: usize = 1024;

/// The strictest alignment a slot guarantees.
pub(crate) const MAX_ALIGN: usize = 16;

/// How many classes there are.
pub(crate) const COUNT: usize = SIZES.len();

/// The most slots a page of any class holds (16-byte slots in a 4 KiB page: 127); the pool's
/// slot bitmap is a `u128`.
pub(crate) const MAX_SLOTS: usize = 128;

/// A size class: slots of `size()` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Class(u8);

impl Class {
    /// The smallest class that holds `len` bytes; `None` past [`MAX_LEN`].
    pub(crate) fn for_len(len: usize) -> Option<Class> {
        SIZES
            .iter()
            .position(|&size| size >= len)
            .map(|index| Class(index as u8))
    }

    /// Every class, smallest first.
    #[cfg(test)]
    pub(crate) fn all() -> impl Iterator<Item = Class> {
        (0..COUNT).map(|index| Class(index as u8))
    }

    /// Its index among the classes, `0..COUNT`.
    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The data bytes of one slot.
    pub(crate) fn size(self) -> usize {
        SIZES[self.index()]
    }

    /// A slot with its leading canary.
    fn stride(self) -> usize {
        self.size() + CANARY
    }

    /// How many slots a page of `page` bytes holds, leaving room for the trailing canary; at
    /// most [`MAX_SLOTS`].
    pub(crate) fn slots(self, page: usize) -> usize {
        (page.saturating_sub(CANARY) / self.stride()).min(MAX_SLOTS)
    }

    /// The offset in its page of the canary before slot `slot`; `slot == slots` gives the
    /// trailing canary after the last slot.
    pub(crate) fn canary_offset(self, slot: usize) -> usize {
        slot * self.stride()
    }

    /// The offset in its page of a value of `len` bytes (at most `size()`) in slot `slot`: at
    /// the end of the slot.
    pub(crate) fn value_offset(self, slot: usize, len: usize) -> usize {
        self.canary_offset(slot) + CANARY + (self.size() - len)
    }

    /// The bytes checked at release for a value of `len` in slot `slot`: from its leading
    /// canary through its slack, as `(offset, length)`; the trailing canary is the next slot's
    /// leading one, at [`Class::canary_offset`]`(slot + 1)`.
    pub(crate) fn guard_before(self, slot: usize, len: usize) -> (usize, usize) {
        (self.canary_offset(slot), CANARY + (self.size() - len))
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::needless_range_loop)]
mod tests {
    use super::*;

    const PAGE: usize = 4096;

    #[test]
    fn the_classes_hold_what_the_design_says() {
        let slots: Vec<usize> = Class::all().map(|class| class.slots(PAGE)).collect();
        assert_eq!(slots, [127, 85, 51, 28, 15, 7, 3]);
    }

    #[test]
    fn every_length_gets_the_smallest_class_that_holds_it() {
        for len in 0..=MAX_LEN {
            let class = Class::for_len(len).expect("a class up to MAX_LEN");
            assert!(class.size() >= len);
            if class.index() > 0 {
                assert!(
                    Class(class.0 - 1).size() < len,
                    "{len} could use a smaller class"
                );
            }
        }
        assert_eq!(Class::for_len(MAX_LEN + 1), None);
        assert_eq!(Class::for_len(usize::MAX), None);
    }

    #[test]
    fn slots_and_canaries_tile_the_page_without_overlap() {
        for class in Class::all() {
            let slots = class.slots(PAGE);
            let mut covered = vec![0u8; PAGE];
            for slot in 0..slots {
                for byte in class.canary_offset(slot)..class.canary_offset(slot) + CANARY {
                    covered[byte] += 1;
                }
                let data = class.value_offset(slot, class.size());
                for byte in data..data + class.size() {
                    covered[byte] += 1;
                }
            }
            let trailing = class.canary_offset(slots);
            assert!(
                trailing + CANARY <= PAGE,
                "{class:?}: trailing canary off the page"
            );
            for byte in trailing..trailing + CANARY {
                covered[byte] += 1;
            }
            assert!(covered.iter().all(|&n| n <= 1), "{class:?}: overlap");
            assert!(
                covered[..trailing + CANARY].iter().all(|&n| n == 1),
                "{class:?}: gap"
            );
        }
    }

    #[test]
    fn a_value_ends_at_the_next_canary_and_is_aligned() {
        for class in Class::all() {
            for slot in 0..class.slots(PAGE) {
                for len in [0, 1, 15, 16, class.size() / 2, class.size()] {
                    if len > class.size() {
                        continue;
                    }
                    let at = class.value_offset(slot, len);
                    assert_eq!(
                        at + len,
                        class.canary_offset(slot + 1),
                        "{class:?} {slot} {len}"
                    );
                    let (guard, guard_len) = class.guard_before(slot, len);
                    assert_eq!(guard + guard_len, at);
                    if len % MAX_ALIGN == 0 {
                        assert_eq!(at % MAX_ALIGN, 0, "{class:?} {slot} {len}: misaligned");
                    }
                }
            }
        }
    }
}
