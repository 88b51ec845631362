//! [`ColumnTransformer`]: a different transformer for each subset of the
//! columns (selected by name, position or type), outputs side by side
//! (scikit-learn's `ColumnTransformer`), fitted as one model
//! ([`FittedColumnTransformer`]) and saved as one model file.

use std::any::Any;
use std::collections::{BTreeMap, HashSet};

use ndarray::{Array2, ArrayView1, Axis, concatenate};
use serde::{Deserialize, Serialize};

use super::features::{Features, OwnedFeatures};
use super::registry;
use super::target::Target;
use super::traits::{FittedTransformer, Transformer};
use crate::data::{ColumnType, Table};
use crate::error::{Error, Result};
use crate::persist::{ModelFile, Persist, TensorData};

/// The kind of a column-transformer model file.
pub const COLUMN_TRANSFORMER_KIND: &str = "ColumnTransformer";

/// Which input columns a part of a [`ColumnTransformer`] takes.
///
/// Names and types select the columns of a [`Table`]; a matrix's columns are
/// all numeric and named `x0, x1, …`. Positions work for both.
///
/// # Example
/// ```
/// use oxilearn::compose::Columns;
/// use oxilearn::data::ColumnType;
///
/// let by_name = Columns::names(["bill_length_mm", "body_mass_g"]);
/// assert_eq!(by_name, Columns::Names(vec!["bill_length_mm".into(), "body_mass_g".into()]));
/// assert_eq!(Columns::categorical(), Columns::Types(vec![ColumnType::Categorical]));
/// assert_eq!(Columns::indices([0, 2]), Columns::Indices(vec![0, 2]));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Columns {
    /// These columns, by name, in this order.
    Names(Vec<String>),
    /// These columns, by position, in this order.
    Indices(Vec<usize>),
    /// Every column of one of these types, in table order (scikit-learn's
    /// `make_column_selector(dtype_include=…)`).
    Types(Vec<ColumnType>),
}

impl Columns {
    /// Columns by name.
    pub fn names<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Columns {
        Columns::Names(names.into_iter().map(Into::into).collect())
    }

    /// Columns by position.
    pub fn indices(indices: impl IntoIterator<Item = usize>) -> Columns {
        Columns::Indices(indices.into_iter().collect())
    }

    /// Every numeric (`f64`) column.
    pub fn numeric() -> Columns {
        Columns::Types(vec![ColumnType::Numeric])
    }

    /// Every categorical (text) column.
    pub fn categorical() -> Columns {
        Columns::Types(vec![ColumnType::Categorical])
    }

    /// Every boolean column.
    pub fn boolean() -> Columns {
        Columns::Types(vec![ColumnType::Boolean])
    }

    /// The positions of the selected columns among `names`/`types`.
    fn resolve(&self, part: &str, names: &[String], types: &[ColumnType]) -> Result<Vec<usize>> {
        match self {
            Columns::Names(sel) => sel
                .iter()
                .map(|s| {
                    names.iter().position(|n| n == s).ok_or_else(|| {
                        Error::invalid(
                            "columns",
                            format!(
                                "part {part:?} selects column {s:?}; the columns are {names:?}"
                            ),
                        )
                    })
                })
                .collect(),
            Columns::Indices(sel) => {
                if let Some(&j) = sel.iter().find(|&&j| j >= names.len()) {
                    return Err(Error::invalid(
                        "columns",
                        format!(
                            "part {part:?} selects column {j}; the input has {} columns",
                            names.len()
                        ),
                    ));
                }
                Ok(sel.clone())
            }
            Columns::Types(sel) => Ok((0..types.len())
                .filter(|&j| sel.contains(&types[j]))
                .collect()),
        }
    }
}

/// What happens to the columns no part selects.
///
/// # Example
/// ```
/// use oxilearn::compose::Remainder;
/// assert_eq!(Remainder::default(), Remainder::Drop);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Remainder {
    /// Leave them out of the output (scikit-learn's default).
    #[default]
    Drop,
    /// Append them unchanged after the parts' outputs (they must be numeric
    /// or boolean).
    Passthrough,
}

#[derive(Clone, Debug)]
enum PartSpec<Y: Target> {
    Transform(Box<dyn Transformer<Y>>),
    Passthrough,
    Drop,
}

/// Applies a transformer to each subset of the columns and puts the outputs
/// side by side (scikit-learn's `ColumnTransformer`).
///
/// Each part names its columns with [`Columns`] (by name, position or type);
/// columns no part takes are dropped or passed through ([`Remainder`]).
/// A part's transformer can be any [`Transformer`], a [`Pipeline`] included
/// (for example most-frequent imputation, then one-hot encoding). The
/// fitted [`FittedColumnTransformer`] is itself a transformer, so it is a
/// pipeline step, and it saves as one model file (part `j`'s tensors under
/// `transformers.<j>.`).
///
/// Output columns are named `<part>__<column>` (`remainder__<column>` for the
/// remainder) as scikit-learn's `verbose_feature_names_out=True`.
///
/// [`Pipeline`]: super::Pipeline
///
/// # Example
/// ```
/// use oxilearn::compose::{ColumnTransformer, Columns, Remainder};
/// use oxilearn::data::{Column, Table};
/// use oxilearn::preprocessing::{OneHotEncoder, StandardScaler};
/// use oxilearn::ndarray::array;
///
/// let t = Table::new(vec![
///     ("mass".into(), Column::Numeric(array![3000.0, 4000.0, 5000.0])),
///     ("island".into(), Column::categorical(["Dream", "Biscoe", "Dream"])),
///     ("year".into(), Column::Numeric(array![2007.0, 2008.0, 2009.0])),
/// ])?;
/// let ct = ColumnTransformer::<f64>::new()
///     .transform("num", StandardScaler::new(), Columns::names(["mass"]))
///     .transform("cat", OneHotEncoder::new(), Columns::categorical())
///     .remainder(Remainder::Passthrough);
/// let fitted = ct.fit(&t, None)?;
/// assert_eq!(
///     fitted.feature_names_out(),
///     ["num__mass", "cat__island_Biscoe", "cat__island_Dream", "remainder__year"]
/// );
/// let z = fitted.transform(&t)?;
/// assert_eq!(z.row(1).to_vec(), [0.0, 1.0, 0.0, 2008.0]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ColumnTransformer<Y: Target> {
    parts: Vec<(String, PartSpec<Y>, Columns)>,
    remainder: Remainder,
    verbose_feature_names_out: bool,
}

impl<Y: Target> Default for ColumnTransformer<Y> {
    fn default() -> Self {
        Self::new()
    }
}

impl<Y: Target> ColumnTransformer<Y> {
    /// No parts; the remainder dropped; verbose output names.
    pub fn new() -> Self {
        ColumnTransformer {
            parts: Vec::new(),
            remainder: Remainder::Drop,
            verbose_feature_names_out: true,
        }
    }

    /// Adds a part: `transformer` on `columns`.
    pub fn transform(
        self,
        name: impl Into<String>,
        transformer: impl Transformer<Y> + 'static,
        columns: Columns,
    ) -> Self {
        self.transform_boxed(name, Box::new(transformer), columns)
    }

    /// Adds a part with a boxed transformer.
    pub fn transform_boxed(
        mut self,
        name: impl Into<String>,
        transformer: Box<dyn Transformer<Y>>,
        columns: Columns,
    ) -> Self {
        self.parts
            .push((name.into(), PartSpec::Transform(transformer), columns));
        self
    }

    /// Adds a part that passes `columns` through unchanged (scikit-learn's
    /// `"passthrough"`); they must be numeric or boolean.
    pub fn passthrough(mut self, name: impl Into<String>, columns: Columns) -> Self {
        self.parts
            .push((name.into(), PartSpec::Passthrough, columns));
        self
    }

    /// Adds a part that drops `columns` (scikit-learn's `"drop"`: they are
    /// then not part of the remainder either).
    pub fn drop(mut self, name: impl Into<String>, columns: Columns) -> Self {
        self.parts.push((name.into(), PartSpec::Drop, columns));
        self
    }

    /// What to do with the columns no part selects. Default
    /// [`Remainder::Drop`].
    pub fn remainder(mut self, remainder: Remainder) -> Self {
        self.remainder = remainder;
        self
    }

    /// Whether output names are prefixed with the part's name
    /// (`<part>__<name>`). Default `true`; without the prefix, names must
    /// come out unique.
    pub fn verbose_feature_names_out(mut self, yes: bool) -> Self {
        self.verbose_feature_names_out = yes;
        self
    }

    /// The part names, in order.
    pub fn part_names(&self) -> Vec<&str> {
        self.parts.iter().map(|(n, _, _)| n.as_str()).collect()
    }

    fn validate(&self) -> Result<()> {
        check_part_names(self.parts.iter().map(|(name, _, _)| name.as_str()))
    }

    /// Fits each part's transformer on its columns of `x` (and `y`, for
    /// transformers that learn from targets).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"transformers"`) for duplicate or
    /// malformed part names, (`"columns"`) for a column that does not exist;
    /// [`Error::EmptyInput`] without rows or columns;
    /// [`Error::ShapeMismatch`] when `y` does not have one value per row;
    /// [`Error::ColumnType`] when a categorical column is passed through;
    /// what a part's `fit` or `transform` returns.
    pub fn fit<'a, 'b>(
        &self,
        x: impl Into<Features<'a>>,
        y: impl Into<Option<ArrayView1<'b, Y>>>,
    ) -> Result<FittedColumnTransformer> {
        self.fit_impl(x.into(), y.into()).map(|(f, _)| f)
    }

    /// Fits, and returns the transformed training rows too.
    ///
    /// # Errors
    /// As [`fit`](Self::fit).
    pub fn fit_transform<'a, 'b>(
        &self,
        x: impl Into<Features<'a>>,
        y: impl Into<Option<ArrayView1<'b, Y>>>,
    ) -> Result<(FittedColumnTransformer, Array2<f64>)> {
        self.fit_impl(x.into(), y.into())
    }

    fn fit_impl(
        &self,
        x: Features<'_>,
        y: Option<ArrayView1<'_, Y>>,
    ) -> Result<(FittedColumnTransformer, Array2<f64>)> {
        self.validate()?;
        if x.n_rows() == 0 || x.n_columns() == 0 {
            return Err(Error::EmptyInput {
                what: "x (no rows or no columns)",
            });
        }
        if let Some(y) = y
            && y.len() != x.n_rows()
        {
            return Err(Error::ShapeMismatch {
                what: "y (one target per row of x)",
                expected: vec![x.n_rows()],
                got: vec![y.len()],
            });
        }
        let (names_in, types_in) = names_and_types(x);
        let mut used = vec![false; names_in.len()];
        let mut parts = Vec::with_capacity(self.parts.len());
        let mut outputs = Vec::new();
        for (name, spec, columns) in &self.parts {
            let idx = columns.resolve(name, &names_in, &types_in)?;
            for &j in &idx {
                used[j] = true;
            }
            let (fitted, out) = match spec {
                PartSpec::Drop => continue,
                // scikit-learn skips a transformer whose selection is empty.
                PartSpec::Transform(_) | PartSpec::Passthrough if idx.is_empty() => continue,
                PartSpec::Passthrough => (Part::Passthrough, passthrough(x, &idx)?),
                PartSpec::Transform(t) => {
                    let sub = subset(x, &idx)?;
                    // The training rows as the part's fit_transform makes
                    // them (cross-fitted for target encoders).
                    let (fitted, out) = t.fit_transform(sub.view(), y)?;
                    let out = out.view().to_matrix()?.into_owned();
                    (Part::Fitted(fitted), out)
                }
            };
            parts.push(FittedPart {
                name: name.clone(),
                columns: idx,
                part: fitted,
            });
            outputs.push(out);
        }
        let remainder = match self.remainder {
            Remainder::Drop => Vec::new(),
            Remainder::Passthrough => (0..names_in.len()).filter(|&j| !used[j]).collect(),
        };
        let fitted = FittedColumnTransformer {
            names_in,
            types_in,
            parts,
            remainder,
            verbose: self.verbose_feature_names_out,
        };
        fitted.check_names_out()?;
        if !fitted.remainder.is_empty() {
            outputs.push(passthrough(x, &fitted.remainder)?);
        }
        let z = hstack(x.n_rows(), outputs)?;
        Ok((fitted, z))
    }

    fn all_params(&self) -> Vec<(String, String)> {
        let mut out = vec![
            (
                "remainder".to_string(),
                match self.remainder {
                    Remainder::Drop => "drop",
                    Remainder::Passthrough => "passthrough",
                }
                .to_string(),
            ),
            (
                "verbose_feature_names_out".to_string(),
                self.verbose_feature_names_out.to_string(),
            ),
        ];
        for (name, spec, _) in &self.parts {
            match spec {
                PartSpec::Transform(t) => out.extend(
                    t.params()
                        .into_iter()
                        .map(|(k, v)| (format!("{name}__{k}"), v)),
                ),
                PartSpec::Passthrough => out.push((name.clone(), "passthrough".into())),
                PartSpec::Drop => out.push((name.clone(), "drop".into())),
            }
        }
        out
    }
}

impl<Y: Target> Transformer<Y> for ColumnTransformer<Y> {
    fn fit(
        &self,
        x: Features<'_>,
        y: Option<ArrayView1<'_, Y>>,
    ) -> Result<Box<dyn FittedTransformer>> {
        Ok(Box::new(self.fit_impl(x, y)?.0))
    }

    fn fit_transform(
        &self,
        x: Features<'_>,
        y: Option<ArrayView1<'_, Y>>,
    ) -> Result<(Box<dyn FittedTransformer>, OwnedFeatures)> {
        let (fitted, z) = self.fit_impl(x, y)?;
        Ok((Box::new(fitted), OwnedFeatures::Matrix(z)))
    }

    /// `remainder`, `verbose_feature_names_out`, then every part's
    /// parameters as `part__param` (scikit-learn's naming).
    fn params(&self) -> Vec<(String, String)> {
        self.all_params()
    }

    fn clone_box(&self) -> Box<dyn Transformer<Y>> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Input column names and types: a table's own, or `x0, x1, …` (numeric)
/// for a matrix.
fn names_and_types(x: Features<'_>) -> (Vec<String>, Vec<ColumnType>) {
    match x {
        Features::Table(t) => (t.names().to_vec(), t.column_types()),
        Features::Matrix(m) => (
            (0..m.ncols()).map(|j| format!("x{j}")).collect(),
            vec![ColumnType::Numeric; m.ncols()],
        ),
    }
}

/// The columns `idx` of `x`, as a table or a matrix like `x`.
fn subset(x: Features<'_>, idx: &[usize]) -> Result<OwnedFeatures> {
    Ok(match x {
        Features::Table(t) => OwnedFeatures::Table(t.select_column_indices(idx)?),
        Features::Matrix(m) => OwnedFeatures::Matrix(m.select(Axis(1), idx)),
    })
}

/// The columns `idx` of `x` as an `f64` matrix.
fn passthrough(x: Features<'_>, idx: &[usize]) -> Result<Array2<f64>> {
    Ok(subset(x, idx)?.view().to_matrix()?.into_owned())
}

fn hstack(n_rows: usize, outputs: Vec<Array2<f64>>) -> Result<Array2<f64>> {
    if outputs.is_empty() {
        return Ok(Array2::zeros((n_rows, 0)));
    }
    for o in &outputs {
        if o.nrows() != n_rows {
            return Err(Error::ShapeMismatch {
                what: "a part's output (one row per input row)",
                expected: vec![n_rows],
                got: vec![o.nrows()],
            });
        }
    }
    let views: Vec<_> = outputs.iter().map(|o| o.view()).collect();
    concatenate(Axis(1), &views).map_err(|e| Error::ShapeMismatch {
        what: "parts' outputs",
        expected: vec![n_rows],
        got: vec![e.to_string().len()],
    })
}

#[derive(Debug)]
enum Part {
    Fitted(Box<dyn FittedTransformer>),
    Passthrough,
}

#[derive(Debug)]
struct FittedPart {
    name: String,
    /// Input column positions (as at fit).
    columns: Vec<usize>,
    part: Part,
}

impl FittedPart {
    /// This part's output for `x`, whose columns are in fit order.
    fn apply(&self, x: Features<'_>, _names: &[String]) -> Result<Array2<f64>> {
        match &self.part {
            Part::Passthrough => passthrough(x, &self.columns),
            Part::Fitted(t) => t.transform(subset(x, &self.columns)?.view()),
        }
    }

    fn n_out(&self) -> usize {
        match &self.part {
            Part::Passthrough => self.columns.len(),
            Part::Fitted(t) => t.n_features_out(),
        }
    }

    fn names_out(&self, input: &[String]) -> Result<Vec<String>> {
        let names: Vec<String> = self.columns.iter().map(|&j| input[j].clone()).collect();
        match &self.part {
            Part::Passthrough => Ok(names),
            Part::Fitted(t) => t.feature_names_out(&names),
        }
    }
}

/// A fitted [`ColumnTransformer`]: per part, the input columns and the
/// fitted transformer (or passthrough), and the passed-through remainder.
///
/// A table is matched by column **name** (its columns may come in another
/// order than at fit), a matrix by position.
///
/// # Example
/// Building and fitting: see [`ColumnTransformer`]. Saving and loading:
/// ```
/// use oxilearn::compose::{ColumnTransformer, Columns, FittedColumnTransformer};
/// use oxilearn::data::{Column, Table};
/// use oxilearn::ndarray::array;
/// use oxilearn::persist::Persist;
/// use oxilearn::preprocessing::StandardScaler;
///
/// let t = Table::new(vec![("mass".into(), Column::Numeric(array![3000.0, 4000.0, 5000.0]))])?;
/// let fitted = ColumnTransformer::<f64>::new()
///     .transform("num", StandardScaler::new(), Columns::names(["mass"]))
///     .fit(&t, None)?;
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-columns-{}.safetensors", std::process::id()));
/// fitted.save(&path)?;
/// let back = FittedColumnTransformer::load(&path)?;
/// assert_eq!(back.transform(&t)?, fitted.transform(&t)?);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug)]
pub struct FittedColumnTransformer {
    names_in: Vec<String>,
    types_in: Vec<ColumnType>,
    parts: Vec<FittedPart>,
    remainder: Vec<usize>,
    verbose: bool,
}

impl FittedColumnTransformer {
    /// Number of input columns.
    pub fn n_features_in(&self) -> usize {
        self.names_in.len()
    }

    /// Number of output columns.
    pub fn n_features_out(&self) -> usize {
        self.parts.iter().map(FittedPart::n_out).sum::<usize>() + self.remainder.len()
    }

    /// The input column names seen at fit (`x0, x1, …` for a matrix).
    pub fn feature_names_in(&self) -> &[String] {
        &self.names_in
    }

    /// The fitted parts' names, in output order (parts whose selection was
    /// empty, and dropped parts, are not fitted).
    pub fn part_names(&self) -> Vec<&str> {
        self.parts.iter().map(|p| p.name.as_str()).collect()
    }

    /// The fitted transformer of part `name` (`None` for passthrough parts).
    pub fn transformer(&self, name: &str) -> Option<&dyn FittedTransformer> {
        self.parts
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| match &p.part {
                Part::Fitted(t) => Some(t.as_ref()),
                Part::Passthrough => None,
            })
    }

    /// The input columns of part `name` (positions in the fit input).
    pub fn columns_of(&self, name: &str) -> Option<&[usize]> {
        self.parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.columns.as_slice())
    }

    /// The passed-through remainder columns (positions in the fit input).
    pub fn remainder_columns(&self) -> &[usize] {
        &self.remainder
    }

    /// Output column names: `<part>__<name>` and `remainder__<name>` (or the
    /// bare names without verbose names).
    pub fn feature_names_out(&self) -> Vec<String> {
        self.names_out_for(&self.names_in).unwrap_or_default()
    }

    fn names_out_for(&self, input: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::with_capacity(self.n_features_out());
        for p in &self.parts {
            for n in p.names_out(input)? {
                out.push(if self.verbose {
                    format!("{}__{n}", p.name)
                } else {
                    n
                });
            }
        }
        for &j in &self.remainder {
            let n = &input[j];
            out.push(if self.verbose {
                format!("remainder__{n}")
            } else {
                n.clone()
            });
        }
        Ok(out)
    }

    fn check_names_out(&self) -> Result<()> {
        let names = self.names_out_for(&self.names_in)?;
        let mut seen = HashSet::new();
        if let Some(dup) = names.iter().find(|n| !seen.insert(*n)) {
            return Err(Error::invalid(
                "verbose_feature_names_out",
                format!("output name {dup:?} is not unique: keep verbose names"),
            ));
        }
        Ok(())
    }

    /// `x`'s columns in fit order: a table reordered by name, a matrix as is.
    fn align<'a>(&self, x: Features<'a>) -> Result<Option<Table>> {
        if x.n_columns() != self.names_in.len() {
            return Err(Error::ShapeMismatch {
                what: "x columns (as at fit)",
                expected: vec![self.names_in.len()],
                got: vec![x.n_columns()],
            });
        }
        let Features::Table(t) = x else {
            return Ok(None);
        };
        if t.names() == self.names_in.as_slice() {
            return Ok(None);
        }
        let idx = self
            .names_in
            .iter()
            .map(|n| {
                t.column_index(n).ok_or_else(|| {
                    Error::invalid(
                        "columns",
                        format!(
                            "column {n:?} seen at fit is missing; columns are {:?}",
                            t.names()
                        ),
                    )
                })
            })
            .collect::<Result<Vec<usize>>>()?;
        Ok(Some(t.select_column_indices(&idx)?))
    }

    /// Transforms `x` (same columns as at fit: a table by name, a matrix by
    /// position).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] for another column count;
    /// [`Error::InvalidParameter`] (`"columns"`) for a table without a column
    /// seen at fit; what a part's `transform` returns (unknown categories,
    /// columns of another type …).
    pub fn transform<'a>(&self, x: impl Into<Features<'a>>) -> Result<Array2<f64>> {
        let x = x.into();
        let aligned = self.align(x)?;
        let x = match &aligned {
            Some(t) => Features::Table(t),
            None => x.reborrow(),
        };
        let mut outputs = Vec::with_capacity(self.parts.len() + 1);
        for p in &self.parts {
            outputs.push(p.apply(x, &self.names_in)?);
        }
        if !self.remainder.is_empty() {
            outputs.push(passthrough(x, &self.remainder)?);
        }
        hstack(x.n_rows(), outputs)
    }

    /// Saves to `path` as one model file (atomic write).
    ///
    /// # Errors
    /// As [`Persist::save`].
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        Persist::save(self, path)
    }

    /// Loads a file written by [`save`](Self::save), validating every part.
    ///
    /// # Errors
    /// As [`Persist::load`]; [`Error::Format`] for a malformed part list.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self> {
        <Self as Persist>::load(path)
    }
}

impl FittedTransformer for FittedColumnTransformer {
    fn kind(&self) -> &'static str {
        COLUMN_TRANSFORMER_KIND
    }

    fn n_features_in(&self) -> usize {
        FittedColumnTransformer::n_features_in(self)
    }

    fn n_features_out(&self) -> usize {
        FittedColumnTransformer::n_features_out(self)
    }

    fn transform(&self, x: Features<'_>) -> Result<Array2<f64>> {
        FittedColumnTransformer::transform(self, x)
    }

    fn feature_names_out(&self, input: &[String]) -> Result<Vec<String>> {
        if input.len() != self.names_in.len() {
            return Err(Error::ShapeMismatch {
                what: "feature names (one per input column)",
                expected: vec![self.names_in.len()],
                got: vec![input.len()],
            });
        }
        self.names_out_for(input)
    }

    fn to_model_file(&self) -> Result<ModelFile> {
        Persist::to_model_file(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One part of a column-transformer file: the part's own metadata (what a
/// stand-alone file of its transformer would say; no kind for a
/// passthrough part) and its input columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PartMeta {
    name: String,
    columns: Vec<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default)]
    dtype: String,
    #[serde(default)]
    n_features: Option<usize>,
    #[serde(default)]
    hyperparameters: serde_json::Value,
}

/// The part-name rules `fit` and the loader share: non-empty, without
/// `"__"`, not `"remainder"`, unique.
fn check_part_names<'a>(names: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = HashSet::new();
    for name in names {
        if name.is_empty() || name.contains("__") || name == "remainder" {
            return Err(Error::invalid(
                "transformers",
                format!(
                    "part name {name:?} must be non-empty, must not contain \"__\" and must not be \"remainder\""
                ),
            ));
        }
        if !seen.insert(name) {
            return Err(Error::invalid(
                "transformers",
                format!("part name {name:?} is used twice"),
            ));
        }
    }
    Ok(())
}

/// The hyperparameters of a column-transformer file.
#[derive(Debug, Serialize, Deserialize)]
struct ColumnMeta {
    names_in: Vec<String>,
    types_in: Vec<String>,
    transformers: Vec<PartMeta>,
    remainder: Vec<usize>,
    verbose_feature_names_out: bool,
}

/// Splits `transformers.<j>.<name>` into `(j, name)`.
fn part_tensor(name: &str) -> Option<(usize, &str)> {
    let rest = name.strip_prefix("transformers.")?;
    let (j, tensor) = rest.split_once('.')?;
    if tensor.is_empty() || j.is_empty() || (j.len() > 1 && j.starts_with('0')) {
        return None;
    }
    Some((j.parse().ok()?, tensor))
}

impl Persist for FittedColumnTransformer {
    const KIND: &'static str = COLUMN_TRANSFORMER_KIND;

    fn to_model_file(&self) -> Result<ModelFile> {
        let mut out = ModelFile::new(Self::KIND, "f64").with_n_features(self.n_features_in());
        let mut metas = Vec::with_capacity(self.parts.len());
        for (j, p) in self.parts.iter().enumerate() {
            let Part::Fitted(t) = &p.part else {
                metas.push(PartMeta {
                    name: p.name.clone(),
                    columns: p.columns.clone(),
                    kind: None,
                    dtype: "none".into(),
                    n_features: Some(p.columns.len()),
                    hyperparameters: serde_json::Value::Null,
                });
                continue;
            };
            let mut sub = t.to_model_file()?;
            let tensor_names: Vec<String> =
                sub.tensor_names().iter().map(|s| s.to_string()).collect();
            for name in tensor_names {
                let data = sub.take(&name)?;
                out.push(&format!("transformers.{j}.{name}"), data);
            }
            let m = sub.metadata;
            out.metadata.user.extend(
                m.user
                    .into_iter()
                    .map(|(k, v)| (format!("transformers.{j}.{k}"), v)),
            );
            metas.push(PartMeta {
                name: p.name.clone(),
                columns: p.columns.clone(),
                kind: Some(m.kind),
                dtype: m.dtype,
                n_features: m.n_features,
                hyperparameters: m.hyperparameters,
            });
        }
        out.with_hyperparameters(&ColumnMeta {
            names_in: self.names_in.clone(),
            types_in: self.types_in.iter().map(|t| t.name().to_string()).collect(),
            transformers: metas,
            remainder: self.remainder.clone(),
            verbose_feature_names_out: self.verbose,
        })
    }

    fn from_model_file(mut file: ModelFile) -> Result<Self> {
        let bad = |file: &ModelFile, reason: String| file.format_error(reason);
        let meta: ColumnMeta = file.hyperparameters()?;
        let n = meta.names_in.len();
        if n == 0 || meta.types_in.len() != n || file.metadata.n_features != Some(n) {
            return Err(bad(
                &file,
                "names_in, types_in and n_features must agree (one per input column)".into(),
            ));
        }
        let types_in = meta
            .types_in
            .iter()
            .map(|t| {
                crate::preprocessing::parse_column_type(t)
                    .ok_or_else(|| bad(&file, format!("unknown column type {t:?}")))
            })
            .collect::<Result<Vec<_>>>()?;
        // The same rules as `fit`: names `fit` refuses mean a crafted file.
        file.check_hyperparameters(check_part_names(
            meta.transformers.iter().map(|p| p.name.as_str()),
        ))?;
        for p in &meta.transformers {
            if p.columns.is_empty() || p.columns.iter().any(|&j| j >= n) {
                return Err(bad(
                    &file,
                    format!(
                        "part {:?} selects no column or a column out of range",
                        p.name
                    ),
                ));
            }
        }
        if meta.remainder.iter().any(|&j| j >= n) {
            return Err(bad(&file, "a remainder column is out of range".into()));
        }
        let mut per_part: Vec<Vec<(String, TensorData)>> =
            vec![Vec::new(); meta.transformers.len()];
        let names: Vec<String> = file.tensor_names().iter().map(|s| s.to_string()).collect();
        for name in names {
            let (j, tensor) = part_tensor(&name)
                .filter(|(j, _)| *j < meta.transformers.len())
                .ok_or_else(|| bad(&file, format!("tensor `{name}` belongs to no part")))?;
            let tensor = tensor.to_string();
            per_part[j].push((tensor, file.take(&name)?));
        }
        let mut parts = Vec::with_capacity(meta.transformers.len());
        for (j, (p, tensors)) in meta.transformers.into_iter().zip(per_part).enumerate() {
            let part = match p.kind {
                None => {
                    if !tensors.is_empty() {
                        return Err(bad(
                            &file,
                            format!("passthrough part {:?} has tensors", p.name),
                        ));
                    }
                    Part::Passthrough
                }
                Some(kind) => {
                    let mut sub = file.part(&kind, &p.dtype, &format!("part {j} `{}`", p.name));
                    sub.metadata.n_features = p.n_features;
                    sub.metadata.hyperparameters = p.hyperparameters;
                    sub.metadata.user = BTreeMap::new();
                    for (name, data) in tensors {
                        sub.push(&name, data);
                    }
                    let t = registry::load_transformer(sub)?;
                    if t.n_features_in() != p.columns.len() {
                        return Err(bad(
                            &file,
                            format!(
                                "part {:?} expects {} input columns but selects {}",
                                p.name,
                                t.n_features_in(),
                                p.columns.len()
                            ),
                        ));
                    }
                    Part::Fitted(t)
                }
            };
            parts.push(FittedPart {
                name: p.name,
                columns: p.columns,
                part,
            });
        }
        let fitted = FittedColumnTransformer {
            names_in: meta.names_in,
            types_in,
            parts,
            remainder: meta.remainder,
            verbose: meta.verbose_feature_names_out,
        };
        fitted
            .check_names_out()
            .map_err(|e| bad(&file, e.to_string()))?;
        Ok(fitted)
    }
}
