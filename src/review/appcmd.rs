//! appcmd.exe run against the simulated server: the objects and verbs that
//! provisioning scripts use, each with the exit code real appcmd returns
//! (as seen in public issue threads: microsoft/IIS.ServiceMonitor#4 and #40,
//! sous-chefs/iis#155 and #307, microsoft/PTVS#1597, microsoft/azure-pipelines-tasks#17728). The command line is parsed by the same parser
//! `omero-iis check` uses (`crate::iis::appcmd`).

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

    // ------------------------------------------------------------ APPPOOL

    fn apppool(&mut self, verb: &str, inv: &Invocation) -> Result<(), Failure> {
        let spec = item_spec(
            self.server.schema,
            "system.applicationHost/applicationPools",
            1,
        );
        match verb {
            "list" => match self.identifier(inv, "apppool.name") {
                Some(name) => {
                    self.server
                        .pool(name)
                        .ok_or_else(|| not_found("APPPOOL", name))?;
                    self.print(format!("APPPOOL \"{name}\""));
                    Ok(())
                }
                None => Ok(()),
            },
            "add" => {
                let name = required(inv, "name")?;
                if self.server.pool(&name).is_some() {
                    return Err(duplicate("add", "name", &name));
                }
                let pools = ensure_path(
                    &mut self.server.apphost,
                    &[],
                    &["system.applicationHost", "applicationPools"],
                );
                let index = self.server.apphost.insert(
                    &pools,
                    Element::new("add", &[("name", &name)]),
                    true,
                );
                let pool = push(&pools, index);
                let set = self.set_attributes(&pool, inv, spec, &["name"])?;
                self.change(
                    &pool,
                    format!("creates application pool `{name}`{}", settings_suffix(&set)),
                    None,
                );
                self.print(format!("APPPOOL object \"{name}\" added"));
                Ok(())
            }
            "set" => {
                let name = self.required_identifier(inv, "apppool.name")?;
                let pool = self
                    .server
                    .pool(&name)
                    .ok_or_else(|| not_found("APPPOOL", &name))?;
                let set = self.set_attributes(&pool, inv, spec, &["apppool.name"])?;
                self.describe_sets(&pool, &format!("application pool `{name}`"), set);
                self.print(format!("APPPOOL object \"{name}\" changed"));
                Ok(())
            }
            "delete" => {
                let name = self.required_identifier(inv, "apppool.name")?;
                let pool = self
                    .server
                    .pool(&name)
                    .ok_or_else(|| not_found("APPPOOL", &name))?;
                self.change(&pool, format!("deletes application pool `{name}`"), None);
                self.remove(&pool);
                self.print(format!("APPPOOL object \"{name}\" deleted"));
                Ok(())
            }
            _ => {
                self.runtime_only(verb, "APPPOOL");
                Ok(())
            }
        }
    }

    fn runtime_only(&mut self, verb: &str, object: &str) {
        self.assume(format!(
            "`{verb}` changes the running state of a {object}, which the simulation does not model; assumed to succeed"
        ));
    }

    fn required_identifier(&self, inv: &Invocation, name_param: &str) -> Result<String, Failure> {
        self.identifier(inv, name_param)
            .map(str::to_owned)
            .ok_or_else(|| {
                (
                    exit::INVALID_PARAMETER,
                    "Must specify an identifier or a filter".to_owned(),
                )
            })
    }

    // ------------------------------------------------------------ SITE

    fn site(&mut self, verb: &str, inv: &Invocation) -> Result<(), Failure> {
        let spec = item_spec(self.server.schema, "system.applicationHost/sites", 1);
        match verb {
            "list" => match self.identifier(inv, "site.name") {
                Some(name) => {
                    self.server
                        .site(name)
                        .ok_or_else(|| not_found("SITE", name))?;
                    self.print(format!("SITE \"{name}\""));
                    Ok(())
                }
                None => Ok(()),
            },
            "add" => self.add_site(inv, spec),
            "set" => {
                let name = self.required_identifier(inv, "site.name")?;
                let site = self
                    .server
                    .site(&name)
                    .ok_or_else(|| not_found("SITE", &name))?;
                let set = self.set_attributes(
                    &site,
                    inv,
                    spec,
                    &["site.name", "bindings", "physicalPath"],
                )?;
                self.describe_sets(&site, &format!("site `{name}`"), set);
                self.print(format!("SITE object \"{name}\" changed"));
                Ok(())
            }
            "delete" => {
                let name = self.required_identifier(inv, "site.name")?;
                let site = self
                    .server
                    .site(&name)
                    .ok_or_else(|| not_found("SITE", &name))?;
                self.change(
                    &site,
                    format!("deletes site `{name}` with its applications"),
                    None,
                );
                self.remove(&site);
                self.print(format!("SITE object \"{name}\" deleted"));
                Ok(())
            }
            _ => {
                self.runtime_only(verb, "SITE");
                Ok(())
            }
        }
    }

    fn add_site(
        &mut self,
        inv: &Invocation,
        spec: Option<&schema::Element>,
    ) -> Result<(), Failure> {
        let name = required(inv, "name")?;
        if self.server.site(&name).is_some() {
            return Err(duplicate("site", "name", &name));
        }
        let sites = ensure_path(
            &mut self.server.apphost,
            &[],
            &["system.applicationHost", "sites"],
        );
        let used: Vec<u64> = self
            .server
            .apphost
            .element(&sites)
            .elements()
            .filter_map(|s| s.attribute("id")?.parse().ok())
            .collect();
        let id = match param(inv, "id") {
            Some(id) => {
                let n: u64 = id.parse().map_err(|_| {
                    (
                        exit::INVALID_DATA,
                        format!("\"{id}\" is not a valid site id"),
                    )
                })?;
                if used.contains(&n) {
                    return Err(duplicate("site", "id", &id));
                }
                id
            }
            None => (used.iter().max().copied().unwrap_or(0) + 1).to_string(),
        };
        let mut site = Element::new("site", &[("name", &name), ("id", &id)]);
        if let Some(physical) = param(inv, "physicalPath") {
            site = site.with_child(Element::new("application", &[("path", "/")]).with_child(
                Element::new(
                    "virtualDirectory",
                    &[("path", "/"), ("physicalPath", &physical)],
                ),
            ));
        }
        if let Some(bindings) = param(inv, "bindings") {
            let mut list = Element::new("bindings", &[]);
            for binding in bindings.split(',').filter(|b| !b.is_empty()) {
                let (protocol, info) = binding.split_once('/').ok_or_else(|| {
                    (
                        exit::INVALID_DATA,
                        format!("\"{binding}\" is not a binding (protocol/IP:port:host)"),
                    )
                })?;
                list = list.with_child(Element::new(
                    "binding",
                    &[("protocol", protocol), ("bindingInformation", info)],
                ));
            }
            site = site.with_child(list);
        }
        let index = self.server.apphost.insert(&sites, site, true);
        let path = push(&sites, index);
        let set = self.set_attributes(
            &path,
            inv,
            spec,
            &["name", "id", "bindings", "physicalPath"],
        )?;
        self.change(
            &path,
            format!(
                "creates site `{name}` with id {id}{}",
                settings_suffix(&set)
            ),
            None,
        );
        self.print(format!("SITE object \"{name}\" added"));
        Ok(())
    }

    // ------------------------------------------------------------ APP

    fn app(&mut self, verb: &str, inv: &Invocation) -> Result<(), Failure> {
        let spec = item_spec(self.server.schema, "system.applicationHost/sites", 2);
        match verb {
            "list" => match self.identifier(inv, "app.name") {
                Some(id) => {
                    let id = id.to_owned();
                    let app = self.find_app(&id)?;
                    // `/text:applicationPool` prints that attribute's value.
                    match inv.parameter("text").and_then(|p| p.value.as_deref()) {
                        Some(name) if name.eq_ignore_ascii_case("applicationPool") => {
                            let pool = self.application_pool(&app);
                            self.print(pool);
                        }
                        _ => self.print(format!("APP \"{id}\"")),
                    }
                    Ok(())
                }
                None => Ok(()),
            },
            "add" => self.add_app(inv, spec),
            "set" => {
                let id = self.required_identifier(inv, "app.name")?;
                let app = self.find_app(&id)?;
                let set =
                    self.set_attributes(&app, inv, spec, &["app.name", "site.name", "path"])?;
                self.describe_sets(&app, &format!("application `{id}`"), set);
                self.print(format!("APP object \"{id}\" changed"));
                Ok(())
            }
            "delete" => {
                let id = self.required_identifier(inv, "app.name")?;
                let app = self.find_app(&id)?;
                self.change(
                    &app,
                    format!("deletes application `{id}` with its virtual directories"),
                    None,
                );
                self.remove(&app);
                self.print(format!("APP object \"{id}\" deleted"));
                Ok(())
            }
            _ => Err(unknown_verb(verb, "APP")),
        }
    }

    /// The pool an application runs in: its own `applicationPool`, else its
    /// site's `applicationDefaults`, else the server's, else IIS's default.
    fn application_pool(&self, app: &[usize]) -> String {
        let doc = &self.server.apphost;
        let own = doc.element(app).attribute("applicationPool");
        let defaults = |path: &[usize]| {
            let element = doc.element(path);
            element
                .find_with("applicationDefaults", |_| true)
                .and_then(|i| element.element_child(i).attribute("applicationPool"))
                .map(str::to_owned)
        };
        let site = &app[..app.len() - 1];
        let sites = &site[..site.len() - 1];
        own.map(str::to_owned)
            .or_else(|| defaults(site))
            .or_else(|| defaults(sites))
            .unwrap_or_else(|| "DefaultAppPool".to_owned())
    }

    fn find_app(&self, id: &str) -> Result<Vec<usize>, Failure> {
        let (site_name, rest) = split_site(id);
        let site = self
            .server
            .site(site_name)
            .ok_or_else(|| not_found("APP", id))?;
        self.server
            .application(&site, &format!("/{rest}"))
            .ok_or_else(|| not_found("APP", id))
    }

    fn add_app(&mut self, inv: &Invocation, spec: Option<&schema::Element>) -> Result<(), Failure> {
        let site_name = required(inv, "site.name")?;
        let path = required(inv, "path")?;
        let site = self
            .server
            .site(&site_name)
            .ok_or_else(|| not_found("SITE", &site_name))?;
        let id = format!("{site_name}{path}");
        if self.server.application(&site, &path).is_some() {
            return Err((
                exit::ALREADY_EXISTS,
                format!("Failed to add duplicate collection element \"{path}\"."),
            ));
        }
        let mut app = Element::new("application", &[("path", &path)]);
        let physical = param(inv, "physicalPath");
        if let Some(physical) = &physical {
            app = app.with_child(Element::new(
                "virtualDirectory",
                &[("path", "/"), ("physicalPath", physical)],
            ));
        }
        let index = self.server.apphost.insert(&site, app, true);
        let app_path = push(&site, index);
        let set =
            self.set_attributes(&app_path, inv, spec, &["site.name", "path", "physicalPath"])?;
        let folder = physical.map_or(String::new(), |p| format!(", folder `{p}`"));
        self.change(
            &app_path,
            format!(
                "adds application `{path}` to site `{site_name}`{folder}{}",
                settings_suffix(&set)
            ),
            None,
        );
        self.print(format!("APP object \"{id}\" added"));
        if !folder.is_empty() {
            self.print(format!("VDIR object \"{id}/\" added"));
        }
        Ok(())
    }

    // ------------------------------------------------------------ VDIR

    fn vdir(&mut self, verb: &str, inv: &Invocation) -> Result<(), Failure> {
        let spec = item_spec(self.server.schema, "system.applicationHost/sites", 3);
        match verb {
            "list" => match self.identifier(inv, "vdir.name") {
                Some(id) => {
                    let id = id.to_owned();
                    self.find_vdir(&id, false)?;
                    self.print(format!("VDIR \"{id}\""));
                    Ok(())
                }
                None => Ok(()),
            },
            "add" => {
                let app_id = required(inv, "app.name")?;
                let path = required(inv, "path")?;
                let app = self.find_app(&app_id)?;
                let exists = self
                    .server
                    .apphost
                    .element(&app)
                    .find_with("virtualDirectory", |v| {
                        v.attribute("path")
                            .is_some_and(|p| same_virtual_path(p, &path))
                    });
                if exists.is_some() {
                    return Err((
                        exit::ALREADY_EXISTS,
                        format!("Failed to add duplicate collection element \"{path}\"."),
                    ));
                }
                let index = self.server.apphost.insert(
                    &app,
                    Element::new("virtualDirectory", &[("path", &path)]),
                    true,
                );
                let vdir = push(&app, index);
                let set = self.set_attributes(&vdir, inv, spec, &["app.name", "path"])?;
                self.change(
                    &vdir,
                    format!(
                        "adds virtual directory `{path}` to application `{app_id}`{}",
                        settings_suffix(&set)
                    ),
                    None,
                );
                self.print(format!("VDIR object \"{app_id}{path}\" added"));
                Ok(())
            }
            "set" => {
                let id = self.required_identifier(inv, "vdir.name")?;
                let vdir = self.find_vdir(&id, true)?;
                let set = self.set_attributes(&vdir, inv, spec, &["vdir.name", "app.name"])?;
                self.describe_sets(&vdir, &format!("virtual directory `{id}`"), set);
                self.print(format!("VDIR object \"{id}\" changed"));
                Ok(())
            }
            "delete" => {
                let id = self.required_identifier(inv, "vdir.name")?;
                let vdir = self.find_vdir(&id, true)?;
                self.change(&vdir, format!("deletes virtual directory `{id}`"), None);
                self.remove(&vdir);
                self.print(format!("VDIR object \"{id}\" deleted"));
                Ok(())
            }
            _ => Err(unknown_verb(verb, "VDIR")),
        }
    }

    /// A virtual directory by `Site/app/vdir` (the root vdir of `/app` is `Site/app/`).
    fn find_vdir(&self, id: &str, exact: bool) -> Result<Vec<usize>, Failure> {
        let (site_name, rest) = split_site(id);
        let site = self
            .server
            .site(site_name)
            .ok_or_else(|| not_found("VDIR", id))?;
        let url = format!("/{rest}");
        for app_path in self.server.application_paths(&site) {
            let app_prefix = app_path.trim_end_matches('/');
            let lower = url.to_lowercase();
            let Some(tail) = lower.strip_prefix(&app_prefix.to_lowercase()) else {
                continue;
            };
            if tail.is_empty() {
                // `Site/app` names the application, not one of its vdirs.
                if exact {
                    return Err((
                        exit::NOT_SUPPORTED,
                        "Must use exact identifer for VDIR object with verb SET.".to_owned(),
                    ));
                }
                continue;
            }
            if !tail.starts_with('/') {
                continue;
            }
            let app = self
                .server
                .application(&site, &app_path)
                .ok_or_else(|| not_found("VDIR", id))?;
            let vpath = url[app_prefix.len()..].to_owned();
            let index = self
                .server
                .apphost
                .element(&app)
                .find_with("virtualDirectory", |v| {
                    v.attribute("path").is_some_and(|p| {
                        p.eq_ignore_ascii_case(&vpath) || (p != "/" && same_virtual_path(p, &vpath))
                    })
                });
            return index
                .map(|i| push(&app, i))
                .ok_or_else(|| not_found("VDIR", id));
        }
        Err(not_found("VDIR", id))
    }

    // ------------------------------------------------------------ BACKUP

    fn backup(&mut self, verb: &str, inv: &Invocation) -> Result<(), Failure> {
        let name = self.identifier(inv, "name").map(str::to_owned);
        match (verb, name) {
            ("add", Some(name)) => {
                let key = name.to_lowercase();
                if self.server.backups.contains_key(&key) {
                    return Err(duplicate("backup", "name", &name));
                }
                self.server
                    .backups
                    .insert(key, self.server.apphost.to_text());
                self.print(format!("BACKUP object \"{name}\" added"));
                Ok(())
            }
            ("add", None) => {
                self.assume(
                    "`add backup` without a name: IIS names it by the date; recorded".to_owned(),
                );
                Ok(())
            }
            ("restore", Some(name)) => match self.server.backups.get(&name.to_lowercase()).cloned()
            {
                Some(backup) => {
                    self.server.apphost = Document::parse(&backup)
                        .expect("a backup is a text the simulation wrote from a parsed document");
                    self.out.changes.push(Change {
                        file: self.server.apphost_name.clone(),
                        path: "/configuration".to_owned(),
                        description: format!(
                            "restores backup `{name}` (made earlier in the simulation)"
                        ),
                        conflict: None,
                    });
                    self.print(format!("Restored configuration from backup \"{name}\""));
                    Ok(())
                }
                None => {
                    self.assume(format!(
                        "backup `{name}` was not made during the simulation: the restore is not simulated"
                    ));
                    Ok(())
                }
            },
            _ => Ok(()),
        }
    }

    // ------------------------------------------------------------ CONFIG

    fn config(&mut self, verb: &str, inv: &Invocation) -> Result<(), Failure> {
        let section_arg = param(inv, "section");
        let section = match &section_arg {
            Some(name) => Some(self.server.section_name(name).ok_or_else(|| {
                (
                    exit::INVALID_PARAMETER,
                    format!("Unknown config section \"{name}\""),
                )
            })?),
            None => None,
        };
        let config_path = inv
            .identifier
            .as_ref()
            .map(|a| normalise_config_path(&a.text));
        match verb {
            "list" | "search" => Ok(()),
            "set" | "clear" => {
                let section = section.ok_or_else(|| {
                    (
                        exit::INVALID_PARAMETER,
                        "Must specify the -section parameter".to_owned(),
                    )
                })?;
                let commit = param(inv, "commit");
                let level = self.level(config_path.as_deref(), commit.as_deref(), &section)?;
                self.edit_section(&level, &section, verb == "clear", inv)
            }
            "lock" | "unlock" => {
                let section = section.ok_or_else(|| {
                    (
                        exit::INVALID_PARAMETER,
                        "Must specify the -section parameter".to_owned(),
                    )
                })?;
                let mode = if verb == "lock" { "Deny" } else { "Allow" };
                self.set_override(config_path.as_deref().unwrap_or(""), &section, mode);
                Ok(())
            }
            _ => {
                self.assume(format!(
                    "`appcmd {verb} config` is not simulated; assumed to succeed"
                ));
                Ok(())
            }
        }
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
        let content = current.map(|i| {
            let section_path = child_path(doc, &[i], &names).expect("found above");
            doc.element(&section_path).clone()
        });
        // Take the section out of its old location.
        if let Some(i) = current {
            let section_path = child_path(doc, &[i], &names).expect("found above");
            remove_with_empty_parents(doc, &section_path);
        }
        let description;
        let empty = content
            .as_ref()
            .is_none_or(|c| c.attributes().next().is_none() && c.element_count() == 0);
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
                Element::new("location", &[("path", path), ("overrideMode", mode)]),
                false,
            )],
        };
        let parent = ensure_path(doc, &location, &names[..names.len() - 1]);
        let leaf = content.unwrap_or_else(|| Element::new(names[names.len() - 1], &[]));
        let index = doc.insert(&parent, leaf, false);
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
        inv: &Invocation,
    ) -> Result<(), Failure> {
        let names: Vec<&str> = section.split('/').collect();
        let spec = self
            .server
            .schema
            .section(section)
            .and_then(|s| s.schema.as_ref());
        let (mut doc, file, base, label) = match level {
            Level::AppHost(path) => {
                let doc = std::mem::replace(
                    &mut self.server.apphost,
                    Document::new_configuration(super::server::new_web_config_style()),
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
                        Document::new_configuration(super::server::new_web_config_style())
                    }
                    _ => Document::new_configuration(super::server::new_web_config_style()),
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
                vec![doc.insert(&[], Element::new("location", &[("path", p)]), false)]
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
            .map(|i| (i, doc.element(&[i]).clone()));
        let result = edit(&mut doc, &base, &context, clear, inv);
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
    let name_of = |doc: &Document, p: &[usize]| doc.get(p).map(|e| e.name.clone());
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
        if Some(&top.name) == top_name.as_ref()
            && top.name == "location"
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
    inv: &Invocation,
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
    for p in &inv.parameters {
        if p.operation == Operation::Set && GENERAL.iter().any(|g| g.eq_ignore_ascii_case(&p.path))
        {
            continue;
        }
        changes.extend(apply(doc, &section, context, p)?);
    }
    Ok(changes)
}

fn apply(
    doc: &mut Document,
    section: &[usize],
    context: &SectionEdit,
    p: &Parameter,
) -> Result<Vec<Edit>, Failure> {
    let (spec, label) = (context.spec, context.label);
    let section_name = context.names.join("/");
    let section_name = section_name.as_str();
    let segments = parser::parse_path(&p.path).map_err(|(_, m)| {
        (
            exit::INVALID_DATA,
            format!("Malformed collection indexer; {m}"),
        )
    })?;
    let Some((last, walk)) = segments.split_last() else {
        return Err((
            exit::INVALID_PARAMETER,
            format!("Invalid parameter \"{}\"", p.argument.text),
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
            let index = doc.insert(&path, Element::new(&item, &refs), first);
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
                        let index = doc.insert(&path, Element::new(&remove, &refs), false);
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
            format!("Invalid parameter \"{}\"", p.argument.text),
        )),
    }
}

/// Whether `pairs` names an entry this level inherits and has not taken out
/// itself (with `<remove>` or `<clear>`).
fn inherited_here(
    section: &Element,
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
        Some(e.name.as_str()) == clear
            || (Some(e.name.as_str()) == remove
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
            if collection.is_add(&e.name) {
                entries.push(attrs);
            } else if Some(e.name.as_str()) == collection.remove.as_deref() {
                let key = key_of(&attrs);
                entries.retain(|a| key_of(a) != key);
            } else if Some(e.name.as_str()) == collection.clear.as_deref() {
                entries.clear();
            }
        }
    }
    entries
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
