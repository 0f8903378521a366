//! The walker inside a section: elements and attributes against their
//! table, values as IIS parses them, collections (duplicate keys, the
//! entries a web.config inherits) and what a section tells about the server.

use super::{is_general_attribute, suggestion, PathFacts, Walker};
use crate::check::entries::{EntrySet, KeyValues, NormalKey, TagKey, SCREEN_ABOVE};
use crate::check::facts::{AppFact, HandlerFact, POOLS_SHOWN};
use crate::check::screen::Memory;
use crate::check::Kind;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::iis::schema::Element;
use crate::iis::values;
use crate::source::Span;
use crate::xml::{Attribute, Parser, Tag, XmlError};

/// A collection whose entries the cross-file checks read, by its path from
/// the section (lower-case section name, then element names).
#[derive(Clone, Copy)]
pub(super) enum Collected {
    Pools,
    IsapiRestrictions,
    Sites,
    SiteApplications,
    VirtualDirectories,
    Handlers,
}

impl Collected {
    /// Worked out once per collection element, not once per entry: a
    /// hosting server's collections have tens of thousands.
    pub(super) fn at(path: &str) -> Option<Collected> {
        Some(match path {
            "system.applicationhost/applicationpools" => Collected::Pools,
            "system.webserver/security/isapicgirestriction" => Collected::IsapiRestrictions,
            "system.applicationhost/sites" => Collected::Sites,
            "system.applicationhost/sites/site" => Collected::SiteApplications,
            "system.applicationhost/sites/site/application" => Collected::VirtualDirectories,
            "system.webserver/handlers" => Collected::Handlers,
            _ => return None,
        })
    }
}

impl Walker<'_> {
    pub(super) fn section(
        &mut self,
        xml: &mut Parser,
        tag: &Tag,
        section: &str,
        facts: PathFacts,
        location: &str,
    ) -> Result<(), XmlError> {
        self.placement_and_locks(tag, section, facts, location);
        let Some(element) = facts.table.and_then(|s| s.schema()) else {
            return Ok(());
        };
        let global = location.is_empty() || location == ".";
        self.section_at_root = global;
        let mut path = std::mem::take(&mut self.path);
        path.clear();
        // The section's name in lower case.
        path.push_str(&self.section_names[facts.number as usize]);
        let walked = self.element(xml, tag, element, &mut path, global, false);
        self.path = path;
        walked
    }

    /// Notes what the cross-file checks need from a collection entry
    /// `child` of a collection they read (see [`Collected::at`]): pools,
    /// allowed ISAPI DLLs, the applications of a fragment, a web.config's
    /// handlers.
    pub(super) fn collect(&mut self, collected: Collected, child: &Tag) {
        let span = || Span::new(self.file, child.name_range());
        match (collected, child.name()) {
            (Collected::Pools, "add") => {
                if let Some(name) = child.attribute("name") {
                    let facts = &mut self.facts;
                    facts.pool_count += 1;
                    if facts.pool_names.len() < POOLS_SHOWN {
                        facts.pool_names.push(name.to_owned());
                    }
                    let wanted = self.server.wanted_pools.as_ref();
                    if wanted.is_none_or(|w| w.contains(&crate::check::cross::same_key(name))) {
                        facts.pools.push((name.to_owned(), span()));
                    }
                }
            }
            (Collected::IsapiRestrictions, "add") => {
                let allowed = child
                    .attribute("allowed")
                    .is_some_and(|a| a.eq_ignore_ascii_case("true"));
                if let (true, Some(path)) = (allowed, child.attribute("path")) {
                    self.facts.allowed_isapi.push((path.to_owned(), span()));
                }
            }
            (Collected::Sites, "site") => {
                child
                    .attribute("name")
                    .unwrap_or("")
                    .clone_into(&mut self.site);
            }
            // Only fragments' applications are compared with the scripts.
            (Collected::SiteApplications, "application") if self.kind == Kind::Fragment => {
                self.facts.applications.push(AppFact {
                    site: self.site.clone(),
                    path: child.attribute("path").unwrap_or("").to_owned(),
                    pool: child.attribute("applicationPool").map(str::to_owned),
                    physical_path: None,
                    span: span(),
                });
            }
            (Collected::VirtualDirectories, "virtualDirectory")
                if self.kind == Kind::Fragment && child.attribute("path") == Some("/") =>
            {
                if let Some(app) = self.facts.applications.last_mut() {
                    if app.physical_path.is_none() {
                        app.physical_path = child.attribute("physicalPath").map(str::to_owned);
                    }
                }
            }
            (Collected::Handlers, "clear")
                if self.kind == Kind::WebConfig && self.section_at_root =>
            {
                self.web.clears_handlers = true;
            }
            (Collected::Handlers, "add") if self.kind == Kind::WebConfig => {
                self.web.handlers.push(HandlerFact {
                    path: child.attribute("path").unwrap_or("").to_owned(),
                    modules: child.attribute("modules").unwrap_or("").to_owned(),
                    script_processor: child.attribute("scriptProcessor").map(str::to_owned),
                    inherited_by_children: self.inherit_in_children && self.section_at_root,
                    span: span(),
                });
            }
            _ => {}
        }
    }

    pub(super) fn unknown_attribute(&mut self, attr: &Attribute, known: &[&str]) {
        let help = suggestion(attr.name, known);
        self.out.push(
            Diagnostic::new(
                Code::UnknownAttribute,
                format!("IIS does not know the attribute `{}` here", attr.name),
            )
            .at(Some(&self.attr_name_span(attr)))
            .label("unknown attribute")
            .help(help)
            .note("IIS answers unknown attributes with HTTP 500.19 (0x8007000d)"),
        );
    }

    pub(super) fn value(&mut self, attr: &Attribute, spec: &crate::iis::schema::Attribute) {
        if let Err(problem) = values::check(spec, attr.value) {
            let code = if spec.name_rule.is_some() {
                Code::InvalidName
            } else {
                Code::InvalidValue
            };
            self.out.push(
                Diagnostic::new(code, format!("`{}`: {}", attr.name, problem.message))
                    .at(Some(&self.attr_span(attr)))
                    .help(problem.help),
            );
        }
    }

    /// Checks an element's attributes and children. `path` names it for
    /// inherited collection entries (`section/child`).
    pub(super) fn element(
        &mut self,
        xml: &mut Parser,
        tag: &Tag,
        spec: &Element,
        // The element's path from the section (`section/child/...`); one
        // buffer for the whole walk, extended and cut back per child.
        path: &mut String,
        global: bool,
        is_item: bool,
    ) -> Result<(), XmlError> {
        // Required attributes given (a tag has each attribute once).
        let mut required_given = 0;
        for attr in tag.attributes().filter(|a| !is_general_attribute(a)) {
            match spec.attributes.get(attr.name) {
                Some(a) => {
                    required_given += usize::from(a.required);
                    self.value(&attr, a);
                }
                None if spec.any_attributes => {}
                None => {
                    let known: Vec<&str> = spec.attributes.keys().map(String::as_str).collect();
                    self.unknown_attribute(&attr, &known);
                }
            }
        }
        // A fragment is merged into existing elements: what it omits may be there already.
        let required = || spec.attributes.iter().filter(|(_, a)| a.required).count();
        if is_item && self.kind != Kind::Fragment && required_given < required() {
            for (name, a) in &spec.attributes {
                if a.required && tag.attribute(name.as_str()).is_none() {
                    self.out.push(
                        Diagnostic::new(
                            Code::MissingAttribute,
                            format!("`<{}>` lacks the required attribute `{name}`", tag.name()),
                        )
                        .at(Some(&self.name_span(tag)))
                        .help(format!("add {name}=\"...\""))
                        .note("IIS answers with HTTP 500.19"),
                    );
                }
            }
        }
        let mut entries = spec.collection.as_deref().map(|collection| {
            self.collections += 1;
            let store = self.spare_stores.pop().unwrap_or_default();
            EntrySet::new(collection, self.collections, store)
        });
        if let Some(entries) = &mut entries {
            if self.kind == Kind::WebConfig {
                let server = self.server;
                for facts in server.apphost.iter().chain(server.assumed.iter()) {
                    if let Some(inherited) = facts.global_entries.get(path) {
                        let mut key = std::mem::take(&mut self.normal_key);
                        for (k, s) in inherited {
                            entries.normalize(k.as_slice(), &mut key);
                            self.remember_entry(entries, &key, || s.clone(), true);
                        }
                        self.normal_key = key;
                    }
                }
            }
        }
        // Only a collection element's path is matched (not every item's).
        let collected = spec.collection.as_ref().and_then(|_| Collected::at(path));
        while let Some(child) = xml.next_child(tag)? {
            let name = child.name();
            if let (Some(collection), Some(entries)) = (&spec.collection, &mut entries) {
                if collection.is_add(name) {
                    if let Some(collected) = collected {
                        self.collect(collected, &child);
                    }
                    if entries.has_keys() {
                        self.add_entry(&child, collection, entries, path, global);
                    }
                    let parent = path.len();
                    path.push('/');
                    path.push_str(name);
                    self.element(xml, &child, &collection.item, path, false, true)?;
                    path.truncate(parent);
                    continue;
                }
                if collection.remove.as_deref() == Some(name) {
                    let keys = collection.key_attributes();
                    for attr in child.attributes().filter(|a| !is_general_attribute(a)) {
                        if !keys.contains(&attr.name) {
                            self.unknown_attribute(&attr, &keys);
                        }
                    }
                    // A screened set cannot forget: an entry added again
                    // becomes a suspect, settled by the second pass.
                    if entries.has_keys() && !entries.screened {
                        let key = TagKey {
                            tag: &child,
                            keys: entries.keys,
                        };
                        entries.normalize(&key, &mut self.normal_key);
                        entries.remove_matching(&self.normal_key);
                    }
                    continue;
                }
                if collection.clear.as_deref() == Some(name) {
                    if let Some(collected) = collected {
                        self.collect(collected, &child);
                    }
                    for attr in child.attributes().filter(|a| !is_general_attribute(a)) {
                        self.unknown_attribute(&attr, &[]);
                    }
                    if !entries.screened {
                        entries.clear();
                    }
                    continue;
                }
            }
            if let Some(child_spec) = spec.elements.get(name) {
                let parent = path.len();
                path.push('/');
                path.push_str(name);
                self.element(xml, &child, child_spec, path, global, false)?;
                path.truncate(parent);
            } else if !spec.unchecked.iter().any(|u| u == name) {
                self.unknown_element(&child, spec);
            }
        }
        // Emptying a table costs its capacity: large ones (a server's sites)
        // are freed, not kept for the many small collections.
        if let Some(entries) = entries.filter(|e| e.store.index.capacity() <= 64) {
            self.spare_stores.push(entries.store);
        }
        Ok(())
    }

    pub(super) fn unknown_element(&mut self, tag: &Tag, spec: &Element) {
        let name = tag.name();
        let mut known: Vec<&str> = spec.elements.keys().map(String::as_str).collect();
        if let Some(c) = &spec.collection {
            known.push(&c.add);
            known.extend(c.more_adds.iter().map(String::as_str));
            known.extend(c.remove.as_deref());
            known.extend(c.clear.as_deref());
        }
        known.extend(spec.unchecked.iter().map(String::as_str));
        self.out.push(
            Diagnostic::new(
                Code::UnknownElement,
                format!("IIS does not know the element `<{name}>` here"),
            )
            .at(Some(&self.name_span(tag)))
            .label("unknown element")
            .help(suggestion(name, &known))
            .note("IIS answers unknown elements with HTTP 500.19 (0x8007000d)"),
        );
    }

    pub(super) fn add_entry(
        &mut self,
        tag: &Tag,
        collection: &crate::iis::schema::Collection,
        entries: &mut EntrySet,
        path: &str,
        global: bool,
    ) {
        let key = TagKey {
            tag,
            keys: entries.keys,
        };
        let mut normal = std::mem::take(&mut self.normal_key);
        entries.normalize(&key, &mut normal);
        self.add_normal_entry(tag, &key, &normal, collection, entries, path, global);
        self.normal_key = normal;
    }

    /// [`Walker::add_entry`] of an entry whose key sets are `normal`.
    #[allow(clippy::too_many_arguments)]
    fn add_normal_entry(
        &mut self,
        tag: &Tag,
        key: &TagKey,
        normal: &NormalKey,
        collection: &crate::iis::schema::Collection,
        entries: &mut EntrySet,
        path: &str,
        global: bool,
    ) {
        // Made only where it is kept or shown: most entries of a large
        // collection need none (a span holds the file's `Arc`, and making
        // and dropping one is two atomic operations).
        let file = self.file;
        let span = || Span::new(file, tag.name_range());
        if entries.screened {
            // First pass, past the exact phase: a key seen before becomes a
            // suspect, and the second pass reports it if it is a duplicate.
            if let Memory::Screen(screen) = &mut self.memory {
                for hash in entries.key_hashes(normal) {
                    screen.sight(hash);
                }
            }
            self.note_global_entry(key, span, path, global);
            return;
        }
        if let Some((first, inherited)) = entries.find(normal) {
            if let Memory::Screen(screen) = &mut self.memory {
                // The second pass must find this one again.
                for hash in entries.key_hashes(normal) {
                    screen.suspect(hash);
                }
            }
            let shown = (0..entries.keys.names.len())
                .map(|i| key.value(i))
                .filter(|k| !k.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            let mut d = Diagnostic::new(
                Code::DuplicateKey,
                format!("`<{}>` adds `{shown}` a second time", tag.name()),
            )
            .at(Some(&span()))
            .label("duplicate key");
            d = if inherited && self.server.apphost.is_none() {
                d.with_severity(Severity::Warning)
                    .note("a default IIS 10 server already defines it at server level; servers differ: pass --apphost with the server's applicationHost.config to know")
                    .help(format!(
                        "put <{} .../> with the same key before it, to replace the inherited entry",
                        collection.remove.as_deref().unwrap_or("remove")
                    ))
            } else if inherited {
                d.note(format!(
                    "already defined at server level: {}",
                    first.display()
                ))
                .help(format!(
                    "put <{} .../> with the same key before it, to replace the inherited entry",
                    collection.remove.as_deref().unwrap_or("remove")
                ))
            } else {
                d.note(format!("first added at {}", first.display()))
                    .help("delete one of the two entries")
            };
            self.out.push(
                d.note("IIS answers with HTTP 500.19 (\"Cannot add duplicate collection entry\")"),
            );
            if inherited && !entries.screened {
                // This file's own entry is the one a later duplicate clashes with.
                entries.remove_matching(normal);
                self.remember_entry(entries, normal, span, false);
            }
        } else {
            self.remember_entry(entries, normal, span, false);
            self.note_global_entry(key, span, path, global);
        }
    }

    /// Keeps a new entry for the duplicate check, as the memory allows.
    pub(super) fn remember_entry(
        &mut self,
        entries: &mut EntrySet,
        key: &NormalKey,
        span: impl FnOnce() -> Span,
        inherited: bool,
    ) {
        match &mut self.memory {
            Memory::Exact => entries.insert(key, span(), inherited),
            Memory::Screen(screen) => {
                entries.insert(key, span(), inherited);
                if entries.len() > SCREEN_ABOVE {
                    entries.hand_over(screen);
                }
            }
            // An entry with no suspect key clashes with none.
            Memory::Confirm(suspects) => {
                if entries.any_suspect(key, suspects) {
                    entries.insert(key, span(), inherited);
                }
            }
        }
    }

    /// Entries a web.config inherits; applicationHost-only sections cannot
    /// be set in a web.config.
    pub(super) fn note_global_entry(
        &mut self,
        key: &TagKey,
        span: impl FnOnce() -> Span,
        path: &str,
        global: bool,
    ) {
        if global
            && self.server.keeps_inherited_entries
            && self.kind != Kind::WebConfig
            && !path.starts_with("system.applicationhost/")
        {
            self.facts
                .global_entries
                .entry(path.to_owned())
                .or_default()
                .push((
                    (0..key.keys.names.len())
                        .map(|i| key.value(i).to_owned())
                        .collect(),
                    span(),
                ));
        }
    }
}
