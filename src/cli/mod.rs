//! The command line: clap types and one module per subcommand. Each returns an
//! [`Outcome`]; `main` maps it to the exit code (0 hits or success, 1 no hits, 2 error).

mod article;
mod index;
mod search;
mod serve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use article::{DeleteArgs, GetArgs, StatsArgs};
pub use index::IndexArgs;
pub use search::SearchArgs;
pub use serve::ServeArgs;

use crate::config::DEFAULT_INDEX_DIR;

/// xinwen: full-text search for Chinese news.
#[derive(Debug, Parser)]
#[command(
    name = "xinwen",
    version,
    about = "Full-text search for Chinese news (jieba-rs + tantivy)"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read news posts and JSON Lines and add them to the index (or rebuild it).
    Index(IndexArgs),
    /// Search the index.
    Search(SearchArgs),
    /// Show the size, segments and date range of the index.
    Stats(StatsArgs),
    /// Print one whole article by id.
    Get(GetArgs),
    /// Delete articles by id.
    Delete(DeleteArgs),
    /// Serve the search page and JSON API over HTTP.
    Serve(ServeArgs),
}

/// The index location option shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct IndexLocation {
    /// The index directory.
    #[arg(long = "index", value_name = "DIR", default_value = DEFAULT_INDEX_DIR)]
    pub dir: PathBuf,
}

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Success (a search with hits).
    Success,
    /// A search with no hits.
    NoHits,
    /// The job ran but rejected some input (exit 2, after indexing the rest).
    Rejected,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Index(args) => index::run(args),
        Command::Search(args) => search::run(args),
        Command::Stats(args) => article::stats(args),
        Command::Get(args) => article::get(args),
        Command::Delete(args) => article::delete(args),
        Command::Serve(args) => serve::run(args),
    }
}

/// Whether to colour output: stdout is a terminal and `NO_COLOR` is not set.
fn use_color() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
