//! Validation and learning curves: cross-validated train and test scores as
//! one parameter or the training-set size varies (scikit-learn's
//! `validation_curve` and `learning_curve`).

use std::fmt;

use ndarray::{Array1, Array2, ArrayView1, Axis};
use rayon::prelude::*;

use super::cross_val::{CrossValidate, EvalSettings, FoldOutcome, evaluate, raise_failures};
use super::search::ParamGrid;
use super::split::SplitSize;
use crate::compose::{Estimator, Features, Target};
use crate::error::{Error, Result};

fn one_scorer<Y: Target>(cv: &CrossValidate<Y>) -> Result<()> {
    if cv.scorers.len() != 1 {
        return Err(Error::invalid(
            "scoring",
            format!("a curve plots one scorer, {} were given", cv.scorers.len()),
        ));
    }
    Ok(())
}

fn mean_std(scores: &Array2<f64>) -> (Array1<f64>, Array1<f64>) {
    let mean = scores.mean_axis(Axis(1)).unwrap_or_default();
    let std = scores.std_axis(Axis(1), 0.0);
    (mean, std)
}

/// The scores of [`validation_curve`]: one row per parameter value, one
/// column per fold.
///
/// `Display` prints one line per value with the mean ± std of the train and
/// test scores.
///
/// # Example
/// See [`validation_curve`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationCurve {
    /// The parameter's display name.
    pub param_name: String,
    /// Each value as shown.
    pub param_values: Vec<String>,
    /// Scores on the training folds, `n_values × n_folds`.
    pub train_scores: Array2<f64>,
    /// Scores on the test folds, `n_values × n_folds`.
    pub test_scores: Array2<f64>,
}

impl ValidationCurve {
    /// Mean and standard deviation over the folds of the train scores.
    pub fn train_mean_std(&self) -> (Array1<f64>, Array1<f64>) {
        mean_std(&self.train_scores)
    }

    /// Mean and standard deviation over the folds of the test scores.
    pub fn test_mean_std(&self) -> (Array1<f64>, Array1<f64>) {
        mean_std(&self.test_scores)
    }
}

fn print_curve(
    f: &mut fmt::Formatter<'_>,
    head: &str,
    xs: &[String],
    train: &Array2<f64>,
    test: &Array2<f64>,
) -> fmt::Result {
    let (trm, trs) = mean_std(train);
    let (tem, tes) = mean_std(test);
    let w = xs
        .iter()
        .map(|x| x.len())
        .max()
        .unwrap_or(0)
        .max(head.len());
    writeln!(f, "{head:>w$}  {:>17}  {:>17}", "train", "test")?;
    for (i, x) in xs.iter().enumerate() {
        writeln!(
            f,
            "{x:>w$}  {:>8.4} ± {:<6.4}  {:>8.4} ± {:<6.4}",
            trm[i], trs[i], tem[i], tes[i]
        )?;
    }
    Ok(())
}

impl fmt::Display for ValidationCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        print_curve(
            f,
            &self.param_name,
            &self.param_values,
            &self.train_scores,
            &self.test_scores,
        )
    }
}

/// Cross-validated train and test scores for each value of one parameter
/// (scikit-learn's `validation_curve`): `grid` has exactly one axis, `cv`
/// gives the splitter, the one scorer and the error score (its
/// `return_train_score`/`return_estimator` are ignored). Folds run in
/// parallel; the result is identical on any thread count.
///
/// # Errors
/// [`Error::InvalidParameter`] (`"grid"`) unless the grid has exactly one
/// parameter with at least one value, (`"scoring"`) unless `cv` has exactly
/// one scorer; otherwise as [`CrossValidate::run`].
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::model_selection::{validation_curve, CrossValidate, KFold, ParamGrid, Scorer};
/// use oxilearn::datasets;
///
/// let d = datasets::diabetes();
/// let grid = ParamGrid::new(Ridge::new()).axis("alpha", [0.01, 1.0, 100.0], |r: Ridge, a| r.alpha(a));
/// let cv = CrossValidate::new().cv(KFold::new(3)).scorer(Scorer::named("r2")?);
/// let curve = validation_curve(&grid, &d.records, d.targets.view(), &cv)?;
/// assert_eq!(curve.test_scores.dim(), (3, 3));
/// println!("{curve}");
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn validation_curve<'a, Y, E>(
    grid: &ParamGrid<E>,
    x: impl Into<Features<'a>>,
    y: ArrayView1<'_, Y>,
    cv: &CrossValidate<Y>,
) -> Result<ValidationCurve>
where
    Y: Target,
    E: Estimator<Y> + Clone + Send + Sync + 'static,
{
    let x = x.into();
    let Some(param_name) = grid.single_axis().map(str::to_string) else {
        return Err(Error::invalid(
            "grid",
            "a validation curve varies exactly one parameter (one grid, one axis)",
        ));
    };
    one_scorer(cv)?;
    let candidates = grid.build::<Y>()?;
    let cv = cv.clone().return_train_score(true).return_estimator(false);
    let name = cv.scorers[0].name().to_string();
    let mut param_values = Vec::with_capacity(candidates.len());
    let mut train_rows = Vec::new();
    let mut test_rows = Vec::new();
    for c in &candidates {
        let r = cv.run(c.estimator.as_ref(), x.reborrow(), y)?;
        param_values.push(c.params[0].1.clone());
        test_rows.push(r.test_scores(&name).expect("the scorer").to_owned());
        train_rows.push(r.train_scores(&name).expect("train scores").to_owned());
    }
    Ok(ValidationCurve {
        param_name,
        param_values,
        train_scores: stack(&train_rows),
        test_scores: stack(&test_rows),
    })
}

fn stack(rows: &[Array1<f64>]) -> Array2<f64> {
    let cols = rows.first().map_or(0, |r| r.len());
    let mut out = Array2::zeros((rows.len(), cols));
    for (mut o, r) in out.rows_mut().into_iter().zip(rows) {
        o.assign(r);
    }
    out
}

/// The scores of [`learning_curve`]: one row per training-set size, one
/// column per fold.
///
/// `Display` prints one line per size with the mean ± std of the train and
/// test scores.
///
/// # Example
/// See [`learning_curve`].
#[derive(Debug, Clone, PartialEq)]
pub struct LearningCurve {
    /// The training-set sizes used, ascending and distinct.
    pub train_sizes: Vec<usize>,
    /// Scores on the (shortened) training folds, `n_sizes × n_folds`.
    pub train_scores: Array2<f64>,
    /// Scores on the test folds, `n_sizes × n_folds`.
    pub test_scores: Array2<f64>,
}

impl LearningCurve {
    /// scikit-learn's default sizes: 10 %, 32.5 %, 55 %, 77.5 % and 100 % of
    /// the largest training fold.
    pub fn default_sizes() -> Vec<SplitSize> {
        [0.1, 0.325, 0.55, 0.775, 1.0]
            .into_iter()
            .map(SplitSize::Fraction)
            .collect()
    }

    /// Mean and standard deviation over the folds of the train scores.
    pub fn train_mean_std(&self) -> (Array1<f64>, Array1<f64>) {
        mean_std(&self.train_scores)
    }

    /// Mean and standard deviation over the folds of the test scores.
    pub fn test_mean_std(&self) -> (Array1<f64>, Array1<f64>) {
        mean_std(&self.test_scores)
    }
}

impl fmt::Display for LearningCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let xs: Vec<String> = self.train_sizes.iter().map(|n| n.to_string()).collect();
        print_curve(f, "n_train", &xs, &self.train_scores, &self.test_scores)
    }
}

/// scikit-learn's `_translate_train_sizes`: fractions of `n_max` (in
/// `(0, 1]`, truncated) or counts (in `[1, n_max]`), then sorted and
/// deduplicated.
fn absolute_sizes(sizes: &[SplitSize], n_max: usize) -> Result<Vec<usize>> {
    if sizes.is_empty() {
        return Err(Error::invalid("train_sizes", "no sizes given"));
    }
    let mut out = sizes
        .iter()
        .map(|&s| match s {
            SplitSize::Fraction(f) if f > 0.0 && f <= 1.0 => {
                Ok(((f * n_max as f64) as usize).max(1))
            }
            SplitSize::Fraction(f) => Err(Error::invalid(
                "train_sizes",
                format!("a fraction must be in (0, 1], got {f}"),
            )),
            SplitSize::Count(c) if (1..=n_max).contains(&c) => Ok(c),
            SplitSize::Count(c) => Err(Error::invalid(
                "train_sizes",
                format!("a count must be in [1, {n_max}] (the training fold's size), got {c}"),
            )),
        })
        .collect::<Result<Vec<usize>>>()?;
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Cross-validated train and test scores of `estimator` fitted on growing
/// prefixes of each training fold (scikit-learn's `learning_curve` without
/// shuffling): size `n` fits on the first `n` training rows of every fold and
/// scores on those rows and on the fold's test rows. `cv` gives the
/// splitter, the one scorer and the error score. Sizes are fractions of the
/// first training fold's size or counts ([`LearningCurve::default_sizes`]
/// is scikit-learn's default). Every (size, fold) fit runs in parallel; the
/// result is identical on any thread count.
///
/// # Errors
/// [`Error::InvalidParameter`] (`"train_sizes"`) for no sizes, a fraction
/// outside `(0, 1]` or a count outside `[1, n_train]`, (`"scoring"`) unless
/// `cv` has exactly one scorer; the splitter's errors; with
/// [`ErrorScore::Raise`](super::ErrorScore::Raise) the first failing fit's error, otherwise the first
/// error when every fit fails.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::model_selection::{learning_curve, CrossValidate, KFold, LearningCurve, Scorer};
/// use oxilearn::datasets;
///
/// let d = datasets::diabetes();
/// let cv = CrossValidate::new().cv(KFold::new(3)).scorer(Scorer::named("r2")?);
/// let curve = learning_curve(&Ridge::new(), &d.records, d.targets.view(), &LearningCurve::default_sizes(), &cv)?;
/// assert_eq!(curve.train_sizes, vec![29, 95, 161, 227, 294]);
/// println!("{curve}");
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn learning_curve<'a, Y: Target>(
    estimator: &dyn Estimator<Y>,
    x: impl Into<Features<'a>>,
    y: ArrayView1<'_, Y>,
    train_sizes: &[SplitSize],
    cv: &CrossValidate<Y>,
) -> Result<LearningCurve> {
    let x = x.into();
    one_scorer(cv)?;
    let folds = cv.folds(x.reborrow(), y)?;
    let n_max = folds.first().map_or(0, |f| f.0.len());
    let sizes = absolute_sizes(train_sizes, n_max)?;
    let settings = EvalSettings {
        scorers: &cv.scorers,
        train_score: true,
        keep_model: false,
        error_score: cv.error_score,
    };
    let jobs: Vec<(usize, usize)> = (0..sizes.len())
        .flat_map(|s| (0..folds.len()).map(move |f| (s, f)))
        .collect();
    let outcomes: Vec<FoldOutcome<Y>> = jobs
        .par_iter()
        .map(|&(s, f)| {
            let (train, test) = &folds[f];
            let n = sizes[s].min(train.len());
            let fold = (train[..n].to_vec(), test.clone());
            evaluate(estimator, x.reborrow(), y, &fold, &settings)
        })
        .collect();
    let outcomes = raise_failures(outcomes, cv.error_score)?;
    let mut train_scores = Array2::zeros((sizes.len(), folds.len()));
    let mut test_scores = Array2::zeros((sizes.len(), folds.len()));
    for (&(s, f), o) in jobs.iter().zip(&outcomes) {
        test_scores[[s, f]] = o.test[0];
        train_scores[[s, f]] = o.train.as_ref().map_or(f64::NAN, |t| t[0]);
    }
    Ok(LearningCurve {
        train_sizes: sizes,
        train_scores,
        test_scores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_scikit_learn() {
        let f = LearningCurve::default_sizes();
        assert_eq!(absolute_sizes(&f, 120).unwrap(), vec![12, 39, 66, 93, 120]);
        let mixed = [
            SplitSize::Count(5),
            SplitSize::Fraction(0.01),
            SplitSize::Count(5),
        ];
        assert_eq!(absolute_sizes(&mixed, 50).unwrap(), vec![1, 5]);
        for bad in [
            SplitSize::Fraction(0.0),
            SplitSize::Fraction(1.5),
            SplitSize::Count(0),
            SplitSize::Count(51),
        ] {
            assert!(matches!(
                absolute_sizes(&[bad], 50),
                Err(Error::InvalidParameter { .. })
            ));
        }
        assert!(absolute_sizes(&[], 50).is_err());
    }
}
