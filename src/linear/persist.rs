//! Model files for the linear models (see [`crate::persist`]).
//!
//! Layout (single- and multi-target models share it, so a one-target model
//! saved from either type loads as either): tensors `coef`
//! (`n_targets × n_features`) and `intercept` (`n_targets`) in the model's
//! dtype; hyperparameters as JSON plus `rank` (LinearRegression) or
//! `solver_used` (Ridge).
//!
//! Loading checks what `fit` would (Ridge's `alpha`: finite, non-negative,
//! one per target), that the rank fits the feature count, and (through
//! [`ModelFile`]) that every coefficient is finite.

use serde::{Deserialize, Serialize};

use super::fitted::{Core, Many, One, Targets};
use super::ols::{FittedLinearRegression, FittedLinearRegressionMulti, LinearRegression};
use super::ridge::{FittedRidge, FittedRidgeMulti, Ridge};
use super::solve::RidgeSolver;
use crate::Float;
use crate::error::{Error, Result};
use crate::persist::{ModelFile, Persist};

/// Hyperparameters of a LinearRegression file (`P` is borrowed when writing).
#[derive(Serialize, Deserialize)]
struct OlsMeta<P> {
    #[serde(flatten)]
    params: P,
    rank: usize,
}

/// Hyperparameters of a Ridge file (`P` is borrowed when writing).
#[derive(Serialize, Deserialize)]
struct RidgeMeta<P> {
    #[serde(flatten)]
    params: P,
    solver_used: RidgeSolver,
}

/// What a loaded file's hyperparameters must satisfy, for a model of `k`
/// targets and `d` features.
trait CheckLoaded {
    fn check(&self, file: &ModelFile, k: usize, d: usize) -> Result<()>;
}

impl CheckLoaded for OlsMeta<LinearRegression> {
    fn check(&self, file: &ModelFile, _k: usize, d: usize) -> Result<()> {
        if self.rank > d {
            return Err(
                file.format_error(format!("rank {} exceeds the feature count {d}", self.rank))
            );
        }
        Ok(())
    }
}

impl CheckLoaded for RidgeMeta<Ridge> {
    fn check(&self, file: &ModelFile, k: usize, _d: usize) -> Result<()> {
        let alpha = self.params.get_alpha().resolve::<f64>(k).map(|_| ());
        let alpha = match alpha {
            // One penalty per target: a count that does not match the
            // coefficients is a file error too.
            Err(Error::ShapeMismatch { expected, got, .. }) => Err(file.format_error(format!(
                "{} penalties (alpha) for {} targets",
                got.first().copied().unwrap_or(0),
                expected.first().copied().unwrap_or(0),
            ))),
            other => other,
        };
        file.check_hyperparameters(alpha)
    }
}

/// The file of any fitted linear model: `coef` (`k × d`), `intercept` (`k`).
fn write_core<F: Float, T: Targets<F>, H: Serialize>(
    kind: &str,
    hyper: &H,
    core: &Core<F, T>,
) -> Result<ModelFile> {
    let (coef, intercept) = T::to_rows(&core.coef, &core.intercept);
    let mut file = ModelFile::new(kind, F::NAME)
        .with_n_features(coef.ncols())
        .with_hyperparameters(hyper)?;
    file.push_float("coef", coef.into_dyn());
    file.push_float("intercept", intercept.into_dyn());
    Ok(file)
}

/// Reads what [`write_core`] wrote, into the storage `T` (a multi-target
/// file loaded as a single-target type is a `Format` error), with the
/// target and feature counts.
fn read_core<F: Float, T: Targets<F>>(
    kind: &str,
    file: &mut ModelFile,
) -> Result<(Core<F, T>, usize, usize)> {
    file.expect_dtype(F::NAME)?;
    let d = file.n_features()?;
    let coef = file.take_array2::<F>("coef", [None, Some(d)])?;
    let intercept = file.take_array1::<F>("intercept", Some(coef.nrows()))?;
    let k = coef.nrows();
    let core = Core::from_rows(coef, intercept).ok_or_else(|| {
        file.format_error(format!(
            "{kind} file holds a {k}-target model; load it as the multi-target type"
        ))
    })?;
    Ok((core, k, d))
}

/// `Persist` for a fitted linear model `$ty<F>` with `core: Core<F, $targets>`,
/// `params` and one extra field `$extra` stored in `$meta`.
macro_rules! persist_linear {
    ($(#[$doc:meta])* $ty:ident, $targets:ty, $kind:literal, $meta:ident { $extra:ident }) => {
        $(#[$doc])*
        impl<F: Float> Persist for $ty<F> {
            const KIND: &'static str = $kind;

            fn to_model_file(&self) -> Result<ModelFile> {
                let meta = $meta {
                    params: &self.params,
                    $extra: self.$extra,
                };
                write_core(Self::KIND, &meta, &self.core)
            }

            fn from_model_file(mut file: ModelFile) -> Result<Self> {
                let meta: $meta<_> = file.hyperparameters()?;
                let (core, k, d) = read_core::<F, $targets>(Self::KIND, &mut file)?;
                meta.check(&file, k, d)?;
                Ok(Self {
                    params: meta.params,
                    core,
                    $extra: meta.$extra,
                })
            }
        }
    };
}

persist_linear!(
    /// Saved as `coef` (`n_targets × n_features`), `intercept`, and the
    /// hyperparameters plus `rank`.
    FittedLinearRegressionMulti, Many, "LinearRegression", OlsMeta { rank }
);

persist_linear!(
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
    FittedLinearRegression, One, "LinearRegression", OlsMeta { rank }
);

persist_linear!(
    /// Saved as `coef` (`n_targets × n_features`), `intercept`, and the
    /// hyperparameters plus `solver_used`.
    FittedRidgeMulti, Many, "Ridge", RidgeMeta { solver_used }
);

persist_linear!(
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
    FittedRidge, One, "Ridge", RidgeMeta { solver_used }
);
