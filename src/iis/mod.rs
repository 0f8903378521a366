//! What omero-iis knows about IIS itself: the configuration tables, how IIS
//! parses attribute values, and the appcmd command language. Shared by
//! `check` and `review`.

/// The applicationHost.config of a default IIS 10 server, as omero-iis
/// models it (`schemas/iis/default-applicationHost.config`): where `review`
/// starts without `--apphost`, and the server-level entries `check` assumes
/// a web.config inherits without `--apphost`.
pub const DEFAULT_APPHOST: &str = include_str!("../../schemas/iis/default-applicationHost.config");

pub mod appcmd;
pub mod schema;
pub mod schema_files;
pub mod values;
