//! Indexing jobs: read inputs, upsert articles by stable id, commit once.
//!
//! A job is one tantivy commit, so a job killed at any moment leaves the index as it was
//! before the job or as it is after it. An incremental job skips articles whose content
//! hash is unchanged, replaces changed ones, and with `prune` deletes articles missing from
//! its input. A rebuild writes a new generation and switches to it only when complete.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tantivy::schema::Field;
use tantivy::{IndexWriter, TantivyDocument, Term};
use tracing::{info, instrument};

use crate::config::WRITER_MEMORY_BYTES;
use crate::error::IndexError;
use crate::post::{self, Article, Rejection};
use crate::schema::{self, Fields};
use crate::store::{IndexDir, OpenIndex};

/// How a job runs.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Build a new generation from these inputs only, and switch to it when complete.
    pub rebuild: bool,
    /// Delete articles whose ids are not in this run's input.
    pub prune: bool,
    /// Wait for another job holding the index instead of failing at once.
    pub wait: bool,
    /// A user dictionary (saved with the index; changing it needs `rebuild`).
    pub user_dict: Option<PathBuf>,
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

/// Runs an indexing job over `paths`.
#[instrument(skip_all, fields(root = %dir.root().display(), rebuild = options.rebuild))]
pub fn run(
    dir: &IndexDir,
    paths: &[PathBuf],
    options: &IndexOptions,
    progress: &dyn Progress,
) -> Result<IndexReport, IndexError> {
    let started = Instant::now();
    let lock = dir.lock(options.wait, &options.holder)?;
    let removed = dir.remove_stale_generations(&lock)?;
    if removed > 0 {
        info!(removed, "removed leftovers of an interrupted job");
    }
    let live = dir.live_generation()?;
    let rebuild = options.rebuild || live.is_none();
    let target = if rebuild {
        dir.create_generation(options.user_dict.as_deref())?
    } else {
        let open = dir.open()?;
        if options.user_dict.is_some() {
            return Err(IndexError::Refused(
                "a user dictionary changes how every article is segmented: pass --rebuild with --dict".into(),
            ));
        }
        open
    };
    let existing = if rebuild {
        HashMap::new()
    } else {
        existing_hashes(&target)?
    };

    let mut report = IndexReport {
        rebuilt: rebuild,
        ..IndexReport::default()
    };
    let found = post::sources::find_inputs(paths);
    report.skipped_files = found.skipped;
    for rejection in found.rejected {
        report.read += 1;
        report.reject(rejection);
    }
    progress.start(post::sources::total_bytes(&found.inputs));

    let threads = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()).min(8));
    let memory = options.memory.max(threads * 16 * 1024 * 1024);
    let mut writer: IndexWriter<TantivyDocument> = target.index.writer_with_num_threads(threads, memory)?;
    let mut job = Upsert {
        fields: target.fields,
        writer: &writer,
        existing: &existing,
        seen: HashSet::with_capacity(existing.len()),
        report: &mut report,
    };

    // Parsing runs one batch ahead of indexing, on its own thread.
    let (tx, rx) = mpsc::sync_channel(2);
    let inputs = found.inputs;
    let reader = std::thread::spawn(move || {
        for batch in post::Reader::new(inputs) {
            if tx.send(batch).is_err() {
                break;
            }
        }
    });
    let mut articles = 0u64;
    let mut result = Ok(());
    for batch in rx {
        job.report.bytes += batch.bytes;
        for item in batch.items {
            job.report.read += 1;
            match item {
                Ok(article) => {
                    articles += 1;
                    if let Err(e) = job.upsert(&article) {
                        result = Err(e);
                        break;
                    }
                }
                Err(rejection) => job.report.reject(rejection),
            }
        }
        if result.is_err() {
            break;
        }
        progress.advance(articles, job.report.bytes);
    }
    let _ = reader.join();
    result?;
    if options.prune {
        job.prune();
    }
    let changed = report.new + report.updated + report.deleted > 0;
    if changed || rebuild {
        progress.committing();
        writer.commit()?;
        writer.wait_merging_threads()?;
        if rebuild {
            dir.publish(&target.generation)?;
            dir.remove_stale_generations(&lock)?;
        }
    } else {
        writer.rollback()?;
    }
    report.total = count_alive(&target)?;
    report.elapsed = started.elapsed();
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

struct Upsert<'a> {
    fields: Fields,
    writer: &'a IndexWriter<TantivyDocument>,
    existing: &'a HashMap<String, u64>,
    seen: HashSet<String>,
    report: &'a mut IndexReport,
}

impl Upsert<'_> {
    fn id_term(&self, id: &str) -> Term {
        Term::from_field_text(self.fields.id, id)
    }

    fn upsert(&mut self, article: &Article) -> Result<(), IndexError> {
        let hash = schema::content_hash(article);
        let repeated = !self.seen.insert(article.id.clone());
        match self.existing.get(&article.id) {
            Some(&old) if old == hash && !repeated => {
                self.report.unchanged += 1;
                return Ok(());
            }
            Some(_) => {
                self.writer.delete_term(self.id_term(&article.id));
                if !repeated {
                    self.report.updated += 1;
                }
            }
            None if repeated => {
                // The same id twice in one run: the later copy wins.
                self.writer.delete_term(self.id_term(&article.id));
            }
            None => self.report.new += 1,
        }
        self.writer.add_document(self.fields.to_doc(article))?;
        Ok(())
    }

    fn prune(&mut self) {
        for id in self.existing.keys() {
            if !self.seen.contains(id) {
                self.writer.delete_term(self.id_term(id));
                self.report.deleted += 1;
            }
        }
    }
}

/// id → content hash of every live article, read from the fast fields.
fn existing_hashes(open: &OpenIndex) -> Result<HashMap<String, u64>, IndexError> {
    let reader = open.index.reader()?;
    let searcher = reader.searcher();
    let mut out = HashMap::with_capacity(searcher.num_docs() as usize);
    for segment in searcher.segment_readers() {
        let ff = segment.fast_fields();
        let ids = ff.str(schema::names::ID)?;
        let hashes = ff.u64(schema::names::HASH)?;
        let Some(ids) = ids else { continue };
        let mut buf = String::new();
        for doc in segment.doc_ids_alive() {
            let Some(ord) = ids.term_ords(doc).next() else { continue };
            buf.clear();
            let found = ids.ord_to_str(ord, &mut buf).map_err(|source| IndexError::Io {
                context: "cannot read the id column".into(),
                source,
            })?;
            if found {
                out.insert(buf.clone(), hashes.first(doc).unwrap_or_default());
            }
        }
    }
    Ok(out)
}

fn count_alive(open: &OpenIndex) -> Result<u64, IndexError> {
    let reader = open.index.reader()?;
    Ok(reader.searcher().num_docs())
}

/// Deletes articles by id; returns how many of the ids were in the index.
pub fn delete(dir: &IndexDir, ids: &[String], wait: bool) -> Result<usize, IndexError> {
    let _lock = dir.lock(wait, "xinwen delete")?;
    let open = dir.open()?;
    let existing = existing_hashes(&open)?;
    let mut writer: IndexWriter<TantivyDocument> = open.index.writer_with_num_threads(1, 16 * 1024 * 1024)?;
    let id_field: Field = open.fields.id;
    let mut deleted = 0;
    for id in ids {
        if existing.contains_key(id) {
            writer.delete_term(Term::from_field_text(id_field, id));
            deleted += 1;
        }
    }
    if deleted > 0 {
        writer.commit()?;
        writer.wait_merging_threads()?;
    }
    Ok(deleted)
}
