//! The headline a finished batch prints: per scenario and tracked dyad, a
//! table with one row per stage (by name) and one column per variant, the
//! chance of reaching the stage by each `--by` cut-off and by the horizon,
//! each with its 95 % Wilson interval, and the median date of first reach.
//!
//! The numbers are those of `summary.csv` (the same histograms), written
//! for a reader: a handful of runs is shown as a count ("3 of 2,000"), not
//! as a percentage rounded to 0, and a median is given only when at least
//! [`MIN_RUNS_FOR_MEDIAN`] runs reached the stage.

use crate::batch::aggregate::{DyadSummary, JobSummary};
use crate::calendar::By;
use crate::model::Setup;
use crate::stats::proportion::{count, share_cell};

/// Runs that must reach a stage before its median date is printed.
pub const MIN_RUNS_FOR_MEDIAN: u64 = 10;

/// Variants side by side in one table; more start another table.
const VARIANTS_PER_TABLE: usize = 3;

/// One variant of a scenario as the headline sees it.
pub struct Column<'a> {
    /// Variant name.
    pub variant: &'a str,
    /// Its setup.
    pub setup: &'a Setup,
    /// Its summary.
    pub summary: &'a JobSummary,
}

/// The median date of first reach, when enough runs reached the stage.
fn median_cell(d: &DyadSummary, setup: &Setup, stage: usize) -> String {
    let reached = d.reached_by(stage, setup.horizon);
    match d.months_quantile(stage, 0.5) {
        Some(m) if reached >= MIN_RUNS_FOR_MEDIAN => setup.month(m).to_string(),
        Some(_) => "(too few)".to_string(),
        None => "\u{2013}".to_string(),
    }
}

/// Lays out rows of cells as fixed-width text: the first column left
/// aligned, the others left aligned too, two spaces apart.
pub fn layout(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width = |c: usize| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols).map(width).collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if c + 1 < row.len() {
                line.push_str(&" ".repeat(widths[c] - cell.chars().count()));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The headline of one scenario: for each tracked dyad, a table per cut-off
/// in `by` (those within the scenario's months) and one by the horizon with
/// median dates. `notes` receives the cut-offs the runs do not cover.
pub fn scenario_headline(
    scenario: &str,
    columns: &[Column<'_>],
    by: &[By],
    notes: &mut Vec<String>,
) -> String {
    let Some(first) = columns.first() else { return String::new() };
    let setup = first.setup;
    let mut text = String::new();
    for b in by {
        if b.month_index(setup.start, setup.horizon).is_none() {
            notes.push(format!(
                "note: {scenario}: by {b} lies outside the months simulated ({} to {}); no figure for it",
                setup.start,
                setup.month(setup.horizon)
            ));
        }
    }
    for (d, tracked) in setup.tracked.iter().enumerate() {
        let runs: Vec<u64> = columns.iter().map(|c| c.summary.dyads[d].runs).collect();
        let same = runs.windows(2).all(|w| w[0] == w[1]);
        text.push_str(&format!(
            "\n{scenario}, {}: {} runs{}, {} to {}\n",
            tracked.label,
            count(runs[0]),
            if columns.len() > 1 && same { " per variant" } else { "" },
            setup.start,
            setup.month(setup.horizon)
        ));
        let initial = first.summary.dyads[d].initial_stage as usize;
        let rungs = setup.world.ladder.len();
        let stage_name =
            |s: usize| format!("{s} {}", setup.world.ladder.rungs.get(s).map_or("", |r| r.name.as_str()));
        for group in columns.chunks(VARIANTS_PER_TABLE) {
            for b in by {
                let Some(m) = b.month_index(setup.start, setup.horizon) else { continue };
                text.push_str(&format!("chance of reaching each stage by {} (95 % interval)\n", b.words()));
                let mut rows = vec![std::iter::once("stage".to_string())
                    .chain(group.iter().map(|c| c.variant.to_string()))
                    .collect::<Vec<_>>()];
                for s in initial + 1..rungs {
                    let mut row = vec![stage_name(s)];
                    for c in group {
                        let dy = &c.summary.dyads[d];
                        let m = b.month_index(c.setup.start, c.setup.horizon).unwrap_or(m);
                        row.push(share_cell(dy.reached_by(s, m), dy.runs));
                    }
                    rows.push(row);
                }
                text.push_str(&layout(&rows));
            }
            text.push_str(&format!(
                "chance of reaching each stage by the horizon, {} (95 % interval), and the median month of \
                 first reach among the runs that reach it\n",
                setup.month(setup.horizon)
            ));
            let mut rows = vec![std::iter::once("stage".to_string())
                .chain(group.iter().flat_map(|c| [c.variant.to_string(), "median".to_string()]))
                .collect::<Vec<_>>()];
            for s in initial + 1..rungs {
                let mut row = vec![stage_name(s)];
                for c in group {
                    let dy = &c.summary.dyads[d];
                    row.push(share_cell(dy.reached_by(s, c.setup.horizon), dy.runs));
                    row.push(median_cell(dy, c.setup, s));
                }
                rows.push(row);
            }
            text.push_str(&layout(&rows));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_their_columns() {
        let rows = vec![vec!["a".to_string(), "bb".to_string()], vec!["ccc".to_string(), "d".to_string()]];
        assert_eq!(layout(&rows), "a    bb\nccc  d\n");
    }
}
