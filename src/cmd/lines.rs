//! The lines of a batch file as cmd.exe reads them, and its labels.

use std::ops::Range;

/// One physical line: its byte range in the file (without the line break)
/// and its text with every CR removed, as cmd.exe removes them from a line
/// it read (phase 1.5 of stackoverflow.com/questions/4094699): a line that
/// ends with CR alone joins the next one.
#[derive(Debug, Clone)]
pub struct Line {
    pub range: Range<usize>,
    pub text: String,
}

/// The file's lines: cmd.exe ends a line at LF only.
pub fn lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for piece in text.split_inclusive('\n') {
        let body = piece.trim_end_matches(['\n', '\r']);
        lines.push(Line {
            range: start..start + body.len(),
            text: body.replace('\r', ""),
        });
        start += piece.len();
    }
    lines
}

/// The label a line defines (`:name`, after blanks), without its colon:
/// the name ends at a blank or at one of `+ : & | < >`. `::comment` lines
/// define no label anyone can jump to.
pub fn label_defined(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches([' ', '\t', ';', ',', '=']);
    let rest = rest.strip_prefix(':')?;
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '+' | ':' | '&' | '|' | '<' | '>'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// The label a `goto` or `call` names (`:x`, `x`, `:x rest`), without its
/// colon; `eof` for `goto :eof`.
pub fn label_wanted(target: &str) -> &str {
    let t = target.trim_start().trim_start_matches(':');
    let end = t
        .find(|c: char| c.is_whitespace() || matches!(c, '+' | ':' | '&' | '|' | '<' | '>'))
        .unwrap_or(t.len());
    &t[..end]
}

/// Whether `label` is `:eof`, which ends the script or the `call`.
pub fn is_eof(label: &str) -> bool {
    label_wanted(label).eq_ignore_ascii_case("eof")
}

/// Where cmd.exe finds `label` among `lines` when jumping from line
/// `from`: it searches from the current line down, then from the top.
pub fn find_label(lines: &[Line], label: &str, from: usize) -> Option<usize> {
    let wanted = label_wanted(label);
    (from..lines.len())
        .chain(0..from.min(lines.len()))
        .find(|&i| label_defined(&lines[i].text).is_some_and(|l| l.eq_ignore_ascii_case(wanted)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_as_cmd_reads_them() {
        assert_eq!(label_defined(":fail"), Some("fail"));
        assert_eq!(label_defined("  :fail rest"), Some("fail"));
        assert_eq!(label_defined("::comment"), None);
        assert_eq!(label_defined("echo :x"), None);
        assert_eq!(label_wanted(" :Fail & echo"), "Fail");
        assert!(is_eof(":EOF"));
        let ls = lines(":a\r\necho\r\n:b\r\n");
        assert_eq!(find_label(&ls, "b", 1), Some(2));
        assert_eq!(find_label(&ls, ":A", 1), Some(0));
        assert_eq!(find_label(&ls, "c", 0), None);
        assert_eq!(ls[1].range, 4..8);
    }
}
