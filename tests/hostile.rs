//! Hostile and broken input, and failures while writing: each case gives a
//! clear message and its documented exit code, and nothing is written or lost.
//! Then the secure defaults of what `gen` writes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use common::{bin, gen_into, run, Outcome};

fn fixture(path: &str) -> PathBuf {
    common::fixtures().join(path)
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn broken_xml_is_reported_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let truncated = write(
        dir.path(),
        "web.config",
        "<configuration>\n  <system.webServer>\n    <handlers",
    );
    let out = run(bin().arg("check").arg(&truncated));
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.contains("error[OW301]"), "{}", out.stdout);
    assert!(out.stdout.contains("web.config:3:"), "{}", out.stdout);

    let config = write(
        dir.path(),
        "config.xml",
        "<icegrid><properties id=\"__ACTIVE__\"><property name=\"omero.web.prefix\"",
    );
    let out = run(bin().args(["validate", "settings"]).arg(&config));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("config.xml:1:"), "{}", out.stderr);
}

#[test]
fn entity_expansion_is_never_performed() {
    let dir = tempfile::tempdir().unwrap();
    let mut laughs = String::from("<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY l0 \"ha\">");
    for i in 1..10 {
        let prev = format!("&l{};", i - 1);
        laughs.push_str(&format!("<!ENTITY l{i} \"{}\">", prev.repeat(10)));
    }
    laughs.push_str("]>");
    let config = write(
        dir.path(),
        "web.config",
        format!("{laughs}<configuration>&l9;</configuration>"),
    );
    let out = run(bin().arg("check").arg(&config));
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.contains("error[OW302]"), "{}", out.stdout);

    let settings = write(
        dir.path(),
        "config.xml",
        format!("{laughs}<icegrid><properties id=\"__ACTIVE__\"><property name=\"omero.web.prefix\" value=\"&l9;\"/></properties></icegrid>"),
    );
    let out = run(bin().args(["validate", "settings"]).arg(&settings));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.to_lowercase().contains("dtd"), "{}", out.stderr);
}

#[test]
fn deeply_nested_elements_do_not_crash() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100_000;
    let nested = format!(
        "<configuration>{}{}</configuration>",
        "<a>".repeat(n),
        "</a>".repeat(n)
    );
    let config = write(dir.path(), "web.config", &nested);
    let out = run(bin().arg("check").arg(&config));
    assert!(matches!(out.code, Some(0..=2)), "{}", out.stderr);
    let settings = write(
        dir.path(),
        "config.xml",
        format!(
            "<icegrid><properties id=\"__ACTIVE__\">{}{}</properties></icegrid>",
            "<a>".repeat(n),
            "</a>".repeat(n)
        ),
    );
    let out = run(bin().args(["validate", "settings"]).arg(&settings));
    assert!(matches!(out.code, Some(0..=2)), "{}", out.stderr);
}

#[test]
fn oversized_inputs_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    // 200 MB of one line, as a sparse file: refused by size, never read.
    let huge = dir.path().join("applicationHost.config");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(200 << 20)
        .unwrap();
    let out = run(bin().arg("check").arg(&huge));
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .contains("the input is 209715200 bytes; the limit is 134217728 bytes"),
        "{}",
        out.stderr
    );
    let settings = dir.path().join("config.xml");
    std::fs::File::create(&settings)
        .unwrap()
        .set_len(17 << 20)
        .unwrap();
    let out = run(bin().args(["validate", "settings"]).arg(&settings));
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("the limit is 16777216 bytes"),
        "{}",
        out.stderr
    );
}

#[test]
fn garbage_and_wrong_encodings_name_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = write(dir.path(), "x.config", [0x3c, 0x61, 0xff, 0xfe, 0x80, 0x3e]);
    let out = run(bin().arg("check").arg(&garbage));
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("invalid UTF-8 at byte offset 2"),
        "{}",
        out.stderr
    );
    let utf16: Vec<u8> = "<configuration />"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let no_bom = write(dir.path(), "y.config", utf16);
    let out = run(bin().arg("check").arg(&no_bom));
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("UTF-16 without a byte order mark"),
        "{}",
        out.stderr
    );
    // A stray NUL in otherwise good text is a finding with its place.
    let nul = write(dir.path(), "web.omero", b"omero.web.prefix=/om\0ero\n");
    let out = run(bin().args(["validate", "settings"]).arg(&nul));
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.contains("error[OW016]"), "{}", out.stdout);
    assert!(out.stdout.contains("web.omero:1:21"), "{}", out.stdout);
}

#[test]
fn folders_and_missing_files_as_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(bin().args(["validate", "settings"]).arg(dir.path()));
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("is a folder, not a file"),
        "{}",
        out.stderr
    );
    let out = run(bin()
        .args(["validate", "settings"])
        .arg(dir.path().join("missing.xml")));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("missing.xml"), "{}", out.stderr);
    let out = run(bin().arg("check").arg(dir.path().join("missing.config")));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("missing.config"), "{}", out.stderr);
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn an_output_folder_that_cannot_be_made_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = write(dir.path(), "out", "a file where the folder should be");
    let out = gen_into(&blocker, &[]);
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("out"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(&blocker).unwrap(),
        "a file where the folder should be"
    );
}

/// Runs `gen --force` with a file-size limit, as a full disk would stop it.
fn gen_with_file_size_limit(out: &Path, ignore_signal: bool) -> Outcome {
    let exe = assert_cmd::cargo::cargo_bin("omero-iis");
    let trap = if ignore_signal { "trap '' XFSZ; " } else { "" };
    let script =
        format!("{trap}ulimit -f 2; exec \"$0\" gen all \"$1\" -o \"$2\" --force --deny errors");
    let output = Process::new("sh")
        .arg("-c")
        .arg(script)
        .arg(exe)
        .arg(fixture("validate/good-config.xml"))
        .arg(out)
        .output()
        .unwrap();
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn a_full_disk_leaves_the_previous_files_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert_eq!(gen_into(&out, &[]).code, Some(0));
    // Mark the previous generation so a partial replacement would show.
    let marked = out.join("install.cmd");
    let mut previous = std::fs::read(&marked).unwrap();
    previous.extend_from_slice(b"rem previous generation\r\n");
    std::fs::write(&marked, &previous).unwrap();
    let before = snapshot(&out);

    // The write fails with EFBIG (1 KiB blocks: 2 KiB allowed, install.cmd is larger).
    let failed = gen_with_file_size_limit(&out, true);
    assert_eq!(failed.code, Some(2), "{}", failed.stderr);
    assert!(failed.stderr.contains("too large"), "{}", failed.stderr);
    let after = snapshot(&out);
    let names = |s: &[(PathBuf, Vec<u8>)]| s.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&after),
        names(&before),
        "no temporary files are left behind"
    );
    // Every file is written before any is replaced: nothing changed.
    assert_eq!(after, before, "a failed write replaces no file");
    assert_eq!(std::fs::read(&marked).unwrap(), previous);
}

/// Each file under `out` is either what it was (`before`) or the complete new file.
fn assert_every_file_is_old_or_complete(dir: &Path, out: &Path, before: &[(PathBuf, Vec<u8>)]) {
    let reference = dir.join("reference");
    assert_eq!(gen_into(&reference, &["--force"]).code, Some(0));
    for (path, bytes) in snapshot(out) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(".omero-iis-tmp-") || name == ".omero-iis.lock" {
            continue; // a killed process's temporary file, never under a real name
        }
        let old = before.iter().find(|(p, _)| *p == path).map(|(_, b)| b);
        let new = std::fs::read(reference.join(path.strip_prefix(out).unwrap())).unwrap();
        assert!(
            Some(&bytes) == old || bytes == new,
            "{} is neither the old nor the complete new file",
            path.display()
        );
    }
}

#[test]
fn a_killed_run_leaves_every_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert_eq!(gen_into(&out, &[]).code, Some(0));
    // A file that differs from the new one, so that the run has to write.
    let marked = out.join("install.cmd");
    let mut previous = std::fs::read(&marked).unwrap();
    previous.extend_from_slice(b"rem previous generation\r\n");
    std::fs::write(&marked, &previous).unwrap();
    let before = snapshot(&out);
    // Without the trap, SIGXFSZ kills the process in the middle of a write.
    let killed = gen_with_file_size_limit(&out, false);
    assert_eq!(killed.code, None, "killed by a signal: {}", killed.stderr);
    assert_every_file_is_old_or_complete(dir.path(), &out, &before);
}

#[test]
fn symlinked_output_files_are_replaced_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let victim = write(dir.path(), "victim.txt", "must not change");
    std::os::unix::fs::symlink(&victim, out.join("install.cmd")).unwrap();
    let refused = gen_into(&out, &[]);
    assert_eq!(refused.code, Some(2));
    assert!(
        refused.stderr.contains("already exists"),
        "{}",
        refused.stderr
    );
    let forced = gen_into(&out, &["--force"]);
    assert_eq!(forced.code, Some(0), "{}", forced.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "must not change");
    let meta = std::fs::symlink_metadata(out.join("install.cmd")).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the link itself was replaced by the new file"
    );
}

#[test]
fn concurrent_runs_into_one_folder_leave_complete_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let reference = dir.path().join("reference");
    assert_eq!(gen_into(&reference, &[]).code, Some(0));
    let exe = assert_cmd::cargo::cargo_bin("omero-iis");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Process::new(&exe)
                .args(["gen", "all"])
                .arg(fixture("validate/good-config.xml"))
                .arg("-o")
                .arg(&out)
                .arg("--force")
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        let status = child.wait().unwrap();
        assert!(matches!(status.code(), Some(0) | Some(2)), "{status:?}");
    }
    let written = snapshot(&out);
    let expected = snapshot(&reference);
    assert_eq!(written.len(), expected.len(), "no temporary files are left");
    for ((path, bytes), (_, reference_bytes)) in written.iter().zip(&expected) {
        assert_eq!(bytes, reference_bytes, "{} is complete", path.display());
    }
}

// ------------------------------------------------------------- secure defaults

fn generated(extra: &[&str]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let result = gen_into(&out, extra);
    assert_eq!(result.code, Some(0), "{}", result.stderr);
    snapshot(&out)
        .into_iter()
        .map(|(p, b)| {
            let name = p.strip_prefix(&out).unwrap().display().to_string();
            (name, String::from_utf8(b).unwrap())
        })
        .collect()
}

#[test]
fn generated_configuration_is_secure_by_default() {
    for mode in [
        &["--mode", "isapi-wsgi"][..],
        &["--mode", "reverse-proxy", "--backend", "omeroweb:4080"][..],
    ] {
        let files = generated(mode);
        let web_configs: Vec<_> = files
            .iter()
            .filter(|(n, _)| n.ends_with("web.config"))
            .collect();
        assert_eq!(web_configs.len(), 2, "{mode:?}");
        for (name, text) in web_configs {
            let doc = roxmltree::Document::parse(text).unwrap();
            let has = |tag: &str, attr: &str, value: &str| {
                doc.descendants()
                    .any(|n| n.has_tag_name(tag) && n.attribute(attr) == Some(value))
            };
            assert!(
                has("directoryBrowse", "enabled", "false"),
                "{name}: no directory listings"
            );
            assert!(
                has("remove", "name", "X-Powered-By"),
                "{name}: X-Powered-By removed"
            );
            let hidden = doc
                .descendants()
                .find(|n| n.has_tag_name("hiddenSegments"))
                .unwrap_or_else(|| panic!("{name}: hiddenSegments"));
            assert!(
                hidden
                    .children()
                    .any(|n| n.has_tag_name("add") && n.attribute("segment") == Some("web.config")),
                "{name}: requests for web.config are denied"
            );
        }
        let install = &files.iter().find(|(n, _)| n == "install.cmd").unwrap().1;
        assert!(!install.to_lowercase().contains("everyone"), "{mode:?}");
        if mode[1] == "isapi-wsgi" {
            // Folder permissions go to the pool identity only.
            for line in install.lines().filter(|l| l.starts_with("icacls")) {
                assert!(
                    line.contains("/grant \"IIS AppPool\\omeroweb_omero:"),
                    "{line}"
                );
            }
        }
    }
}

#[test]
fn secrets_from_the_settings_never_reach_an_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let settings = write(
        dir.path(),
        "secrets.omero",
        "omero.web.prefix=/omero\n\
         omero.web.secret_key=SECRET-KEY-MARKER\n\
         omero.mail.password=MAIL-PASSWORD-MARKER\n\
         omero.web.public.password=PUBLIC-PASSWORD-MARKER\n\
         omero.web.application_server.host=omeroweb.example.org\n",
    );
    for mode in ["isapi-wsgi", "reverse-proxy"] {
        let out = dir.path().join(mode);
        let result = run(bin()
            .args(["gen", "all", "--mode", mode, "-o"])
            .arg(&out)
            .arg(&settings));
        assert_eq!(result.code, Some(0), "{}", result.stderr);
        for (path, bytes) in snapshot(&out) {
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains("MARKER"),
                "{} carries a secret",
                path.display()
            );
        }
        assert!(
            !result.stderr.contains("MARKER"),
            "findings show secrets masked"
        );
    }
}

#[test]
fn written_files_get_the_umask_permissions_of_new_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let exe = assert_cmd::cargo::cargo_bin("omero-iis");
    for (umask, expected) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let out = dir.path().join(format!("out-{umask}"));
        let status = Process::new("sh")
            .arg("-c")
            .arg(format!(
                "umask {umask}; exec \"$0\" gen all \"$1\" -o \"$2\""
            ))
            .arg(&exe)
            .arg(fixture("validate/good-config.xml"))
            .arg(&out)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let written = snapshot(&out);
        // Eight files and the lock file, which gets the same permissions.
        assert_eq!(written.len(), 9, "umask {umask}: {} files", written.len());
        for (path, _) in written {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, expected, "{} with umask {umask}", path.display());
        }
    }
}

/// Batch lines nested past any real script's depth (blocks, `if`s, `&`
/// chains, `for` in `for`, recursion through `call` inside deep blocks)
/// end in a normal report from `check` and `review`: the cmd front end
/// bounds its tree, `check` the `for` bodies it reads, and `review` its
/// call depth, never the process's stack.
#[test]
fn deeply_nested_batch_lines_do_not_crash() {
    let dir = tempfile::tempdir().unwrap();
    let scripts = [
        format!(
            "@echo off\r\n{}echo x{}\r\n",
            "(".repeat(30_000),
            ")".repeat(30_000)
        ),
        format!("@echo off\r\n{}echo x\r\n", "if 1==1 ".repeat(30_000)),
        format!("@echo off\r\n{}\r\n", "echo a&".repeat(30_000)),
        format!(
            "setlocal\r\n{}icacls x\r\n",
            "for %%i in (1) do ".repeat(30_000)
        ),
        format!(
            "@echo off\r\n:a\r\n{}call :a{}\r\n",
            "(".repeat(127),
            ")".repeat(127)
        ),
        format!(
            "@echo off\r\n(\r\n{}\r\n)\r\n",
            "echo line\r\n".repeat(5_000)
        ),
    ];
    for (n, text) in scripts.iter().enumerate() {
        let path = write(dir.path(), &format!("deep{n}.cmd"), text);
        for command in ["check", "review"] {
            let out = bin().arg(command).arg(&path).output().unwrap();
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{command} deep{n}.cmd: {:?}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
