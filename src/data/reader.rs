//! [`CsvReader`]: CSV (or any delimited text) with a header row → a typed
//! [`Table`], whole or in chunks ([`TableChunks`]).
//!
//! Parsing is the `csv` crate's (RFC 4180: quoted fields may hold delimiters,
//! line breaks and doubled quotes; `\n`, `\r\n` or `\r` line ends; a UTF-8
//! byte-order mark is skipped). This module adds what a data-cleaning
//! workflow needs on top:
//!
//! - **Missing values**: a cell equal to one of the missing tokens (default:
//!   empty, `NA`, `N/A`, `NaN`, `null`, `?`; compared after trimming) is
//!   missing — NaN in a numeric column, `None` otherwise.
//! - **Type inference**, per column, over the non-missing cells: all parse as
//!   `f64` → [`ColumnType::Numeric`]; else all are `true`/`false` (any case)
//!   → [`ColumnType::Boolean`]; else [`ColumnType::Categorical`]. A column
//!   with no value at all is numeric (all NaN). Any column's type can be
//!   forced with [`CsvReader::column_type`].
//! - **gzip** input is recognised by its magic bytes.
//! - **Errors** are [`Error::Format`] whose location names the line (1-based,
//!   header = line 1) and, for a cell, the column: a row with another number
//!   of fields than the header, bytes that are not UTF-8, a cell that does not
//!   fit its forced (or, in chunks, inferred) type. Nothing panics on any
//!   input (fuzzed).
//!
//! # Example
//! ```
//! use oxilearn::data::{ColumnType, CsvReader};
//!
//! let text = "species,island,mass,male\nAdelie,Dream,3750,true\nGentoo,NA,,false\nAdelie,\"Bis, coe\",5000,?\n";
//! let t = CsvReader::new().parse(text.as_bytes(), "penguins.csv")?;
//! assert_eq!(
//!     t.column_types(),
//!     [ColumnType::Categorical, ColumnType::Categorical, ColumnType::Numeric, ColumnType::Boolean]
//! );
//! assert_eq!(t.missing_counts().iter().map(|(_, n)| *n).collect::<Vec<_>>(), [0, 1, 1, 1]);
//! assert_eq!(t.column("island").unwrap().text(2).as_deref(), Some("Bis, coe"));
//!
//! // Bad rows name their line and column.
//! let err = CsvReader::new()
//!     .column_type("mass", ColumnType::Numeric)
//!     .parse("mass\n1\nheavy\n".as_bytes(), "m.csv")
//!     .unwrap_err();
//! assert_eq!(err.to_string(), r#"format error in m.csv at line 3, column "mass": cannot parse "heavy" as numeric"#);
//! # Ok::<(), oxilearn::Error>(())
//! ```

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use ndarray::Array1;

use super::table::{Column, ColumnType, Table};
use crate::error::{Error, Result};

/// The missing-value tokens used unless [`CsvReader::missing_values`] says
/// otherwise.
pub const DEFAULT_MISSING: [&str; 6] = ["", "NA", "N/A", "NaN", "null", "?"];

/// Rows read to infer column types before the first chunk of a
/// [`TableChunks`] stream, unless [`CsvReader::infer_rows`] says otherwise.
pub const DEFAULT_INFER_ROWS: usize = 10_000;

/// Options for reading delimited text into a [`Table`] (see the
/// [module docs](crate::data) for the rules).
///
/// # Example
/// ```
/// use oxilearn::data::{ColumnType, CsvReader};
///
/// let t = CsvReader::new()
///     .delimiter(b';')
///     .missing_values(["-", ""])
///     .column_type("zip", ColumnType::Categorical)
///     .parse("zip;price\n01234;1,5\n-;2\n".as_bytes(), "mem")?;
/// assert_eq!(t.column("zip").unwrap().text(0).as_deref(), Some("01234"));
/// assert_eq!(t.column_type("price"), Some(ColumnType::Categorical)); // "1,5" is not a number
/// assert_eq!(t.column("zip").unwrap().n_missing(), 1);
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CsvReader {
    delimiter: u8,
    quote: u8,
    escape: Option<u8>,
    double_quote: bool,
    comment: Option<u8>,
    trim: bool,
    missing: Vec<String>,
    types: Vec<(String, ColumnType)>,
    infer_rows: usize,
}

impl Default for CsvReader {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvReader {
    /// RFC 4180 defaults: comma, double quotes (doubled inside quotes), no
    /// escape character, no comments, cells trimmed, the
    /// [`DEFAULT_MISSING`] tokens, every type inferred.
    pub fn new() -> Self {
        CsvReader {
            delimiter: b',',
            quote: b'"',
            escape: None,
            double_quote: true,
            comment: None,
            trim: true,
            missing: DEFAULT_MISSING.iter().map(|s| s.to_string()).collect(),
            types: Vec::new(),
            infer_rows: DEFAULT_INFER_ROWS,
        }
    }

    /// The field delimiter. Default `b','` (use `b'\t'` for TSV).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// The quote character. Default `b'"'`.
    pub fn quote(mut self, quote: u8) -> Self {
        self.quote = quote;
        self
    }

    /// An escape character for quotes inside quoted fields (e.g. `b'\\'`).
    /// Default `None`: a quote inside quotes is written twice, as RFC 4180.
    pub fn escape(mut self, escape: Option<u8>) -> Self {
        self.escape = escape;
        self
    }

    /// Whether a doubled quote inside a quoted field is a literal quote.
    /// Default `true`.
    pub fn double_quote(mut self, yes: bool) -> Self {
        self.double_quote = yes;
        self
    }

    /// Lines starting with this byte are skipped. Default `None`.
    pub fn comment(mut self, comment: Option<u8>) -> Self {
        self.comment = comment;
        self
    }

    /// Whether whitespace around each cell (and header name) is removed.
    /// Default `true`.
    pub fn trim(mut self, yes: bool) -> Self {
        self.trim = yes;
        self
    }

    /// The cells that mean "missing" (compared after trimming). Default
    /// [`DEFAULT_MISSING`].
    pub fn missing_values<S: Into<String>>(mut self, tokens: impl IntoIterator<Item = S>) -> Self {
        self.missing = tokens.into_iter().map(Into::into).collect();
        self
    }

    /// Forces the type of column `name` instead of inferring it (a later call
    /// for the same name wins). A cell that does not fit is an error.
    pub fn column_type(mut self, name: &str, ty: ColumnType) -> Self {
        self.types.retain(|(n, _)| n != name);
        self.types.push((name.to_string(), ty));
        self
    }

    /// How many rows a [`TableChunks`] stream reads ahead to infer column
    /// types (a whole-file read infers from every row). Default
    /// [`DEFAULT_INFER_ROWS`]; must be ≥ 1.
    pub fn infer_rows(mut self, n: usize) -> Self {
        self.infer_rows = n;
        self
    }

    /// Reads a whole file (plain or gzip) into a table.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read; otherwise as
    /// [`parse`](Self::parse).
    ///
    /// # Example
    /// ```
    /// use oxilearn::data::CsvReader;
    ///
    /// let path = std::env::temp_dir().join("oxilearn-doc-table.csv");
    /// std::fs::write(&path, "a,b\n1,x\n2,y\n").unwrap();
    /// let t = CsvReader::new().read(&path)?;
    /// assert_eq!((t.n_rows(), t.source_name()), (2, Some(path.display().to_string().as_str())));
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn read(&self, path: impl AsRef<Path>) -> Result<Table> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        self.parse(file, &path.display().to_string())
            .map_err(|e| with_path(e, path))
    }

    /// Reads everything from `reader` (plain or gzip) into a table;
    /// `source_name` names the input in errors. Types are inferred from
    /// every row.
    ///
    /// # Errors
    /// [`Error::Format`] (with line and column) for an empty input, a
    /// duplicate column name, a row of another length than the header,
    /// non-UTF-8 bytes, or a cell that does not fit its forced type;
    /// [`Error::InvalidParameter`] (`"column_type"`) for a forced type of a
    /// column that does not exist; [`Error::Io`] for read failures.
    pub fn parse<R: Read>(&self, reader: R, source_name: &str) -> Result<Table> {
        let mut rows = Rows::new(self, reader, source_name)?;
        let mut records = Vec::new();
        while let Some(rec) = rows.next_record()? {
            records.push(rec);
        }
        let types = rows.infer(&records);
        rows.build(&records, &types)
    }

    /// Opens a file (plain or gzip) as a stream of tables of at most
    /// `chunk_rows` rows each, for files larger than memory.
    ///
    /// # Errors
    /// As [`chunks`](Self::chunks), and [`Error::Io`] if the file cannot be
    /// opened.
    pub fn open_chunks(
        &self,
        path: impl AsRef<Path>,
        chunk_rows: usize,
    ) -> Result<TableChunks<File>> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        self.chunks(file, &path.display().to_string(), chunk_rows)
    }

    /// A stream of tables of at most `chunk_rows` rows each from `reader`
    /// (plain or gzip). Column types are inferred from the first
    /// [`infer_rows`](Self::infer_rows) rows (read ahead now) and then fixed:
    /// a later cell that does not fit is an error naming its line and column
    /// (force the column's type to avoid it). Only those rows and one chunk
    /// are held in memory at a time.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] (`"chunk_rows"`, `"infer_rows"`) when 0;
    /// otherwise as [`parse`](Self::parse) for the header and the rows read
    /// ahead.
    ///
    /// # Example
    /// ```
    /// use oxilearn::data::CsvReader;
    ///
    /// let text = "x,c\n1,a\n2,b\n3,a\n4,c\n5,b\n";
    /// let sizes: Vec<usize> = CsvReader::new()
    ///     .chunks(text.as_bytes(), "mem", 2)?
    ///     .map(|t| t.map(|t| t.n_rows()))
    ///     .collect::<oxilearn::Result<_>>()?;
    /// assert_eq!(sizes, [2, 2, 1]);
    /// # Ok::<(), oxilearn::Error>(())
    /// ```
    pub fn chunks<R: Read>(
        &self,
        reader: R,
        source_name: &str,
        chunk_rows: usize,
    ) -> Result<TableChunks<R>> {
        if chunk_rows == 0 {
            return Err(Error::invalid("chunk_rows", "must be >= 1, got 0"));
        }
        if self.infer_rows == 0 {
            return Err(Error::invalid("infer_rows", "must be >= 1, got 0"));
        }
        let mut rows = Rows::new(self, reader, source_name)?;
        let mut ahead = Vec::new();
        while ahead.len() < self.infer_rows {
            match rows.next_record()? {
                Some(rec) => ahead.push(rec),
                None => break,
            }
        }
        let types = rows.infer(&ahead);
        Ok(TableChunks {
            rows,
            types,
            ahead: ahead.into_iter(),
            chunk_rows,
            done: false,
        })
    }
}

/// Adds the path to an I/O error that has none.
fn with_path(e: Error, path: &Path) -> Error {
    match e {
        Error::Io { path: None, source } => Error::io(path, source),
        other => other,
    }
}

/// A stream of [`Table`] chunks with fixed column types (see
/// [`CsvReader::chunks`]). Stops after the first error.
///
/// # Example
/// ```
/// use oxilearn::data::CsvReader;
///
/// let mut chunks = CsvReader::new().chunks("a\n1\n2\n3\n".as_bytes(), "mem", 2)?;
/// assert_eq!(chunks.names(), ["a"]);
/// let mut all = chunks.next().unwrap()?;
/// all.append(chunks.next().unwrap()?)?;
/// assert_eq!(all.n_rows(), 3);
/// assert!(chunks.next().is_none());
/// # Ok::<(), oxilearn::Error>(())
/// ```
#[derive(Debug)]
pub struct TableChunks<R: Read> {
    rows: Rows<R>,
    types: Vec<ColumnType>,
    ahead: std::vec::IntoIter<Record>,
    chunk_rows: usize,
    done: bool,
}

impl<R: Read> TableChunks<R> {
    /// Column names, from the header.
    pub fn names(&self) -> &[String] {
        &self.rows.names
    }

    /// Column types, inferred from the rows read ahead or forced.
    pub fn column_types(&self) -> &[ColumnType] {
        &self.types
    }

    fn next_chunk(&mut self) -> Result<Option<Table>> {
        let mut records = Vec::with_capacity(self.chunk_rows.min(4096));
        while records.len() < self.chunk_rows {
            if let Some(rec) = self.ahead.next() {
                records.push(rec);
                continue;
            }
            match self.rows.next_record()? {
                Some(rec) => records.push(rec),
                None => break,
            }
        }
        if records.is_empty() {
            return Ok(None);
        }
        self.rows.build(&records, &self.types).map(Some)
    }
}

impl<R: Read> Iterator for TableChunks<R> {
    type Item = Result<Table>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let out = self.next_chunk();
        if !matches!(out, Ok(Some(_))) {
            self.done = true;
        }
        out.transpose()
    }
}

impl<R: Read> std::iter::FusedIterator for TableChunks<R> {}

/// Plain or gzip-compressed bytes, decided by the first two bytes.
enum Input<R: Read> {
    Plain(BufReader<R>),
    Gzip(Box<flate2::bufread::MultiGzDecoder<BufReader<R>>>),
}

impl<R: Read> Input<R> {
    fn new(reader: R) -> Result<Self> {
        let mut buf = BufReader::with_capacity(1 << 16, reader);
        let head = buf.fill_buf()?;
        Ok(if head.starts_with(&[0x1f, 0x8b]) {
            Input::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(buf)))
        } else {
            Input::Plain(buf)
        })
    }
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Input::Plain(r) => r.read(out),
            Input::Gzip(r) => r.read(out),
        }
    }
}

/// Counts line breaks (`\n`, `\r\n`, or a lone `\r`) in the bytes the `csv`
/// crate reads, so the line on which a record starts can be found from the
/// record's byte offset. (The `csv` crate's own line numbers do not count
/// line breaks inside quoted fields nor skipped blank lines.)
pub(crate) struct LineCounter<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// Offsets of line breaks read but not yet passed by a query.
    breaks: std::collections::VecDeque<u64>,
    /// Line breaks before the last queried offset.
    passed: u64,
    /// Whether the last byte read was `\r` (its break is decided by the next byte).
    pending_cr: Option<u64>,
}

impl<R: Read> LineCounter<R> {
    pub(crate) fn new(inner: R) -> Self {
        LineCounter {
            inner,
            offset: 0,
            breaks: std::collections::VecDeque::new(),
            passed: 0,
            pending_cr: None,
        }
    }

    /// The 1-based line on which byte `offset` lies (offsets queried in
    /// non-decreasing order).
    fn line_at(&mut self, offset: u64) -> u64 {
        while self.breaks.front().is_some_and(|&b| b < offset) {
            self.breaks.pop_front();
            self.passed += 1;
        }
        let cr = u64::from(self.pending_cr.is_some_and(|b| b < offset));
        self.passed + cr + 1
    }

    /// The line on which `record` starts, given the reader's byte offset
    /// `end` just after it: the line of its last byte, less the line breaks
    /// inside its (quoted) fields.
    pub(crate) fn record_line(&mut self, end: u64, record: &csv::ByteRecord) -> u64 {
        let last = self.line_at(end.saturating_sub(1));
        let mut inside = 0u64;
        for field in record.iter() {
            let mut prev_cr = false;
            for &b in field {
                if b == b'\n' || prev_cr {
                    inside += 1;
                }
                // A `\r\n` pair counts once (at its `\n`).
                if b == b'\n' && prev_cr {
                    inside -= 1;
                }
                prev_cr = b == b'\r';
            }
            inside += u64::from(prev_cr);
        }
        last.saturating_sub(inside).max(1)
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        for (k, &b) in out[..n].iter().enumerate() {
            let at = self.offset + k as u64;
            if let Some(cr) = self.pending_cr.take()
                && b != b'\n'
            {
                self.breaks.push_back(cr);
            }
            match b {
                b'\n' => self.breaks.push_back(at),
                b'\r' => self.pending_cr = Some(at),
                _ => {}
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// One data row: its cells (trimmed when asked, missing tokens as `None`)
/// and the line it starts on.
#[derive(Debug)]
struct Record {
    cells: Vec<Option<String>>,
    line: u64,
}

/// The csv reader, header and options shared by whole reads and chunks.
struct Rows<R: Read> {
    reader: csv::Reader<LineCounter<Input<R>>>,
    source_name: String,
    names: Vec<String>,
    forced: Vec<Option<ColumnType>>,
    missing: HashSet<String>,
    trim: bool,
    record: csv::ByteRecord,
}

impl<R: Read> std::fmt::Debug for Rows<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("source_name", &self.source_name)
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl<R: Read> Rows<R> {
    fn new(opts: &CsvReader, reader: R, source_name: &str) -> Result<Self> {
        let input = Input::new(reader)?;
        let reader = csv::ReaderBuilder::new()
            .delimiter(opts.delimiter)
            .quote(opts.quote)
            .escape(opts.escape)
            .double_quote(opts.double_quote)
            .comment(opts.comment)
            .has_headers(false)
            .flexible(true)
            .from_reader(LineCounter::new(input));
        let mut me = Rows {
            reader,
            source_name: source_name.to_string(),
            names: Vec::new(),
            forced: Vec::new(),
            missing: opts.missing.iter().cloned().collect(),
            trim: opts.trim,
            record: csv::ByteRecord::new(),
        };
        if !me.read_raw()? {
            return Err(Error::format(source_name, "empty input: no header row"));
        }
        let line = me.line();
        let mut names = Vec::with_capacity(me.record.len());
        let mut seen = HashSet::new();
        for (j, field) in me.record.iter().enumerate() {
            let name = std::str::from_utf8(field).map_err(|e| {
                me.error(
                    line,
                    None,
                    format!("header field {} is not UTF-8: {e}", j + 1),
                )
            })?;
            let name = if me.trim { name.trim() } else { name };
            if !seen.insert(name.to_string()) {
                return Err(me.error(line, None, format!("duplicate column name {name:?}")));
            }
            names.push(name.to_string());
        }
        for (name, _) in &opts.types {
            if !names.contains(name) {
                return Err(Error::invalid(
                    "column_type",
                    format!("no column named {name:?} in {source_name}; columns are {names:?}"),
                ));
            }
        }
        me.forced = names
            .iter()
            .map(|n| opts.types.iter().find(|(m, _)| m == n).map(|&(_, t)| t))
            .collect();
        me.names = names;
        Ok(me)
    }

    fn line(&mut self) -> u64 {
        let end = self.reader.position().byte();
        self.reader.get_mut().record_line(end, &self.record)
    }

    fn error(&self, line: u64, column: Option<&str>, reason: String) -> Error {
        let location = match column {
            Some(c) => format!("line {line}, column {c:?}"),
            None => format!("line {line}"),
        };
        Error::Format {
            source_name: self.source_name.clone(),
            location: Some(location),
            reason,
        }
    }

    /// Reads the next raw record; `false` at the end.
    fn read_raw(&mut self) -> Result<bool> {
        self.reader
            .read_byte_record(&mut self.record)
            .map_err(|e| csv_error(e, &self.source_name))
    }

    /// The next data row, with its cells decoded and missing tokens mapped.
    fn next_record(&mut self) -> Result<Option<Record>> {
        if !self.read_raw()? {
            return Ok(None);
        }
        let line = self.line();
        if self.record.len() != self.names.len() {
            return Err(self.error(
                line,
                None,
                format!(
                    "expected {} fields (as in the header), found {}",
                    self.names.len(),
                    self.record.len()
                ),
            ));
        }
        let mut cells = Vec::with_capacity(self.names.len());
        for (j, field) in self.record.iter().enumerate() {
            let text = std::str::from_utf8(field).map_err(|e| {
                self.error(line, Some(&self.names[j]), format!("invalid UTF-8: {e}"))
            })?;
            let text = if self.trim { text.trim() } else { text };
            cells.push((!self.missing.contains(text)).then(|| text.to_string()));
        }
        Ok(Some(Record { cells, line }))
    }

    /// Forced types, or types inferred from `records`.
    fn infer(&self, records: &[Record]) -> Vec<ColumnType> {
        (0..self.names.len())
            .map(|j| {
                self.forced[j].unwrap_or_else(|| {
                    let mut values = records.iter().filter_map(|r| r.cells[j].as_deref());
                    if values.clone().all(|v| parse_number(v).is_some()) {
                        ColumnType::Numeric
                    } else if values.all(|v| parse_bool(v).is_some()) {
                        ColumnType::Boolean
                    } else {
                        ColumnType::Categorical
                    }
                })
            })
            .collect()
    }

    /// A table of `records` with the given column types.
    fn build(&self, records: &[Record], types: &[ColumnType]) -> Result<Table> {
        let mut columns = Vec::with_capacity(types.len());
        for (j, &ty) in types.iter().enumerate() {
            let cells = records.iter().map(|r| (r.cells[j].as_deref(), r.line));
            let bad = |line: u64, v: &str| {
                self.error(
                    line,
                    Some(&self.names[j]),
                    format!("cannot parse {v:?} as {ty}"),
                )
            };
            let col = match ty {
                ColumnType::Numeric => Column::Numeric(
                    cells
                        .map(|(c, line)| match c {
                            None => Ok(f64::NAN),
                            Some(v) => parse_number(v).ok_or_else(|| bad(line, v)),
                        })
                        .collect::<Result<Array1<f64>>>()?,
                ),
                ColumnType::Boolean => Column::Boolean(
                    cells
                        .map(|(c, line)| match c {
                            None => Ok(None),
                            Some(v) => parse_bool(v).map(Some).ok_or_else(|| bad(line, v)),
                        })
                        .collect::<Result<Vec<_>>>()?,
                ),
                ColumnType::Categorical => {
                    Column::Categorical(cells.map(|(c, _)| c.map(str::to_string)).collect())
                }
            };
            columns.push((self.names[j].clone(), col));
        }
        let lines = records.iter().map(|r| r.line).collect();
        let mut t = Table::new(columns)?;
        if types.is_empty() {
            // A header of zero columns cannot happen (a record has ≥ 1 field).
            return Ok(t);
        }
        t = t.with_provenance(&self.source_name, lines);
        Ok(t)
    }
}

/// `v` as a number (Rust's `f64` syntax: `1`, `-2.5e3`, `inf`, `nan` …).
fn parse_number(v: &str) -> Option<f64> {
    v.parse().ok()
}

/// `v` as a boolean: `true` / `false` in any case.
fn parse_bool(v: &str) -> Option<bool> {
    if v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A `csv` crate error as ours: corrupt or truncated (gzip) bytes are a
/// format error, other I/O failures stay I/O, anything else is a format
/// error at its line.
pub(crate) fn csv_error(e: csv::Error, source_name: &str) -> Error {
    use std::io::ErrorKind as K;
    let line = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io)
            if matches!(
                io.kind(),
                K::InvalidData | K::InvalidInput | K::UnexpectedEof
            ) =>
        {
            Error::format(source_name, format!("corrupt or truncated input: {io}"))
        }
        csv::ErrorKind::Io(io) => Error::Io {
            path: None,
            source: io,
        },
        other => Error::Format {
            source_name: source_name.to_string(),
            location: line.map(|l| format!("line {l}")),
            reason: format!("{other:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn parse(text: &[u8]) -> Result<Table> {
        CsvReader::new().parse(text, "t.csv")
    }

    fn location(e: &Error) -> Option<&str> {
        match e {
            Error::Format { location, .. } => location.as_deref(),
            _ => None,
        }
    }

    #[test]
    fn infers_types_and_missing_values() {
        let t = parse(b"n,c,b,empty,mixed\n1,a,TRUE,,1\n NA ,b,false,?,x\n-2.5e1,?,null,NA,true\n")
            .unwrap();
        assert_eq!(
            t.column_types(),
            [
                ColumnType::Numeric,
                ColumnType::Categorical,
                ColumnType::Boolean,
                ColumnType::Numeric,
                ColumnType::Categorical
            ]
        );
        let n = t.column("n").unwrap().as_numeric().unwrap();
        assert_eq!((n[0], n[2]), (1.0, -25.0));
        assert!(n[1].is_nan());
        assert_eq!(
            t.column("b").unwrap().as_boolean().unwrap(),
            [Some(true), Some(false), None]
        );
        assert_eq!(t.column("c").unwrap().as_categorical().unwrap()[2], None);
        assert_eq!(t.column("empty").unwrap().n_missing(), 3);
        assert_eq!(t.line_of_row(2), Some(4));
        assert_eq!(t.source_name(), Some("t.csv"));
    }

    #[test]
    fn rfc4180_quoting_crlf_bom_and_multiline_fields() {
        let text =
            "\u{feff}\"a, first\",\"t\"\"x\"\r\n\"line\nbreak\",2\r\n\r\nplain,\"3\"\r\nlast,4\r\n";
        let t = parse(text.as_bytes()).unwrap();
        assert_eq!(t.names(), ["a, first", "t\"x"]);
        assert_eq!(
            t.column("a, first").unwrap().text(0).as_deref(),
            Some("line\nbreak")
        );
        assert_eq!(
            t.column("t\"x").unwrap().to_f64().unwrap().to_vec(),
            [2.0, 3.0, 4.0]
        );
        // The row after the two-line field starts on line 5 (blank line 4 skipped).
        assert_eq!((t.line_of_row(1), t.line_of_row(2)), (Some(5), Some(6)));
        // Old Mac line ends, a blank line, and an error after a quoted line break.
        let e = parse(b"a,b\r1,\"x\ry\"\r\r3,x,9\r").unwrap_err();
        assert_eq!(location(&e), Some("line 5"));
        let t = parse(b"a,b\n\n\n1,2").unwrap();
        assert_eq!(t.line_of_row(0), Some(4));
    }

    #[test]
    fn dialect_options() {
        let t = CsvReader::new()
            .delimiter(b'\t')
            .quote(b'\'')
            .escape(Some(b'\\'))
            .comment(Some(b'#'))
            .trim(false)
            .missing_values(["-"])
            .parse("# note\na\tb\n'x\\'y'\t-\n ?\t2\n".as_bytes(), "t")
            .unwrap();
        assert_eq!(t.column("a").unwrap().text(0).as_deref(), Some("x'y"));
        assert_eq!(t.column("a").unwrap().text(1).as_deref(), Some(" ?"));
        assert_eq!(t.column_type("b"), Some(ColumnType::Numeric));
        assert_eq!(t.column("b").unwrap().n_missing(), 1);
    }

    #[test]
    fn forced_types() {
        let r = CsvReader::new()
            .column_type("zip", ColumnType::Categorical)
            .column_type("flag", ColumnType::Boolean);
        let t = r
            .parse("zip,flag\n007,true\n,FALSE\n".as_bytes(), "t")
            .unwrap();
        assert_eq!(t.column("zip").unwrap().text(0).as_deref(), Some("007"));
        assert_eq!(t.column("zip").unwrap().n_missing(), 1);
        let e = r.parse("zip,flag\n1,yes\n".as_bytes(), "t").unwrap_err();
        assert_eq!(location(&e), Some("line 2, column \"flag\""));
        assert!(matches!(
            CsvReader::new()
                .column_type("nope", ColumnType::Numeric)
                .parse("a\n1\n".as_bytes(), "t"),
            Err(Error::InvalidParameter {
                name: "column_type",
                ..
            })
        ));
    }

    #[test]
    fn bad_input_is_a_typed_error_with_line_and_column() {
        let ragged = parse(b"a,b,c\n1,2,3\n4,5\n").unwrap_err();
        assert_eq!(location(&ragged), Some("line 3"));
        assert!(ragged.to_string().contains("expected 3 fields"), "{ragged}");
        let long = parse(b"a,b\n1,2,3\n").unwrap_err();
        assert_eq!(location(&long), Some("line 2"));
        let utf8 = parse(b"a,b\n1,2\n3,\xff\n").unwrap_err();
        assert_eq!(location(&utf8), Some("line 3, column \"b\""));
        let header = parse(b"a,\xfe\n").unwrap_err();
        assert_eq!(location(&header), Some("line 1"));
        assert!(matches!(parse(b""), Err(Error::Format { .. })));
        assert!(matches!(parse(b"a,a\n1,2\n"), Err(Error::Format { .. })));
        // A header only: a table of zero rows.
        let t = parse(b"a,b\n").unwrap();
        assert_eq!((t.n_rows(), t.n_columns()), (0, 2));
    }

    #[test]
    fn penguins_lines_and_types() {
        let t = crate::datasets::penguins();
        assert_eq!(t.line_of_row(0), Some(2));
        assert_eq!(t.line_of_row(343), Some(345));
        assert_eq!(
            t.column_types(),
            [
                ColumnType::Categorical,
                ColumnType::Categorical,
                ColumnType::Numeric,
                ColumnType::Numeric,
                ColumnType::Numeric,
                ColumnType::Numeric,
                ColumnType::Categorical,
                ColumnType::Numeric
            ]
        );
        let counts: Vec<usize> = t.missing_counts().into_iter().map(|(_, n)| n).collect();
        assert_eq!(counts, [0, 0, 2, 2, 2, 2, 11, 0]);
        // The 4th penguin has no measurements: its sex is missing on line 5.
        let e = t.split_target("sex").unwrap_err();
        assert_eq!(
            e.to_string(),
            "missing value in penguins.csv at line 5, column \"sex\""
        );
    }

    #[test]
    fn gzip_input_and_files() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"a,b\n1,x\n2,y\n").unwrap();
        let bytes = gz.finish().unwrap();
        let t = parse(&bytes).unwrap();
        assert_eq!(
            (t.n_rows(), t.column_type("b")),
            (2, Some(ColumnType::Categorical))
        );
        // A truncated gzip stream is a format error, not a panic.
        assert!(matches!(
            parse(&bytes[..bytes.len() - 10]),
            Err(Error::Format { .. })
        ));
        let path =
            std::env::temp_dir().join(format!("oxilearn-reader-{}.csv.gz", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            CsvReader::new().read(&path).unwrap(),
            t.clone()
                .with_provenance(&path.display().to_string(), vec![2, 3])
        );
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            CsvReader::new().read(&path),
            Err(Error::Io { path: Some(_), .. })
        ));
    }

    #[test]
    fn chunks_agree_with_whole_read_and_fix_types() {
        let mut text = String::from("i,c,b\n");
        for i in 0..10 {
            text.push_str(&format!("{i},{},{}\n", ["x", "y", "NA"][i % 3], i % 2 == 0));
        }
        let whole = parse(text.as_bytes()).unwrap();
        let mut it = CsvReader::new()
            .infer_rows(3)
            .chunks(text.as_bytes(), "t.csv", 4)
            .unwrap();
        assert_eq!(it.column_types(), whole.column_types().as_slice());
        let mut all = it.next().unwrap().unwrap();
        for chunk in it {
            all.append(chunk.unwrap()).unwrap();
        }
        assert_eq!(all, whole);
        // A cell that does not fit the type inferred from the first rows.
        text.push_str("oops,z,true\n");
        let mut it = CsvReader::new()
            .infer_rows(2)
            .chunks(text.as_bytes(), "t.csv", 4)
            .unwrap();
        assert!(it.next().unwrap().is_ok());
        assert!(it.next().unwrap().is_ok());
        let e = it.next().unwrap().unwrap_err();
        assert_eq!(location(&e), Some("line 12, column \"i\""));
        assert!(it.next().is_none());
        assert!(matches!(
            CsvReader::new().chunks(text.as_bytes(), "t", 0),
            Err(Error::InvalidParameter {
                name: "chunk_rows",
                ..
            })
        ));
        assert!(matches!(
            CsvReader::new()
                .infer_rows(0)
                .chunks(text.as_bytes(), "t", 1),
            Err(Error::InvalidParameter {
                name: "infer_rows",
                ..
            })
        ));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_and_chunks_agree(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"ab1.,\"\r\n ?NA\xff-".to_vec()), 0..200)
        ) {
            let whole = parse(&bytes);
            if let Err(e) = &whole {
                proptest::prop_assert!(matches!(e, Error::Format { .. }), "{e:?}");
            }
            if let Ok(chunks) = CsvReader::new().infer_rows(usize::MAX).chunks(&bytes[..], "t.csv", 2) {
                let parts: Result<Vec<Table>> = chunks.collect();
                if let (Ok(t), Ok(parts)) = (&whole, parts) {
                    let mut it = parts.into_iter();
                    if let Some(mut all) = it.next() {
                        for p in it {
                            all.append(p).unwrap();
                        }
                        proptest::prop_assert_eq!(format!("{all:?}"), format!("{t:?}"));
                    } else {
                        proptest::prop_assert_eq!(t.n_rows(), 0);
                    }
                }
            }
        }
    }
}
