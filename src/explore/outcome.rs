//! Outcomes of a sweep: what each run is reduced to, and how the runs of one
//! design point are folded together.
//!
//! Three kinds of outcome, one per command:
//!
//! * [`PointAcc`] folds a point's runs into the `points.csv` row: mean, sd
//!   and 95 % interval of per-run scalars (stages, trust, armed-group
//!   attacks and strength), and per tracked dyad the share of runs reaching
//!   each stage by each report year and the median month of first reach.
//! * [`Measure`] is a number per run that `sensitivity` averages over a
//!   point's replications (months to a stage, censored at horizon + 1; a
//!   0/1 reached-by indicator; an armed group's peak strength).
//! * [`Condition`] is the yes/no outcome `discover` explains, parsed from a
//!   small grammar (`stage:<dyad>:<s>:by:<YYYY>`, `group:<id>:peak_above:<x>`,
//!   `group:<id>:final_above:<x>`, `group:<id>:grew`).
//!
//! Every fold is sequential in replicate order, so results do not depend on
//! the thread count.

use crate::calendar::By;
use crate::engine::RunOutcome;
use crate::model::Setup;
use crate::stats::quantile::{mean, nearest_rank_counts, Summary};

use super::ExploreError;

/// Per-run scalars summarised in `points.csv`, per tracked dyad.
pub const DYAD_SCALARS: [&str; 4] = ["final_stage", "max_stage", "final_trust_ab", "final_trust_ba"];
/// Per-run scalars summarised in `points.csv`, per armed group.
pub const GROUP_SCALARS: [&str; 3] = ["attacks", "peak_strength", "final_strength"];

/// Names of the scalar outcomes of a setup, in column order:
/// `<dyad>_<scalar>` for each tracked dyad, then `<group id>_<scalar>` for
/// each armed group.
pub fn scalar_names(setup: &Setup) -> Vec<String> {
    let mut out = Vec::new();
    for t in &setup.tracked {
        out.extend(DYAD_SCALARS.iter().map(|s| format!("{}_{s}", t.label)));
    }
    for g in &setup.world.groups {
        let id = &setup.world.actors[g.actor].id;
        out.extend(GROUP_SCALARS.iter().map(|s| format!("{id}_{s}")));
    }
    out
}

fn scalars_of(out: &RunOutcome, into: &mut Vec<f64>) {
    into.clear();
    for d in &out.dyads {
        into.extend([f64::from(d.final_stage), f64::from(d.max_stage), d.final_trust_ab, d.final_trust_ba]);
    }
    for g in &out.groups {
        into.extend([f64::from(g.attacks), g.peak_strength, g.final_strength]);
    }
}

/// Summary of one scalar over a point's runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalarStats {
    /// Mean.
    pub mean: f64,
    /// Sample sd and normal 95 % interval; `None` with fewer than two runs.
    pub spread: Option<Summary>,
}

/// The runs of one design point, folded as they arrive.
#[derive(Debug, Clone)]
pub struct PointAcc {
    runs: u64,
    /// `values[k]`: scalar `k` of every run so far (bounded by the replications).
    values: Vec<Vec<f64>>,
    /// `reach[d][s][m]`: runs whose dyad `d` first reached stage `s` in month `m`.
    reach: Vec<Vec<Vec<u32>>>,
    scratch: Vec<f64>,
}

impl PointAcc {
    /// An empty accumulator for runs of `setup`.
    pub fn new(setup: &Setup) -> PointAcc {
        let rungs = setup.world.ladder.len();
        PointAcc {
            runs: 0,
            values: vec![Vec::new(); scalar_names(setup).len()],
            reach: vec![vec![vec![0; setup.horizon as usize + 1]; rungs]; setup.tracked.len()],
            scratch: Vec::new(),
        }
    }

    /// Folds in one run.
    pub fn add(&mut self, out: &RunOutcome) {
        self.runs += 1;
        scalars_of(out, &mut self.scratch);
        for (v, &x) in self.values.iter_mut().zip(&self.scratch) {
            v.push(x);
        }
        for (hist, d) in self.reach.iter_mut().zip(&out.dyads) {
            for (s, h) in hist.iter_mut().enumerate() {
                if let Some(m) = d.first_reach[s] {
                    h[m as usize] += 1;
                }
            }
        }
    }

    /// Runs folded in.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Summary of scalar `k` (see [`scalar_names`]); `None` before any run.
    pub fn scalar(&self, k: usize) -> Option<ScalarStats> {
        let v = &self.values[k];
        Some(ScalarStats { mean: mean(v)?, spread: Summary::from_values(v) })
    }

    /// Share of runs whose dyad `d` reached stage `s` by month `month`
    /// (inclusive); `None` before any run or for a stage beyond the ladder.
    pub fn share_by(&self, d: usize, s: usize, month: u32) -> Option<f64> {
        let h = self.reach.get(d)?.get(s)?;
        if self.runs == 0 {
            return None;
        }
        let end = (month as usize + 1).min(h.len());
        let hits: u64 = h[..end].iter().map(|&c| u64::from(c)).sum();
        Some(hits as f64 / self.runs as f64)
    }

    /// Median month of first reach of stage `s` by dyad `d` among the runs
    /// that reached it (nearest rank, as in `summary.csv`); `None` when no
    /// run did.
    pub fn months_median(&self, d: usize, s: usize) -> Option<u32> {
        nearest_rank_counts(self.reach.get(d)?.get(s)?, 0.5).map(|m| m as u32)
    }
}

/// Index of the tracked dyad labelled `label` (either order), with a helpful error.
pub fn dyad_index(setup: &Setup, label: &str) -> Result<usize, ExploreError> {
    setup.tracked_index(label).ok_or_else(|| {
        let labels: Vec<&str> = setup.tracked.iter().map(|t| t.label.as_str()).collect();
        ExploreError::Invalid(format!(
            "no tracked dyad `{label}`; the scenario tracks: {}",
            labels.join(", ")
        ))
    })
}

/// Index (among armed groups) of the group whose actor id is `id`.
pub fn group_index(setup: &Setup, id: &str) -> Result<usize, ExploreError> {
    let w = &setup.world;
    w.groups.iter().position(|g| w.actors[g.actor].id == id).ok_or_else(|| {
        let ids: Vec<&str> = w.groups.iter().map(|g| w.actors[g.actor].id.as_str()).collect();
        ExploreError::Invalid(format!(
            "no armed group `{id}`; the scenario has: {}",
            if ids.is_empty() { "none".to_string() } else { ids.join(", ") }
        ))
    })
}

/// Checks that stage `s` exists on the setup's ladder.
pub fn check_stage(setup: &Setup, s: usize) -> Result<(), ExploreError> {
    let rungs = setup.world.ladder.len();
    if s == 0 || s >= rungs {
        return Err(ExploreError::Invalid(format!("stage must be in 1..={}, got {s}", rungs - 1)));
    }
    Ok(())
}

/// The exclusive month bound of "reached by the end of `year`": one past
/// the index of December `year`, the one meaning of "by" every command
/// shares ([`crate::calendar::By`]). Errors when December `year` falls
/// before the start or after the horizon (the runs do not cover the year).
pub fn months_before_year(setup: &Setup, year: i32) -> Result<u32, ExploreError> {
    let by = By::year(year).ok_or_else(|| ExploreError::Invalid(format!("bad year {year}")))?;
    let last_year = setup.month(setup.horizon).year() - i32::from(setup.month(setup.horizon).month() != 12);
    match by.month_index(setup.start, setup.horizon) {
        Some(m) => Ok(m + 1),
        None => Err(ExploreError::Invalid(format!(
            "year {year}: \"by {year}\" means by the end of December {year}, and the runs cover {} to {}; \
             give a year from {} to {last_year}",
            setup.start,
            setup.month(setup.horizon),
            setup.start.year()
        ))),
    }
}

/// A number per run, averaged over a point's replications by `sensitivity`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    /// Month of first reach of `stage` by tracked dyad `dyad`; runs that never
    /// reach it count as horizon + 1 (censored).
    MonthsTo {
        /// Tracked dyad index.
        dyad: usize,
        /// Stage.
        stage: usize,
    },
    /// 1 if dyad `dyad` reached `stage` in a month index below `before`, else 0.
    ReachedBefore {
        /// Tracked dyad index.
        dyad: usize,
        /// Stage.
        stage: usize,
        /// Exclusive month bound.
        before: u32,
    },
    /// Peak strength of armed group `group`.
    PeakStrength {
        /// Armed-group index.
        group: usize,
    },
}

impl Measure {
    /// The measure's value in one run of a setup with this horizon.
    pub fn value(&self, out: &RunOutcome, horizon: u32) -> f64 {
        match *self {
            Measure::MonthsTo { dyad, stage } => {
                f64::from(out.dyads[dyad].first_reach[stage].unwrap_or(horizon + 1))
            }
            Measure::ReachedBefore { dyad, stage, before } => {
                f64::from(u8::from(out.dyads[dyad].first_reach[stage].is_some_and(|m| m < before)))
            }
            Measure::PeakStrength { group } => out.groups[group].peak_strength,
        }
    }
}

/// A named measure.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedMeasure {
    /// Name used in `sensitivity.csv`.
    pub name: String,
    /// What it measures.
    pub measure: Measure,
}

/// The outcomes `sensitivity` analyses: months to `stage` of `dyad`, the
/// probability of reaching it before January of `year`, the probability of
/// stage 3 (counter-terrorism cooperation on the default ladder) by the
/// horizon, and each armed group's peak strength.
pub fn sensitivity_measures(
    setup: &Setup,
    dyad: usize,
    stage: usize,
    year: i32,
) -> Result<Vec<NamedMeasure>, ExploreError> {
    check_stage(setup, stage)?;
    let before = months_before_year(setup, year)?;
    let label = &setup.tracked[dyad].label;
    let mut out = vec![
        NamedMeasure {
            name: format!("{label}_months_to_stage_{stage}"),
            measure: Measure::MonthsTo { dyad, stage },
        },
        NamedMeasure {
            name: format!("{label}_p_stage_{stage}_by_{year}"),
            measure: Measure::ReachedBefore { dyad, stage, before },
        },
    ];
    if setup.world.ladder.len() > 3 {
        out.push(NamedMeasure {
            name: format!("{label}_p_stage_3_by_horizon"),
            measure: Measure::ReachedBefore { dyad, stage: 3, before: setup.horizon + 1 },
        });
    }
    for (g, group) in setup.world.groups.iter().enumerate() {
        out.push(NamedMeasure {
            name: format!("{}_peak_strength", setup.world.actors[group.actor].id),
            measure: Measure::PeakStrength { group: g },
        });
    }
    Ok(out)
}

/// A yes/no outcome of a run, for `discover`.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Dyad reached `stage` in a month index below `before`.
    Reached {
        /// Tracked dyad index.
        dyad: usize,
        /// Stage.
        stage: usize,
        /// Exclusive month bound.
        before: u32,
    },
    /// Peak strength of a group above a level.
    PeakAbove {
        /// Armed-group index.
        group: usize,
        /// Level.
        level: f64,
    },
    /// Strength of a group at the horizon above a level.
    FinalAbove {
        /// Armed-group index.
        group: usize,
        /// Level.
        level: f64,
    },
    /// Strength of a group at the horizon above its initial strength (which a
    /// sweep may vary, so it is read from each point's setup).
    Grew {
        /// Armed-group index.
        group: usize,
    },
}

/// The grammar of [`Condition::parse`], for messages.
pub const CONDITION_GRAMMAR: &str = "stage:<dyad>:<stage>:by:<YYYY>, group:<id>:peak_above:<x>, \
     group:<id>:final_above:<x> or group:<id>:grew";

impl Condition {
    /// Parses an outcome such as `stage:us-taliban:5:by:2035` (reached stage 5
    /// before January 2035) or `group:isis_k:peak_above:1.5`.
    pub fn parse(text: &str, setup: &Setup) -> Result<Condition, ExploreError> {
        let bad = |why: &str| {
            ExploreError::Invalid(format!("--outcome {text:?}: {why}; expected {CONDITION_GRAMMAR}"))
        };
        let parts: Vec<&str> = text.split(':').map(str::trim).collect();
        match parts.as_slice() {
            ["stage", dyad, stage, "by", year] => {
                let dyad = dyad_index(setup, dyad)?;
                let stage: usize = stage.parse().map_err(|_| bad("the stage is not a whole number"))?;
                check_stage(setup, stage)?;
                let year: i32 = year.parse().map_err(|_| bad("the year is not a whole number"))?;
                Ok(Condition::Reached { dyad, stage, before: months_before_year(setup, year)? })
            }
            ["group", id, kind @ ("peak_above" | "final_above"), level] => {
                let group = group_index(setup, id)?;
                let level: f64 = level.parse().map_err(|_| bad("the level is not a number"))?;
                if !level.is_finite() {
                    return Err(bad("the level is not a finite number"));
                }
                Ok(if *kind == "peak_above" {
                    Condition::PeakAbove { group, level }
                } else {
                    Condition::FinalAbove { group, level }
                })
            }
            ["group", id, "grew"] => Ok(Condition::Grew { group: group_index(setup, id)? }),
            _ => Err(bad("unknown form")),
        }
    }

    /// Whether the run of `setup` meets the condition.
    pub fn holds(&self, out: &RunOutcome, setup: &Setup) -> bool {
        match *self {
            Condition::Reached { dyad, stage, before } => {
                out.dyads[dyad].first_reach[stage].is_some_and(|m| m < before)
            }
            Condition::PeakAbove { group, level } => out.groups[group].peak_strength > level,
            Condition::FinalAbove { group, level } => out.groups[group].final_strength > level,
            Condition::Grew { group } => {
                out.groups[group].final_strength > setup.world.groups[group].strength
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{DyadOutcome, GroupOutcome};
    use crate::model::MAX_RUNGS;

    /// The tiny scenario: dyad `north-south` from stage 2 over 24 months
    /// (2000-01 to 2002-01), armed group `raiders` of strength 0.6.
    fn setup() -> Setup {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny.toml");
        crate::scenario::load(&path).expect("tiny.toml is valid").base
    }

    /// A run whose dyad first reached stage 3 in `stage_3` (if at all) and
    /// whose group peaked at `peak` and ended at `last`.
    fn run(stage_3: Option<u32>, peak: f64, last: f64) -> RunOutcome {
        let mut first_reach = [None; MAX_RUNGS];
        first_reach[..3].copy_from_slice(&[Some(0), Some(0), Some(0)]);
        first_reach[3] = stage_3;
        let dyad = DyadOutcome {
            initial_stage: 2,
            first_reach,
            max_stage: if stage_3.is_some() { 3 } else { 2 },
            final_stage: 2,
            final_trust_ab: 0.5,
            final_trust_ba: 0.25,
        };
        RunOutcome {
            dyads: vec![dyad],
            groups: vec![GroupOutcome { attacks: 2, peak_strength: peak, final_strength: last }],
        }
    }

    #[test]
    fn a_point_folds_its_runs_into_means_shares_and_the_median_month() {
        let s = setup();
        let mut acc = PointAcc::new(&s);
        assert_eq!((acc.runs(), acc.scalar(0), acc.share_by(0, 3, 24)), (0, None, None));
        for r in [run(Some(5), 0.7, 0.5), run(Some(9), 0.9, 0.7), run(None, 0.6, 0.2)] {
            acc.add(&r);
        }
        assert_eq!(acc.runs(), 3);
        let names = scalar_names(&s);
        let k = |name: &str| names.iter().position(|n| n == name).unwrap();
        assert_eq!(acc.scalar(k("north-south_max_stage")).unwrap().mean, 8.0 / 3.0);
        assert_eq!(acc.scalar(k("raiders_attacks")).unwrap().mean, 2.0);
        assert!((acc.scalar(k("raiders_peak_strength")).unwrap().mean - 0.7333333333333333).abs() < 1e-15);
        assert_eq!(acc.share_by(0, 3, 4), Some(0.0));
        assert_eq!(acc.share_by(0, 3, 5), Some(1.0 / 3.0));
        assert_eq!(acc.share_by(0, 3, 24), Some(2.0 / 3.0));
        assert_eq!(acc.share_by(0, 99, 24), None);
        assert_eq!(acc.months_median(0, 3), Some(5));
        assert_eq!(acc.months_median(0, 4), None);
    }

    #[test]
    fn measures_censor_at_the_horizon_and_count_before_january() {
        let s = setup();
        let ms = sensitivity_measures(&s, 0, 3, 2000).unwrap();
        let names: Vec<&str> = ms.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "north-south_months_to_stage_3",
                "north-south_p_stage_3_by_2000",
                "north-south_p_stage_3_by_horizon",
                "raiders_peak_strength"
            ]
        );
        let (early, late, never) = (run(Some(5), 0.7, 0.5), run(Some(12), 0.9, 0.7), run(None, 0.6, 0.2));
        assert_eq!(ms[0].measure.value(&never, s.horizon), 25.0);
        assert_eq!(ms[0].measure.value(&early, s.horizon), 5.0);
        // "By 2000" is by the end of December 2000 (month 11): month 12 is too late.
        assert_eq!(
            (ms[1].measure.value(&early, s.horizon), ms[1].measure.value(&late, s.horizon)),
            (1.0, 0.0)
        );
        assert_eq!(ms[3].measure.value(&late, s.horizon), 0.9);
        assert!(sensitivity_measures(&s, 0, 0, 2000).is_err());
        assert!(sensitivity_measures(&s, 0, 3, 1999).is_err());
        // The horizon is January 2002: "by 2001" is the last whole year the runs cover.
        assert!(sensitivity_measures(&s, 0, 3, 2001).is_ok());
        let e = sensitivity_measures(&s, 0, 3, 2002).unwrap_err().to_string();
        assert!(e.contains("December 2002") && e.contains("2000 to 2001"), "{e}");
    }

    #[test]
    fn conditions_parse_from_their_grammar_and_hold_per_run() {
        let s = setup();
        let reached = Condition::parse("stage:south-north:3:by:2000", &s).unwrap();
        assert_eq!(reached, Condition::Reached { dyad: 0, stage: 3, before: 12 });
        assert!(reached.holds(&run(Some(11), 0.0, 0.0), &s) && !reached.holds(&run(Some(12), 0.0, 0.0), &s));
        let peak = Condition::parse("group:raiders:peak_above:0.8", &s).unwrap();
        assert!(peak.holds(&run(None, 0.9, 0.0), &s) && !peak.holds(&run(None, 0.8, 0.0), &s));
        let last = Condition::parse("group:raiders:final_above:0.3", &s).unwrap();
        assert!(last.holds(&run(None, 0.9, 0.4), &s));
        let grew = Condition::parse("group:raiders:grew", &s).unwrap();
        assert!(grew.holds(&run(None, 0.9, 0.7), &s) && !grew.holds(&run(None, 0.9, 0.5), &s));
        for (bad, why) in [
            ("stage:north-east:3:by:2001", "no tracked dyad"),
            ("stage:north-south:x:by:2001", "not a whole number"),
            ("stage:north-south:9:by:2001", "stage must be in"),
            ("group:north:grew", "no armed group `north`"),
            ("group:raiders:peak_above:inf", "not a finite number"),
            ("weather:sunny", "unknown form"),
        ] {
            let e = Condition::parse(bad, &s).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
