//! The cluster backend's errors: a spec the operator got wrong, a query the user got
//! wrong, and the engine (unreachable, refusing, answering what we cannot read).

use crate::error::{ErrorCode, QueryError};

/// What went wrong talking to a Sphinx / Manticore cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// `--nodes`, `--node`, `--table` or a backend URL that cannot describe a cluster.
    #[error("invalid cluster spec: {0}")]
    InvalidSpec(String),
    /// A query or parameter the user got wrong (the same errors as on a local index).
    #[error(transparent)]
    Query(#[from] QueryError),
    /// No node answered: every one refused, timed out or hung up. The server maps this to
    /// 503 `backend_unavailable`.
    #[error("backend unavailable: no node answered ({})", .failures.join("; "))]
    Unavailable {
        /// `node: reason` for each node tried.
        failures: Vec<String>,
    },
    /// A node answered with an error (a statement it refused, a missing table).
    #[error("{node}: the engine refused a statement: {message}")]
    Engine {
        /// The node, `host:port`.
        node: String,
        /// The engine's message.
        message: String,
    },
    /// A node answered something we cannot read (a missing column, a bad number).
    #[error("{node}: unexpected answer: {message}")]
    Protocol {
        /// The node, `host:port`.
        node: String,
        /// What was wrong.
        message: String,
    },
    /// A shard table that does not keep xinwen's tokens as they are (another charset, no
    /// stopword file): writing to it would build a silently different index.
    #[error(
        "{node}: table {table} does not keep xinwen's tokens ({found}); make its configuration with \
         `xinwen backend config` and create DIR/stopwords.txt (one line: _) before starting searchd"
    )]
    Misconfigured {
        /// The node, `host:port`.
        node: String,
        /// The shard table.
        table: String,
        /// What the engine made of the probe.
        found: String,
    },
    /// A deletion the job refuses, since it cannot account for every article (`--prune`
    /// after a rejected input or a failed batch).
    #[error("not pruning: {0}; nothing was deleted")]
    PruneRefused(String),
    /// An article id that is not in the cluster.
    #[error("no article with id {0:?}")]
    UnknownId(String),
    /// Another job holds the cluster's writer lease ([`super::lease`]).
    #[error("the index at {url} is locked by another writer ({holder}); wait for it, or pass --wait")]
    Locked {
        /// The cluster, as a backend URL.
        url: String,
        /// Who holds the lease and until when.
        holder: String,
    },
    /// This job's lease was lost (it expired and another job took it): it stopped writing.
    #[error(
        "this job lost the cluster's writer lease ({0}) and stopped writing; what it wrote before stays: \
         run it again"
    )]
    LeaseLost(String),
    /// A table made by an older xinwen: it lacks columns this one reads and writes.
    #[error(
        "{node}: table {table} was made for an older xinwen (it lacks {missing}); searchd keeps a table's \
         first schema, so: stop searchd, remove the table's files, start it on the configuration \
         `xinwen backend config` prints, and run `xinwen index --backend … --rebuild` (CLUSTER.md, \
         \"Upgrading the tables\")"
    )]
    OldSchema {
        /// The node, `host:port`.
        node: String,
        /// The table.
        table: String,
        /// The columns it lacks, comma-separated.
        missing: String,
    },
}

impl ClusterError {
    /// What a write makes of a statement that failed on `node`: a node that did not answer
    /// is unavailable, an error it answered with is the engine's.
    pub(crate) fn on_node(node: &super::spec::Node, failure: super::sphinxql::Failure) -> Self {
        match failure {
            super::sphinxql::Failure::Down(why) => ClusterError::Unavailable {
                failures: vec![format!("{node}: {why}")],
            },
            super::sphinxql::Failure::Refused(message) => ClusterError::Engine {
                node: node.to_string(),
                message,
            },
        }
    }

    /// A stable machine-readable code, as the local backend's errors have.
    pub fn code(&self) -> &'static str {
        match self {
            ClusterError::InvalidSpec(_) => "invalid_backend",
            ClusterError::Query(e) => e.code().name(),
            ClusterError::Unavailable { .. } => "backend_unavailable",
            ClusterError::Engine { .. }
            | ClusterError::Protocol { .. }
            | ClusterError::Misconfigured { .. }
            | ClusterError::OldSchema { .. }
            | ClusterError::LeaseLost(_) => "backend_error",
            ClusterError::Locked { .. } => "index_locked",
            ClusterError::UnknownId(_) => "not_found",
            ClusterError::PruneRefused(_) => "prune_refused",
        }
    }
}
