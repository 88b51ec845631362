//! Model files for [`FittedLogisticRegression`] (kind `"LogisticRegression"`).
//!
//! Tensors: `coef` (`rows × n_features`, the model's float type), `intercept`
//! (`rows`), `objective` (f64, 1), `n_iter_converged` (i64, 2). Metadata:
//! hyperparameters, sorted classes (JSON), feature count.

use std::hash::Hash;

use ndarray::{Array1, arr1};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::fitted::FittedLogisticRegression;
use super::params::Hyperparameters;
use crate::Float;
use crate::error::Result;
use crate::persist::{ModelFile, Persist};

impl<F, L> Persist for FittedLogisticRegression<F, L>
where
    F: Float,
    L: Clone + Eq + Hash + Ord + Serialize + DeserializeOwned,
{
    const KIND: &'static str = "LogisticRegression";

    fn to_model_file(&self) -> Result<ModelFile> {
        let mut file = ModelFile::new(Self::KIND, F::NAME)
            .with_n_features(self.n_features())
            .with_hyperparameters(&self.hyper)?
            .with_classes(&self.classes)?;
        file.push_float("coef", self.coef.clone().into_dyn());
        file.push_float("intercept", self.intercept.clone().into_dyn());
        file.push_f64("objective", arr1(&[self.objective]).into_dyn());
        file.push_i64(
            "n_iter_converged",
            arr1(&[self.n_iter as i64, i64::from(self.converged)]).into_dyn(),
        );
        Ok(file)
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        file.expect_dtype(F::NAME)?;
        let n_features = file.n_features()?;
        let hyper: Hyperparameters = file.hyperparameters()?;
        file.check_hyperparameters(hyper.validate())?;
        let classes: Vec<L> = file.classes()?;
        if classes.len() < 2 || classes.windows(2).any(|w| w[0] >= w[1]) {
            return Err(
                file.format_error("classes must be at least two distinct labels in sorted order")
            );
        }
        let rows = if classes.len() == 2 { 1 } else { classes.len() };
        let coef = file.take_array2::<F>("coef", [Some(rows), Some(n_features)])?;
        let intercept = file.take_array1::<F>("intercept", Some(rows))?;
        let objective: Array1<f64> = file
            .take_f64("objective")?
            .into_dimensionality()
            .map_err(|e| file.format_error(format!("objective: {e}")))?;
        let state: Array1<i64> = file
            .take_i64("n_iter_converged")?
            .into_dimensionality()
            .map_err(|e| file.format_error(format!("n_iter_converged: {e}")))?;
        let (Some(&objective), [n_iter, converged]) =
            (objective.first(), state.as_slice().unwrap_or(&[]))
        else {
            return Err(file.format_error("objective must hold 1 value and n_iter_converged 2"));
        };
        if *n_iter < 0 || !matches!(converged, 0 | 1) {
            return Err(file.format_error("invalid n_iter_converged"));
        }
        Ok(FittedLogisticRegression {
            classes,
            coef,
            intercept,
            n_iter: *n_iter as usize,
            converged: *converged == 1,
            objective,
            hyper,
        })
    }
}
