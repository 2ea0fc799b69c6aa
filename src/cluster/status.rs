//! The cluster's state: figures (articles, date range, live set), each node's health, and
//! the check that a shard keeps xinwen's tokens as they are.

use time::OffsetDateTime;

use crate::post::format_date;

use super::ClusterError;
use super::client::ClusterClient;
use super::document::{BIGINT_ATTRS, FIELDS, MVA_ATTRS, STRING_ATTRS, UINT_ATTRS};
use super::rows::cell;
use super::spec::Generation;
use super::sphinxql::{Connection, Failure, ResultSet};

/// Figures about the cluster.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClusterStats {
    /// Live articles over the shards that answered.
    pub articles: u64,
    /// Earliest article date.
    pub oldest: Option<String>,
    /// Latest article date.
    pub newest: Option<String>,
    /// The live table set (`a` or `b`).
    pub generation: String,
    /// Some shards did not answer.
    pub partial: bool,
    /// The engine's warnings.
    pub warnings: Vec<String>,
}

/// One node's state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NodeHealth {
    /// `host:port`.
    pub node: String,
    /// `None` when it answers, else why not.
    pub error: Option<String>,
}

/// The probe of [`ClusterClient::check_shard`] and the keywords@positions it must give.
const PROBE: &str = "中国 _ 3_2e_5_25_";
const PROBE_KEYWORDS: [&str; 2] = ["中国@1", "3_2e_5_25_@3"];

impl ClusterClient {
    /// Articles and date range over the shards that answer.
    pub fn stats(&self) -> Result<ClusterStats, ClusterError> {
        let generation = self.readable_generation()?;
        let table = self.spec.distributed_table(generation);
        let sql = format!(
            "SELECT id FROM {table} LIMIT 0; SHOW META; \
             SELECT id, date FROM {table} WHERE dated=1 ORDER BY date ASC LIMIT 1; \
             SELECT id, date FROM {table} WHERE dated=1 ORDER BY date DESC LIMIT 1"
        );
        let (node, sets) = self.read(&sql)?;
        let bad = |message: String| ClusterError::Protocol {
            node: self.spec.nodes[node].to_string(),
            message,
        };
        let [_, meta, oldest, newest, ..] = sets.as_slice() else {
            return Err(bad(format!("{} result sets, expected 4", sets.len())));
        };
        let (articles, warnings) = self.meta(node, meta).map_err(bad)?;
        let date = |set: &ResultSet| {
            set.rows
                .first()
                .and_then(|r| cell(set, r, "date"))
                .and_then(|d| d.parse::<i64>().ok())
                .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                .map(format_date)
        };
        Ok(ClusterStats {
            articles: articles as u64,
            oldest: date(oldest),
            newest: date(newest),
            generation: generation.letter().to_string(),
            partial: !warnings.is_empty(),
            warnings,
        })
    }

    /// Checks that every answering node's shard of `generation` has this xinwen's columns
    /// ([`ClusterClient::check_columns`]), once per client: a node that does not answer is
    /// checked when it answers again.
    pub(crate) fn check_schema(&self, generation: Generation) -> Result<(), ClusterError> {
        for shard in 0..self.connections.len() {
            let done = |checked: &Vec<(Generation, usize)>| checked.contains(&(generation, shard));
            if self.schema_checked.lock().map(|c| done(&c)).unwrap_or(false) {
                continue;
            }
            match self.check_columns(generation, shard) {
                Ok(()) => {
                    if let Ok(mut checked) = self.schema_checked.lock() {
                        checked.push((generation, shard));
                    }
                }
                Err(ClusterError::Unavailable { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Checks that shard `shard` of `generation` has every column this xinwen reads and
    /// writes (`DESCRIBE`): a table made by an older one (before the literal fields, say)
    /// would fail every search, or silently match less.
    pub fn check_columns(&self, generation: Generation, shard: usize) -> Result<(), ClusterError> {
        let table = self.spec.shard_table(generation, shard);
        let connection = self.shard_connection(shard)?;
        let node = connection.node().to_string();
        let sets = connection
            .run(&format!("DESCRIBE {table}"))
            .map_err(|f| ClusterError::on_node(connection.node(), f))?;
        let found: Vec<String> = sets
            .first()
            .map(|set| set.rows.iter().filter_map(|r| r.first().cloned().flatten()).collect())
            .unwrap_or_default();
        let missing: Vec<&str> = FIELDS
            .iter()
            .chain(&STRING_ATTRS)
            .chain(&BIGINT_ATTRS)
            .chain(&UINT_ATTRS)
            .chain(&MVA_ATTRS)
            .copied()
            .filter(|column| !found.iter().any(|f| f == column))
            .collect();
        if !missing.is_empty() {
            return Err(ClusterError::OldSchema {
                node,
                table,
                missing: missing.join(", "),
            });
        }
        Ok(())
    }

    fn shard_connection(&self, shard: usize) -> Result<&Connection, ClusterError> {
        self.connections
            .get(shard)
            .ok_or_else(|| ClusterError::InvalidSpec(format!("no node for shard {shard}")))
    }

    /// Checks that shard `shard` of `generation` keeps xinwen's tokens whole: the probe
    /// `中国 _ 3_2e_5_25_` must come back as two keywords at positions 1 and 3 (the
    /// charset keeps ideographs and escapes whole, `_` is a stopword that keeps its place).
    /// Its columns are checked first ([`ClusterClient::check_columns`]).
    pub fn check_shard(&self, generation: Generation, shard: usize) -> Result<(), ClusterError> {
        self.check_columns(generation, shard)?;
        let table = self.spec.shard_table(generation, shard);
        let connection = self.shard_connection(shard)?;
        let node = connection.node().to_string();
        let sql = format!("CALL KEYWORDS('{PROBE}', '{table}')");
        let sets = connection
            .run(&sql)
            .map_err(|f| ClusterError::on_node(connection.node(), f))?;
        let found: Vec<String> = sets
            .first()
            .map(|set| {
                set.rows
                    .iter()
                    .map(|r| {
                        format!(
                            "{}@{}",
                            cell(set, r, "tokenized").unwrap_or_default(),
                            cell(set, r, "qpos").unwrap_or_default()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if found != PROBE_KEYWORDS {
            return Err(ClusterError::Misconfigured {
                node,
                table,
                found: found.join(" "),
            });
        }
        Ok(())
    }

    /// Whether each node answers (`SHOW STATUS`), asked one by one.
    pub fn health(&self) -> Vec<NodeHealth> {
        self.connections
            .iter()
            .map(|c| NodeHealth {
                node: c.node().to_string(),
                error: match c.run("SHOW STATUS LIKE 'uptime'") {
                    Ok(_) => None,
                    Err(Failure::Down(why) | Failure::Refused(why)) => Some(why),
                },
            })
            .collect()
    }
}
