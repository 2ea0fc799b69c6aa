//! Shared by the integration tests: one index of the good fixtures (`fixtures/posts` and
//! `fixtures/jsonl`), built once per test binary into a temporary directory that lives as
//! long as the process, and small helpers that turn queries into lists of ids.

#![allow(dead_code)] // each test binary uses its own subset of the helpers

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use tempfile::TempDir;
use xinwen::indexer::{self, IndexOptions, IndexReport, Silent};
use xinwen::search::{Engine, SearchRequest, SearchResponse};
use xinwen::store::IndexDir;

/// The corpus folder, or `None` (with a note) when it is absent; absence fails the test
/// instead when `XINWEN_REQUIRE_CORPUS` is set, as `.ci/run` sets it.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("XINWEN_REQUIRE_CORPUS").is_none(),
            "{} is absent and XINWEN_REQUIRE_CORPUS is set",
            dir.display()
        );
        eprintln!("skip: {} absent", dir.display());
        return None;
    }
    Some(dir)
}

/// The keys of every hit, in the JSON of `xinwen search --json` and of `/api/search`, sorted.
pub const HIT_KEYS: [&str; 11] = [
    "categories",
    "category_names",
    "date",
    "id",
    "score",
    "snippet_html",
    "story",
    "tags",
    "title",
    "title_html",
    "url",
];

/// Queries that have crashed or hung query parsers: each must answer or fail with a query
/// error, on every front door.
pub const HOSTILE_QUERIES: [&str; 35] = [
    "title:(",
    "\"",
    "-",
    "OR",
    "((",
    "\u{0}",
    "tag:",
    "category:",
    "title:",
    ":",
    "OR OR",
    "a OR",
    "OR a",
    "\"unclosed 人工",
    "title:\"",
    "tag:\"",
    "“",
    "－",
    "—",
    "AND",
    "&&",
    "|",
    "*",
    "\\",
    "[]{}^~!?",
    "\u{feff}",
    "\u{200b}",
    "😀",
    "a:b:c",
    "title:title:上海",
    "上海:股市",
    "-\"",
    "- - -",
    "<script>alert(1)</script>",
    "%00",
];

/// `人工智能`, best first (tests/FIXTURES.md, query 5).
pub const AI_IDS: [&str; 5] = [
    "ai-model-release",
    "ai-chip-demand",
    "phone-launch",
    "ai-course-schools",
    "long-elderly-care",
];

/// `公司` in category caijing, newest first: 11 articles, so two pages of 10.
pub const COMPANY_CAIJING_PAGE_1: [&str; 10] = [
    "cls-20250613-pv",
    "ipo-star-market",
    "hk-tech-stocks",
    "fl-20240612-001",
    "trad-taiwan-economy",
    "a-share-rally",
    "a-share-baijiu",
    "em-stock-news",
    "dup-trade-caijing",
    "old-nav-digest",
];

/// The second page of [`COMPANY_CAIJING_PAGE_1`].
pub const COMPANY_CAIJING_PAGE_2: [&str; 1] = ["fund-issuance"];

/// The crate root, where `fixtures/` lives.
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `xinwen` binary from the crate root (plain logs, no colour, no stdin): its
/// exit code, stdout and stderr.
pub fn run_xinwen(args: &[&str]) -> (Option<i32>, String, String) {
    let std::process::Output { status, stdout, stderr } = std::process::Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(args)
        .current_dir(manifest_dir())
        .env_remove("XINWEN_LOG")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run xinwen");
    (
        status.code(),
        String::from_utf8(stdout).expect("UTF-8"),
        String::from_utf8(stderr).expect("UTF-8"),
    )
}

/// A path as the `&str` argument a command line takes.
pub fn arg(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// A path under `fixtures/`.
pub fn fixture(relative: &str) -> PathBuf {
    manifest_dir().join("fixtures").join(relative)
}

/// The good inputs: every post and every JSONL file (plain and gzip).
pub fn good_inputs() -> Vec<PathBuf> {
    vec![fixture("posts"), fixture("jsonl")]
}

/// Good posts in `fixtures/posts/`.
pub const POSTS: usize = 60;
/// Good records in `fixtures/jsonl/articles.jsonl`.
pub const JSONL_ARTICLES: usize = 11;
/// Good records in `fixtures/jsonl/flashes.jsonl.gz`.
pub const JSONL_FLASHES: usize = 5;
/// Good records in `fixtures/literal/articles.jsonl` (issue 10's strings across words).
pub const LITERAL_ARTICLES: usize = 16;
/// Good records in `fixtures/words/articles.jsonl` (issue 12's synonym pairs).
pub const WORDS_ARTICLES: usize = 4;
/// Records in `fixtures/paging/ties.jsonl` (issue 12's paging ties).
pub const PAGING_ARTICLES: usize = 9;
/// Articles in `fixtures/stories/` (tests/FIXTURES.md).
pub const STORIES_ARTICLES: usize = 10;
/// Articles in `fixtures/aliases/` and `fixtures/aliases-more/` (issue 13's company aliases).
pub const ALIASES_ARTICLES: usize = 11;
/// Records in `fixtures/numerals/articles.jsonl` (issue 13's numbers however written).
pub const NUMERALS_ARTICLES: usize = 24;
/// Records in `fixtures/related/related.jsonl` (issue 13's related articles and article page).
pub const RELATED_ARTICLES: usize = 7;
/// Every good article of `fixtures/posts` and `fixtures/jsonl`.
pub const GOOD_ARTICLES: usize = POSTS + JSONL_ARTICLES + JSONL_FLASHES;

/// Indexes `paths` into a fresh temporary directory.
pub fn build_index(paths: &[PathBuf]) -> (TempDir, IndexDir, IndexReport) {
    let tmp = tempfile::tempdir().expect("create a temporary directory");
    let dir = IndexDir::new(tmp.path().join("index"));
    let report = indexer::run(&dir, paths, &IndexOptions::default(), &Silent).expect("index the fixtures");
    (tmp, dir, report)
}

/// Indexes the good fixtures into `dir` and checks that they index cleanly: the fixture
/// index every test file starts from.
pub fn index_good_fixtures(dir: &IndexDir) {
    let report = indexer::run(dir, &good_inputs(), &IndexOptions::default(), &Silent).expect("index the fixtures");
    assert_eq!(
        report.rejected, 0,
        "the good fixtures must index cleanly: {:?}",
        report.rejections
    );
}

/// The fixture index ([`index_good_fixtures`]) in a fresh temporary directory.
pub fn good_index() -> (TempDir, IndexDir) {
    let tmp = tempfile::tempdir().expect("create a temporary directory");
    let dir = IndexDir::new(tmp.path().join("index"));
    index_good_fixtures(&dir);
    (tmp, dir)
}

struct Shared {
    // Kept so the directory outlives every test of the binary.
    _tmp: TempDir,
    engine: Engine,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let (tmp, dir) = good_index();
    let engine = Engine::open(&dir).expect("open the fixture index");
    Shared { _tmp: tmp, engine }
});

/// The engine over the good fixtures, built on first use.
pub fn engine() -> &'static Engine {
    &SHARED.engine
}

/// A request for `query` with the defaults (10 hits, relevance).
pub fn request(query: &str) -> SearchRequest {
    SearchRequest::new(query)
}

/// Runs a request; panics with the query on an error.
pub fn search(request: &SearchRequest) -> SearchResponse {
    engine()
        .search(request)
        .unwrap_or_else(|e| panic!("search {:?} failed: {e}", request.query))
}

/// The ids of every hit for `query` (up to 100), best first.
pub fn ids(query: &str) -> Vec<String> {
    ids_with(&SearchRequest {
        limit: 100,
        ..request(query)
    })
}

/// The ids of the hits of a request, in order.
pub fn ids_with(request: &SearchRequest) -> Vec<String> {
    search(request).hits.into_iter().map(|h| h.id).collect()
}

/// The ids of `query`, sorted: for rows whose order the fixtures do not fix.
pub fn id_set(query: &str) -> Vec<String> {
    let mut ids = ids(query);
    ids.sort();
    ids
}

/// Sorted owned strings, to compare with [`id_set`].
pub fn sorted(expected: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}
