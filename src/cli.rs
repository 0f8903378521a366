//! Command-line definitions (clap). Parsing only; `app` runs the commands.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::diagnostic::DenyLevel;
use crate::render::{Shell, Target};
use crate::report::Format;
use crate::settings::sources::InputFormat;
use crate::validate::Mode;

#[derive(Debug, Parser)]
#[command(
    name = "omero-iis",
    version,
    about = "Validate OMERO.web settings and generate reviewable IIS configuration for them",
    after_help = "Exit codes: 0 no errors, 1 findings at or above --deny, 2 usage, I/O or parse failure.\n\
                  Run `omero-iis explain --list` for every rule code."
)]
pub struct Cli {
    /// Colour: `auto` colours a report when the stream it goes to is a terminal, and honours
    /// NO_COLOR, CLICOLOR_FORCE, FORCE_COLOR, CLICOLOR and TERM=dumb
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check OMERO.web settings for the chosen IIS deployment
    #[command(subcommand)]
    Validate(ValidateCommand),
    /// Generate web.config files, an applicationHost.config fragment and install scripts
    #[command(after_help = "Examples:\n  \
        omero-iis gen all C:\\OMERO.server\\etc\\grid\\config.xml --omero-home C:\\OMERO.server\n  \
        omero-iis gen web.config config.xml --stdout --file web/web.config > web.config\n  \
        omero-iis gen all config.xml --deploy server.toml -o out --force")]
    Gen(GenArgs),
    /// Check web.config, applicationHost.config, .cmd and .ps1 files offline
    #[command(after_help = "Examples:\n  \
        omero-iis check omero-iis-out\n  \
        omero-iis check C:\\inetpub\\omero\\web.config --apphost applicationHost.config\n  \
        omero-iis check install.cmd --format sarif > check.sarif\n  \
        type web.config | omero-iis check - --kind web.config")]
    Check(CheckArgs),
    /// Show what install scripts would do to a server: steps, failures, a diff (no Windows needed)
    #[command(after_help = "Examples:\n  \
        omero-iis review omero-iis-out/install.cmd\n  \
        omero-iis review install.cmd --apphost applicationHost.config --format diff\n  \
        omero-iis review install.cmd uninstall.cmd --apphost applicationHost.config -o after.config\n  \
        omero-iis review install.cmd --site-root 'C:\\inetpub\\wwwroot=./wwwroot' --missing 'C:\\OMERO.server'")]
    Review(ReviewArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    #[command(after_help = "Examples:\n  \
        omero-iis completions bash > /etc/bash_completion.d/omero-iis\n  \
        omero-iis completions powershell >> $PROFILE")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `omero-iis man > omero-iis.1`
    Man,
    /// Show the effective OMERO properties with where each value came from
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Explain a rule code (OW001...), or list them all
    #[command(
        after_help = "Examples:\n  omero-iis explain OW021\n  omero-iis explain prefix-trailing-slash\n  omero-iis explain --list"
    )]
    Explain(ExplainArgs),
}

#[derive(Debug, Subcommand)]
pub enum ValidateCommand {
    /// Validate an OMERO.web property set
    #[command(after_help = "Examples:\n  \
        omero-iis validate settings C:\\OMERO.server\\etc\\grid\\config.xml\n  \
        omero config get | omero-iis validate settings -\n  \
        omero-iis validate settings web.omero --set omero.web.prefix=/omero --format json")]
    Settings(ValidateArgs),
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print the effective property set (`omero config get` with provenance)
    #[command(after_help = "Examples:\n  \
        omero-iis settings show config.xml\n  \
        omero-iis settings show config.xml extra.omero --env --format json\n  \
        omero-iis settings show config.xml --defaults")]
    Show(ShowArgs),
}

/// Where OMERO properties come from; later sources win.
#[derive(Debug, Args, Clone, Default)]
pub struct SettingsArgs {
    /// Settings files: config.xml, `omero config load`/`get` text, or JSON (`-` = stdin)
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Force the format of every INPUT instead of detecting it
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormat>,
    /// Read this config.xml profile instead of the active one (__ACTIVE__)
    #[arg(long)]
    pub profile: Option<String>,
    /// Also read CONFIG_* environment variables (omero-web-docker naming), after the INPUTs
    #[arg(long)]
    pub env: bool,
    /// Set a property (KEY=VALUE) or unset it (KEY), after INPUTs and --env; repeatable
    #[arg(long = "set", value_name = "KEY[=VALUE]")]
    pub set: Vec<String>,
}

/// Facts about the Windows server that are not OMERO properties.
#[derive(Debug, Args, Clone, Default)]
pub struct DeployArgs {
    /// Deployment mode [default: `mode` in the --deploy file, else isapi-wsgi]
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
    /// The OMERO (omero-web) version the settings are for, X.Y[.Z] [default: 5.2.8 for
    /// isapi-wsgi, the newest known for reverse-proxy]
    #[arg(long, value_name = "X.Y[.Z]")]
    pub omero_version: Option<String>,
    /// TOML file with the options below (keys as the flag names); flags win
    #[arg(long, value_name = "FILE.toml")]
    pub deploy: Option<PathBuf>,
    /// IIS site [default: Default Web Site]
    #[arg(long)]
    pub site: Option<String>,
    /// Application pool [default: omeroweb_ + prefix, e.g. omeroweb_omero]
    #[arg(long)]
    pub pool: Option<String>,
    /// OMERO.server folder on the Windows server [default: C:\OMERO.server]
    #[arg(long)]
    pub omero_home: Option<String>,
    /// Folder of the OMERO.web application (holds its web.config) [default: C:\inetpub\<pool>]
    #[arg(long)]
    pub app_dir: Option<String>,
    /// ISAPI-WSGI DLL [default: <omero-home>\lib\python\_omero_web_iis.dll]
    #[arg(long)]
    pub isapi_dll: Option<String>,
    /// pywin32's loader, copied to --isapi-dll when that is missing [default: C:\Python27\Lib\site-packages\isapi\PyISAPI_loader.dll]
    #[arg(long)]
    pub isapi_loader: Option<String>,
    /// Python that runs the omero command [default: C:\Python27\python.exe]
    #[arg(long)]
    pub python: Option<String>,
    /// Static files folder [default: omero.web.static_root, else <omero-home>\lib\python\omeroweb\static]
    #[arg(long)]
    pub static_root: Option<String>,
    /// Account granted access to var\log and config.xml [default: IIS AppPool\<pool>]
    #[arg(long)]
    pub acl_principal: Option<String>,
    /// Bitness of Python and pywin32: 64 or 32 [default: 64]
    #[arg(long)]
    pub bitness: Option<String>,
    /// Largest upload: bytes, or with k/m/g; 0 = IIS maximum [default: 0]
    #[arg(long)]
    pub max_body_size: Option<String>,
    /// reverse-proxy: Gunicorn's address as IIS reaches it, HOST:PORT [default: omero.web.application_server.host:port]
    #[arg(long, value_name = "HOST:PORT")]
    pub backend: Option<String>,
    /// reverse-proxy: IIS serves HTTPS; adds an HTTP to HTTPS redirect and checks the HTTPS settings
    #[arg(long)]
    pub https: bool,
}

impl DeployArgs {
    /// The options given as flags, by name.
    pub fn flags(&self) -> Vec<(&'static str, &str)> {
        let all = [
            ("site", &self.site),
            ("pool", &self.pool),
            ("omero-home", &self.omero_home),
            ("app-dir", &self.app_dir),
            ("isapi-dll", &self.isapi_dll),
            ("isapi-loader", &self.isapi_loader),
            ("python", &self.python),
            ("static-root", &self.static_root),
            ("acl-principal", &self.acl_principal),
            ("bitness", &self.bitness),
            ("max-body-size", &self.max_body_size),
            ("backend", &self.backend),
            ("omero-version", &self.omero_version),
        ];
        let mut flags: Vec<(&'static str, &str)> = all
            .into_iter()
            .filter_map(|(name, v)| v.as_deref().map(|v| (name, v)))
            .collect();
        if self.https {
            flags.push(("https", "true"));
        }
        flags
    }
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(flatten)]
    pub deploy: DeployArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Fail (exit 1) on errors only, or on warnings too
    #[arg(long, value_enum, default_value_t = DenyLevel::Errors)]
    pub deny: DenyLevel,
}

#[derive(Debug, Args)]
pub struct GenArgs {
    /// What to generate
    #[arg(value_enum)]
    pub target: Target,
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(flatten)]
    pub deploy: DeployArgs,
    /// Output folder
    #[arg(short, long, default_value = "omero-iis-out")]
    pub output: PathBuf,
    /// Replace files that already exist
    #[arg(long)]
    pub force: bool,
    /// Print the files to standard output instead (several files are separated by `==> path <==`
    /// lines; --file picks one)
    #[arg(long, conflicts_with_all = ["output", "force"])]
    pub stdout: bool,
    /// Only this one of the files, e.g. `web/web.config` (`gen web.config --stdout --file
    /// web/web.config > web.config` gives one valid file)
    #[arg(long, value_name = "PATH")]
    pub file: Option<String>,
    /// Which install/uninstall scripts to write: cmd (appcmd), powershell (WebAdministration) or both
    #[arg(long, value_enum, default_value_t = Shell::Both)]
    pub shell: Shell,
    /// Folder with template overrides (e.g. isapi-wsgi/install.cmd.jinja)
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Refuse to generate on errors only, or on warnings too
    #[arg(long, value_enum, default_value_t = DenyLevel::Errors)]
    pub deny: DenyLevel,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders (a `gen` output folder is checked as one deployment); `-` = stdin
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Treat every FILE as this kind instead of detecting it
    #[arg(long, value_enum)]
    pub kind: Option<crate::check::Kind>,
    /// The target server's applicationHost.config: its <configSections> and <location> blocks decide what is locked
    #[arg(long, value_name = "FILE")]
    pub apphost: Option<PathBuf>,
    /// IIS schema files (a folder of *.xml, or files; repeatable), e.g. a copy of the server's
    /// %windir%\system32\inetsrv\config\schema: the sections they describe are checked
    /// against them instead of the built-in tables (default on an IIS server: its own folder)
    #[arg(long, value_name = "PATH")]
    pub schema: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Fail (exit 1) on errors only, or on warnings too
    #[arg(long, value_enum, default_value_t = DenyLevel::Errors)]
    pub deny: DenyLevel,
    /// Do not report this rule (code or name); repeatable
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Batch (.cmd/.bat) and PowerShell (.ps1) scripts, run one after the other on the same server
    #[arg(value_name = "SCRIPT", required = true)]
    pub scripts: Vec<PathBuf>,
    /// The server's applicationHost.config (default: a built-in IIS 10 default configuration)
    #[arg(long, value_name = "FILE")]
    pub apphost: Option<PathBuf>,
    /// IIS schema files (a folder of *.xml, or files; repeatable), e.g. a copy of the server's
    /// %windir%\system32\inetsrv\config\schema: the sections they describe are checked
    /// against them instead of the built-in tables (default on an IIS server: its own folder)
    #[arg(long, value_name = "PATH")]
    pub schema: Vec<PathBuf>,
    /// A local copy of a server folder, `WINDOWS-FOLDER=LOCAL-FOLDER` (web.config files below it
    /// are read and changed); a LOCAL-FOLDER alone stands for the Default Web Site's root folder
    #[arg(long, value_name = "[WINDOWS=]DIR")]
    pub site_root: Vec<String>,
    /// A Windows path that does not exist on the server (otherwise paths the review cannot see are assumed to exist)
    #[arg(long, value_name = "PATH")]
    pub missing: Vec<String>,
    /// The Windows folder the scripts are run from (what %~dp0 and $PSScriptRoot give); their local folder stands for it
    #[arg(long, value_name = "PATH", default_value = "C:\\omero-iis-out")]
    pub script_folder: String,
    /// An argument every script is run with (%1, %2, ... in order; a .ps1's param() block binds it), e.g. --arg /takeover, --arg -TakeOver, --arg -WhatIf
    #[arg(long = "arg", value_name = "ARG", allow_hyphen_values = true)]
    pub arguments: Vec<String>,
    /// Output: the steps in plain words with findings, a unified diff of the changed files,
    /// JSON, or the findings alone as SARIF or GitHub annotations
    #[arg(long, value_enum, default_value_t = ReviewFormat::Text)]
    pub format: ReviewFormat,
    /// Write applicationHost.config as the scripts leave it to FILE
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long, requires = "output")]
    pub force: bool,
    /// Fail (exit 1) when a script fails (errors), or on warnings too
    #[arg(long, value_enum, default_value_t = DenyLevel::Errors)]
    pub deny: DenyLevel,
    /// Do not report this rule (code or name); repeatable
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `review --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewFormat {
    /// Conflicts, each step with what it changes, where a script stops, findings.
    Text,
    /// A unified diff of applicationHost.config and every other changed file.
    Diff,
    /// Every step with its arguments, exit code and changed paths; the findings; a summary.
    Json,
    /// The findings as SARIF 2.1.0 (GitHub code scanning, other SARIF viewers).
    Sarif,
    /// The findings as GitHub Actions workflow commands (`::error file=...::message`).
    Github,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
    /// Print passwords and the secret key instead of ********
    #[arg(long)]
    pub show_password: bool,
    /// Also list the OMERO.web properties that are not set, with their defaults
    #[arg(long)]
    pub defaults: bool,
    /// With --defaults: the properties and defaults of this OMERO (omero-web) version,
    /// X.Y[.Z] [default: the newest known]
    #[arg(long, value_name = "X.Y[.Z]", requires = "defaults")]
    pub omero_version: Option<String>,
}

/// `settings show --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// `omero config get` lines with `# file:line:col` comments.
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Rule code (OW021) or name (prefix-trailing-slash)
    #[arg(required_unless_present = "list")]
    pub code: Option<String>,
    /// List every rule with its severity and title
    #[arg(long)]
    pub list: bool,
}

/// A "did you mean" for a file given where a subcommand goes:
/// `omero-iis validate config.xml` means `validate settings config.xml`,
/// `omero-iis settings config.xml` means `settings show config.xml`.
pub fn tip_for(error: &clap::Error, args: &[std::ffi::OsString]) -> Option<String> {
    if error.kind() != clap::error::ErrorKind::InvalidSubcommand {
        return None;
    }
    let words: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // The command word: the first that is not an option (`--color never` takes a value).
    let mut at = 0;
    while at < words.len() && words[at].starts_with('-') {
        at += if words[at] == "--color" { 2 } else { 1 };
    }
    let (command, rest) = (words.get(at)?, &words[at + 1..]);
    let sub = match command.as_str() {
        "validate" => "settings",
        "settings" => "show",
        _ => return None,
    };
    Some(format!(
        "to read settings from a file: `omero-iis {command} {sub} {}`",
        rest.iter()
            .map(|w| if w.contains(char::is_whitespace) {
                format!("'{w}'")
            } else {
                w.clone()
            })
            .collect::<Vec<_>>()
            .join(" ")
    ))
}
