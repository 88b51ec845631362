//! Cross-validation splitters: which rows train and which test, fold by fold.
//!
//! Every splitter implements [`Splitter`]: given a [`SplitData`] (the number
//! of samples, and the class labels or groups when the splitter needs them) it
//! returns its folds as `(train_indices, test_indices)` pairs. Where
//! scikit-learn's assignment is deterministic (no shuffling), the folds are
//! identical to scikit-learn's; shuffled splits use this crate's seeded
//! generator (ChaCha8), so they are reproducible from the seed, on any thread
//! count, but differ from NumPy's.

use std::collections::BTreeMap;
use std::fmt::Debug;

use ndarray::ArrayView1;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::compose::{Target, TargetValues};
use crate::error::{Error, Result};

/// One fold: `(train_indices, test_indices)`, each sorted ascending (as
/// scikit-learn's) unless documented otherwise.
pub type Fold = (Vec<usize>, Vec<usize>);

/// What a splitter may look at: the number of samples, the class of each
/// sample (stratified splitters) and the group of each sample (group
/// splitters).
///
/// # Example
/// ```
/// use oxilearn::model_selection::{SplitData, Splitter, StratifiedKFold};
/// use oxilearn::ndarray::array;
///
/// let y = array!["a", "b", "a", "b", "a", "b"].mapv(String::from);
/// let data = SplitData::new(6).with_targets(y.view())?;
/// let folds = StratifiedKFold::new(3).split(&data)?;
/// assert_eq!(folds[0], (vec![2, 3, 4, 5], vec![0, 1]));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SplitData {
    n_samples: usize,
    /// Class code per sample (codes follow the sorted labels) and the labels
    /// as text (for error messages).
    classes: Option<(Vec<usize>, Vec<String>)>,
    /// Group code per sample (codes follow the sorted groups).
    groups: Option<Vec<usize>>,
}

impl SplitData {
    /// `n_samples` rows, without labels or groups.
    pub fn new(n_samples: usize) -> Self {
        SplitData {
            n_samples,
            classes: None,
            groups: None,
        }
    }

    /// Adds the targets: class labels are what stratified splitters balance;
    /// continuous targets are recorded as "no classes".
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless `y` has one value per sample.
    pub fn with_targets<Y: Target>(mut self, y: ArrayView1<'_, Y>) -> Result<Self> {
        if y.len() != self.n_samples {
            return Err(Error::ShapeMismatch {
                what: "y (one target per sample)",
                expected: vec![self.n_samples],
                got: vec![y.len()],
            });
        }
        self.classes = match Y::target_values(y) {
            TargetValues::Classes { codes, n_classes } => {
                let mut names = vec![String::new(); n_classes];
                for (c, v) in codes.iter().zip(y.iter()) {
                    if names[*c].is_empty() {
                        names[*c] = v.label_text();
                    }
                }
                Some((codes.to_vec(), names))
            }
            TargetValues::Continuous(_) => None,
        };
        Ok(self)
    }

    /// Adds the group of each sample (any ordered type: patient ids, dates …).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] unless `groups` has one value per sample.
    pub fn with_groups<G: Ord>(mut self, groups: &[G]) -> Result<Self> {
        if groups.len() != self.n_samples {
            return Err(Error::ShapeMismatch {
                what: "groups (one group per sample)",
                expected: vec![self.n_samples],
                got: vec![groups.len()],
            });
        }
        let mut index: BTreeMap<&G, usize> = groups.iter().map(|g| (g, 0)).collect();
        for (i, code) in index.values_mut().enumerate() {
            *code = i;
        }
        self.groups = Some(groups.iter().map(|g| index[g]).collect());
        Ok(self)
    }

    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// The class codes and label texts, or a typed error naming `who`.
    fn class_codes(&self, who: &str) -> Result<(&[usize], &[String])> {
        match &self.classes {
            Some((codes, names)) => Ok((codes, names)),
            None => Err(Error::InvalidParameter {
                name: "y",
                reason: format!(
                    "{who} needs class labels (a label target type such as usize or String); \
                     none or continuous targets were given"
                ),
            }),
        }
    }

    fn group_codes(&self, who: &str) -> Result<&[usize]> {
        self.groups
            .as_deref()
            .ok_or_else(|| Error::InvalidParameter {
                name: "groups",
                reason: format!("{who} needs the group of every sample"),
            })
    }
}

/// A cross-validation splitter (object-safe, so that searches hold any).
///
/// # Example
/// ```
/// use oxilearn::model_selection::{KFold, SplitData, Splitter};
/// let folds = KFold::new(3).split(&SplitData::new(7))?;
/// assert_eq!(folds[0], (vec![3, 4, 5, 6], vec![0, 1, 2]));
/// assert_eq!(folds[2].1, vec![5, 6]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub trait Splitter: Send + Sync + Debug {
    /// The folds for `data`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid settings (`n_splits < 2`, more
    /// splits than samples or groups, sizes out of range) or missing labels or
    /// groups; [`Error::ClassTooSmall`] for a class with too few members.
    fn split(&self, data: &SplitData) -> Result<Vec<Fold>>;

    /// How many folds [`split`](Self::split) returns.
    fn n_splits(&self) -> usize;

    /// A boxed copy.
    fn clone_box(&self) -> Box<dyn Splitter>;
}

impl Clone for Box<dyn Splitter> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

fn check_n_splits(n_splits: usize, n_samples: usize) -> Result<()> {
    if n_splits < 2 {
        return Err(Error::invalid(
            "n_splits",
            format!("must be at least 2, got {n_splits}"),
        ));
    }
    if n_splits > n_samples {
        return Err(Error::invalid(
            "n_splits",
            format!("{n_splits} is greater than the number of samples ({n_samples})"),
        ));
    }
    Ok(())
}

/// The complement of `test` in `0..n` (sorted), with `test` sorted.
fn fold_from_test(n: usize, mut test: Vec<usize>) -> Fold {
    test.sort_unstable();
    let mut in_test = vec![false; n];
    for &t in &test {
        in_test[t] = true;
    }
    let train = (0..n).filter(|&i| !in_test[i]).collect();
    (train, test)
}

/// Folds from a test-fold number per sample (`n_splits` folds).
fn folds_from_assignment(assign: &[usize], n_splits: usize) -> Vec<Fold> {
    (0..n_splits)
        .map(|f| {
            let test = (0..assign.len()).filter(|&i| assign[i] == f).collect();
            fold_from_test(assign.len(), test)
        })
        .collect()
}

/// `0..len` cut into `k` consecutive runs, the first `len % k` one longer
/// (how scikit-learn's `KFold` sizes its folds).
fn consecutive_runs(len: usize, k: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let (q, r) = (len / k, len % k);
    (0..k).scan(0, move |start, f| {
        let run = *start..*start + q + usize::from(f < r);
        *start = run.end;
        Some(run)
    })
}

/// A random split's fold: both index lists sorted.
fn sorted_fold(mut train: Vec<usize>, mut test: Vec<usize>) -> Fold {
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

macro_rules! splitter_boilerplate {
    () => {
        fn clone_box(&self) -> Box<dyn Splitter> {
            Box::new(self.clone())
        }
    };
}

// ---------------------------------------------------------------------------
// KFold
// ---------------------------------------------------------------------------

/// K consecutive folds (scikit-learn's `KFold`): the first `n % k` folds
/// have `n / k + 1` test samples, the others `n / k`. With
/// [`shuffle`](Self::shuffle), the samples are permuted first.
///
/// # Example
/// ```
/// use oxilearn::model_selection::{KFold, SplitData, Splitter};
/// let folds = KFold::new(2).split(&SplitData::new(4))?;
/// assert_eq!(folds, vec![(vec![2, 3], vec![0, 1]), (vec![0, 1], vec![2, 3])]);
/// let shuffled = KFold::new(2).shuffle(Some(7)).split(&SplitData::new(4))?;
/// assert_eq!(shuffled, KFold::new(2).shuffle(Some(7)).split(&SplitData::new(4))?);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KFold {
    n_splits: usize,
    shuffle: Option<u64>,
}

impl KFold {
    /// `n_splits ≥ 2` folds (scikit-learn's default is 5), no shuffling.
    pub fn new(n_splits: usize) -> Self {
        KFold {
            n_splits,
            shuffle: None,
        }
    }

    /// Shuffle the samples before splitting, with this seed (`None`: keep the
    /// order, the default).
    pub fn shuffle(mut self, seed: Option<u64>) -> Self {
        self.shuffle = seed;
        self
    }
}

impl Default for KFold {
    fn default() -> Self {
        KFold::new(5)
    }
}

impl Splitter for KFold {
    fn split(&self, data: &SplitData) -> Result<Vec<Fold>> {
        let n = data.n_samples;
        check_n_splits(self.n_splits, n)?;
        let mut order: Vec<usize> = (0..n).collect();
        if let Some(seed) = self.shuffle {
            order.shuffle(&mut rng(seed));
        }
        Ok(consecutive_runs(n, self.n_splits)
            .map(|run| fold_from_test(n, order[run].to_vec()))
            .collect())
    }

    fn n_splits(&self) -> usize {
        self.n_splits
    }

    splitter_boilerplate!();
}

// ---------------------------------------------------------------------------
// StratifiedKFold
// ---------------------------------------------------------------------------

/// K folds that keep each class's proportion (scikit-learn's
/// `StratifiedKFold`, same assignment without shuffling): classes in order of
/// first appearance, each class's samples dealt to the folds in blocks sized
/// by a round robin over the sorted labels.
///
/// Unlike scikit-learn (which only warns while at least one class is large
/// enough), a class with fewer members than `n_splits` is an error: some test
/// folds would not contain it.
///
/// # Example
/// ```
/// use oxilearn::model_selection::{SplitData, Splitter, StratifiedKFold};
/// use oxilearn::ndarray::array;
/// let y = array![0, 0, 0, 0, 1, 1];
/// let data = SplitData::new(6).with_targets(y.view())?;
/// let folds = StratifiedKFold::new(2).split(&data)?;
/// assert_eq!(folds[0].1, vec![0, 1, 4]);
/// assert_eq!(folds[1].1, vec![2, 3, 5]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StratifiedKFold {
    n_splits: usize,
    shuffle: Option<u64>,
}

impl StratifiedKFold {
    /// `n_splits ≥ 2` folds, no shuffling.
    pub fn new(n_splits: usize) -> Self {
        StratifiedKFold {
            n_splits,
            shuffle: None,
        }
    }

    /// Shuffle each class's fold assignment with this seed (`None`: no
    /// shuffling, the default).
    pub fn shuffle(mut self, seed: Option<u64>) -> Self {
        self.shuffle = seed;
        self
    }
}

impl Default for StratifiedKFold {
    fn default() -> Self {
        StratifiedKFold::new(5)
    }
}

/// Class codes renumbered by order of first appearance, and per-class
/// counts (in that order), with the labels' texts in that order.
fn by_appearance(codes: &[usize], names: &[String]) -> (Vec<usize>, Vec<usize>, Vec<String>) {
    let mut renumber = vec![usize::MAX; names.len()];
    let mut order_names = Vec::with_capacity(names.len());
    let mut next = 0;
    let encoded: Vec<usize> = codes
        .iter()
        .map(|&c| {
            if renumber[c] == usize::MAX {
                renumber[c] = next;
                order_names.push(names[c].clone());
                next += 1;
            }
            renumber[c]
        })
        .collect();
    let mut counts = vec![0; next];
    for &c in &encoded {
        counts[c] += 1;
    }
    (encoded, counts, order_names)
}

fn check_class_sizes(counts: &[usize], names: &[String], needed: usize) -> Result<()> {
    for (count, name) in counts.iter().zip(names) {
        if *count < needed {
            return Err(Error::ClassTooSmall {
                class: name.clone(),
                count: *count,
                needed,
            });
        }
    }
    Ok(())
}

impl StratifiedKFold {
    /// The folds as [`Splitter::split`] makes them, but allowing classes
    /// smaller than `n_splits` as scikit-learn does (it warns): only when
    /// every class is smaller is it an error. For internal cross fitting
    /// (the target encoder), where a fold without some class is harmless.
    pub(crate) fn split_lenient(&self, data: &SplitData) -> Result<Vec<Fold>> {
        let assign = self.test_folds_checked(data, self.shuffle, false)?;
        Ok(folds_from_assignment(&assign, self.n_splits))
    }

    /// The test fold of every sample.
    fn test_folds(&self, data: &SplitData, seed: Option<u64>) -> Result<Vec<usize>> {
        self.test_folds_checked(data, seed, true)
    }

    /// The test fold of every sample; `strict`: every class needs
    /// `n_splits` members (else at least one class does).
    fn test_folds_checked(
        &self,
        data: &SplitData,
        seed: Option<u64>,
        strict: bool,
    ) -> Result<Vec<usize>> {
        let n = data.n_samples;
        check_n_splits(self.n_splits, n)?;
        let (codes, names) = data.class_codes("StratifiedKFold")?;
        let (encoded, counts, names) = by_appearance(codes, names);
        if strict {
            check_class_sizes(&counts, &names, self.n_splits)?;
        } else if let Some((largest, name)) = counts.iter().zip(&names).max_by_key(|(c, _)| **c)
            && *largest < self.n_splits
        {
            return Err(Error::ClassTooSmall {
                class: name.clone(),
                count: *largest,
                needed: self.n_splits,
            });
        }
        let k = self.n_splits;
        // Round robin over the labels sorted by code: fold f gets positions
        // f, f + k, f + 2k … of the sorted order.
        let mut allocation = vec![vec![0usize; counts.len()]; k];
        let mut pos = 0;
        for (class, &count) in counts.iter().enumerate() {
            for _ in 0..count {
                allocation[pos % k][class] += 1;
                pos += 1;
            }
        }
        let mut rng = seed.map(rng);
        let mut assign = vec![0; n];
        for class in 0..counts.len() {
            let mut folds: Vec<usize> = allocation
                .iter()
                .enumerate()
                .flat_map(|(f, per_class)| std::iter::repeat_n(f, per_class[class]))
                .collect();
            if let Some(r) = rng.as_mut() {
                folds.shuffle(r);
            }
            let members = (0..n).filter(|&i| encoded[i] == class);
            for (i, f) in members.zip(folds) {
                assign[i] = f;
            }
        }
        Ok(assign)
    }
}

impl Splitter for StratifiedKFold {
    fn split(&self, data: &SplitData) -> Result<Vec<Fold>> {
        let assign = self.test_folds(data, self.shuffle)?;
        Ok(folds_from_assignment(&assign, self.n_splits))
    }

    fn n_splits(&self) -> usize {
        self.n_splits
    }

    splitter_boilerplate!();
}

// ---------------------------------------------------------------------------
// Repeated
// ---------------------------------------------------------------------------

/// [`KFold`] repeated `n_repeats` times with a different shuffle each time
/// (scikit-learn's `RepeatedKFold`): `n_splits · n_repeats` folds.
///
/// # Example
/// ```
/// use oxilearn::model_selection::{RepeatedKFold, SplitData, Splitter};
/// let cv = RepeatedKFold::new(2, 3).seed(1);
/// let folds = cv.split(&SplitData::new(10))?;
/// assert_eq!((folds.len(), cv.n_splits()), (6, 6));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatedKFold {
    n_splits: usize,
    n_repeats: usize,
    seed: u64,
}

impl RepeatedKFold {
    /// `n_splits` folds, `n_repeats ≥ 1` times (scikit-learn's defaults are
    /// 5 and 10); seed 0.
    pub fn new(n_splits: usize, n_repeats: usize) -> Self {
        RepeatedKFold {
            n_splits,
            n_repeats,
            seed: 0,
        }
    }

    /// Seed of the shuffles; default `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

fn check_repeats(n_repeats: usize) -> Result<()> {
    if n_repeats == 0 {
        return Err(Error::invalid("n_repeats", "must be at least 1, got 0"));
    }
    Ok(())
}

/// The seed of repetition `r`.
fn repeat_seed(seed: u64, r: usize) -> u64 {
    seed ^ (r as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The folds of `n_repeats` runs of the splitter `once(seed)`, each with its
/// own seed.
fn repeated<S: Splitter>(
    data: &SplitData,
    n_repeats: usize,
    seed: u64,
    once: impl Fn(u64) -> S,
) -> Result<Vec<Fold>> {
    check_repeats(n_repeats)?;
    let mut out = Vec::new();
    for r in 0..n_repeats {
        out.extend(once(repeat_seed(seed, r)).split(data)?);
    }
    Ok(out)
}

impl Splitter for RepeatedKFold {
    fn split(&self, data: &SplitData) -> Result<Vec<Fold>> {
        repeated(data, self.n_repeats, self.seed, |seed| {
            KFold::new(self.n_splits).shuffle(Some(seed))
        })
    }

    fn n_splits(&self) -> usize {
        self.n_splits * self.n_repeats
    }

    splitter_boilerplate!();
}

/// [`StratifiedKFold`] repeated `n_repeats` times with a different shuffle
/// each time (scikit-learn's `RepeatedStratifiedKFold`).
///
/// # Example
/// ```
/// use oxilearn::model_selection::{RepeatedStratifiedKFold, SplitData, Splitter};
/// use oxilearn::ndarray::array;
/// let y = array![0, 1, 0, 1, 0, 1];
/// let data = SplitData::new(6).with_targets(y.view())?;
/// let folds = RepeatedStratifiedKFold::new(3, 2).split(&data)?;
/// assert_eq!(folds.len(), 6);
/// assert!(folds.iter().all(|(_, test)| test.len() == 2));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatedStratifiedKFold {
    n_splits: usize,
    n_repeats: usize,
    seed: u64,
}

impl RepeatedStratifiedKFold {
    /// `n_splits` stratified folds, `n_repeats ≥ 1` times; seed 0.
    pub fn new(n_splits: usize, n_repeats: usize) -> Self {
        RepeatedStratifiedKFold {
            n_splits,
            n_repeats,
            seed: 0,
        }
    }

    /// Seed of the shuffles; default `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

impl Splitter for RepeatedStratifiedKFold {
    fn split(&self, data: &SplitData) -> Result<Vec<Fold>> {
        repeated(data, self.n_repeats, self.seed, |seed| {
            StratifiedKFold::new(self.n_splits).shuffle(Some(seed))
        })
    }

    fn n_splits(&self) -> usize {
        self.n_splits * self.n_repeats
    }

    splitter_boilerplate!();
}

// ---------------------------------------------------------------------------
// Shuffle splits
// ---------------------------------------------------------------------------

/// A train or test size: a fraction of the samples or a count.
///
/// # Example
/// ```
/// use oxilearn::model_selection::SplitSize;
/// assert_eq!(SplitSize::from(0.25), SplitSize::Fraction(0.25));
/// assert_eq!(SplitSize::from(30usize), SplitSize::Count(30));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SplitSize {
    /// A fraction in `(0, 1)` of the samples.
    Fraction(f64),
    /// A number of samples.
    Count(usize),
}

impl From<f64> for SplitSize {
    fn from(f: f64) -> Self {
        SplitSize::Fraction(f)
    }
}

impl From<usize> for SplitSize {
    fn from(c: usize) -> Self {
        SplitSize::Count(c)
    }
}

/// scikit-learn's `_validate_shuffle_split`: `(n_train, n_test)`; a test
/// fraction rounds up, a train fraction down.
fn train_test_sizes(
    n: usize,
    test: Option<SplitSize>,
    train: Option<SplitSize>,
    default_test: f64,
) -> Result<(usize, usize)> {
    let check = |name: &'static str, s: SplitSize| -> Result<()> {
        match s {
            SplitSize::Fraction(f) if !(f > 0.0 && f < 1.0) => Err(Error::invalid(
                name,
                format!("a fraction must be in (0, 1), got {f}"),
            )),
            SplitSize::Count(c) if c == 0 || c >= n => Err(Error::invalid(
                name,
                format!("a count must be in [1, {n}) for {n} samples, got {c}"),
            )),
            _ => Ok(()),
        }
    };
    let test = match (test, train) {
        (None, None) => Some(SplitSize::Fraction(default_test)),
        (t, _) => t,
    };
    if let Some(t) = test {
        check("test_size", t)?;
    }
    if let Some(t) = train {
        check("train_size", t)?;
    }
    let n_test = test.map(|t| match t {
        SplitSize::Fraction(f) => (f * n as f64).ceil() as usize,
        SplitSize::Count(c) => c,
    });
    let n_train = train.map(|t| match t {
        SplitSize::Fraction(f) => (f * n as f64).floor() as usize,
        SplitSize::Count(c) => c,
    });
    let (n_train, n_test) = match (n_train, n_test) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, n - a),
        (None, Some(b)) => (n - b, b),
        (None, None) => unreachable!("a test size is set above"),
    };
    if n_train == 0 || n_train + n_test > n {
        return Err(Error::invalid(
            "train_size",
            format!(
                "{n_train} training and {n_test} test samples do not fit in {n} samples \
                 (the training set must not be empty)"
            ),
        ));
    }
    Ok((n_train, n_test))
}

/// Independent random train/test splits (scikit-learn's `ShuffleSplit`):
/// each split permutes the samples and takes the first `n_test` as test,
/// the next `n_train` as train. Defaults: 10 splits, test size 0.1.
///
/// # Example
/// ```
/// use oxilearn::model_selection::{ShuffleSplit, SplitData, Splitter};
/// let folds = ShuffleSplit::new(3).test_size(0.25).seed(4).split(&SplitData::new(8))?;
/// assert_eq!(folds.len(), 3);
/// assert!(folds.iter().all(|(train, test)| train.len() == 6 && test.len() == 2));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShuffleSplit {
    n_splits: usize,
    test_size: Option<SplitSize>,
    train_size: Option<SplitSize>,
    seed: u64,
}

impl ShuffleSplit {
    /// `n_splits ≥ 1` random splits (scikit-learn's default 10); test size
    /// 0.1 unless set; seed 0.
    pub fn new(n_splits: usize) -> Self {
        ShuffleSplit {
            n_splits,
            test_size: None,
            train_size: None,
            seed: 0,
        }
    }

    /// Test size (fraction or count); default 0.1 (the complement of the
    /// train size when only that is set).
    pub fn test_size(mut self, s: impl Into<SplitSize>) -> Self {
        self.test_size = Some(s.into());
        self
    }

    /// Train size; default: the complement of the test size.
    pub fn train_size(mut self, s: impl Into<SplitSize>) -> Self {
        self.train_size = Some(s.into());
        self
    }

    /// Seed; default `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

fn check_random_splits(n_splits: usize) -> Result<()> {
    if n_splits == 0 {
        return Err(Error::invalid("n_splits", "must be at least 1, got 0"));
    }
    Ok(())
}

impl Splitter for ShuffleSplit {
    fn split(&self, data: &SplitData) -> Result<Vec<Fold>> {
        check_random_splits(self.n_splits)?;
        let n = data.n_samples;
        let (n_train, n_test) = train_test_sizes(n, self.test_size, self.train_size, 0.1)?;
        let mut rng = rng(self.seed);
        Ok((0..self.n_splits)
            .map(|_| {
                let mut order: Vec<usize> = (0..n).collect();
                order.shuffle(&mut rng);
                sorted_fold(
                    order[n_test..n_test + n_train].to_vec(),
                    order[..n_test].to_vec(),
                )
            })
            .collect())
    }

    fn n_splits(&self) -> usize {
        self.n_splits
    }

    splitter_boilerplate!();
}

/// Random train/test splits that keep each class's proportion
/// (scikit-learn's `StratifiedShuffleSplit`): per split, each class gives
/// its share of the train and test sizes (largest remainders, ties broken at
/// random), drawn from a fresh permutation of its members.
///
/// # Example
/// ```
/// use oxilearn::model_selection::{SplitData, Splitter, StratifiedShuffleSplit};
/// use oxilearn::ndarray::array;
/// let y = array![0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
/// let data = SplitData::new(10).with_targets(y.view())?;
/// for (train, test) in StratifiedShuffleSplit::new(5).test_size(0.5).split(&data)? {
///     assert_eq!(test.iter().filter(|&&i| y[i] == 1).count(), 2);
///     assert_eq!(train.len(), 5);
/// }
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StratifiedShuffleSplit {
    n_splits: usize,
    test_size: Option<SplitSize>,
    train_size: Option<SplitSize>,
    seed: u64,
}

impl StratifiedShuffleSplit {
    /// `n_splits ≥ 1` random stratified splits (scikit-learn's default 10);
    /// test size 0.1 unless set; seed 0.
    pub fn new(n_splits: usize) -> Self {
        StratifiedShuffleSplit {
            n_splits,
            test_size: None,
            train_size: None,
            seed: 0,
        }
    }

    /// Test size (fraction or count); default 0.1.
    pub fn test_size(mut self, s: impl Into<SplitSize>) -> Self {
        self.test_size = Some(s.into());
        self
    }

    /// Train size; default: the complement of the test size.
    pub fn train_size(mut self, s: impl Into<SplitSize>) -> Self {
        self.train_size = Some(s.into());
        self
    }

    /// Seed; default `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// `n_draws` spread over classes in proportion to `counts`: floors, then
/// the remaining draws to the largest fractional parts (ties in random
/// order), never more than a class holds.
fn approximate_mode(counts: &[usize], n_draws: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let total: usize = counts.iter().sum();
    let cont: Vec<f64> = counts
        .iter()
        .map(|&c| c as f64 / total as f64 * n_draws as f64)
        .collect();
    let mut take: Vec<usize> = cont.iter().map(|v| v.floor() as usize).collect();
    let mut left = n_draws - take.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..counts.len()).collect();
    order.shuffle(rng);
    // Stable sort by decreasing remainder keeps the random order among ties.
    order.sort_by(|&a, &b| {
        let (ra, rb) = (cont[a] - cont[a].floor(), cont[b] - cont[b].floor());
        rb.total_cmp(&ra)
    });
    while left > 0 {
        let before = left;
        for &c in &order {
            if left == 0 {
                break;
            }
            if take[c] < counts[c] {
                take[c] += 1;
                left -= 1;
            }
        }
        if before == left {
            break;
        }
    }
    take
}

impl Splitter for StratifiedShuffleSplit {
    fn split(&self, data: &SplitData) -> Result<Vec<Fold>> {
        check_random_splits(self.n_splits)?;
        let n = data.n_samples;
        let (n_train, n_test) = train_test_sizes(n, self.test_size, self.train_size, 0.1)?;
        let (codes, names) = data.class_codes("StratifiedShuffleSplit")?;
        let k = names.len();
        let mut members = vec![Vec::new(); k];
        for (i, &c) in codes.iter().enumerate() {
            members[c].push(i);
        }
        let counts: Vec<usize> = members.iter().map(Vec::len).collect();
        check_class_sizes(&counts, names, 2)?;
        for (name, size) in [("train_size", n_train), ("test_size", n_test)] {
            if size < k {
                return Err(Error::invalid(
                    name,
                    format!("{size} samples cannot hold every one of the {k} classes"),
                ));
            }
        }
        let mut rng = rng(self.seed);
        Ok((0..self.n_splits)
            .map(|_| {
                let n_i = approximate_mode(&counts, n_train, &mut rng);
                let remaining: Vec<usize> = counts.iter().zip(&n_i).map(|(c, t)| c - t).collect();
                let t_i = approximate_mode(&remaining, n_test, &mut rng);
                let (mut train, mut test) = (Vec::new(), Vec::new());
                for c in 0..k {
                    let mut perm = members[c].clone();
                    perm.shuffle(&mut rng);
                    train.extend_from_slice(&perm[..n_i[c]]);
                    test.extend_from_slice(&perm[n_i[c]..n_i[c] + t_i[c]]);
                }
                sorted_fold(train, test)
            })
            .collect())
    }

    fn n_splits(&self) -> usize {
        self.n_splits
    }

    splitter_boilerplate!();
}

// ---------------------------------------------------------------------------
// Groups, time series, leave-one-out
// ---------------------------------------------------------------------------

/// K folds with no group in two folds (scikit-learn's `GroupKFold`, same
/// assignment): groups sorted by size (largest first; among equal sizes, the
/// later-sorting group first) each go to the fold with the fewest samples so
/// far.
///
/// # Example
/// ```
/// use oxilearn::model_selection::{GroupKFold, SplitData, Splitter};
/// let groups = ["a", "a", "a", "b", "b", "c"];
/// let data = SplitData::new(6).with_groups(&groups)?;
/// let folds = GroupKFold::new(2).split(&data)?;
/// assert_eq!(folds[0].1, vec![0, 1, 2]);
/// assert_eq!(folds[1].1, vec![3, 4, 5]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupKFold {
    n_splits: usize,
    shuffle: Option<u64>,
}

impl GroupKFold {
    /// `n_splits ≥ 2` folds (at most the number of groups).
    pub fn new(n_splits: usize) -> Self {
        GroupKFold {
            n_splits,
            shuffle: None,
        }
    }

    /// With a seed: permute the groups and cut them into `n_splits`
    /// consecutive runs of (almost) equal numbers of groups, as
    /// scikit-learn's `GroupKFold(shuffle=True)` does (fold sizes in samples
    /// then vary); `None` (the default): the size-balancing assignment.
    pub fn shuffle(mut self, seed: Option<u64>) -> Self {
        self.shuffle = seed;
        self
    }
}

impl Default for GroupKFold {
    fn default() -> Self {
        GroupKFold::new(5)
    }
}

impl Splitter for GroupKFold {
    fn split(&self, data: &SplitData) -> Result<Vec<Fold>> {
        let groups = data.group_codes("GroupKFold")?;
        check_n_splits(self.n_splits, data.n_samples)?;
        let n_groups = groups.iter().max().map_or(0, |m| m + 1);
        if self.n_splits > n_groups {
            return Err(Error::invalid(
                "n_splits",
                format!(
                    "{} is greater than the number of groups ({n_groups})",
                    self.n_splits
                ),
            ));
        }
        if let Some(seed) = self.shuffle {
            let mut order: Vec<usize> = (0..n_groups).collect();
            order.shuffle(&mut rng(seed));
            let mut group_fold = vec![0; n_groups];
            for (f, run) in consecutive_runs(n_groups, self.n_splits).enumerate() {
                for &g in &order[run] {
                    group_fold[g] = f;
                }
            }
            let assign: Vec<usize> = groups.iter().map(|&g| group_fold[g]).collect();
            return Ok(folds_from_assignment(&assign, self.n_splits));
        }
        let mut sizes = vec![0usize; n_groups];
        for &g in groups {
            sizes[g] += 1;
        }
        // NumPy's stable ascending argsort, reversed.
        let mut order: Vec<usize> = (0..n_groups).collect();
        order.sort_by_key(|&g| sizes[g]);
        order.reverse();
        let mut fold_size = vec![0usize; self.n_splits];
        let mut group_fold = vec![0; n_groups];
        for g in order {
            let lightest = (0..self.n_splits)
                .min_by_key(|&f| (fold_size[f], f))
                .expect("n_splits >= 2");
            fold_size[lightest] += sizes[g];
            group_fold[g] = lightest;
        }
        let assign: Vec<usize> = groups.iter().map(|&g| group_fold[g]).collect();
        Ok(folds_from_assignment(&assign, self.n_splits))
    }

    fn n_splits(&self) -> usize {
        self.n_splits
    }

    splitter_boilerplate!();
}

/// Forward-chaining splits for ordered data (scikit-learn's
/// `TimeSeriesSplit`, same splits): split `i` tests on the `i`-th of
/// `n_splits` consecutive blocks at the end and trains on everything before
/// it (minus a `gap`, at most `max_train_size` samples).
///
/// # Example
/// ```
/// use oxilearn::model_selection::{SplitData, Splitter, TimeSeriesSplit};
/// let folds = TimeSeriesSplit::new(3).split(&SplitData::new(6))?;
/// assert_eq!(folds[0], (vec![0, 1, 2], vec![3]));
/// assert_eq!(folds[2], (vec![0, 1, 2, 3, 4], vec![5]));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeSeriesSplit {
    n_splits: usize,
    max_train_size: Option<usize>,
    test_size: Option<usize>,
    gap: usize,
}

impl TimeSeriesSplit {
    /// `n_splits ≥ 2` splits (scikit-learn's default 5).
    pub fn new(n_splits: usize) -> Self {
        TimeSeriesSplit {
            n_splits,
            max_train_size: None,
            test_size: None,
            gap: 0,
        }
    }

    /// Keep only the last `m` training samples of each split; default: all.
    pub fn max_train_size(mut self, m: Option<usize>) -> Self {
        self.max_train_size = m;
        self
    }

    /// Samples per test block; default `n_samples / (n_splits + 1)`.
    pub fn test_size(mut self, t: Option<usize>) -> Self {
        self.test_size = t;
        self
    }

    /// Samples left out between the end of training and the test block;
    /// default `0`.
    pub fn gap(mut self, gap: usize) -> Self {
        self.gap = gap;
        self
    }
}

impl Default for TimeSeriesSplit {
    fn default() -> Self {
        TimeSeriesSplit::new(5)
    }
}

impl Splitter for TimeSeriesSplit {
    fn split(&self, data: &SplitData) -> Result<Vec<Fold>> {
        let n = data.n_samples;
        let k = self.n_splits;
        if k < 2 {
            return Err(Error::invalid(
                "n_splits",
                format!("must be at least 2, got {k}"),
            ));
        }
        if k + 1 > n {
            return Err(Error::invalid(
                "n_splits",
                format!("{k} splits need {} folds, more than the {n} samples", k + 1),
            ));
        }
        let test_size = self.test_size.unwrap_or(n / (k + 1));
        if test_size == 0 || self.max_train_size == Some(0) {
            return Err(Error::invalid(
                "test_size",
                "test_size and max_train_size must be at least 1",
            ));
        }
        if n <= self.gap + test_size * k {
            return Err(Error::invalid(
                "n_splits",
                format!(
                    "too many splits ({k}) for {n} samples with test_size {test_size} and gap {}",
                    self.gap
                ),
            ));
        }
        Ok((0..k)
            .map(|i| {
                let test_start = n - (k - i) * test_size;
                let train_end = test_start - self.gap;
                let train_start = match self.max_train_size {
                    Some(m) if m < train_end => train_end - m,
                    _ => 0,
                };
                (
                    (train_start..train_end).collect(),
                    (test_start..test_start + test_size).collect(),
                )
            })
            .collect())
    }

    fn n_splits(&self) -> usize {
        self.n_splits
    }

    splitter_boilerplate!();
}

/// One fold per sample, testing on that sample alone (scikit-learn's
/// `LeaveOneOut`). Its [`n_splits`](Splitter::n_splits) is only known from
/// the data; it reports `0`.
///
/// # Example
/// ```
/// use oxilearn::model_selection::{LeaveOneOut, SplitData, Splitter};
/// let folds = LeaveOneOut.split(&SplitData::new(3))?;
/// assert_eq!(folds[1], (vec![0, 2], vec![1]));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeaveOneOut;

impl Splitter for LeaveOneOut {
    fn split(&self, data: &SplitData) -> Result<Vec<Fold>> {
        let n = data.n_samples;
        if n < 2 {
            return Err(Error::invalid(
                "n_splits",
                format!("leave-one-out needs at least 2 samples, got {n}"),
            ));
        }
        Ok((0..n).map(|i| fold_from_test(n, vec![i])).collect())
    }

    fn n_splits(&self) -> usize {
        0
    }

    splitter_boilerplate!();
}
