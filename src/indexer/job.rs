//! One indexing job: the writer lock, an index writer, and what each article read does to
//! the index (new, updated, unchanged, deleted); nothing is visible until it commits.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::time::Instant;

use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, IndexWriter, TERMINATED, TantivyDocument, Term};
use tracing::{info, instrument};

use super::{IndexOptions, IndexReport, Progress, pause_point};
use crate::error::IndexError;
use crate::post::{Article, Batch, Rejection};
use crate::schema;
use crate::store::{IndexDir, OpenIndex, WriterLock};

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
    pub(super) report: IndexReport,
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

impl Job {
    /// Upserts every article of `batches` and counts every rejection, reading on another
    /// thread one batch ahead.
    pub(super) fn read<I>(&mut self, batches: I, progress: &dyn Progress) -> Result<(), IndexError>
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
