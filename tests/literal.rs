//! Literal recall (issue 10): every string that occurs in an article finds it, quoted or
//! bare, however jieba cut it there, while whole-word matches still rank first. Ranking
//! orders on `fixtures/literal/`, a property test over every fixture, and a corpus test
//! against a ground truth computed by scanning real articles.

mod common;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::LazyLock;

use common::{build_index, corpus, fixture, good_inputs};
use proptest::prelude::*;
use tempfile::TempDir;
use xinwen::literal::normalize;
use xinwen::post::Article;
use xinwen::search::{Engine, SearchRequest};

struct Fixtures {
    _tmp: TempDir,
    engine: Engine,
    articles: Vec<Article>,
}

/// Every fixture article (posts, JSONL, literal) in one index, with the articles as read.
static FIXTURES: LazyLock<Fixtures> = LazyLock::new(|| {
    let mut inputs = good_inputs();
    inputs.push(fixture("literal"));
    let (tmp, dir, report) = build_index(&inputs);
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    let engine = Engine::open(&dir).expect("open the fixture index");
    let mut articles = Vec::new();
    for entry in std::fs::read_dir(fixture("posts")).expect("fixtures/posts") {
        let path = entry.expect("a fixture entry").path();
        let bytes = std::fs::read(&path).expect("read a post");
        articles.push(xinwen::post::parse_post_bytes(&path, &bytes).expect("a good post"));
    }
    for file in [
        "jsonl/articles.jsonl",
        "literal/articles.jsonl",
        "jsonl/flashes.jsonl.gz",
    ] {
        let raw = std::fs::read(fixture(file)).expect("read a JSONL fixture");
        let mut text = String::new();
        if file.ends_with(".gz") {
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw[..]), &mut text)
                .expect("gunzip the flashes");
        } else {
            text = String::from_utf8(raw).expect("UTF-8");
        }
        articles.extend(
            text.lines()
                .map(|l| xinwen::post::jsonl::parse_line(l).expect("a good line")),
        );
    }
    Fixtures {
        _tmp: tmp,
        engine,
        articles,
    }
});

/// Every id `query` finds on `engine` (paged, without snippets), best first.
fn all_ids(engine: &Engine, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    loop {
        let request = SearchRequest {
            limit: 100,
            offset: ids.len(),
            snippet_chars: 0,
            ..SearchRequest::new(query)
        };
        let response = engine
            .search(&request)
            .unwrap_or_else(|e| panic!("search {query:?}: {e}"));
        let page = response.hits.len();
        ids.extend(response.hits.into_iter().map(|h| h.id));
        if page < 100 || ids.len() >= response.total || ids.len() + 100 > 10_000 {
            return ids;
        }
    }
}

/// Only `fixtures/literal/`, for exact orders that other fixtures' words would not disturb.
static LITERAL: LazyLock<(TempDir, Engine)> = LazyLock::new(|| {
    let (tmp, dir, report) = build_index(&[fixture("literal")]);
    assert_eq!(report.rejected, 0, "{:?}", report.rejections);
    let engine = Engine::open(&dir).expect("open the literal fixture index");
    (tmp, engine)
});

/// Every id `query` finds among `fixtures/literal/`, best first.
fn ids(query: &str) -> Vec<String> {
    all_ids(&LITERAL.1, query)
}

/// Every id `query` finds among all the fixtures.
fn all_fixture_ids(query: &str) -> Vec<String> {
    all_ids(&FIXTURES.engine, query)
}

/// The ids of the articles whose title, a tag or the body contains `literal` once both
/// are folded to their word characters: the ground truth, by scanning.
fn containing<'a>(articles: impl IntoIterator<Item = &'a Article>, literal: &str) -> BTreeSet<String> {
    let needle = normalize(literal);
    articles
        .into_iter()
        .filter(|a| {
            std::iter::once(&a.title)
                .chain(&a.tags)
                .chain(std::iter::once(&a.body))
                .any(|t| normalize(t).contains(&needle))
        })
        .map(|a| a.id.clone())
        .collect()
}

fn set(ids: &[String]) -> BTreeSet<String> {
    ids.iter().cloned().collect()
}

#[test]
fn issue_10_a_whole_word_ranks_above_a_match_across_words() {
    // 民生 is a word in the first, 人民|生活 in the second; 国内 likewise (中国|内地).
    assert_eq!(ids("民生"), ["minsheng-word", "minsheng-cross"]);
    assert_eq!(ids("国内"), ["domestic-word", "mainland-cross"]);
}

#[test]
fn reform_and_opening_ranks_whole_words_first_whatever_the_cut() {
    assert_eq!(ids("改革开放"), ["reform-whole", "reform-push", "reform-deepen"]);
    assert_eq!(ids("\"改革开放\""), ["reform-whole", "reform-push", "reform-deepen"]);
}

#[test]
fn issue_10_a_quoted_string_may_start_and_end_inside_words() {
    assert_eq!(ids("\"席欢迎仪\""), ["state-visit"]);
    assert_eq!(ids("\"院院长\""), ["academy-head"]);
    let response = LITERAL.1.search(&SearchRequest::new("\"席欢迎仪\"")).expect("search");
    assert_eq!(
        response.hits[0].snippet_html,
        "国家主<mark>席欢迎仪</mark>式在人民大会堂北大厅举行，随后两国领导人举行会谈。"
    );
}

#[test]
fn issue_10_a_string_across_words_is_found_bare() {
    assert_eq!(ids("一千亿"), ["trillion-fund"]);
    assert_eq!(ids("的决定"), ["board-decision"]);
}

#[test]
fn issue_10_characters_typed_apart_find_the_joined_word() {
    assert_eq!(ids("国务 院"), ["state-council"]);
    assert_eq!(ids("科学 院"), ["academy-head"]);
    assert_eq!(ids("国务 院"), ids("国务院"));
}

#[test]
fn a_quoted_string_never_runs_from_the_title_into_a_tag_or_the_body() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let input = tmp.path().join("seams.jsonl");
    let lines = [
        r#"{"id":"title-body","title":"会议强调深化改革","body":"开放是发展的必由之路。"}"#,
        r#"{"id":"title-tag","title":"会议强调深化改革","tags":["开放型经济"],"body":"会议今天举行。"}"#,
        r#"{"id":"whole","title":"会议谈改革开放","body":"会议今天举行。"}"#,
    ];
    std::fs::write(&input, lines.join("\n")).expect("write the articles");
    let (_index_tmp, dir, report) = build_index(&[input]);
    assert_eq!(report.rejected, 0);
    let engine = Engine::open(&dir).expect("open the index");
    // 改革开放: 改革 (0) and 开放 (2) would chain across a seam without tantivy's gap.
    assert_eq!(all_ids(&engine, "\"改革开放\""), ["whole"]);
    assert_eq!(all_ids(&engine, "\"深化改革开放\""), Vec::<String>::new());
}

#[test]
fn issue_10_a_literal_across_punctuation_is_highlighted_where_it_occurs() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let input = tmp.path().join("comma.jsonl");
    let line =
        r#"{"id":"comma","title":"国务院，院长会见来宾","body":"今天上午，会议由国务院、院长主持，研究了有关问题。"}"#;
    std::fs::write(&input, line).expect("write the article");
    let (_index_tmp, dir, report) = build_index(&[input]);
    assert_eq!(report.rejected, 0);
    let engine = Engine::open(&dir).expect("open the index");
    let response = engine.search(&SearchRequest::new("\"院院长\"")).expect("search");
    assert_eq!(response.hits.len(), 1);
    assert_eq!(response.hits[0].title_html, "国务<mark>院，院长</mark>会见来宾");
    assert_eq!(
        response.hits[0].snippet_html,
        "今天上午，会议由国务<mark>院、院长</mark>主持，研究了有关问题。"
    );
}

#[test]
fn issue_10_full_width_percent_and_point_fold_like_ascii() {
    for query in ["6.2%", "6.2％", "６．２％", "\"6.2％\""] {
        assert_eq!(id_set(query), ["growth-fullwidth", "growth-halfwidth"], "{query}");
    }
}

#[test]
fn iphone_with_and_without_a_space_are_the_same() {
    for query in ["iPhone 15", "iPhone15", "\"iPhone 15\"", "\"iphone15\""] {
        assert_eq!(id_set(query), ["phone-joined", "phone-spaced"], "{query}");
    }
}

fn id_set(query: &str) -> Vec<String> {
    let mut ids = ids(query);
    ids.sort();
    ids
}

/// A quote character would end the phrase the test types.
fn has_quote(s: &str) -> bool {
    s.contains(['"', '“', '”', '「', '」', '＂'])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any 2–12 characters of a title or body, quoted, find exactly the articles that
    /// contain them (after folding), their own article included.
    #[test]
    fn issue_10_any_substring_quoted_finds_exactly_its_articles(
        pick in any::<prop::sample::Index>(),
        in_title in any::<bool>(),
        at in any::<prop::sample::Index>(),
        len in 2usize..=12,
    ) {
        let articles = &FIXTURES.articles;
        let article = pick.get(articles);
        let text: Vec<char> = if in_title { &article.title } else { &article.body }.chars().collect();
        prop_assume!(text.len() >= len);
        let start = at.index(text.len() - len + 1);
        let s: String = text[start..start + len].iter().collect();
        prop_assume!(!has_quote(&s) && normalize(&s).chars().count() >= 1);
        let found = set(&all_fixture_ids(&format!("\"{s}\"")));
        prop_assert!(found.contains(&article.id), "{s:?} misses {}", article.id);
        prop_assert_eq!(found, containing(articles, &s), "{:?}", s);
    }

    /// One to three consecutive Chinese words of an article, typed together, find every
    /// article that contains them.
    #[test]
    fn issue_10_bare_words_find_every_article_containing_them(
        pick in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        words in 1usize..=3,
    ) {
        let articles = &FIXTURES.articles;
        let article = pick.get(articles);
        let s = FIXTURES.engine.analyzer().analyze(&article.body);
        let mains: Vec<_> = s.iter().filter(|p| p.main).collect();
        prop_assume!(mains.len() >= words);
        let first = at.index(mains.len() - words + 1);
        let run = &mains[first..first + words];
        // Consecutive in the text (nothing between them) and Chinese: Latin words and
        // numbers keep word semantics (`15` does not find 2015).
        prop_assume!(run.windows(2).all(|w| w[0].end == w[1].start));
        prop_assume!(run.iter().all(|p| !p.text.is_ascii()));
        let typed = &article.body[run[0].start..run[words - 1].end];
        let found = set(&all_fixture_ids(typed));
        let expected = containing(articles, typed);
        prop_assert!(expected.is_subset(&found), "{typed:?}: {:?} missing", expected.difference(&found).collect::<Vec<_>>());
    }
}

/// A small deterministic generator (xorshift64*): the same queries on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

/// Every `step`-th article of the 新闻联播 and flash files, up to `max`.
fn sample_articles(corpus: &Path, step: usize, max: usize) -> Vec<Article> {
    let mut out = Vec::new();
    for file in ["xwlb/xwlb.jsonl.gz", "finflash/finflash.jsonl.gz"] {
        let gz = flate2::read::GzDecoder::new(File::open(corpus.join(file)).expect("open a corpus file"));
        for line in BufReader::new(gz).lines().step_by(step) {
            if out.len() >= max {
                return out;
            }
            if let Ok(article) = xinwen::post::jsonl::parse_line(&line.expect("read a corpus line")) {
                out.push(article);
            }
        }
    }
    out
}

/// Shares of one kind of query: how many found every article containing the string, the
/// articles found among those containing it, and quoted results that do not contain it.
#[derive(Default, Debug)]
struct Tally {
    queries: usize,
    complete: usize,
    truth: usize,
    found: usize,
    results: usize,
    wrong: usize,
}

impl Tally {
    fn add(&mut self, truth: &BTreeSet<String>, found: &BTreeSet<String>) {
        self.queries += 1;
        self.truth += truth.len();
        let hit = truth.intersection(found).count();
        self.found += hit;
        self.complete += usize::from(hit == truth.len());
        self.results += found.len();
        self.wrong += found.difference(truth).count();
    }

    fn complete_share(&self) -> f64 {
        self.complete as f64 / self.queries.max(1) as f64
    }

    fn wrong_share(&self) -> f64 {
        self.wrong as f64 / self.results.max(1) as f64
    }

    fn line(&self, name: &str) -> String {
        format!(
            "{name}: {} queries, {:.3} find every article, article recall {:.3}, {} of {} results without the string ({:.4})",
            self.queries,
            self.complete_share(),
            self.found as f64 / self.truth.max(1) as f64,
            self.wrong,
            self.results,
            self.wrong_share()
        )
    }
}

/// 500 strings drawn from real articles (1–3 consecutive words, bare and quoted; 2–8
/// character runs, quoted) against the articles containing them, by scanning. Articles:
/// `XINWEN_LITERAL_ARTICLES` (default 3,000, every 25th); the closing note's 20,000 come
/// from `XINWEN_LITERAL_ARTICLES=20000 cargo test --release --test literal corpus -- --nocapture`.
#[test]
fn issue_10_corpus_strings_find_every_article_that_contains_them() {
    let Some(corpus) = corpus() else { return };
    let max: usize = std::env::var("XINWEN_LITERAL_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let articles = sample_articles(&corpus, (75_000 / max).max(1), max);
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let input = tmp.path().join("sample.jsonl");
    let mut w = std::io::BufWriter::new(File::create(&input).expect("create the sample"));
    for a in &articles {
        let line = serde_json::json!({"id": a.id, "title": a.title, "body": a.body, "tags": a.tags});
        writeln!(w, "{line}").expect("write the sample");
    }
    w.flush().expect("flush the sample");
    drop(w);
    let (_index_tmp, dir, report) = build_index(&[input]);
    assert_eq!(report.rejected, 0);
    let engine = Engine::open(&dir).expect("open the sample index");
    let analyzer = engine.analyzer().clone();
    let mut rng = Rng(0x1010_2026);
    let (mut bare, mut quoted, mut fragments) = (Tally::default(), Tally::default(), Tally::default());
    let mut attempts = 0;
    while bare.queries + fragments.queries < 500 && attempts < 20_000 {
        attempts += 1;
        let article = &articles[rng.below(articles.len())];
        let body = &article.body;
        if attempts % 3 == 0 {
            // An arbitrary run of 2–8 word characters inside the body.
            let chars: Vec<(usize, char)> = body.char_indices().collect();
            let len = 2 + rng.below(7);
            if chars.len() <= len {
                continue;
            }
            let start = rng.below(chars.len() - len);
            let run = &chars[start..start + len];
            if !run.iter().all(|&(_, c)| c.is_alphanumeric() && !c.is_ascii()) {
                continue;
            }
            let end = chars.get(start + len).map_or(body.len(), |&(i, _)| i);
            let s = &body[run[0].0..end];
            let truth = containing(&articles, s);
            if truth.len() > 1000 {
                continue;
            }
            fragments.add(&truth, &set(&all_ids(&engine, &format!("\"{s}\""))));
            continue;
        }
        let pieces = analyzer.analyze(body);
        let mains: Vec<_> = pieces.iter().filter(|p| p.main).collect();
        let words = 1 + rng.below(3);
        if mains.len() <= words {
            continue;
        }
        let first = rng.below(mains.len() - words);
        let run = &mains[first..first + words];
        if !run.windows(2).all(|w| w[0].end == w[1].start) || !run.iter().all(|p| !p.text.is_ascii()) {
            continue;
        }
        let s = &body[run[0].start..run[words - 1].end];
        let truth = containing(&articles, s);
        if truth.len() > 1000 {
            continue;
        }
        // A bare query means each of its words (上海股市: 上海 and 股市, apart too), so only
        // recall is asked of it; its results without the whole string are printed.
        bare.add(&truth, &set(&all_ids(&engine, s)));
        quoted.add(&truth, &set(&all_ids(&engine, &format!("\"{s}\""))));
    }
    println!("{} articles", articles.len());
    println!("{}", bare.line("bare words"));
    println!("{}", quoted.line("quoted words"));
    println!("{}", fragments.line("quoted fragments"));
    assert!(
        bare.queries >= 200 && fragments.queries >= 100,
        "{bare:?} {fragments:?}"
    );
    assert!(bare.complete_share() >= 0.99, "{}", bare.line("bare words"));
    assert!(quoted.complete_share() >= 0.99, "{}", quoted.line("quoted words"));
    assert!(
        fragments.complete_share() >= 0.97,
        "{}",
        fragments.line("quoted fragments")
    );
    assert!(quoted.wrong_share() < 0.01, "{}", quoted.line("quoted words"));
    assert!(fragments.wrong_share() < 0.01, "{}", fragments.line("quoted fragments"));
}
