//! Known-item search at scale: each sampled article's own headline, typed as the query,
//! must find it first (the issue: rank 1 in at least 95% of 1,000 searches over the
//! 100,000-article subset, MRR reported; a duplicated or syndicated headline counts as found
//! when any article with that headline ranks first).
//!
//! ```text
//! cargo run --release --example known_item -- [--articles 100000] [--sample 1000] [--index DIR] [--rebuild]
//! ```
//! The subset is the benches' (`target/bench-data/subset-N.jsonl`: all 新闻联播 stories, then
//! finance flashes in file order), written here if the benches have not. The index is kept
//! in `target/known-item/index-N` (or `--index`) and reused while it opens and holds the
//! subset's articles; `--rebuild` rebuilds it. Exits 1 below the 95% target.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::Value;
use xinwen::post::Article;
use xinwen::post::jsonl::parse_line;
use xinwen::search::{Hit, SearchRequest};
use xinwen::store::IndexDir;

mod support;
use support::{open_or_build, root, subset};

/// The issue's target: share of headlines that find their article at rank 1.
const TARGET_TOP1: f64 = 0.95;
/// Hits looked at for MRR@10.
const MRR_DEPTH: usize = 10;
/// How deep a miss is looked for, to say how bad it is.
const MISS_DEPTH: usize = 100;
/// Misses printed.
const WORST: usize = 20;

struct Args {
    articles: usize,
    sample: usize,
    index: Option<PathBuf>,
    rebuild: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        articles: 100_000,
        sample: 1_000,
        index: None,
        rebuild: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--articles" => args.articles = value("--articles")?.parse().map_err(|e| format!("--articles: {e}"))?,
            "--sample" => args.sample = value("--sample")?.parse().map_err(|e| format!("--sample: {e}"))?,
            "--index" => args.index = Some(PathBuf::from(value("--index")?)),
            "--rebuild" => args.rebuild = true,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: known_item [--articles N] [--sample N] [--index DIR] [--rebuild]"
                ));
            }
        }
    }
    if args.sample == 0 {
        return Err("--sample must be at least 1".into());
    }
    Ok(args)
}

/// One sampled search and where its article ranked (1-based; `None`: not in the first 100).
struct Outcome {
    query: String,
    article: Article,
    rank: Option<usize>,
    relaxed: bool,
    first: Option<Hit>,
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("known_item: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, String> {
    let args = parse_args()?;
    let input = subset(args.articles)?;
    let text = std::fs::read_to_string(&input).map_err(|e| format!("{}: {e}", input.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let index_path = args
        .index
        .clone()
        .unwrap_or_else(|| root().join(format!("target/known-item/index-{}", args.articles)));
    let dir = IndexDir::new(index_path);
    let expected = lines.iter().filter(|l| parse_line(l).is_ok()).count();
    let engine = open_or_build(&dir, &input, expected as u64, args.rebuild, "known_item example")?;

    // Articles with a published headline (flashes without one get a title made from their
    // body, which is not what a user would type), spread evenly over the subset.
    let titled: Vec<(String, Article)> = lines
        .iter()
        .filter_map(|line| {
            let raw: Value = serde_json::from_str(line).ok()?;
            let title = raw["title"].as_str().filter(|t| !t.trim().is_empty())?.to_string();
            Some((title, parse_line(line).ok()?))
        })
        .collect();
    if titled.len() < args.sample {
        return Err(format!("only {} titled articles", titled.len()));
    }
    let step = titled.len() / args.sample;
    let started = Instant::now();
    let mut outcomes = Vec::with_capacity(args.sample);
    for (query, article) in titled.into_iter().step_by(step).take(args.sample) {
        let response = engine
            .search(&SearchRequest {
                query: query.clone(),
                limit: MISS_DEPTH,
                snippet_chars: 0,
                ..SearchRequest::new("")
            })
            .map_err(|e| format!("{query:?}: {e}"))?;
        let rank = response
            .hits
            .iter()
            .position(|h| h.id == article.id || h.title == article.title)
            .map(|i| i + 1);
        outcomes.push(Outcome {
            query,
            article,
            rank,
            relaxed: response.relaxed,
            first: response.hits.into_iter().next(),
        });
    }
    let elapsed = started.elapsed();

    let n = outcomes.len() as f64;
    let within = |k: usize| outcomes.iter().filter(|o| o.rank.is_some_and(|r| r <= k)).count();
    let (top1, top3, top10) = (within(1), within(3), within(MRR_DEPTH));
    let mrr = outcomes
        .iter()
        .filter_map(|o| o.rank.filter(|&r| r <= MRR_DEPTH))
        .map(|r| 1.0 / r as f64)
        .sum::<f64>()
        / n;
    let relaxed = outcomes.iter().filter(|o| o.relaxed).count();
    let top1_rate = top1 as f64 / n;

    let mut misses: Vec<&Outcome> = outcomes.iter().filter(|o| o.rank != Some(1)).collect();
    misses.sort_by_key(|o| std::cmp::Reverse(o.rank.unwrap_or(usize::MAX)));
    println!("worst misses (rank of the article; what ranked first):");
    for o in misses.iter().take(WORST) {
        let rank = o.rank.map_or(format!(">{MISS_DEPTH}"), |r| r.to_string());
        let first = o.first.as_ref().map_or("nothing".to_string(), |h| {
            format!("{} {:?} ({:.2})", h.id, h.title, h.score)
        });
        let relaxed = if o.relaxed { " [relaxed]" } else { "" };
        println!(
            "  {rank:>4}  {} {:?}{relaxed}\n        first: {first}",
            o.article.id, o.query
        );
    }
    println!();
    println!(
        "articles {}, sample {}, relaxed {relaxed}, {:.2} ms a search",
        engine.num_docs(),
        outcomes.len(),
        elapsed.as_secs_f64() * 1e3 / n
    );
    println!(
        "| `cargo run --release --example known_item -- --articles {} --sample {}` | rank 1 {:.1}% ({top1}/{}) | top 3 {:.1}% ({top3}) | top 10 {:.1}% ({top10}) | MRR@10 {mrr:.4} |",
        args.articles,
        args.sample,
        100.0 * top1_rate,
        outcomes.len(),
        100.0 * top3 as f64 / n,
        100.0 * top10 as f64 / n,
    );
    if top1_rate < TARGET_TOP1 {
        eprintln!(
            "below the target: {:.1}% at rank 1 < {:.0}%",
            100.0 * top1_rate,
            100.0 * TARGET_TOP1
        );
    }
    Ok(top1_rate >= TARGET_TOP1)
}
