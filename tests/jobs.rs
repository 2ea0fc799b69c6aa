//! Indexing jobs as a newsroom runs them: incremental upserts, unchanged skips, prune,
//! delete, rebuild, one writer at a time, SIGKILL at every moment of a job, bad input in
//! the middle of a job, HTTP ingestion, and a server answering queries throughout.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use xinwen::IndexError;
use xinwen::indexer::{self, IndexOptions, IndexReport, Silent};
use xinwen::search::{Engine, SearchRequest};
use xinwen::server::{ServerOptions, Shared};
use xinwen::store::IndexDir;

fn fixtures(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(sub)
}

/// Articles `from..to` of a made-up series; article `i` has the unique token `kx{i:05}`, and
/// `version` changes its body (so a re-run with another version updates it).
fn series(from: usize, to: usize, version: usize) -> Vec<serde_json::Value> {
    (from..to)
        .map(|i| {
            let paragraph = format!("第{i}号稿件报道本市交通建设进展，编号kx{i:05}，版本{version}。");
            json!({
                "id": format!("s-{i}"),
                "title": format!("合成稿件第{i}号 城市交通建设"),
                "date": format!("2024-{:02}-{:02}T08:00:00+08:00", 1 + i % 12, 1 + i % 28),
                "tags": ["交通"],
                "categories": ["shehui"],
                "body": paragraph.repeat(12),
            })
        })
        .collect()
}

fn write_jsonl(path: &Path, articles: &[serde_json::Value]) {
    let mut text = String::new();
    for a in articles {
        text.push_str(&a.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).expect("write jsonl");
}

fn run(dir: &IndexDir, paths: &[PathBuf], options: IndexOptions) -> IndexReport {
    indexer::run(dir, paths, &options, &Silent).expect("index job")
}

fn prune() -> IndexOptions {
    IndexOptions {
        prune: true,
        ..IndexOptions::default()
    }
}

fn rebuild() -> IndexOptions {
    IndexOptions {
        rebuild: true,
        ..IndexOptions::default()
    }
}

fn ids(engine: &Engine, query: &str) -> Vec<String> {
    let mut request = SearchRequest::new(query);
    request.limit = 100;
    request.snippet_chars = 0;
    match engine.search(&request) {
        Ok(response) if !response.relaxed => response.hits.into_iter().map(|h| h.id).collect(),
        _ => Vec::new(),
    }
}

fn generations(root: &Path) -> usize {
    std::fs::read_dir(root)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with("gen-"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn incremental_jobs_add_update_skip_prune_and_delete_by_id() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = IndexDir::new(tmp.path().join("index"));
    let input = tmp.path().join("feed.jsonl");

    write_jsonl(&input, &series(0, 5, 1));
    let first = run(&dir, std::slice::from_ref(&input), IndexOptions::default());
    assert_eq!((first.new, first.updated, first.unchanged, first.total), (5, 0, 0, 5));

    let again = run(&dir, std::slice::from_ref(&input), IndexOptions::default());
    assert_eq!(
        (again.new, again.updated, again.unchanged, again.total),
        (0, 0, 5, 5),
        "nothing changed"
    );

    // Article 2 is edited, article 5 is new.
    let mut edited = series(0, 6, 1);
    edited[2] = series(2, 3, 2).remove(0);
    write_jsonl(&input, &edited);
    let update = run(&dir, std::slice::from_ref(&input), IndexOptions::default());
    assert_eq!(
        (update.new, update.updated, update.unchanged, update.total),
        (1, 1, 4, 6)
    );
    let engine = Engine::open(&dir).expect("open");
    assert_eq!(ids(&engine, "kx00002 版本2"), ["s-2"], "the edit is searchable");
    assert!(ids(&engine, "kx00002 版本1").is_empty(), "the old text is gone");
    assert_eq!(ids(&engine, "kx00005"), ["s-5"]);

    // The source drops articles 0 and 1: a mirror run deletes them.
    write_jsonl(&input, &edited[2..]);
    let mirrored = run(&dir, std::slice::from_ref(&input), prune());
    assert_eq!((mirrored.deleted, mirrored.unchanged, mirrored.total), (2, 4, 4));
    engine.reload().expect("reload");
    assert!(ids(&engine, "kx00000").is_empty());

    assert_eq!(
        indexer::delete(&dir, &["s-3".into(), "nope".into()], false).expect("delete"),
        1
    );
    engine.reload().expect("reload");
    assert!(ids(&engine, "kx00003").is_empty());
    assert!(matches!(
        engine.get("s-3"),
        Err(xinwen::Error::Index(IndexError::UnknownId(_)))
    ));
    assert_eq!(engine.num_docs(), 3);
}

#[test]
fn a_rebuild_switches_to_a_complete_new_generation_and_removes_the_old_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("index");
    let dir = IndexDir::new(&root);
    run(&dir, &[fixtures("posts")], IndexOptions::default());
    let before = Engine::open(&dir).expect("open");
    assert_eq!(before.num_docs(), 60);

    let input = tmp.path().join("new.jsonl");
    write_jsonl(&input, &series(0, 40, 1));
    let report = run(&dir, std::slice::from_ref(&input), rebuild());
    assert!(report.rebuilt);
    assert_eq!((report.new, report.total), (40, 40));
    assert_eq!(generations(&root), 1, "the old generation is removed after the switch");

    // The engine opened before the switch still answers from the old generation.
    assert_eq!(ids(&before, "人工智能").len(), 5);
    let after = Engine::open(&dir).expect("open");
    assert_ne!(after.generation(), before.generation());
    assert!(ids(&after, "人工智能").is_empty());
    assert_eq!(ids(&after, "kx00039"), ["s-39"]);
}

#[test]
fn a_second_writer_fails_at_once_naming_the_holder_or_waits() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = IndexDir::new(tmp.path().join("index"));
    run(&dir, &[fixtures("jsonl")], IndexOptions::default());
    let lock = dir.lock(false, "the nightly rebuild").expect("first lock");
    let err = indexer::run(&dir, &[fixtures("jsonl")], &IndexOptions::default(), &Silent).expect_err("locked");
    let message = err.to_string();
    assert!(message.contains("is locked by another writer"), "{message}");
    assert!(
        message.contains(&format!("pid {} (the nightly rebuild", std::process::id())),
        "{message}"
    );
    assert!(message.contains("--wait"), "{message}");

    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(lock);
    });
    let started = Instant::now();
    let waited = run(
        &dir,
        &[fixtures("jsonl")],
        IndexOptions {
            wait: true,
            ..IndexOptions::default()
        },
    );
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "it waited for the lock"
    );
    assert_eq!(waited.new, 0);
    releaser.join().expect("releaser");
}

#[test]
fn bad_input_during_a_job_is_reported_and_the_rest_is_indexed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("input");
    std::fs::create_dir(&input).expect("mkdir");
    std::fs::copy(fixtures("posts/sh-close.md"), input.join("a-good.md")).expect("copy");
    std::fs::copy(fixtures("bad/missing-title.md"), input.join("b-bad.md")).expect("copy");
    write_jsonl(&input.join("c-feed.jsonl"), &series(0, 3, 1));
    let mut broken = std::fs::read_to_string(input.join("c-feed.jsonl")).expect("read");
    broken.push_str("{\"title\": \"cut off\n");
    std::fs::write(input.join("c-feed.jsonl"), broken).expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink(tmp.path().join("nowhere.md"), input.join("d-gone.md")).expect("symlink");

    let dir = IndexDir::new(tmp.path().join("index"));
    let report = run(&dir, std::slice::from_ref(&input), IndexOptions::default());
    assert_eq!(report.new, 4, "the good post and three good lines");
    let mut reasons: Vec<String> = report.rejections.iter().map(|r| r.to_string()).collect();
    reasons.sort();
    let path = |name: &str| input.join(name).display().to_string();
    assert_eq!(reasons.len(), if cfg!(unix) { 3 } else { 2 }, "{reasons:?}");
    assert_eq!(reasons[0], format!("{}: no title", path("b-bad.md")));
    assert!(
        reasons[1].starts_with(&format!("{}:4: invalid JSON: EOF while parsing", path("c-feed.jsonl"))),
        "{reasons:?}"
    );
    if cfg!(unix) {
        assert!(
            reasons[2].starts_with(&format!("{}: cannot read:", path("d-gone.md"))),
            "{reasons:?}"
        );
    }
    let engine = Engine::open(&dir).expect("open");
    assert_eq!(ids(&engine, "kx00002"), ["s-2"]);
}

/// The real binary, running a job that may be told to pause at a point.
struct Job(Child);

impl Drop for Job {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_job(root: &Path, args: &[&str], pause_at: Option<&str>) -> Job {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xinwen"));
    cmd.arg("index").arg("--index").arg(root).args(args);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    if let Some(point) = pause_at {
        cmd.env("XINWEN_PAUSE_AT", point);
    }
    Job(cmd.spawn().expect("start xinwen index"))
}

/// Waits until the job says it paused at `point`.
fn wait_for_pause(job: &mut Job, point: &str) {
    let stderr = job.0.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(stderr).lines();
    let expected = format!("xinwen: paused at {point}");
    for line in lines.by_ref() {
        let line = line.expect("read stderr");
        if line == expected {
            // Keep draining so the job never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return;
        }
    }
    panic!("the job ended without pausing at {point}");
}

fn sigkill(job: &mut Job) {
    job.0.kill().expect("SIGKILL");
    job.0.wait().expect("reap");
}

/// The searchable state of an index: article count and whether the series is in it.
fn state(root: &Path) -> (u64, bool) {
    let engine = Engine::open(&IndexDir::new(root)).expect("the index opens after a kill");
    let has_series = !ids(&engine, "kx00007").is_empty();
    (engine.num_docs(), has_series)
}

#[test]
fn sigkill_at_any_point_of_a_job_leaves_the_state_before_or_after_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let feed = tmp.path().join("feed.jsonl");
    // Enough text for several batches, with a small writer so segments are flushed before
    // the commit: the kill then finds written but uncommitted segments.
    write_jsonl(&feed, &series(0, 2500, 1));
    let feed = feed.display().to_string();
    let small = ["--threads", "1", "--memory-mib", "16"];
    let before = (60, false);
    let incremental_after = (2560, true);
    let rebuild_after = (2500, true);
    let cases: [(&str, bool, (u64, bool)); 8] = [
        ("locked", false, before),
        ("batch", false, before),
        ("commit", false, before),
        ("locked", true, before),
        ("batch", true, before),
        ("commit", true, before),
        ("publish", true, before),
        ("published", true, rebuild_after),
    ];
    for (point, is_rebuild, expected) in cases {
        let root = tmp.path().join(format!("ix-{point}-{is_rebuild}"));
        run(&IndexDir::new(&root), &[fixtures("posts")], IndexOptions::default());
        let mut args: Vec<&str> = small.to_vec();
        if is_rebuild {
            args.push("--rebuild");
        }
        args.push(&feed);
        let mut job = start_job(&root, &args, Some(point));
        wait_for_pause(&mut job, point);
        sigkill(&mut job);
        assert_eq!(state(&root), expected, "killed at {point} (rebuild: {is_rebuild})");

        // The next run needs no clean-up and completes the job.
        let done = run(
            &IndexDir::new(&root),
            &[PathBuf::from(&feed)],
            IndexOptions {
                rebuild: is_rebuild,
                ..IndexOptions::default()
            },
        );
        let after = if is_rebuild { rebuild_after } else { incremental_after };
        assert_eq!(
            (done.total, state(&root)),
            (after.0, after),
            "re-run after a kill at {point}"
        );
        assert_eq!(generations(&root), 1, "leftovers removed after a kill at {point}");
    }
}

#[test]
fn sigkill_at_random_moments_never_leaves_part_of_a_job() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let feed = tmp.path().join("feed.jsonl");
    write_jsonl(&feed, &series(0, 1500, 1));
    let feed = feed.display().to_string();
    let root = tmp.path().join("index");
    run(&IndexDir::new(&root), &[fixtures("posts")], IndexOptions::default());
    // Delays spread over a whole job, commit included.
    for (round, delay_ms) in [40u64, 150, 300, 600, 900, 1300, 2000].into_iter().enumerate() {
        let is_rebuild = round % 2 == 1;
        let mut args = vec!["--threads", "1", "--memory-mib", "16"];
        if is_rebuild {
            args.push("--rebuild");
        }
        args.push(&feed);
        let before = state(&root);
        let mut job = start_job(&root, &args, None);
        std::thread::sleep(Duration::from_millis(delay_ms));
        sigkill(&mut job);
        let now = state(&root);
        let after = match (is_rebuild, before) {
            (true, _) => (1500, true),
            (false, (n, false)) => (n + 1500, true),
            (false, unchanged) => unchanged,
        };
        assert!(
            now == before || now == after,
            "round {round} ({delay_ms} ms): {before:?} → {now:?}, expected one of the two or {after:?}"
        );
    }
    let done = run(&IndexDir::new(&root), &[PathBuf::from(&feed)], IndexOptions::default());
    assert!(done.total >= 1500);
    assert_eq!(generations(&root), 1);
}

#[test]
fn a_lock_left_by_a_killed_job_does_not_block_the_next_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("index");
    let jsonl = fixtures("jsonl").display().to_string();
    let mut job = start_job(&root, &[&jsonl], Some("locked"));
    wait_for_pause(&mut job, "locked");
    sigkill(&mut job);
    let report = run(&IndexDir::new(&root), &[fixtures("jsonl")], IndexOptions::default());
    assert_eq!(report.new, 16);
}

/// Sends one HTTP/1.1 GET on a fresh connection; returns the status.
fn get_status(addr: &str, path: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad response: {response:.80}")))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_server_answers_every_query_during_an_incremental_job_and_a_rebuild() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("index");
    run(&IndexDir::new(&root), &[fixtures("posts")], IndexOptions::default());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_xinwen"))
            .args(["serve", "--index"])
            .arg(&root)
            .args(["--addr", &addr])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start server"),
    );
    let started = Instant::now();
    while get_status(&addr, "/healthz").ok() != Some(200) {
        assert!(started.elapsed() < Duration::from_secs(20), "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
    let clients: Vec<_> = [
        "/api/search?q=%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD",
        "/api/search?q=%E4%BA%A4%E9%80%9A",
        "/api/suggest?q=%E4%BA%A4",
        "/healthz",
    ]
    .into_iter()
    .map(|path| {
        let (stop, served, failures, addr) = (stop.clone(), served.clone(), failures.clone(), addr.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match get_status(&addr, path) {
                    Ok(200) => {
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                    other => failures.lock().expect("lock").push(format!("{path}: {other:?}")),
                }
            }
        })
    })
    .collect();

    let feed = tmp.path().join("feed.jsonl");
    write_jsonl(&feed, &series(0, 800, 1));
    let status = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .arg("index")
        .arg("--index")
        .arg(&root)
        .arg(&feed)
        .stdout(Stdio::null())
        .status()
        .expect("incremental job");
    assert!(status.success());
    let status = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(["index", "--rebuild", "--index"])
        .arg(&root)
        .arg(&feed)
        .arg(fixtures("jsonl"))
        .stdout(Stdio::null())
        .status()
        .expect("rebuild");
    assert!(status.success());
    // New articles appear within about a second of the job's commit.
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().expect("client");
    }
    let failures = failures.lock().expect("lock");
    assert!(
        failures.is_empty(),
        "{} failed requests: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(served.load(Ordering::Relaxed) > 50, "the clients kept querying");

    let mut stream = TcpStream::connect(&addr).expect("connect");
    write!(
        stream,
        "GET /api/search?q=kx00799 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut body = String::new();
    stream.read_to_string(&mut body).expect("read");
    assert!(
        body.contains("\"id\":\"s-799\""),
        "the rebuilt index serves the new articles: {body:.300}"
    );
    assert!(!body.contains("\"relaxed\":true"));
}

#[tokio::test]
async fn http_ingestion_needs_the_token_and_shares_the_writer_lock() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = IndexDir::new(tmp.path().join("index"));
    run(&dir, &[fixtures("jsonl")], IndexOptions::default());
    let shared = Arc::new(Shared::open(dir.clone()).expect("open"));
    let options = ServerOptions {
        admin_token: Some("s3cret".into()),
        ..ServerOptions::default()
    };
    let routes = xinwen::server::routes(shared.clone(), &options);
    let body = json!([
        {"id": "push-1", "title": "推送稿件", "body": "通过接口推送的稿件，编号kx90001。"},
        {"title": "没有正文"},
        7
    ])
    .to_string();
    let post = |auth: Option<&str>| {
        let mut request = warp::test::request()
            .method("POST")
            .path("/api/articles")
            .body(body.clone());
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request
    };

    let denied = post(Some("Bearer wrong")).reply(&routes).await;
    assert_eq!(denied.status(), 401);
    let denied: serde_json::Value = serde_json::from_slice(denied.body()).expect("json");
    assert_eq!(denied["error"]["code"], "unauthorized");

    let accepted = post(Some("Bearer s3cret")).reply(&routes).await;
    assert_eq!(accepted.status(), 200);
    let accepted: serde_json::Value = serde_json::from_slice(accepted.body()).expect("json");
    assert_eq!(
        accepted,
        json!({
            "accepted": 1, "new": 1, "updated": 0, "unchanged": 0, "total": 17, "rejected_not_listed": 0,
            "rejected": [
                {"item": 2, "code": "empty_body", "reason": "empty body"},
                {"item": 3, "code": "not_an_object", "reason": "not a JSON object"}
            ]
        })
    );
    let found = warp::test::request().path("/api/search?q=kx90001").reply(&routes).await;
    let found: serde_json::Value = serde_json::from_slice(found.body()).expect("json");
    assert_eq!(found["hits"][0]["id"], "push-1", "searchable right after the request");

    // While a CLI job holds the index, ingestion answers 409 and names it.
    let lock = dir.lock(false, "xinwen index nightly/").expect("lock");
    let busy = post(Some("Bearer s3cret")).reply(&routes).await;
    assert_eq!(busy.status(), 409);
    let busy: serde_json::Value = serde_json::from_slice(busy.body()).expect("json");
    assert_eq!(busy["error"]["code"], "index_locked");
    assert!(
        busy["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("xinwen index nightly/"))
    );
    drop(lock);

    let deleted = warp::test::request()
        .method("DELETE")
        .path("/api/articles/push-1")
        .header("authorization", "Bearer s3cret")
        .reply(&routes)
        .await;
    assert_eq!(deleted.status(), 200);
    let again = warp::test::request()
        .method("DELETE")
        .path("/api/articles/push-1")
        .header("authorization", "Bearer s3cret")
        .reply(&routes)
        .await;
    assert_eq!(again.status(), 404);

    let disabled = xinwen::server::routes(shared, &ServerOptions::default());
    let off = post(Some("Bearer s3cret")).reply(&disabled).await;
    assert_eq!(off.status(), 403);
}

/// Runs the real binary to completion: exit code, stdout, stderr.
fn xinwen(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(args)
        .stdin(Stdio::null())
        .env_remove("XINWEN_LOG")
        .output()
        .expect("run xinwen");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn text(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// The generation directories under `root`, by name.
fn generation_names(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .expect("list the index")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    names.sort();
    names
}

#[test]
fn issue_14_a_current_naming_a_missing_generation_is_an_error_that_deletes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("index");
    run(&IndexDir::new(&root), &[fixtures("jsonl")], IndexOptions::default());
    std::fs::write(root.join("CURRENT"), "gen-1\n").expect("break CURRENT");
    let ix = text(&root);
    let jsonl = fixtures("jsonl");
    let message = format!(
        "xinwen: {ix}/CURRENT names \"gen-1\", which does not exist; nothing was changed. List the generations \
         with `xinwen generations --index {ix}` and choose one with `xinwen generations --index {ix} --use NAME`\n"
    );
    for args in [
        vec!["delete", "--index", ix, "fl-20240612-001"],
        vec!["index", "--index", ix, text(&jsonl)],
        vec!["index", "--prune", "--index", ix, text(&jsonl)],
        vec!["index", "--rebuild", "--index", ix, text(&jsonl)],
        vec!["search", "--index", ix, "光伏"],
        vec!["stats", "--index", ix],
    ] {
        let (code, stdout, stderr) = xinwen(&args);
        assert_eq!(
            (code, stdout.as_str(), stderr.as_str()),
            (Some(2), "", message.as_str()),
            "{args:?}"
        );
        assert_eq!(generation_names(&root), ["gen-000001"], "after {args:?}");
    }

    // The repair: list what is there, then name the live generation.
    let (code, stdout, _) = xinwen(&["generations", "--index", ix]);
    assert_eq!((code, stdout.as_str()), (Some(0), "gen-000001  16 articles\n"));
    let (code, stdout, _) = xinwen(&["generations", "--index", ix, "--use", "gen-7"]);
    assert_eq!((code, stdout.as_str()), (Some(2), ""), "a generation that is not there");
    let (code, stdout, stderr) = xinwen(&["generations", "--index", ix, "--use", "gen-000001"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (Some(0), "CURRENT now names gen-000001 (16 articles)\n", "")
    );
    let (code, stdout, _) = xinwen(&["generations", "--index", ix]);
    assert_eq!((code, stdout.as_str()), (Some(0), "gen-000001  16 articles, live\n"));
    assert_eq!(Engine::open(&IndexDir::new(&root)).expect("open").num_docs(), 16);
}

#[test]
fn issue_14_generations_without_current_are_kept_until_the_operator_chooses() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("index");
    run(&IndexDir::new(&root), &[fixtures("jsonl")], IndexOptions::default());
    std::fs::remove_file(root.join("CURRENT")).expect("lose CURRENT");
    let ix = text(&root);
    let message = format!(
        "xinwen: {ix} has generations (gen-000001) but no CURRENT naming the live one; nothing was changed. \
         Choose one with `xinwen generations --index {ix} --use NAME` (`xinwen generations --index {ix}` lists them)\n"
    );
    for args in [
        vec!["index", "--index", ix, text(&fixtures("posts"))],
        vec!["index", "--rebuild", "--index", ix, text(&fixtures("posts"))],
        vec!["search", "--index", ix, "光伏"],
    ] {
        let (code, _, stderr) = xinwen(&args);
        assert_eq!((code, stderr.as_str()), (Some(2), message.as_str()), "{args:?}");
        assert_eq!(generation_names(&root), ["gen-000001"], "after {args:?}");
    }
    let (code, _, _) = xinwen(&["generations", "--index", ix, "--use", "gen-000001"]);
    assert_eq!(code, Some(0));
    let report = run(&IndexDir::new(&root), &[fixtures("posts")], IndexOptions::default());
    assert_eq!((report.new, report.total), (60, 76));
}

#[test]
fn a_first_build_killed_after_its_commit_is_a_leftover_the_next_job_removes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("index");
    let jsonl = fixtures("jsonl").display().to_string();
    let mut job = start_job(&root, &[&jsonl], Some("publish"));
    wait_for_pause(&mut job, "publish");
    sigkill(&mut job);
    let (code, stdout, _) = xinwen(&["generations", "--index", text(&root)]);
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), "gen-000001  unfinished (a stopped job's leftover)\n")
    );
    let report = run(&IndexDir::new(&root), &[fixtures("jsonl")], IndexOptions::default());
    assert_eq!((report.new, report.total), (16, 16));
    assert_eq!(
        generation_names(&root),
        ["gen-000001"],
        "the leftover's name is free again"
    );
    assert_eq!(Engine::open(&IndexDir::new(&root)).expect("open").num_docs(), 16);
}

#[tokio::test]
async fn issue_14_ingestion_with_a_broken_current_keeps_the_served_generation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("index");
    let dir = IndexDir::new(&root);
    run(&dir, &[fixtures("jsonl")], IndexOptions::default());
    let shared = Arc::new(Shared::open(dir.clone()).expect("open"));
    let options = ServerOptions {
        admin_token: Some("s3cret".into()),
        ..ServerOptions::default()
    };
    let routes = xinwen::server::routes(shared.clone(), &options);
    std::fs::write(root.join("CURRENT"), "gen-1\n").expect("break CURRENT");
    let reply = warp::test::request()
        .method("POST")
        .path("/api/articles")
        .header("authorization", "Bearer s3cret")
        .body(r#"{"id":"push-1","title":"推送稿件","body":"通过接口推送的稿件。"}"#)
        .reply(&routes)
        .await;
    assert_eq!(reply.status(), 503);
    let body: serde_json::Value = serde_json::from_slice(reply.body()).expect("json");
    assert_eq!(body["error"]["code"], "index_unavailable");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("CURRENT names \"gen-1\", which does not exist")),
        "{body}"
    );
    assert_eq!(generation_names(&root), ["gen-000001"]);
    assert!(shared.refresh().is_err(), "the watcher reports the broken pointer");
    let found = warp::test::request()
        .path("/api/search?q=%E5%85%89%E4%BC%8F")
        .reply(&routes)
        .await;
    let found: serde_json::Value = serde_json::from_slice(found.body()).expect("json");
    assert!(found["total"].as_u64().is_some_and(|n| n > 0), "still served: {found}");
}

#[test]
fn issue_14_a_reader_that_fails_aborts_the_job_and_prunes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = IndexDir::new(tmp.path().join("index"));
    run(&dir, &[fixtures("posts")], IndexOptions::default());
    let article = xinwen::post::jsonl::parse_line(
        r#"{"id":"late-1","title":"迟到的稿件","body":"读到一半的输入，编号kx90002。"}"#,
    )
    .expect("valid record");
    let err = indexer::run_batches(&dir, &prune(), &Silent, |_| {
        let first = xinwen::post::Batch {
            items: vec![(xinwen::post::Origin::NONE, Ok(article))],
            bytes: 0,
        };
        std::iter::once(first).chain(std::iter::from_fn(|| panic!("the input went away")))
    })
    .expect_err("a failed reader fails the job");
    assert_eq!(
        err.to_string(),
        "reading the inputs failed (the input went away); nothing was committed"
    );
    let engine = Engine::open(&dir).expect("open");
    assert_eq!(engine.num_docs(), 60, "nothing pruned");
    assert!(
        ids(&engine, "kx90002").is_empty(),
        "nothing of the failed job committed"
    );
}

/// One JSONL record of id `id` whose body says `text`.
fn record(id: &str, text: &str) -> serde_json::Value {
    json!({"id": id, "title": format!("稿件{id}"), "body": format!("{text}。")})
}

#[test]
fn issue_14_an_id_read_again_in_a_job_replaces_its_copy_and_is_counted_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = IndexDir::new(tmp.path().join("index"));
    let feed = tmp.path().join("feed.jsonl");
    write_jsonl(
        &feed,
        &[
            record("a", "甲版一"),
            record("b", "乙版一"),
            record("a", "甲版二"),
            record("c", "丙版一"),
        ],
    );
    let first = run(&dir, std::slice::from_ref(&feed), IndexOptions::default());
    assert_eq!(
        (first.read, first.new, first.repeated, first.total),
        (4, 3, 1, 3),
        "a counted once, by its last copy"
    );
    // a: changed, then back to what is indexed (unchanged in the end); b: changed twice
    // (updated once); c: unchanged twice; d: new, three times.
    write_jsonl(
        &feed,
        &[
            record("a", "甲版三"),
            record("b", "乙版二"),
            record("d", "丁版一"),
            record("a", "甲版二"),
            record("c", "丙版一"),
            record("b", "乙版三"),
            record("d", "丁版二"),
            record("c", "丙版一"),
            record("d", "丁版三"),
        ],
    );
    let second = run(&dir, std::slice::from_ref(&feed), prune());
    assert_eq!(
        (
            second.read,
            second.new,
            second.updated,
            second.unchanged,
            second.repeated
        ),
        (9, 1, 1, 2, 5)
    );
    assert_eq!((second.deleted, second.total), (0, 4));
    let engine = Engine::open(&dir).expect("open");
    for (query, id) in [("甲版二", "a"), ("乙版三", "b"), ("丙版一", "c"), ("丁版三", "d")] {
        assert_eq!(ids(&engine, query), [id], "{query} is the last copy of {id}");
    }
    for gone in ["甲版三", "乙版二", "丁版一", "丁版二"] {
        assert!(ids(&engine, gone).is_empty(), "{gone} was replaced in the same job");
    }
    // A third job keeps what is unchanged and drops what the feed no longer has.
    write_jsonl(&feed, &[record("d", "丁版三"), record("d", "丁版三")]);
    let third = run(&dir, std::slice::from_ref(&feed), prune());
    assert_eq!(
        (third.unchanged, third.repeated, third.deleted, third.total),
        (1, 1, 3, 1)
    );
    engine.reload().expect("reload");
    assert_eq!(ids(&engine, "丁版三"), ["d"]);
}

/// CPU seconds (user + system, in clock ticks) the binary used for `args`, measured by the
/// shell that waited for it: the machine's load changes the wall time, not this much.
fn cpu_ticks(args: &[&str]) -> u64 {
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#""$0" "$@" >/dev/null 2>&1; cat /proc/$$/stat"#)
        .arg(env!("CARGO_BIN_EXE_xinwen"))
        .args(args)
        .output()
        .expect("run sh");
    let stat = String::from_utf8_lossy(&out.stdout);
    // After "pid (comm)" the state is field 3; cutime and cstime are fields 16 and 17.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    field(16) + field(17)
}

#[test]
fn issue_14_repeated_ids_cost_linear_time() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ticks = |n: usize| {
        let feed = tmp.path().join(format!("same-{n}.jsonl"));
        let lines: Vec<serde_json::Value> = (0..n).map(|i| record("same", &format!("版本{i}"))).collect();
        write_jsonl(&feed, &lines);
        let root = tmp.path().join(format!("ix-{n}"));
        let ticks = cpu_ticks(&["index", "--index", text(&root), text(&feed)]);
        let engine = Engine::open(&IndexDir::new(&root)).expect("open");
        assert_eq!(engine.num_docs(), 1);
        assert_eq!(ids(&engine, &format!("版本{}", n - 1)), ["same"], "the last copy wins");
        ticks
    };
    let (small, large) = (ticks(20_000), ticks(80_000));
    assert!(small > 0, "no CPU time measured");
    // Linear: about 4× (less, with the start-up cost: 49 → 133 ticks); quadratic, as it
    // was, 10× (98 → 976).
    assert!(
        large < 6 * small,
        "4× the lines took {large} ticks against {small}: {:.1}×",
        large as f64 / small as f64
    );
}

#[test]
fn issue_14_prune_with_an_unreadable_input_deletes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("index");
    run(&IndexDir::new(&root), &common_inputs(), IndexOptions::default());
    let (posts, typo) = (fixtures("posts"), tmp.path().join("typo/path"));
    let (code, stdout, stderr) = xinwen(&["index", "--prune", "--index", text(&root), text(&posts), text(&typo)]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert_eq!(
        stdout.lines().next(),
        Some("read 61 · indexed 0 (new 0, updated 0) · unchanged 60 · deleted 0 · rejected 1")
    );
    assert!(stdout.contains("76 articles in "), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l == "nothing was pruned: 1 input could not be read"),
        "{stdout}"
    );
    assert_eq!(
        stderr,
        format!(
            "xinwen: rejected {}: cannot read: No such file or directory (os error 2)\n",
            typo.display()
        )
    );

    // A file that cannot be read inside a folder (here a link to nowhere) stops the
    // deletions too, and says so in the JSON report.
    let folder = tmp.path().join("feeds");
    std::fs::create_dir(&folder).expect("mkdir");
    std::os::unix::fs::symlink(tmp.path().join("gone.jsonl"), folder.join("gone.jsonl")).expect("symlink");
    let (code, stdout, _) = xinwen(&[
        "index",
        "--prune",
        "--json",
        "--index",
        text(&root),
        text(&posts),
        text(&folder),
    ]);
    assert_eq!(code, Some(2));
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(report["deleted"], 0);
    assert_eq!(report["total"], 76);
    assert_eq!(report["withheld"], "nothing was pruned: 1 input could not be read");
}

fn common_inputs() -> Vec<PathBuf> {
    vec![fixtures("posts"), fixtures("jsonl")]
}

#[test]
fn issue_14_a_rebuild_that_cannot_read_an_input_keeps_the_live_index() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("index");
    run(&IndexDir::new(&root), &common_inputs(), IndexOptions::default());
    let before = Engine::open(&IndexDir::new(&root)).expect("open");
    let (posts, typo) = (fixtures("posts"), tmp.path().join("typo"));
    let (code, stdout, _) = xinwen(&["index", "--rebuild", "--index", text(&root), text(&posts), text(&typo)]);
    assert_eq!(code, Some(2), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l == "the rebuild was not switched to: 1 input could not be read; the live index is unchanged"),
        "{stdout}"
    );
    assert!(
        stdout.contains("76 articles in ") && !stdout.contains("(new build)"),
        "{stdout}"
    );
    assert_eq!(
        generation_names(&root),
        ["gen-000001"],
        "the unfinished rebuild is removed"
    );
    let after = Engine::open(&IndexDir::new(&root)).expect("open");
    assert_eq!((after.generation(), after.num_docs()), (before.generation(), 76));
}

#[test]
fn issue_14_a_file_with_rejected_parts_keeps_its_articles_through_prune_and_rebuild() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("input");
    std::fs::create_dir(&input).expect("mkdir");
    let feed = input.join("a-feed.jsonl");
    write_jsonl(&feed, &series(0, 5, 1));
    std::fs::copy(fixtures("posts/sh-close.md"), input.join("b-close.md")).expect("copy");
    std::fs::copy(
        fixtures("posts/2024-05-20-ev-price-war.md"),
        input.join("ev-price-war.md"),
    )
    .expect("copy");
    let dir = IndexDir::new(tmp.path().join("index"));
    let first = run(&dir, std::slice::from_ref(&input), prune());
    assert_eq!((first.new, first.total), (7, 7));

    // The feed loses s-4 and garbles the line of s-2: which ids did the garbled line hold?
    // No one can say, so every article of the feed stays. The post ev-price-war.md is edited into
    // a post without a title: it stays as it was. b-close.md is removed: it is pruned.
    let mut lines: Vec<String> = series(0, 4, 1).iter().map(|a| a.to_string()).collect();
    lines[2] = "{\"id\": \"s-2\", \"title\": ".into();
    std::fs::write(&feed, lines.join("\n") + "\n").expect("write");
    std::fs::copy(fixtures("bad/missing-title.md"), input.join("ev-price-war.md")).expect("copy");
    std::fs::remove_file(input.join("b-close.md")).expect("rm");
    let second = run(&dir, std::slice::from_ref(&input), prune());
    assert_eq!(
        (
            second.unchanged,
            second.rejected,
            second.deleted,
            second.kept,
            second.total
        ),
        (3, 2, 1, 3, 6),
        "{:?}",
        second.rejections
    );
    assert_eq!(second.withheld, None);
    let engine = Engine::open(&dir).expect("open");
    for (query, id) in [("kx00002", "s-2"), ("kx00004", "s-4"), ("骁驰汽车", "ev-price-war")] {
        assert_eq!(ids(&engine, query), [id], "{id} is kept");
    }

    // A rebuild keeps them the same way: taken from the index it replaces.
    let rebuilt = run(&dir, std::slice::from_ref(&input), rebuild());
    assert!(rebuilt.rebuilt);
    assert_eq!((rebuilt.new, rebuilt.kept, rebuilt.total), (3, 3, 6));
    let engine = Engine::open(&dir).expect("open");
    for (query, id) in [("kx00002", "s-2"), ("kx00004", "s-4"), ("骁驰汽车", "ev-price-war")] {
        assert_eq!(ids(&engine, query), [id], "{id} is kept by the rebuild");
    }

    // Once the feed reads cleanly, what it no longer lists is pruned.
    write_jsonl(&feed, &series(0, 4, 1));
    let clean = run(&dir, std::slice::from_ref(&input), prune());
    assert_eq!((clean.new, clean.deleted, clean.kept, clean.total), (0, 1, 1, 5));
    engine.reload().expect("reload");
    assert!(ids(&engine, "kx00004").is_empty());
}

#[test]
fn an_article_is_the_same_whichever_directory_the_job_runs_from() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("input");
    std::fs::create_dir(&input).expect("mkdir");
    write_jsonl(&input.join("feed.jsonl"), &series(0, 3, 1));
    let root = tmp.path().join("index");
    let (code, _, _) = xinwen(&["index", "--index", text(&root), text(&input)]);
    assert_eq!(code, Some(0));
    let out = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(["index", "--prune", "--index", text(&root), "input"])
        .current_dir(tmp.path())
        .output()
        .expect("run xinwen");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().next(),
        Some("read 3 · indexed 0 (new 0, updated 0) · unchanged 3 · deleted 0 · rejected 0")
    );
}

#[tokio::test]
async fn issue_14_ingestion_caps_the_articles_of_a_request_and_the_rejections_it_lists() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = IndexDir::new(tmp.path().join("index"));
    run(&dir, &[fixtures("jsonl")], IndexOptions::default());
    let shared = Arc::new(Shared::open(dir.clone()).expect("open"));
    let options = ServerOptions {
        admin_token: Some("s3cret".into()),
        ..ServerOptions::default()
    };
    let routes = xinwen::server::routes(shared.clone(), &options);
    let post = |body: String| {
        warp::test::request()
            .method("POST")
            .path("/api/articles")
            .header("authorization", "Bearer s3cret")
            .body(body)
            .reply(&routes)
    };
    let too_many = json!({"error": {
        "code": "too_many_records",
        "message": "10001 articles in one request, at most 10000: send them in smaller requests"
    }});
    for body in ["x\n".repeat(10_001), format!("[{}1]", "1,".repeat(10_000))] {
        let reply = post(body).await;
        assert_eq!(reply.status(), 413);
        let answer: serde_json::Value = serde_json::from_slice(reply.body()).expect("json");
        assert_eq!(answer, too_many);
    }
    assert_eq!(
        shared.backend().health().expect("health").articles,
        16,
        "nothing of a refused request is indexed"
    );

    // 250 bad lines and a good one: all counted, the first 100 listed.
    let good = json!({"id": "push-2", "title": "推送稿件", "body": "第二篇推送的稿件。"}).to_string();
    let reply = post(format!("{}{good}\n", "x\n".repeat(250))).await;
    assert_eq!(reply.status(), 200);
    let answer: serde_json::Value = serde_json::from_slice(reply.body()).expect("json");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["total"].as_u64()),
        (Some(1), Some(17))
    );
    let listed = answer["rejected"].as_array().expect("a list");
    assert_eq!(listed.len(), 100);
    assert_eq!(listed[99]["item"], 100);
    assert_eq!(answer["rejected_not_listed"], 150);
}
