//! Company aliases (issue 13, "Companies by name or code"): pairs learned from
//! `fixtures/aliases/`, a query by code finding articles that name the company and the
//! reverse, highlighted as the article writes it, an incremental job raising a count over
//! the threshold, an operator's file adding and vetoing pairs, and a bad file refused.

mod common;

use std::path::{Path, PathBuf};

use common::{arg as path, run_xinwen as run};
use serde_json::Value;
use tempfile::TempDir;

/// An index of `fixtures/aliases/` built by the binary.
fn index() -> (TempDir, PathBuf) {
    let work = tempfile::tempdir().expect("temporary directory");
    let index = work.path().join("index");
    let (code, stdout, stderr) = run(&["index", "--index", path(&index), "fixtures/aliases"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    (work, index)
}

fn aliases_stats(index: &Path) -> Value {
    let (code, stdout, stderr) = run(&["stats", "--index", path(index), "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    serde_json::from_str::<Value>(&stdout).expect("JSON")["aliases"].clone()
}

/// (id, snippet) of each hit, best first.
fn hits(index: &Path, query: &str) -> Vec<(String, String)> {
    let (_, stdout, stderr) = run(&["search", "--index", path(index), "--json", "--limit", "100", query]);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    json["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| {
            let field = |k: &str| h[k].as_str().unwrap_or_default().to_string();
            (field("id"), field("snippet_html"))
        })
        .collect()
}

fn ids(index: &Path, query: &str) -> Vec<String> {
    hits(index, query).into_iter().map(|(id, _)| id).collect()
}

#[test]
fn a_pair_seen_in_three_articles_is_learned_and_a_rarer_one_is_not() {
    let (_work, index) = index();
    assert_eq!(
        aliases_stats(&index),
        serde_json::json!({"source": "builtin", "pairs": 1})
    );
    let (_, stdout, _) = run(&["stats", "--index", path(&index)]);
    assert!(stdout.contains("\naliases:     1 pairs (builtin)\n"), "{stdout}");
    // 宁德时代（300750） and 星河微电（688999） are each in fewer than three articles.
    assert_eq!(ids(&index, "300750"), ["catl-1"]);
    assert_eq!(ids(&index, "星河微电"), ["rare-1", "rare-name"]);
}

#[test]
fn the_code_finds_name_only_articles_and_the_name_code_only_ones() {
    let (_work, index) = index();
    // Articles with the typed code first; the one that only names the company last.
    assert_eq!(
        ids(&index, "600519"),
        ["moutai-code", "moutai-3", "moutai-2", "moutai-1", "moutai-name"]
    );
    // Typed with its exchange, the article that writes it so comes first; the name only, last.
    assert_eq!(
        ids(&index, "600519.SH"),
        ["moutai-2", "moutai-code", "moutai-3", "moutai-1", "moutai-name"]
    );
    assert_eq!(
        ids(&index, "贵州茅台"),
        ["moutai-name", "moutai-3", "moutai-2", "moutai-1", "moutai-code"]
    );
    let found = hits(&index, "600519");
    let snippet = |id: &str| found.iter().find(|(i, _)| i == id).map(|(_, s)| s.clone());
    assert_eq!(
        snippet("moutai-name").as_deref(),
        Some("市场传闻<mark>贵州茅台</mark>将上调出厂价，经销商观望。")
    );
    assert_eq!(
        snippet("moutai-code").as_deref(),
        Some("沪市成交额前列个股中，<mark>600519</mark> 成交居首。")
    );
}

#[test]
fn an_incremental_job_raises_a_count_over_the_threshold() {
    let (_work, index) = index();
    let (code, stdout, stderr) = run(&["index", "--index", path(&index), "fixtures/aliases-more"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(
        aliases_stats(&index),
        serde_json::json!({"source": "builtin", "pairs": 2})
    );
    assert_eq!(ids(&index, "300750"), ["catl-2", "catl-3", "catl-1", "catl-name"]);
}

#[test]
fn a_file_adds_and_vetoes_pairs_without_a_rebuild() {
    let (work, index) = index();
    let file = work.path().join("aliases.txt");
    std::fs::write(&file, "# ours\n!贵州茅台 = 600519\n星河微电 = 688999.SH\n").expect("write");
    let (code, stdout, stderr) = run(&["index", "--index", path(&index), "--aliases", path(&file)]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(
        aliases_stats(&index),
        serde_json::json!({"source": path(&file), "pairs": 1})
    );
    // moutai-2 writes 600519.SH, which the code alone matches; moutai-name is gone.
    assert_eq!(
        ids(&index, "600519"),
        ["moutai-code", "moutai-3", "moutai-2", "moutai-1"]
    );
    assert_eq!(ids(&index, "688999"), ["rare-1", "rare-name"]);
    // A later job keeps the file's edits.
    let (code, _, stderr) = run(&["index", "--index", path(&index), "fixtures/aliases"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(aliases_stats(&index)["pairs"], 1);
}

#[test]
fn a_bad_aliases_file_is_refused_by_line() {
    let (work, index) = index();
    let file = work.path().join("bad.txt");
    std::fs::write(&file, "贵州茅台 = 600519\n宁德时代 300750\n").expect("write");
    let (code, stdout, stderr) = run(&["index", "--index", path(&index), "--aliases", path(&file)]);
    assert_eq!((code, stdout.as_str()), (Some(2), ""));
    assert_eq!(
        stderr,
        format!(
            "xinwen: invalid aliases file {}: line 2: expected `name = code` (or `!name = code` to veto)\n",
            path(&file)
        )
    );
    assert_eq!(
        aliases_stats(&index),
        serde_json::json!({"source": "builtin", "pairs": 1})
    );
}

/// `xinwen analyze --query --json TEXT` on `index`: the first concept of the plan.
fn plan_concept(index: &Path, text: &str) -> Value {
    let (code, stdout, stderr) = run(&["analyze", "--index", path(index), "--query", "--json", text]);
    assert_eq!(code, Some(0), "{stderr}");
    let analysis: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    analysis["plan"]["groups"][0][0]["concepts"][0].clone()
}

#[test]
fn analyze_shows_a_code_widened_to_its_learned_name_and_back() {
    let (_work, index) = index();
    assert_eq!(
        plan_concept(&index, "600519"),
        serde_json::json!({
            "text": "600519", "literal": null,
            "alternatives": [{"terms": ["600519"], "offsets": [0], "weight": 1.0}],
            "prefixes": [], "status": "searched", "weak": false, "dropped": [],
            "expansions": [
                {"from": "600519", "to": ["贵州茅台"], "kind": "alias", "source": "learned"}
            ]
        })
    );
    // Typed with its exchange, the bare code is searched too.
    assert_eq!(
        plan_concept(&index, "600519.SH")["expansions"],
        serde_json::json!([{"from": "600519.SH", "to": ["600519", "贵州茅台"], "kind": "alias", "source": "learned"}])
    );
    assert_eq!(
        plan_concept(&index, "贵州茅台")["expansions"],
        serde_json::json!([{"from": "贵州茅台", "to": ["600519"], "kind": "alias", "source": "learned"}])
    );
    // A code that is an alias is not widened as a number (600,519); a pair seen in too few
    // articles is no alias, so that code is only a number.
    assert_eq!(
        plan_concept(&index, "300750")["expansions"],
        serde_json::json!([{"from": "300750", "to": ["300,750", "三十万零七百五十"], "kind": "number"}])
    );
    let (code, stdout, stderr) = run(&["analyze", "--index", path(&index), "--query", "600519"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("\n      concept 600519 — matched as a word\n        scores: 600519 ×1\n        also finds 贵州茅台 (company alias, learned from the articles)\n"),
        "{stdout}"
    );
}

#[test]
fn analyze_names_an_alias_from_the_file_and_a_vetoed_one_widens_nothing() {
    let (work, index) = index();
    let file = work.path().join("aliases.txt");
    std::fs::write(&file, "!贵州茅台 = 600519\n星河微电 = 688999.SH\n").expect("write");
    let (code, stdout, stderr) = run(&["index", "--index", path(&index), "--aliases", path(&file)]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(
        plan_concept(&index, "688999")["expansions"][0],
        serde_json::json!({"from": "688999", "to": ["星河微电"], "kind": "alias", "source": "user"})
    );
    assert_eq!(
        plan_concept(&index, "600519")["expansions"],
        serde_json::json!([{"from": "600519", "to": ["600,519", "六十万零五百一十九"], "kind": "number"}])
    );
    let (_, stdout, _) = run(&["analyze", "--index", path(&index), "--query", "星河微电"]);
    assert!(
        stdout.contains("        also finds 688999 (company alias, from the aliases file)\n"),
        "{stdout}"
    );
}

#[test]
fn explain_says_which_alias_found_an_article_that_only_names_the_company() {
    let (_work, index) = index();
    let (code, stdout, stderr) = run(&[
        "search",
        "--index",
        path(&index),
        "--json",
        "--explain",
        "--limit",
        "10",
        "600519",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let hits = json["hits"].as_array().expect("hits");
    let hit = |id: &str| {
        hits.iter()
            .find(|h| h["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {json}"))
    };
    // (kind, concept, field, expansion) of each part.
    let parts = |id: &str| -> Vec<Value> {
        hit(id)["explain"]["parts"]
            .as_array()
            .expect("parts")
            .iter()
            .map(|p| serde_json::json!([p["kind"], p["concept"], p["field"], p.get("expansion")]))
            .collect()
    };
    let alias = serde_json::json!({"from": "600519", "kind": "alias", "source": "learned"});
    assert_eq!(
        parts("moutai-name"),
        [
            serde_json::json!(["literal", "贵州茅台", "lit", alias]),
            serde_json::json!(["phrase", "贵州茅台", "body", alias]),
        ]
    );
    // The article with the code typed scores the code itself: no expansion.
    assert!(
        parts("moutai-code").iter().all(|p| p[3].is_null()),
        "{:?}",
        parts("moutai-code")
    );
    let (_, text, _) = run(&[
        "search",
        "--index",
        path(&index),
        "--explain",
        "--limit",
        "10",
        "600519",
    ]);
    assert!(
        text.contains("\n      +0.4537  phrase 贵州 茅台 in body (tf 1, idf 1.597, norm 1.258, length 11) ×0.2916, for 600519 (company alias, learned from the articles)\n"),
        "{text}"
    );
}
