//! `xinwen generations`: list the index's generations, and point `CURRENT` at one the
//! operator names — the repair for a lost or mistyped `CURRENT`. Nothing is guessed.

use std::io::Write;

use super::{IndexLocation, Outcome};
use crate::store::{GenerationInfo, IndexDir};

/// Arguments of `xinwen generations`.
#[derive(Debug, clap::Args)]
pub struct GenerationsArgs {
    #[command(flatten)]
    location: IndexLocation,
    /// Make this generation the live one (it must open and be finished).
    #[arg(long = "use", value_name = "NAME")]
    use_name: Option<String>,
    /// Wait for another job that holds the index instead of failing at once.
    #[arg(long)]
    wait: bool,
}

pub(super) fn run(args: GenerationsArgs) -> anyhow::Result<Outcome> {
    if args.location.backend.is_some() {
        anyhow::bail!("generations are a local index's; a cluster backend switches table sets with `index --rebuild`");
    }
    let dir = IndexDir::new(&args.location.dir);
    let mut out = std::io::stdout().lock();
    if let Some(name) = &args.use_name {
        let lock = dir.lock(args.wait, &format!("xinwen generations --use {name}"))?;
        let chosen = dir.use_generation(&lock, name)?;
        writeln!(
            out,
            "CURRENT now names {} ({} articles)",
            chosen.name,
            chosen.articles.as_ref().copied().unwrap_or_default()
        )?;
        return Ok(Outcome::Success);
    }
    let generations = dir.list_generations()?;
    if generations.is_empty() {
        writeln!(out, "no generations in {}", dir.root().display())?;
    }
    for generation in &generations {
        writeln!(out, "{}", describe(generation))?;
    }
    Ok(Outcome::Success)
}

fn describe(g: &GenerationInfo) -> String {
    let state = match (&g.articles, g.live, g.building) {
        (_, _, true) => "unfinished (a stopped job's leftover)".to_string(),
        (Ok(n), true, _) => format!("{n} articles, live"),
        (Ok(n), false, _) => format!("{n} articles"),
        (Err(e), _, _) => format!("does not open: {e}"),
    };
    format!("{}  {state}", g.name)
}
