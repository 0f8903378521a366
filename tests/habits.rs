//! CLI habits an admin expects, each found by trying it: colour decided by
//! the stream a report goes to, `review` reports like `check`'s, one valid
//! file from `gen --stdout`, an identical rerun that succeeds, did-you-mean
//! for a file given as a subcommand, `OMERODIR`, the server's
//! applicationHost.config found in a checked folder, and SARIF that points
//! at real artifacts and rule pages.

mod common;
use common::{bin, fixtures};

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

const ESCAPE: u8 = 0x1b;

/// The binary without `--color never`, the colour environment cleared.
fn bare() -> Command {
    let mut cmd = Command::cargo_bin("omero-iis").unwrap();
    for name in [
        "NO_COLOR",
        "FORCE_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "OMERODIR",
    ] {
        cmd.env_remove(name);
    }
    cmd.env("TERM", "xterm-256color");
    cmd
}

fn failing_web_config() -> std::path::PathBuf {
    fixtures().join("check/OW304-fail.web.config")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn colour_follows_the_environment_when_stdout_is_not_a_terminal() {
    let run = |vars: &[(&str, &str)]| -> Output {
        let mut cmd = bare();
        cmd.arg("check").arg(failing_web_config());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let piped = run(&[]);
    assert_eq!(piped.status.code(), Some(1));
    assert!(!piped.stdout.contains(&ESCAPE), "{}", text(&piped.stdout));
    for forcing in [("FORCE_COLOR", "1"), ("CLICOLOR_FORCE", "1")] {
        let forced = run(&[forcing]);
        assert!(
            forced.stdout.contains(&ESCAPE),
            "{forcing:?} colours a pipe"
        );
        let vetoed = run(&[forcing, ("NO_COLOR", "1")]);
        assert!(
            !vetoed.stdout.contains(&ESCAPE),
            "NO_COLOR wins over {forcing:?}"
        );
    }
    assert!(!run(&[("FORCE_COLOR", "0")]).stdout.contains(&ESCAPE));
}

/// `check x > report.txt` from a terminal: stderr is a terminal, stdout a
/// file. The file gets no escape codes (stderr used to decide).
#[test]
fn a_report_redirected_to_a_file_from_a_terminal_has_no_escape_codes() {
    let found = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`script` (util-linux) runs a command on a terminal; install util-linux"
    );
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.txt");
    let exe = assert_cmd::cargo::cargo_bin("omero-iis");
    let command = format!(
        "'{}' check '{}' > '{}'",
        exe.display(),
        failing_web_config().display(),
        report.display()
    );
    // `script` gives the command a terminal for stdin, stdout and stderr;
    // the redirection then sends stdout to the file.
    let ran = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm-256color")
        .output()
        .unwrap();
    assert_eq!(ran.status.code(), Some(1), "{}", text(&ran.stdout));
    let written = std::fs::read(&report).unwrap();
    assert!(text(&written).contains("OW304"), "{}", text(&written));
    assert!(!written.contains(&ESCAPE), "{}", text(&written));
    // The same run with stdout on the terminal is coloured.
    let on_terminal = std::process::Command::new("script")
        .args([
            "-qec",
            &format!(
                "'{}' check '{}'",
                exe.display(),
                failing_web_config().display()
            ),
            "/dev/null",
        ])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .output()
        .unwrap();
    assert!(on_terminal.stdout.contains(&ESCAPE));
}

fn review(args: &[&str]) -> Output {
    bin()
        .current_dir(fixtures().join("review"))
        .arg("review")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn review_counts_warnings_and_has_allow_json_sarif_and_github() {
    // unchecked.cmd ignores one failure: one warning (OW702).
    let plain = review(&["unchecked.cmd"]);
    assert_eq!(plain.status.code(), Some(0));
    let out = text(&plain.stdout);
    assert!(
        out.contains("configuration changes: 0 errors, 1 warning\n"),
        "{out}"
    );

    let denied = review(&["unchecked.cmd", "--deny", "warnings"]);
    assert_eq!(denied.status.code(), Some(1));
    let allowed = review(&["unchecked.cmd", "--deny", "warnings", "--allow", "OW702"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stdout));
    assert!(text(&allowed.stdout).contains("0 errors, 0 warnings\n"));
    let by_name = review(&["unchecked.cmd", "--allow", "review-ignored-failure"]);
    assert_eq!(by_name.status.code(), Some(0), "{}", text(&by_name.stderr));
    let unknown = review(&["unchecked.cmd", "--allow", "OW999"]);
    assert_eq!(unknown.status.code(), Some(2));

    let json: serde_json::Value =
        serde_json::from_slice(&review(&["unchecked.cmd", "--format", "json"]).stdout).unwrap();
    let summary = &json["summary"];
    assert_eq!(summary["warnings"], 1);
    assert_eq!(summary["errors"], 0);
    assert!(summary["checked"]
        .as_str()
        .unwrap()
        .starts_with("reviewed 1 script:"));

    let sarif: serde_json::Value =
        serde_json::from_slice(&review(&["not-on-path.cmd", "--format", "sarif"]).stdout).unwrap();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "OW701");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "not-on-path.cmd"
    );
    let github = text(&review(&["not-on-path.cmd", "--format", "github"]).stdout);
    assert!(
        github.starts_with("::error file=not-on-path.cmd,line="),
        "{github}"
    );
}

fn gen_web_config(extra: &[&str]) -> Output {
    bin()
        .args(["gen", "web.config"])
        .arg(fixtures().join("validate/good-config.xml"))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn gen_stdout_gives_one_valid_file_or_says_it_cannot() {
    let both = gen_web_config(&["--stdout"]);
    assert_eq!(both.status.code(), Some(0));
    let said = text(&both.stderr);
    assert!(
        said.contains("together not one valid file") && said.contains("--file web/web.config"),
        "{said}"
    );

    let one = gen_web_config(&["--stdout", "--file", "web/web.config"]);
    assert_eq!(one.status.code(), Some(0), "{}", text(&one.stderr));
    assert!(
        !text(&one.stderr).contains("note:"),
        "{}",
        text(&one.stderr)
    );
    let xml = text(&one.stdout);
    roxmltree::Document::parse(&xml).expect("one well-formed XML document");
    // The same bytes as the file written to a folder.
    let dir = tempfile::tempdir().unwrap();
    let wrote = gen_web_config(&["-o", dir.path().to_str().unwrap()]);
    assert_eq!(wrote.status.code(), Some(0));
    assert_eq!(
        one.stdout,
        std::fs::read(dir.path().join("web/web.config")).unwrap()
    );
    // Windows separators name the same file.
    let backslash = gen_web_config(&["--stdout", "--file", r"web\web.config"]);
    assert_eq!(backslash.stdout, one.stdout);

    let wrong = gen_web_config(&["--stdout", "--file", "web.config"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        text(&wrong.stderr).contains("web/web.config, static/web.config"),
        "{}",
        text(&wrong.stderr)
    );
}

#[test]
fn an_identical_rerun_of_gen_succeeds_and_says_nothing_changed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let gen = || {
        bin()
            .args(["gen", "all"])
            .arg(fixtures().join("validate/good-config.xml"))
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap()
    };
    assert_eq!(gen().status.code(), Some(0));
    let again = gen();
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("nothing to write: the 8 files"));
    // A file missing is written again; the others stay.
    std::fs::remove_file(out.join("README.txt")).unwrap();
    let refilled = gen();
    assert_eq!(refilled.status.code(), Some(0));
    assert!(text(&refilled.stderr).contains("wrote 1 of 8 files"));
}

#[test]
fn a_file_given_for_a_subcommand_gets_a_did_you_mean() {
    let out = bin().args(["validate", "config.xml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = text(&out.stderr);
    assert!(
        said.contains("`omero-iis validate settings config.xml`"),
        "{said}"
    );
    let show = bin().args(["settings", "my config.xml"]).output().unwrap();
    assert!(
        text(&show.stderr).contains("`omero-iis settings show 'my config.xml'`"),
        "{}",
        text(&show.stderr)
    );
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn without_a_settings_file_omerodir_is_read_or_defaults_are_announced() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("etc/grid/config.xml"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<icegrid><properties id="__ACTIVE__"><property name="omero.web.prefix" value="/from-omerodir"/></properties></icegrid>
"#,
    );
    let show = bin()
        .env("OMERODIR", dir.path())
        .args(["settings", "show"])
        .output()
        .unwrap();
    assert_eq!(show.status.code(), Some(0), "{}", text(&show.stderr));
    assert!(text(&show.stdout).contains("omero.web.prefix=/from-omerodir"));
    assert!(
        text(&show.stderr).contains("(from OMERODIR)"),
        "{}",
        text(&show.stderr)
    );

    let gen = bin()
        .env("OMERODIR", dir.path())
        .args(["gen", "web.config", "--stdout", "--file", "web/web.config"])
        .output()
        .unwrap();
    assert_eq!(gen.status.code(), Some(0), "{}", text(&gen.stderr));
    assert!(text(&gen.stderr).contains("config.xml (from OMERODIR)"));

    // A file given wins; OMERODIR is not read then.
    let given = bin()
        .env("OMERODIR", dir.path())
        .args(["settings", "show"])
        .arg(fixtures().join("validate/good-config.xml"))
        .output()
        .unwrap();
    assert!(!text(&given.stdout).contains("/from-omerodir"));
    assert!(!text(&given.stderr).contains("OMERODIR"));

    let defaults = bin().args(["validate", "settings"]).output().unwrap();
    assert_eq!(defaults.status.code(), Some(0));
    assert!(
        text(&defaults.stderr).contains("no settings file given: using OMERO's defaults"),
        "{}",
        text(&defaults.stderr)
    );
    let empty = tempfile::tempdir().unwrap();
    let missing = bin()
        .env("OMERODIR", empty.path())
        .args(["validate", "settings"])
        .output()
        .unwrap();
    assert!(
        text(&missing.stderr).contains("OMERODIR has no"),
        "{}",
        text(&missing.stderr)
    );
}

#[test]
fn check_of_a_folder_uses_the_applicationhost_config_it_holds() {
    let check = fixtures().join("check");
    let case = |server: &str| -> Output {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            check.join("OW310-fail.web.config"),
            dir.path().join("web.config"),
        )
        .unwrap();
        std::fs::copy(
            check.join("servers").join(server),
            dir.path().join("applicationHost.config"),
        )
        .unwrap();
        let out = bin()
            .arg("check")
            .arg(dir.path())
            .arg("--format")
            .arg("json")
            .output();
        out.unwrap()
    };
    let codes = |out: &Output| -> Vec<String> {
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let locked = case("locked.applicationHost.config");
    assert!(
        codes(&locked).contains(&"OW310".to_owned()),
        "{:?}",
        codes(&locked)
    );
    let unlocked = case("unlocked.applicationHost.config");
    assert!(
        !codes(&unlocked).contains(&"OW310".to_owned()),
        "{:?}",
        codes(&unlocked)
    );
    let json: serde_json::Value = serde_json::from_slice(&unlocked.stdout).unwrap();
    let summary = json["summary"]["checked"].as_str().unwrap();
    assert!(
        summary.contains("applicationHost.config found in the folder"),
        "{summary}"
    );
}

#[test]
fn sarif_embeds_inputs_that_are_not_files_and_links_rule_pages() {
    let out = bin()
        .args([
            "validate",
            "settings",
            "--set",
            "omero.web.prefix=omero/",
            "--format",
            "sarif",
        ])
        .output()
        .unwrap();
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &log["runs"][0];
    let mut embedded_results = 0;
    for result in run["results"].as_array().unwrap() {
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        if artifact.is_null() {
            continue;
        }
        assert!(
            artifact.get("uri").is_none(),
            "no file called --set: {artifact}"
        );
        let index = artifact["index"].as_u64().unwrap() as usize;
        let embedded = &run["artifacts"][index];
        assert_eq!(embedded["contents"]["text"], "omero.web.prefix=omero/");
        assert!(embedded["description"]["text"]
            .as_str()
            .unwrap()
            .contains("--set"));
        embedded_results += 1;
    }
    assert!(embedded_results > 0, "the --set findings have locations");
    // Every rule links to its section of docs/rules.md, which exists.
    let rules_page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"))
            .unwrap();
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        let uri = rule["helpUri"].as_str().unwrap();
        assert!(uri.starts_with(env!("CARGO_PKG_REPOSITORY")), "{uri}");
        let anchor = uri.rsplit_once('#').unwrap().1;
        let heading = format!(
            "## {} {}",
            rule["id"].as_str().unwrap(),
            rule["name"].as_str().unwrap()
        );
        assert!(
            rules_page.contains(&format!("{heading}\n")),
            "no `{heading}` in docs/rules.md"
        );
        assert_eq!(anchor, heading[3..].to_lowercase().replace(' ', "-"));
    }
}

#[test]
fn counts_are_spelled_right() {
    let one = bin()
        .args(["validate", "settings", "--set", "omero.web.debug=true"])
        .output()
        .unwrap();
    assert!(
        text(&one.stdout).contains("checked 1 property from 1 source"),
        "{}",
        text(&one.stdout)
    );
}
