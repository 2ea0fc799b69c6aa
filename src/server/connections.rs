//! The connections of `xinwen serve`: accepted here, spoken to with hyper's HTTP/1.1, and
//! closed when their client stalls — no whole request header within the header timeout,
//! no next request within the idle timeout. At most `max_connections` are open at once;
//! when a client connects at the cap, the connection whose client has stalled longest is
//! closed to make room, so a crowd of stalled clients (slowloris) never locks out a live
//! one. A connection busy with a request is never shed. warp's own `serve` has none of
//! these knobs; it leaves the routes (a `warp::service`) and the JSON to `mod.rs`.
//!
//! HTTP/2 without TLS (h2c), which warp's server also spoke, is not offered: browsers do not
//! use it, and its streams would need timeouts of their own.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::config::{DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS};

/// Descriptors kept free for the index, its watcher and the logs when the process's
/// open-file limit is lower than the connection cap plus this.
const RESERVED_DESCRIPTORS: usize = 128;

/// How long the accept loop pauses after an accept error that is not the client's (out of
/// descriptors): retrying at once would spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// How long a stalled client may hold a connection, and how many connections there may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From connecting, or from the first byte of a request on a kept-alive connection, to
    /// the end of that request's header.
    pub header_timeout: Duration,
    /// From the last byte of an answer to the first byte of the next request.
    pub idle_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl ConnectionLimits {
    /// The cap, lowered (with a warning) so that it fits in the process's open-file limit
    /// with [`RESERVED_DESCRIPTORS`] to spare: past that limit `accept` fails and so does
    /// opening a new index generation.
    fn fitted(self) -> ConnectionLimits {
        let Some(open_files) = open_file_limit() else {
            return self;
        };
        let room = open_files.saturating_sub(RESERVED_DESCRIPTORS).max(1);
        if self.max_connections <= room {
            return self;
        }
        tracing::warn!(
            asked = self.max_connections,
            allowed = room,
            open_files,
            "connection limit lowered to fit the open-file limit (ulimit -n)"
        );
        ConnectionLimits {
            max_connections: room,
            ..self
        }
    }
}

/// The soft limit on open files, from `/proc/self/limits` (Linux); `None` elsewhere or
/// when unlimited.
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Milliseconds on the server's own clock: what the connections' atomics hold.
#[derive(Debug, Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn now(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn instant(&self, ms: u64) -> Instant {
        self.0 + Duration::from_millis(ms)
    }
}

/// No time recorded.
const NEVER: u64 = u64::MAX;

/// What one connection is doing, kept up to date by its socket and its service and read by
/// its own timer and by the accept loop looking for a connection to shed.
struct Connection {
    clock: Clock,
    /// Requests being answered (the service's futures alive).
    busy: AtomicU32,
    /// When it began waiting for its next request: accepted, or its last answer produced.
    waiting_since: AtomicU64,
    /// When the first byte after `waiting_since` arrived ([`NEVER`] before).
    request_started: AtomicU64,
    /// When bytes of an answer were last written.
    last_write: AtomicU64,
    /// Whether it has answered a request yet.
    served: AtomicBool,
    /// Chosen to be closed for a newcomer (chosen once).
    shed: AtomicBool,
    /// Told to close (shed).
    close: Notify,
    /// Its deadline may have come closer: a request began, or an answer was produced.
    changed: Notify,
}

/// Why a connection's time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    /// A request header (or a new connection's first request) not complete in time.
    Header,
    /// A kept-alive connection with no new request in time.
    Idle,
}

impl Connection {
    fn new(clock: Clock) -> Connection {
        Connection {
            clock,
            busy: AtomicU32::new(0),
            waiting_since: AtomicU64::new(clock.now()),
            request_started: AtomicU64::new(NEVER),
            last_write: AtomicU64::new(NEVER),
            served: AtomicBool::new(false),
            shed: AtomicBool::new(false),
            close: Notify::new(),
            changed: Notify::new(),
        }
    }

    fn is_busy(&self) -> bool {
        self.busy.load(Ordering::Acquire) > 0
    }

    /// Whether a request is being answered or has begun to arrive.
    fn has_request(&self) -> bool {
        self.is_busy() || self.request_started.load(Ordering::Acquire) != NEVER
    }

    /// Since when its client has kept it waiting; `None` while it is answering a request.
    fn stalled_since(&self) -> Option<u64> {
        if self.is_busy() {
            return None;
        }
        let started = self.request_started.load(Ordering::Acquire);
        if started != NEVER {
            return Some(started);
        }
        let since = self.waiting_since.load(Ordering::Acquire);
        let wrote = self.last_write.load(Ordering::Acquire);
        Some(if wrote == NEVER { since } else { since.max(wrote) })
    }

    /// When it is closed unless its client does something, and which timeout that is.
    fn deadline(&self, limits: &ConnectionLimits) -> Option<(u64, Expiry)> {
        let stalled = self.stalled_since()?;
        let header = self.request_started.load(Ordering::Acquire) != NEVER || !self.served.load(Ordering::Acquire);
        let (timeout, expiry) = if header {
            (limits.header_timeout, Expiry::Header)
        } else {
            (limits.idle_timeout, Expiry::Idle)
        };
        let timeout = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        Some((stalled.saturating_add(timeout), expiry))
    }

    fn read_some(&self) {
        let now = self.clock.now();
        let first = self
            .request_started
            .compare_exchange(NEVER, now, Ordering::AcqRel, Ordering::Acquire);
        if first.is_ok() {
            self.changed.notify_one();
        }
    }

    fn wrote_some(&self) {
        self.last_write.store(self.clock.now(), Ordering::Release);
    }
}

/// Marks a connection busy while a request is answered; dropping it (the answer produced,
/// or the request abandoned) starts the wait for the next request.
struct Busy(Arc<Connection>);

impl Busy {
    fn enter(connection: &Arc<Connection>) -> Busy {
        connection.busy.fetch_add(1, Ordering::AcqRel);
        Busy(Arc::clone(connection))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let c = &self.0;
        c.waiting_since.store(c.clock.now(), Ordering::Release);
        c.request_started.store(NEVER, Ordering::Release);
        c.served.store(true, Ordering::Release);
        // Last, so whoever sees it idle sees the times above.
        c.busy.fetch_sub(1, Ordering::AcqRel);
        c.changed.notify_one();
    }
}

/// The socket, noting on its connection when bytes come and go.
struct Watched {
    stream: TcpStream,
    connection: Arc<Connection>,
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.connection.read_some();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_write(cx, buf);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            this.connection.wrote_some();
        }
        poll
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            this.connection.wrote_some();
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The routes as a hyper service that marks its connection [`Busy`] per request.
struct Counted<S> {
    routes: S,
    connection: Arc<Connection>,
}

type Request = hyper::Request<hyper::body::Incoming>;

impl<S> hyper::service::Service<Request> for Counted<S>
where
    S: hyper::service::Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, request: Request) -> Self::Future {
        let busy = Busy::enter(&self.connection);
        let answer = self.routes.call(request);
        Box::pin(async move {
            let response = answer.await;
            drop(busy);
            response
        })
    }
}

/// The open connections, for the accept loop to find the one stalled longest.
#[derive(Default)]
struct Registry {
    next: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Connection>>>,
}

impl Registry {
    fn add(self: &Arc<Self>, connection: Arc<Connection>) -> Registered {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, connection);
        Registered {
            registry: Arc::clone(self),
            id,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Connection>>> {
        match self.open.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Closes the connection whose client has stalled longest, if any is stalled; returns
    /// whether one was.
    fn shed_longest_stalled(&self) -> bool {
        let open = self.lock();
        let oldest = open
            .values()
            .filter(|c| !c.shed.load(Ordering::Acquire))
            .filter_map(|c| c.stalled_since().map(|since| (since, c)))
            .min_by_key(|(since, _)| *since);
        let Some((since, connection)) = oldest else {
            return false;
        };
        connection.shed.store(true, Ordering::Release);
        connection.close.notify_one();
        tracing::debug!(
            stalled_ms = connection.clock.now().saturating_sub(since),
            "connection limit reached; closing the connection stalled longest"
        );
        true
    }
}

/// A connection's place in the registry, given up when its task ends.
struct Registered {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
    }
}

/// Serves `routes` on `listener` until `shutdown` completes, then stops accepting, closes
/// the connections that wait for a request, lets those answering one finish, and returns.
pub async fn run(
    listener: TcpListener,
    routes: BoxedFilter<(Response,)>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let limits = limits.fitted();
    let clock = Clock(Instant::now());
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let registry = Arc::new(Registry::default());
    let (stopping, stop) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let slot = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                // At the cap: a stalled client makes room; if every connection is answering
                // a request, the newcomer waits for one to finish (and later ones wait in
                // the listen backlog).
                registry.shed_longest_stalled();
                tokio::select! {
                    slot = Arc::clone(&slots).acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let connection = Arc::new(Connection::new(clock));
        let registered = registry.add(Arc::clone(&connection));
        let service = Counted {
            routes: TowerToHyperService::new(warp::service(routes.clone())),
            connection: Arc::clone(&connection),
        };
        tokio::spawn(serve_connection(
            stream,
            service,
            connection,
            limits,
            stop.clone(),
            (slot, registered),
        ));
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a slot until its task ends.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// An accept that failed: the client's doing (it hung up first) is ignored; anything else
/// (out of descriptors) is logged and retried after a pause.
async fn accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection");
    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
}

/// One connection, until it ends, times out, is shed or the server stops.
async fn serve_connection<S>(
    stream: TcpStream,
    service: Counted<S>,
    connection: Arc<Connection>,
    limits: ConnectionLimits,
    mut stop: watch::Receiver<bool>,
    _held: (OwnedSemaphorePermit, Registered),
) where
    S: hyper::service::Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(Watched {
        stream,
        connection: Arc::clone(&connection),
    });
    // hyper's own header timeout would restart as soon as a connection goes idle, making
    // the idle timeout the header timeout: both are kept here instead.
    let http = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    let mut http = std::pin::pin!(http);
    let mut stopping = false;
    loop {
        // A busy connection has no deadline until its answer is produced.
        let deadline = connection.deadline(&limits).map(|(at, _)| connection.clock.instant(at));
        let timer = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            result = http.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = connection.changed.notified() => {}
            () = timer => {
                if let Some((due, expiry)) = connection.deadline(&limits)
                    && due <= connection.clock.now()
                {
                    tracing::debug!(?expiry, "closing a stalled connection");
                    return;
                }
            }
            () = connection.close.notified() => return,
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_err() || !connection.has_request() {
                    return;
                }
                // Answer the request in flight (or arriving: its header is still timed),
                // then close.
                http.as_mut().graceful_shutdown();
            }
        }
    }
}
