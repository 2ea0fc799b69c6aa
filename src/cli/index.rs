//! `xinwen index`: run an indexing job and print its report, or, with only word settings
//! and no inputs, save new stop words or synonyms with the live index.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{IndexLocation, Outcome, open_writer};
use crate::backend::{IndexOptions, IndexReport, Progress};
use crate::config::{MIN_WRITER_MIB, WRITER_MEMORY_BYTES};
use crate::error::IndexError;
use crate::post::Rejection;
use crate::search::words::{self, WordList, WordSettings, Words, WordsUpdate};
use crate::store::IndexDir;

/// The flags that change word settings: with one of them, inputs are optional.
const WORD_FLAGS: [&str; 11] = [
    "stopwords",
    "no_stopwords",
    "default_stopwords",
    "synonyms",
    "no_synonyms",
    "default_synonyms",
    "aliases",
    "no_aliases",
    "default_aliases",
    "categories",
    "default_categories",
];

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
    /// Stop words (whitespace-separated, `#` comments) replacing the index's list; saved
    /// with the index, no rebuild needed.
    #[arg(long, value_name = "FILE", group = "stop_list")]
    stopwords: Option<PathBuf>,
    /// Search every word, function words too.
    #[arg(long, group = "stop_list")]
    no_stopwords: bool,
    /// Go back to the built-in stop words.
    #[arg(long, group = "stop_list")]
    default_stopwords: bool,
    /// Synonym groups (one a line, entries separated by commas, `#` comments) replacing
    /// the index's; saved with the index, no rebuild needed.
    #[arg(long, value_name = "FILE", group = "synonym_list")]
    synonyms: Option<PathBuf>,
    /// Expand no synonyms.
    #[arg(long, group = "synonym_list")]
    no_synonyms: bool,
    /// Go back to the built-in synonyms (news abbreviations).
    #[arg(long, group = "synonym_list")]
    default_synonyms: bool,
    /// Company aliases to add (`名称 = 代码`) or veto (`!名称 = 代码`), one a line, on top
    /// of those learned from the articles; saved with the index, no rebuild needed.
    #[arg(long, value_name = "FILE", group = "alias_list")]
    aliases: Option<PathBuf>,
    /// Expand no company aliases, learned or added.
    #[arg(long, group = "alias_list")]
    no_aliases: bool,
    /// Go back to the learned aliases only (drop the file's additions and vetoes).
    #[arg(long, group = "alias_list")]
    default_aliases: bool,
    /// Readable names of category codes (`code = name`, one a line, `#` comments) over
    /// the built-in table; saved with the index, no rebuild needed.
    #[arg(long, value_name = "FILE", group = "category_list")]
    categories: Option<PathBuf>,
    /// Go back to the built-in category names.
    #[arg(long, group = "category_list")]
    default_categories: bool,
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
    /// Post files, JSON Lines files (.jsonl, .jsonl.gz) or folders of them; none with only
    /// word settings to save.
    #[arg(required_unless_present_any = WORD_FLAGS, value_name = "PATH")]
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

/// The word settings the flags ask for, each file read and checked before anything is
/// locked or written: a bad file changes nothing.
fn words_update(args: &IndexArgs) -> Result<WordsUpdate, IndexError> {
    fn invalid(kind: &'static str, path: &std::path::Path) -> impl FnOnce(words::WordsError) -> IndexError {
        let path = path.to_path_buf();
        move |source| IndexError::Words { kind, path, source }
    }
    let stopwords = match (&args.stopwords, args.no_stopwords, args.default_stopwords) {
        (Some(path), _, _) => Some(words::read_stopwords(path).map_err(invalid("stop-word", path))?),
        (None, true, _) => Some(WordList::Off),
        (None, _, true) => Some(WordList::Builtin),
        _ => None,
    };
    let synonyms = match (&args.synonyms, args.no_synonyms, args.default_synonyms) {
        (Some(path), _, _) => Some(words::read_synonyms(path).map_err(invalid("synonyms", path))?),
        (None, true, _) => Some(WordList::Off),
        (None, _, true) => Some(WordList::Builtin),
        _ => None,
    };
    let aliases = match (&args.aliases, args.no_aliases, args.default_aliases) {
        (Some(path), _, _) => Some(words::read_aliases(path).map_err(invalid("aliases", path))?),
        (None, true, _) => Some(WordList::Off),
        (None, _, true) => Some(WordList::Builtin),
        _ => None,
    };
    let categories = match (&args.categories, args.default_categories) {
        (Some(path), _) => Some(words::read_categories(path).map_err(invalid("categories", path))?),
        (None, true) => Some(WordList::Builtin),
        _ => None,
    };
    Ok(WordsUpdate {
        stopwords,
        synonyms,
        aliases,
        categories,
    })
}

pub(super) fn run(args: IndexArgs) -> anyhow::Result<Outcome> {
    let words = words_update(&args)?;
    if args.paths.is_empty() {
        return save_words(&args, &words);
    }
    let options = IndexOptions {
        rebuild: args.rebuild,
        prune: args.prune,
        wait: args.wait,
        user_dict: args.dict.clone(),
        drop_user_dict: args.no_dict,
        words,
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

/// `xinwen index --synonyms FILE` (or other word flags) with no inputs: the new settings
/// saved with the live generation, which a running server takes up within a moment.
fn save_words(args: &IndexArgs, update: &WordsUpdate) -> anyhow::Result<Outcome> {
    if args.rebuild || args.prune || args.dict.is_some() || args.no_dict {
        return Err(IndexError::Refused(
            "--rebuild, --prune, --dict and --no-dict need inputs; stop words and synonyms alone need none".into(),
        )
        .into());
    }
    if args.location.backend.is_some() {
        return Err(IndexError::Refused(
            "a cluster keeps no stop words or synonyms of its own yet: it searches with the built-in lists".into(),
        )
        .into());
    }
    let dir = IndexDir::new(&args.location.dir);
    let options = IndexOptions {
        wait: args.wait,
        words: update.clone(),
        holder: "xinwen index (word settings)".into(),
        ..IndexOptions::default()
    };
    let (settings, revision) = crate::indexer::update_words(&dir, &options)?;
    let stats = words_stats(&settings)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&stats)?)?;
    } else {
        writeln!(
            out,
            "saved with {} (revision {revision}, no rebuild needed): stop words {} ({}) · synonyms {} groups, {} entries ({})",
            args.location.name(),
            stats.stopwords,
            stats.stopwords_source,
            stats.synonym_groups,
            stats.synonym_entries,
            stats.synonyms_source
        )?;
    }
    Ok(Outcome::Success)
}

fn words_stats(settings: &WordSettings) -> Result<words::WordStats, IndexError> {
    Words::from_settings(settings)
        .map(|w| w.stats())
        .map_err(|e| IndexError::Refused(e.to_string()))
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
