//! Sufficient statistics of (weighted) least squares, for out-of-core and
//! distributed fitting.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use super::LinearRegression;
use super::normal::{Normal, check_moments_finite, normal_equations};
use super::ols::FittedLinearRegression;
use super::ridge::{FittedRidge, Ridge};
use crate::Float;
use crate::error::{Error, Result};
use crate::validation;

/// Mergeable sufficient statistics of a least-squares problem: the weighted
/// row count `Σw`, the weighted means `x̄`, `ȳ` and the centred co-moments
/// `Σ wᵢ(xᵢ − x̄)(xᵢ − x̄)ᵀ` and `Σ wᵢ(xᵢ − x̄)(yᵢ − ȳ)ᵀ`.
///
/// Ingest data chunk by chunk ([`SufficientStats::update`]), or build one
/// accumulator per chunk and combine them with [`SufficientStats::merge`]
/// (associative and commutative up to rounding, so chunks can be reduced in
/// any order — by rayon, or by a distributed engine that ships the
/// statistics). [`SufficientStats::fit_ols`] / [`SufficientStats::fit_ridge`]
/// (or [`LinearRegression::fit_stats`] / [`Ridge::fit_stats`] for other
/// settings) then give the same model as fitting all rows in memory.
///
/// # Numerics
/// Each chunk's co-moments are computed around the chunk's own mean (the
/// chunk is centred before its gram is formed), and two accumulators are
/// merged with the pairwise update of Chan, Golub and LeVeque:
/// `M = M_a + M_b + (w_a·w_b / (w_a + w_b))·δδᵀ`, `δ = x̄_b − x̄_a`. Nothing is
/// ever computed as `Σxxᵀ − n·x̄x̄ᵀ`, so features with a large mean and a
/// small spread keep their precision. Memory is `O(d² + d·k)` whatever the
/// number of rows.
///
/// # Example
/// ```
/// use oxilearn::linear::{LinearRegression, SufficientStats};
/// use oxilearn::ndarray::{array, s};
///
/// let x = array![[0.0f64, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0], [4.0, 0.5]];
/// let y = array![3.0, 3.0, 9.0, 8.0, 10.0];
/// // Two chunks, accumulated separately and merged.
/// let mut a = SufficientStats::new(2, 1);
/// a.update(x.slice(s![..2, ..]), y.slice(s![..2]))?;
/// let mut b = SufficientStats::new(2, 1);
/// b.update(x.slice(s![2.., ..]), y.slice(s![2..]))?;
/// a.merge(&b)?;
/// let streamed = a.fit_ols()?;
/// let in_memory = LinearRegression::new().fit(x.view(), y.view())?;
/// assert!((streamed.intercept() - in_memory.intercept()).abs() < 1e-12);
/// assert!((&streamed.coef() - &in_memory.coef()).iter().all(|d| d.abs() < 1e-12));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SufficientStats<F> {
    n_rows: u64,
    sum_w: F,
    mean_x: Array1<F>,
    mean_y: Array1<F>,
    cxx: Array2<F>,
    cxy: Array2<F>,
}

impl<F: Float> SufficientStats<F> {
    /// Empty statistics for `n_features` features and `n_targets` targets.
    pub fn new(n_features: usize, n_targets: usize) -> Self {
        Self {
            n_rows: 0,
            sum_w: F::zero(),
            mean_x: Array1::zeros(n_features),
            mean_y: Array1::zeros(n_targets),
            cxx: Array2::zeros((n_features, n_features)),
            cxy: Array2::zeros((n_features, n_targets)),
        }
    }

    /// Statistics of one chunk of one-target data (see
    /// [`SufficientStats::update`]).
    ///
    /// # Errors
    /// As [`SufficientStats::update`].
    pub fn from_chunk(x: ArrayView2<'_, F>, y: ArrayView1<'_, F>) -> Result<Self> {
        let mut s = Self::new(x.ncols(), 1);
        s.update(x, y)?;
        Ok(s)
    }

    /// Ingests a chunk of one-target data (rows of `x`, entries of `y`).
    /// A chunk with no rows is a no-op.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] (wrong feature count, `y.len() != x.nrows()`,
    /// or statistics with more than one target), [`Error::NonFinite`].
    pub fn update(&mut self, x: ArrayView2<'_, F>, y: ArrayView1<'_, F>) -> Result<()> {
        self.update_impl(x, y.insert_axis(Axis(1)), None)
    }

    /// [`SufficientStats::update`] with per-row weights (`≥ 0`; an all-zero
    /// chunk is a no-op).
    ///
    /// # Errors
    /// As [`SufficientStats::update`], plus [`Error::InvalidParameter`]
    /// (negative weight) and [`Error::ShapeMismatch`] (weight count).
    pub fn update_weighted(
        &mut self,
        x: ArrayView2<'_, F>,
        y: ArrayView1<'_, F>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<()> {
        self.update_impl(x, y.insert_axis(Axis(1)), Some(sample_weight))
    }

    /// Ingests a chunk of multi-target data (`y` is `rows × n_targets`).
    ///
    /// # Errors
    /// As [`SufficientStats::update`].
    pub fn update_multi(&mut self, x: ArrayView2<'_, F>, y: ArrayView2<'_, F>) -> Result<()> {
        self.update_impl(x, y, None)
    }

    /// [`SufficientStats::update_multi`] with per-row weights.
    ///
    /// # Errors
    /// As [`SufficientStats::update_weighted`].
    pub fn update_multi_weighted(
        &mut self,
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<()> {
        self.update_impl(x, y, Some(sample_weight))
    }

    fn update_impl(
        &mut self,
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
        w: Option<ArrayView1<'_, F>>,
    ) -> Result<()> {
        let (d, k) = (self.n_features(), self.n_targets());
        if x.ncols() != d {
            return Err(Error::ShapeMismatch {
                what: "x chunk (feature count of the statistics)",
                expected: vec![x.nrows(), d],
                got: vec![x.nrows(), x.ncols()],
            });
        }
        if y.ncols() != k {
            return Err(Error::ShapeMismatch {
                what: "y chunk (target count of the statistics)",
                expected: vec![x.nrows(), k],
                got: vec![y.nrows(), y.ncols()],
            });
        }
        validation::check_n_targets(x.nrows(), y.nrows())?;
        validation::check_finite2(y, "y")?;
        let n = x.nrows();
        let w = match w {
            Some(w) if w.len() == n && !w.is_empty() && w.iter().all(|v| *v == F::zero()) => {
                validation::check_finite2(x, "x")?;
                self.n_rows += n as u64;
                return Ok(());
            }
            Some(w) => Some(validation::sample_weights(Some(w), n)?),
            None => None,
        };
        if n == 0 {
            return Ok(());
        }
        let sum_w = match &w {
            Some(w) => w.sum(),
            None => F::from_usize(n).expect("row count fits a float"),
        };
        // `X`'s finiteness comes out of the same pass (see `normal_equations`);
        // the exact scan runs only when that pass saw a non-finite value.
        let Normal {
            a,
            b,
            x_offset,
            y_offset,
            x_finite,
            ..
        } = normal_equations(x, y, w.as_ref().map(|w| w.view()), true);
        if !x_finite {
            validation::check_finite2(x, "x")?;
        }
        check_moments_finite(a.view(), b.view(), x_offset.view(), y_offset.view())?;
        let chunk = Self {
            n_rows: n as u64,
            sum_w,
            mean_x: x_offset,
            mean_y: y_offset,
            cxx: a,
            cxy: b,
        };
        self.merge(&chunk)
    }

    /// Adds `other`'s rows to these statistics (Chan's pairwise update).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the feature or target counts differ.
    pub fn merge(&mut self, other: &Self) -> Result<()> {
        if other.n_features() != self.n_features() || other.n_targets() != self.n_targets() {
            return Err(Error::ShapeMismatch {
                what: "statistics to merge (n_features, n_targets)",
                expected: vec![self.n_features(), self.n_targets()],
                got: vec![other.n_features(), other.n_targets()],
            });
        }
        let n_rows = self.n_rows + other.n_rows;
        if other.sum_w == F::zero() {
            self.n_rows = n_rows;
            return Ok(());
        }
        if self.sum_w == F::zero() {
            *self = other.clone();
            self.n_rows = n_rows;
            return Ok(());
        }
        let (wa, wb) = (self.sum_w, other.sum_w);
        let w = wa + wb;
        let dx = &other.mean_x - &self.mean_x;
        let dy = &other.mean_y - &self.mean_y;
        let f = wa * wb / w;
        let dx_col = dx.view().insert_axis(Axis(1));
        self.cxx += &other.cxx;
        self.cxx += &(&dx_col * &dx.view().insert_axis(Axis(0)) * f);
        self.cxy += &other.cxy;
        self.cxy += &(&dx_col * &dy.view().insert_axis(Axis(0)) * f);
        let rb = wb / w;
        self.mean_x.scaled_add(rb, &dx);
        self.mean_y.scaled_add(rb, &dy);
        self.sum_w = w;
        self.n_rows = n_rows;
        Ok(())
    }

    /// `self` merged with `other` (for `reduce`-style folds).
    ///
    /// # Errors
    /// As [`SufficientStats::merge`].
    pub fn merged(mut self, other: &Self) -> Result<Self> {
        self.merge(other)?;
        Ok(self)
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.mean_x.len()
    }

    /// Number of targets.
    pub fn n_targets(&self) -> usize {
        self.mean_y.len()
    }

    /// Rows ingested (including rows of weight zero).
    pub fn n_samples(&self) -> u64 {
        self.n_rows
    }

    /// Total weight `Σw` (the row count when unweighted).
    pub fn sum_weights(&self) -> F {
        self.sum_w
    }

    /// Weighted feature means `x̄`.
    pub fn mean_x(&self) -> ArrayView1<'_, F> {
        self.mean_x.view()
    }

    /// Weighted target means `ȳ`.
    pub fn mean_y(&self) -> ArrayView1<'_, F> {
        self.mean_y.view()
    }

    /// Centred co-moment `Σ wᵢ(xᵢ − x̄)(xᵢ − x̄)ᵀ` (`d × d`).
    pub fn comoment_xx(&self) -> ArrayView2<'_, F> {
        self.cxx.view()
    }

    /// Centred cross co-moment `Σ wᵢ(xᵢ − x̄)(yᵢ − ȳ)ᵀ` (`d × k`).
    pub fn comoment_xy(&self) -> ArrayView2<'_, F> {
        self.cxy.view()
    }

    /// Ordinary least squares with an intercept from these statistics (see
    /// [`LinearRegression::fit_stats`] for other settings).
    ///
    /// # Errors
    /// [`Error::EmptyInput`] if no weighted rows were ingested;
    /// [`Error::ShapeMismatch`] if there is more than one target.
    pub fn fit_ols(&self) -> Result<FittedLinearRegression<F>> {
        LinearRegression::new().fit_stats(self)
    }

    /// Ridge with penalty `alpha` and an intercept from these statistics (see
    /// [`Ridge::fit_stats`] for other settings).
    ///
    /// # Errors
    /// As [`SufficientStats::fit_ols`], plus [`Error::InvalidParameter`] for a
    /// negative or non-finite `alpha`.
    pub fn fit_ridge(&self, alpha: f64) -> Result<FittedRidge<F>> {
        Ridge::new().alpha(alpha).fit_stats(self)
    }

    /// The normal equations, centred (`fit_intercept`) or not.
    pub(crate) fn normal(&self, fit_intercept: bool) -> Result<Normal<F>> {
        if self.sum_w == F::zero() {
            return Err(Error::EmptyInput {
                what: "sufficient statistics (no rows of positive weight ingested)",
            });
        }
        if fit_intercept {
            return Ok(Normal {
                a: self.cxx.clone(),
                b: self.cxy.clone(),
                x_offset: self.mean_x.clone(),
                y_offset: self.mean_y.clone(),
                sum_w: self.sum_w,
                x_finite: true,
            });
        }
        // Σwxxᵀ = M + Σw·x̄x̄ᵀ: adding the mean back is safe (no cancellation).
        let mx = self.mean_x.view().insert_axis(Axis(1));
        let a = &self.cxx + &(&mx * &self.mean_x.view().insert_axis(Axis(0)) * self.sum_w);
        let b = &self.cxy + &(&mx * &self.mean_y.view().insert_axis(Axis(0)) * self.sum_w);
        Ok(Normal {
            a,
            b,
            x_offset: Array1::zeros(self.n_features()),
            y_offset: Array1::zeros(self.n_targets()),
            sum_w: self.sum_w,
            x_finite: true,
        })
    }
}
