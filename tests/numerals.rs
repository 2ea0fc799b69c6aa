//! Numbers however written (issue 13): a number typed in one form finds the articles that
//! write it in another, the typed form first, the article's own characters marked; a
//! number never matches inside a longer one. On `fixtures/numerals/` alone, so no other
//! test's counts move.

mod common;

use std::process::Command;
use std::sync::LazyLock;

use common::{build_index, fixture};
use tempfile::TempDir;
use xinwen::search::{Engine, SearchRequest, SearchResponse};
use xinwen::store::IndexDir;

struct Numerals {
    _tmp: TempDir,
    dir: IndexDir,
    engine: Engine,
}

static NUMERALS: LazyLock<Numerals> = LazyLock::new(|| {
    let (tmp, dir, report) = build_index(&[fixture("numerals")]);
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    assert_eq!(report.indexed(), common::NUMERALS_ARTICLES);
    let engine = Engine::open(&dir).expect("open the numerals index");
    Numerals { _tmp: tmp, dir, engine }
});

fn search(query: &str) -> SearchResponse {
    let request = SearchRequest {
        limit: 50,
        ..SearchRequest::new(query)
    };
    NUMERALS
        .engine
        .search(&request)
        .unwrap_or_else(|e| panic!("search {query:?}: {e}"))
}

fn ids(query: &str) -> Vec<String> {
    search(query).hits.into_iter().map(|h| h.id).collect()
}

/// Each pair both ways: the typed form's articles first, then the other forms' (which
/// score alike, so the newer article comes first among them).
#[test]
fn each_form_finds_the_others_typed_form_first() {
    let cases: [(&str, &[&str]); 24] = [
        (
            "一千亿元",
            &["num-yiqianyi-han", "num-yiqianyi-comma", "num-yiqianyi-arabic"],
        ),
        (
            "1000亿元",
            &["num-yiqianyi-arabic", "num-yiqianyi-comma", "num-yiqianyi-han"],
        ),
        (
            "1,000亿元",
            &["num-yiqianyi-comma", "num-yiqianyi-arabic", "num-yiqianyi-han"],
        ),
        (
            "一千亿",
            &["num-yiqianyi-han", "num-yiqianyi-comma", "num-yiqianyi-arabic"],
        ),
        (
            "1000亿",
            &["num-yiqianyi-arabic", "num-yiqianyi-comma", "num-yiqianyi-han"],
        ),
        ("三点五", &["num-sandianwu-han", "num-sandianwu-arabic"]),
        ("3.5", &["num-sandianwu-arabic", "num-sandianwu-han"]),
        (
            "百分之五",
            &[
                "num-baifenzhiwu-han",
                "num-baifenzhiwushi",
                "num-baifenzhiwu-fullwidth",
                "num-baifenzhiwu-arabic",
            ],
        ),
        (
            "5%",
            &[
                "num-baifenzhiwu-arabic",
                "num-baifenzhiwu-fullwidth",
                "num-baifenzhiwu-han",
            ],
        ),
        (
            "5％",
            &[
                "num-baifenzhiwu-arabic",
                "num-baifenzhiwu-fullwidth",
                "num-baifenzhiwu-han",
            ],
        ),
        ("二〇二四年", &["num-year-han", "num-year-arabic"]),
        // Neither article writes 二零二四年: both are other forms.
        ("二零二四年", &["num-year-arabic", "num-year-han"]),
        ("2024年", &["num-year-arabic", "num-year-han"]),
        (
            "十万",
            &[
                "num-shiwan-and-longer",
                "num-shiwan-han",
                "num-ershiwan",
                "num-shiwan-arabic",
                "num-shiwan-wan",
            ],
        ),
        ("10万", &["num-shiwan-wan", "num-shiwan-arabic", "num-shiwan-han"]),
        ("100000", &["num-shiwan-arabic", "num-shiwan-wan", "num-shiwan-han"]),
        ("两千", &["num-liangqian-han", "num-liangqian-arabic"]),
        ("2000", &["num-liangqian-arabic", "num-liangqian-han"]),
        ("一千零五", &["num-qianlingwu-han", "num-qianlingwu-arabic"]),
        ("1005米", &["num-qianlingwu-arabic", "num-qianlingwu-han"]),
        (
            "一千",
            &[
                "num-qianlingwu-han",
                "num-yiqianyi-han",
                "num-qian-han",
                "num-qian-arabic",
            ],
        ),
        ("1000", &["num-yiqianyi-arabic", "num-qian-arabic", "num-qian-han"]),
        // Neither writes 1,000 (the digits 1 000 are words of neither).
        ("1,000", &["num-yiqianyi-comma", "num-qian-arabic", "num-qian-han"]),
        (
            "投资 1000亿",
            &["num-yiqianyi-arabic", "num-yiqianyi-han", "num-yiqianyi-comma"],
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(ids(query), *expected, "{query}");
    }
}

/// The forms made for a typed number never match inside a longer one: 1000 does not find
/// 10000亿 or 21000亿, 5% not 15%, 一千's form 1000 not 1000亿. The typed form itself keeps
/// issue 10's literal recall: 一千 finds every article that says 一千 (一千亿 and 一千零五
/// included), 十万 every one that says 十万 (二十万 included).
#[test]
fn a_number_never_matches_inside_a_longer_one() {
    assert_eq!(ids("10000亿"), ["num-yiwanyi"]);
    assert_eq!(ids("15%"), ["num-shiwubaifen"]);
    assert_eq!(ids("百分之十五"), ["num-shiwubaifen"]);
    for query in ["1000", "一千", "1,000"] {
        let found = ids(query);
        assert!(!found.contains(&"num-yiwanyi".to_string()), "{query}: {found:?}");
    }
    // 一千's other forms (1000, 1,000) leave out 1000亿; its own characters find 一千亿.
    assert!(!ids("一千").contains(&"num-yiqianyi-arabic".to_string()));
    assert!(ids("一千").contains(&"num-yiqianyi-han".to_string()));
    // 21000亿 in num-yiwanyi holds the characters of 1000亿, not the number.
    assert!(!ids("1000亿").contains(&"num-yiwanyi".to_string()));
    assert_eq!(ids("二十万"), ["num-ershiwan", "num-shiwan-and-longer"]);
    assert_eq!(ids("百分之五十"), ["num-baifenzhiwushi"]);
    // 100000 is 十万's form: it leaves out 二十万, which the typed 十万 finds by its characters.
    assert!(!ids("100000").contains(&"num-ershiwan".to_string()));
    assert!(ids("十万").contains(&"num-ershiwan".to_string()));
}

/// Quoted text means exactly what was typed: no other written forms.
#[test]
fn quoted_numbers_are_not_expanded() {
    assert_eq!(ids("\"一千亿元\""), ["num-yiqianyi-han"]);
    // A quoted string has no number boundaries either: 百分之五十 holds it.
    assert_eq!(ids("\"百分之五\""), ["num-baifenzhiwu-han", "num-baifenzhiwushi"]);
}

/// Each article's own characters are marked, whichever form was typed.
#[test]
fn the_articles_own_form_is_highlighted() {
    let response = search("一千亿元");
    let titles: Vec<(&str, &str)> = response
        .hits
        .iter()
        .map(|h| (h.id.as_str(), h.snippet_html.as_str()))
        .collect();
    assert_eq!(
        titles,
        [
            (
                "num-yiqianyi-han",
                "滨江新区宣布，未来五年将投资<mark>一千亿元</mark>建设先进制造产业园。"
            ),
            (
                "num-yiqianyi-comma",
                "南港港口扩建计划公布，总投资达<mark>1,000亿元</mark>，分两期实施。"
            ),
            (
                "num-yiqianyi-arabic",
                "北湖高铁项目日前获批，总投资<mark>1000亿元</mark>，预计三年建成。"
            ),
        ]
    );
    let response = search("5%");
    let titles: Vec<&str> = response.hits.iter().map(|h| h.title_html.as_str()).collect();
    assert_eq!(
        titles,
        [
            "白沙出口同比增长<mark>5%</mark>",
            "红河社零额增长<mark>5％</mark>",
            "青州居民收入增长<mark>百分之五</mark>"
        ]
    );
}

/// `xinwen analyze --query` lists the other written forms of the number.
#[test]
fn analyze_shows_the_forms() {
    let out = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(["analyze", "--query", "--index"])
        .arg(NUMERALS.dir.root())
        .arg("一千亿元")
        .output()
        .expect("run xinwen analyze");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let forms: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("or "))
        .map(str::trim)
        .collect();
    assert!(
        stdout.contains("\n        also finds 1000亿元, 1,000亿元 (the number written another way)\n"),
        "{stdout}"
    );
    assert_eq!(
        forms,
        [
            "or 1000亿元 — must contain 1000亿元, with the words 1000 (a number's other form, scores 0.8)",
            "or 1,000亿元 — must contain 1000亿元, with the words 1 000 (a number's other form, scores 0.8)",
        ],
        "{stdout}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(["analyze", "--query", "--json", "--index"])
        .arg(NUMERALS.dir.root())
        .arg("一千亿元")
        .output()
        .expect("run xinwen analyze --json");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        plan["plan"]["groups"][0][0]["concepts"][0]["expansions"],
        serde_json::json!([{"from": "一千亿元", "to": ["1000亿元", "1,000亿元"], "kind": "number"}]),
        "{plan}"
    );
    let numbers = &plan["plan"]["groups"][0][0]["concepts"][0]["numbers"];
    assert_eq!(
        numbers,
        &serde_json::json!([
            {"form": "1000亿元", "literal": "1000亿元", "words": ["1000"], "score": 0.8},
            {"form": "1,000亿元", "literal": "1000亿元", "words": ["1", "000"], "score": 0.8}
        ]),
        "{plan}"
    );
}

/// The JSON of each hit's `explain` for `query`, by id.
fn explained(query: &str) -> Vec<(String, serde_json::Value)> {
    let request = SearchRequest {
        limit: 50,
        explain: true,
        ..SearchRequest::new(query)
    };
    let response = NUMERALS.engine.search(&request).expect("searches");
    response
        .hits
        .into_iter()
        .map(|h| {
            let explain = serde_json::to_value(h.explain.as_ref().expect("explained")).expect("serializes");
            (h.id, explain)
        })
        .collect()
}

/// Explain names the fixed scores of a number's forms: the form an article has and which
/// number typed it is a form of; the form typed scores its words; the parts add up.
#[test]
fn explain_names_the_form_found_and_the_number_typed() {
    let hits = explained("一千亿元");
    let ids: Vec<&str> = hits.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["num-yiqianyi-han", "num-yiqianyi-comma", "num-yiqianyi-arabic"]);
    for (id, explain) in &hits {
        let parts = explain["parts"].as_array().expect("parts");
        assert!(
            parts.iter().all(|p| p["kind"] != "other"),
            "{id}: every part named: {explain:#}"
        );
        let sum: f64 = parts.iter().map(|p| p["value"].as_f64().expect("a value")).sum();
        let score = explain["score"].as_f64().expect("a score");
        assert!(
            (sum - score).abs() <= 1e-4 * score.max(1.0),
            "{id}: {sum} ≠ {score}: {explain:#}"
        );
    }
    let kinds = |explain: &serde_json::Value| -> Vec<String> {
        let parts = explain["parts"].as_array().expect("parts");
        parts
            .iter()
            .map(|p| p["kind"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(kinds(&hits[0].1), ["literal", "phrase", "phrase"], "{:#}", hits[0].1);
    let form = |explain: &serde_json::Value| {
        explain["parts"]
            .as_array()
            .expect("parts")
            .iter()
            .find(|p| p["kind"] == "number_form")
            .cloned()
    };
    assert_eq!(form(&hits[0].1), None, "the typed form scores its words");
    let mut arabic = form(&hits[2].1).expect("a number_form part");
    assert_eq!(arabic["value"].as_f64().map(|v| (v * 1e3).round() / 1e3), Some(0.8));
    arabic["value"] = serde_json::json!(0.8);
    assert_eq!(
        arabic,
        serde_json::json!({
            "kind": "number_form", "concept": "1000亿元", "field": "lit", "terms": ["1000亿元"],
            "value": 0.8, "weight": 1.0, "expansion": {"from": "一千亿元", "kind": "number"}
        })
    );
    assert_eq!(
        form(&hits[1].1).map(|p| p["concept"].clone()),
        Some(serde_json::json!("1,000亿元"))
    );
}

/// The form typed found only as a string across words (百分之五 in 百分之五十, where its
/// words do not match) scores the floor, above the other forms, and explain names it.
#[test]
fn the_form_typed_scores_at_least_the_floor_above_other_forms() {
    let hits = explained("百分之五");
    let ids: Vec<&str> = hits.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids[..2], ["num-baifenzhiwu-han", "num-baifenzhiwushi"]);
    let mut rest = ids[2..].to_vec();
    rest.sort_unstable();
    assert_eq!(rest, ["num-baifenzhiwu-arabic", "num-baifenzhiwu-fullwidth"]);
    let mut floor = hits[1].1.clone();
    let value = floor["parts"][0]["value"].as_f64().map(|v| (v * 1e3).round() / 1e3);
    assert_eq!(value, Some(1.0), "{floor:#}");
    floor["parts"][0]["value"] = serde_json::json!(1.0);
    assert_eq!(
        floor["parts"],
        serde_json::json!([{
            "kind": "number_typed", "concept": "百分之五", "field": "lit", "terms": ["百分之五"],
            "value": 1.0, "weight": 1.0
        }])
    );
}

/// On a cluster the forms are an OR of their strings, translated like synonyms.
#[test]
fn the_cluster_translation_searches_every_form() {
    use xinwen::analysis::ChineseAnalyzer;
    use xinwen::cluster::translate::Translator;
    let translator = Translator::new(ChineseAnalyzer::default());
    let request = SearchRequest::new("一千亿");
    let parsed = xinwen::search::query::parse(&request.query).expect("parses");
    let sql = translator
        .search(&request, &parsed, "xinwen_a", xinwen::search::Mode::AllWords)
        .expect("translates")
        .expect("a statement");
    // The typed form, then 1000亿 and 1,000亿 (the same string once punctuation is dropped).
    let forms = r#"(@lit "_l一 _l千 _l亿" | @lit "_l1 _l0 _l0 _l0 _l亿" | @lit "_l1 _l0 _l0 _l0 _l亿")"#;
    assert!(sql.hits.contains(forms), "{}", sql.hits);
}
