//! Byte-string helpers shared by the XML reader and the IIS tables.

/// Whether `a` and `b` hold the same bytes. Names of attributes and
/// elements are mostly 4 to 16 bytes long, and `check` compares one or more
/// per attribute it reads; for such lengths two word loads from each end
/// decide, where `==` on slices calls libc's `memcmp`.
#[inline]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

fn word(s: &[u8], at: usize) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_ne_bytes(w)
}

fn half(s: &[u8], at: usize) -> u32 {
    let mut w = [0; 4];
    w.copy_from_slice(&s[at..at + 4]);
    u32::from_ne_bytes(w)
}

#[cfg(test)]
mod tests {
    use super::same_bytes;
    use proptest::prelude::*;

    #[test]
    fn compares_every_byte_at_each_length() {
        for n in 0..40 {
            let a: Vec<u8> = (0..n as u8).collect();
            assert!(same_bytes(&a, &a.clone()), "{n}");
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x20;
                assert!(!same_bytes(&a, &b), "{n}, byte {i}");
            }
            if n > 0 {
                assert!(!same_bytes(&a, &a[..n - 1]), "{n}, one byte shorter");
            }
        }
    }

    proptest! {
        #[test]
        fn agrees_with_slice_equality(a in proptest::collection::vec(0u8..4, 0..24), b in proptest::collection::vec(0u8..4, 0..24)) {
            prop_assert_eq!(same_bytes(&a, &b), a == b);
        }
    }
}
