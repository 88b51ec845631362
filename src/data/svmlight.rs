//! The svmlight / libsvm text format: one sample per line,
//! `<target> [qid:<int>] <index>:<value> <index>:<value> … [# comment]`, indices
//! strictly increasing within a line, zero-valued features left out.

use std::io::BufRead;
use std::path::Path;

use ndarray::Array1;

use super::bytes;
use crate::error::{Error, Result};
use crate::sparse::CsMat;

/// Whether the feature indices of an svmlight file count from 0 or from 1
/// (scikit-learn's `zero_based` argument).
///
/// # Example
/// ```
/// use oxilearn::data::{SvmlightReader, ZeroBased};
///
/// let text = "1 1:5\n";
/// let auto = SvmlightReader::new().read(text.as_bytes(), "inline")?; // no index 0: one-based
/// assert_eq!(auto.records.shape(), (1, 1));
/// let zero = SvmlightReader::new().zero_based(ZeroBased::Yes).read(text.as_bytes(), "inline")?;
/// assert_eq!(zero.records.shape(), (1, 2));
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZeroBased {
    /// Zero-based if any index in the file is 0, else one-based (libsvm's convention).
    #[default]
    Auto,
    /// Indices count from 0.
    Yes,
    /// Indices count from 1; an index 0 is an error.
    No,
}

/// What an svmlight file holds: the records as a CSR matrix (one row per sample),
/// the targets, and the query ids when the lines carry `qid:` tokens.
///
/// # Example
/// ```
/// use oxilearn::data::SvmlightReader;
/// use oxilearn::sparse::Records;
///
/// let data = SvmlightReader::new().read("0 1:1 2:3\n1 2:-1\n".as_bytes(), "inline")?;
/// let x = Records::from(&data.records); // what the sparse-capable models take
/// assert_eq!((x.nrows(), x.ncols()), (2, 2));
/// assert_eq!(data.targets.len(), 2);
/// assert!(data.query_ids.is_none());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SvmlightData {
    /// The records, `n_samples × n_features`, CSR; explicit zeros in the file are kept.
    pub records: CsMat<f64>,
    /// One target per sample.
    pub targets: Array1<f64>,
    /// The `qid:` of every sample, if the lines have one (all of them or none).
    pub query_ids: Option<Array1<i64>>,
}

/// Reads the svmlight / libsvm text format, with options.
///
/// Lines are `<target> [qid:<int>] <index>:<value> …`; whitespace separates the
/// tokens; `#` starts a comment up to the end of the line; blank lines are skipped.
/// Indices must be strictly increasing within a line. Errors are
/// [`Error::Format`] naming the file, the line and the column (1-based, in
/// characters) of the bad token: a token that is not `index:value`, a
/// non-numeric or non-finite value or target, an index 0 in a one-based file, an
/// index not above the one before it, a `qid:` on some lines only, more features
/// than [`n_features`](Self::n_features) allows; a file without samples is
/// [`Error::EmptyInput`].
///
/// # Example
/// ```
/// use oxilearn::data::{SvmlightReader, ZeroBased};
///
/// let text = "1 qid:2 1:0.5 3:-1 # first\n-1 qid:2 2:4\n";
/// let data = SvmlightReader::new()
///     .n_features(4)
///     .zero_based(ZeroBased::No)
///     .read(text.as_bytes(), "inline")?;
/// assert_eq!(data.records.shape(), (2, 4));
/// assert_eq!(data.records.to_dense()[[0, 2]], -1.0);
/// assert_eq!(data.targets.to_vec(), vec![1.0, -1.0]);
/// assert_eq!(data.query_ids.unwrap().to_vec(), vec![2, 2]);
///
/// let err = SvmlightReader::new().read("1 2:1 2:3\n".as_bytes(), "inline").unwrap_err();
/// assert!(err.to_string().contains("line 1, column 7"), "{err}");
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SvmlightReader {
    n_features: Option<usize>,
    zero_based: ZeroBased,
}

impl SvmlightReader {
    /// Defaults: the number of features is the largest index in the file (+1 when
    /// zero-based), [`ZeroBased::Auto`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of features (columns); a file with a larger index is an error.
    /// Set it when several files must give matrices of the same width.
    pub fn n_features(mut self, n: usize) -> Self {
        self.n_features = Some(n);
        self
    }

    /// Whether indices count from 0 or 1 (default [`ZeroBased::Auto`]).
    pub fn zero_based(mut self, z: ZeroBased) -> Self {
        self.zero_based = z;
        self
    }

    /// Reads the file at `path` (gzip-compressed files are detected by their magic bytes).
    pub fn read_path(&self, path: impl AsRef<Path>) -> Result<SvmlightData> {
        let path = path.as_ref();
        let raw = bytes::read_file(path)?;
        let name = bytes::display_name(path);
        let data = bytes::maybe_gunzip(&raw, &name)?;
        self.read(&data[..], &name)
    }

    /// Reads the format from `input`; `source_name` names it in errors (a path, `"stdin"` …).
    pub fn read(&self, input: impl BufRead, source_name: &str) -> Result<SvmlightData> {
        let mut p = Parsed::default();
        for (i, line) in input.split(b'\n').enumerate() {
            let line = line.map_err(|e| Error::Io {
                path: None,
                source: e,
            })?;
            parse_line(&line, i + 1, source_name, &mut p)?;
        }
        self.finish(p, source_name)
    }

    fn finish(&self, p: Parsed, source_name: &str) -> Result<SvmlightData> {
        if p.targets.is_empty() {
            return Err(Error::EmptyInput {
                what: "svmlight input (no samples)",
            });
        }
        let zero_based = match self.zero_based {
            ZeroBased::Yes => true,
            ZeroBased::No => false,
            ZeroBased::Auto => p.min_index == Some(0),
        };
        let mut indices = p.indices;
        if !zero_based {
            if let Some(&(line, col)) = p.zero_at.first() {
                return Err(format_err(
                    source_name,
                    line,
                    col,
                    "index 0 in a one-based file (indices count from 1)".into(),
                ));
            }
            indices.iter_mut().for_each(|j| *j -= 1);
        }
        let needed = match p.max_index {
            None => 0,
            Some(m) if zero_based => m.checked_add(1).ok_or_else(|| {
                let (line, col) = p.max_at;
                format_err(source_name, line, col, "index too large".into())
            })?,
            Some(m) => m,
        };
        let n_features = match self.n_features {
            Some(n) if n < needed => {
                let (line, col) = p.max_at;
                return Err(format_err(
                    source_name,
                    line,
                    col,
                    format!("index needs {needed} features, but n_features is {n}"),
                ));
            }
            Some(n) => n,
            None => needed,
        };
        let rows = p.targets.len();
        let records = CsMat::try_new((rows, n_features), p.indptr, indices, p.values).map_err(
            |(.., e)| Error::Format {
                source_name: source_name.to_string(),
                location: None,
                reason: format!("not a valid CSR matrix: {e}"),
            },
        )?;
        let query_ids = if p.qids.is_empty() {
            None
        } else {
            Some(Array1::from(p.qids))
        };
        Ok(SvmlightData {
            records,
            targets: Array1::from(p.targets),
            query_ids,
        })
    }
}

/// Reads an svmlight / libsvm file with the default options ([`SvmlightReader::new`]):
/// the number of features from the largest index, zero- or one-based detected
/// ([`ZeroBased::Auto`]), as scikit-learn's `load_svmlight_file`.
///
/// # Example
/// ```
/// use oxilearn::data::{dump_svmlight_file, load_svmlight_file};
/// use oxilearn::ndarray::array;
/// use oxilearn::sparse::CsMat;
///
/// let x = CsMat::new((2, 3), vec![0, 2, 3], vec![0, 2, 1], vec![1.5, -2.0, 4.0]);
/// let path = std::env::temp_dir().join("oxilearn_doc_svmlight.txt");
/// dump_svmlight_file(&path, &x, array![1.0, 0.0].view(), false)?;
/// let data = load_svmlight_file(&path)?;
/// assert_eq!(data.records, x);
/// assert_eq!(data.targets, array![1.0, 0.0]);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn load_svmlight_file(path: impl AsRef<Path>) -> Result<SvmlightData> {
    SvmlightReader::new().read_path(path)
}

/// Writes `x` (CSR, one sample per row) and the targets `y` in the svmlight /
/// libsvm format, atomically (a temporary file renamed over `path`, so a failed
/// write leaves an existing file intact). Indices count from 0 if `zero_based`,
/// else from 1 (libsvm's convention); values use the shortest text that reads
/// back to the same `f64`. Stored zeros are written as they are.
///
/// Errors: [`Error::ShapeMismatch`] if `y` has not one entry per row of `x`;
/// [`Error::NonFinite`] for NaN or infinity in `x` or `y`; [`Error::Io`].
/// See [`load_svmlight_file`] for an example.
pub fn dump_svmlight_file(
    path: impl AsRef<Path>,
    x: &CsMat<f64>,
    y: ndarray::ArrayView1<'_, f64>,
    zero_based: bool,
) -> Result<()> {
    use std::fmt::Write as _;
    if y.len() != x.rows() {
        return Err(Error::ShapeMismatch {
            what: "y (one target per row of x)",
            expected: vec![x.rows()],
            got: vec![y.len()],
        });
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "y",
            index: vec![i],
        });
    }
    let csr = x.to_csr();
    let mut out = String::new();
    for (i, row) in csr.outer_iterator().enumerate() {
        write!(out, "{}", y[i]).expect("writing to a String");
        for (j, &v) in row.iter() {
            if !v.is_finite() {
                return Err(Error::NonFinite {
                    what: "x",
                    index: vec![i, j],
                });
            }
            write!(out, " {}:{}", j + usize::from(!zero_based), v).expect("writing to a String");
        }
        out.push('\n');
    }
    crate::persist::write_atomic(path.as_ref(), out.as_bytes())
}

#[derive(Default)]
struct Parsed {
    indptr: Vec<usize>,
    indices: Vec<usize>,
    values: Vec<f64>,
    targets: Vec<f64>,
    qids: Vec<i64>,
    /// (line, column) of the first line without a `qid:` (for the "some lines only" check).
    no_qid_at: Option<(usize, usize)>,
    min_index: Option<usize>,
    max_index: Option<usize>,
    max_at: (usize, usize),
    /// Where the first index 0 is (an error if the file turns out one-based).
    zero_at: Vec<(usize, usize)>,
}

fn format_err(source_name: &str, line: usize, col: usize, reason: String) -> Error {
    Error::Format {
        source_name: source_name.to_string(),
        location: Some(format!("line {line}, column {col}")),
        reason,
    }
}

fn parse_line(raw: &[u8], line: usize, src: &str, p: &mut Parsed) -> Result<()> {
    let text = std::str::from_utf8(raw)
        .map_err(|e| format_err(src, line, e.valid_up_to() + 1, "not UTF-8 text".into()))?;
    let text = text.split('#').next().unwrap_or("");
    // Tokens with their 1-based character column.
    let mut tokens = Vec::new();
    let mut start = None;
    for (b, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                tokens.push((s, &text[s..b]));
            }
        } else if start.is_none() {
            start = Some(b);
        }
    }
    if let Some(s) = start {
        tokens.push((s, &text[s..]));
    }
    let col_of = |byte: usize| text[..byte].chars().count() + 1;
    let Some(&(tb, target)) = tokens.first() else {
        return Ok(());
    };
    if p.indptr.is_empty() {
        p.indptr.push(0);
    }
    let err = |byte: usize, reason: String| format_err(src, line, col_of(byte), reason);
    let y: f64 = target
        .parse()
        .map_err(|_| err(tb, format!("target {target:?} is not a number")))?;
    if !y.is_finite() {
        return Err(err(tb, format!("non-finite target {target:?}")));
    }
    let mut rest = &tokens[1..];
    match rest.first() {
        Some(&(qb, q)) if q.starts_with("qid:") => {
            let id: i64 = q[4..]
                .parse()
                .map_err(|_| err(qb, format!("query id {q:?} is not an integer")))?;
            if let Some((l, c)) = p.no_qid_at {
                return Err(format_err(
                    src,
                    l,
                    c,
                    "no qid: on this line, but on later ones".into(),
                ));
            }
            p.qids.push(id);
            rest = &rest[1..];
        }
        _ => {
            if !p.qids.is_empty() {
                return Err(err(tb, "no qid: on this line, but on earlier ones".into()));
            }
            p.no_qid_at.get_or_insert((line, col_of(tb)));
        }
    }
    let mut prev: Option<usize> = None;
    for &(b, tok) in rest {
        let (idx, val) = tok
            .split_once(':')
            .ok_or_else(|| err(b, format!("expected index:value, got {tok:?}")))?;
        let j: usize = idx
            .parse()
            .map_err(|_| err(b, format!("index {idx:?} is not a non-negative integer")))?;
        if val.is_empty() {
            return Err(err(b, format!("no value after the index in {tok:?}")));
        }
        let v: f64 = val
            .parse()
            .map_err(|_| err(b, format!("value {val:?} is not a number")))?;
        if !v.is_finite() {
            return Err(err(b, format!("non-finite value {val:?}")));
        }
        if let Some(q) = prev
            && j <= q
        {
            return Err(err(
                b,
                format!("index {j} after {q}: indices must be strictly increasing within a line"),
            ));
        }
        prev = Some(j);
        if j == 0 && p.zero_at.is_empty() {
            p.zero_at.push((line, col_of(b)));
        }
        p.min_index = Some(p.min_index.map_or(j, |m| m.min(j)));
        if p.max_index.is_none_or(|m| j > m) {
            p.max_index = Some(j);
            p.max_at = (line, col_of(b));
        }
        p.indices.push(j);
        p.values.push(v);
    }
    p.targets.push(y);
    p.indptr.push(p.indices.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn read(text: &str) -> Result<SvmlightData> {
        SvmlightReader::new().read(text.as_bytes(), "t.txt")
    }

    fn location(e: &Error) -> String {
        match e {
            Error::Format { location, .. } => location.clone().unwrap_or_default(),
            other => panic!("not a format error: {other}"),
        }
    }

    // File written by scikit-learn 1.9's dump_svmlight_file (zero_based=False,
    // query_id, comment); tests/data/make_svmlight.py made it and printed the arrays:
    // X = [[0, 1.5, 0, -2.25, 0], [0, 0, 0, 0, 0], [3, 0, 1e-300, 0, 7.125],
    //      [0, -0.1, 0, 0, 1e20]], y = [1, -1, 0.5, 2], qid = [3, 3, 7, 7]
    #[test]
    fn reads_the_file_scikit_learn_wrote() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/svmlight_sklearn.txt"
        );
        let d = load_svmlight_file(path).unwrap();
        let x = array![
            [0.0, 1.5, 0.0, -2.25, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0],
            [3.0, 0.0, 1e-300, 0.0, 7.125],
            [0.0, -0.1, 0.0, 0.0, 1e20]
        ];
        assert_eq!(d.records.to_dense(), x);
        assert_eq!(d.records.nnz(), 7);
        assert_eq!(d.targets, array![1.0, -1.0, 0.5, 2.0]);
        assert_eq!(d.query_ids.unwrap(), array![3, 3, 7, 7]);
    }

    #[test]
    fn zero_based_auto_yes_no_and_n_features() {
        let auto = read("1 0:2 3:1\n0 1:1\n").unwrap();
        assert_eq!(auto.records.shape(), (2, 4));
        let one = read("1 1:2 3:1\n").unwrap();
        assert_eq!(one.records.to_dense(), array![[2.0, 0.0, 1.0]]);
        let yes = SvmlightReader::new()
            .zero_based(ZeroBased::Yes)
            .read("1 1:2 3:1\n".as_bytes(), "t")
            .unwrap();
        assert_eq!(yes.records.to_dense(), array![[0.0, 2.0, 0.0, 1.0]]);
        let e = SvmlightReader::new()
            .zero_based(ZeroBased::No)
            .read("1 1:2\n2 0:1\n".as_bytes(), "t")
            .unwrap_err();
        assert_eq!(location(&e), "line 2, column 3");
        let wide = SvmlightReader::new()
            .n_features(10)
            .read("1 2:1\n".as_bytes(), "t")
            .unwrap();
        assert_eq!(wide.records.shape(), (1, 10));
        let e = SvmlightReader::new()
            .n_features(1)
            .read("1 2:1\n".as_bytes(), "t")
            .unwrap_err();
        assert!(e.to_string().contains("n_features is 1"), "{e}");
    }

    #[test]
    fn comments_blank_lines_and_crlf() {
        let d = read("# header\n\n1 1:1 # note\r\n  \n-1 2:2.5\r\n").unwrap();
        assert_eq!(d.records.to_dense(), array![[1.0, 0.0], [0.0, 2.5]]);
        assert!(d.query_ids.is_none());
    }

    #[test]
    fn bad_input_names_line_and_column() {
        let cases = [
            (
                "1 1:1\n1 2:1 2:3\n",
                "line 2, column 7",
                "strictly increasing",
            ),
            ("1 3:1 2:3\n", "line 1, column 7", "strictly increasing"),
            ("1 1:x\n", "line 1, column 3", "not a number"),
            ("1 1:nan\n", "line 1, column 3", "non-finite"),
            ("1 1:inf\n", "line 1, column 3", "non-finite"),
            ("a 1:1\n", "line 1, column 1", "not a number"),
            ("1 1:\n", "line 1, column 3", "no value"),
            ("1 1\n", "line 1, column 3", "index:value"),
            ("1 -1:2\n", "line 1, column 3", "index"),
            ("1 qid:1 1:1\n1 1:1\n", "line 2, column 1", "qid"),
            ("1 1:1\n1 qid:2 1:1\n", "line 1, column 1", "qid"),
            ("1 qid:x 1:1\n", "line 1, column 3", "query id"),
        ];
        for (text, loc, what) in cases {
            let e = read(text).unwrap_err();
            assert_eq!(location(&e), loc, "{text:?}: {e}");
            assert!(e.to_string().contains(what), "{text:?}: {e}");
            assert!(e.to_string().contains("t.txt"), "{e}");
        }
    }

    #[test]
    fn empty_input_is_empty_input() {
        for text in ["", "\n\n", "# only a comment\n"] {
            assert!(
                matches!(read(text), Err(Error::EmptyInput { .. })),
                "{text:?}"
            );
        }
    }

    #[test]
    fn dump_then_load_round_trips() {
        let x = CsMat::new(
            (3, 4),
            vec![0, 2, 2, 4],
            vec![0, 3, 1, 2],
            vec![0.1, -1e-310, 3.0, f64::MAX],
        );
        let y = array![1.0, -0.25, 3.0];
        let dir = std::env::temp_dir();
        for zero_based in [true, false] {
            let path = dir.join(format!(
                "oxilearn_svmlight_rt_{zero_based}_{}.txt",
                std::process::id()
            ));
            dump_svmlight_file(&path, &x, y.view(), zero_based).unwrap();
            let d = SvmlightReader::new()
                .n_features(4)
                .zero_based(if zero_based {
                    ZeroBased::Yes
                } else {
                    ZeroBased::No
                })
                .read_path(&path)
                .unwrap();
            std::fs::remove_file(&path).ok();
            assert_eq!(d.records, x);
            assert_eq!(d.targets, y);
        }
        let e = dump_svmlight_file(dir.join("never.txt"), &x, array![1.0].view(), false);
        assert!(matches!(e, Err(Error::ShapeMismatch { .. })));
    }
}
