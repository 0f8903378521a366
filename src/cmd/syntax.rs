//! Phase 2 of cmd.exe: a line (or a `( )` block over several lines) into
//! [`Command`]s (stackoverflow.com/questions/4094699, phase 2; `if /?`,
//! `for /?`). Every command keeps its byte range in the text it was read
//! from and how many lines below the first line it starts.
//!
//! `review` parses each line after percent expansion, as cmd.exe does;
//! `check` parses the file as written (its percent references in place).

use std::ops::Range;

pub use super::for_options::LineSplit;
use super::tables::is_rem_word;
use super::words::unquote;

/// A command as cmd.exe parsed it.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Simple(Simple),
    Block(Block),
    /// `left OP right`.
    Sequence(Box<Command>, Operator, Box<Command>),
    If(Box<If>),
    For(Box<For>),
    /// A line cmd.exe refuses when it reads it, with cmd's message: nothing
    /// of the line runs, and the script ends.
    SyntaxError(SyntaxError),
}

/// A command with its words: a builtin or a program.
#[derive(Debug, Clone, PartialEq)]
pub struct Simple {
    /// From the command word (after `@`) to the end of its last word or
    /// redirection, in the parsed text.
    pub range: Range<usize>,
    /// Lines below the first line of the parsed text.
    pub line: usize,
    /// The line its range ends on (below `line` when `^` continued it).
    pub end_line: usize,
    /// The command as cmd runs it: `^` escapes taken off, redirections
    /// taken out, blanks kept (a space before `>` is part of what `echo`
    /// writes).
    pub text: String,
    pub redirections: Vec<Redirection>,
}

/// `( ... )`: commands on one line or over several.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub range: Range<usize>,
    pub line: usize,
    pub commands: Vec<Command>,
}

/// The operator between two commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `&`, or a line break inside a block: the next runs after this one.
    Then,
    /// `&&`: the next runs if this one succeeded.
    And,
    /// `||`: the next runs if this one failed.
    Or,
    /// `|`: both run at once, the next reading this one's output.
    Pipe,
}

impl Operator {
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Then => "&",
            Operator::And => "&&",
            Operator::Or => "||",
            Operator::Pipe => "|",
        }
    }
}

/// `if [/i] [not] CONDITION then [else otherwise]`.
#[derive(Debug, Clone, PartialEq)]
pub struct If {
    /// The `if` up to the end of its condition.
    pub range: Range<usize>,
    pub line: usize,
    pub negate: bool,
    pub ignore_case: bool,
    pub condition: Condition,
    pub then: Command,
    pub otherwise: Option<Command>,
}

/// A word of an `if` condition as written, with its range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operand {
    pub text: String,
    pub range: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `errorlevel N`: true when ERRORLEVEL is N or more.
    ErrorLevel(i32),
    /// `cmdextversion N`: true when N is 2 or less (Windows' version is 2).
    CmdExtVersion(i32),
    Exist(Operand),
    Defined(Operand),
    Compare(Operand, CompareOp, Operand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `==`: text, exactly.
    Text,
    Equ,
    Neq,
    Lss,
    Leq,
    Gtr,
    Geq,
}

/// `for [/f "options"] %%V in (SET) do BODY`.
#[derive(Debug, Clone, PartialEq)]
pub struct For {
    pub range: Range<usize>,
    pub line: usize,
    /// The loop variable's letter (`i` of `%%i`).
    pub variable: String,
    pub source: ForSource,
    /// How `for /f` splits a line (`None`: plain `for`, each item whole).
    pub split: Option<LineSplit>,
    /// The body as written: cmd substitutes the variables into it on each
    /// round.
    pub body: String,
    pub body_range: Range<usize>,
}

/// What a `for` goes over.
#[derive(Debug, Clone, PartialEq)]
pub enum ForSource {
    /// `('command')`, or `` (`command`) `` with `usebackq`: its output lines.
    Command(String),
    /// `("text")`, or `('text')` with `usebackq`: one line.
    Text(String),
    /// A plain `for`: words (or file patterns).
    Words(Vec<String>),
    /// `(file)`: the file's lines.
    File(String),
}

/// A line cmd.exe refuses to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub range: Range<usize>,
    pub line: usize,
}

/// A redirection of a command (`> f`, `>> f`, `2>&1`, `< f`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirection {
    pub range: Range<usize>,
    /// The handle redirected: 0 input, 1 output, 2 errors.
    pub handle: u8,
    pub kind: RedirectionKind,
    /// The file as written (quotes kept), or the handle of `>&N`.
    pub target: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectionKind {
    /// `>`: the file is replaced.
    Write,
    /// `>>`: added to the end of the file.
    Append,
    /// `<`: read from the file.
    Read,
    /// `>&N`, `<&N`: to another handle.
    Duplicate,
}

impl Simple {
    /// Where the command's standard output goes, when it goes to a file
    /// (`> nul` discards it: no file).
    pub fn output_file(&self) -> Option<&Redirection> {
        self.redirections
            .iter()
            .rev()
            .find(|r| r.handle == 1 && r.kind != RedirectionKind::Read)
            .filter(|r| {
                matches!(r.kind, RedirectionKind::Write | RedirectionKind::Append)
                    && !r.target.is_empty()
                    && !unquote(&r.target).eq_ignore_ascii_case("nul")
            })
    }
}

impl Command {
    /// The message of a syntax error anywhere in the command.
    pub fn syntax_error(&self) -> Option<&SyntaxError> {
        match self {
            Command::SyntaxError(error) => Some(error),
            Command::Simple(_) | Command::For(_) => None,
            Command::Block(block) => block.commands.iter().find_map(Command::syntax_error),
            Command::Sequence(left, _, right) => {
                left.syntax_error().or_else(|| right.syntax_error())
            }
            Command::If(i) => i
                .then
                .syntax_error()
                .or_else(|| i.otherwise.as_ref().and_then(Command::syntax_error)),
        }
    }

    /// Lines below the first line of the parsed text where it starts.
    pub fn line(&self) -> usize {
        match self {
            Command::Simple(s) => s.line,
            Command::Block(b) => b.line,
            Command::Sequence(left, ..) => left.line(),
            Command::If(i) => i.line,
            Command::For(f) => f.line,
            Command::SyntaxError(e) => e.line,
        }
    }

    /// Every command inside, this one first, in the order written.
    pub fn walk(&self, visit: &mut impl FnMut(&Command)) {
        visit(self);
        match self {
            Command::Block(block) => block.commands.iter().for_each(|c| c.walk(visit)),
            Command::Sequence(left, _, right) => {
                left.walk(visit);
                right.walk(visit);
            }
            Command::If(i) => {
                i.then.walk(visit);
                if let Some(o) = &i.otherwise {
                    o.walk(visit);
                }
            }
            Command::Simple(_) | Command::For(_) | Command::SyntaxError(_) => {}
        }
    }
}

/// What the parser read from a text.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub command: Command,
    /// Where the logical line ended: at its line break (not included), or
    /// at the end of the text.
    pub end: usize,
    /// Why the line goes on past the end of the text, if it does.
    pub open: Option<Open>,
    /// The line nests deeper than [`MAX_NESTING`] (blocks, `if`s and
    /// commands joined on one line): the parser stopped there and took the
    /// rest of the text as read, so that no walk of the tree can exhaust
    /// the stack.
    pub too_deep: bool,
}

/// The deepest a command tree may be: `( )` blocks, `if`s and operators
/// (`a & b & c` is two deep). Real scripts stay far below.
pub const MAX_NESTING: usize = 128;

/// What a line that the text ends too early still needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// A `(` block is not closed: the next line belongs to it.
    Block,
    /// The text ends with a `^`: the next line continues this one.
    Continuation,
}

/// Reads the logical line that starts at byte `start` of `text`: to a line
/// break outside any block, or to the end of the text.
pub fn parse(text: &str, start: usize) -> Parsed {
    let mut p = Parser {
        text,
        i: start,
        start,
        depth: 0,
        open: None,
        line_tail: 0,
        counted: (start, 0),
        nesting: 0,
        too_deep: false,
    };
    p.skip_cr();
    let command = p.sequence();
    Parsed {
        command,
        end: p.i,
        open: if p.too_deep { None } else { p.open },
        too_deep: p.too_deep,
    }
}

struct Parser<'a> {
    text: &'a str,
    /// The byte the parser is at; never on a CR (cmd removed them).
    i: usize,
    start: usize,
    depth: usize,
    open: Option<Open>,
    /// Inside the rest-of-line command of an `if` or `else` (not a block):
    /// a line break ends it, even inside a `( )` block around the `if`.
    line_tail: usize,
    /// `(position, line breaks before it)`, where [`Parser::lines_before`]
    /// last counted to: positions only grow, so counting is linear.
    counted: (usize, usize),
    /// How deep the tree being built is here.
    nesting: usize,
    too_deep: bool,
}

impl Parser<'_> {
    /// How many line breaks come between the start and byte `i`.
    fn lines_before(&mut self, i: usize) -> usize {
        let (from, count) = if i >= self.counted.0 {
            self.counted
        } else {
            (self.start, 0)
        };
        let more = self.text.as_bytes()[from..i]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.counted = (i, count + more);
        count + more
    }

    fn rest(&self) -> impl Iterator<Item = char> + '_ {
        self.text[self.i..].chars().filter(|c| *c != '\r')
    }

    fn peek(&self) -> Option<char> {
        self.text[self.i..].chars().next()
    }

    /// The character after the next one.
    fn peek_second(&self) -> Option<char> {
        self.rest().nth(1)
    }

    fn skip_cr(&mut self) {
        while self.text.as_bytes().get(self.i) == Some(&b'\r') {
            self.i += 1;
        }
    }

    /// Steps over the next character (and any CR after it).
    fn bump(&mut self) {
        if let Some(c) = self.peek() {
            self.i += c.len_utf8();
            self.skip_cr();
        }
    }

    fn advance(&mut self, chars: usize) {
        for _ in 0..chars {
            self.bump();
        }
    }

    /// Whether the text goes on with `s` (ASCII, in any case).
    fn at(&self, s: &str) -> bool {
        let mut rest = self.rest();
        s.chars().all(|expected| {
            rest.next()
                .is_some_and(|c| c.eq_ignore_ascii_case(&expected))
        })
    }

    fn skip_blanks(&mut self, newlines: bool) {
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' || c == ';' || c == ',' || (newlines && c == '\n') {
                self.bump();
            } else {
                break;
            }
        }
    }

    /// The text from byte `start` to byte `end`, without CRs.
    fn text_between(&self, start: usize, end: usize) -> String {
        let end = end.min(self.text.len());
        self.text[start.min(end)..end].replace('\r', "")
    }

    /// A word ends at a blank or a special character.
    fn word_at(&self) -> String {
        self.rest()
            .take_while(|c| {
                !c.is_whitespace() && !matches!(c, '(' | ')' | '&' | '|' | '<' | '>' | '"')
            })
            .collect()
    }

    /// Where the parser is, before any CR it stepped over.
    fn end_without_cr(&self) -> usize {
        self.text[..self.i].trim_end_matches('\r').len()
    }

    /// The end of the text read so far, without trailing blanks.
    fn trimmed_end(&self, start: usize) -> usize {
        let taken = &self.text[start..self.i];
        start + taken.trim_end_matches([' ', '\t', '\r', '\n']).len()
    }

    /// Goes one level deeper; past [`MAX_NESTING`] the parser stops: the
    /// rest of the text is taken as read.
    fn deeper(&mut self) -> bool {
        self.nesting += 1;
        if self.nesting > MAX_NESTING || self.too_deep {
            self.too_deep = true;
            self.i = self.text.len();
            return false;
        }
        true
    }

    fn sequence(&mut self) -> Command {
        let base = self.nesting;
        let left = self.sequence_links();
        self.nesting = base;
        left
    }

    fn sequence_links(&mut self) -> Command {
        let mut left = self.command();
        loop {
            self.skip_blanks(false);
            let op = if self.at("&&") {
                self.advance(2);
                Operator::And
            } else if self.at("||") {
                self.advance(2);
                Operator::Or
            } else if self.peek() == Some('|') {
                self.bump();
                Operator::Pipe
            } else if self.at("&") {
                self.bump();
                Operator::Then
            } else {
                // A line break ends the sequence: a logical line outside
                // blocks, the command of an `if`, or one line of a block
                // (whose next line is the block's next command).
                return left;
            };
            self.skip_blanks(self.depth > 0);
            if self.peek().is_none() || (self.peek() == Some(')') && self.depth > 0) {
                return left;
            }
            if !self.deeper() {
                return left;
            }
            let right = self.command();
            left = Command::Sequence(Box::new(left), op, Box::new(right));
        }
    }

    /// The rest of the line as one command (`&`, `&&`, `||` included), as
    /// an `if` without a block takes it.
    fn line_sequence(&mut self) -> Command {
        self.line_tail += 1;
        let cmd = self.sequence();
        self.line_tail -= 1;
        cmd
    }

    fn command(&mut self) -> Command {
        self.skip_blanks(self.depth > 0);
        while self.peek() == Some('@') {
            self.bump();
        }
        let start = self.i;
        let line = self.lines_before(start);
        if self.peek() == Some('(') {
            return self.block(start, line);
        }
        if self.peek() == Some(':') && self.depth > 0 {
            // `::comment` or `:label` inside a block: cmd skips the line.
            while self.peek().is_some_and(|c| c != '\n') {
                self.bump();
            }
            return Command::Simple(Simple {
                range: start..start,
                line,
                end_line: line,
                text: String::new(),
                redirections: Vec::new(),
            });
        }
        let word = self.word_at().to_ascii_lowercase();
        match word.as_str() {
            "if" => self.if_command(start, line),
            "for" => self.for_command(start, line),
            w if is_rem_word(w) => {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.bump();
                }
                Command::Simple(Simple {
                    range: start..self.trimmed_end(start),
                    line,
                    end_line: line,
                    text: self.text_between(start, self.i),
                    redirections: Vec::new(),
                })
            }
            _ => self.simple(start, line),
        }
    }

    fn block(&mut self, start: usize, line: usize) -> Command {
        self.bump();
        let base = self.nesting;
        if !self.deeper() {
            return Command::Block(Block {
                range: start..start,
                line,
                commands: Vec::new(),
            });
        }
        self.depth += 1;
        // Lines inside the block are the block's, whatever encloses it.
        let line_tail = std::mem::take(&mut self.line_tail);
        let mut commands = Vec::new();
        loop {
            self.skip_blanks(true);
            match self.peek() {
                None => {
                    self.open = Some(Open::Block);
                    break;
                }
                Some(')') => {
                    self.bump();
                    break;
                }
                _ => {
                    let before = self.i;
                    commands.push(self.sequence());
                    if self.i == before {
                        // Nothing could be read here: step over it, so
                        // that a block always ends.
                        self.bump();
                    }
                }
            }
        }
        self.depth -= 1;
        self.nesting = base;
        self.line_tail = line_tail;
        let end = self.i;
        // Redirections after `)` apply to the whole block; the review does
        // not model them.
        self.skip_redirections();
        Command::Block(Block {
            range: start..end,
            line,
            commands,
        })
    }

    fn skip_redirections(&mut self) {
        loop {
            self.skip_blanks(false);
            let digit_redirect = self.peek().is_some_and(|c| c.is_ascii_digit())
                && matches!(self.peek_second(), Some('>' | '<'));
            if matches!(self.peek(), Some('>' | '<')) || digit_redirect {
                let _ = self.redirection();
            } else {
                return;
            }
        }
    }

    /// Reads `>file`, `>>file`, `2>&1`, `<file`.
    fn redirection(&mut self) -> Redirection {
        let start = self.i;
        let mut handle = None;
        if let Some(c) = self.peek().filter(char::is_ascii_digit) {
            handle = Some(c as u8 - b'0');
            self.bump();
        }
        let mut operator = String::new();
        while let Some(c @ ('>' | '<')) = self.peek() {
            operator.push(c);
            self.bump();
            if operator.len() == 2 || c == '<' {
                break;
            }
        }
        let reads = operator.starts_with('<');
        let handle = handle.unwrap_or(if reads { 0 } else { 1 });
        if self.peek() == Some('&') {
            self.bump();
            let target_start = self.i;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
            return Redirection {
                range: start..self.i,
                handle,
                kind: RedirectionKind::Duplicate,
                target: self.text_between(target_start, self.i),
            };
        }
        self.skip_blanks(false);
        let target_start = self.i;
        let mut quoted = false;
        while let Some(c) = self.peek() {
            if c == '\n' {
                // A line break ends the line, quotes or not.
                break;
            }
            if c == '"' {
                quoted = !quoted;
            } else if !quoted && (c.is_whitespace() || matches!(c, '&' | '|' | ')' | '<' | '>')) {
                break;
            }
            self.bump();
        }
        let kind = match operator.as_str() {
            ">>" => RedirectionKind::Append,
            ">" => RedirectionKind::Write,
            _ => RedirectionKind::Read,
        };
        Redirection {
            range: start..self.i,
            handle,
            kind,
            target: self.text_between(target_start, self.i),
        }
    }

    /// A simple command: up to an unquoted `&`, `|`, line end, or `)` closing a block.
    fn simple(&mut self, start: usize, line: usize) -> Command {
        let mut text = String::new();
        let mut quoted = false;
        let mut redirections = Vec::new();
        let mut end = start;
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            if quoted {
                if c == '"' {
                    quoted = false;
                }
                text.push(c);
                self.bump();
                end = self.end_without_cr();
                continue;
            }
            match c {
                '"' => {
                    quoted = true;
                    text.push(c);
                    self.bump();
                }
                '^' => {
                    self.bump();
                    match self.peek() {
                        // A caret at the end of a line continues it on the
                        // next; cmd takes that line's first character as it is.
                        Some('\n') => {
                            self.bump();
                            match self.peek() {
                                Some(next) => {
                                    text.push(next);
                                    self.bump();
                                }
                                None => self.open = Some(Open::Continuation),
                            }
                        }
                        Some(next) => {
                            text.push(next);
                            self.bump();
                        }
                        None => self.open = Some(Open::Continuation),
                    }
                }
                '&' | '|' => break,
                ')' if self.depth > 0 => break,
                '>' | '<' => redirections.push(self.redirection()),
                d if d.is_ascii_digit()
                    && matches!(self.peek_second(), Some('>' | '<'))
                    && (text.is_empty() || text.ends_with(|p: char| p.is_whitespace())) =>
                {
                    redirections.push(self.redirection());
                }
                _ => {
                    text.push(c);
                    self.bump();
                }
            }
            if !c.is_whitespace() {
                end = self.end_without_cr();
            }
        }
        let end = end.max(start);
        Command::Simple(Simple {
            range: start..end,
            line,
            end_line: self.lines_before(end),
            text,
            redirections,
        })
    }

    /// A token of an `if` condition: a quoted string with what sticks to it, or a word.
    fn if_token(&mut self) -> Operand {
        self.skip_blanks(false);
        let start = self.i;
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
            self.bump();
        }
        Operand {
            text: self.text_between(start, self.i),
            range: start..self.i,
        }
    }

    fn if_command(&mut self, start: usize, line: usize) -> Command {
        self.advance(2);
        let mut negate = false;
        let mut ignore_case = false;
        loop {
            self.skip_blanks(false);
            let w = self.word_at().to_ascii_lowercase();
            if w == "/i" {
                ignore_case = true;
                self.advance(2);
            } else if w == "not" {
                negate = true;
                self.advance(3);
            } else {
                break;
            }
        }
        self.skip_blanks(false);
        let keyword = self.word_at().to_ascii_lowercase();
        let condition = match keyword.as_str() {
            "errorlevel" | "cmdextversion" => {
                self.advance(keyword.len());
                let n = self.if_token();
                let n = super::words::parse_number(&n.text).unwrap_or(0) as i32;
                if keyword == "errorlevel" {
                    Condition::ErrorLevel(n)
                } else {
                    Condition::CmdExtVersion(n)
                }
            }
            "exist" => {
                self.advance(keyword.len());
                Condition::Exist(self.if_token())
            }
            "defined" => {
                self.advance(keyword.len());
                Condition::Defined(self.if_token())
            }
            _ => {
                let left = self.if_token();
                if left.text.is_empty() {
                    // `if %APP% == "" (` with APP empty: cmd reads `==` as
                    // the left operand and stops at what follows.
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                    return Command::SyntaxError(SyntaxError {
                        message: "( was unexpected at this time.".to_owned(),
                        range: start..self.i,
                        line,
                    });
                }
                self.skip_blanks(false);
                let op = if self.at("==") {
                    self.advance(2);
                    CompareOp::Text
                } else {
                    let w = self.word_at().to_ascii_lowercase();
                    self.advance(w.chars().count());
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
        let range = start..self.i;
        let base = self.nesting;
        if !self.deeper() {
            return Command::Simple(Simple {
                range: start..start,
                line,
                end_line: line,
                text: String::new(),
                redirections: Vec::new(),
            });
        }
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
                self.advance(4);
                self.skip_blanks(false);
                otherwise = Some(if self.peek() == Some('(') {
                    self.command()
                } else {
                    self.line_sequence()
                });
            } else {
                self.i = save;
            }
        }
        self.nesting = base;
        Command::If(Box::new(If {
            range,
            line,
            negate,
            ignore_case,
            condition,
            then,
            otherwise,
        }))
    }

    fn for_command(&mut self, start: usize, line: usize) -> Command {
        self.advance(3);
        let mut switch = String::new();
        let mut options = String::new();
        loop {
            self.skip_blanks(false);
            if self.peek() == Some('/') {
                switch = self.word_at().to_ascii_lowercase();
                self.advance(switch.chars().count());
                self.skip_blanks(false);
                if switch == "/f" && self.peek() == Some('"') {
                    self.bump();
                    let options_start = self.i;
                    while self.peek().is_some_and(|c| c != '"' && c != '\n') {
                        self.bump();
                    }
                    options = self.text_between(options_start, self.i);
                    self.bump();
                }
            } else {
                break;
            }
        }
        self.skip_blanks(false);
        let variable_start = self.i;
        // `%%i` as written in a batch file (`%i` once percent expansion
        // has run, as `review` parses it).
        self.advance(if self.at("%%") { 3 } else { 2 });
        let variable = self.text_between(variable_start, self.i);
        self.skip_blanks(false);
        if self.word_at().eq_ignore_ascii_case("in") {
            self.advance(2);
        }
        self.skip_blanks(false);
        let mut set = String::new();
        if self.peek() == Some('(') {
            self.bump();
            let mut quoted = None;
            while let Some(c) = self.peek() {
                match (quoted, c) {
                    (None, ')') => break,
                    (None, '"' | '\'' | '`') => quoted = Some(c),
                    (Some(q), c) if c == q => quoted = None,
                    _ => {}
                }
                set.push(c);
                self.bump();
            }
            if self.peek().is_none() {
                self.open = Some(Open::Block);
                return Command::Simple(Simple {
                    range: start..self.i,
                    line,
                    end_line: line,
                    text: String::new(),
                    redirections: Vec::new(),
                });
            }
            self.bump();
        }
        self.skip_blanks(false);
        if self.word_at().eq_ignore_ascii_case("do") {
            self.advance(2);
        }
        self.skip_blanks(false);
        let body_start = self.i;
        // The body: a block, or the rest of the line (whose own blocks,
        // as in `do if x (a) else (b)`, may span lines).
        let block_body = self.peek() == Some('(');
        let mut depth = 0usize;
        let mut quoted = false;
        while let Some(c) = self.peek() {
            match c {
                '"' => quoted = !quoted,
                '(' if !quoted => depth += 1,
                ')' if !quoted && depth > 0 => {
                    depth -= 1;
                    if depth == 0 && block_body {
                        self.bump();
                        break;
                    }
                }
                ')' if !quoted && self.depth > 0 => break,
                '\n' if depth == 0 => break,
                _ => {}
            }
            self.bump();
        }
        if depth > 0 {
            self.open = Some(Open::Block);
        }
        let body_range = body_start..self.i;
        let body = self.text_between(body_start, self.i);
        Command::For(Box::new(For {
            range: start..self.i,
            line,
            variable: variable.trim_start_matches('%').to_owned(),
            source: for_source(&switch, &options, set.trim()),
            split: (switch == "/f").then(|| LineSplit::parse(&options)),
            body,
            body_range,
        }))
    }
}

fn for_source(switch: &str, options: &str, set: &str) -> ForSource {
    if switch != "/f" {
        return ForSource::Words(super::words::call_arguments(set));
    }
    let usebackq = options.to_ascii_lowercase().contains("usebackq");
    if usebackq && set.starts_with('`') {
        ForSource::Command(set.trim_matches('`').to_owned())
    } else if !usebackq && set.starts_with('\'') {
        ForSource::Command(set.trim_matches('\'').to_owned())
    } else if !usebackq && set.starts_with('"') {
        ForSource::Text(set.trim_matches('"').to_owned())
    } else if usebackq && set.starts_with('\'') {
        ForSource::Text(set.trim_matches('\'').to_owned())
    } else {
        ForSource::File(set.trim_matches('"').to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Command {
        let parsed = parse(text, 0);
        assert_eq!(parsed.open, None, "incomplete: {text}");
        parsed.command
    }

    fn text(command: &Command) -> &str {
        match command {
            Command::Simple(s) => s.text.trim_end(),
            other => panic!("not a simple command: {other:?}"),
        }
    }

    #[test]
    fn redirections_and_operators_split_commands() {
        let Command::Simple(s) = parsed(r#""C:\a b\appcmd.exe" list site "X" >nul 2>&1"#) else {
            panic!()
        };
        assert_eq!(s.text.trim_end(), r#""C:\a b\appcmd.exe" list site "X""#);
        assert_eq!(s.redirections.len(), 2);
        assert_eq!(s.redirections[1].kind, RedirectionKind::Duplicate);
        assert_eq!(s.output_file(), None);
        let Command::Sequence(left, Operator::Or, right) =
            parsed("rmdir \"C:\\x\" 2>nul || echo kept")
        else {
            panic!()
        };
        assert_eq!(text(&left), "rmdir \"C:\\x\"");
        assert_eq!(text(&right), "echo kept");
        assert_eq!(text(&parsed("echo a ^& b")), "echo a & b");
        assert_eq!(text(&parsed("echo \"a & b\"")), "echo \"a & b\"");
        let Command::Simple(s) = parsed(">>log.txt echo x") else {
            panic!()
        };
        assert_eq!(s.output_file().map(|r| r.target.as_str()), Some("log.txt"));
        assert_eq!(s.text.trim(), "echo x");
    }

    #[test]
    fn ranges_are_those_of_the_text() {
        let text = "@echo off\r\n  appcmd list site > \"a b.txt\" & echo done\r\n";
        let parsed = parse(text, 11);
        let Command::Sequence(left, Operator::Then, right) = &parsed.command else {
            panic!("{parsed:?}")
        };
        let Command::Simple(s) = left.as_ref() else {
            panic!()
        };
        assert_eq!(&text[s.range.clone()], "appcmd list site > \"a b.txt\"");
        assert_eq!(&text[s.redirections[0].range.clone()], "> \"a b.txt\"");
        let Command::Simple(r) = right.as_ref() else {
            panic!()
        };
        assert_eq!(&text[r.range.clone()], "echo done");
        assert_eq!(&text[parsed.end..], "\n");
    }

    #[test]
    fn a_caret_continues_the_line_and_escapes_the_next_character() {
        let parsed = parse("echo a^\r\n&echo b\r\n", 0);
        let Command::Simple(s) = &parsed.command else {
            panic!("{parsed:?}")
        };
        assert_eq!(s.text, "echo a&echo b");
        assert_eq!((s.line, s.end_line), (0, 1));
        assert_eq!(parse("appcmd add site ^", 0).open, Some(Open::Continuation));
    }

    #[test]
    fn if_takes_the_rest_of_the_line_and_else_follows_a_block() {
        let Command::If(i) = parsed("if errorlevel 1 echo a & echo b") else {
            panic!()
        };
        assert!(matches!(i.then, Command::Sequence(..)));
        let Command::If(i) = parsed("if \"%X%\"==\"1\" (echo a) else (echo b)") else {
            panic!()
        };
        let Condition::Compare(left, CompareOp::Text, right) = &i.condition else {
            panic!()
        };
        assert_eq!(
            (left.text.as_str(), right.text.as_str()),
            ("\"%X%\"", "\"1\"")
        );
        assert_eq!(left.range, 3..8);
        assert!(i.otherwise.is_some());
        assert_eq!(parse("if exist x (\n echo a", 0).open, Some(Open::Block));
        let Command::If(i) = parsed("if cmdextversion 2 echo x") else {
            panic!()
        };
        assert_eq!(i.condition, Condition::CmdExtVersion(2));
    }

    /// In a block, an `if` without parentheses takes the rest of its line
    /// only: the next line is the block's next command, on its own line.
    #[test]
    fn an_if_in_a_block_ends_with_its_line() {
        let Command::Block(block) = parsed("(\n  a\n  if errorlevel 1 goto x & echo y\n  b\n)")
        else {
            panic!()
        };
        // The lines of a block are commands run one after the other.
        fn flattened(command: &Command, out: &mut Vec<Command>) {
            match command {
                Command::Sequence(left, Operator::Then, right) => {
                    flattened(left, out);
                    flattened(right, out);
                }
                other => out.push(other.clone()),
            }
        }
        let mut commands = Vec::new();
        block
            .commands
            .iter()
            .for_each(|c| flattened(c, &mut commands));
        let lines: Vec<usize> = commands.iter().map(Command::line).collect();
        assert_eq!(lines, [1, 2, 3], "{block:?}");
        let Command::If(i) = &commands[1] else {
            panic!("{block:?}")
        };
        // `& echo y` is the if's; `b` is not.
        assert!(matches!(i.then, Command::Sequence(..)), "{i:?}");
        assert_eq!(text(&commands[2]), "b");
    }

    #[test]
    fn a_logical_line_ends_at_a_line_break_outside_blocks() {
        let text = "echo a\r\necho b\r\n";
        let first = parse(text, 0);
        // The CR is cmd's to drop: the line ends at its LF.
        assert_eq!(first.end, 7);
        let second = parse(text, 8);
        assert_eq!(text_of(text, &second.command), "echo b");
        let block = parse("if x (\r\n  a\r\n) else (\r\n  b\r\n)\r\nnext", 0);
        assert_eq!(block.open, None);
        assert!(block.end < 30);
    }

    fn text_of<'t>(source: &'t str, command: &Command) -> &'t str {
        match command {
            Command::Simple(s) => &source[s.range.clone()],
            other => panic!("{other:?}"),
        }
    }

    /// However deep a hostile line nests, the tree stays within
    /// [`MAX_NESTING`] (its walks and its drop cannot exhaust the stack).
    #[test]
    fn nesting_is_bounded() {
        fn depth(command: &Command) -> usize {
            1 + match command {
                Command::Block(b) => b.commands.iter().map(depth).max().unwrap_or(0),
                Command::Sequence(l, _, r) => depth(l).max(depth(r)),
                Command::If(i) => depth(&i.then).max(i.otherwise.as_ref().map_or(0, depth)),
                _ => 0,
            }
        }
        for text in [
            format!("{}echo x{}", "(".repeat(20_000), ")".repeat(20_000)),
            format!("{}echo x", "if 1==1 ".repeat(20_000)),
            "echo a&".repeat(20_000),
        ] {
            let parsed = parse(&text, 0);
            assert!(parsed.too_deep);
            assert!(depth(&parsed.command) <= MAX_NESTING + 2);
        }
        let ordinary = parse("(\n if exist x (echo a & echo b) else (echo c)\n)", 0);
        assert!(!ordinary.too_deep);
    }

    #[test]
    fn for_f_with_a_backquoted_command() {
        let Command::For(f) = parsed("for /f \"usebackq delims=\" %T in (`powershell -Command \"Get-Date\"`) do set \"S=%T\"") else {
            panic!()
        };
        assert_eq!(
            f.source,
            ForSource::Command("powershell -Command \"Get-Date\"".into())
        );
        assert_eq!(f.variable, "T");
        assert_eq!(f.split.as_ref().unwrap().delims, Vec::<char>::new());
        assert_eq!(f.body, "set \"S=%T\"");
        // A body that is itself a `for` (or an `if` with blocks) runs to the
        // end of the line, past the inner set's parentheses.
        let Command::For(f) = parsed("for %%i in (1) do for %%j in (2) do echo %%i%%j") else {
            panic!()
        };
        assert_eq!(f.body, "for %%j in (2) do echo %%i%%j");
        let Command::For(f) = parsed("for %%i in (1) do if x==x (echo a) else (echo b)") else {
            panic!()
        };
        assert_eq!(f.body, "if x==x (echo a) else (echo b)");
        let Command::For(f) = parsed("for %%f in (\n a.txt\n \"b c.txt\",d\n) do echo %%f") else {
            panic!()
        };
        assert_eq!(
            f.source,
            ForSource::Words(vec!["a.txt".into(), "\"b c.txt\"".into(), "d".into()])
        );
    }
}
