//! The index's own record of its write jobs (`jobs.json` beside the generations): the last
//! [`MAX_JOB_RECORDS`] jobs, and running totals per kind that outlive the trimmed records,
//! so `GET /metrics` can show what CLI jobs did (a server sees only its own requests).
//! Only a job holding the writer lock writes it, through a temporary file and a rename: a
//! reader sees the old file or the new one, never half of one.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::IndexReport;
use crate::error::IndexError;
use crate::store::{IndexDir, WriterLock};

/// The file, in the index directory.
pub const JOB_RECORDS_FILE: &str = "jobs.json";
/// Jobs kept in [`JobHistory::recent`]; the totals count every job.
pub const MAX_JOB_RECORDS: usize = 100;
/// The largest `jobs.json` read: a hundred records take about 40 KB, so anything past this
/// is not ours and is not read into memory.
const MAX_RECORDS_BYTES: u64 = 1024 * 1024;
/// The layout of `jobs.json`; a file of another version is started afresh.
const VERSION: u32 = 1;

/// What a write job was for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// `xinwen index` (incremental, or with `--prune`).
    #[default]
    Index,
    /// `xinwen index --rebuild`.
    Rebuild,
    /// `xinwen delete`, `DELETE /api/articles/{id}`.
    Delete,
    /// `POST /api/articles`.
    Ingest,
}

impl JobKind {
    /// The name in `jobs.json` and in metric labels.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Index => "index",
            JobKind::Rebuild => "rebuild",
            JobKind::Delete => "delete",
            JobKind::Ingest => "ingest",
        }
    }
}

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobOutcome {
    /// Committed (or nothing to commit); rejected inputs are counted, not a failure.
    Ok,
    /// Stopped by an error: nothing was committed.
    Failed,
}

impl JobOutcome {
    /// The name in `jobs.json` and in metric labels.
    pub fn name(self) -> &'static str {
        match self {
            JobOutcome::Ok => "ok",
            JobOutcome::Failed => "failed",
        }
    }
}

/// What a job did to the articles (a subset of [`IndexReport`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCounts {
    /// Articles and rejected inputs read.
    pub read: u64,
    /// Articles added.
    pub new: u64,
    /// Articles replaced.
    pub updated: u64,
    /// Articles skipped as unchanged.
    pub unchanged: u64,
    /// Articles deleted.
    pub deleted: u64,
    /// Inputs rejected.
    pub rejected: u64,
}

impl JobCounts {
    fn of(report: &IndexReport) -> JobCounts {
        let n = |v: usize| v as u64;
        JobCounts {
            read: n(report.read),
            new: n(report.new),
            updated: n(report.updated),
            unchanged: n(report.unchanged),
            deleted: n(report.deleted),
            rejected: n(report.rejected),
        }
    }

    fn add(&mut self, other: &JobCounts) {
        self.read += other.read;
        self.new += other.new;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.deleted += other.deleted;
        self.rejected += other.rejected;
    }

    /// The counts by name, for metric labels.
    pub fn named(&self) -> [(&'static str, u64); 6] {
        [
            ("read", self.read),
            ("new", self.new),
            ("updated", self.updated),
            ("unchanged", self.unchanged),
            ("deleted", self.deleted),
            ("rejected", self.rejected),
        ]
    }
}

/// One job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// What the job was for.
    pub kind: JobKind,
    /// When it began (RFC 3339, UTC).
    pub started: String,
    /// How long it ran, in seconds.
    pub seconds: f64,
    /// How it ended.
    pub outcome: JobOutcome,
    /// What it did.
    pub counts: JobCounts,
    /// Articles in the index after it.
    pub total: u64,
    /// Why it failed, or what it withheld (no prune, no switch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl JobRecord {
    /// The record of a job that ended with `report`.
    pub fn finished(kind: JobKind, started: OffsetDateTime, report: &IndexReport) -> JobRecord {
        JobRecord {
            kind,
            started: rfc3339(started),
            seconds: report.elapsed.as_secs_f64(),
            outcome: JobOutcome::Ok,
            counts: JobCounts::of(report),
            total: report.total,
            note: report.withheld.clone(),
        }
    }

    /// The record of a job stopped by `error` after `elapsed`, with what it had read.
    pub fn failed(
        kind: JobKind,
        started: OffsetDateTime,
        elapsed: Duration,
        report: &IndexReport,
        error: &IndexError,
    ) -> JobRecord {
        JobRecord {
            kind,
            started: rfc3339(started),
            seconds: elapsed.as_secs_f64(),
            outcome: JobOutcome::Failed,
            counts: JobCounts::of(report),
            total: 0,
            note: Some(error.to_string()),
        }
    }

    /// When the job ended, in Unix seconds (`None` for a start time that does not parse).
    pub fn ended_unix(&self) -> Option<f64> {
        let started = OffsetDateTime::parse(&self.started, &Rfc3339).ok()?;
        Some(started.unix_timestamp_nanos() as f64 / 1e9 + self.seconds)
    }
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// Every job of one kind so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KindTotals {
    /// Jobs by outcome.
    pub jobs: BTreeMap<JobOutcome, u64>,
    /// Seconds spent in them.
    pub seconds: f64,
    /// What they did, summed.
    pub counts: JobCounts,
    /// The latest of them.
    pub last: Option<JobRecord>,
}

/// The contents of `jobs.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobHistory {
    /// The layout ([`VERSION`]).
    pub version: u32,
    /// Totals per kind, over every job recorded since the index was created.
    pub kinds: BTreeMap<JobKind, KindTotals>,
    /// The last [`MAX_JOB_RECORDS`] jobs, oldest first.
    pub recent: Vec<JobRecord>,
}

impl Default for JobHistory {
    fn default() -> Self {
        JobHistory {
            version: VERSION,
            kinds: BTreeMap::new(),
            recent: Vec::new(),
        }
    }
}

impl JobHistory {
    /// Adds a job: counted in its kind's totals, and the oldest record dropped past
    /// [`MAX_JOB_RECORDS`].
    pub fn push(&mut self, record: JobRecord) {
        let totals = self.kinds.entry(record.kind).or_default();
        *totals.jobs.entry(record.outcome).or_default() += 1;
        totals.seconds += record.seconds;
        totals.counts.add(&record.counts);
        totals.last = Some(record.clone());
        self.recent.push(record);
        let excess = self.recent.len().saturating_sub(MAX_JOB_RECORDS);
        self.recent.drain(..excess);
    }
}

/// Where the records of the index in `dir` are.
pub fn path(dir: &IndexDir) -> PathBuf {
    dir.root().join(JOB_RECORDS_FILE)
}

/// Reads the records of the index in `dir`: empty when there are none yet.
pub fn read(dir: &IndexDir) -> Result<JobHistory, IndexError> {
    read_file(&path(dir))
}

fn read_file(path: &Path) -> Result<JobHistory, IndexError> {
    let io = |source| IndexError::Io {
        context: format!("cannot read {}", path.display()),
        source,
    };
    let file = match fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(JobHistory::default()),
        Err(e) => return Err(io(e)),
    };
    let mut text = Vec::new();
    file.take(MAX_RECORDS_BYTES + 1).read_to_end(&mut text).map_err(io)?;
    let invalid = |why: String| IndexError::Io {
        context: format!("{} is not xinwen's job records: {why}", path.display()),
        source: std::io::Error::from(std::io::ErrorKind::InvalidData),
    };
    if text.len() as u64 > MAX_RECORDS_BYTES {
        return Err(invalid(format!("larger than {MAX_RECORDS_BYTES} bytes")));
    }
    let history: JobHistory = serde_json::from_slice(&text).map_err(|e| invalid(e.to_string()))?;
    if history.version != VERSION {
        return Err(invalid(format!("version {}, not {VERSION}", history.version)));
    }
    Ok(history)
}

/// Appends `record` to the records of the index in `dir`. Only the holder of the writer
/// lock writes, so no two appends race. Records that cannot be read (a damaged or foreign
/// file) are started afresh with a warning: they are figures about jobs, not articles, and
/// must not stop a job that has committed.
pub fn append(dir: &IndexDir, _lock: &WriterLock, record: JobRecord) -> Result<(), IndexError> {
    let path = path(dir);
    let mut history = read_file(&path).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "starting the job records afresh");
        JobHistory::default()
    });
    history.push(record);
    write_atomically(&path, &history)
}

/// [`append`], a failure only logged: the job it records has already committed (or
/// failed for its own reason), and figures about it must not change its outcome.
pub(super) fn note(dir: &IndexDir, lock: &WriterLock, record: JobRecord) {
    if let Err(e) = append(dir, lock, record) {
        tracing::warn!(error = %e, "cannot record the job in the index's job records");
    }
}

fn write_atomically(path: &Path, history: &JobHistory) -> Result<(), IndexError> {
    let tmp = path.with_extension("json.tmp");
    let io = |what: &str| {
        let context = format!("cannot {what} {}", tmp.display());
        move |source| IndexError::Io { context, source }
    };
    let text = serde_json::to_vec_pretty(history).map_err(|e| IndexError::Io {
        context: "cannot serialise the job records".into(),
        source: std::io::Error::other(e),
    })?;
    let mut file = fs::File::create(&tmp).map_err(io("create"))?;
    file.write_all(&text).map_err(io("write"))?;
    file.sync_all().map_err(io("sync"))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|source| {
        let _ = fs::remove_file(&tmp);
        IndexError::Io {
            context: format!("cannot replace {}", path.display()),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: JobKind, new: u64) -> JobRecord {
        JobRecord {
            kind,
            started: "2026-12-02T06:00:00Z".into(),
            seconds: 1.5,
            outcome: JobOutcome::Ok,
            counts: JobCounts {
                read: new,
                new,
                ..JobCounts::default()
            },
            total: new,
            note: None,
        }
    }

    #[test]
    fn totals_outlive_the_trimmed_records() {
        let mut history = JobHistory::default();
        for i in 0..(MAX_JOB_RECORDS as u64 + 5) {
            history.push(record(JobKind::Index, i));
        }
        history.push(record(JobKind::Delete, 0));
        assert_eq!(history.recent.len(), MAX_JOB_RECORDS);
        assert_eq!(history.recent[0].counts.new, 6);
        let index = &history.kinds[&JobKind::Index];
        assert_eq!(index.jobs[&JobOutcome::Ok], MAX_JOB_RECORDS as u64 + 5);
        assert_eq!(index.counts.new, (0..105).sum::<u64>());
        assert_eq!(index.last.as_ref().map(|r| r.counts.new), Some(104));
        assert_eq!(history.kinds[&JobKind::Delete].jobs[&JobOutcome::Ok], 1);
    }

    #[test]
    fn a_record_ends_at_its_start_plus_its_duration() {
        let r = record(JobKind::Index, 1);
        assert_eq!(r.ended_unix(), Some(1_796_191_200.0 + 1.5));
    }

    #[test]
    fn a_foreign_file_is_an_error_and_a_missing_one_is_empty() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join(JOB_RECORDS_FILE);
        assert_eq!(read_file(&path).ok(), Some(JobHistory::default()));
        fs::write(&path, b"{\"version\":7,\"kinds\":{},\"recent\":[]}").expect("write");
        let e = read_file(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("version 7, not 1"), "{e}");
        fs::write(&path, b"not json").expect("write");
        assert!(read_file(&path).is_err());
    }
}
