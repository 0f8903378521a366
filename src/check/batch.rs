//! Checks cmd.exe batch files (`.cmd`, `.bat`) and the appcmd commands in
//! them (cmd's parser: stackoverflow.com/questions/4094699; appcmd: "Getting Started with
//! AppCmd.exe" on learn.microsoft.com).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::Arc;

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

/// Commands built into cmd.exe that never need an error check.
const QUIET_BUILTINS: &[&str] = &[
    "echo", "echo.", "set", "setlocal", "endlocal", "rem", "goto", "exit", "if", "for", "pushd",
    "popd", "cd", "chdir", "title", "pause", "cls", "shift", "ver", "verify", "color", "prompt",
    "type", "dir", "path", "start", "call", "(", ")", "break", "chcp",
];

/// Built-in file commands whose success the script shows best by testing the
/// file afterwards (`if exist`).
const FILE_BUILTINS: &[&str] = &["del", "erase", "move", "copy", "ren", "rename"];

/// `if exist X ...` or `if not exist X ...` (lower-case line).
fn is_exist_test(lower: &str) -> bool {
    let rest = lower[2..].trim_start();
    let rest = rest.strip_prefix("not ").map_or(rest, str::trim_start);
    rest.starts_with("exist ")
}

/// Variables Windows defines for every process (and cmd's dynamic ones).
const KNOWN_VARIABLES: &[&str] = &[
    "windir",
    "systemroot",
    "systemdrive",
    "programfiles",
    "programfiles(x86)",
    "programw6432",
    "programdata",
    "commonprogramfiles",
    "commonprogramfiles(x86)",
    "allusersprofile",
    "appdata",
    "localappdata",
    "userprofile",
    "username",
    "userdomain",
    "computername",
    "temp",
    "tmp",
    "path",
    "pathext",
    "comspec",
    "os",
    "processor_architecture",
    "number_of_processors",
    "public",
    "homedrive",
    "homepath",
    "errorlevel",
    "cd",
    "date",
    "time",
    "random",
    "cmdcmdline",
    "cmdextversion",
    "__cd__",
    "psmodulepath",
    "logonserver",
    "sessionname",
    "driverdata",
];

/// Names that must not be assigned (cmd computes them) and names whose
/// assignment breaks later commands unless it keeps the old value.
const DYNAMIC_VARIABLES: &[&str] = &[
    "errorlevel",
    "cd",
    "date",
    "time",
    "random",
    "cmdcmdline",
    "cmdextversion",
    "highestnumanodenumber",
];
const SEARCH_VARIABLES: &[&str] = &["path", "pathext", "comspec", "systemroot", "windir"];

/// Everything the check of one batch file produced.
pub struct Checked {
    pub diagnostics: Vec<Diagnostic>,
    pub commands: Vec<ScriptCommand>,
}

/// A logical piece of a line: one command between `&`, `&&`, `||`, `|`.
struct Segment {
    range: Range<usize>,
    /// The operator after it (`&&`, `||`, `&`, `|`), if any.
    followed_by: Option<&'static str>,
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
        text: continued_lines_joined(&file.text),
    };
    c.encoding(bom);
    if c.line_endings() == Endings::CrOnly {
        // cmd.exe reads the whole file as one line: every other finding
        // would be about that one line and hide the cause.
        return Checked {
            diagnostics: c.out,
            commands: c.commands,
        };
    }
    c.collect_labels_and_variables();
    c.lines();
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
    /// Variables the script sets to nothing somewhere (`set NAME=`).
    set_empty: BTreeSet<String>,
    /// The file as cmd.exe reads its lines: a line ending with `^` goes on
    /// on the next one (the caret and the line break are blanked here,
    /// keeping every byte offset of the file).
    text: String,
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

    fn line_endings(&mut self) -> Endings {
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
        let diagnostic = if jumps_to_labels(text) {
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

    fn collect_labels_and_variables(&mut self) {
        let text = self.text.clone();
        for range in self.line_ranges() {
            let line = text[range].trim_start();
            if let Some(label) = line.strip_prefix(':') {
                if !label.starts_with(':') {
                    let name = label.split([' ', '\t']).next().unwrap_or("");
                    self.labels.insert(name.to_ascii_lowercase());
                }
            }
            // Every `set NAME=` anywhere on the line (also inside `for ... do`),
            // but not in a comment (`::set X=` or `rem set X=` sets nothing).
            let lower = line.to_ascii_lowercase();
            if line.starts_with("::") || is_rem(&lower) {
                continue;
            }
            let mut from = 0;
            while let Some(i) = lower[from..].find("set ") {
                let at = from + i;
                from = at + 4;
                if at > 0 && lower.as_bytes()[at - 1].is_ascii_alphanumeric() {
                    continue;
                }
                if let Some((name, value)) = parse_set(&line[at + 4..]) {
                    if value.is_empty() {
                        self.set_empty.insert(name.to_ascii_lowercase());
                    }
                    self.variables.insert(name.to_ascii_lowercase(), value);
                }
            }
        }
    }

    fn lines(&mut self) {
        let text = self.text.clone();
        for range in self.line_ranges() {
            let line = &text[range.clone()];
            let trimmed = line.trim_start();
            let lead = range.start + (line.len() - trimmed.len());
            let lower = trimmed.to_ascii_lowercase();
            if trimmed.is_empty() || trimmed.starts_with("::") {
                continue;
            }
            if trimmed.starts_with(':') {
                // A label: control may arrive here from a goto; an unchecked command before it stays unchecked.
                continue;
            }
            if is_rem(&lower) {
                continue;
            }
            self.quotes(lead..range.end);
            self.percents(lead..range.end);
            for segment in split_segments(&text, lead..range.end) {
                self.segment(&segment);
            }
        }
        if let Some((span, name)) = self.pending.take() {
            self.unchecked(span, &name);
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
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != b'%' {
                i += 1;
                continue;
            }
            match bytes.get(i + 1) {
                Some(b'%') => {
                    i += 2;
                    continue;
                }
                Some(b'0'..=b'9' | b'*') => {
                    i += 2;
                    continue;
                }
                Some(b'~') => {
                    let mut j = i + 2;
                    while j < bytes.len() && bytes[j].is_ascii_alphabetic() {
                        j += 1;
                    }
                    i = j + 1;
                    continue;
                }
                _ => {}
            }
            let at = range.start + i;
            match line[i + 1..].find('%') {
                None => {
                    self.out.push(
                        Diagnostic::new(
                            Code::BatchPercent,
                            "cmd.exe drops this lone `%` in a batch file",
                        )
                        .at(Some(&self.span(at..at + 1)))
                        .help("write `%%` for a literal percent sign"),
                    );
                    i += 1;
                }
                Some(len) => {
                    let reference = &line[i + 1..i + 1 + len];
                    let name = reference.split(':').next().unwrap_or("");
                    let lower = name.to_ascii_lowercase();
                    let end = at + len + 2;
                    if name.contains(' ') || name.is_empty() {
                        self.out.push(
                            Diagnostic::new(Code::BatchPercent, format!("cmd.exe reads `%{reference}%` as a variable and replaces it with nothing"))
                                .at(Some(&self.span(at..end)))
                                .help("write `%%` for each literal percent sign"),
                        );
                    } else if !self.variables.contains_key(&lower)
                        && !KNOWN_VARIABLES.contains(&lower.as_str())
                    {
                        self.out.push(
                            Diagnostic::new(Code::BatchPercent, format!("`%{name}%` is never set by this script and expands to nothing unless the environment defines it"))
                                .at(Some(&self.span(at..end)))
                                .help(format!("set it first (set \"{name}=...\"), or write `%%` if the percent signs are literal")),
                        );
                    }
                    i += len + 2;
                }
            }
        }
    }

    fn unchecked(&mut self, span: Span, name: &str) {
        let help = if FILE_BUILTINS.contains(&name) {
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

    fn segment(&mut self, segment: &Segment) {
        let text = self.text.clone();
        let mut range = segment.range.clone();
        // Strip `@`, `(`, `)` and blanks around the command.
        loop {
            let s = &text[range.clone()];
            let t = s.trim_start_matches([' ', '\t', '@', '(']);
            let t = t.trim_end_matches([' ', '\t']);
            let t = if t.ends_with(')') && t.matches('(').count() < t.matches(')').count() {
                &t[..t.len() - 1]
            } else {
                t
            };
            let start = range.start + (s.len() - s.trim_start_matches([' ', '\t', '@', '(']).len());
            let new = start..start + t.len();
            if new == range {
                break;
            }
            range = new;
        }
        if range.is_empty() {
            return;
        }
        let body = &text[range.clone()];
        let lower = body.to_ascii_lowercase();
        let mut word = first_word(&lower);
        // `goto:eof` and `call:label`: cmd ends the command word at `:` here.
        for jump in ["goto", "call"] {
            if word.len() > jump.len()
                && word.starts_with(jump)
                && word[jump.len()..].starts_with(':')
            {
                word = jump.to_owned();
            }
        }
        if word == "if" {
            self.empty_operands(range.start, body);
            let (is_check, rest) = split_if(body);
            // A file command is checked by testing the file: `del` clears
            // ERRORLEVEL even when it fails (measured on Windows 10,
            // stackoverflow.com/a/34968021).
            let tests_file = self
                .pending
                .as_ref()
                .is_some_and(|(_, name)| FILE_BUILTINS.contains(&name.as_str()))
                && is_exist_test(&lower);
            if is_check || tests_file {
                self.pending = None;
            }
            if let Some(rest) = rest {
                let offset = range.start + (body.len() - rest.len());
                let inner = Segment {
                    range: offset..range.end,
                    followed_by: segment.followed_by,
                };
                self.segment(&inner);
            }
            return;
        }
        // A new command: an unchecked one before it is reported.
        let transparent = matches!(
            word.as_str(),
            "echo" | "echo." | "rem" | "setlocal" | "endlocal" | "title"
        );
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
            "set" => self.set_command(range.clone()),
            "setlocal" => {
                self.setlocal = true;
                self.in_setlocal = true;
            }
            "endlocal" => self.in_setlocal = false,
            "goto" => self.goto(range.clone(), &body[4..]),
            "call" => {
                let rest = body[4..].trim_start();
                if rest.starts_with(':') {
                    self.goto(range.start + (body.len() - rest.len())..range.end, rest);
                } else {
                    let offset = range.start + (body.len() - rest.len());
                    self.program(offset..range.end, segment.followed_by);
                }
            }
            w if QUIET_BUILTINS.contains(&w) => {}
            _ => self.program(range, segment.followed_by),
        }
    }

    /// OW409: `if %APP% == "" (` is a syntax error when APP is empty (cmd
    /// then reads `if == "" (` and stops the script: "( was unexpected at
    /// this time"), and a script cannot tell that a variable is set. Quoting
    /// both sides keeps an operand however empty.
    fn empty_operands(&mut self, start: usize, body: &str) {
        let mut rest = body.get(2..).unwrap_or("").trim_start();
        for flag in ["/i", "not"] {
            let word = rest.get(..flag.len()).unwrap_or("");
            let after = rest.get(flag.len()..).unwrap_or("");
            if word.eq_ignore_ascii_case(flag) && after.starts_with([' ', '\t']) {
                rest = after.trim_start();
            }
        }
        let lower = rest.to_ascii_lowercase();
        if ["exist ", "defined ", "errorlevel ", "cmdextversion "]
            .iter()
            .any(|w| lower.starts_with(w))
        {
            return;
        }
        // The first operand: a quoted string, or a word up to a blank or `==`.
        let left_end = if let Some(quoted) = rest.strip_prefix('"') {
            quoted.find('"').map_or(rest.len(), |i| i + 2)
        } else {
            rest.find(|c: char| c.is_whitespace() || c == '=')
                .unwrap_or(rest.len())
        };
        let left = &rest[..left_end];
        let after = rest[left_end..].trim_start();
        // Then the operator: `==`, or EQU NEQ LSS LEQ GTR GEQ.
        let right = if let Some(r) = after.strip_prefix("==") {
            r.trim_start()
        } else {
            let mut words = after.splitn(2, char::is_whitespace);
            let op = words.next().unwrap_or("").to_ascii_lowercase();
            if !["equ", "neq", "lss", "leq", "gtr", "geq"].contains(&op.as_str()) {
                return;
            }
            words.next().unwrap_or("").trim_start()
        };
        let right = right.split_whitespace().next().unwrap_or("");
        for operand in [left.trim(), right] {
            // cmd's own variables and those Windows defines are never empty.
            let name = operand.trim_matches(['%', '!']).to_ascii_lowercase();
            // The script's own variables are set when it sets them only to
            // non-empty literal values (`set RETRY=0` before a retry loop;
            // `set "SITE=%~1"` may well be empty).
            let set_here = self
                .variables
                .get(&name)
                .is_some_and(|v| !v.is_empty() && !v.contains(['%', '!']))
                && !self.set_empty.contains(&name);
            let always_set = DYNAMIC_VARIABLES.contains(&name.as_str())
                || KNOWN_VARIABLES.contains(&name.as_str())
                || set_here;
            if is_bare_variable(operand) && !always_set {
                let at = start + (operand.as_ptr() as usize - body.as_ptr() as usize);
                self.out.push(
                    Diagnostic::new(Code::BatchEmptyOperand, format!("`if` compares `{operand}` without quotes"))
                        .at(Some(&self.span(at..at + operand.len())))
                        .label("empty, this operand disappears")
                        .help(format!("quote both sides: `if \"{operand}\"==\"...\"`"))
                        .note("when the variable is empty or unset, cmd.exe stops the script with a syntax error (\"( was unexpected at this time\")"),
                );
            }
        }
    }

    fn goto(&mut self, range: Range<usize>, target: &str) {
        let label = target.trim().trim_start_matches(':');
        let label = label.split([' ', '\t']).next().unwrap_or("");
        let lower = label.to_ascii_lowercase();
        if lower.is_empty() || lower == "eof" || lower.contains('%') {
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
        let Some((name, value)) = parse_set(&body[3..]) else {
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
    fn program(&mut self, range: Range<usize>, followed_by: Option<&'static str>) {
        let text = self.text.clone();
        let body = &text[range.clone()];
        let args = without_redirections(&text, appcmd::split_arguments(body, range.start, true));
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
        if matches!(followed_by, Some("&&" | "||")) {
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
                Some(value) if depth < 16 => {
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

/// Whether a command of the script jumps to a label (`goto`, `call :x`),
/// outside comments.
fn jumps_to_labels(text: &str) -> bool {
    text.lines().any(|line| {
        let lower = line.trim_start().to_ascii_lowercase();
        if lower.starts_with("::") || is_rem(&lower) {
            return false;
        }
        let words = lower
            .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '&' | '|'))
            .filter(|w| !w.is_empty());
        let found = words.clone().any(|w| w == "goto" || w.starts_with("goto:"));
        found
            || words
                .clone()
                .zip(words.skip(1))
                .any(|(a, b)| a == "call" && b.starts_with(':'))
            || lower.contains("call:")
    })
}

fn is_rem(lower: &str) -> bool {
    let w = lower.trim_start_matches('@');
    w == "rem" || w.starts_with("rem ") || w.starts_with("rem\t") || w.starts_with("rem.")
}

fn first_word(lower: &str) -> String {
    lower
        .split(|c: char| c.is_whitespace() || c == '"')
        .next()
        .unwrap_or("")
        .to_owned()
}

/// The arguments a program receives: cmd takes redirections (`> file`,
/// `>> "%TEMP%\log.txt"`, `2>&1`, `<in`) out of the command line, and a
/// bare operator takes the next word as its target.
fn without_redirections(text: &str, args: Vec<appcmd::Argument>) -> Vec<appcmd::Argument> {
    let mut kept = Vec::with_capacity(args.len());
    let mut target_next = false;
    for arg in args {
        let raw = &text[arg.range.clone()];
        if target_next {
            target_next = false;
            continue;
        }
        if is_redirection(raw) {
            // `>`, `>>`, `2>`, `<` alone: the target is the next word;
            // `>file`, `2>&1` carry theirs.
            let operator_only = raw
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start_matches(['>', '<'])
                .is_empty();
            target_next = operator_only;
            continue;
        }
        kept.push(arg);
    }
    kept
}

fn is_redirection(raw: &str) -> bool {
    let r = raw.trim_start_matches(|c: char| c.is_ascii_digit());
    (r.starts_with('>') || r.starts_with('<')) && !raw.starts_with('"')
}

/// `NAME=value` of a `set` command (`set "NAME=value"`, `set NAME=value`, `set /a NAME=...`).
fn parse_set(rest: &str) -> Option<(String, String)> {
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix("/a ")
        .or_else(|| rest.strip_prefix("/A "))
        .or_else(|| rest.strip_prefix("/p "))
        .or_else(|| rest.strip_prefix("/P "))
        .unwrap_or(rest)
        .trim_start();
    let (inner, quoted) = match rest.strip_prefix('"') {
        Some(r) => (r.rsplit_once('"').map_or(r, |(a, _)| a), true),
        None => (rest, false),
    };
    let (name, value) = inner.split_once('=')?;
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    let value = if quoted { value } else { value.trim_end() };
    Some((name.to_owned(), value.to_owned()))
}

/// `if [/i] [not] CONDITION rest`: whether the condition reads the exit code, and the command after it.
fn split_if(body: &str) -> (bool, Option<&str>) {
    let mut rest = body[2..].trim_start();
    let take_word = |s: &str| -> (String, usize) {
        let mut quoted = false;
        for (i, c) in s.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ' ' | '\t' if !quoted => return (s[..i].to_owned(), i),
                _ => {}
            }
        }
        (s.to_owned(), s.len())
    };
    let (mut word, mut len) = take_word(rest);
    for flag in ["/i", "not"] {
        if word.eq_ignore_ascii_case(flag) {
            rest = rest[len..].trim_start();
            (word, len) = take_word(rest);
        }
    }
    let lower = word.to_ascii_lowercase();
    let is_check;
    match lower.as_str() {
        "errorlevel" => {
            is_check = true;
            rest = rest[len..].trim_start();
            let (_, l) = take_word(rest);
            rest = &rest[l..];
        }
        "exist" | "defined" | "cmdextversion" => {
            is_check = false;
            rest = rest[len..].trim_start();
            let (_, l) = take_word(rest);
            rest = &rest[l..];
        }
        _ => {
            // `A==B rest` or `A OP B rest`.
            is_check = lower.contains("errorlevel");
            if word.contains("==") {
                rest = &rest[len..];
            } else {
                rest = rest[len..].trim_start();
                let (op, l) = take_word(rest);
                if ["equ", "neq", "lss", "leq", "gtr", "geq", "=="]
                    .contains(&op.to_ascii_lowercase().as_str())
                {
                    rest = rest[l..].trim_start();
                    let (_, l2) = take_word(rest);
                    rest = &rest[l2..];
                }
                // Otherwise `rest` already starts after the first word.
            }
        }
    }
    let rest = rest.trim_start();
    (is_check, (!rest.is_empty()).then_some(rest))
}

/// Splits a line at `&`, `&&`, `||` and `|` outside quotes (a `^` escapes them).
fn split_segments(text: &str, range: Range<usize>) -> Vec<Segment> {
    let bytes = text.as_bytes();
    let mut segments = Vec::new();
    let mut start = range.start;
    let mut quoted = false;
    let mut i = range.start;
    while i < range.end {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b'^' if !quoted => i += 1,
            b'&' | b'|' if !quoted => {
                // `2>&1` is a redirection, not an operator.
                if bytes[i] == b'&' && i > range.start && bytes[i - 1] == b'>' {
                    i += 1;
                    continue;
                }
                let double = i + 1 < range.end && bytes[i + 1] == bytes[i];
                let op = match (bytes[i], double) {
                    (b'&', true) => "&&",
                    (b'&', false) => "&",
                    (b'|', true) => "||",
                    _ => "|",
                };
                segments.push(Segment {
                    range: start..i,
                    followed_by: Some(op),
                });
                i += if double { 2 } else { 1 };
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    segments.push(Segment {
        range: start..range.end,
        followed_by: None,
    });
    segments
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
    fn if_conditions() {
        assert_eq!(split_if("if errorlevel 1 goto :x"), (true, Some("goto :x")));
        assert_eq!(
            split_if("if not exist \"a b\" mkdir \"a b\""),
            (false, Some("mkdir \"a b\""))
        );
        assert_eq!(
            split_if("if %ERRORLEVEL% NEQ 0 exit /b 1"),
            (true, Some("exit /b 1"))
        );
        assert_eq!(
            split_if("if \"%X%\"==\"\" goto :y"),
            (false, Some("goto :y"))
        );
    }
}
