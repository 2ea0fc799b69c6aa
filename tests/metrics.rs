//! `GET /metrics` and the request log as an operator sees them: the exposition parsed, the
//! counters moved by exactly what the requests between two scrapes did, the index gauges
//! equal to `/api/stats` (also after a CLI rebuild switched generations), the job records
//! that CLI jobs leave in the index, and one JSON log line a request from the real binary,
//! with the query only when asked for.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{GOOD_ARTICLES, POSTS, fixture};
use serde_json::{Value, json};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use xinwen::backend::{Article, Health, IndexError, ParsedRequest, SearchBackend, SearchResponse, Stats};
use xinwen::server::{self, ServerOptions, Shared};
use xinwen::store::IndexDir;

/// The samples of one exposition: `name{labels}` → value.
type Samples = BTreeMap<String, f64>;

/// Parses the Prometheus text format: every sample line, checking that each belongs to a
/// family announced by `# TYPE` before it.
fn parse(text: &str) -> Samples {
    let mut families: Vec<String> = Vec::new();
    let mut samples = Samples::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(
                ["counter", "gauge", "histogram"].contains(&kind),
                "unexpected type in {line}"
            );
            families.push(name.to_string());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("not a sample: {line}"));
        let name = series.split('{').next().unwrap_or(series);
        assert!(
            families.iter().any(|f| name.starts_with(f.as_str())),
            "{name} has no # TYPE line before it"
        );
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number: {line}"));
        assert!(samples.insert(series.to_string(), value).is_none(), "{series} twice");
    }
    samples
}

/// The value of a series, 0 when absent (a counter not yet incremented).
fn value(samples: &Samples, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(0.0)
}

/// What each of `series` moved by from `before` to `after`.
fn moved(before: &Samples, after: &Samples, series: &[&str]) -> Vec<(String, f64)> {
    series
        .iter()
        .map(|s| (s.to_string(), value(after, s) - value(before, s)))
        .collect()
}

fn routes(shared: &Arc<Shared>, options: &ServerOptions) -> BoxedFilter<(Response,)> {
    server::routes(Arc::clone(shared), options)
}

/// An answer as `warp::test` gives it, the body in memory.
type Answer = warp::http::Response<warp::hyper::body::Bytes>;

async fn get(routes: &BoxedFilter<(Response,)>, path: &str) -> Answer {
    warp::test::request().path(path).reply(routes).await
}

/// One scrape: asserts the status and content type, returns the samples.
async fn scrape(routes: &BoxedFilter<(Response,)>) -> Samples {
    let response = get(routes, "/metrics").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    parse(std::str::from_utf8(response.body()).expect("UTF-8 exposition"))
}

fn json_body(response: &Answer) -> Value {
    serde_json::from_slice(response.body()).expect("a JSON body")
}

/// A fresh index of the good fixtures with its own server state (so its counters start at
/// zero whatever other tests do).
fn fixture_server() -> (tempfile::TempDir, IndexDir, Arc<Shared>) {
    let (tmp, dir) = common::good_index();
    let shared = Arc::new(Shared::open(dir.clone()).expect("open the index"));
    (tmp, dir, shared)
}

#[tokio::test]
async fn requests_move_the_counters_by_exactly_what_they_did() {
    let (_tmp, _dir, shared) = fixture_server();
    let routes = routes(&shared, &ServerOptions::default());
    let before = scrape(&routes).await;
    for q in ["新能源汽车", "上海", "%E8%82%A1%E5%B8%82"] {
        assert_eq!(get(&routes, &format!("/api/search?q={q}")).await.status(), 200);
    }
    assert_eq!(get(&routes, "/api/search?q=x&per_page=abc").await.status(), 400);
    assert_eq!(get(&routes, "/api/articles/no-such-article").await.status(), 404);
    assert_eq!(get(&routes, "/api/articles/ev-price-war").await.status(), 200);
    assert_eq!(get(&routes, "/wp-login.php").await.status(), 404);
    let after = scrape(&routes).await;
    let series = [
        r#"xinwen_http_requests_total{method="GET",route="/api/search",status="200"}"#,
        r#"xinwen_http_requests_total{method="GET",route="/api/search",status="400"}"#,
        r#"xinwen_http_requests_total{method="GET",route="/api/articles/{id}",status="404"}"#,
        r#"xinwen_http_requests_total{method="GET",route="/api/articles/{id}",status="200"}"#,
        r#"xinwen_http_requests_total{method="GET",route="unmatched",status="404"}"#,
        r#"xinwen_http_requests_total{method="GET",route="/metrics",status="200"}"#,
        "xinwen_search_duration_seconds_count",
        r#"xinwen_search_duration_seconds_bucket{le="+Inf"}"#,
        "xinwen_searches_in_flight",
        "xinwen_searches_waiting",
    ];
    let expected = [3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 3.0, 0.0, 0.0];
    assert_eq!(
        moved(&before, &after, &series),
        series
            .iter()
            .zip(expected)
            .map(|(s, n)| (s.to_string(), n))
            .collect::<Vec<_>>()
    );
    // No raw id ever becomes a label value.
    assert!(after.keys().all(|k| !k.contains("no-such-article")), "{after:?}");
    assert!(value(&after, "xinwen_search_duration_seconds_sum") > 0.0);
}

#[tokio::test]
async fn index_gauges_equal_api_stats() {
    let (_tmp, _dir, shared) = fixture_server();
    let routes = routes(&shared, &ServerOptions::default());
    let stats = json_body(&get(&routes, "/api/stats").await);
    let samples = scrape(&routes).await;
    assert_eq!(value(&samples, "xinwen_index_up"), 1.0);
    assert_eq!(value(&samples, "xinwen_index_articles"), GOOD_ARTICLES as f64);
    assert_eq!(
        value(&samples, "xinwen_index_articles"),
        stats["articles"].as_f64().expect("articles")
    );
    assert_eq!(
        value(&samples, "xinwen_index_segments"),
        stats["segments"].as_f64().expect("segments")
    );
    assert_eq!(
        value(&samples, "xinwen_index_size_bytes"),
        stats["size_bytes"].as_f64().expect("size")
    );
    let generation = stats["generation"].as_str().expect("generation");
    assert_eq!(
        value(
            &samples,
            &format!(r#"xinwen_index_generation{{generation="{generation}"}}"#)
        ),
        1.0
    );
    let last_commit = stats["last_commit"].as_str().expect("last_commit");
    let at = time::OffsetDateTime::parse(last_commit, &time::format_description::well_known::Rfc3339)
        .expect("an RFC 3339 last_commit");
    assert_eq!(
        value(&samples, "xinwen_index_last_commit_timestamp_seconds"),
        at.unix_timestamp() as f64
    );
}

#[tokio::test]
async fn ingestion_is_counted_by_batch_and_by_rejection_reason() {
    let (_tmp, _dir, shared) = fixture_server();
    let options = ServerOptions {
        admin_token: Some("s3cret".into()),
        ..ServerOptions::default()
    };
    let routes = routes(&shared, &options);
    let before = scrape(&routes).await;
    let post = |body: String| {
        warp::test::request()
            .method("POST")
            .path("/api/articles")
            .header("authorization", "Bearer s3cret")
            .header("content-type", "application/json")
            .body(body)
    };
    let body = json!([
        {"id": "m-1", "title": "指标测试稿件一", "body": "第一篇"},
        {"id": "m-2", "title": "指标测试稿件二", "body": "第二篇"},
        {"id": "m-3", "title": "空稿", "body": ""},
        7,
        "text",
    ]);
    let answer = post(body.to_string()).reply(&routes).await;
    assert_eq!(answer.status(), 200, "{:?}", answer.body());
    let answer = post("[{".into()).reply(&routes).await;
    assert_eq!(answer.status(), 400);
    let after = scrape(&routes).await;
    let series = [
        r#"xinwen_ingest_batches_total{outcome="committed"}"#,
        r#"xinwen_ingest_batches_total{outcome="invalid_json"}"#,
        r#"xinwen_ingest_articles_total{outcome="new"}"#,
        r#"xinwen_ingest_articles_total{outcome="updated"}"#,
        r#"xinwen_ingest_rejections_total{reason="not_an_object"}"#,
        r#"xinwen_ingest_rejections_total{reason="empty_body"}"#,
        r#"xinwen_http_requests_total{method="POST",route="/api/articles",status="200"}"#,
        r#"xinwen_http_requests_total{method="POST",route="/api/articles",status="400"}"#,
        r#"xinwen_jobs_total{kind="ingest",outcome="ok"}"#,
        r#"xinwen_job_articles_total{kind="ingest",count="new"}"#,
        r#"xinwen_job_articles_total{kind="ingest",count="rejected"}"#,
        "xinwen_index_articles",
    ];
    let expected = [1.0, 1.0, 2.0, 0.0, 2.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 2.0];
    assert_eq!(
        moved(&before, &after, &series),
        series
            .iter()
            .zip(expected)
            .map(|(s, n)| (s.to_string(), n))
            .collect::<Vec<_>>()
    );
}

/// Runs the binary with `args`; returns its stdout, after asserting it exited 0.
fn xinwen(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(args)
        .output()
        .expect("run xinwen");
    assert!(
        out.status.success(),
        "xinwen {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[tokio::test]
async fn cli_jobs_appear_from_the_index_own_records() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let index = tmp.path().join("index");
    let posts = fixture("posts");
    xinwen(&["index", "--index", text(&index), "--json", text(&posts)]);
    let shared = Arc::new(Shared::open(IndexDir::new(&index)).expect("open"));
    let routes = routes(&shared, &ServerOptions::default());
    let first = scrape(&routes).await;
    assert_eq!(value(&first, r#"xinwen_jobs_total{kind="index",outcome="ok"}"#), 1.0);
    assert_eq!(
        value(&first, r#"xinwen_job_articles_total{kind="index",count="new"}"#),
        POSTS as f64
    );
    assert_eq!(value(&first, r#"xinwen_job_last_success{kind="index"}"#), 1.0);
    assert!(value(&first, r#"xinwen_job_duration_seconds_total{kind="index"}"#) > 0.0);
    let ended = value(&first, r#"xinwen_job_last_end_timestamp_seconds{kind="index"}"#);
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as f64;
    assert!(ended <= now + 1.0 && ended > now - 300.0, "ended {ended}, now {now}");

    // A delete and a rebuild by the CLI, while the server's state stays open.
    xinwen(&["delete", "--index", text(&index), "ev-price-war"]);
    xinwen(&["index", "--index", text(&index), "--rebuild", text(&posts)]);
    shared.refresh().expect("follow the rebuild");
    let after = scrape(&routes).await;
    let series = [
        r#"xinwen_jobs_total{kind="index",outcome="ok"}"#,
        r#"xinwen_jobs_total{kind="delete",outcome="ok"}"#,
        r#"xinwen_job_articles_total{kind="delete",count="deleted"}"#,
        r#"xinwen_jobs_total{kind="rebuild",outcome="ok"}"#,
        r#"xinwen_job_articles_total{kind="rebuild",count="new"}"#,
    ];
    assert_eq!(
        moved(&first, &after, &series),
        series
            .iter()
            .zip([0.0, 1.0, 1.0, 1.0, POSTS as f64])
            .map(|(s, n)| (s.to_string(), n))
            .collect::<Vec<_>>()
    );
    // The gauges follow the generation the rebuild switched to.
    let stats = json_body(&get(&routes, "/api/stats").await);
    let generation = stats["generation"].as_str().expect("generation");
    assert_eq!(generation, "gen-000002");
    assert_eq!(
        value(&after, r#"xinwen_index_generation{generation="gen-000002"}"#),
        1.0
    );
    assert!(!after.keys().any(|k| k.contains("gen-000001")), "{after:?}");
    assert_eq!(value(&after, "xinwen_index_articles"), POSTS as f64);

    // The records themselves: oldest first, with their counts.
    let records: Value =
        serde_json::from_slice(&std::fs::read(index.join("jobs.json")).expect("read jobs.json")).expect("JSON");
    let recent = records["recent"].as_array().expect("recent");
    let summary: Vec<(&str, &str, u64, u64)> = recent
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap_or_default(),
                r["outcome"].as_str().unwrap_or_default(),
                r["counts"]["new"].as_u64().unwrap_or(u64::MAX),
                r["total"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect();
    let posts = POSTS as u64;
    assert_eq!(
        summary,
        [
            ("index", "ok", posts, posts),
            ("delete", "ok", 0, posts - 1),
            ("rebuild", "ok", posts, posts)
        ]
    );
}

#[tokio::test]
async fn a_failed_job_is_recorded_as_failed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let index = tmp.path().join("index");
    xinwen(&["index", "--index", text(&index), text(&fixture("posts"))]);
    // A dictionary that cannot be read stops the rebuild once it holds the index.
    let out = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(["index", "--index", text(&index), "--rebuild", "--dict"])
        .arg(tmp.path().join("no-such-dict.txt"))
        .arg(fixture("posts"))
        .output()
        .expect("run xinwen");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let shared = Arc::new(Shared::open(IndexDir::new(&index)).expect("open"));
    let samples = scrape(&routes(&shared, &ServerOptions::default())).await;
    assert_eq!(value(&samples, r#"xinwen_jobs_total{kind="index",outcome="ok"}"#), 1.0);
    assert_eq!(
        (
            value(&samples, r#"xinwen_jobs_total{kind="rebuild",outcome="failed"}"#),
            value(&samples, r#"xinwen_job_last_success{kind="rebuild"}"#),
        ),
        (1.0, 0.0)
    );
}

// ---------------------------------------------------------------- the request log

struct Server {
    child: Child,
    log: std::path::PathBuf,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `xinwen serve` over `index` on a free port with `env` set, once it answers.
fn serve(index: &Path, log: std::path::PathBuf, env: &[(&str, &str)]) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_xinwen"));
    command
        .args(["serve", "--index", text(index), "--addr", &format!("127.0.0.1:{port}")])
        .env_remove("XINWEN_LOG")
        .env_remove("XINWEN_LOG_QUERIES")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("create the log"));
    for (k, v) in env {
        command.env(k, v);
    }
    let server = Server {
        child: command.spawn().expect("start xinwen serve"),
        log,
        base: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while ureq::get(format!("{}/healthz", server.base)).call().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no answer: {}",
            read(&server.log)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

fn read(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    text
}

/// The JSON log line of the request to `route`, once it is written.
fn request_line(server: &Server, route: &str) -> Value {
    let started = Instant::now();
    loop {
        let log = read(&server.log);
        // Every line is JSON but xinwen's own one-line messages (`xinwen: serving …`).
        let lines: Vec<Value> = log
            .lines()
            .filter(|l| !l.starts_with("xinwen: "))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
            .collect();
        if let Some(line) = lines
            .into_iter()
            .find(|l| l["message"] == "request" && l["route"] == route)
        {
            return line;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no {route} line in:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn json_logs_have_a_line_a_request_and_the_query_only_when_asked() {
    let (tmp, dir) = common::good_index();
    let url = "/api/search?q=%E6%96%B0%E8%83%BD%E6%BA%90%E6%B1%BD%E8%BD%A6";
    for (log_queries, name) in [(None, "plain.log"), (Some("1"), "queries.log")] {
        let mut env = vec![("XINWEN_LOG_FORMAT", "json")];
        if let Some(v) = log_queries {
            env.push(("XINWEN_LOG_QUERIES", v));
        }
        let server = serve(dir.root(), tmp.path().join(name), &env);
        let body: Value = ureq::get(format!("{}{url}", server.base))
            .call()
            .expect("search")
            .body_mut()
            .read_json()
            .expect("JSON");
        assert_eq!(body["total"], 4);
        let line = request_line(&server, "/api/search");
        assert_eq!(
            (
                &line["level"],
                &line["method"],
                &line["path"],
                &line["status"],
                &line["hits"]
            ),
            (
                &json!("INFO"),
                &json!("GET"),
                &json!("/api/search"),
                &json!(200),
                &json!(4)
            ),
            "{line}"
        );
        let ms = line["duration_ms"].as_f64().expect("duration_ms");
        assert!(ms > 0.0 && ms < 30_000.0, "{line}");
        match log_queries {
            None => {
                assert!(line.get("query").is_none(), "{line}");
                assert!(!read(&server.log).contains("新能源"), "{}", read(&server.log));
            }
            Some(_) => assert_eq!(line["query"], "新能源汽车", "{line}"),
        }
    }
}

#[test]
fn an_unknown_log_format_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(["stats", "--index", "/nonexistent"])
        .env("XINWEN_LOG_FORMAT", "xml")
        .output()
        .expect("run xinwen");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "xinwen: XINWEN_LOG_FORMAT must be `text` or `json`, not \"xml\"\n"
    );
}

// ---------------------------------------------------------------- another backend

/// A backend that is not the local index (as a cluster is): stats of its own, no job
/// records, and stats that fail while `down`.
struct Remote {
    down: std::sync::atomic::AtomicBool,
}

impl SearchBackend for Remote {
    fn search(&self, _request: &ParsedRequest) -> xinwen::Result<SearchResponse> {
        Err(IndexError::Unavailable("not searched here".into()).into())
    }

    fn get(&self, id: &str) -> xinwen::Result<Article> {
        Err(IndexError::UnknownId(id.into()).into())
    }

    fn related(&self, id: &str, _limit: usize) -> xinwen::Result<Vec<xinwen::backend::Related>> {
        Err(IndexError::UnknownId(id.into()).into())
    }

    fn suggest(&self, _partial: &str, _limit: usize) -> xinwen::Result<Vec<String>> {
        Ok(vec![])
    }

    fn stats(&self) -> xinwen::Result<Stats> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(IndexError::Unavailable("no node answered".into()).into());
        }
        Ok(Stats {
            articles: 1234,
            segments: 2,
            size_bytes: 0,
            oldest: None,
            newest: None,
            generation: "xinwen_b".into(),
            last_commit: None,
            words: None,
            aliases: None,
        })
    }

    fn health(&self) -> xinwen::Result<Health> {
        Ok(Health {
            articles: 1234,
            generation: "xinwen_b".into(),
        })
    }
}

#[tokio::test]
async fn another_backend_gives_its_own_gauges_and_no_job_series() {
    let remote = Arc::new(Remote {
        down: std::sync::atomic::AtomicBool::new(false),
    });
    let shared = Arc::new(Shared::new(remote.clone(), None));
    let routes = routes(&shared, &ServerOptions::default());
    let samples = scrape(&routes).await;
    for (series, n) in [
        ("xinwen_index_up", 1.0),
        ("xinwen_index_articles", 1234.0),
        ("xinwen_index_segments", 2.0),
        (r#"xinwen_index_generation{generation="xinwen_b"}"#, 1.0),
    ] {
        assert_eq!(samples.get(series), Some(&n), "{series}");
    }
    assert!(!samples.keys().any(|k| k.starts_with("xinwen_job")), "{samples:?}");
    assert!(!samples.contains_key("xinwen_index_last_commit_timestamp_seconds"));
    // A backend that cannot answer: the scrape still answers, and says so.
    remote.down.store(true, std::sync::atomic::Ordering::SeqCst);
    let samples = scrape(&routes).await;
    assert_eq!(samples.get("xinwen_index_up"), Some(&0.0));
    assert!(!samples.contains_key("xinwen_index_articles"), "{samples:?}");
}

#[test]
fn a_log_queries_value_that_is_neither_on_nor_off_is_refused() {
    let (_tmp, dir) = common::good_index();
    let out = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(["serve", "--index", text(dir.root()), "--addr", "127.0.0.1:0"])
        .env("XINWEN_LOG_QUERIES", "yes")
        .stdin(Stdio::null())
        .output()
        .expect("run xinwen");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "xinwen: XINWEN_LOG_QUERIES must be 1 (log query text) or 0, not what it is set to\n"
    );
}
