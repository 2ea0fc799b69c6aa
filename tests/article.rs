//! Related articles and the article page (issue 13) as a client sees them, over
//! `fixtures/related/`: a 顺丰 gold-vault flash, its follow-up and a 顺丰 annual report,
//! and four "据知情人士" flashes that share nothing with anything but that boilerplate.

mod common;

use std::sync::{Arc, LazyLock};

use serde_json::{Value, json};
use tempfile::TempDir;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use xinwen::server::{self, ServerOptions, Shared};

/// The related fixtures indexed once, and the routes over them.
struct Fixture {
    // Kept so the directory outlives every test of the binary.
    _tmp: TempDir,
    routes: BoxedFilter<(Response,)>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let (tmp, dir, report) = common::build_index(&[common::fixture("related")]);
    assert_eq!(
        (report.indexed(), report.rejected),
        (common::RELATED_ARTICLES, 0),
        "{report:?}"
    );
    let shared = Arc::new(Shared::open(dir).expect("open the related index"));
    Fixture {
        _tmp: tmp,
        routes: server::routes(shared, &ServerOptions::default()),
    }
});

/// `GET path`: status, content type and body text.
async fn get(path: &str) -> (StatusCode, String, String) {
    let response = warp::test::request().path(path).reply(&FIXTURE.routes).await;
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = String::from_utf8(response.body().to_vec()).expect("a UTF-8 body");
    (response.status(), kind, text)
}

/// `GET path` as JSON.
async fn get_json(path: &str) -> (StatusCode, Value) {
    let (status, _, text) = get(path).await;
    (status, serde_json::from_str(&text).expect("a JSON body"))
}

/// The part of a page between `<main class="wrap">` and `</main>`.
fn main_of(page: &str) -> &str {
    let start = page.find("<main class=\"wrap\">\n").expect("a main part") + "<main class=\"wrap\">\n".len();
    let end = page.find("\n</main>").expect("the end of the main part");
    &page[start..end]
}

#[tokio::test]
async fn related_articles_carry_scores_and_share_a_distinctive_word() {
    let (status, body) = get_json("/api/articles/sf-gold-vault/related").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({
            "id": "sf-gold-vault",
            "related": [{
                "id": "sf-gold-insurance",
                "url": null,
                "title": "顺丰金库黄金押运获保险公司承保",
                "date": "2024-04-05T10:00:00+08:00",
                "tags": ["顺丰", "黄金"],
                "categories": ["cls"],
                "score": 10.706,
            }, {
                "id": "sf-express-results",
                "url": "https://news.example.com/2024/0328/sf-results.html",
                "title": "顺丰控股年报：快递件量增长 押运等新业务起步",
                "date": "2024-03-28T18:00:00+08:00",
                "tags": ["顺丰", "快递"],
                "categories": ["eastmoney"],
                "score": 3.374,
            }],
        })
    );
}

#[tokio::test]
async fn an_article_sharing_only_boilerplate_has_no_related_articles() {
    for id in [
        "steel-mill-rumor",
        "game-studio-rumor",
        "airline-rumor",
        "tea-garden-rumor",
    ] {
        let (status, body) = get_json(&format!("/api/articles/{id}/related")).await;
        assert_eq!(status, StatusCode::OK, "{id}");
        assert_eq!(body, json!({ "id": id, "related": [] }), "{id}");
    }
}

#[tokio::test]
async fn the_article_page_shows_the_whole_escaped_text_and_its_related_articles() {
    let (status, kind, page) = get("/a/sf-gold-vault").await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "text/html; charset=utf-8"));
    assert!(
        page.contains("<title>顺丰启用黄金金库 贵金属押运业务扩容 · xinwen</title>"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "the body's markup stays text");
    assert_eq!(
        main_of(&page),
        "<article id=\"article\" data-id=\"sf-gold-vault\">\n\
         <h1>顺丰启用黄金金库 贵金属押运业务扩容</h1>\n\
         <p class=\"meta\"><time datetime=\"2024-04-02T09:30:00+08:00\">2024-04-02</time>\
         <span class=\"source\">财联社</span></p>\n\
         <ul class=\"chips categories\" aria-label=\"分类\"><li>财联社</li></ul>\n\
         <ul class=\"chips tags\" aria-label=\"标签\"><li>#顺丰</li><li>#黄金</li></ul>\n\
         <div class=\"body\">\n\
         <p>据知情人士透露，顺丰已在深圳启用一座黄金金库，用于贵金属押运与仓储。</p>\n\
         <p>记者获悉，这座金库可存放黄金逾百吨，押运车队同步扩容。</p>\n\
         <p>消息称，&lt;script&gt;alert(1)&lt;/script&gt; 这段文字只是文字。</p>\n\
         </div>\n</article>\n\
         <section id=\"story\" hidden><h2>其他媒体的报道</h2><ul></ul></section>\n\
         <section id=\"related\"><h2>相关文章</h2>\n<ol>\n\
         <li><a href=\"/a/sf-gold-insurance\">顺丰金库黄金押运获保险公司承保</a><span class=\"meta\">2024-04-05</span></li>\n\
         <li><a href=\"/a/sf-express-results\">顺丰控股年报：快递件量增长 押运等新业务起步</a>\
         <span class=\"meta\">2024-03-28</span></li>\n\
         </ol>\n</section>"
    );
}

#[tokio::test]
async fn the_article_page_links_the_source_and_says_when_nothing_is_related() {
    let (status, _, page) = get("/a/steel-mill-rumor").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        main_of(&page)
            .ends_with("<section id=\"related\"><h2>相关文章</h2>\n<p class=\"none\">没有相关文章。</p>\n</section>"),
        "{page}"
    );
    let (status, _, page) = get("/a/sf-express-results").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(
            "<span class=\"source\">示例财经网</span><a class=\"origin\" \
             href=\"https://news.example.com/2024/0328/sf-results.html\" rel=\"noopener noreferrer\">原文链接</a>"
        ),
        "{page}"
    );
    assert!(page.contains("<li>东方财富</li>"), "the category by its name: {page}");
}

#[tokio::test]
async fn an_unknown_article_gets_a_readable_404_page() {
    let (status, kind, page) = get("/a/no-such-id").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::NOT_FOUND, "text/html; charset=utf-8")
    );
    assert_eq!(
        main_of(&page),
        "<article id=\"missing\">\n<h1>找不到这篇文章</h1>\n\
         <p>没有这个编号的文章：它可能已被删除，或链接有误。</p>\n<p><a href=\"/\">返回搜索</a></p>\n</article>"
    );
    let (status, _, page) = get("/a/%FF").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("<h1>无法显示这篇文章</h1>\n<p>the id is not valid UTF-8</p>"),
        "{page}"
    );
}
