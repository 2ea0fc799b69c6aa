//! Analyze and explain, through every front door: `Engine::analyze` and
//! `explain` on the fixture index, `GET /api/analyze` and `explain=true`, and the binary's
//! `xinwen analyze` and `xinwen search --explain`.

mod common;

use std::process::Command;
use std::sync::Arc;

use serde_json::{Value, json};
use xinwen::backend::{AnalyzeMode, ParsedRequest, SearchBackend, SearchRequest};
use xinwen::cluster::{ClusterBackend, ClusterSpec};
use xinwen::server::{self, ServerOptions, Shared};

/// The analysis of `text` on the fixture index, as the API's JSON.
fn analysis(text: &str, mode: AnalyzeMode) -> Value {
    let analysis = common::engine().analyze(text, mode).expect("analyzes");
    serde_json::to_value(analysis).expect("serializes")
}

/// A token as the JSON lists it.
fn token(
    text: &str,
    bytes: (usize, usize),
    chars: (usize, usize),
    position: usize,
    kind: &str,
    original: &str,
) -> Value {
    json!({
        "text": text, "byte_start": bytes.0, "byte_end": bytes.1, "char_start": chars.0,
        "char_end": chars.1, "position": position, "kind": kind, "original": original
    })
}

#[test]
fn analyze_lists_the_words_sub_words_and_literal_tokens_of_a_sentence() {
    // Full-width letters fold to ASCII; 人工智能 also yields its sub-words.
    let got = analysis("ＡＩ助力人工智能", AnalyzeMode::Index);
    assert_eq!(got["text"], "ＡＩ助力人工智能");
    assert_eq!(got["mode"], "index");
    assert_eq!(got.get("plan"), None, "no plan for an article's text");
    let want = json!([
        token("ai", (0, 6), (0, 2), 0, "word", "ＡＩ"),
        token("助力", (6, 12), (2, 4), 2, "word", "助力"),
        token("人工智能", (12, 24), (4, 8), 4, "word", "人工智能"),
        token("人工", (12, 18), (4, 6), 4, "sub-word", "人工"),
        token("智能", (18, 24), (6, 8), 6, "sub-word", "智能"),
        token("ai", (0, 6), (0, 2), 0, "bigram", "ＡＩ"),
        token("i助", (3, 9), (1, 3), 1, "bigram", "Ｉ助"),
        token("助力", (6, 12), (2, 4), 2, "bigram", "助力"),
        token("力人", (9, 15), (3, 5), 3, "bigram", "力人"),
        token("人工", (12, 18), (4, 6), 4, "bigram", "人工"),
        token("工智", (15, 21), (5, 7), 5, "bigram", "工智"),
        token("智能", (18, 24), (6, 8), 6, "bigram", "智能"),
        token("能", (21, 24), (7, 8), 7, "character", "能"),
    ]);
    assert_eq!(got["tokens"], want);
}

#[test]
fn analyze_a_query_shows_its_plan_with_the_stop_word_dropped() {
    let got = analysis("上海的股市 -期货", AnalyzeMode::Query);
    assert_eq!(got["mode"], "query");
    assert_eq!(
        got["tokens"],
        json!([
            token("上海", (0, 6), (0, 2), 0, "word", "上海"),
            token("的", (6, 9), (2, 3), 2, "word", "的"),
            token("股市", (9, 15), (3, 5), 3, "word", "股市"),
            token("期货", (17, 23), (7, 9), 6, "word", "期货"),
        ])
    );
    // One concept a word, each must occur as a string; 的 is a function word, dropped.
    let concept = |text: &str, status: &str, weak: bool| {
        json!({"text": text, "literal": text, "status": status, "weak": weak, "prefixes": [], "dropped": [],
               "alternatives": [{"terms": [text], "offsets": [0], "weight": 1.0}]})
    };
    let fields =
        json!([{"field": "title", "weight": 3.0}, {"field": "tags", "weight": 1.5}, {"field": "body", "weight": 1.0}]);
    let phrase = |field: &str, weight: f64| json!({"field": field, "terms": ["上海", "的", "股市"], "offsets": [0, 2, 3], "slop": 0, "weight": weight});
    let want = json!({
        "groups": [[{"kind": "text", "text": "上海的股市", "scope": "all", "phrase": false, "fields": fields,
            "concepts": [concept("上海", "searched", false), concept("的", "stop_word", true), concept("股市", "searched", false)]}]],
        "excluded": [{"kind": "text", "text": "期货", "scope": "all", "phrase": false, "fields": fields,
            "concepts": [concept("期货", "searched", false)]}],
        "proximity": [phrase("title", 3.0), phrase("tags", 1.5), phrase("body", 1.0)],
        "exact_title": "上海的股市",
        "words": 4,
        "max_words": 64,
        "relaxed": {"possible": true, "would_run": false},
    });
    assert_eq!(got["plan"], want);
}

#[test]
fn the_plan_says_when_the_relaxed_search_would_run_and_keeps_filters() {
    let got = analysis("人工智能 zzqx tag:A股 OR category:keji", AnalyzeMode::Query);
    let plan = &got["plan"];
    assert_eq!(
        plan["relaxed"],
        json!({"possible": true, "would_run": true}),
        "no article has zzqx"
    );
    assert_eq!(
        plan["groups"][0][0]["concepts"][0]["alternatives"],
        json!([
            {"terms": ["人工智能"], "offsets": [0], "weight": 1.0},
            {"terms": ["人工", "智能"], "offsets": [0, 2], "weight": 0.3f32},
        ]),
        "the word, and the shorter words covering it"
    );
    assert_eq!(
        plan["groups"][1][0]["concepts"][0]["literal"],
        Value::Null,
        "a Latin word is matched as a word"
    );
    assert_eq!(
        plan["groups"][2],
        json!([{"kind": "tag", "text": "A股", "folded": "a股"}, {"kind": "category", "text": "keji", "folded": "keji"}])
    );
    assert_eq!(plan["exact_title"], Value::Null, "a tag item is not a headline");
}

/// The hits of `request`, explained and not, as JSON.
fn both(request: SearchRequest) -> (Vec<Value>, Vec<Value>) {
    let run = |explain: bool| {
        let request = SearchRequest {
            explain,
            ..request.clone()
        };
        let hits = common::engine().search(&request).expect("searches").hits;
        hits.iter()
            .map(|h| serde_json::to_value(h).expect("serializes"))
            .collect::<Vec<_>>()
    };
    (run(false), run(true))
}

#[test]
fn explain_parts_add_up_to_each_hit_score_and_leave_the_order_alone() {
    let now = xinwen::post::parse_date("2024-06-01").and_then(|d| match d {
        xinwen::post::ParsedDate::At(at) => Some(at),
        _ => None,
    });
    let requests = [
        SearchRequest::new("上海 股市"),
        SearchRequest::new("人工智能"),
        SearchRequest::new("新能源汽车 价格"),
        // A synonym group (央行, 中国人民银行 …): the best form counts, at its own weight.
        SearchRequest::new("央行"),
        SearchRequest {
            recency_days: Some(30.0),
            now,
            ..SearchRequest::new("股市")
        },
        SearchRequest {
            collapse: xinwen::search::Collapse::Title,
            ..SearchRequest::new("贸易")
        },
    ];
    for request in requests {
        let query = request.query.clone();
        let (plain, explained) = both(request);
        assert!(!plain.is_empty(), "{query}: the fixtures have hits");
        let ids = |hits: &[Value]| {
            hits.iter()
                .map(|h| (h["id"].clone(), h["score"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&plain),
            ids(&explained),
            "{query}: explain changes no score or order"
        );
        assert!(plain.iter().all(|h| h.get("explain").is_none()));
        for hit in &explained {
            let explain = &hit["explain"];
            let score = hit["score"].as_f64().expect("a score");
            let parts = explain["parts"].as_array().expect("parts");
            let sum: f64 = parts.iter().map(|p| p["value"].as_f64().expect("a value")).sum();
            assert!(
                (sum - score).abs() <= 1e-4 * score.max(1.0),
                "{query} {}: parts add up to {sum}, the score is {score}: {explain:#}",
                hit["id"]
            );
            assert!(
                parts.iter().all(|p| p["kind"] != "other"),
                "{query}: every part named: {explain:#}"
            );
            assert!(!explain["matched"].as_array().expect("matched").is_empty());
        }
    }
}

#[test]
fn explain_names_each_word_field_with_its_bm25_figures() {
    let request = SearchRequest {
        limit: 1,
        explain: true,
        ..SearchRequest::new("股市收评")
    };
    let hit = &common::engine().search(&request).expect("searches").hits[0];
    let explain = serde_json::to_value(hit.explain.as_ref().expect("explained")).expect("serializes");
    assert_eq!(hit.id, "sh-close");
    let bm25 = |tf: f64, idf: f64, norm: f64, length: f64, average_length: f64| json!({"tf": tf, "idf": idf, "norm": norm, "length": length, "average_length": average_length});
    let part = |kind: &str, concept: &str, field: &str, terms: &[&str], value: f64, weight: f64, b: Value| {
        json!({"kind": kind, "concept": concept, "field": field, "terms": terms, "value": value, "weight": weight,
               "bm25": b})
    };
    let want = json!({
        "score": 62.947,
        "base": 32.928,
        "parts": [
            part("literal", "股市", "lit", &["股市"], 0.225, 0.05, bm25(3.0, 3.091, 1.524, 376.0, 276.395)),
            part("word", "股市", "title", &["股市"], 11.032, 3.0, bm25(1.0, 3.938, 1.035, 17.0, 12.368)),
            part("word", "股市", "body", &["股市"], 3.865, 1.0, bm25(2.0, 3.091, 1.039, 232.0, 167.461)),
            part("literal", "收评", "lit", &["收评"], 0.172, 0.05, bm25(1.0, 3.938, 1.524, 376.0, 276.395)),
            part("phrase", "收评", "title", &["收", "评"], 17.633, 3.0, bm25(1.0, 6.778, 1.537, 17.0, 12.368)),
            {"kind": "proximity", "field": "title", "terms": ["股市", "收", "评"], "value": 30.019, "weight": 3.0},
        ],
        "matched": [
            {"concept": "股市", "field": "lit", "text": "股市"},
            {"concept": "股市", "field": "title", "text": "股市"},
            {"concept": "股市", "field": "body", "text": "股市"},
            {"concept": "收评", "field": "lit", "text": "收评"},
            {"concept": "收评", "field": "title", "text": "收 评"},
        ],
    });
    assert_eq!(rounded(explain), want);
}

/// Every number rounded to three decimals: the figures are f32 sums.
fn rounded(value: Value) -> Value {
    match value {
        Value::Number(n) => n.as_f64().map_or(Value::Null, |x| json!((x * 1000.0).round() / 1000.0)),
        Value::Array(items) => Value::Array(items.into_iter().map(rounded).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, rounded(v))).collect()),
        other => other,
    }
}

#[test]
fn date_order_is_explained_as_unscored() {
    let request = SearchRequest {
        explain: true,
        sort: xinwen::search::Sort::Date,
        limit: 1,
        ..SearchRequest::new("股市")
    };
    let hits = common::engine().search(&request).expect("searches").hits;
    let explain = serde_json::to_value(hits[0].explain.as_ref().expect("explained")).expect("serializes");
    assert_eq!(
        explain,
        json!({"score": 0.0, "base": 0.0, "parts": [], "matched": [], "note": "date order: hits are not scored"})
    );
}

#[test]
fn a_cluster_refuses_explain_and_analyze_as_not_supported() {
    let spec = ClusterSpec::from_url("manticore://127.0.0.1:9/news").expect("a spec");
    let cluster = ClusterBackend::new(spec);
    let request = SearchRequest {
        explain: true,
        ..SearchRequest::new("股市")
    };
    let err = cluster
        .search(&ParsedRequest::new(request).expect("parses"))
        .expect_err("refused");
    assert_eq!(
        err.to_string(),
        "not supported: explain needs a local index (--index); a cluster's ranker cannot be taken apart"
    );
    let err = cluster.analyze("股市", AnalyzeMode::Index).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "not supported: this backend cannot show how it analyses a text; analyze runs on a local index"
    );
}

/// `GET path` on the routes over the fixture index: status and JSON body.
async fn get(path: &str) -> (u16, Value) {
    static SHARED: std::sync::LazyLock<(tempfile::TempDir, Arc<Shared>)> = std::sync::LazyLock::new(|| {
        let (tmp, dir) = common::good_index();
        let shared = Shared::open(dir).expect("open the fixture index");
        (tmp, Arc::new(shared))
    });
    let routes = server::routes(Arc::clone(&SHARED.1), &ServerOptions::default());
    let response = warp::test::request().path(path).reply(&routes).await;
    let body = serde_json::from_slice(response.body()).expect("a JSON body");
    (response.status().as_u16(), body)
}

fn error(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

#[tokio::test]
async fn bad_analyze_and_explain_parameters_are_exact_400s() {
    let cases = [
        (
            "/api/analyze?text=%E4%B8%8A%E6%B5%B7&mode=words",
            error("invalid_mode", "invalid mode: \"words\": use index or query"),
        ),
        (
            "/api/analyze",
            error("empty_text", "empty text: give a text to analyze"),
        ),
        (
            "/api/analyze?text=+&mode=query",
            error("empty_text", "empty text: give a text to analyze"),
        ),
        (
            "/api/analyze?text=a&lang=zh",
            error("unknown_parameter", "unknown parameter `lang`; accepted: text, mode"),
        ),
        (
            "/api/search?q=%E8%82%A1%E5%B8%82&explain=yes",
            error("invalid_explain", "invalid explain: \"yes\": use true or false"),
        ),
    ];
    for (path, want) in cases {
        assert_eq!(get(path).await, (400, want), "{path}");
    }
    let long = format!("/api/analyze?text={}", "a".repeat(501));
    assert_eq!(
        get(&long).await,
        (
            400,
            error("query_too_long", "text too long: 501 characters, at most 500")
        )
    );
}

#[tokio::test]
async fn the_api_answers_analyze_and_explained_hits() {
    let (status, body) = get("/api/analyze?text=%E4%B8%8A%E6%B5%B7&mode=query").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["tokens"],
        json!([token("上海", (0, 6), (0, 2), 0, "word", "上海")])
    );
    assert_eq!(body["plan"]["groups"][0][0]["concepts"][0]["text"], "上海");
    let (status, body) = get("/api/search?q=%E8%82%A1%E5%B8%82%E6%94%B6%E8%AF%84&per_page=1&explain=true").await;
    assert_eq!(status, 200);
    let hit = &body["hits"][0];
    assert_eq!(hit["id"], "sh-close");
    assert_eq!(hit["explain"]["score"], hit["score"]);
    let (_, plain) = get("/api/search?q=%E8%82%A1%E5%B8%82%E6%94%B6%E8%AF%84&per_page=1&explain=false").await;
    assert_eq!(plain["hits"][0].get("explain"), None);
}

/// `mode=query` shows what a word is widened to, and a hit found through another form
/// says which word typed it stands for (issue 13).
#[tokio::test]
async fn the_api_shows_a_synonym_expansion_in_the_plan_and_the_explanation() {
    let (status, body) = get("/api/analyze?text=%E4%B8%8A%E4%BA%A4%E6%89%80&mode=query").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["plan"]["groups"][0][0]["concepts"][0]["expansions"],
        json!([{"from": "上交所", "to": ["上海证券交易所"], "kind": "synonym"}])
    );
    let (status, body) = get("/api/search?q=%E4%B8%8A%E4%BA%A4%E6%89%80&per_page=100&explain=true").await;
    assert_eq!(status, 200);
    let expansions: Vec<&Value> = body["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .flat_map(|h| h["explain"]["parts"].as_array().expect("parts"))
        .filter_map(|p| p.get("expansion"))
        .collect();
    assert!(!expansions.is_empty(), "an article writes another form: {body}");
    assert!(
        expansions
            .iter()
            .all(|e| **e == json!({"from": "上交所", "kind": "synonym"})),
        "{expansions:?}"
    );
}

/// Runs the binary on the fixture index; stdout and exit code.
fn xinwen(args: &[&str]) -> (String, i32) {
    static INDEX: std::sync::LazyLock<(tempfile::TempDir, xinwen::store::IndexDir)> =
        std::sync::LazyLock::new(common::good_index);
    let out = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .arg(args[0])
        .arg("--index")
        .arg(INDEX.1.root())
        .args(&args[1..])
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn the_cli_analyzes_as_text_and_json() {
    let (text, code) = xinwen(&["analyze", "ＡＩ助力"]);
    let want = "word      ai  bytes 0–6  chars 0–2  position 0  from ＡＩ
word      助力  bytes 6–12  chars 2–4  position 2
bigram    ai  bytes 0–6  chars 0–2  position 0  from ＡＩ
bigram    i助  bytes 3–9  chars 1–3  position 1  from Ｉ助
bigram    助力  bytes 6–12  chars 2–4  position 2
character 力  bytes 9–12  chars 3–4  position 3
";
    assert_eq!((text.as_str(), code), (want, 0));
    let (text, code) = xinwen(&["analyze", "--query", "上海的股市"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("      concept 的 — stop word, not searched\n"),
        "the dropped stop word is shown: {text}"
    );
    let (json_text, code) = xinwen(&["analyze", "--json", "--query", "上海"]);
    assert_eq!(code, 0);
    let body: Value = serde_json::from_str(&json_text).expect("JSON");
    assert_eq!(body, analysis("上海", AnalyzeMode::Query), "the same JSON as the API");
}

#[test]
fn the_cli_explains_each_hit() {
    let (text, code) = xinwen(&["search", "--explain", "--limit", "1", "股市收评"]);
    assert_eq!(code, 0);
    for line in [
        "    score 62.9470:\n",
        "      +11.0323  word 股市 in title (tf 1, idf 3.938, norm 1.035, length 17) ×3\n",
        "      +30.0193  proximity 股市 收 评 in title ×3\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
}
