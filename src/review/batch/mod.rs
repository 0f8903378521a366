//! cmd.exe for the subset of batch language that provisioning scripts use
//! (the parser phases of stackoverflow.com/questions/4094699; `exit`, `setlocal`:
//! learn.microsoft.com/windows-server/administration/windows-commands): `%VAR%`/`%~dp0` expansion of each line (and
//! of a whole parenthesised block at once, as cmd does), `set`, `setlocal`,
//! `if errorlevel|exist|defined|==|EQU…`, `goto`/labels, `call :label`,
//! `exit /b`, `&`, `&&`, `||`, `for /f`, `rem`/`::`, and the file commands
//! (`mkdir`, `copy`, `move`, `del`, `rmdir`). appcmd runs in the simulation;
//! every other program is recorded with its arguments and assumed to succeed.
//!
//! The script is read by [`crate::cmd`] (the front end `check` lints too);
//! this module runs its tree: `mod.rs` the run and its state, `expansion`
//! (phases 1 and 5), `execution` (blocks, operators, `if`), `commands`
//! (builtins, `call`, programs), `files`, `loops` (`for`, output to files).

mod commands;
mod execution;
mod expansion;
mod files;
mod loops;

use std::collections::BTreeMap;
use std::sync::Arc;

use super::appcmd::{self, Change};
use super::server::{path_key, Entry, Knowledge, Server, APPCMD_PATH};
use crate::cmd::lines::{self, Line};
use crate::cmd::paths;
use crate::cmd::percent::{self, Piece};
use crate::cmd::syntax::{
    self, Command, CompareOp, Condition, For, ForSource, Open, Operator, Redirection,
    RedirectionKind,
};
use crate::cmd::tables::{builtin_named, is_echo_word, WINDOWS_ENVIRONMENT};
use crate::cmd::words::{
    call_arguments, child_command_line, is_broken_program, jump_word, label_and_rest, parse_number,
    parse_set, split_program, split_program_len, unquote, without_carets, Assignment,
};
use crate::iis::appcmd::split_arguments;
use crate::source::{SourceFile, Span};

/// The longest a script may run, in executed lines: a `goto` loop that never
/// ends is reported instead of hanging the review.
const STEP_LIMIT: usize = 100_000;

/// How deep `call :label` (and `call other.cmd`) may nest. cmd.exe stops a
/// script that recurses too deep with "BATCH RECURSION exceeds STACK
/// limits" (its limit depends on the stack; a few hundred calls); the
/// review stops at this depth, well before its own stack would run out.
const CALL_DEPTH_LIMIT: usize = 200;

/// The longest line cmd.exe takes after expansion, and the longest value
/// an environment variable can get from a line: 8191 characters
/// (learn.microsoft.com, "Command prompt (Cmd.exe) command-line string
/// limitation"). Past it cmd.exe answers "The input line is too long." and
/// the review stops there too, so that a line that doubles a variable in a
/// loop cannot grow without bound.
const LINE_LIMIT: usize = 8191;

/// The most the simulated environment may hold, in bytes: a script that
/// sets ever new variables stops here with a finding instead of taking the
/// review's memory (Windows has no such limit; no real script comes near).
const ENVIRONMENT_BUDGET: usize = 16 << 20;

/// What kind of thing a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// appcmd.exe, simulated.
    Appcmd,
    /// Another program: recorded, not run.
    External,
    /// A cmd.exe file command (mkdir, copy, move, del, rmdir), or a
    /// PowerShell file cmdlet or .NET file method.
    File,
    /// A PowerShell cmdlet, simulated on the server.
    Cmdlet,
}

/// One command the script ran.
#[derive(Debug, Clone)]
pub struct Step {
    pub span: Span,
    pub kind: StepKind,
    /// The command as cmd.exe runs it (after `%` expansion).
    pub command: String,
    pub program: String,
    /// The arguments as the program receives them.
    pub arguments: Vec<String>,
    pub exit_code: i32,
    /// What appcmd prints, or what the simulation says about the step.
    pub output: String,
    pub changes: Vec<Change>,
    /// What the simulation could not know.
    pub assumptions: Vec<String>,
    /// The script did not look at this step's failure before going on.
    pub failure_ignored: bool,
}

impl Step {
    /// A step about to run: exit code 0, no output or changes yet.
    pub fn new(
        span: Span,
        kind: StepKind,
        command: &str,
        program: &str,
        arguments: Vec<String>,
    ) -> Step {
        Step {
            span,
            kind,
            command: command.to_owned(),
            program: program.to_owned(),
            arguments,
            exit_code: 0,
            output: String::new(),
            changes: Vec::new(),
            assumptions: Vec::new(),
            failure_ignored: false,
        }
    }
}

/// How a script run ended.
#[derive(Debug, Clone)]
pub struct Run {
    pub script: String,
    pub steps: Vec<Step>,
    pub exit_code: i32,
    /// Where the script ended (`exit /b`, a failed `goto`, or the last line).
    pub end: Span,
    /// The error that ended the run, in the shell's words (PowerShell's
    /// uncaught or last error; a batch script reports through its steps).
    pub message: Option<String>,
    /// Where that error arose.
    pub message_at: Option<Span>,
    /// The label the script jumped to last before ending (`:failed`).
    pub last_label: Option<String>,
    /// Constructs the simulation did not model, with where they are.
    pub unsupported: Vec<(Span, String)>,
    /// Paths assumed to exist, with where they were first asked about.
    pub assumed_paths: Vec<(Span, String)>,
}

/// A batch script to run.
#[derive(Debug, Clone)]
pub struct Script {
    pub file: Arc<SourceFile>,
    /// The Windows folder the script is run from (what `%~dp0` gives), with a trailing `\`.
    pub windows_folder: String,
    pub file_name: String,
    /// The local folder that stands for `windows_folder` while this script
    /// runs (where `gen` wrote it, with its web.config files).
    pub local_folder: Option<std::path::PathBuf>,
    /// What the script is run with: `%1`, `%2`, ... (as typed, quotes kept).
    pub arguments: Vec<String>,
}

impl Script {
    /// The arguments the script is run with.
    pub fn with_arguments(mut self, arguments: Vec<String>) -> Script {
        self.arguments = arguments;
        self
    }

    /// A PowerShell script (`.ps1`), run by [`super::powershell`].
    pub fn is_powershell(&self) -> bool {
        self.file_name.to_ascii_lowercase().ends_with(".ps1")
    }

    /// The script's own local folder stands for the folder it runs from.
    pub fn with_local_folder(mut self, folder: std::path::PathBuf) -> Script {
        self.local_folder = Some(folder);
        self
    }
}

/// Runs `script` against `server`.
pub fn run(script: &Script, server: &mut Server) -> Run {
    if let Some(folder) = &script.local_folder {
        server.disk.mount(&script.windows_folder, folder.clone());
    }
    let mut interpreter = Interpreter::new(script, server);
    // However the script ends, the run's state says how.
    interpreter.run_from(0);
    interpreter.finish()
}

enum Flow {
    Next,
    Goto(String),
    /// `goto :eof` or `exit /b`: leave the script or the `call`ed label.
    Return,
    /// `exit` without `/b`, or a fatal error: the whole run ends.
    Terminate,
}

struct Interpreter<'a> {
    script: &'a Script,
    server: &'a mut Server,
    lines: Vec<Line>,
    env: BTreeMap<String, (String, String)>,
    saved_env: Vec<BTreeMap<String, (String, String)>>,
    /// The first line of the logical line being run (a block's `(` line).
    logical_start: usize,
    /// `setlocal EnableDelayedExpansion` is in force: `!VAR!` is expanded
    /// when each command runs (cmd's phase 5, after the line was parsed).
    delayed: bool,
    /// `delayed` as each `setlocal` found it, for its `endlocal`.
    saved_delayed: Vec<bool>,
    errorlevel: i32,
    steps: Vec<Step>,
    current_line: usize,
    /// Last line of the logical line being run (blocks span lines).
    current_end: usize,
    end_line: usize,
    last_label: Option<String>,
    unsupported: Vec<(Span, String)>,
    assumed: BTreeMap<String, (Span, String)>,
    /// A step that failed and whose exit code nobody has looked at yet.
    unexamined_failure: Option<usize>,
    executed: usize,
    /// A `set` got a value longer than [`LINE_LIMIT`] (delayed expansion).
    too_long: bool,
    /// The bytes the environment holds, and whether they passed
    /// [`ENVIRONMENT_BUDGET`].
    env_bytes: usize,
    over_budget: bool,
    cwd: Option<String>,
    /// The arguments of each `call :label` being run, innermost last; the
    /// script's own below them (`%1` reads the innermost).
    frames: Vec<Vec<String>>,
    /// The same arguments before any `shift`, for `%*`.
    given: Vec<Vec<String>>,
    /// What the appcmd on the left of a `|` printed, for the appcmd on its right.
    pipe_input: Option<String>,
    /// How many `call`s deep the batch file that called this one was.
    depth_base: usize,
}

impl<'a> Interpreter<'a> {
    fn new(script: &'a Script, server: &'a mut Server) -> Interpreter<'a> {
        let lines = lines::lines(&script.file.text);
        let mut env = BTreeMap::new();
        for (name, value) in WINDOWS_ENVIRONMENT {
            env.insert(
                name.to_uppercase(),
                ((*name).to_owned(), (*value).to_owned()),
            );
        }
        Interpreter {
            script,
            server,
            lines,
            env,
            saved_env: Vec::new(),
            logical_start: 0,
            delayed: false,
            saved_delayed: Vec::new(),
            errorlevel: 0,
            steps: Vec::new(),
            current_line: 0,
            current_end: 0,
            end_line: 0,
            last_label: None,
            unsupported: Vec::new(),
            assumed: BTreeMap::new(),
            unexamined_failure: None,
            executed: 0,
            too_long: false,
            env_bytes: 0,
            over_budget: false,
            cwd: None,
            // `%0` first: the script as it was invoked.
            frames: vec![
                std::iter::once(format!("{}{}", script.windows_folder, script.file_name))
                    .chain(script.arguments.iter().cloned())
                    .collect(),
            ],
            given: vec![script.arguments.clone()],
            pipe_input: None,
            depth_base: 0,
        }
    }

    fn finish(self) -> Run {
        let end_line = self.end_line.min(self.lines.len().saturating_sub(1));
        let end = self.lines.get(end_line).map_or(0..0, |l| l.range.clone());
        Run {
            script: self.script.file.name.clone(),
            steps: self.steps,
            exit_code: self.errorlevel,
            end: Span::new(&self.script.file, end),
            message: None,
            message_at: None,
            last_label: self.last_label,
            unsupported: self.unsupported,
            assumed_paths: self.assumed.into_values().collect(),
        }
    }

    fn span(&self) -> Span {
        let start = self
            .lines
            .get(self.current_line)
            .map_or(0, |l| l.range.start);
        let end = self
            .lines
            .get(self.current_end.max(self.current_line))
            .map_or(start, |l| l.range.end);
        Span::new(&self.script.file, start..end)
    }

    /// cmd.exe's answer to a line longer than [`LINE_LIMIT`] once expanded:
    /// the line does not run and the script ends.
    fn line_too_long(&mut self) -> Flow {
        self.too_long = false;
        let command = self
            .lines
            .get(self.current_line)
            .map_or(String::new(), |l| l.text.trim().to_owned());
        let index = self.record(StepKind::External, &command, "cmd.exe", Vec::new());
        self.steps[index].output = "The input line is too long.".to_owned();
        self.steps[index].assumptions.push(format!(
            "this line is longer than {LINE_LIMIT} characters once its variables are expanded, cmd.exe's limit: cmd.exe refuses it and the script ends here (exit code taken as 1)"
        ));
        self.finish_step(index, 1);
        Flow::Terminate
    }

    fn unsupported(&mut self, what: String) {
        let span = self.span();
        self.unsupported.push((span, what));
    }

    /// Runs lines from `start` until the script (or a `call`ed label) returns.
    fn run_from(&mut self, start: usize) -> Flow {
        let mut pc = start;
        while pc < self.lines.len() {
            self.executed += 1;
            if self.executed > STEP_LIMIT {
                self.current_line = pc;
                self.current_end = pc;
                self.unsupported(format!(
                    "the script ran more than {STEP_LIMIT} lines (an endless `goto` loop?); the simulation stopped here"
                ));
                self.end_line = pc;
                return Flow::Terminate;
            }
            let raw = self.lines[pc].text.trim_start();
            if lines::label_defined(raw).is_some() || raw.starts_with(':') || raw.is_empty() {
                pc += 1;
                continue;
            }
            self.current_line = pc;
            // Phase 1 for each line cmd reads, then phase 2 over them all:
            // a `( )` block or a `^` continuation reads the next line.
            let mut text = self.expand(&self.lines[pc].text.clone());
            let mut end = pc;
            let parsed = loop {
                let parsed = syntax::parse(&text, 0);
                match parsed.open {
                    Some(_) if end + 1 < self.lines.len() && text.len() <= LINE_LIMIT * 4 => {
                        end += 1;
                        let next = self.expand(&self.lines[end].text.clone());
                        text.push('\n');
                        text.push_str(&next);
                    }
                    _ => break parsed,
                }
            };
            self.current_end = end;
            self.end_line = end;
            self.logical_start = pc;
            if text.chars().count() > LINE_LIMIT {
                return self.line_too_long();
            }
            if parsed.too_deep {
                self.unsupported(format!(
                    "this line nests more than {} blocks, `if`s and operators deep: the review stops reading here",
                    syntax::MAX_NESTING
                ));
                return Flow::Terminate;
            }
            if parsed.open == Some(Open::Block) {
                self.unsupported(
                    "a `(` block that is never closed: cmd.exe stops reading the script here"
                        .to_owned(),
                );
                return Flow::Terminate;
            }
            // Nothing of a line cmd.exe cannot read runs.
            let cmd = match parsed.command.syntax_error() {
                Some(error) => Command::SyntaxError(error.clone()),
                None => parsed.command,
            };
            let flow = self.execute(&cmd);
            if self.too_long {
                return self.line_too_long();
            }
            if self.over_budget {
                self.unsupported(format!(
                    "the script's variables hold more than {} MiB: the simulation stopped here",
                    ENVIRONMENT_BUDGET >> 20
                ));
                return Flow::Terminate;
            }
            match flow {
                Flow::Next => pc = end + 1,
                Flow::Goto(label) => {
                    if lines::is_eof(&label) {
                        return Flow::Return;
                    }
                    match self.find_label(&label, end) {
                        Some(target) => {
                            self.last_label = Some(label.trim_start_matches(':').to_owned());
                            pc = target + 1;
                        }
                        None => {
                            // cmd.exe: "The system cannot find the batch label specified"
                            // ends the batch file with ERRORLEVEL 1.
                            self.errorlevel = 1;
                            self.unsupported(format!(
                                "`goto {label}`: the script has no label `{label}`; cmd.exe stops the script with exit code 1"
                            ));
                            return Flow::Terminate;
                        }
                    }
                }
                Flow::Return => return Flow::Return,
                Flow::Terminate => return Flow::Terminate,
            }
        }
        self.end_line = self.lines.len().saturating_sub(1);
        Flow::Return
    }

    /// cmd.exe searches for a label from the current line down, then from the top.
    fn find_label(&self, label: &str, from: usize) -> Option<usize> {
        lines::find_label(&self.lines, label, from)
    }
}

/// `%DATE%`, `%TIME%` and `%RANDOM%` in the review (public so that the
/// Wine differential test gives Wine's cmd.exe the same values).
pub const SIMULATED_DATE: &str = "Thu 11/26/2026";
pub const SIMULATED_TIME: &str = "12:00:00.00";
pub const SIMULATED_RANDOM: &str = "4242";

/// What the simulation takes as the output of a program it does not run
/// (numbered, so that each run differs as a timestamp would).
pub const SIMULATED_OUTPUT: &str = "SIMULATED";

/// Marks, around its name, an undefined `%NAME%` at the start of a command
/// (a private-use character no script text holds: the simulation refuses
/// control and private-use characters in commands).
const UNDEFINED_PROGRAM: char = '\u{E003}';

/// `text` without the [`UNDEFINED_PROGRAM`] marks and the names between them.
fn strip_undefined_marks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        if c == UNDEFINED_PROGRAM {
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

/// Whether text expanded so far ends where a command starts: nothing yet,
/// or after `@`, `(`, `&`, `|` or an opening quote there.
fn at_command_position(out: &str) -> bool {
    let before = out.trim_end();
    let before = before.strip_suffix('"').unwrap_or(before).trim_end();
    let before = before.trim_end_matches('@').trim_end();
    before.is_empty() || before.ends_with(['(', '&', '|'])
}

/// `set /a` for sums and products of numbers and variables.
fn eval_arithmetic(expr: &str, var: impl Fn(&str) -> Option<String>) -> Option<i64> {
    let mut total: i64 = 0;
    let mut sign = 1;
    for token in expr
        .replace('+', " + ")
        .replace('-', " - ")
        .split_whitespace()
    {
        match token {
            "+" => sign = 1,
            "-" => sign = -1,
            t => {
                let n = parse_number(t)
                    .or_else(|| var(t).and_then(|v| parse_number(&v)))
                    .or_else(|| {
                        (t.chars().all(|c| c.is_alphanumeric() || c == '_')).then_some(0)
                    })?;
                total = total.checked_add(n.checked_mul(sign)?)?;
            }
        }
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic() {
        assert_eq!(eval_arithmetic("1 + 2 - X", |_| Some("1".into())), Some(2));
    }
}
