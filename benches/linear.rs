//! LinearRegression / Ridge fit times, with linfa-linear on the same data in
//! the same group, and the gram step against the f64 GEMM of the same shape.
//!
//! Built by the `benches/linfa` workspace (it needs linfa):
//! `cargo bench --manifest-path benches/linfa/Cargo.toml --bench linear` (pure Rust),
//! add `--features openblas-system` for the BLAS backend.
//! Set `RAYON_NUM_THREADS=2` for the documented 2-thread numbers.
//!
//! The 100k × 100 problem (80/20 split of `make_regression(100000, 100,
//! noise = 1)`) is also written to `target/bench-data/linear_*.npy` so that
//! `benches/peers/linear.py` times scikit-learn on the very same rows.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use linfa::traits::Fit as _;
use ndarray::{Array1, Array2};
use oxilearn::linalg;
use oxilearn::linear::{LinearRegression, Ridge, RidgeSolver, SufficientStats};

/// `make_regression(n, d, n_informative = 10, noise, seed)` (scikit-learn's
/// recipe, from the data module).
fn make_regression(n: usize, d: usize, noise: f64, seed: u64) -> (Array2<f64>, Array1<f64>) {
    oxilearn::data::make_regression(n, d, 10, noise, seed).expect("valid generator parameters")
}

fn to_linfa(x: &Array2<f64>, y: &Array1<f64>) -> linfa::Dataset<f64, f64, ndarray16::Ix1> {
    let xs = x.as_standard_layout().to_owned();
    let x16 = ndarray16::Array2::from_shape_vec(xs.dim(), xs.into_raw_vec_and_offset().0).unwrap();
    let y16 = ndarray16::Array1::from_vec(y.to_vec());
    linfa::Dataset::new(x16, y16)
}

/// The headline problem: `make_regression(100000, 100, noise = 1)`, 80/20
/// split; the training part is exported for the Python peers.
fn headline() -> (Array2<f64>, Array1<f64>) {
    let (x, y) = make_regression(100_000, 100, 1.0, 42);
    let split = oxilearn::data::train_test_split(x.view(), y.view(), 0.2, 0).expect("split");
    let (xt, yt) = (split.x_train, split.y_train);
    let dir = common::bench_data_dir();
    oxilearn::data::write_npy(dir.join("linear_x_train.npy"), xt.view()).expect("write npy");
    oxilearn::data::write_npy(dir.join("linear_y_train.npy"), yt.view()).expect("write npy");
    // Flush the 64 MB just written to disk now: otherwise the kernel's
    // write-back runs during the first fits timed below and skews them.
    for f in ["linear_x_train.npy", "linear_y_train.npy"] {
        std::fs::File::open(dir.join(f))
            .and_then(|f| f.sync_all())
            .expect("sync npy");
    }
    (xt, yt)
}

fn fit_grid(c: &mut Criterion) {
    let mut group = c.benchmark_group("linear_fit");
    let backend = linalg::backend();
    // n × d grid; 100k × 500 (400 MB of f64) is trimmed to 20k × 500.
    let grid = [
        (1_000, 10),
        (1_000, 100),
        (1_000, 500),
        (10_000, 10),
        (10_000, 100),
        (10_000, 500),
        (100_000, 10),
        (100_000, 100),
        (20_000, 500),
    ];
    for (n, d) in grid {
        let (x, y) = if (n, d) == (100_000, 100) {
            headline()
        } else {
            make_regression(n, d, 1.0, 7)
        };
        let n_fit = x.nrows();
        let id = format!("{n_fit}x{d}");
        group.throughput(Throughput::Elements((n_fit * d) as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("ols_f64_{backend}"), &id),
            &(),
            |b, _| {
                b.iter(|| {
                    let m = LinearRegression::new()
                        .fit(black_box(x.view()), black_box(y.view()))
                        .unwrap();
                    black_box(m.intercept())
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new(format!("ridge_f64_{backend}"), &id),
            &(),
            |b, _| {
                b.iter(|| {
                    let m = Ridge::new()
                        .alpha(1.0)
                        .solver(RidgeSolver::Cholesky)
                        .fit(black_box(x.view()), black_box(y.view()))
                        .unwrap();
                    black_box(m.intercept())
                })
            },
        );
        let ds = to_linfa(&x, &y);
        group.bench_with_input(BenchmarkId::new("linfa_ols_f64", &id), &(), |b, _| {
            b.iter(|| {
                let m = linfa_linear::LinearRegression::new()
                    .fit(black_box(&ds))
                    .unwrap();
                black_box(m.intercept())
            })
        });
    }
    group.finish();
}

/// The gram step (centred, chunked: what a fit spends its time on) against a
/// general f64 GEMM `XᵀX` of the same shape. Throughput is in useful flops:
/// `n·d²` multiply-adds ×2 for the GEMM, `n·d·(d+1)` for the symmetric gram.
fn gram_vs_gemm(c: &mut Criterion) {
    let mut group = c.benchmark_group("linear_gram");
    let backend = linalg::backend();
    for (n, d) in [(80_000, 100), (20_000, 500)] {
        let (x, y) = make_regression(n, d, 1.0, 3);
        let id = format!("{n}x{d}");
        group.throughput(Throughput::Elements((2 * n * d * d) as u64));
        let mut out = Array2::<f64>::zeros((d, d));
        group.bench_with_input(
            BenchmarkId::new(format!("gemm_xtx_f64_{backend}"), &id),
            &(),
            |b, _| {
                b.iter(|| {
                    linalg::gemm(
                        1.0,
                        black_box(x.t()),
                        black_box(x.view()),
                        0.0,
                        &mut out.view_mut(),
                    );
                    black_box(out[[0, 0]])
                })
            },
        );
        group.throughput(Throughput::Elements((n * d * (d + 1)) as u64));
        group.bench_with_input(
            BenchmarkId::new(format!("gram_f64_{backend}"), &id),
            &(),
            |b, _| b.iter(|| black_box(linalg::gram(black_box(x.view()), None)[[0, 0]])),
        );
        group.bench_with_input(
            BenchmarkId::new(format!("centred_stats_f64_{backend}"), &id),
            &(),
            |b, _| {
                b.iter(|| {
                    let s = SufficientStats::from_chunk(black_box(x.view()), black_box(y.view()))
                        .unwrap();
                    black_box(s.sum_weights())
                })
            },
        );
    }
    // The reference for "GEMM throughput" in BENCHMARKS.md: a square f64
    // GEMM (the shape BLAS/faer are tuned for), 2·m³ flops.
    let m = 1000;
    let a = make_regression(m, m, 1.0, 5).0;
    let b = make_regression(m, m, 1.0, 6).0;
    let mut c = Array2::<f64>::zeros((m, m));
    group.throughput(Throughput::Elements((2 * m * m * m) as u64));
    group.bench_with_input(
        BenchmarkId::new(format!("gemm_square_f64_{backend}"), format!("{m}x{m}")),
        &(),
        |bch, _| {
            bch.iter(|| {
                linalg::gemm(
                    1.0,
                    black_box(a.view()),
                    black_box(b.view()),
                    0.0,
                    &mut c.view_mut(),
                );
                black_box(c[[0, 0]])
            })
        },
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = fit_grid, gram_vs_gemm
}
criterion_main!(benches);
