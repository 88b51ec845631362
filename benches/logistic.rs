//! Logistic regression: oxilearn (Newton–Cholesky, L-BFGS) against
//! linfa-logistic on the same data, in the same run.
//!
//! Data (exported to `target/bench-data/` as `.npy` for
//! `benches/peers/logistic.py`, which times scikit-learn on the very same
//! arrays):
//! - binary: `make_classification(n_samples = 50000, n_features = 100,
//!   n_informative = 20, n_classes = 2, seed = 0)`, 80/20
//!   `train_test_split(seed = 0)`; models fit the 40000 training rows.
//! - multinomial: the bundled digits (1797 × 64, raw pixel values 0–16).
//!
//! Every model: C = 1 (linfa: `alpha = 1/C`), tol = 1e-4, max_iter = 100.
//! Before timing, each model's objective `C·Σℓ + ½‖W‖²` and iteration count
//! are printed once (`objective` lines), for BENCHMARKS.md.
//!
//! Run (the `benches/linfa` workspace builds it):
//! `cargo bench --manifest-path benches/linfa/Cargo.toml --bench logistic`
//! (add `--features openblas-system` for the BLAS backend). linfa-logistic is slow (seconds per binary fit):
//! its groups use criterion's minimum of 10 samples in flat sampling mode
//! (10 fits after one warm-up fit); `OXILEARN_BENCH_LINFA=0` leaves linfa out
//! entirely (its objective lines too).

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use linfa::prelude::*;
use oxilearn::data::{make_classification, train_test_split, write_npy};
use oxilearn::datasets;
use oxilearn::logistic::{LogisticRegression, Solver};
use oxilearn::ndarray::{Array1, Array2, ArrayView1, ArrayView2};

const C: f64 = 1.0;
const TOL: f64 = 1e-4;
const MAX_ITER: usize = 100;

fn bench_dir() -> PathBuf {
    common::bench_data_dir()
}

fn export(name: &str, x: ArrayView2<'_, f64>, y: ArrayView1<'_, usize>) {
    let dir = bench_dir();
    write_npy(dir.join(format!("logistic_{name}_x.npy")), x).expect("write x");
    let y = y.mapv(|c| c as i64);
    write_npy(dir.join(format!("logistic_{name}_y.npy")), y.view()).expect("write y");
}

fn binary_data() -> (Array2<f64>, Array1<usize>) {
    let (x, y) = make_classification(50_000, 100, 20, 2, 0).expect("make_classification");
    let split = train_test_split(x.view(), y.view(), 0.2, 0).expect("split");
    export("binary", split.x_train.view(), split.y_train.view());
    (split.x_train, split.y_train)
}

fn digits_data() -> (Array2<f64>, Array1<usize>) {
    let d = datasets::digits();
    export("digits", d.records.view(), d.targets.view());
    (d.records, d.targets)
}

/// scikit-learn's objective `C·Σ −log p(yᵢ) + ½‖W‖²` from probabilities
/// (`proba[i, j]` of class `classes[j]`, classes `0..k`).
fn objective(proba: ArrayView2<'_, f64>, y: ArrayView1<'_, usize>, coef_sq: f64) -> f64 {
    let nll: f64 = y
        .iter()
        .enumerate()
        .map(|(i, &c)| -proba[[i, c]].max(f64::MIN_POSITIVE).ln())
        .sum();
    C * nll + 0.5 * coef_sq
}

fn to16_x(x: ArrayView2<'_, f64>) -> ndarray16::Array2<f64> {
    ndarray16::Array2::from_shape_vec(x.dim(), x.iter().copied().collect()).expect("shape")
}

fn to16_y(y: ArrayView1<'_, usize>) -> ndarray16::Array1<usize> {
    ndarray16::Array1::from_vec(y.to_vec())
}

/// Whether to run the linfa-logistic comparisons (`OXILEARN_BENCH_LINFA`,
/// default on).
fn with_linfa() -> bool {
    std::env::var("OXILEARN_BENCH_LINFA").map_or(true, |v| v != "0")
}

/// Criterion settings for linfa's slow fits: the minimum 10 samples of one
/// fit each, a 1 s warm-up.
fn linfa_group_settings<M: criterion::measurement::Measurement>(
    g: &mut criterion::BenchmarkGroup<'_, M>,
) {
    g.sampling_mode(criterion::SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(1))
        .measurement_time(std::time::Duration::from_millis(1));
}

fn ours(solver: Solver) -> LogisticRegression<usize> {
    LogisticRegression::new()
        .c(C)
        .tol(TOL)
        .max_iter(MAX_ITER)
        .solver(solver)
}

/// Fits once, prints the objective line and records the objective under the
/// criterion id in `target/bench-data/logistic_objectives.json` (read by
/// `benches/peers/logistic.py` to run scikit-learn to the same objective).
fn report_ours(id: &str, x: ArrayView2<'_, f64>, y: ArrayView1<'_, usize>, solver: Solver) {
    let m = ours(solver).fit(x, y).expect("fit");
    println!(
        "objective {id}: {:.12e} (n_iter {}, converged {})",
        m.objective(),
        m.n_iter(),
        m.converged()
    );
    let path = bench_dir().join("logistic_objectives.json");
    let mut all: serde_json::Map<String, serde_json::Value> = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    all.insert(id.to_string(), m.objective().into());
    let text = serde_json::to_string_pretty(&all).expect("json");
    std::fs::write(&path, text).expect("write logistic_objectives.json");
}

fn fit_bench<M: criterion::measurement::Measurement>(
    g: &mut criterion::BenchmarkGroup<'_, M>,
    id: &str,
    p: LogisticRegression<usize>,
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, usize>,
) {
    g.bench_function(id, |b| {
        b.iter(|| black_box(p.fit(black_box(x), y).expect("fit").objective()))
    });
}

fn bench_binary(c: &mut Criterion) {
    let (x, y) = binary_data();
    let (n, d) = x.dim();
    let group = format!("logistic/binary_{n}x{d}/f64");
    report_ours(
        &format!("{group}/oxilearn-newton-cholesky"),
        x.view(),
        y.view(),
        Solver::NewtonCholesky,
    );
    report_ours(
        &format!("{group}/oxilearn-lbfgs"),
        x.view(),
        y.view(),
        Solver::Lbfgs,
    );
    let mut g = c.benchmark_group(&group);
    let (xv, yv) = (x.view(), y.view());
    fit_bench(
        &mut g,
        "oxilearn-newton-cholesky",
        ours(Solver::NewtonCholesky),
        xv,
        yv,
    );
    fit_bench(&mut g, "oxilearn-lbfgs", ours(Solver::Lbfgs), xv, yv);
    g.finish();
    if !with_linfa() {
        return;
    }

    let ds = linfa::Dataset::new(to16_x(x.view()), to16_y(y.view()));
    let linfa_params = linfa_logistic::LogisticRegression::default()
        .alpha(1.0 / C)
        .gradient_tolerance(TOL)
        .max_iterations(MAX_ITER as u64);
    {
        let m = linfa_params.fit(&ds).expect("linfa fit");
        let p_pos = m.predict_probabilities(ds.records());
        let pos = m.labels().pos.class;
        // Column j holds the probability of class j (0 or 1).
        let proba = Array2::from_shape_fn(
            (n, 2),
            |(i, j)| {
                if j == pos { p_pos[i] } else { 1.0 - p_pos[i] }
            },
        );
        let coef_sq: f64 = m.params().iter().map(|v| v * v).sum();
        println!(
            "objective binary/linfa-logistic: {:.12e}",
            objective(proba.view(), y.view(), coef_sq)
        );
    }
    let mut g = c.benchmark_group(&group);
    linfa_group_settings(&mut g);
    g.bench_function("linfa-logistic", |b| {
        b.iter(|| black_box(linfa_params.fit(black_box(&ds)).expect("fit").intercept()))
    });
    g.finish();
}

/// The objective scikit-learn 1.9.1's `lbfgs` (1 thread, C = 1, tol 1e-4,
/// max_iter = 100) reaches on digits, from the peer record of
/// `benches/peers/logistic.py` ("digits lbfgs", `config.objective`):
/// `LogisticRegression(C=1, tol=1e-4, max_iter=100).fit(X, y)` on the
/// exported arrays, objective `C·Σ −log p(yᵢ) + ½‖W‖²`.
const SKLEARN_DIGITS_LBFGS_OBJECTIVE: f64 = 18.323839;

/// The smallest `max_iter` at which our L-BFGS reaches `target` (≤ 100).
fn matched_max_iter(x: ArrayView2<'_, f64>, y: ArrayView1<'_, usize>, target: f64) -> usize {
    (1..=MAX_ITER)
        .find(|&it| {
            ours(Solver::Lbfgs)
                .max_iter(it)
                .fit(x, y)
                .expect("fit")
                .objective()
                <= target
        })
        .unwrap_or(MAX_ITER)
}

fn bench_digits(c: &mut Criterion) {
    let (x, y) = digits_data();
    let (n, d) = x.dim();
    let group = format!("logistic/digits_multinomial_{n}x{d}/f64");
    let matched = matched_max_iter(x.view(), y.view(), SKLEARN_DIGITS_LBFGS_OBJECTIVE);
    {
        let m = ours(Solver::Lbfgs)
            .max_iter(matched)
            .fit(x.view(), y.view())
            .expect("fit");
        println!(
            "objective {group}/oxilearn-lbfgs-matched: {:.12e} (max_iter {matched}: the first \
             ≤ scikit-learn lbfgs's {SKLEARN_DIGITS_LBFGS_OBJECTIVE})",
            m.objective()
        );
    }
    report_ours(
        &format!("{group}/oxilearn-lbfgs"),
        x.view(),
        y.view(),
        Solver::Lbfgs,
    );
    report_ours(
        &format!("{group}/oxilearn-newton-cholesky"),
        x.view(),
        y.view(),
        Solver::NewtonCholesky,
    );
    report_ours(
        &format!("{group}/oxilearn-auto"),
        x.view(),
        y.view(),
        Solver::Auto,
    );
    let mut g = c.benchmark_group(&group);
    let (xv, yv) = (x.view(), y.view());
    fit_bench(&mut g, "oxilearn-lbfgs", ours(Solver::Lbfgs), xv, yv);
    fit_bench(
        &mut g,
        "oxilearn-lbfgs-matched",
        ours(Solver::Lbfgs).max_iter(matched),
        xv,
        yv,
    );
    fit_bench(
        &mut g,
        "oxilearn-newton-cholesky",
        ours(Solver::NewtonCholesky),
        xv,
        yv,
    );
    g.finish();
    if !with_linfa() {
        return;
    }

    let ds = linfa::Dataset::new(to16_x(x.view()), to16_y(y.view()));
    let linfa_params = linfa_logistic::MultiLogisticRegression::default()
        .alpha(1.0 / C)
        .gradient_tolerance(TOL)
        .max_iterations(MAX_ITER as u64);
    {
        let m = linfa_params.fit(&ds).expect("linfa fit");
        let p16 = m.predict_probabilities(ds.records());
        let proba = Array2::from_shape_vec(p16.dim(), p16.iter().copied().collect()).unwrap();
        assert_eq!(m.classes(), (0..10).collect::<Vec<_>>().as_slice());
        let coef_sq: f64 = m.params().iter().map(|v| v * v).sum();
        println!(
            "objective digits/linfa-logistic: {:.12e}",
            objective(proba.view(), y.view(), coef_sq)
        );
    }
    let mut g = c.benchmark_group(&group);
    linfa_group_settings(&mut g);
    g.bench_function("linfa-logistic", |b| {
        b.iter(|| {
            black_box(
                linfa_params
                    .fit(black_box(&ds))
                    .expect("fit")
                    .intercept()
                    .sum(),
            )
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = bench_binary, bench_digits
}
criterion_main!(benches);
