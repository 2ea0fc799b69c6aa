//! Analyzer throughput against raw jieba-rs `cut_for_search` on the same text (criterion).
//!
//! `cargo bench --bench analysis`: MB/s of xinwen's analyzer (folding, segmentation,
//! offsets, positions, tokens as tantivy consumes them) and of jieba-rs alone, with and
//! without the HMM (tantivy-jieba's default is with), over ~4 MB of real news text (the
//! fixtures when the corpus is absent).

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tantivy::tokenizer::{TokenStream, Tokenizer};
use xinwen::analysis::ChineseAnalyzer;

fn text() -> Vec<String> {
    let input = common::subset(common::SUBSET);
    let mut texts = Vec::new();
    let mut bytes = 0;
    // Every 25th article: both subsets, long stories and short flashes.
    for (i, text) in common::texts(&input, usize::MAX).into_iter().enumerate() {
        if i % 25 == 0 {
            bytes += text.len();
            texts.push(text);
            if bytes > 4_000_000 {
                break;
            }
        }
    }
    texts
}

fn analysis(c: &mut Criterion) {
    let texts = text();
    let bytes: usize = texts.iter().map(String::len).sum();
    let jieba = jieba_rs::Jieba::new();
    let analyzer = ChineseAnalyzer::default();
    analyzer.warm_up();
    let mut group = c.benchmark_group("analysis");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("jieba_cut_for_search_hmm", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| jieba.cut_for_search(black_box(t), true).len())
                .sum::<usize>()
        })
    });
    group.bench_function("jieba_cut_for_search_no_hmm", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| jieba.cut_for_search(black_box(t), false).len())
                .sum::<usize>()
        })
    });
    group.bench_function("xinwen_analyzer", |b| {
        let mut tokenizer = analyzer.tokenizer();
        b.iter(|| {
            let mut n = 0usize;
            for t in &texts {
                let mut stream = tokenizer.token_stream(black_box(t));
                while stream.advance() {
                    n += stream.token().text.len();
                }
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, analysis);
criterion_main!(benches);
