//! The shell completions in `completions/` and the manual page in
//! `docs/man/` are what the binary prints for them: regenerate them with
//! `OMERO_IIS_UPDATE_GENERATED=1 cargo test --test generated` after a
//! change to the command line, and commit the result.

use std::path::Path;

use assert_cmd::Command;

fn printed(args: &[&str]) -> String {
    let output = Command::cargo_bin("omero-iis")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}");
    String::from_utf8(output.stdout).unwrap()
}

fn current(relative: &str, expected: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if std::env::var_os("OMERO_IIS_UPDATE_GENERATED").is_some() {
        std::fs::write(&path, expected).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "{relative} is not what the binary prints: run \
         `OMERO_IIS_UPDATE_GENERATED=1 cargo test --test generated` and commit it"
    );
}

#[test]
fn completions_are_current() {
    for (shell, file) in [
        ("bash", "completions/omero-iis.bash"),
        ("zsh", "completions/_omero-iis"),
        ("fish", "completions/omero-iis.fish"),
        ("powershell", "completions/_omero-iis.ps1"),
        ("elvish", "completions/omero-iis.elv"),
    ] {
        let script = printed(&["completions", shell]);
        assert!(script.contains("omero-iis"), "{shell}");
        assert!(
            script.contains("review"),
            "{shell}: every subcommand completes"
        );
        current(file, &script);
    }
}

/// bash runs the completion script: `omero-iis re<TAB>` completes `review`.
#[test]
fn bash_completes_subcommands() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/omero-iis.bash");
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(
            "source \"$0\"; COMP_WORDS=(omero-iis re); COMP_CWORD=1; \
             _omero__iis omero-iis re omero-iis; echo \"${COMPREPLY[@]}\"",
        )
        .arg(script)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "review");
}

#[test]
fn the_manual_page_is_current() {
    let page = printed(&["man"]);
    assert!(page.starts_with(".ie"), "roff");
    assert!(page.contains(".SH NAME"));
    current("docs/man/omero-iis.1", &page);
}
