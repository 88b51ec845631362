//! Data for the SVM benches (`benches/svm.rs`, `benches/svm_memory.rs`):
//! a deterministic `make_classification`-style generator, standardisation,
//! an 80/20 split, and `.npy` export to `target/bench-data/` so that
//! `benches/peers/svm.py` times scikit-learn on the very same arrays.
#![allow(dead_code)]

use ndarray::{Array1, Array2, Axis, s};
use oxilearn::data::{train_test_split, write_npy};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Two classes, `d ≥ 4` features: 2 informative (two Gaussian clusters per
/// class around vertices of the square `{±1}²`, each with a random linear
/// shape), 2 redundant (random combinations of the informative ones), the
/// rest N(0, 1) noise; 1 % of labels flipped at random. The recipe of
/// scikit-learn's `make_classification` defaults, drawn from our own RNG.
pub fn make_classification(n: usize, d: usize, seed: u64) -> (Array2<f64>, Array1<usize>) {
    assert!(d >= 4);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = |rng: &mut ChaCha8Rng| {
        // Box–Muller
        let u1: f64 = rng.random::<f64>().max(1e-300);
        let u2: f64 = rng.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let vertices = [[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]];
    let shapes: Vec<[[f64; 2]; 2]> = (0..4)
        .map(|_| {
            let mut a = [[0.0; 2]; 2];
            for r in &mut a {
                for v in r.iter_mut() {
                    *v = rng.random::<f64>() * 2.0 - 1.0;
                }
            }
            a
        })
        .collect();
    let mut mix = [[0.0; 2]; 2];
    for r in &mut mix {
        for v in r.iter_mut() {
            *v = rng.random::<f64>() * 2.0 - 1.0;
        }
    }
    let mut x = Array2::<f64>::zeros((n, d));
    let mut y = Array1::<usize>::zeros(n);
    for i in 0..n {
        let cluster = i % 4; // clusters 0, 2 → class 0; 1, 3 → class 1
        let class = cluster % 2;
        let z = [normal(&mut rng), normal(&mut rng)];
        let a = &shapes[cluster];
        let inf = [
            z[0] * a[0][0] + z[1] * a[1][0] + vertices[cluster][0],
            z[0] * a[0][1] + z[1] * a[1][1] + vertices[cluster][1],
        ];
        x[[i, 0]] = inf[0];
        x[[i, 1]] = inf[1];
        x[[i, 2]] = inf[0] * mix[0][0] + inf[1] * mix[1][0];
        x[[i, 3]] = inf[0] * mix[0][1] + inf[1] * mix[1][1];
        for j in 4..d {
            x[[i, j]] = normal(&mut rng);
        }
        y[i] = if rng.random::<f64>() < 0.01 {
            (rng.random::<f64>() < 0.5) as usize
        } else {
            class
        };
    }
    (x, y)
}

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

/// `make_classification(n, 20)`, standardised, 80/20.
pub fn classification(n: usize) -> BenchSet {
    let (x, y) = make_classification(n, 20, 0);
    split(&format!("cls{n}"), x, y)
}

/// breast_cancer, standardised, 80/20.
pub fn breast_cancer() -> BenchSet {
    let d = oxilearn::datasets::breast_cancer();
    split("breast_cancer", d.records, d.targets)
}

/// Writes `target/bench-data/svm_<name>_{x_train,y_train,x_test,y_test}.npy`.
pub fn export(set: &BenchSet) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench-data dir");
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
