//! Search-as-you-type completions.
//!
//! Completions come straight from the term dictionaries of the title and tag fields: the
//! words that start with what the user is typing, most frequent first. Nothing is
//! precomputed, so new articles appear in completions as soon as they are searchable.

use std::collections::HashMap;

use super::Engine;
use crate::error::Result;
use crate::fold;

use crate::config::MAX_SUGGESTIONS;

/// Dictionary terms scanned per field and segment at most, so a one-letter prefix stays fast.
const MAX_SCANNED_TERMS: usize = 20_000;

impl Engine {
    /// Up to `limit` completions of the last word of `partial` (the words before it are kept).
    pub fn suggest(&self, partial: &str, limit: usize) -> Result<Vec<String>> {
        let Some((head, prefix)) = split_partial(partial)? else {
            return Ok(Vec::new());
        };
        let searcher = self.reader.searcher();
        let mut weights: HashMap<String, u64> = HashMap::new();
        let mut upper = prefix.clone().into_bytes();
        upper.push(0xFF);
        for segment in searcher.segment_readers() {
            for (field, boost) in [(self.fields.title, TITLE_WEIGHT), (self.fields.tag_key, TAG_WEIGHT)] {
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
                    if !suggestible(word) {
                        continue;
                    }
                    *weights.entry(word.to_string()).or_default() += u64::from(stream.value().doc_freq) * boost;
                }
            }
        }
        Ok(ranked(weights, head, limit))
    }
}

/// What an article's title word counts towards a completion, per article.
pub(crate) const TITLE_WEIGHT: u64 = 1;

/// What one of its tags counts: a tag is what an editor chose to name the story.
pub(crate) const TAG_WEIGHT: u64 = 3;

/// `partial` as the words before the last (kept as typed) and the folded last word, or
/// `None` when there is nothing to complete. Shared by every backend.
pub(crate) fn split_partial(partial: &str) -> Result<Option<(&str, String)>> {
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
        Some(_) => return Ok(None),
        None => ("", trimmed),
    };
    let prefix = fold::fold_value(last);
    Ok((!prefix.is_empty()).then_some((head, prefix)))
}

/// Whether a word may be offered: no single characters, no bare numbers.
pub(crate) fn suggestible(word: &str) -> bool {
    word.chars().count() >= 2 && !word.chars().all(|c| c.is_ascii_digit())
}

/// The completions, heaviest first (then shortest, then in order), `head` before each.
pub(crate) fn ranked(weights: HashMap<String, u64>, head: &str, limit: usize) -> Vec<String> {
    let mut ranked: Vec<(String, u64)> = weights.into_iter().collect();
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| a.0.chars().count().cmp(&b.0.chars().count()))
            .then_with(|| a.0.cmp(&b.0))
    });
    let head = head.trim_end();
    ranked
        .into_iter()
        .take(limit.min(MAX_SUGGESTIONS))
        .map(|(word, _)| {
            if head.is_empty() {
                word
            } else {
                format!("{head} {word}")
            }
        })
        .collect()
}
