//! Reading the reference values the Python scripts of `tests/data/` write
//! (JSON: matrices as lists of rows, vectors as lists), and the sparse
//! text-like records several modules share.

use ndarray::{Array1, Array2, Axis};
use oxilearn::data::SvmlightReader;
use oxilearn::sparse::CsMat;
use serde_json::Value;

/// `tests/data/<name>`, parsed.
pub fn json(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference file")).unwrap()
}

/// A matrix given as a list of rows.
pub fn mat(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).unwrap()
}

/// A vector of floats.
pub fn vecf(v: &Value) -> Array1<f64> {
    Array1::from(serde_json::from_value::<Vec<f64>>(v.clone()).unwrap())
}

/// A vector of indices.
pub fn vecu(v: &Value) -> Vec<usize> {
    serde_json::from_value(v.clone()).unwrap()
}

/// A vector as an `n × 1` matrix (to compare with [`max_abs`]).
pub fn col(a: Array1<f64>) -> Array2<f64> {
    a.insert_axis(Axis(1))
}

/// Largest absolute entrywise difference (the shapes must agree).
pub fn max_abs(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// `tests/data/svm_sparse.svmlight` (written by `svm_sparse_reference.py`):
/// 300 text-like rows × 3000 columns in CSR, under 1 % stored, row 5 empty,
/// and its three class labels.
pub fn sparse_text_records() -> (CsMat<f64>, Array1<i64>) {
    let path = format!(
        "{}/tests/data/svm_sparse.svmlight",
        env!("CARGO_MANIFEST_DIR")
    );
    let d = SvmlightReader::new()
        .n_features(3000)
        .read_path(path)
        .unwrap();
    assert_eq!(d.records.shape(), (300, 3000));
    assert_eq!(d.records.outer_view(5).unwrap().nnz(), 0);
    (d.records, d.targets.mapv(|v| v as i64))
}
