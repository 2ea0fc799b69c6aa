//! The cluster behind the seam: [`ClusterBackend`] is a [`SearchBackend`] and an
//! [`IndexBackend`], so `--backend manticore://…` gives `index`, `search`, `get`,
//! `delete`, `stats` and `serve` the same commands, output and exit codes as a local index.
//! What only the cluster can say (a partial answer, its warnings) rides in the plain
//! values of [`crate::backend`]; the client and writer underneath do the work.

use std::path::PathBuf;
use std::time::Instant;

use crate::analysis::ChineseAnalyzer;
use crate::backend::{IndexBackend, SearchBackend, WriteJob};
use crate::error::{Error, IndexError, QueryError, Result};
use crate::indexer::{IndexOptions, IndexReport, Progress, Upserted};
use crate::post::{self, Article, Rejection};
use crate::search::{Health, ParsedRequest, Related, SearchResponse, Stats};

use super::ClusterError;
use super::client::{ClientOptions, ClusterClient};
use super::spec::ClusterSpec;
use super::write::{FailedBatch, WriteOptions, WriteReport, WriteSession};

/// Failed batches named one by one in a job's error; the rest are counted.
const LISTED_FAILURES: usize = 5;

/// Ids of a failed batch named in a job's error; the rest are counted.
const LISTED_IDS: usize = 5;

/// A Sphinx / Manticore cluster as a backend (see the module doc).
#[derive(Debug)]
pub struct ClusterBackend {
    client: ClusterClient,
}

impl ClusterBackend {
    /// A backend on `spec`'s nodes; connects lazily, so a cluster that is down fails on the
    /// first request (with [`IndexError::NoNodeAnswered`]), never here.
    pub fn new(spec: ClusterSpec) -> ClusterBackend {
        ClusterBackend {
            client: ClusterClient::new(spec, ChineseAnalyzer::default(), ClientOptions::default()),
        }
    }

    /// The client underneath.
    pub fn client(&self) -> &ClusterClient {
        &self.client
    }
}

impl From<ClusterError> for IndexError {
    fn from(e: ClusterError) -> IndexError {
        match e {
            ClusterError::Unavailable { failures } => IndexError::NoNodeAnswered(failures),
            ClusterError::UnknownId(id) => IndexError::UnknownId(id),
            // The local lock's error: the same message, code (409 `index_locked`) and exit.
            ClusterError::Locked { url, holder } => IndexError::Locked {
                path: PathBuf::from(url),
                holder,
            },
            other => IndexError::Refused(other.to_string()),
        }
    }
}

impl From<ClusterError> for Error {
    fn from(e: ClusterError) -> Error {
        match e {
            ClusterError::Query(q) => Error::Query(q),
            other => Error::Index(other.into()),
        }
    }
}

impl SearchBackend for ClusterBackend {
    /// `explain` is refused before the cluster is asked: its engine scores with its own
    /// ranker, whose parts xinwen cannot take apart (the README says so).
    fn search(&self, request: &ParsedRequest) -> Result<SearchResponse> {
        if request.request.explain {
            return Err(QueryError::NotSupported(
                "explain needs a local index (--index); a cluster's ranker cannot be taken apart".into(),
            )
            .into());
        }
        Ok(self.client.search_parsed(request)?.response)
    }

    fn get(&self, id: &str) -> Result<Article> {
        Ok(self.client.get(id)?)
    }

    fn related(&self, id: &str, limit: usize) -> Result<Vec<Related>> {
        Ok(self.client.related(id, limit)?)
    }

    fn suggest(&self, partial: &str, limit: usize) -> Result<Vec<String>> {
        Ok(self.client.suggest(partial, limit)?)
    }

    fn stats(&self) -> Result<Stats> {
        let stats = self.client.stats()?;
        Ok(Stats {
            articles: stats.articles,
            segments: self.client.spec().nodes.len(),
            size_bytes: 0,
            oldest: stats.oldest,
            newest: stats.newest,
            generation: format!("{}_{}", self.client.spec().table, stats.generation),
            last_commit: None,
            words: Some(crate::search::words::Words::builtin().stats()),
            aliases: None,
        })
    }

    fn health(&self) -> Result<Health> {
        let stats = self.client.stats()?;
        Ok(Health {
            articles: stats.articles,
            generation: format!("{}_{}", self.client.spec().table, stats.generation),
        })
    }
}

impl IndexBackend for ClusterBackend {
    fn begin(&self, options: &IndexOptions) -> Result<Box<dyn WriteJob + '_>, IndexError> {
        Ok(Box::new(ClusterJob::open(self, options)?))
    }

    fn run(
        &self,
        paths: &[PathBuf],
        options: &IndexOptions,
        progress: &dyn Progress,
    ) -> Result<IndexReport, IndexError> {
        let found = post::sources::find_inputs(paths);
        progress.start(post::sources::total_bytes(&found.inputs));
        let mut job = ClusterJob::open(self, options)?;
        job.report.skipped_files = found.skipped;
        job.report.skipped_folders = found.folders_again;
        for rejection in found.rejected {
            progress.rejected(&rejection);
            job.reject(rejection);
        }
        let (mut articles, mut bytes) = (0u64, 0u64);
        for batch in post::Reader::new(found.inputs) {
            bytes += batch.bytes;
            for (_origin, item) in batch.items {
                match item {
                    Ok(article) => {
                        job.upsert(&article)?;
                        articles += 1;
                    }
                    Err(rejection) => {
                        progress.rejected(&rejection);
                        job.reject(rejection);
                    }
                }
            }
            progress.advance(articles, bytes);
        }
        job.report.bytes = bytes;
        if options.prune {
            job.session.prune()?;
        }
        Box::new(job).finish(progress)
    }
}

/// One write job on the cluster: the [`WriteSession`] underneath, and the report in the
/// local index's terms.
struct ClusterJob<'a> {
    session: WriteSession<'a>,
    report: IndexReport,
    started: Instant,
    backend: &'a ClusterBackend,
}

impl<'a> ClusterJob<'a> {
    fn open(backend: &'a ClusterBackend, options: &IndexOptions) -> Result<ClusterJob<'a>, IndexError> {
        if options.user_dict.is_some() || options.drop_user_dict {
            return Err(IndexError::Refused(
                "a user dictionary is not supported on a cluster backend yet".into(),
            ));
        }
        if !options.words.is_empty() {
            return Err(IndexError::Refused(
                "a cluster keeps no stop words or synonyms of its own yet: it searches with the built-in lists".into(),
            ));
        }
        let write = WriteOptions {
            rebuild: options.rebuild,
            wait: options.wait,
            lease_ttl: super::lease::ttl_from_env()?,
            ..WriteOptions::default()
        };
        let session = WriteSession::begin_job(&backend.client, write, &options.holder)?;
        crate::local::indexer::pause_point("locked");
        Ok(ClusterJob {
            session,
            report: IndexReport {
                rebuilt: options.rebuild,
                ..IndexReport::default()
            },
            started: Instant::now(),
            backend,
        })
    }
}

impl WriteJob for ClusterJob<'_> {
    /// Queued for its shard; whether it was new, changed or unchanged is known only when
    /// its batch is sent (the report counts it then), so this answers `New`.
    fn upsert(&mut self, article: &Article) -> Result<Upserted, IndexError> {
        self.report.read += 1;
        self.session.upsert(article)?;
        Ok(Upserted::New)
    }

    fn delete(&mut self, id: &str) -> Result<bool, IndexError> {
        Ok(self.session.delete(id)?)
    }

    fn reject(&mut self, rejection: Rejection) {
        self.report.read += 1;
        self.session.reject();
        self.report.reject(rejection);
    }

    fn finish(self: Box<Self>, _progress: &dyn Progress) -> Result<IndexReport, IndexError> {
        let ClusterJob {
            session,
            mut report,
            started,
            backend,
        } = *self;
        let written = session.finish()?;
        if !written.failed.is_empty() {
            return Err(IndexError::Refused(failed_message(&written)));
        }
        report.new = written.new;
        report.updated = written.updated;
        report.unchanged = written.unchanged;
        report.deleted = written.deleted;
        report.total = backend.client.stats()?.articles;
        report.elapsed = started.elapsed();
        Ok(report)
    }
}

/// The one-line error of a job whose batches did not all go in.
fn failed_message(written: &WriteReport) -> String {
    let listed: Vec<String> = written.failed.iter().take(LISTED_FAILURES).map(describe).collect();
    let more = written.failed.len().saturating_sub(LISTED_FAILURES);
    let n = written.failed.len();
    format!(
        "{n} write {} failed after every try ({}{}); the others went in: run the job again, \
         unchanged articles are skipped",
        if n == 1 { "batch" } else { "batches" },
        listed.join("; "),
        if more > 0 {
            format!("; {more} more")
        } else {
            String::new()
        }
    )
}

fn describe(batch: &FailedBatch) -> String {
    let ids: Vec<&str> = batch.ids.iter().take(LISTED_IDS).map(String::as_str).collect();
    let more = batch.ids.len().saturating_sub(LISTED_IDS);
    format!(
        "{} {}: {} (ids {}{})",
        batch.node,
        batch.table,
        batch.error,
        ids.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}
