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
    pub(super) text: String,
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

    pub(super) fn hash(&self, key: &str) -> u64 {
        self.hasher.hash_one(key)
    }

    /// The entry with `key`, whose hash ([`EntryStore::hash`]) is `hash`.
    pub(super) fn get(&self, key: &str, hash: u64) -> Option<usize> {
        let text = &self.text;
        self.index
            .find(hash, |i| &text[i.key.clone()] == key)
            .map(|i| i.entry)
    }

    /// Indexes `key` (of hash `hash`) for `entry` unless an entry has it already.
    pub(super) fn index(&mut self, key: &str, hash: u64, entry: usize) {
        if self.get(key, hash).is_some() {
            return;
        }
        let start = self.text.len();
        self.text.push_str(key);
        let indexed = Indexed {
            key: start..self.text.len(),
            entry,
        };
        let text = &self.text;
        let hasher = &self.hasher;
        self.index
            .insert_unique(hash, indexed, |i| hasher.hash_one(&text[i.key.clone()]));
    }

    /// Takes `key` (of hash `hash`) out of the index; the entry it led to.
    pub(super) fn unindex(&mut self, key: &str, hash: u64) -> Option<usize> {
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
    text: String,
    /// Each key set the entry has: its normalized text in `text`, and its
    /// hash in the set's store.
    sets: Vec<(Range<usize>, u64)>,
}

impl NormalKey {
    fn sets(&self) -> impl Iterator<Item = (&str, u64)> {
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
        key.sets()
            .map(|(text, _)| screen::entry_key(self.number, text))
    }

    /// Second pass: whether any key set of `key` is a suspect.
    pub(super) fn any_suspect(&self, key: &NormalKey, suspects: &screen::Suspects) -> bool {
        self.key_hashes(key).any(|h| suspects.contains(h))
    }

    /// First pass: moves the keys kept exactly into the Bloom filter; from
    /// now on this set only screens. They are distinct, so none is a suspect.
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
    pub(super) fn normalize(&self, key: &(impl KeyValues + ?Sized), out: &mut NormalKey) {
        out.text.clear();
        out.sets.clear();
        for (set, members) in self.keys.sets.iter().enumerate() {
            let start = out.text.len();
            // Key sets are few: the number fits in one char and keeps sets apart.
            out.text
                .push(char::from_u32(set as u32).unwrap_or(char::MAX));
            let mut any = false;
            for i in members.clone() {
                out.text.push('\u{0}');
                let value = key.value(i);
                any |= !value.is_empty();
                let at = out.text.len();
                out.text.push_str(value);
                if !self.keys.case_sensitive[i] {
                    out.text[at..].make_ascii_lowercase();
                }
            }
            if any {
                let hash = self.store.hash(&out.text[start..]);
                out.sets.push((start..out.text.len(), hash));
            } else {
                out.text.truncate(start);
            }
        }
    }

    /// The entry `key` clashes with: where it is and whether it is inherited.
    pub(super) fn find(&self, key: &NormalKey) -> Option<(Span, bool)> {
        let found = key
            .sets()
            .find_map(|(text, hash)| self.store.get(text, hash));
        found.and_then(|i| self.store.entries[i].clone())
    }

    pub(super) fn insert(&mut self, key: &NormalKey, span: Span, inherited: bool) {
        let at = self.store.entries.len();
        for (text, hash) in key.sets() {
            self.store.index(text, hash, at);
        }
        self.store.entries.push(Some((span, inherited)));
    }

    /// `<remove>`: every entry that clashes with `key` goes.
    pub(super) fn remove_matching(&mut self, key: &NormalKey) {
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
