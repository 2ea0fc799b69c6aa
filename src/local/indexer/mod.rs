//! Indexing jobs: read inputs, upsert articles by stable id, commit once.
//!
//! A job is one tantivy commit, so a job killed at any moment leaves the index as it was
//! before the job or as it is after it. An incremental job skips articles whose content
//! hash is unchanged, replaces changed ones, and with `prune` deletes articles missing from
//! its input. A rebuild writes a new generation and switches to it only when complete.
//! [`job`] holds the writer and decides what each article does to the index; [`report`]
//! says what a job did.

mod fault;
mod job;
mod live;
mod merge;
mod queue;
mod read;
pub mod records;
mod report;
mod sweep;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

pub use job::{Job, Upserted};
pub use records::{JobHistory, JobKind};
pub use report::{IndexReport, Progress, Silent};

use crate::config::{MIN_READ_AHEAD_BYTES, READ_AHEAD_SHARE, WRITER_MEMORY_BYTES};
use crate::error::IndexError;
use crate::post::{self, Batch};
use crate::search::words::{WordSettings, WordsUpdate};
use crate::store::IndexDir;

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
    /// New stop words or synonyms, saved with the index when the job commits; the others
    /// are kept (they shape only queries: no rebuild needed).
    pub words: WordsUpdate,
    /// Writer memory budget in bytes.
    pub memory: usize,
    /// Indexing threads (default: one per core).
    pub threads: Option<usize>,
    /// Describes the job for the lock file (`xinwen index fixtures/`).
    pub holder: String,
    /// Write only to an index that exists ([`IndexError::Missing`] otherwise) instead of
    /// creating one: deletions and HTTP ingestion.
    pub existing_only: bool,
    /// What the job is for, in the index's job records (`--rebuild` is recorded as a
    /// rebuild whatever this says).
    pub kind: JobKind,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            rebuild: false,
            prune: false,
            wait: false,
            user_dict: None,
            drop_user_dict: false,
            words: WordsUpdate::default(),
            memory: WRITER_MEMORY_BYTES,
            threads: None,
            holder: "xinwen index".into(),
            existing_only: false,
            kind: JobKind::Index,
        }
    }
}

/// A test hook for the crash tests: with `XINWEN_PAUSE_AT=<point>` set, a job stops at that
/// point (`locked`, `batch`, `commit`, `publish`, `published`), says so on stderr and waits
/// to be killed, so a test can send SIGKILL at an exact moment of the job.
pub(crate) fn pause_point(point: &str) {
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

/// Saves new stop words or synonyms with the live index, with no articles to read: they
/// shape only queries, so no rebuild is needed, and a running server takes them up
/// as it does a new generation. Returns the settings now in force and their revision.
pub fn update_words(dir: &IndexDir, options: &IndexOptions) -> Result<(WordSettings, u64), IndexError> {
    let lock = dir.lock(options.wait, &options.holder)?;
    let live = dir.open()?;
    let settings = options.words.apply(&live.manifest.words);
    let revision = dir.save_words(&lock, &live, &settings)?;
    tracing::info!(revision, "word settings saved");
    Ok((settings, revision))
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
        job.report.skipped_folders = found.folders_again;
        progress.start(post::sources::total_bytes(&found.inputs));
        let rejected = found.rejected.into_iter().map(|r| Batch {
            items: vec![(post::Origin::NONE, Err(r))],
            bytes: 0,
        });
        rejected.chain(post::Reader::with_budget(found.inputs, job.read_ahead))
    })
}

/// What may be read ahead of the writer, of each kind (see [`READ_AHEAD_SHARE`]).
pub(crate) fn read_ahead_bytes(memory: usize) -> usize {
    (memory / READ_AHEAD_SHARE).clamp(MIN_READ_AHEAD_BYTES, 16 * MIN_READ_AHEAD_BYTES)
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
    let mut job = Job::begin(dir, options).map_err(|e| fault::no_space(e, dir.root()))?;
    let batches = inputs(&mut job);
    if let Err(e) = job.read(batches, progress) {
        return Err(job.fail(e));
    }
    if options.prune {
        job.prune();
    }
    job.finish(progress)
}

/// Deletes articles by id in one job; returns how many of the ids were in the index
/// (see [`crate::backend::delete`]).
pub fn delete(dir: &IndexDir, ids: &[String], wait: bool) -> Result<usize, IndexError> {
    crate::backend::delete(&crate::local::LocalIndex::new(dir.clone()), ids, wait)
}
