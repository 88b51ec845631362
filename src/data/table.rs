//! [`Table`]: named, typed columns as they come from a raw file — numeric
//! (`f64`, missing = NaN), categorical (text, missing = `None`) and boolean
//! (missing = `None`).
//!
//! A table is what a data-cleaning step starts from (imputers, encoders,
//! `ColumnTransformer`) and what [`CsvReader`](super::CsvReader) produces. It
//! remembers where its rows came from (file name and line of each row), so an
//! error about a cell — a missing target, an unknown category — names the
//! file, the line and the column.
//!
//! # Example
//! ```
//! use oxilearn::data::{Column, ColumnType, Table};
//! use oxilearn::ndarray::array;
//!
//! let t = Table::new(vec![
//!     ("mass".into(), Column::Numeric(array![3750.0, f64::NAN, 3250.0])),
//!     ("island".into(), Column::categorical(["Biscoe", "Dream", "Biscoe"])),
//!     ("male".into(), Column::Boolean(vec![Some(true), None, Some(false)])),
//! ])?;
//! assert_eq!((t.n_rows(), t.n_columns()), (3, 3));
//! assert_eq!(t.column_type("island"), Some(ColumnType::Categorical));
//! assert_eq!(t.missing_counts(), [("mass".to_string(), 1), ("island".into(), 0), ("male".into(), 1)]);
//! // Only numeric and boolean columns convert to a matrix.
//! assert!(t.to_matrix().is_err());
//! let x = t.select_columns(&["male", "mass"])?.to_matrix()?;
//! assert_eq!(x.row(2).to_vec(), [0.0, 3250.0]);
//! # Ok::<(), oxilearn::Error>(())
//! ```

use std::collections::HashSet;
use std::fmt;

use ndarray::{Array1, Array2};

use crate::error::{Error, Result};

/// The type of a [`Column`].
///
/// # Example
/// ```
/// use oxilearn::data::ColumnType;
/// assert_eq!(ColumnType::Numeric.to_string(), "numeric");
/// assert!(ColumnType::Boolean.is_numeric_like());
/// assert!(!ColumnType::Categorical.is_numeric_like());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ColumnType {
    /// `f64` values; a missing value is NaN.
    Numeric,
    /// Text categories; a missing value is `None`.
    Categorical,
    /// `true` / `false`; a missing value is `None`.
    Boolean,
}

impl ColumnType {
    /// The name used in messages: `"numeric"`, `"categorical"`, `"boolean"`.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::Numeric => "numeric",
            ColumnType::Categorical => "categorical",
            ColumnType::Boolean => "boolean",
        }
    }

    /// Whether the column converts to `f64` (numeric, or boolean as 0/1).
    pub fn is_numeric_like(self) -> bool {
        !matches!(self, ColumnType::Categorical)
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One column of a [`Table`].
///
/// # Example
/// ```
/// use oxilearn::data::{Column, ColumnType};
///
/// let c = Column::categorical_opt([Some("a"), None, Some("b")]);
/// assert_eq!((c.len(), c.n_missing(), c.column_type()), (3, 1, ColumnType::Categorical));
/// assert_eq!(c.text(2).as_deref(), Some("b"));
/// assert!(c.is_missing(1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers; NaN marks a missing value.
    Numeric(Array1<f64>),
    /// Text categories; `None` marks a missing value.
    Categorical(Vec<Option<String>>),
    /// Booleans; `None` marks a missing value.
    Boolean(Vec<Option<bool>>),
}

impl Column {
    /// A categorical column without missing values.
    pub fn categorical<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Column {
        Column::Categorical(values.into_iter().map(|s| Some(s.into())).collect())
    }

    /// A categorical column; `None` is a missing value.
    pub fn categorical_opt<S: Into<String>>(values: impl IntoIterator<Item = Option<S>>) -> Column {
        Column::Categorical(values.into_iter().map(|s| s.map(Into::into)).collect())
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Numeric(v) => v.len(),
            Column::Categorical(v) => v.len(),
            Column::Boolean(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column's type.
    pub fn column_type(&self) -> ColumnType {
        match self {
            Column::Numeric(_) => ColumnType::Numeric,
            Column::Categorical(_) => ColumnType::Categorical,
            Column::Boolean(_) => ColumnType::Boolean,
        }
    }

    /// Whether row `i` is missing.
    ///
    /// # Panics
    /// If `i >= len()`.
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Column::Numeric(v) => v[i].is_nan(),
            Column::Categorical(v) => v[i].is_none(),
            Column::Boolean(v) => v[i].is_none(),
        }
    }

    /// Number of missing values.
    pub fn n_missing(&self) -> usize {
        match self {
            Column::Numeric(v) => v.iter().filter(|x| x.is_nan()).count(),
            Column::Categorical(v) => v.iter().filter(|x| x.is_none()).count(),
            Column::Boolean(v) => v.iter().filter(|x| x.is_none()).count(),
        }
    }

    /// The values as `f64` (booleans as 0/1, missing as NaN); `None` for a
    /// categorical column.
    pub fn to_f64(&self) -> Option<Array1<f64>> {
        match self {
            Column::Numeric(v) => Some(v.clone()),
            Column::Boolean(v) => Some(
                v.iter()
                    .map(|b| b.map_or(f64::NAN, |b| f64::from(u8::from(b))))
                    .collect(),
            ),
            Column::Categorical(_) => None,
        }
    }

    /// Row `i` as text (numbers in Rust's shortest round-trip form, booleans
    /// as `true`/`false`), `None` when missing.
    ///
    /// # Panics
    /// If `i >= len()`.
    pub fn text(&self, i: usize) -> Option<String> {
        match self {
            Column::Numeric(v) => (!v[i].is_nan()).then(|| v[i].to_string()),
            Column::Categorical(v) => v[i].clone(),
            Column::Boolean(v) => v[i].map(|b| b.to_string()),
        }
    }

    /// The numeric values, if this is a numeric column.
    pub fn as_numeric(&self) -> Option<&Array1<f64>> {
        match self {
            Column::Numeric(v) => Some(v),
            _ => None,
        }
    }

    /// The categories, if this is a categorical column.
    pub fn as_categorical(&self) -> Option<&[Option<String>]> {
        match self {
            Column::Categorical(v) => Some(v),
            _ => None,
        }
    }

    /// The booleans, if this is a boolean column.
    pub fn as_boolean(&self) -> Option<&[Option<bool>]> {
        match self {
            Column::Boolean(v) => Some(v),
            _ => None,
        }
    }

    /// The rows `rows`, in that order (repeats allowed).
    ///
    /// # Panics
    /// If a row index is out of bounds.
    pub fn select(&self, rows: &[usize]) -> Column {
        match self {
            Column::Numeric(v) => Column::Numeric(rows.iter().map(|&i| v[i]).collect()),
            Column::Categorical(v) => {
                Column::Categorical(rows.iter().map(|&i| v[i].clone()).collect())
            }
            Column::Boolean(v) => Column::Boolean(rows.iter().map(|&i| v[i]).collect()),
        }
    }

    /// Appends `other`'s rows (same type).
    fn append(&mut self, other: Column) -> std::result::Result<(), ColumnType> {
        match (self, other) {
            (Column::Numeric(a), Column::Numeric(b)) => {
                let mut v = std::mem::take(a).into_raw_vec_and_offset().0;
                v.extend(b.iter());
                *a = Array1::from(v);
            }
            (Column::Categorical(a), Column::Categorical(b)) => a.extend(b),
            (Column::Boolean(a), Column::Boolean(b)) => a.extend(b),
            (_, b) => return Err(b.column_type()),
        }
        Ok(())
    }
}

/// Where a table's rows came from: the source's name and the line of each row.
#[derive(Debug, Clone, PartialEq)]
struct Provenance {
    source_name: String,
    /// 1-based line on which each row starts (header = line 1).
    lines: Vec<u64>,
}

/// A table of named, typed columns of equal length.
///
/// Built by [`Table::new`] or read by [`CsvReader`](super::CsvReader). Column
/// names are unique. Cheap views are not needed by the algorithms that use it
/// (they read whole columns), so operations that select return new tables.
///
/// # Example
/// ```
/// use oxilearn::data::{Column, Table};
/// use oxilearn::ndarray::array;
///
/// let t = Table::new(vec![
///     ("x".into(), Column::Numeric(array![1.0, 2.0, 3.0])),
///     ("y".into(), Column::Numeric(array![10.0, 20.0, 30.0])),
/// ])?;
/// let (x, y) = t.to_xy("y")?;
/// assert_eq!((x.dim(), y.to_vec()), ((3, 1), vec![10.0, 20.0, 30.0]));
/// let fold = t.select_rows(&[2, 0]);
/// assert_eq!(fold.column("x").unwrap().to_f64().unwrap().to_vec(), [3.0, 1.0]);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    names: Vec<String>,
    columns: Vec<Column>,
    n_rows: usize,
    provenance: Option<Provenance>,
}

impl Table {
    /// A table of the given `(name, column)` pairs, in that order.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when the columns differ in length;
    /// [`Error::InvalidParameter`] (`"columns"`) for duplicate names.
    pub fn new(columns: Vec<(String, Column)>) -> Result<Table> {
        let n_rows = columns.first().map_or(0, |(_, c)| c.len());
        let mut seen = HashSet::with_capacity(columns.len());
        for (name, c) in &columns {
            if c.len() != n_rows {
                return Err(Error::ShapeMismatch {
                    what: "table column (all columns have the same length)",
                    expected: vec![n_rows],
                    got: vec![c.len()],
                });
            }
            if !seen.insert(name.as_str()) {
                return Err(Error::invalid(
                    "columns",
                    format!("duplicate column name {name:?}"),
                ));
            }
        }
        let (names, columns) = columns.into_iter().unzip();
        Ok(Table {
            names,
            columns,
            n_rows,
            provenance: None,
        })
    }

    /// Records that row `i` came from line `lines[i]` of `source_name`, so
    /// errors about cells can name them.
    pub(crate) fn with_provenance(mut self, source_name: &str, lines: Vec<u64>) -> Table {
        debug_assert_eq!(lines.len(), self.n_rows);
        self.provenance = Some(Provenance {
            source_name: source_name.to_string(),
            lines,
        });
        self
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    /// Column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Column types, in order.
    pub fn column_types(&self) -> Vec<ColumnType> {
        self.columns.iter().map(Column::column_type).collect()
    }

    /// The position of the column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.column_index(name).map(|j| &self.columns[j])
    }

    /// The type of the column called `name`.
    pub fn column_type(&self, name: &str) -> Option<ColumnType> {
        self.column(name).map(Column::column_type)
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// `(name, column)` pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Column)> {
        self.names.iter().map(String::as_str).zip(&self.columns)
    }

    /// The name of the file (or other source) the rows were read from.
    pub fn source_name(&self) -> Option<&str> {
        self.provenance.as_ref().map(|p| p.source_name.as_str())
    }

    /// The 1-based line of the source on which row `row` starts, when the
    /// table was read from a file.
    pub fn line_of_row(&self, row: usize) -> Option<u64> {
        self.provenance
            .as_ref()
            .and_then(|p| p.lines.get(row).copied())
    }

    /// `(source name, location)` of cell (`row`, `column`) for error messages:
    /// `("penguins.csv", "line 5, column \"sex\"")` for a table read from a
    /// file, `("table", "row 3, column \"sex\"")` otherwise (rows 0-based).
    pub fn cell_location(&self, row: usize, column: &str) -> (String, String) {
        match &self.provenance {
            Some(p) if row < p.lines.len() => (
                p.source_name.clone(),
                format!("line {}, column {column:?}", p.lines[row]),
            ),
            _ => ("table".to_string(), format!("row {row}, column {column:?}")),
        }
    }

    /// Missing values per column, in column order.
    pub fn missing_counts(&self) -> Vec<(String, usize)> {
        self.iter()
            .map(|(n, c)| (n.to_string(), c.n_missing()))
            .collect()
    }

    /// The rows `rows`, in that order (repeats allowed); provenance follows
    /// the rows.
    ///
    /// # Panics
    /// If a row index is out of bounds.
    pub fn select_rows(&self, rows: &[usize]) -> Table {
        Table {
            names: self.names.clone(),
            columns: self.columns.iter().map(|c| c.select(rows)).collect(),
            n_rows: rows.len(),
            provenance: self.provenance.as_ref().map(|p| Provenance {
                source_name: p.source_name.clone(),
                lines: rows.iter().map(|&i| p.lines[i]).collect(),
            }),
        }
    }

    /// The named columns, in the order given.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"columns"`) for a name that is not a
    /// column, or one given twice.
    pub fn select_columns(&self, names: &[&str]) -> Result<Table> {
        let mut idx = Vec::with_capacity(names.len());
        for &n in names {
            idx.push(self.require(n, "columns")?);
        }
        self.select_column_indices(&idx)
    }

    /// The columns at positions `idx`, in that order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"columns"`) for an index out of range or
    /// given twice.
    pub fn select_column_indices(&self, idx: &[usize]) -> Result<Table> {
        let mut cols = Vec::with_capacity(idx.len());
        for &j in idx {
            if j >= self.columns.len() {
                return Err(Error::invalid(
                    "columns",
                    format!("index {j} is out of range ({} columns)", self.columns.len()),
                ));
            }
            cols.push((self.names[j].clone(), self.columns[j].clone()));
        }
        let mut t = Table::new(cols)?;
        t.n_rows = self.n_rows;
        t.provenance = self.provenance.clone();
        Ok(t)
    }

    /// The position of column `name`, or `InvalidParameter(param)`.
    fn require(&self, name: &str, param: &'static str) -> Result<usize> {
        self.column_index(name).ok_or_else(|| {
            Error::invalid(
                param,
                format!("no column named {name:?}; columns are {:?}", self.names),
            )
        })
    }

    /// All columns as an `n_rows × n_columns` `f64` matrix: numeric values
    /// as they are (missing = NaN), booleans as 0/1.
    ///
    /// # Errors
    /// [`Error::ColumnType`] naming the first categorical column.
    pub fn to_matrix(&self) -> Result<Array2<f64>> {
        let mut x = Array2::<f64>::zeros((self.n_rows, self.columns.len()));
        for (j, (name, c)) in self.iter().enumerate() {
            let v = c.to_f64().ok_or_else(|| Error::ColumnType {
                column: name.to_string(),
                expected: "numeric or boolean",
                found: c.column_type().name(),
            })?;
            x.column_mut(j).assign(&v);
        }
        Ok(x)
    }

    /// Splits off column `target`: the other columns (in order) and the
    /// target column.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"target"`) when there is no such column;
    /// [`Error::MissingValue`] naming the file, line and column of the first
    /// missing target value.
    pub fn split_target(&self, target: &str) -> Result<(Table, Column)> {
        let j = self.require(target, "target")?;
        let col = &self.columns[j];
        if let Some(i) = (0..self.n_rows).find(|&i| col.is_missing(i)) {
            let (source_name, location) = self.cell_location(i, target);
            return Err(Error::MissingValue {
                source_name,
                location,
            });
        }
        let rest: Vec<usize> = (0..self.columns.len()).filter(|&k| k != j).collect();
        Ok((self.select_column_indices(&rest)?, col.clone()))
    }

    /// `(X, y)` for regression: every other column as an `f64` matrix (see
    /// [`to_matrix`](Self::to_matrix)) and the numeric (or boolean) column
    /// `target`.
    ///
    /// # Errors
    /// As [`split_target`](Self::split_target); [`Error::ColumnType`] when the
    /// target or a feature column is categorical.
    pub fn to_xy(&self, target: &str) -> Result<(Array2<f64>, Array1<f64>)> {
        let (rest, y) = self.split_target(target)?;
        let y = y.to_f64().ok_or_else(|| Error::ColumnType {
            column: target.to_string(),
            expected: "numeric or boolean",
            found: "categorical",
        })?;
        Ok((rest.to_matrix()?, y))
    }

    /// `(X, labels)` for classification: every other column as an `f64`
    /// matrix and the column `target` as text labels (see
    /// [`Column::text`]).
    ///
    /// # Errors
    /// As [`to_xy`](Self::to_xy), except that any target type is accepted.
    pub fn to_xy_labels(&self, target: &str) -> Result<(Array2<f64>, Array1<String>)> {
        let (rest, y) = self.split_target(target)?;
        let labels = (0..y.len())
            .map(|i| y.text(i).unwrap_or_default())
            .collect();
        Ok((rest.to_matrix()?, labels))
    }

    /// Appends the rows of `other`, which must have the same column names
    /// and types (how streamed chunks are put back together).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"other"`) when names or types differ.
    pub fn append(&mut self, other: Table) -> Result<()> {
        if self.names != other.names || self.column_types() != other.column_types() {
            return Err(Error::invalid(
                "other",
                format!(
                    "column names/types differ: {:?} {:?} vs {:?} {:?}",
                    self.names,
                    self.column_types(),
                    other.names,
                    other.column_types()
                ),
            ));
        }
        for (a, b) in self.columns.iter_mut().zip(other.columns) {
            a.append(b)
                .map_err(|t| Error::invalid("other", format!("column type {t} differs")))?;
        }
        self.n_rows += other.n_rows;
        self.provenance = match (self.provenance.take(), other.provenance) {
            (Some(mut a), Some(b)) if a.source_name == b.source_name => {
                a.lines.extend(b.lines);
                Some(a)
            }
            _ => None,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn sample() -> Table {
        Table::new(vec![
            ("a".into(), Column::Numeric(array![1.0, f64::NAN, 3.0])),
            (
                "c".into(),
                Column::categorical_opt([Some("x"), Some("y"), None]),
            ),
            (
                "b".into(),
                Column::Boolean(vec![Some(true), Some(false), None]),
            ),
        ])
        .unwrap()
    }

    #[test]
    fn basic_accessors() {
        let t = sample();
        assert_eq!(t.names(), ["a", "c", "b"]);
        assert_eq!(
            t.column_types(),
            [
                ColumnType::Numeric,
                ColumnType::Categorical,
                ColumnType::Boolean
            ]
        );
        assert_eq!(
            t.missing_counts().iter().map(|p| p.1).collect::<Vec<_>>(),
            [1, 1, 1]
        );
        assert_eq!(t.column("c").unwrap().text(0).as_deref(), Some("x"));
        assert_eq!(t.column("a").unwrap().text(0).as_deref(), Some("1"));
        assert_eq!(t.column("b").unwrap().text(1).as_deref(), Some("false"));
        assert!(t.column("zz").is_none());
        assert_eq!(
            t.cell_location(2, "c"),
            ("table".into(), "row 2, column \"c\"".into())
        );
    }

    #[test]
    fn construction_errors() {
        assert!(matches!(
            Table::new(vec![
                ("a".into(), Column::Numeric(array![1.0])),
                ("b".into(), Column::Numeric(array![1.0, 2.0])),
            ]),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            Table::new(vec![
                ("a".into(), Column::Numeric(array![1.0])),
                ("a".into(), Column::Numeric(array![1.0])),
            ]),
            Err(Error::InvalidParameter {
                name: "columns",
                ..
            })
        ));
        let empty = Table::new(vec![]).unwrap();
        assert_eq!((empty.n_rows(), empty.n_columns()), (0, 0));
        assert_eq!(empty.to_matrix().unwrap().dim(), (0, 0));
    }

    #[test]
    fn matrix_and_targets() {
        let t = sample();
        match t.to_matrix() {
            Err(Error::ColumnType { column, found, .. }) => {
                assert_eq!((column.as_str(), found), ("c", "categorical"))
            }
            other => panic!("{other:?}"),
        }
        let x = t.select_columns(&["b", "a"]).unwrap().to_matrix().unwrap();
        assert_eq!(x[[0, 0]], 1.0);
        assert_eq!(x[[1, 0]], 0.0);
        assert!(x[[2, 0]].is_nan() && x[[1, 1]].is_nan());
        // Missing target values are errors naming the cell.
        let e = t.to_xy("a").unwrap_err();
        assert!(
            matches!(&e, Error::MissingValue { location, .. } if location == "row 1, column \"a\""),
            "{e}"
        );
        let lines = t.clone().with_provenance("f.csv", vec![2, 5, 6]);
        let e = lines.split_target("c").unwrap_err();
        assert_eq!(
            e.to_string(),
            "missing value in f.csv at line 6, column \"c\""
        );
        assert!(matches!(
            t.split_target("nope"),
            Err(Error::InvalidParameter { name: "target", .. })
        ));
        let ok = t.select_rows(&[0, 1]);
        let (x, y) = ok
            .select_columns(&["b", "c"])
            .unwrap()
            .to_xy_labels("c")
            .unwrap();
        assert_eq!(
            (x.column(0).to_vec(), y.to_vec()),
            (vec![1.0, 0.0], vec!["x".to_string(), "y".into()])
        );
        assert!(matches!(
            ok.select_columns(&["a", "c"]).unwrap().to_xy("c"),
            Err(Error::ColumnType { .. })
        ));
    }

    #[test]
    fn select_and_append_keep_provenance() {
        let t = sample().with_provenance("f.csv", vec![2, 3, 7]);
        let s = t.select_rows(&[2, 0, 2]);
        assert_eq!(s.n_rows(), 3);
        assert_eq!(s.line_of_row(0), Some(7));
        assert_eq!(
            s.column("c").unwrap().as_categorical().unwrap()[1].as_deref(),
            Some("x")
        );
        let mut a = t.select_rows(&[0]);
        a.append(t.select_rows(&[1, 2])).unwrap();
        assert_eq!(a.n_rows(), 3);
        assert_eq!(a.line_of_row(2), Some(7));
        assert_eq!(a.column("a").unwrap().n_missing(), 1);
        let other = t.select_columns(&["a"]).unwrap();
        assert!(matches!(
            a.append(other),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            t.select_columns(&["a", "a"]),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            t.select_column_indices(&[3]),
            Err(Error::InvalidParameter { .. })
        ));
    }
}
