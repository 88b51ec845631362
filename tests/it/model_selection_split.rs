//! Cross-validation splitters: folds identical to scikit-learn's where its
//! assignment is deterministic, partitions and seeds everywhere, typed errors.
//!
//! Reference folds (scikit-learn 1.9.1):
//! ```python
//! import numpy as np
//! from sklearn.model_selection import KFold, StratifiedKFold, GroupKFold, TimeSeriesSplit
//! X = np.zeros((17, 1))
//! def show(name, cv, X, y=None, groups=None, train=False):
//!     folds = list(cv.split(X, y, groups))
//!     if train:
//!         print(name, [(tr.tolist(), te.tolist()) for tr, te in folds])
//!     else:
//!         print(name, [te.tolist() for tr, te in folds])
//! show("kfold5_n13", KFold(5), np.zeros((13, 1)))
//! y = np.array([2, 0, 1, 1, 0, 2, 2, 0, 1, 0, 2, 1, 0, 0, 2, 1, 0])
//! show("skf3", StratifiedKFold(3), X, y)
//! ys = np.array(["b", "b", "a", "c", "a", "b", "c", "b", "a", "b", "b", "c", "a", "b", "b", "c", "b"])
//! show("skf4_strings", StratifiedKFold(4), X, ys)
//! g = np.array([5, 5, 1, 3, 3, 1, 7, 7, 7, 2, 2, 4, 4, 6, 6, 6, 8])
//! show("gkf3", GroupKFold(3), X, groups=g)
//! show("tss3_gap1_max4", TimeSeriesSplit(3, gap=1, max_train_size=4), X, train=True)
//! show("tss4_test2", TimeSeriesSplit(4, test_size=2), np.zeros((11, 1)), train=True)
//! ```

use std::collections::BTreeSet;

use ndarray::{Array1, array};
use oxilearn::Error;
use oxilearn::model_selection::{
    Fold, GroupKFold, KFold, LeaveOneOut, RepeatedKFold, RepeatedStratifiedKFold, ShuffleSplit,
    SplitData, Splitter, StratifiedKFold, StratifiedShuffleSplit, TimeSeriesSplit,
};
use proptest::prelude::*;

/// Test folds only; each train set must be the sorted complement.
fn tests_of(folds: &[Fold], n: usize) -> Vec<Vec<usize>> {
    for (train, test) in folds {
        let mut all: Vec<usize> = train.iter().chain(test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>(), "train ∪ test ≠ all rows");
        assert!(train.windows(2).all(|w| w[0] < w[1]), "train not sorted");
        assert!(test.windows(2).all(|w| w[0] < w[1]), "test not sorted");
    }
    folds.iter().map(|(_, t)| t.clone()).collect()
}

fn y17() -> Array1<usize> {
    array![2, 0, 1, 1, 0, 2, 2, 0, 1, 0, 2, 1, 0, 0, 2, 1, 0]
}

#[test]
fn model_selection_kfold_matches_sklearn() {
    let folds = KFold::new(5).split(&SplitData::new(13)).unwrap();
    let expected: Vec<Vec<usize>> = vec![
        vec![0, 1, 2],
        vec![3, 4, 5],
        vec![6, 7, 8],
        vec![9, 10],
        vec![11, 12],
    ];
    assert_eq!(tests_of(&folds, 13), expected);
}

#[test]
fn model_selection_stratified_kfold_matches_sklearn() {
    let y = y17();
    let data = SplitData::new(17).with_targets(y.view()).unwrap();
    let folds = StratifiedKFold::new(3).split(&data).unwrap();
    let expected: Vec<Vec<usize>> = vec![
        vec![0, 1, 2, 3, 4, 5],
        vec![6, 7, 8, 9, 10, 11],
        vec![12, 13, 14, 15, 16],
    ];
    assert_eq!(tests_of(&folds, 17), expected);

    let ys = [
        "b", "b", "a", "c", "a", "b", "c", "b", "a", "b", "b", "c", "a", "b", "b", "c", "b",
    ];
    let ys: Array1<String> = ys.iter().map(|s| s.to_string()).collect();
    let data = SplitData::new(17).with_targets(ys.view()).unwrap();
    let folds = StratifiedKFold::new(4).split(&data).unwrap();
    let expected: Vec<Vec<usize>> = vec![
        vec![0, 1, 2, 3, 5],
        vec![4, 6, 7, 9],
        vec![8, 10, 11, 13],
        vec![12, 14, 15, 16],
    ];
    assert_eq!(tests_of(&folds, 17), expected);
}

#[test]
fn model_selection_group_kfold_matches_sklearn() {
    let g = [5, 5, 1, 3, 3, 1, 7, 7, 7, 2, 2, 4, 4, 6, 6, 6, 8];
    let data = SplitData::new(17).with_groups(&g).unwrap();
    let folds = GroupKFold::new(3).split(&data).unwrap();
    let expected: Vec<Vec<usize>> = vec![
        vec![3, 4, 6, 7, 8, 16],
        vec![9, 10, 13, 14, 15],
        vec![0, 1, 2, 5, 11, 12],
    ];
    assert_eq!(tests_of(&folds, 17), expected);

    // Shuffled: reproducible, and still no group in two test folds.
    let cv = GroupKFold::new(3).shuffle(Some(11));
    let folds = cv.split(&data).unwrap();
    assert_eq!(folds, cv.split(&data).unwrap());
    let tests = tests_of(&folds, 17);
    for (a, ta) in tests.iter().enumerate() {
        for tb in &tests[a + 1..] {
            let ga: BTreeSet<i32> = ta.iter().map(|&i| g[i]).collect();
            assert!(
                tb.iter().all(|&i| !ga.contains(&g[i])),
                "a group in two folds"
            );
        }
    }
}

#[test]
fn model_selection_time_series_split_matches_sklearn() {
    let folds = TimeSeriesSplit::new(3)
        .gap(1)
        .max_train_size(Some(4))
        .split(&SplitData::new(17))
        .unwrap();
    let expected: Vec<Fold> = vec![
        (vec![0, 1, 2, 3], vec![5, 6, 7, 8]),
        (vec![4, 5, 6, 7], vec![9, 10, 11, 12]),
        (vec![8, 9, 10, 11], vec![13, 14, 15, 16]),
    ];
    assert_eq!(folds, expected);

    let folds = TimeSeriesSplit::new(4)
        .test_size(Some(2))
        .split(&SplitData::new(11))
        .unwrap();
    let expected: Vec<Fold> = vec![
        (vec![0, 1, 2], vec![3, 4]),
        (vec![0, 1, 2, 3, 4], vec![5, 6]),
        (vec![0, 1, 2, 3, 4, 5, 6], vec![7, 8]),
        (vec![0, 1, 2, 3, 4, 5, 6, 7, 8], vec![9, 10]),
    ];
    assert_eq!(folds, expected);
}

#[test]
fn model_selection_leave_one_out_tests_each_sample_once() {
    let folds = LeaveOneOut.split(&SplitData::new(5)).unwrap();
    let tests = tests_of(&folds, 5);
    assert_eq!(tests, (0..5).map(|i| vec![i]).collect::<Vec<_>>());
}

#[test]
fn model_selection_shuffle_split_sizes_follow_sklearn_rounding() {
    // ShuffleSplit(test_size=0.25) on 10 samples: ceil(2.5) = 3 test, 7 train;
    // train_size=0.55 alone: floor(5.5) = 5 train, 5 test.
    let data = SplitData::new(10);
    for (train, test) in ShuffleSplit::new(4).test_size(0.25).split(&data).unwrap() {
        assert_eq!((train.len(), test.len()), (7, 3));
        assert!(train.iter().all(|i| !test.contains(i)));
    }
    for (train, test) in ShuffleSplit::new(2).train_size(0.55).split(&data).unwrap() {
        assert_eq!((train.len(), test.len()), (5, 5));
    }
    let (a, b) = (
        ShuffleSplit::new(3).seed(1).split(&data).unwrap(),
        ShuffleSplit::new(3).seed(2).split(&data).unwrap(),
    );
    assert_ne!(a, b, "different seeds give different splits");
    assert_eq!(a, ShuffleSplit::new(3).seed(1).split(&data).unwrap());
}

#[test]
fn model_selection_stratified_shuffle_split_keeps_proportions() {
    // 12 of class 0, 6 of class 1, 3 of class 2; test_size 1/3 → 7 test rows: 4/2/1.
    let y: Array1<u8> = (0..21)
        .map(|i| {
            if i < 12 {
                0
            } else if i < 18 {
                1
            } else {
                2
            }
        })
        .collect();
    let data = SplitData::new(21).with_targets(y.view()).unwrap();
    let folds = StratifiedShuffleSplit::new(6)
        .test_size(7usize)
        .seed(3)
        .split(&data)
        .unwrap();
    for (train, test) in &folds {
        let count = |idx: &[usize], c: u8| idx.iter().filter(|&&i| y[i] == c).count();
        assert_eq!([count(test, 0), count(test, 1), count(test, 2)], [4, 2, 1]);
        assert_eq!(
            [count(train, 0), count(train, 1), count(train, 2)],
            [8, 4, 2]
        );
    }
    assert!(folds.windows(2).any(|w| w[0] != w[1]), "splits must differ");
}

#[test]
fn model_selection_repeated_splitters_shuffle_differently_each_repeat() {
    let y = y17();
    let data = SplitData::new(17).with_targets(y.view()).unwrap();
    let folds = RepeatedStratifiedKFold::new(3, 4)
        .seed(9)
        .split(&data)
        .unwrap();
    assert_eq!(folds.len(), 12);
    let unshuffled = StratifiedKFold::new(3).split(&data).unwrap();
    for rep in folds.chunks(3) {
        tests_of(rep, 17);
        // Each repeat is a stratified partition: class counts per test fold
        // equal to the unshuffled ones.
        for (f, (_, test)) in rep.iter().enumerate() {
            let mut a: Vec<usize> = test.iter().map(|&i| y[i]).collect();
            let mut b: Vec<usize> = unshuffled[f].1.iter().map(|&i| y[i]).collect();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b);
        }
    }
    assert!(folds[0..3] != folds[3..6]);
    let folds = RepeatedKFold::new(4, 3).split(&SplitData::new(9)).unwrap();
    assert_eq!(folds.len(), 12);
    for rep in folds.chunks(4) {
        tests_of(rep, 9);
    }
    assert!(folds[0..4] != folds[4..8]);
}

#[test]
fn model_selection_splitter_errors_are_typed() {
    let invalid = |r: oxilearn::Result<Vec<Fold>>, name: &str| match r {
        Err(Error::InvalidParameter { name: n, .. }) => assert_eq!(n, name),
        other => panic!("expected InvalidParameter({name}), got {other:?}"),
    };
    invalid(KFold::new(1).split(&SplitData::new(5)), "n_splits");
    invalid(KFold::new(6).split(&SplitData::new(5)), "n_splits");
    invalid(LeaveOneOut.split(&SplitData::new(1)), "n_splits");
    invalid(
        TimeSeriesSplit::new(5).split(&SplitData::new(5)),
        "n_splits",
    );
    invalid(GroupKFold::new(3).split(&SplitData::new(4)), "groups");
    let g = [1, 1, 2, 2];
    invalid(
        GroupKFold::new(3).split(&SplitData::new(4).with_groups(&g).unwrap()),
        "n_splits",
    );
    invalid(StratifiedKFold::new(2).split(&SplitData::new(4)), "y");
    invalid(
        ShuffleSplit::new(2)
            .test_size(1.5)
            .split(&SplitData::new(4)),
        "test_size",
    );
    invalid(
        ShuffleSplit::new(2)
            .test_size(4usize)
            .split(&SplitData::new(4)),
        "test_size",
    );
    invalid(
        RepeatedKFold::new(2, 0).split(&SplitData::new(4)),
        "n_repeats",
    );

    // Groups or targets of the wrong length.
    assert!(matches!(
        SplitData::new(4).with_groups(&[1, 2, 3]),
        Err(Error::ShapeMismatch { .. })
    ));
    let y = array![0usize, 1, 1];
    assert!(matches!(
        SplitData::new(4).with_targets(y.view()),
        Err(Error::ShapeMismatch { .. })
    ));
    // Continuous targets cannot be stratified.
    let yf = array![0.5, 1.5, 2.5, 3.5];
    let data = SplitData::new(4).with_targets(yf.view()).unwrap();
    invalid(StratifiedKFold::new(2).split(&data), "y");

    // A class smaller than n_splits: the error names it and its count.
    let y: Array1<String> = ["cat", "dog", "dog", "dog", "cat", "bird", "dog"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let data = SplitData::new(7).with_targets(y.view()).unwrap();
    match StratifiedKFold::new(2).split(&data) {
        Err(e @ Error::ClassTooSmall { .. }) => {
            let Error::ClassTooSmall {
                class,
                count,
                needed,
            } = &e
            else {
                unreachable!()
            };
            assert_eq!((class.as_str(), *count, *needed), ("bird", 1, 2));
            assert!(e.to_string().contains("bird"), "{e}");
        }
        other => panic!("expected ClassTooSmall, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn model_selection_folds_partition_the_rows(
        labels in proptest::collection::vec(0u8..3, 12..80),
        k in 2usize..5,
        seed in any::<u64>(),
    ) {
        let n = labels.len();
        let y = Array1::from(labels.clone());
        let data = SplitData::new(n).with_targets(y.view()).unwrap();
        for folds in [
            KFold::new(k).split(&data).unwrap(),
            KFold::new(k).shuffle(Some(seed)).split(&data).unwrap(),
        ] {
            let tests = tests_of(&folds, n);
            let mut all: Vec<usize> = tests.concat();
            all.sort_unstable();
            prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
            let sizes: Vec<usize> = tests.iter().map(Vec::len).collect();
            prop_assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        }
        let mut counts = [0usize; 3];
        for &l in &labels {
            counts[l as usize] += 1;
        }
        let smallest = counts.iter().copied().filter(|&c| c > 0).min().unwrap();
        for shuffle in [None, Some(seed)] {
            match StratifiedKFold::new(k).shuffle(shuffle).split(&data) {
                Ok(folds) => {
                    prop_assert!(smallest >= k);
                    let tests = tests_of(&folds, n);
                    let mut all: Vec<usize> = tests.concat();
                    all.sort_unstable();
                    prop_assert_eq!(all, (0..n).collect::<Vec<_>>());
                    // Each class spread within one sample of even.
                    for c in 0..3u8 {
                        let per: Vec<usize> = tests
                            .iter()
                            .map(|t| t.iter().filter(|&&i| labels[i] == c).count())
                            .collect();
                        prop_assert!(per.iter().max().unwrap() - per.iter().min().unwrap() <= 1);
                    }
                }
                Err(Error::ClassTooSmall { count, needed, .. }) => {
                    prop_assert!(count < needed && smallest < k);
                }
                Err(e) => prop_assert!(false, "unexpected error {e}"),
            }
        }
    }
}
