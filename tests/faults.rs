//! Faults of the machine, not of the input: a disk that fills up during a job, and an index
//! that cannot be written at all (a read-only mount, a restored snapshot). The disk is a
//! small tmpfs mounted in a private mount namespace (`unshare`), so nothing outside the
//! test sees it and a test that dies leaves no mount behind.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn text(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Runs `script` (sh, with `args` as $1…) in a private mount namespace: as root directly,
/// otherwise in a user namespace too. `None` when no namespace could be made here.
fn in_mount_namespace(script: &str, args: &[&str]) -> Option<String> {
    let mut cmd = Command::new("unshare");
    cmd.arg("--mount");
    if !is_root() {
        cmd.arg("--map-root-user");
    }
    let out = cmd
        .args(["sh", "-c", script, "sh"])
        .args(args)
        .env_remove("XINWEN_LOG")
        .output()
        .ok()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (!stdout.starts_with("cannot-mount")).then_some(stdout)
}

/// `None` from [`in_mount_namespace`]: fails, unless `XINWEN_SKIP_MOUNT_TESTS` is set.
fn cannot_run(test: &str) {
    assert!(
        std::env::var_os("XINWEN_SKIP_MOUNT_TESTS").is_some(),
        "{test} needs `unshare --mount` and a tmpfs mount (root, or user namespaces): set \
         XINWEN_SKIP_MOUNT_TESTS=1 to skip it where neither is allowed"
    );
    eprintln!("skip: {test}: no mount namespace here (XINWEN_SKIP_MOUNT_TESTS is set)");
}

/// On a 6 MiB tmpfs at $2: an index of the posts, the disk filled to 300 KiB from full,
/// then jobs too big for what is left, a small one, and the big one once there is room.
const DISK_FULL: &str = r#"
set -u
X=$1; D=$2; FIX=$3; FEED=$4
mount -t tmpfs -o size=6m tmpfs "$D" 2>/dev/null || { echo cannot-mount; exit 0; }
used() { df -k --output=used "$D" | tail -1 | tr -d ' '; }
"$X" index --index "$D/ix" "$FIX/posts" >/dev/null 2>&1; echo "built=$?"
avail=$(df -k --output=avail "$D" | tail -1)
dd if=/dev/zero of="$D/filler" bs=1k count=$((avail - 300)) 2>/dev/null
echo "used_before=$(used)"
"$X" index --index "$D/ix" "$FEED" >/dev/null 2>"$D/err"; echo "job=$?"
echo "job_err=$(cat "$D/err")"
echo "used_after_job=$(used)"
"$X" index --rebuild --index "$D/ix" "$FEED" >/dev/null 2>"$D/err"; echo "rebuild=$?"
echo "rebuild_err=$(cat "$D/err")"
echo "used_after_rebuild=$(used)"
echo "generations=$(ls "$D/ix" | grep gen- | tr '\n' ' ')"
"$X" index --index "$D/ix" "$FIX/jsonl" >/dev/null 2>&1; echo "small=$?"
rm "$D/filler"
"$X" index --index "$D/ix" "$FEED" >"$D/out" 2>&1; echo "roomy=$?"
echo "roomy_out=$(head -1 "$D/out")"
umount "$D"
"#;

/// The value of `key=` in the script's output.
fn value<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key} in:\n{out}"))
}

#[test]
fn issue_14_a_full_disk_fails_the_job_says_so_and_leaves_the_space_it_found() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mount = tmp.path().join("disk");
    std::fs::create_dir(&mount).expect("mkdir");
    let feed = tmp.path().join("feed.jsonl");
    let lines: Vec<String> = (0..2500)
        .map(|i| {
            let paragraph = format!("第{i}号稿件报道本市交通建设进展，编号kx{i:05}。");
            serde_json::json!({"id": format!("s-{i}"), "title": format!("合成稿件第{i}号"), "body": paragraph.repeat(12)})
                .to_string()
        })
        .collect();
    std::fs::write(&feed, lines.join("\n") + "\n").expect("write feed");
    let fixtures = fixtures();
    let args = [env!("CARGO_BIN_EXE_xinwen"), text(&mount), text(&fixtures), text(&feed)];
    let Some(out) = in_mount_namespace(DISK_FULL, &args) else {
        return cannot_run("issue_14_a_full_disk_fails_the_job_says_so_and_leaves_the_space_it_found");
    };
    assert_eq!(value(&out, "built"), "0", "{out}");
    let ix = mount.join("ix");
    let message = |generation: &str| {
        format!(
            "xinwen: no space left on device writing {}/{generation}: nothing was committed and the job's files \
             were removed; free some space and run the job again",
            ix.display()
        )
    };
    assert_eq!(
        (value(&out, "job"), value(&out, "job_err")),
        ("2", message("gen-000001").as_str()),
        "{out}"
    );
    assert_eq!(value(&out, "rebuild"), "2", "{out}");
    assert_eq!(value(&out, "rebuild_err"), message("gen-000002"), "{out}");
    // The failed jobs' files are gone: the disk is as full as before them, not fuller.
    let used_before: u64 = value(&out, "used_before").parse().expect("number");
    for after in ["used_after_job", "used_after_rebuild"] {
        let used: u64 = value(&out, after).parse().expect("number");
        assert!(
            used <= used_before + 4,
            "{after}: {used} KiB used, {used_before} before: {out}"
        );
    }
    assert_eq!(value(&out, "generations").trim(), "gen-000001", "{out}");
    assert_eq!(
        value(&out, "small"),
        "0",
        "a job that fits still runs on the full disk: {out}"
    );
    assert_eq!(value(&out, "roomy"), "0", "{out}");
    assert_eq!(
        value(&out, "roomy_out"),
        "read 2500 · indexed 2500 (new 2500, updated 0) · unchanged 0 · deleted 0 · rejected 0",
        "{out}"
    );
}

/// Binds the index at $2 read-only over itself, runs the readers on it, and serves it at
/// $4 until the file $3 appears (at most a minute).
const READ_ONLY: &str = r#"
set -u
X=$1; IX=$2; STOP=$3; ADDR=$4; OUT=$5
mount --bind "$IX" "$IX" 2>/dev/null && mount -o remount,bind,ro "$IX" 2>/dev/null || { echo cannot-mount; exit 0; }
touch "$IX/probe" 2>/dev/null && echo "probe=writable" || echo "probe=read-only"
"$X" search --index "$IX" 光伏 >"$OUT/search" 2>&1; echo "search=$?"
echo "search_out=$(tail -1 "$OUT/search")"
"$X" stats --index "$IX" >"$OUT/stats" 2>&1; echo "stats=$?"
echo "stats_out=$(head -1 "$OUT/stats")"
"$X" get --index "$IX" cls-20250613-pv >"$OUT/get" 2>&1; echo "get=$?"
"$X" index --index "$IX" "$IX/../feed.jsonl" >/dev/null 2>"$OUT/index"; echo "index=$?"
echo "index_err=$(cat "$OUT/index")"
"$X" serve --index "$IX" --addr "$ADDR" >/dev/null 2>"$OUT/serve" &
pid=$!
i=0; while [ ! -e "$STOP" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill $pid; wait $pid 2>/dev/null
echo "serve_err=$(head -1 "$OUT/serve")"
umount "$IX"
"#;

/// GET `path` from the server at `addr`: status and body, `None` while it is not up.
fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

#[test]
fn issue_14_a_read_only_index_can_be_searched_and_served() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ix = tmp.path().join("index");
    let built = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(["index", "--index", text(&ix), text(&fixtures().join("jsonl"))])
        .output()
        .expect("build the index");
    assert!(built.status.success());
    std::fs::copy(fixtures().join("jsonl/articles.jsonl"), tmp.path().join("feed.jsonl")).expect("copy");
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let stop = tmp.path().join("stop");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let args = [
        env!("CARGO_BIN_EXE_xinwen"),
        text(&ix),
        text(&stop),
        addr.as_str(),
        text(&out_dir),
    ];

    let mut cmd = Command::new("unshare");
    cmd.arg("--mount");
    if !is_root() {
        cmd.arg("--map-root-user");
    }
    let script = cmd
        .args(["sh", "-c", READ_ONLY, "sh"])
        .args(args)
        .env_remove("XINWEN_LOG")
        .stdout(std::process::Stdio::piped())
        .spawn();
    let Ok(script) = script else {
        return cannot_run("issue_14_a_read_only_index_can_be_searched_and_served");
    };
    // Query the server from outside the namespace (the network is shared) while it runs.
    let started = std::time::Instant::now();
    let mut health = None;
    while started.elapsed() < std::time::Duration::from_secs(30) {
        if let Some(answer) = http_get(&addr, "/healthz") {
            health = Some(answer);
            break;
        }
        if stop.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let search = health
        .as_ref()
        .and_then(|_| http_get(&addr, "/api/search?q=%E5%85%89%E4%BC%8F"));
    std::fs::write(&stop, "").expect("stop the server");
    let out = script.wait_with_output().expect("the script ends");
    let out = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.starts_with("cannot-mount") {
        return cannot_run("issue_14_a_read_only_index_can_be_searched_and_served");
    }
    assert_eq!(value(&out, "probe"), "read-only", "the mount refuses writes: {out}");
    assert_eq!(value(&out, "search"), "0", "{out}");
    assert_eq!(
        value(&out, "search_out").split(" (").next(),
        Some("1–1 of 1 results"),
        "{out}"
    );
    assert_eq!(
        (value(&out, "stats"), value(&out, "stats_out")),
        ("0", "articles:    16"),
        "{out}"
    );
    assert_eq!(value(&out, "get"), "0", "{out}");
    assert_eq!(
        value(&out, "index"),
        "2",
        "a writer cannot write it, and says so: {out}"
    );
    assert_eq!(
        value(&out, "index_err"),
        format!(
            "xinwen: cannot open {}/.xinwen.lock: Read-only file system (os error 30)",
            ix.display()
        ),
        "{out}"
    );
    let (status, _) = health.unwrap_or_else(|| panic!("the server did not answer: {out}"));
    assert_eq!(status, 200, "{out}");
    let (status, body) = search.expect("a search answer");
    assert_eq!(status, 200);
    assert!(body.contains("\"id\":\"cls-20250613-pv\""), "{body}");
}
