//! Checks PowerShell scripts (`.ps1`): string quoting with the typographic
//! quote characters PowerShell also accepts as delimiters, encoding for
//! Windows PowerShell 5.1, error handling, and WebAdministration cmdlet
//! parameter names (PowerShell/PowerShell CharTraits.cs; about_Character_Encoding; the
//! WebAdministration reference in MicrosoftDocs/windows-powershell-docs).

use std::sync::Arc;

use crate::diagnostic::{Code, Diagnostic};
use crate::powershell::binding::{self, Problem};
use crate::source::{SourceFile, Span};

/// Single-quote delimiters: `'` and U+2018–U+201B (PowerShell's tokenizer treats them alike).
fn is_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

/// Double-quote delimiters: `"` and U+201C–U+201E.
fn is_double_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}' | '\u{201E}')
}

/// A piece of the script outside strings and comments: the code words are in it.
struct Code_ {
    /// The script with strings and comments blanked out (same byte offsets).
    masked: String,
}

/// Checks a PowerShell script. `bom` names the byte-order mark the file had.
pub fn check(file: &Arc<SourceFile>, bom: Option<&str>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let text = &file.text;
    if bom.is_none() {
        if let Some((i, c)) = text.char_indices().find(|(_, c)| !c.is_ascii()) {
            out.push(
                Diagnostic::new(Code::PsEncoding, format!("non-ASCII character `{c}` in a file without byte-order mark"))
                    .at(Some(&Span::new(file, i..i + c.len_utf8())))
                    .help("save the script as UTF-8 with BOM")
                    .note("Windows PowerShell 5.1 reads a BOM-less script in the ANSI code page, so this character changes"),
            );
        }
    }
    let code = tokenize(file, &mut out);
    let masked = code.masked.to_ascii_lowercase();
    let has_stop = masked.lines().any(|l| {
        let l = l.replace(' ', "");
        l.contains("$erroractionpreference=")
    }) && erroraction_is_stop(text);
    if !has_stop {
        out.push(
            Diagnostic::new(Code::PsErrorAction, "the script does not set $ErrorActionPreference = 'Stop'")
                .at(Some(&Span::new(file, 0..text.lines().next().map_or(0, str::len))))
                .help("add `$ErrorActionPreference = 'Stop'` near the top, so that a failing cmdlet stops the script")
                .note("by default PowerShell reports a cmdlet error and runs the next line"),
        );
    }
    native_commands(file, &code, &mut out);
    parameters(file, &mut out);
    out
}

fn erroraction_is_stop(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.to_ascii_lowercase().replace(' ', "");
        l.contains("$erroractionpreference='stop'") || l.contains("$erroractionpreference=\"stop\"")
    })
}

/// Blanks strings and comments, reporting strings that never end or end early.
fn tokenize(file: &Arc<SourceFile>, out: &mut Vec<Diagnostic>) -> Code_ {
    let text = &file.text;
    let mut masked: Vec<u8> = text.as_bytes().to_vec();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let blank = |masked: &mut Vec<u8>, from: usize, to: usize| {
        for b in &mut masked[from..to] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    };
    let end_of = |k: usize| chars.get(k).map_or(text.len(), |c| c.0);
    let mut k = 0;
    while k < chars.len() {
        let (at, c) = chars[k];
        if c == '#' {
            let mut j = k;
            while j < chars.len() && chars[j].1 != '\n' {
                j += 1;
            }
            blank(&mut masked, at, end_of(j));
            k = j;
            continue;
        }
        if c == '<' && chars.get(k + 1).is_some_and(|n| n.1 == '#') {
            let close = text[at..].find("#>").map_or(text.len(), |i| at + i + 2);
            blank(&mut masked, at, close);
            while k < chars.len() && chars[k].0 < close {
                k += 1;
            }
            continue;
        }
        if c == '@'
            && chars
                .get(k + 1)
                .is_some_and(|n| is_single_quote(n.1) || is_double_quote(n.1))
        {
            // Here-string: ends at a line starting with the quote and `@`.
            let quote_double = is_double_quote(chars[k + 1].1);
            let mut j = k + 2;
            let mut closed = None;
            while j < chars.len() {
                if chars[j].1 == '\n' {
                    let mut m = j + 1;
                    if m < chars.len()
                        && (if quote_double {
                            is_double_quote(chars[m].1)
                        } else {
                            is_single_quote(chars[m].1)
                        })
                        && chars.get(m + 1).is_some_and(|n| n.1 == '@')
                    {
                        m += 2;
                        closed = Some(m);
                        break;
                    }
                }
                j += 1;
            }
            let end = closed.unwrap_or(chars.len());
            if closed.is_none() {
                out.push(
                    Diagnostic::new(Code::PsQuoting, "this here-string never ends")
                        .at(Some(&Span::new(file, at..end_of(k + 2))))
                        .help("end it with a line that starts with '@ (or \"@)"),
                );
            }
            blank(&mut masked, at, end_of(end));
            k = end;
            continue;
        }
        if is_single_quote(c) || is_double_quote(c) {
            let double = is_double_quote(c);
            let is_quote = |q: char| {
                if double {
                    is_double_quote(q)
                } else {
                    is_single_quote(q)
                }
            };
            let mut j = k + 1;
            let mut closed = false;
            while j < chars.len() {
                let q = chars[j].1;
                if double && q == '`' {
                    j += 2;
                    continue;
                }
                if is_quote(q) {
                    if chars.get(j + 1).is_some_and(|n| is_quote(n.1)) {
                        j += 2;
                        continue;
                    }
                    if q != c && !q.is_ascii() && c.is_ascii() {
                        out.push(
                            Diagnostic::new(Code::PsQuoting, format!("the typographic quote `{q}` ends this string in PowerShell"))
                                .at(Some(&Span::new(file, chars[j].0..chars[j].0 + q.len_utf8())))
                                .label("string ends here")
                                .help(format!("double it (`{q}{q}`) to keep it in the string, or write the plain apostrophe doubled ('')"))
                                .note("PowerShell treats U+2018-U+201B like ' and U+201C-U+201E like \" when it reads strings"),
                        );
                    }
                    closed = true;
                    break;
                }
                j += 1;
            }
            if !closed {
                out.push(
                    Diagnostic::new(Code::PsQuoting, "this string never ends")
                        .at(Some(&Span::new(file, at..at + c.len_utf8())))
                        .label("string starts here")
                        .help("close the string with the same kind of quote; double a quote inside it"),
                );
            }
            blank(&mut masked, at, end_of((j + 1).min(chars.len())));
            k = j + 1;
            continue;
        }
        k += 1;
    }
    Code_ {
        masked: String::from_utf8(masked).unwrap_or_default(),
    }
}

const NATIVE: &[&str] = &[
    "appcmd",
    "appcmd.exe",
    "icacls",
    "icacls.exe",
    "dism",
    "dism.exe",
    "net",
    "net.exe",
    "iisreset",
    "iisreset.exe",
    "python",
    "python.exe",
    "msiexec",
    "msiexec.exe",
];

fn line_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices('\n') {
        out.push(start..i);
        start = i + 1;
    }
    out.push(start..text.len());
    out
}

fn native_commands(file: &Arc<SourceFile>, code: &Code_, out: &mut Vec<Diagnostic>) {
    let lines = line_ranges(&code.masked);
    for (n, range) in lines.iter().enumerate() {
        let masked = code.masked[range.clone()].trim();
        let original = file.text[range.clone()].trim();
        let first = masked
            .trim_start_matches('&')
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let invoked = masked.starts_with('&');
        let native = NATIVE.contains(&first.as_str())
            || first.ends_with(".exe")
            || (invoked && !original.is_empty());
        if !native {
            continue;
        }
        let checked_here =
            masked.to_ascii_lowercase().contains("$lastexitcode") || masked.contains("$?");
        let next = lines[n + 1..]
            .iter()
            .map(|r| code.masked[r.clone()].trim())
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .to_ascii_lowercase();
        if checked_here || next.contains("$lastexitcode") || next.contains("$?") {
            continue;
        }
        let start = range.start
            + (file.text[range.clone()].len() - file.text[range.clone()].trim_start().len());
        out.push(
            Diagnostic::new(Code::PsUncheckedNative, "the script goes on when this native command fails")
                .at(Some(&Span::new(file, start..start + original.len())))
                .label("exit code not checked")
                .help("follow it with `if ($LASTEXITCODE -ne 0) { throw \"... failed: $LASTEXITCODE\" }`")
                .note("$ErrorActionPreference = 'Stop' does not stop on a native program's exit code in Windows PowerShell 5.1"),
        );
    }
}

/// Cmdlet calls bound as PowerShell binds them ([`crate::powershell`]):
/// an unknown parameter is OW505, one bound twice OW506 (PowerShell:
/// "Cannot bind parameter because parameter 'X' is specified more than
/// once"), and what else the binder refuses before the cmdlet runs OW507
/// (parameters of two parameter sets, an argument no position takes, a
/// parameter without its value, an ambiguous prefix), with the cmdlet's
/// syntax in the help.
fn parameters(file: &Arc<SourceFile>, out: &mut Vec<Diagnostic>) {
    let Some(commands) = crate::powershell::commands(&file.text) else {
        return;
    };
    for command in &commands {
        let Some(cmdlet) = binding::cmdlet(&command.name) else {
            continue;
        };
        for problem in binding::bind(cmdlet, command) {
            out.push(finding(file, cmdlet, problem));
        }
    }
}

fn finding(file: &Arc<SourceFile>, cmdlet: &binding::Cmdlet, problem: Problem) -> Diagnostic {
    let name = &cmdlet.name;
    let syntax = || binding::signature(cmdlet).join("  |  ");
    match problem {
        Problem::Unknown { at: range, written } => {
            Diagnostic::new(Code::PsUnknownParameter, format!("`{name}` has no parameter `-{written}`"))
                .at(Some(&Span::new(file, range.clone())))
                .label("unknown parameter")
                .help(syntax())
                .note("PowerShell stops with \"A parameter cannot be found that matches parameter name\" before the cmdlet runs")
        }
        Problem::Twice { at: range, name: parameter } => Diagnostic::new(
            Code::PsParameterTwice,
            format!("`{name}` gets the parameter `-{parameter}` a second time"),
        )
        .at(Some(&Span::new(file, range.clone())))
        .label("bound twice")
        .help(format!(
            "give each parameter once; if a second command follows on this line, put it on a line of its own ({})",
            syntax()
        ))
        .note("PowerShell stops with \"Cannot bind parameter because parameter is specified more than once\" before the cmdlet runs"),
        Problem::Ambiguous { at: range, written, matches } => Diagnostic::new(
            Code::PsParameterBinding,
            format!("`-{written}` could be any of -{} of `{name}`", matches.join(", -")),
        )
        .at(Some(&Span::new(file, range.clone())))
        .label("ambiguous")
        .help(format!("write more of the name: {}", syntax()))
        .note("PowerShell stops with \"Parameter cannot be processed because the parameter name is ambiguous\""),
        Problem::MissingArgument { at: range, name: parameter } => Diagnostic::new(
            Code::PsParameterBinding,
            format!("`-{parameter}` of `{name}` has no value"),
        )
        .at(Some(&Span::new(file, range.clone())))
        .label("value missing")
        .help(format!("give it a value: {}", syntax()))
        .note("PowerShell stops with \"Missing an argument for parameter\""),
        Problem::NoSet { at: range, named } => Diagnostic::new(
            Code::PsParameterBinding,
            format!(
                "`{name}` cannot take -{} together: they belong to different parameter sets",
                named.join(", -")
            ),
        )
        .at(Some(&Span::new(file, range.clone())))
        .label("no parameter set has all of these")
        .help(format!("use the parameters of one line: {}", syntax()))
        .note("PowerShell stops with \"Parameter set cannot be resolved using the specified named parameters\""),
        Problem::NoPosition { at: range } => Diagnostic::new(
            Code::PsParameterBinding,
            format!("`{name}` has no positional parameter left for this argument"),
        )
        .at(Some(&Span::new(file, range.clone())))
        .label("one argument too many")
        .help(format!(
            "name the parameter it is for, or quote a value with spaces: {}",
            syntax()
        ))
        .note("PowerShell stops with \"A positional parameter cannot be found that accepts argument\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parentheses_end_and_resume_commands() {
        let ok = "$ErrorActionPreference = 'Stop'\nif ((Test-Path -LiteralPath $p) -and $x) { }\nNew-WebAppPool -Name (Get-Name -Whatever) -Force\n";
        assert_eq!(codes(ok, None), Vec::<&str>::new());
        let bad = "$ErrorActionPreference = 'Stop'\nNew-WebAppPool -Name (Get-Name) -Bogus\n";
        assert_eq!(codes(bad, None), vec!["OW505"]);
    }

    fn codes(text: &str, bom: Option<&str>) -> Vec<&'static str> {
        let file = SourceFile::new("t.ps1", text);
        check(&file, bom).iter().map(|d| d.code.id()).collect()
    }

    #[test]
    fn clean_script() {
        let s = "$ErrorActionPreference = 'Stop'\r\nImport-Module WebAdministration\r\nNew-WebAppPool -Name 'it''s' -Force\r\n& $appcmd list site\r\nif ($LASTEXITCODE -ne 0) { throw 'x' }\r\n";
        assert_eq!(codes(s, None), Vec::<&str>::new());
    }

    #[test]
    fn mistakes() {
        assert_eq!(
            codes(
                "$ErrorActionPreference = 'Stop'\n$a = 'it\u{2019}s'\n",
                Some("UTF-8")
            ),
            ["OW504", "OW504"]
        );
        assert_eq!(
            codes("$ErrorActionPreference = 'Stop'\n$a = 'caf\u{e9}'\n", None),
            ["OW501"]
        );
        assert_eq!(codes("New-WebAppPool -Name x\n", None), ["OW502"]);
        assert_eq!(
            codes(
                "$ErrorActionPreference = 'Stop'\nicacls C:\\x /grant y:M\n",
                None
            ),
            ["OW503"]
        );
        assert_eq!(
            codes(
                "$ErrorActionPreference = 'Stop'\nNew-WebApplication -Nmae x -Site y\n",
                None
            ),
            ["OW505"]
        );
        assert!(codes("$ErrorActionPreference = 'Stop'\nNew-WebApplication -N x -PhysicalPath 'a -Bogus' -WhatIf\n", None).is_empty());
    }

    #[test]
    fn a_second_command_on_one_line_binds_parameters_twice() {
        // The defect of the 0.x isapi-wsgi install.ps1: a template tag ate the line end.
        let joined = "$ErrorActionPreference = 'Stop'\nSet-ItemProperty -LiteralPath $i -Name a -Value $false  Set-ItemProperty -LiteralPath $i -Name b -Value 0\n";
        assert_eq!(codes(joined, None), ["OW506", "OW506", "OW506"]);
        let apart = "$ErrorActionPreference = 'Stop'\nSet-ItemProperty -LiteralPath $i -Name a -Value $false\nSet-ItemProperty -LiteralPath $i -Name b -Value 0\n";
        assert_eq!(codes(apart, None), Vec::<&str>::new());
        // A prefix and the full name are one parameter; a cmdlet name as an argument is a string.
        assert_eq!(
            codes(
                "$ErrorActionPreference = 'Stop'\nNew-WebAppPool -N x -Name y\n",
                None
            ),
            ["OW506"]
        );
        assert_eq!(codes("$ErrorActionPreference = 'Stop'\nWrite-Host Set-ItemProperty Name x\n$x = New-WebAppPool -Name a; New-WebAppPool -Name b\n", None), Vec::<&str>::new());
    }
}
