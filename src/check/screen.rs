//! Bounded memory for the duplicate checks of a large (streamed) file.
//!
//! Finding a duplicate means remembering every key seen before: each
//! `(<location> path, section)` and each entry key of a collection. A hosting
//! server's applicationHost.config has tens of thousands of each, so exact
//! memory grows with the file. A streamed file is therefore walked in up to
//! two passes:
//!
//! 1. [`Memory::Screen`]: every key goes into a Bloom filter of fixed size.
//!    A key the filter may have seen becomes a *suspect* (its 64-bit hash).
//!    No duplicate finding is made from the filter. With no suspects, the
//!    file has no duplicates and this pass's report is the report.
//! 2. [`Memory::Confirm`]: the file is walked again, and only suspect keys
//!    are remembered, exactly, so every duplicate is found and reported with
//!    its first occurrence, as in a file read whole.
//!
//! A false positive costs the second pass, never a wrong finding; a true
//! duplicate is always a suspect, because a Bloom filter has no false
//! negatives. With this filter, a hosting server of 100 MB (about 230,000
//! keys) expects 10⁻⁵ false positives in all, so clean files are read once;
//! at 400 MB it expects about one in two files to take the second pass, and
//! at 1 GB every file (BENCHMARKS.md). Memory is the same at every size
//! from 16 MB on; a smaller file gets a smaller filter ([`filter_bits`]).

use std::hash::{BuildHasher, Hasher};

use fastbloom::BloomFilter;
use foldhash::quality::FixedState;
use foldhash::HashSet;

/// Bits in the Bloom filter of a streamed file: at most 4 MiB.
pub(super) const FILTER_BITS: usize = 32 << 20;

/// The Bloom filter's size for a streamed file of `length` bytes: two bits
/// per byte, from 1 MiB (the smallest streamed file has 4 MiB) to
/// [`FILTER_BITS`] (from 16 MB on). A key takes about 50 bytes of the file
/// or more (`<add ipAddress="10.0.0.1" />`, its line break and
/// indentation), so a filter sized so has 100 bits per key or more, and a
/// 10 MB file of such entries expects 0.002 false positives in all. A
/// smaller file then does not pay a page fault for each 4 KiB of a 4 MiB
/// filter it does not need (BENCHMARKS.md: page faults cost here).
pub(super) fn filter_bits(length: u64) -> usize {
    usize::try_from(length)
        .unwrap_or(usize::MAX)
        .saturating_mul(2)
        .clamp(8 << 20, FILTER_BITS)
}
/// Probes per key. A new key looks seen with probability (1 - e^(-kn/m))^k
/// once n keys are in m bits: with [`FILTER_BITS`], 5 × 10⁻¹⁰ when a 100 MB
/// server's 230,000 are in. More probes would cost more cache misses.
const PROBES: u32 = 7;

/// How the walker remembers keys for its duplicate checks.
pub(super) enum Memory {
    /// Every key, exactly (a file read whole, or a small one).
    Exact,
    /// The first pass over a streamed file.
    Screen(Screen),
    /// The second pass: only the first pass's suspects, exactly.
    Confirm(Suspects),
}

/// A Bloom filter of the keys seen, and the keys it may have seen twice.
pub(super) struct Screen {
    seen: BloomFilter<FixedState>,
    pub(super) suspects: Suspects,
}

/// Hashes of keys that may occur twice.
#[derive(Default)]
pub(super) struct Suspects(HashSet<u64>);

impl Suspects {
    pub(super) fn contains(&self, key: u64) -> bool {
        self.0.contains(&key)
    }

    pub(super) fn insert(&mut self, key: u64) {
        self.0.insert(key);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Screen {
    pub(super) fn new(bits: usize) -> Screen {
        Screen {
            seen: BloomFilter::with_num_bits(bits.max(64))
                .hasher(KEY_HASHER)
                .hashes(PROBES),
            suspects: Suspects::default(),
        }
    }

    /// Notes a sighting of `key`; a key the filter may have seen before
    /// becomes a suspect.
    pub(super) fn sight(&mut self, key: u64) {
        if self.seen.insert_hash(key) {
            self.suspects.insert(key);
        }
    }

    /// Adds `key` to the filter without suspecting it: for keys already
    /// known to be distinct (an exact table handing over to the filter).
    pub(super) fn remember(&mut self, key: u64) {
        self.seen.insert_hash(key);
    }
}

/// How keys are hashed in the duplicate checks. Both passes must give each
/// key the same hash, so the seed is fixed.
const KEY_HASHER: FixedState = FixedState::with_seed(0x6f6d_6572_6f2d_6969);

/// The key of a section set for a `<location>` path: the section by its
/// number in the walk (its lower-case name's; both passes number the same
/// file's sections alike).
pub(super) fn section_key(location: &str, section: u32) -> u64 {
    let mut h = KEY_HASHER.build_hasher();
    h.write_u8(0);
    h.write(location.as_bytes());
    h.write_u8(0xff);
    h.write_u32(section);
    h.finish()
}

/// The key of a collection entry: which collection element (numbered in the
/// order of the walk) and one of its normalized key sets.
pub(super) fn entry_key(collection: u64, normalized: &[u8]) -> u64 {
    let mut h = KEY_HASHER.build_hasher();
    h.write_u8(1);
    h.write_u64(collection);
    h.write(normalized);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_seen_twice_is_a_suspect_and_a_new_one_is_not() {
        let mut screen = Screen::new(FILTER_BITS);
        for i in 0..10_000 {
            screen.sight(section_key(&format!("site{i}"), 3));
        }
        assert!(screen.suspects.is_empty(), "false positives at 10,000 keys");
        let again = section_key("site42", 3);
        screen.sight(again);
        assert!(screen.suspects.contains(again));
    }

    #[test]
    fn the_filter_grows_with_the_file_up_to_its_largest() {
        assert_eq!(filter_bits(4 << 20), 8 << 20);
        assert_eq!(filter_bits(10_000_000), 20_000_000);
        assert_eq!(filter_bits(16 << 20), FILTER_BITS);
        assert_eq!(filter_bits(400 << 20), FILTER_BITS);
        assert_eq!(filter_bits(u64::MAX), FILTER_BITS);
    }

    #[test]
    fn keys_of_different_kinds_and_places_differ() {
        assert_ne!(section_key("a", 1), section_key("a", 2));
        assert_ne!(section_key("a", 1), section_key("b", 1));
        assert_ne!(entry_key(1, b"x"), entry_key(2, b"x"));
        assert_eq!(entry_key(7, b"x"), entry_key(7, b"x"));
    }
}
