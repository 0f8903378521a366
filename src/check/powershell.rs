//! Checks PowerShell scripts (`.ps1`): string quoting with the typographic
//! quote characters PowerShell also accepts as delimiters, encoding for
//! Windows PowerShell 5.1, error handling, and WebAdministration cmdlet
//! parameter names (PowerShell/PowerShell CharTraits.cs; about_Character_Encoding; the
//! WebAdministration reference in MicrosoftDocs/windows-powershell-docs).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, Span};

const CMDLETS_TOML: &str = include_str!("../../schemas/iis/webadministration.toml");

#[derive(Deserialize)]
struct Cmdlets {
    common: Vec<String>,
    cmdlets: BTreeMap<String, Vec<String>>,
}

fn cmdlets() -> &'static Cmdlets {
    static TABLE: OnceLock<Cmdlets> = OnceLock::new();
    TABLE.get_or_init(|| {
        toml::from_str(CMDLETS_TOML).expect("webadministration.toml is valid (unit-tested)")
    })
}

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
    parameters(file, &code, &mut out);
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

/// The command being read by `parameters`: which cmdlet, and which of its
/// parameters are bound so far (full names, as PowerShell resolves prefixes).
struct Invocation<'t> {
    name: &'t str,
    params: &'t [String],
    bound: Vec<&'t str>,
}

/// Reads the cmdlet calls of the script word by word: a cmdlet name counts
/// only at command position (the start of a statement, after `|`, `;`, `{`,
/// `(` or `=`); elsewhere it is a positional argument, as PowerShell reads
/// it. Each `-Parameter` is resolved like PowerShell's binder does (exact
/// name, else the one name it is a prefix of): unknown is OW505, bound a
/// second time is OW506 (PowerShell: "Cannot bind parameter because
/// parameter 'X' is specified more than once", about_Parameters on
/// learn.microsoft.com).
fn parameters(file: &Arc<SourceFile>, code: &Code_, out: &mut Vec<Diagnostic>) {
    let table = cmdlets();
    let masked = &code.masked;
    let mut current: Option<Invocation> = None;
    let mut at_command_position = true;
    // The command around each open parenthesis: `(Test-Path x) -and ...` ends
    // Test-Path at `)`, and `New-X -Value (Get-Date) -Force` resumes New-X.
    let mut enclosing: Vec<Option<Invocation>> = Vec::new();
    let mut start = None;
    let bytes = masked.as_bytes();
    let mut i = 0;
    while i <= bytes.len() {
        let boundary = i == bytes.len()
            || bytes[i].is_ascii_whitespace()
            || matches!(
                bytes[i],
                b'|' | b';' | b'(' | b')' | b'{' | b'}' | b'=' | b','
            );
        if boundary {
            if let Some(s) = start.take() {
                let word = &masked[s..i];
                if at_command_position {
                    at_command_position = false;
                    current = table
                        .cmdlets
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(word))
                        .map(|(name, params)| Invocation {
                            name,
                            params,
                            bound: Vec::new(),
                        });
                } else if let (Some(call), Some(param)) = (current.as_mut(), word.strip_prefix('-'))
                {
                    parameter(file, s..i, param, call, &table.common, out);
                }
            }
            if i < bytes.len() && bytes[i] == b'(' {
                enclosing.push(current.take());
                at_command_position = true;
            }
            if i < bytes.len() && bytes[i] == b')' {
                current = enclosing.pop().unwrap_or(None);
                at_command_position = false;
            }
            if i < bytes.len() && matches!(bytes[i], b'\n' | b'|' | b';' | b'{' | b'}' | b'=') {
                // A new statement starts; a backtick continuation keeps the command.
                let continued =
                    bytes[i] == b'\n' && masked[..i].trim_end_matches('\r').ends_with('`');
                if !continued && bytes[i] != b'=' {
                    current = None;
                }
                if !continued && (bytes[i] != b'=' || current.is_none()) {
                    at_command_position = true;
                }
            }
        } else if start.is_none() {
            start = Some(i);
        }
        i += 1;
    }
}

/// One `-Parameter` word of `call`: resolves it and reports OW505 / OW506.
fn parameter<'t>(
    file: &Arc<SourceFile>,
    at: std::ops::Range<usize>,
    param: &str,
    call: &mut Invocation<'t>,
    common: &[String],
    out: &mut Vec<Diagnostic>,
) {
    let param = param.trim_end_matches(':');
    if !param
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
    {
        return;
    }
    let lower = param.to_ascii_lowercase();
    let exact = call.params.iter().find(|p| p.eq_ignore_ascii_case(param));
    let mut prefixed = call
        .params
        .iter()
        .filter(|p| p.to_ascii_lowercase().starts_with(&lower));
    let resolved = exact.or_else(|| {
        let first = prefixed.next();
        if prefixed.next().is_some() {
            None
        } else {
            first
        }
    });
    let is_common = common
        .iter()
        .any(|c| c.to_ascii_lowercase().starts_with(&lower));
    let signature = || format!("parameters of {}: -{}", call.name, call.params.join(", -"));
    match resolved {
        Some(name) if call.bound.contains(&name.as_str()) => out.push(
            Diagnostic::new(
                Code::PsParameterTwice,
                format!("`{}` gets the parameter `-{name}` a second time", call.name),
            )
            .at(Some(&Span::new(file, at)))
            .label("bound twice")
            .help(format!(
                "give each parameter once; if a second command follows on this line, put it on a line of its own ({})",
                signature()
            ))
            .note("PowerShell stops with \"Cannot bind parameter because parameter is specified more than once\" before the cmdlet runs"),
        ),
        Some(name) => call.bound.push(name),
        None if is_common || call.params.iter().any(|p| p.to_ascii_lowercase().starts_with(&lower)) => {}
        None => out.push(
            Diagnostic::new(
                Code::PsUnknownParameter,
                format!("`{}` has no parameter `-{param}`", call.name),
            )
            .at(Some(&Span::new(file, at)))
            .label("unknown parameter")
            .help(signature()),
        ),
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
        assert_eq!(codes("$ErrorActionPreference = 'Stop'\nWrite-Host Set-ItemProperty -Name x\n$x = New-WebAppPool -Name a; New-WebAppPool -Name b\n", None), Vec::<&str>::new());
    }
}
