//! Rule documentation: one section per code in `docs/rules.md`, printed by
//! `omero-iis explain`.

use crate::diagnostic::Code;

const RULES_MD: &str = include_str!("../docs/rules.md");

/// The documentation page of a rule (its `## OWxxx` section).
pub fn page(code: Code) -> String {
    let heading = format!("## {} ", code.id());
    let Some(start) = RULES_MD.find(&heading) else {
        return format!("{} {}: {}\n", code.id(), code.slug(), code.title());
    };
    let body = &RULES_MD[start + 3..];
    let end = body.find("\n## ").map_or(body.len(), |i| i + 1);
    body[..end].trim_end().to_owned() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_page_with_its_name() {
        for &code in Code::ALL {
            let heading = format!("## {} {}\n", code.id(), code.slug());
            assert!(
                RULES_MD.contains(&heading),
                "docs/rules.md lacks `{}`",
                heading.trim()
            );
        }
    }
}
