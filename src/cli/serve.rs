//! `xinwen serve`: the HTTP search service.

use super::{IndexLocation, Outcome};

/// Arguments of `xinwen serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    location: IndexLocation,
}

pub(super) fn run(_args: ServeArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("not yet")
}
