//! The reference class: cases, what their histories ask of the model, and
//! how far a parameter set's runs are from them.
//!
//! A [`Case`] is a scenario whose `[calibration]` table names a reference
//! history and the tracked dyad it records. Read from the scenario's start to
//! its horizon, the history sets [`Targets`]: the month each rung above the
//! starting one was first reached, the lowest rung never reached, and every
//! fall (a row whose rung is below the previous row's). [`evaluate`] runs a
//! case and folds each run's stage path into a [`CaseScore`]: per target the
//! simulated first-reach months (a reach never made is censored), per fall
//! the share of runs that fell within the fall window, and the falls far from
//! any historical one. [`CaseScore::distance`] turns that into the number a
//! joint calibration minimises (docs/VALIDATION.md gives the formulas).
//! Nothing here writes files.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::batch::{self, Pool};
use crate::calendar::Date;
use crate::calibrate::Objective;
use crate::compare::stage_path;
use crate::engine::{run_seed, Recorder, Simulator};
use crate::model::{with_overrides, Field, Setup};
use crate::reference::{ReferenceError, ReferencePath};
use crate::scenario::{self, Scenario};

/// Months either side of a historical fall within which a simulated fall counts.
pub const FALL_WINDOW_MONTHS: u32 = 36;

/// Months added beyond the horizon to a first reach that never came, in the
/// scores: the price of a run that never reached a rung history reached.
pub const CENSOR_PENALTY_MONTHS: f64 = 60.0;

/// Why a case could not be read.
#[derive(Debug, Error)]
pub enum CaseError {
    /// The scenario file has problems.
    #[error("{0}")]
    Scenario(#[from] scenario::ScenarioError),
    /// The scenario names no reference history.
    #[error(
        "{}: a case needs a [calibration] table with `reference` and `dyad`, or [[calibration.histories]]",
        path.display()
    )]
    NoReference {
        /// The scenario file.
        path: PathBuf,
    },
    /// `[calibration] until` is outside the scenario's months.
    #[error("{}: [calibration] until {until} is not between the scenario's start and end", path.display())]
    Until {
        /// The scenario file.
        path: PathBuf,
        /// The month given.
        until: String,
    },
    /// The reference file has problems.
    #[error("{0}")]
    Reference(#[from] ReferenceError),
    /// The dyad is not tracked.
    #[error("{}: [calibration] dyad `{dyad}` is not a tracked dyad", path.display())]
    Dyad {
        /// The scenario file.
        path: PathBuf,
        /// The dyad asked for.
        dyad: String,
    },
}

/// A rung history reached, and when.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    /// The rung.
    pub stage: u8,
    /// The date of the first row at or above it.
    pub date: Date,
    /// Months from the start of month 0 to that date.
    pub months: f64,
}

/// A fall in the history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fall {
    /// Date of the row with the lower rung.
    pub date: Date,
    /// Month index of that date.
    pub month: u32,
    /// The rung before.
    pub from: u8,
    /// The rung after.
    pub to: u8,
}

/// What a history asks of a case's runs between its start and horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// The rung in force at the start.
    pub start_stage: u8,
    /// Each rung above the start's that the history reached, in rung order.
    pub reaches: Vec<Reach>,
    /// The lowest rung above every rung reached, if below the top.
    pub unreached: Option<u8>,
    /// Every fall, in date order.
    pub falls: Vec<Fall>,
}

/// A scenario and the history its tracked dyad is held against.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case's name: the scenario's, followed by `.<dyad>` when the
    /// scenario holds several histories.
    pub name: String,
    /// The scenario file.
    pub file: PathBuf,
    /// The scenario (its horizon cut to `[calibration] until`).
    pub scenario: Scenario,
    /// Index of the dyad in the scenario's tracked dyads.
    pub dyad: usize,
    /// The history.
    pub reference: ReferencePath,
    /// The file it was read from.
    pub reference_path: PathBuf,
    /// What the history asks.
    pub targets: Targets,
}

impl Case {
    /// Reads the cases of a scenario file: its `[calibration]` reference and
    /// dyad, or each of its `[[calibration.histories]]`.
    pub fn load(path: &Path) -> Result<Vec<Case>, CaseError> {
        let mut scenario = scenario::load(path)?;
        let no_reference = || CaseError::NoReference { path: path.to_path_buf() };
        let config = scenario.calibration.clone().ok_or_else(no_reference)?;
        let histories = match (&config.reference, &config.dyad) {
            (Some(reference), Some(dyad)) => vec![(dyad.clone(), reference.clone())],
            _ if !config.histories.is_empty() => config.histories.clone(),
            _ => return Err(no_reference()),
        };
        if let Some(until) = config.until {
            // A history read to its last dated fact: the runs stop there too.
            let months = until.months_since(scenario.base.start);
            if months < 0 || months as u32 > scenario.base.horizon {
                return Err(CaseError::Until { path: path.to_path_buf(), until: until.to_string() });
            }
            scenario.base.horizon = months as u32;
        }
        let several = histories.len() > 1;
        histories
            .iter()
            .map(|(dyad, reference)| {
                let file = path.parent().unwrap_or(Path::new(".")).join(reference);
                let reference = ReferencePath::load(&file, scenario.base.world.ladder.len())?;
                let index = scenario
                    .base
                    .tracked_index(dyad)
                    .ok_or_else(|| CaseError::Dyad { path: path.to_path_buf(), dyad: dyad.clone() })?;
                let targets = targets(&reference, &scenario.base);
                let name = if several { format!("{}.{dyad}", scenario.name) } else { scenario.name.clone() };
                Ok(Case {
                    name,
                    file: path.to_path_buf(),
                    scenario: scenario.clone(),
                    dyad: index,
                    reference,
                    reference_path: file,
                    targets,
                })
            })
            .collect()
    }

    /// The case's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Reads the targets of `reference` over the horizon of `setup`.
pub fn targets(reference: &ReferencePath, setup: &Setup) -> Targets {
    let start = setup.start;
    let end = setup.month(setup.horizon);
    let inside = |d: Date| d.year_month() >= start && d.year_month() <= end;
    // The rung in force at the start: the last row on or before the start
    // month's end, else the first row's.
    let start_stage = reference
        .rows
        .iter()
        .take_while(|r| r.date.year_month() <= start)
        .last()
        .or(reference.rows.first())
        .map_or(0, |r| r.stage);
    let top = setup.world.ladder.top();
    let mut reaches = Vec::new();
    for stage in start_stage + 1..=top {
        if let Some(row) = reference.rows.iter().find(|r| inside(r.date) && r.stage >= stage) {
            reaches.push(Reach { stage, date: row.date, months: row.date.months_after(start) });
        }
    }
    let highest = reaches.last().map_or(start_stage, |r| r.stage);
    let unreached = (highest < top).then_some(highest + 1);
    let falls = reference
        .rows
        .windows(2)
        .filter(|w| w[1].stage < w[0].stage && inside(w[1].date))
        .map(|w| Fall {
            date: w[1].date,
            month: w[1].date.year_month().months_since(start) as u32,
            from: w[0].stage,
            to: w[1].stage,
        })
        .collect();
    Targets { start_stage, reaches, unreached, falls }
}

/// One run's stage path reduced to what the targets ask.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunPath {
    /// First month at or above each rung (None: never).
    pub first: Vec<Option<u32>>,
    /// Months at which the rung fell.
    pub falls: Vec<u32>,
}

impl RunPath {
    /// Reduces a monthly stage path.
    pub fn of(stages: &[u8], rungs: usize) -> RunPath {
        let mut first = vec![None; rungs];
        let mut falls = Vec::new();
        for (t, &s) in stages.iter().enumerate() {
            for f in first.iter_mut().take(s as usize + 1) {
                f.get_or_insert(t as u32);
            }
            if t > 0 && s < stages[t - 1] {
                falls.push(t as u32);
            }
        }
        RunPath { first, falls }
    }
}

/// A case's runs held against its targets.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseScore {
    /// Per reach target: every run's first-reach month, sorted, censored runs as None at the end.
    pub reach_months: Vec<Vec<Option<u32>>>,
    /// First-reach months of the unreached rung, sorted likewise.
    pub unreached_months: Vec<Option<u32>>,
    /// Per historical fall: the share of runs with a fall within the window.
    pub fall_shares: Vec<f64>,
    /// Mean number of simulated falls per run outside every historical fall's window.
    pub spurious_falls: f64,
    /// The horizon, in months.
    pub horizon: u32,
    /// Runs.
    pub runs: usize,
}

/// Nearest-rank quantile of a sorted sample with censored values (None) last:
/// None when the rank falls among the censored runs.
pub fn censored_quantile(sorted: &[Option<u32>], q: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The continuous ranked probability score of a sample against `y`:
/// E|X - y| - E|X - X'| / 2, in the sample's unit. Proper: it is smallest
/// when the sample's distribution is the truth's, and it rewards both being
/// near and being sharp.
pub fn crps(sorted: &[f64], y: f64) -> f64 {
    let n = sorted.len() as f64;
    if sorted.is_empty() {
        return 0.0;
    }
    let near: f64 = sorted.iter().map(|x| (x - y).abs()).sum::<f64>() / n;
    // For a sorted sample, sum over pairs |x_i - x_j| = 2 sum_i (2i - n - 1) x_(i), i from 1.
    let spread: f64 =
        sorted.iter().enumerate().map(|(i, x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x).sum::<f64>();
    near - spread / (n * n)
}

impl CaseScore {
    /// Folds run paths into a score.
    pub fn of(targets: &Targets, paths: &[RunPath], horizon: u32) -> CaseScore {
        let sorted = |stage: u8| {
            let mut v: Vec<Option<u32>> = paths.iter().map(|p| p.first[stage as usize]).collect();
            v.sort_by_key(|m| m.unwrap_or(u32::MAX));
            v
        };
        let within = |t: u32, f: &Fall| t.abs_diff(f.month) <= FALL_WINDOW_MONTHS;
        let runs = paths.len().max(1) as f64;
        CaseScore {
            reach_months: targets.reaches.iter().map(|r| sorted(r.stage)).collect(),
            unreached_months: targets.unreached.map(sorted).unwrap_or_default(),
            fall_shares: targets
                .falls
                .iter()
                .map(|f| paths.iter().filter(|p| p.falls.iter().any(|&t| within(t, f))).count() as f64 / runs)
                .collect(),
            spurious_falls: paths
                .iter()
                .map(|p| p.falls.iter().filter(|&&t| !targets.falls.iter().any(|f| within(t, f))).count())
                .sum::<usize>() as f64
                / runs,
            horizon,
            runs: paths.len(),
        }
    }

    /// First-reach months in years, a censored run counting as the horizon
    /// plus the censor penalty.
    fn years(&self, months: &[Option<u32>]) -> Vec<f64> {
        let cap = self.horizon as f64 + CENSOR_PENALTY_MONTHS;
        months.iter().map(|m| m.map_or(cap, |m| m as f64) / 12.0).collect()
    }

    /// The distance to history, in years: the mean, over the targets, of the
    /// CRPS of each reached rung's first-reach time (a rung never reached
    /// scored against the censored value), plus `FALL_COST_YEARS` times the
    /// share of runs missing each fall, plus `SPURIOUS_COST_YEARS` per
    /// simulated fall far from any historical one, per decade of horizon.
    pub fn distance(&self, targets: &Targets) -> f64 {
        let mut total = 0.0;
        let mut count = 0.0;
        for (r, months) in targets.reaches.iter().zip(&self.reach_months) {
            total += crps(&self.years(months), r.months / 12.0);
            count += 1.0;
        }
        if targets.unreached.is_some() {
            let cap = (self.horizon as f64 + CENSOR_PENALTY_MONTHS) / 12.0;
            total += crps(&self.years(&self.unreached_months), cap);
            count += 1.0;
        }
        for share in &self.fall_shares {
            total += FALL_COST_YEARS * (1.0 - share);
            count += 1.0;
        }
        let decades = (self.horizon as f64 / 120.0).max(0.1);
        let spurious = SPURIOUS_COST_YEARS * self.spurious_falls / decades;
        if count == 0.0 {
            spurious
        } else {
            total / count + spurious
        }
    }
}

/// What a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A rung history first reached on a date.
    Reach,
    /// The lowest rung history never reached.
    Unreached,
    /// A fall in the history.
    Fall,
}

impl TargetKind {
    /// The word used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Reach => "reach",
            TargetKind::Unreached => "unreached",
            TargetKind::Fall => "fall",
        }
    }
}

/// One target of one case with what the runs made of it: a row of
/// `hindcast.csv` and of the validation tables.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRow {
    /// Reach, unreached or fall.
    pub kind: TargetKind,
    /// The rung reached (or never reached), or the rung fallen to.
    pub stage: u8,
    /// For a fall, the rung fallen from.
    pub from: Option<u8>,
    /// The historical date (none for a rung never reached).
    pub date: Option<Date>,
    /// Month index of the historical date.
    pub month: Option<u32>,
    /// 10th, 50th and 90th percentiles of the simulated first-reach month
    /// (None: among the runs that never reached it); empty for falls.
    pub quantiles: [Option<u32>; 3],
    /// Whether history lies inside the simulated 10-90 % band: for a reach,
    /// p10 <= month <= p90 (an open band when p90 is never); for a rung never
    /// reached, whether at least 10 % of runs never reached it either.
    pub inside: Option<bool>,
    /// Share of runs that reached the rung by the horizon (reach and unreached).
    pub share_reached: Option<f64>,
    /// Share of runs within three years of history: a first reach within
    /// 36 months of the date, or a fall within the fall window.
    pub share_near: Option<f64>,
}

impl CaseScore {
    /// The score as one row per target.
    pub fn rows(&self, targets: &Targets) -> Vec<TargetRow> {
        let runs = self.runs.max(1) as f64;
        let reached = |v: &[Option<u32>]| v.iter().filter(|m| m.is_some()).count() as f64 / runs;
        let q = |v: &[Option<u32>]| [0.1, 0.5, 0.9].map(|q| censored_quantile(v, q));
        let mut out = Vec::new();
        for (r, months) in targets.reaches.iter().zip(&self.reach_months) {
            let m = r.months.floor().max(0.0) as u32;
            let quantiles = q(months);
            let inside = quantiles[0].is_some_and(|lo| lo <= m) && quantiles[2].is_none_or(|hi| m <= hi);
            let near =
                months.iter().filter(|x| x.is_some_and(|x| x.abs_diff(m) <= FALL_WINDOW_MONTHS)).count();
            out.push(TargetRow {
                kind: TargetKind::Reach,
                stage: r.stage,
                from: None,
                date: Some(r.date),
                month: Some(m),
                quantiles,
                inside: Some(inside),
                share_reached: Some(reached(months)),
                share_near: Some(near as f64 / runs),
            });
        }
        if let Some(stage) = targets.unreached {
            let quantiles = q(&self.unreached_months);
            out.push(TargetRow {
                kind: TargetKind::Unreached,
                stage,
                from: None,
                date: None,
                month: None,
                quantiles,
                inside: Some(quantiles[2].is_none()),
                share_reached: Some(reached(&self.unreached_months)),
                share_near: None,
            });
        }
        for (f, share) in targets.falls.iter().zip(&self.fall_shares) {
            out.push(TargetRow {
                kind: TargetKind::Fall,
                stage: f.to,
                from: Some(f.from),
                date: Some(f.date),
                month: Some(f.month),
                quantiles: [None; 3],
                inside: None,
                share_reached: None,
                share_near: Some(*share),
            });
        }
        out
    }
}

/// Years a fall missed by every run costs in the distance: missing a
/// historical reversal is a failure an analyst weighs like a decade of
/// timing error.
pub const FALL_COST_YEARS: f64 = 10.0;

/// Years one simulated fall per decade far from any historical fall costs.
pub const SPURIOUS_COST_YEARS: f64 = 1.0;

/// Runs `replications` runs of `setup` (the case's scenario, perhaps with
/// other parameters) on the workers of `pool` and scores them.
pub fn evaluate(case: &Case, setup: &Setup, replications: u64, seed: u64, pool: &Pool) -> CaseScore {
    let replicates: Vec<u64> = (0..replications).collect();
    let paths = batch::par_map(
        pool,
        &replicates,
        || (Simulator::new(), Recorder::new(true, false), Vec::new()),
        |(sim, rec, stages), &r| run_path(case, setup, seed, r, sim, rec, stages),
    );
    CaseScore::of(&case.targets, &paths, setup.horizon)
}

/// Runs and scores on the calling thread: for a calibration, whose
/// candidates are already spread over the workers.
pub fn evaluate_here(
    case: &Case,
    setup: &Setup,
    replications: u64,
    seed: u64,
    sim: &mut Simulator,
    rec: &mut Recorder,
) -> CaseScore {
    let mut stages = Vec::new();
    let paths: Vec<RunPath> =
        (0..replications).map(|r| run_path(case, setup, seed, r, sim, rec, &mut stages)).collect();
    CaseScore::of(&case.targets, &paths, setup.horizon)
}

/// The reference class as what a joint calibration minimises: the mean,
/// over the cases, of each case's [`CaseScore::distance`], every case with
/// the same candidate values and its own inputs.
#[derive(Debug, Clone)]
pub struct ReferenceClass {
    /// The cases.
    pub cases: Vec<Case>,
    /// Runs per case and candidate.
    pub replications: u64,
    /// Master seed of the runs (each case's seeds also depend on its name).
    pub seed: u64,
}

impl Objective for ReferenceClass {
    fn distance(&self, overrides: &[(Field, f64)], sim: &mut Simulator, rec: &mut Recorder) -> f64 {
        let total: f64 = self
            .cases
            .iter()
            .map(|case| {
                let setup = with_overrides(&case.scenario.base, overrides);
                evaluate_here(case, &setup, self.replications, self.seed, sim, rec).distance(&case.targets)
            })
            .sum();
        total / self.cases.len().max(1) as f64
    }
}

/// Replicate `r` of a case: the seed is that of `detente run` for the
/// baseline variant with master seed `seed`, so the run can be replayed there.
pub fn run_path(
    case: &Case,
    setup: &Setup,
    seed: u64,
    r: u64,
    sim: &mut Simulator,
    rec: &mut Recorder,
    stages: &mut Vec<u8>,
) -> RunPath {
    sim.run(setup, run_seed(seed, &case.scenario.name, "baseline", 0, r), rec);
    stage_path(rec.series.as_deref().unwrap_or_default(), case.dyad, stages);
    RunPath::of(stages, setup.world.ladder.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::ReferenceRow;

    fn reference(rows: &[(&str, u8)]) -> ReferencePath {
        ReferencePath {
            name: "r".into(),
            rows: rows
                .iter()
                .map(|&(d, stage)| ReferenceRow {
                    date: Date::parse(d).unwrap(),
                    stage,
                    event: String::new(),
                    alt_effective_stage: None,
                    alt_formal_stage: None,
                })
                .collect(),
        }
    }

    fn setup(start: &str, horizon: u32) -> Setup {
        let mut w = crate::engine::testworld::two_states();
        w.pairs[0].stage = 1;
        Setup {
            world: w,
            schedule: Default::default(),
            start: crate::calendar::YearMonth::parse(start).unwrap(),
            horizon,
            tracked: Vec::new(),
        }
    }

    #[test]
    fn targets_read_the_history_from_the_start_only() {
        let r = reference(&[
            ("1990-03-10", 1),
            ("1995-01-01", 3),
            ("1998-06-01", 2),
            ("2001-01-01", 4),
            ("2003-01-01", 1),
        ]);
        // Starting in 1997 the rung in force is 3; only later rows count.
        let t = targets(&r, &setup("1997-01", 120));
        assert_eq!(t.start_stage, 3);
        assert_eq!(t.reaches.iter().map(|r| r.stage).collect::<Vec<_>>(), vec![4]);
        assert_eq!(t.unreached, Some(5));
        assert_eq!(
            t.falls.iter().map(|f| (f.month, f.from, f.to)).collect::<Vec<_>>(),
            vec![(17, 3, 2), (72, 4, 1)]
        );
    }

    #[test]
    fn run_paths_record_first_reaches_and_falls() {
        let p = RunPath::of(&[1, 1, 3, 2, 2, 4, 0], 8);
        assert_eq!(&p.first[..6], &[Some(0), Some(0), Some(2), Some(2), Some(5), None]);
        assert_eq!(p.falls, vec![3, 6]);
    }

    #[test]
    fn crps_of_a_point_mass_is_the_absolute_error_and_spread_is_rewarded_when_unsure() {
        assert!((crps(&[3.0, 3.0, 3.0], 1.0) - 2.0).abs() < 1e-12);
        // Half the runs right, half 4 years late: E|X-y| = 2, E|X-X'|/2 = 1.
        assert!((crps(&[1.0, 1.0, 5.0, 5.0], 1.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn censored_quantiles_run_into_never() {
        let v = vec![Some(3), Some(5), None, None];
        assert_eq!(censored_quantile(&v, 0.1), Some(3));
        assert_eq!(censored_quantile(&v, 0.5), Some(5));
        assert_eq!(censored_quantile(&v, 0.9), None);
    }

    #[test]
    fn falls_count_within_the_window_and_others_are_spurious() {
        let r = reference(&[("2000-01-01", 3), ("2005-01-01", 2)]);
        let t = targets(&r, &setup("2000-01", 240));
        let paths = vec![
            RunPath { first: vec![Some(0); 8], falls: vec![60 + 30] },
            RunPath { first: vec![Some(0); 8], falls: vec![200] },
        ];
        let s = CaseScore::of(&t, &paths, 240);
        assert_eq!(s.fall_shares, vec![0.5]);
        assert_eq!(s.spurious_falls, 0.5);
    }
}
