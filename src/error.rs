//! The crate's one error type.
//!
//! Every fallible public function returns [`Result<T>`]. Data- or
//! parameter-dependent failures are `Err`, never a panic; each variant carries
//! typed fields that say what and where, never a free-form catch-all string.

#![forbid(unsafe_code)]

use std::path::PathBuf;

/// `std::result::Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in oxilearn.
///
/// # Example
/// ```
/// use oxilearn::Error;
/// let e = Error::ShapeMismatch { what: "y", expected: vec![3], got: vec![2] };
/// assert!(matches!(e, Error::ShapeMismatch { .. }));
/// assert!(e.to_string().contains("y"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An array does not have the shape the operation needs.
    ///
    /// Displayed as `shape mismatch for x (…): expected [_, 3], got [5, 4]`,
    /// where `_` is a dimension that may be anything ([`Error::ANY_DIM`]).
    #[error(
        "shape mismatch for {what}: expected {}, got {}",
        Shape(expected),
        Shape(got)
    )]
    ShapeMismatch {
        /// Which input, named as the caller passed it (e.g. `"y"`,
        /// `"x (feature count the model was fitted with)"`).
        what: &'static str,
        /// The expected shape; a dimension that may be anything is
        /// [`Error::ANY_DIM`] (printed `_`).
        expected: Vec<usize>,
        /// The shape that was given.
        got: Vec<usize>,
    },
    /// An input holds NaN or ±inf.
    #[error(
        "non-finite value (NaN or infinity) in {what} at index {}",
        Shape(index)
    )]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Multi-index of the first offending element.
        index: Vec<usize>,
    },
    /// An input has no rows (or no columns where some are needed).
    #[error("empty input: {what}")]
    EmptyInput {
        /// Which input.
        what: &'static str,
    },
    /// Classification targets hold a single class.
    #[error("the targets hold a single class; at least two are needed")]
    SingleClass,
    /// A hyperparameter or argument is out of its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name as in the builder (e.g. `"alpha"`).
        name: &'static str,
        /// Why it is invalid (e.g. `"must be > 0, got -1"`).
        reason: String,
    },
    /// Bytes that are not in the expected format (model file, data file, CSV …).
    #[error("format error in {source_name}{}: {reason}", location.as_ref().map(|l| format!(" at {l}")).unwrap_or_default())]
    Format {
        /// What was being read (a path, `"IDX"`, `"CSV"`, `"model file"` …).
        source_name: String,
        /// Where in it, when known (e.g. `"line 3, column \"age\""`, `"byte 16"`).
        location: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// A model file of a newer (or unknown) format version.
    #[error(
        "unsupported model format version {found}; this build reads versions up to {supported}"
    )]
    UnsupportedVersion {
        /// The version found in the file.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A model file holds another kind of model than the one asked for.
    #[error("model file holds a `{found}`, expected a `{expected}`")]
    WrongModelKind {
        /// The kind asked for.
        expected: String,
        /// The kind in the file.
        found: String,
    },
    /// An I/O error, with the path when there is one.
    #[error("I/O error{}: {source}", path.as_ref().map(|p| format!(" on {}", p.display())).unwrap_or_default())]
    Io {
        /// The file involved, if any.
        path: Option<PathBuf>,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A numerical procedure failed on this data (matrix not positive definite,
    /// NaN loss, diverging iterations …).
    #[error("numerical failure in {operation}: {reason}")]
    NumericalFailure {
        /// The operation (e.g. `"cholesky"`, `"training batch 17"`).
        operation: &'static str,
        /// What happened (e.g. `"non-positive pivot at index 3"`).
        reason: String,
    },
    /// The operation exists in the API but not for this model (or not for
    /// this fitted instance), e.g. `predict_proba` of a regressor, or of an
    /// `Svc` fitted without `probability(true)`.
    #[error("{operation} is not supported by {model}: {reason}")]
    Unsupported {
        /// The operation asked for (e.g. `"predict_proba"`).
        operation: &'static str,
        /// The model kind (e.g. `"Svr"`, `"Pipeline"`).
        model: String,
        /// Why (e.g. `"a regressor has no class probabilities"`).
        reason: String,
    },
    /// Iterations did not converge and the caller asked for strict convergence.
    #[error(
        "did not converge (iterations performed: {n_iter}); raise max_iter, loosen tol or scale the features"
    )]
    NotConverged {
        /// Iterations performed.
        n_iter: usize,
    },
    /// A table column has a type the operation cannot use (e.g. a
    /// categorical column where numbers are needed).
    #[error("column {column:?} is {found}, expected {expected}")]
    ColumnType {
        /// The column's name.
        column: String,
        /// The type(s) the operation needs (e.g. `"numeric or boolean"`).
        expected: &'static str,
        /// The column's type (e.g. `"categorical"`).
        found: &'static str,
    },
    /// A value is missing where one is required (e.g. a target cell).
    #[error("missing value in {source_name} at {location}")]
    MissingValue {
        /// The file (or `"table"`) the value belongs to.
        source_name: String,
        /// Where (e.g. `"line 5, column \"species\""`).
        location: String,
    },
    /// A category that was not seen at fit, where unknown categories are errors.
    #[error("unknown category {category:?} in {source_name} at {location}")]
    UnknownCategory {
        /// The category as text.
        category: String,
        /// The file (or `"table"`) it comes from.
        source_name: String,
        /// Where (e.g. `"line 7, column \"island\""`).
        location: String,
    },
    /// A class has fewer samples than the operation needs (e.g. fewer members
    /// than `n_splits` for stratified cross-validation).
    #[error("class {class} has {count} member(s); at least {needed} are needed")]
    ClassTooSmall {
        /// The class label, as text.
        class: String,
        /// Its number of samples.
        count: usize,
        /// How many are needed.
        needed: usize,
    },
}

impl Error {
    /// The wildcard dimension of [`Error::ShapeMismatch::expected`]: any
    /// length fits there. Displayed as `_`.
    ///
    /// # Example
    /// ```
    /// use oxilearn::Error;
    /// let e = Error::ShapeMismatch { what: "x", expected: vec![Error::ANY_DIM, 3], got: vec![5, 4] };
    /// assert_eq!(e.to_string(), "shape mismatch for x: expected [_, 3], got [5, 4]");
    /// ```
    pub const ANY_DIM: usize = usize::MAX;

    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: Some(path.into()),
            source,
        }
    }

    /// An [`Error::InvalidParameter`].
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }

    /// An [`Error::Format`] without a location.
    pub fn format(source_name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Format {
            source_name: source_name.into(),
            location: None,
            reason: reason.into(),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(source: std::io::Error) -> Self {
        Error::Io { path: None, source }
    }
}

/// A shape or multi-index as `[2, _, 3]` ([`Error::ANY_DIM`] as `_`).
struct Shape<'a>(&'a [usize]);

impl std::fmt::Display for Shape<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[")?;
        for (i, &d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if d == Error::ANY_DIM {
                f.write_str("_")?;
            } else {
                write!(f, "{d}")?;
            }
        }
        f.write_str("]")
    }
}
