//! Whether a report gets colour: decided for the stream it is written to.
//!
//! `check x > report.txt` must not put escape codes in the file even when
//! stderr is a terminal, so stdout and stderr are decided apart. In order,
//! the first that applies wins:
//! 1. `--color always` / `--color never`;
//! 2. `NO_COLOR` set and not empty: no colour (<https://no-color.org/>);
//! 3. `CLICOLOR_FORCE` set and not `0` (<https://bixense.com/clicolors/>),
//!    or `FORCE_COLOR` set and not empty, `0` or `false`
//!    (<https://force-color.org/>; `0` and `false` turn it off as in Node's
//!    `supports-color`): colour;
//! 4. `CLICOLOR=0`, or `TERM=dumb`: no colour;
//! 5. colour when the stream is a terminal.

use std::ffi::OsString;
use std::io::IsTerminal;

use crate::cli::Color;

/// The decision for each output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colors {
    pub stdout: bool,
    pub stderr: bool,
}

/// Decides for both streams from the flag, the environment and the streams.
pub fn decide(choice: Color) -> Colors {
    let env = |name: &str| std::env::var_os(name);
    let colors = Colors {
        stdout: wants_color(choice, std::io::stdout().is_terminal(), env),
        stderr: wants_color(choice, std::io::stderr().is_terminal(), env),
    };
    if (colors.stdout || colors.stderr) && !console_takes_escapes() {
        return Colors {
            stdout: false,
            stderr: false,
        };
    }
    colors
}

/// The rules above, for one stream; `env` reads an environment variable.
pub fn wants_color(
    choice: Color,
    is_terminal: bool,
    env: impl Fn(&str) -> Option<OsString>,
) -> bool {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    match choice {
        Color::Always => return true,
        Color::Never => return false,
        Color::Auto => {}
    }
    if set("NO_COLOR").is_some() {
        return false;
    }
    let clicolor_force = set("CLICOLOR_FORCE").is_some_and(|v| v != "0");
    let force_color =
        set("FORCE_COLOR").is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false"));
    if clicolor_force || force_color {
        return true;
    }
    if env("CLICOLOR").is_some_and(|v| v == "0") || env("TERM").is_some_and(|v| v == "dumb") {
        return false;
    }
    is_terminal
}

/// On Windows, the console shows escape codes as colour only once virtual
/// terminal processing is on (Windows 10 and later); older consoles would
/// print them as text.
#[cfg(windows)]
fn console_takes_escapes() -> bool {
    anstyle_query::windows::enable_ansi_colors().unwrap_or(true)
}

#[cfg(not(windows))]
fn console_takes_escapes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide_with(choice: Color, terminal: bool, vars: &[(&str, &str)]) -> bool {
        wants_color(choice, terminal, |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[test]
    fn the_flag_wins_over_the_environment() {
        assert!(decide_with(Color::Always, false, &[("NO_COLOR", "1")]));
        assert!(!decide_with(Color::Never, true, &[("FORCE_COLOR", "1")]));
    }

    #[test]
    fn no_color_wins_over_forcing() {
        let vars = [
            ("NO_COLOR", "1"),
            ("CLICOLOR_FORCE", "1"),
            ("FORCE_COLOR", "1"),
        ];
        assert!(!decide_with(Color::Auto, true, &vars));
        // An empty NO_COLOR is not set.
        assert!(decide_with(
            Color::Auto,
            false,
            &[("NO_COLOR", ""), ("FORCE_COLOR", "1")]
        ));
    }

    #[test]
    fn forcing_colours_a_file_or_pipe() {
        assert!(decide_with(Color::Auto, false, &[("CLICOLOR_FORCE", "1")]));
        assert!(decide_with(Color::Auto, false, &[("FORCE_COLOR", "3")]));
        assert!(!decide_with(Color::Auto, false, &[("CLICOLOR_FORCE", "0")]));
        assert!(!decide_with(Color::Auto, false, &[("FORCE_COLOR", "0")]));
        assert!(!decide_with(
            Color::Auto,
            false,
            &[("FORCE_COLOR", "false")]
        ));
    }

    #[test]
    fn a_terminal_decides_otherwise() {
        assert!(decide_with(Color::Auto, true, &[]));
        assert!(!decide_with(Color::Auto, false, &[]));
        assert!(!decide_with(Color::Auto, true, &[("CLICOLOR", "0")]));
        assert!(!decide_with(Color::Auto, true, &[("TERM", "dumb")]));
        assert!(decide_with(Color::Auto, true, &[("CLICOLOR", "1")]));
    }
}
