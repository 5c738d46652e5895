//! What the report reads back is checked before it is used.
//!
//! A results folder is data on disk: it may have been edited, damaged or
//! written by something else. Every value the report computes with must be
//! one detente could have written (the column types of `docs/OUTPUTS.md`):
//! a month index is a whole number within the longest possible horizon, a
//! stage a rung of a ladder, a share or a trust between 0 and 1. One
//! impossible cell fails the report with `file:line: column: message`
//! before anything is drawn, instead of being drawn (or sizing an
//! allocation of gigabytes).

use super::table::{cell, Table};
use super::ReportError;
use crate::model::MAX_RUNGS;

/// Months of the longest horizon a scenario can have (four-digit years).
pub const MAX_MONTHS: f64 = 10_000.0 * 12.0;

/// What a column must hold.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A whole number in `0..=max`.
    Count(f64),
    /// A number in `lo..=hi`.
    Range(f64, f64),
    /// Any finite number.
    Finite,
}

/// The kind of a column of detente's per-run, summary and monthly files,
/// by name; `None` for text and for columns not checked.
fn kind(name: &str) -> Option<Kind> {
    let rung = Kind::Count((MAX_RUNGS - 1) as f64);
    let share = Kind::Range(0.0, 1.0);
    let month = Kind::Count(MAX_MONTHS);
    let count = Kind::Count(u64::MAX as f64);
    Some(match name {
        "replicate" | "run_seed" | "attacks" | "runs" | "point" => count,
        "month" => month,
        "initial_stage" | "max_stage" | "final_stage" | "stage" => rung,
        "final_trust_ab" | "final_trust_ba" | "trust_ab" | "trust_ba" => share,
        "final_stage_mean" | "stage_mean" => Kind::Range(0.0, (MAX_RUNGS - 1) as f64),
        "final_trust_ab_mean" | "final_trust_ba_mean" => share,
        "attacks_mean" | "armed_group_peak_strength" | "armed_group_final_strength" => {
            Kind::Range(0.0, f64::MAX)
        }
        "armed_group_peak_strength_mean" | "armed_group_final_strength_mean" => Kind::Range(0.0, f64::MAX),
        "net_cooperation" => Kind::Finite,
        n if n.starts_with("stage_") && n.ends_with("_month") => month,
        n if n.starts_with("stage_") && (n.ends_with("_share") || n.contains("_p_by_")) => share,
        n if n.starts_with("stage_") && n.contains("_months_") => month,
        "stage_p10" | "stage_median" | "stage_p90" => rung,
        n if n.starts_with("trust_") && ["_p10", "_median", "_p90"].iter().any(|q| n.ends_with(q)) => share,
        n if n.starts_with("net_cooperation_") => Kind::Finite,
        _ => return None,
    })
}

/// Checks every cell of `table` whose column has a known kind; an empty
/// cell (a value that does not exist) always passes.
pub fn check(table: &Table) -> Result<(), ReportError> {
    let columns: Vec<(usize, &str, Kind)> =
        table.header.iter().enumerate().filter_map(|(i, h)| kind(h).map(|k| (i, h.as_str(), k))).collect();
    for (r, row) in table.rows.iter().enumerate() {
        if row.len() != table.header.len() {
            return Err(bad(
                table,
                r,
                "(row)",
                format!("{} cells, the header has {}", row.len(), table.header.len()),
            ));
        }
        for &(c, name, k) in &columns {
            let text = cell(row, c);
            if text.is_empty() {
                continue;
            }
            let value = text.parse::<f64>().ok().filter(|x| x.is_finite());
            let ok = match (k, value) {
                (_, None) => false,
                (Kind::Count(max), Some(v)) => v >= 0.0 && v <= max && v.fract() == 0.0,
                (Kind::Range(lo, hi), Some(v)) => v >= lo && v <= hi,
                (Kind::Finite, Some(_)) => true,
            };
            if !ok {
                let want = match k {
                    Kind::Count(max) if max >= u64::MAX as f64 => "a whole number of at least 0".to_string(),
                    Kind::Count(max) => format!("a whole number from 0 to {max}"),
                    Kind::Range(lo, hi) if hi >= f64::MAX => format!("a number of at least {lo}"),
                    Kind::Range(lo, hi) => format!("a number from {lo} to {hi}"),
                    Kind::Finite => "a number".to_string(),
                };
                return Err(bad(table, r, name, format!("expected {want}, got {text:?}")));
            }
        }
    }
    Ok(())
}

/// `table` if it passes [`check`].
pub fn checked(table: Table) -> Result<Table, ReportError> {
    check(&table)?;
    Ok(table)
}

fn bad(table: &Table, row: usize, column: &str, what: String) -> ReportError {
    ReportError::Csv {
        path: table.path.clone(),
        line: row as u64 + 2,
        message: format!("{column}: {what}: the file is not as detente writes it (edited or damaged?)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(header: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            path: "runs.csv".into(),
            name: "runs".into(),
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: rows.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect(),
            total_rows: rows.len() as u64,
        }
    }

    #[test]
    fn impossible_values_are_refused_with_their_line() {
        let h = ["scenario", "replicate", "stage_1_month", "final_trust_ab", "final_stage"];
        assert!(check(&table(&h, &[&["'=x", "0", "", "0.5", "3"], &["s", "1", "12", "1", "0"]])).is_ok());
        for (row, what) in [
            (["s", "0", "99999999999", "0.5", "3"], "stage_1_month"),
            (["s", "0", "1.5", "0.5", "3"], "stage_1_month"),
            (["s", "-1", "1", "0.5", "3"], "replicate"),
            (["s", "0", "1", "1.5", "3"], "final_trust_ab"),
            (["s", "0", "1", "0.5", "99"], "final_stage"),
            (["s", "0", "1", "NaN", "3"], "final_trust_ab"),
        ] {
            let e = check(&table(&h, &[&row])).unwrap_err().to_string();
            assert!(e.starts_with("runs.csv:2: ") && e.contains(what), "{e}");
        }
    }
}
