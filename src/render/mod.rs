//! Plan → artifacts, through minijinja templates (embedded, overridable with
//! `--templates DIR`). Rendering is pure: templates are loaded by the caller
//! ([`TemplateSet::load`]), and [`render`] only turns a plan into bytes.
//!
//! Safety: XML templates auto-escape every value for XML; batch templates
//! refuse any value that did not go through a cmd filter (`cmd`, `cmd_echo`,
//! `cmd_comment`, `appcmd_item`), and PowerShell templates any value that did
//! not go through `ps` (a single-quoted literal), so a template cannot forget
//! to escape.

pub mod escape;
pub mod guard;

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use thiserror::Error;

use crate::deploy::Plan;

/// What `gen` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// `web/web.config` (the OMERO.web application) and `static/web.config`.
    #[value(name = "web.config")]
    WebConfig,
    /// `applicationHost.fragment.xml`: pool, applications, restriction, locks.
    Apphost,
    /// `install.cmd`, `uninstall.cmd` and the admin's `README.txt`.
    Scripts,
    /// Everything above.
    All,
}

impl Target {
    pub fn includes_scripts(self) -> bool {
        matches!(self, Target::Scripts | Target::All)
    }
}

/// Which install and uninstall scripts `gen scripts` (and `gen all`) writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Shell {
    /// `install.cmd` and `uninstall.cmd` (appcmd).
    Cmd,
    /// `install.ps1` and `uninstall.ps1` (WebAdministration module).
    Powershell,
    /// Both pairs.
    #[default]
    Both,
}

impl Shell {
    pub fn cmd(self) -> bool {
        matches!(self, Shell::Cmd | Shell::Both)
    }

    pub fn powershell(self) -> bool {
        matches!(self, Shell::Powershell | Shell::Both)
    }
}

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Relative path with `/` separators, e.g. `web/web.config`.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// How an artifact is written: which template, and for which syntax.
struct ArtifactKind {
    path: &'static str,
    template: &'static str,
    syntax: Syntax,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Xml,
    Html,
    Batch,
    PowerShell,
    Text,
}

const WEB_CONFIG: ArtifactKind = ArtifactKind {
    path: "web/web.config",
    template: "web.config.jinja",
    syntax: Syntax::Xml,
};
const STATIC_WEB_CONFIG: ArtifactKind = ArtifactKind {
    path: "static/web.config",
    template: "static.web.config.jinja",
    syntax: Syntax::Xml,
};
const APPHOST: ArtifactKind = ArtifactKind {
    path: "applicationHost.fragment.xml",
    template: "applicationHost.fragment.xml.jinja",
    syntax: Syntax::Xml,
};
const INSTALL: ArtifactKind = ArtifactKind {
    path: "install.cmd",
    template: "install.cmd.jinja",
    syntax: Syntax::Batch,
};
const UNINSTALL: ArtifactKind = ArtifactKind {
    path: "uninstall.cmd",
    template: "uninstall.cmd.jinja",
    syntax: Syntax::Batch,
};
const MAINTENANCE_PAGE: ArtifactKind = ArtifactKind {
    path: "web/omero-maintenance.html",
    template: "maintenance.html.jinja",
    syntax: Syntax::Html,
};
const INSTALL_PS: ArtifactKind = ArtifactKind {
    path: "install.ps1",
    template: "install.ps1.jinja",
    syntax: Syntax::PowerShell,
};
const UNINSTALL_PS: ArtifactKind = ArtifactKind {
    path: "uninstall.ps1",
    template: "uninstall.ps1.jinja",
    syntax: Syntax::PowerShell,
};
const README: ArtifactKind = ArtifactKind {
    path: "README.txt",
    template: "README.txt.jinja",
    syntax: Syntax::Text,
};

/// Embedded templates, by `<mode>/<name>`.
const EMBEDDED: &[(&str, &str)] = &[
    (
        "isapi-wsgi/web.config.jinja",
        include_str!("../../templates/isapi-wsgi/web.config.jinja"),
    ),
    (
        "isapi-wsgi/static.web.config.jinja",
        include_str!("../../templates/isapi-wsgi/static.web.config.jinja"),
    ),
    (
        "isapi-wsgi/applicationHost.fragment.xml.jinja",
        include_str!("../../templates/isapi-wsgi/applicationHost.fragment.xml.jinja"),
    ),
    (
        "isapi-wsgi/install.cmd.jinja",
        include_str!("../../templates/isapi-wsgi/install.cmd.jinja"),
    ),
    (
        "isapi-wsgi/uninstall.cmd.jinja",
        include_str!("../../templates/isapi-wsgi/uninstall.cmd.jinja"),
    ),
    (
        "isapi-wsgi/README.txt.jinja",
        include_str!("../../templates/isapi-wsgi/README.txt.jinja"),
    ),
    (
        "reverse-proxy/web.config.jinja",
        include_str!("../../templates/reverse-proxy/web.config.jinja"),
    ),
    (
        "reverse-proxy/static.web.config.jinja",
        include_str!("../../templates/reverse-proxy/static.web.config.jinja"),
    ),
    (
        "reverse-proxy/applicationHost.fragment.xml.jinja",
        include_str!("../../templates/reverse-proxy/applicationHost.fragment.xml.jinja"),
    ),
    (
        "reverse-proxy/install.cmd.jinja",
        include_str!("../../templates/reverse-proxy/install.cmd.jinja"),
    ),
    (
        "reverse-proxy/uninstall.cmd.jinja",
        include_str!("../../templates/reverse-proxy/uninstall.cmd.jinja"),
    ),
    (
        "reverse-proxy/README.txt.jinja",
        include_str!("../../templates/reverse-proxy/README.txt.jinja"),
    ),
    (
        "reverse-proxy/maintenance.html.jinja",
        include_str!("../../templates/reverse-proxy/maintenance.html.jinja"),
    ),
    (
        "isapi-wsgi/install.ps1.jinja",
        include_str!("../../templates/isapi-wsgi/install.ps1.jinja"),
    ),
    (
        "isapi-wsgi/uninstall.ps1.jinja",
        include_str!("../../templates/isapi-wsgi/uninstall.ps1.jinja"),
    ),
    (
        "reverse-proxy/install.ps1.jinja",
        include_str!("../../templates/reverse-proxy/install.ps1.jinja"),
    ),
    (
        "reverse-proxy/uninstall.ps1.jinja",
        include_str!("../../templates/reverse-proxy/uninstall.ps1.jinja"),
    ),
];

/// The templates to render with: the embedded ones, with overrides read from disk.
#[derive(Debug, Clone, Default)]
pub struct TemplateSet {
    overrides: BTreeMap<String, String>,
}

impl TemplateSet {
    /// Reads every override that exists under `dir` (same relative names as the
    /// embedded templates, e.g. `isapi-wsgi/install.cmd.jinja`).
    pub fn load(dir: &Path) -> Result<TemplateSet, std::io::Error> {
        if !dir.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("template directory {} does not exist", dir.display()),
            ));
        }
        let mut overrides = BTreeMap::new();
        for (name, _) in EMBEDDED {
            let path = dir.join(name);
            if path.exists() {
                overrides.insert((*name).to_owned(), std::fs::read_to_string(&path)?);
            }
        }
        Ok(TemplateSet { overrides })
    }

    /// Embedded template names, for `--templates` documentation and tests.
    pub fn names() -> impl Iterator<Item = &'static str> {
        EMBEDDED.iter().map(|(name, _)| *name)
    }

    /// A template's text; one holding the guard's marks is refused.
    fn source(&self, name: &str) -> Result<Option<String>, minijinja::Error> {
        let text = self.overrides.get(name).cloned().or_else(|| {
            EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| (*t).to_owned())
        });
        if text
            .as_deref()
            .is_some_and(|t| t.contains([guard::MARK_START, guard::MARK_END]))
        {
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                "the template contains U+E000 or U+E001, which the escaping guard uses",
            ));
        }
        Ok(text)
    }
}

/// Rendering failed: a template error, or a value a template tried to write
/// unescaped or that its escaper refused.
#[derive(Debug, Error)]
#[error("cannot render {artifact}: {message}")]
pub struct RenderError {
    pub artifact: String,
    pub message: String,
}

/// Renders the artifacts of `target` for a plan. Pure: same plan, same bytes.
pub fn render(
    plan: &Plan,
    target: Target,
    shell: Shell,
    templates: &TemplateSet,
) -> Result<Vec<Artifact>, RenderError> {
    let mut kinds = Vec::new();
    if matches!(target, Target::WebConfig | Target::All) {
        kinds.push(&WEB_CONFIG);
        if plan.proxy.is_some() {
            kinds.push(&MAINTENANCE_PAGE);
        }
        if plan.static_app.is_some() {
            kinds.push(&STATIC_WEB_CONFIG);
        }
    }
    if matches!(target, Target::Apphost | Target::All) {
        kinds.push(&APPHOST);
    }
    if target.includes_scripts() {
        if shell.cmd() {
            kinds.extend([&INSTALL, &UNINSTALL]);
        }
        if shell.powershell() {
            kinds.extend([&INSTALL_PS, &UNINSTALL_PS]);
        }
        kinds.push(&README);
    }
    kinds
        .into_iter()
        .map(|kind| {
            // One environment per artifact: its formatter escapes for this
            // artifact's file type, whatever template `{% include %}` or
            // `{% extends %}` brings in.
            let target = guard::TemplateTarget::of(kind.template);
            render_one(&environment(templates, target), plan, shell, kind)
        })
        .collect()
}

fn render_one(
    env: &Environment<'_>,
    plan: &Plan,
    shell: Shell,
    kind: &ArtifactKind,
) -> Result<Artifact, RenderError> {
    let fail = |message: String| RenderError {
        artifact: kind.path.to_owned(),
        message,
    };
    let name = format!("{}/{}", plan.mode.name(), kind.template);
    let template = env.get_template(&name).map_err(|e| fail(with_causes(&e)))?;
    let text = template
        .render(minijinja::context! {
            plan => Value::from(minijinja::value::Serde(plan)),
            artifact => kind.path,
            // Which script pairs exist, for the README.
            cmd_scripts => shell.cmd(),
            ps_scripts => shell.powershell(),
        })
        .map_err(|e| fail(with_causes(&e)))?;
    let text = guard::check_places(&text).map_err(fail)?;
    if matches!(kind.syntax, Syntax::Xml | Syntax::Html) {
        if let Some(at) = escape::bad_xml_comment(&text) {
            let line = text[..at].matches('\n').count() + 1;
            return Err(fail(format!(
                "line {line}: a comment holds `--` or ends with `-`, which XML does not allow \
                 (IIS answers 500.19); pass values shown in comments through the xml_comment filter"
            )));
        }
    }
    // Windows tools expect CRLF; batch files need it (labels fail with LF).
    let text = with_crlf(&text);
    if kind.syntax == Syntax::Batch && !text.is_ascii() {
        return Err(fail(
            "batch output must be ASCII (a template contains non-ASCII text)".to_owned(),
        ));
    }
    let mut bytes = Vec::with_capacity(text.len() + 3);
    // Windows PowerShell 5.1 reads a BOM-less script in the ANSI code page
    // (about_Character_Encoding, PowerShell 5.1 reference on learn.microsoft.com): non-ASCII text needs the UTF-8 BOM.
    if kind.syntax == Syntax::PowerShell && !text.is_ascii() {
        bytes.extend_from_slice(b"\xEF\xBB\xBF");
    }
    bytes.extend_from_slice(text.as_bytes());
    Ok(Artifact {
        path: kind.path.to_owned(),
        bytes,
    })
}

/// `text` with every line feed that no carriage return precedes turned into
/// CR LF, in one pass (two `str::replace` calls were 8 % of `gen all`).
fn with_crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut start = 0;
    for at in memchr::memchr_iter(b'\n', text.as_bytes()) {
        out.push_str(&text[start..at]);
        if !out.ends_with('\r') {
            out.push('\r');
        }
        out.push('\n');
        start = at + 1;
    }
    out.push_str(&text[start..]);
    out
}

fn environment(templates: &TemplateSet, target: guard::TemplateTarget) -> Environment<'static> {
    use guard::{Escaped, Escaper, TemplateTarget};
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("default delimiters are valid");
    env.set_syntax(syntax);
    let templates = templates.clone();
    env.set_loader(move |name| templates.source(name));
    // The formatter below escapes for `target`, the artifact's file type;
    // the auto-escape setting only keeps minijinja's own machinery consistent.
    env.set_auto_escape_callback(move |_| match target {
        TemplateTarget::Xml => AutoEscape::Custom("xml".into()),
        TemplateTarget::Batch => AutoEscape::Custom("cmd".into()),
        TemplateTarget::PowerShell => AutoEscape::Custom("ps".into()),
        TemplateTarget::Text => AutoEscape::None,
    });
    // Filters that would print a value unescaped or mark it escaped.
    for name in ["safe", "escape", "e", "tojson"] {
        env.remove_filter(name);
    }
    env.set_formatter(move |out, _state, value| {
        let text = value.to_string();
        if text.contains([guard::MARK_START, guard::MARK_END]) {
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                "a value holds U+E000 or U+E001, which the escaping guard reserves",
            ));
        }
        let escaped = match value.downcast_object_ref::<Escaped>() {
            Some(e) if e.escaper.serves(target) => guard::marked(e.escaper, &e.text),
            _ if value.is_number() || target == TemplateTarget::Text => text,
            Some(e) => {
                return Err(minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("the `{}` filter escapes for another kind of file than this template writes", e.escaper.filter()),
                ))
            }
            None if target == TemplateTarget::Xml => {
                escape::xml(&text).map_err(unsafe_value)?.into_owned()
            }
            None if target == TemplateTarget::Batch => {
                return Err(minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("value {value:?} must come straight from a cmd filter (cmd, cmd_echo, cmd_comment, appcmd_item)"),
                ))
            }
            None => {
                return Err(minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    format!("value {value:?} must come straight from a PowerShell filter (ps, ps_comment)"),
                ))
            }
        };
        out.write_str(&escaped).map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "write failed"))
    });
    let filter = |escaper: Escaper, f: fn(&str) -> Result<String, escape::Unsafe>| {
        move |value: String| -> Result<Value, minijinja::Error> {
            if value.contains([guard::MARK_START, guard::MARK_END]) {
                return Err(minijinja::Error::new(
                    ErrorKind::InvalidOperation,
                    "a value holds U+E000 or U+E001, which the escaping guard reserves",
                ));
            }
            let text = f(&value).map_err(unsafe_value)?;
            Ok(Value::from_object(Escaped { escaper, text }))
        }
    };
    env.add_filter("cmd", filter(Escaper::CmdArgument, escape::cmd_argument));
    env.add_filter("cmd_echo", filter(Escaper::CmdEcho, escape::cmd_echo));
    env.add_filter(
        "cmd_comment",
        filter(Escaper::CmdComment, escape::cmd_comment),
    );
    env.add_filter(
        "appcmd_item",
        filter(Escaper::AppcmdItem, escape::appcmd_item),
    );
    env.add_filter("ps", filter(Escaper::PsLiteral, escape::ps_literal));
    env.add_filter("ps_comment", filter(Escaper::PsComment, escape::ps_comment));
    env.add_filter(
        "xml_comment",
        filter(Escaper::XmlComment, escape::xml_comment),
    );
    env.add_filter("winjoin", |folder: String, name: String| -> String {
        crate::deploy::join_windows_path(&folder, &name)
    });
    env
}

/// A template error with the errors behind it (an error inside an
/// `{% include %}` is the cause of "could not render include").
fn with_causes(error: &minijinja::Error) -> String {
    let mut text = format!("{error:#}");
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        text.push_str(&format!("\ncaused by: {inner}"));
        cause = inner.source();
    }
    text
}

fn unsafe_value(e: escape::Unsafe) -> minijinja::Error {
    minijinja::Error::new(ErrorKind::InvalidOperation, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::with_crlf;
    use proptest::prelude::*;

    #[test]
    fn line_feeds_become_crlf_once() {
        assert_eq!(with_crlf("a\nb\r\nc\n\n"), "a\r\nb\r\nc\r\n\r\n");
        assert_eq!(with_crlf("\r\r\n\ra"), "\r\r\n\ra");
        assert_eq!(with_crlf(""), "");
        assert_eq!(with_crlf("\n"), "\r\n");
    }

    proptest! {
        /// The same as normalizing to LF and then writing every LF as CR LF.
        #[test]
        fn with_crlf_is_the_two_replacements(text in "[ab\r\n\u{e9}]{0,40}") {
            let expected = text.replace("\r\n", "\n").replace('\n', "\r\n");
            prop_assert_eq!(with_crlf(&text), expected);
        }
    }
}
