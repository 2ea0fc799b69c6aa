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
}

impl ErrorCode for PostError {
    /// The rejection reason (report keys, ingestion answers).
    fn code(&self) -> Code {
        match self {
            PostError::Read(_) => Code::Unreadable,
            PostError::TooLarge { .. } => Code::TooLarge,
            PostError::InvalidUtf8 { .. } => Code::InvalidUtf8,
            PostError::NoFrontMatter => Code::NoFrontMatter,
            PostError::UnterminatedFrontMatter => Code::UnterminatedFrontMatter,
            PostError::InvalidFrontMatter(_) => Code::InvalidFrontMatter,
            PostError::MissingTitle => Code::MissingTitle,
            PostError::InvalidDate(_) => Code::InvalidDate,
            PostError::InvalidField { .. } => Code::InvalidField,
            PostError::EmptyBody => Code::EmptyBody,
            PostError::InvalidJson(_) => Code::InvalidJson,
            PostError::NotAnObject => Code::NotAnObject,
            PostError::NotAFile(_) => Code::NotAFile,
        }
    }
}

/// A query or search parameter a user got wrong. The message is one line and says what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
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
    /// A page size out of range.
    #[error("invalid limit: {given}: use 1 to {max}")]
    InvalidLimit {
        /// What was given.
        given: usize,
        /// The largest page.
        max: usize,
    },
    /// A page that reaches past the deepest result served.
    #[error("invalid offset: results beyond the first {max} cannot be paged to; narrow the query")]
    TooDeep {
        /// The deepest result served.
        max: usize,
    },
    /// An order that is neither relevance nor date.
    #[error("invalid sort: {given:?}: use relevance or date")]
    InvalidSort {
        /// What was given.
        given: String,
    },
    /// A collapse that is neither none, title nor story.
    #[error("`collapse` may be `title` (one result per headline), `story` (one per story) or `none`, not {given:?}")]
    InvalidCollapse {
        /// What was given.
        given: String,
    },
    /// A story id that is not `s-` and 16 lowercase hex digits.
    #[error("invalid story id: {given:?}: a story id is `s-` and 16 hex digits")]
    InvalidStory {
        /// What was given.
        given: String,
    },
    /// A `cursor` that cannot be used: damaged, made for another request, or given with
    /// `page`.
    #[error("invalid cursor: {reason}; start again without `cursor`")]
    InvalidCursor {
        /// What is wrong with it.
        reason: String,
    },
    /// A recency half-life out of range.
    #[error("invalid recency: {days}: give a half-life in days, above 0 and at most {max}")]
    InvalidRecency {
        /// What was given.
        days: f64,
        /// The longest half-life.
        max: f64,
    },
    /// An analyze mode that is neither index nor query.
    #[error("invalid mode: {given:?}: use index or query")]
    InvalidMode {
        /// What was given.
        given: String,
    },
    /// An `explain` value that is not a yes or no.
    #[error("invalid explain: {given:?}: use true or false")]
    InvalidExplain {
        /// What was given.
        given: String,
    },
    /// Nothing to analyze.
    #[error("empty text: give a text to analyze")]
    EmptyText,
    /// A text to analyze longer than the limit.
    #[error("text too long: {len} characters, at most {max}")]
    TextTooLong {
        /// Characters in the text.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Something this backend does not do (explain or analyze on a cluster).
    #[error("not supported: {0}")]
    NotSupported(String),
}

impl ErrorCode for QueryError {
    fn code(&self) -> Code {
        match self {
            QueryError::TooLong { .. } => Code::QueryTooLong,
            QueryError::TooComplex { .. } | QueryError::TooManyWords { .. } => Code::QueryTooComplex,
            QueryError::Empty => Code::EmptyQuery,
            QueryError::InvalidDate { .. } => Code::InvalidDate,
            QueryError::EmptyDateRange { .. } => Code::EmptyDateRange,
            QueryError::InvalidLimit { .. } => Code::InvalidPerPage,
            QueryError::TooDeep { .. } => Code::InvalidPage,
            QueryError::InvalidSort { .. } => Code::InvalidSort,
            QueryError::InvalidCollapse { .. } => Code::InvalidCollapse,
            QueryError::InvalidStory { .. } => Code::InvalidStory,
            QueryError::InvalidRecency { .. } => Code::InvalidRecency,
            QueryError::InvalidMode { .. } => Code::InvalidMode,
            QueryError::InvalidExplain { .. } => Code::InvalidExplain,
            QueryError::EmptyText => Code::EmptyText,
            QueryError::TextTooLong { .. } => Code::QueryTooLong,
            QueryError::NotSupported(_) => Code::NotSupported,
            QueryError::InvalidCursor { .. } => Code::InvalidCursor,
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
    /// A story id no live article carries.
    #[error("no article carries story {0:?}")]
    UnknownStory(String),
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
    /// A stop-word or synonyms file that cannot be used; nothing was saved.
    #[error("invalid {kind} file {path}")]
    Words {
        /// `stop-word`, `synonyms` or `aliases`.
        kind: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it (its line).
        #[source]
        source: crate::search::words::WordsError,
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
    /// No node of a cluster backend answered (`node: reason` for each one tried).
    #[error("backend unavailable: no node answered ({})", .0.join("; "))]
    NoNodeAnswered(Vec<String>),
}

impl ErrorCode for IndexError {
    fn code(&self) -> Code {
        match self {
            IndexError::UnknownId(_) => Code::UnknownId,
            IndexError::UnknownStory(_) => Code::UnknownStory,
            IndexError::NoNodeAnswered(_) => Code::BackendUnavailable,
            IndexError::Locked { .. } => Code::IndexLocked,
            IndexError::NoSpace { .. } => Code::NoSpace,
            IndexError::Missing { .. }
            | IndexError::DanglingCurrent { .. }
            | IndexError::NoCurrent { .. }
            | IndexError::Unavailable(_) => Code::IndexUnavailable,
            IndexError::Unreadable { .. }
            | IndexError::Io { .. }
            | IndexError::Tantivy(_)
            | IndexError::Dictionary { .. }
            | IndexError::Words { .. }
            | IndexError::Refused(_)
            | IndexError::ReaderFailed(_) => Code::Internal,
        }
    }
}

/// Errors of snapshots: writing a copy of the live generation, and restoring one.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The snapshot cannot be written where asked (a missing directory, a bad path).
    #[error("cannot write the snapshot {path}: {reason}; nothing was written")]
    Destination {
        /// Where the snapshot was to go.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The disk filled up while the snapshot was written; its partial file was removed.
    #[error("no space left on device writing the snapshot {path}: its partial file was removed")]
    NoSpace {
        /// Where the snapshot was to go.
        path: PathBuf,
    },
    /// Another snapshot is being written to the same place.
    #[error("another snapshot is being written to {path}; retry when it is done")]
    Busy {
        /// The file (or directory) being written.
        path: PathBuf,
    },
    /// A snapshot whose bytes are not what its manifest says: damaged or truncated.
    #[error("the snapshot {path} is damaged: {reason}; nothing was restored")]
    Damaged {
        /// The snapshot file.
        path: PathBuf,
        /// What does not match.
        reason: String,
    },
    /// A snapshot that holds what a snapshot must not (links, paths leaving the index,
    /// entries its manifest does not list, another version's index).
    #[error("the snapshot {path} is refused: {reason}; nothing was restored")]
    Refused {
        /// The snapshot file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A filesystem error.
    #[error("{context}")]
    Io {
        /// What we were doing.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The index could not be read or locked.
    #[error(transparent)]
    Index(#[from] IndexError),
}

impl ErrorCode for SnapshotError {
    fn code(&self) -> Code {
        match self {
            SnapshotError::NoSpace { .. } => Code::NoSpace,
            SnapshotError::Busy { .. } => Code::SnapshotInProgress,
            SnapshotError::Damaged { .. } | SnapshotError::Refused { .. } => Code::InvalidSnapshot,
            SnapshotError::Destination { .. } | SnapshotError::Io { .. } => Code::Internal,
            SnapshotError::Index(e) => e.code(),
        }
    }
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

impl ErrorCode for Error {
    fn code(&self) -> Code {
        match self {
            Error::Query(e) => e.code(),
            Error::Index(e) => e.code(),
        }
    }
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Index(IndexError::Tantivy(e))
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whose fault an error is, and so how a front door answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The caller got something wrong (a parameter, a body, a post): say what, 4xx / exit 2.
    User,
    /// No such article or route.
    NotFound,
    /// Another job holds the index: retry later.
    Conflict,
    /// The index cannot answer now (no index, a broken pointer, a node down, a full disk).
    Unavailable,
    /// A fault of ours: logged, answered without detail.
    Internal,
}

impl Kind {
    /// The table's word for the kind (the README's error table).
    pub const fn name(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::NotFound => "not found",
            Kind::Conflict => "conflict",
            Kind::Unavailable => "unavailable",
            Kind::Internal => "internal",
        }
    }
}

/// Defines [`Code`] from one table: each code's name, kind, HTTP status and meaning,
/// written once (meilisearch's `make_error_codes!` is the model).
macro_rules! error_codes {
    ($($variant:ident $name:literal $kind:ident $status:literal $meaning:literal;)*) => {
        /// Every error code xinwen gives: in HTTP error bodies, ingestion answers and index
        /// reports (rejection reasons). Its name, kind and status come from one table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $meaning] $variant,)*
        }

        impl Code {
            /// Every code, in the table's order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable name clients match on (`invalid_per_page`).
            pub const fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// Whose fault it is.
            pub const fn kind(self) -> Kind {
                match self { $(Code::$variant => Kind::$kind,)* }
            }

            /// The HTTP status of an answer with this code.
            pub const fn status(self) -> u16 {
                match self { $(Code::$variant => $status,)* }
            }

            /// What the code means, one line (the README's error table).
            pub const fn meaning(self) -> &'static str {
                match self { $(Code::$variant => $meaning,)* }
            }
        }
    };
}

error_codes! {
    InvalidPerPage "invalid_per_page" User 400 "`per_page` (`--limit`) is not a whole number in the allowed range";
    InvalidPage "invalid_page" User 400 "`page` is not a whole number, or pages past the deepest result allowed";
    InvalidCursor "invalid_cursor" User 400 "a `cursor` that is damaged, made for another query, or given with `page`";
    InvalidSort "invalid_sort" User 400 "`sort` is neither `relevance` nor `date`";
    InvalidCollapse "invalid_collapse" User 400 "`collapse` is none of `story`, `title` and `none`";
    InvalidStory "invalid_story" User 400 "a story id that is not `s-` and 16 hex digits";
    InvalidRecency "invalid_recency" User 400 "`recency` is not a half-life in days in the allowed range";
    InvalidDate "invalid_date" User 400 "a `from`/`to` bound, or a post's `date`, that is not a date";
    EmptyDateRange "empty_date_range" User 400 "`from` is after `to`";
    EmptyQuery "empty_query" User 400 "no words to search for and no filter";
    QueryTooLong "query_too_long" User 400 "the query has more characters than allowed";
    QueryTooComplex "query_too_complex" User 400 "the query has too many terms or words";
    InvalidMode "invalid_mode" User 400 "`mode` (analyze) is neither `index` nor `query`";
    InvalidExplain "invalid_explain" User 400 "`explain` is neither `true` nor `false`";
    EmptyText "empty_text" User 400 "`text` (analyze) is missing or blank";
    NotSupported "not_supported" User 400 "the backend cannot do that (analyze, explain on a cluster)";
    UnknownParameter "unknown_parameter" User 400 "a parameter the endpoint does not take";
    DuplicateParameter "duplicate_parameter" User 400 "a parameter given more than once";
    InvalidEncoding "invalid_encoding" User 400 "a parameter that is not UTF-8 once percent-decoded";
    InvalidId "invalid_id" User 400 "an article id in the path that is not UTF-8";
    InvalidHeader "invalid_header" User 400 "a request header with a value that cannot be read";
    MissingHeader "missing_header" User 400 "a required request header is missing";
    InvalidUtf8 "invalid_utf8" User 400 "a body, post or line that is not UTF-8";
    InvalidJson "invalid_json" User 400 "a body or JSONL line that is not JSON";
    EmptyBody "empty_body" User 400 "an empty request body, or a post with no text left";
    Unauthorized "unauthorized" User 401 "ingestion without the server's admin token";
    AdminDisabled "admin_disabled" User 403 "ingestion on a server started without XINWEN_ADMIN_TOKEN";
    CorsForbidden "cors_forbidden" User 403 "a cross-origin request from an origin not allowed";
    NotFound "not_found" NotFound 404 "no such route";
    UnknownId "unknown_id" NotFound 404 "no article with that id";
    UnknownStory "unknown_story" NotFound 404 "no live article carries that story id";
    MethodNotAllowed "method_not_allowed" User 405 "the path does not take that method";
    IndexLocked "index_locked" Conflict 409 "another job is writing the index";
    LengthRequired "length_required" User 411 "a body without a Content-Length";
    PayloadTooLarge "payload_too_large" User 413 "a request body larger than allowed";
    TooManyRecords "too_many_records" User 413 "more articles in one ingestion request than allowed";
    UriTooLong "uri_too_long" User 414 "a query string longer than allowed";
    UnsupportedMediaType "unsupported_media_type" User 415 "a body that is neither JSON nor NDJSON";
    Internal "internal" Internal 500 "a fault of the server; its log has the details";
    IndexUnavailable "index_unavailable" Unavailable 503 "the index cannot be read or reached now";
    NoSpace "no_space" Unavailable 507 "the server's disk is full; nothing of the request was written (no article indexed, no snapshot kept)";
    Unreadable "unreadable" User 400 "rejected: an input that cannot be read";
    TooLarge "too_large" User 400 "rejected: an input larger than allowed";
    NoFrontMatter "no_front_matter" User 400 "rejected: a post that does not start with `---`";
    UnterminatedFrontMatter "unterminated_front_matter" User 400 "rejected: front matter not closed by `---`";
    InvalidFrontMatter "invalid_front_matter" User 400 "rejected: front matter that cannot be read";
    MissingTitle "missing_title" User 400 "rejected: no title";
    InvalidField "invalid_field" User 400 "rejected: a field of the wrong type";
    NotAnObject "not_an_object" User 400 "rejected: a record that is not a JSON object";
    NotAFile "not_a_file" User 400 "rejected: a news file name on something that is not a file";
    BackendUnavailable "backend_unavailable" Unavailable 503 "no node of the cluster backend answered (`--backend`)";
    SnapshotsDisabled "snapshots_disabled" User 403 "`POST /api/snapshots` on a server started without `--snapshot-dir`";
    SnapshotInProgress "snapshot_in_progress" Conflict 409 "another snapshot is being written to the same place";
    InvalidSnapshot "invalid_snapshot" User 400 "a snapshot that is damaged, truncated or refused (`xinwen restore`)";
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An error with a [`Code`] from the table: its `Display` is the message a person reads.
pub trait ErrorCode: std::error::Error {
    /// The error's code.
    fn code(&self) -> Code;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's table, row by row, as the code table would write it.
    #[test]
    fn the_readme_error_table_is_the_code_table() {
        let readme = include_str!("../README.md");
        let section = readme.split("### Error codes").nth(1).unwrap_or_default();
        let shown: Vec<&str> = section
            .lines()
            .skip_while(|l| !l.starts_with("| code |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect();
        let expected: Vec<String> = Code::ALL
            .iter()
            .map(|c| {
                format!(
                    "| `{}` | {} | {} | {} |",
                    c.name(),
                    c.status(),
                    c.kind().name(),
                    c.meaning()
                )
            })
            .collect();
        assert_eq!(shown, expected);
    }

    #[test]
    fn codes_are_unique_and_statuses_match_their_kind() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len(), "a code name used twice");
        for code in Code::ALL {
            let range = match code.kind() {
                Kind::User => 400..500,
                Kind::NotFound => 404..405,
                Kind::Conflict => 409..410,
                Kind::Unavailable => 503..508,
                Kind::Internal => 500..501,
            };
            assert!(range.contains(&code.status()), "{code}: {}", code.status());
        }
    }

    #[test]
    fn typed_parameters_have_their_own_codes() {
        let cases: [(QueryError, &str, &str); 4] = [
            (
                QueryError::InvalidLimit { given: 0, max: 100 },
                "invalid_per_page",
                "invalid limit: 0: use 1 to 100",
            ),
            (
                QueryError::TooDeep { max: 10_000 },
                "invalid_page",
                "invalid offset: results beyond the first 10000 cannot be paged to; narrow the query",
            ),
            (
                QueryError::InvalidSort { given: "size".into() },
                "invalid_sort",
                "invalid sort: \"size\": use relevance or date",
            ),
            (
                QueryError::InvalidRecency {
                    days: 0.0,
                    max: 36_500.0,
                },
                "invalid_recency",
                "invalid recency: 0: give a half-life in days, above 0 and at most 36500",
            ),
        ];
        for (error, code, message) in cases {
            assert_eq!((error.code().name(), error.to_string().as_str()), (code, message));
        }
        assert_eq!(PostError::Read("gone".into()).code(), "unreadable");
        assert_eq!(IndexError::UnknownId("x".into()).code().status(), 404);
        assert_eq!(IndexError::Unavailable("down".into()).code().status(), 503);
    }
}
