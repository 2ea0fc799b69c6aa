//! HTTP load: the real `xinwen serve` over the 100,000-article bench index, driven by
//! client threads that each keep one HTTP/1.1 keep-alive connection and cycle through
//! `benches/queries.txt` (`GET /api/search?q=…&per_page=10`), at 1 and 8 connections.
//! Beside it, the same queries in process (`Engine::search`, 10 hits, facets on, as the
//! server asks), so the HTTP overhead can be read off.
//!
//! `cargo bench --bench http_load` (seconds a level: `XINWEN_BENCH_SECS`, default 10, after
//! a 2 s warm-up). The index is built once into `target/bench-data/xinwen-100k/` from the
//! indexing bench's subset and reused; without `../shared/corpus` the fixtures stand in.
//! Prints requests/s, p50/p90/p99/max latency and errors a level, and a Markdown table for
//! `benches/README.md`.
//!
//! The load generator is a bare `TcpStream` client (no HTTP library, no JSON parsing in the
//! timed loop) so that on a small machine it takes as little CPU from the server as possible.
//! Run without `--bench` (`cargo test --benches`) it is a one-second smoke run on the fixtures.

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{SUBSET, corpus, percentile, root, subset};
use xinwen::indexer::{self, IndexOptions, Silent};
use xinwen::search::{Engine, SearchRequest};
use xinwen::store::IndexDir;

/// Hits a page, as the search box asks.
const PER_PAGE: usize = 10;
/// Timed passes over the queries in process (after one warm-up pass).
const IN_PROCESS_ROUNDS: usize = 3;
/// How long the server may take to answer `/healthz` after it starts.
const STARTUP: Duration = Duration::from_secs(120);

/// What one run does.
struct Settings {
    smoke: bool,
    warm_up: Duration,
    measure: Duration,
    concurrency: Vec<usize>,
}

impl Settings {
    fn full() -> Settings {
        let secs = std::env::var("XINWEN_BENCH_SECS")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|s| *s > 0.0)
            .unwrap_or(10.0);
        Settings {
            smoke: false,
            warm_up: Duration::from_secs(2),
            measure: Duration::from_secs_f64(secs),
            concurrency: vec![1, 8],
        }
    }

    fn smoke() -> Settings {
        Settings {
            smoke: true,
            warm_up: Duration::from_millis(200),
            measure: Duration::from_secs(1),
            concurrency: vec![1],
        }
    }
}

// ---------------------------------------------------------------- the index

/// The index to serve: the 100k bench index (built once), or the fixtures in `tmp`.
fn index_dir(settings: &Settings, tmp: &Path) -> (PathBuf, String) {
    if settings.smoke || corpus().is_none() {
        if !settings.smoke {
            eprintln!("note: ../shared/corpus absent; load-testing the fixtures instead (figures not comparable)");
        }
        let dir = tmp.join("fixtures-index");
        let inputs = [root().join("fixtures/posts"), root().join("fixtures/jsonl")];
        indexer::run(&IndexDir::new(&dir), &inputs, &IndexOptions::default(), &Silent).expect("index the fixtures");
        return (dir, "fixtures".into());
    }
    let dir = root().join("target/bench-data/xinwen-100k");
    let index = IndexDir::new(&dir);
    if let Err(e) = index.open()
        && dir.exists()
    {
        // Built by an older xinwen (another schema or analyzer): this bench owns it, rebuild.
        eprintln!("{} cannot be used ({e}); rebuilding it", dir.display());
        std::fs::remove_dir_all(&dir).expect("remove the stale bench index");
    }
    if index
        .live_generation()
        .expect("read target/bench-data/xinwen-100k")
        .is_none()
    {
        let input = subset(SUBSET);
        eprintln!("building {} from {} (once)…", dir.display(), input.display());
        let started = Instant::now();
        let report = indexer::run(&index, &[input], &IndexOptions::default(), &Silent).expect("build the bench index");
        eprintln!(
            "built {} articles in {:.1} s ({} rejected)",
            report.total,
            started.elapsed().as_secs_f64(),
            report.rejected
        );
    }
    (dir, format!("{SUBSET} articles"))
}

/// The queries of `benches/queries.txt`: one a line, blank lines and `#` comments skipped.
fn queries() -> Vec<String> {
    let path = root().join("benches/queries.txt");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------------- in process

struct InProcess {
    latencies_ms: Vec<f64>,
    /// The timed latencies of each query, by its line.
    per_query_ms: Vec<Vec<f64>>,
    zero: Vec<String>,
    errors: Vec<String>,
    articles: u64,
}

/// Runs every query once to warm up (and count the ones that find nothing), then
/// [`IN_PROCESS_ROUNDS`] timed times, with the request the server makes.
fn in_process(dir: &Path, queries: &[String]) -> InProcess {
    let engine = Engine::open(&IndexDir::new(dir)).expect("open the index");
    let request = |q: &str| SearchRequest {
        limit: PER_PAGE,
        facets: true,
        ..SearchRequest::new(q)
    };
    let mut zero = Vec::new();
    let mut errors = Vec::new();
    for q in queries {
        match engine.search(&request(q)) {
            Ok(response) if response.total == 0 => zero.push(q.clone()),
            Ok(_) => {}
            Err(e) => errors.push(format!("{q}: {e}")),
        }
    }
    let mut latencies_ms = Vec::with_capacity(queries.len() * IN_PROCESS_ROUNDS);
    let mut per_query_ms = vec![Vec::with_capacity(IN_PROCESS_ROUNDS); queries.len()];
    for _ in 0..IN_PROCESS_ROUNDS {
        for (q, times) in queries.iter().zip(per_query_ms.iter_mut()) {
            let request = request(q);
            let started = Instant::now();
            let result = engine.search(&request);
            let ms = started.elapsed().as_secs_f64() * 1e3;
            std::hint::black_box(result.ok());
            latencies_ms.push(ms);
            times.push(ms);
        }
    }
    InProcess {
        latencies_ms,
        per_query_ms,
        zero,
        errors,
        articles: engine.num_docs(),
    }
}

// ---------------------------------------------------------------- the server

/// `xinwen serve`, killed when dropped so a failed run leaves nothing behind.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(exe: &Path, dir: &Path, log: PathBuf) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("find a free port")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = Command::new(exe)
            .arg("serve")
            .arg("--index")
            .arg(dir)
            .arg("--addr")
            .arg(addr.to_string())
            .env("XINWEN_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("create the server log"))
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", exe.display()));
        let mut server = Server { child, addr, log };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("xinwen serve exited ({status}):\n{}", server.log());
            }
            let healthy = Client::connect(addr).and_then(|mut c| c.get("/healthz"));
            if matches!(healthy, Ok(200)) {
                eprintln!("server ready in {:.1} s", started.elapsed().as_secs_f64());
                return server;
            }
            assert!(
                started.elapsed() < STARTUP,
                "no answer on {addr} after {STARTUP:?}:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then the exit status (at most 10 s later).
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return format!("{status} after {:.0} ms", started.elapsed().as_secs_f64() * 1e3);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        "still running 10 s after SIGTERM (killed)".into()
    }
}

/// The executable to serve with: cargo's own build of the binary (target/release/xinwen under
/// `cargo bench`), else target/release/xinwen.
fn server_exe() -> PathBuf {
    let built = PathBuf::from(env!("CARGO_BIN_EXE_xinwen"));
    if built.is_file() {
        return built;
    }
    let release = root().join("target/release/xinwen");
    assert!(release.is_file(), "no xinwen binary: run `cargo build --release` first");
    release
}

// ---------------------------------------------------------------- the client

/// A bare HTTP/1.1 client on one keep-alive connection: GET, status, body skipped.
struct Client {
    addr: SocketAddr,
    stream: TcpStream,
    buf: Vec<u8>,
    request: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> io::Result<Client> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.set_write_timeout(Some(Duration::from_secs(30)))?;
        Ok(Client {
            addr,
            stream,
            buf: Vec::with_capacity(64 * 1024),
            request: Vec::with_capacity(1024),
        })
    }

    /// Sends `GET path` and reads the whole answer; returns its status. Reconnects first
    /// when the server closed the connection after the previous answer.
    fn get(&mut self, path: &str) -> io::Result<u16> {
        self.request.clear();
        write!(
            self.request,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: xinwen-http-load\r\n\r\n",
            self.addr
        )?;
        self.stream.write_all(&self.request)?;
        self.buf.clear();
        let mut chunk = [0u8; 16 * 1024];
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed before the answer"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = std::str::from_utf8(&self.buf[..head_end])
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a head that is not UTF-8"))?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no status line"))?;
        let mut length = None;
        let mut close = false;
        for line in head.split("\r\n").skip(1) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.trim().eq_ignore_ascii_case("close");
            }
        }
        let length =
            length.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "an answer without content-length"))?;
        let mut have = self.buf.len() - head_end;
        while have < length {
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "answer cut off"));
            }
            have += n;
        }
        if close {
            *self = Client::connect(self.addr)?;
        }
        Ok(status)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------- load

struct Level {
    concurrency: usize,
    requests: usize,
    seconds: f64,
    latencies_ms: Vec<f64>,
    /// `(query line, latency)` of each measured request.
    samples: Vec<(usize, f64)>,
    errors: usize,
    first_errors: Vec<String>,
}

/// `concurrency` threads, one connection each, cycling through `paths` for warm-up +
/// measure; only requests started inside the measured window are recorded.
fn load(addr: SocketAddr, paths: &Arc<Vec<String>>, concurrency: usize, settings: &Settings) -> Level {
    let barrier = Arc::new(Barrier::new(concurrency + 1));
    let threads: Vec<_> = (0..concurrency)
        .map(|t| {
            let (paths, barrier) = (Arc::clone(paths), Arc::clone(&barrier));
            let (warm_up, measure) = (settings.warm_up, settings.measure);
            std::thread::spawn(move || {
                let mut client = Client::connect(addr);
                let mut latencies = Vec::new();
                let mut errors = Vec::new();
                let mut i = t * paths.len() / concurrency;
                barrier.wait();
                let start = Instant::now();
                let (measure_from, measure_to) = (start + warm_up, start + warm_up + measure);
                loop {
                    let now = Instant::now();
                    if now >= measure_to {
                        break;
                    }
                    let line = i % paths.len();
                    let path = &paths[line];
                    i += 1;
                    let result = match client.as_mut() {
                        Ok(c) => c.get(path),
                        Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
                    };
                    let took = now.elapsed();
                    let counted = now >= measure_from;
                    match result {
                        Ok(200) if counted => latencies.push((line, took.as_secs_f64() * 1e3)),
                        Ok(200) => {}
                        Ok(status) => errors.push((counted, format!("{status} for {path}"))),
                        Err(e) => {
                            errors.push((counted, format!("{e} for {path}")));
                            client = Client::connect(addr);
                            if client.is_err() {
                                std::thread::sleep(Duration::from_millis(100));
                            }
                        }
                    }
                }
                (start, latencies, errors, Instant::now())
            })
        })
        .collect();
    barrier.wait();
    let mut samples = Vec::new();
    let mut errors = 0;
    let mut first_errors = Vec::new();
    let mut window: Option<(Instant, Instant)> = None;
    for thread in threads {
        let (start, latencies, thread_errors, end) = thread.join().expect("a client thread");
        samples.extend(latencies);
        // Errors in the warm-up count too: no request may fail.
        errors += thread_errors.len();
        first_errors.extend(thread_errors.into_iter().take(3).map(|(_, e)| e));
        let from = start + settings.warm_up;
        window = Some(match window {
            Some((f, e)) => (f.min(from), e.max(end)),
            None => (from, end),
        });
    }
    let seconds = window.map_or(0.0, |(from, end)| (end - from).as_secs_f64());
    Level {
        concurrency,
        requests: samples.len(),
        seconds,
        latencies_ms: samples.iter().map(|(_, ms)| *ms).collect(),
        samples,
        errors,
        first_errors,
    }
}

/// Latencies of `GET /healthz` on one connection: the HTTP round trip with no search.
fn round_trips(addr: SocketAddr, n: usize) -> Vec<f64> {
    let mut client = Client::connect(addr).expect("connect");
    (0..n)
        .map(|_| {
            let started = Instant::now();
            let status = client.get("/healthz").expect("GET /healthz");
            assert_eq!(status, 200, "GET /healthz");
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect()
}

/// The median over queries of (HTTP latency − the query's median in process).
fn paired_overhead(level: &Level, local: &InProcess) -> f64 {
    let differences: Vec<f64> = level
        .samples
        .iter()
        .map(|(line, ms)| ms - percentile(&local.per_query_ms[*line], 50.0))
        .collect();
    percentile(&differences, 50.0)
}

// ---------------------------------------------------------------- report

fn stats(values: &[f64]) -> (f64, f64, f64, f64) {
    (
        percentile(values, 50.0),
        percentile(values, 90.0),
        percentile(values, 99.0),
        values.iter().copied().fold(0.0, f64::max),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let settings = if args.iter().any(|a| a == "--bench") {
        Settings::full()
    } else {
        Settings::smoke()
    };
    let tmp = tempfile::tempdir().expect("create a temporary directory");
    let (dir, what) = index_dir(&settings, tmp.path());
    let mut queries = queries();
    if settings.smoke {
        queries.truncate(20);
    }
    assert!(!queries.is_empty(), "no queries");

    eprintln!(
        "in process: {} queries × {IN_PROCESS_ROUNDS} rounds on {}…",
        queries.len(),
        dir.display()
    );
    let local = in_process(&dir, &queries);
    let paths: Arc<Vec<String>> = Arc::new(
        queries
            .iter()
            .map(|q| {
                let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
                format!("/api/search?q={q}&per_page={PER_PAGE}")
            })
            .collect(),
    );

    let exe = server_exe();
    eprintln!("serving with {}", exe.display());
    let server = Server::start(&exe, &dir, tmp.path().join("server.log"));
    let mut levels = Vec::new();
    for &concurrency in &settings.concurrency {
        eprintln!(
            "{concurrency} connection(s): {:.0} s warm-up + {:.0} s…",
            settings.warm_up.as_secs_f64(),
            settings.measure.as_secs_f64()
        );
        levels.push(load(server.addr, &paths, concurrency, &settings));
    }
    // Queries while a full rebuild of the same index runs beside the server: the rebuild
    // switches generations at its end, and no query may fail meanwhile.
    let during_rebuild = (!settings.smoke && corpus().is_some()).then(|| {
        let input = subset(SUBSET);
        eprintln!("1 connection while `xinwen index --rebuild` runs…");
        let mut rebuild = std::process::Command::new(&exe)
            .args(["index", "--rebuild", "--index"])
            .arg(&dir)
            .arg(&input)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the rebuild");
        let started = Instant::now();
        let level = load(server.addr, &paths, 1, &settings);
        let status = rebuild.wait().expect("wait for the rebuild");
        assert!(status.success(), "the rebuild failed");
        (level, started.elapsed().as_secs_f64())
    });
    let healthz = round_trips(server.addr, if settings.smoke { 200 } else { 5_000 });
    let log = server.log();
    let exit = server.stop();

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "xinwen HTTP load: {what} ({} in the index), {} queries from benches/queries.txt, per_page={PER_PAGE}, \
         facets on; {cores} cores shared by server and load generator; in process, requests/s is 1 / mean latency",
        local.articles,
        queries.len()
    );
    println!(
        "queries finding nothing: {} of {}{}",
        local.zero.len(),
        queries.len(),
        if local.zero.is_empty() {
            String::new()
        } else {
            format!(" ({})", local.zero.join(", "))
        }
    );
    let mut slowest: Vec<(f64, &str)> = local
        .per_query_ms
        .iter()
        .zip(&queries)
        .map(|(times, q)| (percentile(times, 50.0), q.as_str()))
        .collect();
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!(
        "slowest in process (median ms): {}",
        slowest
            .iter()
            .take(5)
            .map(|(ms, q)| format!("{q} {ms:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !local.errors.is_empty() {
        println!("queries refused in process: {}", local.errors.join("; "));
    }
    println!();
    println!("| client | requests | requests/s | p50 ms | p90 ms | p99 ms | max ms | errors |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for level in &levels {
        let (p50, p90, p99, max) = stats(&level.latencies_ms);
        println!(
            "| HTTP, {} connection{} | {} | {:.0} | {p50:.2} | {p90:.2} | {p99:.2} | {max:.1} | {} |",
            level.concurrency,
            if level.concurrency == 1 { "" } else { "s" },
            level.requests,
            level.requests as f64 / level.seconds,
            level.errors
        );
    }
    if let Some((level, secs)) = &during_rebuild {
        let (p50, p90, p99, max) = stats(&level.latencies_ms);
        println!(
            "| HTTP, 1 connection, during a full rebuild ({secs:.0} s) | {} | {:.0} | {p50:.2} | {p90:.2} | {p99:.2} | {max:.1} | {} |",
            level.requests,
            level.requests as f64 / level.seconds,
            level.errors
        );
    }
    let (p50, p90, p99, max) = stats(&local.latencies_ms);
    println!(
        "| in process (`Engine::search`) | {} | {:.0} | {p50:.2} | {p90:.2} | {p99:.2} | {max:.1} | {} |",
        local.latencies_ms.len(),
        local.latencies_ms.len() as f64 / (local.latencies_ms.iter().sum::<f64>() / 1e3),
        local.errors.len()
    );
    let (h50, h90, h99, hmax) = stats(&healthz);
    println!(
        "| HTTP round trip (`GET /healthz`, 1 connection) | {} | {:.0} | {h50:.3} | {h90:.3} | {h99:.3} | {hmax:.1} | 0 |",
        healthz.len(),
        healthz.len() as f64 / (healthz.iter().sum::<f64>() / 1e3)
    );
    if let Some(one) = levels.iter().find(|l| l.concurrency == 1) {
        let http_p50 = percentile(&one.latencies_ms, 50.0);
        println!();
        println!(
            "HTTP overhead at 1 connection: p50 HTTP − p50 in process = {:.2} ms ({http_p50:.2} − {p50:.2}); \
             median of per-query differences = {:.2} ms; bare round trip p50 = {h50:.3} ms",
            http_p50 - p50,
            paired_overhead(one, &local)
        );
    }
    println!();
    if settings.smoke {
        println!("smoke run (no --bench): fixtures, 1 s, 1 connection; measure with `cargo bench --bench http_load`");
    }
    println!(
        "command: {}cargo bench --bench http_load   (server: {}; stopped by SIGTERM: {exit})",
        std::env::var("XINWEN_BENCH_SECS")
            .map(|s| format!("XINWEN_BENCH_SECS={s} "))
            .unwrap_or_default(),
        exe.display()
    );
    let errors: usize =
        levels.iter().map(|l| l.errors).sum::<usize>() + during_rebuild.as_ref().map_or(0, |(l, _)| l.errors);
    if errors > 0 {
        for level in &levels {
            for e in &level.first_errors {
                eprintln!("error at {} connection(s): {e}", level.concurrency);
            }
        }
        eprintln!("server log:\n{log}");
        panic!("{errors} requests failed");
    }
    if settings.smoke {
        assert!(levels.iter().all(|l| l.requests > 0), "the smoke run answered nothing");
    }
}
