//! What dynamic estimators learn: [`Target`] (continuous or class labels) and
//! [`Label`] (class labels).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;

use ndarray::{Array1, ArrayView1};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::registry;
use super::traits::FittedEstimator;
use crate::error::Result;
use crate::persist::ModelFile;

/// How a target array looks to code that does not know its type: continuous
/// values, or class codes.
///
/// # Example
/// ```
/// use oxilearn::compose::{Target, TargetValues};
/// use oxilearn::ndarray::array;
///
/// let y = array!["b".to_string(), "a".into(), "b".into()];
/// match String::target_values(y.view()) {
///     TargetValues::Classes { codes, n_classes } => {
///         assert_eq!(codes, array![1, 0, 1]); // codes follow the sorted labels
///         assert_eq!(n_classes, 2);
///     }
///     TargetValues::Continuous(_) => unreachable!(),
/// }
/// assert!(matches!(f64::target_values(array![0.5].view()), TargetValues::Continuous(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum TargetValues {
    /// Regression targets, as `f64`.
    Continuous(Array1<f64>),
    /// Class labels as codes `0..n_classes`, in sorted label order.
    Classes {
        /// One code per sample.
        codes: Array1<usize>,
        /// Number of distinct labels (the codes' range).
        n_classes: usize,
    },
}

/// A target type a dynamic estimator learns: `f64`/`f32` (regression) or a
/// class label (`usize`, `u8`…`u64`, `i8`…`i64`, `bool`, `String`).
///
/// The target type of a [`Pipeline`](super::Pipeline) or a search decides
/// which estimators fit in it (regressors for floats, classifiers for labels)
/// and how a model file is loaded back ([`load_fitted`](Self::load_fitted)).
///
/// # Example
/// ```
/// use oxilearn::compose::{Target, TargetValues};
/// use oxilearn::ndarray::array;
///
/// fn n_classes<Y: Target>(y: &[Y]) -> Option<usize> {
///     match Y::target_values(oxilearn::ndarray::ArrayView1::from(y)) {
///         TargetValues::Classes { n_classes, .. } => Some(n_classes),
///         TargetValues::Continuous(_) => None,
///     }
/// }
/// assert_eq!(n_classes(&[3i64, 1, 3]), Some(2));
/// assert_eq!(n_classes(&[0.5f64, 1.5]), None);
/// ```
pub trait Target: Clone + Debug + Send + Sync + 'static {
    /// The values as continuous numbers or class codes (how a transformer
    /// that learns from targets, or a scorer, sees them).
    fn target_values(y: ArrayView1<'_, Self>) -> TargetValues {
        Self::encode_joint(&[y])
            .pop()
            .expect("encode_joint returns one entry per input")
    }

    /// Encodes several arrays at once: class codes index the sorted union of
    /// every array's labels (so codes of `y_true` and `y_pred` compare).
    #[doc(hidden)]
    fn encode_joint(ys: &[ArrayView1<'_, Self>]) -> Vec<TargetValues>;

    /// The label as text for reports (`Display`-like: strings unquoted).
    #[doc(hidden)]
    fn label_text(&self) -> String {
        format!("{self:?}")
    }

    /// Loads a fitted estimator file whose predictions are `Self` (the
    /// registry's entry point; dispatches on the file's kind and dtype).
    ///
    /// # Errors
    /// [`crate::Error::WrongModelKind`] for a kind that does not predict
    /// `Self`; what the model's loader returns otherwise.
    #[doc(hidden)]
    fn load_fitted(file: ModelFile) -> Result<Box<dyn FittedEstimator<Self>>>;
}

/// A class label: a [`Target`] that is `Eq + Hash + Ord` and serialisable
/// (model files store the classes as JSON). Implemented for every such
/// target type.
///
/// # Example
/// ```
/// use oxilearn::compose::Label;
/// fn sorted<L: Label>(mut v: Vec<L>) -> Vec<L> { v.sort(); v }
/// assert_eq!(sorted(vec![true, false]), vec![false, true]);
/// ```
pub trait Label: Target + Eq + Hash + Ord + Serialize + DeserializeOwned {}

impl<T: Target + Eq + Hash + Ord + Serialize + DeserializeOwned> Label for T {}

/// Joint class codes over the sorted union of labels.
fn encode_labels<L: Ord + Clone>(ys: &[ArrayView1<'_, L>]) -> Vec<TargetValues> {
    let mut index: BTreeMap<&L, usize> = BTreeMap::new();
    for y in ys {
        for v in y.iter() {
            index.insert(v, 0);
        }
    }
    for (i, code) in index.values_mut().enumerate() {
        *code = i;
    }
    let n_classes = index.len();
    ys.iter()
        .map(|y| TargetValues::Classes {
            codes: y.iter().map(|v| index[v]).collect(),
            n_classes,
        })
        .collect()
}

macro_rules! continuous_target {
    ($($t:ty),*) => {$(
        impl Target for $t {
            fn encode_joint(ys: &[ArrayView1<'_, Self>]) -> Vec<TargetValues> {
                ys.iter()
                    .map(|y| TargetValues::Continuous(y.mapv(f64::from)))
                    .collect()
            }

            fn load_fitted(file: ModelFile) -> Result<Box<dyn FittedEstimator<Self>>> {
                registry::load_regressor::<Self>(file)
            }
        }
    )*};
}

continuous_target!(f32, f64);

macro_rules! label_target {
    ($($t:ty),*) => {$(
        impl Target for $t {
            fn encode_joint(ys: &[ArrayView1<'_, Self>]) -> Vec<TargetValues> {
                encode_labels(ys)
            }

            fn load_fitted(file: ModelFile) -> Result<Box<dyn FittedEstimator<Self>>> {
                registry::load_classifier::<Self>(file)
            }
        }
    )*};
}

label_target!(usize, u8, u16, u32, u64, i8, i16, i32, i64, bool);

impl Target for String {
    fn encode_joint(ys: &[ArrayView1<'_, Self>]) -> Vec<TargetValues> {
        encode_labels(ys)
    }

    fn label_text(&self) -> String {
        self.clone()
    }

    fn load_fitted(file: ModelFile) -> Result<Box<dyn FittedEstimator<Self>>> {
        registry::load_classifier::<Self>(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn joint_codes_share_the_union_of_labels() {
        let a = array![5i64, 1, 5];
        let b = array![3i64, 1];
        let enc = i64::encode_joint(&[a.view(), b.view()]);
        assert_eq!(
            enc,
            vec![
                TargetValues::Classes {
                    codes: array![2, 0, 2],
                    n_classes: 3
                },
                TargetValues::Classes {
                    codes: array![1, 0],
                    n_classes: 3
                },
            ]
        );
        assert_eq!(
            f32::target_values(array![0.5f32, 2.0].view()),
            TargetValues::Continuous(array![0.5, 2.0])
        );
        assert_eq!("x".to_string().label_text(), "x");
        assert_eq!(7u8.label_text(), "7");
    }
}
