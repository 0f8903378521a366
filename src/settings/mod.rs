//! The OMERO.web property set: what was read, from where, and which value wins.
//!
//! `sources` turns inputs into [`Assignment`]s; [`Settings::apply`] folds them
//! in order (later sources win, like `omero config set`); `catalogue` knows
//! every property OMERO.web reads.

pub mod catalogue;
pub mod secrets;
pub mod sources;
pub mod versions;

use std::collections::BTreeMap;

use crate::source::Span;

pub use catalogue::{Catalogue, Kind, PropertySpec};

/// A property value as read from a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// The exact string OMERO would store.
    Text(String),
    /// `********`, as `omero config get` prints passwords: the real value is unknown.
    Masked,
}

/// One property with the value that won, and where that value was written.
#[derive(Debug, Clone)]
pub struct Setting {
    pub key: String,
    pub value: Value,
    pub key_span: Span,
    pub value_span: Span,
}

impl Setting {
    /// The value, unless it was masked.
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Text(t) => Some(t),
            Value::Masked => None,
        }
    }
}

/// What one line of one source says about one property.
#[derive(Debug, Clone)]
pub enum Assignment {
    /// `key=value`.
    Set(Setting),
    /// `omero config set KEY` with no value: back to the default.
    Unset { key: String, key_span: Span },
}

impl Assignment {
    pub fn key(&self) -> &str {
        match self {
            Assignment::Set(s) => &s.key,
            Assignment::Unset { key, .. } => key,
        }
    }
}

/// The effective property set, sorted by key.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    entries: BTreeMap<String, Setting>,
    /// Every secret text read, also from assignments a later source replaced
    /// (they stay in their files, whose snippets could show them).
    secrets: Vec<String>,
}

impl Settings {
    /// Applies assignments in order: a later one replaces or removes an earlier one.
    pub fn apply(&mut self, assignments: impl IntoIterator<Item = Assignment>) {
        for assignment in assignments {
            match assignment {
                Assignment::Set(setting) => {
                    self.secrets
                        .extend(secrets::note(&setting, Catalogue::global()));
                    self.entries.insert(setting.key.clone(), setting);
                }
                Assignment::Unset { key, .. } => {
                    self.entries.remove(&key);
                }
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.entries.get(key)
    }

    /// The text of a set, unmasked property.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Setting::text)
    }

    /// The secret texts of every assignment applied: never to be printed.
    pub fn secrets(&self) -> &[String] {
        &self.secrets
    }

    pub fn is_set(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// The settings `version` reads: those it ignores (OW001) say nothing
    /// about how OMERO.web behaves, so the other rules do not see them.
    pub fn read_by(&self, version: versions::OmeroVersion) -> std::borrow::Cow<'_, Settings> {
        let ignored = |key: &str| versions::not_read(key, version).is_some();
        if !self.entries.keys().any(|k| ignored(k)) {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut read = self.clone();
        read.entries.retain(|key, _| !ignored(key));
        std::borrow::Cow::Owned(read)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Setting> {
        self.entries.values()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// OMERO's own rule for property names (`omero config set` exits 506 otherwise).
pub fn is_valid_property_name(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

pub use secrets::is_secret;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_names_follow_omero_rule() {
        assert!(is_valid_property_name("omero.web.prefix"));
        assert!(is_valid_property_name("omero.web.application_server.port"));
        assert!(!is_valid_property_name("omero.web.prefix "));
        assert!(!is_valid_property_name(""));
        assert!(!is_valid_property_name("a=b"));
    }
}
