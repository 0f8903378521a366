//! The entries of one collection element as `check` walks it: every key
//! set indexed, so that a duplicate entry (IIS's "Cannot add duplicate
//! collection entry") is found in constant time among a hosting server's
//! tens of thousands, and `<remove>` / `<clear>` forget what they name. For a
//! streamed file's first pass, entries past [`SCREEN_ABOVE`] go into the
//! screen's Bloom filter instead (see `screen`).

use std::hash::BuildHasher;
use std::ops::Range;

use hashbrown::HashTable;

use super::screen::{self, Screen};
use crate::iis::schema::Keys;
use crate::source::Span;
use crate::xml::Tag;

/// Entries an [`EntrySet`] of a streamed file's first pass keeps exactly;
/// beyond them, its keys go into the Bloom filter.
pub(super) const SCREEN_ABOVE: usize = 1024;

/// The entries of one collection element, indexed by every key set, so that
/// each new entry is checked in constant time (a hosting server's
/// applicationHost.config has tens of thousands). Two entries clash when any
/// single `key` matches, or all `ckey` values match (not all empty). Only the
/// normalized keys and where each entry is are kept.
pub(super) struct EntrySet<'s> {
    pub(super) keys: &'s Keys,
    pub(super) store: EntryStore,
    /// This collection element's number in the walk (part of its keys' hashes).
    pub(super) number: u64,
    /// Its keys have gone into the Bloom filter (first pass, large sets only).
    pub(super) screened: bool,
}

/// The memory of an [`EntrySet`], reused from one collection element to the
/// next (a configuration file has one per site, application and location).
#[derive(Default)]
pub(super) struct EntryStore {
    /// Where each entry is, and whether it is inherited; `None` once removed.
    pub(super) entries: Vec<Option<(Span, bool)>>,
    /// The normalized keys, one after another: one buffer instead of a
    /// string per entry.
    pub(super) text: Vec<u8>,
    /// Each key set's number and normalized values (a range of `text`) →
    /// entry: one table for all key sets.
    pub(super) index: HashTable<Indexed>,
    pub(super) hasher: foldhash::fast::RandomState,
}

pub(super) struct Indexed {
    pub(super) key: Range<usize>,
    pub(super) entry: usize,
}

impl EntryStore {
    pub(super) fn clear(&mut self) {
        self.entries.clear();
        self.text.clear();
        self.index.clear();
    }

    pub(super) fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The entry with `key`, whose hash ([`EntryStore::hash`]) is `hash`.
    pub(super) fn get(&self, key: &[u8], hash: u64) -> Option<usize> {
        let text = &self.text;
        self.index
            .find(hash, |i| &text[i.key.clone()] == key)
            .map(|i| i.entry)
    }

    /// Indexes `key` (of hash `hash`) for `entry` unless an entry has it already.
    pub(super) fn index(&mut self, key: &[u8], hash: u64, entry: usize) {
        // One probe finds the key or the slot for it (a lookup and then an
        // insertion were two).
        let text = &self.text;
        let hasher = &self.hasher;
        let slot = self.index.entry(
            hash,
            |i| &text[i.key.clone()] == key,
            |i| hasher.hash_one(&text[i.key.clone()]),
        );
        if let hashbrown::hash_table::Entry::Vacant(slot) = slot {
            let start = self.text.len();
            self.text.extend_from_slice(key);
            slot.insert(Indexed {
                key: start..self.text.len(),
                entry,
            });
        }
    }

    /// Takes `key` (of hash `hash`) out of the index; the entry it led to.
    pub(super) fn unindex(&mut self, key: &[u8], hash: u64) -> Option<usize> {
        let text = &self.text;
        let found = self
            .index
            .find_entry(hash, |i| &text[i.key.clone()] == key)
            .ok()?;
        Some(found.remove().0.entry)
    }
}

/// An entry's key sets, normalized (see [`EntrySet::normalize`]) once for
/// the lookups and the insertion that follow.
#[derive(Default)]
pub(super) struct NormalKey {
    /// The key sets' bytes: UTF-8 values, each after a 0 byte (a value
    /// cannot hold one: XML 1.0 has no NUL character), each set after its
    /// number.
    text: Vec<u8>,
    /// Each key set the entry has: its normalized text in `text`, and the
    /// hash its set uses now: the store's, or once the set is screened,
    /// the screen's ([`screen::entry_key`]), which is then the only one used.
    sets: Vec<(Range<usize>, u64)>,
}

impl NormalKey {
    fn sets(&self) -> impl Iterator<Item = (&[u8], u64)> {
        self.sets
            .iter()
            .map(|(range, hash)| (&self.text[range.clone()], *hash))
    }
}

/// The values of an entry's key attributes, by their index in [`Keys::names`].
pub(super) trait KeyValues {
    fn value(&self, name: usize) -> &str;
}

/// An entry as written: absent key attributes are empty.
pub(super) struct TagKey<'t> {
    pub(super) tag: &'t Tag,
    pub(super) keys: &'t Keys,
}

impl KeyValues for TagKey<'_> {
    fn value(&self, name: usize) -> &str {
        self.tag.attribute(&self.keys.names[name]).unwrap_or("")
    }
}

/// An entry inherited from applicationHost.config.
impl KeyValues for [String] {
    fn value(&self, name: usize) -> &str {
        &self[name]
    }
}

impl<'s> EntrySet<'s> {
    pub(super) fn new(
        collection: &'s crate::iis::schema::Collection,
        number: u64,
        mut store: EntryStore,
    ) -> EntrySet<'s> {
        store.clear();
        EntrySet {
            keys: &collection.keys,
            store,
            number,
            screened: false,
        }
    }

    /// Entries kept exactly.
    pub(super) fn len(&self) -> usize {
        self.store.entries.len()
    }

    /// The hashes of `key`'s key sets for the screen (see [`screen::entry_key`]).
    pub(super) fn key_hashes<'k>(&'k self, key: &'k NormalKey) -> impl Iterator<Item = u64> + 'k {
        // A screened set's keys carry these hashes already (see `normalize`).
        key.sets().map(|(text, hash)| {
            if self.screened {
                hash
            } else {
                screen::entry_key(self.number, text)
            }
        })
    }

    /// Second pass: whether any key set of `key` is a suspect.
    pub(super) fn any_suspect(&self, key: &NormalKey, suspects: &screen::Suspects) -> bool {
        self.key_hashes(key).any(|h| suspects.contains(h))
    }

    /// First pass: moves the keys kept exactly into the Bloom filter; from
    /// now on this set only screens. They are distinct, so none is a suspect
    /// but by the filter's false positives ([`Screen::remember`]).
    pub(super) fn hand_over(&mut self, screen: &mut Screen) {
        for indexed in self.store.index.iter() {
            screen.remember(screen::entry_key(
                self.number,
                &self.store.text[indexed.key.clone()],
            ));
        }
        self.store.clear();
        self.screened = true;
    }

    /// Whether entries are compared at all (some collections have no key).
    pub(super) fn has_keys(&self) -> bool {
        !self.keys.names.is_empty()
    }

    /// Writes `key`'s key sets into `out`: for each set the entry has (not
    /// all its values empty), the set's number and its values as they
    /// compare (in lower case unless case-sensitive), with their hash.
    ///
    /// Each set gets the one hash its phase uses: the store's while its
    /// entries are kept exactly, the screen's once they are screened (the
    /// store's hash was made for every entry of a screened set, and unused).
    pub(super) fn normalize(&self, key: &(impl KeyValues + ?Sized), out: &mut NormalKey) {
        out.text.clear();
        out.sets.clear();
        for (set, members) in self.keys.sets.iter().enumerate() {
            let start = out.text.len();
            // Key sets are few (one per `key` attribute, one for all the
            // `ckey`s): the number fits in one byte and keeps sets apart.
            out.text.push(u8::try_from(set).unwrap_or(u8::MAX));
            let mut any = false;
            for i in members.clone() {
                out.text.push(0);
                let value = key.value(i).as_bytes();
                any |= !value.is_empty();
                if self.keys.case_sensitive[i] {
                    out.text.extend_from_slice(value);
                } else {
                    push_ascii_lowercase(&mut out.text, value);
                }
            }
            if any {
                let text = &out.text[start..];
                let hash = if self.screened {
                    screen::entry_key(self.number, text)
                } else {
                    self.store.hash(text)
                };
                out.sets.push((start..out.text.len(), hash));
            } else {
                out.text.truncate(start);
            }
        }
    }

    /// The entry `key` clashes with: where it is and whether it is inherited.
    pub(super) fn find(&self, key: &NormalKey) -> Option<(Span, bool)> {
        debug_assert!(
            !self.screened,
            "a screened set's keys carry the screen's hashes"
        );
        let found = key
            .sets()
            .find_map(|(text, hash)| self.store.get(text, hash));
        found.and_then(|i| self.store.entries[i].clone())
    }

    pub(super) fn insert(&mut self, key: &NormalKey, span: Span, inherited: bool) {
        debug_assert!(
            !self.screened,
            "a screened set's keys carry the screen's hashes"
        );
        let at = self.store.entries.len();
        for (text, hash) in key.sets() {
            self.store.index(text, hash, at);
        }
        self.store.entries.push(Some((span, inherited)));
    }

    /// `<remove>`: every entry that clashes with `key` goes.
    pub(super) fn remove_matching(&mut self, key: &NormalKey) {
        debug_assert!(
            !self.screened,
            "a screened set's keys carry the screen's hashes"
        );
        for (text, hash) in key.sets() {
            let Some(i) = self.store.unindex(text, hash) else {
                continue;
            };
            if self.store.entries[i].take().is_some() && self.keys.sets.len() > 1 {
                // Its other key sets point at it too.
                self.store.index.retain(|indexed| indexed.entry != i);
            }
        }
    }

    pub(super) fn clear(&mut self) {
        self.store.clear();
    }
}

/// Appends `value` to `out` with ASCII letters in lower case (IIS compares
/// keys that way unless the schema says `caseSensitive`); other bytes as
/// they are. Eight bytes at a time: key values are short (an IP address,
/// a path), too short for the compiler's vector loop.
fn push_ascii_lowercase(out: &mut Vec<u8>, value: &[u8]) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = value.chunks_exact(8);
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        // Per byte: its low seven bits plus an amount that carries into
        // bit 7 from 'A' on, and another from past 'Z' on; an ASCII byte
        // with the first carry and not the second is an upper-case letter.
        let low = x & !HIGH;
        let from_a = low + ONES * u64::from(0x80 - b'A');
        let past_z = low + ONES * u64::from(0x80 - b'Z' - 1);
        let upper = (from_a & !past_z) & !x & HIGH;
        out.extend_from_slice(&(x | (upper >> 2)).to_le_bytes());
    }
    out.extend(words.remainder().iter().map(u8::to_ascii_lowercase));
}

#[cfg(test)]
mod tests {
    use super::push_ascii_lowercase;
    use proptest::prelude::*;

    fn lowered(value: &[u8]) -> Vec<u8> {
        let mut out = b"prefix".to_vec();
        push_ascii_lowercase(&mut out, value);
        out
    }

    #[test]
    fn lowers_ascii_letters_only() {
        assert_eq!(lowered(b"10.0.0.1"), b"prefix10.0.0.1");
        assert_eq!(
            lowered(b"@AZ[`az{ MixedCase/Path"),
            b"prefix@az[`az{ mixedcase/path"
        );
        // Bytes of UTF-8 sequences stay as they are, 'É' among them.
        assert_eq!(
            lowered("ÉCOLE-Ünï".as_bytes()),
            "prefixÉcole-Ünï".as_bytes()
        );
    }

    proptest! {
        #[test]
        fn lowers_as_the_standard_library_does(value in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut expected = b"prefix".to_vec();
            expected.extend(value.iter().map(u8::to_ascii_lowercase));
            prop_assert_eq!(lowered(&value), expected);
        }
    }
}
