//! `oxilearn serve`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::Failure;
use crate::serve::{ServeConfig, Server};

/// Serve every model of a repository over the Open Inference Protocol v2.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Repository layout: DIR/<name>/<version>/model.safetensors, <version> a positive integer.
New and changed files are loaded while serving (every --poll-interval); an unversioned
request goes to the highest READY version; a file that fails to load is reported
(POST /v2/repository/index, model metadata, logs) and never stops the server.

Endpoints: GET /v2/health/live, /v2/health/ready, /v2, /v2/models/<name>[/versions/<v>][/ready],
POST /v2/models/<name>[/versions/<v>]/infer, POST /v2/repository/index,
POST /v2/repository/models/<name>/load, GET /metrics.

SIGTERM or Ctrl-C: stop accepting connections, finish in-flight requests
(up to --shutdown-timeout), exit 0.

Example:
  oxilearn serve --models ./models --port 8080
  curl -s localhost:8080/v2/models/iris/infer -d '{\"inputs\":[{\"name\":\"input\",\"shape\":[1,4],\"datatype\":\"FP64\",\"data\":[5.1,3.5,1.4,0.2]}]}'")]
pub struct ServeArgs {
    /// The model repository directory.
    #[arg(long, short = 'm', env = "OXILEARN_MODELS", default_value = "models")]
    pub models: PathBuf,
    /// Address to listen on (0.0.0.0 for every interface, as in a container).
    #[arg(long, env = "OXILEARN_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one; the log says which).
    #[arg(long, short = 'p', env = "OXILEARN_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Compute threads for the models (0 = one per CPU).
    #[arg(long, env = "OXILEARN_THREADS", default_value_t = 0)]
    pub threads: usize,
    /// Threads for HTTP connections (0 = one per CPU).
    #[arg(long, env = "OXILEARN_HTTP_THREADS", default_value_t = 0)]
    pub http_threads: usize,
    /// Largest request body in bytes, also after decompression (413 above).
    #[arg(long, env = "OXILEARN_MAX_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Most rows per inference request (413 above).
    #[arg(long, env = "OXILEARN_MAX_ROWS", default_value_t = 100_000)]
    pub max_rows: usize,
    /// Most inference requests queued or running at once (503 above).
    #[arg(long, env = "OXILEARN_MAX_QUEUE", default_value_t = 1024)]
    pub max_queue: usize,
    /// Longest inference, from body received to response ready, in seconds (504 above).
    #[arg(long, env = "OXILEARN_REQUEST_TIMEOUT", default_value_t = 60.0)]
    pub request_timeout: f64,
    /// Longest time to receive a request body, in seconds (408 above).
    #[arg(long, env = "OXILEARN_BODY_TIMEOUT", default_value_t = 30.0)]
    pub body_timeout: f64,
    /// Seconds between repository scans (0 = scan at start only).
    #[arg(long, env = "OXILEARN_POLL_INTERVAL", default_value_t = 2.0)]
    pub poll_interval: f64,
    /// Longest wait for in-flight requests at shutdown, in seconds.
    #[arg(long, env = "OXILEARN_SHUTDOWN_TIMEOUT", default_value_t = 30.0)]
    pub shutdown_timeout: f64,
}

fn seconds(name: &str, v: f64) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(v).map_err(|_| {
        Failure(format!(
            "--{name} must be a non-negative number of seconds, got {v}"
        ))
    })
}

impl ServeArgs {
    /// The server configuration these flags describe.
    ///
    /// # Errors
    /// A negative or non-finite duration.
    pub fn config(&self) -> Result<ServeConfig, Failure> {
        Ok(ServeConfig {
            models: self.models.clone(),
            host: self.host.clone(),
            port: self.port,
            threads: self.threads,
            max_body_bytes: self.max_body_bytes,
            max_rows: self.max_rows,
            max_queue: self.max_queue,
            request_timeout: seconds("request-timeout", self.request_timeout)?,
            body_timeout: seconds("body-timeout", self.body_timeout)?,
            poll_interval: seconds("poll-interval", self.poll_interval)?,
            shutdown_timeout: seconds("shutdown-timeout", self.shutdown_timeout)?,
        })
    }
}

/// Runs the server until SIGTERM or Ctrl-C.
///
/// # Errors
/// Invalid flags, an unreadable repository, a port that cannot be bound.
pub fn run(args: ServeArgs) -> Result<(), Failure> {
    let config = args.config()?;
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if args.http_threads > 0 {
        rt.worker_threads(args.http_threads);
    }
    let rt = rt
        .thread_name("oxilearn-http")
        .enable_all()
        .build()
        .map_err(|e| Failure(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async move {
        let server = Server::start(config).await?;
        let stop = server.stopper();
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        });
        server.wait().await
    })
    .map_err(|e| Failure(e.to_string()))
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
