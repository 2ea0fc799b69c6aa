//! `xinwen serve`: open (or first build) the index and serve the page and API.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::{Backend, IndexLocation, Outcome, open_backend, open_writer};
use crate::backend::{IndexOptions, Silent};
use crate::config::{
    DEFAULT_ADDR, DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_INDEX_DIR, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_SOURCES,
};
use crate::error::IndexError;
use crate::server::{self, ConnectionLimits, ServerOptions, Shared, SnapshotTarget};
use crate::store::IndexDir;

/// Arguments of `xinwen serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    location: IndexLocation,
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = DEFAULT_ADDR)]
    addr: SocketAddr,
    /// Allow a web site at this origin to call the API (CORS); repeatable.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    cors_origins: Vec<String>,
    /// Seconds a client may take to send a whole request header; then its connection closes.
    #[arg(long, value_name = "SECS", value_parser = seconds, default_value_t = Seconds(DEFAULT_HEADER_TIMEOUT))]
    header_timeout: Seconds,
    /// Seconds a kept-alive connection may wait for its next request.
    #[arg(long, value_name = "SECS", value_parser = seconds, default_value_t = Seconds(DEFAULT_IDLE_TIMEOUT))]
    idle_timeout: Seconds,
    /// Connections open at once; at the cap, the one stalled longest is closed for a newcomer.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000),
          default_value_t = DEFAULT_MAX_CONNECTIONS as u32)]
    max_connections: u32,
    /// Enable `POST /api/snapshots` (with the admin token), writing snapshots into DIR.
    #[arg(long, value_name = "DIR")]
    snapshot_dir: Option<PathBuf>,
}

use crate::config::MAX_TIMEOUT_SECS;

/// A timeout given in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seconds(Duration);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.as_secs_f64())
    }
}

/// A timeout in seconds, decimals allowed (`0.5`).
fn seconds(text: &str) -> Result<Seconds, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s <= MAX_TIMEOUT_SECS => Ok(Seconds(Duration::from_secs_f64(s))),
        _ => Err(format!(
            "give seconds above 0 and at most {MAX_TIMEOUT_SECS}, like 10 or 0.5"
        )),
    }
}

pub(super) fn run(args: ServeArgs) -> anyhow::Result<Outcome> {
    let snapshots = snapshot_target(&args)?;
    let Backend { search, index } = match open_backend(&args.location) {
        Err(IndexError::Missing { .. }) if args.location.dir == Path::new(DEFAULT_INDEX_DIR) => {
            build_default(&args.location)?;
            open_backend(&args.location)?
        }
        opened => opened?,
    };
    let shared = Arc::new(Shared::new(search, index));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let options = ServerOptions {
        cors_origins: args.cors_origins,
        admin_token: std::env::var("XINWEN_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty()),
        log_queries: log_queries()?,
        limits: ConnectionLimits {
            header_timeout: args.header_timeout.0,
            idle_timeout: args.idle_timeout.0,
            max_connections: args.max_connections as usize,
        },
        snapshots,
    };
    let addr = args.addr;
    if let Err(e) = runtime.block_on(server::serve(shared, addr, options)) {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::bail!("{addr} is already in use (another server?): choose another address with --addr");
        }
        return Err(e).with_context(|| format!("cannot serve on {addr}"));
    }
    Ok(Outcome::Success)
}

/// Where `POST /api/snapshots` writes, checked before the server starts.
fn snapshot_target(args: &ServeArgs) -> anyhow::Result<Option<SnapshotTarget>> {
    let Some(dir) = &args.snapshot_dir else {
        return Ok(None);
    };
    if args.location.backend.is_some() {
        anyhow::bail!("--snapshot-dir is for a local index: a cluster backend is backed up by its own engine");
    }
    if !dir.is_dir() {
        anyhow::bail!("--snapshot-dir {} is not a directory", dir.display());
    }
    Ok(Some(SnapshotTarget::new(
        IndexDir::new(&args.location.dir),
        dir.clone(),
    )?))
}

/// `XINWEN_LOG_QUERIES`: `1` (or `true`) logs each search's query text; unset, empty, `0`
/// or `false` does not. Anything else is refused rather than guessed at: a typo must not
/// log personal data, nor silently not log what an operator asked for.
fn log_queries() -> anyhow::Result<bool> {
    match std::env::var("XINWEN_LOG_QUERIES").as_deref().map(str::trim) {
        Err(std::env::VarError::NotPresent) | Ok("" | "0" | "false") => Ok(false),
        Ok("1" | "true") => Ok(true),
        _ => anyhow::bail!("XINWEN_LOG_QUERIES must be 1 (log query text) or 0, not what it is set to"),
    }
}

/// The first run of the README's main command: index the fixtures into `index/`.
fn build_default(location: &IndexLocation) -> anyhow::Result<()> {
    let sources: Vec<PathBuf> = DEFAULT_SOURCES
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect();
    if sources.is_empty() {
        anyhow::bail!(
            "no index at {} and no {} to build one from: run from the project folder, or `xinwen index PATH…` first",
            location.dir.display(),
            DEFAULT_SOURCES.join(" or ")
        );
    }
    eprintln!(
        "xinwen: no index yet; building {} from {}",
        location.dir.display(),
        DEFAULT_SOURCES.join(", ")
    );
    let report = open_writer(location).run(&sources, &IndexOptions::default(), &Silent)?;
    eprintln!(
        "xinwen: indexed {} articles in {:.2} s ({} rejected)",
        report.total,
        report.elapsed.as_secs_f64(),
        report.rejected
    );
    Ok(())
}
