//! The reader's tests: items and errors as a caller sees them, windows of
//! every size, the two ways of reading events, and roxmltree's verdicts.

use super::scan::*;
use super::tag::*;
use super::*;

/// Walks every element of `text`; returns their names in document order.
fn walk(text: &str) -> Result<Vec<String>, XmlError> {
    let file = SourceFile::new("t.xml", text);
    let mut parser = Parser::new(&file)?;
    let root = parser.root()?;
    let mut names = vec![root.name().to_owned()];
    walk_children(&mut parser, &root, &mut names)?;
    parser.finish()?;
    Ok(names)
}

fn walk_children(
    parser: &mut Parser,
    parent: &Tag,
    names: &mut Vec<String>,
) -> Result<(), XmlError> {
    while let Some(child) = parser.next_child(parent)? {
        names.push(child.name().to_owned());
        walk_children(parser, &child, names)?;
    }
    Ok(())
}

/// Every item of `parser` (tags as name, attributes and places), up to
/// the end of the file or the first error.
fn items(mut parser: Parser) -> Vec<String> {
    items_of(&mut parser)
}

fn items_of(parser: &mut Parser) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        match parser.next_item() {
            Ok(Item::Start(tag)) => {
                let attributes: Vec<_> = tag
                    .attributes()
                    .map(|a| format!("{}={}@{:?}", a.name, a.value, a.value_range()))
                    .collect();
                out.push(format!(
                    "<{} {attributes:?} {}..{} depth {} {}",
                    tag.qualified_name(),
                    tag.start(),
                    tag.end(),
                    tag.depth(),
                    tag.is_self_closing()
                ));
            }
            Ok(Item::End(at)) => out.push(format!("end {at:?}")),
            Ok(Item::Eof) => {
                out.push("eof".to_owned());
                return out;
            }
            Err(e) => {
                out.push(format!("error {e:?}"));
                return out;
            }
        }
    }
}

/// The same tokens, from `text` read as a streamed file is (`window`
/// bytes at a time), on a second thread.
fn read_ahead(text: &str, window: usize) -> Parser {
    read_ahead_bytes(text.as_bytes(), window)
}

fn read_ahead_bytes(bytes: &[u8], window: usize) -> Parser {
    read_ahead_from(io::Cursor::new(bytes.to_vec()), window)
}

/// The tokens of what `reader` reads, `window` bytes at a time, on a
/// second thread.
fn read_ahead_from(reader: impl io::Read + Send + 'static, window: usize) -> Parser {
    let mut tokenizer = Tokenizer::streaming(Box::new(reader), None);
    (tokenizer.base_window, tokenizer.window) = (window, window);
    Parser::over(Tokens::Ahead(ReadAhead::start(tokenizer).unwrap()))
}

/// The same tokens, every event read by quick-xml.
fn quick_xml_only(text: &str) -> Parser {
    let mut tokenizer = Tokenizer::new(Source::Memory(SharedText::Text(Arc::from(text))));
    tokenizer.fast = false;
    Parser::over(Tokens::Here(Box::new(tokenizer)))
}

/// The same tokens, from `text` in memory read in windows of `window` bytes.
fn windowed(text: &str, window: usize) -> Parser {
    let source = Source::Memory(SharedText::Text(Arc::from(text)));
    let mut tokenizer = Tokenizer::new(source);
    (tokenizer.base_window, tokenizer.window) = (window, window);
    Parser::over(Tokens::Here(Box::new(tokenizer)))
}

/// `<configuration>` and `count` indented lines made by `line`, not
/// closed.
fn configuration_start(count: usize, line: impl Fn(usize) -> String) -> String {
    let mut text = String::from("<configuration>");
    for i in 0..count {
        text.push_str("\n  ");
        text.push_str(&line(i));
    }
    text
}

/// [`configuration_start`], closed.
fn configuration(count: usize, line: impl Fn(usize) -> String) -> String {
    configuration_start(count, line) + "\n</configuration>\n"
}

#[test]
fn reading_ahead_on_a_second_thread_hands_out_the_same_items() {
    // More tags than several batches, with references (resolved into
    // the reused buffers) and empty-element tags; then the same file
    // cut short, and with an error after the first batches.
    let text = configuration_start(5_000, |i| {
        format!(
            "<site name=\"s{i}&amp;x\" id=\"{i}\"><bindings><add v=\"&#{};\"/></bindings></site>",
            65 + i % 26
        )
    });
    let whole = format!("{text}\n</configuration>\n");
    let cut = text.clone();
    let broken = format!("{text}<a b='<'/></configuration>");
    for (text, last) in [
        (&whole, "eof"),
        (&cut, "error Truncated"),
        (&broken, "error Syntax"),
    ] {
        let here = items(Parser::over_text(Arc::from(text.as_str())));
        assert!(text.len() > 3 * WINDOW);
        assert!(here.last().unwrap().starts_with(last), "{:?}", here.last());
        assert_eq!(here, items(read_ahead(text, WINDOW)));
        // Windows so small that most events are cut and read again.
        assert_eq!(here, items(read_ahead(text, 7)));
        assert_eq!(here, items(windowed(text, 5)));
    }
    // After the end, the end again (the thread has stopped reading then).
    let mut parser = read_ahead(&whole, WINDOW);
    while !matches!(parser.next_item().unwrap(), Item::Eof) {}
    assert!(matches!(parser.next_item().unwrap(), Item::Eof));
    // After an error, asked again: an error, as on one thread, not a wait.
    let mut parser = read_ahead(&broken, WINDOW);
    while parser.next_item().is_ok() {}
    assert!(parser.next_item().is_err());
}

/// The [`ByteScan`] that the plain definitions give.
fn byte_scan_by_definition(bytes: &[u8]) -> ByteScan {
    let control = |b: &u8| *b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r');
    let first_control = bytes.iter().position(control);
    let before = &bytes[..first_control.unwrap_or(bytes.len())];
    ByteScan {
        first_control,
        ascii: before.iter().all(|&b| b < 0x80),
    }
}

#[test]
fn each_byte_alone_is_a_control_character_or_not_at_every_place() {
    for b in 0..=255u8 {
        for at in 0..130 {
            let mut bytes = vec![b'a'; 130];
            bytes[at] = b;
            let expected = byte_scan_by_definition(&bytes);
            assert_eq!(
                expected.first_control.is_some(),
                b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')
            );
            assert_eq!(expected.ascii, b < 0x80);
            assert_eq!(scan_bytes(&bytes), expected, "{b:#04x} at {at}");
            #[cfg(target_arch = "x86_64")]
            assert_eq!(scan_bytes_sse2(&bytes), expected, "{b:#04x} at {at}");
        }
    }
}

#[test]
fn only_the_bytes_before_the_first_control_character_say_whether_the_scan_is_ascii() {
    for control in 0..131 {
        for high in (0..131).filter(|&high| high != control) {
            let mut bytes = vec![b'a'; 131];
            bytes[control] = 0x01;
            bytes[high] = 0xC3;
            let expected = ByteScan {
                first_control: Some(control),
                ascii: high > control,
            };
            assert_eq!(
                scan_bytes(&bytes),
                expected,
                "0x01 at {control}, 0xC3 at {high}"
            );
            #[cfg(target_arch = "x86_64")]
            assert_eq!(
                scan_bytes_sse2(&bytes),
                expected,
                "0x01 at {control}, 0xC3 at {high}"
            );
        }
    }
}

/// [`value_end`] by the plain definition.
fn value_end_by_definition(bytes: &[u8], quote: u8) -> Option<(usize, bool)> {
    let end = bytes.iter().position(|&b| b == quote)?;
    let marked = bytes[..end]
        .iter()
        .any(|b| matches!(b, b'<' | b'&' | b'\t' | b'\n' | b'\r'));
    Some((end, marked))
}

#[test]
fn each_byte_alone_marks_a_value_or_not_at_every_place_before_and_after_its_end() {
    for quote in [b'"', b'\''] {
        for b in 0..=255u8 {
            // Two 64-byte blocks and a remainder.
            for at in 0..140 {
                for end in [
                    None,
                    Some(31),
                    Some(32),
                    Some(63),
                    Some(64),
                    Some(100),
                    Some(130),
                ] {
                    let mut bytes = vec![b'a'; 140];
                    bytes[at] = b;
                    if let Some(end) = end.filter(|&end| end != at) {
                        bytes[end] = quote;
                    }
                    let expected = value_end_by_definition(&bytes, quote);
                    assert_eq!(
                        value_end(&bytes, quote),
                        expected,
                        "{b:#04x} at {at}, {end:?}"
                    );
                    let memchr = value_end_memchr(&bytes, quote);
                    assert_eq!(memchr, expected, "{b:#04x} at {at}, {end:?}");
                }
            }
        }
    }
}

/// A file that comes slowly: every read waits, a short while or longer
/// than the walk polls for a batch.
struct Slow(io::Cursor<Vec<u8>>, u32);

impl io::Read for Slow {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.1 += 1;
        let pause = if self.1.is_multiple_of(3) { 600 } else { 30 };
        std::thread::sleep(std::time::Duration::from_micros(pause));
        self.0.read(out)
    }
}

#[test]
fn a_walk_that_waits_for_every_batch_polls_and_gets_the_same_items() {
    let text = configuration(400, |i| {
        format!("<add key=\"k{i}\" value=\"{}\" />", "v".repeat(i))
    });
    let here = items(Parser::over_text(Arc::from(text.as_str())));
    let mut parser = read_ahead_from(Slow(io::Cursor::new(text.into_bytes()), 0), 512);
    assert_eq!(here, items_of(&mut parser));
    let Tokens::Ahead(ahead) = &parser.tokens else {
        panic!("read ahead");
    };
    assert!(ahead.polls > 0, "the walk never polled");
}

#[test]
fn a_helper_runs_every_job_in_order_on_the_reading_thread_even_after_the_parser() {
    let text = configuration(3_000, |i| format!("<add key=\"k{i}\" />"));
    let mut parser = read_ahead(&text, 1024);
    assert!(Parser::over_text(Arc::from("<a/>")).helper().is_none());
    let helper = parser.helper().expect("read ahead");
    let (done, results) = std::sync::mpsc::channel();
    let send = |n: usize| {
        let done = done.clone();
        let job: Job = Box::new(move || {
            let name = std::thread::current().name().map(str::to_owned);
            done.send((n, name)).unwrap();
        });
        assert!(helper.run(job).is_ok());
    };
    // Jobs while the file is read, then after its end, then after the
    // parser is gone.
    send(0);
    let root = parser.root().unwrap();
    while parser.next_child(&root).unwrap().is_some() {
        send(1);
    }
    parser.finish().unwrap();
    send(2);
    drop(root);
    drop(parser);
    send(3);
    drop((helper, done));
    let ran: Vec<(usize, Option<String>)> = results.iter().collect();
    assert_eq!(ran.len(), 3 + 3_000);
    assert!(ran.windows(2).all(|w| w[0].0 <= w[1].0), "out of order");
    assert!(ran
        .iter()
        .all(|(_, name)| name.as_deref() == Some("read-ahead")));
}

#[test]
fn bytes_that_are_not_utf8_are_found_in_windows_of_any_size() {
    let mut bytes = b"<a>\n  <b x='1'/>\n  <c>text</c>\n</a>\n".to_vec();
    let at = bytes.iter().position(|&b| b == b't').unwrap();
    bytes[at] = 0xFF;
    let cut = &"<a>\u{e9}".as_bytes()[..4];
    for window in [1, 3, 8, 64, WINDOW] {
        let last = items(read_ahead_bytes(&bytes, window)).pop().unwrap();
        assert_eq!(last, format!("error NotUtf8 {{ offset: {at} }}"));
        // A character cut by the end of the file.
        let last = items(read_ahead_bytes(cut, window)).pop().unwrap();
        assert_eq!(last, "error NotUtf8 { offset: 3 }");
    }
}

/// The message and the offset where `text` stops being well-formed.
fn syntax_error(text: &str) -> (String, usize) {
    match walk(text) {
        Err(XmlError::Syntax { at, message }) => (message, at.start),
        other => panic!("expected a syntax error for {text:?}, got {other:?}"),
    }
}

#[test]
fn reads_elements_attributes_and_their_places() {
    let text = "<?xml version=\"1.0\"?>\n<!-- c -->\n<a x='1'>\n  <b y=\"a&amp;b&#x41;\" z = 'p\tq'/>\n  <![CDATA[ <not/> ]]>\n  <c><d/></c>\n</a>\n";
    assert_eq!(walk(text).unwrap(), ["a", "b", "c", "d"]);
    let file = SourceFile::new("t.xml", text);
    let mut parser = Parser::new(&file).unwrap();
    let root = parser.root().unwrap();
    let b = parser.next_child(&root).unwrap().unwrap();
    assert_eq!(&text[b.name_range()], "b");
    let attributes: Vec<_> = b.attributes().collect();
    assert_eq!(attributes[0].value, "a&bA");
    assert_eq!(&text[attributes[0].value_range()], "a&amp;b&#x41;");
    assert_eq!(&text[attributes[1].name_range()], "z");
    // Whitespace in a value is normalized to spaces (XML 1.0 §3.3.3).
    assert_eq!(attributes[1].value, "p q");
    let c = parser.next_child(&root).unwrap().unwrap();
    assert_eq!((c.name(), c.depth()), ("c", 2));
    // `d` is skipped (but checked) when the walker does not ask for it.
    assert!(parser.next_child(&root).unwrap().is_none());
    parser.finish().unwrap();
}

#[test]
fn rejects_what_xml_does_not_allow_and_says_where() {
    let cases: &[(&str, &str, usize)] = &[
        ("<a><b></a>", "`</a>` does not close", 6),
        ("<a x='1' x='2'/>", "attribute `x` is given twice", 9),
        ("<a x='1'y='2'/>", "expected a space", 8),
        ("<a x=1/>", "must be quoted", 5),
        ("<a x/>", "has no value", 3),
        ("<a x='<'/>", "`<` is not allowed", 6),
        ("<a x='&foo;'/>", "unknown entity", 6),
        (
            "<a x='&#x;'/>",
            "`&#x;` is not a valid character reference",
            6,
        ),
        ("<a x='&#xD800;'/>", "not a valid character reference", 6),
        ("<a x='&#1;'/>", "which XML 1.0 does not allow", 6),
        ("<a x='a & b'/>", "without `;`", 8),
        ("<a>&nbsp;</a>", "unknown entity", 3),
        ("<a/><b/>", "a second root element", 4),
        ("<a/>text", "text outside the root element", 4),
        ("<a>]]></a>", "`]]>` is not allowed", 3),
        ("<a>\u{1}</a>", "control character U+0001", 3),
        ("<a x='y\u{fffe}'/>", "U+FFFE is not allowed", 7),
        ("<a>\u{ffff}</a>", "U+FFFF is not allowed", 3),
        (
            "\n<?xml version=\"1.0\"?><a/>",
            "may only stand at the very start",
            1,
        ),
        ("<a><?xml x?></a>", "may only stand at the very start", 3),
        (
            "<a><!-- a -- b --></a>",
            "`--` is not allowed inside a comment",
            10,
        ),
        // The place of the `--`, not of the comment, in a long comment.
        (
            "<a><!--\n a long comment\n node --max-old-space-size\n--></a>",
            "`--` is not allowed inside a comment",
            30,
        ),
        (
            "<a><!-- ends with a dash ---></a>",
            "`--` is not allowed inside a comment",
            25,
        ),
        ("<a :x='1'/>", "`:x` is not a valid name", 3),
        ("<a:b:c/>", "`a:b:c` is not a valid name", 1),
        (
            "<?xml version='2.0'?><a/>",
            "`version=\"2.0\"` is not valid",
            0,
        ),
        (
            "<?xml encoding='utf-8'?><a/>",
            "`encoding` is not expected here",
            0,
        ),
        (
            "<?xml version='1.0' standalone='yes' encoding='utf-8'?><a/>",
            "`encoding` is not expected here",
            0,
        ),
        (
            "<?xml version='1.0'encoding='utf-8'?><a/>",
            "malformed XML declaration",
            0,
        ),
        ("<a><?pi<x?></a>", "`<?pi` must be followed by a space", 3),
        ("<a><??></a>", "needs a name", 3),
        ("<1a/>", "expected an element name", 1),
        ("", "no root element", 0),
        ("<!-- only -->", "no root element", 13),
    ];
    for (text, message, at) in cases {
        let (got, got_at) = syntax_error(text);
        assert!(got.contains(message), "{text:?}: {got}");
        assert_eq!(got_at, *at, "{text:?}: {got}");
    }
}

#[test]
fn noncharacters_are_found_and_other_characters_are_not() {
    assert_eq!(
        first_noncharacter(&[b'a', 0xEF, 0xBF, 0xBE, b'x']),
        Some((1, 0xFFFE))
    );
    assert_eq!(first_noncharacter(&[0xEF, 0xBF, 0xBF]), Some((0, 0xFFFF)));
    assert_eq!(first_noncharacter(&[0xBF, 0xBE]), None);
    // U+FFFD (EF BF BD) and U+FEFF (EF BB BF) are characters.
    assert_eq!(
        first_noncharacter("\u{fffd}\u{feff}\u{e9}".as_bytes()),
        None
    );
}

#[test]
fn the_first_error_in_the_file_is_the_one_reported_wherever_the_windows_are() {
    // A syntax error, then a control character; the other way round; a
    // noncharacter before a control character; both after a byte order
    // mark (the first window's scan starts after it: offsets count it).
    let cases = [
        ("<a><b x=1/>\u{1}</a>", "must be quoted"),
        ("<a>\u{1}<b x=1/></a>", "control character U+0001"),
        ("<a>\u{ffff}<b>\u{2}</b></a>", "U+FFFF"),
        ("\u{feff}<a>\u{1}</a>", "control character U+0001"),
        ("\u{feff}<a>\u{e9}\u{ffff}</a>", "U+FFFF"),
        ("<a>text</ ></a>", "`</ >` does not close"),
        ("<a>&#x+41;</a>", "not a valid character reference"),
        ("<a b='&#-65;'/>", "not a valid character reference"),
    ];
    for (text, expected) in cases {
        let whole = items(Parser::over_text(Arc::from(text)));
        let last = whole.last().unwrap();
        assert!(last.contains(expected), "{text:?}: {last}");
        assert_eq!(whole, items(quick_xml_only(text)), "{text:?}");
        for window in [1, 2, 5, WINDOW] {
            assert_eq!(whole, items(windowed(text, window)), "{text:?}");
            assert_eq!(whole, items(read_ahead(text, window)), "{text:?}");
        }
    }
}

#[test]
fn a_dtd_is_refused_where_it_is() {
    let text = "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY e \"x\">]>\n<a>&e;</a>";
    match walk(text) {
        Err(XmlError::Dtd { at }) => assert_eq!(at.start, 22),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_file_cut_short_is_truncated() {
    for text in [
        "<a><b>",
        "<a><b x='1",
        "<a><!-- never closed",
        "<a><![CDATA[ x",
    ] {
        assert!(
            matches!(walk(text), Err(XmlError::Truncated { .. })),
            "{text:?}: {:?}",
            walk(text)
        );
    }
}

#[test]
fn bytes_that_are_not_utf8_are_found_across_reads() {
    // Longer than the 64 KiB read buffer, so the bad byte comes in a later read.
    let mut bytes = b"<a x='".to_vec();
    bytes.resize(70_000, b'y');
    bytes.extend_from_slice(b"\xC3\x28'/>");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.config");
    std::fs::write(&path, &bytes).unwrap();
    let file = SourceFile::streamed("bad.config", &path, 0).unwrap();
    let result = Parser::new(&file).and_then(|mut p| p.root().map(|_| ()));
    match result {
        Err(XmlError::NotUtf8 { offset }) => assert_eq!(offset, 70_000),
        other => panic!("{other:?}"),
    }
    // A character cut by a read boundary is fine.
    let mut bytes = b"<a x='".to_vec();
    bytes.resize((64 << 10) - 1, b'y');
    bytes.extend_from_slice("é'/>".as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let file = SourceFile::streamed("ok.config", &path, 0).unwrap();
    let mut parser = Parser::new(&file).unwrap();
    let root = parser.root().unwrap();
    assert!(root.attribute("x").unwrap().ends_with("yé"));
    parser.finish().unwrap();
}

#[test]
fn an_attribute_given_twice_is_refused_however_many_there_are() {
    let message = |text: &str| match walk(text) {
        Err(XmlError::Syntax { message, .. }) => message,
        other => panic!("{other:?}"),
    };
    assert!(message("<a x='1' y='2' x='3'/>").contains("`x` is given twice"));
    // More names than the filter of seen names has bits: every pair is
    // told apart all the same.
    let names: Vec<String> = (0..200).map(|i| format!("n{i}")).collect();
    let all = names
        .iter()
        .map(|n| format!(" {n}='v'"))
        .collect::<String>();
    assert!(walk(&format!("<a{all}/>")).is_ok());
    for twice in ["n0", "n77", "n199"] {
        let text = format!("<a{all} {twice}='again'/>");
        assert!(message(&text).contains(&format!("`{twice}` is given twice")));
    }
}

proptest::proptest! {
    /// The byte scan finds the first control character, and whether the
    /// bytes before it are ASCII, from any start.
    #[test]
    fn control_characters_are_found_where_they_are(
        bytes in proptest::collection::vec(
            proptest::prop_oneof![0u8..0x21, proptest::prelude::any::<u8>()], 0..300),
    ) {
        // From every start in a 64-byte block, so that the blocks fall
        // everywhere.
        for from in 0..=bytes.len().min(64) {
            let expected = byte_scan_by_definition(&bytes[from..]);
            proptest::prop_assert_eq!(scan_bytes(&bytes[from..]), expected);
            #[cfg(target_arch = "x86_64")]
            proptest::prop_assert_eq!(scan_bytes_sse2(&bytes[from..]), expected);
        }
    }

    /// The table-driven scans say what the plain definitions say: the
    /// name's length as [`name_length`] measures it (and a `:` or a
    /// non-ASCII character whenever the name has one); the value's end
    /// at the first closing quote, marked whenever it holds a byte that
    /// must be resolved or refused.
    #[test]
    fn the_byte_table_scans_agree_with_the_definitions(
        text in "[a-zA-Z0-9_:.\\-é<&\t\n\r\"' =]{0,150}",
        from in 0usize..8,
    ) {
        let from = (0..=from.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap();
        let (len, flagged) = scan_name(&text, from);
        proptest::prop_assert_eq!(len, name_length(&text[from..]));
        let name = &text[from..from + len];
        proptest::prop_assert!(flagged || (!name.contains(':') && name.is_ascii()));
        for quote in [b'"', b'\''] {
            let bytes = text.as_bytes();
            let expected = memchr::memchr(quote, &bytes[from..]).map(|j| {
                let value = &bytes[from..from + j];
                let marked = value.iter().any(|b| matches!(b, b'<' | b'&' | b'\t' | b'\n' | b'\r'));
                (from + j, marked)
            });
            let scanned = scan_value(bytes, from, quote).map(|(end, marks)| (end, marks != 0));
            proptest::prop_assert_eq!(scanned, expected);
            let rest = &bytes[from..];
            let expected = value_end_by_definition(rest, quote);
            proptest::prop_assert_eq!(value_end(rest, quote), expected);
            proptest::prop_assert_eq!(value_end_memchr(rest, quote), expected);
        }
    }
}

/// The tag at the start of `text` read the fast way ([`TagData::parse_plain`])
/// and the general way (its end found, then [`TagData::parse`]): each as
/// its fields and attributes, or `None` where that way does not read it.
fn both_ways(text: &str) -> (Option<String>, Option<String>) {
    let read = |fast: bool| {
        let (mut tags, mut attributes, mut resolved) = (Vec::new(), Vec::new(), String::new());
        let mut parts = ChunkParts {
            text,
            base: 100,
            tags: &mut tags,
            attributes: &mut attributes,
            resolved: &mut resolved,
        };
        let tag = if fast {
            TagData::parse_plain(&mut parts, 0, text.len(), 1)?
        } else {
            let bytes = text.as_bytes();
            let Some(tokenizer::QuickTag::Start(gt)) =
                tokenizer::start_tag_end(bytes, 0, bytes.len())
            else {
                return None;
            };
            let empty = bytes[gt - 1] == b'/';
            let len = gt - usize::from(empty) - 1;
            let mut tag = TagData::parse(&mut parts, 1..1 + len, 1).ok()?;
            tag.end = 100 + gt + 1;
            tag.self_closing = empty;
            (tag, gt)
        };
        Some(format!("{tag:?} {attributes:?} {resolved:?}"))
    };
    (read(true), read(false))
}

#[test]
fn the_fast_way_reads_common_tags() {
    for text in [
        "<add name=\"x\" value='y' />",
        "<a>",
        "<a/>",
        "<site name=\"s\" id=\"1\">",
        "<add  xmlns=\"urn:x\"\tpath = \"a>b\" >",
    ] {
        let (fast, general) = both_ways(text);
        assert!(fast.is_some(), "{text}");
        assert_eq!(fast, general, "{text}");
    }
    // Left to the general way: prefixes, references, line breaks in a
    // value, an attribute given twice, a tag cut short.
    for text in [
        "<x:a>",
        "<a b=\"&amp;\">",
        "<a b=\"1\n2\">",
        "<a b=\"1\" b=\"2\">",
        "<a b=\"1\"",
        "<a b=\"1\"c=\"2\">",
    ] {
        assert_eq!(both_ways(text).0, None, "{text}");
    }
}

proptest::proptest! {
    /// Whatever the tag, a tag read the fast way is the tag the general
    /// way reads: same name, end, attributes and values. The tags are
    /// mostly well-formed (so that most are read the fast way), with odd
    /// characters, prefixes and values among them.
    #[test]
    fn the_fast_way_reads_a_tag_as_the_general_way_does(
        body in "(a|bc|ca|x:a|é)([ \t\r\n]{1,2}(a|b|bc|ab|ca|c:a|é) ?= ?(\"[a-c ]{0,4}\"|'[a-c \"]{0,3}'|\"[a-c]{0,2}\"|\"[a-c &<>/'\n]{0,4}\")){0,4}( ?/>|>|\t>|/|)",
    ) {
        let text = format!("<{body}");
        let (fast, general) = both_ways(&text);
        if fast.is_some() {
            proptest::prop_assert_eq!(fast, general, "{}", text);
        }
    }

    /// The same over tags made of likely pieces, so that most are read
    /// the fast way.
    #[test]
    fn the_fast_way_agrees_on_tags_of_likely_pieces(
        pieces in proptest::collection::vec(0usize..12, 0..12),
    ) {
        const PIECES: [&str; 12] = [
            "a", " ", "b=\"1\"", " c='x y'", "=", "\"", "/", ">", "\t", "d=\"<\"", "a=\"2\"", "xmlns=\"u\"",
        ];
        let text = format!("<add {}>", pieces.iter().map(|&i| PIECES[i]).collect::<String>());
        let (fast, general) = both_ways(&text);
        if fast.is_some() {
            proptest::prop_assert_eq!(fast, general, "{}", text);
        }
    }
}

/// A real configuration with `edits` made: each (where, bytes deleted,
/// which of `pieces` goes in), on character boundaries.
fn edited(edits: &[(usize, usize, usize)], pieces: &[&str]) -> String {
    let mut text =
        include_str!("../../tests/fixtures/check/servers/unlocked.applicationHost.config")
            .to_owned();
    for &(at, delete, piece) in edits {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let mut end = (at + delete).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        text.replace_range(at..end, pieces[piece]);
    }
    text
}

/// roxmltree is a complete XML 1.0 parser, but lenient in a few places
/// where this reader follows the specifications: names with a stray `:`,
/// a processing instruction's name followed by other than a space, and
/// the values in the XML declaration. Its own refusals for namespace
/// prefixes (which IIS does not need resolved) have no counterpart here.
const STRICTER_THAN_ROXMLTREE: &[&str] = &[
    "is not a valid name",
    "`</:",
    "must be followed by a space or `?>`",
    "malformed XML declaration",
];

/// Whether this reader and roxmltree accept `text`; `None` where they
/// differ by design (see [`STRICTER_THAN_ROXMLTREE`]).
fn both_accept(text: &str) -> Option<(bool, bool)> {
    let theirs = match roxmltree::Document::parse(text) {
        Ok(_) => true,
        Err(
            roxmltree::Error::UnknownNamespace(..)
            | roxmltree::Error::UnexpectedXmlUri(..)
            | roxmltree::Error::UnexpectedXmlnsUri(..)
            | roxmltree::Error::InvalidXmlPrefixUri(..)
            | roxmltree::Error::DuplicatedAttribute(..),
        ) => return None,
        Err(_) => false,
    };
    let ours = match walk(text) {
        Ok(_) => true,
        Err(XmlError::Syntax { message, .. })
            if theirs && STRICTER_THAN_ROXMLTREE.iter().any(|m| message.contains(m)) =>
        {
            return None
        }
        Err(_) => false,
    };
    Some((ours, theirs))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
    /// Edits of a real configuration: whatever roxmltree accepts or
    /// refuses, this reader does too.
    #[test]
    fn agrees_with_a_complete_parser(edits in proptest::collection::vec((0usize..3_000, 0usize..4, 0usize..24), 1..4)) {
        const PIECES: &[&str] = &[
            "<", ">", "&", "&amp;", "&#0;", "&#x10FFFF;", "\"", "'", "/", "<!--", "-->", "--",
            "]]>", "<![CDATA[", "?>", "<?", "<?xml version='1.0'?>", "=", " ", "\u{1}", "é", "</a>", "<a/>", ":",
        ];
        let text = edited(&edits, PIECES);
        if let Some((ours, theirs)) = both_accept(&text) {
            proptest::prop_assert_eq!(ours, theirs, "{}", text);
        }
    }
}

#[test]
fn namespace_declarations_and_prefixed_attributes_are_told_apart() {
    let file = SourceFile::new(
        "t.xml",
        "<a xmlns='x' p:q='1' \u{e9}='2' xmlnsx='3' lockItem='true'/>",
    );
    let mut parser = Parser::new(&file).unwrap();
    let root = parser.root().unwrap();
    let flags: Vec<(&str, bool)> = root
        .attributes()
        .map(|a| (a.name, a.is_namespaced()))
        .collect();
    assert_eq!(
        flags,
        [
            ("xmlns", true),
            ("p:q", true),
            ("\u{e9}", false),
            ("xmlnsx", false),
            ("lockItem", false)
        ]
    );
    assert_eq!(root.attribute("p:q"), Some("1"));
    assert_eq!(root.attribute("\u{e9}"), Some("2"));
    assert_eq!(root.attribute(""), None);
}

#[test]
fn a_byte_order_mark_inside_the_text_is_a_character_of_it() {
    let fixture =
        include_str!("../../tests/fixtures/check/servers/unlocked.applicationHost.config");
    let inside = fixture.find("<applicationPools>").unwrap();
    // After the declaration, inside an element, after the root element.
    for at in [38, inside, fixture.len()] {
        let mut text = fixture.to_owned();
        text.insert(at, '\u{feff}');
        let whole = items(Parser::over_text(Arc::from(text.as_str())));
        let outside = at != inside;
        assert_eq!(
            whole
                .last()
                .unwrap()
                .contains("text outside the root element"),
            outside,
            "{whole:?}"
        );
        assert_eq!(whole, items(quick_xml_only(&text)));
        for window in [1, 2, 3, 64] {
            assert_eq!(whole, items(windowed(&text, window)));
            assert_eq!(whole, items(read_ahead(&text, window)));
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
    /// Whatever the windows, the same items and the same first error:
    /// events cut by a window are read again in the next, in memory and
    /// streamed alike. The same too when quick-xml reads every event,
    /// tags included.
    #[test]
    fn windows_of_any_size_read_the_same(
        edits in proptest::collection::vec((0usize..3_000, 0usize..4, 0usize..24), 0..4),
        window in 1usize..40,
    ) {
        const PIECES: &[&str] = &[
            "<", ">", "&", "&amp;", "&#0;", "\"", "'", "/", "<!--", "-->", "--", "]]>",
            "<![CDATA[", "?>", "<?", "<?xml version='1.0'?>", "=", " ", "\u{1}", "é",
            "</a>", "<a/>", ":", "\u{feff}",
        ];
        let text = edited(&edits, PIECES);
        let whole = items(Parser::over_text(Arc::from(text.as_str())));
        proptest::prop_assert_eq!(&whole, &items(quick_xml_only(&text)), "{}", text);
        proptest::prop_assert_eq!(&whole, &items(windowed(&text, window)), "{}", text);
        proptest::prop_assert_eq!(&whole, &items(read_ahead(&text, window)), "{}", text);
    }
}
