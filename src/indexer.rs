//! Indexing jobs: read inputs, upsert articles by stable id, commit once.
//!
//! A job is one tantivy commit, so a job killed at any moment leaves the index as it was
//! before the job or as it is after it. An incremental job skips articles whose content
//! hash is unchanged, replaces changed ones, and with `prune` deletes articles missing from
//! its input. A rebuild writes a new generation and switches to it only when complete.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

use serde::Serialize;
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, IndexWriter, TERMINATED, TantivyDocument, Term};
use tracing::{info, instrument};

use crate::config::WRITER_MEMORY_BYTES;
use crate::error::IndexError;
use crate::post::{self, Article, Batch, Rejection};
use crate::schema;
use crate::store::{IndexDir, OpenIndex, WriterLock};

/// How a job runs.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Build a new generation from these inputs only, and switch to it when complete.
    pub rebuild: bool,
    /// Delete articles whose ids are not in this run's input.
    pub prune: bool,
    /// Wait for another job holding the index instead of failing at once.
    pub wait: bool,
    /// A new user dictionary (saved with the index; changing it needs `rebuild`). Without
    /// one, a rebuild keeps the live index's dictionary.
    pub user_dict: Option<PathBuf>,
    /// Rebuild without the live index's user dictionary.
    pub drop_user_dict: bool,
    /// Writer memory budget in bytes.
    pub memory: usize,
    /// Indexing threads (default: one per core).
    pub threads: Option<usize>,
    /// Describes the job for the lock file (`xinwen index fixtures/`).
    pub holder: String,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            rebuild: false,
            prune: false,
            wait: false,
            user_dict: None,
            drop_user_dict: false,
            memory: WRITER_MEMORY_BYTES,
            threads: None,
            holder: "xinwen index".into(),
        }
    }
}

/// What a job did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndexReport {
    /// Articles and rejected inputs read.
    pub read: usize,
    /// Articles added that were not in the index.
    pub new: usize,
    /// Articles replaced because their content changed.
    pub updated: usize,
    /// Articles skipped because their content is unchanged.
    pub unchanged: usize,
    /// Articles deleted by `prune`.
    pub deleted: usize,
    /// Inputs rejected.
    pub rejected: usize,
    /// Rejections counted by reason code.
    pub rejected_by_reason: BTreeMap<&'static str, usize>,
    /// Every rejection: location and reason.
    #[serde(serialize_with = "serialize_rejections")]
    pub rejections: Vec<Rejection>,
    /// Files in the input folders that are not news inputs.
    pub skipped_files: usize,
    /// Articles in the index after the job.
    pub total: u64,
    /// Input bytes read.
    pub bytes: u64,
    /// Wall time.
    #[serde(serialize_with = "serialize_ms", rename = "elapsed_ms")]
    pub elapsed: Duration,
    /// Whether the job built a new generation.
    pub rebuilt: bool,
}

impl IndexReport {
    /// Articles indexed (new plus updated).
    pub fn indexed(&self) -> usize {
        self.new + self.updated
    }

    /// Articles read per second.
    pub fn articles_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            (self.read - self.rejected) as f64 / secs
        } else {
            0.0
        }
    }

    fn reject(&mut self, rejection: Rejection) {
        self.rejected += 1;
        *self.rejected_by_reason.entry(rejection.reason.code()).or_default() += 1;
        self.rejections.push(rejection);
    }
}

fn serialize_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

fn serialize_rejections<S: serde::Serializer>(r: &[Rejection], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(r.len()))?;
    for rejection in r {
        seq.serialize_element(&serde_json::json!({
            "path": rejection.location.path.display().to_string(),
            "line": rejection.location.line,
            "code": rejection.reason.code(),
            "reason": rejection.reason.to_string(),
        }))?;
    }
    seq.end()
}

/// Progress callbacks of a job (the CLI draws a bar; tests ignore them).
pub trait Progress: Sync {
    /// Total input bytes, once known.
    fn start(&self, _total_bytes: u64) {}
    /// After each batch: articles and bytes so far.
    fn advance(&self, _articles: u64, _bytes: u64) {}
    /// Before the commit, which can take a while.
    fn committing(&self) {}
}

/// Progress that reports nothing.
pub struct Silent;
impl Progress for Silent {}

/// An indexing job in progress: it holds the one-writer lock and an index writer; nothing
/// it does is visible until [`Job::finish`] commits, all at once.
pub struct Job {
    dir: IndexDir,
    lock: WriterLock,
    target: OpenIndex,
    writer: IndexWriter<TantivyDocument>,
    /// id → content hash of the articles in the index when the job began.
    existing: HashMap<String, u64>,
    /// Ids added or kept by this job.
    seen: HashSet<String>,
    report: IndexReport,
    started: Instant,
}

/// What [`Job::upsert`] did with an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    /// Not in the index before.
    New,
    /// In the index with other content: replaced.
    Updated,
    /// In the index with the same content: skipped.
    Unchanged,
}

impl Job {
    /// Takes the writer lock (waiting if asked), cleans up leftovers of killed jobs, and
    /// opens the live index — or a new generation for a rebuild or a first build. Old
    /// generations are removed only once the live one has opened.
    pub fn begin(dir: &IndexDir, options: &IndexOptions) -> Result<Job, IndexError> {
        let started = Instant::now();
        let lock = dir.lock(options.wait, &options.holder)?;
        pause_point("locked");
        let removed = dir.remove_unfinished(&lock)?;
        if removed > 0 {
            info!(removed, "removed leftovers of an interrupted job");
        }
        let live = dir
            .live_generation()?
            .map(|generation| dir.open_generation(&generation));
        let rebuild = options.rebuild || live.is_none();
        let target = if rebuild {
            match &live {
                Some(Ok(open)) => {
                    dir.remove_stale_generations(&lock, open)?;
                }
                // The rebuild replaces an index this version cannot open; it is removed
                // once the new one is live.
                Some(Err(e)) => tracing::warn!(error = %e, "rebuilding over an index that does not open"),
                None => {}
            }
            // A later rebuild segments as the live index does unless told otherwise: a
            // dictionary given once stays until it is replaced or dropped.
            let kept = match (&options.user_dict, options.drop_user_dict) {
                (Some(new), _) => Some(new.clone()),
                (None, true) => None,
                (None, false) => dir.live_user_dict()?,
            };
            dir.create_generation(kept.as_deref())?
        } else if options.user_dict.is_some() {
            return Err(IndexError::Refused(
                "a user dictionary changes how every article is segmented: pass --rebuild with --dict".into(),
            ));
        } else if options.drop_user_dict && dir.live_user_dict()?.is_some() {
            return Err(IndexError::Refused(
                "dropping the user dictionary changes how every article is segmented: pass --rebuild with --no-dict"
                    .into(),
            ));
        } else {
            let open = live.ok_or_else(|| IndexError::Missing {
                path: dir.root().to_path_buf(),
            })??;
            let removed = dir.remove_stale_generations(&lock, &open)?;
            if removed > 0 {
                info!(removed, "removed old generations");
            }
            open
        };
        let existing = if rebuild {
            HashMap::new()
        } else {
            existing_hashes(&target)?
        };
        let threads = options
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()).min(8));
        // tantivy wants at least 15 MB a thread.
        let memory = options.memory.max(threads * 16 * 1024 * 1024);
        let writer = target.index.writer_with_num_threads(threads, memory)?;
        Ok(Job {
            dir: dir.clone(),
            lock,
            target,
            writer,
            seen: HashSet::with_capacity(existing.len()),
            existing,
            report: IndexReport {
                rebuilt: rebuild,
                ..IndexReport::default()
            },
            started,
        })
    }

    fn id_term(&self, id: &str) -> Term {
        Term::from_field_text(self.target.fields.id, id)
    }

    /// Adds or replaces an article (the same id twice in one job: the later copy wins).
    pub fn upsert(&mut self, article: &Article) -> Result<Upserted, IndexError> {
        self.report.read += 1;
        let hash = schema::content_hash(article);
        let repeated = !self.seen.insert(article.id.clone());
        let outcome = match self.existing.get(&article.id) {
            Some(&old) if old == hash && !repeated => {
                self.report.unchanged += 1;
                return Ok(Upserted::Unchanged);
            }
            Some(_) => {
                self.writer.delete_term(self.id_term(&article.id));
                if !repeated {
                    self.report.updated += 1;
                }
                Upserted::Updated
            }
            None if repeated => {
                self.writer.delete_term(self.id_term(&article.id));
                Upserted::Updated
            }
            None => {
                self.report.new += 1;
                Upserted::New
            }
        };
        self.writer.add_document(self.target.fields.to_doc(article))?;
        Ok(outcome)
    }

    /// Counts an input that could not become an article.
    pub fn reject(&mut self, rejection: Rejection) {
        self.report.read += 1;
        self.report.reject(rejection);
    }

    /// Deletes an article; false when the id is not in the index.
    pub fn delete(&mut self, id: &str) -> bool {
        let known = self.existing.contains_key(id) || self.seen.contains(id);
        if known {
            self.writer.delete_term(self.id_term(id));
            self.existing.remove(id);
            self.seen.remove(id);
            self.report.deleted += 1;
        }
        known
    }

    /// Deletes every article this job did not see (a full mirror of the inputs).
    pub fn prune(&mut self) {
        let missing: Vec<String> = self
            .existing
            .keys()
            .filter(|id| !self.seen.contains(*id))
            .cloned()
            .collect();
        for id in missing {
            self.delete(&id);
        }
    }

    /// The report so far.
    pub fn report(&self) -> &IndexReport {
        &self.report
    }

    /// Commits (when anything changed, or for a new generation, which is then made live)
    /// and returns the report.
    #[instrument(skip_all, fields(root = %self.dir.root().display()))]
    pub fn finish(mut self, progress: &dyn Progress) -> Result<IndexReport, IndexError> {
        let changed = self.report.new + self.report.updated + self.report.deleted > 0;
        if changed || self.report.rebuilt {
            progress.committing();
            pause_point("commit");
            self.writer.commit()?;
            self.writer.wait_merging_threads()?;
            if self.report.rebuilt {
                pause_point("publish");
                self.dir.publish(&self.target.generation)?;
                pause_point("published");
                self.dir.remove_stale_generations(&self.lock, &self.target)?;
            }
        } else {
            self.writer.rollback()?;
        }
        let mut report = self.report;
        report.total = self.target.index.reader()?.searcher().num_docs();
        report.elapsed = self.started.elapsed();
        info!(
            read = report.read,
            new = report.new,
            updated = report.updated,
            unchanged = report.unchanged,
            deleted = report.deleted,
            rejected = report.rejected,
            elapsed_ms = report.elapsed.as_millis() as u64,
            "index job finished"
        );
        Ok(report)
    }
}

/// A test hook for the crash tests: with `XINWEN_PAUSE_AT=<point>` set, a job stops at that
/// point (`locked`, `batch`, `commit`, `publish`, `published`), says so on stderr and waits
/// to be killed, so a test can send SIGKILL at an exact moment of the job.
fn pause_point(point: &str) {
    static PAUSE_AT: OnceLock<Option<String>> = OnceLock::new();
    if PAUSE_AT
        .get_or_init(|| std::env::var("XINWEN_PAUSE_AT").ok())
        .as_deref()
        == Some(point)
    {
        eprintln!("xinwen: paused at {point}");
        loop {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

/// Runs an indexing job over `paths`: files and folders of posts and JSON Lines.
pub fn run(
    dir: &IndexDir,
    paths: &[PathBuf],
    options: &IndexOptions,
    progress: &dyn Progress,
) -> Result<IndexReport, IndexError> {
    run_batches(dir, options, progress, |job| {
        // Walked once the lock is held, so a job that waited reads the inputs as they are now.
        let found = post::sources::find_inputs(paths);
        job.report.skipped_files = found.skipped;
        progress.start(post::sources::total_bytes(&found.inputs));
        let rejected = found.rejected.into_iter().map(|r| Batch {
            items: vec![Err(r)],
            bytes: 0,
        });
        rejected.chain(post::Reader::new(found.inputs))
    })
}

/// Runs a job over the batches `inputs` returns once the job holds the index (the inputs
/// of [`run`], or a caller's own). Batches are read on their own thread, one ahead of
/// indexing. A reader that fails (panics) aborts the job: nothing is committed or pruned.
pub fn run_batches<I, F>(
    dir: &IndexDir,
    options: &IndexOptions,
    progress: &dyn Progress,
    inputs: F,
) -> Result<IndexReport, IndexError>
where
    F: FnOnce(&mut Job) -> I,
    I: Iterator<Item = Batch> + Send,
{
    let mut job = Job::begin(dir, options)?;
    let batches = inputs(&mut job);
    if let Err(e) = job.read(batches, progress) {
        job.abort();
        return Err(e);
    }
    if options.prune {
        job.prune();
    }
    job.finish(progress)
}

impl Job {
    /// Upserts every article of `batches` and counts every rejection, reading on another
    /// thread one batch ahead.
    fn read<I>(&mut self, batches: I, progress: &dyn Progress) -> Result<(), IndexError>
    where
        I: Iterator<Item = Batch> + Send,
    {
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::sync_channel(1);
            let reader = scope.spawn(move || {
                for batch in batches {
                    if tx.send(batch).is_err() {
                        break;
                    }
                }
            });
            let indexed = self.index_batches(rx, progress);
            // A reader that stopped early (a panic) must not pass for the end of the
            // input: the rest of the job would commit part of it, and prune the rest.
            let read = reader
                .join()
                .map_err(|panic| IndexError::ReaderFailed(panic_message(&*panic)));
            indexed.and(read)
        })
    }

    fn index_batches(&mut self, rx: mpsc::Receiver<Batch>, progress: &dyn Progress) -> Result<(), IndexError> {
        let mut articles = 0u64;
        for batch in rx {
            self.report.bytes += batch.bytes;
            for item in batch.items {
                match item {
                    Ok(article) => {
                        articles += 1;
                        self.upsert(&article)?;
                    }
                    Err(rejection) => self.reject(rejection),
                }
            }
            progress.advance(articles, self.report.bytes);
            pause_point("batch");
        }
        Ok(())
    }

    /// Drops everything the job did: nothing of it is committed.
    pub fn abort(mut self) {
        if let Err(e) = self.writer.rollback() {
            tracing::warn!(error = %e, "rolling back the failed job");
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// id → content hash of every live article: ids from the `id` field's terms and postings,
/// hashes from the fast field (reading stored documents would decompress every body).
fn existing_hashes(open: &OpenIndex) -> Result<HashMap<String, u64>, IndexError> {
    let reader = open.index.reader()?;
    let searcher = reader.searcher();
    let io = |context: &'static str| {
        move |source| IndexError::Io {
            context: context.into(),
            source,
        }
    };
    let mut out = HashMap::with_capacity(searcher.num_docs() as usize);
    for segment in searcher.segment_readers() {
        let hashes = segment.fast_fields().u64(schema::names::HASH)?;
        let inverted = segment.inverted_index(open.fields.id)?;
        let mut terms = inverted.terms().stream().map_err(io("cannot read the id terms"))?;
        while terms.advance() {
            let Ok(id) = std::str::from_utf8(terms.key()) else {
                continue;
            };
            let mut postings = inverted
                .read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)
                .map_err(io("cannot read the id postings"))?;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if !segment.is_deleted(doc) {
                    out.insert(id.to_string(), hashes.first(doc).unwrap_or_default());
                }
                doc = postings.advance();
            }
        }
    }
    Ok(out)
}

/// Deletes articles by id in one job; returns how many of the ids were in the index.
pub fn delete(dir: &IndexDir, ids: &[String], wait: bool) -> Result<usize, IndexError> {
    let options = IndexOptions {
        wait,
        holder: "xinwen delete".into(),
        memory: 16 * 1024 * 1024,
        threads: Some(1),
        ..IndexOptions::default()
    };
    if dir.live_generation()?.is_none() {
        return Err(IndexError::Missing {
            path: dir.root().to_path_buf(),
        });
    }
    let mut job = Job::begin(dir, &options)?;
    let deleted = ids.iter().filter(|id| job.delete(id)).count();
    job.finish(&Silent)?;
    Ok(deleted)
}
