//! Calibration recovers known parameters from a synthetic reference; it is
//! reproducible whatever the thread count; interrupted (SIGINT or SIGKILL)
//! and resumed, or run round by round as shards and merged, it writes the
//! bytes of an uninterrupted, unsharded run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use detente::calibrate::{weighted_quantile, Calibration, Method, Particle, State};
use detente::compare::{Alignment, CompareSpec};
use detente::engine::{run_seed, Recorder, Simulator};
use detente::model::{Field, Op};
use detente::reference::ReferencePath;
use detente::scenario::{load, resolve_prior};

const KEY: &str = "params.ladder.step_rate";
const TRUE_VALUE: f64 = 0.10;

/// The median first-reach month of every stage at the true value, written
/// as a reference history.
fn synthetic_reference(dir: &Path) -> std::path::PathBuf {
    let s =
        load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/vietnam/us_vietnam_1975.toml")).unwrap();
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
        load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/vietnam/us_vietnam_1975.toml")).unwrap();
    let reference = ReferencePath::load(&reference_path, s.base.world.ladder.len()).unwrap();
    let priors = vec![resolve_prior(&s.base.world, KEY, &[0.03, 0.2]).unwrap()];
    let calibration = Calibration {
        setup: &s.base,
        scenario: &s.name,
        dyad: 0,
        compare: CompareSpec::new(&reference, Alignment::Calendar, 60.0),
        priors: &priors,
        method: Method::Smc,
        replications: 30,
        particles: 40,
        rounds: 2,
        proposals: 80,
        max_evaluations: 800,
        seed: 5,
        threads: 2,
    };
    let particles = run_to_the_end(&calibration);
    let values: Vec<f64> = particles.iter().map(|p| p.values[0]).collect();
    let weights: Vec<f64> = particles.iter().map(|p| p.weight).collect();
    let lo = weighted_quantile(&values, &weights, 0.05).unwrap();
    let median = weighted_quantile(&values, &weights, 0.5).unwrap();
    let hi = weighted_quantile(&values, &weights, 0.95).unwrap();
    assert!(lo <= TRUE_VALUE && TRUE_VALUE <= hi, "90 % interval [{lo}, {hi}] misses {TRUE_VALUE}");
    // Stated tolerance: the posterior median within 0.03 of the truth (prior width 0.17).
    assert!((median - TRUE_VALUE).abs() <= 0.03, "median {median} vs {TRUE_VALUE}");
    assert!(hi - lo < 0.17, "the posterior must be narrower than the prior");
}

#[test]
fn calibration_is_reproducible_whatever_the_thread_count() {
    let s =
        load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/vietnam/us_vietnam_1975.toml")).unwrap();
    let reference = ReferencePath::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference/us_vietnam.csv"),
        s.base.world.ladder.len(),
    )
    .unwrap();
    let priors = vec![resolve_prior(&s.base.world, KEY, &[0.03, 0.2]).unwrap()];
    let run = |threads| {
        let calibration = Calibration {
            setup: &s.base,
            scenario: &s.name,
            dyad: 0,
            compare: CompareSpec::new(&reference, Alignment::Calendar, 60.0),
            priors: &priors,
            method: Method::Smc,
            replications: 5,
            particles: 8,
            rounds: 1,
            proposals: 24,
            max_evaluations: 60,
            seed: 11,
            threads,
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
