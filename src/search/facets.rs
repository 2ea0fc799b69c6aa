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
    tag: Option<(StrColumn, Vec<u32>)>,
    category: Option<(StrColumn, Vec<u32>)>,
}

fn column(segment: &SegmentReader, name: &str) -> tantivy::Result<Option<(StrColumn, Vec<u32>)>> {
    Ok(segment.fast_fields().str(name)?.map(|col| {
        let n = col.num_terms();
        (col, vec![0u32; n])
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

fn count(column: &mut Option<(StrColumn, Vec<u32>)>, doc: DocId) {
    if let Some((col, counts)) = column {
        for ord in col.term_ords(doc) {
            if let Some(c) = counts.get_mut(ord as usize) {
                *c += 1;
            }
        }
    }
}

fn harvest_column(column: Option<(StrColumn, Vec<u32>)>) -> Vec<(String, u64)> {
    let Some((col, counts)) = column else { return Vec::new() };
    let mut out = Vec::new();
    let mut buf = String::new();
    for (ord, &n) in counts.iter().enumerate() {
        if n == 0 {
            continue;
        }
        buf.clear();
        if col.ord_to_str(ord as u64, &mut buf).unwrap_or(false) {
            out.push((buf.clone(), u64::from(n)));
        }
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
