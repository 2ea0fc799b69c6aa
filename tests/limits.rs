//! Hostile and careless inputs on the real binary: every job ends, in time and memory that
//! do not grow with how large or how looped the input is. Growth is shown by ratios (work
//! at n against 4n) or by the peak memory of the job measured in `/proc`, never by timed
//! thresholds; a deadline here only tells a hang from an answer.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a run printed and how it ended.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary; kills it and fails the test if it has not ended after `deadline` (a
/// hang: the jobs here take about a second).
fn xinwen_within(deadline: Duration, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xinwen"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("XINWEN_LOG")
        .spawn()
        .expect("start xinwen");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("xinwen {args:?} did not end within {deadline:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const HANG: Duration = Duration::from_secs(60);

fn text(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(relative)
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn issue_14_symlink_loops_are_walked_once_and_fifos_are_rejected() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("in");
    std::fs::create_dir_all(input.join("sub")).expect("mkdir");
    std::fs::copy(fixture("posts/sh-close.md"), input.join("sh-close.md")).expect("copy");
    std::fs::copy(fixture("posts/bond-yield.md"), input.join("sub/bond-yield.md")).expect("copy");
    // Two loops: a link to the folder itself, and one from the subfolder to its parent.
    std::os::unix::fs::symlink(".", input.join("self")).expect("symlink");
    std::os::unix::fs::symlink("..", input.join("sub/up")).expect("symlink");
    let fifo = input.join("pipe.jsonl");
    mkfifo(&fifo);
    let index = tmp.path().join("index");

    let run = xinwen_within(HANG, &["index", "--index", text(&index), text(&input)]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(
        run.stdout.lines().next(),
        Some("read 3 · indexed 2 (new 2, updated 0) · unchanged 0 · deleted 0 · rejected 1"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l == "skipped 2 links to folders read already (each folder is read once)"),
        "{run:?}"
    );
    assert_eq!(
        run.stderr,
        format!("xinwen: rejected {}: not a regular file (a FIFO)\n", fifo.display())
    );

    // Named on the command line, with --prune: rejected, and nothing is deleted.
    let run = xinwen_within(
        HANG,
        &["index", "--prune", "--index", text(&index), text(&fifo), text(&input)],
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stdout.contains("deleted 0 · rejected 2"), "{run:?}");
    assert!(
        run.stdout
            .lines()
            .any(|l| l == "nothing was pruned: 2 inputs could not be read"),
        "{run:?}"
    );
}
