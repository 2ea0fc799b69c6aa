//! Literal recall on an index of a JSONL file (issue 10's table): for each query, the
//! articles whose title, a tag or the body contains the string (folded, letters, digits and
//! ideographs only), counted by scanning, against what a search finds.
//!
//! ```sh
//! cargo run --release -- index --index /tmp/lit-100k target/bench-data/subset-100000.jsonl
//! cargo run --release --example literal_recall -- /tmp/lit-100k target/bench-data/subset-100000.jsonl
//! ```
//! It only reads public API that predates the literal field, so the same file measures the
//! build before it.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use xinwen::search::{Engine, SearchRequest};
use xinwen::store::IndexDir;

/// (what is typed, the string an article must contain).
const QUERIES: [(&str, &str); 9] = [
    ("改革开放", "改革开放"),
    ("\"改革开放\"", "改革开放"),
    ("的决定", "的决定"),
    ("一千亿", "一千亿"),
    ("\"院院长\"", "院院长"),
    ("国务 院", "国务院"),
    ("国务院", "国务院"),
    ("\"北京冬奥组委\"", "北京冬奥组委"),
    ("民生", "民生"),
];

fn normalize(text: &str) -> String {
    text.chars()
        .map(xinwen::fold::fold_full)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(index), Some(input)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: literal_recall INDEX_DIR FILE.jsonl");
        std::process::exit(2);
    };
    let needles: Vec<String> = QUERIES.iter().map(|(_, s)| normalize(s)).collect();
    let mut containing: Vec<HashSet<String>> = vec![HashSet::new(); QUERIES.len()];
    let file = File::open(PathBuf::from(input)).unwrap_or_else(|e| panic!("open {input}: {e}"));
    for line in BufReader::new(file).lines() {
        let Ok(article) = xinwen::post::jsonl::parse_line(&line.expect("read a line")) else {
            continue;
        };
        let texts: Vec<String> = std::iter::once(&article.title)
            .chain(&article.tags)
            .chain(std::iter::once(&article.body))
            .map(|t| normalize(t))
            .collect();
        for (ids, needle) in containing.iter_mut().zip(&needles) {
            if texts.iter().any(|t| t.contains(needle.as_str())) {
                ids.insert(article.id.clone());
            }
        }
    }
    let engine = Engine::open(&IndexDir::new(index)).expect("open the index");
    println!("| query | articles containing it | found of those | results |");
    println!("| --- | ---: | ---: | ---: |");
    for ((typed, _), truth) in QUERIES.iter().zip(&containing) {
        let (found, total) = found_ids(&engine, typed);
        let of_truth = found.iter().filter(|id| truth.contains(*id)).count();
        // Paging stops at the engine's depth limit: beyond it, a lower bound.
        let bound = if found.len() < total { "≥ " } else { "" };
        println!("| `{typed}` | {} | {bound}{of_truth} | {total} |", truth.len());
    }
}

/// The ids a query finds (paged up to the engine's depth limit) and its total.
fn found_ids(engine: &Engine, query: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    loop {
        let request = SearchRequest {
            limit: 100,
            offset: ids.len(),
            snippet_chars: 0,
            ..SearchRequest::new(query)
        };
        let Ok(response) = engine.search(&request) else {
            return (ids, 0);
        };
        let page = response.hits.len();
        ids.extend(response.hits.into_iter().map(|h| h.id));
        if page < 100 || ids.len() >= response.total || ids.len() + 100 > 10_000 {
            return (ids, response.total);
        }
    }
}
