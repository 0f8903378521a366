//! cmd.exe for the subset of batch language that provisioning scripts use
//! (the parser phases of stackoverflow.com/questions/4094699; `exit`, `setlocal`:
//! learn.microsoft.com/windows-server/administration/windows-commands): `%VAR%`/`%~dp0` expansion of each line (and
//! of a whole parenthesised block at once, as cmd does), `set`, `setlocal`,
//! `if errorlevel|exist|defined|==|EQU…`, `goto`/labels, `call :label`,
//! `exit /b`, `&`, `&&`, `||`, `for /f`, `rem`/`::`, and the file commands
//! (`mkdir`, `copy`, `move`, `del`, `rmdir`). appcmd runs in the simulation;
//! every other program is recorded with its arguments and assumed to succeed.

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
        let command = self.lines[self.current_line].text.trim().to_owned();
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

    // ------------------------------------------------------------ expansion

    fn var(&self, name: &str) -> Option<String> {
        let upper = name.to_uppercase();
        if let Some((_, v)) = self.env.get(&upper) {
            return Some(v.clone());
        }
        match upper.as_str() {
            "ERRORLEVEL" => Some(self.errorlevel.to_string()),
            // The clock and dice of the model server: fixed, so that a
            // review gives the same report each time (cmd's own formats of
            // an English Windows).
            "DATE" => Some(SIMULATED_DATE.to_owned()),
            "TIME" => Some(SIMULATED_TIME.to_owned()),
            "RANDOM" => Some(SIMULATED_RANDOM.to_owned()),
            "CD" => {
                Some(self.cwd.clone().unwrap_or_else(|| {
                    self.script.windows_folder.trim_end_matches('\\').to_owned()
                }))
            }
            _ => None,
        }
    }

    /// Phase 1 of cmd.exe for a batch file: `%%`, `%0`-`%9` with `~`
    /// modifiers, `%*`, `%NAME%` (undefined = empty), `%NAME:a=b%`, `%NAME:~n,m%`.
    fn expand(&mut self, line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        for (_, piece) in percent::pieces(line) {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Percent => out.push('%'),
                // A lone `%` is dropped in a batch file.
                Piece::Lone => {}
                // `%*` is every argument as given: `shift` does not change it.
                Piece::AllArguments => {
                    out.push_str(&self.given.last().map(|f| f.join(" ")).unwrap_or_default())
                }
                Piece::Argument { modifiers, index } => {
                    let value = self.argument_text(modifiers, index);
                    out.push_str(&value);
                }
                Piece::Variable { name, edit } => {
                    if name.eq_ignore_ascii_case("ERRORLEVEL")
                        && !self.env.contains_key("ERRORLEVEL")
                    {
                        self.unexamined_failure = None;
                    }
                    let value = self.expand_variable(name, edit);
                    if value.is_empty()
                        && edit.is_none()
                        && self.var(name).is_none()
                        && at_command_position(&out)
                    {
                        // cmd then runs the next word as the program.
                        out.push(UNDEFINED_PROGRAM);
                        out.push_str(name);
                        out.push(UNDEFINED_PROGRAM);
                    }
                    out.push_str(&value);
                }
            }
        }
        out
    }

    /// `%N` or `%~mN`: `%0` is the script, or the `:label` of a call, until
    /// `shift` moves `%1` into it.
    fn argument_text(&mut self, modifiers: Option<&str>, index: u8) -> String {
        match modifiers {
            None => self.argument(index).unwrap_or("").to_owned(),
            Some(modifiers) => {
                // `%~dp0` is the script's folder also inside a `call`ed
                // label, whose `%0` is the label (cmd.exe reads the batch
                // file's path for the modifiers).
                let value = match index {
                    0 => self.script_path(),
                    _ => self.argument(index).unwrap_or("").to_owned(),
                };
                match paths::with_modifiers(&value, modifiers, &self.current_folder()) {
                    Ok(value) => value,
                    Err(paths::Unknown(m)) => {
                        self.unsupported(format!(
                            "`%~{modifiers}{index}`: the `{m}` modifier reads the file on the server; taken as empty"
                        ));
                        String::new()
                    }
                }
            }
        }
    }

    /// cmd's delayed expansion (phase 5), when enabled and the command has a
    /// `!`: `!VAR!` (with `:~n,m` and `:a=b`) is the variable's value now,
    /// an undefined one is empty, a lone `!` is dropped, and a caret keeps
    /// the character after it (`^!` is a `!`).
    fn expand_delayed(&mut self, text: &str) -> String {
        if !self.delayed || !text.contains('!') {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            match c {
                '^' => {
                    let mut chars = rest[1..].chars();
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                    rest = chars.as_str();
                }
                '!' => match rest[1..].find('!') {
                    Some(end) => {
                        let body = &rest[1..1 + end];
                        if body.eq_ignore_ascii_case("ERRORLEVEL")
                            && !self.env.contains_key("ERRORLEVEL")
                        {
                            self.unexamined_failure = None;
                        }
                        let (name, edit) = match body.split_once(':') {
                            Some((name, edit)) => (name, Some(edit)),
                            None => (body, None),
                        };
                        out.push_str(&self.expand_variable(name, edit));
                        rest = &rest[end + 2..];
                    }
                    None => rest = &rest[1..],
                },
                _ => {
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
        }
        out
    }

    /// `NAME` or `NAME:edit` now: undefined is empty.
    fn expand_variable(&mut self, name: &str, edit: Option<&str>) -> String {
        match (self.var(name), edit) {
            (None, _) => String::new(),
            (Some(value), None) => value,
            (Some(value), Some(edit)) => percent::edited(&value, edit),
        }
    }

    fn script_path(&self) -> String {
        format!("{}{}", self.script.windows_folder, self.script.file_name)
    }

    /// `%0` to `%9`: the `:label` and arguments of the `call` being run,
    /// else the script and its own arguments (none unless `review --arg`),
    /// as `shift` left them.
    fn argument(&self, index: u8) -> Option<&str> {
        self.frames
            .last()?
            .get(usize::from(index))
            .map(String::as_str)
    }

    // ------------------------------------------------------------ execution

    /// Runs `f` with the steps it records placed on lines `first..=last`
    /// below the logical line's first.
    fn on_lines<T>(&mut self, first: usize, last: usize, f: impl FnOnce(&mut Self) -> T) -> T {
        let saved = (self.current_line, self.current_end);
        self.current_line = self.logical_start + first;
        self.current_end = self.logical_start + last;
        let flow = f(self);
        (self.current_line, self.current_end) = saved;
        flow
    }

    fn execute(&mut self, cmd: &Command) -> Flow {
        match cmd {
            Command::Simple(s) => self.on_lines(s.line, s.end_line, |me| match s.output_file() {
                Some(redirection) => me.redirected(&s.text, redirection),
                None => me.simple(s.text.trim_end()),
            }),
            Command::SyntaxError(error) => self.on_lines(error.line, error.line, |me| {
                let command = me.lines[me.current_line].text.trim().to_owned();
                let index = me.record(StepKind::External, &command, "cmd.exe", Vec::new());
                me.steps[index].output = error.message.clone();
                me.steps[index].assumptions.push(
                    "cmd.exe refuses this line when it reads it (an `if` operand that expanded to nothing): the script ends here".to_owned(),
                );
                me.finish_step(index, 255);
                Flow::Terminate
            }),
            Command::Block(block) => {
                for c in &block.commands {
                    match self.execute(c) {
                        Flow::Next => {}
                        other => return other,
                    }
                }
                Flow::Next
            }
            Command::Sequence(left, op, right) => self.sequence(left, *op, right),
            Command::If(i) => {
                let truth = self.on_lines(i.line, i.line, |me| {
                    me.condition(&i.condition, i.ignore_case) != i.negate
                });
                if truth {
                    self.execute(&i.then)
                } else if let Some(other) = &i.otherwise {
                    self.execute(other)
                } else {
                    Flow::Next
                }
            }
            Command::For(f) => self.on_lines(f.line, f.line, |me| me.run_for(f)),
        }
    }

    fn sequence(&mut self, left: &Command, op: Operator, right: &Command) -> Flow {
        let steps_before = self.steps.len();
        let flow = self.execute(left);
        if !matches!(flow, Flow::Next) {
            return flow;
        }
        let go = match op {
            Operator::Then => true,
            Operator::And => {
                self.unexamined_failure = None;
                self.errorlevel == 0
            }
            Operator::Or => {
                self.unexamined_failure = None;
                self.errorlevel != 0
            }
            Operator::Pipe => {
                // appcmd's output is known (the simulation printed it):
                // an appcmd on the right reads it (`/in`).
                let printed = self.steps[steps_before.min(self.steps.len())..]
                    .last()
                    .filter(|s| s.kind == StepKind::Appcmd)
                    .map(|s| s.output.clone());
                let right_is_appcmd = match right {
                    Command::Simple(s) => {
                        let expanded = self.expand_delayed(&s.text);
                        self.is_appcmd(&expanded)
                    }
                    _ => false,
                };
                match printed {
                    Some(text) if right_is_appcmd => self.pipe_input = Some(text),
                    _ => self.on_lines(right.line(), right.line(), |me| {
                        me.unsupported(
                            "`|`: the command after the pipe runs, but without the output of the one before it".to_owned(),
                        );
                    }),
                }
                true
            }
        };
        if go {
            let flow = self.execute(right);
            self.pipe_input = None;
            flow
        } else {
            Flow::Next
        }
    }

    fn condition(&mut self, condition: &Condition, ignore_case: bool) -> bool {
        match condition {
            Condition::ErrorLevel(n) => {
                self.unexamined_failure = None;
                self.errorlevel >= *n
            }
            // Windows' command extensions are version 2 (`if /?`).
            Condition::CmdExtVersion(n) => *n <= 2,
            Condition::Exist(path) => {
                let path = unquote(&self.expand_delayed(&path.text));
                let full = self.absolute(&path);
                !matches!(self.lookup(&full), Entry::Missing)
            }
            Condition::Defined(name) => {
                let upper = name.text.to_uppercase();
                self.env.contains_key(&upper) || matches!(upper.as_str(), "ERRORLEVEL" | "CD")
            }
            Condition::Compare(a, op, b) => {
                let (a, b) = (self.expand_delayed(&a.text), self.expand_delayed(&b.text));
                let (a, b) = if ignore_case {
                    (a.to_lowercase(), b.to_lowercase())
                } else {
                    (a.clone(), b.clone())
                };
                let numbers = (parse_number(&a), parse_number(&b));
                let ordering = match numbers {
                    (Some(x), Some(y)) if *op != CompareOp::Text => x.cmp(&y),
                    _ => a.cmp(&b),
                };
                use std::cmp::Ordering::*;
                match op {
                    CompareOp::Text | CompareOp::Equ => ordering == Equal,
                    CompareOp::Neq => ordering != Equal,
                    CompareOp::Lss => ordering == Less,
                    CompareOp::Leq => ordering != Greater,
                    CompareOp::Gtr => ordering == Greater,
                    CompareOp::Geq => ordering != Less,
                }
            }
        }
    }

    /// What the server has at `path`; assumptions are remembered once per path.
    fn lookup(&mut self, path: &str) -> Entry {
        let (entry, knowledge) = self.server.disk.get(path);
        if knowledge == Knowledge::Assumed {
            let key = path_key(path);
            if !self.assumed.contains_key(&key) {
                let span = self.span();
                self.assumed.insert(key, (span, path.to_owned()));
            }
        }
        entry
    }

    fn absolute(&self, path: &str) -> String {
        let p = path.replace('/', "\\");
        let is_absolute = p.len() >= 2 && p.as_bytes()[1] == b':' || p.starts_with("\\\\");
        if is_absolute {
            p
        } else {
            let base = self
                .cwd
                .clone()
                .unwrap_or_else(|| self.script.windows_folder.trim_end_matches('\\').to_owned());
            format!("{base}\\{p}")
        }
    }

    fn simple(&mut self, text: &str) -> Flow {
        let expanded = self.expand_delayed(text);
        let text = expanded.trim().trim_start_matches('@').trim_start();
        if text.contains(UNDEFINED_PROGRAM) {
            // `%X% args` runs `args`' first word; `"%X%" args` runs `""`.
            let (quoted, marked) = match text.strip_prefix('"') {
                Some(inner) => (true, inner),
                None => (false, text),
            };
            if let Some((name, rest)) = marked
                .strip_prefix(UNDEFINED_PROGRAM)
                .and_then(|r| r.split_once(UNDEFINED_PROGRAM))
            {
                let rest = if quoted {
                    format!("\"{rest}")
                } else {
                    rest.trim_start().to_owned()
                };
                return self.undefined_program(name, &rest);
            }
            let cleaned = strip_undefined_marks(text);
            return self.simple(&cleaned);
        }
        if text.is_empty() {
            return Flow::Next;
        }
        let (program, rest) = split_program(text);
        let word = program.to_lowercase();
        // `goto:eof` and `call:label`: cmd ends the command word at `:`.
        if let Some((jump, len)) = jump_word(&word) {
            let target = format!("{} {rest}", &text[len..split_program_len(text)]);
            return match jump {
                "goto" => Flow::Goto(target.split_whitespace().next().unwrap_or("").to_owned()),
                _ => self.call(&target),
            };
        }
        if is_echo_word(&word) || crate::cmd::tables::is_rem_word(&word) {
            return Flow::Next;
        }
        let cmd_file = self.script.file_name.to_lowercase().ends_with(".cmd");
        match word.as_str() {
            "title" | "cls" | "color" | "type" | "ver" | "prompt" | "dir" | "vol" | "break" => {
                Flow::Next
            }
            "path" => {
                // `path X` is `set PATH=X`; `path` alone prints it.
                if !rest.trim().is_empty() {
                    self.set(&format!("PATH={}", rest.trim()));
                }
                Flow::Next
            }
            "verify" => {
                self.errorlevel = 0;
                Flow::Next
            }
            "setlocal" => {
                self.saved_env.push(self.env.clone());
                self.saved_delayed.push(self.delayed);
                for option in rest.split_whitespace() {
                    match option.to_ascii_lowercase().as_str() {
                        "enabledelayedexpansion" => self.delayed = true,
                        "disabledelayedexpansion" => self.delayed = false,
                        _ => {}
                    }
                }
                Flow::Next
            }
            "endlocal" => {
                if let Some(env) = self.saved_env.pop() {
                    self.env = env;
                }
                if let Some(delayed) = self.saved_delayed.pop() {
                    self.delayed = delayed;
                }
                Flow::Next
            }
            "set" => {
                self.set(rest);
                if cmd_file {
                    // In a .cmd file a successful `set` clears ERRORLEVEL.
                    self.errorlevel = 0;
                }
                Flow::Next
            }
            "goto" => {
                let label = rest.split_whitespace().next().unwrap_or("").to_owned();
                Flow::Goto(label)
            }
            "exit" => {
                let mut words = rest.split_whitespace();
                let first = words.next().unwrap_or("");
                let (is_b, code) = if first.eq_ignore_ascii_case("/b") {
                    (true, words.next())
                } else {
                    (false, Some(first).filter(|s| !s.is_empty()))
                };
                if let Some(code) = code {
                    self.errorlevel = parse_number(code).unwrap_or(0) as i32;
                }
                if is_b {
                    Flow::Return
                } else {
                    self.unsupported("`exit` without `/b` closes the whole console window (and a calling script), not just this script".to_owned());
                    Flow::Terminate
                }
            }
            "call" => self.call(rest),
            "mkdir" | "md" => self.mkdir(rest),
            "copy" => self.copy(rest, false),
            "move" => self.copy(rest, true),
            "del" | "erase" => self.delete(rest),
            "rmdir" | "rd" => self.rmdir(rest),
            "cd" | "chdir" | "pushd" => {
                let target = rest
                    .trim()
                    .trim_start_matches("/d")
                    .trim_start_matches("/D")
                    .trim();
                if !target.is_empty() {
                    self.cwd = Some(
                        self.absolute(&unquote(target))
                            .trim_end_matches('\\')
                            .to_owned(),
                    );
                }
                Flow::Next
            }
            "popd" => {
                self.cwd = None;
                Flow::Next
            }
            "pause" => {
                self.unsupported(
                    "`pause` waits for a key press: an unattended run hangs here".to_owned(),
                );
                Flow::Next
            }
            "chcp" => {
                self.unsupported("`chcp` changes how cmd.exe reads the rest of the script; the simulation reads it unchanged".to_owned());
                Flow::Next
            }
            "shift" if rest.trim().is_empty() => {
                // `%0` becomes what `%1` was, `%1` what `%2` was (in the
                // innermost call).
                if let Some(frame) = self.frames.last_mut() {
                    if !frame.is_empty() {
                        frame.remove(0);
                    }
                }
                Flow::Next
            }
            "start" | "shift" => {
                self.unsupported(format!("`{word}` is not simulated"));
                Flow::Next
            }
            // A builtin whose effect the review does not model: no program
            // of that name is looked up (cmd runs its own).
            _ if builtin_named(&word).is_some() => {
                self.unsupported(format!(
                    "`{word}` is a command of cmd.exe the review does not simulate: taken as succeeding with no effect"
                ));
                Flow::Next
            }
            _ => match self.run_batch_file(&program, rest, false) {
                Some(flow) => flow,
                None => self.program(&program, rest, text),
            },
        }
    }

    fn set(&mut self, rest: &str) {
        let (name, value) = match parse_set(rest) {
            Assignment::Arithmetic(expr) => {
                match expr.split_once('=') {
                    Some((name, value)) => match eval_arithmetic(value, |n| self.var(n)) {
                        Some(v) => {
                            let name = name.trim().to_owned();
                            self.env.insert(name.to_uppercase(), (name, v.to_string()));
                        }
                        None => self.unsupported(format!("`set /a {expr}` is not simulated")),
                    },
                    None => self.unsupported(format!("`set /a {expr}` is not simulated")),
                }
                return;
            }
            Assignment::Prompt { .. } => {
                self.unsupported(
                    "`set /p` asks the admin for input: the simulation answers with nothing"
                        .to_owned(),
                );
                return;
            }
            Assignment::List => return,
            Assignment::Text { name, value } => (name, value),
        };
        let (name, value) = (name.as_str(), value.as_str());
        let key = name.to_uppercase();
        if value.chars().count() > LINE_LIMIT {
            // Only delayed expansion (`!X!!X!`) gets here past the line check.
            self.too_long = true;
            return;
        }
        if value.is_empty() {
            if let Some((n, v)) = self.env.remove(&key) {
                self.env_bytes = self.env_bytes.saturating_sub(n.len() + v.len());
            }
        } else {
            if let Some((n, v)) = self.env.insert(key, (name.to_owned(), value.to_owned())) {
                self.env_bytes = self.env_bytes.saturating_sub(n.len() + v.len());
            }
            self.env_bytes += name.len() + value.len();
            if self.env_bytes > ENVIRONMENT_BUDGET {
                self.over_budget = true;
            }
        }
    }

    fn call(&mut self, rest: &str) -> Flow {
        let rest = rest.trim();
        if let Some(label) = rest.strip_prefix(':') {
            let label = label.split_whitespace().next().unwrap_or("");
            let Some(target) = self.find_label(label, self.current_end) else {
                self.errorlevel = 1;
                self.unsupported(format!(
                    "`call :{label}`: the script has no label `{label}`"
                ));
                return Flow::Next;
            };
            if self.depth_base + self.frames.len() > CALL_DEPTH_LIMIT {
                self.unsupported(format!(
                    "`call :{label}` nests more than {CALL_DEPTH_LIMIT} calls deep: cmd.exe stops such a script (\"BATCH RECURSION exceeds STACK limits\"), and so does the review"
                ));
                return Flow::Terminate;
            }
            let arguments = call_arguments(label_and_rest(rest));
            let (line, end, start) = (self.current_line, self.current_end, self.logical_start);
            // `%0` of a called label is the label as the call wrote it.
            let written = rest.split_whitespace().next().unwrap_or(label);
            self.frames.push(
                std::iter::once(written.to_owned())
                    .chain(arguments.iter().cloned())
                    .collect(),
            );
            self.given.push(arguments);
            let flow = self.run_from(target + 1);
            self.frames.pop();
            self.given.pop();
            match flow {
                Flow::Terminate => return Flow::Terminate,
                _ => {
                    self.current_line = line;
                    self.current_end = end;
                    self.logical_start = start;
                }
            }
            return Flow::Next;
        }
        // `call program ...` runs the program (cmd expands `%` a second time).
        let again = self.expand(rest);
        let (program, args) = split_program(&again);
        if let Some(flow) = self.run_batch_file(&program, args, true) {
            return flow;
        }
        self.program(&program, args, &again)
    }

    /// `call other.cmd args`, or `other.cmd args` (which does not come
    /// back): a batch file whose text the review knows (the script wrote
    /// it, or it is in a folder given to the review) runs in the same
    /// cmd.exe, with the same environment, and its steps are the run's.
    /// `None` when `program` is no such file.
    fn run_batch_file(&mut self, program: &str, rest: &str, via_call: bool) -> Option<Flow> {
        let name = unquote(program);
        let lower = name.to_ascii_lowercase();
        if !(lower.ends_with(".cmd") || lower.ends_with(".bat")) {
            return None;
        }
        let full = self.absolute(&name);
        let (Entry::File(Some(text)), _) = self.server.disk.get(&full) else {
            return None;
        };
        if self.depth_base + self.frames.len() > CALL_DEPTH_LIMIT {
            self.unsupported(format!(
                "`{name}` nests more than {CALL_DEPTH_LIMIT} calls deep: cmd.exe stops such a script (\"BATCH RECURSION exceeds STACK limits\"), and so does the review"
            ));
            return Some(Flow::Terminate);
        }
        let (folder, file_name) = full.rsplit_once('\\').unwrap_or(("", &full));
        let script = Script {
            file: SourceFile::new(&full, text),
            windows_folder: format!("{folder}\\"),
            file_name: file_name.to_owned(),
            local_folder: None,
            arguments: call_arguments(rest),
        };
        let mut child = Interpreter::new(&script, self.server);
        child.env = self.env.clone();
        child.env_bytes = self.env_bytes;
        child.delayed = self.delayed;
        child.errorlevel = self.errorlevel;
        child.cwd = self.cwd.clone();
        child.executed = self.executed;
        child.depth_base = self.depth_base + self.frames.len();
        let flow = child.run_from(0);
        // A batch file's `setlocal`s end with it (an implicit `endlocal`).
        self.env = child.saved_env.first().cloned().unwrap_or(child.env);
        self.delayed = child
            .saved_delayed
            .first()
            .copied()
            .unwrap_or(child.delayed);
        self.env_bytes = child.env_bytes;
        self.errorlevel = child.errorlevel;
        self.cwd = child.cwd;
        self.executed = child.executed;
        self.too_long |= child.too_long;
        self.over_budget |= child.over_budget;
        let offset = self.steps.len();
        self.steps.extend(child.steps);
        if let Some(i) = child.unexamined_failure {
            self.unexamined_failure = Some(offset + i);
        }
        self.unsupported.extend(child.unsupported);
        for (key, value) in child.assumed {
            self.assumed.entry(key).or_insert(value);
        }
        Some(match flow {
            Flow::Terminate => Flow::Terminate,
            // Without `call` the batch file replaces this one: nothing of
            // this script runs after it.
            _ if !via_call => Flow::Terminate,
            _ => Flow::Next,
        })
    }

    fn record(
        &mut self,
        kind: StepKind,
        command: &str,
        program: &str,
        arguments: Vec<String>,
    ) -> usize {
        if let Some(i) = self.unexamined_failure.take() {
            self.steps[i].failure_ignored = true;
        }
        let span = self.span();
        self.steps
            .push(Step::new(span, kind, command, program, arguments));
        self.steps.len() - 1
    }

    fn finish_step(&mut self, index: usize, code: i32) {
        self.steps[index].exit_code = code;
        self.errorlevel = code;
        if code != 0 {
            self.unexamined_failure = Some(index);
        }
    }

    /// A command whose program was an undefined `%NAME%`: cmd.exe expands it
    /// to nothing and runs the next word (`list` of `%APPCMD% list site`),
    /// which is no program: "is not recognized", 9009.
    fn undefined_program(&mut self, variable: &str, text: &str) -> Flow {
        let (program, rest) = split_program(text);
        let shown = if program.is_empty() { "\"\"" } else { &program };
        let arguments: Vec<String> = split_arguments(rest, 0, false)
            .into_iter()
            .map(|a| a.text)
            .collect();
        let index = self.record(StepKind::External, text, shown, arguments);
        self.steps[index].output = format!(
            "'{shown}' is not recognized as an internal or external command, operable program or batch file."
        );
        self.steps[index].assumptions.push(format!(
            "`%{variable}%` is not defined here: cmd.exe runs what is left, `{shown}`, as the program"
        ));
        self.finish_step(index, 9009);
        Flow::Next
    }

    fn program(&mut self, program: &str, rest: &str, command: &str) -> Flow {
        let name = unquote(program);
        let base = name
            .rsplit(['\\', '/'])
            .next()
            .unwrap_or(&name)
            .to_lowercase();
        let arguments: Vec<String> = split_arguments(rest, 0, false)
            .into_iter()
            .map(|a| a.text)
            .collect();
        if base == "appcmd" || base == "appcmd.exe" {
            let found = name.contains('\\')
                || self
                    .var("PATH")
                    .is_some_and(|p| p.to_lowercase().contains("inetsrv"))
                || self
                    .cwd
                    .as_deref()
                    .is_some_and(|c| c.to_lowercase().ends_with("inetsrv"));
            let index = self.record(StepKind::Appcmd, command, &name, arguments);
            if !found {
                self.steps[index].output = format!(
                    "'{name}' is not recognized as an internal or external command, operable program or batch file."
                );
                self.finish_step(index, 9009);
                return Flow::Next;
            }
            // PATHEXT finds `appcmd` as `appcmd.exe`.
            let with_extension = if base == "appcmd" {
                format!("{name}.exe")
            } else {
                name.clone()
            };
            if name.contains('\\') && !with_extension.eq_ignore_ascii_case(APPCMD_PATH) {
                self.steps[index].assumptions.push(format!(
                    "`{name}` is not where IIS installs appcmd.exe ({APPCMD_PATH}); simulated as appcmd anyway"
                ));
            }
            let input = self.pipe_input.take();
            let outcome = appcmd::run_with_input(self.server, rest, input.as_deref());
            let step = &mut self.steps[index];
            step.output = outcome.output;
            step.changes = outcome.changes;
            step.assumptions.extend(outcome.assumptions);
            self.finish_step(index, outcome.code);
            return Flow::Next;
        }
        let index = self.record(StepKind::External, command, &name, arguments);
        if name.contains('\\') {
            let full = self.absolute(&name);
            if matches!(self.lookup(&full), Entry::Missing) {
                self.steps[index].output = "The system cannot find the path specified.".to_owned();
                self.finish_step(index, 3);
                return Flow::Next;
            }
        }
        self.steps[index].output = "recorded, not run: assumed to succeed (exit code 0)".to_owned();
        self.finish_step(index, 0);
        Flow::Next
    }

    // ------------------------------------------------------------ files

    fn file_arguments(&self, rest: &str) -> Vec<String> {
        split_arguments(rest, 0, false)
            .into_iter()
            .map(|a| a.text)
            .filter(|a| !a.starts_with('/'))
            .collect()
    }

    fn mkdir(&mut self, rest: &str) -> Flow {
        let targets = self.file_arguments(rest);
        let index = self.record(
            StepKind::File,
            &format!("mkdir {rest}"),
            "mkdir",
            targets.clone(),
        );
        let mut code = 0;
        for target in targets {
            let full = self.absolute(&target);
            let (entry, knowledge) = self.server.disk.get(&full);
            if knowledge == Knowledge::Known && entry != Entry::Missing {
                self.steps[index].output =
                    format!("A subdirectory or file {target} already exists.");
                code = 1;
                continue;
            }
            self.server.disk.set(&full, Entry::Folder);
            self.steps[index].output = format!("creates folder {full}");
        }
        self.finish_step(index, code);
        Flow::Next
    }

    fn copy(&mut self, rest: &str, is_move: bool) -> Flow {
        let args = self.file_arguments(rest);
        let verb = if is_move { "move" } else { "copy" };
        let index = self.record(
            StepKind::File,
            &format!("{verb} {rest}"),
            verb,
            args.clone(),
        );
        let [source, target] = args.as_slice() else {
            self.steps[index].output = "The syntax of the command is incorrect.".to_owned();
            self.finish_step(index, 1);
            return Flow::Next;
        };
        let source = self.absolute(source);
        let mut target = self.absolute(target);
        let content = match self.lookup(&source) {
            Entry::Missing => {
                self.steps[index].output = "The system cannot find the file specified.".to_owned();
                self.finish_step(index, 1);
                return Flow::Next;
            }
            Entry::Folder => None,
            Entry::File(content) => content,
        };
        if let (Entry::Folder, Knowledge::Known) = self.server.disk.get(&target) {
            let name = source.rsplit('\\').next().unwrap_or("").to_owned();
            target = format!("{}\\{name}", target.trim_end_matches('\\'));
        }
        self.server.disk.set(&target, Entry::File(content));
        if is_move {
            self.server.disk.set(&source, Entry::Missing);
        }
        let past = if is_move { "moves" } else { "copies" };
        self.steps[index].output = format!("{past} {source} to {target}");
        self.finish_step(index, 0);
        Flow::Next
    }

    fn delete(&mut self, rest: &str) -> Flow {
        let targets = self.file_arguments(rest);
        let index = self.record(
            StepKind::File,
            &format!("del {rest}"),
            "del",
            targets.clone(),
        );
        for target in targets {
            let full = self.absolute(&target);
            match self.lookup(&full) {
                // `del` of a missing file prints "Could Not Find" and still exits 0.
                Entry::Missing => self.steps[index].output = format!("Could Not Find {full}"),
                _ => {
                    self.server.disk.set(&full, Entry::Missing);
                    self.steps[index].output = format!("deletes {full}");
                }
            }
        }
        self.finish_step(index, 0);
        Flow::Next
    }

    fn rmdir(&mut self, rest: &str) -> Flow {
        let recursive = rest.to_lowercase().contains("/s");
        let targets = self.file_arguments(rest);
        let index = self.record(
            StepKind::File,
            &format!("rmdir {rest}"),
            "rmdir",
            targets.clone(),
        );
        let mut code = 0;
        for target in targets {
            let full = self.absolute(&target);
            match self.lookup(&full) {
                Entry::Missing => {
                    self.steps[index].output =
                        "The system cannot find the file specified.".to_owned();
                    code = 2;
                }
                _ if !recursive && self.server.disk.has_children(&full) => {
                    self.steps[index].output = "The directory is not empty.".to_owned();
                    code = 145;
                }
                _ => {
                    self.server.disk.set(&full, Entry::Missing);
                    self.steps[index].output = format!("removes folder {full}");
                }
            }
        }
        self.finish_step(index, code);
        Flow::Next
    }

    // ------------------------------------------------------------ for

    /// A command whose output goes to a file: `echo` writes its text there
    /// (with the line end cmd.exe adds, and the space before `>` if any);
    /// another command runs as usual and leaves a file whose content the
    /// review does not know.
    fn redirected(&mut self, text: &str, redirect: &Redirection) -> Flow {
        let expanded = self.expand_delayed(text);
        let command = expanded.trim_start().trim_start_matches('@').trim_start();
        let (program, _) = split_program(command);
        let word = program.to_lowercase();
        // `echo text` writes `text`; `echo.` and `echo:` an empty line or what follows.
        let echoed = if word == "echo" {
            let after = &command[program.len()..];
            Some(after.strip_prefix([' ', '\t']).unwrap_or(after).to_owned())
        } else if word.starts_with("echo") && word[4..].starts_with(['.', ':']) {
            Some(command[5..].to_owned())
        } else {
            None
        };
        let flow = match echoed {
            Some(_) => Flow::Next,
            None => self.simple(text.trim_end()),
        };
        let target_text = unquote(&self.expand_delayed(&redirect.target));
        let target = self.absolute(&target_text);
        let shown = format!(
            "{} {} {}",
            command.trim_end(),
            if redirect.kind == RedirectionKind::Append {
                ">>"
            } else {
                ">"
            },
            redirect.target
        );
        // The file step belongs to the command: a failure of the command
        // stays the one the script may look at next.
        let pending = self.unexamined_failure.take();
        let operator = if redirect.kind == RedirectionKind::Append {
            ">>"
        } else {
            ">"
        };
        let index = self.record(StepKind::File, &shown, operator, vec![target.clone()]);
        self.unexamined_failure = pending;
        let before = self.server.disk.get(&target);
        let content = match (echoed, (redirect.kind == RedirectionKind::Append), before) {
            (Some(line), false, _) => Some(format!("{line}\r\n")),
            (Some(line), true, (Entry::File(Some(old)), _)) => Some(format!("{old}{line}\r\n")),
            (Some(line), true, (Entry::Missing, _)) => Some(format!("{line}\r\n")),
            // A program's output, or a line added to a file whose content is not known.
            _ => None,
        };
        self.server.disk.set(&target, Entry::File(content));
        self.steps[index].output = format!(
            "{} {target}",
            if redirect.kind == RedirectionKind::Append {
                "appends to"
            } else {
                "writes"
            }
        );
        flow
    }

    /// The lines `for /f` reads from a command (already as the child cmd
    /// runs it); `None` when the run must end.
    fn command_output(&mut self, command: &str) -> Option<Vec<String>> {
        let (program, rest) = split_program(command);
        if is_broken_program(&program) {
            // The child cmd's quote rule cut the program's name short.
            let shown = program.replace('"', "");
            let arguments = split_arguments(rest, 0, false)
                .into_iter()
                .map(|a| a.text)
                .collect();
            let index = self.record(StepKind::External, command, &shown, arguments);
            self.steps[index].output = format!(
                "'{shown}' is not recognized as an internal or external command, operable program or batch file."
            );
            self.steps[index].assumptions.push(
                "`for /f` runs its command with `cmd /c`, which takes the first and the last quote off a line that starts with one and holds more than two: the program's name is cut there, and the loop gets no lines (quote the whole command once more: `('\"\"C:\\x.exe\" \"arg\"\"')`)".to_owned(),
            );
            self.finish_step(index, 9009);
            return Some(Vec::new());
        }
        if self.is_appcmd(command) {
            // appcmd is simulated: its output is the model's answer.
            let first = self.steps.len();
            if let Flow::Terminate = self.simple(command) {
                return None;
            }
            return Some(
                self.steps
                    .get(first)
                    .map(|step| {
                        step.output
                            .lines()
                            .filter(|l| !l.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            );
        }
        if let Some(lines) = self.builtin_output(&program, rest) {
            return Some(lines);
        }
        let arguments = split_arguments(rest, 0, false)
            .into_iter()
            .map(|a| a.text)
            .collect();
        let index = self.record(StepKind::External, command, &unquote(&program), arguments);
        self.server.outputs_simulated += 1;
        let output = format!("{SIMULATED_OUTPUT}{}", self.server.outputs_simulated);
        self.steps[index].output = "recorded, not run: its output is not known".to_owned();
        self.steps[index].assumptions.push(format!(
            "the output of `{command}` is not known; the simulation takes it as the one line `{output}`"
        ));
        self.finish_step(index, 0);
        Some(vec![output])
    }

    /// The command line of `for /f ... in ('command')` as the child cmd
    /// runs it: `%` expanded once more, `^` taken off, and cmd's quote rule.
    fn child_line(&mut self, command: &str) -> String {
        let expanded = self.expand(&without_carets(command));
        child_command_line(&expanded)
    }

    /// What a builtin prints when `for /f` runs it, as lines; `None` when
    /// `program` is no builtin. `echo` prints its text; `dir /b` the names
    /// the model has (with `/s` their full paths); the others' output is
    /// not modelled (no lines, and a finding says so).
    fn builtin_output(&mut self, program: &str, rest: &str) -> Option<Vec<String>> {
        let word = program.to_ascii_lowercase();
        builtin_named(&word)?;
        if is_echo_word(&word) {
            let text = if word == "echo" { rest } else { &program[5..] };
            return Some(vec![text.trim_end().to_owned()]);
        }
        if word == "dir" {
            let arguments: Vec<String> = split_arguments(rest, 0, false)
                .into_iter()
                .map(|a| a.text)
                .collect();
            let recursive = arguments.iter().any(|a| a.eq_ignore_ascii_case("/s"));
            let bare = arguments.iter().any(|a| a.eq_ignore_ascii_case("/b"));
            let targets: Vec<&String> = arguments.iter().filter(|a| !a.starts_with('/')).collect();
            if bare && targets.iter().all(|t| !t.contains(['*', '?'])) {
                let mut lines = Vec::new();
                for target in targets {
                    let full = self.absolute(target);
                    if !matches!(self.lookup(&full), Entry::Missing) {
                        let name = full.rsplit('\\').next().unwrap_or("").to_owned();
                        lines.push(if recursive { full } else { name });
                    }
                }
                return Some(lines);
            }
        }
        self.unsupported(format!(
            "`for /f` over the output of `{program}`, a command of cmd.exe whose output the review does not model: taken as no lines"
        ));
        Some(Vec::new())
    }

    /// A `for` body with its variables' values in place: `%I`, and `%~nxI`
    /// with modifiers (phase 4 of stackoverflow.com/questions/4094699).
    fn substitute(&mut self, body: &str, variables: &[(char, String)]) -> String {
        let letters: Vec<char> = variables.iter().map(|(c, _)| *c).collect();
        let value_of = |letter: char| {
            variables
                .iter()
                .find(|(c, _)| *c == letter)
                .map_or("", |(_, v)| v.as_str())
        };
        let mut out = String::with_capacity(body.len());
        let mut i = 0;
        while i < body.len() {
            let c = body[i..].chars().next().unwrap_or('%');
            if c != '%' {
                out.push(c);
                i += c.len_utf8();
                continue;
            }
            if let Some((modifiers, letter, len)) = paths::modified_reference(body, i, &letters) {
                match paths::with_modifiers(value_of(letter), &modifiers, &self.current_folder()) {
                    Ok(value) => out.push_str(&value),
                    Err(paths::Unknown(m)) => self.unsupported(format!(
                        "`%~{modifiers}{letter}`: the `{m}` modifier reads the file on the server; taken as empty"
                    )),
                }
                i += len;
                continue;
            }
            match body[i + 1..].chars().next() {
                Some(letter) if letters.contains(&letter) => {
                    out.push_str(value_of(letter));
                    i += 1 + letter.len_utf8();
                }
                _ => {
                    out.push('%');
                    i += 1;
                }
            }
        }
        out
    }

    /// The current folder, without a trailing `\`.
    fn current_folder(&self) -> String {
        self.cwd
            .clone()
            .unwrap_or_else(|| self.script.windows_folder.trim_end_matches('\\').to_owned())
    }

    /// Whether `command` runs appcmd (by its full path or name).
    fn is_appcmd(&self, command: &str) -> bool {
        let (program, _) = split_program(command.trim());
        let name = unquote(&program).to_lowercase();
        let base = name.rsplit(['\\', '/']).next().unwrap_or(&name);
        base == "appcmd" || base == "appcmd.exe"
    }

    fn run_for(&mut self, f: &For) -> Flow {
        let lines: Vec<String> = match &f.source {
            ForSource::Command(command) => {
                let command = self.child_line(command);
                match self.command_output(&command) {
                    Some(lines) => lines,
                    None => return Flow::Terminate,
                }
            }
            ForSource::Text(text) => vec![text.clone()],
            ForSource::Words(words) => {
                if words.iter().any(|w| w.contains(['*', '?'])) {
                    self.unsupported(
                        "`for` over a file pattern is not simulated: no files are assumed to match"
                            .to_owned(),
                    );
                    Vec::new()
                } else {
                    words.clone()
                }
            }
            ForSource::File(path) => {
                self.unsupported(format!(
                    "`for /f` reading `{path}` is not simulated: the file is taken as empty"
                ));
                Vec::new()
            }
        };
        let skip = f.split.as_ref().map_or(0, |s| s.skip);
        for line in lines.into_iter().skip(skip) {
            let values = match &f.split {
                None => vec![line],
                Some(split) => match split.values(&line) {
                    Some(values) => values,
                    None => continue,
                },
            };
            // The loop variable, then the letters after it (`%%a` `%%b` ...).
            let first = f.variable.chars().next().unwrap_or('i');
            let variables: Vec<(char, String)> = values
                .into_iter()
                .enumerate()
                .filter_map(|(n, value)| Some((char::from_u32(first as u32 + n as u32)?, value)))
                .collect();
            let body = self.substitute(&f.body, &variables);
            // The body starts on the `for`'s line.
            let parsed = syntax::parse(&body, 0);
            if parsed.open == Some(Open::Block) {
                self.unsupported("the body of this `for` is not closed".to_owned());
                return Flow::Terminate;
            }
            let start = self.logical_start;
            self.logical_start = self.current_line;
            let flow = self.execute(&parsed.command);
            self.logical_start = start;
            match flow {
                Flow::Next => {}
                other => return other,
            }
        }
        Flow::Next
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
                total = total.checked_add(sign * n)?;
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
