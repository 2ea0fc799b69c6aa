//! What a search answers, whatever backend answers it: plain values a front door renders
//! ([`SearchResponse`] of [`Hit`]s, [`Stats`], [`Health`]), with no engine type in them.

use serde::Serialize;

use super::categories::Categories;
use super::highlight::Highlighted;

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// Stable id.
    pub id: String,
    /// Source link.
    pub url: Option<String>,
    /// Headline.
    pub title: String,
    /// Publication time, RFC 3339 in Beijing time.
    pub date: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Categories.
    pub categories: Vec<String>,
    /// The readable name of each category, in the same order (the index's table; the
    /// code itself when the table has none).
    pub category_names: Vec<String>,
    /// Relevance score (0 when sorting by date).
    pub score: f32,
    /// With `collapse`: how many matching articles share this title (or story).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copies: Option<u32>,
    /// Its story id (`s-` and hex; a local index only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub story: Option<String>,
    /// With `collapse=story`: the other matching copies of the story, newest first, capped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub others: Option<Vec<StoryCopy>>,
    /// The headline, HTML-escaped, query words in `<mark>`.
    pub title_html: String,
    /// A snippet of the body, HTML-escaped, query words in `<mark>`.
    pub snippet_html: String,
    /// The headline's parts, for terminal rendering.
    #[serde(skip)]
    pub title_parts: Highlighted,
    /// The snippet's parts, for terminal rendering.
    #[serde(skip)]
    pub snippet_parts: Highlighted,
    /// With `explain`: why it scored what it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<super::explain::Explain>,
}

/// Another outlet's copy of a story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoryCopy {
    /// Its id.
    pub id: String,
    /// Its publisher.
    pub source: Option<String>,
    /// Its publication time, RFC 3339 in Beijing time.
    pub date: Option<String>,
}

/// The answer to a [`SearchRequest`](super::SearchRequest).
#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    /// The query as given.
    pub query: String,
    /// Exact number of matching articles (of titles or stories when collapsed).
    pub total: usize,
    /// With `collapse`: what `total` counts, `titles` or `stories` (facets always count
    /// articles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<&'static str>,
    /// Time spent, in milliseconds.
    pub took_ms: f64,
    /// The requested page of hits.
    pub hits: Vec<Hit>,
    /// Facet counts over all matches, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<Facets>,
    /// True when nothing matched all the words and the hits are the best partial matches.
    pub relaxed: bool,
    /// Some shards of a cluster did not answer: hits and total are the others' (never on
    /// a local index).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// Why the answer is partial, one line a node, the node named.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The cursor of the next page ([`crate::search::Cursor`]); `None` on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Figures about an index.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Live articles.
    pub articles: u64,
    /// Segments.
    pub segments: usize,
    /// Size on disk of the live generation.
    pub size_bytes: u64,
    /// Earliest article date.
    pub oldest: Option<String>,
    /// Latest article date.
    pub newest: Option<String>,
    /// The live generation.
    pub generation: String,
    /// When the live generation was last committed.
    pub last_commit: Option<String>,
    /// The stop words and synonyms queries are built with: counts and where they came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub words: Option<crate::search::words::WordStats>,
    /// The company aliases queries expand with: how many pairs and where edits came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aliases: Option<crate::search::words::AliasStats>,
}

/// What `GET /healthz` shows: whether the backend answers, and what it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// Live articles.
    pub articles: u64,
    /// What is served: the local index's live generation (`gen-000002`), or a backend's
    /// own name for its index.
    pub generation: String,
}

/// Counts per value, most frequent first (ties by value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Tag → matching articles.
    #[serde(serialize_with = "ordered")]
    pub tags: Vec<(String, u64)>,
    /// Category → matching articles.
    #[serde(serialize_with = "ordered")]
    pub categories: Vec<(String, u64)>,
    /// Category → its readable name, for each category listed, in the same order (a
    /// separate object, so `categories` keeps its `{value: count}` shape).
    #[serde(serialize_with = "ordered", skip_serializing_if = "Vec::is_empty")]
    pub category_names: Vec<(String, String)>,
}

impl SearchResponse {
    /// Names the categories of every hit and of the category facet from `table`.
    pub fn name_categories(&mut self, table: &Categories) {
        for hit in &mut self.hits {
            hit.category_names = table.names(&hit.categories);
        }
        if let Some(facets) = &mut self.facets {
            facets.category_names = facets
                .categories
                .iter()
                .map(|(code, _)| (code.clone(), table.name(code).to_string()))
                .collect();
        }
    }
}

/// Serializes the pairs as a JSON object, keeping their order.
fn ordered<S: serde::Serializer, V: Serialize>(pairs: &[(String, V)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k, v)?;
    }
    map.end()
}
