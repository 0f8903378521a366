//! appcmd's object verbs on the simulated server: application pools, sites,
//! applications, virtual directories and configuration backups (`add`,
//! `set`, `delete`, `list`, `start`/`stop`/`recycle`), each with appcmd's
//! own exit codes and messages.

use super::*;

impl Simulation<'_> {
    // ------------------------------------------------------------ APPPOOL

    pub(super) fn apppool(&mut self, verb: &str, inv: &Invocation) -> Result<(), Failure> {
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
                // `/apppool.name:` names the new pool as `/name:` does (the
                // form many public provisioning scripts use).
                let name = param(inv, "apppool.name").map_or_else(|| required(inv, "name"), Ok)?;
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
                let set = self.set_attributes(&pool, inv, spec, &["name", "apppool.name"])?;
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

    pub(super) fn runtime_only(&mut self, verb: &str, object: &str) {
        self.assume(format!(
            "`{verb}` changes the running state of a {object}, which the simulation does not model; assumed to succeed"
        ));
    }

    pub(super) fn required_identifier(
        &self,
        inv: &Invocation,
        name_param: &str,
    ) -> Result<String, Failure> {
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

    pub(super) fn site(&mut self, verb: &str, inv: &Invocation) -> Result<(), Failure> {
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

    pub(super) fn add_site(
        &mut self,
        inv: &Invocation,
        spec: Option<&schema::Element>,
    ) -> Result<(), Failure> {
        // `/site.name:` names the new site as `/name:` does.
        let name = param(inv, "site.name").map_or_else(|| required(inv, "name"), Ok)?;
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
            &["name", "site.name", "id", "bindings", "physicalPath"],
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

    pub(super) fn app(&mut self, verb: &str, inv: &Invocation) -> Result<(), Failure> {
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
    pub(super) fn application_pool(&self, app: &[usize]) -> String {
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

    pub(super) fn find_app(&self, id: &str) -> Result<Vec<usize>, Failure> {
        let (site_name, rest) = split_site(id);
        let site = self
            .server
            .site(site_name)
            .ok_or_else(|| not_found("APP", id))?;
        self.server
            .application(&site, &format!("/{rest}"))
            .ok_or_else(|| not_found("APP", id))
    }

    pub(super) fn add_app(
        &mut self,
        inv: &Invocation,
        spec: Option<&schema::Element>,
    ) -> Result<(), Failure> {
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

    pub(super) fn vdir(&mut self, verb: &str, inv: &Invocation) -> Result<(), Failure> {
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
    pub(super) fn find_vdir(&self, id: &str, exact: bool) -> Result<Vec<usize>, Failure> {
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

    pub(super) fn backup(&mut self, verb: &str, inv: &Invocation) -> Result<(), Failure> {
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
}
