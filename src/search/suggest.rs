//! Search-as-you-type completions and related articles.
//!
//! Completions come straight from the term dictionaries of the title and tag fields: the
//! words that start with what the user is typing, most frequent first. Nothing is
//! precomputed, so new articles appear in completions as soon as they are searchable.

use std::collections::HashMap;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, MoreLikeThisQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{TantivyDocument, Term};

use super::Engine;
use crate::error::Result;
use crate::fold;
use crate::schema::StoredArticle;

/// The most completions returned.
pub const MAX_SUGGESTIONS: usize = 10;

/// Dictionary terms scanned per field and segment at most, so a one-letter prefix stays fast.
const MAX_SCANNED_TERMS: usize = 20_000;

/// The most related articles returned.
pub const MAX_RELATED: usize = 10;

impl Engine {
    /// Up to `limit` completions of the last word of `partial` (the words before it are kept).
    pub fn suggest(&self, partial: &str, limit: usize) -> Result<Vec<String>> {
        let len = partial.chars().count();
        if len > crate::config::MAX_QUERY_CHARS {
            return Err(crate::error::QueryError::TooLong {
                len,
                max: crate::config::MAX_QUERY_CHARS,
            }
            .into());
        }
        let trimmed = partial.trim_start();
        let (head, last) = match trimmed.rfind(char::is_whitespace) {
            Some(i) if !trimmed.ends_with(char::is_whitespace) => (&trimmed[..i], &trimmed[i..]),
            Some(_) => return Ok(Vec::new()),
            None => ("", trimmed),
        };
        let prefix = fold::fold_value(last);
        if prefix.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let mut weights: HashMap<String, u64> = HashMap::new();
        let mut upper = prefix.clone().into_bytes();
        upper.push(0xFF);
        for segment in searcher.segment_readers() {
            for (field, boost) in [(self.fields.title, 1u64), (self.fields.tag_key, 3u64)] {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted
                    .terms()
                    .range()
                    .ge(prefix.as_bytes())
                    .lt(&upper)
                    .into_stream()
                    .map_err(|source| crate::error::IndexError::Io {
                        context: "cannot read the term dictionary".into(),
                        source,
                    })?;
                let mut scanned = 0;
                while scanned < MAX_SCANNED_TERMS && stream.advance() {
                    scanned += 1;
                    let Ok(word) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if word.chars().count() < 2 || word.chars().all(|c| c.is_ascii_digit()) {
                        continue;
                    }
                    *weights.entry(word.to_string()).or_default() += u64::from(stream.value().doc_freq) * boost;
                }
            }
        }
        let mut ranked: Vec<(String, u64)> = weights.into_iter().collect();
        ranked.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| a.0.chars().count().cmp(&b.0.chars().count()))
                .then_with(|| a.0.cmp(&b.0))
        });
        let head = head.trim_end();
        Ok(ranked
            .into_iter()
            .take(limit.min(MAX_SUGGESTIONS))
            .map(|(word, _)| {
                if head.is_empty() {
                    word
                } else {
                    format!("{head} {word}")
                }
            })
            .collect())
    }

    /// Up to `limit` articles most like article `id` (tantivy's more-like-this over title and
    /// body), the article itself and its syndicated copies left out.
    pub fn related(&self, id: &str, limit: usize) -> Result<Vec<StoredArticle>> {
        let searcher = self.reader.searcher();
        let id_term = Term::from_field_text(self.fields.id, id);
        let by_id = TermQuery::new(id_term.clone(), IndexRecordOption::Basic);
        let Some((_, address)) = searcher
            .search(&by_id, &TopDocs::with_limit(1).order_by_score())?
            .first()
            .copied()
        else {
            return Err(crate::error::IndexError::UnknownId(id.to_string()).into());
        };
        let doc: TantivyDocument = searcher.doc(address)?;
        let article = self.fields.from_doc(&doc);
        let like = MoreLikeThisQuery::builder()
            .with_min_doc_frequency(2)
            .with_max_doc_frequency((searcher.num_docs() / 10).max(2))
            .with_min_term_frequency(1)
            .with_max_query_terms(25)
            .with_min_word_length(2)
            .with_document(address);
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(like) as Box<dyn Query>),
            (Occur::MustNot, Box::new(by_id)),
        ]);
        let limit = limit.clamp(1, MAX_RELATED);
        // Syndicated copies of the same story (same title) are not "related": skip them.
        let own_key = crate::schema::title_key(&article.title);
        let top = searcher.search(&query, &TopDocs::with_limit(limit * 3).order_by_score())?;
        let mut out = Vec::with_capacity(limit);
        for (_, address) in top {
            let key = searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .u64(crate::schema::names::TITLE_KEY)?
                .first(address.doc_id);
            if key == Some(own_key) {
                continue;
            }
            let doc: TantivyDocument = searcher.doc(address)?;
            out.push(self.fields.from_doc(&doc));
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }
}
