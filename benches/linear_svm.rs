//! LinearSvc fit (squared hinge, L2, C = 1, tol = 1e-4: scikit-learn's
//! defaults) on a dense 100 000 × 100 binary problem: the features of
//! `make_classification(100000, 100, 10, 2, 0)`, standardised. The rows are
//! exported to `target/bench-data/linear_svm_{x,y}.npy` so that
//! `benches/peers/linear_svm.py` times scikit-learn's `LinearSVC` on them.
//!
//! `cargo bench -p oxilearn-benches --bench linear_svm`. The objective and
//! iteration count of each solver are printed once, for comparison with the
//! peer's records.

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Axis;
use oxilearn::svm::{LinearSvc, LinearSvcSolver};

fn linear_svc(c: &mut Criterion) {
    let (x, y) = oxilearn::data::make_classification(100_000, 100, 10, 2, 0).expect("generator");
    let mean = x.mean_axis(Axis(0)).expect("rows");
    let std = x
        .std_axis(Axis(0), 0.0)
        .mapv(|v| if v > 0.0 { v } else { 1.0 });
    let x = (&x - &mean) / &std;
    let y = y.mapv(|v| v as i64);
    let dir = common::bench_data_dir();
    oxilearn::data::write_npy(dir.join("linear_svm_x.npy"), x.view()).expect("write npy");
    oxilearn::data::write_npy(dir.join("linear_svm_y.npy"), y.view()).expect("write npy");

    for (label, solver) in [
        ("auto", LinearSvcSolver::Auto),
        ("dual", LinearSvcSolver::Dual),
    ] {
        let m = LinearSvc::new()
            .solver(solver)
            .fit(x.view(), y.view())
            .unwrap();
        eprintln!(
            "linear_svc {label}: objective {:.6} n_iter {} converged {}",
            m.objective()[0],
            m.n_iter(),
            m.converged()
        );
    }

    let mut group = c.benchmark_group("linear_svc");
    group.bench_function("fit/squared_hinge_l2/100000x100", |b| {
        b.iter(|| {
            black_box(
                LinearSvc::new()
                    .fit(black_box(x.view()), black_box(y.view()))
                    .unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = linear_svc
}
criterion_main!(benches);
