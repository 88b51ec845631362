//! LinearRegression and Ridge against scikit-learn 1.9.1 / numpy 2.4.6 on the
//! bundled diabetes data (`load_diabetes()`, scaled), to 1e-8 relative.
//!
//! Every reference block is preceded by the Python that printed it (run with
//! `np.set_printoptions(precision=17, floatmode='unique')` and
//! `X, y = load_diabetes(return_X_y=True)`).

use ndarray::{Array1, Array2, ArrayView1, Axis, concatenate, s};
use oxilearn::datasets::diabetes;
use oxilearn::linear::{LinearRegression, Ridge, RidgeSolver};

fn data() -> (Array2<f64>, Array1<f64>) {
    let d = diabetes();
    (d.records, d.targets)
}

/// `max |a − b| / max(1, max |b|)` — relative to the coefficient scale.
fn assert_close(got: ArrayView1<'_, f64>, want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let rel = (g - w).abs() / scale;
        assert!(rel <= tol, "{what}[{i}]: got {g}, want {w} (rel {rel:e})");
    }
}

fn assert_scalar(got: f64, want: f64, tol: f64, what: &str) {
    let rel = (got - want).abs() / want.abs().max(1.0);
    assert!(rel <= tol, "{what}: got {got}, want {want} (rel {rel:e})");
}

// m = LinearRegression().fit(X, y); print(repr(m.coef_), repr(m.intercept_), m.rank_)
// print(m.score(X, y))
const OLS_COEF: [f64; 10] = [
    -10.009866299810652,
    -239.81564367242223,
    519.8459200544597,
    324.38464550232317,
    -792.17563855223,
    476.7390210052578,
    101.04326793803425,
    177.06323767134612,
    751.2736995571032,
    67.62669218370438,
];
const OLS_INTERCEPT: f64 = 152.13348416289597;
const OLS_R2: f64 = 0.5177484222203499;

#[test]
fn ols_matches_sklearn_on_diabetes() {
    let (x, y) = data();
    let m = LinearRegression::new().fit(x.view(), y.view()).unwrap();
    assert_close(m.coef(), &OLS_COEF, 1e-8, "coef");
    assert_scalar(m.intercept(), OLS_INTERCEPT, 1e-8, "intercept");
    assert_eq!(m.rank(), 10);
    assert_scalar(m.score(x.view(), y.view()).unwrap(), OLS_R2, 1e-10, "R²");
}

// m = LinearRegression(fit_intercept=False).fit(X, y); print(repr(m.coef_))
const OLS_NOINT_COEF: [f64; 10] = [
    -10.009866299811813,
    -239.8156436724251,
    519.8459200544335,
    324.3846455023229,
    -792.1756385525385,
    476.7390210055174,
    101.0432679381506,
    177.0632376713551,
    751.2736995572392,
    67.62669218370765,
];

#[test]
fn ols_without_intercept_matches_sklearn() {
    let (x, y) = data();
    let m = LinearRegression::new()
        .fit_intercept(false)
        .fit(x.view(), y.view())
        .unwrap();
    assert_close(m.coef(), &OLS_NOINT_COEF, 1e-8, "coef");
    assert_eq!(m.intercept(), 0.0);
}

// w = (np.arange(442) % 3 + 1).astype(float)
// m = LinearRegression().fit(X, y, sample_weight=w); print(repr(m.coef_), repr(m.intercept_))
const OLS_W_COEF: [f64; 10] = [
    -21.656124502216567,
    -204.85585103344252,
    512.4040732692912,
    296.55308815991185,
    -902.6871839838632,
    571.6583062180165,
    154.78190785711837,
    209.22709610380764,
    772.3560239587108,
    74.00622245493382,
];
const OLS_W_INTERCEPT: f64 = 152.67523843653933;

fn weights(n: usize) -> Array1<f64> {
    Array1::from_shape_fn(n, |i| (i % 3 + 1) as f64)
}

#[test]
fn weighted_ols_matches_sklearn() {
    let (x, y) = data();
    let w = weights(x.nrows());
    let m = LinearRegression::new()
        .fit_weighted(x.view(), y.view(), w.view())
        .unwrap();
    assert_close(m.coef(), &OLS_W_COEF, 1e-8, "coef");
    assert_scalar(m.intercept(), OLS_W_INTERCEPT, 1e-8, "intercept");
}

// r = Ridge(alpha=1.0, solver='cholesky').fit(X, y); print(repr(r.coef_), repr(r.intercept_))
const RIDGE1_COEF: [f64; 10] = [
    29.46611189347687,
    -83.15427636187539,
    306.35268015068607,
    201.62773437326962,
    5.909614367497162,
    -29.51549507968957,
    -152.04028006186405,
    117.31173160030144,
    262.94429001431297,
    111.878956439524,
];
const RIDGE1_INTERCEPT: f64 = 152.133484162896;

#[test]
fn ridge_matches_sklearn_every_solver() {
    let (x, y) = data();
    for solver in [RidgeSolver::Auto, RidgeSolver::Cholesky, RidgeSolver::Svd] {
        let m = Ridge::new()
            .alpha(1.0)
            .solver(solver)
            .fit(x.view(), y.view())
            .unwrap();
        assert_close(m.coef(), &RIDGE1_COEF, 1e-8, "coef");
        assert_scalar(m.intercept(), RIDGE1_INTERCEPT, 1e-8, "intercept");
        let expected = if solver == RidgeSolver::Svd {
            RidgeSolver::Svd
        } else {
            RidgeSolver::Cholesky
        };
        assert_eq!(m.solver_used(), expected);
    }
}

// r = Ridge(alpha=0.1, solver='svd').fit(X, y); print(repr(r.coef_), repr(r.intercept_))
const RIDGE01_COEF: [f64; 10] = [
    1.308705426932401,
    -207.19241785853941,
    489.69517109044335,
    301.7640578617741,
    -83.46603399160995,
    -70.82683190150686,
    -188.67889781854421,
    115.71213559879327,
    443.8129174730427,
    86.74931540489736,
];
const RIDGE01_INTERCEPT: f64 = 152.13348416289602;

#[test]
fn ridge_small_alpha_matches_sklearn() {
    let (x, y) = data();
    for solver in [RidgeSolver::Cholesky, RidgeSolver::Svd] {
        let m = Ridge::new()
            .alpha(0.1)
            .solver(solver)
            .fit(x.view(), y.view())
            .unwrap();
        assert_close(m.coef(), &RIDGE01_COEF, 1e-8, "coef");
        assert_scalar(m.intercept(), RIDGE01_INTERCEPT, 1e-8, "intercept");
    }
}

// r = Ridge(alpha=0.5).fit(X, y, sample_weight=w); print(repr(r.coef_), repr(r.intercept_))
const RIDGE_W_COEF: [f64; 10] = [
    0.8551740963597355,
    -144.53997694118823,
    432.5782287891845,
    259.0309011514283,
    -43.31073748739819,
    -55.711907779472924,
    -192.75286329053532,
    124.97255229570882,
    367.87695832429756,
    101.1283031429227,
];
const RIDGE_W_INTERCEPT: f64 = 152.56280818364644;

#[test]
fn weighted_ridge_matches_sklearn() {
    let (x, y) = data();
    let w = weights(x.nrows());
    for solver in [RidgeSolver::Cholesky, RidgeSolver::Svd] {
        let m = Ridge::new()
            .alpha(0.5)
            .solver(solver)
            .fit_weighted(x.view(), y.view(), w.view())
            .unwrap();
        assert_close(m.coef(), &RIDGE_W_COEF, 1e-8, "coef");
        assert_scalar(m.intercept(), RIDGE_W_INTERCEPT, 1e-8, "intercept");
    }
}

// r = Ridge(alpha=0.3, solver='cholesky').fit(X[:8], y[:8]); print(repr(r.coef_), repr(r.intercept_))
// (solver='svd' gives the same digits to 1e-15)
const RIDGE_PN_COEF: [f64; 10] = [
    -20.475167913826056,
    -3.322925509669558,
    12.521928307115319,
    -14.702196312192335,
    -13.4612557749515,
    -8.951660460240102,
    -33.084457472156295,
    16.425171497817022,
    24.874003991500008,
    14.768996701970163,
];
const RIDGE_PN_INTERCEPT: f64 = 127.1685564960173;

#[test]
fn ridge_more_features_than_samples_matches_sklearn() {
    let (x, y) = data();
    let (x8, y8) = (x.slice(s![..8, ..]), y.slice(s![..8]));
    for solver in [RidgeSolver::Auto, RidgeSolver::Cholesky, RidgeSolver::Svd] {
        let m = Ridge::new().alpha(0.3).solver(solver).fit(x8, y8).unwrap();
        assert_close(m.coef(), &RIDGE_PN_COEF, 1e-8, "coef");
        assert_scalar(m.intercept(), RIDGE_PN_INTERCEPT, 1e-8, "intercept");
    }
}

// Xd = np.hstack([X, X[:, :1]]); Xc = Xd - Xd.mean(0); yc = y - y.mean()
// sol, res, rank, sv = np.linalg.lstsq(Xc, yc, rcond=None)
// print(repr(sol), rank, repr(y.mean() - Xd.mean(0) @ sol))
// (LinearRegression().fit(Xd, y) prints the same coef_, rank_ and intercept_)
const DUP_COEF: [f64; 11] = [
    -5.00493314990552,
    -239.81564367242362,
    519.8459200544604,
    324.3846455023229,
    -792.1756385522297,
    476.73902100525765,
    101.04326793803588,
    177.06323767134623,
    751.2736995571031,
    67.62669218370452,
    -5.0049331499052885,
];
const DUP_INTERCEPT: f64 = 152.13348416289597;

#[test]
fn duplicated_column_gives_numpy_min_norm_solution() {
    let (x, y) = data();
    let xd = concatenate![Axis(1), x, x.slice(s![.., ..1])];
    let m = LinearRegression::new().fit(xd.view(), y.view()).unwrap();
    assert_eq!(m.rank(), 10);
    assert_close(m.coef(), &DUP_COEF, 1e-8, "coef");
    assert_scalar(m.intercept(), DUP_INTERCEPT, 1e-8, "intercept");
}

// X8, y8 = X[:8], y[:8]; Xc = X8 - X8.mean(0); yc = y8 - y8.mean()
// sol, res, rank, sv = np.linalg.lstsq(Xc, yc, rcond=None)
// print(repr(sol), rank, repr(y8.mean() - X8.mean(0) @ sol))
const PN_OLS_COEF: [f64; 10] = [
    -270.12512759491574,
    -154.06919925770202,
    -45.39933165215648,
    8.569822332325677,
    -372.24693140245785,
    -391.42008774755715,
    -654.264677853024,
    1434.9873661373135,
    -602.0904892617381,
    132.1608361831623,
];
const PN_OLS_INTERCEPT: f64 = 131.2578785128789;

#[test]
fn ols_more_features_than_samples_is_min_norm() {
    let (x, y) = data();
    let m = LinearRegression::new()
        .fit(x.slice(s![..8, ..]), y.slice(s![..8]))
        .unwrap();
    assert_eq!(m.rank(), 7);
    assert_close(m.coef(), &PN_OLS_COEF, 1e-8, "coef");
    assert_scalar(m.intercept(), PN_OLS_INTERCEPT, 1e-8, "intercept");
}
