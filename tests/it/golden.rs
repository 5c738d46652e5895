//! Golden files: every output the tool writes, byte for byte.
//!
//! `tests/data/tiny.toml` (two states and an armed group, 24 months, three
//! replications, seed 42) is run through the binary by every command that
//! writes files, and each file is compared with its committed copy:
//! `tiny.runs.csv` and `tiny.summary.csv` at the top of `tests/data/`, the
//! rest under `tests/data/golden/`. Any change to the model, the seeds or
//! the output format shows up here as a diff. When the change is intended,
//! rewrite the files with `UPDATE_EXPECT=1 cargo test golden` and review
//! them in git. Each command runs on a design or population small enough to
//! take well under a second.

use crate::workdir::{check_golden, data, tiny, Workdir};

/// Compares `dir/name` in the workdir with `tests/data/golden/<prefix>.<name>`.
fn check(w: &Workdir, dir: &str, prefix: &str, names: &[&str]) {
    for name in names {
        let golden = data("golden").join(format!("{prefix}.{}", name.replace('/', "_")));
        check_golden(&golden, &w.read(&format!("{dir}/{name}")));
    }
}

#[test]
fn tiny_scenario_matches_the_golden_csvs() {
    let w = tiny();
    // Replications and seed come from the file's [run] table.
    let out = w.run(&["run", "tiny.toml", "-o", "out", "--threads", "1"]).ok();
    assert!(out.stdout.contains("6 runs"), "3 replications x 2 variants: {out}");
    check_golden(&data("tiny.runs.csv"), &w.read("out/runs.csv"));
    check_golden(&data("tiny.summary.csv"), &w.read("out/summary.csv"));
    check(&w, "out", "run", &["groups.csv", "why.csv"]);
}

#[test]
fn every_run_with_its_events_and_full_timeseries_matches_the_golden_files() {
    let w = tiny();
    w.run(&["run", "tiny.toml", "-o", "full", "--events", "--timeseries", "full"]).ok();
    check(&w, "full", "run_full", &["runs.csv", "events.csv", "decisions.csv", "timeseries.csv"]);
    w.run(&["run", "tiny.toml", "-o", "bands", "--events", "--timeseries", "summary", "--report"]).ok();
    check(&w, "bands", "run_summary", &["timeseries.csv", "charts/fan_stage_tiny_north-south.svg"]);
}

#[test]
fn a_diff_of_two_runs_matches_the_golden_file() {
    let w = tiny();
    w.run(&["run", "tiny.toml", "-o", "a", "-n", "30"]).ok();
    w.run(&["run", "tiny.toml", "-o", "b", "-n", "30", "--seed", "43"]).ok();
    w.run(&["diff", "a", "b", "--out", "d"]).ok();
    check(&w, "d", "diff", &["diff.csv"]);
}

#[test]
fn a_sweep_matches_the_golden_files() {
    let w = tiny();
    w.run(&[
        "sweep",
        "tiny.toml",
        "--param",
        "actors.raiders.group.strength=0.1:0.9",
        "--values",
        "actors.north.pragmatism=0.3,0.7",
        "--points",
        "4",
        "-n",
        "2",
        "--out",
        "s",
    ])
    .ok();
    check(&w, "s", "sweep", &["points.csv", "runs.csv"]);
}

#[test]
fn sensitivity_analyses_match_the_golden_files() {
    let w = tiny();
    for method in ["sobol", "morris"] {
        w.run(&[
            "sensitivity",
            "tiny.toml",
            "--method",
            method,
            "--param",
            "actors.raiders.group.strength=0.1:0.9",
            "--param",
            "actors.north.pragmatism=0.2:0.8",
            "--points",
            "4",
            "-n",
            "2",
            "--stage",
            "3",
            "--year",
            "2001",
            "--out",
            method,
        ])
        .ok();
        check(&w, method, &format!("sensitivity_{method}"), &["sensitivity.csv", "points.csv"]);
    }
}

#[test]
fn a_discovery_matches_the_golden_files() {
    let w = tiny();
    w.run(&[
        "discover",
        "tiny.toml",
        "--outcome",
        "group:raiders:peak_above:0.6",
        "--param",
        "actors.raiders.group.strength=0.1:0.9",
        "--param",
        "actors.north.pragmatism=0.2:0.8",
        "--points",
        "30",
        "-n",
        "2",
        "--out",
        "d",
    ])
    .ok();
    check(&w, "d", "discover", &["discovery.csv", "points.csv"]);
}

#[test]
fn a_comparison_with_a_reference_matches_the_golden_files() {
    let w = tiny();
    w.run(&["compare", "tiny.toml", "--reference", "reference.csv", "--out", "c"]).ok();
    check(&w, "c", "compare", &["compare_runs.csv", "compare_summary.csv"]);
}

#[test]
fn a_calibration_matches_the_golden_files() {
    let w = tiny();
    for method in ["rejection", "smc"] {
        w.run(&[
            "calibrate",
            "tiny.toml",
            "--reference",
            "reference.csv",
            "--prior",
            "params.ladder.step_rate=0.04:0.16",
            "--method",
            method,
            "--particles",
            "3",
            "--rounds",
            "1",
            "--proposals",
            "4",
            "--max-evaluations",
            "12",
            "-n",
            "2",
            "--out",
            method,
        ])
        .ok();
        check(
            &w,
            method,
            &format!("calibrate_{method}"),
            &["posterior.csv", "calibration_summary.csv", "best_fit.toml"],
        );
    }
}
