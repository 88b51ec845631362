//! Model files of the kernel SVMs: [`FittedSvc`] (kind `"Svc"`),
//! [`FittedNuSvc`] (kind `"NuSvc"`, the same layout with `nu` among the
//! hyperparameters), [`FittedSvr`] (kind `"Svr"`) and [`FittedNuSvr`]
//! (kind `"NuSvr"`, likewise).
//!
//! Tensors: `support` (i64, training indices of the support vectors),
//! `support_vectors` (`n_SV × n_features` in the model's float type; `0 ×
//! n_train` for a precomputed kernel) — or, for a model fitted on sparse
//! records, its CSR arrays `support_vectors_indptr` (i64, `n_SV + 1`),
//! `support_vectors_indices` (i64) and `support_vectors_data` (float) —,
//! `dual_coef`, `intercept`; `Svc` also
//! `n_support`, `n_iter` (i64), `prob_a`, `prob_b` and `objective` (f64).
//! Metadata: the hyperparameters with the resolved kernel, the sorted classes
//! (JSON) and the feature count.

use std::hash::Hash;

use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::kernel::{KernelFn, SupportVectors};
use super::nusvc::FittedNuSvc;
use super::svc::{FittedSvc, SvcHyper};
use super::svr::{FittedNuSvr, FittedSvr, SvrHyper};
use crate::error::Result;
use crate::linalg::Float;
use crate::persist::{ModelFile, Persist};

/// What a model file records besides the tensors.
#[derive(Serialize, Deserialize)]
struct SvcFileMeta {
    hyper: SvcHyper,
    kernel: KernelFn,
    converged: bool,
}

/// The hyperparameters pass `fit`'s checks (`hyper`), the stored resolved
/// kernel is valid and is what the kernel hyperparameter resolves to.
pub(crate) fn check_kernel(
    file: &ModelFile,
    hyper: Result<()>,
    resolved: &KernelFn,
    kernel: &super::Kernel,
) -> Result<()> {
    file.check_hyperparameters(hyper.and_then(|()| resolved.validate()))?;
    if !resolved.resolves(kernel) {
        return Err(file.format_error(format!(
            "the stored kernel {resolved:?} is not what the kernel hyperparameter {kernel:?} \
             resolves to"
        )));
    }
    Ok(())
}

fn to_i64(v: &[usize]) -> ndarray::ArrayD<i64> {
    Array1::from_iter(v.iter().map(|&u| u as i64)).into_dyn()
}

/// The entries of the `i64` tensor `what` as indices or counts.
pub(crate) fn to_usize(
    file: &ModelFile,
    a: ndarray::ArrayD<i64>,
    what: &str,
) -> Result<Vec<usize>> {
    use ndarray::Dimension;
    a.indexed_iter()
        .map(|(i, &v)| {
            usize::try_from(v).map_err(|_| {
                file.format_error_at(
                    format!("tensor `{what}` at index {:?}", i.slice()),
                    format!("negative entry {v} (indices and counts are >= 0)"),
                )
            })
        })
        .collect()
}

impl<F, L> Persist for FittedSvc<F, L>
where
    F: Float,
    L: Clone + Eq + Hash + Ord + Serialize + serde::de::DeserializeOwned,
{
    const KIND: &'static str = "Svc";

    fn to_model_file(&self) -> Result<ModelFile> {
        self.model_file(Self::KIND)
    }

    fn from_model_file(file: ModelFile) -> Result<Self> {
        Self::from_file_of(file, false)
    }
}

impl<F, L> Persist for FittedNuSvc<F, L>
where
    F: Float,
    L: Clone + Eq + Hash + Ord + Serialize + serde::de::DeserializeOwned,
{
    const KIND: &'static str = "NuSvc";

    fn to_model_file(&self) -> Result<ModelFile> {
        self.0.model_file(Self::KIND)
    }

    fn from_model_file(file: ModelFile) -> Result<Self> {
        FittedSvc::from_file_of(file, true).map(FittedNuSvc)
    }
}

impl<F, L> FittedSvc<F, L>
where
    F: Float,
    L: Clone + Eq + Hash + Ord + Serialize + serde::de::DeserializeOwned,
{
    /// The model file of a C-SVC (`kind` `"Svc"`) or ν-SVC (`"NuSvc"`).
    fn model_file(&self, kind: &str) -> Result<ModelFile> {
        let meta = SvcFileMeta {
            hyper: self.hyper.clone(),
            kernel: self.kernel,
            converged: self.converged,
        };
        let mut f = ModelFile::new(kind, F::NAME)
            .with_n_features(self.n_features)
            .with_hyperparameters(&meta)?
            .with_classes(&self.classes)?;
        f.push_i64("support", to_i64(&self.support));
        f.push_i64("n_support", to_i64(&self.n_support));
        f.push_i64("n_iter", to_i64(&self.n_iter));
        self.support_vectors.push_to(&mut f);
        f.push_float("dual_coef", self.dual_coef.clone().into_dyn());
        f.push_float("intercept", self.intercept.clone().into_dyn());
        f.push_f64("prob_a", Array1::from(self.prob_a.clone()).into_dyn());
        f.push_f64("prob_b", Array1::from(self.prob_b.clone()).into_dyn());
        f.push_f64("objective", Array1::from(self.objective.clone()).into_dyn());
        Ok(f)
    }

    /// Reads a C-SVC (`nu = false`) or ν-SVC model file.
    fn from_file_of(mut file: ModelFile, nu: bool) -> Result<Self> {
        file.expect_dtype(F::NAME)?;
        let meta: SvcFileMeta = file.hyperparameters()?;
        if meta.hyper.nu.is_some() != nu {
            return Err(file.format_error(if nu {
                "a NuSvc file must record `nu`"
            } else {
                "an Svc file must not record `nu`"
            }));
        }
        check_kernel(
            &file,
            meta.hyper.validate(),
            &meta.kernel,
            &meta.hyper.kernel,
        )?;
        let classes: Vec<L> = file.classes()?;
        let n_features = file.n_features()?;
        let k = classes.len();
        if k < 2 || classes.windows(2).any(|w| w[0] >= w[1]) {
            return Err(file.format_error("classes must be at least two, sorted and distinct"));
        }
        let n_pairs = k * (k - 1) / 2;
        let support = {
            let a = file.take_i64("support")?;
            to_usize(&file, a, "support")?
        };
        let n_support = {
            let a = file.take_i64("n_support")?;
            to_usize(&file, a, "n_support")?
        };
        let n_iter = {
            let a = file.take_i64("n_iter")?;
            to_usize(&file, a, "n_iter")?
        };
        let n_sv = support.len();
        if n_support.len() != k
            || n_support.iter().sum::<usize>() != n_sv
            || n_iter.len() != n_pairs
        {
            return Err(file.format_error("support / n_support / n_iter sizes are inconsistent"));
        }
        let precomputed = meta.kernel == KernelFn::Precomputed;
        let sv_rows = if precomputed { 0 } else { n_sv };
        let support_vectors = SupportVectors::take_from(&mut file, sv_rows, n_features)?;
        if precomputed && support.iter().any(|&s| s >= n_features) {
            return Err(file.format_error("support index beyond the training kernel"));
        }
        let dual_coef: Array2<F> = file.take_array2("dual_coef", [Some(k - 1), Some(n_sv)])?;
        let intercept: Array1<F> = file.take_array1("intercept", Some(n_pairs))?;
        let prob_a = file.take_f64("prob_a")?.iter().copied().collect::<Vec<_>>();
        let prob_b = file.take_f64("prob_b")?.iter().copied().collect::<Vec<_>>();
        let objective = file
            .take_f64("objective")?
            .iter()
            .copied()
            .collect::<Vec<_>>();
        if prob_a.len() != prob_b.len()
            || !(prob_a.is_empty() || prob_a.len() == n_pairs)
            || objective.len() != n_pairs
        {
            return Err(file.format_error("prob_a / prob_b / objective sizes are inconsistent"));
        }
        Ok(FittedSvc {
            hyper: meta.hyper,
            kernel: meta.kernel,
            classes,
            n_features,
            support,
            support_vectors,
            n_support,
            dual_coef,
            intercept,
            prob_a,
            prob_b,
            n_iter,
            objective,
            converged: meta.converged,
            sv_prep: Default::default(),
        })
    }
}

/// What a model file records besides the tensors.
#[derive(Serialize, Deserialize)]
struct SvrFileMeta {
    hyper: SvrHyper,
    kernel: KernelFn,
    converged: bool,
    n_iter: usize,
    objective: f64,
}

impl<F: Float> Persist for FittedSvr<F> {
    const KIND: &'static str = "Svr";

    fn to_model_file(&self) -> Result<ModelFile> {
        self.model_file(Self::KIND)
    }

    fn from_model_file(file: ModelFile) -> Result<Self> {
        Self::from_file_of(file, false)
    }
}

impl<F: Float> Persist for FittedNuSvr<F> {
    const KIND: &'static str = "NuSvr";

    fn to_model_file(&self) -> Result<ModelFile> {
        self.0.model_file(Self::KIND)
    }

    fn from_model_file(file: ModelFile) -> Result<Self> {
        FittedSvr::from_file_of(file, true).map(FittedNuSvr)
    }
}

impl<F: Float> FittedSvr<F> {
    /// The model file of an ε-SVR (`kind` `"Svr"`) or ν-SVR (`"NuSvr"`).
    fn model_file(&self, kind: &str) -> Result<ModelFile> {
        let meta = SvrFileMeta {
            hyper: self.hyper.clone(),
            kernel: self.kernel,
            converged: self.converged,
            n_iter: self.n_iter,
            objective: self.objective,
        };
        let mut f = ModelFile::new(kind, F::NAME)
            .with_n_features(self.n_features)
            .with_hyperparameters(&meta)?;
        f.push_i64(
            "support",
            Array1::from_iter(self.support.iter().map(|&u| u as i64)).into_dyn(),
        );
        self.support_vectors.push_to(&mut f);
        f.push_float("dual_coef", self.dual_coef.clone().into_dyn());
        f.push_float("intercept", Array1::from_elem(1, self.intercept).into_dyn());
        Ok(f)
    }

    /// Reads an ε-SVR (`nu = false`) or ν-SVR model file.
    fn from_file_of(mut file: ModelFile, nu: bool) -> Result<Self> {
        file.expect_dtype(F::NAME)?;
        let meta: SvrFileMeta = file.hyperparameters()?;
        if meta.hyper.nu.is_some() != nu {
            return Err(file.format_error(if nu {
                "a NuSvr file must record `nu`"
            } else {
                "an Svr file must not record `nu`"
            }));
        }
        check_kernel(
            &file,
            meta.hyper.validate(),
            &meta.kernel,
            &meta.hyper.kernel,
        )?;
        let n_features = file.n_features()?;
        let support = file.take_i64("support")?;
        let support = to_usize(&file, support, "support")?;
        let n_sv = support.len();
        let precomputed = meta.kernel == KernelFn::Precomputed;
        if precomputed && support.iter().any(|&s| s >= n_features) {
            return Err(file.format_error("support index beyond the training kernel"));
        }
        let support_vectors =
            SupportVectors::take_from(&mut file, if precomputed { 0 } else { n_sv }, n_features)?;
        let dual_coef: Array1<F> = file.take_array1("dual_coef", Some(n_sv))?;
        let intercept: Array1<F> = file.take_array1("intercept", Some(1))?;
        Ok(FittedSvr {
            hyper: meta.hyper,
            kernel: meta.kernel,
            n_features,
            support,
            support_vectors,
            dual_coef,
            intercept: intercept[0],
            n_iter: meta.n_iter,
            objective: meta.objective,
            converged: meta.converged,
            sv_prep: Default::default(),
        })
    }
}
