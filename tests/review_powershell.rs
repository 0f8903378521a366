//! `omero-iis review` of PowerShell scripts: the generated install.ps1 and
//! uninstall.ps1 must do to a server exactly what install.cmd and
//! uninstall.cmd do (both shells' reviews leave byte-identical
//! applicationHost.config files, for every settings set and both modes),
//! stop at a failing cmdlet as PowerShell does, and hand-written scripts of
//! the shapes public ones use must run without an operational error.

mod common;
use common::{bin, fixtures, transcript};

use std::path::{Path, PathBuf};

/// The settings sets whose `args` files generate the scripts, with the
/// args file of each mode.
fn script_sets() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixtures().join("gen")).unwrap() {
        let dir = entry.unwrap().path();
        for args in ["args", "args.reverse-proxy"] {
            let file = dir.join(args);
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            // Non-ASCII names cannot go into install.cmd (OW205): that set
            // is reviewed in PowerShell alone, below.
            if text.lines().next() == Some("all") && !dir.ends_with("non-ascii-scripts") {
                let name = format!("{}/{args}", dir.file_name().unwrap().to_string_lossy());
                out.push((name, file));
            }
        }
    }
    out.sort();
    assert!(out.len() >= 6, "{out:?}");
    out
}

/// `gen all` with the arguments of an args file, into `dir/out`.
fn generate(args_file: &Path, dir: &Path) -> PathBuf {
    let set_dir = args_file.parent().unwrap();
    let mut args: Vec<String> = std::fs::read_to_string(args_file)
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect();
    if !args.iter().any(|a| a == "--shell") {
        args.extend(["--shell".to_owned(), "both".to_owned()]);
    }
    let out = dir.join("out");
    let output = bin()
        .arg("gen")
        .arg("all")
        .arg(set_dir.join("settings.omero"))
        .args(&args)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", transcript(&output));
    out
}

/// Reviews `scripts` in order; returns the JSON report and the
/// applicationHost.config they leave.
fn review(scripts: &[PathBuf], extra: &[&str], after: &Path) -> (serde_json::Value, String) {
    let apphost = fixtures().join("review/sites-applicationHost.config");
    let output = bin()
        .arg("review")
        .args(scripts)
        .args(["--format", "json", "--force", "-o"])
        .arg(after)
        .arg("--apphost")
        .arg(&apphost)
        .args(extra)
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(2), "{}", transcript(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", transcript(&output)));
    (report, std::fs::read_to_string(after).unwrap())
}

fn exit_codes(report: &serde_json::Value) -> Vec<i64> {
    report["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["exit_code"].as_i64().unwrap())
        .collect()
}

/// What each shell's scripts changed besides applicationHost.config.
fn changed_files(report: &serde_json::Value) -> Vec<String> {
    let mut files: Vec<String> = report["changed_files"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|f| format!("{} {}", f["file"], f["change"]))
        .collect();
    files.sort();
    files
}

#[test]
fn install_ps1_and_install_cmd_leave_the_same_configuration() {
    for (set, args) in script_sets() {
        let dir = tempfile::tempdir().unwrap();
        let out = generate(&args, dir.path());
        let shell = |ext: &str, scripts: &[&str], extra: &[&str], name: &str| {
            let paths: Vec<PathBuf> = scripts
                .iter()
                .map(|s| out.join(format!("{s}.{ext}")))
                .collect();
            review(
                &paths,
                extra,
                &dir.path().join(format!("{name}.{ext}.config")),
            )
        };
        // Install.
        let (cmd, cmd_after) = shell("cmd", &["install"], &[], "install");
        let (ps1, ps1_after) = shell("ps1", &["install"], &[], "install");
        assert_eq!(exit_codes(&cmd), [0], "{set}: install.cmd: {cmd}");
        assert_eq!(exit_codes(&ps1), [0], "{set}: install.ps1: {ps1}");
        assert!(
            cmd_after == ps1_after,
            "{set}: install.cmd and install.ps1 leave different files:\n{}",
            similar::TextDiff::from_lines(&cmd_after, &ps1_after).unified_diff()
        );
        assert_eq!(changed_files(&cmd), changed_files(&ps1), "{set}");
        // A second run converges on the same configuration.
        let (cmd, cmd_twice) = shell("cmd", &["install", "install"], &[], "twice");
        let (ps1, ps1_twice) = shell("ps1", &["install", "install"], &[], "twice");
        assert_eq!(exit_codes(&cmd), [0, 0], "{set}");
        assert_eq!(exit_codes(&ps1), [0, 0], "{set}: {ps1}");
        assert!(cmd_twice == ps1_twice, "{set}: second runs differ");
        assert!(
            ps1_twice == ps1_after,
            "{set}: a second install.ps1 changes the configuration"
        );
        // Install, then uninstall.
        let (cmd, cmd_round) = shell("cmd", &["install", "uninstall"], &[], "round");
        let (ps1, ps1_round) = shell("ps1", &["install", "uninstall"], &[], "round");
        assert_eq!(exit_codes(&cmd), [0, 0], "{set}");
        assert_eq!(exit_codes(&ps1), [0, 0], "{set}: {ps1}");
        assert!(
            cmd_round == ps1_round,
            "{set}: install then uninstall differ between the shells:\n{}",
            similar::TextDiff::from_lines(&cmd_round, &ps1_round).unified_diff()
        );
        assert_eq!(changed_files(&cmd), changed_files(&ps1), "{set}");
    }
}

/// Names cmd.exe cannot carry are PowerShell's to carry: the .ps1 of the
/// non-ASCII set installs the application under its own name.
#[test]
fn non_ascii_names_are_installed_by_the_powershell_scripts() {
    let args = fixtures().join("gen/non-ascii-scripts/args.powershell");
    let dir = tempfile::tempdir().unwrap();
    let out = generate(&args, dir.path());
    assert!(!out.join("install.cmd").exists());
    let after = dir.path().join("after.config");
    let (report, text) = review(&[out.join("install.ps1")], &[], &after);
    assert_eq!(exit_codes(&report), [0], "{report}");
    assert!(
        text.contains("<location path=\"Café Imagerie/omero\">"),
        "{text}"
    );
    let (report, round) = review(
        &[out.join("install.ps1"), out.join("uninstall.ps1")],
        &[],
        &after,
    );
    assert_eq!(exit_codes(&report), [0, 0], "{report}");
    assert!(!round.contains("Café Imagerie/omero"), "{round}");
}

/// `-WhatIf` (the script's CmdletBinding passes it on as
/// `$WhatIfPreference`; every step asks ShouldProcess) changes nothing.
#[test]
fn what_if_changes_nothing() {
    let (_, args) = script_sets()
        .into_iter()
        .find(|(s, _)| s == "default/args")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = generate(&args, dir.path());
    let after = dir.path().join("after.config");
    let (report, text) = review(&[out.join("install.ps1")], &["--arg", "-WhatIf"], &after);
    assert_eq!(exit_codes(&report), [0], "{report}");
    let before =
        std::fs::read_to_string(fixtures().join("review/sites-applicationHost.config")).unwrap();
    assert!(text == before, "-WhatIf changed the configuration");
    assert!(
        report["changed_files"].as_array().unwrap().is_empty(),
        "{report}"
    );
}

/// Hand-written PowerShell of the shapes public provisioning scripts use
/// (tests/fixtures/real-shapes/ps1, where each was seen is in its README):
/// the review runs each to its end or to a failure of the script's own,
/// never with an operational error. The listing (exit code, where it
/// stopped and why, what was not simulated) is reviewed by hand.
#[test]
fn real_world_powershell_shapes_are_reviewed_without_an_operational_error() {
    let dir = fixtures().join("real-shapes/ps1");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".ps1"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{} scripts", names.len());
    let mut listing = String::new();
    for name in &names {
        let output = bin()
            .current_dir(&dir)
            .arg("review")
            .arg(name)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{name}: {}",
            transcript(&output)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{name}: not JSON ({e})"));
        let run = &report["runs"][0];
        listing.push_str(&format!(
            "{name}: exit {}, {} steps\n",
            run["exit_code"],
            run["steps"].as_array().unwrap().len()
        ));
        for d in report["diagnostics"].as_array().unwrap() {
            let code = d["code"].as_str().unwrap();
            if matches!(code, "OW701" | "OW702" | "OW705") {
                let message: String = d["message"].as_str().unwrap().chars().take(110).collect();
                listing.push_str(&format!(
                    "  {code} line {}: {message}\n",
                    d["location"]["line"]
                ));
            }
        }
    }
    insta::assert_snapshot!("real_world_powershell_reviews", listing);
}

/// Each command of install.ps1 made to fail in turn (as the Wine runs make
/// each stub program of install.cmd fail): the script stops at that
/// command, runs nothing after it, ends with exit code 1 through its
/// `catch`, and the run says what failed.
#[test]
fn each_failing_command_stops_install_ps1_there() {
    use omero_iis::review::{self, Server, StepKind};
    for args in ["default/args", "default/args.reverse-proxy"] {
        let dir = tempfile::tempdir().unwrap();
        let out = generate(&fixtures().join("gen").join(args), dir.path());
        let text = std::fs::read_to_string(out.join("install.ps1")).unwrap();
        let apphost_path = fixtures().join("review/sites-applicationHost.config");
        let apphost = std::fs::read_to_string(&apphost_path).unwrap();
        let run = |fail: Option<usize>| {
            let mut server = Server::load("applicationHost.config", &apphost).unwrap();
            server.fail_command = fail;
            let file = omero_iis::source::SourceFile::new("install.ps1", text.clone());
            let script = review::script(file, "C:\\omero-iis-out").with_local_folder(out.clone());
            review::review(&[script], server)
        };
        let counted = |kind: StepKind| {
            matches!(
                kind,
                StepKind::Cmdlet | StepKind::External | StepKind::Appcmd
            )
        };
        let normal = run(None);
        assert_eq!(normal.runs[0].exit_code, 0, "{args}");
        let commands: Vec<usize> = normal.runs[0]
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| counted(s.kind))
            .map(|(i, _)| i)
            .collect();
        assert!(commands.len() >= 10, "{args}: {} commands", commands.len());
        for (k, &step) in commands.iter().enumerate() {
            let failed = run(Some(k));
            let run = &failed.runs[0];
            assert_eq!(
                run.exit_code, 1,
                "{args}: command {k} failed, the script went on"
            );
            let last = run.steps.last().unwrap();
            assert_eq!(
                run.steps.len(),
                step + 1,
                "{args}: steps ran after command {k}"
            );
            assert_eq!(last.exit_code, 1, "{args}: command {k}");
            assert_eq!(last.command, normal.runs[0].steps[step].command, "{args}");
            let message = run.message.as_deref().unwrap_or_default();
            assert!(
                message.contains("told to make this command fail")
                    || message.contains("exited with code 1"),
                "{args}: command {k}: {message}"
            );
        }
    }
}

/// A review of a script built to exhaust it ends, with OW705, and a normal
/// exit: values that double in a loop, strings that double, nesting past
/// the depth limit, a loop that never ends.
#[test]
fn hostile_scripts_stop_within_the_budgets() {
    let cases = [
        (
            "doubling-array.ps1",
            "$a = @('x')\nwhile ($true) { $a += $a }\n".to_owned(),
            "grew past",
        ),
        (
            "doubling-string.ps1",
            "$s = 'x'\nwhile ($true) { $s += $s }\n".to_owned(),
            "a string longer than",
        ),
        (
            "deep-blocks.ps1",
            format!("{}{}\n", "if (1) { ".repeat(3000), "}".repeat(3000)),
            "more than 200 deep",
        ),
        (
            "deep-parentheses.ps1",
            format!("$x = {}1{}\n", "(".repeat(5000), ")".repeat(5000)),
            "more than 200 deep",
        ),
        (
            "endless.ps1",
            "$i = 0\nwhile ($true) { $i++ }\n".to_owned(),
            "more than 100000 statements",
        ),
        (
            "recursion.ps1",
            "function f { f }\nf\n".to_owned(),
            "more than 200 deep",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, text, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let output = bin()
            .arg("review")
            .arg(&path)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {}",
            transcript(&output)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let messages: Vec<&str> = report["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "OW705")
            .map(|d| d["message"].as_str().unwrap())
            .collect();
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "{name}: {messages:?}"
        );
    }
}

/// A case of `language_rules_the_review_follows`: what it shows, the
/// script, the review's extra arguments, the pool it must create (or
/// none) and the exit code.
type LanguageCase<'a> = (&'a str, &'a str, &'a [&'a str], Option<&'a str>, i64);

/// Small scripts whose outcome depends on one rule of the language.
#[test]
fn language_rules_the_review_follows() {
    let cases: &[LanguageCase] = &[
        (
            "a default uses the parameters bound before it",
            "param($Site = 'Demo', $Pool = \"$Site-pool\")\nNew-WebAppPool -Name $Pool\n",
            &["--arg", "-Site", "--arg", "Shop"],
            Some("Shop-pool"),
            0,
        ),
        (
            "a function's defaults are evaluated in its own scope",
            "function New-Pool($Name, $Full = \"omero-$Name\") { New-WebAppPool -Name $Full }\nNew-Pool web\n",
            &[],
            Some("omero-web"),
            0,
        ),
        (
            "a switch takes no argument",
            "function f([switch] $Recreate, $Name) { New-WebAppPool -Name $Name }\nf -Recreate 'P1'\n",
            &[],
            Some("P1"),
            0,
        ),
        (
            "$PSVersionTable.PSVersion.Major is a number",
            "if ($PSVersionTable.PSVersion.Major -lt 5) { throw 'needs 5' }\nNew-WebAppPool -Name v5\n",
            &[],
            Some("v5"),
            0,
        ),
        (
            "$? is true again after a command that succeeds",
            "New-WebAppPool -Name DefaultAppPool -ErrorAction SilentlyContinue\nNew-WebAppPool -Name second\nif (-not $?) { exit 3 }\n",
            &[],
            Some("second"),
            0,
        ),
        (
            "-ErrorAction given as a number (0 is SilentlyContinue)",
            "$ErrorActionPreference = 'Stop'\nNew-WebAppPool -Name DefaultAppPool -ea 0\nNew-WebAppPool -Name after\n",
            &[],
            Some("after"),
            0,
        ),
        (
            "a non-ASCII path and location do not trip the review",
            "Set-Location 'D:\\Données'\nif (Test-Path 'É\\x') { New-WebAppPool -Name données }\n",
            &[],
            Some("données"),
            0,
        ),
        (
            "a stored false is false",
            "if ((Get-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Filter 'system.webServer/security/authentication/windowsAuthentication' -Name enabled).Value) { exit 4 }\nNew-WebAppPool -Name off\n",
            &[],
            Some("off"),
            0,
        ),
        (
            "Copy-Item of a missing file is a non-terminating error",
            "$ErrorActionPreference = 'Stop'\nCopy-Item 'C:\\nothing\\x.txt' 'C:\\y.txt' -ErrorAction SilentlyContinue\nNew-WebAppPool -Name copied\n",
            &["--missing", "C:\\nothing"],
            Some("copied"),
            0,
        ),
        (
            "a hashtable is shared, not copied: a function changes the caller's",
            "$cfg = @{}\nfunction Add-It { $cfg.Pool = 'P9' }\nAdd-It\n$alias = $cfg\n$alias['Extra'] = 1\nif ($cfg.Extra -eq 1) { New-WebAppPool -Name $cfg.Pool }\n",
            &[],
            Some("P9"),
            0,
        ),
        (
            "-match sets $Matches",
            "if ('site=Imaging;port=80' -match 'site=(?<site>[^;]+)') { New-WebAppPool -Name $Matches.site }\n",
            &[],
            Some("Imaging"),
            0,
        ),
        (
            "a typed catch takes its exception type and its subtypes only",
            "try { Get-Item 'C:\\nothing\\x' -ErrorAction Stop }\ncatch [System.IO.IOException] { exit 5 }\ncatch [System.Management.Automation.RuntimeException] { New-WebAppPool -Name caught }\ncatch { exit 6 }\n",
            &["--missing", "C:\\nothing"],
            Some("caught"),
            0,
        ),
        (
            "a binding error is a ParameterBindingException",
            "try { Set-ItemProperty -LiteralPath a -LiteralPath b -Name x -Value 1 }\ncatch [System.Management.Automation.ParameterBindingException] { New-WebAppPool -Name binding }\n",
            &[],
            Some("binding"),
            0,
        ),
        (
            "an error no catch takes ends the script",
            "try { throw 'boom' }\ncatch [System.IO.IOException] { New-WebAppPool -Name never }\n",
            &[],
            None,
            1,
        ),
        (
            "an error under Stop ends the script with 1",
            "$ErrorActionPreference = 'Stop'\nNew-WebAppPool -Name DefaultAppPool\nNew-WebAppPool -Name never\n",
            &[],
            None,
            1,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (what, text, extra, pool, exit) in cases {
        let script = dir.path().join("case.ps1");
        std::fs::write(&script, text).unwrap();
        let output = bin()
            .arg("review")
            .arg(&script)
            .args(["--format", "json"])
            .args(*extra)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", transcript(&output)));
        assert_eq!(report["runs"][0]["exit_code"], *exit, "{what}: {report}");
        let created: Vec<String> = report["runs"][0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["changes"].as_array().unwrap().clone())
            .map(|c| c["description"].as_str().unwrap().to_owned())
            .filter(|d| d.starts_with("creates application pool"))
            .collect();
        match pool {
            Some(p) => assert!(
                created.iter().any(|d| d.contains(&format!("`{p}`"))),
                "{what}: {created:?}"
            ),
            None => assert!(created.is_empty(), "{what}: {created:?}"),
        }
    }
}

/// An application that exists in another pool (uninstall would delete
/// it): both shells stop before changing it, and both take it over when
/// told (`install.cmd /takeover`, `install.ps1 -TakeOver`), leaving the
/// same configuration; uninstall then removes it in both.
#[test]
fn both_shells_take_over_an_existing_application_only_when_told() {
    let dir = tempfile::tempdir().unwrap();
    let out = generate(&fixtures().join("gen/default/args"), dir.path());
    let apphost = fixtures().join("review/existing-omero-applicationHost.config");
    let run = |scripts: &[&str], extra: &[&str], name: &str| {
        let after = dir.path().join(name);
        let output = bin()
            .arg("review")
            .args(scripts.iter().map(|s| out.join(s)))
            .args(["--format", "json", "--force", "-o"])
            .arg(&after)
            .arg("--apphost")
            .arg(&apphost)
            .args(extra)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", transcript(&output)));
        (
            exit_codes(&report),
            std::fs::read_to_string(&after).unwrap(),
        )
    };
    let before = std::fs::read_to_string(&apphost).unwrap();
    let (cmd, cmd_after) = run(&["install.cmd"], &[], "cmd-refused.config");
    let (ps1, ps1_after) = run(&["install.ps1"], &[], "ps1-refused.config");
    assert_eq!(cmd, [1]);
    assert_eq!(ps1, [1]);
    // Both stop at the same step: what they changed before it is the same.
    assert!(
        cmd_after == ps1_after,
        "the shells stop at different places:\n{}",
        similar::TextDiff::from_lines(&cmd_after, &ps1_after).unified_diff()
    );
    assert!(
        ps1_after.contains("D:\\old-omero"),
        "the application is left as it was: {ps1_after}"
    );
    let (cmd, cmd_after) = run(
        &["install.cmd"],
        &["--arg", "/takeover"],
        "cmd-taken.config",
    );
    let (ps1, ps1_after) = run(
        &["install.ps1"],
        &["--arg", "-TakeOver"],
        "ps1-taken.config",
    );
    assert_eq!(cmd, [0]);
    assert_eq!(ps1, [0]);
    assert!(
        cmd_after == ps1_after,
        "taken over differently:\n{}",
        similar::TextDiff::from_lines(&cmd_after, &ps1_after).unified_diff()
    );
    assert!(
        ps1_after.contains("C:\\inetpub\\omeroweb_omero"),
        "{ps1_after}"
    );
    // Install with the flag, then uninstall (which takes none: `--arg`
    // would go to both scripts, and PowerShell refuses a parameter a
    // script does not declare), through the library.
    use omero_iis::review::{self, Server};
    let round = |install: &str, flag: &str, uninstall: &str| {
        let script = |name: &str, args: Vec<String>| {
            let text = std::fs::read_to_string(out.join(name)).unwrap();
            let file = omero_iis::source::SourceFile::new(name, text);
            review::script(file, "C:\\omero-iis-out")
                .with_local_folder(out.clone())
                .with_arguments(args)
        };
        let server = Server::load("applicationHost.config", &before).unwrap();
        let result = review::review(
            &[
                script(install, vec![flag.to_owned()]),
                script(uninstall, Vec::new()),
            ],
            server,
        );
        let codes: Vec<i32> = result.runs.iter().map(|r| r.exit_code).collect();
        (codes, result.apphost_after())
    };
    let (cmd, cmd_round) = round("install.cmd", "/takeover", "uninstall.cmd");
    let (ps1, ps1_round) = round("install.ps1", "-TakeOver", "uninstall.ps1");
    assert_eq!(cmd, [0, 0]);
    assert_eq!(ps1, [0, 0]);
    assert!(
        cmd_round == ps1_round,
        "uninstall differs:\n{}",
        similar::TextDiff::from_lines(&cmd_round, &ps1_round).unified_diff()
    );
}
