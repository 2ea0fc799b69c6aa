//! The local backend: a tantivy index in a directory on this machine ([`IndexDir`]),
//! searched by an [`Engine`] and written by indexing jobs ([`Job`]).
//!
//! [`LocalBackend`] serves searches from the live generation and follows it: commits inside
//! a generation (incremental jobs) reach the open engine through tantivy's own reload
//! policy; a rebuild changes `CURRENT`, which [`SearchBackend::refresh`] notices and answers
//! by opening the new generation and swapping it in. Requests in flight keep the engine
//! they started with. [`LocalIndex`] writes an index that may not exist yet (`xinwen
//! index` creates it); the one-writer rule is the index's lock file.

pub(crate) mod aliases;
pub(crate) mod bm25;
pub mod build;
pub(crate) mod collapse;
mod collect;
pub mod engine;
pub(crate) mod explain;
pub(crate) mod facets;
mod floor;
pub mod indexer;
mod keyed;
pub(crate) mod proximity;
pub(crate) mod related;
mod rerank;
pub mod schema;
pub mod snapshot;
mod stats;
pub mod store;
mod stories;
pub mod story;
pub(crate) mod suggest;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::backend::{IndexBackend, SearchBackend, WriteJob};
use crate::error::{IndexError, Result};
use crate::post::{Article, Rejection};
pub use engine::Engine;
use indexer::{IndexOptions, IndexReport, Job, Progress, Upserted};

use crate::search::explain::{Analysis, AnalyzeMode};
use crate::search::{Health, ParsedRequest, Related, SearchResponse, Stats};
use crate::store::IndexDir;

/// Searches the live generation of a local index, and writes it.
pub struct LocalBackend {
    dir: IndexDir,
    engine: RwLock<Arc<Engine>>,
}

impl LocalBackend {
    /// Opens the live index under `dir`; [`IndexError::Missing`] when there is none.
    pub fn open(dir: IndexDir) -> Result<LocalBackend, IndexError> {
        let engine = Engine::open(&dir)?;
        Ok(LocalBackend {
            dir,
            engine: RwLock::new(Arc::new(engine)),
        })
    }

    /// The engine to use for one request.
    pub fn engine(&self) -> Arc<Engine> {
        match self.engine.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The index directory.
    pub fn dir(&self) -> &IndexDir {
        &self.dir
    }

    /// Switches to the live generation if it changed, or to its new word settings (saved
    /// in place without a rebuild); returns whether it did.
    fn switch(&self) -> Result<bool, IndexError> {
        let Some(live) = self.dir.live_generation()? else {
            return Ok(false);
        };
        let current = self.engine();
        if live == current.generation() && self.dir.live_words()?.1 == current.words_revision() {
            return Ok(false);
        }
        let engine = Arc::new(Engine::open(&self.dir)?);
        match self.engine.write() {
            Ok(mut guard) => *guard = engine,
            Err(poisoned) => *poisoned.into_inner() = engine,
        }
        tracing::info!(generation = %live.display(), "switched to a new index generation");
        Ok(true)
    }

    /// Makes a job's commit visible now rather than at tantivy's next automatic reload,
    /// and follows a rebuild to its new generation.
    fn catch_up(&self) {
        if let Err(e) = self.switch().and_then(|_| self.engine().reload()) {
            tracing::warn!(error = %e, "reload after a write failed");
        }
    }
}

impl SearchBackend for LocalBackend {
    fn search(&self, request: &ParsedRequest) -> Result<SearchResponse> {
        self.engine().run(request)
    }

    fn get(&self, id: &str) -> Result<Article> {
        self.engine().get(id)
    }

    fn related(&self, id: &str, limit: usize) -> Result<Vec<Related>> {
        self.engine().related(id, limit)
    }

    fn story_of(&self, id: &str) -> Result<Option<String>> {
        self.engine().story_of(id)
    }

    fn story(&self, id: &str) -> Result<Vec<Article>> {
        self.engine().story(id)
    }

    fn suggest(&self, partial: &str, limit: usize) -> Result<Vec<String>> {
        self.engine().suggest(partial, limit)
    }

    fn categories(&self) -> Arc<crate::search::categories::Categories> {
        self.engine().categories()
    }

    fn stats(&self) -> Result<Stats> {
        self.engine().stats()
    }

    fn health(&self) -> Result<Health> {
        let engine = self.engine();
        Ok(Health {
            articles: engine.num_docs(),
            generation: engine.generation_name().to_string(),
        })
    }

    fn refresh(&self) -> Result<bool> {
        Ok(self.switch()?)
    }

    fn analyze(&self, text: &str, mode: AnalyzeMode) -> Result<Analysis> {
        self.engine().analyze(text, mode)
    }

    fn job_history(&self) -> Result<Option<crate::backend::JobHistory>> {
        Ok(Some(indexer::records::read(&self.dir)?))
    }
}

impl IndexBackend for LocalBackend {
    fn begin(&self, options: &IndexOptions) -> Result<Box<dyn WriteJob + '_>, IndexError> {
        Ok(Box::new(LocalJob {
            job: Job::begin(&self.dir, options)?,
            then: Some(self),
        }))
    }

    fn run(
        &self,
        paths: &[PathBuf],
        options: &IndexOptions,
        progress: &dyn Progress,
    ) -> Result<IndexReport, IndexError> {
        let report = indexer::run(&self.dir, paths, options, progress)?;
        self.catch_up();
        Ok(report)
    }
}

/// Writes a local index that may not exist yet: what `xinwen index` and `xinwen delete`
/// open, with no engine to keep up to date.
pub struct LocalIndex {
    dir: IndexDir,
}

impl LocalIndex {
    /// The index under `dir` (created by the first job that needs it).
    pub fn new(dir: IndexDir) -> Self {
        LocalIndex { dir }
    }

    /// Where the index is.
    pub fn root(&self) -> &Path {
        self.dir.root()
    }
}

impl IndexBackend for LocalIndex {
    fn begin(&self, options: &IndexOptions) -> Result<Box<dyn WriteJob + '_>, IndexError> {
        Ok(Box::new(LocalJob {
            job: Job::begin(&self.dir, options)?,
            then: None,
        }))
    }

    fn run(
        &self,
        paths: &[PathBuf],
        options: &IndexOptions,
        progress: &dyn Progress,
    ) -> Result<IndexReport, IndexError> {
        indexer::run(&self.dir, paths, options, progress)
    }
}

/// A [`Job`] as a [`WriteJob`]; once committed, the backend that opened it (if any)
/// catches up, so its next search sees the job's writes.
struct LocalJob<'a> {
    job: Job,
    then: Option<&'a LocalBackend>,
}

impl WriteJob for LocalJob<'_> {
    fn upsert(&mut self, article: &Article) -> Result<Upserted, IndexError> {
        self.job.upsert(article)
    }

    fn delete(&mut self, id: &str) -> Result<bool, IndexError> {
        Ok(self.job.delete(id))
    }

    fn reject(&mut self, rejection: Rejection) {
        self.job.reject(rejection);
    }

    fn finish(self: Box<Self>, progress: &dyn Progress) -> Result<IndexReport, IndexError> {
        let report = self.job.finish(progress)?;
        if let Some(backend) = self.then {
            backend.catch_up();
        }
        Ok(report)
    }
}
