//! The server a script runs against: its applicationHost.config, the files
//! it can see (web.config files among them) and the backups made on the way.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::document::{Document, Element, LoadError, NewElement, Style};
use crate::cmd::tables::WINDOWS_ENVIRONMENT;
use crate::iis::schema::{Definition, OverrideMode, Schema};

/// IIS 10's configuration as a fresh Windows Server install writes it, reduced
/// to what provisioning scripts touch. Sources: see the comment at the top
/// of that file.
pub use crate::iis::DEFAULT_APPHOST;

/// Where appcmd.exe lives ("Getting Started with AppCmd.exe", learn.microsoft.com).
pub const APPCMD_PATH: &str = "C:\\Windows\\system32\\inetsrv\\appcmd.exe";

/// A section as `<configSections>` declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declaration {
    pub definition: Definition,
    pub override_default: OverrideMode,
}

/// What the simulation knows about a file or folder on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Missing,
    Folder,
    /// A file; `None` when its content is not known (assumed to exist).
    File(Option<String>),
}

/// How the simulation learnt whether a path exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Knowledge {
    /// Read from a local folder given for it, or made by the script.
    Known,
    /// Nothing was given for it: assumed to exist.
    Assumed,
}

/// The server's files: local folders stand in for Windows folders
/// (`--site-root`, the script's own folder); what the script writes is kept.
#[derive(Debug, Clone, Default)]
pub struct Disk {
    /// Windows folder (lower case, no trailing `\`) → local folder.
    mounts: Vec<(String, String, PathBuf)>,
    entries: BTreeMap<String, (String, Entry)>,
    /// The first state seen of every path, for the diff.
    original: BTreeMap<String, (String, Entry)>,
    /// Paths whose entry was read from a mounted folder and not changed since.
    read_from_mounts: std::collections::BTreeSet<String>,
}

/// Windows paths compare case-insensitively, without a trailing `\\`.
pub fn path_key(path: &str) -> String {
    path.replace('/', "\\")
        .trim_end_matches('\\')
        .to_lowercase()
}

impl Disk {
    /// Makes the local `folder` stand for the Windows folder `windows`.
    /// What was read from a mount earlier is forgotten (unless a script
    /// changed it): the new folder is read instead.
    pub fn mount(&mut self, windows: &str, folder: PathBuf) {
        let key = path_key(windows);
        let under = |k: &str| k == key || k.starts_with(&format!("{key}\\"));
        let stale: Vec<String> = self
            .read_from_mounts
            .iter()
            .filter(|k| under(k))
            .cloned()
            .collect();
        for k in stale {
            self.read_from_mounts.remove(&k);
            self.entries.remove(&k);
            self.original.remove(&k);
        }
        self.mounts.retain(|m| m.0 != key);
        self.mounts
            .push((key, windows.trim_end_matches('\\').to_owned(), folder));
        // Longest first, so nested mounts win.
        self.mounts.sort_by_key(|m| std::cmp::Reverse(m.0.len()));
    }

    /// What is at `path`, and whether that is known or assumed.
    pub fn get(&mut self, path: &str) -> (Entry, Knowledge) {
        let key = path_key(path);
        if let Some((_, entry)) = self.entries.get(&key) {
            return (entry.clone(), Knowledge::Known);
        }
        // Inside a folder known to be missing: missing too.
        let mut parent = key.as_str();
        while let Some((up, _)) = parent.rsplit_once('\\') {
            if let Some((_, Entry::Missing)) = self.entries.get(up) {
                return (Entry::Missing, Knowledge::Known);
            }
            parent = up;
        }
        if let Some(entry) = self.read_mounted(&key) {
            self.read_from_mounts.insert(key.clone());
            self.original
                .insert(key.clone(), (path.to_owned(), entry.clone()));
            self.entries.insert(key, (path.to_owned(), entry.clone()));
            return (entry, Knowledge::Known);
        }
        (Entry::File(None), Knowledge::Assumed)
    }

    fn read_mounted(&self, key: &str) -> Option<Entry> {
        let (prefix, _, folder) = self
            .mounts
            .iter()
            .find(|(prefix, _, _)| key == prefix || key.starts_with(&format!("{prefix}\\")))?;
        let rest = key[prefix.len()..].trim_start_matches('\\');
        let mut local = folder.clone();
        for part in rest.split('\\').filter(|p| !p.is_empty()) {
            // Windows names are case-insensitive: find the local name.
            let found = std::fs::read_dir(&local).ok().and_then(|entries| {
                entries
                    .filter_map(Result::ok)
                    .find(|e| e.file_name().to_string_lossy().to_lowercase() == part)
                    .map(|e| e.path())
            });
            local = match found {
                Some(p) => p,
                None => return Some(Entry::Missing),
            };
        }
        if local.is_dir() {
            Some(Entry::Folder)
        } else {
            let bytes = std::fs::read(&local).ok()?;
            Some(Entry::File(crate::source::decode(&bytes).ok()))
        }
    }

    /// Records what the script did to `path`.
    pub fn set(&mut self, path: &str, entry: Entry) {
        let key = path_key(path);
        if !self.original.contains_key(&key) {
            let (before, knowledge) = self.get(path);
            let before = if knowledge == Knowledge::Assumed {
                Entry::File(None)
            } else {
                before
            };
            self.original.insert(key.clone(), (path.to_owned(), before));
        }
        self.read_from_mounts.remove(&key);
        self.entries.insert(key, (path.to_owned(), entry));
    }

    /// Files and folders the scripts changed: (path, before, after).
    pub fn changed_entries(&self) -> Vec<(String, Entry, Entry)> {
        self.entries
            .iter()
            .filter_map(|(key, (name, entry))| {
                let before = self
                    .original
                    .get(key)
                    .map_or(Entry::File(None), |o| o.1.clone());
                (before != *entry).then(|| (name.clone(), before, entry.clone()))
            })
            .collect()
    }

    /// Whether the simulation knows of something inside the folder `path`.
    pub fn has_children(&self, path: &str) -> bool {
        let prefix = format!("{}\\", path_key(path));
        self.known_paths()
            .any(|(k, e)| k.starts_with(&prefix) && *e != Entry::Missing)
    }

    /// Every path the simulation has an entry for.
    pub fn known_paths(&self) -> impl Iterator<Item = (&String, &Entry)> {
        self.entries.iter().map(|(k, (_, e))| (k, e))
    }

    /// Paths the admin says are not on the server (`--missing`).
    pub fn declare_missing(&mut self, path: &str) {
        self.declare(path, Entry::Missing);
    }

    /// What is at `path` before any script runs.
    pub fn declare(&mut self, path: &str, entry: Entry) {
        let key = path_key(path);
        self.original
            .insert(key.clone(), (path.to_owned(), entry.clone()));
        self.entries.insert(key, (path.to_owned(), entry));
    }
}

/// The simulated server.
#[derive(Debug, Clone)]
pub struct Server {
    pub apphost_name: String,
    /// The text the review started from (shared with the document, not copied).
    pub apphost_original: std::sync::Arc<str>,
    pub apphost: Document,
    pub declarations: BTreeMap<String, Declaration>,
    pub disk: Disk,
    /// Backups made during the simulation (`appcmd add backup`): the text of
    /// applicationHost.config when each was made.
    pub backups: BTreeMap<String, String>,
    /// How many program outputs the simulation has made up so far.
    pub outputs_simulated: usize,
    /// Make the command with this number (counting from 0 the cmdlets and
    /// programs a PowerShell script runs) fail, as a stub program fails on
    /// cue in the Wine runs of the batch scripts: for tests of what a
    /// script does when a step fails.
    pub fail_command: Option<usize>,
    /// Commands counted for `fail_command` so far.
    pub commands_counted: usize,
    /// The configuration is the built-in IIS 10 default, not a server's own.
    pub built_in: bool,
    /// The IIS tables (built-in, or with `--schema` files).
    pub schema: &'static Schema,
}

impl Server {
    /// Loads a server from its applicationHost.config text.
    pub fn load(name: &str, text: &str) -> Result<Server, LoadError> {
        Server::load_shared(name, std::sync::Arc::from(text))
    }

    /// [`Server::load`] of text the caller shares (not copied).
    pub fn load_shared(name: &str, original: std::sync::Arc<str>) -> Result<Server, LoadError> {
        let apphost = Document::parse_shared(original.clone())?;
        if apphost.root().name() != "configuration" {
            return Err(LoadError {
                offset: apphost.root_offset(),
                message: format!(
                    "the root element is <{}>, not <configuration>",
                    apphost.root().name()
                ),
            });
        }
        let declarations = declarations(apphost.root());
        let mut disk = Disk::default();
        // IIS is installed: its command-line tool is there.
        disk.declare(APPCMD_PATH, Entry::File(None));
        Ok(Server {
            apphost_name: name.to_owned(),
            apphost_original: original,
            apphost,
            declarations,
            disk,
            backups: BTreeMap::new(),
            outputs_simulated: 0,
            fail_command: None,
            commands_counted: 0,
            built_in: false,
            schema: Schema::global(),
        })
    }

    /// The built-in default IIS 10 server.
    pub fn default_iis() -> Server {
        let mut server = Server::load("applicationHost.config", DEFAULT_APPHOST)
            .expect("the built-in applicationHost.config parses (unit-tested)");
        server.built_in = true;
        server
    }

    /// The declaration of a section; `None` when this server does not have it
    /// (a module such as URL Rewrite or ARR is not installed).
    pub fn declaration(&self, section: &str) -> Option<Declaration> {
        if self.declarations.is_empty() {
            // No <configSections> (a fragment): fall back to the IIS tables.
            let s = self.schema.section(section)?;
            return Some(Declaration {
                definition: s.definition,
                override_default: s.override_default,
            });
        }
        self.declarations
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(section))
            .map(|(_, d)| *d)
    }

    /// The full name of a section given in full or by its last part (`-section:handlers`).
    pub fn section_name(&self, name: &str) -> Option<String> {
        if let Some((k, _)) = self
            .declarations
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            return Some(k.clone());
        }
        let short: Vec<&String> = self
            .declarations
            .keys()
            .filter(|k| {
                k.rsplit('/')
                    .next()
                    .is_some_and(|last| last.eq_ignore_ascii_case(name))
            })
            .collect();
        if short.len() == 1 {
            return Some(short[0].clone());
        }
        if self.declarations.is_empty() {
            let schema = self.schema;
            return schema
                .section(name)
                .or_else(|| schema.by_short_name(name))
                .map(|s| s.name.clone());
        }
        None
    }

    /// The site element's path in the document, by name (case-insensitive).
    pub fn site(&self, name: &str) -> Option<Vec<usize>> {
        let sites = child_path(&self.apphost, &[], &["system.applicationHost", "sites"])?;
        let index = self.apphost.element(&sites).find_with("site", |e| {
            e.attribute("name")
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })?;
        Some(push(&sites, index))
    }

    /// The application `path` of a site.
    pub fn application(&self, site: &[usize], path: &str) -> Option<Vec<usize>> {
        let index = self.apphost.element(site).find_with("application", |e| {
            e.attribute("path")
                .is_some_and(|p| same_virtual_path(p, path))
        })?;
        Some(push(site, index))
    }

    /// Paths of the applications of a site, longest first.
    pub fn application_paths(&self, site: &[usize]) -> Vec<String> {
        let mut paths: Vec<String> = self
            .apphost
            .element(site)
            .elements()
            .filter(|e| e.name() == "application")
            .filter_map(|e| e.attribute("path").map(str::to_owned))
            .collect();
        paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
        paths
    }

    /// The application pool element, by name.
    pub fn pool(&self, name: &str) -> Option<Vec<usize>> {
        let pools = child_path(
            &self.apphost,
            &[],
            &["system.applicationHost", "applicationPools"],
        )?;
        let index = self.apphost.element(&pools).find_with("add", |e| {
            e.attribute("name")
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })?;
        Some(push(&pools, index))
    }

    /// The physical folder of a configuration path (`Site/app/folder`), from
    /// the site's applications and virtual directories; `None` when the site
    /// or application is not there.
    pub fn physical_path(&self, config_path: &str) -> Option<String> {
        let (site_name, rest) = split_site(config_path);
        let site = self.site(site_name)?;
        let url = format!("/{}", rest.trim_matches('/'));
        for app_path in self.application_paths(&site) {
            let Some(rest) = strip_virtual_prefix(&url, &app_path) else {
                continue;
            };
            let app = self.application(&site, &app_path)?;
            let app_element = self.apphost.element(&app);
            let mut vdirs: Vec<Element<'_>> = app_element
                .elements()
                .filter(|e| e.name() == "virtualDirectory")
                .collect();
            vdirs.sort_by_key(|v| std::cmp::Reverse(v.attribute("path").map_or(0, str::len)));
            for vdir in vdirs {
                let vpath = vdir.attribute("path").unwrap_or("/");
                if let Some(tail) = strip_virtual_prefix(&rest, vpath) {
                    let base = expand_environment(vdir.attribute("physicalPath")?);
                    return Some(crate::deploy::join_windows_path(
                        &base,
                        &tail.trim_matches('/').replace('/', "\\"),
                    ));
                }
            }
            return None;
        }
        None
    }
}

/// `%SystemDrive%\inetpub` → `C:\inetpub` (physical paths are "expanded" strings).
pub fn expand_environment(value: &str) -> String {
    let mut out = value.to_owned();
    for (name, v) in WINDOWS_ENVIRONMENT {
        let pattern = format!("%{name}%");
        while let Some(at) = out.to_lowercase().find(&pattern.to_lowercase()) {
            out.replace_range(at..at + pattern.len(), v);
        }
    }
    out
}

/// `Default Web Site/omero/static` → (`Default Web Site`, `omero/static`).
pub fn split_site(config_path: &str) -> (&str, &str) {
    let trimmed = config_path.trim_start_matches('/');
    trimmed.split_once('/').unwrap_or((trimmed, ""))
}

/// Virtual paths compare case-insensitively, `/app` and `/app/` alike.
pub fn same_virtual_path(a: &str, b: &str) -> bool {
    let norm = |p: &str| format!("/{}", p.trim_matches('/')).to_lowercase();
    norm(a) == norm(b)
}

/// The rest of `url` below the virtual path `prefix` (starting with `/`).
fn strip_virtual_prefix(url: &str, prefix: &str) -> Option<String> {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return Some(url.to_owned());
    }
    let lower = url.to_lowercase();
    let p = prefix.to_lowercase();
    if lower == p {
        return Some("/".to_owned());
    }
    lower
        .strip_prefix(&p)
        .filter(|r| r.starts_with('/'))
        .map(|_| url[prefix.len()..].to_owned())
}

pub fn push(path: &[usize], index: usize) -> Vec<usize> {
    let mut p = path.to_vec();
    p.push(index);
    p
}

/// The path of nested children by name, if all exist.
pub fn child_path(doc: &Document, from: &[usize], names: &[&str]) -> Option<Vec<usize>> {
    let mut path = from.to_vec();
    for name in names {
        let index = doc.element(&path).find(name)?;
        path.push(index);
    }
    Some(path)
}

/// The path of nested children by name, made where missing (appended last).
pub fn ensure_path(doc: &mut Document, from: &[usize], names: &[&str]) -> Vec<usize> {
    let mut path = from.to_vec();
    for name in names {
        let index = match doc.element(&path).find(name) {
            Some(i) => i,
            None => doc.insert(&path, NewElement::new(name, &[]), false),
        };
        path.push(index);
    }
    path
}

/// Reads `<configSections>`: every section with its full name (groups
/// nest as deep as the file has them: no recursion).
fn declarations(root: Element<'_>) -> BTreeMap<String, Declaration> {
    let mut out = BTreeMap::new();
    let Some(i) = root.find("configSections") else {
        return out;
    };
    // The groups being read, in file order: the children left in each,
    // and how long `path` was before its name was added (one path, not a
    // name per level: groups may nest deep).
    let mut groups = vec![(root.element_child(i).elements(), 0)];
    let mut path = String::new();
    while let Some((children, _)) = groups.last_mut() {
        let Some(child) = children.next() else {
            if let Some((_, len)) = groups.pop() {
                path.truncate(len);
            }
            continue;
        };
        let Some(name) = child.attribute("name") else {
            continue;
        };
        match child.name() {
            "sectionGroup" => {
                groups.push((child.elements(), path.len()));
                // As `section_path` joins them, in place.
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(name);
            }
            "section" => {
                let (definition, override_default) = crate::iis::schema::declaration(
                    child.attribute("allowDefinition"),
                    child.attribute("overrideModeDefault"),
                );
                out.insert(
                    crate::iis::schema::section_path(&path, name),
                    Declaration {
                        definition,
                        override_default,
                    },
                );
            }
            _ => {}
        }
    }
    out
}

/// The style of a web.config the simulation creates.
pub fn new_web_config_style() -> Style {
    Style {
        unit: "  ".to_owned(),
        newline: "\r\n",
    }
}
