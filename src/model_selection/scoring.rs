//! Scorers: how a fitted model is rated on held-out rows, by name (as
//! scikit-learn's `scoring=` strings) or by a closure. Higher is always
//! better (losses are negated: `neg_mean_squared_error`).

use std::fmt;
use std::sync::Arc;

use ndarray::{Array1, ArrayView1};

use crate::compose::{Features, FittedEstimator, Target, TargetValues};
use crate::error::{Error, Result};
use crate::metrics::{self, Average};

/// The scorers known by name (scikit-learn's names and definitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Builtin {
    Accuracy,
    BalancedAccuracy,
    F1(Avg),
    Precision(Avg),
    Recall(Avg),
    RocAuc,
    RocAucOvr,
    NegLogLoss,
    R2,
    NegMse,
    NegRmse,
    NegMae,
    ExplainedVariance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Avg {
    Binary,
    Macro,
    Micro,
    Weighted,
}

/// Every name [`Scorer::named`] accepts.
pub const SCORER_NAMES: &[&str] = &[
    "accuracy",
    "balanced_accuracy",
    "f1",
    "f1_macro",
    "f1_micro",
    "f1_weighted",
    "precision",
    "precision_macro",
    "precision_micro",
    "precision_weighted",
    "recall",
    "recall_macro",
    "recall_micro",
    "recall_weighted",
    "roc_auc",
    "roc_auc_ovr",
    "neg_log_loss",
    "r2",
    "neg_mean_squared_error",
    "neg_root_mean_squared_error",
    "neg_mean_absolute_error",
    "explained_variance",
];

fn builtin(name: &str) -> Option<Builtin> {
    let avg = |suffix: &str| match suffix {
        "" => Some(Avg::Binary),
        "_macro" => Some(Avg::Macro),
        "_micro" => Some(Avg::Micro),
        "_weighted" => Some(Avg::Weighted),
        _ => None,
    };
    Some(match name {
        "accuracy" => Builtin::Accuracy,
        "balanced_accuracy" => Builtin::BalancedAccuracy,
        "roc_auc" => Builtin::RocAuc,
        "roc_auc_ovr" => Builtin::RocAucOvr,
        "neg_log_loss" => Builtin::NegLogLoss,
        "r2" => Builtin::R2,
        "neg_mean_squared_error" => Builtin::NegMse,
        "neg_root_mean_squared_error" => Builtin::NegRmse,
        "neg_mean_absolute_error" => Builtin::NegMae,
        "explained_variance" => Builtin::ExplainedVariance,
        _ => {
            if let Some(s) = name.strip_prefix("f1") {
                Builtin::F1(avg(s)?)
            } else if let Some(s) = name.strip_prefix("precision") {
                Builtin::Precision(avg(s)?)
            } else if let Some(s) = name.strip_prefix("recall") {
                Builtin::Recall(avg(s)?)
            } else {
                return None;
            }
        }
    })
}

/// A closure scorer: `(fitted model, rows, true targets) → score`.
pub type ScoreFn<Y> =
    dyn Fn(&dyn FittedEstimator<Y>, Features<'_>, ArrayView1<'_, Y>) -> Result<f64> + Send + Sync;

#[derive(Clone)]
enum Kind<Y: Target> {
    /// The estimator's own `score` (accuracy or R²).
    Default,
    Builtin(Builtin),
    Custom(Arc<ScoreFn<Y>>),
}

/// How a fitted model is rated on rows it did not see; higher is better.
///
/// - [`Scorer::named`]: scikit-learn's scorer names ([`SCORER_NAMES`]):
///   `accuracy`, `balanced_accuracy`, `f1`/`precision`/`recall` (binary:
///   the positive class is the larger of the model's two classes, as
///   scikit-learn's `pos_label=1` for 0/1 labels) and their `_macro`,
///   `_micro`, `_weighted` averages, `roc_auc` (binary; decision values,
///   else probabilities), `roc_auc_ovr`, `neg_log_loss` (probabilities),
///   `r2`, `neg_mean_squared_error`, `neg_root_mean_squared_error`,
///   `neg_mean_absolute_error`, `explained_variance`.
/// - [`Scorer::custom`]: any closure.
/// - [`Scorer::estimator_score`]: the model's own
///   [`score`](FittedEstimator::score) (scikit-learn's `scoring=None`).
///
/// # Example
/// ```
/// use oxilearn::compose::{Estimator, Features};
/// use oxilearn::logistic::LogisticRegression;
/// use oxilearn::model_selection::Scorer;
/// use oxilearn::ndarray::array;
///
/// let x = array![[0.0], [1.0], [2.0], [3.0]];
/// let y = array![0usize, 0, 1, 1];
/// let model = Estimator::fit(&LogisticRegression::new(), Features::from(&x), y.view())?;
/// let f1 = Scorer::named("f1_macro")?;
/// assert_eq!(f1.score(model.as_ref(), Features::from(&x), y.view())?, 1.0);
///
/// let errors = Scorer::custom("errors", |m, x, y| {
///     let p = m.predict(x)?;
///     Ok(-(p.iter().zip(y).filter(|(a, b)| a != b).count() as f64))
/// });
/// assert_eq!(errors.score(model.as_ref(), Features::from(&x), y.view())?, 0.0);
/// assert!(Scorer::<usize>::named("f2").is_err());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Clone)]
pub struct Scorer<Y: Target> {
    name: String,
    kind: Kind<Y>,
}

impl<Y: Target> fmt::Debug for Scorer<Y> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Scorer").field(&self.name).finish()
    }
}

impl<Y: Target> Scorer<Y> {
    /// The scorer called `name` (see [`SCORER_NAMES`]).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"scoring"`) for an unknown name, listing
    /// the known ones.
    pub fn named(name: &str) -> Result<Self> {
        let b = builtin(name).ok_or_else(|| {
            Error::invalid(
                "scoring",
                format!(
                    "unknown scorer {name:?}; known scorers: {}",
                    SCORER_NAMES.join(", ")
                ),
            )
        })?;
        Ok(Scorer {
            name: name.to_string(),
            kind: Kind::Builtin(b),
        })
    }

    /// A scorer from a closure `(fitted model, rows, true targets) → score`
    /// (higher is better), shown as `name`.
    pub fn custom(
        name: impl Into<String>,
        f: impl Fn(&dyn FittedEstimator<Y>, Features<'_>, ArrayView1<'_, Y>) -> Result<f64>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        Scorer {
            name: name.into(),
            kind: Kind::Custom(Arc::new(f)),
        }
    }

    /// The model's own [`score`](FittedEstimator::score): accuracy for
    /// classifiers, R² for regressors; named `"score"`.
    pub fn estimator_score() -> Self {
        Scorer {
            name: "score".to_string(),
            kind: Kind::Default,
        }
    }

    /// The scorer's name (the column names of `cv_results`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Rates `model` on rows `x` with true targets `y`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"scoring"`) for a classification scorer
    /// on continuous targets (or the reverse), or a binary scorer on a
    /// model with more than two classes; [`Error::Unsupported`] when the
    /// scorer needs probabilities or decision values the model does not
    /// have; whatever predicting or the metric returns.
    pub fn score(
        &self,
        model: &dyn FittedEstimator<Y>,
        x: Features<'_>,
        y: ArrayView1<'_, Y>,
    ) -> Result<f64> {
        match &self.kind {
            Kind::Default => model.score(x, y),
            Kind::Custom(f) => f(model, x, y),
            Kind::Builtin(b) => self.builtin_score(*b, model, x, y),
        }
    }

    fn needs(&self, what: &str) -> Error {
        Error::invalid("scoring", format!("scorer {:?} needs {what}", self.name))
    }

    /// Codes of `y_true` and `y_pred` over their sorted union, plus the code
    /// of the positive class for binary averages.
    fn class_codes(
        &self,
        model: &dyn FittedEstimator<Y>,
        y_true: ArrayView1<'_, Y>,
        y_pred: ArrayView1<'_, Y>,
        binary: bool,
    ) -> Result<(Array1<usize>, Array1<usize>, Option<usize>)> {
        let classes: Array1<Y> = model
            .classes()
            .map(|c| c.to_vec())
            .unwrap_or_default()
            .into();
        let mut enc = Y::encode_joint(&[y_true, y_pred, classes.view()]).into_iter();
        let (t, p, c) = (enc.next(), enc.next(), enc.next());
        let (
            Some(TargetValues::Classes { codes: t, .. }),
            Some(TargetValues::Classes { codes: p, .. }),
            Some(TargetValues::Classes { codes: c, .. }),
        ) = (t, p, c)
        else {
            return Err(self.needs("class labels (a label target type, not floats)"));
        };
        let pos = if binary {
            match c.len() {
                2 => Some(c[1]),
                k => {
                    return Err(self.needs(&format!(
                        "a model of two classes (it has {k}); use a _macro, _micro or _weighted average"
                    )));
                }
            }
        } else {
            None
        };
        Ok((t, p, pos))
    }

    /// Codes of `y_true` in the model's classes (columns of its
    /// probabilities).
    fn codes_in_classes(
        &self,
        model: &dyn FittedEstimator<Y>,
        y_true: ArrayView1<'_, Y>,
    ) -> Result<(Array1<usize>, usize)> {
        let classes: Array1<Y> = model
            .classes()
            .ok_or_else(|| self.needs("a classifier"))?
            .to_vec()
            .into();
        let mut enc = Y::encode_joint(&[y_true, classes.view()]).into_iter();
        match (enc.next(), enc.next()) {
            (
                Some(TargetValues::Classes { codes, n_classes }),
                Some(TargetValues::Classes { codes: c, .. }),
            ) => {
                if n_classes != c.len() {
                    return Err(Error::invalid(
                        "y",
                        format!(
                            "the targets hold a label the model never saw (scorer {:?})",
                            self.name
                        ),
                    ));
                }
                Ok((codes, c.len()))
            }
            _ => Err(self.needs("class labels (a label target type, not floats)")),
        }
    }

    fn builtin_score(
        &self,
        b: Builtin,
        model: &dyn FittedEstimator<Y>,
        x: Features<'_>,
        y: ArrayView1<'_, Y>,
    ) -> Result<f64> {
        let avg = |a: Avg, pos: Option<usize>| match a {
            Avg::Binary => Average::Binary {
                pos_label: pos.unwrap_or(1),
            },
            Avg::Macro => Average::Macro,
            Avg::Micro => Average::Micro,
            Avg::Weighted => Average::Weighted,
        };
        match b {
            Builtin::Accuracy
            | Builtin::BalancedAccuracy
            | Builtin::F1(_)
            | Builtin::Precision(_)
            | Builtin::Recall(_) => {
                let pred = model.predict(x)?;
                let binary = matches!(
                    b,
                    Builtin::F1(Avg::Binary)
                        | Builtin::Precision(Avg::Binary)
                        | Builtin::Recall(Avg::Binary)
                );
                let (t, p, pos) = self.class_codes(model, y, pred.view(), binary)?;
                let (t, p) = (t.view(), p.view());
                match b {
                    Builtin::Accuracy => metrics::accuracy_score(t, p),
                    Builtin::BalancedAccuracy => metrics::balanced_accuracy_score(t, p),
                    Builtin::F1(a) => metrics::f1_score(t, p, avg(a, pos)),
                    Builtin::Precision(a) => metrics::precision_score(t, p, avg(a, pos)),
                    Builtin::Recall(a) => metrics::recall_score(t, p, avg(a, pos)),
                    _ => unreachable!("classification scorers only"),
                }
            }
            Builtin::RocAuc => {
                let (codes, k) = self.codes_in_classes(model, y)?;
                if k != 2 {
                    return Err(self.needs(&format!(
                        "a model of two classes (it has {k}); use roc_auc_ovr"
                    )));
                }
                let scores = match model.decision_function(x.reborrow()) {
                    Ok(d) => d.column(0).to_owned(),
                    Err(Error::Unsupported { .. }) => model.predict_proba(x)?.column(1).to_owned(),
                    Err(e) => return Err(e),
                };
                metrics::roc_auc_score(codes.view(), scores.view())
            }
            Builtin::RocAucOvr => {
                let (codes, k) = self.codes_in_classes(model, y)?;
                let proba = model.predict_proba(x)?;
                let labels: Vec<usize> = (0..k).collect();
                if k == 2 {
                    // scikit-learn's roc_auc_ovr on two classes is the binary AUC.
                    return metrics::roc_auc_score(codes.view(), proba.column(1));
                }
                metrics::roc_auc_ovr_score(codes.view(), proba.view(), &labels)
            }
            Builtin::NegLogLoss => {
                let (codes, k) = self.codes_in_classes(model, y)?;
                let proba = model.predict_proba(x)?;
                let labels: Vec<usize> = (0..k).collect();
                Ok(-metrics::log_loss(
                    codes.view(),
                    proba.view(),
                    Some(&labels),
                )?)
            }
            Builtin::R2
            | Builtin::NegMse
            | Builtin::NegRmse
            | Builtin::NegMae
            | Builtin::ExplainedVariance => {
                let pred = model.predict(x)?;
                let mut enc = Y::encode_joint(&[y, pred.view()]).into_iter();
                let (Some(TargetValues::Continuous(t)), Some(TargetValues::Continuous(p))) =
                    (enc.next(), enc.next())
                else {
                    return Err(self.needs("continuous targets (a regressor)"));
                };
                let (t, p) = (t.view(), p.view());
                match b {
                    Builtin::R2 => metrics::r2_score(t, p),
                    Builtin::NegMse => Ok(-metrics::mean_squared_error(t, p)?),
                    Builtin::NegRmse => Ok(-metrics::mean_squared_error(t, p)?.sqrt()),
                    Builtin::NegMae => Ok(-metrics::mean_absolute_error(t, p)?),
                    Builtin::ExplainedVariance => metrics::explained_variance_score(t, p),
                    _ => unreachable!("regression scorers only"),
                }
            }
        }
    }
}

/// Scorers from names, e.g. `scorers(&["accuracy", "f1_macro"])`.
///
/// # Errors
/// As [`Scorer::named`]; [`Error::InvalidParameter`] (`"scoring"`) for an
/// empty list or a name given twice.
///
/// # Example
/// ```
/// use oxilearn::model_selection::scorers;
/// let s = scorers::<usize>(&["accuracy", "f1_macro"])?;
/// assert_eq!(s[1].name(), "f1_macro");
/// assert!(scorers::<usize>(&["accuracy", "accuracy"]).is_err());
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn scorers<Y: Target>(names: &[&str]) -> Result<Vec<Scorer<Y>>> {
    let list = names
        .iter()
        .map(|n| Scorer::named(n))
        .collect::<Result<Vec<_>>>()?;
    check_scorers(&list)?;
    Ok(list)
}

/// At least one scorer, unique names.
pub(crate) fn check_scorers<Y: Target>(list: &[Scorer<Y>]) -> Result<()> {
    if list.is_empty() {
        return Err(Error::invalid("scoring", "at least one scorer is needed"));
    }
    for (i, s) in list.iter().enumerate() {
        if list[..i].iter().any(|o| o.name == s.name) {
            return Err(Error::invalid(
                "scoring",
                format!("scorer name {:?} is used twice", s.name),
            ));
        }
    }
    Ok(())
}
