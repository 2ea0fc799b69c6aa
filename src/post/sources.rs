//! Input paths → the files to read (folders walked recursively, in a stable order: see
//! [`find_inputs`]) → batches of parsed articles, parsed on all cores and delivered in
//! input order.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

pub use super::walk::{Found, find_inputs};
use super::{Article, Location, MAX_INPUT_BYTES, Rejection, jsonl, parse_post_bytes};
use crate::error::PostError;

/// Inputs parsed together, at most: enough to keep every core busy. A batch also ends
/// once it holds its byte budget of input ([`Reader::with_budget`]), so what is read ahead
/// of the index writer is bounded in bytes, whatever the size of the articles.
const BATCH: usize = 2048;

/// The byte budget of a batch when none is given.
const BATCH_BYTES: usize = 16 * 1024 * 1024;

/// What kind of file an input is, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A Jekyll post (`.md`, `.markdown`, `.html`, `.htm`, `.txt`).
    Post,
    /// JSON Lines (`.jsonl`, `.ndjson`).
    Jsonl,
    /// Gzipped JSON Lines (`.jsonl.gz`, `.ndjson.gz`).
    JsonlGz,
}

impl InputKind {
    /// The kind of a file from its name; `None` for files xinwen does not read.
    pub fn of(path: &Path) -> Option<InputKind> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".jsonl.gz") || name.ends_with(".ndjson.gz") {
            Some(InputKind::JsonlGz)
        } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
            Some(InputKind::Jsonl)
        } else if [".md", ".markdown", ".html", ".htm", ".txt"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            Some(InputKind::Post)
        } else {
            None
        }
    }
}

/// One file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The file, as the user named it (or below a folder they named).
    pub path: PathBuf,
    /// How to read it.
    pub kind: InputKind,
    /// Which file it is, whatever the working directory.
    pub origin: Origin,
    /// Its size when it was found (compressed size for `.gz`).
    pub len: u64,
}

/// The file an article came from, as a hash of its absolute path: a job remembers it with
/// each article, so a prune keeps the articles of a file it could not read completely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Origin(pub u64);

impl Origin {
    /// Articles that came from no file (pushed over HTTP).
    pub const NONE: Origin = Origin(0);

    /// The origin of the file at `absolute`.
    pub fn of(absolute: &Path) -> Origin {
        // 0 stays free for NONE.
        Origin(xxhash_rust::xxh3::xxh3_64(absolute.as_os_str().as_encoded_bytes()).max(1))
    }
}

pub(super) fn reject(path: &Path, line: Option<usize>, reason: PostError) -> Rejection {
    Rejection {
        location: Location {
            path: path.to_path_buf(),
            line,
        },
        reason,
    }
}

/// A batch of parse results, in input order.
#[derive(Debug, Default)]
pub struct Batch {
    /// Articles and rejections, each with the file it came from.
    pub items: Vec<(Origin, Result<Article, Rejection>)>,
    /// Bytes of input files this batch consumed (compressed size for `.gz`), for progress.
    pub bytes: u64,
}

/// Reads inputs batch by batch; an iterator of [`Batch`].
pub struct Reader {
    inputs: std::vec::IntoIter<Input>,
    current: Option<LineSource>,
    pending_posts: Vec<Input>,
    /// Bytes on disk of `pending_posts`.
    pending_bytes: u64,
    /// A batch ends once it holds this many bytes of input.
    budget: usize,
}

struct LineSource {
    path: PathBuf,
    origin: Origin,
    lines: Box<dyn BufRead + Send>,
    line_no: usize,
    done: bool,
    /// Bytes read from disk so far (compressed, for `.gz`), for progress.
    consumed: Arc<AtomicU64>,
    reported: u64,
}

/// A JSONL line and its 1-based number.
type NumberedLine = (usize, Vec<u8>);

/// Counts the bytes read through it, so progress follows the file on disk.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Reader {
    /// A reader over `inputs`, in batches of up to 16 MiB of input.
    pub fn new(inputs: Vec<Input>) -> Self {
        Reader::with_budget(inputs, BATCH_BYTES)
    }

    /// A reader over `inputs`, in batches of up to `budget` bytes of input (plus one input).
    pub fn with_budget(inputs: Vec<Input>, budget: usize) -> Self {
        Reader {
            inputs: inputs.into_iter(),
            current: None,
            pending_posts: Vec::new(),
            pending_bytes: 0,
            budget,
        }
    }

    fn posts_batch(&mut self) -> Batch {
        let posts = std::mem::take(&mut self.pending_posts);
        self.pending_bytes = 0;
        let parsed: Vec<(Result<Article, Rejection>, u64)> = posts.par_iter().map(read_post).collect();
        let bytes = parsed.iter().map(|(_, b)| b).sum();
        Batch {
            items: posts
                .iter()
                .zip(parsed)
                .map(|(input, (r, _))| (input.origin, r))
                .collect(),
            bytes,
        }
    }
}

fn read_post(input: &Input) -> (Result<Article, Rejection>, u64) {
    let bytes = match read_limited(&input.path) {
        Ok(bytes) => bytes,
        Err(reason) => return (Err(reject(&input.path, None, reason)), 0),
    };
    let len = bytes.len() as u64;
    let result = parse_post_bytes(&input.path, &bytes).map_err(|reason| reject(&input.path, None, reason));
    (result, len)
}

fn read_limited(path: &Path) -> Result<Vec<u8>, PostError> {
    let file = File::open(path).map_err(|e| PostError::Read(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| PostError::Read(e.to_string()))?;
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(PostError::TooLarge { limit: MAX_INPUT_BYTES });
    }
    Ok(bytes)
}

fn open_lines(input: &Input, count: Arc<AtomicU64>) -> Result<Box<dyn BufRead + Send>, PostError> {
    let file = File::open(&input.path).map_err(|e| PostError::Read(e.to_string()))?;
    let file = Counting { inner: file, count };
    Ok(match input.kind {
        InputKind::JsonlGz => Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(file),
        )),
        _ => Box::new(BufReader::with_capacity(1 << 16, file)),
    })
}

impl LineSource {
    /// Reads up to [`BATCH`] lines or `budget` bytes of them: (line number, line bytes),
    /// the rejections of lines too long to read (skipped to their end without being kept),
    /// and the bytes consumed on disk. A read error ends the file.
    fn take_lines(&mut self, budget: usize) -> (Vec<NumberedLine>, Vec<Rejection>, u64) {
        let mut lines = Vec::new();
        let mut rejected = Vec::new();
        let mut bytes = 0;
        while lines.len() < BATCH && bytes < budget && !self.done {
            let mut buf = Vec::new();
            match read_line(&mut *self.lines, &mut buf, MAX_INPUT_BYTES) {
                Ok(Line::End) => self.done = true,
                Ok(Line::Read) => {
                    self.line_no += 1;
                    if buf.iter().any(|b| !b.is_ascii_whitespace()) {
                        bytes += buf.len();
                        lines.push((self.line_no, buf));
                    }
                }
                Ok(Line::TooLong) => {
                    self.line_no += 1;
                    let reason = PostError::TooLarge { limit: MAX_INPUT_BYTES };
                    rejected.push(reject(&self.path, Some(self.line_no), reason));
                }
                Err(e) => {
                    self.done = true;
                    rejected.push(reject(
                        &self.path,
                        Some(self.line_no + 1),
                        PostError::Read(e.to_string()),
                    ));
                }
            }
        }
        let now = self.consumed.load(Ordering::Relaxed);
        let consumed = now - self.reported.min(now);
        self.reported = now;
        (lines, rejected, consumed)
    }
}

/// What [`read_line`] read.
enum Line {
    /// The end of the input: nothing was read.
    End,
    /// A line, with its `\n` if it had one.
    Read,
    /// A line longer than the limit: skipped to its end, nothing kept.
    TooLong,
}

/// Reads one line into `buf`, keeping at most `limit` bytes of it (and its newline): the
/// limit holds while reading, so a line of a gigabyte takes no more memory than one of
/// `limit` bytes.
fn read_line(input: &mut dyn BufRead, buf: &mut Vec<u8>, limit: usize) -> std::io::Result<Line> {
    let read = input.take(limit as u64 + 1).read_until(b'\n', buf)?;
    if read == 0 {
        return Ok(Line::End);
    }
    if buf.len() <= limit || buf.ends_with(b"\n") {
        return Ok(Line::Read);
    }
    *buf = Vec::new();
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(Line::TooLong);
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(end) => {
                input.consume(end + 1);
                return Ok(Line::TooLong);
            }
            None => {
                let all = available.len();
                input.consume(all);
            }
        }
    }
}

fn parse_jsonl_bytes(line: &[u8]) -> Result<Article, PostError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > MAX_INPUT_BYTES {
        return Err(PostError::TooLarge { limit: MAX_INPUT_BYTES });
    }
    let text = std::str::from_utf8(line).map_err(|e| PostError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    jsonl::parse_line(text.strip_prefix('\u{feff}').unwrap_or(text))
}

impl Iterator for Reader {
    type Item = Batch;

    fn next(&mut self) -> Option<Batch> {
        loop {
            if self.current.is_some() {
                match self.lines_batch() {
                    Some(batch) => return Some(batch),
                    None => continue,
                }
            }
            let batch = match self.inputs.next() {
                Some(input) if input.kind == InputKind::Post => self.queue_post(input),
                Some(input) => self.open_jsonl(input),
                None => return (!self.pending_posts.is_empty()).then(|| self.posts_batch()),
            };
            if batch.is_some() {
                return batch;
            }
        }
    }
}

impl Reader {
    /// The next lines of the JSONL file being read, parsed; `None` when it had none left.
    fn lines_batch(&mut self) -> Option<Batch> {
        let source = self.current.as_mut()?;
        let (lines, rejected, bytes) = source.take_lines(self.budget);
        let path = source.path.clone();
        let origin = source.origin;
        if source.done {
            self.current = None;
        }
        if lines.is_empty() && rejected.is_empty() {
            return None;
        }
        // Each line is dropped once parsed, so a batch holds its bytes once.
        let mut items: Vec<(usize, Origin, Result<Article, Rejection>)> = lines
            .into_par_iter()
            .map(|(line_no, line)| {
                let parsed = parse_jsonl_bytes(&line).map_err(|reason| reject(&path, Some(line_no), reason));
                (line_no, origin, parsed)
            })
            .collect();
        items.extend(
            rejected
                .into_iter()
                .map(|r| (r.location.line.unwrap_or_default(), origin, Err(r))),
        );
        // Rejections of over-long lines go where their lines were.
        items.sort_by_key(|(line_no, _, _)| *line_no);
        let items = items.into_iter().map(|(_, origin, item)| (origin, item)).collect();
        Some(Batch { items, bytes })
    }

    /// Queues a post; a batch of posts once enough are queued.
    fn queue_post(&mut self, input: Input) -> Option<Batch> {
        self.pending_bytes += input.len;
        self.pending_posts.push(input);
        (self.pending_posts.len() >= BATCH || self.pending_bytes >= self.budget as u64).then(|| self.posts_batch())
    }

    /// Starts reading a JSONL file; the posts queued before it go first, to keep the input
    /// order, and a file that cannot be opened is a rejection.
    fn open_jsonl(&mut self, input: Input) -> Option<Batch> {
        let flushed = (!self.pending_posts.is_empty()).then(|| self.posts_batch());
        let consumed = Arc::new(AtomicU64::new(0));
        match open_lines(&input, Arc::clone(&consumed)) {
            Ok(lines) => {
                self.current = Some(LineSource {
                    path: input.path,
                    origin: input.origin,
                    lines,
                    line_no: 0,
                    done: false,
                    consumed,
                    reported: 0,
                });
                flushed
            }
            Err(reason) => {
                let mut batch = flushed.unwrap_or_default();
                batch.items.push((input.origin, Err(reject(&input.path, None, reason))));
                Some(batch)
            }
        }
    }
}

/// Total size in bytes of the input files (compressed size for `.gz`), for progress bars.
pub fn total_bytes(inputs: &[Input]) -> u64 {
    inputs
        .iter()
        .filter_map(|i| std::fs::metadata(&i.path).ok())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], limit: usize) -> Vec<Result<String, &'static str>> {
        let mut reader = BufReader::with_capacity(4, input);
        let mut out = Vec::new();
        loop {
            let mut buf = Vec::new();
            match read_line(&mut reader, &mut buf, limit).expect("in memory") {
                Line::End => return out,
                Line::Read => out.push(Ok(String::from_utf8_lossy(&buf).into_owned())),
                Line::TooLong => {
                    assert!(buf.capacity() == 0, "nothing of a long line is kept");
                    out.push(Err("too long"));
                }
            }
        }
    }

    #[test]
    fn a_line_over_the_limit_is_skipped_to_its_end_and_the_next_is_read() {
        assert_eq!(
            lines(b"12345\n123456\nab\n1234567890123\nlast", 5),
            [
                Ok("12345\n".into()),
                Err("too long"),
                Ok("ab\n".into()),
                Err("too long"),
                Ok("last".into())
            ]
        );
        assert_eq!(
            lines(b"123456", 5),
            [Err("too long")],
            "a long last line without a newline"
        );
        assert_eq!(lines(b"", 5), []);
    }
}
