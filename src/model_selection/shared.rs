//! Work shared between the candidates of a search on one fold.
//!
//! A grid usually varies a few parameters of one model, so most of what
//! fitting each candidate on a fold computes is the same for many of them.
//! [`score_candidates`](super::search::score_candidates) groups the work:
//!
//! 1. **Fitted transformers, once per fold.** Candidates that are pipelines
//!    with the same transformer steps (same types and hyperparameters) fit
//!    those steps once per training fold; each candidate's final estimator
//!    then fits on the training rows as the pipeline's fit passes them on
//!    (each step's `fit_transform`, cross-fitted for `TargetEncoder`) and is
//!    scored on the transformed test rows — exactly what fitting and
//!    scoring the whole pipeline does, since transformers are
//!    deterministic.
//! 2. **A path through the estimators that differ in one parameter.**
//!    Final estimators that implement [`WarmStartPath`] and have the same
//!    [`path_key`](WarmStartPath::path_key) (every hyperparameter but the
//!    path one) run on each fold in increasing order of the path parameter,
//!    sharing a [`PathState`]: for [`Svc`] the kernel matrix of the fold's
//!    rows (per kernel: `C` does not change it) and the previous dual
//!    solution as a feasible start (alpha seeding); for
//!    [`LogisticRegression`] the previous coefficients as the starting
//!    point. Every fit still runs to its own stopping rule, so each result
//!    is a solution of the candidate's own problem to the solver's
//!    tolerance.
//!
//! Work units — one per fold and path (or per fold and unshared candidate)
//! — run in parallel; inside a unit the order is fixed, so results are
//! identical on any thread count. A fold whose transformers fail falls back
//! to fitting each candidate as a whole, so errors are those of the plain
//! fit.

use std::any::{Any, TypeId};
use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;

use super::cross_val::{EvalSettings, FoldOutcome, evaluate, score_fitted};
use super::split::Fold;
use crate::compose::{
    Estimator, Features, FittedEstimator, FittedTransformer, Label, OwnedFeatures, Pipeline,
    Target, Transformer,
};
use crate::error::Result;
use crate::logistic::LogisticRegression;
use crate::svm::{Kernel, RowsGram, Svc, SvcSeed};

/// An estimator whose search candidates can share work along one
/// parameter on a fold (see the module docs). Implemented for [`Svc`]
/// (along `C`) and [`LogisticRegression`] (along `C`); reached through
/// [`Estimator::warm_start_path`].
pub trait WarmStartPath<Y: Target>: Send + Sync {
    /// Candidates with equal keys differ at most in the path parameter.
    fn path_key(&self) -> String;

    /// The path parameter: a fold's fits run in increasing order of it.
    fn path_position(&self) -> f64;

    /// Fits on a fold's training rows `x`, `y`, reading and updating the
    /// fold's `state` (empty for the first fit of the path).
    ///
    /// # Errors
    /// What the estimator's own `fit` returns for these rows.
    fn fit_on_path(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, Y>,
        state: &mut PathState,
    ) -> Result<Box<dyn FittedEstimator<Y>>>;
}

/// What the fits of one path on one fold pass on to each other (opaque;
/// each [`WarmStartPath`] keeps its own type in it).
#[derive(Default)]
pub struct PathState(Option<Box<dyn Any + Send>>);

impl PathState {
    /// The state as a `T`, made with `T::default()` if it holds something
    /// else (or nothing).
    fn get<T: Any + Send + Default>(&mut self) -> &mut T {
        if !self.0.as_ref().is_some_and(|b| (**b).is::<T>()) {
            self.0 = Some(Box::new(T::default()));
        }
        self.0
            .as_mut()
            .and_then(|b| b.downcast_mut::<T>())
            .expect("set just above")
    }
}

/// `params()` without the named ones, as one text.
fn key_without(kind: &str, params: Vec<(String, String)>, skip: &[&str]) -> String {
    let kept: Vec<String> = params
        .into_iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!("{kind}({})", kept.join(", "))
}

/// An [`Svc`] path's state: the kernel matrix of the fold's rows and the
/// last solution.
#[derive(Default)]
struct SvcPath {
    gram: Option<RowsGram>,
    seed: Option<SvcSeed>,
}

impl<L: Label> WarmStartPath<L> for Svc<L> {
    fn path_key(&self) -> String {
        key_without("Svc", Estimator::params(self), &["C", "cache_size"])
    }

    fn path_position(&self) -> f64 {
        self.hyper().c
    }

    fn fit_on_path(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, L>,
        state: &mut PathState,
    ) -> Result<Box<dyn FittedEstimator<L>>> {
        let kernel = self.hyper().kernel;
        if kernel == Kernel::Precomputed {
            return Estimator::fit(self, x.into(), y);
        }
        let st = state.get::<SvcPath>();
        if !st.gram.as_ref().is_some_and(|g| g.is_of(&kernel)) {
            crate::validation::check_records(x)?;
            st.gram = Some(RowsGram::new(&kernel, x)?);
            st.seed = None;
        }
        let gram = st.gram.as_ref().expect("set just above");
        let (fitted, seed) = self.fit_on_gram(x, gram, y, st.seed.as_ref())?;
        st.seed = Some(seed);
        Ok(Box::new(fitted))
    }
}

/// A [`LogisticRegression`] path's state: the last coefficients and
/// intercepts.
#[derive(Default)]
struct LogisticPath(Option<(Array2<f64>, Array1<f64>)>);

impl<L: Label> WarmStartPath<L> for LogisticRegression<L> {
    fn path_key(&self) -> String {
        key_without("LogisticRegression", Estimator::params(self), &["C"])
    }

    fn path_position(&self) -> f64 {
        self.get_c()
    }

    fn fit_on_path(
        &self,
        x: ArrayView2<'_, f64>,
        y: ArrayView1<'_, L>,
        state: &mut PathState,
    ) -> Result<Box<dyn FittedEstimator<L>>> {
        let st = state.get::<LogisticPath>();
        let model = match &st.0 {
            Some((coef, intercept)) => self.clone().warm_start(coef.clone(), intercept.clone()),
            None => self.clone(),
        };
        let fitted = model.fit::<f64>(x, y)?;
        st.0 = Some((fitted.coef().to_owned(), fitted.intercept().to_owned()));
        Ok(Box::new(fitted))
    }
}

/// A candidate taken apart: the transformer steps before its final
/// estimator (none for a plain estimator) and that estimator.
struct Parts<'a, Y: Target> {
    prefix: Vec<&'a dyn Transformer<Y>>,
    last: &'a dyn Estimator<Y>,
}

fn parts<Y: Target>(e: &dyn Estimator<Y>) -> Option<Parts<'_, Y>> {
    match e.as_any().downcast_ref::<Pipeline<Y>>() {
        Some(p) => p.split_final().map(|(prefix, last)| Parts { prefix, last }),
        None => Some(Parts {
            prefix: Vec::new(),
            last: e,
        }),
    }
}

/// What identifies a chain of transformer steps: their types and
/// hyperparameters.
type PrefixKey = Vec<(TypeId, Vec<(String, String)>)>;

fn prefix_key<Y: Target>(prefix: &[&dyn Transformer<Y>]) -> PrefixKey {
    prefix
        .iter()
        .map(|t| (t.as_any().type_id(), t.params()))
        .collect()
}

/// One fold's rows after a chain of fitted transformers.
struct FoldRows<Y: Target> {
    /// The training rows as the estimator step sees them while the
    /// pipeline fits (each step's `fit_transform` output: cross-fitted for
    /// encoders such as `TargetEncoder`).
    train: OwnedFeatures,
    /// The training rows as the fitted pipeline transforms them when it
    /// predicts (for train scores; only computed when asked for).
    train_eval: Option<OwnedFeatures>,
    test: OwnedFeatures,
    y_train: Array1<Y>,
    y_test: Array1<Y>,
    /// Seconds spent fitting the transformers (added to every candidate's
    /// fit time: each would have spent it).
    fit_time: f64,
}

/// Fits the transformer chain `prefix` on the fold's training rows and
/// transforms both sides, as a pipeline's fit and predict do; `None` if any
/// step fails (the candidates then fit whole, to report their own errors).
fn fold_rows<Y: Target>(
    prefix: &[&dyn Transformer<Y>],
    x: Features<'_>,
    y: ArrayView1<'_, Y>,
    fold: &Fold,
    train_eval: bool,
) -> Option<FoldRows<Y>> {
    let (train, test) = fold;
    let start = Instant::now();
    let y_train = y.select(Axis(0), train);
    let raw_train = x.select_rows(train);
    let mut tr: Option<OwnedFeatures> = None;
    let mut fitted: Vec<Box<dyn FittedTransformer>> = Vec::with_capacity(prefix.len());
    for t in prefix {
        let input = tr.as_ref().map_or(raw_train.view(), |o| o.view());
        let (f, out) = t.fit_transform(input, Some(y_train.view())).ok()?;
        tr = Some(out);
        fitted.push(f);
    }
    let fit_time = start.elapsed().as_secs_f64();
    let through = |rows: OwnedFeatures| -> Option<OwnedFeatures> {
        let mut rows = rows;
        for f in &fitted {
            rows = f.transform_features(rows.view()).ok()?;
        }
        Some(rows)
    };
    let te = through(x.select_rows(test))?;
    let train_eval = if train_eval && !prefix.is_empty() {
        Some(through(x.select_rows(train))?)
    } else {
        None
    };
    Some(FoldRows {
        train: tr.unwrap_or(raw_train),
        train_eval,
        test: te,
        y_train,
        y_test: y.select(Axis(0), test),
        fit_time,
    })
}

/// A unit of work on one fold: candidates of one prefix, run in order.
struct Unit {
    prefix: usize,
    /// Candidates, in the order they run.
    candidates: Vec<usize>,
    /// Whether they run along a [`WarmStartPath`].
    path: bool,
}

/// Every estimator on every fold with the shared work of the module docs;
/// outcome `c·n_folds + f` is candidate `c` on fold `f`.
pub(super) fn shared_outcomes<Y: Target>(
    estimators: &[&dyn Estimator<Y>],
    folds: &[Fold],
    s: &EvalSettings<'_, Y>,
    x: Features<'_>,
    y: ArrayView1<'_, Y>,
) -> Vec<FoldOutcome<Y>> {
    let nf = folds.len();
    let split: Vec<Option<Parts<'_, Y>>> = estimators.iter().map(|e| parts(*e)).collect();
    // Prefixes and units, in candidate order (deterministic).
    let mut prefixes: Vec<(PrefixKey, Vec<&dyn Transformer<Y>>)> = Vec::new();
    let mut units: Vec<Unit> = Vec::new();
    let mut path_units: Vec<(usize, String, usize)> = Vec::new();
    let mut whole: Vec<usize> = Vec::new();
    for (c, p) in split.iter().enumerate() {
        let Some(p) = p else {
            whole.push(c);
            continue;
        };
        let key = prefix_key(&p.prefix);
        let pi = match prefixes.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                prefixes.push((key, p.prefix.clone()));
                prefixes.len() - 1
            }
        };
        match p.last.warm_start_path() {
            Some(path) => {
                let key = path.path_key();
                match path_units.iter().find(|(q, k, _)| *q == pi && *k == key) {
                    Some(&(_, _, u)) => units[u].candidates.push(c),
                    None => {
                        path_units.push((pi, key, units.len()));
                        units.push(Unit {
                            prefix: pi,
                            candidates: vec![c],
                            path: true,
                        });
                    }
                }
            }
            None => units.push(Unit {
                prefix: pi,
                candidates: vec![c],
                path: false,
            }),
        }
    }
    for u in units.iter_mut().filter(|u| u.path) {
        let pos = |c: usize| {
            split[c]
                .as_ref()
                .and_then(|p| p.last.warm_start_path())
                .map_or(0.0, |w| w.path_position())
        };
        u.candidates
            .sort_by(|&a, &b| pos(a).total_cmp(&pos(b)).then(a.cmp(&b)));
    }
    // Jobs: every (prefix, fold) — its transformed rows, then its units in
    // parallel — and every (unsplit candidate, fold). The rows of a fold
    // live only while its job runs.
    let jobs: Vec<(bool, usize, usize)> = (0..prefixes.len())
        .flat_map(|p| (0..nf).map(move |f| (true, p, f)))
        .chain(
            whole
                .iter()
                .flat_map(|&c| (0..nf).map(move |f| (false, c, f))),
        )
        .collect();
    let done: Vec<Vec<(usize, usize, FoldOutcome<Y>)>> = jobs
        .into_par_iter()
        .map(|(shared, i, f)| {
            if !shared {
                return vec![(i, f, evaluate(estimators[i], x, y, &folds[f], s))];
            }
            let rows = fold_rows(&prefixes[i].1, x, y, &folds[f], s.train_score);
            let mine: Vec<&Unit> = units.iter().filter(|u| u.prefix == i).collect();
            let outs: Vec<Vec<(usize, FoldOutcome<Y>)>> = mine
                .par_iter()
                .map(|unit| match &rows {
                    Some(r) => run_unit(unit, &split, r, s),
                    None => unit
                        .candidates
                        .iter()
                        .map(|&c| (c, evaluate(estimators[c], x, y, &folds[f], s)))
                        .collect(),
                })
                .collect();
            outs.into_iter().flatten().map(|(c, o)| (c, f, o)).collect()
        })
        .collect();
    let mut slots: Vec<Option<FoldOutcome<Y>>> = std::iter::repeat_with(|| None)
        .take(estimators.len() * nf)
        .collect();
    for (c, f, o) in done.into_iter().flatten() {
        slots[c * nf + f] = Some(o);
    }
    slots
        .into_iter()
        .map(|o| o.expect("every candidate ran on every fold"))
        .collect()
}

/// The candidates of `unit` on one fold's transformed rows, in order.
fn run_unit<Y: Target>(
    unit: &Unit,
    split: &[Option<Parts<'_, Y>>],
    r: &FoldRows<Y>,
    s: &EvalSettings<'_, Y>,
) -> Vec<(usize, FoldOutcome<Y>)> {
    let matrix = if unit.path {
        r.train.view().to_matrix().ok()
    } else {
        None
    };
    let mut state = PathState::default();
    unit.candidates
        .iter()
        .map(|&c| {
            let last = split[c].as_ref().expect("units hold split candidates").last;
            let start = Instant::now();
            let fitted = match (last.warm_start_path(), &matrix) {
                (Some(path), Some(m)) => path.fit_on_path(m.view(), r.y_train.view(), &mut state),
                _ => last.fit(r.train.view(), r.y_train.view()),
            };
            let fit_time = r.fit_time + start.elapsed().as_secs_f64();
            let o = score_fitted(
                fitted,
                fit_time,
                (
                    r.train_eval.as_ref().unwrap_or(&r.train).view(),
                    r.y_train.view(),
                ),
                (r.test.view(), r.y_test.view()),
                s,
            );
            (c, o)
        })
        .collect()
}
