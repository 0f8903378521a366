//! Checks IIS XML configuration files (web.config, applicationHost.config and
//! fragments of them) against the IIS tables (`schemas/iis/sections/`, or
//! `--schema` files): the walker. What it learns about the server (declared
//! sections, `<location overrideMode>` unlocks, inherited collection entries)
//! goes into `facts`; collections' entries are kept by `entries`.

use std::collections::BTreeSet;

use foldhash::HashMap;
use std::ops::Range;
use std::sync::Arc;

mod elements;
mod locations;

use super::entries::{EntryStore, NormalKey};
use super::facts::{declaration_from, Declarations, Server, ServerFacts, WebConfigFacts};
use super::screen::{filter_bits, Memory, Screen, FILTER_BITS};
use super::Kind;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::iis::schema::{Definition, OverrideMode, Section, ValueType};
use crate::source::{SourceFile, Span};
use crate::xml::{Attribute, Parser, Tag, XmlError};

/// Everything the check of one XML file produced.
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    pub server: ServerFacts,
    pub web: WebConfigFacts,
}

/// Attributes IIS accepts on any element (locking, configSource) and XML's own.
fn is_general_attribute(attr: &Attribute) -> bool {
    attr.is_namespaced()
        || matches!(attr.name.as_bytes().first(), Some(b'l' | b'c'))
            && matches!(
                attr.name,
                "lockAttributes"
                    | "lockAllAttributesExcept"
                    | "lockElements"
                    | "lockAllElementsExcept"
                    | "lockItem"
                    | "configSource"
            )
}

/// Why a file could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("invalid UTF-8 at byte offset {offset}")]
    NotUtf8 { offset: u64 },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The thread that screened keys for duplicates ended early (a panic):
    /// a fault of this program, not of the file.
    #[error(transparent)]
    ScreenLost(#[from] super::screen::ScreenLost),
}

/// Checks one XML configuration file, reading it as a stream. A streamed
/// (large) file is walked with bounded memory: see [`super::screen`].
pub fn check(file: &Arc<SourceFile>, kind: Kind, server: &Server) -> Result<Checked, ReadError> {
    let bits = file.streamed_length().map_or(FILTER_BITS, filter_bits);
    check_with_filter(file, kind, server, bits)
}

/// [`check`] with a Bloom filter of `filter_bits` for a streamed file (tests
/// make it tiny, so that most keys are false positives).
fn check_with_filter(
    file: &Arc<SourceFile>,
    kind: Kind,
    server: &Server,
    filter_bits: usize,
) -> Result<Checked, ReadError> {
    if !file.is_streamed() {
        return walk(file, kind, server, Memory::Exact).map(|(checked, _)| checked);
    }
    let screen = Memory::Screen(Screen::new(filter_bits));
    match walk(file, kind, server, screen)? {
        (checked, Some(Memory::Screen(screen))) => {
            let suspects = screen.into_suspects()?;
            if suspects.is_empty() {
                return Ok(checked);
            }
            let confirm = Memory::Confirm(suspects);
            walk(file, kind, server, confirm).map(|(checked, _)| checked)
        }
        (checked, _) => Ok(checked),
    }
}

/// One walk over the file; the memory it ends with, unless the file is not
/// well-formed (then the syntax error is the whole report).
fn walk(
    file: &Arc<SourceFile>,
    kind: Kind,
    server: &Server,
    mut memory: Memory,
) -> Result<(Checked, Option<Memory>), ReadError> {
    let xml = Parser::new(file);
    if let (Ok(xml), Memory::Screen(screen)) = (&xml, &mut memory) {
        // The thread that reads ahead screens the keys between its windows.
        screen.screen_on(xml.helper());
    }
    let mut walker = Walker {
        file,
        kind,
        server,
        out: Vec::new(),
        memory,
        collections: 0,
        sections_seen: HashMap::default(),
        section_numbers: HashMap::default(),
        path_facts: HashMap::default(),
        not_checked: BTreeSet::new(),
        facts: ServerFacts::default(),
        web: WebConfigFacts::default(),
        location_sections: None,
        spare_section_list: Vec::new(),
        section_names: Vec::new(),
        group_path: String::new(),
        inherit_in_children: true,
        section_at_root: true,
        site: String::new(),
        normal_key: NormalKey::default(),
        spare_stores: Vec::new(),
        path: String::new(),
    };
    let walked = xml.and_then(|mut xml| walker.document(&mut xml));
    match walked {
        Ok(()) => Ok((
            Checked {
                diagnostics: walker.out,
                server: walker.facts,
                web: walker.web,
            },
            Some(walker.memory),
        )),
        // IIS refuses a malformed file as a whole: the syntax error is the finding.
        Err(XmlError::Io(e)) => Err(ReadError::Io(e)),
        Err(XmlError::NotUtf8 { offset }) => Err(ReadError::NotUtf8 {
            offset: offset as u64 + file.bom_length(),
        }),
        Err(e) => Ok((
            Checked {
                diagnostics: vec![syntax_error(file, e)],
                server: ServerFacts::default(),
                web: WebConfigFacts::default(),
            },
            None,
        )),
    }
}

fn syntax_error(file: &Arc<SourceFile>, e: XmlError) -> Diagnostic {
    match e {
        XmlError::Dtd { at } => Diagnostic::new(
            Code::XmlDtd,
            "the file has a DTD (<!DOCTYPE ...>); IIS configuration files have none",
        )
        .at(Some(&Span::new(file, at)))
        .label("DTD here")
        .help("delete the <!DOCTYPE ...> block; entities in it are never expanded by omero-iis")
        .note("DTDs can declare entities that expand to huge text (\"billion laughs\")"),
        // The file ends inside an element: point at the end, where text is missing.
        XmlError::Truncated { at, inside } => {
            Diagnostic::new(Code::XmlSyntax, format!("not well-formed XML: {inside}"))
                .at(Some(&Span::new(file, at..at)))
                .label("the file ends here")
                .help("the file looks cut off: copy it again, or close the open elements")
        }
        XmlError::Syntax { at, message } => {
            Diagnostic::new(Code::XmlSyntax, format!("not well-formed XML: {message}"))
                .at(Some(&Span::new(file, at)))
                .label("parsing stopped here")
                .help("fix the XML at this position; IIS answers a malformed configuration file with HTTP 500.19")
        }
        XmlError::Io(_) | XmlError::NotUtf8 { .. } => unreachable!("read errors are not findings"),
    }
}

struct Walker<'a> {
    file: &'a Arc<SourceFile>,
    kind: Kind,
    server: &'a Server<'a>,
    out: Vec<Diagnostic>,
    /// How keys are remembered for the duplicate checks.
    memory: Memory,
    /// Collection elements begun so far: numbers them, the same in both
    /// passes over a streamed file.
    collections: u64,
    /// Location path → (section number, where first seen). A hosting
    /// server has one `<location>` per site: only offsets are kept. For a
    /// streamed file, only suspects (see [`super::screen`]) are kept.
    sections_seen: HashMap<Box<str>, Vec<SeenSection>>,
    /// Lower-case section names, numbered: a hosting server sets the same
    /// few sections in every `<location>`.
    section_numbers: HashMap<Box<str>, u32>,
    /// What each section path as written is (see [`PathFacts`]), worked
    /// out once per path: a hosting server has 100,000 `<location>` blocks
    /// with the same few sections. Emptied when `<configSections>` declare.
    path_facts: HashMap<Box<str>, PathFacts<'a>>,
    not_checked: BTreeSet<String>,
    facts: ServerFacts,
    web: WebConfigFacts,
    /// Inside a `<location>`: the sections it sets (for its overrideMode),
    /// by their numbers in `section_numbers`.
    location_sections: Option<Vec<u32>>,
    /// The list of the last `<location>`'s sections, for the next one.
    spare_section_list: Vec<u32>,
    /// The lower-case section names of `section_numbers`, by number.
    section_names: Vec<Box<str>>,
    /// The buffer for the path of the section group being walked.
    group_path: String,
    /// The enclosing `<location>` lets child applications inherit.
    inherit_in_children: bool,
    /// The section being walked is set for the file's own level.
    section_at_root: bool,
    /// The `<site>` being walked (for the applications in it).
    site: String,
    /// Where collection keys are normalized, so that a lookup allocates nothing.
    normal_key: NormalKey,
    /// The memory of finished collection elements' entry sets, for reuse.
    spare_stores: Vec<EntryStore>,
    /// The buffer for the path of the element being walked in a section.
    path: String,
}

/// A section set in a `<location>`: its number in `section_numbers` and where.
type SeenSection = (u32, Range<usize>);

/// What a section path as written (`system.webServer/handlers`) is, by the
/// declarations that decide for this file and the tables.
#[derive(Clone, Copy)]
struct PathFacts<'s> {
    /// It is a section group.
    is_group: bool,
    /// It is a declared section.
    is_section: bool,
    /// Its table, when the tables describe it.
    table: Option<&'s Section>,
    /// Its lower-case name's number in `section_numbers`.
    number: u32,
    /// Where it may be set, by its declaration.
    declaration: Option<(Definition, OverrideMode)>,
}

/// Section groups that contain sections (and the groups inside them).
const TOP_GROUPS: &[&str] = &[
    "system.webServer",
    "system.applicationHost",
    "system.ftpServer",
];

/// The attributes `<location>` takes.
const LOCATION_ATTRIBUTES: &[&str] = &[
    "path",
    "overrideMode",
    "allowOverride",
    "inheritInChildApplications",
];

impl<'a> Walker<'a> {
    fn name_span(&self, tag: &Tag) -> Span {
        Span::new(self.file, tag.name_range())
    }

    fn attr_span(&self, attr: &Attribute) -> Span {
        Span::new(self.file, attr.value_range())
    }

    fn attr_name_span(&self, attr: &Attribute) -> Span {
        Span::new(self.file, attr.name_range())
    }

    fn document(&mut self, xml: &mut Parser) -> Result<(), XmlError> {
        let root = xml.root()?;
        match root.name() {
            "configuration" => self.configuration(xml, &root, "")?,
            "location" => self.location(xml, &root)?,
            name if TOP_GROUPS.contains(&name) => self.group(xml, &root, name, "")?,
            name => {
                // A bare section: find it by its short name.
                match self.server.schema.by_short_name(name) {
                    Some(section) => {
                        let facts = self.path_facts(&section.name);
                        self.section(xml, &root, &section.name, facts, "")?
                    }
                    None => self.out.push(
                        Diagnostic::new(
                            Code::UnknownElement,
                            format!("`<{name}>` is not an IIS configuration element"),
                        )
                        .at(Some(&self.name_span(&root)))
                        .help("a configuration file starts with <configuration>; a fragment with <location>, <system.webServer> or a section"),
                    ),
                }
            }
        }
        xml.finish()
    }

    fn configuration(
        &mut self,
        xml: &mut Parser,
        tag: &Tag,
        location: &str,
    ) -> Result<(), XmlError> {
        while let Some(child) = xml.next_child(tag)? {
            match child.name() {
                "configSections" => self.config_sections(xml, &child, "")?,
                "location" if location.is_empty() => self.location(xml, &child)?,
                n if TOP_GROUPS.contains(&n) => self.group(xml, &child, n, location)?,
                // A top-level section (ARR's webFarms) the tables know. Other
                // top-level elements belong to .NET's machine.config
                // (appSettings, system.web): noted, never unknown.
                n if self.path_facts(n).is_section && self.path_facts(n).table.is_some() => {
                    let facts = self.path_facts(n);
                    self.known_section(xml, &child, n, facts, location)?
                }
                n => self.note_not_checked(&child, n),
            }
        }
        Ok(())
    }

    fn note_not_checked(&mut self, tag: &Tag, name: &str) {
        if self.not_checked.insert(name.to_ascii_lowercase()) {
            self.out.push(
                Diagnostic::new(
                    Code::NotChecked,
                    format!("`<{name}>` is not described by the IIS tables; it was not checked"),
                )
                .at(Some(&self.name_span(tag))),
            );
        }
    }

    fn config_sections(
        &mut self,
        xml: &mut Parser,
        tag: &Tag,
        prefix: &str,
    ) -> Result<(), XmlError> {
        while let Some(child) = xml.next_child(tag)? {
            let Some(name) = child.attribute("name") else {
                continue;
            };
            let full = crate::iis::schema::section_path(prefix, name);
            match child.name() {
                "sectionGroup" => self.config_sections(xml, &child, &full)?,
                "section" => {
                    let (definition, mode) = crate::iis::schema::declaration(
                        child.attribute("allowDefinition"),
                        child.attribute("overrideModeDefault"),
                    );
                    self.facts.declared.declare(full, definition, mode);
                    // What a path is may have changed.
                    self.path_facts.clear();
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A section group (`<system.webServer>`) at `path`.
    fn group(
        &mut self,
        xml: &mut Parser,
        tag: &Tag,
        path: &str,
        location: &str,
    ) -> Result<(), XmlError> {
        let mut full = std::mem::take(&mut self.group_path);
        full.clear();
        full.push_str(path);
        let walked = self.group_at(xml, tag, &mut full, location);
        self.group_path = full;
        walked
    }

    /// [`Walker::group`] of the group whose path `full` holds: each
    /// child's path is made in the same buffer, which is given back as it
    /// came.
    fn group_at(
        &mut self,
        xml: &mut Parser,
        tag: &Tag,
        full: &mut String,
        location: &str,
    ) -> Result<(), XmlError> {
        for attr in tag.attributes().filter(|a| !is_general_attribute(a)) {
            self.unknown_attribute(&attr, &[]);
        }
        let path = full.len();
        while let Some(child) = xml.next_child(tag)? {
            full.truncate(path);
            full.push('/');
            full.push_str(child.name());
            let facts = self.path_facts(full);
            let walked = if facts.is_group && !facts.is_section {
                self.group_at(xml, &child, full, location)
            } else if facts.is_section {
                self.known_section(xml, &child, full, facts, location)
            } else {
                self.unknown_section(&child, full);
                Ok(())
            };
            if let Err(e) = walked {
                full.truncate(path);
                return Err(e);
            }
        }
        full.truncate(path);
        Ok(())
    }

    /// What `path` is (see [`PathFacts`]), from the cache.
    fn path_facts(&mut self, path: &str) -> PathFacts<'a> {
        if let Some(facts) = self.path_facts.get(path) {
            return *facts;
        }
        let facts = self.work_out_path_facts(path);
        self.path_facts.insert(path.into(), facts);
        facts
    }

    fn work_out_path_facts(&mut self, path: &str) -> PathFacts<'a> {
        let schema: &'a crate::iis::schema::Schema = self.server.schema;
        let (is_group, is_section) = match self.declared() {
            Some(declared) => (declared.is_group(path), declared.get(path).is_some()),
            None => (schema.is_group(path), schema.section(path).is_some()),
        };
        let table = schema.section(path).filter(|s| s.is_described());
        // A section of the tables goes by its name there.
        let name = table.map_or(path, |s| s.name.as_str());
        let declaration = self.declaration(name);
        let number = self.section_number(&name.to_ascii_lowercase());
        PathFacts {
            is_group,
            is_section,
            table,
            number,
            declaration,
        }
    }

    /// A section that exists: checked against its table, or placed and
    /// noted when the tables do not describe it.
    fn known_section(
        &mut self,
        xml: &mut Parser,
        tag: &Tag,
        full: &str,
        facts: PathFacts<'a>,
        location: &str,
    ) -> Result<(), XmlError> {
        if let Some(sections) = &mut self.location_sections {
            sections.push(facts.number);
        }
        if let Some(section) = facts.table {
            self.section(xml, tag, &section.name, facts, location)?;
        } else {
            self.placement_and_locks(tag, full, facts, location);
            self.note_not_checked(tag, full);
        }
        Ok(())
    }

    /// The declarations that decide for this file: an applicationHost.config's
    /// own `<configSections>` (they come first in the file), else the
    /// server's.
    fn declared(&self) -> Option<&Declarations> {
        if self.kind == Kind::AppHost && !self.facts.declared.is_empty() {
            return Some(&self.facts.declared);
        }
        self.server.declared()
    }

    fn declaration(&self, section: &str) -> Option<(Definition, OverrideMode)> {
        declaration_from(self.declared(), self.server.schema, section)
    }

    fn unknown_section(&mut self, tag: &Tag, full: &str) {
        let suggestion = self
            .declared()
            .map(|declared| match declared.one_edit_from(full) {
                Some(near) => format!("did you mean `{near}`? (declared in <configSections>)"),
                None => "install the IIS module that provides it, or correct the element name"
                    .to_owned(),
            });
        let mut d = Diagnostic::new(
            Code::UnknownSection,
            format!("no <configSections> declares `{full}`"),
        )
        .at(Some(&self.name_span(tag)))
        .label("unknown section")
        .note("IIS answers an undeclared section with HTTP 500.19 (0x8007000d)");
        if let Some(help) = suggestion {
            d = d.help(help);
        } else if self.server.schema.complete {
            d = d.help("the server's schema files (--schema) do not describe it: install the IIS module that provides it, or correct the element name");
        } else if let Some(near) = self.server.schema.section_one_edit_from(full) {
            // A misspelt section of IIS itself is a 500.19 on every server.
            d = d.help(format!("did you mean `{near}`?"));
        } else {
            d = d
                .with_severity(Severity::Warning)
                .help("a default IIS 10 server does not declare it: correct the name, or pass --apphost with the server's applicationHost.config if a module declares it");
        }
        self.out.push(d);
    }
}

/// An `inheritInChildApplications`-style boolean.
const BOOLEAN: crate::iis::schema::Attribute =
    crate::iis::schema::Attribute::of_type(ValueType::Bool);

fn suggestion(name: &str, known: &[&str]) -> String {
    match crate::diagnostic::closest_name(name, known.iter().copied(), 0.8) {
        Some(k) => {
            format!("did you mean `{k}`? (names are case-sensitive)")
        }
        _ if known.is_empty() => "remove it".to_owned(),
        _ => format!("known here: {}", known.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::entries::SCREEN_ABOVE;
    use crate::check::screen::SEND;
    use crate::iis::schema::Schema;
    use std::fmt::Write as _;

    /// A hosting server's applicationHost.config in small: many pools and
    /// sites (more than [`SCREEN_ABOVE`], so the first pass screens them),
    /// with duplicates before and after the hand-over, entries removed and
    /// added again (no finding; pools take no <remove>, so in the ISAPI
    /// list), a cleared and refilled collection, and
    /// `<location>` blocks, one path given twice.
    fn hosting_server() -> String {
        let n = SCREEN_ABOVE + 300;
        let mut x = String::from("<configuration>\n<system.applicationHost>\n<applicationPools>\n");
        for i in 0..n {
            writeln!(x, "<add name=\"pool{i}\" />").unwrap();
            if i == 10 {
                x.push_str("<add name=\"POOL3\" />\n"); // exact phase: a duplicate
            }
            if i == n - 5 {
                x.push_str("<add name=\"pool7\" />\n"); // screened: a duplicate
            }
        }
        x.push_str("</applicationPools>\n<sites>\n");
        for i in 0..n {
            let id = if i == n - 1 { 5 } else { i + 1 }; // the last site reuses id 5
            writeln!(x, "<site name=\"s{i}\" id=\"{id}\"><bindings><binding protocol=\"http\" bindingInformation=\"*:80:s{i}\" /></bindings></site>").unwrap();
        }
        x.push_str("</sites>\n</system.applicationHost>\n");
        x.push_str("<system.webServer><security><isapiCgiRestriction>\n");
        for round in 0..2 {
            // Filled, cleared, filled again: no finding.
            for i in 0..(SCREEN_ABOVE + 10) {
                writeln!(x, "<add path=\"C:\\x\\{i}.dll\" allowed=\"true\" />").unwrap();
            }
            if round == 0 {
                x.push_str("<clear />\n");
            }
        }
        // Screened: removed and added again, no finding.
        x.push_str(
            "<remove path=\"C:\\x\\20.dll\" />\n<add path=\"C:\\x\\20.dll\" allowed=\"true\" />\n",
        );
        x.push_str("</isapiCgiRestriction></security></system.webServer>\n");
        for i in 0..300 {
            writeln!(x, "<location path=\"s{i}\"><system.webServer><defaultDocument enabled=\"true\" /></system.webServer></location>").unwrap();
        }
        x.push_str("<location path=\"s42\"><system.webServer><defaultDocument enabled=\"false\" /></system.webServer></location>\n");
        x.push_str("</configuration>\n");
        x
    }

    fn findings(file: &Arc<SourceFile>, filter_bits: usize) -> Vec<String> {
        let server = Server::bare(Schema::global());
        let mut found = check_with_filter(file, Kind::AppHost, &server, filter_bits)
            .unwrap()
            .diagnostics;
        crate::diagnostic::sort(&mut found);
        found
            .iter()
            .map(|d| {
                let at = d.span.as_ref().map(|s| s.display()).unwrap_or_default();
                format!("{at} {:?} {} {:?}", d.code, d.message, d.notes)
            })
            .collect()
    }

    #[test]
    fn a_streamed_file_gets_the_report_of_the_file_read_whole() {
        let text = hosting_server();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("applicationHost.config");
        std::fs::write(&path, &text).unwrap();
        let whole = findings(
            &SourceFile::new("applicationHost.config", text),
            FILTER_BITS,
        );
        let duplicates: Vec<&String> = whole.iter().filter(|f| f.contains("Duplicate")).collect();
        // POOL3 and pool7, site id 5, the second <location path="s42">.
        assert_eq!(duplicates.len(), 4, "{duplicates:#?}");
        assert!(
            duplicates[0].contains("`POOL3` a second time"),
            "{duplicates:#?}"
        );
        assert!(
            duplicates[1].contains("`pool7` a second time"),
            "{duplicates:#?}"
        );
        assert!(duplicates[2].contains("DuplicateKey"), "{duplicates:#?}");
        assert!(
            duplicates[3].contains("DuplicateSection"),
            "{duplicates:#?}"
        );
        // Every size of filter: the usual one, and one so small that nearly
        // every key is a false positive.
        for bits in [FILTER_BITS, 64] {
            let file = SourceFile::streamed("applicationHost.config", &path, 0).unwrap();
            assert!(file.is_streamed());
            assert_eq!(findings(&file, bits), whole, "filter of {bits} bits");
        }
    }

    #[test]
    fn a_clean_streamed_file_is_read_once() {
        let mut x = String::from("<configuration>\n<system.applicationHost>\n<applicationPools>\n");
        for i in 0..3 * SCREEN_ABOVE {
            writeln!(x, "<add name=\"pool{i}\" />").unwrap();
        }
        x.push_str("</applicationPools>\n</system.applicationHost>\n");
        for i in 0..3 * SCREEN_ABOVE {
            writeln!(x, "<location path=\"s{i}\"><system.webServer><defaultDocument enabled=\"true\" /></system.webServer></location>").unwrap();
        }
        x.push_str("</configuration>\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("applicationHost.config");
        std::fs::write(&path, &x).unwrap();
        let file = SourceFile::streamed("applicationHost.config", &path, 0).unwrap();
        let server = Server::bare(Schema::global());
        let screen = Memory::Screen(Screen::new(FILTER_BITS));
        let (checked, memory) = walk(&file, Kind::AppHost, &server, screen).unwrap();
        let Some(Memory::Screen(screen)) = memory else {
            panic!("the walk failed: {:?}", checked.diagnostics);
        };
        assert!(
            screen.into_suspects().unwrap().is_empty(),
            "a second pass would run"
        );
    }

    /// An operation on a collection, for the property test below.
    #[derive(Debug, Clone)]
    enum Op {
        Add(u16, u16),
        Remove(u16),
        Clear,
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            90 => (0u16..1_500, 0u16..1_500).prop_map(|(a, b)| Op::Add(a, b)),
            8 => (0u16..1_500).prop_map(Op::Remove),
            1 => Just(Op::Clear),
        ]
    }

    /// Sites (two single keys: name and id) and one site's bindings (a
    /// combined key): each starts with `distinct` entries, more than a
    /// first pass keeps exactly, then random additions (duplicates among
    /// them), removals and clears over keys that overlap those.
    fn collections(distinct: u16, sites: &[Op], bindings: &[Op]) -> String {
        let mut x = String::from("<configuration>\n<system.applicationHost>\n<sites>\n");
        for i in 0..distinct {
            writeln!(x, "<site name=\"s{i}\" id=\"{}\" />", u32::from(i) + 1).unwrap();
        }
        for op in sites {
            match op {
                Op::Add(name, id) => {
                    writeln!(x, "<site name=\"s{name}\" id=\"{}\" />", u32::from(*id) + 1).unwrap()
                }
                Op::Remove(name) => writeln!(x, "<remove name=\"s{name}\" />").unwrap(),
                Op::Clear => x.push_str("<clear />\n"),
            }
        }
        x.push_str("<site name=\"big\" id=\"99999\"><bindings>\n");
        for i in 0..distinct {
            writeln!(
                x,
                "<binding protocol=\"http\" bindingInformation=\"*:{i}:h{i}\" />"
            )
            .unwrap();
        }
        for op in bindings {
            match op {
                Op::Add(host, port) => writeln!(
                    x,
                    "<binding protocol=\"{}\" bindingInformation=\"*:{port}:h{host}\" />",
                    if host % 2 == 0 { "http" } else { "HTTPS" }
                )
                .unwrap(),
                Op::Remove(host) => writeln!(
                    x,
                    "<remove protocol=\"http\" bindingInformation=\"*:{host}:h{host}\" />"
                )
                .unwrap(),
                Op::Clear => x.push_str("<clear />\n"),
            }
        }
        x.push_str("</bindings></site>\n</sites>\n</system.applicationHost>\n</configuration>\n");
        x
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]

        /// Whatever is added, removed and cleared, the two passes over a
        /// streamed file find what one exact pass finds: with fewer keys
        /// than the screen sends in a batch (screened exactly) and with
        /// more, through the usual filter and through one that makes nearly
        /// every key a suspect.
        #[test]
        fn screening_agrees_with_exact_memory(
            many in proptest::bool::ANY,
            sites in proptest::collection::vec(op(), 100..400),
            bindings in proptest::collection::vec(op(), 100..400),
        ) {
            // Fewer: at most 2 × (1,074 + 200) keys of sites and 1,074 +
            // 200 of bindings, 3,822; more: 4,196 of the first sites alone.
            let (distinct, most) = if many {
                (SEND as u16 / 2 + 50, sites.len().max(bindings.len()))
            } else {
                (SCREEN_ABOVE as u16 + 50, 200)
            };
            let (sites, bindings) = (&sites[..sites.len().min(most)], &bindings[..bindings.len().min(most)]);
            let text = collections(distinct, sites, bindings);
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("applicationHost.config");
            std::fs::write(&path, &text).unwrap();
            let whole = findings(&SourceFile::new("applicationHost.config", text), FILTER_BITS);
            for bits in [FILTER_BITS, 64] {
                let file = SourceFile::streamed("applicationHost.config", &path, 0).unwrap();
                proptest::prop_assert_eq!(&findings(&file, bits), &whole, "filter of {} bits", bits);
            }
        }
    }
}
