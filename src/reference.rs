//! Dated reference histories: the observed paths a simulation is scored against.
//!
//! A reference file is a CSV with a header naming at least `date` and `stage`
//! (columns in any order; `event` and `note` are read when present; any other
//! column is ignored). Each row says that from its `date` on, until the next
//! row's date, the relationship stood at rung `stage`. Where formal and working
//! relations differ, the note may carry `alt_effective_stage=N` or
//! `alt_formal_stage=N`, kept on the row for sensitivity runs.
//!
//! Loading checks the whole file and reports every problem, one per line, as
//! `file:line: column: what was expected, got what`, so a hand-edited history
//! can be fixed in one pass. Nothing in here panics on any file content.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::calendar::{Date, YearMonth};

/// One dated row of a reference history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceRow {
    /// The day from which `stage` holds.
    pub date: Date,
    /// The rung in force from `date` until the next row's date.
    pub stage: u8,
    /// What happened (empty when the file has no `event` column).
    pub event: String,
    /// The working-relations rung, when the note gives `alt_effective_stage=N`.
    pub alt_effective_stage: Option<u8>,
    /// The formal-relations rung, when the note gives `alt_formal_stage=N`.
    pub alt_formal_stage: Option<u8>,
}

/// A reference history: rows in strictly increasing date order, at least one.
///
/// [`ReferencePath::load`] and [`ReferencePath::parse`] guarantee both
/// properties; the queries rely on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencePath {
    /// The file stem, e.g. `us_vietnam`.
    pub name: String,
    /// The rows, oldest first.
    pub rows: Vec<ReferenceRow>,
}

/// Why a reference file could not be used.
#[derive(Debug, Error)]
pub enum ReferenceError {
    /// The file could not be opened at all.
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        /// The file that was asked for.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file was read and has problems; Display lists each on its own line.
    #[error("{}", ProblemList(problems))]
    Invalid {
        /// Every problem found, in file order (header problems first).
        problems: Vec<Problem>,
    },
}

/// One problem at one line of a reference file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}:{line}: {kind}", file.display())]
pub struct Problem {
    /// The file, as given to `load` or `parse`.
    pub file: PathBuf,
    /// The 1-based physical line on which the offending record starts (the
    /// header is line 1).
    pub line: u64,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What is wrong; Display is `column: what was expected, got what`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProblemKind {
    /// A required column is absent from the header.
    #[error("{column}: expected a header column named {column:?}, got {}", HeaderNames(found))]
    MissingColumn {
        /// `date` or `stage`.
        column: &'static str,
        /// The header's column names.
        found: Vec<String>,
    },
    /// A column that is read appears more than once, so which to read is ambiguous.
    #[error("{column}: expected one header column named {column:?}, got {count}")]
    DuplicateColumn {
        /// The repeated name.
        column: &'static str,
        /// How many times it appears.
        count: usize,
    },
    /// A record has a different number of fields from the header.
    #[error("record: expected {expected} fields as in the header, got {got}")]
    FieldCount {
        /// The header's field count.
        expected: usize,
        /// This record's field count.
        got: usize,
    },
    /// A quote opened and never closed: it would swallow every later row.
    #[error(
        "record: a quote opened on this line is never closed, so the rest of the file (to line {last}) \
         would be read as one field; close the quote"
    )]
    OpenQuote {
        /// The file's last line.
        last: u64,
    },
    /// The CSV reader itself failed (e.g. an I/O error mid-file).
    #[error("record: expected readable CSV text, got an error: {message}")]
    Csv {
        /// The reader's message.
        message: String,
    },
    /// The date is not a calendar date in ISO form.
    #[error("date: expected a calendar date YYYY-MM-DD, got {got:?}")]
    BadDate {
        /// The field as written.
        got: String,
    },
    /// The date equals the previous row's.
    #[error(
        "date: expected a date after {previous} (line {previous_line}), \
         got {got} again: duplicate date"
    )]
    DuplicateDate {
        /// This row's date.
        got: Date,
        /// The previous row's date.
        previous: Date,
        /// The previous row's line.
        previous_line: u64,
    },
    /// The date is earlier than the previous row's.
    #[error(
        "date: expected a date after {previous} (line {previous_line}), \
         got {got}, which is earlier: rows out of date order"
    )]
    UnsortedDate {
        /// This row's date.
        got: Date,
        /// The previous row's date.
        previous: Date,
        /// The previous row's line.
        previous_line: u64,
    },
    /// The stage is not an integer rung of the ladder.
    #[error("stage: expected an integer rung {}, got {got:?}", RungRange(*ladder_len))]
    BadStage {
        /// The field as written.
        got: String,
        /// The ladder's length the file was checked against.
        ladder_len: usize,
    },
    /// An `alt_*_stage` marker in the note is not `key=N` with `N` a rung.
    #[error(
        "note: expected {key}=N with N an integer rung {}, got {got:?}",
        RungRange(*ladder_len)
    )]
    BadAltStage {
        /// `alt_effective_stage` or `alt_formal_stage`.
        key: &'static str,
        /// The marker as written.
        got: String,
        /// The ladder's length the file was checked against.
        ladder_len: usize,
    },
    /// The note gives two different values for the same `alt_*_stage` key.
    #[error("note: expected one value for {key}, got {first} and {second}")]
    ConflictingAltStage {
        /// `alt_effective_stage` or `alt_formal_stage`.
        key: &'static str,
        /// The first value given.
        first: u8,
        /// A later, different value.
        second: u8,
    },
    /// The file has no data rows.
    #[error("rows: expected at least one data row after the header, got none")]
    NoRows,
}

/// Joins problems one per line for `ReferenceError::Invalid`.
struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// Shows the header that lacked a column; an empty file has none at all.
struct HeaderNames<'a>(&'a [String]);

impl fmt::Display for HeaderNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            write!(f, "no header line")
        } else {
            write!(f, "columns {:?}", self.0)
        }
    }
}

/// Names the valid rungs in messages; a ladder longer than 256 is capped at
/// 255 because rows store stages as `u8`.
struct RungRange(usize);

impl fmt::Display for RungRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match max_rung(self.0) {
            Some(max) => write!(f, "from 0 to {max}"),
            None => write!(f, "(none: the ladder is empty)"),
        }
    }
}

fn max_rung(ladder_len: usize) -> Option<u8> {
    let top = ladder_len.checked_sub(1)?;
    Some(u8::try_from(top).unwrap_or(u8::MAX))
}

fn parse_rung(text: &str, ladder_len: usize) -> Option<u8> {
    let value: u8 = text.parse().ok()?;
    (value <= max_rung(ladder_len)?).then_some(value)
}

const ALT_EFFECTIVE: &str = "alt_effective_stage";
const ALT_FORMAL: &str = "alt_formal_stage";

/// Column positions found in the header.
struct Columns {
    date: Option<usize>,
    stage: Option<usize>,
    event: Option<usize>,
    note: Option<usize>,
    count: usize,
}

impl Columns {
    fn find(header: &csv::ByteRecord, line: u64, report: &mut Reporter) -> Columns {
        // A spreadsheet export may start with a UTF-8 byte-order mark, which
        // the csv crate leaves on the first name.
        let names: Vec<String> = header
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let mut locate = |column: &'static str, required: bool| {
            let hits: Vec<usize> =
                (0..names.len()).filter(|&i| names[i].eq_ignore_ascii_case(column)).collect();
            match hits.as_slice() {
                [] if required => {
                    report.push(line, ProblemKind::MissingColumn { column, found: names.clone() });
                    None
                }
                [] => None,
                [only] => Some(*only),
                _ => {
                    report.push(line, ProblemKind::DuplicateColumn { column, count: hits.len() });
                    None
                }
            }
        };
        Columns {
            date: locate("date", true),
            stage: locate("stage", true),
            event: locate("event", false),
            note: locate("note", false),
            count: names.len(),
        }
    }
}

/// Collects problems against one file name.
struct Reporter<'a> {
    file: &'a Path,
    problems: Vec<Problem>,
}

impl Reporter<'_> {
    fn push(&mut self, line: u64, kind: ProblemKind) {
        self.problems.push(Problem { file: self.file.to_path_buf(), line, kind });
    }
}

impl ReferencePath {
    /// Reads and checks a reference file; the path's stem becomes the name.
    pub fn load(path: &Path, ladder_len: usize) -> Result<ReferencePath, ReferenceError> {
        let file = crate::input::open(path, crate::input::REFERENCE_CAP)
            .map_err(|source| ReferenceError::Open { path: path.to_path_buf(), source })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        ReferencePath::parse(&name, file, path, ladder_len)
    }

    /// Reads and checks reference CSV from `reader`; `path` is used only in
    /// messages. Stages must lie in `0..ladder_len`.
    pub fn parse<R: Read>(
        name: &str,
        reader: R,
        path: &Path,
        ladder_len: usize,
    ) -> Result<ReferencePath, ReferenceError> {
        let mut report = Reporter { file: path, problems: Vec::new() };
        let mut bytes = Vec::new();
        let mut reader = reader;
        if let Err(e) = reader.read_to_end(&mut bytes) {
            report.push(1, ProblemKind::Csv { message: e.to_string() });
            return Err(ReferenceError::Invalid { problems: report.problems });
        }
        if let Some((line, last)) = open_quote(&bytes) {
            report.push(line, ProblemKind::OpenQuote { last });
        }
        // Flexible so that a short or long record is reported with its line
        // and reading goes on, instead of the reader stopping at it.
        let mut csv =
            csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes.as_slice());
        let (columns, header_line) = match csv.byte_headers() {
            Ok(header) => {
                let line = header.position().map_or(1, |p| p.line());
                (Columns::find(header, line, &mut report), line)
            }
            Err(err) => {
                report.push(1, csv_problem(&err));
                return Err(ReferenceError::Invalid { problems: report.problems });
            }
        };

        let mut rows = Vec::new();
        let mut records = 0usize;
        let mut previous: Option<(Date, u64)> = None;
        let mut record = csv::ByteRecord::new();
        loop {
            let line_before = csv.position().line();
            match csv.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(err) => {
                    // After an I/O error the reader's state is unknown;
                    // retrying could loop forever.
                    let line = err.position().map_or(line_before, |p| p.line());
                    report.push(line, csv_problem(&err));
                    break;
                }
            }
            records += 1;
            let line = record.position().map_or(line_before, |p| p.line());
            if record.len() != columns.count {
                report.push(line, ProblemKind::FieldCount { expected: columns.count, got: record.len() });
                continue;
            }
            let row = check_row(&record, &columns, line, ladder_len, &mut previous, &mut report);
            rows.extend(row);
        }
        if records == 0 {
            report.push(header_line, ProblemKind::NoRows);
        }
        if report.problems.is_empty() {
            Ok(ReferencePath { name: name.to_string(), rows })
        } else {
            Err(ReferenceError::Invalid { problems: report.problems })
        }
    }

    /// The date of the first row: where the history starts.
    ///
    /// # Panics
    /// If `rows` is empty, which `load` and `parse` never return.
    pub fn origin(&self) -> Date {
        self.rows[0].date
    }

    /// The date of the last row: where the record ends.
    ///
    /// # Panics
    /// If `rows` is empty, which `load` and `parse` never return.
    pub fn last_date(&self) -> Date {
        self.rows[self.rows.len() - 1].date
    }

    /// The first date at which the stage is at or above `stage`, or `None` if
    /// it never is. Stages can fall back (Vietnam went 2 → 1 in 1978); this
    /// is the first time, not the last entry.
    pub fn first_reach(&self, stage: u8) -> Option<Date> {
        self.rows.iter().find(|r| r.stage >= stage).map(|r| r.date)
    }

    /// The stage in force on `date`: that of the last row dated on or before
    /// it. `None` before the first row; after the last row its stage goes on.
    pub fn stage_at(&self, date: Date) -> Option<u8> {
        let after = self.rows.partition_point(|r| r.date <= date);
        after.checked_sub(1).map(|i| self.rows[i].stage)
    }

    /// The stage in force at the END of each of `months` months from
    /// `origin`: entry `m` is the stage of the last row dated in or before
    /// month `origin + m`.
    ///
    /// Entries are `None` for months before the first row's month and after
    /// the last row's month: the record says nothing there, so a comparison
    /// must not pretend it does.
    pub fn monthly_stages(&self, origin: YearMonth, months: usize) -> Vec<Option<u8>> {
        // Offsets, not `origin.plus(m)`, so a huge `months` cannot overflow
        // the calendar's month counter.
        let offset = |d: Date| i64::from(d.year_month().months_since(origin));
        let (Some(first), Some(last)) = (self.rows.first(), self.rows.last()) else {
            return vec![None; months];
        };
        let (first_month, last_month) = (offset(first.date), offset(last.date));
        let mut next = 0;
        let mut current = None;
        (0..months)
            .map(|m| {
                let m = i64::try_from(m).unwrap_or(i64::MAX);
                if m < first_month || m > last_month {
                    return None;
                }
                while let Some(row) = self.rows.get(next).filter(|r| offset(r.date) <= m) {
                    current = Some(row.stage);
                    next += 1;
                }
                current
            })
            .collect()
    }
}

/// The line of a quote that is never closed, and the file's last line: a
/// field that starts with a quote runs until a quote not doubled, as the
/// CSV reader reads it; one still open at the end of the file is the
/// mistake (a quote inside an unquoted field is an ordinary character).
fn open_quote(bytes: &[u8]) -> Option<(u64, u64)> {
    #[derive(PartialEq)]
    enum At {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let (mut line, mut at, mut opened_at) = (1u64, At::FieldStart, 0u64);
    for &b in bytes {
        at = match (at, b) {
            (At::Quoted, b'"') => At::QuoteInQuoted,
            (At::Quoted, _) => At::Quoted,
            (At::QuoteInQuoted, b'"') => At::Quoted,
            (At::FieldStart, b'"') => {
                opened_at = line;
                At::Quoted
            }
            (_, b',' | b'\n') => At::FieldStart,
            (_, _) => At::Unquoted,
        };
        if b == b'\n' {
            line += 1;
        }
    }
    let last = if bytes.ends_with(b"\n") { line - 1 } else { line };
    (at == At::Quoted).then_some((opened_at, last))
}

fn csv_problem(err: &csv::Error) -> ProblemKind {
    ProblemKind::Csv { message: err.to_string() }
}

fn field(record: &csv::ByteRecord, column: Option<usize>) -> Option<String> {
    // Event and note text are labels: a stray non-UTF-8 byte should not sink
    // the file, and date or stage garbage is caught by their own checks.
    column.and_then(|i| record.get(i)).map(|bytes| String::from_utf8_lossy(bytes).into_owned())
}

/// Checks one record; returns the row if it is fully valid.
fn check_row(
    record: &csv::ByteRecord,
    columns: &Columns,
    line: u64,
    ladder_len: usize,
    previous: &mut Option<(Date, u64)>,
    report: &mut Reporter,
) -> Option<ReferenceRow> {
    let before = report.problems.len();
    let date = field(record, columns.date).and_then(|text| match Date::parse(&text) {
        Ok(date) => Some(date),
        Err(_) => {
            report.push(line, ProblemKind::BadDate { got: text });
            None
        }
    });
    if let Some(date) = date {
        if let Some((prev, prev_line)) = *previous {
            if date == prev {
                report.push(
                    line,
                    ProblemKind::DuplicateDate { got: date, previous: prev, previous_line: prev_line },
                );
            } else if date < prev {
                report.push(
                    line,
                    ProblemKind::UnsortedDate { got: date, previous: prev, previous_line: prev_line },
                );
            }
        }
        *previous = Some((date, line));
    }
    let stage = field(record, columns.stage).and_then(|text| {
        let stage = parse_rung(text.trim(), ladder_len);
        if stage.is_none() {
            report.push(line, ProblemKind::BadStage { got: text, ladder_len });
        }
        stage
    });
    let note = field(record, columns.note).unwrap_or_default();
    let alt_effective_stage = alt_stage(&note, ALT_EFFECTIVE, line, ladder_len, report);
    let alt_formal_stage = alt_stage(&note, ALT_FORMAL, line, ladder_len, report);
    if report.problems.len() > before {
        return None;
    }
    Some(ReferenceRow {
        date: date?,
        stage: stage?,
        event: field(record, columns.event).unwrap_or_default(),
        alt_effective_stage,
        alt_formal_stage,
    })
}

/// Finds `key=N` markers in a note. A bare mention of the key without `=N`
/// is reported rather than ignored, since it is most likely a typo that
/// would otherwise silently drop the alternative coding.
fn alt_stage(
    note: &str,
    key: &'static str,
    line: u64,
    ladder_len: usize,
    report: &mut Reporter,
) -> Option<u8> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut found: Option<u8> = None;
    let token_len = |s: &str| {
        s.find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ')' | ']' | '}')).unwrap_or(s.len())
    };
    for (at, _) in note.match_indices(key) {
        let rest = &note[at + key.len()..];
        if note[..at].chars().next_back().is_some_and(is_word) || rest.chars().next().is_some_and(is_word) {
            continue;
        }
        // `token` is the text after `=` up to a separator; `end` is where the
        // marker as written stops, for the message.
        let (token, end) = match rest.trim_start().strip_prefix('=') {
            Some(after) => {
                let after = after.trim_start();
                let start = note.len() - after.len();
                let len = token_len(after);
                (Some(&after[..len]), start + len)
            }
            None => (None, at + key.len() + token_len(rest)),
        };
        // A sentence may end right after the number: "alt_formal_stage=5."
        let token = token.map(|t| t.strip_suffix('.').unwrap_or(t));
        match token.and_then(|t| parse_rung(t, ladder_len)) {
            Some(v) => match found {
                Some(first) if first != v => {
                    report.push(line, ProblemKind::ConflictingAltStage { key, first, second: v })
                }
                Some(_) => {}
                None => found = Some(v),
            },
            None => report
                .push(line, ProblemKind::BadAltStage { key, got: note[at..end].to_string(), ladder_len }),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const LADDER: usize = 8;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn month(year: i32, month: u32) -> YearMonth {
        YearMonth::new(year, month).unwrap()
    }

    fn parse_str(text: &str) -> Result<ReferencePath, ReferenceError> {
        ReferencePath::parse("t", text.as_bytes(), Path::new("t.csv"), LADDER)
    }

    /// Writes `contents` to a real file, loads it, and returns the file's
    /// path with the error's lines.
    fn load_error(contents: &[u8]) -> (String, Vec<String>) {
        let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        file.write_all(contents).unwrap();
        let path = file.path().to_path_buf();
        let err = ReferencePath::load(&path, LADDER).unwrap_err();
        let lines = err.to_string().lines().map(str::to_string).collect();
        (path.display().to_string(), lines)
    }

    #[test]
    fn reads_columns_by_name_with_quoting_and_alternatives() {
        let text = "\u{feff}source,Stage,note,extra,date,event\n\
            s1,1,,x,1975-04-30,Fall of Saigon\n\
            s2, 2 ,\"talks, stalled;\nalt_effective_stage=1.\",y,1977-05-03,\"Holbrooke, \"\"Phan\"\" Hien\"\n\
            s3,3,\"alt_formal_stage = 2 (see notes) alt_effective_stage=4\",z,1985-11-19,\n";
        let path = parse_str(text).unwrap();
        assert_eq!(path.name, "t");
        assert_eq!(path.rows.len(), 3);
        let talks = &path.rows[1];
        assert_eq!(talks.stage, 2);
        assert_eq!(talks.event, "Holbrooke, \"Phan\" Hien");
        assert_eq!(talks.alt_effective_stage, Some(1));
        assert_eq!(talks.alt_formal_stage, None);
        assert_eq!(path.rows[2].alt_formal_stage, Some(2));
        assert_eq!(path.rows[2].alt_effective_stage, Some(4));
        assert_eq!(path.rows[2].event, "");
    }

    #[test]
    fn queries_follow_falls_back_and_month_ends() {
        let path =
            parse_str("date,stage\n1975-04-30,1\n1977-05-03,2\n1978-12-25,1\n1985-02-01,2\n1995-07-11,5\n")
                .unwrap();
        assert_eq!(path.origin(), date("1975-04-30"));
        assert_eq!(path.last_date(), date("1995-07-11"));
        assert_eq!(path.first_reach(0), Some(date("1975-04-30")));
        assert_eq!(path.first_reach(2), Some(date("1977-05-03")));
        assert_eq!(path.first_reach(3), Some(date("1995-07-11")));
        assert_eq!(path.first_reach(6), None);
        assert_eq!(path.stage_at(date("1975-04-29")), None);
        assert_eq!(path.stage_at(date("1975-04-30")), Some(1));
        assert_eq!(path.stage_at(date("1980-01-01")), Some(1));
        assert_eq!(path.stage_at(date("2020-01-01")), Some(5));

        // The month of a row takes that row's stage even if dated on its last
        // day; nothing is known outside the first..last row months.
        let monthly = path.monthly_stages(month(1975, 3), 3);
        assert_eq!(monthly, vec![None, Some(1), Some(1)]);
        let around_fall = path.monthly_stages(month(1978, 11), 3);
        assert_eq!(around_fall, vec![Some(2), Some(1), Some(1)]);
        let end = path.monthly_stages(month(1995, 6), 3);
        assert_eq!(end, vec![Some(2), Some(5), None]);
        assert!(path.monthly_stages(month(1975, 4), 0).is_empty());
    }

    #[test]
    fn every_error_kind_names_file_line_and_column() {
        let cases: &[(&[u8], &[&str])] = &[
            (
                b"date,event\n1990-01-01,x\n",
                &[":1: stage: expected a header column named \"stage\", got columns [\"date\", \"event\"]"],
            ),
            (
                b"stage,date,Date\n1,1990-01-01,1990-01-01\n",
                &[":1: date: expected one header column named \"date\", got 2"],
            ),
            (
                b"date,stage\n1990-01-01,1\n1995-02-29,2\n",
                &[":3: date: expected a calendar date YYYY-MM-DD, got \"1995-02-29\""],
            ),
            (
                b"date,stage\n1990-01-01,1\n1990-01-01,2\n",
                &[":3: date: expected a date after 1990-01-01 (line 2), got 1990-01-01 again: duplicate date"],
            ),
            (
                b"date,stage\n1990-01-01,1\n1989-12-31,2\n",
                &[":3: date: expected a date after 1990-01-01 (line 2), got 1989-12-31, which is earlier: rows out of date order"],
            ),
            (
                b"date,stage\n1990-01-01,two\n",
                &[":2: stage: expected an integer rung from 0 to 7, got \"two\""],
            ),
            (
                b"date,stage\n1990-01-01,8\n",
                &[":2: stage: expected an integer rung from 0 to 7, got \"8\""],
            ),
            (
                b"date,stage,note\n1990-01-01,1,alt_formal_stage=x\n1991-01-01,1,see alt_effective_stage\n",
                &[
                    ":2: note: expected alt_formal_stage=N with N an integer rung from 0 to 7, got \"alt_formal_stage=x\"",
                    ":3: note: expected alt_effective_stage=N with N an integer rung from 0 to 7, got \"alt_effective_stage\"",
                ],
            ),
            (
                b"date,stage,note\n1990-01-01,1,alt_formal_stage=2 alt_formal_stage=3\n",
                &[":2: note: expected one value for alt_formal_stage, got 2 and 3"],
            ),
            (
                b"date,stage\n",
                &[":1: rows: expected at least one data row after the header, got none"],
            ),
            (
                b"",
                &[
                    ":1: date: expected a header column named \"date\", got no header line",
                    ":1: stage: expected a header column named \"stage\", got no header line",
                    ":1: rows: expected at least one data row after the header, got none",
                ],
            ),
            (
                b"date,stage,event\n1990-01-01,1,\"a\nb\"\n1991-01-01,2\n",
                &[":4: record: expected 3 fields as in the header, got 2"],
            ),
        ];
        for (contents, expected) in cases {
            let (file, lines) = load_error(contents);
            let expected: Vec<String> = expected.iter().map(|e| format!("{file}{e}")).collect();
            assert_eq!(lines, expected, "for {:?}", String::from_utf8_lossy(contents));
        }
    }

    #[test]
    fn reports_every_problem_not_just_the_first() {
        let (file, lines) = load_error(
            b"date,stage,event\n\
              1990-01-01,9,a\n\
              \"1991-13-01\",1,\"multi\nline\"\n\
              1992-01-01,1\n\
              1989-01-01,x,d\n",
        );
        assert_eq!(
            lines,
            vec![
                format!("{file}:2: stage: expected an integer rung from 0 to 7, got \"9\""),
                format!("{file}:3: date: expected a calendar date YYYY-MM-DD, got \"1991-13-01\""),
                format!("{file}:5: record: expected 3 fields as in the header, got 2"),
                format!(
                    "{file}:6: date: expected a date after 1990-01-01 (line 2), \
                     got 1989-01-01, which is earlier: rows out of date order"
                ),
                format!("{file}:6: stage: expected an integer rung from 0 to 7, got \"x\""),
            ]
        );
    }

    #[test]
    fn missing_file_and_odd_ladders_are_errors_not_panics() {
        let missing = Path::new("/nonexistent/dir/none.csv");
        let err = ReferencePath::load(missing, LADDER).unwrap_err();
        assert!(err.to_string().starts_with("/nonexistent/dir/none.csv: cannot open: "));
        let empty_ladder = ReferencePath::parse("t", &b"date,stage\n1990-01-01,0\n"[..], Path::new("t"), 0);
        assert_eq!(
            empty_ladder.unwrap_err().to_string(),
            "t:2: stage: expected an integer rung (none: the ladder is empty), got \"0\""
        );
        let wide = ReferencePath::parse("t", &b"date,stage\n1990-01-01,255\n"[..], Path::new("t"), 1000);
        assert_eq!(wide.unwrap().rows[0].stage, 255);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_accepted_files_keep_the_invariants() {
        // Bytes are drawn mostly from CSV-significant characters so that the
        // search reaches the row checks, not just the header.
        const ALPHABET: &[u8] = b"date,stage,note\n\"-0123456789 alt_formal_stage=\r\xff\xfe";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let seed = b"date,stage,note\n1990-01-01,1,x\n1991-02-03,2,\"alt_formal_stage=3\"\n";
        for round in 0..20_000 {
            let bytes: Vec<u8> = if round % 2 == 0 {
                let len = (next() % 80) as usize;
                (0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]).collect()
            } else {
                let mut bytes = seed.to_vec();
                for _ in 0..=(next() % 4) {
                    let at = (next() % bytes.len() as u64) as usize;
                    bytes[at] = ALPHABET[(next() % ALPHABET.len() as u64) as usize];
                }
                bytes
            };
            let ladder = (next() % 10) as usize;
            match ReferencePath::parse("f", &bytes[..], Path::new("f"), ladder) {
                Ok(path) => {
                    assert!(!path.rows.is_empty());
                    assert!(path.rows.windows(2).all(|w| w[0].date < w[1].date));
                    assert!(path.rows.iter().all(|r| usize::from(r.stage) < ladder));
                }
                Err(err) => assert!(!err.to_string().is_empty()),
            }
        }
    }

    #[test]
    fn shipped_reference_files_load_and_answer_known_dates() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference");
        let vietnam = dir.join("us_vietnam.csv");
        let taliban = dir.join("us_taliban.csv");
        let vietnam = ReferencePath::load(&vietnam, LADDER).unwrap();
        assert_eq!(vietnam.name, "us_vietnam");
        assert_eq!(vietnam.origin(), date("1975-04-30"));
        assert_eq!(vietnam.first_reach(5), Some(date("1995-07-11")));
        assert_eq!(vietnam.first_reach(2), Some(date("1977-05-03")));
        assert_eq!(vietnam.first_reach(7), Some(date("2016-05-23")));
        assert_eq!(vietnam.stage_at(date("1980-01-01")), Some(1));

        let taliban = ReferencePath::load(&taliban, LADDER).unwrap();
        assert_eq!(taliban.first_reach(4), None);
        assert_eq!(taliban.first_reach(3), Some(date("2021-08-23")));
        assert_eq!(taliban.stage_at(date("2023-01-01")), Some(2));
    }

    #[test]
    fn an_open_quote_is_found_and_a_stray_one_is_not() {
        assert_eq!(open_quote(b"a,b\n1,\"x\n2,y\n"), Some((2, 3)));
        assert_eq!(open_quote(b"a,b\n1,\"x\ny\"\n2,\"say \"\"hi\"\"\"\n"), None);
        assert_eq!(open_quote(b"a,b\n1,5\" gun\n"), None);
        assert_eq!(open_quote(b"a,b\r\n1,\"x\"\r\n"), None);
    }
}
