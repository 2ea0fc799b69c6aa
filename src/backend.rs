//! The seam between the front doors (CLI, HTTP server) and whatever holds the articles:
//! [`SearchBackend`] answers searches and look-ups, [`IndexBackend`] opens write jobs
//! ([`WriteJob`]). The local tantivy index ([`crate::local`]) is one implementation; a
//! cluster is another. Front doors hold `Arc<dyn SearchBackend>` and never name an engine
//! type; every type in these signatures is a plain value, re-exported here so a backend
//! needs only this module.
//!
//! Errors a backend returns, and what a front door makes of them:
//! - [`QueryError`] (inside [`Error::Query`]): the user's fault, a 400 / exit 2 with the
//!   message; a backend that refuses a query for its own limits says so with one.
//! - [`IndexError::UnknownId`]: no such article, a 404.
//! - [`IndexError::Locked`]: another writer holds the index, a 409.
//! - [`IndexError::Unavailable`]: the backend cannot answer now (a node down), a 503.
//! - anything else: an internal error, logged, a 500.

use std::path::PathBuf;

pub use crate::error::{Error, IndexError, QueryError, Result};
pub use crate::indexer::{IndexOptions, IndexReport, JobHistory, JobKind, Progress, Silent, Upserted};
pub use crate::post::{Article, Rejection};
pub use crate::search::categories::Categories;
pub use crate::search::explain::{Analysis, AnalyzeMode};
pub use crate::search::{
    Facets, Filters, Health, Highlighted, Hit, ParsedQuery, ParsedRequest, Related, SearchRequest, SearchResponse,
    Sort, Stats,
};

/// Searches and look-ups over one collection of articles.
///
/// What every backend guarantees, so that front doors and tests need not know which one
/// answers:
/// - `search` returns the exact `total` of matching articles (not an estimate), hits in a
///   stable order (equal scores: newer first), at most `request.limit` hits from
///   `request.offset`, titles and snippets marked by [`crate::search::snippet`] from the
///   stored text, and facet counts over all matches when `request.facets` is set;
/// - `get`, `related` and `search` see the same articles: a write job's articles are
///   visible to all three once [`WriteJob::finish`] has returned on a job this backend's
///   [`IndexBackend`] opened, and within [`SearchBackend::refresh`]'s next call for jobs
///   of other processes;
/// - a method never panics on input: bad input is a [`QueryError`].
pub trait SearchBackend: Send + Sync {
    /// The page of hits of a checked and parsed request.
    fn search(&self, request: &ParsedRequest) -> Result<SearchResponse>;

    /// One whole article; [`IndexError::UnknownId`] when there is none with this id.
    fn get(&self, id: &str) -> Result<Article>;

    /// Up to `limit` articles most like article `id` (not its syndicated copies), best
    /// first with their scores, in a stable order, weak matches cut
    /// ([`crate::search::related`]); [`IndexError::UnknownId`] when there is none with this id.
    fn related(&self, id: &str, limit: usize) -> Result<Vec<Related>>;

    /// The story id of article `id` (`s-` and hex); `None` where the backend assigns no
    /// stories (a cluster).
    fn story_of(&self, id: &str) -> Result<Option<String>> {
        let _ = id;
        Ok(None)
    }

    /// The live articles of the story `id`, oldest first; [`QueryError::NotSupported`]
    /// where the backend assigns no stories.
    fn story(&self, id: &str) -> Result<Vec<Article>> {
        let _ = id;
        Err(QueryError::NotSupported("this backend assigns no stories; stories need a local index".into()).into())
    }

    /// The readable names of the collection's categories: the built-in table unless the
    /// backend keeps a table of its own (a local index's `--categories` file).
    fn categories(&self) -> std::sync::Arc<Categories> {
        Categories::builtin()
    }

    /// Up to `limit` completions of the last word of `partial`, the words before it kept.
    fn suggest(&self, partial: &str, limit: usize) -> Result<Vec<String>>;

    /// Figures about the collection.
    fn stats(&self) -> Result<Stats>;

    /// What a health check shows; an error when the backend cannot answer searches. It
    /// answers from what the backend already knows, without I/O (a remote backend reports
    /// its last known state): the server calls it on an async thread, a few µs a call.
    fn health(&self) -> Result<Health>;

    /// Looks for changes other processes made (the local index: a rebuild that switched
    /// generations) and starts answering from them; returns whether anything changed.
    /// The server calls it a few times a second, on a blocking thread.
    fn refresh(&self) -> Result<bool> {
        Ok(false)
    }

    /// The tokens of `text` as this backend's index makes them and, in
    /// [`AnalyzeMode::Query`], the plan of a search for it. A backend that cannot show its
    /// own analysis says so ([`QueryError::NotSupported`]) rather than guess.
    fn analyze(&self, text: &str, mode: AnalyzeMode) -> Result<Analysis> {
        let _ = (text, mode);
        Err(QueryError::NotSupported(
            "this backend cannot show how it analyses a text; analyze runs on a local index".into(),
        )
        .into())
    }

    /// The collection's own records of its write jobs (CLI jobs included), for
    /// `GET /metrics`; `None` where the backend keeps none.
    fn job_history(&self) -> Result<Option<JobHistory>> {
        Ok(None)
    }
}

/// Opens write jobs on a collection of articles. One writer at a time: while a job is
/// open, [`IndexBackend::begin`] elsewhere fails with [`IndexError::Locked`] (or waits,
/// with [`IndexOptions::wait`]).
pub trait IndexBackend: Send + Sync {
    /// Opens a job. Fails with [`IndexError::Missing`] when `options.existing_only` is set
    /// and there is no collection yet (otherwise one is created).
    fn begin(&self, options: &IndexOptions) -> Result<Box<dyn WriteJob + '_>, IndexError>;

    /// One whole job over files and folders of posts and JSON Lines: every article read
    /// is upserted, every input refused is counted in the report by reason, and with
    /// `options.prune` or `options.rebuild` only articles positively accounted for are
    /// deleted (nothing is, after an input could not be read).
    ///
    /// The provided version ([`run_inputs`]) reads the inputs and feeds a [`WriteJob`];
    /// it refuses `prune` and `rebuild`, which need a backend that can list what it holds.
    /// The local index overrides it with its own (reading on a second thread, pruning).
    fn run(
        &self,
        paths: &[PathBuf],
        options: &IndexOptions,
        progress: &dyn Progress,
    ) -> Result<IndexReport, IndexError> {
        run_inputs(self, paths, options, progress)
    }
}

/// The articles of `paths` (files and folders of posts and JSON Lines) written in one job
/// of `index`: the backend-neutral `xinwen index` without `--prune` or `--rebuild`.
pub fn run_inputs<B: IndexBackend + ?Sized>(
    index: &B,
    paths: &[PathBuf],
    options: &IndexOptions,
    progress: &dyn Progress,
) -> Result<IndexReport, IndexError> {
    if options.prune || options.rebuild {
        return Err(IndexError::Refused(
            "this index cannot prune or rebuild: it does not list the articles it holds".into(),
        ));
    }
    let mut job = index.begin(options)?;
    // Walked once the job is open, so a job that waited reads the inputs as they are now.
    let found = crate::post::sources::find_inputs(paths);
    progress.start(crate::post::sources::total_bytes(&found.inputs));
    for rejection in found.rejected {
        progress.rejected(&rejection);
        job.reject(rejection);
    }
    let (mut articles, mut bytes) = (0u64, 0u64);
    let budget = crate::indexer::read_ahead_bytes(options.memory);
    for batch in crate::post::Reader::with_budget(found.inputs, budget) {
        bytes += batch.bytes;
        for (_, item) in batch.items {
            match item {
                Ok(article) => {
                    articles += 1;
                    job.upsert(&article)?;
                }
                Err(rejection) => {
                    progress.rejected(&rejection);
                    job.reject(rejection);
                }
            }
        }
        progress.advance(articles, bytes);
    }
    let mut report = job.finish(progress)?;
    report.skipped_files = found.skipped;
    report.skipped_folders = found.folders_again;
    report.bytes = bytes;
    Ok(report)
}

/// A write job in progress: nothing it does is visible until [`WriteJob::finish`], which
/// makes all of it visible at once (or none of it, when it fails).
pub trait WriteJob: Send {
    /// Adds or replaces the article with `article.id`; says whether it was new, changed
    /// or unchanged (an unchanged article is not written again).
    fn upsert(&mut self, article: &Article) -> Result<Upserted, IndexError>;

    /// Deletes the article with this id; returns whether there was one.
    fn delete(&mut self, id: &str) -> Result<bool, IndexError>;

    /// Counts an input that could not become an article, by reason, in the report.
    fn reject(&mut self, rejection: Rejection);

    /// Commits the job: its writes become visible together. Returns what it did.
    fn finish(self: Box<Self>, progress: &dyn Progress) -> Result<IndexReport, IndexError>;
}

/// Deletes articles by id in one job; returns how many of the ids were there. The
/// collection must exist ([`IndexError::Missing`] otherwise).
pub fn delete(index: &dyn IndexBackend, ids: &[String], wait: bool) -> Result<usize, IndexError> {
    let options = IndexOptions {
        wait,
        holder: "xinwen delete".into(),
        kind: JobKind::Delete,
        memory: 16 * 1024 * 1024,
        threads: Some(1),
        existing_only: true,
        ..IndexOptions::default()
    };
    let mut job = index.begin(&options)?;
    let mut deleted = 0;
    for id in ids {
        deleted += usize::from(job.delete(id)?);
    }
    job.finish(&Silent)?;
    Ok(deleted)
}
