//! One pass over the matches of a tantivy query: the candidates of the page, the exact
//! total and, if asked, the facet counts. Three strategies gather them — newest first,
//! best score first (with a window the rerankers may permute), and one group per title
//! (collapsed copies) — and [`collect`] picks one; the first candidates by score are then
//! reranked (proximity, recency, ties) and the page is cut out.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::Query;
use tantivy::{DateTime, DocAddress, Order, Searcher};
use time::OffsetDateTime;

use super::collapse::{Best, CollapseCollector};
use super::facets::{FacetCollector, FacetNames, Facets};
use super::proximity::{self, PhraseBonus};
use super::rerank::{favour_recent, newer_first_among_equals};
use super::schema::names;
use crate::error::Result;
use crate::search::SearchRequest;

/// Candidates reranked by the proximity bonus and recency: reranking permutes only these,
/// so every page agrees with the ones before it.
pub(super) const RERANK_WINDOW: usize = 200;

/// What one pass over the matches gathered.
#[derive(Debug)]
pub(super) struct Found {
    /// The page's candidates, in order.
    pub page: Vec<Candidate>,
    /// Exact number of matches (of groups, when collapsed).
    pub total: usize,
    /// Facet counts over every match, when asked for.
    pub facets: Option<Facets>,
}

/// A result before its stored fields are read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Candidate {
    /// Its score (0 in date order).
    pub score: f32,
    /// Where it is.
    pub address: DocAddress,
    /// With collapsing: how many matches share its title.
    pub copies: Option<u32>,
}

impl Candidate {
    fn new(score: f32, address: DocAddress) -> Self {
        Candidate {
            score,
            address,
            copies: None,
        }
    }
}

/// The page of `request` among the matches of `query`: newest first when `by_date`,
/// otherwise by score with `bonus` and recency reranking the first [`RERANK_WINDOW`].
pub(super) fn collect(
    searcher: &Searcher,
    query: &dyn Query,
    bonus: &[PhraseBonus],
    request: &SearchRequest,
    by_date: bool,
    facet_names: &Arc<FacetNames>,
) -> Result<Found> {
    let facets = request.facets.then(|| FacetCollector {
        names: Arc::clone(facet_names),
    });
    let mut found = match (request.collapse, by_date) {
        (true, _) => collapsed(searcher, query, facets, by_date)?,
        // Date order is final: tantivy cuts the page out itself.
        (false, true) => return newest(searcher, query, facets, request.offset, request.limit),
        (false, false) => {
            let reranked = !bonus.is_empty() || request.recency_days.is_some();
            let wanted = (request.offset + request.limit).max(if reranked { RERANK_WINDOW } else { 0 });
            best_scores(searcher, query, facets, wanted)?
        }
    };
    if !by_date {
        let recency = request
            .recency_days
            .map(|days| (days, request.now.unwrap_or_else(OffsetDateTime::now_utc)));
        rerank(searcher, bonus, recency, &mut found.page)?;
    }
    found.page = page(found.page, request.offset, request.limit);
    Ok(found)
}

/// The page `offset..offset + limit` of `candidates`.
fn page(candidates: Vec<Candidate>, offset: usize, limit: usize) -> Vec<Candidate> {
    candidates.into_iter().skip(offset).take(limit).collect()
}

/// The page of the matches, newest first (undated last), with the total.
fn newest(
    searcher: &Searcher,
    query: &dyn Query,
    facets: Option<FacetCollector>,
    offset: usize,
    limit: usize,
) -> Result<Found> {
    let top = TopDocs::with_limit(limit).and_offset(offset);
    let by_date = top.order_by_fast_field::<DateTime>(names::DATE, Order::Desc);
    let (hits, total, facets) = searcher.search(query, &(by_date, Count, facets))?;
    let page = hits
        .into_iter()
        .map(|(_, address)| Candidate::new(0.0, address))
        .collect();
    Ok(Found { page, total, facets })
}

/// The `wanted` best-scoring matches, best first, with the total.
fn best_scores(searcher: &Searcher, query: &dyn Query, facets: Option<FacetCollector>, wanted: usize) -> Result<Found> {
    let top = TopDocs::with_limit(wanted).order_by_score();
    let (hits, total, facets) = searcher.search(query, &(top, Count, facets))?;
    let page = hits
        .into_iter()
        .map(|(score, address)| Candidate::new(score, address))
        .collect();
    Ok(Found { page, total, facets })
}

/// Every group of copies (one per title), best first: by score, or newest when `by_date`
/// (then scores are 0). The total counts groups.
fn collapsed(searcher: &Searcher, query: &dyn Query, facets: Option<FacetCollector>, by_date: bool) -> Result<Found> {
    let best = if by_date { Best::Date } else { Best::Score };
    let (groups, facets) = searcher.search(query, &(CollapseCollector { best }, facets))?;
    let page = groups
        .into_iter()
        .map(|g| Candidate {
            score: if by_date { 0.0 } else { g.key as f32 },
            address: g.address,
            copies: Some(g.copies),
        })
        .collect::<Vec<_>>();
    Ok(Found {
        total: page.len(),
        page,
        facets,
    })
}

/// Reorders the first [`RERANK_WINDOW`] candidates: the proximity bonus, then recency
/// (`(half-life in days, now)`), then newer first among equal scores.
fn rerank(
    searcher: &Searcher,
    bonus: &[PhraseBonus],
    recency: Option<(f64, OffsetDateTime)>,
    candidates: &mut [Candidate],
) -> Result<()> {
    let window = candidates.len().min(RERANK_WINDOW);
    let mut scored: Vec<(f32, DocAddress)> = candidates[..window].iter().map(|c| (c.score, c.address)).collect();
    proximity::rerank(searcher, bonus, &mut scored)?;
    if let Some((days, now)) = recency {
        favour_recent(searcher, &mut scored, days, now);
    }
    newer_first_among_equals(searcher, &mut scored);
    let copies: HashMap<DocAddress, Option<u32>> = candidates[..window].iter().map(|c| (c.address, c.copies)).collect();
    for (slot, (score, address)) in candidates[..window].iter_mut().zip(scored) {
        *slot = Candidate {
            score,
            address,
            copies: copies.get(&address).copied().flatten(),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::Engine;
    use crate::local::build::{Builder, Filters, Mode};
    use crate::local::indexer::{IndexOptions, Job, Silent};
    use crate::post::Article;
    use crate::search::parse;
    use crate::store::IndexDir;

    /// (id, title, body, date): 潮汐 once to four times, two copies of one story.
    const ARTICLES: [(&str, &str, &str, &str); 5] = [
        ("one", "海上发电", "潮汐。", "2024-01-05"),
        ("two", "近海能源", "潮汐潮汐。", "2024-01-01"),
        ("three", "海洋电站", "潮汐潮汐潮汐。", "2024-01-04"),
        ("copy-a", "同一新闻", "潮汐潮汐潮汐潮汐。", "2024-01-02"),
        ("copy-b", "同一新闻", "潮汐潮汐潮汐潮汐。", "2024-01-03"),
    ];

    /// A `YYYY-MM-DD` date (Beijing time).
    fn day(text: &str) -> Option<OffsetDateTime> {
        match crate::post::parse_date(text) {
            Some(crate::post::ParsedDate::At(at)) => Some(at),
            _ => None,
        }
    }

    /// A tiny index of [`ARTICLES`], and the engine over it.
    fn engine() -> (tempfile::TempDir, Engine) {
        let tmp = tempfile::tempdir().expect("temporary directory");
        let dir = IndexDir::new(tmp.path().join("index"));
        let mut job = Job::begin(&dir, &IndexOptions::default()).expect("a job");
        for (id, title, body, date) in ARTICLES {
            let article = Article {
                id: id.into(),
                url: None,
                title: title.into(),
                body: body.into(),
                date: day(date),
                tags: vec![],
                categories: vec![],
                source: None,
            };
            job.upsert(&article).expect("upsert");
        }
        job.finish(&Silent).expect("commit");
        (tmp, Engine::open(&dir).expect("open"))
    }

    /// The ids of a pass with `strategy` over the articles that have 潮汐.
    fn ids(engine: &Engine, strategy: impl Fn(&Searcher, &dyn Query) -> Result<Found>) -> (Vec<String>, usize) {
        let searcher = engine.reader.searcher();
        let builder = Builder::new(&engine.fields, &engine.analyzer, Some(&searcher));
        let parsed = parse("潮汐").expect("parses");
        let query = builder.build(&parsed, &Filters::default(), Mode::AllWords);
        let found = strategy(&searcher, query.as_ref()).expect("search");
        let ids = found
            .page
            .iter()
            .map(|c| {
                let doc = searcher.doc(c.address).expect("stored");
                let article = engine.fields.from_doc(&doc);
                match c.copies {
                    Some(n) => format!("{}×{n}", article.id),
                    None => article.id,
                }
            })
            .collect();
        (ids, found.total)
    }

    #[test]
    fn newest_pages_in_date_order() {
        let (_tmp, engine) = engine();
        assert_eq!(
            ids(&engine, |s, q| newest(s, q, None, 0, 10)),
            (
                vec![
                    "one".into(),
                    "three".into(),
                    "copy-b".into(),
                    "copy-a".into(),
                    "two".into()
                ],
                5
            )
        );
        assert_eq!(
            ids(&engine, |s, q| newest(s, q, None, 1, 2)),
            (vec!["three".into(), "copy-b".into()], 5)
        );
    }

    #[test]
    fn best_scores_gives_the_wanted_best_and_the_whole_total() {
        let (_tmp, engine) = engine();
        let (best, total) = ids(&engine, |s, q| best_scores(s, q, None, 3));
        assert_eq!(total, 5);
        assert_eq!(best.len(), 3);
        assert!(best[..2].iter().all(|id| id.starts_with("copy-")), "{best:?}");
        assert_eq!(best[2], "three");
    }

    #[test]
    fn collapsed_counts_groups_and_their_copies() {
        let (_tmp, engine) = engine();
        assert_eq!(
            ids(&engine, |s, q| collapsed(s, q, None, true)),
            (
                vec!["one×1".into(), "three×1".into(), "copy-b×2".into(), "two×1".into()],
                4
            )
        );
        let (by_score, groups) = ids(&engine, |s, q| collapsed(s, q, None, false));
        assert_eq!(groups, 4);
        assert_eq!(
            by_score,
            ["copy-b×2", "three×1", "two×1", "one×1"],
            "the newer copy stands for the group"
        );
    }

    #[test]
    fn equal_scores_list_the_newer_copy_first_after_reranking() {
        let (_tmp, engine) = engine();
        let reranked = |s: &Searcher, q: &dyn Query| {
            let mut found = best_scores(s, q, None, 10)?;
            rerank(s, &[], None, &mut found.page)?;
            Ok(found)
        };
        let (order, _) = ids(&engine, reranked);
        assert_eq!(order[..2], ["copy-b".to_string(), "copy-a".to_string()]);
        let fresh = |s: &Searcher, q: &dyn Query| {
            let mut found = best_scores(s, q, None, 10)?;
            rerank(s, &[], day("2024-01-05").map(|n| (0.01, n)), &mut found.page)?;
            Ok(found)
        };
        assert_eq!(ids(&engine, fresh).0[0], "one", "a tiny half-life lifts the newest");
    }

    #[test]
    fn a_page_is_cut_from_the_candidates() {
        let candidates: Vec<Candidate> = (0..5u32)
            .map(|i| Candidate::new(i as f32, DocAddress::new(0, i)))
            .collect();
        let scores = |page: Vec<Candidate>| page.iter().map(|c| c.score).collect::<Vec<_>>();
        assert_eq!(scores(page(candidates.clone(), 1, 2)), [1.0, 2.0]);
        assert_eq!(scores(page(candidates.clone(), 4, 10)), [4.0]);
        assert!(page(candidates, 9, 1).is_empty());
    }
}
