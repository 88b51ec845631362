//! Invariant tests for the linear-algebra kernels. They run unchanged on both
//! backends (`cargo test --lib linalg` and `--features openblas-system`).
//!
//! Tolerances follow the standard backward-error bounds: a computed product
//! satisfies `|fl(A·B) − A·B| ≤ k·ε·|A|·|B|` elementwise; Cholesky, QR/SVD-based
//! solves and decompositions are backward stable with errors `≤ c·n·ε·‖A‖`
//! for a modest constant `c` (Higham, *Accuracy and Stability of Numerical
//! Algorithms*, ch. 3, 10, 19, 20). We use `c = 8` (`C` below) throughout;
//! observed errors are typically well below `n·ε·‖A‖`.

use ndarray::{Array1, Array2, ArrayView2, Axis, ShapeBuilder, array, s};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

/// Constant in front of the `n·ε·‖A‖` backward-error bounds.
const C: f64 = 8.0;

fn eps<F: Float>() -> f64 {
    F::epsilon().to_f64_exact()
}

/// Uniform(-1, 1) entries, seeded.
fn rand_mat<F: Float>(m: usize, n: usize, seed: u64) -> Array2<F> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array2::from_shape_fn((m, n), |_| F::from_f64_lossy(rng.random_range(-1.0..1.0)))
}

fn to64<F: Float>(a: ArrayView2<'_, F>) -> Array2<f64> {
    a.mapv(|v| v.to_f64_exact())
}

/// Naive triple-loop product in f64.
fn naive(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    let (m, k) = a.dim();
    let n = b.ncols();
    Array2::from_shape_fn((m, n), |(i, j)| (0..k).map(|p| a[[i, p]] * b[[p, j]]).sum())
}

fn fro(a: &Array2<f64>) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.dim(), b.dim());
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// ‖QᵀQ − I‖_max for a matrix with (supposedly) orthonormal columns.
fn orthonormality_error(q: &Array2<f64>) -> f64 {
    let qtq = naive(&q.t().to_owned(), q);
    max_abs_diff(&qtq, &Array2::eye(q.ncols()))
}

/// Checks `c == α·a·b + β·c0` against the elementwise bound `k·ε·(|α||A||B| + |β||C0|)`.
fn assert_gemm_close<F: Float>(
    alpha: f64,
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    beta: f64,
    c0: &Array2<f64>,
    c: ArrayView2<'_, F>,
) {
    let (a64, b64) = (to64(a), to64(b));
    let exact = naive(&a64, &b64) * alpha + c0 * beta;
    let bound = naive(&a64.mapv(f64::abs), &b64.mapv(f64::abs)) * alpha.abs()
        + c0.mapv(f64::abs) * beta.abs();
    let k = a.ncols() as f64 + 2.0;
    let c = to64(c);
    for ((got, want), b) in c.iter().zip(exact.iter()).zip(bound.iter()) {
        assert!(
            (got - want).abs() <= C * k * eps::<F>() * b + f64::MIN_POSITIVE,
            "got {got}, want {want}, bound {b}"
        );
    }
}

// ---------------------------------------------------------------- products

fn gemm_layouts<F: Float>() {
    for &(m, k, n) in &[
        (1, 1, 1),
        (7, 5, 3),
        (33, 17, 65),
        (130, 70, 90),
        (0, 3, 2),
        (3, 0, 2),
    ] {
        let a = rand_mat::<F>(m, k, 1);
        let b = rand_mat::<F>(k, n, 2);
        // C order
        let c = matmul(a.view(), b.view());
        assert_gemm_close(
            1.0,
            a.view(),
            b.view(),
            0.0,
            &Array2::zeros((m, n)),
            c.view(),
        );
        // Fortran order
        let mut af = Array2::zeros((m, k).f());
        af.assign(&a);
        let mut bf = Array2::zeros((k, n).f());
        bf.assign(&b);
        let c = matmul(af.view(), bf.view());
        assert_gemm_close(
            1.0,
            a.view(),
            b.view(),
            0.0,
            &Array2::zeros((m, n)),
            c.view(),
        );
        // transposed operands: (Bᵀ·Aᵀ)ᵀ = A·B
        let at = a.t().to_owned();
        let bt = b.t().to_owned();
        let c = matmul(at.t(), bt.t());
        assert_gemm_close(
            1.0,
            a.view(),
            b.view(),
            0.0,
            &Array2::zeros((m, n)),
            c.view(),
        );
        let c = matmul(bt.view(), at.view());
        assert_gemm_close(1.0, a.view(), b.view(), 0.0, &Array2::zeros((m, n)), c.t());
        // stepped and negative strides
        let big = rand_mat::<F>(2 * m + 1, 2 * k + 1, 3);
        let a_step = big.slice(s![1..;2, ..;2]);
        let a_step = a_step.slice(s![..m, ..k]);
        let b_rev = b.slice(s![..;-1, ..;-1]);
        let c = matmul(a_step, b_rev);
        assert_gemm_close(1.0, a_step, b_rev, 0.0, &Array2::zeros((m, n)), c.view());
    }
    // zero-stride (broadcast) input
    let row = rand_mat::<F>(1, 6, 4);
    let a = row.broadcast((5, 6)).unwrap();
    let b = rand_mat::<F>(6, 4, 5);
    let c = matmul(a, b.view());
    assert_gemm_close(1.0, a, b.view(), 0.0, &Array2::zeros((5, 4)), c.view());
    // α, β, and a C output that is itself a strided view
    let a = rand_mat::<F>(20, 30, 6);
    let b = rand_mat::<F>(30, 10, 7);
    let mut cbig = rand_mat::<F>(40, 10, 8);
    let c0 = to64(cbig.slice(s![..;2, ..]));
    {
        let mut cv = cbig.slice_mut(s![..;2, ..]);
        gemm(
            F::from_f64_lossy(-0.5),
            a.view(),
            b.view(),
            F::from_f64_lossy(2.0),
            &mut cv,
        );
    }
    assert_gemm_close(-0.5, a.view(), b.view(), 2.0, &c0, cbig.slice(s![..;2, ..]));
    // β = 0 does not read C (NaN in C is overwritten)
    let mut c = Array2::from_elem((20, 10), F::nan());
    gemm(F::one(), a.view(), b.view(), F::zero(), &mut c.view_mut());
    assert_gemm_close(
        1.0,
        a.view(),
        b.view(),
        0.0,
        &Array2::zeros((20, 10)),
        c.view(),
    );
    // β = 1 accumulates
    let mut c = Array2::<F>::ones((20, 10));
    gemm(F::one(), a.view(), b.view(), F::one(), &mut c.view_mut());
    assert_gemm_close(
        1.0,
        a.view(),
        b.view(),
        1.0,
        &Array2::ones((20, 10)),
        c.view(),
    );
}

#[test]
fn gemm_layouts_f32() {
    gemm_layouts::<f32>();
}

#[test]
fn gemm_layouts_f64() {
    gemm_layouts::<f64>();
}

#[test]
fn gemm_large_parallel_matches_naive() {
    // Large enough to take the parallel path.
    let a = rand_mat::<f64>(200, 150, 11);
    let b = rand_mat::<f64>(150, 180, 12);
    let c = matmul(a.view(), b.view());
    assert_gemm_close(
        1.0,
        a.view(),
        b.view(),
        0.0,
        &Array2::zeros((200, 180)),
        c.view(),
    );
}

#[test]
#[should_panic(expected = "gemm: incompatible shapes")]
fn gemm_shape_mismatch_panics() {
    let a = Array2::<f64>::zeros((2, 3));
    let _ = matmul(a.view(), a.view());
}

fn gemv_cases<F: Float>() {
    // Small, and large enough for the parallel row-block path.
    for &(m, n) in &[(1, 1), (9, 4), (0, 3), (3, 0), (5000, 600)] {
        let a = rand_mat::<F>(m, n, 21);
        let x = rand_mat::<F>(n, 1, 22);
        let y0 = rand_mat::<F>(m, 1, 23);
        let mut y = y0.column(0).to_owned();
        gemv(
            F::from_f64_lossy(1.5),
            a.view(),
            x.column(0),
            F::from_f64_lossy(-1.0),
            &mut y.view_mut(),
        );
        let y2 = y.insert_axis(Axis(1));
        assert_gemm_close(1.5, a.view(), x.view(), -1.0, &to64(y0.view()), y2.view());
        // transposed A (Fortran-ordered rows)
        let at = a.t().to_owned();
        let y = matvec(at.t(), x.column(0));
        let y2 = y.insert_axis(Axis(1));
        assert_gemm_close(
            1.0,
            a.view(),
            x.view(),
            0.0,
            &Array2::zeros((m, 1)),
            y2.view(),
        );
    }
}

#[test]
fn gemv_f32() {
    gemv_cases::<f32>();
}

#[test]
fn gemv_f64() {
    gemv_cases::<f64>();
}

// ---------------------------------------------------------------- gram

fn gram_cases<F: Float>() {
    // (n, d): tiny, degenerate, and several row blocks in the weighted path.
    for &(n, d) in &[(1, 1), (10, 3), (0, 4), (5, 0), (257, 31), (12_000, 40)] {
        let x = rand_mat::<F>(n, d, 31);
        let mut rng = ChaCha8Rng::seed_from_u64(32);
        // weights of both signs and zeros
        let w = Array1::from_shape_fn(n, |i| {
            if i % 7 == 0 {
                F::zero()
            } else {
                F::from_f64_lossy(rng.random_range(-0.5..2.0))
            }
        });
        for weights in [None, Some(w.view())] {
            let g = gram(x.view(), weights);
            assert_eq!(g.dim(), (d, d));
            assert_eq!(g, g.t(), "gram must be exactly symmetric");
            // reference Xᵀ·diag(w)·X
            let x64 = to64(x.view());
            let w64 = weights.map_or(Array1::ones(n), |w| w.mapv(|v| v.to_f64_exact()));
            let wx = &x64 * &w64.clone().insert_axis(Axis(1));
            let want = naive(&x64.t().to_owned(), &wx);
            let bound = naive(&x64.t().mapv(f64::abs), &(wx.mapv(f64::abs)));
            for ((got, want), b) in g.iter().zip(want.iter()).zip(bound.iter()) {
                let got = got.to_f64_exact();
                assert!(
                    (got - want).abs() <= C * (n as f64 + 1.0) * eps::<F>() * b + f64::MIN_POSITIVE,
                    "n={n} d={d}: got {got}, want {want}"
                );
            }
        }
    }
    // non-contiguous X: a transposed, stepped view
    let big = rand_mat::<F>(30, 80, 33);
    let xv = big.slice(s![..;3, ..;2]);
    let xv = xv.t(); // 40 × 10, neither C nor F contiguous
    let g = gram(xv, None);
    let want = naive(&to64(xv).t().to_owned(), &to64(xv));
    assert_eq!(g, g.t());
    let err = max_abs_diff(&to64(g.view()), &want);
    assert!(err <= C * 40.0 * eps::<F>() * fro(&want), "{err}");
}

#[test]
fn gram_f32() {
    gram_cases::<f32>();
}

#[test]
fn gram_f64() {
    gram_cases::<f64>();
}

/// Checks a gram (`lower`: only `i ≥ j` compared) against the f64 reference
/// with the backward-error bound.
fn assert_gram_close<F: Float>(
    g: &Array2<F>,
    x: ArrayView2<'_, F>,
    w: Option<&Array1<F>>,
    what: &str,
) {
    let (n, d) = x.dim();
    let x64 = to64(x);
    let w64 = w.map_or(Array1::ones(n), |w| w.mapv(|v| v.to_f64_exact()));
    let wx = &x64 * &w64.insert_axis(Axis(1));
    let want = naive(&x64.t().to_owned(), &wx);
    let bound = naive(&x64.t().mapv(f64::abs), &wx.mapv(f64::abs));
    assert_eq!(g.dim(), (d, d), "{what}");
    for i in 0..d {
        for j in 0..=i {
            let got = g[[i, j]].to_f64_exact();
            let tol = C * (n as f64 + 1.0) * eps::<F>() * bound[[i, j]] + f64::MIN_POSITIVE;
            assert!(
                (got - want[[i, j]]).abs() <= tol,
                "{what} n={n} d={d} ({i},{j}): {got} vs {}",
                want[[i, j]]
            );
        }
    }
}

/// The single-threaded leaf kernels (`local`): the AVX-512 path (where the
/// CPU has it) and faer's, on shapes around the kernel's strip (8 / 16
/// lanes), tile (8 rows), panel (3 strips) and chunk (128 rows) edges, in C,
/// Fortran, strided and reversed layouts, with and without weights.
fn gram_local_cases<F: Float + local::SimdGram + faer::traits::RealField>() {
    let dims = [
        1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 33, 47, 48, 49, 100,
    ];
    let rows = [1, 3, 127, 128, 129, 300];
    for (k, &d) in dims.iter().enumerate() {
        for &n in &rows {
            let x = rand_mat::<F>(n, d, 100 + k as u64);
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let w = Array1::from_shape_fn(n, |i| {
                if i % 5 == 0 {
                    F::zero()
                } else {
                    F::from_f64_lossy(rng.random_range(0.0..3.0))
                }
            });
            let xf = {
                let mut f = Array2::<F>::zeros((n, d).f());
                f.assign(&x);
                f
            };
            let wide = rand_mat::<F>(n, 2 * d + 1, 5);
            let strided_view = wide.slice(s![.., 1..;2]);
            let reversed = x.slice(s![..;-1, ..]);
            for (name, view) in [
                ("C", x.view()),
                ("F", xf.view()),
                ("strided", strided_view),
                ("reversed rows", reversed),
            ] {
                for wt in [None, Some(&w)] {
                    let wv = wt.map(|w| {
                        if name == "reversed rows" {
                            w.slice(s![..;-1])
                        } else {
                            w.view()
                        }
                    });
                    let wo = wv.map(|v| v.to_owned());
                    let what = format!("{} {name} w={}", F::NAME, wt.is_some());
                    let g = local::gram_lower(view, wv);
                    assert_gram_close(&g, view, wo.as_ref(), &what);
                    for j in 1..d {
                        for i in 0..j {
                            assert!(g[[i, j]] == F::zero(), "{what}: upper triangle not zero");
                        }
                    }
                    let gf = local::gram_lower_faer(view, wv);
                    assert_gram_close(&gf, view, wo.as_ref(), &format!("{what} faer"));
                    match local::gram_lower_simd(view, wv) {
                        Some(gs) => {
                            assert!(F::simd_available() && d >= 2 * F::LANES, "{what} d={d}");
                            assert_gram_close(&gs, view, wo.as_ref(), &format!("{what} simd"));
                        }
                        None => assert!(
                            !F::simd_available() || d < 2 * F::LANES,
                            "{what}: SIMD path declined"
                        ),
                    }
                }
            }
        }
    }
    // Negative weights: the SIMD path declines (it scales by √w), the
    // public result is still exact to the bound.
    let x = rand_mat::<F>(50, 70, 9);
    let w = Array1::from_shape_fn(50, |i| F::from_f64_lossy(i as f64 - 20.0));
    assert!(local::gram_lower_simd(x.view(), Some(w.view())).is_none());
    let g = local::gram_lower(x.view(), Some(w.view()));
    assert_gram_close(&g, x.view(), Some(&w), "negative weights");
    // The crate-level wrapper mirrors: exactly symmetric.
    let g = gram_local(x.view(), None);
    assert_eq!(g, g.t());
    assert_gram_close(&g, x.view(), None, "gram_local");
}

#[test]
fn gram_local_f32() {
    gram_local_cases::<f32>();
}

#[test]
fn gram_local_f64() {
    gram_local_cases::<f64>();
}

#[test]
#[should_panic(expected = "gram: 2 weights for 3 rows")]
fn gram_weight_length_panics() {
    let x = Array2::<f64>::zeros((3, 2));
    let w = Array1::<f64>::ones(2);
    let _ = gram(x.view(), Some(w.view()));
}

// ---------------------------------------------------------------- cholesky

/// Random SPD matrix `MᵀM + n·I` (well conditioned).
fn spd<F: Float>(n: usize, seed: u64) -> Array2<F> {
    let m = rand_mat::<f64>(n, n, seed);
    let a = naive(&m.t().to_owned(), &m) + Array2::<f64>::eye(n) * n as f64;
    a.mapv(F::from_f64_lossy)
}

fn cholesky_cases<F: Float>() {
    for &(n, k) in &[(1, 1), (2, 3), (17, 1), (150, 4)] {
        let a = spd::<F>(n, 41 + n as u64);
        let b = rand_mat::<F>(n, k, 42);
        let x = cholesky_solve(a.view(), b.view()).unwrap();
        assert_eq!(x.dim(), (n, k));
        // backward error: ‖A·X − B‖ ≤ c·n·ε·‖A‖·‖X‖
        let (a64, x64, b64) = (to64(a.view()), to64(x.view()), to64(b.view()));
        let r = naive(&a64, &x64) - &b64;
        let bound = C * n as f64 * eps::<F>() * fro(&a64) * fro(&x64);
        assert!(fro(&r) <= bound, "n={n}: residual {} > {bound}", fro(&r));
        // L·Lᵀ reconstructs A, L lower triangular
        let chol = Cholesky::new(a.view()).unwrap();
        let l = to64(chol.l());
        for i in 0..n {
            for j in i + 1..n {
                assert_eq!(l[[i, j]], 0.0);
            }
        }
        let rec = naive(&l, &l.t().to_owned());
        assert!(max_abs_diff(&rec, &a64) <= C * n as f64 * eps::<F>() * fro(&a64));
        // log det against the product of pivots
        let ld: f64 = (0..n).map(|i| l[[i, i]].ln()).sum::<f64>() * 2.0;
        assert!((chol.log_det().to_f64_exact() - ld).abs() <= 1e-4 * ld.abs().max(1.0));
        // vector rhs equals the first column
        let xv = chol.solve_vec(b.column(0)).unwrap();
        let xv = to64(xv.insert_axis(Axis(1)).view());
        let x0 = to64(x.slice(s![.., ..1]));
        assert!(max_abs_diff(&xv, &x0) <= C * n as f64 * eps::<F>() * fro(&x0) * 10.0);
    }
    // only the lower triangle is read: garbage above the diagonal is ignored
    let a = spd::<F>(6, 43);
    let mut garbage = a.clone();
    for i in 0..6 {
        for j in i + 1..6 {
            garbage[[i, j]] = F::from_f64_lossy(1e6);
        }
    }
    let b = rand_mat::<F>(6, 2, 44);
    assert_eq!(
        cholesky_solve(a.view(), b.view()).unwrap(),
        cholesky_solve(garbage.view(), b.view()).unwrap()
    );
    // non-contiguous A and B
    let af = a.t().to_owned(); // symmetric: same matrix, other layout when viewed transposed
    let x1 = cholesky_solve(af.t(), b.view()).unwrap();
    let x2 = cholesky_solve(a.view(), b.view()).unwrap();
    assert!(max_abs_diff(&to64(x1.view()), &to64(x2.view())) <= 1e-3);
    // empty system
    let x = cholesky_solve(
        Array2::<F>::zeros((0, 0)).view(),
        Array2::zeros((0, 3)).view(),
    )
    .unwrap();
    assert_eq!(x.dim(), (0, 3));
}

#[test]
fn cholesky_f32() {
    cholesky_cases::<f32>();
}

#[test]
fn cholesky_f64() {
    cholesky_cases::<f64>();
}

fn cholesky_errors<F: Float>() {
    let one = F::one();
    let b = array![[one], [one]];
    // indefinite: the second pivot is negative
    let a = array![[one, F::zero()], [F::zero(), -one]];
    let err = cholesky_solve(a.view(), b.view()).unwrap_err();
    assert!(
        matches!(&err, Error::NumericalFailure { operation: "cholesky", reason } if reason == "not positive definite (pivot 1)"),
        "{err:?}"
    );
    // singular PSD (rank 1), and the zero matrix
    let a = array![[one, one], [one, one]];
    assert!(matches!(
        Cholesky::new(a.view()),
        Err(Error::NumericalFailure {
            operation: "cholesky",
            ..
        })
    ));
    let a = Array2::<F>::zeros((3, 3));
    assert!(matches!(
        Cholesky::new(a.view()),
        Err(Error::NumericalFailure { operation: "cholesky", reason }) if reason.ends_with("(pivot 0)")
    ));
    // 1×1 negative
    let a = array![[-one]];
    assert!(matches!(
        Cholesky::new(a.view()),
        Err(Error::NumericalFailure {
            operation: "cholesky",
            ..
        })
    ));
    // shapes
    let a = Array2::<F>::zeros((2, 3));
    assert!(matches!(
        cholesky_solve(a.view(), b.view()),
        Err(Error::ShapeMismatch { what: "a", .. })
    ));
    let a = Array2::<F>::eye(3);
    assert!(matches!(
        cholesky_solve(a.view(), b.view()),
        Err(Error::ShapeMismatch { what: "b", .. })
    ));
    let chol = Cholesky::new(a.view()).unwrap();
    assert!(matches!(
        chol.solve_vec(Array1::<F>::ones(2).view()),
        Err(Error::ShapeMismatch { what: "b", .. })
    ));
    // non-finite
    let mut a = Array2::<F>::eye(2);
    a[[1, 0]] = F::nan();
    assert!(matches!(
        cholesky_solve(a.view(), b.view()),
        Err(Error::NonFinite { what: "a", index }) if index == vec![1, 0]
    ));
    let mut bb = b.clone();
    bb[[0, 0]] = F::infinity();
    assert!(matches!(
        cholesky_solve(Array2::<F>::eye(2).view(), bb.view()),
        Err(Error::NonFinite { what: "b", .. })
    ));
}

#[test]
fn cholesky_errors_f32() {
    cholesky_errors::<f32>();
}

#[test]
fn cholesky_errors_f64() {
    cholesky_errors::<f64>();
}

// ---------------------------------------------------------------- svd

fn assert_svd_ok<F: Float>(a: ArrayView2<'_, F>) {
    let (m, n) = a.dim();
    let k = m.min(n);
    let (u, sv, vt) = svd_thin(a).unwrap();
    assert_eq!((u.dim(), sv.len(), vt.dim()), ((m, k), k, (k, n)));
    let a64 = to64(a);
    let (u, vt) = (to64(u.view()), to64(vt.view()));
    let s64 = sv.mapv(|v| v.to_f64_exact());
    for w in s64.windows(2) {
        assert!(w[0] >= w[1], "singular values not descending: {s64}");
    }
    assert!(s64.iter().all(|&v| v >= 0.0));
    let scale = C * (m.max(n) as f64 + 1.0) * eps::<F>();
    let rec = naive(&(&u * &s64), &vt);
    assert!(max_abs_diff(&rec, &a64) <= scale * fro(&a64).max(f64::MIN_POSITIVE));
    assert!(orthonormality_error(&u) <= scale, "UᵀU ≠ I");
    assert!(orthonormality_error(&vt.t().to_owned()) <= scale, "VᵀV ≠ I");
}

fn svd_cases<F: Float>() {
    for &(m, n) in &[(1, 1), (5, 3), (3, 5), (40, 40), (200, 12), (12, 200)] {
        assert_svd_ok(rand_mat::<F>(m, n, 51 + (m * n) as u64).view());
    }
    // zero matrix, rank-deficient, transposed and stepped views
    assert_svd_ok(Array2::<F>::zeros((4, 3)).view());
    let g = rand_mat::<F>(30, 3, 52);
    let h = rand_mat::<F>(3, 20, 53);
    let low_rank = matmul(g.view(), h.view());
    assert_svd_ok(low_rank.view());
    let (_, sv, _) = svd_thin(low_rank.view()).unwrap();
    assert!(sv[3].to_f64_exact() <= C * 30.0 * eps::<F>() * sv[0].to_f64_exact());
    assert_svd_ok(low_rank.t());
    assert_svd_ok(low_rank.slice(s![..;-2, 1..;3]));
    // empty
    let (u, sv, vt) = svd_thin(Array2::<F>::zeros((0, 4)).view()).unwrap();
    assert_eq!((u.dim(), sv.len(), vt.dim()), ((0, 0), 0, (0, 4)));
    // non-finite
    let mut a = Array2::<F>::ones((2, 2));
    a[[0, 1]] = F::nan();
    assert!(matches!(svd_thin(a.view()), Err(Error::NonFinite { .. })));
}

#[test]
fn svd_f32() {
    svd_cases::<f32>();
}

#[test]
fn svd_f64() {
    svd_cases::<f64>();
}

// ---------------------------------------------------------------- lstsq

/// Checks the normal equations `Aᵀ(A·X − B) ≈ 0` (true for every
/// least-squares solution) and that `X` lies in the row space of `A` (true
/// only for the minimum-norm one): `X = P·X` with `P` the projector onto the
/// row space spanned by `basis` (rows).
fn assert_min_norm_ls<F: Float>(
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    x: ArrayView2<'_, F>,
    row_basis: &Array2<f64>,
) {
    let (a64, b64, x64) = (to64(a), to64(b), to64(x));
    let r = naive(&a64, &x64) - &b64;
    let normal = naive(&a64.t().to_owned(), &r);
    let (m, n) = a.dim();
    let na = fro(&a64);
    let tol = C * (m.max(n) as f64 + 1.0) * eps::<F>() * na * (na * fro(&x64) + fro(&b64));
    assert!(
        fro(&normal) <= tol,
        "normal equations violated: {} > {tol}",
        fro(&normal)
    );
    // orthonormal basis of the row space via Gram–Schmidt in f64 (independent of the SVD)
    let q = orthonormal_rows(row_basis);
    let px = naive(&q.t().to_owned(), &naive(&q, &x64));
    let off = fro(&(&x64 - &px));
    assert!(
        off <= C * (m.max(n) as f64 + 1.0) * eps::<F>() * fro(&x64).max(1.0) * 1e2,
        "solution has a null-space component {off}"
    );
}

/// Modified Gram–Schmidt twice on the rows of `v` (dropping dependent rows).
fn orthonormal_rows(v: &Array2<f64>) -> Array2<f64> {
    let mut rows: Vec<Array1<f64>> = Vec::new();
    for r in v.rows() {
        let mut r = r.to_owned();
        let norm0 = r.dot(&r).sqrt();
        for _ in 0..2 {
            for q in &rows {
                let p = q.dot(&r);
                r.scaled_add(-p, q);
            }
        }
        let norm = r.dot(&r).sqrt();
        if norm > 1e-8 * norm0.max(f64::MIN_POSITIVE) && norm > 0.0 {
            rows.push(r / norm);
        }
    }
    let n = v.ncols();
    let mut q = Array2::zeros((rows.len(), n));
    for (i, r) in rows.iter().enumerate() {
        q.row_mut(i).assign(r);
    }
    q
}

fn lstsq_cases<F: Float>() {
    // full column rank, tall: equals the normal-equation solution
    let a = rand_mat::<F>(60, 8, 61);
    let b = rand_mat::<F>(60, 3, 62);
    let ls = lstsq(a.view(), b.view(), None).unwrap();
    assert_eq!(ls.rank, 8);
    assert_eq!(ls.singular_values.len(), 8);
    assert_min_norm_ls(a.view(), b.view(), ls.solution.view(), &to64(a.view()));
    let (a64, b64) = (to64(a.view()), to64(b.view()));
    let ne = cholesky_solve(
        gram(a64.view(), None).view(),
        naive(&a64.t().to_owned(), &b64).view(),
    )
    .unwrap();
    let s = ls.singular_values.mapv(|v| v.to_f64_exact());
    let kappa = s[0] / s[s.len() - 1];
    let err = max_abs_diff(&to64(ls.solution.view()), &ne);
    // forward error of a backward-stable LS solver: O(κ²·ε) at worst
    assert!(
        err <= C * 60.0 * eps::<F>() * kappa * kappa * fro(&ne),
        "{err}"
    );

    // wide, full row rank: consistent, exact fit, minimum norm
    let a = rand_mat::<F>(5, 12, 63);
    let b = rand_mat::<F>(5, 2, 64);
    let ls = lstsq(a.view(), b.view(), None).unwrap();
    assert_eq!(ls.rank, 5);
    assert_eq!(ls.solution.dim(), (12, 2));
    assert_min_norm_ls(a.view(), b.view(), ls.solution.view(), &to64(a.view()));
    let r = naive(&to64(a.view()), &to64(ls.solution.view())) - to64(b.view());
    assert!(fro(&r) <= C * 12.0 * eps::<F>() * 10.0);

    // rank-deficient A = G·H (rank 3) in both orientations: row space = rows of H
    for &(m, n) in &[(40, 10), (6, 15)] {
        let g = rand_mat::<F>(m, 3, 65);
        let h = rand_mat::<F>(3, n, 66);
        let a = matmul(g.view(), h.view());
        let b = rand_mat::<F>(m, 2, 67);
        let ls = lstsq(a.view(), b.view(), None).unwrap();
        assert_eq!(ls.rank, 3, "{m}×{n}");
        assert_min_norm_ls(a.view(), b.view(), ls.solution.view(), &to64(h.view()));
        // transposed view of the same problem's matrix
        let at = a.t().to_owned();
        let ls_t = lstsq(at.t(), b.view(), None).unwrap();
        assert_eq!(ls_t.rank, 3);
        assert!(
            max_abs_diff(&to64(ls_t.solution.view()), &to64(ls.solution.view()))
                <= 1e3 * eps::<F>() * fro(&to64(ls.solution.view())).max(1.0)
        );
    }

    // duplicated column: the null vector is e₀ − e₁, so x₀ = x₁
    let a = rand_mat::<F>(10, 3, 68);
    let mut dup = Array2::<F>::zeros((10, 4));
    dup.slice_mut(s![.., 1..]).assign(&a);
    dup.column_mut(0).assign(&a.column(0));
    let b = rand_mat::<F>(10, 1, 69);
    let ls = lstsq(dup.view(), b.view(), None).unwrap();
    assert_eq!(ls.rank, 3);
    let x = ls.solution.mapv(|v| v.to_f64_exact());
    assert!((x[[0, 0]] - x[[1, 0]]).abs() <= 1e2 * eps::<F>() * fro(&x));

    // degenerate shapes
    let ls = lstsq(
        Array2::<F>::zeros((4, 3)).view(),
        rand_mat::<F>(4, 2, 70).view(),
        None,
    )
    .unwrap();
    assert_eq!(ls.rank, 0);
    assert_eq!(ls.solution, Array2::<F>::zeros((3, 2)));
    assert_eq!(ls.singular_values, Array1::<F>::zeros(3));
    let ls = lstsq(
        Array2::<F>::zeros((0, 3)).view(),
        Array2::<F>::zeros((0, 2)).view(),
        None,
    )
    .unwrap();
    assert_eq!(
        (ls.rank, ls.solution.dim(), ls.singular_values.len()),
        (0, (3, 2), 0)
    );
    let ls = lstsq(
        Array2::<F>::zeros((3, 0)).view(),
        Array2::<F>::ones((3, 2)).view(),
        None,
    )
    .unwrap();
    assert_eq!((ls.rank, ls.solution.dim()), (0, (0, 2)));
    let two = F::from_f64_lossy(2.0);
    let ls = lstsq(
        array![[two]].view(),
        array![[F::from_f64_lossy(3.0)]].view(),
        None,
    )
    .unwrap();
    assert_eq!(ls.rank, 1);
    assert_eq!(ls.solution[[0, 0]], F::from_f64_lossy(1.5));
    let ls = lstsq(array![[F::zero()]].view(), array![[two]].view(), None).unwrap();
    assert_eq!((ls.rank, ls.solution[[0, 0]]), (0, F::zero()));

    // rcond: diag(1, δ) with δ just above / below the cutoff
    let delta = F::from_f64_lossy(eps::<F>() * 100.0);
    let a = array![[F::one(), F::zero()], [F::zero(), delta]];
    let b = array![[F::one()], [F::one()]];
    assert_eq!(lstsq(a.view(), b.view(), None).unwrap().rank, 2);
    let ls = lstsq(
        a.view(),
        b.view(),
        Some(F::from_f64_lossy(eps::<F>() * 1000.0)),
    )
    .unwrap();
    assert_eq!(ls.rank, 1);
    assert_eq!(ls.solution[[1, 0]], F::zero());
    assert_eq!(lstsq(a.view(), b.view(), Some(-F::one())).unwrap().rank, 2);

    // errors
    assert!(matches!(
        lstsq(a.view(), Array2::<F>::zeros((3, 1)).view(), None),
        Err(Error::ShapeMismatch { what: "b", .. })
    ));
    assert!(matches!(
        lstsq(a.view(), b.view(), Some(F::nan())),
        Err(Error::InvalidParameter { name: "rcond", .. })
    ));
    let mut bad = a.clone();
    bad[[1, 1]] = F::neg_infinity();
    assert!(matches!(
        lstsq(bad.view(), b.view(), None),
        Err(Error::NonFinite { what: "a", index }) if index == vec![1, 1]
    ));
}

#[test]
fn lstsq_f32() {
    lstsq_cases::<f32>();
}

#[test]
fn lstsq_f64() {
    lstsq_cases::<f64>();
}

#[test]
fn lstsq_matches_numpy() {
    // import numpy as np
    // a = np.array([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.], [1., 0., 1.]])
    // b = np.array([1., 2., 3., 4.])
    // x, res, rank, s = np.linalg.lstsq(a, b, rcond=None)
    // np.set_printoptions(precision=17); print(repr(x), rank, repr(s))
    // -> array([ 1.833333333333332 , -3.6666666666666674,  2.1666666666666687]) 3
    //    array([16.887041866592305 ,  1.0921629801692545,  0.7968670031483719])
    let a: Array2<f64> = array![[1., 2., 3.], [4., 5., 6.], [7., 8., 9.], [1., 0., 1.]];
    let b: Array2<f64> = array![[1.], [2.], [3.], [4.]];
    let want_x = [1.833333333333332, -3.6666666666666674, 2.1666666666666687];
    let want_s = [16.887041866592305, 1.0921629801692545, 0.7968670031483719];
    let ls = lstsq(a.view(), b.view(), None).unwrap();
    assert_eq!(ls.rank, 3);
    for (g, w) in ls.solution.iter().zip(want_x) {
        assert!((g - w).abs() < 1e-12, "{g} vs {w}");
    }
    for (g, w) in ls.singular_values.iter().zip(want_s) {
        assert!((g - w).abs() < 1e-12, "{g} vs {w}");
    }
}

// ---------------------------------------------------------------- eigh

fn eigh_cases<F: Float>() {
    for &n in &[1usize, 2, 9, 60] {
        let m = rand_mat::<F>(n, n, 81 + n as u64);
        let a = &m + &m.t();
        let (vals, vecs) = eigh(a.view()).unwrap();
        let (a64, v64) = (to64(a.view()), to64(vecs.view()));
        let l64 = vals.mapv(|v| v.to_f64_exact());
        for w in l64.windows(2) {
            assert!(w[0] <= w[1]);
        }
        let scale = C * (n as f64 + 1.0) * eps::<F>();
        let av = naive(&a64, &v64);
        let vl = &v64 * &l64;
        assert!(max_abs_diff(&av, &vl) <= scale * fro(&a64));
        assert!(orthonormality_error(&v64) <= scale);
    }
    assert!(matches!(
        eigh(Array2::<F>::zeros((2, 3)).view()),
        Err(Error::ShapeMismatch { .. })
    ));
    let (v, q) = eigh(Array2::<F>::zeros((0, 0)).view()).unwrap();
    assert_eq!((v.len(), q.dim()), (0, (0, 0)));
}

#[test]
fn eigh_f32() {
    eigh_cases::<f32>();
}

#[test]
fn eigh_f64() {
    eigh_cases::<f64>();
}

// ---------------------------------------------------------------- determinism

/// Models promise "same seed, same result, on any thread count": the kernels
/// they build on must be bitwise reproducible across rayon pool sizes.
#[test]
fn results_do_not_depend_on_thread_count() {
    fn run() -> Vec<Array2<f64>> {
        let a = rand_mat::<f64>(300, 200, 91);
        let b = rand_mat::<f64>(200, 250, 92);
        let x = rand_mat::<f64>(3000, 60, 93);
        let w = rand_mat::<f64>(3000, 1, 94).mapv(f64::abs);
        let y = rand_mat::<f64>(3000, 2, 95);
        // large enough for the parallel row-block GEMV
        let big = rand_mat::<f64>(5000, 600, 96);
        let v = rand_mat::<f64>(600, 1, 97);
        // several leaves of the parallel gram (3 leaves, uneven split)
        let tall = rand_mat::<f64>(20_000, 16, 99);
        let g = gram(x.view(), Some(w.column(0)));
        let spd = &g + &Array2::<f64>::eye(60);
        let big_spd = spd_matrix(300);
        vec![
            matmul(a.view(), b.view()),
            matvec(big.view(), v.column(0)).insert_axis(Axis(1)),
            gram(x.view(), None),
            gram(tall.view(), None),
            g,
            cholesky_solve(spd.view(), y.slice(s![..60, ..])).unwrap(),
            lstsq(x.view(), y.view(), None).unwrap().solution,
            // large enough for faer's parallel Cholesky / triangular solves
            cholesky_solve(big_spd.view(), big.slice(s![..300, ..40])).unwrap(),
            svd_thin(a.view()).unwrap().2,
            eigh(big_spd.view()).unwrap().1,
        ]
    }
    fn spd_matrix(n: usize) -> Array2<f64> {
        spd::<f64>(n, 98)
    }
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let one = pool(1).install(run);
    let four = pool(4).install(run);
    for (i, (p, q)) in one.iter().zip(&four).enumerate() {
        assert_eq!(p, q, "result {i} differs between 1 and 4 threads");
    }
}

// ---------------------------------------------------------------- proptest

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn matrix() -> impl Strategy<Value = (Array2<f64>, Array2<f64>)> {
        (0usize..7, 0usize..7, 1usize..3, 0usize..3).prop_flat_map(|(m, n, k, dup)| {
            (
                proptest::collection::vec(-10i32..10, m * n),
                proptest::collection::vec(-10.0f64..10.0, m * k),
            )
                .prop_map(move |(av, bv)| {
                    let mut a = Array2::from_shape_vec((m, n), av)
                        .unwrap()
                        .mapv(|v| v as f64 / 3.0);
                    // make some columns copies of others: rank deficiency
                    for j in 1..n.min(dup + 1) {
                        let c = a.column(0).to_owned();
                        a.column_mut(j).assign(&c);
                    }
                    (a, Array2::from_shape_vec((m, k), bv).unwrap())
                })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn lstsq_is_min_norm_least_squares((a, b) in matrix()) {
            let ls = lstsq(a.view(), b.view(), None).unwrap();
            prop_assert!(ls.rank <= a.nrows().min(a.ncols()));
            prop_assert_eq!(ls.solution.dim(), (a.ncols(), b.ncols()));
            assert_min_norm_ls(a.view(), b.view(), ls.solution.view(), &a);
            // gram of the same matrix: symmetric and equal to AᵀA
            let g = gram(a.view(), None);
            prop_assert_eq!(&g, &g.t());
            let want = naive(&a.t().to_owned(), &a);
            prop_assert!(max_abs_diff(&g, &want) <= 1e-12 * fro(&want).max(1.0));
        }
    }
}
