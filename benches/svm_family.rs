//! The SVM family beyond C-SVC against libsvm / liblinear (scikit-learn), on
//! the data the peers read back from `target/bench-data/`:
//!
//! - `svm_family/nusvc_fit/cls5000`, `svm_family/oneclass_fit/cls5000`: `NuSvc`
//!   (ν = 0.5) and `OneClassSvm` (ν = 0.5) on the training rows of the kernel
//!   SVM bench's `cls5000` (4000 × 20, `benches/svm_data.rs`), RBF γ = 0.05,
//!   tol = 1e-3, 200 MB cache — the hyperparameters of `benches/svm.rs`;
//! - `svm_family/svc_fit_sparse/ngrams5000`: `Svc` (RBF, γ "scale", C = 1) on
//!   4000 training rows of hashed n-gram counts (below) in CSR — libsvm's
//!   sparse path on the peer side;
//! - `svm_family/linear_svc_fit_sparse/ngrams50000`: `LinearSvc` (squared
//!   hinge, L2, C = 1, tol = 1e-4: scikit-learn's defaults) on 50 000 rows of
//!   hashed n-grams in 131 072 features.
//!
//! The hashed n-grams imitate text (see [`hashed_ngrams`]): documents of 40 to
//! 120 tokens from a Zipf-like vocabulary of 50 000 words, each class with a
//! 500-word topic vocabulary drawn 30 % of the time, unigram and bigram counts
//! hashed into 2¹⁷ columns, rows scaled to unit length, 5 % of the labels
//! flipped: about 150 stored entries per row (0.11 % density).
//!
//! `cargo bench -p oxilearn-benches --bench svm_family`, then
//! `python benches/peers/run.py svm_family`. Each case first prints its
//! support-vector count or objective, for comparison with the peer records.

#[path = "common/mod.rs"]
mod common;
#[path = "svm_data.rs"]
mod svm_data;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array1;
use oxilearn::data::dump_svmlight_file;
use oxilearn::sparse::{CsMat, TriMat};
use oxilearn::svm::{Gamma, Kernel, LinearSvc, NuSvc, OneClassSvm, Svc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// SplitMix64: the hash of the n-gram columns.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` documents as hashed unigram + bigram counts in `2^bits` columns (rows
/// scaled to unit length) and their binary labels (see the module docs).
fn hashed_ngrams(n: usize, bits: u32, seed: u64) -> (CsMat<f64>, Array1<i64>) {
    const VOCAB: f64 = 50_000.0;
    const TOPIC: u64 = 500;
    let d = 1usize << bits;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut tri = TriMat::new((n, d));
    let mut labels = Array1::<i64>::zeros(n);
    let mut counts: Vec<(usize, f64)> = Vec::new();
    for i in 0..n {
        let class = rng.random_range(0..2u64);
        let len = rng.random_range(40..=120);
        counts.clear();
        let mut prev = u64::MAX;
        for _ in 0..len {
            let word = if rng.random::<f64>() < 0.3 {
                // the class's topic words, above the background vocabulary
                100_000 + class * TOPIC + rng.random_range(0..TOPIC)
            } else {
                // Zipf-like: rank e^(u·ln V)
                (VOCAB.powf(rng.random::<f64>()) as u64).saturating_sub(1)
            };
            counts.push(((mix(word) % d as u64) as usize, 1.0));
            if prev != u64::MAX {
                counts.push((
                    (mix(prev.wrapping_mul(1_000_003) ^ word) % d as u64) as usize,
                    1.0,
                ));
            }
            prev = word;
        }
        counts.sort_unstable_by_key(|c| c.0);
        let mut merged: Vec<(usize, f64)> = Vec::with_capacity(counts.len());
        for &(j, v) in &counts {
            match merged.last_mut() {
                Some(last) if last.0 == j => last.1 += v,
                _ => merged.push((j, v)),
            }
        }
        let norm = merged.iter().map(|c| c.1 * c.1).sum::<f64>().sqrt();
        for (j, v) in merged {
            tri.add_triplet(i, j, v / norm);
        }
        let flip = rng.random::<f64>() < 0.05;
        labels[i] = (class as i64) ^ i64::from(flip);
    }
    (tri.to_csr(), labels)
}

/// Rows `range` of `x`.
fn rows(x: &CsMat<f64>, range: std::ops::Range<usize>) -> CsMat<f64> {
    x.slice_outer(range).to_owned()
}

fn export(name: &str, x: &CsMat<f64>, y: &Array1<i64>) {
    let path = common::bench_data_dir().join(format!("{name}.svmlight"));
    dump_svmlight_file(path, x, y.mapv(|v| v as f64).view(), true).expect("write svmlight");
}

fn kernel_family(c: &mut Criterion) {
    let set = svm_data::classification(5000);
    svm_data::export(&set);
    let y = set.y_train.mapv(|v| v as i64);
    let rbf = Kernel::Rbf {
        gamma: Gamma::Value(0.05),
    };
    let nusvc = NuSvc::new().nu(0.5).kernel(rbf).tol(1e-3).cache_size(200.0);
    let oneclass = OneClassSvm::new()
        .nu(0.5)
        .kernel(rbf)
        .tol(1e-3)
        .cache_size(200.0);
    let m = nusvc.fit(set.x_train.view(), y.view()).expect("fit");
    eprintln!(
        "nusvc cls5000: {} SVs, {} iterations",
        m.support().len(),
        m.n_iter()[0]
    );
    let m = oneclass.fit(set.x_train.view()).expect("fit");
    eprintln!(
        "oneclass cls5000: {} SVs, {} iterations",
        m.support().len(),
        m.n_iter()
    );

    let (x, labels) = hashed_ngrams(5000, 17, 1);
    let (xtr, ytr) = (
        rows(&x, 0..4000),
        labels.slice(ndarray::s![..4000]).to_owned(),
    );
    let (xte, yte) = (
        rows(&x, 4000..5000),
        labels.slice(ndarray::s![4000..]).to_owned(),
    );
    export("svm_sparse_ngrams5000_train", &xtr, &ytr);
    export("svm_sparse_ngrams5000_test", &xte, &yte);
    let svc = Svc::new().c(1.0).tol(1e-3).cache_size(200.0);
    let m = svc.fit(&xtr, ytr.view()).expect("fit");
    eprintln!(
        "svc sparse ngrams5000: {} SVs, {} iterations, gamma {:.6}, test accuracy {:.4} ({} stored entries)",
        m.support().len(),
        m.n_iter()[0],
        m.gamma(),
        m.score(&xte, yte.view()).expect("score"),
        xtr.nnz()
    );

    let mut g = c.benchmark_group("svm_family");
    g.bench_function("nusvc_fit/cls5000", |b| {
        b.iter(|| black_box(nusvc.fit(set.x_train.view(), y.view()).unwrap()))
    });
    g.bench_function("oneclass_fit/cls5000", |b| {
        b.iter(|| black_box(oneclass.fit(set.x_train.view()).unwrap()))
    });
    g.bench_function("svc_fit_sparse/ngrams5000", |b| {
        b.iter(|| black_box(svc.fit(&xtr, ytr.view()).unwrap()))
    });
    g.finish();
}

fn linear_sparse(c: &mut Criterion) {
    let (x, y) = hashed_ngrams(50_000, 17, 2);
    export("linear_svm_ngrams50000", &x, &y);
    let m = LinearSvc::new().fit(&x, y.view()).expect("fit");
    eprintln!(
        "linear_svc sparse ngrams50000 ({} x {}, {} stored): objective {:.6} n_iter {} converged {}",
        x.rows(),
        x.cols(),
        x.nnz(),
        m.objective()[0],
        m.n_iter(),
        m.converged()
    );
    let mut g = c.benchmark_group("svm_family");
    g.bench_function("linear_svc_fit_sparse/ngrams50000", |b| {
        b.iter(|| black_box(LinearSvc::new().fit(black_box(&x), y.view()).unwrap()))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = kernel_family, linear_sparse
}
criterion_main!(benches);
