//! Related articles: a search for an article's most telling words (tf × idf), in the
//! bodies and, weighted double, the titles of the others.

use std::collections::BTreeMap;

use tantivy::collector::TopDocs;
use tantivy::query::{Bm25StatisticsProvider, BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Searcher, TantivyDocument, Term};

use super::Engine;
use super::bm25::Bm25TermQuery;
use crate::analysis::ChineseAnalyzer;
use crate::config::MAX_RELATED;
use crate::error::Result;
use crate::post::Article;

/// The words of an article searched for its related articles.
const RELATED_TERMS: usize = 25;

/// A word in more than this share of the articles (in percent) is too common to relate two.
const RELATED_MAX_DF_PERCENT: u64 = 10;

/// How much a word in a related article's title counts against one in its body.
pub(crate) const RELATED_TITLE_WEIGHT: f32 = 2.0;

/// The characters of an article's body read for its telling words: a news story says what
/// it is about in its opening, and segmenting the whole of a multi-megabyte article on every
/// request took seconds (issue 14). Most stories are shorter than this (新闻联播: p90 886).
pub const RELATED_BODY_CHARS: usize = 4000;

impl Engine {
    /// Up to `limit` articles most like article `id`: those with most of its telling words,
    /// in the body or (counting double) the title; the article itself and its syndicated
    /// copies (same title) left out. The same index always gives the same list.
    pub fn related(&self, id: &str, limit: usize) -> Result<Vec<Article>> {
        let searcher = self.reader.searcher();
        let article = self.find(&searcher, id)?;
        let terms = self.related_terms(&searcher, &article)?;
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(terms.len() * 2 + 2);
        for (text, _) in &terms {
            let body = Bm25TermQuery::new(Term::from_field_text(self.fields.body, text));
            let title = Bm25TermQuery::new(Term::from_field_text(self.fields.title, text));
            clauses.push((Occur::Should, Box::new(body)));
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(title), RELATED_TITLE_WEIGHT)),
            ));
        }
        // Syndicated copies of the same story (same title) are not "related": leave them out.
        let own_key = Term::from_field_u64(self.fields.title_key, crate::post::title_key(&article.title));
        clauses.push((Occur::MustNot, Box::new(self.id_query(id))));
        clauses.push((
            Occur::MustNot,
            Box::new(TermQuery::new(own_key, IndexRecordOption::Basic)),
        ));
        let limit = limit.clamp(1, MAX_RELATED);
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        let mut out = Vec::with_capacity(top.len());
        for (_, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            out.push(self.fields.from_doc(&doc));
        }
        Ok(out)
    }

    /// The words that characterise `article` ([`telling_words`]), with this index's
    /// document frequencies over the bodies.
    fn related_terms(&self, searcher: &Searcher, article: &Article) -> Result<Vec<(String, f64)>> {
        // Document frequencies count deleted articles until segments merge; so does this total.
        let docs = searcher.total_num_docs()?;
        telling_words(candidate_words(&self.analyzer, article), docs, |text| {
            Ok(searcher.doc_freq(&Term::from_field_text(self.fields.body, text))?)
        })
    }
}

/// The words of an article that may tell it apart, with their counts: the words of the
/// main segmentation of its title and of the first [`RELATED_BODY_CHARS`] characters of
/// its body (no single characters, no bare numbers). Shared by every backend.
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
    counts
}

/// The words that characterise an article, best first, with their weights: each of its
/// [`candidate_words`] weighted by its count × its idf among `docs` articles (`df` gives
/// a word's document frequency), leaving out the words too common to tell stories apart
/// (in more than [`RELATED_MAX_DF_PERCENT`]% of articles) and those no other article has.
/// Ties go to the word that sorts first, so the choice never depends on hashing (tantivy's
/// `MoreLikeThisQuery` broke ties at random).
pub(crate) fn telling_words(
    counts: BTreeMap<String, u32>,
    docs: u64,
    mut df: impl FnMut(&str) -> Result<u64>,
) -> Result<Vec<(String, f64)>> {
    // At least 2, so a small index still finds words.
    let max_df = (docs * RELATED_MAX_DF_PERCENT / 100).max(2);
    let mut weighted = Vec::with_capacity(counts.len());
    for (text, tf) in counts {
        let df = df(&text)?;
        if !(2..=max_df).contains(&df) {
            continue;
        }
        let df = df.min(docs) as f64;
        let idf = (1.0f64 + (docs as f64 - df + 0.5) / (df + 0.5)).ln();
        weighted.push((text, f64::from(tf) * idf));
    }
    weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    weighted.truncate(RELATED_TERMS);
    Ok(weighted)
}
