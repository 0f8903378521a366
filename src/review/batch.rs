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
use super::server::{path_key, Entry, Knowledge, Server, APPCMD_PATH, WINDOWS_ENVIRONMENT};
use crate::iis::appcmd::split_arguments;
use crate::source::{SourceFile, Span};

/// The longest a script may run, in executed lines: a `goto` loop that never
/// ends is reported instead of hanging the review.
const STEP_LIMIT: usize = 100_000;

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

#[derive(Debug, Clone)]
struct Line {
    range: std::ops::Range<usize>,
    text: String,
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
}

impl<'a> Interpreter<'a> {
    fn new(script: &'a Script, server: &'a mut Server) -> Interpreter<'a> {
        let text = &script.file.text;
        let mut lines = Vec::new();
        let mut start = 0;
        for piece in text.split_inclusive('\n') {
            let body = piece.trim_end_matches(['\n', '\r']);
            lines.push(Line {
                range: start..start + body.len(),
                // cmd.exe removes every CR of a line it read (phase 1.5 of
                // stackoverflow.com/questions/4094699): a line that ends with
                // CR alone joins the next one.
                text: body.replace('\r', ""),
            });
            start += piece.len();
        }
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
            if raw.starts_with(':') || raw.is_empty() {
                pc += 1;
                continue;
            }
            self.current_line = pc;
            let mut text = self.expand(&self.lines[pc].text.clone());
            let mut end = pc;
            let parsed = loop {
                match parse(&text) {
                    Parsed::Done(cmd) => break Some(cmd),
                    Parsed::NeedMore if end + 1 < self.lines.len() => {
                        end += 1;
                        let next = self.expand(&self.lines[end].text.clone());
                        text.push('\n');
                        text.push_str(&next);
                    }
                    Parsed::NeedMore => break None,
                }
            };
            self.current_end = end;
            self.end_line = end;
            self.logical_start = pc;
            if text.chars().count() > LINE_LIMIT {
                return self.line_too_long();
            }
            let parsed = parsed.map(|cmd| match cmd.syntax_error() {
                // Nothing of a line cmd.exe cannot read runs.
                Some(message) => Cmd::SyntaxError(message),
                None => cmd,
            });
            let Some(cmd) = parsed else {
                self.unsupported(
                    "a `(` block that is never closed: cmd.exe stops reading the script here"
                        .to_owned(),
                );
                return Flow::Terminate;
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
                    if label.eq_ignore_ascii_case(":eof") || label.eq_ignore_ascii_case("eof") {
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
        let wanted = label.trim_start_matches(':').to_lowercase();
        let is_label = |l: &Line| {
            let t = l.text.trim_start();
            t.strip_prefix(':').is_some_and(|rest| {
                let name: String = rest
                    .chars()
                    .take_while(|c| {
                        !c.is_whitespace() && !matches!(c, '+' | ':' | '&' | '|' | '<' | '>')
                    })
                    .collect();
                name.to_lowercase() == wanted
            })
        };
        (from..self.lines.len())
            .chain(0..from)
            .find(|&i| is_label(&self.lines[i]))
    }

    // ------------------------------------------------------------ expansion

    fn var(&self, name: &str) -> Option<String> {
        let upper = name.to_uppercase();
        if let Some((_, v)) = self.env.get(&upper) {
            return Some(v.clone());
        }
        match upper.as_str() {
            "ERRORLEVEL" => Some(self.errorlevel.to_string()),
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
        let chars: Vec<char> = line.chars().collect();
        let mut out = String::with_capacity(line.len());
        let mut i = 0;
        while i < chars.len() {
            if chars[i] != '%' {
                out.push(chars[i]);
                i += 1;
                continue;
            }
            match chars.get(i + 1) {
                Some('%') => {
                    out.push('%');
                    i += 2;
                }
                Some('*') => {
                    // `%*` is every argument as given: `shift` does not change it.
                    out.push_str(&self.given.last().map(|f| f.join(" ")).unwrap_or_default());
                    i += 2;
                }
                Some(c) if c.is_ascii_digit() => {
                    // `%0` is the script, or the `:label` of a call, until
                    // `shift` moves `%1` into it.
                    out.push_str(self.argument(*c).unwrap_or(""));
                    i += 2;
                }
                Some('~') => {
                    let mut k = i + 2;
                    let mut modifiers = String::new();
                    while k < chars.len() && chars[k].is_ascii_alphabetic() {
                        modifiers.push(chars[k]);
                        k += 1;
                    }
                    if chars.get(k).is_some_and(char::is_ascii_digit) {
                        if chars[k] == '0' {
                            out.push_str(&self.argument_zero(&modifiers));
                        } else if modifiers.is_empty() {
                            // `%~1`: the argument without its surrounding quotes.
                            let value = self.argument(chars[k]).unwrap_or("");
                            let value = value.strip_prefix('"').unwrap_or(value);
                            out.push_str(value.strip_suffix('"').unwrap_or(value));
                        } else {
                            self.unsupported(format!(
                                "`%~{modifiers}{}`: only `%~N` of an argument is simulated; taken as empty",
                                chars[k]
                            ));
                        }
                        i = k + 1;
                    } else {
                        // Not an argument reference: cmd drops the `%`.
                        i += 1;
                    }
                }
                _ => {
                    let rest: String = chars[i + 1..].iter().collect();
                    match rest.find('%') {
                        Some(end) if !rest[..end].contains(['\n']) => {
                            let body = &rest[..end];
                            if body.to_uppercase() == "ERRORLEVEL"
                                && !self.env.contains_key("ERRORLEVEL")
                            {
                                self.unexamined_failure = None;
                            }
                            let value = self.expand_variable(body);
                            if value.is_empty()
                                && !body.contains(':')
                                && self.var(body).is_none()
                                && at_command_position(&out)
                            {
                                // cmd then runs the next word as the program.
                                out.push(UNDEFINED_PROGRAM);
                                out.push_str(body);
                                out.push(UNDEFINED_PROGRAM);
                            }
                            out.push_str(&value);
                            i += 1 + body.chars().count() + 1;
                        }
                        // A lone `%` is dropped in a batch file.
                        _ => i += 1,
                    }
                }
            }
        }
        out
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
                        out.push_str(&self.expand_variable(body));
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

    fn expand_variable(&mut self, body: &str) -> String {
        let Some((name, edit)) = body.split_once(':') else {
            return self.var(body).unwrap_or_default();
        };
        let Some(value) = self.var(name) else {
            return String::new();
        };
        if let Some(range) = edit.strip_prefix('~') {
            let mut parts = range.split(',');
            let start: i64 = parts
                .next()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
            let len: Option<i64> = parts.next().and_then(|s| s.trim().parse().ok());
            let chars: Vec<char> = value.chars().collect();
            let n = chars.len() as i64;
            let from = if start < 0 {
                (n + start).max(0)
            } else {
                start.min(n)
            };
            let to = match len {
                None => n,
                Some(l) if l < 0 => (n + l).max(from),
                Some(l) => (from + l).min(n),
            };
            return chars[from as usize..to as usize].iter().collect();
        }
        if let Some((from, to)) = edit.split_once('=') {
            if from.is_empty() {
                return value;
            }
            return replace_case_insensitive(&value, from, to);
        }
        value
    }

    fn script_path(&self) -> String {
        format!("{}{}", self.script.windows_folder, self.script.file_name)
    }

    /// `%0` to `%9`: the `:label` and arguments of the `call` being run,
    /// else the script and its own arguments (none unless `review --arg`),
    /// as `shift` left them.
    fn argument(&self, digit: char) -> Option<&str> {
        let n = digit.to_digit(10)? as usize;
        self.frames.last()?.get(n).map(String::as_str)
    }

    fn argument_zero(&self, modifiers: &str) -> String {
        let folder = &self.script.windows_folder;
        let name = &self.script.file_name;
        if modifiers.is_empty() || modifiers.contains('f') {
            return self.script_path();
        }
        let mut out = String::new();
        if modifiers.contains('d') {
            out.push_str(&folder[..2.min(folder.len())]);
        }
        if modifiers.contains('p') {
            out.push_str(folder.get(2..).unwrap_or(""));
        }
        let (stem, ext) = name
            .rsplit_once('.')
            .map_or((name.as_str(), ""), |(s, e)| (s, e));
        if modifiers.contains('n') {
            out.push_str(stem);
        }
        if modifiers.contains('x') && !ext.is_empty() {
            out.push('.');
            out.push_str(ext);
        }
        out
    }

    // ------------------------------------------------------------ execution

    fn execute(&mut self, cmd: &Cmd) -> Flow {
        match cmd {
            Cmd::Simple(text) => self.simple(text),
            Cmd::Output(text, redirect) => self.redirected(text, redirect),
            Cmd::SyntaxError(message) => {
                let command = self.lines[self.current_line].text.trim().to_owned();
                let index = self.record(StepKind::External, &command, "cmd.exe", Vec::new());
                self.steps[index].output = message.clone();
                self.steps[index].assumptions.push(
                    "cmd.exe refuses this line when it reads it (an `if` operand that expanded to nothing): the script ends here".to_owned(),
                );
                self.finish_step(index, 255);
                Flow::Terminate
            }
            Cmd::Below(lines, cmd) => {
                let (line, end) = (self.current_line, self.current_end);
                // Its own line (a command continued with `^` is not told apart).
                self.current_line = self.logical_start + lines;
                self.current_end = self.current_line;
                let flow = self.execute(cmd);
                (self.current_line, self.current_end) = (line, end);
                flow
            }
            Cmd::Block(cmds) => {
                for c in cmds {
                    match self.execute(c) {
                        Flow::Next => {}
                        other => return other,
                    }
                }
                Flow::Next
            }
            Cmd::Sequence(left, op, right) => {
                let steps_before = self.steps.len();
                let flow = self.execute(left);
                if !matches!(flow, Flow::Next) {
                    return flow;
                }
                let go = match op {
                    Op::Then => true,
                    Op::And => {
                        self.unexamined_failure = None;
                        self.errorlevel == 0
                    }
                    Op::Or => {
                        self.unexamined_failure = None;
                        self.errorlevel != 0
                    }
                    Op::Pipe => {
                        // appcmd's output is known (the simulation printed it):
                        // an appcmd on the right reads it (`/in`).
                        let printed = self.steps[steps_before.min(self.steps.len())..]
                            .last()
                            .filter(|s| s.kind == StepKind::Appcmd)
                            .map(|s| s.output.clone());
                        let right_is_appcmd = match right.as_ref() {
                            Cmd::Simple(t) => {
                                let expanded = self.expand_delayed(t);
                                self.is_appcmd(&expanded)
                            }
                            _ => false,
                        };
                        match printed {
                            Some(text) if right_is_appcmd => self.pipe_input = Some(text),
                            _ => self.unsupported(
                                "`|`: the command after the pipe runs, but without the output of the one before it".to_owned(),
                            ),
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
            Cmd::If {
                negate,
                ignore_case,
                condition,
                then,
                otherwise,
            } => {
                let truth = self.condition(condition, *ignore_case) != *negate;
                if truth {
                    self.execute(then)
                } else if let Some(other) = otherwise {
                    self.execute(other)
                } else {
                    Flow::Next
                }
            }
            Cmd::For(f) => self.run_for(f),
        }
    }

    fn condition(&mut self, condition: &Condition, ignore_case: bool) -> bool {
        match condition {
            Condition::ErrorLevel(n) => {
                self.unexamined_failure = None;
                self.errorlevel >= *n
            }
            Condition::Exist(path) => {
                let path = unquote(&self.expand_delayed(path));
                let full = self.absolute(&path);
                !matches!(self.lookup(&full), Entry::Missing)
            }
            Condition::Defined(name) => {
                let upper = name.to_uppercase();
                self.env.contains_key(&upper) || matches!(upper.as_str(), "ERRORLEVEL" | "CD")
            }
            Condition::Compare(a, op, b) => {
                let (a, b) = (self.expand_delayed(a), self.expand_delayed(b));
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
        for jump in ["goto", "call"] {
            if word.len() > jump.len()
                && word.starts_with(jump)
                && word[jump.len()..].starts_with(':')
            {
                let target = format!("{} {rest}", &text[jump.len()..split_program_len(text)]);
                return match jump {
                    "goto" => Flow::Goto(target.split_whitespace().next().unwrap_or("").to_owned()),
                    _ => self.call(&target),
                };
            }
        }
        let dot_echo = word.starts_with("echo") && word[4..].starts_with(['.', ':', '(', '/']);
        if dot_echo {
            return Flow::Next;
        }
        let cmd_file = self.script.file_name.to_lowercase().ends_with(".cmd");
        match word.as_str() {
            "rem" | "echo" | "title" | "cls" | "color" | "type" | "ver" | "prompt" => Flow::Next,
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
            "start" | "shift" | "pipe" => {
                self.unsupported(format!("`{word}` is not simulated"));
                Flow::Next
            }
            _ => self.program(&program, rest, text),
        }
    }

    fn set(&mut self, rest: &str) {
        let rest = rest.trim_start();
        let lower = rest.to_lowercase();
        if lower.starts_with("/a") {
            let expr = rest[2..].trim();
            let expr = unquote(expr);
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
        if lower.starts_with("/p") {
            self.unsupported(
                "`set /p` asks the admin for input: the simulation answers with nothing".to_owned(),
            );
            return;
        }
        // `set "NAME=value"` (quotes removed, text after the last quote dropped) or `set NAME=value`.
        let body = if let Some(inner) = rest.strip_prefix('"') {
            match inner.rfind('"') {
                Some(end) => inner[..end].to_owned(),
                None => inner.to_owned(),
            }
        } else {
            rest.to_owned()
        };
        let Some((name, value)) = body.split_once('=') else {
            return;
        };
        if name.is_empty() {
            return;
        }
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
            let arguments = call_arguments(label_and_rest(rest));
            let (line, end) = (self.current_line, self.current_end);
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
                }
            }
            return Flow::Next;
        }
        // `call program ...` runs the program (cmd expands `%` a second time).
        let again = self.expand(rest);
        let (program, args) = split_program(&again);
        self.program(&program, args, &again)
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
    fn redirected(&mut self, text: &str, redirect: &Redirect) -> Flow {
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
            if redirect.append { ">>" } else { ">" },
            redirect.target
        );
        // The file step belongs to the command: a failure of the command
        // stays the one the script may look at next.
        let pending = self.unexamined_failure.take();
        let operator = if redirect.append { ">>" } else { ">" };
        let index = self.record(StepKind::File, &shown, operator, vec![target.clone()]);
        self.unexamined_failure = pending;
        let before = self.server.disk.get(&target);
        let content = match (echoed, redirect.append, before) {
            (Some(line), false, _) => Some(format!("{line}\r\n")),
            (Some(line), true, (Entry::File(Some(old)), _)) => Some(format!("{old}{line}\r\n")),
            (Some(line), true, (Entry::Missing, _)) => Some(format!("{line}\r\n")),
            // A program's output, or a line added to a file whose content is not known.
            _ => None,
        };
        self.server.disk.set(&target, Entry::File(content));
        self.steps[index].output = format!(
            "{} {target}",
            if redirect.append {
                "appends to"
            } else {
                "writes"
            }
        );
        flow
    }

    /// Whether `command` runs appcmd (by its full path or name).
    fn is_appcmd(&self, command: &str) -> bool {
        let (program, _) = split_program(command.trim());
        let name = unquote(&program).to_lowercase();
        let base = name.rsplit(['\\', '/']).next().unwrap_or(&name);
        base == "appcmd" || base == "appcmd.exe"
    }

    fn run_for(&mut self, f: &ForLoop) -> Flow {
        let lines: Vec<String> = match &f.source {
            ForSource::Command(command) if self.is_appcmd(command) => {
                // appcmd is simulated: its output is the model's answer. The
                // command line runs in a child cmd, which expands `%` once
                // more and takes `^` escapes off.
                let command = self.expand(&without_carets(command));
                let first = self.steps.len();
                if let Flow::Terminate = self.simple(&command) {
                    return Flow::Terminate;
                }
                self.steps
                    .get(first)
                    .map(|step| {
                        step.output
                            .lines()
                            .filter(|l| !l.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            }
            ForSource::Command(command) => {
                let (program, rest) = split_program(command);
                let index = self.record(
                    StepKind::External,
                    command,
                    &unquote(&program),
                    split_arguments(rest, 0, false)
                        .into_iter()
                        .map(|a| a.text)
                        .collect(),
                );
                self.server.outputs_simulated += 1;
                let output = format!("{SIMULATED_OUTPUT}{}", self.server.outputs_simulated);
                self.steps[index].output = "recorded, not run: its output is not known".to_owned();
                self.steps[index].assumptions.push(format!(
                    "the output of `{command}` is not known; the simulation takes it as the one line `{output}`"
                ));
                self.finish_step(index, 0);
                vec![output]
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
            let mut body = f.body.clone();
            let first = f.variable.chars().next().unwrap_or('i');
            for (n, value) in values.iter().enumerate() {
                if let Some(letter) = char::from_u32(first as u32 + n as u32) {
                    body = body.replace(&format!("%{letter}"), value);
                }
            }
            match parse(&body) {
                Parsed::Done(cmd) => match self.execute(&cmd) {
                    Flow::Next => {}
                    other => return other,
                },
                Parsed::NeedMore => {
                    self.unsupported("the body of this `for` is not closed".to_owned());
                    return Flow::Terminate;
                }
            }
        }
        Flow::Next
    }
}

/// What the simulation takes as the output of a program it does not run
/// (numbered, so that each run differs as a timestamp would).
pub const SIMULATED_OUTPUT: &str = "SIMULATED";

// ---------------------------------------------------------------- parsing

#[derive(Debug, Clone, PartialEq)]
enum Cmd {
    Simple(String),
    /// A command whose standard output goes to a file (`echo x > f`,
    /// `>> f`): the text before the redirection, as cmd.exe keeps it
    /// (a space before `>` is part of what `echo` writes).
    Output(String, Redirect),
    Block(Vec<Cmd>),
    /// A command of a block that starts this many lines below the block's
    /// first line: its steps are reported on their own line.
    Below(usize, Box<Cmd>),
    /// A line cmd.exe refuses when it reads it, with cmd's message: nothing
    /// of the line runs, and the script ends.
    SyntaxError(String),
    Sequence(Box<Cmd>, Op, Box<Cmd>),
    If {
        negate: bool,
        ignore_case: bool,
        condition: Condition,
        then: Box<Cmd>,
        otherwise: Option<Box<Cmd>>,
    },
    For(ForLoop),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Then,
    And,
    Or,
    /// `a | b`: cmd runs both at once, b reading a's output.
    Pipe,
}

#[derive(Debug, Clone, PartialEq)]
enum Condition {
    ErrorLevel(i32),
    Exist(String),
    Defined(String),
    Compare(String, CompareOp, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CompareOp {
    Text,
    Equ,
    Neq,
    Lss,
    Leq,
    Gtr,
    Geq,
}

#[derive(Debug, Clone, PartialEq)]
struct ForLoop {
    variable: String,
    source: ForSource,
    /// How `for /f` splits a line (`None`: plain `for`, each item whole).
    split: Option<LineSplit>,
    body: String,
}

/// The options of `for /f` (`for /?`): lines starting with `eol` and the
/// first `skip` lines are passed over; the rest is cut at any of `delims`
/// (runs of them count as one, leading ones are dropped) and `tokens` picks
/// the pieces, in ascending order, for the loop variable and the letters
/// after it; a trailing `*` adds the rest of the line after the last one.
#[derive(Debug, Clone, PartialEq)]
struct LineSplit {
    eol: Option<char>,
    skip: usize,
    delims: Vec<char>,
    /// Token numbers (1-based), ascending, no repeats.
    tokens: Vec<usize>,
    rest: bool,
}

impl LineSplit {
    /// Reads `"tokens=1,2* delims=, eol=; skip=1 usebackq"`.
    fn parse(options: &str) -> LineSplit {
        let mut split = LineSplit {
            eol: Some(';'),
            skip: 0,
            delims: vec![' ', '\t'],
            tokens: vec![1],
            rest: false,
        };
        let mut rest = options.trim_start();
        while !rest.is_empty() {
            let lower = rest.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("delims=") {
                // The delimiters run to the next option keyword, else to the end.
                let keywords = [" tokens=", " eol=", " skip=", " usebackq"];
                let end = keywords
                    .iter()
                    .filter_map(|k| value.find(k))
                    .min()
                    .unwrap_or(value.len());
                split.delims = rest["delims=".len().."delims=".len() + end]
                    .chars()
                    .collect();
                rest = rest["delims=".len() + end..].trim_start();
                continue;
            }
            let (word, after) = rest.split_once(' ').unwrap_or((rest, ""));
            let lower_word = word.to_ascii_lowercase();
            if let Some(v) = lower_word.strip_prefix("eol=") {
                split.eol = word["eol=".len()..].chars().next();
                let _ = v;
            } else if let Some(v) = lower_word.strip_prefix("skip=") {
                split.skip = v.parse().unwrap_or(0);
            } else if let Some(v) = lower_word.strip_prefix("tokens=") {
                split.rest = v.ends_with('*');
                let mut tokens = Vec::new();
                for part in v.trim_end_matches('*').split(',').filter(|p| !p.is_empty()) {
                    match part.split_once('-') {
                        Some((a, b)) => {
                            if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                                tokens.extend(a..=b);
                            }
                        }
                        None => tokens.extend(part.parse::<usize>().ok()),
                    }
                }
                tokens.retain(|t| *t > 0);
                tokens.sort_unstable();
                tokens.dedup();
                split.tokens = tokens;
            }
            rest = after.trim_start();
        }
        split
    }

    /// The values of one line for the variables, in order; `None` when the
    /// line is passed over.
    fn values(&self, line: &str) -> Option<Vec<String>> {
        if line.is_empty() || self.eol.is_some_and(|e| line.starts_with(e)) {
            return None;
        }
        // Pieces with where each starts, so that `*` takes the rest as it is.
        let mut pieces: Vec<(usize, &str)> = Vec::new();
        let mut start = None;
        for (i, c) in line.char_indices() {
            if self.delims.contains(&c) {
                if let Some(s) = start.take() {
                    pieces.push((s, &line[s..i]));
                }
            } else if start.is_none() {
                start = Some(i);
            }
        }
        if let Some(s) = start {
            pieces.push((s, &line[s..]));
        }
        let mut values: Vec<String> = self
            .tokens
            .iter()
            .map(|t| pieces.get(t - 1).map_or(String::new(), |p| p.1.to_owned()))
            .collect();
        if self.rest {
            let last = self.tokens.last().copied().unwrap_or(0);
            values.push(
                pieces
                    .get(last)
                    .map_or(String::new(), |p| line[p.0..].to_owned()),
            );
        }
        Some(values)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum ForSource {
    Command(String),
    Text(String),
    Words(Vec<String>),
    File(String),
}

enum Parsed {
    Done(Cmd),
    /// A `(` block is still open: the next line belongs to it.
    NeedMore,
}

fn parse(text: &str) -> Parsed {
    let mut p = Parser {
        chars: text.chars().collect(),
        i: 0,
        depth: 0,
        incomplete: false,
        line_tail: 0,
        counted: (0, 0),
    };
    let cmd = p.sequence();
    if p.incomplete {
        Parsed::NeedMore
    } else {
        Parsed::Done(cmd)
    }
}

struct Parser {
    chars: Vec<char>,
    i: usize,
    depth: usize,
    incomplete: bool,
    /// Inside the rest-of-line command of an `if` or `else` (not a block):
    /// a line break ends it, even inside a `( )` block around the `if`.
    line_tail: usize,
    /// `(position, line breaks before it)`, where [`Parser::lines_before`]
    /// last counted to: positions only grow, so counting is linear.
    counted: (usize, usize),
}

impl Parser {
    /// How many line breaks come before position `i` of the text.
    fn lines_before(&mut self, i: usize) -> usize {
        let (from, count) = if i >= self.counted.0 {
            self.counted
        } else {
            (0, 0)
        };
        let more = self.chars[from..i].iter().filter(|c| **c == '\n').count();
        self.counted = (i, count + more);
        count + more
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn at(&self, s: &str) -> bool {
        let n = s.chars().count();
        self.chars.len() >= self.i + n
            && self.chars[self.i..self.i + n]
                .iter()
                .zip(s.chars())
                .all(|(a, b)| a.eq_ignore_ascii_case(&b))
    }

    fn skip_blanks(&mut self, newlines: bool) {
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' || c == ';' || c == ',' || (newlines && c == '\n') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// A word ends at a blank or a special character.
    /// The characters from `start` to `end`, both clamped to the line (the
    /// parser may have stepped past the end of a cut-short line).
    fn text_between(&self, start: usize, end: usize) -> String {
        let end = end.min(self.chars.len());
        self.chars[start.min(end)..end].iter().collect()
    }

    fn word_at(&self) -> String {
        // The parser may have stepped past the end of a cut-short line.
        self.chars[self.i.min(self.chars.len())..]
            .iter()
            .take_while(|c| {
                !c.is_whitespace() && !matches!(c, '(' | ')' | '&' | '|' | '<' | '>' | '"')
            })
            .collect()
    }

    fn sequence(&mut self) -> Cmd {
        let mut left = self.command();
        loop {
            self.skip_blanks(false);
            let op = if self.at("&&") {
                self.i += 2;
                Op::And
            } else if self.at("||") {
                self.i += 2;
                Op::Or
            } else if self.peek() == Some('|') {
                self.i += 1;
                Op::Pipe
            } else if self.peek() == Some('\n') && self.line_tail > 0 {
                // The `if`'s command ends with its line; the block goes on.
                return left;
            } else if self.at("&") || self.peek() == Some('\n') {
                // `&`, and a line break inside a block, run the next command after this one.
                self.i += 1;
                Op::Then
            } else {
                return left;
            };
            self.skip_blanks(self.depth > 0);
            if self.peek().is_none() || (self.peek() == Some(')') && self.depth > 0) {
                return left;
            }
            let below = self.lines_before(self.i);
            let right = self.command();
            let right = if below > 0 {
                Cmd::Below(below, Box::new(right))
            } else {
                right
            };
            left = Cmd::Sequence(Box::new(left), op, Box::new(right));
        }
    }

    /// The rest of the line as one command (`&`, `&&`, `||` included), as
    /// an `if` without a block takes it.
    fn line_sequence(&mut self) -> Cmd {
        self.line_tail += 1;
        let cmd = self.sequence();
        self.line_tail -= 1;
        cmd
    }

    fn command(&mut self) -> Cmd {
        self.skip_blanks(self.depth > 0);
        while self.peek() == Some('@') {
            self.i += 1;
        }
        if self.peek() == Some('(') {
            self.i += 1;
            self.depth += 1;
            // Lines inside the block are the block's, whatever encloses it.
            let line_tail = std::mem::take(&mut self.line_tail);
            let mut cmds = Vec::new();
            loop {
                self.skip_blanks(true);
                match self.peek() {
                    None => {
                        self.incomplete = true;
                        break;
                    }
                    Some(')') => {
                        self.i += 1;
                        break;
                    }
                    _ => {
                        let before = self.i;
                        let below = self.lines_before(self.i);
                        let cmd = self.sequence();
                        cmds.push(if below > 0 {
                            Cmd::Below(below, Box::new(cmd))
                        } else {
                            cmd
                        });
                        if self.i == before {
                            // Nothing could be read here: step over it, so
                            // that a block always ends.
                            self.i += 1;
                        }
                    }
                }
            }
            self.depth -= 1;
            self.line_tail = line_tail;
            self.skip_redirections();
            return Cmd::Block(cmds);
        }
        if self.peek() == Some(':') && self.depth > 0 {
            // `::comment` or `:label` inside a block: cmd skips the line.
            while self.peek().is_some_and(|c| c != '\n') {
                self.i += 1;
            }
            return Cmd::Simple(String::new());
        }
        let word = self.word_at().to_lowercase();
        match word.as_str() {
            "if" => self.if_command(),
            "for" => self.for_command(),
            "rem" => {
                let start = self.i;
                while self.peek().is_some_and(|c| c != '\n') {
                    self.i += 1;
                }
                Cmd::Simple(self.text_between(start, self.i))
            }
            _ => self.simple(),
        }
    }

    fn skip_redirections(&mut self) {
        loop {
            self.skip_blanks(false);
            let digit_redirect = self.peek().is_some_and(|c| c.is_ascii_digit())
                && self.chars.get(self.i + 1) == Some(&'>');
            if self.peek() == Some('>') || self.peek() == Some('<') || digit_redirect {
                let _ = self.redirection();
            } else {
                return;
            }
        }
    }

    /// Consumes `>file`, `>>file`, `2>&1`, `<file`; returns a redirection
    /// of standard output to a file (`2>` and `<` are not modelled).
    fn redirection(&mut self) -> Option<Redirect> {
        let mut fd = '1';
        if let Some(c) = self.peek().filter(char::is_ascii_digit) {
            fd = c;
            self.i += 1;
        }
        let start = self.i;
        while matches!(self.peek(), Some('>') | Some('<')) {
            self.i += 1;
        }
        let operator = self.text_between(start, self.i);
        if self.peek() == Some('&') {
            self.i += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
            return None;
        }
        self.skip_blanks(false);
        let target_start = self.i;
        let mut quoted = false;
        while let Some(c) = self.peek() {
            if c == '"' {
                quoted = !quoted;
            } else if !quoted && (c.is_whitespace() || matches!(c, '&' | '|' | ')' | '<' | '>')) {
                break;
            }
            self.i += 1;
        }
        let target = self.text_between(target_start, self.i);
        (fd == '1' && operator.starts_with('>') && !target.is_empty()).then(|| Redirect {
            target,
            append: operator == ">>",
        })
    }

    /// A simple command: up to an unquoted `&`, `|`, line end, or `)` closing a block.
    fn simple(&mut self) -> Cmd {
        let mut text = String::new();
        let mut quoted = false;
        let mut output: Option<Redirect> = None;
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            if quoted {
                if c == '"' {
                    quoted = false;
                }
                text.push(c);
                self.i += 1;
                continue;
            }
            match c {
                '"' => {
                    quoted = true;
                    text.push(c);
                    self.i += 1;
                }
                '^' => {
                    if let Some(next) = self.chars.get(self.i + 1) {
                        if *next != '\n' {
                            text.push(*next);
                        }
                        self.i += 2;
                    } else {
                        self.i += 1;
                    }
                }
                '&' | '|' => break,
                ')' if self.depth > 0 => break,
                '>' | '<' => {
                    if let Some(r) = self.redirection() {
                        output = Some(r);
                    }
                }
                d if d.is_ascii_digit()
                    && self.chars.get(self.i + 1) == Some(&'>')
                    && text.ends_with(|p: char| p.is_whitespace()) =>
                {
                    if let Some(r) = self.redirection() {
                        output = Some(r);
                    }
                }
                _ => {
                    text.push(c);
                    self.i += 1;
                }
            }
        }
        match output {
            // `> nul` discards the output: nothing is written.
            Some(r) if !unquote(&r.target).eq_ignore_ascii_case("nul") => Cmd::Output(text, r),
            _ => Cmd::Simple(text.trim_end().to_owned()),
        }
    }

    /// A token of an `if` condition: a quoted string with what sticks to it, or a word.
    fn if_token(&mut self) -> String {
        self.skip_blanks(false);
        let mut out = String::new();
        let mut quoted = false;
        while let Some(c) = self.peek() {
            if !quoted && (c.is_whitespace() || self.at("==")) {
                break;
            }
            if c == '"' {
                quoted = !quoted;
            }
            if c == '\n' {
                break;
            }
            out.push(c);
            self.i += 1;
        }
        out
    }

    fn if_command(&mut self) -> Cmd {
        self.i += 2;
        let mut negate = false;
        let mut ignore_case = false;
        loop {
            self.skip_blanks(false);
            let w = self.word_at().to_lowercase();
            if w == "/i" {
                ignore_case = true;
                self.i += 2;
            } else if w == "not" {
                negate = true;
                self.i += 3;
            } else {
                break;
            }
        }
        self.skip_blanks(false);
        let keyword = self.word_at().to_lowercase();
        let condition = match keyword.as_str() {
            "errorlevel" => {
                self.i += keyword.len();
                let n = self.if_token();
                Condition::ErrorLevel(parse_number(&n).unwrap_or(0) as i32)
            }
            "exist" => {
                self.i += keyword.len();
                Condition::Exist(self.if_token())
            }
            "defined" => {
                self.i += keyword.len();
                Condition::Defined(self.if_token())
            }
            _ => {
                let left = self.if_token();
                if left.is_empty() {
                    // `if %APP% == "" (` with APP empty: cmd reads `==` as
                    // the left operand and stops at what follows.
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.i += 1;
                    }
                    return Cmd::SyntaxError("( was unexpected at this time.".to_owned());
                }
                self.skip_blanks(false);
                let op = if self.at("==") {
                    self.i += 2;
                    CompareOp::Text
                } else {
                    let w = self.word_at().to_lowercase();
                    self.i += w.chars().count();
                    match w.as_str() {
                        "equ" => CompareOp::Equ,
                        "neq" => CompareOp::Neq,
                        "lss" => CompareOp::Lss,
                        "leq" => CompareOp::Leq,
                        "gtr" => CompareOp::Gtr,
                        "geq" => CompareOp::Geq,
                        _ => CompareOp::Text,
                    }
                };
                let right = self.if_token();
                Condition::Compare(left, op, right)
            }
        };
        self.skip_blanks(false);
        let then_is_block = self.peek() == Some('(');
        // Without a block the rest of the line (with `&`, `&&`, `||`) belongs to the `if`.
        let then = if then_is_block {
            self.command()
        } else {
            self.line_sequence()
        };
        let mut otherwise = None;
        if then_is_block {
            let save = self.i;
            self.skip_blanks(false);
            if self.word_at().eq_ignore_ascii_case("else") {
                self.i += 4;
                self.skip_blanks(false);
                otherwise = Some(Box::new(if self.peek() == Some('(') {
                    self.command()
                } else {
                    self.line_sequence()
                }));
            } else {
                self.i = save;
            }
        }
        Cmd::If {
            negate,
            ignore_case,
            condition,
            then: Box::new(then),
            otherwise,
        }
    }

    fn for_command(&mut self) -> Cmd {
        self.i += 3;
        let mut switch = String::new();
        let mut options = String::new();
        loop {
            self.skip_blanks(false);
            if self.peek() == Some('/') {
                switch = self.word_at().to_lowercase();
                self.i += switch.chars().count();
                self.skip_blanks(false);
                if switch == "/f" && self.peek() == Some('"') {
                    let start = self.i + 1;
                    self.i += 1;
                    while self.peek().is_some_and(|c| c != '"') {
                        self.i += 1;
                    }
                    options = self.text_between(start, self.i);
                    self.i += 1;
                }
            } else {
                break;
            }
        }
        self.skip_blanks(false);
        let variable: String = self.chars[self.i.min(self.chars.len())..]
            .iter()
            .take(2)
            .collect();
        self.i += 2;
        self.skip_blanks(false);
        if self.word_at().eq_ignore_ascii_case("in") {
            self.i += 2;
        }
        self.skip_blanks(false);
        let mut set = String::new();
        if self.peek() == Some('(') {
            self.i += 1;
            let mut quoted = None;
            while let Some(c) = self.peek() {
                match (quoted, c) {
                    (None, ')') => break,
                    (None, '"' | '\'' | '`') => quoted = Some(c),
                    (Some(q), c) if c == q => quoted = None,
                    _ => {}
                }
                set.push(c);
                self.i += 1;
            }
            if self.peek().is_none() {
                self.incomplete = true;
                return Cmd::Simple(String::new());
            }
            self.i += 1;
        }
        self.skip_blanks(false);
        if self.word_at().eq_ignore_ascii_case("do") {
            self.i += 2;
        }
        self.skip_blanks(false);
        let body_start = self.i;
        // The body: a block, or the rest of the line.
        let mut depth = 0usize;
        let mut quoted = false;
        while let Some(c) = self.peek() {
            match c {
                '"' => quoted = !quoted,
                '(' if !quoted => depth += 1,
                ')' if !quoted && depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        self.i += 1;
                        break;
                    }
                }
                ')' if !quoted && self.depth > 0 => break,
                '\n' if depth == 0 => break,
                _ => {}
            }
            self.i += 1;
        }
        if depth > 0 {
            self.incomplete = true;
        }
        let body: String = self.text_between(body_start, self.i);
        let usebackq = options.to_lowercase().contains("usebackq");
        let set_trimmed = set.trim();
        let source = if switch == "/f" {
            if usebackq && set_trimmed.starts_with('`') {
                ForSource::Command(set_trimmed.trim_matches('`').to_owned())
            } else if !usebackq && set_trimmed.starts_with('\'') {
                ForSource::Command(set_trimmed.trim_matches('\'').to_owned())
            } else if !usebackq && set_trimmed.starts_with('"') {
                ForSource::Text(set_trimmed.trim_matches('"').to_owned())
            } else if usebackq && set_trimmed.starts_with('\'') {
                ForSource::Text(set_trimmed.trim_matches('\'').to_owned())
            } else {
                ForSource::File(set_trimmed.trim_matches('"').to_owned())
            }
        } else {
            ForSource::Words(
                split_arguments(set_trimmed, 0, false)
                    .into_iter()
                    .map(|a| a.text)
                    .collect(),
            )
        };
        Cmd::For(ForLoop {
            variable: variable.trim_start_matches('%').to_owned(),
            source,
            split: (switch == "/f").then(|| LineSplit::parse(&options)),
            body,
        })
    }
}

/// `> file` or `>> file` of standard output.
#[derive(Debug, Clone, PartialEq)]
struct Redirect {
    /// The target as written (quotes kept; `!VAR!` expanded when it runs).
    target: String,
    append: bool,
}

impl Cmd {
    /// The message of a syntax error anywhere in the command.
    fn syntax_error(&self) -> Option<String> {
        match self {
            Cmd::SyntaxError(message) => Some(message.clone()),
            Cmd::Simple(_) | Cmd::Output(..) | Cmd::For(_) => None,
            Cmd::Block(cmds) => cmds.iter().find_map(Cmd::syntax_error),
            Cmd::Below(_, cmd) => cmd.syntax_error(),
            Cmd::Sequence(left, _, right) => left.syntax_error().or_else(|| right.syntax_error()),
            Cmd::If {
                then, otherwise, ..
            } => then
                .syntax_error()
                .or_else(|| otherwise.as_ref().and_then(|o| o.syntax_error())),
        }
    }
}

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

/// The program (first word, quotes kept) and the rest of the command text.
fn split_program(text: &str) -> (String, &str) {
    let text = text.trim_start();
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && (c == ' ' || c == '\t') {
            return (text[..i].to_owned(), &text[i + 1..]);
        }
    }
    (text.to_owned(), "")
}

/// The length of the program word `split_program` takes from `text`.
fn split_program_len(text: &str) -> usize {
    let trimmed = text.trim_start();
    text.len() - trimmed.len() + split_program(trimmed).0.len()
}

fn unquote(text: &str) -> String {
    text.trim().replace('"', "")
}

/// `text` with cmd's `^` escapes taken off outside quotes (`2^>nul` in a
/// `for /f` command is `2>nul` for the child cmd).
fn without_carets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                out.push(c);
            }
            '^' if !quoted => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// What follows the label of `call :label a "b c"`.
fn label_and_rest(rest: &str) -> &str {
    let after = rest.trim_start().trim_start_matches(':');
    let end = after
        .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '='))
        .unwrap_or(after.len());
    &after[end..]
}

/// The arguments of a `call`, as cmd hands them to `%1`...: separated by
/// blanks, `,`, `;` or `=` outside quotes, with their quotes kept.
fn call_arguments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if !quoted && (c.is_whitespace() || matches!(c, ',' | ';' | '=')) => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn parse_number(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok();
    }
    t.parse().ok()
}

fn replace_case_insensitive(value: &str, from: &str, to: &str) -> String {
    let lower = value.to_lowercase();
    let needle = from.to_lowercase();
    if lower.len() != value.len() {
        return value.replace(from, to);
    }
    let mut out = String::new();
    let mut i = 0;
    while let Some(at) = lower[i..].find(&needle) {
        out.push_str(&value[i..i + at]);
        out.push_str(to);
        i += at + needle.len();
    }
    out.push_str(&value[i..]);
    out
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

    fn simple(s: &str) -> Cmd {
        Cmd::Simple(s.to_owned())
    }

    fn parsed(text: &str) -> Cmd {
        match parse(text) {
            Parsed::Done(c) => c,
            Parsed::NeedMore => panic!("incomplete: {text}"),
        }
    }

    #[test]
    fn redirections_and_operators_split_commands() {
        assert_eq!(
            parsed(r#""C:\a b\appcmd.exe" list site "X" >nul 2>&1"#),
            simple(r#""C:\a b\appcmd.exe" list site "X""#)
        );
        assert_eq!(
            parsed("rmdir \"C:\\x\" 2>nul || echo kept"),
            Cmd::Sequence(
                Box::new(simple("rmdir \"C:\\x\"")),
                Op::Or,
                Box::new(simple("echo kept"))
            )
        );
        assert_eq!(parsed("echo a ^& b"), simple("echo a & b"));
        assert_eq!(parsed("echo \"a & b\""), simple("echo \"a & b\""));
    }

    #[test]
    fn if_takes_the_rest_of_the_line_and_else_follows_a_block() {
        let Cmd::If { then, .. } = parsed("if errorlevel 1 echo a & echo b") else {
            panic!()
        };
        assert!(matches!(*then, Cmd::Sequence(..)));
        let Cmd::If {
            otherwise,
            condition,
            ..
        } = parsed("if \"%X%\"==\"1\" (echo a) else (echo b)")
        else {
            panic!()
        };
        assert_eq!(
            condition,
            Condition::Compare("\"%X%\"".into(), CompareOp::Text, "\"1\"".into())
        );
        assert!(otherwise.is_some());
        assert!(matches!(parse("if exist x (\n echo a"), Parsed::NeedMore));
    }

    /// In a block, an `if` without parentheses takes the rest of its line
    /// only: the next line is the block's next command, on its own line.
    #[test]
    fn an_if_in_a_block_ends_with_its_line() {
        fn commands(cmd: &Cmd, out: &mut Vec<(usize, Cmd)>, line: usize) {
            match cmd {
                Cmd::Block(cmds) => cmds.iter().for_each(|c| commands(c, out, line)),
                Cmd::Below(below, inner) => commands(inner, out, *below),
                Cmd::Sequence(left, Op::Then, right) => {
                    commands(left, out, line);
                    commands(right, out, line);
                }
                other => out.push((line, other.clone())),
            }
        }
        let mut found = Vec::new();
        commands(
            &parsed("(\n  a\n  if errorlevel 1 goto x & echo y\n  b\n)"),
            &mut found,
            0,
        );
        let lines: Vec<usize> = found.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [1, 2, 3], "{found:?}");
        let (_, Cmd::If { then, .. }) = &found[1] else {
            panic!("{found:?}")
        };
        // `& echo y` is the if's; `b` is not.
        assert!(matches!(then.as_ref(), Cmd::Sequence(..)), "{then:?}");
        assert_eq!(found[2].1, simple("b"));
    }

    #[test]
    fn for_f_options_split_lines_as_cmd_does() {
        let split = |options: &str, line: &str| LineSplit::parse(options).values(line);
        let owned = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(split("", "  a b c"), owned(&["a"]));
        assert_eq!(split("tokens=1,2", "p q r"), owned(&["p", "q"]));
        assert_eq!(
            split("tokens=2* delims=,", "a,,b,c d,e"),
            owned(&["b", "c d,e"])
        );
        assert_eq!(split("tokens=3,1", "x y z"), owned(&["x", "z"]));
        assert_eq!(split("tokens=1-3", "x y"), owned(&["x", "y", ""]));
        assert_eq!(split("delims=", "  whole line "), owned(&["  whole line "]));
        assert_eq!(split("", ";comment"), None);
        assert_eq!(split("eol=#", ";kept #x"), owned(&[";kept"]));
        assert_eq!(split("delims=: tokens=2", "a:b c"), owned(&["b c"]));
        assert_eq!(LineSplit::parse("skip=2 tokens=*").skip, 2);
        assert_eq!(
            split("tokens=*", "  lead and rest"),
            owned(&["lead and rest"])
        );
    }

    #[test]
    fn for_f_with_a_backquoted_command() {
        let Cmd::For(f) = parsed("for /f \"usebackq delims=\" %T in (`powershell -Command \"Get-Date\"`) do set \"S=%T\"") else {
            panic!()
        };
        assert_eq!(
            f.source,
            ForSource::Command("powershell -Command \"Get-Date\"".into())
        );
        assert_eq!(f.variable, "T");
        assert_eq!(f.split.as_ref().unwrap().delims, Vec::<char>::new());
        assert_eq!(f.body, "set \"S=%T\"");
    }

    #[test]
    fn arithmetic() {
        assert_eq!(eval_arithmetic("1 + 2 - X", |_| Some("1".into())), Some(2));
    }
}
