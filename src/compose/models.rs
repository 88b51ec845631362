//! The dynamic-step impls of the models that predate `compose`:
//! [`LinearRegression`], [`Ridge`], [`Svr`] (regressors of `f64`/`f32`),
//! [`LogisticRegression`], [`Svc`] (classifiers of any [`Label`]), the
//! scalers [`StandardScaler`], [`MinMaxScaler`], the ν-SVMs [`NuSvc`],
//! [`NuSvr`] and [`OneClassSvm`] (an outlier detector: `i64` labels `±1`),
//! and the linear SVMs [`LinearSvc`], [`LinearSvr`].
//!
//! Every unfitted model fits in `f64` (pipelines are `f64` end to end); the
//! fitted impls accept both float types, so an `f32` model loaded from a file
//! runs on `f64` rows (cast on the way in, and back on the way out).

use std::any::Any;

use ndarray::{Array1, Array2, ArrayView1};
use serde::Serialize;

use super::features::{Features, cast_owned, cast_view};
use super::target::{Label, Target};
use super::traits::{Estimator, FittedEstimator, FittedTransformer, Transformer, unsupported};
use crate::error::{Error, Result};
use crate::linalg::Float;
use crate::linear::{FittedLinearRegression, FittedRidge, LinearRegression, Ridge};
use crate::logistic::{FittedLogisticRegression, LogisticRegression};
use crate::persist::{ModelFile, Persist};
use crate::preprocessing::{
    FittedMinMaxScaler, FittedStandardScaler, MinMaxScaler, StandardScaler,
};
use crate::svm::{
    FittedLinearSvc, FittedLinearSvr, FittedNuSvc, FittedNuSvr, FittedOneClassSvm, FittedSvc,
    FittedSvr, Gamma, Kernel, LinearSvc, LinearSvr, NuSvc, NuSvr, OneClassSvm, Svc, Svr,
};

/// `(name, value)` pairs, values as text.
type Params = Vec<(String, String)>;

fn p(name: &str, value: impl ToString) -> (String, String) {
    (name.to_string(), value.to_string())
}

/// A JSON value as short text: strings unquoted, arrays as `(a, b)`.
fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(json_text).collect();
            format!("({})", inner.join(", "))
        }
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => f.to_string(),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// The named fields of a serialisable struct, in the order given.
fn serde_params(value: &impl Serialize, fields: &[&str]) -> Params {
    let json = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
    fields
        .iter()
        .map(|f| p(f, json.get(f).map(json_text).unwrap_or_default()))
        .collect()
}

pub(crate) fn gamma_text(g: Gamma) -> String {
    match g {
        Gamma::Scale => "scale".into(),
        Gamma::Auto => "auto".into(),
        Gamma::Value(v) => v.to_string(),
    }
}

/// scikit-learn's flat kernel parameters: `kernel`, then `degree`, `gamma`,
/// `coef0` where the kernel has them.
fn kernel_params(k: &Kernel) -> Params {
    match *k {
        Kernel::Linear => vec![p("kernel", "linear")],
        Kernel::Poly {
            degree,
            gamma,
            coef0,
        } => vec![
            p("kernel", "poly"),
            p("degree", degree),
            p("gamma", gamma_text(gamma)),
            p("coef0", coef0),
        ],
        Kernel::Rbf { gamma } => vec![p("kernel", "rbf"), p("gamma", gamma_text(gamma))],
        Kernel::Sigmoid { gamma, coef0 } => vec![
            p("kernel", "sigmoid"),
            p("gamma", gamma_text(gamma)),
            p("coef0", coef0),
        ],
        Kernel::Precomputed => vec![p("kernel", "precomputed")],
    }
}

/// A kernel as one text, e.g. `rbf(gamma=0.01)` (how searches show it).
pub(crate) fn kernel_text(k: &Kernel) -> String {
    let params = kernel_params(k);
    let rest: Vec<String> = params[1..]
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    if rest.is_empty() {
        params[0].1.clone()
    } else {
        format!("{}({})", params[0].1, rest.join(", "))
    }
}

fn max_iter_text(m: Option<usize>) -> String {
    m.map_or_else(|| "none".to_string(), |m| m.to_string())
}

/// Boxes a fitted model as a dynamic estimator.
fn boxed<Y: Target, M: FittedEstimator<Y> + 'static>(m: M) -> Box<dyn FittedEstimator<Y>> {
    Box::new(m)
}

// ---------------------------------------------------------------------------
// Regressors
// ---------------------------------------------------------------------------

/// `Estimator<Y>` for a regressor whose typed `fit`/`fit_weighted` take
/// `ArrayView`s of `Y`.
macro_rules! regressor {
    ($ty:ty, |$s:ident| $params:expr, weighted: $weighted:tt) => {
        impl<Y: Float + Target> Estimator<Y> for $ty {
            fn fit(
                &self,
                x: Features<'_>,
                y: ArrayView1<'_, Y>,
            ) -> Result<Box<dyn FittedEstimator<Y>>> {
                let x = x.to_matrix()?;
                let xf = cast_view::<f64, Y, _>(x.view());
                Ok(boxed(<$ty>::fit::<Y>(self, xf.view(), y)?))
            }

            regressor!(@weighted $ty, $weighted);

            fn params(&self) -> Params {
                let $s = self;
                $params
            }

            fn clone_box(&self) -> Box<dyn Estimator<Y>> {
                Box::new(self.clone())
            }

            fn as_any(&self) -> &dyn Any {
                self
            }
        }
    };
    (@weighted $ty:ty, true) => {
        fn fit_weighted(
            &self,
            x: Features<'_>,
            y: ArrayView1<'_, Y>,
            sample_weight: ArrayView1<'_, f64>,
        ) -> Result<Box<dyn FittedEstimator<Y>>> {
            let x = x.to_matrix()?;
            let xf = cast_view::<f64, Y, _>(x.view());
            let w = cast_view::<f64, Y, _>(sample_weight);
            Ok(boxed(<$ty>::fit_weighted::<Y>(self, xf.view(), y, w.view())?))
        }
    };
    (@weighted $ty:ty, false) => {};
}

regressor!(LinearRegression, |s| vec![p("fit_intercept", s.get_fit_intercept())], weighted: true);

regressor!(
    Ridge,
    |s| vec![
        p(
            "alpha",
            match s.get_alpha() {
                crate::linear::Alpha::Scalar(a) => a.to_string(),
                crate::linear::Alpha::PerTarget(v) => format!("{v:?}"),
            }
        ),
        p("fit_intercept", s.get_fit_intercept()),
        p("solver", format!("{:?}", s.get_solver()).to_lowercase()),
    ],
    weighted: true
);

regressor!(
    Svr,
    |s| {
        let h = s.hyper();
        let mut v = vec![p("C", h.c), p("epsilon", h.epsilon)];
        v.extend(kernel_params(&h.kernel));
        v.extend([
            p("tol", h.opts.tol),
            p("shrinking", h.opts.shrinking),
            p("max_iter", max_iter_text(h.opts.max_iter)),
            p("cache_size", h.opts.cache_size_mb),
        ]);
        v
    },
    weighted: true
);

regressor!(
    NuSvr,
    |s| {
        let h = s.hyper();
        let mut v = vec![p("nu", h.nu.unwrap_or(0.5)), p("C", h.c)];
        v.extend(kernel_params(&h.kernel));
        v.extend([
            p("tol", h.opts.tol),
            p("shrinking", h.opts.shrinking),
            p("max_iter", max_iter_text(h.opts.max_iter)),
            p("cache_size", h.opts.cache_size_mb),
        ]);
        v
    },
    weighted: true
);

regressor!(
    LinearSvr,
    |s| {
        let mut v = vec![p("C", s.hyper().c)];
        v.extend(serde_params(
            s.hyper(),
            &["epsilon", "loss", "tol", "max_iter", "fit_intercept", "intercept_scaling", "seed"],
        ));
        v
    },
    weighted: true
);

/// `FittedEstimator<Y>` for a fitted regressor `$ty<F>` of any float type
/// (rows cast to `F`, predictions back to `Y`).
macro_rules! fitted_regressor {
    ($ty:ident, $kind:literal) => {
        impl<F: Float, Y: Float + Target> FittedEstimator<Y> for $ty<F> {
            fn kind(&self) -> &'static str {
                $kind
            }

            fn n_features_in(&self) -> usize {
                self.n_features()
            }

            fn predict(&self, x: Features<'_>) -> Result<Array1<Y>> {
                let x = x.to_matrix()?;
                let xf = cast_view::<f64, F, _>(x.view());
                Ok(cast_owned($ty::predict(self, xf.view())?))
            }

            fn to_model_file(&self) -> Result<ModelFile> {
                Persist::to_model_file(self)
            }

            fn as_any(&self) -> &dyn Any {
                self
            }
        }
    };
}

fitted_regressor!(FittedLinearRegression, "LinearRegression");
fitted_regressor!(FittedRidge, "Ridge");
fitted_regressor!(FittedSvr, "Svr");
fitted_regressor!(FittedLinearSvr, "LinearSvr");

impl<F: Float, Y: Float + Target> FittedEstimator<Y> for FittedNuSvr<F> {
    fn kind(&self) -> &'static str {
        "NuSvr"
    }

    fn n_features_in(&self) -> usize {
        self.n_features()
    }

    fn predict(&self, x: Features<'_>) -> Result<Array1<Y>> {
        FittedEstimator::<Y>::predict(&**self, x)
    }

    fn to_model_file(&self) -> Result<ModelFile> {
        Persist::to_model_file(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

// ---------------------------------------------------------------------------
// Classifiers
// ---------------------------------------------------------------------------

impl<L: Label> Estimator<L> for LogisticRegression<L> {
    fn fit(&self, x: Features<'_>, y: ArrayView1<'_, L>) -> Result<Box<dyn FittedEstimator<L>>> {
        let x = x.to_matrix()?;
        Ok(boxed(LogisticRegression::fit::<f64>(self, x.view(), y)?))
    }

    fn fit_weighted(
        &self,
        x: Features<'_>,
        y: ArrayView1<'_, L>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn FittedEstimator<L>>> {
        let x = x.to_matrix()?;
        Ok(boxed(LogisticRegression::fit_weighted::<f64>(
            self,
            x.view(),
            y,
            sample_weight,
        )?))
    }

    fn params(&self) -> Params {
        vec![
            p("C", self.get_c()),
            p(
                "penalty",
                format!("{:?}", self.get_penalty()).to_lowercase(),
            ),
            p("tol", self.get_tol()),
            p("max_iter", self.get_max_iter()),
            p("fit_intercept", self.get_fit_intercept()),
            p("class_weight", format!("{:?}", self.get_class_weight())),
            p("solver", format!("{:?}", self.get_solver()).to_lowercase()),
        ]
    }

    fn clone_box(&self) -> Box<dyn Estimator<L>> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn warm_start_path(&self) -> Option<&dyn crate::model_selection::WarmStartPath<L>> {
        Some(self)
    }
}

impl<F: Float, L: Label> FittedEstimator<L> for FittedLogisticRegression<F, L> {
    fn kind(&self) -> &'static str {
        "LogisticRegression"
    }

    fn n_features_in(&self) -> usize {
        self.n_features()
    }

    fn predict(&self, x: Features<'_>) -> Result<Array1<L>> {
        let x = x.to_matrix()?;
        FittedLogisticRegression::predict(self, cast_view::<f64, F, _>(x.view()).view())
    }

    fn predict_proba(&self, x: Features<'_>) -> Result<Array2<f64>> {
        let x = x.to_matrix()?;
        let p =
            FittedLogisticRegression::predict_proba(self, cast_view::<f64, F, _>(x.view()).view())?;
        Ok(cast_owned(p))
    }

    fn decision_function(&self, x: Features<'_>) -> Result<Array2<f64>> {
        let x = x.to_matrix()?;
        let d = FittedLogisticRegression::decision_function(
            self,
            cast_view::<f64, F, _>(x.view()).view(),
        )?;
        Ok(cast_owned(d))
    }

    fn classes(&self) -> Option<&[L]> {
        Some(FittedLogisticRegression::classes(self))
    }

    fn to_model_file(&self) -> Result<ModelFile> {
        Persist::to_model_file(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<L: Label> Estimator<L> for Svc<L> {
    fn fit(&self, x: Features<'_>, y: ArrayView1<'_, L>) -> Result<Box<dyn FittedEstimator<L>>> {
        let x = x.to_matrix()?;
        Ok(boxed(Svc::<L>::fit::<f64>(self, x.view(), y)?))
    }

    fn fit_weighted(
        &self,
        x: Features<'_>,
        y: ArrayView1<'_, L>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn FittedEstimator<L>>> {
        let x = x.to_matrix()?;
        Ok(boxed(Svc::<L>::fit_weighted::<f64>(
            self,
            x.view(),
            y,
            sample_weight,
        )?))
    }

    fn params(&self) -> Params {
        let h = self.hyper();
        let mut v = vec![p("C", h.c)];
        v.extend(kernel_params(&h.kernel));
        v.extend([
            p("tol", h.opts.tol),
            p("shrinking", h.opts.shrinking),
            p("max_iter", max_iter_text(h.opts.max_iter)),
            p("cache_size", h.opts.cache_size_mb),
            p("class_weight", format!("{:?}", self.get_class_weight())),
            p("probability", h.probability),
            p("seed", h.seed),
            p(
                "decision_shape",
                format!("{:?}", h.decision_shape).to_lowercase(),
            ),
        ]);
        v
    }

    fn clone_box(&self) -> Box<dyn Estimator<L>> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn warm_start_path(&self) -> Option<&dyn crate::model_selection::WarmStartPath<L>> {
        Some(self)
    }
}

impl<F: Float, L: Label> FittedEstimator<L> for FittedSvc<F, L> {
    fn kind(&self) -> &'static str {
        "Svc"
    }

    fn n_features_in(&self) -> usize {
        self.n_features()
    }

    fn predict(&self, x: Features<'_>) -> Result<Array1<L>> {
        let x = x.to_matrix()?;
        FittedSvc::predict(self, cast_view::<f64, F, _>(x.view()).view())
    }

    fn predict_proba(&self, x: Features<'_>) -> Result<Array2<f64>> {
        if self.prob_a().is_empty() {
            return Err(unsupported(
                "predict_proba",
                "Svc",
                "the model was fitted without probability(true)",
            ));
        }
        let x = x.to_matrix()?;
        let p = FittedSvc::predict_proba(self, cast_view::<f64, F, _>(x.view()).view())?;
        Ok(cast_owned(p))
    }

    fn decision_function(&self, x: Features<'_>) -> Result<Array2<f64>> {
        let x = x.to_matrix()?;
        let d = FittedSvc::decision_function(self, cast_view::<f64, F, _>(x.view()).view())?;
        Ok(cast_owned(d))
    }

    fn classes(&self) -> Option<&[L]> {
        Some(FittedSvc::classes(self))
    }

    fn to_model_file(&self) -> Result<ModelFile> {
        Persist::to_model_file(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<L: Label> Estimator<L> for LinearSvc<L> {
    fn fit(&self, x: Features<'_>, y: ArrayView1<'_, L>) -> Result<Box<dyn FittedEstimator<L>>> {
        let x = x.to_matrix()?;
        Ok(boxed(LinearSvc::<L>::fit::<f64>(self, x.view(), y)?))
    }

    fn fit_weighted(
        &self,
        x: Features<'_>,
        y: ArrayView1<'_, L>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn FittedEstimator<L>>> {
        let x = x.to_matrix()?;
        Ok(boxed(LinearSvc::<L>::fit_weighted::<f64>(
            self,
            x.view(),
            y,
            sample_weight,
        )?))
    }

    fn params(&self) -> Params {
        let mut v = vec![p("C", self.hyper().c)];
        v.extend(serde_params(
            self.hyper(),
            &[
                "loss",
                "penalty",
                "solver",
                "tol",
                "max_iter",
                "fit_intercept",
                "intercept_scaling",
            ],
        ));
        v.push(p("class_weight", format!("{:?}", self.get_class_weight())));
        v.push(p("seed", self.hyper().seed));
        v
    }

    fn clone_box(&self) -> Box<dyn Estimator<L>> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<F: Float, L: Label> FittedEstimator<L> for FittedLinearSvc<F, L> {
    fn kind(&self) -> &'static str {
        "LinearSvc"
    }

    fn n_features_in(&self) -> usize {
        self.n_features()
    }

    fn predict(&self, x: Features<'_>) -> Result<Array1<L>> {
        let x = x.to_matrix()?;
        FittedLinearSvc::predict(self, cast_view::<f64, F, _>(x.view()).view())
    }

    fn decision_function(&self, x: Features<'_>) -> Result<Array2<f64>> {
        let x = x.to_matrix()?;
        let d = FittedLinearSvc::decision_function(self, cast_view::<f64, F, _>(x.view()).view())?;
        Ok(cast_owned(d))
    }

    fn classes(&self) -> Option<&[L]> {
        Some(FittedLinearSvc::classes(self))
    }

    fn to_model_file(&self) -> Result<ModelFile> {
        Persist::to_model_file(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<L: Label> Estimator<L> for NuSvc<L> {
    fn fit(&self, x: Features<'_>, y: ArrayView1<'_, L>) -> Result<Box<dyn FittedEstimator<L>>> {
        let x = x.to_matrix()?;
        Ok(boxed(NuSvc::<L>::fit::<f64>(self, x.view(), y)?))
    }

    fn fit_weighted(
        &self,
        x: Features<'_>,
        y: ArrayView1<'_, L>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn FittedEstimator<L>>> {
        let x = x.to_matrix()?;
        Ok(boxed(NuSvc::<L>::fit_weighted::<f64>(
            self,
            x.view(),
            y,
            sample_weight,
        )?))
    }

    fn params(&self) -> Params {
        let h = self.hyper();
        let mut v = vec![p("nu", h.nu.unwrap_or(0.5))];
        v.extend(kernel_params(&h.kernel));
        v.extend([
            p("tol", h.opts.tol),
            p("shrinking", h.opts.shrinking),
            p("max_iter", max_iter_text(h.opts.max_iter)),
            p("cache_size", h.opts.cache_size_mb),
            p("probability", h.probability),
            p("seed", h.seed),
            p(
                "decision_shape",
                format!("{:?}", h.decision_shape).to_lowercase(),
            ),
        ]);
        v
    }

    fn clone_box(&self) -> Box<dyn Estimator<L>> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The equivalent C-SVC model answers; only the kind (and so the file) is
/// ν-SVC's.
impl<F: Float, L: Label> FittedEstimator<L> for FittedNuSvc<F, L> {
    fn kind(&self) -> &'static str {
        "NuSvc"
    }

    fn n_features_in(&self) -> usize {
        self.n_features()
    }

    fn predict(&self, x: Features<'_>) -> Result<Array1<L>> {
        FittedEstimator::<L>::predict(&**self, x)
    }

    fn predict_proba(&self, x: Features<'_>) -> Result<Array2<f64>> {
        if self.prob_a().is_empty() {
            return Err(unsupported(
                "predict_proba",
                "NuSvc",
                "the model was fitted without probability(true)",
            ));
        }
        FittedEstimator::<L>::predict_proba(&**self, x)
    }

    fn decision_function(&self, x: Features<'_>) -> Result<Array2<f64>> {
        FittedEstimator::<L>::decision_function(&**self, x)
    }

    fn classes(&self) -> Option<&[L]> {
        Some(FittedSvc::classes(self))
    }

    fn to_model_file(&self) -> Result<ModelFile> {
        Persist::to_model_file(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An outlier detector as scikit-learn's: `y` is ignored (pass any array of
/// `x.nrows()` values); predictions are `−1` (outlier) / `+1` (inlier).
impl Estimator<i64> for OneClassSvm {
    fn fit(
        &self,
        x: Features<'_>,
        y: ArrayView1<'_, i64>,
    ) -> Result<Box<dyn FittedEstimator<i64>>> {
        let x = x.to_matrix()?;
        crate::validation::check_n_targets(x.nrows(), y.len())?;
        Ok(Box::new(OneClassSvm::fit::<f64>(self, x.view())?))
    }

    fn fit_weighted(
        &self,
        x: Features<'_>,
        y: ArrayView1<'_, i64>,
        sample_weight: ArrayView1<'_, f64>,
    ) -> Result<Box<dyn FittedEstimator<i64>>> {
        let x = x.to_matrix()?;
        crate::validation::check_n_targets(x.nrows(), y.len())?;
        Ok(Box::new(OneClassSvm::fit_weighted::<f64>(
            self,
            x.view(),
            sample_weight,
        )?))
    }

    fn params(&self) -> Params {
        let h = self.hyper();
        let mut v = vec![p("nu", h.nu)];
        v.extend(kernel_params(&h.kernel));
        v.extend([
            p("tol", h.opts.tol),
            p("shrinking", h.opts.shrinking),
            p("max_iter", max_iter_text(h.opts.max_iter)),
            p("cache_size", h.opts.cache_size_mb),
        ]);
        v
    }

    fn clone_box(&self) -> Box<dyn Estimator<i64>> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<F: Float> FittedEstimator<i64> for FittedOneClassSvm<F> {
    fn kind(&self) -> &'static str {
        "OneClassSvm"
    }

    fn n_features_in(&self) -> usize {
        self.n_features()
    }

    fn predict(&self, x: Features<'_>) -> Result<Array1<i64>> {
        let x = x.to_matrix()?;
        FittedOneClassSvm::predict(self, cast_view::<f64, F, _>(x.view()).view())
    }

    fn decision_function(&self, x: Features<'_>) -> Result<Array2<f64>> {
        let x = x.to_matrix()?;
        let d =
            FittedOneClassSvm::decision_function(self, cast_view::<f64, F, _>(x.view()).view())?;
        Ok(cast_owned(d).insert_axis(ndarray::Axis(1)))
    }

    fn score_samples(&self, x: Features<'_>) -> Result<Array1<f64>> {
        let x = x.to_matrix()?;
        let s = FittedOneClassSvm::score_samples(self, cast_view::<f64, F, _>(x.view()).view())?;
        Ok(cast_owned(s))
    }

    fn classes(&self) -> Option<&[i64]> {
        Some(&crate::svm::OUTLIER_CLASSES)
    }

    fn to_model_file(&self) -> Result<ModelFile> {
        Persist::to_model_file(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

// ---------------------------------------------------------------------------
// Scalers
// ---------------------------------------------------------------------------

/// `Err(ShapeMismatch)` unless `input` has `n` names; else the same names.
fn same_names(input: &[String], n: usize) -> Result<Vec<String>> {
    if input.len() != n {
        return Err(Error::ShapeMismatch {
            what: "feature names (one per input column)",
            expected: vec![n],
            got: vec![input.len()],
        });
    }
    Ok(input.to_vec())
}

macro_rules! scaler {
    ($ty:ident, $fitted:ident, $kind:literal, [$($field:literal),*]) => {
        impl<Y: Target> Transformer<Y> for $ty {
            fn fit(
                &self,
                x: Features<'_>,
                _y: Option<ArrayView1<'_, Y>>,
            ) -> Result<Box<dyn FittedTransformer>> {
                let x = x.to_matrix()?;
                Ok(Box::new($ty::fit::<f64>(self, x.view())?))
            }

            fn params(&self) -> Params {
                serde_params(self, &[$($field),*])
            }

            fn clone_box(&self) -> Box<dyn Transformer<Y>> {
                Box::new(*self)
            }

            fn as_any(&self) -> &dyn Any {
                self
            }
        }

        impl<F: Float> FittedTransformer for $fitted<F> {
            fn kind(&self) -> &'static str {
                $kind
            }

            fn n_features_in(&self) -> usize {
                self.n_features()
            }

            fn n_features_out(&self) -> usize {
                self.n_features()
            }

            fn transform(&self, x: Features<'_>) -> Result<Array2<f64>> {
                let x = x.to_matrix()?;
                let z = $fitted::transform(self, cast_view::<f64, F, _>(x.view()).view())?;
                Ok(cast_owned(z))
            }

            fn feature_names_out(&self, input: &[String]) -> Result<Vec<String>> {
                same_names(input, self.n_features())
            }

            fn to_model_file(&self) -> Result<ModelFile> {
                Persist::to_model_file(self)
            }

            fn as_any(&self) -> &dyn Any {
                self
            }
        }
    };
}

scaler!(
    StandardScaler,
    FittedStandardScaler,
    "StandardScaler",
    ["with_mean", "with_std"]
);
scaler!(
    MinMaxScaler,
    FittedMinMaxScaler,
    "MinMaxScaler",
    ["feature_range", "clip"]
);

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn params_read_like_scikit_learn() {
        let svc = Svc::new().c(10.0).kernel(Kernel::Rbf {
            gamma: Gamma::Value(0.01),
        });
        let params = Estimator::<usize>::params(&svc);
        assert_eq!(
            &params[..3],
            &[p("C", "10"), p("kernel", "rbf"), p("gamma", "0.01")]
        );
        let mm = Transformer::<f64>::params(&MinMaxScaler::new().feature_range(-1.0, 1.0));
        assert_eq!(mm, vec![p("feature_range", "(-1, 1)"), p("clip", "false")]);
        let ridge = Estimator::<f64>::params(&Ridge::new().alpha(0.5));
        assert_eq!(ridge[0], p("alpha", "0.5"));
        assert_eq!(ridge[2], p("solver", "auto"));
    }

    #[test]
    fn f32_models_run_on_f64_rows() -> Result<()> {
        let x = array![[0.0f32], [1.0], [2.0]];
        let model = Ridge::new()
            .alpha(0.0)
            .fit(x.view(), array![1.0f32, 3.0, 5.0].view())?;
        let dynamic: Box<dyn FittedEstimator<f64>> = Box::new(model);
        let pred = dynamic.predict(Features::from(&array![[3.0f64]]))?;
        assert!((pred[0] - 7.0).abs() < 1e-5);
        Ok(())
    }

    #[test]
    fn svc_without_probability_is_unsupported() -> Result<()> {
        let x = array![[0.0], [1.0], [2.0], [3.0]];
        let y = array![0usize, 0, 1, 1];
        let fitted = Estimator::fit(&Svc::new(), Features::from(&x), y.view())?;
        let err = fitted.predict_proba(Features::from(&x)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Unsupported {
                    operation: "predict_proba",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(fitted.decision_function(Features::from(&x))?.dim(), (4, 1));
        let svr = Estimator::<f64>::fit(
            &Svr::new(),
            Features::from(&x),
            array![0.0, 1.0, 2.0, 3.0].view(),
        )?;
        assert!(matches!(
            svr.predict_proba(Features::from(&x)),
            Err(Error::Unsupported { .. })
        ));
        // Svr takes sample weights: unit weights give the unweighted model.
        let weighted = Estimator::<f64>::fit_weighted(
            &Svr::new(),
            Features::from(&x),
            array![0.0, 1.0, 2.0, 3.0].view(),
            array![1.0, 1.0, 1.0, 1.0].view(),
        )?;
        assert_eq!(
            weighted.predict(Features::from(&x))?,
            svr.predict(Features::from(&x))?
        );
        Ok(())
    }
}
