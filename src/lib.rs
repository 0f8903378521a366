//! omero-iis: validate OMERO.web settings and generate IIS configuration.
//!
//! The pipeline runs one way: [`settings`] (sources → property set) →
//! [`validate`] (rules → diagnostics) → [`deploy`] (settings + options → plan)
//! → [`render`] (plan → artifacts). [`app`] drives it for each command and
//! does all I/O. See ARCHITECTURE.md.

pub mod app;
pub mod bytes;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod deploy;
pub mod diagnostic;
pub mod iis;
pub mod powershell;
pub mod render;
pub mod report;
pub mod review;
pub mod rules;
pub mod settings;
pub mod source;
pub mod validate;
pub mod xml;

use clap::Parser;

/// Parses arguments, runs the command, prints operational errors; returns the exit code.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> u8 {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(mut e) => {
            if let Some(tip) = cli::tip_for(&e, &args) {
                e.insert(
                    clap::error::ContextKind::Suggested,
                    clap::error::ContextValue::StyledStrs(vec![tip.into()]),
                );
            }
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(help) = e.help() {
                eprintln!("help: {help}");
            }
            2
        }
    }
}
