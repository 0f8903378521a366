//! Findings: what is wrong, where, and how to fix it.
//!
//! A finding is never an `Err`: checks return `Vec<Diagnostic>` and the caller
//! decides (through `--deny`) whether they fail the run.

use crate::source::Span;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Information that never fails a run (e.g. "not checked").
    Note,
    Warning,
    Error,
}

macro_rules! codes {
    ($( $variant:ident = ($id:literal, $slug:literal, $severity:ident, $title:literal), )*) => {
        /// Every rule has one stable code; `omero-iis explain CODE` prints its page
        /// from `docs/rules.md`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// `OW001`.
            pub fn id(self) -> &'static str { match self { $( Code::$variant => $id, )* } }
            /// `unknown-property`.
            pub fn slug(self) -> &'static str { match self { $( Code::$variant => $slug, )* } }
            pub fn severity(self) -> Severity { match self { $( Code::$variant => Severity::$severity, )* } }
            /// One line for listings.
            pub fn title(self) -> &'static str { match self { $( Code::$variant => $title, )* } }
        }
    };
}

codes! {
    UnknownProperty = ("OW001", "unknown-property", Warning, "omero.web property that OMERO.web does not know"),
    InvalidPropertyName = ("OW002", "invalid-property-name", Error, "property name OMERO refuses (spaces, `=`, other characters)"),
    DuplicateProperty = ("OW003", "duplicate-property", Warning, "same property twice in one file; the later one wins"),
    NotAnInteger = ("OW010", "not-an-integer", Error, "integer property whose value Python's int() rejects"),
    OutOfRange = ("OW011", "out-of-range", Error, "number outside the range that works (ports, workers, timeouts)"),
    NotABoolean = ("OW012", "not-a-boolean", Error, "boolean other than true/false/1/0/t/f; OMERO reads it as false"),
    InvalidJson = ("OW013", "invalid-json", Error, "JSON property that is not strict JSON"),
    JsonShape = ("OW014", "json-shape", Error, "JSON property of the wrong shape for what OMERO.web does with it"),
    InvalidChoice = ("OW015", "invalid-choice", Error, "value outside the fixed set OMERO accepts"),
    ControlCharacter = ("OW016", "control-character", Error, "value with control characters (line breaks, NUL, ...)"),
    FailsInVersion = ("OW017", "fails-in-version", Error, "property that the OMERO.web version given fails to parse whenever it is set"),
    PrefixLeadingSlash = ("OW020", "prefix-leading-slash", Error, "omero.web.prefix does not start with `/`"),
    PrefixTrailingSlash = ("OW021", "prefix-trailing-slash", Error, "omero.web.prefix ends with `/`"),
    PrefixRoot = ("OW022", "prefix-root", Error, "omero.web.prefix is `/` or empty instead of unset"),
    UrlPathCharacters = ("OW023", "url-path-characters", Error, "prefix or static URL with characters that are not URL-safe"),
    StaticUrlShape = ("OW024", "static-url-shape", Error, "omero.web.static_url neither starts with `/` nor is an http(s) URL"),
    StaticUrlOutsidePrefix = ("OW025", "static-url-outside-prefix", Warning, "omero.web.static_url is not under omero.web.prefix"),
    StaticUrlConflict = ("OW026", "static-url-conflict", Error, "omero.web.static_url would replace the OMERO.web application"),
    StaticUrlElsewhere = ("OW027", "static-url-elsewhere", Warning, "omero.web.static_url is an absolute URL; IIS will not serve static files"),
    CachesShape = ("OW030", "caches-shape", Error, "omero.web.caches has no `default` cache with a `BACKEND`"),
    SessionsNotStored = ("OW031", "sessions-not-stored", Error, "cache session engine with a cache that stores nothing"),
    SessionsPerWorker = ("OW032", "sessions-per-worker", Warning, "cache sessions in per-process memory with several workers"),
    SessionsNeedDatabase = ("OW033", "sessions-need-database", Error, "database session engine without omero.web.databases"),
    DeprecatedSessionStore = ("OW034", "deprecated-session-store", Warning, "omeroweb.filesessionstore is deprecated"),
    DeprecatedProperty = ("OW040", "deprecated-property", Warning, "deprecated property; use its replacement"),
    DeprecatedAliasConflict = ("OW041", "deprecated-alias-conflict", Error, "deprecated property and its replacement disagree"),
    IsapiSessionEngineSet = ("OW101", "isapi-session-engine-set", Warning, "isapi-wsgi: omero.web.session_engine should be unset"),
    IsapiCachesSet = ("OW102", "isapi-caches-set", Warning, "isapi-wsgi: omero.web.caches should be unset"),
    IsapiCurrentOmero = ("OW103", "isapi-current-omero", Error, "settings of current OMERO.web under Gunicorn in isapi-wsgi mode"),
    ProxyApplicationServer = ("OW110", "proxy-application-server", Error, "reverse-proxy needs omero.web.application_server = wsgi-tcp"),
    ProxyForwardedHost = ("OW111", "proxy-forwarded-host", Warning, "use_x_forwarded_host trusts a header IIS passes on from clients"),
    ProxySslHeader = ("OW112", "proxy-ssl-header", Warning, "secure_proxy_ssl_header does not match what IIS sends"),
    ProxyCsrfOrigins = ("OW113", "proxy-csrf-origins", Warning, "CSRF origin checks that fail behind the IIS front end"),
    SecureCookieOverHttp = ("OW114", "secure-cookie-over-http", Warning, "secure-only cookies while IIS serves plain HTTP"),
    CookieNotSecure = ("OW115", "cookie-not-secure", Warning, "session or CSRF cookie not secure-only while IIS serves HTTPS"),
    InvalidSiteName = ("OW201", "invalid-site-name", Error, "IIS site name IIS refuses"),
    InvalidPoolName = ("OW202", "invalid-pool-name", Error, "application pool name IIS refuses"),
    InvalidWindowsPath = ("OW203", "invalid-windows-path", Error, "path that is not an absolute Windows path"),
    UnsafeForScript = ("OW204", "unsafe-for-script", Error, "value that cannot be written into install.cmd safely"),
    NonAsciiForScript = ("OW205", "non-ascii-for-script", Error, "non-ASCII value that install.cmd cannot carry"),
    BroadAclPrincipal = ("OW206", "broad-acl-principal", Warning, "folder permissions granted to every user"),
    InvalidOptionValue = ("OW207", "invalid-option-value", Error, "deployment option with a value that is not allowed"),
    InvalidBackend = ("OW208", "invalid-backend", Error, "backend address IIS cannot proxy to"),
    LoopbackBackend = ("OW209", "loopback-backend", Warning, "backend on the IIS server itself, where OMERO.web does not run"),
    StaticRootOutsideHome = ("OW210", "static-root-outside-home", Warning, "omero.web.static_root outside the OMERO.server of --omero-home"),
    XmlSyntax = ("OW301", "xml-syntax", Error, "configuration file that is not well-formed XML"),
    XmlDtd = ("OW302", "xml-dtd", Error, "DTD or entity declaration in a configuration file"),
    UnknownElement = ("OW303", "unknown-element", Error, "element IIS does not know here (HTTP 500.19)"),
    UnknownAttribute = ("OW304", "unknown-attribute", Error, "attribute IIS does not know on this element (HTTP 500.19)"),
    InvalidValue = ("OW305", "invalid-value", Error, "attribute value IIS cannot parse or refuses"),
    MissingAttribute = ("OW306", "missing-attribute", Error, "required attribute missing"),
    DuplicateKey = ("OW307", "duplicate-key", Error, "collection entry added twice with the same key"),
    DuplicateSection = ("OW308", "duplicate-section", Error, "section given twice for the same path in one file"),
    SectionPlacement = ("OW309", "section-placement", Error, "section in a file or path where IIS does not allow it"),
    LockedSection = ("OW310", "locked-section", Error, "section locked at a parent level (HTTP 500.19, 0x80070021)"),
    InvalidName = ("OW311", "invalid-name", Error, "pool name, site name or application path that IIS refuses"),
    LocationPath = ("OW312", "location-path", Error, "<location path> in a form IIS does not accept"),
    NotChecked = ("OW313", "not-checked", Note, "section the IIS tables do not describe: not checked"),
    UnknownSection = ("OW314", "unknown-section", Error, "section no <configSections> declares"),
    BatchLineEndings = ("OW401", "batch-line-endings", Error, "batch file with LF-only line endings"),
    BatchEncoding = ("OW402", "batch-encoding", Error, "batch file with a BOM or non-ASCII characters"),
    BatchPercent = ("OW403", "batch-percent", Warning, "`%` that cmd expands or drops by surprise"),
    BatchQuotes = ("OW404", "batch-quotes", Error, "line with an unbalanced double quote"),
    BatchUncheckedCommand = ("OW405", "batch-unchecked-command", Warning, "command whose failure the script does not check"),
    BatchNoSetlocal = ("OW406", "batch-no-setlocal", Warning, "script sets variables without `setlocal`"),
    BatchSpecialVariable = ("OW407", "batch-special-variable", Error, "script overwrites PATH, ERRORLEVEL or another special variable"),
    BatchEmptyOperand = ("OW409", "batch-empty-operand", Error, "`if` comparison with a bare variable, a syntax error when it is empty"),
    BatchMissingLabel = ("OW408", "batch-missing-label", Error, "`goto`/`call` to a label the script does not define"),
    BatchStaleExpansion = ("OW414", "batch-stale-expansion", Error, "`%VAR%` read in the same line or block that changes it: cmd expanded it before"),
    AppcmdUnknownCommand = ("OW410", "appcmd-unknown-command", Error, "appcmd verb and object that appcmd does not have"),
    AppcmdUnknownParameter = ("OW411", "appcmd-unknown-parameter", Error, "appcmd parameter or attribute that does not exist there"),
    AppcmdMalformedIndexer = ("OW412", "appcmd-malformed-indexer", Error, "appcmd collection syntax appcmd cannot parse (error 13)"),
    AppcmdQuoting = ("OW413", "appcmd-quoting", Error, "appcmd argument that quoting splits or truncates"),
    PsEncoding = ("OW501", "ps-encoding", Error, "PowerShell script with non-ASCII characters and no UTF-8 BOM"),
    PsErrorAction = ("OW502", "ps-error-action", Warning, "PowerShell script without $ErrorActionPreference = 'Stop'"),
    PsUncheckedNative = ("OW503", "ps-unchecked-native", Warning, "native command whose exit code the script does not check"),
    PsQuoting = ("OW504", "ps-quoting", Error, "PowerShell string that ends early or never ends"),
    PsUnknownParameter = ("OW505", "ps-unknown-parameter", Error, "WebAdministration cmdlet parameter that does not exist"),
    PsParameterTwice = ("OW506", "ps-parameter-twice", Error, "cmdlet parameter given twice (often two commands on one line)"),
    PsParameterBinding = ("OW507", "ps-parameter-binding", Error, "cmdlet call PowerShell's binder refuses: parameters of two sets, an argument too many, a value missing, an ambiguous prefix"),
    CrossFileMismatch = ("OW601", "cross-file-mismatch", Error, "files of one deployment that disagree with each other"),
    StaticSwallowed = ("OW602", "static-swallowed", Error, "static application reached by the application's wildcard handler"),
    ReviewScriptFails = ("OW701", "review-script-fails", Error, "script that would stop with a non-zero exit code"),
    ReviewIgnoredFailure = ("OW702", "review-ignored-failure", Warning, "command that would fail while the script carries on"),
    ReviewConflict = ("OW703", "review-conflict", Warning, "script that changes a setting the server already has with another value"),
    ReviewAssumedPath = ("OW704", "review-assumed-path", Warning, "file or folder the review cannot see, assumed to exist"),
    ReviewNotSimulated = ("OW705", "review-not-simulated", Warning, "command or construct the review does not simulate"),
    ReviewExternal = ("OW706", "review-external", Note, "program other than appcmd: recorded with its arguments, not run"),
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Code {
    /// Looks a code up by `OW001`, `ow001` or `unknown-property`.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.id().eq_ignore_ascii_case(text) || c.slug() == text)
    }
}

/// The candidate most like `input` (Jaro-Winkler over lower-case text), if
/// its score reaches `threshold`: the "did you mean" of unknown names.
/// An input longer than [`LONGEST_SUGGESTED_NAME`] gets none: no IIS or
/// OMERO name is that long, and the comparison costs input length times
/// candidate length for each candidate (a 5 MB key took seconds).
pub fn closest_name<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    threshold: f64,
) -> Option<&'a str> {
    if input.len() > LONGEST_SUGGESTED_NAME {
        return None;
    }
    let input = input.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&c.to_lowercase(), &input), c))
        .filter(|(score, _)| *score >= threshold)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// See [`closest_name`].
pub const LONGEST_SUGGESTED_NAME: usize = 200;

/// One finding.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where: the characters at fault. `None` when the culprit is a default value.
    pub span: Option<Span>,
    /// The property or option concerned (always set when `span` is `None`).
    pub subject: Option<String>,
    /// Short label under the caret.
    pub label: Option<String>,
    /// How to fix it, ideally something to paste.
    pub help: Option<String>,
    /// Extra context.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// Replaces every secret text in the message, label, notes and help
    /// with `********` (snippets are masked by the source file).
    pub fn redact(&mut self, secrets: &[String]) {
        if secrets.is_empty() {
            return;
        }
        let redact = |text: &mut String| *text = crate::settings::secrets::redact(text, secrets);
        redact(&mut self.message);
        self.label.as_mut().map(redact);
        self.help.as_mut().map(redact);
        self.notes.iter_mut().for_each(redact);
        self.subject.as_mut().map(redact);
    }

    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            span: None,
            subject: None,
            label: None,
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn at(mut self, span: Option<&Span>) -> Diagnostic {
        self.span = span.cloned();
        self
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Diagnostic {
        self.subject = Some(subject.into());
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }

    /// `file:line:col`, or the subject's default when there is no file.
    pub fn location(&self) -> String {
        match (&self.span, &self.subject) {
            (Some(span), _) => span.display(),
            (None, Some(subject)) => format!("{subject} (default value)"),
            (None, None) => "(no location)".to_owned(),
        }
    }
}

/// Which findings fail a run (`--deny`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DenyLevel {
    /// Errors fail the run; warnings are reported only.
    #[default]
    Errors,
    /// Warnings fail the run too.
    Warnings,
}

impl DenyLevel {
    pub fn fails(self, diagnostics: &[Diagnostic]) -> bool {
        diagnostics
            .iter()
            .any(|d| d.severity != Severity::Note && d.severity >= self.threshold())
    }

    fn threshold(self) -> Severity {
        match self {
            DenyLevel::Errors => Severity::Error,
            DenyLevel::Warnings => Severity::Warning,
        }
    }
}

/// Sorts findings the way a person reads them: by file, then position, then code.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            (
                d.span.as_ref().map(|s| s.file.name.clone()),
                d.span.as_ref().map(|s| s.range.start),
                d.code,
            )
        };
        key(a).cmp(&key(b))
    });
}
