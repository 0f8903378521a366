//! The tokenizer: reads a file a window at a time, finds start tags, end
//! tags and plain text itself and hands everything else to quick-xml, checks
//! what quick-xml leaves to its users, and makes tokens (§2.2 characters,
//! §2.4 character data, §2.5 comments, §2.8 prolog).

use std::io::{self, Read};
use std::ops::Range;
use std::sync::{mpsc, Arc};

use quick_xml::events::Event;

use super::chunk::*;
use super::scan::*;
use super::tag::*;
use super::XmlError;
use crate::source::SourceFile;

/// The reader of a streamed file: records its line starts (for positions).
/// What it reads is checked by the tokenizer, a window at a time: UTF-8
/// when the window becomes a chunk, characters XML does not allow before
/// the window's events ([`forbidden_character`]).
pub(super) struct Tracked<R> {
    pub(super) inner: R,
    /// The streamed file whose line starts are recorded; `None` for text in
    /// memory, whose lines are indexed already.
    pub(super) marks: Option<Arc<SourceFile>>,
    pub(super) offset: usize,
    pub(super) line: usize,
    pub(super) line_start: usize,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        if let Some(file) = &self.marks {
            file.mark_line(self.line_start, self.line);
        }
        let bytes = &out[..n];
        if let (Some(_), Some(last)) = (&self.marks, memchr::memrchr(b'\n', bytes)) {
            self.line += bytecount::count(bytes, b'\n');
            self.line_start = self.offset + last + 1;
        }
        self.offset += n;
        Ok(n)
    }
}

/// The bytes of a streamed file read and not yet tokenized, at the start of
/// a buffer whose bytes past them were written before (by an earlier read,
/// or as a chunk's text before the buffer was recycled). Reading into that
/// room needs no zero-filling first, which was a twentieth of the reading
/// thread's work (BENCHMARKS.md); the bytes past `len` are never read.
#[derive(Default)]
pub(super) struct Carry {
    buffer: Vec<u8>,
    len: usize,
}

impl Carry {
    pub(super) fn bytes(&self) -> &[u8] {
        &self.buffer[..self.len]
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room for `n` more bytes after those held (zero-filled only where
    /// the buffer was never written); [`Carry::grow`] takes what was read
    /// into it.
    pub(super) fn room(&mut self, n: usize) -> &mut [u8] {
        let end = self.len + n;
        if self.buffer.len() < end {
            self.buffer.resize(end, 0);
        }
        &mut self.buffer[self.len..end]
    }

    pub(super) fn grow(&mut self, read: usize) {
        self.len += read;
    }

    /// The bytes before `at`, as a buffer of exactly them; the carry keeps
    /// the rest, in `spare` (a recycled buffer, or an empty one).
    pub(super) fn take_front(&mut self, at: usize, mut spare: Vec<u8>) -> Vec<u8> {
        let rest = self.len - at;
        if spare.len() < rest {
            spare.resize(rest, 0);
        }
        spare[..rest].copy_from_slice(&self.buffer[at..self.len]);
        let mut front = std::mem::replace(&mut self.buffer, spare);
        front.truncate(at);
        self.len = rest;
        front
    }

    /// Puts `bytes` before the bytes held (an event the window cut, read
    /// again).
    pub(super) fn prepend(&mut self, bytes: &[u8]) {
        let mut buffer = Vec::with_capacity(bytes.len() + self.len);
        buffer.extend_from_slice(bytes);
        buffer.extend_from_slice(self.bytes());
        self.len = buffer.len();
        self.buffer = buffer;
    }
}

/// The first character XML 1.0 does not allow (§2.2) in `text` (UTF-8,
/// whole characters), which starts at file offset `offset` and whose
/// [`ByteScan`] is `scan`: a control character other than tab, line feed
/// and carriage return, or U+FFFE or U+FFFF (which Rust's UTF-8 check
/// allows). Its index in `text`, and the error.
pub(super) fn forbidden_character(
    text: &[u8],
    offset: usize,
    scan: ByteScan,
) -> Option<(usize, XmlError)> {
    debug_assert!(
        scan.first_control.is_none_or(|i| i < text.len()),
        "a scan of other bytes"
    );
    let control = scan.first_control;
    // Only a noncharacter before the control character matters; ASCII
    // bytes hold none.
    let noncharacter = if scan.ascii {
        None
    } else {
        first_noncharacter(&text[..control.unwrap_or(text.len())])
    };
    match (control, noncharacter) {
        (Some(i), other) if other.is_none_or(|(j, _)| i < j) => {
            let at = offset + i;
            Some((
                i,
                XmlError::syntax(
                    at..at + 1,
                    format!("control character U+{:04X} is not allowed in XML", text[i]),
                ),
            ))
        }
        (_, Some((j, code))) => {
            let at = offset + j;
            Some((
                j,
                XmlError::syntax(
                    at..at + 3,
                    format!("the character U+{code:04X} is not allowed in XML 1.0"),
                ),
            ))
        }
        _ => None,
    }
}

/// The first U+FFFE or U+FFFF (UTF-8 `EF BF BE` / `EF BF BF`) in `text`:
/// the index of its first byte, and which one.
pub(super) fn first_noncharacter(text: &[u8]) -> Option<(usize, u32)> {
    memchr::memchr2_iter(0xBE, 0xBF, text).find_map(|i| {
        let code = if text[i] == 0xBE { 0xFFFE } else { 0xFFFF };
        (i >= 2 && text[i - 1] == 0xBF && text[i - 2] == 0xEF).then(|| (i - 2, code))
    })
}

/// What the tokenizer read next: [`Item`]s, with tags not yet tied to the
/// chunk they were read from.
#[derive(Debug)]
pub(super) enum Token {
    /// A start tag: its number among the chunk's `tags`.
    Start(usize),
    End(Range<usize>),
    Eof,
}

/// The tokens of one chunk, in file order (an error or the end of the
/// file comes last), with the chunk their tags point into.
pub(super) struct Batch {
    pub(super) chunk: Chunk,
    pub(super) tokens: Vec<Result<Token, XmlError>>,
}

/// Where the tokenizer's text comes from.
pub(super) enum Source {
    /// Text in memory: its chunks are windows of it, not copies.
    Memory(SharedText),
    /// A streamed file, read a window at a time.
    Stream(Tracked<Box<dyn Read + Send>>),
}

/// How far the tokenizer got in one window of text.
pub(super) enum WindowEnd {
    /// It read the whole window.
    Done,
    /// The event at this offset of the chunk's text runs past the window:
    /// it is read again from there, with more text.
    NeedMore(usize),
    /// An error or the end of the file was the last token.
    Stopped,
}

/// Bytes of text per window to begin with (doubled while one event does
/// not fit): enough to make a chunk cheap per tag, few enough that the
/// chunks in flight and those open elements hold stay small.
pub(super) const WINDOW: usize = 64 << 10;

/// Reads a file's XML events with quick-xml, a window of text at a time,
/// checks them, and turns the tags into tokens. A window ends just after a
/// `>`, so that it rarely cuts an event; one that does is read again in the
/// next window.
pub(super) struct Tokenizer {
    pub(super) source: Source,
    /// The file offset where the next window starts.
    pub(super) next_at: usize,
    /// Of a streamed file: the bytes read from `next_at` on.
    pub(super) carry: Carry,
    /// Of a streamed file: all of it is read (into `carry`).
    pub(super) read_all: bool,
    /// Of a streamed file: reading stopped here (the error goes out after
    /// the tokens of the text read before it).
    pub(super) read_error: Option<XmlError>,
    /// The size of the next window.
    pub(super) window: usize,
    pub(super) root_seen: bool,
    /// The qualified names of the open elements, one after another, and
    /// where each starts: end tags are matched here, across windows.
    pub(super) open_names: String,
    pub(super) open_starts: Vec<usize>,
    /// The last token (an error or the end of the file) was handed out.
    pub(super) finished: bool,
    /// Where the text starts after a byte order mark (0 without one).
    pub(super) text_start: usize,
    /// Start and end tags and plain text are read here, the rest with
    /// quick-xml (else everything with quick-xml: what tests compare with).
    pub(super) fast: bool,
    /// Tokens, tags and attributes in the last chunk (room made for as many).
    pub(super) sizes: (usize, usize, usize),
    /// Read ahead: where dropped chunks' buffers come back, the way there,
    /// and those that came back.
    pub(super) recycled: Option<mpsc::Receiver<Spare>>,
    pub(super) recycle: Option<mpsc::Sender<Spare>>,
    pub(super) spares: Spares,
    /// The size of a window to begin with, and of a read ([`WINDOW`]; tiny
    /// in tests, to cut events at every place).
    pub(super) base_window: usize,
}

impl Tokenizer {
    /// Elements open now.
    fn depth(&self) -> usize {
        self.open_starts.len()
    }

    pub(super) fn new(source: Source) -> Tokenizer {
        Tokenizer {
            source,
            next_at: 0,
            carry: Carry::default(),
            read_all: false,
            read_error: None,
            window: WINDOW,
            root_seen: false,
            open_names: String::new(),
            open_starts: Vec::new(),
            finished: false,
            text_start: 0,
            fast: true,
            sizes: (0, 0, 0),
            recycled: None,
            recycle: None,
            spares: Spares::default(),
            base_window: WINDOW,
        }
    }

    pub(super) fn streaming(
        inner: Box<dyn Read + Send>,
        marks: Option<Arc<SourceFile>>,
    ) -> Tokenizer {
        Tokenizer::new(Source::Stream(Tracked {
            inner,
            marks,
            offset: 0,
            line: 0,
            line_start: 0,
        }))
    }

    /// The tokens of the next window of text; `None` after the last token.
    pub(super) fn next_batch(&mut self) -> Option<Batch> {
        if self.finished {
            return None;
        }
        if let Some(recycled) = &self.recycled {
            while let Ok(spare) = recycled.try_recv() {
                self.spares.keep(spare);
            }
        }
        let mut tokens = self.spares.tokens.pop().unwrap_or_default();
        // As many as last time: not more than a window's worth (the last
        // window may have grown around a huge event).
        tokens.reserve(self.sizes.0.min(WINDOW / 8));
        let mut chunk = match &self.source {
            Source::Memory(text) => {
                let text = text.clone();
                self.memory_window(text, &mut tokens)
            }
            Source::Stream(_) => self.stream_window(&mut tokens),
        };
        // The next chunk is likely much like this one.
        self.sizes = (tokens.len(), chunk.tags.len(), chunk.attributes.len());
        chunk.recycle.clone_from(&self.recycle);
        Some(Batch { chunk, tokens })
    }

    /// The next window of text in memory, tokenized.
    pub(super) fn memory_window(
        &mut self,
        text: SharedText,
        tokens: &mut Vec<Result<Token, XmlError>>,
    ) -> Chunk {
        let lo = self.next_at;
        let whole = text.as_str();
        let (hi, last) = loop {
            let target = lo.saturating_add(self.window).min(whole.len());
            if target == whole.len() {
                break (target, true);
            }
            match memchr::memrchr(b'>', &whole.as_bytes()[lo..target]) {
                Some(i) => break (lo + i + 1, false),
                None => self.window = self.window.saturating_mul(2),
            }
        };
        let mut chunk = self
            .spares
            .chunk(ChunkText::Shared(text), 0, self.sizes.1, self.sizes.2);
        match self.tokenize(&mut chunk, lo, hi, last, None, tokens) {
            WindowEnd::Done => {
                self.next_at = hi;
                self.window = self.base_window;
            }
            WindowEnd::NeedMore(at) => {
                if at == lo {
                    self.window = self.window.saturating_mul(2);
                }
                self.next_at = at;
            }
            WindowEnd::Stopped => self.finished = true,
        }
        chunk
    }

    /// The next window of a streamed file, read and tokenized.
    pub(super) fn stream_window(&mut self, tokens: &mut Vec<Result<Token, XmlError>>) -> Chunk {
        let base = self.next_at;
        let hi = loop {
            self.read_window();
            let last = self.read_all || self.read_error.is_some();
            if last {
                // Through the end of what could be read; after a read error,
                // up to the last `>` before it.
                let end = if self.read_all {
                    self.carry.len()
                } else {
                    memchr::memrchr(b'>', self.carry.bytes()).map_or(0, |i| i + 1)
                };
                break end;
            }
            match memchr::memrchr(b'>', self.carry.bytes()) {
                Some(i) => break i + 1,
                None => self.window = self.window.saturating_mul(2),
            }
        };
        // What follows the window goes into a spare buffer; the window's
        // bytes become the chunk's text as they are.
        let spare = self.spares.texts.pop().unwrap_or_default();
        let scan = scan_bytes(&self.carry.bytes()[..hi]);
        let front = self.carry.take_front(hi, spare);
        let text = if scan.is_plain_ascii() {
            // SAFETY: every byte is below 0x80 (scanned just above): ASCII,
            // which is UTF-8.
            Ok(unsafe { String::from_utf8_unchecked(front) })
        } else {
            String::from_utf8(front)
        };
        let text = match text {
            Ok(text) => text,
            // The window ends after a `>`, so that no character is cut:
            // bytes that are not UTF-8 are the file's.
            Err(e) => {
                tokens.push(Err(XmlError::NotUtf8 {
                    offset: base + e.utf8_error().valid_up_to(),
                }));
                self.finished = true;
                return Chunk::new(ChunkText::Read(String::new()), base);
            }
        };
        let mut chunk = self
            .spares
            .chunk(ChunkText::Read(text), base, self.sizes.1, self.sizes.2);
        let last = self.read_all && self.carry.is_empty();
        match self.tokenize(&mut chunk, 0, hi, last, Some(scan), tokens) {
            WindowEnd::Done => {
                self.next_at = base + hi;
                self.window = self.base_window;
            }
            WindowEnd::NeedMore(at) => {
                // The cut event and what follows it are read again.
                self.carry.prepend(&chunk.text.as_str().as_bytes()[at..hi]);
                if at == 0 {
                    self.window = self.window.saturating_mul(2);
                }
                self.next_at = base + at;
            }
            WindowEnd::Stopped => self.finished = true,
        }
        // Nothing more can be read: what is left is not a whole event.
        if let (false, Some(e)) = (self.finished, self.read_error.take()) {
            tokens.push(Err(e));
            self.finished = true;
        }
        chunk
    }

    /// Reads until the carry holds a window's worth of bytes, the file
    /// ends, or reading fails.
    pub(super) fn read_window(&mut self) {
        let Source::Stream(reader) = &mut self.source else {
            return;
        };
        if self.carry.len() >= self.window || self.read_all || self.read_error.is_some() {
            return;
        }
        let want = (self.window - self.carry.len()).max(self.base_window);
        // Read straight into the buffer, a window at a time: `read_to_end`
        // would read it in pieces of 8 and 16 KiB, a system call each.
        let room = self.carry.room(want);
        let mut filled = 0;
        while filled < want {
            match reader.read(&mut room[filled..]) {
                Ok(0) => {
                    self.read_all = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.read_error = Some(XmlError::Io(e));
                    break;
                }
            }
        }
        self.carry.grow(filled);
    }

    /// Reads the events of the chunk's text from `lo` to `hi` into
    /// `tokens`. `last`: the text ends there (else an event cut by `hi` is
    /// read again with the next window). `scanned`: the [`ByteScan`] of the
    /// text up to `hi`, if the caller made it.
    pub(super) fn tokenize(
        &mut self,
        chunk: &mut Chunk,
        lo: usize,
        hi: usize,
        last: bool,
        scanned: Option<ByteScan>,
        tokens: &mut Vec<Result<Token, XmlError>>,
    ) -> WindowEnd {
        let mut parts = ChunkParts {
            text: chunk.text.as_str(),
            base: chunk.base,
            tags: &mut chunk.tags,
            attributes: &mut chunk.attributes,
            resolved: &mut chunk.resolved,
        };
        let text = parts.text;
        let mut lo = lo;
        // A byte order mark before everything is the file's (skipped here,
        // so that offsets count it).
        if parts.base + lo == 0 && text[lo..hi].starts_with('\u{FEFF}') {
            lo += '\u{FEFF}'.len_utf8();
            self.text_start = lo;
        }
        // A character XML does not allow ends the window: the events before
        // it are read (one of them may be wrong first), then it is the error.
        // Text in memory and a streamed file get the same first error so.
        let window = &text.as_bytes()[lo..hi];
        let scan = match scanned {
            Some(scan) if lo == 0 => scan,
            _ => scan_bytes(window),
        };
        let Some((forbidden_at, forbidden)) = forbidden_character(window, parts.base + lo, scan)
        else {
            return self.events(&mut parts, lo, hi, last, tokens);
        };
        match self.events(&mut parts, lo, lo + forbidden_at, false, tokens) {
            WindowEnd::Done | WindowEnd::NeedMore(_) => {
                tokens.push(Err(forbidden));
                WindowEnd::Stopped
            }
            WindowEnd::Stopped => WindowEnd::Stopped,
        }
    }

    /// Reads the events of the chunk's text from `lo` to `hi` (see
    /// [`Tokenizer::tokenize`]).
    pub(super) fn events(
        &mut self,
        parts: &mut ChunkParts,
        lo: usize,
        hi: usize,
        last: bool,
        tokens: &mut Vec<Result<Token, XmlError>>,
    ) -> WindowEnd {
        if !self.fast {
            return match self.quick_events(parts, lo, hi, hi, last, tokens) {
                Ok(_) => WindowEnd::Done,
                Err(end) => end,
            };
        }
        let text = parts.text;
        let bytes = text.as_bytes();
        let mut pos = lo;
        loop {
            // Text between elements is mostly a line break and indentation,
            // which needs no check: looked at without memchr's set-up.
            let blanks_end = skip_blanks(&bytes[..hi], pos);
            let lt = if bytes[..hi].get(blanks_end) == Some(&b'<') {
                Some(blanks_end)
            } else {
                memchr::memchr(b'<', &bytes[blanks_end..hi]).map(|i| blanks_end + i)
            };
            let text_end = lt.unwrap_or(hi);
            if text_end > blanks_end {
                let piece = &text[pos..text_end];
                // References, and text outside the root element, are read by
                // quick-xml (which words their errors); the rest is checked here.
                let plain = memchr::memchr(b'&', piece.as_bytes()).is_none()
                    && (self.depth() > 0 || piece.bytes().all(is_space));
                if !plain {
                    match self.quick_events(parts, pos, text_end, hi, last, tokens) {
                        Ok(at) => {
                            pos = at;
                            continue;
                        }
                        Err(end) => return end,
                    }
                }
                if let Err(e) = self.text(piece, parts.base + pos) {
                    tokens.push(Err(e));
                    return WindowEnd::Stopped;
                }
            }
            let Some(lt) = lt else {
                if !last {
                    return WindowEnd::Done;
                }
                let end = parts.base + hi;
                return match self.other(Ok(Event::Eof), end, end) {
                    Ok(token) => {
                        tokens.extend(token.map(Ok));
                        WindowEnd::Stopped
                    }
                    Err(e) => {
                        tokens.push(Err(e));
                        WindowEnd::Stopped
                    }
                };
            };
            pos = lt;
            if let Some(gt) = self.plain_tag(parts, pos, hi, tokens) {
                pos = gt + 1;
                continue;
            }
            let tag = match bytes[..hi].get(pos + 1) {
                Some(b'/') => quick_end_tag(bytes, pos, hi),
                Some(&b) if b >= 0x80 || BYTE_CLASS[usize::from(b)] & NAME_START != 0 => {
                    start_tag_end(bytes, pos, hi)
                }
                _ => None,
            };
            let outcome = match tag {
                // `</name>`, its name trimmed.
                Some(QuickTag::End(name, gt)) => {
                    let (before, end) = (parts.base + pos, parts.base + gt + 1);
                    self.end_tag(&text[name], before, end).map(|t| {
                        tokens.push(Ok(t));
                        gt + 1
                    })
                }
                Some(QuickTag::Start(gt)) => {
                    let empty = bytes[gt - 1] == b'/';
                    let len = gt - usize::from(empty) - (pos + 1);
                    let end = parts.base + gt + 1;
                    self.start_tag(parts, pos + 1, len, end, empty, tokens)
                        .map(|()| gt + 1)
                }
                // Comments, CDATA, processing instructions, a DOCTYPE, a tag
                // cut by the window, and whatever is not well-formed: quick-xml.
                None => match self.quick_events(parts, pos, pos + 1, hi, last, tokens) {
                    Ok(at) => Ok(at),
                    Err(end) => return end,
                },
            };
            match outcome {
                Ok(at) => pos = at,
                Err(e) => {
                    tokens.push(Err(e));
                    return WindowEnd::Stopped;
                }
            }
        }
    }

    /// Reads events with quick-xml from `from` in the chunk's text until it
    /// is at `until` or past it (at least one event); where it stopped, or
    /// how the window ends.
    pub(super) fn quick_events(
        &mut self,
        parts: &mut ChunkParts,
        from: usize,
        until: usize,
        hi: usize,
        last: bool,
        tokens: &mut Vec<Result<Token, XmlError>>,
    ) -> Result<usize, WindowEnd> {
        let text = parts.text;
        let mut lo = from;
        // quick-xml takes a byte order mark at the start of its input for the
        // file's, and skips it: anywhere else it is a character of the text.
        while text[lo..hi].starts_with('\u{FEFF}') {
            if let Err(e) = self.text("\u{FEFF}", parts.base + lo) {
                tokens.push(Err(e));
                return Err(WindowEnd::Stopped);
            }
            lo += '\u{FEFF}'.len_utf8();
            if lo >= until {
                return Ok(lo);
            }
        }
        let mut reader = quick_xml::Reader::from_reader(&text.as_bytes()[lo..hi]);
        let config = reader.config_mut();
        // Checked here, with the place of the `--` (quick-xml's own check
        // reports a place elsewhere in a long comment).
        config.check_comments = false;
        // End tags are matched here: quick-xml sees one window at a time.
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.allow_dangling_amp = false;
        config.expand_empty_elements = false;
        config.trim_text(false);
        let at_file = parts.base + lo;
        loop {
            let before_in = reader.buffer_position() as usize;
            let event = reader.read_event();
            let end_in = reader.buffer_position() as usize;
            let (before, end) = (at_file + before_in, at_file + end_in);
            let outcome = match event {
                Err(_) if !last && end_in == hi - lo => {
                    return Err(WindowEnd::NeedMore(lo + before_in))
                }
                Ok(Event::Eof) if !last => return Err(WindowEnd::Done),
                Ok(Event::Start(e)) => {
                    self.start_tag(parts, lo + before_in + 1, e.len(), end, false, tokens)
                }
                Ok(Event::Empty(e)) => {
                    self.start_tag(parts, lo + before_in + 1, e.len(), end, true, tokens)
                }
                Ok(Event::End(e)) => self.end_tag(&e, before, end).map(|t| tokens.push(Ok(t))),
                Err(e) => Err(tokenizer_error(e, &reader, at_file)),
                other => self.other(other, before, end).map(|token| {
                    if let Some(token) = token {
                        tokens.push(Ok(token));
                    }
                }),
            };
            match (outcome, tokens.last()) {
                (Err(e), _) => {
                    tokens.push(Err(e));
                    return Err(WindowEnd::Stopped);
                }
                (Ok(()), Some(Ok(Token::Eof))) => return Err(WindowEnd::Stopped),
                (Ok(()), _) if lo + end_in >= until => return Ok(lo + end_in),
                (Ok(()), _) => {}
            }
        }
    }

    /// The tag at `lt` (its `<`) of the chunk's text when it is a common
    /// one, read the fast way: an end tag that closes the element open
    /// last, as written (`</name>`), or a start tag
    /// [`TagData::parse_plain`] reads. Its `>`; `None` for every other tag,
    /// left to the general way, which gives the same tokens (and finds
    /// any error: this way never reports one).
    fn plain_tag(
        &mut self,
        parts: &mut ChunkParts,
        lt: usize,
        hi: usize,
        tokens: &mut Vec<Result<Token, XmlError>>,
    ) -> Option<usize> {
        let bytes = &parts.text.as_bytes()[..hi];
        if bytes.get(lt + 1) == Some(&b'/') {
            let open = *self.open_starts.last()?;
            let name = &self.open_names.as_bytes()[open..];
            let gt = lt + 2 + name.len();
            if bytes.get(gt) != Some(&b'>') || &bytes[lt + 2..gt] != name {
                return None;
            }
            self.open_starts.pop();
            self.open_names.truncate(open);
            tokens.push(Ok(Token::End(parts.base + lt..parts.base + gt + 1)));
            return Some(gt);
        }
        if self.depth() == 0 {
            // The root element, or a second one (an error): the general way.
            return None;
        }
        let (tag, gt) = TagData::parse_plain(parts, lt, hi, self.depth() + 1)?;
        self.open(parts, tag, tokens);
        Some(gt)
    }

    /// A start tag whose name starts at `raw` in the chunk's text (`len`
    /// bytes to its `>` or `/>`).
    pub(super) fn start_tag(
        &mut self,
        parts: &mut ChunkParts,
        raw: usize,
        len: usize,
        end: usize,
        empty: bool,
        tokens: &mut Vec<Result<Token, XmlError>>,
    ) -> Result<(), XmlError> {
        let start = parts.base + raw - 1;
        if self.depth() == 0 && self.root_seen {
            return Err(XmlError::syntax(
                start..start + 1,
                "a second root element (an XML file has exactly one)",
            ));
        }
        self.root_seen = true;
        let mut tag = TagData::parse(parts, raw..raw + len, self.depth() + 1)?;
        tag.end = end;
        tag.self_closing = empty;
        self.open(parts, tag, tokens);
        Ok(())
    }

    /// Hands out a start tag read whole: its element is open now, unless
    /// the tag is an empty-element tag.
    fn open(
        &mut self,
        parts: &mut ChunkParts,
        tag: TagData,
        tokens: &mut Vec<Result<Token, XmlError>>,
    ) {
        if !tag.self_closing {
            self.open_starts.push(self.open_names.len());
            self.open_names.push_str(&parts.text[tag.name.clone()]);
        }
        // An empty element's end is implied (see `Parser::next_item`).
        tokens.push(Ok(Token::Start(parts.tags.len())));
        parts.tags.push(tag);
    }

    /// An end tag: it must close the element open last (XML 1.0 §3,
    /// element type match).
    pub(super) fn end_tag(
        &mut self,
        name: &str,
        before: usize,
        end: usize,
    ) -> Result<Token, XmlError> {
        use quick_xml::errors::IllFormedError;
        let Some(open) = self.open_starts.pop() else {
            return Err(XmlError::syntax(
                before..before + 1,
                ill_formed(IllFormedError::UnmatchedEndTag(name.to_owned())),
            ));
        };
        if self.open_names[open..] != *name {
            return Err(XmlError::syntax(
                before..before + 1,
                ill_formed(IllFormedError::MismatchedEndTag {
                    expected: self.open_names[open..].to_owned(),
                    found: name.to_owned(),
                }),
            ));
        }
        self.open_names.truncate(open);
        Ok(Token::End(before..end))
    }

    /// Everything but start and end tags: the end of the file is a token;
    /// the rest is checked and skipped.
    pub(super) fn other(
        &mut self,
        event: quick_xml::Result<Event>,
        before: usize,
        end: usize,
    ) -> Result<Option<Token>, XmlError> {
        match event {
            Ok(Event::Text(text)) => self.text(&text, before)?,
            Ok(Event::CData(_)) if self.depth() == 0 => {
                return Err(XmlError::syntax(
                    before..before + 1,
                    "CDATA outside the root element",
                ))
            }
            Ok(Event::GeneralRef(r)) => {
                if self.depth() == 0 {
                    return Err(XmlError::syntax(
                        before..end,
                        "a reference outside the root element",
                    ));
                }
                resolve_reference(&r).map_err(|m| XmlError::syntax(before..end, m))?;
            }
            Ok(Event::Decl(_)) if before != self.text_start => return Err(XmlError::syntax(
                before..end,
                "the XML declaration (<?xml ...?>) may only stand at the very start of the file",
            )),
            Ok(Event::Decl(decl)) => {
                check_declaration(&decl).map_err(|m| XmlError::syntax(before..end, m))?;
            }
            Ok(Event::PI(pi)) => {
                if pi.target().eq_ignore_ascii_case("xml") {
                    return Err(XmlError::syntax(
                            before..end,
                            "the XML declaration (<?xml ...?>) may only stand at the very start of the file",
                        ));
                }
                let target = pi.target();
                let name = &target[..name_length(target)];
                if name.is_empty() {
                    return Err(XmlError::syntax(
                        before..end,
                        "a processing instruction needs a name after `<?`",
                    ));
                }
                if name.len() != target.len() {
                    return Err(XmlError::syntax(
                        before..end,
                        format!("`<?{name}` must be followed by a space or `?>`"),
                    ));
                }
            }
            Ok(Event::DocType(_)) => return Err(XmlError::Dtd { at: before..end }),
            Ok(Event::Eof) => {
                if self.depth() > 0 {
                    return Err(XmlError::Truncated {
                        at: end,
                        inside: "the file ends inside an element".to_owned(),
                    });
                }
                if !self.root_seen {
                    return Err(XmlError::syntax(end..end, "the file has no root element"));
                }
                return Ok(Some(Token::Eof));
            }
            Ok(Event::Comment(comment)) => {
                // XML 1.0 §2.5: `--` may not occur in a comment, nor may it
                // end with `-` (which would make `--->`).
                let content = comment.into_inner();
                let content = content.as_bytes();
                let dashes = content
                    .windows(2)
                    .position(|w| w == b"--")
                    .or_else(|| content.ends_with(b"-").then(|| content.len() - 1));
                if let Some(i) = dashes {
                    let at = before + "<!--".len() + i;
                    return Err(XmlError::syntax(
                        at..at + 2,
                        "`--` is not allowed inside a comment",
                    ));
                }
            }
            Ok(Event::CData(_)) => {}
            Ok(Event::Start(_) | Event::Empty(_) | Event::End(_)) => {
                unreachable!("tags are read by `tokenize`")
            }
            Err(_) => unreachable!("errors are read by `tokenize`"),
        }
        Ok(None)
    }

    /// Character data: only whitespace outside the root element, never `]]>`.
    pub(super) fn text(&self, text: &str, at: usize) -> Result<(), XmlError> {
        if self.depth() == 0 {
            if let Some(i) = text.bytes().position(|b| !is_space(b)) {
                return Err(XmlError::syntax(
                    at + i..at + i + 1,
                    "text outside the root element",
                ));
            }
        }
        // Text between elements is mostly a line break and indentation.
        let bytes = text.as_bytes();
        let cdata_end =
            memchr::memchr(b']', bytes).and_then(|_| memchr::memmem::find(bytes, b"]]>"));
        if let Some(i) = cdata_end {
            return Err(XmlError::syntax(
                at + i..at + i + 3,
                "`]]>` is not allowed in text (write ]]&gt;)",
            ));
        }
        Ok(())
    }
}

/// Where the blanks (spaces, tabs, line breaks) from `i` on end: a run of
/// spaces (indentation) eight bytes at a time.
pub(super) fn skip_blanks(bytes: &[u8], mut i: usize) -> usize {
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    loop {
        while let Some(word) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            let others = word ^ SPACES;
            if others != 0 {
                // The first byte that is not a space (the lowest, read little-endian).
                i += (others.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match bytes.get(i) {
            Some(&b) if is_space(b) => i += 1,
            _ => return i,
        }
    }
}

/// A tag found without quick-xml.
pub(super) enum QuickTag {
    /// A start tag ending at this `>`.
    Start(usize),
    /// An end tag: its name, and its `>`.
    End(Range<usize>, usize),
}

/// An end tag at `lt` (`</...>`) that ends in the window: its name
/// (what quick-xml compares: up to the `>`, without trailing spaces)
/// and its `>`.
fn quick_end_tag(bytes: &[u8], lt: usize, hi: usize) -> Option<QuickTag> {
    let gt = lt + 2 + memchr::memchr(b'>', &bytes[lt + 2..hi])?;
    // quick-xml reads quotes in an end tag as those of a value: it has
    // the last word on such a tag.
    if memchr::memchr2(b'"', b'\'', &bytes[lt + 2..gt]).is_some() {
        return None;
    }
    let name_end = bytes[lt + 2..gt]
        .iter()
        .rposition(|&b| !is_space(b))
        // A name of spaces only is compared as it is (as quick-xml does).
        .map_or(gt, |i| lt + 2 + i + 1);
    Some(QuickTag::End(lt + 2..name_end, gt))
}

/// The `>` that ends the start tag at `lt`, outside quoted values, if it
/// is in the window (XML 1.0 §3.1: `>` may stand in a value; `<` may not,
/// and is left for the tag's own check).
pub(super) fn start_tag_end(bytes: &[u8], lt: usize, hi: usize) -> Option<QuickTag> {
    let mut i = lt + 1;
    loop {
        i += memchr::memchr3(b'>', b'"', b'\'', &bytes[i..hi])?;
        match bytes[i] {
            b'>' => return Some(QuickTag::Start(i)),
            quote => i += 1 + memchr::memchr(quote, &bytes[i + 1..hi])? + 1,
        }
    }
}

/// A quick-xml error in the window read from file offset `at_file`.
pub(super) fn tokenizer_error(
    e: quick_xml::Error,
    reader: &quick_xml::Reader<&[u8]>,
    at_file: usize,
) -> XmlError {
    let at = at_file + reader.error_position() as usize;
    match e {
        quick_xml::Error::Io(io) => XmlError::Io(
            Arc::try_unwrap(io)
                .unwrap_or_else(|shared| io::Error::new(shared.kind(), shared.to_string())),
        ),
        // quick-xml reports a syntax error when the input ends inside
        // markup (a tag, comment, CDATA section, ...).
        quick_xml::Error::Syntax(s) => XmlError::Truncated {
            at: at_file + reader.buffer_position() as usize,
            inside: s.to_string(),
        },
        quick_xml::Error::IllFormed(e) => XmlError::syntax(at..at + 1, ill_formed(e)),
        other => XmlError::syntax(at..at + 1, other.to_string()),
    }
}

/// quick-xml's well-formedness errors, worded for an admin editing the file.
pub(super) fn ill_formed(e: quick_xml::errors::IllFormedError) -> String {
    use quick_xml::errors::IllFormedError as E;
    match e {
        E::MismatchedEndTag { expected, found } => {
            format!(
                "`</{found}>` does not close the open element: `</{expected}>` is expected first"
            )
        }
        E::UnmatchedEndTag(name) => format!("`</{name}>` closes an element that is not open"),
        E::MissingEndTag(name) => format!("`<{name}>` is never closed"),
        E::DoubleHyphenInComment => "`--` is not allowed inside a comment".to_owned(),
        E::UnclosedReference => "a reference (`&...;`) is not closed with `;`".to_owned(),
        other => other.to_string(),
    }
}
