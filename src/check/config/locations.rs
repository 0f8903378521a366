//! The walker's `<location>` blocks and section placement: which paths a
//! block may name, `overrideMode` unlocks, a section given twice for one
//! path, and whether a section may be set where it is (allowDefinition,
//! locks).

use std::ops::Range;

use super::{is_general_attribute, PathFacts, Walker, BOOLEAN, LOCATION_ATTRIBUTES};
use crate::check::screen::{self, Memory};
use crate::check::Kind;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::iis::schema::{Definition, OverrideMode};
use crate::source::Span;
use crate::xml::{Attribute, Parser, Tag, XmlError};

impl Walker<'_> {
    pub(super) fn location(&mut self, xml: &mut Parser, tag: &Tag) -> Result<(), XmlError> {
        let path = tag.attribute("path").unwrap_or("");
        for attr in tag.attributes() {
            match attr.name {
                "path" => self.location_path(&attr),
                "overrideMode" => self.override_mode(&attr),
                "inheritInChildApplications" => self.value(&attr, &BOOLEAN),
                "allowOverride" => {}
                _ if is_general_attribute(&attr) => {}
                _ => self.unknown_attribute(&attr, LOCATION_ATTRIBUTES),
            }
        }
        let mode = tag.attribute("overrideMode").and_then(OverrideMode::parse);
        let normalized = if path == "." { "" } else { path };
        // Only a block with an override mode needs its sections' names.
        self.location_sections = mode.map(|_| {
            let mut sections = std::mem::take(&mut self.spare_section_list);
            sections.clear();
            sections
        });
        self.inherit_in_children = !tag
            .attribute("inheritInChildApplications")
            .is_some_and(|v| v.eq_ignore_ascii_case("false"));
        let walked = self.configuration(
            xml,
            tag,
            if normalized.is_empty() {
                "."
            } else {
                normalized
            },
        );
        let sections = self.location_sections.take();
        self.inherit_in_children = true;
        walked?;
        if let (Some(mode), Some(sections)) = (mode, sections) {
            // Record which sections this block sets the override mode for.
            for &number in &sections {
                self.record_unlock(normalized, number, mode, tag);
            }
            self.spare_section_list = sections;
        }
        Ok(())
    }

    /// Keeps what a `<location overrideMode>` means for web.config files.
    /// `Server::lock_state` takes the last unlock of a section that is
    /// server-wide or `Allow`, so only that one is kept: a hosting server's
    /// applicationHost.config has one `<location>` per site.
    pub(super) fn record_unlock(
        &mut self,
        path: &str,
        section: u32,
        mode: OverrideMode,
        tag: &Tag,
    ) {
        let global = path.is_empty() || path == ".";
        if !(global || mode == OverrideMode::Allow) {
            return;
        }
        let span = self.name_span(tag);
        let section = &self.section_names[section as usize];
        let unlocks = &mut self.facts.unlocks;
        // The section's earlier unlock, if any, goes to the end with this
        // one's values (its strings reused: a hosting server unlocks the
        // same few sections in every site's block).
        let unlock = match unlocks.iter().position(|(_, s, _, _)| **s == **section) {
            Some(i) => {
                let mut earlier = unlocks.remove(i);
                earlier.0.clear();
                earlier.0.push_str(path);
                earlier.2 = mode;
                earlier.3 = span;
                earlier
            }
            None => (path.to_owned(), section.to_string(), mode, span),
        };
        unlocks.push(unlock);
    }

    pub(super) fn override_mode(&mut self, attr: &Attribute) {
        if OverrideMode::parse(attr.value).is_none() && !attr.value.eq_ignore_ascii_case("Inherit")
        {
            self.out.push(
                Diagnostic::new(Code::InvalidValue, format!("`overrideMode=\"{}\"` is not Allow, Deny or Inherit", attr.value))
                    .at(Some(&self.attr_span(attr)))
                    .help("write overrideMode=\"Allow\" to unlock the sections inside, \"Deny\" to lock them"),
            );
        }
    }

    pub(super) fn location_path(&mut self, attr: &Attribute) {
        let path = attr.value;
        let apphost = self.kind != Kind::WebConfig;
        let problem = if path.is_empty() || path == "." {
            None
        } else if path.starts_with('/') || path.starts_with('\\') {
            Some(if apphost {
                (
                    format!("location path `{path}` starts with `{}`", &path[..1]),
                    format!(
                        "in applicationHost.config write the site name first: `Default Web Site{}`",
                        path.replace('\\', "/")
                    ),
                    Severity::Error,
                )
            } else {
                (
                    format!("location path `{path}` starts with `{}`", &path[..1]),
                    format!(
                        "in a web.config the path is relative to the file's folder: `{}`",
                        path.trim_start_matches(['/', '\\'])
                    ),
                    Severity::Warning,
                )
            })
        } else if path.ends_with('/') {
            Some((
                format!("location path `{path}` ends with `/`"),
                format!("write `{}`", path.trim_end_matches('/')),
                Severity::Error,
            ))
        } else if path
            .split('/')
            .any(|s| s == "." || s == ".." || s.is_empty())
        {
            Some((
                format!("location path `{path}` has an empty, `.` or `..` segment"),
                "write the path without them".to_owned(),
                Severity::Error,
            ))
        } else if apphost
            && path
                .split('/')
                .next()
                .is_some_and(|site| site.contains('?'))
        {
            Some((
                format!("location path `{path}` names a site with `?`"),
                "site names cannot contain `?`".to_owned(),
                Severity::Error,
            ))
        } else {
            None
        };
        if let Some((message, help, severity)) = problem {
            self.out.push(
                Diagnostic::new(Code::LocationPath, message)
                    .with_severity(severity)
                    .at(Some(&self.attr_span(attr)))
                    .help(help),
            );
        }
    }

    /// The first time `section` was given for `location`, remembering this one.
    pub(super) fn first_seen(
        &mut self,
        location: &str,
        number: u32,
        at: Range<usize>,
    ) -> Option<Span> {
        let remembered = match &mut self.memory {
            Memory::Exact => true,
            Memory::Screen(screen) => {
                screen.sight(screen::section_key(location, number));
                false
            }
            Memory::Confirm(suspects) => suspects.contains(screen::section_key(location, number)),
        };
        if !remembered {
            return None;
        }
        if !self.sections_seen.contains_key(location) {
            self.sections_seen.insert(location.into(), Vec::new());
        }
        let seen = self.sections_seen.get_mut(location)?;
        match seen.iter().find(|(s, _)| *s == number) {
            Some((_, first)) => Some(Span::new(self.file, first.clone())),
            None => {
                seen.push((number, at));
                None
            }
        }
    }

    /// The number of a lower-case section name.
    pub(super) fn section_number(&mut self, lower: &str) -> u32 {
        let next = self.section_numbers.len() as u32;
        match self.section_numbers.get(lower) {
            Some(&n) => n,
            None => {
                self.section_numbers.insert(lower.into(), next);
                self.section_names.push(lower.into());
                next
            }
        }
    }

    pub(super) fn placement_and_locks(
        &mut self,
        tag: &Tag,
        section: &str,
        facts: PathFacts,
        location: &str,
    ) {
        // Made only for a finding: a span holds the file (an atomic count).
        let span = || Span::new(self.file, tag.name_range());
        if let Some(first) = self.first_seen(location, facts.number, tag.name_range()) {
            self.out.push(
                Diagnostic::new(
                    Code::DuplicateSection,
                    format!("section `{section}` is given twice for the same path"),
                )
                .at(Some(&span()))
                .note(format!("first given at {}", first.display()))
                .note("IIS answers with HTTP 500.19 (0x800700b7, \"Sections must only appear once per config file\")")
                .help("merge the two elements into one"),
            );
        }
        let Some((definition, _)) = facts.declaration else {
            return;
        };
        if self.kind == Kind::WebConfig {
            let below_root = !(location.is_empty() || location == ".");
            let refused = match definition {
                Definition::AppHostOnly => Some("only in applicationHost.config"),
                Definition::MachineOnly | Definition::MachineToWebRoot => {
                    Some("only in machine.config or the root web.config")
                }
                Definition::MachineToApplication if below_root => {
                    Some("only at an application root, not in a <location> below it")
                }
                _ => None,
            };
            if let Some(where_) = refused {
                self.out.push(
                    Diagnostic::new(Code::SectionPlacement, format!("section `{section}` is allowed {where_}"))
                        .at(Some(&span()))
                        .label(format!("allowDefinition={definition:?}"))
                        .help(match definition {
                            Definition::AppHostOnly => "move it into applicationHost.config (appcmd set config ... /commit:apphost)".to_owned(),
                            _ => "move it into the web.config of the application root".to_owned(),
                        })
                        .note("IIS answers with HTTP 500.19"),
                );
                return;
            }
            let (mode, why) = self.server.lock_state(section);
            if mode == OverrideMode::Deny {
                let authoritative = self.server.apphost.is_some() || why.is_some();
                let mut d = Diagnostic::new(
                    Code::LockedSection,
                    format!("section `{section}` is locked at server level; this web.config may not set it"),
                )
                .at(Some(&span()))
                .label("locked section")
                .help(format!(
                    "unlock it for this application in applicationHost.config (<location path=\"Site/app\" overrideMode=\"Allow\">, or appcmd unlock config \"Site/app\" -section:{section}), or move the setting there"
                ));
                if let Some(why) = why {
                    d = d.note(why);
                } else if !authoritative {
                    d = d
                        .with_severity(Severity::Warning)
                        .note("assumed a default IIS 10 server (overrideModeDefault=\"Deny\"); servers differ: pass --apphost with the server's applicationHost.config to know");
                }
                self.out.push(d);
            }
        } else if definition == Definition::AppHostOnly
            && !(location.is_empty() || location == ".")
            && section.starts_with("system.applicationHost/")
        {
            self.out.push(
                Diagnostic::new(
                    Code::SectionPlacement,
                    format!("section `{section}` cannot be set for a path"),
                )
                .at(Some(&span()))
                .help("move it out of the <location> element, to server level"),
            );
        }
    }
}
