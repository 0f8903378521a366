//! Checks cmd.exe batch files (`.cmd`, `.bat`) and the appcmd commands in
//! them (cmd's parser: stackoverflow.com/questions/4094699; appcmd: "Getting Started with
//! AppCmd.exe" on learn.microsoft.com).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

use crate::cmd::lines::{is_eof, label_defined, label_wanted};
use crate::cmd::percent::{self, Piece};
use crate::cmd::syntax::{self, Command, Condition, If, Operator, Redirection, Simple};
use crate::cmd::tables::{
    builtin_named, is_echo_word, is_predefined, is_rem_word, Failure, DYNAMIC_VARIABLES,
    SEARCH_VARIABLES,
};
use crate::cmd::words::{self, jump_word, Assignment};
use crate::diagnostic::{Code, Diagnostic};
use crate::iis::appcmd::{self, Invocation};
use crate::iis::schema::{OverrideMode, Schema};
use crate::source::{SourceFile, Span};

/// A batch command the script runs, for the cross-file checks.
#[derive(Debug, Clone)]
pub struct ScriptCommand {
    pub invocation: Option<Invocation>,
    /// Arguments after the program (for non-appcmd commands such as `copy`).
    pub program: String,
    pub arguments: Vec<appcmd::Argument>,
    pub span: Span,
}

/// The sections a script unlocks with `appcmd unlock config PATH -section:NAME`.
pub fn unlocks(commands: &[ScriptCommand], schema: &Schema) -> super::facts::ServerFacts {
    let mut facts = super::facts::ServerFacts::default();
    for c in commands {
        let Some(inv) = &c.invocation else { continue };
        let verb = inv.verb.text.to_ascii_lowercase();
        if !matches!(verb.as_str(), "unlock" | "lock")
            || !inv
                .object
                .as_ref()
                .is_some_and(|o| o.text.eq_ignore_ascii_case("config"))
        {
            continue;
        }
        let Some(section) = inv.parameter("section").and_then(|p| p.value.clone()) else {
            continue;
        };
        let Some(section) = schema
            .section(&section)
            .or_else(|| schema.by_short_name(&section))
        else {
            continue;
        };
        let mode = if verb == "unlock" {
            OverrideMode::Allow
        } else {
            OverrideMode::Deny
        };
        let path = inv
            .identifier
            .as_ref()
            .map(|i| i.text.trim_end_matches('/').to_owned())
            .unwrap_or_default();
        facts.unlocks.push((
            path,
            section.name.to_ascii_lowercase(),
            mode,
            c.span.clone(),
        ));
    }
    facts
}

/// Everything the check of one batch file produced.
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    pub commands: Vec<ScriptCommand>,
}

/// The longest text `resolve` builds from the values of a script's
/// variables (a value that refers to itself many times would otherwise
/// grow without bound): cmd.exe's own line limit.
const RESOLVED_LIMIT: usize = 8191;

/// How many `for` loops inside each other `check` reads the bodies of.
/// Each body is read from the text again, so the bound keeps a hostile
/// line of nested loops linear; real scripts nest two or three.
const MAX_FOR_NESTING: usize = 8;

/// What the commands of one logical line changed so far (OW414).
#[derive(Default)]
struct Staleness {
    /// Variable (lower case) → the command that changed it.
    changed: BTreeMap<String, String>,
    /// References already reported (a `for` body is walked twice).
    reported: BTreeSet<usize>,
}

/// What ends the lines of a batch file, as far as the checks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endings {
    /// CR only: cmd.exe reads the file as one line.
    CrOnly,
    Other,
}

/// Checks a batch file. `bom` names the byte-order mark the file had, if any.
/// `text` with each line continuation blanked: a line that ends with an
/// unescaped `^` outside quotes goes on on the next line, as cmd.exe reads
/// it (the caret escapes the line break). The caret and the line break
/// become spaces, so every byte offset stays that of the file.
fn continued_lines_joined(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let mut line_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\n' {
            i += 1;
            continue;
        }
        let end = if i > line_start && bytes[i - 1] == b'\r' {
            i - 1
        } else {
            i
        };
        let line = &bytes[line_start..end];
        let carets = line.iter().rev().take_while(|b| **b == b'^').count();
        let quotes = line.iter().filter(|b| **b == b'"').count();
        if carets % 2 == 1 && quotes % 2 == 0 {
            for b in &mut bytes[end - 1..=i] {
                *b = b' ';
            }
        }
        line_start = i + 1;
        i += 1;
    }
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
}

pub fn check(file: &Arc<SourceFile>, bom: Option<&str>, schema: &Schema) -> Checked {
    let mut c = BatchChecker {
        file,
        schema,
        out: Vec::new(),
        commands: Vec::new(),
        variables: BTreeMap::new(),
        labels: BTreeSet::new(),
        pending: None,
        setlocal: false,
        in_setlocal: false,
        set_empty: BTreeSet::new(),
        for_depth: 0,
        text: continued_lines_joined(&file.text).into(),
    };
    c.encoding(bom);
    let text = c.text.clone();
    let mut parsed = None;
    let endings = c.line_endings(|| {
        let logical = logical_lines(&text);
        let jumps = jumps_to_labels(&text, &logical);
        parsed = Some(logical);
        jumps
    });
    if endings == Endings::CrOnly {
        // cmd.exe reads the whole file as one line: every other finding
        // would be about that one line and hide the cause.
        return Checked {
            diagnostics: c.out,
            commands: c.commands,
        };
    }
    let logical = parsed.unwrap_or_else(|| logical_lines(&text));
    c.collect_labels_and_variables(&logical);
    c.lexical();
    for command in &logical {
        c.command(command, None);
        c.stale_expansions(command);
    }
    if let Some((span, name)) = c.pending.take() {
        c.unchecked(span, &name);
    }
    Checked {
        diagnostics: c.out,
        commands: c.commands,
    }
}

struct BatchChecker<'a> {
    file: &'a Arc<SourceFile>,
    schema: &'a Schema,
    out: Vec<Diagnostic>,
    commands: Vec<ScriptCommand>,
    /// Variables the script sets, with the last literal value.
    variables: BTreeMap<String, String>,
    labels: BTreeSet<String>,
    /// The last command whose failure is not yet checked.
    pending: Option<(Span, String)>,
    setlocal: bool,
    /// A `setlocal` command was seen (not only OW406 reported): changes to
    /// PATH and PATHEXT after it end with the script.
    in_setlocal: bool,
    /// How many `for` bodies the lint is inside.
    for_depth: usize,
    /// Variables the script sets to nothing somewhere (`set NAME=`).
    set_empty: BTreeSet<String>,
    /// The file as cmd.exe reads its lines: a line ending with `^` goes on
    /// on the next one (the caret and the line break are blanked here,
    /// keeping every byte offset of the file).
    text: std::rc::Rc<str>,
}

impl BatchChecker<'_> {
    fn span(&self, range: Range<usize>) -> Span {
        Span::new(self.file, range)
    }

    fn line_ranges(&self) -> Vec<Range<usize>> {
        let text = &self.text;
        let mut ranges = Vec::new();
        let mut start = 0;
        for (i, _) in text.match_indices('\n') {
            let end = if i > start && text.as_bytes()[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            ranges.push(start..end);
            start = i + 1;
        }
        if start < text.len() {
            ranges.push(start..text.len());
        }
        ranges
    }

    fn encoding(&mut self, bom: Option<&str>) {
        if let Some(bom) = bom {
            self.out.push(
                Diagnostic::new(Code::BatchEncoding, format!("the file starts with a {bom} byte-order mark"))
                    .at(Some(&self.span(0..0)))
                    .help("save the file as ASCII (ANSI) without BOM")
                    .note("cmd.exe reads the BOM as part of the first command (\"'ï»¿@echo' is not recognized\")"),
            );
        }
        let text = &self.file.text;
        let mut reported = 0;
        for range in self.line_ranges() {
            if let Some((i, c)) = text[range.clone()]
                .char_indices()
                .find(|(_, c)| !c.is_ascii())
            {
                let at = range.start + i;
                reported += 1;
                if reported > 5 {
                    break;
                }
                let mut d = Diagnostic::new(Code::BatchEncoding, format!("non-ASCII character `{c}` (U+{:04X})", c as u32))
                    .at(Some(&self.span(at..at + c.len_utf8())))
                    .help("cmd.exe decodes batch files with the console code page: keep them ASCII, or use PowerShell (UTF-8 with BOM) for non-ASCII paths");
                // In a comment or a message the character is only shown
                // wrong; in a command it changes a path or a name.
                let line = &text[range.clone()];
                let lower = line.trim_start().to_ascii_lowercase();
                // The echoed text ends at the first `&`, `|`, `<` or `>`
                // outside quotes: after it, a path or command follows.
                let echo_text_end = {
                    let mut quoted = false;
                    line.char_indices()
                        .find(|&(_, c)| {
                            if c == '"' {
                                quoted = !quoted;
                            }
                            !quoted && matches!(c, '&' | '|' | '<' | '>')
                        })
                        .map_or(line.len(), |(j, _)| j)
                };
                let words_only = lower.starts_with("::")
                    || is_rem(&lower)
                    || first_word(lower.trim_start_matches('@')).starts_with("echo")
                        && i < echo_text_end;
                if words_only {
                    d.severity = crate::diagnostic::Severity::Warning;
                    d = d.note("on a comment or echo line it is only printed wrong, in the console code page");
                }
                self.out.push(d);
            }
        }
    }

    /// OW401. `jumps` says whether the script jumps to a label (it parses
    /// the file, which a CR-only file does not need).
    fn line_endings(&mut self, jumps: impl FnOnce() -> bool) -> Endings {
        let text = &self.file.text;
        if !text.contains('\n') && text.trim_end_matches('\r').contains('\r') {
            let first = text.find('\r').unwrap_or(0);
            self.out.push(
                Diagnostic::new(Code::BatchLineEndings, "the lines end with CR only")
                    .at(Some(&self.span(first..first + 1)))
                    .label("CR without LF")
                    .help("save the file with Windows (CRLF) line endings")
                    .note("cmd.exe ends a line at LF only: it reads this whole file as one command line")
                    .note("no other rule is checked until then: each finding would be about that one line"),
            );
            return Endings::CrOnly;
        }
        // A CR without LF inside a CRLF file: cmd.exe removes every CR from a
        // line it read (phase 1.5 of stackoverflow.com/questions/4094699), so
        // the text after it joins this line.
        let lone_cr: Vec<usize> = text
            .match_indices('\r')
            .map(|(i, _)| i)
            .filter(|&i| text.as_bytes().get(i + 1).is_some_and(|&b| b != b'\n'))
            .collect();
        if let Some(&first) = lone_cr.first() {
            self.out.push(
                Diagnostic::new(
                    Code::BatchLineEndings,
                    format!("{} line(s) end with CR only", lone_cr.len()),
                )
                .at(Some(&self.span(first..first + 1)))
                .label("CR without LF")
                .note("cmd.exe ends a line at LF and removes the CR: the next line joins this one, so two commands run as one")
                .help("save the file with Windows (CRLF) line endings throughout"),
            );
        }
        let bare: Vec<usize> = text
            .match_indices('\n')
            .map(|(i, _)| i)
            .filter(|&i| i == 0 || text.as_bytes()[i - 1] != b'\r')
            .collect();
        let Some(&first) = bare.first() else {
            return Endings::Other;
        };
        let diagnostic = Diagnostic::new(
            Code::BatchLineEndings,
            format!("{} line(s) end with LF only", bare.len()),
        )
        .at(Some(&self.span(first..first + 1)))
        .label("LF without CR")
        .help("save the file with Windows (CRLF) line endings, e.g. `unix2dos install.cmd`");
        // The trouble is in the label search of `goto` and `call :label`
        // (cmd reads the file in 512-byte blocks and loses its place where
        // lines end with LF only); a script that never jumps runs as written.
        let diagnostic = if jumps() {
            diagnostic.note("cmd.exe reads batch files in 512-byte blocks; with LF-only lines `goto` and `call :label` miss labels")
        } else {
            let mut d = diagnostic.note(
                "this script jumps to no label, where LF-only lines are harmless today; a `goto` or `call :label` added later would miss its label",
            );
            d.severity = crate::diagnostic::Severity::Warning;
            d
        };
        self.out.push(diagnostic);
        Endings::Other
    }

    fn collect_labels_and_variables(&mut self, logical: &[Command]) {
        for range in self.line_ranges() {
            if let Some(label) = label_defined(&self.text[range]) {
                self.labels.insert(label.to_ascii_lowercase());
            }
        }
        // Every `set NAME=` the script runs, also inside `if` and `for`
        // (a commented-out `::set X=` or `rem set X=` sets nothing).
        let text = self.text.clone();
        for command in logical {
            each_simple(&text, command, &mut |simple| {
                let body = &text[simple.range.clone()];
                if first_word(&body.to_ascii_lowercase()) != "set" {
                    return;
                }
                if let Some((name, value)) = assignment(body.get(3..).unwrap_or("")) {
                    if value.is_empty() {
                        self.set_empty.insert(name.to_ascii_lowercase());
                    }
                    self.variables.insert(name.to_ascii_lowercase(), value);
                }
            });
        }
    }

    /// The checks of what cmd reads before it parses: quotes and percent
    /// signs, line by line (comments and labels are not read further).
    fn lexical(&mut self) {
        for range in self.line_ranges() {
            let line = &self.text[range.clone()];
            let trimmed = line.trim_start();
            let lead = range.start + (line.len() - trimmed.len());
            let lower = trimmed.to_ascii_lowercase();
            if trimmed.is_empty() || trimmed.starts_with(':') || is_rem(&lower) {
                continue;
            }
            self.quotes(lead..range.end);
            self.percents(lead..range.end);
        }
    }

    fn quotes(&mut self, range: Range<usize>) {
        let line = &self.text[range.clone()];
        let count = line.matches('"').count() - line.matches("^\"").count();
        if count % 2 == 1 {
            let last = range.start + line.rfind('"').unwrap_or(0);
            self.out.push(
                Diagnostic::new(Code::BatchQuotes, "this line has an odd number of double quotes")
                    .at(Some(&self.span(last..last + 1)))
                    .label("unmatched quote")
                    .help("close the quoted argument; `&`, `|`, `>` after an unmatched quote are read as text, not as operators"),
            );
        }
    }

    fn percents(&mut self, range: Range<usize>) {
        let line = self.text[range.clone()].to_owned();
        for (at, piece) in percent::pieces(&line) {
            let at = range.start + at.start..range.start + at.end;
            match piece {
                Piece::Lone => self.out.push(
                    Diagnostic::new(
                        Code::BatchPercent,
                        "cmd.exe drops this lone `%` in a batch file",
                    )
                    .at(Some(&self.span(at.start..at.start + 1)))
                    .help("write `%%` for a literal percent sign"),
                ),
                Piece::Variable { name, .. } if name.contains(' ') || name.is_empty() => {
                    let reference = &self.text[at.start + 1..at.end - 1];
                    self.out.push(
                        Diagnostic::new(Code::BatchPercent, format!("cmd.exe reads `%{reference}%` as a variable and replaces it with nothing"))
                            .at(Some(&self.span(at)))
                            .help("write `%%` for each literal percent sign"),
                    );
                }
                Piece::Variable { name, .. }
                    if !self.variables.contains_key(&name.to_ascii_lowercase())
                        && !is_predefined(name) =>
                {
                    self.out.push(
                        Diagnostic::new(Code::BatchPercent, format!("`%{name}%` is never set by this script and expands to nothing unless the environment defines it"))
                            .at(Some(&self.span(at)))
                            .help(format!("set it first (set \"{name}=...\"), or write `%%` if the percent signs are literal")),
                    );
                }
                _ => {}
            }
        }
    }

    fn unchecked(&mut self, span: Span, name: &str) {
        let file_test = builtin_named(name).is_some_and(|b| b.failure == Failure::FileTest);
        let help = if file_test {
            "test the result on the next line: `if exist FILE goto :failed` after `del`, `if exist SOURCE goto :failed` after `move` (del leaves ERRORLEVEL at 0 even when it fails)"
        } else {
            "check it on the next line: `if errorlevel 1 goto :failed` (or append `|| goto :failed`)"
        };
        self.out.push(
            Diagnostic::new(
                Code::BatchUncheckedCommand,
                format!("the script goes on when `{name}` fails"),
            )
            .at(Some(&span))
            .label("exit code not checked")
            .help(help),
        );
    }

    /// Lints a command of the tree; `followed_by` is the operator after it.
    fn command(&mut self, command: &Command, followed_by: Option<Operator>) {
        match command {
            Command::Simple(simple) => self.simple(simple, followed_by),
            Command::Block(block) => {
                // The operator after `)` follows the block's last command.
                let last = block.commands.len().saturating_sub(1);
                for (i, c) in block.commands.iter().enumerate() {
                    self.command(c, if i == last { followed_by } else { None });
                }
            }
            Command::Sequence(left, op, right) => {
                self.command(left, Some(*op));
                self.command(right, followed_by);
            }
            Command::If(i) => self.if_command(i, followed_by),
            Command::For(f) => {
                // The body runs once per item: it is linted as written.
                let Some(body) = self.for_body(f) else {
                    return;
                };
                self.for_depth += 1;
                self.command(&body, followed_by);
                self.for_depth -= 1;
            }
            Command::SyntaxError(_) => {}
        }
    }

    /// A `for` loop's body, parsed from the file; `None` past
    /// [`MAX_FOR_NESTING`] loops deep.
    fn for_body(&self, f: &syntax::For) -> Option<Command> {
        (self.for_depth < MAX_FOR_NESTING)
            .then(|| syntax::parse(&self.text[..f.body_range.end], f.body_range.start).command)
    }

    fn if_command(&mut self, i: &If, followed_by: Option<Operator>) {
        self.empty_operands(i);
        let reads_exit_code = match &i.condition {
            Condition::ErrorLevel(_) => true,
            Condition::Compare(left, _, right) => [left, right]
                .iter()
                .any(|o| o.text.to_ascii_lowercase().contains("errorlevel")),
            _ => false,
        };
        // A file command is checked by testing the file: `del` clears
        // ERRORLEVEL even when it fails (measured on Windows 10,
        // stackoverflow.com/a/34968021).
        let tests_file = matches!(i.condition, Condition::Exist(_))
            && self.pending.as_ref().is_some_and(|(_, name)| {
                builtin_named(name).is_some_and(|b| b.failure == Failure::FileTest)
            });
        if reads_exit_code || tests_file {
            self.pending = None;
        }
        self.command(&i.then, followed_by);
        if let Some(otherwise) = &i.otherwise {
            self.command(otherwise, followed_by);
        }
    }

    fn simple(&mut self, simple: &Simple, followed_by: Option<Operator>) {
        let range = simple.range.clone();
        if range.is_empty() {
            return;
        }
        let text = self.text.clone();
        let body = &text[range.clone()];
        let lower = body.to_ascii_lowercase();
        // The command word as cmd runs it: after any redirection written
        // before it (`>>"%LOG%" echo x`).
        let mut word = first_word(&simple.text.trim_start().to_ascii_lowercase());
        if let Some((jump, _)) = jump_word(&word) {
            word = jump.to_owned();
        }
        // A new command: an unchecked one before it is reported.
        let transparent = is_echo_word(&word)
            || is_rem_word(&word)
            || matches!(word.as_str(), "setlocal" | "endlocal" | "title");
        if !transparent {
            if let Some((span, name)) = self.pending.take() {
                let checks = word == "exit"
                    && (lower.contains("errorlevel")
                        || lower.trim_end() == "exit /b"
                        || lower.trim_end() == "exit");
                let captures = word == "set" && lower.contains("%errorlevel%");
                if !checks && !captures {
                    self.unchecked(span, &name);
                }
            }
        }
        match word.as_str() {
            "set" => self.set_command(range),
            "setlocal" => {
                self.setlocal = true;
                self.in_setlocal = true;
            }
            "endlocal" => self.in_setlocal = false,
            "goto" => self.goto(range, body.get(4..).unwrap_or("")),
            "call" => {
                let rest = body.get(4..).unwrap_or("").trim_start();
                let offset = range.start + (body.len() - rest.len());
                if rest.starts_with(':') {
                    self.goto(offset..range.end, rest);
                } else {
                    self.program(offset..range.end, &simple.redirections, followed_by);
                }
            }
            w if builtin_named(w).is_some_and(|b| b.failure == Failure::Never) => {}
            _ => self.program(range, &simple.redirections, followed_by),
        }
    }

    /// OW409: `if %APP% == "" (` is a syntax error when APP is empty (cmd
    /// then reads `if == "" (` and stops the script: "( was unexpected at
    /// this time"), and a script cannot tell that a variable is set. Quoting
    /// both sides keeps an operand however empty.
    fn empty_operands(&mut self, i: &If) {
        let Condition::Compare(left, _, right) = &i.condition else {
            return;
        };
        for operand in [left, right] {
            let text = operand.text.trim();
            // cmd's own variables and those Windows defines are never empty.
            let name = text.trim_matches(['%', '!']).to_ascii_lowercase();
            // The script's own variables are set when it sets them only to
            // non-empty literal values (`set RETRY=0` before a retry loop;
            // `set "SITE=%~1"` may well be empty).
            let set_here = self
                .variables
                .get(&name)
                .is_some_and(|v| !v.is_empty() && !v.contains(['%', '!']))
                && !self.set_empty.contains(&name);
            let always_set = is_predefined(&name) || set_here;
            if is_bare_variable(text) && !always_set {
                self.out.push(
                    Diagnostic::new(Code::BatchEmptyOperand, format!("`if` compares `{text}` without quotes"))
                        .at(Some(&self.span(operand.range.clone())))
                        .label("empty, this operand disappears")
                        .help(format!("quote both sides: `if \"{text}\"==\"...\"`"))
                        .note("when the variable is empty or unset, cmd.exe stops the script with a syntax error (\"( was unexpected at this time\")"),
                );
            }
        }
    }

    /// OW414: cmd.exe expands `%VAR%` once for a whole logical line (a
    /// `( )` block, an `if` or a `for` with its body, commands joined by
    /// `&`, `&&`, `||`) when it reads it, before any command of it runs
    /// (phase 1 of stackoverflow.com/questions/4094699). A reference that
    /// follows, in the same logical line, a command changing that variable
    /// reads the value from before the line: `%ERRORLEVEL%` after a program,
    /// `%X%` after `set X=`.
    fn stale_expansions(&mut self, command: &Command) {
        let mut state = Staleness::default();
        self.stale_walk(command, &mut state);
    }

    fn stale_walk(&mut self, command: &Command, state: &mut Staleness) {
        match command {
            Command::Simple(simple) => {
                self.stale_references(simple.range.clone(), state);
                let text = self.text.clone();
                let body = &text[simple.range.clone()];
                let lower = body.to_ascii_lowercase();
                let word = first_word(&lower);
                if word == "set" {
                    if let Some((name, _)) = assignment(body.get(3..).unwrap_or("")) {
                        state
                            .changed
                            .insert(name.to_ascii_lowercase(), format!("set {name}="));
                    }
                } else {
                    // A program, or a builtin that sets ERRORLEVEL.
                    let program = words::unquote(&words::split_program(body).0);
                    let lower = program.to_ascii_lowercase();
                    let sets_exit_code = !program.is_empty()
                        && (lower == "call"
                            || !builtin_named(&lower).is_some_and(|b| b.failure == Failure::Never));
                    if sets_exit_code {
                        state.changed.insert("errorlevel".to_owned(), program);
                    }
                }
            }
            Command::Block(block) => {
                for c in &block.commands {
                    self.stale_walk(c, state);
                }
            }
            Command::Sequence(left, _, right) => {
                self.stale_walk(left, state);
                self.stale_walk(right, state);
            }
            Command::If(i) => {
                self.stale_references(i.range.clone(), state);
                // One branch runs: `else` does not see what `then` changed.
                let before = state.changed.clone();
                self.stale_walk(&i.then, state);
                if let Some(otherwise) = &i.otherwise {
                    let after_then = std::mem::replace(&mut state.changed, before);
                    self.stale_walk(otherwise, state);
                    state.changed.extend(after_then);
                }
            }
            Command::For(f) => {
                let Some(body) = self.for_body(f) else {
                    return;
                };
                // The body runs once per item: the second round reads what
                // the first one changed. (Only the outermost loop walks its
                // body twice, so nested loops stay linear.)
                self.for_depth += 1;
                self.stale_walk(&body, state);
                if self.for_depth == 1 {
                    self.stale_walk(&body, state);
                }
                self.for_depth -= 1;
            }
            Command::SyntaxError(_) => {}
        }
    }

    fn stale_references(&mut self, range: Range<usize>, state: &mut Staleness) {
        if state.changed.is_empty() {
            return;
        }
        let text = self.text[range.clone()].to_owned();
        for (at, piece) in percent::pieces(&text) {
            let Piece::Variable { name, .. } = piece else {
                continue;
            };
            let lower = name.to_ascii_lowercase();
            let Some(changer) = state.changed.get(&lower).cloned() else {
                continue;
            };
            let at = range.start + at.start..range.start + at.end;
            if !state.reported.insert(at.start) {
                continue;
            }
            let mut d = Diagnostic::new(
                Code::BatchStaleExpansion,
                format!("`%{name}%` was expanded when cmd.exe read this line or block, before `{changer}` ran"),
            )
            .at(Some(&self.span(at)))
            .label("the value from before the block");
            d = if lower == "errorlevel" {
                d.help("test the exit code with `if errorlevel 1` (true for 1 and more), or with `!ERRORLEVEL!` after `setlocal EnableDelayedExpansion`")
                    .note("cmd.exe expands every `%VAR%` of a `( )` block, an `if` or `for` line, or commands joined by `&&`/`||` once, before any of them runs: this test checks nothing")
            } else {
                d.severity = crate::diagnostic::Severity::Warning;
                d.help(format!("read it as `!{name}!` after `setlocal EnableDelayedExpansion`, or move the command after the block"))
                    .note("cmd.exe expands every `%VAR%` of a `( )` block, an `if` or `for` line, or commands joined by `&`, `&&`, `||` once, before any of them runs")
            };
            self.out.push(d);
        }
    }

    fn goto(&mut self, range: Range<usize>, target: &str) {
        let label = label_wanted(target);
        let lower = label.to_ascii_lowercase();
        if lower.is_empty() || is_eof(label) || target.contains(['%', '!']) {
            return;
        }
        if !self.labels.contains(&lower) {
            self.out.push(
                Diagnostic::new(Code::BatchMissingLabel, format!("the script has no label `:{label}`"))
                    .at(Some(&self.span(range)))
                    .help(format!("add a line `:{label}` where the jump should land, or correct the name"))
                    .note("cmd.exe stops the script with \"The system cannot find the batch label specified\""),
            );
        }
    }

    fn set_command(&mut self, range: Range<usize>) {
        let body = &self.text[range.clone()];
        if !self.setlocal {
            self.setlocal = true; // report once
            self.out.push(
                Diagnostic::new(Code::BatchNoSetlocal, "the script sets variables before any `setlocal`")
                    .at(Some(&self.span(range.clone())))
                    .help("start the script with `@echo off` and `setlocal EnableExtensions DisableDelayedExpansion`")
                    .note("without setlocal the variables stay set in the admin's command prompt after the script ends"),
            );
        }
        let Some((name, value)) = assignment(body.get(3..).unwrap_or("")) else {
            return;
        };
        let lower = name.to_ascii_lowercase();
        let keeps_old = value.to_ascii_lowercase().contains(&format!("%{lower}%"));
        if DYNAMIC_VARIABLES.contains(&lower.as_str())
            || (SEARCH_VARIABLES.contains(&lower.as_str()) && !keeps_old)
        {
            let d = Diagnostic::new(
                Code::BatchSpecialVariable,
                format!("the script overwrites `{name}`"),
            )
            .at(Some(&self.span(range)))
            .help("use a name of your own, e.g. OIIS_VALUE");
            let d = if DYNAMIC_VARIABLES.contains(&lower.as_str()) {
                d.note(format!("once set, `%{name}%` no longer reads cmd's own value (e.g. the last exit code)"))
            } else if self.in_setlocal {
                // After `setlocal` the change ends with the script; only the
                // script's own later commands see it.
                let mut d = d.note(format!(
                    "after `setlocal` it ends with the script, but this script's later commands are looked up with this `{name}` only (keep the old value: `set \"{name}=...;%{name}%\"`)"
                ));
                d.severity = crate::diagnostic::Severity::Warning;
                d
            } else {
                d.note(format!(
                    "commands started later are looked up with this `{name}`"
                ))
            };
            self.out.push(d);
        }
    }

    /// An external program (or a builtin that can fail).
    fn program(
        &mut self,
        range: Range<usize>,
        redirections: &[Redirection],
        followed_by: Option<Operator>,
    ) {
        let text = self.text.clone();
        let body = &text[range.clone()];
        let args = without_redirections(
            appcmd::split_arguments(body, range.start, true),
            redirections,
        );
        // cmd.exe expands variables before the program splits its command
        // line: a value is split (and its quotes taken off) as the program
        // sees it, at the place of the reference.
        let args: Vec<appcmd::Argument> = args
            .into_iter()
            .flat_map(|a| {
                // The argument as written, quotes and all, with the values in.
                let raw = &text[a.range.clone()];
                let resolved = self.resolve(raw);
                if resolved == raw {
                    return vec![a];
                }
                let pieces = appcmd::split_arguments(&resolved, 0, true);
                pieces
                    .into_iter()
                    .map(|p| appcmd::Argument {
                        text: p.text,
                        range: a.range.clone(),
                    })
                    .collect()
            })
            .collect();
        let Some((program, rest)) = args.split_first() else {
            return;
        };
        let base = program
            .text
            .rsplit(['\\', '/'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let name = base.trim_end_matches(".exe").to_owned();
        let span = self.span(range.clone());
        let invocation = if name == "appcmd" {
            let invocation = Invocation::parse(rest);
            if let Some(inv) = &invocation {
                self.out.extend(appcmd::check(inv, self.file, self.schema));
                self.quoting(rest);
            }
            invocation
        } else {
            None
        };
        self.commands.push(ScriptCommand {
            invocation,
            program: name.clone(),
            arguments: rest.to_vec(),
            span: span.clone(),
        });
        if matches!(followed_by, Some(Operator::And | Operator::Or)) {
            return;
        }
        self.pending = Some((
            span,
            if name.is_empty() {
                program.text.clone()
            } else {
                name
            },
        ));
    }

    /// Quoting that makes appcmd see something else than was written.
    fn quoting(&mut self, args: &[appcmd::Argument]) {
        for arg in args {
            let raw = &self.text[arg.range.clone()];
            if arg.text.contains('"') {
                let at = raw
                    .find("\\\"")
                    .map_or(arg.range.start, |i| arg.range.start + i);
                self.out.push(
                    Diagnostic::new(Code::AppcmdQuoting, format!("appcmd receives a `\"` inside `{}`", arg.text))
                        .at(Some(&self.span(at..(at + 2).min(arg.range.end))))
                        .help("a backslash before a closing quote escapes it (C runtime rules): drop the trailing `\\` of the path, or double it")
                        .note("the value runs on into the next arguments; appcmd fails with error 87 or writes a wrong value"),
                );
            }
        }
    }

    /// `text` with every `%VAR%` the script sets replaced by its (last) value;
    /// other references are kept as written. A value that refers to other
    /// variables is resolved too (cmd.exe expanded them when it ran the
    /// `set`: `set site="%siteName%/%app%"`), a few levels deep.
    fn resolve(&self, text: &str) -> String {
        self.resolve_at(text, 0)
    }

    fn resolve_at(&self, text: &str, level: usize) -> String {
        if level > 4 {
            return text.to_owned();
        }
        let mut out = String::new();
        let mut rest = text;
        let mut depth = 0;
        while let Some(start) = rest.find('%') {
            let Some(len) = rest[start + 1..].find('%') else {
                break;
            };
            let name = rest[start + 1..start + 1 + len].to_ascii_lowercase();
            match self.variables.get(&name) {
                Some(value) if depth < 16 && out.len() < RESOLVED_LIMIT => {
                    out.push_str(&rest[..start]);
                    out.push_str(&self.resolve_at(value, level + 1));
                    rest = &rest[start + len + 2..];
                    depth += 1;
                }
                _ => {
                    out.push_str(&rest[..start + 1]);
                    rest = &rest[start + 1..];
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// `%NAME%`, `%1`, `%~1` or `!NAME!` alone: nothing around it that would
/// keep the operand when the variable is empty.
fn is_bare_variable(operand: &str) -> bool {
    let b = operand.as_bytes();
    let named = |open: u8| {
        b.len() >= 3
            && b[0] == open
            && b[b.len() - 1] == open
            && b[1..b.len() - 1]
                .iter()
                .all(|&c| c != open && c != b'"' && c != b' ')
    };
    let argument = |s: &str| {
        let s = s.strip_prefix('%').unwrap_or("");
        let s = s.strip_prefix('~').unwrap_or(s);
        s.len() == 1 && s.as_bytes()[0].is_ascii_digit()
    };
    named(b'%') && !operand.contains(':') || named(b'!') || argument(operand)
}

/// The logical lines of a file as cmd.exe parses them (labels and `::`
/// lines are skipped; a block or a `^` continuation spans lines).
fn logical_lines(text: &str) -> Vec<Command> {
    let mut out = Vec::new();
    let mut next = 0;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let line_start = start;
        start += line.len();
        if line_start < next {
            continue;
        }
        let trimmed = line.trim_start_matches([' ', '\t', '@']);
        let lead = line_start + (line.len() - trimmed.len());
        let body = trimmed.trim_end_matches(['\r', '\n']);
        if body.is_empty() || body.starts_with(':') {
            continue;
        }
        let parsed = syntax::parse(text, lead);
        next = parsed.end.max(lead + 1);
        out.push(parsed.command);
    }
    out
}

/// Calls `visit` on every simple command of `command`, also in the bodies
/// of `for` loops (read from `text`, the text `command` was parsed from).
fn each_simple(text: &str, command: &Command, visit: &mut impl FnMut(&Simple)) {
    each_simple_within(text, command, visit, 0);
}

fn each_simple_within(
    text: &str,
    command: &Command,
    visit: &mut impl FnMut(&Simple),
    for_depth: usize,
) {
    command.walk(&mut |c| match c {
        Command::Simple(simple) => visit(simple),
        Command::For(f) if for_depth < MAX_FOR_NESTING => {
            let body = syntax::parse(&text[..f.body_range.end], f.body_range.start);
            each_simple_within(text, &body.command, visit, for_depth + 1);
        }
        _ => {}
    });
}

/// Whether a command of the script jumps to a label (`goto`, `call :x`).
fn jumps_to_labels(text: &str, logical: &[Command]) -> bool {
    let mut jumps = false;
    for command in logical {
        each_simple(text, command, &mut |simple| {
            let lower = text[simple.range.clone()].to_ascii_lowercase();
            let word = first_word(&lower);
            let rest = lower[word.len()..].trim_start();
            jumps |= word == "goto"
                || jump_word(&word).is_some()
                || word == "call" && rest.starts_with(':');
        });
    }
    jumps
}

fn is_rem(lower: &str) -> bool {
    is_rem_word(&first_word(lower.trim_start_matches('@')))
}

fn first_word(lower: &str) -> String {
    lower
        .split(|c: char| c.is_whitespace() || c == '"')
        .next()
        .unwrap_or("")
        .to_owned()
}

/// The arguments a program receives: cmd takes redirections (`> file`,
/// `>> "%TEMP%\log.txt"`, `2>&1`, `<in`) out of the command line.
fn without_redirections(
    args: Vec<appcmd::Argument>,
    redirections: &[Redirection],
) -> Vec<appcmd::Argument> {
    args.into_iter()
        .filter(|arg| {
            !redirections
                .iter()
                .any(|r| r.range.start < arg.range.end && arg.range.start < r.range.end)
        })
        .collect()
}

/// `NAME=value` of a `set` command, for names without blanks (an
/// unquoted value without its trailing blanks).
fn assignment(rest: &str) -> Option<(String, String)> {
    let Assignment::Text { name, value } = words::parse_set(rest) else {
        return None;
    };
    if name.contains(char::is_whitespace) {
        return None;
    }
    let quoted = rest.trim_start().starts_with('"');
    let value = if quoted {
        value
    } else {
        value.trim_end().to_owned()
    };
    Some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<&'static str> {
        let file = SourceFile::new("t.cmd", text);
        let mut c: Vec<_> = check(&file, None, Schema::global())
            .diagnostics
            .iter()
            .map(|d| d.code.id())
            .collect();
        c.sort();
        c
    }

    #[test]
    fn a_careful_script_is_clean() {
        let script = "@echo off\r\nsetlocal\r\nset \"A=%windir%\\system32\\inetsrv\\appcmd.exe\"\r\n\"%A%\" list site \"Default Web Site\" >nul 2>&1\r\nif errorlevel 1 goto :fail\r\n\"%A%\" add apppool /name:\"x\" || goto :fail\r\nexit /b 0\r\n:fail\r\nexit /b 1\r\n";
        assert_eq!(codes(script), Vec::<&str>::new());
    }

    #[test]
    fn typical_mistakes() {
        assert_eq!(codes("@echo off\nsetlocal\n"), ["OW401"]);
        assert_eq!(
            codes("setlocal\r\nicacls x /grant y:M\r\necho done\r\n"),
            ["OW405"]
        );
        assert_eq!(codes("set A=1\r\n"), ["OW406"]);
        assert_eq!(codes("setlocal\r\nset PATH=C:\\x\r\n"), ["OW407"]);
        assert!(codes("setlocal\r\nset \"PATH=C:\\x;%PATH%\"\r\n").is_empty());
        assert_eq!(codes("setlocal\r\ngoto :nowhere\r\n"), ["OW408"]);
        assert_eq!(codes("setlocal\r\necho 50% done\r\n"), ["OW403"]);
        assert_eq!(codes("setlocal\r\necho \"x\r\n"), ["OW404"]);
        assert_eq!(
            codes("setlocal\r\nif exist x (echo y) else (echo z)\r\n"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn the_tree_decides_what_a_command_is() {
        // A redirection target is no argument; `>>` after `&&` is checked.
        assert!(
            codes("setlocal\r\nappcmd list site >> \"%TEMP%\\log.txt\" 2>&1 || exit /b 1\r\n")
                .is_empty()
        );
        // Inside `setlocal` a PATH change is scoped to the script: a warning.
        assert_eq!(codes("setlocal\r\nset PATH=C:\\x\r\n"), ["OW407"]);
        // `::set X=` sets nothing, so `%X%` is still never set.
        assert_eq!(codes("setlocal\r\n::set X=1\r\necho %X%\r\n"), ["OW403"]);
        // A block's last command takes the operator after `)`.
        assert!(codes("setlocal\r\n(appcmd list site) || exit /b 1\r\n").is_empty());
        // A `for` body is linted: its unchecked command is found.
        assert_eq!(
            codes("setlocal\r\nfor %%s in (a b) do icacls %%s /grant x:R\r\necho done\r\n"),
            ["OW405"]
        );
    }
}
