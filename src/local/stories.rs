//! Reading stories back: the other matching copies of a collapsed hit, and every live
//! article of a story (`GET /api/stories/{id}`). A story is a term query on its id, so
//! it only ever lists live articles.

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use super::story::StoryId;
use crate::config::MAX_STORY_ARTICLES;
use crate::error::{IndexError, QueryError, Result};
use crate::post::{Article, format_date};
use crate::schema::{Fields, names};
use crate::search::StoryCopy;

/// Other copies listed with a collapsed hit, at most.
pub(crate) const MAX_OTHERS: usize = 10;

/// The query matching the articles of `story`.
fn story_query(fields: &Fields, story: StoryId) -> TermQuery {
    TermQuery::new(Term::from_field_u64(fields.story, story.0), IndexRecordOption::Basic)
}

/// Up to `limit` articles of `query`, oldest first (undated first, then by id for ties
/// of date: the order does not depend on segments).
fn oldest_first(
    searcher: &Searcher,
    fields: &Fields,
    query: &dyn Query,
    limit: usize,
) -> Result<Vec<(DocAddress, Article)>> {
    let top = searcher.search(
        query,
        &TopDocs::with_limit(limit).order_by_fast_field::<tantivy::DateTime>(names::DATE, Order::Asc),
    )?;
    let mut found = Vec::with_capacity(top.len());
    for (_, address) in top {
        let doc: TantivyDocument = searcher.doc(address)?;
        found.push((address, fields.from_doc(&doc)));
    }
    found.sort_by(|(_, a), (_, b)| a.date.cmp(&b.date).then_with(|| a.id.cmp(&b.id)));
    Ok(found)
}

/// The copies of the story `story` that also match `query`, but the one at `shown`,
/// newest first, at most [`MAX_OTHERS`].
pub(crate) fn others(
    searcher: &Searcher,
    fields: &Fields,
    query: &dyn Query,
    story: u64,
    shown: DocAddress,
) -> Result<Vec<StoryCopy>> {
    let both = BooleanQuery::new(vec![
        (Occur::Must, query.box_clone()),
        (
            Occur::Must,
            Box::new(story_query(fields, StoryId(story))) as Box<dyn Query>,
        ),
    ]);
    let top = searcher.search(
        &both,
        &TopDocs::with_limit(MAX_OTHERS + 1).order_by_fast_field::<tantivy::DateTime>(names::DATE, Order::Desc),
    )?;
    let mut copies = Vec::with_capacity(top.len());
    for (_, address) in top.into_iter().filter(|(_, a)| *a != shown).take(MAX_OTHERS) {
        let doc: TantivyDocument = searcher.doc(address)?;
        let article = fields.from_doc(&doc);
        copies.push(StoryCopy {
            id: article.id,
            source: article.source,
            date: article.date.map(format_date),
        });
    }
    Ok(copies)
}

/// The live articles of the story `id` (`s-` and hex), oldest first, at most
/// [`MAX_STORY_ARTICLES`]: [`QueryError::InvalidStory`] for a malformed id,
/// [`IndexError::UnknownStory`] when no live article carries it.
pub(crate) fn articles(searcher: &Searcher, fields: &Fields, id: &str) -> Result<Vec<Article>> {
    let story = StoryId::parse(id).ok_or_else(|| QueryError::InvalidStory { given: id.to_string() })?;
    let found = oldest_first(searcher, fields, &story_query(fields, story), MAX_STORY_ARTICLES)?;
    if found.is_empty() {
        return Err(IndexError::UnknownStory(id.to_string()).into());
    }
    Ok(found.into_iter().map(|(_, article)| article).collect())
}
