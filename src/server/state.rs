//! The engine the server searches with, swapped when a rebuild publishes a new generation.
//!
//! Commits inside a generation (incremental jobs) reach the open engine through tantivy's
//! own reload policy; a rebuild changes `CURRENT`, which [`Shared::refresh`] notices and
//! answers by opening the new generation and swapping it in. Requests in flight keep the
//! engine they started with.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::error::IndexError;
use crate::search::Engine;
use crate::store::IndexDir;

/// How often the server looks for a new generation.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// The live engine, shared by all requests.
pub struct Shared {
    dir: IndexDir,
    engine: RwLock<Arc<Engine>>,
    /// Two permits a core: searches beyond that wait their turn instead of crowding the
    /// cores as threads that preempt each other (fewer switches, a shorter tail:
    /// benches/README.md has the figures with and without it).
    searches: tokio::sync::Semaphore,
}

impl Shared {
    /// Opens the live index under `dir`.
    pub fn open(dir: IndexDir) -> Result<Shared, IndexError> {
        let engine = Engine::open(&dir)?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(Shared {
            dir,
            engine: RwLock::new(Arc::new(engine)),
            searches: tokio::sync::Semaphore::new(cores * 2),
        })
    }

    /// The engine to use for one request.
    pub fn engine(&self) -> Arc<Engine> {
        match self.engine.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Waits for a turn to search (see `searches`).
    pub async fn turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.searches.acquire().await.ok()
    }

    /// The index directory.
    pub fn dir(&self) -> &IndexDir {
        &self.dir
    }

    /// Switches to the live generation if it changed; returns whether it did.
    pub fn refresh(&self) -> Result<bool, IndexError> {
        let Some(live) = self.dir.live_generation()? else {
            return Ok(false);
        };
        if live == self.engine().generation() {
            return Ok(false);
        }
        let engine = Arc::new(Engine::open(&self.dir)?);
        match self.engine.write() {
            Ok(mut guard) => *guard = engine,
            Err(poisoned) => *poisoned.into_inner() = engine,
        }
        tracing::info!(generation = %live.display(), "switched to a new index generation");
        Ok(true)
    }

    /// Watches for new generations until the runtime shuts down.
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
