//! `xinwen snapshot` and `xinwen restore`: back up the live generation of a local index to a
//! tar, and install such a tar as the live generation. The work is `local::snapshot`'s.

use std::io::Write;
use std::path::PathBuf;

use super::{IndexLocation, Outcome};
use crate::local::snapshot;
use crate::store::IndexDir;

/// Arguments of `xinwen snapshot`.
#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    location: IndexLocation,
    /// Print what was written as JSON.
    #[arg(long)]
    json: bool,
    /// The tar to write (an existing directory: a file named for the generation and time
    /// in it).
    #[arg(value_name = "OUT")]
    out: PathBuf,
}

/// Arguments of `xinwen restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    location: IndexLocation,
    /// Wait for another job that holds the index instead of failing at once.
    #[arg(long)]
    wait: bool,
    /// The snapshot tar (its `.sha256` beside it is checked too when present).
    #[arg(value_name = "SNAPSHOT")]
    snapshot: PathBuf,
}

/// The refusal for `--backend`: a cluster's engine backs itself up.
fn local_only(location: &IndexLocation, command: &str) -> anyhow::Result<IndexDir> {
    if location.backend.is_some() {
        anyhow::bail!(
            "{command} is a local index's: a cluster backend is backed up by its own engine (Manticore's BACKUP, \
             or a copy of each node's data directory)"
        );
    }
    Ok(IndexDir::new(&location.dir))
}

/// Runs `xinwen snapshot`.
pub(super) fn run_snapshot(args: SnapshotArgs) -> anyhow::Result<Outcome> {
    let dir = local_only(&args.location, "snapshot")?;
    let written = snapshot::take(&dir, &args.out)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &written)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "wrote {} ({} articles of {}, {} files, {} bytes)\nsha256 {}  (also in {})",
            written.path,
            written.articles,
            written.generation,
            written.files,
            written.bytes,
            written.sha256,
            snapshot::sidecar_name(&written.name)
        )?;
    }
    Ok(Outcome::Success)
}

/// Runs `xinwen restore`.
pub(super) fn run_restore(args: RestoreArgs) -> anyhow::Result<Outcome> {
    let dir = local_only(&args.location, "restore")?;
    let restored = snapshot::restore(&dir, &args.snapshot, args.wait)?;
    let mut out = std::io::stdout().lock();
    if !restored.whole_checked {
        eprintln!(
            "xinwen: no {} beside the snapshot: each file's checksum was verified, not the whole tar's",
            snapshot::sidecar_name(&args.snapshot.file_name().unwrap_or_default().to_string_lossy())
        );
    }
    writeln!(
        out,
        "restored {} articles as {}, now live",
        restored.articles, restored.generation
    )?;
    if let Some(previous) = restored.previous {
        writeln!(
            out,
            "{previous} is kept until the next job: `xinwen generations --index {} --use {previous}` switches back",
            dir.root().display()
        )?;
    }
    Ok(Outcome::Success)
}
