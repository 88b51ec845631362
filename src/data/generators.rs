//! Seeded synthetic datasets with scikit-learn-like semantics, for benchmarks
//! and tests: [`make_regression`], [`make_classification`], [`make_blobs`].
//!
//! The algorithms follow scikit-learn's documentation of the functions of the
//! same name (the random streams differ: same seed ⇒ same data *here*, not the
//! same numbers as scikit-learn). Randomness: `ChaCha8Rng::seed_from_u64(seed)`;
//! normal variates by the Box–Muller transform ([`StdNormal`]).

use std::collections::HashSet;

use ndarray::{Array1, Array2, Axis, Slice};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::split::shuffle;
use crate::error::{Error, Result};

/// A standard normal sampler, `N(0, 1)`, by the Box–Muller transform (each
/// pair of uniforms gives two independent normals; the second is cached).
///
/// # Example
/// ```
/// use oxilearn::data::StdNormal;
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let mut normal = StdNormal::new();
/// let xs: Vec<f64> = (0..20_000).map(|_| normal.sample(&mut rng)).collect();
/// let mean = xs.iter().sum::<f64>() / xs.len() as f64;
/// let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
/// assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05);
/// ```
#[derive(Debug, Clone, Default)]
pub struct StdNormal {
    spare: Option<f64>,
}

impl StdNormal {
    /// A sampler with no cached variate.
    pub fn new() -> Self {
        StdNormal { spare: None }
    }

    /// Draws one `N(0, 1)` variate.
    pub fn sample<R: Rng + ?Sized>(&mut self, rng: &mut R) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        // u1 in (0, 1] so ln(u1) is finite; u2 in [0, 1).
        let u1 = 1.0 - rng.random::<f64>();
        let u2 = rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

fn normal_matrix(rows: usize, cols: usize, rng: &mut ChaCha8Rng, n: &mut StdNormal) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || n.sample(rng))
}

fn check_count(name: &'static str, v: usize, min: usize) -> Result<()> {
    if v < min {
        return Err(Error::invalid(name, format!("must be >= {min}, got {v}")));
    }
    Ok(())
}

/// Guards against accidental huge requests (`n_samples · n_features` beyond
/// the address space).
fn check_size(n_samples: usize, n_features: usize) -> Result<()> {
    n_samples
        .checked_mul(n_features)
        .and_then(|n| n.checked_mul(8))
        .filter(|&b| b <= isize::MAX as usize)
        .map(|_| ())
        .ok_or_else(|| Error::invalid("n_samples", "n_samples × n_features is too large"))
}

/// A random linear regression problem, as scikit-learn's `make_regression`
/// with its defaults (`bias = 0`, `effective_rank = None`, one target).
///
/// - `X`: `n_samples × n_features`, i.i.d. `N(0, 1)`;
/// - coefficients: the first `n_informative` features get weights
///   `100 · U(0, 1)`, the others 0 (scikit-learn also shuffles the feature
///   order; here the informative features come first);
/// - `y = X · coef + noise · N(0, 1)`.
///
/// `n_informative` larger than `n_features` is clipped, as in scikit-learn.
///
/// # Errors
/// [`Error::InvalidParameter`] if `n_samples` or `n_features` is 0, the
/// sizes overflow, or `noise` is negative or not finite.
///
/// # Example
/// ```
/// use oxilearn::data::make_regression;
///
/// let (x, y) = make_regression(100, 5, 3, 0.0, 42)?;
/// assert_eq!((x.dim(), y.len()), ((100, 5), 100));
/// assert_eq!(make_regression(100, 5, 3, 0.0, 42)?.1, y); // seeded
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn make_regression(
    n_samples: usize,
    n_features: usize,
    n_informative: usize,
    noise: f64,
    seed: u64,
) -> Result<(Array2<f64>, Array1<f64>)> {
    check_count("n_samples", n_samples, 1)?;
    check_count("n_features", n_features, 1)?;
    check_size(n_samples, n_features)?;
    crate::validation::check_non_negative("noise", noise)?;
    let k = n_informative.min(n_features);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut normal = StdNormal::new();
    let x = normal_matrix(n_samples, n_features, &mut rng, &mut normal);
    let coef: Array1<f64> = (0..n_features)
        .map(|j| {
            if j < k {
                100.0 * rng.random::<f64>()
            } else {
                0.0
            }
        })
        .collect();
    let mut y = crate::linalg::matvec(x.view(), coef.view());
    if noise > 0.0 {
        y.mapv_inplace(|v| v + noise * normal.sample(&mut rng));
    }
    Ok((x, y))
}

/// Distinct random vertices of the hypercube `{-1, +1}^k` (one per row).
fn hypercube_vertices(count: usize, k: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    let mut seen: HashSet<Vec<bool>> = HashSet::with_capacity(count);
    let mut out = Array2::zeros((count, k));
    let mut row = 0;
    while row < count {
        let bits: Vec<bool> = (0..k).map(|_| rng.random::<bool>()).collect();
        if seen.insert(bits.clone()) {
            for (j, &b) in bits.iter().enumerate() {
                out[[row, j]] = if b { 1.0 } else { -1.0 };
            }
            row += 1;
        }
    }
    out
}

/// A random `n_classes` classification problem, following the algorithm
/// scikit-learn documents for `make_classification` (after I. Guyon's
/// NIPS 2003 variable selection benchmark), with scikit-learn's defaults
/// `n_redundant = 2`, `n_repeated = 0`, `n_clusters_per_class = 2`,
/// `class_sep = 1`, `flip_y = 0.01`, `hypercube = True`:
///
/// 1. `2 · n_classes` clusters, each centred on a distinct random vertex of
///    the `n_informative`-dimensional hypercube with sides `2 · class_sep`;
///    cluster `c` belongs to class `c mod n_classes`, and the samples are
///    split as evenly as possible between clusters.
/// 2. Each cluster's points are `N(0, I)` samples multiplied by a random
///    matrix with entries `U(-1, 1)` (so features are correlated), plus the
///    centre.
/// 3. `min(2, n_features − n_informative)` redundant features: random linear
///    combinations (coefficients `U(-1, 1)`) of the informative ones.
/// 4. The remaining features are `N(0, 1)` noise.
/// 5. Each label is replaced, with probability `0.01`, by a uniformly random
///    class; then the rows are shuffled.
///
/// Column order: informative, redundant, noise (scikit-learn shuffles the
/// columns too; this does not).
///
/// Cost: besides the output, one `n_informative × n_informative` random
/// matrix per cluster (as in scikit-learn), so keep `n_informative` moderate.
///
/// # Errors
/// [`Error::InvalidParameter`] if `n_samples` is 0, `n_informative` is 0 or
/// above `n_features`, `n_classes < 2`, or `2 · n_classes > 2^n_informative`
/// (not enough hypercube vertices, as in scikit-learn).
///
/// # Example
/// ```
/// use oxilearn::data::make_classification;
///
/// let (x, y) = make_classification(200, 10, 4, 3, 7)?;
/// assert_eq!(x.dim(), (200, 10));
/// assert!(y.iter().all(|&c| c < 3));
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn make_classification(
    n_samples: usize,
    n_features: usize,
    n_informative: usize,
    n_classes: usize,
    seed: u64,
) -> Result<(Array2<f64>, Array1<usize>)> {
    const CLUSTERS_PER_CLASS: usize = 2;
    const CLASS_SEP: f64 = 1.0;
    const FLIP_Y: f64 = 0.01;
    check_count("n_samples", n_samples, 1)?;
    check_count("n_informative", n_informative, 1)?;
    check_count("n_classes", n_classes, 2)?;
    if n_informative > n_features {
        return Err(Error::invalid(
            "n_informative",
            format!("must be <= n_features = {n_features}, got {n_informative}"),
        ));
    }
    check_size(n_samples, n_features)?;
    let n_clusters = n_classes
        .checked_mul(CLUSTERS_PER_CLASS)
        .ok_or_else(|| Error::invalid("n_classes", "too large"))?;
    if n_informative < usize::BITS as usize && n_clusters > 1usize << n_informative {
        return Err(Error::invalid(
            "n_classes",
            format!(
                "n_classes · 2 = {n_clusters} clusters need at most 2^n_informative = {} hypercube vertices",
                1usize << n_informative
            ),
        ));
    }
    let k = n_informative;
    let n_redundant = 2.min(n_features - k);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut normal = StdNormal::new();

    let centroids = hypercube_vertices(n_clusters, k, &mut rng) * CLASS_SEP;
    let mut x = Array2::<f64>::zeros((n_samples, n_features));
    let mut y = Array1::<usize>::zeros(n_samples);
    let base = n_samples / n_clusters;
    let extra = n_samples % n_clusters;
    let mut start = 0;
    for c in 0..n_clusters {
        let m = base + usize::from(c < extra);
        let stop = start + m;
        y.slice_axis_mut(Axis(0), Slice::from(start..stop))
            .fill(c % n_classes);
        let z = normal_matrix(m, k, &mut rng, &mut normal);
        let a = Array2::from_shape_simple_fn((k, k), || 2.0 * rng.random::<f64>() - 1.0);
        let mut pts = crate::linalg::matmul(z.view(), a.view());
        pts += &centroids.row(c);
        x.slice_axis_mut(Axis(0), Slice::from(start..stop))
            .slice_axis_move(Axis(1), Slice::from(..k))
            .assign(&pts);
        start = stop;
    }
    if n_redundant > 0 {
        let b = Array2::from_shape_simple_fn((k, n_redundant), || 2.0 * rng.random::<f64>() - 1.0);
        let red = crate::linalg::matmul(x.slice_axis(Axis(1), Slice::from(..k)), b.view());
        x.slice_axis_mut(Axis(1), Slice::from(k..k + n_redundant))
            .assign(&red);
    }
    for v in x
        .slice_axis_mut(Axis(1), Slice::from(k + n_redundant..))
        .iter_mut()
    {
        *v = normal.sample(&mut rng);
    }
    for label in y.iter_mut() {
        if rng.random::<f64>() < FLIP_Y {
            *label = rng.random_range(0..n_classes);
        }
    }
    let (x, y) = shuffle_rows(x, y, &mut rng);
    Ok((x, y))
}

fn shuffle_rows(
    x: Array2<f64>,
    y: Array1<usize>,
    rng: &mut ChaCha8Rng,
) -> (Array2<f64>, Array1<usize>) {
    let mut perm: Vec<usize> = (0..y.len()).collect();
    shuffle(&mut perm, rng);
    (x.select(Axis(0), &perm), y.select(Axis(0), &perm))
}

/// Isotropic Gaussian blobs, as scikit-learn's `make_blobs` with
/// `center_box = (-10, 10)`: `centers` centres drawn uniformly in
/// `[-10, 10]^n_features`, samples split as evenly as possible between them
/// (the first `n_samples mod centers` centres get one more), each sample
/// `centre + cluster_std · N(0, I)`, labelled with its centre's index; rows
/// shuffled.
///
/// # Errors
/// [`Error::InvalidParameter`] if `n_samples`, `n_features` or `centers` is 0,
/// or `cluster_std` is negative or not finite.
///
/// # Example
/// ```
/// use oxilearn::data::make_blobs;
///
/// let (x, y) = make_blobs(90, 2, 3, 1.0, 0)?;
/// assert_eq!(x.dim(), (90, 2));
/// assert_eq!(y.iter().filter(|&&c| c == 2).count(), 30);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn make_blobs(
    n_samples: usize,
    n_features: usize,
    centers: usize,
    cluster_std: f64,
    seed: u64,
) -> Result<(Array2<f64>, Array1<usize>)> {
    check_count("n_samples", n_samples, 1)?;
    check_count("n_features", n_features, 1)?;
    check_count("centers", centers, 1)?;
    check_size(n_samples, n_features)?;
    crate::validation::check_non_negative("cluster_std", cluster_std)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut normal = StdNormal::new();
    let c =
        Array2::from_shape_simple_fn((centers, n_features), || -10.0 + 20.0 * rng.random::<f64>());
    let mut x = Array2::<f64>::zeros((n_samples, n_features));
    let mut y = Array1::<usize>::zeros(n_samples);
    let (base, extra) = (n_samples / centers, n_samples % centers);
    let mut row = 0;
    for k in 0..centers {
        for _ in 0..base + usize::from(k < extra) {
            y[row] = k;
            for j in 0..n_features {
                x[[row, j]] = c[[k, j]] + cluster_std * normal.sample(&mut rng);
            }
            row += 1;
        }
    }
    Ok(shuffle_rows(x, y, &mut rng))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_is_linear_in_informative_features() {
        // One informative feature, no noise: y / x is the constant weight in [0, 100).
        let (x, y) = make_regression(50, 3, 1, 0.0, 3).unwrap();
        let w = y[0] / x[[0, 0]];
        assert!((0.0..100.0).contains(&w));
        for i in 0..50 {
            assert!((y[i] - w * x[[i, 0]]).abs() < 1e-9);
        }
        // No informative feature: y is pure noise with the given std.
        let (_, y) = make_regression(4000, 2, 0, 2.0, 3).unwrap();
        let std = (y.mapv(|v| v * v).mean().unwrap()).sqrt();
        assert!((std - 2.0).abs() < 0.1, "{std}");
        // X ~ N(0, 1).
        let (x, _) = make_regression(2000, 5, 5, 1.0, 9).unwrap();
        assert!(x.mean().unwrap().abs() < 0.05);
        assert!((x.mapv(|v| v * v).mean().unwrap() - 1.0).abs() < 0.05);
    }

    #[test]
    fn classification_structure() {
        let (x, y) = make_classification(1000, 8, 3, 2, 11).unwrap();
        assert_eq!(x.dim(), (1000, 8));
        let ones = y.iter().filter(|&&c| c == 1).count();
        assert!((450..=550).contains(&ones), "{ones}");
        // Informative columns sit around ±class_sep = ±1 (plus correlated noise).
        let m = x
            .slice_axis(Axis(1), Slice::from(..3))
            .mapv(f64::abs)
            .mean()
            .unwrap();
        assert!(m > 0.8, "{m}");
        // Noise columns 5.. are N(0, 1).
        let noise = x.slice_axis(Axis(1), Slice::from(5..));
        assert!(noise.mean().unwrap().abs() < 0.1);
        // Deterministic per seed.
        assert_eq!(make_classification(1000, 8, 3, 2, 11).unwrap().1, y);
        assert_ne!(make_classification(1000, 8, 3, 2, 12).unwrap().1, y);
        // Separable enough: nearest class centroid gets most samples right.
        let mut cent = Array2::<f64>::zeros((2, 8));
        let mut cnt = [0.0; 2];
        for (row, &c) in x.rows().into_iter().zip(&y) {
            let mut r = cent.row_mut(c);
            r += &row;
            cnt[c] += 1.0;
        }
        for (mut r, n) in cent.rows_mut().into_iter().zip(cnt) {
            r /= n;
        }
        let correct = x
            .rows()
            .into_iter()
            .zip(&y)
            .filter(|(row, c)| {
                let d = |k: usize| (row - &cent.row(k)).mapv(|v| v * v).sum();
                (d(0) < d(1)) == (**c == 0)
            })
            .count();
        assert!(correct > 600, "{correct}");
    }

    #[test]
    fn classification_redundant_columns_are_combinations() {
        // With n_informative = 1 the two redundant columns are multiples of column 0.
        let r = make_classification(100, 3, 1, 2, 0);
        assert!(matches!(r, Err(Error::InvalidParameter { .. }))); // 4 clusters > 2 vertices
        let (x, _) = make_classification(100, 4, 2, 2, 5).unwrap();
        // Columns 2, 3 lie in the span of columns 0, 1: solve on rows 0, 1, check the rest.
        let (a, b, c, d) = (x[[0, 0]], x[[0, 1]], x[[1, 0]], x[[1, 1]]);
        let det = a * d - b * c;
        for col in 2..4 {
            let (p, q) = (x[[0, col]], x[[1, col]]);
            let w0 = (p * d - b * q) / det;
            let w1 = (a * q - p * c) / det;
            for i in 2..100 {
                let pred = w0 * x[[i, 0]] + w1 * x[[i, 1]];
                assert!((pred - x[[i, col]]).abs() < 1e-8);
            }
        }
    }

    #[test]
    fn blobs_cluster_around_centres() {
        let (x, y) = make_blobs(301, 2, 3, 0.5, 4).unwrap();
        let counts: Vec<usize> = (0..3)
            .map(|k| y.iter().filter(|&&c| c == k).count())
            .collect();
        assert_eq!(counts, [101, 100, 100]);
        for k in 0..3 {
            let rows: Vec<usize> = (0..301).filter(|&i| y[i] == k).collect();
            let pts = x.select(Axis(0), &rows);
            let mean = pts.mean_axis(Axis(0)).unwrap();
            assert!(mean.iter().all(|m| m.abs() <= 10.5));
            let var = (&pts - &mean).mapv(|v| v * v).mean().unwrap();
            assert!((var.sqrt() - 0.5).abs() < 0.08, "{var}");
        }
    }

    #[test]
    fn generator_errors() {
        let inv = |r: Result<(Array2<f64>, Array1<f64>)>| {
            matches!(r, Err(Error::InvalidParameter { .. }))
        };
        assert!(inv(make_regression(0, 2, 1, 0.0, 0)));
        assert!(inv(make_regression(2, 0, 1, 0.0, 0)));
        assert!(inv(make_regression(2, 2, 1, -1.0, 0)));
        assert!(inv(make_regression(2, 2, 1, f64::NAN, 0)));
        assert!(inv(make_regression(usize::MAX, 2, 1, 0.0, 0)));
        let inv = |r: Result<(Array2<f64>, Array1<usize>)>| {
            matches!(r, Err(Error::InvalidParameter { .. }))
        };
        assert!(inv(make_classification(10, 2, 3, 2, 0)));
        assert!(inv(make_classification(10, 2, 0, 2, 0)));
        assert!(inv(make_classification(10, 2, 2, 1, 0)));
        assert!(inv(make_classification(10, 5, 2, 3, 0))); // 6 clusters > 4 vertices
        assert!(inv(make_blobs(10, 2, 0, 1.0, 0)));
        assert!(inv(make_blobs(10, 2, 2, -1.0, 0)));
        assert!(make_classification(3, 70, 70, 2, 0).is_ok()); // large n_informative
    }
}
