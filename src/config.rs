//! Defaults and limits, in one place so the README, the CLI and the server agree.

use std::time::Duration;

/// The default index location, relative to the working directory.
pub const DEFAULT_INDEX_DIR: &str = "index";

/// What `xinwen serve` indexes when the default index is missing.
pub const DEFAULT_SOURCES: [&str; 2] = ["fixtures/posts", "fixtures/jsonl"];

/// The default address of `xinwen serve`: loopback only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7700";

/// Results a page by default.
pub const DEFAULT_LIMIT: usize = 10;

/// The most results a page.
pub const MAX_LIMIT: usize = 100;

/// The deepest result reachable by paging (offset + limit).
pub const MAX_DEPTH: usize = 10_000;

/// The longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 500;

/// The most words, phrases and filters in one query.
pub const MAX_QUERY_TERMS: usize = 32;

/// Target snippet length in characters (a little more when a sentence end is near).
pub const SNIPPET_CHARS: usize = 120;

/// Memory the index writer may use for buffering before it flushes a segment, in bytes,
/// shared by its threads (README, "Bounded memory", says what else a job holds).
pub const WRITER_MEMORY_BYTES: usize = 256 * 1024 * 1024;

/// Score multiplier of a match in the title, relative to the body.
pub const TITLE_BOOST: f32 = 3.0;

/// Score multiplier of a match in the tags, relative to the body.
pub const TAGS_BOOST: f32 = 1.5;

/// How long `xinwen serve` waits for a whole request header: from connecting, or from the
/// first byte of a later request on a kept-alive connection.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `xinwen serve` keeps a connection open with no request after an answer.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Connections `xinwen serve` keeps open at once; at the cap, the one whose client has
/// stalled longest is closed for a newcomer.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// The most words one query searches for once its texts are segmented (`中国中国` is two):
/// a search's work grows with them, spaces or not. Real headlines have up to about 55.
pub const MAX_QUERY_WORDS: usize = 64;

/// Input read ahead of the index writer, as a share of the writer's memory budget: the
/// parsed batch waiting for the writer, and the documents handed to it and not indexed
/// yet, may each take `memory / READ_AHEAD_SHARE` bytes (16 MiB with the default budget),
/// plus one input. tantivy's own queue holds up to 10,000 documents whatever their size.
pub const READ_AHEAD_SHARE: usize = 16;

/// The least read-ahead of each kind, in bytes, however small the budget.
pub const MIN_READ_AHEAD_BYTES: usize = 1024 * 1024;

/// Rejections listed in a job's report (all are counted, and all are printed as they come).
pub const MAX_LISTED_REJECTIONS: usize = 1000;

/// Articles in one ingestion request (`POST /api/articles`) at most: a request with more is
/// refused whole (413), so its work and its answer stay proportional to a real batch.
pub const MAX_INGEST_RECORDS: usize = 10_000;

/// Rejections listed in the answer to one ingestion request (the rest are counted).
pub const MAX_LISTED_INGEST_REJECTIONS: usize = 100;

/// The most completions `GET /api/suggest` returns.
pub const MAX_SUGGESTIONS: usize = 10;

/// The most related articles `GET /api/articles/{id}/related` returns.
pub const MAX_RELATED: usize = 10;

/// Articles `GET /api/stories/{id}` lists at most (the oldest first).
pub const MAX_STORY_ARTICLES: usize = 100;

/// The smallest writer budget `xinwen index --memory-mib` accepts: what tantivy needs for
/// one indexing thread (each thread gets at least this much whatever the budget).
pub const MIN_WRITER_MIB: u64 = 16;

// Limits that lived beside the code that enforces them, gathered here (issue 9).

/// The largest post file or JSONL line read; anything larger is rejected, not truncated.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// The longest id kept as written.
pub const MAX_ID_LEN: usize = 128;

/// The largest request body accepted, in bytes (413 beyond).
pub const MAX_BODY_BYTES: u64 = 8 * 1024 * 1024;

/// The longest query string accepted, in bytes (414 beyond).
pub const MAX_QUERY_STRING: usize = 8 * 1024;

/// The longest recency half-life accepted, in days (a century).
pub const MAX_RECENCY_DAYS: f64 = 36_500.0;

/// The most values reported per facet.
pub const MAX_FACET_VALUES: usize = 30;

/// The longest timeout accepted, in seconds (a day).
pub const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// The most attributes a tag keeps; a `>` is inserted before the next one.
pub const MAX_ATTRIBUTES: usize = 256;

/// The most nodes the tree builder may hold (open elements, remembered formatting elements)
/// before start tags stop being passed on to it.
pub const MAX_OPEN_NODES: usize = 256;

/// The most formatting elements (`<b>`, `<a>`, `<font>` …) the tree builder may hold.
pub const MAX_FORMATTING: usize = 32;

/// Largest snapshot manifest a restore reads (about 30,000 files' worth).
pub const MAX_SNAPSHOT_MANIFEST_BYTES: usize = 8 * 1024 * 1024;

/// Most files a snapshot's manifest may list.
pub const MAX_SNAPSHOT_FILES: usize = 100_000;
