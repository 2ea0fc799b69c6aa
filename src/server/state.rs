//! What every request shares: the backend it searches, the one it writes (if any), and the
//! turns that keep searches from crowding the cores. The server names no engine: a
//! backend follows its own changes through [`SearchBackend::refresh`], which
//! [`Shared::watch`] calls a few times a second.

use std::sync::Arc;
use std::time::Duration;

use super::metrics::Metrics;
use crate::backend::{IndexBackend, SearchBackend};
use crate::error::{IndexError, Result};
use crate::local::LocalBackend;
use crate::store::IndexDir;

/// How often the server asks its backend to look for changes (a new generation).
pub const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// The backends, shared by all requests.
pub struct Shared {
    search: Arc<dyn SearchBackend>,
    index: Option<Arc<dyn IndexBackend>>,
    /// Two permits a core: searches beyond that wait their turn instead of crowding the
    /// cores as threads that preempt each other (fewer switches, a shorter tail:
    /// benches/README.md has the figures with and without it).
    searches: tokio::sync::Semaphore,
    /// What `GET /metrics` shows.
    metrics: Metrics,
}

/// A request's turn to read the backend (see [`Shared::turn`]); counted in flight until
/// it is dropped.
pub(crate) struct Turn<'a> {
    _permit: tokio::sync::SemaphorePermit<'a>,
    metrics: &'a Metrics,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.metrics.turn_done();
    }
}

impl Shared {
    /// Serves `search`, and takes writes (`POST /api/articles`) through `index` when given.
    pub fn new(search: Arc<dyn SearchBackend>, index: Option<Arc<dyn IndexBackend>>) -> Shared {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Shared {
            search,
            index,
            searches: tokio::sync::Semaphore::new(cores * 2),
            metrics: Metrics::new(),
        }
    }

    /// Serves the live local index under `dir`, and writes to it.
    pub fn open(dir: IndexDir) -> Result<Shared, IndexError> {
        let local = Arc::new(LocalBackend::open(dir)?);
        Ok(Shared::new(local.clone(), Some(local)))
    }

    /// The backend to search.
    pub fn backend(&self) -> Arc<dyn SearchBackend> {
        Arc::clone(&self.search)
    }

    /// The backend to write to, when it takes writes.
    pub fn index(&self) -> Option<Arc<dyn IndexBackend>> {
        self.index.clone()
    }

    /// Waits for a turn to search (see `searches`); counted as waiting meanwhile, and
    /// as queued when every turn was taken.
    pub(crate) async fn turn(&self) -> Option<Turn<'_>> {
        self.metrics.turn_wanted(self.searches.available_permits() == 0);
        // Counted out of the waiting even when the wait is cancelled (a client gone).
        struct Waiting<'a>(&'a Metrics);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.turn_left();
            }
        }
        let waiting = Waiting(&self.metrics);
        let permit = self.searches.acquire().await.ok();
        drop(waiting);
        let permit = permit?;
        self.metrics.turn_taken();
        Some(Turn {
            _permit: permit,
            metrics: &self.metrics,
        })
    }

    /// The service's counters.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Asks the backend to look for changes; returns whether it found any.
    pub fn refresh(&self) -> Result<bool> {
        self.search.refresh()
    }

    /// Watches for changes until the runtime shuts down.
    pub async fn watch(self: Arc<Self>) {
        let mut tick = tokio::time::interval(WATCH_INTERVAL);
        loop {
            tick.tick().await;
            let shared = Arc::clone(&self);
            match tokio::task::spawn_blocking(move || shared.refresh()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot open the new index generation yet"),
                Err(e) => tracing::error!(error = %e, "index watcher task failed"),
            }
        }
    }
}
