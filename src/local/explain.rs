//! Analyze and explain on the local index: a text's tokens as this index's analyzer makes
//! them, a query's plan read from the query builder's own decisions, and each returned
//! hit's score taken apart.
//!
//! The breakdown comes from the query that ranked the hits: when a search is explained,
//! the builder wraps each scoring clause in a [`Labelled`] query that scores through its
//! inner query untouched (same scorer, so the same scores and order) and names itself in
//! tantivy's explanation of a document. The labelled parts of that explanation, plus the
//! rerankers' own figures for the hit ([`super::proximity`], [`super::rerank`]), add up to
//! the hit's score. Only the returned hits are explained (at most a page).

use std::cell::RefCell;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::Field;
use tantivy::{DocId, Score, SeekDangerResult, SegmentReader, Term};

use super::bm25::seek_once;
use super::build::{self, Builder, Concept, Mode};
use super::collect::Candidate;
use super::proximity::{self, PhraseBonus};
use super::rerank;
use crate::analysis::ChineseAnalyzer;
use crate::config::{MAX_QUERY_CHARS, MAX_QUERY_WORDS};
use crate::error::{QueryError, Result};
use crate::search::explain::{
    Analysis, AnalyzeMode, AnalyzedToken, Bm25Part, Explain, Matched, PartExpansion, PartKind, PlanAlternative,
    PlanConcept, PlanDropped, PlanExpansion, PlanField, PlanItem, PlanNumber, PlanPhrase, QueryPlan, RecencyPart,
    RelaxPlan, ScorePart, TokenKind,
};
use crate::search::query::{Item, ParsedQuery, Scope};
use crate::search::{SearchRequest, query};
use crate::{fold, literal};

/// The description prefix a labelled clause gives its node of an explanation.
const LABEL: &str = "xinwen part #";

/// What one scoring clause is, for the breakdown.
#[derive(Debug, Clone)]
pub(crate) struct Label {
    /// What kind of part it is.
    pub kind: PartKind,
    /// The concept it belongs to (empty for the exact title).
    pub concept: String,
    /// The field it searches.
    pub field: Field,
    /// Its tokens.
    pub terms: Vec<String>,
    /// Its multiplier (field weight × alternative weight).
    pub weight: f32,
    /// For a clause of another form of a typed word: that word, and what made the form.
    pub expansion: Option<PartExpansion>,
}

/// The labels of one search's clauses, when it is explained; otherwise nothing is wrapped
/// and the query is exactly what an unexplained search runs.
#[derive(Debug, Default)]
pub(crate) struct Labels {
    parts: Option<RefCell<Vec<Label>>>,
}

impl Labels {
    /// Labels that record (an explained search).
    pub(crate) fn on() -> Self {
        Labels {
            parts: Some(RefCell::default()),
        }
    }

    /// `query`, wrapped with the label `label()` makes when recording.
    pub(crate) fn wrap(&self, query: Box<dyn Query>, label: impl FnOnce() -> Label) -> Box<dyn Query> {
        let Some(parts) = &self.parts else { return query };
        let mut parts = parts.borrow_mut();
        parts.push(label());
        Box::new(Labelled {
            inner: query,
            id: parts.len() - 1,
        })
    }

    fn get(&self, id: usize) -> Option<Label> {
        self.parts.as_ref().and_then(|p| p.borrow().get(id).cloned())
    }
}

/// A clause that scores as its inner query and names itself in explanations.
#[derive(Debug)]
struct Labelled {
    inner: Box<dyn Query>,
    id: usize,
}

impl Clone for Labelled {
    fn clone(&self) -> Self {
        Labelled {
            inner: self.inner.box_clone(),
            id: self.id,
        }
    }
}

impl Query for Labelled {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(LabelledWeight {
            inner: self.inner.weight(enable_scoring)?,
            id: self.id,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

/// Every method but `explain` is the inner weight's, so matching and scoring are too.
struct LabelledWeight {
    inner: Box<dyn Weight>,
    id: usize,
}

impl Weight for LabelledWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.inner.scorer(reader, boost)
    }

    fn scorer_danger(
        &self,
        reader: &SegmentReader,
        target: DocId,
        boost: Score,
    ) -> tantivy::Result<(SeekDangerResult, Box<dyn Scorer>)> {
        self.inner.scorer_danger(reader, target, boost)
    }

    /// A clause that does not match `doc` is an error, as tantivy's explanations have it;
    /// checked here first, since some of tantivy's scorers (phrases) would be asked to
    /// seek backwards when their first match is past `doc`.
    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.inner.scorer(reader, 1.0)?;
        if seek_once(scorer.as_mut(), doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        let inner = self.inner.explain(reader, doc)?;
        let mut out = Explanation::new_with_string(format!("{LABEL}{}", self.id), inner.value());
        out.add_detail(inner);
        Ok(out)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.inner.count(reader)
    }

    fn for_each(&self, reader: &SegmentReader, callback: &mut dyn FnMut(DocId, Score)) -> tantivy::Result<()> {
        self.inner.for_each(reader, callback)
    }

    fn for_each_no_score(&self, reader: &SegmentReader, callback: &mut dyn FnMut(&[DocId])) -> tantivy::Result<()> {
        self.inner.for_each_no_score(reader, callback)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        self.inner.for_each_pruning(threshold, reader, callback)
    }
}

/// What an explained search ran, to take its hits' scores apart.
pub(super) struct Explained<'a> {
    /// The searcher the hits came from.
    pub searcher: &'a tantivy::Searcher,
    /// The query that matched them (the relaxed one, when the search was relaxed).
    pub query: &'a dyn Query,
    /// The labels of its clauses.
    pub labels: &'a Labels,
    /// The proximity bonuses that reranked the best candidates.
    pub bonus: &'a [PhraseBonus],
    /// The request (its recency half-life).
    pub request: &'a SearchRequest,
    /// Whether the hits are in date order (not scored).
    pub by_date: bool,
    /// The moment recency was measured from (seconds), as the search measured it.
    pub now: i64,
}

impl Explained<'_> {
    /// The explanation of each candidate of the page, in order.
    pub(super) fn hits(&self, page: &[Candidate]) -> Result<Vec<Explain>> {
        if self.by_date {
            let note = "date order: hits are not scored".to_string();
            return Ok(page
                .iter()
                .map(|c| Explain {
                    score: c.score,
                    base: c.score,
                    parts: Vec::new(),
                    matched: Vec::new(),
                    copies: c.copies,
                    note: Some(note.clone()),
                })
                .collect());
        }
        let weight = self.query.weight(EnableScoring::enabled_from_searcher(self.searcher))?;
        let mut dates = rerank::Dates::new(self.searcher);
        let mut out = Vec::with_capacity(page.len());
        for candidate in page {
            let address = candidate.address;
            let reader = self.searcher.segment_reader(address.segment_ord);
            let explanation = weight.explain(reader, address.doc_id)?;
            let mut parts = Vec::new();
            // tantivy's `Explanation` shows only its value; its description and details are
            // readable through its `Serialize` impl alone (serialising it cannot fail).
            let tree = serde_json::to_value(&explanation).unwrap_or_default();
            self.collect_parts(&tree, &mut parts);
            let base = explanation.value();
            if candidate.reranked {
                self.rerank_parts(address, base, &mut dates, &mut parts)?;
            }
            let matched = matched(&parts);
            out.push(Explain {
                score: candidate.score,
                base,
                parts,
                matched,
                copies: candidate.copies,
                note: None,
            });
        }
        Ok(out)
    }

    /// The labelled nodes of an explanation tree (as JSON: tantivy keeps its fields
    /// private), in order; a scoring node outside any label is an `other` part.
    fn collect_parts(&self, node: &serde_json::Value, parts: &mut Vec<ScorePart>) {
        let description = node["description"].as_str().unwrap_or_default();
        let value = node["value"].as_f64().unwrap_or_default() as f32;
        if let Some(label) = description
            .strip_prefix(LABEL)
            .and_then(|id| id.parse().ok())
            .and_then(|id| self.labels.get(id))
        {
            let bm25 = match label.kind {
                PartKind::ExactTitle | PartKind::NumberForm | PartKind::NumberTyped => None,
                _ => bm25_figures(&node["details"]),
            };
            parts.push(ScorePart {
                kind: label.kind,
                concept: (!label.concept.is_empty()).then_some(label.concept),
                field: Some(self.field_name(label.field)),
                terms: label.terms,
                value,
                weight: label.weight,
                bm25,
                recency: None,
                expansion: label.expansion,
            });
            return;
        }
        match node["details"].as_array() {
            Some(children) if !children.is_empty() => {
                let mut each: Vec<Vec<ScorePart>> = children
                    .iter()
                    .map(|child| {
                        let mut found = Vec::new();
                        self.collect_parts(child, &mut found);
                        found
                    })
                    .collect();
                // A boosted clause (a synonym's form at its weight) scales what it holds.
                if let Some(boost) = boost_of(description) {
                    for part in each.iter_mut().flatten() {
                        part.value *= boost;
                        part.weight *= boost;
                    }
                }
                // A disjunction-max clause (the forms of a synonym group) scores as its
                // best child, not as the sum: only that child's parts count.
                let total = |found: &[ScorePart]| found.iter().map(|p| p.value).sum::<f32>();
                let close = |a: f32| (a - value).abs() <= 1e-4 * value.abs().max(1.0);
                if !close(each.iter().map(|found| total(found)).sum())
                    && let Some(best) = each.iter().position(|found| close(total(found)))
                {
                    each = vec![each.swap_remove(best)];
                }
                parts.extend(each.into_iter().flatten());
            }
            _ if value != 0.0 => parts.push(ScorePart {
                kind: PartKind::Other,
                concept: None,
                field: None,
                terms: vec![description.to_string()],
                value,
                weight: 1.0,
                bm25: None,
                recency: None,
                expansion: None,
            }),
            _ => {}
        }
    }

    /// The proximity bonuses and the recency factor the rerankers gave the hit.
    fn rerank_parts(
        &self,
        address: tantivy::DocAddress,
        base: Score,
        dates: &mut rerank::Dates<'_>,
        parts: &mut Vec<ScorePart>,
    ) -> Result<()> {
        let mut score = base;
        let mut bonuses = Vec::new();
        proximity::bonus_scores(self.searcher, self.bonus, &[address], |_, b, value| {
            bonuses.push((b, value))
        })?;
        for (b, value) in bonuses {
            let bonus = &self.bonus[b];
            score += value;
            parts.push(ScorePart {
                kind: PartKind::Proximity,
                concept: None,
                field: Some(self.field_name(bonus.field)),
                terms: bonus.terms.iter().map(|(_, t)| t.clone()).collect(),
                value,
                weight: bonus.weight,
                bm25: None,
                recency: None,
                expansion: None,
            });
        }
        if let Some(half_life) = self.request.recency_days {
            let now =
                time::OffsetDateTime::from_unix_timestamp(self.now).unwrap_or_else(|_| time::OffsetDateTime::now_utc());
            if let Some((factor, age_days)) = rerank::recency(dates, address, half_life, now) {
                parts.push(ScorePart {
                    kind: PartKind::Recency,
                    concept: None,
                    field: None,
                    terms: Vec::new(),
                    value: score * factor - score,
                    weight: factor,
                    bm25: None,
                    recency: Some(RecencyPart {
                        factor,
                        age_days,
                        half_life_days: half_life,
                    }),
                    expansion: None,
                });
            }
        }
        Ok(())
    }

    fn field_name(&self, field: Field) -> String {
        self.searcher.schema().get_field_name(field).to_string()
    }
}

/// The BM25 figures of a labelled clause's explanation: tantivy's term and phrase
/// explanations and ours ([`super::bm25`]) name them alike.
fn bm25_figures(details: &serde_json::Value) -> Option<Bm25Part> {
    let mut found: [Option<f32>; 6] = [None; 6];
    // A phrase's idf is the sum of its words' (the shallower node): breadth first.
    let names = ["idf", "freq,", "k1,", "b,", "dl,", "avgdl,"];
    let mut queue: std::collections::VecDeque<&serde_json::Value> = details.as_array()?.iter().collect();
    while let Some(node) = queue.pop_front() {
        let description = node["description"].as_str().unwrap_or_default();
        if let Some(i) = names.iter().position(|n| description.starts_with(n))
            && found[i].is_none()
        {
            found[i] = node["value"].as_f64().map(|v| v as f32);
        }
        if let Some(children) = node["details"].as_array() {
            queue.extend(children);
        }
    }
    let [
        Some(idf),
        Some(tf),
        Some(k1),
        Some(b),
        Some(length),
        Some(average_length),
    ] = found
    else {
        return None;
    };
    Some(Bm25Part {
        tf,
        idf,
        norm: k1 * (1.0 - b + b * length / average_length),
        length,
        average_length,
    })
}

/// Each concept's fields, once, in the order of the parts.
fn matched(parts: &[ScorePart]) -> Vec<Matched> {
    let mut out: Vec<Matched> = Vec::new();
    for part in parts {
        let (Some(concept), Some(field)) = (&part.concept, &part.field) else {
            continue;
        };
        let text = part.terms.join(" ");
        if !out
            .iter()
            .any(|m| &m.concept == concept && &m.field == field && m.text == text)
        {
            out.push(Matched {
                concept: concept.clone(),
                field: field.clone(),
                text,
            });
        }
    }
    out
}

/// Analyses `text` as the index at hand would (its analyzer), with the plan of a query.
pub(crate) fn analyze(
    analyzer: &ChineseAnalyzer,
    builder: &Builder<'_>,
    searcher: &tantivy::Searcher,
    text: &str,
    mode: AnalyzeMode,
) -> Result<Analysis> {
    if text.trim().is_empty() {
        return Err(QueryError::EmptyText.into());
    }
    let len = text.chars().count();
    if len > MAX_QUERY_CHARS {
        return Err(QueryError::TextTooLong {
            len,
            max: MAX_QUERY_CHARS,
        }
        .into());
    }
    let plan = match mode {
        AnalyzeMode::Index => None,
        AnalyzeMode::Query => Some(plan(builder, searcher, text)?),
    };
    Ok(Analysis {
        text: text.to_string(),
        mode,
        tokens: tokens(analyzer, text, mode),
        plan,
    })
}

/// The word tokens of `text`, then (for an article) its literal tokens.
fn tokens(analyzer: &ChineseAnalyzer, text: &str, mode: AnalyzeMode) -> Vec<AnalyzedToken> {
    // Character offsets by byte offset (every boundary, and the end).
    let mut chars = vec![0usize; text.len() + 1];
    let mut n = 0;
    for (i, c) in text.char_indices() {
        for slot in &mut chars[i..i + c.len_utf8()] {
            *slot = n;
        }
        n += 1;
    }
    chars[text.len()] = n;
    let token = |folded: String, start: usize, end: usize, position: usize, kind: TokenKind| AnalyzedToken {
        text: folded,
        byte_start: start,
        byte_end: end,
        char_start: chars[start],
        char_end: chars[end],
        position,
        kind,
        original: text.get(start..end).unwrap_or_default().to_string(),
    };
    let mut out: Vec<AnalyzedToken> = analyzer
        .analyze(text)
        .into_iter()
        .map(|p| {
            let kind = if p.main { TokenKind::Word } else { TokenKind::SubWord };
            token(p.text, p.start, p.end, p.position, kind)
        })
        .collect();
    if mode == AnalyzeMode::Index {
        out.extend(literal::tokens(text).into_iter().map(|t| {
            let kind = if t.text.chars().count() == 1 {
                TokenKind::Character
            } else {
                TokenKind::Bigram
            };
            token(t.text, t.start, t.end, t.position, kind)
        }));
    }
    out
}

/// The plan of a query text: what [`Builder`] decided for each of its items.
fn plan(builder: &Builder<'_>, searcher: &tantivy::Searcher, text: &str) -> Result<QueryPlan> {
    let parsed = builder.join_typed_apart(query::parse(text)?);
    builder.check_words(&parsed)?;
    let item = |item: &Item| plan_item(builder, searcher, item);
    let groups = parsed.groups.iter().map(|g| g.iter().map(item).collect()).collect();
    let excluded = parsed.excluded.iter().map(item).collect();
    let proximity = builder
        .proximity_bonus(&parsed)
        .into_iter()
        .map(|b| PlanPhrase {
            field: searcher.schema().get_field_name(b.field).to_string(),
            offsets: b.terms.iter().map(|(o, _)| *o).collect(),
            terms: b.terms.into_iter().map(|(_, t)| t).collect(),
            slop: b.slop,
            weight: b.weight,
        })
        .collect();
    Ok(QueryPlan {
        groups,
        excluded,
        proximity,
        exact_title: parsed.pasted_title(),
        words: builder.words(&parsed),
        max_words: MAX_QUERY_WORDS,
        relaxed: relax_plan(builder, searcher, &parsed)?,
    })
}

/// Whether a search would fall back to the relaxed one: as [`super::Engine::run`] decides,
/// from the count of the articles with every word.
fn relax_plan(builder: &Builder<'_>, searcher: &tantivy::Searcher, parsed: &ParsedQuery) -> Result<RelaxPlan> {
    let possible = builder.relaxable_concepts(parsed) > 1;
    let would_run = possible && {
        let query = builder.build(parsed, &build::Filters::default(), Mode::AllWords);
        query.count(searcher)? == 0
    };
    Ok(RelaxPlan { possible, would_run })
}

fn plan_item(builder: &Builder<'_>, searcher: &tantivy::Searcher, item: &Item) -> PlanItem {
    match item {
        Item::Text { scope, text, phrase } => {
            let concepts = builder.concepts(text, *phrase);
            let searched = build::searched(&concepts, false);
            PlanItem::Text {
                text: text.clone(),
                scope: match scope {
                    Scope::All => "all",
                    Scope::Title => "title",
                },
                phrase: *phrase,
                fields: builder
                    .fields_of(*scope)
                    .into_iter()
                    .map(|(field, weight)| PlanField {
                        field: searcher.schema().get_field_name(field).to_string(),
                        weight,
                    })
                    .collect(),
                concepts: concepts
                    .iter()
                    .zip(searched)
                    .map(|(c, searched)| plan_concept(c, searched))
                    .collect(),
            }
        }
        Item::Tag(tag) => PlanItem::Tag {
            text: tag.clone(),
            folded: fold::fold_value(tag),
        },
        Item::Category(category) => PlanItem::Category {
            text: category.clone(),
            folded: fold::fold_value(category),
        },
    }
}

fn plan_concept(concept: &Concept, searched: bool) -> PlanConcept {
    let alternative = |terms: &[(usize, String)], weight: f32| PlanAlternative {
        terms: terms.iter().map(|(_, t)| t.clone()).collect(),
        offsets: terms.iter().map(|(o, _)| *o).collect(),
        weight,
    };
    PlanConcept {
        text: concept.text.clone(),
        literal: concept.literal.as_deref().map(literal::normalize),
        alternatives: concept.alternatives.iter().map(|(t, w)| alternative(t, *w)).collect(),
        prefixes: concept.prefixes.iter().map(|t| alternative(t, 1.0)).collect(),
        status: if searched { "searched" } else { "stop_word" },
        weak: concept.weak,
        dropped: concept
            .dropped
            .iter()
            .map(|(terms, doc_freq)| PlanDropped {
                terms: terms.iter().map(|(_, t)| t.clone()).collect(),
                reason: "too_costly",
                doc_freq: *doc_freq,
                max_doc_freq: build::COVER_MAX_DOC_FREQ,
            })
            .collect(),
        expansions: expansions(concept),
        numbers: concept
            .synonyms
            .iter()
            .filter(|s| s.is_number())
            .map(|s| PlanNumber {
                form: s.form.clone(),
                literal: s.concept.literal.as_deref().map(literal::normalize),
                words: s.concept.number.iter().flatten().map(|(_, t)| t.clone()).collect(),
                score: build::NUMBER_FORM_SCORE,
            })
            .collect(),
    }
}

/// The forms a concept is widened to, one entry per kind in the order first searched: read
/// from the synonyms the query is built with, so the plan and the search cannot disagree.
fn expansions(concept: &Concept) -> Vec<PlanExpansion> {
    let mut out: Vec<PlanExpansion> = Vec::new();
    for synonym in &concept.synonyms {
        match out.iter_mut().find(|e| e.kind == synonym.kind) {
            Some(expansion) => expansion.to.push(synonym.form.clone()),
            None => out.push(PlanExpansion {
                from: concept.text.clone(),
                to: vec![synonym.form.clone()],
                kind: synonym.kind,
            }),
        }
    }
    out
}

/// The factor of a tantivy `BoostQuery` explanation (`Boost x0.8 of ...`), if it is one.
fn boost_of(description: &str) -> Option<f32> {
    description.strip_prefix("Boost x")?.split(' ').next()?.parse().ok()
}
