//! The JSON API endpoints, as plain async functions from the raw query string or path
//! segment to a JSON value or a JSON error; `mod.rs` joins them to warp routes. Searches
//! run on tokio's blocking pool, never on the async threads.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::state::Shared;
use crate::backend::SearchBackend;
use crate::config::{DEFAULT_LIMIT, MAX_DEPTH, MAX_LIMIT, MAX_RELATED, MAX_SUGGESTIONS};
use crate::error::{Code, ErrorCode, QueryError};
use crate::search::explain::{Analysis, AnalyzeMode};
use crate::search::{
    Collapse, Cursor, Facets, Filters, Hit, ParsedRequest, Related, SearchRequest, Sort, Stats, parse_date_filter,
};

pub use crate::config::MAX_QUERY_STRING;

/// Parameters of `GET /api/search`.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchParams {
    /// The request for the engine.
    pub request: SearchRequest,
    /// 1-based page.
    pub page: usize,
}

/// Runs `f` on tokio's blocking pool; a task that panicked is logged and answered 500.
pub(super) async fn off_async<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "blocking task failed");
        ApiError::internal()
    })?
}

/// Runs `f` with the backend on the blocking pool, once it is this request's turn.
pub(super) async fn blocking<T: Send + 'static>(
    shared: &Arc<Shared>,
    f: impl FnOnce(&dyn SearchBackend) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let _turn = shared.turn().await;
    let backend = shared.backend();
    off_async(move || f(backend.as_ref())).await
}

/// Splits a raw query string into decoded pairs, refusing oversized ones and values that
/// are not UTF-8 once percent-decoded (a lossy decode would search for U+FFFD).
///
/// Names are decoded lossily: they are only compared with the accepted names, so a name
/// that is not UTF-8 is refused as unknown.
pub fn pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    if raw.len() > MAX_QUERY_STRING {
        return Err(ApiError::new(
            Code::UriTooLong,
            format!("query string longer than {MAX_QUERY_STRING} bytes"),
        ));
    }
    raw.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            let name = String::from_utf8_lossy(&form_decode(name)).into_owned();
            match String::from_utf8(form_decode(value)) {
                Ok(value) => Ok((name, value)),
                Err(_) => Err(ApiError::new(
                    Code::InvalidEncoding,
                    format!("parameter `{name}` is not valid UTF-8 after percent-decoding"),
                )),
            }
        })
        .collect()
}

/// `application/x-www-form-urlencoded` decoding of one name or value: `+` is a space, then
/// `%XX` escapes are decoded; a `%` not followed by two hex digits stays as it is.
fn form_decode(text: &str) -> Vec<u8> {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode(spaced.as_bytes()).collect()
}

/// Takes the single value of `name`, refusing repeats.
fn single<'a>(pairs: &'a [(String, String)], name: &'static str) -> Result<Option<&'a str>, ApiError> {
    let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(ApiError::new(
            Code::DuplicateParameter,
            format!("`{name}` given more than once"),
        ));
    }
    Ok(first)
}

/// A whole number from 1 to `max`, `default` when absent; `code` names the error.
fn number(
    pairs: &[(String, String)],
    name: &'static str,
    code: Code,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    let Some(raw) = single(pairs, name)? else {
        return Ok(default);
    };
    raw.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            ApiError::new(
                code,
                format!("`{name}` must be a whole number from 1 to {max}, not {raw:?}"),
            )
        })
}

fn reject_unknown(pairs: &[(String, String)], allowed: &[&str]) -> Result<(), ApiError> {
    let Some((k, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) else {
        return Ok(());
    };
    let message = if allowed.is_empty() {
        format!("unknown parameter `{k}`; this endpoint takes no parameters")
    } else {
        format!("unknown parameter `{k}`; accepted: {}", allowed.join(", "))
    };
    Err(ApiError::new(Code::UnknownParameter, message))
}

/// Checks the query string of an endpoint that takes no parameters (`/healthz`, `/api/stats`).
pub(super) fn no_params(raw: &str) -> Result<(), ApiError> {
    reject_unknown(&pairs(raw)?, &[])
}

/// Parses the parameters of `GET /api/search`.
pub fn search_params(raw: &str) -> Result<SearchParams, ApiError> {
    let pairs = pairs(raw)?;
    reject_unknown(
        &pairs,
        &[
            "q", "page", "per_page", "tag", "category", "from", "to", "sort", "collapse", "recency", "explain",
            "cursor",
        ],
    )?;
    let per_page = number(&pairs, "per_page", Code::InvalidPerPage, DEFAULT_LIMIT, MAX_LIMIT)?;
    let page = number(&pairs, "page", Code::InvalidPage, 1, MAX_DEPTH)?;
    let cursor = cursor_param(&pairs)?;
    let offset = (page - 1).saturating_mul(per_page);
    let values = |name: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    };
    let date = |name: &'static str, upper: bool| -> Result<_, ApiError> {
        match single(&pairs, name)?.map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => Ok(Some(parse_date_filter(name, raw, upper)?)),
            None => Ok(None),
        }
    };
    let request = SearchRequest {
        query: single(&pairs, "q")?.unwrap_or_default().to_string(),
        filters: Filters {
            tags: values("tag"),
            categories: values("category"),
            from: date("from", false)?,
            to: date("to", true)?,
        },
        limit: per_page,
        offset,
        sort: single(&pairs, "sort")?.unwrap_or_default().parse::<Sort>()?,
        facets: true,
        collapse: single(&pairs, "collapse")?.unwrap_or_default().parse::<Collapse>()?,
        recency_days: match single(&pairs, "recency")?.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(raw.parse::<f64>().map_err(|_| {
                ApiError::new(
                    Code::InvalidRecency,
                    format!("`recency` is a half-life in days (a number), not {raw:?}"),
                )
            })?),
        },
        explain: flag(&pairs, "explain")?,
        cursor,
        ..SearchRequest::new("")
    };
    request.validate().map_err(page_error)?;
    Ok(SearchParams { request, page })
}

/// A yes-or-no parameter: `true`/`1` or `false`/`0` (absent or empty: no).
fn flag(pairs: &[(String, String)], name: &'static str) -> Result<bool, ApiError> {
    match single(pairs, name)?.map(str::trim) {
        None | Some("" | "false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(other) => Err(QueryError::InvalidExplain {
            given: other.to_string(),
        }
        .into()),
    }
}

/// The decoded `cursor`, refused beside `page` (a walk is one or the other).
fn cursor_param(pairs: &[(String, String)]) -> Result<Option<Cursor>, ApiError> {
    let Some(raw) = single(pairs, "cursor")? else {
        return Ok(None);
    };
    if single(pairs, "page")?.is_some() {
        return Err(QueryError::InvalidCursor {
            reason: "give either `page` or `cursor`, not both".into(),
        }
        .into());
    }
    Ok(Some(Cursor::decode(raw)?))
}

/// The engine speaks of `offset`, a parameter HTTP clients never send: a page beyond the
/// deepest result is told in terms of `page` and `per_page`.
fn page_error(e: QueryError) -> ApiError {
    match e {
        e @ QueryError::TooDeep { .. } => ApiError::new(
            e.code(),
            format!("`page` × `per_page` reaches beyond the first {MAX_DEPTH} results; narrow the query"),
        ),
        other => other.into(),
    }
}

/// The body of a `GET /api/search` answer. Serialized as it is, never through
/// [`serde_json::Value`], whose map would sort the facets by name.
#[derive(Debug, Serialize)]
pub struct SearchBody {
    query: String,
    total: usize,
    /// With `collapse`: what `total` counts (`titles`, `stories`).
    #[serde(skip_serializing_if = "Option::is_none")]
    counts: Option<&'static str>,
    took_ms: f64,
    page: usize,
    per_page: usize,
    hits: Vec<Hit>,
    facets: Facets,
    relaxed: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    partial: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

impl SearchBody {
    /// The query as searched (for the request log, when queries are logged).
    pub fn query(&self) -> &str {
        &self.query
    }

    /// Articles matching (for the request log).
    pub fn total(&self) -> usize {
        self.total
    }
}

/// GET /api/search?q=&page=&per_page=&tag=&category=&from=&to=&sort=&collapse=&recency=&cursor=
pub async fn search(shared: Arc<Shared>, raw: String) -> Result<SearchBody, ApiError> {
    let SearchParams { request, page } = search_params(&raw)?;
    let per_page = request.limit;
    let request = ParsedRequest::new(request)?;
    let response = blocking(&shared, move |backend| backend.search(&request).map_err(ApiError::from)).await?;
    Ok(SearchBody {
        query: response.query,
        total: response.total,
        counts: response.counts,
        took_ms: response.took_ms,
        page,
        per_page,
        hits: response.hits,
        facets: response.facets.unwrap_or_default(),
        relaxed: response.relaxed,
        partial: response.partial,
        warnings: response.warnings,
        next_cursor: response.next_cursor,
    })
}

/// Decodes a percent-encoded id from the path.
pub(super) fn decode_id(raw: &str) -> Result<String, ApiError> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::new(Code::InvalidId, "the id is not valid UTF-8"))
}

/// GET /api/articles/{id}
pub async fn article(shared: Arc<Shared>, raw_id: String) -> Result<Value, ApiError> {
    let id = decode_id(&raw_id)?;
    blocking(&shared, move |backend| {
        let article = backend.get(&id)?;
        let mut value = article.to_json();
        value["category_names"] = json!(backend.categories().names(&article.categories));
        if let Some(story) = backend.story_of(&id)? {
            value["story"] = json!(story);
        }
        Ok(value)
    })
    .await
}

/// GET /api/stories/{id}
pub async fn story(shared: Arc<Shared>, raw_id: String) -> Result<Value, ApiError> {
    let id = decode_id(&raw_id)?;
    blocking(&shared, move |backend| {
        let articles: Vec<Value> = backend
            .story(&id)?
            .iter()
            .map(crate::post::Article::story_json)
            .collect();
        Ok(json!({ "story": id, "articles": articles }))
    })
    .await
}

/// GET /api/articles/{id}/related
pub async fn related(shared: Arc<Shared>, raw_id: String) -> Result<Value, ApiError> {
    let id = decode_id(&raw_id)?;
    blocking(&shared, move |backend| {
        let related = backend.related(&id, MAX_RELATED)?;
        let items: Vec<Value> = related.iter().map(Related::to_json).collect();
        Ok(json!({ "id": id, "related": items }))
    })
    .await
}

/// GET /api/suggest?q=
pub async fn suggest(shared: Arc<Shared>, raw: String) -> Result<Value, ApiError> {
    let pairs = pairs(&raw)?;
    reject_unknown(&pairs, &["q"])?;
    let q = single(&pairs, "q")?.unwrap_or_default().to_string();
    blocking(&shared, move |backend| {
        let suggestions = backend.suggest(&q, MAX_SUGGESTIONS)?;
        Ok(json!({ "query": q, "suggestions": suggestions }))
    })
    .await
}

/// GET /api/analyze?text=…&mode=index|query
pub async fn analyze(shared: Arc<Shared>, raw: String) -> Result<Analysis, ApiError> {
    let pairs = pairs(&raw)?;
    reject_unknown(&pairs, &["text", "mode"])?;
    let mode = single(&pairs, "mode")?
        .unwrap_or_default()
        .trim()
        .parse::<AnalyzeMode>()?;
    let text = single(&pairs, "text")?.unwrap_or_default().to_string();
    blocking(&shared, move |backend| Ok(backend.analyze(&text, mode)?)).await
}

/// GET /api/stats
pub async fn stats(shared: Arc<Shared>, raw: String) -> Result<Stats, ApiError> {
    no_params(&raw)?;
    blocking(&shared, |backend| Ok(backend.stats()?)).await
}

/// GET /healthz
pub async fn health(shared: Arc<Shared>, raw: String) -> Result<Value, ApiError> {
    no_params(&raw)?;
    // On the async thread, without a search turn: a health check answers at once even
    // while searches queue (SearchBackend::health promises to answer from memory).
    let health = shared.backend().health()?;
    Ok(json!({ "status": "ok", "articles": health.articles, "generation": health.generation }))
}
