//! Kernel SVM benchmarks: `Svc` fit / predict (f64 and f32) against linfa-svm
//! at the sizes linfa handles (it builds a dense n×n kernel), on
//! - breast_cancer (standardised, 80/20),
//! - `oxilearn::data::make_classification` (scikit-learn defaults), 20 features, n = 5000 and 20000
//!   (standardised, 80/20),
//!
//! all with RBF, C = 1, γ = 0.05, tol = 1e-3, 200 MB cache. The data is
//! exported to `target/bench-data/` for `benches/peers/svm.py` (scikit-learn).
//! A summary line per dataset (SV count, test accuracy) is printed first.
//!
//! `cargo bench --bench svm` (filter e.g. `-- cls20000`).

#[path = "common/mod.rs"]
mod common;
#[path = "svm_data.rs"]
mod svm_data;

use std::hint::black_box;

use criterion::Criterion;
use linfa::prelude::{Fit as _, Predict as _};
use oxilearn::svm::{Gamma, Kernel, Svc};
use svm_data::BenchSet;

const GAMMA: f64 = 0.05;

fn svc() -> Svc {
    Svc::new()
        .c(1.0)
        .kernel(Kernel::Rbf {
            gamma: Gamma::Value(GAMMA),
        })
        .tol(1e-3)
        .cache_size(200.0)
}

fn to16(a: &ndarray::Array2<f64>) -> ndarray16::Array2<f64> {
    ndarray16::Array2::from_shape_vec((a.nrows(), a.ncols()), a.iter().copied().collect())
        .expect("shape")
}

fn linfa_fit(set: &BenchSet) -> linfa_svm::Svm<f64, bool> {
    let x = to16(&set.x_train);
    let y: ndarray16::Array1<bool> = set.y_train.iter().map(|&c| c == 1).collect();
    let ds = linfa::Dataset::new(x, y);
    linfa_svm::Svm::<f64, bool>::params()
        .pos_neg_weights(1.0, 1.0)
        .gaussian_kernel(1.0 / GAMMA)
        .eps(1e-3)
        .shrinking(true)
        .fit(&ds)
        .expect("linfa fit")
}

fn summary(set: &BenchSet, with_linfa: bool) {
    let m = svc()
        .fit(set.x_train.view(), set.y_train.view())
        .expect("fit");
    let acc = svm_data::accuracy(&m.predict(set.x_test.view()).expect("predict"), &set.y_test);
    let x32 = set.x_train.mapv(|v| v as f32);
    let m32 = svc().fit(x32.view(), set.y_train.view()).expect("fit");
    let acc32 = svm_data::accuracy(
        &m32.predict(set.x_test.mapv(|v| v as f32).view())
            .expect("predict"),
        &set.y_test,
    );
    print!(
        "summary {}: n_train={} oxilearn f64 n_sv={} n_iter={} acc={acc:.4} | f32 n_sv={} acc={acc32:.4}",
        set.name,
        set.x_train.nrows(),
        m.support().len(),
        m.n_iter()[0],
        m32.support().len(),
    );
    if with_linfa {
        let l = linfa_fit(set);
        let p = l.predict(&to16(&set.x_test));
        let hits = p
            .iter()
            .zip(&set.y_test)
            .filter(|(a, b)| **a == (**b == 1))
            .count();
        print!(
            " | linfa n_sv={} acc={:.4}",
            l.nsupport(),
            hits as f64 / p.len() as f64
        );
    }
    println!();
}

/// Whether a name filter on the command line (criterion's) excludes `name`.
fn filtered_out(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    !filters.is_empty()
        && !filters
            .iter()
            .any(|f| name.contains(f.as_str()) || f.contains(name))
}

fn bench_set(c: &mut Criterion, set: &BenchSet, with_linfa: bool) {
    if filtered_out(&set.name) {
        return;
    }
    svm_data::export(set);
    summary(set, with_linfa);
    let x32 = set.x_train.mapv(|v| v as f32);
    let xt32 = set.x_test.mapv(|v| v as f32);
    let mut g = c.benchmark_group(format!("svm_fit/{}", set.name));
    g.bench_function("oxilearn_f64", |b| {
        b.iter(|| {
            svc()
                .fit(black_box(set.x_train.view()), black_box(set.y_train.view()))
                .expect("fit")
        })
    });
    g.bench_function("oxilearn_f32", |b| {
        b.iter(|| {
            svc()
                .fit(black_box(x32.view()), black_box(set.y_train.view()))
                .expect("fit")
        })
    });
    if with_linfa {
        g.bench_function("linfa_f64", |b| b.iter(|| linfa_fit(black_box(set))));
    }
    g.finish();

    let m = svc()
        .fit(set.x_train.view(), set.y_train.view())
        .expect("fit");
    let m32 = svc().fit(x32.view(), set.y_train.view()).expect("fit");
    let mut g = c.benchmark_group(format!("svm_predict/{}", set.name));
    g.bench_function("oxilearn_f64", |b| {
        b.iter(|| m.predict(black_box(set.x_test.view())).expect("predict"))
    });
    g.bench_function("oxilearn_f32", |b| {
        b.iter(|| m32.predict(black_box(xt32.view())).expect("predict"))
    });
    if with_linfa {
        let l = linfa_fit(set);
        let xt = to16(&set.x_test);
        g.bench_function("linfa_f64", |b| b.iter(|| l.predict(black_box(&xt))));
    }
    g.finish();
}

fn main() {
    let mut c = common::config();
    bench_set(&mut c, &svm_data::breast_cancer(), true);
    bench_set(&mut c, &svm_data::classification(5000), true);
    bench_set(&mut c, &svm_data::classification(20000), false);
    c.final_summary();
}
