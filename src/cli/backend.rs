//! `xinwen backend config`: what each node of a Sphinx / Manticore cluster needs.

use std::io::Write;
use std::path::PathBuf;

use super::Outcome;
use crate::cluster::spec::DEFAULT_TABLE;
use crate::cluster::{ClusterSpec, EngineKind, config};

/// Arguments of `xinwen backend`.
#[derive(Debug, clap::Args)]
pub struct BackendArgs {
    /// What to do.
    #[command(subcommand)]
    command: BackendCommand,
}

#[derive(Debug, clap::Subcommand)]
enum BackendCommand {
    /// Print the searchd configuration (sphinx2) or the statements (manticore) of one node.
    Config(ConfigArgs),
}

/// The engine a configuration is for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum EngineArg {
    /// Sphinx 2.2.11: a complete searchd configuration file.
    Sphinx2,
    /// Manticore Search in RT mode: the searchd section and CREATE TABLE statements.
    Manticore,
}

#[derive(Debug, clap::Args)]
struct ConfigArgs {
    /// The engine.
    #[arg(long, value_enum)]
    engine: EngineArg,
    /// Every node's SphinxQL address, in shard order; each node's agent listens on port + 6.
    #[arg(long, value_name = "HOST:PORT[,HOST:PORT…]")]
    nodes: String,
    /// Which node to configure (0 is the first of --nodes).
    #[arg(long, value_name = "I")]
    node: usize,
    /// The node's data directory (tables, binlog, logs, pid file).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// The name the cluster's tables start with.
    #[arg(long, value_name = "NAME", default_value = DEFAULT_TABLE)]
    table: String,
}

/// Runs `xinwen backend …`.
pub(super) fn run(args: BackendArgs) -> anyhow::Result<Outcome> {
    match args.command {
        BackendCommand::Config(args) => {
            let spec = ClusterSpec::new(&args.nodes, &args.table)?;
            let engine = match args.engine {
                EngineArg::Sphinx2 => EngineKind::Sphinx2,
                EngineArg::Manticore => EngineKind::Manticore,
            };
            let text = config::render(engine, &spec, args.node, &args.data)?;
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(Outcome::Success)
        }
    }
}
