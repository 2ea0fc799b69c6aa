//! `GET /metrics`: what the service counts, in the Prometheus text format (0.0.4), encoded
//! by `prometheus-client`. Request counts, the search latency histogram, search turns and
//! ingestion are counted as they happen; the index gauges and the job figures are read at
//! scrape time (the backend's stats, the index's `jobs.json`), so they are right after a
//! CLI job switched generations. Route labels are route patterns ([`route_label`]), never
//! raw paths: every label has a bounded set of values.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use time::OffsetDateTime;
use warp::http::Method;
use warp::http::header::{CONTENT_TYPE as CONTENT_TYPE_HEADER, HeaderValue};
use warp::reply::{Reply, Response};

use super::error::ApiError;
use super::state::Shared;

use crate::indexer::IndexReport;
use crate::indexer::records::JobHistory;
use crate::search::Stats;

pub use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// What the search route tells the request log: put in the answer's extensions, read by
/// [`observe`].
#[derive(Debug, Clone)]
pub(crate) struct SearchLog {
    /// Articles matching.
    pub(crate) hits: usize,
    /// The query as searched.
    pub(crate) query: String,
}

/// Counts an answered request and logs its line: method, route, path, status, duration,
/// and for a search its hit count, and its query only when `log_queries` (queries can be
/// personal data).
pub(crate) fn observe(
    metrics: &Metrics,
    log_queries: bool,
    elapsed: Duration,
    method: &Method,
    path: &str,
    response: &Response,
) {
    let route = route_label(path);
    let status = response.status().as_u16();
    metrics.request(method, route, status, elapsed);
    let search = response.extensions().get::<SearchLog>();
    tracing::info!(
        method = %method,
        route,
        path,
        status,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        hits = search.map(|s| s.hits),
        query = search.filter(|_| log_queries).map(|s| s.query.as_str()),
        "request"
    );
}

/// GET /metrics
pub(crate) async fn endpoint(shared: Arc<Shared>, raw: String) -> Result<Response, ApiError> {
    super::api::no_params(&raw)?;
    // Not in a search turn: a scrape answers while searches queue.
    let text = super::api::off_async(move || {
        let backend = shared.backend();
        let stats = backend
            .stats()
            .inspect_err(|e| tracing::warn!(error = %e, "metrics: no index stats"))
            .ok();
        let jobs = backend
            .job_history()
            .inspect_err(|e| tracing::warn!(error = %e, "metrics: no job records"))
            .ok()
            .flatten();
        shared.metrics().render(stats.as_ref(), jobs.as_ref()).map_err(|e| {
            tracing::error!(error = %e, "metrics: cannot encode");
            ApiError::internal()
        })
    })
    .await?;
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE_HEADER, HeaderValue::from_static(CONTENT_TYPE));
    Ok(response)
}

/// The route pattern `path` is served by (its label): the id in `/api/articles/{id}`
/// is never a label value, so a crawler walking ids cannot grow the series without bound.
/// Empty segments are ignored, as warp's path matching ignores them.
pub fn route_label(path: &str) -> &'static str {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let parts: [Option<&str>; 4] = std::array::from_fn(|_| segments.next());
    match parts {
        [None, ..] => "/",
        [Some("api"), Some("search"), None, _] => "/api/search",
        [Some("api"), Some("suggest"), None, _] => "/api/suggest",
        [Some("api"), Some("stats"), None, _] => "/api/stats",
        [Some("api"), Some("snapshots"), None, _] => "/api/snapshots",
        [Some("api"), Some("articles"), None, _] => "/api/articles",
        [Some("api"), Some("articles"), Some(_), None] => "/api/articles/{id}",
        [Some("api"), Some("articles"), Some(_), Some("related")] if segments.next().is_none() => {
            "/api/articles/{id}/related"
        }
        [Some("a"), Some(_), None, _] => "/a/{id}",
        [Some("healthz"), None, ..] => "/healthz",
        [Some("metrics"), None, ..] => "/metrics",
        _ => "unmatched",
    }
}

/// The method label: the methods the routes take, anything else `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GenerationLabels {
    generation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CountLabels {
    kind: &'static str,
    count: &'static str,
}

/// The service's counters, shared by every request.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    search_seconds: Histogram,
    in_flight: Gauge,
    waiting: Gauge,
    queued: Counter,
    ingest_batches: Family<OutcomeLabels, Counter>,
    ingest_articles: Family<OutcomeLabels, Counter>,
    ingest_rejections: Family<ReasonLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// Every series at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("xinwen");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route pattern and status",
            requests.clone(),
        );
        // 0.25 ms to 8 s: a cached search answers in well under a millisecond, a deep
        // faceted one on a large index in a second or more.
        let search_seconds = Histogram::new(exponential_buckets(0.000_25, 2.0, 16));
        registry.register_with_unit(
            "search_duration",
            "Time to answer GET /api/search with 200, waiting for a turn included",
            Unit::Seconds,
            search_seconds.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "searches_in_flight",
            "Requests reading the index now (search, suggest, articles, related, stats)",
            in_flight.clone(),
        );
        let waiting = Gauge::default();
        registry.register(
            "searches_waiting",
            "Requests waiting for a turn at the concurrency limit now",
            waiting.clone(),
        );
        let queued = Counter::default();
        registry.register(
            "searches_queued",
            "Requests that found every turn taken and waited (none is refused)",
            queued.clone(),
        );
        let ingest_batches = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "ingest_batches",
            "POST /api/articles bodies read, by outcome: committed, or the error code",
            ingest_batches.clone(),
        );
        let ingest_articles = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "ingest_articles",
            "Articles of committed POST /api/articles bodies, by new, updated, unchanged",
            ingest_articles.clone(),
        );
        let ingest_rejections = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "ingest_rejections",
            "Records of POST /api/articles bodies rejected, by reason code",
            ingest_rejections.clone(),
        );
        Metrics {
            registry,
            requests,
            search_seconds,
            in_flight,
            waiting,
            queued,
            ingest_batches,
            ingest_articles,
            ingest_rejections,
        }
    }

    /// Counts an answered request; a 200 search also goes into the latency histogram.
    pub fn request(&self, method: &Method, route: &'static str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method_label(method),
                route,
                status,
            })
            .inc();
        if route == "/api/search" && status == 200 {
            self.search_seconds.observe(elapsed.as_secs_f64());
        }
    }

    /// A request starts waiting for a turn; `queued` when every turn was taken.
    pub(crate) fn turn_wanted(&self, queued: bool) {
        if queued {
            self.queued.inc();
        }
        self.waiting.inc();
    }

    /// A request stopped waiting: it got its turn, or it was cancelled.
    pub(crate) fn turn_left(&self) {
        self.waiting.dec();
    }

    /// A request got its turn.
    pub(crate) fn turn_taken(&self) {
        self.in_flight.inc();
    }

    /// A request gave its turn back.
    pub(crate) fn turn_done(&self) {
        self.in_flight.dec();
    }

    /// Counts an ingestion body that ended with `outcome` (`committed`, or an error code).
    pub fn ingest_batch(&self, outcome: &'static str) {
        self.ingest_batches.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Counts the articles and rejections of a committed ingestion job.
    pub fn ingested(&self, report: &IndexReport) {
        for (outcome, n) in [
            ("new", report.new),
            ("updated", report.updated),
            ("unchanged", report.unchanged),
        ] {
            self.ingest_articles
                .get_or_create(&OutcomeLabels { outcome })
                .inc_by(n as u64);
        }
        for (&reason, &n) in &report.rejected_by_reason {
            self.ingest_rejections
                .get_or_create(&ReasonLabels { reason })
                .inc_by(n as u64);
        }
    }

    /// The exposition: the counters, then the index gauges from `stats` (only
    /// `xinwen_index_up 0` when the backend could not give them), then the job figures
    /// from `jobs` (none when the backend keeps no job records).
    pub fn render(&self, stats: Option<&Stats>, jobs: Option<&JobHistory>) -> Result<String, std::fmt::Error> {
        let mut scraped = Registry::with_prefix("xinwen");
        index_gauges(&mut scraped, stats);
        if let Some(jobs) = jobs {
            job_series(&mut scraped, jobs);
        }
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)?;
        prometheus_client::encoding::prometheus_text::encode(&mut text, &scraped)?;
        Ok(text)
    }
}

/// The gauges read from the backend's stats at scrape time.
fn index_gauges(registry: &mut Registry, stats: Option<&Stats>) {
    registry.register(
        "index_up",
        "1 when the backend answered its stats for this scrape, else 0",
        ConstGauge::new(i64::from(stats.is_some())),
    );
    let Some(stats) = stats else {
        return;
    };
    let int = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    registry.register(
        "index_articles",
        "Live articles in the index",
        ConstGauge::new(int(stats.articles)),
    );
    registry.register(
        "index_segments",
        "Segments of the live index",
        ConstGauge::new(int(stats.segments as u64)),
    );
    registry.register_with_unit(
        "index_size",
        "Size on disk of the live generation (0 where the backend does not say)",
        Unit::Bytes,
        ConstGauge::new(int(stats.size_bytes)),
    );
    let generation = Family::<GenerationLabels, Gauge>::default();
    generation
        .get_or_create(&GenerationLabels {
            generation: stats.generation.clone(),
        })
        .set(1);
    registry.register(
        "index_generation",
        "The live generation, as its label (value 1)",
        generation,
    );
    if let Some(at) = stats.last_commit.as_deref().and_then(unix_seconds) {
        registry.register(
            "index_last_commit_timestamp_seconds",
            "When the live generation was last committed, in Unix seconds",
            ConstGauge::new(at),
        );
    }
}

/// The job figures from the index's own records.
fn job_series(registry: &mut Registry, history: &JobHistory) {
    let jobs = Family::<JobLabels, Counter>::default();
    let seconds = Family::<KindLabels, Counter<f64>>::default();
    let counts = Family::<CountLabels, Counter>::default();
    let last_seconds = Family::<KindLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
    let last_ended = Family::<KindLabels, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
    let last_ok = Family::<KindLabels, Gauge>::default();
    for (kind, totals) in &history.kinds {
        let kind = kind.name();
        for (outcome, &n) in &totals.jobs {
            jobs.get_or_create(&JobLabels {
                kind,
                outcome: outcome.name(),
            })
            .inc_by(n);
        }
        seconds.get_or_create(&KindLabels { kind }).inc_by(totals.seconds);
        for (count, n) in totals.counts.named() {
            counts.get_or_create(&CountLabels { kind, count }).inc_by(n);
        }
        if let Some(last) = &totals.last {
            last_seconds.get_or_create(&KindLabels { kind }).set(last.seconds);
            if let Some(ended) = last.ended_unix() {
                last_ended.get_or_create(&KindLabels { kind }).set(ended);
            }
            last_ok
                .get_or_create(&KindLabels { kind })
                .set(i64::from(last.outcome == crate::indexer::records::JobOutcome::Ok));
        }
    }
    registry.register("jobs", "Write jobs recorded by the index, by kind and outcome", jobs);
    registry.register_with_unit(
        "job_duration",
        "Seconds spent in write jobs, by kind (with xinwen_jobs_total: the mean)",
        Unit::Seconds,
        seconds,
    );
    registry.register(
        "job_articles",
        "What write jobs did to articles, by kind and count (read, new, updated, unchanged, deleted, rejected)",
        counts,
    );
    registry.register_with_unit(
        "job_last_duration",
        "Duration of the last job of each kind",
        Unit::Seconds,
        last_seconds,
    );
    registry.register(
        "job_last_end_timestamp_seconds",
        "When the last job of each kind ended, in Unix seconds",
        last_ended,
    );
    registry.register(
        "job_last_success",
        "1 when the last job of each kind succeeded, else 0",
        last_ok,
    );
}

/// An RFC 3339 time (`2024-05-20T10:00:00+08:00`) in Unix seconds.
fn unix_seconds(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The route patterns a request is counted under; anything else is `unmatched`.
    const ROUTES: [&str; 12] = [
        "/",
        "/a/{id}",
        "/api/search",
        "/api/suggest",
        "/api/articles",
        "/api/articles/{id}",
        "/api/articles/{id}/related",
        "/api/stats",
        "/api/snapshots",
        "/healthz",
        "/metrics",
        "unmatched",
    ];

    #[test]
    fn a_raw_path_becomes_its_route_pattern() {
        for (path, route) in [
            ("/", "/"),
            ("", "/"),
            ("/api/search", "/api/search"),
            ("/api/search/", "/api/search"),
            ("/api/articles", "/api/articles"),
            ("/api/articles/ev-price-war", "/api/articles/{id}"),
            ("/api/articles/%E4%B8%AD%E6%96%87", "/api/articles/{id}"),
            ("/api/articles/ev-price-war/related", "/api/articles/{id}/related"),
            ("/api/articles/a/related/x", "unmatched"),
            ("/a/sh-close", "/a/{id}"),
            ("/api/articles/a/b", "unmatched"),
            ("/api/stats", "/api/stats"),
            ("/api/snapshots", "/api/snapshots"),
            ("/api/suggest", "/api/suggest"),
            ("/healthz", "/healthz"),
            ("/metrics", "/metrics"),
            ("/wp-login.php", "unmatched"),
            ("/api", "unmatched"),
        ] {
            assert_eq!(route_label(path), route, "{path}");
            assert!(ROUTES.contains(&route));
        }
    }

    #[test]
    fn requests_are_counted_under_their_labels() {
        let metrics = Metrics::new();
        let ms = Duration::from_millis(3);
        metrics.request(&Method::GET, "/api/search", 200, ms);
        metrics.request(&Method::GET, "/api/search", 200, ms);
        metrics.request(&Method::GET, "/api/search", 400, ms);
        metrics.request(&Method::PATCH, "unmatched", 404, ms);
        let text = metrics.render(None, None).expect("render");
        for line in [
            "xinwen_http_requests_total{method=\"GET\",route=\"/api/search\",status=\"200\"} 2",
            "xinwen_http_requests_total{method=\"GET\",route=\"/api/search\",status=\"400\"} 1",
            "xinwen_http_requests_total{method=\"other\",route=\"unmatched\",status=\"404\"} 1",
            "xinwen_search_duration_seconds_count 2",
            "xinwen_search_duration_seconds_bucket{le=\"0.004\"} 2",
            "xinwen_index_up 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
    }
}
