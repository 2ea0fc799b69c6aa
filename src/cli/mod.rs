//! The command line: clap types and one module per subcommand. Each returns an
//! [`Outcome`]; `main` maps it to the exit code (0 hits or success, 1 no hits, 2 error).

mod analyze;
mod article;
mod backend;
mod generations;
mod index;
mod search;
mod serve;
mod snapshot;
mod terminal;

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand};

pub use analyze::AnalyzeArgs;
pub use article::{DeleteArgs, GetArgs, StatsArgs};
pub use backend::BackendArgs;
pub use generations::GenerationsArgs;
pub use index::IndexArgs;
pub use search::SearchArgs;
pub use serve::ServeArgs;
pub use snapshot::{RestoreArgs, SnapshotArgs};

use crate::backend::{IndexBackend, SearchBackend};
use crate::cluster::{ClusterBackend, ClusterSpec};
use crate::config::DEFAULT_INDEX_DIR;
use crate::error::IndexError;
use crate::local::{LocalBackend, LocalIndex};
use crate::store::IndexDir;

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
    /// Show a text's tokens as the index sees them (`--query`: and a search's plan).
    Analyze(AnalyzeArgs),
    /// Show the size, segments and date range of the index.
    Stats(StatsArgs),
    /// Print one whole article by id.
    Get(GetArgs),
    /// Delete articles by id.
    Delete(DeleteArgs),
    /// Serve the search page and JSON API over HTTP.
    Serve(ServeArgs),
    /// List the index's generations, or make one the live one (`--use NAME`).
    Generations(GenerationsArgs),
    /// Set up a Sphinx / Manticore cluster backend (`backend config`).
    Backend(BackendArgs),
    /// Write a snapshot (a tar) of the live generation, while jobs and servers run.
    Snapshot(SnapshotArgs),
    /// Install a snapshot as the live generation, after verifying every checksum.
    Restore(RestoreArgs),
}

/// The index location option shared by every subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct IndexLocation {
    /// The index directory.
    #[arg(long = "index", value_name = "DIR", default_value = DEFAULT_INDEX_DIR)]
    pub dir: PathBuf,
    /// A Sphinx / Manticore cluster instead of the index directory:
    /// manticore://HOST:PORT[,HOST:PORT…]/NAME.
    #[arg(long, value_name = "URL", env = "XINWEN_BACKEND", value_parser = cluster_spec, conflicts_with = "dir")]
    pub backend: Option<ClusterSpec>,
}

impl IndexLocation {
    /// What reports name as the place of the articles: the directory or the backend URL.
    pub fn name(&self) -> String {
        match &self.backend {
            Some(spec) => spec.url(),
            None => self.dir.display().to_string(),
        }
    }
}

/// `--backend`, checked while the arguments are parsed (a bad URL is a usage error).
fn cluster_spec(url: &str) -> Result<ClusterSpec, String> {
    ClusterSpec::from_url(url).map_err(|e| e.to_string())
}

/// What a command searches and what it writes, from one place: the local index at
/// `--index`, or the cluster at `--backend`.
pub struct Backend {
    /// Answers searches and look-ups.
    pub search: Arc<dyn SearchBackend>,
    /// Takes writes, when the backend does.
    pub index: Option<Arc<dyn IndexBackend>>,
}

/// Opens the backend a command searches (the cluster at `--backend`, else the live index
/// at `--index`; an error when there is none).
pub fn open_backend(location: &IndexLocation) -> Result<Backend, IndexError> {
    if let Some(spec) = &location.backend {
        let cluster = Arc::new(ClusterBackend::new(spec.clone()));
        return Ok(Backend {
            search: cluster.clone(),
            index: Some(cluster),
        });
    }
    let local = Arc::new(LocalBackend::open(IndexDir::new(&location.dir))?);
    Ok(Backend {
        search: local.clone(),
        index: Some(local),
    })
}

/// The backend a command writes, which may not exist yet (`xinwen index` creates it).
pub fn open_writer(location: &IndexLocation) -> Arc<dyn IndexBackend> {
    if let Some(spec) = &location.backend {
        return Arc::new(ClusterBackend::new(spec.clone()));
    }
    Arc::new(LocalIndex::new(IndexDir::new(&location.dir)))
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

/// Parses the process's arguments (see [`options_first`]); exits with usage on error.
pub fn parse() -> Cli {
    match options_first(std::env::args_os().collect()) {
        Ok(args) => Cli::parse_from(args),
        Err(e) => e.exit(),
    }
}

/// `xinwen search` reads `-word` as an exclusion, so its query words may start with a dash
/// and clap takes every argument after the first query word as one more word. Yet
/// `xinwen search 上海 --limit 1` means the option: this moves every `--option` (with its
/// value) of a search in front of the query words, up to a `--` that ends the options.
/// An unknown `--option` is an error rather than a query word.
pub fn options_first(args: Vec<OsString>) -> Result<Vec<OsString>, clap::Error> {
    let mut command = Cli::command();
    command.build();
    let Some(search) = command.find_subcommand("search") else {
        return Ok(args);
    };
    let Some(at) = args.iter().skip(1).position(|a| !a.to_string_lossy().starts_with('-')) else {
        return Ok(args);
    };
    let at = at + 1;
    if args[at] != "search" {
        return Ok(args);
    }
    let long = |name: &str| search.get_arguments().find(|a| a.get_long() == Some(name));
    let mut out: Vec<OsString> = args[..=at].to_vec();
    let mut words = Vec::new();
    let mut rest = args[at + 1..].iter();
    while let Some(arg) = rest.next() {
        let text = arg.to_string_lossy();
        if text == "--" {
            words.push(arg.clone());
            words.extend(rest.cloned());
            break;
        }
        match text.strip_prefix("--") {
            Some(option) => {
                let (name, inline_value) = match option.split_once('=') {
                    Some((name, _)) => (name, true),
                    None => (option, false),
                };
                let Some(known) = long(name) else {
                    let mut search = search.clone();
                    return Err(search.error(
                        clap::error::ErrorKind::UnknownArgument,
                        format!("unexpected argument '--{name}' found"),
                    ));
                };
                if inline_value || !known.get_action().takes_values() {
                    out.push(arg.clone());
                } else if let Some(value) = rest.next() {
                    out.extend([arg.clone(), value.clone()]);
                } else {
                    // Moved before the words, it would take the first one for its value.
                    let value = known
                        .get_value_names()
                        .map(|names| names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(" "))
                        .unwrap_or_default();
                    let mut search = search.clone();
                    return Err(search.error(
                        clap::error::ErrorKind::InvalidValue,
                        format!("a value is required for '--{name} <{value}>' but none was supplied"),
                    ));
                }
            }
            None => words.push(arg.clone()),
        }
    }
    out.extend(words);
    Ok(out)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Index(args) => index::run(args),
        Command::Search(args) => search::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Stats(args) => article::stats(args),
        Command::Get(args) => article::get(args),
        Command::Delete(args) => article::delete(args),
        Command::Serve(args) => serve::run(args),
        Command::Generations(args) => generations::run(args),
        Command::Backend(args) => backend::run(args),
        Command::Snapshot(args) => snapshot::run_snapshot(args),
        Command::Restore(args) => snapshot::run_restore(args),
    }
}

/// Whether to colour output: stdout is a terminal and `NO_COLOR` is not set.
fn use_color() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reordered(args: &[&str]) -> Result<Vec<String>, String> {
        options_first(args.iter().map(OsString::from).collect())
            .map(|out| out.iter().map(|a| a.to_string_lossy().into_owned()).collect())
            .map_err(|e| e.kind().to_string())
    }

    #[test]
    fn options_after_search_words_move_in_front_of_them() {
        assert_eq!(
            reordered(&["xinwen", "search", "上海", "--limit", "1", "股市"]),
            Ok(vec![
                "xinwen".into(),
                "search".into(),
                "--limit".into(),
                "1".into(),
                "上海".into(),
                "股市".into()
            ])
        );
        assert_eq!(
            reordered(&["xinwen", "search", "上海", "--sort=date", "-期货", "--json"]),
            Ok(["xinwen", "search", "--sort=date", "--json", "上海", "-期货"]
                .map(String::from)
                .to_vec())
        );
    }

    #[test]
    fn a_double_dash_ends_the_options_and_other_commands_are_left_alone() {
        assert_eq!(
            reordered(&["xinwen", "search", "上海", "--", "--limit", "1"]),
            Ok(["xinwen", "search", "上海", "--", "--limit", "1"]
                .map(String::from)
                .to_vec())
        );
        let index = ["xinwen", "index", "fixtures", "--rebuild"];
        assert_eq!(reordered(&index), Ok(index.map(String::from).to_vec()));
        assert_eq!(reordered(&["xinwen"]), Ok(vec!["xinwen".into()]));
    }

    #[test]
    fn an_option_missing_its_value_after_the_words_is_an_error() {
        assert_eq!(
            reordered(&["xinwen", "search", "上海", "--collapse"]),
            Err(clap::error::ErrorKind::InvalidValue.to_string())
        );
    }

    #[test]
    fn an_unknown_option_after_the_words_is_an_error() {
        assert_eq!(
            reordered(&["xinwen", "search", "上海", "--bogus"]),
            Err(clap::error::ErrorKind::UnknownArgument.to_string())
        );
    }
}
