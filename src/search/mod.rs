//! Searching an index: a [`SearchRequest`] (query text, filters, paging, sort) becomes a
//! [`SearchResponse`] of ranked hits with highlighted titles and snippets, an exact total,
//! and optionally facet counts. One [`Engine`] serves every front door.

pub mod bm25;
pub mod build;
pub mod collapse;
pub mod facets;
pub mod proximity;
pub mod query;
pub mod snippet;
pub mod suggest;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DateTime, DocAddress, IndexReader, Order, ReloadPolicy, Searcher, TantivyDocument, Term};
use time::OffsetDateTime;
use tracing::instrument;

pub use build::{Filters, Mode};
pub use facets::Facets;
pub use query::{ParsedQuery, parse};
pub use snippet::{Highlighted, Highlighter};

use crate::analysis::ChineseAnalyzer;
use crate::config::{DEFAULT_LIMIT, MAX_DEPTH, MAX_LIMIT, SNIPPET_CHARS};
use crate::error::{IndexError, QueryError, Result};
use crate::post::date::{BEIJING, parse_bound};
use crate::post::format_date;
use crate::schema::{Fields, StoredArticle, names};
use crate::store::IndexDir;

/// Decompressed 16 KB blocks of stored articles kept per segment: popular articles come
/// back page after page (a search box), and each block would otherwise be decompressed
/// again (tantivy keeps 100; this is about 16 MB a segment at most).
const DOC_STORE_CACHE_BLOCKS: usize = 1000;

/// How hits are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (BM25, title and tags weighted); newer first among equals.
    #[default]
    Relevance,
    /// Newest first.
    Date,
}

impl std::str::FromStr for Sort {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, QueryError> {
        match s {
            "relevance" | "" => Ok(Sort::Relevance),
            "date" => Ok(Sort::Date),
            other => Err(QueryError::InvalidParameter {
                name: "sort",
                message: format!("{other:?}: use relevance or date"),
            }),
        }
    }
}

/// A search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The query text (see [`query`] for the language).
    pub query: String,
    /// Tag, category and date filters.
    pub filters: Filters,
    /// Hits to return.
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
    /// Order.
    pub sort: Sort,
    /// Whether to count facets.
    pub facets: bool,
    /// Snippet length in characters; 0 for no snippets (ranking only).
    pub snippet_chars: usize,
    /// One result per title, with the number of copies (syndicated news).
    pub collapse: bool,
    /// Favour fresh articles: a score is multiplied by up to 2, halving with every this
    /// many days of age (relevance order only; off by default).
    pub recency_days: Option<f64>,
    /// The moment ages are measured from (tests); now when `None`.
    pub now: Option<OffsetDateTime>,
}

impl SearchRequest {
    /// A request for `query` with the defaults.
    pub fn new(query: impl Into<String>) -> Self {
        SearchRequest {
            query: query.into(),
            filters: Filters::default(),
            limit: DEFAULT_LIMIT,
            offset: 0,
            sort: Sort::Relevance,
            facets: false,
            snippet_chars: SNIPPET_CHARS,
            collapse: false,
            recency_days: None,
            now: None,
        }
    }

    /// Checks the limits: 1 ≤ limit ≤ [`MAX_LIMIT`], offset + limit ≤ [`MAX_DEPTH`], dates
    /// in order.
    pub fn validate(&self) -> Result<(), QueryError> {
        if self.limit == 0 || self.limit > MAX_LIMIT {
            return Err(QueryError::InvalidParameter {
                name: "limit",
                message: format!("{}: use 1 to {MAX_LIMIT}", self.limit),
            });
        }
        if self.offset.saturating_add(self.limit) > MAX_DEPTH {
            return Err(QueryError::InvalidParameter {
                name: "offset",
                message: format!("results beyond the first {MAX_DEPTH} cannot be paged to; narrow the query"),
            });
        }
        if let Some(days) = self.recency_days
            && !(days > 0.0 && days <= MAX_RECENCY_DAYS)
        {
            return Err(QueryError::InvalidParameter {
                name: "recency",
                message: format!("{days}: give a half-life in days, above 0 and at most {MAX_RECENCY_DAYS}"),
            });
        }
        if let (Some(from), Some(to)) = (self.filters.from, self.filters.to)
            && from > to
        {
            return Err(QueryError::EmptyDateRange {
                from: format_date(from),
                to: format_date(to),
            });
        }
        Ok(())
    }
}

/// Parses a `from`/`to` bound: `YYYY-MM-DD` (a `to` date covers that whole day) or RFC 3339.
pub fn parse_date_filter(name: &'static str, raw: &str, upper: bool) -> Result<OffsetDateTime, QueryError> {
    let invalid = || QueryError::InvalidDate {
        name,
        value: raw.to_string(),
    };
    let at = parse_bound(raw).ok_or_else(invalid)?;
    let date_only = raw.trim().len() <= 10;
    if upper && date_only {
        let end = at.to_offset(BEIJING).replace_time(time::Time::MIDNIGHT) + time::Duration::days(1)
            - time::Duration::seconds(1);
        return Ok(end);
    }
    Ok(at)
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Stable id.
    pub id: String,
    /// Source link.
    pub url: Option<String>,
    /// Headline.
    pub title: String,
    /// Publication time, RFC 3339 in Beijing time.
    pub date: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Categories.
    pub categories: Vec<String>,
    /// Relevance score (0 when sorting by date).
    pub score: f32,
    /// With `collapse`: how many matching articles share this title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copies: Option<u32>,
    /// The headline, HTML-escaped, query words in `<mark>`.
    pub title_html: String,
    /// A snippet of the body, HTML-escaped, query words in `<mark>`.
    pub snippet_html: String,
    /// The headline's parts, for terminal rendering.
    #[serde(skip)]
    pub title_parts: Highlighted,
    /// The snippet's parts, for terminal rendering.
    #[serde(skip)]
    pub snippet_parts: Highlighted,
}

/// The answer to a [`SearchRequest`].
#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    /// The query as given.
    pub query: String,
    /// Exact number of matching articles.
    pub total: usize,
    /// Time spent, in milliseconds.
    pub took_ms: f64,
    /// The requested page of hits.
    pub hits: Vec<Hit>,
    /// Facet counts over all matches, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
    /// True when nothing matched all the words and the hits are the best partial matches.
    pub relaxed: bool,
}

/// An open index ready to search.
pub struct Engine {
    reader: IndexReader,
    facet_names: Arc<facets::FacetNames>,
    fields: Fields,
    analyzer: ChineseAnalyzer,
    generation: PathBuf,
}

impl Engine {
    /// Opens the live index under `dir`. The reader reloads by itself shortly after
    /// another process commits.
    pub fn open(dir: &IndexDir) -> Result<Engine, IndexError> {
        let open = dir.open()?;
        let reader = open
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
            .try_into()?;
        open.analyzer.warm_up();
        Ok(Engine {
            reader,
            facet_names: Arc::default(),
            fields: open.fields,
            analyzer: open.analyzer,
            generation: open.generation,
        })
    }

    /// The generation directory this engine reads.
    pub fn generation(&self) -> &Path {
        &self.generation
    }

    /// The name of that directory (`gen-000002`).
    pub fn generation_name(&self) -> &str {
        self.generation.file_name().and_then(|n| n.to_str()).unwrap_or_default()
    }

    /// Reloads the reader now (tests; the server relies on the automatic reload).
    pub fn reload(&self) -> Result<(), IndexError> {
        Ok(self.reader.reload()?)
    }

    /// Live articles in the index.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The analyzer the index was built with.
    pub fn analyzer(&self) -> &ChineseAnalyzer {
        &self.analyzer
    }

    /// Runs a search.
    #[instrument(skip_all, fields(query = %request.query))]
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse> {
        let started = Instant::now();
        request.validate()?;
        let parsed = query::parse(&request.query)?;
        if parsed.is_match_all() && parsed.excluded.is_empty() && request.filters.is_empty() {
            return Err(QueryError::Empty.into());
        }
        let searcher = self.reader.searcher();
        if request.facets {
            let live: Vec<tantivy::index::SegmentId> =
                searcher.segment_readers().iter().map(|s| s.segment_id()).collect();
            self.facet_names.retain(&live);
        }
        let builder = build::Builder::new(&self.fields, &self.analyzer, Some(&searcher));
        let parsed = builder.join_typed_apart(parsed);
        builder.check_words(&parsed)?;
        let by_date = request.sort == Sort::Date || parsed.is_match_all();
        let bonus = if by_date {
            Vec::new()
        } else {
            builder.proximity_bonus(&parsed)
        };
        let query = builder.build(&parsed, &request.filters, Mode::AllWords);
        let mut found = self.collect(&searcher, query.as_ref(), &bonus, request, by_date)?;
        let mut relaxed = false;
        if found.total == 0 && builder.relaxable_concepts(&parsed) > 1 {
            // Rescue an empty page with the articles that have any of the words, best first.
            let query = builder.build(&parsed, &request.filters, Mode::AnyWord);
            found = self.collect(&searcher, query.as_ref(), &bonus, request, by_date)?;
            relaxed = found.total > 0;
        }
        let Found { page, total, facets } = found;
        let highlighter = highlighter(&builder, &parsed);
        let mut hits = Vec::with_capacity(page.len());
        for candidate in page {
            let doc: TantivyDocument = searcher.doc(candidate.address)?;
            let stored = self.fields.from_doc(&doc);
            let mut hit = make_hit(stored, candidate.score, &highlighter, request.snippet_chars);
            hit.copies = candidate.copies;
            hits.push(hit);
        }
        Ok(SearchResponse {
            query: request.query.clone(),
            total,
            took_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            hits,
            facets,
            relaxed,
        })
    }

    /// One pass over the matches: the best candidates (or groups of copies), the exact
    /// total and, if asked, the facet counts; then the first candidates are reranked
    /// (proximity, recency) and the page is cut out.
    fn collect(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        bonus: &[proximity::PhraseBonus],
        request: &SearchRequest,
        by_date: bool,
    ) -> Result<Found> {
        let facets = request.facets.then(|| facets::FacetCollector {
            names: Arc::clone(&self.facet_names),
        });
        let end = request.offset + request.limit;
        let mut candidates: Vec<Candidate>;
        let total;
        let found_facets;
        if request.collapse {
            let best = if by_date {
                collapse::Best::Date
            } else {
                collapse::Best::Score
            };
            let (groups, facets) = searcher.search(query, &(collapse::CollapseCollector { best }, facets))?;
            total = groups.len();
            found_facets = facets;
            candidates = groups
                .into_iter()
                .map(|g| Candidate {
                    score: if by_date { 0.0 } else { g.key as f32 },
                    address: g.address,
                    copies: Some(g.copies),
                })
                .collect();
        } else if by_date {
            let top = TopDocs::with_limit(request.limit).and_offset(request.offset);
            let by_date = top.order_by_fast_field::<DateTime>(names::DATE, Order::Desc);
            let (hits, count, facets) = searcher.search(query, &(by_date, Count, facets))?;
            let page = hits
                .into_iter()
                .map(|(_, address)| Candidate::new(0.0, address))
                .collect();
            return Ok(Found {
                page,
                total: count,
                facets,
            });
        } else {
            // Reranking permutes only the first RERANK_WINDOW candidates, so every page agrees
            // with the ones before it.
            let reranked = !bonus.is_empty() || request.recency_days.is_some();
            let wanted = end.max(if reranked { RERANK_WINDOW } else { 0 });
            let top = TopDocs::with_limit(wanted).order_by_score();
            let (hits, count, facets) = searcher.search(query, &(top, Count, facets))?;
            total = count;
            found_facets = facets;
            candidates = hits
                .into_iter()
                .map(|(score, address)| Candidate::new(score, address))
                .collect();
        }
        if by_date {
            let page = candidates
                .into_iter()
                .skip(request.offset)
                .take(request.limit)
                .collect();
            return Ok(Found {
                page,
                total,
                facets: found_facets,
            });
        }
        let window = candidates.len().min(RERANK_WINDOW);
        let mut scored: Vec<(f32, DocAddress)> = candidates[..window].iter().map(|c| (c.score, c.address)).collect();
        proximity::rerank(searcher, bonus, &mut scored)?;
        if let Some(days) = request.recency_days {
            favour_recent(
                searcher,
                &mut scored,
                days,
                request.now.unwrap_or_else(OffsetDateTime::now_utc),
            );
        }
        newer_first_among_equals(searcher, &mut scored);
        let copies: std::collections::HashMap<DocAddress, Option<u32>> =
            candidates[..window].iter().map(|c| (c.address, c.copies)).collect();
        for (slot, (score, address)) in candidates[..window].iter_mut().zip(scored) {
            *slot = Candidate {
                score,
                address,
                copies: copies.get(&address).copied().flatten(),
            };
        }
        let page = candidates
            .into_iter()
            .skip(request.offset)
            .take(request.limit)
            .collect();
        Ok(Found {
            page,
            total,
            facets: found_facets,
        })
    }

    /// One whole stored article.
    pub fn get(&self, id: &str) -> Result<StoredArticle> {
        self.find(&self.reader.searcher(), id)
    }

    /// The stored article with this id in `searcher`'s view of the index.
    fn find(&self, searcher: &Searcher, id: &str) -> Result<StoredArticle> {
        let top = searcher.search(&self.id_query(id), &TopDocs::with_limit(1).order_by_score())?;
        let Some(&(_, address)) = top.first() else {
            return Err(IndexError::UnknownId(id.to_string()).into());
        };
        let doc: TantivyDocument = searcher.doc(address)?;
        Ok(self.fields.from_doc(&doc))
    }

    /// The query that matches the article with this id.
    fn id_query(&self, id: &str) -> TermQuery {
        TermQuery::new(Term::from_field_text(self.fields.id, id), IndexRecordOption::Basic)
    }

    /// Figures about the index.
    pub fn stats(&self) -> Result<Stats> {
        let searcher = self.reader.searcher();
        let mut oldest: Option<i64> = None;
        let mut newest: Option<i64> = None;
        for segment in searcher.segment_readers() {
            let dates = segment.fast_fields().date(names::DATE)?;
            for doc in segment.doc_ids_alive() {
                if let Some(d) = dates.first(doc) {
                    let secs = d.into_timestamp_secs();
                    oldest = Some(oldest.map_or(secs, |o| o.min(secs)));
                    newest = Some(newest.map_or(secs, |n| n.max(secs)));
                }
            }
        }
        let to_date = |s: Option<i64>| {
            s.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                .map(format_date)
        };
        Ok(Stats {
            articles: searcher.num_docs(),
            segments: searcher.segment_readers().len(),
            size_bytes: dir_size(&self.generation),
            oldest: to_date(oldest),
            newest: to_date(newest),
            generation: self.generation_name().to_string(),
            last_commit: std::fs::metadata(self.generation.join("meta.json"))
                .and_then(|m| m.modified())
                .ok()
                .map(|t| format_date(OffsetDateTime::from(t))),
        })
    }
}

/// The highlighter of a query: every positive text item is a group; `title:` items mark
/// titles only.
fn highlighter(builder: &build::Builder<'_>, parsed: &ParsedQuery) -> Highlighter {
    let mut groups = Vec::new();
    for item in parsed.positive_items() {
        if let query::Item::Text { scope, text, phrase } = item {
            let mut group = builder.highlight_group(text, *phrase);
            group.title_only = *scope == query::Scope::Title;
            groups.push(group);
        }
    }
    Highlighter::new(&groups)
}

fn make_hit(stored: StoredArticle, score: f32, highlighter: &Highlighter, chars: usize) -> Hit {
    let (title_parts, snippet_parts) = if chars == 0 {
        (snippet::mark_all(&stored.title, &[]), Highlighted::default())
    } else {
        let title_scan = highlighter.scan(&stored.title, false);
        let body_scan = highlighter.scan(&stored.body, true);
        let wholes = title_scan.wholes | body_scan.wholes;
        (
            snippet::mark_all(&stored.title, &highlighter.hits(&stored.title, &title_scan, wholes)),
            snippet::snippet_of(&stored.body, &highlighter.hits(&stored.body, &body_scan, wholes), chars),
        )
    };
    Hit {
        title_html: title_parts.to_html(),
        snippet_html: snippet_parts.to_html(),
        id: stored.id,
        url: stored.url,
        title: stored.title,
        date: stored.date.map(format_date),
        tags: stored.tags,
        categories: stored.categories,
        score,
        copies: None,
        title_parts,
        snippet_parts,
    }
}

/// Candidates reranked by the proximity bonus.
const RERANK_WINDOW: usize = 200;

/// What one pass over the matches gathered.
struct Found {
    page: Vec<Candidate>,
    total: usize,
    facets: Option<Facets>,
}

/// A result before its stored fields are read.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    score: f32,
    address: DocAddress,
    copies: Option<u32>,
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

/// How much a brand-new article's score is raised by recency (×2); it halves with every
/// half-life of age, so old articles keep their plain score.
const RECENCY_WEIGHT: f32 = 1.0;

/// The longest recency half-life accepted, in days (a century).
const MAX_RECENCY_DAYS: f64 = 36_500.0;

/// Article dates of hits, reading each segment's date column once (opening a fast-field
/// column decodes its header: once per segment, not per hit or per comparison).
struct Dates<'a> {
    searcher: &'a Searcher,
    columns: std::collections::HashMap<u32, Option<tantivy::columnar::Column<DateTime>>>,
}

impl<'a> Dates<'a> {
    fn new(searcher: &'a Searcher) -> Self {
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
fn favour_recent(searcher: &Searcher, hits: &mut [(f32, DocAddress)], half_life_days: f64, now: OffsetDateTime) {
    let now = now.unix_timestamp();
    let mut dates = Dates::new(searcher);
    for (score, address) in hits.iter_mut() {
        if let Some(date) = dates.seconds(*address) {
            let age_days = ((now - date).max(0) as f64) / 86_400.0;
            *score *= 1.0 + RECENCY_WEIGHT * 0.5f64.powf(age_days / half_life_days) as f32;
        }
    }
    hits.sort_by(|a, b| b.0.total_cmp(&a.0));
}

/// Equal scores (a filter-only clause, identical articles) list newer articles first.
fn newer_first_among_equals(searcher: &Searcher, hits: &mut [(f32, DocAddress)]) {
    if !hits.windows(2).any(|w| w[0].0 == w[1].0) {
        return;
    }
    let mut dates = Dates::new(searcher);
    let mut keyed: Vec<(f32, i64, DocAddress)> = hits
        .iter()
        .map(|&(score, a)| (score, dates.seconds(a).unwrap_or(i64::MIN), a))
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    for (hit, (score, _, address)) in hits.iter_mut().zip(keyed) {
        *hit = (score, address);
    }
}

/// Figures about an index.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Live articles.
    pub articles: u64,
    /// Segments.
    pub segments: usize,
    /// Size on disk of the live generation.
    pub size_bytes: u64,
    /// Earliest article date.
    pub oldest: Option<String>,
    /// Latest article date.
    pub newest: Option<String>,
    /// The live generation.
    pub generation: String,
    /// When the live generation was last committed.
    pub last_commit: Option<String>,
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
