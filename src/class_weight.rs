//! Per-class weights shared by every classifier that takes them
//! ([`LogisticRegression`](crate::logistic::LogisticRegression),
//! [`Svc`](crate::svm::Svc) and the other SVM classifiers).
//!
//! A class weight multiplies the loss of every sample of that class — for the
//! SVMs, the bound `C` of its dual variables; for logistic regression, its
//! sample weight. One rule for `"balanced"` everywhere (scikit-learn's
//! `compute_class_weight`):
//!
//! ```text
//! w_c = Σᵢ sᵢ / (n_classes · Σ_{i: yᵢ = c} sᵢ)
//! ```
//!
//! with `sᵢ` the sample weights (all 1 without them, which gives
//! `n_samples / (n_classes · count(c))`).

#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::validation;

/// Per-class weights, multiplied into the sample weights (logistic
/// regression) or into `C` (SVMs).
///
/// # Example
/// ```
/// use oxilearn::ClassWeight;
/// use oxilearn::logistic::LogisticRegression;
/// use oxilearn::svm::Svc;
///
/// let lr = LogisticRegression::new().class_weight(ClassWeight::explicit([("spam", 5.0), ("ham", 1.0)]));
/// assert!(matches!(lr.get_class_weight(), ClassWeight::Explicit(_)));
/// let svc = Svc::<u8>::new().class_weight(ClassWeight::Balanced);
/// # let _ = svc;
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ClassWeight<L> {
    /// Every class weighs 1 (the default).
    #[default]
    None,
    /// `Σ sample weights / (n_classes · Σ sample weights of the class)`:
    /// `n_samples / (n_classes · count(class))` without sample weights
    /// (scikit-learn's `class_weight="balanced"`).
    Balanced,
    /// An explicit weight `≥ 0` per label; labels not listed weigh 1. Every
    /// listed label must occur in the training targets.
    Explicit(BTreeMap<L, f64>),
}

impl<L: Ord> ClassWeight<L> {
    /// [`ClassWeight::Explicit`] from `(label, weight)` pairs.
    ///
    /// # Example
    /// ```
    /// use oxilearn::ClassWeight;
    /// let w = ClassWeight::explicit([(0, 2.0), (1, 0.5)]);
    /// assert!(matches!(w, ClassWeight::Explicit(ref m) if m[&0] == 2.0));
    /// ```
    pub fn explicit(pairs: impl IntoIterator<Item = (L, f64)>) -> Self {
        ClassWeight::Explicit(pairs.into_iter().collect())
    }

    /// One weight per class of `classes` (sorted, distinct), given each
    /// sample's class index `codes[i]` and optional sample weights.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`class_weight`) for a negative or
    /// non-finite explicit weight, an explicit label absent from `classes`,
    /// or `Balanced` with a class of zero total sample weight.
    pub(crate) fn resolve(
        &self,
        classes: &[L],
        codes: &[usize],
        sample_weight: Option<&[f64]>,
    ) -> Result<Vec<f64>> {
        let k = classes.len();
        match self {
            ClassWeight::None => Ok(vec![1.0; k]),
            ClassWeight::Balanced => {
                let mut totals = vec![0.0f64; k];
                match sample_weight {
                    Some(sw) => {
                        for (&c, &s) in codes.iter().zip(sw) {
                            totals[c] += s;
                        }
                    }
                    None => {
                        for &c in codes {
                            totals[c] += 1.0;
                        }
                    }
                }
                if totals.iter().any(|&m| m <= 0.0) {
                    return Err(Error::invalid(
                        "class_weight",
                        "balanced weights need every class to have a positive total sample weight",
                    ));
                }
                let total: f64 = totals.iter().sum();
                Ok(totals.iter().map(|&m| total / (k as f64 * m)).collect())
            }
            ClassWeight::Explicit(map) => {
                let mut w = vec![1.0; k];
                for (label, &value) in map {
                    validation::check_non_negative("class_weight", value)?;
                    let Ok(i) = classes.binary_search(label) else {
                        return Err(Error::invalid(
                            "class_weight",
                            "a weighted label does not occur in y",
                        ));
                    };
                    w[i] = value;
                }
                Ok(w)
            }
        }
    }
}

impl<L> ClassWeight<L> {
    /// `"none"`, `"balanced"` or `"explicit"` (for model files and reports).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            ClassWeight::None => "none",
            ClassWeight::Balanced => "balanced",
            ClassWeight::Explicit(_) => "explicit",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_is_scikit_learns_rule() {
        // compute_class_weight("balanced", classes=[0, 1], y=[1, 1, 1, 1, 0, 0]) == [1.5, 0.75]
        let codes = [1, 1, 1, 1, 0, 0];
        let w = ClassWeight::<u8>::Balanced
            .resolve(&[0, 1], &codes, None)
            .unwrap();
        assert_eq!(w, vec![1.5, 0.75]);
        // with sample weights: counts are weight sums
        // compute_class_weight("balanced", classes=[0, 1], y=[1, 1, 0], sample_weight=[1, 3, 2]) == [1.5, 0.75]
        let w = ClassWeight::<u8>::Balanced
            .resolve(&[0, 1], &[1, 1, 0], Some(&[1.0, 3.0, 2.0]))
            .unwrap();
        assert_eq!(w, vec![1.5, 0.75]);
        // unit sample weights give the unweighted rule
        let w1 = ClassWeight::<u8>::Balanced
            .resolve(&[0, 1], &codes, Some(&[1.0; 6]))
            .unwrap();
        assert_eq!(w1, vec![1.5, 0.75]);
    }

    #[test]
    fn explicit_and_errors() {
        let cw = ClassWeight::explicit([("b", 3.0)]);
        assert_eq!(
            cw.resolve(&["a", "b"], &[0, 1], None).unwrap(),
            vec![1.0, 3.0]
        );
        let missing = ClassWeight::explicit([("z", 3.0)]);
        assert!(matches!(
            missing.resolve(&["a", "b"], &[0, 1], None),
            Err(Error::InvalidParameter {
                name: "class_weight",
                ..
            })
        ));
        let negative = ClassWeight::explicit([("a", -1.0)]);
        assert!(negative.resolve(&["a", "b"], &[0, 1], None).is_err());
        let zero = ClassWeight::<u8>::Balanced.resolve(&[0, 1], &[0, 1], Some(&[1.0, 0.0]));
        assert!(zero.is_err());
    }
}
