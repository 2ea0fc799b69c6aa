//! One indexing job: the writer lock, an index writer, and what each article read does to
//! the index (new, updated, unchanged, deleted); nothing is visible until it commits.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use tantivy::IndexWriter;
use tantivy::indexer::NoMergePolicy;
use tracing::{info, instrument};

use super::merge::ParallelMerges;
use super::queue::{Queue, QueuedDoc};
use super::records::{self, JobKind, JobRecord};
use super::sweep::Sweep;
use super::{IndexOptions, IndexReport, Progress, pause_point};
use super::{fault, live};
use crate::error::IndexError;
use crate::local::story::Assigner;
use crate::post::{Article, Origin, Rejection};
use crate::search::words::WordsUpdate;
use crate::store::{IndexDir, OpenIndex, WriterLock};

/// An indexing job in progress: it holds the one-writer lock and an index writer; nothing
/// it does is visible until [`Job::finish`] commits, all at once.
pub struct Job {
    pub(super) dir: IndexDir,
    pub(super) lock: WriterLock,
    pub(super) target: OpenIndex,
    pub(super) writer: IndexWriter<QueuedDoc>,
    /// The writer's indexing threads: the commit's merges are split as many ways.
    pub(super) threads: usize,
    /// Bytes of documents waiting to be indexed.
    pub(super) queue: Arc<Queue>,
    /// What may be read ahead of the writer, of each kind (parsed, queued), in bytes.
    pub(super) read_ahead: usize,
    /// The live index a rebuild replaces, when it opens: the articles of partly rejected
    /// files are taken from it.
    pub(super) previous: Option<OpenIndex>,
    /// Whether a live generation existed when the job began: a rebuild that could not
    /// read every input does not replace it.
    pub(super) replaces_live: bool,
    /// The articles in the index when the job began.
    pub(super) existing: HashMap<String, Indexed>,
    /// What this job did with each id it read (the last copy read wins).
    pub(super) touched: HashMap<String, Touched>,
    /// Ids this job deletes.
    pub(super) removed: HashSet<String>,
    /// Files read with rejected parts: their articles are not pruned.
    pub(super) partial: HashSet<Origin>,
    /// Inputs that could not be read: the job deletes nothing and switches to no rebuild.
    pub(super) unreadable: usize,
    /// The rev of the next document added (see [`crate::schema::Fields::stamp`]).
    pub(super) next_rev: u64,
    /// Documents added: with `removed`, whether there is anything to commit.
    pub(super) writes: usize,
    pub(super) report: IndexReport,
    pub(super) started: Instant,
    /// What the job is for and when it began, for the index's job records.
    pub(super) kind: JobKind,
    pub(super) began: time::OffsetDateTime,
    /// Word settings an incremental job saves once it has committed.
    pub(super) words: WordsUpdate,
    /// Gives each added article its story.
    pub(super) stories: Assigner,
    /// Name ↔ code pairs seen in the articles this job adds, by distinct article.
    pub(super) learned: crate::local::aliases::Counts,
}

/// An article in the index when the job began.
#[derive(Debug, Clone, Copy)]
pub(super) struct Indexed {
    /// Its content hash.
    pub(super) hash: u64,
    /// The file it came from.
    pub(super) origin: Origin,
}

/// What a job did with one id.
#[derive(Debug, Clone, Copy)]
pub(super) struct Touched {
    /// The rev of the copy this job added; `None` while the indexed copy is kept.
    pub(super) rev: Option<u64>,
    /// What the last copy read does, compared with the index before the job.
    pub(super) outcome: Upserted,
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
        let began = time::OffsetDateTime::now_utc();
        if options.existing_only && dir.live_generation()?.is_none() {
            return Err(IndexError::Missing {
                path: dir.root().to_path_buf(),
            });
        }
        let lock = dir.lock(options.wait, &options.holder)?;
        pause_point("locked");
        let kind = if options.rebuild {
            JobKind::Rebuild
        } else {
            options.kind
        };
        let opened = match Opened::new(dir, options, &lock) {
            Ok(opened) => opened,
            Err(e) => {
                let record = JobRecord::failed(kind, began, started.elapsed(), &IndexReport::default(), &e);
                records::note(dir, &lock, record);
                return Err(e);
            }
        };
        let Opened {
            target,
            previous,
            rebuild,
            replaces_live,
            existing,
            writer,
            threads,
            read_ahead,
        } = opened;
        let queue = Queue::new(read_ahead);
        // Every operation of a job takes an opstamp and the commit records the last one,
        // so revs counted from the committed opstamp are never those of an older document.
        let next_rev = writer.commit_opstamp() + 1;
        // Copies are looked up in what was committed before the job (nothing, for a new
        // generation) and among the articles the job adds.
        let committed = if rebuild {
            None
        } else {
            Some(target.index.reader()?.searcher())
        };
        let stories = Assigner::new(target.fields, committed);
        Ok(Job {
            dir: dir.clone(),
            lock,
            target,
            writer,
            threads,
            queue,
            read_ahead,
            previous,
            replaces_live,
            touched: HashMap::with_capacity(existing.len()),
            removed: HashSet::new(),
            partial: HashSet::new(),
            unreadable: 0,
            existing,
            next_rev,
            writes: 0,
            report: IndexReport {
                rebuilt: rebuild,
                ..IndexReport::default()
            },
            started,
            kind,
            began,
            words: options.words.clone(),
            stories,
            learned: Default::default(),
        })
    }

    /// Adds or replaces an article. The same id read again in one job replaces the copy
    /// read before (the last one wins) and is counted once, by what its last copy does.
    /// An article that moved to another file is rewritten, so it is kept with the file it
    /// is in now.
    pub fn upsert(&mut self, article: &Article) -> Result<Upserted, IndexError> {
        self.upsert_from(article, Origin::NONE)
    }

    /// [`Job::upsert`] of an article read from the file `origin`.
    pub fn upsert_from(&mut self, article: &Article, origin: Origin) -> Result<Upserted, IndexError> {
        self.report.read += 1;
        let hash = article.content_hash();
        let outcome = match self.existing.get(&article.id) {
            None => Upserted::New,
            Some(old) if old.hash == hash && old.origin == origin => Upserted::Unchanged,
            Some(_) => Upserted::Updated,
        };
        let earlier = self.touched.get(&article.id).copied();
        if let Some(earlier) = earlier {
            self.report.repeated += 1;
            self.count(earlier.outcome, -1);
        }
        self.count(outcome, 1);
        // An article counts once, when it first enters the index: an update or a second
        // copy in one job would count its pairs again.
        if outcome == Upserted::New && earlier.is_none() {
            crate::local::aliases::count_article(&mut self.learned, article);
        }
        // The indexed copy stays as long as every copy read equals it; otherwise the copy
        // added last replaces it and every copy before (see `Sweep`).
        let kept = outcome == Upserted::Unchanged && earlier.is_none_or(|e| e.rev.is_none());
        let rev = if kept { None } else { Some(self.add(article, origin)?) };
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
    pub(super) fn add(&mut self, article: &Article, origin: Origin) -> Result<u64, IndexError> {
        let rev = self.next_rev;
        self.next_rev += 1;
        let ticket = self.queue.admit(article_bytes(article));
        let mut doc = self.target.fields.to_doc(article);
        self.target.fields.stamp(&mut doc, rev, origin.0);
        let assigned = self.stories.assign(&article.id, &article.body, article.date)?;
        self.target.fields.mark_story(&mut doc, &assigned);
        self.writer.add_document(QueuedDoc::new(doc, ticket))?;
        self.writes += 1;
        Ok(rev)
    }

    /// Counts an input that came from no file (pushed) and could not become an article.
    pub fn reject(&mut self, rejection: Rejection) {
        self.reject_from(rejection, Origin::NONE);
    }

    /// Counts an input of the file `origin` that could not become an article. The
    /// articles that file held stay in the index even if a prune does not see them (which
    /// did the rejected part hold? no one can say); an input that could not be read at
    /// all stops the job's deletions altogether.
    pub fn reject_from(&mut self, rejection: Rejection, origin: Origin) {
        self.report.read += 1;
        if rejection.reason.is_unreadable() {
            self.unreadable += 1;
        }
        self.partial.insert(origin);
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

    /// Deletes every article this job did not read (a full mirror of the inputs), but
    /// those of files read with rejected parts, and nothing at all when an input could
    /// not be read (as rsync's `--delete` after an I/O error).
    pub fn prune(&mut self) {
        if self.unreadable > 0 {
            self.report.withheld = Some(format!(
                "nothing was pruned: {} could not be read",
                inputs(self.unreadable)
            ));
            return;
        }
        let mut missing = Vec::new();
        for (id, indexed) in &self.existing {
            if self.touched.contains_key(id) {
                continue;
            }
            if self.partial.contains(&indexed.origin) {
                self.report.kept += 1;
            } else {
                missing.push(id.clone());
            }
        }
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
        if self.report.rebuilt && self.replaces_live && self.unreadable > 0 {
            return self.discard();
        }
        let committed = match self.commit(progress) {
            Ok(committed) => committed,
            Err(e) => return Err(self.fail(e)),
        };
        let Job {
            dir,
            lock,
            target,
            writer,
            mut report,
            started,
            kind,
            began,
            words,
            learned,
            ..
        } = self;
        let generation = target.generation.clone();
        let space = |e: IndexError| fault::no_space_after_commit(e, &generation);
        if committed {
            // Committed: what follows can only tidy up (merges) or switch to it.
            writer.wait_merging_threads().map_err(|e| space(e.into()))?;
            // Saved before a rebuild is switched to, so the new generation is live with
            // its counts; an incremental job adds to the counts the index has.
            if report.rebuilt || !learned.is_empty() {
                crate::local::aliases::merge_into(&target.generation, &learned).map_err(space)?;
            }
            if report.rebuilt {
                pause_point("publish");
                dir.publish(&target.generation).map_err(space)?;
                pause_point("published");
                dir.remove_stale_generations(&lock, &target)?;
            }
        }
        // A rebuild wrote its word settings into its new generation's manifest.
        // New learned counts bump the revision too, so a running server reloads its lists.
        if !report.rebuilt && (!words.is_empty() || (committed && !learned.is_empty())) {
            let settings = words.apply(&target.manifest.words);
            dir.save_words(&lock, &target, &settings).map_err(space)?;
        }
        report.total = target.index.reader()?.searcher().num_docs();
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
        records::note(&dir, &lock, JobRecord::finished(kind, began, &report));
        Ok(report)
    }

    /// Issues the job's deletions and commits, when there is anything to commit (or a new
    /// generation); returns whether it committed.
    fn commit(&mut self, progress: &dyn Progress) -> Result<bool, IndexError> {
        if self.report.rebuilt && !self.partial.is_empty() {
            self.carry_over()?;
        }
        let keep = std::mem::take(&mut self.touched)
            .into_iter()
            .filter_map(|(id, touched)| Some((id, touched.rev?)))
            .collect();
        let sweep = Sweep::new(self.target.fields.id, keep, std::mem::take(&mut self.removed));
        if self.writes == 0 && sweep.is_empty() && !self.report.rebuilt {
            self.writer.rollback()?;
            return Ok(false);
        }
        if !sweep.is_empty() {
            self.writer.delete_query(Box::new(sweep))?;
        }
        progress.committing();
        pause_point("commit");
        self.writer
            .set_merge_policy(Box::new(ParallelMerges::new(self.threads)));
        self.writer.commit()?;
        Ok(true)
    }
}

/// What a job opens once it holds the lock: a failure here is recorded as the job's.
struct Opened {
    target: OpenIndex,
    previous: Option<OpenIndex>,
    rebuild: bool,
    replaces_live: bool,
    existing: HashMap<String, Indexed>,
    writer: IndexWriter<QueuedDoc>,
    threads: usize,
    read_ahead: usize,
}

impl Opened {
    /// Cleans up leftovers of killed jobs and opens the live index, or a new generation
    /// for a rebuild or a first build, with a writer that does not merge.
    fn new(dir: &IndexDir, options: &IndexOptions, lock: &WriterLock) -> Result<Opened, IndexError> {
        let removed = dir.remove_unfinished(lock)?;
        if removed > 0 {
            info!(removed, "removed leftovers of an interrupted job");
        }
        let start = live::open_target(dir, lock, options)?;
        let (target, previous, rebuild) = (start.target, start.previous, start.rebuild);
        let existing = if rebuild {
            HashMap::new()
        } else {
            live::indexed_articles(&target)?
        };
        let threads = options
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()).min(8));
        // tantivy wants at least 15 MB a thread.
        let memory = options.memory.max(threads * 16 * 1024 * 1024);
        let writer = target.index.writer_with_num_threads(threads, memory)?;
        // Files a failed or killed job left in the live generation (uncommitted segments)
        // go before this job writes its own: a full disk is then free again.
        if !rebuild {
            match dir.remove_uncommitted(lock, &target) {
                Ok(0) => {}
                Ok(removed) => info!(removed, "removed files an earlier job left"),
                Err(e) => tracing::warn!(error = %e, "cannot remove files left by an earlier job"),
            }
        }
        // No merges while the job writes: a job that fails must be able to remove every
        // file it wrote, and a merge still running could write after the clean-up. The
        // commit merges (see `commit`).
        writer.set_merge_policy(Box::new(NoMergePolicy));
        Ok(Opened {
            target,
            previous,
            rebuild,
            replaces_live: start.replaces_live,
            existing,
            writer,
            threads,
            read_ahead: super::read_ahead_bytes(memory),
        })
    }
}

/// About what an article's document holds in memory.
fn article_bytes(a: &Article) -> usize {
    let texts = a.tags.iter().chain(&a.categories).map(String::len).sum::<usize>();
    a.id.len() + a.title.len() + a.body.len() + texts + a.url.as_ref().map_or(0, String::len) + 256
}

/// "1 input", "3 inputs".
pub(super) fn inputs(n: usize) -> String {
    if n == 1 {
        "1 input".into()
    } else {
        format!("{n} inputs")
    }
}
