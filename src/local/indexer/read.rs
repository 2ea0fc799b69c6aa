//! Feeding a job: batches read on their own thread, one ahead of indexing, and a failed job
//! undone with its files removed.

use std::sync::mpsc;

use super::records::{self, JobRecord};
use super::{Job, Progress, fault, pause_point};
use crate::error::IndexError;
use crate::post::Batch;
use crate::store::{IndexDir, WriterLock};

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
            for (origin, item) in batch.items {
                match item {
                    Ok(article) => {
                        articles += 1;
                        self.upsert_from(&article, origin)?;
                    }
                    Err(rejection) => {
                        progress.rejected(&rejection);
                        self.reject_from(rejection, origin);
                    }
                }
            }
            progress.advance(articles, self.report.bytes);
            pause_point("batch");
        }
        Ok(())
    }

    /// Drops everything the job did: nothing of it is committed, and the files it wrote
    /// are removed (a new generation entirely, else the uncommitted segments), so a job
    /// that failed on a full disk leaves the space it found.
    pub fn abort(self) {
        drop(self.rolled_back());
    }

    /// [`Job::abort`], keeping the lock: what is left to do under it (the job's record)
    /// then finds the space the job had taken free again.
    fn rolled_back(mut self) -> (IndexDir, WriterLock) {
        if let Err(e) = self.writer.rollback() {
            tracing::warn!(error = %e, "rolling back the failed job");
        }
        if !self.report.rebuilt
            && let Err(e) = self.dir.remove_uncommitted(&self.lock, &self.target)
        {
            tracing::warn!(error = %e, "removing the failed job's files");
        }
        let Job {
            dir,
            lock,
            writer,
            report,
            ..
        } = self;
        drop(writer);
        if report.rebuilt
            && let Err(e) = dir.remove_unfinished(&lock)
        {
            tracing::warn!(error = %e, "removing the failed job's generation");
        }
        (dir, lock)
    }

    /// Aborts the job after `error`, which becomes [`IndexError::NoSpace`] when the disk
    /// was full. A writer thread that died is reported by tantivy as "killed": its own
    /// error, the real cause, comes from joining the writer's threads.
    pub(super) fn fail(mut self, error: IndexError) -> IndexError {
        let error = match error {
            IndexError::Tantivy(tantivy::TantivyError::ErrorInThread(_)) => match self.writer.prepare_commit() {
                Err(cause) => IndexError::Tantivy(cause),
                Ok(prepared) => {
                    let _ = prepared.abort();
                    error
                }
            },
            other => other,
        };
        let generation = self.target.generation.clone();
        let error = fault::no_space(error, &generation);
        let record = JobRecord::failed(self.kind, self.began, self.started.elapsed(), &self.report, &error);
        let (dir, lock) = self.rolled_back();
        records::note(&dir, &lock, record);
        error
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}
