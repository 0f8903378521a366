//! Large XML files are checked as a stream (read from disk as the walker goes,
//! positions and snippets read back by offset). These tests prove a streamed
//! file gives exactly the report the same file gives when read whole, and
//! that the command line streams large files with correct positions.

mod common;

use std::path::{Path, PathBuf};

use common::{bin, fixtures, transcript};
use omero_iis::check::{check, Input, Kind};
use omero_iis::report::{render, Format};
use omero_iis::source::{file_contains, STREAM_ABOVE};

/// Every XML configuration among the fixtures.
fn xml_fixtures() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![fixtures()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                folders.push(path);
            } else if (name.ends_with(".config") || name.ends_with(".xml"))
                && !path.starts_with(fixtures().join("validate"))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    assert!(found.len() > 30, "the fixtures moved: {found:?}");
    found
}

fn whole(path: &Path, kind: Option<Kind>) -> Input {
    let name = path.display().to_string();
    Input::new(path.to_owned(), &name, &std::fs::read(path).unwrap(), kind).unwrap()
}

fn streamed(path: &Path, kind: Option<Kind>) -> Option<Input> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).unwrap();
    let contains = |needle: &str| file_contains(path, needle).unwrap();
    Input::streamed(path, &name, &bytes, kind, contains).unwrap()
}

/// The text and JSON reports of checking `inputs` against `apphost`.
fn reports(inputs: &[Input], apphost: Option<&Input>) -> String {
    let report = check(inputs, apphost, omero_iis::iis::schema::Schema::global()).unwrap();
    let mut out = render(Format::Text, &report.diagnostics, "", false);
    out.push_str(&render(Format::Json, &report.diagnostics, "", false));
    out.push_str(&format!("suppressed: {}", report.suppressed));
    out
}

/// Variants of a fixture that move offsets around: a UTF-8 BOM, CRLF line
/// ends, a suppression comment.
fn variants(path: &Path, dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let mut made = Vec::new();
    let mut write = |label: &str, bytes: Vec<u8>| {
        let variant = dir.join(label).join(&name);
        std::fs::create_dir_all(variant.parent().unwrap()).unwrap();
        std::fs::write(&variant, bytes).unwrap();
        made.push(variant);
    };
    write(
        "bom",
        [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
    );
    write(
        "crlf",
        text.replace("\r\n", "\n")
            .replace('\n', "\r\n")
            .into_bytes(),
    );
    if let Some(at) = text.find("<configuration>") {
        let mut suppressed = text.clone();
        suppressed.insert_str(
            at + "<configuration>".len(),
            "\n  <!-- omero-iis: allow-file OW303 OW304 OW305 OW306 OW307 OW308 OW310 OW313 OW314 -->",
        );
        write("allow", suppressed.into_bytes());
    }
    made
}

#[test]
fn a_streamed_file_reports_exactly_what_the_whole_file_reports() {
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for fixture in xml_fixtures() {
        for path in std::iter::once(fixture.clone()).chain(variants(&fixture, dir.path())) {
            let Some(stream) = streamed(&path, None) else {
                // Only UTF-16 files are read whole whatever their size.
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    bytes.starts_with(b"\xFF\xFE") || bytes.contains(&0),
                    "{path:?}"
                );
                continue;
            };
            assert!(stream.file.is_streamed());
            let memory = whole(&path, None);
            assert_eq!(stream.kind, memory.kind, "{path:?}");
            assert_eq!(
                reports(&[stream], None),
                reports(&[memory], None),
                "{path:?}"
            );
            compared += 1;
        }
    }
    assert!(compared > 100, "compared {compared}");
}

#[test]
fn a_streamed_apphost_gives_the_same_locks_as_a_whole_one() {
    let servers = fixtures().join("check/servers");
    for server in ["locked", "unlocked"] {
        let apphost = servers.join(format!("{server}.applicationHost.config"));
        for fixture in xml_fixtures() {
            if !fixture.to_string_lossy().ends_with("web.config") {
                continue;
            }
            let web = || whole(&fixture, None);
            let kind = Some(Kind::AppHost);
            assert_eq!(
                reports(&[web()], streamed(&apphost, kind).as_ref()),
                reports(&[web()], Some(&whole(&apphost, kind))),
                "{fixture:?} against {server}"
            );
        }
    }
}

/// An applicationHost.config over the streaming threshold: `sites` sites
/// after the server fixture's own, one of them a duplicate of site 2's id
/// (an error), and returns its text.
fn large_apphost(sites: usize) -> String {
    let base =
        std::fs::read_to_string(fixtures().join("check/servers/unlocked.applicationHost.config"))
            .unwrap();
    let mut added = String::new();
    for n in 2..sites + 2 {
        let id = if n == sites { 2 } else { n };
        added.push_str(&format!(
            "      <site name=\"Site {n} é\" id=\"{id}\">\n        <application path=\"/\" applicationPool=\"DefaultAppPool\">\n          <virtualDirectory path=\"/\" physicalPath=\"D:\\sites\\{n}\" />\n        </application>\n        <bindings>\n          <binding protocol=\"http\" bindingInformation=\"*:80:site{n}.example.org\" />\n        </bindings>\n      </site>\n"
        ));
    }
    base.replacen("    </sites>", &format!("{added}    </sites>"), 1)
}

#[test]
fn the_command_line_streams_a_large_file_with_exact_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("applicationHost.config");
    let text = large_apphost(20_000);
    assert!(text.len() as u64 > STREAM_ABOVE);
    std::fs::write(&path, &text).unwrap();

    let out = bin().arg("check").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    // The duplicate id, found independently: the element names of the
    // last site and of the first with id 2.
    let location = |needle: &str| {
        let at = text.find(needle).unwrap() + 1;
        let line = text[..at].matches('\n').count() + 1;
        let column = text[..at].rfind('\n').map_or(at, |nl| at - nl - 1) + 1;
        format!("{}:{line}:{column}", path.display())
    };
    let duplicate = location("<site name=\"Site 20000 é\"");
    assert!(
        stdout.contains(&format!("--> {duplicate}")),
        "no {duplicate} in\n{stdout}"
    );
    let first = location("<site name=\"Site 2 é\"");
    assert!(
        stdout.contains(&format!("first added at {first}")),
        "no {first} in\n{stdout}"
    );
    assert!(
        stdout.contains("<site name=\"Site 20000 é\" id=\"2\">"),
        "{stdout}"
    );

    // The same text read whole (as a small file would be) reports the same.
    let memory = Input::new(
        path.clone(),
        &path.display().to_string(),
        text.as_bytes(),
        None,
    )
    .unwrap();
    let report = check(&[memory], None, omero_iis::iis::schema::Schema::global()).unwrap();
    let expected = render(Format::Text, &report.diagnostics, "checked 1 file", false);
    assert_eq!(stdout, expected);
}

#[test]
fn a_large_file_cut_short_or_not_utf8_is_reported_where_it_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let text = large_apphost(20_000);

    let cut = dir.path().join("cut.applicationHost.config");
    let end = text.len() - 40;
    std::fs::write(&cut, &text.as_bytes()[..end]).unwrap();
    let out = bin().arg("check").arg(&cut).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(stdout.contains("error[OW301]"), "{stdout}");
    let last_line = text[..end].matches('\n').count() + 1;
    assert!(
        stdout.contains(&format!("{}:{last_line}:", cut.display())),
        "{stdout}"
    );

    let bad = dir.path().join("bad.applicationHost.config");
    let mut bytes = text.clone().into_bytes();
    let at = text.len() / 2;
    bytes[at] = 0xFF;
    std::fs::write(&bad, &bytes).unwrap();
    let out = bin().arg("check").arg(&bad).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr.contains(&format!("invalid UTF-8 at byte offset {at}")),
        "{stderr}"
    );
    assert!(stderr.contains("help: save the file as UTF-8"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "no partial report: {}",
        transcript(&out)
    );
}

/// The benchmark shapes (benches/gen_shapes.py) are files IIS loads: the
/// benchmarks measure `check` on valid input, so a table entry that wrongly
/// refused a shape's huge collections would show here, not as a fast
/// error. Above the streaming threshold, so the streamed walk reads them.
#[test]
fn every_benchmark_shape_is_checked_clean() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/gen_shapes.py");
    let list = std::process::Command::new("python3")
        .arg(&script)
        .arg("--list")
        .output()
        .expect("python3 runs the shape generator");
    let shapes: Vec<String> = String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(shapes.len() >= 8, "{shapes:?}");
    let dir = tempfile::tempdir().unwrap();
    let size_mb = (STREAM_ABOVE as f64 / 1_048_576.0 + 0.2).to_string();
    for shape in &shapes {
        // The line-ending and BOM variants on one shape: the walk is the same.
        let variants: &[Option<&str>] = if shape == "locations" {
            &[None, Some("--lf"), Some("--bom")]
        } else {
            &[None]
        };
        for &variant in variants {
            let file = dir
                .path()
                .join(format!("{shape}{}.config", variant.unwrap_or("")));
            let made = std::process::Command::new("python3")
                .arg(&script)
                .args([shape.as_str(), size_mb.as_str()])
                .arg(&file)
                .args(variant)
                .output()
                .unwrap();
            assert!(
                made.status.success(),
                "{shape}: {}",
                String::from_utf8_lossy(&made.stderr)
            );
            let kind: &[&str] = if shape.contains("webconfig") || shape == "long-attributes" {
                &["--kind", "web.config"]
            } else {
                &[]
            };
            let output = bin().arg("check").args(kind).arg(&file).output().unwrap();
            assert_eq!(
                output.status.code(),
                Some(0),
                "{shape} {variant:?}: {}",
                transcript(&output)
            );
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                stdout.contains("0 errors, 0 warnings"),
                "{shape} {variant:?}: {stdout}"
            );
        }
    }
}
