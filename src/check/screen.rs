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
//!    file has no duplicates and this pass's report is the report. (A file
//!    with fewer keys than one batch, [`SEND`], makes no filter: its
//!    suspects are the keys it has twice.)
//! 2. [`Memory::Confirm`]: the file is walked again, and only suspect keys
//!    are remembered, exactly, so every duplicate is found and reported with
//!    its first occurrence, as in a file read whole.
//!
//! A false positive costs the second pass, never a wrong finding; a true
//! duplicate is always a suspect, because a Bloom filter has no false
//! negatives. With this filter (a blocked one, [`super::bloom`]), a hosting
//! server of 100 MB (about 230,000 keys) expects 2 × 10⁻⁹ false positives
//! in all, so clean files are read once; at 400 MB (915,000 keys) 0.019,
//! so about one file in fifty takes the second pass, at 600 MB most, and at
//! 1 GB every file (expected counts summed over the keys as they go in;
//! BENCHMARKS.md).
//! Memory is the same at every size from 16 MB on; a smaller file gets a
//! smaller filter ([`filter_bits`]).

use std::hash::{BuildHasher, Hasher};
use std::sync::{mpsc, Arc, Mutex};

use foldhash::quality::FixedState;
use foldhash::HashSet;

use super::bloom::{BlockedBloom, Place};
use crate::xml::{Helper, Job};

/// Bits in the Bloom filter of a streamed file: at most 4 MiB.
pub(super) const FILTER_BITS: usize = 32 << 20;

/// The Bloom filter's size for a streamed file of `length` bytes: two bits
/// per byte, from 1 MiB (the smallest streamed file has 4 MiB) to
/// [`FILTER_BITS`] (from 16 MB on). A key takes about 50 bytes of the file
/// or more (`<add ipAddress="10.0.0.1" />`, its line break and
/// indentation), so a filter sized so has 100 bits per key or more, and a
/// 10 MB file of such entries expects about 10⁻⁷ false positives in all. A
/// smaller file then does not pay a page fault for each 4 KiB of a 4 MiB
/// filter it does not need (BENCHMARKS.md: page faults cost here).
pub(super) fn filter_bits(length: u64) -> usize {
    usize::try_from(length)
        .unwrap_or(usize::MAX)
        .saturating_mul(2)
        .clamp(8 << 20, FILTER_BITS)
}
/// How the walker remembers keys for its duplicate checks.
pub(super) enum Memory {
    /// Every key, exactly (a file read whole, or a small one).
    Exact,
    /// The first pass over a streamed file.
    Screen(Screen),
    /// The second pass: only the first pass's suspects, exactly.
    Confirm(Suspects),
}

/// The keys a walk sighted, screened for keys sighted twice.
///
/// The screening (a Bloom filter, [`Filter`]) is a third or more of the
/// walk's instructions on a file of large collections, and the walk is
/// mostly the slower of `check`'s two threads. So the keys go to the filter
/// in batches, and with a [`Helper`] the thread that reads the file ahead
/// screens them, between its windows, while the walk goes on; a batch
/// sent while that thread is the slower one (the walk waited for its last
/// window) is screened on the walk instead (BENCHMARKS.md, issue 21). The
/// order the keys reach the filter in does not change the outcome: every
/// key, remembered or sighted, is screened alike.
pub(super) struct Screen {
    bits: usize,
    /// Keys not yet sent to the filter.
    batch: Vec<u64>,
    /// Made by the first batch: a file without large collections needs
    /// none. Locked by the thread that screens a batch: the reading thread,
    /// or the walk while that one is behind.
    filter: Arc<Mutex<Option<Filter>>>,
    /// Where the batches are screened; on this thread without one.
    helper: Option<Helper>,
    /// Keys suspected outright ([`Screen::suspect`]).
    suspects: Suspects,
    /// A batch went to a helper whose thread had ended: batches it had
    /// queued were lost with it.
    lost: bool,
    /// A batch was sent to the filter (which the first batch makes).
    sent: bool,
}

/// Keys per batch sent to the filter: few hand-overs (about fifty for 10 MB
/// of small entries), 64 KiB a batch.
pub(super) const SEND: usize = 4096;

/// The screen's filter could not be asked: the thread that screened its
/// keys ended early (it panicked).
#[derive(Debug, thiserror::Error)]
#[error("the thread screening keys for duplicates stopped")]
pub struct ScreenLost;

impl Screen {
    /// A screen of a filter of `bits`, on this thread until
    /// [`Screen::screen_on`] says otherwise.
    pub(super) fn new(bits: usize) -> Screen {
        Screen {
            bits,
            batch: Vec::with_capacity(SEND),
            filter: Arc::new(Mutex::new(None)),
            helper: None,
            suspects: Suspects::default(),
            lost: false,
            sent: false,
        }
    }

    /// Screens the keys sighted from now on on `helper`'s thread.
    pub(super) fn screen_on(&mut self, helper: Option<Helper>) {
        self.helper = helper;
    }

    /// Notes a sighting of `key`; a key the filter may have seen before
    /// becomes a suspect (by the time [`Screen::into_suspects`] is asked).
    pub(super) fn sight(&mut self, key: u64) {
        self.take(key);
    }

    /// Adds `key` to the filter: for keys known to be distinct (an exact
    /// table handing over to the filter). It is screened as a sighting is,
    /// so that a later sighting of it is a suspect whichever reaches the
    /// filter first; the keys of one table are distinct, and others' keys
    /// hash apart, so this adds only the filter's false positives.
    pub(super) fn remember(&mut self, key: u64) {
        self.take(key);
    }

    /// Makes `key` a suspect: the second pass must look at it.
    pub(super) fn suspect(&mut self, key: u64) {
        self.suspects.insert(key);
    }

    fn take(&mut self, key: u64) {
        self.batch.push(key);
        if self.batch.len() == SEND {
            self.send();
        }
    }

    /// Sends the batch to the filter.
    fn send(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        self.sent = true;
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(SEND));
        let (filter, bits) = (Arc::clone(&self.filter), self.bits);
        let job: Job = Box::new(move || {
            // Poisoned only by a panic in a job before: then the suspects
            // are never asked for (`into_suspects` fails).
            if let Ok(mut filter) = filter.lock() {
                filter
                    .get_or_insert_with(|| Filter::new(bits))
                    .take_all(batch);
            }
        });
        let refused = match &self.helper {
            Some(helper) if !helper.is_behind() => {
                let refused = helper.run(job).err();
                // Its thread ended (by a panic): what it had queued is lost.
                self.lost |= refused.is_some();
                refused
            }
            _ => Some(job),
        };
        // Without a helper, with one behind the walk, or if its thread has
        // ended, the batch is screened here.
        if let Some(job) = refused {
            job();
        }
    }

    /// The suspects of the whole pass (the filter is dropped: the second
    /// pass needs only them). It waits for the screening thread to screen
    /// every key: call it after the walk's parser has handed out the end
    /// of the file or is dropped (the thread reads no more then).
    pub(super) fn into_suspects(mut self) -> Result<Suspects, ScreenLost> {
        if !self.sent {
            return Ok(self.fewer_than_a_batch());
        }
        self.send();
        if self.lost {
            return Err(ScreenLost);
        }
        if let Some(helper) = self.helper.take() {
            let (done, finished) = mpsc::channel();
            let job: Job = Box::new(move || {
                let _ = done.send(());
            });
            if helper.run(job).is_err() {
                // Its thread ended: batches it had queued were lost.
                return Err(ScreenLost);
            }
            drop(helper);
            // The job never runs if the thread panicked before it: then
            // the channel closes unanswered.
            finished.recv().map_err(|_| ScreenLost)?;
        }
        let filter = self.filter.lock().map_err(|_| ScreenLost)?.take();
        let mut suspects = filter.map_or_else(Suspects::default, Filter::into_suspects);
        suspects.0.extend(self.suspects.0);
        Ok(suspects)
    }

    /// The suspects of a pass whose keys all fit in one batch, found
    /// exactly: the keys in it twice. A file of long values and few keys
    /// (`long-attributes`: 634 in 10 MB) then makes no filter: its 2.6 MB,
    /// made and written for those keys at the end of the walk, took longer
    /// than the rest of their screening (BENCHMARKS.md, issue 21).
    fn fewer_than_a_batch(self) -> Suspects {
        let Screen {
            batch: mut keys,
            mut suspects,
            ..
        } = self;
        keys.sort_unstable();
        for pair in keys.windows(2) {
            if pair[0] == pair[1] {
                suspects.insert(pair[0]);
            }
        }
        suspects
    }
}

/// A Bloom filter of the keys seen, and the keys it may have seen twice.
///
/// Keys go into the filter [`BATCH`] at a time, and their blocks are asked
/// for when they are sighted. Each key costs a cache miss or two once the
/// filter outgrows the caches, and the walk waited for them key by key
/// (BENCHMARKS.md, issue 21); fetched ahead, they come while the walk goes
/// on. The outcome is the same: a key the filter may have seen, in any
/// order, is a suspect.
struct Filter {
    seen: BlockedBloom,
    /// Keys sighted and not yet in the filter, where their bits go (those
    /// blocks were asked for when the key was sighted).
    pending: Vec<(u64, Place)>,
    suspects: Suspects,
}

/// Keys per batch into the filter.
const BATCH: usize = 16;

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

impl Filter {
    fn new(bits: usize) -> Filter {
        Filter {
            seen: BlockedBloom::with_bits(bits),
            pending: Vec::with_capacity(BATCH),
            suspects: Suspects::default(),
        }
    }

    fn take_all(&mut self, keys: Vec<u64>) {
        for key in keys {
            self.sight(key);
        }
    }

    fn sight(&mut self, key: u64) {
        let place = self.seen.locate(key);
        self.seen.prefetch(&place);
        self.pending.push((key, place));
        if self.pending.len() == BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        for &(key, place) in &self.pending {
            if self.seen.insert_at(place) {
                self.suspects.insert(key);
            }
        }
        self.pending.clear();
    }

    fn into_suspects(mut self) -> Suspects {
        self.flush();
        self.suspects
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
        for apart in [false, true] {
            let sighted = |keys: &[u64]| {
                let mut screen = screen(apart);
                for &key in keys {
                    screen.sight(key);
                }
                screen.into_suspects().unwrap()
            };
            let mut keys: Vec<u64> = (0..10_000)
                .map(|i| section_key(&format!("site{i}"), 3))
                .collect();
            assert!(sighted(&keys).is_empty(), "false positives at 10,000 keys");
            // Again in the same batch, and far apart (in another batch sent
            // to the filter's thread).
            let again = section_key("site42", 3);
            for at in [keys.len(), 43, 44] {
                let mut twice = keys.clone();
                twice.insert(at, again);
                assert!(sighted(&twice).contains(again), "not suspected at {at}");
            }
            // The last key of a batch not yet full.
            keys.truncate(BATCH + 3);
            keys.push(keys[BATCH + 1]);
            assert!(sighted(&keys).contains(keys[BATCH + 1]));
        }
    }

    /// A screen on this thread, or on another one.
    fn screen(apart: bool) -> Screen {
        let mut screen = Screen::new(FILTER_BITS);
        let helper = apart.then(Helper::on_new_thread);
        // Batches go to its thread.
        assert!(!helper.as_ref().is_some_and(Helper::is_behind));
        screen.screen_on(helper);
        screen
    }

    #[test]
    fn keys_remembered_and_sighted_in_either_order_are_suspects() {
        for apart in [false, true] {
            let mut screen = screen(apart);
            let early = entry_key(1, b"sighted first");
            screen.sight(early);
            let keys: Vec<u64> = (0..3 * SEND as u64)
                .map(|i| entry_key(1, &i.to_le_bytes()))
                .collect();
            for &key in &keys {
                screen.remember(key);
            }
            // Remembered in a later batch than the one that sighted it.
            screen.remember(early);
            screen.suspect(7);
            // Sighted in a later batch than the one that remembered it.
            screen.sight(keys[5]);
            screen.sight(entry_key(2, b"new"));
            let suspects = screen.into_suspects().unwrap();
            for key in [early, keys[5], 7] {
                assert!(suspects.contains(key), "{key} (apart: {apart})");
            }
            assert_eq!(suspects.0.len(), 3, "apart: {apart}");
        }
    }

    #[test]
    fn a_screen_whose_thread_ended_says_so_instead_of_answering() {
        for keys in [SEND as u64, 3 * SEND as u64] {
            let mut screen = Screen::new(FILTER_BITS);
            screen.screen_on(Some(Helper::ended()));
            for i in 0..keys {
                screen.sight(entry_key(1, &i.to_le_bytes()));
            }
            assert!(screen.into_suspects().is_err(), "{keys} keys");
        }
    }

    #[test]
    fn fewer_keys_than_a_batch_are_screened_exactly_on_this_thread() {
        for keys in [0, 1, SEND as u64 - 2] {
            // No thread is asked (its having ended loses nothing).
            let mut screen = Screen::new(FILTER_BITS);
            screen.screen_on(Some(Helper::ended()));
            let all: Vec<u64> = (0..keys).map(|i| entry_key(1, &i.to_le_bytes())).collect();
            for &key in &all {
                screen.sight(key);
            }
            screen.suspect(7);
            // The first key again, last: apart from its sighting.
            if let Some(&first) = all.first() {
                screen.remember(first);
            }
            let suspects = screen.into_suspects().unwrap();
            assert!(suspects.contains(7));
            let twice = all.first().into_iter().copied().collect::<Vec<_>>();
            assert!(
                twice.iter().all(|&key| suspects.contains(key)),
                "{keys} keys"
            );
            assert_eq!(suspects.0.len(), 1 + twice.len(), "{keys} keys");
        }
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
