//! Successive halving (scikit-learn's `HalvingGridSearchCV` and
//! `HalvingRandomSearchCV`, resource = samples): every candidate on a small
//! subsample of each fold, the best `1 / factor` of them on `factor` times
//! more samples, and so on until a few candidates remain.

use ndarray::ArrayView1;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::cross_val::{group_codes, make_folds};
use super::search::{
    Candidate, CvTable, ParamDistributions, ParamGrid, ScoreRows, SearchResults, SearchSettings,
    finish, score_candidates, search_settings,
};
use super::split::Fold;
use super::{ErrorScore, Scorer, Splitter};
use crate::compose::{Estimator, Features, Target, TargetValues};
use crate::error::{Error, Result};

/// The number of samples each candidate gets in the first iteration of a
/// successive halving search (scikit-learn's `min_resources`).
///
/// # Example
/// ```
/// use oxilearn::model_selection::MinResources;
/// assert_eq!(MinResources::default(), MinResources::Exhaust);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MinResources {
    /// As many as lets the last iteration use (close to) every sample:
    /// at least the [`Smallest`](Self::Smallest) count, and
    /// `max_resources / factor^(iterations − 1)` (scikit-learn's
    /// `'exhaust'`, the grid search's default).
    #[default]
    Exhaust,
    /// `2 × n_splits`, times the number of classes for class labels
    /// (scikit-learn's `'smallest'`, the random search's default).
    Smallest,
    /// This many samples.
    Count(usize),
}

/// The number of candidates a [`HalvingRandomSearchCV`] draws.
///
/// # Example
/// ```
/// use oxilearn::model_selection::NCandidates;
/// assert_eq!(NCandidates::default(), NCandidates::Exhaust);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NCandidates {
    /// `max_resources / min_resources`, so that the last iteration uses
    /// as many samples as possible (scikit-learn's `'exhaust'`; needs a
    /// [`MinResources`] other than `Exhaust`).
    #[default]
    Exhaust,
    /// This many candidates.
    Count(usize),
}

/// What a successive halving search did (scikit-learn's fitted
/// attributes `n_resources_`, `n_candidates_`, …), from
/// [`SearchResults::halving`].
///
/// # Example
/// See [`HalvingGridSearchCV`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HalvingSchedule {
    /// Samples per candidate in each iteration.
    pub n_resources: Vec<usize>,
    /// Candidates evaluated in each iteration.
    pub n_candidates: Vec<usize>,
    /// Candidates kept after the last iteration (the best one among them
    /// is the search's best).
    pub n_remaining_candidates: usize,
    /// Iterations needed to bring the candidates down to fewer than
    /// `factor`.
    pub n_required_iterations: usize,
    /// Iterations possible from `min_resources` to `max_resources`.
    pub n_possible_iterations: usize,
    /// Iterations run.
    pub n_iterations: usize,
    /// Samples per candidate of the first iteration, resolved.
    pub min_resources: usize,
    /// The most samples an iteration may use.
    pub max_resources: usize,
}

/// Python's `math.log(x, base)`.
fn log(x: f64, base: f64) -> f64 {
    x.ln() / base.ln()
}

impl HalvingSchedule {
    /// scikit-learn's schedule: `smallest` is the resolved `'smallest'` or
    /// user count, raised to the exhausting count when `exhaust`.
    fn plan(
        n_candidates: usize,
        smallest: usize,
        exhaust: bool,
        max_resources: usize,
        factor: f64,
        aggressive: bool,
    ) -> Result<HalvingSchedule> {
        if smallest > max_resources {
            return Err(Error::invalid(
                "min_resources",
                format!("{smallest} samples is more than max_resources ({max_resources})"),
            ));
        }
        if smallest == 0 {
            return Err(Error::invalid(
                "min_resources",
                "must be at least 1 sample (is the data empty?)",
            ));
        }
        let n_required = 1 + log(n_candidates as f64, factor).floor() as usize;
        let mut min_resources = smallest;
        if exhaust {
            let last = (n_required - 1) as f64;
            let exhausting = (max_resources as f64 / factor.powf(last)).floor() as usize;
            min_resources = min_resources.max(exhausting);
        }
        let n_possible = 1 + log((max_resources / min_resources) as f64, factor).floor() as usize;
        let n_iterations = if aggressive {
            n_required
        } else {
            n_possible.min(n_required)
        };
        let mut n_resources = Vec::with_capacity(n_iterations);
        let mut n_cands = Vec::with_capacity(n_iterations);
        let mut remaining = n_candidates;
        for itr in 0..n_iterations {
            // Aggressive elimination stays at the first size while the
            // surplus iterations run, then grows as usual.
            let power = if aggressive {
                (itr + n_possible).saturating_sub(n_required)
            } else {
                itr
            };
            let r = (factor.powf(power as f64) * min_resources as f64) as usize;
            n_resources.push(r.min(max_resources));
            n_cands.push(remaining);
            remaining = (remaining as f64 / factor).ceil() as usize;
        }
        Ok(HalvingSchedule {
            n_resources,
            n_candidates: n_cands,
            n_remaining_candidates: remaining,
            n_required_iterations: n_required,
            n_possible_iterations: n_possible,
            n_iterations,
            min_resources,
            max_resources,
        })
    }
}

/// The halving settings shared by both searches.
#[derive(Debug, Clone, Copy)]
struct Halving {
    factor: f64,
    min_resources: MinResources,
    max_resources: Option<usize>,
    aggressive_elimination: bool,
    seed: u64,
}

impl Halving {
    fn new(min_resources: MinResources) -> Self {
        Halving {
            factor: 3.0,
            min_resources,
            max_resources: None,
            aggressive_elimination: false,
            seed: 0,
        }
    }

    /// Checks the settings against `n_samples`; resolves `max_resources`.
    fn check(&self, n_samples: usize) -> Result<usize> {
        if !(self.factor.is_finite() && self.factor > 1.0) {
            return Err(Error::invalid(
                "factor",
                format!("must be a finite number above 1, got {}", self.factor),
            ));
        }
        let max = self.max_resources.unwrap_or(n_samples);
        if max == 0 || max > n_samples {
            return Err(Error::invalid(
                "max_resources",
                format!("must be in [1, {n_samples}] (the number of samples), got {max}"),
            ));
        }
        Ok(max)
    }

    /// The `'smallest'` count (or the user's), before exhausting.
    fn smallest<Y: Target>(&self, n_splits: usize, y: ArrayView1<'_, Y>) -> usize {
        match self.min_resources {
            MinResources::Count(c) => c,
            MinResources::Exhaust | MinResources::Smallest => {
                let classes = match Y::target_values(y) {
                    TargetValues::Classes { n_classes, .. } => n_classes,
                    TargetValues::Continuous(_) => 1,
                };
                2 * n_splits * classes
            }
        }
    }
}

/// `m` of `idx`, drawn without replacement by `rng`'s permutation of `idx`
/// (the same prefix for every `m`, so each iteration's rows contain the
/// previous iteration's), sorted.
fn draw(idx: &[usize], m: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    if m >= idx.len() {
        return idx.to_vec();
    }
    let mut perm = idx.to_vec();
    perm.shuffle(rng);
    perm.truncate(m);
    perm.sort_unstable();
    perm
}

/// The folds of one iteration: each fold's train and test rows subsampled
/// to `n_resources / n_samples` of their size (scikit-learn's
/// `_SubsampleMetaSplitter`).
fn subsample(folds: &[Fold], n_resources: usize, n_samples: usize, seed: u64) -> Vec<Fold> {
    let fraction = n_resources as f64 / n_samples as f64;
    let keep = |len: usize| (fraction * len as f64) as usize;
    folds
        .iter()
        .enumerate()
        .map(|(f, (train, test))| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(2 * f as u64);
            let train = draw(train, keep(train.len()), &mut rng);
            rng.set_stream(2 * f as u64 + 1);
            let test = draw(test, keep(test.len()), &mut rng);
            (train, test)
        })
        .collect()
}

/// scikit-learn's `_top_k`: the `k` best of `alive` by `means`, NaN the
/// worst, in ascending order of score (ties: the later candidate ranks
/// higher, as NumPy's stable argsort gives).
fn top_k(alive: &[usize], means: &[f64], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..alive.len()).collect();
    order.sort_by(|&a, &b| match (means[a].is_nan(), means[b].is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        (false, false) => means[a].total_cmp(&means[b]),
    });
    order[order.len() - k..].iter().map(|&i| alive[i]).collect()
}

fn run_halving<Y: Target>(
    candidates: Vec<Candidate<Y>>,
    h: &Halving,
    exhaust: bool,
    s: &SearchSettings<Y>,
    x: Features<'_>,
    y: ArrayView1<'_, Y>,
) -> Result<SearchResults<Y>> {
    let refit_index = s.check(x, y)?;
    let n = x.n_rows();
    let max_resources = h.check(n)?;
    let folds: Vec<Fold> = make_folds(s.cv.as_deref(), n, y, s.groups.as_deref())?;
    let schedule = HalvingSchedule::plan(
        candidates.len(),
        h.smallest(folds.len(), y),
        exhaust,
        max_resources,
        h.factor,
        h.aggressive_elimination,
    )?;
    let mut alive: Vec<usize> = (0..candidates.len()).collect();
    let mut rows: Option<ScoreRows> = None;
    let (mut params, mut row_candidate) = (Vec::new(), Vec::new());
    let (mut iters, mut resources) = (Vec::new(), Vec::new());
    let mut last_means = Vec::new();
    for (itr, &r) in schedule.n_resources.iter().enumerate() {
        let iter_folds = subsample(&folds, r, n, h.seed);
        let estimators: Vec<&dyn Estimator<Y>> = alive
            .iter()
            .map(|&c| candidates[c].estimator.as_ref())
            .collect();
        let scored = score_candidates(&estimators, &iter_folds, s, x, y)?;
        let means = scored.mean_test(refit_index).to_vec();
        for &c in &alive {
            params.push(candidates[c].params.clone());
            row_candidate.push(c);
            iters.push(itr);
            resources.push(r);
        }
        rows = Some(match rows {
            None => scored,
            Some(before) => before.append(scored),
        });
        let keep = (alive.len() as f64 / h.factor).ceil() as usize;
        last_means = means.clone();
        alive = top_k(&alive, &means, keep);
    }
    // The best of the last iteration (the first of equal scores; the first
    // row when every score is NaN).
    let first_last = row_candidate.len() - last_means.len();
    let best_in_last = last_means
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.is_nan())
        .fold(None, |best: Option<(usize, f64)>, (i, &m)| match best {
            Some((_, b)) if b >= m => best,
            _ => Some((i, m)),
        })
        .map_or(0, |(i, _)| i);
    let best_index = first_last + best_in_last;
    let best_candidate = candidates
        .into_iter()
        .nth(row_candidate[best_index])
        .expect("best candidate in range")
        .estimator;
    let table = CvTable::new(
        params,
        s,
        rows.expect("at least one iteration"),
        Some((iters, resources)),
    );
    finish(table, best_index, best_candidate, s, x, y, Some(schedule))
}

macro_rules! halving_settings {
    () => {
        /// How many times fewer candidates (and more samples) each
        /// iteration has; default `3`, must be above 1.
        pub fn factor(mut self, factor: f64) -> Self {
            self.halving.factor = factor;
            self
        }

        /// The samples per candidate of the first iteration.
        pub fn min_resources(mut self, m: MinResources) -> Self {
            self.halving.min_resources = m;
            self
        }

        /// The most samples an iteration may use (default: all).
        pub fn max_resources(mut self, m: usize) -> Self {
            self.halving.max_resources = Some(m);
            self
        }

        /// Run as many iterations as needed to bring the candidates down
        /// to fewer than `factor`, repeating the first size while samples
        /// are short (default `false`: stop when the samples run out).
        pub fn aggressive_elimination(mut self, yes: bool) -> Self {
            self.halving.aggressive_elimination = yes;
            self
        }

        /// Seed of the fold subsampling; default `0`.
        pub fn seed(mut self, seed: u64) -> Self {
            self.halving.seed = seed;
            self
        }
    };
}

/// Successive halving over a [`ParamGrid`] (scikit-learn's
/// `HalvingGridSearchCV`, resource = samples): every candidate is
/// cross-validated on a subsample of each fold, the best `1 / factor` go on
/// to `factor` times more samples, until fewer than `factor` remain or the
/// samples run out. The table has a row per candidate per iteration, with
/// its [`iter`](CvTable::iter) and [`n_resources`](CvTable::n_resources);
/// the best candidate is the best of the last iteration, refit on all rows.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::model_selection::{HalvingGridSearchCV, ParamGrid, StratifiedKFold};
///
/// let data = oxilearn::datasets::breast_cancer();
/// let pipe = Pipeline::new()
///     .transform("scaler", StandardScaler::new())
///     .estimator("logistic", LogisticRegression::<usize>::new());
/// let grid = ParamGrid::new(pipe).estimator_axis(
///     "logistic",
///     "C",
///     [1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4],
///     |m: LogisticRegression<usize>, c| m.c(c),
/// );
/// let search = HalvingGridSearchCV::new(grid)
///     .cv(StratifiedKFold::new(3))
///     .fit(&data.records, data.targets.view())?;
/// let schedule = search.halving().unwrap();
/// assert_eq!(schedule.n_candidates, vec![9, 3, 1]);
/// assert_eq!(schedule.n_resources, vec![63, 189, 567]);
/// assert_eq!(search.cv_results().n_candidates(), 13);
/// assert!(search.best_score() > 0.95);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug)]
pub struct HalvingGridSearchCV<Y: Target, E> {
    grid: ParamGrid<E>,
    halving: Halving,
    settings: SearchSettings<Y>,
}

impl<Y: Target, E: Estimator<Y> + Clone + 'static> HalvingGridSearchCV<Y, E> {
    /// A search over `grid`: factor 3, [`MinResources::Exhaust`], every
    /// sample at most, no aggressive elimination, seed 0.
    pub fn new(grid: ParamGrid<E>) -> Self {
        HalvingGridSearchCV {
            grid,
            halving: Halving::new(MinResources::Exhaust),
            settings: SearchSettings::default(),
        }
    }

    search_settings!();
    halving_settings!();

    /// Runs the search on `x`, `y`.
    ///
    /// # Errors
    /// As [`GridSearchCV::fit`](super::GridSearchCV::fit), each iteration
    /// on its own (with [`ErrorScore`] other than `Raise`, an iteration
    /// fails only when every fit of it fails); [`Error::InvalidParameter`]
    /// for a `factor` not above 1 (`"factor"`), `max_resources` of 0 or more
    /// than the samples (`"max_resources"`), a `min_resources` of 0 or above
    /// `max_resources` (`"min_resources"`).
    pub fn fit<'a>(
        &self,
        x: impl Into<Features<'a>>,
        y: ArrayView1<'_, Y>,
    ) -> Result<SearchResults<Y>> {
        let candidates = self.grid.build::<Y>()?;
        let exhaust = self.halving.min_resources == MinResources::Exhaust;
        run_halving(
            candidates,
            &self.halving,
            exhaust,
            &self.settings,
            x.into(),
            y,
        )
    }
}

/// Successive halving over candidates drawn from [`ParamDistributions`]
/// (scikit-learn's `HalvingRandomSearchCV`, resource = samples): as
/// [`HalvingGridSearchCV`], with [`NCandidates`] candidates drawn with the
/// seed (by default as many as the samples allow) and
/// [`MinResources::Smallest`] by default.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::model_selection::{HalvingRandomSearchCV, LogUniform, MinResources, ParamDistributions};
///
/// let data = oxilearn::datasets::diabetes();
/// let space = ParamDistributions::new(Ridge::new())
///     .param("alpha", LogUniform::new(1e-4, 1e3), |r: Ridge, a| r.alpha(a));
/// let search = HalvingRandomSearchCV::new(space)
///     .min_resources(MinResources::Count(40))
///     .seed(1)
///     .fit(&data.records, data.targets.view())?;
/// let schedule = search.halving().unwrap();
/// assert_eq!(schedule.n_candidates, vec![11, 4, 2]);
/// assert_eq!(schedule.n_resources, vec![40, 120, 360]);
/// assert!(search.best_score() > 0.4);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug)]
pub struct HalvingRandomSearchCV<Y: Target, E> {
    space: ParamDistributions<E>,
    n_candidates: NCandidates,
    halving: Halving,
    settings: SearchSettings<Y>,
}

impl<Y: Target, E: Estimator<Y> + Clone + 'static> HalvingRandomSearchCV<Y, E> {
    /// A search over `space`: [`NCandidates::Exhaust`], factor 3,
    /// [`MinResources::Smallest`], every sample at most, no aggressive
    /// elimination, seed 0 (for the draws and the subsampling).
    pub fn new(space: ParamDistributions<E>) -> Self {
        HalvingRandomSearchCV {
            space,
            n_candidates: NCandidates::Exhaust,
            halving: Halving::new(MinResources::Smallest),
            settings: SearchSettings::default(),
        }
    }

    /// How many candidates to draw.
    pub fn n_candidates(mut self, n: NCandidates) -> Self {
        self.n_candidates = n;
        self
    }

    search_settings!();
    halving_settings!();

    /// Runs the search on `x`, `y`.
    ///
    /// # Errors
    /// As [`HalvingGridSearchCV::fit`]; [`Error::InvalidParameter`] for
    /// `n_candidates` of 0 (`"n_iter"`), both `n_candidates` and
    /// `min_resources` set to `Exhaust` (`"n_candidates"`), an invalid
    /// distribution (`"distributions"`).
    pub fn fit<'a>(
        &self,
        x: impl Into<Features<'a>>,
        y: ArrayView1<'_, Y>,
    ) -> Result<SearchResults<Y>> {
        let x = x.into();
        let h = &self.halving;
        let n = match self.n_candidates {
            NCandidates::Count(n) => n,
            NCandidates::Exhaust => {
                if h.min_resources == MinResources::Exhaust {
                    return Err(Error::invalid(
                        "n_candidates",
                        "n_candidates and min_resources cannot both be Exhaust",
                    ));
                }
                let max = h.check(x.n_rows())?;
                let n_splits = make_folds(
                    self.settings.cv.as_deref(),
                    x.n_rows(),
                    y,
                    self.settings.groups.as_deref(),
                )?
                .len();
                max / h.smallest(n_splits, y).max(1)
            }
        };
        let candidates = self.space.build::<Y>(n, h.seed)?;
        let exhaust = h.min_resources == MinResources::Exhaust;
        run_halving(candidates, h, exhaust, &self.settings, x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of `tests/data/halving_schedule.txt`, made by
    /// `tests/data/make_halving_schedule.py` with scikit-learn 1.9.1:
    /// `(n_samples, n_candidates, factor, min_resources, aggressive,
    /// max_resources) -> min_resources_ max_resources_
    /// n_required_iterations_ n_possible_iterations_ n_iterations_
    /// n_resources_ n_candidates_ n_remaining_candidates_`.
    #[test]
    fn schedules_as_scikit_learn() {
        let text = include_str!("../../tests/data/halving_schedule.txt");
        let mut checked = 0;
        for line in text.lines().filter(|l| l.starts_with('(')) {
            let (case, want) = line.split_once(" -> ").expect("case -> result");
            let case: Vec<&str> = case
                .trim_matches(|c| c == '(' || c == ')')
                .split(", ")
                .collect();
            let n: usize = case[0].parse().unwrap();
            let nc: usize = case[1].parse().unwrap();
            let factor: f64 = case[2].parse().unwrap();
            let (smallest, exhaust) = match case[3] {
                "'exhaust'" => (10, true),
                "'smallest'" => (10, false),
                c => (c.parse().unwrap(), false),
            };
            let aggressive = case[4] == "true";
            let max = match case[5] {
                "'auto'" => n,
                m => m.parse().unwrap(),
            };
            let got = HalvingSchedule::plan(nc, smallest, exhaust, max, factor, aggressive);
            if want == "error" {
                assert!(got.is_err(), "{line}");
                checked += 1;
                continue;
            }
            let got = got.unwrap_or_else(|e| panic!("{line}: {e}"));
            let list = |v: &[usize]| {
                let items: Vec<String> = v.iter().map(usize::to_string).collect();
                format!("[{}]", items.join(", "))
            };
            let text = format!(
                "{} {} {} {} {} {} {} {}",
                got.min_resources,
                got.max_resources,
                got.n_required_iterations,
                got.n_possible_iterations,
                got.n_iterations,
                list(&got.n_resources),
                list(&got.n_candidates),
                got.n_remaining_candidates
            );
            assert_eq!(text, want, "{line}");
            checked += 1;
        }
        assert_eq!(checked, 756);
    }

    #[test]
    fn top_k_as_scikit_learn() {
        // _top_k: NaN first, then ascending; the last k.
        let means = [0.5, f64::NAN, 0.9, 0.1, 0.9];
        assert_eq!(top_k(&[10, 11, 12, 13, 14], &means, 3), vec![10, 12, 14]);
        assert_eq!(
            top_k(&[10, 11, 12, 13, 14], &means, 5),
            vec![11, 13, 10, 12, 14]
        );
    }

    #[test]
    fn subsamples_are_nested_and_sized() {
        let folds = vec![((0..80).collect::<Vec<_>>(), (80..100).collect::<Vec<_>>())];
        let small = subsample(&folds, 30, 100, 4);
        let big = subsample(&folds, 60, 100, 4);
        assert_eq!((small[0].0.len(), small[0].1.len()), (24, 6));
        assert_eq!((big[0].0.len(), big[0].1.len()), (48, 12));
        assert!(small[0].0.iter().all(|i| big[0].0.contains(i)));
        assert!(small[0].1.iter().all(|i| big[0].1.contains(i)));
        assert_eq!(subsample(&folds, 100, 100, 4), folds);
    }
}
