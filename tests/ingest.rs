//! Reading news into the index: every good post and JSONL line is indexed, every bad input
//! is rejected with a message that says where and why, re-indexing is idempotent, and the
//! parser handles the post edge cases of `tests/FIXTURES.md`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{
    ALIASES_ARTICLES, JSONL_ARTICLES, JSONL_FLASHES, LITERAL_ARTICLES, NUMERALS_ARTICLES, PAGING_ARTICLES, POSTS,
    RELATED_ARTICLES, STORIES_ARTICLES, WORDS_ARTICLES, build_index, manifest_dir,
};
use xinwen::PostError;
use xinwen::indexer::{self, IndexOptions, IndexReport, Silent};
use xinwen::post::{Article, format_date, parse_post};
use xinwen::search::{Engine, SearchRequest};

/// Good records of `fixtures/bad/broken-lines.jsonl`: lines 1 and 6, and line 3, whose
/// missing title is taken from its body (see
/// [`a_jsonl_line_without_a_title_is_indexed_under_the_start_of_its_body`]).
const GOOD_LINES_IN_BAD: usize = 3;
/// Inputs of `fixtures/bad/` that are rejected: 8 files and 3 lines.
const REJECTED: usize = 11;

/// `fixtures/` as the user passes it: relative to the crate root, the tests' working
/// directory, so rejections name `fixtures/bad/…`.
fn all_fixtures() -> Vec<PathBuf> {
    vec![PathBuf::from("fixtures")]
}

fn index_all() -> (tempfile::TempDir, xinwen::store::IndexDir, IndexReport) {
    build_index(&all_fixtures())
}

fn ids(engine: &Engine, query: &str) -> Vec<String> {
    engine
        .search(&SearchRequest {
            limit: 100,
            ..SearchRequest::new(query)
        })
        .unwrap_or_else(|e| panic!("{query:?}: {e}"))
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

/// Parses a fixture post the way the indexer does.
fn post(name: &str) -> Article {
    let path = Path::new("fixtures/posts").join(name);
    let text = std::fs::read_to_string(manifest_dir().join(&path)).expect("fixture post is UTF-8");
    parse_post(&path, &text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ---------------------------------------------------------------- the whole fixtures folder

#[test]
fn indexing_all_fixtures_indexes_every_good_input() {
    let (_tmp, _dir, report) = index_all();
    let good = POSTS
        + JSONL_ARTICLES
        + JSONL_FLASHES
        + LITERAL_ARTICLES
        + WORDS_ARTICLES
        + PAGING_ARTICLES
        + NUMERALS_ARTICLES
        + STORIES_ARTICLES
        + ALIASES_ARTICLES
        + RELATED_ARTICLES
        + GOOD_LINES_IN_BAD;
    assert_eq!(report.new, good);
    assert_eq!(report.total, good as u64);
    assert_eq!(report.rejected, REJECTED);
    assert_eq!(report.read, good + REJECTED);
    assert_eq!((report.updated, report.unchanged, report.deleted), (0, 0, 0));
    assert_eq!(report.skipped_files, 0);
    assert!(report.rebuilt, "the first job builds the index");
}

#[test]
fn every_bad_input_is_rejected_with_its_exact_message() {
    let (_tmp, _dir, report) = index_all();
    let mut messages: Vec<String> = report.rejections.iter().map(|r| r.to_string()).collect();
    messages.sort();
    let exact = [
        "fixtures/bad/broken-lines.jsonl:4: empty body",
        "fixtures/bad/broken-lines.jsonl:5: not a JSON object",
        "fixtures/bad/empty-body.md: empty body",
        "fixtures/bad/empty-title.md: no title",
        "fixtures/bad/invalid-date.md: invalid date \"2023-13-45 25:61:00 +0800\": expected YYYY-MM-DD, \
         optionally with HH:MM[:SS] and an offset",
        "fixtures/bad/invalid-utf8.md: not valid UTF-8 (first bad byte at offset 223)",
        "fixtures/bad/missing-title.md: no title",
        "fixtures/bad/no-front-matter.md: no front matter: a post starts with a `---` line",
        "fixtures/bad/unterminated-front-matter.md: front matter is not closed by a `---` line",
    ];
    for message in exact {
        assert!(
            messages.iter().any(|m| m == message),
            "missing {message:?} in {messages:#?}"
        );
    }
    // The parser's own wording follows; its positions are checked by the tests below.
    let prefixed = [
        "fixtures/bad/broken-lines.jsonl:2: invalid JSON: ",
        "fixtures/bad/invalid-yaml.md: invalid front matter: ",
    ];
    for prefix in prefixed {
        assert_eq!(
            messages.iter().filter(|m| m.starts_with(prefix)).count(),
            1,
            "one {prefix:?} in {messages:#?}"
        );
    }
    assert_eq!(messages.len(), exact.len() + prefixed.len(), "{messages:#?}");
}

#[test]
fn rejections_are_counted_by_reason() {
    let (_tmp, _dir, report) = index_all();
    let expected: BTreeMap<&str, usize> = [
        ("empty_body", 2),
        ("invalid_date", 1),
        ("invalid_front_matter", 1),
        ("invalid_json", 1),
        ("invalid_utf8", 1),
        ("missing_title", 2),
        ("no_front_matter", 1),
        ("not_an_object", 1),
        ("unterminated_front_matter", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(report.rejected_by_reason, expected);
    let lines: Vec<Option<usize>> = report
        .rejections
        .iter()
        .filter(|r| r.location.path.ends_with("broken-lines.jsonl"))
        .map(|r| r.location.line)
        .collect();
    assert_eq!(lines, [Some(2), Some(4), Some(5)], "JSONL rejections carry their line");
    assert!(
        report
            .rejections
            .iter()
            .filter(|r| r.location.path.extension().is_some_and(|e| e == "md"))
            .all(|r| r.location.line.is_none()),
        "a post is rejected as a whole file"
    );
}

#[test]
fn an_invalid_yaml_error_gives_the_line_in_the_file() {
    let (_tmp, _dir, report) = index_all();
    let message = report
        .rejections
        .iter()
        .map(|r| r.to_string())
        .find(|m| m.starts_with("fixtures/bad/invalid-yaml.md"))
        .expect("invalid-yaml.md is rejected");
    assert_eq!(
        message,
        "fixtures/bad/invalid-yaml.md: invalid front matter: line 7: did not find expected ',' or ']', \
         while parsing a flow sequence"
    );
}

#[test]
fn a_truncated_jsonl_line_is_reported_as_ending_inside_a_string() {
    let (_tmp, _dir, report) = index_all();
    let message = report
        .rejections
        .iter()
        .map(|r| r.to_string())
        .find(|m| m.starts_with("fixtures/bad/broken-lines.jsonl:2:"))
        .expect("line 2 is rejected");
    assert!(
        message.starts_with("fixtures/bad/broken-lines.jsonl:2: invalid JSON: EOF while parsing a string"),
        "{message}"
    );
}

#[test]
fn good_lines_of_a_broken_jsonl_file_are_indexed() {
    let (_tmp, dir, _report) = index_all();
    let engine = Engine::open(&dir).expect("open the index");
    assert_eq!(ids(&engine, "栖鹭湾"), ["bad-file-good-line"], "line 1");
    assert_eq!(
        ids(&engine, "雁回岭"),
        ["bad-file-good-line-2"],
        "line 6, after four bad lines"
    );
    let line6 = engine.get("bad-file-good-line-2").expect("line 6 is indexed");
    assert_eq!(line6.categories, ["caijing"], "a category given as a string");
    assert_eq!(line6.tags, ["风电"]);
    assert_eq!(line6.source.as_deref(), Some("示例能源报"));
    assert_eq!(
        line6.date.map(format_date).as_deref(),
        Some("2024-09-04T15:30:00+08:00")
    );
}

#[test]
fn rejected_inputs_are_never_searchable() {
    let (_tmp, dir, _report) = index_all();
    let engine = Engine::open(&dir).expect("open the index");
    for word in [
        "截断的稿件",
        "正文为空的稿件",
        "苇塘渡",
        "芦沟湾大桥",
        "椰林湾酒业",
        "栾川谷",
        "羲和光电",
        "蓼花汀水库",
        "菖蒲岭隧道",
        "荻港镇",
    ] {
        let exact = engine
            .search(&SearchRequest::new(format!("\"{word}\"")))
            .expect("search");
        assert_eq!(exact.total, 0, "{word:?}");
        // Closest matches of some of the words may show, flagged as such.
        let loose = engine.search(&SearchRequest::new(word)).expect("search");
        assert!(loose.hits.is_empty() || loose.relaxed, "{word:?}");
    }
    for id in [
        "broken-json-line",
        "empty-body-line",
        "no-front-matter",
        "unterminated-front-matter",
        "invalid-yaml",
        "missing-title",
        "empty-title",
        "invalid-date",
        "empty-body",
        "invalid-utf8",
    ] {
        assert!(engine.get(id).is_err(), "{id} is not indexed");
    }
}

/// Line 3 (`no-title-line`) has no title (FIXTURES.md, query 88). The
/// engine indexes it under the start of its body, which is right for a user: real wire
/// flashes often have no headline (11,543 of the 102,729 finflash items in
/// `shared/corpus` have none) and must stay findable.
#[test]
fn a_jsonl_line_without_a_title_is_indexed_under_the_start_of_its_body() {
    let (_tmp, dir, _report) = index_all();
    let engine = Engine::open(&dir).expect("open the index");
    assert_eq!(ids(&engine, "缺少标题字段"), ["no-title-line"]);
    let article = engine.get("no-title-line").expect("line 3 is indexed");
    assert_eq!(article.title, "这一行是合法的JSON对象，但是缺少标题字段");
    assert_eq!(article.body, "这一行是合法的JSON对象，但是缺少标题字段。");
}

// ---------------------------------------------------------------- re-indexing

#[test]
fn indexing_the_same_inputs_twice_changes_nothing() {
    let (_tmp, dir, first) = index_all();
    let second = indexer::run(&dir, &all_fixtures(), &IndexOptions::default(), &Silent).expect("second run");
    assert_eq!(second.new, 0);
    assert_eq!(second.updated, 0);
    assert_eq!(second.unchanged, first.new, "every article is unchanged");
    assert_eq!(second.total, first.total);
    assert_eq!(second.rejected, REJECTED, "bad inputs are rejected again");
    assert!(!second.rebuilt);
}

#[test]
fn generated_ids_are_stable_across_independent_builds() {
    let (_a, dir_a, _) = build_index(&[PathBuf::from("fixtures/jsonl")]);
    let (_b, dir_b, _) = build_index(&[PathBuf::from("fixtures/jsonl")]);
    let a = Engine::open(&dir_a).expect("open a");
    let b = Engine::open(&dir_b).expect("open b");
    for word in ["泺水市", "颜书蕾", "鸢尾学堂"] {
        let id = ids(&a, word);
        assert_eq!(id.len(), 1, "{word:?}");
        assert_eq!(id, ids(&b, word), "{word:?}");
    }
    assert_eq!(
        ids(&a, "颜书蕾"),
        [xinwen::post::id::from_url(
            "https://news.example.com/2023/0610/volleyball-league.html"
        )]
    );
}

#[test]
fn the_good_fixtures_alone_index_without_rejections() {
    let (_tmp, _dir, report) = build_index(&common::good_inputs());
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    assert_eq!(report.new, common::GOOD_ARTICLES);
    assert_eq!(report.total, common::GOOD_ARTICLES as u64);
}

#[test]
fn a_missing_input_path_is_rejected_not_fatal() {
    let (_tmp, _dir, report) = build_index(&[
        PathBuf::from("fixtures/no-such-folder"),
        PathBuf::from("fixtures/jsonl"),
    ]);
    assert_eq!(report.new, JSONL_ARTICLES + JSONL_FLASHES);
    assert_eq!(report.rejected, 1);
    assert_eq!(report.rejected_by_reason.get("unreadable"), Some(&1));
    assert!(
        report.rejections[0]
            .to_string()
            .starts_with("fixtures/no-such-folder: cannot read: "),
        "{}",
        report.rejections[0]
    );
}

// ---------------------------------------------------------------- the shared seed post

#[test]
fn the_seed_post_indexes_as_one_clean_article() {
    let seed = manifest_dir().join("../shared/seed");
    if !seed.is_dir() {
        eprintln!("skip: {} absent", seed.display());
        return;
    }
    let (_tmp, dir, report) = build_index(&[seed]);
    assert_eq!(
        (report.read, report.new, report.rejected),
        (1, 1, 0),
        "{:?}",
        report.rejections
    );
    let engine = Engine::open(&dir).expect("open the index");
    assert_eq!(engine.stats().expect("stats").articles, 1);
    let found = ids(&engine, "1688");
    assert_eq!(found, ["000_aa24a9182e54e910"], "the id is the file name");
    let article = engine.get(&found[0]).expect("stored");
    assert!(
        article.title.starts_with("1688全面提升买家采购体验"),
        "{}",
        article.title
    );
    assert_eq!(article.title, "1688全面提升买家采购体验 无忧代发商家48小时揽收率超九成");
    assert_eq!(
        article.url.as_deref(),
        Some("http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202205112375702516")
    );
    assert_eq!(
        article.date.map(format_date).as_deref(),
        Some("2022-05-11T14:33:56+08:00")
    );
    assert_eq!(article.tags, ["证券日报网新闻"]);
    assert_eq!(article.categories, ["zhengquanribaowang"]);
    assert!(!article.body.contains("返回"), "the nav trailer is not body");
    assert!(!article.body.contains("finews"), "the source link is not body");
    assert!(!article.body.contains("http"), "no URL in the body");
    assert!(article.body.starts_with("疫情时期，有一群商人"));
    assert!(article.body.ends_with("（文章来源：证券日报网）"));
    assert!(!article.body.contains('<'), "no markup left");
}

// ---------------------------------------------------------------- post edge cases

#[test]
fn a_crlf_post_has_no_carriage_returns() {
    let a = post("crlf-endings.md");
    assert_eq!(a.title, "高铁槐庄站启用 值班员梅听雨：新站首日送客三千人次");
    assert!(!a.body.contains('\r'));
    assert_eq!(a.body.lines().count(), 4);
    assert!(a.body.starts_with("3月10日，新建高铁槐庄站正式启用"));
    assert_eq!(a.date.map(format_date).as_deref(), Some("2021-03-10T12:00:00+08:00"));
    assert_eq!(a.tags, ["交通"]);
    assert_eq!(
        a.url.as_deref(),
        Some("http://news.example.com/2021/0310/crlf-endings.html")
    );
}

#[test]
fn a_post_starting_with_a_bom_has_front_matter() {
    let raw = std::fs::read(manifest_dir().join("fixtures/posts/bom-start.md")).expect("read");
    assert!(raw.starts_with(&[0xEF, 0xBB, 0xBF]), "the fixture starts with a BOM");
    let a = post("bom-start.md");
    assert_eq!(a.title, "沙溪杯羽毛球公开赛落幕 凌霄羽包揽两项冠军");
    assert_eq!(a.categories, ["tiyu"]);
    assert_eq!(a.date.map(format_date).as_deref(), Some("2022-01-09T18:00:00+08:00"));
}

#[test]
fn a_bare_offset_date_means_no_date() {
    let a = post("no-date.md");
    assert_eq!(a.date, None);
    assert_eq!(a.title, "柠溪社区开设“四点半课堂” 解决双职工家庭接娃难");
    let inline = parse_post(Path::new("x.md"), "---\ntitle: 标题\ndate:  +0800\n---\n<p>正文</p>\n");
    assert_eq!(inline.map(|a| a.date), Ok(None));
}

#[test]
fn dates_without_an_offset_are_beijing_time() {
    assert_eq!(
        post("old-nav-digest.md").date.map(format_date).as_deref(),
        Some("2021-12-08T10:46:18+08:00")
    );
    assert_eq!(
        post("village-football.md").date.map(format_date).as_deref(),
        Some("2023-07-01T00:00:00+08:00")
    );
    assert_eq!(
        post("winter-olympics-open.md").date.map(format_date).as_deref(),
        Some("2022-02-04T20:00:00+08:00")
    );
}

#[test]
fn unescaped_quotes_in_a_title_are_recovered() {
    assert_eq!(post("shuangjian-quotes.md").title, "专家谈\"双减\"政策落地一周年");
    assert_eq!(
        post("curly-quotes-title.md").title,
        "“新基建”提速 北峦数据园首期机房投入运行"
    );
}

#[test]
fn tags_and_categories_as_a_string_a_flow_list_or_a_block_list() {
    let string = post("sh-close.md");
    assert_eq!(string.tags, ["A股"]);
    assert_eq!(string.categories, ["caijing"]);
    assert_eq!(post("a-share-baijiu.md").tags, ["A股", "白酒"]);
    let block = post("football-block-tags.md");
    assert_eq!(block.tags, ["足球", "中超"]);
    assert_eq!(block.categories, ["tiyu", "zuqiu"]);
}

#[test]
fn ids_come_from_front_matter_or_the_file_name_without_its_date() {
    assert_eq!(post("explicit-id.md").id, "custom-id-001");
    assert_eq!(post("2024-05-20-ev-price-war.md").id, "ev-price-war");
    assert_eq!(post("2021-12-01-site-open.md").id, "site-open");
    assert_eq!(post("sh-close.md").id, "sh-close");
}

#[test]
fn the_relative_two_line_nav_trailer_is_not_body() {
    let a = post("old-nav-digest.md");
    assert_eq!(
        a.body,
        "甬江新材12月8日晚间公告，控股股东宁波甬江投资拟在未来六个月内减持不超过2%的公司股份，\
         减持将在公告发布满15个交易日后开始，方式包括集中竞价和大宗交易。董事长戚望舒表示，\
         这次减持出于股东自身的资金需要，公司的实际控制人不会因此改变。"
    );
    assert_eq!(
        a.url.as_deref(),
        Some("http://news.example.com/2021/1208/old-nav-digest.html")
    );
}

#[test]
fn an_empty_source_link_gives_no_url_and_no_text() {
    let a = post("empty-source.md");
    assert_eq!(a.url, None);
    assert!(a.body.ends_with("可通过线上平台及时更正。"), "{}", a.body);
    assert!(!a.body.contains("返回"));
    let trailerless = post("no-trailer.md");
    assert_eq!(trailerless.url, None);
    assert!(trailerless.body.ends_with("进一步提升群众出行的安全保障水平。"));
    let nav_only = post("2021-12-01-site-open.md");
    assert_eq!(nav_only.body, "祝贺开站");
}

#[test]
fn hidden_paragraphs_are_dropped_and_a_link_inside_a_word_is_joined() {
    let a = post("em-stock-news.md");
    assert!(!a.body.contains("隐藏段落词"), "{}", a.body);
    assert!(a.body.ends_with("（文章来源：上海证券报）"), "{}", a.body);
    assert!(a.body.contains("随着<制冷剂配额管理办法>的实施"), "entities decoded");
    assert!(a.body.contains("瓯江氟材（603188）"), "the company link's text stays");
    assert!(
        a.body.lines().any(|l| l == "海外需求稳定增长"),
        "the sub-head is a paragraph"
    );
    assert!(!a.body.contains("getkline"), "image URLs are not text");
    assert!(!a.body.contains("EM_StockImg"), "comments are not text");
    assert!(!a.body.lines().any(|l| l.starts_with('>')), "the digest marker is gone");
    assert!(a.body.starts_with("瓯江氟材6月30日接待机构调研时表示"), "{}", a.body);
}

#[test]
fn scripts_and_styles_are_dropped() {
    let a = post("script-style.md");
    for hidden in ["脚本专用词ZZQX", "样式专用词QQZX", "document.write", "color:#c00"] {
        assert!(!a.body.contains(hidden), "{hidden:?} in {}", a.body);
    }
    assert!(a.body.starts_with("2月下旬，樱湖公园的早樱进入盛花期"));
    assert_eq!(a.body.lines().count(), 4);
}

#[test]
fn entities_are_decoded() {
    let a = post("html-entities.md");
    assert!(a.body.starts_with("中国旅游研究机构"), "decimal entities: {}", a.body);
    assert!(a.body.contains("以翠屏峡景区为例"), "mixed decimal and hex entities");
    assert!(a.body.contains("<溪谷文明公约>"));
    assert!(a.body.contains("“早鸟&夜游”"));
    assert!(a.body.contains("在中心停车场"), "hex entities");
    assert!(!a.body.contains("&amp;") && !a.body.contains("&#") && !a.body.contains("&nbsp;"));
}

#[test]
fn markup_in_a_title_is_kept_as_text() {
    let a = post("title-injection.md");
    assert_eq!(a.title, "测试<script>alert(1)</script>标题注入");
    assert!(a.body.contains("形如<script>alert(\"x\")</script>的代码"));
    assert!(a.body.contains("\"><img src=x onerror=alert(1)>"));
}

#[test]
fn unknown_front_matter_keys_are_ignored() {
    let a = post("extra-keys.md");
    assert_eq!(a.title, "星桥量子发布新一代光量子计算原型机");
    assert!(!a.body.contains("蔺沧舟") && !a.body.contains("摘要字段词"));
    assert_eq!(a.source, None, "author: is not the source");
}

#[test]
fn xwlb_style_indentation_and_upper_case_tags_are_handled() {
    let a = post("xwlb-style.md");
    assert!(a.body.starts_with("央视网消息（新闻联播）："), "{:?}", a.body);
    assert!(!a.body.contains("</P>") && !a.body.contains('\u{3000}'));
    assert_eq!(a.body.lines().count(), 3, "{}", a.body);
}

#[test]
fn each_bad_post_gives_its_parse_error() {
    let bad = |name: &str| {
        let path = Path::new("fixtures/bad").join(name);
        let bytes = std::fs::read(manifest_dir().join(&path)).expect("read a bad fixture");
        xinwen::post::parse_post_bytes(&path, &bytes)
    };
    assert_eq!(bad("no-front-matter.md"), Err(PostError::NoFrontMatter));
    assert_eq!(
        bad("unterminated-front-matter.md"),
        Err(PostError::UnterminatedFrontMatter)
    );
    assert!(matches!(bad("invalid-yaml.md"), Err(PostError::InvalidFrontMatter(_))));
    assert_eq!(bad("missing-title.md"), Err(PostError::MissingTitle));
    assert_eq!(bad("empty-title.md"), Err(PostError::MissingTitle));
    assert_eq!(
        bad("invalid-date.md"),
        Err(PostError::InvalidDate("2023-13-45 25:61:00 +0800".into()))
    );
    assert_eq!(bad("empty-body.md"), Err(PostError::EmptyBody));
    assert_eq!(bad("invalid-utf8.md"), Err(PostError::InvalidUtf8 { offset: 223 }));
}

// ---------------------------------------------------------------- any bytes

mod any_bytes {
    //! Property tests: any bytes through the post reader and, as a `.jsonl` file, through
    //! the real reader. Nothing panics, every article holds what an article promises, and
    //! every rejection says where.

    use std::path::Path;

    use proptest::prelude::*;
    use xinwen::post::id::is_plain;
    use xinwen::post::{Article, Input, InputKind, Origin, Reader, parse_post_bytes};

    /// What every article read from any input holds.
    fn check(article: &Article) {
        assert!(is_plain(&article.id) || article.id.len() == 18, "id {:?}", article.id);
        assert!(!article.title.trim().is_empty(), "an article has a title");
        assert!(!article.body.trim().is_empty(), "an article has a body");
        let one_line = std::iter::once(&article.title)
            .chain(&article.tags)
            .chain(&article.categories)
            .chain(&article.url)
            .chain(&article.source);
        for text in one_line {
            assert!(!text.chars().any(char::is_control), "control character in {text:?}");
        }
        assert!(
            !article.body.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
            "control character in the body {:?}",
            article.body
        );
    }

    /// Bytes that look a little like a post: front matter with arbitrary values, then
    /// arbitrary markup, or nothing like one at all.
    fn post_bytes() -> impl Strategy<Value = Vec<u8>> {
        let text = "(?s).{0,40}";
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            (text, text, text, "(?s).{0,200}").prop_map(|(title, tags, date, body)| {
                format!(
                    "---\ntitle: {title}\ntags: {tags}\nsource: {tags}\ndate: {date}\n---\n<p>{body}</p>\n<http://x.example.com/{title}>\n"
                )
                    .into_bytes()
            }),
            (escaped(), escaped(), escaped(), escaped()).prop_map(|(title, tag, source, url)| {
                format!(
                    "---\ntitle: \"{title}题\"\ntags: [\"{tag}\"]\nsource: \"{source}\"\nurl: \"http://x/{url}\"\n---\n<p>正文{title}</p>\n"
                )
                .into_bytes()
            }),
            (any::<Vec<u8>>(), "(?s).{0,80}").prop_map(|(junk, title)| {
                let mut bytes = format!("---\ntitle: \"{title}\"\n---\n").into_bytes();
                bytes.extend(junk);
                bytes
            }),
        ]
    }

    /// A YAML double-quoted value made of escapes of control characters and text.
    fn escaped() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "\\e", "\\a", "\\x1b", "\\x9b", "\\x7f", "\\x00", "中", "a", " ", "\\t",
        ]);
        proptest::collection::vec(piece, 0..8).prop_map(|pieces| pieces.concat())
    }

    /// Lines that are JSON records with arbitrary strings, JSON of other shapes, or junk.
    fn jsonl_bytes() -> impl Strategy<Value = Vec<u8>> {
        let line = prop_oneof![
            ("(?s).{0,30}", "(?s).{0,60}", "(?s).{0,20}").prop_map(|(title, body, tag)| {
                serde_json::json!({"title": title, "body": body, "tags": [tag], "source": tag, "url": title})
                    .to_string()
                    .into_bytes()
            }),
            any::<i64>().prop_map(|n| format!("{{\"id\": {n}, \"body\": \"正文\"}}").into_bytes()),
            proptest::collection::vec(any::<u8>(), 0..120),
        ];
        proptest::collection::vec(line, 0..12).prop_map(|lines| lines.join(&b'\n'))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn any_bytes_as_a_post_become_an_article_or_a_rejection(bytes in post_bytes()) {
            if let Ok(article) = parse_post_bytes(Path::new("any.md"), &bytes) {
                check(&article);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

        #[test]
        fn any_bytes_as_a_jsonl_file_are_read_line_by_line(bytes in jsonl_bytes()) {
            let tmp = tempfile::tempdir().expect("tempdir");
            let path = tmp.path().join("any.jsonl");
            std::fs::write(&path, &bytes).expect("write");
            let input = Input { path: path.clone(), kind: InputKind::Jsonl, origin: Origin(1), len: bytes.len() as u64 };
            let lines = bytes.split(|&b| b == b'\n').count();
            let mut last_line = 0;
            for batch in Reader::new(vec![input]) {
                for (origin, item) in batch.items {
                    prop_assert_eq!(origin, Origin(1));
                    let line = match item {
                        Ok(article) => { check(&article); continue; }
                        Err(rejection) => {
                            prop_assert_eq!(&rejection.location.path, &path);
                            rejection.location.line.expect("a JSONL rejection has its line")
                        }
                    };
                    prop_assert!(line > last_line && line <= lines, "line {} of {}", line, lines);
                    last_line = line;
                }
            }
        }
    }
}
