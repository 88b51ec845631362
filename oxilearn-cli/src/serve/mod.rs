//! `oxilearn serve`: model files behind the Open Inference Protocol v2 REST
//! API (the KServe / Triton / MLServer standard), with Triton's binary tensor
//! data extension, a versioned model repository with hot reload, and
//! Prometheus metrics.
//!
//! # Endpoints
//! | method | path | answer |
//! |---|---|---|
//! | GET | `/v2/health/live` | 200 while the process serves |
//! | GET | `/v2/health/ready` | 200 once the repository is scanned and every model has a `READY` version, else 503 |
//! | GET | `/v2` | server metadata (name, version, extensions) |
//! | GET | `/v2/models/{name}[/versions/{v}]` | model metadata: inputs and outputs (name, datatype, shape with `-1` batch), versions, state |
//! | GET | `/v2/models/{name}[/versions/{v}]/ready` | 200 when that version (default: the newest ready) is `READY`, else 400 |
//! | POST | `/v2/models/{name}[/versions/{v}]/infer` | inference (JSON or binary tensors) |
//! | POST, GET | `/v2/repository/index` | every model version with its state and reason |
//! | POST | `/v2/repository/models/{name}/load` | rescan one model now |
//! | GET | `/metrics` | Prometheus / OpenMetrics text |
//!
//! Errors answer `{"error": "…"}`: 400 malformed request (JSON, datatype,
//! shape/data disagreement, unknown output), 404 unknown model, version or
//! route, 405 wrong method, 413 body or rows over the limits, 422 data the
//! model refuses (feature count, NaN/inf), 503 version not ready or server
//! overloaded (with `Retry-After`), 504 request timeout.
//!
//! # Example
//! See [`Server`].

mod compute;
pub(crate) mod engine;
pub(crate) mod error;
pub(crate) mod metrics;
pub(crate) mod model;
pub(crate) mod protocol;
pub(crate) mod repository;
mod routes;
pub(crate) mod tensor;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use compute::Compute;
use metrics::Metrics;
use repository::Repository;

/// Everything `oxilearn serve` can be told.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use oxilearn_cli::serve::ServeConfig;
/// let config = ServeConfig { port: 0, poll_interval: Duration::ZERO, ..ServeConfig::default() };
/// assert_eq!(config.max_body_bytes, 32 * 1024 * 1024);
/// ```
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The model repository `DIR/<name>/<version>/model.safetensors`.
    pub models: PathBuf,
    /// Address to listen on.
    pub host: String,
    /// Port (0 = any free port).
    pub port: u16,
    /// Compute threads (0 = one per CPU).
    pub threads: usize,
    /// Largest request body, in bytes (also after decompression).
    pub max_body_bytes: usize,
    /// Most rows per request.
    pub max_rows: usize,
    /// Most inference requests queued or running at once.
    pub max_queue: usize,
    /// Longest time from the body received to the response encoded.
    pub request_timeout: Duration,
    /// Longest time to receive a request body.
    pub body_timeout: Duration,
    /// Time between repository scans (zero = scan at start only).
    pub poll_interval: Duration,
    /// Longest wait for in-flight requests at shutdown.
    pub shutdown_timeout: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            models: PathBuf::from("models"),
            host: "127.0.0.1".to_string(),
            port: 8080,
            threads: 0,
            max_body_bytes: 32 * 1024 * 1024,
            max_rows: 100_000,
            max_queue: 1024,
            request_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_secs(2),
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// Shared state of the handlers.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) config: ServeConfig,
    pub(crate) repo: Arc<Repository>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) compute: Compute,
    pub(crate) scanned: AtomicBool,
    pub(crate) draining: AtomicBool,
}

/// A running server.
///
/// # Example
/// ```
/// use oxilearn_cli::serve::{ServeConfig, Server};
/// # let dir = std::env::temp_dir().join(format!("oxilearn-doc-serve-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let rt = tokio::runtime::Runtime::new()?;
/// rt.block_on(async {
///     // an (empty) model repository, any free port on loopback
///     let config = ServeConfig { models: dir.clone(), port: 0, ..ServeConfig::default() };
///     let server = Server::start(config).await?;
///     assert!(server.addr().port() > 0);
///     server.shutdown().await // graceful: in-flight requests finish first
/// })?;
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Binds, starts the repository scan (the server is live at once and
    /// ready when the first scan is done) and serves in the background.
    ///
    /// # Errors
    /// When the repository is not a readable directory, the address cannot
    /// be bound or the compute threads cannot be created.
    pub async fn start(config: ServeConfig) -> std::io::Result<Server> {
        let metrics = Arc::new(Metrics::new());
        let repo = Arc::new(
            Repository::open(&config.models, metrics.clone()).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "model repository {} is not a readable directory: {e}",
                        config.models.display()
                    ),
                )
            })?,
        );
        let threads = if config.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            config.threads
        };
        let compute = Compute::new(threads, config.max_queue)?;
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let addr = listener.local_addr()?;
        let app = Arc::new(App {
            config,
            repo,
            metrics,
            compute,
            scanned: AtomicBool::new(false),
            draining: AtomicBool::new(false),
        });
        tracing::info!(
            %addr,
            models = %app.repo.root().display(),
            compute_threads = app.compute.threads(),
            max_body_bytes = app.config.max_body_bytes,
            max_rows = app.config.max_rows,
            poll_interval_ms = app.config.poll_interval.as_millis() as u64,
            "oxilearn serve listening"
        );
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run(app, listener, stop_rx));
        Ok(Server { addr, stop, task })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, lets in-flight requests finish (up to the
    /// shutdown timeout) and returns.
    ///
    /// # Errors
    /// An I/O error of the server loop.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        self.wait().await
    }

    /// Waits until the server stops (after [`shutdown`](Self::shutdown) or a
    /// signal handled by the caller).
    ///
    /// # Errors
    /// An I/O error of the server loop.
    pub async fn wait(self) -> std::io::Result<()> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// A handle that stops the server when sent `true`.
    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop.clone()
    }
}

async fn run(
    app: Arc<App>,
    listener: TcpListener,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let poller = tokio::spawn(poll_repository(app.clone(), stop.clone()));
    let router = routes::router(app.clone());
    let mut stop_signal = stop.clone();
    let graceful = async move {
        let _ = stop_signal.wait_for(|s| *s).await;
    };
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY failed");
        }
    });
    let serve = axum::serve(listener, router).with_graceful_shutdown(graceful);
    let serve = tokio::spawn(async move { serve.await });
    let _ = stop.wait_for(|s| *s).await;
    app.draining.store(true, Ordering::Release);
    let inflight = app.metrics.inflight().get();
    tracing::info!(
        inflight,
        "shutting down: no new connections; waiting for in-flight requests"
    );
    poller.abort();
    let deadline = app.config.shutdown_timeout;
    match tokio::time::timeout(deadline, serve).await {
        Ok(Ok(r)) => {
            tracing::info!("shut down cleanly");
            r
        }
        Ok(Err(e)) => Err(std::io::Error::other(e)),
        Err(_) => {
            tracing::warn!(
                timeout_s = deadline.as_secs_f64(),
                "requests still running after the shutdown timeout; exiting anyway"
            );
            Ok(())
        }
    }
}

async fn poll_repository(app: Arc<App>, stop: watch::Receiver<bool>) {
    loop {
        let repo = app.repo.clone();
        let changed = tokio::task::spawn_blocking(move || repo.scan())
            .await
            .unwrap_or(0);
        if !app.scanned.swap(true, Ordering::AcqRel) {
            let index = app.repo.index(false);
            let ready = index.iter().filter(|e| e.state == "READY").count();
            tracing::info!(
                versions = index.len(),
                ready,
                "repository scanned; server ready"
            );
        } else if changed > 0 {
            tracing::debug!(changed, "repository changed");
        }
        if app.config.poll_interval.is_zero() || *stop.borrow() {
            return;
        }
        tokio::time::sleep(app.config.poll_interval).await;
    }
}
