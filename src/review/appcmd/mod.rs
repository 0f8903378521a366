//! appcmd.exe run against the simulated server: the objects and verbs that
//! provisioning scripts use, each with the exit code real appcmd returns
//! (as seen in public issue threads: microsoft/IIS.ServiceMonitor#4 and #40,
//! sous-chefs/iis#155 and #307, microsoft/PTVS#1597, microsoft/azure-pipelines-tasks#17728). The command line is parsed by the same parser
//! `omero-iis check` uses (`crate::iis::appcmd`).

mod config;
mod objects;

use std::sync::Arc;

use super::document::{Document, Element};
use super::server::{
    child_path, ensure_path, push, same_virtual_path, split_site, Entry, Knowledge, Server,
};
use crate::diagnostic::{Code, Severity};
use crate::iis::appcmd::{self as parser, Invocation, Operation, Parameter, Segment};
use crate::iis::schema::{self, Definition, OverrideMode, Schema, ValueType};
use crate::source::SourceFile;

/// appcmd's exit codes (Win32 error numbers; sources in the module comment).
pub mod exit {
    pub const OK: i32 = 0;
    /// ERROR_INVALID_DATA: malformed collection indexer, a value IIS refuses.
    pub const INVALID_DATA: i32 = 13;
    /// ERROR_LOCK_VIOLATION (HRESULT 0x80070021, "cannot be used at this
    /// path"): a locked or misplaced section. Inferred from the HRESULT that
    /// IIS reports for the same condition (HTTP 500.19 error pages, learn.microsoft.com
    /// "HTTP Error 500.19 when you open an IIS webpage").
    pub const LOCK_VIOLATION: i32 = 33;
    /// ERROR_NOT_SUPPORTED: SET of a VDIR without its exact identifier.
    pub const NOT_SUPPORTED: i32 = 50;
    /// ERROR_INVALID_PARAMETER: arguments appcmd does not understand.
    pub const INVALID_PARAMETER: i32 = 87;
    /// ERROR_ALREADY_EXISTS.
    pub const ALREADY_EXISTS: i32 = 183;
    /// ERROR_NOT_FOUND: no such site, application, pool, vdir or backup.
    pub const NOT_FOUND: i32 = 1168;
    /// ERROR_OBJECT_NOT_FOUND: "Cannot find requested collection element".
    pub const OBJECT_NOT_FOUND: i32 = 4312;
}

/// One change to a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// The file changed.
    pub file: String,
    /// The element changed, as an XPath.
    pub path: String,
    /// The change in plain words.
    pub description: String,
    /// The value this replaces in the configuration the review started from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict: Option<String>,
}

/// What one appcmd command did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub code: i32,
    /// What appcmd prints (`APP object "..." added`, `ERROR ( message:... )`).
    pub output: String,
    pub changes: Vec<Change>,
    /// What the simulation could not know for this command.
    pub assumptions: Vec<String>,
}

type Failure = (i32, String);

impl Outcome {
    fn failed(code: i32, message: impl Into<String>) -> Outcome {
        Outcome {
            code,
            output: format!("ERROR ( message:{} )", message.into()),
            ..Outcome::default()
        }
    }
}

/// Runs `appcmd` with `command_line` (the text after the program, as the
/// program receives it) against `server`.
pub fn run(server: &mut Server, command_line: &str) -> Outcome {
    let file = SourceFile::new("appcmd", command_line);
    let args = parser::split_arguments(command_line, 0, false);
    let Some(invocation) = Invocation::parse(&args) else {
        // No arguments: appcmd prints its help.
        return Outcome {
            output: "(appcmd help)".to_owned(),
            ..Outcome::default()
        };
    };
    if let Some(failure) = refused(&invocation, &file, server.schema) {
        return Outcome::failed(failure.0, failure.1);
    }
    let mut sim = Simulation {
        server,
        out: Outcome::default(),
    };
    let verb = invocation.verb.text.to_ascii_lowercase();
    let object = invocation
        .object
        .as_ref()
        .map(|o| o.text.to_ascii_lowercase().trim_end_matches('s').to_owned())
        .unwrap_or_default();
    let result = match (verb.as_str(), object.as_str()) {
        (_, "config") => sim.config(&verb, &invocation),
        (_, "apppool") => sim.apppool(&verb, &invocation),
        (_, "site") => sim.site(&verb, &invocation),
        (_, "app") => sim.app(&verb, &invocation),
        (_, "vdir") => sim.vdir(&verb, &invocation),
        (_, "backup") => sim.backup(&verb, &invocation),
        _ => {
            sim.assume(format!(
                "`appcmd {verb} {object}` is not simulated; assumed to succeed without changing the configuration"
            ));
            Ok(())
        }
    };
    let mut out = sim.out;
    if let Err((code, message)) = result {
        out.code = code;
        out.output = format!("ERROR ( message:{message} )");
        out.changes.clear();
    }
    out
}

/// The checker's findings that appcmd itself refuses, with its exit code.
fn refused(invocation: &Invocation, file: &Arc<SourceFile>, schema: &Schema) -> Option<Failure> {
    // XML 1.0 cannot hold control characters: IIS cannot store such a value.
    if let Some(c) = file.text.chars().find(|c| c.is_control() && *c != '\t') {
        return Some((
            exit::INVALID_DATA,
            format!("the command holds the control character U+{:04X}, which a configuration file cannot store", c as u32),
        ));
    }
    let findings = parser::check(invocation, file, schema);
    let first = findings.iter().find(|d| {
        d.severity == Severity::Error && !matches!(d.code, Code::UnknownSection | Code::NotChecked)
    })?;
    let code = match first.code {
        Code::AppcmdMalformedIndexer | Code::InvalidValue | Code::InvalidName => exit::INVALID_DATA,
        _ => exit::INVALID_PARAMETER,
    };
    Some((code, first.message.clone()))
}

struct Simulation<'a> {
    server: &'a mut Server,
    out: Outcome,
}

/// Parameters that are not attributes of the object.
const GENERAL: &[&str] = &[
    "commit",
    "section",
    "text",
    "xml",
    "in",
    "config",
    "metadata",
    "apphostconfig",
    "debug",
];

impl Simulation<'_> {
    fn assume(&mut self, what: String) {
        self.out.assumptions.push(what);
    }

    fn print(&mut self, line: String) {
        if !self.out.output.is_empty() {
            self.out.output.push('\n');
        }
        self.out.output.push_str(&line);
    }

    fn change(&mut self, path: &[usize], description: String, conflict: Option<String>) {
        let xpath = xpath(&self.server.apphost, path);
        self.out.changes.push(Change {
            file: self.server.apphost_name.clone(),
            path: xpath,
            description,
            conflict,
        });
    }

    fn identifier<'i>(&self, invocation: &'i Invocation, name_param: &str) -> Option<&'i str> {
        invocation
            .identifier
            .as_ref()
            .map(|a| a.text.as_str())
            .or_else(|| {
                invocation
                    .parameter(name_param)
                    .and_then(|p| p.value.as_deref())
            })
    }

    // ------------------------------------------------------------ helpers

    /// Applies the `/attribute:value` parameters of an object command.
    /// Returns (attribute path, old value, new value) of what it set.
    fn set_attributes(
        &mut self,
        element: &[usize],
        inv: &Invocation,
        spec: Option<&schema::Element>,
        skip: &[&str],
    ) -> Result<Vec<(String, Option<String>, String)>, Failure> {
        let mut set = Vec::new();
        for p in &inv.parameters {
            if p.operation != Operation::Set
                || GENERAL.iter().any(|g| g.eq_ignore_ascii_case(&p.path))
                || skip.iter().any(|s| s.eq_ignore_ascii_case(&p.path))
            {
                continue;
            }
            let value = p.value.clone().unwrap_or_default();
            let names: Vec<&str> = p.path.split('.').collect();
            let mut path = element.to_vec();
            let mut spec_here = spec;
            for name in &names[..names.len() - 1] {
                spec_here = spec_here.and_then(|s| s.elements.get(name));
                path = ensure_path(&mut self.server.apphost, &path, &[name]);
            }
            let attribute = names[names.len() - 1];
            let value = normalise(spec_here, attribute, &value);
            let target = self.server.apphost.element_mut(&path);
            let old = target.set_attribute(attribute, &value);
            if old.as_deref() != Some(value.as_str()) {
                set.push((p.path.clone(), old, value));
            }
        }
        Ok(set)
    }

    fn describe_sets(
        &mut self,
        element: &[usize],
        what: &str,
        set: Vec<(String, Option<String>, String)>,
    ) {
        let loaded = self.server.apphost.element(element).was_loaded();
        for (name, old, new) in set {
            let conflict = match (&old, loaded) {
                (Some(old), true) => Some(format!("{what} exists with {name}=\"{old}\"")),
                _ => None,
            };
            let was = old.map_or(String::new(), |o| format!(" (was \"{o}\")"));
            self.change(
                element,
                format!("sets {name}=\"{new}\" on {what}{was}"),
                conflict,
            );
        }
    }

    fn remove(&mut self, path: &[usize]) {
        let (parent, index) = path.split_at(path.len() - 1);
        self.server.apphost.remove(parent, index[0]);
    }
}

/// The element name of a collection's entries: the schema's, else (a
/// section the tables do not describe) the name the entries already there
/// use, such as `<scheme>` in `<httpCompression>`, else `add`.
fn item_name(spec: Option<&schema::Element>, parent: &Element) -> String {
    if let Some(c) = spec.and_then(|s| s.collection.as_ref()) {
        return c.add.clone();
    }
    parent
        .elements()
        .find(|e| {
            !matches!(e.name.as_str(), "remove" | "clear")
                && e.elements().next().is_none()
                && e.attribute("name").is_some()
        })
        .map_or_else(|| "add".to_owned(), |e| e.name.clone())
}

/// The collection item named `item` whose attributes match every pair.
fn find_item(parent: &Element, item: &str, pairs: &[(String, String)]) -> Option<usize> {
    parent.find_with(item, |e| {
        pairs.iter().all(|(k, v)| {
            e.attribute(k)
                .is_some_and(|actual| actual.eq_ignore_ascii_case(v))
        })
    })
}

/// The schema of the item at `depth` of a section's nested collections
/// (sites: 1 = site, 2 = application, 3 = virtualDirectory).
fn item_spec(
    schema: &'static Schema,
    section: &str,
    depth: usize,
) -> Option<&'static schema::Element> {
    let mut element = schema.section(section)?.schema.as_ref()?;
    for _ in 0..depth {
        element = &element.collection.as_ref()?.item;
    }
    Some(element)
}

/// Values as IIS writes them back: booleans in lower case, enum names as declared.
fn normalise(spec: Option<&schema::Element>, attribute: &str, value: &str) -> String {
    let attr = spec.and_then(|s| {
        s.attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(attribute))
            .map(|(_, a)| a)
    });
    match attr.map(|a| &a.value_type) {
        Some(ValueType::Bool) => value.to_ascii_lowercase(),
        Some(ValueType::Enum(names)) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(value))
            .cloned()
            .unwrap_or_else(|| value.to_owned()),
        _ if attr.is_none()
            && (value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")) =>
        {
            value.to_ascii_lowercase()
        }
        // Strings are stored as given (physical paths keep `%SystemDrive%`).
        _ => value.to_owned(),
    }
}

/// A parameter the command cannot do without (`/name:` of `add apppool`).
fn required(inv: &Invocation, name: &str) -> Result<String, Failure> {
    param(inv, name).ok_or_else(|| {
        (
            exit::INVALID_PARAMETER,
            format!("Missing required attribute \"{name}\""),
        )
    })
}

fn param(inv: &Invocation, name: &str) -> Option<String> {
    inv.parameter(name)
        .map(|p| p.value.clone().unwrap_or_default())
}

/// `MACHINE/WEBROOT/APPHOST/Default Web Site/omero` → `Default Web Site/omero`.
fn normalise_config_path(text: &str) -> String {
    let trimmed = text.trim_end_matches('/');
    let lower = trimmed.to_ascii_lowercase();
    for prefix in ["machine/webroot/apphost/", "machine/webroot/apphost"] {
        if lower.starts_with(prefix) {
            return trimmed[prefix.len()..].to_owned();
        }
    }
    trimmed.to_owned()
}

fn not_found(object: &str, id: &str) -> Failure {
    (
        exit::NOT_FOUND,
        format!("Cannot find {object} object with identifier \"{id}\"."),
    )
}

fn duplicate(item: &str, key: &str, value: &str) -> Failure {
    (
        exit::ALREADY_EXISTS,
        format!("Cannot add duplicate collection entry of type '{item}' with unique key attribute '{key}' set to '{value}'"),
    )
}

fn unknown_attribute(name: &str) -> Failure {
    (
        exit::INVALID_PARAMETER,
        format!("Unknown attribute \"{name}\""),
    )
}

fn unknown_verb(verb: &str, object: &str) -> Failure {
    (
        exit::INVALID_PARAMETER,
        format!("The verb \"{verb}\" is not supported on the object \"{object}\""),
    )
}

fn settings_suffix(set: &[(String, Option<String>, String)]) -> String {
    if set.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = set.iter().map(|(k, _, v)| format!("{k}=\"{v}\"")).collect();
    format!(" with {}", parts.join(", "))
}

/// An XPath for an element: names, with the attribute that identifies it.
pub fn xpath(doc: &Document, path: &[usize]) -> String {
    let mut out = format!("/{}", doc.root().name);
    let mut e = doc.root();
    for &i in path {
        let Some(child) = e.elements().nth(i) else {
            break;
        };
        e = child;
        out.push('/');
        out.push_str(&e.name);
        for key in ["name", "path", "value", "fileExtension", "id", "protocol"] {
            if let Some(v) = e.attribute(key) {
                out.push_str(&format!("[@{key}='{v}']"));
                break;
            }
        }
    }
    out
}
