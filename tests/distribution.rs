//! The pip package: `pyproject.toml` (maturin, `bindings = "bin"`) and the
//! `omero iis` plugin it carries (`python/data/purelib/omero/plugins/iis.py`).
//! See docs/python.md.
//!
//! * The metadata agrees with Cargo.toml.
//! * The Linux wheel holds the binary as a script, the plugin as purelib
//!   data, no file of omero-py's `omero` package, the licences, and the
//!   metadata PyPI shows; pip installs it in a fresh virtual environment,
//!   where the installed `omero-iis` runs.
//! * The Windows wheel (`--target x86_64-pc-windows-gnu`) holds
//!   `omero-iis.exe`, is tagged `win_amd64`, and its .exe runs under Wine.
//! * The plugin, installed beside omero-py 5.23.0 in a fresh virtual
//!   environment, lands in the folder OMERO's CLI always scans; omero-py's
//!   own `CLI.loadpath`, `configure_plugins` and `invoke` load it and run
//!   `omero iis ...` through it: arguments pass through, the binary's exit
//!   code comes back, `$OMERODIR/etc/grid/config.xml` is read when no
//!   settings file is given. What this does not prove (omero-py's
//!   `import omero` needs ZeroC Ice, which does not build on this Python) is
//!   written in docs/python.md.
//!
//! Needs `scripts/test-tools` (maturin 1.16 and omero-py in
//! `.test-tools/venv`, omero-py's wheel in `.test-tools/wheels` for the
//! fresh environments: no network here), Wine, MinGW and the Windows Rust
//! target like
//! tests/windows.rs. Without them these tests fail and say so: they are
//! never skipped.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";
const PLUGIN: &str = "python/data/purelib/omero/plugins/iis.py";
/// The omero-py release the plugin is tested with (scripts/test-tools
/// installs the same into `.test-tools/venv`).
const OMERO_PY: &str = "omero-py==5.23.0";

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tmp() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// `.test-tools/venv/bin/<name>`, which scripts/test-tools installs.
fn tool(name: &str) -> PathBuf {
    let path = manifest().join(".test-tools/venv/bin").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/test-tools first (it installs maturin and omero-py \
         into .test-tools/venv); these tests are never skipped",
        path.display()
    );
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn transcript(output: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

/// Runs `cmd` to the end and asserts that it succeeded.
fn run(what: &str, cmd: &mut Command) -> Output {
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed\n{}",
        transcript(&output)
    );
    output
}

/// One cargo build at a time: the machines have two cores.
static BUILDS: Mutex<()> = Mutex::new(());

/// `maturin build --locked` (the dev profile, to keep the tests quick) into
/// a fresh `out` folder; returns the one wheel it wrote.
fn build_wheel(target: Option<&str>, target_dir: &Path, out: &Path) -> PathBuf {
    let _one_at_a_time = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
    let maturin = tool("maturin");
    if out.exists() {
        fs::remove_dir_all(out).unwrap();
    }
    let mut cmd = Command::new(maturin);
    cmd.args(["build", "--locked", "--out"])
        .arg(out)
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(manifest());
    if let Some(target) = target {
        cmd.args(["--target", target]);
    }
    run("maturin build", &mut cmd);
    let wheels: Vec<PathBuf> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    assert_eq!(
        wheels.len(),
        1,
        "one wheel in {}: {wheels:?}",
        out.display()
    );
    wheels.into_iter().next().unwrap()
}

/// The Linux wheel, built once per test run, in a target folder of its own
/// (maturin's cargo build must not replace the binaries `cargo test` built
/// in `target/` while other tests run them).
fn linux_wheel() -> &'static Path {
    static WHEEL: OnceLock<PathBuf> = OnceLock::new();
    WHEEL.get_or_init(|| {
        build_wheel(
            None,
            &tmp().join("pip-build"),
            &tmp().join("pip-wheel-linux"),
        )
    })
}

/// The Windows wheel, built in the target folder tests/windows.rs uses, so
/// that the two share the cross-compiled dependencies.
fn windows_wheel() -> &'static Path {
    static WHEEL: OnceLock<PathBuf> = OnceLock::new();
    WHEEL.get_or_init(|| {
        build_wheel(
            Some(WINDOWS_TARGET),
            &tmp().join("windows-build"),
            &tmp().join("pip-wheel-windows"),
        )
    })
}

/// What a wheel holds, read with Python's zipfile.
struct Wheel {
    /// Every member's name with its Unix mode bits.
    members: Vec<(String, u32)>,
    /// `*.dist-info/METADATA` and `*.dist-info/WHEEL`.
    metadata: String,
    wheel: String,
}

const READ_WHEEL: &str = r#"
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = z.namelist()
    info = [n for n in names if n.endswith(".dist-info/METADATA")][0].rsplit("/", 1)[0]
    json.dump({
        "members": [[i.filename, i.external_attr >> 16] for i in z.infolist()],
        "metadata": z.read(info + "/METADATA").decode(),
        "wheel": z.read(info + "/WHEEL").decode(),
    }, sys.stdout)
"#;

fn read_wheel(path: &Path) -> Wheel {
    let out = run(
        "reading the wheel",
        Command::new(tool("python"))
            .args(["-c", READ_WHEEL])
            .arg(path),
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Wheel {
        members: json["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m[0].as_str().unwrap().to_owned(),
                    m[1].as_u64().unwrap() as u32,
                )
            })
            .collect(),
        metadata: json["metadata"].as_str().unwrap().to_owned(),
        wheel: json["wheel"].as_str().unwrap().to_owned(),
    }
}

impl Wheel {
    fn names(&self) -> Vec<&str> {
        self.members.iter().map(|m| m.0.as_str()).collect()
    }

    fn mode(&self, name: &str) -> u32 {
        self.members
            .iter()
            .find(|m| m.0 == name)
            .unwrap_or_else(|| panic!("{name} is not in the wheel: {:?}", self.names()))
            .1
    }
}

/// The header fields of a METADATA or WHEEL file (RFC 822 style), in order;
/// the long description after the blank line is left out.
fn fields(text: &str) -> Vec<(&str, &str)> {
    text.split("\n\n")
        .next()
        .unwrap()
        .lines()
        .map(|line| {
            line.split_once(": ")
                .unwrap_or_else(|| panic!("not a header line: {line:?}"))
        })
        .collect()
}

fn field<'a>(fields: &[(&str, &'a str)], name: &str) -> Vec<&'a str> {
    fields
        .iter()
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| *value)
        .collect()
}

fn cargo_toml() -> toml::Table {
    toml::from_str(&fs::read_to_string(manifest().join("Cargo.toml")).unwrap()).unwrap()
}

fn pyproject() -> toml::Table {
    toml::from_str(&fs::read_to_string(manifest().join("pyproject.toml")).unwrap()).unwrap()
}

fn package_str(cargo: &toml::Table, key: &str) -> String {
    cargo["package"][key]
        .as_str()
        .unwrap_or_else(|| panic!("Cargo.toml has no package.{key}"))
        .to_owned()
}

/// A new virtual environment made by the tools' Python; returns its `bin`.
fn venv(dir: &Path) -> PathBuf {
    run(
        "python -m venv",
        Command::new(tool("python"))
            .args(["-m", "venv", "--clear"])
            .arg(dir),
    );
    dir.join("bin")
}

fn pip(bin: &Path, args: &[&str]) -> Output {
    run(
        &format!("pip {}", args.join(" ")),
        Command::new(bin.join("python"))
            .args(["-m", "pip", "--disable-pip-version-check", "--no-input"])
            .args(args),
    )
}

fn install_wheel(bin: &Path, wheel: &Path) {
    pip(bin, &["install", "--no-index", wheel.to_str().unwrap()]);
}

/// The environment's site-packages folder.
fn site_packages(bin: &Path) -> PathBuf {
    let out = run(
        "sysconfig",
        Command::new(bin.join("python")).args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ]),
    );
    PathBuf::from(text(&out.stdout).trim())
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------- metadata

#[test]
fn pyproject_agrees_with_cargo_toml() {
    let cargo = cargo_toml();
    let pyproject = pyproject();
    let project = &pyproject["project"];
    assert_eq!(project["name"].as_str(), Some("omero-iis"));
    assert_eq!(
        project["description"].as_str().unwrap(),
        package_str(&cargo, "description"),
        "pyproject.toml's description is Cargo.toml's"
    );
    assert_eq!(
        project["license"].as_str().unwrap(),
        package_str(&cargo, "license")
    );
    assert_eq!(
        project["dynamic"].as_array().unwrap(),
        &vec![toml::Value::from("version")],
        "the version comes from Cargo.toml only"
    );
    assert!(project.get("version").is_none());
    let urls = project["urls"].as_table().unwrap();
    for (label, key) in [
        ("Homepage", "homepage"),
        ("Repository", "repository"),
        ("Documentation", "documentation"),
    ] {
        assert_eq!(
            urls[label].as_str().unwrap(),
            package_str(&cargo, key),
            "project.urls.{label} is Cargo.toml's {key}"
        );
    }
    assert_eq!(
        project["keywords"], cargo["package"]["keywords"],
        "the same keywords"
    );
    let maturin = &pyproject["tool"]["maturin"];
    assert_eq!(maturin["bindings"].as_str(), Some("bin"));
    assert_eq!(
        pyproject["build-system"]["requires"].as_array().unwrap(),
        &vec![toml::Value::from("maturin>=1.16,<2")]
    );
    // The maturin the tests build with is the one the build system asks for.
    let pinned = fs::read_to_string(manifest().join("scripts/test-tools.txt")).unwrap();
    assert!(
        pinned.lines().any(|l| l.starts_with("maturin==1.")),
        "{pinned}"
    );
    assert!(manifest().join(PLUGIN).is_file());
}

#[test]
fn linux_wheel_holds_the_binary_the_plugin_and_the_metadata() {
    let path = linux_wheel();
    let name = path.file_name().unwrap().to_str().unwrap();
    let prefix = format!("omero_iis-{}", version());
    assert!(
        name.starts_with(&format!("{prefix}-py3-none-manylinux_")) && name.ends_with("_x86_64.whl"),
        "{name}"
    );
    let wheel = read_wheel(path);
    let scripts = format!("{prefix}.data/scripts/omero-iis");
    assert_eq!(
        wheel.mode(&scripts) & 0o111,
        0o111,
        "the binary is executable"
    );
    let plugin = format!("{prefix}.data/purelib/omero/plugins/iis.py");
    assert!(wheel.names().contains(&plugin.as_str()));
    // omero-py owns the `omero` package: the wheel must not hold any other
    // file of it, above all no __init__.py that would replace omero-py's.
    let omero_files: Vec<&str> = wheel
        .names()
        .into_iter()
        .filter(|n| n.contains("omero/") && !n.starts_with(&format!("{prefix}.dist-info/")))
        .collect();
    assert_eq!(omero_files, vec![plugin.as_str()]);
    for licence in ["LICENSE-MIT", "LICENSE-APACHE"] {
        assert!(
            wheel
                .names()
                .contains(&format!("{prefix}.dist-info/licenses/{licence}").as_str()),
            "{licence}: {:?}",
            wheel.names()
        );
    }

    let cargo = cargo_toml();
    let meta = fields(&wheel.metadata);
    assert_eq!(field(&meta, "Name"), ["omero-iis"]);
    assert_eq!(field(&meta, "Version"), [version()]);
    assert_eq!(
        field(&meta, "Summary"),
        [package_str(&cargo, "description").as_str()]
    );
    assert_eq!(field(&meta, "License-Expression"), ["MIT OR Apache-2.0"]);
    assert_eq!(
        field(&meta, "License-File"),
        ["LICENSE-MIT", "LICENSE-APACHE"]
    );
    assert_eq!(field(&meta, "Requires-Python"), [">=3.8"]);
    let urls: BTreeSet<&str> = field(&meta, "Project-URL").into_iter().collect();
    let expected: BTreeSet<String> = [
        ("Documentation", "documentation"),
        ("Homepage", "homepage"),
        ("Repository", "repository"),
    ]
    .iter()
    .map(|(label, key)| format!("{label}, {}", package_str(&cargo, key)))
    .collect();
    assert_eq!(
        urls,
        expected.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    let classifiers = field(&meta, "Classifier");
    for wanted in [
        "Environment :: Console",
        "Operating System :: Microsoft :: Windows",
        "Operating System :: POSIX :: Linux",
        "Operating System :: MacOS",
    ] {
        assert!(classifiers.contains(&wanted), "{classifiers:?}");
    }
    assert_eq!(field(&meta, "Description-Content-Type"), ["text/markdown"]);
    // The long description is the short PyPI page, not the whole README.
    let (_, description) = wheel.metadata.split_once("\n\n").unwrap();
    let page = fs::read_to_string(manifest().join("python/README-pypi.md")).unwrap();
    assert_eq!(description.trim(), page.trim());
    assert!(page.lines().count() <= 30, "a short page");

    let tags = fields(&wheel.wheel);
    assert_eq!(field(&tags, "Root-Is-Purelib"), ["false"]);
    assert_eq!(field(&tags, "Tag").len(), 1);
    assert!(field(&tags, "Tag")[0].starts_with("py3-none-manylinux_"));
}

#[test]
fn linux_wheel_installs_with_pip_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let bin = venv(&dir.path().join("venv"));
    install_wheel(&bin, linux_wheel());
    let program = bin.join("omero-iis");
    assert!(program.is_file(), "pip put omero-iis in the venv's bin");
    let shown = run(
        "omero-iis --version",
        Command::new(&program).arg("--version"),
    );
    assert_eq!(
        text(&shown.stdout).trim(),
        format!("omero-iis {}", version())
    );
    let out = dir.path().join("out");
    run(
        "omero-iis gen all",
        Command::new(&program)
            .args(["--color", "never", "gen", "all"])
            .arg(manifest().join("examples/config.xml"))
            .arg("-o")
            .arg(&out),
    );
    let written = files(&out);
    for expected in ["web/web.config", "install.cmd", "README.txt"] {
        assert!(
            written.iter().any(|f| f == expected),
            "{expected}: {written:?}"
        );
    }
    // The same bytes as the binary cargo built for the other tests.
    let reference = dir.path().join("reference");
    run(
        "the cargo-built omero-iis",
        Command::new(env!("CARGO_BIN_EXE_omero-iis"))
            .args(["--color", "never", "gen", "all"])
            .arg(manifest().join("examples/config.xml"))
            .arg("-o")
            .arg(&reference),
    );
    assert_eq!(written, files(&reference));
    for file in &written {
        assert!(
            fs::read(out.join(file)).unwrap() == fs::read(reference.join(file)).unwrap(),
            "{file} differs"
        );
    }
}

// ---------------------------------------------------------------- Windows

fn found(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn windows_wheel_holds_the_exe_and_it_runs_under_wine() {
    let path = windows_wheel();
    let prefix = format!("omero_iis-{}", version());
    assert_eq!(
        path.file_name().unwrap().to_str().unwrap(),
        format!("{prefix}-py3-none-win_amd64.whl")
    );
    let wheel = read_wheel(path);
    assert_eq!(field(&fields(&wheel.wheel), "Tag"), ["py3-none-win_amd64"]);
    let exe = format!("{prefix}.data/scripts/omero-iis.exe");
    let names = wheel.names();
    assert!(names.contains(&exe.as_str()), "{names:?}");
    assert!(
        !names.iter().any(|n| n.ends_with("/omero-iis")),
        "no Linux binary: {names:?}"
    );
    assert!(names.contains(&format!("{prefix}.data/purelib/omero/plugins/iis.py").as_str()));

    // The .exe from the wheel runs (Wine, with the ProcessPrng shim of
    // tests/windows.rs beside it; see there).
    assert!(
        found("wine") && found("x86_64-w64-mingw32-gcc"),
        "wine and x86_64-w64-mingw32-gcc are needed (Debian: apt-get install wine wine64 \
         gcc-mingw-w64-x86-64); this test is never skipped"
    );
    let folder = tmp().join("pip-wheel-windows-exe");
    if folder.exists() {
        fs::remove_dir_all(&folder).unwrap();
    }
    fs::create_dir_all(&folder).unwrap();
    run(
        "extracting the .exe",
        Command::new(tool("python"))
            .args([
                "-c",
                "import shutil, sys, zipfile\n\
                 with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, \
                 open(sys.argv[3], 'wb') as dst:\n    shutil.copyfileobj(src, dst)",
            ])
            .arg(path)
            .arg(&exe)
            .arg(folder.join("omero-iis.exe")),
    );
    run(
        "building the ProcessPrng shim",
        Command::new("x86_64-w64-mingw32-gcc")
            .args(["-shared", "-O2", "-o"])
            .arg(folder.join("bcryptprimitives.dll"))
            .arg(manifest().join("tests/wine/bcryptprimitives.c"))
            .arg("-ladvapi32"),
    );
    let wine_prefix = tmp().join("windows-prefix");
    if !wine_prefix.join("drive_c/windows").exists() {
        run(
            "wineboot",
            Command::new("wineboot")
                .arg("-i")
                .env("WINEPREFIX", &wine_prefix)
                .env("WINEDEBUG", "-all"),
        );
    }
    let wine = || {
        Command::new("wine")
            .arg(folder.join("omero-iis.exe"))
            .arg("--version")
            .env("WINEPREFIX", &wine_prefix)
            .env("WINEDEBUG", "-all")
            .output()
            .unwrap()
    };
    let mut shown = wine();
    if shown.stdout.is_empty() && shown.stderr.is_empty() && !shown.status.success() {
        // As tests/windows.rs: Wine itself failed to start the program.
        shown = wine();
    }
    assert!(shown.status.success(), "{}", transcript(&shown));
    assert_eq!(
        text(&shown.stdout).trim(),
        format!("omero-iis {}", version())
    );
}

// ---------------------------------------------------------------- plugin

/// The plugin's source.
fn plugin_source() -> String {
    fs::read_to_string(manifest().join(PLUGIN)).unwrap()
}

/// `omero-iis ARGS --help` of the cargo-built binary.
fn help(args: &[&str]) -> String {
    let out = run(
        "omero-iis --help",
        Command::new(env!("CARGO_BIN_EXE_omero-iis"))
            .args(args)
            .arg("--help"),
    );
    text(&out.stdout)
}

#[test]
fn plugin_declares_the_options_the_binary_takes_before_a_command() {
    // argparse refuses an option it does not know before the first
    // positional argument, so each of the binary's top-level options must be
    // declared by the plugin (and passed on).
    let option = regex::Regex::new(r"^\s+(?:(-\w), )?(--[\w-]+)").unwrap();
    let mut top_level: BTreeSet<String> = help(&[])
        .lines()
        .skip_while(|l| !l.starts_with("Options:"))
        .filter_map(|l| option.captures(l))
        .flat_map(|c| {
            [c.get(1), c.get(2)]
                .into_iter()
                .flatten()
                .map(|m| m.as_str().to_owned())
        })
        .collect();
    top_level.remove("-h");
    top_level.remove("--help");
    let source = plugin_source();
    let configure =
        &source[source.find("def _configure").unwrap()..source.find("def __call__").unwrap()];
    let declared: BTreeSet<String> = regex::Regex::new(r#""(--?[\w-]+)""#)
        .unwrap()
        .captures_iter(configure)
        .map(|c| c[1].to_owned())
        .collect();
    assert_eq!(declared, top_level);
}

#[test]
fn plugin_parses_as_python_3_8() {
    // requires-python says 3.8; Python's own parser checks the grammar.
    run(
        "ast.parse(feature_version=(3, 8))",
        Command::new(tool("python"))
            .args([
                "-c",
                "import ast, sys; ast.parse(open(sys.argv[1]).read(), feature_version=(3, 8))",
            ])
            .arg(manifest().join(PLUGIN)),
    );
}

/// A fresh virtual environment with omero-py (without its dependencies,
/// as scripts/test-tools installs it) and the Linux wheel.
struct OmeroEnv {
    _dir: tempfile::TempDir,
    root: PathBuf,
    bin: PathBuf,
    site: PathBuf,
}

fn omero_env() -> OmeroEnv {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let bin = venv(&root.join("venv"));
    let wheels = manifest().join(".test-tools/wheels");
    assert!(
        wheels.is_dir(),
        "{} is missing: run scripts/test-tools first",
        wheels.display()
    );
    pip(
        &bin,
        &[
            "install",
            "--no-index",
            "--no-deps",
            "--find-links",
            wheels.to_str().unwrap(),
            OMERO_PY,
        ],
    );
    install_wheel(&bin, linux_wheel());
    let site = site_packages(&bin);
    OmeroEnv {
        _dir: dir,
        root,
        bin,
        site,
    }
}

/// Runs `omero ARGS` through omero-py's own CLI class in the environment:
/// `CLI.loadpath` on the installed plugin file (what `CLI.loadplugins` does
/// for each `*.py` in each `omero/plugins` folder on sys.path), then
/// `configure_plugins` and `invoke`; exits with the CLI's `rv`, as
/// omero-py's `omero.cli.argv` returns it to `omero.main`.
///
/// omero-py's `omero/__init__.py` and `omero/util/__init__.py` import ZeroC
/// Ice (`import Ice`), which omero-py 5.23.0 pins to 3.6.x and which does
/// not build on this Python, so `import omero.cli` fails as installed. The
/// driver puts bare package modules in their place; everything else it runs
/// is omero-py's own file (cli.py, util/concurrency.py, omero_ext). It does
/// not run `CLI.loadplugins` itself: that loads omero-py's other plugins too,
/// and those need Ice.
const OMERO: &str = r#"
import importlib.util, json, os, sys, types
omero_dir = importlib.util.find_spec("omero").submodule_search_locations[0]
for name in ("omero", "omero.util"):
    module = types.ModuleType(name)
    module.__path__ = [os.path.join(omero_dir, *name.split(".")[1:])]
    sys.modules[name] = module
import omero.cli
cli = omero.cli.CLI(prog="omero")
plugin = omero.cli.OMEROCLI / "plugins" / "iis.py"
cli.loadpath(plugin)
cli.configure_plugins()
if not isinstance(cli.controls.get("iis"), omero.cli.BaseControl):
    sys.exit("omero iis was not registered: %r" % sorted(cli.controls))
cli.invoke(json.loads(sys.argv[1]))
sys.exit(cli.rv)
"#;

impl OmeroEnv {
    fn omero(&self, args: &[&str], env: &[(&str, &Path)]) -> Output {
        let mut cmd = Command::new(self.bin.join("python"));
        cmd.args(["-c", OMERO])
            .arg(serde_json::to_string(args).unwrap())
            .env_remove("OMERODIR")
            .env("NO_COLOR", "1")
            .current_dir(&self.root);
        for (key, value) in env {
            cmd.env(key, value);
        }
        cmd.output().unwrap()
    }
}

#[test]
fn plugin_is_installed_where_omero_looks_and_uninstalled_cleanly() {
    let env = omero_env();
    // CLI.__init__ starts its plugin paths with `OMEROCLI / "plugins"`, the
    // folder of omero-py's own plugins, and loadplugins also scans
    // `omero/plugins` in every sys.path entry: the file is in both.
    let plugins = env.site.join("omero/plugins");
    let installed = plugins.join("iis.py");
    assert_eq!(fs::read_to_string(&installed).unwrap(), plugin_source());
    assert!(plugins.join("admin.py").is_file(), "omero-py's plugins");
    let omero_files = |site: &Path| {
        let mut all = files(&site.join("omero"));
        all.retain(|f| !f.contains("__pycache__"));
        all
    };
    let with_plugin = omero_files(&env.site);
    let recorded = pip(&env.bin, &["show", "--files", "omero-iis"]);
    let recorded = text(&recorded.stdout);
    assert!(
        !recorded.contains("__init__.py"),
        "omero-iis owns no __init__.py: {recorded}"
    );
    pip(&env.bin, &["uninstall", "--yes", "omero-iis"]);
    assert!(!installed.exists());
    assert!(!env.bin.join("omero-iis").exists());
    let without: Vec<String> = with_plugin
        .into_iter()
        .filter(|f| f != "plugins/iis.py")
        .collect();
    assert_eq!(
        omero_files(&env.site),
        without,
        "omero-py's files stay as they were"
    );
}

#[test]
fn omero_iis_runs_through_omero_pys_cli() {
    let env = omero_env();
    let dir = &env.root;
    let example = manifest().join("examples/config.xml");

    // Arguments pass through, options before the command too.
    let shown = env.omero(&["iis", "--version"], &[]);
    assert_eq!(shown.status.code(), Some(0), "{}", transcript(&shown));
    assert_eq!(
        text(&shown.stdout).trim(),
        format!("omero-iis {}", version())
    );
    let listed = env.omero(&["iis", "help"], &[]);
    assert_eq!(listed.status.code(), Some(0), "{}", transcript(&listed));
    assert!(text(&listed.stdout).contains("review"));

    // gen all writes the files.
    let out = dir.join("gen");
    let made = env.omero(
        &[
            "iis",
            "gen",
            "all",
            example.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(made.status.code(), Some(0), "{}", transcript(&made));
    let written = files(&out);
    assert!(
        written.contains(&"web/web.config".to_owned())
            && written.contains(&"install.cmd".to_owned()),
        "{written:?}"
    );

    // The binary's exit code comes back: 1 for a finding, 2 for a usage error.
    let bad = dir.join("bad.config");
    fs::write(
        &bad,
        "<configuration>\n  <system.webServer>\n    <handlers bogus=\"1\" />\n  </system.webServer>\n</configuration>\n",
    )
    .unwrap();
    let checked = env.omero(&["iis", "check", bad.to_str().unwrap()], &[]);
    assert_eq!(checked.status.code(), Some(1), "{}", transcript(&checked));
    assert!(
        text(&checked.stdout).contains("bad.config:3:"),
        "{}",
        transcript(&checked)
    );
    let usage = env.omero(&["iis", "gen", "nothing"], &[]);
    assert_eq!(usage.status.code(), Some(2), "{}", transcript(&usage));

    // No settings file: $OMERODIR/etc/grid/config.xml is read (the binary
    // does it; the plugin passes OMERODIR on with the environment).
    let server = dir.join("OMERO.server");
    fs::create_dir_all(server.join("etc/grid")).unwrap();
    let config = server.join("etc/grid/config.xml");
    fs::write(
        &config,
        fs::read_to_string(&example)
            .unwrap()
            .replace("value=\"/omero\"", "value=\"/omerodir-default\"")
            .replace(
                "value=\"/omero/static/\"",
                "value=\"/omerodir-default/static/\"",
            ),
    )
    .unwrap();
    let omerodir = [("OMERODIR", server.as_path())];
    let settings = env.omero(&["iis", "settings", "show"], &omerodir);
    assert_eq!(settings.status.code(), Some(0), "{}", transcript(&settings));
    assert!(
        text(&settings.stdout).contains("omero.web.prefix=/omerodir-default\n"),
        "{}",
        transcript(&settings)
    );
    assert!(
        text(&settings.stderr).contains(&format!("reading {}", config.display())),
        "{}",
        transcript(&settings)
    );
    // ... for validate settings and gen too; a file given wins.
    let validated = env.omero(&["iis", "validate", "settings"], &omerodir);
    assert_eq!(
        validated.status.code(),
        Some(0),
        "{}",
        transcript(&validated)
    );
    assert!(
        text(&validated.stderr).contains(&format!("reading {}", config.display())),
        "{}",
        transcript(&validated)
    );
    let from_omerodir = dir.join("gen-omerodir");
    let made = env.omero(
        &["iis", "gen", "all", "-o", from_omerodir.to_str().unwrap()],
        &omerodir,
    );
    assert_eq!(made.status.code(), Some(0), "{}", transcript(&made));
    let install = fs::read_to_string(from_omerodir.join("install.cmd")).unwrap();
    assert!(install.contains("/omerodir-default"), "{install}");
    let explicit = env.omero(
        &["iis", "settings", "show", example.to_str().unwrap()],
        &omerodir,
    );
    assert_eq!(explicit.status.code(), Some(0), "{}", transcript(&explicit));
    assert!(
        text(&explicit.stdout).contains("omero.web.prefix=/omero\n"),
        "{}",
        transcript(&explicit)
    );

    // Without the binary: a clear message and exit code 2.
    let program = env.bin.join("omero-iis");
    fs::rename(&program, env.bin.join("omero-iis.moved")).unwrap();
    // (PATH and the user scheme's scripts folder hold no omero-iis either.)
    let missing = env.omero(
        &["iis", "--version"],
        &[
            ("PATH", Path::new("/nonexistent")),
            ("PYTHONUSERBASE", &dir.join("user-base")),
        ],
    );
    assert_eq!(missing.status.code(), Some(2), "{}", transcript(&missing));
    assert!(
        text(&missing.stderr).contains("the omero-iis program was not found"),
        "{}",
        transcript(&missing)
    );
}
