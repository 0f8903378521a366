//! The Windows build of omero-iis (x86_64-pc-windows-gnu), run under Wine:
//! what admins run on the IIS server itself. The test builds the .exe with
//! cargo, and a small shim DLL beside it (`tests/wine/bcryptprimitives.c`,
//! test-only, never shipped: Wine 8 lacks `bcryptprimitives!ProcessPrng`,
//! which Rust's std imports on Windows). It then runs `gen` in both modes,
//! `check`, `review` and failing commands, and compares with the Linux
//! binary: the generated files are byte-identical, the verdicts and exit
//! codes the same, and messages name Windows paths with one kind of
//! separator.
//!
//! Needs the Rust target (`rustup target add x86_64-pc-windows-gnu`), Wine
//! and MinGW; `.ci/run` installs them. Without them these tests fail and say
//! so: they are never skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const TARGET: &str = "x86_64-pc-windows-gnu";

struct Windows {
    /// The folder holding omero-iis.exe and the shim DLL.
    folder: PathBuf,
    prefix: PathBuf,
}

fn require(ok: bool, what: &str) {
    assert!(
        ok,
        "{what}; these tests run the Windows build under Wine and are never skipped"
    );
}

fn found(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Builds the .exe and the shim once per test run.
fn windows() -> &'static Windows {
    static WINDOWS: OnceLock<Windows> = OnceLock::new();
    WINDOWS.get_or_init(|| {
        require(found("wine"), "`wine` is missing (Debian: apt-get install wine wine64)");
        require(
            found("x86_64-w64-mingw32-gcc"),
            "`x86_64-w64-mingw32-gcc` is missing (Debian: apt-get install gcc-mingw-w64-x86-64)",
        );
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("windows-build");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let built = Command::new(cargo)
            .args(["build", "--locked", "--bin", "omero-iis", "--target", TARGET])
            .arg("--target-dir")
            .arg(&target_dir)
            .current_dir(manifest)
            .status()
            .unwrap();
        require(
            built.success(),
            "building omero-iis.exe failed (is the target installed? rustup target add x86_64-pc-windows-gnu)",
        );
        let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join("windows-exe");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::copy(
            target_dir.join(TARGET).join("debug/omero-iis.exe"),
            folder.join("omero-iis.exe"),
        )
        .unwrap();
        let shim = Command::new("x86_64-w64-mingw32-gcc")
            .args(["-shared", "-O2", "-o"])
            .arg(folder.join("bcryptprimitives.dll"))
            .arg(manifest.join("tests/wine/bcryptprimitives.c"))
            .arg("-ladvapi32")
            .status()
            .unwrap();
        require(shim.success(), "building the ProcessPrng shim failed");
        let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("windows-prefix");
        if !prefix.join("drive_c/windows").exists() {
            let booted = Command::new("wineboot")
                .arg("-i")
                .env("WINEPREFIX", &prefix)
                .env("WINEDEBUG", "-all")
                .output()
                .unwrap();
            require(booted.status.success(), "wineboot failed");
        }
        Windows { folder, prefix }
    })
}

/// A Linux path as Wine's `Z:` drive shows it to Windows programs.
fn z(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// Runs omero-iis.exe under Wine. A run in which Wine itself failed to
/// start the program (no output at all) is made once more.
fn exe(args: &[&str]) -> Output {
    let w = windows();
    let run = || {
        Command::new("wine")
            .arg(w.folder.join("omero-iis.exe"))
            .args(args)
            .env("WINEPREFIX", &w.prefix)
            .env("WINEDEBUG", "-all")
            .output()
            .unwrap()
    };
    let first = run();
    if first.stdout.is_empty() && first.stderr.is_empty() && !first.status.success() {
        eprintln!(
            "Wine printed nothing ({:?}); running it again",
            first.status
        );
        return run();
    }
    first
}

fn linux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_omero-iis"))
        .args(args)
        .output()
        .unwrap()
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/config.xml")
}

/// Every file under `dir`, by relative path, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                out.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn gen_writes_the_same_bytes_as_the_linux_build() {
    let dir = tempfile::tempdir().unwrap();
    for (name, extra) in [
        ("isapi", &[][..]),
        (
            "proxy",
            &[
                "--mode",
                "reverse-proxy",
                "--backend",
                "omeroweb.example.org:4080",
            ][..],
        ),
    ] {
        let on_windows = dir.path().join(format!("{name}-windows"));
        let on_linux = dir.path().join(format!("{name}-linux"));
        let mut args = vec!["gen", "all"];
        args.extend(extra);
        let example_z = z(&example());
        let out_z = z(&on_windows);
        let windows_args: Vec<&str> = args
            .iter()
            .copied()
            .chain([example_z.as_str(), "-o", out_z.as_str()])
            .collect();
        let made = exe(&windows_args);
        assert_eq!(
            made.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        let example_path = example();
        let linux_args: Vec<&str> = args
            .iter()
            .copied()
            .chain([
                example_path.to_str().unwrap(),
                "-o",
                on_linux.to_str().unwrap(),
            ])
            .collect();
        assert_eq!(linux(&linux_args).status.code(), Some(0));
        let (windows_files, linux_files) = (files(&on_windows), files(&on_linux));
        assert_eq!(
            windows_files.iter().map(|f| &f.0).collect::<Vec<_>>(),
            linux_files.iter().map(|f| &f.0).collect::<Vec<_>>(),
            "{name}: the same files"
        );
        for ((file, windows_bytes), (_, linux_bytes)) in windows_files.iter().zip(&linux_files) {
            assert!(
                windows_bytes == linux_bytes,
                "{name}: {file} differs between the builds"
            );
        }
        // The summary names Windows paths with one kind of separator.
        let summary = String::from_utf8_lossy(&made.stderr);
        assert!(
            summary.contains(&format!("wrote 8 files to {out_z}"))
                || summary.contains(&format!("wrote 9 files to {out_z}")),
            "{summary}"
        );
        assert!(summary.contains("  web\\web.config"), "{summary}");
        assert!(!summary.contains('/'), "mixed separators: {summary}");
    }
}

#[test]
fn check_and_review_give_the_linux_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert_eq!(
        linux(&[
            "gen",
            "all",
            example().to_str().unwrap(),
            "-o",
            out.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    let checked = exe(&["check", &z(&out)]);
    assert_eq!(
        checked.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&checked.stdout)
    );
    assert!(String::from_utf8_lossy(&checked.stdout).contains("checked 7 files"));
    // A finding: the same code, exit code and place, the file named the Windows way.
    let bad = dir.path().join("bad.config");
    std::fs::write(&bad, "<configuration>\r\n  <system.webServer>\r\n    <handlers bogus=\"1\" />\r\n  </system.webServer>\r\n</configuration>\r\n").unwrap();
    let windows_check = exe(&["check", "--color", "never", &z(&bad)]);
    let linux_check = linux(&["check", "--color", "never", bad.to_str().unwrap()]);
    assert_eq!(windows_check.status.code(), Some(1));
    assert_eq!(linux_check.status.code(), Some(1));
    let windows_text = String::from_utf8_lossy(&windows_check.stdout);
    assert!(
        windows_text.contains(&format!("{}:3:", z(&bad))),
        "{windows_text}"
    );
    assert_eq!(
        windows_text.replace(&z(&bad), "FILE"),
        String::from_utf8_lossy(&linux_check.stdout).replace(bad.to_str().unwrap(), "FILE"),
    );
    // review: the same steps and exit code.
    let script = out.join("install.cmd");
    let windows_review = exe(&["review", "--format", "json", &z(&script)]);
    let linux_review = linux(&["review", "--format", "json", script.to_str().unwrap()]);
    assert_eq!(windows_review.status.code(), linux_review.status.code());
    let steps = |o: &Output| {
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        report["runs"][0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["line"].clone(), s["exit_code"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(steps(&windows_review), steps(&linux_review));
}

#[test]
fn failures_give_exit_code_2_with_the_windows_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = z(&dir.path().join("missing.xml"));
    let out = exe(&["validate", "settings", &missing]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&missing), "{stderr}");
    let usage = exe(&["gen", "nothing"]);
    assert_eq!(usage.status.code(), Some(2));
}
