//! Stop words and synonyms (issue 12, "Tune words"): expansion found and highlighted, the
//! typed form first, quoted text literal, custom lists from files, settings kept by later
//! jobs, changed without a rebuild under a running server, and bad files refused.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{fixture, good_inputs, manifest_dir};
use serde_json::Value;
use tempfile::TempDir;
use xinwen::indexer::{self, IndexOptions, Silent};
use xinwen::search::words::{WordList, WordsUpdate, read_stopwords};
use xinwen::search::{Engine, SearchRequest};
use xinwen::store::IndexDir;

/// Every good fixture and `fixtures/words/`, indexed with `words`.
fn index_with(words: WordsUpdate) -> (TempDir, IndexDir) {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = IndexDir::new(tmp.path().join("index"));
    let mut inputs = good_inputs();
    inputs.push(fixture("words"));
    let options = IndexOptions {
        words,
        ..IndexOptions::default()
    };
    let report = indexer::run(&dir, &inputs, &options, &Silent).expect("index the fixtures");
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    (tmp, dir)
}

/// The ids `query` finds, best first.
fn ids(engine: &Engine, query: &str) -> Vec<String> {
    let request = SearchRequest {
        limit: 100,
        ..SearchRequest::new(query)
    };
    let response = engine.search(&request).unwrap_or_else(|e| panic!("{query}: {e}"));
    response.hits.into_iter().map(|h| h.id).collect()
}

fn default_engine() -> (TempDir, Engine) {
    let (tmp, dir) = index_with(WordsUpdate::default());
    let engine = Engine::open(&dir).expect("open");
    (tmp, engine)
}

// ---------------------------------------------------------------- expansion

#[test]
fn an_abbreviation_finds_the_full_name_and_marks_it() {
    let (_tmp, engine) = default_engine();
    // bond-yield has 央行 once in a long body: the typed form, but a weaker match.
    assert_eq!(ids(&engine, "央行"), ["pboc-flash", "rrr-cut-fullname", "bond-yield"]);
    let response = engine.search(&SearchRequest::new("央行")).expect("search");
    let hit = response.hits.iter().find(|h| h.id == "rrr-cut-fullname").expect("hit");
    assert!(
        hit.snippet_html.contains("记者从<mark>中国人民银行</mark>获悉"),
        "{}",
        hit.snippet_html
    );
    let flash = &response.hits[0];
    assert_eq!(flash.title_html, "青禾快讯：<mark>央行</mark>开展逆回购操作");
}

#[test]
fn an_explained_synonym_hit_counts_its_best_form_at_the_forms_weight() {
    let (_tmp, engine) = default_engine();
    let request = SearchRequest {
        explain: true,
        ..SearchRequest::new("央行")
    };
    let response = engine.search(&request).expect("search");
    for hit in &response.hits {
        let explain = hit.explain.as_ref().expect("explained");
        let sum: f32 = explain.parts.iter().map(|p| p.value).sum();
        assert!(
            (sum - hit.score).abs() <= 1e-4 * hit.score.max(1.0),
            "{}: {sum} vs {}",
            hit.id,
            hit.score
        );
    }
    let hit = response.hits.iter().find(|h| h.id == "rrr-cut-fullname").expect("hit");
    let explain = hit.explain.as_ref().expect("explained");
    // The article says 中国人民银行 (which holds 人民银行 too): one form counts, scaled.
    let concepts: Vec<&str> = explain.parts.iter().filter_map(|p| p.concept.as_deref()).collect();
    assert!(concepts.iter().all(|c| *c == "中国人民银行"), "{concepts:?}");
    assert!(
        explain.parts.iter().all(|p| p.weight < 3.0 * 0.8 + 1e-6),
        "{:?}",
        explain.parts
    );
}

#[test]
fn a_full_name_finds_the_abbreviation() {
    let (_tmp, engine) = default_engine();
    assert_eq!(ids(&engine, "国家发展和改革委员会"), ["ndrc-fullname"]);
    assert_eq!(ids(&engine, "发改委"), ["ndrc-fullname"]);
    assert_eq!(
        ids(&engine, "中国人民银行"),
        ["rrr-cut-fullname", "pboc-flash", "bond-yield"]
    );
}

#[test]
fn the_typed_form_ranks_first() {
    let (_tmp, engine) = default_engine();
    assert_eq!(ids(&engine, "证监会"), ["csrc-abbrev", "csrc-fullname"]);
    assert_eq!(ids(&engine, "中国证券监督管理委员会"), ["csrc-fullname", "csrc-abbrev"]);
}

#[test]
fn a_word_inside_typed_together_text_is_expanded() {
    let (_tmp, engine) = default_engine();
    assert_eq!(ids(&engine, "央行存款准备金率"), ["rrr-cut-fullname"]);
    assert_eq!(ids(&engine, "发改委 保供"), ["ndrc-fullname"]);
}

#[test]
fn quoted_text_is_not_expanded() {
    let (_tmp, engine) = default_engine();
    assert_eq!(ids(&engine, "\"央行\""), ["pboc-flash", "bond-yield"]);
    assert_eq!(ids(&engine, "“证监会”"), ["csrc-abbrev"]);
}

#[test]
fn an_excluded_word_excludes_its_synonyms_too() {
    let (_tmp, engine) = default_engine();
    assert_eq!(ids(&engine, "净资本"), ["csrc-fullname", "sh-close", "a-share-rally"]);
    assert_eq!(ids(&engine, "净资本 -证监会"), ["sh-close", "a-share-rally"]);
    assert_eq!(ids(&engine, "存款准备金率"), ["rrr-cut-fullname"]);
    // Nothing else has the word: the rescue search shows what has part of it.
    let left = engine
        .search(&SearchRequest::new("存款准备金率 -央行"))
        .expect("search");
    assert!(
        left.relaxed && left.hits.iter().all(|h| h.id != "rrr-cut-fullname"),
        "{left:?}"
    );
}

#[test]
fn without_synonyms_only_the_typed_form_matches() {
    let (_tmp, dir) = index_with(WordsUpdate {
        synonyms: Some(WordList::Off),
        ..WordsUpdate::default()
    });
    let engine = Engine::open(&dir).expect("open");
    assert_eq!(ids(&engine, "央行"), ["pboc-flash", "bond-yield"]);
    assert_eq!(ids(&engine, "证监会"), ["csrc-abbrev"]);
}

#[test]
fn a_custom_stop_word_is_left_out_of_the_query() {
    let (_tmp, engine) = default_engine();
    // Stop words are dropped from words typed together (alone, a word is searched).
    assert_eq!(
        ids(&engine, "证监会表示"),
        ["csrc-abbrev"],
        "表示 is searched by default"
    );
    assert_eq!(
        ids(&engine, "证监会什么"),
        ["csrc-abbrev", "csrc-fullname"],
        "什么 is a built-in stop word"
    );
    let work = tempfile::tempdir().expect("temporary directory");
    let file = work.path().join("stop.txt");
    std::fs::write(&file, "# ours\n表示 的\n").expect("write");
    let (_tmp, dir) = index_with(WordsUpdate {
        stopwords: Some(read_stopwords(&file).expect("parses")),
        ..WordsUpdate::default()
    });
    let engine = Engine::open(&dir).expect("open");
    assert_eq!(ids(&engine, "证监会表示"), ["csrc-abbrev", "csrc-fullname"]);
    // 什么 is not one of this list: now it must match, and no article has both words.
    let response = engine.search(&SearchRequest::new("证监会什么")).expect("search");
    assert!(response.relaxed, "only the relaxed search finds anything");
}

// ---------------------------------------------------------------- the binary

fn xinwen(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xinwen"));
    cmd.args(args)
        .current_dir(manifest_dir())
        .env_remove("XINWEN_LOG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

/// Exit code, stdout, stderr.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let Output { status, stdout, stderr } = xinwen(args).output().expect("run xinwen");
    (
        status.code(),
        String::from_utf8(stdout).expect("UTF-8"),
        String::from_utf8(stderr).expect("UTF-8"),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// A work folder with an index of the good fixtures and `fixtures/words/` built by the
/// binary with `extra` flags.
fn cli_index(extra: &[&str]) -> (TempDir, PathBuf) {
    let work = tempfile::tempdir().expect("temporary directory");
    let index = work.path().join("index");
    let mut args = vec!["index", "--index", path(&index)];
    args.extend_from_slice(extra);
    args.extend(["fixtures/posts", "fixtures/jsonl", "fixtures/words"]);
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    (work, index)
}

fn stats_json(index: &Path) -> Value {
    let (code, stdout, stderr) = run(&["stats", "--index", path(index), "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    serde_json::from_str(&stdout).expect("JSON")
}

fn search_ids(index: &Path, query: &str) -> Vec<String> {
    let (_, stdout, stderr) = run(&["search", "--index", path(index), "--json", "--limit", "100", query]);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    json["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn stats_shows_the_counts_and_where_they_came_from() {
    let (_work, index) = cli_index(&[]);
    let (code, stdout, _) = run(&["stats", "--index", path(&index)]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("\nstop words:  53 (builtin)\n"), "{stdout}");
    assert!(
        stdout.contains("\nsynonyms:    20 groups, 47 entries (builtin)\n"),
        "{stdout}"
    );
    let words = &stats_json(&index)["words"];
    assert_eq!(
        *words,
        serde_json::json!({
            "stopwords_source": "builtin", "stopwords": 53,
            "synonyms_source": "builtin", "synonym_groups": 20, "synonym_entries": 47
        })
    );
}

#[test]
fn settings_survive_an_incremental_job_and_a_rebuild() {
    let work = tempfile::tempdir().expect("temporary directory");
    let synonyms = work.path().join("synonyms.txt");
    std::fs::write(&synonyms, "# only one group\n证监会，中国证券监督管理委员会\n").expect("write");
    let stopwords = work.path().join("stop.txt");
    std::fs::write(&stopwords, "表示\n").expect("write");
    let (_index_work, index) = cli_index(&["--synonyms", path(&synonyms), "--stopwords", path(&stopwords)]);
    let expected = serde_json::json!({
        "stopwords_source": path(&stopwords), "stopwords": 1,
        "synonyms_source": path(&synonyms), "synonym_groups": 1, "synonym_entries": 2
    });
    assert_eq!(stats_json(&index)["words"], expected);
    assert_eq!(
        search_ids(&index, "央行"),
        ["pboc-flash", "bond-yield"],
        "the file replaces the built-in list"
    );
    assert_eq!(search_ids(&index, "证监会"), ["csrc-abbrev", "csrc-fullname"]);
    // The files may go away: the index keeps what they held.
    std::fs::remove_file(&synonyms).expect("remove");
    for extra in [&[][..], &["--rebuild"][..]] {
        let mut args = vec!["index", "--index", path(&index)];
        args.extend_from_slice(extra);
        args.extend(["fixtures/posts", "fixtures/jsonl", "fixtures/words"]);
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        assert_eq!(stats_json(&index)["words"], expected, "after {extra:?}");
        assert_eq!(
            search_ids(&index, "证监会表示"),
            ["csrc-abbrev", "csrc-fullname"],
            "after {extra:?}"
        );
    }
    assert_eq!(
        stats_json(&index)["generation"],
        "gen-000002",
        "the rebuild made a new generation"
    );
}

#[test]
fn a_bad_synonyms_file_is_refused_with_its_line_and_nothing_is_saved() {
    let (work, index) = cli_index(&[]);
    let bad = work.path().join("bad.txt");
    std::fs::write(&bad, "央行, 中国人民银行\n# a comment\n证监会\n").expect("write");
    let (code, stdout, stderr) = run(&["index", "--index", path(&index), "--synonyms", path(&bad)]);
    assert_eq!(code, Some(2), "{stdout}");
    assert_eq!(
        stderr,
        format!(
            "xinwen: invalid synonyms file {}: line 3: a group needs at least two entries, separated by commas\n",
            bad.display()
        )
    );
    assert_eq!(stdout, "");
    // With inputs too: the job does not start.
    let (code, _, stderr) = run(&[
        "index",
        "--index",
        path(&index),
        "--synonyms",
        path(&bad),
        "fixtures/words",
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("line 3:"), "{stderr}");
    let missing = work.path().join("missing.txt");
    let (code, _, stderr) = run(&["index", "--index", path(&index), "--stopwords", path(&missing)]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        format!(
            "xinwen: invalid stop-word file {}: cannot read it: No such file or directory (os error 2)\n",
            missing.display()
        )
    );
    assert_eq!(stats_json(&index)["words"]["synonyms_source"], "builtin");
    assert_eq!(
        search_ids(&index, "央行"),
        ["pboc-flash", "rrr-cut-fullname", "bond-yield"]
    );
}

#[test]
fn word_flags_without_inputs_refuse_what_needs_a_rebuild() {
    let (work, index) = cli_index(&[]);
    let dict = work.path().join("dict.txt");
    std::fs::write(&dict, "韶明远 5 nr\n").expect("write");
    let (code, _, stderr) = run(&["index", "--index", path(&index), "--no-synonyms", "--dict", path(&dict)]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "xinwen: --rebuild, --prune, --dict and --no-dict need inputs; stop words and synonyms alone need none\n"
    );
    assert_eq!(stats_json(&index)["words"]["synonyms_source"], "builtin");
}

// ---------------------------------------------------------------- a running server

/// `xinwen serve`, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(agent: &ureq::Agent, url: &str) -> Value {
    let body = agent
        .get(url)
        .call()
        .and_then(|mut r| r.body_mut().read_to_string())
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    serde_json::from_str(&body).expect("JSON")
}

#[test]
fn synonyms_changed_without_inputs_reach_a_running_server_without_a_rebuild() {
    let (work, index) = cli_index(&[]);
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server(
        xinwen(&["serve", "--index", path(&index), "--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start xinwen serve"),
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let started = Instant::now();
    while agent.get(format!("{base}/healthz")).call().is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let search = |q: &str| get(&agent, &format!("{base}/api/search?q={q}"));
    let sorted_ids = |body: &Value| {
        let mut ids: Vec<String> = body["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .filter_map(|h| h["id"].as_str().map(str::to_string))
            .collect();
        ids.sort();
        ids
    };
    let (yang, zheng) = ("%E5%A4%AE%E8%A1%8C", "%E8%AF%81%E7%9B%91%E4%BC%9A"); // 央行, 证监会
    assert_eq!(search(yang)["total"], 3);
    assert_eq!(sorted_ids(&search(zheng)), ["csrc-abbrev", "csrc-fullname"]);
    let generation = get(&agent, &format!("{base}/api/stats"))["generation"].clone();

    let synonyms = work.path().join("synonyms.txt");
    std::fs::write(&synonyms, "证监会, 韶明远\n").expect("write");
    let (code, stdout, stderr) = run(&["index", "--index", path(&index), "--synonyms", path(&synonyms)]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "saved with {} (revision 1, no rebuild needed): stop words 53 (builtin) · synonyms 1 groups, 2 entries ({})\n",
            index.display(),
            synonyms.display()
        )
    );
    let started = Instant::now();
    loop {
        let stats = get(&agent, &format!("{base}/api/stats"));
        if stats["words"]["synonyms_source"] == path(&synonyms) {
            assert_eq!(stats["generation"], generation, "no rebuild");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "not picked up: {stats}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let body = search(zheng);
    assert_eq!(
        sorted_ids(&body),
        ["csrc-abbrev", "rrr-cut-fullname"],
        "证监会 now finds 韶明远's article"
    );
    let hit = body["hits"]
        .as_array()
        .and_then(|hits| hits.iter().find(|h| h["id"] == "rrr-cut-fullname"))
        .expect("the hit");
    let marked = hit["snippet_html"].as_str().unwrap_or_default();
    assert!(marked.contains("<mark>韶明远</mark>"), "{marked}");
    assert_eq!(search(yang)["total"], 2, "央行: the built-in group is gone");
}
