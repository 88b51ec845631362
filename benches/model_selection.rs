//! Hyperparameter search benchmarks: 5-fold `GridSearchCV` (stratified folds,
//! no shuffling, refit of the best candidate: scikit-learn's defaults) of
//!
//! - `Pipeline(StandardScaler → Svc)` with C ∈ {0.1, 1, 10, 100} ×
//!   γ ∈ {0.001, 0.01, 0.1, scale} (16 candidates, 80 fits + refit) on
//!   breast_cancer (569 × 30, 2 classes) and digits (1797 × 64, 10 classes);
//! - `Pipeline(StandardScaler → LogisticRegression)` with 10 values of C
//!   ([`LOGISTIC_C`]) on digits, at the default tolerance and at
//!   [`TIGHT_TOL`]. Standardised because scikit-learn's lbfgs
//!   does not converge in its default 100 iterations on raw digits (ours
//!   runs in scaled coordinates and would); on standardised rows both
//!   solvers converge with their defaults (`tol = 1e-4`, 100 iterations).
//!
//! The bundled datasets are scikit-learn's `load_breast_cancer` and
//! `load_digits`; `benches/peers/model_selection.py` times scikit-learn's
//! `GridSearchCV` on the same grids (best of `n_jobs=1` and `n_jobs=2`) and
//! checks that it ranks the candidates as we do: this bench writes our
//! ranks, best parameters and mean test scores to
//! `target/bench-data/model_selection_results.json` first, and prints them,
//! with the objective each logistic fit of the grid reaches on the whole
//! standardised digits (the peer compares its solvers' objectives with
//! these: tolerance matched by objective).
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

/// The tighter tolerance of the second logistic bench: every fit then ends at
/// an objective at or below scikit-learn's `newton-cg` at its default
/// tolerance (the peer checks it).
const TIGHT_TOL: f64 = 1e-6;

fn logistic_grid(tol: f64) -> ParamGrid<Pipeline<usize>> {
    let pipe = Pipeline::<usize>::new()
        .transform("scaler", StandardScaler::new())
        .estimator(
            "logisticregression",
            LogisticRegression::<usize>::new().tol(tol),
        );
    ParamGrid::new(pipe).estimator_axis(
        "logisticregression",
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
    search_logistic_tol(data, 1e-4)
}

fn search_logistic_tight(data: &Dataset<usize>) -> SearchResults<usize> {
    search_logistic_tol(data, TIGHT_TOL)
}

fn search_logistic_tol(data: &Dataset<usize>, tol: f64) -> SearchResults<usize> {
    GridSearchCV::new(logistic_grid(tol))
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

/// The logistic grid's fits on the whole standardised digits: scikit-learn's
/// objective `C·Σ ℓᵢ + ½‖W‖²` each reaches, and whether it converged (the
/// peer compares its solvers' objectives with these).
fn logistic_objectives(name: &str, digits: &Dataset<usize>, tol: f64) -> serde_json::Value {
    let x = StandardScaler::new()
        .fit(digits.records.view())
        .and_then(|s| s.transform(digits.records.view()))
        .expect("scale");
    let fits: Vec<_> = LOGISTIC_C
        .iter()
        .map(|&c| {
            LogisticRegression::<usize>::new()
                .c(c)
                .tol(tol)
                .fit(x.view(), digits.targets.view())
                .expect("fit")
        })
        .collect();
    serde_json::json!({
        "name": format!("{name}/whole_data"),
        "tol": tol,
        "C": LOGISTIC_C,
        "objective": fits.iter().map(|f| f.objective()).collect::<Vec<_>>(),
        "n_iter": fits.iter().map(|f| f.n_iter()).collect::<Vec<_>>(),
        "converged": fits.iter().map(|f| f.converged()).collect::<Vec<_>>(),
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
        ("logistic_tol1e-6/digits", search_logistic_tight, &digits),
    ] {
        let t = Instant::now();
        let r = f(data);
        records.push(record(name, &r, t.elapsed().as_secs_f64()));
    }
    records.push(logistic_objectives("logistic/digits", &digits, 1e-4));
    records.push(logistic_objectives(
        "logistic_tol1e-6/digits",
        &digits,
        TIGHT_TOL,
    ));
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
    g.bench_function("logistic_tol1e-6/digits", |b| {
        b.iter(|| search_logistic_tight(black_box(&digits)).best_index())
    });
    g.finish();
    c.final_summary();
}
