//! `xinwen get`, `xinwen stats` and `xinwen delete`: one article, the index's figures,
//! and deletion by id.

use std::io::Write;

use super::terminal::{BODY_KEEPS, shown, write_json};
use super::{IndexLocation, Outcome, open_backend, open_writer};
use crate::backend::{self, Related};
use crate::config::MAX_RELATED;
use crate::post::format_date;

/// Arguments of `xinwen get`.
#[derive(Debug, clap::Args)]
pub struct GetArgs {
    #[command(flatten)]
    location: IndexLocation,
    /// Print the article as JSON.
    #[arg(long)]
    json: bool,
    /// Also list its related articles with their scores (JSON: a `related` array).
    #[arg(long)]
    related: bool,
    /// The article id (as shown by `xinwen search`).
    id: String,
}

/// Arguments of `xinwen stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    #[command(flatten)]
    location: IndexLocation,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `xinwen delete`.
#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    location: IndexLocation,
    /// Wait for another job that holds the index instead of failing at once.
    #[arg(long)]
    wait: bool,
    /// Article ids.
    #[arg(required = true)]
    ids: Vec<String>,
}

pub(super) fn get(args: GetArgs) -> anyhow::Result<Outcome> {
    let mut out = std::io::stdout().lock();
    let search = open_backend(&args.location)?.search;
    let a = search.get(&args.id)?;
    let categories = search.categories();
    let related = if args.related {
        search.related(&args.id, MAX_RELATED)?
    } else {
        Vec::new()
    };
    if args.json {
        let mut value = a.to_json();
        value["category_names"] = serde_json::json!(categories.names(&a.categories));
        if let Some(story) = search.story_of(&args.id)? {
            value["story"] = serde_json::json!(story);
        }
        if args.related {
            value["related"] = related.iter().map(Related::to_json).collect();
        }
        write_json(&mut out, &value)?;
        return Ok(Outcome::Success);
    }
    let line = |text: &str| shown(text, &[]).into_owned();
    writeln!(out, "{}", line(&a.title))?;
    if let Some(date) = a.date {
        writeln!(out, "date:       {}", format_date(date))?;
    }
    if !a.tags.is_empty() {
        writeln!(out, "tags:       {}", line(&a.tags.join(", ")))?;
    }
    if !a.categories.is_empty() {
        let named: Vec<String> = a
            .categories
            .iter()
            .map(|c| match categories.name(c) {
                name if name == c => c.clone(),
                name => format!("{name} ({c})"),
            })
            .collect();
        writeln!(out, "categories: {}", line(&named.join(", ")))?;
    }
    if let Some(source) = &a.source {
        writeln!(out, "source:     {}", line(source))?;
    }
    if let Some(url) = &a.url {
        writeln!(out, "url:        {}", line(url))?;
    }
    writeln!(out, "id:         {}\n", line(&a.id))?;
    writeln!(out, "{}", shown(&a.body, BODY_KEEPS))?;
    if args.related {
        writeln!(out, "\nrelated:")?;
        if related.is_empty() {
            writeln!(out, "  none")?;
        }
        for r in &related {
            writeln!(
                out,
                "  {:>8.3}  {}  {}",
                r.score,
                line(&r.article.id),
                line(&r.article.title)
            )?;
        }
    }
    Ok(Outcome::Success)
}

pub(super) fn stats(args: StatsArgs) -> anyhow::Result<Outcome> {
    let mut out = std::io::stdout().lock();
    let stats = open_backend(&args.location)?.search.stats()?;
    if args.json {
        write_json(&mut out, &stats)?;
        return Ok(Outcome::Success);
    }
    writeln!(out, "articles:    {}", stats.articles)?;
    writeln!(
        out,
        "size:        {:.1} MiB",
        stats.size_bytes as f64 / (1024.0 * 1024.0)
    )?;
    writeln!(out, "segments:    {}", stats.segments)?;
    match (&stats.oldest, &stats.newest) {
        (Some(oldest), Some(newest)) => writeln!(out, "dates:       {oldest} .. {newest}"),
        _ => writeln!(out, "dates:       none"),
    }?;
    writeln!(out, "generation:  {}", stats.generation)?;
    if let Some(commit) = &stats.last_commit {
        writeln!(out, "last commit: {commit}")?;
    }
    if let Some(words) = &stats.words {
        writeln!(out, "stop words:  {} ({})", words.stopwords, words.stopwords_source)?;
        writeln!(
            out,
            "synonyms:    {} groups, {} entries ({})",
            words.synonym_groups, words.synonym_entries, words.synonyms_source
        )?;
    }
    if let Some(aliases) = &stats.aliases {
        writeln!(out, "aliases:     {} pairs ({})", aliases.pairs, aliases.source)?;
    }
    Ok(Outcome::Success)
}

pub(super) fn delete(args: DeleteArgs) -> anyhow::Result<Outcome> {
    let mut out = std::io::stdout().lock();
    let deleted = backend::delete(open_writer(&args.location).as_ref(), &args.ids, args.wait)?;
    writeln!(out, "deleted {deleted} of {} ids", args.ids.len())?;
    Ok(if deleted == args.ids.len() {
        Outcome::Success
    } else {
        Outcome::NoHits
    })
}
