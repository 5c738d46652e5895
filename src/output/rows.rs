//! Rows of finished CSV files read back, for `detente merge`: shard folders
//! are joined by copying their rows byte for byte into the merged files, so
//! the reader hands out raw records and never reinterprets a number.

use std::path::{Path, PathBuf};

use super::OutputError;

/// Reads a CSV file's rows (header skipped) one at a time, with a look ahead.
pub struct RowReader {
    path: PathBuf,
    reader: csv::Reader<std::fs::File>,
    peeked: Option<csv::ByteRecord>,
}

impl RowReader {
    /// Opens `path`, which must start with a header row.
    pub fn open(path: &Path) -> Result<RowReader, OutputError> {
        let reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(path)
            .map_err(|e| OutputError::new(path, std::io::Error::other(format!("cannot read: {e}"))))?;
        Ok(RowReader { path: path.to_path_buf(), reader, peeked: None })
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

    /// The next row if its first two cells are `key` (scenario, variant):
    /// the rows of one job of a batch.
    pub fn next_of(&mut self, key: (&str, &str)) -> Result<Option<csv::ByteRecord>, OutputError> {
        let matches = self
            .peek()?
            .is_some_and(|r| r.get(0) == Some(key.0.as_bytes()) && r.get(1) == Some(key.1.as_bytes()));
        Ok(if matches { self.peeked.take() } else { None })
    }
}

/// Copies every row of the CSV file `path` (header skipped) to `write`;
/// returns the row count.
pub fn copy_rows(
    path: &Path,
    mut write: impl FnMut(&csv::ByteRecord) -> Result<(), OutputError>,
) -> Result<u64, OutputError> {
    let mut reader = RowReader::open(path)?;
    let mut rows = 0;
    while let Some(record) = reader.next_row()? {
        write(&record)?;
        rows += 1;
    }
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
        assert_eq!(copy_rows(&path, count).unwrap(), 3);
        assert_eq!(seen, 3);
        assert!(RowReader::open(&dir.path().join("missing.csv")).is_err());
    }
}
