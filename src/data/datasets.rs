//! Small real datasets bundled with the crate: iris, breast cancer, digits,
//! diabetes, and the raw Palmer penguins table.
//!
//! The first four are scikit-learn's package data; penguins is the CC0 table
//! of the `palmerpenguins` package (see `src/data/bundled/PROVENANCE.md` for
//! sources, citations, checksums and licenses). All are stored
//! gzip-compressed in the crate and decompressed and parsed on each call (a
//! few milliseconds).
//!
//! | loader | samples × features | targets | scikit-learn twin |
//! |---|---|---|---|
//! | [`iris`] | 150 × 4 | 3 classes (`usize`) | `load_iris()` |
//! | [`breast_cancer`] | 569 × 30 | 2 classes (`usize`) | `load_breast_cancer()` |
//! | [`digits`] | 1797 × 64 | 10 classes (`usize`) | `load_digits()` |
//! | [`digits_images`] | 1797 × 1 × 8 × 8 `f32` | 10 classes (`u8`) | `load_digits().images / 16` |
//! | [`diabetes`] | 442 × 10 | real (`f64`) | `load_diabetes()` (scaled) |
//! | [`diabetes_raw`] | 442 × 10 | real (`f64`) | `load_diabetes(scaled=False)` |
//! | [`penguins`] | 344 × 8 raw [`Table`] (missing values, text categories) | column `species` | `palmerpenguins.load_penguins()` |
//!
//! # Example
//! ```
//! use oxilearn::datasets;
//!
//! let iris = datasets::iris();
//! assert_eq!((iris.n_samples(), iris.n_features()), (150, 4));
//! assert_eq!(iris.target_names, ["setosa", "versicolor", "virginica"]);
//! ```

use std::io::Read;

use ndarray::{Array1, Array2, Axis, Slice};

use super::table::Table;
use crate::error::{Error, Result};

/// A table of numeric records with one target per row, plus names.
///
/// `T` is the target type: `usize` class indices for classification datasets
/// (indices into [`target_names`](Dataset::target_names)), `f64` for
/// regression.
///
/// # Example
/// ```
/// use oxilearn::data::Dataset;
/// use oxilearn::ndarray::array;
///
/// let ds = Dataset::new(
///     array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
///     array![0usize, 1, 0],
///     vec!["a".into(), "b".into()],
///     vec!["no".into(), "yes".into()],
/// )?;
/// assert_eq!(ds.n_samples(), 3);
/// assert_eq!(ds.n_features(), 2);
/// assert_eq!(ds.records_f32()[[2, 1]], 6.0f32);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset<T> {
    /// Feature matrix, one row per sample (`n_samples × n_features`).
    pub records: Array2<f64>,
    /// One target per sample.
    pub targets: Array1<T>,
    /// Name of each feature column (`n_features` entries).
    pub feature_names: Vec<String>,
    /// Class names for classification (index = class code); for regression
    /// datasets the name of the target variable, or empty.
    pub target_names: Vec<String>,
}

impl<T> Dataset<T> {
    /// Builds a dataset, checking that there is one target per row and one
    /// name per feature column.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when `targets.len() != records.nrows()` or
    /// `feature_names.len() != records.ncols()`.
    pub fn new(
        records: Array2<f64>,
        targets: Array1<T>,
        feature_names: Vec<String>,
        target_names: Vec<String>,
    ) -> Result<Self> {
        if targets.len() != records.nrows() {
            return Err(Error::ShapeMismatch {
                what: "targets (one per row of records)",
                expected: vec![records.nrows()],
                got: vec![targets.len()],
            });
        }
        if feature_names.len() != records.ncols() {
            return Err(Error::ShapeMismatch {
                what: "feature_names (one per column of records)",
                expected: vec![records.ncols()],
                got: vec![feature_names.len()],
            });
        }
        Ok(Dataset {
            records,
            targets,
            feature_names,
            target_names,
        })
    }

    /// Number of samples (rows).
    pub fn n_samples(&self) -> usize {
        self.records.nrows()
    }

    /// Number of features (columns).
    pub fn n_features(&self) -> usize {
        self.records.ncols()
    }

    /// The records converted to `f32` (rounded to nearest).
    pub fn records_f32(&self) -> Array2<f32> {
        self.records.mapv(|v| v as f32)
    }
}

const IRIS_GZ: &[u8] = include_bytes!("bundled/iris.csv.gz");
const BREAST_CANCER_GZ: &[u8] = include_bytes!("bundled/breast_cancer.csv.gz");
const DIGITS_GZ: &[u8] = include_bytes!("bundled/digits.csv.gz");
const DIABETES_DATA_GZ: &[u8] = include_bytes!("bundled/diabetes_data_raw.csv.gz");
const DIABETES_TARGET_GZ: &[u8] = include_bytes!("bundled/diabetes_target.csv.gz");
const PENGUINS_GZ: &[u8] = include_bytes!("bundled/penguins.csv.gz");

/// Unwraps the result of parsing compiled-in data. The bundled files are
/// fixed at build time and parsed by this crate's tests, so a failure is a
/// packaging bug, not a data-dependent error.
fn bundled<T>(name: &str, r: Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("bundled dataset `{name}` is corrupt (packaging bug): {e}"),
    }
}

/// The iris flower dataset (Fisher, 1936): 150 samples, 4 features
/// (sepal/petal length/width in cm), 3 classes of 50 (setosa, versicolor,
/// virginica). Same values and order as scikit-learn's `load_iris()`.
///
/// # Panics
/// Only if the compiled-in data were corrupt (a packaging bug, tested).
///
/// # Example
/// ```
/// let iris = oxilearn::datasets::iris();
/// assert_eq!(iris.records.dim(), (150, 4));
/// assert_eq!(iris.feature_names[0], "sepal length (cm)");
/// assert_eq!(iris.targets.iter().filter(|&&c| c == 2).count(), 50);
/// ```
pub fn iris() -> Dataset<usize> {
    let feature_names = [
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
    ];
    bundled("iris", load_sklearn_csv(IRIS_GZ, "iris", &feature_names))
}

/// The Breast Cancer Wisconsin (Diagnostic) dataset: 569 samples, 30 real
/// features computed from images of fine needle aspirates, 2 classes
/// (0 = malignant: 212, 1 = benign: 357). Same values and order as
/// scikit-learn's `load_breast_cancer()`.
///
/// # Panics
/// Only if the compiled-in data were corrupt (a packaging bug, tested).
///
/// # Example
/// ```
/// let bc = oxilearn::datasets::breast_cancer();
/// assert_eq!(bc.records.dim(), (569, 30));
/// assert_eq!(bc.target_names, ["malignant", "benign"]);
/// ```
pub fn breast_cancer() -> Dataset<usize> {
    let mut names = Vec::with_capacity(30);
    for group in ["mean", "error", "worst"] {
        for base in [
            "radius",
            "texture",
            "perimeter",
            "area",
            "smoothness",
            "compactness",
            "concavity",
            "concave points",
            "symmetry",
            "fractal dimension",
        ] {
            names.push(if group == "error" {
                format!("{base} error")
            } else {
                format!("{group} {base}")
            });
        }
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    bundled(
        "breast_cancer",
        load_sklearn_csv(BREAST_CANCER_GZ, "breast_cancer", &refs),
    )
}

/// The optical recognition of handwritten digits dataset (UCI test set):
/// 1797 images of 8×8 pixels flattened row by row into 64 features with
/// integer values 0..=16, 10 classes (digits 0–9). Feature names are
/// `pixel_{row}_{col}`. Same values and order as scikit-learn's
/// `load_digits()`.
///
/// # Panics
/// Only if the compiled-in data were corrupt (a packaging bug, tested).
///
/// # Example
/// ```
/// let digits = oxilearn::datasets::digits();
/// assert_eq!(digits.records.dim(), (1797, 64));
/// assert_eq!(digits.feature_names[9], "pixel_1_1");
/// assert!(digits.records.iter().all(|&v| (0.0..=16.0).contains(&v)));
/// ```
pub fn digits() -> Dataset<usize> {
    bundled("digits", load_digits())
}

/// The [`digits`] dataset as images for CNNs: `(1797, 1, 8, 8)` `f32` pixel
/// intensities `value / 16` in `[0, 1]`, labels `0..=9` as `u8`.
///
/// # Panics
/// Only if the compiled-in data were corrupt (a packaging bug, tested).
///
/// # Example
/// ```
/// let set = oxilearn::datasets::digits_images();
/// assert_eq!(set.images.dim(), (1797, 1, 8, 8));
/// assert_eq!(set.labels[0], 0);
/// assert!(set.images.iter().all(|&v| (0.0..=1.0).contains(&v)));
/// ```
pub fn digits_images() -> super::ImageSet {
    let d = digits();
    let n = d.n_samples();
    let images = d
        .records
        .mapv(|v| (v / 16.0) as f32)
        .into_shape_with_order((n, 1, 8, 8))
        .expect("1797 × 64 records reshape to 1797 × 1 × 8 × 8");
    let labels = d.targets.mapv(|c| c as u8);
    super::ImageSet { images, labels }
}

fn load_digits() -> Result<Dataset<usize>> {
    let text = gunzip_text(DIGITS_GZ, "digits")?;
    let (values, nrows, ncols) = parse_numeric_rows(&text, "digits", Sep::Comma, 0)?;
    if ncols != 65 {
        return Err(Error::format(
            "digits",
            format!("expected 65 columns, found {ncols}"),
        ));
    }
    let table = Array2::from_shape_vec((nrows, ncols), values)
        .map_err(|e| Error::format("digits", e.to_string()))?;
    let records = table.slice_axis(Axis(1), Slice::from(..64)).to_owned();
    let targets = class_codes(table.column(64).iter().copied(), 10, "digits")?;
    let feature_names = (0..8)
        .flat_map(|r| (0..8).map(move |c| format!("pixel_{r}_{c}")))
        .collect();
    let target_names = (0..10).map(|d| d.to_string()).collect();
    Dataset::new(records, targets, feature_names, target_names)
}

/// The diabetes regression dataset (Efron et al., 2004), **scaled exactly as
/// scikit-learn's default `load_diabetes()`**: 442 samples, 10 baseline
/// variables (age, sex, bmi, bp, s1–s6), each column mean-centred and divided
/// by `std · sqrt(n_samples)` (population std, so every column has unit
/// Euclidean norm); the target is a quantitative measure of disease
/// progression one year after baseline (25–346). Use [`diabetes_raw`] for the
/// original units.
///
/// # Panics
/// Only if the compiled-in data were corrupt (a packaging bug, tested).
///
/// # Example
/// ```
/// let d = oxilearn::datasets::diabetes();
/// assert_eq!(d.records.dim(), (442, 10));
/// let norm0: f64 = d.records.column(0).iter().map(|v| v * v).sum();
/// assert!((norm0 - 1.0).abs() < 1e-12);
/// assert_eq!(d.targets[0], 151.0);
/// ```
pub fn diabetes() -> Dataset<f64> {
    let mut ds = diabetes_raw();
    let n = ds.records.nrows() as f64;
    for mut col in ds.records.columns_mut() {
        let mean = col.sum() / n;
        col.mapv_inplace(|v| v - mean);
        let std = (col.iter().map(|v| v * v).sum::<f64>() / n).sqrt();
        // No bundled column is constant; scikit-learn leaves a zero std as 1.
        let std = if std == 0.0 { 1.0 } else { std };
        let denom = std * n.sqrt();
        col.mapv_inplace(|v| v / denom);
    }
    ds
}

/// The diabetes dataset in its original units, as scikit-learn's
/// `load_diabetes(scaled=False)`: age in years, sex coded 1/2, bmi, mean
/// blood pressure, and six blood serum measurements (s1–s6).
///
/// # Panics
/// Only if the compiled-in data were corrupt (a packaging bug, tested).
///
/// # Example
/// ```
/// let d = oxilearn::datasets::diabetes_raw();
/// assert_eq!(d.records.row(0)[0], 59.0); // age of the first patient
/// assert_eq!(d.feature_names[2], "bmi");
/// ```
pub fn diabetes_raw() -> Dataset<f64> {
    bundled("diabetes", load_diabetes_raw())
}

fn load_diabetes_raw() -> Result<Dataset<f64>> {
    let text = gunzip_text(DIABETES_DATA_GZ, "diabetes")?;
    let (values, nrows, ncols) = parse_numeric_rows(&text, "diabetes", Sep::Whitespace, 0)?;
    let records = Array2::from_shape_vec((nrows, ncols), values)
        .map_err(|e| Error::format("diabetes", e.to_string()))?;
    let text = gunzip_text(DIABETES_TARGET_GZ, "diabetes target")?;
    let (targets, _, tcols) = parse_numeric_rows(&text, "diabetes target", Sep::Whitespace, 0)?;
    if tcols != 1 {
        return Err(Error::format("diabetes target", "expected one column"));
    }
    let names = [
        "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6",
    ];
    if ncols != names.len() {
        return Err(Error::format(
            "diabetes",
            format!("expected {} columns, found {ncols}", names.len()),
        ));
    }
    Dataset::new(
        records,
        Array1::from(targets),
        names.iter().map(|s| s.to_string()).collect(),
        vec!["disease progression".to_string()],
    )
}

/// Decompresses a gzip member into UTF-8 text.
pub(crate) fn gunzip_text(gz: &[u8], name: &str) -> Result<String> {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(gz)
        .read_to_string(&mut text)
        .map_err(|e| Error::format(name, format!("gzip/UTF-8 decoding failed: {e}")))?;
    Ok(text)
}

/// Field separator of the bundled tables.
#[derive(Clone, Copy)]
pub(crate) enum Sep {
    Comma,
    Whitespace,
}

/// Parses non-empty lines of numbers after `skip` header lines into a
/// row-major buffer. Every row must have as many fields as the first.
/// Returns `(values, n_rows, n_cols)`.
pub(crate) fn parse_numeric_rows(
    text: &str,
    name: &str,
    sep: Sep,
    skip: usize,
) -> Result<(Vec<f64>, usize, usize)> {
    let mut values = Vec::new();
    let mut ncols = None;
    let mut nrows = 0;
    for (lineno, line) in text.lines().enumerate().skip(skip) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Box<dyn Iterator<Item = &str>> = match sep {
            Sep::Comma => Box::new(line.split(',')),
            Sep::Whitespace => Box::new(line.split_whitespace()),
        };
        let mut count = 0;
        for (col, field) in fields.enumerate() {
            let v: f64 = field.trim().parse().map_err(|_| Error::Format {
                source_name: name.to_string(),
                location: Some(format!("line {}, column {}", lineno + 1, col + 1)),
                reason: format!("cannot parse {field:?} as a number"),
            })?;
            values.push(v);
            count += 1;
        }
        match ncols {
            None => ncols = Some(count),
            Some(n) if n != count => {
                return Err(Error::Format {
                    source_name: name.to_string(),
                    location: Some(format!("line {}", lineno + 1)),
                    reason: format!("expected {n} fields, found {count}"),
                });
            }
            Some(_) => {}
        }
        nrows += 1;
    }
    match ncols {
        Some(n) if n > 0 => Ok((values, nrows, n)),
        _ => Err(Error::format(name, "no data rows")),
    }
}

/// Converts float class labels to codes `0..n_classes`, rejecting anything else.
/// The Palmer penguins, raw: 344 penguins of three species (Adelie 152,
/// Chinstrap 68, Gentoo 124) observed on three islands of the Palmer
/// Archipelago, Antarctica, 2007–2009 (Gorman, Williams & Fraser 2014;
/// CC0). A real table as it comes, for data-cleaning examples: missing values
/// (`NA`) and text categories.
///
/// | column | type | missing |
/// |---|---|---|
/// | `species` | categorical | 0 |
/// | `island` | categorical (Biscoe, Dream, Torgersen) | 0 |
/// | `bill_length_mm`, `bill_depth_mm`, `flipper_length_mm`, `body_mass_g` | numeric | 2 each |
/// | `sex` | categorical (female, male) | 11 |
/// | `year` | numeric | 0 |
///
/// Same rows and order as `palmerpenguins.load_penguins()` (pandas reads
/// the same CSV); parsed by [`CsvReader`](super::CsvReader) with its default
/// missing-value tokens.
///
/// # Panics
/// Only if the compiled-in data were corrupt (a packaging bug, tested).
///
/// # Example
/// ```
/// use oxilearn::data::ColumnType;
///
/// let t = oxilearn::datasets::penguins();
/// assert_eq!((t.n_rows(), t.n_columns()), (344, 8));
/// assert_eq!(t.column_type("island"), Some(ColumnType::Categorical));
/// assert_eq!(t.column("sex").unwrap().n_missing(), 11);
/// ```
pub fn penguins() -> Table {
    bundled(
        "penguins",
        super::CsvReader::new().parse(PENGUINS_GZ, "penguins.csv"),
    )
}

fn class_codes(
    labels: impl Iterator<Item = f64>,
    n_classes: usize,
    name: &str,
) -> Result<Array1<usize>> {
    labels
        .enumerate()
        .map(|(i, v)| {
            if v.fract() == 0.0 && v >= 0.0 && v < n_classes as f64 {
                Ok(v as usize)
            } else {
                Err(Error::Format {
                    source_name: name.to_string(),
                    location: Some(format!("row {}", i + 1)),
                    reason: format!("class label {v} is not in 0..{n_classes}"),
                })
            }
        })
        .collect()
}

/// Parses scikit-learn's classification CSV layout: a header line
/// `n_samples,n_features,class_name_0,class_name_1,…` followed by rows of
/// `n_features` numbers and an integer class code.
pub(crate) fn parse_sklearn_csv(
    text: &str,
    name: &str,
    feature_names: &[&str],
) -> Result<Dataset<usize>> {
    let header = text
        .lines()
        .next()
        .ok_or_else(|| Error::format(name, "empty file"))?;
    let fields: Vec<&str> = header.trim().split(',').collect();
    let bad_header = || Error::Format {
        source_name: name.to_string(),
        location: Some("line 1".to_string()),
        reason: "expected `n_samples,n_features,class names…`".to_string(),
    };
    if fields.len() < 3 {
        return Err(bad_header());
    }
    let n_samples: usize = fields[0].trim().parse().map_err(|_| bad_header())?;
    let n_features: usize = fields[1].trim().parse().map_err(|_| bad_header())?;
    let target_names: Vec<String> = fields[2..].iter().map(|s| s.trim().to_string()).collect();
    let (values, nrows, ncols) = parse_numeric_rows(text, name, Sep::Comma, 1)?;
    if nrows != n_samples || Some(ncols) != n_features.checked_add(1) {
        return Err(Error::format(
            name,
            format!(
                "header announces {n_samples}×{n_features} (+ target), data is {nrows}×{ncols}"
            ),
        ));
    }
    if feature_names.len() != n_features {
        return Err(Error::format(
            name,
            format!(
                "expected {} features, found {n_features}",
                feature_names.len()
            ),
        ));
    }
    let table = Array2::from_shape_vec((nrows, ncols), values)
        .map_err(|e| Error::format(name, e.to_string()))?;
    let records = table
        .slice_axis(Axis(1), Slice::from(..n_features))
        .to_owned();
    let targets = class_codes(
        table.column(n_features).iter().copied(),
        target_names.len(),
        name,
    )?;
    Dataset::new(
        records,
        targets,
        feature_names.iter().map(|s| s.to_string()).collect(),
        target_names,
    )
}

fn load_sklearn_csv(gz: &[u8], name: &str, feature_names: &[&str]) -> Result<Dataset<usize>> {
    let text = gunzip_text(gz, name)?;
    parse_sklearn_csv(&text, name, feature_names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_counts(t: &Array1<usize>, k: usize) -> Vec<usize> {
        let mut c = vec![0; k];
        for &v in t {
            c[v] += 1;
        }
        c
    }

    // Reference values:
    // from sklearn.datasets import *; import numpy as np
    // for f in [load_iris, load_breast_cancer, load_digits, load_diabetes]:
    //     d = f(); print(d.data.shape, repr(d.data.sum()), np.bincount(d.target.astype(int)))
    // -> (150, 4) 2078.7 [50 50 50]
    //    (569, 30) 1056474.4596356 [212 357]
    //    (1797, 64) 561718.0 [178 182 177 183 181 182 181 179 174 180]
    //    (442, 10) -6.394884621840902e-14; target sum 67243.0
    // load_iris().data[:, 2].sum() -> 563.7
    // load_breast_cancer().data[:, 3].sum() -> 372631.9
    #[test]
    fn iris_matches_sklearn() {
        let d = iris();
        assert_eq!(d.records.dim(), (150, 4));
        assert_eq!(class_counts(&d.targets, 3), [50, 50, 50]);
        assert!((d.records.sum() - 2078.7).abs() < 1e-9);
        assert!((d.records.column(2).sum() - 563.7).abs() < 1e-9);
        assert_eq!(d.records.row(0).to_vec(), [5.1, 3.5, 1.4, 0.2]);
        assert_eq!(d.feature_names.len(), 4);
    }

    #[test]
    fn breast_cancer_matches_sklearn() {
        let d = breast_cancer();
        assert_eq!(d.records.dim(), (569, 30));
        assert_eq!(class_counts(&d.targets, 2), [212, 357]);
        assert!((d.records.sum() - 1056474.4596356).abs() < 1e-6);
        assert!((d.records.column(3).sum() - 372631.9).abs() < 1e-6);
        assert_eq!(d.feature_names[0], "mean radius");
        assert_eq!(d.feature_names[10], "radius error");
        assert_eq!(d.feature_names[29], "worst fractal dimension");
        assert_eq!(d.targets[0], 0);
    }

    #[test]
    fn digits_matches_sklearn() {
        let d = digits();
        assert_eq!(d.records.dim(), (1797, 64));
        assert_eq!(
            class_counts(&d.targets, 10),
            [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
        );
        assert_eq!(d.records.sum(), 561718.0);
        assert_eq!(d.targets.sum(), 8070);
        assert_eq!(d.target_names[9], "9");
        assert_eq!(d.feature_names[63], "pixel_7_7");
    }

    // d = load_diabetes()
    // d.data[0,0], d.data[0,2], d.data[441,9], (d.data**2).sum(), d.target[:3]
    // -> 0.038075906433423026 0.061696206518683294 0.0030644094143684884
    //    10.000000000000002 [151. 75. 141.]
    // load_diabetes(scaled=False).data.sum() -> 276404.2336
    #[test]
    fn diabetes_matches_sklearn_scaled() {
        let d = diabetes();
        assert_eq!(d.records.dim(), (442, 10));
        assert_eq!(d.targets.len(), 442);
        assert_eq!(d.targets.sum(), 67243.0);
        assert_eq!(
            d.targets.slice_axis(Axis(0), Slice::from(..3)).to_vec(),
            [151.0, 75.0, 141.0]
        );
        let close = |a: f64, b: f64| (a - b).abs() < 1e-15;
        assert!(close(d.records[[0, 0]], 0.038075906433423026));
        assert!(close(d.records[[0, 2]], 0.061696206518683294));
        assert!(close(d.records[[441, 9]], 0.0030644094143684884));
        assert!(d.records.sum().abs() < 1e-12);
        assert!((d.records.mapv(|v| v * v).sum() - 10.0).abs() < 1e-12);
    }

    #[test]
    fn diabetes_raw_matches_sklearn() {
        let d = diabetes_raw();
        assert!((d.records.sum() - 276404.2336).abs() < 1e-7);
        assert_eq!(
            d.records.row(0).to_vec(),
            [59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0]
        );
    }

    #[test]
    fn digits_images_match_records() {
        let d = digits();
        let set = digits_images();
        assert_eq!(set.images.dim(), (1797, 1, 8, 8));
        // Row 5, pixel (3, 6) is feature 3 · 8 + 6.
        assert_eq!(set.images[[5, 0, 3, 6]], (d.records[[5, 30]] / 16.0) as f32);
        assert_eq!(set.labels[1796] as usize, d.targets[1796]);
    }

    #[test]
    fn dataset_new_checks_lengths() {
        let r = Dataset::new(
            Array2::<f64>::zeros((3, 2)),
            Array1::from(vec![0usize, 1]),
            vec!["a".into(), "b".into()],
            vec![],
        );
        assert!(matches!(r, Err(Error::ShapeMismatch { .. })));
        let r = Dataset::new(
            Array2::<f64>::zeros((2, 2)),
            Array1::from(vec![0usize, 1]),
            vec!["a".into()],
            vec![],
        );
        assert!(matches!(r, Err(Error::ShapeMismatch { .. })));
    }

    #[test]
    fn bundled_parser_rejects_bad_input() {
        let names = ["a", "b"];
        for text in [
            "",
            "2,2,x,y\n1,2,0\n",              // header says 2 rows, 1 given
            "1,2,x,y\n1,2\n",                // missing target
            "1,2,x,y\n1,zz,0\n",             // garbage cell
            "1,2,x,y\n1,2,5\n",              // class out of range
            "1,2,x,y\n1,2,0.5\n",            // non-integer class
            "x,2,a,b\n1,2,0\n",              // bad header
            "1,3,x,y\n1,2,3,0\n",            // feature count vs names
            "1,18446744073709551615,x\n1\n", // overflowing feature count
        ] {
            assert!(
                matches!(
                    parse_sklearn_csv(text, "t", &names),
                    Err(Error::Format { .. })
                ),
                "{text:?}"
            );
        }
        assert!(matches!(
            gunzip_text(b"\x1f\x8bgarbage", "t"),
            Err(Error::Format { .. })
        ));
        let e = parse_numeric_rows("1 2\n3\n", "t", Sep::Whitespace, 0).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn bundled_parser_is_total_on_arbitrary_input(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048),
        ) {
            let text = String::from_utf8_lossy(&bytes);
            let ok_or_format = |r: &Result<Dataset<usize>>| matches!(r, Ok(_) | Err(Error::Format { .. }));
            proptest::prop_assert!(ok_or_format(&parse_sklearn_csv(&text, "t", &["a", "b"])));
            let r = parse_numeric_rows(&text, "t", Sep::Whitespace, 1);
            proptest::prop_assert!(matches!(r, Ok(_) | Err(Error::Format { .. })), "not a Format error");
            let r = gunzip_text(&bytes, "t");
            proptest::prop_assert!(matches!(r, Ok(_) | Err(Error::Format { .. })), "not a Format error");
        }
    }
}
