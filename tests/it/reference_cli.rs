//! End-to-end: `compare` and `calibrate` on shipped and unseen references, and their error paths.

use crate::workdir::Workdir;

fn root(p: &str) -> String {
    format!("{}/{}", env!("CARGO_MANIFEST_DIR"), p)
}

/// A history the project never shipped (US–China 1969–1979, coded on the same ladder).
const UNSEEN: &str = "\
date,stage,event,note,source,extra_column
1969-07-01,1,Travel and trade restrictions eased,,test data,x
1971-07-09,2,Secret Kissinger visit,,test data,x
1973-05-01,3,Liaison offices open,,test data,x
1979-01-01,5,Diplomatic relations established,,test data,x
";

#[test]
fn compare_writes_per_run_and_summary_rows() {
    let wd = Workdir::new();
    let out = wd.path().join("cmp");
    let o = wd.run(&[
        "compare",
        &root("scenarios/reference-class/us_vietnam_1975.toml"),
        "--reference",
        &root("scenarios/reference/us_vietnam.csv"),
        "-n",
        "30",
        "--variant",
        "baseline",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let runs = std::fs::read_to_string(out.join("compare_runs.csv")).unwrap();
    assert!(runs.starts_with(
        "scenario,variant,dyad,reference,alignment,replicate,run_seed,stage_2_reference_months,"
    ));
    assert_eq!(runs.lines().count(), 31);
    let summary = std::fs::read_to_string(out.join("compare_summary.csv")).unwrap();
    assert!(summary.lines().next().unwrap().contains("stage_5_share_faster"));
    assert_eq!(summary.lines().count(), 2);
    assert!(out.join("manifest.json").exists());
}

#[test]
fn an_unseen_reference_works_with_origin_alignment() {
    let wd = Workdir::new();
    let reference = wd.path().join("us_china.csv");
    std::fs::write(&reference, UNSEEN).unwrap();
    let out = wd.path().join("pace");
    let o = wd.run(&[
        "compare",
        &root("scenarios/afghanistan/baseline.toml"),
        "--dyad",
        "us-taliban",
        "--reference",
        reference.to_str().unwrap(),
        "--align",
        "origin",
        "-n",
        "20",
        "--variant",
        "baseline",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let summary = std::fs::read_to_string(out.join("compare_summary.csv")).unwrap();
    let row = summary.lines().nth(1).unwrap();
    assert!(row.contains("us_china,origin:1969-07-01"), "{row}");
}

#[test]
fn a_bad_reference_is_reported_with_file_and_line() {
    let wd = Workdir::new();
    let bad = wd.path().join("bad.csv");
    std::fs::write(&bad, "date,stage\n1990-01-01,2\n1989-01-01,3\n1991-02-30,4\n1992-01-01,12\n").unwrap();
    let o = wd.run(&[
        "compare",
        &root("scenarios/reference-class/us_vietnam_1975.toml"),
        "--reference",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(2));
    for line in [3, 4, 5] {
        assert!(o.stderr.contains(&format!("bad.csv:{line}:")), "line {line} missing in:\n{}", o.stderr);
    }
    assert!(!o.stderr.contains("panicked"));
    let missing = wd.path().join("nodate.csv");
    std::fs::write(&missing, "when,stage\n1990-01-01,2\n").unwrap();
    let o = wd.run(&[
        "compare",
        &root("scenarios/reference-class/us_vietnam_1975.toml"),
        "--reference",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(2));
    assert!(o.stderr.contains("nodate.csv:1:"), "{}", o.stderr);
}

#[test]
fn calibrate_writes_posterior_summary_and_a_runnable_best_fit() {
    let wd = Workdir::new();
    let reference = wd.path().join("us_china.csv");
    std::fs::write(&reference, UNSEEN).unwrap();
    let out = wd.path().join("cal");
    let o = wd.run(&[
        "calibrate",
        &root("scenarios/reference-class/us_vietnam_1975.toml"),
        "--reference",
        reference.to_str().unwrap(),
        "--align",
        "origin",
        "--prior",
        "params.ladder.step_rate=0.04:0.16",
        "--method",
        "rejection",
        "--particles",
        "5",
        "--max-evaluations",
        "20",
        "-n",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let posterior = std::fs::read_to_string(out.join("posterior.csv")).unwrap();
    assert!(posterior.starts_with("particle,params.ladder.step_rate,distance_years,weight"));
    assert_eq!(posterior.lines().count(), 6);
    let summary = std::fs::read_to_string(out.join("calibration_summary.csv")).unwrap();
    assert!(summary.contains("params.ladder.step_rate,0.04,0.16,"));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"converged\": true") && manifest.contains("\"acceptance_rate\""));
    let best = out.join("best_fit.toml");
    let o = wd.run(&[
        "run",
        best.to_str().unwrap(),
        "--variant",
        "calibrated",
        "-n",
        "3",
        "--out",
        wd.path().join("r").to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
}

#[test]
fn calibrate_rejects_bad_priors() {
    let wd = Workdir::new();
    let scenario = root("scenarios/reference-class/us_vietnam_1975.toml");
    for prior in [
        "params.nope.x=0:1",
        "params.trust.learn_up=0.5:0.1",
        "params.trust.learn_up=0:20",
        "params.trust.learn_up",
    ] {
        let o = wd.run(&["calibrate", &scenario, "--prior", prior, "--max-evaluations", "4"]);
        assert_eq!(o.code, Some(2), "{prior}: {}", o.stderr);
        assert!(o.stderr.contains("--prior"), "{prior}: {}", o.stderr);
    }
}

#[test]
fn a_results_folder_compares_like_the_scenario_run_on_the_fly() {
    let wd = Workdir::new();
    let scenario = root("scenarios/reference-class/us_vietnam_1975.toml");
    let reference = root("scenarios/reference/us_vietnam.csv");
    let batch = wd.path().join("batch");
    let o = wd.run(&["run", &scenario, "-n", "12", "--timeseries", "full", "--out", batch.to_str().unwrap()]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let from_folder = wd.path().join("a");
    let o = wd.run(&[
        "compare",
        batch.to_str().unwrap(),
        "--dyad",
        "us-vietnam",
        "-r",
        &reference,
        "--out",
        from_folder.to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let on_the_fly = wd.path().join("b");
    let o =
        wd.run(&["compare", &scenario, "-n", "12", "-r", &reference, "--out", on_the_fly.to_str().unwrap()]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    // The dyad in the other order names the same one, as for every command.
    let reversed = wd.path().join("c");
    let o = wd.run(&[
        "compare",
        batch.to_str().unwrap(),
        "--dyad",
        "vietnam-us",
        "-r",
        &reference,
        "--out",
        reversed.to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    for file in ["compare_runs.csv", "compare_summary.csv"] {
        let a = std::fs::read(from_folder.join(file)).unwrap();
        let b = std::fs::read(on_the_fly.join(file)).unwrap();
        assert!(a == b, "{file} differs between a results folder and a run on the fly");
        assert!(a == std::fs::read(reversed.join(file)).unwrap(), "{file}: vietnam-us is us-vietnam");
    }
    let summary_only = wd.path().join("s");
    let o = wd.run(&[
        "run",
        &scenario,
        "-n",
        "2",
        "--timeseries",
        "summary",
        "--out",
        summary_only.to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(0));
    let o = wd.run(&["compare", summary_only.to_str().unwrap(), "--dyad", "us-vietnam", "-r", &reference]);
    assert_eq!(o.code, Some(2));
    assert!(o.stderr.contains("timeseries.csv:1:") && o.stderr.contains("--timeseries full"), "{}", o.stderr);
}
