//! Hyperparameter search benchmarks: 5-fold `GridSearchCV` (stratified folds,
//! no shuffling, refit of the best candidate: scikit-learn's defaults) of
//!
//! - `Pipeline(StandardScaler → Svc)` with C ∈ {0.1, 1, 10, 100} ×
//!   γ ∈ {0.001, 0.01, 0.1, scale} (16 candidates, 80 fits + refit) on
//!   breast_cancer (569 × 30, 2 classes) and digits (1797 × 64, 10 classes);
//! - `LogisticRegression` with 10 values of C ([`LOGISTIC_C`]) on
//!   digits.
//!
//! The bundled datasets are scikit-learn's `load_breast_cancer` and
//! `load_digits`; `benches/peers/model_selection.py` times scikit-learn's
//! `GridSearchCV` on the same grids (best of `n_jobs=1` and `n_jobs=2`) and
//! checks that it ranks the candidates as we do: this bench writes our
//! ranks, best parameters and mean test scores to
//! `target/bench-data/model_selection_results.json` first, and prints them.
//!
//! `cargo bench -p oxilearn-benches --bench model_selection`

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Instant;

use oxilearn::compose::Pipeline;
use oxilearn::data::Dataset;
use oxilearn::logistic::LogisticRegression;
use oxilearn::model_selection::{GridSearchCV, ParamGrid, SearchResults, StratifiedKFold};
use oxilearn::preprocessing::StandardScaler;
use oxilearn::svm::{Gamma, Kernel, Svc};

/// The C values of the SVC grid.
const SVC_C: [f64; 4] = [0.1, 1.0, 10.0, 100.0];

/// The γ values of the SVC grid.
const SVC_GAMMA: [Gamma; 4] = [
    Gamma::Value(0.001),
    Gamma::Value(0.01),
    Gamma::Value(0.1),
    Gamma::Scale,
];

/// The C values of the logistic grid: `numpy.logspace(-4, 0, 10)`, as
/// NumPy prints them (so that both sides show the same parameters).
const LOGISTIC_C: [f64; 10] = [
    0.0001,
    0.0002782559402207126,
    0.000774263682681127,
    0.002154434690031882,
    0.005994842503189409,
    0.016681005372000592,
    0.046415888336127774,
    0.12915496650148828,
    0.3593813663804626,
    1.0,
];

fn svc_grid() -> ParamGrid<Pipeline<usize>> {
    let pipe = Pipeline::<usize>::new()
        .transform("scaler", StandardScaler::new())
        .estimator("svc", Svc::<usize>::new());
    ParamGrid::new(pipe)
        .estimator_axis("svc", "C", SVC_C, |s: Svc, c| s.c(c))
        .estimator_axis("svc", "gamma", SVC_GAMMA, |s: Svc, g| {
            s.kernel(Kernel::Rbf { gamma: g })
        })
}

fn logistic_grid() -> ParamGrid<LogisticRegression<usize>> {
    ParamGrid::new(LogisticRegression::<usize>::new()).axis(
        "C",
        LOGISTIC_C,
        |m: LogisticRegression<usize>, c| m.c(c),
    )
}

fn search_svc(data: &Dataset<usize>) -> SearchResults<usize> {
    GridSearchCV::new(svc_grid())
        .cv(StratifiedKFold::new(5))
        .fit(&data.records, data.targets.view())
        .expect("search")
}

fn search_logistic(data: &Dataset<usize>) -> SearchResults<usize> {
    GridSearchCV::new(logistic_grid())
        .cv(StratifiedKFold::new(5))
        .fit(&data.records, data.targets.view())
        .expect("search")
}

/// One record of the results file: ranks, best parameters, mean scores.
fn record(name: &str, r: &SearchResults<usize>, seconds: f64) -> serde_json::Value {
    let t = r.cv_results();
    let score = t.scorer_names()[0].clone();
    println!(
        "{name}: {seconds:.3} s, best {:?} (score {:.6}), ranks {:?}",
        r.best_params(),
        r.best_score(),
        t.rank_test_score(&score).expect("scorer")
    );
    serde_json::json!({
        "name": name,
        "params": (0..t.n_candidates()).map(|i| t.params(i).to_vec()).collect::<Vec<_>>(),
        "rank": t.rank_test_score(&score).expect("scorer"),
        "mean_test_score": t.mean_test_score(&score).expect("scorer").to_vec(),
        "best_params": r.best_params(),
        "best_score": r.best_score(),
    })
}

fn main() {
    let bc = oxilearn::datasets::breast_cancer();
    let digits = oxilearn::datasets::digits();
    let mut records = Vec::new();
    for (name, f, data) in [
        ("svc_pipeline/breast_cancer", search_svc as fn(&_) -> _, &bc),
        ("svc_pipeline/digits", search_svc, &digits),
        ("logistic/digits", search_logistic, &digits),
    ] {
        let t = Instant::now();
        let r = f(data);
        records.push(record(name, &r, t.elapsed().as_secs_f64()));
    }
    let path = common::bench_data_dir().join("model_selection_results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&records).expect("json")).expect("write");

    let mut c = common::config();
    let mut g = c.benchmark_group("model_selection/grid_search");
    g.bench_function("svc_pipeline/breast_cancer", |b| {
        b.iter(|| search_svc(black_box(&bc)).best_index())
    });
    g.bench_function("svc_pipeline/digits", |b| {
        b.iter(|| search_svc(black_box(&digits)).best_index())
    });
    g.bench_function("logistic/digits", |b| {
        b.iter(|| search_logistic(black_box(&digits)).best_index())
    });
    g.finish();
    c.final_summary();
}
