//! How often an article's first related article is about the same thing (issue 13,
//! "Related and the article page"): over a seeded sample of articles of the benches'
//! 100,000-article subset (half 新闻联播 stories, half finance flashes), whether the first
//! related article shares a tag or a named entity with it, how many get no related article
//! at all (the weak-match cut), and the median score of the first.
//!
//! A **named entity** here is, in the title and the first 4,000 characters of the body (what
//! related reads):
//! - a word of two or more characters that jieba's dictionary tags as a proper noun
//!   (`nr*` person, `ns` place, `nt` organisation, `nz` other proper noun; jieba without
//!   HMM, so only dictionary words), or
//! - a learned company alias (a name or a code the index's aliases expand).
//!
//! Common places (中国, 北京) are such entities too, so the figure is also given for
//! *distinctive* entities: those found in at most 0.5 % of the articles (the same share that
//! makes a word distinctive for related, `src/local/related.rs`). A tag is shared when both
//! articles carry it (folded); finance-feed tags (`A股`, `环球市场情报`) are broad. An entity
//! in more than half the articles (央视网, 新闻联播: the programme's sign-off) is not counted.
//!
//! ```text
//! cargo run --release --example related_quality -- [--articles 100000] [--sample 100] [--index DIR] [--rebuild]
//! ```
//! The subset is the benches' (`target/bench-data/subset-N.jsonl`, written here if absent);
//! the index is kept in `target/issue13/subset-N` (or `--index`) and reused while it holds
//! the subset's articles.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use jieba_rs::Jieba;
use xinwen::post::Article;
use xinwen::post::jsonl::parse_line;
use xinwen::search::{Engine, SearchRequest};
use xinwen::store::IndexDir;

mod support;
use support::{open_or_build, root, seeded_sample, subset};

/// Characters of a body read for entities: what related reads (`RELATED_BODY_CHARS`).
const BODY_CHARS: usize = 4000;
/// An entity in at most this share of the articles (per thousand) is distinctive, as a
/// word is for related (`DISTINCTIVE_MAX_DF_PERMILLE`).
const DISTINCTIVE_PERMILLE: u64 = 5;
/// An entity in more than this share of the articles (per thousand) names the programme or
/// the feed (新闻联播 signs three in four subset articles), not what an article is about: it
/// does not count as shared.
const UBIQUITOUS_PERMILLE: u64 = 500;
/// Related articles asked for (the API's default list).
const RELATED_LIMIT: usize = 5;
/// The learned counts file in a generation (`local::aliases::FILE`, crate-private).
const COUNTS_FILE: &str = "aliases.json";
/// jieba's proper-noun tags (person names start with `nr`).
const PROPER_TAGS: &[&str] = &["ns", "nt", "nz"];

struct Args {
    articles: usize,
    sample: usize,
    index: Option<PathBuf>,
    rebuild: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        articles: 100_000,
        sample: 100,
        index: None,
        rebuild: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match flag.as_str() {
            "--articles" => args.articles = value("--articles")?.parse().map_err(|e| format!("--articles: {e}"))?,
            "--sample" => args.sample = value("--sample")?.parse().map_err(|e| format!("--sample: {e}"))?,
            "--index" => args.index = Some(PathBuf::from(value("--index")?)),
            "--rebuild" => args.rebuild = true,
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: related_quality [--articles N] [--sample N] [--index DIR] [--rebuild]"
                ));
            }
        }
    }
    if args.sample < 2 {
        return Err("--sample must be at least 2".into());
    }
    Ok(args)
}

/// What the sample found for one article.
struct Outcome {
    id: String,
    xwlb: bool,
    /// The first related article, its score, and what it shares.
    first: Option<First>,
}

struct First {
    id: String,
    title: String,
    score: f32,
    tags: Vec<String>,
    entities: Vec<String>,
    distinctive: Vec<String>,
}

/// Names entities and tells the distinctive ones, with a cache of document frequencies.
struct Entities<'a> {
    engine: &'a Engine,
    jieba: Jieba,
    /// Learned alias forms (names and codes), folded.
    aliases: Vec<String>,
    df: HashMap<String, usize>,
}

impl Entities<'_> {
    /// The entities of an article (folded, sorted).
    fn of(&self, article: &Article) -> BTreeSet<String> {
        let body: String = article.body.chars().take(BODY_CHARS).collect();
        let mut out = BTreeSet::new();
        for text in [article.title.as_str(), body.as_str()] {
            for tag in self.jieba.tag(text, false) {
                let proper = tag.tag.starts_with("nr") || PROPER_TAGS.contains(&tag.tag);
                if proper && tag.word.chars().count() >= 2 {
                    out.insert(xinwen::fold::fold_value(tag.word));
                }
            }
        }
        let folded = xinwen::fold::fold_text(&format!("{}\n{body}", article.title))
            .text
            .into_owned();
        out.extend(self.aliases.iter().filter(|a| folded.contains(a.as_str())).cloned());
        out
    }

    /// Whether at most [`DISTINCTIVE_PERMILLE`] of the articles match `entity` as a query.
    fn distinctive(&mut self, entity: &str) -> Result<bool, String> {
        Ok(self.articles_with(entity)? as u64 * 1000 <= self.engine.num_docs() * DISTINCTIVE_PERMILLE)
    }

    /// Whether more than [`UBIQUITOUS_PERMILLE`] of the articles match `entity` as a query.
    fn ubiquitous(&mut self, entity: &str) -> Result<bool, String> {
        Ok(self.articles_with(entity)? as u64 * 1000 > self.engine.num_docs() * UBIQUITOUS_PERMILLE)
    }

    /// The articles `entity` finds as a query (0 if it only finds them relaxed).
    fn articles_with(&mut self, entity: &str) -> Result<usize, String> {
        let total = match self.df.get(entity) {
            Some(&n) => n,
            None => {
                let response = self
                    .engine
                    .search(&SearchRequest {
                        limit: 1,
                        snippet_chars: 0,
                        ..SearchRequest::new(entity)
                    })
                    .map_err(|e| format!("{entity:?}: {e}"))?;
                let n = if response.relaxed { 0 } else { response.total };
                self.df.insert(entity.to_string(), n);
                n
            }
        };
        Ok(total)
    }
}

fn main() -> Result<(), String> {
    let args = parse_args()?;
    let input = subset(args.articles)?;
    let text = std::fs::read_to_string(&input).map_err(|e| format!("{}: {e}", input.display()))?;
    let articles: Vec<Article> = text.lines().filter_map(|l| parse_line(l).ok()).collect();
    let index_path = args
        .index
        .clone()
        .unwrap_or_else(|| root().join(format!("target/issue13/subset-{}", args.articles)));
    let dir = IndexDir::new(index_path);
    let engine = open_or_build(
        &dir,
        &input,
        articles.len() as u64,
        args.rebuild,
        "related_quality example",
    )?;
    let is_xwlb = |a: &Article| a.categories.iter().any(|c| c == "xinwenlianbo");
    let (xwlb, flashes): (Vec<&Article>, Vec<&Article>) = articles.iter().partition(|a| is_xwlb(a));
    let mut sample = seeded_sample(&xwlb, args.sample / 2, 13);
    sample.extend(seeded_sample(&flashes, args.sample - args.sample / 2, 31));
    let mut entities = Entities {
        engine: &engine,
        jieba: xinwen::analysis::new_jieba(),
        aliases: alias_forms(&engine)?,
        df: HashMap::new(),
    };
    println!(
        "{} articles ({} 新闻联播, {} flashes), {} learned alias forms; sample {} + {}",
        engine.num_docs(),
        xwlb.len(),
        flashes.len(),
        entities.aliases.len(),
        args.sample / 2,
        args.sample - args.sample / 2
    );
    let started = Instant::now();
    let mut outcomes = Vec::with_capacity(sample.len());
    for article in sample {
        let related = engine
            .related(&article.id, RELATED_LIMIT)
            .map_err(|e| format!("related {}: {e}", article.id))?;
        let first = match related.into_iter().next() {
            None => None,
            Some(r) => {
                let own_tags: BTreeSet<String> = article.tags.iter().map(|t| xinwen::fold::fold_value(t)).collect();
                let tags: Vec<String> = r
                    .article
                    .tags
                    .iter()
                    .map(|t| xinwen::fold::fold_value(t))
                    .filter(|t| own_tags.contains(t))
                    .collect();
                let mut shared = Vec::new();
                for e in entities.of(article).intersection(&entities.of(&r.article)) {
                    if !entities.ubiquitous(e)? {
                        shared.push(e.clone());
                    }
                }
                let mut distinctive = Vec::new();
                for e in &shared {
                    if entities.distinctive(e)? {
                        distinctive.push(e.clone());
                    }
                }
                Some(First {
                    id: r.article.id,
                    title: r.article.title,
                    score: r.score,
                    tags,
                    entities: shared,
                    distinctive,
                })
            }
        };
        outcomes.push(Outcome {
            id: article.id.clone(),
            xwlb: is_xwlb(article),
            first,
        });
    }
    let took = started.elapsed();
    println!("\n| article | first related | score | shared tags | shared entities (distinctive in *) |");
    println!("| --- | --- | ---: | --- | --- |");
    for o in &outcomes {
        match &o.first {
            None => println!("| {} | (none) | | | |", o.id),
            Some(f) => println!(
                "| {} | {} {} | {:.3} | {} | {} |",
                o.id,
                f.id,
                f.title.chars().take(20).collect::<String>(),
                f.score,
                f.tags.join(" "),
                f.entities
                    .iter()
                    .map(|e| if f.distinctive.contains(e) {
                        format!("*{e}")
                    } else {
                        e.clone()
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        }
    }
    println!(
        "\n| articles | sampled | no related | first shares a tag | an entity | a distinctive entity | a tag or an entity | median first score |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let xwlb_outcomes: Vec<&Outcome> = outcomes.iter().filter(|o| o.xwlb).collect();
    let flash_outcomes: Vec<&Outcome> = outcomes.iter().filter(|o| !o.xwlb).collect();
    let all: Vec<&Outcome> = outcomes.iter().collect();
    for (label, group) in [
        ("新闻联播", &xwlb_outcomes),
        ("flashes", &flash_outcomes),
        ("all", &all),
    ] {
        summary(label, group);
    }
    println!(
        "\n{} related lists in {:.1} s ({:.1} ms each, with the entity look-ups)",
        outcomes.len(),
        took.as_secs_f64(),
        took.as_secs_f64() * 1e3 / outcomes.len().max(1) as f64
    );
    Ok(())
}

/// One line of the summary table: shares are of the articles that got a related article.
fn summary(label: &str, group: &[&Outcome]) {
    let firsts: Vec<&First> = group.iter().filter_map(|o| o.first.as_ref()).collect();
    let n = firsts.len();
    let share = |k: usize| format!("{k} ({:.0} %)", 100.0 * k as f64 / n.max(1) as f64);
    let tag = firsts.iter().filter(|f| !f.tags.is_empty()).count();
    let entity = firsts.iter().filter(|f| !f.entities.is_empty()).count();
    let distinctive = firsts.iter().filter(|f| !f.distinctive.is_empty()).count();
    let either = firsts
        .iter()
        .filter(|f| !f.tags.is_empty() || !f.entities.is_empty())
        .count();
    let mut scores: Vec<f32> = firsts.iter().map(|f| f.score).collect();
    scores.sort_by(f32::total_cmp);
    let median = match scores.len() {
        0 => f32::NAN,
        k if k % 2 == 1 => scores[k / 2],
        k => (scores[k / 2 - 1] + scores[k / 2]) / 2.0,
    };
    println!(
        "| {label} | {} | {} | {} | {} | {} | {} | {median:.2} |",
        group.len(),
        group.len() - n,
        share(tag),
        share(entity),
        share(distinctive),
        share(either)
    );
}

/// The names and codes the index's learned aliases expand (folded).
fn alias_forms(engine: &Engine) -> Result<Vec<String>, String> {
    #[derive(serde::Deserialize)]
    struct CountsFile {
        pairs: Vec<(String, String, u32)>,
    }
    let path = engine.generation().join(COUNTS_FILE);
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(Vec::new());
    };
    let file: CountsFile = serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut forms = BTreeSet::new();
    for (_, code, _) in file.pairs {
        let names = engine.words().forms_of(&code);
        if !names.is_empty() {
            forms.extend(names.into_iter().map(|(name, _)| name.to_string()));
            forms.insert(code);
        }
    }
    Ok(forms.into_iter().collect())
}
