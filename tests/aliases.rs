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
    // Typed with its exchange, the article that writes it so comes first.
    assert_eq!(
        ids(&index, "600519.SH"),
        ["moutai-2", "moutai-code", "moutai-name", "moutai-3", "moutai-1"]
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
