//! The article: what every reader makes, every backend stores and every front door shows.
//! One type from input to answer, so a field added here reaches all of them; its JSON
//! forms and the hashes a backend keys it by are written once, here.

use serde_json::{Value, json};
use time::OffsetDateTime;
use xxhash_rust::xxh3::Xxh3;

use super::format_date;
use crate::fold;

/// One news article: read from a post or a JSONL record, and as a backend gives it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// The stable id (see [`super::id`]).
    pub id: String,
    /// The source link, when known.
    pub url: Option<String>,
    /// The headline.
    pub title: String,
    /// Clean text, paragraphs separated by `\n`.
    pub body: String,
    /// Publication time, when known.
    pub date: Option<OffsetDateTime>,
    /// Tags, in the order given, without duplicates.
    pub tags: Vec<String>,
    /// Categories, in the order given, without duplicates.
    pub categories: Vec<String>,
    /// The publisher, when known.
    pub source: Option<String>,
}

impl Article {
    /// The whole article as JSON: what `xinwen get --json` prints and
    /// `GET /api/articles/{id}` answers.
    pub fn to_json(&self) -> Value {
        let mut value = self.summary_json();
        value["source"] = json!(self.source);
        value["body"] = json!(self.body);
        value
    }

    /// The article as an entry of a story: id, publisher, date and headline.
    pub fn story_json(&self) -> Value {
        json!({
            "id": self.id,
            "source": self.source,
            "date": self.date.map(format_date),
            "title": self.title,
        })
    }

    /// The article without its body and publisher: an entry of a list (related articles).
    pub fn summary_json(&self) -> Value {
        json!({
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "date": self.date.map(format_date),
            "tags": self.tags,
            "categories": self.categories,
        })
    }

    /// A hash of everything the article puts in an index: equal hashes mean nothing to
    /// index again.
    pub fn content_hash(&self) -> u64 {
        let mut h = Xxh3::new();
        let mut put = |s: &str| {
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        };
        put(&self.id);
        put(self.url.as_deref().unwrap_or_default());
        put(&self.title);
        put(&self.body);
        put(&self.date.map(|d| d.unix_timestamp().to_string()).unwrap_or_default());
        for tag in &self.tags {
            put(tag);
        }
        put("\u{1f}");
        for category in &self.categories {
            put(category);
        }
        put("\u{1f}");
        put(self.source.as_deref().unwrap_or_default());
        h.digest()
    }
}

/// The key syndicated copies share: the folded title without spaces and punctuation. A
/// query whose text has an article's key is that article's pasted headline.
pub fn title_key(title: &str) -> u64 {
    let folded: String = title
        .chars()
        .map(fold::fold_full)
        .filter(|c| c.is_alphanumeric())
        .collect();
    xxhash_rust::xxh3::xxh3_64(folded.as_bytes())
}
