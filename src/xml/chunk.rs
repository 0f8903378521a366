//! The text the tokenizer read, a window at a time, and the attributes of
//! the tags in it: what a [`super::Tag`] points into instead of copies.

use std::ops::Range;
use std::sync::{mpsc, Arc};

use super::tag::TagData;
use super::tokenizer::*;
use super::XmlError;
use crate::source::SourceFile;

/// A stretch of the file's text as the tokenizer read it, with the
/// attributes of the tags in it. A configuration file has millions of tags:
/// none is copied out of the text it was read from; its tag is a handful of
/// ranges into a chunk, which lives as long as a tag read from it.
#[derive(Debug)]
pub(super) struct Chunk {
    pub(super) text: ChunkText,
    /// The file offset of the text's first byte.
    pub(super) base: usize,
    /// The chunk's start tags, in order.
    pub(super) tags: Vec<TagData>,
    /// The attributes of the chunk's tags, one tag after another.
    pub(super) attributes: Vec<RawAttribute>,
    /// Values that differ from their raw text after references and
    /// whitespace are resolved, one after another.
    pub(super) resolved: String,
    /// Where its buffers go when it is dropped (a chunk read ahead goes
    /// back to the reading thread, to be filled again).
    pub(super) recycle: Option<mpsc::Sender<Spare>>,
}

/// The buffers of a dropped chunk or an emptied batch, on their way back to
/// the thread that reads ahead: it allocated them and fills them again, so
/// that neither thread allocates or frees for every chunk.
#[derive(Default)]
pub(super) struct Spare {
    pub(super) text: Vec<u8>,
    pub(super) tags: Vec<TagData>,
    pub(super) attributes: Vec<RawAttribute>,
    pub(super) resolved: String,
    pub(super) tokens: Vec<Result<Token, XmlError>>,
}

/// Buffers that came back, for the next chunks.
#[derive(Default)]
pub(super) struct Spares {
    pub(super) texts: Vec<Vec<u8>>,
    pub(super) tags: Vec<Vec<TagData>>,
    pub(super) attributes: Vec<Vec<RawAttribute>>,
    pub(super) resolved: Vec<String>,
    pub(super) tokens: Vec<Vec<Result<Token, XmlError>>>,
}

impl Spares {
    /// Keeps the buffers of `spare` that are worth keeping: not those a
    /// huge event made huge.
    pub(super) fn keep(&mut self, spare: Spare) {
        const MOST: usize = 4 * WINDOW;
        let Spare {
            text,
            mut tags,
            mut attributes,
            mut resolved,
            mut tokens,
        } = spare;
        // Not cleared: its bytes are room to read into ([`Carry`]).
        if (1..=MOST).contains(&text.capacity()) {
            self.texts.push(text);
        }
        if (1..=MOST / 8).contains(&tags.capacity()) {
            tags.clear();
            self.tags.push(tags);
        }
        if (1..=MOST / 8).contains(&attributes.capacity()) {
            attributes.clear();
            self.attributes.push(attributes);
        }
        if (1..=MOST).contains(&resolved.capacity()) {
            resolved.clear();
            self.resolved.push(resolved);
        }
        if (1..=MOST / 8).contains(&tokens.capacity()) {
            tokens.clear();
            self.tokens.push(tokens);
        }
    }

    /// A chunk of `text`, in spare buffers where there are some.
    pub(super) fn chunk(
        &mut self,
        text: ChunkText,
        base: usize,
        tags: usize,
        attributes: usize,
    ) -> Chunk {
        let mut chunk = Chunk::new(text, base);
        chunk.tags = self.tags.pop().unwrap_or_default();
        chunk.tags.reserve(tags.min(WINDOW / 8));
        chunk.attributes = self.attributes.pop().unwrap_or_default();
        chunk.attributes.reserve(attributes.min(WINDOW / 8));
        chunk.resolved = self.resolved.pop().unwrap_or_default();
        chunk
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        if let Some(recycle) = &self.recycle {
            let text = match std::mem::replace(&mut self.text, ChunkText::Read(String::new())) {
                ChunkText::Read(text) => text.into_bytes(),
                ChunkText::Shared(_) => Vec::new(),
            };
            // The reading thread may have ended: then the buffers are freed here.
            let _ = recycle.send(Spare {
                text,
                tags: std::mem::take(&mut self.tags),
                attributes: std::mem::take(&mut self.attributes),
                resolved: std::mem::take(&mut self.resolved),
                tokens: Vec::new(),
            });
        }
    }
}

#[derive(Debug)]
pub(super) enum ChunkText {
    /// Text in memory: every chunk of it shares it whole.
    Shared(SharedText),
    /// A piece of a streamed file, read for this chunk.
    Read(String),
}

impl ChunkText {
    pub(super) fn as_str(&self) -> &str {
        match self {
            ChunkText::Shared(text) => text.as_str(),
            ChunkText::Read(text) => text,
        }
    }
}

/// Text in memory, shared with its owner (not copied).
#[derive(Debug, Clone)]
pub(super) enum SharedText {
    Text(Arc<str>),
    /// A source file read whole.
    File(Arc<SourceFile>),
}

impl SharedText {
    pub(super) fn as_str(&self) -> &str {
        match self {
            SharedText::Text(text) => text,
            SharedText::File(file) => &file.text,
        }
    }
}

impl Chunk {
    pub(super) fn new(text: ChunkText, base: usize) -> Chunk {
        Chunk {
            text,
            base,
            tags: Vec::new(),
            attributes: Vec::new(),
            resolved: String::new(),
            recycle: None,
        }
    }

    /// An attribute's value, with references and whitespace resolved.
    pub(super) fn value(&self, attribute: &RawAttribute) -> &str {
        match &attribute.resolved {
            Some(r) => &self.resolved[r.clone()],
            None => &self.text.as_str()[attribute.value.clone()],
        }
    }
}

#[derive(Debug)]
pub(super) struct RawAttribute {
    /// In the chunk's text.
    pub(super) name: Range<usize>,
    /// In the chunk's text, between the quotes.
    pub(super) value: Range<usize>,
    /// In the chunk's `resolved`, when the value had references or line breaks.
    pub(super) resolved: Option<Range<usize>>,
    /// `xmlns` or prefixed (see [`Attribute::is_namespaced`]).
    pub(super) namespaced: bool,
}

/// The parts of a [`Chunk`] that [`TagData::parse`] fills while it reads
/// the chunk's text.
pub(super) struct ChunkParts<'c> {
    pub(super) text: &'c str,
    pub(super) base: usize,
    pub(super) tags: &'c mut Vec<TagData>,
    pub(super) attributes: &'c mut Vec<RawAttribute>,
    pub(super) resolved: &'c mut String,
}
