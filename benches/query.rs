//! Query latency, top 10 with snippets, xinwen against the reference (tantivy QueryParser +
//! tantivy-jieba + SnippetGenerator, as documented), over the same 100,000 articles.
//!
//! `cargo bench --bench query`. Builds both indexes once under `target/bench-data/` (reused
//! afterwards), runs every query of `benches/queries.txt` once to warm up, then
//! `XINWEN_BENCH_ROUNDS` (default 5) rounds; prints p50/p90/p99/max over all executions,
//! and how many reference snippets panicked (caught, counted).

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use common::*;
use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, TantivyDocument};
use xinwen::search::{Engine, SearchRequest};
use xinwen::store::IndexDir;

fn queries() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("benches/queries.txt")).expect("benches/queries.txt");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

fn reference_index(input: &Path, name: &str) -> PathBuf {
    let dir = root().join("target/bench-data").join(name);
    if !dir.join("meta.json").exists() {
        eprintln!("building {}", dir.display());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        build_reference(input, &dir);
    }
    dir
}

struct Reference {
    index: Index,
    reader: tantivy::IndexReader,
}

impl Reference {
    /// One search the documented way; returns (hits, snippet panics).
    fn search(&self, q: &str) -> (usize, usize) {
        let schema = self.index.schema();
        let (title, body) = (
            schema.get_field("title").expect("title"),
            schema.get_field("body").expect("body"),
        );
        let searcher = self.reader.searcher();
        let parser = QueryParser::for_index(&self.index, vec![title, body]);
        let Ok(query) = parser.parse_query(q) else {
            return (0, 0);
        };
        let top = searcher
            .search(&query, &TopDocs::with_limit(10).order_by_score())
            .expect("search");
        let mut panics = 0;
        let generator = SnippetGenerator::create(&searcher, &*query, body).expect("snippet generator");
        for (_, address) in &top {
            let doc: TantivyDocument = searcher.doc(*address).expect("doc");
            if catch_unwind(AssertUnwindSafe(|| generator.snippet_from_doc(&doc).to_html())).is_err() {
                panics += 1;
            }
        }
        (top.len(), panics)
    }
}

fn report(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "| {name} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
        ms.len(),
        percentile(&ms, 50.0),
        percentile(&ms, 90.0),
        percentile(&ms, 99.0),
        ms.last().copied().unwrap_or(f64::NAN)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = !args.iter().any(|a| a == "--bench");
    let rounds: usize = if smoke {
        1
    } else {
        std::env::var("XINWEN_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5)
    };
    let (input, suffix) = if smoke {
        (root().join("fixtures/jsonl/articles.jsonl"), "fixtures")
    } else {
        (subset(SUBSET), "100k")
    };
    let queries = queries();
    let ours = Engine::open(&IndexDir::new(xinwen_index(&input, &format!("xinwen-{suffix}")))).expect("open xinwen");
    let reference = {
        let index = open_reference(&reference_index(&input, &format!("reference-{suffix}")));
        let reader = index.reader().expect("reader");
        Reference { index, reader }
    };
    // Quiet the reference's caught panics (they are counted, not printed).
    std::panic::set_hook(Box::new(|_| {}));
    let mut ours_ms = Vec::new();
    let mut ref_ms = Vec::new();
    let mut panics = 0;
    let mut ours_empty = 0;
    for round in 0..=rounds {
        for q in &queries {
            let started = Instant::now();
            let response = ours.search(&SearchRequest::new(q.as_str()));
            let ours_elapsed = started.elapsed().as_secs_f64() * 1e3;
            let started = Instant::now();
            let (_, p) = reference.search(q);
            let ref_elapsed = started.elapsed().as_secs_f64() * 1e3;
            if round == 0 {
                // Warm-up round: not timed, but the panics and empty results are counted once.
                panics += p;
                ours_empty += usize::from(response.map(|r| r.hits.is_empty()).unwrap_or(true));
                continue;
            }
            ours_ms.push(ours_elapsed);
            ref_ms.push(ref_elapsed);
        }
    }
    let _ = std::panic::take_hook();
    // Search as you type: every prefix of every query, as the search box asks for it.
    let prefixes: Vec<String> = queries
        .iter()
        .flat_map(|q| {
            let chars: Vec<char> = q.chars().collect();
            (1..=chars.len()).map(move |n| chars[..n].iter().collect::<String>())
        })
        .filter(|p| !p.ends_with(' '))
        .collect();
    let mut suggest_ms = Vec::new();
    for round in 0..=rounds.min(3) {
        for p in &prefixes {
            let started = Instant::now();
            let _ = ours.suggest(p, 10);
            if round > 0 {
                suggest_ms.push(started.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    println!("{} queries × {rounds} rounds over {}", queries.len(), input.display());
    println!("| engine | runs | p50 ms | p90 ms | p99 ms | max ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    report("reference (QueryParser + SnippetGenerator)", ref_ms.clone());
    report("xinwen (Engine::search, exact total, snippets)", ours_ms.clone());
    report("xinwen suggest (every prefix of every query)", suggest_ms);
    println!(
        "ratio p50 {:.2}×, p99 {:.2}×; reference snippet panics: {panics} (over {} queries, 10 hits each); \
         xinwen queries with no hits: {ours_empty}",
        median(&ours_ms) / median(&ref_ms),
        percentile(&ours_ms, 99.0) / percentile(&ref_ms, 99.0),
        queries.len()
    );
}
