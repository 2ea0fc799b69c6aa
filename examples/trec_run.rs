//! The ranking-quality harness: XQuAD-R (Chinese) from `../shared/eval/xquad-r-zh`, indexed
//! and searched with xinwen's own analyzer and ranking, written as a TREC run and scored by
//! `../shared/eval/evaluate.py` (MRR@10, Recall@100, Recall@1000, nDCG@10).
//!
//! ```text
//! cargo run --release --example trec_run -- [--out run.tsv] [--title english] [--any-word]
//! ```
//! Each document is one sentence. By default only its text is searchable, like the
//! reference's "text only" run: the record's title is set to a dash, which yields no words
//! (a record without a title would get one made from the start of its body, and the title
//! is weighted up, so the first 40 characters of each sentence would count more than the
//! rest). `--title english` indexes the English article title instead, like the
//! reference's "title + text" run. `--any-word` is a diagnostic, not xinwen's behaviour: it
//! types each question as its words joined by `OR`, so nothing is required and the ranking
//! alone decides, as in the reference's BM25 run. Otherwise questions are searched as
//! typed; none has all its words in one sentence, so all fall back to the relaxed search
//! (at least half the words), which is what users get too. Up to 1,000 hits a question are
//! paged 100 at a time. After the scores comes a breakdown for tuning: where
//! the relevant sentence ranked, how many questions were relaxed or found nothing, and ten
//! failures with their words as the analyzer cuts them.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use flate2::read::GzDecoder;
use serde_json::{Value, json};
use xinwen::indexer::{self, IndexOptions, Silent};
use xinwen::search::{Engine, SearchRequest};
use xinwen::store::IndexDir;

/// Hits written per question.
const RUN_DEPTH: usize = 1_000;
/// Hits a page (the engine's maximum).
const PAGE: usize = 100;
/// The run's tag column.
const TAG: &str = "xinwen";
/// Failures printed.
const EXAMPLES: usize = 10;
/// The most words of an `--any-word` query (the engine's limit on query terms).
const MAX_TERMS: usize = 32;
/// A title that yields no words: the title field stays empty.
const NO_TITLE: &str = "—";

struct Args {
    out: PathBuf,
    english_title: bool,
    any_word: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: root().join("target/xquad-r-zh.run"),
        english_title: false,
        any_word: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--out" => args.out = PathBuf::from(it.next().ok_or("--out needs a file")?),
            "--title" => match it.next().as_deref() {
                Some("english") => args.english_title = true,
                Some("none") => args.english_title = false,
                _ => return Err("--title takes english or none".into()),
            },
            "--any-word" => args.any_word = true,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: trec_run [--out FILE] [--title english|none] [--any-word]"
                ));
            }
        }
    }
    Ok(args)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gz_lines(path: &Path) -> Result<Vec<String>, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    BufReader::new(GzDecoder::new(file))
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A collection document: id, English title, sentence.
struct Doc {
    title: String,
    text: String,
}

/// Where a question's relevant sentence ranked, and what came first.
struct Outcome {
    qid: String,
    question: String,
    relevant: String,
    rank: Option<usize>,
    hits: usize,
    relaxed: bool,
    first: Option<String>,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trec_run: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let eval = root().join("../shared/eval");
    let collection = eval.join("xquad-r-zh");
    if !collection.is_dir() {
        return Err(format!("{} absent", collection.display()));
    }

    // The collection as xinwen JSONL: the sentence is the body.
    let mut docs: HashMap<String, Doc> = HashMap::new();
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let input = tmp.path().join("xquad-r-zh.jsonl");
    let io = |e: std::io::Error| format!("{}: {e}", input.display());
    let mut w = BufWriter::new(File::create(&input).map_err(io)?);
    for line in gz_lines(&collection.join("corpus.jsonl.gz"))? {
        let record: Value = serde_json::from_str(&line).map_err(|e| format!("corpus.jsonl.gz: {e}"))?;
        let field = |k: &str| record[k].as_str().unwrap_or_default().to_string();
        let doc = Doc {
            title: field("title"),
            text: field("text"),
        };
        let title = if args.english_title {
            doc.title.as_str()
        } else {
            NO_TITLE
        };
        let out = json!({"id": field("id"), "title": title, "body": doc.text});
        writeln!(w, "{out}").map_err(io)?;
        docs.insert(field("id"), doc);
    }
    w.flush().map_err(io)?;
    drop(w);

    let dir = IndexDir::new(tmp.path().join("index"));
    let report = indexer::run(&dir, &[input], &IndexOptions::default(), &Silent).map_err(|e| e.to_string())?;
    if report.total as usize != docs.len() {
        return Err(format!(
            "indexed {} of {} documents: {:?}",
            report.total,
            docs.len(),
            report.rejections
        ));
    }
    let engine = Engine::open(&dir).map_err(|e| e.to_string())?;

    let qrels: HashMap<String, String> = gz_lines(&collection.join("qrels.tsv.gz"))?
        .iter()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols.len() == 4 && cols[3] != "0").then(|| (cols[0].to_string(), cols[2].to_string()))
        })
        .collect();

    let started = Instant::now();
    let io = |e: std::io::Error| format!("{}: {e}", args.out.display());
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut run = BufWriter::new(File::create(&args.out).map_err(io)?);
    let mut outcomes = Vec::new();
    for line in gz_lines(&collection.join("queries.tsv.gz"))? {
        let Some((qid, question)) = line.split_once('\t') else {
            continue;
        };
        let query = if args.any_word {
            any_word_query(&engine, question)
        } else {
            question.to_string()
        };
        let mut hits = Vec::new();
        let mut relaxed = false;
        while hits.len() < RUN_DEPTH {
            let response = engine
                .search(&SearchRequest {
                    query: query.clone(),
                    limit: PAGE,
                    offset: hits.len(),
                    snippet_chars: 0,
                    ..SearchRequest::new("")
                })
                .map_err(|e| format!("{qid} {question:?}: {e}"))?;
            relaxed |= response.relaxed;
            let got = response.hits.len();
            hits.extend(response.hits.into_iter().map(|h| (h.id, h.score)));
            if got < PAGE || hits.len() >= response.total {
                break;
            }
        }
        for (i, (id, score)) in hits.iter().enumerate() {
            writeln!(run, "{qid} Q0 {id} {} {score} {TAG}", i + 1).map_err(io)?;
        }
        let relevant = qrels.get(qid).cloned().unwrap_or_default();
        outcomes.push(Outcome {
            qid: qid.to_string(),
            question: question.to_string(),
            rank: hits.iter().position(|(id, _)| *id == relevant).map(|i| i + 1),
            relevant,
            hits: hits.len(),
            relaxed,
            first: hits.first().map(|(id, _)| id.clone()),
        });
    }
    run.flush().map_err(io)?;
    drop(run);
    let elapsed = started.elapsed();

    let mode = match (args.english_title, args.any_word) {
        (false, false) => "text only",
        (true, false) => "title + text",
        (false, true) => "text only, words joined by OR",
        (true, true) => "title + text, words joined by OR",
    };
    println!(
        "xinwen on XQuAD-R zh ({mode}): {} documents, {} questions, {:.2} ms a question (all pages); run: {}",
        docs.len(),
        outcomes.len(),
        elapsed.as_secs_f64() * 1e3 / outcomes.len().max(1) as f64,
        args.out.display()
    );
    let status = Command::new("python3")
        .current_dir(root())
        .arg(eval.join("evaluate.py"))
        .arg(collection.join("qrels.tsv.gz"))
        .arg(&args.out)
        .status()
        .map_err(|e| format!("python3: {e}"))?;
    if !status.success() {
        return Err(format!("evaluate.py failed: {status}"));
    }

    print_breakdown(&outcomes, &docs, &engine);
    Ok(())
}

/// A question's words (as the analyzer cuts it) joined by `OR`.
fn any_word_query(engine: &Engine, question: &str) -> String {
    let words: Vec<String> = engine
        .analyzer()
        .analyze(question)
        .into_iter()
        .filter(|p| p.main)
        .map(|p| p.text)
        .take(MAX_TERMS)
        .collect();
    words.join(" OR ")
}

fn print_breakdown(outcomes: &[Outcome], docs: &HashMap<String, Doc>, engine: &Engine) {
    let n = outcomes.len();
    let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let at = |lo: usize, hi: usize| count(&|o| o.rank.is_some_and(|r| (lo..=hi).contains(&r)));
    println!();
    println!("where the relevant sentence ranked, over {n} questions:");
    println!("  rank 1: {}", at(1, 1));
    println!("  rank 2-10: {}", at(2, 10));
    println!("  rank 11-100: {}", at(11, 100));
    println!("  rank 101-1000: {}", at(101, RUN_DEPTH));
    println!("  not retrieved: {}", count(&|o| o.rank.is_none()));
    println!(
        "questions with no hits: {}; relaxed (no sentence had all the words): {} ({:.1}%); all words matched: {}",
        count(&|o| o.hits == 0),
        count(&|o| o.relaxed),
        100.0 * count(&|o| o.relaxed) as f64 / n.max(1) as f64,
        count(&|o| !o.relaxed && o.hits > 0),
    );
    for (label, relaxed) in [("relaxed", true), ("all words", false)] {
        let group: Vec<&Outcome> = outcomes.iter().filter(|o| o.relaxed == relaxed && o.hits > 0).collect();
        if group.is_empty() {
            continue;
        }
        let mrr: f64 = group
            .iter()
            .filter_map(|o| o.rank.filter(|&r| r <= 10))
            .map(|r| 1.0 / r as f64)
            .sum::<f64>()
            / group.len() as f64;
        let missed = group.iter().filter(|o| o.rank.is_none()).count();
        println!(
            "  {label}: {} questions, MRR@10 {mrr:.4}, relevant sentence not retrieved in {missed}",
            group.len()
        );
    }

    // Failures (relevant sentence not in the top 10), spread over the question list.
    let failures: Vec<&Outcome> = outcomes.iter().filter(|o| o.rank.is_none_or(|r| r > 10)).collect();
    println!();
    println!("{} questions miss the top 10; {EXAMPLES} of them:", failures.len());
    let step = (failures.len() / EXAMPLES).max(1);
    let text = |id: &str| docs.get(id).map_or("?", |d| d.text.as_str()).to_string();
    for o in failures.iter().step_by(step).take(EXAMPLES) {
        let words: Vec<String> = engine
            .analyzer()
            .analyze(&o.question)
            .into_iter()
            .filter(|p| p.main)
            .map(|p| p.text)
            .collect();
        let rank = o.rank.map_or("not retrieved".to_string(), |r| format!("rank {r}"));
        let relaxed = if o.relaxed { ", relaxed" } else { "" };
        println!("- {} {:?} ({rank}{relaxed}, {} hits)", o.qid, o.question, o.hits);
        println!("    words: {}", words.join(" | "));
        println!("    relevant {}: {}", o.relevant, text(&o.relevant));
        match &o.first {
            Some(first) => println!("    first    {first}: {}", text(first)),
            None => println!("    first    nothing"),
        }
    }
}
