//! The patterns the model must show, on small scenarios under
//! `tests/data/patterns/` (every number an assumption made for the pattern,
//! not a history), with the shipped defaults. Each test compares two
//! variants of one scenario run with the same seeds and asks for an effect
//! in the stated direction, larger than Monte Carlo noise: these are
//! properties of the mechanisms, not tuned outcomes.

use detente::engine::{run_seed, Recorder, Simulator};
use detente::model::Setup;
use detente::scenario::{self, Scenario};

fn load(name: &str) -> Scenario {
    let path = format!("{}/tests/data/patterns/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    scenario::load(std::path::Path::new(&path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn variant<'a>(s: &'a Scenario, name: &str) -> &'a Setup {
    &s.variants.iter().find(|v| v.name == name).unwrap_or_else(|| panic!("no variant {name}")).setup
}

/// The tracked dyad's stage in every month of `runs` runs of `setup`, with
/// the seeds of the scenario's baseline (common random numbers).
fn paths(s: &Scenario, setup: &Setup, runs: u64) -> Vec<Vec<u8>> {
    let mut sim = Simulator::new();
    let mut rec = Recorder::new(true, false);
    (0..runs)
        .map(|r| {
            sim.run(setup, run_seed(s.seed, &s.name, "baseline", 0, r), &mut rec);
            rec.series.as_deref().unwrap_or_default().iter().map(|t| t.stage).collect()
        })
        .collect()
}

/// Month index of a calendar month of the scenario.
fn month(s: &Scenario, ym: &str) -> usize {
    detente::calendar::YearMonth::parse(ym).unwrap().months_since(s.base.start) as usize
}

/// Share of paths for which `f` holds.
fn share(paths: &[Vec<u8>], f: impl Fn(&[u8]) -> bool) -> f64 {
    paths.iter().filter(|p| f(p)).count() as f64 / paths.len() as f64
}

/// Whether the path falls (its stage drops) in months `from..=to`.
fn falls_in(p: &[u8], from: usize, to: usize) -> bool {
    (from.max(1)..=to.min(p.len() - 1)).any(|t| p[t] < p[t - 1])
}

const RUNS: u64 = 300;

#[test]
fn a_shared_enemy_pulls_adversaries_together_and_its_removal_dissolves_the_cooperation() {
    let s = load("shared_enemy");
    let with = paths(&s, variant(&s, "baseline"), RUNS);
    let without = paths(&s, variant(&s, "no_enemy"), RUNS);
    let removed = paths(&s, variant(&s, "enemy_removed"), RUNS);
    let by_2009 = month(&s, "2009-12");
    let engaged = |p: &[u8]| p[..=by_2009].iter().any(|&x| x >= 4);
    let (a, b) = (share(&with, engaged), share(&without, engaged));
    assert!(a - b >= 0.2, "economic engagement by 2009: {a:.2} with the enemy, {b:.2} without");
    // Ten years after the enemy is gone the pair stands lower than where it still fights it.
    let end = with[0].len() - 1;
    let at_end = |ps: &[Vec<u8>]| ps.iter().map(|p| p[end] as f64).sum::<f64>() / ps.len() as f64;
    let (kept, gone) = (at_end(&with), at_end(&removed));
    assert!(
        kept - gone >= 0.3,
        "mean final rung: {kept:.2} while the enemy lasts, {gone:.2} after it is gone"
    );
}

#[test]
fn a_values_concession_by_the_weaker_side_raises_the_chance_of_recognition() {
    let s = load("weaker_side");
    let base = paths(&s, variant(&s, "baseline"), RUNS);
    let conceded = paths(&s, variant(&s, "concession"), RUNS);
    let recognised = |p: &[u8]| p.iter().any(|&x| x >= 5);
    let (a, b) = (share(&conceded, recognised), share(&base, recognised));
    assert!(a - b >= 0.1, "recognition by the horizon: {a:.2} after the concession, {b:.2} without");
}

#[test]
fn a_pragmatist_succession_on_the_weaker_side_changes_the_outcome_distribution() {
    let s = load("weaker_side");
    let base = paths(&s, variant(&s, "baseline"), RUNS);
    let succeeded = paths(&s, variant(&s, "pragmatist_succession"), RUNS);
    // The distributions of the highest rung reached, compared by their
    // largest gap (Kolmogorov-Smirnov): 0.14 is beyond the 1 % critical
    // value for two samples of 300 (1.63 x sqrt(2 / 300) = 0.133).
    let max = |ps: &[Vec<u8>]| ps.iter().map(|p| *p.iter().max().unwrap_or(&0)).collect::<Vec<u8>>();
    let (a, b) = (max(&succeeded), max(&base));
    let cdf = |v: &[u8], s: u8| v.iter().filter(|&&x| x <= s).count() as f64 / v.len() as f64;
    let gap = (0..=7).map(|st| (cdf(&a, st) - cdf(&b, st)).abs()).fold(0.0, f64::max);
    assert!(gap >= 0.14, "largest gap between the distributions of the highest rung: {gap:.3}");
}

#[test]
fn an_attack_traced_to_a_hosts_soil_lowers_the_relation_with_the_host() {
    let s = load("host_and_pledges");
    let base = paths(&s, variant(&s, "baseline"), RUNS);
    let attacked = paths(&s, variant(&s, "attack_from_host"), RUNS);
    let (from, to) = (month(&s, "2006-01"), month(&s, "2008-12"));
    // Run by run (common random numbers), how much lower the attacked path
    // stands on average over the three years after the strikes.
    let window = |p: &[u8]| p[from..=to].iter().map(|&x| x as f64).sum::<f64>() / (to - from + 1) as f64;
    let d: Vec<f64> = base.iter().zip(&attacked).map(|(b, a)| window(b) - window(a)).collect();
    let mean = d.iter().sum::<f64>() / d.len() as f64;
    let se =
        (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (d.len() - 1) as f64 / d.len() as f64).sqrt();
    assert!(
        mean >= 0.05 && mean > 3.0 * se,
        "mean rung 2006-2008 lower by {mean:.3} (standard error {se:.3})"
    );
}

#[test]
fn broken_pledges_produce_falls() {
    let s = load("host_and_pledges");
    let base = paths(&s, variant(&s, "baseline"), RUNS);
    let broken = paths(&s, variant(&s, "broken_pledge"), RUNS);
    let (from, to) = (month(&s, "2006-01"), month(&s, "2008-12"));
    let (a, b) = (share(&broken, |p| falls_in(p, from, to)), share(&base, |p| falls_in(p, from, to)));
    assert!(a - b >= 0.15, "a fall within three years of the broken pledge: {a:.2}, without it {b:.2}");
}

#[test]
fn trust_never_grows_from_inaction() {
    // Two states that neither threaten nor need each other hold still: no
    // act carries evidence, so trust stays where it started.
    let s = load("weaker_side");
    let mut setup = variant(&s, "baseline").clone();
    let w = &mut setup.world;
    for v in &mut w.views {
        v.economy = 0.0;
        v.legitimacy = 0.0;
        v.issue = 0.0;
        v.hostility = 0.0;
        v.hostility_base = 0.0;
    }
    w.params.rationality = 100.0;
    w.params.goal_spread = 0.0;
    let mut sim = Simulator::new();
    let mut rec = Recorder::new(true, false);
    sim.run(&setup, 1, &mut rec);
    let first = rec.series.as_ref().unwrap()[0];
    for r in rec.series.as_ref().unwrap() {
        assert!(r.trust_ab <= first.trust_ab + 1e-6 && r.trust_ba <= first.trust_ba + 1e-6, "{r:?}");
    }
}
