//! How the finance flashes group into stories (issue 13, "One story, many outlets"):
//! indexes a JSONL file (default `../shared/corpus/finflash/finflash.jsonl.gz`), then prints
//! - the indexing time (when it built the index), the number of stories and their sizes;
//! - three checks, independent of the MinHash signatures, of the cross-source pairs that
//!   should share a story: (a) the same folded body (equal letters and digits after
//!   folding, at least 40 of them); (c) the same after dropping the `【headline】` and the
//!   `财联社5月14日电，` dateline one outlet adds to another's text; and (b) near-identical
//!   bodies: the *exact* Jaccard similarity of the bodies' 5-character shingle sets (the
//!   library's definition, computed without MinHash, bands or candidate caps), by band, for
//!   pairs published within [`WINDOW_HOURS`] of each other (wire copies come within minutes);
//! - the exact similarity of the pairs the stories did merge (how many are below the
//!   threshold), with a sample of those below it;
//! - 50 merged pairs (seeded) to read by hand, with their exact similarity.
//!
//! ```text
//! cargo run --release --example stories -- [FILE] [--index DIR] [--rebuild]
//! ```
//! The index is kept in `target/issue13/finflash` (or `--index`) and reused while it holds
//! the file's articles; `examples/aliases.rs` reads the same one.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use tantivy::TantivyDocument;
use tantivy::schema::Value;
use xinwen::local::story::{MIN_CHARS, SHINGLE, THRESHOLD};
use xinwen::store::{IndexDir, OpenIndex};

mod support;
use support::{open_or_build, parsable_lines, root};

/// Copies further apart than this are not looked for by check (b).
const WINDOW_HOURS: i64 = 6;
/// Pairs printed for the hand check.
const SAMPLE: usize = 50;
/// Merged pairs below the threshold printed (MinHash over-estimates, or chains).
const BELOW_SAMPLE: usize = 15;
/// Pairs of one story whose similarity is computed: a giant story would be quadratic.
const MAX_PAIRS_PER_STORY: usize = 10_000;

/// One indexed article, as the measurement needs it.
struct Row {
    id: String,
    source: String,
    title: String,
    body: String,
    story: String,
    /// Seconds since the epoch (`i64::MIN`: no date).
    date: i64,
    /// The body's shingles as the library forms them, sorted, distinct; empty when the
    /// folded body is shorter than [`MIN_CHARS`].
    shingles: Vec<u64>,
}

struct Args {
    input: PathBuf,
    index: PathBuf,
    rebuild: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        input: root().join("../shared/corpus/finflash/finflash.jsonl.gz"),
        index: root().join("target/issue13/finflash"),
        rebuild: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--index" => args.index = PathBuf::from(it.next().ok_or("--index needs a value")?),
            "--rebuild" => args.rebuild = true,
            flag if flag.starts_with("--") => {
                return Err(format!(
                    "unknown flag {flag:?}; usage: stories [FILE] [--index DIR] [--rebuild]"
                ));
            }
            file => args.input = PathBuf::from(file),
        }
    }
    Ok(args)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let dir = IndexDir::new(args.index.clone());
    open_or_build(
        &dir,
        &args.input,
        parsable_lines(&args.input)?,
        args.rebuild,
        "stories example",
    )?;
    let mut rows = rows(&dir.open()?)?;
    rows.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    let mut by_story: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        by_story.entry(&row.story).or_default().push(i);
    }
    // Sorted by story id, so the seeded sample does not depend on hashing.
    let mut multi: Vec<(&str, &Vec<usize>)> = by_story
        .iter()
        .filter(|(_, m)| m.len() > 1)
        .map(|(s, m)| (*s, m))
        .collect();
    multi.sort_by_key(|(s, _)| *s);
    println!(
        "{} articles form {} stories; {} stories have more than one article ({} articles in them); largest {}",
        rows.len(),
        by_story.len(),
        multi.len(),
        multi.iter().map(|(_, m)| m.len()).sum::<usize>(),
        by_story.values().map(Vec::len).max().unwrap_or(0)
    );
    sizes(&rows, &by_story);
    same_key_check(&rows, "(a) the same folded body", folded_key);
    same_key_check(
        &rows,
        "(c) the same folded body after the headline and dateline",
        copy_key,
    );
    near_identical_check(&rows);
    merged_similarity(&rows, &multi);
    hand_check_sample(&rows, &multi);
    Ok(())
}

/// How many stories (and articles in them) have each size, and how many span sources.
fn sizes(rows: &[Row], by_story: &HashMap<&str, Vec<usize>>) {
    let buckets: [(usize, usize, &str); 7] = [
        (1, 1, "1"),
        (2, 2, "2"),
        (3, 3, "3"),
        (4, 4, "4"),
        (5, 9, "5–9"),
        (10, 19, "10–19"),
        (20, usize::MAX, "20+"),
    ];
    println!("\nstory size | stories | articles");
    for (lo, hi, label) in buckets {
        let (stories, articles) = by_story
            .values()
            .filter(|m| (lo..=hi).contains(&m.len()))
            .fold((0, 0), |(s, a), m| (s + 1, a + m.len()));
        println!("{label:>10} | {stories:>7} | {articles:>8}");
    }
    let spans = |k: usize| {
        by_story
            .values()
            .filter(|m| m.iter().map(|&i| rows[i].source.as_str()).collect::<HashSet<_>>().len() >= k)
            .count()
    };
    println!(
        "stories carried by 2 sources or more: {}; by all 3: {}",
        spans(2),
        spans(3)
    );
    let mut largest: Vec<&Vec<usize>> = by_story.values().filter(|m| m.len() >= 10).collect();
    largest.sort_by_key(|m| std::cmp::Reverse(m.len()));
    for m in largest.iter().take(5) {
        let first = &rows[m[0]];
        let last = &rows[m[m.len() - 1]];
        println!(
            "  largest: {} articles, {} .. {} ({} / {}), e.g. {}",
            m.len(),
            first.id,
            last.id,
            clip_chars(&first.title, 30),
            clip_chars(&last.title, 30),
            first.story
        );
    }
}

/// The folded letters and digits of a body (check (a)'s key).
fn folded_key(body: &str) -> String {
    body.chars()
        .filter(|c| c.is_alphanumeric())
        .map(xinwen::fold::fold_full)
        .collect()
}

/// The folded letters and digits of a body after its `【headline】` and its dateline
/// (`财联社5月14日电，`): what one outlet adds to another's text (check (c)'s key).
fn copy_key(body: &str) -> String {
    let mut rest = body.trim_start();
    if let Some(after) = rest.strip_prefix('【')
        && let Some(end) = after.find('】')
    {
        rest = &after[end + '】'.len_utf8()..];
    }
    rest = rest.strip_prefix("财联社").unwrap_or(rest);
    // `5月14日电` / `5月14日讯`, then an optional comma.
    let digits = |t: &str| t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let month = digits(rest);
    if month > 0
        && let Some(after) = rest[month..].strip_prefix('月')
        && digits(after) > 0
        && let Some(after) = after[digits(after)..].strip_prefix('日')
        && let Some(after) = after.strip_prefix(['电', '讯'])
    {
        rest = after.trim_start_matches(['，', ',']);
    }
    folded_key(rest)
}

/// Checks (a) and (c): cross-source pairs whose bodies have the same `key` (at least
/// [`MIN_CHARS`] characters), and how many of them share a story.
fn same_key_check(rows: &[Row], label: &str, key: impl Fn(&str) -> String) {
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let k = key(&row.body);
        if k.chars().count() >= MIN_CHARS {
            by_key.entry(k).or_default().push(i);
        }
    }
    let (mut pairs, mut together, mut similar) = (0u64, 0u64, 0u64);
    for members in by_key.values() {
        for (n, &a) in members.iter().enumerate() {
            for &b in &members[n + 1..] {
                if rows[a].source != rows[b].source {
                    pairs += 1;
                    together += u64::from(rows[a].story == rows[b].story);
                    similar += u64::from(jaccard(&rows[a].shingles, &rows[b].shingles) >= THRESHOLD);
                }
            }
        }
    }
    println!(
        "\n{label}: {pairs} cross-source pairs; in one story: {together} ({:.1} %); exact shingle similarity ≥ {THRESHOLD}: {similar} ({:.1} %)",
        percent(together, pairs),
        percent(similar, pairs)
    );
}

/// Similarity bands of check (b), lowest first.
const BANDS: [f64; 6] = [0.5, 0.6, 0.7, THRESHOLD, 0.9, 1.0];

/// Check (b): cross-source pairs within the window by exact shingle similarity band: how
/// many share a story, and how many are copies by check (c)'s key. `rows` are in date order.
fn near_identical_check(rows: &[Row]) {
    let window = WINDOW_HOURS * 3600;
    let keys: Vec<String> = rows.iter().map(|r| copy_key(&r.body)).collect();
    // Per band [BANDS[k], BANDS[k + 1]) (the last one: exactly 1): pairs, in one story, copies.
    let mut bands = [(0u64, 0u64, 0u64); BANDS.len()];
    let mut missed: Vec<(usize, usize, f64)> = Vec::new();
    for (i, a) in rows.iter().enumerate() {
        if a.shingles.is_empty() || a.date == i64::MIN {
            continue;
        }
        for (j, b) in rows.iter().enumerate().skip(i + 1) {
            if b.date - a.date > window {
                break;
            }
            if b.shingles.is_empty() || a.source == b.source {
                continue;
            }
            let (small, large) = (
                a.shingles.len().min(b.shingles.len()),
                a.shingles.len().max(b.shingles.len()),
            );
            // Jaccard ≤ |small| / |large|: most pairs are refused without a merge.
            if (small as f64) < BANDS[0] * large as f64 {
                continue;
            }
            let similarity = jaccard(&a.shingles, &b.shingles);
            let Some(band) = BANDS.iter().rposition(|&t| similarity >= t) else {
                continue;
            };
            let same = a.story == b.story;
            bands[band].0 += 1;
            bands[band].1 += u64::from(same);
            bands[band].2 += u64::from(keys[i] == keys[j] && keys[i].chars().count() >= MIN_CHARS);
            if similarity >= THRESHOLD && !same {
                missed.push((i, j, similarity));
            }
        }
    }
    println!("\n(b) cross-source pairs within {WINDOW_HOURS} h by exact shingle similarity:");
    println!("    similarity | pairs | in one story | copies by (c)");
    for (k, (pairs, together, copies)) in bands.iter().enumerate() {
        let label = match BANDS.get(k + 1) {
            Some(hi) => format!("{:.2}–{hi:.2}", BANDS[k]),
            None => format!("{:.2}", BANDS[k]),
        };
        println!(
            "    {label:>10} | {pairs:>5} | {together:>5} ({:.1} %) | {copies:>5}",
            percent(*together, *pairs)
        );
    }
    let (pairs, together) = bands
        .iter()
        .zip(BANDS)
        .filter(|(_, t)| *t >= THRESHOLD)
        .fold((0, 0), |(p, s), (b, _)| (p + b.0, s + b.1));
    println!(
        "    ≥ {THRESHOLD}: {pairs} pairs, in one story: {together} ({:.1} %)",
        percent(together, pairs)
    );
    missed.sort_by(|x, y| y.2.total_cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
    println!("    most similar pairs left in two stories:");
    for &(i, j, s) in missed.iter().take(5) {
        println!(
            "    {s:.3}  {} ({}) | {} ({})",
            rows[i].id, rows[i].story, rows[j].id, rows[j].story
        );
    }
}

/// The exact similarity of every pair of articles the stories merged (up to
/// [`MAX_PAIRS_PER_STORY`] a story): how far below the threshold merging reached, with a
/// seeded sample of the pairs below it.
fn merged_similarity(rows: &[Row], multi: &[(&str, &Vec<usize>)]) {
    let (mut pairs, mut below_half, mut unsigned) = (0u64, 0u64, 0u64);
    let mut below: Vec<(usize, usize, f64)> = Vec::new();
    for (_, members) in multi {
        let mut n = 0;
        'story: for (k, &a) in members.iter().enumerate() {
            for &b in &members[k + 1..] {
                if n == MAX_PAIRS_PER_STORY {
                    break 'story;
                }
                n += 1;
                pairs += 1;
                if rows[a].shingles.is_empty() || rows[b].shingles.is_empty() {
                    unsigned += 1;
                    continue;
                }
                let s = jaccard(&rows[a].shingles, &rows[b].shingles);
                if s < THRESHOLD {
                    below.push((a, b, s));
                }
                below_half += u64::from(s < 0.5);
            }
        }
    }
    println!(
        "\npairs within merged stories: {pairs}; exact similarity < {THRESHOLD}: {} ({:.1} %), < 0.5: {below_half} ({:.1} %); without a signature: {unsigned}",
        below.len(),
        percent(below.len() as u64, pairs),
        percent(below_half, pairs)
    );
    let mut state: u64 = 7;
    println!("{BELOW_SAMPLE} of them (seeded):");
    for _ in 0..BELOW_SAMPLE.min(below.len()) {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let (a, b, s) = below[(state >> 33) as usize % below.len()];
        println!(
            "  {s:.3}  {} [{}] {}\n       | {} [{}] {}",
            rows[a].id,
            rows[a].source,
            clip(&rows[a]),
            rows[b].id,
            rows[b].source,
            clip(&rows[b])
        );
    }
}

/// [`SAMPLE`] merged pairs, picked with a fixed LCG so a rerun shows the same ones.
fn hand_check_sample(rows: &[Row], multi: &[(&str, &Vec<usize>)]) {
    let mut state: u64 = 13;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % n.max(1)
    };
    println!("\n{SAMPLE} random merges (story, first article | another; exact similarity, minutes apart):");
    for k in 0..SAMPLE.min(multi.len()) {
        let (story, members) = multi[next(multi.len())];
        let (a, b) = (&rows[members[0]], &rows[members[1 + next(members.len() - 1)]]);
        println!(
            "{:>2}. {story} ({} articles)  similarity {:.3}, {} min apart\n    {} [{}] {}\n  | {} [{}] {}",
            k + 1,
            members.len(),
            jaccard(&a.shingles, &b.shingles),
            (b.date - a.date).abs() / 60,
            a.id,
            a.source,
            clip(a),
            b.id,
            b.source,
            clip(b)
        );
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    100.0 * part as f64 / whole.max(1) as f64
}

/// The exact Jaccard similarity of two sorted, distinct sets.
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

/// The body's shingles as `story::Signature::of` forms them: whitespace dropped, each
/// character folded, windows of [`SHINGLE`] characters.
fn shingles(body: &str) -> Vec<u64> {
    let chars: Vec<char> = body
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(xinwen::fold::fold_full)
        .collect();
    if chars.len() < MIN_CHARS {
        return Vec::new();
    }
    let mut buf = String::with_capacity(SHINGLE * 4);
    let mut out: Vec<u64> = chars
        .windows(SHINGLE)
        .map(|w| {
            buf.clear();
            buf.extend(w);
            xxhash_rust::xxh3::xxh3_64(buf.as_bytes())
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn clip_chars(text: &str, n: usize) -> String {
    text.chars().take(n).collect::<String>().replace('\n', " ")
}

/// The headline and the start of the body.
fn clip(row: &Row) -> String {
    format!("{} / {}", clip_chars(&row.title, 40), clip_chars(&row.body, 110))
}

/// Every live article with its story.
fn rows(open: &OpenIndex) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let searcher = open.index.reader()?.searcher();
    let mut rows = Vec::new();
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(64)?;
        for doc in segment.doc_ids_alive() {
            let stored: TantivyDocument = store.get(doc)?;
            let article = open.fields.from_doc(&stored);
            let story = stored
                .get_first(open.fields.story)
                .and_then(|v| v.as_u64())
                .map(|s| format!("s-{s:016x}"))
                .unwrap_or_default();
            rows.push(Row {
                shingles: shingles(&article.body),
                date: article.date.map_or(i64::MIN, |d| d.unix_timestamp()),
                id: article.id,
                source: article.source.unwrap_or_default(),
                title: article.title,
                body: article.body,
                story,
            });
        }
    }
    Ok(rows)
}
