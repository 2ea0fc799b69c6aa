//! How the finance flashes group into stories: indexes a JSONL file (default
//! `../shared/corpus/finflash/finflash.jsonl.gz`) into a temporary index, then prints the
//! indexing time, the number of stories and their sizes, how many cross-source pairs with
//! the same folded body (an independent check: equal text after folding and dropping
//! whitespace and punctuation, at least 40 characters) landed in one story, and 50 random
//! merged pairs (seeded) to read by hand.
//!
//! `cargo run --release --example stories [-- FILE]`

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use tantivy::TantivyDocument;
use tantivy::schema::Value;
use xinwen::indexer::{self, IndexOptions, Silent};
use xinwen::store::{IndexDir, OpenIndex};

/// One indexed article, as the measurement needs it.
struct Row {
    id: String,
    source: String,
    title: String,
    body: String,
    story: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let input = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/finflash/finflash.jsonl.gz")
    });
    let tmp = tempfile::tempdir()?;
    let dir = IndexDir::new(tmp.path().join("index"));
    let started = Instant::now();
    let report = indexer::run(&dir, std::slice::from_ref(&input), &IndexOptions::default(), &Silent)?;
    let took = started.elapsed();
    println!(
        "indexed {} articles of {} in {:.1} s ({:.0}/s)",
        report.new,
        input.display(),
        took.as_secs_f64(),
        report.new as f64 / took.as_secs_f64()
    );
    let rows = rows(&dir.open()?)?;
    let mut by_story: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        by_story.entry(&row.story).or_default().push(i);
    }
    let multi: Vec<&Vec<usize>> = by_story.values().filter(|m| m.len() > 1).collect();
    println!(
        "{} articles form {} stories; {} stories have more than one article ({} articles in them); largest {}",
        rows.len(),
        by_story.len(),
        multi.len(),
        multi.iter().map(|m| m.len()).sum::<usize>(),
        by_story.values().map(Vec::len).max().unwrap_or(0)
    );
    // The independent check: the same folded body from two sources.
    let mut by_body: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let key: String = row
            .body
            .chars()
            .filter(|c| c.is_alphanumeric())
            .map(xinwen::fold::fold_full)
            .collect();
        if key.chars().count() >= 40 {
            by_body.entry(key).or_default().push(i);
        }
    }
    let (mut pairs, mut together) = (0u64, 0u64);
    for members in by_body.values() {
        for (n, &a) in members.iter().enumerate() {
            for &b in &members[n + 1..] {
                if rows[a].source != rows[b].source {
                    pairs += 1;
                    together += u64::from(rows[a].story == rows[b].story);
                }
            }
        }
    }
    println!(
        "cross-source pairs with the same folded body: {pairs}; in one story: {together} ({:.1} %)",
        100.0 * together as f64 / pairs.max(1) as f64
    );
    // 50 merged pairs, picked with a fixed LCG so a rerun shows the same ones.
    let mut state: u64 = 13;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % n.max(1)
    };
    println!("\n50 random merges (story, first article | another):");
    for _ in 0..50.min(multi.len()) {
        let members = multi[next(multi.len())];
        let (a, b) = (&rows[members[0]], &rows[members[1 + next(members.len() - 1)]]);
        println!(
            "{}  {} [{}] {}\n    | {} [{}] {}",
            a.story,
            a.id,
            a.source,
            clip(a),
            b.id,
            b.source,
            clip(b)
        );
    }
    Ok(())
}

/// The headline and the start of the body.
fn clip(row: &Row) -> String {
    let body: String = row.body.chars().take(60).collect();
    format!("{} / {}", row.title, body.replace('\n', " "))
}

/// Every live article with its story.
fn rows(open: &OpenIndex) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let searcher = open.index.reader()?.searcher();
    let mut rows = Vec::new();
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(64)?;
        for doc in segment.doc_ids_alive() {
            let stored: TantivyDocument = store.get(doc)?;
            let article = open.fields.from_doc(&stored);
            let story = stored
                .get_first(open.fields.story)
                .and_then(|v| v.as_u64())
                .map(|s| format!("s-{s:016x}"))
                .unwrap_or_default();
            rows.push(Row {
                id: article.id,
                source: article.source.unwrap_or_default(),
                title: article.title,
                body: article.body,
                story,
            });
        }
    }
    Ok(rows)
}
