//! `omero.web.prefix` and `omero.web.static_url`: the two URL paths IIS must
//! serve (ome/omero-web omeroweb/settings.py; ome/openmicroscopy PR #4110).

use super::{config_set_command, properties::sub_span, Mode};
use crate::diagnostic::{Code, Diagnostic};
use crate::settings::Settings;
use crate::source::Span;

/// Where the old `omero web iis` put OMERO.web when the prefix was unset.
pub const FALLBACK_APP_PATH: &str = "/omero";

/// The URL paths the IIS applications get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlLayout {
    /// `/omero`: the prefix without trailing `/`, or [`FALLBACK_APP_PATH`].
    pub app_path: String,
    /// True when `omero.web.prefix` (or its deprecated alias) is set.
    pub prefix_is_set: bool,
    /// `/static`, or `None` when static files are served from another host.
    pub static_path: Option<String>,
}

impl UrlLayout {
    /// The layout for a mode: with the prefix unset, isapi-wsgi uses `/omero`
    /// (as `omero web iis` did) and reverse-proxy the site root (as OMERO's nginx template).
    pub fn from_settings(settings: &Settings, mode: Mode) -> UrlLayout {
        let prefix = effective_prefix(settings).map(|(p, _)| p.trim_end_matches('/').to_owned());
        let static_url = settings.text("omero.web.static_url").unwrap_or("/static/");
        let unset = match mode {
            Mode::IsapiWsgi => FALLBACK_APP_PATH,
            Mode::ReverseProxy => "/",
        };
        UrlLayout {
            prefix_is_set: prefix.is_some(),
            app_path: prefix
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| unset.to_owned()),
            static_path: match static_location(static_url) {
                StaticLocation::Path(p) => Some(p),
                StaticLocation::Elsewhere => None,
            },
        }
    }

    /// True when the static application lies inside the OMERO.web application.
    pub fn static_is_nested(&self) -> bool {
        let app = self.app_path.trim_end_matches('/');
        self.static_path
            .as_deref()
            .is_some_and(|s| s.len() > app.len() + 1 && s.starts_with(&format!("{app}/")))
    }

    /// True when OMERO.web is served at the site root.
    pub fn app_is_root(&self) -> bool {
        self.app_path == "/"
    }
}

/// Where static files live according to `omero.web.static_url`.
#[derive(Debug, PartialEq, Eq)]
pub enum StaticLocation {
    /// A path on this site, without trailing `/` (`/static`).
    Path(String),
    /// An absolute URL: another server serves them.
    Elsewhere,
}

pub fn static_location(static_url: &str) -> StaticLocation {
    if is_absolute_http_url(static_url) {
        StaticLocation::Elsewhere
    } else {
        StaticLocation::Path(static_url.trim_end_matches('/').to_owned())
    }
}

fn is_absolute_http_url(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// `omero.web.prefix`, else the deprecated `omero.web.force_script_name`
/// (OMERO uses the alias only when the prefix is unset).
fn effective_prefix(settings: &Settings) -> Option<(&str, &Span)> {
    ["omero.web.prefix", "omero.web.force_script_name"]
        .iter()
        .find_map(|key| settings.get(key))
        .and_then(|s| s.text().map(|t| (t, &s.value_span)))
}

pub fn check(settings: &Settings, mode: Mode) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let prefix_key = if settings.is_set("omero.web.prefix") {
        "omero.web.prefix"
    } else {
        "omero.web.force_script_name"
    };
    if let Some((prefix, span)) = effective_prefix(settings) {
        found.extend(check_prefix(prefix_key, prefix, span, mode));
    }
    found.extend(check_static_url(settings, mode));
    found
}

fn check_prefix(key: &str, prefix: &str, span: &Span, mode: Mode) -> Vec<Diagnostic> {
    let fixed = format!("/{}", prefix.trim_matches('/'));
    let fix = if fixed == "/" {
        config_set_command(key, None)
    } else {
        config_set_command(key, Some(&fixed))
    };
    if prefix.is_empty() {
        return vec![empty_prefix(key, span, mode)];
    }
    if prefix == "/" {
        return vec![Diagnostic::new(
            Code::PrefixRoot,
            format!("`{key}` is `{prefix}`; to serve OMERO.web at the site root, unset it"),
        )
        .at(Some(span))
        .label("a `/` prefix breaks Gunicorn and generated configs")
        .help(config_set_command(key, None))];
    }
    let mut found = Vec::new();
    if !prefix.starts_with('/') {
        found.push(
            Diagnostic::new(
                Code::PrefixLeadingSlash,
                format!("`{key}` = `{prefix}` must start with `/`"),
            )
            .at(Some(&sub_span(span, prefix, 0, 1)))
            .label("requests for /omero/... never match this prefix")
            .help(fix.clone()),
        );
    }
    if prefix.len() > 1 && prefix.ends_with('/') {
        let finding = Diagnostic::new(
            Code::PrefixTrailingSlash,
            format!("`{key}` = `{prefix}` must not end with `/`"),
        )
        .at(Some(&sub_span(span, prefix, prefix.len() - 1, 1)))
        .help(fix);
        found.push(match mode {
            Mode::ReverseProxy => {
                finding.label("Django then sees paths without a leading `/` and answers 404")
            }
            // OMERO's own IIS installer (omero_web_iis.py, OMERO 5.0.3 to
            // 5.2.8) strips the slash before it names the IIS application;
            // the generated files do the same (UrlLayout).
            Mode::IsapiWsgi => finding
                .with_severity(crate::diagnostic::Severity::Warning)
                .label(format!(
                    "the IIS application is {fixed}: the trailing `/` is dropped, as OMERO's own IIS installer does"
                ))
                .note("behind Gunicorn (reverse-proxy) the same prefix is an error: remove the `/` before you move"),
        });
    }
    found.extend(check_path_characters(key, prefix, span));
    found
}

/// An empty prefix: Django's `FORCE_SCRIPT_NAME` becomes `""`, the site
/// root, whatever path IIS serves the application at.
fn empty_prefix(key: &str, span: &Span, mode: Mode) -> Diagnostic {
    let finding = Diagnostic::new(
        Code::PrefixRoot,
        format!("`{key}` is empty; to serve OMERO.web at the site root, unset it"),
    )
    .at(Some(span))
    .help(config_set_command(key, None));
    match mode {
        // Unset, Django takes the application path from IIS (SCRIPT_NAME
        // /omero); empty, it builds every link for the site root.
        Mode::IsapiWsgi => finding
            .label("IIS runs OMERO.web at /omero, but an empty prefix makes Django build every link without /omero: 404s")
            .note("unset, the prefix comes from IIS: the application path /omero"),
        Mode::ReverseProxy => finding
            .with_severity(crate::diagnostic::Severity::Warning)
            .label("Django then serves at the site root, as with the prefix unset; unset it to say so"),
    }
}

fn check_static_url(settings: &Settings, mode: Mode) -> Vec<Diagnostic> {
    let key = "omero.web.static_url";
    let (url, span) = match settings.get(key) {
        Some(s) => match s.text() {
            Some(t) => (t, Some(&s.value_span)),
            None => return Vec::new(),
        },
        None => ("/static/", None),
    };
    let layout = UrlLayout::from_settings(settings, mode);
    let suggested = format!("{}/static/", layout.app_path.trim_end_matches('/'));
    let fix = config_set_command(key, Some(&suggested));
    let at = |d: Diagnostic| match span {
        Some(s) => d.at(Some(s)),
        None => d.subject(key),
    };
    if is_absolute_http_url(url) {
        return vec![at(Diagnostic::new(Code::StaticUrlElsewhere, format!("`{key}` = `{url}` points at another server"))
            .label("IIS will not serve static files for this site")
            .note("no static application is generated; copy static_root to that server after every upgrade")
            .help(format!("to let IIS serve them: {fix}")))];
    }
    if !url.starts_with('/') {
        return vec![at(Diagnostic::new(
            Code::StaticUrlShape,
            format!("`{key}` = `{url}` must start with `/` or be an http(s):// URL"),
        )
        .label("a relative static URL cannot be mapped to an IIS application")
        .help(fix))];
    }
    // The default (`/static/`) is known to be fine; only written values are checked.
    let mut found = span
        .map(|s| check_path_characters(key, url, s))
        .unwrap_or_default();
    let path = url.trim_end_matches('/');
    if path.is_empty() || path == layout.app_path.trim_end_matches('/') {
        found.push(at(Diagnostic::new(
            Code::StaticUrlConflict,
            format!(
                "`{key}` = `{url}` would take the place of the OMERO.web application at `{}`",
                layout.app_path
            ),
        )
        .label("IIS cannot serve static files and OMERO.web from the same application")
        .help(fix)));
    } else if layout.prefix_is_set && !layout.static_is_nested() {
        found.push(at(Diagnostic::new(
            Code::StaticUrlOutsidePrefix,
            format!("`{key}` = `{url}` is not under the prefix `{}`", layout.app_path),
        )
        .label("static files are then served from a separate application at the site root")
        .note("this works, but the OMERO documentation sets both, e.g. prefix /omero and static_url /omero/static/")
        .help(fix)));
    }
    found
}

/// URL paths that survive IIS, Gunicorn and Django unchanged: unreserved
/// characters and `/`, no empty, `.` or `..` segments (IIS's applicationPath
/// validator refuses those).
fn check_path_characters(key: &str, path: &str, span: &Span) -> Vec<Diagnostic> {
    if let Some((index, c)) = path
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || "-._~/".contains(c)))
    {
        return vec![Diagnostic::new(
            Code::UrlPathCharacters,
            format!("`{key}` contains `{c}`, which is not URL-safe"),
        )
        .at(Some(&sub_span(span, path, index, c.len_utf8())))
        .label("use only letters, digits, `-`, `.`, `_`, `~` and `/`")
        .help("choose a plain path such as /omero")];
    }
    let trimmed = path.trim_start_matches('/').trim_end_matches('/');
    if trimmed
        .split('/')
        .any(|segment| segment.is_empty() || segment == "." || segment == "..")
        && !trimmed.is_empty()
    {
        return vec![Diagnostic::new(
            Code::UrlPathCharacters,
            format!("`{key}` = `{path}` has an empty, `.` or `..` segment"),
        )
        .at(Some(span))
        .label("IIS refuses application paths like this")
        .help("write the path with single `/` between plain names, e.g. /omero/static/")];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::sources::read_set_arguments;

    fn layout(args: &[&str]) -> UrlLayout {
        let mut s = Settings::default();
        s.apply(
            read_set_arguments(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>()).assignments,
        );
        UrlLayout::from_settings(&s, Mode::IsapiWsgi)
    }

    #[test]
    fn layouts() {
        let l = layout(&[]);
        assert_eq!(
            (
                l.app_path.as_str(),
                l.static_path.as_deref(),
                l.static_is_nested()
            ),
            ("/omero", Some("/static"), false)
        );
        let l = layout(&["omero.web.prefix=/web", "omero.web.static_url=/web/static"]);
        assert_eq!(
            (
                l.app_path.as_str(),
                l.static_path.as_deref(),
                l.static_is_nested()
            ),
            ("/web", Some("/web/static"), true)
        );
        let l = layout(&["omero.web.static_url=https://cdn.example.org/s/"]);
        assert_eq!(l.static_path, None);
        let l = layout(&["omero.web.force_script_name=/old"]);
        assert_eq!(l.app_path, "/old");
    }
}
