//! Missing-value imputation: [`SimpleImputer`] → [`FittedSimpleImputer`] and
//! [`MissingIndicator`] → [`FittedMissingIndicator`], with scikit-learn's
//! semantics, on numeric matrices (NaN = missing) and on [`Table`]s (numeric,
//! categorical and boolean columns).

use std::collections::HashMap;

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::robust::{check_no_inf, check_transform_nan_ok};
use super::stats::{median_sorted, sorted_non_nan};
use crate::data::{Column, ColumnType, Table};
use crate::error::{Error, Result};
use crate::numerics;
use crate::persist::{ModelFile, Persist};

/// How a [`SimpleImputer`] fills a column.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::ImputeStrategy;
/// assert_eq!(ImputeStrategy::default(), ImputeStrategy::Mean);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImputeStrategy {
    /// The column's mean (numeric columns).
    #[default]
    Mean,
    /// The column's median (numeric columns).
    Median,
    /// The most frequent value (any column; ties go to the smallest).
    MostFrequent,
    /// A constant ([`SimpleImputer::fill_value`]).
    Constant,
}

/// A value that fills a missing cell.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::FillValue;
/// assert_eq!(FillValue::from(0.5), FillValue::Number(0.5));
/// assert_eq!(FillValue::from("missing"), FillValue::Text("missing".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillValue {
    /// For numeric columns (and boolean ones: 0 → false, anything else → true).
    Number(f64),
    /// For categorical columns.
    Text(String),
    /// For boolean columns.
    Bool(bool),
}

impl From<f64> for FillValue {
    fn from(v: f64) -> Self {
        FillValue::Number(v)
    }
}

impl From<&str> for FillValue {
    fn from(v: &str) -> Self {
        FillValue::Text(v.to_string())
    }
}

impl From<bool> for FillValue {
    fn from(v: bool) -> Self {
        FillValue::Bool(v)
    }
}

/// Fills missing values column by column with a statistic learned at fit.
///
/// As scikit-learn's `SimpleImputer` (NaN or, in a [`Table`], any missing
/// cell): `Mean` and `Median` need numeric columns; `MostFrequent` works on
/// any column and breaks ties towards the smallest value; `Constant` fills
/// with [`fill_value`](Self::fill_value) (default 0 for numeric columns,
/// `"missing_value"` for categorical ones, `false` for boolean ones). A column
/// with no value at all at fit is **dropped** from the output (scikit-learn's
/// documented behaviour, with its warning replaced by
/// [`FittedSimpleImputer::dropped`]) unless
/// [`keep_empty_features`](Self::keep_empty_features), which fills it with 0
/// (or the constant). With [`add_indicator`](Self::add_indicator), a
/// [`MissingIndicator`] column per feature that had missing values at fit is
/// appended.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::{ImputeStrategy, SimpleImputer};
///
/// let nan = f64::NAN;
/// let x = array![[1.0, nan], [3.0, 4.0], [nan, 8.0]];
/// let imp = SimpleImputer::new().fit(x.view())?;
/// assert_eq!(imp.transform(x.view())?, array![[1.0, 6.0], [3.0, 4.0], [2.0, 8.0]]);
/// let med = SimpleImputer::new().strategy(ImputeStrategy::Median).add_indicator(true);
/// assert_eq!(med.fit(x.view())?.transform(array![[nan, 1.0]].view())?, array![[2.0, 1.0, 1.0, 0.0]]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimpleImputer {
    pub(crate) strategy: ImputeStrategy,
    pub(crate) fill_value: Option<FillValue>,
    pub(crate) add_indicator: bool,
    pub(crate) keep_empty_features: bool,
}

impl Default for SimpleImputer {
    fn default() -> Self {
        Self::new()
    }
}

/// The learned fill of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Fill {
    Number(f64),
    Text(String),
    Bool(bool),
    /// Dropped: no value at fit.
    Drop,
}

impl SimpleImputer {
    /// Mean imputation, no indicator, empty columns dropped (scikit-learn's
    /// defaults).
    pub fn new() -> Self {
        SimpleImputer {
            strategy: ImputeStrategy::Mean,
            fill_value: None,
            add_indicator: false,
            keep_empty_features: false,
        }
    }

    /// The strategy. Default [`ImputeStrategy::Mean`].
    pub fn strategy(mut self, strategy: ImputeStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// The constant of [`ImputeStrategy::Constant`]. Default: 0, `false` or
    /// `"missing_value"` by column type.
    pub fn fill_value(mut self, value: impl Into<FillValue>) -> Self {
        self.fill_value = Some(value.into());
        self
    }

    /// Whether to append missing-indicator columns. Default `false`.
    pub fn add_indicator(mut self, yes: bool) -> Self {
        self.add_indicator = yes;
        self
    }

    /// Whether columns with no value at fit are kept (filled with 0 or the
    /// constant) instead of dropped. Default `false`.
    pub fn keep_empty_features(mut self, yes: bool) -> Self {
        self.keep_empty_features = yes;
        self
    }

    /// The fill of an empty column.
    fn empty_fill(&self, ty: ColumnType) -> Fill {
        if !self.keep_empty_features {
            return Fill::Drop;
        }
        if self.strategy == ImputeStrategy::Constant {
            return self.constant(ty).unwrap_or(Fill::Number(0.0));
        }
        match ty {
            ColumnType::Numeric => Fill::Number(0.0),
            ColumnType::Boolean => Fill::Bool(false),
            ColumnType::Categorical => Fill::Text(String::new()),
        }
    }

    fn constant(&self, ty: ColumnType) -> Option<Fill> {
        Some(match (ty, &self.fill_value) {
            (ColumnType::Numeric, None) => Fill::Number(0.0),
            (ColumnType::Numeric, Some(FillValue::Number(v))) => Fill::Number(*v),
            (ColumnType::Numeric, Some(FillValue::Bool(b))) => {
                Fill::Number(f64::from(u8::from(*b)))
            }
            (ColumnType::Categorical, None) => Fill::Text("missing_value".into()),
            (ColumnType::Categorical, Some(FillValue::Text(t))) => Fill::Text(t.clone()),
            (ColumnType::Categorical, Some(FillValue::Number(v))) => Fill::Text(v.to_string()),
            (ColumnType::Categorical, Some(FillValue::Bool(b))) => Fill::Text(b.to_string()),
            (ColumnType::Boolean, None) => Fill::Bool(false),
            (ColumnType::Boolean, Some(FillValue::Bool(b))) => Fill::Bool(*b),
            (ColumnType::Boolean, Some(FillValue::Number(v))) => Fill::Bool(*v != 0.0),
            (_, Some(FillValue::Text(_))) => return None,
        })
    }

    /// The fill of one column.
    fn column_fill(&self, name: &str, col: &Column) -> Result<Fill> {
        if col.n_missing() == col.len() {
            return Ok(self.empty_fill(col.column_type()));
        }
        let needs_numeric = || Error::ColumnType {
            column: name.to_string(),
            expected: "numeric (for the mean or median)",
            found: col.column_type().name(),
        };
        Ok(match self.strategy {
            ImputeStrategy::Constant => self.constant(col.column_type()).ok_or_else(|| {
                Error::invalid(
                    "fill_value",
                    format!("a text fill value cannot fill numeric/boolean column {name:?}"),
                )
            })?,
            ImputeStrategy::Mean | ImputeStrategy::Median => {
                let v = col.as_numeric().ok_or_else(needs_numeric)?;
                let sorted = sorted_non_nan(v.iter().copied());
                if self.strategy == ImputeStrategy::Median {
                    Fill::Number(median_sorted(&sorted))
                } else {
                    // numpy's nanmean: pairwise sum over the present values.
                    let present: Array1<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
                    let mean = present.sum() / present.len() as f64;
                    if mean.is_finite() {
                        Fill::Number(mean)
                    } else {
                        // The sum overflowed (values near f64::MAX): the
                        // mean of the values divided by a power of two
                        // (exact), scaled back.
                        let s = numerics::pow2_scale(numerics::max_abs(present.iter().copied()));
                        Fill::Number(present.mapv(|x| x / s).sum() / present.len() as f64 * s)
                    }
                }
            }
            ImputeStrategy::MostFrequent => match col {
                Column::Numeric(v) => {
                    let sorted = sorted_non_nan(v.iter().copied());
                    Fill::Number(mode_sorted(&sorted))
                }
                Column::Categorical(v) => {
                    let mut counts: HashMap<&str, usize> = HashMap::new();
                    for s in v.iter().flatten() {
                        *counts.entry(s).or_default() += 1;
                    }
                    let best = counts
                        .into_iter()
                        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
                        .map(|(s, _)| s.to_string())
                        .unwrap_or_default();
                    Fill::Text(best)
                }
                Column::Boolean(v) => {
                    let t = v.iter().filter(|b| **b == Some(true)).count();
                    let f = v.iter().filter(|b| **b == Some(false)).count();
                    Fill::Bool(t > f)
                }
            },
        })
    }

    /// Learns each column's fill from a numeric matrix (NaN = missing).
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without rows or columns; [`Error::NonFinite`]
    /// on ±inf; [`Error::InvalidParameter`] (`"fill_value"`) for a text
    /// constant.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedSimpleImputer> {
        check_fit_shape(x)?;
        check_no_inf(x)?;
        self.fit_table(&matrix_table(x))
    }

    /// Learns each column's fill from a table.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without rows or columns; [`Error::ColumnType`]
    /// for the mean or median of a non-numeric column;
    /// [`Error::InvalidParameter`] (`"fill_value"`) for a constant of the
    /// wrong type; [`Error::NonFinite`] on ±inf in a numeric column.
    pub fn fit_table(&self, table: &Table) -> Result<FittedSimpleImputer> {
        if table.n_rows() == 0 || table.n_columns() == 0 {
            return Err(Error::EmptyInput {
                what: "table (no rows or no columns)",
            });
        }
        let mut fills = Vec::with_capacity(table.n_columns());
        for (name, col) in table.iter() {
            if let Some(v) = col.as_numeric()
                && let Some(i) = v.iter().position(|x| x.is_infinite())
            {
                let j = table.column_index(name).unwrap_or(0);
                return Err(Error::NonFinite {
                    what: "x",
                    index: vec![i, j],
                });
            }
            fills.push(self.column_fill(name, col)?);
        }
        let indicator = self.add_indicator.then(|| {
            MissingIndicator::new()
                .features_for(table)
                .into_iter()
                .collect::<Vec<usize>>()
        });
        Ok(FittedSimpleImputer {
            params: self.clone(),
            names: table.names().to_vec(),
            types: table.column_types(),
            fills,
            indicator: indicator.unwrap_or_default(),
        })
    }
}

/// The smallest most frequent value of sorted `v` (non-empty).
fn mode_sorted(v: &[f64]) -> f64 {
    let (mut best, mut best_n) = (v[0], 0);
    let mut i = 0;
    while i < v.len() {
        let mut k = i;
        while k < v.len() && v[k] == v[i] {
            k += 1;
        }
        if k - i > best_n {
            (best, best_n) = (v[i], k - i);
        }
        i = k;
    }
    best
}

fn check_fit_shape(x: ArrayView2<'_, f64>) -> Result<()> {
    if x.nrows() == 0 {
        return Err(Error::EmptyInput {
            what: "x (no rows)",
        });
    }
    if x.ncols() == 0 {
        return Err(Error::EmptyInput {
            what: "x (no features)",
        });
    }
    Ok(())
}

/// A numeric matrix as a table with columns `x0, x1, …`.
pub(crate) fn matrix_table(x: ArrayView2<'_, f64>) -> Table {
    let cols = x
        .axis_iter(Axis(1))
        .enumerate()
        .map(|(j, c)| (format!("x{j}"), Column::Numeric(c.to_owned())))
        .collect();
    match Table::new(cols) {
        Ok(t) => t,
        Err(_) => unreachable!("generated names are distinct and columns equally long"),
    }
}

/// A fitted [`SimpleImputer`].
///
/// # Example
/// ```
/// use oxilearn::preprocessing::FittedSimpleImputer;
/// use oxilearn::persist::Persist;
/// use oxilearn::data::{Column, Table};
/// use oxilearn::preprocessing::{ImputeStrategy, SimpleImputer};
///
/// let t = Table::new(vec![
///     ("island".into(), Column::categorical_opt([Some("Dream"), None, Some("Dream"), Some("Biscoe")])),
/// ])?;
/// let imp = SimpleImputer::new().strategy(ImputeStrategy::MostFrequent).fit_table(&t)?;
/// let out = imp.transform_table(&t)?;
/// assert_eq!(out.column("island").unwrap().text(1).as_deref(), Some("Dream"));
///
/// // Save to a model file; load it back by naming the fitted type.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-imputer-{}.safetensors", std::process::id()));
/// imp.save(&path)?;
/// let back = FittedSimpleImputer::load(&path)?;
/// assert_eq!(back, imp);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FittedSimpleImputer {
    params: SimpleImputer,
    names: Vec<String>,
    types: Vec<ColumnType>,
    fills: Vec<Fill>,
    indicator: Vec<usize>,
}

impl FittedSimpleImputer {
    /// The same imputer with other input names (for names out).
    pub(crate) fn renamed(&self, names: &[String]) -> Self {
        FittedSimpleImputer {
            names: names.to_vec(),
            ..self.clone()
        }
    }

    /// Number of input columns seen at fit.
    pub fn n_features_in(&self) -> usize {
        self.fills.len()
    }

    /// Number of output columns (kept columns, then indicators).
    pub fn n_features_out(&self) -> usize {
        self.fills.iter().filter(|f| **f != Fill::Drop).count() + self.indicator.len()
    }

    /// Column names seen at fit (`x0, x1, …` for a matrix).
    pub fn feature_names_in(&self) -> &[String] {
        &self.names
    }

    /// The numeric fill of each column (NaN for dropped and non-numeric
    /// columns): scikit-learn's `statistics_`.
    pub fn statistics(&self) -> Array1<f64> {
        self.fills
            .iter()
            .map(|f| match f {
                Fill::Number(v) => *v,
                Fill::Bool(b) => f64::from(u8::from(*b)),
                _ => f64::NAN,
            })
            .collect()
    }

    /// The fill of each column as text (`None` for dropped columns).
    pub fn fill_texts(&self) -> Vec<Option<String>> {
        self.fills
            .iter()
            .map(|f| match f {
                Fill::Number(v) => Some(v.to_string()),
                Fill::Text(t) => Some(t.clone()),
                Fill::Bool(b) => Some(b.to_string()),
                Fill::Drop => None,
            })
            .collect()
    }

    /// Indices of the columns dropped because they had no value at fit.
    pub fn dropped(&self) -> Vec<usize> {
        (0..self.fills.len())
            .filter(|&j| self.fills[j] == Fill::Drop)
            .collect()
    }

    /// Indices of the columns that get an indicator (empty without
    /// `add_indicator`).
    pub fn indicator_features(&self) -> &[usize] {
        &self.indicator
    }

    /// Output column names: kept input names, then `missingindicator_<name>`.
    pub fn feature_names_out(&self) -> Vec<String> {
        let kept = (0..self.fills.len())
            .filter(|&j| self.fills[j] != Fill::Drop)
            .map(|j| self.names[j].clone());
        let ind = self
            .indicator
            .iter()
            .map(|&j| format!("missingindicator_{}", self.names[j]));
        kept.chain(ind).collect()
    }

    /// Fills the missing values of a numeric matrix (same column count as
    /// at fit); drops empty columns and appends indicators as configured.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another column count, [`Error::NonFinite`]
    /// on ±inf; [`Error::ColumnType`] if the imputer was fitted on a table
    /// with non-numeric columns.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_transform_nan_ok(x, self.n_features_in())?;
        let mut t = matrix_table(x);
        if self.types.iter().any(|t| *t != ColumnType::Numeric) {
            let j = self
                .types
                .iter()
                .position(|t| *t != ColumnType::Numeric)
                .unwrap_or(0);
            return Err(Error::ColumnType {
                column: self.names[j].clone(),
                expected: "numeric (the imputer was fitted on a table: use transform_table)",
                found: self.types[j].name(),
            });
        }
        t = self.rename(t)?;
        self.transform_table(&t)?.to_matrix()
    }

    /// Gives a generated-name table the names seen at fit.
    fn rename(&self, t: Table) -> Result<Table> {
        let cols = self
            .names
            .iter()
            .cloned()
            .zip(t.columns().iter().cloned())
            .collect();
        Table::new(cols)
    }

    /// Fills the missing values of a table with the columns seen at fit
    /// (found by name, same types); drops empty columns and appends
    /// indicator columns (numeric 0/1) as configured.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"columns"`) for a missing column;
    /// [`Error::ColumnType`] for a column of another type than at fit.
    pub fn transform_table(&self, table: &Table) -> Result<Table> {
        let mut out = Vec::with_capacity(self.n_features_out());
        let mut inputs = Vec::with_capacity(self.names.len());
        for (name, &ty) in self.names.iter().zip(&self.types) {
            let col = table.column(name).ok_or_else(|| {
                Error::invalid(
                    "columns",
                    format!(
                        "column {name:?} seen at fit is missing; columns are {:?}",
                        table.names()
                    ),
                )
            })?;
            if col.column_type() != ty {
                return Err(Error::ColumnType {
                    column: name.clone(),
                    expected: ty.name(),
                    found: col.column_type().name(),
                });
            }
            inputs.push(col);
        }
        for ((name, fill), col) in self.names.iter().zip(&self.fills).zip(&inputs) {
            let filled = match (fill, col) {
                (Fill::Drop, _) => continue,
                (Fill::Number(f), Column::Numeric(v)) => {
                    Column::Numeric(v.mapv(|x| if x.is_nan() { *f } else { x }))
                }
                (Fill::Text(f), Column::Categorical(v)) => Column::Categorical(
                    v.iter()
                        .map(|c| Some(c.clone().unwrap_or_else(|| f.clone())))
                        .collect(),
                ),
                (Fill::Bool(f), Column::Boolean(v)) => {
                    Column::Boolean(v.iter().map(|c| Some(c.unwrap_or(*f))).collect())
                }
                _ => unreachable!("fills are built for the column types checked above"),
            };
            out.push((name.clone(), filled));
        }
        for &j in &self.indicator {
            let col = inputs[j];
            let ind = (0..col.len())
                .map(|i| f64::from(u8::from(col.is_missing(i))))
                .collect();
            out.push((
                format!("missingindicator_{}", self.names[j]),
                Column::Numeric(ind),
            ));
        }
        Table::new(out)
    }
}

impl Persist for FittedSimpleImputer {
    const KIND: &'static str = "SimpleImputer";

    fn to_model_file(&self) -> Result<ModelFile> {
        let state = ImputerState {
            params: self.params.clone(),
            names: self.names.clone(),
            types: self.types.iter().map(|t| t.name().to_string()).collect(),
            fills: self.fills.clone(),
            indicator: self.indicator.clone(),
        };
        ModelFile::new(Self::KIND, "f64")
            .with_n_features(self.names.len())
            .with_hyperparameters(&state)
    }

    fn from_model_file(file: ModelFile) -> Result<Self> {
        // Versions 1 and 2 share this layout (2 adds the file checksum).
        let n = file.n_features()?;
        let s: ImputerState = file.hyperparameters()?;
        let bad = |reason: &str| file.format_error(reason.to_string());
        if s.names.len() != n || s.types.len() != n || s.fills.len() != n || n == 0 {
            return Err(bad(
                "names, types and fills must have one entry per feature",
            ));
        }
        let types = s
            .types
            .iter()
            .map(|t| parse_type(t).ok_or_else(|| bad(&format!("unknown column type {t:?}"))))
            .collect::<Result<Vec<_>>>()?;
        for (j, (f, t)) in s.fills.iter().zip(&types).enumerate() {
            let ok = match (f, t) {
                (Fill::Drop, _) => true,
                (Fill::Number(v), ColumnType::Numeric) => v.is_finite(),
                (Fill::Text(_), ColumnType::Categorical) | (Fill::Bool(_), ColumnType::Boolean) => {
                    true
                }
                _ => false,
            };
            if !ok {
                return Err(file.format_error_at(
                    format!("hyperparameter `fills` at index [{j}]"),
                    format!("fill {f:?} does not match column type {t:?} (or is not finite)"),
                ));
            }
        }
        if s.indicator.iter().any(|&j| j >= n) || !s.indicator.windows(2).all(|w| w[0] < w[1]) {
            return Err(bad(
                "indicator features must be sorted, distinct and in range",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if !s.names.iter().all(|n| seen.insert(n)) {
            return Err(bad("duplicate column names"));
        }
        Ok(FittedSimpleImputer {
            params: s.params,
            names: s.names,
            types,
            fills: s.fills,
            indicator: s.indicator,
        })
    }
}

/// `"numeric"` / `"categorical"` / `"boolean"` → the type.
pub(crate) fn parse_type(s: &str) -> Option<ColumnType> {
    [
        ColumnType::Numeric,
        ColumnType::Categorical,
        ColumnType::Boolean,
    ]
    .into_iter()
    .find(|t| t.name() == s)
}

/// What a fitted imputer stores in its model file's metadata.
#[derive(Serialize, Deserialize)]
struct ImputerState {
    params: SimpleImputer,
    names: Vec<String>,
    types: Vec<String>,
    fills: Vec<Fill>,
    indicator: Vec<usize>,
}

/// Which features a [`MissingIndicator`] reports.
///
/// # Example
/// ```
/// use oxilearn::preprocessing::IndicatorFeatures;
/// assert_eq!(IndicatorFeatures::default(), IndicatorFeatures::MissingOnly);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorFeatures {
    /// Only features that had missing values at fit.
    #[default]
    MissingOnly,
    /// Every feature.
    All,
}

/// Marks missing values: one 0/1 column per feature that had missing values
/// at fit (or per feature, with [`IndicatorFeatures::All`]), as
/// scikit-learn's `MissingIndicator`.
///
/// # Example
/// ```
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::MissingIndicator;
///
/// let nan = f64::NAN;
/// let x = array![[1.0, nan, 3.0], [nan, 2.0, 3.0]];
/// let m = MissingIndicator::new().fit(x.view())?;
/// assert_eq!(m.features(), &[0, 1]);
/// assert_eq!(m.transform(array![[nan, 1.0, nan]].view())?, array![[1.0, 0.0]]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingIndicator {
    pub(crate) features: IndicatorFeatures,
}

impl MissingIndicator {
    /// Indicators for the features with missing values at fit.
    pub fn new() -> Self {
        MissingIndicator {
            features: IndicatorFeatures::MissingOnly,
        }
    }

    /// Which features get an indicator. Default
    /// [`IndicatorFeatures::MissingOnly`].
    pub fn features(mut self, features: IndicatorFeatures) -> Self {
        self.features = features;
        self
    }

    fn features_for(&self, table: &Table) -> Vec<usize> {
        table
            .columns()
            .iter()
            .enumerate()
            .filter(|(_, c)| self.features == IndicatorFeatures::All || c.n_missing() > 0)
            .map(|(j, _)| j)
            .collect()
    }

    /// Learns which columns of a numeric matrix (NaN = missing) get an
    /// indicator.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without rows or columns, [`Error::NonFinite`] on
    /// ±inf.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedMissingIndicator> {
        check_fit_shape(x)?;
        check_no_inf(x)?;
        self.fit_table(&matrix_table(x))
    }

    /// Learns which columns of a table get an indicator.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] without rows or columns.
    pub fn fit_table(&self, table: &Table) -> Result<FittedMissingIndicator> {
        if table.n_rows() == 0 || table.n_columns() == 0 {
            return Err(Error::EmptyInput {
                what: "table (no rows or no columns)",
            });
        }
        Ok(FittedMissingIndicator {
            names: table.names().to_vec(),
            features: self.features_for(table),
        })
    }
}

/// A fitted [`MissingIndicator`].
///
/// # Example
/// ```
/// use oxilearn::preprocessing::FittedMissingIndicator;
/// use oxilearn::prelude::*;
/// use oxilearn::preprocessing::{IndicatorFeatures, MissingIndicator};
///
/// let m = MissingIndicator::new().features(IndicatorFeatures::All).fit(array![[1.0, 2.0]].view())?;
/// assert_eq!(m.feature_names_out(), ["missingindicator_x0", "missingindicator_x1"]);
///
/// // Save to a model file; load it back by naming the fitted type.
/// let path = std::env::temp_dir().join(format!("oxilearn-doc-indicator-{}.safetensors", std::process::id()));
/// m.save(&path)?;
/// let back = FittedMissingIndicator::load(&path)?;
/// assert_eq!(back, m);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FittedMissingIndicator {
    names: Vec<String>,
    features: Vec<usize>,
}

impl FittedMissingIndicator {
    /// The same indicator with other input names (for names out).
    pub(crate) fn renamed(&self, names: &[String]) -> Self {
        FittedMissingIndicator {
            names: names.to_vec(),
            features: self.features.clone(),
        }
    }

    /// Indices of the features that get an indicator.
    pub fn features(&self) -> &[usize] {
        &self.features
    }

    /// Number of input columns seen at fit.
    pub fn n_features_in(&self) -> usize {
        self.names.len()
    }

    /// `missingindicator_<name>` per reported feature.
    pub fn feature_names_out(&self) -> Vec<String> {
        self.features
            .iter()
            .map(|&j| format!("missingindicator_{}", self.names[j]))
            .collect()
    }

    /// 1 where the value is missing (NaN), 0 elsewhere, for the reported
    /// features.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on another column count, [`Error::NonFinite`]
    /// on ±inf.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check_transform_nan_ok(x, self.n_features_in())?;
        Ok(Array2::from_shape_fn(
            (x.nrows(), self.features.len()),
            |(i, k)| f64::from(u8::from(x[[i, self.features[k]]].is_nan())),
        ))
    }

    /// As [`transform`](Self::transform), for a table with the columns seen
    /// at fit (found by name).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"columns"`) for a missing column.
    pub fn transform_table(&self, table: &Table) -> Result<Array2<f64>> {
        let mut out = Array2::zeros((table.n_rows(), self.features.len()));
        for (k, &j) in self.features.iter().enumerate() {
            let name = &self.names[j];
            let col = table.column(name).ok_or_else(|| {
                Error::invalid("columns", format!("column {name:?} seen at fit is missing"))
            })?;
            for i in 0..col.len() {
                out[[i, k]] = f64::from(u8::from(col.is_missing(i)));
            }
        }
        Ok(out)
    }
}

impl Persist for FittedMissingIndicator {
    const KIND: &'static str = "MissingIndicator";

    fn to_model_file(&self) -> Result<ModelFile> {
        ModelFile::new(Self::KIND, "none")
            .with_n_features(self.names.len())
            .with_hyperparameters(&(&self.names, &self.features))
    }

    fn from_model_file(file: ModelFile) -> Result<Self> {
        // Versions 1 and 2 share this layout (2 adds the file checksum).
        let n = file.n_features()?;
        let (names, features): (Vec<String>, Vec<usize>) = file.hyperparameters()?;
        if names.len() != n
            || features.iter().any(|&j| j >= n)
            || !features.windows(2).all(|w| w[0] < w[1])
        {
            return Err(file.format_error(
                "names must match n_features; features sorted, distinct and in range",
            ));
        }
        Ok(FittedMissingIndicator { names, features })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Slice, array};

    const NAN: f64 = f64::NAN;

    fn same(a: &Array2<f64>, b: &Array2<f64>) -> bool {
        a.shape() == b.shape()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-15)
    }

    // Reference values, in the venv of benches/peers/setup.sh:
    // python -c "
    // import numpy as np; from sklearn.impute import SimpleImputer, MissingIndicator
    // nan = np.nan
    // X = np.array([[1., nan, 3., nan], [4., 2., nan, nan], [nan, 2., 3., nan], [7., 5., 9., nan], [1., nan, 4., nan]])
    // for s in ['mean', 'median', 'most_frequent']:
    //     im = SimpleImputer(strategy=s).fit(X); print(s, im.statistics_.tolist()); print(im.transform(X).tolist())
    // print(SimpleImputer(strategy='constant', fill_value=-1, add_indicator=True).fit(X).transform(X).tolist())
    // print(SimpleImputer(keep_empty_features=True, add_indicator=True).fit(X).transform(X[:2]).tolist())
    // print(MissingIndicator().fit(X).features_.tolist())
    // O = np.array([['a', 'x'], [None, 'y'], ['b', 'y'], ['b', None], ['a', None]], dtype=object)
    // im = SimpleImputer(strategy='most_frequent', missing_values=None).fit(O); print(im.statistics_.tolist())
    // print(SimpleImputer(strategy='constant', missing_values=None).fit(O).statistics_.tolist())"
    fn x() -> Array2<f64> {
        array![
            [1., NAN, 3., NAN],
            [4., 2., NAN, NAN],
            [NAN, 2., 3., NAN],
            [7., 5., 9., NAN],
            [1., NAN, 4., NAN]
        ]
    }

    #[test]
    fn strategies_match_sklearn() {
        let cases = [
            (
                ImputeStrategy::Mean,
                [3.25, 3.0, 4.75],
                array![
                    [1.0, 3.0, 3.0],
                    [4.0, 2.0, 4.75],
                    [3.25, 2.0, 3.0],
                    [7.0, 5.0, 9.0],
                    [1.0, 3.0, 4.0]
                ],
            ),
            (
                ImputeStrategy::Median,
                [2.5, 2.0, 3.5],
                array![
                    [1.0, 2.0, 3.0],
                    [4.0, 2.0, 3.5],
                    [2.5, 2.0, 3.0],
                    [7.0, 5.0, 9.0],
                    [1.0, 2.0, 4.0]
                ],
            ),
            (
                ImputeStrategy::MostFrequent,
                [1.0, 2.0, 3.0],
                array![
                    [1.0, 2.0, 3.0],
                    [4.0, 2.0, 3.0],
                    [1.0, 2.0, 3.0],
                    [7.0, 5.0, 9.0],
                    [1.0, 2.0, 4.0]
                ],
            ),
        ];
        for (s, stats, want) in cases {
            let im = SimpleImputer::new().strategy(s).fit(x().view()).unwrap();
            let got = im.statistics();
            assert_eq!(&got.to_vec()[..3], stats, "{s:?}");
            assert!(got[3].is_nan());
            assert_eq!(im.dropped(), [3]);
            assert!(same(&im.transform(x().view()).unwrap(), &want), "{s:?}");
            assert_eq!(im.n_features_out(), 3);
        }
        let c = SimpleImputer::new()
            .strategy(ImputeStrategy::Constant)
            .fill_value(-1.0)
            .add_indicator(true)
            .fit(x().view())
            .unwrap();
        let want = array![
            [1.0, -1.0, 3.0, 0.0, 1.0, 0.0, 1.0],
            [4.0, 2.0, -1.0, 0.0, 0.0, 1.0, 1.0],
            [-1.0, 2.0, 3.0, 1.0, 0.0, 0.0, 1.0],
            [7.0, 5.0, 9.0, 0.0, 0.0, 0.0, 1.0],
            [1.0, -1.0, 4.0, 0.0, 1.0, 0.0, 1.0]
        ];
        assert!(same(&c.transform(x().view()).unwrap(), &want));
        assert_eq!(
            c.feature_names_out(),
            [
                "x0",
                "x1",
                "x2",
                "missingindicator_x0",
                "missingindicator_x1",
                "missingindicator_x2",
                "missingindicator_x3"
            ]
        );
        let keep = SimpleImputer::new()
            .keep_empty_features(true)
            .add_indicator(true)
            .fit(x().view())
            .unwrap();
        let want = array![
            [1.0, 3.0, 3.0, 0.0, 0.0, 1.0, 0.0, 1.0],
            [4.0, 2.0, 4.75, 0.0, 0.0, 0.0, 1.0, 1.0]
        ];
        let got = keep
            .transform(x().slice_axis(Axis(0), Slice::from(..2)))
            .unwrap();
        assert!(same(&got, &want), "{got}");
        assert_eq!(
            MissingIndicator::new().fit(x().view()).unwrap().features(),
            &[0, 1, 2, 3]
        );
        let all = MissingIndicator::new()
            .features(IndicatorFeatures::All)
            .fit(array![[1.0, NAN]].view())
            .unwrap();
        assert_eq!(
            all.transform(array![[NAN, 2.0]].view()).unwrap(),
            array![[1.0, 0.0]]
        );
    }

    #[test]
    fn tables_with_categories() {
        let t = Table::new(vec![
            (
                "c".into(),
                Column::categorical_opt([Some("a"), None, Some("b"), Some("b"), Some("a")]),
            ),
            (
                "d".into(),
                Column::categorical_opt([Some("x"), Some("y"), Some("y"), None, None]),
            ),
            (
                "b".into(),
                Column::Boolean(vec![Some(true), None, Some(true), Some(false), None]),
            ),
        ])
        .unwrap();
        let mf = SimpleImputer::new()
            .strategy(ImputeStrategy::MostFrequent)
            .fit_table(&t)
            .unwrap();
        assert_eq!(
            mf.fill_texts(),
            [Some("a".to_string()), Some("y".into()), Some("true".into())]
        );
        let out = mf.transform_table(&t).unwrap();
        assert_eq!(out.column("c").unwrap().text(1).as_deref(), Some("a"));
        assert_eq!(out.missing_counts().iter().map(|p| p.1).sum::<usize>(), 0);
        let c = SimpleImputer::new()
            .strategy(ImputeStrategy::Constant)
            .fit_table(&t)
            .unwrap();
        assert_eq!(c.fill_texts()[0].as_deref(), Some("missing_value"));
        assert!(matches!(
            SimpleImputer::new().fit_table(&t),
            Err(Error::ColumnType { column, .. }) if column == "c"
        ));
        assert!(matches!(
            SimpleImputer::new()
                .strategy(ImputeStrategy::Constant)
                .fill_value("z")
                .fit(x().view()),
            Err(Error::InvalidParameter {
                name: "fill_value",
                ..
            })
        ));
        // Transforming a table that lacks a column, or has it with another type.
        let other = t.select_columns(&["d", "b"]).unwrap();
        assert!(matches!(
            mf.transform_table(&other),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            mf.transform(x().view()),
            Err(Error::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn bad_input_and_persistence() {
        assert!(matches!(
            SimpleImputer::new().fit(Array2::zeros((0, 2)).view()),
            Err(Error::EmptyInput { .. })
        ));
        assert!(matches!(
            SimpleImputer::new().fit(array![[1.0, f64::INFINITY]].view()),
            Err(Error::NonFinite { index, .. }) if index == vec![0, 1]
        ));
        let im = SimpleImputer::new()
            .strategy(ImputeStrategy::Median)
            .add_indicator(true)
            .fit(x().view())
            .unwrap();
        assert!(matches!(
            im.transform(array![[1.0]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        let back = FittedSimpleImputer::from_bytes(&im.to_bytes().unwrap()).unwrap();
        assert_eq!(back, im);
        let m = MissingIndicator::new().fit(x().view()).unwrap();
        assert_eq!(
            FittedMissingIndicator::from_bytes(&m.to_bytes().unwrap()).unwrap(),
            m
        );
        assert!(matches!(
            FittedMissingIndicator::from_bytes(&im.to_bytes().unwrap()),
            Err(Error::WrongModelKind { .. })
        ));
    }
}
