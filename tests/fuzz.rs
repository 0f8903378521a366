//! A fuzzing harness on stable Rust: every parser that reads user files gets
//! random bytes and mutations of the real fixture files (byte flips, cuts,
//! duplicated ranges, inserted syntax characters), and must answer with
//! findings or a typed error — never a panic. The whole pipeline runs on what
//! parses: settings → validate (both modes) → plan → render, and `check` on
//! every file kind.
//!
//! Cases per run: `OMERO_IIS_FUZZ_CASES` (default 3000; CI uses the default).
//! A crash is shrunk by proptest and should become a fixture under
//! `tests/fixtures/fuzz-regressions/`, which this harness replays first.
//!
//! Every case runs under a budget: [`TIME_BUDGET`] of wall time and
//! [`MEMORY_BUDGET`] of live heap (counted by this binary's allocator). A
//! case over either is a finding, not a hang: the input is saved under
//! `target/fuzz-findings/` and the test binary stops with a message naming
//! it (a runaway case cannot be stopped from outside its thread).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use omero_iis::check::{self, Input, Kind};
use omero_iis::deploy::{self, DeployOptions, Targets};
use omero_iis::render::{self, Shell, Target, TemplateSet};
use omero_iis::settings::sources::{self, InputFormat};
use omero_iis::settings::{Catalogue, Settings};
use omero_iis::source::SourceFile;
use omero_iis::validate::{self, FrontEnd, Mode};
use proptest::prelude::*;

/// Wall time one case may take (the slowest seen is well under 0.1 s).
const TIME_BUDGET: Duration = Duration::from_secs(20);
/// Live heap one case may hold beyond what the harness itself holds.
const MEMORY_BUDGET: usize = 1 << 30;

/// The system allocator, counting live bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs [`exercise`] on `bytes` in a thread of its own, watching its time
/// and the heap; over budget, saves the input and stops the test binary.
fn exercise_within_budget(bytes: &[u8]) {
    let input = bytes.to_vec();
    let base = LIVE.load(Ordering::Relaxed);
    let (done, finished) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let result = std::panic::catch_unwind(|| exercise(&input));
        let _ = done.send(());
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
    });
    let start = Instant::now();
    loop {
        match finished.recv_timeout(Duration::from_millis(5)) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {}
        }
        let held = LIVE.load(Ordering::Relaxed).saturating_sub(base);
        let over = if start.elapsed() > TIME_BUDGET {
            Some(format!("took over {TIME_BUDGET:?}"))
        } else if held > MEMORY_BUDGET {
            Some(format!("held {} MiB of heap", held >> 20))
        } else {
            None
        };
        if let Some(what) = over {
            let saved = save_finding(bytes);
            eprintln!(
                "fuzz: a case {what}: a budget exceeded is a finding. Input saved as {}; \
                 replay it from tests/fixtures/fuzz-regressions/ once fixed.",
                saved.display()
            );
            std::process::exit(101);
        }
    }
    if let Err(panic) = worker.join() {
        std::panic::resume_unwind(panic);
    }
}

fn save_finding(bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-findings");
    let _ = std::fs::create_dir_all(&dir);
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("{hash:016x}.bin"));
    let _ = std::fs::write(&path, bytes);
    path
}

#[test]
fn a_case_over_budget_is_caught() {
    // The watchdog's arithmetic, not a real runaway (that would stop the binary).
    let base = LIVE.load(Ordering::Relaxed);
    let block = vec![0u8; 8 << 20];
    assert!(LIVE.load(Ordering::Relaxed).saturating_sub(base) >= 8 << 20);
    drop(block);
    assert!(save_finding(b"x").exists());
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every fixture file's bytes: the seeds of the mutations.
fn seeds() -> &'static Vec<Vec<u8>> {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut files = Vec::new();
        let mut stack = vec![fixtures()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push(std::fs::read(&path).unwrap());
                }
            }
        }
        assert!(files.len() > 50, "fixtures are missing");
        files
    })
}

/// Runs every parser and the pipeline behind it on one input.
fn exercise(bytes: &[u8]) {
    if let Ok(file) = SourceFile::from_bytes("fuzz", bytes) {
        for format in [
            InputFormat::ConfigXml,
            InputFormat::Properties,
            InputFormat::Json,
        ] {
            if let Ok(loaded) = sources::read_text(&file, format, None) {
                pipeline(loaded.assignments);
            }
        }
    }
    let kinds = [
        Kind::WebConfig,
        Kind::AppHost,
        Kind::Fragment,
        Kind::Batch,
        Kind::PowerShell,
    ];
    let inputs: Vec<Input> = kinds
        .into_iter()
        .filter_map(|kind| Input::new("fuzz".into(), "fuzz", bytes, Some(kind)).ok())
        .collect();
    let _ = check::check(&inputs, None, omero_iis::iis::schema::Schema::global());
    review(bytes);
    if let Ok(detected) = Input::new("fuzz".into(), "fuzz", bytes, None) {
        let _ = check::check(&[detected], None, omero_iis::iis::schema::Schema::global());
    }
}

/// `review`: the input as a script on the default server, and as a server's
/// applicationHost.config (byte-for-byte round trip, then edited by a script).
fn review(bytes: &[u8]) {
    use omero_iis::review::{self, document::Document, Server};
    let Ok(file) = SourceFile::from_bytes("fuzz.cmd", bytes) else {
        return;
    };
    let script = review::script(file.clone(), "C:\\fuzz");
    let _ = review::review(&[script], Server::default_iis());
    // The same bytes as a PowerShell script.
    if let Ok(ps1) = SourceFile::from_bytes("fuzz.ps1", bytes) {
        let _ = review::review(&[review::script(ps1, "C:\\fuzz")], Server::default_iis());
    }
    if let Ok(doc) = Document::parse(&file.text) {
        assert_eq!(
            doc.to_text(),
            file.text,
            "a loaded document writes back unchanged"
        );
    }
    if let Ok(server) = Server::load("fuzz.config", &file.text) {
        let edits = SourceFile::new("edits.cmd", EDITS);
        let result = review::review(&[review::script(edits, "C:\\fuzz")], server);
        let after = result.apphost_after();
        assert!(
            Document::parse(&after).is_ok(),
            "an edited document stays well-formed:\n{after}"
        );
    }
}

/// appcmd commands of every kind the simulation edits with.
const EDITS: &str = "@echo off\r\n\
set A=%windir%\\system32\\inetsrv\\appcmd.exe\r\n\
%A% add apppool /name:p /processModel.idleTimeout:00:00:00\r\n\
%A% add site /name:s /bindings:http/*:81: /physicalPath:C:\\s\r\n\
%A% add app /site.name:s /path:/a /physicalPath:C:\\a\r\n\
%A% set app s/a /applicationPool:p\r\n\
%A% unlock config s/a -section:system.webServer/handlers\r\n\
%A% set config -section:system.webServer/security/isapiCgiRestriction /+[path='x',allowed='true'] /commit:apphost\r\n\
%A% set config s -section:system.webServer/rewrite/allowedServerVariables /+[name='X'] /commit:apphost\r\n\
%A% set config s -section:system.webServer/rewrite/allowedServerVariables /-[name='X'] /commit:apphost\r\n\
%A% lock config s/a -section:system.webServer/handlers\r\n\
%A% delete app s/a\r\n\
%A% delete apppool p\r\n";

fn pipeline(assignments: Vec<omero_iis::settings::Assignment>) {
    let mut settings = Settings::default();
    settings.apply(assignments);
    let catalogue = Catalogue::global();
    for mode in [Mode::IsapiWsgi, Mode::ReverseProxy] {
        let mut found = Vec::new();
        for https in [false, true] {
            found.extend(validate::validate(
                &settings,
                catalogue,
                FrontEnd {
                    mode,
                    mode_chosen: true,
                    version: omero_iis::settings::versions::NEWEST,
                    https,
                },
            ));
        }
        let targets = Targets {
            cmd_scripts: true,
            ps_scripts: true,
        };
        let (plan, plan_found) = deploy::plan(&settings, &DeployOptions::default(), mode, targets);
        found.extend(plan_found);
        let rendered = render::render(&plan, Target::All, Shell::Both, &TemplateSet::default());
        // What `gen` would accept (no errors) always renders: the checks cover every value.
        let errors = found
            .iter()
            .any(|d| d.severity == omero_iis::diagnostic::Severity::Error);
        if !errors {
            assert!(rendered.is_ok(), "{:?}", rendered.err());
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize, usize),
    Duplicate(usize, usize),
    Insert(usize, &'static [u8]),
    Truncate(usize),
}

const SYNTAX: &[&[u8]] = &[
    b"<",
    b">",
    b"\"",
    b"'",
    b"&",
    b"%",
    b"^",
    b"=",
    b"\\",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\0",
    b"\xff",
    b"\r",
    b"\n",
    b"<!DOCTYPE x [<!ENTITY a \"b\">]>",
    b"<![CDATA[",
    b"-->",
    b"&#0;",
    b"&#x110000;",
    b"\xef\xbb\xbf",
    b"\xe2\x80\x99",
    b"\"@",
    b"@'",
    b"`",
    b"$(",
    b"#>",
    b"::",
    b":label",
    b"goto :eof",
    b"%~dp0",
    b"/+\"[",
    b"']",
    b"/commit:",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), 0usize..64).prop_map(|(i, n)| Mutation::Cut(i, n)),
        (any::<usize>(), 0usize..64).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        (any::<usize>(), proptest::sample::select(SYNTAX))
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Flip(i, b) if !bytes.is_empty() => bytes[i % len] ^= b | 1,
            Mutation::Cut(i, n) if !bytes.is_empty() => {
                let start = i % len;
                let end = (start + n).min(bytes.len());
                bytes.drain(start..end);
            }
            Mutation::Duplicate(i, n) if !bytes.is_empty() => {
                let start = i % len;
                let end = (start + n).min(bytes.len());
                let copy = bytes[start..end].to_vec();
                bytes.splice(end..end, copy);
            }
            Mutation::Insert(i, s) => {
                let at = i % (bytes.len() + 1);
                bytes.splice(at..at, s.iter().copied());
            }
            Mutation::Truncate(i) => bytes.truncate(i % len),
            _ => {}
        }
    }
    bytes
}

fn cases() -> u32 {
    std::env::var("OMERO_IIS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

#[test]
fn regressions_replay() {
    let dir = fixtures().join("fuzz-regressions");
    for entry in std::fs::read_dir(dir).unwrap() {
        exercise_within_budget(&std::fs::read(entry.unwrap().path()).unwrap());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_fixtures_never_panic(seed in any::<prop::sample::Index>(), mutations in prop::collection::vec(mutation(), 1..6)) {
        let seeds = seeds();
        let bytes = mutate(seed.get(seeds).clone(), &mutations);
        exercise_within_budget(&bytes);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        exercise_within_budget(&bytes);
    }
}
