//! `xinwen search`: ranked results with highlighted snippets, as text or JSON.

use std::io::Write;

use super::terminal::{render, shown, write_json};
use super::{IndexLocation, Outcome, open_backend, use_color};
use crate::config::DEFAULT_LIMIT;
use crate::error::QueryError;
use crate::search::explain::Explain;
use crate::search::{
    Collapse, Cursor, Filters, Hit, ParsedRequest, SearchRequest, SearchResponse, Sort, parse_date_filter,
};

/// Arguments of `xinwen search`.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    #[command(flatten)]
    location: IndexLocation,
    /// Results to show.
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    limit: usize,
    /// Results to skip (paging).
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Continue after an earlier page: the `next_cursor` its --json output gave.
    #[arg(long, value_name = "TOKEN")]
    cursor: Option<String>,
    /// Only articles with this tag (repeat for any of several).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Only articles in this category (repeat for any of several).
    #[arg(long = "category", value_name = "CATEGORY")]
    categories: Vec<String>,
    /// Only articles published on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Only articles published on or before this date (YYYY-MM-DD covers the whole day).
    #[arg(long, value_name = "DATE")]
    to: Option<String>,
    /// Order: relevance or date (newest first).
    // The choices are named in --help through the value name rather than a ValueEnum, so
    // a wrong one is still the one-line `invalid sort` message every front door gives.
    #[arg(long, value_name = "relevance|date", default_value = "relevance")]
    sort: String,
    /// One result per story (copies under any headline) or per title (syndicated copies),
    /// with the number of copies; `none` shows every article.
    // A plain value, parsed as the API's `collapse=` is, so a wrong one is the same
    // one-line `invalid collapse` message; a bare flag used to take the next query word.
    #[arg(long, value_name = "story|title|none")]
    collapse: Option<String>,
    /// Favour fresh articles: scores count up to double, halving every DAYS days of age.
    #[arg(long, value_name = "DAYS")]
    recency: Option<f64>,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
    /// Explain each hit's score: its parts, and where each query word matched.
    #[arg(long)]
    explain: bool,
    /// The query: words (all must match), "phrases", -excluded, A OR B, title:/tag:/category:.
    /// Options may also follow it; after `--`, everything is query text.
    #[arg(value_name = "QUERY", allow_hyphen_values = true)]
    query: Vec<String>,
}

impl TryFrom<&SearchArgs> for SearchRequest {
    type Error = QueryError;

    /// The request the arguments ask for, checked ([`SearchRequest::validate`]): dates,
    /// then the order and collapsing, then the limits, so the first mistake is the one
    /// reported.
    fn try_from(args: &SearchArgs) -> Result<Self, QueryError> {
        let date =
            |raw: &Option<String>, name, upper| raw.as_deref().map(|d| parse_date_filter(name, d, upper)).transpose();
        let request = SearchRequest {
            query: args.query.join(" "),
            filters: Filters {
                tags: args.tags.clone(),
                categories: args.categories.clone(),
                from: date(&args.from, "from", false)?,
                to: date(&args.to, "to", true)?,
            },
            limit: args.limit,
            offset: args.offset,
            sort: args.sort.parse::<Sort>()?,
            collapse: args
                .collapse
                .as_deref()
                .map(str::parse::<Collapse>)
                .transpose()?
                .unwrap_or_default(),
            recency_days: args.recency,
            explain: args.explain,
            cursor: args.cursor.as_deref().map(Cursor::decode).transpose()?,
            ..SearchRequest::new("")
        };
        request.validate()?;
        Ok(request)
    }
}

pub(super) fn run(args: SearchArgs) -> anyhow::Result<Outcome> {
    // Checked before the index is opened, parsed after, as always.
    let request = SearchRequest::try_from(&args)?;
    let backend = open_backend(&args.location)?;
    let response = backend.search.search(&ParsedRequest::new(request)?)?;
    for warning in &response.warnings {
        eprintln!("xinwen: partial answer: {warning}");
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        write_json(&mut out, &response)?;
    } else {
        print_text(&mut out, &response, args.offset)?;
    }
    Ok(if response.hits.is_empty() {
        Outcome::NoHits
    } else {
        Outcome::Success
    })
}

/// Terminal styles: bold titles and highlighted words in colour, or `**markers**` when
/// the output is piped or `NO_COLOR` is set.
struct Style {
    mark: (&'static str, &'static str),
    title: (&'static str, &'static str),
    dim: (&'static str, &'static str),
}

impl Style {
    fn detect() -> Self {
        if use_color() {
            Style {
                mark: ("\x1b[1;31m", "\x1b[0m"),
                title: ("\x1b[1m", "\x1b[0m"),
                dim: ("\x1b[2m", "\x1b[0m"),
            }
        } else {
            Style {
                mark: ("**", "**"),
                title: ("", ""),
                dim: ("", ""),
            }
        }
    }
}

fn print_text(out: &mut impl Write, response: &SearchResponse, offset: usize) -> std::io::Result<()> {
    let style = Style::detect();
    if response.relaxed {
        writeln!(out, "No article has all the words; showing the closest matches.")?;
    }
    for (i, hit) in response.hits.iter().enumerate() {
        print_hit(out, offset + i + 1, hit, &style)?;
    }
    let shown = response.hits.len();
    let range = if shown == 0 {
        "0".to_string()
    } else {
        format!("{}–{}", offset + 1, offset + shown)
    };
    writeln!(
        out,
        "{range} of {} results ({:.2} ms)",
        response.total, response.took_ms
    )
}

fn print_hit(out: &mut impl Write, rank: usize, hit: &Hit, style: &Style) -> std::io::Result<()> {
    // A mark's reset also ends the title's bold: open it again after each mark.
    let title = render(
        &hit.title_parts,
        style.mark.0,
        &format!("{}{}", style.mark.1, style.title.0),
    );
    writeln!(out, "{rank:>2}. {}{title}{}", style.title.0, style.title.1)?;
    let mut meta = Vec::new();
    if let Some(date) = &hit.date {
        meta.push(date.get(..10).unwrap_or(date).to_string());
    }
    if !hit.tags.is_empty() {
        meta.push(format!("tags: {}", shown(&hit.tags.join(", "), &[])));
    }
    if let Some(copies) = hit.copies.filter(|&n| n > 1) {
        meta.push(format!("{copies} copies"));
    }
    meta.push(format!("id: {}", shown(&hit.id, &[])));
    writeln!(out, "    {}{}{}", style.dim.0, meta.join(" · "), style.dim.1)?;
    let snippet = render(&hit.snippet_parts, style.mark.0, style.mark.1);
    if !snippet.is_empty() {
        writeln!(out, "    {snippet}")?;
    }
    if let Some(url) = &hit.url {
        writeln!(out, "    {}{}{}", style.dim.0, shown(url, &[]), style.dim.1)?;
    }
    if let Some(explain) = &hit.explain {
        print_explain(out, explain)?;
    }
    writeln!(out)
}

/// A hit's score and its parts, one line each, largest first as they were added.
fn print_explain(out: &mut impl Write, explain: &Explain) -> std::io::Result<()> {
    writeln!(out, "    score {:.4}:", explain.score)?;
    if let Some(note) = &explain.note {
        writeln!(out, "      {note}")?;
    }
    for part in &explain.parts {
        let kind = serde_json::to_value(part.kind).ok();
        let kind = kind.as_ref().and_then(|k| k.as_str()).unwrap_or_default();
        let mut line = format!("      {:+.4}  {kind}", part.value);
        if !part.terms.is_empty() {
            line.push_str(&format!(" {}", shown(&part.terms.join(" "), &[])));
        }
        if let Some(field) = &part.field {
            line.push_str(&format!(" in {field}"));
        }
        if let Some(b) = &part.bm25 {
            line.push_str(&format!(
                " (tf {}, idf {:.3}, norm {:.3}, length {})",
                b.tf, b.idf, b.norm, b.length
            ));
        }
        if let Some(r) = &part.recency {
            line.push_str(&format!(" ×{:.4}, {:.1} days old", r.factor, r.age_days));
        } else if (part.weight - 1.0).abs() > f32::EPSILON {
            // Four decimals: a weight made of products (0.05 × 0.4) prints as 0.02.
            let weight = format!("{:.4}", part.weight);
            line.push_str(&format!(" ×{}", weight.trim_end_matches('0').trim_end_matches('.')));
        }
        if let Some(e) = &part.expansion {
            line.push_str(&format!(
                ", for {} ({})",
                shown(&e.from, &[]),
                super::analyze::form_kind(e.kind)
            ));
        }
        writeln!(out, "{line}")?;
    }
    if let Some(copies) = explain.copies.filter(|&n| n > 1) {
        writeln!(out, "      the best of {copies} copies")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    /// The request of `xinwen search ARGS`, options after the query moved first as `main`
    /// does.
    fn request(args: &[&str]) -> Result<SearchRequest, QueryError> {
        let argv = ["xinwen", "search"]
            .iter()
            .chain(args)
            .map(std::ffi::OsString::from)
            .collect();
        let argv = crate::cli::options_first(argv).expect("known options");
        match Cli::try_parse_from(argv).map(|cli| cli.command) {
            Ok(Command::Search(args)) => SearchRequest::try_from(&args),
            other => panic!("not a search: {other:?}"),
        }
    }

    #[test]
    fn search_arguments_become_a_checked_request() {
        let got = request(&[
            "--sort", "date", "--limit", "5", "--offset", "10", "--tag", "足球", "上海", "股市",
        ]);
        let want = SearchRequest {
            filters: Filters {
                tags: vec!["足球".into()],
                ..Filters::default()
            },
            limit: 5,
            offset: 10,
            sort: Sort::Date,
            ..SearchRequest::new("上海 股市")
        };
        assert_eq!(got, Ok(want));
        assert_eq!(request(&["上海"]), Ok(SearchRequest::new("上海")));
    }

    #[test]
    fn the_first_bad_argument_is_the_one_reported() {
        assert_eq!(
            request(&["--sort", "foo", "--limit", "0", "上海"]),
            Err(QueryError::InvalidSort { given: "foo".into() })
        );
        assert_eq!(
            request(&["--limit", "0", "--from", "x", "上海"]).map_err(|e| e.to_string()),
            Err("invalid from date \"x\": use YYYY-MM-DD or RFC 3339".into())
        );
        assert_eq!(
            request(&["--limit", "101", "上海"]),
            Err(QueryError::InvalidLimit { given: 101, max: 100 })
        );
        assert_eq!(
            request(&["--collapse", "茅台", "--limit", "0", "上海"]),
            Err(QueryError::InvalidCollapse { given: "茅台".into() })
        );
    }

    #[test]
    fn collapse_takes_one_of_its_values_and_never_a_query_word() {
        let collapse = |args: &[&str]| request(args).map(|r| (r.collapse, r.query));
        assert_eq!(
            collapse(&["--collapse", "story", "茅台"]),
            Ok((Collapse::Story, "茅台".into()))
        );
        assert_eq!(
            collapse(&["茅台", "--collapse", "title"]),
            Ok((Collapse::Title, "茅台".into()))
        );
        assert_eq!(
            collapse(&["--collapse", "none", "茅台"]),
            Ok((Collapse::None, "茅台".into()))
        );
        assert_eq!(collapse(&["茅台"]), Ok((Collapse::None, "茅台".into())));
    }
}
