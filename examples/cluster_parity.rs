//! Parity of a Sphinx / Manticore cluster with the local index (issue 11, "Done when"): a
//! corpus sample indexed into both, `benches/queries.txt` searched on both, and the figures
//! the issue asks for — mean overlap@10, the share of queries whose totals are within 2 %,
//! the share of sampled headlines that find their own article in the top 3 on each (as in
//! `known_item`, a headline several articles share counts as found when one of them is
//! there; the strict count, own id only, is printed in brackets), and the latency of both
//! (p50 / p99, in process, snippets on).
//!
//! ```text
//! cargo run --release --example cluster_parity -- [--articles 10000] [--titles 300] [--backend manticore://HOST:PORT[,…]/NAME]
//! ```
//! Without `--backend` it starts two `searchd` nodes on free loopback ports from
//! `xinwen backend config` (the library's [`config::render`]) in a temporary directory, and
//! stops them by pid when it ends, on failure too. With `--backend` it writes to those
//! nodes' table set instead (a rebuild: their live articles are replaced by the sample).
//! The cluster is written and searched through [`ClusterBackend`], the code `xinwen index
//! --backend URL --rebuild` and `xinwen search --backend URL` run.
//! The sample is the first half of `--articles` from the 新闻联播 stories and the other half
//! from the finance flashes (`target/bench-data/parity-N.jsonl`, written on first use).
//! Exits 1 when a target is missed: overlap@10 ≥ 0.8, totals within 2 % for ≥ 90 % of
//! the queries, headlines → own article in the top 3 ≥ 0.95 (on the cluster).

use std::collections::HashSet;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use xinwen::backend::{IndexBackend, SearchBackend};
use xinwen::cluster::{ClusterBackend, ClusterSpec, EngineKind, config};
use xinwen::indexer::{self, IndexOptions, Silent};
use xinwen::post::Article;
use xinwen::post::jsonl::parse_line;
use xinwen::search::{Engine, ParsedRequest, SearchRequest};
use xinwen::store::IndexDir;

mod support;
use support::{corpus_sample, root};

/// Target: mean share of the local top 10 the cluster's top 10 holds.
const TARGET_OVERLAP: f64 = 0.8;
/// Target: share of queries whose totals differ by at most [`TOTAL_TOLERANCE`].
const TARGET_TOTALS: f64 = 0.9;
/// How far apart two totals may be, relative to the larger.
const TOTAL_TOLERANCE: f64 = 0.02;
/// Target: share of headlines that find their own article in the first [`TITLE_DEPTH`].
const TARGET_TITLES: f64 = 0.95;
/// Hits compared per query.
const DEPTH: usize = 10;
/// Where a headline's own article must rank.
const TITLE_DEPTH: usize = 3;
/// How long a started searchd may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a stopped searchd may take to exit before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

struct Args {
    articles: usize,
    titles: usize,
    backend: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        articles: 10_000,
        titles: 300,
        backend: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--articles" => args.articles = value("--articles")?.parse().map_err(|e| format!("--articles: {e}"))?,
            "--titles" => args.titles = value("--titles")?.parse().map_err(|e| format!("--titles: {e}"))?,
            "--backend" => args.backend = Some(value("--backend")?),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: cluster_parity [--articles N] [--titles N] [--backend URL]"
                ));
            }
        }
    }
    if args.articles < 2 || args.titles == 0 {
        return Err("--articles must be at least 2 and --titles at least 1".into());
    }
    Ok(args)
}

/// The sample file: the first half of `articles` lines of xwlb, the rest from finflash.
fn sample(articles: usize) -> Result<PathBuf, String> {
    let out = root().join(format!("target/bench-data/parity-{articles}.jsonl"));
    corpus_sample(&out, articles, &[articles / 2, articles - articles / 2])?;
    Ok(out)
}

/// One searchd this example started, stopped by pid when dropped (on failure too).
struct Searchd {
    child: Child,
}

impl Searchd {
    fn start(config: &Path, port: u16) -> Result<Searchd, String> {
        let child = Command::new("searchd")
            .arg("--config")
            .arg(config)
            .arg("--nodetach")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start searchd (apt-get install sphinxsearch): {e}"))?;
        let mut node = Searchd { child };
        let started = Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(node);
            }
            if let Ok(Some(status)) = node.child.try_wait() {
                return Err(format!("searchd --config {} exited: {status}", config.display()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("searchd on port {port} not ready after {START_TIMEOUT:?}"))
    }
}

impl Drop for Searchd {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let started = Instant::now();
        while started.elapsed() < STOP_TIMEOUT {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port p with p + 6 (its agent port) free too.
fn free_port() -> Result<u16, String> {
    for _ in 0..200 {
        let Ok(listener) = TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let Ok(port) = listener.local_addr().map(|a| a.port()) else {
            continue;
        };
        if port < 60_000 && TcpListener::bind(("127.0.0.1", port + 6)).is_ok() {
            return Ok(port);
        }
    }
    Err("no free loopback port pair found".into())
}

/// Two started nodes in `tmp`, and their spec.
fn start_nodes(tmp: &Path) -> Result<(ClusterSpec, Vec<Searchd>), String> {
    let ports = [free_port()?, free_port()?];
    let nodes = ports.map(|p| format!("127.0.0.1:{p}")).join(",");
    let spec = ClusterSpec::new(&nodes, "xinwen").map_err(|e| e.to_string())?;
    let mut running = Vec::new();
    for (i, port) in ports.into_iter().enumerate() {
        let data = tmp.join(format!("node{i}"));
        std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
        std::fs::write(data.join(config::STOPWORDS_FILE), "_\n").map_err(|e| e.to_string())?;
        let text = config::render(EngineKind::Sphinx2, &spec, i, &data).map_err(|e| e.to_string())?;
        let path = data.join("searchd.conf");
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        running.push(Searchd::start(&path, port)?);
    }
    Ok((spec, running))
}

/// What both backends answered for one query.
struct Compared {
    overlap: Option<f64>,
    totals_agree: bool,
}

/// Latencies in milliseconds, as `p50 / p99`.
fn percentiles(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        ms.get(((ms.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    format!("{:.2} / {:.2} ms", at(0.5), at(0.99))
}

fn timed<T>(f: impl FnOnce() -> T, into: &mut Vec<f64>) -> T {
    let started = Instant::now();
    let out = f();
    into.push(started.elapsed().as_secs_f64() * 1e3);
    out
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("cluster_parity: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, String> {
    let args = parse_args()?;
    let input = sample(args.articles)?;
    let text = std::fs::read_to_string(&input).map_err(|e| format!("{}: {e}", input.display()))?;
    let articles: Vec<(Option<String>, Article)> = text
        .lines()
        .filter_map(|line| {
            let raw: Value = serde_json::from_str(line).ok()?;
            let title = raw["title"]
                .as_str()
                .filter(|t| !t.trim().is_empty())
                .map(str::to_string);
            Some((title, parse_line(line).ok()?))
        })
        .collect();

    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = IndexDir::new(tmp.path().join("local"));
    let options = IndexOptions {
        rebuild: true,
        holder: "cluster_parity example".into(),
        ..IndexOptions::default()
    };
    let started = Instant::now();
    indexer::run(&dir, std::slice::from_ref(&input), &options, &Silent).map_err(|e| e.to_string())?;
    let local_secs = started.elapsed().as_secs_f64();
    let engine = Engine::open(&dir).map_err(|e| e.to_string())?;

    // Declared after `tmp`, so the nodes stop before their data directory goes.
    let (spec, _nodes) = match &args.backend {
        Some(url) => (ClusterSpec::from_url(url).map_err(|e| e.to_string())?, Vec::new()),
        None => start_nodes(tmp.path())?,
    };
    // What `xinwen index --backend URL --rebuild` and `xinwen search --backend URL` run.
    let cluster = ClusterBackend::new(spec);
    let started = Instant::now();
    cluster
        .run(std::slice::from_ref(&input), &options, &Silent)
        .map_err(|e| format!("writing the cluster: {e}"))?;
    let cluster_secs = started.elapsed().as_secs_f64();
    println!(
        "{} articles: local index built in {local_secs:.1} s, cluster written in {cluster_secs:.1} s",
        articles.len()
    );

    let queries = std::fs::read_to_string(root().join("benches/queries.txt")).map_err(|e| e.to_string())?;
    let queries: Vec<&str> = queries.lines().map(str::trim).filter(|q| !q.is_empty()).collect();
    let (mut local_ms, mut cluster_ms) = (Vec::new(), Vec::new());
    let mut compared = Vec::new();
    for q in &queries {
        let request = SearchRequest::new(*q);
        let local = timed(|| engine.search(&request), &mut local_ms).map_err(|e| format!("local {q:?}: {e}"))?;
        let parsed = ParsedRequest::new(request.clone()).map_err(|e| format!("{q:?}: {e}"))?;
        let answer = timed(|| cluster.search(&parsed), &mut cluster_ms).map_err(|e| format!("cluster {q:?}: {e}"))?;
        if answer.partial {
            return Err(format!("{q:?}: partial answer: {:?}", answer.warnings));
        }
        let (l, c) = (local.total as f64, answer.total as f64);
        let l_ids: HashSet<&str> = local.hits.iter().take(DEPTH).map(|h| h.id.as_str()).collect();
        let c_ids: HashSet<&str> = answer.hits.iter().take(DEPTH).map(|h| h.id.as_str()).collect();
        let overlap = (!l_ids.is_empty()).then(|| l_ids.intersection(&c_ids).count() as f64 / l_ids.len() as f64);
        if overlap.is_some_and(|o| o < 0.5) || (l - c).abs() > TOTAL_TOLERANCE * l.max(c) {
            println!("  {q:?}: overlap {overlap:?}, totals local {l} cluster {c}");
        }
        compared.push(Compared {
            overlap,
            totals_agree: (l - c).abs() <= TOTAL_TOLERANCE * l.max(c),
        });
    }
    let with_hits: Vec<f64> = compared.iter().filter_map(|c| c.overlap).collect();
    let overlap = with_hits.iter().sum::<f64>() / with_hits.len().max(1) as f64;
    let agree = compared.iter().filter(|c| c.totals_agree).count();
    let totals = agree as f64 / compared.len().max(1) as f64;

    let titled: Vec<(&str, &Article)> = articles.iter().filter_map(|(t, a)| Some((t.as_deref()?, a))).collect();
    let step = (titled.len() / args.titles).max(1);
    let (mut local_found, mut cluster_found, mut sampled) = ([0, 0], [0, 0], 0);
    for (title, article) in titled.into_iter().step_by(step).take(args.titles) {
        let request = SearchRequest {
            limit: TITLE_DEPTH,
            ..SearchRequest::new(title)
        };
        let local = engine.search(&request).map_err(|e| format!("local {title:?}: {e}"))?;
        let parsed = ParsedRequest::new(request.clone()).map_err(|e| format!("{title:?}: {e}"))?;
        let answer = cluster.search(&parsed).map_err(|e| format!("cluster {title:?}: {e}"))?;
        for (found, hits) in [(&mut local_found, &local.hits), (&mut cluster_found, &answer.hits)] {
            let own = hits.iter().any(|h| h.id == article.id);
            found[0] += usize::from(own);
            found[1] += usize::from(own || hits.iter().any(|h| h.title == article.title));
        }
        sampled += 1;
    }
    let titles = cluster_found[1] as f64 / sampled.max(1) as f64;

    println!(
        "overlap@{DEPTH} {overlap:.3} over {} queries with local hits (of {})",
        with_hits.len(),
        compared.len()
    );
    println!(
        "totals within {:.0} %: {agree} of {} ({:.1} %)",
        TOTAL_TOLERANCE * 100.0,
        compared.len(),
        totals * 100.0
    );
    println!(
        "headlines → own article (or one with the same headline) in the top {TITLE_DEPTH}: cluster {} ({}) of {sampled} ({titles:.3}), local {} ({})",
        cluster_found[1], cluster_found[0], local_found[1], local_found[0]
    );
    println!(
        "latency p50 / p99 over {} queries: local {}, cluster {}",
        queries.len(),
        percentiles(local_ms),
        percentiles(cluster_ms)
    );
    let met = overlap >= TARGET_OVERLAP && totals >= TARGET_TOTALS && titles >= TARGET_TITLES;
    if !met {
        eprintln!(
            "below a target: overlap@{DEPTH} ≥ {TARGET_OVERLAP}, totals ≥ {TARGET_TOTALS}, titles ≥ {TARGET_TITLES}"
        );
    }
    Ok(met)
}
