//! Settings + deployment options → [`Plan`], the one model every renderer reads.
//!
//! Deployment options are facts about the Windows server that are not OMERO
//! properties (site, pool, paths, ACL principal). They come from `--deploy
//! FILE.toml` and flags (flags win); each keeps its origin for diagnostics.
//! Every value a plan holds has been checked here for the targets it will be
//! written to, so rendering can be pure and infallible for valid plans.

use std::sync::Arc;

use serde::Serialize;
use thiserror::Error;

use crate::diagnostic::{Code, Diagnostic};
use crate::iis::schema::NameRule;
use crate::iis::values::check_name;
use crate::settings::Settings;
use crate::source::{SourceFile, Span};
use crate::validate::{Mode, UrlLayout};

/// The largest `requestLimits/@maxAllowedContentLength` IIS accepts (a uint).
pub const IIS_MAX_CONTENT_LENGTH: u64 = 4_294_967_295;

/// One deployment option value and where it was given.
#[derive(Debug, Clone)]
pub struct OptionValue {
    pub value: String,
    pub span: Span,
}

/// Deployment options as given (all optional; [`plan`] fills in defaults).
#[derive(Debug, Clone, Default)]
pub struct DeployOptions {
    pub site: Option<OptionValue>,
    pub pool: Option<OptionValue>,
    pub omero_home: Option<OptionValue>,
    pub app_dir: Option<OptionValue>,
    pub isapi_dll: Option<OptionValue>,
    pub isapi_loader: Option<OptionValue>,
    pub python: Option<OptionValue>,
    pub static_root: Option<OptionValue>,
    pub acl_principal: Option<OptionValue>,
    pub bitness: Option<OptionValue>,
    pub max_body_size: Option<OptionValue>,
    pub backend: Option<OptionValue>,
    pub https: Option<OptionValue>,
    /// `isapi-wsgi` or `reverse-proxy` (TOML only: the flag is `--mode`).
    pub mode: Option<OptionValue>,
    /// The OMERO version, `X.Y[.Z]`.
    pub omero_version: Option<OptionValue>,
}

/// The option names, as flags (`--site`) and TOML keys (`site`).
pub const OPTION_NAMES: [&str; 15] = [
    "site",
    "pool",
    "omero-home",
    "app-dir",
    "isapi-dll",
    "isapi-loader",
    "python",
    "static-root",
    "acl-principal",
    "bitness",
    "max-body-size",
    "backend",
    "https",
    "mode",
    "omero-version",
];

impl DeployOptions {
    fn slot(&mut self, name: &str) -> Option<&mut Option<OptionValue>> {
        Some(match name {
            "site" => &mut self.site,
            "pool" => &mut self.pool,
            "omero-home" => &mut self.omero_home,
            "app-dir" => &mut self.app_dir,
            "isapi-dll" => &mut self.isapi_dll,
            "isapi-loader" => &mut self.isapi_loader,
            "python" => &mut self.python,
            "static-root" => &mut self.static_root,
            "acl-principal" => &mut self.acl_principal,
            "bitness" => &mut self.bitness,
            "max-body-size" => &mut self.max_body_size,
            "backend" => &mut self.backend,
            "https" => &mut self.https,
            "mode" => &mut self.mode,
            "omero-version" => &mut self.omero_version,
            _ => return None,
        })
    }

    /// Sets an option from a command-line flag; the flag text becomes its source.
    pub fn set_from_flag(&mut self, name: &str, value: &str) {
        let file = SourceFile::new(format!("--{name}"), format!("--{name}={value}"));
        let start = name.len() + 3;
        let span = Span::new(&file, start..file.text.len());
        if let Some(slot) = self.slot(name) {
            *slot = Some(OptionValue {
                value: value.to_owned(),
                span,
            });
        }
    }

    /// Reads `--deploy FILE.toml`: keys as the flag names (`omero-home = 'C:\OMERO.server'`).
    pub fn from_toml(file: &Arc<SourceFile>) -> Result<DeployOptions, DeployFileError> {
        let table: toml::Spanned<toml::Table> = toml::from_str(&file.text).map_err(|e| {
            DeployFileError::at(
                file,
                e.span().map_or(0, |s| s.start),
                e.message().to_owned(),
            )
        })?;
        // Re-parse through the span-aware document to find each value's position.
        let document = toml::de::DeTable::parse(&file.text).map_err(|e| {
            DeployFileError::at(
                file,
                e.span().map_or(0, |s| s.start),
                e.message().to_owned(),
            )
        })?;
        let mut options = DeployOptions::default();
        for (key, value) in table.get_ref() {
            let span = document
                .get_ref()
                .iter()
                .find(|(k, _)| k.get_ref().as_ref() == key.as_str())
                .map(|(k, v)| (k.span(), v.span()));
            let (key_span, value_span) = span.unwrap_or((0..0, 0..0));
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(DeployFileError::at(
                        file,
                        value_span.start,
                        format!(
                            "`{key}` must be a string, an integer or a boolean, not {}",
                            other.type_str()
                        ),
                    ))
                }
            };
            let Some(slot) = options.slot(key) else {
                return Err(DeployFileError::at(
                    file,
                    key_span.start,
                    format!(
                        "unknown deployment option `{key}`; known: {}",
                        OPTION_NAMES.join(", ")
                    ),
                ));
            };
            if key == "omero-version" {
                if let Err(message) = crate::settings::versions::OmeroVersion::parse(&text) {
                    return Err(DeployFileError::at(file, value_span.start, message));
                }
            }
            if key == "mode" && Mode::parse(&text).is_none() {
                return Err(DeployFileError::at(
                    file,
                    value_span.start,
                    format!("`mode` is `{text}`; it must be \"isapi-wsgi\" or \"reverse-proxy\""),
                ));
            }
            *slot = Some(OptionValue {
                value: text,
                span: Span::new(file, value_span),
            });
        }
        Ok(options)
    }

    /// Overlays `other` on `self` (used to let flags win over the TOML file).
    pub fn merge(mut self, other: DeployOptions) -> DeployOptions {
        for name in OPTION_NAMES {
            if let Some(value) = other.clone().slot(name).and_then(Option::take) {
                *self.slot(name).expect("known option") = Some(value);
            }
        }
        self
    }
}

/// A `--deploy` file that cannot be read (exit code 2).
#[derive(Debug, Error)]
#[error("{location}: {message}")]
pub struct DeployFileError {
    pub location: String,
    pub message: String,
}

impl DeployFileError {
    fn at(file: &SourceFile, offset: usize, message: String) -> DeployFileError {
        let p = file.position(offset);
        DeployFileError {
            location: format!("{}:{}:{}", file.name, p.line, p.column),
            message,
        }
    }
}

/// An IIS application the plan creates.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Application {
    /// URL path, `/omero` (`/` for the site root).
    pub path: String,
    /// `<location path>` in applicationHost.config: `Default Web Site/omero`
    /// (`Default Web Site` for the root application).
    pub location: String,
    /// appcmd's APP identifier: `Default Web Site/omero` (`Default Web Site/` for the root).
    pub appcmd_id: String,
    /// Folder the application's root virtual directory points at.
    pub physical_path: String,
    /// Folder of this artifact set that holds its web.config (`web`, `static`).
    pub config_folder: String,
    /// The folder is a drive root (`E:\`): it exists with the drive and
    /// cannot be created, so scripts do not try.
    pub physical_path_is_drive_root: bool,
}

/// Everything the artifacts say, decided and checked.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub mode: Mode,
    pub tool_version: &'static str,
    pub site: String,
    pub pool: String,
    pub app: Application,
    /// `None` when static files are served from another server.
    pub static_app: Option<Application>,
    pub static_nested: bool,
    pub prefix_is_set: bool,
    pub omero_home: String,
    pub omero_cli: String,
    pub python: String,
    pub isapi_dll: String,
    /// The Python module pywin32's loader DLL runs: `_name.dll` loads `name.py` beside it.
    pub isapi_script: String,
    pub isapi_loader: String,
    pub log_dir: String,
    pub config_xml: String,
    pub acl_principal: String,
    pub acl_is_pool_identity: bool,
    pub enable_32bit: bool,
    pub bitness_precondition: &'static str,
    pub max_body_size: u64,
    /// OMERO properties the install script unsets (`omero config set KEY`).
    pub unset_properties: Vec<&'static str>,
    /// Windows optional features the install script enables (DISM names).
    pub windows_features: Vec<&'static str>,
    /// OMERO.web is the site's root application (reverse-proxy without a prefix).
    pub app_is_root: bool,
    /// The install script creates `pool` (not for the site's root application,
    /// which keeps the site's own pool).
    pub creates_pool: bool,
    /// Reverse-proxy mode: where requests go and how.
    pub proxy: Option<ProxyPlan>,
    /// Properties given with `--set` or `--env`: they shaped these files but
    /// are not in OMERO's own configuration, so README.txt lists them to be
    /// applied there too, one line each ([`setting_override`]).
    pub overrides: Vec<String>,
}

/// What the IIS reverse proxy forwards to (reverse-proxy mode).
#[derive(Debug, Clone, Serialize)]
pub struct ProxyPlan {
    /// `host:port` (IPv6 hosts in brackets).
    pub backend: String,
    /// The port alone, for the admin's firewall rule.
    pub backend_port: String,
    /// `http://host:port`: the rewrite target before `{UNENCODED_URL}`.
    pub backend_url: String,
    /// IIS serves HTTPS: redirect HTTP to HTTPS, send HSTS.
    pub https: bool,
    /// The host HTTP requests are redirected to (`omero.example.org`), when
    /// the settings name exactly one HTTPS origin; else the request's own
    /// Host header is used.
    pub redirect_host: Option<String>,
    /// ARR's `proxy/@timeout`, `hh:mm:ss`: at least `omero.web.wsgi_timeout`.
    pub timeout: String,
    /// The page IIS shows on 502 (backend down), in the application's folder.
    pub maintenance_page: &'static str,
    /// Its URL (`/omero/omero-maintenance.html`), for `httpErrors` ExecuteURL.
    pub maintenance_url: String,
    /// Its path relative to the application, as a rewrite-rule pattern.
    pub maintenance_pattern: String,
    /// Request headers the rewrite rule sets, as URL Rewrite server variables.
    pub server_variables: Vec<&'static str>,
    /// The static application's path relative to the proxied application
    /// (`static/`), as a regular expression, when it lies inside it.
    pub static_pattern: Option<String>,
    /// Where `omero.web.static_root` is on the OMERO.web host (collectstatic output).
    pub static_source: String,
}

/// Which artifacts will be written; decides which safety rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    /// install.cmd / uninstall.cmd: ASCII only, no `"`, appcmd syntax.
    pub cmd_scripts: bool,
    /// install.ps1 / uninstall.ps1: any Unicode (UTF-8 with BOM), no `"` for native commands.
    pub ps_scripts: bool,
}

/// Builds the plan, or explains why it cannot be built.
pub fn plan(
    settings: &Settings,
    options: &DeployOptions,
    mode: Mode,
    targets: Targets,
) -> (Plan, Vec<Diagnostic>) {
    let mut found = Vec::new();
    let layout = UrlLayout::from_settings(settings, mode);
    let mut checker = Checker {
        found: &mut found,
        targets,
    };

    let site = checker
        .site(options.site.as_ref())
        .unwrap_or_else(|| "Default Web Site".to_owned());
    let default_pool = derived_pool_name(&layout.app_path);
    let pool = checker.pool(options.pool.as_ref()).unwrap_or(default_pool);
    let omero_home = checker
        .path("omero-home", options.omero_home.as_ref())
        .unwrap_or_else(|| r"C:\OMERO.server".to_owned());
    let python_dir = r"C:\Python27";
    let python = checker
        .program(options.python.as_ref())
        .unwrap_or_else(|| format!(r"{python_dir}\python.exe"));
    let isapi_dll = checker
        .path("isapi-dll", options.isapi_dll.as_ref())
        .unwrap_or_else(|| join_windows_path(&omero_home, r"lib\python\_omero_web_iis.dll"));
    checker.indexer_value("isapi-dll", options.isapi_dll.as_ref(), &isapi_dll);
    let isapi_loader = checker
        .path("isapi-loader", options.isapi_loader.as_ref())
        .unwrap_or_else(|| format!(r"{python_dir}\Lib\site-packages\isapi\PyISAPI_loader.dll"));
    let app_dir = app_dir(&mut checker, options, mode, &layout, &site, &pool);
    let static_root = match mode {
        Mode::IsapiWsgi => static_root(&mut checker, settings, options, &omero_home),
        // The settings' static_root is a folder on the OMERO.web host, not on IIS.
        Mode::ReverseProxy => checker
            .path("static-root", options.static_root.as_ref())
            .unwrap_or_else(|| format!(r"{}\static", app_dir.trim_end_matches('\\'))),
    };
    let principal = checker.principal(options.acl_principal.as_ref());
    let acl_principal = principal
        .clone()
        .unwrap_or_else(|| format!(r"IIS AppPool\{pool}"));
    let enable_32bit = checker.bitness(options.bitness.as_ref()) == 32;
    let max_body_size = checker.body_size(options.max_body_size.as_ref());
    let https = checker.flag("https", options.https.as_ref());
    let proxy = (mode == Mode::ReverseProxy)
        .then(|| proxy_plan(&mut checker, settings, options, &layout, https));
    // Names derived from settings go into scripts too.
    // (Control characters in them are reported on the property itself, OW016.)
    for derived in [&layout.app_path, &static_root] {
        if !derived.chars().any(char::is_control) {
            checker.script_text(None, "derived value", derived);
        }
    }

    let application = |path: &str, physical_path: String, config_folder: &str| Application {
        physical_path_is_drive_root: physical_path.len() == 3 && physical_path.ends_with(":\\"),
        path: path.to_owned(),
        location: if path == "/" {
            site.clone()
        } else {
            format!("{site}{path}")
        },
        appcmd_id: format!("{site}{path}"),
        physical_path,
        config_folder: config_folder.to_owned(),
    };
    let app_is_root = layout.app_is_root();
    let plan = Plan {
        mode,
        tool_version: env!("CARGO_PKG_VERSION"),
        app: application(&layout.app_path, app_dir, "web"),
        static_app: layout
            .static_path
            .as_ref()
            .map(|path| application(path, static_root.clone(), "static")),
        static_nested: layout.static_is_nested(),
        prefix_is_set: layout.prefix_is_set,
        omero_cli: join_windows_path(&omero_home, r"bin\omero"),
        log_dir: join_windows_path(&omero_home, r"var\log"),
        config_xml: join_windows_path(&omero_home, r"etc\grid\config.xml"),
        omero_home,
        python,
        isapi_script: isapi_script_for(&isapi_dll),
        isapi_dll,
        isapi_loader,
        acl_is_pool_identity: principal.is_none(),
        acl_principal,
        enable_32bit,
        bitness_precondition: if enable_32bit {
            "bitness32"
        } else {
            "bitness64"
        },
        max_body_size,
        overrides: settings.iter().flat_map(setting_override).collect(),
        unset_properties: match mode {
            Mode::IsapiWsgi => vec!["omero.web.session_engine", "omero.web.caches"],
            Mode::ReverseProxy => Vec::new(),
        },
        windows_features: match mode {
            // DISM names of the features the OMERO IIS documentation asks for:
            // ISAPI extensions, ISAPI filters, IIS 6 management compatibility (+ its
            // metabase part, which pywin32's installer needed).
            Mode::IsapiWsgi => vec![
                "IIS-ISAPIExtensions",
                "IIS-ISAPIFilter",
                "IIS-IIS6ManagementCompatibility",
                "IIS-Metabase",
            ],
            // URL Rewrite and ARR are separate installers, not Windows features:
            // the scripts check for their modules instead.
            Mode::ReverseProxy => Vec::new(),
        },
        app_is_root,
        creates_pool: !app_is_root,
        proxy,
        site,
        pool,
    };
    (plan, found)
}

/// The folder that holds the application's web.config. The site root's folder
/// is the site's own: only `Default Web Site` has a well-known one.
fn app_dir(
    checker: &mut Checker,
    options: &DeployOptions,
    mode: Mode,
    layout: &UrlLayout,
    site: &str,
    pool: &str,
) -> String {
    if let Some(dir) = checker.path("app-dir", options.app_dir.as_ref()) {
        return dir;
    }
    if mode == Mode::ReverseProxy && layout.app_is_root() {
        if site != "Default Web Site" && options.app_dir.is_none() {
            let d = Diagnostic::new(
                Code::InvalidOptionValue,
                format!("OMERO.web is the root of site `{site}`: give the site's folder with --app-dir"),
            )
            .label("without omero.web.prefix, the web.config goes into the site's own root folder")
            .help("--app-dir D:\\sites\\omero (the site's physical path in IIS Manager), or set omero.web.prefix");
            checker.push(match &options.site {
                Some(o) => d.at(Some(&o.span)),
                None => d.subject("app-dir"),
            });
        }
        return r"C:\inetpub\wwwroot".to_owned();
    }
    format!(r"C:\inetpub\{pool}")
}

/// OMERO's nginx template serves `etc/templates/error/maintainance.html` on
/// 502; OMERO.web's host is not IIS, so the proxy carries its own page.
const MAINTENANCE_PAGE: &str = "omero-maintenance.html";

/// Upper bound of ARR's `proxy/@timeout` (arr_schema.xml, lextm/iis_schema: 1..86400 s).
const ARR_MAX_TIMEOUT: u64 = 86_400;
/// ARR's default proxy timeout (2 minutes), kept when Gunicorn's is shorter.
const ARR_DEFAULT_TIMEOUT: u64 = 120;

/// The one HTTPS origin of `omero.web.csrf_trusted_origins`, as a host name
/// (with its port, if any) that may stand in a redirect URL: the HTTPS
/// redirect then goes there instead of to whatever Host header the client
/// sent. Anything else (no origin, several, a host with characters URL
/// Rewrite would read as a server variable) gives `None`.
fn redirect_host(settings: &Settings) -> Option<String> {
    let origins: Vec<String> =
        serde_json::from_str(settings.text("omero.web.csrf_trusted_origins")?).ok()?;
    let https: Vec<&str> = origins
        .iter()
        .filter_map(|o| o.strip_prefix("https://"))
        .collect();
    let [host] = https.as_slice() else {
        return None;
    };
    let host = host.trim_end_matches('/');
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':');
    (!host.is_empty() && !host.starts_with('.') && host.chars().all(plain))
        .then(|| host.to_ascii_lowercase())
}

fn proxy_plan(
    checker: &mut Checker,
    settings: &Settings,
    options: &DeployOptions,
    layout: &UrlLayout,
    https: bool,
) -> ProxyPlan {
    let backend = checker
        .backend(settings, options.backend.as_ref())
        .unwrap_or_else(|| "127.0.0.1:4080".to_owned());
    let wsgi_timeout = settings
        .get("omero.web.wsgi_timeout")
        .and_then(|s| Some((s, seconds_of(s.text()?)?)));
    let seconds = match wsgi_timeout {
        Some((setting, seconds)) if seconds > ARR_MAX_TIMEOUT => {
            checker.push(
                Diagnostic::new(
                    Code::InvalidOptionValue,
                    format!(
                        "`omero.web.wsgi_timeout` = {} s is longer than ARR's longest proxy timeout (86400 s)",
                        setting.text().unwrap_or_default().trim()
                    ),
                )
                .at(Some(&setting.value_span))
                .label("IIS would cut requests off before Gunicorn does")
                .help("omero config set omero.web.wsgi_timeout 86400"),
            );
            ARR_MAX_TIMEOUT
        }
        Some((_, t)) => t.max(ARR_DEFAULT_TIMEOUT),
        None => ARR_DEFAULT_TIMEOUT,
    };
    let static_pattern = layout
        .static_is_nested()
        .then_some(layout.static_path.as_deref())
        .flatten()
        .map(|s| {
            let relative = s[layout.app_path.trim_end_matches('/').len()..].trim_start_matches('/');
            format!("^{}/", regex_escape(relative))
        });
    ProxyPlan {
        backend_url: format!("http://{backend}"),
        backend_port: backend.rsplit_once(':').map_or("", |(_, p)| p).to_owned(),
        backend,
        https,
        redirect_host: https.then(|| redirect_host(settings)).flatten(),
        timeout: format!(
            "{:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        ),
        maintenance_page: MAINTENANCE_PAGE,
        maintenance_url: format!(
            "{}/{MAINTENANCE_PAGE}",
            layout.app_path.trim_end_matches('/')
        ),
        maintenance_pattern: format!("^{}$", regex_escape(MAINTENANCE_PAGE)),
        server_variables: vec!["HTTP_X_FORWARDED_PROTO"],
        static_pattern,
        static_source: settings
            .text("omero.web.static_root")
            .unwrap_or("$OMERODIR/var/static")
            .to_owned(),
    }
}

/// Escapes ECMAScript regular-expression metacharacters (URL Rewrite's default syntax).
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `omeroweb_omero` for `/omero`: OMERO's own naming of per-prefix objects
/// (`omeroweb` + `_` + the prefix with non-word characters removed).
pub fn derived_pool_name(app_path: &str) -> String {
    let word: String = app_path
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    format!("omeroweb_{word}")
}

/// pywin32's `PyISAPI_loader.dll`, copied as `_omero_web_iis.dll`, imports
/// Whole seconds as OMERO's `int` parser reads them: any number of digits,
/// so one too large for 64 bits counts as the largest value, not as unset.
fn seconds_of(text: &str) -> Option<u64> {
    let digits = text.trim().trim_start_matches('+');
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<u64>().unwrap_or(u64::MAX))
}

/// `omero_web_iis.py` from its own folder (pywin32 `isapi/install.py`).
pub fn isapi_script_for(dll: &str) -> String {
    let (dir, file) = dll.rsplit_once('\\').unwrap_or(("", dll));
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    format!("{dir}\\{}.py", stem.trim_start_matches('_'))
}

fn static_root(
    checker: &mut Checker,
    settings: &Settings,
    options: &DeployOptions,
    home: &str,
) -> String {
    if options.static_root.is_some() {
        return checker
            .path("static-root", options.static_root.as_ref())
            .unwrap_or_else(|| join_windows_path(home, r"lib\python\omeroweb\static"));
    }
    match settings.get("omero.web.static_root") {
        Some(setting) => {
            let value = setting.text().unwrap_or_default();
            let as_option = OptionValue {
                value: value.to_owned(),
                span: setting.value_span.clone(),
            };
            let path = checker
                .path("omero.web.static_root", Some(&as_option))
                .unwrap_or_else(|| join_windows_path(home, r"lib\python\omeroweb\static"));
            if let Some(d) = static_root_outside_home(&path, home) {
                checker.push(d.at(Some(&setting.value_span)));
            }
            path
        }
        None => join_windows_path(home, r"lib\python\omeroweb\static"),
    }
}

/// The README lines that apply a `--set` or `--env` property to OMERO's
/// own configuration: `omero config set KEY VALUE` when the value is plain
/// enough to paste into cmd.exe and a POSIX shell alike; a secret's value is
/// never written (a comment says to type it); any other value as an `omero
/// config load` line (data, not a command) after a comment saying so, or a
/// comment when not even that can hold it. Empty for properties read from a
/// file. Every line is either a command to run or starts with `#`.
fn setting_override(setting: &crate::settings::Setting) -> Vec<String> {
    let source = setting.value_span.file.name.as_str();
    let Some(value) = setting.text() else {
        return Vec::new();
    };
    if source != "--set" && !source.starts_with('$') {
        return Vec::new();
    }
    let key = &setting.key;
    let catalogue = crate::settings::Catalogue::global();
    if crate::settings::is_secret(key, catalogue)
        || crate::settings::secrets::mask_embedded(value) != value
    {
        return vec![format!(
            "# {key} (from {source}) holds a secret, not written here: omero config set {key} VALUE"
        )];
    }
    if crate::validate::is_plain_shell_word(value) {
        return vec![format!("omero config set {key} {value}")];
    }
    match crate::render::escape::omero_config_line(key, value) {
        Ok(line) => vec![
            format!("# {key} (from {source}): save the next line as a file, then: omero config load FILE"),
            line,
        ],
        Err(e) => vec![format!(
            "# {key} (from {source}) cannot be written here ({}): set it by hand",
            e.reason
        )],
    }
}

/// OW210: a `static_root` from the settings outside `home`. The static
/// application serves that folder, and `omero web collectstatic` (install's
/// last step, run with this OMERO.server) fills it; a folder of another
/// OMERO.server (a config.xml kept across an upgrade) or on another drive
/// is served stale or not at all, and install fails on the missing folder
/// without saying that the setting is the cause.
fn static_root_outside_home(path: &str, home: &str) -> Option<Diagnostic> {
    let lower = |p: &str| p.to_ascii_lowercase();
    let home_prefix = format!("{}\\", lower(home).trim_end_matches('\\'));
    if lower(path).starts_with(&home_prefix) {
        return None;
    }
    let drive = |p: &str| p.get(..2).map(str::to_ascii_uppercase);
    let label = if lower(path).ends_with(r"\lib\python\omeroweb\static") {
        "this is the static folder of another OMERO.server (a config.xml kept across an upgrade?)"
            .to_owned()
    } else if drive(path) != drive(home) {
        format!(
            "this folder is on {}, the OMERO.server on {}",
            drive(path).unwrap_or_default(),
            drive(home).unwrap_or_default()
        )
    } else {
        // Elsewhere on the same drive: a choice, served as it is.
        return None;
    };
    Some(
        Diagnostic::new(
            Code::StaticRootOutsideHome,
            format!("`omero.web.static_root` = `{path}` is not inside --omero-home `{home}`"),
        )
        .label(label)
        .note("IIS serves this folder as the static files application, and install's collectstatic fills it: it must exist on the IIS server and belong to this OMERO.server")
        .help("unset it to use <omero-home>\\lib\\python\\omeroweb\\static (omero config set omero.web.static_root), or confirm the folder with --static-root"),
    )
}

/// A site or pool name `gen` will not use: one IIS refuses (the rules of
/// [`check_name`], shared with `check`), or one with spaces at either end.
/// IIS's validators let those through, but in IIS Manager and appcmd's
/// output the name cannot be told from the one without them, and a script
/// that trims its arguments would name another object.
fn name_problem(rule: NameRule, code: Code, what: &str, value: &str) -> Option<Diagnostic> {
    if let Err(p) = check_name(rule, value) {
        return Some(
            Diagnostic::new(code, p.message)
                .label(format!("IIS refuses this {what}"))
                .help(p.help),
        );
    }
    (value.trim() != value).then(|| {
        Diagnostic::new(code, format!("{what} `{value}` has spaces at either end"))
            .label(
                "IIS takes it, but IIS Manager and appcmd show it as the name without the spaces",
            )
            .help(format!("give the {what} without the spaces"))
    })
}

/// Checks option values and records findings.
struct Checker<'a> {
    found: &'a mut Vec<Diagnostic>,
    targets: Targets,
}

/// Principals that stand for every user, or every user of a computer or
/// domain, as icacls accepts them: account names (English and the German,
/// French and Spanish names of Windows' built-in groups), `*SID` strings of
/// the well-known SIDs (learn.microsoft.com, "Well-known security
/// identifiers in Windows operating systems") and the anonymous accounts.
/// Compared lower-case, after any `BUILTIN\`, `NT AUTHORITY\` or
/// `<domain>\` qualifier is taken off.
const BROAD_PRINCIPALS: &[&str] = &[
    // Everyone, S-1-1-0
    "everyone",
    "jeder",
    "tout le monde",
    "todos",
    "*s-1-1-0",
    // Users, S-1-5-32-545
    "users",
    "benutzer",
    "utilisateurs",
    "usuarios",
    "*s-1-5-32-545",
    // Authenticated Users, S-1-5-11
    "authenticated users",
    "authentifizierte benutzer",
    "utilisateurs authentifi\u{e9}s",
    "usuarios autentificados",
    "*s-1-5-11",
    // Guests, S-1-5-32-546
    "guests",
    "g\u{e4}ste",
    "invit\u{e9}s",
    "invitados",
    "*s-1-5-32-546",
    // Domain Users (S-1-5-21-<domain>-513: matched by its RID below)
    "domain users",
    "dom\u{e4}nen-benutzer",
    "utilisateurs du domaine",
    "usuarios del dominio",
    // The anonymous accounts: IUSR (S-1-5-17), IIS_IUSRS (S-1-5-32-568), ANONYMOUS LOGON (S-1-5-7)
    "iusr",
    "iis_iusrs",
    "anonymous logon",
    "*s-1-5-17",
    "*s-1-5-32-568",
    "*s-1-5-7",
    // INTERACTIVE (S-1-5-4), NETWORK (S-1-5-2)
    "interactive",
    "*s-1-5-4",
    "network",
    "*s-1-5-2",
];

/// Whether `principal` (as given to icacls) stands for a group of all users.
fn is_broad_principal(principal: &str) -> bool {
    let lower = principal.trim().to_lowercase();
    if lower.starts_with("*s-1-5-21-") && lower.ends_with("-513") {
        return true; // <domain>\Domain Users
    }
    let name = lower.rsplit('\\').next().unwrap_or(&lower);
    BROAD_PRINCIPALS.contains(&name)
}

impl Checker<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.found.push(d);
    }

    /// Control characters, `"`, non-ASCII: what no generated script can carry.
    fn script_text(&mut self, option: Option<&OptionValue>, name: &str, value: &str) -> bool {
        let span = option.map(|o| &o.span);
        let subject = |d: Diagnostic| {
            if span.is_some() {
                d.at(span)
            } else {
                d.subject(name)
            }
        };
        if let Some(c) = value.chars().find(|c| c.is_control()) {
            self.push(subject(
                Diagnostic::new(
                    Code::ControlCharacter,
                    format!("`{name}` contains the control character U+{:04X}", c as u32),
                )
                .help("retype the value without control characters"),
            ));
            return false;
        }
        if !self.targets.cmd_scripts && !self.targets.ps_scripts {
            return true;
        }
        if value.contains('"') {
            self.push(subject(Diagnostic::new(Code::UnsafeForScript, format!("`{name}` contains `\"`"))
                .label("cmd.exe, appcmd and native commands called from PowerShell cannot receive a double quote inside an argument")
                .help("remove the double quote (Windows paths and IIS names cannot contain it anyway)")));
            return false;
        }
        if !self.targets.cmd_scripts {
            return true;
        }
        if let Some(c) = value.chars().find(|c| !c.is_ascii()) {
            self.push(subject(Diagnostic::new(Code::NonAsciiForScript, format!("`{name}` contains `{c}`, which install.cmd cannot carry"))
                .label("cmd.exe reads batch files in the console code page; non-ASCII text is mangled")
                .note("web.config and the applicationHost fragment can hold it: `omero-iis gen web.config` and `gen apphost` still work")
                .help("use an ASCII name, or a short 8.3 path (`dir /x`) for folders; or generate PowerShell scripts only: --shell powershell")));
            return false;
        }
        true
    }

    /// appcmd collection values are written `[key='value']`; `]` might end the
    /// indexer early (appcmd's parser is undocumented), so it is refused.
    fn indexer_value(&mut self, name: &str, option: Option<&OptionValue>, value: &str) {
        if self.targets.cmd_scripts && value.contains(']') {
            let d = Diagnostic::new(Code::UnsafeForScript, format!("`{name}` contains `]`"))
                .label("this value is written inside an appcmd collection indexer [path='...']")
                .help("move the file to a folder whose path has no `]`");
            self.push(match option {
                Some(o) => d.at(Some(&o.span)),
                None => d.subject(name),
            });
        }
    }

    fn site(&mut self, option: Option<&OptionValue>) -> Option<String> {
        let o = option?;
        let v = o.value.as_str();
        if let Some(d) = name_problem(NameRule::SiteName, Code::InvalidSiteName, "site name", v) {
            self.push(d.at(Some(&o.span)).help(
                "give the name of the IIS site exactly as IIS Manager shows it, e.g. --site \"Default Web Site\"",
            ));
            return None;
        }
        if self.targets.ps_scripts {
            if let Some(c) = v.chars().find(|c| matches!(c, '[' | ']' | '*')) {
                self.push(Diagnostic::new(Code::InvalidSiteName, format!("site name `{v}` contains `{c}`, which install.ps1 cannot look up"))
                    .at(Some(&o.span))
                    .label("Get-WebApplication -Site and IIS:\\Sites paths read `[`, `]` and `*` as wildcards")
                    .help("generate the batch scripts only (--shell cmd), or rename the site"));
                return None;
            }
        }
        self.script_text(Some(o), "site", v).then(|| v.to_owned())
    }

    fn pool(&mut self, option: Option<&OptionValue>) -> Option<String> {
        let o = option?;
        let v = o.value.as_str();
        if let Some(d) = name_problem(
            NameRule::PoolName,
            Code::InvalidPoolName,
            "application pool name",
            v,
        ) {
            self.push(d.at(Some(&o.span)));
            return None;
        }
        self.script_text(Some(o), "pool", v).then(|| v.to_owned())
    }

    /// An absolute Windows path, normalised: `\` separators, no trailing `\`.
    fn path(&mut self, name: &str, option: Option<&OptionValue>) -> Option<String> {
        let o = option?;
        let Some(path) = windows_path(&o.value) else {
            self.push(
                Diagnostic::new(
                    Code::InvalidWindowsPath,
                    format!("`{name}` = `{}` is not an absolute Windows path", o.value),
                )
                .at(Some(&o.span))
                .label("IIS needs a path on the Windows server, e.g. C:\\OMERO.server")
                .help(format!(
                    "give the path as the Windows server sees it: --{} C:\\...",
                    name.trim_start_matches("omero.web.").replace('_', "-")
                )),
            );
            return None;
        };
        self.script_text(Some(o), name, &path).then_some(path)
    }

    /// `python` on the PATH, or an absolute path to it.
    fn program(&mut self, option: Option<&OptionValue>) -> Option<String> {
        let o = option?;
        let bare = !o.value.is_empty() && !o.value.contains(['\\', '/', ':']);
        if !bare {
            return self.path("python", Some(o));
        }
        self.script_text(Some(o), "python", &o.value)
            .then(|| o.value.clone())
    }

    fn principal(&mut self, option: Option<&OptionValue>) -> Option<String> {
        let o = option?;
        let v = o.value.trim();
        if v.is_empty() {
            self.push(Diagnostic::new(Code::InvalidOptionValue, "`acl-principal` is empty")
                .at(Some(&o.span))
                .help("leave --acl-principal out to grant access to the application pool identity only"));
            return None;
        }
        if v.contains(':') {
            self.push(
                Diagnostic::new(
                    Code::InvalidOptionValue,
                    format!("`acl-principal` `{v}` contains `:`"),
                )
                .at(Some(&o.span))
                .label("icacls reads what follows the last `:` as the permissions")
                .help("give an account or group name (DOMAIN\\name) or a *SID, without `:`"),
            );
            return None;
        }
        if is_broad_principal(v) {
            self.push(Diagnostic::new(Code::BroadAclPrincipal, format!("`{v}` gets Modify access to the OMERO log folder and Read access to config.xml"))
                .at(Some(&o.span))
                .label("every account in this group can then rewrite OMERO.web's logs and read the database password in config.xml")
                .note("the OMERO documentation grants access to all users; the application pool identity is enough")
                .help("leave --acl-principal out to grant access to IIS AppPool\\<pool> only"));
        }
        self.script_text(Some(o), "acl-principal", v)
            .then(|| v.to_owned())
    }

    /// A yes/no option: `--https` on the command line, `https = true` in TOML.
    fn flag(&mut self, name: &str, option: Option<&OptionValue>) -> bool {
        let Some(o) = option else { return false };
        match o.value.trim().to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            other => {
                self.push(
                    Diagnostic::new(
                        Code::InvalidOptionValue,
                        format!("`{name}` must be true or false, not `{other}`"),
                    )
                    .at(Some(&o.span))
                    .help(format!(
                        "write `{name} = true` in the --deploy file, or pass --{name}"
                    )),
                );
                false
            }
        }
    }

    /// The Gunicorn address IIS proxies to: `--backend HOST:PORT`, else
    /// `omero.web.application_server.host` and `.port` (as `omero web config nginx`).
    fn backend(&mut self, settings: &Settings, option: Option<&OptionValue>) -> Option<String> {
        let (host, port, span, subject) = match option {
            Some(o) => {
                let (host, port) = split_host_port(o.value.trim());
                (
                    host.to_owned(),
                    port.map(str::to_owned),
                    Some(o.span.clone()),
                    "backend",
                )
            }
            None => {
                let host_setting = settings.get("omero.web.application_server.host");
                let host = host_setting.and_then(|s| s.text()).unwrap_or("127.0.0.1");
                let port = settings
                    .text("omero.web.application_server.port")
                    .unwrap_or("4080")
                    .trim();
                (
                    host.trim().to_owned(),
                    Some(port.to_owned()),
                    host_setting.map(|s| s.value_span.clone()),
                    "omero.web.application_server.host",
                )
            }
        };
        let located = |d: Diagnostic| match &span {
            Some(s) => d.at(Some(s)),
            None => d.subject(subject),
        };
        let help =
            "give the address IIS can reach Gunicorn at: --backend omeroweb.example.org:4080";
        let problem = backend_problem(&host, port.as_deref());
        if let Some(problem) = problem {
            self.push(located(
                Diagnostic::new(Code::InvalidBackend, format!("backend `{host}` {problem}"))
                    .label("IIS cannot forward requests to this address")
                    .help(help),
            ));
            return None;
        }
        let port = port.expect("checked by backend_problem");
        let host = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host
        };
        if is_loopback(&host) {
            self.push(located(
                Diagnostic::new(
                    Code::LoopbackBackend,
                    format!("backend `{host}:{port}` is the IIS server itself"),
                )
                .label("current OMERO.web runs under Gunicorn on Linux, not on the Windows server")
                .note(
                    "this is right only if a WSL 2 or container port forward listens on this port",
                )
                .help(help),
            ));
        }
        Some(format!("{host}:{port}"))
    }

    fn bitness(&mut self, option: Option<&OptionValue>) -> u8 {
        match option.map(|o| (o, o.value.trim())) {
            None | Some((_, "64")) => 64,
            Some((_, "32")) => 32,
            Some((o, v)) => {
                self.push(
                    Diagnostic::new(
                        Code::InvalidOptionValue,
                        format!("`bitness` must be 32 or 64, not `{v}`"),
                    )
                    .at(Some(&o.span))
                    .help("use --bitness 32 only with a 32-bit Python (and pywin32)"),
                );
                64
            }
        }
    }

    fn body_size(&mut self, option: Option<&OptionValue>) -> u64 {
        let Some(o) = option else {
            return IIS_MAX_CONTENT_LENGTH;
        };
        match parse_size(&o.value) {
            Some(0) => IIS_MAX_CONTENT_LENGTH,
            Some(n) if n <= IIS_MAX_CONTENT_LENGTH => n,
            parsed => {
                let why = if parsed.is_some() {
                    "is above the IIS maximum of 4294967295 bytes"
                } else {
                    "is not a size"
                };
                self.push(Diagnostic::new(Code::InvalidOptionValue, format!("`max-body-size` = `{}` {why}", o.value))
                    .at(Some(&o.span))
                    .help("give bytes or a size with k, m or g (1024-based), e.g. 2g; 0 means the IIS maximum (4 GiB - 1)"));
                IIS_MAX_CONTENT_LENGTH
            }
        }
    }
}

/// `host:port`, `[v6]:port`; the port is `None` when missing.
fn split_host_port(text: &str) -> (&str, Option<&str>) {
    if let Some(rest) = text.strip_prefix('[') {
        if let Some((host, tail)) = rest.split_once(']') {
            return (host, tail.strip_prefix(':'));
        }
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, Some(port)),
        _ => (text, None),
    }
}

/// Why IIS cannot proxy to `host:port`, if it cannot.
fn backend_problem(host: &str, port: Option<&str>) -> Option<String> {
    if host.contains("://") || host.contains('/') {
        return Some(
            "is a URL; give HOST:PORT (IIS always talks plain HTTP to Gunicorn)".to_owned(),
        );
    }
    if host.is_empty() {
        return Some("has no host".to_owned());
    }
    let host_ok = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c));
    if !host_ok {
        return Some("is not a host name or IP address".to_owned());
    }
    if matches!(host, "0.0.0.0" | "::" | "[::]") {
        return Some(
            "is a listen-on-all address: Gunicorn binds to it, but nobody can connect to it"
                .to_owned(),
        );
    }
    match port.map(|p| p.parse::<u16>()) {
        None => Some("has no port (HOST:PORT)".to_owned()),
        Some(Ok(p)) if p > 0 => None,
        Some(_) => Some(format!(
            "has port `{}`; give 1 to 65535",
            port.unwrap_or_default()
        )),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.starts_with("127.") || host == "::1"
}

/// `2g`, `500M`, `1048576`, like nginx's `client_max_body_size` (1024-based).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_lowercase();
    let (digits, factor) = match t.char_indices().last()? {
        (i, 'k') => (&t[..i], 1u64 << 10),
        (i, 'm') => (&t[..i], 1 << 20),
        (i, 'g') => (&t[..i], 1 << 30),
        _ => (t.as_str(), 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(factor)
}

/// `folder\name`, without doubling the separator after a drive root (`E:\`).
pub fn join_windows_path(folder: &str, name: &str) -> String {
    format!("{}\\{name}", folder.trim_end_matches('\\'))
}

/// Normalises an absolute Windows path (`C:\x`, `C:/x`, `\\server\share\x`),
/// or returns `None`.
pub fn windows_path(text: &str) -> Option<String> {
    let path = text.trim().replace('/', "\\");
    let bytes = path.as_bytes();
    let drive =
        bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'\\';
    let unc =
        path.starts_with("\\\\") && path[2..].split('\\').filter(|s| !s.is_empty()).count() >= 2;
    if !(drive || unc) || path.split('\\').any(|s| s == "..") {
        return None;
    }
    let trimmed = path.trim_end_matches('\\');
    Some(if drive && trimmed.len() == 2 {
        format!("{trimmed}\\")
    } else {
        trimmed.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_paths_are_normalised() {
        assert_eq!(
            windows_path("C:/OMERO.server/").as_deref(),
            Some(r"C:\OMERO.server")
        );
        assert_eq!(windows_path(r"D:\").as_deref(), Some(r"D:\"));
        assert_eq!(
            windows_path(r"\\srv\share\omero").as_deref(),
            Some(r"\\srv\share\omero")
        );
        assert_eq!(windows_path("/opt/omero/var/static"), None);
        assert_eq!(windows_path(r"C:\a\..\b"), None);
        assert_eq!(windows_path("relative"), None);
    }

    #[test]
    fn broad_principals_are_known_by_name_sid_and_language() {
        for broad in [
            "Everyone",
            "*S-1-1-0",
            r"BUILTIN\Users",
            "*S-1-5-32-545",
            r"NT AUTHORITY\Authenticated Users",
            "*S-1-5-11",
            r"LAB\Domain Users",
            "*S-1-5-21-1004336348-1177238915-682003330-513",
            "Guests",
            "Jeder",
            "Tout le monde",
            "Authentifizierte Benutzer",
            "IUSR",
            "IIS_IUSRS",
        ] {
            assert!(is_broad_principal(broad), "{broad}");
        }
        for narrow in [
            r"IIS AppPool\omeroweb",
            r"LAB\omero-svc",
            "*S-1-5-21-1004336348-1177238915-682003330-1104",
            r"LAB\Domain Admins",
        ] {
            assert!(!is_broad_principal(narrow), "{narrow}");
        }
    }

    #[test]
    fn joined_paths_have_one_separator() {
        assert_eq!(join_windows_path(r"E:\", "web.config"), r"E:\web.config");
        assert_eq!(join_windows_path(r"C:\a", "b"), r"C:\a\b");
    }

    #[test]
    fn sizes_like_nginx() {
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("2g"), Some(2 << 30));
        assert_eq!(parse_size("500M"), Some(500 << 20));
        assert_eq!(parse_size("12x"), None);
        assert_eq!(parse_size(""), None);
    }

    #[test]
    fn isapi_script_sits_beside_the_dll() {
        assert_eq!(
            isapi_script_for(r"C:\O\lib\python\_omero_web_iis.dll"),
            r"C:\O\lib\python\omero_web_iis.py"
        );
    }

    #[test]
    fn pool_names_follow_omero_prefix_naming() {
        assert_eq!(derived_pool_name("/omero"), "omeroweb_omero");
        assert_eq!(derived_pool_name("/my-omero/web"), "omeroweb_myomeroweb");
    }
}
