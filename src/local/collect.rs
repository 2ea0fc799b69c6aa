//! One pass over the matches of a tantivy query: the candidates of the page, the exact
//! total and, if asked, the facet counts. Every strategy — best score first, newest first,
//! one group per title (collapsed copies) — lists hits in one total order ([`keyed`]:
//! score, date, id); the first [`RERANK_WINDOW`] by score are then reranked (proximity,
//! recency) and listed first, and the page is cut out at an offset or after a cursor's key.
//!
//! [`keyed`]: super::keyed

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use tantivy::collector::Count;
use tantivy::query::Query;
use tantivy::{DocAddress, Searcher};
use time::OffsetDateTime;

use super::collapse::{BY_STORY, BY_TITLE, Best, CollapseCollector};
use super::facets::{FacetCollector, FacetNames, Facets};
use super::keyed::{After, Ids, Rank, TopAfter, settle, sort_total};
use super::proximity::{self, PhraseBonus};
use super::rerank::favour_recent;
use crate::error::Result;
use crate::search::cursor::SortKey;
use crate::search::{Collapse, SearchRequest};

/// Candidates reranked by the proximity bonus and recency: the first this many in score
/// order, whatever page is asked for, so every page agrees with the ones before it.
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
    /// Whether hits follow the page.
    pub more: bool,
    /// The moment recency was measured from (seconds), for the next page's cursor.
    pub now: i64,
}

/// A result before its stored fields are read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Candidate {
    /// Its score (0 in date order).
    pub score: f32,
    /// Its date (seconds), `i64::MIN` when undated.
    pub date: i64,
    /// Where it is.
    pub address: DocAddress,
    /// With collapsing: how many matches share its title.
    pub copies: Option<u32>,
    /// Whether it is among the reranked best, which are listed before all others.
    pub reranked: bool,
}

impl Candidate {
    fn rank(&self) -> Rank {
        Rank {
            score: self.score,
            date: self.date,
        }
    }
}

/// Where the page starts.
#[derive(Debug, Clone, Copy)]
enum Start<'a> {
    /// After this many hits.
    Offset(usize),
    /// After the hit with this key.
    After(&'a SortKey),
}

/// The page of `request` among the matches of `query`: newest first when `by_date`,
/// otherwise by score with `bonus` and recency reranking the first [`RERANK_WINDOW`].
/// `ids` settles ties.
pub(super) fn collect(
    searcher: &Searcher,
    query: &dyn Query,
    bonus: &[PhraseBonus],
    request: &SearchRequest,
    by_date: bool,
    facet_names: &Arc<FacetNames>,
    ids: &Ids,
) -> Result<Found> {
    let facets = request.facets.then(|| FacetCollector {
        names: Arc::clone(facet_names),
    });
    let start = match &request.cursor {
        Some(cursor) => Start::After(&cursor.after),
        None => Start::Offset(request.offset),
    };
    let now = request
        .now
        .or_else(|| {
            let at = request.cursor.as_ref()?.now;
            OffsetDateTime::from_unix_timestamp(at).ok()
        })
        .unwrap_or_else(OffsetDateTime::now_utc);
    let reranked = !by_date && (!bonus.is_empty() || request.recency_days.is_some());
    // One more than the page, to know whether another page follows.
    let wanted = request.limit + 1;
    let window = if reranked { RERANK_WINDOW } else { 0 };
    let grouped = match request.collapse {
        Collapse::None => None,
        Collapse::Title => Some(BY_TITLE),
        Collapse::Story => Some(BY_STORY),
    };
    let (mut list, total, facets, from_top) = match (grouped, start) {
        (Some(key), _) => {
            let (list, facets) = collapsed(searcher, query, facets, by_date, key, ids)?;
            (list, None, facets, true)
        }
        (None, Start::Offset(offset)) => {
            let (list, total, facets) = top(
                searcher,
                query,
                facets,
                by_date,
                (offset + wanted).max(window),
                None,
                ids,
            )?;
            (list, Some(total), facets, true)
        }
        // A key among the reranked: the window is rebuilt, and what follows it.
        (None, Start::After(key)) if reranked && key.reranked => {
            let (list, total, facets) = top(searcher, query, facets, by_date, window + wanted, None, ids)?;
            (list, Some(total), facets, true)
        }
        // A key past the window (or no window): only the hits after it are gathered.
        (None, Start::After(key)) => {
            let after = After {
                rank: Rank {
                    score: key.score,
                    date: key.date,
                },
                id: key.id.clone(),
            };
            let (list, total, facets) = top(searcher, query, facets, by_date, wanted, Some(&after), ids)?;
            (list, Some(total), facets, false)
        }
    };
    let total = total.unwrap_or(list.len());
    if reranked && from_top {
        let recency = request.recency_days.map(|days| (days, now));
        rerank(searcher, bonus, recency, &mut list, ids)?;
    }
    let mut page = match start {
        Start::Offset(offset) => list.into_iter().skip(offset).take(wanted).collect(),
        Start::After(_) if !from_top => list,
        Start::After(key) => after_key(list, key, wanted, ids)?,
    };
    let more = page.len() > request.limit;
    page.truncate(request.limit);
    Ok(Found {
        page,
        total,
        facets,
        more,
        now: now.unix_timestamp(),
    })
}

/// The first `wanted` of `list` (in the total order) that come after `key`.
fn after_key(list: Vec<Candidate>, key: &SortKey, wanted: usize, ids: &Ids) -> Result<Vec<Candidate>> {
    let mut page = Vec::with_capacity(wanted);
    for candidate in list {
        if page.len() == wanted {
            break;
        }
        if !page.is_empty() || is_after(&candidate, key, ids)? {
            page.push(candidate);
        }
    }
    Ok(page)
}

/// Whether `candidate` comes after the hit with `key`: the reranked before the others,
/// then by rank, then by id.
fn is_after(candidate: &Candidate, key: &SortKey, ids: &Ids) -> Result<bool> {
    if candidate.reranked != key.reranked {
        return Ok(key.reranked);
    }
    let at = Rank {
        score: key.score,
        date: key.date,
    };
    Ok(match candidate.rank().cmp_best_first(&at) {
        Ordering::Less => false,
        Ordering::Greater => true,
        Ordering::Equal => ids.of(candidate.address)? > key.id,
    })
}

/// The `wanted` first matches in the total order (after `after` when given), with the
/// total.
fn top(
    searcher: &Searcher,
    query: &dyn Query,
    facets: Option<FacetCollector>,
    by_date: bool,
    wanted: usize,
    after: Option<&After>,
    ids: &Ids,
) -> Result<(Vec<Candidate>, usize, Option<Facets>)> {
    let collector = TopAfter {
        limit: wanted,
        after: after.map(|a| a.rank),
        by_date,
    };
    let (gathered, total, facets) = searcher.search(query, &(collector, Count, facets))?;
    let list = settle(gathered, after, wanted, ids)?
        .into_iter()
        .map(|hit| Candidate {
            score: hit.rank.score,
            date: hit.rank.date,
            address: hit.address,
            copies: None,
            reranked: false,
        })
        .collect();
    Ok((list, total, facets))
}

/// Every group of copies (one per value of the fast field `key`: title or story), best
/// first: by score, or newest when `by_date` (then scores are 0).
fn collapsed(
    searcher: &Searcher,
    query: &dyn Query,
    facets: Option<FacetCollector>,
    by_date: bool,
    key: &'static str,
    ids: &Ids,
) -> Result<(Vec<Candidate>, Option<Facets>)> {
    let best = if by_date { Best::Date } else { Best::Score };
    let (groups, facets) = searcher.search(query, &(CollapseCollector { best, key }, facets))?;
    let mut list: Vec<Candidate> = groups
        .into_iter()
        .map(|g| Candidate {
            score: if by_date { 0.0 } else { g.key as f32 },
            date: g.date,
            address: g.address,
            copies: Some(g.copies),
            reranked: false,
        })
        .collect();
    sort_total(&mut list, Candidate::rank, |c| c.address, ids)?;
    Ok((list, facets))
}

/// Reorders the first [`RERANK_WINDOW`] candidates by their scores with the proximity
/// bonus and recency (`(half-life in days, now)`), in the total order, and marks them.
fn rerank(
    searcher: &Searcher,
    bonus: &[PhraseBonus],
    recency: Option<(f64, OffsetDateTime)>,
    candidates: &mut [Candidate],
    ids: &Ids,
) -> Result<()> {
    let window = candidates.len().min(RERANK_WINDOW);
    let mut scored: Vec<(f32, DocAddress)> = candidates[..window].iter().map(|c| (c.score, c.address)).collect();
    proximity::rerank(searcher, bonus, &mut scored)?;
    if let Some((days, now)) = recency {
        favour_recent(searcher, &mut scored, days, now);
    }
    let score: HashMap<DocAddress, f32> = scored.into_iter().map(|(s, a)| (a, s)).collect();
    for candidate in &mut candidates[..window] {
        candidate.score = score.get(&candidate.address).copied().unwrap_or(candidate.score);
        candidate.reranked = true;
    }
    sort_total(&mut candidates[..window], Candidate::rank, |c| c.address, ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::Engine;
    use crate::local::build::{Builder, Filters, Mode};
    use crate::local::indexer::{IndexOptions, Job, Silent};
    use crate::post::Article;
    use crate::search::{Sort, parse};
    use crate::store::IndexDir;

    /// (id, title, body, date): 潮汐 once to four times, two copies of one story, and two
    /// articles equal in everything but the id (`twin-b` written first).
    const ARTICLES: [(&str, &str, &str, &str); 7] = [
        ("one", "海上发电", "潮汐。", "2024-01-05"),
        ("two", "近海能源", "潮汐潮汐。", "2024-01-01"),
        ("three", "海洋电站", "潮汐潮汐潮汐。", "2024-01-04"),
        ("copy-a", "同一新闻", "潮汐潮汐潮汐潮汐。", "2024-01-02"),
        ("copy-b", "同一新闻", "潮汐潮汐潮汐潮汐。", "2024-01-03"),
        ("twin-b", "双胞稿件", "潮汐潮汐。", "2024-01-01"),
        ("twin-a", "双胞稿件", "潮汐潮汐。", "2024-01-01"),
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

    /// The ids (`×copies` when collapsed) of the page of `request` (its query is 潮汐)
    /// and the total.
    fn ids(engine: &Engine, request: &SearchRequest) -> (Vec<String>, usize) {
        let searcher = engine.reader.searcher();
        let builder = Builder::new(&engine.fields, &engine.analyzer, Some(&searcher));
        let parsed = parse("潮汐").expect("parses");
        let query = builder.build(&parsed, &Filters::default(), Mode::AllWords);
        let ids = Ids::new(&searcher, engine.fields.id);
        let by_date = request.sort == Sort::Date;
        let found = collect(&searcher, query.as_ref(), &[], request, by_date, &Arc::default(), &ids).expect("search");
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

    fn page(offset: usize, limit: usize) -> SearchRequest {
        SearchRequest {
            offset,
            limit,
            ..SearchRequest::new("潮汐")
        }
    }

    fn newest(offset: usize, limit: usize) -> SearchRequest {
        SearchRequest {
            sort: Sort::Date,
            ..page(offset, limit)
        }
    }

    #[test]
    fn newest_pages_in_date_order_ties_by_id() {
        let (_tmp, engine) = engine();
        let all = ["one", "three", "copy-b", "copy-a", "twin-a", "twin-b", "two"];
        assert_eq!(ids(&engine, &newest(0, 10)), (all.map(String::from).to_vec(), 7));
        assert_eq!(ids(&engine, &newest(1, 2)).0, ["three", "copy-b"]);
        assert_eq!(ids(&engine, &newest(4, 1)).0, ["twin-a"], "the id decides equal dates");
        assert_eq!(ids(&engine, &newest(5, 1)).0, ["twin-b"]);
    }

    #[test]
    fn equal_scores_list_the_newer_then_the_smaller_id_first() {
        let (_tmp, engine) = engine();
        let all = ["copy-b", "copy-a", "three", "twin-a", "twin-b", "two", "one"];
        assert_eq!(ids(&engine, &page(0, 10)), (all.map(String::from).to_vec(), 7));
        for (offset, id) in all.iter().enumerate() {
            assert_eq!(ids(&engine, &page(offset, 1)).0, [*id], "page {offset} of one");
        }
    }

    #[test]
    fn collapsed_counts_groups_and_their_copies() {
        let (_tmp, engine) = engine();
        let collapse = |sort| SearchRequest {
            collapse: Collapse::Title,
            sort,
            ..page(0, 10)
        };
        // Which of two copies equal in score and date stands for them is left to where
        // they sit in the index: the same on every page of one index state.
        let by_date: Vec<String> = ids(&engine, &collapse(Sort::Date))
            .0
            .into_iter()
            .map(|id| id.replace("twin-a", "twin").replace("twin-b", "twin"))
            .collect();
        assert_eq!(by_date, ["one×1", "three×1", "copy-b×2", "twin×2", "two×1"]);
        let (by_score, groups) = ids(&engine, &collapse(Sort::Relevance));
        assert_eq!(groups, 5);
        assert_eq!(
            by_score[..2],
            ["copy-b×2".to_string(), "three×1".to_string()],
            "the newer copy stands for the group"
        );
    }

    #[test]
    fn a_tiny_half_life_lifts_the_newest() {
        let (_tmp, engine) = engine();
        let fresh = SearchRequest {
            recency_days: Some(0.01),
            now: day("2024-01-05"),
            ..page(0, 10)
        };
        assert_eq!(ids(&engine, &fresh).0[0], "one");
    }
}
