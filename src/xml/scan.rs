//! The vector scans: every byte of every window goes through
//! [`scan_bytes`] (control characters, and whether the window is ASCII), and
//! every long attribute value through [`value_end`]. Each has an AVX2 form,
//! taken at run time on a processor that has it, and a form for every other
//! processor (SSE2, part of x86_64; elsewhere a fold the compiler can
//! vectorize, or memchr); tests compare each with the plain definitions.

/// Whether XML 1.0 refuses the byte `b` as a control character (§2.2):
/// below U+0020 and not tab, line feed or carriage return.
fn is_control(b: u8) -> bool {
    (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r')
}

/// What one pass over a window's bytes found: the first control character
/// XML 1.0 refuses (§2.2: below U+0020, other than tab, line feed and
/// carriage return), and whether every byte before it is ASCII. Every byte
/// of every window goes through here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ByteScan {
    pub(super) first_control: Option<usize>,
    /// Every byte before `first_control` (of all the bytes, without one)
    /// is below 0x80: those bytes are UTF-8, with no U+FFFE or U+FFFF, so
    /// a window that is all ASCII skips the UTF-8 check and the search for
    /// those two (together a third of the reading thread's work on a file
    /// of long attribute values; BENCHMARKS.md).
    pub(super) ascii: bool,
}

impl ByteScan {
    /// No control character, and every byte ASCII.
    pub(super) fn is_plain_ascii(&self) -> bool {
        self.ascii && self.first_control.is_none()
    }
}

/// [`ByteScan`] of `bytes`.
pub(super) fn scan_bytes(bytes: &[u8]) -> ByteScan {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2 (asked above).
            return unsafe { avx2::scan_bytes(bytes) };
        }
        sse2::scan_bytes(bytes)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        // A fold over a block, which the compiler can vectorize.
        scan_blocks(bytes, |block| {
            block
                .iter()
                .fold(BlockScan::default(), |seen, &b| BlockScan {
                    control: seen.control | is_control(b),
                    high: seen.high | (b >= 0x80),
                })
        })
    }
}

/// What a vector test found in a 64-byte block: a control character, a
/// byte from 0x80 on.
#[derive(Clone, Copy, Default)]
struct BlockScan {
    control: bool,
    high: bool,
}

/// [`ByteScan`] of `bytes`, each 64-byte block asked of `scan_block` first
/// (a vector test), then looked through byte by byte only where it holds a
/// control character (what it finds there is the answer: a test that said
/// yes too often would cost time, not a finding); the last bytes one by
/// one. Inlined into each vector scan, so that the test is inlined with
/// that scan's instructions.
#[inline(always)]
fn scan_blocks(bytes: &[u8], scan_block: impl Fn(&[u8]) -> BlockScan) -> ByteScan {
    let mut high = false;
    let mut blocks = bytes.chunks_exact(64);
    for (n, block) in (&mut blocks).enumerate() {
        let found = scan_block(block);
        if found.control {
            if let Some(at) = block.iter().position(|&b| is_control(b)) {
                // Only the bytes before the control character count.
                return ByteScan {
                    first_control: Some(n * 64 + at),
                    ascii: !high && block[..at].is_ascii(),
                };
            }
        }
        high |= found.high;
    }
    let rest = blocks.remainder();
    scan_tail(rest, bytes.len() - rest.len(), high)
}

/// [`ByteScan`] of the bytes of `tail`, which start at `done`, after bytes
/// with a byte from 0x80 on if `high`.
fn scan_tail(tail: &[u8], done: usize, high: bool) -> ByteScan {
    let at = tail.iter().position(|&b| is_control(b));
    let before = &tail[..at.unwrap_or(tail.len())];
    ByteScan {
        first_control: at.map(|i| done + i),
        ascii: !high && before.is_ascii(),
    }
}

/// The SSE2 scan, whichever one [`scan_bytes`] takes here.
#[cfg(all(test, target_arch = "x86_64"))]
pub(super) fn scan_bytes_sse2(bytes: &[u8]) -> ByteScan {
    sse2::scan_bytes(bytes)
}

/// The AVX2 scans, on a processor that has AVX2 (asked at run time), 64
/// bytes at a time: [`scan_bytes`] in half the instructions of the SSE2
/// scan, which was still a quarter of the reading thread's work on a file
/// of long attribute values, and [`value_end`] in one pass where memchr
/// makes three (BENCHMARKS.md). Both tell the few bytes they look for from
/// all others with a byte shuffle: `_mm256_shuffle_epi8(table, v)` gives
/// for each byte of `v` the table's entry at its low four bits (0 for a
/// byte from 0x80 on), so a byte is one of those looked for exactly when
/// it equals its entry ([`shuffle_table`]).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{BlockScan, ByteScan};
    use std::arch::x86_64::*;

    /// A shuffle table for `looked_for`, bytes whose low four bits all
    /// differ: each at the place of its low four bits, and at every other
    /// place a byte whose low four bits are not the place's; twice, for the
    /// two 128-bit lanes of a shuffle.
    const fn shuffle_table(looked_for: &[u8]) -> [u8; 32] {
        let mut table = [0u8; 32];
        let mut i = 0;
        while i < 32 {
            table[i] = (i as u8 & 0x0f) ^ 1;
            i += 1;
        }
        let mut j = 0;
        while j < looked_for.len() {
            let b = looked_for[j];
            let place = (b & 0x0f) as usize;
            assert!(table[place] != b, "two bytes with the same low four bits");
            table[place] = b;
            table[place + 16] = b;
            j += 1;
        }
        table
    }

    /// The control characters XML allows.
    const ALLOWED_CONTROLS: [u8; 32] = shuffle_table(b"\t\n\r");

    /// What value normalization must see (XML 1.0 §3.3.3).
    const VALUE_MARKS: [u8; 32] = shuffle_table(b"<&\t\n\r");

    /// # Safety
    ///
    /// Needs a processor with AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn scan_bytes(bytes: &[u8]) -> ByteScan {
        // SAFETY: the load reads the 32 bytes of the table.
        let allowed = unsafe { _mm256_loadu_si256(ALLOWED_CONTROLS.as_ptr().cast()) };
        super::scan_blocks(bytes, |block| {
            assert_eq!(block.len(), 64);
            let at = block.as_ptr().cast::<__m256i>();
            // SAFETY: the two loads read the 64 bytes of `block` (checked
            // above), unaligned.
            let (low, high) = unsafe { (_mm256_loadu_si256(at), _mm256_loadu_si256(at.add(1))) };
            let found = _mm256_or_si256(controls(low, allowed), controls(high, allowed));
            BlockScan {
                control: _mm256_movemask_epi8(found) != 0,
                // The top bit of each byte.
                high: _mm256_movemask_epi8(_mm256_or_si256(low, high)) != 0,
            }
        })
    }

    /// 0xFF for each control character of `v`, 0 for every other byte:
    /// the bytes up to 0x1F (those the unsigned minimum with 0x1F leaves
    /// as they are), less those equal to their entry in `allowed_table`
    /// ([`ALLOWED_CONTROLS`]).
    #[target_feature(enable = "avx2")]
    fn controls(v: __m256i, allowed_table: __m256i) -> __m256i {
        let low = _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1f)), v);
        let allowed = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(allowed_table, v), v);
        _mm256_andnot_si256(allowed, low)
    }

    /// [`super::value_end`]: each byte is compared with the quote, and
    /// with its entry in [`VALUE_MARKS`], so that one pass finds the end and
    /// the marks before it.
    ///
    /// # Safety
    ///
    /// Needs a processor with AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn value_end(bytes: &[u8], quote: u8) -> Option<(usize, bool)> {
        // SAFETY: the load reads the 32 bytes of the table.
        let table = unsafe { _mm256_loadu_si256(VALUE_MARKS.as_ptr().cast()) };
        let quotes = _mm256_set1_epi8(quote as i8);
        let marks = |v| _mm256_cmpeq_epi8(_mm256_shuffle_epi8(table, v), v);
        // The marks of the blocks before, OR-ed: asked once, at the end.
        let mut marked = _mm256_setzero_si256();
        let mut blocks = bytes.chunks_exact(64);
        for (n, block) in (&mut blocks).enumerate() {
            let at = block.as_ptr().cast::<__m256i>();
            // SAFETY: the two loads read the 64 bytes of `block`, unaligned.
            let (low, high) = unsafe { (_mm256_loadu_si256(at), _mm256_loadu_si256(at.add(1))) };
            let quoted = _mm256_or_si256(
                _mm256_cmpeq_epi8(low, quotes),
                _mm256_cmpeq_epi8(high, quotes),
            );
            if _mm256_movemask_epi8(quoted) != 0 {
                let bits = |v| u64::from(_mm256_movemask_epi8(v) as u32);
                let quote_bits = bits(_mm256_cmpeq_epi8(low, quotes))
                    | bits(_mm256_cmpeq_epi8(high, quotes)) << 32;
                let mark_bits = bits(marks(low)) | bits(marks(high)) << 32;
                let at = quote_bits.trailing_zeros();
                let before = mark_bits & ((1u64 << at) - 1);
                let earlier = _mm256_movemask_epi8(marked) != 0;
                return Some((n * 64 + at as usize, earlier | (before != 0)));
            }
            marked = _mm256_or_si256(marked, _mm256_or_si256(marks(low), marks(high)));
        }
        let marked = _mm256_movemask_epi8(marked) != 0;
        let rest = blocks.remainder();
        let done = bytes.len() - rest.len();
        super::value_end_memchr(rest, quote).map(|(end, more)| (done + end, marked | more))
    }
}

/// [`scan_bytes`] sixteen bytes at a time, with SSE2 (part of x86_64):
/// about half the instructions of the loop the compiler made of the plain
/// test, which was a third of the reading thread's work on a file of long
/// attribute values (BENCHMARKS.md).
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{BlockScan, ByteScan};
    use std::arch::x86_64::*;

    pub(super) fn scan_bytes(bytes: &[u8]) -> ByteScan {
        super::scan_blocks(bytes, scan_block)
    }

    /// Whether the 64 bytes of `block` hold a control character, a byte
    /// from 0x80 on.
    fn scan_block(block: &[u8]) -> BlockScan {
        assert_eq!(block.len(), 64);
        // SAFETY: SSE2 is part of every x86_64 processor; the four loads
        // read the 64 bytes of `block` (checked above), unaligned.
        unsafe {
            let at = block.as_ptr().cast::<__m128i>();
            let v = [
                _mm_loadu_si128(at),
                _mm_loadu_si128(at.add(1)),
                _mm_loadu_si128(at.add(2)),
                _mm_loadu_si128(at.add(3)),
            ];
            let found = _mm_or_si128(
                _mm_or_si128(controls(v[0]), controls(v[1])),
                _mm_or_si128(controls(v[2]), controls(v[3])),
            );
            let all = _mm_or_si128(_mm_or_si128(v[0], v[1]), _mm_or_si128(v[2], v[3]));
            BlockScan {
                control: _mm_movemask_epi8(found) != 0,
                // The top bit of each byte.
                high: _mm_movemask_epi8(all) != 0,
            }
        }
    }

    /// 0xFF for each control character of `v`, 0 for every other byte.
    ///
    /// # Safety
    ///
    /// Needs SSE2, which every x86_64 processor has.
    #[inline]
    unsafe fn controls(v: __m128i) -> __m128i {
        // Bytes up to 0x1F: those that the unsigned minimum with 0x1F
        // leaves as they are; less tab, line feed and carriage return.
        let low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        let allowed = _mm_or_si128(
            _mm_or_si128(
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\t' as i8)),
                _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)),
            ),
            _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\r' as i8)),
        );
        _mm_andnot_si128(allowed, low)
    }
}

/// Where an attribute value ends in `bytes` (which start inside it): the
/// index of the first `quote`, and whether a byte before it is one that
/// value normalization must see (`<`, refused; `&`, tab, line feed and
/// carriage return, resolved; XML 1.0 §3.3.3). `None` without a `quote`.
pub(super) fn value_end(bytes: &[u8], quote: u8) -> Option<(usize, bool)> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2 (asked above).
            return unsafe { avx2::value_end(bytes, quote) };
        }
    }
    value_end_memchr(bytes, quote)
}

/// [`value_end`] with memchr: the quote found first, then the five bytes
/// looked for before it (three passes over a long value, where the AVX2
/// form makes one).
pub(super) fn value_end_memchr(bytes: &[u8], quote: u8) -> Option<(usize, bool)> {
    let end = memchr::memchr(quote, bytes)?;
    let value = &bytes[..end];
    let marked = memchr::memchr3(b'<', b'&', b'\t', value).is_some()
        || memchr::memchr2(b'\n', b'\r', value).is_some();
    Some((end, marked))
}
