//! `xinwen analyze`: a text's tokens as the index sees them, and with `--query` the plan
//! a search for it follows; as text or as the JSON `GET /api/analyze` answers.

use std::io::Write;

use super::terminal::{shown, write_json};
use super::{IndexLocation, Outcome, open_backend};
use crate::search::aliases::AliasSource;
use crate::search::explain::{Analysis, AnalyzeMode, FormKind, PlanAlternative, PlanConcept, PlanItem, QueryPlan};

/// Arguments of `xinwen analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    location: IndexLocation,
    /// Read the text as a query: its tokens and the plan of a search for it.
    #[arg(long)]
    query: bool,
    /// Print the analysis as JSON (what `GET /api/analyze` answers).
    #[arg(long)]
    json: bool,
    /// The text (several arguments are joined with spaces).
    #[arg(value_name = "TEXT", required = true, allow_hyphen_values = true)]
    text: Vec<String>,
}

pub(super) fn run(args: AnalyzeArgs) -> anyhow::Result<Outcome> {
    let mode = if args.query {
        AnalyzeMode::Query
    } else {
        AnalyzeMode::Index
    };
    let backend = open_backend(&args.location)?;
    let analysis = backend.search.analyze(&args.text.join(" "), mode)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        write_json(&mut out, &analysis)?;
    } else {
        print_text(&mut out, &analysis)?;
    }
    Ok(Outcome::Success)
}

/// One line a token, then the plan.
fn print_text(out: &mut impl Write, analysis: &Analysis) -> std::io::Result<()> {
    for t in &analysis.tokens {
        let kind = serde_json::to_value(t.kind).ok();
        let kind = kind.as_ref().and_then(|k| k.as_str()).unwrap_or_default();
        write!(
            out,
            "{kind:<9} {}  bytes {}–{}  chars {}–{}  position {}",
            shown(&t.text, &[]),
            t.byte_start,
            t.byte_end,
            t.char_start,
            t.char_end,
            t.position
        )?;
        if t.original != t.text {
            write!(out, "  from {}", shown(&t.original, &[]))?;
        }
        writeln!(out)?;
    }
    if let Some(plan) = &analysis.plan {
        print_plan(out, plan)?;
    }
    Ok(())
}

fn print_plan(out: &mut impl Write, plan: &QueryPlan) -> std::io::Result<()> {
    writeln!(out, "\nplan:")?;
    for group in &plan.groups {
        let head = if group.len() > 1 { "must, one of:" } else { "must:" };
        writeln!(out, "  {head}")?;
        for item in group {
            print_item(out, item, "    ")?;
        }
    }
    for item in &plan.excluded {
        writeln!(out, "  exclude:")?;
        print_item(out, item, "    ")?;
    }
    for phrase in &plan.proximity {
        writeln!(
            out,
            "  proximity bonus: {} in {}, slop {}, ×{}",
            terms(&phrase.terms),
            phrase.field,
            phrase.slop,
            phrase.weight
        )?;
    }
    if let Some(title) = &plan.exact_title {
        writeln!(out, "  exact-title bonus: a title that is {}", shown(title, &[]))?;
    }
    writeln!(out, "  words: {} (at most {})", plan.words, plan.max_words)?;
    let relaxed = match (plan.relaxed.possible, plan.relaxed.would_run) {
        (false, _) => "not possible (fewer than two things to look for)",
        (true, true) => "would run: no article has every word",
        (true, false) => "possible, not needed: articles have every word",
    };
    writeln!(out, "  relaxed search: {relaxed}")
}

fn print_item(out: &mut impl Write, item: &PlanItem, indent: &str) -> std::io::Result<()> {
    match item {
        PlanItem::Text {
            text,
            phrase,
            fields,
            concepts,
            ..
        } => {
            let fields: Vec<String> = fields.iter().map(|f| format!("{} ×{}", f.field, f.weight)).collect();
            let quoted = if *phrase { "phrase " } else { "" };
            writeln!(out, "{indent}{quoted}{} in {}", shown(text, &[]), fields.join(", "))?;
            for concept in concepts {
                print_concept(out, concept, &format!("{indent}  "))?;
            }
            Ok(())
        }
        PlanItem::Tag { text, folded } => writeln!(out, "{indent}tag {} (as {})", shown(text, &[]), shown(folded, &[])),
        PlanItem::Category { text, folded } => {
            writeln!(out, "{indent}category {} (as {})", shown(text, &[]), shown(folded, &[]))
        }
    }
}

fn print_concept(out: &mut impl Write, c: &PlanConcept, indent: &str) -> std::io::Result<()> {
    let how = match (c.status, &c.literal) {
        ("searched", Some(l)) => format!(" — must contain {}", shown(l, &[])),
        ("searched", None) => " — matched as a word".to_string(),
        (other, _) => format!(" — {}, not searched", other.replace('_', " ")),
    };
    let weak = if c.weak && c.status == "searched" {
        " (left out of a relaxed search)"
    } else {
        ""
    };
    writeln!(out, "{indent}concept {}{how}{weak}", shown(&c.text, &[]))?;
    let alternative = |a: &PlanAlternative| format!("{} ×{}", terms(&a.terms), a.weight);
    for a in &c.alternatives {
        writeln!(out, "{indent}  scores: {}", alternative(a))?;
    }
    for a in &c.prefixes {
        writeln!(out, "{indent}  scores: {}… (prefix)", terms(&a.terms))?;
    }
    for e in &c.expansions {
        let to: Vec<String> = e.to.iter().map(|t| shown(t, &[]).into_owned()).collect();
        writeln!(out, "{indent}  also finds {} ({})", to.join(", "), form_kind(e.kind))?;
    }
    for n in &c.numbers {
        let how = match &n.literal {
            Some(l) => format!("must contain {}", shown(l, &[])),
            None => "matched as a word".to_string(),
        };
        let words = if n.words.is_empty() {
            String::new()
        } else {
            format!(", with the words {}", terms(&n.words))
        };
        writeln!(
            out,
            "{indent}  or {} — {how}{words} (a number's other form, scores {})",
            shown(&n.form, &[]),
            n.score
        )?;
    }
    for d in &c.dropped {
        writeln!(
            out,
            "{indent}  dropped: {} — too costly (its rarest word is in {} articles, over {})",
            terms(&d.terms),
            d.doc_freq,
            d.max_doc_freq
        )?;
    }
    Ok(())
}

/// What made a form another form of a query word, in words (`analyze` and `--explain`).
pub(super) fn form_kind(kind: FormKind) -> &'static str {
    match kind {
        FormKind::Synonym => "synonym",
        FormKind::Alias {
            source: AliasSource::Learned,
        } => "company alias, learned from the articles",
        FormKind::Alias {
            source: AliasSource::User,
        } => "company alias, from the aliases file",
        FormKind::Number => "the number written another way",
    }
}

/// Tokens as a phrase reads: `人工 智能`.
fn terms(terms: &[String]) -> String {
    shown(&terms.join(" "), &[]).into_owned()
}
