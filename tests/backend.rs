//! The server on the backend seam: routes built over a stand-in [`SearchBackend`] answer
//! from it alone (health, search, articles, stats), pass it the parsed query, and map the
//! errors a backend may return to the statuses `backend.rs` promises. Nothing here is a
//! tantivy index, so what passes passes for any backend.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use warp::filters::BoxedFilter;
use warp::reply::Response;
use xinwen::backend::{
    Article, Health, IndexBackend, IndexError, IndexOptions, IndexReport, ParsedRequest, Progress, Rejection, Related,
    Result, SearchBackend, SearchResponse, Silent, Stats, Upserted, WriteJob,
};
use xinwen::search::parse;
use xinwen::server::{self, ServerOptions, Shared};

/// Answers from fixed values and records the parsed requests it was given.
#[derive(Default)]
struct StandIn {
    seen: Mutex<Vec<ParsedRequest>>,
    down: bool,
}

fn article() -> Article {
    Article {
        id: "only".into(),
        url: None,
        title: "唯一的文章".into(),
        body: "正文".into(),
        date: None,
        tags: vec!["样例".into()],
        categories: vec![],
        source: Some("替身".into()),
    }
}

impl SearchBackend for StandIn {
    fn search(&self, request: &ParsedRequest) -> Result<SearchResponse> {
        if self.down {
            return Err(IndexError::Unavailable("node 2 does not answer".into()).into());
        }
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(request.clone());
        }
        Ok(SearchResponse {
            query: request.request.query.clone(),
            total: 42,
            took_ms: 1.5,
            hits: vec![],
            facets: None,
            relaxed: false,
            partial: false,
            warnings: vec![],
            next_cursor: None,
            counts: None,
        })
    }

    fn get(&self, id: &str) -> Result<Article> {
        match id {
            "only" => Ok(article()),
            other => Err(IndexError::UnknownId(other.into()).into()),
        }
    }

    fn related(&self, id: &str, _limit: usize) -> Result<Vec<Related>> {
        self.get(id).map(|_| vec![])
    }

    fn suggest(&self, partial: &str, _limit: usize) -> Result<Vec<String>> {
        Ok(vec![format!("{partial}市场")])
    }

    fn stats(&self) -> Result<Stats> {
        Ok(Stats {
            articles: 1,
            segments: 0,
            size_bytes: 0,
            oldest: None,
            newest: None,
            generation: "stand-in".into(),
            last_commit: None,
            words: None,
            aliases: None,
        })
    }

    fn health(&self) -> Result<Health> {
        Ok(Health {
            articles: 1,
            generation: "stand-in".into(),
        })
    }
}

fn routes(backend: Arc<StandIn>, token: Option<&str>) -> BoxedFilter<(Response,)> {
    let options = ServerOptions {
        admin_token: token.map(str::to_string),
        ..ServerOptions::default()
    };
    server::routes(Arc::new(Shared::new(backend, None)), &options)
}

async fn send(routes: &BoxedFilter<(Response,)>, method: &str, path: &str) -> (u16, Value) {
    let reply = warp::test::request()
        .method(method)
        .path(path)
        .header("authorization", "Bearer s3cret")
        .body("[]")
        .reply(routes)
        .await;
    let body = serde_json::from_slice(reply.body()).unwrap_or(Value::Null);
    (reply.status().as_u16(), body)
}

#[tokio::test]
async fn the_server_answers_from_whatever_backend_it_holds() {
    let backend = Arc::new(StandIn::default());
    let routes = routes(Arc::clone(&backend), None);
    assert_eq!(
        send(&routes, "GET", "/healthz").await,
        (200, json!({"status": "ok", "articles": 1, "generation": "stand-in"}))
    );
    let (status, body) = send(
        &routes,
        "GET",
        "/api/search?q=%E4%B8%8A%E6%B5%B7+-%E6%9C%9F%E8%B4%A7&page=2",
    )
    .await;
    assert_eq!(
        (status, &body["total"], &body["page"], &body["query"]),
        (200, &json!(42), &json!(2), &json!("上海 -期货"))
    );
    let seen = backend.seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].query,
        parse("上海 -期货").expect("parses"),
        "the backend gets the parsed query"
    );
    assert_eq!(seen[0].request.offset, 10);
    assert_eq!(send(&routes, "GET", "/api/articles/only").await.1["source"], "替身");
    assert_eq!(
        send(&routes, "GET", "/api/articles/nope").await,
        (
            404,
            json!({"error": {"code": "unknown_id", "message": "no article with id \"nope\""}})
        )
    );
    assert_eq!(
        send(&routes, "GET", "/api/suggest?q=%E8%82%A1").await.1,
        json!({"query": "股", "suggestions": ["股市场"]})
    );
    assert_eq!(send(&routes, "GET", "/api/stats").await.1["generation"], "stand-in");
}

#[tokio::test]
async fn a_bad_query_is_refused_before_the_backend_sees_it() {
    let backend = Arc::new(StandIn::default());
    let routes = routes(Arc::clone(&backend), None);
    let (status, body) = send(&routes, "GET", "/api/search?q=+").await;
    assert_eq!((status, &body["error"]["code"]), (400, &json!("empty_query")));
    assert_eq!(backend.seen.lock().map(|s| s.len()).unwrap_or(99), 0);
}

#[tokio::test]
async fn an_unreachable_backend_is_a_503() {
    let backend = Arc::new(StandIn {
        down: true,
        ..StandIn::default()
    });
    assert_eq!(
        send(&routes(backend, None), "GET", "/api/search?q=%E4%B8%8A%E6%B5%B7").await,
        (
            503,
            json!({"error": {"code": "index_unavailable", "message": "the index cannot be reached: node 2 does not answer"}})
        )
    );
}

#[tokio::test]
async fn a_backend_that_takes_no_writes_refuses_ingestion() {
    let routes = routes(Arc::new(StandIn::default()), Some("s3cret"));
    assert_eq!(
        send(&routes, "POST", "/api/articles").await,
        (
            503,
            json!({"error": {"code": "index_unavailable", "message": "this server's index takes no writes"}})
        )
    );
}

/// A write side that keeps the ids it was given, in order, and counts rejections.
#[derive(Default)]
struct Recorder {
    ids: Mutex<Vec<String>>,
}

struct RecordingJob<'a> {
    recorder: &'a Recorder,
    report: IndexReport,
}

impl IndexBackend for Recorder {
    fn begin(&self, _options: &IndexOptions) -> Result<Box<dyn WriteJob + '_>, IndexError> {
        Ok(Box::new(RecordingJob {
            recorder: self,
            report: IndexReport::default(),
        }))
    }
}

impl WriteJob for RecordingJob<'_> {
    fn upsert(&mut self, article: &Article) -> Result<Upserted, IndexError> {
        if let Ok(mut ids) = self.recorder.ids.lock() {
            ids.push(article.id.clone());
        }
        self.report.new += 1;
        Ok(Upserted::New)
    }

    fn delete(&mut self, _id: &str) -> Result<bool, IndexError> {
        Ok(false)
    }

    fn reject(&mut self, _rejection: Rejection) {
        self.report.rejected += 1;
    }

    fn finish(self: Box<Self>, _progress: &dyn Progress) -> Result<IndexReport, IndexError> {
        Ok(self.report)
    }
}

#[test]
fn any_write_backend_can_index_files_and_folders() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let recorder = Recorder::default();
    let paths = [
        root.join("fixtures/jsonl"),
        root.join("fixtures/bad/broken-lines.jsonl"),
    ];
    let report = recorder.run(&paths, &IndexOptions::default(), &Silent).expect("a job");
    let ids = recorder.ids.lock().map(|ids| ids.clone()).unwrap_or_default();
    assert_eq!(ids.first().map(String::as_str), Some("cls-20250613-pv"));
    // What the local index's own runner makes of the same inputs.
    let tmp = tempfile::tempdir().expect("temporary directory");
    let local = xinwen::local::LocalIndex::new(xinwen::store::IndexDir::new(tmp.path().join("index")));
    let expected = local
        .run(&paths, &IndexOptions::default(), &Silent)
        .expect("a local job");
    assert_eq!((expected.new, expected.rejected), (19, 3));
    assert_eq!((report.new, report.rejected, ids.len()), (19, 3, 19), "{report:?}");
    assert_eq!(report.bytes, expected.bytes);
    let prune = IndexOptions {
        prune: true,
        ..IndexOptions::default()
    };
    assert_eq!(
        recorder
            .run(&paths, &prune, &Silent)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err("this index cannot prune or rebuild: it does not list the articles it holds".into())
    );
}
