//! Parameter binding as PowerShell's binder does it (about_Parameters,
//! about_Parameter_Sets, about_CommonParameters on learn.microsoft.com),
//! for the cmdlets of `schemas/iis/cmdlets.toml`:
//! 1. each `-Name` resolves to a parameter by its name or an alias, exactly
//!    or by a prefix that names one parameter only (case-insensitive);
//!    unknown, ambiguous or given twice is an error before the cmdlet runs;
//! 2. a parameter that is not a switch takes the next element as its value
//!    (`-Name:value` too); none left is "Missing an argument";
//! 3. the parameter sets that hold every named parameter remain; none is
//!    "Parameter set cannot be resolved";
//! 4. the other arguments bind by position to the unbound positional
//!    parameters of a remaining set; one too many is "A positional
//!    parameter cannot be found that accepts argument".
//!
//! What cannot be known before the script runs (splatted `@args`, pipeline
//! input choosing a set) ends the analysis without a finding.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::OnceLock;

use serde::Deserialize;

use super::{Command, Element};

const CMDLETS_TOML: &str = include_str!("../../schemas/iis/cmdlets.toml");

/// The parameters every cmdlet has (about_CommonParameters); `true` for
/// the switches.
pub const COMMON: &[(&str, bool)] = &[
    ("Verbose", true),
    ("Debug", true),
    ("ErrorAction", false),
    ("WarningAction", false),
    ("InformationAction", false),
    ("ProgressAction", false),
    ("ErrorVariable", false),
    ("WarningVariable", false),
    ("InformationVariable", false),
    ("OutVariable", false),
    ("OutBuffer", false),
    ("PipelineVariable", false),
];

/// The common parameters' aliases (about_CommonParameters).
const COMMON_ALIASES: &[(&str, &str)] = &[
    ("vb", "Verbose"),
    ("db", "Debug"),
    ("ea", "ErrorAction"),
    ("wa", "WarningAction"),
    ("infa", "InformationAction"),
    ("proga", "ProgressAction"),
    ("ev", "ErrorVariable"),
    ("wv", "WarningVariable"),
    ("iv", "InformationVariable"),
    ("ov", "OutVariable"),
    ("ob", "OutBuffer"),
    ("pv", "PipelineVariable"),
    ("wi", "WhatIf"),
    ("cf", "Confirm"),
];

/// One parameter of a parameter set.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub name: String,
    pub type_name: String,
    pub position: Option<u32>,
    pub mandatory: bool,
    pub aliases: Vec<String>,
    /// Takes every positional argument left (`ValueFromRemainingArguments`).
    pub remaining: bool,
}

impl Parameter {
    pub fn is_switch(&self) -> bool {
        self.type_name.eq_ignore_ascii_case("switch")
    }
}

/// A parameter set: the parameters that may be given together.
#[derive(Debug, Clone)]
pub struct ParameterSet {
    pub name: String,
    pub parameters: Vec<Parameter>,
}

/// A cmdlet: its parameter sets, the default one, and whether it takes
/// `-WhatIf`/`-Confirm` (ShouldProcess).
#[derive(Debug, Clone)]
pub struct Cmdlet {
    pub name: String,
    pub default_set: Option<String>,
    pub sets: Vec<ParameterSet>,
    pub should_process: bool,
    /// The path's provider adds parameters at run time (`New-Item -bindings`
    /// on the IIS: drive): a parameter the table lacks is not an error.
    pub dynamic: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    cmdlet: BTreeMap<String, CmdletSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CmdletSpec {
    default: Option<String>,
    #[serde(default)]
    whatif: bool,
    #[serde(default)]
    dynamic: bool,
    sets: BTreeMap<String, BTreeMap<String, String>>,
}

/// The cmdlet table (parsed once).
pub fn cmdlets() -> &'static BTreeMap<String, Cmdlet> {
    static TABLE: OnceLock<BTreeMap<String, Cmdlet>> = OnceLock::new();
    TABLE.get_or_init(|| {
        parse(CMDLETS_TOML).expect("schemas/iis/cmdlets.toml is valid (unit-tested)")
    })
}

/// The cmdlet `name` is (case-insensitive).
pub fn cmdlet(name: &str) -> Option<&'static Cmdlet> {
    cmdlets()
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, c)| c)
}

fn parse(text: &str) -> Result<BTreeMap<String, Cmdlet>, String> {
    let file: TableFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for (name, spec) in file.cmdlet {
        let mut sets = Vec::new();
        for (set, parameters) in spec.sets {
            let parameters = parameters
                .iter()
                .map(|(p, words)| parameter(p, words).map_err(|e| format!("{name} {set} {p}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            sets.push(ParameterSet {
                name: set,
                parameters,
            });
        }
        if let Some(default) = &spec.default {
            if !sets.iter().any(|s| &s.name == default) {
                return Err(format!(
                    "{name}: default set `{default}` is not one of its sets"
                ));
            }
        }
        out.insert(
            name.clone(),
            Cmdlet {
                name,
                default_set: spec.default,
                sets,
                should_process: spec.whatif,
                dynamic: spec.dynamic,
            },
        );
    }
    Ok(out)
}

fn parameter(name: &str, words: &str) -> Result<Parameter, String> {
    let mut words = words.split_whitespace();
    let type_name = words.next().ok_or("no type")?.to_owned();
    let mut p = Parameter {
        name: name.to_owned(),
        type_name,
        position: None,
        mandatory: false,
        aliases: Vec::new(),
        remaining: false,
    };
    for word in words {
        match word {
            "mandatory" => p.mandatory = true,
            "remaining" => p.remaining = true,
            "pipeline" => {}
            w if w.starts_with("position=") => {
                p.position = Some(w[9..].parse().map_err(|_| format!("bad `{w}`"))?)
            }
            w if w.starts_with("aliases=") => {
                p.aliases = w[8..].split(',').map(str::to_owned).collect()
            }
            w => return Err(format!("unknown word `{w}`")),
        }
    }
    Ok(p)
}

/// What the binder refuses, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No parameter has this name or prefix.
    Unknown { at: Range<usize>, written: String },
    /// The prefix names several parameters.
    Ambiguous {
        at: Range<usize>,
        written: String,
        matches: Vec<String>,
    },
    /// Bound a second time.
    Twice { at: Range<usize>, name: String },
    /// A parameter that takes a value has none.
    MissingArgument { at: Range<usize>, name: String },
    /// The named parameters are in no one parameter set.
    NoSet {
        at: Range<usize>,
        named: Vec<String>,
    },
    /// An argument no positional parameter accepts.
    NoPosition { at: Range<usize> },
}

/// What a `-Name` resolves to.
pub enum Resolved<'c> {
    Parameter(&'c Parameter),
    /// A common parameter (or WhatIf/Confirm); `true` for a switch.
    Common(String, bool),
}

/// Binds `command`'s elements to `cmdlet` as PowerShell would, and returns
/// what PowerShell would refuse (the first problem of a kind stops
/// PowerShell; all are reported, in order).
pub fn bind(cmdlet: &Cmdlet, command: &Command) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut named: Vec<&Parameter> = Vec::new();
    let mut common: Vec<String> = Vec::new();
    let mut positional: Vec<Range<usize>> = Vec::new();
    let mut unknowable = command.piped;
    let mut elements = command.elements.iter().peekable();
    while let Some(element) = elements.next() {
        match element {
            Element::Splat { .. } => unknowable = true,
            Element::Argument { at } => positional.push(at.clone()),
            Element::Parameter { name, at, colon } => {
                let takes_value = match resolve(cmdlet, name) {
                    Err(Problem::Unknown { .. }) if cmdlet.dynamic => {
                        // A provider's parameter: its value and the rest
                        // cannot be bound from the table.
                        unknowable = true;
                        *colon
                    }
                    Err(problem) => {
                        problems.push(problem.with_at(at.clone(), name));
                        // Unknown: PowerShell stops; what follows cannot be read.
                        unknowable = true;
                        *colon
                    }
                    Ok(Resolved::Common(common_name, switch)) => {
                        if common.contains(&common_name) {
                            problems.push(Problem::Twice {
                                at: at.clone(),
                                name: common_name,
                            });
                        } else {
                            common.push(common_name);
                        }
                        *colon || !switch
                    }
                    Ok(Resolved::Parameter(p)) => {
                        if named.iter().any(|b| b.name == p.name) {
                            problems.push(Problem::Twice {
                                at: at.clone(),
                                name: p.name.clone(),
                            });
                        } else {
                            named.push(p);
                        }
                        *colon || !p.is_switch()
                    }
                };
                if takes_value {
                    match elements.peek() {
                        Some(Element::Argument { .. } | Element::Splat { .. }) => {
                            elements.next();
                        }
                        _ if !*colon => problems.push(Problem::MissingArgument {
                            at: at.clone(),
                            name: name.clone(),
                        }),
                        _ => {}
                    }
                }
            }
        }
    }
    if unknowable || !problems.is_empty() {
        return problems;
    }
    let candidates: Vec<&ParameterSet> = cmdlet
        .sets
        .iter()
        .filter(|set| {
            named
                .iter()
                .all(|p| set.parameters.iter().any(|q| q.name == p.name))
        })
        .collect();
    if candidates.is_empty() {
        problems.push(Problem::NoSet {
            at: command.name_at.clone(),
            named: named.iter().map(|p| p.name.clone()).collect(),
        });
        return problems;
    }
    // Positional arguments take the unbound positional parameters in order.
    let slots = |set: &ParameterSet| {
        set.parameters
            .iter()
            .filter(|p| p.position.is_some() && !named.iter().any(|b| b.name == p.name))
            .count()
    };
    let takes_rest = |set: &ParameterSet| {
        set.parameters
            .iter()
            .any(|p| p.remaining && !named.iter().any(|b| b.name == p.name))
    };
    let most = candidates.iter().map(|s| slots(s)).max().unwrap_or(0);
    if positional.len() > most && !candidates.iter().any(|s| takes_rest(s)) {
        problems.push(Problem::NoPosition {
            at: positional[most].clone(),
        });
    }
    problems
}

impl Problem {
    fn with_at(self, at: Range<usize>, written: &str) -> Problem {
        match self {
            Problem::Unknown { .. } => Problem::Unknown {
                at,
                written: written.to_owned(),
            },
            Problem::Ambiguous { matches, .. } => Problem::Ambiguous {
                at,
                written: written.to_owned(),
                matches,
            },
            other => other,
        }
    }
}

/// Resolves a written parameter name: exact name or alias, else a prefix of
/// exactly one parameter (its aliases count).
pub fn resolve<'c>(cmdlet: &'c Cmdlet, written: &str) -> Result<Resolved<'c>, Problem> {
    let all: Vec<&Parameter> = {
        let mut seen: Vec<&Parameter> = Vec::new();
        for p in cmdlet.sets.iter().flat_map(|s| &s.parameters) {
            if !seen.iter().any(|q| q.name == p.name) {
                seen.push(p);
            }
        }
        seen
    };
    // -WhatIf/-Confirm are accepted on every cmdlet: the reference pages of
    // several WebAdministration cmdlets omit them although the cmdlets take
    // them, and a false error would be worse than a missed one.
    let mut commons: Vec<(&str, bool)> = COMMON.to_vec();
    commons.extend([("WhatIf", true), ("Confirm", true)]);
    let common_named = |name: &str| {
        commons
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .copied()
    };
    // Exact names and aliases first.
    if let Some(p) = all.iter().find(|p| {
        p.name.eq_ignore_ascii_case(written)
            || p.aliases.iter().any(|a| a.eq_ignore_ascii_case(written))
    }) {
        return Ok(Resolved::Parameter(p));
    }
    if let Some((name, switch)) = common_named(written).or_else(|| {
        COMMON_ALIASES
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(written))
            .and_then(|(_, n)| common_named(n))
    }) {
        return Ok(Resolved::Common(name.to_owned(), switch));
    }
    let lower = written.to_ascii_lowercase();
    let starts = |name: &str| name.to_ascii_lowercase().starts_with(&lower);
    let mut matches: Vec<String> = all
        .iter()
        .filter(|p| starts(&p.name) || p.aliases.iter().any(|a| starts(a)))
        .map(|p| p.name.clone())
        .collect();
    matches.extend(
        commons
            .iter()
            .filter(|(n, _)| starts(n))
            .map(|(n, _)| n.to_string()),
    );
    match matches.as_slice() {
        [] => Err(Problem::Unknown {
            at: 0..0,
            written: written.to_owned(),
        }),
        [one] => Ok(match all.iter().find(|p| &p.name == one) {
            Some(p) => Resolved::Parameter(p),
            None => {
                let (name, switch) = common_named(one).expect("a common parameter matched");
                Resolved::Common(name.to_owned(), switch)
            }
        }),
        _ => Err(Problem::Ambiguous {
            at: 0..0,
            written: written.to_owned(),
            matches,
        }),
    }
}

/// The syntax of a cmdlet's sets, as the help shows it:
/// `Set-ItemProperty [-Path] <string[]> [-Name] <string> ...`.
pub fn signature(cmdlet: &Cmdlet) -> Vec<String> {
    cmdlet
        .sets
        .iter()
        .map(|set| {
            let mut parameters: Vec<&Parameter> = set.parameters.iter().collect();
            parameters.sort_by_key(|p| (p.position.is_none(), p.position, !p.mandatory));
            let mut line = cmdlet.name.clone();
            for p in parameters {
                let name = match p.position {
                    Some(_) => format!("[-{}]", p.name),
                    None => format!("-{}", p.name),
                };
                let part = if p.is_switch() {
                    format!("-{}", p.name)
                } else {
                    format!("{name} <{}>", p.type_name)
                };
                line.push(' ');
                if p.mandatory {
                    line.push_str(&part);
                } else {
                    line.push_str(&format!("[{part}]"));
                }
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        let commands = super::super::commands(text).unwrap();
        commands
            .iter()
            .filter_map(|c| Some((cmdlet(&c.name)?, c)))
            .flat_map(|(cmdlet, c)| bind(cmdlet, c))
            .map(|p| match p {
                Problem::Unknown { written, .. } => format!("unknown {written}"),
                Problem::Ambiguous { written, .. } => format!("ambiguous {written}"),
                Problem::Twice { name, .. } => format!("twice {name}"),
                Problem::MissingArgument { name, .. } => format!("missing {name}"),
                Problem::NoSet { named, .. } => format!("no set {}", named.join(",")),
                Problem::NoPosition { at } => format!("no position {}", &text[at]),
            })
            .collect()
    }

    #[test]
    fn the_table_parses() {
        assert!(cmdlets().len() >= 30);
        let set_item = cmdlet("set-itemproperty").unwrap();
        assert!(set_item.sets.len() >= 2);
    }

    #[test]
    fn binding_as_powershell_does_it() {
        // Fine: named, prefixes, positions, switches, colon form, common parameters.
        assert!(problems("Set-ItemProperty -LiteralPath $i -Name a -Value 1\n").is_empty());
        assert!(problems("Set-ItemProperty $i a 1\n").is_empty());
        assert!(
            problems("Set-ItemProperty -LiteralP $i -Na a -Val 1 -ErrorAction Stop\n").is_empty()
        );
        assert!(problems("Remove-Item -LiteralPath $p -Recurse -Force:$true -WhatIf\n").is_empty());
        assert!(problems("Join-Path $Here 'web\\web.config'\n").is_empty());
        // Refused.
        assert_eq!(
            problems("Set-ItemProperty -LiteralPath $i -Name a -Value 1 -LiteralPath $j\n"),
            ["twice LiteralPath"]
        );
        assert_eq!(
            problems("Set-ItemProperty -Path $i -LiteralPath $j -Name a -Value 1\n"),
            ["no set Path,LiteralPath,Name,Value"]
        );
        assert_eq!(
            problems("Set-ItemProperty $i a 1 extra\n"),
            ["no position extra"]
        );
        assert_eq!(problems("New-WebAppPool -Name\n"), ["missing Name"]);
        assert_eq!(
            problems("New-WebAppPool -Colour red x\n"),
            ["unknown Colour"]
        );
        // Splatting or pipeline input: not known before run time.
        assert!(problems("Set-ItemProperty @args extra words here\n").is_empty());
    }
}
