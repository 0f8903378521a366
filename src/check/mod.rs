//! `omero-iis check`: offline checks of IIS artifacts — web.config,
//! applicationHost.config (and fragments), cmd/appcmd scripts and PowerShell
//! scripts — one at a time and across the files of one deployment.
//!
//! Pure: the caller reads the files ([`Input`]) and prints the findings.

mod batch;
mod bloom;
mod config;
mod cross;
mod entries;
mod facts;
mod powershell;
mod screen;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{self, Code, Diagnostic};
use crate::iis::schema::Schema;
use crate::source::{self, DecodeError, SourceFile};

pub use facts::ServerFacts;

/// What kind of artifact a file is (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A web.config (site, application or folder level).
    #[value(name = "web.config")]
    WebConfig,
    /// A complete applicationHost.config.
    #[value(name = "apphost")]
    AppHost,
    /// A piece of applicationHost.config: a `<location>`, a section, or `<configuration>` without `<configSections>`.
    #[value(name = "fragment")]
    Fragment,
    /// A cmd.exe batch file (.cmd, .bat).
    #[value(name = "cmd")]
    Batch,
    /// A PowerShell script (.ps1).
    #[value(name = "ps1")]
    PowerShell,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::WebConfig => "web.config",
            Kind::AppHost => "applicationHost.config",
            Kind::Fragment => "applicationHost fragment",
            Kind::Batch => "batch file",
            Kind::PowerShell => "PowerShell script",
        }
    }
}

/// One file to check.
pub struct Input {
    /// Where it came from (for mapping web.config files to the scripts that copy them).
    pub path: PathBuf,
    pub file: Arc<SourceFile>,
    pub kind: Kind,
    /// The byte-order mark it had (`UTF-8`, `UTF-16LE`, `UTF-16BE`).
    pub bom: Option<&'static str>,
}

/// Why a file cannot be checked at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: {source}")]
    Decode { path: String, source: DecodeError },
    #[error("{path}: cannot tell what kind of file this is")]
    UnknownKind { path: String },
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: config::ReadError,
    },
}

impl InputError {
    pub fn help(&self) -> &'static str {
        match self {
            InputError::Decode { .. }
            | InputError::Read {
                source: config::ReadError::NotUtf8 { .. },
                ..
            } => "save the file as UTF-8 (with or without BOM) or UTF-16 with a BOM",
            InputError::Read {
                source: config::ReadError::ScreenLost(_),
                ..
            } => "a fault of omero-iis, not of the file: run it again, and if it stops again, report it with the command and the file's size",
            InputError::Read { .. } => {
                "check that the file is readable and was not changed while being checked"
            }
            InputError::UnknownKind { .. } => {
                "name the kind with --kind web.config|apphost|fragment|cmd|ps1"
            }
        }
    }
}

fn bom_of(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Some("UTF-8")
    } else if bytes.starts_with(&[0xFF, 0xFE]) {
        Some("UTF-16LE")
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        Some("UTF-16BE")
    } else {
        None
    }
}

impl Input {
    /// Decodes a file and decides its kind (from `forced`, the name, then the content).
    pub fn new(
        path: PathBuf,
        name: &str,
        bytes: &[u8],
        forced: Option<Kind>,
    ) -> Result<Input, InputError> {
        let bom = bom_of(bytes);
        let by_name = kind_from_name(name);
        let text = match source::decode(bytes) {
            Ok(text) => text,
            // cmd.exe reads bytes in the console code page: a batch file that
            // is not UTF-8 is still checked (its non-ASCII bytes are reported).
            Err(_) if forced.or(by_name) == Some(Kind::Batch) && bom.is_none() => {
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(bytes)
                    .0
                    .into_owned()
            }
            Err(source) => {
                return Err(InputError::Decode {
                    path: name.to_owned(),
                    source,
                })
            }
        };
        let kind =
            classify(forced, name, &text, |needle| text.contains(needle)).ok_or_else(|| {
                InputError::UnknownKind {
                    path: name.to_owned(),
                }
            })?;
        Ok(Input {
            path,
            file: SourceFile::new(name, text),
            kind,
            bom,
        })
    }

    /// A large file on disk, to be checked as a stream instead of read whole:
    /// `head` is its first bytes and `contains` tells whether the whole file
    /// holds a string. `None` when it must be read whole instead: it is not
    /// XML, or not UTF-8 (UTF-16 is decoded in memory).
    pub fn streamed(
        path: &Path,
        name: &str,
        head: &[u8],
        forced: Option<Kind>,
        contains: impl Fn(&str) -> bool,
    ) -> Result<Option<Input>, InputError> {
        let bom = bom_of(head);
        if bom.is_some_and(|b| b != "UTF-8") || head.contains(&0) {
            return Ok(None);
        }
        let skip = if bom.is_some() { 3 } else { 0 };
        let head = &head[skip..];
        // The head may end inside a character.
        let text = match std::str::from_utf8(head) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
        };
        let kind = classify(forced, name, text, contains);
        let Some(kind @ (Kind::WebConfig | Kind::AppHost | Kind::Fragment)) = kind else {
            return Ok(None);
        };
        let file = SourceFile::streamed(name, path, skip as u64).map_err(|e| InputError::Read {
            path: name.to_owned(),
            source: config::ReadError::Io(e),
        })?;
        Ok(Some(Input {
            path: path.to_path_buf(),
            file,
            kind,
            bom,
        }))
    }
}

/// The kind of a file. `--kind` (`forced`) decides; otherwise a script's
/// name (.cmd, .bat, .ps1, web.config) does, and for other XML the content
/// decides, the name only breaking ties: a copy of applicationHost.config called
/// `apphost-prod.config` is still an applicationHost file. `text` is the file
/// or its beginning; `contains` searches the whole file.
fn classify(
    forced: Option<Kind>,
    name: &str,
    text: &str,
    contains: impl Fn(&str) -> bool,
) -> Option<Kind> {
    if let Some(kind) = forced {
        return Some(refine_xml_kind(kind, contains));
    }
    let named = kind_from_name(name);
    if let Some(script @ (Kind::Batch | Kind::PowerShell)) = named {
        return Some(script);
    }
    // IIS reads a file called web.config as one, whatever it holds: an
    // applicationHost section there is the error to report (OW309).
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if base.eq_ignore_ascii_case("web.config") {
        return Some(Kind::WebConfig);
    }
    match xml_root(text) {
        Some(root) => Some(xml_kind(root, named, contains)),
        // A .config that is not XML is still read as XML, to say so.
        None => named.or_else(|| script_kind_from_content(text)),
    }
}

fn kind_from_name(name: &str) -> Option<Kind> {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit(['/', '\\']).next().unwrap_or(&lower);
    if base.ends_with(".cmd") || base.ends_with(".bat") {
        Some(Kind::Batch)
    } else if base.ends_with(".ps1") {
        Some(Kind::PowerShell)
    } else if base.contains("applicationhost") {
        Some(Kind::AppHost)
    } else if base.ends_with(".config") {
        Some(Kind::WebConfig)
    } else {
        None
    }
}

/// An applicationHost file without `<configSections>` is a fragment.
fn refine_xml_kind(kind: Kind, contains: impl Fn(&str) -> bool) -> Kind {
    if kind == Kind::AppHost && !contains("<configSections") {
        Kind::Fragment
    } else {
        kind
    }
}

/// The start of the root element, when `text` looks like XML (after the
/// declaration and comments).
fn xml_root(text: &str) -> Option<&str> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('<') {
        return None;
    }
    let after_decl = match trimmed.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, r)| r),
        None => trimmed,
    };
    let mut rest = after_decl.trim_start();
    while let Some(comment) = rest.strip_prefix("<!--") {
        rest = comment
            .split_once("-->")
            .map_or("", |(_, r)| r)
            .trim_start();
    }
    Some(rest)
}

/// `<system.applicationHost>` makes an applicationHost file (whole with
/// `<configSections>`, else a fragment): web.config cannot hold that group,
/// while ASP.NET web.config files often declare `<configSections>` of their
/// own. Without it the name breaks the tie; a root other than
/// `<configuration>` is a fragment unless the name says web.config (whose
/// reader then reports the wrong root).
fn xml_kind(root: &str, named: Option<Kind>, contains: impl Fn(&str) -> bool) -> Kind {
    if !root.starts_with("<configuration") {
        return match named {
            Some(Kind::WebConfig) => Kind::WebConfig,
            _ => Kind::Fragment,
        };
    }
    // The name first: `contains` reads the whole of a streamed file.
    if named == Some(Kind::AppHost) || contains("<system.applicationHost") {
        refine_xml_kind(Kind::AppHost, contains)
    } else {
        Kind::WebConfig
    }
}

/// A script without a telling name: counts the idioms of each shell.
fn script_kind_from_content(text: &str) -> Option<Kind> {
    let lower = text.to_ascii_lowercase();
    let batch = [
        "@echo off",
        "setlocal",
        "%~dp0",
        "\nrem ",
        "goto :",
        "errorlevel",
    ]
    .iter()
    .filter(|m| lower.contains(*m))
    .count();
    let ps = [
        "$erroractionpreference",
        "import-module",
        "param(",
        "$lastexitcode",
        "write-host",
        "-eq ",
    ]
    .iter()
    .filter(|m| lower.contains(*m))
    .count();
    match batch.cmp(&ps) {
        std::cmp::Ordering::Greater => Some(Kind::Batch),
        std::cmp::Ordering::Less => Some(Kind::PowerShell),
        std::cmp::Ordering::Equal => None,
    }
}

/// The outcome of a check run.
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    /// Findings silenced by `omero-iis: allow` comments.
    pub suppressed: usize,
}

/// Checks the files, alone and together. `apphost` is the target server's
/// applicationHost.config (`--apphost`), if given; `schema` the IIS tables
/// (the built-in ones, or with `--schema` files).
pub fn check(
    inputs: &[Input],
    apphost: Option<&Input>,
    schema: &Schema,
) -> Result<Report, InputError> {
    let mut diagnostics = Vec::new();
    // Scripts first: they depend on no other file, and the pools they use
    // decide which of a hosting server's pools are kept.
    let checked_scripts: Vec<batch::Checked> = inputs
        .iter()
        .filter(|i| i.kind == Kind::Batch)
        .map(|i| batch::check(&i.file, i.bom, schema))
        .collect();
    let mut server = facts::Server {
        wanted_pools: wanted_pools(inputs, apphost, &checked_scripts, schema)?,
        ..facts::Server::bare(schema)
    };
    let mut checked_scripts = checked_scripts.into_iter();
    let has_web_config = inputs.iter().any(|i| i.kind == Kind::WebConfig);
    if let Some(a) = apphost {
        // Only this file's server-level entries are inherited by web.config files.
        server.keeps_inherited_entries = has_web_config;
        let checked = check_xml(a, Kind::AppHost, &server)?;
        server.apphost = Some(checked.server);
        server.keeps_inherited_entries = false;
    } else if has_web_config {
        server.assumed = Some(assumed_server(schema));
    }
    // First pass: what the applicationHost files and the scripts among the
    // inputs unlock (their unlocks count for the web.config files).
    // An applicationHost file's findings depend only on `--apphost` and the
    // IIS tables (locks are weighed for web.config files only), so they are
    // kept from this pass: each file is read once.
    // Whole applicationHost.config files go first: their <configSections>
    // decide for the fragments and web.config files checked with them.
    let mut scripts = Vec::new();
    let mut apphost_findings: Vec<Option<(usize, Vec<Diagnostic>)>> =
        inputs.iter().map(|_| None).collect();
    let whole_first = inputs
        .iter()
        .enumerate()
        .filter(|(_, i)| i.kind == Kind::AppHost)
        .chain(
            inputs
                .iter()
                .enumerate()
                .filter(|(_, i)| i.kind != Kind::AppHost),
        );
    for (at, input) in whole_first {
        match input.kind {
            Kind::AppHost | Kind::Fragment => {
                let checked = check_xml(input, input.kind, &server)?;
                apphost_findings[at] = Some((server.fragments.len(), checked.diagnostics));
                server.fragments.push(checked.server);
            }
            _ => {}
        }
    }
    for input in inputs {
        if input.kind == Kind::Batch {
            let checked = checked_scripts.next().expect("one result per batch input");
            server
                .fragments
                .push(batch::unlocks(&checked.commands, schema));
            scripts.push(checked);
        }
    }
    let mut scripts = scripts.into_iter();
    let mut apphost_findings = apphost_findings.into_iter().flatten();
    let mut deployment = cross::Deployment::default();
    deployment.servers.extend(server.apphost.clone());
    let mut suppressed = 0;
    for input in inputs {
        let mut found = match input.kind {
            Kind::WebConfig => {
                let checked = check_xml(input, input.kind, &server)?;
                deployment
                    .web_configs
                    .push((input.path.clone(), checked.web));
                checked.diagnostics
            }
            Kind::AppHost | Kind::Fragment => {
                let (at, findings) = apphost_findings
                    .next()
                    .expect("one result per applicationHost input");
                let facts = server.fragments[at].clone();
                match input.kind {
                    Kind::Fragment => deployment.server.push(facts),
                    _ => deployment.servers.push(facts),
                }
                findings
            }
            Kind::Batch => {
                let checked = scripts.next().expect("one result per batch input");
                deployment
                    .scripts
                    .push((input.path.clone(), checked.commands));
                checked.diagnostics
            }
            Kind::PowerShell => powershell::check(&input.file, input.bom),
        };
        suppressed += suppress(&input.file, &mut found);
        diagnostics.extend(found);
    }
    let mut cross = cross::check(&deployment);
    // Each file's comments are read once (a streamed file is searched on disk).
    let mut files: Vec<Arc<SourceFile>> = Vec::new();
    for span in cross.iter().filter_map(|d| d.span.as_ref()) {
        if !files.iter().any(|f| Arc::ptr_eq(f, &span.file)) {
            files.push(Arc::clone(&span.file));
        }
    }
    for file in &files {
        suppressed += suppress(file, &mut cross);
    }
    diagnostics.extend(cross);
    diagnostic::sort(&mut diagnostics);
    Ok(Report {
        diagnostics,
        suppressed,
    })
}

/// The pools the cross-file check will look up, known before any
/// applicationHost.config is read (see [`cross::wanted_pools`]), so that only
/// those of a hosting server's thousands are kept. `None` (keep all) when no
/// complete applicationHost.config is checked: fragments are small.
/// The server-level collection entries of a default IIS 10 server (the
/// model in [`crate::iis::DEFAULT_APPHOST`]), as web.config files inherit
/// them when no `--apphost` is given.
fn assumed_server(schema: &Schema) -> ServerFacts {
    let file = Arc::new(SourceFile::new(
        "(default IIS 10 applicationHost.config)",
        crate::iis::DEFAULT_APPHOST,
    ));
    let server = facts::Server {
        keeps_inherited_entries: true,
        ..facts::Server::bare(schema)
    };
    config::check(&file, Kind::AppHost, &server)
        .map(|checked| checked.server)
        .unwrap_or_default()
}

fn wanted_pools(
    inputs: &[Input],
    apphost: Option<&Input>,
    scripts: &[batch::Checked],
    schema: &Schema,
) -> Result<Option<foldhash::HashSet<String>>, InputError> {
    if apphost.is_none() && !inputs.iter().any(|i| i.kind == Kind::AppHost) {
        return Ok(None);
    }
    // The fragments' applications name pools too: read for them alone here
    // (their findings depend on --apphost, read next).
    let bare = facts::Server::bare(schema);
    let mut fragments = Vec::new();
    for input in inputs.iter().filter(|i| i.kind == Kind::Fragment) {
        fragments.push(check_xml(input, Kind::Fragment, &bare)?.server);
    }
    let commands = scripts.iter().map(|s| s.commands.as_slice());
    Ok(Some(cross::wanted_pools(commands, &fragments)))
}

fn check_xml(
    input: &Input,
    kind: Kind,
    server: &facts::Server,
) -> Result<config::Checked, InputError> {
    config::check(&input.file, kind, server).map_err(|source| InputError::Read {
        path: input.file.name.clone(),
        source,
    })
}

/// The marker of an inline suppression: `omero-iis: allow OW405` (this line and
/// the next) or `omero-iis: allow-file OW405` (the whole file), in a comment.
const MARKER: &str = "omero-iis: allow";

/// Drops findings silenced by comments in their file; returns how many.
fn suppress(file: &Arc<SourceFile>, diagnostics: &mut Vec<Diagnostic>) -> usize {
    let in_file = |d: &Diagnostic| d.span.as_ref().is_some_and(|s| Arc::ptr_eq(&s.file, file));
    if !diagnostics.iter().any(in_file) {
        return 0;
    }
    let mut rules: Vec<(Option<usize>, Code)> = Vec::new();
    for (n, line) in file.lines_containing(MARKER) {
        let at = line.find(MARKER).unwrap_or(0);
        let before = line[..at].to_ascii_lowercase();
        let in_comment = ["<!--", "rem", "::", "#"]
            .iter()
            .any(|c| before.contains(c));
        if !in_comment {
            continue;
        }
        let rest = &line[at + MARKER.len()..];
        let (whole_file, list) = match rest.strip_prefix("-file") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        for word in list
            .split([' ', ',', '\t'])
            .map(|w| w.trim_end_matches("-->"))
            .filter(|w| !w.is_empty())
        {
            match Code::parse(word) {
                Some(code) => rules.push(((!whole_file).then_some(n + 1), code)),
                None => break,
            }
        }
    }
    if rules.is_empty() {
        return 0;
    }
    let before = diagnostics.len();
    diagnostics.retain(|d| {
        let Some(span) = &d.span else { return true };
        if !Arc::ptr_eq(&span.file, file) {
            return true;
        }
        let line = span.start().line;
        !rules
            .iter()
            .any(|(at, code)| *code == d.code && at.is_none_or(|l| line == l || line == l + 1))
    });
    before - diagnostics.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_screening_thread_is_reported_as_the_programs_fault_not_the_files() {
        let read = |source| InputError::Read {
            path: "applicationHost.config".to_owned(),
            source,
        };
        let lost = read(screen::ScreenLost.into());
        assert_eq!(
            lost.to_string(),
            "applicationHost.config: the thread screening keys for duplicates stopped"
        );
        assert!(
            lost.help().contains("a fault of omero-iis"),
            "{}",
            lost.help()
        );
        let io = read(std::io::Error::other("gone").into());
        assert!(io.help().contains("readable"), "{}", io.help());
    }

    #[test]
    fn kinds_from_names_and_content() {
        let kind = |name: &str, text: &str| {
            Input::new(name.into(), name, text.as_bytes(), None)
                .map(|i| i.kind)
                .ok()
        };
        assert_eq!(
            kind("x/web.config", "<configuration/>"),
            Some(Kind::WebConfig)
        );
        assert_eq!(kind("install.CMD", "@echo off"), Some(Kind::Batch));
        assert_eq!(kind("a.ps1", ""), Some(Kind::PowerShell));
        assert_eq!(
            kind(
                "applicationHost.config",
                "<configuration><configSections/></configuration>"
            ),
            Some(Kind::AppHost)
        );
        assert_eq!(
            kind("applicationHost.fragment.xml", "<configuration/>"),
            Some(Kind::Fragment)
        );
        assert_eq!(kind("-", "<?xml version=\"1.0\"?><!-- x --><configuration><system.webServer/></configuration>"), Some(Kind::WebConfig));
        assert_eq!(kind("-", "<location path=\"a\"/>"), Some(Kind::Fragment));
        assert_eq!(kind("-", "@echo off\r\nsetlocal\r\n"), Some(Kind::Batch));
        assert_eq!(
            kind("-", "$ErrorActionPreference = 'Stop'"),
            Some(Kind::PowerShell)
        );
        assert_eq!(kind("-", "hello"), None);

        // The content decides for XML; the name only breaks ties.
        let apphost = "<configuration><configSections/><system.applicationHost><sites/></system.applicationHost></configuration>";
        assert_eq!(kind("apphost-prod.config", apphost), Some(Kind::AppHost));
        assert_eq!(
            kind(
                "Tests/expected.config",
                "<configuration><system.applicationHost><sites/></system.applicationHost></configuration>"
            ),
            Some(Kind::Fragment)
        );
        // ASP.NET web.config files declare sections of their own.
        assert_eq!(
            kind(
                "-",
                "<configuration><configSections><section name=\"log4net\" type=\"x\"/></configSections><system.webServer/></configuration>"
            ),
            Some(Kind::WebConfig)
        );
        assert_eq!(
            kind("web.config", "<system.webServer/>"),
            Some(Kind::WebConfig)
        );
        assert_eq!(kind("web.config", "@echo off"), Some(Kind::WebConfig));
        assert_eq!(kind("site/Web.config", apphost), Some(Kind::WebConfig));
        let forced = Input::new(
            "a.config".into(),
            "a.config",
            apphost.as_bytes(),
            Some(Kind::WebConfig),
        )
        .unwrap()
        .kind;
        assert_eq!(forced, Kind::WebConfig);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Any text, as any kind of file, gives findings, never a panic.
        #[test]
        fn arbitrary_text_never_panics(text in "(\\PC|[<>\"'%^&|\r\n\u{2019}/\\[\\]=:-]){0,200}", kind in 0usize..5) {
            let kind = [Kind::WebConfig, Kind::AppHost, Kind::Fragment, Kind::Batch, Kind::PowerShell][kind];
            let input = Input { path: "x".into(), file: SourceFile::new("x", text), kind, bom: None };
            let _ = check(&[input], None, Schema::global()).unwrap();
        }

        /// appcmd lines with arbitrary parameters and indexers.
        #[test]
        fn arbitrary_appcmd_never_panics(verb in "(add|set|list|delete|unlock|x)", object in "(app|apppool|site|vdir|config|backup|y)", rest in "(\\PC|[\"'\\[\\]/:.,=@+-]){0,80}") {
            let text = format!("setlocal\r\n\"%windir%\\system32\\inetsrv\\appcmd.exe\" {verb} {object} {rest}\r\n");
            let input = Input { path: "x.cmd".into(), file: SourceFile::new("x.cmd", text), kind: Kind::Batch, bom: None };
            let _ = check(&[input], None, Schema::global()).unwrap();
        }

        /// Mutations of a real configuration (the structure is kept, values change).
        #[test]
        fn mutated_configuration_never_panics(value in "\\PC{0,20}", name in "[a-zA-Z]{1,12}") {
            let text = format!(
                "<configuration><system.webServer><{name} {name}=\"{v}\"><add name=\"{v}\" path=\"*\" verb=\"*\" /></{name}><handlers><add name=\"a\" path=\"{v}\" verb=\"*\" /><remove name=\"a\" /></handlers></system.webServer><location path=\"{v}\" overrideMode=\"{v}\"><system.webServer><staticContent><mimeMap fileExtension=\"{v}\" mimeType=\"{v}\" /></staticContent></system.webServer></location></configuration>",
                v = crate::render::escape::xml(&value).map(|v| v.into_owned()).unwrap_or_default()
            );
            for kind in [Kind::WebConfig, Kind::AppHost, Kind::Fragment] {
                let input = Input { path: "x".into(), file: SourceFile::new("x", text.clone()), kind, bom: None };
                let _ = check(&[input], None, Schema::global()).unwrap();
            }
        }
    }

    #[test]
    fn suppression_comments() {
        let file = SourceFile::new(
            "t.cmd",
            "setlocal\r\nrem omero-iis: allow OW405\r\nicacls x\r\necho\r\n",
        );
        let input = Input {
            path: "t.cmd".into(),
            file,
            kind: Kind::Batch,
            bom: None,
        };
        let report = check(&[input], None, Schema::global()).unwrap();
        assert!(report.diagnostics.is_empty());
        assert_eq!(report.suppressed, 1);
    }
}
