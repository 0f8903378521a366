//! `omero-iis review`: the real binary runs generated and hand-written scripts
//! against the built-in IIS 10 configuration and the fixtures in
//! tests/fixtures/review; the resulting applicationHost.config is parsed back
//! and compared with what the scripts are meant to do.

mod common;
use common::{bin, fixtures, transcript};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use omero_iis::review::document::Document;
use omero_iis::review::server::DEFAULT_APPHOST;

/// `gen all` of a settings set into a fresh folder.
fn generate(set: &str, extra: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let set_dir = fixtures().join("gen").join(set);
    let args: Vec<String> = std::fs::read_to_string(set_dir.join("args"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .filter(|a| a != "all")
        .collect();
    let output = bin()
        .arg("gen")
        .arg("all")
        .arg(set_dir.join("settings.omero"))
        .args(&args)
        .args(extra)
        .arg("-o")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    dir
}

fn review(args: &[&Path], extra: &[&str]) -> std::process::Output {
    bin().arg("review").args(args).args(extra).output().unwrap()
}

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", transcript(output)))
}

fn codes(report: &serde_json::Value) -> BTreeSet<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

/// One element as a comparable value: name, sorted attributes, children.
fn shape(node: roxmltree::Node) -> String {
    let mut attrs: Vec<String> = node
        .attributes()
        .map(|a| format!("{}={:?}", a.name(), a.value()))
        .collect();
    attrs.sort();
    let children: Vec<String> = node
        .children()
        .filter(|c| c.is_element())
        .map(shape)
        .collect();
    format!(
        "<{} {}>[{}]",
        node.tag_name().name(),
        attrs.join(" "),
        children.join(",")
    )
}

/// Whether `expected` (from the fragment) is in `actual` (the reviewed
/// configuration): the same element with the same attributes and, for
/// leaves of the fragment, the same children.
fn contains(actual: roxmltree::Node, expected: roxmltree::Node) -> bool {
    actual
        .children()
        .filter(|c| c.is_element())
        .any(|candidate| {
            candidate.tag_name() == expected.tag_name()
                && expected
                    .attributes()
                    .all(|a| candidate.attribute(a.name()) == Some(a.value()))
                && (expected.children().all(|c| !c.is_element())
                    || expected
                        .children()
                        .filter(|c| c.is_element())
                        .all(|child| contains(candidate, child)))
        })
}

#[test]
fn generated_install_on_a_default_server_gives_what_the_fragment_describes() {
    for (set, mode) in [
        ("default", None),
        ("custom-prefix", None),
        ("hostile", None),
        ("default", Some("reverse-proxy")),
    ] {
        let extra: Vec<&str> = mode.map_or(vec![], |m| vec!["--mode", m]);
        let dir = generate(set, &extra);
        let out = dir.path().join("out");
        let result = dir.path().join("after.config");
        // IIS with URL Rewrite and ARR, and the sites the sets name.
        let apphost = fixtures().join("review/sites-applicationHost.config");
        let args = [
            "--format",
            "json",
            "-o",
            result.to_str().unwrap(),
            "--apphost",
            apphost.to_str().unwrap(),
        ];
        let output = review(&[&out.join("install.cmd")], &args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{set}: {}",
            transcript(&output)
        );
        let report = json(&output);
        assert_eq!(report["runs"][0]["exit_code"], 0, "{set}");
        let after = std::fs::read_to_string(&result).unwrap();
        let after = roxmltree::Document::parse(&after).unwrap();
        let fragment = std::fs::read_to_string(out.join("applicationHost.fragment.xml")).unwrap();
        let fragment = roxmltree::Document::parse(&fragment).unwrap();
        // Every pool, application, restriction entry and location block of the fragment.
        fn walk(actual: roxmltree::Node, expected: roxmltree::Node, set: &str) {
            for child in expected.children().filter(|c| c.is_element()) {
                let name = child.tag_name().name();
                let is_item = matches!(name, "add" | "application" | "location");
                if is_item {
                    assert!(
                        contains(actual, child),
                        "{set}: the reviewed configuration lacks {}",
                        shape(child)
                    );
                } else if name == "site" {
                    let site = actual
                        .children()
                        .find(|s| s.attribute("name") == child.attribute("name"))
                        .unwrap_or_else(|| panic!("{set}: no site {:?}", child.attribute("name")));
                    walk(site, child, set);
                } else {
                    let inner = actual
                        .children()
                        .find(|c| c.tag_name().name() == name)
                        .unwrap_or_else(|| panic!("{set}: no <{name}> in the result"));
                    walk(inner, child, set);
                }
            }
        }
        walk(after.root_element(), fragment.root_element(), set);
        // And nothing else: every pool, application, restriction entry and
        // location block the script added is one the fragment describes.
        let before = std::fs::read_to_string(&apphost).unwrap();
        let before = roxmltree::Document::parse(&before).unwrap();
        let items = |doc: &roxmltree::Document| -> Vec<String> {
            doc.descendants()
                .filter(|n| {
                    matches!(n.tag_name().name(), "application" | "location")
                        || (n.tag_name().name() == "add"
                            && matches!(
                                n.parent_element().map(|p| p.tag_name().name()),
                                Some(
                                    "applicationPools"
                                        | "isapiCgiRestriction"
                                        | "allowedServerVariables"
                                )
                            ))
                })
                .map(shape)
                .collect()
        };
        let (old, new, described) = (items(&before), items(&after), items(&fragment));
        for added in new.iter().filter(|n| !old.contains(n)) {
            assert!(
                described.contains(added),
                "{set}: the script added {added}, which the fragment does not describe"
            );
        }
        assert!(new.len() > old.len(), "{set}: nothing was added");
    }
}

/// The second run leaves the configuration exactly as the first did: the
/// only steps that touch it again are the remove-then-add of
/// collection entries (isapiCgiRestriction, allowedServerVariables), which
/// converges on one entry by design.
#[test]
fn a_second_run_changes_nothing_and_fails_nowhere() {
    for mode in [None, Some("reverse-proxy")] {
        let extra: Vec<&str> = mode.map_or(vec![], |m| vec!["--mode", m]);
        let dir = generate("default", &extra);
        let install = dir.path().join("out/install.cmd");
        let apphost = fixtures().join("review/arr-applicationHost.config");
        let once = dir.path().join("once.config");
        let twice = dir.path().join("twice.config");
        let run = |scripts: &[&Path], out: &Path| {
            review(
                scripts,
                &[
                    "--format",
                    "json",
                    "--apphost",
                    apphost.to_str().unwrap(),
                    "-o",
                    out.to_str().unwrap(),
                ],
            )
        };
        assert_eq!(run(&[&install], &once).status.code(), Some(0));
        let output = run(&[&install, &install], &twice);
        assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
        assert_eq!(
            std::fs::read_to_string(&once).unwrap(),
            std::fs::read_to_string(&twice).unwrap(),
            "{mode:?}: the second run changed the configuration"
        );
        let report = json(&output);
        let second = &report["runs"][1];
        assert_eq!(second["exit_code"], 0);
        for step in second["steps"].as_array().unwrap() {
            assert!(!step["failure_ignored"].as_bool().unwrap(), "{step}");
            let changes = step["changes"].as_array().unwrap();
            // Remove-then-add of a collection entry (isapiCgiRestriction, allowedServerVariables).
            let command = step["command"].as_str().unwrap();
            let reconverges = command.contains("/-\"[") || command.contains("/+\"[");
            assert!(
                changes.is_empty() || reconverges,
                "{mode:?} changes again: {step}"
            );
        }
    }
}

#[test]
fn install_then_uninstall_leaves_the_configuration_as_it_was() {
    let dir = generate("default", &[]);
    let out = dir.path().join("out");
    let result = dir.path().join("after.config");
    let output = review(
        &[&out.join("install.cmd"), &out.join("uninstall.cmd")],
        &["-o", result.to_str().unwrap(), "--format", "diff"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("applicationHost.config"),
        "{}",
        transcript(&output)
    );
    assert_eq!(std::fs::read_to_string(&result).unwrap(), DEFAULT_APPHOST);

    // Reverse proxy: uninstall keeps ARR's server-wide <proxy> settings on
    // purpose (other sites may use them); that is the only difference.
    let dir = generate("default", &["--mode", "reverse-proxy"]);
    let out = dir.path().join("out");
    let apphost = fixtures().join("review/arr-applicationHost.config");
    let output = review(
        &[&out.join("install.cmd"), &out.join("uninstall.cmd")],
        &["--apphost", apphost.to_str().unwrap(), "--format", "diff"],
    );
    let diff = String::from_utf8_lossy(&output.stdout).into_owned();
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(changed.len(), 1, "{diff}");
    assert!(
        changed[0]
            .trim_start_matches('+')
            .trim()
            .starts_with("<proxy enabled=\"true\""),
        "{diff}"
    );
}

#[test]
fn an_existing_application_in_another_pool_is_taken_over_only_when_told() {
    let dir = generate("default", &[]);
    let apphost = fixtures().join("review/existing-omero-applicationHost.config");
    let install = dir.path().join("out/install.cmd");
    // Without /takeover install stops before it changes the application
    // (uninstall would delete what it did not create).
    let output = review(
        &[&install],
        &["--apphost", apphost.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    let report = json(&output);
    assert_eq!(report["runs"][0]["ended_after_label"], "taken_step5");
    assert!(codes(&report).contains("OW701"));
    let diff = review(
        &[&install],
        &["--apphost", apphost.to_str().unwrap(), "--format", "diff"],
    );
    let diff = String::from_utf8_lossy(&diff.stdout).into_owned();
    assert!(
        !diff.contains("D:\\old-omero"),
        "the application is left as it was:\n{diff}"
    );
    // With it, the settings it changes are reported before the steps.
    let output = review(
        &[&install],
        &["--apphost", apphost.to_str().unwrap(), "--arg", "/takeover"],
    );
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let conflicts = text
        .find("Conflicts with the configuration before the script runs")
        .expect(&text);
    let first_step = text.find("install.cmd:\n").expect(&text);
    assert!(conflicts < first_step, "{text}");
    assert!(
        text.contains("applicationPool=\"DefaultAppPool\""),
        "{text}"
    );
    assert!(text.contains("physicalPath=\"D:\\old-omero\""), "{text}");
    let output = review(
        &[&install],
        &[
            "--apphost",
            apphost.to_str().unwrap(),
            "--arg",
            "/takeover",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    assert!(codes(&json(&output)).contains("OW703"));
}

#[test]
fn reverse_proxy_install_stops_where_url_rewrite_is_missing() {
    let dir = generate("default", &["--mode", "reverse-proxy"]);
    let output = review(
        &[&dir.path().join("out/install.cmd")],
        &["--format", "json"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", transcript(&output));
    let report = json(&output);
    assert_eq!(report["runs"][0]["exit_code"], 1);
    assert_eq!(report["runs"][0]["ended_after_label"], "no_rewrite");
    assert!(codes(&report).contains("OW701"));
    assert!(report["changed_files"].as_array().unwrap().is_empty());
}

/// Hand-written scripts with typical mistakes: the failure a server would show.
#[test]
fn hand_written_scripts() {
    let expected: &[(&str, &str, i64)] = &[
        ("apphost-only.cmd", "OW701", 33),
        ("broken-quoting.cmd", "OW701", 1),
        ("call-arguments.cmd", "", 0),
        ("config-cmdlets.ps1", "", 0),
        ("delayed-expansion.cmd", "", 0),
        ("empty-operand.cmd", "OW701", 255),
        ("inherited-entries.cmd", "OW701", 183),
        ("joined-line.ps1", "OW701", 1),
        ("locked-handlers.cmd", "OW701", 33),
        ("locked-section.ps1", "OW701", 1),
        ("not-on-path.cmd", "OW701", 1),
        ("pool-and-site.ps1", "", 0),
        ("provider-items.ps1", "", 0),
        ("site-web-config.cmd", "", 0),
        ("unchecked-cmdlet.ps1", "OW702", 0),
        ("unchecked.cmd", "OW702", 0),
        ("unset-program.cmd", "OW701", 9009),
        ("wrong-section.cmd", "OW701", 87),
    ];
    let dir = fixtures().join("review");
    let found: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".cmd") || n.ends_with(".ps1"))
        .collect();
    let listed: BTreeSet<String> = expected.iter().map(|e| e.0.to_owned()).collect();
    assert_eq!(found, listed, "every fixture script has an expectation");
    for (name, code, exit) in expected {
        let run = |format: &str| {
            bin()
                .current_dir(&dir)
                .args(["review", name, "--site-root", "wwwroot", "--format", format])
                .output()
                .unwrap()
        };
        let report = json(&run("json"));
        assert_eq!(report["runs"][0]["exit_code"], *exit, "{name}");
        let codes = codes(&report);
        if code.is_empty() {
            assert!(
                codes.iter().all(|c| c != "OW701" && c != "OW702"),
                "{name}: {codes:?}"
            );
        } else {
            assert!(codes.contains(*code), "{name}: {codes:?}");
        }
        insta::assert_snapshot!(
            format!("hand-written-{name}"),
            format!(
                "{}\n--- diff\n{}",
                transcript(&run("text")),
                String::from_utf8_lossy(&run("diff").stdout)
            )
        );
    }
}

#[test]
fn every_review_rule_is_triggered() {
    let dir = generate("default", &[]);
    let install = dir.path().join("out/install.cmd");
    let existing = fixtures().join("review/existing-omero-applicationHost.config");
    let mut seen = BTreeSet::new();
    for output in [
        review(
            &[&install],
            &["--format", "json", "--apphost", existing.to_str().unwrap()],
        ),
        review(
            &[&install],
            &[
                "--format",
                "json",
                "--apphost",
                existing.to_str().unwrap(),
                "--arg",
                "/takeover",
            ],
        ),
        review(
            &[&fixtures().join("review/unchecked.cmd")],
            &["--format", "json"],
        ),
        review(
            &[&fixtures().join("review/wrong-section.cmd")],
            &["--format", "json"],
        ),
    ] {
        seen.extend(codes(&json(&output)));
    }
    for code in omero_iis::diagnostic::Code::ALL
        .iter()
        .filter(|c| c.id() >= "OW700")
    {
        assert!(
            seen.contains(code.id()),
            "no review test triggers {}",
            code.id()
        );
    }
}

#[test]
fn missing_paths_take_the_other_branch() {
    let dir = generate("default", &[]);
    let output = review(
        &[&dir.path().join("out/install.cmd")],
        &[
            "--missing",
            "C:\\OMERO.server\\lib\\python\\omero_web_iis.py",
            "--format",
            "json",
        ],
    );
    let report = json(&output);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(report["runs"][0]["ended_after_label"], "no_isapi_script");
}

#[test]
fn output_file_is_not_replaced_without_force_and_bad_apphost_is_an_error() {
    let dir = generate("default", &[]);
    let install = dir.path().join("out/install.cmd");
    let existing = dir.path().join("keep.config");
    std::fs::write(&existing, "keep").unwrap();
    let output = review(&[&install], &["-o", existing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", transcript(&output));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep");
    let output = review(&[&install], &["-o", existing.to_str().unwrap(), "--force"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(std::fs::read_to_string(&existing)
        .unwrap()
        .contains("omeroweb_omero"));

    let broken = dir.path().join("applicationHost.config");
    std::fs::write(
        &broken,
        "<configuration>\n  <system.applicationHost>\n</configuration>\n",
    )
    .unwrap();
    let output = review(&[&install], &["--apphost", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("applicationHost.config:3:"), "{stderr}");
}

/// Loading and writing back without changes gives the same bytes, for every
/// configuration file among the fixtures.
#[test]
fn configuration_files_round_trip_byte_for_byte() {
    let mut files = vec![];
    fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                collect(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| e == "config" || e == "xml")
            {
                out.push(path);
            }
        }
    }
    collect(&fixtures(), &mut files);
    let mut parsed = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let Ok(doc) = Document::parse(&text) else {
            continue;
        };
        assert_eq!(doc.to_text(), text, "{}", path.display());
        parsed += 1;
    }
    assert!(parsed > 20, "only {parsed} files parsed");
    assert_eq!(
        Document::parse(DEFAULT_APPHOST).unwrap().to_text(),
        DEFAULT_APPHOST
    );
}

/// A UTF-16 applicationHost.config (what some Windows tools write) is read,
/// and `-o` writes the result in the same encoding with its byte order mark.
#[test]
fn utf16_configuration_keeps_its_encoding() {
    let dir = generate("default", &[]);
    let apphost = dir.path().join("applicationHost.config");
    let utf16: Vec<u8> = std::iter::once(0xFEFFu16)
        .chain(DEFAULT_APPHOST.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::write(&apphost, utf16).unwrap();
    let result = dir.path().join("after.config");
    let output = review(
        &[&dir.path().join("out/install.cmd")],
        &[
            "--apphost",
            apphost.to_str().unwrap(),
            "-o",
            result.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    let bytes = std::fs::read(&result).unwrap();
    assert_eq!(&bytes[..2], &[0xFF, 0xFE]);
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).unwrap();
    assert!(text.contains("<add name=\"omeroweb_omero\""), "{text}");
}

/// Scripts from different folders each see their own folder as `%~dp0`.
#[test]
fn each_script_sees_its_own_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mut scripts = Vec::new();
    for name in ["first", "second"] {
        let folder = dir.path().join(name);
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("note.txt"), format!("from {name}\r\n")).unwrap();
        let script = folder.join("copy.cmd");
        std::fs::write(
            &script,
            format!("@echo off\r\ncopy /y \"%~dp0note.txt\" \"C:\\notes\\{name}.txt\"\r\nif errorlevel 1 exit /b 1\r\n"),
        )
        .unwrap();
        scripts.push(script);
    }
    let paths: Vec<&Path> = scripts.iter().map(PathBuf::as_path).collect();
    let output = review(&paths, &["--format", "diff"]);
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    let diff = String::from_utf8_lossy(&output.stdout);
    assert!(
        diff.contains("+++ b/C:\\notes\\first.txt\n@@ -0,0 +1 @@\n+from first"),
        "{diff}"
    );
    assert!(
        diff.contains("+++ b/C:\\notes\\second.txt\n@@ -0,0 +1 @@\n+from second"),
        "{diff}"
    );
}

/// A value no configuration file can store fails like appcmd (13) and
/// changes nothing.
#[test]
fn unstorable_values_fail_as_appcmd_does() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("control.cmd");
    std::fs::write(
        &script,
        "@echo off\r\n\"%windir%\\system32\\inetsrv\\appcmd.exe\" add apppool /name:\"a\u{1}b\"\r\nif errorlevel 1 exit /b\r\n",
    )
    .unwrap();
    let report = json(&review(&[&script], &["--format", "json"]));
    assert_eq!(report["runs"][0]["exit_code"], 13, "{report}");
    assert!(report["changed_files"].as_array().unwrap().is_empty());
}

/// `review --format json` of a script written from `text` (CRLF and CR
/// exactly as given), with `extra` arguments.
fn review_text(text: &str, extra: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.cmd");
    std::fs::write(&script, text).unwrap();
    json(
        &bin()
            .arg("review")
            .arg(&script)
            .args(["--format", "json"])
            .args(extra)
            .output()
            .unwrap(),
    )
}

/// cmd.exe finds `...\inetsrv\appcmd` through PATHEXT (`appcmd.exe`): it is
/// IIS's appcmd, with no note that it lives elsewhere.
#[test]
fn appcmd_without_its_extension_is_found_through_pathext() {
    let report = review_text(
        "@echo off\r\n%windir%\\system32\\inetsrv\\appcmd add apppool /name:omero\r\nif errorlevel 1 exit /b 1\r\n",
        &[],
    );
    let step = &report["runs"][0]["steps"][0];
    assert_eq!(step["exit_code"], 0, "{report:#}");
    assert_eq!(step["assumptions"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["runs"][0]["exit_code"], 0);
}

/// In a section the tables do not describe, a collection's entries are
/// found by the element name they already use: `<scheme>` in
/// `<httpCompression>` (the fixture's httpCompression is shaped like a
/// default IIS 10 server's with the compression features installed).
#[test]
fn entries_of_undescribed_collections_are_found_by_their_own_element_name() {
    let script = "@echo off\r\n%windir%\\system32\\inetsrv\\appcmd.exe set config -section:httpCompression /-[name='gzip'] /commit:apphost\r\nif errorlevel 1 exit /b 1\r\n";
    let apphost = fixtures().join("review/compression-applicationHost.config");
    let report = review_text(script, &["--apphost", apphost.to_str().unwrap()]);
    assert_eq!(report["runs"][0]["exit_code"], 0, "{report:#}");
    let change = &report["runs"][0]["steps"][0]["changes"][0];
    assert_eq!(
        change["path"], "/configuration/system.webServer/httpCompression/scheme[@name='gzip']",
        "{report:#}"
    );
    // Without the scheme (the built-in server has none): 4312, as appcmd says.
    let bare = review_text(script, &[]);
    assert_eq!(bare["runs"][0]["steps"][0]["exit_code"], 4312, "{bare:#}");
}

/// cmd.exe removes the CR of a line that ends with CR alone, so the next
/// line joins it: `goto :end` + CR + `exit /b 4` jumps to `:endexit`,
/// which does not exist (exit code 1), not to `:end`.
#[test]
fn a_line_ending_with_cr_alone_joins_the_next() {
    let report = review_text(
        "@echo off\r\ngoto :end\rexit /b 4\r\nexit /b 3\r\n:end\r\nexit /b 0\r\n",
        &[],
    );
    assert_eq!(report["runs"][0]["exit_code"], 1, "{report:#}");
}

/// `&&` runs its right side only after a success, `||` only after a
/// failure, as Windows' cmd.exe does (Wine 8's cmd.exe runs both whatever
/// the exit code, see tests/wine.rs: the review follows Windows).
#[test]
fn and_and_or_follow_the_exit_code_as_windows_does() {
    let report = review_text(
        "@echo off\r\n\
         \"C:\\p.exe\" first || \"C:\\p.exe\" never-or\r\n\
         %windir%\\system32\\inetsrv\\appcmd.exe add apppool /name:DefaultAppPool || \"C:\\p.exe\" after-failure\r\n\
         %windir%\\system32\\inetsrv\\appcmd.exe add apppool /name:DefaultAppPool && \"C:\\p.exe\" never-and\r\n\
         \"C:\\p.exe\" ok && \"C:\\p.exe\" after-success\r\n\
         exit /b 0\r\n",
        &[],
    );
    let recorded: Vec<String> = report["runs"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["program"] == "C:\\p.exe")
        .map(|s| s["arguments"][0].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        recorded,
        ["first", "after-failure", "ok", "after-success"],
        "{report:#}"
    );
}

/// `%0` is the script as invoked, or in a called label the label as the
/// call wrote it; `shift` moves `%1` into `%0` (the differential test in
/// tests/wine.rs found both against Wine's cmd.exe).
#[test]
fn percent_zero_follows_call_and_shift() {
    let report = review_text(
        "@echo off\r\n\"C:\\p.exe\" top %0\r\ncall :lbl a b\r\nexit /b 0\r\n:lbl\r\n\"C:\\p.exe\" in %0 %1\r\nshift\r\n\"C:\\p.exe\" shifted %0 %1\r\nexit /b 0\r\n",
        &["--script-folder", "C:\\s"],
    );
    let recorded: Vec<Vec<String>> = report["runs"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["program"] == "C:\\p.exe")
        .map(|s| {
            s["arguments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect()
        })
        .collect();
    assert_eq!(
        recorded,
        [
            vec!["top", "C:\\s\\script.cmd"],
            vec!["in", ":lbl", "a"],
            vec!["shifted", "a", "b"]
        ],
        "{report:#}"
    );
}

/// A loop that doubles a variable ends where cmd.exe ends it, at its
/// 8191-character line limit ("The input line is too long."), instead of
/// growing the review's memory: with percent and with delayed expansion.
#[test]
fn a_variable_doubled_in_a_loop_stops_at_cmds_line_limit() {
    for doubling in ["set X=%X%%X%", "set X=!X!!X!"] {
        let report = review_text(
            &format!("@echo off\r\nsetlocal EnableDelayedExpansion\r\nset X=ab\r\n:loop\r\n{doubling}\r\ngoto loop\r\n"),
            &[],
        );
        let steps = report["runs"][0]["steps"].as_array().unwrap();
        let last = steps.last().unwrap();
        assert_eq!(last["output"], "The input line is too long.", "{report:#}");
        assert_eq!(report["runs"][0]["exit_code"], 1, "{report:#}");
        assert!(steps.len() < 20, "{doubling}: {} steps", steps.len());
    }
}

/// `echo text > file` and `>> file` write what cmd.exe writes (the text
/// after `echo `, a space before `>` included, and CR LF), so a batch file
/// that builds a web.config line by line shows it in the diff; a
/// program's output to a file leaves a file whose content is not known;
/// `> nul` writes nothing. The redirection is not the command's failure:
/// the `if errorlevel` after `appcmd ... > file` still looks at appcmd's.
#[test]
fn echo_to_a_file_writes_what_cmd_writes() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("build.cmd");
    std::fs::write(
        &script,
        "@echo off\r\n\
         echo ^<configuration^> > \"C:\\site\\web.config\"\r\n\
         echo   ^<system.webServer /^>>> \"C:\\site\\web.config\"\r\n\
         echo.>> \"C:\\site\\web.config\"\r\n\
         echo ^</configuration^>>>\"C:\\site\\web.config\"\r\n\
         %windir%\\system32\\inetsrv\\appcmd.exe list app \"Nowhere/x\" > \"C:\\site\\apps.txt\"\r\n\
         if errorlevel 1 echo no such application> nul\r\n\
         if errorlevel 1 exit /b 0\r\n",
    )
    .unwrap();
    let args = [
        "--missing",
        "C:\\site\\web.config",
        "--missing",
        "C:\\site\\apps.txt",
    ];
    let report = json(&review(
        &[&script],
        &[&["--format", "json"][..], &args[..]].concat(),
    ));
    assert_eq!(report["runs"][0]["exit_code"], 0, "{report}");
    let steps = report["runs"][0]["steps"].as_array().unwrap();
    let appcmd = steps.iter().find(|s| s["kind"] == "appcmd").unwrap();
    assert_eq!(appcmd["exit_code"], 1168);
    assert_eq!(appcmd["failure_ignored"], false, "{appcmd}");
    let changed: Vec<String> = report["changed_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["file"].as_str().unwrap(),
                f["change"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        changed.contains(&"C:\\site\\web.config created".to_owned()),
        "{changed:?}"
    );
    assert!(
        changed.iter().any(|c| c.starts_with("C:\\site\\apps.txt")),
        "{changed:?}"
    );
    let diff = review(&[&script], &[&["--format", "diff"][..], &args[..]].concat());
    let diff = String::from_utf8_lossy(&diff.stdout);
    let expected = "+<configuration> \r\n+  <system.webServer />\r\n+\r\n+</configuration>\r\n";
    assert!(diff.contains(expected), "{diff:?}");
}

/// `appcmd list OBJECT /xml | appcmd VERB OBJECT /in ...` (the pipe of
/// "Getting Started with AppCmd.exe"): the right side runs on each object
/// the left one listed; `list` without an identifier lists every object.
#[test]
fn appcmd_reads_the_objects_another_appcmd_lists() {
    let report = review_text(
        "@echo off\r\n\
         set A=%windir%\\system32\\inetsrv\\appcmd.exe\r\n\
         %A% add apppool /name:second\r\n\
         %A% list apppool /xml | %A% set apppool /in /managedRuntimeVersion:\"\"\r\n\
         if errorlevel 1 exit /b 1\r\n\
         %A% list site\r\n",
        &[],
    );
    assert_eq!(report["runs"][0]["exit_code"], 0, "{report}");
    let steps = report["runs"][0]["steps"].as_array().unwrap();
    // The text form, as appcmd prints it.
    assert_eq!(
        steps.last().unwrap()["output"],
        "SITE \"Default Web Site\" (id:1)",
        "{report}"
    );
    let list = steps
        .iter()
        .find(|s| s["command"].as_str().unwrap().contains("list apppool /xml"))
        .unwrap();
    assert!(
        list["output"]
            .as_str()
            .unwrap()
            .contains("<APPPOOL APPPOOL.NAME=\"second\""),
        "{list}"
    );
    let set = steps
        .iter()
        .find(|s| s["command"].as_str().unwrap().contains("/in"))
        .unwrap();
    let changed: Vec<&str> = set["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        changed,
        [
            "sets managedRuntimeVersion=\"\" on application pool `DefaultAppPool`",
            "sets managedRuntimeVersion=\"\" on application pool `second`"
        ],
        "{set}"
    );
    let codes = codes(&report);
    assert!(!codes.contains("OW705"), "{report}");
}

/// The programs and arguments of a review, in order.
fn calls(report: &serde_json::Value) -> Vec<Vec<String>> {
    report["runs"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "appcmd" || s["kind"] == "external")
        .map(|s| {
            std::iter::once(s["program"].as_str().unwrap().to_owned())
                .chain(
                    s["arguments"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_owned()),
                )
                .collect()
        })
        .collect()
}

/// A batch file the script wrote runs when the script calls it, in the
/// same environment; without `call` it replaces the script, which does not
/// go on. A `call` that recurses for ever stops at a bound, as cmd.exe's
/// does, instead of taking the review's stack.
#[test]
fn a_called_batch_file_the_review_knows_runs() {
    let report = review_text(
        "@echo off\r\nset \"S=C:\\Windows\\TEMP\\step.cmd\"\r\nset POOL=omero\r\n\
         echo @%%windir%%\\system32\\inetsrv\\appcmd.exe add apppool /name:%%POOL%% %%1> \"%S%\"\r\n\
         call \"%S%\" /managedRuntimeVersion:\r\nif errorlevel 1 exit /b 1\r\n\
         \"%S%\" /x:y\r\necho never\r\nC:\\x\\after.exe\r\n",
        &["--missing", "C:\\Windows\\TEMP\\step.cmd"],
    );
    assert_eq!(
        calls(&report),
        [
            vec![
                "C:\\Windows\\system32\\inetsrv\\appcmd.exe",
                "add",
                "apppool",
                "/name:omero",
                "/managedRuntimeVersion:"
            ],
            vec![
                "C:\\Windows\\system32\\inetsrv\\appcmd.exe",
                "add",
                "apppool",
                "/name:omero",
                "/x:y"
            ],
        ],
        "{report:#}"
    );
    // The second run's code (appcmd refuses `/x:y`) is the script's: it
    // ended with the batch file that replaced it.
    assert_eq!(report["runs"][0]["exit_code"], 87, "{report:#}");
    let deep = review_text("@echo off\r\n:again\r\ncall :again\r\n", &[]);
    assert!(deep.to_string().contains("BATCH RECURSION"), "{deep:#}");
}

/// `for` variables and arguments take cmd's `~` modifiers; `for /f` runs
/// its command as `cmd /c` does: a line that starts with a quote and holds
/// more loses its first and last quote, so the program is not found and
/// the loop gets nothing (Windows' rule, `cmd /?`; Wine's cmd.exe agrees);
/// `dir /b` and `echo` give the loop lines; `/text:name` prints names.
#[test]
fn for_loops_read_what_cmd_gives_them() {
    let report = review_text(
        "@echo off\r\n\
         for %%f in (\"C:\\inetpub\\omero\\web.config\") do C:\\x\\t.exe %%~nxf %%~dpf %%~f\r\n\
         call :sub \"C:\\a b\\c.dll\"\r\n\
         for /f \"usebackq tokens=*\" %%s in (`\"%windir%\\system32\\inetsrv\\appcmd.exe\" list apppool \"DefaultAppPool\" /text:state`) do C:\\x\\never.exe %%s\r\n\
         for /f \"delims=\" %%p in ('%windir%\\system32\\inetsrv\\appcmd.exe list apppool /text:name') do C:\\x\\pool.exe %%p\r\n\
         for /f %%e in ('echo one') do C:\\x\\echoed.exe %%e\r\n\
         exit /b 0\r\n:sub\r\nC:\\x\\arg.exe %~n1 %~x1\r\nexit /b 0\r\n",
        &[],
    );
    let calls = calls(&report);
    let programs: Vec<&str> = calls.iter().map(|c| c[0].as_str()).collect();
    assert_eq!(
        calls[0][1..],
        [
            "web.config",
            "C:\\inetpub\\omero\\",
            "C:\\inetpub\\omero\\web.config"
        ],
        "{report:#}"
    );
    assert_eq!(calls[1][1..], ["c", ".dll"], "{report:#}");
    assert!(!programs.contains(&"C:\\x\\never.exe"), "{programs:?}");
    let pools: Vec<&str> = calls
        .iter()
        .filter(|c| c[0] == "C:\\x\\pool.exe")
        .map(|c| c[1].as_str())
        .collect();
    assert_eq!(pools, ["DefaultAppPool"], "{report:#}");
    assert!(
        calls
            .iter()
            .any(|c| c[0] == "C:\\x\\echoed.exe" && c[1] == "one"),
        "{report:#}"
    );
}

/// Review findings a helper's reading of the front end turned up, each
/// pinned: a plain `for` set one item per line (and a `call` argument
/// quoted twice); a section that is no IIS section and not .NET's is still
/// appcmd's "Unknown config section" (87), while a .NET one with
/// `/commit:MACHINE` is taken as succeeding.
#[test]
fn front_end_corner_cases() {
    let report = review_text(
        "@echo off\r\nfor %%f in (\r\n a.txt\r\n \"b c.txt\",d\r\n) do C:\\x\\item.exe %%f end\r\n\
         call :q \"\"a\"\"\r\n\
         %windir%\\system32\\inetsrv\\appcmd.exe set config /commit:MACHINE -section:machineSettings -maxTimeout:23:00:00\r\n\
         %windir%\\system32\\inetsrv\\appcmd.exe set config -section:directoryBrowsing /enabled:false\r\n\
         exit /b\r\n:q\r\nC:\\x\\arg.exe %~1\r\nexit /b 0\r\n",
        &[],
    );
    let calls = calls(&report);
    let items: Vec<String> = calls
        .iter()
        .filter(|c| c[0] == "C:\\x\\item.exe")
        .map(|c| c[1..].join(" "))
        .collect();
    assert_eq!(items, ["a.txt end", "b c.txt end", "d end"], "{report:#}");
    let arg = calls.iter().find(|c| c[0] == "C:\\x\\arg.exe").unwrap();
    assert_eq!(arg[1], "a", "{report:#}");
    let steps = report["runs"][0]["steps"].as_array().unwrap();
    let codes: Vec<i64> = steps
        .iter()
        .filter(|s| s["kind"] == "appcmd")
        .map(|s| s["exit_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [0, 87], "{report:#}");
}

/// A backup restored at the end leaves applicationHost.config changed: the
/// report says so, as the file written with `-o` shows.
#[test]
fn a_restored_backup_is_a_change_of_the_configuration() {
    let a = "%windir%\\system32\\inetsrv\\appcmd";
    let report = review_text(
        &format!(
            "@echo off\r\n{a} add apppool /name:omero\r\n{a} add backup b1\r\n{a} restore backup b1\r\n"
        ),
        &[],
    );
    let files = report["changed_files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{report:#}");
    assert_eq!(files[0]["file"], "applicationHost.config", "{report:#}");
}

/// What follows the root element is read too: a second root, text or a
/// comment left open is an error with its place, as IIS refuses the file.
#[test]
fn what_follows_the_root_element_is_checked_too() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.cmd");
    std::fs::write(&script, "@echo off\r\n").unwrap();
    for tail in ["<configuration />", "junk", "<!-- open"] {
        let apphost = dir.path().join("applicationHost.config");
        std::fs::write(
            &apphost,
            format!("<configuration>\n</configuration>\n{tail}"),
        )
        .unwrap();
        let output = review(&[&script], &["--apphost", apphost.to_str().unwrap()]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{tail}: {}",
            transcript(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("applicationHost.config:3:"),
            "{tail}: {stderr}"
        );
    }
}

/// Section groups nested 100,000 deep (the reader sets no depth limit) are
/// read without recursion: the review runs instead of overflowing its stack.
#[test]
fn deeply_nested_section_groups_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.cmd");
    std::fs::write(&script, "@echo off\r\n").unwrap();
    let apphost = dir.path().join("applicationHost.config");
    let depth = 100_000;
    std::fs::write(
        &apphost,
        format!(
            "<configuration><configSections>{}<section name=\"s\" />{}</configSections></configuration>",
            "<sectionGroup name=\"g\">".repeat(depth),
            "</sectionGroup>".repeat(depth)
        ),
    )
    .unwrap();
    let output = review(&[&script], &["--apphost", apphost.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
}
