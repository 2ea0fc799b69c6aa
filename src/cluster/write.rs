//! Writes to a cluster: each article goes to the shard a stable hash of its id picks
//! (`REPLACE INTO NAME_a_I` on node I), in batches; an unchanged article (same content
//! hash) is not written again; a batch that fails is retried as it was (`REPLACE` by id is
//! idempotent) and, when it still fails, reported with its ids. A rebuild writes the other
//! table set and moves the pointer only when every batch went in. A session holds the
//! cluster's writer [`Lease`] from its start to its end: one job writes at a time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use crate::post::Article;

use super::ClusterError;
use super::client::ClusterClient;
use super::document::{EngineRow, columns, doc_id, row, shard_of};
use super::lease::{LEASE_TTL, Lease};
use super::spec::Generation;
use super::sphinxql::{MAX_PACKET_BYTES, quote};

/// Articles a `REPLACE` statement carries at most.
pub const BATCH_ARTICLES: usize = 200;

/// Bytes a `REPLACE` statement carries at most: half the servers' packet limit.
pub const BATCH_BYTES: usize = MAX_PACKET_BYTES / 2;

/// Times a failed batch is sent (the first try included).
pub const ATTEMPTS: u32 = 3;

/// Ids listed (and deleted) per statement when pruning.
pub const PRUNE_PAGE: usize = 1000;

/// Pause before the second try; doubled before each later one.
pub const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// How a write session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Write a new table set and switch to it at the end.
    pub rebuild: bool,
    /// Articles per batch.
    pub batch_articles: usize,
    /// Tries per batch.
    pub attempts: u32,
    /// Pause before the first retry.
    pub retry_pause: Duration,
    /// Wait for another job's lease instead of failing at once.
    pub wait: bool,
    /// How long the lease lasts unless renewed.
    pub lease_ttl: Duration,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            rebuild: false,
            batch_articles: BATCH_ARTICLES,
            attempts: ATTEMPTS,
            retry_pause: RETRY_PAUSE,
            wait: false,
            lease_ttl: LEASE_TTL,
        }
    }
}

/// A batch that did not go in after every try.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FailedBatch {
    /// The node, `host:port`.
    pub node: String,
    /// The shard table.
    pub table: String,
    /// The article ids of the batch, in input order.
    pub ids: Vec<String>,
    /// The last error.
    pub error: String,
    /// Tries made.
    pub attempts: u32,
}

/// What a write session did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WriteReport {
    /// Articles written that were not there.
    pub new: usize,
    /// Articles written over a different version.
    pub updated: usize,
    /// Articles skipped: the same content was there.
    pub unchanged: usize,
    /// Articles deleted (by id, or pruned).
    pub deleted: usize,
    /// Inputs that could not become articles (counted by the caller's reader).
    pub rejected: usize,
    /// Batches that failed, with their ids: the job did not complete.
    pub failed: Vec<FailedBatch>,
    /// The table set written (`a` or `b`).
    pub generation: String,
    /// A rebuild switched readers to it.
    pub switched: bool,
}

/// One job's writes (see the module doc). Nothing is buffered across sessions.
pub struct WriteSession<'a> {
    client: &'a ClusterClient,
    options: WriteOptions,
    generation: Generation,
    /// Per shard: article id → its row, in input order (a later copy replaces an earlier one).
    pending: Vec<BTreeMap<u64, (String, EngineRow)>>,
    pending_bytes: Vec<usize>,
    /// Shards whose table was found to keep xinwen's tokens.
    checked: Vec<bool>,
    /// Document ids upserted in this session: what a prune keeps.
    seen: HashSet<u64>,
    report: WriteReport,
    /// Held until the session is dropped.
    lease: Lease,
}

impl<'a> WriteSession<'a> {
    /// Begins a session on the live table set, or (rebuild) on the other one, emptied;
    /// takes the writer lease first ([`WriteSession::begin_job`] names the job).
    pub fn begin(client: &'a ClusterClient, options: WriteOptions) -> Result<WriteSession<'a>, ClusterError> {
        WriteSession::begin_job(client, options, "a xinwen write session")
    }

    /// [`WriteSession::begin`] for `job`, the name another job sees while this one holds
    /// the lease.
    pub fn begin_job(
        client: &'a ClusterClient,
        options: WriteOptions,
        job: &str,
    ) -> Result<WriteSession<'a>, ClusterError> {
        let lease = Lease::take(client, job, options.wait, options.lease_ttl)?;
        // Read once the lease is held: a rebuild that finished meanwhile moved the pointer.
        client.forget_pointer();
        let live = client.live_generation()?;
        let generation = if options.rebuild { live.other() } else { live };
        let shards = client.spec().nodes.len();
        // A misconfigured shard stops the job before anything is written; a node that does
        // not answer is checked again before its first batch (which fails and is reported
        // while it stays down).
        let mut checked = vec![false; shards];
        for (shard, checked) in checked.iter_mut().enumerate() {
            match client.check_shard(generation, shard) {
                Ok(()) => *checked = true,
                Err(ClusterError::Unavailable { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let session = WriteSession {
            client,
            options,
            generation,
            checked,
            seen: HashSet::new(),
            pending: vec![BTreeMap::new(); shards],
            pending_bytes: vec![0; shards],
            report: WriteReport {
                generation: generation.letter().to_string(),
                ..WriteReport::default()
            },
            lease,
        };
        if options.rebuild {
            for shard in 0..shards {
                let table = client.spec().shard_table(generation, shard);
                session.on_shard(shard, &format!("TRUNCATE RTINDEX {table}"))?;
            }
        }
        Ok(session)
    }

    /// Queues an article for its shard; sends the shard's batch when it is full.
    pub fn upsert(&mut self, article: &Article) -> Result<(), ClusterError> {
        let shard = shard_of(&article.id, self.pending.len());
        let row = row(self.client.translator().analyzer(), article);
        self.pending_bytes[shard] += row.values.len();
        self.seen.insert(row.doc_id);
        self.pending[shard].insert(row.doc_id, (article.id.clone(), row));
        if self.pending[shard].len() >= self.options.batch_articles || self.pending_bytes[shard] >= BATCH_BYTES {
            self.flush(shard)?;
        }
        Ok(())
    }

    /// Deletes an article by id; true when it was there.
    pub fn delete(&mut self, id: &str) -> Result<bool, ClusterError> {
        let shard = shard_of(id, self.pending.len());
        let doc = doc_id(id);
        self.pending[shard].remove(&doc);
        self.seen.remove(&doc);
        let table = self.table(shard);
        let sets = self.on_shard(shard, &format!("DELETE FROM {table} WHERE id={doc}"))?;
        let deleted = sets.iter().map(|s| s.affected).sum::<u64>() > 0;
        self.report.deleted += usize::from(deleted);
        Ok(deleted)
    }

    /// Counts an input that could not become an article: a prune is then refused, since
    /// the article it would have been may be in the cluster.
    pub fn reject(&mut self) {
        self.report.rejected += 1;
    }

    /// Deletes every article of the table set this session did not upsert (a mirror of
    /// the inputs). Refused, deleting nothing, after a rejected input or a failed batch:
    /// only what the job has positively accounted for is deleted.
    pub fn prune(&mut self) -> Result<usize, ClusterError> {
        for shard in 0..self.pending.len() {
            self.flush(shard)?;
        }
        let (rejected, failed) = (self.report.rejected, self.report.failed.len());
        if rejected > 0 || failed > 0 {
            return Err(ClusterError::PruneRefused(format!(
                "{rejected} inputs were rejected and {failed} batches failed"
            )));
        }
        let mut deleted = 0;
        for shard in 0..self.pending.len() {
            let table = self.table(shard);
            let mut after = 0u64;
            loop {
                let sql = format!(
                    "SELECT id FROM {table} WHERE id>{after} ORDER BY id ASC LIMIT {PRUNE_PAGE} \
                     OPTION max_matches={PRUNE_PAGE}"
                );
                let sets = self.on_shard(shard, &sql)?;
                let ids: Vec<u64> = sets
                    .first()
                    .map(|s| {
                        s.rows
                            .iter()
                            .filter_map(|r| r.first()?.as_deref()?.parse().ok())
                            .collect()
                    })
                    .unwrap_or_default();
                let Some(&last) = ids.last() else { break };
                let gone: Vec<String> = ids
                    .iter()
                    .filter(|id| !self.seen.contains(id))
                    .map(u64::to_string)
                    .collect();
                if !gone.is_empty() {
                    let sql = format!("DELETE FROM {table} WHERE id IN ({})", gone.join(","));
                    let sets = self.on_shard(shard, &sql)?;
                    deleted += sets.iter().map(|s| s.affected as usize).sum::<usize>();
                }
                if ids.len() < PRUNE_PAGE {
                    break;
                }
                after = last;
            }
        }
        self.report.deleted += deleted;
        Ok(deleted)
    }

    /// Sends what is queued and, for a rebuild that wrote everything, switches readers to
    /// the new table set on every node.
    pub fn finish(mut self) -> Result<WriteReport, ClusterError> {
        for shard in 0..self.pending.len() {
            self.flush(shard)?;
        }
        if self.options.rebuild && self.report.failed.is_empty() {
            self.switch()?;
        }
        Ok(self.report)
    }

    /// The report so far.
    pub fn report(&self) -> &WriteReport {
        &self.report
    }

    fn table(&self, shard: usize) -> String {
        self.client.spec().shard_table(self.generation, shard)
    }

    /// Runs a statement on the node that holds `shard`, while this job holds the lease.
    fn on_shard(&self, shard: usize, sql: &str) -> Result<Vec<super::sphinxql::ResultSet>, ClusterError> {
        self.lease.check()?;
        let connection = self
            .client
            .connection(shard)
            .ok_or_else(|| ClusterError::InvalidSpec(format!("no node for shard {shard}")))?;
        connection
            .run(sql)
            .map_err(|f| ClusterError::on_node(connection.node(), f))
    }

    /// Sends one shard's queue: reads the stored hashes of its ids, writes the changed
    /// articles in one `REPLACE`, retrying the whole batch; a batch that still fails is
    /// reported, and the session goes on with the next.
    fn flush(&mut self, shard: usize) -> Result<(), ClusterError> {
        let batch = std::mem::take(&mut self.pending[shard]);
        self.pending_bytes[shard] = 0;
        if batch.is_empty() {
            return Ok(());
        }
        let mut pause = self.options.retry_pause;
        let mut last = None;
        for attempt in 1..=self.options.attempts.max(1) {
            match self.write_batch(shard, &batch) {
                Ok((new, updated, unchanged)) => {
                    self.report.new += new;
                    self.report.updated += updated;
                    self.report.unchanged += unchanged;
                    return Ok(());
                }
                // Another job may be writing now: stop, with nothing more written.
                Err(e @ ClusterError::LeaseLost(_)) => return Err(e),
                // A statement the engine refuses will be refused again: no retry.
                Err(
                    e @ (ClusterError::Engine { .. }
                    | ClusterError::Protocol { .. }
                    | ClusterError::Misconfigured { .. }
                    | ClusterError::OldSchema { .. }),
                ) => {
                    last = Some(e);
                    self.fail(shard, &batch, last.as_ref(), attempt);
                    return Ok(());
                }
                Err(e) => {
                    tracing::warn!(shard, attempt, error = %e, "batch failed");
                    last = Some(e);
                    if attempt < self.options.attempts {
                        std::thread::sleep(pause);
                        pause *= 2;
                    }
                }
            }
        }
        self.fail(shard, &batch, last.as_ref(), self.options.attempts.max(1));
        Ok(())
    }

    fn fail(
        &mut self,
        shard: usize,
        batch: &BTreeMap<u64, (String, EngineRow)>,
        error: Option<&ClusterError>,
        attempts: u32,
    ) {
        self.report.failed.push(FailedBatch {
            node: self.client.spec().nodes[shard].to_string(),
            table: self.table(shard),
            ids: batch.values().map(|(id, _)| id.clone()).collect(),
            error: error.map(ToString::to_string).unwrap_or_default(),
            attempts,
        });
    }

    /// One try of a batch: (new, updated, unchanged).
    fn write_batch(
        &mut self,
        shard: usize,
        batch: &BTreeMap<u64, (String, EngineRow)>,
    ) -> Result<(usize, usize, usize), ClusterError> {
        if !self.checked[shard] {
            self.client.check_shard(self.generation, shard)?;
            self.checked[shard] = true;
        }
        let table = self.table(shard);
        let ids: Vec<String> = batch.keys().map(u64::to_string).collect();
        let sql = format!(
            "SELECT id, hash FROM {table} WHERE id IN ({}) LIMIT {n} OPTION max_matches={n}",
            ids.join(","),
            n = batch.len().max(1)
        );
        let sets = self.on_shard(shard, &sql)?;
        let stored: HashMap<u64, i64> = sets
            .first()
            .map(|s| {
                s.rows
                    .iter()
                    .filter_map(|r| match r.as_slice() {
                        [Some(id), Some(hash), ..] => Some((id.parse().ok()?, hash.parse().ok()?)),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (mut new, mut updated, mut unchanged) = (0, 0, 0);
        let mut values = Vec::new();
        for (doc, (_, row)) in batch {
            match stored.get(doc) {
                Some(&hash) if hash == row.hash as i64 => unchanged += 1,
                Some(_) => {
                    updated += 1;
                    values.push(row.values.as_str());
                }
                None => {
                    new += 1;
                    values.push(row.values.as_str());
                }
            }
        }
        if !values.is_empty() {
            let sql = format!("REPLACE INTO {table} ({}) VALUES {}", columns(), values.join(", "));
            self.on_shard(shard, &sql)?;
        }
        Ok((new, updated, unchanged))
    }

    /// Points every node's pointer row at the table set just written. A node that does not
    /// answer leaves the nodes disagreeing: the error says so, and running the switch again
    /// (another rebuild, or `finish` of one) settles it.
    fn switch(&mut self) -> Result<(), ClusterError> {
        self.lease.confirm()?;
        let meta = self.client.spec().meta_table();
        let sql = format!(
            "REPLACE INTO {meta} (id, note, live) VALUES (1, '', {})",
            quote(self.generation.letter())
        );
        let mut failures = Vec::new();
        for shard in 0..self.pending.len() {
            if let Err(e) = self.on_shard(shard, &sql) {
                failures.push(e.to_string());
            }
        }
        self.client.forget_pointer();
        if !failures.is_empty() {
            return Err(ClusterError::Unavailable { failures });
        }
        self.report.switched = true;
        Ok(())
    }
}
