//! Data for the SVM benches (`benches/svm.rs`, `benches/svm_memory.rs`):
//! `oxilearn::data::make_classification` with scikit-learn's defaults
//! (2 informative, 2 redundant features, 2 classes), standardisation,
//! an 80/20 split, and `.npy` export to `target/bench-data/` so that
//! `benches/peers/svm.py` times scikit-learn on the very same arrays.
#![allow(dead_code)]

use ndarray::{Array1, Array2, Axis, s};
use oxilearn::data::{make_classification, train_test_split, write_npy};

/// A train/test pair, standardised with the training statistics.
pub struct BenchSet {
    pub name: String,
    pub x_train: Array2<f64>,
    pub y_train: Array1<usize>,
    pub x_test: Array2<f64>,
    pub y_test: Array1<usize>,
}

fn standardise(set: &mut BenchSet) {
    let mean = set.x_train.mean_axis(Axis(0)).expect("rows");
    let std = set
        .x_train
        .std_axis(Axis(0), 0.0)
        .mapv(|v| if v > 0.0 { v } else { 1.0 });
    set.x_train = (&set.x_train - &mean) / &std;
    set.x_test = (&set.x_test - &mean) / &std;
}

fn split(name: &str, x: Array2<f64>, y: Array1<usize>) -> BenchSet {
    let sp = train_test_split(x.view(), y.view(), 0.2, 0).expect("split");
    let mut set = BenchSet {
        name: name.to_string(),
        x_train: sp.x_train,
        y_train: sp.y_train,
        x_test: sp.x_test,
        y_test: sp.y_test,
    };
    standardise(&mut set);
    set
}

/// `make_classification(n_samples = n, n_features = 20)` with scikit-learn's
/// defaults (2 informative features, 2 classes), seed 0, standardised, 80/20.
pub fn classification(n: usize) -> BenchSet {
    let (x, y) = make_classification(n, 20, 2, 2, 0).expect("valid generator parameters");
    split(&format!("cls{n}"), x, y)
}

/// breast_cancer, standardised, 80/20.
pub fn breast_cancer() -> BenchSet {
    let d = oxilearn::datasets::breast_cancer();
    split("breast_cancer", d.records, d.targets)
}

/// Writes `target/bench-data/svm_<name>_{x_train,y_train,x_test,y_test}.npy`.
pub fn export(set: &BenchSet) {
    let dir = crate::common::bench_data_dir();
    let p = |part: &str| dir.join(format!("svm_{}_{part}.npy", set.name));
    let yi = |y: &Array1<usize>| y.mapv(|v| v as i64);
    write_npy(p("x_train"), set.x_train.view()).expect("write");
    write_npy(p("x_test"), set.x_test.view()).expect("write");
    write_npy(p("y_train"), yi(&set.y_train).view()).expect("write");
    write_npy(p("y_test"), yi(&set.y_test).view()).expect("write");
}

/// Fraction of equal labels.
pub fn accuracy(a: &Array1<usize>, b: &Array1<usize>) -> f64 {
    a.iter().zip(b).filter(|(u, v)| u == v).count() as f64 / a.len() as f64
}

/// Peak resident set size (VmHWM) in MB, from /proc/self/status.
pub fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// First `n` rows (for quick sizes).
pub fn head(set: &BenchSet, n: usize) -> BenchSet {
    BenchSet {
        name: format!("{}_head{n}", set.name),
        x_train: set.x_train.slice(s![..n, ..]).to_owned(),
        y_train: set.y_train.slice(s![..n]).to_owned(),
        x_test: set.x_test.clone(),
        y_test: set.y_test.clone(),
    }
}

/// CPU time (user + system) of this process so far, in seconds (10 ms ticks).
pub fn cpu_seconds() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}
