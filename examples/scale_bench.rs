//! The 1,000,000-article scale bench (issue 10): synthesises articles from `../shared/corpus`,
//! builds an index of them with each given `xinwen` binary and searches it over HTTP.
//!
//! ```sh
//! cargo build --release --bin xinwen
//! cargo run --release --example scale_bench -- --bin now=target/release/xinwen \
//!     [--bin before=PATH] [--articles 1000000] [--rounds 3] [--generate-only] [--input FILE]
//! ```
//! `--input FILE` benches an existing JSONL file instead (e.g. the 100k subset,
//! `target/bench-data/subset-100000.jsonl`), so the same figures compare builds at 100k.
//!
//! **The generator** writes `target/bench-data/synth-N.jsonl` once (never committed). Real
//! sentences recombined, with a fixed seed, so every run gets the same file: article `i` takes
//! its title, tags, categories and source from one corpus article, and the shape of its body
//! (paragraphs, sentences a paragraph) from another, each sentence drawn from all sentences
//! of the same subset (新闻联播 or flashes, in the corpus's proportion). Ids are
//! `synth-0000000` …; dates are spread evenly from 2012-07-02 to 2026-08-22 (China time).
//!
//! **The bench**, for each binary in turn: `BIN index --index DIR --json FILE` under
//! `/usr/bin/time` (wall time, CPU %, peak RSS), the index size, then `BIN serve` on
//! 127.0.0.1 and every query of `benches/queries.txt` as `GET /api/search?q=…` (10 hits,
//! snippets and facets, what the search page asks), once to warm up and `--rounds` times
//! measured: p50/p99 of the server's `took_ms` and of the client's round trip, and the five
//! slowest queries (their median `took_ms`). Index directories are
//! `target/bench-data/scale-NAME-INPUT` (replaced on each run).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

/// The generator's seed: the same corpus gives the same file.
const SEED: u64 = 0x1000_0010;
/// Dates run from 2012-07-02 00:00 to 2026-08-22 00:00, China time (the corpus's range).
const FIRST_DATE: i64 = 1_341_158_400;
const LAST_DATE: i64 = 1_787_328_000;

/// splitmix64: small, fast and the same everywhere (no crate needed for a bench input).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One subset of the corpus: its articles' heads and body shapes, and all its sentences.
#[derive(Default)]
struct Pool {
    /// title, tags, categories, source of each article.
    heads: Vec<Value>,
    /// Sentences a paragraph, for each article.
    shapes: Vec<Vec<u16>>,
    /// Every sentence, back to back; `spans` cut it.
    text: String,
    spans: Vec<(u32, u32)>,
}

impl Pool {
    fn add(&mut self, article: &Value) {
        let field = |k: &str| article.get(k).cloned().unwrap_or(Value::Null);
        self.heads.push(json!({
            "title": field("title"), "tags": field("tags"),
            "categories": field("categories"), "source": field("source"),
        }));
        let body = article.get("body").and_then(Value::as_str).unwrap_or_default();
        let mut shape = Vec::new();
        for paragraph in body.split('\n').filter(|p| !p.trim().is_empty()) {
            let mut n = 0u16;
            for sentence in sentences(paragraph) {
                let start = self.text.len() as u32;
                self.text.push_str(sentence);
                self.spans.push((start, self.text.len() as u32));
                n = n.saturating_add(1);
            }
            shape.push(n);
        }
        self.shapes.push(shape);
    }

    fn sentence(&self, rng: &mut Rng) -> &str {
        let (a, b) = self.spans[rng.below(self.spans.len())];
        &self.text[a as usize..b as usize]
    }
}

/// A paragraph cut after each 。！？ (the mark kept with its sentence).
fn sentences(paragraph: &str) -> impl Iterator<Item = &str> {
    paragraph
        .split_inclusive(['。', '！', '？'])
        .filter(|s| !s.trim().is_empty())
}

fn read_pool(file: &Path) -> Result<Pool> {
    let mut pool = Pool::default();
    let gz = flate2::read::GzDecoder::new(File::open(file).with_context(|| format!("open {}", file.display()))?);
    for line in BufReader::new(gz).lines() {
        let article: Value = serde_json::from_str(&line?)?;
        pool.add(&article);
    }
    Ok(pool)
}

/// Writes `articles` synthetic articles to `out` (see the module doc).
fn generate(corpus: &Path, articles: usize, out: &Path) -> Result<()> {
    let started = Instant::now();
    let pools = [
        read_pool(&corpus.join("xwlb/xwlb.jsonl.gz"))?,
        read_pool(&corpus.join("finflash/finflash.jsonl.gz"))?,
    ];
    let total_heads = pools[0].heads.len() + pools[1].heads.len();
    let mut rng = Rng(SEED);
    let tmp = out.with_extension("tmp");
    let mut w = BufWriter::new(File::create(&tmp)?);
    let china = time::UtcOffset::from_hms(8, 0, 0)?;
    let mut body = String::new();
    for i in 0..articles {
        let pool = &pools[usize::from(rng.below(total_heads) >= pools[0].heads.len())];
        let mut head = pool.heads[rng.below(pool.heads.len())].clone();
        body.clear();
        for &n in &pool.shapes[rng.below(pool.shapes.len())] {
            if !body.is_empty() {
                body.push('\n');
            }
            for _ in 0..n {
                body.push_str(pool.sentence(&mut rng));
            }
        }
        let at = FIRST_DATE + ((LAST_DATE - FIRST_DATE) as u128 * i as u128 / articles as u128) as i64;
        let date = time::OffsetDateTime::from_unix_timestamp(at)?
            .to_offset(china)
            .format(&time::format_description::well_known::Rfc3339)?;
        head["id"] = json!(format!("synth-{i:07}"));
        head["date"] = json!(date);
        head["body"] = json!(body);
        serde_json::to_writer(&mut w, &head)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    drop(w);
    std::fs::rename(&tmp, out)?;
    eprintln!(
        "generated {} ({articles} articles, {:.0} MB) in {:.0} s",
        out.display(),
        std::fs::metadata(out)?.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        dir_size(&p)
                    } else {
                        e.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// What `/usr/bin/time` says of one build.
struct Build {
    secs: f64,
    cpu_percent: f64,
    peak_mib: f64,
    bytes: u64,
}

fn build(bin: &Path, input: &Path, dir: &Path) -> Result<Build> {
    if dir.exists() {
        // Only ever a directory this bench made: its name says so.
        std::fs::remove_dir_all(dir)?;
    }
    let times = dir.with_extension("time");
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%e %P %M", "-o"])
        .arg(&times)
        .arg(bin)
        .args(["index", "--json", "--index"])
        .arg(dir)
        .arg(input)
        .stdout(Stdio::null())
        .status()
        .context("run /usr/bin/time")?;
    if !status.success() {
        bail!("{} index failed: {status}", bin.display());
    }
    let text = std::fs::read_to_string(&times)?;
    let fields: Vec<&str> = text.lines().last().unwrap_or_default().split_whitespace().collect();
    let num = |i: usize| {
        fields
            .get(i)
            .map(|f| f.trim_end_matches('%'))
            .and_then(|f| f.parse::<f64>().ok())
    };
    Ok(Build {
        secs: num(0).context("time: wall")?,
        cpu_percent: num(1).context("time: cpu")?,
        peak_mib: num(2).context("time: rss")? / 1024.0,
        bytes: dir_size(dir),
    })
}

/// A running `xinwen serve`, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(bin: &Path, dir: &Path) -> Result<(Server, String)> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(bin)
        .args(["serve", "--index"])
        .arg(dir)
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(120);
    while ureq::get(format!("{base}/healthz")).call().is_err() {
        if Instant::now() > deadline {
            bail!("{} serve did not answer /healthz", bin.display());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok((server, base))
}

/// Per query: the server's `took_ms` and the client's ms of each measured round.
fn search_all(base: &str, queries: &[String], rounds: usize) -> Result<Vec<(Vec<f64>, Vec<f64>)>> {
    let mut out = vec![(Vec::new(), Vec::new()); queries.len()];
    for round in 0..=rounds {
        for (q, times) in queries.iter().zip(out.iter_mut()) {
            let url = format!("{base}/api/search?q={}", utf8_percent_encode(q, NON_ALPHANUMERIC));
            let started = Instant::now();
            let v: Value = ureq::get(&url).call()?.body_mut().read_json()?;
            let client = started.elapsed().as_secs_f64() * 1e3;
            if round > 0 {
                times.0.push(v["took_ms"].as_f64().context("took_ms")?);
                times.1.push(client);
            }
        }
    }
    Ok(out)
}

fn percentile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v.get(rank.min(v.len()).saturating_sub(1)).copied().unwrap_or(f64::NAN)
}

struct Args {
    articles: usize,
    input: Option<PathBuf>,
    rounds: usize,
    bins: Vec<(String, PathBuf)>,
    generate_only: bool,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        articles: 1_000_000,
        input: None,
        rounds: 3,
        bins: Vec::new(),
        generate_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--articles" => args.articles = it.next().context("--articles N")?.parse()?,
            "--rounds" => args.rounds = it.next().context("--rounds N")?.parse()?,
            "--generate-only" => args.generate_only = true,
            "--input" => args.input = Some(PathBuf::from(it.next().context("--input FILE")?)),
            "--bin" => {
                let v = it.next().context("--bin NAME=PATH")?;
                let (name, path) = v.split_once('=').context("--bin NAME=PATH")?;
                args.bins.push((name.to_string(), PathBuf::from(path)));
            }
            other => bail!("unknown argument {other}"),
        }
    }
    if args.bins.is_empty() {
        args.bins.push(("now".into(), PathBuf::from("target/release/xinwen")));
    }
    Ok(args)
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("target/bench-data");
    std::fs::create_dir_all(&data)?;
    let input = match &args.input {
        Some(file) => file.clone(),
        None => {
            let file = data.join(format!("synth-{}.jsonl", args.articles));
            if !file.exists() {
                let corpus = root.join("../shared/corpus");
                if !corpus.is_dir() {
                    bail!("{} is needed to synthesise the articles", corpus.display());
                }
                generate(&corpus, args.articles, &file)?;
            }
            file
        }
    };
    let label = input
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("input")
        .to_string();
    if args.generate_only {
        return Ok(());
    }
    let queries: Vec<String> = std::fs::read_to_string(root.join("benches/queries.txt"))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    println!(
        "| binary | build s | CPU | peak RSS MiB | index MB | took_ms p50 | p99 | client ms p50 | p99 | slowest (median took_ms) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (name, bin) in &args.bins {
        let dir = data.join(format!("scale-{name}-{label}"));
        let b = build(bin, &input, &dir)?;
        eprintln!(
            "{name}: built in {:.1} s, {:.0} % CPU, {:.1} MB",
            b.secs,
            b.cpu_percent,
            b.bytes as f64 / 1e6
        );
        let (server, base) = serve(bin, &dir)?;
        let times = search_all(&base, &queries, args.rounds)?;
        drop(server);
        let took: Vec<f64> = times.iter().flat_map(|t| t.0.iter().copied()).collect();
        let client: Vec<f64> = times.iter().flat_map(|t| t.1.iter().copied()).collect();
        let mut slowest: Vec<(f64, &str)> = times
            .iter()
            .zip(&queries)
            .map(|(t, q)| (percentile(&t.0, 50.0), q.as_str()))
            .collect();
        slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
        let slowest: Vec<String> = slowest.iter().take(5).map(|(ms, q)| format!("{q} {ms:.2}")).collect();
        println!(
            "| {name} | {:.1} | {:.0} % | {:.0} | {:.1} | {:.3} | {:.3} | {:.3} | {:.3} | {} |",
            b.secs,
            b.cpu_percent,
            b.peak_mib,
            b.bytes as f64 / 1e6,
            percentile(&took, 50.0),
            percentile(&took, 99.0),
            percentile(&client, 50.0),
            percentile(&client, 99.0),
            slowest.join(", ")
        );
    }
    Ok(())
}
