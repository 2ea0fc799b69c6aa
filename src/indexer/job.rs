//! One indexing job: the writer lock, an index writer, and what each article read does to
//! the index (new, updated, unchanged, deleted); nothing is visible until it commits.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::time::Instant;

use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, IndexWriter, TERMINATED, TantivyDocument};
use tracing::{info, instrument};

use super::sweep::Sweep;
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
    /// What this job did with each id it read (the last copy read wins).
    touched: HashMap<String, Touched>,
    /// Ids this job deletes.
    removed: HashSet<String>,
    /// The rev of the next document added (see [`schema::Fields::stamp`]).
    next_rev: u64,
    /// Documents added: with `removed`, whether there is anything to commit.
    writes: usize,
    pub(super) report: IndexReport,
    started: Instant,
}

/// What a job did with one id.
#[derive(Debug, Clone, Copy)]
struct Touched {
    /// The rev of the copy this job added; `None` while the indexed copy is kept.
    rev: Option<u64>,
    /// What the last copy read does, compared with the index before the job.
    outcome: Upserted,
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
        // Every operation of a job takes an opstamp and the commit records the last one,
        // so revs counted from the committed opstamp are never those of an older document.
        let next_rev = writer.commit_opstamp() + 1;
        Ok(Job {
            dir: dir.clone(),
            lock,
            target,
            writer,
            touched: HashMap::with_capacity(existing.len()),
            removed: HashSet::new(),
            existing,
            next_rev,
            writes: 0,
            report: IndexReport {
                rebuilt: rebuild,
                ..IndexReport::default()
            },
            started,
        })
    }

    /// Adds or replaces an article. The same id read again in one job replaces the copy
    /// read before (the last one wins) and is counted once, by what its last copy does.
    pub fn upsert(&mut self, article: &Article) -> Result<Upserted, IndexError> {
        self.report.read += 1;
        let hash = schema::content_hash(article);
        let outcome = match self.existing.get(&article.id) {
            None => Upserted::New,
            Some(&old) if old == hash => Upserted::Unchanged,
            Some(_) => Upserted::Updated,
        };
        let earlier = self.touched.get(&article.id).copied();
        if let Some(earlier) = earlier {
            self.report.repeated += 1;
            self.count(earlier.outcome, -1);
        }
        self.count(outcome, 1);
        // The indexed copy stays as long as every copy read equals it; otherwise the copy
        // added last replaces it and every copy before (see `Sweep`).
        let kept = outcome == Upserted::Unchanged && earlier.is_none_or(|e| e.rev.is_none());
        let rev = if kept { None } else { Some(self.add(article)?) };
        self.removed.remove(&article.id);
        self.touched.insert(article.id.clone(), Touched { rev, outcome });
        Ok(outcome)
    }

    fn count(&mut self, outcome: Upserted, by: isize) {
        let counter = match outcome {
            Upserted::New => &mut self.report.new,
            Upserted::Updated => &mut self.report.updated,
            Upserted::Unchanged => &mut self.report.unchanged,
        };
        *counter = counter.saturating_add_signed(by);
    }

    /// Adds a document for `article`; returns its rev.
    fn add(&mut self, article: &Article) -> Result<u64, IndexError> {
        let rev = self.next_rev;
        self.next_rev += 1;
        let mut doc = self.target.fields.to_doc(article);
        self.target.fields.stamp(&mut doc, rev);
        self.writer.add_document(doc)?;
        self.writes += 1;
        Ok(rev)
    }

    /// Counts an input that could not become an article.
    pub fn reject(&mut self, rejection: Rejection) {
        self.report.read += 1;
        self.report.reject(rejection);
    }

    /// Deletes an article; false when the id is not in the index.
    pub fn delete(&mut self, id: &str) -> bool {
        let indexed = self.existing.remove(id).is_some();
        let touched = self.touched.remove(id);
        if let Some(touched) = touched {
            self.count(touched.outcome, -1);
        }
        let known = indexed || touched.is_some_and(|t| t.rev.is_some());
        if known {
            self.removed.insert(id.to_string());
        }
        if indexed {
            self.report.deleted += 1;
        }
        known
    }

    /// Deletes every article this job did not read (a full mirror of the inputs).
    pub fn prune(&mut self) {
        let missing: Vec<String> = self
            .existing
            .keys()
            .filter(|id| !self.touched.contains_key(*id))
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
        let keep = std::mem::take(&mut self.touched)
            .into_iter()
            .filter_map(|(id, touched)| Some((id, touched.rev?)))
            .collect();
        let sweep = Sweep::new(self.target.fields.id, keep, std::mem::take(&mut self.removed));
        if self.writes > 0 || !sweep.is_empty() || self.report.rebuilt {
            if !sweep.is_empty() {
                self.writer.delete_query(Box::new(sweep))?;
            }
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
