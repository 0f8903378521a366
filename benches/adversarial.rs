//! The adversarial inputs of the reliability work (issue 19, item 7), each at
//! two sizes ten times apart, so that `cargo bench --bench adversarial`
//! shows whether time grows linearly: read + validate + the text report (the
//! JSON report for the key flood). Before the fixes these took seconds to
//! minutes at the larger size (continued lines 4.8 s for 1 MB, a 5 MB key
//! 11.6 s, a one-line config.xml of 200,000 properties over 100 s).

use std::sync::Arc;

use omero_iis::report::{self, Format};
use omero_iis::settings::sources::{self, InputFormat};
use omero_iis::settings::{Catalogue, Settings};
use omero_iis::source::SourceFile;
use omero_iis::validate::{self, FrontEnd, Mode};

fn main() {
    divan::main();
}

/// Reads, validates and reports `text` the way `validate settings` does.
fn validate_and_report(file: &Arc<SourceFile>, format: InputFormat, report: Format) -> usize {
    let loaded = sources::read_text(file, format, None).expect("the input parses");
    let mut settings = Settings::default();
    settings.apply(loaded.assignments);
    let mut found = loaded.diagnostics;
    found.extend(validate::validate(
        &settings,
        Catalogue::global(),
        FrontEnd {
            mode: Mode::IsapiWsgi,
            mode_chosen: true,
            version: omero_iis::settings::versions::NEWEST,
            https: false,
        },
    ));
    let mut out = Vec::new();
    report::write(report, &found, "checked", false, &mut out).unwrap();
    out.len()
}

/// `omero.web.prefix=/omero\` continued over `lines` lines.
fn continued_lines(lines: usize) -> String {
    let mut text = "omero.web.prefix=/omero\\\n".repeat(lines);
    text.push_str("x\n");
    text
}

#[divan::bench(args = [4_000, 40_000])]
fn continued_lines_of(bencher: divan::Bencher, lines: usize) {
    let file = SourceFile::new("cont.omero", continued_lines(lines));
    bencher.bench(|| validate_and_report(&file, InputFormat::Properties, Format::Text));
}

#[divan::bench(args = [500_000, 5_000_000])]
fn one_long_key_of(bencher: divan::Bencher, bytes: usize) {
    let file = SourceFile::new("key.omero", format!("omero.web.{}=1\n", "a".repeat(bytes)));
    bencher.bench(|| validate_and_report(&file, InputFormat::Properties, Format::Text));
}

#[divan::bench(args = [3_000, 30_000])]
fn unknown_keys_text_report(bencher: divan::Bencher, keys: usize) {
    let text: String = (0..keys)
        .map(|i| format!("omero.web.unknown_{i}=v\n"))
        .collect();
    let file = SourceFile::new("unknown.omero", text);
    bencher.bench(|| validate_and_report(&file, InputFormat::Properties, Format::Text));
}

#[divan::bench(args = [30_000, 300_000], sample_count = 5)]
fn keys_json_report(bencher: divan::Bencher, keys: usize) {
    let text: String = (0..keys).map(|i| format!("omero.web.k{i}=v\n")).collect();
    let file = SourceFile::new("keys.omero", text);
    bencher.bench(|| validate_and_report(&file, InputFormat::Properties, Format::Json));
}

/// A config.xml on one line, as OMERO's ConfigXml.save writes it.
#[divan::bench(args = [20_000, 200_000], sample_count = 5)]
fn one_line_config_xml(bencher: divan::Bencher, properties: usize) {
    let mut text = String::from(
        "<icegrid><properties id=\"__ACTIVE__\"><property name=\"omero.config.profile\" value=\"default\"/>",
    );
    for i in 0..properties {
        text.push_str(&format!("<property name=\"omero.web.p{i}\" value=\"v\"/>"));
    }
    text.push_str("</properties></icegrid>");
    let file = SourceFile::new("config.xml", text);
    bencher.bench(|| validate_and_report(&file, InputFormat::ConfigXml, Format::Text));
}

/// An applicationHost.config written on one line (minified), with `sites`
/// sites: each element's indentation used to be looked for back to the
/// line's start, so loading it for `review` took time quadratic in its size
/// (a 1.4 MB file of 200,000 nested elements: 3.4 s; now 0.09 s).
fn one_line_apphost(sites: usize) -> String {
    let mut text = String::from("<configuration><system.applicationHost><sites>");
    for i in 0..sites {
        text.push_str(&format!(
            "<site name=\"s{i}\" id=\"{i}\"><application path=\"/\"><virtualDirectory path=\"/\" physicalPath=\"D:\\s{i}\" /></application></site>"
        ));
    }
    text.push_str("</sites></system.applicationHost></configuration>");
    text
}

#[divan::bench(args = [2_000, 20_000], sample_count = 10)]
fn review_loads_a_one_line_apphost(bencher: divan::Bencher, sites: usize) {
    let text = one_line_apphost(sites);
    bencher.bench(|| {
        omero_iis::review::Server::load("applicationHost.config", &text)
            .expect("the file loads")
            .apphost
            .root()
            .element_count()
    });
}
