//! What `check` knows about the target server: the facts an
//! applicationHost.config (or a fragment, or a script's unlocks) gives
//! ([`ServerFacts`]), what a web.config gives for the cross-file rules
//! ([`WebConfigFacts`]), the declarations that decide which sections exist
//! ([`Declarations`]) and the server all files are checked against
//! ([`Server`]). Data only: the walker in `config` fills it, `cross` reads it.

use std::collections::BTreeMap;

use foldhash::HashSet;

use crate::iis::schema::{Definition, OverrideMode, Schema};
use crate::source::Span;

/// What an applicationHost.config (or a fragment of one) says about the server.
#[derive(Debug, Default, Clone)]
pub struct ServerFacts {
    /// Sections declared in `<configSections>`, by lower-case name.
    pub declared: Declarations,
    /// `<location path=... overrideMode=...>` blocks: (path, section lower-case, mode, where).
    pub unlocks: Vec<(String, String, OverrideMode, Span)>,
    /// Collection entries set at server level: `section/element` lower-case →
    /// keys (only when [`Server::keeps_inherited_entries`]).
    pub global_entries: BTreeMap<String, Vec<(Vec<String>, Span)>>,
    /// Applications defined under `<sites>`: (site, path, pool, physical path).
    pub applications: Vec<AppFact>,
    /// Pools defined under `<applicationPools>` that the cross-file check
    /// looks up (all of them unless [`Server::wanted_pools`] says which).
    pub pools: Vec<(String, Span)>,
    /// The names of the first [`POOLS_SHOWN`] pools defined, for help texts.
    pub pool_names: Vec<String>,
    /// How many pools are defined.
    pub pool_count: usize,
    /// ISAPI/CGI paths allowed in `<isapiCgiRestriction>`.
    pub allowed_isapi: Vec<(String, Span)>,
}

/// An application found in a `<sites>` element.
#[derive(Debug, Clone)]
pub struct AppFact {
    pub site: String,
    pub path: String,
    pub pool: Option<String>,
    pub physical_path: Option<String>,
    pub span: Span,
}

/// What a web.config says, for the cross-file checks.
#[derive(Debug, Default, Clone)]
pub struct WebConfigFacts {
    /// Handlers added: (name, path, modules, scriptProcessor, inherited into child applications).
    pub handlers: Vec<HandlerFact>,
    /// Whether the file clears the inherited handler list at its own level.
    pub clears_handlers: bool,
}

#[derive(Debug, Clone)]
pub struct HandlerFact {
    pub path: String,
    pub modules: String,
    pub script_processor: Option<String>,
    pub inherited_by_children: bool,
    pub span: Span,
}

/// The server the files are checked for: an `--apphost` file, or the defaults.
pub struct Server<'a> {
    pub schema: &'a Schema,
    /// From `--apphost`: authoritative.
    pub apphost: Option<ServerFacts>,
    /// Without `--apphost`: the default IIS 10 server's model
    /// ([`crate::iis::DEFAULT_APPHOST`]), for the collection entries a
    /// web.config inherits; a clash with them is a warning, not an error.
    pub assumed: Option<ServerFacts>,
    /// From applicationHost fragments checked together (their unlocks count too).
    pub fragments: Vec<ServerFacts>,
    /// The pools other files use, by [`super::cross::same_key`]: only these
    /// are kept of a hosting server's thousands. `None` keeps them all.
    pub wanted_pools: Option<foldhash::HashSet<String>>,
    /// Whether a walk keeps the server-level collection entries web.config
    /// files inherit: only the `--apphost` file's are compared, and only when
    /// web.config files are checked (a server's IP deny list can be long).
    pub keeps_inherited_entries: bool,
}

impl<'a> Server<'a> {
    /// A server known only from the IIS tables: no `--apphost`, no fragments,
    /// every pool kept, no inherited entries.
    pub fn bare(schema: &'a Schema) -> Server<'a> {
        Server {
            schema,
            apphost: None,
            assumed: None,
            fragments: Vec::new(),
            wanted_pools: None,
            keeps_inherited_entries: false,
        }
    }
}

/// Pools named in a help text; the others are counted.
pub const POOLS_SHOWN: usize = 10;

/// What an applicationHost.config's `<configSections>` declare: for that
/// file and the web.config files checked with it, these decide which
/// sections exist, as the server's own declarations do for IIS.
#[derive(Debug, Clone, Default)]
pub struct Declarations {
    /// Lower-case section name → (name as written, where it may be set,
    /// its default lock).
    sections: BTreeMap<String, (String, Definition, OverrideMode)>,
    /// Section group paths as written (`system.webServer/security`).
    groups: HashSet<String>,
}

impl Declarations {
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }

    pub(super) fn declare(&mut self, name: String, definition: Definition, mode: OverrideMode) {
        for (slash, _) in name.match_indices('/') {
            self.groups.insert(name[..slash].to_owned());
        }
        self.sections
            .insert(name.to_ascii_lowercase(), (name, definition, mode));
    }

    pub(super) fn get(&self, section: &str) -> Option<(Definition, OverrideMode)> {
        self.sections
            .get(&section.to_ascii_lowercase())
            .map(|(_, d, o)| (*d, *o))
    }

    pub(super) fn is_group(&self, path: &str) -> bool {
        self.groups.contains(path)
    }

    /// A declared section one edit away from `name` (a misspelling).
    pub(super) fn one_edit_from(&self, name: &str) -> Option<&str> {
        if name.len() > crate::diagnostic::LONGEST_SUGGESTED_NAME {
            return None;
        }
        let lower = name.to_ascii_lowercase();
        self.sections
            .iter()
            .find(|(key, _)| strsim::levenshtein(key, &lower) == 1)
            .map(|(_, (written, _, _))| written.as_str())
    }
}

/// Where `section` may be set and its default lock: from `declared` when
/// a file declares sections, else from the IIS tables.
pub(super) fn declaration_from(
    declared: Option<&Declarations>,
    schema: &Schema,
    section: &str,
) -> Option<(Definition, OverrideMode)> {
    match declared {
        Some(declared) => declared.get(section),
        None => schema
            .section(section)
            .map(|s| (s.definition, s.override_default)),
    }
}

impl Server<'_> {
    /// The `<configSections>` that decide which sections exist: those of
    /// `--apphost`, else of an applicationHost.config checked alongside.
    /// `None` when no file declares any (the IIS tables decide).
    pub(super) fn declared(&self) -> Option<&Declarations> {
        self.apphost
            .iter()
            .chain(self.fragments.iter())
            .map(|facts| &facts.declared)
            .find(|declared| !declared.is_empty())
    }

    pub(super) fn declaration(&self, section: &str) -> Option<(Definition, OverrideMode)> {
        declaration_from(self.declared(), self.schema, section)
    }

    /// The lock state of a section for a web.config, and why.
    pub(super) fn lock_state(&self, section: &str) -> (OverrideMode, Option<String>) {
        let lower = section.to_ascii_lowercase();
        let mut mode = self
            .declaration(section)
            .map_or(OverrideMode::Allow, |(_, o)| o);
        let mut why = None;
        let sources = self.apphost.iter().chain(self.fragments.iter());
        for facts in sources {
            for (path, s, m, span) in &facts.unlocks {
                if *s == lower {
                    let global = path.is_empty() || path == ".";
                    // A web.config's own server path is not known: an unlock
                    // for any path is taken to be the one for this file.
                    if global || *m == OverrideMode::Allow {
                        mode = *m;
                        why = Some(format!(
                            "{} sets overrideMode=\"{:?}\" for `{}`",
                            span.display(),
                            m,
                            if global { "(all sites)" } else { path }
                        ));
                    }
                }
            }
        }
        (mode, why)
    }
}
