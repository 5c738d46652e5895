//! A CSV file read as text: header, rows of cells, and how many rows the
//! file holds in all.
//!
//! Everything the report reads goes through here, so every malformed file
//! gives the same kind of error (`file:line: message`). Cells stay text:
//! the CSV files are the source of truth and the workbook compares equal to
//! them only if nothing is reformatted on the way.

use std::path::{Path, PathBuf};

use super::ReportError;

/// One CSV file, or its first rows.
#[derive(Debug, Clone)]
pub struct Table {
    /// The file it was read from.
    pub path: PathBuf,
    /// The file stem, e.g. `summary`.
    pub name: String,
    /// The header's column names.
    pub header: Vec<String>,
    /// The rows read (all of them, or the first `limit`).
    pub rows: Vec<Vec<String>>,
    /// Data rows in the whole file (at least `rows.len()`).
    pub total_rows: u64,
}

impl Table {
    /// Reads `path`; with `limit`, keeps only the first `limit` rows but
    /// still counts the rest.
    pub fn load(path: &Path, limit: Option<usize>) -> Result<Table, ReportError> {
        let file = std::fs::File::open(path)
            .map_err(|source| ReportError::Read { path: path.to_path_buf(), source })?;
        let mut reader =
            csv::ReaderBuilder::new().has_headers(true).from_reader(std::io::BufReader::new(file));
        let csv_err = |e: csv::Error| ReportError::Csv {
            path: path.to_path_buf(),
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        };
        let header: Vec<String> = reader.headers().map_err(csv_err)?.iter().map(String::from).collect();
        let mut rows = Vec::new();
        let mut total = 0u64;
        let mut record = csv::StringRecord::new();
        let keep = limit.unwrap_or(usize::MAX);
        while reader.read_record(&mut record).map_err(csv_err)? {
            if rows.len() < keep {
                rows.push(record.iter().map(String::from).collect());
            }
            total += 1;
            if rows.len() >= keep {
                // Counting needs no UTF-8 check or allocation; byte records are enough.
                let mut bytes = csv::ByteRecord::new();
                while reader.read_byte_record(&mut bytes).map_err(csv_err)? {
                    total += 1;
                }
                break;
            }
        }
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(Table { path: path.to_path_buf(), name, header, rows, total_rows: total })
    }

    /// Only the header of `path`.
    pub fn load_header(path: &Path) -> Result<Vec<String>, ReportError> {
        let file = std::fs::File::open(path)
            .map_err(|source| ReportError::Read { path: path.to_path_buf(), source })?;
        let mut reader =
            csv::ReaderBuilder::new().has_headers(true).from_reader(std::io::BufReader::new(file));
        let header = reader.headers().map_err(|e| ReportError::Csv {
            path: path.to_path_buf(),
            line: 1,
            message: e.to_string(),
        })?;
        Ok(header.iter().map(String::from).collect())
    }

    /// Index of the column `name`, if present.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Index of the column `name`, or an error naming the file.
    pub fn need(&self, name: &str) -> Result<usize, ReportError> {
        self.col(name)
            .ok_or_else(|| ReportError::MissingColumn { path: self.path.clone(), column: name.to_string() })
    }

    /// Whether the table has one row per run (a `replicate` column).
    pub fn per_run(&self) -> bool {
        self.col("replicate").is_some()
    }
}

/// The cell at column `c` of `row` (empty if the row is short).
pub fn cell(row: &[String], c: usize) -> &str {
    row.get(c).map_or("", String::as_str)
}

/// The cell as a number; `None` when empty or not a number.
pub fn num(row: &[String], c: usize) -> Option<f64> {
    cell(row, c).parse::<f64>().ok().filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_keeps_first_rows_and_counts_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\n1,x\n2,\"y,z\"\n3,w\n").unwrap();
        let t = Table::load(&path, Some(2)).unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.total_rows, 3);
        assert_eq!(t.rows[1][1], "y,z");
        let all = Table::load(&path, None).unwrap();
        assert_eq!(all.rows.len(), 3);
    }

    #[test]
    fn ragged_file_is_an_error_with_a_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "a,b\n1,2\n3\n").unwrap();
        let err = Table::load(&path, None).unwrap_err().to_string();
        assert!(err.contains("t.csv:3"), "{err}");
    }
}
