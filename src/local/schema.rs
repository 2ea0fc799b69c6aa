//! The index schema: the only place field names appear. [`Article`] → tantivy document and
//! stored document → [`Article`] again.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, OwnedValue, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::{DateTime, TantivyDocument};

use crate::analysis::TOKENIZER;
use crate::fold;
use crate::post::{Article, title_key};

/// The fields of a xinwen index, resolved once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// The stable id: exact (jobs list ids from its terms), stored.
    pub id: Field,
    /// Source URL: stored only.
    pub url: Field,
    /// Headline: analysed with positions, stored.
    pub title: Field,
    /// Body text: analysed with positions, stored.
    pub body: Field,
    /// Tags as searchable text (analysed), but only those the title does not already say.
    pub tags: Field,
    /// Tags as exact values as written: stored for display, fast for facet counts.
    pub tag: Field,
    /// Tags folded (case, width, script), for filters.
    pub tag_key: Field,
    /// Categories as exact values as written: stored, for facet counts.
    pub category: Field,
    /// Categories folded, for filters.
    pub category_key: Field,
    /// Publication time: indexed for ranges, fast for sorting, stored.
    pub date: Field,
    /// Publisher: stored.
    pub source: Field,
    /// Hash of everything indexed, to skip unchanged articles on re-runs.
    pub hash: Field,
    /// Hash of the folded title: collapses syndicated copies, finds pasted headlines.
    pub title_key: Field,
    /// Which copy of its id a job added (see [`Fields::stamp`]).
    pub rev: Field,
    /// The file the article came from (see [`Fields::stamp`]).
    pub origin: Field,
    /// Title, tags and body as literal bigrams ([`crate::literal`]): what a string must
    /// match, whatever the segmentation.
    pub lit: Field,
    /// The title alone as literal bigrams, for `title:"…"`.
    pub title_lit: Field,
    /// The story ([`crate::local::story`]): indexed (a story's articles), stored, fast
    /// (collapsing).
    pub story: Field,
    /// The LSH bands of the body's signature, indexed: where a job looks for copies.
    pub story_band: Field,
    /// The body's MinHash signature, stored: verifies a candidate copy.
    pub story_sig: Field,
}

/// Field names, public for the code that reads fast fields by name.
pub mod names {
    /// See [`super::Fields::id`].
    pub const ID: &str = "id";
    /// See [`super::Fields::tag`].
    pub const TAG: &str = "tag";
    /// See [`super::Fields::category`].
    pub const CATEGORY: &str = "category";
    /// See [`super::Fields::date`].
    pub const DATE: &str = "date";
    /// See [`super::Fields::hash`].
    pub const HASH: &str = "hash";
    /// See [`super::Fields::title_key`].
    pub const TITLE_KEY: &str = "title_key";
    /// See [`super::Fields::rev`].
    pub const REV: &str = "rev";
    /// See [`super::Fields::origin`].
    pub const ORIGIN: &str = "origin";
    /// See [`super::Fields::story`].
    pub const STORY: &str = "story";
}

/// Builds the schema.
pub fn build() -> Schema {
    let mut b = Schema::builder();
    let analysed = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    b.add_text_field(names::ID, STRING | STORED);
    b.add_text_field("url", STORED);
    b.add_text_field("title", analysed.clone());
    b.add_text_field("body", analysed.clone());
    let analysed_unstored = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    b.add_text_field("tags", analysed_unstored);
    b.add_text_field(names::TAG, STORED | FAST);
    b.add_text_field("tag_key", STRING);
    b.add_text_field(names::CATEGORY, STORED | FAST);
    b.add_text_field("category_key", STRING);
    b.add_date_field(
        names::DATE,
        DateOptions::default()
            .set_indexed()
            .set_fast()
            .set_stored()
            .set_precision(DateTimePrecision::Seconds),
    );
    b.add_text_field("source", STORED);
    b.add_u64_field(names::HASH, FAST);
    b.add_u64_field(names::TITLE_KEY, INDEXED | FAST);
    b.add_u64_field(names::REV, FAST);
    b.add_u64_field(names::ORIGIN, FAST);
    // Positions are needed (a literal is a chain of bigrams); term frequencies give the
    // literal match its small score.
    let literal = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(crate::literal::TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    b.add_text_field("lit", literal.clone());
    b.add_text_field("title_lit", literal);
    b.add_u64_field(names::STORY, INDEXED | STORED | FAST);
    b.add_u64_field("story_band", INDEXED);
    b.add_bytes_field("story_sig", STORED);
    b.build()
}

impl Fields {
    /// Resolves the fields of `schema`; `None` when it is not a xinwen schema.
    pub fn resolve(schema: &Schema) -> Option<Fields> {
        let f = |name: &str| schema.get_field(name).ok();
        Some(Fields {
            id: f(names::ID)?,
            url: f("url")?,
            title: f("title")?,
            body: f("body")?,
            tags: f("tags")?,
            tag: f(names::TAG)?,
            tag_key: f("tag_key")?,
            category: f(names::CATEGORY)?,
            category_key: f("category_key")?,
            date: f(names::DATE)?,
            source: f("source")?,
            hash: f(names::HASH)?,
            title_key: f(names::TITLE_KEY)?,
            rev: f(names::REV)?,
            origin: f(names::ORIGIN)?,
            lit: f("lit")?,
            title_lit: f("title_lit")?,
            story: f(names::STORY)?,
            story_band: f("story_band")?,
            story_sig: f("story_sig")?,
        })
    }

    /// The tantivy document for `article`.
    pub fn to_doc(&self, article: &Article) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(self.id, &article.id);
        if let Some(url) = &article.url {
            doc.add_text(self.url, url);
        }
        doc.add_text(self.title, &article.title);
        doc.add_text(self.body, &article.body);
        // Separate values, so a literal never runs from the title into a tag or the body.
        doc.add_text(self.lit, &article.title);
        doc.add_text(self.title_lit, &article.title);
        let folded_title = fold::fold_value(&article.title);
        for tag in &article.tags {
            let key = fold::fold_value(tag);
            // A tag the headline already says (news sites often tag a story with its own
            // headline) adds nothing searchable: analysing it again only costs time.
            if !folded_title.contains(&key) {
                doc.add_text(self.tags, tag);
                doc.add_text(self.lit, tag);
            }
            doc.add_text(self.tag, tag);
            doc.add_text(self.tag_key, key);
        }
        doc.add_text(self.lit, &article.body);
        for category in &article.categories {
            doc.add_text(self.category, category);
            doc.add_text(self.category_key, fold::fold_value(category));
        }
        if let Some(date) = article.date {
            doc.add_date(self.date, DateTime::from_utc(date));
        }
        if let Some(source) = &article.source {
            doc.add_text(self.source, source);
        }
        doc.add_u64(self.hash, article.content_hash());
        doc.add_u64(self.title_key, title_key(&article.title));
        doc
    }

    /// Marks a document with its rev, a number no other document of the index has (a job
    /// keeps the last copy of an id it added by its rev and deletes the others), and with
    /// its origin, the file it came from (a prune keeps the articles of a file it could
    /// not read completely).
    pub fn stamp(&self, doc: &mut TantivyDocument, rev: u64, origin: u64) {
        doc.add_u64(self.rev, rev);
        doc.add_u64(self.origin, origin);
    }

    /// Marks a document with its story and, when it has one, its signature and bands.
    pub(crate) fn mark_story(&self, doc: &mut TantivyDocument, assigned: &crate::local::story::Assigned) {
        doc.add_u64(self.story, assigned.story.0);
        if let Some(signature) = &assigned.signature {
            for band in signature.bands() {
                doc.add_u64(self.story_band, band);
            }
            doc.add_bytes(self.story_sig, &signature.to_bytes());
        }
    }

    /// The story of a stored document, `s-` and hex.
    pub fn story_of(&self, doc: &TantivyDocument) -> Option<String> {
        let story = doc.get_first(self.story).and_then(|v| v.as_u64())?;
        Some(crate::local::story::StoryId(story).to_string())
    }

    /// The stored fields of a document.
    pub fn from_doc(&self, doc: &TantivyDocument) -> Article {
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).map(str::to_string);
        let texts = |field: Field| {
            doc.get_all(field)
                .filter_map(|v| v.as_str())
                .map(str::to_string)
                .collect()
        };
        Article {
            id: text(self.id).unwrap_or_default(),
            url: text(self.url),
            title: text(self.title).unwrap_or_default(),
            body: text(self.body).unwrap_or_default(),
            tags: texts(self.tag),
            categories: texts(self.category),
            date: doc.get_first(self.date).and_then(|v| match OwnedValue::from(v) {
                OwnedValue::Date(d) => Some(d.into_utc()),
                _ => None,
            }),
            source: text(self.source),
        }
    }
}
