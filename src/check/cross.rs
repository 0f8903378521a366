//! Checks across the files of one deployment (a `gen` output folder, or the
//! files given together): the pool, applications and ISAPI DLL agree between
//! the scripts, the applicationHost fragment and the web.config files, and the
//! static files application is not served by the application's wildcard handler.

use std::path::{Path, PathBuf};

use super::batch::ScriptCommand;
use super::facts::{AppFact, ServerFacts, WebConfigFacts, POOLS_SHOWN};
use crate::diagnostic::{Code, Diagnostic};
use crate::iis::appcmd::Operation;
use crate::source::Span;

/// What the files of one run said.
#[derive(Default)]
pub struct Deployment {
    /// applicationHost fragments of this deployment: their applications are compared with the scripts'.
    pub server: Vec<ServerFacts>,
    /// Complete applicationHost.config files (inputs or `--apphost`): they define pools and ISAPI entries only.
    pub servers: Vec<ServerFacts>,
    pub web_configs: Vec<(PathBuf, WebConfigFacts)>,
    pub scripts: Vec<(PathBuf, Vec<ScriptCommand>)>,
}

/// Names for a help text: the first [`POOLS_SHOWN`] of `count` names.
fn name_list<'a>(names: impl IntoIterator<Item = &'a String>, count: usize) -> String {
    let shown: Vec<&str> = names
        .into_iter()
        .take(POOLS_SHOWN)
        .map(String::as_str)
        .collect();
    let mut list = shown.join(", ");
    if count > shown.len() {
        list.push_str(&format!(" and {} more", count - shown.len()));
    }
    list
}

/// Names and paths compare without case and without a trailing `\`.
fn same(a: &str, b: &str) -> bool {
    a.trim_end_matches('\\')
        .eq_ignore_ascii_case(b.trim_end_matches('\\'))
}

/// What [`same`] compares, for looking names up: `same(a, b)` exactly when
/// `same_key(a) == same_key(b)`.
pub fn same_key(name: &str) -> String {
    name.trim_end_matches('\\').to_ascii_lowercase()
}

/// An application as a script creates it.
struct ScriptApp {
    site: String,
    path: String,
    physical_path: Option<String>,
    span: Span,
}

fn script_apps(deployment: &Deployment) -> Vec<ScriptApp> {
    let mut apps = Vec::new();
    for (_, commands) in &deployment.scripts {
        for c in commands {
            let Some(inv) = &c.invocation else { continue };
            let is = |verb: &str, object: &str| {
                inv.verb.text.eq_ignore_ascii_case(verb)
                    && inv
                        .object
                        .as_ref()
                        .is_some_and(|o| o.text.eq_ignore_ascii_case(object))
            };
            if is("add", "app") {
                let value = |name: &str| inv.parameter(name).and_then(|p| p.value.clone());
                if let (Some(site), Some(path)) = (value("site.name"), value("path")) {
                    apps.push(ScriptApp {
                        site,
                        path,
                        physical_path: value("physicalPath"),
                        span: c.span.clone(),
                    });
                }
            }
        }
    }
    apps
}

/// The pools [`check`] looks up (by [`same_key`]): those the scripts assign
/// and those the fragments' applications run in. Known before the
/// applicationHost files are read, so only these of their pools are kept.
pub fn wanted_pools<'a>(
    scripts: impl IntoIterator<Item = &'a [ScriptCommand]>,
    fragments: &[ServerFacts],
) -> foldhash::HashSet<String> {
    let (_, used) = script_pools(scripts);
    let apps = fragments.iter().flat_map(|s| &s.applications);
    pools_used(used, apps)
        .iter()
        .map(|(pool, _)| same_key(pool))
        .collect()
}

/// The pools the scripts assign (`script_used`, from [`script_pools`]) and
/// the pools the fragments' applications run in, with where.
fn pools_used<'a>(
    script_used: Vec<(String, Span)>,
    fragment_apps: impl IntoIterator<Item = &'a AppFact>,
) -> Vec<(String, Span)> {
    let fragment_used = fragment_apps
        .into_iter()
        .filter_map(|a| a.pool.clone().map(|p| (p, a.span.clone())));
    script_used.into_iter().chain(fragment_used).collect()
}

/// Pools scripts create and pools they assign, with where.
fn script_pools<'a>(
    scripts: impl IntoIterator<Item = &'a [ScriptCommand]>,
) -> (Vec<String>, Vec<(String, Span)>) {
    let mut created = Vec::new();
    let mut used = Vec::new();
    for commands in scripts {
        for c in commands {
            let Some(inv) = &c.invocation else { continue };
            let object = inv
                .object
                .as_ref()
                .map(|o| o.text.to_ascii_lowercase())
                .unwrap_or_default();
            let verb = inv.verb.text.to_ascii_lowercase();
            if object == "apppool" && verb == "add" {
                if let Some(name) = inv.parameter("name").and_then(|p| p.value.clone()) {
                    created.push(name);
                }
            }
            if object == "app" && (verb == "set" || verb == "add") {
                if let Some(pool) = inv
                    .parameter("applicationPool")
                    .and_then(|p| p.value.clone())
                {
                    used.push((pool, c.span.clone()));
                }
            }
        }
    }
    (created, used)
}

/// ISAPI paths a script allows in isapiCgiRestriction.
fn script_isapi(deployment: &Deployment) -> Vec<String> {
    let mut out = Vec::new();
    for (_, commands) in &deployment.scripts {
        for c in commands {
            let Some(inv) = &c.invocation else { continue };
            for p in inv
                .parameters
                .iter()
                .filter(|p| p.operation == Operation::Add)
            {
                if let Ok(segments) = crate::iis::appcmd::parse_path(&p.path) {
                    for s in segments {
                        if let crate::iis::appcmd::Segment::Indexer { pairs, .. } = s {
                            let get = |n: &str| {
                                pairs
                                    .iter()
                                    .find(|(k, _)| k.eq_ignore_ascii_case(n))
                                    .map(|(_, v)| v.clone())
                            };
                            if let (Some(path), Some(allowed)) = (get("path"), get("allowed")) {
                                if allowed.eq_ignore_ascii_case("true") {
                                    out.push(path);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// Maps each web.config given to the server folder a script copies it to.
fn copied_to(deployment: &Deployment) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for (script, commands) in &deployment.scripts {
        let dir = script.parent().unwrap_or(Path::new(""));
        for c in commands.iter().filter(|c| c.program == "copy") {
            let args: Vec<&str> = c
                .arguments
                .iter()
                .map(|a| a.text.as_str())
                .filter(|a| !a.starts_with('/'))
                .collect();
            let [from, to] = args[..] else { continue };
            // `%~dp0web\web.config`, or `%HERE%web\web.config` where HERE holds %~dp0.
            let relative = match from.strip_prefix("%~dp0") {
                Some(rest) => rest,
                None => match from.strip_prefix('%').and_then(|r| r.split_once('%')) {
                    Some((_, rest)) => rest,
                    None => continue,
                },
            };
            let local = dir.join(relative.replace('\\', "/"));
            if let Some(folder) = to.rsplit_once('\\').map(|(f, _)| f.to_owned()) {
                out.push((local, folder));
            }
        }
    }
    out
}

pub fn check(deployment: &Deployment) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let fragment_apps: Vec<&AppFact> = deployment
        .server
        .iter()
        .flat_map(|s| &s.applications)
        .collect();
    let script_apps = script_apps(deployment);
    // Applications: the scripts and the fragment describe the same ones.
    if !fragment_apps.is_empty() && !script_apps.is_empty() {
        for app in &script_apps {
            match fragment_apps.iter().find(|f| same(&f.site, &app.site) && same(&f.path, &app.path)) {
                None => out.push(
                    Diagnostic::new(Code::CrossFileMismatch, format!("the script creates `{}{}`, which the applicationHost fragment does not have", app.site, app.path))
                        .at(Some(&app.span))
                        .help("regenerate all files from the same settings (omero-iis gen all), or correct one of them"),
                ),
                Some(f) => {
                    if let (Some(a), Some(b)) = (&app.physical_path, &f.physical_path) {
                        if !same(a, b) {
                            out.push(
                                Diagnostic::new(Code::CrossFileMismatch, format!("the script puts `{}{}` in `{a}`, the fragment in `{b}`", app.site, app.path))
                                    .at(Some(&app.span))
                                    .note(format!("the fragment's application: {}", f.span.display()))
                                    .help("regenerate all files from the same settings, or correct one of them"),
                            );
                        }
                    }
                }
            }
        }
        for f in &fragment_apps {
            if !script_apps
                .iter()
                .any(|a| same(&f.site, &a.site) && same(&f.path, &a.path))
            {
                out.push(
                    Diagnostic::new(
                        Code::CrossFileMismatch,
                        format!(
                            "the fragment has `{}{}`, which no script creates",
                            f.site, f.path
                        ),
                    )
                    .at(Some(&f.span))
                    .help("regenerate all files from the same settings, or correct one of them"),
                );
            }
        }
    }
    // Pools: every pool an application uses is defined.
    let (created, used) = script_pools(deployment.scripts.iter().map(|(_, c)| c.as_slice()));
    let wanted = pools_used(used, fragment_apps.iter().copied());
    let servers = || deployment.server.iter().chain(&deployment.servers);
    let count = servers().map(|s| s.pool_count).sum::<usize>() + created.len();
    if !wanted.is_empty() && count > 0 {
        // Looked up by key, not by a search through the list. The servers
        // kept the pools that are wanted (see `wanted_pools`).
        let known: foldhash::HashSet<String> = servers()
            .flat_map(|s| s.pools.iter().map(|p| same_key(&p.0)))
            .chain(created.iter().map(|c| same_key(c)))
            .collect();
        let names = servers().flat_map(|s| &s.pool_names).chain(&created);
        let defined = name_list(names, count);
        for (pool, span) in wanted {
            // `%2`, `%POOL%`: a script's argument or a variable `check`
            // cannot know; `review` follows what it holds.
            let unresolved = is_unresolved_reference(&pool);
            if !unresolved && !known.contains(&same_key(&pool)) {
                out.push(
                    Diagnostic::new(
                        Code::CrossFileMismatch,
                        format!("application pool `{pool}` is used but no file creates it"),
                    )
                    .at(Some(&span))
                    .help(format!("pools defined here: {defined}")),
                );
            }
        }
    }
    // ISAPI handlers: the DLL is allowed in isapiCgiRestriction.
    let allowed: Vec<String> = deployment
        .server
        .iter()
        .chain(&deployment.servers)
        .flat_map(|s| s.allowed_isapi.iter().map(|a| a.0.clone()))
        .chain(script_isapi(deployment))
        .collect();
    if !allowed.is_empty() {
        for (_, web) in &deployment.web_configs {
            for h in web
                .handlers
                .iter()
                .filter(|h| h.modules.eq_ignore_ascii_case("IsapiModule"))
            {
                if let Some(dll) = &h.script_processor {
                    if !allowed.iter().any(|a| same(a, dll)) {
                        out.push(
                            Diagnostic::new(Code::CrossFileMismatch, format!("the handler runs `{dll}`, which isapiCgiRestriction does not allow"))
                                .at(Some(&h.span))
                                .help(format!("allowed here: {}", allowed.join(", ")))
                                .note("IIS answers requests for a DLL outside the restriction list with HTTP 404.2"),
                        );
                    }
                }
            }
        }
    }
    out.extend(static_swallowed(deployment, &fragment_apps, &script_apps));
    out
}

/// A wildcard handler inherited into a nested application serves its requests too.
fn static_swallowed(
    deployment: &Deployment,
    fragment_apps: &[&AppFact],
    script_apps: &[ScriptApp],
) -> Vec<Diagnostic> {
    let mut apps: Vec<(String, String)> = fragment_apps
        .iter()
        .filter_map(|a| Some((a.path.clone(), a.physical_path.clone()?)))
        .collect();
    apps.extend(
        script_apps
            .iter()
            .filter_map(|a| Some((a.path.clone(), a.physical_path.clone()?))),
    );
    apps.sort_by_key(|(path, folder)| (path.to_ascii_lowercase(), folder.to_ascii_lowercase()));
    apps.dedup_by(|a, b| same(&a.0, &b.0) && same(&a.1, &b.1));
    let copies = copied_to(deployment);
    let app_of = |file: &Path| -> Option<String> {
        let folder = copies
            .iter()
            .find(|(local, _)| local == file)
            .map(|(_, f)| f.clone())?;
        apps.iter()
            .find(|(_, p)| same(p, &folder))
            .map(|(path, _)| path.clone())
    };
    let mut out = Vec::new();
    for (file, web) in &deployment.web_configs {
        let Some(app) = app_of(file) else { continue };
        for h in web.handlers.iter().filter(|h| {
            h.path == "*"
                && h.inherited_by_children
                && !h.modules.eq_ignore_ascii_case("StaticFileModule")
        }) {
            for (child, _) in apps.iter().filter(|(p, _)| {
                p.len() > app.len()
                    && p.to_ascii_lowercase()
                        .starts_with(&format!("{}/", app.to_ascii_lowercase()))
            }) {
                let child_clears = deployment.web_configs.iter().any(|(f, w)| {
                    app_of(f).as_deref() == Some(child.as_str()) && w.clears_handlers
                });
                if !child_clears {
                    out.push(
                        Diagnostic::new(Code::StaticSwallowed, format!("the wildcard handler of `{app}` also serves the nested application `{child}`"))
                            .at(Some(&h.span))
                            .help("wrap the handlers in <location path=\".\" inheritInChildApplications=\"false\">, or <clear/> the handlers in the nested application's web.config")
                            .note("static files would go through the application instead of IIS's static file handler"),
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::name_list;

    #[test]
    fn a_long_list_of_names_is_cut_with_a_count() {
        let few: Vec<String> = ["A", "B"].map(String::from).to_vec();
        assert_eq!(name_list(&few, 2), "A, B");
        let many: Vec<String> = (1..=45_000).map(|n| format!("Pool{n}")).collect();
        let list = name_list(&many, many.len());
        assert!(list.starts_with("Pool1, Pool2, "), "{list}");
        assert!(list.ends_with("Pool10 and 44990 more"), "{list}");
        // Only the first names are kept of a hosting server's pools; the rest are counted.
        assert_eq!(name_list(&many[..10], 45_000), list);
    }
}

/// Whether a name still holds a cmd reference `check` could not resolve: an
/// argument (`%1`, `%~1`, `%*`) or a variable (`%NAME%`, `!NAME!`). A lone
/// `%` or `!` is part of the name.
fn is_unresolved_reference(name: &str) -> bool {
    let argument = name.match_indices('%').any(|(i, _)| {
        name[i + 1..].starts_with(|c: char| c.is_ascii_digit() || c == '*' || c == '~')
    });
    let variable = |mark: char| {
        let mut parts = name.split(mark);
        parts.next();
        let inner: Vec<&str> = parts.collect();
        // Between two marks (with more text after): a variable name.
        inner.len() >= 2
            && inner[..inner.len() - 1]
                .iter()
                .any(|v| !v.is_empty() && !v.contains(char::is_whitespace))
    };
    argument || variable('%') || variable('!')
}

#[cfg(test)]
mod reference_tests {
    use super::is_unresolved_reference;

    #[test]
    fn references_and_names() {
        for reference in ["%2", "%~1", "%*", "%POOL%", "x!P!y"] {
            assert!(is_unresolved_reference(reference), "{reference}");
        }
        for name in ["OMERO lab (test) 100% ^!'", "omeroweb", "50% off", "a!b"] {
            assert!(!is_unresolved_reference(name), "{name}");
        }
    }
}
