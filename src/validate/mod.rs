//! Rules over the property set. Each rule returns findings; none fails.
//!
//! - `properties`: every property on its own (names, types, JSON shapes, deprecations);
//! - `urls`: `omero.web.prefix` and `omero.web.static_url`;
//! - `sessions`: session engine, caches and databases together;
//! - `mode`: what the chosen deployment mode requires.

mod mode;
mod properties;
mod sessions;
mod urls;

use crate::diagnostic::{self, Diagnostic};
use crate::settings::{Catalogue, Settings};
use crate::source::Span;

pub use urls::{static_location, UrlLayout};

/// The IIS deployment being prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// OMERO.web inside IIS through the ISAPI-WSGI DLL (the documented OMERO 5.0.3–5.2 deployment).
    #[default]
    IsapiWsgi,
    /// IIS as a reverse proxy (URL Rewrite + ARR) in front of OMERO.web under Gunicorn on
    /// another host: the IIS twin of `omero web config nginx` (current OMERO).
    ReverseProxy,
}

impl Mode {
    /// The OMERO version a mode assumes when none is given.
    pub fn default_version(self) -> crate::settings::versions::OmeroVersion {
        use crate::settings::versions;
        match self {
            Mode::IsapiWsgi => versions::LAST_ISAPI,
            Mode::ReverseProxy => versions::NEWEST,
        }
    }

    /// Reads a mode's name (`isapi-wsgi`, `reverse-proxy`).
    pub fn parse(name: &str) -> Option<Mode> {
        [Mode::IsapiWsgi, Mode::ReverseProxy]
            .into_iter()
            .find(|m| m.name() == name.trim())
    }

    /// The OMERO versions a mode is for, in words.
    pub fn omero_versions(self) -> &'static str {
        match self {
            Mode::IsapiWsgi => "OMERO 5.0.3 to 5.2.8 inside IIS",
            Mode::ReverseProxy => "current OMERO.web under Gunicorn",
        }
    }

    /// The name used on the command line and for template folders.
    pub fn name(self) -> &'static str {
        match self {
            Mode::IsapiWsgi => "isapi-wsgi",
            Mode::ReverseProxy => "reverse-proxy",
        }
    }
}

/// The IIS front end being prepared: the mode, and whether IIS serves HTTPS (`--https`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrontEnd {
    pub mode: Mode,
    /// The mode was chosen (`--mode`, or `mode` in `--deploy`), not defaulted.
    pub mode_chosen: bool,
    /// The OMERO (omero-web) version the settings are for.
    pub version: crate::settings::versions::OmeroVersion,
    pub https: bool,
}

/// Runs every rule.
pub fn validate(settings: &Settings, catalogue: &Catalogue, front: FrontEnd) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    found.extend(properties::check(settings, catalogue, front.version));
    let settings = &*settings.read_by(front.version);
    found.extend(urls::check(settings, front.mode));
    found.extend(sessions::check(
        settings,
        catalogue,
        front.mode,
        front.version,
    ));
    found.extend(mode::check(settings, catalogue, front));
    diagnostic::sort(&mut found);
    found
}

/// A property's value as OMERO would use it: the set value, else the default.
/// The span is `None` for defaults.
pub(crate) fn effective<'a>(
    settings: &'a Settings,
    catalogue: &'a Catalogue,
    key: &str,
) -> Option<(&'a str, Option<&'a Span>)> {
    match settings.get(key) {
        Some(setting) => setting.text().map(|t| (t, Some(&setting.value_span))),
        None => catalogue.get(key)?.default.map(|d| (d, None)),
    }
}

/// An `omero config set` command line a person can paste (`value = None` unsets).
pub fn config_set_command(key: &str, value: Option<&str>) -> String {
    match value {
        None => format!("omero config set {key}"),
        Some(v) => format!("omero config set {key} {}", quote_for_shell(v)),
    }
}

/// Whether a value pastes unquoted into cmd.exe and a POSIX shell alike:
/// letters, digits and `_./:@+,-` only.
pub fn is_plain_shell_word(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./:@+,-".contains(&b))
}

/// Quotes a value so that both cmd.exe (CRT argument rules) and POSIX shells
/// pass it to `omero` unchanged in the common cases.
fn quote_for_shell(value: &str) -> String {
    if is_plain_shell_word(value) {
        value.to_owned()
    } else {
        format!("\"{}\"", value.replace('"', "\\\""))
    }
}
