//! The options of `for /f`, and how they cut a line into the loop's values.

/// The options of `for /f` (`for /?`): lines starting with `eol` and the
/// first `skip` lines are passed over; the rest is cut at any of `delims`
/// (runs of them count as one, leading ones are dropped) and `tokens` picks
/// the pieces, in ascending order, for the loop variable and the letters
/// after it; a trailing `*` adds the rest of the line after the last one.
#[derive(Debug, Clone, PartialEq)]
pub struct LineSplit {
    pub eol: Option<char>,
    pub skip: usize,
    pub delims: Vec<char>,
    /// Token numbers (1-based), ascending, no repeats.
    pub tokens: Vec<usize>,
    pub rest: bool,
}

impl LineSplit {
    /// Reads `"tokens=1,2* delims=, eol=; skip=1 usebackq"`.
    pub fn parse(options: &str) -> LineSplit {
        let mut split = LineSplit {
            eol: Some(';'),
            skip: 0,
            delims: vec![' ', '\t'],
            tokens: vec![1],
            rest: false,
        };
        let mut rest = options.trim_start();
        while !rest.is_empty() {
            let lower = rest.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("delims=") {
                // The delimiters run to the next option keyword, else to the end.
                let keywords = [" tokens=", " eol=", " skip=", " usebackq"];
                let end = keywords
                    .iter()
                    .filter_map(|k| value.find(k))
                    .min()
                    .unwrap_or(value.len());
                split.delims = rest["delims=".len().."delims=".len() + end]
                    .chars()
                    .collect();
                rest = rest["delims=".len() + end..].trim_start();
                continue;
            }
            let (word, after) = rest.split_once(' ').unwrap_or((rest, ""));
            let lower_word = word.to_ascii_lowercase();
            if let Some(v) = lower_word.strip_prefix("eol=") {
                split.eol = word["eol=".len()..].chars().next();
                let _ = v;
            } else if let Some(v) = lower_word.strip_prefix("skip=") {
                split.skip = v.parse().unwrap_or(0);
            } else if let Some(v) = lower_word.strip_prefix("tokens=") {
                split.rest = v.ends_with('*');
                let mut tokens = Vec::new();
                for part in v.trim_end_matches('*').split(',').filter(|p| !p.is_empty()) {
                    match part.split_once('-') {
                        Some((a, b)) => {
                            if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                                // cmd takes token numbers up to 31 (`for /?`).
                                tokens.extend(a.min(32)..=b.min(31));
                            }
                        }
                        None => tokens.extend(part.parse::<usize>().ok()),
                    }
                }
                tokens.retain(|t| (1..=31).contains(t));
                tokens.sort_unstable();
                tokens.dedup();
                split.tokens = tokens;
            }
            rest = after.trim_start();
        }
        split
    }

    /// The values of one line for the variables, in order; `None` when the
    /// line is passed over.
    pub fn values(&self, line: &str) -> Option<Vec<String>> {
        if line.is_empty() || self.eol.is_some_and(|e| line.starts_with(e)) {
            return None;
        }
        // Pieces with where each starts, so that `*` takes the rest as it is.
        let mut pieces: Vec<(usize, &str)> = Vec::new();
        let mut start = None;
        for (i, c) in line.char_indices() {
            if self.delims.contains(&c) {
                if let Some(s) = start.take() {
                    pieces.push((s, &line[s..i]));
                }
            } else if start.is_none() {
                start = Some(i);
            }
        }
        if let Some(s) = start {
            pieces.push((s, &line[s..]));
        }
        let mut values: Vec<String> = self
            .tokens
            .iter()
            .map(|t| pieces.get(t - 1).map_or(String::new(), |p| p.1.to_owned()))
            .collect();
        if self.rest {
            let last = self.tokens.last().copied().unwrap_or(0);
            values.push(
                pieces
                    .get(last)
                    .map_or(String::new(), |p| line[p.0..].to_owned()),
            );
        }
        Some(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn for_f_options_split_lines_as_cmd_does() {
        let split = |options: &str, line: &str| LineSplit::parse(options).values(line);
        let owned = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(split("", "  a b c"), owned(&["a"]));
        assert_eq!(split("tokens=1,2", "p q r"), owned(&["p", "q"]));
        assert_eq!(
            split("tokens=2* delims=,", "a,,b,c d,e"),
            owned(&["b", "c d,e"])
        );
        assert_eq!(split("tokens=3,1", "x y z"), owned(&["x", "z"]));
        assert_eq!(split("tokens=1-3", "x y"), owned(&["x", "y", ""]));
        assert_eq!(split("delims=", "  whole line "), owned(&["  whole line "]));
        assert_eq!(split("", ";comment"), None);
        assert_eq!(split("eol=#", ";kept #x"), owned(&[";kept"]));
        assert_eq!(split("delims=: tokens=2", "a:b c"), owned(&["b c"]));
        assert_eq!(LineSplit::parse("skip=2 tokens=*").skip, 2);
        assert_eq!(
            split("tokens=*", "  lead and rest"),
            owned(&["lead and rest"])
        );
    }
}
