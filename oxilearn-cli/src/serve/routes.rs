//! The HTTP routes and their handlers.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, Limited};
use serde_json::json;

use super::App;
use super::error::ApiError;
use super::metrics::Phases;
use super::protocol::{self, HEADER_LENGTH, RequestLimits};
use super::repository::{self, State as VState};

type Shared = State<Arc<App>>;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v2", get(server_metadata))
        .route("/v2/health/live", get(live))
        .route("/v2/health/ready", get(ready))
        .route("/v2/models/{name}", get(model_metadata))
        .route(
            "/v2/models/{name}/versions/{version}",
            get(model_metadata_v),
        )
        .route("/v2/models/{name}/ready", get(model_ready))
        .route(
            "/v2/models/{name}/versions/{version}/ready",
            get(model_ready_v),
        )
        .route("/v2/models/{name}/infer", post(infer))
        .route("/v2/models/{name}/versions/{version}/infer", post(infer_v))
        .route("/v2/repository/index", post(index).get(index))
        .route("/v2/repository/models/{name}/load", post(load))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(app.clone(), count_requests))
        .with_state(app)
}

/// The route label of a matched path (a fixed set: no label per model name).
fn route_label(path: Option<&str>) -> &'static str {
    match path {
        Some("/v2") => "server_metadata",
        Some("/v2/health/live") => "live",
        Some("/v2/health/ready") => "ready",
        Some("/v2/models/{name}" | "/v2/models/{name}/versions/{version}") => "model_metadata",
        Some("/v2/models/{name}/ready" | "/v2/models/{name}/versions/{version}/ready") => {
            "model_ready"
        }
        Some("/v2/models/{name}/infer" | "/v2/models/{name}/versions/{version}/infer") => "infer",
        Some("/v2/repository/index") => "repository_index",
        Some("/v2/repository/models/{name}/load") => "repository_load",
        Some("/metrics") => "metrics",
        _ => "other",
    }
}

async fn count_requests(State(app): Shared, req: Request, next: Next) -> Response {
    let route = route_label(req.extensions().get::<MatchedPath>().map(|p| p.as_str()));
    let method = req.method().clone();
    let uri = req.uri().path().to_owned();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    app.metrics.http(route, status);
    tracing::debug!(
        %method, path = %uri, status, micros = start.elapsed().as_micros() as u64,
        "request"
    );
    resp
}

async fn not_found(req: Request) -> ApiError {
    ApiError::not_found(format!(
        "no route {} {}; see /v2 and /v2/repository/index",
        req.method(),
        req.uri().path()
    ))
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "method {} is not allowed on {}",
            req.method(),
            req.uri().path()
        ),
    )
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}

async fn server_metadata() -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "name": "oxilearn",
            "version": env!("CARGO_PKG_VERSION"),
            "extensions": ["binary_tensor_data", "model_repository", "metrics"],
        }),
    )
}

async fn live() -> StatusCode {
    StatusCode::OK
}

async fn ready(State(app): Shared) -> Response {
    if app.draining.load(Ordering::Acquire) {
        return ApiError::unavailable("shutting down").into_response();
    }
    if !app.scanned.load(Ordering::Acquire) {
        return ApiError::unavailable("the model repository is still being loaded").into_response();
    }
    if !app.repo.all_ready() {
        let waiting: Vec<String> = app
            .repo
            .snapshot()
            .iter()
            .filter(|(_, vs)| !vs.is_empty() && !vs.values().any(|v| v.state == VState::Ready))
            .map(|(n, _)| n.clone())
            .collect();
        return ApiError::unavailable(format!("models without a READY version: {waiting:?}"))
            .into_response();
    }
    StatusCode::OK.into_response()
}

fn metadata(app: &App, name: &str, version: Option<&str>) -> Result<Response, ApiError> {
    let snap = app.repo.snapshot();
    let r = repository::resolve(&snap, name, version)?;
    let versions: Vec<String> = r.versions.iter().map(u64::to_string).collect();
    let mut body = json!({
        "name": name,
        "versions": versions,
        "platform": "oxilearn_safetensors",
        "inputs": [],
        "outputs": [],
        "parameters": {
            "version": r.version.to_string(),
            "state": r.entry.state.as_str(),
            "ready": r.entry.state == VState::Ready,
        },
    });
    if !r.entry.reason.is_empty() {
        body["parameters"]["reason"] = json!(r.entry.reason);
    }
    if let Some(model) = &r.entry.model {
        let m = model.metadata();
        body["inputs"] = json!([model.input()]);
        body["outputs"] = json!(model.outputs().collect::<Vec<_>>());
        let p = &mut body["parameters"];
        p["kind"] = json!(m.kind);
        p["dtype"] = json!(m.dtype);
        p["n_features"] = json!(m.n_features);
        p["classes"] = json!(m.classes);
        p["hyperparameters"] = m.hyperparameters.clone();
        p["format_version"] = json!(m.format_version);
        p["crate_version"] = json!(m.crate_version);
        p["user"] = json!(m.user);
        p["loaded_at"] = json!(r.entry.loaded_at);
    }
    Ok(json_response(StatusCode::OK, &body))
}

async fn model_metadata(State(app): Shared, Path(name): Path<String>) -> Response {
    metadata(&app, &name, None).unwrap_or_else(IntoResponse::into_response)
}

async fn model_metadata_v(
    State(app): Shared,
    Path((name, version)): Path<(String, String)>,
) -> Response {
    metadata(&app, &name, Some(&version)).unwrap_or_else(IntoResponse::into_response)
}

fn model_ready_impl(app: &App, name: &str, version: Option<&str>) -> Response {
    let snap = app.repo.snapshot();
    match repository::resolve(&snap, name, version) {
        Err(e) => e.into_response(),
        Ok(r) if r.entry.state == VState::Ready => StatusCode::OK.into_response(),
        Ok(r) => ApiError::bad_request(format!(
            "version {} of `{name}` is {}: {}",
            r.version,
            r.entry.state.as_str(),
            r.entry.reason
        ))
        .into_response(),
    }
}

async fn model_ready(State(app): Shared, Path(name): Path<String>) -> Response {
    model_ready_impl(&app, &name, None)
}

async fn model_ready_v(
    State(app): Shared,
    Path((name, version)): Path<(String, String)>,
) -> Response {
    model_ready_impl(&app, &name, Some(&version))
}

#[derive(Debug, serde::Deserialize, Default)]
struct IndexRequest {
    #[serde(default)]
    ready: bool,
}

async fn index(State(app): Shared, method: Method, body: Bytes) -> Response {
    let req = if method == Method::POST && !body.iter().all(u8::is_ascii_whitespace) {
        match serde_json::from_slice::<IndexRequest>(&body) {
            Ok(r) => r,
            Err(e) => {
                return ApiError::bad_request(format!("malformed index request: {e}"))
                    .into_response();
            }
        }
    } else {
        IndexRequest::default()
    };
    json_response(StatusCode::OK, &json!(app.repo.index(req.ready)))
}

async fn load(State(app): Shared, Path(name): Path<String>) -> Response {
    let repo = app.repo.clone();
    let n = name.clone();
    let scanned = tokio::task::spawn_blocking(move || repo.scan_model(&n)).await;
    match scanned {
        Ok(Ok(_)) => {
            let snap = app.repo.snapshot();
            let versions = snap.get(&name).cloned().unwrap_or_default();
            if versions.values().any(|v| v.state == VState::Ready) {
                StatusCode::OK.into_response()
            } else {
                let reasons: Vec<String> = versions
                    .iter()
                    .map(|(v, e)| format!("version {v}: {}", e.reason))
                    .collect();
                ApiError::bad_request(format!(
                    "model `{name}` has no loadable version ({})",
                    reasons.join("; ")
                ))
                .into_response()
            }
        }
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::internal(format!("scan failed: {e}")).into_response(),
    }
}

async fn metrics(State(app): Shared) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        app.metrics.encode(),
    )
        .into_response()
}

async fn infer(State(app): Shared, Path(name): Path<String>, req: Request) -> Response {
    infer_impl(app, name, None, req).await
}

async fn infer_v(
    State(app): Shared,
    Path((name, version)): Path<(String, String)>,
    req: Request,
) -> Response {
    infer_impl(app, name, Some(version), req).await
}

/// Reads the whole body within the size and time limits, decompressing
/// `gzip` / `deflate` bodies (the limit applies to the decompressed size too).
async fn read_body(app: &App, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let limit = app.config.max_body_bytes;
    let too_large = |n: String| {
        ApiError::too_large(format!(
            "request body of {n} bytes is over the limit of {limit} bytes (--max-body-bytes)"
        ))
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        return Err(too_large(len.to_string()));
    }
    let collected =
        tokio::time::timeout(app.config.body_timeout, Limited::new(body, limit).collect())
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "the request body did not arrive within {} s",
                        app.config.body_timeout.as_secs_f64()
                    ),
                )
            })?;
    let bytes = match collected {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(too_large(format!("more than {limit}")));
        }
        Err(e) => {
            return Err(ApiError::bad_request(format!(
                "cannot read the request body: {e}"
            )));
        }
    };
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase());
    let decode = |r: &mut dyn Read| -> Result<Bytes, ApiError> {
        let mut out = Vec::new();
        r.take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| {
                ApiError::bad_request(format!("cannot decompress the request body: {e}"))
            })?;
        if out.len() > limit {
            return Err(too_large(format!("more than {limit} (decompressed)")));
        }
        Ok(Bytes::from(out))
    };
    match encoding.as_deref() {
        None | Some("identity") => Ok(bytes),
        Some("gzip" | "x-gzip") => decode(&mut flate2::read::GzDecoder::new(&bytes[..])),
        Some("deflate") => decode(&mut flate2::read::ZlibDecoder::new(&bytes[..])),
        Some(other) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Encoding `{other}` is not supported; use gzip, deflate or none"),
        )),
    }
}

fn header_len(headers: &HeaderMap) -> Result<Option<usize>, ApiError> {
    match headers.get(HEADER_LENGTH) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Inference-Header-Content-Length must be a byte count, got {v:?}"
                ))
            }),
    }
}

struct InflightGuard<'a>(&'a App);
impl Drop for InflightGuard<'_> {
    fn drop(&mut self) {
        self.0.metrics.inflight().dec();
    }
}

async fn infer_impl(
    app: Arc<App>,
    name: String,
    version: Option<String>,
    req: Request,
) -> Response {
    app.metrics.inflight().inc();
    let _guard = InflightGuard(&app);
    let snap = app.repo.snapshot();
    let resolved = match repository::resolve(&snap, &name, version.as_deref()) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    drop(snap);
    let (Some(model), Some(vm)) = (resolved.entry.model.clone(), resolved.entry.metrics.clone())
    else {
        return ApiError::unavailable(format!(
            "version {} of `{name}` is {}: {}",
            resolved.version,
            resolved.entry.state.as_str(),
            resolved.entry.reason
        ))
        .into_response();
    };
    let start = Instant::now();
    let result: Result<_, ApiError> = async {
        let (parts, body) = req.into_parts();
        let header_len = header_len(&parts.headers)?;
        let body = read_body(&app, &parts.headers, body).await?;
        let limits = RequestLimits {
            max_rows: app.config.max_rows,
        };
        let v = resolved.version;
        let model_name = name.clone();
        let job = move || -> Result<_, ApiError> {
            let t0 = Instant::now();
            let d = protocol::decode(&body, header_len, &model, limits)?;
            drop(body);
            let t1 = Instant::now();
            let names: Vec<&str> = d.outputs.iter().map(|(n, _)| n.as_str()).collect();
            let rows = d.rows();
            let outputs = model.infer(d.x, &d.shape, &names)?;
            let t2 = Instant::now();
            let binary: Vec<bool> = if d.outputs.is_empty() {
                vec![d.binary_default; outputs.len()]
            } else {
                d.outputs.iter().map(|(_, b)| *b).collect()
            };
            let enc = protocol::encode(&model_name, v, d.id.as_deref(), &outputs, &binary);
            let t3 = Instant::now();
            let phases = Phases {
                queue: Duration::ZERO,
                decode: t1 - t0,
                predict: t2 - t1,
                encode: t3 - t2,
            };
            Ok((enc, rows, phases))
        };
        let timeout = app.config.request_timeout;
        let timed_out = || {
            ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "inference did not finish within {} s (--request-timeout)",
                    timeout.as_secs_f64()
                ),
            )
        };
        let submitted = Instant::now();
        let (out, waited) = tokio::time::timeout(timeout, app.compute.run(job))
            .await
            .map_err(|_| timed_out())??;
        // The timer has a resolution of a millisecond and a job that finishes
        // before it fires is returned even when it ran past the deadline: the
        // deadline is checked here too, so the answer does not depend on luck.
        if submitted.elapsed() > timeout {
            return Err(timed_out());
        }
        let (enc, rows, mut phases) = out?;
        phases.queue = waited;
        Ok((enc, rows, phases))
    }
    .await;
    match result {
        Ok((enc, rows, phases)) => {
            vm.success(rows, start.elapsed(), phases);
            let mut resp = Response::new(Body::from(enc.body));
            let h = resp.headers_mut();
            match enc.header_len {
                Some(n) => {
                    h.insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/octet-stream"),
                    );
                    h.insert(HEADER_LENGTH, HeaderValue::from(n));
                }
                None => {
                    h.insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                }
            }
            resp
        }
        Err(e) => {
            vm.failure(start.elapsed());
            app.metrics.error(&vm, e.status.as_u16());
            if e.status.is_server_error() {
                tracing::warn!(model = %name, version = resolved.version, status = e.status.as_u16(), error = %e.message, "inference failed");
            } else {
                tracing::debug!(model = %name, version = resolved.version, status = e.status.as_u16(), error = %e.message, "inference refused");
            }
            e.into_response()
        }
    }
}
