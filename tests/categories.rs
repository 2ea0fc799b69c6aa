//! Issue 13, "show categories by readable names from a table in the index settings":
//! `xinwen index --categories FILE` saves `code = name` lines with the index (over the
//! built-in table), every hit, article and category facet carries the names, later jobs,
//! rebuilds and in-place updates keep or replace them, and a bad file is refused by line.
//! Fixtures: `fixtures/stories/` (every article in category `caijing`).

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{arg as path, run_xinwen as run};
use serde_json::{Value, json};
use tempfile::TempDir;
use warp::http::StatusCode;
use xinwen::server::{self, ServerOptions, Shared};
use xinwen::store::IndexDir;

/// `fixtures/stories/` indexed by the binary with a categories file naming `caijing`
/// 财经要闻 and a code no article has.
fn index() -> (TempDir, std::path::PathBuf) {
    let work = tempfile::tempdir().expect("temporary directory");
    let index = work.path().join("index");
    let file = work.path().join("categories.txt");
    std::fs::write(&file, "# our desks\ncaijing = 财经要闻\nlocal = 本地 # unused\n").expect("write");
    let (code, stdout, stderr) = run(&[
        "index",
        "--index",
        path(&index),
        "--categories",
        path(&file),
        "fixtures/stories",
    ]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    (work, index)
}

/// `xinwen get --json ID`'s category names.
fn names_of(index: &Path, id: &str) -> Value {
    let (code, stdout, stderr) = run(&["get", "--index", path(index), "--json", id]);
    assert_eq!(code, Some(0), "{stderr}");
    let article: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(article["categories"], json!(["caijing"]));
    article["category_names"].clone()
}

/// The hit of 采购经理 by date, story collapsed: pmi-west, its category named by the file.
fn newest_pmi_copy() -> Value {
    json!({
        "id": "pmi-west",
        "url": null,
        "title": "PMI连续三个月站上荣枯线",
        "date": "2024-05-31T11:20:00+08:00",
        "tags": [],
        "categories": ["caijing"],
        "category_names": ["财经要闻"],
        "score": 0.0,
        "copies": 4,
        "story": xinwen::local::story::StoryId::founded_by("pmi-wire").to_string(),
        "others": [
            {"id": "pmi-south", "source": "南岭日报", "date": "2024-05-31T10:05:00+08:00"},
            {"id": "pmi-east", "source": "东岸快讯", "date": "2024-05-31T09:42:00+08:00"},
            {"id": "pmi-wire", "source": "青溪财经", "date": "2024-05-31T09:30:00+08:00"},
        ],
        "title_html": "PMI连续三个月站上荣枯线",
        "snippet_html": "国家统计局服务业调查中心今日发布数据显示，五月份制造业<mark>采购经理</mark>指数（PMI）为50.8%，\
                         比上月上升0.4个百分点，连续三个月位于扩张区间。其中生产指数为52.1%，新订单指数为51.3%，原材料库存指数为48.7%。",
    })
}

async fn get(shared: &Arc<Shared>, at: &str) -> (StatusCode, Value) {
    let routes = server::routes(Arc::clone(shared), &ServerOptions::default());
    let response = warp::test::request().method("GET").path(at).reply(&routes).await;
    let body = serde_json::from_slice(response.body()).expect("a JSON body");
    (response.status(), body)
}

#[tokio::test]
async fn hits_articles_and_facets_carry_the_names_of_the_index_table() {
    let (_work, index) = index();
    let shared = Arc::new(Shared::open(IndexDir::new(&index)).expect("open"));
    // 采购经理 is in the PMI story only; by date, its newest copy leads.
    let (status, body) = get(
        &shared,
        "/api/search?q=%E9%87%87%E8%B4%AD%E7%BB%8F%E7%90%86&collapse=story&sort=date",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["hits"][0], newest_pmi_copy());
    assert_eq!(
        body["facets"],
        json!({"tags": {}, "categories": {"caijing": 4}, "category_names": {"caijing": "财经要闻"}})
    );
    let (status, body) = get(&shared, "/api/articles/pmi-wire").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&body["categories"], &body["category_names"]),
        (&json!(["caijing"]), &json!(["财经要闻"]))
    );
    // The article page names it too.
    let routes = server::routes(Arc::clone(&shared), &ServerOptions::default());
    let page = warp::test::request()
        .method("GET")
        .path("/a/pmi-wire")
        .reply(&routes)
        .await;
    let html = String::from_utf8_lossy(page.body()).into_owned();
    assert!(
        html.contains("<ul class=\"chips categories\" aria-label=\"分类\"><li>财经要闻</li></ul>"),
        "{html}"
    );
    // The CLI's JSON and text say the same.
    assert_eq!(names_of(&index, "pmi-wire"), json!(["财经要闻"]));
    let (_, stdout, _) = run(&["get", "--index", path(&index), "pmi-wire"]);
    assert!(stdout.contains("\ncategories: 财经要闻 (caijing)\n"), "{stdout}");
    let (code, stdout, stderr) = run(&["search", "--index", path(&index), "--json", "--limit", "1", "沪指"]);
    assert_eq!(code, Some(0), "{stderr}");
    let found: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(found["hits"][0]["category_names"], json!(["财经要闻"]));
}

#[test]
fn later_jobs_and_rebuilds_keep_the_table_and_a_new_file_replaces_it_in_place() {
    let (work, index) = index();
    let (code, _, stderr) = run(&["index", "--index", path(&index), "fixtures/stories"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        names_of(&index, "pmi-west"),
        json!(["财经要闻"]),
        "an incremental job keeps it"
    );
    let (code, _, stderr) = run(&["index", "--index", path(&index), "--rebuild", "fixtures/stories"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(names_of(&index, "pmi-west"), json!(["财经要闻"]), "a rebuild keeps it");
    // A new file, no inputs: saved in place, no rebuild.
    let file = work.path().join("other.txt");
    std::fs::write(&file, "caijing = 财经频道\n").expect("write");
    let (code, stdout, stderr) = run(&["index", "--index", path(&index), "--categories", path(&file)]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(names_of(&index, "pmi-west"), json!(["财经频道"]));
    let (code, _, stderr) = run(&["index", "--index", path(&index), "--default-categories"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        names_of(&index, "pmi-west"),
        json!(["财经"]),
        "back to the built-in table"
    );
}

#[test]
fn a_bad_categories_file_is_refused_by_line_and_changes_nothing() {
    let (work, index) = index();
    let file = work.path().join("bad.txt");
    std::fs::write(&file, "caijing = 财经\n# a comment\n科技频道\n").expect("write");
    for args in [
        vec!["index", "--index", path(&index), "--categories", path(&file)],
        vec![
            "index",
            "--index",
            path(&index),
            "--categories",
            path(&file),
            "fixtures/stories",
        ],
    ] {
        let (code, stdout, stderr) = run(&args);
        assert_eq!((code, stdout.as_str()), (Some(2), ""), "{args:?}");
        assert_eq!(
            stderr,
            format!(
                "xinwen: invalid categories file {}: line 3: expected `code = name`, not \"科技频道\"\n",
                path(&file)
            )
        );
    }
    assert_eq!(names_of(&index, "pmi-wire"), json!(["财经要闻"]));
}
