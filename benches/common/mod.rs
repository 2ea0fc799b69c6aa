//! Shared by the benches: the corpus subset, the reference build, timing helpers.
//!
//! The reference is the straightforward build the issue names: tantivy with tantivy-jieba's
//! `JiebaTokenizer` (default: search mode, HMM on) on title and body, `index.writer(50 MB)`,
//! documents added from the same JSONL, one commit — what the documentation shows.
#![allow(dead_code)]

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use tantivy::schema::{DateOptions, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::{DateTime, Index, IndexWriter, TantivyDocument};
use xinwen::store::IndexDir;

/// Articles in the benchmark subset: all 74,545 新闻联播 stories + the first 25,455 flashes.
pub const SUBSET: usize = 100_000;

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the shared corpus is, if present.
pub fn corpus() -> Option<PathBuf> {
    let dir = root().join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

/// Writes (once) and returns the subset as plain JSONL under `target/bench-data/`; falls
/// back to the fixtures' JSONL when the corpus is absent.
pub fn subset(articles: usize) -> PathBuf {
    let Some(corpus) = corpus() else {
        eprintln!("note: ../shared/corpus absent; benchmarking on fixtures/jsonl/articles.jsonl");
        return root().join("fixtures/jsonl/articles.jsonl");
    };
    let out_dir = root().join("target/bench-data");
    std::fs::create_dir_all(&out_dir).expect("create target/bench-data");
    let out = out_dir.join(format!("subset-{articles}.jsonl"));
    if out.exists() {
        return out;
    }
    let tmp = out.with_extension("tmp");
    let mut w = BufWriter::new(File::create(&tmp).expect("create subset"));
    let mut n = 0;
    for file in ["xwlb/xwlb.jsonl.gz", "finflash/finflash.jsonl.gz"] {
        let gz = flate2::read::GzDecoder::new(File::open(corpus.join(file)).expect("open corpus file"));
        for line in BufReader::new(gz).lines() {
            if n == articles {
                break;
            }
            writeln!(w, "{}", line.expect("read corpus line")).expect("write subset");
            n += 1;
        }
    }
    w.flush().expect("flush subset");
    drop(w);
    std::fs::rename(&tmp, &out).expect("publish subset");
    out
}

/// The reference schema: id, title, body, date, the way the tantivy + tantivy-jieba docs do it.
pub fn reference_schema() -> Schema {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("jieba")
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    b.add_text_field("id", STRING | STORED);
    b.add_text_field("title", text.clone());
    b.add_text_field("body", text);
    b.add_date_field("date", DateOptions::default().set_indexed().set_stored().set_fast());
    b.build()
}

/// Opens a reference index with the jieba tokenizer registered.
pub fn open_reference(dir: &Path) -> Index {
    let index = Index::open_in_dir(dir).expect("open reference index");
    index
        .tokenizers()
        .register("jieba", tantivy_jieba::JiebaTokenizer::new());
    index
}

/// Builds the reference index from a JSONL file; returns the articles indexed.
pub fn build_reference(input: &Path, dir: &Path) -> usize {
    let schema = reference_schema();
    let f = |name: &str| schema.get_field(name).expect("field");
    let (id, title, body, date) = (f("id"), f("title"), f("body"), f("date"));
    let index = Index::create_in_dir(dir, schema.clone()).expect("create reference index");
    index
        .tokenizers()
        .register("jieba", tantivy_jieba::JiebaTokenizer::new());
    let mut writer: IndexWriter = index.writer(50_000_000).expect("writer");
    let mut n = 0;
    for line in BufReader::new(File::open(input).expect("open input")).lines() {
        let line = line.expect("read line");
        let v: serde_json::Value = serde_json::from_str(&line).expect("json");
        let mut doc = TantivyDocument::default();
        doc.add_text(id, v["id"].as_str().unwrap_or_default());
        doc.add_text(title, v["title"].as_str().unwrap_or_default());
        doc.add_text(body, v["body"].as_str().unwrap_or_default());
        if let Some(d) = v["date"]
            .as_str()
            .and_then(|d| time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok())
        {
            doc.add_date(date, DateTime::from_utc(d));
        }
        writer.add_document(doc).expect("add");
        n += 1;
    }
    writer.commit().expect("commit");
    writer.wait_merging_threads().expect("merge");
    n
}

/// Peak resident memory of this process, from /proc (KiB).
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Total size of the files under `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            total += if p.is_dir() {
                dir_size(&p)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            };
        }
    }
    total
}

/// Median of a list (sorted copy).
pub fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

/// Nearest-rank percentile.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v[rank.min(v.len()) - 1]
}

/// Bodies and titles of the first `n` lines of a JSONL file (for analysis throughput).
pub fn texts(input: &Path, n: usize) -> Vec<String> {
    BufReader::new(File::open(input).expect("open input"))
        .lines()
        .take(n)
        .filter_map(|l| l.ok())
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
        .map(|v| {
            format!(
                "{}\n{}",
                v["title"].as_str().unwrap_or_default(),
                v["body"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// The xinwen index of `input` under `target/bench-data/NAME`, built once and shared by
/// the benches that search it.
pub fn xinwen_index(input: &Path, name: &str) -> PathBuf {
    let dir = root().join("target/bench-data").join(name);
    if !dir.join("CURRENT").exists() {
        eprintln!("building {}", dir.display());
        let _ = std::fs::remove_dir_all(&dir);
        xinwen::indexer::run(
            &IndexDir::new(&dir),
            &[input.to_path_buf()],
            &xinwen::indexer::IndexOptions::default(),
            &xinwen::indexer::Silent,
        )
        .expect("build xinwen index");
    }
    dir
}
