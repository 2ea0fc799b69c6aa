//! Back up and restore (issue 12): `xinwen snapshot` / `xinwen restore` and `POST
//! /api/snapshots`. A snapshot restores to exactly what was committed, even while a job
//! writes; a damaged, truncated or hostile tar is refused and leaves the live index as it was.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use serde_json::json;
use sha2::{Digest, Sha256};
use xinwen::indexer::{self, IndexOptions, Silent};
use xinwen::local::snapshot::{self, SnapshotFile, SnapshotManifest};
use xinwen::search::{Engine, SearchRequest};
use xinwen::server::{ServerOptions, Shared, SnapshotTarget};
use xinwen::store::IndexDir;

fn fixtures(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(sub)
}

fn text(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn build(root: &Path, inputs: &[PathBuf]) -> IndexDir {
    let dir = IndexDir::new(root);
    indexer::run(&dir, inputs, &IndexOptions::default(), &Silent).expect("index job");
    dir
}

fn ids(dir: &IndexDir, query: &str) -> Vec<String> {
    let engine = Engine::open(dir).expect("open");
    let mut request = SearchRequest::new(query);
    request.limit = 100;
    request.snippet_chars = 0;
    engine
        .search(&request)
        .map(|r| r.hits.into_iter().map(|h| h.id).collect())
        .unwrap_or_default()
}

fn count(dir: &IndexDir) -> u64 {
    Engine::open(dir).expect("open").num_docs()
}

/// The names in an index root, sorted: what "unchanged" is checked against.
fn listing(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn xinwen(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(args)
        .env_remove("XINWEN_BACKEND")
        .output()
        .expect("run xinwen");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sha256_of(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("read");
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

const QUERIES: [&str; 5] = ["上海", "股市", "人工智能", "经济 -上海", "北京"];

#[test]
fn a_snapshot_restored_into_a_new_directory_searches_exactly_the_same() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let source = build(&tmp.path().join("index"), &[fixtures("posts"), fixtures("jsonl")]);
    let out = tmp.path().join("backup.tar");
    let written = snapshot::take(&source, &out).expect("snapshot");
    assert_eq!(written.articles, count(&source));
    assert_eq!(written.generation, "gen-000001");
    assert_eq!(written.bytes, std::fs::metadata(&out).expect("tar").len());
    assert_eq!(written.sha256, sha256_of(&out));
    let mut names = listing(tmp.path());
    names.retain(|n| n != "index");
    assert_eq!(names, ["backup.tar", "backup.tar.sha256"], "no .tmp is left");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("backup.tar.sha256")).expect("sidecar"),
        format!("{}  backup.tar\n", written.sha256)
    );

    let restored_root = tmp.path().join("missing/restored");
    let restored = snapshot::restore(&IndexDir::new(&restored_root), &out, false).expect("restore");
    assert_eq!(
        (
            restored.generation.as_str(),
            restored.articles,
            restored.previous,
            restored.whole_checked
        ),
        ("gen-000001", written.articles, None, true)
    );
    let copy = IndexDir::new(&restored_root);
    assert_eq!(count(&copy), count(&source));
    let mut found = 0;
    for query in QUERIES {
        let expected = ids(&source, query);
        found += expected.len();
        assert_eq!(ids(&copy, query), expected, "{query}");
    }
    assert!(found > 0, "the queries find fixtures");
    assert_eq!(listing(&restored_root), [".xinwen.lock", "CURRENT", "gen-000001"]);
}

/// `xinwen search --json` ids of `query`, through the binary.
fn cli_ids(index: &Path, query: &str) -> Vec<String> {
    let (code, stdout, stderr) = xinwen(&["search", "--index", text(index), "--json", "--limit", "100", query]);
    assert_eq!(code, Some(0), "{query}: {stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("search JSON");
    json["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("an id").to_string())
        .collect()
}

/// `xinwen stats --json`'s aliases, and `xinwen get --json ID`'s category names.
fn settings_seen(index: &Path, id: &str) -> (serde_json::Value, serde_json::Value) {
    let (code, stdout, stderr) = xinwen(&["stats", "--index", text(index), "--json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let stats: serde_json::Value = serde_json::from_str(&stdout).expect("stats JSON");
    let (code, stdout, stderr) = xinwen(&["get", "--index", text(index), "--json", id]);
    assert_eq!(code, Some(0), "{stderr}");
    let article: serde_json::Value = serde_json::from_str(&stdout).expect("article JSON");
    (stats["aliases"].clone(), article["category_names"].clone())
}

/// The settings files of a generation travel with its snapshot: the aliases learned from
/// the articles (`aliases.json`), the operator's alias edits and category names (in the
/// manifest). Restored without them, 600519 would no longer find the article that only
/// names 贵州茅台.
#[test]
fn a_restored_index_keeps_its_learned_aliases_and_settings() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let index = tmp.path().join("index");
    let edits = tmp.path().join("aliases.txt");
    std::fs::write(&edits, "星河微电 = 688999\n").expect("write");
    let names = tmp.path().join("categories.txt");
    std::fs::write(&names, "caijing = 财经要闻\n").expect("write");
    let input = fixtures("aliases");
    for args in [
        vec!["index", "--index", text(&index), text(&input)],
        vec!["index", "--index", text(&index), "--aliases", text(&edits)],
        vec![
            "index",
            "--index",
            text(&index),
            "--categories",
            text(&names),
            text(&fixtures("stories")),
        ],
    ] {
        let (code, stdout, stderr) = xinwen(&args);
        assert_eq!(code, Some(0), "{args:?}: {stdout}{stderr}");
    }
    let expected = (json!({"source": text(&edits), "pairs": 2}), json!(["财经要闻"]));
    assert_eq!(settings_seen(&index, "pmi-wire"), expected);
    let moutai = ["moutai-code", "moutai-3", "moutai-2", "moutai-1", "moutai-name"];
    assert_eq!(cli_ids(&index, "600519"), moutai);
    assert_eq!(cli_ids(&index, "688999"), ["rare-1", "rare-name"]);

    let out = tmp.path().join("backup.tar");
    let (code, _, stderr) = xinwen(&["snapshot", "--index", text(&index), text(&out)]);
    assert_eq!(code, Some(0), "{stderr}");
    let restored = tmp.path().join("elsewhere/index");
    let (code, _, stderr) = xinwen(&["restore", "--index", text(&restored), text(&out)]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(settings_seen(&restored, "pmi-wire"), expected);
    assert_eq!(cli_ids(&restored, "600519"), moutai, "the learned pair came along");
    assert_eq!(cli_ids(&restored, "688999"), ["rare-1", "rare-name"]);
}

#[test]
fn an_operator_checks_a_snapshot_with_sha256sum_and_tar() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let source = build(&tmp.path().join("index"), &[fixtures("posts")]);
    let out = tmp.path().join("b.tar");
    snapshot::take(&source, &out).expect("snapshot");
    let check = Command::new("sha256sum")
        .args(["-c", "b.tar.sha256"])
        .current_dir(tmp.path())
        .output()
        .expect("sha256sum");
    assert_eq!(String::from_utf8_lossy(&check.stdout), "b.tar: OK\n");
    let unpacked = tmp.path().join("unpacked");
    std::fs::create_dir(&unpacked).expect("mkdir");
    let untar = Command::new("tar")
        .args(["-xf", text(&out), "-C", text(&unpacked)])
        .status()
        .expect("tar");
    assert!(untar.success());
    let sums = Command::new("sha256sum")
        .args(["-c", "--quiet", "SHA256SUMS"])
        .current_dir(&unpacked)
        .status()
        .expect("sha256sum");
    assert!(sums.success(), "every file matches SHA256SUMS");
    let manifest: SnapshotManifest =
        serde_json::from_slice(&std::fs::read(unpacked.join("xinwen-snapshot.json")).expect("manifest"))
            .expect("manifest json");
    assert_eq!(manifest.files[0].path, "generation/meta.json");
    assert_eq!(manifest.articles, count(&source));
    assert!(manifest.files.iter().any(|f| f.path == "generation/xinwen.json"));
    for segment in &manifest.segments {
        assert!(
            manifest
                .files
                .iter()
                .any(|f| f.path == format!("generation/{segment}.store")),
            "{segment}"
        );
    }
}

#[test]
fn a_restore_switches_a_live_index_and_a_running_server_follows() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let posts = build(&tmp.path().join("posts"), &[fixtures("posts")]);
    let out = tmp.path().join("posts.tar");
    snapshot::take(&posts, &out).expect("snapshot");
    let live = build(&tmp.path().join("live"), &[fixtures("jsonl")]);
    let shared = Shared::open(live.clone()).expect("serve");
    assert_ne!(count(&live), count(&posts));

    let (code, stdout, stderr) = xinwen(&["restore", "--index", text(live.root()), text(&out)]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "restored {} articles as gen-000002, now live\ngen-000001 is kept until the next job: `xinwen \
             generations --index {} --use gen-000001` switches back\n",
            count(&posts),
            live.root().display()
        )
    );
    assert!(shared.refresh().expect("refresh"), "the server sees the new generation");
    let stats = shared.backend().stats().expect("stats");
    assert_eq!(stats.articles, count(&posts));
    assert_eq!(ids(&live, "上海"), ids(&posts, "上海"));
}

/// The real binary, paused at a point of its job until dropped (killed).
struct Job(Child);

impl Drop for Job {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn paused_job(root: &Path, args: &[&str], point: &str) -> Job {
    let mut job = Job(Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .arg("index")
        .arg("--index")
        .arg(root)
        .args(args)
        .env("XINWEN_PAUSE_AT", point)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start xinwen index"));
    let stderr = job.0.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let expected = format!("xinwen: paused at {point}");
    for line in lines.by_ref() {
        if line.expect("stderr") == expected {
            std::thread::spawn(move || for _ in lines {});
            return job;
        }
    }
    panic!("the job ended without pausing at {point}");
}

/// Articles `from..to` with the unique token `kx{i:05}`.
fn series(path: &Path, from: usize, to: usize) {
    let mut text = String::new();
    for i in from..to {
        let body = format!("第{i}号稿件报道本市交通建设进展，编号kx{i:05}。").repeat(12);
        let record = json!({"id": format!("s-{i}"), "title": format!("合成稿件第{i}号"), "body": body});
        text.push_str(&record.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).expect("write series");
}

#[test]
fn a_snapshot_taken_while_a_job_runs_restores_to_the_last_commit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("index");
    let dir = build(&root, &[fixtures("posts")]);
    let committed = count(&dir);
    let feed = tmp.path().join("feed.jsonl");
    series(&feed, 0, 2500);
    for (point, rebuild) in [("commit", false), ("commit", true), ("publish", true)] {
        // A small writer flushes segments before the commit: written, not committed.
        let mut args = vec!["--threads", "1", "--memory-mib", "16", text(&feed)];
        if rebuild {
            args.insert(0, "--rebuild");
        }
        let job = paused_job(&root, &args, point);
        let out = tmp.path().join(format!("during-{point}-{rebuild}.tar"));
        let written = snapshot::take(&dir, &out).expect("snapshot while the job runs");
        drop(job);
        assert_eq!(written.articles, committed, "{point} {rebuild}");
        let copy = IndexDir::new(tmp.path().join(format!("copy-{point}-{rebuild}")));
        snapshot::restore(&copy, &out, false).expect("restore");
        assert_eq!(count(&copy), committed, "{point} {rebuild}");
        assert!(ids(&copy, "kx00007").is_empty(), "nothing of the paused job");
    }
}

#[test]
fn snapshots_taken_while_jobs_commit_and_merge_are_each_one_whole_commit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = build(&tmp.path().join("index"), &[fixtures("posts")]);
    let base = count(&dir);
    let feeds: Vec<PathBuf> = (0..4)
        .map(|n| {
            let feed = tmp.path().join(format!("feed-{n}.jsonl"));
            series(&feed, n * 200, (n + 1) * 200);
            feed
        })
        .collect();
    let writer = {
        let dir = dir.clone();
        std::thread::spawn(move || {
            let options = IndexOptions {
                threads: Some(1),
                memory: 16 * 1024 * 1024,
                ..IndexOptions::default()
            };
            for feed in feeds {
                indexer::run(&dir, &[feed], &options, &Silent).expect("job");
            }
        })
    };
    let mut taken = Vec::new();
    while !writer.is_finished() && taken.len() < 100 {
        let out = tmp.path().join(format!("s-{}.tar", taken.len()));
        taken.push((snapshot::take(&dir, &out).expect("snapshot during commits"), out));
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    writer.join().expect("writer");
    assert!(!taken.is_empty());
    let mut counts: Vec<u64> = taken.iter().map(|(written, _)| written.articles).collect();
    counts.dedup();
    assert!(counts.len() >= 2, "snapshots were taken between commits: {counts:?}");
    for (i, (written, out)) in taken.iter().enumerate() {
        assert_eq!(
            (written.articles - base) % 200,
            0,
            "a whole number of jobs: {written:?}"
        );
        let copy = IndexDir::new(tmp.path().join(format!("copy-{i}")));
        let restored = snapshot::restore(&copy, out, false).expect("every snapshot restores");
        assert_eq!(restored.articles, written.articles);
    }
}

/// Where the data of the entry `name` starts in the tar at `path`.
fn data_offset(path: &Path, name_ends: &str) -> (u64, String) {
    let mut archive = tar::Archive::new(std::fs::File::open(path).expect("open tar"));
    for entry in archive.entries().expect("entries") {
        let entry = entry.expect("entry");
        let name = entry.path().expect("path").display().to_string();
        if name.ends_with(name_ends) && entry.size() > 100 {
            return (entry.raw_file_position(), name);
        }
    }
    panic!("no entry ending {name_ends}");
}

fn flip_byte(path: &Path, at: u64) {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .expect("open");
    file.seek(SeekFrom::Start(at)).expect("seek");
    let mut byte = [0u8];
    file.read_exact(&mut byte).expect("read");
    file.seek(SeekFrom::Start(at)).expect("seek");
    file.write_all(&[byte[0] ^ 0x20]).expect("write");
}

#[test]
fn a_damaged_or_truncated_snapshot_is_refused_and_the_live_index_is_unchanged() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let source = build(&tmp.path().join("source"), &[fixtures("posts")]);
    let live = build(&tmp.path().join("live"), &[fixtures("jsonl")]);
    let before = (listing(live.root()), count(&live), ids(&live, "上海"));
    let out = tmp.path().join("snap.tar");
    snapshot::take(&source, &out).expect("snapshot");

    let damaged = tmp.path().join("damaged.tar");
    std::fs::copy(&out, &damaged).expect("copy");
    let (at, name) = data_offset(&damaged, ".store");
    flip_byte(&damaged, at + 50);
    let (code, stdout, stderr) = xinwen(&["restore", "--index", text(live.root()), text(&damaged)]);
    assert_eq!((code, stdout.as_str()), (Some(2), ""));
    assert_eq!(
        stderr,
        format!(
            "xinwen: the snapshot {} is damaged: {name} does not match its SHA-256; nothing was restored\n",
            damaged.display()
        )
    );
    assert_eq!((listing(live.root()), count(&live), ids(&live, "上海")), before);

    // With its checksum file, a change anywhere (here in a tar header's padding) is found.
    std::fs::copy(&out, tmp.path().join("padded.tar")).expect("copy");
    std::fs::copy(tmp.path().join("snap.tar.sha256"), tmp.path().join("padded.tar.sha256")).expect("copy");
    let padded = tmp.path().join("padded.tar");
    flip_byte(&padded, std::fs::metadata(&padded).expect("size").len() - 10);
    let (code, _, stderr) = xinwen(&["restore", "--index", text(live.root()), text(&padded)]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        format!(
            "xinwen: the snapshot {} is damaged: it does not match the SHA-256 in padded.tar.sha256; nothing was \
             restored\n",
            padded.display()
        )
    );
    assert_eq!((listing(live.root()), count(&live), ids(&live, "上海")), before);

    let truncated = tmp.path().join("truncated.tar");
    let bytes = std::fs::read(&out).expect("read");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let (code, _, stderr) = xinwen(&["restore", "--index", text(live.root()), text(&truncated)]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with(&format!("xinwen: the snapshot {} is damaged: ", truncated.display()))
            // Where the cut falls (inside a file or inside a tar header) decides which read
            // fails first; either way the archive is refused as damaged.
            && stderr.ends_with("; nothing was restored\n"),
        "{stderr}"
    );
    assert_eq!((listing(live.root()), count(&live), ids(&live, "上海")), before);
}

/// A tar with a valid manifest listing one file, then `entry` (name, type, data).
fn hostile_tar(path: &Path, name: &[u8], kind: tar::EntryType) {
    let data = b"{}".to_vec();
    let manifest = SnapshotManifest {
        format: snapshot::SNAPSHOT_FORMAT,
        xinwen_version: "test".into(),
        index_format: xinwen::store::FORMAT,
        analyzer: xinwen::store::ANALYZER_VERSION.into(),
        generation: "gen-000001".into(),
        articles: 0,
        segments: vec![],
        created: "2026-01-01T00:00:00Z".into(),
        files: vec![SnapshotFile {
            path: "generation/meta.json".into(),
            bytes: data.len() as u64,
            sha256: Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect(),
        }],
    };
    let mut tar = tar::Builder::new(std::fs::File::create(path).expect("create"));
    let mut append = |name: &[u8], kind: tar::EntryType, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append(&header, data).expect("append");
    };
    let manifest_json = serde_json::to_vec(&manifest).expect("json");
    append(b"xinwen-snapshot.json", tar::EntryType::Regular, &manifest_json);
    append(b"SHA256SUMS", tar::EntryType::Regular, manifest.sums().as_bytes());
    append(name, kind, &data);
    tar.finish().expect("finish");
}

#[test]
fn a_hostile_tar_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let live = build(&tmp.path().join("live"), &[fixtures("posts")]);
    let before = (listing(live.root()), count(&live));
    let cases: [(&[u8], tar::EntryType, &str); 5] = [
        (
            b"../x",
            tar::EntryType::Regular,
            "entry \"../x\" points outside the index",
        ),
        (
            b"/etc/x",
            tar::EntryType::Regular,
            "entry \"/etc/x\" points outside the index",
        ),
        (
            b"generation/../../x",
            tar::EntryType::Regular,
            "entry \"generation/../../x\" points outside the index",
        ),
        (
            b"generation/meta.json",
            tar::EntryType::Symlink,
            "entry \"generation/meta.json\" is not a regular file (a link?)",
        ),
        (
            b"generation/extra",
            tar::EntryType::Regular,
            "entry \"generation/extra\" is not listed in its manifest",
        ),
    ];
    for (i, (name, kind, reason)) in cases.into_iter().enumerate() {
        let path = tmp.path().join(format!("hostile-{i}.tar"));
        hostile_tar(&path, name, kind);
        let (code, _, stderr) = xinwen(&["restore", "--index", text(live.root()), text(&path)]);
        assert_eq!(code, Some(2));
        assert!(
            stderr.ends_with(&format!(
                "xinwen: the snapshot {} is refused: {reason}; nothing was restored\n",
                path.display()
            )),
            "{stderr}"
        );
        assert_eq!((listing(live.root()), count(&live)), before, "{reason}");
    }
    assert!(!tmp.path().join("x").exists() && !Path::new("/etc/x").exists());
}

#[test]
fn a_snapshot_to_a_missing_directory_or_of_a_cluster_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = build(&tmp.path().join("index"), &[fixtures("posts")]);
    let out = tmp.path().join("nope/snap.tar");
    let (code, stdout, stderr) = xinwen(&["snapshot", "--index", text(dir.root()), text(&out)]);
    assert_eq!((code, stdout.as_str()), (Some(2), ""));
    assert_eq!(
        stderr,
        format!(
            "xinwen: cannot write the snapshot {}: the directory {} does not exist; nothing was written\n",
            out.display(),
            tmp.path().join("nope").display()
        )
    );
    assert_eq!(listing(tmp.path()), ["index"], "nothing is left behind");

    let (code, _, stderr) = xinwen(&["snapshot", "--backend", "manticore://127.0.0.1:9/news", text(&out)]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "xinwen: snapshot is a local index's: a cluster backend is backed up by its own engine (Manticore's \
         BACKUP, or a copy of each node's data directory)\n"
    );
    let (code, _, stderr) = xinwen(&["restore", "--backend", "manticore://127.0.0.1:9/news", text(&out)]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("xinwen: restore is a local index's"), "{stderr}");
}

#[tokio::test]
async fn http_snapshots_need_the_token_and_a_snapshot_dir_and_go_one_at_a_time() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = build(&tmp.path().join("index"), &[fixtures("posts")]);
    let backups = tmp.path().join("backups");
    std::fs::create_dir(&backups).expect("mkdir");
    let shared = Arc::new(Shared::open(dir.clone()).expect("open"));
    let enabled = ServerOptions {
        admin_token: Some("s3cret".into()),
        snapshots: Some(SnapshotTarget::new(dir.clone(), backups.clone()).expect("target")),
        ..ServerOptions::default()
    };
    let routes = xinwen::server::routes(shared.clone(), &enabled);
    let post = |auth: Option<&str>| {
        let mut request = warp::test::request()
            .method("POST")
            .path("/api/snapshots")
            .body(r#"{"path":"/tmp/elsewhere.tar"}"#);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request
    };
    let body = |reply: &warp::http::Response<warp::hyper::body::Bytes>| -> serde_json::Value {
        serde_json::from_slice(reply.body()).expect("json")
    };

    let denied = post(None).reply(&routes).await;
    assert_eq!(denied.status(), 401);
    assert_eq!(body(&denied)["error"]["code"], "unauthorized");

    let made = post(Some("Bearer s3cret")).reply(&routes).await;
    assert_eq!(made.status(), 201);
    let made = body(&made);
    let name = made["name"].as_str().expect("name").to_string();
    assert!(
        name.starts_with("xinwen-gen-000001-") && name.ends_with("Z.tar"),
        "{name}"
    );
    let path = backups.join(&name);
    assert_eq!(made["path"], text(&path));
    assert_eq!(made["articles"], count(&dir));
    assert_eq!(made["generation"], "gen-000001");
    assert_eq!(made["bytes"], std::fs::metadata(&path).expect("written").len());
    assert_eq!(made["sha256"], sha256_of(&path).as_str());
    assert!(!Path::new("/tmp/elsewhere.tar").exists(), "the body names no path");

    // A snapshot being written there (by this server or another) answers 409.
    let lock = std::fs::File::open(backups.join(".xinwen-snapshot.lock")).expect("lock file");
    lock.lock().expect("hold the lock");
    let busy = post(Some("Bearer s3cret")).reply(&routes).await;
    assert_eq!(busy.status(), 409);
    assert_eq!(
        body(&busy),
        json!({"error": {"code": "snapshot_in_progress", "message":
            format!("another snapshot is being written to {}; retry when it is done", backups.display())}})
    );
    drop(lock);

    let no_dir = xinwen::server::routes(
        shared.clone(),
        &ServerOptions {
            admin_token: Some("s3cret".into()),
            ..ServerOptions::default()
        },
    );
    let disabled = post(Some("Bearer s3cret")).reply(&no_dir).await;
    assert_eq!(disabled.status(), 403);
    assert_eq!(
        body(&disabled),
        json!({"error": {"code": "snapshots_disabled", "message":
            "snapshots are disabled: start the server with --snapshot-dir DIR"}})
    );
    let no_token = xinwen::server::routes(shared, &ServerOptions::default());
    let disabled = post(Some("Bearer s3cret")).reply(&no_token).await;
    assert_eq!(disabled.status(), 403);
    assert_eq!(body(&disabled)["error"]["code"], "admin_disabled");
}

/// On a 2 MiB tmpfs at $2 (a private mount namespace): the disk filled to 40 KiB from full,
/// then a snapshot of the index at $3 onto it.
const DISK_FULL: &str = r#"
set -u
X=$1; D=$2; IX=$3
mount -t tmpfs -o size=2m tmpfs "$D" 2>/dev/null || { echo cannot-mount; exit 0; }
avail=$(df -k --output=avail "$D" | tail -1)
dd if=/dev/zero of="$D/filler" bs=1k count=$((avail - 40)) 2>/dev/null
"$X" snapshot --index "$IX" "$D/snap.tar" >/dev/null 2>"$D/err"; echo "code=$?"
echo "err=$(cat "$D/err")"
rm "$D/err"
echo "left=$(ls -A "$D" | tr '\n' ' ')"
umount "$D"
"#;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

#[test]
fn a_snapshot_onto_a_full_disk_says_so_and_leaves_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = build(&tmp.path().join("index"), &[fixtures("posts"), fixtures("jsonl")]);
    let disk = tmp.path().join("disk");
    std::fs::create_dir(&disk).expect("mkdir");
    let mut cmd = Command::new("unshare");
    cmd.arg("--mount");
    if !is_root() {
        cmd.arg("--map-root-user");
    }
    let out = cmd
        .args([
            "sh",
            "-c",
            DISK_FULL,
            "sh",
            env!("CARGO_BIN_EXE_xinwen"),
            text(&disk),
            text(dir.root()),
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if out.is_empty() || out.starts_with("cannot-mount") {
        assert!(
            std::env::var_os("XINWEN_SKIP_MOUNT_TESTS").is_some(),
            "this test needs `unshare --mount` and a tmpfs mount: set XINWEN_SKIP_MOUNT_TESTS=1 to skip it"
        );
        eprintln!("skip: no mount namespace here (XINWEN_SKIP_MOUNT_TESTS is set)");
        return;
    }
    let value = |key: &str| -> String {
        out.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
            .unwrap_or_else(|| panic!("no {key} in:\n{out}"))
            .to_string()
    };
    assert_eq!(value("code"), "2", "{out}");
    assert_eq!(
        value("err"),
        format!(
            "xinwen: no space left on device writing the snapshot {}: its partial file was removed",
            disk.join("snap.tar").display()
        ),
        "{out}"
    );
    assert_eq!(value("left").trim(), "filler", "{out}");
}
