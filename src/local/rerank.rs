//! Reranking the best candidates of a search by what BM25 does not see: freshness
//! (`recency`). Proximity has its own module ([`super::proximity`]); equal scores are
//! ordered by date and id in [`super::keyed`].

use tantivy::{DateTime, DocAddress, Searcher};
use time::OffsetDateTime;

use super::schema::names;

/// How much a brand-new article's score is raised by recency (×2); it halves with every
/// half-life of age, so old articles keep their plain score.
const RECENCY_WEIGHT: f32 = 1.0;

/// Article dates of hits, reading each segment's date column once (opening a fast-field
/// column decodes its header: once per segment, not per hit or per comparison).
pub(super) struct Dates<'a> {
    searcher: &'a Searcher,
    columns: std::collections::HashMap<u32, Option<tantivy::columnar::Column<DateTime>>>,
}

impl<'a> Dates<'a> {
    pub(super) fn new(searcher: &'a Searcher) -> Self {
        Dates {
            searcher,
            columns: std::collections::HashMap::new(),
        }
    }

    /// Seconds since the epoch, `None` for an undated article.
    fn seconds(&mut self, address: DocAddress) -> Option<i64> {
        let searcher = self.searcher;
        let column = self.columns.entry(address.segment_ord).or_insert_with(|| {
            searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .date(names::DATE)
                .ok()
        });
        column
            .as_ref()
            .and_then(|c| c.first(address.doc_id))
            .map(|d| d.into_timestamp_secs())
    }
}

/// Multiplies each score by 1 + RECENCY_WEIGHT × 2^(−age / half-life), then re-sorts.
/// Undated articles keep their score.
pub(super) fn favour_recent(
    searcher: &Searcher,
    hits: &mut [(f32, DocAddress)],
    half_life_days: f64,
    now: OffsetDateTime,
) {
    let mut dates = Dates::new(searcher);
    for (score, address) in hits.iter_mut() {
        if let Some((factor, _)) = recency(&mut dates, *address, half_life_days, now) {
            *score *= factor;
        }
    }
    hits.sort_by(|a, b| b.0.total_cmp(&a.0));
}

/// The factor [`favour_recent`] multiplies an article's score by, and the article's age
/// in days; `None` for an undated article.
pub(super) fn recency(
    dates: &mut Dates<'_>,
    address: DocAddress,
    half_life_days: f64,
    now: OffsetDateTime,
) -> Option<(f32, f64)> {
    let date = dates.seconds(address)?;
    let age_days = ((now.unix_timestamp() - date).max(0) as f64) / 86_400.0;
    Some((
        1.0 + RECENCY_WEIGHT * 0.5f64.powf(age_days / half_life_days) as f32,
        age_days,
    ))
}
