//! The one order every search pass lists hits in, and a collector of the best hits after a
//! key. The order is total: score (highest first), then date (newest first, undated
//! last), then the article id (the only key that is the same in every generation and
//! every segment layout). Without the id, equal scores and dates fell back to where a
//! document happens to sit, so page boundaries moved between requests (issue 12).
//!
//! Ids live in the document store, so they are read only where score and date are equal.

use std::cmp::Ordering;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::schema::Field;
use tantivy::{DateTime, DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader, TantivyDocument};

use super::schema::names;
use crate::error::Result;

/// Score and date: the part of the order read from the index's columns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rank {
    /// The score (0 in date order).
    pub score: f32,
    /// Seconds since the epoch, `i64::MIN` when undated.
    pub date: i64,
}

impl Rank {
    /// Best first: higher score, then newer.
    pub(super) fn cmp_best_first(&self, other: &Rank) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then_with(|| other.date.cmp(&self.date))
    }
}

/// A hit with its rank, before its stored fields are read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Ranked {
    /// Score and date.
    pub rank: Rank,
    /// Where it is.
    pub address: DocAddress,
}

/// Reads article ids from the document store, for the ties that need them.
pub(super) struct Ids<'a> {
    searcher: &'a Searcher,
    field: Field,
}

impl<'a> Ids<'a> {
    /// Ids of `field` in `searcher`'s view of the index.
    pub(super) fn new(searcher: &'a Searcher, field: Field) -> Self {
        Ids { searcher, field }
    }

    /// The id of the article at `address`.
    pub(super) fn of(&self, address: DocAddress) -> Result<String> {
        let doc: TantivyDocument = self.searcher.doc(address)?;
        Ok(doc
            .get_first(self.field)
            .and_then(|v| tantivy::schema::Value::as_str(&v))
            .unwrap_or_default()
            .to_string())
    }
}

/// Sorts `items` into the total order: by `rank`, and each run of equal ranks by id
/// (read only for those runs).
pub(super) fn sort_total<T: Clone>(
    items: &mut [T],
    rank: impl Fn(&T) -> Rank,
    address: impl Fn(&T) -> DocAddress,
    ids: &Ids,
) -> Result<()> {
    items.sort_by(|a, b| rank(a).cmp_best_first(&rank(b)));
    let mut start = 0;
    while start < items.len() {
        let first = rank(&items[start]);
        let end = start
            + items[start..]
                .iter()
                .position(|x| rank(x) != first)
                .unwrap_or(items.len() - start);
        if end - start > 1 {
            let run = &mut items[start..end];
            let mut keyed: Vec<(String, T)> = Vec::with_capacity(run.len());
            for item in run.iter() {
                keyed.push((ids.of(address(item))?, item.clone()));
            }
            keyed.sort_by(|a, b| a.0.cmp(&b.0));
            for (slot, (_, item)) in run.iter_mut().zip(keyed) {
                *slot = item;
            }
        }
        start = end;
    }
    Ok(())
}

/// Where a pass resumes: after this rank, and among equal ranks after this id.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct After {
    /// The rank of the last hit served.
    pub rank: Rank,
    /// Its id.
    pub id: String,
}

/// The `limit` best matches after `after` (all matches when `None`), in rank order, plus
/// every match of the same rank as the last kept one and every match whose rank equals
/// `after`'s, so ties can be settled by id afterwards ([`settle`]).
pub(super) struct TopAfter {
    /// Hits wanted.
    pub limit: usize,
    /// The rank already served, if any.
    pub after: Option<Rank>,
    /// Date order: scores are not computed and count as 0.
    pub by_date: bool,
}

/// What [`TopAfter`] gathered.
#[derive(Debug, Default)]
pub(super) struct Gathered {
    /// The best matches strictly after `after`'s rank, best first; ties with the last
    /// one included.
    pub best: Vec<Ranked>,
    /// The matches whose rank equals `after`'s: their ids decide.
    pub level: Vec<Ranked>,
}

/// One segment's share of a [`TopAfter`].
pub(super) struct SegmentTop {
    segment: SegmentOrdinal,
    dates: Column<DateTime>,
    limit: usize,
    after: Option<Rank>,
    by_date: bool,
    kept: Vec<Ranked>,
    level: Vec<Ranked>,
    /// The rank of the `limit`-th kept hit once known: anything worse is skipped.
    floor: Option<Rank>,
    /// Kept hits at which to cut back to `limit` (and ties) again.
    prune_at: usize,
}

impl Collector for TopAfter {
    type Fruit = Gathered;
    type Child = SegmentTop;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentTop> {
        let limit = self.limit.max(1);
        Ok(SegmentTop {
            segment,
            dates: reader.fast_fields().date(names::DATE)?,
            limit,
            after: self.after,
            by_date: self.by_date,
            kept: Vec::new(),
            level: Vec::new(),
            floor: None,
            prune_at: 2 * limit,
        })
    }

    fn requires_scoring(&self) -> bool {
        !self.by_date
    }

    fn merge_fruits(&self, fruits: Vec<Gathered>) -> tantivy::Result<Gathered> {
        let mut best = Vec::new();
        let mut level = Vec::new();
        for fruit in fruits {
            best.extend(fruit.best);
            level.extend(fruit.level);
        }
        cut_keeping_ties(&mut best, self.limit.max(1));
        Ok(Gathered { best, level })
    }
}

/// Sorts `hits` best first and drops those worse than the `limit`-th (keeping its ties).
fn cut_keeping_ties(hits: &mut Vec<Ranked>, limit: usize) -> Option<Rank> {
    hits.sort_by(|a, b| a.rank.cmp_best_first(&b.rank));
    let floor = hits.get(limit - 1)?.rank;
    let end = hits
        .iter()
        .position(|h| h.rank.cmp_best_first(&floor) == Ordering::Greater)
        .unwrap_or(hits.len());
    hits.truncate(end);
    Some(floor)
}

impl SegmentCollector for SegmentTop {
    type Fruit = Gathered;

    fn collect(&mut self, doc: DocId, score: Score) {
        let score = if self.by_date { 0.0 } else { score };
        // The score alone rules most matches out, before the date column is read.
        if let Some(floor) = self.floor
            && score < floor.score
        {
            return;
        }
        let date = self.dates.first(doc).map_or(i64::MIN, |d| d.into_timestamp_secs());
        let rank = Rank { score, date };
        let hit = Ranked {
            rank,
            address: DocAddress::new(self.segment, doc),
        };
        if let Some(after) = self.after {
            match rank.cmp_best_first(&after) {
                Ordering::Less => return,
                Ordering::Equal => {
                    self.level.push(hit);
                    return;
                }
                Ordering::Greater => {}
            }
        }
        if let Some(floor) = self.floor
            && rank.cmp_best_first(&floor) == Ordering::Greater
        {
            return;
        }
        self.kept.push(hit);
        if self.kept.len() >= self.prune_at {
            self.floor = cut_keeping_ties(&mut self.kept, self.limit);
            // Many equal ranks keep more than `limit`: prune less often, so it stays linear.
            self.prune_at = (2 * self.kept.len()).max(2 * self.limit);
        }
    }

    fn harvest(self) -> Gathered {
        Gathered {
            best: self.kept,
            level: self.level,
        }
    }
}

/// The `limit` first hits of `gathered` in the total order, after `after` when given.
pub(super) fn settle(gathered: Gathered, after: Option<&After>, limit: usize, ids: &Ids) -> Result<Vec<Ranked>> {
    let Gathered { mut best, level } = gathered;
    if let Some(after) = after {
        for hit in level {
            if ids.of(hit.address)? > after.id {
                best.push(hit);
            }
        }
    }
    sort_total(&mut best, |h| h.rank, |h| h.address, ids)?;
    best.truncate(limit);
    Ok(best)
}
