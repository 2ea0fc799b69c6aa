//! [`ParsedQuery`] → tantivy [`Query`]: words become *concepts* (a word and the other
//! ways its characters can be indexed), concepts are searched in title, tags and body with
//! the title and tags weighted up, and filters are added as non-scoring clauses.
//!
//! A concept has alternatives, so that a word is found however jieba cut the article:
//! - the word itself (`人工智能`), full weight;
//! - the shorter dictionary words that cover it, as a phrase (`人工` `智能`), at a lower
//!   weight: it matches articles where the context made jieba cut the word apart, and
//!   since every article with the whole word also has its parts, whole-word matches still
//!   rank first (left out when its words are so common that checking them costs more
//!   than the few articles it adds);
//! - single characters typed together (a name jieba does not know: `宏瑞通`) are a phrase,
//!   or one word, or the start of a longer one; a character typed after a word at the end
//!   (`专项债`) may start the next word of an article (`专项债券`): phrase prefixes.
//!
//! Function words (the index's stop words, [`Words`]) are not searched for; words typed
//! together also earn a proximity bonus ([`proximity`](super::proximity)) that reranks the
//! best candidates.
//!
//! Synonyms expand a bare word: a concept (or a whole unquoted item) equal to an entry of a
//! synonym group may also match the group's other entries, each as its word or, when jieba
//! cuts it into several, as a phrase, each with its own literal string, and weighted below
//! the form typed so that an article using that form ranks first. Quoted text is not
//! expanded: a reader who quotes means exactly that.
//!
//! Those alternatives only score. Whether an article matches is decided by the literal
//! field ([`crate::literal`]): a concept with a Chinese character (or any quoted text) must
//! occur as a string in the article, however jieba cut it there (issue 10); a concept of
//! Latin letters and digits only keeps word semantics (`ai` does not match said, `15` does
//! not match 2015), which the analyzer's Latin rules make independent of context.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, Occur, PhrasePrefixQuery,
    PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DateTime, Term};

use super::bm25::{self, Bm25TermQuery};
use super::explain::{Label, Labels};
use super::floor::Floor;
use super::proximity::PhraseBonus;
use crate::analysis::{ChineseAnalyzer, Piece};
use crate::config::{MAX_QUERY_WORDS, TAGS_BOOST, TITLE_BOOST};
use crate::error::QueryError;
use crate::fold;
use crate::literal::{self, Pattern};
use crate::schema::Fields;
use crate::search::explain::{FormKind, PartExpansion, PartKind};
use crate::search::highlight::{HighlightGroup, Highlighter};
use crate::search::numerals;
use crate::search::query::{Item, ParsedQuery, Scope};
pub use crate::search::request::Filters;
use crate::search::words::Words;

/// Weight of the covering-words alternative relative to the word itself.
const COVER_WEIGHT: f32 = 0.3;

/// Weight of a synonym form relative to the form typed. Each form is also scaled by the
/// typed form's idf over its own (the sum of its words' for a phrase), so a form scores
/// 0.8 of what the typed form would score in its place: a rarer name (中国人民银行) or a
/// phrase of several words (中国 证券 监督管理 委员会) cannot outscore the word typed by
/// being rarer or longer (Lucene's synonym query shares one idf the same way). A phrase
/// form of one typed word is scaled down by [`PHRASE_SATURATION`] too.
pub const SYNONYM_WEIGHT: f32 = 0.8;

/// The most a phrase's BM25 term-frequency part exceeds a word's (1.37): tantivy scores
/// phrases with its own constants, words are scored with [`bm25::K1`] and [`bm25::B`]. A
/// phrase form of a typed word (贵州 茅台 for 600519) is scaled down by it, so a short
/// article naming the company only cannot outrank one with the code typed.
// Scoring phrases with our constants would remove the mismatch at its root: our own phrase
// weight around tantivy's PhraseScorer (its Bm25Weight fixes the constants). That changes
// every phrase's score, to be measured on XQuAD-R; this bounds it where an order is at stake.
const PHRASE_SATURATION: f32 =
    bm25::top_tf_part(bm25::TANTIVY_K1, bm25::TANTIVY_B) / bm25::top_tf_part(bm25::K1, bm25::B);

/// What another written form of a typed number scores (an article with the typed form
/// scores its words, at least [`NUMBER_TYPED_SCORE`]): jieba cuts the forms of one
/// number differently (1000|亿元, 一千亿|元), so their word scores do not compare, and
/// the form typed must still rank first.
pub const NUMBER_FORM_SCORE: f32 = 0.8;

/// The least the typed form of a number with other written forms scores: a floor above
/// [`NUMBER_FORM_SCORE`], not a bonus, so that a number weighs no more among the words
/// of a question than it did before it had forms.
pub const NUMBER_TYPED_SCORE: f32 = 1.0;

/// Synonym forms one search expands to at most: a query of many words, each an entry of
/// a large group, stays a query of bounded cost. Words past it are searched as typed.
pub const MAX_SYNONYM_FORMS: usize = 64;

/// What an exact whole-title match adds to the score: more than any word match scores.
const EXACT_TITLE_SCORE: f32 = 100.0;

/// Weight of the phrase of all the words of an unquoted item, added to their scores.
const PROXIMITY_BOOST: f32 = 1.0;

/// A covering-words phrase whose rarest word is in more articles than this is not searched.
pub(crate) const COVER_MAX_DOC_FREQ: u64 = 3000;

/// Weight of each pair of neighbouring words found together, added to their scores.
const PAIR_BOOST: f32 = 0.2;

/// Characters allowed between the two words of a pair.
const PAIR_SLOP: u32 = 2;

/// Weight of a concept's literal match in its score: small, so the word clauses decide the
/// order and an article with the word whole ranks above one where the string only runs
/// across a word boundary (民生 in 人民|生活). XQuAD-R MRR@10 / nDCG@10 at 0.05, 0.2 and
/// 0.5: 0.7947 / 0.8245, 0.7923 / 0.8227, 0.7918 / 0.8213 (main: 0.7938 / 0.8234).
const LITERAL_WEIGHT: f32 = 0.05;

/// The concept queries of a text item and its proximity bonuses.
type TextQueries = (Vec<Box<dyn Query>>, Vec<PhraseBonus>);

/// A sequence of terms at character offsets; one term is a term query, more a phrase.
type Alternative = Vec<(usize, String)>;

/// One unit that must match: alternatives, each with a weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Concept {
    /// The ways to match it.
    pub alternatives: Vec<(Alternative, f32)>,
    /// Phrases whose last word is a prefix: `专项` + `债…` finds 专项债券, where the
    /// article's segmentation joined the typed character to the characters after it.
    pub prefixes: Vec<Alternative>,
    /// A lone Han character (的, 湾): left out when a search is relaxed.
    pub weak: bool,
    /// Position of its first character in the query (whitespace not counted).
    pub position: Option<usize>,
    /// A function word (的, 什么): not searched for, unless the query has nothing else; it
    /// still counts in phrases. Headlines rarely contain them, so a title match on 的
    /// would score as if it were rare and meaningful.
    pub stop: bool,
    /// The string an article must contain (as typed; [`literal::pattern`] folds it), or
    /// `None` for a bare word of Latin letters and digits only (matched as a word).
    pub literal: Option<String>,
    /// What was typed for it (the span of its words).
    pub text: String,
    /// Alternatives and prefixes left out as too costly, with their rarest word's
    /// article count (shown by `xinwen analyze --query`).
    pub dropped: Vec<(Alternative, u64)>,
    /// The other entries of its synonym group: an article with any of them matches too.
    pub synonyms: Vec<Synonym>,
    /// For a number written with digits and matched by its literal string, its leading
    /// digit words, which must be words of the article too: the literal alone would find
    /// 1000亿 inside 21000亿 ([`numerals`]).
    pub number: Option<Alternative>,
    /// For a number written in Chinese numerals, the longer numbers it occurs in (二十万
    /// for 十万, [`numerals::longer_numbers`]): an article with one is left out.
    pub not_within: Vec<String>,
    /// For another form of a typed word ([`Synonym::concept`]): the word typed and what made
    /// this its form, which its score parts name when explained.
    pub form_of: Option<PartExpansion>,
}

/// One other form of a concept, from its synonym group.
#[derive(Debug, Clone, PartialEq)]
pub struct Synonym {
    /// The entry (folded).
    pub form: String,
    /// How it is matched: its word or its phrase, and its literal string.
    pub concept: Concept,
    /// Its weight relative to the typed form (see [`SYNONYM_WEIGHT`]).
    pub weight: f32,
    /// What made it a form: a synonym group, a company alias, or the number typed written
    /// another way (scored [`NUMBER_FORM_SCORE`]). The plan shows the same value.
    pub kind: FormKind,
}

impl Synonym {
    /// Another written form of the number typed (see [`NUMBER_FORM_SCORE`]).
    pub fn is_number(&self) -> bool {
        self.kind == FormKind::Number
    }
}

/// How the words of a query combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every word must match.
    AllWords,
    /// Any word may match; more matches rank higher (the no-results rescue).
    AnyWord,
}

/// Builds tantivy queries for one index.
pub struct Builder<'a> {
    /// The index fields.
    pub fields: &'a Fields,
    /// The analyzer (the same one the index was built with).
    pub analyzer: &'a ChineseAnalyzer,
    /// The index's statistics, to leave out alternatives too costly to be worth it.
    pub searcher: Option<&'a tantivy::Searcher>,
    /// The stop words and synonyms queries are built with.
    words: &'a Words,
    /// Synonym forms this search may still expand to (see [`MAX_SYNONYM_FORMS`]).
    forms_left: Cell<usize>,
    /// Concepts already worked out in this search (matching, highlighting and proximity
    /// all ask for them: looking up the same text once is enough).
    memo: RefCell<HashMap<(String, bool), Vec<Concept>>>,
    /// Each query text's segmentation, done once however many times it is asked for.
    segmented: RefCell<HashMap<String, Rc<[Piece]>>>,
    /// Names of the scoring clauses, when the search is explained.
    pub(crate) labels: Labels,
}

impl<'a> Builder<'a> {
    /// A builder for one search.
    pub fn new(fields: &'a Fields, analyzer: &'a ChineseAnalyzer, searcher: Option<&'a tantivy::Searcher>) -> Self {
        Builder {
            fields,
            analyzer,
            searcher,
            words: Words::builtin(),
            forms_left: Cell::new(MAX_SYNONYM_FORMS),
            memo: RefCell::default(),
            segmented: RefCell::default(),
            labels: Labels::default(),
        }
    }

    /// The same builder with the index's own stop words and synonyms (the built-in lists
    /// otherwise).
    pub fn with_words(mut self, words: &'a Words) -> Self {
        self.words = words;
        self
    }

    /// The stop words and synonyms in use.
    pub fn word_lists(&self) -> &Words {
        self.words
    }

    /// The analyzer's pieces of a query text.
    fn pieces(&self, text: &str) -> Rc<[Piece]> {
        if let Some(found) = self.segmented.borrow().get(text) {
            return Rc::clone(found);
        }
        let pieces: Rc<[Piece]> = self.analyzer.analyze(text).into();
        self.segmented.borrow_mut().insert(text.to_string(), Rc::clone(&pieces));
        pieces
    }

    /// Words typed apart that are one dictionary word once joined, one side a single Han
    /// character (`国务 院`, `科学 院`, `国 务院`): the reader spaced one word, so it is
    /// searched as that word, never as two far less telling ones (issue 10).
    pub fn join_typed_apart(&self, mut parsed: ParsedQuery) -> ParsedQuery {
        let mut groups: Vec<Vec<Item>> = Vec::with_capacity(parsed.groups.len());
        for group in std::mem::take(&mut parsed.groups) {
            if let [
                Item::Text {
                    scope,
                    text,
                    phrase: false,
                },
            ] = group.as_slice()
                && let Some(
                    [
                        Item::Text {
                            scope: left_scope,
                            text: left,
                            phrase: false,
                        },
                    ],
                ) = groups.last_mut().map(Vec::as_mut_slice)
                && left_scope == scope
                && self.one_word_apart(left, text)
            {
                left.push_str(text);
                continue;
            }
            groups.push(group);
        }
        parsed.groups = groups;
        parsed
    }

    /// Whether `left` and `right`, typed with a space, are one word split (see above).
    fn one_word_apart(&self, left: &str, right: &str) -> bool {
        let (l, r) = (self.pieces(left), self.pieces(right));
        let (Some(last), Some(first)) = (l.iter().rfind(|p| p.main), r.iter().find(|p| p.main)) else {
            return false;
        };
        let single = |pieces: &[Piece]| matches!(pieces, [p] if p.chars == 1 && is_han(p));
        (single(&l) || single(&r))
            && is_han(last)
            && is_han(first)
            && self.analyzer.knows(&format!("{}{}", last.text, first.text))
    }

    /// How many words `parsed` searches for once its texts are segmented (a tag or category
    /// counts one), excluded items included: what a search's work grows with, however the
    /// words were typed (`中国` 250 times without a space is one item but 250 words).
    pub fn words(&self, parsed: &ParsedQuery) -> usize {
        parsed
            .positive_items()
            .chain(&parsed.excluded)
            .map(|item| match item {
                Item::Text { text, .. } => self.pieces(text).iter().filter(|p| p.main).count(),
                Item::Tag(_) | Item::Category(_) => 1,
            })
            .sum()
    }

    /// Refuses a query of more than [`MAX_QUERY_WORDS`] words (see [`Builder::words`]).
    pub fn check_words(&self, parsed: &ParsedQuery) -> Result<(), QueryError> {
        let count = self.words(parsed);
        if count > MAX_QUERY_WORDS {
            return Err(QueryError::TooManyWords {
                count,
                max: MAX_QUERY_WORDS,
            });
        }
        Ok(())
    }

    /// The concepts of a text item (see the module doc).
    pub fn concepts(&self, text: &str, phrase: bool) -> Vec<Concept> {
        let key = (text.to_string(), phrase);
        if let Some(found) = self.memo.borrow().get(&key) {
            return found.clone();
        }
        let concepts = if phrase {
            self.work_out_concepts(text, true, false)
        } else {
            self.expanded_concepts(text)
        };
        self.memo.borrow_mut().insert(key, concepts.clone());
        concepts
    }

    /// The concepts of an unquoted text with synonyms: the whole text when it is an entry
    /// (one concept: a phrase when jieba cuts it into several words), else each concept
    /// that is one.
    fn expanded_concepts(&self, text: &str) -> Vec<Concept> {
        let mut forms = self.words.forms_of(text);
        // A number's other written forms are a synonym group made on the fly.
        // A stock code is a name, not an amount: 600519 is never written 600,519.
        let is_code = forms.iter().any(|(_, kind)| matches!(kind, FormKind::Alias { .. }));
        let numbers = if is_code { Vec::new() } else { numerals::forms(text) };
        forms.extend(numbers.iter().map(|n| (n.as_str(), FormKind::Number)));
        if forms.is_empty() {
            return self.work_out_concepts(text, false, true);
        }
        let mut own = self.work_out_concepts(text, false, false);
        if own.len() > 1 {
            own = self.work_out_concepts(text, true, false);
        }
        if let [concept] = own.as_mut_slice() {
            concept.synonyms = self.synonym_forms(concept, &forms);
            if !numbers.is_empty() {
                // The typed form keeps literal recall (issue 10: 一千 finds every article that
                // says 一千, 一千亿 included); only the forms made for it leave out longer numbers.
                concept.number = number_words(concept);
                for synonym in concept.synonyms.iter_mut().filter(|s| s.is_number()) {
                    synonym.concept.number = number_words(&synonym.concept);
                    synonym.concept.not_within = numerals::longer_numbers(&synonym.form);
                }
            }
        }
        own
    }

    /// The concepts of synonym forms of `typed`, as many as the search's budget allows.
    /// A form is matched by its literal string and scored by its word or phrase only:
    /// covering words would add to its score what the typed form has no counterpart for.
    fn synonym_forms(&self, typed: &Concept, forms: &[(&str, FormKind)]) -> Vec<Synonym> {
        let mut out = Vec::new();
        for &(form, kind) in forms {
            let left = self.forms_left.get();
            if left == 0 {
                break;
            }
            let mut concepts = self.work_out_concepts(form, false, false);
            if concepts.len() > 1 {
                concepts = self.work_out_concepts(form, true, false);
            }
            if let [concept] = concepts.as_mut_slice() {
                self.forms_left.set(left - 1);
                concept.alternatives.truncate(1);
                concept.prefixes.clear();
                concept.form_of = Some(PartExpansion {
                    from: typed.text.clone(),
                    kind,
                });
                let weight = SYNONYM_WEIGHT * self.idf_ratio(typed, concept);
                out.push(Synonym {
                    form: form.to_string(),
                    concept: concept.clone(),
                    weight,
                    kind,
                });
            }
        }
        out
    }

    /// The typed form's idf over a form's, in the body field (each the sum of its first
    /// alternative's words); 1 without index statistics (a cluster ranks by its own).
    fn idf_ratio(&self, typed: &Concept, form: &Concept) -> f32 {
        let Some(searcher) = self.searcher else { return 1.0 };
        let docs = searcher.num_docs() as f32;
        let idf = |c: &Concept| -> f32 {
            let Some((terms, _)) = c.alternatives.first() else {
                return 0.0;
            };
            terms
                .iter()
                .map(|(_, t)| {
                    let df = searcher
                        .doc_freq(&Term::from_field_text(self.fields.body, t))
                        .unwrap_or(0) as f32;
                    (1.0 + (docs - df.min(docs) + 0.5) / (df + 0.5)).ln()
                })
                .sum()
        };
        let phrase = |c: &Concept| c.alternatives.first().is_some_and(|(terms, _)| terms.len() > 1);
        let saturation = if phrase(form) && !phrase(typed) {
            PHRASE_SATURATION
        } else {
            1.0
        };
        let (typed, other) = (idf(typed), idf(form));
        let ratio = if typed > 0.0 && other > 0.0 { typed / other } else { 1.0 };
        ratio / saturation
    }

    /// The concepts of a text; with `expand`, those equal to a synonym entry carry its
    /// group's other forms.
    fn work_out_concepts(&self, text: &str, phrase: bool, expand: bool) -> Vec<Concept> {
        let pieces = self.pieces(text);
        let mains: Vec<usize> = (0..pieces.len()).filter(|&i| pieces[i].main).collect();
        if mains.is_empty() {
            return Vec::new();
        }
        let groups: Vec<Vec<usize>> = if phrase {
            vec![mains]
        } else {
            let mut groups: Vec<Vec<usize>> = Vec::new();
            let last = mains.last().copied().unwrap_or_default();
            for &m in &mains {
                match groups.last_mut() {
                    Some(g) if g.last().is_some_and(|&prev| joinable(text, &pieces[prev], &pieces[m])) => g.push(m),
                    Some(g)
                        if g.len() == 1
                            && m == last
                            && char_after_word(text, &pieces[g[0]], &pieces[m], self.words) =>
                    {
                        g.push(m)
                    }
                    _ => groups.push(vec![m]),
                }
            }
            groups
        };
        let mut concepts: Vec<Concept> = groups
            .into_iter()
            .map(|g| {
                let mut c = concept(&pieces, &g, self.words);
                let span = text
                    .get(pieces[g[0]].start..pieces[g[g.len() - 1]].end)
                    .unwrap_or_default();
                c.literal = (phrase || !span.is_ascii()).then(|| span.to_string());
                c.text = span.to_string();
                if expand && !c.stop {
                    let forms = self.words.forms_of(span);
                    if !forms.is_empty() {
                        c.synonyms = self.synonym_forms(&c, &forms);
                    }
                }
                c
            })
            .collect();
        for concept in &mut concepts {
            self.drop_costly_covers(concept);
        }
        concepts
    }

    /// The covering-words alternative is a phrase of shorter words; when even the rarest of
    /// them is in thousands of articles (国家 主席 for 国家主席), checking its positions
    /// costs milliseconds, while the articles it would add — the word cut apart — are a
    /// handful among thousands that have the word whole. Such covers are left out.
    fn drop_costly_covers(&self, concept: &mut Concept) {
        let Some(searcher) = self.searcher else { return };
        let body = self.fields.body;
        let rarest = |terms: &[(usize, String)]| {
            terms
                .iter()
                .map(|(_, t)| searcher.doc_freq(&Term::from_field_text(body, t)).unwrap_or(0))
                .min()
                .unwrap_or(0)
        };
        let mut first = true;
        let mut dropped = Vec::new();
        concept.alternatives.retain(|(terms, _)| {
            let freq = if first || terms.len() < 2 { 0 } else { rarest(terms) };
            first = false;
            let keep = freq <= COVER_MAX_DOC_FREQ;
            if !keep {
                dropped.push((terms.clone(), freq));
            }
            keep
        });
        // The same for phrase prefixes (中 + 美… for 中美): the words before the prefix.
        concept.prefixes.retain(|terms| {
            let freq = if terms.len() < 2 {
                0
            } else {
                rarest(&terms[..terms.len() - 1])
            };
            let keep = freq <= COVER_MAX_DOC_FREQ;
            if !keep {
                dropped.push((terms.clone(), freq));
            }
            keep
        });
        concept.dropped = dropped;
    }

    /// The highlighter of a query: every positive text item is a group; `title:` items
    /// mark titles only. Every backend marks its hits with it.
    pub fn highlighter(&self, parsed: &ParsedQuery) -> Highlighter {
        let mut groups = Vec::new();
        for item in parsed.positive_items() {
            if let Item::Text { scope, text, phrase } = item {
                let mut group = self.highlight_group(text, *phrase);
                group.title_only = *scope == Scope::Title;
                groups.push(group);
            }
        }
        Highlighter::new(&groups)
    }

    /// What to highlight for a text item: the whole of what was typed, and (unquoted) its
    /// words of two or more characters, or Latin/digit words, for texts without the whole.
    pub fn highlight_group(&self, text: &str, phrase: bool) -> HighlightGroup {
        let pieces = self.pieces(text);
        let mains: Vec<&Piece> = pieces.iter().filter(|p| p.main).collect();
        let (Some(first), Some(last)) = (mains.first(), mains.last()) else {
            return HighlightGroup::default();
        };
        let span = text.get(first.start..last.end).unwrap_or_default();
        let mut wholes: Vec<String> = span.split_whitespace().map(fold::fold_value).collect();
        // Synonym forms are marked as the article writes them.
        if !phrase {
            for concept in self.concepts(text, false) {
                for synonym in &concept.synonyms {
                    wholes.extend(synonym.form.split_whitespace().map(str::to_string));
                }
            }
        }
        let mut parts: Vec<String> = if phrase || mains.len() < 2 {
            Vec::new()
        } else {
            mains
                .iter()
                .filter(|p| p.chars >= 2 || !is_han(p))
                .map(|p| p.text.clone())
                .collect()
        };
        // The letter and digit runs of a mixed word (iphone and 15 of iphone15), for texts
        // that write it with a space.
        if !phrase {
            parts.extend(
                pieces
                    .iter()
                    .filter(|p| !p.main && p.text.bytes().all(|b| b.is_ascii_alphanumeric()) && p.chars >= 2)
                    .map(|p| p.text.clone()),
            );
        }
        HighlightGroup {
            wholes,
            parts,
            title_only: false,
        }
    }

    /// The query for a parsed query plus filters. A query with no words matches all
    /// articles (that pass the filters).
    pub fn build(&self, parsed: &ParsedQuery, filters: &Filters, mode: Mode) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        match mode {
            Mode::AllWords => {
                for group in &parsed.groups {
                    let mut alternatives: Vec<Box<dyn Query>> = group
                        .iter()
                        .filter_map(|item| self.item(item, Mode::AllWords))
                        .collect();
                    let query = match alternatives.len() {
                        0 => continue,
                        1 => alternatives.remove(0),
                        _ => Box::new(BooleanQuery::new(
                            alternatives.into_iter().map(|q| (Occur::Should, q)).collect(),
                        )),
                    };
                    clauses.push((Occur::Must, query));
                }
            }
            Mode::AnyWord => {
                // Every word becomes optional and lone characters (的, 湾) no longer count:
                // they would match nearly everything. BM25 ranks articles with more of the
                // words, and rarer ones, first.
                let mut optional: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for item in parsed.positive_items() {
                    match item {
                        Item::Text { scope, text, phrase } => {
                            let (concepts, _) = self.text_queries(*scope, text, *phrase, true);
                            optional.extend(concepts.into_iter().map(|q| (Occur::Should, q)));
                        }
                        other => clauses.extend(self.item(other, Mode::AnyWord).map(|q| (Occur::Must, q))),
                    }
                }
                if !optional.is_empty() {
                    clauses.push((Occur::Must, Box::new(BooleanQuery::new(optional))));
                }
            }
        }
        let has_positive = clauses.iter().any(|(occur, _)| *occur == Occur::Must);
        if has_positive && let Some(exact) = self.exact_title(parsed) {
            clauses.push((Occur::Should, exact));
        }
        for item in &parsed.excluded {
            if let Some(q) = self.excluded_item(item) {
                clauses.push((Occur::MustNot, q));
            }
        }
        clauses.extend(self.filters(filters).into_iter().map(|q| (Occur::Must, q)));
        if !has_positive {
            if parsed.is_match_all() {
                clauses.push((Occur::Must, Box::new(AllQuery)));
            } else {
                // Words were typed but none is searchable (only punctuation): nothing matches.
                return Box::new(EmptyQuery);
            }
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// A pasted headline finds its article first: articles whose whole title is the query
    /// text (folded, punctuation and spaces ignored) get a score no word match reaches.
    fn exact_title(&self, parsed: &ParsedQuery) -> Option<Box<dyn Query>> {
        let text = parsed.pasted_title()?;
        let term = Term::from_field_u64(self.fields.title_key, crate::post::title_key(&text));
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let query = Box::new(ConstScoreQuery::new(Box::new(query), EXACT_TITLE_SCORE));
        Some(self.labels.wrap(query, || Label {
            kind: PartKind::ExactTitle,
            concept: String::new(),
            field: self.fields.title,
            terms: vec![text],
            weight: 1.0,
            expansion: None,
        }))
    }

    /// What reranks the best matches: for every item of several words typed together, those
    /// words standing together in the article (see `proximity`). Phrase checks read
    /// positions, too costly for every match of a common query, so they score only the best
    /// few hundred candidates.
    pub fn proximity_bonus(&self, parsed: &ParsedQuery) -> Vec<PhraseBonus> {
        let mut bonuses = Vec::new();
        let mut previous: Option<(Scope, &str)> = None;
        for group in &parsed.groups {
            // Only words that must all match stand next to each other: not across an OR.
            let [item] = group.as_slice() else {
                previous = None;
                continue;
            };
            let Item::Text {
                scope,
                text,
                phrase: false,
            } = item
            else {
                previous = None;
                continue;
            };
            bonuses.extend(self.text_queries(*scope, text, false, false).1);
            // Words typed with a space between them (iPhone 15, 上海 股市): the last word of
            // one and the first of the next standing together in an article.
            if let Some((prev_scope, prev_text)) = previous
                && prev_scope == *scope
            {
                bonuses.extend(self.boundary_pair(*scope, prev_text, text));
            }
            previous = Some((*scope, text));
        }
        bonuses
    }

    /// The pair bonus for the last word of `left` and the first word of `right`, typed
    /// with a space between them.
    fn boundary_pair(&self, scope: Scope, left: &str, right: &str) -> Vec<PhraseBonus> {
        let split = self.concepts(left, false).len();
        let joined = self.concepts(&format!("{left} {right}"), false);
        if split == 0 || split >= joined.len() {
            return Vec::new();
        }
        let pair = [&joined[split - 1], &joined[split]];
        if pair.iter().any(|c| c.stop) {
            return Vec::new();
        }
        pair_bonuses(pair[0], pair[1], &self.fields_of(scope))
    }

    /// The fields a text item is searched in, with their weights.
    pub(crate) fn fields_of(&self, scope: Scope) -> Vec<(Field, f32)> {
        match scope {
            Scope::All => vec![
                (self.fields.title, TITLE_BOOST),
                (self.fields.tags, TAGS_BOOST),
                (self.fields.body, 1.0),
            ],
            Scope::Title => vec![(self.fields.title, 1.0)],
        }
    }

    /// How many things a relaxed search would still look for (lone characters excluded).
    pub fn relaxable_concepts(&self, parsed: &ParsedQuery) -> usize {
        parsed
            .positive_items()
            .map(|item| match item {
                Item::Text { text, phrase, .. } => self.concepts(text, *phrase).iter().filter(|c| !c.weak).count(),
                _ => 0,
            })
            .sum()
    }

    /// The per-concept queries of a text item and, for several words typed together, a
    /// phrase of all of them that adds to the score: `新能源汽车` written whole ranks
    /// above 新能源 … 汽车 apart.
    fn text_queries(&self, scope: Scope, text: &str, phrase: bool, relaxed: bool) -> TextQueries {
        let fields = self.fields_of(scope);
        let fields = fields.as_slice();
        let mut concepts = self.concepts(text, phrase);
        let proximity = if phrase {
            Vec::new()
        } else {
            proximity(&concepts, fields, &self.concepts(text, true))
        };
        let mut keep = searched(&concepts, relaxed).into_iter();
        concepts.retain(|_| keep.next().unwrap_or(false));
        let literal_field = self.literal_field(scope);
        let queries: Vec<Box<dyn Query>> = concepts
            .iter()
            .map(|c| literal_concept_query(c, fields, literal_field, &self.labels))
            .collect();
        (queries, proximity)
    }

    /// An excluded item: any of its concepts, each its literal or its words. A union: tantivy
    /// 0.27's phrase scorer, left alone as an exclusion, trips its own order check when
    /// asked about a document before the one it stands on (a debug assertion).
    fn excluded_item(&self, item: &Item) -> Option<Box<dyn Query>> {
        let Item::Text { scope, text, phrase } = item else {
            return self.item(item, Mode::AnyWord);
        };
        let fields = self.fields_of(*scope);
        let literal_field = self.literal_field(*scope);
        let mut concepts = self.concepts(text, *phrase);
        if concepts.iter().any(|c| !c.stop) {
            concepts.retain(|c| !c.stop);
        }
        let either: Vec<(Occur, Box<dyn Query>)> = concepts
            .iter()
            .flat_map(|c| std::iter::once(c).chain(c.synonyms.iter().map(|s| &s.concept)))
            .flat_map(|c| {
                let words = concept_query(c, &fields, true, &Labels::default());
                let literal = c.literal.as_deref().and_then(|t| literal_query(literal_field, t));
                std::iter::once(words).chain(literal).map(|q| (Occur::Should, q))
            })
            .collect();
        (!either.is_empty()).then(|| Box::new(BooleanQuery::new(either)) as Box<dyn Query>)
    }

    /// The literal field of a scope.
    fn literal_field(&self, scope: Scope) -> Field {
        match scope {
            Scope::All => self.fields.lit,
            Scope::Title => self.fields.title_lit,
        }
    }

    fn item(&self, item: &Item, mode: Mode) -> Option<Box<dyn Query>> {
        match item {
            Item::Text { scope, text, phrase } => {
                let (mut queries, _) = self.text_queries(*scope, text, *phrase, false);
                let occur = if mode == Mode::AllWords {
                    Occur::Must
                } else {
                    Occur::Should
                };
                match queries.len() {
                    0 => None,
                    1 => queries.pop(),
                    _ => Some(Box::new(BooleanQuery::new(
                        queries.into_iter().map(|q| (occur, q)).collect(),
                    ))),
                }
            }
            Item::Tag(tag) => Some(exact(self.fields.tag_key, tag)),
            Item::Category(category) => Some(exact(self.fields.category_key, category)),
        }
    }

    fn filters(&self, filters: &Filters) -> Vec<Box<dyn Query>> {
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        let any_of = |field: Field, values: &[String]| -> Box<dyn Query> {
            let terms: Vec<(Occur, Box<dyn Query>)> = values.iter().map(|v| (Occur::Should, exact(field, v))).collect();
            Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(terms)), 0.0))
        };
        if !filters.tags.is_empty() {
            out.push(any_of(self.fields.tag_key, &filters.tags));
        }
        if !filters.categories.is_empty() {
            out.push(any_of(self.fields.category_key, &filters.categories));
        }
        if filters.from.is_some() || filters.to.is_some() {
            let bound = |d: Option<time::OffsetDateTime>| match d {
                Some(d) => std::ops::Bound::Included(Term::from_field_date_for_search(
                    self.fields.date,
                    DateTime::from_utc(d),
                )),
                None => std::ops::Bound::Unbounded,
            };
            let range = tantivy::query::RangeQuery::new(bound(filters.from), bound(filters.to));
            out.push(Box::new(ConstScoreQuery::new(Box::new(range), 0.0)));
        }
        out
    }
}

/// Scores for words typed together that also stand together in an article: each pair of
/// neighbouring words as a phrase allowing a character or two between them (中国 … 经济 in
/// 中国的经济), and all of them as an exact phrase (新能源汽车 whole above 新能源 … 汽车).
/// A standard way (sequential dependence) to rank articles that use the query's wording.
fn proximity(concepts: &[Concept], fields: &[(Field, f32)], whole: &[Concept]) -> Vec<PhraseBonus> {
    let content: Vec<&Concept> = concepts.iter().filter(|c| !c.stop).collect();
    let mut bonuses = Vec::new();
    if concepts.len() < 2 {
        return bonuses;
    }
    // All the words, exactly as typed (and the other ways the whole can be indexed).
    if let Some(all) = whole.first() {
        for (terms, weight) in all.alternatives.iter().filter(|(terms, _)| terms.len() > 1) {
            for &(field, boost) in fields {
                bonuses.push(PhraseBonus {
                    field,
                    terms: terms.clone(),
                    slop: 0,
                    weight: boost * weight * PROXIMITY_BOOST,
                });
            }
        }
    }
    // With two words the exact phrase above already says they stand together.
    let pairs: &[&Concept] = if content.len() > 2 { &content } else { &[] };
    for pair in pairs.windows(2) {
        bonuses.extend(pair_bonuses(pair[0], pair[1], fields));
    }
    bonuses
}

/// Two neighbouring words standing together (a character or two apart) in each field.
fn pair_bonuses(a: &Concept, b: &Concept, fields: &[(Field, f32)]) -> Vec<PhraseBonus> {
    let (Some((a_terms, _)), Some((b_terms, _))) = (a.alternatives.first(), b.alternatives.first()) else {
        return Vec::new();
    };
    let (Some(a_start), Some(b_start)) = (a.position, b.position) else {
        return Vec::new();
    };
    let terms: Vec<(usize, String)> = a_terms
        .iter()
        .map(|(p, t)| (*p, t.clone()))
        .chain(b_terms.iter().map(|(p, t)| (b_start + p - a_start, t.clone())))
        .collect();
    fields
        .iter()
        .map(|&(field, boost)| PhraseBonus {
            field,
            terms: terms.clone(),
            slop: PAIR_SLOP,
            weight: boost * PAIR_BOOST,
        })
        .collect()
}

/// An exact-value clause that does not score (tags, categories).
fn exact(field: Field, value: &str) -> Box<dyn Query> {
    let term = Term::from_field_text(field, &fold::fold_value(value));
    Box::new(ConstScoreQuery::new(
        Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
        0.0,
    ))
}

/// Which of a text item's concepts are searched: function words only when the item has
/// nothing else, and in a relaxed search lone characters only when it has nothing else.
/// One rule for the search and for the plan `xinwen analyze --query` shows.
pub(crate) fn searched(concepts: &[Concept], relaxed: bool) -> Vec<bool> {
    let any_content = concepts.iter().any(|c| !c.stop);
    let any_strong = concepts.iter().any(|c| !c.weak && (!c.stop || !any_content));
    concepts
        .iter()
        .map(|c| !((any_content && c.stop) || (relaxed && any_strong && c.weak)))
        .collect()
}

fn is_han(p: &Piece) -> bool {
    p.text.chars().all(|c| !c.is_ascii())
}

/// Whether two consecutive main pieces of a query belong to one concept: single Han
/// characters typed together (a name jieba does not know). Latin and digit pieces joined
/// by `.` or `-` are already one word (see the analyzer).
fn joinable(text: &str, a: &Piece, b: &Piece) -> bool {
    text.get(a.end..b.start) == Some("") && a.chars == 1 && b.chars == 1 && is_han(a) && is_han(b)
}

/// A single character typed right after a word at the end of what was typed (专项 + 债):
/// the start of a longer word the articles may have (专项债券), so the two become one
/// concept with a prefix alternative.
fn char_after_word(text: &str, word: &Piece, next: &Piece, words: &Words) -> bool {
    text.get(word.end..next.start) == Some("")
        && word.chars >= 2
        && is_han(word)
        && !words.is_stopword(&word.text)
        && next.chars == 1
        && is_han(next)
        && !words.is_stopword(&next.text)
}

/// Builds the concept of main pieces `group` (indices into `pieces`).
fn concept(pieces: &[Piece], group: &[usize], words: &Words) -> Concept {
    let base = pieces[group[0]].position;
    let exact: Alternative = group
        .iter()
        .map(|&i| (pieces[i].position - base, pieces[i].text.clone()))
        .collect();
    let mut alternatives = vec![(exact.clone(), 1.0)];
    // The finer alternative: every main piece replaced by the sub-words covering it.
    let mut finer: Alternative = Vec::new();
    let mut changed = false;
    for &i in group {
        // A number or code is matched whole: its parts in a row would also match across
        // other characters (3 and 5 in 3月5日).
        let compound = pieces[i].text.contains(['.', '-', '_', '/', ':', '+', '&', '%']);
        match cover(pieces, i).filter(|_| !compound) {
            Some(parts) => {
                changed = true;
                finer.extend(parts.into_iter().map(|(pos, t)| (pos - base, t)));
            }
            None => finer.push((pieces[i].position - base, pieces[i].text.clone())),
        }
    }
    if changed && finer.len() > 1 {
        alternatives.push((finer, COVER_WEIGHT));
    }
    // Characters typed together that the query's segmentation left single (回回, a name)
    // may be one word where an article's context let jieba join them.
    let single_chars = group.len() > 1 && group.iter().all(|&i| pieces[i].chars == 1 && is_han(&pieces[i]));
    let mut prefixes = Vec::new();
    if single_chars {
        let joined: String = group.iter().map(|&i| pieces[i].text.as_str()).collect();
        alternatives.push((vec![(0, joined.clone())], 1.0));
        // …or the start of a longer dictionary word (美团 in 美团网), or the last
        // character may have been joined to the next one (宏 瑞 通信 for 宏瑞通信守).
        prefixes.push(vec![(0, joined)]);
        prefixes.push(exact.clone());
    } else if group.len() == 2 && pieces[group[1]].chars == 1 {
        prefixes.push(exact.clone());
    }
    let weak = group.len() == 1 && pieces[group[0]].chars == 1 && is_han(&pieces[group[0]]);
    let stop = group.len() == 1 && words.is_stopword(&pieces[group[0]].text);
    Concept {
        alternatives,
        prefixes,
        position: Some(base),
        weak,
        stop,
        literal: None,
        text: String::new(),
        dropped: Vec::new(),
        synonyms: Vec::new(),
        number: None,
        not_within: Vec::new(),
        form_of: None,
    }
}

/// The leading digit words of a number concept matched by its literal string (`1000` of
/// `1000亿`, `1` `000` of `1,000亿元`), see [`Concept::number`]; `None` for one matched as
/// words already, or written in Chinese.
fn number_words(concept: &Concept) -> Option<Alternative> {
    concept.literal.as_ref()?;
    let (terms, _) = concept.alternatives.first()?;
    let digits: Alternative = terms
        .iter()
        .take_while(|(_, t)| t.starts_with(|c: char| c.is_ascii_digit()))
        .cloned()
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// The sub-pieces that cover main piece `i` end to end (longest first), if they do.
fn cover(pieces: &[Piece], i: usize) -> Option<Vec<(usize, String)>> {
    let main = &pieces[i];
    let subs: Vec<&Piece> = pieces[i + 1..].iter().take_while(|p| !p.main).collect();
    if subs.is_empty() {
        return None;
    }
    let mut at = main.position;
    let end = main.position + main.chars;
    let mut out = Vec::new();
    while at < end {
        let best = subs
            .iter()
            .filter(|p| p.position == at && p.position + p.chars <= end)
            .max_by_key(|p| p.chars)?;
        out.push((best.position, best.text.clone()));
        at += best.chars;
    }
    (out.len() > 1).then_some(out)
}

/// A concept's query: its literal string must occur (in `literal_field`), and its word
/// alternatives add to the score. Without a literal, the word alternatives decide.
fn literal_concept_query(
    concept: &Concept,
    fields: &[(Field, f32)],
    literal_field: Field,
    labels: &Labels,
) -> Box<dyn Query> {
    let own = form_query(concept, fields, literal_field, labels);
    if concept.synonyms.is_empty() {
        return own;
    }
    let own = if concept.synonyms.iter().any(Synonym::is_number) {
        // The typed form scores the better of its words and the floor; an added bonus
        // had counted the number twice against the other words typed (XQuAD-R's
        // "… 2000 年之前 …" questions ranked the sentence with 2000 first).
        let floor: Box<dyn Query> = Box::new(ConstScoreQuery::new(Box::new(AllQuery), NUMBER_TYPED_SCORE));
        let explained = labels.wrap(floor, || Label {
            kind: PartKind::NumberTyped,
            concept: concept.text.clone(),
            field: literal_field,
            terms: concept.literal.iter().map(|t| literal::normalize(t)).collect(),
            weight: 1.0,
            expansion: None,
        });
        Box::new(Floor::new(own, NUMBER_TYPED_SCORE, explained))
    } else {
        own
    };
    // The best form counts, not their sum: an article writing 中国人民银行 also holds
    // 人民银行, and would otherwise score twice for one mention.
    let mut forms = vec![own];
    for synonym in &concept.synonyms {
        let query = form_query(&synonym.concept, fields, literal_field, labels);
        if synonym.is_number() {
            // A constant hides what it wraps from an explanation: the label names it.
            let query = Box::new(ConstScoreQuery::new(query, NUMBER_FORM_SCORE));
            forms.push(labels.wrap(query, || Label {
                kind: PartKind::NumberForm,
                concept: synonym.concept.text.clone(),
                field: literal_field,
                terms: synonym.concept.literal.iter().map(|t| literal::normalize(t)).collect(),
                weight: 1.0,
                expansion: synonym.concept.form_of.clone(),
            }));
        } else {
            forms.push(Box::new(BoostQuery::new(query, synonym.weight)));
        }
    }
    Box::new(DisjunctionMaxQuery::new(forms))
}

/// The query of one form of a concept (see [`literal_concept_query`]).
fn form_query(concept: &Concept, fields: &[(Field, f32)], literal_field: Field, labels: &Labels) -> Box<dyn Query> {
    let Some(literal) = concept
        .literal
        .as_deref()
        .and_then(|text| literal_query(literal_field, text))
    else {
        let words = concept_query(concept, fields, true, labels);
        let longer = not_within(concept, literal_field);
        if longer.is_empty() {
            return words;
        }
        return Box::new(BooleanQuery::new(
            std::iter::once((Occur::Must, words)).chain(longer).collect(),
        ));
    };
    // Phrase prefixes only ever added recall (专项 + 债… for 专项债券), which the literal
    // gives now: checking them for every match would cost time for no change.
    let words = concept_query(concept, fields, false, labels);
    let number = concept.number.as_ref().map(|digits| number_query(digits, fields));
    let literal = labels.wrap(Box::new(BoostQuery::new(literal, LITERAL_WEIGHT)), || Label {
        kind: PartKind::Literal,
        concept: concept.text.clone(),
        field: literal_field,
        terms: concept.literal.iter().map(|t| literal::normalize(t)).collect(),
        weight: LITERAL_WEIGHT,
        expansion: concept.form_of.clone(),
    });
    let mut clauses = vec![(Occur::Must, literal), (Occur::Should, words)];
    clauses.extend(number.map(|q| (Occur::Must, q)));
    clauses.extend(not_within(concept, literal_field));
    Box::new(BooleanQuery::new(clauses))
}

/// The clauses leaving out articles with a longer number (see [`Concept::not_within`]).
fn not_within(concept: &Concept, literal_field: Field) -> Vec<(Occur, Box<dyn Query>)> {
    concept
        .not_within
        .iter()
        .filter_map(|longer| literal_query(literal_field, longer))
        .map(|q| (Occur::MustNot, q))
        .collect()
}

/// A number's digit words in any of `fields`, scoring nothing (see [`Concept::number`]).
fn number_query(digits: &Alternative, fields: &[(Field, f32)]) -> Box<dyn Query> {
    let any_field = fields
        .iter()
        .map(|&(field, _)| {
            let q: Box<dyn Query> = match digits.as_slice() {
                [(_, one)] => Box::new(TermQuery::new(
                    Term::from_field_text(field, one),
                    IndexRecordOption::Basic,
                )),
                _ => Box::new(PhraseQuery::new_with_offset(
                    digits
                        .iter()
                        .map(|(pos, t)| (*pos, Term::from_field_text(field, t)))
                        .collect(),
                )),
            };
            (Occur::Should, q)
        })
        .collect();
    Box::new(ConstScoreQuery::new(Box::new(BooleanQuery::new(any_field)), 0.0))
}

/// The query of a literal string in `field`: a chain of bigrams, one bigram, or for a
/// single character every token starting with it; `None` without word characters.
pub(crate) fn literal_query(field: Field, text: &str) -> Option<Box<dyn Query>> {
    match literal::pattern(text) {
        Pattern::Empty => None,
        Pattern::Prefix(c) => {
            let mut q = PhrasePrefixQuery::new_with_offset(vec![(0, Term::from_field_text(field, &c))]);
            // Every bigram starting with the character, however many: a cap would lose
            // articles without a word.
            q.set_max_expansions(u32::MAX);
            Some(Box::new(q))
        }
        Pattern::Terms(terms) if terms.len() == 1 => Some(Box::new(TermQuery::new(
            Term::from_field_text(field, &terms[0].1),
            IndexRecordOption::WithFreqs,
        ))),
        Pattern::Terms(terms) => Some(Box::new(PhraseQuery::new_with_offset(
            terms
                .into_iter()
                .map(|(pos, t)| (pos, Term::from_field_text(field, &t)))
                .collect(),
        ))),
    }
}

/// The label of one scoring clause of `concept` (see [`Labels`]).
fn label(kind: PartKind, concept: &Concept, field: Field, terms: &Alternative, weight: f32) -> Label {
    Label {
        kind,
        concept: concept.text.clone(),
        field,
        terms: terms.iter().map(|(_, t)| t.clone()).collect(),
        weight,
        expansion: concept.form_of.clone(),
    }
}

fn concept_query(concept: &Concept, fields: &[(Field, f32)], with_prefixes: bool, labels: &Labels) -> Box<dyn Query> {
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for &(field, field_boost) in fields {
        for (alternative, weight) in &concept.alternatives {
            let q: Box<dyn Query> = if alternative.len() == 1 {
                Box::new(Bm25TermQuery::new(Term::from_field_text(field, &alternative[0].1)))
            } else {
                let terms = alternative
                    .iter()
                    .map(|(pos, t)| (*pos, Term::from_field_text(field, t)))
                    .collect();
                Box::new(PhraseQuery::new_with_offset(terms))
            };
            let boost = field_boost * weight;
            let q: Box<dyn Query> = if (boost - 1.0).abs() > f32::EPSILON {
                Box::new(BoostQuery::new(q, boost))
            } else {
                q
            };
            let kind = if alternative.len() == 1 {
                PartKind::Word
            } else {
                PartKind::Phrase
            };
            let q = labels.wrap(q, || label(kind, concept, field, alternative, boost));
            should.push((Occur::Should, q));
        }
    }
    for &(field, field_boost) in fields.iter().filter(|_| with_prefixes) {
        for alternative in &concept.prefixes {
            let terms = alternative
                .iter()
                .map(|(pos, t)| (*pos, Term::from_field_text(field, t)))
                .collect();
            let q: Box<dyn Query> = Box::new(PhrasePrefixQuery::new_with_offset(terms));
            let q = labels.wrap(Box::new(BoostQuery::new(q, field_boost)), || {
                label(PartKind::Prefix, concept, field, alternative, field_boost)
            });
            should.push((Occur::Should, q));
        }
    }
    if should.len() == 1 {
        return should.pop().map(|(_, q)| q).unwrap_or_else(|| Box::new(EmptyQuery));
    }
    Box::new(BooleanQuery::new(should))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concepts(text: &str, phrase: bool) -> Vec<Vec<(Alternative, f32)>> {
        let schema = crate::schema::build();
        let fields = Fields::resolve(&schema).expect("xinwen schema");
        let analyzer = ChineseAnalyzer::default();
        let b = Builder::new(&fields, &analyzer, None);
        b.concepts(text, phrase).into_iter().map(|c| c.alternatives).collect()
    }

    fn alt(terms: &[(usize, &str)], w: f32) -> (Alternative, f32) {
        (terms.iter().map(|(p, t)| (*p, t.to_string())).collect(), w)
    }

    #[test]
    fn a_long_word_is_also_its_covering_words() {
        assert_eq!(
            concepts("人工智能", false),
            vec![vec![
                alt(&[(0, "人工智能")], 1.0),
                alt(&[(0, "人工"), (2, "智能")], COVER_WEIGHT)
            ]]
        );
    }

    #[test]
    fn unknown_names_are_phrases_of_characters() {
        assert_eq!(
            concepts("宏瑞通", false),
            vec![vec![
                alt(&[(0, "宏"), (1, "瑞"), (2, "通")], 1.0),
                alt(&[(0, "宏瑞通")], 1.0)
            ]]
        );
    }

    #[test]
    fn words_typed_together_are_separate_concepts() {
        assert_eq!(
            concepts("上海股市", false),
            vec![vec![alt(&[(0, "上海")], 1.0)], vec![alt(&[(0, "股市")], 1.0)]]
        );
    }

    #[test]
    fn dotted_codes_are_one_word() {
        assert_eq!(concepts("00700.HK", false), vec![vec![alt(&[(0, "00700.hk")], 1.0)]]);
        assert_eq!(
            concepts("iPhone15", false),
            vec![vec![
                alt(&[(0, "iphone15")], 1.0),
                alt(&[(0, "iphone"), (6, "15")], COVER_WEIGHT)
            ]]
        );
    }

    #[test]
    fn a_quoted_phrase_is_one_concept_with_offsets() {
        assert_eq!(
            concepts("上海 股市", true),
            vec![vec![alt(&[(0, "上海"), (2, "股市")], 1.0)]]
        );
    }
}
