//! Invariants of LinearRegression / Ridge / SufficientStats that need no
//! reference numbers: weights = duplication, multi-target = per-target,
//! streamed = merged = in-memory, f32 ≈ f64, and every error variant.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, array, concatenate, s};
use oxilearn::Error;
use oxilearn::linear::{LinearRegression, Ridge, RidgeSolver, SufficientStats};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// `n × d` uniform(−1, 1) records with a per-column offset and scale, and
/// `k` noisy linear targets.
fn problem(n: usize, d: usize, k: usize, seed: u64) -> (Array2<f64>, Array2<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((n, d), |(_, j)| {
        (j as f64 - 2.0) * 3.0 + (1.0 + j as f64) * rng.random_range(-1.0..1.0)
    });
    let coef = Array2::from_shape_fn((d, k), |_| rng.random_range(-5.0..5.0));
    let mut y = x.dot(&coef);
    y.mapv_inplace(|v| v + 7.0 + 0.1 * rng.random_range(-1.0..1.0));
    (x, y)
}

fn max_rel(a: ArrayView1<'_, f64>, b: ArrayView1<'_, f64>) -> f64 {
    let scale = b.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / scale)
        .fold(0.0, f64::max)
}

fn max_rel2(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> f64 {
    assert_eq!(a.dim(), b.dim());
    let scale = b.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / scale)
        .fold(0.0, f64::max)
}

/// Rows of `x` (and `y`) repeated `w[i]` times.
fn duplicate(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, f64>,
    w: &[usize],
) -> (Array2<f64>, Array1<f64>) {
    let idx: Vec<usize> = w
        .iter()
        .enumerate()
        .flat_map(|(i, &c)| std::iter::repeat_n(i, c))
        .collect();
    (x.select(Axis(0), &idx), y.select(Axis(0), &idx))
}

#[test]
fn integer_weights_equal_row_duplication() {
    let (x, y) = problem(60, 4, 1, 1);
    let y = y.column(0).to_owned();
    let counts: Vec<usize> = (0..60).map(|i| i % 4).collect(); // includes zeros
    let w = Array1::from_iter(counts.iter().map(|&c| c as f64));
    let (xd, yd) = duplicate(x.view(), y.view(), &counts);

    let a = LinearRegression::new()
        .fit_weighted(x.view(), y.view(), w.view())
        .unwrap();
    let b = LinearRegression::new().fit(xd.view(), yd.view()).unwrap();
    assert!(max_rel(a.coef(), b.coef()) < 1e-10);
    assert!((a.intercept() - b.intercept()).abs() < 1e-10 * b.intercept().abs().max(1.0));

    for solver in [RidgeSolver::Cholesky, RidgeSolver::Svd] {
        let r = Ridge::new().alpha(2.5).solver(solver);
        let a = r.fit_weighted(x.view(), y.view(), w.view()).unwrap();
        let b = r.fit(xd.view(), yd.view()).unwrap();
        assert!(max_rel(a.coef(), b.coef()) < 1e-10, "{solver:?}");
        assert!((a.intercept() - b.intercept()).abs() < 1e-9, "{solver:?}");
    }
}

#[test]
fn multi_target_equals_per_target_fits() {
    let (x, y) = problem(80, 5, 3, 2);
    let multi = LinearRegression::new()
        .fit_multi(x.view(), y.view())
        .unwrap();
    assert_eq!(multi.coef().dim(), (3, 5));
    assert_eq!(multi.n_targets(), 3);
    let pred = multi.predict(x.view()).unwrap();
    for j in 0..3 {
        let single = LinearRegression::new().fit(x.view(), y.column(j)).unwrap();
        assert!(max_rel(multi.coef().row(j), single.coef()) < 1e-12);
        assert!((multi.intercept()[j] - single.intercept()).abs() < 1e-10);
        let p = single.predict(x.view()).unwrap();
        assert!(max_rel(pred.column(j), p.view()) < 1e-12);
    }
    // Per-target penalties, every solver, primal (n > d) and dual (d > n).
    let alphas = vec![0.1, 3.0, 50.0];
    for (n, d) in [(80, 5), (6, 9)] {
        let (x, y) = problem(n, d, 3, 3);
        for solver in [RidgeSolver::Auto, RidgeSolver::Cholesky, RidgeSolver::Svd] {
            let multi = Ridge::new()
                .alpha(alphas.clone())
                .solver(solver)
                .fit_multi(x.view(), y.view())
                .unwrap();
            for (j, &alpha) in alphas.iter().enumerate() {
                let single = Ridge::new()
                    .alpha(alpha)
                    .solver(solver)
                    .fit(x.view(), y.column(j))
                    .unwrap();
                let err = max_rel(multi.coef().row(j), single.coef());
                assert!(err < 1e-10, "{solver:?} n={n} d={d} target {j}: {err:e}");
                assert!((multi.intercept()[j] - single.intercept()).abs() < 1e-8);
            }
        }
    }
}

#[test]
fn primal_dual_and_svd_agree() {
    for (n, d) in [(50, 3), (5, 12)] {
        let (x, y) = problem(n, d, 1, 4);
        let y = y.column(0);
        let c = Ridge::new()
            .alpha(0.7)
            .solver(RidgeSolver::Cholesky)
            .fit(x.view(), y)
            .unwrap();
        let s = Ridge::new()
            .alpha(0.7)
            .solver(RidgeSolver::Svd)
            .fit(x.view(), y)
            .unwrap();
        assert!(max_rel(c.coef(), s.coef()) < 1e-10);
        assert!((c.intercept() - s.intercept()).abs() < 1e-9);
    }
}

#[test]
fn streamed_and_merged_equal_in_memory() {
    let (x, y) = problem(1000, 6, 2, 5);
    let w = Array1::from_shape_fn(1000, |i| ((i * 7) % 5) as f64 * 0.5);
    let y0 = y.column(0);

    // Sequential updates with uneven chunks.
    let mut seq = SufficientStats::new(6, 1);
    let mut start = 0;
    for size in [1, 2, 97, 300, 0, 600] {
        seq.update(
            x.slice(s![start..start + size, ..]),
            y0.slice(s![start..start + size]),
        )
        .unwrap();
        start += size;
    }
    assert_eq!(start, 1000);
    assert_eq!(seq.n_samples(), 1000);

    // Per-chunk statistics reduced in parallel (rayon), in another grouping.
    let chunks: Vec<(usize, usize)> = (0..1000)
        .step_by(64)
        .map(|a| (a, (a + 64).min(1000)))
        .collect();
    let par = chunks
        .par_iter()
        .map(|&(a, b)| SufficientStats::from_chunk(x.slice(s![a..b, ..]), y0.slice(s![a..b])))
        .try_reduce(|| SufficientStats::new(6, 1), |acc, s| acc.merged(&s))
        .unwrap();

    let mem = LinearRegression::new().fit(x.view(), y0).unwrap();
    for stats in [&seq, &par] {
        let m = stats.fit_ols().unwrap();
        assert!(max_rel(m.coef(), mem.coef()) < 1e-10);
        assert!((m.intercept() - mem.intercept()).abs() < 1e-10 * mem.intercept().abs());
        assert_eq!(m.rank(), 6);
        let r = stats.fit_ridge(4.0).unwrap();
        let rm = Ridge::new().alpha(4.0).fit(x.view(), y0).unwrap();
        assert!(max_rel(r.coef(), rm.coef()) < 1e-10);
        assert!((r.intercept() - rm.intercept()).abs() < 1e-10 * rm.intercept().abs());
    }

    // Weighted, multi-target, without intercept, SVD ridge.
    let mut a = SufficientStats::new(6, 2);
    a.update_multi_weighted(
        x.slice(s![..400, ..]),
        y.slice(s![..400, ..]),
        w.slice(s![..400]),
    )
    .unwrap();
    let mut b = SufficientStats::new(6, 2);
    b.update_multi_weighted(
        x.slice(s![400.., ..]),
        y.slice(s![400.., ..]),
        w.slice(s![400..]),
    )
    .unwrap();
    let merged = b.merged(&a).unwrap();
    for fit_intercept in [true, false] {
        let ols = LinearRegression::new().fit_intercept(fit_intercept);
        let m = ols.fit_stats_multi(&merged).unwrap();
        let mm = ols
            .fit_multi_weighted(x.view(), y.view(), w.view())
            .unwrap();
        assert!(max_rel2(m.coef(), mm.coef()) < 1e-10);
        assert!(max_rel(m.intercept(), mm.intercept()) < 1e-10);
        let ridge = Ridge::new()
            .alpha(vec![0.5, 20.0])
            .solver(RidgeSolver::Svd)
            .fit_intercept(fit_intercept);
        let r = ridge.fit_stats_multi(&merged).unwrap();
        let rm = ridge
            .fit_multi_weighted(x.view(), y.view(), w.view())
            .unwrap();
        assert!(max_rel2(r.coef(), rm.coef()) < 1e-10);
    }
}

/// The in-memory fit splits rows into a fixed tree of leaves (centred per
/// leaf, merged pairwise): the model must be bit-identical on any pool size,
/// and equal to a single-leaf reference (the plain two-pass centred gram) to
/// rounding.
#[test]
fn fit_does_not_depend_on_thread_count() {
    // 40 000 × 12: many leaves; a large offset in every column.
    let (x, y) = problem(40_000, 12, 2, 21);
    let w = Array1::from_shape_fn(x.nrows(), |i| ((i * 7919) % 13) as f64 / 4.0);
    let run = || {
        let ols = LinearRegression::new().fit(x.view(), y.column(0)).unwrap();
        let wls = LinearRegression::new()
            .fit_multi_weighted(x.view(), y.view(), w.view())
            .unwrap();
        let ridge = Ridge::new()
            .alpha(3.0)
            .solver(RidgeSolver::Cholesky)
            .fit(x.view(), y.column(1))
            .unwrap();
        let stats = SufficientStats::from_chunk(x.view(), y.column(0)).unwrap();
        (ols, wls, ridge, stats)
    };
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let one = pool(1).install(run);
    let four = pool(4).install(run);
    assert_eq!(one.0, four.0, "OLS differs between 1 and 4 threads");
    assert_eq!(one.1, four.1, "weighted multi-target OLS differs");
    assert_eq!(one.2, four.2, "Ridge differs");
    assert_eq!(one.3, four.3, "SufficientStats differ");
    // Against the two-pass reference: centre with the global mean, then
    // solve the normal equations directly.
    let xm = x.mean_axis(Axis(0)).unwrap();
    let ym = y.column(0).mean().unwrap();
    let xc = &x - &xm;
    let yc = y.column(0).mapv(|v| v - ym);
    let a = xc.t().dot(&xc);
    let b = xc.t().dot(&yc);
    let coef = oxilearn::linalg::cholesky_solve(a.view(), b.insert_axis(Axis(1)).view())
        .unwrap()
        .column(0)
        .to_owned();
    assert!(max_rel(one.0.coef(), coef.view()) < 1e-10);
    let intercept = ym - xm.dot(&coef);
    assert!((one.0.intercept() - intercept).abs() < 1e-9 * intercept.abs().max(1.0));
}

#[test]
fn stats_rank_deficient_is_min_norm() {
    let (x, y) = problem(200, 3, 1, 6);
    let xd = concatenate![Axis(1), x, x.slice(s![.., ..1])];
    let y0 = y.column(0);
    let mem = LinearRegression::new().fit(xd.view(), y0).unwrap();
    assert_eq!(mem.rank(), 3);
    // The duplicated pair shares the weight equally (minimum norm).
    assert!((mem.coef()[0] - mem.coef()[3]).abs() < 1e-8 * mem.coef()[0].abs());
    let mut stats = SufficientStats::new(4, 1);
    stats
        .update(xd.slice(s![..77, ..]), y0.slice(s![..77]))
        .unwrap();
    stats
        .update(xd.slice(s![77.., ..]), y0.slice(s![77..]))
        .unwrap();
    let m = stats.fit_ols().unwrap();
    assert_eq!(m.rank(), 3);
    assert!(max_rel(m.coef(), mem.coef()) < 1e-6);
}

#[test]
fn large_offsets_do_not_lose_precision() {
    // A feature 1e8 + small spread: the naive XᵀX − n·x̄x̄ᵀ would cancel
    // every digit; centring first keeps them.
    let (x, y) = problem(500, 3, 1, 7);
    let y0 = y.column(0);
    let mut shifted = x.clone();
    shifted.column_mut(1).mapv_inplace(|v| v + 1e8);
    let a = LinearRegression::new().fit(x.view(), y0).unwrap();
    let b = LinearRegression::new().fit(shifted.view(), y0).unwrap();
    assert!(
        max_rel(b.coef(), a.coef()) < 1e-7,
        "{} vs {}",
        b.coef(),
        a.coef()
    );
    let mut stats = SufficientStats::new(3, 1);
    for c in 0..5 {
        stats
            .update(
                shifted.slice(s![c * 100..(c + 1) * 100, ..]),
                y0.slice(s![c * 100..(c + 1) * 100]),
            )
            .unwrap();
    }
    assert!(max_rel(stats.fit_ols().unwrap().coef(), a.coef()) < 1e-7);
}

#[test]
fn f32_matches_f64() {
    let (x, y) = problem(300, 4, 1, 8);
    let y0 = y.column(0).to_owned();
    let (x32, y32) = (x.mapv(|v| v as f32), y0.mapv(|v| v as f32));
    let a = LinearRegression::new().fit(x.view(), y0.view()).unwrap();
    let b = LinearRegression::new().fit(x32.view(), y32.view()).unwrap();
    let b64 = b.coef().mapv(f64::from);
    assert!(max_rel(b64.view(), a.coef()) < 1e-3);
    let r = Ridge::new().fit(x32.view(), y32.view()).unwrap();
    assert_eq!(r.predict(x32.view()).unwrap().len(), 300);
    assert!(r.score(x32.view(), y32.view()).unwrap() > 0.99);
}

#[test]
fn constant_feature_and_single_row() {
    // A constant column centres to zero: rank drops, its coefficient is 0.
    let x: Array2<f64> = array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0]];
    let y: Array1<f64> = array![2.0, 4.0, 6.0, 8.0];
    let m = LinearRegression::new().fit(x.view(), y.view()).unwrap();
    assert_eq!(m.rank(), 1);
    assert!((m.coef()[0] - 2.0).abs() < 1e-12 && m.coef()[1].abs() < 1e-12);
    // Ridge α = 0 with Auto falls back to the SVD; with Cholesky it is an error.
    let r = Ridge::new().alpha(0.0).fit(x.view(), y.view()).unwrap();
    assert_eq!(r.solver_used(), RidgeSolver::Svd);
    assert!((r.coef()[0] - 2.0).abs() < 1e-12);
    let err = Ridge::new()
        .alpha(0.0)
        .solver(RidgeSolver::Cholesky)
        .fit(x.view(), y.view());
    assert!(
        matches!(
            err,
            Err(Error::NumericalFailure {
                operation: "cholesky",
                ..
            })
        ),
        "{err:?}"
    );
    // One row: the intercept is the target, coefficients zero.
    let one = LinearRegression::new()
        .fit(x.slice(s![..1, ..]), y.slice(s![..1]))
        .unwrap();
    assert_eq!(one.rank(), 0);
    assert!((one.intercept() - 2.0).abs() < 1e-12);
}

#[test]
fn every_error_variant() {
    let x = array![[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]];
    let y = array![1.0, 2.0, 3.0];
    let ols = LinearRegression::new();
    let ridge = Ridge::new();

    // Empty input.
    let empty = Array2::<f64>::zeros((0, 2));
    assert!(matches!(
        ols.fit(empty.view(), Array1::zeros(0).view()),
        Err(Error::EmptyInput { .. })
    ));
    let no_features = Array2::<f64>::zeros((3, 0));
    assert!(matches!(
        ridge.fit(no_features.view(), y.view()),
        Err(Error::EmptyInput { .. })
    ));
    let no_targets = Array2::<f64>::zeros((3, 0));
    assert!(matches!(
        ols.fit_multi(x.view(), no_targets.view()),
        Err(Error::EmptyInput { .. })
    ));
    assert!(matches!(
        SufficientStats::<f64>::new(2, 1).fit_ols(),
        Err(Error::EmptyInput { .. })
    ));

    // Shape mismatches.
    let short = array![1.0, 2.0];
    assert!(matches!(
        ols.fit(x.view(), short.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        ridge.fit(x.view(), short.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        ols.fit_weighted(x.view(), y.view(), short.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        Ridge::new().alpha(vec![1.0, 2.0]).fit(x.view(), y.view()),
        Err(Error::ShapeMismatch {
            what: "alpha (one penalty per target)",
            ..
        })
    ));
    let m = ols.fit(x.view(), y.view()).unwrap();
    assert!(matches!(
        m.predict(array![[1.0]].view()),
        Err(Error::ShapeMismatch { .. })
    ));
    let r = ridge.fit(x.view(), y.view()).unwrap();
    assert!(matches!(
        r.predict(array![[1.0, 2.0, 3.0]].view()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        m.score(x.view(), short.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut s = SufficientStats::<f64>::new(2, 1);
    assert!(matches!(
        s.update(array![[1.0, 2.0, 3.0]].view(), array![1.0].view()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        s.merge(&SufficientStats::new(3, 1)),
        Err(Error::ShapeMismatch { .. })
    ));
    let mut s2 = SufficientStats::<f64>::new(2, 2);
    s2.update_multi(
        x.view(),
        concatenate![
            Axis(1),
            y.view().insert_axis(Axis(1)),
            y.view().insert_axis(Axis(1))
        ]
        .view(),
    )
    .unwrap();
    assert!(matches!(s2.fit_ols(), Err(Error::ShapeMismatch { .. })));

    // Non-finite values.
    let mut xn = x.clone();
    xn[[2, 1]] = f64::NAN;
    assert!(
        matches!(ols.fit(xn.view(), y.view()), Err(Error::NonFinite { what: "x", index }) if index == vec![2, 1])
    );
    let mut yn = y.clone();
    yn[1] = f64::INFINITY;
    assert!(
        matches!(ridge.fit(x.view(), yn.view()), Err(Error::NonFinite { what: "y", index }) if index == vec![1])
    );
    let wn = array![1.0, f64::NAN, 1.0];
    assert!(matches!(
        ols.fit_weighted(x.view(), y.view(), wn.view()),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(m.predict(xn.view()), Err(Error::NonFinite { .. })));
    assert!(matches!(
        s.update(xn.view(), y.view()),
        Err(Error::NonFinite { .. })
    ));

    // Invalid parameters.
    assert!(matches!(
        Ridge::new().alpha(-1.0).fit(x.view(), y.view()),
        Err(Error::InvalidParameter { name: "alpha", .. })
    ));
    assert!(matches!(
        Ridge::new().alpha(f64::NAN).fit(x.view(), y.view()),
        Err(Error::InvalidParameter { name: "alpha", .. })
    ));
    assert!(matches!(
        SufficientStats::from_chunk(x.view(), y.view())
            .unwrap()
            .fit_ridge(-0.5),
        Err(Error::InvalidParameter { name: "alpha", .. })
    ));
    let neg = array![1.0, -1.0, 1.0];
    assert!(matches!(
        ridge.fit_weighted(x.view(), y.view(), neg.view()),
        Err(Error::InvalidParameter {
            name: "sample_weight",
            ..
        })
    ));
    assert!(matches!(
        s.update_weighted(x.view(), y.view(), neg.view()),
        Err(Error::InvalidParameter {
            name: "sample_weight",
            ..
        })
    ));
    let zeros = array![0.0, 0.0, 0.0];
    assert!(matches!(
        ols.fit_weighted(x.view(), y.view(), zeros.view()),
        Err(Error::InvalidParameter {
            name: "sample_weight",
            ..
        })
    ));
    // …but an all-zero chunk is a legitimate no-op for streaming.
    s.update_weighted(x.view(), y.view(), zeros.view()).unwrap();
    assert_eq!(s.n_samples(), 3);
    assert!(matches!(s.fit_ols(), Err(Error::EmptyInput { .. })));
}

#[test]
fn trait_impls_and_send_sync() {
    use oxilearn::traits::{Fit, Predict};
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<oxilearn::linear::FittedLinearRegression<f32>>();
    assert_send_sync::<oxilearn::linear::FittedRidgeMulti<f64>>();
    assert_send_sync::<SufficientStats<f64>>();
    let (x, y) = problem(30, 2, 2, 9);
    let m = Fit::fit(&LinearRegression::new(), x.view(), y.column(0)).unwrap();
    let p: Array1<f64> = Predict::predict(&m, x.view()).unwrap();
    assert_eq!(p.len(), 30);
    let mm = Fit::fit(&Ridge::new(), x.view(), y.view()).unwrap();
    let pm: Array2<f64> = Predict::predict(&mm, x.view()).unwrap();
    assert_eq!(pm.dim(), (30, 2));
    assert!(mm.score(x.view(), y.view()).unwrap() > 0.9);
}

/// The fit learns whether `X` is finite from the pass that forms the normal
/// equations (no separate scan): a NaN or infinity anywhere — on a
/// zero-weight row, inside a whole leaf of zero weight, without intercept,
/// through every solver — must still be `NonFinite` naming the first
/// offending entry of `x`.
#[test]
fn non_finite_x_is_found_without_a_separate_scan() {
    // 30 000 × 10: three leaves of 13 107 rows; the first leaf has zero weight.
    let (x, y) = problem(30_000, 10, 1, 31);
    let y0 = y.column(0);
    let w = Array1::from_shape_fn(x.nrows(), |i| if i < 14_000 { 0.0 } else { 1.5 });
    for (row, col, bad) in [
        (100, 3, f64::NAN),
        (13_500, 0, f64::INFINITY),
        (29_999, 9, f64::NEG_INFINITY),
    ] {
        let mut xb = x.clone();
        xb[[row, col]] = bad;
        // A second bad value later on: the error names the first one.
        xb[[29_999, 0]] = f64::NAN;
        let first = if (row, col) == (29_999, 9) {
            vec![29_999, 0]
        } else {
            vec![row, col]
        };
        let is_first = |e: Error| match e {
            Error::NonFinite { what, index } => what == "x" && index == first,
            _ => false,
        };
        for fit_intercept in [true, false] {
            let ols = LinearRegression::new().fit_intercept(fit_intercept);
            assert!(is_first(ols.fit(xb.view(), y0).unwrap_err()));
            assert!(is_first(
                ols.fit_weighted(xb.view(), y0, w.view()).unwrap_err()
            ));
            for solver in [RidgeSolver::Auto, RidgeSolver::Cholesky, RidgeSolver::Svd] {
                let ridge = Ridge::new()
                    .alpha(1.0)
                    .solver(solver)
                    .fit_intercept(fit_intercept);
                assert!(is_first(ridge.fit(xb.view(), y0).unwrap_err()));
                assert!(is_first(
                    ridge.fit_weighted(xb.view(), y0, w.view()).unwrap_err()
                ));
            }
        }
        assert!(is_first(
            SufficientStats::from_chunk(xb.view(), y0).unwrap_err()
        ));
        let mut stats = SufficientStats::new(10, 1);
        let err = stats.update_weighted(xb.view(), y0, w.view()).unwrap_err();
        assert!(is_first(err));
    }
    // Finite data through the same paths still fits.
    assert!(
        LinearRegression::new()
            .fit_weighted(x.view(), y0, w.view())
            .is_ok()
    );
}
