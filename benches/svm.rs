//! Kernel SVM benchmarks: `Svc` fit / predict (f64 and f32) against linfa-svm
//! at the sizes linfa handles (it builds a dense n×n kernel), on
//! - breast_cancer (standardised, 80/20),
//! - `oxilearn::data::make_classification` (scikit-learn defaults), 20 features, n = 5000 and 20000
//!   (standardised, 80/20),
//!
//! all with RBF, C = 1, γ = 0.05, tol = 1e-3, 200 MB cache. linfa-svm runs
//! with shrinking on where it can; where it panics (cls5000, see
//! [`linfa_try`]) it runs with shrinking off (`linfa_f64_noshrink`), and if
//! that panics too, on the largest leading subset it fits. The data is
//! exported to `target/bench-data/` for `benches/peers/svm.py` (scikit-learn).
//! A summary line per dataset (SV count, test accuracy) is printed first.
//!
//! `cargo bench --manifest-path benches/linfa/Cargo.toml --bench svm` (filter e.g. `-- cls20000`).

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

fn linfa_fit(set: &BenchSet, shrinking: bool) -> linfa_svm::Svm<f64, bool> {
    let x = to16(&set.x_train);
    let y: ndarray16::Array1<bool> = set.y_train.iter().map(|&c| c == 1).collect();
    let ds = linfa::Dataset::new(x, y);
    linfa_svm::Svm::<f64, bool>::params()
        .pos_neg_weights(1.0, 1.0)
        .gaussian_kernel(1.0 / GAMMA)
        .eps(1e-3)
        .shrinking(shrinking)
        .fit(&ds)
        .expect("linfa fit")
}

/// linfa-svm's fit, or `None` when it panics (linfa-svm 0.8.1's SMO indexes
/// with `-1 as usize` when its working-set selection finds no partner of the
/// chosen variable's class: `solver_smo.rs:601`, seen at 4000 points of
/// `cls5000` with shrinking on).
fn linfa_try(set: &BenchSet, shrinking: bool) -> Option<linfa_svm::Svm<f64, bool>> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| linfa_fit(set, shrinking)));
    std::panic::set_hook(hook);
    r.ok()
}

/// Which linfa-svm configuration runs on `set`: `Some(shrinking)` for the
/// first of (shrinking on, off) that fits without panicking.
fn linfa_config(set: &BenchSet) -> Option<bool> {
    [true, false].into_iter().find(|&sh| {
        let ok = linfa_try(set, sh).is_some();
        println!(
            "linfa-svm on {} (n_train={}, shrinking={sh}): {}",
            set.name,
            set.x_train.nrows(),
            if ok { "fits" } else { "panics" }
        );
        ok
    })
}

fn summary(set: &BenchSet, linfa: Option<bool>) {
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
    if let Some(shrinking) = linfa {
        let l = linfa_fit(set, shrinking);
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

/// Bench id of linfa-svm (paired with `oxilearn_f64` by `report.py`).
fn linfa_id(shrinking: bool) -> &'static str {
    if shrinking {
        "linfa_f64"
    } else {
        "linfa_f64_noshrink"
    }
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
    let linfa = if with_linfa { linfa_config(set) } else { None };
    if with_linfa && linfa.is_none() {
        // The largest leading subset (steps of 500 rows) linfa-svm fits,
        // benchmarked as its own set `<name>_head<n>`.
        let n = set.x_train.nrows();
        let head = (1..n / 500)
            .rev()
            .map(|k| svm_data::head(set, 500 * k))
            .find(|h| linfa_config(h).is_some());
        if let Some(h) = head {
            bench_set(c, &h, true);
        }
    }
    summary(set, linfa);
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
    if let Some(shrinking) = linfa {
        g.bench_function(linfa_id(shrinking), |b| {
            b.iter(|| linfa_fit(black_box(set), shrinking))
        });
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
    if let Some(shrinking) = linfa {
        let l = linfa_fit(set, shrinking);
        let xt = to16(&set.x_test);
        g.bench_function(linfa_id(shrinking), |b| {
            b.iter(|| l.predict(black_box(&xt)))
        });
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
