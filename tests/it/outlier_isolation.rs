//! IsolationForest against scikit-learn by quality: the ROC AUC of the
//! anomaly scores on labelled outlier data, averaged over 20 seeds, within
//! 0.01 of scikit-learn's mean (trees are random, so values differ seed by
//! seed; the distribution must not).

use oxilearn::metrics::roc_auc_score;
use oxilearn::ndarray::{Array1, Array2, Axis, concatenate};
use oxilearn::outlier::{IsolationForest, MaxFeatures, MaxSamples};

/// Mean ROC AUC (outlier = positive, score = −score_samples) over seeds 0..20.
fn mean_auc(model: IsolationForest, x: &Array2<f64>, outlier: &Array1<u8>) -> f64 {
    let mut sum = 0.0;
    for seed in 0..20 {
        let f = model.seed(seed).fit(x.view()).unwrap();
        let s = -f.score_samples(x.view()).unwrap();
        sum += roc_auc_score(outlier.view(), s.view()).unwrap();
    }
    sum / 20.0
}

/// The benign tumours of breast_cancer as inliers, the first 20 malignant
/// ones planted as outliers. scikit-learn 1.9.1:
/// ```python
/// d = load_breast_cancer(); X, y = d.data, d.target        # 1 = benign
/// Xb = np.vstack([X[y == 1], X[y == 0][:20]])
/// lab = np.r_[np.zeros((y == 1).sum()), np.ones(20)]
/// np.mean([roc_auc_score(lab, -IsolationForest(random_state=s).fit(Xb).score_samples(Xb))
///          for s in range(20)])                              # 0.9614005602240896 (std 0.0043)
/// ```
#[test]
fn outlier_isolation_forest_auc_matches_scikit_learn_on_breast_cancer() {
    let d = oxilearn::datasets::breast_cancer();
    let benign: Vec<usize> = (0..d.targets.len())
        .filter(|&i| d.targets[i] == 1)
        .collect();
    let malignant: Vec<usize> = (0..d.targets.len())
        .filter(|&i| d.targets[i] == 0)
        .take(20)
        .collect();
    let x = concatenate(
        Axis(0),
        &[
            d.records.select(Axis(0), &benign).view(),
            d.records.select(Axis(0), &malignant).view(),
        ],
    )
    .unwrap();
    let label: Array1<u8> = (0..x.nrows())
        .map(|i| u8::from(i >= benign.len()))
        .collect();
    let ours = mean_auc(IsolationForest::new(), &x, &label);
    assert!(
        (ours - 0.961_400_560_224_089_6).abs() <= 0.01,
        "ours {ours}"
    );
}

/// 64-bit LCG (Knuth's MMIX constants) → uniforms in [0, 1), the same in
/// Python: `s = (6364136223846793005 * s + 1442695040888963407) % 2**64;
/// u = (s >> 11) / 2**53`.
fn lcg(n: usize, mut s: u64) -> Vec<f64> {
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// 1000 inliers uniform in [−1, 1]⁴ and 100 outliers uniform in
/// [−1.6, 1.6]⁴ (many of them inside the inliers' box: a hard case).
/// scikit-learn 1.9.1:
/// ```python
/// u = lcg(1100 * 4, 42).reshape(1100, 4)
/// Xg = np.where(np.arange(1100)[:, None] < 1000, 2 * u - 1, 3.2 * u - 1.6)
/// lab = (np.arange(1100) >= 1000).astype(float)
/// mean AUC over random_state 0..20, IsolationForest():                 0.9230685  (std 0.0052)
/// IsolationForest(max_features=0.5, max_samples=128):                 0.916175   (std 0.0048)
/// ```
#[test]
fn outlier_isolation_forest_auc_matches_scikit_learn_on_generated_data() {
    let u = Array2::from_shape_vec((1100, 4), lcg(1100 * 4, 42)).unwrap();
    let x = Array2::from_shape_fn((1100, 4), |(i, j)| {
        if i < 1000 {
            2.0 * u[[i, j]] - 1.0
        } else {
            3.2 * u[[i, j]] - 1.6
        }
    });
    let label: Array1<u8> = (0..1100).map(|i| u8::from(i >= 1000)).collect();
    let ours = mean_auc(IsolationForest::new(), &x, &label);
    assert!((ours - 0.923_068_5).abs() <= 0.01, "default: ours {ours}");
    let sub = IsolationForest::new()
        .max_features(MaxFeatures::Fraction(0.5))
        .max_samples(MaxSamples::Count(128));
    let ours = mean_auc(sub, &x, &label);
    assert!((ours - 0.916_175).abs() <= 0.01, "subsampled: ours {ours}");
}
