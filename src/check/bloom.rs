//! A blocked Bloom filter for the duplicate screen ([`super::screen`]).
//!
//! A classic Bloom filter sets its k bits anywhere in the filter: each key
//! costs k cache misses once the filter outgrows the caches (a 4 MiB filter
//! does), and on a streamed file of small entries those misses were a fifth
//! of `check`'s time (BENCHMARKS.md, issue 21). Here each key sets
//! [`BITS_PER_BLOCK`] bits in each of two 64-byte blocks (one cache line
//! each): two misses per key, which the processor overlaps. Bits in a block
//! already fetched cost no miss, so a key sets fourteen: two blocks of
//! seven give far fewer false positives than the classic filter with seven
//! probes it replaces (at 400 MB of a hosting server 0.019 expected in
//! all, against 0.59; two blocks of four gave 0.34, one block of eight
//! 0.97).
//!
//! The construction is the blocked Bloom filter of Putze, Sanders and
//! Singler, "Cache-, Hash- and Space-Efficient Bloom Filters" (WEA 2007,
//! <https://doi.org/10.1007/978-3-540-72845-0_9>), with two blocks per key.

/// Bits per block: one cache line.
const BLOCK_BITS: usize = 512;
/// `u64` words per block.
const BLOCK_WORDS: usize = BLOCK_BITS / 64;
/// Bits set per key in each of its two blocks: seven positions of nine
/// bits fill one 64-bit word.
const BITS_PER_BLOCK: u32 = 7;

/// A set of 64-bit hashes that may say "seen" of one it was not given,
/// never "not seen" of one it was.
pub(super) struct BlockedBloom {
    /// The blocks, from `first` on (the words before it align the first
    /// block to a cache line). Zeroed pages the kernel hands out on first
    /// touch, so a block no key reaches costs nothing.
    words: Vec<u64>,
    first: usize,
    blocks: usize,
}

impl BlockedBloom {
    /// A filter of about `bits` bits (at least one block).
    pub(super) fn with_bits(bits: usize) -> BlockedBloom {
        let blocks = bits.div_ceil(BLOCK_BITS).max(1);
        // One spare block for the alignment; `vec![0; n]` allocates zeroed
        // memory without writing it.
        let words = vec![0u64; (blocks + 1) * BLOCK_WORDS];
        let misaligned = words.as_ptr() as usize % 64;
        let first = ((64 - misaligned) % 64) / 8;
        BlockedBloom {
            words,
            first,
            blocks,
        }
    }

    /// Adds `hash`; whether every one of its bits was set already (it may
    /// have been added before).
    #[cfg(test)]
    pub(super) fn insert(&mut self, hash: u64) -> bool {
        self.insert_at(self.locate(hash))
    }

    /// Where `hash`'s bits are: its two blocks (the index of each one's
    /// first word) and the bit positions in each.
    pub(super) fn locate(&self, hash: u64) -> Place {
        // More well-mixed words from the one hash: the second block's
        // number, and each block's seven bit positions (nine bits each).
        let second = mix(hash ^ 0x9e37_79b9_7f4a_7c15);
        let positions = [
            mix(hash.rotate_left(32) ^ 0xc2b2_ae3d_27d4_eb4f),
            mix(hash.rotate_left(16) ^ 0x1656_67b1_9e37_79f9),
        ];
        let block = |h| self.first + BLOCK_WORDS * self.block_of(h);
        Place {
            blocks: [block(hash), block(second)],
            positions,
        }
    }

    /// Asks the processor to fetch `place`'s blocks into the cache, so
    /// that [`BlockedBloom::insert_at`] later does not wait for them.
    pub(super) fn prefetch(&self, place: &Place) {
        for block in place.blocks {
            prefetch(&self.words[block]);
        }
    }

    /// [`BlockedBloom::insert`] of a hash located already.
    pub(super) fn insert_at(&mut self, place: Place) -> bool {
        let mut seen = true;
        for (block, mut bits) in place.blocks.into_iter().zip(place.positions) {
            // A block of fixed size: a bit's word (`at / 64`, below eight)
            // needs no bounds check (a third fewer instructions).
            let words: &mut [u64; BLOCK_WORDS] = (&mut self.words[block..block + BLOCK_WORDS])
                .try_into()
                .expect("a block is BLOCK_WORDS words");
            for _ in 0..BITS_PER_BLOCK {
                let at = (bits & 0x1ff) as usize;
                bits >>= 9;
                let (word, bit) = (&mut words[at / 64], 1u64 << (at % 64));
                seen &= *word & bit != 0;
                *word |= bit;
            }
        }
        seen
    }

    /// A block number from a hash's high bits (multiply and shift: Lemire,
    /// <https://lemire.me/blog/2016/06/27/a-fast-alternative-to-the-modulo-reduction/>).
    fn block_of(&self, hash: u64) -> usize {
        ((u128::from(hash) * self.blocks as u128) >> 64) as usize
    }
}

/// Where a hash's bits are in the filter ([`BlockedBloom::locate`]).
#[derive(Clone, Copy)]
pub(super) struct Place {
    blocks: [usize; 2],
    positions: [u64; 2],
}

/// A hint to fetch the cache line of `word`; nothing where there is no
/// such instruction.
#[inline]
fn prefetch(word: &u64) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing and faults on no address; `word` is
    // a valid reference anyway. SSE is part of x86_64.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            std::ptr::from_ref(word).cast(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = word;
}

/// The finalizer of SplitMix64 (Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014): every input bit moves
/// about half the output bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_start_on_a_cache_line() {
        for bits in [1, 512, 4096, 20_000_000] {
            let filter = BlockedBloom::with_bits(bits);
            assert_eq!(filter.words[filter.first..].as_ptr() as usize % 64, 0);
            assert!(filter.first + filter.blocks * BLOCK_WORDS <= filter.words.len());
        }
    }

    #[test]
    fn a_hash_added_is_seen_and_false_positives_are_as_rare_as_the_bits_allow() {
        // 10,000 keys in 1,000,000 bits (100 bits per key): about 10⁻⁷
        // false positives expected per key, so none among these (the
        // hashes are fixed: the outcome is too).
        let mut filter = BlockedBloom::with_bits(1_000_000);
        let key = |i: u64| mix(i.wrapping_mul(0x2545_f491_4f6c_dd1d));
        let early = (0..10_000).filter(|&i| filter.insert(key(i))).count();
        assert_eq!(early, 0, "keys seen before they were added");
        for i in 0..10_000 {
            assert!(filter.insert(key(i)), "key {i} was added but not seen");
        }
        let fresh = (10_000..11_000).filter(|&i| filter.insert(key(i))).count();
        assert_eq!(fresh, 0, "fresh keys seen");
    }

    #[test]
    fn a_full_filter_sees_everything_and_says_so() {
        let mut filter = BlockedBloom::with_bits(512);
        for i in 0..10_000u64 {
            filter.insert(mix(i));
        }
        assert!(filter.insert(mix(1 << 40)));
    }
}
