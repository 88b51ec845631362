//! Seeded train/test splits, shuffling and mini-batch iteration.
//!
//! All randomness comes from `rand_chacha::ChaCha8Rng::seed_from_u64(seed)`:
//! the same seed gives the same split on every platform and thread count.

use std::collections::BTreeMap;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

/// The four parts of a train/test split (owned arrays, rows in shuffled order).
///
/// # Example
/// ```
/// use oxilearn::data::{train_test_split, Split};
/// use oxilearn::ndarray::{array, Array2};
///
/// let x = Array2::from_shape_fn((10, 2), |(i, j)| (i * 2 + j) as f64);
/// let y = array![0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
/// let Split { x_train, x_test, y_train, y_test } = train_test_split(x.view(), y.view(), 0.25, 7)?;
/// assert_eq!((x_train.nrows(), x_test.nrows()), (7, 3)); // ceil(0.25 · 10) = 3 test rows
/// assert_eq!((y_train.len(), y_test.len()), (7, 3));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Split<F, T> {
    /// Training records.
    pub x_train: Array2<F>,
    /// Test records.
    pub x_test: Array2<F>,
    /// Training targets (row `i` belongs to `x_train` row `i`).
    pub y_train: Array1<T>,
    /// Test targets (row `i` belongs to `x_test` row `i`).
    pub y_test: Array1<T>,
}

/// A permutation of `0..n`, uniformly random for the seed (Fisher–Yates with
/// `ChaCha8Rng`).
///
/// # Example
/// ```
/// let p = oxilearn::data::shuffle_indices(5, 42);
/// let mut sorted = p.clone();
/// sorted.sort();
/// assert_eq!(sorted, [0, 1, 2, 3, 4]);
/// assert_eq!(p, oxilearn::data::shuffle_indices(5, 42)); // deterministic
/// ```
pub fn shuffle_indices(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut idx: Vec<usize> = (0..n).collect();
    shuffle(&mut idx, &mut rng);
    idx
}

/// In-place Fisher–Yates shuffle.
pub(crate) fn shuffle<V>(v: &mut [V], rng: &mut ChaCha8Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i);
        v.swap(i, j);
    }
}

/// Checks inputs and returns `(n_train, n_test)` with scikit-learn's
/// rounding: `n_test = ceil(test_size · n)`, `n_train = n − n_test`.
fn split_sizes(n_rows: usize, n_targets: usize, test_size: f64) -> Result<(usize, usize)> {
    if !(test_size > 0.0 && test_size < 1.0) {
        return Err(Error::invalid(
            "test_size",
            format!("must be a fraction in (0, 1), got {test_size}"),
        ));
    }
    crate::validation::check_n_targets(n_rows, n_targets)?;
    if n_rows == 0 {
        return Err(Error::EmptyInput {
            what: "x (no rows to split)",
        });
    }
    let n_test = ((test_size * n_rows as f64).ceil() as usize).clamp(1, n_rows);
    let n_train = n_rows - n_test;
    if n_train == 0 {
        return Err(Error::invalid(
            "test_size",
            format!(
                "with {n_rows} samples and test_size = {test_size} the training set would be empty"
            ),
        ));
    }
    Ok((n_train, n_test))
}

fn gather<F: Clone, T: Clone>(
    x: ArrayView2<'_, F>,
    y: ArrayView1<'_, T>,
    train: &[usize],
    test: &[usize],
) -> Split<F, T> {
    Split {
        x_train: x.select(Axis(0), train),
        x_test: x.select(Axis(0), test),
        y_train: y.select(Axis(0), train),
        y_test: y.select(Axis(0), test),
    }
}

/// Shuffles rows with `seed` and splits them into a training and a test part,
/// like scikit-learn's `train_test_split(x, y, test_size=…, random_state=…)`.
///
/// The test part gets `ceil(test_size · n)` rows (scikit-learn's rounding),
/// the training part the rest. `x` may have any element type and layout.
///
/// # Errors
/// - [`Error::InvalidParameter`] (`test_size`) if `test_size` is not in
///   `(0, 1)` or the training part would be empty;
/// - [`Error::ShapeMismatch`] if `y.len() != x.nrows()`;
/// - [`Error::EmptyInput`] if `x` has no rows.
///
/// # Example
/// ```
/// use oxilearn::data::train_test_split;
///
/// let iris = oxilearn::datasets::iris();
/// let s = train_test_split(iris.records.view(), iris.targets.view(), 0.2, 0)?;
/// assert_eq!(s.x_train.dim(), (120, 4));
/// assert_eq!(s.y_test.len(), 30);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn train_test_split<F: Clone, T: Clone>(
    x: ArrayView2<'_, F>,
    y: ArrayView1<'_, T>,
    test_size: f64,
    seed: u64,
) -> Result<Split<F, T>> {
    let (_, n_test) = split_sizes(x.nrows(), y.len(), test_size)?;
    let perm = shuffle_indices(x.nrows(), seed);
    let (test, train) = perm.split_at(n_test);
    Ok(gather(x, y, train, test))
}

/// Like [`train_test_split`] but keeps the class proportions of `y` in both
/// parts (the split scikit-learn's `StratifiedShuffleSplit` makes).
///
/// Sizes: `n_test = ceil(test_size · n)` as in [`train_test_split`]. Each
/// class `c` with `n_c` members gets `n_c · n_test / n` test rows rounded by
/// the largest-remainder method (so the totals are exact; equal remainders
/// go to the larger class, then the one with the smaller label — scikit-learn
/// breaks such ties at random), then adjusted so
/// every class has at least one row in each part. Rows within each class are
/// picked at random; both parts are then shuffled so classes are interleaved.
///
/// # Errors
/// Those of [`train_test_split`], plus [`Error::InvalidParameter`]
/// (`test_size`) when some class has fewer than 2 members or a part would
/// have fewer rows than there are classes (so not every class could appear
/// in it).
///
/// # Example
/// ```
/// use oxilearn::data::stratified_train_test_split;
///
/// let bc = oxilearn::datasets::breast_cancer(); // 212 malignant, 357 benign
/// let s = stratified_train_test_split(bc.records.view(), bc.targets.view(), 0.25, 1)?;
/// let malignant_test = s.y_test.iter().filter(|&&c| c == 0).count();
/// assert_eq!(s.y_test.len(), 143);
/// assert_eq!(malignant_test, 53); // 212 · 143 / 569 = 53.3
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn stratified_train_test_split<F: Clone, T: Clone + Ord>(
    x: ArrayView2<'_, F>,
    y: ArrayView1<'_, T>,
    test_size: f64,
    seed: u64,
) -> Result<Split<F, T>> {
    let (n_train, n_test) = split_sizes(x.nrows(), y.len(), test_size)?;
    let n = x.nrows();
    let mut classes: BTreeMap<&T, Vec<usize>> = BTreeMap::new();
    for (i, label) in y.iter().enumerate() {
        classes.entry(label).or_default().push(i);
    }
    let members: Vec<Vec<usize>> = classes.into_values().collect();
    let k = members.len();
    if let Some(smallest) = members.iter().map(Vec::len).min().filter(|&m| m < 2) {
        return Err(Error::invalid(
            "test_size",
            format!("the least populated class has {smallest} member; stratification needs 2"),
        ));
    }
    if n_test < k || n_train < k {
        return Err(Error::invalid(
            "test_size",
            format!(
                "a split of {n_train} train / {n_test} test rows cannot hold each of the {k} classes"
            ),
        ));
    }

    // Largest-remainder apportionment of n_test among the classes.
    let ideal: Vec<f64> = members
        .iter()
        .map(|m| m.len() as f64 * n_test as f64 / n as f64)
        .collect();
    let mut counts: Vec<usize> = ideal.iter().map(|v| v.floor() as usize).collect();
    let mut rest = n_test - counts.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..k).collect();
    // Largest fractional part first; ties go to the larger class, then the first.
    order.sort_by(|&a, &b| {
        let fa = ideal[a] - ideal[a].floor();
        let fb = ideal[b] - ideal[b].floor();
        fb.total_cmp(&fa)
            .then(members[b].len().cmp(&members[a].len()))
            .then(a.cmp(&b))
    });
    for &c in order.iter().cycle() {
        if rest == 0 {
            break;
        }
        if counts[c] < members[c].len() {
            counts[c] += 1;
            rest -= 1;
        }
    }
    // Every class in both parts: move single rows between classes, taking from
    // the class furthest above (or below) its ideal share.
    for c in 0..k {
        while counts[c] == 0 {
            let donor = (0..k)
                .filter(|&d| counts[d] >= 2)
                .max_by(|&a, &b| {
                    (counts[a] as f64 - ideal[a]).total_cmp(&(counts[b] as f64 - ideal[b]))
                })
                .expect("n_test >= k guarantees a class with 2+ test rows");
            counts[donor] -= 1;
            counts[c] += 1;
        }
        while counts[c] == members[c].len() {
            let taker = (0..k)
                .filter(|&d| counts[d] + 2 <= members[d].len())
                .min_by(|&a, &b| {
                    (counts[a] as f64 - ideal[a]).total_cmp(&(counts[b] as f64 - ideal[b]))
                })
                .expect("n_train >= k guarantees a class with 2+ train rows");
            counts[taker] += 1;
            counts[c] -= 1;
        }
    }

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut train = Vec::with_capacity(n_train);
    let mut test = Vec::with_capacity(n_test);
    for (mut idx, &t) in members.into_iter().zip(&counts) {
        shuffle(&mut idx, &mut rng);
        test.extend_from_slice(&idx[..t]);
        train.extend_from_slice(&idx[t..]);
    }
    shuffle(&mut train, &mut rng);
    shuffle(&mut test, &mut rng);
    Ok(gather(x, y, &train, &test))
}

/// Mini-batches of row indices over `0..n`: an iterator of `Vec<usize>` of
/// `batch_size` indices each (the last batch may be shorter), in shuffled
/// order when a seed is given. Built by [`batches`].
///
/// Use the indices with `x.select(Axis(0), &idx)`.
///
/// # Example
/// ```
/// use oxilearn::data::batches;
/// use oxilearn::ndarray::{Array2, Axis};
///
/// let x = Array2::<f32>::zeros((10, 3));
/// let mut seen = 0;
/// for idx in batches(10, 4, Some(1))? {
///     let xb = x.select(Axis(0), &idx);
///     assert!(xb.nrows() == 4 || xb.nrows() == 2);
///     seen += idx.len();
/// }
/// assert_eq!(seen, 10);
/// assert_eq!(batches(10, 4, None)?.len(), 3);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct BatchIter {
    order: Vec<usize>,
    batch_size: usize,
    pos: usize,
}

/// Mini-batch iterator over `n` rows (see [`BatchIter`]).
///
/// `shuffle_seed = None` keeps the natural order `0..n`; `Some(seed)` uses
/// [`shuffle_indices`]`(n, seed)` (pass e.g. `base_seed + epoch` for a new
/// order each epoch).
///
/// # Errors
/// [`Error::InvalidParameter`] (`batch_size`) if `batch_size == 0`.
///
/// # Example
/// ```
/// let b: Vec<Vec<usize>> = oxilearn::data::batches(5, 2, None)?.collect();
/// assert_eq!(b, vec![vec![0, 1], vec![2, 3], vec![4]]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn batches(n: usize, batch_size: usize, shuffle_seed: Option<u64>) -> Result<BatchIter> {
    if batch_size == 0 {
        return Err(Error::invalid("batch_size", "must be >= 1, got 0"));
    }
    let order = match shuffle_seed {
        Some(seed) => shuffle_indices(n, seed),
        None => (0..n).collect(),
    };
    Ok(BatchIter {
        order,
        batch_size,
        pos: 0,
    })
}

impl BatchIter {
    /// The full visiting order of the rows (a permutation of `0..n`).
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
}

impl Iterator for BatchIter {
    type Item = Vec<usize>;

    fn next(&mut self) -> Option<Vec<usize>> {
        if self.pos >= self.order.len() {
            return None;
        }
        let end = self.order.len().min(self.pos + self.batch_size);
        let batch = self.order[self.pos..end].to_vec();
        self.pos = end;
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.order.len() - self.pos).div_ceil(self.batch_size);
        (left, Some(left))
    }
}

impl ExactSizeIterator for BatchIter {}

impl std::iter::FusedIterator for BatchIter {}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Slice, array};

    fn xy(n: usize) -> (Array2<f64>, Array1<usize>) {
        let x = Array2::from_shape_fn((n, 2), |(i, j)| (i * 10 + j) as f64);
        let y = Array1::from_shape_fn(n, |i| i);
        (x, y)
    }

    #[test]
    fn split_sizes_follow_sklearn_ceil() {
        // sklearn: train_test_split(np.arange(10), test_size=0.25) -> 7 train, 3 test
        let (x, y) = xy(10);
        let s = train_test_split(x.view(), y.view(), 0.25, 0).unwrap();
        assert_eq!((s.x_train.nrows(), s.x_test.nrows()), (7, 3));
        // for n, t in [(10, 0.3), (100, 0.07), (569, 0.25), (7, 0.1), (1000, 0.1)]:
        //     a, b = train_test_split(np.arange(n), test_size=t, random_state=0); print(len(a), len(b))
        // -> 7 3 / 92 8 / 426 143 / 6 1 / 900 100   (ceil of the float product: 0.07·100 = 7.000000000000001)
        for (n, t, n_train, n_test) in [
            (10, 0.3, 7, 3),
            (100, 0.07, 92, 8),
            (569, 0.25, 426, 143),
            (7, 0.1, 6, 1),
            (1000, 0.1, 900, 100),
        ] {
            let (x, y) = xy(n);
            let s = train_test_split(x.view(), y.view(), t, 0).unwrap();
            assert_eq!(
                (s.y_train.len(), s.y_test.len()),
                (n_train, n_test),
                "n={n} t={t}"
            );
        }
        let (x, y) = xy(150);
        let s = train_test_split(x.view(), y.view(), 0.33, 0).unwrap();
        assert_eq!(s.y_test.len(), 50); // ceil(49.5)
    }

    #[test]
    fn split_is_a_partition_and_rows_stay_aligned() {
        let (x, y) = xy(37);
        let s = train_test_split(x.view(), y.view(), 0.3, 5).unwrap();
        let mut all: Vec<usize> = s.y_train.iter().chain(s.y_test.iter()).copied().collect();
        all.sort();
        assert_eq!(all, (0..37).collect::<Vec<_>>());
        for (row, &t) in s.x_train.rows().into_iter().zip(&s.y_train) {
            assert_eq!(row[0], (t * 10) as f64);
        }
        for (row, &t) in s.x_test.rows().into_iter().zip(&s.y_test) {
            assert_eq!(row[1], (t * 10 + 1) as f64);
        }
        // Deterministic, and the seed matters.
        assert_eq!(s, train_test_split(x.view(), y.view(), 0.3, 5).unwrap());
        assert_ne!(s, train_test_split(x.view(), y.view(), 0.3, 6).unwrap());
    }

    #[test]
    fn split_errors() {
        let (x, y) = xy(4);
        for ts in [0.0, 1.0, -0.5, f64::NAN, 2.0] {
            assert!(matches!(
                train_test_split(x.view(), y.view(), ts, 0),
                Err(Error::InvalidParameter {
                    name: "test_size",
                    ..
                })
            ));
        }
        assert!(matches!(
            train_test_split(x.view(), y.slice_axis(Axis(0), Slice::from(..3)), 0.5, 0),
            Err(Error::ShapeMismatch { .. })
        ));
        let (x0, y0) = xy(0);
        assert!(matches!(
            train_test_split(x0.view(), y0.view(), 0.5, 0),
            Err(Error::EmptyInput { .. })
        ));
        // One row: the test part takes it, training would be empty.
        let (x1, y1) = xy(1);
        assert!(matches!(
            train_test_split(x1.view(), y1.view(), 0.5, 0),
            Err(Error::InvalidParameter { .. })
        ));
    }

    #[test]
    fn stratified_keeps_proportions() {
        // 60 of class 0, 30 of class 1, 10 of class 2; test 20% -> 12 / 6 / 2.
        let y: Array1<u8> = (0..100)
            .map(|i| {
                if i < 60 {
                    0
                } else if i < 90 {
                    1
                } else {
                    2
                }
            })
            .collect();
        let x = Array2::from_shape_fn((100, 1), |(i, _)| i as f64);
        let s = stratified_train_test_split(x.view(), y.view(), 0.2, 3).unwrap();
        let count = |a: &Array1<u8>, c: u8| a.iter().filter(|&&v| v == c).count();
        assert_eq!(
            [
                count(&s.y_test, 0),
                count(&s.y_test, 1),
                count(&s.y_test, 2)
            ],
            [12, 6, 2]
        );
        assert_eq!(s.y_train.len(), 80);
        for (row, &t) in s.x_test.rows().into_iter().zip(&s.y_test) {
            assert_eq!(y[row[0] as usize], t);
        }
        // Test part is shuffled (not sorted by class).
        assert!(s.y_test.windows(2).into_iter().any(|w| w[0] > w[1]));
    }

    #[test]
    fn stratified_every_class_in_both_parts() {
        // A tiny class (2 of 50) and a small test fraction: rounding alone would
        // give it 0 test rows.
        let y: Array1<i32> = (0..50).map(|i| if i < 48 { 1 } else { 7 }).collect();
        let x = Array2::<f32>::zeros((50, 3));
        let s = stratified_train_test_split(x.view(), y.view(), 0.1, 0).unwrap();
        assert_eq!(s.y_test.len(), 5);
        assert_eq!(s.y_test.iter().filter(|&&v| v == 7).count(), 1);
        assert_eq!(s.y_train.iter().filter(|&&v| v == 7).count(), 1);
        // Too large a test fraction: class 7 would have no train row.
        let s = stratified_train_test_split(x.view(), y.view(), 0.96, 0).unwrap();
        assert_eq!(s.y_train.len(), 2);
        assert_eq!(s.y_train.iter().filter(|&&v| v == 7).count(), 1);
    }

    #[test]
    fn stratified_errors() {
        let x = Array2::<f64>::zeros((5, 1));
        let y = array![0, 0, 1, 1, 2];
        assert!(matches!(
            stratified_train_test_split(x.view(), y.view(), 0.5, 0),
            Err(Error::InvalidParameter { .. })
        ));
        let y = array![0, 0, 1, 1, 1];
        // ceil(0.2*5) = 1 test row < 2 classes.
        assert!(matches!(
            stratified_train_test_split(x.view(), y.view(), 0.2, 0),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(stratified_train_test_split(x.view(), y.view(), 0.4, 0).is_ok());
    }

    #[test]
    fn batches_cover_everything_once() {
        let b = batches(10, 3, Some(9)).unwrap();
        assert_eq!(b.len(), 4);
        let order = b.order().to_vec();
        let all: Vec<usize> = b.flatten().collect();
        assert_eq!(all, order);
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_ne!(all, sorted);
        assert_eq!(batches(0, 3, None).unwrap().count(), 0);
        assert!(matches!(
            batches(3, 0, None),
            Err(Error::InvalidParameter { .. })
        ));
    }
}
