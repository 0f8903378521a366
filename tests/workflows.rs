//! The GitHub Actions workflows in `.github/workflows/`, checked offline:
//! actionlint (syntax, expressions, and the `run:` scripts through
//! shellcheck when it is on PATH) and zizmor (security audits, offline
//! mode, every severity), both from `.test-tools/venv` (`scripts/test-tools`
//! installs them, pinned in `scripts/test-tools.txt`); and the release
//! workflow against the repository: the files it packs exist, the maturin it
//! installs is the one the tests use, and it uses only pinned first-party
//! actions.

use std::path::{Path, PathBuf};
use std::process::Command;

const MISSING_TOOLS: &str = "run scripts/test-tools first (installs actionlint and zizmor)";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn release_workflow() -> String {
    std::fs::read_to_string(root().join(".github/workflows/release.yml"))
        .expect("read .github/workflows/release.yml")
}

/// The workflow files, relative to the repository root, sorted.
fn workflow_files() -> Vec<PathBuf> {
    let dir = root().join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("read .github/workflows").path())
        .filter(|path| {
            path.is_file()
                && matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yml" | "yaml")
                )
        })
        .map(|path| path.strip_prefix(root()).unwrap().to_path_buf())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no workflow in {}", dir.display());
    files
}

/// A tool from `.test-tools/venv/bin`; panics (never skips) when it is not there.
fn tool(name: &str) -> PathBuf {
    let path = root().join(".test-tools/venv/bin").join(name);
    if !path.is_file() {
        panic!("{} is missing: {MISSING_TOOLS}", path.display());
    }
    path
}

/// Runs `tool args... files...` in the repository root and fails with its
/// whole output unless it exits 0.
fn run_clean(name: &str, args: &[&str], files: &[PathBuf]) {
    let program = tool(name);
    let output = Command::new(&program)
        .args(args)
        .args(files)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {MISSING_TOOLS}", program.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{name} {} {files:?} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        args.join(" "),
        output.status,
    );
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

#[test]
fn workflows_pass_actionlint_and_zizmor() {
    let files = workflow_files();
    if !on_path("shellcheck") {
        eprintln!(
            "note: shellcheck is not on PATH, so actionlint does not check the run: scripts \
             (apt-get install shellcheck)"
        );
    }
    run_clean("actionlint", &["-no-color"], &files);
    // Offline: no GitHub API audits. No --min-severity, --min-confidence or
    // --persona: a finding of any severity fails.
    run_clean(
        "zizmor",
        &["--offline", "--no-progress", "--color", "never"],
        &files,
    );
}

/// The value of the workflow-level `MATURIN_VERSION: "…"`.
fn workflow_maturin_version(workflow: &str) -> String {
    let values: Vec<&str> = workflow
        .lines()
        .filter_map(|line| line.trim().strip_prefix("MATURIN_VERSION:"))
        .map(|value| value.trim().trim_matches('"'))
        .collect();
    assert_eq!(
        values.len(),
        1,
        "release.yml should set MATURIN_VERSION once, found {values:?}"
    );
    values[0].to_string()
}

#[test]
fn release_workflow_matches_the_repository() {
    let workflow = release_workflow();

    // The files the release is built from and packs, each named in the
    // workflow and present here.
    for path in [
        "scripts/build-release",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "completions",
        "docs/man/omero-iis.1",
        "examples/config.xml",
    ] {
        assert!(
            workflow.contains(path),
            "release.yml no longer names {path}: update this test"
        );
        assert!(
            root().join(path).exists(),
            "release.yml uses {path}, which is not in the repository"
        );
    }
    // And any other repository path it names under these folders.
    let named =
        regex::Regex::new(r"\b(?:scripts|docs|examples|completions|tests)/[\w.\-/]*\w").unwrap();
    for found in named.find_iter(&workflow) {
        assert!(
            root().join(found.as_str()).exists(),
            "release.yml names {}, which is not in the repository",
            found.as_str()
        );
    }
    let completions = std::fs::read_dir(root().join("completions"))
        .unwrap()
        .count();
    assert!(completions > 0, "completions/ is empty");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root().join("scripts/build-release"))
            .unwrap()
            .permissions()
            .mode();
        assert!(
            mode & 0o111 != 0,
            "scripts/build-release is not executable; release.yml runs it directly"
        );
    }

    // The wheels are built with the maturin the tests use.
    let pins = std::fs::read_to_string(root().join("scripts/test-tools.txt"))
        .expect("read scripts/test-tools.txt");
    let pinned: Vec<&str> = pins
        .lines()
        .filter_map(|line| line.trim().strip_prefix("maturin=="))
        .collect();
    assert_eq!(
        pinned.len(),
        1,
        "scripts/test-tools.txt should pin maturin once"
    );
    let version = workflow_maturin_version(&workflow);
    assert_eq!(
        version, pinned[0],
        "release.yml installs maturin {version}, scripts/test-tools.txt pins {}",
        pinned[0]
    );
    assert!(
        workflow.contains("maturin=="),
        "release.yml installs no maturin"
    );
    for (at, _) in workflow.match_indices("maturin==") {
        let rest = &workflow[at + "maturin==".len()..];
        assert!(
            rest.starts_with("$MATURIN_VERSION") || rest.starts_with(pinned[0]),
            "release.yml installs another maturin: maturin=={}",
            rest.lines().next().unwrap_or_default()
        );
    }
}

#[test]
fn workflows_use_only_pinned_first_party_actions() {
    // `uses: actions/NAME@<commit> # vX.Y.Z`: a commit a tag cannot move,
    // with the version it was taken from.
    let pinned = regex::Regex::new(
        r"^(actions/(?:checkout|upload-artifact|download-artifact))@[0-9a-f]{40} # v\d+\.\d+\.\d+$",
    )
    .unwrap();
    for file in workflow_files() {
        let text = std::fs::read_to_string(root().join(&file)).unwrap();
        for (number, line) in text.lines().enumerate() {
            let trimmed = line.trim().trim_start_matches("- ");
            let Some(action) = trimmed.strip_prefix("uses:") else {
                continue;
            };
            assert!(
                pinned.is_match(action.trim()),
                "{}:{}: `{}` is not a first-party action pinned to a commit with its version",
                file.display(),
                number + 1,
                action.trim()
            );
        }
    }
}
