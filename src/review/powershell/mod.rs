//! Windows PowerShell 5.1 for the subset of the language that IIS
//! provisioning scripts use, run against the simulated server: statements
//! and pipelines, variables and scopes, strings (single-quoted, expandable,
//! here-strings), `if`/`elseif`/`else`, `foreach`, `while`, `try`/`catch`/
//! `finally`, `throw`, functions with parameters, `$ErrorActionPreference`,
//! `$LASTEXITCODE`, `$?`, `-WhatIf`/ShouldProcess. Cmdlets are bound to their
//! parameters as PowerShell's binder does, from `schemas/iis/cmdlets.toml`
//! ([`crate::powershell::binding`]); the WebAdministration cmdlets act on the
//! server through the same operations as appcmd ([`super::operations`]);
//! native programs are recorded with the argv Windows PowerShell 5.1 passes
//! them, appcmd among them is simulated.
//!
//! Sources: the PowerShell language specification 3.0 and the about_ topics
//! of learn.microsoft.com (about_Scopes, about_Try_Catch_Finally,
//! about_Preference_Variables, about_Automatic_Variables, about_Parsing),
//! cited where they decide behaviour.
//!
//! The script is parsed with tree-sitter's PowerShell grammar (the parser
//! `check` uses) and run over its tree: [`statements`] runs statements,
//! [`expressions`] evaluates expressions and strings, [`commands`] invokes
//! functions, cmdlets and programs, [`cmdlets`] and [`webadministration`]
//! are the cmdlets, [`dotnet`] the .NET members scripts call.

mod cmdlets;
mod commands;
mod dotnet;
mod expressions;
mod statements;
pub mod value;
mod webadministration;

use std::collections::BTreeMap;
use std::ops::Range;

use tree_sitter::Node;

use super::batch::{Run, Script, Step, StepKind};
use super::server::{Entry, Knowledge, Server};
use crate::cmd::tables::WINDOWS_ENVIRONMENT;
use crate::source::Span;
use value::{Object, Value};

/// The most statements a script may run: a loop that never ends is
/// reported (OW705) instead of hanging the review.
const STEP_LIMIT: usize = 100_000;

/// The deepest the simulation nests calls and expressions: PowerShell's own
/// limit is higher, but a review must not exhaust its stack on a script
/// built to do so.
const DEPTH_LIMIT: usize = 200;

/// The longest string the simulation builds (a loop doubling a string is
/// stopped with a finding instead of taking the review's memory).
const STRING_LIMIT: usize = 1 << 20;

/// The most bytes of values the simulation may copy in one run (reading a
/// variable copies its value): a loop that doubles an array or appends big
/// strings is stopped with a finding instead of taking the review's memory
/// and time. No provisioning script comes near it.
const COPY_BUDGET: usize = 64 << 20;

/// Runs a PowerShell script against `server`.
pub fn run(script: &Script, server: &mut Server) -> Run {
    if let Some(folder) = &script.local_folder {
        server.disk.mount(&script.windows_folder, folder.clone());
    }
    let text = script.file.text.as_str();
    let mut parser = tree_sitter::Parser::new();
    let tree = parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .ok()
        .and_then(|()| parser.parse(text, None));
    let mut interpreter = Interpreter::new(script, server);
    let Some(tree) = tree else {
        interpreter.unsupported(0..0, "the script could not be parsed".to_owned());
        return interpreter.finish(0..0);
    };
    let root = tree.root_node();
    let end = match interpreter.script_body(root) {
        Ok(()) => text.len()..text.len(),
        Err(Flow::Exit(code, at)) => {
            interpreter.exit_code = code;
            at
        }
        Err(Flow::Throw(error)) => {
            // An error nothing caught ends the script; powershell.exe -File
            // exits with 1 (about_PowerShell_exe).
            interpreter.exit_code = 1;
            interpreter.last_error = Some((error.message.clone(), error.at.clone()));
            error.at
        }
        Err(Flow::Budget(at)) => at,
        Err(Flow::Return(_, at) | Flow::Break(at) | Flow::Continue(at)) => at,
    };
    interpreter.finish(end)
}

/// How control leaves a statement other than by finishing it.
#[derive(Debug, Clone)]
enum Flow<'t> {
    /// `exit N`, where.
    Exit(i32, Range<usize>),
    /// A terminating error.
    Throw(Box<ErrorRecord<'t>>),
    /// `return` with the function's output.
    Return(Vec<Value<'t>>, Range<usize>),
    Break(Range<usize>),
    Continue(Range<usize>),
    /// The step budget ran out.
    Budget(Range<usize>),
}

/// An error as PowerShell records it: its message and where it arose.
#[derive(Debug, Clone)]
pub struct ErrorRecord<'t> {
    pub message: String,
    pub at: Range<usize>,
    /// What `throw` threw (a string, an object).
    pub thrown: Value<'t>,
    /// Only the statement stops (a binding error, a .NET exception), unless
    /// `$ErrorActionPreference` is Stop or a `try` is around it.
    pub statement_only: bool,
    /// The .NET type of the exception, for typed `catch` clauses.
    pub exception: &'static str,
}

/// The exception PowerShell raises for an error, from its message (the
/// messages are the ones this module words, as PowerShell does).
fn exception_of(message: &str) -> &'static str {
    const BINDING: [&str; 7] = [
        "Cannot bind parameter",
        "A parameter cannot be found",
        "Parameter cannot be processed",
        "Missing an argument",
        "Parameter set cannot be resolved",
        "A positional parameter cannot be found",
        "Cannot process command because of one or more missing mandatory",
    ];
    if BINDING.iter().any(|b| message.starts_with(b)) {
        "System.Management.Automation.ParameterBindingException"
    } else if message.starts_with("The term '") {
        "System.Management.Automation.CommandNotFoundException"
    } else if message.starts_with("Cannot find path") {
        "System.Management.Automation.ItemNotFoundException"
    } else if message.starts_with("Could not find file") {
        "System.IO.FileNotFoundException"
    } else if message.starts_with("Could not find a part of the path") {
        "System.IO.DirectoryNotFoundException"
    } else if message.starts_with("The file '")
        || message.starts_with("The directory is not empty")
        || message.starts_with("Cannot create \"")
    {
        "System.IO.IOException"
    } else {
        "System.Management.Automation.RuntimeException"
    }
}

/// The review's name for an exception type written in full.
fn known_exception(type_name: &str) -> &'static str {
    const KNOWN: [&str; 7] = [
        "System.Management.Automation.ParameterBindingException",
        "System.Management.Automation.CommandNotFoundException",
        "System.Management.Automation.ItemNotFoundException",
        "System.IO.FileNotFoundException",
        "System.IO.DirectoryNotFoundException",
        "System.IO.IOException",
        "System.Management.Automation.RuntimeException",
    ];
    KNOWN
        .iter()
        .find(|k| k.eq_ignore_ascii_case(type_name))
        .copied()
        .unwrap_or("System.Management.Automation.RuntimeException")
}

/// The base types of the exceptions the review raises, each with its parent
/// (the .NET class hierarchy; learn.microsoft.com, API reference).
const EXCEPTION_PARENTS: [(&str, &str); 11] = [
    ("parameterbindingexception", "runtimeexception"),
    ("commandnotfoundexception", "runtimeexception"),
    ("itemnotfoundexception", "sessionstateexception"),
    ("sessionstateexception", "runtimeexception"),
    ("actionpreferencestopexception", "runtimeexception"),
    ("runtimeexception", "systemexception"),
    ("filenotfoundexception", "ioexception"),
    ("directorynotfoundexception", "ioexception"),
    ("ioexception", "systemexception"),
    ("systemexception", "exception"),
    ("exception", ""),
];

/// Whether a `catch [written]` takes an exception of type `raised`; `None`
/// when the review does not know the written type.
pub(super) fn catches(raised: &str, written: &str) -> Option<bool> {
    let short = |t: &str| t.rsplit('.').next().unwrap_or(t).to_ascii_lowercase();
    let wanted = short(written);
    if !EXCEPTION_PARENTS.iter().any(|(t, _)| *t == wanted) {
        return None;
    }
    let mut current = short(raised);
    for _ in 0..EXCEPTION_PARENTS.len() {
        if current == wanted {
            return Some(true);
        }
        match EXCEPTION_PARENTS.iter().find(|(t, _)| *t == current) {
            Some((_, parent)) if !parent.is_empty() => current = (*parent).to_owned(),
            _ => return Some(false),
        }
    }
    Some(false)
}

type Eval<'t, T> = Result<T, Flow<'t>>;

/// A variable scope: the script's, then one per function call.
#[derive(Debug, Default)]
struct Scope<'t> {
    variables: BTreeMap<String, Value<'t>>,
}

struct Interpreter<'t, 's> {
    script: &'s Script,
    text: &'t str,
    server: &'s mut Server,
    scopes: Vec<Scope<'t>>,
    /// Functions by lower-case name.
    functions: BTreeMap<String, Node<'t>>,
    /// Environment variables by upper-case name: (name as written, value).
    env: BTreeMap<String, (String, String)>,
    steps: Vec<Step>,
    unsupported: Vec<(Span, String)>,
    assumed: BTreeMap<String, (Span, String)>,
    executed: usize,
    depth: usize,
    /// `try` blocks around the statement running.
    try_depth: usize,
    /// `-WhatIf` was given to the script.
    what_if: bool,
    exit_code: i32,
    /// The error that ended the run, in words.
    message: Option<String>,
    /// The last error raised (caught or not), for the run's message, and where.
    last_error: Option<(String, Range<usize>)>,
    /// A step that failed and whose failure nobody has looked at yet.
    unexamined_failure: Option<usize>,
    cwd: String,
    /// Push-Location's stack.
    locations: Vec<String>,
    /// Bytes of values copied so far (see [`COPY_BUDGET`]).
    copied: usize,
}

impl<'t, 's> Interpreter<'t, 's> {
    fn new(script: &'s Script, server: &'s mut Server) -> Interpreter<'t, 's>
    where
        's: 't,
    {
        let mut env = BTreeMap::new();
        for (name, value) in WINDOWS_ENVIRONMENT {
            env.insert(
                name.to_uppercase(),
                ((*name).to_owned(), (*value).to_owned()),
            );
        }
        let folder = script.windows_folder.trim_end_matches('\\').to_owned();
        let mut interpreter = Interpreter {
            script,
            text: script.file.text.as_str(),
            server,
            scopes: vec![Scope::default()],
            functions: BTreeMap::new(),
            env,
            steps: Vec::new(),
            unsupported: Vec::new(),
            assumed: BTreeMap::new(),
            executed: 0,
            depth: 0,
            try_depth: 0,
            what_if: false,
            exit_code: 0,
            message: None,
            last_error: None,
            unexamined_failure: None,
            cwd: folder.clone(),
            locations: Vec::new(),
            copied: 0,
        };
        let automatic: Vec<(&str, Value)> = vec![
            ("true", Value::Bool(true)),
            ("false", Value::Bool(false)),
            ("null", Value::Null),
            ("ErrorActionPreference", Value::str("Continue")),
            ("WhatIfPreference", Value::Bool(false)),
            ("ConfirmPreference", Value::str("High")),
            ("PSScriptRoot", Value::str(folder.clone())),
            (
                "PSCommandPath",
                Value::str(format!("{}{}", script.windows_folder, script.file_name)),
            ),
            ("LASTEXITCODE", Value::Int(0)),
            ("?", Value::Bool(true)),
            (
                "PSVersionTable",
                Value::Object(Object::new(
                    "System.Collections.Hashtable",
                    vec![
                        ("PSEdition".to_owned(), Value::str("Desktop")),
                        (
                            "PSVersion".to_owned(),
                            Value::Object(
                                Object::new(
                                    "System.Version",
                                    vec![
                                        ("Major".to_owned(), Value::Int(5)),
                                        ("Minor".to_owned(), Value::Int(1)),
                                        ("Build".to_owned(), Value::Int(17763)),
                                        ("Revision".to_owned(), Value::Int(1)),
                                    ],
                                )
                                .shown_as("5.1.17763.1"),
                            ),
                        ),
                    ],
                )),
            ),
            (
                "Host",
                Value::Object(Object::new(
                    "System.Management.Automation.Internal.Host.InternalHost",
                    vec![("Name".to_owned(), Value::str("ConsoleHost"))],
                )),
            ),
            (
                "PSCmdlet",
                Value::Object(Object::new("PSScriptCmdlet", Vec::new())),
            ),
        ];
        for (name, value) in automatic {
            interpreter.scopes[0]
                .variables
                .insert(name.to_lowercase(), value);
        }
        interpreter
    }

    fn finish(self, end: Range<usize>) -> Run {
        let (message, message_at) = match (self.message, self.exit_code, self.last_error) {
            (Some(m), _, _) => (Some(m), None),
            (None, 0, _) | (None, _, None) => (None, None),
            (None, _, Some((m, at))) => (Some(m), Some(Span::new(&self.script.file, at))),
        };
        Run {
            script: self.script.file.name.clone(),
            steps: self.steps,
            exit_code: self.exit_code,
            end: Span::new(&self.script.file, end),
            last_label: None,
            message,
            message_at,
            unsupported: self.unsupported,
            assumed_paths: self.assumed.into_values().collect(),
        }
    }

    fn span(&self, at: Range<usize>) -> Span {
        Span::new(&self.script.file, at)
    }

    fn source(&self, node: Node) -> &'t str {
        &self.text[node.byte_range()]
    }

    fn unsupported(&mut self, at: Range<usize>, what: String) {
        let span = self.span(at);
        if !self
            .unsupported
            .iter()
            .any(|(s, w)| s.display() == span.display() && *w == what)
        {
            self.unsupported.push((span, what));
        }
    }

    // ------------------------------------------------------------ variables

    /// A variable's value: `$env:X`, `$script:X`, `$global:X` or a plain
    /// name looked up from the innermost scope out (about_Scopes).
    fn variable(&mut self, name: &str) -> Value<'t> {
        let (scope, bare) = split_scope(name);
        match scope.as_deref() {
            Some("env") => {
                return self
                    .env
                    .get(&bare.to_uppercase())
                    .map_or(Value::Null, |(_, v)| Value::str(v.clone()))
            }
            Some("script" | "global") => {
                return self.scopes[0]
                    .variables
                    .get(&bare.to_lowercase())
                    .cloned()
                    .unwrap_or(Value::Null)
            }
            _ => {}
        }
        let key = bare.to_lowercase();
        if key == "lastexitcode" || key == "?" {
            // The script looked at the outcome of what ran before.
            self.unexamined_failure = None;
        }
        let value = self
            .scopes
            .iter()
            .rev()
            .find_map(|s| s.variables.get(&key))
            .cloned()
            .unwrap_or(Value::Null);
        self.copied = self.copied.saturating_add(value.size());
        value
    }

    fn set_variable(&mut self, name: &str, value: Value<'t>) {
        let (scope, bare) = split_scope(name);
        match scope.as_deref() {
            Some("env") => {
                let text = value.text();
                if text.is_empty() {
                    self.env.remove(&bare.to_uppercase());
                } else {
                    self.env
                        .insert(bare.to_uppercase(), (bare.to_owned(), text));
                }
            }
            Some("script" | "global") => {
                self.scopes[0].variables.insert(bare.to_lowercase(), value);
            }
            _ => {
                let scope = self
                    .scopes
                    .last_mut()
                    .expect("the script scope is never popped");
                scope.variables.insert(bare.to_lowercase(), value);
            }
        }
    }

    fn error_action(&mut self) -> String {
        self.variable("ErrorActionPreference").text()
    }

    fn set_succeeded(&mut self, ok: bool) {
        self.scopes[0]
            .variables
            .insert("?".to_owned(), Value::Bool(ok));
    }

    // ------------------------------------------------------------ errors

    /// A terminating error (`throw`, an exception of a .NET method).
    fn throw(&mut self, message: String, at: Range<usize>, thrown: Value<'t>) -> Flow<'t> {
        self.last_error = Some((message.clone(), at.clone()));
        let exception = match &thrown {
            // `throw $_` in a catch throws the error again, with its type.
            Value::Object(o) => match o.get("Exception") {
                Some(Value::Object(e)) => known_exception(&e.type_name),
                _ => "System.Management.Automation.RuntimeException",
            },
            // `throw "text"` is a RuntimeException.
            _ => "System.Management.Automation.RuntimeException",
        };
        Flow::Throw(Box::new(ErrorRecord {
            exception,
            message,
            at,
            thrown,
            statement_only: false,
        }))
    }

    /// An error that stops the statement (a binding error, a command not
    /// found, a .NET method's exception): the script goes on with the next
    /// one unless `$ErrorActionPreference` is Stop or a `try` catches it.
    fn statement_error(&mut self, message: String, at: Range<usize>) -> Flow<'t> {
        self.last_error = Some((message.clone(), at.clone()));
        Flow::Throw(Box::new(ErrorRecord {
            exception: exception_of(&message),
            thrown: Value::str(message.clone()),
            message,
            at,
            statement_only: true,
        }))
    }

    /// A cmdlet's non-terminating error, under its `-ErrorAction` or the
    /// preference (about_Preference_Variables): Stop makes it terminating.
    fn write_error(
        &mut self,
        message: String,
        at: Range<usize>,
        action: Option<&str>,
    ) -> Eval<'t, ()> {
        self.set_succeeded(false);
        let action = action.map_or_else(
            || self.error_action(),
            |a| commands::error_action_name(&Value::str(a)),
        );
        if action.eq_ignore_ascii_case("stop") {
            // The error keeps its own exception type (Get-Item of a missing
            // path stops with ItemNotFoundException).
            self.last_error = Some((message.clone(), at.clone()));
            return Err(Flow::Throw(Box::new(ErrorRecord {
                exception: exception_of(&message),
                thrown: Value::str(message.clone()),
                message,
                at,
                statement_only: false,
            })));
        }
        if !action.eq_ignore_ascii_case("silentlycontinue")
            && !action.eq_ignore_ascii_case("ignore")
        {
            self.last_error = Some((message, at));
        }
        Ok(())
    }

    /// Counts a statement against the budget.
    fn tick(&mut self, at: Range<usize>) -> Eval<'t, ()> {
        if self.copied > COPY_BUDGET {
            self.unsupported(
                at.clone(),
                format!("the script's values grew past {} MiB (a loop that doubles an array or a string?); the review stops here", COPY_BUDGET >> 20),
            );
            return Err(Flow::Budget(at));
        }
        self.executed += 1;
        if self.executed > STEP_LIMIT {
            self.unsupported(
                at.clone(),
                format!("the script ran more than {STEP_LIMIT} statements (a loop that does not end?); the review stops here"),
            );
            return Err(Flow::Budget(at));
        }
        Ok(())
    }

    /// Enters a nested call or expression; `false` past the depth limit.
    fn enter(&mut self, at: Range<usize>) -> Eval<'t, ()> {
        self.depth += 1;
        if self.depth > DEPTH_LIMIT {
            self.depth -= 1;
            self.unsupported(
                at.clone(),
                format!("the script nests calls or expressions more than {DEPTH_LIMIT} deep; the review stops here"),
            );
            return Err(Flow::Budget(at));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ------------------------------------------------------------ steps

    fn record(
        &mut self,
        at: Range<usize>,
        kind: StepKind,
        program: &str,
        arguments: Vec<String>,
    ) -> usize {
        if let Some(i) = self.unexamined_failure.take() {
            self.steps[i].failure_ignored = true;
        }
        let command = self.text[at.clone()].trim_end();
        self.steps
            .push(Step::new(self.span(at), kind, command, program, arguments));
        self.steps.len() - 1
    }

    /// A step's failure, as a cmdlet's non-terminating error under its
    /// `-ErrorAction` (or, with `action` `None`, an exception that stops
    /// the statement, as a .NET method's does).
    fn fail_step(
        &mut self,
        index: usize,
        message: String,
        at: Range<usize>,
        action: Option<Option<String>>,
    ) -> Eval<'t, ()> {
        self.steps[index].exit_code = 1;
        self.steps[index].output = message.clone();
        match action {
            Some(action) => self.write_error(message, at, action.as_deref()),
            None => Err(self.statement_error(message, at)),
        }
    }

    /// Counts a command; `true` when the server was told to fail it.
    fn injected_failure(&mut self) -> bool {
        let n = self.server.commands_counted;
        self.server.commands_counted += 1;
        self.server.fail_command == Some(n)
    }

    /// What is at a Windows path, noting a path assumed to exist.
    fn lookup(&mut self, path: &str, at: Range<usize>) -> Entry {
        let full = self.absolute(path);
        let (entry, knowledge) = self.server.disk.get(&full);
        if knowledge == Knowledge::Assumed {
            let key = super::server::path_key(&full);
            let span = self.span(at);
            self.assumed.entry(key).or_insert((span, full));
        }
        entry
    }

    /// A path made absolute from the current location (`.\x`, `x`), which
    /// may be on the IIS: drive (`Push-Location IIS:\AppPools`).
    fn absolute(&self, path: &str) -> String {
        let path = path.replace('/', "\\");
        let drive = path
            .split_once(':')
            .is_some_and(|(d, _)| !d.is_empty() && d.chars().all(|c| c.is_ascii_alphabetic()));
        if path.starts_with("\\\\") || drive {
            return path;
        }
        if path.is_empty() {
            return path;
        }
        if let Some(rest) = path.strip_prefix('\\') {
            let drive = self.cwd.get(..2).unwrap_or("C:");
            return format!("{drive}\\{rest}");
        }
        let rest = path.strip_prefix(".\\").unwrap_or(&path);
        format!("{}\\{rest}", self.cwd.trim_end_matches('\\'))
    }
}

/// `$script:X` → (`script`, `X`); `$X` → (None, `X`). Drive-qualified
/// names other than the scopes and `env` are not variables the simulation
/// knows: they keep their prefix.
fn split_scope(name: &str) -> (Option<String>, &str) {
    match name.split_once(':') {
        Some((scope, rest))
            if ["env", "script", "global", "local", "private"]
                .iter()
                .any(|s| s.eq_ignore_ascii_case(scope)) =>
        {
            let scope = scope.to_ascii_lowercase();
            if scope == "local" || scope == "private" {
                (None, rest)
            } else {
                (Some(scope), rest)
            }
        }
        _ => (None, name),
    }
}
