//! Helpers the integration tests share: the binary, the fixtures folder and
//! a readable transcript of a run.

#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The real `omero-iis` binary, without colour.
pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("omero-iis").unwrap();
    // Without OMERODIR a run with no settings file reads OMERO's defaults.
    cmd.env_remove("NO_COLOR")
        .env_remove("OMERODIR")
        .arg("--color")
        .arg("never");
    cmd
}

/// `tests/fixtures`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Exit code, stdout and stderr of a run, for assertion messages and snapshots.
pub fn transcript(output: &std::process::Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A finished run of the binary, its output as text.
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` to the end.
pub fn run(cmd: &mut Command) -> Outcome {
    let output = cmd.output().unwrap();
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `gen all` of `tests/fixtures/validate/good-config.xml` into `out`.
pub fn gen_into(out: &Path, extra: &[&str]) -> Outcome {
    run(bin()
        .args(["gen", "all"])
        .arg(fixtures().join("validate/good-config.xml"))
        .arg("-o")
        .arg(out)
        .args(extra))
}
