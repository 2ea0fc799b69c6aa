//! Index build: xinwen against the reference (tantivy + tantivy-jieba, documented defaults),
//! side by side in one run, each build in its own child process so peak memory is its own.
//!
//! `cargo bench --bench indexing` (rounds: `XINWEN_BENCH_ROUNDS`, default 3; articles:
//! `XINWEN_BENCH_ARTICLES`, default 100,000). Prints articles/s, MB/s of text, peak RSS and
//! index size for each build, medians over the rounds, and the ratios.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use common::*;

fn xinwen_build(input: &Path, dir: &Path) -> xinwen::indexer::IndexReport {
    xinwen::indexer::run(
        &xinwen::store::IndexDir::new(dir),
        &[input.to_path_buf()],
        &xinwen::indexer::IndexOptions::default(),
        &xinwen::indexer::Silent,
    )
    .expect("xinwen build")
}

fn child(which: &str, input: &Path, dir: &Path) {
    if which == "rerun" {
        // The incremental job a newsroom runs every few minutes, on an unchanged corpus.
        xinwen_build(input, dir);
        let started = Instant::now();
        let report = xinwen_build(input, dir);
        assert_eq!(report.new + report.updated, 0, "nothing changed");
        println!(
            "{{\"articles\":{},\"secs\":{},\"peak_kib\":{},\"bytes\":0}}",
            report.unchanged,
            started.elapsed().as_secs_f64(),
            peak_rss_kib()
        );
        return;
    }
    let started = Instant::now();
    let articles = match which {
        "reference" => build_reference(input, dir),
        _ => xinwen_build(input, dir).total as usize,
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{{\"articles\":{articles},\"secs\":{secs},\"peak_kib\":{},\"bytes\":{}}}",
        peak_rss_kib(),
        dir_size(dir)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        child(&args[pos + 1], Path::new(&args[pos + 2]), Path::new(&args[pos + 3]));
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --benches` runs benches once as tests: a tiny build keeps them from rotting.
        let tmp = tempfile::tempdir().expect("tempdir");
        let input = root().join("fixtures/jsonl/articles.jsonl");
        assert!(build_reference(&input, tmp.path()) > 0);
        return;
    }
    let rounds: usize = std::env::var("XINWEN_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let articles: usize = std::env::var("XINWEN_BENCH_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SUBSET);
    let input = subset(articles);
    let text_mb = texts(&input, usize::MAX).iter().map(|t| t.len()).sum::<usize>() as f64 / 1e6;
    eprintln!(
        "input {} ({text_mb:.1} MB of title+body text), {rounds} rounds",
        input.display()
    );
    let exe = std::env::current_exe().expect("current exe");
    let mut results: Vec<(&str, Vec<serde_json::Value>)> =
        vec![("reference", Vec::new()), ("xinwen", Vec::new()), ("rerun", Vec::new())];
    for round in 0..rounds {
        for (which, runs) in results.iter_mut() {
            let tmp = tempfile::tempdir().expect("tempdir");
            let dir = tmp.path().join("ix");
            if *which == "reference" {
                std::fs::create_dir_all(&dir).expect("mkdir");
            }
            let out = Command::new(&exe)
                .args([
                    "--child",
                    which,
                    &input.display().to_string(),
                    &dir.display().to_string(),
                ])
                .output()
                .expect("run child");
            assert!(
                out.status.success(),
                "{which} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8_lossy(&out.stdout);
            let v: serde_json::Value = serde_json::from_str(line.trim()).expect("child output");
            eprintln!("round {round} {which}: {v}");
            runs.push(v);
        }
    }
    let summary = |runs: &[serde_json::Value]| {
        let secs: Vec<f64> = runs.iter().map(|v| v["secs"].as_f64().unwrap_or(f64::NAN)).collect();
        let peak: Vec<f64> = runs
            .iter()
            .map(|v| v["peak_kib"].as_f64().unwrap_or(0.0) / 1024.0)
            .collect();
        let bytes: Vec<f64> = runs
            .iter()
            .map(|v| v["bytes"].as_f64().unwrap_or(0.0) / (1024.0 * 1024.0))
            .collect();
        let n = runs.first().and_then(|v| v["articles"].as_f64()).unwrap_or(0.0);
        (n, median(&secs), median(&peak), median(&bytes))
    };
    let (rn, rs, rp, rb) = summary(&results[0].1);
    let (xn, xs, xp, xb) = summary(&results[1].1);
    println!("| build | articles | median s | articles/s | MB/s text | peak RSS MiB | index MiB |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| reference (tantivy-jieba) | {rn} | {rs:.2} | {:.0} | {:.1} | {rp:.0} | {rb:.0} |",
        rn / rs,
        text_mb / rs
    );
    println!(
        "| xinwen | {xn} | {xs:.2} | {:.0} | {:.1} | {xp:.0} | {xb:.0} |",
        xn / xs,
        text_mb / xs
    );
    println!(
        "ratios xinwen/reference: speed {:.2}×, peak memory {:.2}×, index size {:.2}×",
        (xn / xs) / (rn / rs),
        xp / rp,
        xb / rb
    );
    let (_, us, _, _) = summary(&results[2].1);
    println!(
        "no-change incremental run (all {xn} articles unchanged): median {us:.2} s, {:.1}× faster than the build",
        xs / us
    );
}
