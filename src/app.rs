//! Runs a parsed command: reads inputs, drives the pipeline, writes output.
//! All I/O of the tool happens here, at the edge.

use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::cli::{
    CheckArgs, Cli, Command, DeployArgs, ExplainArgs, GenArgs, ReviewArgs, ReviewFormat,
    SettingsArgs, SettingsCommand, ShowArgs, ShowFormat, ValidateArgs, ValidateCommand,
};
use crate::deploy::{self, DeployFileError, DeployOptions, Targets};
use crate::diagnostic::{self, Code, Diagnostic};
use crate::render::{self, Artifact, RenderError, TemplateSet};
use crate::report;
use crate::settings::sources::{self, SourceError};
use crate::settings::{self, Catalogue, Settings, Value};
use crate::source::SourceFile;
use crate::validate::{self, FrontEnd};

mod output;
mod terminal;
use output::{write_artifacts, WriteOptions};
use terminal::Colors;

/// Operational failures (exit code 2). Findings are never errors.
#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    DeployFile(#[from] DeployFileError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("{path}: {message}")]
    Output { path: String, message: String },
    #[error("{path} already exists and differs from what would be written; nothing was written")]
    OutputExists { path: String },
    #[error("{path}: {message}; nothing was written")]
    OutputRefused {
        path: String,
        message: String,
        help: &'static str,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("unknown rule `{0}`; `omero-iis explain --list` shows them all")]
    UnknownRule(String),
    #[error(transparent)]
    CheckInput(#[from] crate::check::InputError),
    #[error("{path}:{line}:{column}: cannot load the configuration: {message}")]
    Apphost {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(transparent)]
    Schema(#[from] crate::iis::schema_files::SchemaError),
    #[error("{0}")]
    Usage(String),
}

impl AppError {
    pub fn help(&self) -> Option<&str> {
        match self {
            AppError::Source(e) => e.help(),
            AppError::CheckInput(e) => Some(e.help()),
            AppError::Schema(e) => Some(e.help()),
            AppError::Apphost { .. } => Some(
                "give the server's own %windir%\\System32\\inetsrv\\config\\applicationHost.config; `omero-iis check` shows what is wrong with it",
            ),
            AppError::OutputExists { .. } => {
                Some("compare it with `omero-iis gen ... --stdout`; pass --force to replace the files that changed, or choose another folder with -o")
            }
            AppError::OutputRefused { help, .. } => Some(help),
            _ => None,
        }
    }
}

/// The result of a command that ran: exit code 0 or 1.
pub type Outcome = Result<u8, AppError>;

pub fn run(cli: Cli) -> Outcome {
    let colors = terminal::decide(cli.color);
    match cli.command {
        Command::Validate(ValidateCommand::Settings(args)) => validate_settings(args, colors),
        Command::Gen(args) => gen(args, colors),
        Command::Settings(SettingsCommand::Show(args)) => show(args, colors),
        Command::Explain(args) => explain(args),
        Command::Check(args) => check_files(args, colors),
        Command::Review(args) => review(args, colors),
        Command::Completions(args) => {
            print_stdout(&completions(args.shell));
            Ok(0)
        }
        Command::Man => {
            print_stdout(&man_page());
            Ok(0)
        }
    }
}

/// The completion script for `shell` (clap_complete).
pub fn completions(shell: clap_complete::Shell) -> String {
    let mut command = <crate::cli::Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "omero-iis", &mut out);
    String::from_utf8(out).expect("completion scripts are UTF-8")
}

/// The manual page, in roff (clap_mangen).
pub fn man_page() -> String {
    let command = <crate::cli::Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut out)
        .expect("rendering into memory does not fail");
    String::from_utf8(out).expect("the manual page is UTF-8")
}

/// Everything read and found before rendering.
struct Checked {
    plan: deploy::Plan,
    diagnostics: Vec<Diagnostic>,
    summary: String,
    /// The first line of a report: the mode assumed and why.
    header: String,
}

/// The OMERO version given: `--omero-version`, else `omero-version` in the
/// `--deploy` file (the flag was merged over it); with where it came from.
fn given_version(
    options: &DeployOptions,
) -> Result<Option<(crate::settings::versions::OmeroVersion, String)>, AppError> {
    use crate::settings::versions::OmeroVersion;
    let Some(option) = &options.omero_version else {
        return Ok(None);
    };
    let version = OmeroVersion::parse(&option.value)
        .map_err(|message| AppError::Usage(format!("--omero-version: {message}")))?;
    let from = if option.span.file.name.starts_with("--") {
        "--omero-version".to_owned()
    } else {
        option.span.display()
    };
    Ok(Some((version, from)))
}

/// The deployment mode: `--mode`, else `mode` in the `--deploy` file, else
/// the default; with where it came from (`None` for the default).
fn resolve_mode(
    flag: Option<crate::validate::Mode>,
    options: &DeployOptions,
    version: Option<(crate::settings::versions::OmeroVersion, &str)>,
) -> (crate::validate::Mode, Option<String>) {
    use crate::validate::Mode;
    if let Some(mode) = flag {
        return (mode, Some("--mode".to_owned()));
    }
    match options
        .mode
        .as_ref()
        .and_then(|o| Mode::parse(&o.value).map(|m| (m, o)))
    {
        Some((mode, option)) => (mode, Some(option.span.display())),
        // omero-web 5.6 and later run only under Gunicorn: IIS can only proxy.
        None => match version {
            Some((v, from)) if !v.is_bundled() => (
                Mode::ReverseProxy,
                Some(format!(
                    "omero-web {v} of {from}, which runs under Gunicorn"
                )),
            ),
            _ => (Mode::default(), None),
        },
    }
}

fn load_settings(args: &SettingsArgs) -> Result<(Settings, Vec<Diagnostic>, usize), AppError> {
    let mut settings = Settings::default();
    let mut diagnostics = Vec::new();
    let mut sources = 0;
    let mut add = |loaded: sources::Loaded, settings: &mut Settings| {
        diagnostics.extend(loaded.diagnostics);
        settings.apply(loaded.assignments);
    };
    let implicit = if args.inputs.is_empty() {
        implicit_input()
    } else {
        None
    };
    for input in args.inputs.iter().chain(&implicit) {
        add(
            sources::read_input(input, args.input_format, args.profile.as_deref())?,
            &mut settings,
        );
        sources += 1;
    }
    if args.env {
        add(sources::read_environment(std::env::vars()), &mut settings);
        sources += 1;
    }
    if !args.set.is_empty() {
        add(sources::read_set_arguments(&args.set), &mut settings);
        sources += 1;
    }
    Ok((settings, diagnostics, sources))
}

/// The settings read when no INPUT is given: the OMERO.server's own
/// config.xml when `OMERODIR` names one (as `omero config` reads it), else
/// none. Says on stderr which, so that defaults are never taken silently.
fn implicit_input() -> Option<PathBuf> {
    let Some(omerodir) = std::env::var_os("OMERODIR").filter(|d| !d.is_empty()) else {
        eprintln!(
            "note: no settings file given: using OMERO's defaults (give etc/grid/config.xml, or set OMERODIR)"
        );
        return None;
    };
    let config = Path::new(&omerodir)
        .join("etc")
        .join("grid")
        .join("config.xml");
    if config.is_file() {
        eprintln!(
            "note: no settings file given: reading {} (from OMERODIR)",
            config.display()
        );
        Some(config)
    } else {
        eprintln!(
            "note: no settings file given, and OMERODIR has no {}: using OMERO's defaults",
            config.display()
        );
        None
    }
}

fn deploy_options(args: &DeployArgs) -> Result<DeployOptions, AppError> {
    let from_file = match &args.deploy {
        Some(path) => {
            let bytes = crate::source::read_input_bytes(path, crate::source::SETTINGS_INPUT_LIMIT)
                .map_err(|source| AppError::Read {
                    path: path.display().to_string(),
                    source,
                })?;
            let file =
                SourceFile::from_bytes(&path.display().to_string(), &bytes).map_err(|source| {
                    SourceError::Decode {
                        path: path.display().to_string(),
                        source,
                    }
                })?;
            DeployOptions::from_toml(&file)?
        }
        None => DeployOptions::default(),
    };
    let mut from_flags = DeployOptions::default();
    for (name, value) in args.flags() {
        from_flags.set_from_flag(name, value);
    }
    Ok(from_file.merge(from_flags))
}

fn check(
    settings_args: &SettingsArgs,
    deploy_args: &DeployArgs,
    targets: Targets,
) -> Result<Checked, AppError> {
    let (settings, mut diagnostics, sources) = load_settings(settings_args)?;
    let catalogue = Catalogue::global();
    let options = deploy_options(deploy_args)?;
    let given_version = given_version(&options)?;
    let (mode, mode_from) = resolve_mode(
        deploy_args.mode,
        &options,
        given_version.as_ref().map(|(v, from)| (*v, from.as_str())),
    );
    let (version, version_from) = match given_version {
        Some((v, from)) => (v, Some(from)),
        None => (mode.default_version(), None),
    };
    let front = FrontEnd {
        mode,
        mode_chosen: mode_from.is_some(),
        version,
        // An unreadable value is reported by the plan; validate as plain HTTP.
        https: options
            .https
            .as_ref()
            .is_some_and(|o| o.value.trim().eq_ignore_ascii_case("true")),
    };
    diagnostics.extend(validate::validate(&settings, catalogue, front));
    let (plan, plan_diagnostics) = deploy::plan(&settings, &options, mode, targets);
    diagnostics.extend(plan_diagnostics);
    diagnostic::sort(&mut diagnostics);
    for d in &mut diagnostics {
        d.redact(settings.secrets());
    }
    let checked = if sources == 0 {
        "no inputs given, checked OMERO's defaults".to_owned()
    } else {
        format!(
            "checked {} from {}",
            report::plural(settings.len(), "property"),
            report::plural(sources, "source")
        )
    };
    let assumed = match &mode_from {
        Some(from) => format!("mode {} (from {from})", mode.name()),
        None => format!(
            "mode {} (the default; --mode reverse-proxy for {})",
            mode.name(),
            crate::validate::Mode::ReverseProxy.omero_versions()
        ),
    };
    let version_assumed = match &version_from {
        Some(from) => format!("{} (from {from})", version.product()),
        None => format!(
            "{} (the default for {}; --omero-version for another)",
            version.product(),
            mode.name()
        ),
    };
    Ok(Checked {
        plan,
        diagnostics,
        summary: format!("{checked} (mode {}, {})", mode.name(), version.product()),
        header: format!(
            "assuming {assumed}: {}; {version_assumed}\n",
            mode.omero_versions()
        ),
    })
}

fn validate_settings(args: ValidateArgs, colors: Colors) -> Outcome {
    let checked = check(
        &args.settings,
        &args.deploy,
        Targets {
            cmd_scripts: true,
            ps_scripts: true,
        },
    )?;
    if args.format == report::Format::Text {
        print_stdout(&format!("{}\n", checked.header));
    }
    write_report(
        args.format,
        &checked.diagnostics,
        &checked.summary,
        colors.stdout,
    );
    Ok(u8::from(args.deny.fails(&checked.diagnostics)))
}

fn gen(args: GenArgs, colors: Colors) -> Outcome {
    let templates = match &args.templates {
        Some(dir) => TemplateSet::load(dir).map_err(|source| AppError::Read {
            path: dir.display().to_string(),
            source,
        })?,
        None => TemplateSet::default(),
    };
    let targets = Targets {
        cmd_scripts: args.target.includes_scripts() && args.shell.cmd(),
        ps_scripts: args.target.includes_scripts() && args.shell.powershell(),
    };
    let checked = check(&args.settings, &args.deploy, targets)?;
    eprint!("{}", checked.header);
    if !checked.diagnostics.is_empty() {
        eprint!(
            "{}",
            report::text_report(&checked.diagnostics, &checked.summary, colors.stderr)
        );
    }
    if args.deny.fails(&checked.diagnostics) {
        eprintln!("nothing was written: fix the findings above first");
        return Ok(1);
    }
    let mut artifacts = render::render(&checked.plan, args.target, args.shell, &templates)?;
    if let Some(wanted) = &args.file {
        artifacts = pick_file(artifacts, wanted)?;
    }
    if args.stdout {
        let mut out = Vec::new();
        let several = artifacts.len() > 1;
        if several {
            eprintln!(
                "note: {} files, each after a `==> path <==` line: together not one valid file; `--file {}` prints one",
                artifacts.len(),
                artifacts[0].path,
            );
        }
        for artifact in &artifacts {
            if several {
                out.extend_from_slice(format!("==> {} <==\n", artifact.path).as_bytes());
            }
            out.extend_from_slice(&artifact.bytes);
        }
        write_stdout(&out);
    } else {
        let mut inputs: Vec<&Path> = args.settings.inputs.iter().map(PathBuf::as_path).collect();
        inputs.extend(args.deploy.deploy.as_deref());
        let how = WriteOptions {
            force: args.force,
            inputs: &inputs,
            lock: true,
        };
        let written = write_artifacts(&args.output, &artifacts, &how)?;
        eprint!("{}", write_summary(&args.output, &artifacts, &written));
    }
    Ok(0)
}

/// The one artifact `--file` names (`web/web.config`, or with `\`).
fn pick_file(artifacts: Vec<Artifact>, wanted: &str) -> Result<Vec<Artifact>, AppError> {
    let wanted_path = wanted.replace('\\', "/");
    let names: Vec<String> = artifacts.iter().map(|a| a.path.clone()).collect();
    let picked: Vec<Artifact> = artifacts
        .into_iter()
        .filter(|a| a.path == wanted_path)
        .collect();
    if picked.is_empty() {
        return Err(AppError::Usage(format!(
            "--file {wanted}: not one of the files this command makes: {}",
            names.join(", ")
        )));
    }
    Ok(picked)
}

/// What `gen` says it did: one write, as stderr is unbuffered and each piece
/// would be a call of its own.
fn write_summary(dir: &Path, artifacts: &[Artifact], written: &[bool]) -> String {
    let total = artifacts.len();
    let count = written.iter().filter(|w| **w).count();
    let dir = dir.display();
    if count == 0 {
        return format!("nothing to write: the {total} files in {dir} are up to date\n");
    }
    let mut summary = if count == total {
        format!("wrote {count} files to {dir}:\n")
    } else {
        format!("wrote {count} of {total} files to {dir} (the others are up to date):\n")
    };
    for (artifact, _) in artifacts.iter().zip(written).filter(|(_, w)| **w) {
        summary.push_str("  ");
        summary.push_str(&output::display_name(&artifact.path));
        summary.push('\n');
    }
    summary
}

fn show(args: ShowArgs, colors: Colors) -> Outcome {
    let (settings, mut diagnostics, _) = load_settings(&args.settings)?;
    let catalogue = Catalogue::global();
    for d in &mut diagnostics {
        d.redact(settings.secrets());
        eprintln!("{}\n", report::text(d, colors.stderr));
    }
    let shown = |key: &str, value: &Value| -> (String, bool) {
        match value {
            Value::Masked => ("********".to_owned(), true),
            Value::Text(t)
                if !args.show_password && settings::is_secret(key, catalogue) && !t.is_empty() =>
            {
                ("********".to_owned(), true)
            }
            Value::Text(t) if args.show_password => (t.clone(), false),
            Value::Text(t) => {
                let masked = settings::secrets::mask_embedded(t);
                let changed = masked != *t;
                (masked, changed)
            }
        }
    };
    let version = match &args.omero_version {
        Some(text) => crate::settings::versions::OmeroVersion::parse(text)
            .map_err(|message| AppError::Usage(format!("--omero-version: {message}")))?,
        None => crate::settings::versions::NEWEST,
    };
    // (key, default) of the properties this version reads and nobody set.
    let defaults: Vec<(&str, Option<&str>, &str)> = if args.defaults {
        catalogue
            .iter()
            .filter(|p| !p.is_deprecated() && !settings.is_set(p.key))
            .filter(|p| crate::settings::versions::not_read(p.key, version).is_none())
            .map(|p| {
                let default = crate::settings::versions::default_for(p.key, version).or(p.default);
                (p.key, default, p.django)
            })
            .collect()
    } else {
        Vec::new()
    };
    let out = match args.format {
        ShowFormat::Json => {
            let mut rows: Vec<serde_json::Value> = settings
                .iter()
                .map(|s| {
                    let (value, masked) = shown(&s.key, &s.value);
                    let p = s.value_span.start();
                    serde_json::json!({
                        "key": s.key, "value": value, "masked": masked,
                        "unknown_value": s.value == Value::Masked,
                        "source": { "file": s.value_span.file.name, "line": p.line, "column": p.column },
                    })
                })
                .collect();
            rows.extend(defaults.iter().map(|(key, default, _)| {
                serde_json::json!({ "key": key, "value": default, "masked": false, "unknown_value": false, "source": null })
            }));
            format!("{:#}\n", serde_json::json!({ "properties": rows }))
        }
        ShowFormat::Text => {
            let mut out = String::new();
            for s in settings.iter() {
                let (value, _) = shown(&s.key, &s.value);
                let note = if s.value == Value::Masked {
                    " (masked in the source: value unknown)"
                } else {
                    ""
                };
                let line = match crate::render::escape::omero_config_line(&s.key, &value) {
                    Ok(line) => line,
                    Err(e) => {
                        // Never print a line that `omero config load` would read differently.
                        eprintln!(
                            "warning: {}: {} cannot be shown as a load line: {}",
                            s.value_span.display(),
                            s.key,
                            e.reason
                        );
                        format!("# {}= (not shown: {}; see --format json)", s.key, e.reason)
                    }
                };
                out.push_str(&format!("# {}{note}\n{line}\n", s.value_span.display()));
            }
            for (key, default, django) in &defaults {
                match default {
                    Some(d) => out.push_str(&format!("# default\n{key}={d}\n")),
                    None => out.push_str(&format!(
                        "# default: unset ({django} keeps Django's default)\n#{key}=\n"
                    )),
                }
            }
            out
        }
    };
    print_stdout(&out);
    Ok(0)
}

fn explain(args: ExplainArgs) -> Outcome {
    if args.list {
        let mut out = String::new();
        for code in Code::ALL {
            let severity = format!("{:?}", code.severity()).to_lowercase();
            out.push_str(&format!(
                "{}  {:<7}  {:<28} {}\n",
                code.id(),
                severity,
                code.slug(),
                code.title()
            ));
        }
        print_stdout(&out);
        return Ok(0);
    }
    let wanted = args.code.unwrap_or_default();
    let code = Code::parse(&wanted).ok_or(AppError::UnknownRule(wanted))?;
    print_stdout(&crate::rules::page(code));
    Ok(0)
}

/// Files a folder holds that `check` understands, in a stable order.
///
/// Symbolic links to folders inside it are not followed (a link back up
/// made the same files come round again, and two made it exponential);
/// links to files are checked like the files. FIFOs, sockets and devices
/// are skipped, with a note on stderr: opening a FIFO waits for a writer.
fn files_in(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), AppError> {
    let walk = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walk {
        let entry = entry.map_err(|e| AppError::Read {
            path: e
                .path()
                .map_or_else(|| dir.display().to_string(), |p| p.display().to_string()),
            source: e.into(),
        })?;
        if entry.depth() == 0 || entry.file_type().is_dir() {
            continue;
        }
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        let wanted = [".config", ".cmd", ".bat", ".ps1"]
            .iter()
            .any(|e| name.ends_with(e))
            || (name.contains("applicationhost") && name.ends_with(".xml"));
        if !wanted {
            continue;
        }
        // What a link points to, or the entry itself.
        match std::fs::metadata(path) {
            Ok(target) if target.is_file() => out.push(path.to_path_buf()),
            Ok(target) if target.is_dir() => {} // a link to a folder: not followed
            Ok(_) => eprintln!(
                "note: skipped {}: not a regular file (a FIFO, socket or device)",
                path.display()
            ),
            Err(_) if entry.path_is_symlink() => eprintln!(
                "note: skipped {}: a symbolic link to nothing",
                path.display()
            ),
            Err(source) => {
                return Err(AppError::Read {
                    path: path.display().to_string(),
                    source,
                })
            }
        }
    }
    Ok(())
}

/// Whether a file found in a folder is a server's applicationHost.config
/// (by its exact name, as IIS keeps it).
fn is_apphost_name(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.eq_ignore_ascii_case("applicationHost.config"))
}

/// A file for `check`: large UTF-8 XML files are streamed, others read whole.
fn read_check_input(
    path: &Path,
    kind: Option<crate::check::Kind>,
) -> Result<crate::check::Input, AppError> {
    match stream_check_input(path, kind)? {
        Some(input) => Ok(input),
        None => read_whole_input(path, kind),
    }
}

/// A UTF-8 XML file over [`crate::source::STREAM_ABOVE`] bytes, opened to be
/// checked as a stream; `None` for anything to be read whole.
fn stream_check_input(
    path: &Path,
    kind: Option<crate::check::Kind>,
) -> Result<Option<crate::check::Input>, AppError> {
    use crate::source::{file_contains, read_head, STREAM_ABOVE};
    // A file that cannot be inspected is read whole, which reports why.
    let size = match std::fs::metadata(path) {
        Ok(m) if m.is_file() && path.as_os_str() != "-" => m.len(),
        _ => return Ok(None),
    };
    if size <= STREAM_ABOVE {
        return Ok(None);
    }
    let name = path.display().to_string();
    let head = read_head(path, 64 << 10).map_err(|source| AppError::Read {
        path: name.clone(),
        source,
    })?;
    // The file's start is at hand: most searches end there. A search that
    // fails to read answers "not found"; reading the file to check it then
    // fails and says why.
    let contains = |needle: &str| {
        memchr::memmem::find(&head, needle.as_bytes()).is_some()
            || file_contains(path, needle).unwrap_or(false)
    };
    Ok(crate::check::Input::streamed(
        path, &name, &head, kind, contains,
    )?)
}

/// A file read whole into memory (up to [`crate::source::CHECK_INPUT_LIMIT`]).
fn read_whole_input(
    path: &Path,
    kind: Option<crate::check::Kind>,
) -> Result<crate::check::Input, AppError> {
    let name = path.display().to_string();
    let bytes = crate::source::read_input_bytes(path, crate::source::CHECK_INPUT_LIMIT).map_err(
        |source| AppError::Read {
            path: name.clone(),
            source,
        },
    )?;
    Ok(crate::check::Input::new(
        path.to_path_buf(),
        &name,
        &bytes,
        kind,
    )?)
}

/// The rules named by `--allow`.
fn allowed_rules(names: &[String]) -> Result<Vec<Code>, AppError> {
    names
        .iter()
        .map(|a| Code::parse(a).ok_or_else(|| AppError::UnknownRule(a.clone())))
        .collect()
}

fn check_files(args: CheckArgs, colors: Colors) -> Outcome {
    let allowed = allowed_rules(&args.allow)?;
    let mut paths = Vec::new();
    let mut found_apphosts = Vec::new();
    for path in &args.files {
        if path.is_dir() {
            let first = paths.len();
            files_in(path, &mut paths)?;
            found_apphosts.extend(
                paths[first..]
                    .iter()
                    .filter(|p| is_apphost_name(p))
                    .cloned(),
            );
        } else {
            paths.push(path.clone());
        }
    }
    let inputs: Vec<crate::check::Input> = paths
        .iter()
        .map(|p| read_check_input(p, args.kind))
        .collect::<Result<_, _>>()?;
    // A server's applicationHost.config in a checked folder decides the
    // locks for the web.config files beside it, as --apphost would.
    let apphost_path = match (&args.apphost, found_apphosts.as_slice()) {
        (Some(path), _) => Some(path.clone()),
        (None, [one]) => Some(one.clone()),
        (None, _) => None,
    };
    let apphost = match &apphost_path {
        Some(path) => Some(read_check_input(path, Some(crate::check::Kind::AppHost))?),
        None => None,
    };
    let (schema, schema_note) = schema_for(&args.schema)?;
    let mut report = crate::check::check(&inputs, apphost.as_ref(), schema)?;
    report.diagnostics.retain(|d| !allowed.contains(&d.code));
    let mut summary = format!(
        "checked {} file{}",
        inputs.len(),
        if inputs.len() == 1 { "" } else { "s" }
    );
    if report.suppressed > 0 {
        summary.push_str(&format!(
            "; {} silenced by `omero-iis: allow` comments",
            report.suppressed
        ));
    }
    let has_web_config = inputs
        .iter()
        .any(|i| i.kind == crate::check::Kind::WebConfig);
    match (&args.apphost, found_apphosts.as_slice()) {
        (None, [one]) => summary.push_str(&format!(
            "; {} found in the folder decides the section locks (as --apphost)",
            one.display()
        )),
        (None, [_, _, ..]) if has_web_config => summary.push_str(&format!(
            "; {} applicationHost.config files found, none used as --apphost: give the server's with --apphost",
            found_apphosts.len()
        )),
        _ => {}
    }
    if apphost.is_none() && has_web_config {
        summary.push_str("; no --apphost: a default IIS 10 server assumed (its section locks and server-level entries)");
    }
    summary.push_str(&schema_note);
    write_report(args.format, &report.diagnostics, &summary, colors.stdout);
    Ok(u8::from(args.deny.fails(&report.diagnostics)))
}

/// Writes a report to stdout as it is made (buffered); a closed pipe is not
/// an error.
fn write_report(format: report::Format, diagnostics: &[Diagnostic], summary: &str, color: bool) {
    let mut stdout = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
    let _ = report::write(format, diagnostics, summary, color, &mut stdout)
        .and_then(|()| std::io::Write::flush(&mut stdout));
}

fn print_stdout(text: &str) {
    write_stdout(text.as_bytes());
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
}

/// The IIS tables to check against: the built-in ones, with the sections
/// the `--schema` files describe (else, on an IIS server, its own schema
/// folder) in place of theirs; and what the report says about it.
fn schema_for(
    paths: &[PathBuf],
) -> Result<(&'static crate::iis::schema::Schema, String), AppError> {
    use crate::iis::schema_files;
    let builtin = crate::iis::schema::Schema::global();
    let (paths, from) = match paths {
        [] => match schema_files::server_folder() {
            Some(folder) => (vec![folder], "this server's schema folder"),
            None => return Ok((builtin, String::new())),
        },
        given => (given.to_vec(), "--schema"),
    };
    let (loaded, scope, files) = schema_files::load(&paths, builtin)?;
    let how = match scope {
        schema_files::Scope::Server => "a whole server's schema: sections it lacks do not exist",
        schema_files::Scope::Added => "added to the built-in tables",
    };
    // One schema set per run: it lives as long as the process.
    let loaded: &'static _ = Box::leak(Box::new(loaded));
    Ok((
        loaded,
        format!(
            "; IIS tables from {from} ({}, {how})",
            report::plural(files, "schema file")
        ),
    ))
}

fn review(args: ReviewArgs, colors: Colors) -> Outcome {
    use crate::review::{self, Server};
    let allowed = allowed_rules(&args.allow)?;
    let (schema, _) = schema_for(&args.schema)?;
    let (mut server, bom) = match &args.apphost {
        Some(path) => {
            let input = read_whole_input(path, Some(crate::check::Kind::AppHost))?;
            let (name, bom) = (input.file.name.clone(), input.bom);
            // The document shares this copy of the text; the input's own
            // copy (and its line index) is freed before the document is built.
            let text: std::sync::Arc<str> = std::sync::Arc::from(input.file.text.as_str());
            drop(input);
            let server = Server::load_shared(&name, std::sync::Arc::clone(&text)).map_err(|e| {
                let file = crate::source::SourceFile::new(name.clone(), text.to_string());
                let pos = file.position(e.offset);
                AppError::Apphost {
                    path: name.clone(),
                    line: pos.line,
                    column: pos.column,
                    message: e.message.clone(),
                }
            })?;
            (server, bom)
        }
        None => (Server::default_iis(), None),
    };
    server.schema = schema;
    for mapping in &args.site_root {
        let (windows, local) = match mapping.split_once('=') {
            Some((w, l)) if w.contains(['\\', ':']) => (w.to_owned(), l.to_owned()),
            _ => {
                let root = server.physical_path("Default Web Site").ok_or_else(|| {
                    AppError::Usage(format!(
                        "--site-root {mapping}: this server has no Default Web Site; write WINDOWS-FOLDER=LOCAL-FOLDER"
                    ))
                })?;
                (root, mapping.clone())
            }
        };
        if !Path::new(&local).is_dir() {
            return Err(AppError::Usage(format!(
                "--site-root {mapping}: `{local}` is not a folder"
            )));
        }
        server.disk.mount(&windows, PathBuf::from(local));
    }
    for path in &args.missing {
        server.disk.declare_missing(path);
    }
    let mut scripts = Vec::new();
    for path in &args.scripts {
        let kind = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ps1"))
        {
            crate::check::Kind::PowerShell
        } else {
            crate::check::Kind::Batch
        };
        let input = read_whole_input(path, Some(kind))?;
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // Each script sees its own folder as %~dp0 while it runs.
        scripts.push(
            review::script(input.file, &args.script_folder)
                .with_local_folder(folder.to_path_buf())
                .with_arguments(args.arguments.clone()),
        );
    }
    let mut result = review::review(&scripts, server);
    result.diagnostics.retain(|d| !allowed.contains(&d.code));
    if let Some(output) = &args.output {
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| AppError::Usage(format!("-o {}: not a file name", output.display())))?;
        let dir = output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let artifact = Artifact {
            path: name,
            bytes: encode_like_input(&result.apphost_after(), bom),
        };
        let how = WriteOptions {
            force: args.force,
            inputs: &[],
            lock: false,
        };
        write_artifacts(dir, &[artifact], &how)?;
    }
    match args.format {
        ReviewFormat::Text => print_stdout(&result.text(colors.stdout)),
        ReviewFormat::Diff => print_stdout(&result.unified_diff()),
        ReviewFormat::Json => print_stdout(
            &(serde_json::to_string_pretty(&result.json()).expect("JSON values serialise") + "\n"),
        ),
        ReviewFormat::Sarif => write_report(
            report::Format::Sarif,
            &result.diagnostics,
            &result.summary(),
            false,
        ),
        ReviewFormat::Github => write_report(
            report::Format::Github,
            &result.diagnostics,
            &result.summary(),
            false,
        ),
    }
    Ok(u8::from(args.deny.fails(&result.diagnostics)))
}

/// Text in the encoding (and with the byte order mark) the input had.
fn encode_like_input(text: &str, bom: Option<&str>) -> Vec<u8> {
    match bom {
        Some("UTF-8") => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        Some("UTF-16LE") => std::iter::once(0xFEFFu16)
            .chain(text.encode_utf16())
            .flat_map(u16::to_le_bytes)
            .collect(),
        Some("UTF-16BE") => std::iter::once(0xFEFFu16)
            .chain(text.encode_utf16())
            .flat_map(u16::to_be_bytes)
            .collect(),
        _ => text.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::read_check_input;
    use crate::check::Kind;

    /// `check` streams large UTF-8 XML files and reads everything else whole.
    #[test]
    fn large_xml_files_are_streamed_and_the_rest_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let xml = format!(
            "<configuration>\n{}</configuration>\n",
            "  <system.webServer />\n".repeat(250_000)
        );
        assert!(xml.len() as u64 > crate::source::STREAM_ABOVE);
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        };
        let large = write("web.config", xml.as_bytes());
        let small = write("small.web.config", b"<configuration />\n");
        let script = write("install.cmd", "rem x\r\n".repeat(1_000_000).as_bytes());
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(xml.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let wide = write("wide.web.config", &utf16);

        let input = read_check_input(&large, None).unwrap();
        assert!(input.file.is_streamed());
        assert_eq!(input.kind, Kind::WebConfig);
        for (path, kind) in [
            (&small, Kind::WebConfig),
            (&script, Kind::Batch),
            (&wide, Kind::WebConfig),
        ] {
            let input = read_check_input(path, None).unwrap();
            assert!(!input.file.is_streamed(), "{path:?}");
            assert_eq!(input.kind, kind, "{path:?}");
        }
    }
}
