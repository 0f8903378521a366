//! In-process benchmarks of each stage (`cargo bench`): reading and validating
//! settings, plan + render, `check` of generated artifacts and of a synthetic
//! applicationHost.config, and `review` of a generated install script. Whole
//! process runs beside xmllint and Python are in `benches/compare.sh`.

use std::sync::Arc;

use omero_iis::check::{self, Input, Kind};
use omero_iis::deploy::{self, DeployOptions, Targets};
use omero_iis::render::{self, Artifact, Shell, Target, TemplateSet};
use omero_iis::review::{self, Server};
use omero_iis::settings::sources::{self, InputFormat};
use omero_iis::settings::{Catalogue, Settings};
use omero_iis::source::SourceFile;
use omero_iis::validate::{self, FrontEnd, Mode};

fn main() {
    divan::main();
}

const EXAMPLE: &str = include_str!("../examples/config.xml");

fn settings() -> Settings {
    let file = SourceFile::new("config.xml", EXAMPLE);
    let loaded = sources::read_text(&file, InputFormat::ConfigXml, None).unwrap();
    let mut settings = Settings::default();
    settings.apply(loaded.assignments);
    settings
}

fn artifacts() -> Vec<Artifact> {
    let targets = Targets {
        cmd_scripts: true,
        ps_scripts: true,
    };
    let (plan, _) = deploy::plan(
        &settings(),
        &DeployOptions::default(),
        Mode::IsapiWsgi,
        targets,
    );
    render::render(&plan, Target::All, Shell::Both, &TemplateSet::default()).unwrap()
}

/// The example config.xml: read, then every rule of both modes.
#[divan::bench]
fn read_and_validate_settings() {
    let settings = settings();
    for mode in [Mode::IsapiWsgi, Mode::ReverseProxy] {
        divan::black_box(validate::validate(
            &settings,
            Catalogue::global(),
            FrontEnd {
                mode,
                mode_chosen: true,
                version: omero_iis::settings::versions::NEWEST,
                https: false,
            },
        ));
    }
}

/// Plan and render every artifact (what `gen all` computes).
#[divan::bench]
fn plan_and_render_all() {
    divan::black_box(artifacts());
}

/// `check` on everything `gen all` writes, as one deployment.
#[divan::bench]
fn check_generated_artifacts(bencher: divan::Bencher) {
    let inputs: Vec<Input> = artifacts()
        .iter()
        .filter(|a| a.path != "README.txt")
        .map(|a| Input::new(a.path.clone().into(), &a.path, &a.bytes, None).unwrap())
        .collect();
    bencher.bench(|| {
        divan::black_box(check::check(
            &inputs,
            None,
            omero_iis::iis::schema::Schema::global(),
        ))
    });
}

/// A synthetic applicationHost.config with 450 sites (about 0.3 MB), as `check`.
#[divan::bench]
fn check_apphost_450_sites(bencher: divan::Bencher) {
    let text = synthetic_apphost(450);
    let input = Input::new(
        "applicationHost.config".into(),
        "applicationHost.config",
        text.as_bytes(),
        Some(Kind::AppHost),
    )
    .unwrap();
    bencher
        .counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| {
            divan::black_box(check::check(
                std::slice::from_ref(&input),
                None,
                omero_iis::iis::schema::Schema::global(),
            ))
        });
}

/// `review` of the generated install.cmd on the built-in IIS 10 configuration.
#[divan::bench]
fn review_generated_install(bencher: divan::Bencher) {
    let install = artifacts()
        .into_iter()
        .find(|a| a.path == "install.cmd")
        .unwrap();
    let file = SourceFile::new("install.cmd", String::from_utf8(install.bytes).unwrap());
    bencher.bench(|| {
        let script = review::script(Arc::clone(&file), "C:\\omero-iis-out");
        divan::black_box(review::review(&[script], Server::default_iis()))
    });
}

/// `review` of the generated install.ps1 (the PowerShell interpreter: the
/// tree-sitter parse, binding, the WebAdministration cmdlets) on the same
/// configuration.
#[divan::bench]
fn review_generated_install_ps1(bencher: divan::Bencher) {
    let install = artifacts()
        .into_iter()
        .find(|a| a.path == "install.ps1")
        .unwrap();
    let file = SourceFile::new("install.ps1", String::from_utf8(install.bytes).unwrap());
    bencher.bench(|| {
        let script = review::script(Arc::clone(&file), "C:\\omero-iis-out");
        divan::black_box(review::review(&[script], Server::default_iis()))
    });
}

/// Sites in the shape `benches/gen_apphost.py` writes (fewer of them).
fn synthetic_apphost(sites: usize) -> String {
    let base = omero_iis::review::server::DEFAULT_APPHOST;
    let mut pools = String::new();
    let mut list = String::new();
    for i in 0..sites {
        pools.push_str(&format!(
            "            <add name=\"pool{i}\" managedRuntimeVersion=\"\" />\n"
        ));
        list.push_str(&format!(
            "            <site name=\"site{i}\" id=\"{}\">\n                <application path=\"/\" applicationPool=\"pool{i}\">\n                    <virtualDirectory path=\"/\" physicalPath=\"D:\\sites\\{i}\" />\n                </application>\n                <application path=\"/api\" applicationPool=\"pool{i}\">\n                    <virtualDirectory path=\"/\" physicalPath=\"D:\\sites\\{i}\\api\" />\n                </application>\n                <bindings>\n                    <binding protocol=\"http\" bindingInformation=\"*:80:site{i}.example.org\" />\n                    <binding protocol=\"https\" bindingInformation=\"*:443:site{i}.example.org\" sslFlags=\"1\" />\n                </bindings>\n            </site>\n",
            i + 10
        ));
    }
    base.replacen(
        "            <applicationPoolDefaults",
        &(pools + "            <applicationPoolDefaults"),
        1,
    )
    .replacen(
        "            <siteDefaults>",
        &(list + "            <siteDefaults>"),
        1,
    )
}
