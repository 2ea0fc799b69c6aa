//! What a job did ([`IndexReport`]) and how it tells a front end while it runs ([`Progress`]).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::config::MAX_LISTED_REJECTIONS;
use crate::error::ErrorCode;
use crate::post::Rejection;

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
    /// Articles read again in the same job: the last copy read wins, counted once.
    pub repeated: usize,
    /// Articles not in this job's inputs that a prune or rebuild kept, because the file
    /// they came from was read with rejected parts.
    pub kept: usize,
    /// What the job did not do, and why: no prune, or no switch to the rebuilt index,
    /// after an input could not be read.
    pub withheld: Option<String>,
    /// Inputs rejected.
    pub rejected: usize,
    /// Rejections counted by reason code.
    pub rejected_by_reason: BTreeMap<&'static str, usize>,
    /// The first rejections (up to [`MAX_LISTED_REJECTIONS`]): location and reason. All
    /// are counted, and [`Progress::rejected`] hears of each.
    #[serde(serialize_with = "serialize_rejections")]
    pub rejections: Vec<Rejection>,
    /// Rejections counted but not listed in `rejections`.
    pub rejections_not_listed: usize,
    /// Files in the input folders that are not news inputs.
    pub skipped_files: usize,
    /// Links to folders read already in this job (loops included): not read again.
    pub skipped_folders: usize,
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

    pub(crate) fn reject(&mut self, rejection: Rejection) {
        self.rejected += 1;
        *self
            .rejected_by_reason
            .entry(rejection.reason.code().name())
            .or_default() += 1;
        // A hostile input can be millions of broken lines: the list stays short.
        if self.rejections.len() < MAX_LISTED_REJECTIONS {
            self.rejections.push(rejection);
        } else {
            self.rejections_not_listed += 1;
        }
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
            "code": rejection.reason.code().name(),
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
    /// An input was rejected (told as it happens: the report lists only the first ones).
    fn rejected(&self, _rejection: &Rejection) {}
}

/// Progress that reports nothing.
pub struct Silent;
impl Progress for Silent {}
