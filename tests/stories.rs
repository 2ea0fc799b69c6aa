//! Issue 13, "one story, many outlets": story ids assigned at index time, `collapse=story`,
//! `GET /api/stories/{id}`, deletion and incremental jobs. Fixtures: `fixtures/stories/`
//! (`base.jsonl`: one flash carried by three outlets, a similar-topic article, two short
//! flashes; `later.jsonl`: a fourth copy; `daily.jsonl`: a notice repeated word for word
//! three days later).

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};
use warp::http::StatusCode;
use xinwen::indexer::{self, IndexOptions, Silent};
use xinwen::search::{Collapse, Engine, SearchRequest, Sort};
use xinwen::server::{self, ServerOptions, Shared};
use xinwen::store::IndexDir;

fn base() -> PathBuf {
    common::fixture("stories/base.jsonl")
}

fn later() -> PathBuf {
    common::fixture("stories/later.jsonl")
}

/// The story id of each of `ids`, from `xinwen get`'s view (the engine).
fn stories(engine: &Engine, ids: &[&str]) -> Vec<String> {
    ids.iter()
        .map(|id| engine.story_of(id).expect("an article").expect("a story"))
        .collect()
}

/// (id, copies, others' ids) of each hit.
fn groups(engine: &Engine, request: &SearchRequest) -> Vec<(String, Option<u32>, Vec<String>)> {
    let response = engine.search(request).expect("search");
    response
        .hits
        .into_iter()
        .map(|h| {
            let others = h.others.unwrap_or_default().into_iter().map(|o| o.id).collect();
            (h.id, h.copies, others)
        })
        .collect()
}

fn by_date(query: &str, collapse: Collapse) -> SearchRequest {
    SearchRequest {
        sort: Sort::Date,
        collapse,
        ..SearchRequest::new(query)
    }
}

#[test]
fn copies_under_other_headlines_share_a_story_and_the_rest_do_not() {
    let (_tmp, dir, report) = common::build_index(&[base()]);
    assert_eq!(report.new, 6);
    let engine = Engine::open(&dir).expect("open");
    let s = stories(
        &engine,
        &[
            "pmi-wire",
            "pmi-east",
            "pmi-south",
            "pmi-services",
            "flash-close",
            "flash-close-copy",
        ],
    );
    assert_eq!(s[0], s[1], "a light edit with another headline is the same story");
    assert_eq!(s[0], s[2]);
    assert_ne!(s[0], s[3], "the same day's other PMI figure is another story");
    // Short flashes are their own story, even when equal: one line says too little.
    assert_ne!(s[4], s[5]);
    assert_ne!(s[4], s[0]);
    // The story is named after the article that founded it (the first one read).
    assert_eq!(
        s[0],
        format!("s-{:016x}", xinwen::local::story::StoryId::founded_by("pmi-wire").0)
    );
}

#[test]
fn collapse_story_lists_one_hit_per_story_with_its_copies_newest_first() {
    let (_tmp, dir, _) = common::build_index(&[base()]);
    let engine = Engine::open(&dir).expect("open");
    let collapsed = engine.search(&by_date("制造业", Collapse::Story)).expect("search");
    assert_eq!(collapsed.total, 4, "4 stories");
    assert_eq!(collapsed.counts, Some("stories"));
    assert_eq!(
        groups(&engine, &by_date("制造业", Collapse::Story)),
        [
            ("flash-close-copy".to_string(), Some(1), vec![]),
            ("flash-close".to_string(), Some(1), vec![]),
            (
                "pmi-south".to_string(),
                Some(3),
                vec!["pmi-east".to_string(), "pmi-wire".to_string()]
            ),
            ("pmi-services".to_string(), Some(1), vec![]),
        ]
    );
    let flat = engine.search(&by_date("制造业", Collapse::None)).expect("search");
    assert_eq!(flat.total, 6);
    assert_eq!(flat.counts, None);
    // Title collapsing sees six headlines.
    assert_eq!(
        engine
            .search(&by_date("制造业", Collapse::Title))
            .expect("search")
            .total,
        6
    );
    // Only the matching copies count: 东岸快讯 is in the body of one copy only.
    assert_eq!(
        groups(&engine, &by_date("\"东岸快讯\"", Collapse::Story)),
        [("pmi-east".to_string(), Some(1), vec![])]
    );
}

#[test]
fn the_same_notice_on_another_day_is_another_story() {
    let daily = common::fixture("stories/daily.jsonl");
    let (_tmp, dir, report) = common::build_index(std::slice::from_ref(&daily));
    assert_eq!(report.new, 3);
    let engine = Engine::open(&dir).expect("open");
    let s = stories(&engine, &["omo-fri", "omo-fri-copy", "omo-mon"]);
    assert_eq!(s[0], s[1], "another outlet's copy six minutes later");
    assert_ne!(s[0], s[2], "the same words three days later are a new item");
    // Also when the later day comes in a later job, against the committed index.
    let (_tmp, dir, _) = common::build_index(&[base()]);
    indexer::run(&dir, &[daily], &IndexOptions::default(), &Silent).expect("index daily");
    let engine = Engine::open(&dir).expect("open");
    let s = stories(&engine, &["omo-fri", "omo-fri-copy", "omo-mon"]);
    assert_eq!(s[0], s[1]);
    assert_ne!(s[0], s[2]);
}

#[test]
fn deleting_the_founder_keeps_the_story_and_a_later_copy_joins_it() {
    let (_tmp, dir, _) = common::build_index(&[base()]);
    let story = stories(&Engine::open(&dir).expect("open"), &["pmi-wire"]).remove(0);
    let removed = indexer::delete(&dir, &["pmi-wire".to_string()], false).expect("delete");
    assert_eq!(removed, 1);
    let report = indexer::run(&dir, &[later()], &IndexOptions::default(), &Silent).expect("index later");
    assert_eq!(report.new, 1);
    let engine = Engine::open(&dir).expect("open");
    assert_eq!(
        stories(&engine, &["pmi-east", "pmi-south", "pmi-west"]),
        [story.clone(), story.clone(), story.clone()]
    );
    let ids: Vec<String> = engine.story(&story).expect("story").into_iter().map(|a| a.id).collect();
    assert_eq!(ids, ["pmi-east", "pmi-south", "pmi-west"]);
}

#[test]
fn a_rebuild_of_the_same_input_names_the_same_stories() {
    let (_tmp, dir, _) = common::build_index(&[base(), later()]);
    let first = stories(&Engine::open(&dir).expect("open"), &["pmi-west", "pmi-services"]);
    let options = IndexOptions {
        rebuild: true,
        ..IndexOptions::default()
    };
    indexer::run(&dir, &[base(), later()], &options, &Silent).expect("rebuild");
    let engine = Engine::open(&dir).expect("open");
    assert_eq!(stories(&engine, &["pmi-west", "pmi-services"]), first);
    assert_eq!(stories(&engine, &["pmi-wire"]), [first[0].clone()]);
}

// ---------------------------------------------------------------- HTTP

async fn get(shared: &Arc<Shared>, path: &str) -> (StatusCode, Value) {
    let routes = server::routes(Arc::clone(shared), &ServerOptions::default());
    let response = warp::test::request().method("GET").path(path).reply(&routes).await;
    let body = serde_json::from_slice(response.body()).expect("a JSON body");
    (response.status(), body)
}

fn shared_over(paths: &[PathBuf]) -> (tempfile::TempDir, IndexDir, Arc<Shared>) {
    let (tmp, dir, _) = common::build_index(paths);
    let shared = Arc::new(Shared::open(dir.clone()).expect("open"));
    (tmp, dir, shared)
}

#[tokio::test]
async fn a_story_lists_its_live_articles_oldest_first() {
    let (_tmp, _dir, shared) = shared_over(&[base()]);
    let story = format!("s-{:016x}", xinwen::local::story::StoryId::founded_by("pmi-wire").0);
    let (status, body) = get(&shared, &format!("/api/stories/{story}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"story": story, "articles": [
            {"id": "pmi-wire", "source": "青溪财经", "date": "2024-05-31T09:30:00+08:00", "title": "五月制造业PMI回升至50.8%"},
            {"id": "pmi-east", "source": "东岸快讯", "date": "2024-05-31T09:42:00+08:00", "title": "制造业景气度连续三月扩张"},
            {"id": "pmi-south", "source": "南岭日报", "date": "2024-05-31T10:05:00+08:00", "title": "统计局：5月PMI为50.8%"},
        ]})
    );
    let (status, body) = get(&shared, "/api/articles/pmi-east").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["story"], json!(story));
}

#[tokio::test]
async fn unknown_and_malformed_story_ids_are_json_errors() {
    let (_tmp, _dir, shared) = shared_over(&[base()]);
    let (status, body) = get(&shared, "/api/stories/s-0000000000000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        json!({"error": {"code": "unknown_story", "message": "no article carries story \"s-0000000000000000\""}})
    );
    let (status, body) = get(&shared, "/api/stories/pmi-wire").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({"error": {"code": "invalid_story", "message": "invalid story id: \"pmi-wire\": a story id is `s-` and 16 hex digits"}})
    );
}

#[tokio::test]
async fn collapse_story_over_http_shows_copies_and_the_other_outlets() {
    let (_tmp, _dir, shared) = shared_over(&[base()]);
    let (status, body) = get(
        &shared,
        "/api/search?q=%E9%87%87%E8%B4%AD%E7%BB%8F%E7%90%86&collapse=story&sort=date",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], json!(1));
    assert_eq!(body["counts"], json!("stories"));
    let hit = &body["hits"][0];
    assert_eq!(hit["id"], json!("pmi-south"));
    assert_eq!(hit["copies"], json!(3));
    assert_eq!(
        hit["others"],
        json!([
            {"id": "pmi-east", "source": "东岸快讯", "date": "2024-05-31T09:42:00+08:00"},
            {"id": "pmi-wire", "source": "青溪财经", "date": "2024-05-31T09:30:00+08:00"},
        ])
    );
    let (status, body) = get(
        &shared,
        "/api/search?q=%E9%87%87%E8%B4%AD%E7%BB%8F%E7%90%86&collapse=nope",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], json!("invalid_collapse"));
}

/// The ids of an article's related list (up to 10), in order.
fn related_ids(engine: &Engine, id: &str) -> Vec<String> {
    let related = engine.related(id, 10).expect("related");
    related.into_iter().map(|r| r.article.id).collect()
}

#[test]
fn related_leaves_out_the_other_copies_of_the_story() {
    let (_tmp, dir, _) = common::build_index(&[base()]);
    let engine = Engine::open(&dir).expect("open");
    // The copies share every telling word, and pmi-services shares the topic: without the
    // story exclusion the two other copies would rank first.
    let related = related_ids(&engine, "pmi-east");
    assert!(
        !related.iter().any(|id| id == "pmi-wire" || id == "pmi-south"),
        "{related:?}"
    );
}

#[test]
fn an_outlets_sign_off_relates_nothing() {
    let (_tmp, dir, _) = common::build_index(&[common::fixture("stories")]);
    let engine = Engine::open(&dir).expect("open");
    // omo-fri-copy, about a repo operation, shares with pmi-east only the outlet's
    // sign-off （东岸快讯）: it is not related.
    let related = related_ids(&engine, "pmi-east");
    assert_eq!(related, Vec::<String>::new());
}
