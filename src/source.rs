//! Source text: decoding files as Windows and OMERO tools write them, and
//! turning byte offsets into `line:column` positions for diagnostics.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use thiserror::Error;

/// A decoded input (a file, one `--set` argument, one environment variable).
///
/// Every value read from it keeps a byte range into `text`, so a diagnostic can
/// point at the exact characters and show them in context.
///
/// A large UTF-8 XML file that `check` reads as a stream is not held in memory:
/// its `text` is empty, and positions and snippets are read back from the file
/// (see [`SourceFile::streamed`]).
#[derive(Debug)]
pub struct SourceFile {
    /// What the user calls this input: a path as given, `--set`, `$CONFIG_...`.
    pub name: String,
    /// The decoded text (BOM removed, line endings kept as they were); empty
    /// for a streamed file.
    pub text: String,
    line_starts: Vec<usize>,
    stream: Option<Streamed>,
    /// Byte ranges never shown in a snippet (secret values), masked with `*`.
    hidden: Mutex<Vec<Range<usize>>>,
    /// `(byte offset, characters before it)` every [`CHAR_MARK_STEP`] bytes,
    /// made on first use: a column in a long line is counted from the
    /// nearest mark, not from the line start.
    char_marks: std::sync::OnceLock<Vec<(usize, usize)>>,
}

/// See [`SourceFile::char_marks`].
const CHAR_MARK_STEP: usize = 4096;

/// How much of a long line a snippet shows on each side of its span.
const SNIPPET_CONTEXT: usize = 120;

/// Line marks kept for a streamed file (1 MiB of them). The reader marks one
/// line per 64 KiB read, so up to 4 GiB every mark is kept; beyond, they thin.
const MAX_MARKS: usize = 1 << 16;

/// A UTF-8 file read as a stream. Offsets count from after the BOM, like
/// those of an in-memory file, so both kinds give the same positions.
#[derive(Debug)]
struct Streamed {
    path: std::path::PathBuf,
    file: Mutex<File>,
    /// Length of the BOM before offset 0.
    skip: u64,
    /// `(offset of a line start, its 0-based line number)`, in order: recorded
    /// while the file is read, so a position is found by reading at most one
    /// read-buffer and one line back from disk.
    marks: Mutex<Vec<(usize, usize)>>,
}

/// The lines around a span, for a snippet: `text` starts at line `first_line`
/// (1-based) and `range` is the span within `text`. A long line is cut to
/// the part around the span (marked `...`), and hidden ranges are masked.
pub struct Excerpt<'a> {
    pub text: Cow<'a, str>,
    pub first_line: usize,
    pub range: Range<usize>,
    /// The 1-based line and column of the span's start in the file.
    pub start: Position,
    /// The bytes of the file that `text` shows (without the `...` marks).
    file_range: Range<usize>,
    /// Length of the `...` before the file's text in `text`.
    prefix_len: usize,
}

/// An excerpt of `shown` (file bytes from `from`), with `...` where a long
/// line was cut before or after it; `range` is the span within `shown`.
fn cut_excerpt(
    shown: &str,
    cut_before: bool,
    cut_after: bool,
    line: usize,
    range: Range<usize>,
    from: usize,
) -> Excerpt<'_> {
    let file_range = from..from + shown.len();
    if !cut_before && !cut_after {
        return Excerpt {
            text: Cow::Borrowed(shown),
            first_line: line + 1,
            range,
            start: Position {
                line: line + 1,
                column: 1,
            },
            file_range,
            prefix_len: 0,
        };
    }
    let prefix = if cut_before { "..." } else { "" };
    let suffix = if cut_after { "..." } else { "" };
    Excerpt {
        text: Cow::Owned(format!("{prefix}{shown}{suffix}")),
        first_line: line + 1,
        range: range.start + prefix.len()..range.end + prefix.len(),
        start: Position {
            line: line + 1,
            column: 1,
        },
        file_range,
        prefix_len: prefix.len(),
    }
}

/// A position a person can find in an editor: 1-based line and column
/// (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Where a value came from: a range in a source file.
#[derive(Debug, Clone)]
pub struct Span {
    pub file: Arc<SourceFile>,
    pub range: Range<usize>,
}

impl Span {
    pub fn new(file: &Arc<SourceFile>, range: Range<usize>) -> Span {
        Span {
            file: Arc::clone(file),
            range,
        }
    }

    pub fn start(&self) -> Position {
        self.file.position(self.range.start)
    }

    /// `file:line:col`, as editors and CI annotations understand it.
    pub fn display(&self) -> String {
        let p = self.start();
        format!("{}:{}:{}", self.file.name, p.line, p.column)
    }
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<SourceFile> {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Arc::new(SourceFile {
            name: name.into(),
            text,
            line_starts,
            stream: None,
            hidden: Mutex::new(Vec::new()),
            char_marks: std::sync::OnceLock::new(),
        })
    }

    /// A UTF-8 file to be read as a stream; `skip` is the length of its BOM.
    /// The reader records line starts with [`SourceFile::mark_line`].
    pub fn streamed(
        name: impl Into<String>,
        path: &Path,
        skip: u64,
    ) -> std::io::Result<Arc<SourceFile>> {
        Ok(Arc::new(SourceFile {
            name: name.into(),
            text: String::new(),
            line_starts: Vec::new(),
            stream: Some(Streamed {
                path: path.to_owned(),
                file: Mutex::new(File::open(path)?),
                skip,
                marks: Mutex::new(vec![(0, 0)]),
            }),
            hidden: Mutex::new(Vec::new()),
            char_marks: std::sync::OnceLock::new(),
        }))
    }

    /// A fresh reader of a streamed file's text (after its BOM); `None` for
    /// an in-memory file.
    pub fn reopen(&self) -> Option<std::io::Result<File>> {
        self.stream.as_ref().map(|stream| {
            let mut file = File::open(&stream.path)?;
            file.seek(SeekFrom::Start(stream.skip))?;
            Ok(file)
        })
    }

    /// Bytes before offset 0 in the file (a BOM of a streamed file).
    pub fn bom_length(&self) -> u64 {
        self.stream.as_ref().map_or(0, |s| s.skip)
    }

    pub fn is_streamed(&self) -> bool {
        self.stream.is_some()
    }

    /// The length in bytes of a streamed file on disk, as it is now.
    pub fn streamed_length(&self) -> Option<u64> {
        let stream = self.stream.as_ref()?;
        let file = stream.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.metadata().ok().map(|m| m.len())
    }

    /// Records that 0-based `line` starts at `offset` (streamed files only;
    /// marks must come in order).
    pub fn mark_line(&self, offset: usize, line: usize) {
        if let Some(stream) = &self.stream {
            let mut marks = stream.marks.lock().unwrap_or_else(PoisonError::into_inner);
            if marks.last().is_none_or(|last| last.0 < offset) {
                if marks.len() == MAX_MARKS {
                    // Every other mark goes: memory stays bounded, and a
                    // position is read back from at most twice as far.
                    let mut i = 0;
                    marks.retain(|_| {
                        i += 1;
                        i % 2 == 1
                    });
                }
                marks.push((offset, line));
            }
        }
    }

    /// The lines that contain `needle`, with their 0-based numbers. A
    /// streamed file is read again (a line that cannot be read is skipped).
    pub fn lines_containing(&self, needle: &str) -> Vec<(usize, String)> {
        let Some(Ok(file)) = self.reopen() else {
            return self
                .text
                .lines()
                .enumerate()
                .filter(|(_, l)| l.contains(needle))
                .map(|(n, l)| (n, l.to_owned()))
                .collect();
        };
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
        let mut found = Vec::new();
        let mut line = 0;
        let mut long_line = Vec::new();
        loop {
            let block = match std::io::BufRead::fill_buf(&mut reader) {
                Ok([]) | Err(_) => break,
                Ok(block) => block,
            };
            // Whole lines only; a line longer than the buffer is read alone.
            let Some(last) = memchr::memrchr(b'\n', block) else {
                long_line.clear();
                if std::io::BufRead::read_until(&mut reader, b'\n', &mut long_line).is_err() {
                    break;
                }
                if finder.find(&long_line).is_some() {
                    found.push((line, line_text(&long_line)));
                }
                line += 1;
                continue;
            };
            let lines = &block[..=last];
            if finder.find(lines).is_none() {
                line += memchr::memchr_iter(b'\n', lines).count();
            } else {
                for text in lines[..last].split(|&b| b == b'\n') {
                    if finder.find(text).is_some() {
                        found.push((line, line_text(text)));
                    }
                    line += 1;
                }
            }
            std::io::BufRead::consume(&mut reader, last + 1);
        }
        found
    }

    /// The number of characters in `text[from..to]`: counted directly over a
    /// short stretch, else from the character marks (linear in the file once,
    /// then at most two mark steps per call).
    fn chars_between(&self, from: usize, to: usize) -> usize {
        if to - from <= 2 * CHAR_MARK_STEP {
            return self.text[from..to].chars().count();
        }
        self.chars_before(to) - self.chars_before(from)
    }

    fn chars_before(&self, at: usize) -> usize {
        let text = &self.text;
        let marks = self.char_marks.get_or_init(|| {
            let mut marks = vec![(0, 0)];
            let (mut at, mut count) = (0, 0);
            while at < text.len() {
                let next = floor_char_boundary(text, (at + CHAR_MARK_STEP).min(text.len()));
                count += text[at..next].chars().count();
                marks.push((next, count));
                at = next;
            }
            marks
        });
        let (mark, count) = marks[marks.partition_point(|m| m.0 <= at) - 1];
        count + text[mark..at].chars().count()
    }

    /// Never shows `range` in a snippet again (a secret value).
    pub fn hide(&self, range: Range<usize>) {
        self.hidden
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(range);
    }

    /// The whole text with the hidden ranges masked by `*`, byte for byte
    /// (for a report that embeds an input that is not a file).
    pub fn shown_text(&self) -> Cow<'_, str> {
        let hidden = self.hidden.lock().unwrap_or_else(PoisonError::into_inner);
        if hidden.is_empty() {
            return Cow::Borrowed(&self.text);
        }
        let mut bytes = self.text.as_bytes().to_vec();
        for secret in hidden.iter() {
            let end = secret.end.min(bytes.len());
            for b in &mut bytes[secret.start.min(end)..end] {
                *b = b'*';
            }
        }
        Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The lines that hold `range`, for a snippet.
    pub fn excerpt(&self, range: Range<usize>) -> Excerpt<'_> {
        let start = self.position(range.start);
        let mut excerpt = match &self.stream {
            Some(stream) => stream.excerpt(range),
            None => self.excerpt_in_memory(range),
        };
        excerpt.start = start;
        self.mask_hidden(&mut excerpt);
        excerpt
    }

    fn excerpt_in_memory(&self, range: Range<usize>) -> Excerpt<'_> {
        let text = &self.text;
        let at = floor_char_boundary(text, range.start.min(text.len()));
        let line = self.line_starts.partition_point(|&s| s <= at) - 1;
        let line_start = self.line_starts[line];
        // A span reaching further than a few lines is cut.
        let end = floor_char_boundary(text, range.end.clamp(at, text.len()).min(at + 4096));
        // Look for the line end only as far as a snippet shows.
        let look = &text.as_bytes()[end..(end + 2 * SNIPPET_CONTEXT + 1).min(text.len())];
        let line_end = memchr::memchr2(b'\n', b'\r', look).map_or(end + look.len(), |i| end + i);
        let from = if at - line_start > 2 * SNIPPET_CONTEXT {
            floor_char_boundary(text, at - SNIPPET_CONTEXT)
        } else {
            line_start
        };
        let to = if line_end - end > 2 * SNIPPET_CONTEXT {
            floor_char_boundary(text, end + SNIPPET_CONTEXT)
        } else {
            line_end
        };
        cut_excerpt(
            &text[from..to],
            from > line_start,
            to < line_end,
            line,
            at - from..end - from,
            from,
        )
    }

    /// Masks the hidden ranges that meet the excerpt, byte for byte (the
    /// excerpt's offsets stay valid).
    fn mask_hidden(&self, excerpt: &mut Excerpt<'_>) {
        let hidden = self.hidden.lock().unwrap_or_else(PoisonError::into_inner);
        let window = excerpt.file_range.clone();
        let mut masked: Option<Vec<u8>> = None;
        for secret in hidden.iter() {
            let from = secret.start.max(window.start);
            let to = secret.end.min(window.end);
            if from >= to {
                continue;
            }
            let bytes = masked.get_or_insert_with(|| excerpt.text.as_bytes().to_vec());
            let shift = window.start;
            let offset = excerpt.prefix_len;
            for b in &mut bytes[offset + from - shift..offset + to - shift] {
                *b = b'*';
            }
        }
        if let Some(bytes) = masked {
            // Whole characters were replaced byte by byte: still UTF-8 only if
            // every cut character was replaced whole, which holds because
            // hidden ranges are value spans (character boundaries).
            excerpt.text = Cow::Owned(String::from_utf8_lossy(&bytes).into_owned());
        }
    }

    /// Decodes raw bytes (see [`decode`]) into a source file.
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Arc<SourceFile>, DecodeError> {
        Ok(SourceFile::new(name, decode(bytes)?))
    }

    /// The 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        if let Some(stream) = &self.stream {
            return stream.position(offset);
        }
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = self.chars_between(start, floor_char_boundary(&self.text, offset)) + 1;
        Position {
            line: line + 1,
            column,
        }
    }

    /// The byte offset of a 1-based line and column (both clamped); for
    /// text in memory (settings files), not a streamed file.
    pub fn offset(&self, line: usize, column: usize) -> usize {
        let line = line.clamp(1, self.line_starts.len()) - 1;
        let start = self.line_starts[line];
        let end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map(|(i, _)| start + i)
            .unwrap_or(end)
    }
}

impl Streamed {
    /// [`SourceFile::excerpt`] of a streamed file: the text is read back.
    fn excerpt(&self, range: Range<usize>) -> Excerpt<'static> {
        let (line_start, line) = self.line_start(range.start);
        // A snippet shows at most a few lines: a span reaching further is cut.
        let end = range.end.max(range.start).min(range.start + 4096);
        let mut from = if range.start - line_start > 2 * SNIPPET_CONTEXT {
            range.start - SNIPPET_CONTEXT
        } else {
            line_start
        };
        let mut bytes = self.read(from, end).unwrap_or_default();
        // Start on a whole character when the line was cut.
        let partial = bytes.iter().take_while(|&&b| (b & 0xC0) == 0x80).count();
        if from > line_start {
            bytes.drain(..partial.min(bytes.len()));
            from += partial;
        }
        let mut rest = self
            .read(end, end + 2 * SNIPPET_CONTEXT + 1)
            .unwrap_or_default();
        let cut_after = match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(nl) => {
                rest.truncate(nl);
                false
            }
            None if rest.len() > 2 * SNIPPET_CONTEXT => {
                rest.truncate(SNIPPET_CONTEXT);
                while rest.last().is_some_and(|&b| (b & 0xC0) == 0x80) {
                    rest.pop();
                }
                rest.pop_if(|b| *b >= 0xC0);
                true
            }
            None => false,
        };
        bytes.extend_from_slice(&rest);
        let shown = String::from_utf8_lossy(&bytes).into_owned();
        let clamp = |at: usize| floor_char_boundary(&shown, at.min(shown.len()));
        let within = clamp(range.start - from)..clamp(end - from);
        let excerpt = cut_excerpt(&shown, from > line_start, cut_after, line, within, from);
        Excerpt {
            text: Cow::Owned(excerpt.text.into_owned()),
            first_line: excerpt.first_line,
            range: excerpt.range,
            start: excerpt.start,
            file_range: excerpt.file_range,
            prefix_len: excerpt.prefix_len,
        }
    }

    /// Reads `start..end` of the text back from the file.
    fn read(&self, start: usize, end: usize) -> std::io::Result<Vec<u8>> {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.seek(SeekFrom::Start(self.skip + start as u64))?;
        let mut bytes = Vec::new();
        (&mut *file)
            .take(end.saturating_sub(start) as u64)
            .read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// The start and 0-based number of the line holding `offset`.
    fn line_start(&self, offset: usize) -> (usize, usize) {
        let (mark, line) = {
            let marks = self.marks.lock().unwrap_or_else(PoisonError::into_inner);
            marks[marks.partition_point(|m| m.0 <= offset).max(1) - 1]
        };
        // If the file cannot be read back (it vanished or shrank), the
        // nearest recorded line start is the best position there is.
        let bytes = self.read(mark, offset).unwrap_or_default();
        let newlines = memchr::memchr_iter(b'\n', &bytes).count();
        match memchr::memrchr(b'\n', &bytes) {
            Some(last) => (mark + last + 1, line + newlines),
            None => (mark, line),
        }
    }

    fn position(&self, offset: usize) -> Position {
        let (start, line) = self.line_start(offset);
        let bytes = self.read(start, offset).unwrap_or_default();
        // Count characters, not bytes; a cut multi-byte character counts once.
        let column = bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count() + 1;
        Position {
            line: line + 1,
            column,
        }
    }
}

/// A line read back from a file, without its line end.
fn line_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.trim_end_matches(['\r', '\n']).to_owned()
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Why bytes could not be turned into text.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("invalid {encoding} at byte offset {offset}")]
    Invalid {
        encoding: &'static str,
        offset: usize,
    },
    #[error(
        "looks like UTF-16 without a byte order mark (NUL byte at offset {offset}); \
         save it as UTF-8, or as UTF-16 with a BOM"
    )]
    Utf16WithoutBom { offset: usize },
    #[error(
        "the byte order mark says {bom}, but the text is {text} (its NUL bytes are on the other \
         side of each character); save it again as UTF-8, or as UTF-16 with the right BOM"
    )]
    Utf16WrongByteOrder {
        bom: &'static str,
        text: &'static str,
    },
}

/// Decodes what Windows and OMERO tools write: UTF-8 with or without BOM, and
/// UTF-16 LE/BE with BOM. Anything else is refused with the byte offset of the
/// first bad byte, never replaced silently.
pub fn decode(bytes: &[u8]) -> Result<String, DecodeError> {
    if let Some((encoding, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        if encoding == encoding_rs::UTF_8 {
            return utf8(body).map_err(|offset| DecodeError::Invalid {
                encoding: "UTF-8",
                offset: offset + bom_len,
            });
        }
        let little_endian = encoding == encoding_rs::UTF_16LE;
        let name = if little_endian {
            "UTF-16LE"
        } else {
            "UTF-16BE"
        };
        if utf16_looks_little_endian(body) == Some(!little_endian) {
            let other = if little_endian {
                "UTF-16BE"
            } else {
                "UTF-16LE"
            };
            return Err(DecodeError::Utf16WrongByteOrder {
                bom: name,
                text: other,
            });
        }
        return match encoding.decode_without_bom_handling_and_without_replacement(body) {
            Some(text) => Ok(text.into_owned()),
            None => Err(DecodeError::Invalid {
                encoding: name,
                offset: bom_len + first_bad_utf16_unit(body, encoding == encoding_rs::UTF_16LE),
            }),
        };
    }
    // UTF-16 text of mostly ASCII characters has a NUL in every other byte; a
    // stray NUL in UTF-8 text is left to the rules (a control character finding).
    let head = &bytes[..bytes.len().min(512)];
    let nuls = head.iter().filter(|&&b| b == 0).count();
    if nuls * 4 >= head.len() && nuls > 0 {
        let offset = head.iter().position(|&b| b == 0).unwrap_or(0);
        return Err(DecodeError::Utf16WithoutBom { offset });
    }
    utf8(bytes).map_err(|offset| DecodeError::Invalid {
        encoding: "UTF-8",
        offset,
    })
}

fn utf8(bytes: &[u8]) -> Result<String, usize> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|e| e.valid_up_to())
}

/// Whether UTF-16 text of mostly ASCII characters is little-endian (its
/// NUL bytes at odd offsets) or big-endian (at even offsets), judged on its
/// first 512 bytes; `None` when there are too few NULs to tell.
fn utf16_looks_little_endian(body: &[u8]) -> Option<bool> {
    let head = &body[..body.len().min(512) & !1];
    let (mut even, mut odd) = (0, 0);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let units = head.len() / 2;
    if odd * 2 >= units && even == 0 {
        Some(true)
    } else if even * 2 >= units && odd == 0 {
        Some(false)
    } else {
        None
    }
}

/// Offset of the first code unit that does not form valid UTF-16.
fn first_bad_utf16_unit(body: &[u8], little_endian: bool) -> usize {
    let units = body.chunks(2).map(|c| match (c, little_endian) {
        ([a, b], true) => Some(u16::from_le_bytes([*a, *b])),
        ([a, b], false) => Some(u16::from_be_bytes([*a, *b])),
        _ => None,
    });
    let mut pending_high = None;
    for (i, unit) in units.enumerate() {
        let Some(u) = unit else { return i * 2 };
        match (pending_high.take(), u) {
            (None, 0xD800..=0xDBFF) => pending_high = Some(i),
            (None, 0xDC00..=0xDFFF) => return i * 2,
            (Some(_), 0xDC00..=0xDFFF) => {}
            (Some(h), _) => return h * 2,
            (None, _) => {}
        }
    }
    pending_high.map_or(body.len(), |h| h * 2)
}

/// Largest settings input (config.xml, `omero config` text, JSON, deployment
/// TOML) read: real ones are kilobytes.
pub const SETTINGS_INPUT_LIMIT: u64 = 16 << 20;
/// Largest file `check` and `review` read whole: scripts, UTF-16 files,
/// standard input, and applicationHost.config for `review` (which edits a
/// tree of it). `check` streams larger UTF-8 XML files instead.
pub const CHECK_INPUT_LIMIT: u64 = 128 << 20;
/// UTF-8 XML files larger than this are checked as a stream (a few MB of
/// memory whatever their size); smaller ones are read whole, which is faster.
pub const STREAM_ABOVE: u64 = 4 << 20;

/// The first `len` bytes of a file (fewer if it is shorter).
pub fn read_head(path: &Path, len: u64) -> std::io::Result<Vec<u8>> {
    // Room for all of it: read in one go, not in growing steps.
    let mut head = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(1 << 20));
    File::open(path)?.take(len).read_to_end(&mut head)?;
    Ok(head)
}

/// Whether a file holds `needle`; reads it in blocks and stops at the first
/// match.
pub fn file_contains(path: &Path, needle: &str) -> std::io::Result<bool> {
    const BLOCK: usize = 1 << 20;
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    let mut file = File::open(path)?;
    let mut buffer = vec![0; BLOCK + needle.len()];
    // The last bytes of a block are kept, for a match across blocks.
    let mut kept = 0;
    loop {
        let read = file.read(&mut buffer[kept..])?;
        if read == 0 {
            return Ok(false);
        }
        let filled = kept + read;
        if finder.find(&buffer[..filled]).is_some() {
            return Ok(true);
        }
        kept = needle.len().saturating_sub(1).min(filled);
        buffer.copy_within(filled - kept..filled, 0);
    }
}

/// Reads a whole input file (`-` = standard input), refusing folders and files
/// over `limit` bytes before reading them, so a huge or endless input fails
/// fast with a message instead of exhausting memory.
pub fn read_input_bytes(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let too_big = |size: String| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the input is {size} bytes; the limit is {limit} bytes"),
        )
    };
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().take(limit + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(too_big(format!("more than {limit}")));
        }
        return Ok(bytes);
    }
    let metadata = std::fs::metadata(path)?;
    if metadata.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "is a folder, not a file",
        ));
    }
    if metadata.len() > limit {
        return Err(too_big(metadata.len().to_string()));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_big(format!("more than {limit}")));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A streamed file finds the same lines as the text in memory, across
    /// read blocks and in lines longer than a block.
    #[test]
    fn streamed_lines_containing_match_the_text() {
        let mut text = String::new();
        for n in 0..200_000 {
            text.push_str(&format!("<a n=\"{n}\"/>\r\n"));
            if n % 50_000 == 7 {
                text.push_str("<!-- omero-iis: allow OW303 -->\n");
                text.push_str(&"x".repeat(1_500_000));
                text.push_str(" omero-iis: allow OW304\n");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.config");
        std::fs::write(
            &path,
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        )
        .unwrap();
        let streamed = SourceFile::streamed("big.config", &path, 3).unwrap();
        let memory = SourceFile::new("big.config", text);
        let found = streamed.lines_containing("omero-iis: allow");
        assert_eq!(found.len(), 8);
        assert_eq!(found, memory.lines_containing("omero-iis: allow"));
    }

    /// More line marks than are kept: positions are still exact.
    #[test]
    fn thinned_line_marks_give_the_same_positions() {
        let text: String = (0..MAX_MARKS + 40_000)
            .map(|n| format!("<é n=\"{n}\"/>\n"))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.config");
        std::fs::write(&path, &text).unwrap();
        let streamed = SourceFile::streamed("big.config", &path, 0).unwrap();
        let memory = SourceFile::new("big.config", text.clone());
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1));
        for (line, start) in starts.enumerate() {
            streamed.mark_line(start, line);
        }
        let kept = streamed
            .stream
            .as_ref()
            .unwrap()
            .marks
            .lock()
            .unwrap()
            .len();
        assert!(kept <= MAX_MARKS, "{kept} marks");
        let offsets = (0..text.len()).step_by(7_919).chain([text.len() - 1]);
        for offset in offsets.filter(|&o| text.is_char_boundary(o)) {
            assert_eq!(
                streamed.position(offset),
                memory.position(offset),
                "at {offset}"
            );
        }
    }

    #[test]
    fn positions_count_characters_and_lines() {
        let f = SourceFile::new("x", "ab\r\nçd=e\n");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
        assert_eq!(f.position(4), Position { line: 2, column: 1 });
        // 'ç' is two bytes; 'd' is the second character.
        assert_eq!(f.position(6), Position { line: 2, column: 2 });
        assert_eq!(f.offset(2, 2), 6);
    }

    #[test]
    fn decodes_utf8_with_and_without_bom() {
        assert_eq!(decode(b"a=b").unwrap(), "a=b");
        assert_eq!(decode(b"\xEF\xBB\xBFa=b").unwrap(), "a=b");
    }

    #[test]
    fn decodes_utf16_with_bom() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("é=1".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("é=1".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&le).unwrap(), "é=1");
        assert_eq!(decode(&be).unwrap(), "é=1");
    }

    #[test]
    fn utf16_behind_the_wrong_byte_order_mark_is_refused() {
        let le_behind_be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("<a/>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(
            decode(&le_behind_be),
            Err(DecodeError::Utf16WrongByteOrder {
                bom: "UTF-16BE",
                text: "UTF-16LE"
            })
        );
        let be_behind_le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<a/>".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert!(decode(&be_behind_le).is_err());
        // Text without ASCII decodes as the BOM says.
        let cjk: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("\u{4e2d}\u{6587}".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&cjk).unwrap(), "\u{4e2d}\u{6587}");
    }

    #[test]
    fn refuses_bad_bytes_with_offset() {
        assert_eq!(
            decode(b"ab\xFFcd"),
            Err(DecodeError::Invalid {
                encoding: "UTF-8",
                offset: 2
            })
        );
        assert_eq!(
            decode(b"a\0b\0"),
            Err(DecodeError::Utf16WithoutBom { offset: 1 })
        );
        // Lone low surrogate after a BOM.
        assert_eq!(
            decode(&[0xFF, 0xFE, b'a', 0, 0x00, 0xDC]),
            Err(DecodeError::Invalid {
                encoding: "UTF-16LE",
                offset: 4
            })
        );
    }
}
