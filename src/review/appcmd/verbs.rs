//! appcmd's verbs turned into operations on the server
//! ([`crate::review::operations`]): `add`, `set`, `delete`, `list` of
//! `APPPOOL`, `SITE`, `APP`, `VDIR` and `BACKUP`, `set`/`clear`/`lock`/`unlock`
//! of `CONFIG`, with what appcmd prints.

use crate::iis::appcmd::{parse_path, Invocation, Operation};
use crate::iis::schema::OverrideMode;
use crate::review::operations::{
    exit, normalise_config_path, ConfigEdit, Failure, NewSite, Operations,
};

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

/// Runs one appcmd command line, already parsed.
pub(super) fn run(ops: &mut Operations, inv: &Invocation) -> Result<(), Failure> {
    let verb = inv.verb.text.to_ascii_lowercase();
    let object = inv
        .object
        .as_ref()
        .map(|o| o.text.to_ascii_lowercase().trim_end_matches('s').to_owned())
        .unwrap_or_default();
    match object.as_str() {
        "config" => config(ops, &verb, inv),
        "apppool" => apppool(ops, &verb, inv),
        "site" => site(ops, &verb, inv),
        "app" => app(ops, &verb, inv),
        "vdir" => vdir(ops, &verb, inv),
        "backup" => backup(ops, &verb, inv),
        _ => {
            ops.assume(format!(
                "`appcmd {verb} {object}` is not simulated; assumed to succeed without changing the configuration"
            ));
            Ok(())
        }
    }
}

/// The object's identifier: the word after the object, else `/NAME:`.
fn identifier<'i>(inv: &'i Invocation, name_param: &str) -> Option<&'i str> {
    inv.identifier
        .as_ref()
        .map(|a| a.text.as_str())
        .or_else(|| inv.parameter(name_param).and_then(|p| p.value.as_deref()))
}

fn required_identifier(inv: &Invocation, name_param: &str) -> Result<String, Failure> {
    identifier(inv, name_param)
        .map(str::to_owned)
        .ok_or_else(|| {
            (
                exit::INVALID_PARAMETER,
                "Must specify an identifier or a filter".to_owned(),
            )
        })
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

/// The `/attribute:value` parameters of an object command, without the
/// general ones and those in `skip`.
fn attributes(inv: &Invocation, skip: &[&str]) -> Vec<(String, String)> {
    inv.parameters
        .iter()
        .filter(|p| {
            p.operation == Operation::Set
                && !GENERAL.iter().any(|g| g.eq_ignore_ascii_case(&p.path))
                && !skip.iter().any(|s| s.eq_ignore_ascii_case(&p.path))
        })
        .map(|p| (p.path.clone(), p.value.clone().unwrap_or_default()))
        .collect()
}

/// What `list` prints: one `OBJECT "name" (key:value,...)` line per
/// object, or with `/xml` appcmd's XML (`<appcmd><SITE SITE.NAME="..." .../></appcmd>`,
/// "Getting Started with AppCmd.exe", learn.microsoft.com), which another
/// appcmd reads with `/in`.
fn print_list(ops: &mut Operations, inv: &Invocation, object: &str, rows: &[Vec<(&str, String)>]) {
    if inv.parameter("xml").is_some() {
        ops.print("<?xml version=\"1.0\" encoding=\"UTF-8\"?>".to_owned());
        ops.print("<appcmd>".to_owned());
        for row in rows {
            let attributes: Vec<String> = row
                .iter()
                .map(|(k, v)| {
                    let v = v
                        .replace('&', "&amp;")
                        .replace('<', "&lt;")
                        .replace('>', "&gt;")
                        .replace('"', "&quot;");
                    format!("{k}=\"{v}\"")
                })
                .collect();
            ops.print(format!("    <{object} {} />", attributes.join(" ")));
        }
        ops.print("</appcmd>".to_owned());
        return;
    }
    // `/text:ATTR` prints that attribute of each object, one per line
    // (`/text:name`, `/text:SITE.ID`); `/text:*` is the text form below.
    if let Some(wanted) = inv
        .parameter("text")
        .and_then(|p| p.value.as_deref())
        .filter(|w| *w != "*")
    {
        let mut state_assumed = false;
        for row in rows {
            let value = row
                .iter()
                .enumerate()
                .find(|(i, (key, _))| {
                    key.eq_ignore_ascii_case(wanted)
                        || key
                            .rsplit_once('.')
                            .is_some_and(|(_, short)| short.eq_ignore_ascii_case(wanted))
                            && (*i > 0 || wanted.eq_ignore_ascii_case("name"))
                })
                .map(|(_, (_, v))| v.clone());
            let value = match value {
                Some(v) => v,
                // Runtime state is not modelled: a server's pools and sites
                // are started unless someone stopped them.
                None if wanted.eq_ignore_ascii_case("state") => {
                    if !state_assumed {
                        state_assumed = true;
                        ops.assume(format!(
                            "`/text:state`: the review does not model runtime state; each {object} taken as Started"
                        ));
                    }
                    "Started".to_owned()
                }
                None => String::new(),
            };
            ops.print(value);
        }
        return;
    }
    for row in rows {
        let (name, rest) = row
            .split_first()
            .map_or(("", &[][..]), |(n, r)| (n.1.as_str(), r));
        // The text form's names (`SITE "x" (id:1)`, `APP "x/" (applicationPool:p)`,
        // `APPPOOL "p" (MgdVersion:v4.0)`), for what the model stores.
        let details: Vec<String> = rest
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| {
                let key = match *k {
                    "SITE.ID" => "id",
                    "APPPOOL.NAME" => "applicationPool",
                    "RuntimeVersion" => "MgdVersion",
                    other => other,
                };
                format!("{key}:{v}")
            })
            .collect();
        if details.is_empty() {
            ops.print(format!("{object} \"{name}\""));
        } else {
            ops.print(format!("{object} \"{name}\" ({})", details.join(",")));
        }
    }
}

fn unknown_verb(verb: &str, object: &str) -> Failure {
    (
        exit::INVALID_PARAMETER,
        format!("The verb \"{verb}\" is not supported on the object \"{object}\""),
    )
}

fn apppool(ops: &mut Operations, verb: &str, inv: &Invocation) -> Result<(), Failure> {
    match verb {
        "list" => {
            let listed = match identifier(inv, "apppool.name") {
                Some(name) => {
                    ops.pool(name)?;
                    ops.pools()
                        .into_iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                        .collect()
                }
                None => ops.pools(),
            };
            let rows: Vec<Vec<(&str, String)>> = listed
                .iter()
                .map(|(name, version)| {
                    vec![
                        ("APPPOOL.NAME", name.clone()),
                        ("RuntimeVersion", version.clone()),
                    ]
                })
                .collect();
            print_list(ops, inv, "APPPOOL", &rows);
            Ok(())
        }
        "add" => {
            // `/apppool.name:` names the new pool as `/name:` does (the
            // form many public provisioning scripts use).
            let name = param(inv, "apppool.name").map_or_else(|| required(inv, "name"), Ok)?;
            ops.add_pool(&name, &attributes(inv, &["name", "apppool.name"]))?;
            ops.print(format!("APPPOOL object \"{name}\" added"));
            Ok(())
        }
        "set" => {
            let name = required_identifier(inv, "apppool.name")?;
            ops.set_pool(&name, &attributes(inv, &["apppool.name"]))?;
            ops.print(format!("APPPOOL object \"{name}\" changed"));
            Ok(())
        }
        "delete" => {
            let name = required_identifier(inv, "apppool.name")?;
            ops.delete_pool(&name)?;
            ops.print(format!("APPPOOL object \"{name}\" deleted"));
            Ok(())
        }
        _ => {
            ops.runtime_only(verb, "APPPOOL");
            Ok(())
        }
    }
}

fn site(ops: &mut Operations, verb: &str, inv: &Invocation) -> Result<(), Failure> {
    match verb {
        "list" => {
            let listed = match identifier(inv, "site.name") {
                Some(name) => {
                    ops.site(name)?;
                    let id = ops
                        .sites()
                        .into_iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case(name))
                        .map_or(String::new(), |(_, id)| id);
                    vec![(name.to_owned(), id)]
                }
                None => ops.sites(),
            };
            let rows: Vec<Vec<(&str, String)>> = listed
                .iter()
                .map(|(name, id)| vec![("SITE.NAME", name.clone()), ("SITE.ID", id.clone())])
                .collect();
            print_list(ops, inv, "SITE", &rows);
            Ok(())
        }
        "add" => {
            // `/site.name:` names the new site as `/name:` does.
            let name = param(inv, "site.name").map_or_else(|| required(inv, "name"), Ok)?;
            let site = NewSite {
                name: name.clone(),
                id: param(inv, "id"),
                physical_path: param(inv, "physicalPath"),
                bindings: param(inv, "bindings"),
            };
            let skip = ["name", "site.name", "id", "bindings", "physicalPath"];
            ops.add_site(&site, &attributes(inv, &skip))?;
            ops.print(format!("SITE object \"{name}\" added"));
            Ok(())
        }
        "set" => {
            let name = required_identifier(inv, "site.name")?;
            let skip = ["site.name", "bindings", "physicalPath"];
            ops.set_site(&name, &attributes(inv, &skip))?;
            ops.print(format!("SITE object \"{name}\" changed"));
            Ok(())
        }
        "delete" => {
            let name = required_identifier(inv, "site.name")?;
            ops.delete_site(&name)?;
            ops.print(format!("SITE object \"{name}\" deleted"));
            Ok(())
        }
        _ => {
            ops.runtime_only(verb, "SITE");
            Ok(())
        }
    }
}

fn app(ops: &mut Operations, verb: &str, inv: &Invocation) -> Result<(), Failure> {
    match verb {
        "list" => {
            if let Some(id) = identifier(inv, "app.name") {
                let app = ops.app(id)?;
                // `/text:applicationPool` prints that attribute's value.
                match inv.parameter("text").and_then(|p| p.value.as_deref()) {
                    Some(name) if name.eq_ignore_ascii_case("applicationPool") => {
                        let pool = ops.application_pool(&app);
                        ops.print(pool);
                    }
                    _ => {
                        let pool = ops.application_pool(&app);
                        let row = vec![("APP.NAME", id.to_owned()), ("APPPOOL.NAME", pool)];
                        print_list(ops, inv, "APP", &[row]);
                    }
                }
            } else {
                let rows: Vec<Vec<(&str, String)>> = ops
                    .apps()
                    .into_iter()
                    .map(|(id, pool)| vec![("APP.NAME", id), ("APPPOOL.NAME", pool)])
                    .collect();
                print_list(ops, inv, "APP", &rows);
            }
            Ok(())
        }
        "add" => {
            let site_name = required(inv, "site.name")?;
            let path = required(inv, "path")?;
            let physical = param(inv, "physicalPath");
            let skip = ["site.name", "path", "physicalPath"];
            ops.add_app(
                &site_name,
                &path,
                physical.as_deref(),
                &attributes(inv, &skip),
            )?;
            let id = format!("{site_name}{path}");
            ops.print(format!("APP object \"{id}\" added"));
            if physical.is_some() {
                ops.print(format!("VDIR object \"{id}/\" added"));
            }
            Ok(())
        }
        "set" => {
            let id = required_identifier(inv, "app.name")?;
            ops.set_app(&id, &attributes(inv, &["app.name", "site.name", "path"]))?;
            ops.print(format!("APP object \"{id}\" changed"));
            Ok(())
        }
        "delete" => {
            let id = required_identifier(inv, "app.name")?;
            ops.delete_app(&id)?;
            ops.print(format!("APP object \"{id}\" deleted"));
            Ok(())
        }
        _ => Err(unknown_verb(verb, "APP")),
    }
}

fn vdir(ops: &mut Operations, verb: &str, inv: &Invocation) -> Result<(), Failure> {
    match verb {
        "list" => {
            if let Some(id) = identifier(inv, "vdir.name") {
                ops.vdir(id, false)?;
                ops.print(format!("VDIR \"{id}\""));
            }
            Ok(())
        }
        "add" => {
            let app_id = required(inv, "app.name")?;
            let path = required(inv, "path")?;
            ops.add_vdir(&app_id, &path, &attributes(inv, &["app.name", "path"]))?;
            ops.print(format!("VDIR object \"{app_id}{path}\" added"));
            Ok(())
        }
        "set" => {
            let id = required_identifier(inv, "vdir.name")?;
            ops.set_vdir(&id, &attributes(inv, &["vdir.name", "app.name"]))?;
            ops.print(format!("VDIR object \"{id}\" changed"));
            Ok(())
        }
        "delete" => {
            let id = required_identifier(inv, "vdir.name")?;
            ops.delete_vdir(&id)?;
            ops.print(format!("VDIR object \"{id}\" deleted"));
            Ok(())
        }
        _ => Err(unknown_verb(verb, "VDIR")),
    }
}

fn backup(ops: &mut Operations, verb: &str, inv: &Invocation) -> Result<(), Failure> {
    match (verb, identifier(inv, "name")) {
        ("add", Some(name)) => {
            ops.add_backup(name)?;
            ops.print(format!("BACKUP object \"{name}\" added"));
            Ok(())
        }
        ("add", None) => {
            ops.assume(
                "`add backup` without a name: IIS names it by the date; recorded".to_owned(),
            );
            Ok(())
        }
        ("restore", Some(name)) => {
            if ops.restore_backup(name) {
                ops.print(format!("Restored configuration from backup \"{name}\""));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Whether `name` is in one of .NET's own section groups, or is one of its
/// top-level sections (machine.config's `<configSections>`, learn.microsoft.com
/// "Configuration file schema for the .NET Framework").
fn is_dotnet_group(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let group = lower.split('/').next().unwrap_or("");
    [
        "system.web",
        "system.net",
        "system.servicemodel",
        "system.transactions",
        "system.data",
        "system.diagnostics",
        "system.runtime.remoting",
        "system.runtime.serialization",
        "system.xml.serialization",
        "system.identitymodel",
        "system.codedom",
        "system.windows.forms",
        "appsettings",
        "connectionstrings",
        "configprotecteddata",
        "runtime",
        "startup",
        "mscorlib",
    ]
    .contains(&group)
}

fn config(ops: &mut Operations, verb: &str, inv: &Invocation) -> Result<(), Failure> {
    // A section of .NET's own configuration (machine.config, the root
    // web.config, `system.web/...` in a web.config; appcmd edits them with
    // `/commit:MACHINE`, `/commit:WEBROOT` or a path): the model holds
    // IIS's files only, so the command is taken as succeeding.
    let machine_level = param(inv, "commit").is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c == "machine"
            || c == "webroot"
            || c.starts_with("machine/webroot") && !c.contains("apphost")
    });
    if let Some(name) = param(inv, "section").filter(|_| matches!(verb, "set" | "clear")) {
        if ops.section(&name).is_err()
            && (machine_level || is_dotnet_group(&name))
            && ops.is_dotnet_section(&name)
        {
            ops.assume(format!(
                "`-section:{name}` is a section of .NET's configuration (machine.config, the root web.config or a web.config's own), which the review does not model: `{verb} config` is assumed to succeed and its change is not shown"
            ));
            return Ok(());
        }
    }
    let section = param(inv, "section")
        .map(|name| ops.section(&name))
        .transpose()?;
    let config_path = inv
        .identifier
        .as_ref()
        .map(|a| normalise_config_path(&a.text));
    let needs_section = || {
        (
            exit::INVALID_PARAMETER,
            "Must specify the -section parameter".to_owned(),
        )
    };
    let commit = param(inv, "commit");
    match verb {
        "list" | "search" => Ok(()),
        "set" => {
            let section = section.ok_or_else(needs_section)?;
            let mut edits = Vec::new();
            for p in inv.parameters.iter().filter(|p| {
                p.operation != Operation::Set
                    || !GENERAL.iter().any(|g| g.eq_ignore_ascii_case(&p.path))
            }) {
                let path = parse_path(&p.path).map_err(|(_, m)| {
                    (
                        exit::INVALID_DATA,
                        format!("Malformed collection indexer; {m}"),
                    )
                })?;
                edits.push(ConfigEdit {
                    operation: p.operation,
                    path,
                    value: p.value.clone(),
                    written: p.argument.text.clone(),
                });
            }
            ops.edit_config(config_path.as_deref(), commit.as_deref(), &section, &edits)
        }
        "clear" => {
            let section = section.ok_or_else(needs_section)?;
            ops.clear_config(config_path.as_deref(), commit.as_deref(), &section)
        }
        "lock" | "unlock" => {
            let section = section.ok_or_else(needs_section)?;
            let mode = if verb == "lock" {
                OverrideMode::Deny
            } else {
                OverrideMode::Allow
            };
            ops.lock(config_path.as_deref().unwrap_or(""), &section, mode);
            Ok(())
        }
        _ => {
            ops.assume(format!(
                "`appcmd {verb} config` is not simulated; assumed to succeed"
            ));
            Ok(())
        }
    }
}
