//! Escapers, one per target syntax. Each either returns text that the target
//! parses back to exactly the input, or refuses the value. Values are checked
//! with diagnostics before rendering (`deploy`), so a refusal here means a
//! template used a value in a way the plan did not check: a bug, reported as
//! a render error rather than written.

use std::borrow::Cow;

/// Why a value cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot write {value:?} into {target}: {reason}")]
pub struct Unsafe {
    pub value: String,
    pub target: &'static str,
    pub reason: &'static str,
}

fn refuse(value: &str, target: &'static str, reason: &'static str) -> Unsafe {
    Unsafe {
        value: value.to_owned(),
        target,
        reason,
    }
}

/// XML attribute or text content (`&`, `<`, `>`, `"`, `'`). Characters XML 1.0
/// cannot hold at all (most C0 controls) are refused.
pub fn xml(value: &str) -> Result<Cow<'_, str>, Unsafe> {
    xml_safe(value, "XML")?;
    Ok(quick_xml::escape::escape(value))
}

/// Characters XML 1.0 §2.2 does not allow: controls other than tab, LF and
/// CR, and the noncharacters U+FFFE and U+FFFF (a document holding them is
/// not XML, and IIS answers 500.19).
fn xml_safe(value: &str, target: &'static str) -> Result<(), Unsafe> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(refuse(
            value,
            target,
            "control characters are not allowed in XML 1.0",
        ));
    }
    if value.contains(['\u{FFFE}', '\u{FFFF}']) {
        return Err(refuse(
            value,
            target,
            "U+FFFE and U+FFFF are not characters in XML 1.0",
        ));
    }
    Ok(())
}

/// Text inside an XML comment `<!-- ... -->`, which has no escapes and may
/// not contain `--` or end with `-` (XML 1.0 §2.5). A `-` that follows a
/// `-` gets a space before it (`xn--b` → `xn- -b`), and a final `-` a space
/// after it: the comment stays readable, and the attributes beside it hold
/// the exact value. Line breaks are kept out (they would shift the layout).
pub fn xml_comment(value: &str) -> Result<String, Unsafe> {
    xml_safe(value, "an XML comment")?;
    if value.contains(['\n', '\r']) {
        return Err(refuse(
            value,
            "an XML comment",
            "a line break would break the comment's layout",
        ));
    }
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        if c == '-' && out.ends_with('-') {
            out.push(' ');
        }
        out.push(c);
    }
    if out.ends_with('-') {
        out.push(' ');
    }
    Ok(out)
}

/// The first place in rendered XML or HTML text where a comment breaks XML
/// 1.0 §2.5 (`--` inside, or `-` before the closing `-->`), as a byte
/// offset. The render step refuses such output: a template that put a value
/// into a comment without `xml_comment` cannot produce a file IIS rejects.
pub fn bad_xml_comment(text: &str) -> Option<usize> {
    let mut rest = 0;
    while let Some(open) = text[rest..].find("<!--") {
        let body = rest + open + 4;
        // A comment ends at its first `--`, which must be followed by `>`.
        let Some(dashes) = text[body..].find("--") else {
            return Some(rest + open);
        };
        let at = body + dashes;
        if text.as_bytes().get(at + 2) != Some(&b'>') {
            return Some(at);
        }
        rest = at + 3;
    }
    None
}

/// Checks shared by everything written into a batch file.
fn batch_safe(value: &str, target: &'static str) -> Result<(), Unsafe> {
    if value.chars().any(char::is_control) {
        return Err(refuse(
            value,
            target,
            "control characters end or corrupt a batch line",
        ));
    }
    if !value.is_ascii() {
        return Err(refuse(
            value,
            target,
            "batch files are read in the console code page; only ASCII is safe",
        ));
    }
    if value.contains('"') {
        return Err(refuse(
            value,
            target,
            "a double quote cannot be passed inside a quoted argument",
        ));
    }
    Ok(())
}

/// A cmd.exe argument that a CRT-style program (appcmd, icacls, python) sees
/// as exactly `value`: double-quoted (so `& | < > ^ ( ) !` and spaces are
/// literal), `%` doubled (cmd expands `%` even inside quotes), and a trailing
/// run of backslashes doubled (else `\"` would escape the closing quote).
pub fn cmd_argument(value: &str) -> Result<String, Unsafe> {
    batch_safe(value, "a cmd argument")?;
    let trailing = value.len() - value.trim_end_matches('\\').len();
    let mut out = String::with_capacity(value.len() + trailing + 4);
    out.push('"');
    push_percent_doubled(&mut out, value);
    out.extend(std::iter::repeat_n('\\', trailing));
    out.push('"');
    Ok(out)
}

/// Text shown by `echo`, quoted so cmd treats special characters literally
/// (echo prints the quotes too).
pub fn cmd_echo(value: &str) -> Result<String, Unsafe> {
    batch_safe(value, "an echo line")?;
    let mut out = String::with_capacity(value.len() + 4);
    out.push('"');
    push_percent_doubled(&mut out, value);
    out.push('"');
    Ok(out)
}

/// Text in a `rem` comment: only `%` expansion applies there.
pub fn cmd_comment(value: &str) -> Result<String, Unsafe> {
    batch_safe(value, "a batch comment")?;
    let mut out = String::with_capacity(value.len() + 2);
    push_percent_doubled(&mut out, value);
    Ok(out)
}

/// A value inside an appcmd collection indexer `[key='value']` that itself
/// sits in a quoted cmd argument: `'` doubled (appcmd's escape, "Getting Started with AppCmd.exe"),
/// `%` doubled for cmd. `]` is refused: appcmd's indexer grammar is not
/// documented for it.
pub fn appcmd_item(value: &str) -> Result<String, Unsafe> {
    batch_safe(value, "an appcmd collection value")?;
    if value.contains(']') {
        return Err(refuse(
            value,
            "an appcmd collection value",
            "`]` may end appcmd's indexer early",
        ));
    }
    Ok(value.replace('\'', "''").replace('%', "%%"))
}

/// Appends `value` with every `%` doubled, which cmd reads back as one `%`
/// (written out in one pass: these run for every value of a script, and
/// `format!` with `str::replace` was 4 % of `gen all`).
fn push_percent_doubled(out: &mut String, value: &str) {
    for (i, piece) in value.split('%').enumerate() {
        if i > 0 {
            out.push_str("%%");
        }
        out.push_str(piece);
    }
}

/// PowerShell's single-quote characters: `'` and U+2018–U+201B, which its
/// tokenizer treats alike (PowerShell/PowerShell, engine/parser/CharTraits.cs).
pub fn is_ps_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

/// A PowerShell single-quoted (verbatim) string literal: `'...'`, with every
/// single-quote character doubled, as PowerShell's own
/// `CodeGeneration.EscapeSingleQuotedStringContent` does. Nothing else is
/// special inside it (`$`, backtick, `"` are literal). Control characters are
/// refused: a line break would change what a reviewer sees on one line.
pub fn ps_literal(value: &str) -> Result<String, Unsafe> {
    if value.chars().any(char::is_control) {
        return Err(refuse(
            value,
            "a PowerShell string",
            "control characters do not belong in a one-line literal",
        ));
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if is_ps_single_quote(c) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    Ok(out)
}

/// Text inside a PowerShell `<# ... #>` block comment: `#>` would end it.
pub fn ps_comment(value: &str) -> Result<String, Unsafe> {
    if value.chars().any(char::is_control) || value.contains("#>") {
        return Err(refuse(
            value,
            "a PowerShell comment",
            "line breaks and `#>` end the comment",
        ));
    }
    Ok(value.to_owned())
}

/// One `key=value` line of the `omero config load` format, which has no
/// escapes at all (`handle_line` in ome/omero-py src/omero/plugins/prefs.py): OMERO strips each line, joins a line
/// ending in `\` to the next, and splits at the first `=`. A value that one of
/// those rules would change cannot be written and is refused.
pub fn omero_config_line(key: &str, value: &str) -> Result<String, Unsafe> {
    let target = "an omero config load line";
    if value.chars().any(char::is_control) {
        return Err(refuse(
            value,
            target,
            "a line break or control character would split or corrupt the line",
        ));
    }
    if value.ends_with(char::is_whitespace) {
        return Err(refuse(
            value,
            target,
            "OMERO strips trailing whitespace from each line",
        ));
    }
    if value.ends_with('\\') {
        return Err(refuse(
            value,
            target,
            "a trailing `\\` joins the next line to this one",
        ));
    }
    Ok(format!("{key}={value}"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// cmd.exe phase 1 for a line without variables: `%%` → `%`.
    pub fn cmd_percent_phase(line: &str) -> String {
        line.replace("%%", "%")
    }

    /// How the Microsoft C runtime (and CommandLineToArgvW) splits a command
    /// line into arguments (learn.microsoft.com, "Parsing C command-line arguments").
    pub fn crt_split(line: &str) -> Vec<String> {
        let chars: Vec<char> = line.chars().collect();
        let mut args = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                i += 1;
            }
            if i >= chars.len() {
                break;
            }
            let mut arg = String::new();
            let mut quoted = false;
            while i < chars.len() && (quoted || (chars[i] != ' ' && chars[i] != '\t')) {
                if chars[i] == '\\' {
                    let start = i;
                    while i < chars.len() && chars[i] == '\\' {
                        i += 1;
                    }
                    let n = i - start;
                    if i < chars.len() && chars[i] == '"' {
                        arg.push_str(&"\\".repeat(n / 2));
                        if n % 2 == 1 {
                            arg.push('"');
                            i += 1;
                        }
                    } else {
                        arg.push_str(&"\\".repeat(n));
                    }
                    continue;
                }
                if chars[i] == '"' {
                    if quoted && i + 1 < chars.len() && chars[i + 1] == '"' {
                        arg.push('"');
                        i += 2;
                        continue;
                    }
                    quoted = !quoted;
                    i += 1;
                    continue;
                }
                arg.push(chars[i]);
                i += 1;
            }
            args.push(arg);
        }
        args
    }

    #[test]
    fn examples() {
        assert_eq!(cmd_argument(r"C:\").unwrap(), r#""C:\\""#);
        assert_eq!(cmd_argument("100% & (x)").unwrap(), r#""100%% & (x)""#);
        assert_eq!(appcmd_item("O'Brien 5%").unwrap(), "O''Brien 5%%");
        assert_eq!(xml("a&b<\"'").unwrap(), "a&amp;b&lt;&quot;&apos;");
        assert!(cmd_argument("a\"b").is_err());
        assert!(cmd_argument("café").is_err());
        assert!(appcmd_item("a]b").is_err());
        assert!(xml("a\u{1}").is_err());
    }

    /// Reads one PowerShell single-quoted string from the start of `text`, as
    /// PowerShell's tokenizer does (a quote followed by another quote is one
    /// literal quote; any of the five quote characters opens and closes).
    /// Returns the value and the rest of the text.
    pub fn ps_read_single_quoted(text: &str) -> Option<(String, &str)> {
        let mut chars = text.char_indices().peekable();
        let (_, open) = chars.next()?;
        if !is_ps_single_quote(open) {
            return None;
        }
        let mut value = String::new();
        while let Some((i, c)) = chars.next() {
            if is_ps_single_quote(c) {
                match chars.peek() {
                    Some(&(_, next)) if is_ps_single_quote(next) => {
                        chars.next();
                        value.push(next);
                    }
                    _ => return Some((value, &text[i + c.len_utf8()..])),
                }
            } else {
                value.push(c);
            }
        }
        None
    }

    #[test]
    fn ps_literal_examples() {
        assert_eq!(ps_literal("O'Brien").unwrap(), "'O''Brien'");
        assert_eq!(
            ps_literal("Lab\u{2019}s $x `n").unwrap(),
            "'Lab\u{2019}\u{2019}s $x `n'"
        );
        assert_eq!(ps_literal("").unwrap(), "''");
        assert!(ps_literal("a\nb").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]
        #[test]
        fn ps_literal_round_trips(value in "(\\PC|['\u{2018}-\u{201E}\"$`])*") {
            let literal = ps_literal(&value).unwrap();
            let line = format!("{literal} -Force");
            let (read, rest) = ps_read_single_quoted(&line).unwrap();
            prop_assert_eq!(read, value);
            prop_assert_eq!(rest, " -Force");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// Every escaper refuses a value, naming why, or returns text; never panics.
        #[test]
        fn escapers_refuse_or_escape_any_string(value in "\\PC*|.*") {
            for (name, result) in [
                ("cmd_argument", cmd_argument(&value)),
                ("cmd_echo", cmd_echo(&value)),
                ("cmd_comment", cmd_comment(&value)),
                ("appcmd_item", appcmd_item(&value)),
                ("ps_literal", ps_literal(&value)),
                ("ps_comment", ps_comment(&value)),
                ("xml", xml(&value).map(|c| c.into_owned())),
            ] {
                if let Err(e) = result {
                    prop_assert!(!e.reason.is_empty(), "{name} refused without a reason");
                    prop_assert_eq!(&e.value, &value);
                }
            }
        }

        /// `echo "<value>"` prints exactly `"value"` after cmd's `%%` phase, and no
        /// character outside the quotes can start a new command.
        #[test]
        fn cmd_echo_round_trips(value in "[ -!#-~]{0,40}") {
            let echoed = cmd_echo(&value).unwrap();
            prop_assert_eq!(cmd_percent_phase(&echoed), format!("\"{value}\""));
        }

        #[test]
        fn cmd_comment_round_trips(value in "[ -!#-~]{0,40}") {
            prop_assert_eq!(cmd_percent_phase(&cmd_comment(&value).unwrap()), value);
        }

        /// The load format, read back by omero-iis's reader of OMERO's rules.
        #[test]
        fn omero_config_line_round_trips(value in "(\\PC|[ \t\\\\=#\u{a0}])*") {
            if let Ok(line) = omero_config_line("omero.web.x", &value) {
                let text = format!("# comment\n{line}\nomero.web.y=after\n");
                let file = crate::source::SourceFile::new("t", text);
                let loaded = crate::settings::sources::properties::read(&file);
                let values: Vec<(String, String)> = loaded
                    .assignments
                    .iter()
                    .map(|a| match a {
                        crate::settings::Assignment::Set(s) => (s.key.clone(), s.text().unwrap_or_default().to_owned()),
                        crate::settings::Assignment::Unset { key, .. } => (key.clone(), "<unset>".to_owned()),
                    })
                    .collect();
                prop_assert_eq!(values, vec![
                    ("omero.web.x".to_owned(), value.clone()),
                    ("omero.web.y".to_owned(), "after".to_owned()),
                ]);
            }
        }

        #[test]
        fn cmd_argument_round_trips(value in "[ -!#-~]{0,40}") {
            let quoted = cmd_argument(&value).unwrap();
            let line = cmd_percent_phase(&format!("appcmd.exe /x:{quoted} /next"));
            let args = crt_split(&line);
            prop_assert_eq!(args, vec!["appcmd.exe".to_owned(), format!("/x:{value}"), "/next".to_owned()]);
        }

        #[test]
        fn appcmd_item_round_trips(value in "[ -!#-\\\\^-~]{0,40}") {
            let item = appcmd_item(&value).unwrap();
            let line = cmd_percent_phase(&format!("appcmd set config /+\"[path='{item}',allowed='True']\""));
            let args = crt_split(&line);
            // appcmd then reads the quoted value, turning '' back into '.
            let inside = args[3].strip_prefix("/+[path='").unwrap().strip_suffix("',allowed='True']").unwrap().to_owned();
            prop_assert_eq!(inside.replace("''", "'"), value);
        }

        #[test]
        fn xml_round_trips(value in "\\PC{0,40}") {
            let escaped = xml(&value).unwrap();
            let doc = format!("<a v=\"{escaped}\">{escaped}</a>");
            let parsed = roxmltree::Document::parse(&doc).unwrap();
            prop_assert_eq!(parsed.root_element().attribute("v").unwrap(), value.as_str());
        }

        /// Any value, hyphens made frequent, makes a comment XML accepts.
        #[test]
        fn xml_comment_is_always_a_well_formed_comment(value in "([-]|[^\\p{C}])*") {
            let text = xml_comment(&value).unwrap();
            let doc = format!("<a><!-- {text}--></a>");
            prop_assert!(roxmltree::Document::parse(&doc).is_ok(), "{}", doc);
            prop_assert_eq!(bad_xml_comment(&doc), None);
            let (shown, given) = (text.replace("- ", "-"), value.replace("- ", "-"));
            prop_assert_eq!(shown.trim_end(), given.trim_end());
        }
    }

    #[test]
    fn bad_xml_comments_are_found() {
        assert_eq!(bad_xml_comment("<a><!-- x -- y --></a>"), Some(10));
        assert_eq!(bad_xml_comment("<!-- ok --><a><!-- x---></a>"), Some(20));
        assert_eq!(bad_xml_comment("<!-- never ends"), Some(0));
        assert_eq!(bad_xml_comment("<a x=\"--\"><!-- a - b --></a>"), None);
        assert_eq!(xml_comment("xn--b-").unwrap(), "xn- -b- ");
        assert!(xml_comment("a\u{FFFE}").is_err());
        assert!(xml("a\u{FFFF}").is_err());
    }
}
