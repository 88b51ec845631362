//! Numeric CSV files with a header row: the target column is chosen by name,
//! every other column is a feature.
//!
//! Dialect: RFC 4180 as parsed by the `csv` crate — comma-separated, first
//! line is the header, `\n`, `\r\n` or `\r` line ends, blank lines skipped,
//! fields may be enclosed in double quotes (`""` inside quotes is a literal
//! quote; quoted fields may span lines). For missing values, categories and
//! other dialects, read a [`Table`](super::Table) with
//! [`CsvReader`](super::CsvReader).
//! Every data cell must parse as an `f64` (`1`, `-2.5e3`, `nan`, `inf` are
//! accepted; an empty cell is not). A bad cell is an [`Error::Format`] whose
//! location names the line (1-based, header = line 1) and the column name.
//!
//! [`read_csv`] loads a whole file; [`CsvChunks`] streams it in blocks of rows.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use ndarray::{Array1, Array2};

use super::Dataset;
use super::reader::{LineCounter, csv_error};
use crate::error::{Error, Result};

/// Streams a numeric CSV in chunks of at most `chunk_rows` rows, each chunk a
/// `(records, targets)` pair. Stops after the first error.
///
/// Only one chunk is held in memory at a time, so files larger than memory
/// can be processed (e.g. accumulating `XᵀX` chunk by chunk).
///
/// # Example
/// ```
/// use oxilearn::data::CsvChunks;
///
/// let text = "a,price,b\n1,10,2\n3,30,4\n5,50,6\n";
/// let mut chunks = CsvChunks::new(text.as_bytes(), "prices.csv", "price", 2)?;
/// assert_eq!(chunks.feature_names(), ["a", "b"]);
/// let (x, y) = chunks.next().unwrap()?;
/// assert_eq!((x.dim(), y.to_vec()), ((2, 2), vec![10.0, 30.0]));
/// let (x, _) = chunks.next().unwrap()?;
/// assert_eq!(x.row(0).to_vec(), [5.0, 6.0]);
/// assert!(chunks.next().is_none());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug)]
pub struct CsvChunks<R> {
    reader: CsvCrateReader<R>,
    source_name: String,
    columns: Vec<String>,
    target_col: usize,
    chunk_rows: usize,
    line_no: u64,
    done: bool,
    record: csv::ByteRecord,
}

/// The `csv` crate's reader (a newtype so `CsvChunks` can be `Debug`).
struct CsvCrateReader<R>(csv::Reader<LineCounter<R>>);

impl<R> std::fmt::Debug for CsvCrateReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("csv::Reader")
    }
}

impl CsvChunks<BufReader<File>> {
    /// Opens `path` and reads its header.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be opened or read; otherwise as
    /// [`CsvChunks::new`].
    ///
    /// # Example
    /// ```
    /// use oxilearn::data::CsvChunks;
    ///
    /// let path = std::env::temp_dir().join("oxilearn-doc-chunks.csv");
    /// std::fs::write(&path, "x,y\n1,2\n3,4\n5,6\n").unwrap();
    /// let rows: usize = CsvChunks::open(&path, "y", 2)?
    ///     .map(|chunk| chunk.map(|(x, _)| x.nrows()))
    ///     .sum::<oxilearn::Result<usize>>()?;
    /// assert_eq!(rows, 3);
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn open(path: impl AsRef<Path>, target: &str, chunk_rows: usize) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        CsvChunks::new(
            BufReader::new(file),
            &path.display().to_string(),
            target,
            chunk_rows,
        )
    }
}

impl<R: BufRead> CsvChunks<R> {
    /// Reads the header from `reader`. `source_name` names the input in
    /// errors; `target` is the name of the target column.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`chunk_rows`) if `chunk_rows == 0`;
    /// [`Error::InvalidParameter`] (`target`) if no column has that name;
    /// [`Error::Format`] for an empty input, a malformed header or duplicate
    /// column names; [`Error::Io`] for read failures.
    pub fn new(reader: R, source_name: &str, target: &str, chunk_rows: usize) -> Result<Self> {
        if chunk_rows == 0 {
            return Err(Error::invalid("chunk_rows", "must be >= 1, got 0"));
        }
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(LineCounter::new(reader));
        let mut me = CsvChunks {
            reader: CsvCrateReader(reader),
            source_name: source_name.to_string(),
            columns: Vec::new(),
            target_col: 0,
            chunk_rows,
            line_no: 0,
            done: false,
            record: csv::ByteRecord::new(),
        };
        if !me.next_record()? {
            return Err(Error::format(source_name, "empty file: no header row"));
        }
        let mut columns = Vec::with_capacity(me.record.len());
        for field in me.record.iter() {
            let name = std::str::from_utf8(field)
                .map_err(|e| me.error_at(None, format!("invalid UTF-8: {e}")))?;
            columns.push(name.trim().to_string());
        }
        let mut seen = std::collections::HashSet::with_capacity(columns.len());
        for c in &columns {
            if !seen.insert(c.as_str()) {
                return Err(me.error_at(None, format!("duplicate column name {c:?}")));
            }
        }
        me.target_col = columns.iter().position(|c| c == target).ok_or_else(|| {
            Error::invalid(
                "target",
                format!("no column named {target:?} in {source_name}; columns are {columns:?}"),
            )
        })?;
        me.columns = columns;
        Ok(me)
    }

    /// Names of the feature columns (all but the target), in file order.
    pub fn feature_names(&self) -> Vec<String> {
        self.columns
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != self.target_col)
            .map(|(_, c)| c.clone())
            .collect()
    }

    /// Name of the target column.
    pub fn target_name(&self) -> &str {
        &self.columns[self.target_col]
    }

    fn error_at(&self, column: Option<&str>, reason: String) -> Error {
        let location = match column {
            Some(c) => format!("line {}, column {c:?}", self.line_no),
            None => format!("line {}", self.line_no),
        };
        Error::Format {
            source_name: self.source_name.clone(),
            location: Some(location),
            reason,
        }
    }

    /// Reads the next record into `self.record` (blank lines are skipped by
    /// the `csv` crate); `false` at the end.
    fn next_record(&mut self) -> Result<bool> {
        let more = self
            .reader
            .0
            .read_byte_record(&mut self.record)
            .map_err(|e| csv_error(e, &self.source_name))?;
        if more {
            let end = self.reader.0.position().byte();
            self.line_no = self.reader.0.get_mut().record_line(end, &self.record);
        }
        Ok(more)
    }

    /// Parses the current record into `records` and `targets`.
    fn parse_row(&self, records: &mut Vec<f64>, targets: &mut Vec<f64>) -> Result<()> {
        if self.record.len() != self.columns.len() {
            return Err(self.error_at(
                None,
                format!(
                    "expected {} fields (as in the header), found {}",
                    self.columns.len(),
                    self.record.len()
                ),
            ));
        }
        for (i, field) in self.record.iter().enumerate() {
            let cell = std::str::from_utf8(field)
                .map_err(|e| self.error_at(Some(&self.columns[i]), format!("invalid UTF-8: {e}")))?
                .trim();
            let value: f64 = cell.parse().map_err(|_| {
                let reason = if cell.is_empty() {
                    "empty cell (missing value)".to_string()
                } else {
                    format!("cannot parse {cell:?} as a number")
                };
                self.error_at(Some(&self.columns[i]), reason)
            })?;
            if i == self.target_col {
                targets.push(value);
            } else {
                records.push(value);
            }
        }
        Ok(())
    }

    fn next_chunk(&mut self) -> Result<Option<(Array2<f64>, Array1<f64>)>> {
        let nf = self.columns.len() - 1;
        let cap = self.chunk_rows.min(4096);
        // Bounded preallocation: a wide header must not reserve gigabytes.
        let mut records = Vec::with_capacity(cap.saturating_mul(nf).min(1 << 16));
        let mut targets = Vec::with_capacity(cap);
        while targets.len() < self.chunk_rows {
            if !self.next_record()? {
                break;
            }
            self.parse_row(&mut records, &mut targets)?;
        }
        if targets.is_empty() {
            return Ok(None);
        }
        let x = Array2::from_shape_vec((targets.len(), nf), records)
            .map_err(|e| Error::format(self.source_name.clone(), e.to_string()))?;
        Ok(Some((x, Array1::from(targets))))
    }
}

impl<R: BufRead> Iterator for CsvChunks<R> {
    type Item = Result<(Array2<f64>, Array1<f64>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_chunk() {
            Ok(Some(chunk)) => Some(Ok(chunk)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<R: BufRead> std::iter::FusedIterator for CsvChunks<R> {}

/// Loads a whole numeric CSV from any buffered reader into a dataset
/// (`target_names` holds the target column's name).
///
/// Dialect: RFC 4180 (the `csv` crate): comma-separated; the first line is
/// the header; `\n`, `\r\n` or `\r` line ends; blank lines skipped; a UTF-8
/// byte-order mark is ignored; fields may be enclosed in double quotes (`""`
/// inside quotes is a literal quote; quoted fields may span lines). The column named `target` is the
/// target, every other column a feature, in file order. Every data cell must
/// parse as an `f64` (`1`, `-2.5e3`, `nan`, `inf` are accepted; an empty cell
/// is not). A bad cell is an [`Error::Format`] whose location names the line
/// (1-based, header = line 1) and the column name, e.g.
/// `line 3, column "age"`; a row with the wrong number of fields is an
/// [`Error::Format`] naming the line.
///
/// # Errors
/// As [`CsvChunks::new`] and [`CsvChunks`]' items; [`Error::EmptyInput`]
/// when there is a header but no data row.
///
/// # Example
/// ```
/// use oxilearn::data::parse_csv;
///
/// let ds = parse_csv("age,income\n30,1.5\n41,2.25\n".as_bytes(), "mem", "income")?;
/// assert_eq!(ds.feature_names, ["age"]);
/// assert_eq!(ds.targets.to_vec(), [1.5, 2.25]);
///
/// let err = parse_csv("age,income\n30,abc\n".as_bytes(), "mem", "income").unwrap_err();
/// assert!(err.to_string().contains(r#"line 2, column "income""#));
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn parse_csv<R: BufRead>(reader: R, source_name: &str, target: &str) -> Result<Dataset<f64>> {
    let mut chunks = CsvChunks::new(reader, source_name, target, usize::MAX)?;
    let feature_names = chunks.feature_names();
    let target_names = vec![chunks.target_name().to_string()];
    match chunks.next() {
        Some(Ok((records, targets))) => Dataset::new(records, targets, feature_names, target_names),
        Some(Err(e)) => Err(e),
        None => Err(Error::EmptyInput {
            what: "CSV (header but no data rows)",
        }),
    }
}

/// Loads a whole numeric CSV file into a dataset (dialect: see
/// [`parse_csv`]).
///
/// # Errors
/// [`Error::Io`] if the file cannot be read; otherwise as [`parse_csv`].
///
/// # Example
/// ```
/// use oxilearn::data::read_csv;
///
/// let path = std::env::temp_dir().join("oxilearn-doc-read.csv");
/// std::fs::write(&path, "x1,x2,y\n1,2,3\n4,5,6\n").unwrap();
/// let ds = read_csv(&path, "y")?;
/// assert_eq!(ds.records.dim(), (2, 2));
/// assert_eq!(ds.target_names, ["y"]);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), oxilearn::Error>(())
/// ```
pub fn read_csv(path: impl AsRef<Path>, target: &str) -> Result<Dataset<f64>> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    parse_csv(BufReader::new(file), &path.display().to_string(), target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, target: &str) -> Result<Dataset<f64>> {
        parse_csv(text.as_bytes(), "t.csv", target)
    }

    #[test]
    fn parses_quotes_crlf_blank_lines_and_target_anywhere() {
        let text = "\u{feff}\"a, first\",\"t\"\"x\",b\r\n1, 2 ,3\r\n\r\n\"4\",5e1,-6\r\n";
        let ds = parse(text, "t\"x").unwrap();
        assert_eq!(ds.feature_names, ["a, first", "b"]);
        assert_eq!(ds.records, ndarray::array![[1.0, 3.0], [4.0, -6.0]]);
        assert_eq!(ds.targets.to_vec(), [2.0, 50.0]);
        // A quoted field spanning two lines; the error after it names line 4.
        let e = parse("a,y\n\"1\n\",2\n3,x\n", "y").unwrap_err();
        assert!(e.to_string().contains("line 4, column \"y\""), "{e}");
    }

    #[test]
    fn bad_cell_names_line_and_column() {
        let e = parse("a,b,y\n1,2,3\n4,x7,6\n", "y").unwrap_err();
        match &e {
            Error::Format {
                location, reason, ..
            } => {
                assert_eq!(location.as_deref(), Some("line 3, column \"b\""));
                assert!(reason.contains("x7"));
            }
            other => panic!("{other:?}"),
        }
        let e = parse("a,y\n\n1,\n", "y").unwrap_err();
        assert!(e.to_string().contains("line 3, column \"y\""), "{e}");
        assert!(e.to_string().contains("empty cell"), "{e}");
    }

    #[test]
    fn structural_errors() {
        let ragged = parse("a,b,y\n1,2,3\n4,5\n", "y").unwrap_err();
        assert!(matches!(&ragged, Error::Format { location: Some(l), .. } if l == "line 3"));
        assert!(matches!(
            parse("a,b,y\n1,2,3,4\n", "y"),
            Err(Error::Format { .. })
        ));
        assert!(matches!(
            parse("a,b\n1,2\n", "y"),
            Err(Error::InvalidParameter { name: "target", .. })
        ));
        assert!(matches!(parse("", "y"), Err(Error::Format { .. })));
        assert!(matches!(parse("a,y\n", "y"), Err(Error::EmptyInput { .. })));
        assert!(matches!(
            parse("a,a,y\n1,2,3\n", "y"),
            Err(Error::Format { .. })
        ));
        // An unterminated quote runs to the end of the input (RFC 4180 has
        // no line limit): the header then has no column "y".
        assert!(matches!(
            parse("a,\"y\n1,2\n", "y"),
            Err(Error::InvalidParameter { name: "target", .. })
        ));
        assert!(matches!(
            parse_csv(&b"a,y\n1,\xff\n"[..], "t", "y"),
            Err(Error::Format { .. })
        ));
        assert!(matches!(
            CsvChunks::new("a,y\n".as_bytes(), "t", "y", 0),
            Err(Error::InvalidParameter {
                name: "chunk_rows",
                ..
            })
        ));
    }

    #[test]
    fn chunks_partition_the_rows_and_stop_after_error() {
        let mut text = String::from("x,y\n");
        for i in 0..10 {
            text.push_str(&format!("{i},{}\n", i * i));
        }
        let chunks: Vec<_> = CsvChunks::new(text.as_bytes(), "t", "y", 4)
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        let sizes: Vec<usize> = chunks.iter().map(|(x, _)| x.nrows()).collect();
        assert_eq!(sizes, [4, 4, 2]);
        assert_eq!(chunks[2].1.to_vec(), [64.0, 81.0]);
        let whole = parse(&text, "y").unwrap();
        assert_eq!(whole.records.column(0).sum(), 45.0);

        text.push_str("oops,1\n11,121\n");
        let mut it = CsvChunks::new(text.as_bytes(), "t", "y", 4).unwrap();
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_ok());
        let e = it.next().unwrap().unwrap_err();
        assert!(e.to_string().contains("line 12"), "{e}");
        assert!(it.next().is_none());
    }
}
