//! xinwen on a Sphinx 2.2.11 / Manticore cluster: the engine stores, shards and scores;
//! xinwen keeps its analysis, query language, highlighting and API.
//!
//! - [`spec`]: the nodes and table names (`--nodes`, `--table`, `manticore://…` URLs);
//! - [`config`]: what each node's `searchd` needs (`xinwen backend config`);
//! - [`document`]: the schema on the engine and article → row (xinwen's own tokens);
//! - [`sphinxql`]: the MySQL-protocol client, quoting and escaping;
//! - [`translate`]: parsed query → SphinxQL;
//! - [`client`]: search and get against the distributed tables;
//! - `related`, [`suggest`]: related articles and completions, chosen as locally;
//! - [`status`]: stats, node health, the check that a shard keeps xinwen's tokens;
//! - [`lease`]: the one-writer lease a job holds while it writes;
//! - [`write`]: upserts and deletes on the shards, batches and retries, rebuild switch;
//! - [`backend`]: all of it behind the seam ([`crate::backend`]), for `--backend`.
//!
//! The local tantivy index knows nothing of this module; the CLI reaches it through
//! `xinwen backend` and `--backend manticore://…`.

pub mod backend;
pub mod client;
pub mod config;
pub mod document;
mod error;
pub mod lease;
mod related;
mod rows;
pub mod spec;
pub mod sphinxql;
pub mod status;
pub mod suggest;
pub mod translate;
pub mod write;

pub use backend::ClusterBackend;
pub use client::{ClientOptions, ClusterClient, ClusterResponse};
pub use config::EngineKind;
pub use error::ClusterError;
pub use spec::ClusterSpec;
pub use write::{WriteOptions, WriteReport, WriteSession};

#[cfg(test)]
mod tests {
    /// The server will hold the client as `Arc<dyn SearchBackend>` and call it from
    /// tokio's blocking pool: it must be shareable across threads.
    #[test]
    fn the_client_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::ClusterClient>();
    }
}
