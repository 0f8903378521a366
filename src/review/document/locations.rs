//! The index of the root's `<location>` children by path (see
//! [`Document::locations`]). A hosting server has one per site, and every
//! simulated command looks some up.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::{Document, Element};

/// Built on first use and kept up to date by the edits at the top level:
/// [`Document::insert`] and [`Document::remove`] shift it, an edit of a
/// top-level element marks that one to be looked at again, an edit of the
/// root itself drops it.
#[derive(Debug, Default)]
pub(super) struct LocationIndex(Mutex<Option<Locations>>);

#[derive(Debug, Clone, Default)]
pub(super) struct Locations {
    /// [`location_key`] → indexes among the root's element children, in order.
    by_key: HashMap<String, Vec<usize>>,
    /// The key of each root element child (`None`: not a `<location>`).
    key_of: Vec<Option<String>>,
    /// Root element children that may have changed since they were indexed.
    stale: Vec<usize>,
}

impl Clone for LocationIndex {
    fn clone(&self) -> Self {
        let inner = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        LocationIndex(Mutex::new(inner.clone()))
    }
}

impl LocationIndex {
    fn built(&mut self) -> Option<&mut Locations> {
        self.0
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
    }

    pub(super) fn forget(&mut self) {
        *self.0.get_mut().unwrap_or_else(PoisonError::into_inner) = None;
    }

    pub(super) fn touched(&mut self, index: usize) {
        if let Some(l) = self.built() {
            l.stale.push(index);
        }
    }

    /// A root element child was inserted at `index`.
    pub(super) fn inserted(&mut self, index: usize) {
        if let Some(l) = self.built() {
            for list in l.by_key.values_mut() {
                list.iter_mut()
                    .filter(|i| **i >= index)
                    .for_each(|i| *i += 1);
            }
            l.stale
                .iter_mut()
                .filter(|i| **i >= index)
                .for_each(|i| *i += 1);
            l.key_of.insert(index.min(l.key_of.len()), None);
            l.stale.push(index);
        }
    }

    /// The root element child at `index` was removed.
    pub(super) fn removed(&mut self, index: usize) {
        if let Some(l) = self.built() {
            if let Some(Some(key)) = (index < l.key_of.len()).then(|| l.key_of.remove(index)) {
                if let Some(list) = l.by_key.get_mut(&key) {
                    list.retain(|&i| i != index);
                }
            }
            for list in l.by_key.values_mut() {
                list.iter_mut()
                    .filter(|i| **i > index)
                    .for_each(|i| *i -= 1);
            }
            l.stale.retain(|&i| i != index);
            l.stale
                .iter_mut()
                .filter(|i| **i > index)
                .for_each(|i| *i -= 1);
        }
    }

    /// The indexes of the `<location>` children of `root` whose key is `key`.
    pub(super) fn find(&self, root: Element<'_>, key: &str) -> Vec<usize> {
        let mut index = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let locations = index.get_or_insert_with(|| Locations::build(root));
        locations.refresh(root);
        locations.by_key.get(key).cloned().unwrap_or_default()
    }
}

impl Locations {
    fn build(root: Element<'_>) -> Locations {
        let mut locations = Locations::default();
        for (i, e) in root.elements().enumerate() {
            let key =
                (e.name() == "location").then(|| location_key(e.attribute("path").unwrap_or("")));
            if let Some(key) = &key {
                locations.by_key.entry(key.clone()).or_default().push(i);
            }
            locations.key_of.push(key);
        }
        locations
    }

    /// Indexes the stale children again.
    fn refresh(&mut self, root: Element<'_>) {
        let mut stale = std::mem::take(&mut self.stale);
        stale.sort_unstable();
        stale.dedup();
        for index in stale {
            if let Some(Some(old)) = self.key_of.get_mut(index).map(Option::take) {
                if let Some(list) = self.by_key.get_mut(&old) {
                    list.retain(|&i| i != index);
                }
            }
            let Some(e) = root.elements().nth(index) else {
                continue;
            };
            if e.name() != "location" {
                continue;
            }
            let key = location_key(e.attribute("path").unwrap_or(""));
            let list = self.by_key.entry(key.clone()).or_default();
            let at = list.partition_point(|&i| i < index);
            list.insert(at, index);
            self.key_of[index] = Some(key);
        }
    }
}

/// How `<location path>` values compare: without surrounding `/`, `.` as
/// the server level, and without case (IIS configuration paths are
/// case-insensitive).
pub fn location_key(path: &str) -> String {
    let path = path.trim_matches('/');
    let path = if path == "." { "" } else { path };
    path.to_lowercase()
}

impl Document {
    /// The indexes (among the root's element children, in order) of the
    /// `<location>` elements whose path is `path`: compared as
    /// [`location_key`] does, so without case and surrounding `/`, and `.`
    /// is the empty (server) path.
    pub fn locations(&self, path: &str) -> Vec<usize> {
        self.locations.find(self.root(), &location_key(path))
    }
}
