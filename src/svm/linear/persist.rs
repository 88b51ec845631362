//! Model files of the linear SVMs: [`FittedLinearSvc`] (kind
//! `"LinearSvc"`) and [`FittedLinearSvr`] (kind `"LinearSvr"`, below).
//!
//! Tensors: `coef` (`rows × n_features`, the model's float type),
//! `intercept` (`rows`), `n_iter` (i64, one per row), `objective` (f64, one
//! per row). Metadata: the hyperparameters and whether the fit converged,
//! the sorted classes (JSON), the feature count.

use std::hash::Hash;

use ndarray::Array1;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::svc::{FittedLinearSvc, LinearSvcHyper};
use super::svr::{FittedLinearSvr, LinearSvrHyper};
use crate::error::Result;
use crate::linalg::Float;
use crate::persist::{ModelFile, Persist};

#[derive(Serialize, Deserialize)]
struct SvcMeta {
    hyper: LinearSvcHyper,
    converged: bool,
}

impl<F, L> Persist for FittedLinearSvc<F, L>
where
    F: Float,
    L: Clone + Eq + Hash + Ord + Serialize + DeserializeOwned,
{
    const KIND: &'static str = "LinearSvc";

    fn to_model_file(&self) -> Result<ModelFile> {
        let meta = SvcMeta {
            hyper: self.hyper.clone(),
            converged: self.converged,
        };
        let mut f = ModelFile::new(Self::KIND, F::NAME)
            .with_n_features(self.n_features())
            .with_hyperparameters(&meta)?
            .with_classes(&self.classes)?;
        f.push_float("coef", self.coef.clone().into_dyn());
        f.push_float("intercept", self.intercept.clone().into_dyn());
        f.push_i64(
            "n_iter",
            Array1::from_iter(self.n_iter.iter().map(|&v| v as i64)).into_dyn(),
        );
        f.push_f64("objective", Array1::from(self.objective.clone()).into_dyn());
        Ok(f)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        file.expect_dtype(F::NAME)?;
        let meta: SvcMeta = file.hyperparameters()?;
        file.check_hyperparameters(meta.hyper.validate())?;
        let n_features = file.n_features()?;
        let classes: Vec<L> = file.classes()?;
        if classes.len() < 2 || classes.windows(2).any(|w| w[0] >= w[1]) {
            return Err(
                file.format_error("classes must be at least two distinct labels in sorted order")
            );
        }
        let rows = if classes.len() == 2 { 1 } else { classes.len() };
        let coef = file.take_array2::<F>("coef", [Some(rows), Some(n_features)])?;
        let intercept = file.take_array1::<F>("intercept", Some(rows))?;
        if !meta.hyper.fit_intercept && intercept.iter().any(|v| *v != F::zero()) {
            return Err(file.format_error("a model without intercept has non-zero intercepts"));
        }
        let n_iter = file.take_i64("n_iter")?;
        let objective = file.take_f64("objective")?;
        if n_iter.ndim() != 1
            || n_iter.len() != rows
            || objective.ndim() != 1
            || objective.len() != rows
        {
            return Err(
                file.format_error("n_iter and objective must hold one value per coefficient row")
            );
        }
        let n_iter = n_iter
            .iter()
            .map(|&v| usize::try_from(v).map_err(|_| file.format_error("negative n_iter")))
            .collect::<Result<Vec<_>>>()?;
        if n_iter.iter().any(|&v| v > meta.hyper.max_iter) {
            return Err(file.format_error("n_iter beyond max_iter"));
        }
        Ok(FittedLinearSvc {
            hyper: meta.hyper,
            classes,
            coef,
            intercept,
            n_iter,
            converged: meta.converged,
            objective: objective.iter().copied().collect(),
        })
    }
}

#[derive(Serialize, Deserialize)]
struct SvrMeta {
    hyper: LinearSvrHyper,
    converged: bool,
    n_iter: usize,
    objective: f64,
}

/// [`FittedLinearSvr`] (kind `"LinearSvr"`): tensors `coef` (`n_features`)
/// and `intercept` (1); metadata: hyperparameters, convergence, passes and
/// objective, the feature count.
impl<F: Float> Persist for FittedLinearSvr<F> {
    const KIND: &'static str = "LinearSvr";

    fn to_model_file(&self) -> Result<ModelFile> {
        let meta = SvrMeta {
            hyper: self.hyper.clone(),
            converged: self.converged,
            n_iter: self.n_iter,
            objective: self.objective,
        };
        let mut f = ModelFile::new(Self::KIND, F::NAME)
            .with_n_features(self.n_features())
            .with_hyperparameters(&meta)?;
        f.push_float("coef", self.coef.clone().into_dyn());
        f.push_float("intercept", Array1::from_elem(1, self.intercept).into_dyn());
        Ok(f)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        file.expect_dtype(F::NAME)?;
        let meta: SvrMeta = file.hyperparameters()?;
        file.check_hyperparameters(meta.hyper.validate())?;
        if meta.n_iter > meta.hyper.max_iter || !meta.objective.is_finite() || meta.objective < 0.0
        {
            return Err(file.format_error("n_iter beyond max_iter or a bad objective"));
        }
        let n_features = file.n_features()?;
        let coef = file.take_array1::<F>("coef", Some(n_features))?;
        let intercept = file.take_array1::<F>("intercept", Some(1))?[0];
        if !meta.hyper.fit_intercept && intercept != F::zero() {
            return Err(file.format_error("a model without intercept has a non-zero intercept"));
        }
        Ok(FittedLinearSvr {
            hyper: meta.hyper,
            coef,
            intercept,
            n_iter: meta.n_iter,
            converged: meta.converged,
            objective: meta.objective,
        })
    }
}
