//! `etc/grid/config.xml` as `omero config` writes it (omero-py `config.py`,
//! class `ConfigXml`): `<icegrid>`, a `<properties id="__ACTIVE__">` copy of the
//! active profile, one `<properties id="NAME">` per profile.

use std::sync::Arc;

use super::{syntax_error, Loaded, SourceError};
use crate::settings::{Assignment, Setting, Value};
use crate::source::{SourceFile, Span};

const ACTIVE: &str = "__ACTIVE__";
/// Bookkeeping keys `omero config get` hides.
const HIDDEN: [&str; 2] = ["omero.config.version", "omero.config.profile"];

pub fn read(file: &Arc<SourceFile>, profile: Option<&str>) -> Result<Loaded, SourceError> {
    // DTDs are refused outright: entities are never expanded.
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&file.text, options).map_err(|e| {
        let pos = e.pos();
        let offset = file.offset(pos.row as usize, pos.col as usize);
        syntax_error(file, offset, format!("not well-formed XML: {e}"), "")
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "icegrid" {
        return Err(syntax_error(
            file,
            root.range().start,
            format!(
                "root element is <{}>, expected <icegrid>",
                root.tag_name().name()
            ),
            "pass OMERO's etc/grid/config.xml, or force another format with --input-format",
        ));
    }
    let profiles: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("properties"))
        .filter_map(|n| n.attribute("id").map(|id| (id, n)))
        .collect();
    let wanted = profile.unwrap_or(ACTIVE);
    let chosen = profiles.iter().find(|(id, _)| *id == wanted).or_else(|| {
        if profile.is_none() {
            profiles.iter().find(|(id, _)| *id == "default")
        } else {
            None
        }
    });
    let Some((_, properties)) = chosen else {
        let available: Vec<&str> = profiles.iter().map(|(id, _)| *id).collect();
        return Err(syntax_error(
            file,
            root.range().start,
            format!("no <properties id=\"{wanted}\"> profile in this file"),
            &if available.is_empty() {
                "the file holds no profiles at all; is it really OMERO's config.xml?".to_owned()
            } else {
                format!(
                    "choose one of the profiles with --profile: {}",
                    available.join(", ")
                )
            },
        ));
    };
    let mut loaded = Loaded::default();
    for node in properties.children().filter(|n| n.has_tag_name("property")) {
        let (Some(name), Some(value)) = (node.attribute_node("name"), node.attribute_node("value"))
        else {
            return Err(syntax_error(
                file,
                node.range().start,
                "<property> without a name or value attribute".to_owned(),
                "each property is written as <property name=\"KEY\" value=\"VALUE\"/>",
            ));
        };
        if HIDDEN.contains(&name.value()) {
            continue;
        }
        loaded.assignments.push(Assignment::Set(Setting {
            key: name.value().to_owned(),
            value: Value::Text(value.value().to_owned()),
            key_span: Span::new(file, name.range_value()),
            value_span: Span::new(file, value.range_value()),
        }));
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<icegrid><!-- comment --><properties id="__ACTIVE__"><property name="omero.config.profile" value="default"/><property name="omero.config.version" value="5.1.0"/><property name="omero.web.prefix" value="/omero"/><property name="omero.web.caches" value="{&quot;default&quot;: {}}"/></properties><properties id="default"><property name="omero.config.version" value="5.1.0"/><property name="omero.web.prefix" value="/omero"/></properties><properties id="test"><property name="omero.web.prefix" value="/test"/></properties><include file="templates.xml"/></icegrid>"#;

    fn keys(loaded: &Loaded) -> Vec<(String, String)> {
        loaded
            .assignments
            .iter()
            .map(|a| match a {
                Assignment::Set(s) => (s.key.clone(), s.text().unwrap().to_owned()),
                Assignment::Unset { .. } => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn reads_active_profile_and_unescapes() {
        let file = SourceFile::new("config.xml", XML);
        let loaded = read(&file, None).unwrap();
        assert_eq!(
            keys(&loaded),
            vec![
                ("omero.web.prefix".into(), "/omero".into()),
                ("omero.web.caches".into(), "{\"default\": {}}".into())
            ]
        );
        let Assignment::Set(s) = &loaded.assignments[0] else {
            panic!()
        };
        assert_eq!(&file.text[s.value_span.range.clone()], "/omero");
    }

    #[test]
    fn reads_named_profile() {
        let file = SourceFile::new("config.xml", XML);
        let loaded = read(&file, Some("test")).unwrap();
        assert_eq!(
            keys(&loaded),
            vec![("omero.web.prefix".into(), "/test".into())]
        );
        let err = read(&file, Some("nope")).unwrap_err();
        assert!(
            err.help().unwrap().contains("__ACTIVE__, default, test"),
            "{:?}",
            err.help()
        );
    }

    #[test]
    fn refuses_dtd_and_other_roots() {
        let dtd = SourceFile::new("x.xml", "<!DOCTYPE icegrid [<!ENTITY a \"b\">]><icegrid/>");
        assert!(read(&dtd, None)
            .unwrap_err()
            .to_string()
            .contains("x.xml:1:"));
        let other = SourceFile::new("x.xml", "<configuration/>");
        assert!(read(&other, None)
            .unwrap_err()
            .to_string()
            .contains("expected <icegrid>"));
    }
}
