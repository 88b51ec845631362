//! Model selection: cross-validation splitters (and, built on them,
//! cross-validation and hyperparameter search).
//!
//! - [`Splitter`]s decide which rows train and which test, fold by fold:
//!   [`KFold`], [`StratifiedKFold`], [`RepeatedKFold`],
//!   [`RepeatedStratifiedKFold`], [`ShuffleSplit`], [`StratifiedShuffleSplit`],
//!   [`GroupKFold`], [`TimeSeriesSplit`], [`LeaveOneOut`]. Without shuffling
//!   their folds are identical to scikit-learn's; shuffled ones are
//!   reproducible from their seed.
//!
//! # Example
//! ```
//! use oxilearn::model_selection::{SplitData, Splitter, StratifiedKFold};
//! use oxilearn::ndarray::array;
//!
//! let y = array![0, 1, 0, 1, 0, 1, 0, 1];
//! let data = SplitData::new(y.len()).with_targets(y.view())?;
//! for (train, test) in StratifiedKFold::new(4).split(&data)? {
//!     assert_eq!((train.len(), test.len()), (6, 2));
//! }
//! # Ok::<(), oxilearn::Error>(())
//! ```

mod split;

pub use split::{
    Fold, GroupKFold, KFold, LeaveOneOut, RepeatedKFold, RepeatedStratifiedKFold, ShuffleSplit,
    SplitData, SplitSize, Splitter, StratifiedKFold, StratifiedShuffleSplit, TimeSeriesSplit,
};
