//! `omero-iis check`: the real binary on the fixtures in tests/fixtures/check
//! (one failing and one passing input per rule), on hand-written realistic
//! files, and on everything `gen` writes.

mod common;
use common::{bin, fixtures, transcript};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use omero_iis::diagnostic::Code;

/// Extra arguments kept beside a fixture (`NAME.args`), one per line.
fn args_for(path: &Path) -> Vec<String> {
    let mut name = path.as_os_str().to_owned();
    name.push(".args");
    std::fs::read_to_string(name)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Runs `check` from the check fixtures folder (stable names in the output).
fn check(path: &Path, extra: &[&str]) -> std::process::Output {
    let dir = fixtures().join("check");
    let relative = path.strip_prefix(&dir).unwrap_or(path);
    bin()
        .current_dir(&dir)
        .arg("check")
        .arg(relative)
        .args(args_for(path))
        .args(extra)
        .output()
        .unwrap()
}

fn codes(output: &std::process::Output) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", transcript(output)));
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

fn is_fixture(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    name.starts_with("OW") && !name.ends_with(".args")
}

/// Every fixture: `OWxxx-fail*` reports OWxxx, `OWxxx-pass*` reports nothing
/// and exits 0. Text and JSON output are snapshots.
#[test]
fn check_fixtures() {
    insta::glob!("fixtures/check/OW*", |path| {
        if !is_fixture(path) {
            return;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let code = &name[..5];
        let text = check(path, &[]);
        let json = check(path, &["--format", "json"]);
        let found = codes(&json);
        if name[5..].starts_with("-fail") {
            assert!(
                found.iter().any(|c| c == code),
                "{name} does not report {code}: {found:?}"
            );
        } else {
            assert!(found.is_empty(), "{name} reports {found:?}");
            assert_eq!(text.status.code(), Some(0), "{name}");
        }
        insta::assert_snapshot!(format!(
            "{}\n--- json\n{}",
            transcript(&text),
            String::from_utf8_lossy(&json.stdout)
        ));
    });
}

#[test]
fn every_check_rule_has_a_failing_and_a_passing_fixture() {
    let names: BTreeSet<String> = std::fs::read_dir(fixtures().join("check"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for code in Code::ALL
        .iter()
        .filter(|c| c.id() >= "OW300" && c.id() < "OW700")
    {
        for kind in ["fail", "pass"] {
            let prefix = format!("{}-{kind}", code.id());
            assert!(
                names.iter().any(|n| n.starts_with(&prefix)),
                "no fixture {prefix}* in tests/fixtures/check"
            );
        }
    }
}

/// Findings fail the run at the --deny level; notes never do.
#[test]
fn exit_codes_follow_the_deny_level() {
    let dir = fixtures().join("check");
    let error = check(&dir.join("OW304-fail.web.config"), &[]);
    assert_eq!(error.status.code(), Some(1));
    let warning = check(&dir.join("OW406-fail.cmd"), &[]);
    assert_eq!(warning.status.code(), Some(0));
    let denied = check(&dir.join("OW406-fail.cmd"), &["--deny", "warnings"]);
    assert_eq!(denied.status.code(), Some(1));
    let note = check(&dir.join("OW313-fail.web.config"), &["--deny", "warnings"]);
    assert_eq!(note.status.code(), Some(0));
    let allowed = check(
        &dir.join("OW304-fail.web.config"),
        &["--allow", "unknown-attribute"],
    );
    assert_eq!(allowed.status.code(), Some(0), "{}", transcript(&allowed));
    let unknown = check(&dir.join("OW304-fail.web.config"), &["--allow", "OW999"]);
    assert_eq!(unknown.status.code(), Some(2));
}

/// What `gen all` writes passes `check` without a single finding.
#[test]
fn gen_output_is_clean() {
    // Every `args*` file of every set: each mode and shell the snapshots cover.
    let mut runs = Vec::new();
    for set in std::fs::read_dir(fixtures().join("gen")).unwrap() {
        for file in std::fs::read_dir(set.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if name.starts_with("args") {
                runs.push((path.parent().unwrap().to_owned(), name));
            }
        }
    }
    assert!(runs.len() >= 13, "gen sets are missing: {runs:?}");
    for (dir, args_name) in runs {
        let args: Vec<String> = std::fs::read_to_string(dir.join(&args_name))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        let out = tempfile::tempdir().unwrap();
        let gen = |target: &str| {
            bin()
                .current_dir(&dir)
                .args(["gen", target, "settings.omero", "--force", "-o"])
                .arg(out.path())
                .args(&args[1..])
                .output()
                .unwrap()
        };
        // Sets whose values scripts cannot carry (non-ASCII) still get both XML targets.
        if gen("all").status.code() != Some(0) {
            for target in ["web.config", "apphost"] {
                let output = gen(target);
                assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
            }
        }
        let checked = bin()
            .arg("check")
            .arg(out.path())
            .args(["--format", "json", "--deny", "warnings"])
            .output()
            .unwrap();
        assert_eq!(
            codes(&checked),
            Vec::<String>::new(),
            "{}/{args_name}",
            dir.display()
        );
        assert_eq!(checked.status.code(), Some(0));
    }
}

/// Hand-written files as found on real servers: no false errors or warnings
/// (notes say what was not checked).
#[test]
fn realistic_files_have_no_false_findings() {
    let dir = fixtures().join("check-realistic");
    let output = bin()
        .current_dir(&dir)
        .args([
            "check",
            "django-fastcgi.web.config",
            "reverse-proxy.web.config",
            "server.applicationHost.config",
            "provision.cmd",
        ])
        .output()
        .unwrap();
    insta::assert_snapshot!(transcript(&output));
    assert_eq!(output.status.code(), Some(0));
    let with_server = bin()
        .current_dir(&dir)
        .args([
            "check",
            "django-fastcgi.web.config",
            "reverse-proxy.web.config",
        ])
        .args([
            "--apphost",
            "server.applicationHost.config",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(codes(&with_server).iter().all(|c| c == "OW313"));
}

#[test]
fn sarif_and_github_formats() {
    let dir = fixtures().join("check");
    let sarif = check(&dir.join("OW412-fail.cmd"), &["--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "omero-iis");
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "OW412");
    assert_eq!(result["level"], "error");
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "OW412");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "OW412-fail.cmd");
    assert_eq!(location["region"]["startLine"], 4);

    let github = check(&dir.join("OW412-fail.cmd"), &["--format", "github"]);
    let text = String::from_utf8(github.stdout).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("::error file=OW412-fail.cmd,line=4,col="),
        "{first}"
    );
    assert!(
        first.contains("title=OW412 appcmd-malformed-indexer::"),
        "{first}"
    );
    assert_eq!(github.status.code(), Some(1));
}

#[test]
fn standard_input_and_forced_kinds() {
    let config = std::fs::read(fixtures().join("check/OW304-fail.web.config")).unwrap();
    let output = bin()
        .args(["check", "-", "--format", "json"])
        .write_stdin(config.clone())
        .output()
        .unwrap();
    assert_eq!(codes(&output), ["OW304"]);
    // The same text forced to be a fragment: still an unknown attribute.
    let output = bin()
        .args(["check", "-", "--kind", "fragment", "--format", "json"])
        .write_stdin(config)
        .output()
        .unwrap();
    assert_eq!(codes(&output), ["OW304"]);
    let unknown = bin()
        .args(["check", "-"])
        .write_stdin("hello\n")
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--kind"));
}

#[test]
fn encodings_and_unreadable_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let text = "<configuration><system.webServer><directoryBrowse enabled=\"maybe\" /></system.webServer></configuration>";
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let with_bom = dir.path().join("with-bom.web.config");
    std::fs::write(&with_bom, [&[0xFF, 0xFE][..], &utf16].concat()).unwrap();
    let output = bin()
        .arg("check")
        .arg(&with_bom)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(codes(&output), ["OW305"]);
    let no_bom = dir.path().join("no-bom.web.config");
    std::fs::write(&no_bom, &utf16).unwrap();
    let output = bin().arg("check").arg(&no_bom).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("offset 1"),
        "{}",
        transcript(&output)
    );
    let missing = bin()
        .args(["check", "no/such/web.config"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/web.config"));
}

#[test]
fn inline_comments_silence_one_rule_on_the_next_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("web.config");
    std::fs::write(
        &config,
        "<configuration>\n  <system.webServer>\n    <!-- omero-iis: allow OW304 -->\n    <directoryBrowse enable=\"false\" />\n    <defaultDocument enable=\"false\" />\n  </system.webServer>\n</configuration>\n",
    )
    .unwrap();
    let output = bin()
        .arg("check")
        .arg(&config)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let lines: Vec<u64> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["location"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [5], "only the unsilenced line is reported");
    assert!(report["summary"]["checked"]
        .as_str()
        .unwrap()
        .contains("1 silenced"));
}

/// Makes the static files application of a copied deployment use the pool
/// `script` in install.cmd and the pool `fragment` in the fragment.
fn assign_pools(copy: &Path, script: &str, fragment: &str) {
    let edit = |relative: &str, from: &str, to: &str| {
        let path = copy.join(relative);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{relative} has {from}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    edit(
        "install.cmd",
        r#""Default Web Site/omero/static" /applicationPool:"omeroweb""#,
        &format!(r#""Default Web Site/omero/static" /applicationPool:"{script}""#),
    );
    edit(
        "applicationHost.fragment.xml",
        r#"<application path="/omero/static" applicationPool="omeroweb">"#,
        &format!(r#"<application path="/omero/static" applicationPool="{fragment}">"#),
    );
}

/// A copy of a deployment fixture (fragment, script, two web.config files)
/// under `dir`, to edit.
fn copy_deployment(fixture: &str, dir: &Path) -> PathBuf {
    let source = fixtures().join(fixture);
    let copy = dir.join("deployment");
    for relative in [
        "applicationHost.fragment.xml",
        "install.cmd",
        "web/web.config",
        "static/web.config",
    ] {
        let to = copy.join(relative);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(source.join(relative), &to).unwrap();
    }
    copy
}

/// Findings between files are silenced by a comment in the file they point at,
/// like any other finding.
#[test]
fn cross_file_findings_are_silenced_by_comments() {
    let dir = tempfile::tempdir().unwrap();
    let copy = copy_deployment("check/OW601-fail", dir.path());
    let insert_before = |relative: &str, line: usize, comment: &str| {
        let path = copy.join(relative);
        let text = std::fs::read_to_string(&path).unwrap();
        let ending = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let mut lines: Vec<&str> = text.split(ending).collect();
        lines.insert(line - 1, comment);
        std::fs::write(&path, lines.join(ending)).unwrap();
    };
    let before = check(&copy, &["--format", "json"]);
    assert_eq!(
        codes(&before),
        ["OW601", "OW601"],
        "{}",
        transcript(&before)
    );
    insert_before("install.cmd", 6, "rem omero-iis: allow OW601");
    insert_before("web/web.config", 7, "      <!-- omero-iis: allow OW601 -->");
    let after = bin().arg("check").arg(&copy).output().unwrap();
    let stdout = String::from_utf8_lossy(&after.stdout);
    assert_eq!(after.status.code(), Some(0), "{}", transcript(&after));
    assert!(
        stdout.contains("2 silenced by `omero-iis: allow` comments"),
        "{stdout}"
    );
}

/// An application assigned to a pool that neither the script nor any
/// applicationHost file creates is reported where it is assigned.
#[test]
fn a_pool_no_file_creates_is_reported_where_it_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let copy = copy_deployment("check/OW601-pass", dir.path());
    let clean = check(&copy, &["--format", "json"]);
    assert!(codes(&clean).is_empty(), "{}", transcript(&clean));

    assign_pools(&copy, "nowhere", "ghost");
    let broken = check(&copy, &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&broken.stdout).unwrap();
    let messages: Vec<(&str, &str)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "OW601")
        .map(|d| {
            (
                d["message"].as_str().unwrap(),
                d["location"]["file"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let about = |pool: &str| {
        messages
            .iter()
            .find(|(m, _)| m.contains(&format!("`{pool}` is used but no file creates it")))
            .map(|(_, file)| *file)
    };
    assert!(
        about("nowhere").is_some_and(|f| f.ends_with("install.cmd")),
        "{}",
        transcript(&broken)
    );
    assert!(
        about("ghost").is_some_and(|f| f.ends_with("applicationHost.fragment.xml")),
        "{}",
        transcript(&broken)
    );
    assert!(about("omeroweb").is_none(), "{}", transcript(&broken));
}

/// A hosting server passed with `--apphost` is read as a stream, and only the
/// pools the deployment uses are kept of its thousands: one the script uses
/// that the server defines is found, one nobody defines is reported, and the
/// help names the server's first pools and counts the rest.
#[test]
fn pools_of_a_large_server_are_looked_up_without_keeping_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let copy = copy_deployment("check/OW601-pass", dir.path());
    let base =
        std::fs::read_to_string(fixtures().join("review/arr-applicationHost.config")).unwrap();
    let mut pools = String::new();
    for i in 0..50_000 {
        pools.push_str(&format!(
            "            <add name=\"hosted{i:05}\" managedRuntimeVersion=\"\" startMode=\"AlwaysRunning\" />\n"
        ));
    }
    let default_pool = "<add name=\"DefaultAppPool\" />";
    assert!(base.contains(default_pool));
    let server = base.replacen(default_pool, &format!("{default_pool}\n{pools}"), 1);
    assert!(server.len() as u64 > omero_iis::source::STREAM_ABOVE);
    let apphost = dir.path().join("applicationHost.config");
    std::fs::write(&apphost, server).unwrap();
    assign_pools(&copy, "HOSTED49999", "ghost");
    let output = check(
        &copy,
        &["--apphost", apphost.to_str().unwrap(), "--format", "json"],
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let pool_findings: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "OW601" && d["message"].as_str().unwrap().contains("pool"))
        .collect();
    assert_eq!(pool_findings.len(), 1, "{}", transcript(&output));
    let finding = pool_findings[0];
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("`ghost` is used but no file creates it"),
        "{}",
        transcript(&output)
    );
    let help = finding["help"].as_str().unwrap_or_default();
    assert!(
        help.starts_with("pools defined here: omeroweb, DefaultAppPool, hosted00000, hosted00001,")
            && help.ends_with("hosted00007 and 49993 more"),
        "{}",
        transcript(&output)
    );
}

/// A CR-only batch file is one line to cmd.exe: OW401 says so, and no
/// finding about that one long line buries it (it was thousands).
#[test]
fn a_cr_only_script_gets_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("cr-only.cmd");
    let line = "\"%windir%\\system32\\inetsrv\\appcmd.exe\" add apppool /name:x\r";
    std::fs::write(&script, line.repeat(500)).unwrap();
    let output = bin()
        .args(["check", "--format", "json"])
        .arg(&script)
        .output()
        .unwrap();
    assert_eq!(codes(&output), ["OW401"]);
    assert_eq!(output.status.code(), Some(1));
}

/// The content of an XML file decides its kind, the name only breaks ties:
/// copies of an applicationHost.config under other names are read as one
/// (they held `<sites>` and gave OW309 as web.config files), while a file
/// called web.config stays one, as IIS reads it.
#[test]
fn copies_of_apphost_under_other_names_are_read_as_apphost() {
    let source = fixtures().join("check-realistic/server.applicationHost.config");
    let text = std::fs::read(&source).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let json = |name: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        let output = bin()
            .current_dir(dir.path())
            .args(["check", name, "--format", "json"])
            .output()
            .unwrap();
        (output.status.code(), codes(&output))
    };
    let own = json("applicationHost.config");
    assert_eq!(own.0, Some(0));
    assert_eq!(json("apphost-prod.config"), own);
    assert_eq!(json("Tests/expected.config"), own);
    let as_web_config = json("web.config");
    assert!(
        as_web_config.1.contains(&"OW309".to_owned()),
        "{as_web_config:?}"
    );
}

/// An applicationHost.config's own `<configSections>` decide for it and for
/// the web.config files checked with it: a module's section it declares is
/// known (iisnode here), one it lacks is an error even when the built-in
/// tables describe it (no URL Rewrite on this server).
#[test]
fn apphost_declarations_decide_for_web_configs_checked_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let apphost = std::fs::read_to_string(
        fixtures().join("check/OW314-pass-own-declarations.applicationHost.config"),
    )
    .unwrap()
    .replace(
        "<section name=\"defaultDocument\" overrideModeDefault=\"Allow\" />",
        "<section name=\"defaultDocument\" overrideModeDefault=\"Allow\" />\n      <section name=\"iisnode\" overrideModeDefault=\"Allow\" />",
    )
    .replace(
        "<sectionGroup name=\"rewrite\">\n        <section name=\"rules\" overrideModeDefault=\"Allow\" />\n      </sectionGroup>",
        "",
    )
    .replace("<rewrite>\n      <rules>\n        <clear />\n      </rules>\n    </rewrite>", "");
    std::fs::write(dir.path().join("applicationHost.config"), apphost).unwrap();
    let web_config = |body: &str| {
        std::fs::write(
            dir.path().join("web.config"),
            format!("<configuration><system.webServer>{body}</system.webServer></configuration>"),
        )
        .unwrap();
        let output = bin()
            .current_dir(dir.path())
            .args(["check", "applicationHost.config", "web.config"])
            .args(["--format", "json"])
            .output()
            .unwrap();
        codes(&output)
    };
    assert_eq!(
        web_config("<iisnode nodeProcessCommandLine=\"node.exe\" />"),
        ["OW313"]
    );
    assert_eq!(
        web_config("<rewrite><rules><clear /></rules></rewrite>"),
        ["OW314"]
    );
    // The same with the server given as --apphost.
    let output = bin()
        .current_dir(dir.path())
        .args(["check", "web.config", "--apphost", "applicationHost.config"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(codes(&output), ["OW314"]);
}

/// Real-world shapes (tests/fixtures/real-shapes/iis, README there): the
/// working ones get no error (warnings only where a default IIS 10 locks a
/// section they set, or a third-party module must declare its own), the
/// broken ones are flagged. The whole listing is a snapshot, reviewed by hand.
#[test]
fn real_world_iis_shapes() {
    let dir = fixtures().join("real-shapes/iis");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".config"))
        .collect();
    names.sort();
    assert!(names.len() >= 25, "{names:?}");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let mut listing = String::new();
    for name in &names {
        assert!(
            readme.contains(&format!("| {name} |")),
            "{name} is not in the README"
        );
        let output = bin()
            .current_dir(&dir)
            .args(["check", name, "--format", "json"])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let found: Vec<(String, String, u64)> = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] != "note")
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_owned(),
                    d["severity"].as_str().unwrap().to_owned(),
                    d["location"]["line"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        let broken = name.starts_with("broken-");
        if broken {
            assert!(!found.is_empty(), "{name}: the mistake is not flagged");
        } else {
            assert!(
                found.iter().all(|(_, severity, _)| severity != "error"),
                "{name}: {found:?}"
            );
            assert!(
                found
                    .iter()
                    .all(|(code, _, _)| code == "OW310" || code == "OW314"),
                "{name}: {found:?}"
            );
        }
        listing.push_str(&format!("{name}: {found:?}\n"));
    }
    insta::assert_snapshot!(listing);
}

/// Known false positives on working real-world batch shapes, each an open
/// defect (README beside the fixtures): the test fails when one is fixed,
/// so that the entry goes.
const KNOWN_CMD_FALSE_POSITIVES: &[(&str, &str)] = &[];

/// Known misses on broken real-world batch shapes (open defects as above).
const KNOWN_CMD_MISSES: &[(&str, &str)] = &[];

/// Real-world script shapes (tests/fixtures/real-shapes/{cmd,ps1}, README
/// beside each): working scripts get no error from `check` (but for the
/// known false positives above), broken ones are flagged by `check` or, for
/// batch files, by `review`. The listing is a snapshot, reviewed by hand.
#[test]
fn real_world_script_shapes() {
    let mut listing = String::new();
    for family in ["cmd", "ps1"] {
        let dir = fixtures().join("real-shapes").join(family);
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(family))
            .collect();
        names.sort();
        assert!(names.len() >= 20, "{family}: {names:?}");
        for name in &names {
            assert!(
                readme.contains(name.as_str()),
                "{name} is not in its README"
            );
            let run = |command: &str| {
                let output = bin()
                    .current_dir(&dir)
                    .args([command, name, "--format", "json"])
                    .output()
                    .unwrap();
                assert_ne!(
                    output.status.code(),
                    Some(2),
                    "{name}: {}",
                    transcript(&output)
                );
                serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
            };
            let errors = |report: &serde_json::Value| -> Vec<String> {
                report["diagnostics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|d| d["severity"] == "error")
                    .map(|d| format!("{}:{}", d["code"].as_str().unwrap(), d["location"]["line"]))
                    .collect()
            };
            let checked = errors(&run("check"));
            let reviewed = if family == "cmd" {
                let report = run("review");
                format!(
                    " review exit {} {:?}",
                    report["runs"][0]["exit_code"],
                    errors(&report)
                )
            } else {
                String::new()
            };
            let known = KNOWN_CMD_FALSE_POSITIVES.iter().any(|(n, _)| n == name);
            let flagged = !checked.is_empty() || reviewed.contains("OW701");
            if KNOWN_CMD_MISSES.iter().any(|(n, _)| n == name) {
                assert!(
                    !flagged,
                    "{name} is caught now: remove it from KNOWN_CMD_MISSES"
                );
            } else if name.starts_with("broken-") {
                assert!(flagged, "{name}: the mistake is not flagged");
            } else if known {
                assert!(
                    !checked.is_empty(),
                    "{name} is fixed: remove it from KNOWN_CMD_FALSE_POSITIVES"
                );
            } else {
                assert!(checked.is_empty(), "{name}: {checked:?}");
            }
            listing.push_str(&format!("{family}/{name}: check {checked:?}{reviewed}\n"));
        }
    }
    insta::assert_snapshot!(listing);
}
