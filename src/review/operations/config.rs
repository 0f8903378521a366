//! Operations on the configuration: set, add, remove and clear in a
//! section at the level a configuration path and a commit level name
//! (applicationHost.config, a `<location>` in it, or a web.config), locks
//! (`overrideMode`, `<location>` blocks), with what a level inherits.

use super::*;
use crate::iis::appcmd::{Operation, Segment};
use crate::iis::schema::{Definition, OverrideMode};
use crate::review::server::{child_path, split_site, Entry, Knowledge};

/// One edit of a section: `attr` = value, `[key='v']` added or removed
/// (appcmd's `/attr:value`, `/+[...]`, `/-[...]`; the cmdlets' -Name/-Value
/// and -AtElement say the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEdit {
    pub operation: Operation,
    /// The attribute or collection path (`[name='x'].value`, `[path='a']`).
    pub path: Vec<Segment>,
    pub value: Option<String>,
    /// The edit as written, for messages.
    pub written: String,
}

impl Operations<'_> {
    /// A section's full name (`handlers` → `system.webServer/handlers`), or
    /// appcmd's refusal of a section the server does not declare.
    pub fn section(&self, name: &str) -> Result<String, Failure> {
        self.server.section_name(name).ok_or_else(|| {
            (
                exit::INVALID_PARAMETER,
                format!("Unknown config section \"{name}\""),
            )
        })
    }

    /// Applies `edits` to `section` at configuration path `path` (`None`:
    /// the server level), in the file `commit` names (appcmd's `/commit:`;
    /// `None`: the file of the path itself).
    pub fn edit_config(
        &mut self,
        path: Option<&str>,
        commit: Option<&str>,
        section: &str,
        edits: &[ConfigEdit],
    ) -> Result<(), Failure> {
        let path = path.map(normalise_config_path);
        let level = self.level(path.as_deref(), commit, section)?;
        self.edit_section(&level, section, false, edits)
    }

    /// Removes `section` from the level `path` and `commit` name: what it
    /// set there goes, the parent levels' values apply again.
    pub fn clear_config(
        &mut self,
        path: Option<&str>,
        commit: Option<&str>,
        section: &str,
    ) -> Result<(), Failure> {
        let path = path.map(normalise_config_path);
        let level = self.level(path.as_deref(), commit, section)?;
        self.edit_section(&level, section, true, &[])
    }

    /// What a configuration path sees of `section` in applicationHost.config:
    /// with `rest` empty, the section's attributes (the server level, then
    /// each `<location>` down to the path); with `rest` the name of its
    /// collection's entries (`add`), the entries, inherited ones with them.
    /// `None` for a deeper path, which the simulation does not read.
    pub fn effective_entries(
        &self,
        path: Option<&str>,
        section: &str,
        rest: &[Segment],
    ) -> Option<Vec<Vec<(String, String)>>> {
        let path = path.map(normalise_config_path).unwrap_or_default();
        let names: Vec<&str> = section.split('/').collect();
        let spec = self.server.schema.section(section).and_then(|s| s.schema());
        let doc = &self.server.apphost;
        match rest {
            [] => {
                let mut attributes: Vec<(String, String)> = Vec::new();
                let mut levels = Vec::new();
                if let Some(p) = child_path(doc, &[], &names) {
                    levels.push(p);
                }
                for (lpath, _) in enclosing_paths(&path) {
                    for i in doc.locations(lpath) {
                        if let Some(p) = child_path(doc, &[i], &names) {
                            levels.push(p);
                        }
                    }
                }
                for level in levels {
                    for (k, v) in doc.element(&level).attributes() {
                        match attributes.iter_mut().find(|(a, _)| a == k) {
                            Some(slot) => slot.1 = v.to_owned(),
                            None => attributes.push((k.to_owned(), v.to_owned())),
                        }
                    }
                }
                Some(vec![attributes])
            }
            [Segment::Name(item)]
                if spec
                    .and_then(|s| s.collection.as_ref())
                    .is_some_and(|c| c.is_add(item)) =>
            {
                Some(inherited_entries(doc, &path, &names, spec, true))
            }
            _ => None,
        }
    }

    /// Locks (`Deny`) or unlocks (`Allow`) `section` for web.config files at
    /// and below `path`: a `<location path overrideMode>` of applicationHost.config.
    pub fn lock(&mut self, path: &str, section: &str, mode: OverrideMode) {
        let path = normalise_config_path(path);
        let mode = match mode {
            OverrideMode::Deny => "Deny",
            _ => "Allow",
        };
        self.set_override(&path, section, mode);
    }

    /// Where a `set config` writes, from the config path and `/commit:`.
    fn level(
        &mut self,
        path: Option<&str>,
        commit: Option<&str>,
        section: &str,
    ) -> Result<Level, Failure> {
        let commit = commit.map(|c| c.to_ascii_lowercase());
        let commit = commit.as_deref().map(|c| {
            if c == "machine/webroot/apphost" {
                "apphost"
            } else {
                c
            }
        });
        let path = path.filter(|p| !p.is_empty());
        let Some(path) = path else {
            return match commit {
                Some("webroot") | Some("machine") => Err((
                    exit::INVALID_PARAMETER,
                    "the .NET root web.config and machine.config are not simulated".to_owned(),
                )),
                _ => Ok(Level::AppHost(None)),
            };
        };
        if commit == Some("apphost") {
            return Ok(Level::AppHost(Some(path.to_owned())));
        }
        let declaration = self.server.declaration(section).ok_or_else(|| {
            (
                exit::INVALID_PARAMETER,
                format!("Unknown config section \"{section}\""),
            )
        })?;
        let (site, _) = split_site(path);
        let target = match commit {
            Some("site") => site.to_owned(),
            Some("app") => self.app_root_of(path).unwrap_or_else(|| path.to_owned()),
            Some("parent") => path
                .rsplit_once('/')
                .map_or(site.to_owned(), |(p, _)| p.to_owned()),
            _ => path.to_owned(),
        };
        if declaration.definition == Definition::AppHostOnly {
            return Err((
                exit::LOCK_VIOLATION,
                format!("This configuration section cannot be used at this path: {section} may only be set in applicationHost.config (add /commit:apphost)"),
            ));
        }
        if declaration.definition == Definition::MachineToApplication
            && self
                .app_root_of(&target)
                .is_none_or(|root| !root.eq_ignore_ascii_case(target.trim_end_matches('/')))
        {
            return Err((
                exit::LOCK_VIOLATION,
                format!("This configuration section cannot be used at this path: {section} may only be set at an application root"),
            ));
        }
        if self.override_mode(&target, section, declaration.override_default) == OverrideMode::Deny
        {
            return Err((
                exit::LOCK_VIOLATION,
                format!("This configuration section cannot be used at this path. This happens when the section is locked at a parent level: {section} is locked for \"{target}\" (unlock it, or add /commit:apphost)"),
            ));
        }
        let folder = self
            .server
            .physical_path(&target)
            .ok_or_else(|| not_found("config path", &target))?;
        let file = crate::deploy::join_windows_path(&folder, "web.config");
        Ok(Level::WebConfig {
            file,
            config_path: target,
        })
    }

    /// The configuration path of the application that contains `path`.
    fn app_root_of(&self, path: &str) -> Option<String> {
        let (site_name, rest) = split_site(path);
        let site = self.server.site(site_name)?;
        let url = format!("/{}", rest.trim_matches('/')).to_lowercase();
        self.server
            .application_paths(&site)
            .into_iter()
            .find_map(|app| {
                let a = app.trim_end_matches('/').to_lowercase();
                (a.is_empty() || url == a || url.starts_with(&format!("{a}/")))
                    .then(|| format!("{site_name}{}", app.trim_end_matches('/')))
            })
    }

    /// Whether `section` may be set in web.config files at `path`: the most
    /// specific `<location>` of applicationHost.config that names the
    /// section with an `overrideMode`, else the declaration's default.
    fn override_mode(&self, path: &str, section: &str, default: OverrideMode) -> OverrideMode {
        let doc = &self.server.apphost;
        let names: Vec<&str> = section.split('/').collect();
        // From the server level down; the last that names the section wins.
        let mut best = None;
        for (lpath, _) in enclosing_paths(path) {
            for i in doc.locations(lpath) {
                if child_path(doc, &[i], &names).is_none() {
                    continue;
                }
                let mode = doc.element(&[i]).attribute("overrideMode");
                if let Some(mode) = mode.and_then(OverrideMode::parse) {
                    best = Some(mode);
                }
            }
        }
        best.unwrap_or(default)
    }

    /// `appcmd lock|unlock config PATH -section:S`: the section goes into a
    /// `<location path="PATH" overrideMode="Allow|Deny">` of applicationHost.config.
    fn set_override(&mut self, path: &str, section: &str, mode: &str) {
        let names: Vec<&str> = section.split('/').collect();
        let declared = self
            .server
            .declaration(section)
            .map_or(OverrideMode::Allow, |d| d.override_default);
        let doc = &mut self.server.apphost;
        // Where the section is now, in a <location> of this path.
        let current = doc
            .locations(path)
            .into_iter()
            .find(|&i| child_path(doc, &[i], &names).is_some());
        if let Some(i) = current {
            if doc
                .element(&[i])
                .attribute("overrideMode")
                .is_some_and(|m| m.eq_ignore_ascii_case(mode))
            {
                self.print(format!(
                    "Override mode of section \"{section}\" is already {mode} at \"{path}\""
                ));
                return;
            }
        }
        // The section's content moves with it; whether it has any decides
        // whether a lock needs writing.
        let content = current.map(|i| {
            let section_path = child_path(doc, &[i], &names).expect("found above");
            let section = doc.element(&section_path);
            let empty = section.attributes().next().is_none() && section.element_count() == 0;
            (doc.snapshot(&section_path), empty)
        });
        // Take the section out of its old location.
        if let Some(i) = current {
            let section_path = child_path(doc, &[i], &names).expect("found above");
            remove_with_empty_parents(doc, &section_path);
        }
        let description;
        let empty = content.as_ref().is_none_or(|(_, empty)| *empty);
        let inherited = self.override_mode(path, section, declared);
        let doc = &mut self.server.apphost;
        if mode == "Deny" && empty && inherited == OverrideMode::Deny {
            // Locking what is locked by default: nothing to write.
            description = format!("locks {section} for `{path}` again (the section is locked by default; its <location> entry is removed)");
            self.out.changes.push(Change {
                file: self.server.apphost_name.clone(),
                path: format!("/configuration/location[@path='{path}']"),
                description,
                conflict: None,
            });
            self.print(format!(
                "Override mode for section \"{section}\" set to {mode}"
            ));
            return;
        }
        let existing = doc.locations(path).into_iter().find(|&i| {
            doc.element(&[i])
                .attribute("overrideMode")
                .is_some_and(|m| m.eq_ignore_ascii_case(mode))
        });
        let location = match existing {
            Some(i) => vec![i],
            None => vec![doc.insert(
                &[],
                NewElement::new("location", &[("path", path), ("overrideMode", mode)]),
                false,
            )],
        };
        let parent = ensure_path(doc, &location, &names[..names.len() - 1]);
        let index = match content {
            Some((section, _)) => doc.insert_snapshot(&parent, section, false),
            None => doc.insert(&parent, NewElement::new(names[names.len() - 1], &[]), false),
        };
        let changed = push(&parent, index);
        let verb = if mode == "Deny" { "locks" } else { "unlocks" };
        description = format!("{verb} {section} for `{path}` (<location overrideMode=\"{mode}\">)");
        self.change(&changed, description, None);
        self.print(format!(
            "Override mode for section \"{section}\" set to {mode}"
        ));
    }

    fn edit_section(
        &mut self,
        level: &Level,
        section: &str,
        clear: bool,
        edits: &[ConfigEdit],
    ) -> Result<(), Failure> {
        let names: Vec<&str> = section.split('/').collect();
        let spec = self.server.schema.section(section).and_then(|s| s.schema());
        let (mut doc, file, base, label) = match level {
            Level::AppHost(path) => {
                let doc = std::mem::replace(
                    &mut self.server.apphost,
                    Document::new_configuration(crate::review::server::new_web_config_style()),
                );
                let base = match path {
                    None => Vec::new(),
                    Some(p) => Vec::from([location_for(&doc, p, &names)]),
                };
                let label = path
                    .as_ref()
                    .map_or("the server level".to_owned(), |p| format!("`{p}`"));
                (doc, None, base, label)
            }
            Level::WebConfig { file, config_path } => {
                let (entry, knowledge) = self.server.disk.get(file);
                let doc = match (entry, knowledge) {
                    (Entry::File(Some(text)), _) => Document::parse(&text).map_err(|e| {
                        (
                            exit::INVALID_DATA,
                            format!("Configuration file is not well-formed XML: {file}: {e}"),
                        )
                    })?,
                    (_, Knowledge::Assumed) => {
                        self.assume(format!(
                            "`{file}` is not in a folder given with --site-root: assumed to be a web.config without this section"
                        ));
                        Document::new_configuration(crate::review::server::new_web_config_style())
                    }
                    _ => Document::new_configuration(crate::review::server::new_web_config_style()),
                };
                (
                    doc,
                    Some(file.clone()),
                    Vec::new(),
                    format!("`{config_path}` ({file})"),
                )
            }
        };
        let new_location = base == [usize::MAX];
        let base = match &level {
            Level::AppHost(Some(p)) if new_location => {
                vec![doc.insert(&[], NewElement::new("location", &[("path", p)]), false)]
            }
            _ => base,
        };
        let inherited = match level {
            Level::AppHost(Some(p)) => inherited_entries(&doc, p, &names, spec, false),
            Level::AppHost(None) => Vec::new(),
            Level::WebConfig { config_path, .. } => {
                inherited_entries(&self.server.apphost, config_path, &names, spec, true)
            }
        };
        let context = SectionEdit {
            names: &names,
            spec,
            label: &label,
            inherited,
        };
        // appcmd saves a command's changes all together or not at all: keep
        // the top-level element this command edits, to put it back on failure.
        let top = base.first().copied().or_else(|| doc.root().find(names[0]));
        let snapshot = top
            .filter(|_| !new_location)
            .map(|i| (i, doc.snapshot(&[i])));
        let result = edit(&mut doc, &base, &context, clear, edits);
        if result.is_err() {
            match snapshot {
                Some((i, element)) => doc.restore(&[i], element),
                // The top-level element (a <location>, a section group) was
                // made by this command: it goes.
                None => {
                    let made = base.first().copied().or_else(|| doc.root().find(names[0]));
                    if let Some(i) = made {
                        doc.remove(&[], i);
                    }
                }
            }
        }
        let file_name = file
            .clone()
            .unwrap_or_else(|| self.server.apphost_name.clone());
        let outcome = match result {
            Ok(changes) => {
                for (path, description, conflict) in changes {
                    self.out.changes.push(Change {
                        file: file_name.clone(),
                        path,
                        description,
                        conflict,
                    });
                }
                Ok(())
            }
            Err(e) => Err(e),
        };
        match file {
            None => self.server.apphost = doc,
            Some(file) if outcome.is_ok() => self
                .server
                .disk
                .set(&file, Entry::File(Some(doc.to_text()))),
            Some(_) => {}
        }
        if outcome.is_ok() {
            self.print(format!(
                "Applied configuration changes to section \"{section}\" at {label}"
            ));
        }
        outcome
    }
}

/// Where a `set config` writes.
#[derive(Debug, Clone)]
enum Level {
    /// applicationHost.config: the server level, or a `<location path>`.
    AppHost(Option<String>),
    /// The web.config of a folder.
    WebConfig { file: String, config_path: String },
}

/// The `<location path>` a `/commit:apphost` write for `path` goes into:
/// one that already holds the section, else one without `overrideMode`;
/// `usize::MAX` when a new one is needed.
fn location_for(doc: &Document, path: &str, names: &[&str]) -> usize {
    let mut without_mode = None;
    for i in doc.locations(path) {
        let l = doc.element(&[i]);
        if child_path(doc, &[i], names).is_some() {
            return i;
        }
        if l.attribute("overrideMode").is_none() && without_mode.is_none() {
            without_mode = Some(i);
        }
    }
    without_mode.unwrap_or(usize::MAX)
}

/// Removes the element at `path` and the parents it leaves empty (names
/// only, no attributes), up to the top-level element, which goes when empty
/// if it is a `<location>`.
fn remove_with_empty_parents(doc: &mut Document, path: &[usize]) {
    let name_of = |doc: &Document, p: &[usize]| doc.get(p).map(|e| e.name().to_owned());
    let top_name = name_of(doc, &path[..1]);
    let (parent, index) = path.split_at(path.len() - 1);
    doc.remove(parent, index[0]);
    let mut up = parent.to_vec();
    while up.len() > 1 {
        match doc.get(&up) {
            Some(e) if e.element_count() == 0 && e.attributes().next().is_none() => {
                let (p, i) = up.split_at(up.len() - 1);
                let (p, i) = (p.to_vec(), i[0]);
                doc.remove(&p, i);
                up = p;
            }
            _ => break,
        }
    }
    if let Some(top) = doc.get(&path[..1]) {
        if Some(top.name()) == top_name.as_deref()
            && top.name() == "location"
            && top.element_count() == 0
        {
            doc.remove(&[], path[0]);
        }
    }
}

/// A change to a section: the XPath of what changed, in words, and the conflict.
type Edit = (String, String, Option<String>);

/// Applies `/attr:value`, `/+[...]`, `/-[...]` to a section at `base`.
/// What an edit of one section at one level needs to know.
struct SectionEdit<'a> {
    names: &'a [&'a str],
    spec: Option<&'static schema::Element>,
    /// Where, in words (`the server level`, `` `Default Web Site` ``).
    label: &'a str,
    /// The section's top-level collection entries this level inherits
    /// (attributes of each), from applicationHost.config's server level and
    /// the `<location>` blocks of parent paths.
    inherited: Vec<Vec<(String, String)>>,
}

fn edit(
    doc: &mut Document,
    base: &[usize],
    context: &SectionEdit,
    clear: bool,
    edits: &[ConfigEdit],
) -> Result<Vec<Edit>, Failure> {
    let (names, label) = (context.names, context.label);
    let section_name = names.join("/");
    let mut changes = Vec::new();
    if clear {
        if let Some(path) = child_path(doc, base, names) {
            changes.push((
                xpath(doc, &path),
                format!("clears {section_name} at {label}"),
                None,
            ));
            let (parent, index) = path.split_at(path.len() - 1);
            doc.remove(parent, index[0]);
        }
        return Ok(changes);
    }
    let section = ensure_path(doc, base, names);
    for p in edits {
        changes.extend(apply(doc, &section, context, p)?);
    }
    Ok(changes)
}

fn apply(
    doc: &mut Document,
    section: &[usize],
    context: &SectionEdit,
    p: &ConfigEdit,
) -> Result<Vec<Edit>, Failure> {
    let (spec, label) = (context.spec, context.label);
    let section_name = context.names.join("/");
    let section_name = section_name.as_str();
    let segments = &p.path;
    let Some((last, walk)) = segments.split_last() else {
        return Err((
            exit::INVALID_PARAMETER,
            format!("Invalid parameter \"{}\"", p.written),
        ));
    };
    let mut path = section.to_vec();
    let mut spec_here = spec;
    for segment in walk {
        match segment {
            Segment::Name(name) => {
                if let Some(s) = spec_here {
                    if !s.elements.contains_key(name) && s.collection.is_none() {
                        return Err(unknown_attribute(name));
                    }
                }
                spec_here = spec_here.and_then(|s| s.elements.get(name));
                path = ensure_path(doc, &path, &[name]);
            }
            Segment::Indexer { pairs, .. } => {
                let item = item_name(spec_here, doc.element(&path));
                let index = find_item(doc.element(&path), &item, pairs).ok_or_else(|| {
                    (
                        exit::OBJECT_NOT_FOUND,
                        "Cannot find requested collection element.".to_owned(),
                    )
                })?;
                spec_here = spec_here
                    .and_then(|s| s.collection.as_ref())
                    .map(|c| &c.item);
                path = push(&path, index);
            }
        }
    }
    match (p.operation, last) {
        (Operation::Set, Segment::Name(attribute)) => {
            let value = normalise(spec_here, attribute, p.value.as_deref().unwrap_or(""));
            let loaded = doc.element(&path).was_loaded();
            let old = doc.element_mut(&path).set_attribute(attribute, &value);
            if old.as_deref() == Some(value.as_str()) {
                return Ok(Vec::new());
            }
            let conflict = old
                .as_ref()
                .filter(|_| loaded)
                .map(|o| format!("{section_name} at {label} has {attribute}=\"{o}\""));
            let was = old.map_or(String::new(), |o| format!(" (was \"{o}\")"));
            Ok(vec![(
                xpath(doc, &path),
                format!("sets {attribute}=\"{value}\" in {section_name} at {label}{was}"),
                conflict,
            )])
        }
        (Operation::Add, Segment::Indexer { position, pairs }) => {
            let item = item_name(spec_here, doc.element(&path));
            let collection = spec_here.and_then(|s| s.collection.as_ref());
            let keys: Vec<String> = match collection {
                Some(c) if !c.key_attributes().is_empty() => {
                    c.key_attributes().iter().map(|k| (*k).to_owned()).collect()
                }
                _ => pairs.iter().map(|(k, _)| k.clone()).collect(),
            };
            let key_pairs: Vec<(String, String)> = pairs
                .iter()
                .filter(|(k, _)| keys.iter().any(|key| key.eq_ignore_ascii_case(k)))
                .cloned()
                .collect();
            let top_level = walk.is_empty();
            let here = find_item(doc.element(&path), &item, &key_pairs).is_some();
            let inherited = top_level
                && inherited_here(
                    doc.element(&path),
                    collection.map(|c| &**c),
                    &context.inherited,
                    &key_pairs,
                );
            if here || inherited {
                let shown: Vec<String> = key_pairs.iter().map(|(_, v)| v.clone()).collect();
                return Err((
                    exit::ALREADY_EXISTS,
                    format!("Cannot add duplicate collection entry of type '{item}' with unique key attribute '{}' set to '{}'", keys.join("', '"), shown.join(", ")),
                ));
            }
            let attrs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| {
                    let spec_item = collection.map(|c| &c.item);
                    (k.clone(), normalise(spec_item, k, v))
                })
                .collect();
            let refs: Vec<(&str, &str)> = attrs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let first = position.as_deref() == Some("start");
            let index = doc.insert(&path, NewElement::new(&item, &refs), first);
            let shown: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            Ok(vec![(
                xpath(doc, &push(&path, index)),
                format!(
                    "adds <{item} {}> to {section_name} at {label}",
                    shown.join(" ")
                ),
                None,
            )])
        }
        (Operation::Remove, Segment::Indexer { pairs, .. }) => {
            let item = item_name(spec_here, doc.element(&path));
            let collection = spec_here.and_then(|s| s.collection.as_ref());
            let Some(index) = find_item(doc.element(&path), &item, pairs) else {
                // An entry this level inherits is taken out with <remove>.
                let inherited = walk.is_empty()
                    && inherited_here(
                        doc.element(&path),
                        collection.map(|c| &**c),
                        &context.inherited,
                        pairs,
                    );
                let remove_name = collection.and_then(|c| c.remove.clone());
                return match (inherited, remove_name) {
                    (true, Some(remove)) => {
                        let refs: Vec<(&str, &str)> = pairs
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str()))
                            .collect();
                        let index = doc.insert(&path, NewElement::new(&remove, &refs), false);
                        let shown: Vec<String> =
                            pairs.iter().map(|(k, v)| format!("{k}='{v}'")).collect();
                        Ok(vec![(
                            xpath(doc, &push(&path, index)),
                            format!(
                                "adds <{remove}> [{}] to {section_name} at {label}: the entry is inherited from a parent level",
                                shown.join(",")
                            ),
                            None,
                        )])
                    }
                    _ => Err((
                        exit::OBJECT_NOT_FOUND,
                        "Cannot find requested collection element.".to_owned(),
                    )),
                };
            };
            let shown: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}='{v}'")).collect();
            let loaded = doc.element(&push(&path, index)).was_loaded();
            let description = format!(
                "removes <{item}> [{}] from {section_name} at {label}",
                shown.join(",")
            );
            let changed = xpath(doc, &push(&path, index));
            doc.remove(&path, index);
            let conflict = loaded.then(|| {
                format!(
                    "the entry [{}] exists in the configuration before the script runs",
                    shown.join(",")
                )
            });
            Ok(vec![(changed, description, conflict)])
        }
        _ => Err((
            exit::INVALID_PARAMETER,
            format!("Invalid parameter \"{}\"", p.written),
        )),
    }
}

/// Whether `pairs` names an entry this level inherits and has not taken out
/// itself (with `<remove>` or `<clear>`).
fn inherited_here(
    section: Element<'_>,
    collection: Option<&schema::Collection>,
    inherited: &[Vec<(String, String)>],
    pairs: &[(String, String)],
) -> bool {
    let matches = |attrs: &[(String, String)]| {
        !pairs.is_empty()
            && pairs.iter().all(|(k, v)| {
                attrs
                    .iter()
                    .any(|(ak, av)| ak.eq_ignore_ascii_case(k) && av.eq_ignore_ascii_case(v))
            })
    };
    if !inherited.iter().any(|attrs| matches(attrs)) {
        return false;
    }
    let remove = collection.and_then(|c| c.remove.as_deref());
    let clear = collection.and_then(|c| c.clear.as_deref());
    !section.elements().any(|e| {
        Some(e.name()) == clear
            || (Some(e.name()) == remove
                && matches(
                    &e.attributes()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect::<Vec<_>>(),
                ))
    })
}

/// The entries of a section's top-level collection in applicationHost.config
/// that a configuration path inherits: the server level, then each
/// `<location>` whose path contains `path`, shortest first (`own_location`:
/// also the `<location>` of `path` itself, which comes before a web.config).
/// Whether `<location path="lpath">` is a parent of `path` (or the server
/// level), and whether it is `path` itself; case-insensitive. `lower` is
/// `path` lower-cased. A server has a `<location>` per site and this runs for
/// each of them per command: ASCII paths are compared without allocating.
/// The `<location>` paths whose settings apply at configuration path `path`,
/// from the server level down: each with whether it is `path` itself.
fn enclosing_paths(path: &str) -> Vec<(&str, bool)> {
    let path = path.trim_matches('/');
    let mut paths = vec![("", path.is_empty())];
    if !path.is_empty() {
        paths.extend(path.match_indices('/').map(|(at, _)| (&path[..at], false)));
        paths.push((path, true));
    }
    paths
}

fn inherited_entries(
    apphost: &Document,
    path: &str,
    names: &[&str],
    spec: Option<&schema::Element>,
    own_location: bool,
) -> Vec<Vec<(String, String)>> {
    let Some(collection) = spec.and_then(|s| s.collection.as_ref()) else {
        return Vec::new();
    };
    let mut levels: Vec<(usize, Vec<usize>)> = Vec::new();
    if let Some(p) = child_path(apphost, &[], names) {
        levels.push((0, p));
    }
    for (lpath, same) in enclosing_paths(path) {
        if same && !own_location {
            continue;
        }
        for i in apphost.locations(lpath) {
            if let Some(p) = child_path(apphost, &[i], names) {
                levels.push((lpath.len() + 1, p));
            }
        }
    }
    levels.sort_by_key(|(len, _)| *len);
    let mut entries: Vec<Vec<(String, String)>> = Vec::new();
    let keys = collection.key_attributes();
    let key_of = |attrs: &[(String, String)]| -> Vec<String> {
        keys.iter()
            .map(|k| {
                attrs
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(k))
                    .map_or(String::new(), |(_, v)| v.to_lowercase())
            })
            .collect()
    };
    for (_, level) in levels {
        for e in apphost.element(&level).elements() {
            let attrs: Vec<(String, String)> = e
                .attributes()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            if collection.is_add(e.name()) {
                entries.push(attrs);
            } else if Some(e.name()) == collection.remove.as_deref() {
                let key = key_of(&attrs);
                entries.retain(|a| key_of(a) != key);
            } else if Some(e.name()) == collection.clear.as_deref() {
                entries.clear();
            }
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::enclosing_paths;

    #[test]
    fn enclosing_paths_go_from_the_server_down() {
        assert_eq!(
            enclosing_paths("Site/app/x"),
            vec![
                ("", false),
                ("Site", false),
                ("Site/app", false),
                ("Site/app/x", true)
            ]
        );
        assert_eq!(enclosing_paths(""), vec![("", true)]);
        assert_eq!(enclosing_paths("/Site/"), vec![("", false), ("Site", true)]);
    }
}
