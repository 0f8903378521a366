//! PowerShell output, parsed by an independent PowerShell grammar
//! (tree-sitter-powershell): every generated script parses without errors, and
//! the `ps` escaper's literals are single string tokens holding the value.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use omero_iis::render::escape::ps_literal;
use proptest::prelude::*;

fn parser() -> tree_sitter::Parser {
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("the grammar matches the tree-sitter version");
    parser
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The first node that is an error or a missing token, as `line:col kind`.
fn first_error(node: tree_sitter::Node) -> Option<String> {
    if node.is_error() || node.is_missing() {
        let p = node.start_position();
        return Some(format!("{}:{} {}", p.row + 1, p.column + 1, node.kind()));
    }
    let mut cursor = node.walk();
    let found = node.children(&mut cursor).find_map(first_error);
    found
}

#[test]
fn every_generated_script_parses() {
    let mut scripts = 0;
    for set in std::fs::read_dir(fixtures().join("gen")).unwrap() {
        let dir = set.unwrap().path();
        for mode in ["isapi-wsgi", "reverse-proxy"] {
            let out = tempfile::tempdir().unwrap();
            let output = Command::cargo_bin("omero-iis")
                .unwrap()
                .current_dir(&dir)
                .args(["gen", "scripts", "settings.omero", "--shell", "powershell"])
                .args([
                    "--mode",
                    mode,
                    "--backend",
                    "omeroweb.example.org:4080",
                    "-o",
                ])
                .arg(out.path())
                .args(extra_args(&dir))
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}: {}",
                dir.display(),
                String::from_utf8_lossy(&output.stderr)
            );
            for name in ["install.ps1", "uninstall.ps1"] {
                let bytes = std::fs::read(out.path().join(name)).unwrap();
                let text = String::from_utf8(bytes).unwrap();
                let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
                let tree = parser().parse(text, None).unwrap();
                let error = first_error(tree.root_node());
                assert_eq!(error, None, "{} {mode} {name}", dir.display());
                let mut faults = Vec::new();
                statement_faults(tree.root_node(), text, &mut faults);
                assert_eq!(
                    faults,
                    Vec::<String>::new(),
                    "{} {mode} {name}",
                    dir.display()
                );
                scripts += 1;
            }
        }
    }
    assert!(scripts >= 24, "only {scripts} scripts parsed");
}

/// What the parse of a generated script shows is wrong with its statements,
/// as `line: what`: two statements that start on one line, and a command
/// that names a parameter twice (PowerShell refuses the call: a template tag
/// that eats a line end joins two commands into one, and the second one's
/// `-Parameter`s bind to the first).
fn statement_faults(node: tree_sitter::Node, source: &str, out: &mut Vec<String>) {
    let mut cursor = node.walk();
    if node.kind() == "statement_list" {
        let rows: Vec<usize> = node
            .named_children(&mut cursor)
            .filter(|s| s.kind() != "empty_statement")
            .map(|s| s.start_position().row)
            .collect();
        for pair in rows.windows(2).filter(|p| p[0] == p[1]) {
            out.push(format!("{}: two statements on one line", pair[0] + 1));
        }
    }
    if node.kind() == "command" {
        let mut seen = Vec::new();
        let mut elements = node.walk();
        for part in node.named_children(&mut elements) {
            if part.kind() != "command_elements" {
                continue;
            }
            let mut params = part.walk();
            for param in part.named_children(&mut params) {
                if param.kind() != "command_parameter" {
                    continue;
                }
                let name = source[param.byte_range()]
                    .trim_end_matches(':')
                    .to_ascii_lowercase();
                if seen.contains(&name) {
                    let row = param.start_position().row + 1;
                    out.push(format!("{row}: {name} given twice in one command"));
                }
                seen.push(name);
            }
        }
    }
    for child in node.children(&mut cursor) {
        statement_faults(child, source, out);
    }
}

#[test]
fn the_statement_guard_sees_two_commands_joined_on_one_line() {
    let joined = "$i = 'x'\nSet-ItemProperty -LiteralPath $i -Name a -Value $false   Set-ItemProperty -LiteralPath $i -Name b -Value 0\n";
    let tree = parser().parse(joined, None).unwrap();
    let mut faults = Vec::new();
    statement_faults(tree.root_node(), joined, &mut faults);
    assert_eq!(
        faults,
        [
            "2: -literalpath given twice in one command",
            "2: -name given twice in one command",
            "2: -value given twice in one command"
        ]
    );
    let two = "$a = 1; $b = 2\n";
    let tree = parser().parse(two, None).unwrap();
    let mut faults = Vec::new();
    statement_faults(tree.root_node(), two, &mut faults);
    assert_eq!(faults, ["1: two statements on one line"]);
}

/// The deployment options of a set's `args` file (its first line is the target).
fn extra_args(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args"))
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect()
}

/// The value of a single-quoted string token: outer quotes off, `''` → `'`.
fn single_quoted_value(token: &str) -> String {
    token[1..token.len() - 1].replace("''", "'")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    // tree-sitter-powershell does not treat U+2018-U+201B as quotes (PowerShell
    // does; the escaper doubles them and the unit test in render::escape reads
    // them back as PowerShell does), so this independent parse covers the rest
    // of Unicode, with `'`, `"`, `$`, backtick and `#` made frequent.
    #[test]
    fn ps_literal_is_one_string_token(value in "([^\\p{C}\u{2018}-\u{201B}]|['\"$`#;|&(){}@])*") {
        let literal = ps_literal(&value).unwrap();
        let script = format!("$v = {literal}\nNew-WebAppPool -Name {literal} -Force\n");
        let tree = parser().parse(&script, None).unwrap();
        prop_assert_eq!(first_error(tree.root_node()), None, "{}", script);
        let mut strings = Vec::new();
        collect(tree.root_node(), &script, &mut strings);
        prop_assert_eq!(strings.len(), 2, "{:?}", strings);
        for token in strings {
            prop_assert_eq!(single_quoted_value(&token), value.clone());
        }
    }
}

fn collect(node: tree_sitter::Node, source: &str, out: &mut Vec<String>) {
    if node.kind() == "verbatim_string_characters"
        || node.kind() == "string_literal" && source[node.byte_range()].starts_with('\'')
    {
        out.push(source[node.byte_range()].to_owned());
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect(child, source, out);
    }
}
