//! The one-writer lease of a cluster: what the local index's lock file is to one machine.
//! A job writes only while it holds the lease, a row of node 0's pointer table
//! (`NAME_meta`) that names the holder (host, pid, job, start) and an expiry on node 0's
//! clock, renewed by a thread while the job runs; a killed job's lease expires instead of
//! locking the cluster for ever.
//!
//! Taking it is a compare-and-set the engine makes atomic: lease rows have ids
//! [`LEASE_BASE`] + 1, + 2, …, the highest is the lease, and a job takes a free or expired
//! lease by `INSERT`ing the next id; an `INSERT` of an id that exists fails (Sphinx 2.2.11
//! and Manticore: "duplicate id"), so of two jobs that saw the same free lease one wins.
//! Rows are JSON in the table's `live` string, so a pointer table made before the lease
//! needs no new column.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::ClusterError;
use super::client::ClusterClient;
use super::sphinxql::{Connection, ResultSet, quote};

/// How long a lease lasts unless renewed; a killed job blocks others at most this long.
pub const LEASE_TTL: Duration = Duration::from_secs(30);

/// The environment variable that sets the lease's lifetime in whole seconds.
pub const LEASE_TTL_ENV: &str = "XINWEN_CLUSTER_LEASE_SECS";

/// The shortest and longest lifetime [`LEASE_TTL_ENV`] may set.
pub const LEASE_TTL_RANGE: (u64, u64) = (2, 3600);

/// Lease rows' ids start above this; the pointer row is id 1.
pub const LEASE_BASE: u64 = 1 << 40;

/// How often a job waiting for the lease (`--wait`) looks again.
const WAIT_PAUSE: Duration = Duration::from_millis(250);

/// The node whose pointer table keeps the lease: one place, so two jobs never see two.
const LEASE_NODE: usize = 0;

/// What a lease row says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Record {
    host: String,
    pid: u32,
    job: String,
    /// Node 0's clock, seconds.
    started: i64,
    /// Node 0's clock, seconds; 0 once released.
    expires: i64,
}

impl Record {
    /// The holder as an error shows it.
    fn describe(&self, now: i64) -> String {
        format!(
            "pid {} on {}, {}, since {}, lease expires in {} s",
            self.pid,
            self.host,
            self.job,
            date(self.started),
            (self.expires - now).max(0)
        )
    }
}

fn date(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(crate::post::format_date)
        .unwrap_or_else(|_| secs.to_string())
}

/// The lifetime [`LEASE_TTL_ENV`] asks for, or [`LEASE_TTL`] when unset.
pub fn ttl_from_env() -> Result<Duration, ClusterError> {
    let Some(raw) = std::env::var_os(LEASE_TTL_ENV) else {
        return Ok(LEASE_TTL);
    };
    let (low, high) = LEASE_TTL_RANGE;
    raw.to_str()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|s| (low..=high).contains(s))
        .map(Duration::from_secs)
        .ok_or_else(|| {
            ClusterError::InvalidSpec(format!(
                "{LEASE_TTL_ENV}={}: expected whole seconds from {low} to {high}",
                raw.to_string_lossy()
            ))
        })
}

/// This job's lease; renewed by its own thread, released on drop.
pub struct Lease {
    table: String,
    id: u64,
    ttl: Duration,
    url: String,
    state: Arc<Mutex<State>>,
    stop: Option<mpsc::Sender<()>>,
    renewer: Option<JoinHandle<()>>,
    connection: Arc<Connection>,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease").field("id", &self.id).finish_non_exhaustive()
    }
}

/// What the renewing thread found.
#[derive(Debug)]
struct State {
    record: Record,
    /// When the last renewal went in (this machine's clock).
    renewed: Instant,
    /// Why the lease is no longer this job's.
    lost: Option<String>,
}

impl Lease {
    /// Takes the cluster's lease for `job`. With `wait`, waits for a holder to finish (or
    /// its lease to expire); otherwise fails at once with [`ClusterError::Locked`].
    pub fn take(client: &ClusterClient, job: &str, wait: bool, ttl: Duration) -> Result<Lease, ClusterError> {
        let spec = client.spec();
        let node = spec
            .nodes
            .get(LEASE_NODE)
            .cloned()
            .ok_or_else(|| ClusterError::InvalidSpec("a cluster needs a node".into()))?;
        let connection = Arc::new(Connection::new(node, client.timeouts(), false));
        let table = spec.meta_table();
        loop {
            let (now, top) = read_top(&connection, &table)?;
            if let Some((_, record)) = top.as_ref().filter(|(_, r)| r.expires > now) {
                if !wait {
                    return Err(ClusterError::Locked {
                        url: spec.url(),
                        holder: record.describe(now),
                    });
                }
                std::thread::sleep(WAIT_PAUSE);
                continue;
            }
            let id = top.map_or(LEASE_BASE + 1, |(id, _)| id + 1);
            let record = Record {
                host: host_name(),
                pid: std::process::id(),
                job: job.to_string(),
                started: now,
                expires: now + ttl.as_secs() as i64,
            };
            let sql = format!(
                "INSERT INTO {table} (id, note, live) VALUES ({id}, '', {})",
                quote(&encode(&record))
            );
            match run(&connection, &sql) {
                Ok(_) => {}
                // Another job took this id first: it holds the lease now.
                Err(ClusterError::Engine { message, .. }) if message.contains("duplicate") => continue,
                Err(e) => return Err(e),
            }
            // The leases before this one are over: keep the table small.
            let _ = run(
                &connection,
                &format!("DELETE FROM {table} WHERE id>={LEASE_BASE} AND id<{id}"),
            );
            tracing::info!(id, job, "cluster lease taken");
            return Ok(Lease::start(connection, table, id, ttl, spec.url(), record));
        }
    }

    fn start(connection: Arc<Connection>, table: String, id: u64, ttl: Duration, url: String, record: Record) -> Lease {
        let state = Arc::new(Mutex::new(State {
            record,
            renewed: Instant::now(),
            lost: None,
        }));
        let (stop, stopped) = mpsc::channel::<()>();
        let renewer = {
            let (connection, table, state) = (connection.clone(), table.clone(), state.clone());
            std::thread::Builder::new()
                .name("xinwen-lease".into())
                .spawn(move || {
                    loop {
                        match stopped.recv_timeout(ttl / 3) {
                            Err(RecvTimeoutError::Timeout) => renew(&connection, &table, id, ttl, &state),
                            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                        }
                    }
                })
                .ok()
        };
        Lease {
            table,
            id,
            ttl,
            url,
            state,
            stop: Some(stop),
            renewer,
            connection,
        }
    }

    /// Fails when the lease is no longer this job's (another job took it over after it
    /// expired, or it could not be renewed for its whole lifetime): nothing more may be
    /// written.
    pub fn check(&self) -> Result<(), ClusterError> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(why) = &state.lost {
            return Err(ClusterError::LeaseLost(why.clone()));
        }
        if state.renewed.elapsed() >= self.ttl {
            return Err(ClusterError::LeaseLost(format!(
                "not renewed for {} s",
                state.renewed.elapsed().as_secs()
            )));
        }
        Ok(())
    }

    /// Renews the lease now and checks it is still this job's: before a step that must
    /// not happen twice (the switch of a rebuild).
    pub fn confirm(&self) -> Result<(), ClusterError> {
        renew(&self.connection, &self.table, self.id, self.ttl, &self.state);
        self.check()
    }

    /// The cluster's address, as errors name it.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Lease {
    /// Stops the renewals and marks the lease released, so the next job need not wait for
    /// it to expire. A job killed before this runs leaves a lease that expires.
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(renewer) = self.renewer.take() {
            let _ = renewer.join();
        }
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.lost.is_some() {
            return;
        }
        let record = Record {
            expires: 0,
            ..state.record.clone()
        };
        let sql = format!(
            "REPLACE INTO {} (id, note, live) VALUES ({}, '', {})",
            self.table,
            self.id,
            quote(&encode(&record))
        );
        match run(&self.connection, &sql) {
            Ok(_) => tracing::info!(id = self.id, "cluster lease released"),
            Err(e) => tracing::warn!(error = %e, "cluster lease not released; it expires"),
        }
    }
}

/// One renewal: a new expiry on our own row, then a look for a later lease (taken after
/// ours expired), which means ours is lost.
fn renew(connection: &Connection, table: &str, id: u64, ttl: Duration, state: &Mutex<State>) {
    let attempt = || -> Result<Option<String>, ClusterError> {
        let (now, top) = read_top(connection, table)?;
        if let Some((top_id, record)) = &top
            && *top_id != id
        {
            return Ok(Some(format!("another job took it over ({})", record.describe(now))));
        }
        let mut record = state.lock().unwrap_or_else(|e| e.into_inner()).record.clone();
        record.expires = now + ttl.as_secs() as i64;
        let sql = format!(
            "REPLACE INTO {table} (id, note, live) VALUES ({id}, '', {})",
            quote(&encode(&record))
        );
        run(connection, &sql)?;
        state.lock().unwrap_or_else(|e| e.into_inner()).record = record;
        Ok(None)
    };
    let result = attempt();
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    match result {
        Ok(None) => state.renewed = Instant::now(),
        Ok(Some(lost)) => state.lost = Some(lost),
        // Tried again at the next renewal; `check` fails once a whole lifetime went by.
        Err(e) => tracing::warn!(error = %e, "cluster lease not renewed"),
    }
}

/// Node 0's clock and the highest lease row, if any.
fn read_top(connection: &Connection, table: &str) -> Result<(i64, Option<(u64, Record)>), ClusterError> {
    // Two statements: 2.2.11 takes `SELECT NOW()` alone, not in a batch.
    let clock = run(connection, "SELECT NOW()")?;
    let rows = run(
        connection,
        &format!("SELECT id, live FROM {table} WHERE id>={LEASE_BASE} ORDER BY id DESC LIMIT 1"),
    )?;
    let bad = |message: String| ClusterError::Protocol {
        node: connection.node().to_string(),
        message,
    };
    let (Some(clock), Some(rows)) = (clock.first(), rows.first()) else {
        return Err(bad("no result set".into()));
    };
    let now = first_cell(clock)
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| bad("NOW() gave no number".into()))?;
    let top = match rows.rows.first() {
        None => None,
        Some(row) => {
            let id = row.first().cloned().flatten().and_then(|s| s.parse::<u64>().ok());
            let live = row.get(1).cloned().flatten().unwrap_or_default();
            let id = id.ok_or_else(|| bad("a lease row without an id".into()))?;
            // A row we cannot read is a lease someone holds: never take it over silently.
            let record = serde_json::from_str::<Record>(&live)
                .map_err(|e| bad(format!("lease row {id} is not a lease ({e}): {live:?}")))?;
            Some((id, record))
        }
    };
    Ok((now, top))
}

fn first_cell(set: &ResultSet) -> Option<String> {
    set.rows.first().and_then(|r| r.first().cloned().flatten())
}

fn encode(record: &Record) -> String {
    serde_json::to_string(record).unwrap_or_default()
}

fn run(connection: &Connection, sql: &str) -> Result<Vec<ResultSet>, ClusterError> {
    connection
        .run(sql)
        .map_err(|f| ClusterError::on_node(connection.node(), f))
}

/// This machine's name, as the holder of a lease says it.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "an unknown host".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_says_who_what_and_until_when() {
        let record = Record {
            host: "web1".into(),
            pid: 42,
            job: "xinwen index a.jsonl".into(),
            started: 1_700_000_000,
            expires: 1_700_000_030,
        };
        assert_eq!(
            record.describe(1_700_000_010),
            "pid 42 on web1, xinwen index a.jsonl, since 2023-11-15T06:13:20+08:00, lease expires in 20 s"
        );
        let back: Record = serde_json::from_str(&encode(&record)).expect("round trip");
        assert_eq!(back, record);
    }
}
