//! The Afghanistan scenario against its record and its documentation: the
//! armed groups' simulated strength 2022–2025 against the published
//! estimates of `scenarios/reference/isisk_strength.csv` (docs/AFGHANISTAN.md
//! shows the table this check prints with `--nocapture`), and each simulated
//! neighbour's effect on US–Taliban against the sign docs/AFGHANISTAN.md
//! predicts; and the hindcast of every simulated regional dyad against its
//! record.
//!
//! Strength is an index: ISIS-K 1 = about 4,000 fighters (2022-02), the TTP
//! 1 = 6,000–6,500 fighters (2024). Each published figure becomes a range on
//! that index: a range the source gives is used as given; a single "about"
//! figure is read as ±25 % (an assumption, written in the table below).

use detente::engine::{Recorder, Simulator};

use crate::workdir::{afghanistan, Table, Workdir};

/// A published estimate: month index from 2021-09, the group, the range on
/// its index, and the row of isisk_strength.csv it comes from.
struct Estimate {
    month: u32,
    group: &'static str,
    low: f64,
    high: f64,
    row: &'static str,
}

const RECORD: [Estimate; 5] = [
    // 2022-02: "nearly 4,000" after the prison releases; ±25 %.
    Estimate {
        month: 5,
        group: "isis_k",
        low: 0.75,
        high: 1.25,
        row: "2022-02-01 isk_fighters_estimate 4000",
    },
    // 2023-08: 4,000–6,000 fighters *and family members*: fighters alone lie
    // below the top; the bottom is the 2024 low end (2,000).
    Estimate {
        month: 23,
        group: "isis_k",
        low: 0.5,
        high: 1.5,
        row: "2023-08-12 isk_fighters_and_family_estimate 4000-6000",
    },
    // 2024-07: the Monitoring Team's 2,000–3,500 (some states: 4,000–6,000).
    Estimate {
        month: 34,
        group: "isis_k",
        low: 0.5,
        high: 0.875,
        row: "2024-07-01 isk_fighters_estimate 2000-3500",
    },
    // 2025-12: "about 2,000"; ±25 %.
    Estimate {
        month: 51,
        group: "isis_k",
        low: 0.375,
        high: 0.625,
        row: "2025-12-31 isk_fighters_estimate 2000",
    },
    // 2024-12: TTP 6,000–6,500 fighters, the reference level; ±25 % because
    // the 2021 start and the TTP's rates are assumptions (the scenario's header).
    Estimate {
        month: 39,
        group: "ttp",
        low: 0.75,
        high: 1.25,
        row: "2024-12-31 ttp_fighters_estimate 6000-6500",
    },
];

/// Runs of the baseline used for the check (the strength paths barely depend
/// on the draws: the groups' dynamics are deterministic given the states'
/// choices against them).
const RUNS: u64 = 60;

#[test]
fn armed_group_strength_2022_2025_lies_within_the_published_estimates() {
    let Some(path) = afghanistan() else { return };
    let scenario = detente::scenario::load(&path).unwrap();
    let setup = &scenario.base;
    let last = RECORD.iter().map(|e| e.month).max().unwrap();
    let mut sim = Simulator::new();
    let mut rec = Recorder::new(false, false);
    // strengths[k] = the k-th estimate's group strength in every run.
    let mut strengths: Vec<Vec<f64>> = vec![Vec::new(); RECORD.len()];
    for seed in 0..RUNS {
        sim.start(setup, seed, &mut rec);
        for month in 1..=last {
            assert!(sim.step(setup, &mut rec), "the horizon lies beyond 2025-12");
            let world = sim.world().unwrap();
            for (k, e) in RECORD.iter().enumerate().filter(|(_, e)| e.month == month) {
                let actor = world.actor_index(e.group).unwrap();
                let group = world.groups.iter().find(|g| g.actor == actor).unwrap();
                strengths[k].push(group.strength);
            }
        }
    }
    eprintln!("| date (month) | group | published | range | simulated median | 10-90 % | share inside |");
    for (e, values) in RECORD.iter().zip(&mut strengths) {
        values.sort_by(f64::total_cmp);
        let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
        let inside =
            values.iter().filter(|s| (e.low..=e.high).contains(*s)).count() as f64 / values.len() as f64;
        eprintln!(
            "| {} | {} | {} | {:.3}-{:.3} | {:.3} | {:.3}-{:.3} | {:.0} % |",
            e.month,
            e.group,
            e.row,
            e.low,
            e.high,
            at(0.5),
            at(0.1),
            at(0.9),
            100.0 * inside
        );
        assert!(
            inside >= 0.8,
            "{}: {:.0} % of runs inside {}-{} ({})",
            e.group,
            100.0 * inside,
            e.low,
            e.high,
            e.row
        );
    }
}

/// Mean US–Taliban stage over months 0..=120 (2021-09 to 2031-09) of `runs`
/// baseline runs, with `sets` applied to the start; the same seeds for every
/// call, so two calls differ only by the change.
fn mean_us_taliban_stage(sets: &[(&str, f64)], runs: u64) -> f64 {
    let path = afghanistan().expect("the Afghanistan scenario");
    let scenario = detente::scenario::load(&path).unwrap();
    let world = &scenario.base.world;
    let overrides: Vec<_> =
        sets.iter().map(|&(k, v)| (detente::model::Field::resolve(world, k).unwrap(), v)).collect();
    let setup = detente::model::with_overrides(&scenario.base, &overrides);
    let (us, taliban) = (world.actor_index("us").unwrap(), world.actor_index("taliban").unwrap());
    let pair = world.pair_index(us, taliban);
    let mut sim = Simulator::new();
    let mut rec = Recorder::new(false, false);
    let mut sum = 0.0;
    for seed in 0..runs {
        sim.start(&setup, seed, &mut rec);
        sum += f64::from(sim.world().unwrap().pairs[pair].stage);
        for _ in 1..=120 {
            sim.step(&setup, &mut rec);
            sum += f64::from(sim.world().unwrap().pairs[pair].stage);
        }
    }
    sum / (runs * 121) as f64
}

/// Each simulated neighbour's relation with Kabul moves Washington the way
/// docs/AFGHANISTAN.md predicts from the model's terms: enmity with a US
/// rival raises US–Taliban (balance), enmity with a US partner lowers it,
/// Qatar's guarantee raises it, and Uzbekistan, tied to Washington by no
/// term, leaves it alone.
#[test]
fn each_neighbour_moves_us_taliban_the_documented_way() {
    if afghanistan().is_none() {
        return;
    }
    const RUNS: u64 = 200;
    let base = mean_us_taliban_stage(&[], RUNS);
    let enmity = |k: &'static str| {
        [
            (format!("relations.taliban.{k}.stage"), 0.0),
            (format!("relations.taliban.{k}.trust"), 0.0),
            (format!("relations.taliban.{k}.hostility"), 0.9),
        ]
    };
    for rival in ["china", "russia", "iran"] {
        let sets = enmity(rival);
        let sets: Vec<(&str, f64)> = sets.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let m = mean_us_taliban_stage(&sets, RUNS);
        assert!(m > base, "Kabul at enmity with {rival}: predicted higher, {m:.4} vs {base:.4}");
    }
    // India: lower. Pakistan: not higher; under the shipped defaults its
    // effect is as small as the noise of these runs (docs/AFGHANISTAN.md).
    for (partner, strict) in [("pakistan", false), ("india", true)] {
        let sets = enmity(partner);
        let sets: Vec<(&str, f64)> = sets.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let m = mean_us_taliban_stage(&sets, RUNS);
        let lower = if strict { m < base } else { m <= base };
        assert!(lower, "Kabul at enmity with {partner}: predicted lower, {m:.4} vs {base:.4}");
    }
    let m = mean_us_taliban_stage(&[("actors.qatar.mediation", 0.0)], RUNS);
    assert!(m < base, "no Qatari guarantee: predicted lower, {m:.4} vs {base:.4}");
    let m = mean_us_taliban_stage(&[("relations.taliban.uzbekistan.trust", 0.6)], RUNS);
    assert!((m - base).abs() < 0.01, "Uzbekistan: predicted no effect, {m:.4} vs {base:.4}");
}

/// `detente hindcast` on the baseline holds each history of its
/// `[calibration]` table against its own dyad, read to 2026-04 only: one case
/// per dyad, every Taliban–Pakistan fall of the record a target, no target
/// after the window.
#[test]
fn the_hindcast_holds_each_regional_dyad_to_its_record_until_2026_04() {
    let Some(file) = afghanistan() else { return };
    let w = Workdir::new();
    let out = w.run(&["hindcast", file.to_str().unwrap(), "-n", "10", "--out", "h"]).ok();
    assert!(out.stdout.contains("afghanistan.taliban-pakistan"), "{out}");
    let table = Table::parse(&w.read("h/hindcast.csv"));
    let mut cases: Vec<&str> = table.column("case");
    cases.dedup();
    assert_eq!(cases.len(), 7, "{cases:?}");
    assert!(cases.iter().all(|c| c.starts_with("afghanistan.")), "{cases:?}");
    let dates = table.column("history_date");
    assert!(dates.iter().all(|d| d.is_empty() || *d <= "2026-04-30"), "{dates:?}");
    let (case, target) = (table.col("case"), table.col("target"));
    let pakistan_falls = table
        .rows
        .iter()
        .filter(|r| r[case] == "afghanistan.taliban-pakistan" && r[target] == "fall")
        .count();
    assert_eq!(pakistan_falls, 9);
}
