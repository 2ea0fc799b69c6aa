//! Ingestion over HTTP for sites that push articles: `POST /api/articles` (a JSON array or
//! NDJSON, the JSONL schema) and `DELETE /api/articles/{id}`. Enabled only when the server
//! has an admin token, answered only for `Authorization: Bearer <token>`, and subject to the
//! same one-writer rule as the CLI jobs (409 while another job holds the index). A request
//! holds at most [`MAX_INGEST_RECORDS`] articles and its answer lists at most
//! [`MAX_LISTED_INGEST_REJECTIONS`] rejections, so neither grows past a real batch.
//! `POST /api/snapshots` (same token) writes a snapshot into the directory the operator
//! gave at start (`--snapshot-dir`), never to a path a client names.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::{IgnoredAny, SeqAccess, Visitor};
use serde_json::{Value, json};

use super::error::ApiError;
use super::state::Shared;
use crate::backend::{IndexBackend, IndexOptions, JobKind, Silent, WriteJob};
use crate::config::{MAX_INGEST_RECORDS, MAX_LISTED_INGEST_REJECTIONS};
use crate::error::{Code, ErrorCode, IndexError, PostError, SnapshotError};
use crate::local::snapshot::{self, Snapshot};
use crate::post::{Location, Rejection, jsonl};

/// Whether the `Authorization` header carries `Bearer <token>`, compared in constant time.
pub fn authorized(header: Option<&str>, token: &str) -> bool {
    let Some(given) = header.and_then(|h| {
        let (scheme, value) = h.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then_some(value.trim())
    }) else {
        return false;
    };
    let (given, expected) = (given.as_bytes(), token.as_bytes());
    // Every byte of the expected token is looked at whatever the input, so the time taken
    // says nothing about how much of a guess was right.
    let mut diff = given.len() ^ expected.len();
    for (i, &e) in expected.iter().enumerate() {
        diff |= usize::from(given.get(i).copied().unwrap_or(0) ^ e);
    }
    diff == 0
}

/// Checks the token; the error says whether ingestion is off or the caller is not allowed.
pub fn check(token: Option<&str>, header: Option<&str>) -> Result<(), ApiError> {
    let Some(token) = token else {
        return Err(ApiError::new(
            Code::AdminDisabled,
            "ingestion is disabled: start the server with XINWEN_ADMIN_TOKEN set",
        ));
    };
    if authorized(header, token) {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::Unauthorized,
            "send Authorization: Bearer <token> with the server's admin token",
        ))
    }
}

/// One record of a request body, or why it is not an article record.
pub type Record = Result<serde_json::Map<String, Value>, PostError>;

/// The records of a request body: a JSON array, or one JSON object a line (NDJSON).
/// A record that is not an object, or an NDJSON line that is not JSON, becomes a rejection.
/// More than [`MAX_INGEST_RECORDS`] is refused before any is parsed into an article.
pub fn records(body: &[u8]) -> Result<Vec<Record>, ApiError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::new(
            Code::InvalidUtf8,
            format!("the body is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err(ApiError::new(
            Code::EmptyBody,
            "send a JSON array of articles, or one article a line",
        ));
    }
    let object = |v: Value| match v {
        Value::Object(map) => Ok(map),
        _ => Err(PostError::NotAnObject),
    };
    if trimmed.starts_with('[') {
        let (values, more) = capped_array(trimmed)
            .map_err(|e| ApiError::new(Code::InvalidJson, format!("the body is not a JSON array: {e}")))?;
        if more > 0 {
            return Err(too_many(values.len() + more));
        }
        return Ok(values.into_iter().map(object).collect());
    }
    let lines = || trimmed.lines().filter(|l| !l.trim().is_empty());
    let count = lines().count();
    if count > MAX_INGEST_RECORDS {
        return Err(too_many(count));
    }
    Ok(lines()
        .map(|line| {
            serde_json::from_str::<Value>(line)
                .map_err(|e| PostError::InvalidJson(e.to_string()))
                .and_then(object)
        })
        .collect())
}

fn too_many(count: usize) -> ApiError {
    ApiError::new(
        Code::TooManyRecords,
        format!("{count} articles in one request, at most {MAX_INGEST_RECORDS}: send them in smaller requests"),
    )
}

/// The first [`MAX_INGEST_RECORDS`] values of a JSON array, and how many more it has
/// (skipped without being built).
fn capped_array(text: &str) -> Result<(Vec<Value>, usize), serde_json::Error> {
    struct Capped;
    impl<'de> Visitor<'de> for Capped {
        type Value = (Vec<Value>, usize);

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON array of articles")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut values = Vec::new();
            while values.len() < MAX_INGEST_RECORDS {
                match seq.next_element::<Value>()? {
                    Some(value) => values.push(value),
                    None => return Ok((values, 0)),
                }
            }
            let mut more = 0;
            while seq.next_element::<IgnoredAny>()?.is_some() {
                more += 1;
            }
            Ok((values, more))
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let out = serde::Deserializer::deserialize_seq(&mut deserializer, Capped)?;
    deserializer.end()?;
    Ok(out)
}

fn locked_or_internal(e: IndexError) -> ApiError {
    match e {
        e @ IndexError::Locked { .. } => {
            let IndexError::Locked { holder, .. } = &e else {
                return ApiError::from(e);
            };
            ApiError::new(
                e.code(),
                format!("another job is writing the index ({holder}); retry when it is done"),
            )
        }
        e @ IndexError::NoSpace { .. } => {
            tracing::error!(error = %e, "ingestion failed");
            ApiError::new(
                e.code(),
                "the server's disk is full: nothing of the request was indexed; retry once space is freed",
            )
        }
        // The operator must choose the live generation; nothing is written until then.
        e @ (IndexError::DanglingCurrent { .. } | IndexError::NoCurrent { .. }) => {
            tracing::error!(error = %e, "ingestion refused");
            ApiError::from(e)
        }
        other => ApiError::from(other),
    }
}

/// The backend that takes writes: 503 when the server has none.
fn writer(shared: &Shared) -> Result<Arc<dyn IndexBackend>, ApiError> {
    shared
        .index()
        .ok_or_else(|| ApiError::unavailable("this server's index takes no writes"))
}

/// A write job on an index that exists (503 when there is none, 409 while another job
/// holds it).
fn job<'a>(index: &'a dyn IndexBackend, holder: &str, kind: JobKind) -> Result<Box<dyn WriteJob + 'a>, ApiError> {
    let options = IndexOptions {
        holder: holder.into(),
        kind,
        threads: Some(1),
        memory: 64 * 1024 * 1024,
        existing_only: true,
        ..IndexOptions::default()
    };
    index.begin(&options).map_err(|e| match e {
        e @ IndexError::Missing { .. } => ApiError::new(e.code(), "there is no index to write to"),
        other => locked_or_internal(other),
    })
}

/// POST /api/articles
pub async fn ingest(shared: Arc<Shared>, body: Vec<u8>) -> Result<Value, ApiError> {
    let records = records(&body)?;
    let index = writer(&shared)?;
    super::api::off_async(move || -> Result<Value, ApiError> {
        let mut job = job(index.as_ref(), "POST /api/articles", JobKind::Ingest)?;
        let mut rejected = Vec::new();
        let mut not_listed = 0usize;
        for (i, record) in records.into_iter().enumerate() {
            match record.and_then(|map| jsonl::parse_record(&map)) {
                Ok(article) => {
                    job.upsert(&article).map_err(locked_or_internal)?;
                }
                Err(reason) => {
                    if rejected.len() < MAX_LISTED_INGEST_REJECTIONS {
                        rejected
                            .push(json!({ "item": i + 1, "code": reason.code().name(), "reason": reason.to_string() }));
                    } else {
                        not_listed += 1;
                    }
                    job.reject(Rejection {
                        location: Location {
                            path: "request".into(),
                            line: Some(i + 1),
                        },
                        reason,
                    });
                }
            }
        }
        // Once finished, the articles are searchable (the backend's promise).
        let report = job.finish(&Silent).map_err(locked_or_internal)?;
        shared.metrics().ingested(&report);
        Ok(json!({
            "accepted": report.new + report.updated + report.unchanged,
            "new": report.new,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": rejected,
            "rejected_not_listed": not_listed,
            "total": report.total,
        }))
    })
    .await
}

/// DELETE /api/articles/{id}
pub async fn delete(shared: Arc<Shared>, raw_id: String) -> Result<Value, ApiError> {
    let id = super::api::decode_id(&raw_id)?;
    let index = writer(&shared)?;
    super::api::off_async(move || -> Result<Value, ApiError> {
        let mut job = job(index.as_ref(), "DELETE /api/articles", JobKind::Delete)?;
        let found = job.delete(&id).map_err(locked_or_internal)?;
        job.finish(&Silent).map_err(locked_or_internal)?;
        if !found {
            return Err(IndexError::UnknownId(id).into());
        }
        Ok(json!({ "id": id, "deleted": true }))
    })
    .await
}

/// Where `POST /api/snapshots` writes: the local index it copies, and the operator's
/// directory for the copies.
#[derive(Debug, Clone)]
pub struct SnapshotTarget {
    /// The index whose live generation is copied.
    pub index: crate::store::IndexDir,
    /// The directory snapshots are written to.
    pub dir: PathBuf,
}

/// The lock file in a snapshot directory, held while a snapshot is written into it.
pub const SNAPSHOT_LOCK: &str = ".xinwen-snapshot.lock";

impl SnapshotTarget {
    /// Checks at start that `dir` is a directory the server can write its lock file in.
    pub fn new(index: crate::store::IndexDir, dir: PathBuf) -> Result<SnapshotTarget, SnapshotError> {
        lock_file(&dir)?;
        Ok(SnapshotTarget { index, dir })
    }
}

fn lock_file(dir: &Path) -> Result<std::fs::File, SnapshotError> {
    let path = dir.join(SNAPSHOT_LOCK);
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| SnapshotError::Destination {
            path: dir.to_path_buf(),
            reason: format!("cannot open {}: {e}", path.display()),
        })
}

/// Writes one snapshot into the target's directory, one at a time there (409 otherwise:
/// the lock is an OS file lock, so two servers sharing the directory take turns too).
fn write_snapshot(target: &SnapshotTarget) -> Result<Snapshot, SnapshotError> {
    let lock = lock_file(&target.dir)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(SnapshotError::Busy {
                path: target.dir.clone(),
            });
        }
        Err(std::fs::TryLockError::Error(source)) => {
            return Err(SnapshotError::Io {
                context: format!("cannot lock {}", target.dir.join(SNAPSHOT_LOCK).display()),
                source,
            });
        }
    }
    snapshot::take(&target.index, &target.dir)
}

/// POST /api/snapshots
pub async fn snapshot(target: Option<SnapshotTarget>) -> Result<Snapshot, ApiError> {
    let Some(target) = target else {
        return Err(ApiError::new(
            Code::SnapshotsDisabled,
            "snapshots are disabled: start the server with --snapshot-dir DIR",
        ));
    };
    super::api::off_async(move || {
        write_snapshot(&target).map_err(|e| match e {
            SnapshotError::NoSpace { .. } => {
                tracing::error!(error = %e, "snapshot failed");
                ApiError::new(
                    e.code(),
                    "the server's disk is full: no snapshot was written; retry once space is freed",
                )
            }
            other => ApiError::from(other),
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_is_authorized() {
        assert!(authorized(Some("Bearer s3cret"), "s3cret"));
        assert!(authorized(Some("bearer  s3cret "), "s3cret"));
        for wrong in [
            None,
            Some("Bearer s3cre"),
            Some("Bearer s3cretx"),
            Some("Basic s3cret"),
            Some("s3cret"),
            Some(""),
        ] {
            assert!(!authorized(wrong, "s3cret"), "{wrong:?}");
        }
    }

    #[test]
    fn bodies_are_arrays_or_ndjson() {
        assert_eq!(records(b"[{\"a\":1},2]").map(|r| r.len()).ok(), Some(2));
        let ndjson = records(b"{\"a\":1}\n\nnot json\n[1]\n").expect("ndjson");
        assert_eq!(ndjson.len(), 3);
        assert!(ndjson[0].is_ok());
        assert!(matches!(ndjson[1], Err(PostError::InvalidJson(_))));
        assert_eq!(ndjson[2], Err(PostError::NotAnObject));
        assert_eq!(records(b"  ").err().map(|e| e.code.name()), Some("empty_body"));
        assert_eq!(records(b"[{").err().map(|e| e.code.name()), Some("invalid_json"));
    }
}
