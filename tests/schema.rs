//! `--schema`: IIS's own schema format, read and written.

mod common;

use common::{bin, fixtures, transcript};
use omero_iis::iis::schema::Schema;
use omero_iis::iis::schema_files;
use std::path::{Path, PathBuf};

/// The built-in tables written in IIS's schema format, in a folder.
fn written_tables() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = schema_files::write(Schema::global()).unwrap();
    std::fs::write(dir.path().join("omero-iis_schema.xml"), text).unwrap();
    dir
}

/// The findings of `check` as JSON, without the summary (which names the
/// schema source).
fn findings(dir: &Path, file: &str, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args_file = dir.join(file).into_os_string();
    args_file.push(".args");
    let args: Vec<String> = std::fs::read_to_string(args_file)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let output = bin()
        .current_dir(dir)
        .arg("check")
        .arg(file)
        .args(args)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{file}: not JSON ({e}): {}", transcript(&output)));
    (output.status.code(), report["diagnostics"].clone())
}

/// Both paths agree: every check fixture gives the same findings with the
/// built-in tables and with those tables written as IIS schema files and
/// loaded with --schema.
#[test]
fn written_tables_load_back_to_the_same_reports() {
    let tables = written_tables();
    let schema_dir = tables.path().to_str().unwrap().to_owned();
    let mut compared = 0;
    for folder in ["check", "check-realistic"] {
        let dir = fixtures().join(folder);
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "args"))
            .collect();
        names.sort();
        for path in names {
            let name = path.file_name().unwrap().to_str().unwrap();
            let builtin = findings(&dir, name, &[]);
            let loaded = findings(&dir, name, &["--schema", &schema_dir]);
            assert_eq!(builtin, loaded, "{folder}/{name}");
            compared += 1;
        }
    }
    assert!(compared > 80, "only {compared} fixtures");
}

fn schema_fixtures() -> PathBuf {
    fixtures().join("schema")
}

/// The codes and lines of a JSON report.
fn codes_and_lines(report: &serde_json::Value) -> Vec<(String, u64)> {
    report
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A module's schema (and a second file extending it) adds its section to
/// the built-in tables: every construct of the format is read and checked.
#[test]
fn a_module_schema_describes_its_section() {
    let dir = schema_fixtures();
    let (code, found) = findings(&dir, "module/web.config", &["--schema", "module"]);
    assert_eq!((code, found), (Some(0), serde_json::json!([])));
    // Without the module's schema the section is unknown.
    let (_, found) = findings(&dir, "module/web.config", &[]);
    assert_eq!(codes_and_lines(&found), [("OW314".to_owned(), 5)]);

    let (code, found) = findings(&dir, "module/bad.web.config", &["--schema", "module"]);
    assert_eq!(code, Some(1));
    let expected: Vec<(String, u64)> = [
        ("OW305", 5),  // mode: not an enum name
        ("OW305", 5),  // features: not a flag
        ("OW305", 5),  // port: below the range
        ("OW305", 5),  // statusCode: inside the excluded range
        ("OW305", 6),  // subStatus: below a negative range
        ("OW305", 6),  // maxWorkers: neither a number nor Infinite
        ("OW305", 6),  // idleTimeout: not whole minutes
        ("OW305", 6),  // sessionTimeout: minutes are a number
        ("OW305", 7),  // name: nonEmptyString
        ("OW305", 7),  // host: requireTrimmedString
        ("OW311", 7),  // poolName: applicationPoolName
        ("OW304", 7),  // colour: unknown attribute
        ("OW307", 9),  // the combined key again (values compared case-insensitively)
        ("OW306", 10), // host is required
        ("OW307", 13), // a case-sensitive key again
        ("OW305", 15), // period: not an enum name
    ]
    .iter()
    .map(|(c, l)| (c.to_string(), *l))
    .collect();
    assert_eq!(codes_and_lines(&found), expected);
}

/// A whole server's folder (it holds IIS_schema.xml) is the whole truth:
/// an attribute its version lacks is unknown, a module it lacks does not
/// exist (an error, not a guess).
#[test]
fn a_server_schema_folder_is_the_whole_truth() {
    let dir = schema_fixtures();
    let (code, found) = findings(&dir, "server/web.config", &["--schema", "server"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        codes_and_lines(&found),
        [("OW304".to_owned(), 10), ("OW314".to_owned(), 11)]
    );
    assert_eq!(found[1]["severity"], "error");
    // The built-in tables know both.
    let (code, found) = findings(&dir, "server/web.config", &[]);
    assert_eq!((code, found), (Some(0), serde_json::json!([])));
}

/// A broken schema file stops the run (exit 2) with its place and what is
/// wrong; nothing is checked against half a schema.
#[test]
fn broken_schema_files_are_refused_with_their_place() {
    let dir = schema_fixtures();
    for (file, place, message) in [
        ("not-well-formed.xml", "4:1", ""),
        (
            "unknown-type.xml",
            "3:5",
            "type=\"float\" is not a schema type",
        ),
        ("bad-range.xml", "3:5", "validationParameter=\"1,lots\""),
        (
            "wrong-root.xml",
            "1:1",
            "the root element must be <configSchema>",
        ),
        (
            "no-section-name.xml",
            "2:3",
            "<sectionSchema> needs a `name` attribute",
        ),
        (
            "unknown-element.xml",
            "3:5",
            "<attributes> is not part of the schema format",
        ),
    ] {
        let output = bin()
            .current_dir(&dir)
            .args(["check", "server/web.config", "--schema"])
            .arg(format!("broken/{file}"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{file}: {stderr}");
        assert!(output.stdout.is_empty(), "{file}");
        assert!(
            stderr.contains(&format!("broken/{file}:{place}: {message}")),
            "{file}: {stderr}"
        );
    }
    let output = bin()
        .current_dir(&dir)
        .args(["check", "server/web.config", "--schema", "."])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no schema files"));
}

/// review takes --schema too: appcmd refuses what the server's schema
/// does not describe.
#[test]
fn review_uses_the_schema_given() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("browse.cmd"),
        "@echo off\r\n%windir%\\system32\\inetsrv\\appcmd.exe set config -section:system.webServer/directoryBrowse /showFlags:Date /commit:apphost\r\nexit /b %errorlevel%\r\n",
    )
    .unwrap();
    let review = |extra: &[&str]| {
        let output = bin()
            .current_dir(dir.path())
            .args(["review", "browse.cmd", "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", transcript(&output)));
        report["runs"][0]["steps"][0]["exit_code"].clone()
    };
    assert_eq!(review(&[]), 0);
    let server = schema_fixtures().join("server");
    assert_eq!(review(&["--schema", server.to_str().unwrap()]), 87);
}
