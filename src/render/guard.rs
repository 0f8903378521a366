//! What makes escaping impossible to bypass, also for `--templates`: every
//! value a batch or PowerShell template prints must be exactly what one of
//! that target's filters returned (not `|safe`, not a filter's output
//! changed by `|replace`, not a PowerShell literal in a batch file), and the
//! weaker escapers, valid only in one place of a line, are checked to stand
//! there once the file is rendered.
//!
//! Provenance: each escaper returns an [`Escaped`] object naming itself; the
//! formatter prints a value in a batch or PowerShell template only if it is
//! such an object from an escaper of that target. Place: the results of
//! [`Escaper::needs_place`] are
//! written between two private-use characters; after rendering,
//! [`check_places`] verifies each such stretch stands where its escaper is
//! valid and removes the marks. A template may not contain those characters
//! itself ([`MARK_START`], [`MARK_END`]).

/// Opens a stretch written by an escaper that is valid in one place only.
pub const MARK_START: char = '\u{E000}';
/// Closes it.
pub const MARK_END: char = '\u{E001}';

/// The escapers a template can call, by filter name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Escaper {
    /// `cmd`: a double-quoted argument, valid anywhere in a batch line.
    CmdArgument,
    /// `cmd_echo`: caret-escaped text for `echo`.
    CmdEcho,
    /// `cmd_comment`: only `%` doubled: in a `rem`/`::` line or inside quotes.
    CmdComment,
    /// `appcmd_item`: a value inside `[key='...']` of a quoted argument.
    AppcmdItem,
    /// `ps`: a single-quoted PowerShell literal.
    PsLiteral,
    /// `ps_comment`: text inside a PowerShell comment.
    PsComment,
    /// `xml_comment`: text inside `<!-- ... -->`.
    XmlComment,
}

/// The file type a template writes, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateTarget {
    Xml,
    Batch,
    PowerShell,
    Text,
}

impl TemplateTarget {
    /// From the template's name: the `{% autoescape %}` tag cannot change it.
    pub fn of(name: &str) -> TemplateTarget {
        if name.ends_with(".config.jinja")
            || name.ends_with(".xml.jinja")
            || name.ends_with(".html.jinja")
        {
            TemplateTarget::Xml
        } else if name.ends_with(".cmd.jinja") {
            TemplateTarget::Batch
        } else if name.ends_with(".ps1.jinja") {
            TemplateTarget::PowerShell
        } else {
            TemplateTarget::Text
        }
    }
}

impl Escaper {
    /// Whether this escaper's result may be printed in a template of `target`.
    pub fn serves(self, target: TemplateTarget) -> bool {
        use Escaper::*;
        match target {
            TemplateTarget::Batch => {
                matches!(self, CmdArgument | CmdEcho | CmdComment | AppcmdItem)
            }
            TemplateTarget::PowerShell => matches!(self, PsLiteral | PsComment),
            TemplateTarget::Xml => self == XmlComment,
            TemplateTarget::Text => true,
        }
    }

    fn tag(self) -> char {
        match self {
            Escaper::CmdArgument => 'a',
            Escaper::CmdEcho => 'e',
            Escaper::CmdComment => 'c',
            Escaper::AppcmdItem => 'i',
            Escaper::PsLiteral => 'l',
            Escaper::PsComment => 'p',
            Escaper::XmlComment => 'x',
        }
    }

    fn from_tag(tag: char) -> Option<Escaper> {
        Some(match tag {
            'a' => Escaper::CmdArgument,
            'e' => Escaper::CmdEcho,
            'c' => Escaper::CmdComment,
            'i' => Escaper::AppcmdItem,
            'l' => Escaper::PsLiteral,
            'p' => Escaper::PsComment,
            'x' => Escaper::XmlComment,
            _ => return None,
        })
    }

    /// The filter's name, for messages.
    pub fn filter(self) -> &'static str {
        match self {
            Escaper::CmdArgument => "cmd",
            Escaper::CmdEcho => "cmd_echo",
            Escaper::CmdComment => "cmd_comment",
            Escaper::AppcmdItem => "appcmd_item",
            Escaper::PsLiteral => "ps",
            Escaper::PsComment => "ps_comment",
            Escaper::XmlComment => "xml_comment",
        }
    }
}

/// An escaper's result as templates see it: an object, not a string, so
/// that the formatter knows where a value came from. Anything done to it in
/// a template (`|replace`, `~`, `|upper`) makes a plain string again, which
/// batch and PowerShell templates refuse and XML templates escape.
#[derive(Debug)]
pub struct Escaped {
    pub escaper: Escaper,
    pub text: String,
}

impl minijinja::value::Object for Escaped {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Plain
    }

    fn render(self: &std::sync::Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// `text` between the marks that [`check_places`] looks for.
pub fn marked(escaper: Escaper, text: &str) -> String {
    format!("{MARK_START}{}{text}{MARK_END}", escaper.tag())
}

/// Verifies that every marked stretch of `rendered` stands where its escaper
/// is valid, and returns the text without the marks; or says where one does
/// not (1-based line) and why.
pub fn check_places(rendered: &str) -> Result<String, String> {
    let mut out = String::with_capacity(rendered.len());
    let mut rest = rendered;
    while let Some(open) = rest.find(MARK_START) {
        out.push_str(&rest[..open]);
        let after = &rest[open + MARK_START.len_utf8()..];
        let mut chars = after.chars();
        let escaper = chars.next().and_then(Escaper::from_tag);
        let body = chars.as_str();
        let (Some(escaper), Some(close)) = (escaper, body.find(MARK_END)) else {
            return Err("a value's marks are broken (a filter's result was cut)".to_owned());
        };
        let line = out.matches('\n').count() + 1;
        let line_start = out.rfind('\n').map_or(0, |i| i + 1);
        if !in_place(escaper, &out, &out[line_start..]) {
            return Err(format!(
                "line {line}: the `{}` filter's result stands where it is not escaped enough; {}",
                escaper.filter(),
                place_help(escaper)
            ));
        }
        out.push_str(&body[..close]);
        rest = &body[close + MARK_END.len_utf8()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Whether a stretch of `escaper` may follow `before` (the whole text so far)
/// whose current line is `line`.
fn in_place(escaper: Escaper, before: &str, line: &str) -> bool {
    let inside_quotes = line.matches('"').count() % 2 == 1;
    match escaper {
        // A double-quoted argument: inside other quotes its own quotes
        // would end them and leave the value bare.
        Escaper::CmdArgument => !inside_quotes,
        // `'` doubled for appcmd's `[key='...']`: only inside a quoted argument.
        Escaper::AppcmdItem => inside_quotes,
        Escaper::CmdComment => {
            let command = line.trim_start().trim_start_matches('@').trim_start();
            let lower = command.to_ascii_lowercase();
            let rem = lower == "rem" || lower.starts_with("rem ") || lower.starts_with("rem\t");
            rem || command.starts_with("::") || inside_quotes
        }
        // Carets escape cmd's operators for the text of an echo; inside
        // quotes they would be printed, and elsewhere they are not enough.
        Escaper::CmdEcho => {
            let lower = line.to_ascii_lowercase();
            let echo = lower
                .trim_start()
                .trim_start_matches('@')
                .starts_with("echo")
                || lower.contains(" echo ");
            echo && !inside_quotes
        }
        // A single-quoted literal: not inside a PowerShell string, where it
        // would be text (`"... $(...)"` runs what it holds).
        Escaper::PsLiteral => matches!(
            powershell_state(before),
            PsState::Code | PsState::LineComment | PsState::BlockComment
        ),
        Escaper::PsComment => matches!(
            powershell_state(before),
            PsState::LineComment | PsState::BlockComment
        ),
        Escaper::XmlComment => {
            let open = before.rfind("<!--");
            let close = before.rfind("-->");
            open.is_some_and(|o| close.is_none_or(|c| c < o))
        }
    }
}

/// Where PowerShell's tokenizer stands at the end of a script prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PsState {
    Code,
    /// `'...'` (`''` is a quote) or `"..."` (`` ` `` escapes, `""` is a quote).
    SingleQuoted,
    DoubleQuoted,
    /// `@'` / `@"` here-strings, ended by `'@` / `"@` at a line start.
    HereSingle,
    HereDouble,
    LineComment,
    BlockComment,
}

/// Follows PowerShell's strings and comments through `text` (the quote
/// characters PowerShell treats alike are not needed: templates are ASCII
/// around values, and values are already escaped).
fn powershell_state(text: &str) -> PsState {
    let bytes = text.as_bytes();
    let mut state = PsState::Code;
    let mut i = 0;
    let at_line_start = |i: usize| i == 0 || bytes[i - 1] == b'\n';
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        state = match state {
            PsState::Code => match (b, next) {
                (b'#', _) => PsState::LineComment,
                (b'<', Some(b'#')) => {
                    i += 1;
                    PsState::BlockComment
                }
                (b'@', Some(b'\'')) => {
                    i += 1;
                    PsState::HereSingle
                }
                (b'@', Some(b'"')) => {
                    i += 1;
                    PsState::HereDouble
                }
                (b'\'', _) => PsState::SingleQuoted,
                (b'"', _) => PsState::DoubleQuoted,
                _ => PsState::Code,
            },
            PsState::SingleQuoted => match (b, next) {
                (b'\'', Some(b'\'')) => {
                    i += 1;
                    PsState::SingleQuoted
                }
                (b'\'', _) => PsState::Code,
                _ => PsState::SingleQuoted,
            },
            PsState::DoubleQuoted => match (b, next) {
                (b'`', _) | (b'"', Some(b'"')) => {
                    i += 1;
                    PsState::DoubleQuoted
                }
                (b'"', _) => PsState::Code,
                _ => PsState::DoubleQuoted,
            },
            PsState::HereSingle if b == b'\'' && next == Some(b'@') && at_line_start(i) => {
                i += 1;
                PsState::Code
            }
            PsState::HereDouble if b == b'"' && next == Some(b'@') && at_line_start(i) => {
                i += 1;
                PsState::Code
            }
            PsState::LineComment if b == b'\n' => PsState::Code,
            PsState::BlockComment if b == b'#' && next == Some(b'>') => {
                i += 1;
                PsState::Code
            }
            other => other,
        };
        i += 1;
    }
    state
}

fn place_help(escaper: Escaper) -> &'static str {
    match escaper {
        Escaper::CmdArgument => "cmd writes a quoted argument: use it outside quotes (inside them, cmd_comment)",
        Escaper::AppcmdItem => "appcmd_item is for a value inside a quoted appcmd collection indexer (\"[key='...']\")",
        Escaper::PsLiteral => "ps writes a single-quoted literal: use it in code, not inside a PowerShell string",
        Escaper::CmdComment => "cmd_comment only doubles `%`: use it in a `rem` line or inside double quotes, and `cmd` or `cmd_echo` elsewhere",
        Escaper::CmdEcho => "cmd_echo escapes text for `echo`: use `cmd` for arguments",
        Escaper::PsComment => "ps_comment is for comments: use `ps` for values in code",
        Escaper::XmlComment => "xml_comment is for comments: values in attributes and text are escaped without a filter",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_checked_and_marks_removed() {
        let ok = format!(
            "rem {}\r\necho {}\r\n",
            marked(Escaper::CmdComment, "a & b"),
            marked(Escaper::CmdEcho, "a ^& b")
        );
        assert_eq!(check_places(&ok).unwrap(), "rem a & b\r\necho a ^& b\r\n");
        let quoted = format!(
            "if not exist \"%X%\\{}\" goto :x\r\n",
            marked(Escaper::CmdComment, "page.html")
        );
        assert!(check_places(&quoted).is_ok());
        let echo = format!(
            "@echo off\r\necho {}\r\n",
            marked(Escaper::CmdComment, "a & calc")
        );
        let error = check_places(&echo).unwrap_err();
        assert!(
            error.starts_with("line 2: the `cmd_comment` filter"),
            "{error}"
        );
        let block = format!(
            "<#\n.SYNOPSIS {}\n#>\n$x = {}\n",
            marked(Escaper::PsComment, "v"),
            marked(Escaper::PsComment, "w")
        );
        assert!(check_places(&block).unwrap_err().starts_with("line 4"));
        let xml = format!(
            "<!-- {} --><a x=\"{}\"/>",
            marked(Escaper::XmlComment, "k"),
            marked(Escaper::XmlComment, "k")
        );
        assert!(check_places(&xml).is_err());
    }

    #[test]
    fn escapers_serve_their_own_target() {
        assert!(!Escaper::PsLiteral.serves(TemplateTarget::Batch));
        assert!(Escaper::PsLiteral.serves(TemplateTarget::PowerShell));
        assert!(!Escaper::CmdComment.serves(TemplateTarget::PowerShell));
        assert!(!Escaper::CmdArgument.serves(TemplateTarget::Xml));
        assert!(Escaper::XmlComment.serves(TemplateTarget::Xml));
    }
}
