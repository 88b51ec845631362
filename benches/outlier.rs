//! IsolationForest fit + score_samples on 100 000 × 20, the speed
//! case; the same rows are exported to `target/bench-data/outlier_x.npy` so
//! that `benches/peers/outlier.py` times scikit-learn's `IsolationForest` on
//! them.
//!
//! `cargo bench -p oxilearn-benches --bench outlier`.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use oxilearn::outlier::IsolationForest;

fn isolation_forest(c: &mut Criterion) {
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
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = isolation_forest
}
criterion_main!(benches);
