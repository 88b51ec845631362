//! Linear-algebra kernels: GEMM against size and the tall-skinny gram `XᵀX`,
//! in f32 and f64, on whichever backend the build selected
//! (`cargo bench -p oxilearn-benches --bench linalg` → pure Rust / faer;
//! `cargo bench -p oxilearn-benches --bench linalg --features openblas-system` → OpenBLAS).
//!
//! Throughput is in floating-point operations, so criterion prints GFLOP/s as
//! "Gelem/s": GEMM `2·n³`; gram `n·d·(d+1)` (the flops of the symmetric
//! product: one triangle of `d(d+1)/2` dot products of length `n`).

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use oxilearn::Float;
use oxilearn::linalg;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random<F: Float>(m: usize, n: usize, seed: u64) -> Array2<F> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((m, n), |_| F::from_f64_lossy(rng.random_range(-1.0..1.0)))
}

const GEMM_SIZES: [usize; 5] = [64, 128, 256, 512, 1024];

fn gemm_dtype<F: Float>(c: &mut Criterion) {
    let backend = linalg::backend();
    let mut group = c.benchmark_group(format!("gemm/{backend}"));
    for &n in &GEMM_SIZES {
        let a = random::<F>(n, n, 1);
        let b = random::<F>(n, n, 2);
        let mut out = Array2::<F>::zeros((n, n));
        group.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
        // The crate's GEMM (faer on the default backend, BLAS with `blas`).
        group.bench_with_input(
            BenchmarkId::new(format!("linalg_gemm/{}", F::NAME), n),
            &n,
            |bench, _| {
                bench.iter(|| {
                    linalg::gemm(
                        F::one(),
                        black_box(a.view()),
                        black_box(b.view()),
                        F::zero(),
                        &mut out.view_mut(),
                    );
                    black_box(out[[0, 0]])
                })
            },
        );
        // ndarray's own `general_mat_mul` (matrixmultiply without `blas`,
        // BLAS with it): the alternative the default backend was chosen against.
        group.bench_with_input(
            BenchmarkId::new(format!("ndarray_general_mat_mul/{}", F::NAME), n),
            &n,
            |bench, _| {
                bench.iter(|| {
                    ndarray::linalg::general_mat_mul(
                        F::one(),
                        &black_box(a.view()),
                        &black_box(b.view()),
                        F::zero(),
                        &mut out,
                    );
                    black_box(out[[0, 0]])
                })
            },
        );
    }
    group.finish();
}

fn gemm(c: &mut Criterion) {
    gemm_dtype::<f32>(c);
    gemm_dtype::<f64>(c);
}

const GRAM_ROWS: usize = 100_000;
const GRAM_COLS: [usize; 3] = [10, 100, 500];

fn gram_dtype<F: Float>(c: &mut Criterion) {
    let backend = linalg::backend();
    let mut group = c.benchmark_group(format!("gram/{backend}"));
    for &d in &GRAM_COLS {
        let x = random::<F>(GRAM_ROWS, d, 3);
        let w = random::<F>(GRAM_ROWS, 1, 4).mapv(|v| v.abs());
        let flops = (GRAM_ROWS * d * (d + 1)) as u64;
        group.throughput(Throughput::Elements(flops));
        let size = format!("{GRAM_ROWS}x{d}");
        group.bench_with_input(
            BenchmarkId::new(format!("xtx/{}", F::NAME), &size),
            &d,
            |bench, _| {
                bench.iter(|| {
                    let g = linalg::gram(black_box(x.view()), None);
                    black_box(g[[d - 1, 0]])
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new(format!("xtwx/{}", F::NAME), &size),
            &d,
            |bench, _| {
                bench.iter(|| {
                    let g = linalg::gram(black_box(x.view()), Some(black_box(w.column(0))));
                    black_box(g[[d - 1, 0]])
                })
            },
        );
    }
    group.finish();
}

fn gram(c: &mut Criterion) {
    gram_dtype::<f32>(c);
    gram_dtype::<f64>(c);
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = gemm, gram
}
criterion_main!(benches);
