//! Rows of finished CSV files read back, for `detente merge`: shard folders
//! are joined by copying their rows byte for byte into the merged files, so
//! the reader hands out raw records and never reinterprets a number.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{FileMark, OutputError};

/// A reader that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
    len: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

/// Reads a CSV file's rows (header skipped) one at a time, with a look ahead.
pub struct RowReader {
    path: PathBuf,
    reader: csv::Reader<Hashing<std::fs::File>>,
    peeked: Option<csv::ByteRecord>,
    mark: Option<FileMark>,
}

impl RowReader {
    /// Opens `path`, which must start with a header row.
    pub fn open(path: &Path) -> Result<RowReader, OutputError> {
        let file = std::fs::File::open(path)
            .map_err(|e| OutputError::new(path, std::io::Error::other(format!("cannot read: {e}"))))?;
        let reader = csv::ReaderBuilder::new().has_headers(true).from_reader(Hashing {
            inner: file,
            hash: Sha256::new(),
            len: 0,
        });
        Ok(RowReader { path: path.to_path_buf(), reader, peeked: None, mark: None })
    }

    /// Opens `path`, which its shard's state describes by `mark`: a length
    /// that differs fails here, content that differs in [`RowReader::verify`].
    pub fn open_checked(path: &Path, mark: &FileMark) -> Result<RowReader, OutputError> {
        let len = std::fs::metadata(path).map_err(|e| OutputError::new(path, e))?.len();
        if len != mark.len {
            return Err(tampered(
                path,
                &format!("it holds {len} bytes, its shard's state records {}", mark.len),
            ));
        }
        let mut reader = RowReader::open(path)?;
        reader.mark = Some(mark.clone());
        Ok(reader)
    }

    /// After the last row: checks the file's bytes against its mark.
    pub fn verify(&mut self) -> Result<(), OutputError> {
        let Some(mark) = self.mark.clone() else { return Ok(()) };
        if self.peek()?.is_some() {
            return Err(tampered(&self.path, "it holds rows after those of its slice"));
        }
        let inner = self.reader.get_ref();
        let sha: String = inner.hash.clone().finalize().iter().map(|x| format!("{x:02x}")).collect();
        if inner.len != mark.len || sha != mark.sha256 {
            return Err(tampered(&self.path, "its SHA-256 differs from the one its shard's state records"));
        }
        Ok(())
    }

    /// The next row without taking it.
    pub fn peek(&mut self) -> Result<Option<&csv::ByteRecord>, OutputError> {
        if self.peeked.is_none() {
            let mut record = csv::ByteRecord::new();
            let more = self.reader.read_byte_record(&mut record).map_err(|e| {
                OutputError::new(&self.path, std::io::Error::other(format!("unreadable row: {e}")))
            })?;
            if more {
                self.peeked = Some(record);
            }
        }
        Ok(self.peeked.as_ref())
    }

    /// The next row, if there is one.
    pub fn next_row(&mut self) -> Result<Option<csv::ByteRecord>, OutputError> {
        self.peek()?;
        Ok(self.peeked.take())
    }

    /// The next row if its first two cells are `key` (scenario, variant, as
    /// the CSV writer wrote them: neutralised, see [`super::cell`]): the rows
    /// of one job of a batch.
    pub fn next_of(&mut self, key: (&str, &str)) -> Result<Option<csv::ByteRecord>, OutputError> {
        let (a, b) = (super::cell::neutralise(key.0), super::cell::neutralise(key.1));
        let matches =
            self.peek()?.is_some_and(|r| r.get(0) == Some(a.as_bytes()) && r.get(1) == Some(b.as_bytes()));
        Ok(if matches { self.peeked.take() } else { None })
    }
}

fn tampered(path: &Path, why: &str) -> OutputError {
    OutputError::new(
        path,
        std::io::Error::other(format!(
            "does not match its shard's state ({why}): edited, truncated or replaced"
        )),
    )
}

/// Copies every row of the CSV file `path` (header skipped) to `write`,
/// checking the file against `mark` when given; returns the row count.
pub fn copy_rows(
    path: &Path,
    mark: Option<&FileMark>,
    mut write: impl FnMut(&csv::ByteRecord) -> Result<(), OutputError>,
) -> Result<u64, OutputError> {
    let mut reader = match mark {
        Some(m) => RowReader::open_checked(path, m)?,
        None => RowReader::open(path)?,
    };
    let mut rows = 0;
    while let Some(record) = reader.next_row()? {
        write(&record)?;
        rows += 1;
    }
    reader.verify()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_back_job_by_job() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        std::fs::write(&path, "scenario,variant,x\na,base,1\na,base,2\na,calm,3\n").unwrap();
        let mut r = RowReader::open(&path).unwrap();
        assert_eq!(r.next_of(("a", "base")).unwrap().unwrap().get(2), Some(&b"1"[..]));
        assert_eq!(r.next_of(("a", "base")).unwrap().unwrap().get(2), Some(&b"2"[..]));
        assert!(r.next_of(("a", "base")).unwrap().is_none());
        assert_eq!(r.next_of(("a", "calm")).unwrap().unwrap().get(2), Some(&b"3"[..]));
        assert!(r.peek().unwrap().is_none());
        let mut seen = 0;
        let count = |_: &csv::ByteRecord| {
            seen += 1;
            Ok(())
        };
        assert_eq!(copy_rows(&path, None, count).unwrap(), 3);
        assert_eq!(seen, 3);
        assert!(RowReader::open(&dir.path().join("missing.csv")).is_err());
    }
}
