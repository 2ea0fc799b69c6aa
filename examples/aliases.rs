//! What the learned company aliases do on the finance flashes (issue 13, "Companies by
//! name or code"): indexes a JSONL file (default `../shared/corpus/finflash/finflash.jsonl.gz`)
//! or reuses an index, prints the name ↔ code pairs seen and learned (the `xinwen stats`
//! count), and for a seeded sample of learned codes:
//! - the articles that name the company but never write its code ("name-only": the folded
//!   title and body hold one of the code's names and not its digits), and how many of them
//!   the code typed as a query now finds. Without aliases it finds none of them: the code's
//!   digits are nowhere in their text;
//! - the reverse: articles writing the code but no name ("code-only"), found by the name.
//!
//! ```text
//! cargo run --release --example aliases -- [FILE] [--index DIR] [--rebuild] [--sample 50]
//! ```
//! The index is `target/issue13/finflash` (or `--index`), shared with `examples/stories.rs`,
//! and reused while it holds the file's articles.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use tantivy::TantivyDocument;
use xinwen::config::{MAX_DEPTH, MAX_LIMIT};
use xinwen::search::aliases::{MIN_ARTICLES, parse_code};
use xinwen::search::{Engine, SearchRequest};
use xinwen::store::IndexDir;

mod support;
use support::{open_or_build, parsable_lines, root, seeded_sample};

/// The file the index keeps its learned counts in (`local::aliases::FILE`, crate-private).
const COUNTS_FILE: &str = "aliases.json";
/// Misses printed, to see why a name-only article is not found.
const MISSES_SHOWN: usize = 8;

struct Args {
    input: PathBuf,
    index: PathBuf,
    rebuild: bool,
    sample: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        input: root().join("../shared/corpus/finflash/finflash.jsonl.gz"),
        index: root().join("target/issue13/finflash"),
        rebuild: false,
        sample: 50,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--index" => args.index = PathBuf::from(it.next().ok_or("--index needs a value")?),
            "--sample" => {
                args.sample = it
                    .next()
                    .ok_or("--sample needs a value")?
                    .parse()
                    .map_err(|e| format!("--sample: {e}"))?;
            }
            "--rebuild" => args.rebuild = true,
            flag if flag.starts_with("--") => {
                return Err(format!(
                    "unknown flag {flag:?}; usage: aliases [FILE] [--index DIR] [--rebuild] [--sample N]"
                ));
            }
            file => args.input = PathBuf::from(file),
        }
    }
    Ok(args)
}

/// One article's folded title and body, as the check needs it.
struct Row {
    id: String,
    text: String,
}

/// One sampled code and what its searches found.
struct Outcome {
    code: String,
    names: Vec<String>,
    pair_articles: u32,
    name_only: Vec<usize>,
    found_by_code: usize,
    code_only: Vec<usize>,
    found_by_name: usize,
    code_hits: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let dir = IndexDir::new(args.index.clone());
    let engine = open_or_build(
        &dir,
        &args.input,
        parsable_lines(&args.input)?,
        args.rebuild,
        "aliases example",
    )?;
    let stats = engine.stats()?;
    let learned = stats.aliases.map_or(0, |a| a.pairs);
    let counts = read_counts(engine.generation())?;
    let frequent = counts.values().filter(|&&n| n >= MIN_ARTICLES).count();
    println!(
        "name ↔ code pairs seen: {}; in at least {MIN_ARTICLES} articles: {frequent}; learned (xinwen stats, one or two names a code): {learned}",
        counts.len()
    );
    // The codes a query expands: a frequent pair's code the engine has names for.
    let mut pair_articles: BTreeMap<String, u32> = BTreeMap::new();
    for ((_, code), &n) in &counts {
        if n >= MIN_ARTICLES {
            let best = pair_articles.entry(code.clone()).or_default();
            *best = (*best).max(n);
        }
    }
    let codes: Vec<String> = pair_articles
        .keys()
        .filter(|c| !engine.words().forms_of(c).is_empty())
        .cloned()
        .collect();
    println!("learned codes: {}", codes.len());
    let mut sample = seeded_sample(&codes, args.sample, 13);
    sample.sort();
    let rows = rows(&dir)?;
    let started = Instant::now();
    let mut outcomes = Vec::with_capacity(sample.len());
    let mut misses: Vec<(String, String, String)> = Vec::new();
    for code in sample {
        let names: Vec<String> = engine
            .words()
            .forms_of(&code)
            .into_iter()
            .map(|(form, _)| form)
            .filter(|f| parse_code(f).is_none())
            .map(str::to_string)
            .collect();
        let has_name = |r: &Row| names.iter().any(|n| r.text.contains(n.as_str()));
        let name_only: Vec<usize> = (0..rows.len())
            .filter(|&i| has_name(&rows[i]) && !rows[i].text.contains(code.as_str()))
            .collect();
        let code_only: Vec<usize> = (0..rows.len())
            .filter(|&i| !has_name(&rows[i]) && rows[i].text.contains(code.as_str()))
            .collect();
        let (code_hits, by_code) = hit_ids(&engine, &code)?;
        let found_by_code = name_only.iter().filter(|&&i| by_code.contains(&rows[i].id)).count();
        for &i in name_only.iter().filter(|&&i| !by_code.contains(&rows[i].id)) {
            if misses.len() < MISSES_SHOWN {
                misses.push((code.clone(), rows[i].id.clone(), around(&rows[i].text, &names)));
            }
        }
        let mut by_name = HashSet::new();
        for name in &names {
            by_name.extend(hit_ids(&engine, name)?.1);
        }
        let found_by_name = code_only.iter().filter(|&&i| by_name.contains(&rows[i].id)).count();
        outcomes.push(Outcome {
            pair_articles: pair_articles.get(&code).copied().unwrap_or_default(),
            code,
            names,
            name_only,
            found_by_code,
            code_only,
            found_by_name,
            code_hits,
        });
    }
    let took = started.elapsed();
    print_table(&outcomes);
    println!("\nname-only articles the code query misses (code, article, text around the name):");
    for (code, id, text) in &misses {
        println!("  {code}  {id}  …{text}…");
    }
    println!(
        "\n{} codes, {:.1} s of searching ({} articles in the index)",
        outcomes.len(),
        took.as_secs_f64(),
        engine.num_docs()
    );
    Ok(())
}

fn print_table(outcomes: &[Outcome]) {
    println!(
        "\n| code | name(s) | pair seen in | code query hits | name-only | found by code | code-only | found by name |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for o in outcomes {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            o.code,
            o.names.join(" / "),
            o.pair_articles,
            o.code_hits,
            o.name_only.len(),
            o.found_by_code,
            o.code_only.len(),
            o.found_by_name
        );
    }
    let name_only: usize = outcomes.iter().map(|o| o.name_only.len()).sum();
    let found: usize = outcomes.iter().map(|o| o.found_by_code).sum();
    let code_only: usize = outcomes.iter().map(|o| o.code_only.len()).sum();
    let found_by_name: usize = outcomes.iter().map(|o| o.found_by_name).sum();
    let with_name_only: Vec<&Outcome> = outcomes.iter().filter(|o| !o.name_only.is_empty()).collect();
    let mean = with_name_only
        .iter()
        .map(|o| o.found_by_code as f64 / o.name_only.len() as f64)
        .sum::<f64>()
        / with_name_only.len().max(1) as f64;
    let complete = with_name_only
        .iter()
        .filter(|o| o.found_by_code == o.name_only.len())
        .count();
    println!(
        "\nname-only articles: {name_only}; found by the code query: {found} ({:.1} %); per code (the {} codes with any): mean {:.1} %, all found for {complete}",
        100.0 * found as f64 / name_only.max(1) as f64,
        with_name_only.len(),
        100.0 * mean
    );
    println!(
        "code-only articles: {code_only}; found by the name query: {found_by_name} ({:.1} %)",
        100.0 * found_by_name as f64 / code_only.max(1) as f64
    );
}

/// The total and the ids of every hit of `query` (up to [`MAX_DEPTH`]).
fn hit_ids(engine: &Engine, query: &str) -> Result<(usize, HashSet<String>), Box<dyn std::error::Error>> {
    let mut ids = HashSet::new();
    let mut offset = 0;
    loop {
        let response = engine.search(&SearchRequest {
            limit: MAX_LIMIT,
            offset,
            snippet_chars: 0,
            ..SearchRequest::new(query)
        })?;
        let n = response.hits.len();
        ids.extend(response.hits.into_iter().map(|h| h.id));
        offset += n;
        if n < MAX_LIMIT || offset + MAX_LIMIT > MAX_DEPTH {
            if response.total > offset {
                eprintln!("{query}: {} hits, only the first {offset} read", response.total);
            }
            return Ok((response.total, ids));
        }
    }
}

/// The text around the first of `names` in `text`.
fn around(text: &str, names: &[String]) -> String {
    let at = names.iter().filter_map(|n| text.find(n.as_str())).min().unwrap_or(0);
    let before: String = text[..at]
        .chars()
        .rev()
        .take(20)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text[at..].chars().take(30).collect();
    format!("{before}{after}").replace('\n', " ")
}

/// The index's learned counts: `{"pairs": [[name, code, articles], …]}`.
fn read_counts(generation: &Path) -> Result<BTreeMap<(String, String), u32>, Box<dyn std::error::Error>> {
    #[derive(serde::Deserialize)]
    struct CountsFile {
        pairs: Vec<(String, String, u32)>,
    }
    let path = generation.join(COUNTS_FILE);
    let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: CountsFile = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(file
        .pairs
        .into_iter()
        .map(|(name, code, n)| ((name, code), n))
        .collect())
}

/// Every live article's folded title and body.
fn rows(dir: &IndexDir) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let open = dir.open()?;
    let searcher = open.index.reader()?.searcher();
    let mut rows = Vec::new();
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(64)?;
        for doc in segment.doc_ids_alive() {
            let stored: TantivyDocument = store.get(doc)?;
            let article = open.fields.from_doc(&stored);
            let text = format!("{}\n{}", article.title, article.body);
            rows.push(Row {
                text: xinwen::fold::fold_text(&text).text.into_owned(),
                id: article.id,
            });
        }
    }
    Ok(rows)
}
