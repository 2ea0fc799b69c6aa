//! Searching an index: a [`SearchRequest`] (query text, filters, paging, sort) becomes a
//! [`SearchResponse`] of ranked hits with highlighted titles and snippets, an exact total,
//! and optionally facet counts. One [`Engine`] serves every front door.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::{IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term};
use tracing::instrument;

use super::build::{self, Mode};
use super::collect::{Candidate, Found, collect};
use super::explain::{Explained, Labels};
use super::facets;
use super::keyed::Ids;
use super::stories;
use super::story::StoryId;
use crate::analysis::ChineseAnalyzer;
use crate::error::{IndexError, Result};
use crate::post::Article;
use crate::schema::Fields;
use crate::search::categories::Categories;
use crate::search::cursor::{self, Cursor, SortKey};
use crate::search::explain::{Analysis, AnalyzeMode};
use crate::search::highlight::make_hit;
use crate::search::words::Words;
use crate::search::{Collapse, ParsedRequest, SearchRequest, SearchResponse, Sort};
use crate::store::IndexDir;

/// Decompressed 16 KB blocks of stored articles kept per segment: popular articles come
/// back page after page (a search box), and each block would otherwise be decompressed
/// again (tantivy keeps 100; this is about 16 MB a segment at most).
const DOC_STORE_CACHE_BLOCKS: usize = 1000;

/// An open index ready to search.
pub struct Engine {
    pub(super) reader: IndexReader,
    facet_names: Arc<facets::FacetNames>,
    pub(super) fields: Fields,
    pub(super) analyzer: ChineseAnalyzer,
    pub(super) generation: PathBuf,
    /// The index's stop words and synonyms, and the manifest revision they were read at.
    pub(super) words: Words,
    pub(super) words_revision: u64,
    /// The readable names of its categories (built-in, or with the index's file over them).
    categories: Arc<Categories>,
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
        let words = Words::from_settings(&open.manifest.words).map_err(|e| IndexError::Unreadable {
            path: open.generation.clone(),
            reason: format!("its word settings: {e}"),
        })?;
        // Learned aliases only widen queries: an unreadable counts file leaves them out
        // rather than the whole index.
        let learned = super::aliases::read(&open.generation).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "learned aliases left out");
            Default::default()
        });
        let words = words.with_learned(&learned);
        Ok(Engine {
            categories: Categories::from_setting(&open.manifest.words.categories),
            words,
            words_revision: open.manifest.words_revision,
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

    /// The revision of the word settings this engine uses (see [`IndexDir::save_words`]).
    pub fn words_revision(&self) -> u64 {
        self.words_revision
    }

    /// The stop words and synonyms queries are built with.
    pub fn words(&self) -> &Words {
        &self.words
    }

    /// The readable names of the index's categories.
    pub fn categories(&self) -> Arc<Categories> {
        Arc::clone(&self.categories)
    }

    /// The analyzer the index was built with.
    pub fn analyzer(&self) -> &ChineseAnalyzer {
        &self.analyzer
    }

    /// Runs a search: checks and parses `request` ([`ParsedRequest::new`]), then
    /// [`Engine::run`]s it.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse> {
        self.run(&ParsedRequest::new(request.clone())?)
    }

    /// Runs a checked and parsed search.
    #[instrument(skip_all, fields(query = %parsed.request.query))]
    pub fn run(&self, parsed: &ParsedRequest) -> Result<SearchResponse> {
        let started = Instant::now();
        let ParsedRequest { request, query: parsed } = parsed;
        let searcher = self.reader.searcher();
        if request.facets {
            let live: Vec<tantivy::index::SegmentId> =
                searcher.segment_readers().iter().map(|s| s.segment_id()).collect();
            self.facet_names.retain(&live);
        }
        let mut builder = build::Builder::new(&self.fields, &self.analyzer, Some(&searcher)).with_words(&self.words);
        if request.explain {
            builder.labels = Labels::on();
        }
        let joined = builder.join_typed_apart(parsed.clone());
        let parsed = &joined;
        builder.check_words(parsed)?;
        let by_date = request.sort == Sort::Date || parsed.is_match_all();
        let bonus = if by_date {
            Vec::new()
        } else {
            builder.proximity_bonus(parsed)
        };
        let mut query = builder.build(parsed, &request.filters, Mode::AllWords);
        let ids = Ids::new(&searcher, self.fields.id);
        let run = |query: &dyn tantivy::query::Query| {
            collect(&searcher, query, &bonus, request, by_date, &self.facet_names, &ids)
        };
        let mut found = run(query.as_ref())?;
        let mut relaxed = false;
        if found.total == 0 && builder.relaxable_concepts(parsed) > 1 {
            // Rescue an empty page with the articles that have any of the words, best first.
            query = builder.build(parsed, &request.filters, Mode::AnyWord);
            found = run(query.as_ref())?;
            relaxed = found.total > 0;
        }
        let Found {
            page,
            total,
            facets,
            more,
            now,
        } = found;
        let mut explained = if request.explain {
            let explained = Explained {
                searcher: &searcher,
                query: query.as_ref(),
                labels: &builder.labels,
                bonus: &bonus,
                request,
                by_date,
                now,
            };
            explained.hits(&page)?.into_iter().map(Some).collect::<Vec<_>>()
        } else {
            Vec::new()
        }
        .into_iter();
        let last = page.last().copied();
        let highlighter = builder.highlighter(parsed);
        let mut hits = Vec::with_capacity(page.len());
        for candidate in page {
            let doc: TantivyDocument = searcher.doc(candidate.address)?;
            let stored = self.fields.from_doc(&doc);
            let mut hit = make_hit(stored, candidate.score, &highlighter, request.snippet_chars);
            hit.copies = candidate.copies;
            hit.story = self.fields.story_of(&doc);
            if request.collapse == Collapse::Story
                && let Some(story) = hit.story.as_deref().and_then(StoryId::parse)
            {
                let others = stories::others(&searcher, &self.fields, query.as_ref(), story.0, candidate.address)?;
                hit.others = Some(others);
            }
            hit.explain = explained.next().flatten();
            hits.push(hit);
        }
        let next_cursor = match (more, last, hits.last()) {
            (true, Some(last), Some(hit)) => Some(self.cursor_after(request, &last, &hit.id, now)),
            _ => None,
        };
        let mut response = SearchResponse {
            query: request.query.clone(),
            total,
            took_ms: (started.elapsed().as_secs_f64() * 1e6).round() / 1e3,
            hits,
            facets,
            relaxed,
            partial: false,
            warnings: Vec::new(),
            next_cursor,
            counts: request.collapse.counts(),
        };
        response.name_categories(&self.categories);
        Ok(response)
    }

    /// The tokens of `text` as this index's analyzer makes them and, for a query, the plan
    /// a search for it follows.
    pub fn analyze(&self, text: &str, mode: AnalyzeMode) -> Result<Analysis> {
        let searcher = self.reader.searcher();
        let builder = build::Builder::new(&self.fields, &self.analyzer, Some(&searcher)).with_words(&self.words);
        super::explain::analyze(&self.analyzer, &builder, &searcher, text, mode)
    }

    /// The token of the page after `last` (whose id is `id`).
    fn cursor_after(&self, request: &SearchRequest, last: &Candidate, id: &str, now: i64) -> String {
        Cursor {
            fingerprint: cursor::fingerprint(request),
            generation: self.generation_name().to_string(),
            now,
            after: SortKey {
                reranked: last.reranked,
                score: last.score,
                date: last.date,
                id: id.to_string(),
            },
        }
        .encode()
    }

    /// One whole stored article.
    pub fn get(&self, id: &str) -> Result<Article> {
        self.find(&self.reader.searcher(), id)
    }

    /// The story of the article `id` (`s-` and hex).
    pub fn story_of(&self, id: &str) -> Result<Option<String>> {
        let searcher = self.reader.searcher();
        let top = searcher.search(&self.id_query(id), &TopDocs::with_limit(1).order_by_score())?;
        let Some(&(_, address)) = top.first() else {
            return Err(IndexError::UnknownId(id.to_string()).into());
        };
        let doc: TantivyDocument = searcher.doc(address)?;
        Ok(self.fields.story_of(&doc))
    }

    /// The live articles of the story `id`, oldest first (see [`stories::articles`]).
    pub fn story(&self, id: &str) -> Result<Vec<Article>> {
        stories::articles(&self.reader.searcher(), &self.fields, id)
    }

    /// The stored article with this id in `searcher`'s view of the index.
    pub(super) fn find(&self, searcher: &Searcher, id: &str) -> Result<Article> {
        let top = searcher.search(&self.id_query(id), &TopDocs::with_limit(1).order_by_score())?;
        let Some(&(_, address)) = top.first() else {
            return Err(IndexError::UnknownId(id.to_string()).into());
        };
        let doc: TantivyDocument = searcher.doc(address)?;
        Ok(self.fields.from_doc(&doc))
    }

    /// The query that matches the article with this id.
    pub(super) fn id_query(&self, id: &str) -> TermQuery {
        TermQuery::new(Term::from_field_text(self.fields.id, id), IndexRecordOption::Basic)
    }
}
