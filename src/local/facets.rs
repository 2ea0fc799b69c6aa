//! Facet counts: how many matching articles carry each tag and each category, counted
//! over every match (not just the page) from the fast fields.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::schema::names;
pub use crate::search::Facets;

pub use crate::config::MAX_FACET_VALUES;

/// The values of one column of one segment, by ordinal.
type Names = Arc<Vec<String>>;

/// The text of every tag and category value of each segment, by ordinal, read once.
///
/// Turning an ordinal into text walks a compressed dictionary block; a query can match
/// thousands of distinct tags (news sites often tag a story with its own headline), and a
/// search box asks for facets on every keystroke. Segments never change, so their values
/// are read once (a few MB for 100,000 articles) and kept while the segment lives.
#[derive(Default)]
pub struct FacetNames {
    segments: Mutex<HashMap<(SegmentId, &'static str), Names>>,
    /// Count buffers returned by earlier searches, all zeros: a buffer as long as a tag
    /// dictionary (75,000 values for 100,000 articles) would otherwise be allocated and
    /// zeroed for every segment of every search.
    buffers: Mutex<Vec<Vec<u32>>>,
}

impl FacetNames {
    fn get(&self, segment: &SegmentReader, column: &StrColumn, name: &'static str) -> Arc<Vec<String>> {
        let key = (segment.segment_id(), name);
        if let Ok(cache) = self.segments.lock()
            && let Some(names) = cache.get(&key)
        {
            return Arc::clone(names);
        }
        let mut names = Vec::with_capacity(column.num_terms());
        let all: Vec<u64> = (0..column.num_terms() as u64).collect();
        let read = column.dictionary().sorted_ords_to_term_cb(&all, |bytes| {
            names.push(String::from_utf8_lossy(bytes).into_owned());
        });
        if read.is_err() || names.len() != column.num_terms() {
            tracing::warn!(field = name, "a facet dictionary could not be read whole");
            names.resize(column.num_terms(), String::new());
        }
        let names = Arc::new(names);
        if let Ok(mut cache) = self.segments.lock() {
            cache.insert(key, Arc::clone(&names));
        }
        names
    }

    /// A zeroed count buffer of at least `len` slots.
    fn buffer(&self, len: usize) -> Vec<u32> {
        let reused = self.buffers.lock().ok().and_then(|mut pool| pool.pop());
        let mut buffer = reused.unwrap_or_default();
        if buffer.len() < len {
            buffer.resize(len, 0);
        }
        buffer
    }

    /// Takes a buffer back, zeroing the slots that were counted.
    fn give_back(&self, mut buffer: Vec<u32>, touched: &[u64]) {
        for &ord in touched {
            if let Some(slot) = buffer.get_mut(ord as usize) {
                *slot = 0;
            }
        }
        if let Ok(mut pool) = self.buffers.lock()
            && pool.len() < MAX_POOLED_BUFFERS
        {
            pool.push(buffer);
        }
    }

    /// Forgets the segments that are no longer part of the index.
    pub fn retain(&self, live: &[SegmentId]) {
        if let Ok(mut cache) = self.segments.lock() {
            cache.retain(|(id, _), _| live.contains(id));
        }
    }
}

/// Count buffers kept for reuse (two a segment for a few concurrent searches).
const MAX_POOLED_BUFFERS: usize = 32;

/// Collects tag and category counts.
pub struct FacetCollector {
    /// The value names of each segment.
    pub names: Arc<FacetNames>,
}

/// Per-segment counts by term ordinal.
pub struct SegmentFacets {
    tag: Option<Counts>,
    category: Option<Counts>,
}

/// Counts of one column's values in one segment.
struct Counts {
    column: StrColumn,
    names: Arc<Vec<String>>,
    pool: Arc<FacetNames>,
    /// By ordinal; zeroed pages cost nothing until touched.
    counts: Vec<u32>,
    /// Ordinals counted at least once, so harvesting never scans the whole dictionary.
    touched: Vec<u64>,
}

impl FacetCollector {
    fn column(&self, segment: &SegmentReader, name: &'static str) -> tantivy::Result<Option<Counts>> {
        Ok(segment.fast_fields().str(name)?.map(|column| {
            let n = column.num_terms();
            let names = self.names.get(segment, &column, name);
            Counts {
                column,
                names,
                counts: self.names.buffer(n),
                pool: Arc::clone(&self.names),
                touched: Vec::new(),
            }
        }))
    }
}

/// The best values of one column of one segment, not yet turned into owned text.
pub struct SegmentCounts {
    names: Option<Names>,
    counts: Vec<(u64, u64)>,
}

/// Both columns of one segment.
pub struct SegmentFruit {
    tags: SegmentCounts,
    categories: SegmentCounts,
}

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = SegmentFacets;

    fn for_segment(&self, _ord: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        Ok(SegmentFacets {
            tag: self.column(segment, names::TAG)?,
            category: self.column(segment, names::CATEGORY)?,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<Facets> {
        let (tags, categories): (Vec<SegmentCounts>, Vec<SegmentCounts>) =
            fruits.into_iter().map(|f| (f.tags, f.categories)).unzip();
        Ok(Facets {
            tags: top(&tags),
            categories: top(&categories),
            category_names: Vec::new(),
        })
    }
}

/// Sums the segments' counts by value and keeps the most frequent; only those become
/// owned strings.
fn top(segments: &[SegmentCounts]) -> Vec<(String, u64)> {
    let mut totals: HashMap<&str, u64> = HashMap::new();
    for segment in segments {
        let Some(names) = &segment.names else { continue };
        for &(ord, count) in &segment.counts {
            if let Some(name) = names.get(ord as usize) {
                *totals.entry(name.as_str()).or_default() += count;
            }
        }
    }
    let mut pairs: Vec<(&str, u64)> = totals.into_iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    pairs.truncate(MAX_FACET_VALUES);
    pairs
        .into_iter()
        .map(|(name, count)| (name.to_string(), count))
        .collect()
}

fn count(column: &mut Option<Counts>, doc: DocId) {
    if let Some(Counts {
        column,
        counts,
        touched,
        ..
    }) = column
    {
        for ord in column.term_ords(doc) {
            if let Some(c) = counts.get_mut(ord as usize) {
                if *c == 0 {
                    touched.push(ord);
                }
                *c += 1;
            }
        }
    }
}

/// Values of one segment passed on to the merge: more than are shown, so the values shown
/// are (practically always) counted in every segment.
const SEGMENT_CANDIDATES: usize = 2 * MAX_FACET_VALUES;

fn harvest_column(column: Option<Counts>) -> SegmentCounts {
    let Some(Counts {
        names,
        counts,
        pool,
        touched,
        ..
    }) = column
    else {
        return SegmentCounts {
            names: None,
            counts: Vec::new(),
        };
    };
    let mut best: Vec<(u64, u64)> = touched
        .iter()
        .map(|&ord| (ord, u64::from(counts[ord as usize])))
        .collect();
    if best.len() > SEGMENT_CANDIDATES {
        best.select_nth_unstable_by(SEGMENT_CANDIDATES, |a, b| b.1.cmp(&a.1));
        best.truncate(SEGMENT_CANDIDATES);
    }
    pool.give_back(counts, &touched);
    SegmentCounts {
        names: Some(names),
        counts: best,
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        count(&mut self.tag, doc);
        count(&mut self.category, doc);
    }

    fn harvest(self) -> SegmentFruit {
        SegmentFruit {
            tags: harvest_column(self.tag),
            categories: harvest_column(self.category),
        }
    }
}
