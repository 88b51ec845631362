//! Outlier detection on the features of make_regression(100000, 20, seed 7):
//! IsolationForest fit + score_samples on all 100 000 × 20 rows (the issue's
//! speed case), LocalOutlierFactor fit_predict (the training rows' labels,
//! 20 neighbours) on the first 20 000 and OneClassSvm (RBF, ν 0.5) fit +
//! score_samples on the first 5 000. The rows are exported to
//! `target/bench-data/outlier_x.npy` so that `benches/peers/outlier.py`
//! times scikit-learn's `IsolationForest`, `LocalOutlierFactor` and
//! `OneClassSVM` on them.
//!
//! `cargo bench -p oxilearn-benches --bench outlier`.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use oxilearn::ndarray::{Axis, Slice};
use oxilearn::outlier::{IsolationForest, LocalOutlierFactor};
use oxilearn::svm::OneClassSvm;

fn outlier(c: &mut Criterion) {
    // The features of make_regression(100000, 20, n_informative=10, noise=1, seed=7):
    // standard-normal columns.
    let (x, _) = oxilearn::data::make_regression(100_000, 20, 10, 1.0, 7).expect("generator");
    oxilearn::data::write_npy(common::bench_data_dir().join("outlier_x.npy"), x.view())
        .expect("write npy");
    let mut group = c.benchmark_group("isolation_forest");
    group.bench_function("fit_score_samples/100000x20", |b| {
        b.iter(|| {
            let f = IsolationForest::new()
                .seed(0)
                .fit(black_box(x.view()))
                .unwrap();
            black_box(f.score_samples(x.view()).unwrap())
        })
    });
    group.finish();

    let head = x.slice_axis(Axis(0), Slice::from(..20_000));
    let mut group = c.benchmark_group("local_outlier_factor");
    group.bench_function("fit_predict/20000x20/k20", |b| {
        b.iter(|| {
            black_box(
                LocalOutlierFactor::new()
                    .n_neighbors(20)
                    .fit_predict(black_box(head))
                    .unwrap(),
            )
        })
    });
    group.finish();

    let head = x.slice_axis(Axis(0), Slice::from(..5_000));
    let mut group = c.benchmark_group("one_class_svm");
    group.bench_function("fit_score_samples/5000x20", |b| {
        b.iter(|| {
            let m = OneClassSvm::new().fit(black_box(head)).unwrap();
            black_box(m.score_samples(head).unwrap())
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = outlier
}
criterion_main!(benches);
