//! Work shared between fits of one [`Svc`] on the same rows — what a
//! hyperparameter search does on each cross-validation fold: the kernel
//! matrix of the rows is computed once per kernel and read by every
//! candidate that differs only in `C`, and each candidate's solver starts
//! from the previous candidate's solution (alpha seeding).
//!
//! **Shared kernel.** [`RowsGram`] holds `K(xᵢ, xⱼ)` of the `n` rows for one
//! resolved kernel: the dot products by one GEMM on the rows (centred first
//! for RBF, whose distances are translation invariant), then the kernel
//! function; RBF values go through the same `f32` exponential as the
//! solver's kernel rows. [`Svc::fit_on_gram`] solves on it as on a
//! precomputed kernel and returns the model of the original kernel (support
//! vectors from the rows, γ resolved on them), which predicts like a fit on
//! the rows.
//!
//! **Alpha seeding** (DeCoste & Wagstaff, "Alpha seeding for support vector
//! machines", KDD 2000). The C-SVC dual has the box `0 ≤ αₜ ≤ C·wₜ` and the
//! equality `yᵀα = 0`; a solution `α⁰` for `C⁰` scaled by `C/C⁰` satisfies
//! both for `C` (`yᵀ(sα⁰) = s·yᵀα⁰`, `sα⁰ₜ ≤ s·C⁰wₜ`), so it is a feasible
//! start, and along a path of growing `C` one that keeps the bounded
//! support vectors at the bound and the free ones near their values. The
//! solver then runs to the same stopping rule (maximal KKT violation ≤ `tol`)
//! as from `α = 0`: the result is a solution of the same problem to the same
//! tolerance.

use std::hash::Hash;

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};

use super::kernel::{Kernel, KernelFn, SupportVectors};
use super::svc::{FittedSvc, Svc};
use crate::cpu::exp_f32;
use crate::error::{Error, Result};
use crate::sparse::Checked;

/// The kernel matrix of a set of rows under one kernel.
#[derive(Debug, Clone)]
pub(crate) struct RowsGram {
    kernel: Kernel,
    kf: KernelFn,
    gram: Array2<f64>,
}

impl RowsGram {
    /// `K(xᵢ, xⱼ)` for every pair of rows of `x` under `kernel` (γ resolved
    /// on `x`, as a fit on `x` resolves it).
    ///
    /// # Errors
    /// The kernel's parameter errors; [`Error::InvalidParameter`] for a
    /// precomputed kernel (there is nothing to compute).
    pub(crate) fn new(kernel: &Kernel, x: ArrayView2<'_, f64>) -> Result<Self> {
        let kf = kernel.resolve(x)?;
        if kf == KernelFn::Precomputed {
            return Err(Error::invalid(
                "kernel",
                "a precomputed kernel is already a kernel matrix",
            ));
        }
        let rbf = matches!(kf, KernelFn::Rbf { .. });
        let centred;
        let rows = if rbf {
            let mean = x.mean_axis(Axis(0)).unwrap_or_default();
            centred = &x - &mean;
            centred.view()
        } else {
            x
        };
        let mut gram = crate::linalg::matmul(rows, rows.t());
        let sq: Vec<f64> = gram.diag().to_vec();
        for (i, mut row) in gram.rows_mut().into_iter().enumerate() {
            match kf {
                KernelFn::Rbf { gamma } => {
                    for (v, &sqj) in row.iter_mut().zip(&sq) {
                        let d = (sq[i] + sqj - 2.0 * *v).max(0.0);
                        *v = exp_f32((-gamma * d) as f32) as f64;
                    }
                }
                kf => row.iter_mut().for_each(|v| *v = kf.apply(*v, 0.0, 0.0)),
            }
        }
        Ok(RowsGram {
            kernel: *kernel,
            kf,
            gram,
        })
    }

    /// Whether this is the matrix of `kernel`.
    pub(crate) fn is_of(&self, kernel: &Kernel) -> bool {
        self.kernel == *kernel
    }
}

/// The dual solution of a fit, to seed the next fit on the same rows.
#[derive(Debug, Clone)]
pub(crate) struct SvcSeed {
    c: f64,
    alphas: Vec<Vec<f64>>,
}

impl<L: Clone + Eq + Hash + Ord> Svc<L> {
    /// Fits on rows `x` and labels `y` with the kernel matrix `gram` of the
    /// rows (made by [`RowsGram::new`] with this model's kernel), the solver
    /// of each class pair started from `seed` scaled to this `C` (alpha
    /// seeding; `α = 0` without a seed). Returns the model — as a fit on `x`
    /// would: support vectors from `x`, the same kernel — and the seed for
    /// the next fit.
    ///
    /// # Errors
    /// As [`Svc::fit`]; [`Error::InvalidParameter`] (`"kernel"`) when `gram`
    /// is not of this model's kernel or not of `x`'s rows.
    pub(crate) fn fit_on_gram(
        &self,
        x: ArrayView2<'_, f64>,
        gram: &RowsGram,
        y: ArrayView1<'_, L>,
        seed: Option<&SvcSeed>,
    ) -> Result<(FittedSvc<f64, L>, SvcSeed)> {
        let h = self.hyper();
        if !gram.is_of(&h.kernel) || gram.gram.nrows() != x.nrows() {
            return Err(Error::invalid(
                "kernel",
                "the shared kernel matrix is not of this model's kernel and rows",
            ));
        }
        crate::validation::check_records(x)?;
        super::kernel::check_numeric_range(&gram.kf, Checked::Dense(x))?;
        let start: Option<Vec<Vec<f64>>> = seed.filter(|_| h.nu.is_none()).map(|s| {
            let scale = h.c / s.c;
            s.alphas
                .iter()
                .map(|a| a.iter().map(|v| v * scale).collect())
                .collect()
        });
        let mut pre = self.clone();
        pre.hyper_mut().kernel = Kernel::Precomputed;
        let (mut fitted, alphas) =
            pre.fit_seeded(gram.gram.view().into(), y, None, start.as_deref())?;
        fitted.hyper.kernel = h.kernel;
        fitted.kernel = gram.kf;
        fitted.n_features = x.ncols();
        fitted.support_vectors = SupportVectors::Dense(x.select(Axis(0), &fitted.support));
        Ok((fitted, SvcSeed { c: h.c, alphas }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::svm::Gamma;
    use ndarray::Array1;

    fn data() -> (Array2<f64>, Array1<usize>) {
        let d = crate::datasets::iris();
        let x = crate::preprocessing::StandardScaler::new()
            .fit(d.records.view())
            .and_then(|s| s.transform(d.records.view()))
            .expect("scale");
        (x, d.targets)
    }

    #[test]
    fn gram_entries_are_the_kernel() {
        let (x, _) = data();
        for kernel in [
            Kernel::Rbf {
                gamma: Gamma::Value(0.3),
            },
            Kernel::Linear,
            Kernel::Poly {
                degree: 3,
                gamma: Gamma::Scale,
                coef0: 1.0,
            },
        ] {
            let g = RowsGram::new(&kernel, x.view()).expect("gram");
            let kf = kernel.resolve(x.view()).expect("kernel");
            for (i, j) in [(0, 0), (3, 97), (149, 12)] {
                let (a, b) = (x.row(i), x.row(j));
                let want = kf.apply(a.dot(&b), a.dot(&a), b.dot(&b));
                assert!(
                    (g.gram[[i, j]] - want).abs() <= 1e-6 * want.abs().max(1.0),
                    "{kernel:?} ({i}, {j}): {} vs {want}",
                    g.gram[[i, j]]
                );
            }
        }
        assert!(RowsGram::new(&Kernel::Precomputed, x.view()).is_err());
    }

    /// Along increasing C, seeded fits on the shared kernel equal cold fits
    /// on the rows: same predictions, the same dual objective within the
    /// solver's tolerance, and (without shrinking differences mattering)
    /// the same support.
    #[test]
    fn seeded_fits_on_the_gram_equal_cold_fits() {
        let (x, y) = data();
        let kernel = Kernel::Rbf {
            gamma: Gamma::Scale,
        };
        let gram = RowsGram::new(&kernel, x.view()).expect("gram");
        let mut seed = None;
        for c in [0.1, 1.0, 10.0, 100.0] {
            let svc = Svc::<usize>::new().c(c).kernel(kernel);
            let cold = svc.fit(x.view(), y.view()).expect("cold");
            let (warm, next) = svc
                .fit_on_gram(x.view(), &gram, y.view(), seed.as_ref())
                .expect("warm");
            assert_eq!(
                warm.predict(x.view()).unwrap(),
                cold.predict(x.view()).unwrap()
            );
            assert_eq!(warm.gamma(), cold.gamma());
            assert_eq!(warm.support_vectors().ncols(), 4);
            for (a, b) in warm.objective().iter().zip(cold.objective()) {
                // Both stop at a KKT violation ≤ tol = 1e-3.
                assert!(
                    (a - b).abs() <= 1e-3 * b.abs().max(1.0),
                    "C={c}: {a} vs {b}"
                );
            }
            let dw = warm.decision_function(x.view()).unwrap();
            let dc = cold.decision_function(x.view()).unwrap();
            let worst = dw
                .iter()
                .zip(&dc)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(worst < 1e-2, "C={c}: decision values differ by {worst}");
            seed = Some(next);
        }
    }

    #[test]
    fn gram_of_another_kernel_is_rejected() {
        let (x, y) = data();
        let gram = RowsGram::new(&Kernel::Linear, x.view()).expect("gram");
        let svc = Svc::<usize>::new();
        assert!(matches!(
            svc.fit_on_gram(x.view(), &gram, y.view(), None),
            Err(Error::InvalidParameter { .. })
        ));
    }
}
