//! Output files: atomic CSV writers, number formatting, manifests.
//!
//! `output` is the only module that knows CSV and JSON. Every file is written
//! to a temporary name beside its destination and renamed only when complete,
//! so an interrupted run never leaves a truncated file that looks whole.
//! Numbers are written as plain decimals (no exponents) so that every
//! spreadsheet reads them the same way.

pub mod batch;
pub mod calibration;
pub mod compare;
pub mod manifest;

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// An I/O failure on a named file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct OutputError {
    /// The file or folder.
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: io::Error,
}

impl OutputError {
    /// Wraps an I/O error with its path.
    pub fn new(path: &Path, source: io::Error) -> OutputError {
        OutputError { path: path.to_path_buf(), source }
    }
}

impl From<csv::Error> for OutputError {
    fn from(e: csv::Error) -> Self {
        let path = PathBuf::from("(csv)");
        match e.into_kind() {
            csv::ErrorKind::Io(source) => OutputError { path, source },
            other => OutputError { path, source: io::Error::other(format!("{other:?}")) },
        }
    }
}

/// A file written under a temporary name and renamed into place by [`AtomicFile::commit`].
/// Dropping it uncommitted removes the temporary file.
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Creates `dest`'s temporary sibling (creating the folder if needed).
    pub fn create(dest: &Path) -> Result<AtomicFile, OutputError> {
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| OutputError::new(dir, e))?;
        }
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = dest.with_file_name(format!(".{name}.partial"));
        let file = File::create(&tmp).map_err(|e| OutputError::new(&tmp, e))?;
        Ok(AtomicFile {
            dest: dest.to_path_buf(),
            tmp,
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.dest
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let writer = self.writer.take().expect("an uncommitted file has a writer");
        let file = writer.into_inner().map_err(|e| OutputError::new(&self.tmp, e.into_error()))?;
        file.sync_all().map_err(|e| OutputError::new(&self.tmp, e))?;
        fs::rename(&self.tmp, &self.dest).map_err(|e| OutputError::new(&self.dest, e))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.as_mut().expect("writer present until commit").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.as_mut().expect("writer present until commit").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// A CSV writer over an [`AtomicFile`], with a header.
pub struct CsvFile {
    writer: csv::Writer<AtomicFile>,
    record: csv::ByteRecord,
    scratch: String,
    rows: u64,
}

impl CsvFile {
    /// Creates `dest` and writes its header.
    pub fn create<S: AsRef<str>>(dest: &Path, header: &[S]) -> Result<CsvFile, OutputError> {
        let file = AtomicFile::create(dest)?;
        let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(file);
        writer
            .write_record(header.iter().map(|h| h.as_ref()))
            .map_err(|e| OutputError::new(dest, io::Error::other(e)))?;
        Ok(CsvFile { writer, record: csv::ByteRecord::new(), scratch: String::new(), rows: 0 })
    }

    /// Appends a text field to the current row.
    pub fn text(&mut self, s: &str) -> &mut CsvFile {
        self.record.push_field(s.as_bytes());
        self
    }

    /// Appends an integer field.
    pub fn int(&mut self, x: impl itoa::Integer) -> &mut CsvFile {
        self.record.push_field(itoa::Buffer::new().format(x).as_bytes());
        self
    }

    /// Appends a decimal field (see [`decimal`]).
    pub fn num(&mut self, x: f64) -> &mut CsvFile {
        self.scratch.clear();
        decimal(&mut self.scratch, x);
        self.record.push_field(self.scratch.as_bytes());
        self
    }

    /// Appends an empty field (a value that does not exist, e.g. "never reached").
    pub fn empty(&mut self) -> &mut CsvFile {
        self.record.push_field(b"");
        self
    }

    /// Appends a number that may be missing.
    pub fn opt_num(&mut self, x: Option<f64>) -> &mut CsvFile {
        match x {
            Some(v) => self.num(v),
            None => self.empty(),
        }
    }

    /// Writes the current row and starts the next.
    pub fn end_row(&mut self) -> Result<(), OutputError> {
        self.rows += 1;
        let path = self.writer.get_ref().path().to_path_buf();
        let result = self
            .writer
            .write_byte_record(&self.record)
            .map_err(|e| OutputError::new(&path, io::Error::other(e)));
        self.record.clear();
        result
    }

    /// The final path of the file.
    pub fn path(&self) -> &Path {
        self.writer.get_ref().path()
    }

    /// Rows written so far (without the header).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and renames into place.
    pub fn commit(self) -> Result<(), OutputError> {
        let path = self.writer.get_ref().path().to_path_buf();
        let file = self.writer.into_inner().map_err(|e| OutputError::new(&path, e.into_error()))?;
        file.commit()
    }
}

/// Writes `x` as a plain decimal with at most six places and no trailing
/// zeros: `0.25`, `12`, `-0.000001`. Never an exponent, so every spreadsheet
/// reads it as a number. Non-finite values become an empty cell.
pub fn decimal(out: &mut String, x: f64) {
    if !x.is_finite() {
        return;
    }
    let start = out.len();
    let _ = write!(out, "{x:.6}");
    if out[start..].contains('.') {
        let trimmed = out[start..].trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(start + trimmed);
    }
    if &out[start..] == "-0" {
        out.truncate(start);
        out.push('0');
    }
}

/// `x` as a plain decimal string.
pub fn decimal_string(x: f64) -> String {
    let mut s = String::new();
    decimal(&mut s, x);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_plain() {
        for (x, s) in [
            (0.25, "0.25"),
            (12.0, "12"),
            (1e-7, "0"),
            (-1e-7, "0"),
            (1.0 / 3.0, "0.333333"),
            (1e12, "1000000000000"),
        ] {
            assert_eq!(decimal_string(x), s);
        }
        assert_eq!(decimal_string(f64::NAN), "");
    }

    #[test]
    fn atomic_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("x.csv");
        let mut f = CsvFile::create(&dest, &["a", "b"]).unwrap();
        f.int(1u32).num(0.5);
        f.end_row().unwrap();
        assert!(!dest.exists());
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&dest).unwrap(), "a,b\n1,0.5\n");
        let dropped = CsvFile::create(&dir.path().join("y.csv"), &["a"]).unwrap();
        drop(dropped);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "an uncommitted file leaves nothing behind");
    }
}
