//! Checks IIS XML configuration files (web.config, applicationHost.config and
//! fragments of them) against the tables in `schemas/iis/sections.toml`, and
//! collects what an applicationHost.config says about the server (declared
//! sections, `<location overrideMode>` unlocks, inherited collection entries).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use roxmltree::{Document, Node, ParsingOptions};

use super::Kind;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::iis::schema::{Definition, Element, OverrideMode, Schema, ValueType};
use crate::iis::values;
use crate::source::{SourceFile, Span};

/// What an applicationHost.config (or a fragment of one) says about the server.
#[derive(Debug, Default, Clone)]
pub struct ServerFacts {
    /// Sections declared in `<configSections>`, by lower-case name.
    pub declared: BTreeMap<String, (String, Definition, OverrideMode)>,
    /// `<location path=... overrideMode=...>` blocks: (path, section lower-case, mode, where).
    pub unlocks: Vec<(String, String, OverrideMode, Span)>,
    /// Collection entries set at server level: `section/element` lower-case → keys.
    pub global_entries: BTreeMap<String, Vec<(Vec<String>, Span)>>,
    /// Applications defined under `<sites>`: (site, path, pool, physical path).
    pub applications: Vec<AppFact>,
    /// Pools defined under `<applicationPools>`.
    pub pools: Vec<(String, Span)>,
    /// ISAPI/CGI paths allowed in `<isapiCgiRestriction>`.
    pub allowed_isapi: Vec<(String, Span)>,
}

/// An application found in a `<sites>` element.
#[derive(Debug, Clone)]
pub struct AppFact {
    pub site: String,
    pub path: String,
    pub pool: Option<String>,
    pub physical_path: Option<String>,
    pub span: Span,
}

/// What a web.config says, for the cross-file checks.
#[derive(Debug, Default, Clone)]
pub struct WebConfigFacts {
    /// Handlers added: (name, path, modules, scriptProcessor, inherited into child applications).
    pub handlers: Vec<HandlerFact>,
    /// Whether the file clears the inherited handler list at its own level.
    pub clears_handlers: bool,
}

#[derive(Debug, Clone)]
pub struct HandlerFact {
    pub path: String,
    pub modules: String,
    pub script_processor: Option<String>,
    pub inherited_by_children: bool,
    pub span: Span,
}

/// The server the files are checked for: an `--apphost` file, or the defaults.
pub struct Server<'a> {
    pub schema: &'a Schema,
    /// From `--apphost`: authoritative.
    pub apphost: Option<ServerFacts>,
    /// From applicationHost fragments checked together (their unlocks count too).
    pub fragments: Vec<ServerFacts>,
}

impl Server<'_> {
    fn declaration(&self, section: &str) -> Option<(Definition, OverrideMode)> {
        let lower = section.to_ascii_lowercase();
        if let Some(facts) = &self.apphost {
            if !facts.declared.is_empty() {
                return facts.declared.get(&lower).map(|(_, d, o)| (*d, *o));
            }
        }
        self.schema
            .section(section)
            .map(|s| (s.definition, s.override_default))
    }

    fn is_declared(&self, section: &str) -> bool {
        self.declaration(section).is_some()
    }

    /// The lock state of a section for a web.config, and why.
    fn lock_state(&self, section: &str) -> (OverrideMode, Option<String>) {
        let lower = section.to_ascii_lowercase();
        let mut mode = self
            .declaration(section)
            .map_or(OverrideMode::Allow, |(_, o)| o);
        let mut why = None;
        let sources = self.apphost.iter().chain(self.fragments.iter());
        for facts in sources {
            for (path, s, m, span) in &facts.unlocks {
                if *s == lower {
                    let global = path.is_empty() || path == ".";
                    // A web.config's own server path is not known: an unlock
                    // for any path is taken to be the one for this file.
                    if global || *m == OverrideMode::Allow {
                        mode = *m;
                        why = Some(format!(
                            "{} sets overrideMode=\"{:?}\" for `{}`",
                            span.display(),
                            m,
                            if global { "(all sites)" } else { path }
                        ));
                    }
                }
            }
        }
        (mode, why)
    }
}

/// Everything the check of one XML file produced.
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    pub server: ServerFacts,
    pub web: WebConfigFacts,
}

/// Attributes IIS accepts on any element (locking, configSource) and XML's own.
fn is_general_attribute(attr: &roxmltree::Attribute) -> bool {
    attr.namespace().is_some()
        || matches!(
            attr.name(),
            "lockAttributes"
                | "lockAllAttributesExcept"
                | "lockElements"
                | "lockAllElementsExcept"
                | "lockItem"
                | "configSource"
        )
}

/// Checks one XML configuration file.
pub fn check(file: &Arc<SourceFile>, kind: Kind, server: &Server) -> Checked {
    let mut walker = Walker {
        file,
        kind,
        server,
        out: Vec::new(),
        sections_seen: BTreeMap::new(),
        not_checked: BTreeSet::new(),
        facts: ServerFacts::default(),
        web: WebConfigFacts::default(),
    };
    let options = ParsingOptions {
        allow_dtd: false,
        ..ParsingOptions::default()
    };
    match Document::parse_with_options(&file.text, options) {
        Ok(doc) => walker.document(&doc),
        Err(e) => walker.out.push(syntax_error(file, &e)),
    }
    Checked {
        diagnostics: walker.out,
        server: walker.facts,
        web: walker.web,
    }
}

fn syntax_error(file: &Arc<SourceFile>, e: &roxmltree::Error) -> Diagnostic {
    let pos = e.pos();
    let at = file.offset(pos.row as usize, pos.col as usize);
    let end = file.text[at..]
        .chars()
        .next()
        .map_or(at, |c| at + c.len_utf8());
    let span = Span::new(file, at..end);
    match e {
        roxmltree::Error::DtdDetected => Diagnostic::new(
            Code::XmlDtd,
            "the file has a DTD (<!DOCTYPE ...>); IIS configuration files have none",
        )
        .at(Some(&span))
        .label("DTD here")
        .help("delete the <!DOCTYPE ...> block; entities in it are never expanded by omero-iis")
        .note("DTDs can declare entities that expand to huge text (\"billion laughs\")"),
        // The file ends inside an element: point at the end, where text is missing.
        roxmltree::Error::UnclosedRootNode | roxmltree::Error::UnexpectedEndOfStream => {
            let end = file.text.len();
            Diagnostic::new(Code::XmlSyntax, format!("not well-formed XML: {e}"))
                .at(Some(&Span::new(file, end..end)))
                .label("the file ends here, inside an element")
                .help("the file looks cut off: copy it again, or close the open elements")
        }
        _ => Diagnostic::new(Code::XmlSyntax, format!("not well-formed XML: {e}"))
            .at(Some(&span))
            .label("parsing stopped here")
            .help("fix the XML at this position; IIS answers a malformed configuration file with HTTP 500.19"),
    }
}

struct Walker<'a> {
    file: &'a Arc<SourceFile>,
    kind: Kind,
    server: &'a Server<'a>,
    out: Vec<Diagnostic>,
    /// (location path, section lower-case) → where first seen.
    sections_seen: BTreeMap<(String, String), Span>,
    not_checked: BTreeSet<String>,
    facts: ServerFacts,
    web: WebConfigFacts,
}

/// Section groups that contain sections (and the groups inside them).
const TOP_GROUPS: &[&str] = &["system.webServer", "system.applicationHost"];

impl Walker<'_> {
    fn name_span(&self, node: Node) -> Span {
        let start = node.range().start + 1;
        Span::new(self.file, start..start + node.tag_name().name().len())
    }

    fn attr_span(&self, attr: &roxmltree::Attribute) -> Span {
        Span::new(self.file, attr.range_value())
    }

    fn attr_name_span(&self, attr: &roxmltree::Attribute) -> Span {
        let r = attr.range();
        Span::new(self.file, r.start..r.start + attr.name().len())
    }

    fn document(&mut self, doc: &Document) {
        let root = doc.root_element();
        match root.tag_name().name() {
            "configuration" => self.configuration(root, ""),
            "location" => self.location(root),
            name if TOP_GROUPS.contains(&name) => self.group(root, name, ""),
            name => {
                // A bare section: find it by its short name.
                match self.server.schema.by_short_name(name) {
                    Some(section) => {
                        let section = section.name.clone();
                        self.section(root, &section, "")
                    }
                    None => self.out.push(
                        Diagnostic::new(
                            Code::UnknownElement,
                            format!("`<{name}>` is not an IIS configuration element"),
                        )
                        .at(Some(&self.name_span(root)))
                        .help("a configuration file starts with <configuration>; a fragment with <location>, <system.webServer> or a section"),
                    ),
                }
            }
        }
    }

    fn configuration(&mut self, node: Node, location: &str) {
        for child in node.children().filter(Node::is_element) {
            let name = child.tag_name().name();
            match name {
                "configSections" => self.config_sections(child, ""),
                "location" if location.is_empty() => self.location(child),
                n if TOP_GROUPS.contains(&n) => self.group(child, n, location),
                n => self.note_not_checked(child, n),
            }
        }
    }

    fn note_not_checked(&mut self, node: Node, name: &str) {
        if self.not_checked.insert(name.to_ascii_lowercase()) {
            self.out.push(
                Diagnostic::new(
                    Code::NotChecked,
                    format!("`<{name}>` is not described by the IIS tables; it was not checked"),
                )
                .at(Some(&self.name_span(node))),
            );
        }
    }

    fn config_sections(&mut self, node: Node, prefix: &str) {
        for child in node.children().filter(Node::is_element) {
            let Some(name) = child.attribute("name") else {
                continue;
            };
            let full = if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}/{name}")
            };
            match child.tag_name().name() {
                "sectionGroup" => self.config_sections(child, &full),
                "section" => {
                    let (definition, mode) = crate::iis::schema::declaration(
                        child.attribute("allowDefinition"),
                        child.attribute("overrideModeDefault"),
                    );
                    self.facts
                        .declared
                        .insert(full.to_ascii_lowercase(), (full, definition, mode));
                }
                _ => {}
            }
        }
    }

    fn location(&mut self, node: Node) {
        let path = node.attribute("path").unwrap_or("");
        if let Some(attr) = node.attributes().find(|a| a.name() == "path") {
            self.location_path(&attr);
        }
        for attr in node.attributes() {
            if !matches!(
                attr.name(),
                "path" | "overrideMode" | "allowOverride" | "inheritInChildApplications"
            ) && !is_general_attribute(&attr)
            {
                self.unknown_attribute(
                    &attr,
                    &[
                        "path",
                        "overrideMode",
                        "allowOverride",
                        "inheritInChildApplications",
                    ],
                );
            }
        }
        if let Some(attr) = node.attributes().find(|a| a.name() == "overrideMode") {
            if OverrideMode::parse(attr.value()).is_none()
                && !attr.value().eq_ignore_ascii_case("Inherit")
            {
                self.out.push(
                    Diagnostic::new(Code::InvalidValue, format!("`overrideMode=\"{}\"` is not Allow, Deny or Inherit", attr.value()))
                        .at(Some(&self.attr_span(&attr)))
                        .help("write overrideMode=\"Allow\" to unlock the sections inside, \"Deny\" to lock them"),
                );
            }
        }
        if let Some(attr) = node
            .attributes()
            .find(|a| a.name() == "inheritInChildApplications")
        {
            self.value(
                &attr,
                &crate::iis::schema::Attribute {
                    value_type: ValueType::Bool,
                    required: false,
                    key: false,
                    combined_key: false,
                    case_sensitive: false,
                    non_empty: false,
                    trimmed: false,
                    range: None,
                    granularity: None,
                    name_rule: None,
                },
            );
        }
        let mode = node.attribute("overrideMode").and_then(OverrideMode::parse);
        let normalized = if path == "." { "" } else { path };
        let before = self.facts.unlocks.len();
        self.configuration(
            node,
            if normalized.is_empty() {
                "."
            } else {
                normalized
            },
        );
        if let Some(mode) = mode {
            // Record which sections this block sets the override mode for.
            let mut sections = Vec::new();
            collect_sections(node, "", self.server.schema, &mut sections);
            for section in sections {
                self.facts.unlocks.push((
                    normalized.to_owned(),
                    section.to_ascii_lowercase(),
                    mode,
                    self.name_span(node),
                ));
            }
        }
        let _ = before;
    }

    fn location_path(&mut self, attr: &roxmltree::Attribute) {
        let path = attr.value();
        let span = self.attr_span(attr);
        let apphost = self.kind != Kind::WebConfig;
        let problem = if path.is_empty() || path == "." {
            None
        } else if path.starts_with('/') || path.starts_with('\\') {
            Some(if apphost {
                (
                    format!("location path `{path}` starts with `{}`", &path[..1]),
                    format!(
                        "in applicationHost.config write the site name first: `Default Web Site{}`",
                        path.replace('\\', "/")
                    ),
                    Severity::Error,
                )
            } else {
                (
                    format!("location path `{path}` starts with `{}`", &path[..1]),
                    format!(
                        "in a web.config the path is relative to the file's folder: `{}`",
                        path.trim_start_matches(['/', '\\'])
                    ),
                    Severity::Warning,
                )
            })
        } else if path.ends_with('/') {
            Some((
                format!("location path `{path}` ends with `/`"),
                format!("write `{}`", path.trim_end_matches('/')),
                Severity::Error,
            ))
        } else if path
            .split('/')
            .any(|s| s == "." || s == ".." || s.is_empty())
        {
            Some((
                format!("location path `{path}` has an empty, `.` or `..` segment"),
                "write the path without them".to_owned(),
                Severity::Error,
            ))
        } else if apphost
            && path
                .split('/')
                .next()
                .is_some_and(|site| site.contains('?'))
        {
            Some((
                format!("location path `{path}` names a site with `?`"),
                "site names cannot contain `?`".to_owned(),
                Severity::Error,
            ))
        } else {
            None
        };
        if let Some((message, help, severity)) = problem {
            self.out.push(
                Diagnostic::new(Code::LocationPath, message)
                    .with_severity(severity)
                    .at(Some(&span))
                    .help(help),
            );
        }
    }

    fn group(&mut self, node: Node, path: &str, location: &str) {
        for attr in node.attributes().filter(|a| !is_general_attribute(a)) {
            self.unknown_attribute(&attr, &[]);
        }
        for child in node.children().filter(Node::is_element) {
            let full = format!("{path}/{}", child.tag_name().name());
            let schema = self.server.schema;
            if let Some(section) = schema.section(&full).filter(|s| s.schema.is_some()) {
                let name = section.name.clone();
                self.section(child, &name, location);
            } else if schema.is_group(&full) && schema.section(&full).is_none() {
                self.group(child, &full, location);
            } else if self.server.is_declared(&full) || schema.section(&full).is_some() {
                self.placement_and_locks(child, &full, location);
                self.note_not_checked(child, &full);
            } else {
                let authoritative = self
                    .server
                    .apphost
                    .as_ref()
                    .is_some_and(|f| !f.declared.is_empty());
                let mut d = Diagnostic::new(
                    Code::UnknownSection,
                    format!("no <configSections> declares `{full}`"),
                )
                .at(Some(&self.name_span(child)))
                .label("unknown section")
                .note("IIS answers an undeclared section with HTTP 500.19 (0x8007000d)");
                if authoritative {
                    d = d.help(
                        "install the IIS module that provides it, or correct the element name",
                    );
                } else {
                    d = d
                        .with_severity(Severity::Warning)
                        .help("a default IIS 10 server does not declare it: correct the name, or pass --apphost with the server's applicationHost.config if a module declares it");
                }
                self.out.push(d);
            }
        }
    }

    fn placement_and_locks(&mut self, node: Node, section: &str, location: &str) {
        let span = self.name_span(node);
        let key = (location.to_owned(), section.to_ascii_lowercase());
        if let Some(first) = self.sections_seen.get(&key) {
            self.out.push(
                Diagnostic::new(
                    Code::DuplicateSection,
                    format!("section `{section}` is given twice for the same path"),
                )
                .at(Some(&span))
                .note(format!("first given at {}", first.display()))
                .note("IIS answers with HTTP 500.19 (0x800700b7, \"Sections must only appear once per config file\")")
                .help("merge the two elements into one"),
            );
        } else {
            self.sections_seen.insert(key, span.clone());
        }
        let Some((definition, _)) = self.server.declaration(section) else {
            return;
        };
        if self.kind == Kind::WebConfig {
            let below_root = !(location.is_empty() || location == ".");
            let refused = match definition {
                Definition::AppHostOnly => Some("only in applicationHost.config"),
                Definition::MachineOnly | Definition::MachineToWebRoot => {
                    Some("only in machine.config or the root web.config")
                }
                Definition::MachineToApplication if below_root => {
                    Some("only at an application root, not in a <location> below it")
                }
                _ => None,
            };
            if let Some(where_) = refused {
                self.out.push(
                    Diagnostic::new(Code::SectionPlacement, format!("section `{section}` is allowed {where_}"))
                        .at(Some(&span))
                        .label(format!("allowDefinition={definition:?}"))
                        .help(match definition {
                            Definition::AppHostOnly => "move it into applicationHost.config (appcmd set config ... /commit:apphost)".to_owned(),
                            _ => "move it into the web.config of the application root".to_owned(),
                        })
                        .note("IIS answers with HTTP 500.19"),
                );
                return;
            }
            let (mode, why) = self.server.lock_state(section);
            if mode == OverrideMode::Deny {
                let authoritative = self.server.apphost.is_some() || why.is_some();
                let mut d = Diagnostic::new(
                    Code::LockedSection,
                    format!("section `{section}` is locked at server level; this web.config may not set it"),
                )
                .at(Some(&span))
                .label("locked section")
                .help(format!(
                    "unlock it for this application in applicationHost.config (<location path=\"Site/app\" overrideMode=\"Allow\">, or appcmd unlock config \"Site/app\" -section:{section}), or move the setting there"
                ));
                if let Some(why) = why {
                    d = d.note(why);
                } else if !authoritative {
                    d = d
                        .with_severity(Severity::Warning)
                        .note("assumed a default IIS 10 server (overrideModeDefault=\"Deny\"); servers differ: pass --apphost with the server's applicationHost.config to know");
                }
                self.out.push(d);
            }
        } else if definition == Definition::AppHostOnly
            && !(location.is_empty() || location == ".")
            && section.starts_with("system.applicationHost/")
        {
            self.out.push(
                Diagnostic::new(
                    Code::SectionPlacement,
                    format!("section `{section}` cannot be set for a path"),
                )
                .at(Some(&span))
                .help("move it out of the <location> element, to server level"),
            );
        }
    }

    fn section(&mut self, node: Node, section: &str, location: &str) {
        self.placement_and_locks(node, section, location);
        let schema = self.server.schema;
        let Some(element) = schema.section(section).and_then(|s| s.schema.as_ref()) else {
            return;
        };
        let global = location.is_empty() || location == ".";
        let path = section.to_ascii_lowercase();
        self.element(node, element, &path, global, false);
        if section == "system.applicationHost/applicationPools" {
            for add in node.children().filter(|c| c.has_tag_name("add")) {
                if let Some(name) = add.attribute("name") {
                    self.facts
                        .pools
                        .push((name.to_owned(), self.name_span(add)));
                }
            }
        }
        if section == "system.applicationHost/sites" {
            self.collect_applications(node);
        }
        if section == "system.webServer/security/isapiCgiRestriction" {
            for add in node.children().filter(|c| c.has_tag_name("add")) {
                if add
                    .attribute("allowed")
                    .is_some_and(|a| a.eq_ignore_ascii_case("true"))
                {
                    if let Some(path) = add.attribute("path") {
                        self.facts
                            .allowed_isapi
                            .push((path.to_owned(), self.name_span(add)));
                    }
                }
            }
        }
        if section == "system.webServer/handlers" && self.kind == Kind::WebConfig {
            self.collect_handlers(node, location);
        }
    }

    fn collect_applications(&mut self, sites: Node) {
        for site in sites.children().filter(|c| c.has_tag_name("site")) {
            let site_name = site.attribute("name").unwrap_or("").to_owned();
            for app in site.children().filter(|c| c.has_tag_name("application")) {
                let physical_path = app
                    .children()
                    .find(|v| {
                        v.has_tag_name("virtualDirectory") && v.attribute("path") == Some("/")
                    })
                    .and_then(|v| v.attribute("physicalPath"))
                    .map(str::to_owned);
                self.facts.applications.push(AppFact {
                    site: site_name.clone(),
                    path: app.attribute("path").unwrap_or("").to_owned(),
                    pool: app.attribute("applicationPool").map(str::to_owned),
                    physical_path,
                    span: self.name_span(app),
                });
            }
        }
    }

    fn collect_handlers(&mut self, handlers: Node, location: &str) {
        let inherited = !handlers
            .ancestors()
            .filter(|a| a.has_tag_name("location"))
            .any(|l| {
                l.attribute("inheritInChildApplications")
                    .is_some_and(|v| v.eq_ignore_ascii_case("false"))
            });
        let at_root = location.is_empty() || location == ".";
        for child in handlers.children().filter(Node::is_element) {
            match child.tag_name().name() {
                "clear" if at_root => self.web.clears_handlers = true,
                "add" => self.web.handlers.push(HandlerFact {
                    path: child.attribute("path").unwrap_or("").to_owned(),
                    modules: child.attribute("modules").unwrap_or("").to_owned(),
                    script_processor: child.attribute("scriptProcessor").map(str::to_owned),
                    inherited_by_children: inherited && at_root,
                    span: self.name_span(child),
                }),
                _ => {}
            }
        }
    }

    fn unknown_attribute(&mut self, attr: &roxmltree::Attribute, known: &[&str]) {
        let help = suggestion(attr.name(), known);
        self.out.push(
            Diagnostic::new(
                Code::UnknownAttribute,
                format!("IIS does not know the attribute `{}` here", attr.name()),
            )
            .at(Some(&self.attr_name_span(attr)))
            .label("unknown attribute")
            .help(help)
            .note("IIS answers unknown attributes with HTTP 500.19 (0x8007000d)"),
        );
    }

    fn value(&mut self, attr: &roxmltree::Attribute, spec: &crate::iis::schema::Attribute) {
        if let Err(problem) = values::check(spec, attr.value()) {
            let code = if spec.name_rule.is_some() {
                Code::InvalidName
            } else {
                Code::InvalidValue
            };
            self.out.push(
                Diagnostic::new(code, format!("`{}`: {}", attr.name(), problem.message))
                    .at(Some(&self.attr_span(attr)))
                    .help(problem.help),
            );
        }
    }

    /// Checks an element's attributes and children. `path` names it for
    /// inherited collection entries (`section/child`).
    fn element(&mut self, node: Node, spec: &Element, path: &str, global: bool, is_item: bool) {
        for attr in node.attributes().filter(|a| !is_general_attribute(a)) {
            match spec.attributes.get(attr.name()) {
                Some(a) => self.value(&attr, a),
                None => {
                    let known: Vec<&str> = spec.attributes.keys().map(String::as_str).collect();
                    self.unknown_attribute(&attr, &known);
                }
            }
        }
        // A fragment is merged into existing elements: what it omits may be there already.
        if is_item && self.kind != Kind::Fragment {
            for (name, a) in &spec.attributes {
                if a.required && node.attribute(name.as_str()).is_none() {
                    self.out.push(
                        Diagnostic::new(
                            Code::MissingAttribute,
                            format!(
                                "`<{}>` lacks the required attribute `{name}`",
                                node.tag_name().name()
                            ),
                        )
                        .at(Some(&self.name_span(node)))
                        .help(format!("add {name}=\"...\""))
                        .note("IIS answers with HTTP 500.19"),
                    );
                }
            }
        }
        let mut entries = spec.collection.as_deref().map(EntrySet::new);
        if let Some(entries) = &mut entries {
            if self.kind == Kind::WebConfig {
                for facts in self.server.apphost.iter() {
                    if let Some(inherited) = facts.global_entries.get(path) {
                        for (k, s) in inherited {
                            entries.insert(k.clone(), s.clone(), true);
                        }
                    }
                }
            }
        }
        for child in node.children().filter(Node::is_element) {
            let name = child.tag_name().name();
            if let Some(collection) = &spec.collection {
                if name == collection.add {
                    self.element(
                        child,
                        &collection.item,
                        &format!("{path}/{name}"),
                        false,
                        true,
                    );
                    if let Some(entries) = &mut entries {
                        self.add_entry(child, collection, entries, path, global);
                    }
                    continue;
                }
                if collection.remove.as_deref() == Some(name) {
                    let keys = collection.key_attributes();
                    for attr in child.attributes().filter(|a| !is_general_attribute(a)) {
                        if !keys.contains(&attr.name()) {
                            self.unknown_attribute(&attr, &keys);
                        }
                    }
                    if let (Some(key), Some(entries)) = (entry_key(child, collection), &mut entries)
                    {
                        entries.remove_matching(&key);
                    }
                    continue;
                }
                if collection.clear.as_deref() == Some(name) {
                    for attr in child.attributes().filter(|a| !is_general_attribute(a)) {
                        self.unknown_attribute(&attr, &[]);
                    }
                    if let Some(entries) = &mut entries {
                        entries.clear();
                    }
                    continue;
                }
            }
            if let Some(child_spec) = spec.elements.get(name) {
                self.element(child, child_spec, &format!("{path}/{name}"), global, false);
            } else if spec.unchecked.iter().any(|u| u == name) {
                continue;
            } else {
                let mut known: Vec<&str> = spec.elements.keys().map(String::as_str).collect();
                if let Some(c) = &spec.collection {
                    known.push(&c.add);
                    known.extend(c.remove.as_deref());
                    known.extend(c.clear.as_deref());
                }
                known.extend(spec.unchecked.iter().map(String::as_str));
                self.out.push(
                    Diagnostic::new(
                        Code::UnknownElement,
                        format!("IIS does not know the element `<{name}>` here"),
                    )
                    .at(Some(&self.name_span(child)))
                    .label("unknown element")
                    .help(suggestion(name, &known))
                    .note("IIS answers unknown elements with HTTP 500.19 (0x8007000d)"),
                );
            }
        }
    }

    fn add_entry(
        &mut self,
        node: Node,
        collection: &crate::iis::schema::Collection,
        entries: &mut EntrySet,
        path: &str,
        global: bool,
    ) {
        let Some(key) = entry_key(node, collection) else {
            return;
        };
        let span = self.name_span(node);
        if let Some((_, first, inherited)) = entries.find(&key) {
            let shown = key
                .iter()
                .filter(|k| !k.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let mut d = Diagnostic::new(
                Code::DuplicateKey,
                format!(
                    "`<{}>` adds `{shown}` a second time",
                    node.tag_name().name()
                ),
            )
            .at(Some(&span))
            .label("duplicate key");
            d = if *inherited {
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
        } else {
            entries.insert(key.clone(), span.clone(), false);
            if global && self.kind != Kind::WebConfig {
                self.facts
                    .global_entries
                    .entry(path.to_owned())
                    .or_default()
                    .push((key, span));
            }
        }
    }
}

/// The key of a collection entry: the values of every key attribute, in table order.
fn entry_key(node: Node, collection: &crate::iis::schema::Collection) -> Option<Vec<String>> {
    let attributes = collection.key_attributes();
    if attributes.is_empty() {
        return None;
    }
    Some(
        attributes
            .iter()
            .map(|a| node.attribute(*a).unwrap_or("").to_owned())
            .collect(),
    )
}

/// The entries of one collection element, indexed by every key set, so that
/// each new entry is checked in constant time (a hosting server's
/// applicationHost.config has tens of thousands). Two entries clash when any
/// single `key` matches, or all `ckey` values match (not all empty).
struct EntrySet {
    /// Each key set as indexes into the collection's key attributes.
    sets: Vec<Vec<usize>>,
    case_sensitive: Vec<bool>,
    entries: Vec<Option<(Vec<String>, Span, bool)>>,
    index: std::collections::HashMap<(usize, String), usize>,
}

impl EntrySet {
    fn new(collection: &crate::iis::schema::Collection) -> EntrySet {
        let names = collection.key_attributes();
        let mut sets = Vec::new();
        let mut at = 0;
        for set in collection.key_sets() {
            sets.push((at..at + set.len()).collect());
            at += set.len();
        }
        EntrySet {
            sets,
            case_sensitive: names
                .iter()
                .map(|n| collection.item.attributes[*n].case_sensitive)
                .collect(),
            entries: Vec::new(),
            index: std::collections::HashMap::new(),
        }
    }

    /// The comparable value of one key set, `None` when all its values are empty.
    fn normal(&self, set: usize, key: &[String]) -> Option<(usize, String)> {
        let indexes = &self.sets[set];
        if indexes.iter().all(|&i| key[i].is_empty()) {
            return None;
        }
        let parts: Vec<String> = indexes
            .iter()
            .map(|&i| {
                if self.case_sensitive[i] {
                    key[i].clone()
                } else {
                    key[i].to_ascii_lowercase()
                }
            })
            .collect();
        Some((set, parts.join("\u{0}")))
    }

    fn position(&self, key: &[String]) -> Option<usize> {
        (0..self.sets.len())
            .filter_map(|s| self.normal(s, key))
            .find_map(|k| self.index.get(&k).copied())
    }

    fn find(&self, key: &[String]) -> Option<&(Vec<String>, Span, bool)> {
        self.position(key).and_then(|i| self.entries[i].as_ref())
    }

    fn insert(&mut self, key: Vec<String>, span: Span, inherited: bool) {
        let at = self.entries.len();
        for s in 0..self.sets.len() {
            if let Some(k) = self.normal(s, &key) {
                self.index.entry(k).or_insert(at);
            }
        }
        self.entries.push(Some((key, span, inherited)));
    }

    /// `<remove>`: every entry that clashes with `key` goes.
    fn remove_matching(&mut self, key: &[String]) {
        // Each round removes one index key, so this ends.
        while let Some((k, i)) = (0..self.sets.len())
            .filter_map(|s| self.normal(s, key))
            .find_map(|k| self.index.get(&k).map(|&i| (k, i)))
        {
            self.index.remove(&k);
            if let Some((old, _, _)) = self.entries[i].take() {
                for s in 0..self.sets.len() {
                    if let Some(k) = self.normal(s, &old) {
                        if self.index.get(&k) == Some(&i) {
                            self.index.remove(&k);
                        }
                    }
                }
            }
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
    }
}

fn suggestion(name: &str, known: &[&str]) -> String {
    let best = known
        .iter()
        .map(|k| {
            (
                strsim::jaro_winkler(&k.to_ascii_lowercase(), &name.to_ascii_lowercase()),
                *k,
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, k)) if score > 0.8 => {
            format!("did you mean `{k}`? (names are case-sensitive)")
        }
        _ if known.is_empty() => "remove it".to_owned(),
        _ => format!("known here: {}", known.join(", ")),
    }
}

/// The sections inside a `<location>` block (full names).
fn collect_sections(node: Node, prefix: &str, schema: &Schema, out: &mut Vec<String>) {
    for child in node.children().filter(Node::is_element) {
        let name = child.tag_name().name();
        let full = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}/{name}")
        };
        if prefix.is_empty() && !TOP_GROUPS.contains(&name) {
            continue;
        }
        if schema.section(&full).is_some() || (!prefix.is_empty() && !schema.is_group(&full)) {
            out.push(full);
        } else {
            collect_sections(child, &full, schema, out);
        }
    }
}
