//! Determinism: a run is a pure function of the scenario and the seed.
//!
//! The same scenario and seed give byte-identical CSVs whatever the thread
//! count and however often they are run; a different seed gives different
//! runs; a replicate's row does not depend on how many replicates ran with
//! it, including across the batch's chunk boundary (1024 runs).

use std::sync::atomic::AtomicBool;

use crate::workdir::{assert_no_partials, assert_text_eq, data, vietnam, Table, Workdir};
use detente::batch::{self, Capture, Job, RunResult};
use detente::engine::{Recorder, Simulator};

const OUTPUTS: [&str; 7] =
    ["runs.csv", "groups.csv", "summary.csv", "why.csv", "timeseries.csv", "events.csv", "decisions.csv"];

/// Runs `detente run FILE ARGS -o OUT` in `w`.
fn run_into(w: &Workdir, file: &std::path::Path, out: &str, args: &[&str]) {
    let mut all = vec!["run".to_string(), file.display().to_string(), "-o".into(), out.into()];
    all.extend(args.iter().map(|a| a.to_string()));
    w.run(&all).ok();
    assert_no_partials(w);
}

/// Asserts every output CSV in `a/` and `b/` is byte-identical.
fn assert_same_outputs(w: &Workdir, a: &str, b: &str) {
    for name in OUTPUTS {
        let (pa, pb) = (w.join(&format!("{a}/{name}")), w.join(&format!("{b}/{name}")));
        assert_eq!(pa.exists(), pb.exists(), "{name} written in one folder only");
        if pa.exists() {
            assert_text_eq(&w.read(&format!("{a}/{name}")), &w.read(&format!("{b}/{name}")), name);
        }
    }
}

#[test]
fn same_bytes_any_thread_count() {
    let w = Workdir::new();
    let opts = ["-n", "20", "--timeseries", "summary", "--events"];
    run_into(&w, &vietnam(), "one", &[&opts[..], &["--threads", "1"]].concat());
    run_into(&w, &vietnam(), "two", &[&opts[..], &["--threads", "2"]].concat());
    run_into(&w, &vietnam(), "four", &[&opts[..], &["--threads", "4"]].concat());
    assert_same_outputs(&w, "one", "two");
    assert_same_outputs(&w, "one", "four");

    let tiny = data("tiny.toml");
    let opts = ["-n", "40", "--timeseries", "full", "--events"];
    run_into(&w, &tiny, "t1", &[&opts[..], &["--threads", "1"]].concat());
    run_into(&w, &tiny, "t2", &[&opts[..], &["--threads", "2"]].concat());
    assert_same_outputs(&w, "t1", "t2");
}

#[test]
fn same_bytes_across_invocations() {
    let w = Workdir::new();
    let opts = ["-n", "20", "--timeseries", "full", "--events", "--seed", "9"];
    run_into(&w, &vietnam(), "a", &opts);
    run_into(&w, &vietnam(), "b", &opts);
    assert_same_outputs(&w, "a", "b");
}

#[test]
fn a_different_seed_gives_different_runs() {
    let w = Workdir::new();
    run_into(&w, &vietnam(), "a", &["-n", "20", "--seed", "1"]);
    run_into(&w, &vietnam(), "b", &["-n", "20", "--seed", "2"]);
    let (a, b) = (Table::parse(&w.read("a/runs.csv")), Table::parse(&w.read("b/runs.csv")));
    assert_ne!(a.rows, b.rows);
    let seeds_a = a.column("run_seed");
    assert!(
        seeds_a.iter().zip(b.column("run_seed")).all(|(x, y)| *x != y),
        "every run seed depends on the master seed"
    );
    // More than the seed column differs: the paths themselves change.
    let months = |t: &Table| t.column("stage_3_month").iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_ne!(months(&a), months(&b));
}

#[test]
fn rows_do_not_depend_on_the_number_of_replications_across_a_chunk() {
    assert_eq!(batch::CHUNK, 1024, "this test crosses the chunk boundary with 1100 runs");
    let w = Workdir::new();
    let tiny = data("tiny.toml");
    let opts = ["-n", "1100", "--variant", "baseline", "--timeseries", "summary", "--events"];
    run_into(&w, &tiny, "one", &[&opts[..], &["--threads", "1"]].concat());
    run_into(&w, &tiny, "two", &[&opts[..], &["--threads", "2"]].concat());
    assert_same_outputs(&w, "one", "two");

    let t = Table::parse(&w.read("one/runs.csv"));
    assert_eq!(t.rows.len(), 1100);
    for (k, r) in t.column("replicate").iter().enumerate() {
        assert_eq!(*r, k.to_string(), "rows in replicate order across the chunk boundary");
    }
    let s = Table::parse(&w.read("one/summary.csv"));
    assert_eq!(s.column("runs"), ["1100"]);

    // The first replicates are the same runs whether 20 or 1100 were asked for.
    run_into(&w, &tiny, "few", &["-n", "20", "--variant", "baseline"]);
    let few = Table::parse(&w.read("few/runs.csv"));
    assert_eq!(few.rows[..], t.rows[..20]);
}

fn collect(jobs: &[Job<'_>], threads: usize) -> Vec<(usize, RunResult)> {
    let mut out = Vec::new();
    let stop = AtomicBool::new(false);
    let capture = Capture { series: true, bins: true, fired: true, decisions: true };
    batch::execute(jobs, &batch::Pool::new(threads).unwrap(), capture, &stop, |k, runs: &[RunResult]| {
        out.extend(runs.iter().map(|r| (k, r.clone())));
        Ok::<(), ()>(())
    })
    .expect("the batch completes");
    out
}

fn same(a: &RunResult, b: &RunResult) -> bool {
    a.replicate == b.replicate
        && a.seed == b.seed
        && a.outcome == b.outcome
        && a.series == b.series
        && a.fired == b.fired
        && a.why == b.why
}

#[test]
fn library_batches_match_single_runs_and_shards() {
    let scenario = detente::scenario::load(&data("tiny.toml")).expect("tiny.toml is valid");
    let jobs: Vec<Job<'_>> = scenario
        .variants
        .iter()
        .map(|v| Job {
            scenario: &scenario.name,
            variant: &v.name,
            setup: &v.setup,
            point: 0,
            replications: 30,
            seed: scenario.seed,
            first_replicate: 0,
        })
        .collect();
    let one = collect(&jobs, 1);
    let two = collect(&jobs, 2);
    assert_eq!(one.len(), 60);
    assert!(one.iter().zip(&two).all(|((j, a), (k, b))| j == k && same(a, b)), "threads change results");

    // Each run is what a lone simulator gives for the run's seed.
    let mut sim = Simulator::new();
    let mut rec = Recorder::new(true, true);
    for (k, r) in &one {
        let job = &jobs[*k];
        assert_eq!(r.seed, job.run_seed(r.replicate));
        let outcome = sim.run(job.setup, r.seed, &mut rec);
        assert_eq!(outcome, r.outcome);
        assert_eq!(rec.series.as_ref(), Some(&r.series));
        assert_eq!(rec.fired.as_ref(), Some(&r.fired));
    }

    // A shard (replicates 10..20) holds the same runs as the full batch.
    let shard: Vec<Job<'_>> =
        jobs.iter().map(|j| Job { first_replicate: 10, replications: 10, ..j.clone() }).collect();
    let part = collect(&shard, 2);
    assert_eq!(part.len(), 20);
    for (k, r) in &part {
        let (_, full) = &one[k * 30 + r.replicate as usize];
        assert!(same(r, full), "replicate {} of job {k} differs in a shard", r.replicate);
    }
}
