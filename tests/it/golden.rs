//! Golden files: the tiny scenario's CSVs, byte for byte.
//!
//! `tests/data/tiny.toml` (two states and an armed group, 24 months, three
//! replications, seed 42) is run through the binary and its `runs.csv` and
//! `summary.csv` are compared with the committed `tiny.runs.csv` and
//! `tiny.summary.csv`. Any change to the model, the seeds or the output
//! format shows up here as a diff. When the change is intended, rewrite the
//! files with `UPDATE_EXPECT=1 cargo test golden` and review them in git.

use crate::workdir::{check_golden, data, Workdir};

#[test]
fn tiny_scenario_matches_the_golden_csvs() {
    let w = Workdir::new();
    w.copy(&data("tiny.toml"), "tiny.toml");
    // Replications and seed come from the file's [run] table.
    let out = w.run(&["run", "tiny.toml", "-o", "out", "--threads", "1"]).ok();
    assert!(out.stdout.contains("6 runs"), "3 replications x 2 variants: {out}");
    check_golden(&data("tiny.runs.csv"), &w.read("out/runs.csv"));
    check_golden(&data("tiny.summary.csv"), &w.read("out/summary.csv"));
}
