//! Collapsing syndicated copies: one result per title (the folded title's hash) or per
//! story ([`super::story`]), the best copy standing for the group, with the number of copies. Counted over every match, so
//! the number of groups is exact and paging works on groups.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DateTime, DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::schema::names;

/// The field of [`CollapseCollector::key`] for one result per title.
pub const BY_TITLE: &str = names::TITLE_KEY;
/// The field of [`CollapseCollector::key`] for one result per story.
pub const BY_STORY: &str = names::STORY;

/// How the copy that stands for a group is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Best {
    /// The highest score.
    Score,
    /// The newest.
    Date,
}

/// One group of copies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Group {
    /// The ranking key of the best copy: its score, or its date in seconds.
    pub key: f64,
    /// The best copy.
    pub address: DocAddress,
    /// Its date (seconds), which decides between equally good copies: the newest stands.
    pub date: i64,
    /// How many matching articles share the title.
    pub copies: u32,
}

impl Group {
    /// Merges another group of the same title into this one.
    fn absorb(&mut self, other: Group) {
        self.copies += other.copies;
        if (other.key, other.date) > (self.key, self.date) {
            self.key = other.key;
            self.address = other.address;
            self.date = other.date;
        }
    }
}

/// Collects the groups of all matches, best first.
pub struct CollapseCollector {
    /// What "best" means.
    pub best: Best,
    /// The u64 fast field that names a group: the title key or the story.
    pub key: &'static str,
}

/// Groups of one segment, by title key.
pub struct SegmentGroups {
    segment: SegmentOrdinal,
    keys: Column<u64>,
    dates: Column<DateTime>,
    by_date: bool,
    groups: HashMap<u64, Group>,
}

impl Collector for CollapseCollector {
    type Fruit = Vec<Group>;
    type Child = SegmentGroups;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentGroups> {
        let fast = reader.fast_fields();
        Ok(SegmentGroups {
            segment,
            keys: fast.u64(self.key)?,
            dates: fast.date(names::DATE)?,
            by_date: self.best == Best::Date,
            groups: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.best == Best::Score
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u64, Group)>>) -> tantivy::Result<Vec<Group>> {
        let mut merged: HashMap<u64, Group> = HashMap::new();
        for (title, group) in fruits.into_iter().flatten() {
            merged.entry(title).and_modify(|g| g.absorb(group)).or_insert(group);
        }
        let mut groups: Vec<Group> = merged.into_values().collect();
        groups.sort_by(|a, b| {
            b.key
                .total_cmp(&a.key)
                .then_with(|| b.date.cmp(&a.date))
                .then_with(|| (a.address.segment_ord, a.address.doc_id).cmp(&(b.address.segment_ord, b.address.doc_id)))
        });
        Ok(groups)
    }
}

impl SegmentCollector for SegmentGroups {
    type Fruit = Vec<(u64, Group)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let title = self.keys.first(doc).unwrap_or(u64::MAX);
        let date = self.dates.first(doc).map_or(i64::MIN, |d| d.into_timestamp_secs());
        let key = if self.by_date { date as f64 } else { f64::from(score) };
        let group = Group {
            key,
            address: DocAddress::new(self.segment, doc),
            date,
            copies: 1,
        };
        self.groups
            .entry(title)
            .and_modify(|g| g.absorb(group))
            .or_insert(group);
    }

    fn harvest(self) -> Vec<(u64, Group)> {
        self.groups.into_iter().collect()
    }
}
