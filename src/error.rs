//! The library's error types, one enum per boundary: a rejected input ([`PostError`]), a
//! query a user typed ([`QueryError`]), and the index itself ([`IndexError`]).
//!
//! User faults (a bad post, a bad query, a bad parameter) are kept apart from internal ones
//! (I/O, tantivy) so the CLI can exit 2 with the message and the server can answer 4xx.

use std::path::PathBuf;

/// Why one post file or JSONL line was rejected. Messages are lowercase and name no file:
/// the [`crate::post::Rejection`] that carries them adds the location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Read(String),
    /// The input is larger than the configured limit.
    #[error("larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The bytes are not UTF-8.
    #[error("not valid UTF-8 (first bad byte at offset {offset})")]
    InvalidUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// A post that does not start with a `---` line.
    #[error("no front matter: a post starts with a `---` line")]
    NoFrontMatter,
    /// Front matter opened but never closed.
    #[error("front matter is not closed by a `---` line")]
    UnterminatedFrontMatter,
    /// Front matter that is neither YAML nor simple `key: value` lines.
    #[error("invalid front matter: {0}")]
    InvalidFrontMatter(String),
    /// No `title`, or an empty one.
    #[error("no title")]
    MissingTitle,
    /// A `date` that is not a date.
    #[error("invalid date {0:?}: expected YYYY-MM-DD, optionally with HH:MM[:SS] and an offset")]
    InvalidDate(String),
    /// A field of the wrong type.
    #[error("`{field}` must be {expected}")]
    InvalidField {
        /// The field name.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// Nothing left of the body once markup and trailer are removed.
    #[error("empty body")]
    EmptyBody,
    /// A JSONL line that is not JSON.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// A JSONL line that is JSON but not an object.
    #[error("not a JSON object")]
    NotAnObject,
    /// A news file name on something that is not a regular file (reading a FIFO blocks).
    #[error("not a regular file ({0})")]
    NotAFile(&'static str),
}

impl PostError {
    /// Whether the input could not be read at all (rather than read and refused for what
    /// it holds): after such an error a job cannot know what the input holds, so it
    /// deletes nothing.
    pub fn is_unreadable(&self) -> bool {
        matches!(self, PostError::Read(_) | PostError::NotAFile(_))
    }

    /// A stable code for counting rejections by reason (report keys, JSON).
    pub fn code(&self) -> &'static str {
        match self {
            PostError::Read(_) => "unreadable",
            PostError::TooLarge { .. } => "too_large",
            PostError::InvalidUtf8 { .. } => "invalid_utf8",
            PostError::NoFrontMatter => "no_front_matter",
            PostError::UnterminatedFrontMatter => "unterminated_front_matter",
            PostError::InvalidFrontMatter(_) => "invalid_front_matter",
            PostError::MissingTitle => "missing_title",
            PostError::InvalidDate(_) => "invalid_date",
            PostError::InvalidField { .. } => "invalid_field",
            PostError::EmptyBody => "empty_body",
            PostError::InvalidJson(_) => "invalid_json",
            PostError::NotAnObject => "not_an_object",
            PostError::NotAFile(_) => "not_a_file",
        }
    }
}

/// A query or search parameter a user got wrong. The message is one line and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The query text is longer than the limit.
    #[error("query too long: {len} characters, at most {max}")]
    TooLong {
        /// Characters in the query.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The query has more words and operators than the limit.
    #[error("query too complex: {count} terms, at most {max}")]
    TooComplex {
        /// Terms in the query.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Nothing to search for: no words and no filters.
    #[error("empty query: give at least one word to search for, or a filter")]
    Empty,
    /// The query's texts segment into more words than the limit (typed with or without
    /// spaces).
    #[error("query too complex: {count} words once segmented, at most {max}")]
    TooManyWords {
        /// Words after segmentation.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A date bound that is not a date.
    #[error("invalid {name} date {value:?}: use YYYY-MM-DD or RFC 3339")]
    InvalidDate {
        /// `from` or `to`.
        name: &'static str,
        /// What was given.
        value: String,
    },
    /// `from` later than `to`.
    #[error("date range is empty: from {from} is after to {to}")]
    EmptyDateRange {
        /// The lower bound as given.
        from: String,
        /// The upper bound as given.
        to: String,
    },
    /// A numeric or enumerated parameter out of range.
    #[error("invalid {name}: {message}")]
    InvalidParameter {
        /// The parameter name.
        name: &'static str,
        /// What is wrong and what is allowed.
        message: String,
    },
}

impl QueryError {
    /// A stable machine-readable code (HTTP error bodies).
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::TooLong { .. } => "query_too_long",
            QueryError::TooComplex { .. } | QueryError::TooManyWords { .. } => "query_too_complex",
            QueryError::Empty => "empty_query",
            QueryError::InvalidDate { .. } => "invalid_date",
            QueryError::EmptyDateRange { .. } => "empty_date_range",
            QueryError::InvalidParameter { name, .. } => match *name {
                "limit" | "per_page" => "invalid_per_page",
                "offset" | "page" => "invalid_page",
                "sort" => "invalid_sort",
                "recency" => "invalid_recency",
                _ => "invalid_parameter",
            },
        }
    }
}

/// Errors of the index: opening, writing, reading.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// No index at the path.
    #[error("no index at {path}: build one with `xinwen index --index {path} PATH…`")]
    Missing {
        /// The index directory.
        path: PathBuf,
    },
    /// A directory that exists but is not a readable xinwen index.
    #[error("cannot open the index at {path}: {reason}; rebuild it with `xinwen index --rebuild --index {path} PATH…`")]
    Unreadable {
        /// The index directory.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Another job holds the index's writer lock.
    #[error("the index at {path} is locked by another writer ({holder}); wait for it, or pass --wait")]
    Locked {
        /// The index directory.
        path: PathBuf,
        /// What holds the lock, as far as we know.
        holder: String,
    },
    /// An article id that is not in the index.
    #[error("no article with id {0:?}")]
    UnknownId(String),
    /// A filesystem error.
    #[error("{context}")]
    Io {
        /// What we were doing.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An error inside tantivy.
    #[error("index error")]
    Tantivy(#[from] tantivy::TantivyError),
    /// A user dictionary that cannot be read.
    #[error("invalid user dictionary {path}: {reason}")]
    Dictionary {
        /// The dictionary file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A request the index cannot honour as asked (e.g. a dictionary change without rebuild).
    #[error("{0}")]
    Refused(String),
    /// `CURRENT` names a generation that is not there (a typo, a partly restored backup).
    #[error(
        "{path}/CURRENT names {name:?}, which does not exist; nothing was changed. List the generations with \
         `xinwen generations --index {path}` and choose one with `xinwen generations --index {path} --use NAME`"
    )]
    DanglingCurrent {
        /// The index directory.
        path: PathBuf,
        /// The name `CURRENT` gives.
        name: String,
    },
    /// Finished generations but no `CURRENT` saying which one is live.
    #[error(
        "{path} has generations ({names}) but no CURRENT naming the live one; nothing was changed. Choose one \
         with `xinwen generations --index {path} --use NAME` (`xinwen generations --index {path}` lists them)"
    )]
    NoCurrent {
        /// The index directory.
        path: PathBuf,
        /// The generations found, comma-separated.
        names: String,
    },
    /// The thread reading the inputs failed; the job was abandoned.
    #[error("reading the inputs failed ({0}); nothing was committed")]
    ReaderFailed(String),
    /// The disk is full. Before the commit the job is undone and its files removed.
    #[error("{}", no_space_message(path, *committed))]
    NoSpace {
        /// Where the job was writing.
        path: PathBuf,
        /// Whether the job's articles were committed before the disk filled up.
        committed: bool,
    },
    /// A backend that cannot answer now (a cluster node down); a later try may work.
    #[error("the index cannot be reached: {0}")]
    Unavailable(String),
}

fn no_space_message(path: &std::path::Path, committed: bool) -> String {
    if committed {
        format!(
            "no space left on device writing {}: the job's articles are committed, tidying up after them failed; \
             free some space and run a job again",
            path.display()
        )
    } else {
        format!(
            "no space left on device writing {}: nothing was committed and the job's files were removed; \
             free some space and run the job again",
            path.display()
        )
    }
}

/// Any error of the library, for front doors that handle them all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A query error (user fault).
    #[error(transparent)]
    Query(#[from] QueryError),
    /// An index error.
    #[error(transparent)]
    Index(#[from] IndexError),
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Index(IndexError::Tantivy(e))
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
