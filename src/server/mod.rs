//! `xinwen serve`: the warp service behind a news site's search box, and the search page.
//!
//! Routes (all JSON but the page; every error is `{"error":{"code","message"}}`):
//! - `GET /` — the search page, embedded in the binary;
//! - `GET /api/search?q=&page=&per_page=&tag=&category=&from=&to=&sort=`;
//! - `GET /api/suggest?q=` — completions for search-as-you-type;
//! - `GET /api/analyze?text=&mode=index|query` — a text's tokens as the index sees them;
//! - `GET /api/articles/{id}` and `GET /api/articles/{id}/related`;
//! - `GET /api/stories/{id}` — the live articles of one story;
//! - `GET /a/{id}` — the page of one article ([`article`]), HTML;
//! - `GET /api/stats`, `GET /healthz`;
//! - `GET /metrics` — the Prometheus text exposition ([`metrics`]);
//! - `POST /api/articles`, `DELETE /api/articles/{id}` — ingestion, only with an admin token;
//! - `POST /api/snapshots` — a snapshot into `--snapshot-dir`, with the admin token.
//!
//! Every GET route answers HEAD as well. Connections (timeouts, the cap) are handled by
//! `connections.rs` ([`ConnectionLimits`]).

pub(crate) mod admin;
pub(crate) mod api;
pub(crate) mod article;
pub(crate) mod connections;
pub(crate) mod error;
pub(crate) mod metrics;
pub(crate) mod state;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::header::{
    CACHE_CONTROL, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderValue, X_CONTENT_TYPE_OPTIONS,
};
use warp::http::{Method, StatusCode};
use warp::reply::{Reply, Response};

pub use admin::SnapshotTarget;
pub use connections::ConnectionLimits;
use error::{ApiError, recover};
pub use state::Shared;

pub use crate::config::MAX_BODY_BYTES;

/// The search page.
const PAGE: &str = include_str!("page.html");

/// Server settings.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Origins allowed to call the API from a browser (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// The token that enables ingestion (`XINWEN_ADMIN_TOKEN`); none disables it.
    pub admin_token: Option<String>,
    /// Timeouts for stalled clients and the connection cap.
    pub limits: ConnectionLimits,
    /// Where `POST /api/snapshots` writes (`--snapshot-dir`); none disables it.
    pub snapshots: Option<SnapshotTarget>,
    /// Write each search's query text into the request log (`XINWEN_LOG_QUERIES=1`); off
    /// by default, as queries can be personal data.
    pub log_queries: bool,
}

/// Turns an endpoint's result into a reply: the JSON, or the JSON error. The value is
/// serialized as it is, so the order of its maps (facets, most frequent first) is kept.
fn reply<T: serde::Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(value) => warp::reply::json(&value).into_response(),
        Err(e) => e.into_response(),
    }
}

/// As [`reply`], with 201 Created for a success (a resource was made).
fn created<T: serde::Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(value) => warp::reply::with_status(warp::reply::json(&value), StatusCode::CREATED).into_response(),
        Err(e) => e.into_response(),
    }
}

/// GET, and HEAD answered as GET is (see [`without_body`]).
fn get_or_head() -> impl Filter<Extract = (), Error = warp::Rejection> + Clone {
    warp::get().or(warp::head()).unify()
}

/// The answer to a HEAD request: the GET answer's status and headers, with the length of
/// the body it would have sent, and no body.
fn without_body(mut response: Response) -> Response {
    use hyper::body::Body as _;
    if let Some(length) = response.body().size_hint().exact() {
        response.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(length));
    }
    *response.body_mut() = Default::default();
    response
}

fn with_shared(shared: Arc<Shared>) -> impl Filter<Extract = (Arc<Shared>,), Error = Infallible> + Clone {
    warp::any().map(move || Arc::clone(&shared))
}

/// The raw query string, empty when there is none.
fn raw_query() -> impl Filter<Extract = (String,), Error = Infallible> + Clone {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}

/// An embedded HTML page (the search page, an article's page): revalidated on every load,
/// and its inline script and style allowed while nothing from elsewhere is.
pub(crate) fn html_page(html: String, status: StatusCode) -> Response {
    let mut response = warp::reply::with_status(warp::reply::html(html), status).into_response();
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; \
             frame-ancestors 'none'",
        ),
    );
    response
}

/// Every route, with JSON errors; what tests drive with `warp::test`.
pub fn routes(shared: Arc<Shared>, options: &ServerOptions) -> BoxedFilter<(Response,)> {
    let page = warp::path::end()
        .and(get_or_head())
        .map(|| html_page(PAGE.to_string(), StatusCode::OK));
    let search = warp::path!("api" / "search")
        .and(get_or_head())
        .and(with_shared(shared.clone()))
        .and(raw_query())
        .then(|shared, raw| async move {
            let result = api::search(shared, raw).await;
            let log = result.as_ref().ok().map(|body| metrics::SearchLog {
                hits: body.total(),
                query: body.query().to_string(),
            });
            let mut response = reply(result);
            if let Some(log) = log {
                response.extensions_mut().insert(log);
            }
            response
        });
    let suggest = warp::path!("api" / "suggest")
        .and(get_or_head())
        .and(with_shared(shared.clone()))
        .and(raw_query())
        .then(|shared, raw| async move { reply(api::suggest(shared, raw).await) });
    let article = warp::path!("api" / "articles" / String)
        .and(get_or_head())
        .and(with_shared(shared.clone()))
        .then(|id, shared| async move { reply(api::article(shared, id).await) });
    let related = warp::path!("api" / "articles" / String / "related")
        .and(get_or_head())
        .and(with_shared(shared.clone()))
        .then(|id, shared| async move { reply(api::related(shared, id).await) });
    let story = warp::path!("api" / "stories" / String)
        .and(get_or_head())
        .and(with_shared(shared.clone()))
        .then(|id, shared| async move { reply(api::story(shared, id).await) });
    let article_page = warp::path!("a" / String)
        .and(get_or_head())
        .and(with_shared(shared.clone()))
        .then(|id, shared| article::page(shared, id));
    let analyze = warp::path!("api" / "analyze")
        .and(get_or_head())
        .and(with_shared(shared.clone()))
        .and(raw_query())
        .then(|shared, raw| async move { reply(api::analyze(shared, raw).await) });
    let stats = warp::path!("api" / "stats")
        .and(get_or_head())
        .and(with_shared(shared.clone()))
        .and(raw_query())
        .then(|shared, raw| async move { reply(api::stats(shared, raw).await) });
    let health = warp::path!("healthz")
        .and(get_or_head())
        .and(with_shared(shared.clone()))
        .and(raw_query())
        .then(|shared, raw| async move { reply(api::health(shared, raw).await) });
    let token = options.admin_token.clone().map(Arc::new);
    let auth =
        warp::header::optional::<String>("authorization").and_then(move |header: Option<String>| {
            let token = token.clone();
            async move {
                admin::check(token.as_deref().map(String::as_str), header.as_deref()).map_err(warp::reject::custom)
            }
        });
    let ingest = warp::path!("api" / "articles")
        .and(warp::post())
        .and(auth.clone())
        .and(warp::body::content_length_limit(MAX_BODY_BYTES))
        .and(warp::body::bytes())
        .and(with_shared(shared.clone()))
        .then(|(), body: warp::hyper::body::Bytes, shared: Arc<Shared>| async move {
            let result = admin::ingest(Arc::clone(&shared), body.to_vec()).await;
            let outcome = result.as_ref().map_or_else(|e| e.code.name(), |_| "committed");
            shared.metrics().ingest_batch(outcome);
            reply(result)
        });
    let target = options.snapshots.clone();
    let snapshots = warp::path!("api" / "snapshots")
        .and(warp::post())
        .and(auth.clone())
        .then(move |()| {
            let target = target.clone();
            async move { created(admin::snapshot(target).await) }
        });
    let delete = warp::path!("api" / "articles" / String)
        .and(warp::delete())
        .and(auth)
        .and(with_shared(shared.clone()))
        .then(|id, (), shared| async move { reply(admin::delete(shared, id).await) });
    let scrape = warp::path!("metrics")
        .and(get_or_head())
        .and(with_shared(shared.clone()))
        .and(raw_query())
        .then(|shared, raw| async move {
            metrics::endpoint(shared, raw)
                .await
                .unwrap_or_else(Reply::into_response)
        });

    let routes = page
        .or(search)
        .unify()
        .or(suggest)
        .unify()
        .or(analyze)
        .unify()
        .or(article)
        .unify()
        .or(related)
        .unify()
        .or(story)
        .unify()
        .or(article_page)
        .unify()
        .or(stats)
        .unify()
        .or(health)
        .unify()
        .or(ingest)
        .unify()
        .or(delete)
        .unify()
        .or(snapshots)
        .unify()
        .or(scrape)
        .unify()
        .recover(recover)
        .unify()
        .boxed();
    // CORS wraps the routes, errors included (a browser reads an error body only with the
    // allow-origin header); what CORS itself refuses is recovered outside it, as JSON too.
    let routes = match cors(options) {
        Some(cors) => routes.with(cors).map(Reply::into_response).boxed(),
        None => routes,
    };
    let routes = routes.recover(recover).unify().map(|mut response: Response| {
        let headers = response.headers_mut();
        if !headers.contains_key(CACHE_CONTROL) {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        response
    });
    // Every answer, errors included, is counted and logged once, under its route pattern.
    let log_queries = options.log_queries;
    warp::any()
        .map(Instant::now)
        .and(warp::method())
        .and(warp::path::full())
        .and(routes)
        .map(
            move |started: Instant, method: Method, path: warp::path::FullPath, response: Response| {
                let response = if method == Method::HEAD {
                    without_body(response)
                } else {
                    response
                };
                metrics::observe(
                    shared.metrics(),
                    log_queries,
                    started.elapsed(),
                    &method,
                    path.as_str(),
                    &response,
                );
                response
            },
        )
        .boxed()
}

/// The CORS policy for the configured origins; none (no CORS headers at all) by default.
fn cors(options: &ServerOptions) -> Option<warp::cors::Builder> {
    if options.cors_origins.is_empty() {
        return None;
    }
    Some(
        warp::cors()
            .allow_origins(options.cors_origins.iter().map(String::as_str))
            .allow_methods(["GET", "POST", "DELETE"])
            .allow_headers([CONTENT_TYPE.as_str(), "authorization"])
            .max_age(600),
    )
}

/// Binds `addr` and serves until Ctrl-C or SIGTERM; in-flight requests finish first.
pub async fn serve(shared: Arc<Shared>, addr: SocketAddr, options: ServerOptions) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tracing::info!(%bound, "listening");
    eprintln!("xinwen: serving http://{bound}/ (Ctrl-C to stop)");
    tokio::spawn(Arc::clone(&shared).watch());
    let routes = routes(shared, &options);
    connections::run(listener, routes, options.limits, shutdown_signal()).await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
