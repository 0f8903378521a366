//! What omero-iis knows about IIS itself: the configuration tables, how IIS
//! parses attribute values, and the appcmd command language. Shared by
//! `check` (and later `review`).

pub mod appcmd;
pub mod schema;
pub mod schema_files;
pub mod values;
