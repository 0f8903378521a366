//! The WebAdministration module on the simulated server: the `IIS:` drive
//! (`IIS:\AppPools\NAME`, `IIS:\Sites\SITE\APP`) under the item cmdlets,
//! the Web* cmdlets, and the configuration cmdlets with their -PSPath,
//! -Location and -Filter (learn.microsoft.com, the WebAdministration
//! module's reference, docset winserver2022-ps). Each turns into the same
//! operations appcmd's verbs use ([`crate::review::operations`]).

use super::commands::{Bound, Call};
use super::value::{Object, Value};
use super::{Eval, Interpreter};
use crate::iis::appcmd::{Operation, Segment};
use crate::iis::schema::OverrideMode;
use crate::review::batch::StepKind;
use crate::review::operations::{ConfigEdit, Failure, NewSite, Operations, Outcome};
use crate::review::server::child_path;

/// The message of a failure a test injected (`Server::fail_command`).
pub(super) const INJECTED: &str = "the review was told to make this command fail";

/// What the provider answers when the object to create exists
/// (HRESULT 0x800700B7, ERROR_ALREADY_EXISTS).
pub(super) fn already_exists() -> Failure {
    (
        183,
        "Cannot create a file when that file already exists.".to_owned(),
    )
}

/// A path on the `IIS:` drive.
#[derive(Debug, Clone, PartialEq, Eq)]
enum IisPath {
    Root,
    Pools,
    Pool(String),
    Sites,
    Site(String),
    /// A site's application, virtual directory or folder: `Site`, `/a/b`.
    Below(String, String),
    Other(String),
}

/// Whether `path` is on the `IIS:` drive.
pub(super) fn is_iis_path(path: &str) -> bool {
    path.get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("iis:"))
}

fn iis_path(path: &str) -> IisPath {
    let rest = path[4..].replace('/', "\\");
    let parts: Vec<&str> = rest.split('\\').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => IisPath::Root,
        [top] if top.eq_ignore_ascii_case("apppools") => IisPath::Pools,
        [top, name] if top.eq_ignore_ascii_case("apppools") => IisPath::Pool((*name).to_owned()),
        [top] if top.eq_ignore_ascii_case("sites") => IisPath::Sites,
        [top, site] if top.eq_ignore_ascii_case("sites") => IisPath::Site((*site).to_owned()),
        [top, site, below @ ..] if top.eq_ignore_ascii_case("sites") => {
            IisPath::Below((*site).to_owned(), format!("/{}", below.join("/")))
        }
        _ => IisPath::Other(path.to_owned()),
    }
}

impl<'t> Interpreter<'t, '_> {
    /// Runs a WebAdministration cmdlet, or an item cmdlet on `IIS:`.
    pub(super) fn webadministration(
        &mut self,
        name: &str,
        bound: &Bound<'t>,
        call: &Call<'t>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let path = bound
            .text("LiteralPath")
            .or_else(|| bound.text("Path"))
            .unwrap_or_default();
        match name {
            "test-path" => Ok(vec![Value::Bool(self.iis_exists(&iis_path(&path)))]),
            "get-item" | "get-itemproperty" | "get-childitem" => {
                self.get_iis_item(name, &path, bound, call)
            }
            "set-itemproperty" => self.set_iis_property(&path, bound, call),
            "new-item" => self.new_iis_item(&path, bound, call),
            "remove-item" => {
                let target = iis_path(&path);
                self.simulate(call, bound, |ops| match &target {
                    IisPath::Pool(p) => ops.delete_pool(p),
                    IisPath::Site(s) => ops.delete_site(s),
                    IisPath::Below(s, p) => {
                        let id = format!("{s}{p}");
                        if ops.app(&id).is_ok() {
                            ops.delete_app(&id)
                        } else {
                            ops.delete_vdir(&id)
                        }
                    }
                    _ => not_simulated(ops, &path),
                })
            }
            "new-webapppool" => {
                let pool = bound.text("Name").unwrap_or_default();
                let force = bound.switch("Force");
                self.simulate(call, bound, |ops| {
                    if ops.pool(&pool).is_ok() {
                        if !force {
                            return Err(already_exists());
                        }
                        ops.delete_pool(&pool)?;
                    }
                    ops.add_pool(&pool, &[])
                })?;
                let name = bound.text("Name").unwrap_or_default();
                Ok(vec![with_ps_path(
                    pool_object(&name),
                    format!("IIS:\\AppPools\\{name}"),
                )])
            }
            "remove-webapppool" => {
                let pool = bound.text("Name").unwrap_or_default();
                self.simulate(call, bound, |ops| ops.delete_pool(&pool))
            }
            "start-webapppool" | "stop-webapppool" | "restart-webapppool" => {
                let pool = bound.text("Name").unwrap_or_default();
                let verb = name.split('-').next().unwrap_or("start").to_owned();
                self.simulate(call, bound, |ops| {
                    ops.pool(&pool)?;
                    ops.runtime_only(&verb, "application pool");
                    Ok(())
                })
            }
            "start-website" | "stop-website" => {
                let site = bound.text("Name").unwrap_or_default();
                let verb = name.split('-').next().unwrap_or("start").to_owned();
                self.simulate(call, bound, |ops| {
                    ops.site(&site)?;
                    ops.runtime_only(&verb, "site");
                    Ok(())
                })
            }
            "get-webapppoolstate" => Ok(vec![Value::Unknown(
                "the running state of an application pool".to_owned(),
            )]),
            "new-website" => self.new_website(bound, call),
            "remove-website" => {
                let site = bound.text("Name").unwrap_or_default();
                self.simulate(call, bound, |ops| ops.delete_site(&site))
            }
            "get-website" => {
                let site = bound.text("Name");
                Ok(self.sites(site.as_deref()))
            }
            "new-webapplication" => {
                let site = bound
                    .text("Site")
                    .unwrap_or_else(|| "Default Web Site".to_owned());
                let app = format!(
                    "/{}",
                    bound.text("Name").unwrap_or_default().trim_matches('/')
                );
                let physical = bound.text("PhysicalPath");
                let pool = bound.text("ApplicationPool");
                let force = bound.switch("Force");
                let id = format!("{site}{app}");
                self.simulate(call, bound, |ops| {
                    if ops.app(&id).is_ok() {
                        if !force {
                            return Err((183, "Destination element already exists, please use \"force\" parameter to override.".to_owned()));
                        }
                        ops.delete_app(&id)?;
                    }
                    let attributes: Vec<(String, String)> = pool
                        .iter()
                        .map(|p| ("applicationPool".to_owned(), p.clone()))
                        .collect();
                    ops.add_app(&site, &app, physical.as_deref(), &attributes)
                })?;
                Ok(self.applications(&site, Some(&app)))
            }
            "remove-webapplication" => {
                let site = bound.text("Site").unwrap_or_default();
                let app = bound.text("Name").unwrap_or_default();
                let id = format!("{site}/{}", app.trim_matches('/'));
                self.simulate(call, bound, |ops| ops.delete_app(&id))
            }
            "get-webapplication" => {
                let site = bound
                    .text("Site")
                    .unwrap_or_else(|| "Default Web Site".to_owned());
                let app = bound
                    .text("Name")
                    .map(|n| format!("/{}", n.trim_matches('/')));
                Ok(self.applications(&site, app.as_deref()))
            }
            "new-webvirtualdirectory" => {
                let site = bound
                    .text("Site")
                    .unwrap_or_else(|| "Default Web Site".to_owned());
                let app = bound
                    .text("Application")
                    .map_or(String::new(), |a| format!("/{}", a.trim_matches('/')));
                let vdir = format!(
                    "/{}",
                    bound.text("Name").unwrap_or_default().trim_matches('/')
                );
                let physical = bound.text("PhysicalPath");
                let app_id = format!("{site}{app}");
                self.simulate(call, bound, |ops| {
                    let attributes: Vec<(String, String)> = physical
                        .iter()
                        .map(|p| ("physicalPath".to_owned(), p.clone()))
                        .collect();
                    ops.add_vdir(&app_id, &vdir, &attributes)
                })
            }
            "remove-webvirtualdirectory" => {
                let site = bound.text("Site").unwrap_or_default();
                let app = bound
                    .text("Application")
                    .map_or(String::new(), |a| format!("/{}", a.trim_matches('/')));
                let vdir = bound.text("Name").unwrap_or_default();
                let id = format!("{site}{app}/{}", vdir.trim_matches('/'));
                self.simulate(call, bound, |ops| ops.delete_vdir(&id))
            }
            "backup-webconfiguration" => {
                let backup = bound.text("Name").unwrap_or_default();
                self.simulate(call, bound, |ops| ops.add_backup(&backup))
            }
            "restore-webconfiguration" => {
                let backup = bound.text("Name").unwrap_or_default();
                self.simulate(call, bound, |ops| {
                    ops.restore_backup(&backup);
                    Ok(())
                })
            }
            "get-webconfigurationbackup" => Ok(self
                .server
                .backups
                .keys()
                .map(|k| Value::Object(Object::new("Backup", Vec::new()).shown_as(k.clone())))
                .collect()),
            "get-webglobalmodule" => Ok(self.global_modules(bound.text("Name").as_deref())),
            "get-webconfiguration" => self.get_configuration(bound, call, false),
            "get-webconfigurationproperty" => self.get_configuration(bound, call, true),
            "set-webconfigurationproperty"
            | "add-webconfigurationproperty"
            | "remove-webconfigurationproperty"
            | "set-webconfiguration"
            | "add-webconfiguration"
            | "clear-webconfiguration"
            | "add-webconfigurationlock"
            | "remove-webconfigurationlock" => self.edit_configuration(name, bound, call),
            _ => {
                self.unsupported(call.at.clone(), format!("`{}` is not simulated", call.name));
                Ok(vec![Value::Unknown(format!("the output of {}", call.name))])
            }
        }
    }

    /// Runs operations for a cmdlet as one step: its changes, and on
    /// failure the error record (non-terminating, so -ErrorAction and
    /// `$ErrorActionPreference` decide whether the script stops).
    fn simulate(
        &mut self,
        call: &Call<'t>,
        bound: &Bound<'t>,
        operation: impl FnOnce(&mut Operations) -> Result<(), Failure>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let arguments = shown_arguments(bound);
        let index = self.record(call.at.clone(), StepKind::Cmdlet, &call.name, arguments);
        let injected = self.injected_failure();
        let mut ops = Operations::new(self.server);
        let result = if injected {
            Err((1, INJECTED.to_owned()))
        } else {
            operation(&mut ops)
        };
        let failed = result.as_ref().err().map(|(_, m)| m.clone());
        let Outcome {
            changes,
            assumptions,
            ..
        } = ops.finish(result);
        let step = &mut self.steps[index];
        step.changes = changes;
        step.assumptions.extend(assumptions);
        match failed {
            Some(message) => {
                step.exit_code = 1;
                step.output = message.clone();
                let action = bound.text("ErrorAction");
                // -ErrorAction SilentlyContinue says the failure is expected.
                let silenced = action.as_deref().is_some_and(|a| {
                    a.eq_ignore_ascii_case("silentlycontinue") || a.eq_ignore_ascii_case("ignore")
                });
                if !silenced {
                    self.unexamined_failure = Some(index);
                }
                self.write_error(message, call.at.clone(), action.as_deref())?;
                Ok(Vec::new())
            }
            None => {
                self.set_succeeded(true);
                Ok(Vec::new())
            }
        }
    }

    fn iis_exists(&mut self, path: &IisPath) -> bool {
        let ops = Operations::new(self.server);
        match path {
            IisPath::Root | IisPath::Pools | IisPath::Sites => true,
            IisPath::Pool(p) => ops.pool(p).is_ok(),
            IisPath::Site(s) => ops.site(s).is_ok(),
            IisPath::Below(s, p) => {
                let id = format!("{s}{p}");
                ops.app(&id).is_ok() || ops.vdir(&id, false).is_ok()
            }
            IisPath::Other(_) => false,
        }
    }

    fn get_iis_item(
        &mut self,
        name: &str,
        path: &str,
        bound: &Bound<'t>,
        call: &Call<'t>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let target = iis_path(path);
        let element = {
            let ops = Operations::new(self.server);
            match &target {
                IisPath::Pool(p) => ops.pool(p).ok(),
                IisPath::Site(s) => ops.site(s).ok(),
                IisPath::Below(s, p) => ops.app(&format!("{s}{p}")).ok(),
                _ => None,
            }
        };
        if name == "get-childitem" {
            return Ok(match target {
                IisPath::Pools => self.pools(),
                IisPath::Sites => self.sites(None),
                _ => vec![Value::Unknown(format!("the items below `{path}`"))],
            });
        }
        let Some(element) = element else {
            if !self.iis_exists(&target) {
                let message = format!("Cannot find path '{path}' because it does not exist.");
                self.write_error(
                    message,
                    call.at.clone(),
                    bound.text("ErrorAction").as_deref(),
                )?;
                return Ok(Vec::new());
            }
            return Ok(vec![Value::Unknown(format!("the item `{path}`"))]);
        };
        let doc = &self.server.apphost;
        let e = doc.element(&element);
        if name == "get-itemproperty" {
            if let Some(property) = bound.text("Name") {
                let mut node = e;
                let parts: Vec<&str> = property.split('.').collect();
                for part in &parts[..parts.len() - 1] {
                    match node.find(part) {
                        Some(i) => node = node.element_child(i),
                        None => {
                            return Ok(vec![Value::Unknown(format!("the default of `{property}`"))])
                        }
                    }
                }
                let last = parts[parts.len() - 1];
                let value = match node.attribute(last) {
                    Some(v) => config_value(v),
                    None => Value::Unknown(format!("the default of `{property}`")),
                };
                // The provider gives the attribute: `.Value`, or the value as text.
                let shown = value.text();
                return Ok(vec![Value::Object(
                    Object::new(
                        "Microsoft.IIs.PowerShell.Framework.ConfigurationAttribute",
                        vec![
                            ("Value".to_owned(), value),
                            ("Name".to_owned(), Value::str(property.clone())),
                        ],
                    )
                    .shown_as(shown),
                )]);
            }
        }
        Ok(vec![with_ps_path(element_object(e), path.to_owned())])
    }

    /// Set-ItemProperty on `IIS:\AppPools\X`, `IIS:\Sites\S`, `IIS:\Sites\S\app`:
    /// the attribute of that object (physicalPath of a site or application
    /// is its root virtual directory's, as the provider shows it).
    fn set_iis_property(
        &mut self,
        path: &str,
        bound: &Bound<'t>,
        call: &Call<'t>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let target = iis_path(path);
        let property = bound.text("Name").unwrap_or_default();
        let value = bound.get("Value").cloned().unwrap_or(Value::Null);
        let attributes = attributes_of(&property, &value);
        let missing = !self.iis_exists(&target);
        self.simulate(call, bound, |ops| {
            if missing {
                return Err((
                    1168,
                    format!("Cannot find path '{path}' because it does not exist."),
                ));
            }
            let vdir_attribute = |a: &str| {
                ["physicalPath", "userName", "password", "logonMethod"]
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(a))
            };
            match &target {
                IisPath::Pool(p) => ops.set_pool(p, &attributes),
                IisPath::Site(s) | IisPath::Below(s, _) => {
                    let id = match &target {
                        IisPath::Below(_, p) => format!("{s}{p}"),
                        _ => s.clone(),
                    };
                    let (vdir, rest): (Vec<_>, Vec<_>) = attributes
                        .iter()
                        .cloned()
                        .partition(|(a, _)| vdir_attribute(a));
                    let is_app = ops.app(&id).is_ok();
                    if !vdir.is_empty() {
                        let vdir_id = if is_app { format!("{id}/") } else { id.clone() };
                        ops.set_vdir(&vdir_id, &vdir)?;
                    }
                    if rest.is_empty() {
                        return Ok(());
                    }
                    let (app_attributes, site_attributes): (Vec<_>, Vec<_>) =
                        rest.into_iter().partition(|(a, _)| {
                            [
                                "applicationPool",
                                "enabledProtocols",
                                "preloadEnabled",
                                "serviceAutoStartEnabled",
                                "serviceAutoStartProvider",
                            ]
                            .iter()
                            .any(|v| v.eq_ignore_ascii_case(a))
                        });
                    if !app_attributes.is_empty() {
                        ops.set_app(&id, &app_attributes)?;
                    }
                    if !site_attributes.is_empty() {
                        match &target {
                            IisPath::Site(s) => ops.set_site(s, &site_attributes)?,
                            _ if is_app => ops.set_app(&id, &site_attributes)?,
                            _ => ops.set_vdir(&id, &site_attributes)?,
                        }
                    }
                    Ok(())
                }
                _ => not_simulated(ops, path),
            }
        })
    }

    fn new_iis_item(
        &mut self,
        path: &str,
        bound: &Bound<'t>,
        call: &Call<'t>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let target = iis_path(path);
        let kind = bound
            .text("ItemType")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let physical = bound.text("physicalPath");
        let bindings = bound.get("bindings").cloned();
        let failed_before = self.steps.len();
        let out = self.simulate(call, bound, |ops| match &target {
            IisPath::Pool(p) => {
                if ops.pool(p).is_ok() {
                    return Err(already_exists());
                }
                ops.add_pool(p, &[])
            }
            IisPath::Site(s) => ops.add_site(
                &NewSite {
                    name: s.clone(),
                    id: None,
                    physical_path: physical.clone(),
                    bindings: bindings.as_ref().map(binding_text),
                },
                &[],
            ),
            IisPath::Below(s, p) if kind == "virtualdirectory" => {
                let (app, vdir) = p.rsplit_once('/').unwrap_or(("", p));
                let attributes: Vec<(String, String)> = physical
                    .iter()
                    .map(|f| ("physicalPath".to_owned(), f.clone()))
                    .collect();
                ops.add_vdir(&format!("{s}{app}"), &format!("/{vdir}"), &attributes)
            }
            IisPath::Below(s, p) => ops.add_app(s, p, physical.as_deref(), &[]),
            _ => not_simulated(ops, path),
        })?;
        // The new item, as the provider returns it.
        let modelled = matches!(
            target,
            IisPath::Pool(_) | IisPath::Site(_) | IisPath::Below(..)
        );
        if modelled
            && self
                .steps
                .get(failed_before)
                .is_some_and(|s| s.exit_code == 0)
        {
            return self.get_iis_item("get-item", path, &Bound::default(), call);
        }
        Ok(out)
    }

    fn new_website(&mut self, bound: &Bound<'t>, call: &Call<'t>) -> Eval<'t, Vec<Value<'t>>> {
        let name = bound.text("Name").unwrap_or_default();
        let protocol = if bound.switch("Ssl") { "https" } else { "http" };
        let port = bound
            .text("Port")
            .unwrap_or_else(|| if protocol == "https" { "443" } else { "80" }.to_owned());
        let ip = bound.text("IPAddress").unwrap_or_else(|| "*".to_owned());
        let host = bound.text("HostHeader").unwrap_or_default();
        let site = NewSite {
            name: name.clone(),
            id: bound.text("Id"),
            physical_path: bound.text("PhysicalPath"),
            bindings: Some(format!("{protocol}/{ip}:{port}:{host}")),
        };
        let pool = bound.text("ApplicationPool");
        let force = bound.switch("Force");
        self.simulate(call, bound, |ops| {
            if ops.site(&name).is_ok() {
                if !force {
                    return Err(already_exists());
                }
                ops.delete_site(&name)?;
            }
            let attributes: Vec<(String, String)> = pool
                .iter()
                .map(|p| ("application.applicationPool".to_owned(), p.clone()))
                .collect();
            ops.add_site(&site, &attributes)
        })?;
        Ok(self.sites(Some(&name)))
    }

    fn pools(&mut self) -> Vec<Value<'t>> {
        let doc = &self.server.apphost;
        let Some(path) = child_path(doc, &[], &["system.applicationHost", "applicationPools"])
        else {
            return Vec::new();
        };
        doc.element(&path)
            .elements()
            .filter(|e| e.name() == "add")
            .map(|e| {
                let name = e.attribute("name").unwrap_or_default();
                with_ps_path(element_object(e), format!("IIS:\\AppPools\\{name}"))
            })
            .collect()
    }

    fn sites(&mut self, name: Option<&str>) -> Vec<Value<'t>> {
        let doc = &self.server.apphost;
        let Some(path) = child_path(doc, &[], &["system.applicationHost", "sites"]) else {
            return Vec::new();
        };
        doc.element(&path)
            .elements()
            .filter(|e| e.name() == "site")
            .filter(|e| {
                name.is_none_or(|n| {
                    e.attribute("name")
                        .is_some_and(|v| v.eq_ignore_ascii_case(n))
                })
            })
            .map(element_object)
            .collect()
    }

    /// Get-WebApplication: the applications of `site` (one when `path`
    /// is given), with the properties the provider adds (PhysicalPath).
    fn applications(&mut self, site: &str, path: Option<&str>) -> Vec<Value<'t>> {
        let ops = Operations::new(self.server);
        let Ok(site_path) = ops.site(site) else {
            return Vec::new();
        };
        let paths = ops.server().application_paths(&site_path);
        let mut out = Vec::new();
        for app_path in paths {
            if app_path == "/" {
                continue;
            }
            if path.is_some_and(|p| !p.eq_ignore_ascii_case(&app_path)) {
                continue;
            }
            let Ok(app) = ops.app(&format!("{site}{app_path}")) else {
                continue;
            };
            let mut object = match element_object(ops.server().apphost.element(&app)) {
                Value::Object(o) => o,
                _ => continue,
            };
            let pool = ops.application_pool(&app);
            if object.get("applicationPool").is_none() {
                object
                    .properties
                    .push(("applicationPool".to_owned(), Value::str(pool)));
            }
            if let Some(folder) = ops.application_folder(&app) {
                object
                    .properties
                    .push(("PhysicalPath".to_owned(), Value::str(folder)));
            }
            object.properties.push((
                "PSPath".to_owned(),
                Value::str(format!(
                    "IIS:\\Sites\\{site}{}",
                    app_path.replace('/', "\\")
                )),
            ));
            out.push(Value::Object(object));
        }
        out
    }

    /// Get-WebGlobalModule: the server's `<globalModules>` (the built-in
    /// default configuration has no add-on modules, as a new IIS 10).
    fn global_modules(&mut self, name: Option<&str>) -> Vec<Value<'t>> {
        let doc = &self.server.apphost;
        let found: Vec<Value<'t>> = child_path(doc, &[], &["system.webServer", "globalModules"])
            .map(|path| {
                doc.element(&path)
                    .elements()
                    .filter(|e| e.name() == "add")
                    .filter(|e| {
                        name.is_none_or(|n| {
                            e.attribute("name")
                                .is_some_and(|v| super::value::like(v, n))
                        })
                    })
                    .map(element_object)
                    .collect()
            })
            .unwrap_or_default();
        found
    }

    /// Get-WebConfiguration(Property): the elements the filter selects at
    /// the level, with the collection entries inherited from above.
    fn get_configuration(
        &mut self,
        bound: &Bound<'t>,
        call: &Call<'t>,
        property: bool,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let filter = bound.text("Filter").unwrap_or_default();
        let target = match self.config_target(bound) {
            Ok(t) => t,
            Err(message) => {
                self.unsupported(call.at.clone(), message);
                return Ok(vec![Value::Unknown(format!(
                    "the configuration `{filter}`"
                ))]);
            }
        };
        let Some((section, rest)) = self.split_filter(&filter) else {
            self.unsupported(
                call.at.clone(),
                format!("the filter `{filter}` names no section the server declares"),
            );
            return Ok(vec![Value::Unknown(format!(
                "the configuration `{filter}`"
            ))]);
        };
        let ops = Operations::new(self.server);
        let entries = ops.effective_entries(target.path.as_deref(), &section, &rest);
        let Some(entries) = entries else {
            return Ok(vec![Value::Unknown(format!(
                "the configuration `{filter}`"
            ))]);
        };
        let objects: Vec<Value<'t>> = entries
            .into_iter()
            .map(|attributes| {
                Value::Object(Object::new(
                    "Microsoft.IIs.PowerShell.Framework.ConfigurationElement",
                    attributes
                        .into_iter()
                        .map(|(k, v)| {
                            let value = config_value(&v);
                            (k, value)
                        })
                        .collect(),
                ))
            })
            .collect();
        if property {
            let name = bound.text("Name").unwrap_or_default();
            return Ok(objects
                .iter()
                .map(|o| {
                    let value = o
                        .property(&name)
                        .unwrap_or(Value::Unknown(format!("the default of `{name}`")));
                    Value::Object(
                        Object::new(
                            "ConfigurationAttribute",
                            vec![
                                ("Value".to_owned(), value.clone()),
                                ("Name".to_owned(), Value::str(name.clone())),
                            ],
                        )
                        .shown_as(value.text()),
                    )
                })
                .collect());
        }
        Ok(objects)
    }

    /// The configuration cmdlets that change it.
    fn edit_configuration(
        &mut self,
        name: &str,
        bound: &Bound<'t>,
        call: &Call<'t>,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let filter = bound.text("Filter").unwrap_or_default();
        let target = match self.config_target(bound) {
            Ok(t) => t,
            Err(message) => {
                self.unsupported(call.at.clone(), message);
                return self.simulate(call, bound, |ops| {
                    ops.assume("the level is not simulated; assumed to succeed".to_owned());
                    Ok(())
                });
            }
        };
        let Some((section, rest)) = self.split_filter(&filter) else {
            return self.simulate(call, bound, |_| {
                Err((87, format!("Filename: \\\\?\\C:\\Windows\\system32\\inetsrv\\config\\applicationHost.config\r\nError: Unknown config section \"{filter}\"")))
            });
        };
        let property = bound.text("Name").unwrap_or_else(|| ".".to_owned());
        let value = bound.get("Value").cloned().unwrap_or(Value::Null);
        let at_element = bound.get("AtElement").cloned();
        let mut element_path = rest.clone();
        if let Some(Value::Hash(table)) = &at_element {
            element_path.push(Segment::Indexer {
                position: None,
                pairs: table
                    .entries()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.config_text()))
                    .collect(),
            });
        }
        let self_named = property == "." || property.eq_ignore_ascii_case("collection");
        let mut collection_path = element_path.clone();
        if !self_named {
            collection_path.extend(property.split('.').map(|p| Segment::Name(p.to_owned())));
        }
        let written = crate::review::powershell::statements::variable_name(call.name.as_str());
        let mut edits = Vec::new();
        let mut lock = None;
        let mut clear = false;
        match name {
            "set-webconfigurationproperty" if !self_named => {
                for (attribute, text) in attributes_of(&property, &value) {
                    let mut path = element_path.clone();
                    path.extend(attribute.split('.').map(|p| Segment::Name(p.to_owned())));
                    edits.push(set_edit(path, text, &written));
                }
            }
            "add-webconfigurationproperty" | "add-webconfiguration" => {
                let base = if name == "add-webconfiguration" {
                    &element_path
                } else {
                    &collection_path
                };
                let at_start = bound.get("AtIndex").and_then(Value::number) == Some(0);
                for item in value.items() {
                    let Value::Hash(table) = item else {
                        return self.not_simulated_edit(
                            call,
                            bound,
                            "a value other than a hashtable",
                        );
                    };
                    let mut path = base.clone();
                    path.push(Segment::Indexer {
                        position: at_start.then(|| "start".to_owned()),
                        pairs: table
                            .entries()
                            .iter()
                            .map(|(k, v)| (k.clone(), v.config_text()))
                            .collect(),
                    });
                    edits.push(ConfigEdit {
                        operation: Operation::Add,
                        path,
                        value: None,
                        written: written.clone(),
                    });
                }
            }
            "remove-webconfigurationproperty" => {
                let Some(Segment::Indexer { .. }) = element_path.last() else {
                    return self.not_simulated_edit(call, bound, "removing an attribute");
                };
                let mut path = element_path.clone();
                if !self_named {
                    // -Name names the collection below the filter.
                    let last = path.pop().expect("an indexer");
                    path.extend(property.split('.').map(|p| Segment::Name(p.to_owned())));
                    path.push(last);
                }
                edits.push(ConfigEdit {
                    operation: Operation::Remove,
                    path,
                    value: None,
                    written: written.clone(),
                });
            }
            "set-webconfiguration" => match bound.text("Metadata") {
                Some(m) if m.eq_ignore_ascii_case("overrideMode") => {
                    let mode = value.text();
                    lock = Some(if mode.eq_ignore_ascii_case("deny") {
                        OverrideMode::Deny
                    } else if mode.eq_ignore_ascii_case("allow") {
                        OverrideMode::Allow
                    } else {
                        return self.not_simulated_edit(
                            call,
                            bound,
                            &format!("-Metadata overrideMode -Value {mode}"),
                        );
                    });
                }
                Some(other) => {
                    return self.not_simulated_edit(call, bound, &format!("-Metadata {other}"))
                }
                None => match &value {
                    Value::Hash(table) => {
                        for (k, v) in &table.entries() {
                            let mut path = element_path.clone();
                            path.push(Segment::Name(k.clone()));
                            edits.push(set_edit(path, v.config_text(), &written));
                        }
                    }
                    _ => {
                        return self.not_simulated_edit(
                            call,
                            bound,
                            "a value other than a hashtable",
                        )
                    }
                },
            },
            // These write lockItem/lockAttributes (learn.microsoft.com,
            // Add-WebConfigurationLock), which the model does not hold.
            "add-webconfigurationlock" | "remove-webconfigurationlock" => {
                return self.not_simulated_edit(
                    call,
                    bound,
                    "a configuration lock (lockItem, lockAttributes)",
                )
            }
            "clear-webconfiguration" if rest.is_empty() => clear = true,
            _ => return self.not_simulated_edit(call, bound, "this form"),
        }
        let path = target.path.clone();
        let commit = target.commit;
        if let Some(mode) = lock {
            let location = path.clone().unwrap_or_default();
            return self.simulate(call, bound, |ops| {
                ops.lock(&location, &section, mode);
                Ok(())
            });
        }
        self.simulate(call, bound, |ops| {
            if clear {
                ops.clear_config(path.as_deref(), commit, &section)
            } else {
                ops.edit_config(path.as_deref(), commit, &section, &edits)
            }
        })
    }

    fn not_simulated_edit(
        &mut self,
        call: &Call<'t>,
        bound: &Bound<'t>,
        what: &str,
    ) -> Eval<'t, Vec<Value<'t>>> {
        let message = format!(
            "`{}` with {what} is not simulated; assumed to succeed",
            call.name
        );
        self.simulate(call, bound, |ops| {
            ops.assume(message);
            Ok(())
        })
    }

    /// The configuration path and commit level of -PSPath and -Location:
    /// `MACHINE/WEBROOT/APPHOST` with `-Location L` writes a `<location>`
    /// of applicationHost.config; a site or application path writes its
    /// web.config.
    fn config_target(&self, bound: &Bound<'t>) -> Result<ConfigTarget, String> {
        let ps_path = bound.get("PSPath").map(|v| {
            v.clone()
                .items()
                .first()
                .map(Value::text)
                .unwrap_or_default()
        });
        let location = bound.get("Location").map(|v| {
            v.clone()
                .items()
                .first()
                .map(Value::text)
                .unwrap_or_default()
        });
        let path = match ps_path.as_deref() {
            None => None,
            Some(p) if is_iis_path(p) => match iis_path(p) {
                IisPath::Root | IisPath::Sites => None,
                IisPath::Site(s) => Some(s),
                IisPath::Below(s, below) => Some(format!("{s}{below}")),
                _ => return Err(format!("-PSPath `{p}` is not simulated")),
            },
            Some(p) => {
                let lower = p.to_ascii_lowercase();
                if lower == "machine/webroot/apphost" || lower == "machine/webroot/apphost/" {
                    None
                } else if let Some(rest) = lower.strip_prefix("machine/webroot/apphost/") {
                    Some(p[p.len() - rest.len()..].to_owned())
                } else {
                    return Err(format!(
                        "-PSPath `{p}` (the .NET configuration files) is not simulated"
                    ));
                }
            }
        };
        Ok(match (path, location) {
            (None, Some(l)) if !l.is_empty() => ConfigTarget {
                path: Some(l),
                commit: Some("apphost"),
            },
            (None, _) => ConfigTarget {
                path: None,
                commit: None,
            },
            (Some(p), None) => ConfigTarget {
                path: Some(p),
                commit: None,
            },
            (Some(p), Some(l)) if l.is_empty() => ConfigTarget {
                path: Some(p),
                commit: None,
            },
            (Some(_), Some(_)) => return Err(
                "-Location inside a web.config (a site's -PSPath with -Location) is not simulated"
                    .to_owned(),
            ),
        })
    }

    /// `system.webServer/rewrite/allowedServerVariables/add[@name='X']` →
    /// the section, then the path below it in appcmd's segments.
    fn split_filter(&self, filter: &str) -> Option<(String, Vec<Segment>)> {
        let parts = split_outside_brackets(filter.trim().trim_start_matches('/'));
        for n in (1..=parts.len()).rev() {
            let candidate = parts[..n].join("/");
            if candidate.contains('[') {
                continue;
            }
            if let Some(section) = self.server.section_name(&candidate) {
                let mut rest = Vec::new();
                for part in &parts[n..] {
                    match part.split_once('[') {
                        Some((_, predicate)) => rest.push(Segment::Indexer {
                            position: None,
                            pairs: predicate_pairs(predicate.trim_end_matches(']')),
                        }),
                        None => rest.push(Segment::Name((*part).to_owned())),
                    }
                }
                return Some((section, rest));
            }
        }
        None
    }
}

/// Where a configuration cmdlet writes.
struct ConfigTarget {
    path: Option<String>,
    commit: Option<&'static str>,
}

fn set_edit(path: Vec<Segment>, value: String, written: &str) -> ConfigEdit {
    ConfigEdit {
        operation: Operation::Set,
        path,
        value: Some(value),
        written: written.to_owned(),
    }
}

/// Splits at `/` outside `[...]` and quotes.
fn split_outside_brackets(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut quote = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '\'' | '"' if quote.is_none() => quote = Some(c),
            c if Some(c) == quote => quote = None,
            '[' if quote.is_none() => depth += 1,
            ']' if quote.is_none() => depth = depth.saturating_sub(1),
            '/' if quote.is_none() && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// `@name='x' and @path='y'` → pairs.
fn predicate_pairs(predicate: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for clause in predicate.split(" and ") {
        if let Some((k, v)) = clause.split_once('=') {
            let key = k.trim().trim_start_matches('@').to_owned();
            let value = v.trim().trim_matches(['\'', '"']).to_owned();
            pairs.push((key, value));
        }
    }
    pairs
}

/// `-Name processModel -Value @{userName='x'}` → `processModel.userName`;
/// `-Name idleTimeout -Value '00:00:00'` → itself.
fn attributes_of(name: &str, value: &Value) -> Vec<(String, String)> {
    match value {
        Value::Hash(table) => table
            .entries()
            .iter()
            .map(|(k, v)| (format!("{name}.{k}"), v.config_text()))
            .collect(),
        other => vec![(name.to_owned(), other.config_text())],
    }
}

/// `@{protocol='http'; bindingInformation='*:80:'}` (or several) →
/// `http/*:80:`, as appcmd writes bindings.
fn binding_text(value: &Value) -> String {
    value
        .clone()
        .items()
        .iter()
        .map(|b| {
            let protocol = b.property("protocol").map(|v| v.text()).unwrap_or_default();
            let info = b
                .property("bindingInformation")
                .map(|v| v.text())
                .unwrap_or_default();
            format!("{protocol}/{info}")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A path of the IIS: drive the simulation does not model (`IIS:\SslBindings`).
fn not_simulated(ops: &mut Operations, path: &str) -> Result<(), Failure> {
    ops.assume(format!(
        "`{path}` is not a part of the IIS: drive the simulation models; assumed to succeed"
    ));
    Ok(())
}

fn shown_arguments(bound: &Bound) -> Vec<String> {
    bound
        .values
        .iter()
        .chain(&bound.dynamic)
        .map(|(k, v)| format!("-{k}:{}", v.text()))
        .collect()
}

fn pool_object<'t>(name: &str) -> Value<'t> {
    Value::Object(
        Object::new(
            "Microsoft.IIs.PowerShell.Framework.ConfigurationElement",
            vec![("name".to_owned(), Value::str(name.to_owned()))],
        )
        .shown_as(name.to_owned()),
    )
}

/// A stored value as the provider returns it: IIS writes booleans as
/// `true`/`false`, which PowerShell gets as booleans (a string "false"
/// would be true in a condition).
fn config_value<'t>(text: &str) -> Value<'t> {
    if text.eq_ignore_ascii_case("true") {
        Value::Bool(true)
    } else if text.eq_ignore_ascii_case("false") {
        Value::Bool(false)
    } else {
        Value::str(text.to_owned())
    }
}

/// An object with the provider path it came from (what pipeline input
/// binds to -LiteralPath).
fn with_ps_path(value: Value, path: String) -> Value {
    match value {
        Value::Object(mut o) => {
            o.properties.push(("PSPath".to_owned(), Value::Str(path)));
            Value::Object(o)
        }
        other => other,
    }
}

/// An element of the configuration as the provider returns it: its
/// attributes as properties.
fn element_object<'t>(element: crate::review::document::Element<'_>) -> Value<'t> {
    let properties: Vec<(String, Value<'t>)> = element
        .attributes()
        .map(|(k, v)| (k.to_owned(), config_value(v)))
        .collect();
    let shown = element
        .attribute("name")
        .or_else(|| element.attribute("path"))
        .unwrap_or(element.name())
        .to_owned();
    Value::Object(
        Object::new(
            "Microsoft.IIs.PowerShell.Framework.ConfigurationElement",
            properties,
        )
        .shown_as(shown),
    )
}
