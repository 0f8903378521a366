//! Operations on the server's objects: application pools, sites,
//! applications, virtual directories (in `system.applicationHost`) and
//! configuration backups, with IIS's own refusals (a duplicate name, an
//! object that does not exist).

use super::*;
use crate::review::server::{same_virtual_path, split_site};

impl Operations<'_> {
    // ------------------------------------------------------------ pools

    /// The pool named `name` (case-insensitive), or not found.
    pub fn pool(&self, name: &str) -> Result<Vec<usize>, Failure> {
        self.server
            .pool(name)
            .ok_or_else(|| not_found("APPPOOL", name))
    }

    pub fn add_pool(&mut self, name: &str, attributes: &Attributes) -> Result<(), Failure> {
        if self.server.pool(name).is_some() {
            return Err(duplicate("add", "name", name));
        }
        let spec = pool_spec(self.server.schema);
        let pools = ensure_path(
            &mut self.server.apphost,
            &[],
            &["system.applicationHost", "applicationPools"],
        );
        let index =
            self.server
                .apphost
                .insert(&pools, NewElement::new("add", &[("name", name)]), true);
        let pool = push(&pools, index);
        let set = self.set_attributes(&pool, attributes, spec);
        self.change(
            &pool,
            format!("creates application pool `{name}`{}", settings_suffix(&set)),
            None,
        );
        Ok(())
    }

    pub fn set_pool(&mut self, name: &str, attributes: &Attributes) -> Result<(), Failure> {
        let pool = self.pool(name)?;
        let set = self.set_attributes(&pool, attributes, pool_spec(self.server.schema));
        self.describe_sets(&pool, &format!("application pool `{name}`"), set);
        Ok(())
    }

    pub fn delete_pool(&mut self, name: &str) -> Result<(), Failure> {
        let pool = self.pool(name)?;
        self.change(&pool, format!("deletes application pool `{name}`"), None);
        self.remove(&pool);
        Ok(())
    }

    /// Start, stop, recycle: the running state is not modelled.
    pub fn runtime_only(&mut self, verb: &str, object: &str) {
        self.assume(format!(
            "`{verb}` changes the running state of a {object}, which the simulation does not model; assumed to succeed"
        ));
    }

    // ------------------------------------------------------------ sites

    pub fn site(&self, name: &str) -> Result<Vec<usize>, Failure> {
        self.server
            .site(name)
            .ok_or_else(|| not_found("SITE", name))
    }

    /// A new site: its id (the next free one when `None`), its root folder
    /// and its bindings (`http/*:80:,https/*:443:`).
    pub fn add_site(&mut self, site: &NewSite, attributes: &Attributes) -> Result<(), Failure> {
        let name = site.name.as_str();
        if self.server.site(name).is_some() {
            return Err(duplicate("site", "name", name));
        }
        let spec = item_spec(self.server.schema, "system.applicationHost/sites", 1);
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
        let id = match &site.id {
            Some(id) => {
                let n: u64 = id.parse().map_err(|_| {
                    (
                        exit::INVALID_DATA,
                        format!("\"{id}\" is not a valid site id"),
                    )
                })?;
                if used.contains(&n) {
                    return Err(duplicate("site", "id", id));
                }
                id.clone()
            }
            None => (used.iter().max().copied().unwrap_or(0) + 1).to_string(),
        };
        let mut element = NewElement::new("site", &[("name", name), ("id", &id)]);
        if let Some(physical) = &site.physical_path {
            element = element.with_child(
                NewElement::new("application", &[("path", "/")]).with_child(NewElement::new(
                    "virtualDirectory",
                    &[("path", "/"), ("physicalPath", physical)],
                )),
            );
        }
        if let Some(bindings) = &site.bindings {
            let mut list = NewElement::new("bindings", &[]);
            for binding in bindings.split(',').filter(|b| !b.is_empty()) {
                let (protocol, info) = binding.split_once('/').ok_or_else(|| {
                    (
                        exit::INVALID_DATA,
                        format!("\"{binding}\" is not a binding (protocol/IP:port:host)"),
                    )
                })?;
                list = list.with_child(NewElement::new(
                    "binding",
                    &[("protocol", protocol), ("bindingInformation", info)],
                ));
            }
            element = element.with_child(list);
        }
        let index = self.server.apphost.insert(&sites, element, true);
        let path = push(&sites, index);
        let set = self.set_attributes(&path, attributes, spec);
        self.change(
            &path,
            format!(
                "creates site `{name}` with id {id}{}",
                settings_suffix(&set)
            ),
            None,
        );
        Ok(())
    }

    pub fn set_site(&mut self, name: &str, attributes: &Attributes) -> Result<(), Failure> {
        let site = self.site(name)?;
        let spec = item_spec(self.server.schema, "system.applicationHost/sites", 1);
        let set = self.set_attributes(&site, attributes, spec);
        self.describe_sets(&site, &format!("site `{name}`"), set);
        Ok(())
    }

    pub fn delete_site(&mut self, name: &str) -> Result<(), Failure> {
        let site = self.site(name)?;
        self.change(
            &site,
            format!("deletes site `{name}` with its applications"),
            None,
        );
        self.remove(&site);
        Ok(())
    }

    // ------------------------------------------------------------ applications

    /// The application `Site/path` (`Site` alone: the root application).
    pub fn app(&self, id: &str) -> Result<Vec<usize>, Failure> {
        let (site_name, rest) = split_site(id);
        let site = self
            .server
            .site(site_name)
            .ok_or_else(|| not_found("APP", id))?;
        self.server
            .application(&site, &format!("/{rest}"))
            .ok_or_else(|| not_found("APP", id))
    }

    /// The pool an application runs in: its own `applicationPool`, else its
    /// site's `applicationDefaults`, else the server's, else IIS's default.
    pub fn application_pool(&self, app: &[usize]) -> String {
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

    /// The physical folder of an application's root virtual directory.
    pub fn application_folder(&self, app: &[usize]) -> Option<String> {
        let element = self.server.apphost.element(app);
        let root = element.find_with("virtualDirectory", |v| v.attribute("path") == Some("/"))?;
        element
            .element_child(root)
            .attribute("physicalPath")
            .map(str::to_owned)
    }

    /// A new application `path` of `site`, with a root virtual directory in
    /// `physical_path` when given.
    pub fn add_app(
        &mut self,
        site_name: &str,
        path: &str,
        physical_path: Option<&str>,
        attributes: &Attributes,
    ) -> Result<(), Failure> {
        let site = self.site(site_name)?;
        if self.server.application(&site, path).is_some() {
            return Err((
                exit::ALREADY_EXISTS,
                format!("Failed to add duplicate collection element \"{path}\"."),
            ));
        }
        let spec = item_spec(self.server.schema, "system.applicationHost/sites", 2);
        let mut app = NewElement::new("application", &[("path", path)]);
        if let Some(physical) = physical_path {
            app = app.with_child(NewElement::new(
                "virtualDirectory",
                &[("path", "/"), ("physicalPath", physical)],
            ));
        }
        let index = self.server.apphost.insert(&site, app, true);
        let app_path = push(&site, index);
        let set = self.set_attributes(&app_path, attributes, spec);
        let folder = physical_path.map_or(String::new(), |p| format!(", folder `{p}`"));
        self.change(
            &app_path,
            format!(
                "adds application `{path}` to site `{site_name}`{folder}{}",
                settings_suffix(&set)
            ),
            None,
        );
        Ok(())
    }

    pub fn set_app(&mut self, id: &str, attributes: &Attributes) -> Result<(), Failure> {
        let app = self.app(id)?;
        let spec = item_spec(self.server.schema, "system.applicationHost/sites", 2);
        let set = self.set_attributes(&app, attributes, spec);
        self.describe_sets(&app, &format!("application `{id}`"), set);
        Ok(())
    }

    pub fn delete_app(&mut self, id: &str) -> Result<(), Failure> {
        let app = self.app(id)?;
        self.change(
            &app,
            format!("deletes application `{id}` with its virtual directories"),
            None,
        );
        self.remove(&app);
        Ok(())
    }

    // ------------------------------------------------------------ virtual directories

    pub fn add_vdir(
        &mut self,
        app_id: &str,
        path: &str,
        attributes: &Attributes,
    ) -> Result<(), Failure> {
        let app = self.app(app_id)?;
        let exists = self
            .server
            .apphost
            .element(&app)
            .find_with("virtualDirectory", |v| {
                v.attribute("path")
                    .is_some_and(|p| same_virtual_path(p, path))
            });
        if exists.is_some() {
            return Err((
                exit::ALREADY_EXISTS,
                format!("Failed to add duplicate collection element \"{path}\"."),
            ));
        }
        let spec = item_spec(self.server.schema, "system.applicationHost/sites", 3);
        let index = self.server.apphost.insert(
            &app,
            NewElement::new("virtualDirectory", &[("path", path)]),
            true,
        );
        let vdir = push(&app, index);
        let set = self.set_attributes(&vdir, attributes, spec);
        self.change(
            &vdir,
            format!(
                "adds virtual directory `{path}` to application `{app_id}`{}",
                settings_suffix(&set)
            ),
            None,
        );
        Ok(())
    }

    pub fn set_vdir(&mut self, id: &str, attributes: &Attributes) -> Result<(), Failure> {
        let vdir = self.vdir(id, true)?;
        let spec = item_spec(self.server.schema, "system.applicationHost/sites", 3);
        let set = self.set_attributes(&vdir, attributes, spec);
        self.describe_sets(&vdir, &format!("virtual directory `{id}`"), set);
        Ok(())
    }

    pub fn delete_vdir(&mut self, id: &str) -> Result<(), Failure> {
        let vdir = self.vdir(id, true)?;
        self.change(&vdir, format!("deletes virtual directory `{id}`"), None);
        self.remove(&vdir);
        Ok(())
    }

    /// A virtual directory by `Site/app/vdir` (the root vdir of `/app` is
    /// `Site/app/`); `exact`: `Site/app` itself is refused, as appcmd's SET does.
    pub fn vdir(&self, id: &str, exact: bool) -> Result<Vec<usize>, Failure> {
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

    // ------------------------------------------------------------ backups

    /// Keeps the configuration as it is now under `name`.
    pub fn add_backup(&mut self, name: &str) -> Result<(), Failure> {
        let key = name.to_lowercase();
        if self.server.backups.contains_key(&key) {
            return Err(duplicate("backup", "name", name));
        }
        self.server
            .backups
            .insert(key, self.server.apphost.to_text());
        Ok(())
    }

    /// Puts back the configuration of backup `name`; `false` when the
    /// backup was not made during the simulation (nothing is known of it).
    pub fn restore_backup(&mut self, name: &str) -> bool {
        let Some(backup) = self.server.backups.get(&name.to_lowercase()).cloned() else {
            self.assume(format!(
                "backup `{name}` was not made during the simulation: the restore is not simulated"
            ));
            return false;
        };
        self.server.apphost = Document::parse(&backup)
            .expect("a backup is a text the simulation wrote from a parsed document");
        self.out.changes.push(Change {
            file: self.server.apphost_name.clone(),
            path: "/configuration".to_owned(),
            description: format!("restores backup `{name}` (made earlier in the simulation)"),
            conflict: None,
        });
        true
    }
}

impl Operations<'_> {
    /// Every site: name and id, in the file's order.
    pub fn sites(&self) -> Vec<(String, String)> {
        self.listed(&["system.applicationHost", "sites"], "site", "id")
    }

    /// Every application pool: name and .NET version, in the file's order.
    pub fn pools(&self) -> Vec<(String, String)> {
        self.listed(
            &["system.applicationHost", "applicationPools"],
            "add",
            "managedRuntimeVersion",
        )
    }

    /// Every application as `Site/path` with its pool.
    pub fn apps(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (site, _) in self.sites() {
            let Ok(site_path) = self.site(&site) else {
                continue;
            };
            let mut paths = self.server.application_paths(&site_path);
            paths.sort();
            for path in paths {
                let id = format!("{site}{path}");
                if let Ok(app) = self.app(&id) {
                    out.push((id, self.application_pool(&app)));
                }
            }
        }
        out
    }

    fn listed(&self, path: &[&str], item: &str, second: &str) -> Vec<(String, String)> {
        let doc = &self.server.apphost;
        let Some(parent) = crate::review::server::child_path(doc, &[], path) else {
            return Vec::new();
        };
        doc.element(&parent)
            .elements()
            .filter(|e| e.name() == item)
            .filter_map(|e| {
                let name = e.attribute("name")?.to_owned();
                Some((name, e.attribute(second).unwrap_or_default().to_owned()))
            })
            .collect()
    }
}

/// A site to create.
#[derive(Debug, Clone, Default)]
pub struct NewSite {
    pub name: String,
    pub id: Option<String>,
    pub physical_path: Option<String>,
    /// `protocol/IP:port:host`, comma-separated, as appcmd takes them.
    pub bindings: Option<String>,
}

fn pool_spec(schema: &'static Schema) -> Option<&'static schema::Element> {
    item_spec(schema, "system.applicationHost/applicationPools", 1)
}
