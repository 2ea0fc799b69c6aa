//! Facet counts: how many matching articles carry each tag and each category, counted
//! over every match (not just the page) from the fast fields.

use std::collections::BTreeMap;

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::schema::names;

/// The most values reported per facet.
pub const MAX_FACET_VALUES: usize = 30;

/// Counts per value, most frequent first (ties by value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Tag → matching articles.
    #[serde(serialize_with = "ordered")]
    pub tags: Vec<(String, u64)>,
    /// Category → matching articles.
    #[serde(serialize_with = "ordered")]
    pub categories: Vec<(String, u64)>,
}

/// Serializes the pairs as a JSON object, keeping their order.
fn ordered<S: serde::Serializer>(pairs: &[(String, u64)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// Collects tag and category counts.
pub struct FacetCollector;

/// Per-segment counts by term ordinal.
pub struct SegmentFacets {
    tag: Option<Counts>,
    category: Option<Counts>,
}

/// Counts of one column's values in one segment.
struct Counts {
    column: StrColumn,
    /// By ordinal; zeroed pages cost nothing until touched.
    counts: Vec<u32>,
    /// Ordinals counted at least once, so harvesting never scans the whole dictionary.
    touched: Vec<u64>,
}

fn column(segment: &SegmentReader, name: &str) -> tantivy::Result<Option<Counts>> {
    Ok(segment.fast_fields().str(name)?.map(|column| {
        let n = column.num_terms();
        Counts {
            column,
            counts: vec![0u32; n],
            touched: Vec::new(),
        }
    }))
}

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = SegmentFacets;

    fn for_segment(&self, _ord: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        Ok(SegmentFacets {
            tag: column(segment, names::TAG)?,
            category: column(segment, names::CATEGORY)?,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Facets>) -> tantivy::Result<Facets> {
        let mut tags: BTreeMap<String, u64> = BTreeMap::new();
        let mut categories: BTreeMap<String, u64> = BTreeMap::new();
        for fruit in fruits {
            for (k, v) in fruit.tags {
                *tags.entry(k).or_default() += v;
            }
            for (k, v) in fruit.categories {
                *categories.entry(k).or_default() += v;
            }
        }
        Ok(Facets {
            tags: top(tags),
            categories: top(categories),
        })
    }
}

fn top(counts: BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut pairs: Vec<(String, u64)> = counts.into_iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    pairs.truncate(MAX_FACET_VALUES);
    pairs
}

fn count(column: &mut Option<Counts>, doc: DocId) {
    if let Some(Counts {
        column,
        counts,
        touched,
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

/// Values counted in one segment that are resolved to text: more than are shown, so the
/// values shown are (practically always) counted in every segment.
const SEGMENT_CANDIDATES: usize = 4 * MAX_FACET_VALUES;

fn harvest_column(column: Option<Counts>) -> Vec<(String, u64)> {
    let Some(Counts {
        column: col,
        counts,
        touched: mut ords,
    }) = column
    else {
        return Vec::new();
    };
    // Turning an ordinal into text decodes a dictionary block, and a query can match
    // thousands of distinct tags (news sites often tag a story with its own headline): take
    // the most frequent first, then resolve them in one sorted pass.
    if ords.len() > SEGMENT_CANDIDATES {
        ords.select_nth_unstable_by(SEGMENT_CANDIDATES, |a, b| counts[*b as usize].cmp(&counts[*a as usize]));
        ords.truncate(SEGMENT_CANDIDATES);
    }
    ords.sort_unstable();
    let mut out = Vec::with_capacity(ords.len());
    let mut next = ords.iter();
    let resolved = col.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
        if let (Some(&ord), Ok(text)) = (next.next(), std::str::from_utf8(bytes)) {
            out.push((text.to_string(), u64::from(counts[ord as usize])));
        }
    });
    if resolved.is_err() {
        tracing::warn!("a facet dictionary could not be read");
    }
    out
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _score: Score) {
        count(&mut self.tag, doc);
        count(&mut self.category, doc);
    }

    fn harvest(self) -> Facets {
        Facets {
            tags: harvest_column(self.tag),
            categories: harvest_column(self.category),
        }
    }
}
