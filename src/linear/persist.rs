//! Model files for the linear models (see [`crate::persist`]).
//!
//! Layout (single- and multi-target models share it, so a one-target model
//! saved from either type loads as either): tensors `coef`
//! (`n_targets × n_features`) and `intercept` (`n_targets`) in the model's
//! dtype; hyperparameters as JSON plus `rank` (LinearRegression) or
//! `solver_used` (Ridge).

use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};

use super::ols::{FittedLinearRegression, FittedLinearRegressionMulti, LinearRegression};
use super::ridge::{FittedRidge, FittedRidgeMulti, Ridge, RidgeSolver};
use crate::error::{Error, Result};
use crate::linalg::Float;
use crate::persist::{ModelFile, Persist};

#[derive(Serialize, Deserialize)]
struct OlsMeta {
    #[serde(flatten)]
    params: LinearRegression,
    rank: usize,
}

#[derive(Serialize, Deserialize)]
struct RidgeMeta {
    #[serde(flatten)]
    params: Ridge,
    solver_used: RidgeSolver,
}

fn write<F: Float, H: Serialize>(
    kind: &str,
    hyper: &H,
    coef: Array2<F>,
    intercept: Array1<F>,
) -> Result<ModelFile> {
    let mut file = ModelFile::new(kind, F::NAME)
        .with_n_features(coef.ncols())
        .with_hyperparameters(hyper)?;
    file.push_float("coef", coef.into_dyn());
    file.push_float("intercept", intercept.into_dyn());
    Ok(file)
}

fn read<F: Float>(file: &mut ModelFile) -> Result<(Array2<F>, Array1<F>)> {
    file.expect_dtype(F::NAME)?;
    let d = file.n_features()?;
    let coef = file.take_array2::<F>("coef", [None, Some(d)])?;
    let intercept = file.take_array1::<F>("intercept", Some(coef.nrows()))?;
    Ok((coef, intercept))
}

fn one_row<F: Float>(kind: &str, coef: Array2<F>, intercept: Array1<F>) -> Result<(Array1<F>, F)> {
    if coef.nrows() != 1 {
        return Err(Error::format(
            "model file",
            format!(
                "{kind} file holds a {}-target model; load it as the multi-target type",
                coef.nrows()
            ),
        ));
    }
    Ok((coef.index_axis_move(Axis(0), 0), intercept[0]))
}

impl<F: Float> Persist for FittedLinearRegressionMulti<F> {
    const KIND: &'static str = "LinearRegression";

    fn to_model_file(&self) -> Result<ModelFile> {
        let meta = OlsMeta {
            params: self.params,
            rank: self.rank,
        };
        write(Self::KIND, &meta, self.coef.clone(), self.intercept.clone())
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        let meta: OlsMeta = file.hyperparameters()?;
        let (coef, intercept) = read::<F>(&mut file)?;
        Ok(Self {
            params: meta.params,
            coef,
            intercept,
            rank: meta.rank,
        })
    }
}

/// Saved with the same layout as [`FittedLinearRegressionMulti`] (one target).
///
/// # Example
/// ```
/// use oxilearn::linear::{FittedLinearRegression, LinearRegression};
/// use oxilearn::ndarray::array;
/// use oxilearn::persist::Persist;
///
/// let x = array![[0.0], [1.0], [2.0]];
/// let model = LinearRegression::new().fit(x.view(), array![1.0, 3.0, 5.0].view())?;
/// let back = FittedLinearRegression::<f64>::from_bytes(&model.to_bytes()?)?;
/// assert_eq!(back, model);
/// # Ok::<(), oxilearn::Error>(())
/// ```
impl<F: Float> Persist for FittedLinearRegression<F> {
    const KIND: &'static str = "LinearRegression";

    fn to_model_file(&self) -> Result<ModelFile> {
        let meta = OlsMeta {
            params: self.params,
            rank: self.rank,
        };
        let coef = self.coef.clone().insert_axis(Axis(0));
        write(
            Self::KIND,
            &meta,
            coef,
            Array1::from_elem(1, self.intercept),
        )
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        let meta: OlsMeta = file.hyperparameters()?;
        let (coef, intercept) = read::<F>(&mut file)?;
        let (coef, intercept) = one_row(Self::KIND, coef, intercept)?;
        Ok(Self {
            params: meta.params,
            coef,
            intercept,
            rank: meta.rank,
        })
    }
}

impl<F: Float> Persist for FittedRidgeMulti<F> {
    const KIND: &'static str = "Ridge";

    fn to_model_file(&self) -> Result<ModelFile> {
        let meta = RidgeMeta {
            params: self.params.clone(),
            solver_used: self.solver_used,
        };
        write(Self::KIND, &meta, self.coef.clone(), self.intercept.clone())
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        let meta: RidgeMeta = file.hyperparameters()?;
        let (coef, intercept) = read::<F>(&mut file)?;
        Ok(Self {
            params: meta.params,
            coef,
            intercept,
            solver_used: meta.solver_used,
        })
    }
}

/// Saved with the same layout as [`FittedRidgeMulti`] (one target).
///
/// # Example
/// ```
/// use oxilearn::linear::{FittedRidge, Ridge};
/// use oxilearn::ndarray::array;
/// use oxilearn::persist::Persist;
///
/// let x = array![[0.0f32], [1.0], [2.0]];
/// let model = Ridge::new().fit(x.view(), array![1.0f32, 3.0, 5.0].view())?;
/// let back = FittedRidge::<f32>::from_bytes(&model.to_bytes()?)?;
/// assert_eq!(back.predict(x.view())?, model.predict(x.view())?);
/// # Ok::<(), oxilearn::Error>(())
/// ```
impl<F: Float> Persist for FittedRidge<F> {
    const KIND: &'static str = "Ridge";

    fn to_model_file(&self) -> Result<ModelFile> {
        let meta = RidgeMeta {
            params: self.params.clone(),
            solver_used: self.solver_used,
        };
        let coef = self.coef.clone().insert_axis(Axis(0));
        write(
            Self::KIND,
            &meta,
            coef,
            Array1::from_elem(1, self.intercept),
        )
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        let meta: RidgeMeta = file.hyperparameters()?;
        let (coef, intercept) = read::<F>(&mut file)?;
        let (coef, intercept) = one_row(Self::KIND, coef, intercept)?;
        Ok(Self {
            params: meta.params,
            coef,
            intercept,
            solver_used: meta.solver_used,
        })
    }
}
