//! Paging (issue 12): `page=` walks and cursor walks list every hit exactly once, in one
//! order, with ties; a cursor across a rebuild keeps its promise; bad cursors are refused
//! with the exact error on every front door.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::{corpus, fixture};
use serde_json::{Value, json};
use tempfile::TempDir;
use xinwen::indexer::{self, IndexOptions, Silent};
use xinwen::search::{Cursor, Engine, SearchRequest, SearchResponse, Sort};
use xinwen::server::{self, ServerOptions, Shared};
use xinwen::store::IndexDir;

/// `潮汐电站` by relevance over `fixtures/paging/ties.jsonl` (tests/FIXTURES.md).
const TIDE_BY_RELEVANCE: [&str; 9] = [
    "tide-best",
    "tide-new",
    "tide-a",
    "tide-b",
    "tide-c",
    "tide-d",
    "tide-e",
    "tide-old",
    "tide-undated",
];

/// The same, newest first.
const TIDE_BY_DATE: [&str; 9] = [
    "tide-new",
    "tide-a",
    "tide-b",
    "tide-c",
    "tide-d",
    "tide-e",
    "tide-old",
    "tide-best",
    "tide-undated",
];

/// An index of `paths` in a fresh directory, and the engine over it.
fn index(paths: &[PathBuf]) -> (TempDir, IndexDir, Engine) {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = IndexDir::new(tmp.path().join("index"));
    let report = indexer::run(&dir, paths, &IndexOptions::default(), &Silent).expect("index");
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    let engine = Engine::open(&dir).expect("open");
    (tmp, dir, engine)
}

fn ties() -> (TempDir, IndexDir, Engine) {
    index(&[fixture("paging/ties.jsonl")])
}

fn ids(response: &SearchResponse) -> Vec<String> {
    response.hits.iter().map(|h| h.id.clone()).collect()
}

/// Every page of `request` by offset, `per_page` at a time.
fn walk_pages(engine: &Engine, request: &SearchRequest, per_page: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    for page in 0.. {
        let response = engine
            .search(&SearchRequest {
                offset: page * per_page,
                limit: per_page,
                ..request.clone()
            })
            .expect("search");
        if response.hits.is_empty() {
            break;
        }
        pages.push(ids(&response));
    }
    pages
}

/// Every page of `request` by cursor, `per_page` at a time, until `next_cursor` is absent.
fn walk_cursor(engine: &Engine, request: &SearchRequest, per_page: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let response = engine
            .search(&SearchRequest {
                limit: per_page,
                cursor: cursor.take(),
                ..request.clone()
            })
            .expect("search");
        pages.push(ids(&response));
        match response.next_cursor {
            Some(token) => cursor = Some(Cursor::decode(&token).expect("a cursor the engine gave")),
            None => break,
        }
        assert!(pages.len() < 100_000, "a walk that does not end");
    }
    pages
}

fn flat(pages: &[Vec<String>]) -> Vec<String> {
    pages.concat()
}

fn by_date(query: &str) -> SearchRequest {
    SearchRequest {
        sort: Sort::Date,
        ..SearchRequest::new(query)
    }
}

#[test]
fn issue_12_pages_of_ties_are_cut_from_one_order() {
    let (_tmp, _dir, engine) = ties();
    for (request, order) in [
        (SearchRequest::new("潮汐电站"), TIDE_BY_RELEVANCE),
        (by_date("潮汐电站"), TIDE_BY_DATE),
    ] {
        let pages = walk_pages(&engine, &request, 2);
        let expected: Vec<Vec<String>> = order
            .chunks(2)
            .map(|c| c.iter().map(|s| s.to_string()).collect())
            .collect();
        assert_eq!(pages, expected, "{:?} by page", request.sort);
        assert_eq!(
            walk_cursor(&engine, &request, 2),
            expected,
            "{:?} by cursor",
            request.sort
        );
        assert_eq!(walk_cursor(&engine, &request, 4).concat(), order, "another page size");
    }
}

#[test]
fn issue_12_reranked_and_recency_walks_agree_with_one_page() {
    let (_tmp, _dir, engine) = ties();
    let now = time::macros::datetime!(2024-03-05 00:00 +08:00);
    for request in [
        // Two words: the proximity bonus reranks the best candidates.
        SearchRequest::new("潮汐 发电"),
        SearchRequest {
            recency_days: Some(30.0),
            now: Some(now),
            ..SearchRequest::new("潮汐电站")
        },
        SearchRequest {
            collapse: xinwen::search::Collapse::Title,
            ..SearchRequest::new("潮汐电站")
        },
    ] {
        let whole = ids(&engine
            .search(&SearchRequest {
                limit: 100,
                ..request.clone()
            })
            .expect("search"));
        assert!(whole.len() >= 2, "{whole:?}");
        for per_page in [1, 2, 3] {
            assert_eq!(
                flat(&walk_pages(&engine, &request, per_page)),
                whole,
                "{request:?} by page"
            );
            assert_eq!(
                flat(&walk_cursor(&engine, &request, per_page)),
                whole,
                "{request:?} by cursor"
            );
        }
    }
    let collapsed = SearchRequest {
        collapse: xinwen::search::Collapse::Title,
        limit: 100,
        ..SearchRequest::new("潮汐电站")
    };
    assert_eq!(
        ids(&engine.search(&collapsed).expect("search")),
        ["tide-best", "tide-new"],
        "the newest copy stands for the story"
    );
}

#[test]
fn issue_12_a_cursor_walk_is_one_page_then_no_cursor() {
    let (_tmp, _dir, engine) = ties();
    let all = engine
        .search(&SearchRequest {
            limit: 9,
            ..SearchRequest::new("潮汐电站")
        })
        .expect("search");
    assert_eq!(all.next_cursor, None, "the last page has no next cursor");
    let first = engine
        .search(&SearchRequest {
            limit: 8,
            ..SearchRequest::new("潮汐电站")
        })
        .expect("search");
    let token = first.next_cursor.expect("one more hit");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{token}"
    );
    let last = engine
        .search(&SearchRequest {
            cursor: Some(Cursor::decode(&token).expect("decodes")),
            ..SearchRequest::new("潮汐电站")
        })
        .expect("search");
    assert_eq!(ids(&last), ["tide-undated"]);
    assert_eq!(last.total, 9, "the total is the whole query's");
    assert_eq!(last.next_cursor, None);
}

/// The first `n` 新闻联播 stories of the corpus as a JSONL file in `dir`.
fn corpus_sample(corpus: &Path, dir: &Path, n: usize) -> PathBuf {
    let file = std::fs::File::open(corpus.join("xwlb/xwlb.jsonl.gz")).expect("open the corpus");
    let lines = BufReader::new(flate2::read::GzDecoder::new(file)).lines();
    let out = dir.join("sample.jsonl");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out).expect("create the sample"));
    for line in lines.take(n) {
        writeln!(w, "{}", line.expect("a corpus line")).expect("write");
    }
    w.flush().expect("flush");
    out
}

/// Asserts that a walk lists `total` distinct ids.
fn assert_each_once(walk: &[String], total: usize, what: &str) {
    let distinct: HashSet<&String> = walk.iter().collect();
    assert_eq!(distinct.len(), walk.len(), "{what}: an id listed twice");
    assert_eq!(walk.len(), total, "{what}: hits missing");
}

#[test]
fn issue_12_corpus_walks_list_every_hit_once() {
    let Some(corpus) = corpus() else { return };
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let sample = corpus_sample(&corpus, tmp.path(), 3000);
    let (_tmp, _dir, engine) = index(&[sample]);
    for request in [
        SearchRequest::new("中国"),
        by_date("中国"),
        // Two words: the best 200 are reranked by proximity.
        SearchRequest::new("发展 OR 经济"),
        SearchRequest {
            collapse: xinwen::search::Collapse::Title,
            ..SearchRequest::new("中国")
        },
        SearchRequest {
            collapse: xinwen::search::Collapse::Title,
            ..by_date("中国")
        },
    ] {
        let total = engine.search(&request).expect("search").total;
        assert!(total >= 1000, "{request:?}: {total} hits, too few to page deeply");
        let by_page = flat(&walk_pages(&engine, &request, 100));
        assert_each_once(&by_page, total, &format!("{request:?} by page"));
        let by_cursor = flat(&walk_cursor(&engine, &request, 100));
        assert_each_once(&by_cursor, total, &format!("{request:?} by cursor"));
        assert_eq!(by_page, by_cursor, "{request:?}: both walks in one order");
        let small = flat(&walk_cursor(&engine, &request, 37));
        assert_eq!(small, by_cursor, "{request:?}: the page size changes nothing");
    }
}

/// (id, title, date) of a test article; its body is always the same.
type Row = (String, &'static str, String);

/// A JSONL file of `rows`.
fn write_rows(path: &Path, rows: &[Row]) {
    let mut w = std::fs::File::create(path).expect("create");
    for (id, title, date) in rows {
        let line = json!({"id": id, "title": title, "body": "潮汐发电稳定运行。", "date": date});
        writeln!(w, "{line}").expect("write");
    }
}

/// `n` articles `{prefix}-NN`, dated from day `from` on, seven days apart (mod 80 days).
fn rows(prefix: &str, n: usize, from: usize) -> Vec<Row> {
    let titles = ["潮汐能源观察", "潮汐电站运行", "海洋潮汐研究"];
    (0..n)
        .map(|i| {
            let day = (from + i * 7) % 80;
            let date = format!("2024-{:02}-{:02}T08:00:00+08:00", 1 + day / 28, 1 + day % 28);
            (format!("{prefix}-{i:02}"), titles[i % 3], date)
        })
        .collect()
}

/// Every page after `cursor`'s, from `engine`.
fn rest_of_walk(engine: &Engine, request: &SearchRequest, token: Option<String>) -> Vec<String> {
    let mut token = token;
    let mut rest = Vec::new();
    while let Some(t) = token.take() {
        let page = engine
            .search(&SearchRequest {
                cursor: Some(Cursor::decode(&t).expect("a cursor")),
                ..request.clone()
            })
            .expect("a page");
        rest.extend(ids(&page));
        token = page.next_cursor;
    }
    rest
}

#[test]
fn issue_12_a_cursor_walk_survives_a_rebuild() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let input = tmp.path().join("news.jsonl");
    let first = rows("old", 60, 0);
    write_rows(&input, &first);
    let dir = IndexDir::new(tmp.path().join("index"));
    indexer::run(&dir, std::slice::from_ref(&input), &IndexOptions::default(), &Silent).expect("index");
    let before = Engine::open(&dir).expect("open");
    let newest = SearchRequest {
        limit: 10,
        ..by_date("潮汐")
    };
    let best = SearchRequest {
        limit: 10,
        ..SearchRequest::new("潮汐")
    };
    let relevance_walk = flat(&walk_cursor(&before, &best, 10));
    let page1 = before.search(&newest).expect("page 1");
    let page2 = before
        .search(&SearchRequest {
            cursor: Some(Cursor::decode(page1.next_cursor.as_deref().expect("more")).expect("cursor")),
            ..newest.clone()
        })
        .expect("page 2");
    let seen: Vec<String> = [ids(&page1), ids(&page2)].concat();
    let relevance_page = before.search(&best).expect("relevance page 1");

    // The same articles again: a new generation, the same scores.
    let rebuild = IndexOptions {
        rebuild: true,
        ..IndexOptions::default()
    };
    indexer::run(&dir, std::slice::from_ref(&input), &rebuild, &Silent).expect("rebuild");
    let same = Engine::open(&dir).expect("open the new generation");
    assert_ne!(same.generation_name(), before.generation_name(), "a new generation");
    let relevance_rest = rest_of_walk(&same, &best, relevance_page.next_cursor.clone());
    assert_eq!(
        [ids(&relevance_page), relevance_rest].concat(),
        relevance_walk,
        "relevance, same articles"
    );

    // Then six articles fewer and twenty more, some dated like old ones.
    let mut second: Vec<Row> = first.iter().filter(|a| !a.0.ends_with('5')).cloned().collect();
    second.extend(rows("new", 20, 3));
    write_rows(&input, &second);
    indexer::run(&dir, std::slice::from_ref(&input), &rebuild, &Silent).expect("rebuild");
    let after = Engine::open(&dir).expect("open the newest generation");
    let rest = rest_of_walk(&after, &newest, page2.next_cursor.clone());
    // The promise: the rest is the new generation's hits after the cursor's key, in order.
    let last = first
        .iter()
        .find(|a| Some(&a.0) == seen.last())
        .expect("an old article");
    let after_key = |row: &Row| row.2 < last.2 || (row.2 == last.2 && row.0 > last.0);
    let expected: Vec<String> = flat(&walk_pages(&after, &newest, 10))
        .into_iter()
        .filter(|id| second.iter().any(|row| &row.0 == id && after_key(row)))
        .collect();
    assert_eq!(rest, expected);
    assert!(
        rest.iter().any(|id| id.starts_with("new-")),
        "new articles behind the key are listed"
    );
    // So every article of both generations is listed exactly once.
    let walk: Vec<&String> = seen.iter().chain(&rest).collect();
    for row in first.iter().filter(|a| second.contains(a)) {
        assert_eq!(walk.iter().filter(|id| ***id == row.0).count(), 1, "{}", row.0);
    }
}

#[test]
fn issue_12_bad_cursors_are_refused() {
    let (_tmp, _dir, engine) = ties();
    let page = engine
        .search(&SearchRequest {
            limit: 2,
            ..SearchRequest::new("潮汐电站")
        })
        .expect("search");
    let token = page.next_cursor.expect("more");
    let cursor = Cursor::decode(&token).expect("decodes");
    let refused = |request: SearchRequest| engine.search(&request).map(|_| ()).map_err(|e| e.to_string());
    assert_eq!(
        refused(SearchRequest {
            cursor: Some(cursor.clone()),
            ..by_date("潮汐电站")
        }),
        Err("invalid cursor: it was made for another query, filter or order; start again without `cursor`".into())
    );
    assert_eq!(
        refused(SearchRequest {
            cursor: Some(cursor),
            offset: 2,
            ..SearchRequest::new("潮汐电站")
        }),
        Err(
            "invalid cursor: a cursor continues a walk by itself; give it without `page` (`--offset`); start again \
             without `cursor`"
                .into()
        )
    );
}

/// `GET path` against the routes over the tie fixtures.
async fn get(shared: &Arc<Shared>, path: &str) -> (u16, Value) {
    let routes = server::routes(Arc::clone(shared), &ServerOptions::default());
    let response = warp::test::request().path(path).reply(&routes).await;
    let body = serde_json::from_slice(response.body()).expect("a JSON body");
    (response.status().as_u16(), body)
}

fn error(message: &str) -> Value {
    json!({"error": {"code": "invalid_cursor", "message": message}})
}

#[tokio::test]
async fn issue_12_http_walks_by_cursor_and_refuses_bad_ones() {
    let (_tmp, dir, _engine) = ties();
    let shared = Arc::new(Shared::open(dir).expect("open"));
    let q = "%E6%BD%AE%E6%B1%90%E7%94%B5%E7%AB%99"; // 潮汐电站
    let mut path = format!("/api/search?q={q}&per_page=4");
    let mut walk = Vec::new();
    loop {
        let (status, body) = get(&shared, &path).await;
        assert_eq!(status, 200, "{body}");
        walk.extend(
            body["hits"]
                .as_array()
                .expect("hits")
                .iter()
                .map(|h| h["id"].as_str().unwrap_or_default().to_string()),
        );
        match body["next_cursor"].as_str() {
            Some(token) => path = format!("/api/search?q={q}&per_page=4&cursor={token}"),
            None => {
                assert!(body.get("next_cursor").is_none(), "absent on the last page: {body}");
                break;
            }
        }
    }
    assert_eq!(walk, TIDE_BY_RELEVANCE);
    let (_, first) = get(&shared, &format!("/api/search?q={q}&per_page=4")).await;
    let token = first["next_cursor"].as_str().expect("a cursor").to_string();
    assert_eq!(
        get(&shared, &format!("/api/search?q={q}&cursor=garbage")).await,
        (
            400,
            error("invalid cursor: it is not a cursor this server gave out; start again without `cursor`")
        )
    );
    assert_eq!(
        get(&shared, &format!("/api/search?q=%E6%BD%AE%E6%B1%90&cursor={token}")).await,
        (
            400,
            error("invalid cursor: it was made for another query, filter or order; start again without `cursor`")
        ),
        "a cursor of another query"
    );
    assert_eq!(
        get(&shared, &format!("/api/search?q={q}&page=2&cursor={token}")).await,
        (
            400,
            error("invalid cursor: give either `page` or `cursor`, not both; start again without `cursor`")
        )
    );
}

#[test]
fn issue_12_cli_walks_by_cursor_and_refuses_bad_ones() {
    let (tmp, _dir, _engine) = ties();
    let index_path = tmp.path().join("index");
    let xinwen = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_xinwen"))
            .args(["search", "--index"])
            .arg(&index_path)
            .args(args)
            .output()
            .expect("run xinwen")
    };
    let first = xinwen(&["--json", "--limit", "5", "潮汐电站"]);
    assert_eq!(first.status.code(), Some(0));
    let body: Value = serde_json::from_slice(&first.stdout).expect("JSON");
    let token = body["next_cursor"].as_str().expect("a cursor").to_string();
    let next = xinwen(&["--json", "--limit", "5", "--cursor", &token, "潮汐电站"]);
    assert_eq!(next.status.code(), Some(0));
    let body: Value = serde_json::from_slice(&next.stdout).expect("JSON");
    let ids: Vec<&str> = body["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["id"].as_str())
        .collect();
    assert_eq!(ids, TIDE_BY_RELEVANCE[5..]);
    let bad = xinwen(&["--cursor", "garbage", "潮汐电站"]);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr),
        "xinwen: invalid cursor: it is not a cursor this server gave out; start again without `cursor`\n"
    );
    let both = xinwen(&["--cursor", &token, "--offset", "5", "潮汐电站"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&both.stderr).contains("give it without `page` (`--offset`)"),
        "{both:?}"
    );
}
