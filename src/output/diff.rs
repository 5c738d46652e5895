//! `diff.csv`: two results folders side by side (`detente diff`), one row
//! per compared pair, stage and measure. Columns: `docs/OUTPUTS.md`.

use std::path::Path;

use super::{CsvFile, OutputError};
use crate::compare::diff::{Folder, Line, Measure};

/// The header of `diff.csv`.
pub const DIFF_HEADER: [&str; 23] = [
    "scenario_a",
    "scenario_b",
    "variant_a",
    "variant_b",
    "dyad",
    "stage",
    "measure",
    "by",
    "runs_a",
    "runs_b",
    "reached_a",
    "reached_b",
    "share_a",
    "share_b",
    "median_a",
    "median_b",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "flagged",
    "unit",
];

/// Writes `path` from the lines of a comparison of `a` and `b` over `pairs`.
pub fn write_diff(
    path: &Path,
    a: &Folder,
    b: &Folder,
    pairs: &[(usize, usize)],
    lines: &[Line],
) -> Result<(), OutputError> {
    let mut f = CsvFile::create(path, &DIFF_HEADER)?;
    for l in lines {
        let (x, y) = (&a.rows[pairs[l.pair].0], &b.rows[pairs[l.pair].1]);
        f.text(&x.scenario).text(&y.scenario).text(&x.variant).text(&y.variant).text(&x.dyad);
        f.int(l.stage);
        match &l.measure {
            Measure::PBy(label) => f.text("p_by").text(label),
            Measure::Median => f.text("median").empty(),
        };
        f.int(l.runs.0).int(l.runs.1).int(l.reached.0).int(l.reached.1);
        match l.share {
            Some((pa, pb)) => f.num(pa).num(pb),
            None => f.empty().empty(),
        };
        for m in [l.median.0, l.median.1] {
            match m {
                Some(m) if l.measure == Measure::Median => f.text(&m.first_day().to_string()),
                _ => f.empty(),
            };
        }
        f.opt_num(l.difference);
        match l.interval {
            Some((lo, hi)) => f.num(lo).num(hi),
            None => f.empty().empty(),
        };
        f.opt_num(l.p).opt_num(l.p_holm).int(u8::from(l.flagged));
        f.text(if l.measure == Measure::Median { "months" } else { "share" });
        f.end_row()?;
    }
    f.commit()
}
