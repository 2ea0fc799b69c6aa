//! Real news at scale, read at run time from `../shared/corpus` (see its README; nothing of
//! it is copied into the project): 10,000 articles indexed and found again by their own
//! titles, every raw CCTV page through the HTML extractor, thousands of articles written as
//! Jekyll posts and read back, and the finews posts with their oddities. Each test skips
//! with a note when the corpus is absent, and fails then when `XINWEN_REQUIRE_CORPUS` is set.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use common::corpus;
use flate2::read::GzDecoder;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use xinwen::PostError;
use xinwen::indexer::{self, IndexOptions, Silent};
use xinwen::post::html::html_to_text;
use xinwen::post::jsonl::parse_line;
use xinwen::post::{Article, parse_post};
use xinwen::search::snippet::escape_html;
use xinwen::search::{Engine, Hit, SearchRequest};
use xinwen::store::IndexDir;

const XWLB: &str = "xwlb/xwlb.jsonl.gz";
const FINFLASH: &str = "finflash/finflash.jsonl.gz";
const CCTV_PAGES: &str = "xwlb/xwlb-raw-cctv-pages-sample.tar.gz";
const FINEWS: &str = "finews/finews.jsonl.gz";
const FINEWS_POSTS: &str = "finews/finews-raw-posts.tar.gz";

/// Articles indexed from each big subset (the issue asks for at least 10,000 in all).
const PER_SUBSET: usize = 5_000;
/// Every 14th story: 5,000 of the 74,545 reach from 2012 into 2025.
const XWLB_STEP: usize = 14;
/// Every 20th flash: 5,000 of the 102,729 cover all three sources and the whole period.
const FINFLASH_STEP: usize = 20;
/// Titles searched, and the share that must find their article in the top 3.
const TITLE_QUERIES: usize = 500;
const MIN_TOP3_RATE: f64 = 0.95;
/// Articles written as Jekyll posts and read back.
const ROUND_TRIPS: usize = 3_000;
/// Pages in the CCTV sample (README).
const CCTV_PAGE_COUNT: usize = 2_866;
/// CCTV pages whose story is also in `xwlb.jsonl.gz` (2,567 of the 2,866: the pages come
/// from another archive, which also has stories the program list lacks).
const MIN_CCTV_IN_XWLB: usize = 2_500;
/// Share of those pages whose text must hold the story's first paragraph as `xwlb.jsonl.gz`
/// has it. The 3 of 2,567 that do not are the source's doing: an empty `content_area`, a
/// page without one, a page whose story starts differently from the program list's.
const MIN_CCTV_STORY_RATE: f64 = 0.99;

/// The lines of a gzipped JSONL file.
fn gz_lines(path: &Path) -> impl Iterator<Item = String> {
    let shown = path.display().to_string();
    let file = File::open(path).unwrap_or_else(|e| panic!("open {shown}: {e}"));
    BufReader::with_capacity(1 << 16, GzDecoder::new(file))
        .lines()
        .map(move |line| line.unwrap_or_else(|e| panic!("read {shown}: {e}")))
}

/// The indexed sample, as raw JSONL lines: every 14th story and every 20th flash, 5,000 of
/// each, read once per test binary.
static SAMPLE: LazyLock<Vec<String>> = LazyLock::new(|| {
    let dir = corpus().expect("the corpus is present");
    let mut lines = Vec::with_capacity(2 * PER_SUBSET);
    for (file, step) in [(XWLB, XWLB_STEP), (FINFLASH, FINFLASH_STEP)] {
        let before = lines.len();
        lines.extend(gz_lines(&dir.join(file)).step_by(step).take(PER_SUBSET));
        assert_eq!(lines.len() - before, PER_SUBSET, "{file} is shorter than expected");
    }
    lines
});

/// A sampled line: the record as published and as xinwen's JSONL reader sees it.
struct Record {
    raw: Value,
    article: Article,
}

impl Record {
    fn parse(line: &str) -> Record {
        Record {
            raw: serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")),
            article: parse_line(line).unwrap_or_else(|e| panic!("{e}: {line}")),
        }
    }

    fn raw_str(&self, key: &str) -> Option<&str> {
        self.raw[key].as_str()
    }

    /// The headline as published, when there is one.
    fn raw_title(&self) -> Option<&str> {
        self.raw_str("title").filter(|t| !t.trim().is_empty())
    }
}

/// `count` records with a published headline, spread evenly over the sample.
fn titled_records(count: usize) -> Vec<Record> {
    let titled: Vec<Record> = SAMPLE
        .iter()
        .map(|line| Record::parse(line))
        .filter(|r| r.raw_title().is_some())
        .collect();
    assert!(titled.len() >= count, "only {} titled records", titled.len());
    let step = titled.len() / count;
    titled.into_iter().step_by(step).take(count).collect()
}

#[test]
fn ten_thousand_real_articles_are_found_by_their_own_titles() {
    if corpus().is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("create a temporary directory");
    let input = tmp.path().join("sample.jsonl");
    let mut out = BufWriter::new(File::create(&input).expect("create the sample file"));
    for line in SAMPLE.iter() {
        writeln!(out, "{line}").expect("write the sample");
    }
    out.flush().expect("write the sample");
    drop(out);

    let dir = IndexDir::new(tmp.path().join("index"));
    let report = indexer::run(&dir, &[input], &IndexOptions::default(), &Silent).expect("index the sample");
    assert_eq!(
        report.rejected,
        0,
        "{:?}",
        &report.rejections[..report.rejections.len().min(5)]
    );
    assert_eq!(
        report.total,
        SAMPLE.len() as u64,
        "every sampled article is in the index"
    );
    let engine = Engine::open(&dir).expect("open the index");

    let records = titled_records(TITLE_QUERIES);
    let (mut top1, mut top3) = (0, 0);
    let mut misses = Vec::new();
    for record in &records {
        let query = record.raw_title().unwrap_or_default();
        let article = &record.article;
        // A syndicated or recurring headline (国内联播快讯) is found when any copy is.
        let found = |hit: &Hit| hit.id == article.id || hit.title == article.title;
        let search = |limit| {
            engine.search(&SearchRequest {
                query: query.to_string(),
                limit,
                snippet_chars: 0,
                ..SearchRequest::new("")
            })
        };
        let response = match search(3) {
            Ok(response) => response,
            Err(e) => {
                misses.push(format!("{} {query:?}: search failed: {e}", article.id));
                continue;
            }
        };
        match response.hits.iter().position(found) {
            Some(0) => {
                top1 += 1;
                top3 += 1;
            }
            Some(_) => top3 += 1,
            None => {
                let own = search(100)
                    .ok()
                    .and_then(|r| r.hits.iter().position(found))
                    .map_or("beyond 100".to_string(), |i| (i + 1).to_string());
                let first = response.hits.first().map_or("nothing".to_string(), |h| {
                    format!("{} {:?} ({:.2})", h.id, h.title, h.score)
                });
                misses.push(format!(
                    "{} {query:?}: own rank {own}{}; first: {first}",
                    article.id,
                    if response.relaxed { " (relaxed)" } else { "" }
                ));
            }
        }
    }
    let n = records.len();
    let rate = top3 as f64 / n as f64;
    eprintln!(
        "title → own article: top 3 {top3}/{n} ({:.1}%), rank 1 {top1}/{n} ({:.1}%), over {} indexed articles",
        100.0 * rate,
        100.0 * top1 as f64 / n as f64,
        report.total
    );
    for miss in misses.iter().take(10) {
        eprintln!("  miss: {miss}");
    }
    assert!(
        rate >= MIN_TOP3_RATE,
        "only {top3}/{n} titles found their article in the top 3; misses:\n{}",
        misses.join("\n")
    );
}

/// Whitespace as `html_to_text` collapses it: per line, runs of whitespace (including
/// U+3000, NBSP and zero-width spaces) become one space, control characters vanish, empty
/// lines go.
fn collapse(text: &str) -> String {
    let is_space = |c: char| c.is_whitespace() || matches!(c, '\u{200B}' | '\u{FEFF}');
    text.split(['\n', '\r'])
        .map(|line| {
            let visible: String = line.chars().filter(|&c| is_space(c) || !c.is_control()).collect();
            visible
                .split(is_space)
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A record written as the seed site writes posts: the title pasted raw between double
/// quotes (no escaping: titles with `"` need the lenient front matter reader), the date in
/// China time with its offset, tags as a YAML list, the body as one line of `<p>`
/// paragraphs, then the source link and the navigation line. Returns the post's path.
fn render_post(record: &Record, text: &mut String) -> PathBuf {
    let raw = &record.raw;
    let id = record.raw_str("id").unwrap_or_default();
    let category = record.article.categories.first().map_or("news", String::as_str);
    let date = record
        .raw_str("date")
        .and_then(|d| OffsetDateTime::parse(d, &Rfc3339).ok())
        .map(|d| d.to_offset(offset!(+8)));
    text.clear();
    text.push_str("---\nlayout: post\n");
    let _ = writeln!(text, "title: \"{}\"", record.raw_title().unwrap_or_default());
    if let Some(date) = date {
        let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] +0800");
        let _ = writeln!(text, "date: {}", date.format(format).expect("format a date"));
    }
    let values = |key: &str| -> Vec<&str> {
        raw[key]
            .as_array()
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    match values("categories").as_slice() {
        [] => {}
        [one] => {
            let _ = writeln!(text, "categories: {one}");
        }
        many => {
            let _ = writeln!(text, "categories: [{}]", many.join(", "));
        }
    }
    let tags = values("tags");
    if !tags.is_empty() {
        text.push_str("tags:\n");
        for tag in tags {
            let _ = writeln!(text, "  - \"{tag}\"");
        }
    }
    text.push_str("---\n");
    for paragraph in record.raw_str("body").unwrap_or_default().split('\n') {
        if !paragraph.trim().is_empty() {
            let _ = write!(text, "<p>{}</p>", escape_html(paragraph));
        }
    }
    let _ = write!(
        text,
        "\n\n<{}>\n\n[返回{category}](//finews.withounder.com/category/{category}.html)｜[返回首页](//finews.withounder.com/)\n",
        record.raw_str("url").unwrap_or_default()
    );
    let day = date.map_or("1970-01-01".to_string(), |d| d.date().to_string());
    PathBuf::from(format!("_posts/{day}-{id}.md"))
}

/// Field-by-field differences, counted, with a few examples each.
#[derive(Default)]
struct Differences(BTreeMap<String, (usize, Vec<String>)>);

impl Differences {
    fn check<T: PartialEq + std::fmt::Debug>(&mut self, field: &str, id: &str, got: &T, expected: &T) {
        if got != expected {
            let entry = self.0.entry(field.to_string()).or_default();
            entry.0 += 1;
            if entry.1.len() < 3 {
                entry.1.push(format!("{id}: got {got:?}, expected {expected:?}"));
            }
        }
    }

    fn report(&self) -> String {
        let mut out = String::new();
        for (field, (count, examples)) in &self.0 {
            let _ = writeln!(out, "{field}: {count} differ");
            for example in examples {
                let _ = writeln!(out, "    {}", truncate(example, 400));
            }
        }
        out
    }
}

fn truncate(s: &str, chars: usize) -> String {
    match s.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

#[test]
fn corpus_articles_written_as_jekyll_posts_read_back_the_same() {
    if corpus().is_none() {
        return;
    }
    let records = titled_records(ROUND_TRIPS);
    let mut post_vs_source = Differences::default();
    let mut jsonl_vs_source = Differences::default();
    let mut rejected = Vec::new();
    let mut lenient = 0;
    let mut text = String::new();
    for record in &records {
        let path = render_post(record, &mut text);
        let id = record.raw_str("id").unwrap_or_default();
        let title = collapse(record.raw_title().unwrap_or_default());
        let body = collapse(record.raw_str("body").unwrap_or_default());
        let date = record
            .raw_str("date")
            .and_then(|d| OffsetDateTime::parse(d, &Rfc3339).ok());
        let url = record.raw_str("url").map(str::to_string).filter(|u| !u.is_empty());

        // The JSONL reader is the reference for lists (its comma-splitting rule is the
        // library's); title, body, date and url are compared with the source itself.
        let jsonl = &record.article;
        lenient += usize::from(title.contains('"') || jsonl.tags.iter().any(|t| t.contains('"')));
        jsonl_vs_source.check("title", id, &jsonl.title, &title);
        jsonl_vs_source.check("body", id, &collapse(&jsonl.body), &body);

        let post = match parse_post(&path, &text) {
            Ok(post) => post,
            Err(e) => {
                rejected.push(format!("{id}: {e}\n{}", truncate(&text, 600)));
                continue;
            }
        };
        post_vs_source.check("id", id, &post.id.as_str(), &id);
        post_vs_source.check("title", id, &post.title, &title);
        post_vs_source.check("date", id, &post.date, &date);
        post_vs_source.check("url", id, &post.url, &url);
        post_vs_source.check("tags", id, &post.tags, &jsonl.tags);
        post_vs_source.check("categories", id, &post.categories, &jsonl.categories);
        post_vs_source.check("body", id, &collapse(&post.body), &body);
    }
    eprintln!(
        "posts read back: {} of {} ({} with a `\"` in the title or a tag), post≠source fields: {}, jsonl≠source fields: {}",
        records.len() - rejected.len(),
        records.len(),
        lenient,
        post_vs_source.0.values().map(|(n, _)| n).sum::<usize>(),
        jsonl_vs_source.0.values().map(|(n, _)| n).sum::<usize>(),
    );
    assert!(lenient > 0, "the sample no longer has a title or tag with a `\"` in it");
    assert!(
        rejected.is_empty(),
        "{} posts rejected:\n{}",
        rejected.len(),
        rejected.join("\n")
    );
    assert!(
        post_vs_source.0.is_empty(),
        "posts read back differently:\n{}",
        post_vs_source.report()
    );
    assert!(
        jsonl_vs_source.0.is_empty(),
        "JSONL lines read differently from their source:\n{}",
        jsonl_vs_source.report()
    );
}

/// A small reader of (gzipped) tar archives: POSIX ustar and GNU headers with their
/// checksums; regular files only; long names from GNU `L` entries and pax `path` records.
struct Tar<R> {
    inner: R,
    long_name: Option<String>,
}

impl<R: Read> Tar<R> {
    fn new(inner: R) -> Self {
        Tar { inner, long_name: None }
    }

    /// The next regular file: its path and contents.
    fn next_file(&mut self) -> io::Result<Option<(String, Vec<u8>)>> {
        let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("tar: {what}"));
        loop {
            let mut header = [0u8; 512];
            if !read_block(&mut self.inner, &mut header)? || header.iter().all(|&b| b == 0) {
                return Ok(None);
            }
            let sum: u64 = header
                .iter()
                .enumerate()
                .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { u64::from(b) })
                .sum();
            if octal(&header[148..156]) != Some(sum) {
                return Err(invalid("bad header checksum"));
            }
            let size = octal(&header[124..136]).ok_or_else(|| invalid("bad size"))? as usize;
            let mut data = vec![0; size];
            self.inner.read_exact(&mut data)?;
            io::copy(
                &mut (&mut self.inner).take((512 - size % 512) as u64 % 512),
                &mut io::sink(),
            )?;
            let mut name = c_string(&header[..100]);
            if &header[257..262] == b"ustar" && header[345] != 0 {
                name = format!("{}/{name}", c_string(&header[345..500]));
            }
            match header[156] {
                b'0' | b'\0' | b'7' => return Ok(Some((self.long_name.take().unwrap_or(name), data))),
                b'L' => self.long_name = Some(c_string(&data)),
                b'x' => {
                    let records = String::from_utf8_lossy(&data);
                    // Records are "<len> key=value\n".
                    self.long_name = records
                        .lines()
                        .filter_map(|r| r.split_once(' ')?.1.strip_prefix("path="))
                        .next_back()
                        .map(str::to_string);
                }
                _ => self.long_name = None, // folders, links, global pax headers
            }
        }
    }
}

/// Fills one 512-byte block; false at a clean end of input.
fn read_block(r: &mut impl Read, block: &mut [u8; 512]) -> io::Result<bool> {
    let mut filled = 0;
    while filled < block.len() {
        match r.read(&mut block[filled..])? {
            0 if filled == 0 => return Ok(false),
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    Ok(true)
}

fn octal(field: &[u8]) -> Option<u64> {
    let digits = std::str::from_utf8(field).ok()?.trim_matches(|c| c == '\0' || c == ' ');
    u64::from_str_radix(digits, 8).ok()
}

fn c_string(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// Every regular file of a `.tar.gz`.
fn tar_gz_files(path: &Path) -> Vec<(String, Vec<u8>)> {
    let file = File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut tar = Tar::new(BufReader::new(GzDecoder::new(file)));
    let mut files = Vec::new();
    while let Some(entry) = tar.next_file().unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        files.push(entry);
    }
    files
}

#[test]
fn every_raw_cctv_page_yields_its_story_as_text() {
    let Some(dir) = corpus() else {
        return;
    };
    let mut texts: HashMap<String, String> = HashMap::new();
    let mut empty = Vec::new();
    let mut not_utf8 = 0;
    for (name, bytes) in tar_gz_files(&dir.join(CCTV_PAGES)) {
        let Some(id) = name
            .strip_prefix("cctv_news/dump_htmls/")
            .and_then(|n| n.strip_suffix(".shtml"))
        else {
            continue;
        };
        let html = String::from_utf8(bytes).unwrap_or_else(|e| {
            not_utf8 += 1;
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        });
        let text = html_to_text(&html);
        if text.trim().is_empty() {
            empty.push(id.to_string());
        }
        texts.insert(id.to_string(), text);
    }
    assert_eq!(texts.len(), CCTV_PAGE_COUNT, "pages in {CCTV_PAGES}");
    assert!(empty.is_empty(), "pages with no text: {empty:?}");

    // The same stories as the converter published them: the page text must hold the first
    // paragraph, and none of the page's scripts.
    let wanted: HashSet<&str> = texts.keys().map(String::as_str).collect();
    let mut first_paragraphs = HashMap::new();
    for line in gz_lines(&dir.join(XWLB)) {
        let Some(id) = line
            .strip_prefix(r#"{"id": ""#)
            .and_then(|rest| rest.split_once('"'))
            .map(|(id, _)| id)
        else {
            continue;
        };
        if wanted.contains(id) {
            let record: Value = serde_json::from_str(&line).expect("a JSON line");
            let body = record["body"].as_str().unwrap_or_default();
            first_paragraphs.insert(id.to_string(), collapse(body.lines().next().unwrap_or_default()));
        }
    }
    let mut missing = Vec::new();
    let mut scripts = Vec::new();
    for (id, text) in &texts {
        if let Some(paragraph) = first_paragraphs.get(id)
            && !collapse(text).contains(paragraph.as_str())
        {
            missing.push(format!("{id}: {:?}", truncate(paragraph, 60)));
        }
        if ["function(", "var ", "document.", "window."]
            .iter()
            .any(|js| text.contains(js))
        {
            scripts.push(id.as_str());
        }
    }
    let checked = first_paragraphs.len();
    let rate = 1.0 - missing.len() as f64 / checked.max(1) as f64;
    eprintln!(
        "cctv pages: {} → text ({not_utf8} not UTF-8); story found in {}/{checked} ({:.1}%) of those in xwlb; script text in {}",
        texts.len(),
        checked - missing.len(),
        100.0 * rate,
        scripts.len()
    );
    missing.sort();
    for miss in missing.iter().take(5) {
        eprintln!("  story not in page text: {miss}");
    }
    assert!(checked >= MIN_CCTV_IN_XWLB, "only {checked} pages are in xwlb.jsonl.gz");
    assert!(
        rate >= MIN_CCTV_STORY_RATE,
        "stories missing from page text:\n{}",
        missing.join("\n")
    );
    assert!(scripts.is_empty(), "script text in pages: {scripts:?}");
}

#[test]
fn every_finews_line_and_raw_post_is_read() {
    let Some(dir) = corpus() else {
        return;
    };
    let mut lines: HashMap<String, Article> = HashMap::new();
    for (n, line) in gz_lines(&dir.join(FINEWS)).enumerate() {
        let article = parse_line(&line).unwrap_or_else(|e| panic!("{FINEWS}:{}: {e}", n + 1));
        lines.insert(article.id.clone(), article);
    }
    assert_eq!(lines.len(), 6, "records in {FINEWS}");

    let mut outcomes = BTreeMap::new();
    let mut differences = Differences::default();
    for (name, bytes) in tar_gz_files(&dir.join(FINEWS_POSTS)) {
        let text = String::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let parsed = parse_post(Path::new(&name), &text);
        match &parsed {
            Ok(post) => {
                eprintln!(
                    "  {name}: accepted as {} {:?}, date {:?}, {} body chars",
                    post.id,
                    post.title,
                    post.date,
                    post.body.chars().count()
                );
                // The converter's record of the same post.
                let Some(line) = lines.get(&post.id) else {
                    panic!("{name}: no record {} in {FINEWS}", post.id);
                };
                differences.check("title", &post.id, &post.title, &line.title);
                differences.check("date", &post.id, &post.date, &line.date);
                differences.check("url", &post.id, &post.url, &line.url);
                differences.check("tags", &post.id, &post.tags, &line.tags);
                differences.check("categories", &post.id, &post.categories, &line.categories);
                differences.check("body", &post.id, &collapse(&post.body), &collapse(&line.body));
            }
            Err(e) => eprintln!("  {name}: rejected: {e}"),
        }
        outcomes.insert(name, parsed.map(|p| p.date.is_some()));
    }
    if !differences.0.is_empty() {
        eprintln!(
            "raw posts read differently from the converter's records:\n{}",
            differences.report()
        );
    }
    let expected: BTreeMap<String, Result<bool, PostError>> = [
        // `title: ""` is no title; its `date:  +0800` would be no date.
        ("_posts/-202205262391921712.md", Err(PostError::MissingTitle)),
        // Older posts write the date without an offset: China time.
        ("_posts/2021-12-01-init.md", Ok(true)),
        ("_posts/2021-12-08-202112082206672930.md", Ok(true)),
        ("_posts/2021-12-08-202112082206928461.md", Ok(true)),
        ("_posts/2021-12-08-202112082206965422.md", Ok(true)),
        ("_posts/seed-000_aa24a9182e54e910.md", Ok(true)),
    ]
    .into_iter()
    .map(|(name, outcome)| (name.to_string(), outcome))
    .collect();
    assert_eq!(outcomes, expected);
    assert!(differences.0.is_empty(), "{}", differences.report());
}
