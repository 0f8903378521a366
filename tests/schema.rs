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
