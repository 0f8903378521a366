//! Build-time data: what a run would otherwise parse before its first check
//! becomes Rust statics in `OUT_DIR`.
//!
//! - `catalogue.rs`: the OMERO.web property catalogue
//!   (`schemas/omero-web-settings.schema.json`), for `src/settings/catalogue.rs`.
//! - `iis_tables.rs`: the built-in IIS tables (`schemas/iis/sections/*.toml`),
//!   for `src/iis/schema.rs`.
//!
//! Malformed data fails the build with the file and the entry at fault.

mod catalogue;
mod iis_tables;

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    catalogue::generate(&out);
    iis_tables::generate(&out);
}
