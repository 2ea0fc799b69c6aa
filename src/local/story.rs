//! Stories: the copies of one news item that several outlets carry, found at index time.
//!
//! Each body gets a MinHash signature over 5-character shingles of its folded text; its
//! LSH bands are indexed (`story_band`), so the copies of a new article are the indexed
//! articles sharing a band with it, verified by their estimated Jaccard similarity. An
//! article joins the story of its best copy, or founds a story named after its own id.
//! A story is only the set of live articles that carry its id: deleting an article never
//! leaves a story pointing at nothing.

use std::collections::{HashMap, HashSet};
use std::fmt;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{Searcher, TantivyDocument, Term};
use time::OffsetDateTime;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use crate::fold;
use crate::schema::Fields;

/// Characters in a shingle: long enough that two different flashes on one topic share
/// few, short enough that a changed word spoils only a few.
pub const SHINGLE: usize = 5;
/// Bins of a signature: values a pair of copies compares.
pub(crate) const HASHES: usize = 64;
/// Rows of a band: with 16 bands of 4, copies of similarity 0.75 share a band with
/// probability 0.998, articles of similarity 0.3 with 0.12 (then verified and refused).
const ROWS: usize = 4;
/// Bands of a signature.
pub(crate) const BANDS: usize = HASHES / ROWS;
/// Estimated Jaccard similarity from which two bodies are copies of one story.
pub const THRESHOLD: f64 = 0.75;
/// Folded bodies shorter than this found their own story: a few shingles cannot tell a
/// copy from another one-line flash of the same kind ("沪指收涨0.5%").
pub const MIN_CHARS: usize = 40;
/// Largest distance in time between an article and a copy it joins. Outlets carry an
/// item within hours; a template filled in again the next day (the 9:15 中间价 fixing,
/// a daily market close) is a new item, and within a day it cannot chain from day to day.
pub const WINDOW_SECONDS: i64 = 12 * 3600;
/// Candidates examined per article, so a band shared by thousands (boilerplate) costs
/// no more than a few.
const MAX_CANDIDATES: usize = 32;

/// A story id: `s-` and 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StoryId(pub u64);

impl StoryId {
    /// The story an article founds: a hash of its id, so a rebuild of the same input in
    /// the same order names the same stories.
    pub fn founded_by(id: &str) -> StoryId {
        StoryId(xxh3_64_with_seed(id.as_bytes(), 0x5707))
    }

    /// Parses `s-` and 16 hex digits; `None` for anything else.
    pub fn parse(text: &str) -> Option<StoryId> {
        let hex = text.strip_prefix("s-")?;
        if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return None;
        }
        u64::from_str_radix(hex, 16).ok().map(StoryId)
    }
}

impl fmt::Display for StoryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s-{:016x}", self.0)
    }
}

/// A MinHash signature of a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signature([u32; HASHES]);

impl Signature {
    /// The signature of `body`; `None` when its folded text is shorter than [`MIN_CHARS`]
    /// (such an article is its own story). Whitespace is left out, so line breaks and
    /// spacing do not tell copies apart.
    ///
    /// One-permutation MinHash: each shingle is hashed once, its top bits pick one of the
    /// [`HASHES`] bins and the bin keeps its smallest low half. Sixty-four hash functions
    /// per shingle had cost a tenth of a build; one costs a sixty-fourth of that. Empty
    /// bins borrow a filled bin's value ([`densify`]), so short bodies compare too.
    pub(crate) fn of(body: &str) -> Option<Signature> {
        let mut folded = String::with_capacity(body.len());
        let mut starts = Vec::with_capacity(body.len());
        for c in body.chars().filter(|c| !c.is_whitespace()) {
            starts.push(folded.len());
            folded.push(fold::fold_full(c));
        }
        if starts.len() < MIN_CHARS {
            return None;
        }
        starts.push(folded.len());
        let mut mins = [u32::MAX; HASHES];
        let mut filled = 0u64;
        for window in starts.windows(SHINGLE + 1) {
            let h = xxh3_64(&folded.as_bytes()[window[0]..window[SHINGLE]]);
            let bin = (h >> BIN_SHIFT) as usize;
            filled |= 1 << bin;
            mins[bin] = mins[bin].min(h as u32);
        }
        densify(&mut mins, filled);
        Some(Signature(mins))
    }

    /// The band keys (band number mixed in, so equal rows of different bands differ).
    pub(crate) fn bands(&self) -> [u64; BANDS] {
        let mut bands = [0u64; BANDS];
        for (b, band) in bands.iter_mut().enumerate() {
            let mut bytes = [0u8; ROWS * 4 + 1];
            bytes[0] = b as u8;
            for (r, v) in self.0[b * ROWS..(b + 1) * ROWS].iter().enumerate() {
                bytes[1 + r * 4..5 + r * 4].copy_from_slice(&v.to_le_bytes());
            }
            *band = xxh3_64(&bytes);
        }
        bands
    }

    /// The estimated Jaccard similarity of the two bodies' shingle sets.
    pub(crate) fn similarity(&self, other: &Signature) -> f64 {
        let equal = self.0.iter().zip(&other.0).filter(|(a, b)| a == b).count();
        equal as f64 / HASHES as f64
    }

    /// The stored form.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// Reads the stored form; `None` when it is not one.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Signature> {
        if bytes.len() != HASHES * 4 {
            return None;
        }
        let mut mins = [0u32; HASHES];
        for (min, chunk) in mins.iter_mut().zip(bytes.chunks_exact(4)) {
            *min = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        Some(Signature(mins))
    }
}

/// Shift that leaves a hash's top bits, the bin of a shingle.
const BIN_SHIFT: u32 = 64 - HASHES.trailing_zeros();
const _: () = assert!(HASHES == 64, "a signature's bins are the bits of a u64");
/// Attempts [`densify`] makes at random before it takes the next filled bin.
const MAX_ATTEMPTS: u64 = 4096;

/// Fills each empty bin of a one-permutation signature from a filled one, chosen by a
/// hash of the bin's number and the attempt alone (Shrivastava's optimal densification):
/// two bodies then fill a bin from the same source bin, so an equal source makes an equal
/// bin, and the share of equal bins still estimates the Jaccard similarity.
fn densify(mins: &mut [u32; HASHES], filled: u64) {
    if filled == 0 || filled == u64::MAX {
        return;
    }
    let source = *mins;
    for (bin, min) in mins.iter_mut().enumerate() {
        if filled & (1 << bin) != 0 {
            continue;
        }
        let picked = (0..MAX_ATTEMPTS)
            .map(|attempt| (mix((bin as u64) << 32 | attempt) >> BIN_SHIFT) as usize)
            .find(|&pick| filled & (1 << pick) != 0);
        // Past the bound (odds below 1e-27 with one filled bin), the next filled bin.
        let from =
            picked.unwrap_or_else(|| (bin + (filled.rotate_right(bin as u32)).trailing_zeros() as usize) % HASHES);
        *min = source[from];
    }
}

/// splitmix64's finalizer: a hash of the bin and attempt for [`densify`].
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What an article gets: its story and, for a long enough body, its signature.
#[derive(Debug, Clone)]
pub(crate) struct Assigned {
    /// The story it joins or founds.
    pub(crate) story: StoryId,
    /// Its signature (`None`: too short, its own story).
    pub(crate) signature: Option<Signature>,
}

/// An article a job added, as its later articles compare with it.
struct Added {
    id: String,
    story: StoryId,
    signature: Signature,
    /// Unix seconds of its date, if it has one.
    date: Option<i64>,
}

/// Whether two articles are close enough in time to be copies: always when either has
/// no date (a post without one cannot be placed).
fn within_window(a: Option<i64>, b: Option<i64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.abs_diff(b) <= WINDOW_SECONDS.unsigned_abs(),
        _ => true,
    }
}

/// Assigns stories during one job: candidates come from the index as it was committed
/// when the job began and from the articles the job has added so far.
pub(crate) struct Assigner {
    committed: Option<Searcher>,
    fields: Fields,
    /// Articles this job added.
    added: Vec<Added>,
    /// Band key → positions in `added`.
    by_band: HashMap<u64, Vec<u32>>,
}

impl Assigner {
    /// An assigner looking up copies in `committed` (none for a new generation).
    pub(crate) fn new(fields: Fields, committed: Option<Searcher>) -> Assigner {
        let committed = committed.filter(|s| s.num_docs() > 0);
        Assigner {
            committed,
            fields,
            added: Vec::new(),
            by_band: HashMap::new(),
        }
    }

    /// The story of the article `id` with `body` and `date`: the story of its most
    /// similar copy at or above [`THRESHOLD`] dated within [`WINDOW_SECONDS`] of it
    /// (ties: the copy found first), or one it founds.
    pub(crate) fn assign(&mut self, id: &str, body: &str, date: Option<OffsetDateTime>) -> tantivy::Result<Assigned> {
        let Some(signature) = Signature::of(body) else {
            return Ok(Assigned {
                story: StoryId::founded_by(id),
                signature: None,
            });
        };
        let date = date.map(OffsetDateTime::unix_timestamp);
        let bands = signature.bands();
        let mut best: Option<(f64, StoryId)> = None;
        let mut consider = |similarity: f64, story: StoryId, other: Option<i64>| {
            if similarity >= THRESHOLD && within_window(date, other) && best.is_none_or(|(s, _)| similarity > s) {
                best = Some((similarity, story));
            }
        };
        // This job's articles first: the newest copies of an item being indexed now.
        let mut examined = HashSet::new();
        'bands: for band in &bands {
            for &at in self.by_band.get(band).map_or(&[][..], Vec::as_slice) {
                if examined.len() >= MAX_CANDIDATES {
                    break 'bands;
                }
                if !examined.insert(at) {
                    continue;
                }
                let other = &self.added[at as usize];
                if other.id != id {
                    consider(signature.similarity(&other.signature), other.story, other.date);
                }
            }
        }
        if let Some(searcher) = &self.committed {
            for copy in committed_candidates(searcher, &self.fields, &bands, id)? {
                consider(signature.similarity(&copy.signature), copy.story, copy.date);
            }
        }
        let story = best.map_or_else(|| StoryId::founded_by(id), |(_, story)| story);
        let at = self.added.len() as u32;
        for band in bands {
            self.by_band.entry(band).or_default().push(at);
        }
        self.added.push(Added {
            id: id.to_string(),
            story,
            signature: signature.clone(),
            date,
        });
        Ok(Assigned {
            story,
            signature: Some(signature),
        })
    }
}

/// Up to [`MAX_CANDIDATES`] committed articles (not `id`) sharing a band, those sharing
/// the most bands first.
fn committed_candidates(
    searcher: &Searcher,
    fields: &Fields,
    bands: &[u64; BANDS],
    id: &str,
) -> tantivy::Result<Vec<Added>> {
    let clauses: Vec<(Occur, Box<dyn Query>)> = bands
        .iter()
        .map(|&band| {
            let term = Term::from_field_u64(fields.story_band, band);
            (
                Occur::Should,
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>,
            )
        })
        .collect();
    let query = BooleanQuery::new(clauses);
    let top = searcher.search(&query, &TopDocs::with_limit(MAX_CANDIDATES).order_by_score())?;
    let mut found = Vec::with_capacity(top.len());
    for (_, address) in top {
        let doc: TantivyDocument = searcher.doc(address)?;
        let other = doc.get_first(fields.id).and_then(|v| v.as_str()).unwrap_or_default();
        if other == id {
            continue;
        }
        let story = doc.get_first(fields.story).and_then(|v| v.as_u64()).map(StoryId);
        let sig = doc
            .get_first(fields.story_sig)
            .and_then(|v| v.as_bytes())
            .and_then(Signature::from_bytes);
        let date = doc
            .get_first(fields.date)
            .and_then(|v| v.as_datetime())
            .map(|d| d.into_timestamp_secs());
        if let (Some(story), Some(signature)) = (story, sig) {
            found.push(Added {
                id: other.to_string(),
                story,
                signature,
                date,
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLASH: &str = "国家统计局今日发布数据显示，十月份全国规模以上工业增加值同比增长百分之五点三，环比增长零点六个百分点，市场预期为百分之五。";

    #[test]
    fn light_edits_keep_a_body_similar() {
        let a = Signature::of(FLASH).expect("long enough");
        let edited = FLASH
            .replace("今日", "2日")
            .replace("市场预期为百分之五。", "市场预期为百分之五，超预期。");
        let b = Signature::of(&edited).expect("long enough");
        assert!(a.similarity(&b) >= THRESHOLD, "{}", a.similarity(&b));
        let other =
            "国家统计局今日发布数据显示，十月份社会消费品零售总额同比增长百分之四点八，其中餐饮收入增长百分之十。";
        let c = Signature::of(other).expect("long enough");
        assert!(a.similarity(&c) < THRESHOLD, "{}", a.similarity(&c));
    }

    /// The exact Jaccard similarity of two bodies' shingle sets, as `Signature::of` forms them.
    fn exact(a: &str, b: &str) -> f64 {
        let shingles = |text: &str| -> HashSet<String> {
            let chars: Vec<char> = text
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(fold::fold_full)
                .collect();
            chars.windows(SHINGLE).map(|w| w.iter().collect()).collect()
        };
        let (a, b) = (shingles(a), shingles(b));
        a.intersection(&b).count() as f64 / a.union(&b).count() as f64
    }

    #[test]
    fn the_estimate_follows_the_exact_similarity() {
        let edits = [
            FLASH.replace("今日", "2日"),
            FLASH.replace("十月份", "10月份").replace("零点六", "0.6"),
            FLASH.replace("市场预期为百分之五。", "此前市场普遍预期为百分之五左右。"),
            FLASH.chars().take(45).collect::<String>() + "。",
        ];
        let a = Signature::of(FLASH).expect("long enough");
        for edited in &edits {
            let b = Signature::of(edited).expect("long enough");
            let (estimate, exact) = (a.similarity(&b), exact(FLASH, edited));
            assert!(
                (estimate - exact).abs() <= 0.15,
                "{edited}: estimate {estimate}, exact {exact}"
            );
        }
    }

    #[test]
    fn empty_bins_borrow_from_filled_ones() {
        let mut mins = [u32::MAX; HASHES];
        mins[5] = 7;
        densify(&mut mins, 1 << 5);
        assert_eq!(mins, [7; HASHES]);
        let mut mins = [u32::MAX; HASHES];
        (mins[0], mins[63]) = (1, 2);
        densify(&mut mins, 1 | 1 << 63);
        assert!(mins.iter().all(|&v| v == 1 || v == 2), "{mins:?}");
        assert!(mins.contains(&1) && mins.iter().filter(|&&v| v == 2).count() > 1);
    }

    #[test]
    fn short_bodies_have_no_signature_and_ids_round_trip() {
        assert_eq!(Signature::of("沪指收涨0.5%。"), None);
        let id = StoryId::founded_by("a-1");
        assert_eq!(StoryId::parse(&id.to_string()), Some(id));
        assert_eq!(StoryId::parse("s-12"), None);
        assert_eq!(StoryId::parse("s-ABCDEF0123456789"), None);
        let sig = Signature::of(FLASH).expect("long enough");
        assert_eq!(Signature::from_bytes(&sig.to_bytes()), Some(sig));
    }
}
