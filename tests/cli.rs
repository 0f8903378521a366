//! CLI tests: the real binary on real files in tests/fixtures/.

mod common;
use common::{bin, transcript};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use omero_iis::diagnostic::Code;

/// Extra arguments kept beside a fixture (`name.args` or `args`), one per line.
fn args_file(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// Runs from the fixtures folder so that file names in output are stable.
fn in_fixtures(cmd: &mut Command) -> &mut Command {
    cmd.current_dir(fixture(""))
}

#[test]
fn validate_fixtures() {
    insta::glob!("fixtures/validate/*.{omero,json,xml}", |path| {
        let name = format!("validate/{}", path.file_name().unwrap().to_str().unwrap());
        let output = in_fixtures(bin().args(["validate", "settings", &name]))
            .args(args_file(&path.with_extension("args")))
            .output()
            .unwrap();
        insta::assert_snapshot!(transcript(&output));
    });
}

#[test]
fn gen_sets() {
    // `args` runs the default mode, `args.reverse-proxy` the reverse-proxy mode.
    insta::glob!("fixtures/gen/*/args*", |path| {
        let dir = path.parent().unwrap();
        let args = args_file(path);
        let output = in_fixtures(bin().args(["gen", &args[0], "settings.omero", "--stdout"]))
            .current_dir(dir)
            .args(&args[1..])
            .output()
            .unwrap();
        insta::assert_snapshot!(transcript(&output));
    });
}

#[test]
fn every_rule_fails_in_some_fixture() {
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(fixture("validate")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "args") {
            continue;
        }
        let output = bin()
            .args(["validate", "settings", "--format", "json"])
            .arg(&path)
            .args(args_file(&path.with_extension("args")))
            .output()
            .unwrap();
        if let Ok(report) = serde_json::from_slice::<serde_json::Value>(&output.stdout) {
            for d in report["diagnostics"].as_array().unwrap() {
                seen.insert(d["code"].as_str().unwrap().to_owned());
            }
        }
    }
    let missing: Vec<_> = Code::ALL
        .iter()
        .filter(|c| c.id() < "OW300") // settings rules; `check` rules have their own fixtures
        .filter(|c| !seen.contains(c.id()))
        .collect();
    assert!(missing.is_empty(), "rules no fixture triggers: {missing:?}");
}

#[test]
fn clean_settings_pass_and_findings_set_the_exit_code() {
    bin()
        .args(["validate", "settings"])
        .arg(fixture("validate/good-config.xml"))
        .assert()
        .code(0);
    bin()
        .args(["validate", "settings"])
        .arg(fixture("validate/prefix-shape.omero"))
        .assert()
        .code(1);
    // Warnings alone pass, unless --deny warnings.
    bin()
        .args(["validate", "settings"])
        .arg(fixture("validate/static-outside.omero"))
        .assert()
        .code(0);
    bin()
        .args(["validate", "settings", "--deny", "warnings"])
        .arg(fixture("validate/static-outside.omero"))
        .assert()
        .code(1);
}

#[test]
fn unreadable_inputs_exit_2_with_location() {
    let out = bin()
        .args(["validate", "settings"])
        .arg(fixture("validate/malformed.xml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("malformed.xml:1:"), "{stderr}");
    let out = bin()
        .args(["validate", "settings", "no/such/file.xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/file.xml"));
}

#[test]
fn reads_standard_input_and_set_arguments() {
    bin()
        .args([
            "validate",
            "settings",
            "-",
            "--set",
            "omero.web.prefix=/omero",
        ])
        .write_stdin("omero.web.prefix=/omero/\n")
        .assert()
        .code(0);
    // Behind Gunicorn a trailing `/` is an error; OMERO's IIS installer
    // strips it, so in isapi-wsgi mode it is a warning.
    let out = bin()
        .args(["validate", "settings", "-", "--mode", "reverse-proxy"])
        .write_stdin("omero.web.prefix=/omero/\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("<stdin>:1:24"));
    let isapi = bin()
        .args(["validate", "settings", "-"])
        .write_stdin("omero.web.prefix=/omero/\n")
        .output()
        .unwrap();
    assert_eq!(isapi.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&isapi.stdout).contains("warning[OW021]"));
}

#[test]
fn environment_variables_use_docker_names() {
    let out = bin()
        .args(["settings", "show", "--env", "--format", "json"])
        .env("CONFIG_omero_web_application__server_port", "4081")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = report["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "omero.web.application_server.port")
        .expect("mapped property");
    assert_eq!(row["value"], "4081");
    assert_eq!(
        row["source"]["file"],
        "$CONFIG_omero_web_application__server_port"
    );
}

#[test]
fn settings_show_gives_provenance_and_masks_passwords() {
    let out = in_fixtures(bin().args(["settings", "show", "validate/good-config.xml"]))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!(text);
    assert!(!text.contains("guest-secret"));
    let out = in_fixtures(bin().args([
        "settings",
        "show",
        "validate/good-config.xml",
        "--show-password",
    ]))
    .output()
    .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("guest-secret"));
    let masked = bin()
        .args(["settings", "show", "-"])
        .write_stdin("omero.mail.password=********\n")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&masked.stdout).contains("value unknown"));
}

#[test]
fn gen_writes_atomically_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let gen = |extra: &[&str]| {
        let mut cmd = bin();
        cmd.args(["gen", "all"])
            .arg(fixture("validate/good-config.xml"))
            .arg("-o")
            .arg(&out)
            .args(extra);
        cmd.output().unwrap()
    };
    assert_eq!(gen(&[]).status.code(), Some(0));
    let files = [
        "web/web.config",
        "static/web.config",
        "applicationHost.fragment.xml",
        "install.cmd",
        "uninstall.cmd",
        "README.txt",
    ];
    let first: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();

    // A second run over a file edited by hand refuses, names the file,
    // and writes nothing.
    std::fs::remove_file(out.join("README.txt")).unwrap();
    std::fs::write(out.join("static/web.config"), "<configuration />\n").unwrap();
    let refused = gen(&[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("web.config already exists and differs")
    );
    assert!(
        !out.join("README.txt").exists(),
        "nothing may be written after a refusal"
    );

    // --force replaces; the output is byte-identical.
    assert_eq!(gen(&["--force"]).status.code(), Some(0));
    let second: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    assert_eq!(first, second);
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    // web/, static/, the fragment, README.txt, two scripts for each shell,
    // and the lock file that concurrent runs take turns on.
    assert_eq!(leftovers.len(), 9, "no temporary files left: {leftovers:?}");
    assert!(leftovers.iter().any(|n| n == ".omero-iis.lock"));
}

#[test]
fn gen_leaves_files_that_would_not_change_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let gen = || {
        bin()
            .args(["gen", "all"])
            .arg(fixture("validate/good-config.xml"))
            .arg("-o")
            .arg(&out)
            .arg("--force")
            .output()
            .unwrap()
    };
    assert_eq!(gen().status.code(), Some(0));
    let files: Vec<PathBuf> = [
        "web/web.config",
        "static/web.config",
        "applicationHost.fragment.xml",
        "install.cmd",
        "uninstall.cmd",
        "install.ps1",
        "uninstall.ps1",
        "README.txt",
    ]
    .iter()
    .map(|f| out.join(f))
    .collect();
    let generated = std::fs::read(out.join("install.cmd")).unwrap();
    // An old time on every file, and one file edited by hand.
    let long_ago = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(978_307_200);
    let modified = |path: &Path| std::fs::metadata(path).unwrap().modified().unwrap();
    for file in &files {
        let handle = std::fs::File::options().write(true).open(file).unwrap();
        handle.set_modified(long_ago).unwrap();
    }
    let mut edited = generated.clone();
    edited.extend_from_slice(b"rem edited by hand\r\n");
    std::fs::write(out.join("install.cmd"), &edited).unwrap();

    let rerun = gen();
    assert_eq!(rerun.status.code(), Some(0));
    let said = String::from_utf8_lossy(&rerun.stderr);
    assert!(
        said.contains("wrote 1 of 8 files") && said.contains("  install.cmd\n"),
        "{said}"
    );
    assert_eq!(std::fs::read(out.join("install.cmd")).unwrap(), generated);
    for file in &files {
        let kept = modified(file) == long_ago;
        assert_eq!(
            kept,
            !file.ends_with("install.cmd"),
            "{} is rewritten only if its bytes change",
            file.display()
        );
    }

    let again = gen();
    assert_eq!(again.status.code(), Some(0));
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("nothing to write: the 8 files"), "{said}");
}

#[test]
fn gen_refuses_on_errors_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["gen", "all"])
        .arg(fixture("validate/prefix-shape.omero"))
        .arg("-o")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OW021"));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn generated_xml_parses_back_to_the_input_values() {
    let dir = fixture("gen/hostile");
    let args = args_file(&dir.join("args"));
    let out = bin()
        .current_dir(&dir)
        .args(["gen", "all", "settings.omero", "-o"])
        .arg(tempfile::tempdir().unwrap().path().join("o"))
        .args(&args[1..])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for target in ["web.config", "apphost"] {
        let out = bin()
            .current_dir(&dir)
            .args(["gen", target, "settings.omero", "--stdout"])
            .args(&args[1..])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for doc in text.split("==> ").filter(|d| !d.is_empty()) {
            let xml = doc.split_once("<==\n").map_or(doc, |(_, body)| body);
            let parsed = roxmltree::Document::parse(xml).unwrap();
            let values: Vec<&str> = parsed
                .descendants()
                .flat_map(|n| n.attributes().map(|a| a.value()))
                .collect();
            if target == "apphost" {
                assert!(values.contains(&"Lab & Co's 100% (test) ^!"), "{values:?}");
                assert!(values.contains(&"OMERO lab (test) 100% ^!'"));
                assert!(values.contains(&"Lab & Co's 100% (test) ^!/omero-lab_1.0~x"));
                assert!(values.contains(&r"E:\"));
                assert!(values
                    .contains(&r"C:\OMERO & Co\100%\O'Reilly (x86)\lib\python\_omero_web_iis.dll"));
            } else if xml.contains("IsapiModule") {
                assert!(values
                    .contains(&r"C:\OMERO & Co\100%\O'Reilly (x86)\lib\python\_omero_web_iis.dll"));
            }
        }
    }
}

#[test]
fn scripts_are_crlf_and_ascii() {
    let out = bin()
        .args(["gen", "scripts", "--stdout"])
        .arg(fixture("validate/good-config.xml"))
        .output()
        .unwrap();
    let bytes = out.stdout;
    assert!(bytes.is_ascii());
    let text = String::from_utf8(bytes).unwrap();
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("==> "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!body.is_empty());
    for doc in text.split("==> ").skip(1) {
        let content = doc.split_once(" <==\n").unwrap().1;
        assert!(
            !content.replace("\r\n", "").contains('\n'),
            "bare LF in generated file"
        );
    }
}

#[test]
fn template_overrides_are_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("isapi-wsgi")).unwrap();
    std::fs::write(
        dir.path().join("isapi-wsgi/web.config.jinja"),
        "<configuration><!-- {{ plan.pool }} --></configuration>\n",
    )
    .unwrap();
    let out = bin()
        .args(["gen", "web.config", "--stdout", "--templates"])
        .arg(dir.path())
        .arg(fixture("validate/good-config.xml"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("<configuration><!-- omeroweb_omero --></configuration>\r\n"));
}

#[test]
fn explain_prints_rule_pages() {
    let out = bin().args(["explain", "OW021"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("OW021 prefix-trailing-slash"));
    bin().args(["explain", "prefix-root"]).assert().code(0);
    bin().args(["explain", "OW999"]).assert().code(2);
    let list = bin().args(["explain", "--list"]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&list.stdout).lines().count(),
        Code::ALL.len()
    );
}

#[test]
fn deploy_file_options_are_read_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("server.toml");
    std::fs::write(
        &toml,
        "site = \"Imaging\"\npool = \"omero-pool\"\nbitness = 32\n",
    )
    .unwrap();
    let out = bin()
        .args(["gen", "apphost", "--stdout", "--deploy"])
        .arg(&toml)
        .args(["--pool", "flag-pool"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("<site name=\"Imaging\">"));
    assert!(text.contains("<add name=\"flag-pool\""));
    assert!(text.contains("enable32BitAppOnWin64=\"true\""));
    std::fs::write(&toml, "site = \"x\"\ncolour = \"blue\"\n").unwrap();
    let out = bin()
        .args(["gen", "apphost", "--stdout", "--deploy"])
        .arg(&toml)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("server.toml:2:1: unknown deployment option `colour`"));
}

#[test]
fn powershell_scripts_carry_non_ascii_with_a_bom_and_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let gen = |site: &str, shell: &str| {
        bin()
            .args(["gen", "scripts", "--shell", shell, "--site", site, "-o"])
            .arg(dir.path())
            .arg("--force")
            .arg(fixture("validate/good-config.xml"))
            .output()
            .unwrap()
    };
    // Batch files cannot carry `é`: refused for cmd, written for PowerShell.
    assert_eq!(gen("Café", "both").status.code(), Some(1));
    assert_eq!(gen("Café", "powershell").status.code(), Some(0));
    assert!(!dir.path().join("install.cmd").exists());
    for name in ["install.ps1", "uninstall.ps1"] {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{name} has a UTF-8 BOM");
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.contains("$Site = 'Café'"));
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "bare LF in {name}"
        );
    }
    assert_eq!(gen("Imaging", "powershell").status.code(), Some(0));
    let bytes = std::fs::read(dir.path().join("install.ps1")).unwrap();
    assert!(bytes.is_ascii(), "no BOM when the script is ASCII");
}

#[test]
fn deploy_file_sets_https_and_backend() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("server.toml");
    std::fs::write(&toml, "https = true\nbackend = \"omeroweb.lab:4080\"\n").unwrap();
    let out = bin()
        .args([
            "validate",
            "settings",
            "--mode",
            "reverse-proxy",
            "--format",
            "json",
        ])
        .arg("--deploy")
        .arg(&toml)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    // --https read from the file: the HTTPS checks run; the backend is not loopback.
    assert!(codes.contains(&"OW112"), "{codes:?}");
    assert!(!codes.contains(&"OW209"), "{codes:?}");
    std::fs::write(&toml, "https = \"maybe\"\n").unwrap();
    let out = bin()
        .args([
            "validate",
            "settings",
            "--mode",
            "reverse-proxy",
            "--deploy",
        ])
        .arg(&toml)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("`https` must be true or false"));
}

/// The mode: `--mode`, else `mode` in the --deploy file, else isapi-wsgi;
/// every report says which and why, and current-OMERO settings under the
/// default mode get OW103 instead of 5.2 advice.
#[test]
fn mode_comes_from_the_flag_the_deploy_file_or_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("server.toml");
    std::fs::write(&toml, "mode = \"reverse-proxy\"\n").unwrap();
    let current = fixture("validate/current-omero.omero");
    let run = |extra: &[&str]| {
        let out = bin()
            .args(["validate", "settings"])
            .arg(&current)
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, text) = run(&[]);
    assert_eq!(code, Some(1));
    assert!(
        text.starts_with("assuming mode isapi-wsgi (the default;"),
        "{text}"
    );
    assert!(
        text.contains("error[OW103]") && !text.contains("OW101"),
        "{text}"
    );

    let (code, text) = run(&["--deploy", toml.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.starts_with("assuming mode reverse-proxy (from "),
        "{text}"
    );
    assert!(text.contains("server.toml:1:8"), "{text}");
    assert!(!text.contains("OW103"), "{text}");

    // The flag wins over the file; chosen on purpose, OW103 is a warning.
    let (code, text) = run(&["--deploy", toml.to_str().unwrap(), "--mode", "isapi-wsgi"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.starts_with("assuming mode isapi-wsgi (from --mode)"),
        "{text}"
    );
    assert!(text.contains("warning[OW103]"), "{text}");

    std::fs::write(&toml, "mode = \"nginx\"\n").unwrap();
    let bad = bin()
        .args(["validate", "settings", "--deploy"])
        .arg(&toml)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("server.toml:1:8: `mode` is `nginx`"));
}

/// Site and pool names: what IIS refuses comes from the one set of rules
/// `check` uses too (OW311); spaces at either end are gen's own refusal.
#[test]
fn site_and_pool_names_follow_the_iis_rules_check_uses() {
    let validate = |flag: &str, value: &str| {
        let out = bin()
            .args(["validate", "settings", "--format", "json", flag, value])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "OW201" || d["code"] == "OW202")
            .map(|d| d["message"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(validate("--site", "Default Web Site").is_empty());
    assert_eq!(validate("--site", "a?b"), ["site name `a?b` contains `?`"]);
    assert_eq!(validate("--site", ""), ["the site name is empty"]);
    assert_eq!(
        validate("--site", " Lab"),
        ["site name ` Lab` has spaces at either end"]
    );
    assert_eq!(
        validate("--pool", "omero@web"),
        ["application pool name `omero@web` contains `@`"]
    );
    assert_eq!(
        validate("--pool", &"p".repeat(65)),
        ["application pool name is 65 characters long"]
    );
    assert_eq!(
        validate("--pool", "omeroweb "),
        ["application pool name `omeroweb ` has spaces at either end"]
    );
    // The same rules in `check`: a pool name with `@` is OW311 there.
    let dir = tempfile::tempdir().unwrap();
    let fragment = dir.path().join("applicationHost.fragment.xml");
    std::fs::write(
        &fragment,
        "<configuration><system.applicationHost><applicationPools><add name=\"omero@web\" /></applicationPools></system.applicationHost></configuration>\n",
    )
    .unwrap();
    let out = bin()
        .args(["check", "--format", "json"])
        .arg(&fragment)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("\"OW311\""),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The Server header's value is blanked by a URL Rewrite outbound rule on
/// `RESPONSE_Server` (removeServerHeader would be a 500.19 before IIS 10).
fn assert_blanks_server_header(doc: &roxmltree::Document) {
    let outbound = doc
        .descendants()
        .find(|n| n.has_tag_name("outboundRules"))
        .expect("an <outboundRules> section");
    let rule = outbound
        .children()
        .find(|n| n.has_tag_name("rule"))
        .expect("an outbound rule");
    let child = |tag: &str| rule.children().find(|n| n.has_tag_name(tag)).unwrap();
    assert_eq!(
        child("match").attribute("serverVariable"),
        Some("RESPONSE_Server")
    );
    assert_eq!(child("action").attribute("type"), Some("Rewrite"));
    assert_eq!(child("action").attribute("value"), Some(""));
    assert!(doc
        .descendants()
        .all(|n| n.attribute("removeServerHeader").is_none()));
}

/// The static application blanks the Server header too.
#[test]
fn reverse_proxy_static_files_blank_the_server_header() {
    let out = bin()
        .args(["gen", "web.config", "--mode", "reverse-proxy"])
        .args(["--backend", "omeroweb.example.org:4080"])
        .args(["--stdout", "--file", "static/web.config"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = String::from_utf8(out.stdout).unwrap();
    assert_blanks_server_header(&roxmltree::Document::parse(&xml).unwrap());
}

/// Reverse proxy with --https: the redirect goes to the one HTTPS origin
/// the settings name (never to a host the client made up), HSTS and
/// nosniff are sent, IIS's URL limits match Gunicorn's request line, and
/// cookies that are not secure-only get OW115.
#[test]
fn reverse_proxy_https_hardening() {
    let web_config = |origins: &str| {
        let out = bin()
            .args(["gen", "web.config", "--mode", "reverse-proxy", "--https"])
            .args(["--backend", "omeroweb.example.org:4080"])
            .arg("--set")
            .arg(format!("omero.web.csrf_trusted_origins={origins}"))
            .args(["--stdout", "--file", "web/web.config"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let redirect = |xml: &str| -> String {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let rule = doc
            .descendants()
            .find(|n| n.attribute("name") == Some("omero-https-redirect"))
            .unwrap();
        let action = rule.children().find(|n| n.has_tag_name("action")).unwrap();
        action.attribute("url").unwrap().to_owned()
    };
    let one = web_config(r#"["https://OMERO.example.org/"]"#);
    assert_eq!(redirect(&one), "https://omero.example.org{UNENCODED_URL}");
    let doc = roxmltree::Document::parse(&one).unwrap();
    let header = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("add") && n.attribute("name") == Some(name))
            .and_then(|n| n.attribute("value"))
            .map(str::to_owned)
    };
    assert_eq!(
        header("Strict-Transport-Security").as_deref(),
        Some("max-age=31536000")
    );
    assert_eq!(header("X-Content-Type-Options").as_deref(), Some("nosniff"));
    let limits = doc
        .descendants()
        .find(|n| n.has_tag_name("requestLimits"))
        .unwrap();
    assert_eq!(limits.attribute("maxUrl"), Some("4094"));
    assert_eq!(limits.attribute("maxQueryString"), Some("4094"));
    assert_blanks_server_header(&doc);

    // Several origins, or a host URL Rewrite would expand: the request's Host.
    let two = web_config(r#"["https://a.example.org", "https://b.example.org"]"#);
    assert_eq!(redirect(&two), "https://{HTTP_HOST}{UNENCODED_URL}");
    let hostile = web_config(r#"["https://x{HTTP_X_EVIL}"]"#);
    assert_eq!(redirect(&hostile), "https://{HTTP_HOST}{UNENCODED_URL}");

    let out = bin()
        .args([
            "validate",
            "settings",
            "--mode",
            "reverse-proxy",
            "--https",
            "--format",
            "json",
        ])
        .args(["--set", "omero.web.session_cookie_secure=true"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let subjects: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "OW115")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["IIS serves HTTPS (--https), but `omero.web.csrf_cookie_secure` is not true"]
    );
}

/// Settings given with --set or --env shaped the files but are not in
/// OMERO's configuration: README.txt lists them to apply there too, as
/// commands when the value pastes safely into any shell, as an `omero config
/// load` line otherwise, and never with a secret's value.
#[test]
fn readme_lists_command_line_settings_to_apply_to_omero() {
    for mode in ["isapi-wsgi", "reverse-proxy"] {
        let out = bin()
            .args([
                "gen",
                "scripts",
                "--stdout",
                "--file",
                "README.txt",
                "--mode",
                mode,
            ])
            .args(["--backend", "omeroweb.example.org:4080"])
            .arg(fixture("validate/good-config.xml"))
            .args(["--set", "omero.web.prefix=/imaging"])
            .args(["--set", "omero.web.static_url=/imaging/static/"])
            .args(["--set", "omero.web.public.url_filter=^/(?!webadmin)&x"])
            .args(["--set", "omero.web.secret_key=s3cr3t-value"])
            .env("CONFIG_omero_web_wsgi__timeout", "120")
            .arg("--env")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let readme = String::from_utf8(out.stdout).unwrap();
        assert!(!readme.contains("s3cr3t-value"), "{readme}");
        let section = readme
            .split("Settings to apply to OMERO too")
            .nth(1)
            .unwrap_or_else(|| panic!("{mode}: no override section:\n{readme}"));
        let lines: Vec<&str> = section
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("omero") || l.starts_with('#'))
            .take_while(|l| !l.is_empty())
            .collect();
        assert!(
            lines.contains(&"omero config set omero.web.prefix /imaging"),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"omero config set omero.web.static_url /imaging/static/"),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"omero config set omero.web.wsgi_timeout 120"),
            "{lines:?}"
        );
        // Not plain: a load line (data) after a comment, never a command.
        let at = lines
            .iter()
            .position(|l| *l == "omero.web.public.url_filter=^/(?!webadmin)&x")
            .unwrap_or_else(|| panic!("{lines:?}"));
        assert!(lines[at - 1].starts_with("# omero.web.public.url_filter (from --set)"));
        assert!(lines
            .iter()
            .any(|l| l.starts_with("# omero.web.secret_key (from --set) holds a secret")));
        // Properties from config.xml are already in OMERO: not listed.
        assert!(!section.contains("omero.data.dir"), "{section}");
    }
    // Without --set or --env, no such section.
    let plain = bin()
        .args(["gen", "scripts", "--stdout", "--file", "README.txt"])
        .arg(fixture("validate/good-config.xml"))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("Settings to apply to OMERO too"));
}

/// `--omero-version`: what a release reads, with its defaults.
#[test]
fn omero_version_decides_keys_and_defaults() {
    let show = |version: &str| {
        let out = bin()
            .args(["settings", "show", "--defaults", "--omero-version", version])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let old = show("5.2.8");
    assert!(old.contains("omero.web.session_engine=omeroweb.filesessionstore\n"));
    assert!(old.contains("omero.web.public.url_filter=^/(?!webadmin)\n"));
    assert!(!old.contains("omero.web.csrf_trusted_origins"));
    let new = show("5.31");
    assert!(new.contains("omero.web.session_engine=django.contrib.sessions.backends.file\n"));
    assert!(new.contains("omero.web.csrf_trusted_origins"));
    assert!(show("5.21").contains("omero.web.session_engine=omeroweb.filesessionstore\n"));

    let refused = bin()
        .args(["validate", "settings", "--omero-version", "5.4"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("OMERO 5.4.0 is not described"));
    // An omero-web version without --mode selects reverse-proxy, and says so.
    let inferred = bin()
        .args(["validate", "settings", "--omero-version", "5.28.1"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&inferred.stdout);
    assert!(
        text.starts_with("assuming mode reverse-proxy (from omero-web 5.28.1 of --omero-version"),
        "{text}"
    );
    // From the --deploy file too.
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("server.toml");
    std::fs::write(&toml, "omero-version = \"5.0.8\"\n").unwrap();
    let from_file = bin()
        .args([
            "validate",
            "settings",
            "--set",
            "omero.web.prefix=/omero",
            "--deploy",
        ])
        .arg(&toml)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&from_file.stdout);
    assert!(text.contains("OMERO 5.0.8 (from "), "{text}");
    assert!(
        text.contains("`omero.web.prefix` is not read by OMERO 5.0.8"),
        "{text}"
    );
}
