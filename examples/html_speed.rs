//! Speed of the HTML converter on real HTML: MB/s of `html_to_text` over the 2,866 raw CCTV
//! pages and over 7,000 新闻联播 stories written as HTML bodies, best of `ROUNDS` rounds.
//!
//! ```text
//! cargo run --release --example html_speed [-- ROUNDS]
//! ```
//!
//! It calls only `xinwen::post::html::html_to_text`, so the same file builds on any commit:
//! `benches/README.md` runs a build of the converter before and after a change in turns.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use flate2::read::GzDecoder;
use xinwen::post::html::html_to_text;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

/// The regular files of a gzipped tar archive (ustar, names of any length ignored).
fn tar_gz_files(path: &Path) -> std::io::Result<Vec<Vec<u8>>> {
    let mut tar = GzDecoder::new(File::open(path)?);
    let mut files = Vec::new();
    let mut header = [0u8; 512];
    loop {
        if tar.read_exact(&mut header).is_err() || header.iter().all(|&b| b == 0) {
            return Ok(files);
        }
        let size_field = String::from_utf8_lossy(&header[124..136]);
        let size = u64::from_str_radix(size_field.trim_matches(|c: char| c == '\0' || c == ' '), 8).unwrap_or(0);
        let mut body = Vec::new();
        (&mut tar).take(size.div_ceil(512) * 512).read_to_end(&mut body)?;
        body.truncate(usize::try_from(size).unwrap_or(0));
        if matches!(header[156], b'0' | 0) {
            files.push(body);
        }
    }
}

/// Every 10th 新闻联播 story as an HTML body: one indented `<p>` a paragraph, text escaped.
fn story_bodies(path: &Path, count: usize) -> std::io::Result<Vec<String>> {
    let lines = BufReader::new(GzDecoder::new(File::open(path)?)).lines();
    let mut bodies = Vec::new();
    for line in lines.step_by(10).take(count) {
        let record: serde_json::Value = serde_json::from_str(&line?).map_err(std::io::Error::other)?;
        let body = record["body"].as_str().unwrap_or_default();
        let mut html = String::from("<div class=\"text\">");
        for paragraph in body.lines() {
            let escaped = paragraph
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            html.push_str(&format!("<p>\u{3000}\u{3000}{escaped}</p>\n"));
        }
        html.push_str("</div>");
        bodies.push(html);
    }
    Ok(bodies)
}

/// The best time of `rounds` conversions of all `docs`, in seconds.
fn best_seconds(docs: &[String], rounds: usize) -> f64 {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            let chars: usize = docs.iter().map(|d| html_to_text(d).len()).sum();
            std::hint::black_box(chars);
            start.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}

fn main() -> ExitCode {
    let rounds = std::env::args().nth(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let dir = corpus();
    let pages = tar_gz_files(&dir.join("xwlb/xwlb-raw-cctv-pages-sample.tar.gz")).map(|files| {
        files
            .into_iter()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect::<Vec<_>>()
    });
    let bodies = story_bodies(&dir.join("xwlb/xwlb.jsonl.gz"), 7_000);
    let (pages, bodies) = match (pages, bodies) {
        (Ok(p), Ok(b)) => (p, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("html_speed: {}: {e}", dir.display());
            return ExitCode::from(2);
        }
    };
    for (name, docs) in [("CCTV pages", &pages), ("story bodies", &bodies)] {
        let bytes: usize = docs.iter().map(String::len).sum();
        let seconds = best_seconds(docs, rounds);
        println!(
            "{name}: {} documents, {:.1} MB, best of {rounds}: {:.3} s, {:.1} MB/s",
            docs.len(),
            bytes as f64 / 1e6,
            seconds,
            bytes as f64 / 1e6 / seconds
        );
    }
    ExitCode::SUCCESS
}
