//! `xinwen index`: run an indexing job and print its report.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{IndexLocation, Outcome, open_writer};
use crate::backend::{IndexOptions, IndexReport, Progress};
use crate::config::{MIN_WRITER_MIB, WRITER_MEMORY_BYTES};
use crate::post::Rejection;

/// Arguments of `xinwen index`.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    #[command(flatten)]
    location: IndexLocation,
    /// Build a new index from these inputs only and switch to it when complete.
    #[arg(long)]
    rebuild: bool,
    /// Delete articles whose ids are not in these inputs (mirror a source folder).
    #[arg(long)]
    prune: bool,
    /// Wait for another job that holds the index instead of failing at once.
    #[arg(long)]
    wait: bool,
    /// A jieba user dictionary (`word [freq] [tag]` lines); needs --rebuild. A rebuild
    /// without it keeps the index's dictionary.
    #[arg(long, value_name = "FILE")]
    dict: Option<PathBuf>,
    /// Rebuild without the index's user dictionary.
    #[arg(long, conflicts_with = "dict")]
    no_dict: bool,
    /// Writer memory budget in MiB, shared by the indexing threads (at least 16 each).
    #[arg(long, value_name = "MIB", default_value_t = (WRITER_MEMORY_BYTES / (1024 * 1024)) as u64,
          value_parser = clap::value_parser!(u64).range(MIN_WRITER_MIB..))]
    memory_mib: u64,
    /// Indexing threads (default: one per core, at most 8).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    threads: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Post files, JSON Lines files (.jsonl, .jsonl.gz) or folders of them.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// A progress bar on stderr, shown only on a terminal.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, total_bytes: u64) {
        self.0.set_length(total_bytes);
    }

    fn advance(&self, articles: u64, bytes: u64) {
        self.0.set_position(bytes);
        let secs = self.0.elapsed().as_secs_f64().max(1e-3);
        self.0
            .set_message(format!("{articles} articles, {:.0}/s", articles as f64 / secs));
    }

    fn committing(&self) {
        self.0.set_message("committing…");
    }

    fn rejected(&self, rejection: &Rejection) {
        self.0.suspend(|| eprintln!("xinwen: rejected {rejection}"));
    }
}

pub(super) fn run(args: IndexArgs) -> anyhow::Result<Outcome> {
    let options = IndexOptions {
        rebuild: args.rebuild,
        prune: args.prune,
        wait: args.wait,
        user_dict: args.dict.clone(),
        drop_user_dict: args.no_dict,
        memory: usize::try_from(args.memory_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX),
        threads: args.threads.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        holder: format!(
            "xinwen index {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        existing_only: false,
        kind: crate::backend::JobKind::Index,
    };
    let show_bar = !args.json && std::io::stderr().is_terminal();
    let bar = if show_bar {
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr()).with_style(style)
    } else {
        ProgressBar::hidden()
    };
    let progress = Bar(bar);
    let report = open_writer(&args.location).run(&args.paths, &options, &progress)?;
    progress.0.finish_and_clear();
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        print_report(&mut out, &report, &args.location.name())?;
    }
    Ok(if report.rejected > 0 {
        Outcome::Rejected
    } else {
        Outcome::Success
    })
}

fn print_report(out: &mut impl Write, report: &IndexReport, place: &str) -> std::io::Result<()> {
    let secs = report.elapsed.as_secs_f64();
    writeln!(
        out,
        "read {} · indexed {} (new {}, updated {}) · unchanged {} · deleted {} · rejected {}",
        report.read,
        report.indexed(),
        report.new,
        report.updated,
        report.unchanged,
        report.deleted,
        report.rejected
    )?;
    writeln!(
        out,
        "{:.2} s · {:.0} articles/s · {} articles in {}{}",
        secs,
        report.articles_per_second(),
        report.total,
        place,
        if report.rebuilt { " (new build)" } else { "" }
    )?;
    if !report.rejected_by_reason.is_empty() {
        let reasons: Vec<String> = report
            .rejected_by_reason
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(out, "rejected by reason: {}", reasons.join(", "))?;
    }
    if report.kept > 0 {
        writeln!(
            out,
            "kept {}: not in the inputs, but from files with rejected parts, which may still hold them",
            report.kept
        )?;
    }
    if let Some(withheld) = &report.withheld {
        writeln!(out, "{withheld}")?;
    }
    if report.repeated > 0 {
        writeln!(
            out,
            "repeated {}: an id read again in this job replaces the copy read before",
            report.repeated
        )?;
    }
    if report.skipped_files > 0 {
        writeln!(out, "skipped {} files that are not news inputs", report.skipped_files)?;
    }
    if report.skipped_folders > 0 {
        writeln!(
            out,
            "skipped {} links to folders read already (each folder is read once)",
            report.skipped_folders
        )?;
    }
    Ok(())
}
