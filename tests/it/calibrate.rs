//! Calibration recovers known parameters from a synthetic reference; it is
//! reproducible whatever the thread count; interrupted (SIGINT or SIGKILL)
//! and resumed, or run round by round as shards and merged, it writes the
//! bytes of an uninterrupted, unsharded run.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

use detente::batch::Pool;
use detente::calibrate::{Calibration, Method, OneHistory, Particle, State};
use detente::compare::Alignment;
use detente::engine::{run_seed, Recorder, Simulator};
use detente::model::resolve_prior;
use detente::model::{Field, Op};
use detente::reference::ReferencePath;
use detente::scenario::load;
use detente::stats::quantile::nearest_rank_weighted;

use crate::workdir::{slow_tests, staging, Workdir};

const KEY: &str = "params.ladder.months_above";
const TRUE_VALUE: f64 = 12.0;
const PRIOR: [f64; 2] = [2.0, 30.0];

/// The median first-reach month of every stage at the true value, written
/// as a reference history.
fn synthetic_reference(dir: &Path) -> std::path::PathBuf {
    let s =
        load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-class/us_vietnam_1975.toml"))
            .unwrap();
    let mut setup = s.base.clone();
    Field::resolve(&setup.world, KEY).unwrap().apply(&mut setup.world, Op::Set, TRUE_VALUE);
    let mut sim = Simulator::new();
    let mut rec = Recorder::new(false, false);
    let stages = setup.world.ladder.len();
    let mut reach: Vec<Vec<u32>> = vec![Vec::new(); stages];
    let runs = 300;
    for r in 0..runs {
        let out = sim.run(&setup, run_seed(99, "synthetic", "truth", 0, r), &mut rec);
        for (st, m) in out.dyads[0].first_reach.iter().take(stages).enumerate() {
            if let Some(m) = m {
                reach[st].push(*m);
            }
        }
    }
    let mut csv = String::from("date,stage\n");
    csv.push_str(&format!("{},1\n", setup.start.first_day()));
    let mut last = 0;
    for (st, mut months) in reach.into_iter().enumerate().skip(2) {
        if months.len() < runs as usize / 2 {
            break;
        }
        months.sort_unstable();
        let median = months[months.len() / 2];
        if median > last {
            csv.push_str(&format!("{},{st}\n", setup.month(median).first_day()));
            last = median;
        }
    }
    let path = dir.join("synthetic.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn smc_recovers_the_step_rate_used_to_make_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let reference_path = synthetic_reference(dir.path());
    let s =
        load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-class/us_vietnam_1975.toml"))
            .unwrap();
    let reference = ReferencePath::load(&reference_path, s.base.world.ladder.len()).unwrap();
    let priors = vec![resolve_prior(&s.base.world, KEY, &PRIOR).unwrap()];
    let objective = OneHistory {
        setup: s.base.clone(),
        scenario: s.name.clone(),
        dyad: 0,
        reference,
        alignment: Alignment::Calendar,
        censor_penalty_months: 60.0,
        replications: 30,
        seed: 5,
    };
    let calibration = Calibration {
        objective: &objective,
        priors: &priors,
        method: Method::Smc,
        particles: 40,
        rounds: 2,
        proposals: 80,
        max_evaluations: 800,
        seed: 5,
        pool: &Pool::new(2).unwrap(),
    };
    let particles = run_to_the_end(&calibration);
    let values: Vec<f64> = particles.iter().map(|p| p.values[0]).collect();
    let weights: Vec<f64> = particles.iter().map(|p| p.weight).collect();
    let lo = nearest_rank_weighted(&values, &weights, 0.05).unwrap();
    let median = nearest_rank_weighted(&values, &weights, 0.5).unwrap();
    let hi = nearest_rank_weighted(&values, &weights, 0.95).unwrap();
    assert!(lo <= TRUE_VALUE && TRUE_VALUE <= hi, "90 % interval [{lo}, {hi}] misses {TRUE_VALUE}");
    // Stated tolerance: the posterior median within 4 months of the truth (prior width 28).
    assert!((median - TRUE_VALUE).abs() <= 4.0, "median {median} vs {TRUE_VALUE}");
    assert!(hi - lo < PRIOR[1] - PRIOR[0], "the posterior must be narrower than the prior");
}

#[test]
fn calibration_is_reproducible_whatever_the_thread_count() {
    let s =
        load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-class/us_vietnam_1975.toml"))
            .unwrap();
    let reference = ReferencePath::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference/us_vietnam.csv"),
        s.base.world.ladder.len(),
    )
    .unwrap();
    let priors = vec![resolve_prior(&s.base.world, KEY, &PRIOR).unwrap()];
    let run = |threads| {
        let pool = Pool::new(threads).unwrap();
        let objective = OneHistory {
            setup: s.base.clone(),
            scenario: s.name.clone(),
            dyad: 0,
            reference: reference.clone(),
            alignment: Alignment::Calendar,
            censor_penalty_months: 60.0,
            replications: 5,
            seed: 11,
        };
        let calibration = Calibration {
            objective: &objective,
            priors: &priors,
            method: Method::Smc,
            particles: 8,
            rounds: 1,
            proposals: 24,
            max_evaluations: 60,
            seed: 11,
            pool: &pool,
        };
        run_to_the_end(&calibration)
    };
    assert_eq!(run(1), run(2));
}

/// The final population of a calibration run without stops or checkpoints.
fn run_to_the_end(calibration: &Calibration<'_>) -> Vec<Particle> {
    let never = AtomicBool::new(false);
    let done = calibration.run(State::default(), &never, |_, _| {}, |_| Ok::<(), ()>(()));
    done.expect("no checkpoint can fail").0.population
}

/// The files of a finished calibration, which interrupted, resumed and merged
/// calibrations must reproduce byte for byte.
const FINAL_FILES: [&str; 3] = ["posterior.csv", "calibration_summary.csv", "best_fit.toml"];

/// A small Vietnam calibration: 32 prior draws, then two rounds of 128
/// proposals, 16 replications each. With one thread rounds 1 and 2 take
/// about 1.5 s (a chunk of 64 proposals about 0.4 s), so a signal sent once
/// round 0 is recorded lands in a later round.
fn calibrate_args(seed: &str, extra: &[&str], out: &Path) -> Vec<String> {
    let scenario = crate::workdir::vietnam().display().to_string();
    let mut args: Vec<String> =
        ["calibrate", &scenario, "--particles", "16", "--proposals", "128", "--rounds", "2", "-n", "16"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    args.extend(["--seed", seed].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--out".to_string(), out.display().to_string()]);
    args
}

/// The final files of the uninterrupted, unsharded calibration, computed once.
fn whole_run() -> &'static [Vec<u8>] {
    static WHOLE: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    WHOLE.get_or_init(|| {
        let wd = Workdir::new();
        let out = wd.join("whole");
        let o = wd.run(&calibrate_args("3", &["-j", "2"], &out));
        assert_eq!(o.code, Some(0), "{}", o.stderr);
        assert!(!out.join("calibration-state.json").exists(), "a finished calibration keeps no state");
        FINAL_FILES.iter().map(|f| std::fs::read(out.join(f)).expect("a final file")).collect()
    })
}

fn assert_like_the_whole_run(dir: &Path) {
    for (name, expected) in FINAL_FILES.iter().zip(whole_run()) {
        let got =
            std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()));
        assert!(&got == expected, "{name} in {} differs from the uninterrupted run", dir.display());
    }
}

/// Rounds recorded in the (sealed) state file of the unfinished calibration
/// of `out`, if it is there.
fn completed_rounds(out: &Path) -> usize {
    std::fs::read_to_string(staging(out).join("calibration-state.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["content"]["state"]["rounds"].as_array().map(Vec::len))
        .unwrap_or(0)
}

/// Starts the calibration on one thread, waits until round 0 is recorded,
/// sends `signal`, and returns the exit code.
fn interrupt(wd: &Workdir, out: &Path, signal: &str) -> Option<i32> {
    wd.interrupt_when(&calibrate_args("3", &["-j", "1"], out), signal, || completed_rounds(out) >= 1)
}

fn resume_and_compare(wd: &Workdir, out: &Path) {
    let o = wd.run(&calibrate_args("3", &["-j", "2", "--resume"], out));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert_like_the_whole_run(out);
    assert!(!out.join("calibration-state.json").exists(), "a finished calibration keeps no state");
    assert!(!wd.files().iter().any(|f| f.ends_with(".partial")), "{:?}", wd.files());
}

#[test]
fn sigint_stops_a_calibration_between_chunks_and_resume_gives_identical_files() {
    if !slow_tests() {
        return;
    }
    let wd = Workdir::new();
    let out = wd.join("int");
    assert_eq!(interrupt(&wd, &out, "-INT"), Some(130));
    let manifest = std::fs::read_to_string(staging(&out).join("manifest.json")).unwrap();
    assert!(manifest.contains("\"interrupted\": true") && manifest.contains("\"next_round\""), "{manifest}");
    assert!(completed_rounds(&out) >= 1);
    assert!(!out.exists(), "an interrupted calibration shows no folder that looks whole");

    let o = wd.run(&calibrate_args("4", &["--resume"], &out));
    assert_eq!(o.code, Some(2));
    assert!(o.stderr.contains("different calibration"), "{}", o.stderr);
    let o = wd.run(&calibrate_args("3", &["--resume"], &wd.join("none")));
    assert_eq!(o.code, Some(2));
    assert!(o.stderr.contains("nothing to resume"), "{}", o.stderr);

    resume_and_compare(&wd, &out);
}

#[test]
fn a_calibration_terminated_or_killed_mid_round_resumes_to_identical_files() {
    if !slow_tests() {
        return;
    }
    let wd = Workdir::new();
    for (signal, code) in [("-TERM", Some(130)), ("-KILL", None)] {
        let out = wd.join(&signal[1..]);
        assert_eq!(interrupt(&wd, &out, signal), code, "{signal}");
        resume_and_compare(&wd, &out);
    }
}

#[test]
fn every_round_as_shards_merges_to_the_bytes_of_the_whole_calibration() {
    let wd = Workdir::new();
    let mut population: Option<PathBuf> = None;
    for (round, count) in [3, 2, 3].into_iter().enumerate() {
        let mut shards = Vec::new();
        for i in 0..count {
            let dir = wd.join(&format!("r{round}s{i}"));
            let mut extra = vec!["--shard".to_string(), format!("{i}/{count}")];
            if let Some(p) = &population {
                extra.extend(["--population".to_string(), p.display().to_string()]);
            }
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            let o = wd.run(&calibrate_args("3", &extra, &dir));
            assert_eq!(o.code, Some(0), "{}", o.stderr);
            shards.push(dir.display().to_string());
        }
        if round == 1 {
            let x = wd.join("x").display().to_string();
            let missing = wd.run(&["merge", &shards[1], "--out", &x]);
            assert_eq!(missing.code, Some(2));
            assert!(missing.stderr.contains("shard 0/2 is missing"), "{}", missing.stderr);
            let twice = wd.run(&["merge", &shards[0], &shards[1], &shards[0], "--out", &x]);
            assert_eq!(twice.code, Some(2));
            assert!(twice.stderr.contains("more than once"), "{}", twice.stderr);
            let other_round = wd.join("r0s1").display().to_string();
            let foreign = wd.run(&["merge", &shards[0], &other_round, "--out", &x]);
            assert_eq!(foreign.code, Some(2));
            assert!(foreign.stderr.contains("different jobs"), "{}", foreign.stderr);
            assert!(!wd.join("x").exists(), "a refused merge writes nothing");
        }
        let merged = wd.join(&format!("m{round}"));
        let mut a = vec!["merge".to_string()];
        a.extend(shards.iter().rev().cloned());
        a.extend(["--out".to_string(), merged.display().to_string()]);
        let o = wd.run(&a);
        assert_eq!(o.code, Some(0), "{}", o.stderr);
        if round < 2 {
            assert!(o.stdout.contains("--population"), "the merge says what to run next: {}", o.stdout);
            assert!(merged.join("calibration-state.json").exists());
        } else {
            assert!(o.stdout.contains("calibration complete"), "{}", o.stdout);
        }
        population = Some(merged);
    }
    let last = population.expect("three rounds ran");
    assert_like_the_whole_run(&last);
    let o = wd.run(&calibrate_args(
        "3",
        &["--shard", "0/2", "--population", &last.display().to_string()],
        &wd.join("y"),
    ));
    assert_eq!(o.code, Some(2), "a finished calibration has no round left to shard");
}
