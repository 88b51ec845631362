//! Cross-validation: fit on each training fold, score on its test fold.
//!
//! Folds run in parallel on rayon; every fold's result lands in its own slot,
//! so the results are identical on any number of threads.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView1, Axis};
use rayon::prelude::*;

use super::scoring::{Scorer, check_scorers};
use super::split::{Fold, KFold, SplitData, Splitter, StratifiedKFold};
use crate::compose::{Estimator, Features, FittedEstimator, Target, TargetValues};
use crate::error::{Error, Result};

/// What a fit or a score that fails becomes (scikit-learn's `error_score`).
///
/// # Example
/// ```
/// use oxilearn::model_selection::ErrorScore;
/// assert!(matches!(ErrorScore::default(), ErrorScore::Value(v) if v.is_nan()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ErrorScore {
    /// Stop and return the error (of the first failing fold, in fold
    /// order).
    Raise,
    /// Record the error and use this score (default NaN, which ranks last
    /// in searches).
    Value(f64),
}

impl Default for ErrorScore {
    fn default() -> Self {
        ErrorScore::Value(f64::NAN)
    }
}

/// Group codes (sorted order) for any ordered group type.
pub(crate) fn group_codes<G: Ord>(groups: &[G]) -> Vec<usize> {
    let mut index: BTreeMap<&G, usize> = groups.iter().map(|g| (g, 0)).collect();
    for (i, code) in index.values_mut().enumerate() {
        *code = i;
    }
    groups.iter().map(|g| index[g]).collect()
}

/// The folds of `cv` (or of the default: 5 stratified folds for class
/// labels, 5 folds otherwise) on `n` rows with targets `y`.
pub(crate) fn make_folds<Y: Target>(
    cv: Option<&dyn Splitter>,
    n: usize,
    y: ArrayView1<'_, Y>,
    groups: Option<&[usize]>,
) -> Result<Vec<Fold>> {
    let mut data = SplitData::new(n).with_targets(y)?;
    if let Some(g) = groups {
        data = data.with_groups(g)?;
    }
    match cv {
        Some(cv) => cv.split(&data),
        None => match Y::target_values(y) {
            TargetValues::Classes { .. } => StratifiedKFold::new(5).split(&data),
            TargetValues::Continuous(_) => KFold::new(5).split(&data),
        },
    }
}

/// The outcome of one fit on one fold.
pub(crate) struct FoldOutcome<Y: Target> {
    pub fit_time: f64,
    pub score_time: f64,
    pub test: Vec<f64>,
    pub train: Option<Vec<f64>>,
    pub model: Option<Box<dyn FittedEstimator<Y>>>,
    pub error: Option<Error>,
}

/// The outcomes back, or the first error: with [`ErrorScore::Raise`] any
/// failure is fatal; otherwise only every evaluation failing is, since that
/// is a configuration error (a scorer the model cannot serve, invalid
/// hyperparameters) rather than one unlucky fold.
pub(super) fn raise_failures<Y: Target>(
    mut outcomes: Vec<FoldOutcome<Y>>,
    error_score: ErrorScore,
) -> Result<Vec<FoldOutcome<Y>>> {
    let all_failed = outcomes.iter().all(|o| o.error.is_some());
    if (error_score == ErrorScore::Raise || all_failed)
        && let Some(k) = outcomes.iter().position(|o| o.error.is_some())
    {
        return Err(outcomes.swap_remove(k).error.expect("found above"));
    }
    Ok(outcomes)
}

/// Shared settings of one evaluation.
pub(crate) struct EvalSettings<'s, Y: Target> {
    pub scorers: &'s [Scorer<Y>],
    pub train_score: bool,
    pub keep_model: bool,
    pub error_score: ErrorScore,
}

/// Fits `estimator` on `fold.0`, scores it on `fold.1` (and on `fold.0`).
pub(crate) fn evaluate<Y: Target>(
    estimator: &dyn Estimator<Y>,
    x: Features<'_>,
    y: ArrayView1<'_, Y>,
    fold: &Fold,
    s: &EvalSettings<'_, Y>,
) -> FoldOutcome<Y> {
    let (train, test) = fold;
    let x_train = x.select_rows(train);
    let y_train = y.select(Axis(0), train);
    let start = Instant::now();
    let fitted = estimator.fit(x_train.view(), y_train.view());
    let fit_time = start.elapsed().as_secs_f64();
    let x_test = x.select_rows(test);
    let y_test = y.select(Axis(0), test);
    score_fitted(
        fitted,
        fit_time,
        (x_train.view(), y_train.view()),
        (x_test.view(), y_test.view()),
        s,
    )
}

/// The outcome of a fit (`fitted`, which took `fit_time` seconds): its test
/// scores (and train scores), or the fit's error with the fill score.
pub(crate) fn score_fitted<Y: Target>(
    fitted: Result<Box<dyn FittedEstimator<Y>>>,
    fit_time: f64,
    train: (Features<'_>, ArrayView1<'_, Y>),
    test: (Features<'_>, ArrayView1<'_, Y>),
    s: &EvalSettings<'_, Y>,
) -> FoldOutcome<Y> {
    let fill = match s.error_score {
        ErrorScore::Value(v) => v,
        ErrorScore::Raise => f64::NAN,
    };
    let model = match fitted {
        Ok(m) => m,
        Err(e) => {
            return FoldOutcome {
                fit_time,
                score_time: 0.0,
                test: vec![fill; s.scorers.len()],
                train: s.train_score.then(|| vec![fill; s.scorers.len()]),
                model: None,
                error: Some(e),
            };
        }
    };
    let start = Instant::now();
    let mut error = None;
    let mut score_all = |xs: Features<'_>, ys: ArrayView1<'_, Y>| -> Vec<f64> {
        s.scorers
            .iter()
            .map(|sc| match sc.score(model.as_ref(), xs.reborrow(), ys) {
                Ok(v) => v,
                Err(e) => {
                    error.get_or_insert(e);
                    fill
                }
            })
            .collect()
    };
    let test_scores = score_all(test.0, test.1);
    let score_time = start.elapsed().as_secs_f64();
    let train_scores = s.train_score.then(|| score_all(train.0, train.1));
    FoldOutcome {
        fit_time,
        score_time,
        test: test_scores,
        train: train_scores,
        model: s.keep_model.then_some(model),
        error,
    }
}

/// Cross-validation settings (scikit-learn's `cross_validate` arguments):
/// the splitter, the scorers, train scores, keeping the fitted models, and
/// what a failing fold becomes.
///
/// Defaults: 5 stratified folds for class labels (5 plain folds for
/// continuous targets), the estimator's own score, no train scores, models
/// not kept, failures recorded as NaN scores ([`ErrorScore::Value`]).
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::model_selection::{scorers, CrossValidate, StratifiedKFold};
///
/// let iris = oxilearn::datasets::iris();
/// let pipe = Pipeline::new()
///     .transform("scaler", StandardScaler::new())
///     .estimator("logistic", LogisticRegression::new());
/// let res = CrossValidate::new()
///     .cv(StratifiedKFold::new(5))
///     .scoring(scorers(&["accuracy", "f1_macro"])?)
///     .return_train_score(true)
///     .run(&pipe, &iris.records, iris.targets.view())?;
/// assert_eq!(res.n_folds(), 5);
/// assert!(res.mean_test_score("accuracy").unwrap() > 0.9);
/// assert!(res.train_scores("f1_macro").unwrap().iter().all(|&s| s > 0.9));
/// println!("{res}");
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CrossValidate<Y: Target> {
    cv: Option<Box<dyn Splitter>>,
    groups: Option<Vec<usize>>,
    pub(super) scorers: Vec<Scorer<Y>>,
    return_train_score: bool,
    return_estimator: bool,
    pub(super) error_score: ErrorScore,
}

impl<Y: Target> Default for CrossValidate<Y> {
    fn default() -> Self {
        CrossValidate {
            cv: None,
            groups: None,
            scorers: vec![Scorer::estimator_score()],
            return_train_score: false,
            return_estimator: false,
            error_score: ErrorScore::default(),
        }
    }
}

impl<Y: Target> CrossValidate<Y> {
    /// The defaults (see the type's docs).
    pub fn new() -> Self {
        Self::default()
    }

    /// The splitter.
    pub fn cv(mut self, cv: impl Splitter + 'static) -> Self {
        self.cv = Some(Box::new(cv));
        self
    }

    /// A boxed splitter.
    pub fn cv_boxed(mut self, cv: Box<dyn Splitter>) -> Self {
        self.cv = Some(cv);
        self
    }

    /// The group of every row, for group splitters ([`GroupKFold`](super::GroupKFold)).
    pub fn groups<G: Ord>(mut self, groups: &[G]) -> Self {
        self.groups = Some(group_codes(groups));
        self
    }

    /// The scorers (one score column each); see [`scorers`](super::scorers).
    pub fn scoring(mut self, scorers: Vec<Scorer<Y>>) -> Self {
        self.scorers = scorers;
        self
    }

    /// One scorer.
    pub fn scorer(self, scorer: Scorer<Y>) -> Self {
        self.scoring(vec![scorer])
    }

    /// Also score each model on its own training rows.
    pub fn return_train_score(mut self, yes: bool) -> Self {
        self.return_train_score = yes;
        self
    }

    /// Keep each fold's fitted model.
    pub fn return_estimator(mut self, yes: bool) -> Self {
        self.return_estimator = yes;
        self
    }

    /// What a failing fit or score becomes.
    pub fn error_score(mut self, e: ErrorScore) -> Self {
        self.error_score = e;
        self
    }

    pub(super) fn folds(&self, x: Features<'_>, y: ArrayView1<'_, Y>) -> Result<Vec<Fold>> {
        if y.len() != x.n_rows() {
            return Err(Error::ShapeMismatch {
                what: "y (one target per row of x)",
                expected: vec![x.n_rows()],
                got: vec![y.len()],
            });
        }
        make_folds(self.cv.as_deref(), x.n_rows(), y, self.groups.as_deref())
    }

    /// Cross-validates `estimator` on `x`, `y`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for `y` or groups of the wrong length; the
    /// splitter's errors; [`Error::InvalidParameter`] (`"scoring"`) for no
    /// scorers or a name used twice; with [`ErrorScore::Raise`], the first
    /// failing fold's error; otherwise the first error when every fold fails
    /// (e.g. [`Error::Unsupported`] for a scorer that needs probabilities of
    /// a model without them).
    pub fn run<'a>(
        &self,
        estimator: &dyn Estimator<Y>,
        x: impl Into<Features<'a>>,
        y: ArrayView1<'_, Y>,
    ) -> Result<CvResults<Y>> {
        let x = x.into();
        check_scorers(&self.scorers)?;
        let folds = self.folds(x, y)?;
        let settings = EvalSettings {
            scorers: &self.scorers,
            train_score: self.return_train_score,
            keep_model: self.return_estimator,
            error_score: self.error_score,
        };
        let outcomes: Vec<FoldOutcome<Y>> = folds
            .par_iter()
            .map(|fold| evaluate(estimator, x, y, fold, &settings))
            .collect();
        let outcomes = raise_failures(outcomes, self.error_score)?;
        let (nf, ns) = (folds.len(), self.scorers.len());
        let mut test = Array2::zeros((nf, ns));
        let mut train = self.return_train_score.then(|| Array2::zeros((nf, ns)));
        let mut fit_time = Array1::zeros(nf);
        let mut score_time = Array1::zeros(nf);
        let mut estimators = self.return_estimator.then(Vec::new);
        let mut errors = Vec::with_capacity(nf);
        for (f, o) in outcomes.into_iter().enumerate() {
            test.row_mut(f).assign(&Array1::from(o.test));
            if let (Some(t), Some(v)) = (train.as_mut(), o.train) {
                t.row_mut(f).assign(&Array1::from(v));
            }
            fit_time[f] = o.fit_time;
            score_time[f] = o.score_time;
            if let Some(e) = estimators.as_mut() {
                e.push(o.model);
            }
            errors.push(o.error);
        }
        Ok(CvResults {
            scorer_names: self.scorers.iter().map(|s| s.name().to_string()).collect(),
            test,
            train,
            fit_time,
            score_time,
            estimators,
            errors,
            folds,
        })
    }

    /// Out-of-fold predictions: each row predicted by the model that did not
    /// see it (scikit-learn's `cross_val_predict`).
    ///
    /// # Errors
    /// As [`run`](Self::run) (a failing fold is always an error here);
    /// [`Error::InvalidParameter`] (`"cv"`) when the test folds do not
    /// cover every row exactly once.
    pub fn predict<'a>(
        &self,
        estimator: &dyn Estimator<Y>,
        x: impl Into<Features<'a>>,
        y: ArrayView1<'_, Y>,
    ) -> Result<Array1<Y>> {
        let x = x.into();
        let folds = self.partition_folds(x, y)?;
        let parts = folds
            .par_iter()
            .map(|(train, test)| {
                let model = fit_rows(estimator, x, y, train)?;
                model.predict(x.select_rows(test).view())
            })
            .collect::<Result<Vec<_>>>()?;
        let mut out: Vec<Option<Y>> = vec![None; x.n_rows()];
        for ((_, test), pred) in folds.iter().zip(parts) {
            for (&i, p) in test.iter().zip(pred) {
                out[i] = Some(p);
            }
        }
        Ok(out
            .into_iter()
            .map(|v| v.expect("folds partition the rows"))
            .collect())
    }

    /// Out-of-fold class probabilities, `n_rows × n_classes` with the
    /// columns in the sorted order of the classes of `y`; a class missing
    /// from a training fold gets probability 0 in that fold's rows (as
    /// scikit-learn's `cross_val_predict(method="predict_proba")`).
    ///
    /// # Errors
    /// As [`predict`](Self::predict); [`Error::Unsupported`] for models
    /// without probabilities; [`Error::InvalidParameter`] (`"y"`) for
    /// continuous targets.
    pub fn predict_proba<'a>(
        &self,
        estimator: &dyn Estimator<Y>,
        x: impl Into<Features<'a>>,
        y: ArrayView1<'_, Y>,
    ) -> Result<Array2<f64>> {
        let x = x.into();
        let n_classes = match Y::target_values(y) {
            TargetValues::Classes { n_classes, .. } => n_classes,
            TargetValues::Continuous(_) => {
                return Err(Error::invalid(
                    "y",
                    "predict_proba needs class labels, not continuous targets",
                ));
            }
        };
        let folds = self.partition_folds(x, y)?;
        let parts = folds
            .par_iter()
            .map(|(train, test)| {
                let model = fit_rows(estimator, x, y, train)?;
                let proba = model.predict_proba(x.select_rows(test).view())?;
                let classes: Array1<Y> = model.classes().unwrap_or_default().to_vec().into();
                let mut enc = Y::encode_joint(&[y, classes.view()]).into_iter();
                let cols = match (enc.next(), enc.next()) {
                    (Some(_), Some(TargetValues::Classes { codes, .. })) => codes,
                    _ => unreachable!("y holds class labels"),
                };
                Ok((proba, cols))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut out = Array2::zeros((x.n_rows(), n_classes));
        for ((_, test), (proba, cols)) in folds.iter().zip(parts) {
            for (r, &i) in test.iter().enumerate() {
                for (c, &col) in cols.iter().enumerate() {
                    out[[i, col]] = proba[[r, c]];
                }
            }
        }
        Ok(out)
    }

    fn partition_folds(&self, x: Features<'_>, y: ArrayView1<'_, Y>) -> Result<Vec<Fold>> {
        let folds = self.folds(x, y)?;
        let mut seen = vec![0usize; x.n_rows()];
        for (_, test) in &folds {
            for &i in test {
                seen[i] += 1;
            }
        }
        if let Some(i) = seen.iter().position(|&c| c != 1) {
            return Err(Error::invalid(
                "cv",
                format!(
                    "out-of-fold predictions need test folds that cover every row exactly once; \
                     row {i} is in {} test folds",
                    seen[i]
                ),
            ));
        }
        Ok(folds)
    }
}

fn fit_rows<Y: Target>(
    estimator: &dyn Estimator<Y>,
    x: Features<'_>,
    y: ArrayView1<'_, Y>,
    rows: &[usize],
) -> Result<Box<dyn FittedEstimator<Y>>> {
    let xs = x.select_rows(rows);
    estimator.fit(xs.view(), y.select(Axis(0), rows).view())
}

/// A fold's fitted model; `None` where its fit failed.
pub type FoldModel<Y> = Option<Box<dyn FittedEstimator<Y>>>;

/// The results of [`CrossValidate::run`] (scikit-learn's `cross_validate`
/// dictionary): per fold and scorer, test (and train) scores; fit and score
/// times in seconds; the fitted models if kept; each fold's error, if any.
///
/// `Display` prints one row per fold and the mean ± std of each score.
///
/// # Example
/// See [`CrossValidate`].
#[derive(Debug)]
pub struct CvResults<Y: Target> {
    scorer_names: Vec<String>,
    test: Array2<f64>,
    train: Option<Array2<f64>>,
    fit_time: Array1<f64>,
    score_time: Array1<f64>,
    estimators: Option<Vec<FoldModel<Y>>>,
    errors: Vec<Option<Error>>,
    folds: Vec<Fold>,
}

impl<Y: Target> CvResults<Y> {
    /// Number of folds.
    pub fn n_folds(&self) -> usize {
        self.folds.len()
    }

    /// The folds, as the splitter made them.
    pub fn folds(&self) -> &[Fold] {
        &self.folds
    }

    /// The scorer names, in column order.
    pub fn scorer_names(&self) -> &[String] {
        &self.scorer_names
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.scorer_names.iter().position(|n| n == name)
    }

    /// Test scores of scorer `name`, one per fold.
    pub fn test_scores(&self, name: &str) -> Option<ArrayView1<'_, f64>> {
        self.column(name).map(|j| self.test.column(j))
    }

    /// Train scores of scorer `name` (when asked for).
    pub fn train_scores(&self, name: &str) -> Option<ArrayView1<'_, f64>> {
        let j = self.column(name)?;
        self.train.as_ref().map(|t| t.column(j))
    }

    /// Mean test score of scorer `name` over the folds (NaN when a fold
    /// failed with the default [`ErrorScore`]).
    pub fn mean_test_score(&self, name: &str) -> Option<f64> {
        self.test_scores(name).map(|s| s.mean().unwrap_or(f64::NAN))
    }

    /// Standard deviation (population, as NumPy's `std`) of the test scores
    /// of scorer `name`.
    pub fn std_test_score(&self, name: &str) -> Option<f64> {
        self.test_scores(name).map(|s| s.std(0.0))
    }

    /// Seconds spent fitting, per fold.
    pub fn fit_time(&self) -> ArrayView1<'_, f64> {
        self.fit_time.view()
    }

    /// Seconds spent scoring on the test fold, per fold.
    pub fn score_time(&self) -> ArrayView1<'_, f64> {
        self.score_time.view()
    }

    /// The fitted model of each fold (when asked for; `None` for a fold
    /// whose fit failed).
    pub fn estimators(&self) -> Option<&[FoldModel<Y>]> {
        self.estimators.as_deref()
    }

    /// The error of each fold (`None` where the fold fitted and scored).
    pub fn errors(&self) -> &[Option<Error>] {
        &self.errors
    }
}

impl<Y: Target> fmt::Display for CvResults<Y> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>5} {:>10}", "fold", "fit_time")?;
        for n in &self.scorer_names {
            write!(f, " {:>14}", format!("test_{n}"))?;
        }
        writeln!(f)?;
        for i in 0..self.n_folds() {
            write!(f, "{:>5} {:>10.4}", i, self.fit_time[i])?;
            for j in 0..self.scorer_names.len() {
                write!(f, " {:>14.6}", self.test[[i, j]])?;
            }
            if let Some(e) = &self.errors[i] {
                write!(f, "  error: {e}")?;
            }
            writeln!(f)?;
        }
        for n in &self.scorer_names {
            writeln!(
                f,
                "{n}: {:.6} ± {:.6}",
                self.mean_test_score(n).unwrap_or(f64::NAN),
                self.std_test_score(n).unwrap_or(f64::NAN)
            )?;
        }
        Ok(())
    }
}

/// Test scores of one scorer over the folds of `cv` (scikit-learn's
/// `cross_val_score`).
///
/// # Errors
/// As [`CrossValidate::run`], with failures raised.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::model_selection::{cross_val_score, KFold, Scorer};
///
/// let data = oxilearn::datasets::diabetes();
/// let scores = cross_val_score(&Ridge::new().alpha(0.1), &data.records, data.targets.view(),
///     KFold::new(5), &Scorer::named("r2")?)?;
/// assert_eq!(scores.len(), 5);
/// assert!(scores.mean().unwrap() > 0.4);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn cross_val_score<'a, Y: Target>(
    estimator: &dyn Estimator<Y>,
    x: impl Into<Features<'a>>,
    y: ArrayView1<'_, Y>,
    cv: impl Splitter + 'static,
    scorer: &Scorer<Y>,
) -> Result<Array1<f64>> {
    let res = CrossValidate::new()
        .cv(cv)
        .scorer(scorer.clone())
        .error_score(ErrorScore::Raise)
        .run(estimator, x, y)?;
    Ok(res.test.column(0).to_owned())
}

/// Out-of-fold predictions over the folds of `cv` (scikit-learn's
/// `cross_val_predict`); see [`CrossValidate::predict`] and
/// [`CrossValidate::predict_proba`].
///
/// # Errors
/// As [`CrossValidate::predict`].
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::model_selection::{cross_val_predict, StratifiedKFold};
///
/// let iris = oxilearn::datasets::iris();
/// let pred = cross_val_predict(&LogisticRegression::new(), &iris.records, iris.targets.view(),
///     StratifiedKFold::new(5))?;
/// let acc = oxilearn::metrics::accuracy_score(iris.targets.view(), pred.view())?;
/// assert!(acc > 0.9);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn cross_val_predict<'a, Y: Target>(
    estimator: &dyn Estimator<Y>,
    x: impl Into<Features<'a>>,
    y: ArrayView1<'_, Y>,
    cv: impl Splitter + 'static,
) -> Result<Array1<Y>> {
    CrossValidate::new().cv(cv).predict(estimator, x, y)
}
