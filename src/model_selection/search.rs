//! Hyperparameter search: typed grids and distributions of candidates,
//! cross-validated together, ranked, and the best refit on all rows.

use std::collections::BTreeSet;
use std::fmt::{self, Display};
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView1};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::cross_val::{ErrorScore, EvalSettings, group_codes, make_folds, raise_failures};
use super::halving::HalvingSchedule;
use super::scoring::{Scorer, check_scorers};
use super::split::{Fold, Splitter};
use crate::compose::{Estimator, Features, FittedEstimator, Pipeline, Target, Transformer};
use crate::error::{Error, Result};
use crate::svm::{Gamma, Kernel};

/// A value a grid or distribution can try: anything `Display` (numbers,
/// `bool`, text) and the SVM's [`Gamma`] and [`Kernel`]; shown in
/// `cv_results` as scikit-learn shows it (`0.01`, `scale`, `rbf`).
///
/// # Example
/// ```
/// use oxilearn::model_selection::ParamValue;
/// use oxilearn::svm::Gamma;
/// assert_eq!(0.5_f64.param_text(), "0.5");
/// assert_eq!(Gamma::Scale.param_text(), "scale");
/// ```
pub trait ParamValue: Clone + Send + Sync + 'static {
    /// The value as shown in `cv_results`.
    fn param_text(&self) -> String;
}

impl<T: Display + Clone + Send + Sync + 'static> ParamValue for T {
    fn param_text(&self) -> String {
        self.to_string()
    }
}

impl ParamValue for Gamma {
    fn param_text(&self) -> String {
        crate::compose::gamma_text(*self)
    }
}

impl ParamValue for Kernel {
    fn param_text(&self) -> String {
        crate::compose::kernel_text(self)
    }
}

/// Sets one parameter value on a candidate.
type Setter<E> = Arc<dyn Fn(E) -> Result<E> + Send + Sync>;

/// A value as shown, and how to set it.
type Shown<E> = (String, Setter<E>);

struct GridAxis<E> {
    name: String,
    values: Vec<Shown<E>>,
}

impl<E> Clone for GridAxis<E> {
    fn clone(&self) -> Self {
        GridAxis {
            name: self.name.clone(),
            values: self.values.clone(),
        }
    }
}

/// One candidate: its printable parameters and the estimator.
pub(crate) struct Candidate<Y: Target> {
    pub(super) params: Vec<(String, String)>,
    pub(super) estimator: Box<dyn Estimator<Y>>,
}

/// A typed parameter grid: a base estimator and, per parameter, the values
/// to try and how to set them (a closure over the builder method — no
/// parameter names as strings; the name is only for display). Candidates are
/// every combination (scikit-learn's `ParameterGrid`: axes in the sorted
/// order of their names, the last varying fastest). [`union`](Self::union)
/// adds another grid (scikit-learn's list of dicts).
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::model_selection::ParamGrid;
///
/// let grid = ParamGrid::new(Svc::new())
///     .axis("C", [0.1, 1.0, 10.0], |s: Svc, c| s.c(c))
///     .axis("gamma", [0.01, 0.1], |s: Svc, g| s.kernel(Kernel::Rbf { gamma: Gamma::Value(g) }));
/// assert_eq!(grid.n_candidates(), 6);
///
/// // A step of a pipeline, by its type and name.
/// let pipe = Pipeline::<usize>::new()
///     .transform("scaler", StandardScaler::new())
///     .estimator("svc", Svc::new());
/// let grid = ParamGrid::new(pipe).estimator_axis("svc", "C", [1.0, 10.0], |s: Svc, c| s.c(c));
/// assert_eq!(grid.n_candidates(), 2);
/// ```
pub struct ParamGrid<E> {
    grids: Vec<(E, Vec<GridAxis<E>>)>,
}

impl<E: Clone> Clone for ParamGrid<E> {
    fn clone(&self) -> Self {
        ParamGrid {
            grids: self.grids.clone(),
        }
    }
}

impl<E> fmt::Debug for ParamGrid<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let axes: Vec<Vec<(&str, usize)>> = self
            .grids
            .iter()
            .map(|(_, a)| {
                a.iter()
                    .map(|a| (a.name.as_str(), a.values.len()))
                    .collect()
            })
            .collect();
        f.debug_struct("ParamGrid").field("axes", &axes).finish()
    }
}

impl<E: Clone + Send + Sync + 'static> ParamGrid<E> {
    /// A grid around `base` (one candidate until axes are added).
    pub fn new(base: E) -> Self {
        ParamGrid {
            grids: vec![(base, Vec::new())],
        }
    }

    /// Tries each of `values` for the parameter shown as `name`, set by
    /// `set` (e.g. `|s: Svc, c| s.c(c)`).
    pub fn axis<V: ParamValue>(
        self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = V>,
        set: impl Fn(E, V) -> E + Send + Sync + 'static,
    ) -> Self {
        let set = Arc::new(set);
        self.try_axis(name, values, move |e, v| Ok(set(e, v)))
    }

    /// As [`axis`](Self::axis), with a setter that may fail (its error is
    /// returned by the search's `fit`).
    pub fn try_axis<V: ParamValue>(
        mut self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = V>,
        set: impl Fn(E, V) -> Result<E> + Send + Sync + 'static,
    ) -> Self {
        let set = Arc::new(set);
        let values = values
            .into_iter()
            .map(|v| {
                let set = Arc::clone(&set);
                let shown = v.param_text();
                let f: Setter<E> = Arc::new(move |e| set(e, v.clone()));
                (shown, f)
            })
            .collect();
        let axes = &mut self.grids.last_mut().expect("a grid").1;
        axes.push(GridAxis {
            name: name.into(),
            values,
        });
        self
    }

    /// Adds the candidates of `other` after these (scikit-learn's list of
    /// grids, e.g. a linear kernel without γ next to an RBF grid).
    pub fn union(mut self, other: ParamGrid<E>) -> Self {
        self.grids.extend(other.grids);
        self
    }

    /// Number of candidates.
    pub fn n_candidates(&self) -> usize {
        self.grids
            .iter()
            .map(|(_, axes)| axes.iter().map(|a| a.values.len()).product::<usize>())
            .sum()
    }

    /// The name of the grid's only parameter, if it has exactly one grid
    /// with exactly one axis.
    pub(super) fn single_axis(&self) -> Option<&str> {
        match self.grids.as_slice() {
            [(_, axes)] if axes.len() == 1 => Some(axes[0].name.as_str()),
            _ => None,
        }
    }

    /// Every candidate, in scikit-learn's order.
    pub(super) fn build<Y: Target>(&self) -> Result<Vec<Candidate<Y>>>
    where
        E: Estimator<Y>,
    {
        let mut out = Vec::new();
        for (base, axes) in &self.grids {
            let mut axes: Vec<&GridAxis<E>> = axes.iter().collect();
            axes.sort_by(|a, b| a.name.cmp(&b.name));
            for (i, a) in axes.iter().enumerate() {
                if a.values.is_empty() {
                    return Err(Error::invalid(
                        "grid",
                        format!("parameter {:?} has no values to try", a.name),
                    ));
                }
                if axes[..i].iter().any(|b| b.name == a.name) {
                    return Err(Error::invalid(
                        "grid",
                        format!("parameter {:?} appears twice in one grid", a.name),
                    ));
                }
            }
            let total: usize = axes.iter().map(|a| a.values.len()).product();
            for mut k in 0..total {
                // Mixed radix, last axis fastest.
                let mut pick = vec![0; axes.len()];
                for (j, a) in axes.iter().enumerate().rev() {
                    pick[j] = k % a.values.len();
                    k /= a.values.len();
                }
                let mut e = base.clone();
                let mut params = Vec::with_capacity(axes.len());
                for (a, &p) in axes.iter().zip(&pick) {
                    let (shown, set) = &a.values[p];
                    e = set(e)?;
                    params.push((a.name.clone(), shown.clone()));
                }
                out.push(Candidate {
                    params,
                    estimator: Box::new(e),
                });
            }
        }
        if out.is_empty() {
            return Err(Error::invalid("grid", "the grid has no candidates"));
        }
        Ok(out)
    }
}

impl<Y: Target> ParamGrid<Pipeline<Y>> {
    /// An axis on the transformer step `step` of type `T`, shown as
    /// `step__param` (scikit-learn's naming).
    pub fn transformer_axis<T, V>(
        self,
        step: &str,
        param: &str,
        values: impl IntoIterator<Item = V>,
        set: impl Fn(T, V) -> T + Send + Sync + 'static,
    ) -> Self
    where
        T: Transformer<Y> + Clone + 'static,
        V: ParamValue,
    {
        let step_name = step.to_string();
        self.try_axis(
            format!("{step}__{param}"),
            values,
            move |p: Pipeline<Y>, v| p.map_transformer(&step_name, |t: T| set(t, v)),
        )
    }

    /// An axis on the final estimator step `step` of type `T`, shown as
    /// `step__param`.
    pub fn estimator_axis<T, V>(
        self,
        step: &str,
        param: &str,
        values: impl IntoIterator<Item = V>,
        set: impl Fn(T, V) -> T + Send + Sync + 'static,
    ) -> Self
    where
        T: Estimator<Y> + Clone + 'static,
        V: ParamValue,
    {
        let step_name = step.to_string();
        self.try_axis(
            format!("{step}__{param}"),
            values,
            move |p: Pipeline<Y>, v| p.map_estimator(&step_name, |t: T| set(t, v)),
        )
    }
}

// ---------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------

/// A seeded distribution of parameter values for [`RandomizedSearchCV`].
pub trait Distribution<V>: Send + Sync {
    /// One draw.
    fn sample(&self, rng: &mut ChaCha8Rng) -> V;

    /// Every value, for a finite list ([`Choice`]); `None` otherwise. When
    /// every parameter of a search is finite, candidates are drawn without
    /// replacement (as scikit-learn's `ParameterSampler`).
    fn finite_values(&self) -> Option<Vec<V>> {
        None
    }
}

/// Uniform on `[low, high)`.
///
/// # Example
/// ```
/// use oxilearn::model_selection::{Distribution, Uniform};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let v = Uniform::new(0.1, 0.9).sample(&mut rng);
/// assert!((0.1..0.9).contains(&v));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uniform {
    low: f64,
    high: f64,
}

impl Uniform {
    /// Uniform on `[low, high)`; a search checks `low < high`, both finite.
    pub fn new(low: f64, high: f64) -> Self {
        Uniform { low, high }
    }
}

impl Distribution<f64> for Uniform {
    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        self.low + (self.high - self.low) * rng.random::<f64>()
    }
}

/// Log-uniform on `[low, high)` (scipy's `loguniform`): the exponent is
/// uniform. The usual choice for `C`, `gamma`, `alpha`.
///
/// # Example
/// ```
/// use oxilearn::model_selection::{Distribution, LogUniform};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let v = LogUniform::new(1e-3, 1e3).sample(&mut rng);
/// assert!((1e-3..1e3).contains(&v));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogUniform {
    low: f64,
    high: f64,
}

impl LogUniform {
    /// Log-uniform on `[low, high)`; a search checks `0 < low < high`.
    pub fn new(low: f64, high: f64) -> Self {
        LogUniform { low, high }
    }
}

impl Distribution<f64> for LogUniform {
    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        let (a, b) = (self.low.ln(), self.high.ln());
        (a + (b - a) * rng.random::<f64>()).exp()
    }
}

/// Integers uniform on `[low, high)` (scipy's `randint`).
///
/// # Example
/// ```
/// use oxilearn::model_selection::{Distribution, IntUniform};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// assert!((2..5).contains(&IntUniform::new(2, 5).sample(&mut rng)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntUniform {
    low: i64,
    high: i64,
}

impl IntUniform {
    /// Integers on `[low, high)`; a search checks `low < high`.
    pub fn new(low: i64, high: i64) -> Self {
        IntUniform { low, high }
    }
}

impl Distribution<i64> for IntUniform {
    fn sample(&self, rng: &mut ChaCha8Rng) -> i64 {
        rng.random_range(self.low..self.high)
    }
}

/// One of a list of values, equally likely.
///
/// # Example
/// ```
/// use oxilearn::model_selection::{Choice, Distribution};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
/// let k = Choice::new(["linear", "rbf"]).sample(&mut rng);
/// assert!(k == "linear" || k == "rbf");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Choice<V> {
    values: Vec<V>,
}

impl<V> Choice<V> {
    /// The values (a search checks there is at least one).
    pub fn new(values: impl IntoIterator<Item = V>) -> Self {
        Choice {
            values: values.into_iter().collect(),
        }
    }
}

impl<V: Clone + Send + Sync> Distribution<V> for Choice<V> {
    fn sample(&self, rng: &mut ChaCha8Rng) -> V {
        self.values[rng.random_range(0..self.values.len())].clone()
    }

    fn finite_values(&self) -> Option<Vec<V>> {
        Some(self.values.clone())
    }
}

fn check_distribution(name: &str, d: &dyn std::any::Any) -> Result<()> {
    let bad = |why: String| Err(Error::invalid("distributions", format!("{name:?}: {why}")));
    if let Some(u) = d.downcast_ref::<Uniform>()
        && !(u.low.is_finite() && u.high.is_finite() && u.low < u.high)
    {
        return bad(format!(
            "Uniform needs finite low < high, got [{}, {})",
            u.low, u.high
        ));
    }
    if let Some(u) = d.downcast_ref::<LogUniform>()
        && !(u.low > 0.0 && u.high.is_finite() && u.low < u.high)
    {
        return bad(format!(
            "LogUniform needs 0 < low < high, got [{}, {})",
            u.low, u.high
        ));
    }
    if let Some(u) = d.downcast_ref::<IntUniform>()
        && u.low >= u.high
    {
        return bad(format!(
            "IntUniform needs low < high, got [{}, {})",
            u.low, u.high
        ));
    }
    Ok(())
}

/// One parameter of a [`ParamDistributions`], type-erased.
trait DistAxis<E>: Send + Sync {
    fn name(&self) -> &str;
    fn check(&self) -> Result<()>;
    /// Draws a value: (shown, setter).
    fn draw(&self, rng: &mut ChaCha8Rng) -> Shown<E>;
    /// All values, when finite.
    fn all(&self) -> Option<Vec<Shown<E>>>;
}

struct TypedDist<E, V, D> {
    name: String,
    dist: D,
    set: Arc<dyn Fn(E, V) -> Result<E> + Send + Sync>,
}

impl<E, V, D> TypedDist<E, V, D>
where
    E: 'static,
    V: ParamValue,
{
    fn setter(&self, v: V) -> Shown<E> {
        let set = Arc::clone(&self.set);
        let shown = v.param_text();
        (shown, Arc::new(move |e| set(e, v.clone())))
    }
}

impl<E, V, D> DistAxis<E> for TypedDist<E, V, D>
where
    E: 'static,
    V: ParamValue,
    D: Distribution<V> + 'static,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn check(&self) -> Result<()> {
        check_distribution(&self.name, &self.dist)?;
        if let Some(v) = self.dist.finite_values()
            && v.is_empty()
        {
            return Err(Error::invalid(
                "distributions",
                format!("{:?}: a Choice needs at least one value", self.name),
            ));
        }
        Ok(())
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> Shown<E> {
        self.setter(self.dist.sample(rng))
    }

    fn all(&self) -> Option<Vec<Shown<E>>> {
        self.dist
            .finite_values()
            .map(|vs| vs.into_iter().map(|v| self.setter(v)).collect())
    }
}

/// Typed parameter distributions for [`RandomizedSearchCV`]: a base
/// estimator and, per parameter, a [`Distribution`] and a setter closure.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::model_selection::{Choice, LogUniform, ParamDistributions};
///
/// let space = ParamDistributions::new(LogisticRegression::<usize>::new())
///     .param("C", LogUniform::new(1e-2, 1e2), |m: LogisticRegression<usize>, c| m.c(c))
///     .param("fit_intercept", Choice::new([true, false]), |m: LogisticRegression<usize>, b| {
///         m.fit_intercept(b)
///     });
/// assert_eq!(space.n_params(), 2);
/// ```
pub struct ParamDistributions<E> {
    base: E,
    axes: Vec<Arc<dyn DistAxis<E>>>,
}

impl<E> fmt::Debug for ParamDistributions<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.axes.iter().map(|a| a.name()).collect();
        f.debug_struct("ParamDistributions")
            .field("params", &names)
            .finish()
    }
}

impl<E: Clone> Clone for ParamDistributions<E> {
    fn clone(&self) -> Self {
        ParamDistributions {
            base: self.base.clone(),
            axes: self.axes.clone(),
        }
    }
}

impl<E: Clone + Send + Sync + 'static> ParamDistributions<E> {
    /// Distributions around `base`.
    pub fn new(base: E) -> Self {
        ParamDistributions {
            base,
            axes: Vec::new(),
        }
    }

    /// The parameter shown as `name`, drawn from `dist`, set by `set`.
    pub fn param<V, D>(
        mut self,
        name: impl Into<String>,
        dist: D,
        set: impl Fn(E, V) -> E + Send + Sync + 'static,
    ) -> Self
    where
        V: ParamValue,
        D: Distribution<V> + 'static,
    {
        self.axes.push(Arc::new(TypedDist {
            name: name.into(),
            dist,
            set: Arc::new(move |e, v| Ok(set(e, v))),
        }));
        self
    }

    /// Number of parameters.
    pub fn n_params(&self) -> usize {
        self.axes.len()
    }

    /// `n_iter` candidates drawn with `seed` (parameters in the sorted
    /// order of their names); without replacement when every parameter is
    /// a finite [`Choice`].
    pub(super) fn build<Y: Target>(&self, n_iter: usize, seed: u64) -> Result<Vec<Candidate<Y>>>
    where
        E: Estimator<Y>,
    {
        if n_iter == 0 {
            return Err(Error::invalid("n_iter", "must be at least 1"));
        }
        let mut axes: Vec<&Arc<dyn DistAxis<E>>> = self.axes.iter().collect();
        axes.sort_by(|a, b| a.name().cmp(b.name()));
        for (i, a) in axes.iter().enumerate() {
            a.check()?;
            if axes[..i].iter().any(|b| b.name() == a.name()) {
                return Err(Error::invalid(
                    "distributions",
                    format!("parameter {:?} appears twice", a.name()),
                ));
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let finite: Option<Vec<Vec<Shown<E>>>> = axes.iter().map(|a| a.all()).collect();
        let picks: Vec<Vec<Shown<E>>> = match finite {
            Some(lists) => {
                let total: usize = lists.iter().map(Vec::len).product();
                let mut order: Vec<usize> = (0..total).collect();
                order.shuffle(&mut rng);
                order.truncate(n_iter);
                order
                    .into_iter()
                    .map(|mut k| {
                        let mut pick = vec![0; lists.len()];
                        for (j, l) in lists.iter().enumerate().rev() {
                            pick[j] = k % l.len();
                            k /= l.len();
                        }
                        lists.iter().zip(pick).map(|(l, p)| l[p].clone()).collect()
                    })
                    .collect()
            }
            None => (0..n_iter)
                .map(|_| axes.iter().map(|a| a.draw(&mut rng)).collect())
                .collect(),
        };
        picks
            .into_iter()
            .map(|values: Vec<Shown<E>>| {
                let mut e = self.base.clone();
                let mut params = Vec::with_capacity(values.len());
                for (a, (shown, set)) in axes.iter().zip(values) {
                    e = set(e)?;
                    params.push((a.name().to_string(), shown));
                }
                Ok(Candidate {
                    params,
                    estimator: Box::new(e),
                })
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------
// The search
// ---------------------------------------------------------------------------

/// Settings shared by the searches.
#[derive(Clone, Debug)]
pub(super) struct SearchSettings<Y: Target> {
    pub(super) cv: Option<Box<dyn Splitter>>,
    pub(super) groups: Option<Vec<usize>>,
    pub(super) scorers: Vec<Scorer<Y>>,
    pub(super) refit: Option<String>,
    pub(super) no_refit: bool,
    pub(super) return_train_score: bool,
    pub(super) error_score: ErrorScore,
}

impl<Y: Target> Default for SearchSettings<Y> {
    fn default() -> Self {
        SearchSettings {
            cv: None,
            groups: None,
            scorers: vec![Scorer::estimator_score()],
            refit: None,
            no_refit: false,
            return_train_score: false,
            error_score: ErrorScore::default(),
        }
    }
}

macro_rules! search_settings {
    () => {
        /// The splitter (default: 5 stratified folds for class labels, 5
        /// folds otherwise).
        pub fn cv(mut self, cv: impl Splitter + 'static) -> Self {
            self.settings.cv = Some(Box::new(cv));
            self
        }

        /// The group of every row, for group splitters.
        pub fn groups<G: Ord>(mut self, groups: &[G]) -> Self {
            self.settings.groups = Some(group_codes(groups));
            self
        }

        /// The scorers (default: the estimator's own `score`); the first
        /// one chooses the best candidate unless [`refit`](Self::refit)
        /// names another.
        pub fn scoring(mut self, scorers: Vec<Scorer<Y>>) -> Self {
            self.settings.scorers = scorers;
            self
        }

        /// One scorer.
        pub fn scorer(self, scorer: Scorer<Y>) -> Self {
            self.scoring(vec![scorer])
        }

        /// The scorer that picks the best candidate (by name).
        pub fn refit(mut self, scorer: &str) -> Self {
            self.settings.refit = Some(scorer.to_string());
            self
        }

        /// Do not refit the best candidate on all rows (no
        /// `best_estimator`).
        pub fn no_refit(mut self) -> Self {
            self.settings.no_refit = true;
            self
        }

        /// Also score each fold's model on its training rows.
        pub fn return_train_score(mut self, yes: bool) -> Self {
            self.settings.return_train_score = yes;
            self
        }

        /// What a failing fit or score becomes (default: NaN, ranked last).
        pub fn error_score(mut self, e: ErrorScore) -> Self {
            self.settings.error_score = e;
            self
        }
    };
}
pub(super) use search_settings;

/// Exhaustive search over a [`ParamGrid`] (scikit-learn's `GridSearchCV`):
/// every candidate on every fold (in parallel; results identical on any
/// thread count), ranked by mean test score, the best refit on all rows.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::model_selection::{GridSearchCV, ParamGrid, StratifiedKFold};
///
/// let iris = oxilearn::datasets::iris();
/// let pipe = Pipeline::new()
///     .transform("scaler", StandardScaler::new())
///     .estimator("svc", Svc::new());
/// let grid = ParamGrid::new(pipe).estimator_axis("svc", "C", [0.01, 1.0, 100.0], |s: Svc, c| s.c(c));
/// let search = GridSearchCV::new(grid).cv(StratifiedKFold::new(3)).fit(&iris.records, iris.targets.view())?;
/// assert_eq!(search.best_params()[0].0, "svc__C");
/// assert!(search.best_score() > 0.9);
/// let best = search.best_estimator().unwrap();
/// assert_eq!(best.predict((&iris.records).into())?.len(), 150);
/// println!("{}", search.cv_results().top(3));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug)]
pub struct GridSearchCV<Y: Target, E> {
    grid: ParamGrid<E>,
    settings: SearchSettings<Y>,
}

impl<Y: Target, E: Estimator<Y> + Clone + 'static> GridSearchCV<Y, E> {
    /// A search over `grid` with the default settings.
    pub fn new(grid: ParamGrid<E>) -> Self {
        GridSearchCV {
            grid,
            settings: SearchSettings::default(),
        }
    }

    search_settings!();

    /// Runs the search on `x`, `y`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty grid or an axis without
    /// values (`"grid"`), bad scorers (`"scoring"`), an unknown refit scorer
    /// (`"refit"`), a failing setter; the splitter's errors;
    /// [`Error::ShapeMismatch`] for `y` or groups of the wrong length; with
    /// [`ErrorScore::Raise`] the first failure, otherwise the first error
    /// when every fit of every candidate fails; the refit's error.
    pub fn fit<'a>(
        &self,
        x: impl Into<Features<'a>>,
        y: ArrayView1<'_, Y>,
    ) -> Result<SearchResults<Y>> {
        let candidates = self.grid.build::<Y>()?;
        run_search(candidates, &self.settings, x.into(), y)
    }
}

/// Search over `n_iter` candidates drawn from [`ParamDistributions`]
/// (scikit-learn's `RandomizedSearchCV`), seeded.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::model_selection::{LogUniform, ParamDistributions, RandomizedSearchCV};
///
/// let data = oxilearn::datasets::diabetes();
/// let space = ParamDistributions::new(Ridge::new()).param("alpha", LogUniform::new(1e-4, 1e2), |r: Ridge, a| r.alpha(a));
/// let search = RandomizedSearchCV::new(space, 8).seed(3).fit(&data.records, data.targets.view())?;
/// assert_eq!(search.cv_results().n_candidates(), 8);
/// assert!(search.best_score() > 0.4);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug)]
pub struct RandomizedSearchCV<Y: Target, E> {
    space: ParamDistributions<E>,
    n_iter: usize,
    seed: u64,
    settings: SearchSettings<Y>,
}

impl<Y: Target, E: Estimator<Y> + Clone + 'static> RandomizedSearchCV<Y, E> {
    /// `n_iter` candidates from `space` (scikit-learn's default is 10);
    /// seed 0.
    pub fn new(space: ParamDistributions<E>, n_iter: usize) -> Self {
        RandomizedSearchCV {
            space,
            n_iter,
            seed: 0,
            settings: SearchSettings::default(),
        }
    }

    /// Seed of the draws; default `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    search_settings!();

    /// Runs the search on `x`, `y`.
    ///
    /// # Errors
    /// As [`GridSearchCV::fit`]; [`Error::InvalidParameter`] for
    /// `n_iter == 0` or an invalid distribution (`"distributions"`).
    pub fn fit<'a>(
        &self,
        x: impl Into<Features<'a>>,
        y: ArrayView1<'_, Y>,
    ) -> Result<SearchResults<Y>> {
        let candidates = self.space.build::<Y>(self.n_iter, self.seed)?;
        run_search(candidates, &self.settings, x.into(), y)
    }
}

fn run_search<Y: Target>(
    candidates: Vec<Candidate<Y>>,
    s: &SearchSettings<Y>,
    x: Features<'_>,
    y: ArrayView1<'_, Y>,
) -> Result<SearchResults<Y>> {
    let refit_index = s.check(x, y)?;
    let folds: Vec<Fold> = make_folds(s.cv.as_deref(), x.n_rows(), y, s.groups.as_deref())?;
    let estimators: Vec<&dyn Estimator<Y>> =
        candidates.iter().map(|c| c.estimator.as_ref()).collect();
    let rows = score_candidates(&estimators, &folds, s, x, y)?;
    let params = candidates.iter().map(|c| c.params.clone()).collect();
    let table = CvTable::new(params, s, rows, None);
    let best_index = table.ranks[refit_index]
        .iter()
        .enumerate()
        .min_by_key(|(i, r)| (**r, *i))
        .map(|(i, _)| i)
        .expect("at least one candidate");
    let best_candidate = candidates
        .into_iter()
        .nth(best_index)
        .expect("best index in range")
        .estimator;
    finish(table, best_index, best_candidate, s, x, y, None)
}

impl<Y: Target> SearchSettings<Y> {
    /// Checks the scorers and the shapes; the index of the scorer that
    /// picks the best candidate.
    pub(super) fn check(&self, x: Features<'_>, y: ArrayView1<'_, Y>) -> Result<usize> {
        check_scorers(&self.scorers)?;
        let refit_index = self.refit_index()?;
        if y.len() != x.n_rows() {
            return Err(Error::ShapeMismatch {
                what: "y (one target per row of x)",
                expected: vec![x.n_rows()],
                got: vec![y.len()],
            });
        }
        Ok(refit_index)
    }
}

impl<Y: Target> SearchSettings<Y> {
    /// The index of the scorer that picks the best candidate.
    fn refit_index(&self) -> Result<usize> {
        match &self.refit {
            None => Ok(0),
            Some(name) => self
                .scorers
                .iter()
                .position(|sc| sc.name() == name)
                .ok_or_else(|| {
                    Error::invalid(
                        "refit",
                        format!("{name:?} is not one of the search's scorers"),
                    )
                }),
        }
    }
}

/// The scores of candidates on folds, one row per candidate.
pub(super) struct ScoreRows {
    /// Per scorer: candidates × folds.
    test: Vec<Array2<f64>>,
    train: Option<Vec<Array2<f64>>>,
    fit_time: Array2<f64>,
    score_time: Array2<f64>,
    errors: Vec<Vec<Option<String>>>,
}

impl ScoreRows {
    /// The mean test score of scorer `j`, per row.
    pub(super) fn mean_test(&self, j: usize) -> Array1<f64> {
        self.test[j].mean_axis(ndarray::Axis(1)).expect("folds")
    }

    /// These rows followed by `other`'s (same folds and scorers).
    pub(super) fn append(self, other: ScoreRows) -> ScoreRows {
        let cat = |a: &Array2<f64>, b: &Array2<f64>| {
            ndarray::concatenate(ndarray::Axis(0), &[a.view(), b.view()]).expect("same folds")
        };
        let cat_all = |a: &[Array2<f64>], b: &[Array2<f64>]| -> Vec<Array2<f64>> {
            a.iter().zip(b).map(|(a, b)| cat(a, b)).collect()
        };
        let mut errors = self.errors;
        errors.extend(other.errors);
        ScoreRows {
            test: cat_all(&self.test, &other.test),
            train: match (self.train, other.train) {
                (Some(a), Some(b)) => Some(cat_all(&a, &b)),
                _ => None,
            },
            fit_time: cat(&self.fit_time, &other.fit_time),
            score_time: cat(&self.score_time, &other.score_time),
            errors,
        }
    }
}

/// Every estimator on every fold, in parallel (results independent of the
/// thread count), sharing per-fold work between candidates (see
/// [`shared`](super::shared)).
pub(super) fn score_candidates<Y: Target>(
    estimators: &[&dyn Estimator<Y>],
    folds: &[Fold],
    s: &SearchSettings<Y>,
    x: Features<'_>,
    y: ArrayView1<'_, Y>,
) -> Result<ScoreRows> {
    let (nc, nf, ns) = (estimators.len(), folds.len(), s.scorers.len());
    let settings = EvalSettings {
        scorers: &s.scorers,
        train_score: s.return_train_score,
        keep_model: false,
        error_score: s.error_score,
    };
    let outcomes = super::shared::shared_outcomes(estimators, folds, &settings, x, y);
    let outcomes = raise_failures(outcomes, s.error_score)?;
    let mut test = vec![Array2::zeros((nc, nf)); ns];
    let mut train = s
        .return_train_score
        .then(|| vec![Array2::zeros((nc, nf)); ns]);
    let mut fit_time = Array2::zeros((nc, nf));
    let mut score_time = Array2::zeros((nc, nf));
    let mut errors: Vec<Vec<Option<String>>> = vec![vec![None; nf]; nc];
    for (k, o) in outcomes.into_iter().enumerate() {
        let (c, f) = (k / nf, k % nf);
        for j in 0..ns {
            test[j][[c, f]] = o.test[j];
            if let (Some(t), Some(v)) = (train.as_mut(), o.train.as_ref()) {
                t[j][[c, f]] = v[j];
            }
        }
        fit_time[[c, f]] = o.fit_time;
        score_time[[c, f]] = o.score_time;
        errors[c][f] = o.error.map(|e| e.to_string());
    }
    Ok(ScoreRows {
        test,
        train,
        fit_time,
        score_time,
        errors,
    })
}

/// Refits the best candidate (unless `no_refit`) and assembles the results.
pub(super) fn finish<Y: Target>(
    table: CvTable,
    best_index: usize,
    best_candidate: Box<dyn Estimator<Y>>,
    s: &SearchSettings<Y>,
    x: Features<'_>,
    y: ArrayView1<'_, Y>,
    halving: Option<HalvingSchedule>,
) -> Result<SearchResults<Y>> {
    let refit_index = s.refit_index()?;
    let (best_estimator, refit_time) = if s.no_refit {
        (None, 0.0)
    } else {
        let start = Instant::now();
        let m = best_candidate.fit(x, y)?;
        (Some(m), start.elapsed().as_secs_f64())
    };
    Ok(SearchResults {
        table,
        best_index,
        refit_index,
        best_candidate,
        best_estimator,
        refit_time,
        halving,
    })
}

/// scikit-learn's ranking: `rankdata(-mean, method="min")`, NaN means tied
/// with (below) the worst.
fn rank_min(means: &Array1<f64>) -> Vec<usize> {
    if means.iter().all(|m| m.is_nan()) {
        return vec![1; means.len()];
    }
    let worst = means
        .iter()
        .filter(|m| !m.is_nan())
        .fold(f64::INFINITY, |a, &b| a.min(b))
        - 1.0;
    let m: Vec<f64> = means
        .iter()
        .map(|&v| if v.is_nan() { worst } else { v })
        .collect();
    m.iter()
        .map(|&v| 1 + m.iter().filter(|&&o| o > v).count())
        .collect()
}

/// scikit-learn's `cv_results_`: one row per candidate with its parameters,
/// per-fold, mean and std test (and train) scores and rank for every scorer,
/// fit and score times, and the errors of failed folds.
///
/// `Display` prints every candidate by rank; [`top`](Self::top) the best
/// few; [`write_csv`](Self::write_csv) exports it.
///
/// # Example
/// See [`GridSearchCV`].
#[derive(Debug, Clone)]
pub struct CvTable {
    params: Vec<Vec<(String, String)>>,
    scorer_names: Vec<String>,
    test: Vec<Array2<f64>>,
    train: Option<Vec<Array2<f64>>>,
    ranks: Vec<Vec<usize>>,
    fit_time: Array2<f64>,
    score_time: Array2<f64>,
    errors: Vec<Vec<Option<String>>>,
    /// Successive halving: the iteration and the number of samples of
    /// every row.
    halving: Option<(Vec<usize>, Vec<usize>)>,
}

impl CvTable {
    /// The table of `rows` (ranked over all of them), with the parameters
    /// of each row and, for successive halving, each row's iteration and
    /// resources.
    pub(super) fn new<Y: Target>(
        params: Vec<Vec<(String, String)>>,
        s: &SearchSettings<Y>,
        rows: ScoreRows,
        halving: Option<(Vec<usize>, Vec<usize>)>,
    ) -> CvTable {
        let ranks = (0..rows.test.len())
            .map(|j| rank_min(&rows.mean_test(j)))
            .collect();
        CvTable {
            params,
            scorer_names: s.scorers.iter().map(|sc| sc.name().to_string()).collect(),
            test: rows.test,
            train: rows.train,
            ranks,
            fit_time: rows.fit_time,
            score_time: rows.score_time,
            errors: rows.errors,
            halving,
        }
    }

    /// Successive halving's iteration of every row (`None` for the other
    /// searches).
    pub fn iter(&self) -> Option<&[usize]> {
        self.halving.as_ref().map(|(it, _)| it.as_slice())
    }

    /// Successive halving's number of samples of every row (`None` for the
    /// other searches).
    pub fn n_resources(&self) -> Option<&[usize]> {
        self.halving.as_ref().map(|(_, r)| r.as_slice())
    }

    /// Number of candidates.
    pub fn n_candidates(&self) -> usize {
        self.params.len()
    }

    /// Number of folds.
    pub fn n_splits(&self) -> usize {
        self.fit_time.ncols()
    }

    /// The scorer names.
    pub fn scorer_names(&self) -> &[String] {
        &self.scorer_names
    }

    /// Candidate `i`'s parameters as `(name, value)` text.
    pub fn params(&self, i: usize) -> &[(String, String)] {
        &self.params[i]
    }

    fn scorer(&self, name: &str) -> Option<usize> {
        self.scorer_names.iter().position(|n| n == name)
    }

    /// Test scores of scorer `name`: candidates × folds.
    pub fn split_test_scores(&self, name: &str) -> Option<&Array2<f64>> {
        self.scorer(name).map(|j| &self.test[j])
    }

    /// Train scores of scorer `name` (when asked for): candidates × folds.
    pub fn split_train_scores(&self, name: &str) -> Option<&Array2<f64>> {
        let j = self.scorer(name)?;
        self.train.as_ref().map(|t| &t[j])
    }

    /// Mean test score of scorer `name`, per candidate.
    pub fn mean_test_score(&self, name: &str) -> Option<Array1<f64>> {
        self.split_test_scores(name)
            .map(|t| t.mean_axis(ndarray::Axis(1)).expect("folds"))
    }

    /// Standard deviation (population) of the test scores of `name`, per
    /// candidate.
    pub fn std_test_score(&self, name: &str) -> Option<Array1<f64>> {
        self.split_test_scores(name)
            .map(|t| t.std_axis(ndarray::Axis(1), 0.0))
    }

    /// Rank (1 = best; ties share the smallest rank) by mean test score
    /// of `name`, per candidate.
    pub fn rank_test_score(&self, name: &str) -> Option<&[usize]> {
        self.scorer(name).map(|j| self.ranks[j].as_slice())
    }

    /// Mean fit time in seconds, per candidate.
    pub fn mean_fit_time(&self) -> Array1<f64> {
        self.fit_time.mean_axis(ndarray::Axis(1)).expect("folds")
    }

    /// Mean score time in seconds, per candidate.
    pub fn mean_score_time(&self) -> Array1<f64> {
        self.score_time.mean_axis(ndarray::Axis(1)).expect("folds")
    }

    /// The error message of each failed (candidate, fold).
    pub fn errors(&self) -> &[Vec<Option<String>>] {
        &self.errors
    }

    /// The `n` best candidates (by the first scorer's rank), for printing.
    pub fn top(&self, n: usize) -> TopRows<'_> {
        TopRows { table: self, n }
    }

    fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.n_candidates()).collect();
        order.sort_by_key(|&i| (self.ranks[0][i], i));
        order
    }

    /// Writes the table as CSV (one row per candidate, in candidate order;
    /// columns as scikit-learn's `cv_results_`: `mean_fit_time`,
    /// `std_fit_time`, `mean_score_time`, `std_score_time`, `param_<name>`…,
    /// `params`, then per scorer `split<k>_test_<s>`, `mean_test_<s>`,
    /// `std_test_<s>`, `rank_test_<s>` (and the train columns)), atomically.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn write_csv(&self, path: impl AsRef<Path>) -> Result<()> {
        let mut out = Vec::new();
        self.csv_to(&mut out).map_err(Error::from)?;
        crate::persist::write_atomic(path.as_ref(), &out)
    }

    /// The CSV text of [`write_csv`](Self::write_csv).
    pub fn to_csv(&self) -> String {
        let mut out = Vec::new();
        self.csv_to(&mut out).expect("writing to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    fn csv_to(&self, w: &mut Vec<u8>) -> std::io::Result<()> {
        let quote = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut names: BTreeSet<&str> = BTreeSet::new();
        for p in &self.params {
            names.extend(p.iter().map(|(n, _)| n.as_str()));
        }
        let mut header: Vec<String> = Vec::new();
        if self.halving.is_some() {
            header.extend(["iter".to_string(), "n_resources".into()]);
        }
        header.extend([
            "mean_fit_time".to_string(),
            "std_fit_time".into(),
            "mean_score_time".into(),
            "std_score_time".into(),
        ]);
        header.extend(names.iter().map(|n| format!("param_{n}")));
        header.push("params".into());
        for s in &self.scorer_names {
            for k in 0..self.n_splits() {
                header.push(format!("split{k}_test_{s}"));
            }
            header.push(format!("mean_test_{s}"));
            header.push(format!("std_test_{s}"));
            header.push(format!("rank_test_{s}"));
            if self.train.is_some() {
                for k in 0..self.n_splits() {
                    header.push(format!("split{k}_train_{s}"));
                }
                header.push(format!("mean_train_{s}"));
                header.push(format!("std_train_{s}"));
            }
        }
        writeln!(
            w,
            "{}",
            header
                .iter()
                .map(|h| quote(h))
                .collect::<Vec<_>>()
                .join(",")
        )?;
        let ft_std = self.fit_time.std_axis(ndarray::Axis(1), 0.0);
        let st_std = self.score_time.std_axis(ndarray::Axis(1), 0.0);
        let (ft, st) = (self.mean_fit_time(), self.mean_score_time());
        for i in 0..self.n_candidates() {
            let mut row: Vec<String> = Vec::new();
            if let Some((it, r)) = &self.halving {
                row.extend([it[i].to_string(), r[i].to_string()]);
            }
            row.extend([
                ft[i].to_string(),
                ft_std[i].to_string(),
                st[i].to_string(),
                st_std[i].to_string(),
            ]);
            for n in &names {
                row.push(
                    self.params[i]
                        .iter()
                        .find(|(k, _)| k == n)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                );
            }
            row.push(params_text(&self.params[i]));
            for (j, _) in self.scorer_names.iter().enumerate() {
                let t = self.test[j].row(i);
                row.extend(t.iter().map(f64::to_string));
                row.push(t.mean().unwrap_or(f64::NAN).to_string());
                row.push(t.std(0.0).to_string());
                row.push(self.ranks[j][i].to_string());
                if let Some(tr) = &self.train {
                    let t = tr[j].row(i);
                    row.extend(t.iter().map(f64::to_string));
                    row.push(t.mean().unwrap_or(f64::NAN).to_string());
                    row.push(t.std(0.0).to_string());
                }
            }
            writeln!(
                w,
                "{}",
                row.iter().map(|c| quote(c)).collect::<Vec<_>>().join(",")
            )?;
        }
        Ok(())
    }

    fn fmt_rows(&self, f: &mut fmt::Formatter<'_>, n: usize) -> fmt::Result {
        write!(f, "{:>4}", "rank")?;
        for s in &self.scorer_names {
            write!(f, " {:>22}", format!("mean_test_{s}"))?;
            write!(f, " {:>10}", "std")?;
        }
        if self.halving.is_some() {
            write!(f, " {:>4} {:>11}", "iter", "n_resources")?;
        }
        writeln!(f, " {:>9}  params", "fit_time")?;
        let ft = self.mean_fit_time();
        for i in self.order().into_iter().take(n) {
            write!(f, "{:>4}", self.ranks[0][i])?;
            for j in 0..self.scorer_names.len() {
                let t = self.test[j].row(i);
                write!(
                    f,
                    " {:>22.6} {:>10.6}",
                    t.mean().unwrap_or(f64::NAN),
                    t.std(0.0)
                )?;
            }
            if let Some((it, r)) = &self.halving {
                write!(f, " {:>4} {:>11}", it[i], r[i])?;
            }
            write!(f, " {:>9.4}  {}", ft[i], params_text(&self.params[i]))?;
            if let Some(e) = self.errors[i].iter().flatten().next() {
                write!(f, "  (failed: {e})")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

fn params_text(p: &[(String, String)]) -> String {
    let inner: Vec<String> = p.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

impl Display for CvTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_rows(f, self.n_candidates())
    }
}

/// The best rows of a [`CvTable`], for printing ([`CvTable::top`]).
#[derive(Debug, Clone, Copy)]
pub struct TopRows<'t> {
    table: &'t CvTable,
    n: usize,
}

impl Display for TopRows<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.table.fmt_rows(f, self.n)
    }
}

/// The outcome of a search: the [`CvTable`], the best candidate and its
/// parameters and score, and (unless [`no_refit`](GridSearchCV::no_refit))
/// the best candidate refit on all rows — a fitted model like any other
/// (predict, save).
///
/// # Example
/// See [`GridSearchCV`].
#[derive(Debug)]
pub struct SearchResults<Y: Target> {
    table: CvTable,
    best_index: usize,
    refit_index: usize,
    best_candidate: Box<dyn Estimator<Y>>,
    best_estimator: Option<Box<dyn FittedEstimator<Y>>>,
    refit_time: f64,
    halving: Option<HalvingSchedule>,
}

impl<Y: Target> SearchResults<Y> {
    /// The table of every candidate.
    pub fn cv_results(&self) -> &CvTable {
        &self.table
    }

    /// Index of the best candidate (rank 1 of the refit scorer; the first
    /// among ties).
    pub fn best_index(&self) -> usize {
        self.best_index
    }

    /// The best candidate's parameters.
    pub fn best_params(&self) -> &[(String, String)] {
        self.table.params(self.best_index)
    }

    /// The best candidate's mean test score (refit scorer).
    pub fn best_score(&self) -> f64 {
        self.table.test[self.refit_index]
            .row(self.best_index)
            .mean()
            .unwrap_or(f64::NAN)
    }

    /// The best candidate, unfitted.
    pub fn best_candidate(&self) -> &dyn Estimator<Y> {
        self.best_candidate.as_ref()
    }

    /// The best candidate refit on all rows (`None` with `no_refit`).
    pub fn best_estimator(&self) -> Option<&dyn FittedEstimator<Y>> {
        self.best_estimator.as_deref()
    }

    /// Takes the refit best model out.
    pub fn into_best_estimator(self) -> Option<Box<dyn FittedEstimator<Y>>> {
        self.best_estimator
    }

    /// Successive halving's schedule (`None` for the other searches).
    pub fn halving(&self) -> Option<&HalvingSchedule> {
        self.halving.as_ref()
    }

    /// Seconds spent refitting the best candidate.
    pub fn refit_time(&self) -> f64 {
        self.refit_time
    }

    /// Saves the refit best model as a model file (atomically); load it back
    /// with its type's `load` or [`load_any`](crate::compose::load_any).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"refit"`) when the search did not
    /// refit; what writing the file fails with.
    pub fn save_best(&self, path: impl AsRef<Path>) -> Result<()> {
        let m = self
            .best_estimator
            .as_ref()
            .ok_or_else(|| Error::invalid("refit", "the search ran without refit"))?;
        m.to_model_file()?.write(path)
    }
}
