//! What a search asks for, whatever backend answers it: [`SearchRequest`] as a front door
//! builds it from user input, and [`ParsedRequest`], the same request checked and with its
//! query text parsed once, which is what a [`crate::backend::SearchBackend`] is given.

use serde::Serialize;
use time::OffsetDateTime;

use super::cursor::Cursor;
use super::query::{self, ParsedQuery};
use crate::config::{DEFAULT_LIMIT, MAX_DEPTH, MAX_LIMIT, SNIPPET_CHARS};
use crate::error::QueryError;
use crate::post::date::{BEIJING, parse_bound};
use crate::post::format_date;

pub(crate) use crate::config::MAX_RECENCY_DAYS;

/// How hits are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Best match first (BM25, title and tags weighted); newer first among equals.
    #[default]
    Relevance,
    /// Newest first.
    Date,
}

impl std::str::FromStr for Sort {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, QueryError> {
        match s {
            "relevance" | "" => Ok(Sort::Relevance),
            "date" => Ok(Sort::Date),
            other => Err(QueryError::InvalidSort {
                given: other.to_string(),
            }),
        }
    }
}

/// Which copies collapse into one result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Collapse {
    /// Every matching article is a hit.
    #[default]
    None,
    /// One result per folded title (syndicated copies under one headline).
    Title,
    /// One result per story: copies of one item under any headline (near-duplicate bodies).
    Story,
}

impl std::str::FromStr for Collapse {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, QueryError> {
        match s.trim() {
            "" | "none" => Ok(Collapse::None),
            "title" => Ok(Collapse::Title),
            "story" => Ok(Collapse::Story),
            other => Err(QueryError::InvalidCollapse {
                given: other.to_string(),
            }),
        }
    }
}

impl Collapse {
    /// What a collapsed `total` counts, for the response.
    pub fn counts(self) -> Option<&'static str> {
        match self {
            Collapse::None => None,
            Collapse::Title => Some("titles"),
            Collapse::Story => Some("stories"),
        }
    }
}

/// A search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    /// The query text (see [`query`] for the language).
    pub query: String,
    /// Tag, category and date filters.
    pub filters: Filters,
    /// Hits to return.
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
    /// Order.
    pub sort: Sort,
    /// Whether to count facets.
    pub facets: bool,
    /// Snippet length in characters; 0 for no snippets (ranking only).
    pub snippet_chars: usize,
    /// One result per title or per story, with the number of copies (syndicated news).
    pub collapse: Collapse,
    /// Favour fresh articles: a score is multiplied by up to 2, halving with every this
    /// many days of age (relevance order only; off by default).
    pub recency_days: Option<f64>,
    /// The moment ages are measured from (tests); now when `None`.
    pub now: Option<OffsetDateTime>,
    /// Give each hit an explanation of its score (`explain=true`, `--explain`).
    pub explain: bool,
    /// Continue a walk after the last hit of an earlier page (instead of `offset`).
    pub cursor: Option<Cursor>,
}

impl SearchRequest {
    /// A request for `query` with the defaults.
    pub fn new(query: impl Into<String>) -> Self {
        SearchRequest {
            query: query.into(),
            filters: Filters::default(),
            limit: DEFAULT_LIMIT,
            offset: 0,
            sort: Sort::Relevance,
            facets: false,
            snippet_chars: SNIPPET_CHARS,
            collapse: Collapse::None,
            recency_days: None,
            now: None,
            explain: false,
            cursor: None,
        }
    }

    /// Checks the limits: 1 ≤ limit ≤ [`MAX_LIMIT`], offset + limit ≤ [`MAX_DEPTH`] (a
    /// cursor has no depth limit, and no offset), dates in order, a cursor made for this
    /// request.
    pub fn validate(&self) -> Result<(), QueryError> {
        if self.limit == 0 || self.limit > MAX_LIMIT {
            return Err(QueryError::InvalidLimit {
                given: self.limit,
                max: MAX_LIMIT,
            });
        }
        if let Some(cursor) = &self.cursor {
            if self.offset > 0 {
                return Err(QueryError::InvalidCursor {
                    reason: "a cursor continues a walk by itself; give it without `page` (`--offset`)".into(),
                });
            }
            cursor.check(self)?;
        }
        if self.offset.saturating_add(self.limit) > MAX_DEPTH {
            return Err(QueryError::TooDeep { max: MAX_DEPTH });
        }
        if let Some(days) = self.recency_days
            && !(days > 0.0 && days <= MAX_RECENCY_DAYS)
        {
            return Err(QueryError::InvalidRecency {
                days,
                max: MAX_RECENCY_DAYS,
            });
        }
        if let (Some(from), Some(to)) = (self.filters.from, self.filters.to)
            && from > to
        {
            return Err(QueryError::EmptyDateRange {
                from: format_date(from),
                to: format_date(to),
            });
        }
        Ok(())
    }
}

/// Parses a `from`/`to` bound: `YYYY-MM-DD` (a `to` date covers that whole day) or RFC 3339.
pub fn parse_date_filter(name: &'static str, raw: &str, upper: bool) -> Result<OffsetDateTime, QueryError> {
    let invalid = || QueryError::InvalidDate {
        name,
        value: raw.to_string(),
    };
    let at = parse_bound(raw).ok_or_else(invalid)?;
    let date_only = raw.trim().len() <= 10;
    if upper && date_only {
        let end = at.to_offset(BEIJING).replace_time(time::Time::MIDNIGHT) + time::Duration::days(1)
            - time::Duration::seconds(1);
        return Ok(end);
    }
    Ok(at)
}

/// Filters outside the query text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Any of these tags (folded by the builder).
    pub tags: Vec<String>,
    /// Any of these categories.
    pub categories: Vec<String>,
    /// Not before (inclusive).
    pub from: Option<time::OffsetDateTime>,
    /// Not after (inclusive).
    pub to: Option<time::OffsetDateTime>,
}

impl Filters {
    /// True when no filter is set.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.categories.is_empty() && self.from.is_none() && self.to.is_none()
    }
}

/// A [`SearchRequest`] whose parameters are checked and whose query text is parsed: a
/// backend translates `query`, never the raw text. Building one is the only way to get
/// one, so every backend sees the same errors for the same input.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRequest {
    /// The request as given (its `query` is the raw text, echoed in the answer).
    pub request: SearchRequest,
    /// The parsed query.
    pub query: ParsedQuery,
}

impl ParsedRequest {
    /// Checks `request` ([`SearchRequest::validate`]) and parses its query; a query with
    /// nothing to search for and no filter is [`QueryError::Empty`].
    pub fn new(request: SearchRequest) -> Result<Self, QueryError> {
        request.validate()?;
        let query = query::parse(&request.query)?;
        if query.is_match_all() && query.excluded.is_empty() && request.filters.is_empty() {
            return Err(QueryError::Empty);
        }
        Ok(ParsedRequest { request, query })
    }
}

impl TryFrom<SearchRequest> for ParsedRequest {
    type Error = QueryError;

    fn try_from(request: SearchRequest) -> Result<Self, QueryError> {
        ParsedRequest::new(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn a_request_is_checked_before_it_is_parsed() {
        let deep = SearchRequest {
            offset: MAX_DEPTH,
            ..SearchRequest::new("(")
        };
        assert_eq!(
            ParsedRequest::new(deep).err().map(|e| e.code().name()),
            Some("invalid_page")
        );
        assert_eq!(
            ParsedRequest::new(SearchRequest::new("  ")).err(),
            Some(QueryError::Empty)
        );
        let parsed = ParsedRequest::new(SearchRequest::new("上海 -期货")).expect("parses");
        assert_eq!(parsed.request.query, "上海 -期货");
        assert_eq!(parsed.query, query::parse("上海 -期货").expect("parses"));
    }
}
