//! omero-iis: validate OMERO.web settings and generate IIS configuration.
//!
//! The pipeline runs one way: [`settings`] (sources → property set) →
//! [`validate`] (rules → diagnostics) → [`deploy`] (settings + options → plan)
//! → [`render`] (plan → artifacts). See ARCHITECTURE.md.

pub mod diagnostic;
pub mod settings;
pub mod source;
