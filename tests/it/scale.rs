//! Sharded batches, sweeps, sensitivity analyses and discoveries merge to
//! the bytes of the whole run; interrupted ones (SIGINT, SIGTERM or SIGKILL)
//! resume to the same bytes.

use std::path::Path;

use crate::workdir::{slow_tests, staging, Workdir};

const FILES: [&str; 7] =
    ["runs.csv", "groups.csv", "summary.csv", "why.csv", "timeseries.csv", "events.csv", "decisions.csv"];

fn vietnam() -> String {
    format!("{}/scenarios/reference-class/us_vietnam_1975.toml", env!("CARGO_MANIFEST_DIR"))
}

fn assert_same_files(a: &Path, b: &Path, files: &[&str]) {
    for f in files {
        let x = std::fs::read(a.join(f)).unwrap_or_else(|e| panic!("{}: {e}", a.join(f).display()));
        let y = std::fs::read(b.join(f)).unwrap_or_else(|e| panic!("{}: {e}", b.join(f).display()));
        assert!(x == y, "{f} differs between {} and {}", a.display(), b.display());
    }
}

#[test]
fn shards_merge_to_the_bytes_of_the_whole_batch() {
    let wd = Workdir::new();
    let common = ["-n", "50", "--seed", "5", "--timeseries", "summary", "--events"];
    let whole = wd.path().join("whole");
    let mut args = vec!["run".to_string(), vietnam()];
    args.extend(common.iter().map(|s| s.to_string()));
    let mut with_out = args.clone();
    with_out.extend(["--out".into(), whole.display().to_string()]);
    assert_eq!(wd.run(&with_out).code, Some(0));
    let mut shards = Vec::new();
    for i in 0..3 {
        let dir = wd.path().join(format!("s{i}"));
        let mut a = args.clone();
        a.extend(["--shard".into(), format!("{i}/3"), "--out".into(), dir.display().to_string()]);
        let o = wd.run(&a);
        assert_eq!(o.code, Some(0), "{}", o.stderr);
        shards.push(dir.display().to_string());
    }
    let merged = wd.path().join("merged");
    let mut a = vec!["merge".to_string()];
    a.extend(shards.iter().rev().cloned());
    a.extend(["--out".into(), merged.display().to_string()]);
    let o = wd.run(&a);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_same_files(&whole, &merged, &FILES);

    let missing = wd.run(&["merge", &shards[0], &shards[2], "--out", "x"]);
    assert_eq!(missing.code, Some(2));
    assert!(missing.stderr.contains("shard 1/3 is missing"), "{}", missing.stderr);
    let twice = wd.run(&["merge", &shards[0], &shards[1], &shards[1], &shards[2], "--out", "x"]);
    assert_eq!(twice.code, Some(2));
    assert!(twice.stderr.contains("more than once"), "{}", twice.stderr);
    assert!(!wd.path().join("x").join("runs.csv").exists());
}

/// Arguments of the 2,500-run Vietnam batch the interruption tests use.
fn batch_args(seed: &str, extra: &[&str], out: &Path) -> Vec<String> {
    let mut args: Vec<String> =
        ["run", &vietnam(), "-n", "2500", "--seed", seed, "--events"].iter().map(|s| s.to_string()).collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--out".to_string(), out.display().to_string()]);
    args
}

/// Starts a long batch, waits for its first checkpoint, sends `signal`, and
/// returns the exit code.
fn interrupt(wd: &Workdir, out: &Path, signal: &str) -> Option<i32> {
    let args = batch_args("9", &["-j", "1", "--checkpoint-seconds", "0"], out);
    wd.interrupt_when(&args, signal, || checkpointed(out, "runs_done") > 0)
}

/// The number `key` of the (sealed) checkpoint in the staging folder of
/// `out`; 0 while there is none.
fn checkpointed(out: &Path, key: &str) -> u64 {
    let cp = std::fs::read_to_string(staging(out).join("checkpoint.json")).unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&cp).ok().and_then(|v| v["content"][key].as_u64()).unwrap_or(0)
}

fn resume_and_compare(wd: &Workdir, out: &Path) {
    let o = wd.run(&batch_args("9", &["-j", "2", "--resume"], out));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let whole = wd.path().join("whole");
    let o = wd.run(&batch_args("9", &[], &whole));
    assert_eq!(o.code, Some(0));
    assert_same_files(
        &whole,
        out,
        &["runs.csv", "groups.csv", "summary.csv", "why.csv", "events.csv", "decisions.csv"],
    );
    assert!(!out.join("checkpoint.json").exists(), "a finished batch keeps no checkpoint");
    assert!(!wd.files().iter().any(|f| f.ends_with(".partial")), "{:?}", wd.files());
}

#[test]
fn sigint_stops_cleanly_and_resume_gives_identical_files() {
    if !slow_tests() {
        return;
    }
    let wd = Workdir::new();
    let out = wd.path().join("int");
    assert_eq!(interrupt(&wd, &out, "-INT"), Some(130));
    let manifest = std::fs::read_to_string(staging(&out).join("manifest.json")).unwrap();
    assert!(manifest.contains("\"interrupted\": true"), "{manifest}");
    assert!(!out.exists(), "an interrupted batch shows no folder that looks whole");
    resume_and_compare(&wd, &out);
}

#[test]
fn sigterm_stops_cleanly_too() {
    if !slow_tests() {
        return;
    }
    let wd = Workdir::new();
    let out = wd.path().join("term");
    assert_eq!(interrupt(&wd, &out, "-TERM"), Some(130));
    resume_and_compare(&wd, &out);
}

#[test]
fn a_batch_killed_mid_write_resumes_to_identical_files() {
    if !slow_tests() {
        return;
    }
    let wd = Workdir::new();
    let out = wd.path().join("kill");
    assert_eq!(interrupt(&wd, &out, "-KILL"), None);
    resume_and_compare(&wd, &out);
}

#[test]
fn resume_refuses_a_different_batch_and_a_missing_checkpoint() {
    let wd = Workdir::new();
    let out = wd.path().join("int");
    assert_eq!(interrupt(&wd, &out, "-INT"), Some(130));
    let o = wd.run(&batch_args("10", &["--resume"], &out));
    assert_eq!(o.code, Some(2));
    assert!(o.stderr.contains("different batch"), "{}", o.stderr);
    let o = wd.run(&[
        "run",
        &vietnam(),
        "-n",
        "5",
        "--resume",
        "--out",
        wd.path().join("none").to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(2));
    assert!(o.stderr.contains("nothing to resume"), "{}", o.stderr);
}

#[test]
fn an_unwritable_output_location_is_a_clear_error() {
    let wd = Workdir::new();
    let blocker = wd.write("blocker", "a file where a folder should be");
    let out = blocker.join("results");
    let o = wd.run(&["run", &vietnam(), "-n", "2", "--out", out.to_str().unwrap()]);
    assert_eq!(o.code, Some(2));
    assert!(o.stderr.contains("cannot write results") && o.stderr.contains("blocker"), "{}", o.stderr);
}

fn afghanistan() -> String {
    format!("{}/scenarios/afghanistan/baseline.toml", env!("CARGO_MANIFEST_DIR"))
}

/// `merge` of `shards` into `out`, with its output.
fn merge(wd: &Workdir, shards: &[String], out: &Path) -> crate::workdir::Output {
    let mut a = vec!["merge".to_string()];
    a.extend(shards.iter().cloned());
    a.extend(["--out".into(), out.display().to_string()]);
    wd.run(&a)
}

/// Runs `args` whole and as three shards merged (shards given out of
/// order), and checks that `files` are byte-identical; returns the shard folders.
fn whole_and_sharded(wd: &Workdir, name: &str, args: &[&str], files: &[&str]) -> Vec<String> {
    let whole = wd.path().join(format!("{name}-whole"));
    let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    a.extend(["--out".into(), whole.display().to_string()]);
    let o = wd.run(&a);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let mut shards = Vec::new();
    for i in 0..3 {
        let dir = wd.path().join(format!("{name}-s{i}"));
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        a.extend(["--shard".into(), format!("{i}/3"), "-j".into(), "1".into()]);
        a.extend(["--out".into(), dir.display().to_string()]);
        let o = wd.run(&a);
        assert_eq!(o.code, Some(0), "{}", o.stderr);
        assert!(dir.join("shard-state.json").exists(), "{}", dir.display());
        shards.push(dir.display().to_string());
    }
    let merged = wd.path().join(format!("{name}-merged"));
    let order = [shards[2].clone(), shards[0].clone(), shards[1].clone()];
    let o = merge(wd, &order, &merged);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_same_files(&whole, &merged, files);
    shards
}

#[test]
fn sweep_sensitivity_and_discover_shards_merge_to_the_bytes_of_the_whole_run() {
    let wd = Workdir::new();
    let afg = afghanistan();
    let sweep = whole_and_sharded(
        &wd,
        "sweep",
        &["sweep", &afg, "--points", "10", "-n", "3", "--seed", "4"],
        &["runs.csv", "points.csv"],
    );
    let sens = whole_and_sharded(
        &wd,
        "sens",
        &["sensitivity", &afg, "--points", "3", "-n", "2", "--seed", "4"],
        &["runs.csv", "points.csv", "sensitivity.csv"],
    );
    whole_and_sharded(
        &wd,
        "disc",
        // ISIS-K shrinks in the Afghanistan scenario, as in its record; the TTP grows.
        &["discover", &afg, "--outcome", "group:ttp:grew", "--points", "24", "-n", "2"],
        &["points.csv", "discovery.csv"],
    );

    let missing = merge(&wd, &[sens[0].clone(), sens[2].clone()], &wd.path().join("x"));
    assert_eq!(missing.code, Some(2));
    assert!(missing.stderr.contains("shard 1/3 is missing"), "{}", missing.stderr);
    let twice = merge(
        &wd,
        &[sens[0].clone(), sens[1].clone(), sens[1].clone(), sens[2].clone()],
        &wd.path().join("x"),
    );
    assert_eq!(twice.code, Some(2));
    assert!(twice.stderr.contains("more than once"), "{}", twice.stderr);
    let mixed = merge(&wd, &[sens[0].clone(), sweep[1].clone(), sens[2].clone()], &wd.path().join("x"));
    assert_eq!(mixed.code, Some(2));
    assert!(mixed.stderr.contains("different jobs"), "{}", mixed.stderr);
    assert!(!wd.path().join("x").join("points.csv").exists());
}

/// Arguments of the designs the interruption tests use: `command` (the
/// analysis or a discovery) over a Sobol' design of 300 base rows and two
/// parameters (1,200 points), one run per point, so points finish (and
/// checkpoints follow) every few milliseconds.
fn design_args(command: &str, seed: &str, extra: &[&str], out: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        command,
        &vietnam(),
        "--param",
        "params.ladder.step_rate=0.05:0.12",
        "--param",
        "params.choice.rationality=3:9",
        "--points",
        "300",
        "-n",
        "1",
        "--seed",
        seed,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if command == "sweep" {
        args.extend(["--design", "sobol"].map(String::from));
    }
    if command == "discover" {
        args.extend(["--design", "sobol", "--outcome", "stage:us-vietnam:5:by:1997"].map(String::from));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--out".to_string(), out.display().to_string()]);
    args
}

/// Starts a long design, waits until a checkpoint records finished design
/// points, sends `signal`, and returns the exit code.
fn interrupt_design(wd: &Workdir, command: &str, out: &Path, signal: &str) -> Option<i32> {
    let args = design_args(command, "3", &["-j", "1", "--checkpoint-seconds", "0"], out);
    wd.interrupt_when(&args, signal, || checkpointed(out, "next_point") > 0)
}

/// Stops `command` with each signal, resumes it (with another thread
/// count), and compares `files` with an uninterrupted run.
fn interrupt_and_resume_design(command: &str, files: &[&str]) {
    if !slow_tests() {
        return;
    }
    let wd = Workdir::new();
    let whole = wd.path().join("whole");
    let o = wd.run(&design_args(command, "3", &[], &whole));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    for (signal, code) in [("-INT", Some(130)), ("-TERM", Some(130)), ("-KILL", None)] {
        let out = wd.path().join(&signal[1..]);
        assert_eq!(interrupt_design(&wd, command, &out, signal), code, "{signal}");
        if code.is_some() {
            let manifest = std::fs::read_to_string(staging(&out).join("manifest.json")).unwrap();
            assert!(
                manifest.contains("\"interrupted\": true") && manifest.contains("next_point"),
                "{manifest}"
            );
            assert!(!out.exists(), "an interrupted run shows no folder that looks whole");
        }
        let o = wd.run(&design_args(command, "4", &["--resume"], &out));
        assert_eq!(o.code, Some(2), "a different seed is a different run");
        assert!(o.stderr.contains("different run"), "{}", o.stderr);
        let o = wd.run(&design_args(command, "3", &["-j", "2", "--resume"], &out));
        assert_eq!(o.code, Some(0), "{}", o.stderr);
        assert_same_files(&whole, &out, files);
        assert!(!out.join("checkpoint.json").exists(), "a finished run keeps no checkpoint");
    }
    assert!(!wd.files().iter().any(|f| f.ends_with(".partial")), "{:?}", wd.files());
}

#[test]
fn an_interrupted_or_killed_sensitivity_analysis_resumes_to_identical_files() {
    interrupt_and_resume_design("sensitivity", &["points.csv", "runs.csv", "sensitivity.csv"]);
}

#[test]
fn an_interrupted_or_killed_sweep_resumes_to_identical_files() {
    interrupt_and_resume_design("sweep", &["points.csv", "runs.csv"]);
}

/// A discovery carries every run's yes/no outcome across the interruption.
#[test]
fn an_interrupted_or_killed_discovery_resumes_to_identical_files() {
    interrupt_and_resume_design("discover", &["points.csv", "discovery.csv"]);
}

/// A full disk ends the command with exit 2 and a message saying so, for a
/// batch and for a design, and leaves nothing behind (`faults.rs` fills a
/// real small file system at several levels).
#[test]
fn a_full_disk_is_a_clear_error() {
    let wd = Workdir::new();
    for args in [
        vec!["run".to_string(), vietnam(), "-n".into(), "500".into()],
        vec!["sweep".to_string(), afghanistan(), "--points".into(), "4".into(), "-n".into(), "2".into()],
    ] {
        let out = wd.path().join(&args[0]);
        let mut a = args.clone();
        a.extend(["--out".to_string(), out.display().to_string()]);
        let o = wd.run_env(&[("DETENTE_FAULT_DISK_BYTES", "3000")], &a);
        assert_eq!(o.code, Some(2), "{}", o.stderr);
        assert!(o.stderr.contains("No space left on device"), "{}", o.stderr);
        assert!(!out.exists() && !staging(&out).exists(), "{:?}", wd.files());
    }
}
