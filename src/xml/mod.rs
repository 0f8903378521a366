//! A strict, streaming XML reader, shared by `check` and `review` (every
//! configuration file either reads goes through it): it hands its caller one
//! start tag at a time (with byte ranges for every name and value), checks
//! that the whole file is well-formed XML 1.0 as it goes, and holds only a
//! few windows of the text at once, so a 100 MB applicationHost.config is
//! checked in a few MB.
//!
//! Start tags, end tags and plain text are found here; quick-xml reads the
//! rest (comments, CDATA, processing instructions, references, the prolog).
//! The rules quick-xml leaves to its users are applied here: attribute syntax
//! and values, names, references, what may stand outside the root element,
//! end tags matching their start tags, control characters, and UTF-8.
//! (The rules are those of XML 1.0, <https://www.w3.org/TR/xml/>: §2.2
//! characters, §2.3 names, §2.4 character data, §2.8 prolog, §3.1 tags,
//! §3.3.3 attribute-value normalization, §4.1 references.)

mod chunk;
mod cores;
mod scan;
mod tag;
mod tokenizer;

use std::io;
use std::ops::Range;
use std::rc::Rc;
use std::sync::{mpsc, Arc};

use crate::source::SourceFile;
use chunk::*;
use tokenizer::*;

pub use tag::{Attribute, Tag};

/// Why the file is not well-formed (or could not be read).
#[derive(Debug)]
pub enum XmlError {
    /// Not well-formed at `at`.
    Syntax { at: Range<usize>, message: String },
    /// A `<!DOCTYPE>` at `at`.
    Dtd { at: Range<usize> },
    /// The file ends inside an element, or inside markup (`inside` says which).
    Truncated { at: usize, inside: String },
    /// Bytes that are not UTF-8, at this offset of the file (after any BOM).
    NotUtf8 { offset: usize },
    /// The file could not be read.
    Io(io::Error),
}

impl XmlError {
    fn syntax(at: Range<usize>, message: impl Into<String>) -> XmlError {
        XmlError::Syntax {
            at,
            message: message.into(),
        }
    }
}

/// What the parser read next: the elements' tags, in document order (what
/// lies between them is checked and skipped).
#[derive(Debug)]
pub enum Item {
    Start(Tag),
    /// An end tag, at this range; an empty range at the end of an
    /// empty-element tag for its (implied) end.
    End(Range<usize>),
    Eof,
}

/// Chunks read ahead on another thread: one core reads and tokenizes a
/// large file while the other checks it.
struct ReadAhead {
    batches: mpsc::Receiver<Batch>,
    /// Where emptied batches go back to be filled again.
    returns: mpsc::Sender<Spare>,
    /// Where [`Helper`]s send their jobs.
    jobs: mpsc::Sender<Job>,
    /// Where the walking thread says which core it is on.
    walker_core: cores::WalkerCore,
    /// Batches in a row the walking thread had to wait for.
    waits: u32,
    /// Times the walking thread polled for a batch (tests look).
    polls: u32,
}

impl ReadAhead {
    fn start(mut tokenizer: Tokenizer) -> Result<ReadAhead, XmlError> {
        let (sender, batches) = mpsc::sync_channel(4);
        let (returns, recycled) = mpsc::channel();
        let (jobs, waiting) = mpsc::channel::<Job>();
        tokenizer.recycle = Some(returns.clone());
        tokenizer.recycled = Some(recycled);
        let walker_core = cores::WalkerCore::new();
        let walker = walker_core.clone();
        std::thread::Builder::new()
            .name("read-ahead".to_owned())
            .spawn(move || {
                let mut apart = cores::KeepApart::new(walker);
                loop {
                    // Between windows, the jobs the walk sent meanwhile.
                    while let Ok(job) = waiting.try_recv() {
                        job();
                    }
                    let Some(batch) = tokenizer.next_batch() else {
                        break;
                    };
                    // The parser was dropped: nobody wants the rest.
                    if sender.send(batch).is_err() {
                        break;
                    }
                    apart.check();
                }
                // The walk then finds the queue closed after the last batch
                // (as with a tokenizer on its own thread), not waiting on it.
                drop((tokenizer, sender));
                // Jobs sent after the last window, until every helper and
                // the parser are gone.
                for job in waiting {
                    job();
                }
            })
            .map_err(XmlError::Io)?;
        Ok(ReadAhead {
            batches,
            returns,
            jobs,
            walker_core,
            waits: 0,
            polls: 0,
        })
    }

    /// The next batch, waiting for it if need be; `None` if the reading
    /// thread has ended.
    fn next_batch(&mut self) -> Option<Batch> {
        match self.batches.try_recv() {
            Ok(batch) => {
                self.waits = 0;
                self.walker_core.note(false);
                return Some(batch);
            }
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) => {}
        }
        let polled = if self.waits >= POLL_AFTER {
            self.polls += 1;
            self.poll()
        } else {
            self.waits += 1;
            None
        };
        let batch = polled.or_else(|| self.batches.recv().ok());
        self.walker_core.note(true);
        batch
    }

    /// Asks for the next batch for up to [`POLL`] before sleeping.
    ///
    /// A walk that waits for every batch (long attribute values: the
    /// reader does nearly all the work) slept and was woken for each: a
    /// `futex` call on both sides, and on a virtual machine an interrupt
    /// to the sleeping core, paid by the reader, which is the slower
    /// thread there. 384 such calls made two cores slower than one (6.4
    /// against 5.5 ms on 10 MB; BENCHMARKS.md). Polling only after
    /// [`POLL_AFTER`] waits in a row leaves a walk that is behind (most
    /// files) as it was; `yield_now` lets a reader on the same core run.
    fn poll(&self) -> Option<Batch> {
        let start = std::time::Instant::now();
        for polls in 1u32.. {
            match self.batches.try_recv() {
                Ok(batch) => return Some(batch),
                Err(mpsc::TryRecvError::Disconnected) => return None,
                Err(mpsc::TryRecvError::Empty) => {}
            }
            std::hint::spin_loop();
            if polls % 64 == 0 {
                if start.elapsed() > POLL {
                    return None;
                }
                std::thread::yield_now();
            }
        }
        None
    }
}

/// Waits in a row for a batch after which the walk polls for the next.
const POLL_AFTER: u32 = 2;

/// How long the walk polls for a batch before it sleeps.
const POLL: std::time::Duration = std::time::Duration::from_micros(200);

/// Work for the thread that reads a file ahead ([`Helper`]).
pub type Job = Box<dyn FnOnce() + Send>;

/// Runs work on the thread that reads a file ahead: that thread often waits
/// for the walk, and does the work between its windows, on the core it has
/// anyway (`check`'s duplicate screen does; BENCHMARKS.md, issue 21). Jobs
/// run one at a time, in the order they were sent; after the last window
/// the thread goes on with them until every helper and the parser are
/// dropped. Jobs sent to a thread that ended by panicking are lost: a job
/// given back by [`Helper::run`] says so.
#[derive(Clone)]
pub struct Helper {
    jobs: mpsc::Sender<Job>,
    walker: cores::WalkerCore,
}

impl Helper {
    /// Sends `job` to the reading thread; gives it back if that thread has
    /// ended (it ends only by panicking while a helper is alive).
    pub fn run(&self, job: Job) -> Result<(), Job> {
        self.jobs.send(job).map_err(|refused| refused.0)
    }

    /// Whether the reading thread is behind the walk (the walk waited for
    /// the last batch it took): then work sent there would wait too.
    pub fn is_behind(&self) -> bool {
        self.walker.waited()
    }

    /// A helper whose thread has ended (for tests of its users).
    #[cfg(test)]
    pub(crate) fn ended() -> Helper {
        let (jobs, _) = mpsc::channel::<Job>();
        Helper {
            jobs,
            walker: cores::WalkerCore::new(),
        }
    }

    /// A helper on a thread of its own that only runs jobs (for tests of
    /// its users).
    #[cfg(test)]
    pub(crate) fn on_new_thread() -> Helper {
        let (jobs, waiting) = mpsc::channel::<Job>();
        std::thread::spawn(move || {
            for job in waiting {
                job();
            }
        });
        Helper {
            jobs,
            walker: cores::WalkerCore::new(),
        }
    }
}

/// Where a parser's tokens come from.
enum Tokens {
    /// Read when asked, on this thread.
    Here(Box<Tokenizer>),
    /// Read ahead on another thread.
    Ahead(ReadAhead),
}

/// Reads a configuration file one element at a time.
pub struct Parser {
    tokens: Tokens,
    /// The chunk being handed out and its tokens, last first.
    chunk: Option<Rc<Chunk>>,
    batch: Vec<Result<Token, XmlError>>,
    /// The end of the empty-element tag handed out last is next (it has
    /// no token of its own).
    implied_end: Option<usize>,
    /// Elements open now, as far as the items handed out go.
    depth: usize,
    /// The end of the file was handed out (the tokens end there).
    ended: bool,
}

impl Parser {
    /// A parser over the text of `file`: in memory, or read again from disk
    /// when the file is streamed, on a second thread when there is a
    /// second core.
    pub fn new(file: &Arc<SourceFile>) -> Result<Parser, XmlError> {
        let tokens = match file.reopen() {
            Some(reader) => {
                let reader = reader.map_err(XmlError::Io)?;
                let tokenizer = Tokenizer::streaming(Box::new(reader), Some(Arc::clone(file)));
                let cores = std::thread::available_parallelism().map_or(1, usize::from);
                if cores > 1 {
                    Tokens::Ahead(ReadAhead::start(tokenizer)?)
                } else {
                    Tokens::Here(Box::new(tokenizer))
                }
            }
            None => Tokens::Here(Box::new(Tokenizer::new(Source::Memory(SharedText::File(
                Arc::clone(file),
            ))))),
        };
        Ok(Parser::over(tokens))
    }

    /// A parser over text shared with the caller (`review`'s documents).
    pub fn over_text(text: Arc<str>) -> Parser {
        Parser::over(Tokens::Here(Box::new(Tokenizer::new(Source::Memory(
            SharedText::Text(text),
        )))))
    }

    fn over(tokens: Tokens) -> Parser {
        Parser {
            tokens,
            chunk: None,
            batch: Vec::new(),
            implied_end: None,
            depth: 0,
            ended: false,
        }
    }

    /// A helper on the thread that reads ahead; `None` when the file is
    /// read on this thread.
    pub fn helper(&self) -> Option<Helper> {
        match &self.tokens {
            Tokens::Ahead(ahead) => Some(Helper {
                jobs: ahead.jobs.clone(),
                walker: ahead.walker_core.clone(),
            }),
            Tokens::Here(_) => None,
        }
    }

    /// The root element.
    pub fn root(&mut self) -> Result<Tag, XmlError> {
        match self.next_item()? {
            Item::Start(tag) => Ok(tag),
            // `next_item` fails before the end of a file without a root element.
            Item::End(_) | Item::Eof => Err(XmlError::syntax(0..0, "the file has no root element")),
        }
    }

    /// The next child element of `parent` (skipping, but checking, the rest
    /// of the previous child), or `None` when `parent` ends.
    pub fn next_child(&mut self, parent: &Tag) -> Result<Option<Tag>, XmlError> {
        // `next_item` without making items of what is skipped.
        let depth = parent.depth();
        loop {
            if self.depth < depth || self.ended {
                return Ok(None);
            }
            if self.implied_end.take().is_some() {
                self.depth -= 1;
                continue;
            }
            match self.next_token()? {
                Token::Start(index) => {
                    let at_parent = self.depth == depth;
                    let tag = self.start(index);
                    if at_parent {
                        return Ok(Some(tag));
                    }
                }
                Token::End(_) => self.depth -= 1,
                Token::Eof => {
                    self.ended = true;
                    return Ok(None);
                }
            }
        }
    }

    /// The start tag `index` of the chunk at hand, handed out: its
    /// element is open (and ends next when the tag is `<name/>`).
    fn start(&mut self, index: usize) -> Tag {
        let chunk = Rc::clone(self.chunk.as_ref().expect("a token comes with its chunk"));
        let data = &chunk.tags[index];
        self.depth += 1;
        if data.self_closing {
            self.implied_end = Some(data.end);
        }
        Tag { chunk, index }
    }

    /// Reads the rest of the file, checking it (call after the root element).
    pub fn finish(&mut self) -> Result<(), XmlError> {
        while !matches!(self.next_item()?, Item::Eof) {}
        Ok(())
    }

    /// The next token, from the batch at hand or the next one.
    fn next_token(&mut self) -> Result<Token, XmlError> {
        loop {
            if let Some(token) = self.batch.pop() {
                return token;
            }
            let batch = match &mut self.tokens {
                Tokens::Here(tokenizer) => tokenizer.next_batch(),
                Tokens::Ahead(ahead) => {
                    let tokens = std::mem::take(&mut self.batch);
                    // The reading thread may have ended: then it is freed here.
                    let _ = ahead.returns.send(Spare {
                        tokens,
                        ..Spare::default()
                    });
                    ahead.next_batch()
                }
            };
            // The tokenizer ends only after the end of the file or an
            // error, which are handed out last; a panic ends it too.
            let Some(Batch { chunk, mut tokens }) = batch else {
                return Err(XmlError::Io(io::Error::other(
                    "the thread reading the file stopped",
                )));
            };
            tokens.reverse();
            self.batch = tokens;
            // Counted without atomic operations from here on: a tag is
            // made and dropped for every element.
            self.chunk = Some(Rc::new(chunk));
        }
    }

    /// The next tag or the end of the file, for a reader that wants every
    /// element and where each ends ([`crate::review`]'s documents).
    pub fn next_item(&mut self) -> Result<Item, XmlError> {
        if self.ended {
            return Ok(Item::Eof);
        }
        if let Some(end) = self.implied_end.take() {
            self.depth -= 1;
            return Ok(Item::End(end..end));
        }
        Ok(match self.next_token()? {
            Token::Start(index) => Item::Start(self.start(index)),
            Token::End(at) => {
                self.depth -= 1;
                Item::End(at)
            }
            Token::Eof => {
                self.ended = true;
                Item::Eof
            }
        })
    }
}

#[cfg(test)]
mod tests;
