//! `hindcast.csv` and `leave-one-out.csv`: each case's targets (rungs history reached, the rung it
//! never reached, its falls) against the simulated runs.

use std::path::{Path, PathBuf};

use super::{CsvFile, OutputError};
use crate::calendar::YearMonth;
use crate::cases::TargetRow;

/// The columns of `hindcast.csv`.
pub const COLUMNS: [&str; 15] = [
    "case",
    "dyad",
    "runs",
    "target",
    "stage",
    "stage_from",
    "history_date",
    "history_month",
    "simulated_p10",
    "simulated_median",
    "simulated_p90",
    "inside_band",
    "share_reached",
    "share_within_3y",
    "reference",
];

/// One case's rows: its name, dyad label, reference name, start month and runs.
#[derive(Debug, Clone)]
pub struct CaseRows<'a> {
    /// Scenario name.
    pub case: &'a str,
    /// Dyad label.
    pub dyad: &'a str,
    /// Reference file stem.
    pub reference: &'a str,
    /// Calendar month of month 0, to print simulated months as dates.
    pub start: YearMonth,
    /// Runs per case.
    pub runs: usize,
    /// The targets.
    pub rows: &'a [TargetRow],
}

/// Writes the rows of `cases` to `path` (`hindcast.csv`, `leave-one-out.csv`); returns it.
pub fn write(path: &Path, cases: &[CaseRows<'_>]) -> Result<PathBuf, OutputError> {
    let mut f = CsvFile::create(path, &COLUMNS)?;
    for c in cases {
        for r in c.rows {
            f.text(c.case).text(c.dyad).int(c.runs).text(r.kind.as_str()).int(r.stage);
            match r.from {
                Some(s) => f.int(s),
                None => f.empty(),
            };
            match r.date {
                Some(d) => f.text(&d.to_string()),
                None => f.empty(),
            };
            match r.month {
                Some(m) => f.int(m),
                None => f.empty(),
            };
            for q in r.quantiles {
                match q {
                    Some(m) => f.text(&c.start.plus(m as i32).first_day().to_string()),
                    None => f.empty(),
                };
            }
            match r.inside {
                Some(b) => f.int(u8::from(b)),
                None => f.empty(),
            };
            f.opt_num(r.share_reached).opt_num(r.share_near).text(c.reference);
            f.end_row()?;
        }
    }
    let path = f.path().to_path_buf();
    f.commit()?;
    Ok(path)
}
