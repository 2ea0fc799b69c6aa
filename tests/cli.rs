//! The real `xinwen` binary: what it prints on stdout and stderr and how it exits
//! (0 hits or success, 1 no hits, 2 error or rejected input).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::LazyLock;

use common::manifest_dir;
use serde_json::Value;
use tempfile::TempDir;

/// A command for the binary, run from the crate root so `fixtures/…` paths are relative.
fn xinwen(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xinwen"));
    cmd.args(args)
        .current_dir(manifest_dir())
        .env_remove("NO_COLOR")
        .env_remove("XINWEN_LOG")
        .stdin(Stdio::null());
    cmd
}

/// What a run printed and how it ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let Output { status, stdout, stderr } = cmd.output().expect("run the xinwen binary");
    Run {
        code: status.code(),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// An index of the good fixtures built once by `xinwen index`, shared by the read-only tests.
struct SharedIndex {
    _tmp: TempDir,
    dir: PathBuf,
}

static INDEX: LazyLock<SharedIndex> = LazyLock::new(|| {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("index");
    let out = run(&mut xinwen(&[
        "index",
        "--index",
        path(&dir),
        "fixtures/posts",
        "fixtures/jsonl",
    ]));
    assert_eq!(out.code, Some(0), "{out:?}");
    SharedIndex { _tmp: tmp, dir }
});

fn path(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// `xinwen <command> --index <shared index> args…`.
fn on_index(command: &str, args: &[&str]) -> Run {
    let mut all = vec![command, "--index", path(&INDEX.dir)];
    all.extend_from_slice(args);
    run(&mut xinwen(&all))
}

fn search(args: &[&str]) -> Run {
    on_index("search", args)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// The ids on the `id: …` lines of a text result list, in order.
fn listed_ids(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter_map(|l| l.split(" · ").find_map(|part| part.trim().strip_prefix("id: ")))
        .collect()
}

// ---------------------------------------------------------------- index

#[test]
fn index_prints_a_report_and_exits_2_when_input_was_rejected() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("index");
    let out = run(&mut xinwen(&["index", "--index", path(&dir), "fixtures"]));
    assert_eq!(out.code, Some(2), "{out:?}");
    let first = out.stdout.lines().next().unwrap_or_default();
    // 60 posts, 16 JSONL articles, 16 literal, 4 words, 9 paging records, 10 stories, 24
    // numerals, 11 aliases, 7 related and 3 good lines of fixtures/bad (tests/FIXTURES.md);
    // 8 bad files and 3 bad lines.
    assert_eq!(
        first, "read 171 · indexed 160 (new 160, updated 0) · unchanged 0 · deleted 0 · rejected 11",
        "{out:?}"
    );
    assert!(out.stdout.contains("160 articles in "), "{out:?}");
    assert!(
        out.stdout.lines().any(|l| l
            == "rejected by reason: empty_body 2, invalid_date 1, invalid_front_matter 1, invalid_json 1, \
                invalid_utf8 1, missing_title 2, no_front_matter 1, not_an_object 1, unterminated_front_matter 1"),
        "{out:?}"
    );
}

#[test]
fn index_lists_each_rejection_on_stderr_with_file_line_and_reason() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("index");
    let out = run(&mut xinwen(&["index", "--index", path(&dir), "fixtures/bad"]));
    assert_eq!(out.code, Some(2), "{out:?}");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 11, "one line per rejection: {out:?}");
    for expected in [
        "xinwen: rejected fixtures/bad/broken-lines.jsonl:4: empty body",
        "xinwen: rejected fixtures/bad/broken-lines.jsonl:5: not a JSON object",
        "xinwen: rejected fixtures/bad/empty-body.md: empty body",
        "xinwen: rejected fixtures/bad/empty-title.md: no title",
        "xinwen: rejected fixtures/bad/missing-title.md: no title",
        "xinwen: rejected fixtures/bad/no-front-matter.md: no front matter: a post starts with a `---` line",
        "xinwen: rejected fixtures/bad/unterminated-front-matter.md: front matter is not closed by a `---` line",
        "xinwen: rejected fixtures/bad/invalid-utf8.md: not valid UTF-8 (first bad byte at offset 223)",
    ] {
        assert!(lines.contains(&expected), "missing {expected:?}: {out:?}");
    }
    for prefix in [
        "xinwen: rejected fixtures/bad/broken-lines.jsonl:2: invalid JSON: ",
        "xinwen: rejected fixtures/bad/invalid-yaml.md: invalid front matter: ",
        "xinwen: rejected fixtures/bad/invalid-date.md: invalid date \"2023-13-45 25:61:00 +0800\"",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(prefix)),
            "missing {prefix:?}: {out:?}"
        );
    }
    assert!(
        out.stdout
            .starts_with("read 14 · indexed 3 (new 3, updated 0) · unchanged 0 · deleted 0 · rejected 11\n"),
        "{out:?}"
    );
}

#[test]
fn index_exits_0_when_nothing_was_rejected_and_again_when_nothing_changed() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("index");
    let args = ["index", "--index", path(&dir), "fixtures/posts", "fixtures/jsonl"];
    let first = run(&mut xinwen(&args));
    assert_eq!(first.code, Some(0), "{first:?}");
    assert!(
        first
            .stdout
            .starts_with("read 76 · indexed 76 (new 76, updated 0) · unchanged 0 · deleted 0 · rejected 0\n"),
        "{first:?}"
    );
    assert_eq!(first.stderr, "", "nothing on stderr when nothing was rejected");
    let second = run(&mut xinwen(&args));
    assert_eq!(second.code, Some(0), "{second:?}");
    assert!(
        second
            .stdout
            .starts_with("read 76 · indexed 0 (new 0, updated 0) · unchanged 76 · deleted 0 · rejected 0\n"),
        "{second:?}"
    );
    assert!(second.stdout.contains("76 articles in "), "{second:?}");
}

#[test]
fn index_json_prints_the_report_as_json() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("index");
    let out = run(&mut xinwen(&["index", "--json", "--index", path(&dir), "fixtures/bad"]));
    assert_eq!(out.code, Some(2), "{out:?}");
    let report = json(&out.stdout);
    assert_eq!(report["read"], 14);
    assert_eq!(report["new"], 3);
    assert_eq!(report["updated"], 0);
    assert_eq!(report["unchanged"], 0);
    assert_eq!(report["deleted"], 0);
    assert_eq!(report["rejected"], 11);
    assert_eq!(report["total"], 3);
    assert_eq!(report["rejected_by_reason"]["missing_title"], 2);
    assert_eq!(report["rejected_by_reason"]["empty_body"], 2);
    let rejections = report["rejections"].as_array().expect("a list of rejections");
    assert_eq!(rejections.len(), 11);
    let line4 = rejections
        .iter()
        .find(|r| r["line"] == 4)
        .expect("line 4 of broken-lines.jsonl");
    assert_eq!(
        line4,
        &json(
            r#"{"path": "fixtures/bad/broken-lines.jsonl", "line": 4, "code": "empty_body", "reason": "empty body"}"#
        )
    );
    let utf8 = rejections
        .iter()
        .find(|r| r["path"] == "fixtures/bad/invalid-utf8.md")
        .expect("invalid-utf8.md");
    assert_eq!(utf8["line"], Value::Null, "a post has no line");
    assert_eq!(utf8["code"], "invalid_utf8");
}

// ---------------------------------------------------------------- search

#[test]
fn search_exits_0_and_lists_hits_best_first() {
    let out = search(&["上海", "股市", "-期货"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(listed_ids(&out.stdout), ["sh-close", "a-share-rally"], "{out:?}");
    assert!(out.stdout.lines().any(|l| l.starts_with("1–2 of 2 results")), "{out:?}");
    assert!(
        out.stdout
            .contains(" 1. **股市**收评：**上海**科创企业午后发力 两市成交额重回九千亿元\n"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("    2024-03-15 · tags: A股 · id: sh-close\n"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("    http://news.example.com/2024/0315/sh-close.html\n"),
        "{out:?}"
    );
    assert_eq!(out.stderr, "", "{out:?}");
}

#[test]
fn search_exits_1_with_no_hits() {
    let out = search(&["zzqx"]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(listed_ids(&out.stdout).is_empty(), "{out:?}");
    assert!(out.stdout.contains("0 of 0 results"), "{out:?}");
    assert_eq!(out.stderr, "", "no hits is not an error: {out:?}");
}

#[test]
fn search_exits_2_with_a_one_line_message_on_a_bad_argument() {
    for (args, message) in [
        (&["--limit", "0", "上海"][..], "xinwen: invalid limit: 0: use 1 to 100"),
        (
            &["--sort", "foo", "上海"][..],
            "xinwen: invalid sort: \"foo\": use relevance or date",
        ),
        (
            &["--from", "notadate", "上海"][..],
            "xinwen: invalid from date \"notadate\": use YYYY-MM-DD or RFC 3339",
        ),
        (
            &["--from", "2024-01-02", "--to", "2024-01-01", "上海"][..],
            "xinwen: date range is empty: from 2024-01-02T00:00:00+08:00 is after to 2024-01-01T23:59:59+08:00",
        ),
        (
            &[""][..],
            "xinwen: empty query: give at least one word to search for, or a filter",
        ),
        (
            &["title:("][..],
            "xinwen: empty query: give at least one word to search for, or a filter",
        ),
        // A value flag: a word after it is never taken for a query word.
        (
            &["--collapse", "茅台", "上海"][..],
            "xinwen: `collapse` may be `title` (one result per headline), `story` (one per story) or `none`, not \"茅台\"",
        ),
    ] {
        let out = search(args);
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        assert_eq!(out.stderr, format!("{message}\n"), "{args:?}: {out:?}");
        assert_eq!(out.stdout, "", "{args:?}: {out:?}");
    }
}

/// `--collapse` needs its value (story, title or none), as `collapse=` does.
#[test]
fn search_collapse_without_a_value_is_a_usage_error() {
    let out = search(&["上海", "--collapse"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(
        out.stderr.lines().next(),
        Some("error: a value is required for '--collapse <story|title|none>' but none was supplied"),
        "{out:?}"
    );
    assert_eq!(out.stdout, "", "{out:?}");
}

#[test]
fn search_json_has_exactly_the_documented_keys() {
    let out = search(&["--json", "臺灣"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let response = json(&out.stdout);
    let mut keys: Vec<&str> = response
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["hits", "query", "relaxed", "took_ms", "total"]);
    assert_eq!(response["query"], "臺灣");
    assert_eq!(response["total"], 2);
    assert_eq!(response["relaxed"], false);
    assert!(response["took_ms"].is_number());
    let hits = response["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 2);
    for hit in hits {
        let mut keys: Vec<&str> = hit.as_object().expect("an object").keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, common::HIT_KEYS);
    }
    let first = &hits[0];
    assert_eq!(first["id"], "trad-taiwan-economy");
    assert_eq!(first["title"], "臺灣半導體出口回溫 經濟成長預測上修");
    assert_eq!(first["title_html"], "<mark>臺灣</mark>半導體出口回溫 經濟成長預測上修");
    assert_eq!(first["date"], "2023-12-05T11:30:00+08:00");
    assert_eq!(first["tags"], json(r#"["經濟"]"#));
    assert_eq!(first["categories"], json(r#"["caijing"]"#));
    assert_eq!(
        first["url"],
        "http://news.example.com/2023/1205/trad-taiwan-economy.html"
    );
    assert!(first["score"].as_f64().is_some_and(|s| s > 0.0));
    assert_eq!(hits[1]["id"], "taiwan-fruit-fair");
    assert!(
        hits[1]["snippet_html"]
            .as_str()
            .is_some_and(|s| s.contains("<mark>台湾</mark>")),
        "{out:?}"
    );
}

#[test]
fn search_json_escapes_injected_markup() {
    let out = search(&["--json", "注入测试"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let response = json(&out.stdout);
    let hit = &response["hits"][0];
    assert_eq!(hit["id"], "title-injection");
    assert_eq!(
        hit["title_html"],
        // The body has the whole 注入测试, so its parts are not marked alone in the title.
        "测试&lt;script&gt;alert(1)&lt;/script&gt;标题注入"
    );
    let snippet = hit["snippet_html"].as_str().expect("a snippet");
    assert!(!snippet.contains("<script") && !snippet.contains("<img"), "{snippet}");
}

#[test]
fn piped_output_marks_words_with_asterisks_and_no_ansi_escapes() {
    for no_color in [false, true] {
        let mut cmd = xinwen(&["search", "--index", path(&INDEX.dir), "臺灣"]);
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = run(&mut cmd);
        assert_eq!(out.code, Some(0), "{out:?}");
        assert!(!out.stdout.contains('\u{1b}'), "NO_COLOR={no_color}: {out:?}");
        assert!(
            out.stdout.contains(" 1. **臺灣**半導體出口回溫 經濟成長預測上修\n"),
            "NO_COLOR={no_color}: {out:?}"
        );
        assert!(
            out.stdout.contains("来自**台湾**的凤梨"),
            "NO_COLOR={no_color}: {out:?}"
        );
    }
}

#[test]
fn search_filters_sort_and_paging_options() {
    let out = search(&["--tag", "足球", "--sort", "date"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        listed_ids(&out.stdout),
        ["football-block-tags", "village-football", "football-national"]
    );
    let day = search(&["--from", "2023-07-01", "--to", "2023-07-01"]);
    assert_eq!(listed_ids(&day.stdout), ["village-football"], "{day:?}");
    let category = search(&["--category", "shehui", "人工智能"]);
    assert_eq!(listed_ids(&category.stdout), ["ai-course-schools", "long-elderly-care"]);
    let page = search(&["--limit", "2", "--offset", "2", "人工智能"]);
    assert_eq!(
        listed_ids(&page.stdout),
        ["phone-launch", "ai-course-schools"],
        "{page:?}"
    );
    assert!(page.stdout.contains("3–4 of 5 results"), "{page:?}");
}

#[test]
fn a_relaxed_search_says_so() {
    let out = search(&["槐庄站", "凌霄羽"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.stdout.lines().next(),
        Some("No article has all the words; showing the closest matches."),
        "{out:?}"
    );
    let mut found = listed_ids(&out.stdout);
    found.sort();
    assert_eq!(found, ["bom-start", "crlf-endings"]);
    let json_out = search(&["--json", "槐庄站", "凌霄羽"]);
    assert_eq!(json(&json_out.stdout)["relaxed"], true);
}

#[test]
fn a_query_starting_with_a_dash_is_an_exclusion_not_an_option() {
    let out = search(&["-期货", "上海", "股市"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(listed_ids(&out.stdout), ["sh-close", "a-share-rally"]);
}

#[test]
fn options_after_the_query_are_options_not_query_words() {
    let out = search(&["-期货", "上海", "股市", "--limit", "1", "--json"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let response = json(&out.stdout);
    assert_eq!(response["query"], "-期货 上海 股市");
    assert_eq!(response["total"], 2);
    let ids: Vec<&str> = response["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["sh-close"]);

    let with_equals = search(&["上海", "股市", "--sort=date", "--json", "-期货"]);
    assert_eq!(json(&with_equals.stdout)["query"], "上海 股市 -期货", "{with_equals:?}");

    // After `--` everything is the query, as in other command-line tools.
    let quoted = search(&["--json", "--", "上海", "--limit"]);
    assert_eq!(json(&quoted.stdout)["query"], "上海 --limit", "{quoted:?}");
}

#[test]
fn an_unknown_option_after_the_query_is_an_error() {
    let out = search(&["上海", "--limitt", "1"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("unexpected argument '--limitt'"), "{out:?}");
}

#[test]
fn serve_on_an_address_in_use_says_to_choose_another() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = taken.local_addr().expect("its address").to_string();
    let out = on_index("serve", &["--addr", &addr]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(
        out.stderr.lines().last(),
        Some(
            format!("xinwen: {addr} is already in use (another server?): choose another address with --addr").as_str()
        ),
        "{out:?}"
    );
}

#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    let mut child = xinwen(&["search", "--index", path(&INDEX.dir), "--json", "--limit", "100", "的"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Close the reading end before the binary has written anything (it opens the index first).
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

// ---------------------------------------------------------------- stats and get

#[test]
fn stats_shows_the_article_count_and_date_range() {
    let out = on_index("stats", &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines.contains(&"articles:    76"), "{out:?}");
    assert!(
        lines.contains(&"dates:       2021-02-26T15:00:00+08:00 .. 2025-09-15T10:10:00+08:00"),
        "{out:?}"
    );
    let as_json = json(&on_index("stats", &["--json"]).stdout);
    assert_eq!(as_json["articles"], 76);
    assert_eq!(as_json["oldest"], "2021-02-26T15:00:00+08:00");
    assert_eq!(as_json["newest"], "2025-09-15T10:10:00+08:00");
}

#[test]
fn get_prints_the_whole_article() {
    let out = on_index("get", &["em-stock-news"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let source = "fixtures/posts/em-stock-news.md";
    let text = std::fs::read_to_string(manifest_dir().join(source)).expect("read the fixture");
    let article = xinwen::post::parse_post(Path::new(source), &text).expect("a good post");
    assert!(
        out.stdout
            .starts_with("瓯江氟材：新型制冷剂产能有序释放 上半年订单饱满\n"),
        "{out:?}"
    );
    for line in [
        "date:       2022-06-30T17:25:00+08:00",
        "tags:       上市公司",
        "categories: 财经 (caijing)",
        "url:        http://news.example.com/2022/0630/em-stock-news.html",
        "id:         em-stock-news",
    ] {
        assert!(out.stdout.lines().any(|l| l == line), "missing {line:?}: {out:?}");
    }
    assert!(out.stdout.ends_with(&format!("\n{}\n", article.body)), "{out:?}");
    let as_json = json(&on_index("get", &["--json", "em-stock-news"]).stdout);
    assert_eq!(as_json["body"], article.body.as_str());
    assert_eq!(as_json["title"], article.title.as_str());
}

#[test]
fn get_related_lists_the_related_articles_with_their_scores() {
    let out = on_index("get", &["--related", "sh-close"]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let listed: Vec<&str> = out
        .stdout
        .split("\nrelated:\n")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(
        listed,
        ["a-share-rally", "hk-tech-stocks", "a-share-baijiu", "futures-night"],
        "{out:?}"
    );
    let as_json = json(&on_index("get", &["--json", "--related", "sh-close"]).stdout);
    assert_eq!(as_json["related"][0]["id"], "a-share-rally");
    assert!(
        as_json["related"][0]["score"].as_f64().unwrap_or(0.0) > 0.0,
        "{as_json}"
    );
}

#[test]
fn get_an_unknown_id_exits_2_with_a_clear_message() {
    let out = on_index("get", &["no-such-article"]);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(out.stderr, "xinwen: no article with id \"no-such-article\"\n");
    assert_eq!(out.stdout, "");
}

// ---------------------------------------------------------------- no index yet

#[test]
fn a_missing_index_exits_2_and_says_how_to_build_one() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let missing = tmp.path().join("nonexistent");
    for args in [
        vec!["search", "--index", path(&missing), "上海"],
        vec!["stats", "--index", path(&missing)],
        vec!["get", "--index", path(&missing), "sh-close"],
    ] {
        let out = run(&mut xinwen(&args));
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        assert_eq!(
            out.stderr,
            format!(
                "xinwen: no index at {0}: build one with `xinwen index --index {0} PATH…`\n",
                missing.display()
            ),
            "{args:?}: {out:?}"
        );
        assert_eq!(out.stdout, "", "{args:?}");
        assert!(!missing.exists(), "{args:?} must not create the index directory");
    }
}

#[test]
fn the_default_nonexistent_path_gives_the_same_advice() {
    let out = run(&mut xinwen(&["search", "--index", "/nonexistent", "上海"]));
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.starts_with("xinwen: no index at /nonexistent"), "{out:?}");
    assert!(out.stderr.contains("xinwen index"), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
}

// ---------------------------------------------------------------- hostile text

/// Control characters in `text` other than newlines.
fn controls(text: &str) -> Vec<char> {
    text.chars().filter(|c| c.is_control() && *c != '\n').collect()
}

#[test]
fn issue_14_control_characters_never_reach_the_index() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("index");
    let feed = tmp.path().join("feed.jsonl");
    // A window-title sequence, an OSC 8 link and a bell in every field a reader prints.
    let esc = "\u{1b}]0;owned\u{7}\u{1b}]8;;http://evil.example/\u{1b}\\";
    let record = serde_json::json!({
        "id": "esc-1",
        "title": format!("控制字符{esc}标题"),
        "tags": [format!("标签{esc}")],
        "categories": [format!("分类{esc}")],
        "url": format!("http://news.example.com/{esc}"),
        "source": format!("来源{esc}"),
        "body": format!("正文第一段{esc}。\n第二段\u{7}。"),
    });
    std::fs::write(&feed, format!("{record}\n")).expect("write feed");
    // A file name is input too: its rejection is printed with the name escaped.
    let bad = tmp.path().join("bad\u{1b}]0;x\u{7}.md");
    std::fs::write(&bad, "no front matter\n").expect("write post");
    let out = run(&mut xinwen(&["index", "--index", path(&dir), path(&feed), path(&bad)]));
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(controls(&out.stderr), Vec::<char>::new(), "{out:?}");
    assert!(
        out.stderr.contains("bad\\u{1b}]0;x\\u{7}.md: no front matter"),
        "{out:?}"
    );

    for args in [
        vec!["get", "--index", path(&dir), "esc-1"],
        vec!["get", "--json", "--index", path(&dir), "esc-1"],
        vec!["search", "--index", path(&dir), "控制字符"],
        vec!["search", "--json", "--index", path(&dir), "控制字符"],
    ] {
        let out = run(&mut xinwen(&args));
        assert_eq!(out.code, Some(0), "{args:?}: {out:?}");
        assert_eq!(controls(&out.stdout), Vec::<char>::new(), "{args:?}: {out:?}");
        assert!(!out.stdout.contains("\\u001b"), "not even escaped in JSON: {out:?}");
    }
    let article = json(&run(&mut xinwen(&["get", "--json", "--index", path(&dir), "esc-1"])).stdout);
    assert_eq!(article["title"], "控制字符]0;owned]8;;http://evil.example/\\标题");
    assert_eq!(
        article["body"],
        "正文第一段]0;owned]8;;http://evil.example/\\。\n第二段。"
    );
}

#[test]
fn issue_9_index_refuses_zero_threads_and_a_budget_below_16_mib() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("index");
    for (args, message) in [
        (
            ["--threads", "0"],
            "error: invalid value '0' for '--threads <N>': 0 is not in 1..18446744073709551615",
        ),
        (
            ["--memory-mib", "1"],
            "error: invalid value '1' for '--memory-mib <MIB>': 1 is not in 16..18446744073709551615",
        ),
    ] {
        let out = run(&mut xinwen(&[
            "index",
            "--index",
            path(&dir),
            args[0],
            args[1],
            "fixtures/posts",
        ]));
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        assert_eq!(out.stderr.lines().next(), Some(message), "{args:?}: {out:?}");
        assert_eq!(out.stdout, "", "{args:?}: {out:?}");
    }
    assert!(!dir.exists(), "nothing was indexed");
}

#[test]
fn an_index_of_an_older_format_is_refused_until_rebuilt() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("index");
    let built = run(&mut xinwen(&["index", "--index", path(&dir), "fixtures/posts"]));
    assert_eq!(built.code, Some(0), "{built:?}");
    let generation = xinwen::store::IndexDir::new(dir.clone())
        .live_generation()
        .expect("read the pointer")
        .expect("a live generation");
    let manifest_path = generation.join("xinwen.json");
    let mut manifest: Value = json(&std::fs::read_to_string(&manifest_path).expect("read the manifest"));
    let older = xinwen::store::FORMAT - 1;
    manifest["format"] = older.into();
    std::fs::write(&manifest_path, manifest.to_string()).expect("write the manifest");

    let refused = run(&mut xinwen(&["search", "--index", path(&dir), "人工智能"]));
    assert_eq!(refused.code, Some(2), "{refused:?}");
    let expected = format!(
        "xinwen: cannot open the index at {0}: it was built by another version of xinwen (format {older}, \
         analyzer {1}); rebuild it with `xinwen index --rebuild --index {0} PATH…`\n",
        dir.display(),
        xinwen::store::ANALYZER_VERSION
    );
    assert_eq!(refused.stderr, expected);

    let rebuilt = run(&mut xinwen(&[
        "index",
        "--rebuild",
        "--index",
        path(&dir),
        "fixtures/posts",
    ]));
    assert_eq!(rebuilt.code, Some(0), "{rebuilt:?}");
    let found = run(&mut xinwen(&["search", "--index", path(&dir), "人工智能"]));
    assert_eq!(found.code, Some(0), "{found:?}");
}
