//! [`LabelEncoder`] → [`FittedLabelEncoder`].

use ndarray::{Array1, ArrayView1};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::{Error, Result};
use crate::persist::{ModelFile, Persist};
use crate::traits::{Fit, Transform};
use crate::validation;

/// Encodes labels of any ordered type as codes `0..n_classes`.
///
/// Classes are the sorted distinct labels seen at fit; code `i` stands for
/// `classes()[i]` (scikit-learn's `LabelEncoder`). A single class is allowed.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::LabelEncoder;
///
/// let y = array!["spam", "ham", "spam", "eggs"];
/// let enc = LabelEncoder::new().fit(y.view())?;
/// assert_eq!(enc.classes(), &["eggs", "ham", "spam"]);
/// let codes = enc.transform(y.view())?;
/// assert_eq!(codes, array![2, 1, 2, 0]);
/// assert_eq!(enc.inverse_transform(codes.view())?, y);
/// assert!(enc.transform(array!["bacon"].view()).is_err());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelEncoder;

impl LabelEncoder {
    /// A label encoder (it has no hyperparameters).
    pub fn new() -> Self {
        LabelEncoder
    }

    /// Learns the sorted distinct labels of `y`.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] when `y` is empty.
    pub fn fit<T: Clone + Ord>(&self, y: ArrayView1<'_, T>) -> Result<FittedLabelEncoder<T>> {
        let (classes, _) = validation::encode_labels(y, 1)?;
        Ok(FittedLabelEncoder { classes })
    }

    /// Fits and returns the codes of `y` together with the fitted encoder.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_transform<T: Clone + Ord>(
        &self,
        y: ArrayView1<'_, T>,
    ) -> Result<(FittedLabelEncoder<T>, Array1<usize>)> {
        let (classes, codes) = validation::encode_labels(y, 1)?;
        Ok((FittedLabelEncoder { classes }, Array1::from(codes)))
    }
}

/// A fitted [`LabelEncoder`]: the sorted classes.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::FittedLabelEncoder;
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::LabelEncoder;
///
/// let enc = LabelEncoder::new().fit(array![3, 1, 3].view())?;
/// assert_eq!((enc.n_classes(), enc.classes()), (2, &[1, 3][..]));
///
/// // Save to a model file; load it back by naming the fitted type
/// // (its float type).
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-label-{}.safetensors", std::process::id()));
/// enc.save(&path)?;
/// let back = FittedLabelEncoder::<i32>::load(&path)?;
/// assert_eq!(back, enc);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FittedLabelEncoder<T> {
    classes: Vec<T>,
}

impl<T: Clone + Ord> FittedLabelEncoder<T> {
    /// The distinct labels seen at fit, sorted; code `i` is `classes()[i]`.
    pub fn classes(&self) -> &[T] {
        &self.classes
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// The code of each label.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"y"`) naming the index of the first
    /// label not seen at fit.
    pub fn transform(&self, y: ArrayView1<'_, T>) -> Result<Array1<usize>> {
        let mut out = Array1::zeros(y.len());
        for (i, (o, label)) in out.iter_mut().zip(y.iter()).enumerate() {
            *o = self.classes.binary_search(label).map_err(|_| {
                Error::invalid(
                    "y",
                    format!(
                        "label at index {i} was not seen at fit ({} classes known)",
                        self.classes.len()
                    ),
                )
            })?;
        }
        Ok(out)
    }

    /// The label of each code.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"codes"`) for a code `>= n_classes()`.
    pub fn inverse_transform(&self, codes: ArrayView1<'_, usize>) -> Result<Array1<T>> {
        let labels = codes
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                self.classes.get(c).cloned().ok_or_else(|| {
                    Error::invalid(
                        "codes",
                        format!(
                            "code {c} at index {i} is out of range (n_classes = {})",
                            self.classes.len()
                        ),
                    )
                })
            })
            .collect::<Result<Vec<T>>>()?;
        Ok(Array1::from(labels))
    }
}

impl<'a, T: Clone + Ord> Fit<ArrayView1<'a, T>, ()> for LabelEncoder {
    type Fitted = FittedLabelEncoder<T>;
    fn fit(&self, y: ArrayView1<'a, T>, _: ()) -> Result<Self::Fitted> {
        LabelEncoder::fit(self, y)
    }
}

impl<'a, T: Clone + Ord> Transform<ArrayView1<'a, T>> for FittedLabelEncoder<T> {
    type Output = Array1<usize>;
    fn transform(&self, y: ArrayView1<'a, T>) -> Result<Array1<usize>> {
        FittedLabelEncoder::transform(self, y)
    }
}

impl<T: Clone + Ord + Serialize + DeserializeOwned> Persist for FittedLabelEncoder<T> {
    const KIND: &'static str = "LabelEncoder";

    fn to_model_file(&self) -> Result<ModelFile> {
        ModelFile::new(Self::KIND, "none").with_classes(&self.classes)
    }

    fn from_model_file(file: ModelFile) -> Result<Self> {
        let classes: Vec<T> = file.classes()?;
        if classes.is_empty() || !classes.windows(2).all(|w| w[0] < w[1]) {
            return Err(
                file.format_error("LabelEncoder classes must be non-empty, sorted and distinct")
            );
        }
        Ok(FittedLabelEncoder { classes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn label_encoder_round_trip_and_errors() {
        let y = array![10, -3, 10, 7];
        let (enc, codes) = LabelEncoder::new().fit_transform(y.view()).unwrap();
        assert_eq!(enc.classes(), &[-3, 7, 10]);
        assert_eq!(codes, array![2, 0, 2, 1]);
        assert_eq!(enc.inverse_transform(codes.view()).unwrap(), y);
        assert!(matches!(
            enc.transform(array![7, 8].view()),
            Err(Error::InvalidParameter { name: "y", reason }) if reason.contains("index 1")
        ));
        assert!(matches!(
            enc.inverse_transform(array![0, 3].view()),
            Err(Error::InvalidParameter { name: "codes", .. })
        ));
        let empty = Array1::<i32>::zeros(0);
        assert!(matches!(
            LabelEncoder::new().fit(empty.view()),
            Err(Error::EmptyInput { .. })
        ));
        let single = LabelEncoder::new().fit(array!["a", "a"].view()).unwrap();
        assert_eq!(single.n_classes(), 1);
    }
}
