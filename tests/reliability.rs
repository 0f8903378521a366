//! What a hostile and a careless user broke (issue 19), one test per item,
//! each failing on the code before its fix: values that XML comments and
//! XML 1.0 cannot hold, secrets in reports, panics, loops in folders,
//! left-over temporary files and custom templates that try to print a value
//! unescaped.

mod common;

use std::path::{Path, PathBuf};

use common::{bin, gen_into as gen, run, Outcome};

fn fixture(path: &str) -> PathBuf {
    common::fixtures().join(path)
}

/// Item 1: `--` in a value shown in an XML comment (an IDN backend, a
/// prefix, a site name) still gives well-formed XML, which `check` (whose
/// reader refuses `--` in comments) accepts.
#[test]
fn double_hyphens_in_values_keep_the_xml_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    for (name, extra) in [
        (
            "isapi",
            &[
                "--site",
                "Lab -- test-",
                "--set",
                "omero.web.prefix=/om--ero",
            ][..],
        ),
        (
            "proxy",
            &[
                "--mode",
                "reverse-proxy",
                "--backend",
                "xn--bcher-kva.example.org:4080",
                "--site",
                "Lab -- test-",
                "--set",
                "omero.web.prefix=/om--ero",
                "--set",
                "omero.web.static_url=/om--ero/static/",
            ][..],
        ),
    ] {
        let out = dir.path().join(name);
        let made = gen(&out, extra);
        assert_eq!(made.code, Some(0), "{name}: {}", made.stderr);
        let checked = run(bin().arg("check").arg(&out));
        assert!(
            !checked.stdout.contains("OW301"),
            "{name}: {}",
            checked.stdout
        );
        assert_eq!(checked.code, Some(0), "{name}: {}", checked.stdout);
    }
    let proxy = std::fs::read_to_string(dir.path().join("proxy/web/web.config")).unwrap();
    assert!(proxy.contains("Gunicorn at xn- -bcher-kva.example.org:4080"));
    assert!(proxy.contains("url=\"http://xn--bcher-kva.example.org:4080{UNENCODED_URL}\""));
}

/// Item 1, for custom templates: a value put into a comment without the
/// `xml_comment` filter cannot produce a file IIS refuses.
#[test]
fn a_template_that_puts_hyphens_into_a_comment_fails_to_render() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    copy_templates(&templates);
    let web = templates.join("isapi-wsgi/web.config.jinja");
    let text = std::fs::read_to_string(&web).unwrap();
    std::fs::write(&web, text.replacen("<!--", "<!-- site {{ plan.site }}", 1)).unwrap();
    let out = dir.path().join("out");
    let made = gen(
        &out,
        &[
            "--templates",
            templates.to_str().unwrap(),
            "--site",
            "Lab -- test",
        ],
    );
    assert_eq!(made.code, Some(2), "{}", made.stderr);
    assert!(made.stderr.contains("xml_comment"), "{}", made.stderr);
    assert!(!out.exists(), "nothing is written");
}

/// Item 9: U+FFFE and U+FFFF are not XML 1.0 characters: `gen` refuses to
/// write them, `check` reports them.
#[test]
fn noncharacters_are_refused_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let made = gen(&out, &["--site", "Lab\u{FFFE}"]);
    assert_ne!(made.code, Some(0), "{}", made.stderr);
    assert!(!out.join("web/web.config").exists());
    let config = dir.path().join("web.config");
    std::fs::write(
        &config,
        "<configuration>\n  <appSettings>\n    <add key=\"a\u{FFFF}\" value=\"b\" />\n  </appSettings>\n</configuration>\n",
    )
    .unwrap();
    let checked = run(bin().arg("check").arg(&config));
    assert_eq!(checked.code, Some(1), "{}", checked.stdout);
    assert!(
        checked.stdout.contains("U+FFFF is not allowed in XML 1.0"),
        "{}",
        checked.stdout
    );
    assert!(
        checked.stdout.contains("web.config:3:"),
        "{}",
        checked.stdout
    );
}

fn copy_templates(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for mode in ["isapi-wsgi", "reverse-proxy"] {
        std::fs::create_dir_all(to.join(mode)).unwrap();
        for entry in std::fs::read_dir(from.join(mode)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, to.join(mode).join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// Item 3: findings whose place falls inside a character (a two-byte file,
/// UTF-16 behind the wrong byte order mark) are reported, never a panic.
#[test]
fn findings_inside_a_character_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let short = dir.path().join("x.config");
    std::fs::write(&short, "\u{e9}").unwrap();
    let out = run(bin().arg("check").arg(&short));
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("x.config:1:1"), "{}", out.stdout);
    let swapped = dir.path().join("y.config");
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend("<configuration/>".encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&swapped, bytes).unwrap();
    for args in [&["check"][..], &["validate", "settings"][..]] {
        let out = run(bin().args(args).arg(&swapped));
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("the byte order mark says UTF-16BE, but the text is UTF-16LE"),
            "{}",
            out.stderr
        );
    }
}

/// Item 2: a one-line config.xml (as OMERO's ConfigXml.save writes it: the
/// generated comment, then every profile on one line) whose findings show
/// their neighbours: no report of validate, gen or settings show prints a
/// password, the secret key, a database password inside `databases` JSON
/// or the password of a Redis URL in `caches`.
#[test]
fn secrets_never_reach_a_report() {
    let config = fixture("reliability/one-line-secrets.xml");
    let secrets = [
        "Sup3rS3cretKey",
        "mailpw1",
        "mailpw2",
        "dbpass9",
        "redispw7",
        "dbjsonpw",
    ];
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<(String, Outcome)> = [
        vec!["validate", "settings"],
        vec!["validate", "settings", "--format", "json"],
        vec!["validate", "settings", "--format", "sarif"],
        vec!["validate", "settings", "--format", "github"],
        vec!["settings", "show"],
        vec!["settings", "show", "--format", "json"],
        vec!["gen", "all", "-o", dir.path().to_str().unwrap()],
    ]
    .into_iter()
    .map(|args| (args.join(" "), run(bin().args(&args).arg(&config))))
    .collect();
    for (args, out) in &runs {
        assert!(out.code.is_some_and(|c| c < 2), "{args}: {}", out.stderr);
        for secret in secrets {
            assert!(
                !out.stdout.contains(secret) && !out.stderr.contains(secret),
                "{args} prints {secret}:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
    }
    let (_, validate) = &runs[0];
    // The findings are there, with their places; only the values are masked.
    assert!(
        validate.stdout.contains("error[OW041]"),
        "{}",
        validate.stdout
    );
    assert!(
        validate.stdout.contains("warning[OW021]"),
        "{}",
        validate.stdout
    );
    let (_, show) = &runs[4];
    assert!(
        show.stdout.contains("redis://:********@redis:6379/1"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains(r#""PASSWORD":"********""#),
        "{}",
        show.stdout
    );
    // --show-password is the one way to see them.
    let shown = run(bin()
        .args(["settings", "show", "--show-password"])
        .arg(&config));
    assert!(shown.stdout.contains("redispw7"), "{}", shown.stdout);
}

/// Item 7, as far as a test can say it (speed is measured in
/// `benches/adversarial.rs`): a long run of continued lines keeps the map
/// from values back to their places in the file.
#[test]
fn continued_lines_point_at_the_right_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("web.omero");
    let mut text = String::from("omero.web.prefix=/om\\\n");
    for _ in 0..2000 {
        text.push_str("  ero\\\n");
    }
    text.push_str("x/\n");
    std::fs::write(&path, &text).unwrap();
    let out = run(bin()
        .args(["validate", "settings", "--format", "json"])
        .arg(&path));
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let ow021 = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "OW021")
        .unwrap_or_else(|| panic!("{}", out.stdout));
    // The value starts after `=` on line 1 and ends after the `/` on the last line.
    let at = &ow021["location"];
    assert_eq!(
        (
            &at["line"],
            &at["column"],
            &at["end_line"],
            &at["end_column"]
        ),
        (&1.into(), &18.into(), &2002.into(), &3.into())
    );
}

/// Item 8: links to folders inside a checked folder are not followed (a
/// link back up made `check` read the same file 41 times, and two links
/// made it exponential), and a FIFO is skipped instead of blocking the run.
#[test]
fn check_of_a_folder_does_not_loop_or_block() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("deploy");
    std::fs::create_dir_all(root.join("web/sub")).unwrap();
    std::fs::write(
        root.join("web/web.config"),
        "<configuration>\n  <system.webServer>\n    <handlers bogus=\"1\" />\n  </system.webServer>\n</configuration>\n",
    )
    .unwrap();
    symlink(&root, root.join("web/sub/up")).unwrap();
    symlink(root.join("web"), root.join("web/sub/again")).unwrap();
    symlink(&root, root.join("self")).unwrap();
    symlink(root.join("web/web.config"), root.join("linked.config")).unwrap();
    symlink(root.join("missing.config"), root.join("dangling.config")).unwrap();
    let fifo = root.join("pipe.config");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let mut cmd = bin();
    cmd.arg("check")
        .arg(&root)
        .timeout(std::time::Duration::from_secs(20));
    let out = run(&mut cmd);
    assert_eq!(out.code, Some(1), "{}{}", out.stdout, out.stderr);
    // The file itself and the link to it: two findings, no more.
    assert_eq!(
        out.stdout.matches("error[OW304]").count(),
        2,
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("checked 2 files"), "{}", out.stdout);
    assert!(
        out.stderr.contains("pipe.config: not a regular file"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("dangling.config: a symbolic link to nothing"),
        "{}",
        out.stderr
    );
}

/// Item 11: runs into one folder take turns (a lock), so the folder ends up
/// with one run's complete set, never install.cmd of one site beside
/// uninstall.cmd of another.
#[test]
fn concurrent_runs_leave_one_runs_complete_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let exe = assert_cmd::cargo::cargo_bin("omero-iis");
    for round in 0..3 {
        let children: Vec<_> = (0..4)
            .map(|i| {
                std::process::Command::new(&exe)
                    .args(["gen", "all"])
                    .arg(fixture("validate/good-config.xml"))
                    .arg("-o")
                    .arg(&out)
                    .args(["--force", "--site", &format!("Site{round}{i}")])
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert_eq!(
                child.wait().unwrap().code(),
                Some(0),
                "every run gets its turn"
            );
        }
        let site_of = |name: &str| {
            let text = std::fs::read_to_string(out.join(name)).unwrap();
            (0..4)
                .map(|i| format!("Site{round}{i}"))
                .find(|site| {
                    text.contains(&format!("\"{site}")) || text.contains(&format!("'{site}"))
                })
                .unwrap_or_else(|| panic!("{name} names no site of round {round}"))
        };
        let sites: Vec<String> = [
            "install.cmd",
            "uninstall.cmd",
            "install.ps1",
            "uninstall.ps1",
            "applicationHost.fragment.xml",
        ]
        .iter()
        .map(|name| site_of(name))
        .collect();
        assert!(
            sites.windows(2).all(|w| w[0] == w[1]),
            "a mixed set: {sites:?}"
        );
    }
}

/// Item 10: temporary files a killed run left behind are removed by the
/// next run into that folder (and only those: other files stay).
#[test]
fn the_next_run_removes_a_killed_runs_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("web")).unwrap();
    for stale in [".omero-iis-tmp-Ab12Cd", "web/.omero-iis-tmp-x9Y8z7"] {
        std::fs::write(out.join(stale), "half a file").unwrap();
    }
    std::fs::write(out.join("web/notes.txt"), "the admin's").unwrap();
    let made = gen(&out, &["--force"]);
    assert_eq!(made.code, Some(0), "{}", made.stderr);
    assert!(!out.join(".omero-iis-tmp-Ab12Cd").exists());
    assert!(!out.join("web/.omero-iis-tmp-x9Y8z7").exists());
    assert!(out.join("web/notes.txt").exists());
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".omero-iis-tmp-"))
        .collect();
    assert_eq!(left, Vec::<String>::new());
}

/// Item 6: a custom template cannot print a value unescaped, or escaped for
/// another place: each of these renders nothing, with a message naming the
/// file and the filter to use (with `--site 'Lab & calc'`, the first four
/// ran calc.exe under Wine before).
#[test]
fn custom_templates_cannot_bypass_escaping() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "isapi-wsgi/install.cmd.jinja",
            "echo [1/12] Enabling",
            "echo {{ plan.site|safe }} [1/12] Enabling",
            "filter safe is unknown",
        ),
        (
            "isapi-wsgi/install.cmd.jinja",
            "echo [1/12] Enabling",
            "{% autoescape false %}echo {{ plan.site }}{% endautoescape %} [1/12] Enabling",
            "must come straight from a cmd filter",
        ),
        (
            "isapi-wsgi/install.cmd.jinja",
            "echo [1/12] Enabling",
            "echo {{ plan.site|ps }} [1/12] Enabling",
            "escapes for another kind of file",
        ),
        (
            "isapi-wsgi/install.cmd.jinja",
            "echo [1/12] Enabling",
            "echo {{ plan.site|cmd_comment }} [1/12] Enabling",
            "the `cmd_comment` filter's result stands where it is not escaped enough",
        ),
        (
            "isapi-wsgi/install.cmd.jinja",
            "echo [1/12] Enabling",
            "echo {{ (plan.site|cmd_echo)|replace('^', '') }} [1/12] Enabling",
            "must come straight from a cmd filter",
        ),
        (
            "isapi-wsgi/install.ps1.jinja",
            "$Site = {{ plan.site|ps }}",
            "$Site = {{ plan.site|ps_comment }}",
            "the `ps_comment` filter's result stands where it is not escaped enough",
        ),
        (
            "isapi-wsgi/applicationHost.fragment.xml.jinja",
            "<site name=\"{{ plan.site }}\">",
            "<site name=\"{{ plan.site|xml_comment }}\">",
            "the `xml_comment` filter's result stands where it is not escaped enough",
        ),
        (
            "isapi-wsgi/install.cmd.jinja",
            "echo [1/12] Enabling",
            "echo \u{E000}c{{ plan.site|cmd_comment }}\u{E001} [1/12] Enabling",
            "U+E000 or U+E001",
        ),
        // A template of another file type brought in keeps this file's rules.
        (
            "isapi-wsgi/install.cmd.jinja",
            "echo [1/12] Enabling",
            "{% include \"isapi-wsgi/README.txt.jinja\" %}\necho [1/12] Enabling",
            "must come straight from a cmd filter",
        ),
        // A quoted argument inside quotes leaves the value bare.
        (
            "isapi-wsgi/install.cmd.jinja",
            "echo [1/12] Enabling",
            "set \"OIIS_X={{ plan.site|cmd }}\"\necho [1/12] Enabling",
            "the `cmd` filter's result stands where it is not escaped enough",
        ),
        // A single-quoted literal inside a double-quoted string is text there.
        (
            "isapi-wsgi/install.ps1.jinja",
            "$Site = {{ plan.site|ps }}",
            "$Site = \"{{ plan.site|ps }}\"",
            "the `ps` filter's result stands where it is not escaped enough",
        ),
        // A `#` inside a string starts no comment.
        (
            "isapi-wsgi/install.ps1.jinja",
            "$Site = {{ plan.site|ps }}",
            "$Site = {{ plan.site|ps }}; Write-Host \"Step #1 {{ plan.site|ps_comment }}\"",
            "the `ps_comment` filter's result stands where it is not escaped enough",
        ),
    ];
    for (template, find, replace, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        let templates = dir.path().join("templates");
        copy_templates(&templates);
        let path = templates.join(template);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(find), "{template} has no {find:?}");
        std::fs::write(&path, text.replacen(find, replace, 1)).unwrap();
        let out = dir.path().join("out");
        let made = gen(
            &out,
            &[
                "--templates",
                templates.to_str().unwrap(),
                "--site",
                "Lab & calc",
            ],
        );
        assert_eq!(made.code, Some(2), "{replace}: {}", made.stderr);
        assert!(made.stderr.contains(message), "{replace}: {}", made.stderr);
        assert!(
            !out.join("install.cmd").exists(),
            "{replace}: nothing is written"
        );
    }
    // |safe is gone from every template, XML ones included.
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    copy_templates(&templates);
    let path = templates.join("isapi-wsgi/applicationHost.fragment.xml.jinja");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("{{ plan.site }}", "{{ plan.site|safe }}", 1),
    )
    .unwrap();
    let made = gen(
        &dir.path().join("out"),
        &[
            "--templates",
            templates.to_str().unwrap(),
            "--site",
            "Lab & calc",
        ],
    );
    assert_eq!(made.code, Some(2), "{}", made.stderr);
    assert!(
        made.stderr.contains("filter safe is unknown"),
        "{}",
        made.stderr
    );
}

/// Item 12, the smaller ones, each as the careless user met it.
#[test]
fn careless_inputs_get_a_clear_answer() {
    let dir = tempfile::tempdir().unwrap();
    // A drive root as OMERO home: one separator, not `C:\\lib`.
    let out = run(bin()
        .args(["gen", "all", "--stdout", "--omero-home", r"C:\"])
        .arg(fixture("validate/good-config.xml")));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains(r#"C:\lib\python\_omero_web_iis.dll"#));
    assert!(!out.stdout.contains(r"C:\\lib"), "a doubled separator");
    // A timeout too large for 64 bits is the largest, not unset.
    let out = run(bin()
        .args([
            "gen",
            "all",
            "--stdout",
            "--mode",
            "reverse-proxy",
            "--backend",
            "omeroweb:4080",
        ])
        .args(["--set", "omero.web.wsgi_timeout=99999999999999999999999"])
        .arg(fixture("validate/good-config.xml")));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("= 99999999999999999999999 s is longer than ARR's longest"),
        "{}",
        out.stderr
    );
    // `*` in a site name: the .ps1 scripts cannot look it up.
    let out = run(bin()
        .args(["gen", "all", "--stdout", "--site", "Lab*"])
        .arg(fixture("validate/good-config.xml")));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("which install.ps1 cannot look up"),
        "{}",
        out.stderr
    );
    let out = run(bin()
        .args(["gen", "all", "--stdout", "--shell", "cmd", "--site", "Lab*"])
        .arg(fixture("validate/good-config.xml")));
    assert_eq!(out.code, Some(0), "{}", out.stderr);

    // "pass --force" only when --force was not given.
    let target = dir.path().join("locked");
    assert_eq!(gen(&target, &[]).code, Some(0));
    // Another site changes the files: refused without --force.
    let again = gen(&target, &["--site", "Other"]);
    assert_eq!(again.code, Some(2));
    assert!(again.stderr.contains("pass --force"), "{}", again.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let web = target.join("web");
        std::fs::set_permissions(&web, std::fs::Permissions::from_mode(0o555)).unwrap();
        let denied = gen(&target, &["--force", "--site", "Other"]);
        std::fs::set_permissions(&web, std::fs::Permissions::from_mode(0o755)).unwrap();
        // root may write anyway; where it may not, the help is not "--force".
        if denied.code == Some(2) {
            assert!(!denied.stderr.contains("pass --force"), "{}", denied.stderr);
        }
    }

    // A dangling link at an output path counts as an existing file.
    let dangling = dir.path().join("dangling");
    std::fs::create_dir_all(&dangling).unwrap();
    std::os::unix::fs::symlink(dir.path().join("nowhere"), dangling.join("install.cmd")).unwrap();
    let out = gen(&dangling, &[]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("install.cmd already exists"),
        "{}",
        out.stderr
    );

    // gen never replaces its own input, even with --force.
    let own = dir.path().join("own");
    std::fs::create_dir_all(&own).unwrap();
    let settings = own.join("README.txt");
    std::fs::copy(fixture("validate/good-config.xml"), &settings).unwrap();
    let out = run(bin()
        .args([
            "gen",
            "all",
            "--force",
            "--input-format",
            "config-xml",
            "-o",
        ])
        .arg(&own)
        .arg(&settings));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("README.txt: is an input of this run"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read(&settings).unwrap(),
        std::fs::read(fixture("validate/good-config.xml")).unwrap()
    );

    // A linked folder inside -o is not written through.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let linked = dir.path().join("linked");
    std::fs::create_dir_all(&linked).unwrap();
    std::os::unix::fs::symlink(&elsewhere, linked.join("web")).unwrap();
    let out = gen(&linked, &["--force"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("is a symbolic link inside the output folder"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

/// Found by the fuzzing harness: the takeover message of the static files
/// application was rendered also when there is none (static files served
/// by another server), and `gen` failed. Every mode renders both ways.
#[test]
fn every_mode_renders_without_a_static_application() {
    for extra in [
        &[][..],
        &["--mode", "reverse-proxy", "--backend", "omeroweb:4080"][..],
    ] {
        let out = run(bin()
            .args(["gen", "all", "--stdout"])
            .args([
                "--set",
                "omero.web.static_url=https://cdn.example.org/static/",
            ])
            .args(extra)
            .arg(fixture("validate/good-config.xml")));
        assert_eq!(out.code, Some(0), "{extra:?}: {}", out.stderr);
        assert!(!out.stdout.contains("taken_step7"), "{extra:?}");
    }
}
