//! Reading the data files of `fit` and `predict`: CSV with a header row, or
//! NumPy `.npy` arrays; writing CSV results.

use std::io::Write;
use std::path::Path;

use ndarray::{Array1, Array2, Ix1, Ix2};
use oxilearn::data::read_npy;

use super::Failure;

/// Targets as read: numbers, or labels that are not all numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// Every target parses as a finite number.
    Numbers(Array1<f64>),
    /// String labels.
    Labels(Array1<String>),
}

/// A feature matrix with its column names, and the targets when asked for.
#[derive(Debug, Clone)]
pub struct Table {
    /// Features, one row per sample.
    pub x: Array2<f64>,
    /// Feature names (CSV header, or `x0`, `x1` … for `.npy`).
    pub feature_names: Vec<String>,
    /// The target column, when one was selected.
    pub targets: Option<Targets>,
    /// Name of the target column.
    pub target_name: Option<String>,
}

fn is_npy(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
}

/// Which column holds the targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetColumn {
    /// No target column (every column is a feature).
    None,
    /// The last column.
    Last,
    /// A column given by name, or by 0-based index when the name is a number
    /// that is not a header.
    Named(String),
}

/// Reads features (and targets) from `path`.
///
/// CSV: the header names the columns; `target` selects the target column;
/// every other cell must be a finite number. `.npy`: a 2-D array of
/// features (f64, f32 or i64); targets come from `labels` (a 1-D `.npy`).
///
/// # Errors
/// Unreadable files, cells that are not numbers (the message names the line
/// and column), ragged rows, empty data, an unknown target column.
#[cfg(test)]
pub fn read(path: &Path, target: &TargetColumn, labels: Option<&Path>) -> Result<Table, Failure> {
    read_columns(path, target, labels, None, false)
}

/// As [`read`]; with `missing_ok`, a missing feature value (an empty CSV
/// cell, `NA`, `N/A`, `NaN`, `nan`, `null`, `?`; NaN in a `.npy`) is read as
/// NaN instead of refused — for a model that starts with an imputer.
///
/// # Errors
/// As [`read`].
pub fn read_with(
    path: &Path,
    target: &TargetColumn,
    labels: Option<&Path>,
    missing_ok: bool,
) -> Result<Table, Failure> {
    read_columns(path, target, labels, None, missing_ok)
}

/// The CSV cells that mean "missing".
const MISSING: [&str; 6] = ["NA", "N/A", "NaN", "nan", "null", "?"];

/// As [`read_with`]; for a CSV, `features` (when given) are the feature
/// columns, by name and in this order, and every other column is ignored.
///
/// # Errors
/// As [`read`]; a feature column that is not in the header.
pub fn read_columns(
    path: &Path,
    target: &TargetColumn,
    labels: Option<&Path>,
    features: Option<&[String]>,
    missing_ok: bool,
) -> Result<Table, Failure> {
    if is_npy(path) {
        let x = read_npy_2d(path, missing_ok)?;
        let targets = match labels {
            Some(l) => Some(read_npy_targets(l)?),
            None => None,
        };
        if let Some(t) = &targets {
            let n = match t {
                Targets::Numbers(v) => v.len(),
                Targets::Labels(v) => v.len(),
            };
            if n != x.nrows() {
                return Err(Failure(format!(
                    "{} has {} rows but {} has {n} targets",
                    path.display(),
                    x.nrows(),
                    labels.expect("labels given").display()
                )));
            }
        }
        let feature_names = (0..x.ncols()).map(|i| format!("x{i}")).collect();
        return Ok(Table {
            x,
            feature_names,
            targets,
            target_name: labels.map(|_| "target".to_string()),
        });
    }
    if labels.is_some() {
        return Err(Failure(
            "--labels is for .npy feature files; a CSV names its target column with --target"
                .into(),
        ));
    }
    read_csv(path, target, features, missing_ok)
}

/// Whether `path` is a CSV whose header holds every name in `names`.
pub fn csv_has_columns(path: &Path, names: &[String]) -> bool {
    if is_npy(path) {
        return false;
    }
    let Ok(mut r) = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
    else {
        return false;
    };
    r.headers()
        .map(|h| names.iter().all(|n| h.iter().any(|c| c == n)))
        .unwrap_or(false)
}

fn read_npy_2d(path: &Path, missing_ok: bool) -> Result<Array2<f64>, Failure> {
    let x = read_npy::<f64, Ix2>(path)
        .or_else(|_| read_npy::<f32, Ix2>(path).map(|a| a.mapv(f64::from)))
        .or_else(|_| read_npy::<i64, Ix2>(path).map(|a| a.mapv(|v| v as f64)))
        .map_err(|e| {
            Failure(format!(
                "{}: expected a 2-D .npy array of f64, f32 or i64 features: {e}",
                path.display()
            ))
        })?;
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(Failure(format!("{} holds no data", path.display())));
    }
    if let Some((i, _)) = x
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() || missing_ok && v.is_nan()))
    {
        return Err(Failure(format!(
            "{}: row {}, column {} is not a finite number",
            path.display(),
            i / x.ncols(),
            i % x.ncols()
        )));
    }
    Ok(x)
}

fn read_npy_targets(path: &Path) -> Result<Targets, Failure> {
    read_npy::<f64, Ix1>(path)
        .or_else(|_| read_npy::<i64, Ix1>(path).map(|a| a.mapv(|v| v as f64)))
        .or_else(|_| read_npy::<f32, Ix1>(path).map(|a| a.mapv(f64::from)))
        .map(Targets::Numbers)
        .map_err(|e| {
            Failure(format!(
                "{}: expected a 1-D .npy array of targets (f64, i64 or f32): {e}",
                path.display()
            ))
        })
}

fn read_csv(
    path: &Path,
    target: &TargetColumn,
    features: Option<&[String]>,
    missing_ok: bool,
) -> Result<Table, Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure(format!("cannot open {}: {e}", path.display())))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(std::io::BufReader::new(file));
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            Failure(format!(
                "{}: cannot read the header row: {e}",
                path.display()
            ))
        })?
        .iter()
        .map(str::to_string)
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(Failure(format!("{}: no header row", path.display())));
    }
    let target_idx = match target {
        TargetColumn::None => None,
        TargetColumn::Last => Some(header.len() - 1),
        TargetColumn::Named(name) => Some(
            header
                .iter()
                .position(|h| h == name)
                .or_else(|| name.parse::<usize>().ok().filter(|&i| i < header.len()))
                .ok_or_else(|| {
                    Failure(format!(
                        "{}: no column `{name}`; the columns are {header:?}",
                        path.display()
                    ))
                })?,
        ),
    };
    // column index → position in a feature row (None: not a feature)
    let slot: Vec<Option<usize>> = match features {
        Some(names) => {
            let mut slot = vec![None; header.len()];
            for (k, n) in names.iter().enumerate() {
                let i = header.iter().position(|h| h == n).ok_or_else(|| {
                    Failure(format!(
                        "{}: no column `{n}`; the columns are {header:?}",
                        path.display()
                    ))
                })?;
                slot[i] = Some(k);
            }
            slot
        }
        None => {
            let mut k = 0;
            (0..header.len())
                .map(|i| {
                    (Some(i) != target_idx).then(|| {
                        k += 1;
                        k - 1
                    })
                })
                .collect()
        }
    };
    let n_features = slot.iter().flatten().count();
    if n_features == 0 {
        return Err(Failure(format!(
            "{}: no feature columns besides the target",
            path.display()
        )));
    }
    let mut values = Vec::new();
    let mut raw_targets = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let line = row + 2;
        let record =
            record.map_err(|e| Failure(format!("{}: line {line}: {e}", path.display())))?;
        if record.len() != header.len() {
            return Err(Failure(format!(
                "{}: line {line} has {} fields, the header has {}",
                path.display(),
                record.len(),
                header.len()
            )));
        }
        let mut row_values = vec![0.0; n_features];
        for (col, cell) in record.iter().enumerate() {
            if Some(col) == target_idx {
                raw_targets.push(cell.to_string());
            }
            let Some(k) = slot[col] else {
                continue;
            };
            let is_missing = cell.is_empty() || MISSING.contains(&cell);
            if missing_ok && is_missing {
                row_values[k] = f64::NAN;
                continue;
            }
            let v: f64 = cell
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| {
                    Failure(format!(
                        "{}: line {line}, column `{}`: `{cell}` is not a finite number{}",
                        path.display(),
                        header[col],
                        if is_missing {
                            " (a missing value: impute it — e.g. `--preprocess simple_imputer` \
                             in `oxilearn fit` — or drop the row)"
                        } else {
                            ""
                        }
                    ))
                })?;
            row_values[k] = v;
        }
        values.extend(row_values);
    }
    let n = values.len() / n_features;
    if n == 0 {
        return Err(Failure(format!("{}: no data rows", path.display())));
    }
    let x = Array2::from_shape_vec((n, n_features), values).expect("rows checked");
    let targets = target_idx.map(|_| {
        let numbers: Option<Vec<f64>> = raw_targets
            .iter()
            .map(|s| s.parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect();
        match numbers {
            Some(v) => Targets::Numbers(Array1::from(v)),
            None => Targets::Labels(Array1::from(raw_targets)),
        }
    });
    if let Some(Targets::Labels(l)) = &targets
        && let Some(i) = l.iter().position(String::is_empty)
    {
        return Err(Failure(format!(
            "{}: line {}: the target is empty",
            path.display(),
            i + 2
        )));
    }
    let mut feature_names = vec![String::new(); n_features];
    for (i, s) in slot.iter().enumerate() {
        if let Some(k) = s {
            feature_names[*k] = header[i].clone();
        }
    }
    Ok(Table {
        x,
        feature_names,
        targets,
        target_name: target_idx.map(|i| header[i].clone()),
    })
}

/// Writes a CSV with `header` and `rows` (each already formatted) to `out`
/// (`-` = standard output), atomically for a file.
///
/// # Errors
/// I/O errors, with the path.
pub fn write_csv(out: &Path, header: &[String], rows: &[Vec<String>]) -> Result<(), Failure> {
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        w.write_record(header)?;
        for r in rows {
            w.write_record(r)?;
        }
        w.flush()?;
    }
    if out == Path::new("-") {
        std::io::stdout()
            .lock()
            .write_all(&buf)
            .map_err(|e| Failure(format!("cannot write to standard output: {e}")))?;
        return Ok(());
    }
    write_atomic(out, &buf)
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// and a rename, so a reader never sees a partial file.
///
/// # Errors
/// I/O errors, with the path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| Failure(format!("{} is not a file path", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Failure(format!("cannot write {}: {e}", path.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, content: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("oxilearn-cli-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    #[test]
    fn csv_with_named_string_target() {
        let p = tmp("a.csv", b"a,species,b\n1,setosa,2\n3,\"virginica\",4.5\n");
        let t = read(&p, &TargetColumn::Named("species".into()), None).unwrap();
        assert_eq!(t.x, ndarray::array![[1.0, 2.0], [3.0, 4.5]]);
        assert_eq!(t.feature_names, ["a", "b"]);
        assert_eq!(
            t.targets,
            Some(Targets::Labels(ndarray::array![
                "setosa".to_string(),
                "virginica".to_string()
            ]))
        );
        // by index, last, none
        let t = read(&p, &TargetColumn::Named("1".into()), None).unwrap();
        assert_eq!(t.target_name.as_deref(), Some("species"));
        let t = read(&tmp("b.csv", b"a,b\n1,2\n"), &TargetColumn::Last, None).unwrap();
        assert_eq!(t.targets, Some(Targets::Numbers(ndarray::array![2.0])));
        let t = read(&tmp("c.csv", b"a,b\n1,2\n"), &TargetColumn::None, None).unwrap();
        assert_eq!((t.x.ncols(), t.targets), (2, None));
    }

    #[test]
    fn csv_errors_name_the_line_and_column() {
        let p = tmp("d.csv", b"a,b,y\n1,2,0\n1,NA,1\n");
        let e = read(&p, &TargetColumn::Last, None).unwrap_err().0;
        assert!(
            e.contains("line 3, column `b`") && e.contains("missing"),
            "{e}"
        );
        let p = tmp("e.csv", b"a,b,y\n1,2,0\n1,2\n");
        let e = read(&p, &TargetColumn::Last, None).unwrap_err().0;
        assert!(e.contains("line 3"), "{e}");
        let e = read(&p, &TargetColumn::Named("zz".into()), None)
            .unwrap_err()
            .0;
        assert!(e.contains("no column `zz`"), "{e}");
        let p = tmp("f.csv", b"a,y\n");
        assert!(
            read(&p, &TargetColumn::Last, None)
                .unwrap_err()
                .0
                .contains("no data rows")
        );
    }

    #[test]
    fn missing_values_are_nan_only_when_asked() {
        let p = tmp("g.csv", b"a,b,y\n1,,0\nNA,2,1\n?,nan,1\n");
        assert!(read(&p, &TargetColumn::Last, None).is_err());
        let t = read_with(&p, &TargetColumn::Last, None, true).unwrap();
        let nan: Vec<bool> = t.x.iter().map(|v| v.is_nan()).collect();
        assert_eq!(nan, [false, true, true, false, true, true]);
        assert_eq!(
            t.targets,
            Some(Targets::Numbers(ndarray::array![0.0, 1.0, 1.0]))
        );
        // not a number and not a missing token: still refused
        let p = tmp("h.csv", b"a,y\nabc,0\n");
        let e = read_with(&p, &TargetColumn::Last, None, true)
            .unwrap_err()
            .0;
        assert!(e.contains("`abc` is not a finite number"), "{e}");
    }

    #[test]
    fn atomic_writes_leave_no_temporary_files() {
        let p = tmp("out.csv", b"old");
        write_csv(&p, &["p".into()], &[vec!["1".into()]]).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "p\n1\n");
        let dir = p.parent().unwrap();
        assert!(
            std::fs::read_dir(dir).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp-"))
        );
    }
}
