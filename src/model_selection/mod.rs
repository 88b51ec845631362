//! Model selection: cross-validation splitters (and, built on them,
//! cross-validation and hyperparameter search).
//!
//! - [`Splitter`]s decide which rows train and which test, fold by fold:
//!   [`KFold`], [`StratifiedKFold`], [`RepeatedKFold`],
//!   [`RepeatedStratifiedKFold`], [`ShuffleSplit`], [`StratifiedShuffleSplit`],
//!   [`GroupKFold`], [`TimeSeriesSplit`], [`LeaveOneOut`]. Without shuffling
//!   their folds are identical to scikit-learn's; shuffled ones are
//!   reproducible from their seed.
//! - [`Scorer`]s rate a fitted model on held-out rows: scikit-learn's names
//!   ([`SCORER_NAMES`]) or any closure.
//! - [`CrossValidate`] fits on each training fold and scores on its test fold
//!   (in parallel; identical results on any thread count), and makes
//!   out-of-fold predictions; [`cross_val_score`] and [`cross_val_predict`]
//!   are its shortcuts.
//! - [`GridSearchCV`] and [`RandomizedSearchCV`] cross-validate typed
//!   candidates ([`ParamGrid`], [`ParamDistributions`]: builder closures, no
//!   parameter names as strings), rank them ([`CvTable`], printable and CSV)
//!   and refit the best; [`HalvingGridSearchCV`] and
//!   [`HalvingRandomSearchCV`] do it by successive halving (every candidate
//!   on few samples, the best on more).
//! - [`validation_curve`] and [`learning_curve`] cross-validate train and
//!   test scores as one parameter or the training-set size varies.
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

#![forbid(unsafe_code)]

mod cross_val;
mod curves;
mod halving;
mod scoring;
mod search;
mod shared;
mod split;

pub use cross_val::{
    CrossValidate, CvResults, ErrorScore, FoldModel, cross_val_predict, cross_val_score,
};
pub use curves::{LearningCurve, ValidationCurve, learning_curve, validation_curve};
pub use halving::{
    HalvingGridSearchCV, HalvingRandomSearchCV, HalvingSchedule, MinResources, NCandidates,
};
pub use scoring::{SCORER_NAMES, ScoreFn, Scorer, scorers};
pub use search::{
    Choice, CvTable, Distribution, GridSearchCV, IntUniform, LogUniform, ParamDistributions,
    ParamGrid, ParamValue, RandomizedSearchCV, SearchResults, TopRows, Uniform,
};

pub(crate) use shared::WarmStartPath;

pub use split::{
    Fold, GroupKFold, KFold, LeaveOneOut, RepeatedKFold, RepeatedStratifiedKFold, ShuffleSplit,
    SplitData, SplitSize, Splitter, StratifiedKFold, StratifiedShuffleSplit, TimeSeriesSplit,
};
