//! `xinwen serve`: open (or first build) the index and serve the page and API.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use super::{IndexLocation, Outcome};
use crate::config::{DEFAULT_ADDR, DEFAULT_INDEX_DIR, DEFAULT_SOURCES};
use crate::indexer::{self, IndexOptions, Silent};
use crate::server::{self, ServerOptions, Shared};
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
}

pub(super) fn run(args: ServeArgs) -> anyhow::Result<Outcome> {
    let dir = IndexDir::new(&args.location.dir);
    if dir.live_generation()?.is_none() && args.location.dir == Path::new(DEFAULT_INDEX_DIR) {
        build_default(&dir)?;
    }
    let shared = Arc::new(Shared::open(dir)?);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let options = ServerOptions {
        cors_origins: args.cors_origins,
        admin_token: std::env::var("XINWEN_ADMIN_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty()),
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

/// The first run of the README's main command: index the fixtures into `index/`.
fn build_default(dir: &IndexDir) -> anyhow::Result<()> {
    let sources: Vec<PathBuf> = DEFAULT_SOURCES
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect();
    if sources.is_empty() {
        anyhow::bail!(
            "no index at {} and no {} to build one from: run from the project folder, or `xinwen index PATH…` first",
            dir.root().display(),
            DEFAULT_SOURCES.join(" or ")
        );
    }
    eprintln!(
        "xinwen: no index yet; building {} from {}",
        dir.root().display(),
        DEFAULT_SOURCES.join(", ")
    );
    let report = indexer::run(dir, &sources, &IndexOptions::default(), &Silent)?;
    eprintln!(
        "xinwen: indexed {} articles in {:.2} s ({} rejected)",
        report.total,
        report.elapsed.as_secs_f64(),
        report.rejected
    );
    Ok(())
}
