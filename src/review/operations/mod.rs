//! The server API both interpreters call: what appcmd's verbs
//! ([`super::appcmd`]) and the WebAdministration cmdlets
//! ([`super::powershell`]) do to the simulated server, as operations on its
//! objects (application pools, sites, applications, virtual directories,
//! backups: [`objects`]) and on its configuration (set, add, remove, clear,
//! lock: [`config`]). Each interpreter turns its command line into these
//! calls and words the outcome as its own program does; the model is edited
//! here only, so that an appcmd script and a PowerShell script doing the
//! same thing leave the same applicationHost.config.
//!
//! Failures carry appcmd's exit code (a Win32 error number, as seen in
//! public issue threads: microsoft/IIS.ServiceMonitor#4 and #40,
//! sous-chefs/iis#155 and #307, microsoft/PTVS#1597,
//! microsoft/azure-pipelines-tasks#17728) and IIS's message; PowerShell
//! reports the same condition as an error record with that message.

mod config;
mod objects;

pub use config::ConfigEdit;
pub use objects::NewSite;

use super::document::{Document, Element, NewElement};
use super::server::{ensure_path, push, Server};
use crate::iis::schema::{self, Schema, ValueType};

/// appcmd's exit codes for the conditions the operations refuse (Win32
/// error numbers; sources in the module comment).
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

/// What one command did to the server.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub code: i32,
    /// What the program prints (`APPPOOL object "..." added`, `ERROR ( message:... )`).
    pub output: String,
    pub changes: Vec<Change>,
    /// What the simulation could not know for this command.
    pub assumptions: Vec<String>,
}

impl Outcome {
    /// A command refused before it changed anything.
    pub fn failed(code: i32, message: impl Into<String>) -> Outcome {
        Outcome {
            code,
            output: format!("ERROR ( message:{} )", message.into()),
            ..Outcome::default()
        }
    }
}

/// A refused operation: appcmd's exit code and IIS's message.
pub type Failure = (i32, String);

/// Attribute assignments of an object (`processModel.idleTimeout` = `00:00:00`).
pub type Attributes = [(String, String)];

/// Operations on one server, collecting what one command did.
pub struct Operations<'a> {
    pub(crate) server: &'a mut Server,
    out: Outcome,
}

impl<'a> Operations<'a> {
    pub fn new(server: &'a mut Server) -> Operations<'a> {
        Operations {
            server,
            out: Outcome::default(),
        }
    }

    /// The server as the operations so far left it.
    pub fn server(&self) -> &Server {
        self.server
    }

    /// What the command did. A failed command changes nothing it reported:
    /// appcmd and the configuration system save a command all or nothing.
    pub fn finish(self, result: Result<(), Failure>) -> Outcome {
        let mut out = self.out;
        if let Err((code, message)) = result {
            out.code = code;
            out.output = format!("ERROR ( message:{message} )");
            out.changes.clear();
        }
        out
    }

    /// Whether `name` is a section of .NET's configuration rather than
    /// IIS's (`machineSettings`, `system.web/compilation`).
    pub fn is_dotnet_section(&self, name: &str) -> bool {
        crate::iis::appcmd::is_dotnet_section(self.server.schema, name)
    }

    /// Records what the simulation could not know.
    pub fn assume(&mut self, what: String) {
        self.out.assumptions.push(what);
    }

    /// Adds a line to what the command prints.
    pub fn print(&mut self, line: String) {
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

    /// Sets `attributes` (dotted paths into child elements) on the element
    /// at `element`. Returns (attribute path, old value, new value) of what
    /// changed.
    fn set_attributes(
        &mut self,
        element: &[usize],
        attributes: &Attributes,
        spec: Option<&schema::Element>,
    ) -> Vec<(String, Option<String>, String)> {
        let mut set = Vec::new();
        for (name, value) in attributes {
            let names: Vec<&str> = name.split('.').collect();
            let mut path = element.to_vec();
            let mut spec_here = spec;
            for part in &names[..names.len() - 1] {
                spec_here = spec_here.and_then(|s| s.elements.get(part));
                path = ensure_path(&mut self.server.apphost, &path, &[part]);
            }
            let attribute = names[names.len() - 1];
            let value = normalise(spec_here, attribute, value);
            let mut target = self.server.apphost.element_mut(&path);
            let old = target.set_attribute(attribute, &value);
            if old.as_deref() != Some(value.as_str()) {
                set.push((name.clone(), old, value));
            }
        }
        set
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

    /// The change records made so far, for an interpreter that describes them.
    pub fn changes(&self) -> &[Change] {
        &self.out.changes
    }
}

/// The element name of a collection's entries: the schema's, else (a
/// section the tables do not describe) the name the entries already there
/// use, such as `<scheme>` in `<httpCompression>`, else `add`.
fn item_name(spec: Option<&schema::Element>, parent: Element<'_>) -> String {
    if let Some(c) = spec.and_then(|s| s.collection.as_ref()) {
        return c.add.clone();
    }
    parent
        .elements()
        .find(|e| {
            !matches!(e.name(), "remove" | "clear")
                && e.elements().next().is_none()
                && e.attribute("name").is_some()
        })
        .map_or_else(|| "add".to_owned(), |e| e.name().to_owned())
}

/// The collection item named `item` whose attributes match every pair.
fn find_item(parent: Element<'_>, item: &str, pairs: &[(String, String)]) -> Option<usize> {
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
    let mut element = schema.section(section)?.schema()?;
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

/// `MACHINE/WEBROOT/APPHOST/Default Web Site/omero` → `Default Web Site/omero`.
pub fn normalise_config_path(text: &str) -> String {
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

fn settings_suffix(set: &[(String, Option<String>, String)]) -> String {
    if set.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = set.iter().map(|(k, _, v)| format!("{k}=\"{v}\"")).collect();
    format!(" with {}", parts.join(", "))
}

/// An XPath for an element: names, with the attribute that identifies it.
pub fn xpath(doc: &Document, path: &[usize]) -> String {
    let mut out = format!("/{}", doc.root().name());
    let mut e = doc.root();
    for &i in path {
        let Some(child) = e.elements().nth(i) else {
            break;
        };
        e = child;
        out.push('/');
        out.push_str(e.name());
        for key in ["name", "path", "value", "fileExtension", "id", "protocol"] {
            if let Some(v) = e.attribute(key) {
                out.push_str(&format!("[@{key}='{v}']"));
                break;
            }
        }
    }
    out
}
