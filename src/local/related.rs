//! Related articles: a search for an article's most telling words (tf × idf), in the
//! bodies and, weighted double, the titles of the others.

use std::collections::BTreeMap;

use tantivy::collector::TopDocs;
use tantivy::query::{Bm25StatisticsProvider, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Searcher, TantivyDocument, Term};

use super::Engine;
use super::bm25::Bm25TermQuery;
use crate::analysis::ChineseAnalyzer;
use crate::config::MAX_RELATED;
use crate::error::Result;
use crate::post::Article;
use crate::search::related::{Related, cut};

/// The words of an article searched for its related articles.
const RELATED_TERMS: usize = 25;

/// A word in more than this share of the articles (in percent) is too common to relate two.
const RELATED_MAX_DF_PERCENT: u64 = 10;

/// A word in at most this many articles per thousand (and at least
/// [`DISTINCTIVE_MIN_DF`]) is distinctive: a name like 顺丰, not boilerplate like 知情人士.
const DISTINCTIVE_MAX_DF_PERMILLE: u64 = 5;

/// The document frequency below which a word is always distinctive, so a small index
/// still has distinctive words.
const DISTINCTIVE_MIN_DF: u64 = 10;

/// How much a word in a related article's title counts against one in its body.
pub(crate) const RELATED_TITLE_WEIGHT: f32 = 2.0;

/// The characters of an article's body read for its telling words: a news story says what
/// it is about in its opening, and segmenting the whole of a multi-megabyte article on every
/// request took seconds (issue 14). Most stories are shorter than this (新闻联播: p90 886).
pub const RELATED_BODY_CHARS: usize = 4000;

impl Engine {
    /// Up to `limit` articles most like article `id`, best first, with their scores: those
    /// with most of its telling words, in the body or (counting double) the title, and at
    /// least one of its distinctive words; the article itself and its syndicated copies
    /// ([`Engine::related_exclusions`]) left out, weak matches cut
    /// ([`crate::search::related::cut`]). The same index always gives the same list.
    pub fn related(&self, id: &str, limit: usize) -> Result<Vec<Related>> {
        let searcher = self.reader.searcher();
        let article = self.find(&searcher, id)?;
        let terms = self.related_terms(&searcher, &article)?;
        let distinctive: Vec<&TellingWord> = terms.iter().filter(|t| t.distinctive).collect();
        if distinctive.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses = self.telling_clauses(terms.iter());
        // A candidate shares at least one distinctive word; sharing it adds nothing more
        // than the Should clauses already give.
        let any_distinctive = BooleanQuery::new(self.telling_clauses(distinctive.into_iter()));
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(any_distinctive), 0.0)),
        ));
        let own = self.own_score(&searcher, id, &terms)?;
        let story = self
            .story_of(id)?
            .as_deref()
            .and_then(crate::local::story::StoryId::parse);
        for exclusion in self.related_exclusions(id, &article, story) {
            clauses.push((Occur::MustNot, exclusion));
        }
        let limit = limit.clamp(1, MAX_RELATED);
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            out.push(Related {
                article: self.fields.from_doc(&doc),
                score,
            });
        }
        Ok(cut(out, own))
    }

    /// The articles never related to `article`: itself, its syndicated copies (same
    /// title) and the other copies of its story (the same item under other headlines).
    fn related_exclusions(
        &self,
        id: &str,
        article: &Article,
        story: Option<crate::local::story::StoryId>,
    ) -> Vec<Box<dyn Query>> {
        let own_key = Term::from_field_u64(self.fields.title_key, crate::post::title_key(&article.title));
        let mut out: Vec<Box<dyn Query>> = vec![
            Box::new(self.id_query(id)),
            Box::new(TermQuery::new(own_key, IndexRecordOption::Basic)),
        ];
        if let Some(story) = story {
            let term = Term::from_field_u64(self.fields.story, story.0);
            out.push(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
        }
        out
    }

    /// One Should clause per word and field: the body, and the title counting
    /// [`RELATED_TITLE_WEIGHT`] times.
    fn telling_clauses<'a>(&self, terms: impl Iterator<Item = &'a TellingWord>) -> Vec<(Occur, Box<dyn Query>)> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in terms {
            let body = Bm25TermQuery::new(Term::from_field_text(self.fields.body, &word.text));
            let title = Bm25TermQuery::new(Term::from_field_text(self.fields.title, &word.text));
            clauses.push((Occur::Should, Box::new(body)));
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(title), RELATED_TITLE_WEIGHT)),
            ));
        }
        clauses
    }

    /// The score the related query gives the article itself: the yardstick of the cut.
    fn own_score(&self, searcher: &Searcher, id: &str, terms: &[TellingWord]) -> Result<f32> {
        let mut clauses = self.telling_clauses(terms.iter());
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(self.id_query(id)), 0.0)),
        ));
        let top = searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(1).order_by_score())?;
        Ok(top.first().map_or(0.0, |(score, _)| *score))
    }

    /// The words that characterise `article` ([`telling_words`]), with this index's
    /// document frequencies over the bodies.
    fn related_terms(&self, searcher: &Searcher, article: &Article) -> Result<Vec<TellingWord>> {
        // Document frequencies count deleted articles until segments merge; so does this total.
        let docs = searcher.total_num_docs()?;
        telling_words(candidate_words(&self.analyzer, article), docs, |text| {
            Ok(searcher.doc_freq(&Term::from_field_text(self.fields.body, text))?)
        })
    }
}

/// The words of an article that may tell it apart, with their counts: the words of the
/// main segmentation of its title and of the first [`RELATED_BODY_CHARS`] characters of
/// its body (no single characters, no bare numbers, none of the words of its source's
/// name). Shared by every backend.
pub(crate) fn candidate_words(analyzer: &ChineseAnalyzer, article: &Article) -> BTreeMap<String, u32> {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let body = match article.body.char_indices().nth(RELATED_BODY_CHARS) {
        Some((end, _)) => &article.body[..end],
        None => &article.body,
    };
    for text in [article.title.as_str(), body] {
        for piece in analyzer.analyze(text) {
            if !piece.main || piece.text.chars().count() < 2 || piece.text.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
            *counts.entry(piece.text).or_default() += 1;
        }
    }
    // An outlet signs its flashes (（东岸快讯）): its name relates everything it carries.
    if let Some(source) = &article.source {
        for piece in analyzer.analyze(source) {
            counts.remove(&piece.text);
        }
    }
    counts
}

/// One of an article's telling words.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TellingWord {
    /// The word.
    pub(crate) text: String,
    /// Its count in the article × its idf.
    pub(crate) weight: f64,
    /// Whether it is rare enough to make two articles related on its own
    /// ([`DISTINCTIVE_MAX_DF_PERMILLE`]).
    pub(crate) distinctive: bool,
}

/// The words that characterise an article, best first: each of its [`candidate_words`]
/// weighted by its count × its idf among `docs` articles (`df` gives a word's document
/// frequency), leaving out the words too common to tell stories apart (in more than
/// [`RELATED_MAX_DF_PERCENT`]% of articles) and those no other article has.
/// Ties go to the word that sorts first, so the choice never depends on hashing (tantivy's
/// `MoreLikeThisQuery` broke ties at random).
pub(crate) fn telling_words(
    counts: BTreeMap<String, u32>,
    docs: u64,
    mut df: impl FnMut(&str) -> Result<u64>,
) -> Result<Vec<TellingWord>> {
    // At least 2, so a small index still finds words.
    let max_df = (docs * RELATED_MAX_DF_PERCENT / 100).max(2);
    let distinctive_df = (docs * DISTINCTIVE_MAX_DF_PERMILLE / 1000).max(DISTINCTIVE_MIN_DF);
    let mut weighted = Vec::with_capacity(counts.len());
    for (text, tf) in counts {
        let df = df(&text)?;
        if !(2..=max_df).contains(&df) {
            continue;
        }
        let distinctive = df <= distinctive_df;
        let df = df.min(docs) as f64;
        let idf = (1.0f64 + (docs as f64 - df + 0.5) / (df + 0.5)).ln();
        weighted.push(TellingWord {
            text,
            weight: f64::from(tf) * idf,
            distinctive,
        });
    }
    weighted.sort_by(|a, b| b.weight.total_cmp(&a.weight).then_with(|| a.text.cmp(&b.text)));
    weighted.truncate(RELATED_TERMS);
    Ok(weighted)
}
