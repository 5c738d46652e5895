//! Every long command stopped at a known point and resumed to the bytes of
//! an uninterrupted run, deterministically: `DETENTE_STOP_AFTER=N` raises
//! the stop flag once N runs (or calibration candidates) have finished,
//! exactly as a SIGINT arriving then would, so no test here races a signal
//! against the clock. The real signals (SIGINT, SIGTERM, SIGKILL) against
//! every command are in `scale.rs` and `calibrate.rs`, behind
//! `DETENTE_SLOW_TESTS=1`.

use std::path::Path;

use crate::workdir::{tiny, Workdir};

#[track_caller]
fn assert_same_files(w: &Workdir, a: &str, b: &str, files: &[&str]) {
    for f in files {
        assert!(w.read(&format!("{a}/{f}")) == w.read(&format!("{b}/{f}")), "{f} of {b} differs from {a}");
    }
}

/// The staging folder of `out`, relative to the workdir.
fn staged(out: &str) -> String {
    format!(".{out}.staging")
}

#[track_caller]
fn assert_stopped(w: &Workdir, out: &str, final_file: &str) {
    let manifest = w.read(&format!("{}/manifest.json", staged(out)));
    assert!(manifest.contains("\"interrupted\": true"), "{manifest}");
    assert!(!w.join(out).exists(), "an interrupted run shows no folder that looks whole");
    assert!(!w.join(&staged(out)).join(final_file).exists(), "nor a file that looks whole");
}

fn args<'a>(base: &[&'a str], extra: &[&'a str], out: &'a str) -> Vec<&'a str> {
    [base, extra, &["--out", out]].concat()
}

#[test]
fn a_stopped_batch_resumes_to_the_bytes_of_the_whole_batch() {
    let w = tiny();
    // Chunks of 1,024 runs: the stop lands after the second chunk of the
    // first variant's 3,000 runs.
    let batch = ["run", "tiny.toml", "-n", "3000", "--events", "--timeseries", "full"];
    w.run(&args(&batch, &[], "whole")).ok();
    let o = w.run_stopped_after(1500, &args(&batch, &["-j", "1"], "part")).code(130);
    assert!(o.stderr.contains("interrupted after 2048 of 6000 runs"), "{o}");
    assert_stopped(&w, "part", "runs.csv");
    w.run(&args(&batch, &["-j", "2", "--resume"], "part")).ok();
    assert_same_files(
        &w,
        "whole",
        "part",
        &[
            "runs.csv",
            "groups.csv",
            "summary.csv",
            "why.csv",
            "events.csv",
            "decisions.csv",
            "timeseries.csv",
        ],
    );
    assert!(!w.join("part/checkpoint.json").exists(), "a finished batch keeps no checkpoint");
    let o = w.run(&args(&batch, &["--resume"], "part")).code(2);
    assert!(o.stderr.contains("the run there has finished"), "{o}");
}

/// The design's arguments: 1,200 points of one run each, so the stop falls
/// between two batches of 64 points.
fn design(command: &str) -> Vec<&str> {
    let mut a = vec![
        command,
        "tiny.toml",
        "--param",
        "actors.raiders.group.strength=0.1:0.9",
        "--param",
        "actors.north.pragmatism=0.2:0.8",
        "--points",
        "300",
        "-n",
        "1",
    ];
    if command == "sweep" {
        a.extend(["--design", "sobol"]);
    }
    if command == "sensitivity" {
        a.extend(["--stage", "3", "--year", "2001"]);
    }
    if command == "discover" {
        a.extend(["--design", "sobol", "--outcome", "group:raiders:peak_above:0.6"]);
    }
    a
}

#[test]
fn stopped_designs_resume_to_the_bytes_of_the_whole_run() {
    for (command, files) in [
        ("sweep", &["points.csv", "runs.csv"][..]),
        ("sensitivity", &["points.csv", "runs.csv", "sensitivity.csv"][..]),
        ("discover", &["points.csv", "discovery.csv"][..]),
    ] {
        let w = tiny();
        let d = design(command);
        w.run(&args(&d, &[], "whole")).ok();
        let o = w.run_stopped_after(500, &args(&d, &["-j", "1"], "part")).code(130);
        // Eight batches of 64 points ran; the last point of a batch is
        // finished only when the next one starts, so 511 are kept.
        assert!(o.stderr.contains(&format!("{command} interrupted after 511 of 1200 runs")), "{o}");
        assert_stopped(&w, "part", "points.csv");
        assert!(
            w.read(&format!("{}/manifest.json", staged("part"))).contains("\"next_point\": 511"),
            "{command}"
        );
        // Stopped once more on the way, then finished on two threads.
        w.run_stopped_after(300, &args(&d, &["--resume"], "part")).code(130);
        w.run(&args(&d, &["-j", "2", "--resume"], "part")).ok();
        assert_same_files(&w, "whole", "part", files);
        assert!(!w.join("part/checkpoint.json").exists(), "{command}: a finished run keeps no checkpoint");
    }
}

#[test]
fn a_stopped_calibration_resumes_to_the_bytes_of_the_whole_calibration() {
    let w = tiny();
    let calibrate = [
        "calibrate",
        "tiny.toml",
        "--reference",
        "reference.csv",
        "--prior",
        "params.ladder.step_rate=0.04:0.16",
        "--particles",
        "16",
        "--proposals",
        "128",
        "--rounds",
        "2",
        "-n",
        "4",
    ];
    w.run(&args(&calibrate, &[], "whole")).ok();
    // Round 0 has 32 candidates, later rounds 128 in chunks of 64 (on one
    // thread): the stop falls inside round 1, which is lost; round 0 is kept.
    let o = w.run_stopped_after(60, &args(&calibrate, &["-j", "1"], "part")).code(130);
    assert!(o.stderr.contains("calibration interrupted after 1 complete round(s), 32 evaluations"), "{o}");
    assert_stopped(&w, "part", "posterior.csv");
    assert!(Path::new(&w.join(&staged("part")).join("calibration-state.json")).exists());
    let o = w.run(&args(&calibrate, &["--seed", "4", "--resume"], "part")).code(2);
    assert!(o.stderr.contains("different calibration"), "{o}");
    let o = w.run(&args(&calibrate, &["--resume"], "none")).code(2);
    assert!(o.stderr.contains("nothing to resume"), "{o}");
    w.run(&args(&calibrate, &["-j", "2", "--resume"], "part")).ok();
    assert_same_files(&w, "whole", "part", &["posterior.csv", "calibration_summary.csv", "best_fit.toml"]);
    assert!(!w.join("part/calibration-state.json").exists(), "a finished calibration keeps no state");
}
