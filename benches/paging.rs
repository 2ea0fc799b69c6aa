//! Deep paging cost (issue 12): page 1, page 100 by `offset`, and page 100 by cursor, side
//! by side in one run, for queries with thousands of hits, in relevance and date order.
//!
//! `cargo bench --bench paging` (100,000-article subset, index built once under
//! `target/bench-data/xinwen-100k`, shared with the query bench; `XINWEN_BENCH_ROUNDS`,
//! default 15, rounds of each). Prints the median milliseconds of each and the ratios.
//! Without `--bench` (`cargo test --benches`) it runs once on the fixtures.

mod common;

use std::time::Instant;

use common::*;
use xinwen::search::{Cursor, Engine, SearchRequest, Sort};
use xinwen::store::IndexDir;

/// Hits a page: page 100 is hits 991–1,000, the deepest `page=` allows at 100 a page.
const PER_PAGE: usize = 10;
const PAGE: usize = 100;

/// The cursor that asks for page `page` of `request` (walked to once, not timed).
fn cursor_to(engine: &Engine, request: &SearchRequest, page: usize) -> Option<Cursor> {
    let mut cursor = None;
    for _ in 1..page {
        let answer = engine
            .search(&SearchRequest {
                cursor: cursor.take(),
                ..request.clone()
            })
            .expect("search");
        cursor = Some(Cursor::decode(&answer.next_cursor?).expect("a cursor"));
    }
    cursor
}

/// Milliseconds one run of `request` takes.
fn time_ms(engine: &Engine, request: &SearchRequest) -> f64 {
    let started = Instant::now();
    engine.search(request).expect("search");
    started.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let rounds: usize = if smoke {
        1
    } else {
        std::env::var("XINWEN_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(15)
    };
    let (input, name, queries) = if smoke {
        (
            root().join("fixtures/jsonl/articles.jsonl"),
            "xinwen-fixtures",
            vec!["公司"],
        )
    } else {
        (subset(SUBSET), "xinwen-100k", vec!["国内", "发展 经济", "习近平"])
    };
    let engine = Engine::open(&IndexDir::new(xinwen_index(&input, name))).expect("open xinwen");
    println!(
        "| query | sort | hits | page 1 ms | page {PAGE} by offset ms | page {PAGE} by cursor ms | offset / page 1 | cursor / page 1 |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for query in queries {
        for sort in [Sort::Relevance, Sort::Date] {
            let first = SearchRequest {
                limit: PER_PAGE,
                sort,
                facets: true,
                ..SearchRequest::new(query)
            };
            let total = engine.search(&first).expect("search").total;
            let Some(cursor) = cursor_to(&engine, &first, PAGE) else {
                println!("| {query} | {sort:?} | {total} | fewer than {PAGE} pages |");
                continue;
            };
            let by_offset = SearchRequest {
                offset: (PAGE - 1) * PER_PAGE,
                ..first.clone()
            };
            let by_cursor = SearchRequest {
                cursor: Some(cursor),
                ..first.clone()
            };
            // Warm, then interleave the three so the machine's load falls on all alike.
            for request in [&first, &by_offset, &by_cursor] {
                engine.search(request).expect("search");
            }
            let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..rounds {
                a.push(time_ms(&engine, &first));
                b.push(time_ms(&engine, &by_offset));
                c.push(time_ms(&engine, &by_cursor));
            }
            let (a, b, c) = (median(&a), median(&b), median(&c));
            println!(
                "| {query} | {sort:?} | {total} | {a:.2} | {b:.2} | {c:.2} | {:.2}× | {:.2}× |",
                b / a,
                c / a
            );
        }
    }
}
