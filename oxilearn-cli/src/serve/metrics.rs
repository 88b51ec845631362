//! Prometheus metrics, served at `GET /metrics` in the OpenMetrics text
//! format.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `oxilearn_http_requests_total` | counter | `route`, `status` — every HTTP request |
//! | `oxilearn_inference_requests_total` | counter | `model`, `version` |
//! | `oxilearn_inference_errors_total` | counter | `model`, `version`, `status` |
//! | `oxilearn_inference_rows_total` | counter | `model`, `version` |
//! | `oxilearn_inference_request_duration_seconds` | histogram | `model`, `version` — body received → response encoded |
//! | `oxilearn_inference_phase_duration_seconds` | histogram | `model`, `version`, `phase` (`queue`, `decode`, `predict`, `encode`) |
//! | `oxilearn_inflight_requests` | gauge | — inference requests being served |
//! | `oxilearn_model_versions` | gauge | `state` (`READY`, `UNAVAILABLE`, `LOADING`) |
//! | `oxilearn_model_loads_total` | counter | `model`, `result` (`ok`, `error`) |
//!
//! Only models found in the repository get `model` labels: requests for
//! unknown names are counted in `oxilearn_http_requests_total` alone, so a
//! client cannot grow the label sets without bound.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    model: String,
    version: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PhaseLabels {
    model: String,
    version: String,
    phase: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoadLabels {
    model: String,
    result: &'static str,
}

type HistogramCtor = fn() -> Histogram;

/// Latency buckets: 50 µs … ~1.6 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(50e-6, 2.0, 16))
}

/// Every metric of the server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    http: Family<RouteLabels, Counter>,
    requests: Family<ModelLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    rows: Family<ModelLabels, Counter>,
    duration: Family<ModelLabels, Histogram, HistogramCtor>,
    phases: Family<PhaseLabels, Histogram, HistogramCtor>,
    inflight: Gauge,
    versions: Family<StateLabels, Gauge>,
    loads: Family<LoadLabels, Counter>,
    encode_lock: Mutex<()>,
}

/// The metric handles of one model version (looked up once, at load).
#[derive(Debug, Clone)]
pub struct VersionMetrics {
    model: String,
    version: String,
    requests: Counter,
    rows: Counter,
    duration: Histogram,
    queue: Histogram,
    decode: Histogram,
    predict: Histogram,
    encode: Histogram,
}

/// Durations of the phases of one inference.
#[derive(Debug, Default, Clone, Copy)]
pub struct Phases {
    /// Waiting for a compute thread.
    pub queue: Duration,
    /// Parsing the body into a tensor.
    pub decode: Duration,
    /// The model.
    pub predict: Duration,
    /// Writing the response body.
    pub encode: Duration,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("oxilearn");
        let http = Family::<RouteLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            http.clone(),
        );
        let requests = Family::<ModelLabels, Counter>::default();
        registry.register(
            "inference_requests",
            "Inference requests by model and version",
            requests.clone(),
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "inference_errors",
            "Failed inference requests by model, version and HTTP status",
            errors.clone(),
        );
        let rows = Family::<ModelLabels, Counter>::default();
        registry.register(
            "inference_rows",
            "Rows (samples) predicted by model and version",
            rows.clone(),
        );
        let duration = Family::<ModelLabels, Histogram, HistogramCtor>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "inference_request_duration_seconds",
            "Inference latency from the full body received to the response encoded",
            duration.clone(),
        );
        let phases = Family::<PhaseLabels, Histogram, HistogramCtor>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "inference_phase_duration_seconds",
            "Time per phase of an inference (queue, decode, predict, encode)",
            phases.clone(),
        );
        let inflight = Gauge::default();
        registry.register(
            "inflight_requests",
            "Inference requests being served",
            inflight.clone(),
        );
        let versions = Family::<StateLabels, Gauge>::default();
        registry.register(
            "model_versions",
            "Model versions in the repository by state",
            versions.clone(),
        );
        let loads = Family::<LoadLabels, Counter>::default();
        registry.register(
            "model_loads",
            "Model file loads by model and result",
            loads.clone(),
        );
        Metrics {
            registry,
            http,
            requests,
            errors,
            rows,
            duration,
            phases,
            inflight,
            versions,
            loads,
            encode_lock: Mutex::new(()),
        }
    }

    /// The handles for one model version.
    pub fn version(&self, model: &str, version: u64) -> VersionMetrics {
        let labels = ModelLabels {
            model: model.to_string(),
            version: version.to_string(),
        };
        let phase = |phase| {
            self.phases
                .get_or_create(&PhaseLabels {
                    model: labels.model.clone(),
                    version: labels.version.clone(),
                    phase,
                })
                .clone()
        };
        VersionMetrics {
            requests: self.requests.get_or_create(&labels).clone(),
            rows: self.rows.get_or_create(&labels).clone(),
            duration: self.duration.get_or_create(&labels).clone(),
            queue: phase("queue"),
            decode: phase("decode"),
            predict: phase("predict"),
            encode: phase("encode"),
            model: labels.model,
            version: labels.version,
        }
    }

    /// Counts one HTTP request.
    pub fn http(&self, route: &'static str, status: u16) {
        self.http
            .get_or_create(&RouteLabels { route, status })
            .inc();
    }

    /// Counts a failed inference of a known model version.
    pub fn error(&self, v: &VersionMetrics, status: u16) {
        self.errors
            .get_or_create(&ErrorLabels {
                model: v.model.clone(),
                version: v.version.clone(),
                status,
            })
            .inc();
    }

    /// Counts one model load.
    pub fn load(&self, model: &str, ok: bool) {
        self.loads
            .get_or_create(&LoadLabels {
                model: model.to_string(),
                result: if ok { "ok" } else { "error" },
            })
            .inc();
    }

    /// Sets the number of versions in each state.
    pub fn set_versions(&self, ready: usize, unavailable: usize, loading: usize) {
        for (state, n) in [
            ("READY", ready),
            ("UNAVAILABLE", unavailable),
            ("LOADING", loading),
        ] {
            self.versions
                .get_or_create(&StateLabels { state })
                .set(n as i64);
        }
    }

    /// The in-flight gauge (incremented while a request is served).
    pub fn inflight(&self) -> &Gauge {
        &self.inflight
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let _guard = self.encode_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::with_capacity(16 * 1024);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String never fails");
        out
    }
}

impl VersionMetrics {
    /// Records a successful inference of `rows` rows.
    pub fn success(&self, rows: usize, total: Duration, phases: Phases) {
        self.requests.inc();
        self.rows.inc_by(rows as u64);
        self.duration.observe(total.as_secs_f64());
        self.queue.observe(phases.queue.as_secs_f64());
        self.decode.observe(phases.decode.as_secs_f64());
        self.predict.observe(phases.predict.as_secs_f64());
        self.encode.observe(phases.encode.as_secs_f64());
    }

    /// Records a failed inference (counted as a request too).
    pub fn failure(&self, total: Duration) {
        self.requests.inc();
        self.duration.observe(total.as_secs_f64());
    }
}
