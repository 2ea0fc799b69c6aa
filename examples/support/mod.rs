//! What the corpus examples share: the benches' subset file, an index built once and
//! reused, and a seeded sample. Each example uses part of it.
#![allow(dead_code)]

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use xinwen::indexer::{self, IndexOptions, Silent};
use xinwen::post::jsonl::parse_line;
use xinwen::search::Engine;
use xinwen::store::IndexDir;

/// The project's directory.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The benches' subset file: the first `articles` lines of xwlb, then of finflash.
pub fn subset(articles: usize) -> Result<PathBuf, String> {
    let out = root().join(format!("target/bench-data/subset-{articles}.jsonl"));
    corpus_sample(&out, articles, &[usize::MAX, usize::MAX])?;
    Ok(out)
}

/// Writes `out` (unless it exists) with `total` corpus lines: up to `takes[0]` from the
/// start of xwlb, then up to `takes[1]` from the start of finflash.
pub fn corpus_sample(out: &Path, total: usize, takes: &[usize; 2]) -> Result<(), String> {
    if out.exists() {
        return Ok(());
    }
    let corpus = root().join("../shared/corpus");
    if !corpus.is_dir() {
        return Err(format!("{} absent", corpus.display()));
    }
    let io = |e: std::io::Error| format!("writing {}: {e}", out.display());
    std::fs::create_dir_all(out.parent().unwrap_or(Path::new("."))).map_err(io)?;
    // Written aside and renamed: an interrupted run must not leave a short sample behind.
    let tmp = out.with_extension("tmp");
    let mut w = BufWriter::new(File::create(&tmp).map_err(io)?);
    let mut n = 0;
    for (file, &take) in ["xwlb/xwlb.jsonl.gz", "finflash/finflash.jsonl.gz"].iter().zip(takes) {
        let gz = flate2::read::GzDecoder::new(File::open(corpus.join(file)).map_err(io)?);
        for line in BufReader::new(gz).lines().take(take) {
            if n == total {
                break;
            }
            writeln!(w, "{}", line.map_err(io)?).map_err(io)?;
            n += 1;
        }
    }
    w.flush().map_err(io)?;
    drop(w);
    std::fs::rename(&tmp, out).map_err(io)
}

/// The articles in a JSONL file (gzipped when its name ends in `.gz`).
pub fn parsable_lines(input: &Path) -> Result<u64, String> {
    let fail = |e: std::io::Error| format!("{}: {e}", input.display());
    let file = File::open(input).map_err(fail)?;
    let reader: Box<dyn BufRead> = if input.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::new(flate2::read::GzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut n = 0;
    for line in reader.lines() {
        n += u64::from(parse_line(&line.map_err(fail)?).is_ok());
    }
    Ok(n)
}

/// Opens the index, building it from `input` first unless it already holds `expected`
/// articles; `holder` names the job in the index's lock.
pub fn open_or_build(
    dir: &IndexDir,
    input: &Path,
    expected: u64,
    rebuild: bool,
    holder: &str,
) -> Result<Engine, String> {
    if !rebuild
        && let Ok(engine) = Engine::open(dir)
        && engine.num_docs() == expected
    {
        println!("reusing the index in {} ({expected} articles)", dir.root().display());
        return Ok(engine);
    }
    let options = IndexOptions {
        rebuild: true,
        holder: holder.into(),
        ..IndexOptions::default()
    };
    let report = indexer::run(dir, &[input.to_path_buf()], &options, &Silent).map_err(|e| e.to_string())?;
    let seconds = report.elapsed.as_secs_f64();
    println!(
        "indexed {} articles of {} in {seconds:.1} s ({:.0}/s), {} rejected",
        report.new,
        input.display(),
        report.new as f64 / seconds.max(1e-9),
        report.rejected
    );
    Engine::open(dir).map_err(|e| e.to_string())
}

/// Up to `n` of `items`, picked with a fixed LCG from `seed` (a partial Fisher–Yates
/// shuffle), so a rerun samples the same items.
pub fn seeded_sample<T: Clone>(items: &[T], n: usize, seed: u64) -> Vec<T> {
    let mut pool = items.to_vec();
    let mut state = seed;
    let take = n.min(pool.len());
    for i in 0..take {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = i + (state >> 33) as usize % (pool.len() - i);
        pool.swap(i, j);
    }
    pool.truncate(take);
    pool
}
